// One engine node (Redis's `server`): accepts client connections speaking
// RESP2 and bus connections speaking the cluster protocol, executes
// commands against the keyspace, and runs the cluster.
//
// The same class runs under SimEnv and under a real Env; it never touches
// the OS except through its Env.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/aof.h"
#include "engine/cluster.h"
#include "engine/command_stats.h"
#include "engine/commands.h"
#include "engine/config.h"
#include "engine/config_command.h"
#include "engine/env.h"
#include "engine/expire.h"
#include "engine/keyspace.h"
#include "engine/migrate.h"
#include "engine/pubsub.h"
#include "engine/slot_migration.h"
#include "engine/replication.h"
#include "engine/resp.h"

namespace slotsim {

class Server : public NetHandler {
 public:
  Server(Env& env, EngineConfig config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Installs itself as the Env's net handler, listens on the client and
  // bus ports, loads what the disk holds and starts the cluster. Returns
  // false with start_error() set if a port is taken or the saved cluster
  // config is corrupt.
  bool Start();
  const std::string& start_error() const { return start_error_; }
  // prepareForShutdown: makes the data log and the cluster config durable,
  // so that a clean stop loses nothing a restart would need.
  // With save points configured (Redis's default) the data set is also
  // saved to the dump file, as prepareForShutdown's final rdbSave.
  // `save`: SHUTDOWN SAVE / NOSAVE's override of the save points.
  void PrepareForShutdown(std::optional<bool> save = std::nullopt) {
    aof_.Flush();
    if (save.value_or(config_.save_on_shutdown)) SaveDump();
    cluster_.SaveConfigForShutdown();
  }
  // What SHUTDOWN asks of the process that runs the node: to stop it after
  // the current event, saving or not (nullopt: as the save points say).
  // Unset (in simulation, where the simulator decides when machines
  // stop), SHUTDOWN is refused.
  using ShutdownHandler = std::function<void(std::optional<bool> save)>;
  void set_shutdown_handler(ShutdownHandler handler) { shutdown_handler_ = std::move(handler); }

  // NetHandler.
  void OnAccept(uint16_t local_port, ConnId conn,
                const std::string& peer_host) override;
  void OnConnected(ConnId conn) override;
  void OnData(ConnId conn, std::string_view bytes) override;
  void OnClosed(ConnId conn, std::string_view reason) override;

  // Ground truth for the simulator, checkers and tests.
  const Cluster& cluster() const { return cluster_; }
  const Replication& replication() const { return repl_; }
  const SlotMigrations& slot_migrations() const { return migrations_; }
  const Migrator& migrator() const { return migrator_; }
  // Every connection this node keeps state for, with what holds it
  // ("client", "replica", "bus link", ...). A connection the network has
  // closed (or this node closed) must not be among them once the close
  // has been delivered: the "resources-released" checker's ground truth.
  std::vector<std::pair<ConnId, std::string>> HeldConnections() const;
  // Clients blocked with nothing left to wake them: a WAIT with a timeout
  // but no timer, a postponed write with no pause in force, or a command
  // blocked with no MIGRATE or slot migration in flight. One line each.
  std::vector<std::string> StrandedClients() const;
  // Whether a manual failover's pause holds this primary's writes (until
  // the replica takes over, or the failover times out): a cluster whose
  // primary refuses writes for that long has not settled.
  bool WritesPaused() const { return writes_paused_until_ms_ != 0; }
  const Keyspace& keyspace() const { return keyspace_; }
  const MemoryAccount& memory() const { return memory_; }
  const EngineConfig& config() const { return config_; }
  // Work charged to this node's thread so far (the cost model), in ns.
  int64_t cpu_ns() const { return meter_.total_ns() + cluster_.cpu_ns(); }
  // CONFIG REWRITE writes through this (real mode, started from a config
  // file); without it the command is refused, as Redis refuses it.
  void set_config_rewriter(ConfigRewriter rewriter) { config_rewriter_ = std::move(rewriter); }
  size_t connected_clients() const { return clients_.size(); }
  int64_t protocol_errors() const { return protocol_errors_; }

 private:
  struct Client {
    ConnId conn = kNoConn;
    std::string peer_host;
    RequestParser parser;
    bool readonly = false;  // READONLY: may read from a replica
    bool asking = false;    // ASKING: next command may hit an importing slot
    uint16_t listening_port = 0;  // REPLCONF listening-port
    bool is_replica = false;      // after PSYNC: a replica's link
    int64_t woff = 0;             // replication offset after its last write
    // A blocked client's later input waits in the parser until it is
    // unblocked: by WAIT (`waiting`), a postponed write, a MIGRATE in
    // flight, or an atomic migration's SYNCSLOTS END.
    bool blocked = false;
    // WAIT: until enough replicas reach `wait_offset` or the timer fires.
    bool waiting = false;
    int wait_replicas = 0;
    int64_t wait_offset = 0;
    int64_t wait_timeout_ms = 0;  // 0: WAIT blocks until enough replicas
    TimerId wait_timer = kNoTimer;
    // A write postponed while writes are paused (blockPostponeClient): it
    // runs again, routing included, when the pause ends.
    std::vector<std::string> postponed;
    // MULTI: the commands queued for EXEC, and whether one of them was
    // refused (EXEC then aborts: flagTransaction / EXECABORT).
    uint64_t id = 0;   // CLIENT ID
    std::string name;  // CLIENT SETNAME
    bool multi = false;
    bool multi_dirty = false;
    std::vector<std::vector<std::string>> multi_queue;
    MemoryAccount::Charge query_buffer;  // the parser's unconsumed input
    Client(const RespLimits& limits, MemoryAccount& memory)
        : parser(limits), query_buffer(memory, MemoryKind::kQueryBuffer) {}
  };

  // freeClient: forgets a client and everything keyed by its connection
  // (a replica's record, an import stream, a WAIT timer). With `close`,
  // this side closes the connection, after whatever the pass owes it.
  void FreeClient(ConnId conn, bool close);
  void ProcessInput(Client& c);
  // What a command costs before it runs, beyond command_ns: loading a
  // serialized value (kCmdLoad), freeing the collections it deletes
  // (kCmdFree).
  void ChargeCommandWork(const CommandSpec& cmd, const std::vector<std::string>& argv);
  // processCommand: lookup, arity, cluster redirection, execution.
  // Returns false if the connection must be closed after the reply.
  // An error reply that leaves before the command ran counts as a
  // rejection in INFO commandstats (rejectCommand).
  bool ExecuteCommand(Client& c, const std::vector<std::string>& argv,
                      std::string* out);
  bool RouteAndRun(Client& c, const std::vector<std::string>& argv, std::string* out);
  // call(): runs a command that passed routing (or was queued in MULTI),
  // counted in INFO commandstats. `in_exec`: it runs inside EXEC, where it
  // must not block.
  bool Call(Client& c, const CommandSpec& cmd, const std::vector<std::string>& argv,
            bool in_exec, std::string* out);
  bool Dispatch(Client& c, const CommandSpec& cmd, const std::vector<std::string>& argv,
                bool in_exec, std::string* out);
  // MULTI / EXEC / DISCARD (multi.c). Commands that would block or hand
  // the connection over are refused inside a transaction.
  static bool AllowedInMulti(std::string_view name, const std::vector<std::string>& argv);
  // Whether `name` (lowercase) runs while a full sync loads (CMD_LOADING).
  // rejectCommand: `err` as the reply, an EXEC aborted with EXECABORT, a
  // command queued in MULTI dooming the transaction.
  void RejectCommand(Client& c, bool is_exec, const std::string& err, std::string* out);
  static bool AllowedWhileLoading(std::string_view name, const std::vector<std::string>& argv);
  // INFO persistence's loading fields.
  std::string LoadingInfo() const;
  bool Exec(Client& c, std::string* out);
  static void DiscardTransaction(Client& c);
  // At most this many commands wait in one MULTI.
  static constexpr size_t kMultiQueueMax = 100'000;
  std::string InfoReply(const std::string& section) const;
  // CLIENT ID | GETNAME | SETNAME | LIST | KILL (networking.c's
  // clientCommand, for the forms tools and Redis's tests use). False if
  // the calling client itself must close after the reply.
  // [P|S]SUBSCRIBE, [P|S]UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.
  void PubSubCommand(Client& c, const std::vector<std::string>& argv, std::string* out);
  bool ClientCommand(Client& c, const std::vector<std::string>& argv, std::string* out);
  // Replication commands (PSYNC, REPLCONF, WAIT); false closes.
  bool ReplicationCommand(Client& c, const std::vector<std::string>& argv,
                          std::string* out);
  // Unblocks WAIT clients whose condition holds (or all, on timeout).
  void CheckWaitingClients();
  void UnblockWait(Client& c);
  // Sends what a blocked client was owed and goes on with its input.
  void ResumeClient(Client& c, const std::string& out);
  // Sends a client's replies, or holds them until the AOF's fsync when
  // appendfsync always has writes pending (handleClientsWithPendingWrites
  // runs after flushAppendOnlyFile in beforeSleep): no reply acknowledges
  // a write before it is durable.
  void Reply(ConnId conn, const std::string& out);
  // What beforeSleep does for the AOF: one fsync for the pass's writes,
  // then the replies that waited for it. Scheduled by AfterAofAppend().
  void FlushAofAndReplies();
  // Before a connection closes: whatever the pass owes leaves now.
  void FlushBeforeClose() {
    if (aof_.sync_pending() || !held_replies_.empty()) FlushAofAndReplies();
  }
  // Schedules FlushAofAndReplies for the end of the pass if a write or a
  // reply waits for it.
  void AfterAofAppend();
  void PauseWrites(int64_t until_ms);
  void UnpauseWrites();
  // Re-runs every postponed write (routing included) after a pause lifts;
  // those still paused postpone again.
  void RerunPostponed();
  // A data command on an atomic migration's import stream: loaded as is,
  // no routing (the slots are not ours yet).
  void ExecuteImported(Client& c, const CommandSpec& cmd,
                       const std::vector<std::string>& argv, std::string* out);
  // Executes a write from the primary's replication stream (or the AOF).
  // A MULTI ... EXEC block is applied at its EXEC, all at once.
  void ApplyFromPrimary(const std::vector<std::string>& argv);
  void ApplyOne(const std::vector<std::string>& argv);
  bool applying_multi_ = false;
  std::vector<std::vector<std::string>> apply_queue_;
  // A write this node made: into the AOF, and to replicas if primary.
  // Inside EXEC the first write is preceded by MULTI, and EXEC closes the
  // block (execCommand's propagation), so replicas and the AOF apply a
  // transaction whole.
  void Propagate(const std::vector<std::string>& argv);
  void PropagateOne(const std::vector<std::string>& argv);
  bool exec_multi_pending_ = false;     // inside EXEC, nothing propagated yet
  bool exec_multi_propagated_ = false;  // inside EXEC, MULTI went out
  // Traces a write a primary applied (WriteRecord) with its stream offset.
  void TraceWrite(const std::vector<std::string>& argv);

  // serverCron's once-a-second chores (migrateCloseTimedoutSockets).
  void ServerCron();
  // How a client's command treats expired keys here: a primary deletes
  // them unless clients are paused; a replica hides them (expireIfNeeded).
  ExpireMode ClientExpireMode() const;
  // SAVE (rdbSave): the keyspace, durably, to config_.dbfilename: written
  // to a temporary file, fsynced, renamed over the old one, the directory
  // fsynced. The content is slotsim's own format, not RDB: a header
  // command then the full-sync snapshot's commands (SET/HSET/RPUSH and
  // PEXPIREAT). False on an I/O error.
  bool SaveDump();
  // rdbLoad at start, when the AOF is off: replays the dump file as the
  // AOF is replayed, expired keys kept; a primary then drops those
  // already expired, as rdbLoad skips them on a master. False with
  // start_error_ set if the file is not a slotsim dump or is cut short.
  bool LoadDump();

  Env& env_;
  EngineConfig config_;  // CONFIG SET changes it; every part holds a reference
  std::map<std::string, std::string> accepted_config_;  // CONFIG SET without effect
  ConfigRewriter config_rewriter_;
  CpuMeter meter_;
  CommandStats command_stats_;  // INFO commandstats / errorstats
  ShutdownHandler shutdown_handler_;
  int64_t calls_made_ = 0;      // Call()s so far
  Keyspace keyspace_;
  ActiveExpire active_expire_;
  MemoryAccount memory_;
  Cluster cluster_;
  Replication repl_;
  Aof aof_;
  Migrator migrator_;
  SlotMigrations migrations_;
  std::map<ConnId, std::unique_ptr<Client>> clients_;
  // Subscriptions, by connection; messages go out through Reply.
  PubSub pubsub_{[this](ConnId conn, const std::string& msg) { Reply(conn, msg); }};
  int64_t protocol_errors_ = 0;
  uint64_t next_client_id_ = 1;
  std::string start_error_;
  int64_t writes_paused_until_ms_ = 0;  // 0: not paused
  TimerId unpause_timer_ = kNoTimer;
  // CLIENT PAUSE (pauseClients with PAUSE_BY_CLIENT_COMMAND), apart from a
  // failover's write pause: clients' commands (all, or only writes) wait
  // until then; replicas are never paused.
  int64_t client_pause_until_ms_ = 0;
  bool client_pause_all_ = false;
  TimerId client_pause_timer_ = kNoTimer;
  void EndClientPause();
  static constexpr int64_t kClientPauseMsMax = int64_t{1} << 40;  // ~35 years
  // Forgets a replicated MULTI block whose EXEC will never come (a full
  // sync replaces the stream, a promotion ends it, the AOF ended in it).
  void DropReplicatedMulti(const char* why);
  int64_t commands_processed_ = 0;
  // Replies waiting for the pass's fsync (appendfsync always), in order;
  // bounded by clients_max connections times what each pipelines.
  static constexpr size_t kHeldRepliesMax = 1 << 20;
  std::vector<std::pair<ConnId, std::string>> held_replies_;
  MemoryAccount::Charge held_replies_charge_{memory_, MemoryKind::kHeldReplies};
  bool aof_flush_scheduled_ = false;
};

}  // namespace slotsim
