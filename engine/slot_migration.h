// Atomic slot migration (CLUSTER MIGRATESLOTS): the vivo / Valkey 9 design
// (REDIS_CLUSTER_NOTES §7), as slotsim implements it.
//
// The source streams the keys of a batch of slots to the target over one
// ordered connection, in bounded chunks the target loads as they come,
// while forwarding every write it makes to those slots on the same
// connection. When the snapshot is through, the source pauses writes to
// the batch and sends END; the target waits until a replica has the data,
// takes the whole batch over with one new configEpoch and one PONG
// broadcast, and answers TAKEN. The source then applies the hand-off as an
// UPDATE (its keys in the batch go) and re-runs the paused writes, which
// are now MOVED. Clients never see ASK.
//
// Every job's state goes down the replication stream to the replicas of
// both sides, so a promoted replica knows what was in flight. Anything
// going wrong (link loss or time-out, a failover on either side, a change
// of ownership, CANCEL) aborts the job: the target deletes its partial
// keys, the source keeps its own and resumes writes.
//
// Wire protocol on the source's client connection to the target (answers
// in brackets):
//   CLUSTER SYNCSLOTS START <job> <source-id> <start> <end> [...]   [+OK]
//   RESTORE <key> 0 <payload> REPLACE | HSET <key> <f> <v> ... |
//     any forwarded write                                 [its own reply]
//   CLUSTER SYNCSLOTS END <job> <source-configEpoch>  [+TAKEN <epoch> | -ERR]
// END may come again on the same connection for a batch the target has
// already taken: the source found the TAKEN epoch not above its own
// configEpoch, and the target claims the batch again above the new one.
// and on the replication stream:
//   CLUSTER SYNCSLOTS-LOG <job> <role> <peer> <state> <source-epoch>
//     <start> <end> [...]
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cluster.h"
#include "engine/config.h"
#include "engine/cost_model.h"
#include "engine/env.h"
#include "engine/keyspace.h"
#include "engine/memory.h"
#include "engine/resp.h"
#include "engine/trace_records.h"

namespace slotsim {

struct SlotMigrationJob {
  enum class Role { kExport, kImport };
  enum class State {
    kStarting,   // export: START sent, waiting for +OK
    kSnapshot,   // streaming keys and forwarding writes
    kHandoff,    // export: writes paused, END sent; import: END received
    kSuccess,
    kFailed,
  };
  std::string id;
  Role role = Role::kExport;
  std::string peer;  // node id: the target (export) or the source (import)
  SlotBitmap slots;
  State state = State::kStarting;
  std::string error;  // why it failed
  int64_t start_ms = 0, end_ms = 0;
  int64_t keys = 0;   // keys sent (export) or commands loaded (import)
  int64_t bytes = 0;
  uint64_t source_epoch = 0;  // import: the source's configEpoch at END
  bool replicated_only = false;  // a record from my primary, not my job

  bool Finished() const { return state == State::kSuccess || state == State::kFailed; }
};

const char* RoleName(SlotMigrationJob::Role r);
const char* StateName(SlotMigrationJob::State s);

class SlotMigrations {
 public:
  struct Hooks {
    // A write this node makes (AOF and its replicas), as Server::Propagate.
    std::function<void(const std::vector<std::string>&)> propagate;
    // Re-run writes postponed by a pause that was just lifted.
    std::function<void()> rerun_postponed;
    // Answer a client blocked on SYNCSLOTS END.
    std::function<void(ConnId, const std::string& reply)> reply_to;
    // Replication: my offset, how many replicas acknowledged an offset,
    // how many are attached, and a GETACK round.
    std::function<int64_t()> repl_offset;
    std::function<int(int64_t)> replicas_acked;
    std::function<int()> replicas;
    std::function<void()> request_acks;
  };

  // The export links' chunks in flight are charged to `memory`.
  SlotMigrations(Env& env, const EngineConfig& config, Keyspace& keyspace, Cluster& cluster,
                 CpuMeter& meter, MemoryAccount& memory, Hooks hooks);

  // CLUSTER MIGRATESLOTS | GETSLOTMIGRATIONS | CANCELSLOTMIGRATIONS |
  // SYNCSLOTS ..., arriving on client connection `conn`. Appends the reply,
  // or returns false if the client must block until hooks.reply_to.
  bool Command(ConnId conn, const std::vector<std::string>& argv, std::string* out);
  static bool IsMigrationCommand(const std::string& lower_sub);

  // True if `conn` is a source's import stream into this node: its data
  // commands bypass routing and load straight into the keyspace.
  bool IsImportLink(ConnId conn) const;
  // Checks that a data command on an import link touches only that job's
  // slots; false with *out set otherwise.
  bool AcceptImportCommand(ConnId conn, const std::vector<std::string_view>& keys,
                           std::string* out);
  // Counts (and charges the loading of) one imported chunk: `bytes` of
  // arguments holding `elements` hash fields (0 for a string).
  void CountImported(ConnId conn, size_t bytes, size_t elements);

  // Writes to slots being exported are postponed during the hand-off.
  bool WritePaused(int slot) const { return paused_slots_.test(slot); }

  // Called with every write this node propagates: forwards it to the
  // target of an export job covering its slot.
  void Forward(const std::vector<std::string>& argv);
  // A SYNCSLOTS-LOG record from my primary's replication stream.
  void ApplyLog(const std::vector<std::string>& argv);
  // The SYNCSLOTS-LOG records of my unfinished jobs, as RESP commands: a
  // full sync's snapshot carries them, so a replica that resyncs knows
  // what is in flight (and nothing else).
  std::string SnapshotRecords() const;
  // A full sync is about to load my primary's snapshot: forget the
  // unfinished jobs the old stream told me of; the snapshot's records
  // bring back those still in flight. Without this, a job whose failure
  // was logged before the snapshot's offset stays open here forever.
  void OnFullSync();
  // This node was just promoted: finish or abort what its old primary had
  // in flight.
  void OnPromoted();
  // After a restart's AOF replay: job records the log brought back belong
  // to a process that is gone; abort them (an import's partial keys go).
  void AfterRestart();
  // A replica acknowledged an offset: a takeover may be waiting for it.
  void OnReplicaAck();

  // The source's link to the target (outbound connection events).
  bool IsLink(ConnId conn) const { return by_link_.count(conn) != 0; }
  void OnLinkConnected(ConnId conn) {}
  void OnLinkData(ConnId conn, std::string_view bytes);
  void OnLinkClosed(ConnId conn);
  // An inbound client connection closed (maybe an import stream).
  void OnClientClosed(ConnId conn);

  const std::map<std::string, SlotMigrationJob>& jobs() const { return jobs_; }
  // Slots in an unfinished job of mine (export or import).
  bool SlotInActiveJob(int slot) const;
  // The id of an export of mine whose END is out and unanswered ("" if
  // none, or if I am not a primary): my configEpoch must not change until
  // it is answered (Cluster's hooks.config_epoch_frozen_by).
  std::string ExportHandoffInFlight() const;
  // Whether one of my own jobs of `role` is in its hand-off (whatever my
  // role now): its end reruns what waits for it.
  bool HandoffInFlight(SlotMigrationJob::Role role) const;
  // The connections this side keeps state for: export links and import
  // streams.
  void AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const;

  // How many ENDs the source sends for one batch before it gives up: the
  // first, then one more each time the target's TAKEN epoch is not above
  // the source's configEpoch (FinishExport).
  static constexpr int kHandoffEndAttempts = 3;

 private:
  // Export-side streaming state of one job.
  struct ExportLink {
    ConnId conn = kNoConn;
    ReplyParser parser;
    std::deque<size_t> pending;    // bytes of each command awaiting a reply
    size_t pending_bytes = 0;
    MemoryAccount::Charge charge;  // pending_bytes (kSlotChunks)
    bool end_sent = false;
    int end_attempts = 0;  // ENDs sent (kHandoffEndAttempts at most)
    // The last TAKEN epoch that was not above my configEpoch: the target
    // claims the batch with it, and if the job fails my claim must stay
    // above it.
    uint64_t refused_target_epoch = 0;
    // Snapshot cursor: the slot, the last key fully sent, and for a hash
    // sent in parts the key in progress and how many fields went out.
    int slot = -1;
    std::string last_key;
    bool has_last_key = false;
    std::string partial_key;
    size_t partial_fields = 0;
    int64_t last_progress_ms = 0;
    TimerId handoff_timer = kNoTimer;
    bool pump_scheduled = false;  // a "slotMigrationPump" timer is pending
  };
  struct ImportState {
    ConnId conn = kNoConn;
    int64_t ack_offset = -1;      // END: waiting for a replica to reach it
    int64_t end_offset = -1;      // my replication offset just after logging END
    int64_t end_replicas = 0;     // replicas attached at END
    int64_t end_ms = 0;
    bool repeated_end = false;    // END again for a batch already taken
  };

  void CommandMigrateSlots(const std::vector<std::string>& argv, std::string* out);
  void CommandSyncStart(ConnId conn, const std::vector<std::string>& argv, std::string* out);
  bool CommandSyncEnd(ConnId conn, const std::vector<std::string>& argv, std::string* out);
  bool CommandSyncEndAgain(ConnId conn, SlotMigrationJob& job, uint64_t source_epoch,
                           std::string* out);
  void AppendJobsReply(std::string* out) const;

  void SendOnLink(SlotMigrationJob& job, const std::vector<std::string>& cmd);
  // Sends snapshot chunks while the window has room; starts the hand-off
  // once the snapshot is through.
  void Pump(SlotMigrationJob& job);
  // The next chunk of the snapshot as commands; false when done.
  bool NextChunk(SlotMigrationJob& job, std::vector<std::vector<std::string>>* cmds);
  void BeginHandoff(SlotMigrationJob& job);
  // Sends END with my current configEpoch.
  void SendEnd(SlotMigrationJob& job);
  void FinishExport(SlotMigrationJob& job, uint64_t target_epoch);
  void TryTakeOver(const std::string& id);
  // TryTakeOver from within the END command on `conn`: true if it was
  // answered at once (the answer appended to *out).
  bool TryTakeOverNow(ConnId conn, const std::string& id, std::string* out);
  // Answers the source blocked on END on `conn` (hooks.reply_to, or the
  // END command's own reply within TryTakeOverNow).
  void Answer(ConnId conn, const std::string& reply);
  void Fail(SlotMigrationJob& job, const std::string& why);
  // Deletes the keys of the job's slots that this node does not own.
  void DropPartialKeys(const SlotMigrationJob& job);
  void Log(const SlotMigrationJob& job);
  static std::vector<std::string> LogRecord(const SlotMigrationJob& job);
  // Traces a milestone of `job` as a SlotMigrationRecord of `kind`;
  // `extra` fills the kind's optional fields.
  void Trace(std::string_view kind, const SlotMigrationJob& job,
             const std::function<void(SlotMigrationRecord&)>& extra = {});
  void ScheduleCheck();
  void Check();  // time-outs and ownership changes, every 100 ms

  Env& env_;
  const EngineConfig& config_;
  Keyspace& keyspace_;
  Cluster& cluster_;
  CpuMeter& meter_;
  MemoryAccount& memory_;
  Hooks hooks_;
  std::map<std::string, SlotMigrationJob> jobs_;
  std::map<std::string, std::unique_ptr<ExportLink>> exports_;  // by job id
  std::map<std::string, ImportState> imports_;                  // by job id
  std::map<ConnId, std::string> by_link_;                       // export link -> job
  // Import conn -> job; kept after the takeover until the connection
  // closes, for a repeated END.
  std::map<ConnId, std::string> by_import_conn_;
  SlotBitmap paused_slots_;
  TimerId check_timer_ = kNoTimer;
  struct AnswerNow {
    ConnId conn = kNoConn;
    std::string* out = nullptr;
    bool answered = false;
  } answer_now_;
};

}  // namespace slotsim
