#include "explore/coverage.h"

#include <cstdio>

namespace slotsim {

void ProbeCoverage::AddSeed(uint64_t seed, const std::vector<std::string>& probes) {
  seeds_++;
  std::array<bool, kProbeCount> seen{};  // a name listed twice counts once
  for (const auto& name : probes) {
    const std::optional<Probe> p = ProbeByName(name);
    if (!p) continue;
    const auto i = static_cast<size_t>(*p);
    if (seen[i]) continue;
    seen[i] = true;
    hits_[i]++;
    if (!first_[i] || seed < *first_[i]) first_[i] = seed;
  }
}

std::optional<uint64_t> ProbeCoverage::FirstSeed(Probe p) const {
  return first_[static_cast<size_t>(p)];
}

std::vector<Probe> ProbeCoverage::Unreached() const {
  std::vector<Probe> out;
  for (const auto& info : kProbes)
    if (hits_[static_cast<size_t>(info.probe)] == 0) out.push_back(info.probe);
  return out;
}

std::string ProbeCoverage::Report() const {
  std::string out = "probe                              seeds      first  meaning\n";
  char line[160];
  for (const auto& info : kProbes) {
    const auto i = static_cast<size_t>(info.probe);
    const std::string first = first_[i] ? std::to_string(*first_[i]) : "-";
    std::snprintf(line, sizeof line, "%-34s %5lld/%-5lld %5s  ", std::string(info.name).c_str(),
                  static_cast<long long>(hits_[i]), static_cast<long long>(seeds_),
                  first.c_str());
    out += line;
    out += info.meaning;
    out += "\n";
  }
  const std::vector<Probe> unreached = Unreached();
  out += "unreached (" + std::to_string(unreached.size()) + " of " +
         std::to_string(kProbeCount) + "):";
  for (Probe p : unreached) out += " " + std::string(ProbeName(p));
  out += unreached.empty() ? " none\n" : "\n";
  return out;
}

}  // namespace slotsim
