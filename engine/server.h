// One engine node (Redis's `server`): accepts client connections speaking
// RESP2 and bus connections speaking the cluster protocol, executes
// commands against the keyspace, and runs the cluster.
//
// The same class runs under SimEnv and under a real Env; it never touches
// the OS except through its Env.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cluster.h"
#include "engine/config.h"
#include "engine/env.h"
#include "engine/keyspace.h"
#include "engine/resp.h"

namespace slotsim {

class Server : public NetHandler {
 public:
  Server(Env& env, EngineConfig config);
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Installs itself as the Env's net handler, listens on the client and
  // bus ports and starts the cluster. Returns false (and does nothing else)
  // if a port is taken.
  bool Start();

  // NetHandler.
  void OnAccept(uint16_t local_port, ConnId conn,
                const std::string& peer_host) override;
  void OnConnected(ConnId conn) override;
  void OnData(ConnId conn, std::string_view bytes) override;
  void OnClosed(ConnId conn, std::string_view reason) override;

  // Ground truth for the simulator, checkers and tests.
  const Cluster& cluster() const { return cluster_; }
  const Keyspace& keyspace() const { return keyspace_; }
  const EngineConfig& config() const { return config_; }
  size_t connected_clients() const { return clients_.size(); }
  int64_t protocol_errors() const { return protocol_errors_; }

 private:
  struct Client {
    ConnId conn = kNoConn;
    RequestParser parser;
    bool readonly = false;  // READONLY: may read from a replica
    bool asking = false;    // ASKING: next command may hit an importing slot
    explicit Client(const RespLimits& limits) : parser(limits) {}
  };

  void ProcessInput(Client& c);
  // processCommand: lookup, arity, cluster redirection, execution.
  // Returns false if the connection must be closed after the reply.
  bool ExecuteCommand(Client& c, const std::vector<std::string>& argv,
                      std::string* out);
  std::string InfoReply(const std::string& section) const;

  Env& env_;
  const EngineConfig config_;
  Keyspace keyspace_;
  Cluster cluster_;
  std::map<ConnId, std::unique_ptr<Client>> clients_;
  int64_t protocol_errors_ = 0;
  int64_t commands_processed_ = 0;
};

}  // namespace slotsim
