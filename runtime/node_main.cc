#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "engine/server.h"
#include "runtime/node.h"
#include "runtime/real_env.h"

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
  RaiseFileLimit();
  EngineConfig config;
  config.port = o.port;
  config.cport = o.bus_port;
  config.announce_ip = !o.announce_ip.empty() ? o.announce_ip
                       : o.bind == "0.0.0.0"  ? "127.0.0.1"
                                              : o.bind;
  config.node_timeout_ms = o.node_timeout_ms;
  config.appendonly = o.appendonly;
  config.appendfsync = o.appendfsync == "always" ? AofFsync::kAlways
                       : o.appendfsync == "no"   ? AofFsync::kNo
                                                 : AofFsync::kEverySec;
  boost::asio::io_context io(1);
  RealEnv::Options env_options;
  env_options.data_dir = o.dir;
  env_options.bind_host = o.bind;
  env_options.trace = trace;
  RealEnv env(io, env_options);
  Server server(env, config);
  if (!server.Start()) {
    *error = server.start_error();
    return 2;
  }
  std::printf("slotsim node %s: serving RESP on %s:%u, cluster bus on %u, data in %s\n",
              server.cluster().myself().name.c_str(), o.bind.c_str(), config.port,
              config.bus_port(), o.dir.c_str());
  std::fflush(stdout);
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code& ec, int signo) {
    if (ec) return;
    std::printf("slotsim node: %s, shutting down\n", signo == SIGTERM ? "SIGTERM" : "SIGINT");
    server.PrepareForShutdown();
    env.Shutdown();
    io.stop();
  });
  io.run();
  std::printf("slotsim node: stopped\n");
  std::fflush(stdout);
  return 0;
}

}  // namespace slotsim
