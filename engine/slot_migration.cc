#include "engine/slot_migration.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/check.h"
#include "engine/commands.h"
#include "engine/dump.h"
#include "engine/slot_ranges.h"
#include "engine/text.h"

namespace slotsim {
namespace {

constexpr size_t kFinishedJobsKept = 64;
constexpr int64_t kCheckPeriodMs = 100;


bool ParseU64(std::string_view s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

// "<start> <end> ..." pairs from argv[first..] into a bitmap.
bool ParseRanges(const std::vector<std::string>& argv, size_t first, size_t end,
                 SlotBitmap* slots, std::string* err) {
  if (first >= end || (end - first) % 2 != 0) {
    *err = "ERR slot ranges come in start end pairs";
    return false;
  }
  for (size_t j = first; j + 1 < end; j += 2) {
    uint64_t a, b;
    if (!ParseU64(argv[j], &a) || !ParseU64(argv[j + 1], &b) || a >= kClusterSlots ||
        b >= kClusterSlots) {
      *err = "ERR Invalid or out of range slot";
      return false;
    }
    if (a > b) {
      *err = "ERR start slot number " + argv[j] + " is greater than end slot number " +
             argv[j + 1];
      return false;
    }
    for (uint64_t s = a; s <= b; ++s) slots->set(s);
  }
  return true;
}

void AppendRanges(const SlotBitmap& slots, std::vector<std::string>* argv) {
  for (auto [a, b] : SlotRanges(slots)) {
    argv->push_back(std::to_string(a));
    argv->push_back(std::to_string(b));
  }
}

}  // namespace

const char* RoleName(SlotMigrationJob::Role r) {
  return r == SlotMigrationJob::Role::kExport ? "export" : "import";
}

const char* StateName(SlotMigrationJob::State s) {
  switch (s) {
    case SlotMigrationJob::State::kStarting: return "starting";
    case SlotMigrationJob::State::kSnapshot: return "snapshot";
    case SlotMigrationJob::State::kHandoff: return "handoff";
    case SlotMigrationJob::State::kSuccess: return "success";
    case SlotMigrationJob::State::kFailed: return "failed";
  }
  return "?";
}

SlotMigrations::SlotMigrations(Env& env, const EngineConfig& config, Keyspace& keyspace,
                               Cluster& cluster, CpuMeter& meter, MemoryAccount& memory,
                               Hooks hooks)
    : env_(env), config_(config), keyspace_(keyspace), cluster_(cluster), meter_(meter),
      memory_(memory), hooks_(std::move(hooks)) {}

bool SlotMigrations::IsMigrationCommand(const std::string& sub) {
  return sub == "migrateslots" || sub == "getslotmigrations" ||
         sub == "cancelslotmigrations" || sub == "syncslots";
}

bool SlotMigrations::Command(ConnId conn, const std::vector<std::string>& argv,
                             std::string* out) {
  const std::string sub = Lower(argv[1]);
  if (sub == "migrateslots") {
    CommandMigrateSlots(argv, out);
  } else if (sub == "getslotmigrations" && argv.size() == 2) {
    AppendJobsReply(out);
  } else if (sub == "cancelslotmigrations" && argv.size() <= 3) {
    int64_t n = 0;
    for (auto& [id, job] : jobs_) {
      if (job.Finished() || job.replicated_only) continue;
      if (argv.size() == 3 && argv[2] != id) continue;
      Fail(job, "cancelled");
      ++n;
    }
    resp::AppendInteger(out, n);
  } else if (sub == "syncslots" && argv.size() >= 3 && Lower(argv[2]) == "start") {
    CommandSyncStart(conn, argv, out);
  } else if (sub == "syncslots" && argv.size() == 5 && Lower(argv[2]) == "end") {
    return CommandSyncEnd(conn, argv, out);
  } else {
    resp::AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                               argv[1] + "'. Try CLUSTER HELP.");
  }
  return true;
}

// CLUSTER MIGRATESLOTS SLOTSRANGE <start> <end> [<start> <end> ...] NODE <id>
void SlotMigrations::CommandMigrateSlots(const std::vector<std::string>& argv,
                                         std::string* out) {
  const ClusterNode& me = cluster_.myself();
  if (!me.IsPrimary()) {
    resp::AppendError(out, "ERR Please use MIGRATESLOTS only with masters.");
    return;
  }
  if (argv.size() < 7 || Lower(argv[2]) != "slotsrange" || Lower(argv[argv.size() - 2]) != "node") {
    resp::AppendError(out, "ERR syntax: CLUSTER MIGRATESLOTS SLOTSRANGE start end [start end ...] NODE node-id");
    return;
  }
  SlotBitmap slots;
  std::string err;
  if (!ParseRanges(argv, 3, argv.size() - 2, &slots, &err)) {
    resp::AppendError(out, err);
    return;
  }
  const std::string& target_id = argv.back();
  const ClusterNode* target = cluster_.LookupNode(target_id);
  if (target == nullptr) {
    resp::AppendError(out, "ERR Unknown node " + target_id);
    return;
  }
  if (target == &me || !target->IsPrimary()) {
    resp::AppendError(out, "ERR Target node must be another master");
    return;
  }
  for (int s = 0; s < kClusterSlots; ++s) {
    if (!slots.test(s)) continue;
    if (cluster_.SlotOwner(s) != &me) {
      resp::AppendError(out, "ERR I'm not the owner of hash slot " + std::to_string(s));
      return;
    }
    if (cluster_.SlotIsOpen(s) || SlotInActiveJob(s)) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) + " is already being migrated");
      return;
    }
  }
  int active = 0;
  for (const auto& [id, j] : jobs_) active += (!j.Finished() && !j.replicated_only) ? 1 : 0;
  if (active >= config_.slot_migration_jobs_max) {
    resp::AppendError(out, "ERR Too many slot migrations in progress");
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (auto& c : id) c = kHex[env_.RandomBelow(16)];
  SlotMigrationJob job;
  job.id = id;
  job.role = SlotMigrationJob::Role::kExport;
  job.peer = target->name;
  job.slots = slots;
  job.start_ms = env_.NowMs();
  auto link = std::make_unique<ExportLink>();
  link->charge = MemoryAccount::Charge(memory_, MemoryKind::kSlotChunks);
  link->conn = env_.Connect(target->ip, target->port);
  link->last_progress_ms = job.start_ms;
  by_link_[link->conn] = id;
  exports_[id] = std::move(link);
  auto& stored = jobs_[id] = std::move(job);
  std::vector<std::string> start = {"CLUSTER", "SYNCSLOTS", "START", id, me.name};
  AppendRanges(slots, &start);
  SendOnLink(stored, start);
  Log(stored);
  Trace(SlotMigrationRecord::kStart, stored);
  ScheduleCheck();
  resp::AppendBulk(out, id);
}

void SlotMigrations::AppendJobsReply(std::string* out) const {
  resp::AppendArrayHeader(out, static_cast<int64_t>(jobs_.size()));
  for (const auto& [id, j] : jobs_) {
    std::vector<std::pair<std::string, std::string>> f = {
        {"id", id},
        {"role", RoleName(j.role)},
        {"peer", j.peer},
        {"slots", FormatSlotRanges(j.slots, ",")},
        {"state", StateName(j.state)},
        {"error", j.error},
        {"keys", std::to_string(j.keys)},
        {"bytes", std::to_string(j.bytes)},
        {"start_ms", std::to_string(j.start_ms)},
        {"end_ms", std::to_string(j.end_ms)},
        {"replicated", j.replicated_only ? "1" : "0"},
    };
    resp::AppendArrayHeader(out, static_cast<int64_t>(2 * f.size()));
    for (const auto& [k, v] : f) {
      resp::AppendBulk(out, k);
      resp::AppendBulk(out, v);
    }
  }
}

// ---- Target side --------------------------------------------------------------

void SlotMigrations::CommandSyncStart(ConnId conn, const std::vector<std::string>& argv,
                                      std::string* out) {
  if (argv.size() < 7) {
    resp::AppendError(out, "ERR wrong number of arguments for SYNCSLOTS START");
    return;
  }
  const ClusterNode& me = cluster_.myself();
  if (!me.IsPrimary()) {
    resp::AppendError(out, "ERR I am not a master");
    return;
  }
  const std::string& id = argv[3];
  const ClusterNode* source = cluster_.LookupNode(argv[4]);
  if (source == nullptr || !source->IsPrimary() || source == &me) {
    resp::AppendError(out, "ERR Unknown source node " + argv[4]);
    return;
  }
  if (jobs_.count(id) || by_import_conn_.count(conn)) {
    resp::AppendError(out, "ERR Duplicate slot migration " + id);
    return;
  }
  SlotBitmap slots;
  std::string err;
  if (!ParseRanges(argv, 5, argv.size(), &slots, &err)) {
    resp::AppendError(out, err);
    return;
  }
  for (int s = 0; s < kClusterSlots; ++s) {
    if (!slots.test(s)) continue;
    if (cluster_.SlotOwner(s) != source) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) +
                                 " is not served by the source in my view");
      return;
    }
    if (cluster_.SlotIsOpen(s) || SlotInActiveJob(s)) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) + " is already being migrated");
      return;
    }
  }
  SlotMigrationJob job;
  job.id = id;
  job.role = SlotMigrationJob::Role::kImport;
  job.peer = source->name;
  job.slots = slots;
  job.state = SlotMigrationJob::State::kSnapshot;
  job.start_ms = env_.NowMs();
  auto& stored = jobs_[id] = std::move(job);
  imports_[id].conn = conn;
  by_import_conn_[conn] = id;
  // Keys of these slots left over from an earlier, failed attempt go now.
  DropPartialKeys(stored);
  Log(stored);
  Trace(SlotMigrationRecord::kImportStart, stored);
  ScheduleCheck();
  resp::AppendSimple(out, "OK");
}

bool SlotMigrations::IsImportLink(ConnId conn) const {
  auto it = by_import_conn_.find(conn);
  if (it == by_import_conn_.end()) return false;
  auto jit = jobs_.find(it->second);  // a finished job may have been forgotten
  return jit != jobs_.end() && jit->second.state == SlotMigrationJob::State::kSnapshot;
}

bool SlotMigrations::AcceptImportCommand(ConnId conn, const std::vector<std::string_view>& keys,
                                         std::string* out) {
  const SlotMigrationJob& job = jobs_.at(by_import_conn_.at(conn));
  for (std::string_view k : keys) {
    if (!job.slots.test(KeyHashSlot(k))) {
      resp::AppendError(out, "ERR key outside the slots being imported");
      return false;
    }
  }
  return true;
}

void SlotMigrations::CountImported(ConnId conn, size_t bytes, size_t elements) {
  SlotMigrationJob& job = jobs_.at(by_import_conn_.at(conn));
  job.keys++;
  job.bytes += static_cast<int64_t>(bytes);
  meter_.Load(bytes, elements);
}

bool SlotMigrations::CommandSyncEnd(ConnId conn, const std::vector<std::string>& argv,
                                    std::string* out) {
  auto it = by_import_conn_.find(conn);
  uint64_t source_epoch;
  if (it == by_import_conn_.end() || it->second != argv[3] ||
      !ParseU64(argv[4], &source_epoch)) {
    resp::AppendError(out, "ERR No such slot import on this connection");
    return true;
  }
  auto jit = jobs_.find(it->second);
  if (jit == jobs_.end()) {
    resp::AppendError(out, "ERR No such slot import on this connection");
    return true;
  }
  SlotMigrationJob& job = jit->second;
  if (job.state == SlotMigrationJob::State::kSuccess && !job.replicated_only)
    return CommandSyncEndAgain(conn, job, source_epoch, out);
  if (job.state != SlotMigrationJob::State::kSnapshot) {
    resp::AppendError(out, "ERR Slot import is " + std::string(StateName(job.state)));
    return true;
  }
  job.state = SlotMigrationJob::State::kHandoff;
  job.source_epoch = source_epoch;
  ImportState& st = imports_.at(job.id);
  st.end_ms = env_.NowMs();
  Log(job);
  st.end_offset = hooks_.repl_offset();
  st.end_replicas = hooks_.replicas();
  // Hand over only once a replica holds the data and this record too: a
  // replica promoted after that finishes the takeover itself (OnPromoted),
  // so a failover right after it cannot lose the batch.
  if (hooks_.replicas() > 0) {
    st.ack_offset = hooks_.repl_offset();
    hooks_.request_acks();
  }
  return TryTakeOverNow(conn, job.id, out);  // or later, when a replica acks
}

// END again, for a batch this node already took: the source's configEpoch
// was not below the epoch I claimed it with (something raised it after its
// first END), so its own claim would win. Claim the batch again, above the
// epoch this END carries, if every slot of it is still mine (else the
// source's claim has won already, and the dirty-slot rule has deleted the
// keys here: the job fails and the source keeps the batch). The data was
// acknowledged by a replica the first time; only the epoch changes.
bool SlotMigrations::CommandSyncEndAgain(ConnId conn, SlotMigrationJob& job,
                                         uint64_t source_epoch, std::string* out) {
  const ClusterNode* me = &cluster_.myself();
  for (int s = 0; s < kClusterSlots; ++s) {
    if (job.slots.test(s) && cluster_.SlotOwner(s) != me) {
      resp::AppendError(out, "ERR Slot import " + job.id + " lost slot " + std::to_string(s) +
                                 " after its takeover");
      return true;
    }
  }
  job.state = SlotMigrationJob::State::kHandoff;
  job.source_epoch = source_epoch;
  ImportState& st = imports_[job.id];
  st.conn = conn;
  st.ack_offset = -1;
  st.end_ms = env_.NowMs();
  st.repeated_end = true;
  Log(job);
  Trace(SlotMigrationRecord::kImportEndAgain, job, [&](SlotMigrationRecord& r) {
    r.source_epoch = static_cast<int64_t>(source_epoch);
    r.config_epoch = static_cast<int64_t>(me->config_epoch);
  });
  return TryTakeOverNow(conn, job.id, out);  // or later (an export of mine hands off)
}

bool SlotMigrations::TryTakeOverNow(ConnId conn, const std::string& id, std::string* out) {
  answer_now_ = {conn, out, false};
  TryTakeOver(id);
  const bool answered = answer_now_.answered;
  answer_now_ = {};
  return answered;
}

void SlotMigrations::Answer(ConnId conn, const std::string& reply) {
  // Within the END command itself, the answer is its reply: the client is
  // not blocked yet, and must not be left blocked after it.
  if (answer_now_.out != nullptr && answer_now_.conn == conn) {
    answer_now_.out->append(reply);
    answer_now_.answered = true;
    return;
  }
  hooks_.reply_to(conn, reply);
}

void SlotMigrations::TryTakeOver(const std::string& id) {
  auto jit = jobs_.find(id);
  if (jit == jobs_.end()) return;
  SlotMigrationJob& job = jit->second;
  if (job.state != SlotMigrationJob::State::kHandoff || job.role != SlotMigrationJob::Role::kImport)
    return;
  ImportState& st = imports_.at(id);
  // One epoch change at a time per node: while an export of mine waits
  // for its target's takeover, my own bump would re-claim the exported
  // slots with an epoch above the target's (the epoch race of redis #2969).
  if (HandoffInFlight(SlotMigrationJob::Role::kExport)) return;
  if (st.ack_offset >= 0 && hooks_.replicas_acked(st.ack_offset) < 1) {
    if (env_.NowMs() - st.end_ms < config_.slot_migration_replica_ack_timeout_ms) return;
    Fail(job, "no replica acknowledged the imported data in time");
    return;
  }
  if (st.repeated_end) {
    // Deferred above: the batch may have gone back to the source meanwhile.
    for (int s = 0; s < kClusterSlots; ++s) {
      if (job.slots.test(s) && cluster_.SlotOwner(s) != &cluster_.myself()) {
        Fail(job, "lost slot " + std::to_string(s) + " after its takeover");
        return;
      }
    }
  }
  const uint64_t epoch = cluster_.AtomicTakeOver(job.slots, job.source_epoch);
  job.state = SlotMigrationJob::State::kSuccess;
  job.end_ms = env_.NowMs();
  Log(job);
  Trace(st.repeated_end ? SlotMigrationRecord::kImportTakeoverAgain
                        : SlotMigrationRecord::kImportTakeover,
        job, [&](SlotMigrationRecord& r) {
          r.config_epoch = static_cast<int64_t>(epoch);
          if (!st.repeated_end) {
            r.end_offset = st.end_offset;
            r.replicas = st.end_replicas;
          }
        });
  // The connection stays known until it closes: the source may send END
  // again if this epoch is not above its own (FinishExport).
  const ConnId conn = st.conn;
  imports_.erase(id);
  std::string reply;
  resp::AppendSimple(&reply, "TAKEN " + std::to_string(epoch));
  Answer(conn, reply);
}

void SlotMigrations::OnClientClosed(ConnId conn) {
  auto it = by_import_conn_.find(conn);
  if (it == by_import_conn_.end()) return;
  auto jit = jobs_.find(it->second);
  if (jit != jobs_.end() && !jit->second.Finished()) Fail(jit->second, "source link lost");
  by_import_conn_.erase(conn);  // a taken batch's connection, or already gone
}

// ---- Source side ----------------------------------------------------------------

void SlotMigrations::SendOnLink(SlotMigrationJob& job, const std::vector<std::string>& cmd) {
  ExportLink& link = *exports_.at(job.id);
  std::string bytes = resp::EncodeCommand(cmd);
  meter_.Io(bytes.size());
  link.pending.push_back(bytes.size());
  link.pending_bytes += bytes.size();
  link.charge.Set(link.pending_bytes);
  job.bytes += static_cast<int64_t>(bytes.size());
  env_.Send(link.conn, bytes, "SYNCSLOTS");
}

bool SlotMigrations::NextChunk(SlotMigrationJob& job,
                               std::vector<std::vector<std::string>>* cmds) {
  ExportLink& link = *exports_.at(job.id);
  size_t budget = static_cast<size_t>(config_.slot_migration_chunk_bytes);
  // A hash too big for one chunk goes out in parts: RESTORE of the first
  // fields, then HSETs of the rest.
  if (!link.partial_key.empty()) {
    Value* v = keyspace_.Find(link.partial_key);
    if (v == nullptr || !v->IsHash() || link.partial_fields >= v->hash().size()) {
      link.last_key = link.partial_key;
      link.has_last_key = true;
      const std::string key = std::move(link.partial_key);
      link.partial_key.clear();
      // The TTL comes last, once the whole hash is there: had the first
      // part carried it and expired on arrival, the HSETs would have
      // recreated the key without one.
      if (const int64_t when = keyspace_.GetExpire(key); v != nullptr && when >= 0) {
        cmds->push_back({"PEXPIREAT", key, std::to_string(when)});
        return true;
      }
      return NextChunk(job, cmds);
    }
    std::vector<std::string> hset = {"HSET", link.partial_key};
    size_t size = 0, i = 0;
    for (auto it = v->hash().begin(); it != v->hash().end(); ++it, ++i) {
      if (i < link.partial_fields) continue;
      if (size > 0 && size + it->first.size() + it->second.size() > budget) break;
      hset.push_back(it->first);
      hset.push_back(it->second);
      size += it->first.size() + it->second.size();
    }
    link.partial_fields += (hset.size() - 2) / 2;
    meter_.Serialize(size, (hset.size() - 2) / 2);
    cmds->push_back(std::move(hset));
    return true;
  }
  auto advance = [&] {
    int next = link.slot + 1;
    while (next < kClusterSlots && !job.slots.test(next)) ++next;
    link.slot = next;
    link.has_last_key = false;
  };
  // Bounded: each iteration advances the slot or the key cursor.
  while (true) {
    if (link.slot >= kClusterSlots) return !cmds->empty();
    if (link.slot < 0) {
      advance();
      continue;
    }
    auto keys = keyspace_.KeysInSlotAfter(link.slot, link.has_last_key ? &link.last_key : nullptr, 64);
    if (keys.empty()) {
      advance();
      continue;
    }
    for (const std::string& key : keys) {
      const Value* v = keyspace_.Find(key);
      SLOTSIM_CHECK(v != nullptr);
      if (v->IsHash()) {
        size_t total = 0;
        for (const auto& [f, val] : v->hash()) total += f.size() + val.size();
        if (total > budget) {
          if (!cmds->empty()) return true;  // start it in a chunk of its own
          Value first{HashValue{}};
          size_t size = 0;
          for (const auto& [f, val] : v->hash()) {
            if (size > 0 && size + f.size() + val.size() > budget) break;
            first.hash().emplace(f, val);
            size += f.size() + val.size();
          }
          std::string dump = DumpValue(first);
          meter_.Serialize(dump.size(), first.hash().size());
          cmds->push_back({"RESTORE", key, "0", std::move(dump), "REPLACE"});
          link.partial_key = key;
          link.partial_fields = first.hash().size();
          job.keys++;
          return true;
        }
      }
      std::string dump = DumpValue(*v);
      meter_.Serialize(dump.size(), v->elements());
      const size_t size = dump.size();
      // A key with an expire time carries it, absolute (the target's own
      // clock decides; one already past is not created there).
      if (const int64_t when = keyspace_.GetExpire(key); when >= 0)
        cmds->push_back({"RESTORE", key, std::to_string(std::max<int64_t>(when, 1)),
                         std::move(dump), "REPLACE", "ABSTTL"});
      else
        cmds->push_back({"RESTORE", key, "0", std::move(dump), "REPLACE"});
      link.last_key = key;
      link.has_last_key = true;
      job.keys++;
      if (size >= budget) return true;
      budget -= size;
    }
  }
}

void SlotMigrations::Pump(SlotMigrationJob& job) {
  if (job.state != SlotMigrationJob::State::kSnapshot) return;
  ExportLink& link = *exports_.at(job.id);
  const auto window = static_cast<size_t>(config_.slot_migration_window_bytes);
  if (link.pending_bytes >= window) return;  // the target's replies reopen it
  std::vector<std::vector<std::string>> cmds;
  if (!NextChunk(job, &cmds)) {
    // The same rule the other way: no END while an import of mine is
    // about to bump my epoch (Check retries).
    if (link.pending.empty() && !HandoffInFlight(SlotMigrationJob::Role::kImport))
      BeginHandoff(job);
    return;
  }
  for (const auto& cmd : cmds) SendOnLink(job, cmd);
  // One chunk per event-loop pass: the clients that queued while it was
  // serialized are served before the next one. (Filling the whole window
  // at once held them for four chunks: 1.5 ms at the measured prices.)
  if (link.pending_bytes < window && !link.pump_scheduled) {
    link.pump_scheduled = true;
    const std::string id = job.id;
    env_.AddTimer(0, "slotMigrationPump", [this, id] {
      auto e = exports_.find(id);
      auto it = jobs_.find(id);
      if (e == exports_.end() || it == jobs_.end()) return;
      e->second->pump_scheduled = false;
      Pump(it->second);
      cluster_.AfterEvent();
    });
  }
}

void SlotMigrations::Forward(const std::vector<std::string>& argv) {
  if (exports_.empty()) return;
  const CommandSpec* spec = LookupCommand(argv[0]);
  if (spec == nullptr) return;
  auto keys = CommandKeys(*spec, argv);
  if (keys.empty()) return;
  const int slot = KeyHashSlot(keys[0]);
  // Only while I still own the slot: the DELs of a completed hand-off
  // must not reach the new owner.
  if (cluster_.SlotOwner(slot) != &cluster_.myself()) return;
  for (auto& [id, link] : exports_) {
    SlotMigrationJob& job = jobs_.at(id);
    if (!job.slots.test(slot)) continue;
    if (job.state != SlotMigrationJob::State::kSnapshot &&
        job.state != SlotMigrationJob::State::kHandoff)
      continue;
    // A write to the hash being sent in parts restarts it from scratch.
    // (The cursor stays before it, so the key is sent again, whole.)
    if (!link->partial_key.empty() &&
        std::find(keys.begin(), keys.end(), link->partial_key) != keys.end())
      link->partial_key.clear();
    SendOnLink(job, argv);
    return;
  }
}

void SlotMigrations::BeginHandoff(SlotMigrationJob& job) {
  ExportLink& link = *exports_.at(job.id);
  job.state = SlotMigrationJob::State::kHandoff;
  for (int s = 0; s < kClusterSlots; ++s)
    if (job.slots.test(s)) paused_slots_.set(s);
  // From here until the answer, my configEpoch is frozen (the cluster
  // asks ExportHandoffInFlight): the target claims the batch just above
  // the epoch END carries.
  SendEnd(job);
  const std::string id = job.id;
  // Long enough for a failover of the target: its promoted replica may
  // finish the takeover (OnPromoted), and writes must not resume here
  // before that is known.
  const int64_t timeout = config_.slot_migration_handoff_timeout_ms > 0
                              ? config_.slot_migration_handoff_timeout_ms
                              : 2 * config_.node_timeout_ms + 2000;
  link.handoff_timer = env_.AddTimer(timeout,
                                     "slotMigrationHandoffTimeout", [this, id] {
                                       auto it = jobs_.find(id);
                                       if (it == jobs_.end()) return;
                                       if (auto e = exports_.find(id); e != exports_.end())
                                         e->second->handoff_timer = kNoTimer;
                                       if (!it->second.Finished())
                                         Fail(it->second, "hand-off timed out");
                                       cluster_.AfterEvent();
                                     });
  Log(job);
  Trace(SlotMigrationRecord::kHandoff, job);
}

void SlotMigrations::SendEnd(SlotMigrationJob& job) {
  ExportLink& link = *exports_.at(job.id);
  SendOnLink(job, {"CLUSTER", "SYNCSLOTS", "END", job.id,
                   std::to_string(cluster_.myself().config_epoch)});
  link.end_sent = true;
  link.end_attempts++;
}

void SlotMigrations::OnLinkData(ConnId conn, std::string_view bytes) {
  auto jit = jobs_.find(by_link_.at(conn));
  SLOTSIM_CHECK(jit != jobs_.end());
  SlotMigrationJob& job = jit->second;
  ExportLink& link = *exports_.at(job.id);
  link.parser.Feed(bytes);
  RespValue v;
  // Bounded by the input: each round consumes one reply.
  while (!job.Finished()) {
    ParseStatus st = link.parser.Next(&v);
    if (st == ParseStatus::kIncomplete) break;
    if (st == ParseStatus::kError || link.pending.empty()) {
      Fail(job, "protocol error on the migration link");
      return;
    }
    link.pending_bytes -= link.pending.front();
    link.charge.Set(link.pending_bytes);
    link.pending.pop_front();
    link.last_progress_ms = env_.NowMs();
    if (v.IsError()) {
      Fail(job, "target: " + v.str);
      return;
    }
    if (job.state == SlotMigrationJob::State::kStarting) {
      job.state = SlotMigrationJob::State::kSnapshot;
      Log(job);
      continue;
    }
    if (job.state == SlotMigrationJob::State::kHandoff && link.pending.empty()) {
      uint64_t epoch = 0;
      if (v.type != RespValue::Type::kSimple || v.str.rfind("TAKEN ", 0) != 0 ||
          !ParseU64(std::string_view(v.str).substr(6), &epoch)) {
        Fail(job, "unexpected hand-off reply: " + v.ToString());
        return;
      }
      FinishExport(job, epoch);
      return;
    }
  }
  Pump(job);
}

void SlotMigrations::FinishExport(SlotMigrationJob& job, uint64_t target_epoch) {
  // Belt and braces: the target's claim must be above my own configEpoch,
  // or the rest of the cluster keeps my claim (slots move only to a higher
  // epoch), I would serve the batch again after the pause, and the target
  // would delete it as dirty keys once it hears of my claim. My epoch is
  // frozen while END is out, so this takes a path the freeze missed; END
  // goes again with my current epoch, and the target claims again above it.
  const uint64_t my_epoch = cluster_.myself().config_epoch;
  if (target_epoch > 0 && target_epoch <= my_epoch) {
    ExportLink& link = *exports_.at(job.id);
    link.refused_target_epoch = target_epoch;
    Trace(SlotMigrationRecord::kTakenTooLow, job, [&](SlotMigrationRecord& r) {
      r.target_epoch = static_cast<int64_t>(target_epoch);
      r.config_epoch = static_cast<int64_t>(my_epoch);
      r.attempt = link.end_attempts;
    });
    if (link.end_attempts >= kHandoffEndAttempts) {
      Fail(job, "the target's takeover epoch " + std::to_string(target_epoch) +
                    " was not above my configEpoch " + std::to_string(my_epoch) + " after " +
                    std::to_string(link.end_attempts) + " ENDs");
      return;
    }
    env_.HitProbe(Probe::kAtomicEndResent);
    SendEnd(job);
    return;
  }
  job.state = SlotMigrationJob::State::kSuccess;
  job.end_ms = env_.NowMs();
  Trace(SlotMigrationRecord::kDone, job,
        [&](SlotMigrationRecord& r) { r.target_epoch = static_cast<int64_t>(target_epoch); });
  // The keys left here go as an UPDATE's dirty slots do (propagated DELs).
  // (target_epoch 0: gossip already applied the hand-off.)
  if (target_epoch > 0) cluster_.AtomicHandOff(job.peer, job.slots, target_epoch);
  Log(job);
  auto link = std::move(exports_.at(job.id));
  exports_.erase(job.id);
  by_link_.erase(link->conn);
  if (link->handoff_timer != kNoTimer) env_.CancelTimer(link->handoff_timer);
  env_.Close(link->conn);
  for (int s = 0; s < kClusterSlots; ++s)
    if (job.slots.test(s)) paused_slots_.reset(s);
  hooks_.rerun_postponed();  // now MOVED to the target
}

void SlotMigrations::OnLinkClosed(ConnId conn) {
  auto it = by_link_.find(conn);
  if (it == by_link_.end()) return;
  auto jit = jobs_.find(it->second);
  by_link_.erase(it);
  if (jit != jobs_.end() && !jit->second.Finished()) {
    if (auto e = exports_.find(jit->first); e != exports_.end()) e->second->conn = kNoConn;
    // A lost link in the hand-off says nothing of the takeover: the target
    // may have logged END before it died, and its promoted replica then
    // finishes the takeover. Wait for the claim (Check) or the timer.
    if (jit->second.state == SlotMigrationJob::State::kHandoff) {
      Trace(SlotMigrationRecord::kHandoffLinkLost, jit->second);
      return;
    }
    Fail(jit->second, "target link lost");
  }
}

// ---- Both sides -------------------------------------------------------------------

void SlotMigrations::Fail(SlotMigrationJob& job, const std::string& why) {
  if (job.Finished()) return;
  job.state = SlotMigrationJob::State::kFailed;
  job.error = why;
  job.end_ms = env_.NowMs();
  if (!job.replicated_only)
    env_.HitProbe(job.role == SlotMigrationJob::Role::kExport ? Probe::kAtomicExportAborted
                                                              : Probe::kAtomicImportAborted);
  Trace(SlotMigrationRecord::kFailed, job, [&](SlotMigrationRecord& r) { r.reason = why; });
  if (job.role == SlotMigrationJob::Role::kExport) {
    if (auto e = exports_.find(job.id); e != exports_.end()) {
      ExportLink& link = *e->second;
      // The target took the batch with an epoch not above mine: my claim
      // must stay strictly above it, or equal epochs would be settled by
      // node id, perhaps for the target, which holds stale data once I
      // serve writes again. The target then deletes its copy as dirty keys.
      if (link.refused_target_epoch > 0)
        cluster_.AtomicKeepSlots(job.peer, link.refused_target_epoch);
      if (link.handoff_timer != kNoTimer) env_.CancelTimer(link.handoff_timer);
      if (link.conn != kNoConn) {
        by_link_.erase(link.conn);
        env_.Close(link.conn);  // the target aborts on its side
      }
      exports_.erase(e);
    }
    bool was_paused = false;
    for (int s = 0; s < kClusterSlots; ++s)
      if (job.slots.test(s) && paused_slots_.test(s)) {
        paused_slots_.reset(s);
        was_paused = true;
      }
    if (was_paused) hooks_.rerun_postponed();  // served here again
  } else {
    if (auto i = imports_.find(job.id); i != imports_.end()) {
      const ConnId conn = i->second.conn;
      const bool waiting = i->second.end_ms != 0;
      by_import_conn_.erase(conn);
      imports_.erase(i);
      if (waiting) {
        std::string reply;
        resp::AppendError(&reply, "ERR slot import aborted: " + why);
        Answer(conn, reply);
      }
    }
    DropPartialKeys(job);
  }
  if (!job.replicated_only) Log(job);
}

void SlotMigrations::DropPartialKeys(const SlotMigrationJob& job) {
  const ClusterNode* me = &cluster_.myself();
  for (int s = 0; s < kClusterSlots; ++s) {
    if (!job.slots.test(s) || cluster_.SlotOwner(s) == me) continue;
    // Bounded by the slot's keys; DELs in batches, as dirty slots go.
    while (true) {
      auto keys = keyspace_.GetKeysInSlot(s, 128);
      if (keys.empty()) break;
      std::vector<std::string> del = {"DEL"};
      for (auto& k : keys) {
        keyspace_.Delete(k);
        del.push_back(std::move(k));
      }
      if (cluster_.myself().IsPrimary()) hooks_.propagate(del);
    }
  }
}

bool SlotMigrations::HandoffInFlight(SlotMigrationJob::Role role) const {
  for (const auto& [id, j] : jobs_)
    if (j.role == role && j.state == SlotMigrationJob::State::kHandoff && !j.replicated_only)
      return true;
  return false;
}

std::string SlotMigrations::ExportHandoffInFlight() const {
  if (!cluster_.myself().IsPrimary()) return "";
  for (const auto& [id, j] : jobs_)
    if (j.role == SlotMigrationJob::Role::kExport &&
        j.state == SlotMigrationJob::State::kHandoff && !j.replicated_only)
      return id;
  return "";
}

bool SlotMigrations::SlotInActiveJob(int slot) const {
  for (const auto& [id, j] : jobs_)
    if (!j.Finished() && !j.replicated_only && j.slots.test(slot)) return true;
  return false;
}

std::vector<std::string> SlotMigrations::LogRecord(const SlotMigrationJob& job) {
  std::vector<std::string> rec = {"CLUSTER", "SYNCSLOTS-LOG", job.id, RoleName(job.role),
                                  job.peer, StateName(job.state),
                                  std::to_string(job.source_epoch)};
  AppendRanges(job.slots, &rec);
  return rec;
}

std::string SlotMigrations::SnapshotRecords() const {
  std::string out;
  for (const auto& [id, job] : jobs_)
    if (!job.Finished()) out += resp::EncodeCommand(LogRecord(job));
  return out;
}

void SlotMigrations::OnFullSync() {
  for (auto it = jobs_.begin(); it != jobs_.end();)
    it = it->second.replicated_only && !it->second.Finished() ? jobs_.erase(it) : std::next(it);
}

void SlotMigrations::Log(const SlotMigrationJob& job) {
  if (!cluster_.myself().IsPrimary()) return;
  hooks_.propagate(LogRecord(job));
  // Keep the table bounded: forget the oldest finished jobs.
  std::vector<std::pair<int64_t, std::string>> finished;
  for (const auto& [id, j] : jobs_)
    if (j.Finished()) finished.emplace_back(j.end_ms, id);
  if (finished.size() > kFinishedJobsKept) {
    std::sort(finished.begin(), finished.end());
    for (size_t i = 0; i + kFinishedJobsKept < finished.size(); ++i) {
      if (finished[i].second == job.id) continue;
      jobs_.erase(finished[i].second);
    }
  }
}

void SlotMigrations::ApplyLog(const std::vector<std::string>& argv) {
  uint64_t source_epoch;
  if (argv.size() < 9 || !ParseU64(argv[6], &source_epoch)) return;
  SlotBitmap slots;
  std::string err;
  if (!ParseRanges(argv, 7, argv.size(), &slots, &err)) return;
  SlotMigrationJob& job = jobs_[argv[2]];
  job.id = argv[2];
  job.role = argv[3] == "export" ? SlotMigrationJob::Role::kExport : SlotMigrationJob::Role::kImport;
  job.peer = argv[4];
  job.slots = slots;
  job.replicated_only = true;
  job.source_epoch = source_epoch;
  const std::string& st = argv[5];
  job.state = st == "starting" ? SlotMigrationJob::State::kStarting
              : st == "snapshot" ? SlotMigrationJob::State::kSnapshot
              : st == "handoff" ? SlotMigrationJob::State::kHandoff
              : st == "success" ? SlotMigrationJob::State::kSuccess
                                : SlotMigrationJob::State::kFailed;
  if (job.start_ms == 0) job.start_ms = env_.NowMs();
  if (job.Finished()) job.end_ms = env_.NowMs();
}

void SlotMigrations::OnPromoted() {
  for (auto& [id, job] : jobs_) {
    if (!job.replicated_only || job.Finished()) continue;
    job.replicated_only = false;
    // An import my old primary had the END of: I hold the whole batch (it
    // waited for my ack), and it may already have taken the slots over.
    // Finish the takeover; the source stays paused until it sees it.
    if (job.role == SlotMigrationJob::Role::kImport &&
        job.state == SlotMigrationJob::State::kHandoff) {
      env_.HitProbe(Probe::kAtomicTakeoverAfterFailover);
      const uint64_t epoch = cluster_.AtomicTakeOver(job.slots, job.source_epoch);
      job.state = SlotMigrationJob::State::kSuccess;
      job.end_ms = env_.NowMs();
      Trace(SlotMigrationRecord::kImportTakeoverAfterFailover, job,
            [&](SlotMigrationRecord& r) { r.config_epoch = static_cast<int64_t>(epoch); });
      Log(job);
      continue;
    }
    // Anything else died with my old primary: an import's partial keys go;
    // an export's data is all here already.
    Fail(job, "failover");
  }
}

void SlotMigrations::AfterRestart() {
  for (auto& [id, job] : jobs_) {
    if (job.Finished()) continue;
    job.replicated_only = false;
    Fail(job, "restart");
  }
}

void SlotMigrations::OnReplicaAck() {
  std::vector<std::string> waiting;
  for (const auto& [id, st] : imports_)
    if (st.ack_offset >= 0) waiting.push_back(id);
  for (const auto& id : waiting) TryTakeOver(id);
}

void SlotMigrations::Trace(std::string_view kind, const SlotMigrationJob& job,
                           const std::function<void(SlotMigrationRecord&)>& extra) {
  if (!env_.TraceEnabled()) return;
  SlotMigrationRecord r;
  r.job = job.id;
  r.role = RoleName(job.role);
  r.peer = job.peer;
  r.slots = FormatSlotRanges(job.slots, ",");
  r.keys = static_cast<int64_t>(job.keys);
  r.bytes = static_cast<int64_t>(job.bytes);
  if (extra) extra(r);
  env_.Trace({std::string(kind), "", "", r.Format()});
}

void SlotMigrations::ScheduleCheck() {
  if (check_timer_ != kNoTimer) return;
  check_timer_ = env_.AddTimer(kCheckPeriodMs, "slotMigrationCheck", [this] {
    check_timer_ = kNoTimer;
    Check();
    cluster_.AfterEvent();
  });
}

void SlotMigrations::Check() {
  const int64_t now = env_.NowMs();
  const ClusterNode* me = &cluster_.myself();
  bool active = false;
  std::vector<std::string> ids;
  for (const auto& [id, j] : jobs_) ids.push_back(id);
  for (const auto& id : ids) {
    auto it = jobs_.find(id);
    if (it == jobs_.end()) continue;
    SlotMigrationJob& job = it->second;
    if (job.Finished() || job.replicated_only) continue;
    if (!me->IsPrimary()) {
      Fail(job, "demoted to replica");
      continue;
    }
    if (job.role == SlotMigrationJob::Role::kExport) {
      // The slots must still be mine, and the target must keep answering.
      bool lost = false;
      for (int s = 0; s < kClusterSlots && !lost; ++s)
        if (job.slots.test(s) && cluster_.SlotOwner(s) != me) lost = true;
      const ExportLink& link = *exports_.at(id);
      if (lost && job.state == SlotMigrationJob::State::kHandoff) {
        // The target (or its promoted replica) took over and I learned it
        // from gossip before (or instead of) its TAKEN.
        FinishExport(job, 0);
        continue;
      }
      if (lost) {
        Fail(job, "slot ownership changed");
        continue;
      }
      // Not during the hand-off: once END is out, the target (or, if it
      // logged END and then failed, its promoted replica: OnPromoted) may
      // take the batch over without answering me, so only the hand-off
      // timer, sized to outlast that failover, may resume writes here.
      if (job.state != SlotMigrationJob::State::kHandoff && !link.pending.empty() &&
          now - link.last_progress_ms > config_.node_timeout_ms) {
        Fail(job, "target stopped answering");
        continue;
      }
      if (job.state == SlotMigrationJob::State::kSnapshot && link.pending.empty())
        Pump(job);  // a hand-off deferred by an import's takeover
      if (jobs_.at(id).Finished()) continue;
    } else if (job.state == SlotMigrationJob::State::kHandoff) {
      TryTakeOver(id);
      if (jobs_.at(id).Finished()) continue;
    }
    active = true;
  }
  if (active) ScheduleCheck();
}

void SlotMigrations::AppendHeldConnections(
    std::vector<std::pair<ConnId, std::string>>* out) const {
  for (const auto& [conn, id] : by_link_) out->emplace_back(conn, "slot migration export " + id);
  for (const auto& [conn, id] : by_import_conn_)
    out->emplace_back(conn, "slot migration import " + id);
}

}  // namespace slotsim
