#include "cli/shard.h"

#include <charconv>
#include <cstdlib>

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

ShardEnv ShardEnv::FromEnvironment() {
  return {std::getenv("JOB_COMPLETION_INDEX"), std::getenv("SLURM_ARRAY_TASK_ID"),
          std::getenv("SLURM_ARRAY_TASK_MIN")};
}

bool ParseShard(const std::string& text, const ShardEnv& env, Shard* shard,
                std::string* error) {
  const size_t slash = text.find('/');
  const std::string count_text = slash == std::string::npos ? text : text.substr(slash + 1);
  std::string index_text;
  int64_t index_base = 0;
  if (slash != std::string::npos) {
    index_text = text.substr(0, slash);
  } else if (env.job_completion_index != nullptr && env.slurm_array_task_id != nullptr) {
    *error = "--shard " + text +
             ": both JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are set; write I/N to say "
             "which index this is";
    return false;
  } else if (env.job_completion_index != nullptr) {
    index_text = env.job_completion_index;
  } else if (env.slurm_array_task_id != nullptr) {
    index_text = env.slurm_array_task_id;
    if (env.slurm_array_task_min != nullptr &&
        !ParseCount(env.slurm_array_task_min, &index_base)) {
      *error = "--shard " + text + ": SLURM_ARRAY_TASK_MIN '" + env.slurm_array_task_min +
               "' is not an integer";
      return false;
    }
  } else {
    *error = "--shard " + text +
             ": no index (write I/N, or run it as a Kubernetes Indexed Job or a Slurm job "
             "array, which set JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID)";
    return false;
  }
  Shard s;
  if (!ParseCount(count_text, &s.count) || s.count < 1 || s.count > kShardCountMax) {
    *error = "--shard " + text + ": the shard count must be an integer from 1 to " +
             std::to_string(kShardCountMax);
    return false;
  }
  const bool parsed = ParseCount(index_text, &s.index);
  if (parsed) s.index -= index_base;
  if (!parsed || s.index < 0 || s.index >= s.count) {
    *error = "--shard " + text + ": the index '" + index_text + "'" +
             (index_base != 0 ? " minus SLURM_ARRAY_TASK_MIN " + std::to_string(index_base)
                              : std::string()) +
             " must be an integer from 0 to " + std::to_string(s.count - 1);
    return false;
  }
  *shard = s;
  return true;
}

}  // namespace slotsim
