// Redis's log, for `slotsim node`: the lines Redis writes to `logfile`
// (serverLogRaw's format, "PID:ROLE DD Mon YYYY HH:MM:SS.mmm LEVEL msg"),
// so that tools and harnesses that read a Redis log can read ours. Real
// mode only: it reads the wall clock.
#pragma once

#include <cstdio>
#include <string>

namespace slotsim {

class RedisLog {
 public:
  enum class Level { kDebug, kVerbose, kNotice, kWarning };
  RedisLog() = default;
  ~RedisLog();
  RedisLog(const RedisLog&) = delete;
  RedisLog& operator=(const RedisLog&) = delete;

  // Appends to `path`, or writes to standard output for "" (Redis's
  // default). False with *error if the file cannot be opened.
  bool Open(const std::string& path, std::string* error);
  // 'M' for a primary, 'S' for a replica (the role character of each line).
  void set_role(char role) { role_ = role; }
  // Writes one line and flushes it (a crash must not lose the lines before).
  void Log(Level level, const std::string& message);
  void Notice(const std::string& message) { Log(Level::kNotice, message); }
  void Warning(const std::string& message) { Log(Level::kWarning, message); }

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  char role_ = 'M';
};

}  // namespace slotsim
