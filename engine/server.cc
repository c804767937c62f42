#include "engine/server.h"

#include <algorithm>
#include <cctype>

#include "engine/check.h"
#include "engine/commands.h"

namespace slotsim {
namespace {

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "unknown command 'x', with args beginning with: 'a' 'b' " as Redis 7
// formats it (processCommand).
std::string UnknownCommandError(const std::vector<std::string>& argv) {
  std::string args;
  for (size_t i = 1; i < argv.size() && args.size() < 128; ++i)
    args += "'" + argv[i].substr(0, 128 - args.size()) + "' ";
  return "ERR unknown command '" + argv[0].substr(0, 128) +
         "', with args beginning with: " + args;
}

}  // namespace

Server::Server(Env& env, EngineConfig config)
    : env_(env), config_(std::move(config)), cluster_(env_, config_, keyspace_) {}

bool Server::Start() {
  env_.SetNetHandler(this);
  if (!env_.Listen(config_.port)) return false;
  if (!env_.Listen(config_.bus_port())) {
    env_.Unlisten(config_.port);
    return false;
  }
  cluster_.Start();
  return true;
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
    auto c = std::make_unique<Client>(config_.resp_limits);
    c->conn = conn;
    clients_.emplace(conn, std::move(c));
  }
  cluster_.AfterEvent();
}

void Server::OnConnected(ConnId conn) {
  if (cluster_.IsBusLink(conn)) cluster_.OnBusConnected(conn);
  cluster_.AfterEvent();
}

void Server::OnData(ConnId conn, std::string_view bytes) {
  if (cluster_.IsBusLink(conn)) {
    cluster_.OnBusData(conn, bytes);
  } else if (auto it = clients_.find(conn); it != clients_.end()) {
    Client& c = *it->second;
    c.parser.Feed(bytes);
    ProcessInput(c);
  }
  cluster_.AfterEvent();
}

void Server::OnClosed(ConnId conn, std::string_view reason) {
  if (cluster_.IsBusLink(conn)) cluster_.OnBusClosed(conn);
  clients_.erase(conn);
  cluster_.AfterEvent();
}

void Server::ProcessInput(Client& c) {
  const ConnId conn = c.conn;
  std::string out;
  std::vector<std::string> argv;
  bool close = false;
  // Each iteration consumes at least one request from finite input.
  while (!close) {
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
  if (!out.empty()) env_.Send(conn, out, "Reply");
  if (close) {
    env_.Close(conn);
    clients_.erase(conn);  // invalidates c
  }
}

bool Server::ExecuteCommand(Client& c, const std::vector<std::string>& argv,
                            std::string* out) {
  SLOTSIM_CHECK(!argv.empty());
  commands_processed_++;
  const CommandSpec* cmd = LookupCommand(argv[0]);
  if (cmd == nullptr) {
    resp::AppendError(out, UnknownCommandError(argv));
    return true;
  }
  const int argc = static_cast<int>(argv.size());
  if ((cmd->arity > 0 && argc != cmd->arity) || argc < -cmd->arity) {
    resp::AppendError(out, std::string("ERR wrong number of arguments for '") +
                               cmd->name + "' command");
    return true;
  }
  // ASKING lasts for exactly one command.
  const bool asking = c.asking;
  c.asking = false;
  (void)asking;  // consulted by migration routing (native migration issue)

  auto keys = CommandKeys(*cmd, argv);
  if (!keys.empty()) {
    int slot = -1;
    Redirect r = cluster_.Route(keys, cmd->flags & kCmdWrite, c.readonly, &slot);
    if (r != Redirect::kNone) {
      cluster_.AppendRedirectError(r, slot, out);
      return true;
    }
  }
  if (cmd->proc != nullptr) {
    cmd->proc(keyspace_, argv, out);
    return true;
  }
  const std::string name = cmd->name;
  if (name == "cluster") {
    cluster_.Command(argv, out);
  } else if (name == "ping") {
    if (argc > 2)
      resp::AppendError(out, "ERR wrong number of arguments for 'ping' command");
    else if (argc == 2)
      resp::AppendBulk(out, argv[1]);
    else
      resp::AppendSimple(out, "PONG");
  } else if (name == "echo") {
    resp::AppendBulk(out, argv[1]);
  } else if (name == "dbsize") {
    resp::AppendInteger(out, keyspace_.size());
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
  } else if (name == "quit") {
    resp::AppendSimple(out, "OK");
    return false;
  } else {
    SLOTSIM_CHECK_MSG(false, "command in table without a handler");
  }
  return true;
}

std::string Server::InfoReply(const std::string& section) const {
  const bool all = section == "default" || section == "all" ||
                   section == "everything";
  std::string s;
  auto want = [&](const char* name) { return all || section == name; };
  if (want("server")) {
    s += "# Server\r\nredis_version:7.0.0\r\nslotsim_version:0.1.0\r\n"
         "redis_mode:cluster\r\ntcp_port:" + std::to_string(config_.port) +
         "\r\n\r\n";
  }
  if (want("clients")) {
    s += "# Clients\r\nconnected_clients:" + std::to_string(clients_.size()) +
         "\r\n\r\n";
  }
  if (want("stats")) {
    s += "# Stats\r\ntotal_commands_processed:" +
         std::to_string(commands_processed_) +
         "\r\nprotocol_errors:" + std::to_string(protocol_errors_) + "\r\n\r\n";
  }
  if (want("replication")) {
    const auto& me = cluster_.myself();
    s += "# Replication\r\nrole:";
    s += me.IsPrimary() ? "master" : "slave";
    s += "\r\n";
    if (me.IsPrimary()) {
      s += "connected_slaves:0\r\n";
    } else if (const ClusterNode* p = cluster_.LookupNode(me.primary_name)) {
      s += "master_host:" + p->ip + "\r\nmaster_port:" +
           std::to_string(p->port) + "\r\nmaster_link_status:down\r\n";
    }
    s += "\r\n";
  }
  if (want("cluster")) s += "# Cluster\r\ncluster_enabled:1\r\n\r\n";
  if (want("keyspace")) {
    s += "# Keyspace\r\n";
    if (keyspace_.size() > 0)
      s += "db0:keys=" + std::to_string(keyspace_.size()) +
           ",expires=0,avg_ttl=0\r\n";
  }
  return s;
}

}  // namespace slotsim
