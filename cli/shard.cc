#include "cli/shard.h"

#include <charconv>

namespace slotsim {
namespace {

// Limits keep N * runs far from overflow and catch typos like 1e9.
constexpr int64_t kShardCountMax = 1'000'000;

bool ParseCount(const std::string& s, int64_t* v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

bool ParseShard(const std::string& text, const char* completion_index, Shard* shard,
                std::string* error) {
  const size_t slash = text.find('/');
  const std::string count_text = slash == std::string::npos ? text : text.substr(slash + 1);
  std::string index_text;
  if (slash != std::string::npos) {
    index_text = text.substr(0, slash);
  } else if (completion_index != nullptr) {
    index_text = completion_index;
  } else {
    *error = "--shard " + text +
             ": no index (write I/N, or set JOB_COMPLETION_INDEX as a Kubernetes Indexed Job "
             "does)";
    return false;
  }
  Shard s;
  if (!ParseCount(count_text, &s.count) || s.count < 1 || s.count > kShardCountMax) {
    *error = "--shard " + text + ": the shard count must be an integer from 1 to " +
             std::to_string(kShardCountMax);
    return false;
  }
  if (!ParseCount(index_text, &s.index) || s.index < 0 || s.index >= s.count) {
    *error = "--shard " + text + ": the index '" + index_text +
             "' must be an integer from 0 to " + std::to_string(s.count - 1);
    return false;
  }
  *shard = s;
  return true;
}

}  // namespace slotsim
