#include "client/cluster_client.h"

#include <algorithm>
#include <charconv>

#include "engine/check.h"
#include "engine/keyslot.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

const std::string kEmpty;

bool StartsWith(const std::string& s, std::string_view p) {
  return s.size() >= p.size() && std::string_view(s).substr(0, p.size()) == p;
}

RespValue ClientError(std::string msg) {
  RespValue v;
  v.type = RespValue::Type::kError;
  v.str = "CLIENT " + std::move(msg);
  return v;
}

// "MOVED 3999 127.0.0.1:6381" -> slot, addr.
bool ParseRedirect(const std::string& err, int* slot, std::string* addr) {
  size_t sp1 = err.find(' ');
  if (sp1 == std::string::npos) return false;
  size_t sp2 = err.find(' ', sp1 + 1);
  if (sp2 == std::string::npos) return false;
  std::string_view s = std::string_view(err).substr(sp1 + 1, sp2 - sp1 - 1);
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *slot);
  if (ec != std::errc() || p != s.data() + s.size() || *slot < 0 ||
      *slot >= kClusterSlots)
    return false;
  *addr = err.substr(sp2 + 1);
  std::string host;
  uint16_t port;
  return SplitHostPort(*addr, &host, &port);
}

}  // namespace

const char* OpOutcomeName(OpOutcome o) {
  switch (o) {
    case OpOutcome::kOk: return "ok";
    case OpOutcome::kError: return "error";
    case OpOutcome::kUnknown: return "unknown";
  }
  return "?";
}

bool SplitHostPort(const std::string& addr, std::string* host, uint16_t* port) {
  size_t colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  unsigned v = 0;
  std::string_view ps = std::string_view(addr).substr(colon + 1);
  auto [p, ec] = std::from_chars(ps.data(), ps.data() + ps.size(), v);
  if (ec != std::errc() || p != ps.data() + ps.size() || v == 0 || v > 65535)
    return false;
  *host = addr.substr(0, colon);
  *port = static_cast<uint16_t>(v);
  return true;
}

ClusterClient::ClusterClient(Simulation& sim, int machine, int id,
                             ClientOptions options, OpHistory* history)
    : sim_(sim), env_(sim.env(machine)), machine_(machine), id_(id),
      options_(std::move(options)), history_(history),
      prng_(sim.Stream("client/" + std::to_string(id))),
      slot_owner_(kClusterSlots, -1) {
  env_.SetNetHandler(this);
}

ClusterClient::~ClusterClient() {
  for (auto& [id, c] : conns_) env_.Close(id);
  env_.SetNetHandler(nullptr);
}

const std::string& ClusterClient::SlotOwner(int slot) const {
  int16_t i = slot_owner_[slot];
  return i < 0 ? kEmpty : addrs_[i];
}

ClusterClient::Conn* ClusterClient::GetConn(const std::string& addr) {
  auto it = conn_by_addr_.find(addr);
  if (it != conn_by_addr_.end()) return conns_.at(it->second).get();
  std::string host;
  uint16_t port;
  SLOTSIM_CHECK(SplitHostPort(addr, &host, &port));
  auto c = std::make_unique<Conn>();
  c->id = env_.Connect(host, port);
  c->addr = addr;
  Conn* raw = c.get();
  conn_by_addr_[addr] = c->id;
  conns_.emplace(c->id, std::move(c));
  return raw;
}

void ClusterClient::FailConn(ConnId id, const std::string& reason, bool close) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::unique_ptr<Conn> c = std::move(it->second);
  conns_.erase(it);
  conn_by_addr_.erase(c->addr);
  if (close) env_.Close(id);
  for (auto& p : c->pending) {
    p->transport_error = reason;
    p->done.Notify();
  }
}

void ClusterClient::OnData(ConnId id, std::string_view bytes) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn* c = it->second.get();
  c->parser.Feed(bytes);
  RespValue v;
  while (true) {
    ParseStatus st = c->parser.Next(&v);
    if (st == ParseStatus::kIncomplete) return;
    if (st == ParseStatus::kError || c->pending.empty()) {
      FailConn(id, st == ParseStatus::kError ? "bad reply: " + c->parser.error()
                                             : "unexpected reply",
               true);
      return;
    }
    auto p = c->pending.front();
    c->pending.pop_front();
    p->reply = std::move(v);
    p->done.Notify();
  }
}

void ClusterClient::OnClosed(ConnId id, std::string_view reason) {
  FailConn(id, "connection closed: " + std::string(reason), false);
}

bool ClusterClient::RoundTrip(const std::string& addr,
                              const std::vector<std::vector<std::string>>& cmds,
                              std::vector<RespValue>* replies,
                              std::string* error) {
  Conn* c = GetConn(addr);
  const ConnId cid = c->id;
  std::string wire;
  std::vector<std::shared_ptr<Pending>> waits;
  for (const auto& argv : cmds) {
    wire += resp::EncodeCommand(argv);
    auto p = std::make_shared<Pending>(sim_);
    c->pending.push_back(p);
    waits.push_back(p);
  }
  env_.Send(cid, wire, cmds.size() == 1 ? cmds[0][0] : "Pipeline");
  // The timer holds only a weak reference: a Pending that completes first
  // is freed and the timer does nothing.
  std::weak_ptr<Pending> last = waits.back();
  auto timer = sim_.Schedule(
      machine_, options_.request_timeout_ms * 1000, [this, cid, last] {
        if (auto p = last.lock(); p && !p->done.notified())
          FailConn(cid, "timeout", true);
      });
  replies->clear();
  for (auto& p : waits) {
    p->done.Wait();
    if (!p->reply) {
      sim_.Cancel(timer);
      *error = p->transport_error;
      return false;
    }
    replies->push_back(std::move(*p->reply));
  }
  sim_.Cancel(timer);
  return true;
}

void ClusterClient::Backoff(int attempt) {
  int64_t cap = std::min<int64_t>(options_.backoff_max_ms,
                                  options_.backoff_base_ms << std::min(attempt, 10));
  // Full jitter (AWS architecture blog): uniform in [0, cap].
  sim_.SleepUs(prng_.Range(0, cap) * 1000);
}

bool ClusterClient::ApplySlotsReply(const RespValue& v) {
  if (v.type != RespValue::Type::kArray) return false;
  std::vector<int16_t> owner(kClusterSlots, -1);
  for (const auto& range : v.elements) {
    if (range.type != RespValue::Type::kArray || range.elements.size() < 3)
      return false;
    const auto& a = range.elements[0];
    const auto& b = range.elements[1];
    const auto& node = range.elements[2];
    if (a.type != RespValue::Type::kInteger ||
        b.type != RespValue::Type::kInteger ||
        node.type != RespValue::Type::kArray || node.elements.size() < 2 ||
        a.integer < 0 || b.integer >= kClusterSlots || a.integer > b.integer)
      return false;
    std::string addr = node.elements[0].str + ":" +
                       std::to_string(node.elements[1].integer);
    auto it = std::find(addrs_.begin(), addrs_.end(), addr);
    if (it == addrs_.end()) {
      SLOTSIM_CHECK(addrs_.size() < 30000);
      addrs_.push_back(addr);
      it = addrs_.end() - 1;
    }
    int16_t idx = static_cast<int16_t>(it - addrs_.begin());
    for (int64_t s = a.integer; s <= b.integer; ++s) owner[s] = idx;
  }
  slot_owner_ = std::move(owner);
  return true;
}

bool ClusterClient::RefreshSlotMap() {
  std::vector<std::string> candidates = options_.seeds;
  for (const auto& a : addrs_)
    if (std::find(candidates.begin(), candidates.end(), a) == candidates.end())
      candidates.push_back(a);
  // Start at a random candidate so clients spread their load.
  const size_t n = candidates.size();
  if (n == 0) return false;
  const size_t start = prng_.Below(n);
  for (size_t k = 0; k < n; ++k) {
    const std::string& addr = candidates[(start + k) % n];
    std::vector<RespValue> replies;
    std::string err;
    if (!RoundTrip(addr, {{"CLUSTER", "SLOTS"}}, &replies, &err)) continue;
    if (ApplySlotsReply(replies[0])) {
      refresh_needed_ = false;
      return true;
    }
  }
  return false;
}

RespValue ClusterClient::ExecuteOn(const std::string& addr,
                                   const std::vector<std::string>& argv) {
  std::vector<RespValue> replies;
  std::string err;
  if (!RoundTrip(addr, {argv}, &replies, &err)) return ClientError(err);
  return std::move(replies[0]);
}

void ClusterClient::NoteFirstFailure(OpRecord* rec, const std::string& what) {
  if (!rec->first_failure.empty()) return;
  rec->first_failure = what.substr(0, 120);
  rec->first_failure_us = sim_.now_us();
}

RespValue ClusterClient::Execute(const std::vector<std::string>& argv,
                                 const std::string& key) {
  SLOTSIM_CHECK(!argv.empty());
  OpRecord rec;
  rec.client = id_;
  rec.command = argv[0];
  rec.key = key;
  if (argv.size() > 2) rec.value = argv.back();
  if (rec.command == "HSET" || rec.command == "HGET" || rec.command == "HDEL") {
    rec.field = argv.size() > 2 ? argv[2] : "";
    if (rec.command != "HSET") rec.value.clear();
  }
  rec.argv_digest = ArgvDigest(argv);
  rec.invoke_us = sim_.now_us();
  const int slot = KeyHashSlot(key);
  const uint64_t token = history_ != nullptr ? history_->BeginOp(rec) : 0;

  RespValue reply;
  std::string ask_addr;
  bool unknown = false;  // a request may have reached a node unanswered
  // Every iteration either returns or spends a redirect or a retry, both
  // bounded.
  while (true) {
    if (refresh_needed_) RefreshSlotMap();
    std::string addr = ask_addr;
    if (addr.empty()) addr = SlotOwner(slot);
    if (addr.empty() && !options_.seeds.empty())
      addr = options_.seeds[prng_.Below(options_.seeds.size())];
    if (addr.empty()) {
      reply = ClientError("no node known for slot " + std::to_string(slot));
      break;
    }
    std::vector<std::vector<std::string>> cmds;
    if (!ask_addr.empty()) cmds.push_back({"ASKING"});
    cmds.push_back(argv);
    ask_addr.clear();
    std::vector<RespValue> replies;
    std::string err;
    rec.node = addr;
    if (!RoundTrip(addr, cmds, &replies, &err)) {
      unknown = true;
      rec.ambiguous = true;
      NoteFirstFailure(&rec, "transport: " + err);
      rec.unanswered++;
      if (history_ != nullptr) history_->UpdateOp(token, rec);
      refresh_needed_ = true;
      if (rec.retries >= options_.retries_max) {
        reply = ClientError(err);
        break;
      }
      Backoff(rec.retries++);
      continue;
    }
    unknown = false;
    reply = std::move(replies.back());
    if (!reply.IsError()) break;
    int rslot;
    std::string raddr;
    if (StartsWith(reply.str, "MOVED ") && ParseRedirect(reply.str, &rslot, &raddr)) {
      if (rec.redirects >= options_.redirects_max) break;
      rec.redirects++;
      auto it = std::find(addrs_.begin(), addrs_.end(), raddr);
      if (it == addrs_.end()) {
        addrs_.push_back(raddr);
        it = addrs_.end() - 1;
      }
      slot_owner_[rslot] = static_cast<int16_t>(it - addrs_.begin());
      refresh_needed_ = true;  // one MOVED usually means more moved
      continue;
    }
    if (StartsWith(reply.str, "ASK ") && ParseRedirect(reply.str, &rslot, &raddr)) {
      if (rec.redirects >= options_.redirects_max) break;
      rec.redirects++;
      rec.asks++;
      ask_addr = raddr;
      continue;
    }
    if (StartsWith(reply.str, "TRYAGAIN") || StartsWith(reply.str, "CLUSTERDOWN")) {
      if (StartsWith(reply.str, "TRYAGAIN")) rec.tryagains++; else rec.clusterdowns++;
      NoteFirstFailure(&rec, reply.str);
      if (rec.retries >= options_.retries_max) break;
      Backoff(rec.retries++);
      if (StartsWith(reply.str, "CLUSTERDOWN")) refresh_needed_ = true;
      continue;
    }
    break;  // any other error is the command's own answer
  }

  rec.complete_us = sim_.now_us();
  rec.outcome = unknown ? OpOutcome::kUnknown
                        : reply.IsError() ? OpOutcome::kError : OpOutcome::kOk;
  rec.reply = reply.ToString();
  if (rec.reply.size() > 200) rec.reply.resize(200);
  const int node_machine = [&] {
    std::string host;
    uint16_t port;
    return SplitHostPort(rec.node, &host, &port) ? sim_.MachineAt(host, port) : -1;
  }();
  ClientOpRecord op;
  op.client = id_;
  op.key = rec.key;
  op.outcome = OpOutcomeName(rec.outcome);
  op.latency_us = rec.complete_us - rec.invoke_us;
  op.redirects = rec.redirects;
  op.asks = rec.asks;
  op.retries = rec.retries;
  op.tryagain = rec.tryagains;
  op.clusterdown = rec.clusterdowns;
  op.reply = rec.reply;
  sim_.Record(machine_, ClientOpRecord::kKind, node_machine, rec.command, op.Format());
  if (history_ != nullptr) {
    history_->EndOp(token);
    last_op_id_ = history_->Add(std::move(rec));
  }
  return reply;
}

}  // namespace slotsim
