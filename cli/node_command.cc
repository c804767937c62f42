// `slotsim node`: one engine node on real sockets (runtime/).
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "engine/check.h"
#include "runtime/node.h"
#include "runtime/redis_conf.h"
#include "traces/trace_db.h"

namespace slotsim {
namespace {

// Passes records on to the trace database and counts them for its run row.
struct CountingSink : TraceSink {
  explicit CountingSink(TraceSink* downstream) : next(downstream) {}
  void OnTrace(const TraceRecord& r) override {
    ++records;
    next->OnTrace(r);
  }
  TraceSink* next;
  int64_t records = 0;
};

}  // namespace

int NodeCommand(const NodeCommandOptions& o) {
  NodeOptions n;
  n.port = static_cast<uint16_t>(o.port);
  n.bus_port = static_cast<uint16_t>(o.bus_port);
  if (o.bus_port == 0 && o.port + 10000 > 65535) {
    std::cerr << "slotsim node: --port " << o.port << " + 10000 is not a port; give --bus-port\n";
    return kExitUsage;
  }
  n.dir = o.dir.empty() ? "slotsim-node-" + std::to_string(o.port) : o.dir;
  n.bind = o.bind;
  n.announce_ip = o.announce_ip;
  n.node_timeout_ms = o.node_timeout_ms;
  n.appendonly = o.appendonly == "yes";
  n.appendfsync = o.appendfsync;
  std::string error;
  std::unique_ptr<TraceDb> trace;
  std::unique_ptr<CountingSink> counter;
  if (!o.trace_db.empty()) {
    trace = TraceDb::Open(o.trace_db, &error);
    if (!trace) {
      std::cerr << "slotsim node: " << error << "\n";
      return kExitUsage;
    }
    RunInfo info;
    info.scenario = "node-" + std::to_string(o.port);
    info.scenario_path = "(real mode)";
    info.build = BuildId();
    trace->BeginRun(info);
    counter = std::make_unique<CountingSink>(trace.get());
  }
  const int rc = RunNode(n, counter.get(), &error);
  if (rc != 0) std::cerr << "slotsim node: " << error << "\n";
  if (trace) {
    RunSummary s;
    s.outcome = rc == 0 ? "pass" : "crashed";
    s.events = counter->records;
    trace->FinishRun(s);
  }
  return rc == 0 ? kExitPass : kExitUsage;
}

int NodeFromRedisConfig(const std::vector<std::string>& args) {
  SLOTSIM_CHECK(!args.empty());
  auto read = [](const std::string& path) -> std::optional<std::string> {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) return std::nullopt;
    return text.str();
  };
  const std::string& file = args[0];
  std::optional<std::string> text = read(file);
  if (!text) {
    std::cerr << "slotsim node: cannot read config file " << file << "\n";
    return kExitUsage;
  }
  std::vector<ConfDirective> directives;
  std::string error;
  NodeConf conf;
  conf.node.dir = ".";  // Redis's default: the working directory
  if (!ParseRedisConf(*text, file, read, &directives, &error) ||
      !ConfFromArgs({args.begin() + 1, args.end()}, &directives, &error) ||
      !ApplyRedisConf(directives, &conf, &error)) {
    std::cerr << "slotsim node: " << error << "\n";
    return kExitUsage;
  }
  if (conf.node.bus_port == 0 && conf.node.port + 10000 > 65535) {
    std::cerr << "slotsim node: port " << conf.node.port
              << " + 10000 is not a port; set cluster-port\n";
    return kExitUsage;
  }
  // CONFIG REWRITE finds the file again after the chdir below.
  if (char* abs = ::realpath(file.c_str(), nullptr)) {
    conf.node.config_file = abs;
    std::free(abs);
  }
  // Redis changes into `dir` as it reads it, so the logfile and the data
  // files are relative to it (and the directory must exist).
  if (::chdir(conf.node.dir.c_str()) != 0) {
    std::cerr << "slotsim node: Can't chdir to '" << conf.node.dir << "': " << std::strerror(errno)
              << "\n";
    return kExitUsage;
  }
  conf.node.dir = ".";
  const int rc = RunNode(conf.node, nullptr, &error);
  if (rc != 0) std::cerr << "slotsim node: " << error << "\n";
  return rc == 0 ? kExitPass : kExitUsage;
}

}  // namespace slotsim
