// `slotsim merge OUT IN...` (combine trace databases, e.g. the shards of a
// sweep) and `slotsim runs DB` (list what a database holds).
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "traces/merge.h"
#include "traces/trace_reader.h"

namespace slotsim {

int MergeCommand(const MergeCommandOptions& o) {
  std::string err;
  // Check every input first: a bad one changes nothing.
  for (const auto& in : o.inputs) {
    if (in == o.out) {
      std::cerr << "slotsim merge: " << in << " is both an input and the output\n";
      return kExitUsage;
    }
    if (!TraceReader::Open(in, &err)) {
      std::cerr << "slotsim merge: " << err << "\n";
      return kExitUsage;
    }
  }
  auto db = TraceDb::Open(o.out, &err);
  if (!db) {
    std::cerr << "slotsim merge: " << err << "\n";
    return kExitUsage;
  }
  size_t runs = 0;
  for (const auto& in : o.inputs) {
    std::vector<std::pair<int64_t, int64_t>> ids;
    if (!MergeTraceInto(*db, in, &ids, &err)) {
      std::cerr << "slotsim merge: " << err << "\n";
      return kExitUsage;
    }
    std::printf("%s: %zu runs", in.c_str(), ids.size());
    if (!ids.empty())
      std::printf(" -> ids %lld..%lld", static_cast<long long>(ids.front().second),
                  static_cast<long long>(ids.back().second));
    std::printf("\n");
    runs += ids.size();
  }
  std::printf("merged %zu runs from %zu databases into %s\n", runs, o.inputs.size(),
              o.out.c_str());
  return kExitPass;
}

int RunsCommand(const RunsCommandOptions& o) {
  std::string err;
  // Opening for writing marks runs whose process died as crashed; a file
  // this process cannot write is still listed as it is.
  if (!TraceReader::Open(o.db, &err)) {
    std::cerr << "slotsim runs: " << err << "\n";
    return kExitUsage;
  }
  { auto writer = TraceDb::Open(o.db, &err); }
  auto reader = TraceReader::Open(o.db, &err);
  if (!reader) {
    std::cerr << "slotsim runs: " << err << "\n";
    return kExitUsage;
  }
  const auto runs = reader->Runs();
  if (o.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& r : runs)
      arr.push_back({{"id", r.id}, {"scenario", r.scenario}, {"seed", r.seed},
                     {"outcome", r.outcome}, {"events", r.events},
                     {"trace_hash", r.trace_hash}, {"scenario_path", r.scenario_path},
                     {"violations", nlohmann::json::parse(r.violations.empty() ? "[]"
                                                                               : r.violations,
                                                          nullptr, false)}});
    std::cout << arr.dump() << "\n";
    return kExitPass;
  }
  std::printf("%6s  %-36s %8s  %-9s %9s  %-16s  %s\n", "id", "scenario", "seed", "outcome",
              "events", "trace_hash", "repro");
  for (const auto& r : runs) {
    const std::string repro = ReproCommand(r);
    std::printf("%6lld  %-36s %8llu  %-9s %9lld  %-16s  %s\n", static_cast<long long>(r.id),
                r.scenario.c_str(), static_cast<unsigned long long>(r.seed), r.outcome.c_str(),
                static_cast<long long>(r.events), r.trace_hash.c_str(), repro.c_str());
  }
  return kExitPass;
}

}  // namespace slotsim
