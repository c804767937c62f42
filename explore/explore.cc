#include "explore/explore.h"

#include <google/protobuf/text_format.h>

#include <sstream>

#include "engine/check.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {

Verdict JudgeInProcess(const scenario::Scenario& s, uint64_t seed,
                       const std::vector<std::string>& injected_bugs) {
  RunOptions o;
  o.seed = seed;
  o.injected_bugs = injected_bugs;
  RunResult r = RunScenario(s, o);
  Verdict v;
  for (const auto& info : kProbes)
    if (r.probe_hits[static_cast<size_t>(info.probe)] > 0) v.probes.emplace_back(info.name);
  v.failed = !OutcomeSucceeded(r.outcome);
  if (!r.known_weaknesses.empty()) v.known_weakness = r.known_weaknesses.front().id;
  if (v.failed && !r.violations.empty()) {
    v.violation = r.violations.front().id;
    v.message = r.violations.front().message;
  }
  return v;
}

PlanScenario RenderPlan(const Plan& plan, uint64_t seed) {
  PlanScenario out;
  const std::string name = "explore-seed-" + std::to_string(seed);
  google::protobuf::TextFormat::PrintToString(PlanToScenario(plan, name), &out.text);
  LoadResult loaded = ParseScenario(name + ".textproto", out.text);
  // The generator only makes valid plans; a loader error here is our bug.
  SLOTSIM_CHECK_MSG(loaded.ok, loaded.error.c_str());
  out.scenario = std::move(loaded.scenario);
  return out;
}

BatchJudge Sequential(Judge judge) {
  return [judge = std::move(judge)](const std::vector<scenario::Scenario>& scenarios,
                                    uint64_t seed) {
    std::vector<Verdict> out;
    out.reserve(scenarios.size());
    for (const auto& s : scenarios) out.push_back(judge(s, seed));
    return out;
  };
}

ShrinkResult ShrinkPlan(const rc::Shrinkable<Plan>& start, uint64_t seed,
                        const std::string& violation, const BatchJudge& judge, int batch,
                        int max_runs,
                        const std::function<void(const ShrinkResult&)>& on_step) {
  SLOTSIM_CHECK(batch >= 1 && max_runs >= 0);
  ShrinkResult result;
  rc::Shrinkable<Plan> current = start;
  result.plan = current.value();
  int current_steps = CountFaultSteps(RenderPlan(current.value(), seed).scenario);
  // Each round descends one level or ends the search; every judged
  // candidate counts against max_runs.
  for (;;) {
    rc::Seq<rc::Shrinkable<Plan>> candidates = current.shrinks();
    bool progress = false, more = true;
    while (more && !progress) {
      std::vector<rc::Shrinkable<Plan>> group;
      std::vector<scenario::Scenario> scenarios;
      while (static_cast<int>(group.size()) < batch &&
             result.runs + static_cast<int>(group.size()) < max_runs) {
        rc::Maybe<rc::Shrinkable<Plan>> next = candidates.next();
        if (!next) {
          more = false;
          break;
        }
        // RapidCheck may shrink one fault into a kind that renders as more
        // steps (a plain crash into a crash and a restart, say): such a
        // candidate is no smaller to a reader, so it is skipped unjudged.
        scenario::Scenario candidate = RenderPlan(next->value(), seed).scenario;
        if (CountFaultSteps(candidate) > current_steps) continue;
        scenarios.push_back(std::move(candidate));
        group.push_back(std::move(*next));
      }
      if (group.empty()) {
        result.exhausted = more;  // stopped by the budget, not the tree
        return result;
      }
      const std::vector<Verdict> verdicts = judge(scenarios, seed);
      SLOTSIM_CHECK(verdicts.size() == group.size());
      for (size_t i = 0; i < group.size(); ++i) {
        result.runs++;
        if (verdicts[i].failed && verdicts[i].violation == violation) {
          current = group[i];
          current_steps = CountFaultSteps(scenarios[i]);
          result.plan = current.value();
          result.accepted++;
          progress = true;
          if (on_step) on_step(result);
          break;
        }
      }
    }
    if (!progress) return result;
  }
}

std::string ReproCommandFor(const std::string& path, uint64_t seed,
                            const std::vector<std::string>& injected_bugs) {
  std::string s = "slotsim run " + path + " --seed " + std::to_string(seed);
  for (const auto& b : injected_bugs) s += " --inject-bug " + b;
  return s;
}

std::string FindingFileText(const Finding& f, const std::string& path,
                            const std::vector<std::string>& injected_bugs,
                            const std::string& scenario_text) {
  std::ostringstream os;
  os << "# Found by slotsim explore at seed " << f.seed;
  if (!injected_bugs.empty()) {
    os << " with";
    for (const auto& b : injected_bugs) os << " --inject-bug " << b;
  }
  os << ".\n# Violation " << f.verdict.violation << ": ";
  // Keep the message on comment lines.
  for (char c : f.verdict.message) os << (c == '\n' ? ' ' : c);
  os << "\n# Shrunk from " << f.original_fault_steps << " to " << f.fault_steps
     << " fault steps in " << f.shrink.runs << " runs"
     << (f.shrink.exhausted ? " (shrink budget used up; it may shrink further)" : "") << ".\n"
     << "# Reproduce: " << ReproCommandFor(path, f.seed, injected_bugs) << "\n"
     << "# The seed matters: it drives the workload, latencies and buggify.\n"
     << "# To keep it as a regression test, move it under scenarios/ with a\n"
     << "# comment on what it shows, and pin the seed with pinned_seeds.\n";
  os << scenario_text;
  return os.str();
}

}  // namespace slotsim
