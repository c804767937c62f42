#include "engine/replication.h"

#include <algorithm>
#include <charconv>

#include "engine/check.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

bool ParseInt(std::string_view s, int64_t* out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace

Replication::Replication(Env& env, const EngineConfig& config, Keyspace& keyspace,
                         MemoryAccount& memory, ApplyFn apply)
    : env_(env), config_(config), keyspace_(keyspace), memory_(memory), apply_(std::move(apply)),
      backlog_charge_(memory, MemoryKind::kReplBacklog),
      link_charge_(memory, MemoryKind::kReplLink) {
  SLOTSIM_CHECK(config_.repl_backlog_bytes > 0);
}

std::string Replication::RandomReplid() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(40, '0');
  for (auto& c : id) c = kHex[env_.RandomBelow(16)];
  return id;
}

void Replication::Start() {
  replid_ = RandomReplid();
  env_.Trace({ReplStartedRecord::kKind, "", "", ReplStartedRecord{replid_}.Format()});
  ScheduleCron();
}

void Replication::ScheduleCron() {
  env_.AddTimer(1000, "replicationCron", [this] {
    Cron();
    ScheduleCron();
  });
}

// ---- Backlog -------------------------------------------------------------------

void Replication::FeedBacklog(std::string_view bytes) {
  backlog_.append(bytes);
  offset_ += static_cast<int64_t>(bytes.size());
  const int64_t excess = static_cast<int64_t>(BacklogLength()) - config_.repl_backlog_bytes;
  if (excess > 0) {
    backlog_skip_ += static_cast<size_t>(excess);
    backlog_first_ += excess;
  }
  if (backlog_skip_ > BacklogLength()) {
    backlog_.erase(0, backlog_skip_);
    backlog_skip_ = 0;
  }
  SLOTSIM_CHECK(backlog_first_ + static_cast<int64_t>(BacklogLength()) == offset_ + 1);
  backlog_charge_.Set(backlog_.size());
}

bool Replication::BacklogHas(int64_t from) const {
  return from >= backlog_first_ && from <= offset_ + 1;
}

// ---- Primary side ----------------------------------------------------------------

void Replication::HandlePsync(ConnId conn, const std::string& peer_ip,
                              uint16_t listening_port,
                              const std::string& replid, int64_t offset) {
  // masterTryPartialResynchronization: our own history, or our parent's
  // up to the point where we took over.
  const bool same_history =
      replid == replid_ ||
      (replid == replid2_ && offset <= second_replid_offset_);
  ReplicaConn r;
  r.ip = peer_ip;
  r.listening_port = listening_port;
  r.ack_ms = env_.NowMs();
  r.charge = MemoryAccount::Charge(memory_, MemoryKind::kReplicaState,
                                   sizeof(ReplicaConn) + peer_ip.size());
  if (same_history && BacklogHas(offset)) {
    env_.HitProbe(Probe::kPsyncPartialAccepted);
    std::string out = "+CONTINUE " + replid_ + "\r\n";
    out.append(backlog_, backlog_skip_ + static_cast<size_t>(offset - backlog_first_));
    env_.Trace({"ReplPartialSync", "", "",
                "replica_port=" + std::to_string(listening_port) +
                    " from=" + std::to_string(offset) + " to=" + std::to_string(offset_)});
    env_.Send(conn, out, "ReplSync");
    replicas_[conn] = std::move(r);
    return;
  }
  // A replica with data (offset past 1) asked to continue and cannot: the
  // fallback to a full sync that PSYNC2 exists to avoid.
  if (offset > 1)
    env_.HitProbe(same_history ? Probe::kPsyncRefusedBacklog : Probe::kPsyncRefusedHistory);
  // A full sync waits repl-diskless-sync-delay for other replicas to join
  // it; +FULLRESYNC carries the offset of the moment the snapshot is
  // taken, so it is sent only then (startBgsaveForReplication).
  waiting_full_sync_[conn] = std::move(r);
  if (full_sync_timer_ == kNoTimer) {
    full_sync_timer_ = env_.AddTimer(config_.repl_diskless_sync_delay_ms, "fullSyncDelay",
                                     [this] {
                                       full_sync_timer_ = kNoTimer;
                                       StartFullSyncs();
                                     });
  }
}

void Replication::StartFullSyncs() {
  std::string snapshot = keyspace_.SnapshotAsCommands();
  if (snapshot_extra_) snapshot += snapshot_extra_();
  for (auto& [conn, r] : waiting_full_sync_) {
    std::string out = "+FULLRESYNC " + replid_ + " " + std::to_string(offset_) + "\r\n";
    resp::AppendBulk(&out, snapshot);
    env_.Trace({"ReplFullSync", "", "",
                "replica_port=" + std::to_string(r.listening_port) +
                    " offset=" + std::to_string(offset_) +
                    " keys=" + std::to_string(keyspace_.size())});
    env_.Send(conn, out, "ReplSync");
    replicas_[conn] = std::move(r);
  }
  waiting_full_sync_.clear();
}

void Replication::OnReplicaAck(ConnId conn, int64_t offset) {
  auto it = replicas_.find(conn);
  if (it == replicas_.end()) return;
  it->second.ack_offset = std::max(it->second.ack_offset, offset);
  it->second.ack_ms = env_.NowMs();
  if (on_ack_) on_ack_();
}

void Replication::OnClientClosed(ConnId conn) {
  replicas_.erase(conn);
  waiting_full_sync_.erase(conn);
}

void Replication::Propagate(const std::vector<std::string>& argv) {
  const std::string bytes = resp::EncodeCommand(argv);
  FeedBacklog(bytes);
  for (const auto& [conn, r] : replicas_) env_.Send(conn, bytes, "ReplStream");
}

int Replication::CountReplicasAcked(int64_t offset) const {
  int n = 0;
  for (const auto& [conn, r] : replicas_) n += r.ack_offset >= offset ? 1 : 0;
  return n;
}

void Replication::RequestAcks() {
  if (!replicas_.empty()) Propagate({"REPLCONF", "GETACK", "*"});
}

void Replication::AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const {
  for (const auto& [conn, r] : replicas_)
    out->emplace_back(conn, "replica " + r.ip + ":" + std::to_string(r.listening_port));
  for (const auto& [conn, r] : waiting_full_sync_)
    out->emplace_back(conn, "replica " + r.ip + ":" + std::to_string(r.listening_port) +
                                " waiting for its full sync");
  if (link_ != kNoConn)
    out->emplace_back(link_, "link to primary " + primary_host_ + ":" +
                                 std::to_string(primary_port_));
}

void Replication::DisconnectReplicas() {
  std::vector<ConnId> conns;
  for (const auto& [conn, r] : replicas_) conns.push_back(conn);
  for (const auto& [conn, r] : waiting_full_sync_) conns.push_back(conn);
  replicas_.clear();
  waiting_full_sync_.clear();
  // The records are gone first: closing frees the client, which tells us.
  for (ConnId conn : conns) {
    if (close_replica_ && !env_.BugInjected("replica-clients-kept-on-demotion"))
      close_replica_(conn);
    else
      env_.Close(conn);
  }
}

// ---- Replica side -----------------------------------------------------------------

void Replication::SetPrimary(const std::string& host, uint16_t port) {
  if (host == primary_host_ && port == primary_port_) return;
  DropLink();
  DisconnectReplicas();
  primary_host_ = host;
  primary_port_ = port;
  // down_since stays 0 for a replica that never synced: its data then
  // counts as infinitely old and it cannot fail over, as in Redis.
  env_.Trace({"ReplFollow", host + ":" + std::to_string(port), "", ""});
  // Connect now rather than at the next cron: a new primary should get
  // its replicas back quickly.
  Connect();
}

void Replication::BecomePrimary() {
  if (!following()) return;
  // The record's peer is the primary this node followed: the oracle
  // checks the promoted node's offset against that primary's writes.
  const std::string former = primary_host_ + ":" + std::to_string(primary_port_);
  CancelLoading();
  DropLink();
  primary_host_.clear();
  primary_port_ = 0;
  // shiftReplicationId: the old history stays valid up to here.
  replid2_ = replid_;
  second_replid_offset_ = offset_ + 1;
  replid_ = RandomReplid();
  // replicationUnsetMaster: a primary's link is down "since ever", so if
  // it is made a replica again its data counts as infinitely old until
  // it has synced with its new primary.
  down_since_ms_ = 0;
  ReplPromotedRecord r{replid_, replid2_, second_replid_offset_};
  env_.Trace({ReplPromotedRecord::kKind, former, "", r.Format()});
}

void Replication::MarkLinkDown(std::string_view reason) {
  if (state_ != LinkState::kConnected) return;
  // replicationHandleMasterDisconnection: the data ages from here. The
  // record is the oracle's clock for the replica's data age.
  down_since_ms_ = env_.NowMs();
  env_.Trace({"ReplLinkDown", "", "", "reason=" + std::string(reason)});
}

void Replication::DropLink() {
  if (link_ != kNoConn) env_.Close(link_);
  MarkLinkDown("dropped");
  link_ = kNoConn;
  state_ = LinkState::kNone;
  link_parser_ = ReplyParser();
  link_charge_.Set(0);
}

void Replication::SendOnLink(const std::vector<std::string>& argv) {
  env_.Send(link_, resp::EncodeCommand(argv), argv[0]);
}

void Replication::OnLinkConnected(ConnId conn) {}

void Replication::OnLinkClosed(ConnId conn) {
  if (conn != link_) return;
  MarkLinkDown("closed");
  link_ = kNoConn;
  state_ = LinkState::kNone;
  link_parser_ = ReplyParser();
  link_charge_.Set(0);
  // The cron reconnects.
}

// connectWithMaster + the handshake: REPLCONF, and once its +OK is in,
// PSYNC with the history we have, as syncWithMaster waits for each reply
// before the next step. (Pipelined, the primary's +CONTINUE and backlog
// would overtake REPLCONF's +OK, which a connected link cannot parse.)
// The send queues until the connection completes.
void Replication::Connect() {
  SLOTSIM_CHECK(following() && link_ == kNoConn);
  link_ = env_.Connect(primary_host_, primary_port_);
  link_parser_ = ReplyParser();
  link_charge_.Set(0);
  state_ = LinkState::kHandshake;
  psync_sent_ = false;
  SendOnLink({"REPLCONF", "listening-port", std::to_string(config_.port)});
}

void Replication::OnLinkData(ConnId conn, std::string_view bytes) {
  if (conn != link_) return;
  last_interaction_ms_ = env_.NowMs();
  link_parser_.Feed(bytes);
  ProcessLinkInput();
}

void Replication::ProcessLinkInput() {
  const ConnId conn = link_;
  RespValue v;
  // Each iteration consumes one reply of a finite buffer. While loading,
  // the rest waits, as Redis reads nothing more from its primary before
  // the load ends.
  while (link_ == conn && !loading()) {
    ParseStatus st = link_parser_.Next(&v);
    if (st == ParseStatus::kIncomplete) break;
    if (st == ParseStatus::kError) {
      env_.Trace({"ReplProtocolError", "", "", "reason=" + link_parser_.error()});
      DropLink();
      return;
    }
    switch (state_) {
      case LinkState::kHandshake: {
        // REPLCONF's reply, +OK or an error syncWithMaster ignores (not
        // every primary knows listening-port): now PSYNC.
        if (!psync_sent_ && (v.type == RespValue::Type::kError ||
                             (v.type == RespValue::Type::kSimple && v.str == "OK"))) {
          SendOnLink({"PSYNC", replid_, std::to_string(offset_ + 1)});
          psync_sent_ = true;
          break;
        }
        if (v.type == RespValue::Type::kSimple && v.str.rfind("FULLRESYNC ", 0) == 0) {
          // "+FULLRESYNC <replid> <offset>"
          std::string_view rest = std::string_view(v.str).substr(11);
          size_t sp = rest.find(' ');
          int64_t off;
          if (sp != 40 || !ParseInt(rest.substr(sp + 1), &off)) {
            DropLink();
            return;
          }
          replid_.assign(rest.substr(0, sp));
          offset_ = off;
          state_ = LinkState::kTransfer;
          break;
        }
        if (v.type == RespValue::Type::kSimple && v.str.rfind("CONTINUE ", 0) == 0) {
          std::string new_id = v.str.substr(9);
          if (new_id != replid_) {
            // The primary's history continues ours under a new id (PSYNC2).
            env_.HitProbe(Probe::kPsync2NewReplid);
            replid2_ = replid_;
            second_replid_offset_ = offset_ + 1;
            replid_ = new_id;
          }
          state_ = LinkState::kConnected;
          env_.Trace({"ReplLinkUp", "", "", "mode=partial offset=" + std::to_string(offset_)});
          break;
        }
        env_.Trace({"ReplSyncRefused", "", "", "reply=" + v.ToString()});
        DropLink();
        return;
      }
      case LinkState::kTransfer: {
        if (v.type != RespValue::Type::kBulk) {
          DropLink();
          return;
        }
        keyspace_.Clear();
        if (on_snapshot_loading_) on_snapshot_loading_();
        RequestParser snapshot;
        snapshot.Feed(v.str);
        std::vector<std::string> argv;
        while (snapshot.Next(&argv) == ParseStatus::kOk) apply_(argv);
        if (on_full_sync_) on_full_sync_(v.str);
        backlog_.clear();
        backlog_charge_.Set(0);
        backlog_skip_ = 0;
        backlog_first_ = offset_ + 1;
        replid2_.assign(40, '0');
        second_replid_offset_ = -1;
        // The keys are in place at once; with a key-load-delay the node
        // behaves as loading (rdbLoad's per-key debugDelay) until the
        // timer ends it, and nobody reads them before.
        if (const int64_t load_ms = LoadDelayMs(static_cast<int64_t>(keyspace_.size()));
            load_ms > 0) {
          const int64_t now = env_.NowMs();
          loading_progress_ = {now, now + load_ms, static_cast<int64_t>(v.str.size()),
                               static_cast<int64_t>(keyspace_.size())};
          env_.Trace({"ReplLoading", "", "",
                      "keys=" + std::to_string(keyspace_.size()) +
                          " ms=" + std::to_string(load_ms)});
          loading_conn_ = conn;
          ArmLoadTimer(load_ms);
          break;
        }
        FullSyncLinkUp();
        break;
      }
      case LinkState::kConnected: {
        if (v.type != RespValue::Type::kArray || v.elements.empty()) {
          DropLink();
          return;
        }
        std::vector<std::string> argv;
        argv.reserve(v.elements.size());
        for (auto& e : v.elements) argv.push_back(std::move(e.str));
        FeedBacklog(resp::EncodeCommand(argv));
        if (argv[0] == "PING") break;
        if (argv[0] == "REPLCONF") {
          if (argv.size() >= 2 && argv[1] == "GETACK")
            SendOnLink({"REPLCONF", "ACK", std::to_string(offset_)});
          break;
        }
        apply_(argv);
        break;
      }
      default:
        DropLink();
        return;
    }
  }
  if (link_ == conn) link_charge_.Set(link_parser_.buffered());
}

void Replication::FullSyncLinkUp() {
  SLOTSIM_CHECK(state_ == LinkState::kTransfer);
  state_ = LinkState::kConnected;
  last_interaction_ms_ = env_.NowMs();
  env_.Trace({"ReplLinkUp", "", "",
              "mode=full offset=" + std::to_string(offset_) +
                  " keys=" + std::to_string(keyspace_.size())});
}

int64_t Replication::LoadDelayMs(int64_t keys) const {
  const int64_t per_key = config_.key_load_delay_us;
  if (per_key == 0 || keys == 0) return 0;
  const int64_t us = per_key > 0 ? keys * per_key : keys / -per_key;
  return (us + 999) / 1000;
}

void Replication::EndLoading(ConnId conn) {
  env_.Trace({"ReplLoaded", "", "", "keys=" + std::to_string(keyspace_.size())});
  // The link may have closed meanwhile (then the cron reconnects), or a
  // new primary's handshake may wait behind the load.
  if (link_ == conn && state_ == LinkState::kTransfer) FullSyncLinkUp();
  if (link_ != kNoConn) ProcessLinkInput();
}

void Replication::CancelLoading() {
  if (load_timer_ == kNoTimer) return;
  env_.CancelTimer(load_timer_);
  load_timer_ = kNoTimer;
}

void Replication::ArmLoadTimer(int64_t ms) {
  SLOTSIM_CHECK(load_timer_ == kNoTimer && ms >= 0);
  loading_progress_.end_ms = env_.NowMs() + ms;
  load_timer_ = env_.AddTimer(ms, "replLoading", [this] {
    load_timer_ = kNoTimer;
    EndLoading(loading_conn_);
  });
}

void Replication::RescheduleLoading() {
  if (!loading()) return;
  const LoadingProgress& p = loading_progress_;
  const int64_t now = env_.NowMs();
  const int64_t span = std::max<int64_t>(1, p.end_ms - p.start_ms);
  // The keys still to load, in proportion to the time the load had left.
  const int64_t left = (p.keys * std::max<int64_t>(0, p.end_ms - now) + span - 1) / span;
  CancelLoading();
  ArmLoadTimer(LoadDelayMs(left));
}

void Replication::Cron() {
  // replicationCron runs from serverCron, which a load blocks.
  if (loading()) return;
  const int64_t now = env_.NowMs();
  if (following()) {
    if (link_ == kNoConn) {
      Connect();
    } else if (state_ == LinkState::kConnected) {
      if (now - last_interaction_ms_ > config_.repl_timeout_ms) {
        env_.Trace({"ReplTimeout", "", "", ""});
        DropLink();
      } else {
        SendOnLink({"REPLCONF", "ACK", std::to_string(offset_)});
      }
    }
  }
  if (!replicas_.empty() && now - last_ping_ms_ >= config_.repl_ping_period_ms) {
    last_ping_ms_ = now;
    Propagate({"PING"});
  }
}

int64_t Replication::DataAgeMs() const {
  const int64_t now = env_.NowMs();
  return link_up() ? now - last_interaction_ms_ : now - down_since_ms_;
}

void Replication::AppendRoleReply(bool is_primary, std::string* out) const {
  if (is_primary) {
    resp::AppendArrayHeader(out, 3);
    resp::AppendBulk(out, "master");
    resp::AppendInteger(out, offset_);
    resp::AppendArrayHeader(out, static_cast<int64_t>(replicas_.size()));
    for (const auto& [conn, r] : replicas_) {
      resp::AppendArrayHeader(out, 3);
      resp::AppendBulk(out, r.ip);
      resp::AppendBulk(out, std::to_string(r.listening_port));
      resp::AppendBulk(out, std::to_string(r.ack_offset));
    }
    return;
  }
  const char* state = state_ == LinkState::kNone         ? "connect"
                      : state_ == LinkState::kConnecting ? "connecting"
                      : state_ == LinkState::kConnected  ? "connected"
                                                         : "sync";
  resp::AppendArrayHeader(out, 5);
  resp::AppendBulk(out, "slave");
  resp::AppendBulk(out, primary_host_);
  resp::AppendInteger(out, primary_port_);
  resp::AppendBulk(out, state);
  resp::AppendInteger(out, offset_);
}

std::string Replication::InfoSection(bool is_primary) const {
  std::string s;
  auto line = [&](const std::string& k, const std::string& v) { s += k + ":" + v + "\r\n"; };
  const int64_t now = env_.NowMs();
  if (is_primary) {
    line("role", "master");
    line("connected_slaves", std::to_string(replicas_.size()));
    int i = 0;
    for (const auto& [conn, r] : replicas_) {
      line("slave" + std::to_string(i++),
           "ip=" + r.ip + ",port=" + std::to_string(r.listening_port) +
               ",state=online,offset=" + std::to_string(r.ack_offset) +
               ",lag=" + std::to_string((now - r.ack_ms) / 1000));
    }
  } else {
    line("role", "slave");
    line("master_host", primary_host_);
    line("master_port", std::to_string(primary_port_));
    line("master_link_status", link_up() ? "up" : "down");
    line("master_last_io_seconds_ago",
         link_up() ? std::to_string((now - last_interaction_ms_) / 1000) : "-1");
    line("master_sync_in_progress", state_ == LinkState::kTransfer ? "1" : "0");
    line("slave_read_repl_offset", std::to_string(offset_));
    line("slave_repl_offset", std::to_string(offset_));
    if (!link_up())
      line("master_link_down_since_seconds", std::to_string((now - down_since_ms_) / 1000));
    line("slave_priority", "100");
    line("slave_read_only", "1");
    line("replica_announced", "1");
    line("connected_slaves", "0");
  }
  line("master_failover_state", "no-failover");
  line("master_replid", replid_);
  line("master_replid2", replid2_);
  line("master_repl_offset", std::to_string(offset_));
  line("second_repl_offset", std::to_string(second_replid_offset_));
  line("repl_backlog_active", "1");
  line("repl_backlog_size", std::to_string(config_.repl_backlog_bytes));
  line("repl_backlog_first_byte_offset", std::to_string(backlog_first_));
  line("repl_backlog_histlen", std::to_string(BacklogLength()));
  return s;
}

}  // namespace slotsim
