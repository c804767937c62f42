// Primary-replica replication (Redis's replication.c, reduced to what the
// cluster needs). A replica connects to its primary's client port and
// sends REPLCONF listening-port and PSYNC <replid> <offset>; the primary
// answers +FULLRESYNC with a snapshot, or +CONTINUE with the missing part
// of its backlog, then streams every write as a RESP command. Offsets
// count stream bytes, as in Redis. Replicas acknowledge with REPLCONF ACK
// once a second and when asked (REPLCONF GETACK, used by WAIT).
//
// Deliberate differences from Redis: the snapshot is a RESP bulk string
// holding SET/HSET/RPUSH and PEXPIREAT commands (not RDB), and replicas
// never chain.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/env.h"
#include "engine/keyspace.h"
#include "engine/memory.h"
#include "engine/resp.h"

namespace slotsim {

class Replication {
 public:
  using ApplyFn = std::function<void(const std::vector<std::string>& argv)>;

  // `apply` executes a write from the primary's stream on this node.
  // The backlog, the replicas' records and the link's input are charged
  // to `memory`.
  Replication(Env& env, const EngineConfig& config, Keyspace& keyspace, MemoryAccount& memory,
              ApplyFn apply);

  // Draws a fresh replication id and starts the once-a-second cron.
  void Start();

  // ---- Primary side --------------------------------------------------------
  // PSYNC from the client connection `conn`. Sends +FULLRESYNC and a
  // snapshot, or +CONTINUE and the backlog tail, and from then on streams
  // writes to `conn`.
  void HandlePsync(ConnId conn, const std::string& peer_ip,
                   uint16_t listening_port, const std::string& replid,
                   int64_t offset);
  // REPLCONF ACK <offset> from a replica connection.
  void OnReplicaAck(ConnId conn, int64_t offset);
  // A client connection closed; forget it if it was a replica.
  void OnClientClosed(ConnId conn);
  bool IsReplicaConn(ConnId conn) const { return replicas_.count(conn) != 0; }
  // Feeds one write into the backlog and to every replica.
  void Propagate(const std::vector<std::string>& argv);
  // Replicas whose acknowledged offset is at least `offset`.
  int CountReplicasAcked(int64_t offset) const;
  // Replicas past their full sync, streaming.
  int online_replicas() const { return static_cast<int>(replicas_.size()); }
  // Asks every replica for an ACK now (REPLCONF GETACK *).
  void RequestAcks();
  // Called after every ACK; WAIT uses it to wake blocked clients.
  void set_on_ack(std::function<void()> fn) { on_ack_ = std::move(fn); }
  // Closes a replica's connection and frees the client it belongs to
  // (disconnectSlaves -> freeClient); without it, only closes.
  void set_close_replica(std::function<void(ConnId)> fn) { close_replica_ = std::move(fn); }
  // Primary side: what a full sync's snapshot carries after the keyspace,
  // as RESP commands (the slot migration jobs in flight). Replica side:
  // called before a snapshot is loaded, when what the old stream told
  // this node is about to be replaced.
  void set_snapshot_extra(std::function<std::string()> fn) { snapshot_extra_ = std::move(fn); }
  void set_on_snapshot_loading(std::function<void()> fn) {
    on_snapshot_loading_ = std::move(fn);
  }
  // Called with the snapshot after a full resync replaced the keyspace.
  void set_on_full_sync(std::function<void(const std::string&)> fn) {
    on_full_sync_ = std::move(fn);
  }

  // ---- Replica side ---------------------------------------------------------
  // Follow host:port (a new primary). Drops any current link and this
  // node's own replicas; the next cron connects.
  void SetPrimary(const std::string& host, uint16_t port);
  // Promotion (or reset to primary): stop following, keep the data and
  // offset, and start a new history whose parent is the old one (PSYNC2),
  // so former siblings can still resync partially.
  void BecomePrimary();
  bool IsLink(ConnId conn) const { return conn != kNoConn && conn == link_; }
  // The connections this side keeps state for: replicas (streaming or
  // waiting for their full sync) and the link to our primary.
  void AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const;
  void OnLinkConnected(ConnId conn);
  void OnLinkData(ConnId conn, std::string_view bytes);
  void OnLinkClosed(ConnId conn);

  // ---- State ----------------------------------------------------------------
  bool following() const { return !primary_host_.empty(); }
  // "host:port" of the primary followed ("" when none): the address of
  // the replica's master client, as CLIENT KILL names it.
  std::string primary_addr() const {
    return following() ? primary_host_ + ":" + std::to_string(primary_port_) : "";
  }
  // CLIENT KILL on the master client: drops the link (the cron reconnects).
  // False if there was none.
  bool KillPrimaryLink() {
    if (link_ == kNoConn) return false;
    DropLink();
    return true;
  }
  bool link_up() const { return state_ == LinkState::kConnected; }
  // True while a full resync's snapshot is being loaded.
  bool loading_snapshot() const { return state_ == LinkState::kTransfer; }
  // True while a loaded snapshot takes its key-load-delay (server.loading
  // during readSyncBulkPayload): commands without the loading flag get
  // -LOADING, the crons wait, and the stream behind it stays unread.
  bool loading() const { return load_timer_ != kNoTimer; }
  struct LoadingProgress {
    int64_t start_ms = 0;    // when the load began
    int64_t end_ms = 0;      // when it will end
    int64_t total_bytes = 0; // the snapshot's size
    int64_t keys = 0;        // the keys it holds
  };
  // Meaningful while loading().
  const LoadingProgress& loading_progress() const { return loading_progress_; }
  // key-load-delay changed: rdbLoad reads it for every key, so the keys
  // not loaded yet take the new delay.
  void RescheduleLoading();
  // master_repl_offset on a primary; the processed offset on a replica.
  int64_t offset() const { return offset_; }
  // What this node tells the cluster its offset is (the ping header's
  // offset, failover rank, CLUSTER SHARDS): replicationGetSlaveOffset, 0
  // from +FULLRESYNC until the snapshot is loaded, since Redis discards
  // the cached primary then and has no primary client until the load
  // ends. Peers hide such a replica from CLUSTER SLOTS
  // (isReplicaAvailable) and show it as "loading" in CLUSTER SHARDS.
  int64_t ReportedOffset() const {
    return following() && state_ == LinkState::kTransfer ? 0 : offset_;
  }
  const std::string& replid() const { return replid_; }
  // How stale a replica's data may be, in ms (clusterHandleSlaveFailover's
  // data_age before the node_timeout adjustment).
  int64_t DataAgeMs() const;
  // The "# Replication" INFO section (without the header line).
  std::string InfoSection(bool is_primary) const;
  // ROLE's reply (roleCommand): on a primary ["master", offset,
  // [[ip, port, acked offset], ...]]; on a replica ["slave", host, port,
  // link state ("connect", "connecting", "sync", "connected"), offset].
  void AppendRoleReply(bool is_primary, std::string* out) const;

 private:
  enum class LinkState { kNone, kConnecting, kHandshake, kTransfer, kConnected };
  struct ReplicaConn {
    std::string ip;
    uint16_t listening_port = 0;
    int64_t ack_offset = 0;
    int64_t ack_ms = 0;
    MemoryAccount::Charge charge;  // the record itself (kReplicaState)
  };

  void Cron();
  void ScheduleCron();
  // Parses what the link has buffered, reply by reply, unless loading.
  void ProcessLinkInput();
  // A full sync's snapshot replaced the keyspace: the link is up.
  void FullSyncLinkUp();
  // The key-load-delay of a snapshot of `keys` keys, in ms (0: none).
  int64_t LoadDelayMs(int64_t keys) const;
  // The load of the snapshot received on `conn` is over.
  void EndLoading(ConnId conn);
  void CancelLoading();
  // Arms the timer that ends the load of the snapshot received on `conn`.
  void ArmLoadTimer(int64_t ms);
  // Sends +FULLRESYNC and the snapshot to every replica waiting for one.
  void StartFullSyncs();
  void FeedBacklog(std::string_view bytes);
  // True if the backlog holds every byte from `from` on.
  bool BacklogHas(int64_t from) const;
  // Leaving the connected state: the data starts to age (traced).
  void MarkLinkDown(std::string_view reason);
  void DropLink();
  void Connect();
  void SendOnLink(const std::vector<std::string>& argv);
  void DisconnectReplicas();
  std::string RandomReplid();

  Env& env_;
  const EngineConfig& config_;
  Keyspace& keyspace_;
  MemoryAccount& memory_;
  ApplyFn apply_;
  std::function<void()> on_ack_;
  std::function<void(ConnId)> close_replica_;
  std::function<std::string()> snapshot_extra_;
  std::function<void()> on_snapshot_loading_;
  std::function<void(const std::string&)> on_full_sync_;

  std::string replid_;
  std::string replid2_ = std::string(40, '0');
  int64_t second_replid_offset_ = -1;
  int64_t offset_ = 0;
  // The last repl_backlog_bytes of the stream are backlog_[backlog_skip_..]:
  // bytes that fell out of the backlog are skipped and erased in bulk
  // once they outnumber the kept ones, so a write costs O(its size), not
  // a move of the whole backlog.
  std::string backlog_;
  MemoryAccount::Charge backlog_charge_;  // backlog_.size(), skipped bytes included
  size_t backlog_skip_ = 0;
  int64_t backlog_first_ = 1;    // stream offset of backlog_[backlog_skip_]
  size_t BacklogLength() const { return backlog_.size() - backlog_skip_; }

  std::map<ConnId, ReplicaConn> replicas_;  // primary side
  // Replicas waiting out the diskless-sync delay for their full sync.
  std::map<ConnId, ReplicaConn> waiting_full_sync_;
  TimerId full_sync_timer_ = kNoTimer;

  std::string primary_host_;     // replica side
  uint16_t primary_port_ = 0;
  ConnId link_ = kNoConn;
  LinkState state_ = LinkState::kNone;
  // PSYNC went out on this link (after REPLCONF's +OK).
  bool psync_sent_ = false;
  ReplyParser link_parser_;
  MemoryAccount::Charge link_charge_;  // link_parser_.buffered()
  int64_t last_interaction_ms_ = 0;
  // 0 ("down since ever") until this incarnation has synced, and again
  // after a promotion: such data never counts as recent enough to fail over.
  int64_t down_since_ms_ = 0;
  int64_t last_ping_ms_ = 0;
  TimerId load_timer_ = kNoTimer;
  ConnId loading_conn_ = kNoConn;  // the link whose snapshot is loading
  LoadingProgress loading_progress_;
};

}  // namespace slotsim
