#include "explore/plan.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iterator>
#include <map>
#include <tuple>

#include "engine/check.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"

namespace slotsim {
namespace {

namespace gen = rc::gen;
using Kind = PlannedFault::Kind;

// Nodes a fault may target: every member (node i of the topology).
rc::Gen<std::vector<int>> GenSide(int nodes) {
  return gen::exec([nodes] {
    std::vector<int> side_a, side_b;
    // One random bit per node: groups of any shape, including a lone node
    // and the half-and-half split of the two-node split-brain.
    for (int n = 0; n < nodes; ++n) (*gen::arbitrary<bool>() ? side_a : side_b).push_back(n);
    return side_a;
  });
}

// Every fault kind with its weight when enabled: weighted toward the
// faults that break clusters most often.
constexpr std::pair<Kind, unsigned> kFaultWeights[] = {
    {Kind::kPartition, 5}, {Kind::kCrash, 3},      {Kind::kPause, 2},
    {Kind::kFailover, 2},  {Kind::kClog, 1},       {Kind::kClockJump, 1},
    {Kind::kSlowFsync, 1}, {Kind::kReset, 1},      {Kind::kClockDrift, 1},
};
// The disk profile's extra kinds, drawn after the others.
constexpr std::pair<Kind, unsigned> kDiskFaultWeights[] = {
    {Kind::kDiskFault, 4},
    {Kind::kTornCrash, 2},
};

rc::Gen<PlannedFault> GenFault(int primaries, int nodes, int64_t node_timeout_ms,
                              std::vector<std::pair<unsigned, Kind>> kinds) {
  return gen::exec([=] {
    PlannedFault f;
    unsigned total = 0;
    for (const auto& [w, k] : kinds) total += w;
    unsigned pick = *gen::inRange<unsigned>(0, total);
    for (const auto& [w, k] : kinds) {
      if (pick < w) {
        f.kind = k;
        break;
      }
      pick -= w;
    }
    f.start_ms = *gen::inRange<int64_t>(0, kPlanFaultWindowMs / kPlanFaultGridMs) * kPlanFaultGridMs;
    // From a blip to well past node_timeout (enough for a failover).
    f.duration_ms = *gen::inRange<int64_t>(1, 13) * node_timeout_ms / 4;
    f.node = *gen::inRange(0, nodes);
    switch (f.kind) {
      case Kind::kPartition:
      case Kind::kClog:
      case Kind::kReset: {
        std::vector<int> a = *GenSide(nodes);
        if (a.empty() || static_cast<int>(a.size()) == nodes) {
          // Degenerate split: isolate the chosen node instead.
          a = {f.node};
        }
        for (int n = 0; n < nodes; ++n)
          (std::find(a.begin(), a.end(), n) != a.end() ? f.side_a : f.side_b).push_back(n);
        f.one_way = f.kind != Kind::kReset && *gen::weightedElement<bool>({{4, false}, {1, true}});
        if (f.kind == Kind::kClog) f.amount = *gen::inRange<int64_t>(1, 21) * 100;
        break;
      }
      case Kind::kClockJump:
        f.amount = *gen::element<int64_t>(-30000, -5000, -1000, 1000, 5000, 30000);
        break;
      case Kind::kSlowFsync:
        f.amount = *gen::element<int64_t>(50, 500, 2000);
        break;
      case Kind::kClockDrift:
        f.amount = *gen::element<int64_t>(-500000, -100000, 100000, 500000);
        break;
      case Kind::kDiskFault:
        f.amount = *gen::weightedElement<int64_t>({{2, 0}, {2, 1}, {1, 2}, {1, 3}});
        f.once = f.amount < 2 && *gen::arbitrary<bool>();
        // fsyncgate's shape: the power goes while fsyncs (writes) fail.
        f.power_loss = f.amount < 2 && !f.once && *gen::arbitrary<bool>();
        if (f.amount == 2) f.free_bytes = *gen::element<int64_t>(0, 1024, 65536);
        break;
      case Kind::kFailover:
        // A replica, when there are any (a primary answers with an error).
        if (nodes > primaries) f.node = *gen::inRange(primaries, nodes);
        // TAKEOVER (no election, no consensus) is the riskiest: weighted up.
        f.failover_mode = *gen::weightedElement<int>({{1, 0}, {1, 1}, {2, 2}});
        break;
      default:
        break;
    }
    // Faults that land together are where races live (two TAKEOVERs in
    // one millisecond collide on configEpoch): a third of the faults reuse
    // the previous fault's start (resolved in PlanToScenario).
    if (*gen::weightedElement<bool>({{2, false}, {1, true}})) f.start_ms = -1;
    return f;
  });
}

rc::Gen<PlannedMigration> GenMigration(int primaries, const PlanProfile& profile) {
  return gen::exec([primaries, profile] {
    PlannedMigration m;
    m.from = *gen::inRange(0, primaries);
    m.to = (m.from + *gen::inRange(1, primaries)) % primaries;
    m.count = *gen::inRange(1, 65);
    m.atomic = !profile.native_migrations ||
               (profile.atomic_migrations && *gen::arbitrary<bool>());
    return m;
  });
}

// An aimed fault (plan.h AimedFault). Weighted toward the vote: a voter
// that dies between granting and saving is the classic double vote.
rc::Gen<AimedFault> GenAimed(const Plan& p, const PlanProfile& profile) {
  return gen::exec([p, profile] {
    AimedFault a;
    using K = AimedFault::Kind;
    a.kind = *gen::weightedElement<K>(
        {{3, K::kAfterProbe}, {2, K::kPrimariesAtOnce}, {1, K::kHandoffRestart}});
    a.start_ms = *gen::inRange<int64_t>(0, kPlanFaultWindowMs / kPlanFaultGridMs) * kPlanFaultGridMs;
    a.pause = !profile.crashes || *gen::weightedElement<bool>({{3, false}, {1, true}});
    a.node = *gen::inRange(0, p.nodes());
    switch (a.kind) {
      case K::kAfterProbe: {
        constexpr int kProbes = static_cast<int>(std::size(kAimedProbes));
        a.probe = *gen::weightedElement<int>({{4, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5},
                                               {1, 6}, {1, 7}, {1, 8}});
        SLOTSIM_CHECK(a.probe < kProbes);
        // Past the next side effect too: a vote's save is write, sync,
        // rename, sync dir, then the ACK.
        a.side_effect = *gen::weightedElement<int>({{3, 1}, {1, 2}, {1, 3}, {1, 4}, {1, 5}});
        a.duration_ms = *gen::inRange<int64_t>(1, 13) * p.node_timeout_ms / 4;
        a.cause = *gen::inRange(0, 5);
        // Past 2 x node_timeout: PFAIL, FAIL, then the replica's election.
        a.cause_ms = *gen::inRange<int64_t>(8, 13) * p.node_timeout_ms / 4;
        break;
      }
      case K::kPrimariesAtOnce:
        a.count = *gen::weightedElement<int>({{3, 2}, {1, 3}});
        // Past node_timeout, so that each shard's replicas run elections.
        a.duration_ms = *gen::inRange<int64_t>(5, 13) * p.node_timeout_ms / 4;
        break;
      case K::kHandoffRestart:
        a.migration = *gen::inRange(0, kPlanMaxMigrations);
        a.node = *gen::inRange(0, 2);  // source or target
        // Back within node_timeout, before any failover: the maintenance
        // window's later migrations name their source by index, and a
        // failover would leave it without slots (explore faults seed 239).
        a.duration_ms = *gen::inRange<int64_t>(1, 4) * p.node_timeout_ms / 4;
        break;
    }
    return a;
  });
}

using BusySpans = std::map<int, std::vector<std::pair<int64_t, int64_t>>>;

// Claims [from, to] on `node` for a process fault; false if another one
// holds the node then (crashing a crashed node is not a valid step).
bool ClaimNode(BusySpans* busy, int node, int64_t from, int64_t to) {
  auto& spans = (*busy)[node];
  for (auto [a, b] : spans)
    if (from <= b && a <= to) return false;
  spans.push_back({from, to});
  return true;
}

// The aimed faults' steps. Triggered ones (after_probe, during_migration)
// are optional, since the moment they wait for may never come in this
// plan, and undo themselves relative to when they fired.
void AddAimedSteps(const Plan& plan, const std::vector<int64_t>& migration_at,
                   int64_t window_start, int64_t liveness_from, BusySpans* busy,
                   const std::function<void(int64_t, int, scenario::Step)>& add) {
  auto process = [](scenario::Step* st, int node, bool pause) {
    if (pause) st->set_pause(node);
    else st->set_crash(node);
  };
  for (const AimedFault& a : plan.aimed) {
    const int64_t at = window_start + a.start_ms;
    scenario::Step st;
    switch (a.kind) {
      case AimedFault::Kind::kAfterProbe: {
        const std::string_view probe = kAimedProbes[a.probe];
        // The provoking pause of primary c, then the aimed node: a voter
        // (another primary) for a vote, c itself for the UPDATE it gets
        // back, anyone else for the rest.
        const int c = a.cause % plan.primaries;
        const int64_t pause_max = liveness_from - window_start - 2 * kPlanAimWithinMs;
        if (pause_max < 1) continue;
        const int64_t pause_ms = std::clamp<int64_t>(a.cause_ms, 1, pause_max);
        const int64_t begin = std::min(at, liveness_from - pause_ms - 2 * kPlanAimWithinMs);
        int node = a.node % plan.nodes();
        if (probe == "vote-granted") {
          if (plan.primaries < 2) continue;
          node = (c + 1 + a.node % (plan.primaries - 1)) % plan.primaries;
        } else if (probe == "update-applied") {
          node = c;
        } else if (node == c) {
          node = (node + 1) % plan.nodes();
        }
        // UPDATEs come once the paused primary is back; the rest while
        // it is away. The fault may land until from + within, the undo
        // follows: both before the liveness phase.
        const bool after_resume = probe == "update-sent" || probe == "update-applied";
        const int64_t from = after_resume ? begin + pause_ms : begin;
        const int64_t within = std::max(kPlanAimWithinMs, (liveness_from - from) * 2 / 3);
        const int64_t undo = std::min(std::max<int64_t>(a.duration_ms, 1), liveness_from - from - within);
        if (undo < 1 || !ClaimNode(busy, c, begin, begin + pause_ms - 1)) continue;
        if (!ClaimNode(busy, node, from, from + within + undo)) {
          (*busy)[c].pop_back();
          continue;
        }
        scenario::Step cause_step, resume;
        cause_step.set_pause(c);
        resume.set_resume(c);
        add(begin, 1, cause_step);
        add(begin + pause_ms, 0, resume);
        process(&st, node, a.pause);
        st.mutable_after_probe()->set_probe(std::string(probe));
        st.mutable_after_probe()->set_side_effect(std::max(1, a.side_effect));
        st.mutable_after_probe()->set_within_ms(within);
        st.set_undo_after_ms(undo);
        st.set_optional(true);
        add(from, 1, st);
        break;
      }
      case AimedFault::Kind::kPrimariesAtOnce: {
        const int64_t end = std::min(at + std::max<int64_t>(a.duration_ms, 1), liveness_from);
        for (int k = 0; k < a.count && k < plan.primaries; ++k) {
          const int node = (a.node + k) % plan.primaries;
          if (!ClaimNode(busy, node, at, end)) continue;
          scenario::Step fault, back;
          process(&fault, node, a.pause);
          if (a.pause) back.set_resume(node);
          else back.set_restart(node);
          add(at, 1, fault);
          add(end, 0, back);
        }
        break;
      }
      case AimedFault::Kind::kHandoffRestart: {
        if (a.migration >= static_cast<int>(migration_at.size()) || migration_at[a.migration] < 0)
          continue;
        const PlannedMigration& m = plan.migrations[a.migration];
        if (!m.atomic) continue;
        const int node = a.node == 0 ? m.from : m.to;
        const int64_t t = migration_at[a.migration];
        // The trigger waits up to 10 s (the runner's poll limit).
        if (!ClaimNode(busy, node, t, t + 10000 + a.duration_ms)) continue;
        process(&st, node, a.pause);
        st.set_during_migration(true);
        st.set_migration_moment(scenario::ATOMIC_HANDOFF);
        st.set_undo_after_ms(std::max<int64_t>(a.duration_ms, 1));
        st.set_optional(true);
        add(t, 1, st);
        break;
      }
    }
  }
}

}  // namespace

bool ProfileByName(const std::string& name, PlanProfile* out) {
  if (name == "faults") *out = PlanProfile{};
  else if (name == "migration") *out = PlanProfile{true, true, false};
  else if (name == "all") *out = PlanProfile{true, true, true};
  else if (name == "disk") {
    *out = PlanProfile{};
    out->disk_faults = true;
  }
  else return false;
  return true;
}

rc::Gen<Plan> GenPlan(const PlanProfile& profile) {
  // Plans are drawn at the nominal size whatever size RapidCheck asks for:
  // a small size would shrink every range (inRange scales with size).
  return gen::resize(rc::kNominalSize, gen::exec([profile] {
    Plan p;
    p.primaries = *gen::inRange(2, 6);
    p.replicas_per_primary = *gen::weightedElement<int>({{1, 0}, {3, 1}, {1, 2}});
    p.node_timeout_ms = *gen::element<int64_t>(2000, 5000);
    p.appendonly = profile.disk_faults || *gen::arbitrary<bool>();
    p.appendfsync_always = p.appendonly && *gen::arbitrary<bool>();
    p.clients = *gen::inRange(1, 5);
    p.ops_per_sec = *gen::inRange(1, 6) * 100;
    p.keyspace = *gen::inRange(1, 11) * 200;
    p.wait = p.replicas_per_primary > 0 && *gen::arbitrary<bool>();
    if (profile.native_migrations || profile.atomic_migrations)
      p.migrations = *gen::resize(
          kPlanMaxMigrations,
          gen::container<std::vector<PlannedMigration>>(
              gen::resize(rc::kNominalSize, GenMigration(p.primaries, profile))));
    // Swarm testing: each plan enables a random subset of the fault kinds,
    // so that some plans pile up many faults of few kinds (eight failovers
    // make two TAKEOVERs in one millisecond likely; a full mix rarely does).
    std::vector<std::pair<unsigned, Kind>> kinds;
    for (const auto& [kind, weight] : kFaultWeights) {
      if (kind == Kind::kCrash && !profile.crashes) continue;
      if (*gen::arbitrary<bool>()) kinds.push_back({weight, kind});
    }
    if (profile.disk_faults)
      for (const auto& [kind, weight] : kDiskFaultWeights)
        if (*gen::arbitrary<bool>()) kinds.push_back({weight, kind});
    if (kinds.empty()) kinds.push_back({1, Kind::kPartition});
    // The size bounds the number of faults only: RapidCheck scales
    // inRange by size, so the elements get the full nominal size.
    p.faults = *gen::resize(kPlanMaxFaults,
                            gen::container<std::vector<PlannedFault>>(gen::resize(
                                rc::kNominalSize, GenFault(p.primaries, p.nodes(),
                                                           p.node_timeout_ms, kinds))));
    // Last, so that every draw above is the same with or without them.
    if (profile.aimed && *gen::weightedElement<bool>({{1, false}, {1, true}})) {
      p.aimed = *gen::resize(kPlanMaxAimed,
                             gen::container<std::vector<AimedFault>>(
                                 gen::resize(rc::kNominalSize, GenAimed(p, profile))));
      // Two elections at once need a majority left after two or three
      // primaries fail, and replicas to run them; the election an
      // after_probe fault provokes needs a majority left after one.
      for (const auto& a : p.aimed) {
        const int at_least = a.kind == AimedFault::Kind::kPrimariesAtOnce ? 5
                             : a.kind == AimedFault::Kind::kAfterProbe    ? 3
                                                                          : 0;
        if (at_least == 0) continue;
        p.primaries = std::max(p.primaries, at_least);
        p.replicas_per_primary = std::max(p.replicas_per_primary, 1);
      }
    }
    return p;
  }));
}

rc::Shrinkable<Plan> PlanForSeed(uint64_t seed, const PlanProfile& profile) {
  return GenPlan(profile)(rc::Random(seed), rc::kNominalSize);
}

scenario::Scenario PlanToScenario(const Plan& plan, const std::string& name) {
  SLOTSIM_CHECK(plan.primaries >= 1 && plan.nodes() >= 2);
  scenario::Scenario s;
  s.set_name(name);
  s.set_description("generated by slotsim explore");
  auto* topo = s.mutable_topology();
  topo->set_primaries(plan.primaries);
  topo->set_replicas_per_primary(plan.replicas_per_primary);
  auto* engine = s.mutable_engine();
  engine->set_node_timeout_ms(plan.node_timeout_ms);
  engine->set_appendonly(plan.appendonly);
  if (plan.appendonly && plan.appendfsync_always)
    engine->set_appendfsync(scenario::EngineSettings::ALWAYS);
  auto* w = s.mutable_workload();
  w->set_clients(plan.clients);
  w->set_ops_per_sec(plan.ops_per_sec);
  w->set_keyspace(plan.keyspace);
  if (plan.wait) w->set_wait_replicas(plan.replicas_per_primary);
  // Every operation the data checkers model, deletes included.
  auto* mix = w->mutable_mix();
  mix->set_get(30);
  mix->set_set(25);
  mix->set_incr(10);
  mix->set_hset(10);
  mix->set_hget(10);
  mix->set_del(8);
  mix->set_hdel(7);

  // Maintenance window: one migration at a time.
  int64_t t = kPlanFirstMigrationMs;
  // When each planned migration starts (-1: dropped), for aimed faults.
  std::vector<int64_t> migration_at(plan.migrations.size(), -1);
  for (size_t mi = 0; mi < plan.migrations.size(); ++mi) {
    const auto& m = plan.migrations[mi];
    if (m.from == m.to || m.from >= plan.primaries || m.to >= plan.primaries) continue;
    migration_at[mi] = t;
    auto* st = s.add_steps();
    st->set_at_ms(t);
    st->mutable_migrate()->set_from(m.from);
    st->mutable_migrate()->set_to(m.to);
    st->mutable_migrate()->set_count(m.count);
    st->mutable_migrate()->set_mode(m.atomic ? scenario::ATOMIC : scenario::NATIVE);
    t += kPlanMigrationSlotMs;
  }
  const int64_t window_start = std::max<int64_t>(t, kPlanFirstMigrationMs + 2000);
  const int64_t liveness_from = window_start + kPlanFaultWindowMs;

  // Fault and undo steps, ordered by (time, undo first, plan order) so
  // that a heal at time t never cancels a partition that starts at t.
  struct Timed {
    int64_t at;
    int undo;  // 0: undo, 1: fault
    int order;
    scenario::Step step;
  };
  std::vector<Timed> timed;
  // When each node is busy (crashed or paused) so that overlapping
  // process faults on one node are dropped instead of made invalid.
  BusySpans busy;
  std::map<int, std::vector<int64_t>> takeovers;  // per shard: TAKEOVER times
  int64_t previous_start = 0;
  int order = 0;
  bool healable = false;
  for (const auto& f : plan.faults) {
    const int64_t start = window_start + (f.start_ms < 0 ? previous_start : f.start_ms);
    previous_start = start - window_start;
    const int64_t end = std::min(start + std::max<int64_t>(f.duration_ms, 1), liveness_from);
    auto add = [&](int64_t at, int undo, scenario::Step st) {
      st.set_at_ms(at);
      timed.push_back({at, undo, order++, std::move(st)});
    };
    auto sides = [&](auto* m) {
      for (int n : f.side_a)
        if (n < plan.nodes()) m->add_side_a(n);
      for (int n : f.side_b)
        if (n < plan.nodes()) m->add_side_b(n);
      return m->side_a_size() > 0 && m->side_b_size() > 0;
    };
    if (f.node >= plan.nodes()) continue;
    scenario::Step st, undo;
    switch (f.kind) {
      case Kind::kPartition:
        if (!sides(st.mutable_partition())) continue;
        st.mutable_partition()->set_one_way(f.one_way);
        undo.set_heal(true);
        healable = true;
        break;
      case Kind::kClog:
        if (!sides(st.mutable_clog())) continue;
        st.mutable_clog()->set_one_way(f.one_way);
        st.mutable_clog()->set_extra_ms(std::max<int64_t>(f.amount, 1));
        undo.set_heal(true);
        healable = true;
        break;
      case Kind::kReset:
        if (!sides(st.mutable_reset())) continue;
        break;
      case Kind::kDiskFault:
      case Kind::kTornCrash:
      case Kind::kCrash:
      case Kind::kPause: {
        // A disk fault may make the node exit (a failed fsync under
        // always, a config it cannot save): it holds the node like a
        // crash, and its undo is a restart in case it did.
        auto& spans = busy[f.node];
        bool overlaps = false;
        for (auto [a, b] : spans) overlaps |= start <= b && a <= end;
        if (overlaps) continue;
        spans.push_back({start, end});
        if (f.kind == Kind::kDiskFault) {
          auto* d = st.mutable_disk_fault();
          d->set_node(f.node);
          d->set_duration_ms(std::max<int64_t>(end - start, 1));
          d->set_kind(f.amount == 0   ? scenario::DiskFault::WRITE_ERROR
                      : f.amount == 1 ? scenario::DiskFault::FSYNC_ERROR
                      : f.amount == 2 ? scenario::DiskFault::DISK_FULL
                                      : scenario::DiskFault::READ_ERROR);
          d->set_once(f.once && f.amount < 2);
          if (f.amount == 2) d->set_free_bytes(std::max<int64_t>(f.free_bytes, 0));
          // Mid-fault: a power loss (EIO on writes or fsyncs), or a crash
          // and a restart that meets the unreadable disk (reads). Optional:
          // the node may have exited already, or not be down to restart.
          const int64_t mid = start + (end - start) / 2;
          if (mid > start && (f.amount == 3 || (f.amount < 2 && f.power_loss))) {
            scenario::Step crash;
            crash.set_crash(f.node);
            crash.set_optional(true);
            if (f.amount == 3) {
              add(start, 1, crash);
              scenario::Step restart;
              restart.set_restart(f.node);
              restart.set_optional(true);
              add(mid, 1, restart);
            } else {
              add(mid, 1, crash);
            }
          }
          undo.set_restart(f.node);
          undo.set_optional(true);
        } else if (f.kind == Kind::kCrash || f.kind == Kind::kTornCrash) {
          if (f.kind == Kind::kCrash) st.set_crash(f.node);
          else st.set_crash_torn_write(f.node);
          undo.set_restart(f.node);
        } else {
          st.set_pause(f.node);
          undo.set_resume(f.node);
        }
        break;
      }
      case Kind::kClockJump:
        if (f.amount == 0) continue;
        st.mutable_clock_jump()->set_node(f.node);
        st.mutable_clock_jump()->set_delta_ms(f.amount);
        break;
      case Kind::kSlowFsync:
        if (f.amount <= 0) continue;
        st.mutable_slow_fsync()->set_node(f.node);
        st.mutable_slow_fsync()->set_latency_ms(f.amount);
        undo.mutable_slow_fsync()->set_node(f.node);
        undo.mutable_slow_fsync()->set_latency_ms(0);
        break;
      case Kind::kClockDrift:
        if (f.amount == 0) continue;
        st.mutable_clock_drift()->set_node(f.node);
        st.mutable_clock_drift()->set_ppm(f.amount);
        undo.mutable_clock_drift()->set_node(f.node);
        undo.mutable_clock_drift()->set_ppm(0);
        break;
      case Kind::kFailover: {
        // Two TAKEOVERs in one shard within node_timeout make two primaries
        // of the same slots with the same configEpoch: an operator's
        // deliberate bypass of consensus (CLUSTER FAILOVER TAKEOVER), which
        // no engine can make safe, so plans leave it out. Across shards
        // it stays: that is the epoch collision the engine must resolve.
        const int shard = f.node < plan.primaries ? f.node
                                                  : (f.node - plan.primaries) % plan.primaries;
        if (f.failover_mode == scenario::ManualFailover::TAKEOVER) {
          auto& times = takeovers[shard];
          bool close = false;
          for (int64_t other : times) close |= std::abs(other - start) < plan.node_timeout_ms;
          if (close) continue;
          times.push_back(start);
        }
        st.mutable_failover()->set_node(f.node);
        st.mutable_failover()->set_mode(
            static_cast<scenario::ManualFailover::Mode>(std::clamp(f.failover_mode, 0, 2)));
        break;
      }
    }
    add(start, 1, st);
    if (undo.action_case() != scenario::Step::ACTION_NOT_SET && !undo.heal()) add(end, 0, undo);
    if (undo.heal()) add(end, 0, undo);
  }
  AddAimedSteps(plan, migration_at, window_start, liveness_from, &busy,
                [&](int64_t at, int undo, scenario::Step st) {
                  st.set_at_ms(at);
                  timed.push_back({at, undo, order++, std::move(st)});
                });
  // The heal at the liveness phase's start, in case a later fault's heal
  // got dropped; harmless when nothing is cut.
  if (healable) {
    scenario::Step st;
    st.set_heal(true);
    st.set_at_ms(liveness_from);
    timed.push_back({liveness_from, 0, order++, st});
  }
  std::stable_sort(timed.begin(), timed.end(), [](const Timed& a, const Timed& b) {
    return std::tie(a.at, a.undo, a.order) < std::tie(b.at, b.undo, b.order);
  });
  // Drop heals that follow another heal with no fault in between.
  bool last_was_heal = false;
  for (auto& x : timed) {
    if (x.step.heal() && last_was_heal) continue;
    last_was_heal = x.step.heal();
    *s.add_steps() = std::move(x.step);
  }
  s.mutable_phases()->set_liveness_from_ms(liveness_from);
  // Time to notice (node_timeout), elect and spread the result, with room
  // for a restarted node to rejoin and for the workload to find it.
  s.set_convergence_bound_ms(3 * plan.node_timeout_ms + 15000);
  // A wall clock set back stretches Redis's timers and the bound with
  // them (runner's WallClockSetBackUs): the run must outlast the bound.
  const int64_t set_back_ms =
      WallClockSetBackUs(s, (liveness_from + s.convergence_bound_ms()) * 1000) / 1000;
  s.set_duration_ms(liveness_from + s.convergence_bound_ms() + set_back_ms + 5000);
  return s;
}

int CountFaultSteps(const scenario::Scenario& s) {
  int n = 0;
  for (const auto& st : s.steps()) n += IsFaultStep(st) ? 1 : 0;
  return n;
}

void showValue(const Plan& plan, std::ostream& os) {
  std::string text;
  google::protobuf::TextFormat::PrintToString(PlanToScenario(plan, "counterexample"), &text);
  os << text;
}

}  // namespace slotsim
