#include "scenarios/runner.h"

#include <cstdio>
#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <set>

#include "client/cluster_admin.h"
#include "engine/check.h"
#include "engine/config.h"
#include "engine/keyslot.h"
#include "engine/probes.h"
#include "engine/trace_records.h"
#include "properties/ack_epoch_checker.h"
#include "properties/checker.h"
#include "properties/config_rollback.h"
#include "properties/convergence.h"
#include "properties/data_checker.h"
#include "properties/loss_windows.h"
#include "properties/replica_migration.h"
#include "properties/resource_check.h"
#include "scenarios/loader.h"
#include "scenarios/sim_cluster.h"

namespace slotsim {
namespace {

// How often the observer samples the ground truth for convergence.
constexpr int64_t kObservePeriodUs = 100'000;
constexpr int64_t kObserveFullEvery = 10;  // polls
// A node whose thread is busy longer than this does not count as serving
// (clients time out after a second).
constexpr int64_t kUnresponsiveUs = 200'000;
// Forgiven losses traced one by one (the count is in the run result).
constexpr size_t kLostWritesTracedMax = 1000;
// How often and how long a during_migration step polls for a migration
// moving data. The period is well under a round trip, so the fault lands
// right after data moved, before the admin's next command.
constexpr int64_t kTriggerPollUs = 100;
constexpr int kTriggerPollsMax = 100'000;  // 10 s

// A migration is moving data: some live node imports a native open slot
// and already holds keys of it, or has an atomic import that loaded keys.
bool MigrationMovingData(SimCluster& cluster) {
  for (const Server* s : cluster.LiveMembers()) {
    for (const auto& [slot, from] : s->cluster().importing_slots())
      if (s->keyspace().CountKeysInSlot(slot) > 0) return true;
    for (const auto& [id, job] : s->slot_migrations().jobs())
      if (job.role == SlotMigrationJob::Role::kImport && !job.Finished() &&
          !job.replicated_only && job.keys > 0)
        return true;
  }
  return false;
}

// An atomic migration's hand-off is in flight on some live node: END out
// (source) or in (target), no answer yet.
bool AtomicHandoffInFlight(SimCluster& cluster) {
  for (const Server* s : cluster.LiveMembers())
    for (const auto& [id, job] : s->slot_migrations().jobs())
      if (job.state == SlotMigrationJob::State::kHandoff && !job.replicated_only) return true;
  return false;
}

bool MigrationMomentNow(SimCluster& cluster, scenario::MigrationMoment moment) {
  return moment == scenario::ATOMIC_HANDOFF ? AtomicHandoffInFlight(cluster)
                                            : MigrationMovingData(cluster);
}

// How far behind its own earlier reading some node's wall clock can be
// set, by clock_jump steps back and slow clock_drift, before `until_us`:
// max over nodes and times of (highest offset so far - offset now).
// Redis keeps its cluster timers on the wall clock (mstime(): fail_time
// in clearNodeFailureIfNeeded, among_minority_time in clusterUpdateState,
// pong_received in clusterCron), so a clock set back by d delays each of
// them by d, and convergence with them (late-convergence-seed-1264).
}  // namespace

int64_t WallClockSetBackUs(const scenario::Scenario& s, int64_t until_us) {
  struct Clock {
    int64_t offset_us = 0, peak_us = 0, ppm = 0, since_us = 0;
  };
  std::map<int, Clock> clocks;
  int64_t worst = 0;
  auto advance = [&](Clock& c, int64_t to_us) {
    c.offset_us += (to_us - c.since_us) * c.ppm / 1'000'000;
    c.since_us = to_us;
    worst = std::max(worst, c.peak_us - c.offset_us);
    c.peak_us = std::max(c.peak_us, c.offset_us);
  };
  std::vector<const scenario::Step*> steps;
  for (const auto& step : s.steps()) steps.push_back(&step);
  std::stable_sort(steps.begin(), steps.end(), [](const auto* a, const auto* b) {
    return a->at_ms() < b->at_ms();  // ties in file order, as they run
  });
  for (const scenario::Step* st : steps) {
    const scenario::Step& step = *st;
    const int64_t at_us = step.at_ms() * 1000;
    if (at_us > until_us || step.during_migration()) continue;
    if (step.has_clock_jump()) {
      Clock& c = clocks[step.clock_jump().node()];
      advance(c, at_us);
      c.offset_us += step.clock_jump().delta_ms() * 1000;
      advance(c, at_us);
    } else if (step.has_clock_drift()) {
      Clock& c = clocks[step.clock_drift().node()];
      advance(c, at_us);
      c.ppm = step.clock_drift().ppm();
    }
  }
  for (auto& [node, c] : clocks) advance(c, until_us);
  return worst;
}

namespace {

// Executes one scenario step on the cluster. `cut` tracks partitioned
// pairs so that a heal can undo them all.
// What became of each admin driver step: judged at the end of the run
// ("admin-step-completes"), since a driver stuck or failed leaves the
// cluster short of what the scenario meant to test.
struct AdminSteps {
  struct Entry {
    std::string what;
    int64_t at_ms = 0;
    bool done = false;
    std::string error;
  };
  std::deque<Entry> entries;  // stable addresses for the fibers
  // Non-optional steps that never took effect ("step-fired").
  std::vector<std::string> unfired;
  Entry* Start(std::string what, int64_t at_ms) {
    entries.push_back({std::move(what), at_ms, false, ""});
    return &entries.back();
  }
};

// Runs an admin driver in its own fiber on its own client (one redis-cli
// process per step), records its outcome for "admin-step-completes" and
// traces "step=<what><extra> ok=1|0 [error=...]". `driver` returns the
// error ("" on success) and may set the extra details.
void SpawnAdminStep(SimCluster& cluster, AdminSteps* admin_steps, const std::string& what,
                    std::string fiber, int64_t at_ms, int node,
                    std::function<std::string(ClusterClient&, std::string* extra)> driver) {
  ClusterClient& client = cluster.NewAdminClient();
  AdminSteps::Entry* entry = admin_steps->Start(what, at_ms);
  cluster.sim().Spawn(std::move(fiber), [&cluster, &client, entry, node, what,
                                         driver = std::move(driver)] {
    std::string extra;
    const std::string err = driver(client, &extra);
    entry->done = true;
    entry->error = err;
    cluster.sim().Record(-1, "AdminStep", node, "",
                         "step=" + what + extra + (err.empty() ? " ok=1" : " ok=0 error=" + err));
  });
}

// A hash tag whose keys land in `slot`: the first of "0", "1", ... that
// hashes there (CRC16 spreads them, so a few hundred thousand tries cover
// every slot; the bound is a safety net).
std::string TagForSlot(int slot) {
  constexpr int kTriesMax = 4'000'000;
  for (int i = 0; i < kTriesMax; ++i) {
    std::string tag = std::to_string(i);
    if (KeyHashSlot(tag) == slot) return tag;
  }
  SLOTSIM_CHECK_MSG(false, "no hash tag found for a slot");
  return "";
}

// The big_keys step: HSETs of up to 1000 fields, sent to the slot's owner.
std::string WriteBigKeys(ClusterClient& client, const scenario::BigKeys& bk, std::string* extra) {
  constexpr int kFieldsPerHset = 1000;
  if (!client.RefreshSlotMap()) return "no node answered CLUSTER SLOTS";
  const std::string owner = client.SlotOwner(bk.slot());
  if (owner.empty()) return "slot " + std::to_string(bk.slot()) + " has no owner";
  const std::string tag = TagForSlot(bk.slot());
  // Distinct, deterministic bytes per field, with no PRNG stream to draw.
  auto value = [&](int64_t n) {
    std::string v(static_cast<size_t>(bk.field_bytes()), 'v');
    for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<char>('a' + (n + j) % 26);
    return v;
  };
  int64_t bytes = 0;
  for (int k = 0; k < bk.keys(); ++k) {
    const std::string key = "{" + tag + "}:big:" + std::to_string(k);
    for (int f = 0; f < bk.fields(); f += kFieldsPerHset) {
      std::vector<std::string> argv = {"HSET", key};
      for (int j = f; j < std::min(bk.fields(), f + kFieldsPerHset); ++j) {
        argv.push_back("f" + std::to_string(j));
        argv.push_back(value(j));
        bytes += bk.field_bytes();
      }
      const RespValue r = client.ExecuteOn(owner, argv);
      if (r.IsError()) return "HSET " + key + " on " + owner + ": " + r.str;
    }
  }
  *extra = " keys=" + std::to_string(bk.keys()) + " tag=" + tag + " bytes=" + std::to_string(bytes);
  return "";
}

// A process step found its node in the wrong state and did nothing.
void StepSkipped(Simulation& sim, const scenario::Step& step, AdminSteps* admin_steps,
                 const char* what, int node, const char* reason) {
  sim.Record(-1, "StepSkipped", node, "", std::string("step=") + what + " reason=" + reason);
  if (!step.optional())
    admin_steps->unfired.push_back(std::string(what) + " " + std::to_string(node) + " at " +
                                   std::to_string(step.at_ms()) + " ms was skipped (" + reason +
                                   ")");
}

void RunStep(SimCluster& cluster, const scenario::Step& step, AdminSteps* admin_steps,
             std::set<std::pair<int, int>>* cut, std::set<std::pair<int, int>>* clogged) {
  Simulation& sim = cluster.sim();
  auto skipped = [&](const char* what, int node, const char* reason) {
    StepSkipped(sim, step, admin_steps, what, node, reason);
  };
  switch (step.action_case()) {
    case scenario::Step::kMark:
      sim.Record(-1, "Mark", -1, "", "text=" + step.mark());
      break;
    // A triggered step may have fired late or not at all, so process
    // steps check the node's state instead of assuming the file's order.
    case scenario::Step::kCrash:
      if (cluster.up(step.crash())) cluster.Crash(step.crash());
      else skipped("crash", step.crash(), "down");
      break;
    case scenario::Step::kRestart:
      if (!sim.machine_up(step.restart())) cluster.Restart(step.restart());
      else skipped("restart", step.restart(), "up");
      break;
    case scenario::Step::kPause:
      if (cluster.up(step.pause()) && !sim.machine_paused(step.pause())) cluster.Pause(step.pause());
      else skipped("pause", step.pause(), "not_running");
      break;
    case scenario::Step::kResume:
      if (sim.machine_paused(step.resume())) cluster.Resume(step.resume());
      else skipped("resume", step.resume(), "not_paused");
      break;
    case scenario::Step::kPartition:
      for (int a : step.partition().side_a())
        for (int b : step.partition().side_b()) {
          sim.network().SetCut(a, b, true);
          cut->insert({a, b});
          if (!step.partition().one_way()) {
            sim.network().SetCut(b, a, true);
            cut->insert({b, a});
          }
        }
      break;
    case scenario::Step::kClog:
      for (int a : step.clog().side_a())
        for (int b : step.clog().side_b()) {
          sim.network().SetClog(a, b, step.clog().extra_ms() * 1000);
          clogged->insert({a, b});
          if (!step.clog().one_way()) {
            sim.network().SetClog(b, a, step.clog().extra_ms() * 1000);
            clogged->insert({b, a});
          }
        }
      break;
    case scenario::Step::kHeal:
      for (auto [a, b] : *cut) sim.network().SetCut(a, b, false);
      cut->clear();
      for (auto [a, b] : *clogged) sim.network().SetClog(a, b, 0);
      clogged->clear();
      break;
    case scenario::Step::kReset:
      for (int a : step.reset().side_a())
        for (int b : step.reset().side_b()) sim.network().ResetConnections(a, b);
      break;
    case scenario::Step::kClockJump:
      sim.JumpClock(step.clock_jump().node(), step.clock_jump().delta_ms() * 1000);
      break;
    case scenario::Step::kClockDrift:
      sim.SetClockDrift(step.clock_drift().node(), step.clock_drift().ppm());
      break;
    case scenario::Step::kSlowFsync:
      sim.SetFsyncLatency(step.slow_fsync().node(), step.slow_fsync().latency_ms() * 1000);
      break;
    case scenario::Step::kDiskFault: {
      const auto& f = step.disk_fault();
      const int64_t us = f.duration_ms() * 1000;
      switch (f.kind()) {
        case scenario::DiskFault::WRITE_ERROR: sim.SetDiskError(f.node(), DiskOp::kWrite, us, f.once()); break;
        case scenario::DiskFault::FSYNC_ERROR: sim.SetDiskError(f.node(), DiskOp::kSync, us, f.once()); break;
        case scenario::DiskFault::READ_ERROR: sim.SetDiskError(f.node(), DiskOp::kRead, us, false); break;
        default: sim.SetDiskFull(f.node(), f.free_bytes(), us); break;
      }
      break;
    }
    case scenario::Step::kCrashTornWrite:
      if (cluster.up(step.crash_torn_write())) cluster.Crash(step.crash_torn_write(), /*torn_write=*/true);
      else skipped("crash_torn_write", step.crash_torn_write(), "down");
      break;
    case scenario::Step::kDamageFile: {
      const auto& d = step.damage_file();
      if (sim.machine_up(d.node())) {
        skipped("damage_file", d.node(), "up");
      } else if (!sim.DamageFile(d.node(), d.file(),
                                 d.how() == scenario::DamageFile::CORRUPT ? DiskDamage::kCorrupt
                                                                          : DiskDamage::kTruncate)) {
        skipped("damage_file", d.node(), "nothing_to_damage");
      }
      break;
    }
    case scenario::Step::kFailover: {
      const int node = step.failover().node();
      std::vector<std::string> argv{"CLUSTER", "FAILOVER"};
      if (step.failover().mode() == scenario::ManualFailover::FORCE) argv.push_back("FORCE");
      if (step.failover().mode() == scenario::ManualFailover::TAKEOVER) argv.push_back("TAKEOVER");
      sim.Spawn("failover", [&cluster, node, argv] {
        RespValue r = cluster.admin().ExecuteOn(cluster.addr(node), argv);
        cluster.sim().Record(-1, "AdminStep", node, "",
                             "step=failover reply=" + r.ToString());
      });
      break;
    }
    case scenario::Step::kConfigSet: {
      const auto cs = step.config_set();
      SpawnAdminStep(cluster, admin_steps, "config_set", "admin-config-set", step.at_ms(),
                     cs.node(), [&cluster, cs](ClusterClient& client, std::string* extra) {
                       const RespValue r = client.ExecuteOn(
                           cluster.addr(cs.node()), {"CONFIG", "SET", cs.name(), cs.value()});
                       *extra = " name=" + cs.name() + " value=" + cs.value();
                       return r.IsError() ? "CONFIG SET: " + r.str : std::string();
                     });
      break;
    }
    case scenario::Step::kMigrate: {
      const auto mv = step.migrate();
      SpawnAdminStep(cluster, admin_steps, "migrate", "admin-migrate", step.at_ms(), -1,
                     [&cluster, mv](ClusterClient& client, std::string* extra) {
                       AdminOptions o;
                       o.mode = mv.mode() == scenario::ATOMIC ? MigrationMode::kAtomic
                                                              : MigrationMode::kNative;
                       ClusterAdmin admin(cluster.sim(), client, cluster.addr(mv.from()), o);
                       std::string err =
                           mv.slots().empty()
                               ? admin.Reshard(cluster.addr(mv.from()), cluster.addr(mv.to()),
                                               mv.count())
                               : admin.MoveSlots(cluster.addr(mv.from()), cluster.addr(mv.to()),
                                                 ParseSlotList(mv.slots()));
                       *extra = " slots_moved=" + std::to_string(admin.stats().slots_moved);
                       return err;
                     });
      break;
    }
    case scenario::Step::kBigKeys: {
      const auto bk = step.big_keys();
      SpawnAdminStep(cluster, admin_steps, "big_keys", "admin-big-keys", step.at_ms(), -1,
                     [bk](ClusterClient& client, std::string* extra) {
                       return WriteBigKeys(client, bk, extra);
                     });
      break;
    }
    case scenario::Step::kRebalance: {
      const auto rb = step.rebalance();
      SpawnAdminStep(cluster, admin_steps, "rebalance", "admin-rebalance", step.at_ms(), -1,
                     [&cluster, rb](ClusterClient& client, std::string* extra) {
                       AdminOptions o;
                       o.mode = rb.mode() == scenario::ATOMIC ? MigrationMode::kAtomic
                                                              : MigrationMode::kNative;
                       ClusterAdmin admin(cluster.sim(), client, cluster.addr(0), o);
                       std::string err = admin.Rebalance(rb.use_empty_masters());
                       *extra = " slots_moved=" + std::to_string(admin.stats().slots_moved);
                       return err;
                     });
      break;
    }
    case scenario::Step::kAddNode: {
      const auto an = step.add_node();
      cluster.set_member(an.node(), true);
      SpawnAdminStep(cluster, admin_steps, "add_node", "admin-add-node", step.at_ms(), an.node(),
                     [&cluster, an](ClusterClient& client, std::string*) {
                       ClusterAdmin admin(cluster.sim(), client, cluster.addr(an.existing()), {});
                       std::string primary;
                       if (an.has_replica_of() && cluster.up(an.replica_of()))
                         primary = cluster.node(an.replica_of())->cluster().myself().name;
                       return admin.AddNode(cluster.addr(an.node()), cluster.addr(an.existing()),
                                            primary);
                     });
      break;
    }
    case scenario::Step::kDelNode: {
      const int node = step.del_node();
      SpawnAdminStep(cluster, admin_steps, "del_node", "admin-del-node", step.at_ms(), node,
                     [&cluster, node](ClusterClient& client, std::string*) {
                       ClusterAdmin admin(cluster.sim(), client, cluster.addr(node == 0 ? 1 : 0), {});
                       return admin.DelNode(cluster.addr(node), [&cluster, node](const std::string&) {
                         // redis-cli sends SHUTDOWN: the node stops and leaves for good.
                         cluster.set_member(node, false);
                         if (cluster.up(node)) cluster.Crash(node);
                       });
                     });
      break;
    }
    case scenario::Step::ACTION_NOT_SET:
      break;
  }
}

// ---- Triggered steps -------------------------------------------------------------
// Steps that fire at a moment rather than at a time: during_migration
// (polled) and after_probe (the node's own probe hit). Each fires at most
// once; a non-optional one that expires or is still waiting at the end
// never fired ("step-fired"), since a fault that never happened tests
// nothing.
class Triggers {
 public:
  Triggers(SimCluster& cluster, AdminSteps* admin_steps, std::set<std::pair<int, int>>* cut,
           std::set<std::pair<int, int>>* clogged)
      : cluster_(cluster), sim_(cluster.sim()), admin_steps_(admin_steps), cut_(cut),
        clogged_(clogged) {
    sim_.AddProbeListener([this](int machine, Probe probe) { OnProbe(machine, probe); });
  }

  // Arms `step` from its at_ms on.
  void Add(const scenario::Step& step) {
    Pending& p = pending_.emplace_back();
    p.step = step;
    const int64_t from_us = step.at_ms() * 1000;
    if (step.has_after_probe()) {
      p.probe = ProbeByName(step.after_probe().probe()).value();
      p.node = step.has_crash() ? step.crash() : step.pause();
      p.from_us = from_us;
      p.until_us = from_us + step.after_probe().within_ms() * 1000;
      sim_.Schedule(-1, p.until_us, [this, &p] {
        if (!p.done) Expire(p, "its node never hit probe " + std::string(ProbeName(p.probe)) +
                                   " within " + std::to_string(p.step.after_probe().within_ms()) +
                                   " ms");
      });
      return;
    }
    // Polled for the migration moment (bounded wait).
    sim_.Schedule(-1, from_us, [this, &p] { Poll(p, 0); });
  }

  // Triggered steps still waiting at the end of the run never fired.
  void ReportUnfired() {
    for (const Pending& p : pending_)
      if (!p.done && !p.step.optional())
        admin_steps_->unfired.push_back(Describe(p) + " at " + std::to_string(p.step.at_ms()) +
                                        " ms never fired before the end of the run");
  }

 private:
  struct Pending {
    scenario::Step step;
    bool done = false;  // fired or expired
    // after_probe only:
    Probe probe = Probe::kCount;
    int node = -1;
    int64_t from_us = 0, until_us = 0;
  };

  static std::string Describe(const Pending& p) {
    return p.step.has_after_probe() ? "the after_probe " + p.step.after_probe().probe() + " step"
                                    : std::string("the during_migration step");
  }

  void Poll(Pending& p, int polls) {
    if (p.done) return;
    if (MigrationMomentNow(cluster_, p.step.migration_moment())) {
      p.done = true;
      sim_.Record(-1, "StepTriggered", -1, "",
                  "waited_us=" + std::to_string(polls * kTriggerPollUs));
      RunStep(cluster_, p.step, admin_steps_, cut_, clogged_);
      const int node = p.step.has_crash() ? p.step.crash() : p.step.pause();
      if ((p.step.has_crash() && !sim_.machine_up(node)) ||
          (p.step.has_pause() && sim_.machine_paused(node)))
        ScheduleUndo(p.step, node);
      return;
    }
    if (polls >= kTriggerPollsMax) {
      Expire(p, p.step.migration_moment() == scenario::ATOMIC_HANDOFF
                    ? "no atomic hand-off was in flight within " +
                          std::to_string(kTriggerPollsMax * kTriggerPollUs / 1000) + " ms"
                    : "no migration moved data within " +
                          std::to_string(kTriggerPollsMax * kTriggerPollUs / 1000) + " ms");
      return;
    }
    sim_.Schedule(-1, kTriggerPollUs, [this, &p, polls] { Poll(p, polls + 1); });
  }

  // Inside the handler of `machine` that hit `probe`: arm, do not act.
  void OnProbe(int machine, Probe probe) {
    const int64_t now = sim_.now_us();
    for (Pending& p : pending_) {  // bounded by the scenario's steps
      if (p.done || p.probe != probe || p.node != machine || now < p.from_us || now > p.until_us)
        continue;
      p.done = true;
      sim_.Record(-1, "StepTriggered", machine, "",
                  "probe=" + std::string(ProbeName(probe)) +
                      " waited_us=" + std::to_string(now - p.from_us));
      if (p.step.has_crash()) {
        if (!cluster_.up(machine) || sim_.crash_armed(machine)) {
          StepSkipped(sim_, p.step, admin_steps_, "crash", machine, "down");
          continue;
        }
        cluster_.CrashAtSideEffect(machine, std::max(1, p.step.after_probe().side_effect()),
                                   [this, &p, machine] { ScheduleUndo(p.step, machine); });
      } else {
        // Pausing mid-handler would still let the handler finish: pause
        // right after it, before the node takes another event.
        sim_.Schedule(-1, 0, [this, &p, machine] {
          if (!cluster_.up(machine) || sim_.machine_paused(machine)) {
            StepSkipped(sim_, p.step, admin_steps_, "pause", machine, "not_running");
            return;
          }
          cluster_.Pause(machine);
          ScheduleUndo(p.step, machine);
        });
      }
    }
  }

  void Expire(Pending& p, const std::string& why) {
    p.done = true;
    sim_.Record(-1, "TriggerExpired", -1, "", "at_ms=" + std::to_string(p.step.at_ms()));
    if (!p.step.optional())
      admin_steps_->unfired.push_back(Describe(p) + " at " + std::to_string(p.step.at_ms()) +
                                      " ms never fired: " + why);
  }

  // The triggered crash (pause) of `node` took effect: restart (resume) it
  // undo_after_ms later, if nothing else did meanwhile.
  void ScheduleUndo(const scenario::Step& step, int node) {
    if (step.undo_after_ms() <= 0) return;
    const bool crash = step.has_crash();
    sim_.Schedule(-1, step.undo_after_ms() * 1000, [this, crash, node] {
      if (crash && !sim_.machine_up(node)) cluster_.Restart(node);
      else if (!crash && sim_.machine_paused(node)) cluster_.Resume(node);
      else return;
      sim_.Record(-1, "StepUndone", node, "", crash ? "step=restart" : "step=resume");
    });
  }

  SimCluster& cluster_;
  Simulation& sim_;
  AdminSteps* admin_steps_;
  std::set<std::pair<int, int>>* cut_;
  std::set<std::pair<int, int>>* clogged_;
  std::deque<Pending> pending_;  // stable addresses for the scheduled callbacks
};

}  // namespace

// A negative scenario's run is "expected" only if its violation appeared
// and nothing it does not name did: an expected violation must not hide
// another bug.
void JudgeOutcome(const scenario::Expect& expect, int64_t end_us, RunResult* result) {
  std::vector<Violation>& found = result->violations;
  JudgeExpectedViolations(expect, end_us, result);
  if (!OutcomeSucceeded(result->outcome)) return;
  std::string missing;
  for (const auto& id : expect.known_weakness()) {
    bool shown = false;
    for (const auto& w : result->known_weaknesses) shown |= w.id == id;
    if (!shown) missing += (missing.empty() ? "" : ", ") + id;
  }
  if (missing.empty()) return;
  result->outcome = "violation";
  found.insert(found.begin(),
               {"known-weakness-missing",
                "expected a known weakness of Redis 7.0 to explain a finding of " + missing +
                    ", not seen",
                end_us});
}

void JudgeExpectedViolations(const scenario::Expect& expect, int64_t end_us, RunResult* result) {
  std::vector<Violation>& found = result->violations;
  if (expect.outcome() == scenario::Expect::PASS) {
    result->outcome = found.empty() ? "pass" : "violation";
    return;
  }
  std::set<std::string> allowed(expect.allow().begin(), expect.allow().end());
  allowed.insert(expect.violation());
  bool seen = false;
  std::set<std::string> others;
  for (const auto& v : found) {
    seen |= v.id == expect.violation();
    if (!allowed.count(v.id)) others.insert(v.id);
  }
  if (seen && others.empty()) {
    result->outcome = "expected";
    return;
  }
  result->outcome = "violation";
  std::string also;
  for (const auto& id : others) also += (also.empty() ? "" : ", ") + id;
  // First, so that one-line summaries (explore, JUnit) lead with it.
  found.insert(found.begin(),
               {seen ? "unexpected-violations" : "expected-violation-missing",
                "expected " + expect.violation() + (seen ? "" : ", not seen") +
                    (also.empty() ? "" : "; also got " + also),
                end_us});
}

int RunResult::ProbesHit() const {
  int n = 0;
  for (int64_t hits : probe_hits) n += hits > 0 ? 1 : 0;
  return n;
}

std::string HashHex(uint64_t h) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

RunResult RunScenario(const scenario::Scenario& s, const RunOptions& options) {
  RunResult result;
  // Online invariant checkers see every record, like the trace writer.
  CheckerSettings settings;
  // A scenario built in code may leave it 0; the engine then runs with
  // its default.
  if (s.engine().node_timeout_ms() > 0) settings.node_timeout_ms = s.engine().node_timeout_ms();
  settings.appendonly = s.engine().appendonly();
  settings.appendfsync = AofFsyncOf(s.engine());
  settings.allow_reads_when_down = s.engine().allow_reads_when_down();
  const std::vector<std::unique_ptr<TraceChecker>> checkers = MakeTraceCheckers(settings);
  AckEpochChecker ack_epoch_checker;
  const bool durable = settings.appendonly && settings.appendfsync == AofFsync::kAlways;
  LossWindows loss_windows(DurabilityPolicy{s.engine().appendonly(), durable});
  ConfigRollbacks config_rollbacks;
  std::vector<TraceSink*> sinks = options.sinks;
  sinks.push_back(&loss_windows);
  sinks.push_back(&config_rollbacks);
  for (const auto& c : checkers) sinks.push_back(c.get());
  sinks.push_back(&ack_epoch_checker);
  SimCluster cluster(s, options.seed, options.buggify, sinks, options.injected_bugs);
  Simulation& sim = cluster.sim();
  std::string bootstrap_error;
  cluster.StartActors(&bootstrap_error);

  // Timed steps (the loader checked they make sense in order).
  std::set<std::pair<int, int>> cut;      // cut directions (from, to)
  std::set<std::pair<int, int>> clogged;  // clogged directions (from, to)
  AdminSteps admin_steps;
  Triggers triggers(cluster, &admin_steps, &cut, &clogged);
  for (const auto& step : s.steps()) {
    if (step.during_migration() || step.has_after_probe()) {
      triggers.Add(step);
      continue;
    }
    sim.Schedule(-1, step.at_ms() * 1000, [&, step] { RunStep(cluster, step, &admin_steps, &cut, &clogged); });
  }
  if (options.debug_perturb_at_us >= 0) {
    sim.Schedule(-1, options.debug_perturb_at_us, [&sim] { sim.network().DebugPerturb(); });
  }
  if (options.debug_crash_at_us >= 0) {
    sim.Schedule(-1, options.debug_crash_at_us, [] {
      SLOTSIM_CHECK_MSG(false, "deliberate crash (--debug-crash-at-ms)");
    });
  }

  // Observer: when does the cluster converge for good (after the safety
  // phase, if the scenario has one)? The run's convergence time is the
  // start of the converged stretch that lasts to the end: messages held by
  // a partition arrive at the heal and may still elect a replica after
  // the first converged poll, and gossip reordered across a node's two
  // links can briefly unassign the new owner's slots on a third node
  // (clusterProcessPacket demotes a sender on any replica-flagged header,
  // whatever its age) until the next ping, node_timeout/2 at most.
  const int64_t liveness_from_us = s.phases().liveness_from_ms() * 1000;
  // Within a stretch every poll checks that all nodes still answer
  // (what clients see first) and every kObserveFullEvery-th poll the
  // whole slot map, which costs slots x nodes.
  int64_t polls_in_stretch = 0;
  std::string last_why;  // why the last poll that failed did

  // What keeps clients waiting beyond the cluster's own view, or "".
  auto unresponsive = [&] {
    // A node whose thread is stuck (a slow fsync started before the
    // liveness phase, say) reports ok but answers nobody: not converged
    // until it is back, since clients time out on it.
    for (int i = 0; i < cluster.node_count(); ++i)
      if (cluster.up(i) && sim.BusyOffsetUs(i) > kUnresponsiveUs)
        return "node" + std::to_string(i) + "'s thread is busy for " +
               std::to_string(sim.BusyOffsetUs(i) / 1000) + " ms more";
    // A primary pausing writes for a manual failover answers them only
    // when the replica takes over or the failover times out (explore
    // faults seed 1784: a failover that could not start held writes 5 s).
    for (int i = 0; i < cluster.node_count(); ++i)
      if (cluster.up(i) && cluster.member(i) && cluster.node(i)->WritesPaused())
        return "node" + std::to_string(i) + " pauses writes for a manual failover";
    return std::string();
  };
  // Since when an adoptable orphan (replica_migration.h) has lasted, and
  // what it was; -1: none now.
  int64_t orphan_since_us = -1;
  std::string orphan_why;
  auto track_orphans = [&] {
    std::vector<const Server*> running;
    for (int i = 0; i < cluster.node_count(); ++i)
      if (cluster.up(i) && cluster.member(i) && !sim.machine_paused(i) &&
          cluster.node(i) != nullptr)
        running.push_back(cluster.node(i));
    std::string orphan = AdoptableOrphan(running);
    if (orphan.empty()) {
      orphan_since_us = -1;
    } else if (orphan_since_us < 0) {
      orphan_since_us = sim.now_us();
      orphan_why = std::move(orphan);
    }
  };
  std::function<void()> observe = [&] {
    track_orphans();
    std::string why;
    const auto live = cluster.LiveClusters();
    const bool full = result.converged_us < 0 || ++polls_in_stretch % kObserveFullEvery == 0;
    bool converged = full ? ClusterConverged(live, &why) : AllReportOk(live, &why);
    if (converged) {
      why = unresponsive();
      converged = why.empty();
    }
    if (!converged) last_why = why;
    if (converged && result.converged_us < 0) {
      result.converged_us = sim.now_us();
      sim.Record(-1, "Converged", -1, "", "");
    } else if (!converged && result.converged_us >= 0) {
      result.converged_us = -1;
      polls_in_stretch = 0;
      sim.Record(-1, "ConvergenceLost", -1, "", why);
    }
    sim.Schedule(-1, kObservePeriodUs, observe);
  };
  sim.Schedule(-1, std::max(kObservePeriodUs, liveness_from_us), observe);

  const int64_t end_us = s.duration_ms() * 1000;
  sim.RunUntil(end_us);
  sim.Shutdown();

  // Judge.
  for (const auto& c : checkers) {
    c->Finish(end_us);
    for (const auto& v : c->violations()) result.violations.push_back(v);
  }
  const int64_t set_back_us =
      WallClockSetBackUs(s, liveness_from_us + s.convergence_bound_ms() * 1000);
  const int64_t bound_us = liveness_from_us + s.convergence_bound_ms() * 1000 + set_back_us;
  if (!bootstrap_error.empty())
    result.violations.push_back({"bootstrap-completes", bootstrap_error, end_us});
  // Power-loss rollbacks of nodes.conf (config_rollback.h) on the live
  // members: the slots they leave open or unsettled are a known weakness
  // of Redis 7.0, and so is what the end-of-run checks find in them.
  std::map<const Server*, int> machine_of_member;
  std::vector<int> member_machines;
  for (int i = 0; i < cluster.node_count(); ++i)
    if (cluster.up(i) && cluster.member(i)) {
      machine_of_member[cluster.node(i)] = i;
      member_machines.push_back(i);
    }
  auto rollback_explains_claim = [&](int slot, std::string* why) {
    for (int m : member_machines)
      if (config_rollbacks.ExplainsClaim(m, slot, why)) return true;
    return false;
  };
  auto rollback_explains_slot = [&](int slot, std::string* why) {
    for (int m : member_machines)
      if (config_rollbacks.ExplainsOpenSlot(m, slot, why)) return true;
    return rollback_explains_claim(slot, why);
  };
  // Never converged only because of such rollbacks: when they explain
  // every unsettled slot and nothing else is wrong.
  auto rollback_explains_convergence = [&](std::string* because) {
    const auto live = cluster.LiveClusters();
    std::string why;
    if (live.empty() || !AllReportOk(live, &why) || !RolesAgree(live, &why) ||
        !unresponsive().empty())
      return false;
    const std::vector<int> unsettled = UnsettledSlots(live);
    if (unsettled.empty()) return false;
    std::string first_cause, cause;
    for (int slot : unsettled) {
      if (!rollback_explains_claim(slot, &cause)) return false;
      if (first_cause.empty()) first_cause = cause;
    }
    *because = std::to_string(unsettled.size()) + " slot(s) never settled, e.g. slot " +
               std::to_string(unsettled.front()) + ": " + first_cause;
    return true;
  };
  std::string rollback_cause;
  if (result.converged_us < 0 && bootstrap_error.empty() &&
      rollback_explains_convergence(&rollback_cause)) {
    result.known_weaknesses.push_back({"converged-in-time", rollback_cause, end_us});
  } else if (result.converged_us < 0 || result.converged_us > bound_us) {
    std::string why;
    if (ClusterConverged(cluster.LiveClusters(), &why)) why = last_why;
    result.violations.push_back(
        {"converged-in-time",
         "cluster did not converge within " + std::to_string(s.convergence_bound_ms()) +
             " ms" + (liveness_from_us > 0 ? " of the liveness phase" : "") +
             (set_back_us > 0 ? " plus " + std::to_string(set_back_us / 1000) +
                                    " ms a wall clock was set back"
                              : std::string()) +
             (result.converged_us < 0 ? " (never; at the end: " + why + ")"
                                              : " (at " + std::to_string(result.converged_us / 1000) + " ms)"),
         result.converged_us < 0 ? end_us : result.converged_us});
  }
  if (const int64_t bound_ms = OrphanAdoptionBoundMs(s.engine().node_timeout_ms());
      orphan_since_us >= 0 && end_us - orphan_since_us > bound_ms * 1000)
    result.violations.push_back(
        {"orphaned-primary-adopted",
         orphan_why + ", from " + std::to_string(orphan_since_us / 1000) + " ms to the end (" +
             std::to_string(bound_ms) + " ms allowed)",
         orphan_since_us + bound_ms * 1000});
  if (result.converged_us >= 0) {
    for (auto& v : CheckOpsSucceedAfter(cluster.history(), result.converged_us))
      result.violations.push_back(std::move(v));
  }
  triggers.ReportUnfired();
  for (const auto& why : admin_steps.unfired)
    result.violations.push_back({"step-fired", why, end_us});
  for (const auto& e : admin_steps.entries)
    if (!e.done || !e.error.empty())
      result.violations.push_back(
          {"admin-step-completes",
           e.what + " step at " + std::to_string(e.at_ms) + " ms " +
               (e.done ? "failed: " + e.error : std::string("never finished")),
           end_us});
  // Data at the end, on the live members' ground truth.
  const auto live = cluster.LiveMembers();
  {
    const SlotExcuse rolled_back = [&](const Server& node, int slot, std::string* why) {
      auto it = machine_of_member.find(&node);
      return it != machine_of_member.end() &&
             config_rollbacks.ExplainsOpenSlot(it->second, slot, why);
    };
    for (auto& v : CheckNoOpenSlots(live, end_us, rolled_back, &result.known_weaknesses))
      result.violations.push_back(std::move(v));
  }
  for (auto& v : CheckDistinctConfigEpochs(live, end_us)) result.violations.push_back(std::move(v));
  {
    const SlotExcuse rolled_back = [&](const Server&, int slot, std::string* why) {
      return rollback_explains_slot(slot, why);
    };
    for (auto& v : CheckNoStrayKeys(live, end_us, 10, rolled_back, &result.known_weaknesses))
      result.violations.push_back(std::move(v));
  }
  {
    std::set<std::string> running;
    std::map<const Server*, int> machine_of;
    for (int i = 0; i < cluster.node_count(); ++i)
      if (cluster.up(i) && !sim.machine_paused(i) && cluster.node(i) != nullptr) {
        running.insert(cluster.node(i)->cluster().myself().name);
        machine_of[cluster.node(i)] = i;
      }
    const ConnectionOpenFn connection_open = [&](const Server& node, ConnId conn) {
      auto it = machine_of.find(&node);
      return it == machine_of.end() || sim.network().ConnectionOpen(it->second, conn);
    };
    const int64_t quiet_us = result.converged_us >= 0 ? end_us - result.converged_us : -1;
    for (auto& v : CheckNoMemoryLeak(live, running, quiet_us, end_us))
      result.violations.push_back(std::move(v));
    for (auto& v : CheckResourcesReleased(live, running, connection_open, quiet_us, end_us))
      result.violations.push_back(std::move(v));
    // Replicas equal their primaries once writes stopped and streams
    // drained; a slowed disk may still be catching up.
    const int64_t writes_end_us =
        s.workload().end_ms() > 0 ? s.workload().end_ms() * 1000 : INT64_MAX;
    if (writes_end_us <= end_us - kReplicaDrainUs && quiet_us >= kReplicaDrainUs) {
      std::set<std::string> judged;
      for (const auto& [node, machine] : machine_of)
        if (sim.fsync_latency_us(machine) == 0) judged.insert(node->cluster().myself().name);
      for (auto& v : CheckReplicasMatchPrimary(live, judged, end_us))
        result.violations.push_back(std::move(v));
    }
  }
  std::map<std::string, int> machine_by_addr;
  for (int i = 0; i < cluster.node_count(); ++i) machine_by_addr[cluster.addr(i)] = i;
  for (auto& v : ack_epoch_checker.Check(cluster.history(), machine_by_addr, end_us))
    result.violations.push_back(std::move(v));
  // An acknowledged write may be lost only in Redis Cluster's windows:
  // after it, a node holding its slot was failed over or came back from
  // a disk without it (loss_windows.h).
  std::set<int> rollback_data_excused;  // slots, each reported once
  auto loss_allowed = [&](const OpRecord& acked, int slot, std::string* why_not) {
    auto it = machine_by_addr.find(acked.node);
    AckedWrite w{it == machine_by_addr.end() ? -1 : it->second, acked.key, slot,
                 acked.argv_digest, acked.invoke_us, acked.complete_us};
    std::string cause = loss_windows.LossAllowed(w, why_not);
    std::string rollback;
    if (cause.empty() && rollback_explains_slot(slot, &rollback)) {
      // Not lost but out of reach: the keys sit on a node the others do
      // not route the slot to, until `redis-cli --cluster fix`.
      cause = "config rollback: " + rollback;
      if (rollback_data_excused.insert(slot).second && rollback_data_excused.size() <= 10)
        result.known_weaknesses.push_back(
            {"acked-writes-survive",
             "writes to slot " + std::to_string(slot) + " out of reach: " + rollback, end_us});
    }
    return cause;
  };
  std::vector<AllowedLoss> allowed_losses;
  for (auto& v : CheckAckedWritesSurvive(cluster.history(), live, end_us, 10, 0, loss_allowed,
                                         &allowed_losses))
    result.violations.push_back(std::move(v));
  for (auto& v : CheckReads(cluster.history(), loss_allowed, end_us))
    result.violations.push_back(std::move(v));
  for (size_t i = 0; i < allowed_losses.size() && i < kLostWritesTracedMax; ++i) {
    const AllowedLoss& l = allowed_losses[i];
    sim.Record(-1, "LostWrite", -1, "",
               "key=" + l.acked->key + " slot=" + std::to_string(l.slot) +
                   " acked_ms=" + std::to_string(l.acked->complete_us / 1000) +
                   " by=" + l.acked->node + " cause=" + l.cause);
  }
  result.lost_writes_allowed = static_cast<int64_t>(allowed_losses.size());
  int faults = 0;
  bool crash = false, restart = false;
  for (const auto& st : s.steps()) {
    faults += IsFaultStep(st) ? 1 : 0;
    crash |= st.has_crash();
    // A triggered crash with undo_after_ms restarts the node by itself.
    restart |= st.has_restart() || (st.has_crash() && st.undo_after_ms() > 0);
  }
  // A write WAIT confirmed on every replica survives any single fault.
  // Except a primary restarted from a disk that may lack the write (no
  // AOF, or not fsynced on every write) before its replica took over: it
  // comes back empty or short, and its replicas resync from it. Redis
  // documents that loss (persistence off with automatic restarts).
  if (s.workload().wait_replicas() >= s.topology().replicas_per_primary() &&
      s.topology().replicas_per_primary() > 0 && faults <= 1 &&
      !(crash && restart && !durable))
    for (auto& v : CheckAckedWritesSurvive(cluster.history(), live, end_us, 10,
                                           s.topology().replicas_per_primary()))
      result.violations.push_back(std::move(v));
  for (const auto& w : result.known_weaknesses)
    sim.Record(-1, KnownWeaknessRecord::kKind, -1, "", KnownWeaknessRecord{w.id, w.message}.Format());
  for (const auto& v : result.violations)
    sim.Record(-1, ViolationRecord::kKind, -1, "",
               ViolationRecord{v.id, {v.causes.begin(), v.causes.end()}, v.message}.Format());

  JudgeOutcome(s.expect(), end_us, &result);
  sim.Record(-1, "RunEnd", -1, "", "outcome=" + result.outcome);

  result.sim_us = sim.now_us();
  result.events = sim.trace_events();
  result.sim_events = sim.events_processed();
  result.trace_hash = sim.trace_hash();
  result.probe_hits = sim.probe_hits();
  result.history = cluster.history();
  result.unavailable_us = UnavailableUs(result.history);
  for (const auto& op : result.history.ops()) {
    result.ops++;
    if (op.outcome == OpOutcome::kOk) result.ops_ok++;
  }
  return result;
}

}  // namespace slotsim
