// `slotsim explore`: a swarm search. Each seed draws its own topology,
// knobs, migrations and fault schedule (explore/plan.h), runs it in a
// child process (so that an engine crash is a finding, not the end of the
// search), and the first failing seed is shrunk to a scenario file.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/process_pool.h"
#include "explore/coverage.h"
#include "explore/explore.h"
#include "scenarios/loader.h"

namespace slotsim {
namespace {

nlohmann::json VerdictJson(const Verdict& v) {
  return {{"failed", v.failed},
          {"violation", v.violation},
          {"message", v.message},
          {"probes", v.probes},
          {"known_weakness", v.known_weakness}};
}

// A child that died without a verdict crashed: that is a finding with
// violation "crash".
Verdict VerdictOf(const ChildResult& r) {
  Verdict v;
  if (r.ok && r.reply.is_object()) {
    v.failed = r.reply.value("failed", true);
    v.violation = r.reply.value("violation", "");
    v.message = r.reply.value("message", "");
    v.probes = r.reply.value("probes", std::vector<std::string>{});
    v.known_weakness = r.reply.value("known_weakness", "");
    return v;
  }
  v.failed = true;
  v.violation = "crash";
  v.message = r.ok ? "unreadable reply" : r.death;
  return v;
}

// Judges scenarios `jobs` at a time, each in its own child process.
BatchJudge ForkedBatch(int jobs, std::vector<std::string> bugs) {
  return [jobs, bugs = std::move(bugs)](const std::vector<scenario::Scenario>& scenarios,
                                        uint64_t seed) {
    std::vector<Verdict> out(scenarios.size());
    ProcessPool pool(jobs, [&](uint64_t i, const ChildResult& r) { out[i] = VerdictOf(r); });
    for (size_t i = 0; i < scenarios.size(); ++i)
      pool.Start(i, [&, i] { return VerdictJson(JudgeInProcess(scenarios[i], seed, bugs)); });
    pool.WaitAll();
    return out;
  };
}

std::string Elapsed(std::chrono::steady_clock::time_point since) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
  return buf;
}

}  // namespace

int ExploreCommand(const ExploreCommandOptions& o) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  const int jobs = std::max(1, o.jobs);
  PlanProfile profile;
  if (!ProfileByName(o.profile, &profile)) {
    std::cerr << "slotsim explore: unknown --profile " << o.profile << " (expected "
              << kProfileNames << ")\n";
    return kExitUsage;
  }
  profile.aimed = !o.no_aimed;
  if (o.show_seed >= 0) {
    const uint64_t seed = static_cast<uint64_t>(o.show_seed);
    std::cout << RenderPlan(PlanForSeed(seed, profile).value(), seed).text;
    return kExitPass;
  }
  const uint64_t last_seed = o.first_seed + o.seeds - 1;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    std::cerr << "slotsim explore: cannot create --out directory " << o.out_dir << ": "
              << ec.message() << "\n";
    return kExitUsage;
  }

  // The search: seeds in order, up to `jobs` at once. After the first
  // failure no new seed starts; the lowest failing seed wins, which is the
  // same seed whatever `jobs` is (every lower seed has run).
  std::map<uint64_t, Verdict> failures;
  // Passing seeds where a known weakness of Redis 7.0 showed (the all
  // profile's power losses during native resharding): seed -> checker id.
  std::map<uint64_t, std::string> known_weaknesses;
  ProbeCoverage coverage;
  uint64_t next_seed = o.first_seed;
  int64_t explored = 0;
  auto out_of_time = [&] {
    return o.time_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
               o.time_seconds;
  };
  auto progress = [&](bool final_line) {
    const std::string line = "explored " + std::to_string(explored) +
                             (o.time_seconds > 0 ? "" : "/" + std::to_string(o.seeds)) +
                             " seeds, " + std::to_string(failures.size()) + " failing, " +
                             Elapsed(start);
    if (tty) std::cerr << "\r" << line << (final_line ? "\n" : "") << std::flush;
    else if (final_line != (explored % 50 == 0)) std::cerr << line << "\n";
  };
  const std::vector<std::string> bugs = o.injected_bugs;
  ProcessPool pool(jobs, [&](uint64_t seed, const ChildResult& r) {
    const Verdict v = VerdictOf(r);
    explored++;
    coverage.AddSeed(seed, v.probes);
    if (v.failed) failures.emplace(seed, v);
    if (!v.failed && !v.known_weakness.empty()) known_weaknesses.emplace(seed, v.known_weakness);
    progress(false);
  });
  for (;;) {
    const bool stop_launching = (!o.keep_going && !failures.empty()) || out_of_time() ||
                                (o.time_seconds <= 0 && next_seed > last_seed);
    while (!stop_launching && static_cast<int>(pool.running()) < jobs &&
           (o.time_seconds > 0 || next_seed <= last_seed)) {
      const uint64_t seed = next_seed++;
      if (o.exclude_seeds.count(seed)) continue;
      pool.Start(seed, [seed, &bugs, &profile] {
        const Plan plan = PlanForSeed(seed, profile).value();
        return VerdictJson(JudgeInProcess(RenderPlan(plan, seed).scenario, seed, bugs));
      });
    }
    if (!pool.WaitOne()) break;
  }
  progress(true);

  nlohmann::json summary = {{"seeds_explored", explored},
                            {"failing_seeds", failures.size()},
                            {"wall_seconds", std::chrono::duration<double>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count()}};
  // Coverage of the seeds explored (shrink runs are not counted).
  nlohmann::json probes_json = nlohmann::json::object();
  nlohmann::json unreached_json = nlohmann::json::array();
  for (const auto& info : kProbes) {
    const auto first = coverage.FirstSeed(info.probe);
    probes_json[std::string(info.name)] = {
        {"seeds", coverage.SeedsHitting(info.probe)},
        {"first_seed", first ? nlohmann::json(*first) : nlohmann::json(nullptr)}};
  }
  for (Probe p : coverage.Unreached()) unreached_json.push_back(std::string(ProbeName(p)));
  // Every failing seed with its first violation (--keep-going finds more
  // than one), the lowest first; at most kFailuresListedMax of them.
  constexpr size_t kFailuresListedMax = 1000;
  nlohmann::json failing = nlohmann::json::array();
  for (const auto& [s, v] : failures) {
    if (failing.size() >= kFailuresListedMax) break;
    failing.push_back({{"seed", s}, {"violation", v.violation}});
  }
  summary["failures"] = failing;
  nlohmann::json known = nlohmann::json::array();
  for (const auto& [s, id] : known_weaknesses) {
    if (known.size() >= kFailuresListedMax) break;
    known.push_back({{"seed", s}, {"checker", id}});
  }
  summary["known_weakness_seeds"] = known_weaknesses.size();
  summary["known_weaknesses"] = known;
  summary["probes_reached"] = coverage.Reached();
  summary["probes"] = probes_json;
  summary["probes_unreached"] = unreached_json;
  // With --json, stdout carries the one JSON object and nothing else.
  std::ostream& human = o.json ? std::cerr : std::cout;
  if (o.probes) human << coverage.Report();
  if (!known_weaknesses.empty())
    human << known_weaknesses.size() << " passing seed(s) showed a known weakness of Redis 7.0 "
          << "(allowed, not a violation; e.g. seed " << known_weaknesses.begin()->first << ": "
          << known_weaknesses.begin()->second << "; `slotsim run` prints it)\n";
  else
    human << "probes: " << coverage.Reached() << " of " << kProbeCount
              << " reached by some seed (--probes lists each with its seeds)\n";
  if (failures.empty()) {
    human << "no violation in " << explored << " seeds (" << o.first_seed << ".."
              << next_seed - 1 << ")"
              << (bugs.empty() ? "" : " with injected bugs")
              << (o.exclude_seeds.empty()
                      ? ""
                      : ", " + std::to_string(o.exclude_seeds.size()) + " seeds excluded")
              << ", " << Elapsed(start) << "\n";
    if (o.json) std::cout << summary.dump() << "\n";
    return kExitPass;
  }

  // Shrink the lowest failing seed.
  const auto& [seed, verdict] = *failures.begin();
  human << "seed " << seed << " fails: " << verdict.violation << ": " << verdict.message
            << "\n";
  Finding f;
  f.seed = seed;
  f.verdict = verdict;
  const rc::Shrinkable<Plan> tree = PlanForSeed(seed, profile);
  f.original_fault_steps = CountFaultSteps(RenderPlan(tree.value(), seed).scenario);
  if (o.shrink_runs > 0) {
    std::cerr << "shrinking (at most " << o.shrink_runs << " runs)...\n";
    f.shrink = ShrinkPlan(tree, seed, verdict.violation, ForkedBatch(jobs, bugs), jobs,
                          o.shrink_runs, [&](const ShrinkResult& r) {
                            std::cerr << "  " << r.runs << " runs: "
                                      << CountFaultSteps(RenderPlan(r.plan, seed).scenario)
                                      << " fault steps, " << Elapsed(start) << "\n";
                          });
  } else {
    f.shrink.plan = tree.value();
  }
  const PlanScenario shrunk = RenderPlan(f.shrink.plan, seed);
  f.fault_steps = CountFaultSteps(shrunk.scenario);
  const std::string path = (fs::path(o.out_dir) / ("explore-seed-" + std::to_string(seed) +
                                                   ".textproto")).string();
  f.file_text = FindingFileText(f, path, bugs, shrunk.text);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << f.file_text;
    out.flush();
    if (!out) {
      std::cerr << "slotsim explore: cannot write " << path << "\n";
      return kExitUsage;
    }
  }
  // The file must reproduce on its own, through the loader, as printed.
  LoadResult reloaded = ParseScenario(path, f.file_text);
  if (!reloaded.ok) {
    std::cerr << "slotsim explore: the written file does not load: " << reloaded.error << "\n";
    return kExitCrash;
  }
  const Verdict again = ForkedBatch(1, bugs)({reloaded.scenario}, seed).front();
  const bool reproduces = again.failed && again.violation == verdict.violation;
  human << "shrunk from " << f.original_fault_steps << " to " << f.fault_steps
            << " fault steps in " << f.shrink.runs << " runs"
            << (f.shrink.exhausted ? " (budget used up)" : "") << "\n"
            << "wrote " << path << "\n"
            << "repro: " << ReproCommandFor(path, seed, bugs) << "\n"
            << (reproduces ? "reproduced from the file: " + again.violation
                           : "WARNING: the written file did not reproduce (got " +
                                 (again.failed ? again.violation : std::string("pass")) + ")")
            << "\n";
  if (o.json) {
    summary["finding"] = {{"seed", seed},
                          {"violation", verdict.violation},
                          {"message", verdict.message},
                          {"original_fault_steps", f.original_fault_steps},
                          {"fault_steps", f.fault_steps},
                          {"shrink_runs", f.shrink.runs},
                          {"file", path},
                          {"repro", ReproCommandFor(path, seed, bugs)},
                          {"reproduced", reproduces}};
    std::cout << summary.dump() << "\n";
  }
  return kExitViolation;
}

}  // namespace slotsim
