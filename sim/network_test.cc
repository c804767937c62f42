#include <gtest/gtest.h>

#include "sim/simulation.h"

namespace slotsim {
namespace {

// Records everything a machine's network sees.
struct Recorder : NetHandler {
  std::vector<ConnId> accepted, connected;
  std::map<ConnId, std::string> data;
  std::vector<std::pair<ConnId, std::string>> closed;
  Env* env = nullptr;
  bool echo = false;
  void OnAccept(uint16_t, ConnId c, const std::string&) override {
    accepted.push_back(c);
  }
  void OnConnected(ConnId c) override { connected.push_back(c); }
  void OnData(ConnId c, std::string_view b) override {
    data[c] += b;
    if (echo) env->Send(c, b, "echo");
  }
  void OnClosed(ConnId c, std::string_view r) override {
    closed.emplace_back(c, std::string(r));
  }
};

class NetworkTest : public ::testing::Test {
 protected:
  NetworkTest() : sim_(Options()) {
    server_ = sim_.AddMachine("server");
    client_ = sim_.AddMachine("client");
    srv_.env = &sim_.env(server_);
    cli_.env = &sim_.env(client_);
    sim_.env(server_).SetNetHandler(&srv_);
    sim_.env(client_).SetNetHandler(&cli_);
  }
  static SimOptions Options() {
    SimOptions o;
    o.buggify = true;
    o.buggify_enable_chance = 1.0;  // split deliveries and latency spikes on
    o.buggify_fire_chance = 0.3;
    return o;
  }
  Simulation sim_;
  int server_, client_;
  Recorder srv_, cli_;
};

TEST_F(NetworkTest, OrderedDeliveryDespiteJitterAndSplits) {
  srv_.echo = true;
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  std::string expect;
  // Sent before the connection completes: must still arrive in order.
  for (int i = 0; i < 200; ++i) {
    std::string m = "msg" + std::to_string(i) + ";";
    expect += m;
    sim_.env(client_).Send(c, m, "m");
  }
  sim_.RunUntil(5'000'000);
  ASSERT_EQ(srv_.accepted.size(), 1u);
  EXPECT_EQ(srv_.data[srv_.accepted[0]], expect);
  EXPECT_EQ(cli_.connected, std::vector<ConnId>{c});
  EXPECT_EQ(cli_.data[c], expect);
}

TEST_F(NetworkTest, ConnectToNothingIsRefused) {
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 1234);
  sim_.RunUntil(1'000'000);
  ASSERT_EQ(cli_.closed.size(), 1u);
  EXPECT_EQ(cli_.closed[0].first, c);
  EXPECT_EQ(cli_.closed[0].second, "connection refused");
}

TEST_F(NetworkTest, CloseDeliversQueuedBytesFirst) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  sim_.env(client_).Send(c, "last words", "m");
  sim_.env(client_).Close(c);
  sim_.RunUntil(2'000'000);
  ASSERT_EQ(srv_.accepted.size(), 1u);
  ConnId s = srv_.accepted[0];
  EXPECT_EQ(srv_.data[s], "last words");
  ASSERT_EQ(srv_.closed.size(), 1u);
  EXPECT_EQ(srv_.closed[0].second, "closed by peer");
  EXPECT_TRUE(cli_.closed.empty());  // the closer hears nothing
}

TEST_F(NetworkTest, CrashResetsPeersAndFreesPort) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  sim_.Crash(server_);
  sim_.RunUntil(2'000'000);
  ASSERT_EQ(cli_.closed.size(), 1u);
  EXPECT_EQ(cli_.closed[0].first, c);
  EXPECT_EQ(cli_.closed[0].second, "connection reset");
  sim_.Restart(server_);
  Recorder fresh;
  sim_.env(server_).SetNetHandler(&fresh);
  EXPECT_TRUE(sim_.env(server_).Listen(6379));
}

TEST(NetworkDeterminism, SameSeedSameTrace) {
  auto run = [](uint64_t seed) {
    SimOptions o;
    o.seed = seed;
    Simulation sim(o);
    int s = sim.AddMachine("s"), c = sim.AddMachine("c");
    Recorder rs, rc;
    rs.env = &sim.env(s);
    rs.echo = true;
    sim.env(s).SetNetHandler(&rs);
    sim.env(c).SetNetHandler(&rc);
    sim.env(s).Listen(1);
    ConnId conn = sim.env(c).Connect("127.0.0.1", 1);
    for (int i = 0; i < 50; ++i) sim.env(c).Send(conn, "x", "m");
    sim.RunUntil(1'000'000);
    return sim.trace_hash();
  };
  EXPECT_EQ(run(3), run(3));
  EXPECT_NE(run(3), run(4));
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

TEST_F(NetworkTest, PartitionHoldsTrafficInOrderUntilHealed) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  sim_.network().SetPartitioned(server_, client_, true);
  sim_.env(client_).Send(c, "a", "m");
  sim_.env(client_).Send(c, "b", "m");
  sim_.RunUntil(5'000'000);
  ASSERT_EQ(srv_.accepted.size(), 1u);
  EXPECT_EQ(srv_.data[srv_.accepted[0]], "");
  sim_.network().SetPartitioned(server_, client_, false);
  sim_.env(client_).Send(c, "c", "m");
  sim_.RunUntil(6'000'000);
  EXPECT_EQ(srv_.data[srv_.accepted[0]], "abc");
}

TEST_F(NetworkTest, CrashDropsWhatAPartitionHeld) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  ConnId s = srv_.accepted.at(0);
  sim_.network().SetPartitioned(server_, client_, true);
  sim_.env(server_).Send(s, "lost", "m");
  sim_.Crash(server_);
  sim_.network().SetPartitioned(server_, client_, false);
  sim_.RunUntil(2'000'000);
  EXPECT_EQ(cli_.data[c], "");
  ASSERT_EQ(cli_.closed.size(), 1u);  // the reset still arrives
}

TEST_F(NetworkTest, OneWayCutHoldsOnlyThatDirection) {
  srv_.echo = true;
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  // Server -> client is cut: the request gets through, the echo does not.
  sim_.network().SetCut(server_, client_, true);
  EXPECT_TRUE(sim_.network().cut(server_, client_));
  EXPECT_FALSE(sim_.network().partitioned(server_, client_));
  sim_.env(client_).Send(c, "ping", "m");
  sim_.RunUntil(3'000'000);
  EXPECT_EQ(srv_.data[srv_.accepted.at(0)], "ping");
  EXPECT_EQ(cli_.data[c], "");
  sim_.network().SetCut(server_, client_, false);
  sim_.RunUntil(4'000'000);
  EXPECT_EQ(cli_.data[c], "ping");
}

TEST_F(NetworkTest, ClogDelaysWithoutLossOrReordering) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  sim_.network().SetClog(client_, server_, 500'000);
  sim_.env(client_).Send(c, "a", "m");
  sim_.RunUntil(1'400'000);
  EXPECT_EQ(srv_.data[srv_.accepted.at(0)], "");  // still in the clog
  sim_.network().SetClog(client_, server_, 0);
  sim_.env(client_).Send(c, "b", "m");            // may not overtake "a"
  sim_.RunUntil(2'000'000);
  EXPECT_EQ(srv_.data[srv_.accepted.at(0)], "ab");
}

TEST_F(NetworkTest, ResetClosesBothEnds) {
  ASSERT_TRUE(sim_.env(server_).Listen(6379));
  ConnId c = sim_.env(client_).Connect("127.0.0.1", 6379);
  sim_.RunUntil(1'000'000);
  sim_.env(client_).Send(c, "in flight", "m");
  sim_.network().ResetConnections(server_, client_);
  sim_.RunUntil(2'000'000);
  ASSERT_EQ(cli_.closed.size(), 1u);
  ASSERT_EQ(srv_.closed.size(), 1u);
  EXPECT_EQ(cli_.closed[0].second, "connection reset");
  EXPECT_EQ(srv_.data[srv_.accepted.at(0)], "");  // dropped with the connection
  EXPECT_EQ(sim_.network().open_connections(), 0u);
}

TEST(SimFaults, ClockJumpMovesNowButNotTimers) {
  SimOptions o;
  o.buggify = false;
  Simulation sim(o);
  int m = sim.AddMachine("m");
  const int64_t before = sim.env(m).NowMs();
  int64_t fired_at = -1;
  sim.env(m).AddTimer(1000, "t", [&] { fired_at = sim.now_us(); });
  sim.JumpClock(m, -60'000'000);  // a minute back
  EXPECT_EQ(sim.env(m).NowMs(), before - 60'000);
  sim.RunUntil(2'000'000);
  EXPECT_EQ(fired_at, 1'000'000);  // elapsed time, not wall time
}

TEST(SimFaults, ClockDriftAccumulatesAndSurvivesARestart) {
  SimOptions o;
  o.buggify = false;
  Simulation sim(o);
  int m = sim.AddMachine("m");
  int ref = sim.AddMachine("ref");
  sim.SetClockDrift(m, 10'000);  // 1% fast
  sim.RunUntil(10'000'000);
  EXPECT_EQ(sim.env(m).NowUs() - sim.env(ref).NowUs(), 100'000);
  sim.Crash(m);
  sim.Restart(m);
  sim.RunUntil(20'000'000);
  EXPECT_EQ(sim.env(m).NowUs() - sim.env(ref).NowUs(), 200'000);
  sim.SetClockDrift(m, 0);  // what drifted stays
  sim.RunUntil(30'000'000);
  EXPECT_EQ(sim.env(m).NowUs() - sim.env(ref).NowUs(), 200'000);
}

TEST(SimFaults, SlowFsyncBlocksTheThread) {
  SimOptions o;
  o.buggify = false;
  Simulation sim(o);
  int m = sim.AddMachine("m");
  sim.SetFsyncLatency(m, 50'000);
  ASSERT_EQ(sim.env(m).WriteFile("f", "x"), IoStatus::kOk);
  ASSERT_EQ(sim.env(m).SyncFile("f"), IoStatus::kOk);
  EXPECT_EQ(sim.BusyOffsetUs(m), 50'000);
  int64_t fired_at = -1;
  sim.env(m).AddTimer(0, "t", [&] { fired_at = sim.now_us(); });
  sim.RunUntil(100'000);
  EXPECT_EQ(fired_at, 50'000);
}

}  // namespace
}  // namespace slotsim
