// Test helpers: a raw connection on its own simulated machine that sends
// bytes and collects whatever comes back, for poking engine nodes without
// the cluster client's routing and retries.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "engine/resp.h"
#include "engine/server.h"
#include "sim/simulation.h"

namespace slotsim::testing {

class RawConn : public NetHandler {
 public:
  RawConn(Simulation& sim, const std::string& machine_name)
      : sim_(sim), machine_(sim.AddMachine(machine_name)), env_(sim.env(machine_)) {
    env_.SetNetHandler(this);
  }
  void Connect(uint16_t port) { conn_ = env_.Connect("127.0.0.1", port); }
  void Send(std::string_view bytes) { env_.Send(conn_, bytes, "raw"); }
  void SendCommand(const std::vector<std::string>& argv) {
    Send(resp::EncodeCommand(argv));
  }
  // Runs the simulation for `ms` and returns every reply parsed so far
  // (consumed).
  std::vector<RespValue> Replies(int64_t ms = 50) {
    sim_.RunUntil(sim_.now_us() + ms * 1000);
    std::vector<RespValue> out;
    RespValue v;
    while (parser_.Next(&v) == ParseStatus::kOk) out.push_back(v);
    return out;
  }
  // One command, one reply (or a kNullArray placeholder if none came).
  RespValue Call(const std::vector<std::string>& argv, int64_t ms = 50) {
    SendCommand(argv);
    auto r = Replies(ms);
    if (r.empty()) {
      RespValue none;
      none.type = RespValue::Type::kNullArray;
      return none;
    }
    return r.back();
  }
  bool closed() const { return closed_; }
  const std::string& raw() const { return raw_; }

  void OnAccept(uint16_t, ConnId, const std::string&) override {}
  void OnConnected(ConnId) override {}
  void OnData(ConnId, std::string_view b) override {
    raw_ += b;
    parser_.Feed(b);
  }
  void OnClosed(ConnId, std::string_view) override { closed_ = true; }

 private:
  Simulation& sim_;
  int machine_;
  Env& env_;
  ConnId conn_ = kNoConn;
  ReplyParser parser_;
  std::string raw_;
  bool closed_ = false;
};

// Simulation options without buggified faults: the harness's tests poke
// nodes directly and want exact replies.
inline SimOptions Quiet() {
  SimOptions o;
  o.buggify = false;
  return o;
}

// `count` started nodes on ports 7000, 7001, ... of `sim`, each on its own
// machine (node_timeout_ms 0: the default).
inline std::vector<std::unique_ptr<Server>> StartNodes(Simulation& sim, int count,
                                                       int64_t node_timeout_ms = 0) {
  std::vector<std::unique_ptr<Server>> servers;
  for (int i = 0; i < count; ++i) {
    const int m = sim.AddMachine("node" + std::to_string(i));
    EngineConfig cfg;
    cfg.port = static_cast<uint16_t>(7000 + i);
    if (node_timeout_ms > 0) cfg.node_timeout_ms = node_timeout_ms;
    servers.push_back(std::make_unique<Server>(sim.env(m), cfg));
    if (!servers.back()->Start()) return {};
  }
  return servers;
}

}  // namespace slotsim::testing
