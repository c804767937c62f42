#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <unistd.h>

#include "engine/server.h"
#include "runtime/node.h"
#include "runtime/real_env.h"
#include "runtime/redis_conf.h"
#include "runtime/redis_log.h"

namespace slotsim {

namespace {

// A flood of connections should meet maxclients, not the process's file
// limit: raise the soft limit to the hard one.
void RaiseFileLimit() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
}

}  // namespace

int RunNode(const NodeOptions& o, TraceSink* trace, std::string* error) {
  if (o.dir.empty()) {
    *error = "--dir is empty";
    return 2;
  }
  if (::mkdir(o.dir.c_str(), 0755) != 0 && errno != EEXIST) {
    *error = "cannot create " + o.dir + ": " + std::strerror(errno);
    return 2;
  }
  struct stat st {};
  if (::stat(o.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    *error = o.dir + " is not a directory";
    return 2;
  }
  RedisLog log;
  if (!log.Open(o.logfile, error)) return 2;
  log.Notice("slotsim node (a Redis Cluster 7.0 engine), pid=" + std::to_string(getpid()) +
             ", just started");
  for (const std::string& note : o.startup_notes) log.Warning(note);
  RaiseFileLimit();
  EngineConfig config;
  config.port = o.port;
  config.cport = o.bus_port;
  config.announce_ip = !o.announce_ip.empty() ? o.announce_ip
                       : o.bind == "0.0.0.0"  ? "127.0.0.1"
                                              : o.bind;
  config.announce_hostname = o.announce_hostname;
  config.preferred_endpoint = o.preferred_endpoint == "hostname" ? PreferredEndpoint::kHostname
                              : o.preferred_endpoint == "unknown-endpoint"
                                  ? PreferredEndpoint::kUnknown
                                  : PreferredEndpoint::kIp;
  config.node_timeout_ms = o.node_timeout_ms;
  config.replica_validity_factor = o.replica_validity_factor;
  config.require_full_coverage = o.require_full_coverage;
  config.allow_reads_when_down = o.allow_reads_when_down;
  config.replica_no_failover = o.replica_no_failover;
  config.migration_barrier = o.migration_barrier;
  config.link_sendbuf_limit_bytes = o.link_sendbuf_limit_bytes;
  config.repl_diskless_sync_delay_ms = o.repl_diskless_sync_delay_ms;
  config.repl_backlog_bytes = o.repl_backlog_bytes;
  config.key_load_delay_us = o.key_load_delay_us;
  config.allow_replica_migration = o.allow_replica_migration;
  config.appendonly = o.appendonly;
  config.save_on_shutdown = o.save_on_shutdown;
  config.dbfilename = o.dbfilename;
  config.appendfsync = o.appendfsync == "always" ? AofFsync::kAlways
                       : o.appendfsync == "no"   ? AofFsync::kNo
                                                 : AofFsync::kEverySec;
  boost::asio::io_context io(1);
  RealEnv::Options env_options;
  env_options.data_dir = o.dir;
  env_options.bind_host = o.bind;
  env_options.trace = trace;
  // An error Redis does not survive (a failed fsync under appendfsync
  // always, a nodes.conf it cannot save): its log line, then exit(1).
  env_options.on_exit = [&log](std::string_view reason) { log.Warning(std::string(reason)); };
  RealEnv env(io, env_options);
  Server server(env, config);
  if (!o.config_file.empty())
    server.set_config_rewriter(
        [path = o.config_file](const std::vector<std::pair<std::string, std::string>>& settings) {
          return RewriteRedisConf(path, settings);
        });
  if (!server.Start()) {
    *error = server.start_error();
    log.Warning(*error);
    return 2;
  }
  log.Notice("Node configuration loaded, I'm " + server.cluster().myself().name);
  log.Notice("Serving RESP on " + o.bind + ":" + std::to_string(config.port) +
             ", cluster bus on " + std::to_string(config.bus_port()) + ", data in " + o.dir);
  log.Notice("Ready to accept connections");
  // SHUTDOWN: the same clean stop as SIGTERM, after the command's event
  // (the client's connection is still being served).
  server.set_shutdown_handler([&](std::optional<bool> save) {
    boost::asio::post(io, [&, save] {
      log.Warning("User requested shutdown...");
      server.PrepareForShutdown(save);
      env.Shutdown();
      io.stop();
    });
  });
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    log.Warning(signo == SIGTERM ? "Received SIGTERM scheduling shutdown..."
                                 : "Received SIGINT scheduling shutdown...");
    server.PrepareForShutdown();
    env.Shutdown();
    io.stop();
  });
  io.run();
  log.Warning("slotsim node is now ready to exit, bye bye...");
  return 0;
}

}  // namespace slotsim
