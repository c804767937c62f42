// `slotsim replay DB --run ID | --all`: re-executes recorded runs from the
// scenario, seed and settings stored with them, and checks that each gives
// the recorded trace hash (same build, same seed: same trace).
#include <google/protobuf/text_format.h>

#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/crash_handler.h"
#include "cli/exit_codes.h"
#include "cli/process_pool.h"
#include "scenarios/runner.h"
#include "traces/trace_reader.h"

namespace slotsim {
namespace {

// What replaying needs, read back from the run row; false and *error if
// the row cannot be replayed.
bool ReplaySetup(const StoredRun& run, scenario::Scenario* sc, RunOptions* ro,
                 std::string* error) {
  if (run.scenario_text.empty()) {
    *error = "run " + std::to_string(run.id) +
             " was recorded without its scenario (trace schema 1); re-run it from " +
             run.scenario_path;
    return false;
  }
  if (!google::protobuf::TextFormat::ParseFromString(run.scenario_text, sc)) {
    *error = "run " + std::to_string(run.id) + ": the stored scenario does not parse";
    return false;
  }
  const auto settings = nlohmann::json::parse(run.settings, nullptr, false);
  if (!settings.is_object()) {
    *error = "run " + std::to_string(run.id) + ": the stored settings are not JSON";
    return false;
  }
  ro->seed = run.seed;
  ro->buggify = settings.value("buggify", true);
  ro->injected_bugs = settings.value("injected_bugs", std::vector<std::string>{});
  return true;
}

}  // namespace

int ReplayCommand(const ReplayCommandOptions& o) {
  std::string err;
  auto reader = TraceReader::Open(o.db, &err);
  if (!reader) {
    std::cerr << "slotsim replay: " << err << "\n";
    return kExitUsage;
  }
  std::vector<StoredRun> runs;
  if (o.all) {
    runs = reader->Runs();
  } else {
    for (const int64_t id : o.run_ids) {
      auto run = reader->Run(id);
      if (!run) {
        std::cerr << "slotsim replay: " << o.db << " has no run " << id << "\n";
        return kExitUsage;
      }
      runs.push_back(*run);
    }
  }
  std::vector<std::pair<scenario::Scenario, RunOptions>> setups(runs.size());
  for (size_t i = 0; i < runs.size(); ++i) {
    if (!ReplaySetup(runs[i], &setups[i].first, &setups[i].second, &err)) {
      std::cerr << "slotsim replay: " << err << "\n";
      return kExitUsage;
    }
  }
  int same = 0, differ = 0, crashed = 0, skipped = 0;
  ProcessPool pool(o.jobs, [&](uint64_t i, const ChildResult& r) {
    const StoredRun& run = runs[i];
    const std::string head = "run " + std::to_string(run.id) + " " + run.scenario +
                             " seed=" + std::to_string(run.seed) + ": ";
    if (!r.ok) {
      crashed++;
      std::printf("%scrashed on replay (%s)%s\n", head.c_str(), r.death.c_str(),
                  run.outcome == "crashed" ? ", as recorded" : "");
    } else if (run.trace_hash.empty()) {
      skipped++;
      std::printf("%sreplayed to hash %s; the recorded run has none (outcome %s)\n",
                  head.c_str(), r.reply.value("trace_hash", "").c_str(), run.outcome.c_str());
    } else if (r.reply.value("trace_hash", "") == run.trace_hash) {
      same++;
      std::printf("%shash %s same\n", head.c_str(), run.trace_hash.c_str());
    } else {
      differ++;
      std::printf("%shash %s DIFFERS from the recorded %s (build %s; this is %s). To find the "
                  "first divergent event, record it again (slotsim run %s --seed %llu --db "
                  "new.db) and run slotsim diff %s:%lld new.db:1\n",
                  head.c_str(), r.reply.value("trace_hash", "").c_str(),
                  run.trace_hash.c_str(), run.build.c_str(), BuildId(),
                  run.scenario_path.c_str(), static_cast<unsigned long long>(run.seed),
                  o.db.c_str(), static_cast<long long>(run.id));
    }
    std::fflush(stdout);
  });
  for (size_t i = 0; i < runs.size(); ++i) {
    pool.Start(i, [&, i] {
      SetCrashContext("replay of run " + std::to_string(runs[i].id));
      const RunResult r = RunScenario(setups[i].first, setups[i].second);
      return nlohmann::json{{"trace_hash", HashHex(r.trace_hash)}};
    });
  }
  pool.WaitAll();
  std::printf("replay: %d same, %d differ, %d crashed, %d without a recorded hash\n", same,
              differ, crashed, skipped);
  if (differ > 0) return kExitViolation;
  if (crashed > 0) return kExitCrash;
  return kExitPass;
}

}  // namespace slotsim
