#include "sim/network.h"

#include <algorithm>

#include "engine/check.h"
#include "engine/trace_records.h"
#include "sim/simulation.h"

namespace slotsim {

SimNetwork::SimNetwork(Simulation& sim, const NetworkOptions& options)
    : sim_(sim), options_(options), prng_(sim.Stream("net")) {
  SLOTSIM_CHECK(options_.link_latency_min_us > 0);
  SLOTSIM_CHECK(options_.link_latency_min_us <= options_.link_latency_max_us);
}

NetHandler* SimNetwork::HandlerOf(int m) const {
  auto it = handlers_.find(m);
  return it == handlers_.end() ? nullptr : it->second;
}

void SimNetwork::SetHandler(int m, NetHandler* handler) {
  handlers_[m] = handler;
}

bool SimNetwork::Listen(int m, uint16_t port) {
  auto key = std::make_pair(options_.host, port);
  if (listeners_.count(key)) return false;
  listeners_[key] = m;
  address_book_[key] = m;
  return true;
}

void SimNetwork::Unlisten(int m, uint16_t port) {
  auto it = listeners_.find({options_.host, port});
  if (it != listeners_.end() && it->second == m) listeners_.erase(it);
}

int SimNetwork::MachineAt(const std::string& host, uint16_t port) const {
  auto it = address_book_.find({host, port});
  return it == address_book_.end() ? -1 : it->second;
}

int64_t SimNetwork::DrawLatency(int from, int to) {
  auto key = std::make_pair(std::min(from, to), std::max(from, to));
  auto it = link_base_us_.find(key);
  if (it == link_base_us_.end()) {
    int64_t base = prng_.Range(options_.link_latency_min_us,
                               options_.link_latency_max_us);
    it = link_base_us_.emplace(key, base).first;
  }
  int64_t lat = it->second +
                static_cast<int64_t>(prng_.Exponential(
                    static_cast<double>(options_.jitter_mean_us)));
  if (sim_.Buggify("net.latency_spike")) lat += options_.spike_us;
  return lat;
}

void SimNetwork::ScheduleArrival(Endpoint& to, int from_machine,
                                 std::function<void()> on_arrival) {
  auto cut = held_.find({from_machine, to.machine});
  if (cut != held_.end() && from_machine != to.machine) {
    SLOTSIM_CHECK_MSG(cut->second.size() < 10'000'000, "partition hold limit");
    cut->second.push_back({to.id, from_machine, std::move(on_arrival)});
    return;
  }
  // A busy sender's bytes leave when its thread is done (the cost model).
  int64_t clog = 0;
  if (!clog_us_.empty())
    if (auto c = clog_us_.find({from_machine, to.machine}); c != clog_us_.end()) clog = c->second;
  int64_t at = std::max(sim_.now_us() + sim_.BusyOffsetUs(from_machine) +
                            DrawLatency(from_machine, to.machine) + clog,
                        to.in_last_us);
  to.in_last_us = at;
  sim_.Schedule(to.machine, at - sim_.now_us(), std::move(on_arrival), to.id);
}

ConnId SimNetwork::Connect(int m, const std::string& host, uint16_t port) {
  ConnId id = next_conn_++;
  Endpoint e;
  e.id = id;
  e.machine = m;
  conns_.emplace(id, std::move(e));
  int target = MachineAt(host, port);
  if (target >= 0 && target != m && cut(m, target)) {
    // The SYN waits in the cut link like everything else.
    held_[{m, target}].push_back(
        {id, target, [this, id, host, port] { SynArrives(id, host, port); }});
    return id;
  }
  int64_t lat = sim_.BusyOffsetUs(m) + DrawLatency(m, target >= 0 ? target : m);
  // Tagged with the new connection: a machine blocked reading it (MIGRATE's
  // synchronous connect) still completes the handshake.
  sim_.Schedule(m, lat, [this, id, host, port] { SynArrives(id, host, port); }, id);
  return id;
}

void SimNetwork::SynArrives(ConnId client, const std::string& host,
                            uint16_t port) {
  auto cit = conns_.find(client);
  if (cit == conns_.end()) return;  // closed before it connected
  Endpoint& a = cit->second;
  int target = MachineAt(host, port);
  if (target < 0 || !sim_.machine_up(target) || HandlerOf(target) == nullptr) {
    sim_.Record(a.machine, "ConnectRefused", target, "",
                "conn=" + std::to_string(client) + " port=" + std::to_string(port));
    ScheduleClosed(client, target >= 0 ? target : a.machine,
                   "connection refused");
    return;
  }
  ConnId sid = next_conn_++;
  Endpoint b;
  b.id = sid;
  b.machine = target;
  b.peer = client;
  b.peer_machine = a.machine;
  b.accepted_side = true;
  a.peer = sid;
  a.peer_machine = target;
  auto pending = std::move(a.pending);
  a.pending.clear();
  auto [bit, inserted] = conns_.emplace(sid, std::move(b));
  SLOTSIM_CHECK(inserted);
  // The SYN-ACK travels first on the way back, ahead of any reply.
  const int client_machine = a.machine;
  ScheduleArrival(a, target, [this, client] {
    auto it = conns_.find(client);
    if (it == conns_.end()) return;
    if (NetHandler* h = HandlerOf(it->second.machine)) h->OnConnected(client);
  });
  // Bytes sent before the accept follow the SYN in order.
  for (auto& [bytes, label, msg] : pending) {
    auto data = std::make_shared<std::string>(std::move(bytes));
    std::string lab = label;
    int64_t mid = msg;
    ScheduleArrival(bit->second, client_machine,
                    [this, sid, client_machine, data, lab, mid] {
                      DeliverBytes(sid, client_machine, *data, lab, mid);
                    });
  }
  HandlerOf(target)->OnAccept(port, sid, options_.host);
}

void SimNetwork::Send(int m, ConnId conn, std::string_view bytes,
                      std::string_view label) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;  // closed: a no-op, as documented
  Endpoint& e = it->second;
  SLOTSIM_CHECK(e.machine == m);
  const int64_t msg = next_msg_++;
  messages_sent_++;
  bytes_sent_ += static_cast<int64_t>(bytes.size());
  sim_.Record(m, NetMessageRecord::kSendKind, e.peer_machine, label,
              NetMessageRecord{static_cast<int64_t>(conn), static_cast<int64_t>(bytes.size()),
                               msg}
                  .Format());
  if (e.peer == kNoConn) {
    e.pending.emplace_back(std::string(bytes), std::string(label), msg);
    return;
  }
  auto pit = conns_.find(e.peer);
  if (pit == conns_.end()) return;  // peer already gone; the bytes are lost
  auto data = std::make_shared<std::string>(bytes);
  std::string lab(label);
  ConnId to = e.peer;
  ScheduleArrival(pit->second, m, [this, to, m, data, lab, msg] {
    DeliverBytes(to, m, *data, lab, msg);
  });
}

void SimNetwork::DeliverBytes(ConnId to, int from_machine,
                              const std::string& bytes,
                              const std::string& label, int64_t msg_id) {
  auto it = conns_.find(to);
  if (it == conns_.end()) return;  // closed locally meanwhile
  const int m = it->second.machine;
  NetHandler* h = HandlerOf(m);
  if (h == nullptr) return;
  sim_.Record(m, NetMessageRecord::kDeliverKind, from_machine, label,
              NetMessageRecord{static_cast<int64_t>(to), static_cast<int64_t>(bytes.size()),
                               msg_id}
                  .Format());
  // Buggify: a stream has no message boundaries; deliver in pieces so
  // every parser meets partial input.
  if (bytes.size() > 1 && sim_.Buggify("net.split_delivery")) {
    size_t cut = 1 + static_cast<size_t>(prng_.Below(bytes.size() - 1));
    h->OnData(to, std::string_view(bytes).substr(0, cut));
    if (conns_.count(to) == 0) return;  // the handler closed it
    h->OnData(to, std::string_view(bytes).substr(cut));
    return;
  }
  h->OnData(to, bytes);
}

void SimNetwork::ScheduleClosed(ConnId to, int from_machine,
                                std::string reason) {
  auto it = conns_.find(to);
  if (it == conns_.end()) return;
  ScheduleArrival(it->second, from_machine, [this, to, reason] {
    auto it2 = conns_.find(to);
    if (it2 == conns_.end()) return;
    const int m = it2->second.machine;
    conns_.erase(it2);
    sim_.Record(m, "ConnClosed", -1, "",
                "conn=" + std::to_string(to) + " reason=" + reason);
    if (NetHandler* h = HandlerOf(m)) h->OnClosed(to, reason);
  });
}

void SimNetwork::Close(int m, ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  SLOTSIM_CHECK(it->second.machine == m);
  ConnId peer = it->second.peer;
  conns_.erase(it);
  sim_.Record(m, "Close", -1, "", "conn=" + std::to_string(conn));
  if (peer != kNoConn) ScheduleClosed(peer, m, "closed by peer");
}

void SimNetwork::SetPartitioned(int a, int b, bool partitioned) {
  SLOTSIM_CHECK(a != b);
  SetCut(a, b, partitioned);
  SetCut(b, a, partitioned);
}

bool SimNetwork::partitioned(int a, int b) const { return cut(a, b) && cut(b, a); }

void SimNetwork::SetCut(int from, int to, bool is_cut) {
  SLOTSIM_CHECK(from != to);
  const std::pair<int, int> key{from, to};
  if (is_cut) {
    if (held_.count(key)) return;
    held_[key];
    sim_.Record(-1, std::string(LinkFaultRecord::kPartition), -1, "",
                LinkFaultRecord{from, to, std::nullopt, std::nullopt}.Format());
    return;
  }
  auto it = held_.find(key);
  if (it == held_.end()) return;
  std::vector<Held> held = std::move(it->second);
  held_.erase(it);
  sim_.Record(-1, std::string(LinkFaultRecord::kHeal), -1, "",
              LinkFaultRecord{from, to, static_cast<int64_t>(held.size()), std::nullopt}.Format());
  for (auto& h : held) {
    auto eit = conns_.find(h.to);
    if (eit == conns_.end()) continue;  // closed meanwhile
    ScheduleArrival(eit->second, h.from_machine, std::move(h.on_arrival));
  }
}

void SimNetwork::SetClog(int from, int to, int64_t extra_us) {
  SLOTSIM_CHECK(from != to && extra_us >= 0);
  if (extra_us == 0) clog_us_.erase({from, to});
  else clog_us_[{from, to}] = extra_us;
  sim_.Record(-1, std::string(LinkFaultRecord::kClog), -1, "",
              LinkFaultRecord{from, to, std::nullopt, extra_us}.Format());
}

void SimNetwork::ResetConnections(int a, int b) {
  SLOTSIM_CHECK(a != b);
  std::vector<ConnId> victims;
  for (const auto& [id, e] : conns_)
    if ((e.machine == a && e.peer_machine == b) || (e.machine == b && e.peer_machine == a))
      victims.push_back(id);
  sim_.Record(-1, "ConnReset", -1, "", "a=" + std::to_string(a) + " b=" + std::to_string(b) +
                                           " conns=" + std::to_string(victims.size()));
  // Each end learns at once (its own RST), in id order; data in flight is
  // dropped with the connection.
  for (ConnId id : victims) {
    auto it = conns_.find(id);
    if (it == conns_.end()) continue;
    const int m = it->second.machine;
    conns_.erase(it);
    sim_.Schedule(m, 0, [this, id, m] {
      sim_.Record(m, "ConnClosed", -1, "", "conn=" + std::to_string(id) + " reason=connection reset");
      if (NetHandler* h = HandlerOf(m)) h->OnClosed(id, "connection reset");
    }, id);
  }
}

void SimNetwork::CrashMachine(int m) {
  // What a cut link held from or to the dead machine is gone.
  for (auto& [key, held] : held_) {
    if (key.first != m && key.second != m) continue;
    held.erase(std::remove_if(held.begin(), held.end(),
                              [&](const Held& h) {
                                auto e = conns_.find(h.to);
                                return h.from_machine == m || e == conns_.end() ||
                                       e->second.machine == m;
                              }),
               held.end());
  }
  std::vector<ConnId> mine;
  for (const auto& [id, e] : conns_)
    if (e.machine == m) mine.push_back(id);
  for (ConnId id : mine) {
    ConnId peer = conns_[id].peer;
    conns_.erase(id);
    if (peer != kNoConn) ScheduleClosed(peer, m, "connection reset");
  }
  for (auto it = listeners_.begin(); it != listeners_.end();)
    it = it->second == m ? listeners_.erase(it) : std::next(it);
  handlers_.erase(m);
}

}  // namespace slotsim
