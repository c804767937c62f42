// The cluster engine of one node: node table, slot map, epochs, the bus
// protocol, gossip, failure detection and the cluster commands
// (Redis's cluster_legacy.c, split by concern across cluster_*.cc).
//
// Event-driven: every entry point runs to completion on the node's event
// loop. After each entry point the owner calls AfterEvent(), which plays
// the role of Redis's clusterBeforeSleep (state update, state tracing).
#pragma once

#include <cstdint>
#include <limits>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/bus_codec.h"
#include "engine/cluster_node.h"
#include "engine/config.h"
#include "engine/env.h"
#include "engine/keyspace.h"
#include "engine/memory.h"

namespace slotsim {

enum class ClusterHealth { kFail, kOk };

// Why a keyed command is not served here (getNodeByQuery's error codes).
enum class Redirect { kNone, kCrossSlot, kMoved, kAsk, kTryAgain, kDownState,
                      kDownRoState, kDownUnbound };

// Counters shown by CLUSTER INFO and used by tests.
struct ClusterStats {
  // Indexed by bus::MessageType (Redis's CLUSTERMSG_TYPE_COUNT).
  static constexpr int kMessageTypes = 11;
  int64_t messages_sent[kMessageTypes] = {};
  int64_t messages_received[kMessageTypes] = {};
  int64_t bus_frames_dropped = 0;   // garbled or invalid, link kept
  int64_t bus_links_broken = 0;     // framing lost, link closed
  // PONG broadcasts announcing a slot hand-off (SETSLOT NODE closing an
  // import, or an atomic migration's takeover): the topology updates the
  // migration benchmark counts.
  int64_t handoff_broadcasts = 0;
  // Links freed for exceeding cluster-link-sendbuf-limit
  // (stat_cluster_links_buffer_limit_exceeded).
  int64_t links_buffer_limit_exceeded = 0;
};

// What the cluster needs from the rest of the node (Redis calls these
// directly: replicationSetMaster, replicationUnsetMaster, ...).
struct ClusterHooks {
  // Follow the primary at host:port (clusterSetMaster -> replicationSetMaster).
  std::function<void(const std::string& host, uint16_t port)> become_replica;
  // Stop following; this node is a primary now (replicationUnsetMaster).
  std::function<void()> become_primary;
  // This node's replication offset (replicationGetSlaveOffset on a replica).
  std::function<int64_t()> repl_offset;
  // True while this node loads a full sync (server.loading): serverCron,
  // and with it clusterCron, does not run, though bus messages are still
  // read and answered (processEventsWhileBlocked).
  std::function<bool()> loading;
  // How stale this replica's data is, in ms.
  std::function<int64_t()> repl_data_age_ms;
  // Propagate a write made by the cluster itself (dirty-slot DELs).
  std::function<void(const std::vector<std::string>&)> propagate;
  // Block client writes until `until_ms`, or lift the block
  // (pauseActions(PAUSE_DURING_FAILOVER, ..., CLIENT_PAUSE_WRITE)).
  std::function<void(int64_t until_ms)> pause_writes;
  std::function<void()> unpause_writes;
  // Non-empty while this node's configEpoch must not change: the id of an
  // atomic slot migration whose END carried the epoch to its target and
  // whose answer has not come yet (SlotMigrations::ExportHandoffInFlight).
  // The target claims the batch just above that epoch, so raising mine
  // meanwhile would make its claim lose to my stale one.
  std::function<std::string()> config_epoch_frozen_by;
  // A PUBLISH (sharded: PUBLISHSHARD) came over the bus: deliver it to
  // this node's subscribers (pubsubPublishMessage).
  std::function<void(const std::string& channel, const std::string& message, bool sharded)>
      publish_received;
  // My shard no longer serves `slot` (clusterDelSlot's
  // removeChannelsInSlot): its shard channels lose their subscribers.
  std::function<void(int slot)> shard_slot_lost;
};

class Cluster {
 public:
  Cluster(Env& env, const EngineConfig& config, Keyspace& keyspace, MemoryAccount& memory);
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  // Loads nodes.conf from the node's disk if there is one (a restart),
  // else creates myself as a fresh primary with a random name; then starts
  // the cron. Call once, after the ports listen. False (and *error) if the
  // saved config is corrupt: the node must not start (Redis exits).
  bool Start(std::string* error);
  // Must be set before Start.
  void set_hooks(ClusterHooks hooks) { hooks_ = std::move(hooks); }

  // ---- Bus entry points (Server forwards these by ConnId) ----------------
  void OnBusAccept(ConnId conn);
  void OnBusConnected(ConnId conn);
  // True if `conn` is one of our bus links.
  bool IsBusLink(ConnId conn) const { return links_.count(conn) != 0; }
  void OnBusData(ConnId conn, std::string_view bytes);
  void OnBusClosed(ConnId conn);

  // After each event: recompute the cluster state if something changed,
  // and trace any change of this node's own state. A pending nodes.conf
  // save waits for the end of the event-loop pass (SaveAtEndOfPass).
  void AfterEvent();
  // DEBUG DROP-CLUSTER-PACKET-FILTER: received bus messages of this type
  // are dropped unprocessed (-1: none). Not saved; a restart clears it.
  void set_drop_packet_filter(int64_t type) { drop_packet_filter_ = type; }
  // What the node's CPU meter charged for config saves and CLUSTER NODES.
  int64_t cpu_ns() const { return meter_.total_ns(); }
  // Saves nodes.conf durably now (prepareForShutdown's clusterSaveConfig).
  void SaveConfigForShutdown() { SaveConfig(true); }
  // cluster-announce-hostname changed (CONFIG SET): myself takes it, and
  // my next pings carry it (clusterUpdateMyselfHostname).
  void UpdateMyselfHostname() { UpdateAnnouncedHostname(myself_, config_.announce_hostname); }

  // ---- Client-facing ------------------------------------------------------
  // The CLUSTER command; argv[0] is "CLUSTER". Appends the reply to *out.
  void Command(const std::vector<std::string>& argv, std::string* out);
  // What getNodeByQuery needs to know about the command and its client.
  struct RouteQuery {
    bool is_write = false;
    bool readonly_client = false;  // READONLY
    bool asking = false;           // ASKING, or a CMD_ASKING command
    bool is_migrate = false;       // MIGRATE: always local on an open slot
    // [S]SUBSCRIBE / SUNSUBSCRIBE / SPUBLISH: a shard channel is no key, so
    // an open slot serves it whatever the keyspace holds, and a down
    // cluster does with cluster-allow-pubsubshard-when-down.
    bool is_pubsubshard = false;
  };
  // getNodeByQuery for a command touching `keys`. Returns kNone if this node
  // serves it; otherwise the redirect kind, and *slot for MOVED/ASK.
  Redirect Route(const std::vector<std::string_view>& keys,
                 const RouteQuery& query, int* slot) const;
  // Appends the error reply for a redirect (clusterRedirectClient).
  void AppendRedirectError(Redirect r, int slot, std::string* out) const;
  std::string InfoSection() const;  // INFO's "cluster" section body
  // nodeEpoch: the configEpoch CLUSTER NODES and nodes.conf show for `n`,
  // its primary's for a replica (a restarted replica loads that one).
  uint64_t NodeEpoch(const ClusterNode& n) const;
  // clusterPropagatePublish: a PUBLISH goes to every node with a link; a
  // sharded one (SPUBLISH) only to the other nodes of my shard.
  void PropagatePublish(const std::string& channel, const std::string& message, bool sharded);

  // ---- Atomic migration (slot_migration.cc drives these) -----------------
  // Target side: takes `slots` over with one new configEpoch, strictly
  // above the source's `source_config_epoch` and every epoch it knows,
  // saved and fsynced, then one PONG broadcast. Returns the new epoch.
  uint64_t AtomicTakeOver(const SlotBitmap& slots, uint64_t source_config_epoch);
  // Source side: the target confirmed the takeover at `target_epoch`;
  // apply it as an UPDATE would (rebind, delete the keys left behind,
  // follow the target if no slot is left).
  void AtomicHandOff(const std::string& target_name, const SlotBitmap& slots,
                     uint64_t target_epoch);
  // Source side, a hand-off that failed after its target claimed the batch
  // at `target_epoch`, which was not above my configEpoch: keep my claim
  // strictly above it (a bump and a PONG broadcast if they are equal; not
  // while another hand-off of mine has my epoch frozen).
  void AtomicKeepSlots(const std::string& target_name, uint64_t target_epoch);
  // Whether CLUSTER `argv` would change my configEpoch (BUMPEPOCH, or
  // SETSLOT <slot> NODE <me> closing an import) while an atomic hand-off
  // has it frozen: the server then postpones the command until the
  // hand-off has its answer, rather than refusing it.
  bool WaitsForFrozenEpoch(const std::vector<std::string>& argv) const;
  // Whether `slot` is open for a native migration (either direction).
  bool SlotIsOpen(int slot) const {
    return migrating_slots_to_.count(slot) || importing_slots_from_.count(slot);
  }

  // ---- Ground truth for the simulator, checkers and tests ----------------
  const ClusterNode& myself() const { return *myself_; }
  ClusterHealth health() const { return state_; }
  uint64_t current_epoch() const { return current_epoch_; }
  uint64_t last_vote_epoch() const { return last_vote_epoch_; }
  // The owner of `slot` as this node sees it, or nullptr.
  const ClusterNode* SlotOwner(int slot) const { return slots_[slot]; }
  const ClusterNode* LookupNode(std::string_view name) const;
  // Calls fn(const ClusterNode&) for every known node, in name order.
  template <class Fn>
  void ForEachKnownNode(Fn&& fn) const {
    for (const auto& [name, n] : nodes_) fn(static_cast<const ClusterNode&>(*n));
  }
  // Native migration's open slots (migrating_slots_to, importing_slots_from):
  // slot -> the peer. Only this node's own view; never replicated.
  const std::map<int, ClusterNode*>& migrating_slots() const { return migrating_slots_to_; }
  const std::map<int, ClusterNode*>& importing_slots() const { return importing_slots_from_; }
  size_t known_nodes() const { return nodes_.size(); }
  // Per known node with any: the failure reports still valid (younger
  // than 2 x node_timeout by this node's clock), by node name. Expired
  // ones may linger until counted, as in Redis; they are not listed.
  std::map<std::string, int> FreshFailureReports() const;
  // The bus links this node keeps, inbound and outbound, each with the
  // peer it belongs to (if known).
  void AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const;
  const ClusterStats& stats() const { return stats_; }
  // CLUSTER NODES text (clusterGenNodesDescription).
  std::string NodesDescription() const;

 private:
  struct BusLink {
    ConnId conn = kNoConn;
    bool inbound = false;
    ClusterNode* node = nullptr;  // null for an unidentified inbound link
    int64_t ctime_ms = 0;
    BusFrameDecoder decoder;
  };

  // ---- Node table (cluster.cc) -------------------------------------------
  ClusterNode* Lookup(std::string_view name);
  // nodes_ as a vector, in the same (name) order: random picks index it
  // on every ping. Valid until the next CreateNode, DelNode or RenameNode;
  // a loop that may call those copies it first.
  const std::vector<ClusterNode*>& NodesInOrder();
  ClusterNode* CreateNode(std::string name, uint32_t flags);
  void DelNode(ClusterNode* node);
  void RenameNode(ClusterNode* node, const std::string& new_name);
  std::string RandomNodeName();
  bool AddSlot(ClusterNode* node, int slot);
  bool DelSlot(int slot);
  void DelNodeSlots(ClusterNode* node);
  void SetNodeAsPrimary(ClusterNode* node);
  void SetMyPrimary(ClusterNode* primary);
  void AddReplica(ClusterNode* primary, ClusterNode* replica);
  void RemoveReplica(ClusterNode* primary, ClusterNode* replica);
  // clusterUpdateSlotsConfigWith.
  void UpdateSlotsConfigWith(ClusterNode* sender, uint64_t sender_config_epoch,
                             const SlotBitmap& claimed);
  void HandleConfigEpochCollision(ClusterNode* sender);
  void UpdateState();  // clusterUpdateState
  // Traces this node's whole slot table (a "SlotView" record).
  void TraceSlotView();
  // Votes or failure reports that make a majority: size_ / 2 + 1, the one
  // quorum of failure detection, elections and the minority check.
  int NeededQuorum() const;
  bool StartHandshake(const std::string& ip, uint16_t port, uint16_t cport);
  void TraceNodeEvent(std::string_view kind, const ClusterNode& node,
                      std::string extra = "");
  // updateAnnouncedHostname: `node` is known as `hostname` ("" clears it).
  // Like Redis 7.0 it asks for no nodes.conf save: the name reaches the
  // file with the next save, and a peer's comes back with its next ping.
  void UpdateAnnouncedHostname(ClusterNode* node, const std::string& hostname);

  // ---- Bus (cluster_bus.cc) ----------------------------------------------
  void ConnectLink(ClusterNode* node);
  void FreeLink(ConnId conn);
  void DropLink(ConnId conn, bool close);
  void SendMessage(ConnId conn, const bus::BusMessage& msg);
  void BuildHeader(bus::MessageType type, bus::BusMessage* msg) const;
  void SendPing(ConnId conn, bus::MessageType type);
  void ProcessPacket(BusLink* link, const bus::BusMessage& msg);
  void ProcessGossip(ClusterNode* sender, const bus::BusMessage& msg);
  static std::string PeerAddr(const ClusterNode* node);

  // ---- Failure detection and failover (cluster_failover.cc) --------------
  void AddFailureReport(ClusterNode* failing, ClusterNode* sender);
  void DelFailureReport(ClusterNode* failing, ClusterNode* sender);
  int CountFailureReports(ClusterNode* node);  // drops expired ones
  // How long a failure report stays valid (CLUSTER_FAIL_REPORT_VALIDITY_MULT).
  int64_t FailReportMaxAgeMs() const;
  void MarkNodeAsFailingIfNeeded(ClusterNode* node);
  void ClearNodeFailureIfNeeded(ClusterNode* node);
  void SendFail(const ClusterNode& failing);
  void ProcessFail(ClusterNode* sender, const bus::BusMessage& msg);
  void SendUpdate(ConnId conn, const ClusterNode& node);
  void ProcessUpdate(ClusterNode* sender, const bus::BusMessage& msg);
  // Nodes with a link, not handshaking, not me (or only my primary's
  // other replicas): whom clusterBroadcastMessage reaches.
  std::vector<ClusterNode*> BroadcastTargets(bool local_replicas_only);
  // clusterBroadcastMessage to every node with a link (or only my
  // primary's other replicas).
  void Broadcast(const bus::BusMessage& msg, bool local_replicas_only = false);
  void BroadcastPong(bool local_replicas_only);
  void HandleReplicaFailover();  // clusterHandleSlaveFailover
  // clusterHandleSlaveMigration: if I am the replica with the smallest name
  // among those of the primaries with the most working replicas
  // (`max_replicas`), my primary keeps more than cluster-migration-barrier
  // of them, the cluster is ok, and a primary with slots has been orphaned
  // for kReplicaMigrationDelayMs, I become its replica.
  void HandleReplicaMigration(int max_replicas);
  // clusterCountNonFailingSlaves.
  int CountNonFailingReplicas(const ClusterNode& primary);
  // The replicas of my primary that may fail over, other than me, with the
  // replication offsets they last told me (the input of the rank).
  std::vector<std::pair<std::string, int64_t>> SiblingOffsets();
  // clusterGetSlaveRank: how many of those siblings are ahead of my offset.
  int ReplicaRank();
  // Traces the election's schedule and rank with the offsets they came from.
  void TraceElectionRank(std::string_view kind);
  // The highest configEpoch among the current owners of `claimed` (0 if
  // none is owned), as this node's slot table has it.
  int64_t HighestOwnerEpoch(const SlotBitmap& claimed) const;
  void RequestFailoverAuth();
  void SendFailoverAuthIfNeeded(ClusterNode* requester, const bus::BusMessage& msg);
  void ProcessFailoverAuthAck(ClusterNode* sender, const bus::BusMessage& msg);
  void FailoverReplaceMyPrimary();
  // Manual failover (CLUSTER FAILOVER, MFSTART).
  void ResetManualFailover();
  // Forgets the replica election in progress or won (its votes, epoch
  // and timers), so the next one starts from scratch.
  void ResetElection();
  // clusterReset: become an empty primary that knows no other node; a hard
  // reset also takes a new name and zeroes the epochs.
  void Reset(bool hard);
  void HandleManualFailover();  // clusterHandleManualFailover
  void ProcessMfStart(ClusterNode* sender, BusLink* link);
  void CommandFailover(const std::vector<std::string>& argv, std::string* out);
  // clusterBumpConfigEpochWithoutConsensus; true if it bumped.
  bool BumpConfigEpochWithoutConsensus();
  // hooks_.config_epoch_frozen_by(), or "" without the hook.
  std::string ConfigEpochFrozenBy() const {
    return hooks_.config_epoch_frozen_by ? hooks_.config_epoch_frozen_by() : std::string();
  }
  // The error a command that would bump my configEpoch gets while it is
  // frozen.
  static std::string ConfigEpochFrozenError(const std::string& job);

  // ---- Persistence (cluster_config.cc) -----------------------------------
  // Writes nodes.conf (temp file, rename); with `fsync`, fsyncs the file
  // before and the directory after the rename (clusterSaveConfig).
  IoStatus WriteConfig(bool fsync);
  // clusterSaveConfigOrDie: WriteConfig, and the process exits if it
  // fails ("Fatal: can't update cluster config file."): a node must not
  // act on (ACK a vote, claim a slot with) state it could not save.
  // Returns false after the exit (the caller returns at once).
  bool SaveConfig(bool fsync);
  // Loads nodes.conf (clusterLoadConfig). A missing or empty file is a
  // first start (true, myself_ unset). False with *error, and the node
  // must not start, if it cannot be read or is corrupt: a node never
  // silently takes a new identity.
  bool LoadConfig(std::string* error);
  // clusterBeforeSleep's save: one per event-loop pass, however many of
  // the pass's events asked for it. A timer due now runs after the events
  // already waiting for the node's thread, so a busy node's backlog is one
  // pass, as it is for Redis's aeProcessEvents.
  void SaveAtEndOfPass();
  bool save_at_end_of_pass_scheduled_ = false;
  int64_t drop_packet_filter_ = -1;
  // clusterDoBeforeSleep(CLUSTER_TODO_SAVE_CONFIG [| FSYNC_CONFIG]).
  void TodoSave(bool fsync) {
    todo_save_ = true;
    todo_fsync_ = todo_fsync_ || fsync;
  }

  // ---- Cron (cluster_cron.cc) --------------------------------------------
  void Cron();
  void ScheduleCron(int64_t delay_ms);

  // ---- Output formats (cluster_format.cc) --------------------------------
  // getPreferredEndpoint: what clients are told to reach `n` by, per
  // cluster-preferred-endpoint-type ("?" for a hostname not known).
  std::string_view PreferredEndpoint(const ClusterNode& n) const;
  // One node of a CLUSTER SLOTS entry (addNodeToNodeReply).
  void AppendSlotsNode(const ClusterNode& n, std::string* out) const;
  // One node of a CLUSTER SHARDS entry (addNodeDetailsToShardReply).
  void AppendShardNode(const ClusterNode& n, std::string* out) const;
  // n's replication offset as this node knows it (from its pings, or the
  // replication layer for myself).
  int64_t KnownReplOffset(const ClusterNode& n) const;
  // isReplicaAvailable: CLUSTER SLOTS lists replica n.
  bool ReplicaAvailable(const ClusterNode& n) const;
  void AppendSlotsReply(std::string* out) const;   // CLUSTER SLOTS
  void AppendShardsReply(std::string* out) const;  // CLUSTER SHARDS
  std::string NodeDescription(const ClusterNode& n) const;
  // The same line, appended to *out (from the node's cached line while
  // nothing in it changed).
  void AppendNodeDescription(const ClusterNode& n, std::string* out) const;
  // The line without myself's open slots, formatted afresh.
  // CLUSTER LINKS (addReplyClusterLinksDescription): each node's outbound
  // then inbound link, as a six-field map per link.
  void AppendLinksReply(std::string* out) const;
  // clusterNodeCronFreeLinkOnBufferLimitReached: frees `node`'s links
  // whose unsent bytes exceed cluster-link-sendbuf-limit (0: no limit).
  void FreeLinksOverSendBufferLimit(ClusterNode* node);
  void FormatNodeLine(const ClusterNode& n, std::string* out) const;

  // ---- Commands (cluster_commands.cc) ------------------------------------
  // ADDSLOTS[RANGE], or with `del` DELSLOTS[RANGE].
  void CommandAddSlots(const std::vector<std::string>& argv, bool ranges, bool del,
                       std::string* out);

  // ---- Native migration and node removal (cluster_migration.cc) ----------
  void CommandSetSlot(const std::vector<std::string>& argv, std::string* out);
  void CommandForget(const std::vector<std::string>& argv, std::string* out);
  // clusterBlacklist: a forgotten node is not re-added from gossip for a
  // minute, so that FORGET can reach every node first.
  void BlacklistAdd(const std::string& name);
  bool Blacklisted(const std::string& name);
  // " [slot->-node] [slot-<-node]": my open slots, for CLUSTER NODES and
  // nodes.conf.
  std::string OpenSlotsDescription() const;
  // Parses one "[slot->-node]" / "[slot-<-node]" token of nodes.conf.
  bool LoadOpenSlot(const std::string& token);

  Env& env_;
  ClusterHooks hooks_;
  const EngineConfig& config_;  // the Server's (CONFIG SET changes it)
  CpuMeter meter_;  // config saves and CLUSTER NODES (Server meters the rest)
  Keyspace& keyspace_;
  MemoryAccount& memory_;  // the node's temporary allocations
  // Ordered by name: iteration order is deterministic.
  std::map<std::string, std::unique_ptr<ClusterNode>, std::less<>> nodes_;
  std::vector<ClusterNode*> nodes_in_order_;  // NodesInOrder's cache
  bool nodes_in_order_stale_ = true;           // set by every change to nodes_
  // nodes_ by hash, for Lookup: every gossip entry is looked up by name
  // (Redis's clusterLookupNode is a dict lookup too). Keys view the names
  // held by nodes_'s keys, which never move.
  std::unordered_map<std::string_view, ClusterNode*> nodes_by_name_;
  ClusterNode* myself_ = nullptr;
  std::vector<ClusterNode*> slots_;  // kClusterSlots entries, owner or null
  std::map<ConnId, std::unique_ptr<BusLink>> links_;
  // Slots still bound to a node that stopped claiming them: any claim may
  // take them (isSlotUnclaimed), and UPDATEs do not advertise them.
  SlotBitmap owner_not_claiming_slot_;
  bool SlotUnclaimed(int slot) const {
    return slots_[slot] == nullptr || owner_not_claiming_slot_.test(slot);
  }
  std::map<int, ClusterNode*> migrating_slots_to_;
  std::map<int, ClusterNode*> importing_slots_from_;
  std::map<std::string, int64_t> blacklist_;  // node name -> expiry (ms)
  uint64_t current_epoch_ = 0;
  uint64_t last_vote_epoch_ = 0;
  // Observations for code probes only, never read by the protocol: this
  // incarnation started from a nodes.conf (a restart), and has voted.
  bool started_from_config_ = false;
  bool voted_this_incarnation_ = false;
  // Inside AtomicHandOff: the source's keys go as dirty slots by design
  // there, so that deletion is not the rare path its probe marks.
  bool in_atomic_handoff_ = false;
  ClusterHealth state_ = ClusterHealth::kFail;
  int size_ = 0;  // primaries owning at least one slot
  bool todo_update_state_ = true;
  int64_t first_update_state_ms_ = 0;
  // When this node last saw itself in a minority. Redis's among_minority_time
  // starts at 0 against mstime()'s Unix-epoch clock, i.e. "never", so a
  // fresh node is not held by the rejoin delay (clusterUpdateState). Our
  // clocks may start near 0, so "never" must be explicit.
  int64_t among_minority_ms_ = std::numeric_limits<int64_t>::min() / 2;
  uint64_t cron_iteration_ = 0;
  int stats_pfail_nodes_ = 0;
  ClusterStats stats_;
  // What NodeState was last traced for; compared field by field so the
  // common case (nothing changed) formats nothing.
  struct TracedState {
    bool primary = false;
    std::string primary_name;
    uint64_t current_epoch = 0, config_epoch = 0, last_vote_epoch = 0;
    ClusterHealth state = ClusterHealth::kFail;
    uint64_t myslots_version = 0;
    size_t known_nodes = 0;
    uint64_t open_slots_version = 0;
    bool operator==(const TracedState&) const = default;
  };
  TracedState last_traced_;
  bool traced_once_ = false;
  uint64_t myslots_version_ = 0;  // bumped whenever my slot set changes
  // Bumped whenever any slot's owner changes in this node's table; the
  // viewer's slot map reads the SlotView records it triggers.
  uint64_t slot_table_version_ = 0;
  uint64_t traced_slot_table_version_ = 0;
  uint64_t open_slots_version_ = 0;  // bumped whenever my open slots change
  // BuildHeader's cache of the advertised slot bitmap in wire form.
  mutable SlotBitmap header_slots_;
  mutable std::string header_slots_bytes_;
  // Scratch messages, cleared and refilled for every ping sent and every
  // frame received: protobuf keeps a cleared message's gossip entries and
  // their strings, so a big cluster's gossip stops allocating per entry.
  bus::BusMessage ping_scratch_;
  bus::BusMessage received_scratch_;
  mutable bool header_slots_valid_ = false;
  bool todo_save_ = false, todo_fsync_ = false;
  size_t last_config_bytes_ = 0;  // the last save's size, to reserve the next
  bool todo_handle_failover_ = false;
  // Election state (server.cluster->failover_auth_*).
  int64_t failover_auth_time_ms_ = 0;
  int failover_auth_count_ = 0;
  bool failover_auth_sent_ = false;
  int failover_auth_rank_ = 0;
  uint64_t failover_auth_epoch_ = 0;
  // Manual failover state (server.cluster->mf_*).
  int64_t mf_end_ms_ = 0;             // 0: none in progress
  bool mf_can_start_ = false;
  std::string mf_replica_;            // primary side: who asked
  int64_t mf_primary_offset_ = -1;    // replica side: the paused offset
};

}  // namespace slotsim
