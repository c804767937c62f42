// The simulated network: stream connections between machines with
// per-connection FIFO delivery, per-link latency drawn from the run's
// "net" stream, listen/connect/close, and resets when a machine crashes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/env.h"
#include "sim/prng.h"

namespace slotsim {

class Simulation;

struct NetworkOptions {
  // One-way base latency of a machine pair, drawn once per link.
  int64_t link_latency_min_us = 50;
  int64_t link_latency_max_us = 400;
  // Per-message extra delay, exponentially distributed with this mean.
  int64_t jitter_mean_us = 30;
  // Extra delay when the "net.latency_spike" buggify point fires.
  int64_t spike_us = 20'000;
  // Every machine lives at this host; ports tell machines apart.
  std::string host = "127.0.0.1";
};

class SimNetwork {
 public:
  SimNetwork(Simulation& sim, const NetworkOptions& options);

  // Env operations of machine `m` (see env.h for the contracts).
  void SetHandler(int m, NetHandler* handler);
  bool Listen(int m, uint16_t port);
  void Unlisten(int m, uint16_t port);
  ConnId Connect(int m, const std::string& host, uint16_t port);
  void Send(int m, ConnId conn, std::string_view bytes, std::string_view label);
  void Close(int m, ConnId conn);

  // Resets every connection of `m` (peers see OnClosed after the link
  // latency), closes its listeners and forgets its handler.
  void CrashMachine(int m);
  // The machine that listens (or listened, before a crash) on host:port,
  // or -1: for naming peers in trace records.
  int MachineAt(const std::string& host, uint16_t port) const;
  // One-way delay for a message from `from` to `to` sent now.
  int64_t DrawLatency(int from, int to);
  // Cuts (or heals) the link between machines a and b, both directions.
  // While cut, everything sent across it (data, connects, closes) is held
  // in order, as a clogged link would hold it; healing delivers it. If
  // either machine crashes meanwhile, what it held is lost.
  void SetPartitioned(int a, int b, bool partitioned);
  bool partitioned(int a, int b) const;
  // The same for one direction only: from `from` to `to`.
  void SetCut(int from, int to, bool cut);
  bool cut(int from, int to) const { return held_.count({from, to}) != 0; }
  // Clogs the direction from -> to: everything still arrives, in order,
  // `extra_us` later than it would (0 unclogs).
  void SetClog(int from, int to, int64_t extra_us);
  // Resets every established connection between machines a and b: both
  // ends see OnClosed("connection reset"), as after a middlebox RST.
  void ResetConnections(int a, int b);
  // Tests of `slotsim diff`: one extra draw from the latency stream, as a
  // stray nondeterministic read would make; later latencies shift.
  void DebugPerturb() { (void)prng_.Next(); }

  int64_t messages_sent() const { return messages_sent_; }
  int64_t bytes_sent() const { return bytes_sent_; }
  size_t open_connections() const { return conns_.size(); }
  // Whether connection `conn` is open at machine `m`'s end: it was made
  // or accepted there, and neither closed by `m` nor reset or closed by the
  // peer with the news delivered to `m` (OnClosed runs in the same event
  // that forgets it).
  bool ConnectionOpen(int m, ConnId conn) const {
    auto it = conns_.find(conn);
    return it != conns_.end() && it->second.machine == m;
  }

 private:
  struct Endpoint {
    ConnId id = kNoConn;
    int machine = -1;
    ConnId peer = kNoConn;      // kNoConn until the peer accepted
    int peer_machine = -1;
    bool accepted_side = false;
    // Sends made before the peer accepted, in order: (bytes, label, msg).
    std::vector<std::tuple<std::string, std::string, int64_t>> pending;
    int64_t in_last_us = 0;     // last scheduled arrival at this endpoint
  };

  // Schedules an arrival at endpoint `to` no earlier than the previous
  // one, so every connection stays FIFO.
  void ScheduleArrival(Endpoint& to, int from_machine,
                       std::function<void()> on_arrival);
  void DeliverBytes(ConnId to, int from_machine, const std::string& bytes,
                    const std::string& label, int64_t msg_id);
  void SynArrives(ConnId client, const std::string& host, uint16_t port);
  // Delivers a close notice to `to` after in-flight data.
  void ScheduleClosed(ConnId to, int from_machine, std::string reason);
  NetHandler* HandlerOf(int m) const;
  struct Held {
    ConnId to;
    int from_machine;
    std::function<void()> on_arrival;
  };

  Simulation& sim_;
  NetworkOptions options_;
  Prng prng_;
  std::map<int, NetHandler*> handlers_;
  std::map<std::pair<std::string, uint16_t>, int> listeners_;
  // Every address any machine ever listened on, kept when it crashes:
  // a trace record about a dead peer still names its machine.
  std::map<std::pair<std::string, uint16_t>, int> address_book_;
  std::map<ConnId, Endpoint> conns_;  // ordered: crash resets in id order
  std::map<std::pair<int, int>, int64_t> link_base_us_;
  // (from, to) -> what the cut direction holds; key present = cut.
  std::map<std::pair<int, int>, std::vector<Held>> held_;
  std::map<std::pair<int, int>, int64_t> clog_us_;  // (from, to) -> extra delay
  ConnId next_conn_ = 1;
  int64_t next_msg_ = 1;
  int64_t messages_sent_ = 0;
  int64_t bytes_sent_ = 0;
};

}  // namespace slotsim
