// `slotsim run`: one scenario, one seed, one summary line.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <google/protobuf/text_format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/run_one.h"
#include "cli/crash_handler.h"
#include "cli/exit_codes.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "traces/trace_db.h"

namespace slotsim {
namespace {

// Keeps every record's canonical line, to name the first difference
// between two runs.
class CollectingSink : public TraceSink {
 public:
  void OnTrace(const TraceRecord& r) override {
    lines.push_back(CanonicalTraceLine(r));
  }
  std::vector<std::string> lines;
};

std::string ReproCommand(const RunCommandOptions& o) {
  std::string s = "slotsim run " + o.scenario_path + " --seed " + std::to_string(o.seed);
  if (!o.buggify) s += " --no-buggify";
  for (const auto& b : o.injected_bugs) s += " --inject-bug " + b;
  return s;
}

}  // namespace

namespace {

nlohmann::json FindingsJson(const std::vector<Violation>& found) {
  nlohmann::json v = nlohmann::json::array();
  for (const auto& x : found)
    v.push_back({{"id", x.id},
                 {"message", x.message},
                 {"time_ms", x.time_us / 1000},
                 {"causes", x.causes}});
  return v;
}

}  // namespace

nlohmann::json ViolationsJson(const RunResult& r) { return FindingsJson(r.violations); }

nlohmann::json ProbesJson(const RunResult& r) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& info : kProbes)
    if (const int64_t hits = r.probe_hits[static_cast<size_t>(info.probe)]; hits > 0)
      j[std::string(info.name)] = hits;
  return j;
}

Recorded RunRecorded(const scenario::Scenario& sc, const std::string& path,
                     uint64_t seed, bool buggify, TraceDb* db,
                     const std::vector<TraceSink*>& extra_sinks,
                     int64_t debug_crash_at_ms,
                     const std::vector<std::string>& injected_bugs,
                     int64_t debug_perturb_at_ms) {
  Recorded rec;
  RunOptions ro;
  ro.seed = seed;
  ro.debug_crash_at_us = debug_crash_at_ms < 0 ? -1 : debug_crash_at_ms * 1000;
  ro.debug_perturb_at_us = debug_perturb_at_ms < 0 ? -1 : debug_perturb_at_ms * 1000;
  ro.buggify = buggify;
  ro.injected_bugs = injected_bugs;
  if (db != nullptr) ro.sinks.push_back(db);
  for (TraceSink* s : extra_sinks) ro.sinks.push_back(s);
  if (db != nullptr) {
    RunInfo info;
    info.seed = seed;
    info.scenario = sc.name();
    info.scenario_path = path;
    google::protobuf::TextFormat::PrintToString(sc, &info.scenario_text);
    info.build = BuildId();
    info.settings = nlohmann::json{{"buggify", buggify}, {"injected_bugs", injected_bugs}}.dump();
    rec.run_id = db->BeginRun(info);
  }
  const auto wall_start = std::chrono::steady_clock::now();
  rec.result = RunScenario(sc, ro);
  rec.wall_seconds = std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - wall_start).count();
  const RunResult& r = rec.result;
  if (db != nullptr) {
    RunSummary s;
    s.outcome = r.outcome;
    s.violations = ViolationsJson(r).dump();
    s.sim_seconds = r.sim_us / 1e6;
    s.events = r.events;
    s.trace_hash = HashHex(r.trace_hash);
    s.wall_seconds = rec.wall_seconds;
    s.converged_ms = r.converged_us < 0 ? -1 : r.converged_us / 1000;
    s.ops = r.ops;
    s.ops_ok = r.ops_ok;
    s.lost_writes_allowed = r.lost_writes_allowed;
    db->FinishRun(s);
  }
  return rec;
}

int RunCommand(const RunCommandOptions& o) {
  LoadResult loaded = LoadScenarioFile(o.scenario_path);
  if (!loaded.ok) {
    std::cerr << loaded.error << "\n";
    return kExitUsage;
  }
  const auto& sc = loaded.scenario;
  SetCrashContext("seed=" + std::to_string(o.seed) + " scenario=" + sc.name() +
                  "\nrepro: " + ReproCommand(o));

  std::unique_ptr<TraceDb> db;
  if (!o.no_trace) {
    std::string err;
    db = TraceDb::Open(o.db, &err);
    if (!db) {
      std::cerr << "slotsim: " << err << "\n";
      return kExitUsage;
    }
  }
  CollectingSink first_lines;
  std::vector<TraceSink*> extra;
  if (o.check_determinism) extra.push_back(&first_lines);
  Recorded rec = RunRecorded(sc, o.scenario_path, o.seed, o.buggify, db.get(), extra,
                              o.debug_crash_at_ms, o.injected_bugs, o.debug_perturb_at_ms);
  const RunResult& r = rec.result;
  const double wall = rec.wall_seconds;
  const int64_t run_id = rec.run_id;

  int code = OutcomeSucceeded(r.outcome) ? kExitPass : kExitViolation;
  std::string determinism;
  if (o.check_determinism) {
    CollectingSink second_lines;
    RunOptions again;
    again.seed = o.seed;
    again.buggify = o.buggify;
    again.injected_bugs = o.injected_bugs;
    again.sinks.push_back(&second_lines);
    RunResult r2 = RunScenario(sc, again);
    if (r2.trace_hash == r.trace_hash && first_lines.lines == second_lines.lines) {
      determinism = "same";
    } else {
      determinism = "differs";
      code = kExitViolation;
      const auto& a = first_lines.lines;
      const auto& b = second_lines.lines;
      size_t i = 0;
      while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
      std::cerr << "nondeterminism: runs differ first at event " << i << "\n";
      for (size_t k = i >= 3 ? i - 3 : 0; k < i; ++k) std::cerr << "   both: " << a[k] << "\n";
      std::cerr << "  run 1: " << (i < a.size() ? a[i] : "<end of trace>") << "\n";
      std::cerr << "  run 2: " << (i < b.size() ? b[i] : "<end of trace>") << "\n";
    }
  }

  for (const auto& v : r.violations)
    std::cerr << "violation " << v.id << " at " << v.time_us / 1000 << " ms: " << v.message << "\n";
  for (const auto& w : r.known_weaknesses)
    std::cerr << "known weakness (allowed) " << w.id << " at " << w.time_us / 1000
              << " ms: " << w.message << "\n";
  if (code != kExitPass) std::cerr << "repro: " << ReproCommand(o) << "\n";

  char sim_s[32], wall_s[32];
  std::snprintf(sim_s, sizeof sim_s, "%.3f", r.sim_us / 1e6);
  std::snprintf(wall_s, sizeof wall_s, "%.3f", wall);
  if (o.json) {
    nlohmann::json j = {{"outcome", r.outcome},
                        {"scenario", sc.name()},
                        {"seed", o.seed},
                        {"sim_seconds", r.sim_us / 1e6},
                        {"events", r.events},
                        {"trace_hash", HashHex(r.trace_hash)},
                        {"wall_seconds", wall},
                        {"converged_ms", r.converged_us < 0 ? -1 : r.converged_us / 1000},
                        {"ops", r.ops},
                        {"ops_ok", r.ops_ok},
                        {"lost_writes_allowed", r.lost_writes_allowed},
                        {"unavailable_ms", r.unavailable_us / 1000},
                        {"probes_hit", r.ProbesHit()},
                        {"probes", ProbesJson(r)},
                        {"violations", ViolationsJson(r)},
                        {"known_weaknesses", FindingsJson(r.known_weaknesses)}};
    if (run_id >= 0) j["run_id"] = run_id, j["db"] = o.db;
    if (!determinism.empty()) j["determinism"] = determinism;
    std::cout << j.dump() << "\n";
  } else {
    std::cout << "outcome=" << r.outcome << " scenario=" << sc.name() << " seed=" << o.seed
              << " sim_seconds=" << sim_s << " events=" << r.events
              << " trace_hash=" << HashHex(r.trace_hash) << " wall_seconds=" << wall_s
              << " converged_ms=" << (r.converged_us < 0 ? -1 : r.converged_us / 1000)
              << " ops=" << r.ops << " ops_ok=" << r.ops_ok
              << " lost_writes_allowed=" << r.lost_writes_allowed
              << " unavailable_ms=" << r.unavailable_us / 1000
              << " probes_hit=" << r.ProbesHit();
    if (!r.known_weaknesses.empty()) std::cout << " known_weaknesses=" << r.known_weaknesses.size();
    if (run_id >= 0) std::cout << " run_id=" << run_id << " db=" << o.db;
    if (!determinism.empty()) std::cout << " determinism=" << determinism;
    std::cout << "\n";
  }
  return code;
}

}  // namespace slotsim
