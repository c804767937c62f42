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

// Parses "I/N" (0 <= I < N) or "N", whose index then comes from
// `completion_index` (Kubernetes' JOB_COMPLETION_INDEX; null if unset).
// False and *error (a sentence) on anything else.
bool ParseShard(const std::string& text, const char* completion_index, Shard* shard,
                std::string* error);

}  // namespace slotsim
