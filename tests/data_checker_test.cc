// The data checkers fail when they should: fabricated histories and a
// node holding keys of a slot it does not own.
#include <gtest/gtest.h>

#include "properties/convergence.h"
#include "properties/data_checker.h"
#include "engine/trace_records.h"
#include "properties/loss_windows.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "tests/ha_harness.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

OpRecord Set(const std::string& key, const std::string& value, int64_t invoke, int64_t complete,
             OpOutcome outcome = OpOutcome::kOk) {
  OpRecord r;
  r.command = "SET";
  r.key = key;
  r.value = value;
  r.invoke_us = invoke;
  r.complete_us = complete;
  r.outcome = outcome;
  return r;
}

OpRecord Op(const std::string& command, const std::string& key, const std::string& field,
            const std::string& value, const std::string& reply, int64_t invoke,
            int64_t complete, const std::string& node) {
  OpRecord r;
  r.command = command;
  r.key = key;
  r.field = field;
  r.value = value;
  r.reply = reply;
  r.invoke_us = invoke;
  r.complete_us = complete;
  r.outcome = OpOutcome::kOk;
  r.node = node;
  return r;
}

std::vector<std::string> Ids(const std::vector<Violation>& vs) {
  std::vector<std::string> out;
  for (const auto& v : vs) out.push_back(v.id + ": " + v.message);
  return out;
}

// Counters, hash fields, deletes and reads: each model holds on the real
// node's data and fails on a fabricated history that contradicts it.
TEST(DataCheckers, CountersFieldsDeletesAndReads) {
  SimCluster c(HaScenario(2, 0, 3000, 0), 1, false, {});
  ASSERT_TRUE(StartAndSettle(c));
  RawConn a(c.sim(), "raw");
  a.Connect(c.node(0)->config().port);
  for (int i = 0; i < 3; ++i) a.Call({"INCR", "{b}n"});
  ASSERT_EQ(a.Call({"HSET", "{b}h", "f1", "v1"}).ToString(), "(integer) 1");
  ASSERT_EQ(a.Call({"SET", "{b}k", "v1"}).ToString(), "OK");
  const auto live = c.LiveMembers();
  const std::string n0 = c.addr(0);

  // INCR: three acknowledged increments, and the counter is 3.
  OpHistory incr;
  for (int i = 1; i <= 3; ++i)
    incr.Add(Op("INCR", "{b}n", "", "", "(integer) " + std::to_string(i), i * 100, i * 100 + 50, n0));
  EXPECT_TRUE(CheckAckedWritesSurvive(incr, live, 0).empty());
  // An acknowledged result above what is there was lost.
  OpHistory lost_incr = incr;
  lost_incr.Add(Op("INCR", "{b}n", "", "", "(integer) 4", 500, 550, n0));
  auto v = CheckAckedWritesSurvive(lost_incr, live, 0);
  ASSERT_EQ(v.size(), 1u) << ::testing::PrintToString(Ids(v));
  EXPECT_NE(v[0].message.find("answered 4"), std::string::npos) << v[0].message;
  // More than was ever attempted: a phantom increment (applied twice)...
  OpHistory two;
  two.Add(Op("INCR", "{b}n", "", "", "(integer) 1", 100, 150, n0));
  two.Add(Op("INCR", "{b}n", "", "", "(integer) 2", 200, 250, n0));
  v = CheckAckedWritesSurvive(two, live, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("after at most 2 increments"), std::string::npos) << v[0].message;
  // ... unless an attempt went unanswered and may have run as well.
  OpHistory retried = two;
  OpRecord timed_out = Op("INCR", "{b}n", "", "", "(error) timeout", 300, 350, n0);
  timed_out.outcome = OpOutcome::kError;
  timed_out.ambiguous = true;
  timed_out.unanswered = 1;
  retried.Add(timed_out);
  EXPECT_TRUE(CheckAckedWritesSurvive(retried, live, 0).empty());

  // HSET: last write wins per field.
  OpHistory field;
  field.Add(Op("HSET", "{b}h", "f1", "v1", "(integer) 1", 100, 150, n0));
  EXPECT_TRUE(CheckAckedWritesSurvive(field, live, 0).empty());
  field.Add(Op("HSET", "{b}h", "f1", "v2", "(integer) 0", 200, 250, n0));
  v = CheckAckedWritesSurvive(field, live, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("HSET {b}h f1 \"v2\""), std::string::npos) << v[0].message;
  // DEL: a deleted key stays deleted until written again.
  OpHistory del;
  del.Add(Op("SET", "{b}k", "", "v1", "OK", 100, 150, n0));
  EXPECT_TRUE(CheckAckedWritesSurvive(del, live, 0).empty());
  del.Add(Op("DEL", "{b}k", "", "", "(integer) 1", 200, 250, n0));
  v = CheckAckedWritesSurvive(del, live, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("the owner has v1"), std::string::npos) << v[0].message;

  // Reads: a value nobody wrote; a read older than the node's own ack.
  OpHistory reads;
  reads.Add(Op("SET", "{b}k", "", "v1", "OK", 100, 150, n0));
  reads.Add(Op("SET", "{b}k", "", "v2", "OK", 200, 250, n0));
  reads.Add(Op("GET", "{b}k", "", "", "\"v2\"", 300, 350, n0));
  EXPECT_TRUE(CheckReads(reads, nullptr, 0).empty());
  OpHistory phantom = reads;
  phantom.Add(Op("GET", "{b}k", "", "", "\"v9\"", 400, 450, n0));
  v = CheckReads(phantom, nullptr, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "reads-return-written-values");
  OpHistory stale = reads;
  stale.Add(Op("GET", "{b}k", "", "", "\"v1\"", 400, 450, n0));
  v = CheckReads(stale, nullptr, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "reads-not-stale");
  // The same old value is fine if a write of it may have come later.
  OpHistory rewritten = stale;
  OpRecord late = Op("SET", "{b}k", "", "v1", "", 390, 0, n0);
  late.outcome = OpOutcome::kUnknown;
  rewritten.Add(late);
  EXPECT_TRUE(CheckReads(rewritten, nullptr, 0).empty());
}

// Retries no longer hide unavailability: a first attempt that met
// CLUSTERDOWN after convergence fails the property even though the retry
// succeeded, and the run's unavailable time covers it.
TEST(DataCheckers, FirstAttemptsCountAfterConvergence) {
  OpHistory h;
  OpRecord fine = Set("k", "v1", 1'000, 2'000);
  h.Add(fine);
  EXPECT_TRUE(CheckOpsSucceedAfter(h, 500).empty());
  OpRecord retried = Set("k", "v2", 3'000, 9'000);
  retried.first_failure = "CLUSTERDOWN The cluster is down";
  retried.first_failure_us = 3'100;
  h.Add(retried);
  auto v = CheckOpsSucceedAfter(h, 500);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_NE(v[0].message.find("first attempt at 3 ms: CLUSTERDOWN"), std::string::npos)
      << v[0].message;
  EXPECT_TRUE(CheckOpsSucceedAfter(h, 5'000).empty());  // invoked before convergence
  OpRecord overlapping = Set("k", "v3", 4'000, 12'000);
  overlapping.first_failure = "transport: timeout";
  overlapping.first_failure_us = 8'000;
  h.Add(overlapping);
  EXPECT_EQ(UnavailableUs(h), 12'000 - 3'100);
}

TEST(DataCheckers, AckedWritesStrayKeysAndOpenSlots) {
  SimCluster c(HaScenario(2, 0, 3000, 0), 1, false, {});
  ASSERT_TRUE(StartAndSettle(c));
  RawConn a(c.sim(), "raw");
  a.Connect(c.node(0)->config().port);
  ASSERT_EQ(a.Call({"SET", "{b}k", "v2"}).ToString(), "OK");  // slot 3300, node 0's
  const auto live = c.LiveMembers();

  OpHistory h;
  h.Add(Set("{b}k", "v1", 100, 200));
  h.Add(Set("{b}k", "v2", 300, 400));
  EXPECT_TRUE(CheckAckedWritesSurvive(h, live, 0).empty());
  // The last acknowledged value is not what the owner holds.
  OpHistory lost;
  lost.Add(Set("{b}k", "v2", 100, 200));
  lost.Add(Set("{b}k", "v3", 300, 400));
  auto v = CheckAckedWritesSurvive(lost, live, 0);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "acked-writes-survive");
  // ... unless a write that may have come later explains it.
  OpHistory ambiguous;
  ambiguous.Add(Set("{b}k", "v3", 100, 200));
  ambiguous.Add(Set("{b}k", "v2", 300, 5000, OpOutcome::kUnknown));
  EXPECT_TRUE(CheckAckedWritesSurvive(ambiguous, live, 0).empty());
  OpHistory in_flight;
  in_flight.Add(Set("{b}k", "v3", 100, 200));
  in_flight.BeginOp(Set("{b}k", "v2", 300, 0));
  EXPECT_TRUE(CheckAckedWritesSurvive(in_flight, live, 0).empty());
  // The WAIT form anchors on writes WAIT confirmed: a lost unconfirmed
  // write is not its business, a lost confirmed one is.
  OpHistory waited;
  waited.SetWaitReplicas(waited.Add(Set("{b}k", "v2", 100, 200)), 1);
  waited.Add(Set("{b}k", "v3", 300, 400));  // acked, never confirmed, lost
  EXPECT_TRUE(CheckAckedWritesSurvive(waited, live, 0, 10, 1).empty());
  EXPECT_EQ(CheckAckedWritesSurvive(waited, live, 0).size(), 1u);
  OpHistory waited_lost;
  waited_lost.Add(Set("{b}k", "v2", 100, 200));
  waited_lost.SetWaitReplicas(waited_lost.Add(Set("{b}k", "v3", 300, 400)), 1);
  v = CheckAckedWritesSurvive(waited_lost, live, 0, 10, 1);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "wait-acked-writes-survive");
  // With two replicas per primary, a WAIT that reached only one of them
  // confirms nothing a failover to the other cannot lose.
  EXPECT_TRUE(CheckAckedWritesSurvive(waited_lost, live, 0, 10, 2).empty());

  EXPECT_TRUE(CheckDistinctConfigEpochs(live, 0).empty());
  // Two primaries sharing a configEpoch: SET-CONFIG-EPOCH works only on a
  // node that knows no one, so use a fresh pair before it is formed.
  {
    SimCluster pair(HaScenario(2, 0, 3000, 0), 2, false, {});
    for (int i = 0; i < 2; ++i) {
      RawConn r(pair.sim(), "raw-epoch" + std::to_string(i));
      r.Connect(pair.node(i)->config().port);
      ASSERT_EQ(r.Call({"CLUSTER", "ADDSLOTSRANGE", std::to_string(i * 100),
                        std::to_string(i * 100 + 99)}).ToString(), "OK");
      ASSERT_EQ(r.Call({"CLUSTER", "SET-CONFIG-EPOCH", "5"}).ToString(), "OK");
    }
    auto same = CheckDistinctConfigEpochs(pair.LiveMembers(), 0);
    ASSERT_EQ(same.size(), 1u);
    EXPECT_EQ(same[0].id, "primary-config-epochs-distinct");
  }
  EXPECT_TRUE(CheckNoStrayKeys(live, 0).empty());
  EXPECT_TRUE(CheckNoOpenSlots(live, 0).empty());
  // A key restored on node 1 in node 0's slot is stray; an open slot is
  // named too.
  RawConn b(c.sim(), "raw-b");
  b.Connect(c.node(1)->config().port);
  RespValue dump = a.Call({"DUMP", "{b}k"});
  ASSERT_EQ(b.Call({"CLUSTER", "SETSLOT", "3300", "IMPORTING",
                    c.node(0)->cluster().myself().name}).ToString(), "OK");
  ASSERT_EQ(b.Call({"RESTORE-ASKING", "{b}k", "0", dump.str}).ToString(), "OK");
  auto stray = CheckNoStrayKeys(c.LiveMembers(), 0);
  ASSERT_EQ(stray.size(), 1u);
  EXPECT_EQ(stray[0].id, "no-stray-keys");
  auto open = CheckNoOpenSlots(c.LiveMembers(), 0);
  ASSERT_EQ(open.size(), 1u);
  EXPECT_NE(open[0].message.find("slot 3300 IMPORTING"), std::string::npos) << open[0].message;
}

// The WAIT check on the library scenario: writes WAIT confirmed before the
// primary crashed survive on the promoted replica, and the check is live:
// hundreds of confirmed writes (AckedWritesStrayKeysAndOpenSlots shows it
// failing on a lost one).
TEST(DataCheckers, WaitConfirmedWritesSurviveAFailover) {
  auto loaded = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) +
                                 "/scenarios/wait-acked-writes-survive-failover.textproto");
  ASSERT_TRUE(loaded.ok) << loaded.error;
  for (uint64_t seed = 1; seed <= 2; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    RunOptions o;
    o.seed = seed;
    RunResult r = RunScenario(loaded.scenario, o);
    EXPECT_EQ(r.outcome, "pass");
    for (const auto& v : r.violations) ADD_FAILURE() << v.id << ": " << v.message;
    int confirmed = 0, before_crash = 0;
    for (const auto& op : r.history.ops()) {
      if (op.wait_replicas >= 1) ++confirmed;
      if (op.wait_replicas >= 1 && op.complete_us < 15'000'000) ++before_crash;
    }
    EXPECT_GT(before_crash, 100);
    EXPECT_GT(confirmed, before_crash);  // writes resumed on the new primary
  }
}

// The loss windows, on a real restart: node 0 runs without AOF, so a crash
// and a restart empty it. The window "crashed without fsyncing every
// write" forgives the loss; a LossWindows told the restarts are durable
// (fed the same trace) does not, and the checker reports it.
TEST(DataCheckers, AckedWriteLostByARestartIsForgivenOnlyInItsWindow) {
  LossWindows lossy(DurabilityPolicy{false, false}), claims_durable(DurabilityPolicy{true, true});
  SimCluster c(HaScenario(2, 0, 3000, 0), 1, false, {&lossy, &claims_durable});
  ASSERT_TRUE(StartAndSettle(c));
  RawConn a(c.sim(), "raw");
  a.Connect(c.node(0)->config().port);
  const int64_t invoke_us = c.sim().now_us();
  ASSERT_EQ(a.Call({"SET", "{b}k", "v1"}).ToString(), "OK");  // slot 3300, node 0's
  OpHistory h;
  OpRecord set = Set("{b}k", "v1", invoke_us, c.sim().now_us());
  set.node = c.addr(0);
  set.argv_digest = ArgvDigest({"SET", "{b}k", "v1"});
  h.Add(set);
  auto window = [&](const LossWindows& w) {
    return [&w, &c](const OpRecord& acked, int slot, std::string* why_not) {
      AckedWrite aw{acked.node == c.addr(0) ? 0 : 1, acked.key, slot, acked.argv_digest,
                    acked.invoke_us, acked.complete_us};
      return w.LossAllowed(aw, why_not);
    };
  };
  EXPECT_TRUE(CheckAckedWritesSurvive(h, c.LiveMembers(), 0, 10, 0, window(lossy)).empty());
  c.sim().RunUntil(c.sim().now_us() + 500'000);
  c.Crash(0);
  c.sim().RunUntil(c.sim().now_us() + 500'000);
  c.Restart(0);
  ASSERT_GE(RunUntil(c, c.sim().now_us() + 20'000'000, [&] { return c.Settled(); }), 0);
  const auto live = c.LiveMembers();
  EXPECT_TRUE(CheckAckedWritesSurvive(h, live, 0, 10, 0, window(lossy)).empty());
  auto v = CheckAckedWritesSurvive(h, live, 0, 10, 0, window(claims_durable));
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].id, "acked-writes-survive");
  EXPECT_NE(v[0].message.find("every hand-off carried it"), std::string::npos) << v[0].message;
}

}  // namespace
}  // namespace slotsim
