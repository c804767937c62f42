#include "runtime/redis_log.h"

#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

namespace slotsim {

RedisLog::~RedisLog() {
  if (owned_ && file_ != nullptr) std::fclose(file_);
}

bool RedisLog::Open(const std::string& path, std::string* error) {
  if (path.empty()) {
    file_ = stdout;
    return true;
  }
  file_ = std::fopen(path.c_str(), "a");
  if (file_ == nullptr) {
    *error = "cannot open logfile " + path + ": " + std::strerror(errno);
    return false;
  }
  owned_ = true;
  return true;
}

void RedisLog::Log(Level level, const std::string& message) {
  if (file_ == nullptr) return;
  static constexpr char kLevelChar[] = {'.', '-', '*', '#'};
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm local{};
  localtime_r(&tv.tv_sec, &local);
  char stamp[64];
  const size_t n = std::strftime(stamp, sizeof stamp, "%d %b %Y %H:%M:%S.", &local);
  std::snprintf(stamp + n, sizeof stamp - n, "%03d", static_cast<int>(tv.tv_usec / 1000));
  std::fprintf(file_, "%d:%c %s %c %s\n", static_cast<int>(getpid()), role_, stamp,
               kLevelChar[static_cast<int>(level)], message.c_str());
  std::fflush(file_);
}

}  // namespace slotsim
