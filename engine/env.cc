#include "engine/env.h"

#include "engine/check.h"

namespace slotsim {

uint64_t Env::RandomBelow(uint64_t n) {
  SLOTSIM_CHECK(n > 0);
  // Lemire's multiply-shift; the tiny bias is irrelevant for scheduling.
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(Random()) * n) >> 64);
}

}  // namespace slotsim
