#include "engine/migrate.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/check.h"
#include "engine/dump.h"
#include "engine/text.h"

namespace slotsim {
namespace {


bool ParseLong(std::string_view s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

std::vector<std::string_view> MigrateKeys(const std::vector<std::string>& argv) {
  std::vector<std::string_view> keys;
  if (argv.size() < 6) return keys;
  if (argv[3].empty()) {
    for (size_t j = 6; j < argv.size(); ++j) {
      if (EqualsIgnoreCase(argv[j], "keys")) {
        for (size_t k = j + 1; k < argv.size(); ++k) keys.push_back(argv[k]);
        break;
      }
    }
    return keys;
  }
  keys.push_back(argv[3]);
  return keys;
}

Migrator::Migrator(Env& env, const EngineConfig& config, Keyspace& keyspace,
                   CpuMeter& meter, MemoryAccount& memory,
                   std::function<void(const std::vector<std::string>&)> propagate)
    : env_(env), config_(config), keyspace_(keyspace), meter_(meter), memory_(memory),
      propagate_(std::move(propagate)) {}

bool Migrator::Start(const std::vector<std::string>& argv, std::string* out,
                     std::function<void(const std::string&)> done) {
  SLOTSIM_CHECK_MSG(!op_, "MIGRATE while another one blocks the node");
  bool copy = false, replace = false, keys_form = false;
  size_t first_key = 3, num_keys = 1;
  for (size_t j = 6; j < argv.size(); ++j) {
    const size_t more = argv.size() - j - 1;
    if (EqualsIgnoreCase(argv[j], "copy")) {
      copy = true;
    } else if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "auth") || EqualsIgnoreCase(argv[j], "auth2")) {
      resp::AppendError(out, "ERR slotsim nodes have no AUTH; MIGRATE without it");
      return true;
    } else if (EqualsIgnoreCase(argv[j], "keys")) {
      if (!argv[3].empty()) {
        resp::AppendError(out,
                          "ERR When using MIGRATE KEYS option, the key argument must be "
                          "set to the empty string");
        return true;
      }
      keys_form = true;
      first_key = j + 1;
      num_keys = more;
      break;
    } else {
      resp::AppendError(out, "ERR syntax error");
      return true;
    }
  }
  int64_t timeout, dbid, port;
  if (!ParseLong(argv[5], &timeout) || !ParseLong(argv[4], &dbid)) {
    resp::AppendError(out, "ERR value is not an integer or out of range");
    return true;
  }
  if (timeout <= 0) timeout = 1000;
  if (!ParseLong(argv[2], &port) || port <= 0 || port > 65535) {
    resp::AppendError(out, "ERR Invalid port");  // Redis fails the connect
    return true;
  }
  // Only the keys that exist move; none at all is NOKEY.
  Op op;
  op.charge = MemoryAccount::Charge(memory_, MemoryKind::kMigrateKeys);
  op.copy = copy;
  op.dbid = dbid;
  for (size_t j = 0; j < num_keys; ++j) {
    const std::string& k = argv[first_key + j];
    // lookupKeyRead: an expired key is not there (and on a primary goes now).
    if (keyspace_.Lookup(k) != nullptr) op.keys.push_back(k);
  }
  (void)keys_form;
  op.Recharge();
  if (op.keys.empty()) {
    resp::AppendSimple(out, "NOKEY");
    return true;
  }
  // migrateGetSocket: a cached connection, or a new one (evicting the
  // oldest when the cache is full).
  op.addr = argv[1] + ":" + argv[2];
  auto it = sockets_.find(op.addr);
  if (it == sockets_.end()) {
    if (sockets_.size() >= config_.migrate_sockets_max) {
      auto oldest = std::min_element(sockets_.begin(), sockets_.end(),
                                     [](const auto& a, const auto& b) {
                                       return a.second.last_use_ms < b.second.last_use_ms;
                                     });
      CloseSocket(oldest->first);
    }
    CachedSocket cs;
    cs.charge = MemoryAccount::Charge(memory_, MemoryKind::kMigrateSocket,
                                      sizeof(CachedSocket) + op.addr.size());
    cs.conn = env_.Connect(argv[1], static_cast<uint16_t>(port));
    by_conn_[cs.conn] = op.addr;
    it = sockets_.emplace(op.addr, std::move(cs)).first;
  }
  CachedSocket& cs = it->second;
  cs.last_use_ms = env_.NowMs();
  std::string payload;
  if (cs.last_dbid != dbid) {
    payload += resp::EncodeCommand({"SELECT", std::to_string(dbid)});
    op.select_sent = true;
  }
  for (const auto& k : op.keys) {
    const Value& value = *keyspace_.Find(k);
    // The TTL travels relative, at least 1 ms (migrateCommand); the
    // target makes it absolute on its own clock. Every key here passed
    // the lookup at this same clock reading, so none has expired since.
    int64_t ttl = 0;
    if (const int64_t when = keyspace_.GetExpire(k); when >= 0)
      ttl = std::max<int64_t>(when - keyspace_.now_ms(), 1);
    std::string dump = DumpValue(value);
    meter_.Serialize(dump.size(), value.elements());
    std::vector<std::string> cmd = {"RESTORE-ASKING", k, std::to_string(ttl), std::move(dump)};
    if (replace) cmd.push_back("REPLACE");
    payload += resp::EncodeCommand(cmd);
  }
  meter_.Io(payload.size());
  env_.Send(cs.conn, payload, "MIGRATE");
  op.done = std::move(done);
  op_ = std::move(op);
  env_.Trace({"MigrateStart", "", "", "target=" + op_->addr + " keys=" +
                                         std::to_string(op_->keys.size())});
  const std::string addr = op_->addr;
  env_.BeginBlockingRead(cs.conn, timeout, [this, addr] {
    CloseSocket(addr);
    Finish("IOERR error or timeout reading to target instance");
  });
  return false;
}

void Migrator::OnConnected(ConnId conn) {}

void Migrator::OnData(ConnId conn, std::string_view bytes) {
  auto a = by_conn_.find(conn);
  SLOTSIM_CHECK(a != by_conn_.end());
  CachedSocket& cs = sockets_.at(a->second);
  cs.parser.Feed(bytes);
  if (!op_ || op_->addr != a->second) {
    // Nothing asked: a peer speaking out of turn. Drop the connection.
    CloseSocket(a->second);
    return;
  }
  RespValue v;
  // Bounded by the replies expected: one per key, plus SELECT's.
  while (op_ && op_->replies < op_->keys.size()) {
    ParseStatus st = cs.parser.Next(&v);
    if (st == ParseStatus::kIncomplete) {
      op_->Recharge();
      return;
    }
    if (st == ParseStatus::kError) {
      CloseSocket(op_->addr);
      Finish("IOERR error or timeout reading to target instance");
      return;
    }
    if (op_->select_sent) {
      op_->select_sent = false;
      if (v.IsError()) {
        cs.last_dbid = -1;
        op_->target_error = v.str;
        op_->replies = op_->keys.size();  // Redis stops at a SELECT error
        // The RESTORE replies still arrive; a fresh socket next time.
        CloseSocket(op_->addr);
        break;
      }
      continue;
    }
    const std::string& key = op_->keys[op_->replies++];
    if (v.IsError()) {
      if (op_->target_error.empty()) op_->target_error = v.str;
      cs.last_dbid = -1;
    } else {
      op_->moved.push_back(key);
    }
  }
  if (!op_) return;
  op_->Recharge();
  if (op_->target_error.empty()) cs.last_dbid = op_->dbid;
  // Delete what moved, unless COPY, and propagate it as one DEL.
  if (!op_->copy && !op_->moved.empty()) {
    std::vector<std::string> del = {"DEL"};
    for (const auto& k : op_->moved) {
      // The source's synchronous free is part of MIGRATE's blocked time
      // (a 100 MB hash: 340 ms of its 2 s on Redis 7.0.15).
      if (const Value* value = keyspace_.Find(k)) meter_.Free(value->elements());
      if (keyspace_.Delete(k)) del.push_back(k);
    }
    if (del.size() > 1) propagate_(del);
  }
  Finish(op_->target_error.empty() ? "+OK"
                                   : "-ERR Target instance replied with error: " +
                                         op_->target_error);
}

void Migrator::OnClosed(ConnId conn) {
  auto a = by_conn_.find(conn);
  if (a == by_conn_.end()) return;
  const std::string addr = a->second;
  by_conn_.erase(a);
  sockets_.erase(addr);
  if (op_ && op_->addr == addr)
    Finish("IOERR error or timeout reading to target instance");
}

void Migrator::Finish(std::string reply) {
  SLOTSIM_CHECK(op_.has_value());
  env_.EndBlockingRead();
  auto done = std::move(op_->done);
  if (reply.rfind("IOERR", 0) == 0) env_.HitProbe(Probe::kMigrateAborted);
  env_.Trace({"MigrateDone", "", "", "target=" + op_->addr + " moved=" +
                                        std::to_string(op_->moved.size()) +
                                        " reply=" + reply.substr(0, 64)});
  op_.reset();
  // Errors and statuses arrive as "-..."/"+..." lines; normalize to RESP.
  if (reply.empty() || (reply[0] != '+' && reply[0] != '-')) reply = "-" + reply;
  done(reply + "\r\n");
}

void Migrator::CloseSocket(const std::string& addr) {
  auto it = sockets_.find(addr);
  if (it == sockets_.end()) return;
  env_.Close(it->second.conn);
  by_conn_.erase(it->second.conn);
  sockets_.erase(it);
}

void Migrator::AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const {
  for (const auto& [addr, cs] : sockets_) out->emplace_back(cs.conn, "MIGRATE socket to " + addr);
}

void Migrator::Cron() {
  if (env_.BugInjected("migrate-sockets-never-closed")) return;
  const int64_t now = env_.NowMs();
  std::vector<std::string> idle;
  for (const auto& [addr, cs] : sockets_)
    if (now - cs.last_use_ms > config_.migrate_socket_ttl_ms &&
        !(op_ && op_->addr == addr))
      idle.push_back(addr);
  for (const auto& addr : idle) CloseSocket(addr);
}

std::vector<std::pair<std::string, int64_t>> Migrator::IdleSockets(int64_t older_than_ms) const {
  std::vector<std::pair<std::string, int64_t>> out;
  const int64_t now = env_.NowMs();
  for (const auto& [addr, cs] : sockets_)
    if (now - cs.last_use_ms > older_than_ms && !(op_ && op_->addr == addr))
      out.emplace_back(addr, now - cs.last_use_ms);
  return out;
}

}  // namespace slotsim
