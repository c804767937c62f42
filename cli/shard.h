// `--shard I/N`: a deterministic split of a suite's (scenario, seed) runs
// across N machines. Run k of the ordered list belongs to shard k mod N,
// so the shards cover every run exactly once whatever N is.
#pragma once

#include <cstdint>
#include <string>

namespace slotsim {

struct Shard {
  int64_t index = 0;
  int64_t count = 1;
  bool Owns(int64_t k) const { return k % count == index; }
};

// Where `--shard N` finds its index when the scheduler sets it: each field
// is the environment variable's value, or null if unset.
struct ShardEnv {
  const char* job_completion_index = nullptr;  // Kubernetes Indexed Jobs
  const char* slurm_array_task_id = nullptr;   // Slurm job arrays
  // Slurm's first array index: `--array=1-4` numbers tasks from 1, and
  // the shard index is the task id minus it.
  const char* slurm_array_task_min = nullptr;
  static ShardEnv FromEnvironment();
};

// Parses "I/N" (0 <= I < N) or "N", whose index then comes from `env`
// (exactly one scheduler's variable must be set). False and *error (a
// sentence) on anything else.
bool ParseShard(const std::string& text, const ShardEnv& env, Shard* shard, std::string* error);

}  // namespace slotsim
