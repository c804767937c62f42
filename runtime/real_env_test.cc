// RealEnv against real sockets, files and timers: the Env contract the
// engine relies on (order, Close semantics, blocking reads) holds in real
// mode as it does in the simulator.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

#include "runtime/real_env.h"

namespace slotsim {
namespace {

namespace asio = boost::asio;

struct Recorder : NetHandler {
  std::vector<std::string> log;
  std::map<ConnId, std::string> data;
  ConnId accepted = kNoConn;
  std::vector<ConnId> accepts;
  void OnAccept(uint16_t, ConnId c, const std::string& host) override {
    accepted = c;
    accepts.push_back(c);
    log.push_back("accept " + host);
  }
  void OnConnected(ConnId c) override { log.push_back("connected " + std::to_string(c)); }
  void OnData(ConnId c, std::string_view b) override {
    data[c] += b;
    log.push_back("data " + std::to_string(c) + " " + std::string(b));
  }
  void OnClosed(ConnId c, std::string_view) override { log.push_back("closed " + std::to_string(c)); }
};

uint16_t FreePort() {
  asio::io_context io;
  asio::ip::tcp::acceptor a(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// Runs `io` until `done()` or 5 s.
bool RunUntil(asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(std::chrono::milliseconds(5));
  }
  return done();
}

class RealEnvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("real-env-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  RealEnv::Options Opts() {
    RealEnv::Options o;
    o.data_dir = dir_.string();
    return o;
  }
  // A server and a client env on one loop, each with its recorder, and a
  // free port for the server.
  struct Peers {
    Peers(asio::io_context& io, const RealEnv::Options& o) : server(io, o), client(io, o) {
      server.SetNetHandler(&s);
      client.SetNetHandler(&c);
    }
    Recorder s, c;
    RealEnv server, client;
    uint16_t port = FreePort();
  };
  std::filesystem::path dir_;
  asio::io_context io_;
};

// The disk calls' contract, the same cases on RealEnv and SimEnv, lives
// in tests/env_contract_test.cc.

TEST_F(RealEnvTest, TimersFireInOrderAndCancel) {
  RealEnv env(io_, Opts());
  std::vector<int> fired;
  env.AddTimer(30, "late", [&] { fired.push_back(3); });
  env.AddTimer(1, "early", [&] { fired.push_back(1); });
  const TimerId gone = env.AddTimer(10, "cancelled", [&] { fired.push_back(2); });
  env.CancelTimer(gone);
  env.CancelTimer(gone);  // twice: ignored
  ASSERT_TRUE(RunUntil(io_, [&] { return fired.size() == 2; }));
  EXPECT_EQ(fired, (std::vector<int>{1, 3}));
  EXPECT_GT(env.NowMs(), 0);
}

TEST_F(RealEnvTest, BytesArriveInOrderAndCloseFlushesFirst) {
  Peers p(io_, Opts());
  RealEnv &server = p.server, &client = p.client;
  Recorder &s = p.s, &c = p.c;
  const uint16_t port = p.port;
  ASSERT_TRUE(server.Listen(port));
  EXPECT_FALSE(client.Listen(port)) << "a taken port is refused";
  const ConnId conn = client.Connect("127.0.0.1", port);
  client.Send(conn, "queued-before-connect;", "x");
  ASSERT_TRUE(RunUntil(io_, [&] { return s.accepted != kNoConn; }));
  std::string big(1 << 20, 'z');
  client.Send(conn, big, "x");
  client.Close(conn);  // still delivered, then the server sees the close
  ASSERT_TRUE(RunUntil(io_, [&] { return !s.log.empty() && s.log.back().rfind("closed", 0) == 0; }));
  EXPECT_EQ(s.data[s.accepted], "queued-before-connect;" + big);
  for (const auto& line : c.log) EXPECT_EQ(line.rfind("closed", 0), std::string::npos) << "no OnClosed for our own Close";
}

TEST_F(RealEnvTest, ConnectRefusedIsAClose) {
  RealEnv client(io_, Opts());
  Recorder c;
  client.SetNetHandler(&c);
  const ConnId conn = client.Connect("127.0.0.1", FreePort());
  ASSERT_TRUE(RunUntil(io_, [&] { return !c.log.empty(); }));
  EXPECT_EQ(c.log[0], "closed " + std::to_string(conn));
}

TEST_F(RealEnvTest, BlockingReadHoldsOtherEventsInOrder) {
  Peers p(io_, Opts());
  RealEnv &server = p.server, &client = p.client;
  Recorder& s = p.s;
  const uint16_t port = p.port;
  ASSERT_TRUE(server.Listen(port));
  const ConnId a = client.Connect("127.0.0.1", port);
  ASSERT_TRUE(RunUntil(io_, [&] { return s.accepts.size() == 1; }));
  const ConnId b = client.Connect("127.0.0.1", port);
  ASSERT_TRUE(RunUntil(io_, [&] { return s.accepts.size() == 2; }));
  const ConnId sa = s.accepts[0], sb = s.accepts[1];
  server.BeginBlockingRead(sa, 0, nullptr);
  bool timer_fired = false;
  server.AddTimer(0, "held", [&] { timer_fired = true; s.log.push_back("timer"); });
  // The timer expires first (held), then the other connection's bytes
  // arrive (held behind it).
  io_.restart();
  io_.run_for(std::chrono::milliseconds(50));
  client.Send(b, "other", "x");
  io_.restart();
  io_.run_for(std::chrono::milliseconds(300));  // time for the held events to arrive
  EXPECT_FALSE(timer_fired) << "a timer waits while the loop is blocked";
  EXPECT_EQ(s.data.count(sb), 0u) << "another connection's bytes wait";
  client.Send(a, "mine", "x");
  ASSERT_TRUE(RunUntil(io_, [&] { return s.data[sa] == "mine"; }));
  server.EndBlockingRead();
  ASSERT_TRUE(RunUntil(io_, [&] { return timer_fired && s.data[sb] == "other"; }));
  // The held events came after "mine", in the order they happened.
  std::vector<std::string> tail(s.log.end() - 2, s.log.end());
  EXPECT_EQ(tail[0], "timer");
  EXPECT_EQ(tail[1], "data " + std::to_string(sb) + " other");
}

TEST_F(RealEnvTest, BlockingReadTimesOut) {
  RealEnv env(io_, Opts());
  Recorder r;
  env.SetNetHandler(&r);
  bool timed_out = false, timer = false;
  env.BeginBlockingRead(12345, 20, [&] { timed_out = true; });
  env.AddTimer(0, "held", [&] { timer = true; });
  ASSERT_TRUE(RunUntil(io_, [&] { return timed_out && timer; }));
}

}  // namespace
}  // namespace slotsim
