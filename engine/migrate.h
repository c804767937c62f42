// MIGRATE (cluster.c migrateCommand): moves keys to another node by
// sending RESTORE-ASKING over a cached connection and deleting each key
// once the target answered +OK.
//
// Redis does this with blocking socket calls, so the whole node stops
// while the target receives and loads the keys; that stall is the
// latency spike native migration is known for. Here the node's event loop
// blocks on the target connection (Env::BeginBlockingRead) for the same
// effect, in simulation and in real mode alike.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/config.h"
#include "engine/cost_model.h"
#include "engine/env.h"
#include "engine/keyspace.h"
#include "engine/memory.h"
#include "engine/resp.h"

namespace slotsim {

// The keys a MIGRATE command moves (migrateGetKeys): argv[3], or with an
// empty argv[3] everything after KEYS.
std::vector<std::string_view> MigrateKeys(const std::vector<std::string>& argv);

class Migrator {
 public:
  // `propagate` receives the DEL of the moved keys (for AOF and replicas).
  // A MIGRATE's key lists and the cached sockets are charged to `memory`.
  Migrator(Env& env, const EngineConfig& config, Keyspace& keyspace, CpuMeter& meter,
           MemoryAccount& memory,
           std::function<void(const std::vector<std::string>&)> propagate);

  // Runs MIGRATE host port key|"" db timeout [COPY] [REPLACE] [KEYS k...].
  // Either answers at once into *out and returns true (a syntax error,
  // NOKEY), or returns false and calls `done` with the reply exactly once
  // later, after blocking the event loop on the target.
  bool Start(const std::vector<std::string>& argv, std::string* out,
             std::function<void(const std::string& reply)> done);
  bool busy() const { return op_.has_value(); }

  // Connection events of the cached sockets (Server forwards by ConnId).
  bool IsLink(ConnId conn) const { return by_conn_.count(conn) != 0; }
  void OnConnected(ConnId conn);
  void OnData(ConnId conn, std::string_view bytes);
  void OnClosed(ConnId conn);
  // migrateCloseTimedoutSockets, from the server cron.
  void Cron();
  // Cached sockets idle for longer than `older_than_ms` and not in use:
  // the cron should have closed them (a resource check). Address, idle ms.
  std::vector<std::pair<std::string, int64_t>> IdleSockets(int64_t older_than_ms) const;
  // A MIGRATE is waiting for its target's replies.
  bool in_flight() const { return op_.has_value(); }
  // The connections this side keeps state for: the cached sockets.
  void AppendHeldConnections(std::vector<std::pair<ConnId, std::string>>* out) const;

 private:
  struct CachedSocket {
    ConnId conn = kNoConn;
    int64_t last_use_ms = 0;
    int64_t last_dbid = -1;
    ReplyParser parser;
    MemoryAccount::Charge charge;  // the entry (kMigrateSocket)
  };
  struct Op {
    std::string addr;                  // "host:port" key of the socket
    std::vector<std::string> keys;     // keys sent, in order
    bool copy = false;
    bool select_sent = false;
    int64_t dbid = 0;
    size_t replies = 0;                // RESTORE replies read so far
    std::vector<std::string> moved;    // keys the target accepted
    std::string target_error;          // first error from the target
    std::function<void(const std::string&)> done;
    MemoryAccount::Charge charge;      // keys and moved (kMigrateKeys)
    void Recharge() {
      size_t bytes = 0;
      for (const auto* list : {&keys, &moved})
        for (const auto& k : *list) bytes += sizeof(std::string) + k.size();
      charge.Set(bytes);
    }
  };
  void Finish(std::string reply);
  void CloseSocket(const std::string& addr);

  Env& env_;
  const EngineConfig& config_;
  Keyspace& keyspace_;
  CpuMeter& meter_;
  MemoryAccount& memory_;
  std::function<void(const std::vector<std::string>&)> propagate_;
  std::map<std::string, CachedSocket> sockets_;  // by "host:port"
  std::map<ConnId, std::string> by_conn_;
  std::optional<Op> op_;  // at most one: the event loop is blocked on it
};

}  // namespace slotsim
