// The single-thread cost model: ChargeCpu delays a machine's later events
// and its outgoing bytes; a blocking read holds everything but its own
// connection, in order.
#include <gtest/gtest.h>

#include "sim/simulation.h"

namespace slotsim {
namespace {

// Logs what it sees with the simulated time; optionally charges work per
// message received.
struct Node : NetHandler {
  Simulation* sim = nullptr;
  Env* env = nullptr;
  int64_t charge_us = 0;
  std::vector<std::pair<int64_t, std::string>> log;
  std::vector<ConnId> accepted;
  void OnAccept(uint16_t, ConnId c, const std::string&) override {
    accepted.push_back(c);
  }
  void OnConnected(ConnId c) override { log.emplace_back(sim->now_us(), "connected"); }
  void OnData(ConnId c, std::string_view b) override {
    log.emplace_back(sim->now_us(), std::string(b));
    if (charge_us > 0) env->ChargeCpu(charge_us);
  }
  void OnClosed(ConnId, std::string_view) override {}
};

class CostModelTest : public ::testing::Test {
 protected:
  CostModelTest() : sim_(Options()) {
    a_ = sim_.AddMachine("a");
    b_ = sim_.AddMachine("b");
    for (auto [m, n] : {std::pair{a_, &na_}, std::pair{b_, &nb_}}) {
      n->sim = &sim_;
      n->env = &sim_.env(m);
      sim_.env(m).SetNetHandler(n);
    }
  }
  static SimOptions Options() {
    SimOptions o;
    o.buggify = false;
    o.network.link_latency_min_us = 100;
    o.network.link_latency_max_us = 100;
    o.network.jitter_mean_us = 0;
    return o;
  }
  Simulation sim_;
  int a_, b_;
  Node na_, nb_;
};

TEST_F(CostModelTest, ChargedWorkDelaysLaterEventsAndSends) {
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ConnId c = sim_.env(a_).Connect("127.0.0.1", 7000);
  sim_.RunUntil(1000);
  ASSERT_EQ(nb_.accepted.size(), 1u);
  nb_.charge_us = 5000;  // each message costs b 5 ms
  sim_.env(a_).Send(c, "x", "m");
  sim_.env(a_).Send(c, "y", "m");
  sim_.RunUntil(20'000);
  ASSERT_EQ(nb_.log.size(), 2u);
  EXPECT_EQ(nb_.log[0].first, 1100);
  // "y" arrived at 1100 too but waited for x's 5 ms of work.
  EXPECT_EQ(nb_.log[1].first, 6100);
  EXPECT_EQ(nb_.log[1].second, "y");

  // A reply sent from a busy thread leaves when the work is done, and the
  // busy thread's clock has moved on.
  nb_.charge_us = 0;
  const int64_t t0 = sim_.now_us();
  sim_.env(b_).ChargeCpu(3000);
  EXPECT_EQ(sim_.env(b_).NowUs() - sim_.env(a_).NowUs(), 3000);
  sim_.env(b_).Send(nb_.accepted[0], "reply", "r");
  sim_.RunUntil(t0 + 10'000);
  ASSERT_FALSE(na_.log.empty());
  EXPECT_EQ(na_.log.back().first, t0 + 3000 + 100);

  // Timers count from when the work ends.
  int64_t fired = -1;
  sim_.env(b_).ChargeCpu(2000);
  sim_.env(b_).AddTimer(1, "t", [&] { fired = sim_.now_us(); });
  sim_.RunUntil(sim_.now_us() + 10'000);
  EXPECT_EQ(fired, t0 + 10'000 + 2000 + 1000);
}

// Cluster::SaveAtEndOfPass relies on this: a zero-delay timer that an
// event adds while others wait for the busy thread runs after all of them,
// so a busy node's backlog ends with one save, as a pass of Redis's event
// loop ends with one clusterBeforeSleep.
TEST_F(CostModelTest, ZeroDelayTimerFromABacklogRunsAfterTheBacklog) {
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ConnId c = sim_.env(a_).Connect("127.0.0.1", 7000);
  sim_.RunUntil(1000);
  ASSERT_EQ(nb_.accepted.size(), 1u);
  struct Counting : Node {
    int timers_added = 0;
    void OnData(ConnId conn, std::string_view b) override {
      Node::OnData(conn, b);
      if (timers_added++ == 0)
        env->AddTimer(0, "beforeSleep", [this] { log.emplace_back(sim->now_us(), "pass-end"); });
    }
  } counting;
  counting.sim = &sim_;
  counting.env = &sim_.env(b_);
  counting.charge_us = 1000;
  sim_.env(b_).SetNetHandler(&counting);
  // b is busy when all three arrive; the first one's work queues the rest.
  sim_.env(b_).ChargeCpu(500);
  for (const char* m : {"m1", "m2", "m3"}) sim_.env(a_).Send(c, m, "m");
  sim_.RunUntil(20'000);
  ASSERT_EQ(counting.log.size(), 4u);
  EXPECT_EQ(counting.log[0].second, "m1");
  EXPECT_EQ(counting.log[1].second, "m2");
  EXPECT_EQ(counting.log[2].second, "m3");
  EXPECT_EQ(counting.log[3].second, "pass-end");
  EXPECT_EQ(counting.log[3].first, counting.log[2].first + 1000);
}

TEST_F(CostModelTest, BlockingReadHoldsOtherConnectionsAndTimersInOrder) {
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ASSERT_TRUE(sim_.env(a_).Listen(7001));
  ConnId from_b = sim_.env(b_).Connect("127.0.0.1", 7001);
  sim_.RunUntil(1000);
  ASSERT_EQ(na_.accepted.size(), 1u);
  // a blocks reading its own new connection to b.
  ConnId to_b = sim_.env(a_).Connect("127.0.0.1", 7000);
  bool timed_out = false;
  sim_.env(a_).BeginBlockingRead(to_b, 50, [&] { timed_out = true; });
  int64_t timer_at = -1;
  sim_.env(a_).AddTimer(0, "cron", [&] { timer_at = sim_.now_us(); });
  sim_.env(b_).Send(from_b, "other1", "m");
  sim_.env(b_).Send(from_b, "other2", "m");
  sim_.RunUntil(1500);
  ASSERT_EQ(nb_.accepted.size(), 1u);
  sim_.env(b_).Send(nb_.accepted[0], "answer", "m");
  sim_.RunUntil(1700);
  // The handshake and the answer got through; the rest waited.
  ASSERT_EQ(na_.log.size(), 2u);
  EXPECT_EQ(na_.log[0].second, "connected");
  EXPECT_EQ(na_.log[1].second, "answer");
  EXPECT_EQ(timer_at, -1);
  sim_.env(a_).EndBlockingRead();
  sim_.RunUntil(3000);
  ASSERT_EQ(na_.log.size(), 4u);
  EXPECT_EQ(na_.log[2].second, "other1");
  EXPECT_EQ(na_.log[3].second, "other2");
  EXPECT_EQ(na_.log[2].first, 1700);
  EXPECT_EQ(timer_at, 1700);
  EXPECT_FALSE(timed_out);
}

TEST_F(CostModelTest, BlockingReadTimesOut) {
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ConnId c = sim_.env(a_).Connect("127.0.0.1", 7000);
  int64_t timed_out_at = -1;
  sim_.env(a_).BeginBlockingRead(c, 20, [&] { timed_out_at = sim_.now_us(); });
  int64_t timer_at = -1;
  sim_.env(a_).AddTimer(0, "cron", [&] { timer_at = sim_.now_us(); });
  sim_.RunUntil(100'000);
  EXPECT_EQ(timed_out_at, 20'000);
  // The timer ran after the timeout, not before.
  EXPECT_EQ(timer_at, 20'000);
}

// Found by `slotsim explore`: a crash while work waited for a busy thread
// left the drain flag set, so the restarted node never ran anything again.
TEST_F(CostModelTest, RestartAfterCrashWithQueuedWorkStillRuns) {
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ConnId c = sim_.env(a_).Connect("127.0.0.1", 7000);
  sim_.RunUntil(1000);
  sim_.env(b_).ChargeCpu(5000);
  sim_.env(a_).Send(c, "queued", "m");
  sim_.RunUntil(2000);  // arrived at 1100, waiting for the busy thread
  EXPECT_TRUE(nb_.log.empty());
  sim_.Crash(b_);
  sim_.Restart(b_);
  sim_.env(b_).SetNetHandler(&nb_);
  nb_.env = &sim_.env(b_);
  ASSERT_TRUE(sim_.env(b_).Listen(7000));
  ConnId again = sim_.env(a_).Connect("127.0.0.1", 7000);
  sim_.RunUntil(3000);
  // Busy again, and a message waits for the thread: it must still run.
  sim_.env(b_).ChargeCpu(5000);
  sim_.env(a_).Send(again, "after-restart", "m");
  sim_.RunUntil(20'000);
  ASSERT_EQ(nb_.log.size(), 1u);  // "queued" died with the crash
  EXPECT_EQ(nb_.log[0].second, "after-restart");
  EXPECT_EQ(nb_.log[0].first, 8000);
}

}  // namespace
}  // namespace slotsim
