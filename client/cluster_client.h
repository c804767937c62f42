// A cluster-aware Redis client for simulated actors (fibers). Like
// redis-py's RedisCluster or Jedis: it loads the slot map with CLUSTER
// SLOTS, sends each command to the slot's owner, follows MOVED (updating
// its map) and ASK (with ASKING), and retries TRYAGAIN, CLUSTERDOWN and
// transport errors with bounded exponential backoff.
//
// All calls that wait must be made from a fiber of the Simulation.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "client/history.h"
#include "engine/env.h"
#include "engine/resp.h"
#include "sim/simulation.h"

namespace slotsim {

struct ClientOptions {
  // Nodes to ask for the slot map, "host:port".
  std::vector<std::string> seeds;
  int64_t request_timeout_ms = 1000;
  int redirects_max = 16;       // redis-py's default
  int retries_max = 8;          // TRYAGAIN / CLUSTERDOWN / transport
  int64_t backoff_base_ms = 20;
  int64_t backoff_max_ms = 1000;
};

class ClusterClient : public NetHandler {
 public:
  // `machine` is the client's own simulated host; `id` names it in traces.
  ClusterClient(Simulation& sim, int machine, int id, ClientOptions options,
                OpHistory* history);
  ~ClusterClient() override;
  ClusterClient(const ClusterClient&) = delete;
  ClusterClient& operator=(const ClusterClient&) = delete;

  // Runs a keyed command with routing and retries, records it in the
  // history and the trace, and returns the final reply. Transport failures
  // that exhaust the retries come back as an error value "CLIENT ...".
  RespValue Execute(const std::vector<std::string>& argv,
                    const std::string& key);
  // Sends one command to one node, no routing, no retries, no history
  // (admin traffic).
  RespValue ExecuteOn(const std::string& addr,
                      const std::vector<std::string>& argv);
  // Reloads the slot map from the first seed or known node that answers.
  bool RefreshSlotMap();
  // The history id of the last operation Execute recorded, or -1.
  int64_t last_op_id() const { return last_op_id_; }
  // The node currently believed to own `slot`, or "".
  const std::string& SlotOwner(int slot) const;

  // NetHandler: called by the simulator's event loop.
  void OnAccept(uint16_t, ConnId, const std::string&) override {}
  void OnConnected(ConnId) override {}
  void OnData(ConnId conn, std::string_view bytes) override;
  void OnClosed(ConnId conn, std::string_view reason) override;

 private:
  // Records `what` as the operation's first failed attempt, once.
  void NoteFirstFailure(OpRecord* rec, const std::string& what);
  struct Pending {
    explicit Pending(Simulation& sim) : done(sim) {}
    SimSignal done;
    std::optional<RespValue> reply;
    std::string transport_error;  // set when no reply will come
  };
  struct Conn {
    ConnId id = kNoConn;
    std::string addr;
    ReplyParser parser;
    std::deque<std::shared_ptr<Pending>> pending;
  };

  // Sends the commands pipelined to addr and waits for every reply. On a
  // transport failure returns false and sets *error.
  bool RoundTrip(const std::string& addr,
                 const std::vector<std::vector<std::string>>& cmds,
                 std::vector<RespValue>* replies, std::string* error);
  Conn* GetConn(const std::string& addr);
  void FailConn(ConnId id, const std::string& reason, bool close);
  void Backoff(int attempt);
  bool ApplySlotsReply(const RespValue& v);

  Simulation& sim_;
  Env& env_;
  const int machine_;
  const int id_;
  ClientOptions options_;
  OpHistory* history_;
  Prng prng_;
  std::map<ConnId, std::unique_ptr<Conn>> conns_;
  std::map<std::string, ConnId> conn_by_addr_;
  std::vector<std::string> addrs_;      // node table, index = slot map value
  std::vector<int16_t> slot_owner_;     // -1 = unknown
  bool refresh_needed_ = true;
  int64_t last_op_id_ = -1;
};

// "host:port" -> (host, port); false if malformed.
bool SplitHostPort(const std::string& addr, std::string* host, uint16_t* port);

}  // namespace slotsim
