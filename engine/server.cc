#include "engine/server.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "engine/check.h"
#include "engine/commands.h"
#include "engine/config_command.h"
#include "engine/dump.h"
#include "engine/introspection.h"
#include "engine/keyslot.h"
#include "engine/text.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {


// "unknown command 'x', with args beginning with: 'a' 'b' " as Redis 7
// formats it (processCommand).
std::string UnknownCommandError(const std::vector<std::string>& argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i)
    args += "'" + argv[i].substr(0, 128 - args.size()) + "' ";
  return "ERR unknown command '" + argv[0].substr(0, 128) +
         "', with args beginning with: " + args;
}

bool IsWriteCommand(const std::vector<std::string>& argv) {
  const CommandSpec* cmd = argv.empty() ? nullptr : LookupCommand(argv[0]);
  return cmd != nullptr && (cmd->flags & kCmdWrite);
}

}  // namespace

Server::Server(Env& env, EngineConfig config)
    : env_(env), config_(std::move(config)), meter_(env_, config_.cost),
      active_expire_(env_, keyspace_,
                     ActiveExpire::Hooks{
                         [this] {
                           return cluster_.myself().IsPrimary() && writes_paused_until_ms_ == 0 &&
                                  client_pause_until_ms_ == 0;
                         },
                         [this] { cluster_.AfterEvent(); }}),
      cluster_(env_, config_, keyspace_, memory_),
      repl_(env_, config_, keyspace_, memory_,
            [this](const std::vector<std::string>& argv) {
              // processCommand for the primary's client: a replica whose
              // log is in error panics rather than apply a write it cannot
              // log (repl-ignore-disk-write-error no).
              if (aof_.write_error() != IoStatus::kOk && IsWriteCommand(argv)) {
                env_.Exit("Replica was unable to write command to disk.");
                return;
              }
              ApplyFromPrimary(argv);
              // A snapshot replaces the log wholesale once loaded.
              if (!repl_.loading_snapshot()) {
                aof_.Append(argv);
                AfterAofAppend();
              }
            }),
      aof_(env_, config_),
      migrator_(env_, config_, keyspace_, meter_, memory_,
                [this](const std::vector<std::string>& argv) { Propagate(argv); }),
      migrations_(env_, config_, keyspace_, cluster_, meter_, memory_,
                  SlotMigrations::Hooks{
                      [this](const std::vector<std::string>& argv) { Propagate(argv); },
                      [this] { RerunPostponed(); },
                      [this](ConnId conn, const std::string& reply) {
                        auto it = clients_.find(conn);
                        if (it != clients_.end()) ResumeClient(*it->second, reply);
                      },
                      [this] { return repl_.offset(); },
                      [this](int64_t off) { return repl_.CountReplicasAcked(off); },
                      [this] { return repl_.online_replicas(); },
                      [this] { repl_.RequestAcks(); }}) {
  ClusterHooks hooks;
  hooks.become_replica = [this](const std::string& host, uint16_t port) {
    repl_.SetPrimary(host, port);
  };
  hooks.become_primary = [this] {
    DropReplicatedMulti("promoted");
    repl_.BecomePrimary();
    migrations_.OnPromoted();
  };
  hooks.repl_offset = [this] { return repl_.ReportedOffset(); };
  hooks.loading = [this] { return repl_.loading(); };
  hooks.repl_data_age_ms = [this] { return repl_.DataAgeMs(); };
  hooks.propagate = [this](const std::vector<std::string>& argv) { Propagate(argv); };
  hooks.pause_writes = [this](int64_t until_ms) { PauseWrites(until_ms); };
  hooks.unpause_writes = [this] { UnpauseWrites(); };
  hooks.config_epoch_frozen_by = [this] { return migrations_.ExportHandoffInFlight(); };
  hooks.publish_received = [this](const std::string& channel, const std::string& message,
                                  bool sharded) { pubsub_.Publish(channel, message, sharded); };
  hooks.shard_slot_lost = [this](int slot) { pubsub_.RemoveShardChannelsInSlot(slot); };
  cluster_.set_hooks(std::move(hooks));
  repl_.set_on_ack([this] {
    CheckWaitingClients();
    migrations_.OnReplicaAck();
  });
  // A demoted primary drops its replicas as it always did (no flush of the
  // pass's replies first: a replica's link gets none).
  repl_.set_close_replica([this](ConnId conn) {
    env_.Close(conn);
    FreeClient(conn, /*close=*/false);
  });
  // deleteExpiredKeyAndPropagate: a key a primary expired reaches its
  // replicas and its AOF as DEL.
  keyspace_.set_on_expired([this](const std::string& key) { Propagate({"DEL", key}); });
  keyspace_.set_on_first_expire([this] { active_expire_.Start(); });
  repl_.set_snapshot_extra([this] { return migrations_.SnapshotRecords(); });
  repl_.set_on_snapshot_loading([this] {
    DropReplicatedMulti("full-sync");
    migrations_.OnFullSync();
  });
    repl_.set_on_full_sync([this](const std::string& snapshot) { aof_.RewriteAfterSync(snapshot); });
  aof_.set_position([this] { return std::make_pair(repl_.replid(), repl_.offset()); });
}

void Server::Propagate(const std::vector<std::string>& argv) {
  if (exec_multi_pending_) {
    exec_multi_pending_ = false;
    exec_multi_propagated_ = true;
    PropagateOne({"MULTI"});
  }
  PropagateOne(argv);
}

void Server::PropagateOne(const std::vector<std::string>& argv) {
  aof_.Append(argv);
  AfterAofAppend();
  if (cluster_.myself().IsPrimary()) {
    repl_.Propagate(argv);
    migrations_.Forward(argv);
    TraceWrite(argv);
  }
}

void Server::TraceWrite(const std::vector<std::string>& argv) {
  // The oracle pairs each acknowledged write with the offset it took in
  // the replication stream (properties/loss_windows.h); commands without
  // a key (the migration job log) carry no client's data.
  if (!env_.TraceEnabled() || argv.size() < 2) return;
  const CommandSpec* cmd = LookupCommand(argv[0]);
  if (cmd == nullptr || cmd->proc == nullptr) return;
  WriteRecord w;
  w.cmd = Lower(argv[0]);
  w.key = argv[1];
  w.replid = repl_.replid();
  w.offset = repl_.offset();
  w.digest = ArgvDigest(argv);
  env_.Trace({WriteRecord::kKind, "", "", w.Format()});
}

bool Server::Start() {
  env_.SetNetHandler(this);
  if (!env_.Listen(config_.port)) {
    start_error_ = "port " + std::to_string(config_.port) + " is taken";
    return false;
  }
  if (!env_.Listen(config_.bus_port())) {
    env_.Unlisten(config_.port);
    start_error_ = "bus port " + std::to_string(config_.bus_port()) + " is taken";
    return false;
  }
  repl_.Start();
  if (!cluster_.Start(&start_error_)) {
    env_.Unlisten(config_.port);
    env_.Unlisten(config_.bus_port());
    return false;
  }
  // loadDataFromDisk: the AOF if it is on, else the dump.
  int64_t replayed = 0;
  if (config_.appendonly
          ? !aof_.Load([this](const std::vector<std::string>& argv) { ApplyFromPrimary(argv); },
                       &replayed, &start_error_)
          : !LoadDump()) {
    env_.Unlisten(config_.port);
    env_.Unlisten(config_.bus_port());
    return false;
  }
  // A MULTI block the log ends inside was cut by a crash: dropped whole.
  DropReplicatedMulti("aof-tail");
  migrations_.AfterRestart();
  if (!aof_.Start(&start_error_)) {
    env_.Unlisten(config_.port);
    env_.Unlisten(config_.bus_port());
    return false;
  }
  env_.AddTimer(1000, "serverCron", [this] { ServerCron(); });
  return true;
}

ExpireMode Server::ClientExpireMode() const {
  if (!cluster_.myself().IsPrimary()) return ExpireMode::kHide;
  if (writes_paused_until_ms_ != 0 || client_pause_until_ms_ != 0) return ExpireMode::kHide;
  return ExpireMode::kDelete;
}

namespace {
// The dump file's first command: a file without it (an RDB file, say) is
// refused rather than misread.
const std::vector<std::string> kDumpHeader = {"SLOTSIM-DUMP", "1"};
}  // namespace

bool Server::SaveDump() {
  const std::string name = config_.dbfilename;
  const std::string temp = "temp-" + name;
  std::string data = resp::EncodeCommand(kDumpHeader);
  data += keyspace_.SnapshotAsCommands();
  meter_.Serialize(data.size(), static_cast<size_t>(keyspace_.size()));
  IoStatus st = env_.WriteFile(temp, data);
  if (st == IoStatus::kOk) st = env_.SyncFile(temp);
  if (st == IoStatus::kOk) st = env_.RenameFile(temp, name);
  if (st == IoStatus::kOk) st = env_.SyncDir();
  if (st != IoStatus::kOk) (void)env_.DeleteFile(temp);  // rdbSave unlinks its temp file
  const bool ok = st == IoStatus::kOk;
  env_.Trace({"DumpSaved", "", "",
              "file=" + name + " keys=" + std::to_string(keyspace_.size()) +
                  " ok=" + (ok ? "1" : "0")});
  return ok;
}

bool Server::LoadDump() {
  std::string data;
  const IoStatus read = env_.ReadFile(config_.dbfilename, &data);
  if (read == IoStatus::kNotFound) return true;  // never saved: an empty data set
  if (read != IoStatus::kOk) {
    // rdbLoad's open or read error (loadDataFromDisk exits).
    start_error_ = "Fatal error loading the DB: " + std::string(IoStatusText(read)) + ". Exiting.";
    return false;
  }
  RequestParser parser;
  parser.Feed(data);
  std::vector<std::string> argv;
  if (parser.Next(&argv) != ParseStatus::kOk || argv != kDumpHeader) {
    start_error_ = config_.dbfilename + " is not a slotsim dump (slotsim saves its own format)";
    return false;
  }
  int64_t n = 0;
  ParseStatus st;
  while ((st = parser.Next(&argv)) == ParseStatus::kOk) {
    ApplyFromPrimary(argv);
    ++n;
  }
  if (st == ParseStatus::kError || parser.buffered() > 0) {
    // Written whole and renamed into place, so a short file is damage.
    start_error_ = config_.dbfilename + " is cut short or corrupt after " + std::to_string(n) +
                   " commands";
    return false;
  }
  int64_t dropped = 0;
  if (cluster_.myself().IsPrimary()) {
    // A replica keeps keys that expired while it was down (its primary's
    // DELs will come); a primary loading them would only expire them.
    const int64_t now = env_.NowMs();
    std::vector<std::string> expired;
    keyspace_.ForEach([&](const std::string& key, const Value&) {
      const int64_t when = keyspace_.GetExpire(key);
      if (when >= 0 && when < now) expired.push_back(key);
    });
    for (const auto& k : expired) dropped += keyspace_.Delete(k) ? 1 : 0;
  }
  env_.Trace({"DumpLoaded", "", "",
              "commands=" + std::to_string(n) + " keys=" + std::to_string(keyspace_.size()) +
                  " expired_dropped=" + std::to_string(dropped)});
  return true;
}

void Server::ServerCron() {
  migrator_.Cron();
  env_.AddTimer(1000, "serverCron", [this] { ServerCron(); });
  cluster_.AfterEvent();
}

namespace {

// The payload of the bulk reply appended to `out` at `from` ("" for a nil
// or an error).
std::string_view LastBulk(const std::string& out, size_t from) {
  if (from >= out.size() || out[from] != '$') return {};
  const size_t eol = out.find("\r\n", from);
  if (eol == std::string::npos) return {};
  return std::string_view(out).substr(eol + 2);
}

}  // namespace

void Server::ChargeCommandWork(const CommandSpec& cmd, const std::vector<std::string>& argv) {
  if ((cmd.flags & kCmdLoad) && argv.size() > 3)
    meter_.Load(argv[3].size(), DumpPayloadElements(argv[3]));
  if (cmd.flags & kCmdFree)
    for (size_t i = 1; i < argv.size(); ++i)
      if (const Value* v = keyspace_.Find(argv[i])) meter_.Free(v->elements());
}

void Server::ApplyFromPrimary(const std::vector<std::string>& argv) {
  if (argv.empty()) return;  // the parsers never produce one; cheap to be sure
  const std::string name = Lower(argv[0]);
  if (name == "multi") {
    applying_multi_ = true;
    apply_queue_.clear();
    return;
  }
  if (name == "exec") {
    if (!applying_multi_) return;
    applying_multi_ = false;
    std::vector<std::vector<std::string>> queued;
    queued.swap(apply_queue_);
    for (const auto& a : queued) ApplyOne(a);
    return;
  }
  if (applying_multi_) {
    SLOTSIM_CHECK_MSG(apply_queue_.size() < kMultiQueueMax, "replicated transaction too long");
    apply_queue_.push_back(argv);
    return;
  }
  ApplyOne(argv);
}

void Server::DropReplicatedMulti(const char* why) {
  if (!applying_multi_) return;
  env_.Trace({"ReplicatedMultiDropped", "", "",
              std::string("reason=") + why + " commands=" + std::to_string(apply_queue_.size())});
  applying_multi_ = false;
  apply_queue_.clear();
}

void Server::ApplyOne(const std::vector<std::string>& argv) {
  if (argv.size() >= 2 && Lower(argv[0]) == "cluster" && Lower(argv[1]) == "syncslots-log") {
    migrations_.ApplyLog(argv);
    return;
  }
  const CommandSpec* cmd = LookupCommand(argv[0]);
  if (cmd == nullptr || cmd->proc == nullptr) {
    env_.Trace({"ReplUnknownCommand", "", "", "cmd=" + argv[0]});
    return;
  }
  // A primary's stream is a peer's input: processCommand checks the
  // master client's arity too (the error reply is not sent back). The
  // AOF loader refuses such a command before it gets here.
  if (!cmd->ArityOk(argv.size())) {
    env_.Trace({"ReplBadArity", "", "", DetailsWriter().Add("cmd", argv[0]).Take()});
    return;
  }
  meter_.Command();
  ChargeCommandWork(*cmd, argv);
  std::string discard;
  // The master client and the loader never see a key as expired.
  Keyspace::CommandScope scope(keyspace_, env_.NowMs(), ExpireMode::kKeep);
  cmd->proc(keyspace_, argv, &discard);
}

void Server::OnAccept(uint16_t local_port, ConnId conn,
                      const std::string& peer_host) {
  if (local_port == config_.bus_port()) {
    cluster_.OnBusAccept(conn);
  } else {
    if (static_cast<int>(clients_.size()) >= config_.clients_max) {
      std::string out;
      resp::AppendError(&out, "ERR max number of clients reached");
      env_.Send(conn, out, "Error");
      env_.Close(conn);
      return;
    }
    auto c = std::make_unique<Client>(config_.resp_limits, memory_);
    c->conn = conn;
    c->id = next_client_id_++;
    c->peer_host = peer_host;
    clients_.emplace(conn, std::move(c));
  }
  cluster_.AfterEvent();
}

void Server::OnConnected(ConnId conn) {
  if (cluster_.IsBusLink(conn)) cluster_.OnBusConnected(conn);
  if (migrator_.IsLink(conn)) migrator_.OnConnected(conn);
  if (migrations_.IsLink(conn)) migrations_.OnLinkConnected(conn);
  if (repl_.IsLink(conn)) repl_.OnLinkConnected(conn);
  cluster_.AfterEvent();
}

void Server::OnData(ConnId conn, std::string_view bytes) {
  meter_.Io(bytes.size());
  if (cluster_.IsBusLink(conn)) {
    cluster_.OnBusData(conn, bytes);
  } else if (repl_.IsLink(conn)) {
    repl_.OnLinkData(conn, bytes);
  } else if (migrator_.IsLink(conn)) {
    migrator_.OnData(conn, bytes);
  } else if (migrations_.IsLink(conn)) {
    migrations_.OnLinkData(conn, bytes);
  } else if (auto it = clients_.find(conn); it != clients_.end()) {
    Client& c = *it->second;
    c.parser.Feed(bytes);
    c.query_buffer.Set(c.parser.buffered());
    ProcessInput(c);
  }
  cluster_.AfterEvent();
}

void Server::OnClosed(ConnId conn, std::string_view reason) {
  if (cluster_.IsBusLink(conn)) cluster_.OnBusClosed(conn);
  if (repl_.IsLink(conn)) repl_.OnLinkClosed(conn);
  if (migrator_.IsLink(conn)) migrator_.OnClosed(conn);
  if (migrations_.IsLink(conn)) migrations_.OnLinkClosed(conn);
  FreeClient(conn, /*close=*/false);
  cluster_.AfterEvent();
}

void Server::FreeClient(ConnId conn, bool close) {
  auto it = clients_.find(conn);
  if (it == clients_.end()) return;
  if (close) {
    // A connection closed now cannot wait for the pass's fsync.
    FlushBeforeClose();
    env_.Close(conn);
  }
  migrations_.OnClientClosed(conn);
  if (it->second->wait_timer != kNoTimer) env_.CancelTimer(it->second->wait_timer);
  repl_.OnClientClosed(conn);
  pubsub_.RemoveClient(conn);
  clients_.erase(it);
}

void Server::ProcessInput(Client& c) {
  const ConnId conn = c.conn;
  std::string out;
  std::vector<std::string> argv;
  bool close = false;
  // Each iteration consumes at least one request from finite input. A
  // blocked client's further input waits until it is unblocked.
  while (!close && !c.blocked) {
    ParseStatus st = c.parser.Next(&argv);
    if (st == ParseStatus::kIncomplete) break;
    if (st == ParseStatus::kError) {
      protocol_errors_++;
      resp::AppendError(&out, "ERR " + c.parser.error());
      env_.Trace({"ProtocolError", "", "", "reason=" + c.parser.error()});
      close = true;
      break;
    }
    close = !ExecuteCommand(c, argv, &out);
  }
  if (!close && c.parser.buffered() > config_.client_query_buffer_bytes_max) {
    env_.Trace({"QueryBufferLimit", "", "",
                "bytes=" + std::to_string(c.parser.buffered())});
    close = true;
  }
  c.query_buffer.Set(c.parser.buffered());
  if (!out.empty()) Reply(conn, out);
  if (close) FreeClient(conn, /*close=*/true);  // invalidates c
}

namespace {

// The first line of the RESP reply at `from` if it is an error, else "".
std::string_view ErrorAt(const std::string& out, size_t from) {
  if (from >= out.size() || out[from] != '-') return {};
  const size_t end = out.find("\r\n", from);
  return std::string_view(out).substr(from, end == std::string::npos ? std::string::npos : end - from);
}

}  // namespace

bool Server::ExecuteCommand(Client& c, const std::vector<std::string>& argv,
                            std::string* out) {
  const size_t out_before = out->size();
  const int64_t calls_before = calls_made_;
  const bool keep = RouteAndRun(c, argv, out);
  if (calls_made_ == calls_before) {
    if (const std::string_view err = ErrorAt(*out, out_before); !err.empty()) {
      if (LookupCommand(argv[0]) != nullptr)
        command_stats_.Rejected(CommandStats::StatName(argv[0], argv.size() > 1 ? argv[1] : ""));
      command_stats_.ErrorReplied(err);
    }
  }
  return keep;
}

bool Server::RouteAndRun(Client& c, const std::vector<std::string>& argv, std::string* out) {
  SLOTSIM_CHECK(!argv.empty());
  commands_processed_++;
  meter_.Command();
  const CommandSpec* cmd = LookupCommand(argv[0]);
  if (cmd == nullptr) {
    if (c.multi) c.multi_dirty = true;  // flagTransaction
    resp::AppendError(out, UnknownCommandError(argv));
    return true;
  }
  if (!cmd->ArityOk(argv.size())) {
    if (c.multi) c.multi_dirty = true;
    resp::AppendError(out, std::string("ERR wrong number of arguments for '") +
                               cmd->name + "' command");
    return true;
  }
  // ASKING lasts for exactly the next command, or, in a transaction,
  // until its EXEC or DISCARD (resetClient keeps it under CLIENT_MULTI).
  const bool asking = c.asking;
  {
    const std::string_view n = cmd->name;
    if (!(c.multi || n == "multi") || n == "exec" || n == "discard") c.asking = false;
  }

  const std::string_view name = cmd->name;
  if (cmd->proc != nullptr && migrations_.IsImportLink(c.conn)) {
    ExecuteImported(c, *cmd, argv, out);
    return true;
  }
  const bool is_migrate = name == "migrate";
  const bool is_exec = name == "exec" && c.multi;
  auto keys = is_migrate ? MigrateKeys(argv) : CommandKeys(*cmd, argv);
  bool is_write = cmd->flags & kCmdWrite;
  if (is_exec) {
    // getNodeByQuery over the whole transaction: every queued key must
    // hash to one slot, served here.
    for (const auto& q : c.multi_queue) {
      const CommandSpec* qc = LookupCommand(q[0]);
      for (std::string_view k : CommandKeys(*qc, q)) keys.push_back(k);
      is_write = is_write || (qc->flags & kCmdWrite);
    }
  }
  int slot = -1;
  if (!keys.empty()) {
    Cluster::RouteQuery q;
    q.is_write = is_write;
    // A shard channel may be served by a replica of its slot's owner, as
    // a READONLY read is (getNodeByQuery's is_pubsubshard).
    q.is_pubsubshard = name == "ssubscribe" || name == "sunsubscribe" || name == "spublish";
    q.readonly_client = c.readonly || q.is_pubsubshard;
    q.asking = asking || (cmd->flags & kCmdAsking);
    q.is_migrate = is_migrate;
    Redirect r = cluster_.Route(keys, q, &slot);
    if (r != Redirect::kNone) {
      // A refused EXEC discards the transaction; a refused queued
      // command dooms it (processCommand).
      if (is_exec) DiscardTransaction(c);
      else if (c.multi) c.multi_dirty = true;
      cluster_.AppendRedirectError(r, slot, out);
      return true;
    }
  } else if ((cmd->flags & kCmdWrite) && !is_migrate && cluster_.myself().IsReplica()) {
    // A keyless write (FLUSHALL) on a read-only replica (processCommand's
    // replica-read-only check).
    if (c.multi) c.multi_dirty = true;
    resp::AppendError(out, "READONLY You can't write against a read only replica.");
    return true;
  }
  // writeCommandsDeniedByDiskError (processCommand, after the cluster
  // redirection): while the log is in error a write, or a PING, is refused
  // until a write gets through again.
  if ((is_write || name == "ping") && aof_.write_error() != IoStatus::kOk) {
    RejectCommand(c, is_exec,
                  std::string("MISCONF Errors writing to the AOF file: ") +
                      IoStatusText(aof_.write_error()),
                  out);
    return true;
  }
  // CLIENT PAUSE holds a normal client's commands (ALL, CLIENT UNPAUSE
  // included, as in Redis) or those that may write (an EXEC of writes too),
  // before MULTI would queue them (processCommand). Only a link already
  // serving a replica is exempt: a replica reconnecting to a primary
  // paused with ALL waits in its handshake, so its data keeps aging
  // (what 06-slave-stop-cond relies on).
  if (client_pause_until_ms_ != 0 && !c.is_replica &&
      (client_pause_all_ || (cmd->flags & kCmdWrite) || (is_exec && is_write))) {
    c.blocked = true;
    c.postponed = argv;
    return true;
  }
  // A (RESP2) client with subscriptions may only (un)subscribe, PING,
  // QUIT or RESET (processCommand).
  if (pubsub_.SubscriptionsOf(c.conn) > 0 && name != "ping" && name != "quit" &&
      name != "reset" && name.find("subscribe") == std::string_view::npos) {
    if (c.multi) c.multi_dirty = true;
    resp::AppendError(out, "ERR Can't execute '" + std::string(name) +
                               "': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
                               "RESET are allowed in this context");
    return true;
  }
  // Loading a full sync: only commands with the loading flag run; an EXEC
  // only if every queued command has it (processCommand's
  // is_denyloading_command).
  if (repl_.loading()) {
    bool allowed = AllowedWhileLoading(name, argv);
    if (is_exec)
      for (const auto& q : c.multi_queue) allowed = allowed && AllowedWhileLoading(Lower(q[0]), q);
    if (!allowed) {
      RejectCommand(c, is_exec, "LOADING Redis is loading the dataset in memory", out);
      return true;
    }
  }
  if (c.multi && name != "exec" && name != "discard" && name != "multi" && name != "quit") {
    if (!AllowedInMulti(name, argv)) {
      c.multi_dirty = true;
      resp::AppendError(out, "ERR Command not allowed inside a transaction");
    } else if (c.multi_queue.size() >= kMultiQueueMax) {
      c.multi_dirty = true;
      resp::AppendError(out, "ERR transaction holds " + std::to_string(kMultiQueueMax) +
                                 " commands, the most slotsim queues");
    } else {
      c.multi_queue.push_back(argv);
      resp::AppendSimple(out, "QUEUED");
    }
    return true;
  }
  if (name == "multi") {
    if (c.multi) {
      resp::AppendError(out, "ERR MULTI calls can not be nested");
    } else {
      c.multi = true;
      resp::AppendSimple(out, "OK");
    }
    return true;
  }
  if (name == "discard") {
    if (!c.multi) {
      resp::AppendError(out, "ERR DISCARD without MULTI");
    } else {
      DiscardTransaction(c);
      resp::AppendSimple(out, "OK");
    }
    return true;
  }
  if (name == "exec") {
    if (!c.multi) {
      resp::AppendError(out, "ERR EXEC without MULTI");
      return true;
    }
    if (c.multi_dirty) {
      DiscardTransaction(c);
      resp::AppendError(out, "EXECABORT Transaction discarded because of previous errors.");
      return true;
    }
    // A transaction with writes waits out a write pause as a whole.
    if (is_write && (writes_paused_until_ms_ != 0 || (slot >= 0 && migrations_.WritePaused(slot)))) {
      c.blocked = true;
      c.postponed = argv;
      return true;
    }
    return Exec(c, out);
  }
  // Writes wait while a manual failover has them paused, or an atomic
  // migration is handing their slot over.
  if ((cmd->flags & kCmdWrite) &&
      (writes_paused_until_ms_ != 0 || (slot >= 0 && migrations_.WritePaused(slot)))) {
    c.blocked = true;
    c.postponed = argv;
    return true;
  }
  return Call(c, *cmd, argv, /*in_exec=*/false, out);
}

void Server::RejectCommand(Client& c, bool is_exec, const std::string& err, std::string* out) {
  if (is_exec) {
    // rejectCommand -> execCommandAbort.
    DiscardTransaction(c);
    resp::AppendError(out, "EXECABORT Transaction discarded because of: " + err);
  } else {
    if (c.multi) c.multi_dirty = true;  // flagTransaction
    resp::AppendError(out, err);
  }
}

bool Server::AllowedWhileLoading(std::string_view name, const std::vector<std::string>& argv) {
  // The commands and subcommands flagged "loading" in src/commands/*.json
  // at 7.0.15, of those slotsim has.
  static const std::set<std::string_view> whole = {
      "auth",     "client",      "command",   "config",      "debug",     "discard",
      "echo",     "exec",        "hello",     "info",        "lastsave",  "latency",
      "monitor",  "multi",       "psubscribe", "publish",    "pubsub",    "punsubscribe",
      "quit",     "readonly",    "readwrite", "replconf",    "reset",     "role",
      "select",   "shutdown",    "slowlog",   "spublish",    "ssubscribe", "subscribe",
      "sunsubscribe", "time",    "unsubscribe", "unwatch",   "watch",     "acl"};
  if (whole.count(name)) return true;
  // Of the rest, only the HELP subcommands (CLUSTER HELP, MEMORY HELP, ...).
  return argv.size() == 2 && Lower(argv[1]) == "help" &&
         (name == "cluster" || name == "memory" || name == "object" || name == "script" ||
          name == "function");
}

bool Server::AllowedInMulti(std::string_view name, const std::vector<std::string>& argv) {
  if (name == "migrate" || name == "wait" || name == "psync" || name == "replconf") return false;
  if (name == "cluster" && argv.size() >= 2 && SlotMigrations::IsMigrationCommand(Lower(argv[1])))
    return false;
  return true;
}

void Server::DiscardTransaction(Client& c) {
  c.multi = false;
  c.multi_dirty = false;
  c.multi_queue.clear();
}

bool Server::Exec(Client& c, std::string* out) {
  std::vector<std::vector<std::string>> queued;
  queued.swap(c.multi_queue);
  DiscardTransaction(c);
  resp::AppendArrayHeader(out, static_cast<int64_t>(queued.size()));
  // Saved and restored, so an EXEC run from inside another (a postponed
  // one rerun) cannot close the outer block's propagation.
  const bool outer_pending = exec_multi_pending_, outer_propagated = exec_multi_propagated_;
  exec_multi_pending_ = true;
  exec_multi_propagated_ = false;
  bool keep = true;
  for (const auto& q : queued) keep = Call(c, *LookupCommand(q[0]), q, /*in_exec=*/true, out) && keep;
  exec_multi_pending_ = false;
  if (exec_multi_propagated_) PropagateOne({"EXEC"});
  exec_multi_pending_ = outer_pending;
  exec_multi_propagated_ = outer_propagated;
  return keep;
}

bool Server::Call(Client& c, const CommandSpec& command, const std::vector<std::string>& argv,
                  bool in_exec, std::string* out) {
  calls_made_++;
  const size_t out_before = out->size();
  const int64_t ns_before = meter_.total_ns();
  const bool keep = Dispatch(c, command, argv, in_exec, out);
  const std::string_view err = ErrorAt(*out, out_before);
  // usec: what the cost model charged the command, its base price included.
  const int64_t ns = meter_.total_ns() - ns_before + config_.cost.command_ns;
  // command.name is the table's lowercase name: no copy unless the
  // command is counted per subcommand.
  const std::string_view table_name = command.name;
  const std::string stat_name = CommandStats::IsContainer(table_name) && argv.size() > 1
                                    ? CommandStats::StatName(table_name, argv[1])
                                    : std::string();
  command_stats_.Called(stat_name.empty() ? table_name : std::string_view(stat_name),
                        ns / 1000, !err.empty());
  if (!err.empty()) command_stats_.ErrorReplied(err);
  return keep;
}

bool Server::Dispatch(Client& c, const CommandSpec& command, const std::vector<std::string>& argv,
                      bool in_exec, std::string* out) {
  const CommandSpec* cmd = &command;
  const std::string_view name = cmd->name;
  const int argc = static_cast<int>(argv.size());
  // call(): the command's one clock reading (server.mstime) and whether
  // the keys it meets may expire here.
  Keyspace::CommandScope scope(keyspace_, env_.NowMs(), ClientExpireMode());
  if (cmd->proc != nullptr) {
    const uint64_t dirty_before = keyspace_.dirty();
    const size_t out_before = out->size();
    ChargeCommandWork(*cmd, argv);
    cmd->proc(keyspace_, argv, out);
    if (cmd->flags & kCmdSerialize)
      meter_.Serialize(out->size() - out_before, DumpPayloadElements(LastBulk(*out, out_before)));
    // Propagate what changed the data (call(): server.dirty), in the form
    // the command chose (a relative expire made absolute).
    std::vector<std::string> rewritten = keyspace_.TakePropagateAs();
    if (keyspace_.dirty() != dirty_before) {
      Propagate(rewritten.empty() ? argv : rewritten);
      c.woff = repl_.offset();
    }
    return true;
  }
  if (name == "cluster") {
    if (SlotMigrations::IsMigrationCommand(Lower(argv[1]))) {
      if (!migrations_.Command(c.conn, argv, out)) c.blocked = true;
    } else if (cluster_.WaitsForFrozenEpoch(argv) && in_exec) {
      // Inside EXEC nothing may wait: the same answer a frozen epoch gave
      // before postponing existed.
      resp::AppendError(out, "TRYAGAIN configEpoch frozen by an atomic migration's hand-off; "
                             "retry after it");
    } else if (cluster_.WaitsForFrozenEpoch(argv)) {
      // An atomic hand-off freezes my configEpoch for the few ms until
      // its target answers. A native reshard's SETSLOT NODE on me (or a
      // BUMPEPOCH) waits for that answer, as a paused write does, rather
      // than failing: redis-cli's reshard stops at any SETSLOT error, and
      // would leave its slot open (explore --profile all, seed 582).
      env_.Trace({"CommandPostponed", c.peer_host, "", "cmd=" + Lower(argv[1]) + " reason=epoch-frozen"});
      c.blocked = true;
      c.postponed = argv;
      return true;
    } else {
      cluster_.Command(argv, out);
    }
  } else if (name == "ping") {
    if (argc > 2) {
      resp::AppendError(out, "ERR wrong number of arguments for 'ping' command");
    } else if (pubsub_.SubscriptionsOf(c.conn) > 0) {
      // In subscribed mode a RESP2 PING answers as a message would.
      resp::AppendArrayHeader(out, 2);
      resp::AppendBulk(out, "pong");
      resp::AppendBulk(out, argc == 2 ? std::string_view(argv[1]) : std::string_view());
    } else if (argc == 2)
      resp::AppendBulk(out, argv[1]);
    else
      resp::AppendSimple(out, "PONG");
  } else if (name == "command") {
    CommandCommand(argv, out);
  } else if (name == "config") {
    ConfigState state{config_, accepted_config_, config_rewriter_,
                      [this](bool was_appendonly, AofFsync) -> std::string {
                        if (!was_appendonly && config_.appendonly) {
                          // startAppendOnly: the log begins as a rewrite
                          // of what the node holds.
                          if (aof_.Rewrite(keyspace_.SnapshotAsCommands()) != IoStatus::kOk) {
                            // updateAppendonly: the log stays off, and
                            // CONFIG SET restores what it set.
                            return "Unable to turn on AOF. Check server logs.";
                          }
                          env_.Trace({"AofEnabled", "", "", ""});
                        } else if (was_appendonly && !config_.appendonly) {
                          aof_.SyncAfterStop();
                          env_.Trace({"AofDisabled", "", "", ""});
                        }
                        aof_.Start();  // the timer the (new) policy needs
                        return "";
                      },
                      [this] { command_stats_.Reset(); },
                      [this] { cluster_.UpdateMyselfHostname(); }};
    const int64_t was_key_load_delay = config_.key_load_delay_us;
    ConfigCommand(state, argv, out);
    if (config_.key_load_delay_us != was_key_load_delay) repl_.RescheduleLoading();
  } else if (name == "debug") {
    const std::string sub = Lower(argv[1]);
    int64_t type = 0;
    if (sub == "digest" && argc == 2) {
      resp::AppendBulk(out, DatasetDigest(keyspace_));
    } else if (sub == "digest-value" && argc >= 2) {
      // The raw lookup: a debug command sees logically expired keys too.
      resp::AppendArrayHeader(out, argc - 2);
      for (int j = 2; j < argc; ++j)
        resp::AppendBulk(out, DigestOf(argv[j], keyspace_.Find(argv[j]),
                                       keyspace_.GetExpire(argv[j]) >= 0));
    } else if (sub == "set-active-expire" && argc == 3) {
      // atoi, as debugCommand: anything not a number reads as 0.
      active_expire_.set_enabled(std::atoi(argv[2].c_str()) != 0);
      resp::AppendSimple(out, "OK");
    } else if (sub == "populate" && argc >= 3 && argc <= 5) {
      // DEBUG POPULATE count [prefix] [size]: "prefix:N" = "value:N"
      // (padded with zero bytes, or cut, to size), keys that exist kept.
      // Like Redis it ignores slot ownership and is not propagated.
      int64_t count = 0, size = 0;
      auto parse = [](const std::string& a, int64_t* v) {
        auto [p, ec] = std::from_chars(a.data(), a.data() + a.size(), *v);
        return ec == std::errc() && p == a.data() + a.size() && *v >= 0;
      };
      if (!parse(argv[2], &count) || (argc == 5 && !parse(argv[4], &size)) ||
          count > 100'000'000 || size > 512 * 1024 * 1024) {
        resp::AppendError(out, "ERR value is out of range, must be positive");
      } else {
        const std::string prefix = argc >= 4 ? argv[3] : "key";
        for (int64_t j = 0; j < count; ++j) {
          const std::string key = prefix + ":" + std::to_string(j);
          if (keyspace_.Contains(key)) continue;
          std::string value = "value:" + std::to_string(j);
          if (argc == 5) value.resize(static_cast<size_t>(size), '\0');
          keyspace_.SetString(key, std::move(value));
        }
        resp::AppendSimple(out, "OK");
      }
    } else if (sub == "sleep" && argc == 3) {
      // DEBUG SLEEP seconds (a fraction allowed): the thread blocks.
      char* end = nullptr;
      const double seconds = std::strtod(argv[2].c_str(), &end);
      if (end == argv[2].c_str() || *end != '\0' || !(seconds >= 0) || seconds > 3600) {
        resp::AppendError(out, "ERR value is not a valid float");
      } else {
        env_.Sleep(static_cast<int64_t>(seconds * 1e6));
        resp::AppendSimple(out, "OK");
      }
    } else if (sub == "drop-cluster-packet-filter" && argc == 3) {
      auto [p, ec] = std::from_chars(argv[2].data(), argv[2].data() + argv[2].size(), type);
      if (ec != std::errc() || p != argv[2].data() + argv[2].size()) {
        resp::AppendError(out, "ERR value is not an integer or out of range");
      } else {
        cluster_.set_drop_packet_filter(type);
        resp::AppendSimple(out, "OK");
      }
    } else {
      resp::AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                                 argv[1].substr(0, 128) + "'. Try DEBUG HELP.");
    }
  } else if (name == "client") {
    return ClientCommand(c, argv, out);
  } else if (name.find("subscribe") != std::string_view::npos || name == "publish" ||
             name == "spublish" || name == "pubsub") {
    PubSubCommand(c, argv, out);
  } else if (name == "role") {
    repl_.AppendRoleReply(cluster_.myself().IsPrimary(), out);
  } else if (name == "echo") {
    resp::AppendBulk(out, argv[1]);
  } else if (name == "dbsize") {
    // Keys not deleted yet, expired or not, as dbsizeCommand counts.
    resp::AppendInteger(out, keyspace_.size());
  } else if (name == "save") {
    if (SaveDump()) resp::AppendSimple(out, "OK");
    else resp::AppendError(out, "ERR");
  } else if (name == "info") {
    resp::AppendBulk(out, InfoReply(argc > 1 ? Lower(argv[1]) : "default"));
  } else if (name == "readonly") {
    c.readonly = true;
    resp::AppendSimple(out, "OK");
  } else if (name == "readwrite") {
    c.readonly = false;
    resp::AppendSimple(out, "OK");
  } else if (name == "asking") {
    c.asking = true;
    resp::AppendSimple(out, "OK");
  } else if (name == "select") {
    // Cluster mode has database 0 only (selectCommand).
    int64_t id = 0;
    auto [p, ec] = std::from_chars(argv[1].data(), argv[1].data() + argv[1].size(), id);
    if (ec != std::errc() || p != argv[1].data() + argv[1].size())
      resp::AppendError(out, "ERR invalid DB index");
    else if (id != 0)
      resp::AppendError(out, "ERR SELECT is not allowed in cluster mode");
    else
      resp::AppendSimple(out, "OK");
  } else if (name == "migrate") {
    const ConnId conn = c.conn;
    if (!migrator_.Start(argv, out, [this, conn](const std::string& reply) {
          auto it = clients_.find(conn);
          if (it != clients_.end()) ResumeClient(*it->second, reply);
          cluster_.AfterEvent();
        })) {
      c.blocked = true;
    }
  } else if (name == "psync" || name == "replconf" || name == "wait") {
    return ReplicationCommand(c, argv, out);
  } else if (name == "quit") {
    resp::AppendSimple(out, "OK");
    return false;
  } else if (name == "shutdown") {
    // SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] (shutdownCommand). NOW and FORCE
    // change nothing here: no replica lag is waited for, and a failed save
    // already stops the node. On success the connection closes unanswered.
    std::optional<bool> save;
    for (int j = 1; j < argc; ++j) {
      const std::string a = Lower(argv[j]);
      if (a == "nosave" && !save) save = false;
      else if (a == "save" && !save) save = true;
      else if (a != "now" && a != "force") {
        resp::AppendError(out, "ERR syntax error");
        return true;
      }
    }
    if (!shutdown_handler_) {
      resp::AppendError(out, "ERR SHUTDOWN is not available in simulation: the scenario stops nodes");
      return true;
    }
    shutdown_handler_(save);
    return false;
  } else {
    SLOTSIM_CHECK_MSG(false, "command in table without a handler");
  }
  return true;
}

void Server::PubSubCommand(Client& c, const std::vector<std::string>& argv, std::string* out) {
  const std::string name = Lower(argv[0]);
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  using Kind = PubSub::Kind;
  if (name == "publish" || name == "spublish") {
    const bool sharded = name == "spublish";
    // Delivered here, then over the bus; never through the replication
    // stream in cluster mode (publishCommand).
    const int64_t receivers = pubsub_.Publish(argv[1], argv[2], sharded);
    cluster_.PropagatePublish(argv[1], argv[2], sharded);
    resp::AppendInteger(out, receivers);
  } else if (name == "pubsub") {
    pubsub_.PubsubCommand(argv, out);
  } else {
    const Kind kind = name.find("ssub") != std::string::npos || name.find("sunsub") != std::string::npos
                          ? Kind::kShard
                      : name[0] == 'p' ? Kind::kPattern
                                       : Kind::kChannel;
    if (name.find("unsubscribe") != std::string::npos)
      pubsub_.Unsubscribe(c.conn, kind, rest, out);
    else
      pubsub_.Subscribe(c.conn, kind, rest, out);
  }
}

bool Server::ClientCommand(Client& c, const std::vector<std::string>& argv, std::string* out) {
  const std::string sub = Lower(argv[1]);
  const size_t argc = argv.size();
  if (sub == "id" && argc == 2) {
    resp::AppendInteger(out, static_cast<int64_t>(c.id));
  } else if (sub == "getname" && argc == 2) {
    if (c.name.empty()) resp::AppendNullBulk(out);
    else resp::AppendBulk(out, c.name);
  } else if (sub == "setname" && argc == 3) {
    if (argv[2].find_first_of(" \n") != std::string::npos) {
      resp::AppendError(out, "ERR Client names cannot contain spaces, newlines or special characters.");
    } else {
      c.name = argv[2];
      resp::AppendSimple(out, "OK");
    }
  } else if (sub == "list" && argc == 2) {
    std::string list;
    for (const auto& [conn, cl] : clients_)
      list += "id=" + std::to_string(cl->id) + " addr=" + cl->peer_host + " name=" + cl->name +
              " flags=" + (cl->is_replica ? "S" : cl->multi ? "x" : "N") + " db=0 multi=" +
              (cl->multi ? std::to_string(cl->multi_queue.size()) : "-1") + "\n";
    resp::AppendBulk(out, list);
  } else if (sub == "pause" && (argc == 3 || argc == 4)) {
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(argv[2].data(), argv[2].data() + argv[2].size(), ms);
    const std::string mode = argc == 4 ? Lower(argv[3]) : "all";
    if (ec != std::errc() || p != argv[2].data() + argv[2].size() || ms < 0 ||
        ms > kClientPauseMsMax) {
      resp::AppendError(out, "ERR timeout is not an integer or out of range");
    } else if (mode != "all" && mode != "write") {
      resp::AppendError(out, "ERR syntax error");
    } else {
      // A later pause extends an earlier one and never narrows it to WRITE.
      const int64_t until = env_.NowMs() + ms;
      if (until > client_pause_until_ms_) {
        if (client_pause_timer_ != kNoTimer) env_.CancelTimer(client_pause_timer_);
        client_pause_until_ms_ = until;
        client_pause_timer_ = env_.AddTimer(ms, "clientUnpause", [this] {
          client_pause_timer_ = kNoTimer;
          EndClientPause();
          cluster_.AfterEvent();
        });
      }
      client_pause_all_ = client_pause_all_ || mode == "all";
      resp::AppendSimple(out, "OK");
    }
  } else if (sub == "unpause" && argc == 2) {
    if (client_pause_timer_ != kNoTimer) env_.CancelTimer(client_pause_timer_);
    client_pause_timer_ = kNoTimer;
    EndClientPause();
    resp::AppendSimple(out, "OK");
  } else if (sub == "kill" && argc == 3) {
    // The old form, CLIENT KILL ip:port. A replica's master client has its
    // primary's address; other clients are known by host only here.
    if (argv[2] == repl_.primary_addr() && repl_.KillPrimaryLink()) resp::AppendSimple(out, "OK");
    else resp::AppendError(out, "ERR No such client");
  } else if (sub == "kill" && argc >= 4 && argc % 2 == 0) {
    std::optional<uint64_t> id;
    std::string type, addr;
    bool skipme = true;
    for (size_t j = 2; j + 1 < argc; j += 2) {
      const std::string f = Lower(argv[j]);
      const std::string& v = argv[j + 1];
      if (f == "id") {
        uint64_t n = 0;
        auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc() || p != v.data() + v.size()) {
          resp::AppendError(out, "ERR client-id should be greater than 0");
          return true;
        }
        id = n;
      } else if (f == "type") {
        type = Lower(v);
        if (type == "slave") type = "replica";
        if (type != "normal" && type != "master" && type != "replica" && type != "pubsub") {
          resp::AppendError(out, "ERR Unknown client type '" + v + "'");
          return true;
        }
      } else if (f == "addr") {
        addr = v;
      } else if (f == "skipme") {
        const std::string y = Lower(v);
        if (y != "yes" && y != "no") {
          resp::AppendError(out, "ERR syntax error");
          return true;
        }
        skipme = y == "yes";
      } else {
        resp::AppendError(out, "ERR syntax error");
        return true;
      }
    }
    int64_t killed = 0;
    // The master client: a type or address filter naming it (no id here).
    if (!id && (type.empty() || type == "master") && (addr.empty() || addr == repl_.primary_addr()) &&
        (!type.empty() || !addr.empty()) && repl_.KillPrimaryLink())
      killed++;
    bool close_me = false;
    std::vector<ConnId> victims;
    if (type != "master" && addr.empty()) {
      for (const auto& [conn, cl] : clients_) {
        if (id && cl->id != *id) continue;
        if (type == "replica" && !cl->is_replica) continue;
        if (type == "normal" && cl->is_replica) continue;
        if (type == "pubsub") continue;  // no pub/sub clients yet
        if (cl.get() == &c) {
          if (!skipme) close_me = true, killed++;
          continue;
        }
        victims.push_back(conn);
      }
    }
    for (ConnId v : victims) FreeClient(v, /*close=*/true);
    killed += static_cast<int64_t>(victims.size());
    resp::AppendInteger(out, killed);
    return !close_me;
  } else {
    resp::AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                               argv[1].substr(0, 128) + "'. Try CLIENT HELP.");
  }
  return true;
}

std::string Server::LoadingInfo() const {
  if (!repl_.loading()) return "loading:0\r\nasync_loading:0\r\n";
  // What rdbLoad's progress reports, from the load's own timetable.
  const Replication::LoadingProgress& p = repl_.loading_progress();
  const int64_t now = env_.NowMs();
  const int64_t span = std::max<int64_t>(1, p.end_ms - p.start_ms);
  const int64_t loaded = p.total_bytes * std::min(span, now - p.start_ms) / span;
  char perc[32];
  std::snprintf(perc, sizeof(perc), "%.2f%%",
                p.total_bytes ? 100.0 * static_cast<double>(loaded) / p.total_bytes : 0.0);
  return "loading:1\r\nasync_loading:0\r\nloading_start_time:" +
         std::to_string(p.start_ms / 1000) + "\r\nloading_total_bytes:" +
         std::to_string(p.total_bytes) + "\r\nloading_loaded_bytes:" + std::to_string(loaded) +
         "\r\nloading_loaded_perc:" + perc + "\r\nloading_eta_seconds:" +
         std::to_string(std::max<int64_t>(0, p.end_ms - now) / 1000) + "\r\n";
}

std::string Server::InfoReply(const std::string& section) const {
  const bool all = section == "default" || section == "all" ||
                   section == "everything";
  std::string s;
  auto want = [&](const char* name) { return all || section == name; };
  if (want("server")) {
    // The version whose behaviour the engine follows.
    s += "# Server\r\nredis_version:7.0.15\r\nslotsim_version:0.1.0\r\n"
         "redis_mode:cluster\r\ntcp_port:" + std::to_string(config_.port) +
         "\r\n\r\n";
  }
  if (want("clients")) {
    s += "# Clients\r\nconnected_clients:" + std::to_string(clients_.size()) +
         "\r\n\r\n";
  }
  if (want("persistence")) {
    // What tools and Redis's tests read; slotsim saves (SAVE) and
    // rewrites its AOF synchronously: never scheduled, never in progress.
    s += "# Persistence\r\n" + LoadingInfo() + "aof_enabled:" + (config_.appendonly ? "1" : "0") +
         "\r\naof_rewrite_in_progress:0\r\naof_rewrite_scheduled:0\r\nrdb_bgsave_in_progress:0" +
         // genRedisInfoString: err while the log is in write or fsync error.
         "\r\naof_last_write_status:" + (aof_.write_error() == IoStatus::kOk ? "ok" : "err") +
         "\r\n\r\n";
  }
  if (want("stats")) {
    s += "# Stats\r\ntotal_commands_processed:" +
         std::to_string(commands_processed_) +
         "\r\nprotocol_errors:" + std::to_string(protocol_errors_) +
         "\r\ntotal_error_replies:" + std::to_string(command_stats_.total_error_replies()) +
         "\r\npubsub_channels:" + std::to_string(pubsub_.channel_count()) +
         "\r\npubsub_patterns:" + std::to_string(pubsub_.pattern_count()) +
         "\r\npubsubshard_channels:" + std::to_string(pubsub_.shard_channel_count()) +
         "\r\ndump_payload_sanitizations:0\r\n\r\n";
  }
  if (want("replication")) {
    s += "# Replication\r\n" + repl_.InfoSection(cluster_.myself().IsPrimary()) + "\r\n";
  }
  if (want("memory")) {
    // Only what the engine accounts per node (engine/memory.h), per kind;
    // the keyspace itself is not counted.
    s += "# Memory\r\nslotsim_accounted_bytes:" + std::to_string(memory_.total_bytes()) +
         "\r\nslotsim_transient_bytes:" + std::to_string(memory_.transient_bytes()) +
         "\r\nslotsim_transient_peak_bytes:" + std::to_string(memory_.peak_transient_bytes()) +
         "\r\nslotsim_transient_allocations:" + std::to_string(memory_.allocations()) + "\r\n";
    for (size_t k = 1; k < kMemoryKinds; ++k) {
      const auto& st = memory_.stats(static_cast<MemoryKind>(k));
      const std::string name(MemoryKindName(static_cast<MemoryKind>(k)));
      s += "slotsim_" + name + "_bytes:" + std::to_string(st.bytes) + "\r\nslotsim_" + name +
           "_holders:" + std::to_string(st.holders) + "\r\n";
    }
    s += "\r\n";
  }
  // commandstats only when asked for by name, or with all/everything.
  if (section == "commandstats" || section == "all" || section == "everything")
    s += "# Commandstats\r\n" + command_stats_.CommandstatsSection() + "\r\n";
  if (want("errorstats")) s += "# Errorstats\r\n" + command_stats_.ErrorstatsSection() + "\r\n";
  if (want("cluster")) s += "# Cluster\r\ncluster_enabled:1\r\n\r\n";
  if (want("keyspace")) {
    s += "# Keyspace\r\n";
    if (keyspace_.size() > 0)
      s += "db0:keys=" + std::to_string(keyspace_.size()) +
           ",expires=" + std::to_string(keyspace_.expires()) +
           ",avg_ttl=" + std::to_string(active_expire_.avg_ttl_ms()) + "\r\n";
  }
  return s;
}

}  // namespace slotsim

namespace slotsim {

bool Server::ReplicationCommand(Client& c, const std::vector<std::string>& argv,
                                std::string* out) {
  const std::string name = Lower(argv[0]);
  auto parse_ll = [](const std::string& s, int64_t* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return ec == std::errc() && p == s.data() + s.size();
  };
  if (name == "replconf") {
    // REPLCONF <option> <value> ... ; ACK has no reply (replconfCommand).
    if (argv.size() % 2 == 0) {
      resp::AppendError(out, "ERR syntax error");
      return true;
    }
    for (size_t j = 1; j + 1 < argv.size(); j += 2) {
      const std::string opt = Lower(argv[j]);
      int64_t v = 0;
      if (opt == "ack") {
        if (parse_ll(argv[j + 1], &v)) repl_.OnReplicaAck(c.conn, v);
        return true;
      }
      if (opt == "listening-port") {
        if (!parse_ll(argv[j + 1], &v) || v <= 0 || v > 65535) {
          resp::AppendError(out, "ERR value is not an integer or out of range");
          return true;
        }
        c.listening_port = static_cast<uint16_t>(v);
      } else if (opt == "getack") {
        return true;  // only meaningful on a replica's link
      } else if (opt != "capa" && opt != "ip-address") {
        resp::AppendError(out, "ERR Unrecognized REPLCONF option: " + argv[j]);
        return true;
      }
    }
    resp::AppendSimple(out, "OK");
    return true;
  }
  if (name == "psync") {
    int64_t offset;
    if (argv.size() != 3 || !parse_ll(argv[2], &offset)) {
      resp::AppendError(out, "ERR syntax error");
      return true;
    }
    if (!cluster_.myself().IsPrimary()) {
      resp::AppendError(out, "NOMASTERLINK replicas do not chain in slotsim");
      return true;
    }
    if (c.is_replica) return true;  // a second PSYNC on one link: ignore
    // The stream goes out directly, so a reply still owed on this link
    // would follow it (syncCommand refuses the same way).
    if (!out->empty()) {
      resp::AppendError(out, "ERR SYNC and PSYNC are invalid with pending output");
      return true;
    }
    c.is_replica = true;
    // The replication stream goes out directly: what this link was owed
    // before must leave first.
    if (!held_replies_.empty()) FlushAofAndReplies();
    repl_.HandlePsync(c.conn, c.peer_host, c.listening_port, argv[1], offset);
    return true;
  }
  // WAIT numreplicas timeout (waitCommand).
  if (!cluster_.myself().IsPrimary()) {
    // waitCommand's text, whole.
    resp::AppendError(out, "ERR WAIT cannot be used with replica instances. Please also note "
                           "that since Redis 4.0 if a replica is configured to be writable "
                           "(which is not the default) writes to replicas are just local and "
                           "are not propagated.");
    return true;
  }
  int64_t numreplicas, timeout;
  if (!parse_ll(argv[1], &numreplicas) || !parse_ll(argv[2], &timeout)) {
    resp::AppendError(out, "ERR value is not an integer or out of range");
    return true;
  }
  if (timeout < 0) {
    resp::AppendError(out, "ERR timeout is negative");
    return true;
  }
  const int acked = repl_.CountReplicasAcked(c.woff);
  if (acked >= numreplicas) {
    resp::AppendInteger(out, acked);
    return true;
  }
  c.blocked = true;
  c.waiting = true;
  c.wait_replicas = static_cast<int>(std::min<int64_t>(numreplicas, 1 << 20));
  c.wait_offset = c.woff;
  c.wait_timeout_ms = timeout;
  if (timeout > 0) {
    const ConnId conn = c.conn;
    c.wait_timer = env_.AddTimer(timeout, "waitTimeout", [this, conn] {
      auto it = clients_.find(conn);
      if (it == clients_.end()) return;
      it->second->wait_timer = kNoTimer;
      UnblockWait(*it->second);
      cluster_.AfterEvent();
    });
  }
  repl_.RequestAcks();
  return true;
}

void Server::UnblockWait(Client& c) {
  if (!c.waiting) return;
  c.waiting = false;
  if (c.wait_timer != kNoTimer) {
    env_.CancelTimer(c.wait_timer);
    c.wait_timer = kNoTimer;
  }
  std::string out;
  resp::AppendInteger(&out, repl_.CountReplicasAcked(c.wait_offset));
  ResumeClient(c, out);
}

void Server::ResumeClient(Client& c, const std::string& out) {
  c.blocked = false;
  if (!out.empty()) Reply(c.conn, out);
  ProcessInput(c);  // input that arrived while blocked
}

void Server::Reply(ConnId conn, const std::string& out) {
  meter_.Io(out.size());
  if (aof_.sync_pending() || !held_replies_.empty()) {
    SLOTSIM_CHECK_MSG(held_replies_.size() < kHeldRepliesMax, "held replies limit");
    held_replies_.emplace_back(conn, out);
    held_replies_charge_.Set(static_cast<size_t>(held_replies_charge_.bytes()) + out.size());
    AfterAofAppend();
    return;
  }
  env_.Send(conn, out, "Reply");
}

void Server::AfterAofAppend() {
  if (aof_flush_scheduled_ || !aof_.sync_pending()) return;
  aof_flush_scheduled_ = true;
  env_.AddTimer(0, "beforeSleep", [this] {
    aof_flush_scheduled_ = false;
    FlushAofAndReplies();
    cluster_.AfterEvent();
  });
}

void Server::FlushAofAndReplies() {
  aof_.Flush();
  std::vector<std::pair<ConnId, std::string>> held;
  held.swap(held_replies_);
  held_replies_charge_.Set(0);
  // Replies to connections closed meanwhile are dropped, as their client
  // buffers would be.
  for (auto& [conn, out] : held)
    if (clients_.count(conn) != 0) env_.Send(conn, out, "Reply");
}

void Server::PauseWrites(int64_t until_ms) {
  writes_paused_until_ms_ = until_ms;
  if (unpause_timer_ != kNoTimer) env_.CancelTimer(unpause_timer_);
  unpause_timer_ = env_.AddTimer(std::max<int64_t>(0, until_ms - env_.NowMs()), "unpauseWrites",
                                 [this] {
                                   unpause_timer_ = kNoTimer;
                                   UnpauseWrites();
                                   cluster_.AfterEvent();
                                 });
}

void Server::UnpauseWrites() {
  if (writes_paused_until_ms_ == 0) return;
  writes_paused_until_ms_ = 0;
  if (unpause_timer_ != kNoTimer) {
    env_.CancelTimer(unpause_timer_);
    unpause_timer_ = kNoTimer;
  }
  RerunPostponed();
}

void Server::ExecuteImported(Client& c, const CommandSpec& cmd,
                             const std::vector<std::string>& argv, std::string* out) {
  auto keys = CommandKeys(cmd, argv);
  if (!migrations_.AcceptImportCommand(c.conn, keys, out)) return;
  size_t bytes = 0;
  for (const auto& a : argv) bytes += a.size();
  // A chunk is a RESTORE of a whole value or an HSET of some fields.
  const size_t elements = (cmd.flags & kCmdLoad) && argv.size() > 3
                              ? DumpPayloadElements(argv[3])
                              : (argv.size() - 2) / 2;
  migrations_.CountImported(c.conn, bytes, elements);
  const uint64_t dirty_before = keyspace_.dirty();
  Keyspace::CommandScope scope(keyspace_, env_.NowMs(), ClientExpireMode());
  cmd.proc(keyspace_, argv, out);
  std::vector<std::string> rewritten = keyspace_.TakePropagateAs();
  if (keyspace_.dirty() != dirty_before)  // to my replicas
    Propagate(rewritten.empty() ? argv : rewritten);
}

void Server::EndClientPause() {
  if (client_pause_until_ms_ == 0) return;
  client_pause_until_ms_ = 0;
  client_pause_all_ = false;
  // Not from inside the CLIENT UNPAUSE that ended it: a rerun command
  // (a CLIENT KILL in an EXEC) could free the client still on the stack.
  env_.AddTimer(0, "clientsUnpaused", [this] {
    RerunPostponed();
    cluster_.AfterEvent();
  });
}

void Server::RerunPostponed() {
  std::vector<ConnId> postponed;
  for (const auto& [conn, c] : clients_)
    if (!c->postponed.empty()) postponed.push_back(conn);
  for (ConnId conn : postponed) {
    auto it = clients_.find(conn);
    if (it == clients_.end()) continue;
    Client& c = *it->second;
    std::vector<std::string> argv = std::move(c.postponed);
    c.postponed.clear();
    c.blocked = false;
    std::string out;
    const bool keep = ExecuteCommand(c, argv, &out);  // may MOVED now
    if (!keep) {
      Reply(conn, out);
      FreeClient(conn, /*close=*/true);
      continue;
    }
    if (c.blocked) {  // it blocked again (another pause, or WAIT)
      if (!out.empty()) Reply(conn, out);
      continue;
    }
    ResumeClient(c, out);
  }
}

std::vector<std::pair<ConnId, std::string>> Server::HeldConnections() const {
  std::vector<std::pair<ConnId, std::string>> out;
  for (const auto& [conn, c] : clients_)
    out.emplace_back(conn, "client from " + c->peer_host +
                               (c->is_replica ? " (a replica's link)" : std::string()));
  cluster_.AppendHeldConnections(&out);
  repl_.AppendHeldConnections(&out);
  migrator_.AppendHeldConnections(&out);
  migrations_.AppendHeldConnections(&out);
  return out;
}

std::vector<std::string> Server::StrandedClients() const {
  std::vector<std::string> out;
  bool migrating = migrator_.in_flight();
  for (const auto& [name, job] : migrations_.jobs()) migrating |= !job.Finished();
  for (const auto& [conn, c] : clients_) {
    if (!c->blocked) continue;
    const std::string who = "client " + std::to_string(conn) + " from " + c->peer_host;
    if (c->waiting) {
      if (c->wait_timeout_ms > 0 && c->wait_timer == kNoTimer)
        out.push_back(who + ": WAIT " + std::to_string(c->wait_timeout_ms) + " with no timer");
    } else if (!c->postponed.empty()) {
      bool paused = writes_paused_until_ms_ != 0;
      // A CLUSTER command waits out an atomic hand-off's frozen epoch.
      if (Lower(c->postponed[0]) == "cluster")
        paused = migrations_.HandoffInFlight(SlotMigrationJob::Role::kExport);
      else if (!paused && c->postponed.size() >= 2) {
        const CommandSpec* cmd = LookupCommand(c->postponed[0]);
        if (cmd != nullptr)
          for (const auto& k : CommandKeys(*cmd, c->postponed))
            paused |= migrations_.WritePaused(KeyHashSlot(k));
      }
      if (!paused) out.push_back(who + ": a postponed " + c->postponed[0] + " with no pause in force");
    } else if (!migrating) {
      out.push_back(who + ": blocked with no MIGRATE or slot migration in flight");
    }
  }
  return out;
}

void Server::CheckWaitingClients() {
  std::vector<ConnId> ready;
  for (const auto& [conn, c] : clients_)
    if (c->waiting &&
        repl_.CountReplicasAcked(c->wait_offset) >= c->wait_replicas)
      ready.push_back(conn);
  for (ConnId conn : ready)
    if (auto it = clients_.find(conn); it != clients_.end()) UnblockWait(*it->second);
}

}  // namespace slotsim
