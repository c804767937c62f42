// Deterministic pseudo-random numbers. One run seed is split into named
// streams (one per component) so that adding a client or a node does not
// shift the draws of every other component.
#pragma once

#include <cmath>
#include <cstdint>
#include <string_view>

#include "engine/check.h"

namespace slotsim {

// SplitMix64 step: a good mixer for seeding.
inline uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// FNV-1a 64 over bytes, continuing from `h`.
inline uint64_t Fnv1a64(std::string_view bytes,
                        uint64_t h = 0xcbf29ce484222325ull) {
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

// xoshiro256** (Blackman and Vigna): fast, 256-bit state.
class Prng {
 public:
  explicit Prng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : s_) w = SplitMix64(&s);
  }
  // The stream named `name` of run `seed`.
  static Prng Stream(uint64_t seed, std::string_view name) {
    uint64_t s = seed ^ Fnv1a64(name);
    return Prng(SplitMix64(&s));
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }
  // Uniform in [0, n). n > 0.
  uint64_t Below(uint64_t n) {
    SLOTSIM_CHECK(n > 0);
    return static_cast<uint64_t>(
        (static_cast<unsigned __int128>(Next()) * n) >> 64);
  }
  // Uniform in [lo, hi]. lo <= hi.
  int64_t Range(int64_t lo, int64_t hi) {
    SLOTSIM_CHECK(lo <= hi);
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo) + 1));
  }
  // Uniform in [0, 1).
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Exponentially distributed with the given mean.
  double Exponential(double mean) { return -mean * std::log1p(-Uniform()); }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace slotsim
