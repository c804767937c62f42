// Probe coverage over an exploration: for each code probe (engine/probes.h)
// how many explored seeds hit it and the lowest seed that did, and the
// probes no seed reached (FoundationDB reports code probes never hit the
// same way: a path no run takes is a path no checker judged).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/probes.h"

namespace slotsim {

class ProbeCoverage {
 public:
  // One explored seed and the probe names its run hit. Unknown names
  // (another build's) are ignored. Seeds may come in any order.
  void AddSeed(uint64_t seed, const std::vector<std::string>& probes);

  int64_t seeds() const { return seeds_; }
  int64_t SeedsHitting(Probe p) const { return hits_[static_cast<size_t>(p)]; }
  // The lowest seed that hit `p`, if any did.
  std::optional<uint64_t> FirstSeed(Probe p) const;
  // Probes no seed hit, in kProbes order.
  std::vector<Probe> Unreached() const;
  int Reached() const { return static_cast<int>(kProbeCount - Unreached().size()); }

  // Every probe, one line each: name, seeds hitting it of all, first
  // seed, meaning; then the unreached ones. For `slotsim explore --probes`.
  std::string Report() const;

 private:
  int64_t seeds_ = 0;
  std::array<int64_t, kProbeCount> hits_{};
  std::array<std::optional<uint64_t>, kProbeCount> first_{};
};

}  // namespace slotsim
