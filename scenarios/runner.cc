#include "scenarios/runner.h"

#include <cstdio>
#include <memory>

#include "client/cluster_create.h"
#include "client/workload.h"
#include "engine/check.h"
#include "engine/server.h"
#include "properties/convergence.h"
#include "sim/simulation.h"

namespace slotsim {
namespace {

// How often the observer samples the ground truth for convergence.
constexpr int64_t kObservePeriodUs = 100'000;

EngineConfig NodeConfig(const scenario::Scenario& s, int i) {
  EngineConfig c;
  c.announce_ip = "127.0.0.1";
  c.port = static_cast<uint16_t>(s.topology().base_port() + i);
  c.node_timeout_ms = s.engine().node_timeout_ms();
  c.require_full_coverage = s.engine().require_full_coverage();
  c.allow_reads_when_down = s.engine().allow_reads_when_down();
  return c;
}

}  // namespace

std::string HashHex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

RunResult RunScenario(const scenario::Scenario& s, const RunOptions& options) {
  RunResult result;
  SimOptions so;
  so.seed = options.seed;
  so.buggify = options.buggify;
  so.network.link_latency_min_us = s.network().link_latency_min_us();
  so.network.link_latency_max_us = s.network().link_latency_max_us();
  so.network.jitter_mean_us = s.network().jitter_mean_us();
  Simulation sim(so);
  for (TraceSink* sink : options.sinks) sim.AddTraceSink(sink);
  sim.Record(-1, "RunStart", -1, "",
             "scenario=" + s.name() + " seed=" + std::to_string(options.seed));

  const auto& topo = s.topology();
  const int primaries = topo.primaries();
  const int nodes = primaries * (1 + topo.replicas_per_primary());
  std::vector<std::unique_ptr<Server>> servers;
  std::vector<std::string> addrs;
  for (int i = 0; i < nodes; ++i) {
    int m = sim.AddMachine("node" + std::to_string(i));
    SLOTSIM_CHECK(m == i);
    EngineConfig cfg = NodeConfig(s, i);
    addrs.push_back(cfg.announce_ip + ":" + std::to_string(cfg.port));
    servers.push_back(std::make_unique<Server>(sim.env(m), cfg));
    SLOTSIM_CHECK_MSG(servers.back()->Start(), "node port already taken");
  }

  // Admin driver: redis-cli --cluster create.
  std::unique_ptr<ClusterClient> admin;
  std::string bootstrap_error;
  if (topo.bootstrap() == scenario::Topology::CREATE) {
    int am = sim.AddMachine("admin");
    ClientOptions co;
    co.seeds = addrs;
    admin = std::make_unique<ClusterClient>(sim, am, -1, co, nullptr);
    CreateClusterPlan plan;
    plan.primaries.assign(addrs.begin(), addrs.begin() + primaries);
    plan.replicas.assign(addrs.begin() + primaries, addrs.end());
    sim.Spawn("admin-create", [&, plan] {
      bootstrap_error = RunCreateCluster(sim, *admin, plan);
      if (!bootstrap_error.empty())
        sim.Record(-1, "AdminFailed", -1, "", "error=" + bootstrap_error);
    });
  }

  // Workload.
  const auto& w = s.workload();
  WorkloadOptions wo;
  wo.clients = w.clients();
  wo.ops_per_sec = w.ops_per_sec();
  wo.keyspace = w.keyspace();
  wo.value_bytes = w.value_bytes();
  wo.mix = OpMix{w.mix().get(), w.mix().set(), w.mix().incr(),
                 w.mix().hset(), w.mix().hget(), w.mix().del()};
  wo.start_us = w.start_ms() * 1000;
  wo.end_us = w.end_ms() * 1000;
  wo.client.seeds = addrs;
  Workload workload(sim, wo, &result.history);
  workload.Start();

  // Timed steps.
  for (const auto& step : s.steps()) {
    if (step.action_case() == scenario::Step::kMark) {
      std::string mark = step.mark();
      sim.Schedule(-1, step.at_ms() * 1000,
                   [&sim, mark] { sim.Record(-1, "Mark", -1, "", "text=" + mark); });
    }
  }

  if (options.debug_crash_at_us >= 0) {
    sim.Schedule(-1, options.debug_crash_at_us, [] {
      SLOTSIM_CHECK_MSG(false, "deliberate crash (--debug-crash-at-ms)");
    });
  }

  // Observer: when does the cluster first converge?
  std::vector<const Cluster*> clusters;
  for (auto& srv : servers) clusters.push_back(&srv->cluster());
  std::function<void()> observe = [&] {
    std::string why;
    if (ClusterConverged(clusters, &why)) {
      result.converged_us = sim.now_us();
      sim.Record(-1, "Converged", -1, "", "");
      return;
    }
    sim.Schedule(-1, kObservePeriodUs, observe);
  };
  sim.Schedule(-1, kObservePeriodUs, observe);

  const int64_t end_us = s.duration_ms() * 1000;
  sim.RunUntil(end_us);
  sim.Shutdown();

  // Judge.
  const int64_t bound_us = s.convergence_bound_ms() * 1000;
  if (!bootstrap_error.empty())
    result.violations.push_back({"bootstrap-completes", bootstrap_error, end_us});
  if (result.converged_us < 0 || result.converged_us > bound_us) {
    std::string why;
    ClusterConverged(clusters, &why);
    result.violations.push_back(
        {"converged-in-time",
         "cluster did not converge within " + std::to_string(s.convergence_bound_ms()) +
             " ms" + (result.converged_us < 0 ? " (never; at the end: " + why + ")"
                                              : " (at " + std::to_string(result.converged_us / 1000) + " ms)"),
         result.converged_us < 0 ? end_us : result.converged_us});
  }
  if (result.converged_us >= 0) {
    for (auto& v : CheckOpsSucceedAfter(result.history, result.converged_us))
      result.violations.push_back(std::move(v));
  }
  for (const auto& v : result.violations)
    sim.Record(-1, "Violation", -1, "", "id=" + v.id + " message=" + v.message);

  const auto& expect = s.expect();
  if (expect.outcome() == scenario::Expect::PASS) {
    result.outcome = result.violations.empty() ? "pass" : "violation";
  } else {
    bool seen = false;
    for (const auto& v : result.violations) seen |= v.id == expect.violation();
    result.outcome = seen ? "pass" : "violation";
    if (!seen)
      result.violations.push_back({"expected-violation-missing",
                                   "expected " + expect.violation() + ", not seen",
                                   end_us});
  }
  sim.Record(-1, "RunEnd", -1, "", "outcome=" + result.outcome);

  result.sim_us = sim.now_us();
  result.events = sim.trace_events();
  result.sim_events = sim.events_processed();
  result.trace_hash = sim.trace_hash();
  for (const auto& op : result.history.ops()) {
    result.ops++;
    if (op.outcome == OpOutcome::kOk) result.ops_ok++;
  }
  return result;
}

}  // namespace slotsim
