// The loaders of a node's files (nodes.conf: Cluster::LoadConfig; the data
// log: Aof::Load), run on a simulated node whose disk holds given bytes,
// and the invariants they must keep whatever those bytes are. Shared by
// the libFuzzer targets nodes_conf_fuzzer and aof_loader_fuzzer and by the
// RapidCheck properties of tests/loader_fuzz_test.cc. Each Check* returns
// "" when the invariants hold, else what broke (the caller aborts or
// fails the property with it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/aof.h"
#include "engine/commands.h"
#include "engine/resp.h"
#include "engine/server.h"
#include "engine/text.h"
#include "engine/trace_records.h"
#include "sim/simulation.h"
#include "sim/trace.h"

namespace slotsim::loader_fuzz {

// The only ways a start over a bad file may fail.
inline constexpr std::string_view kConfReadError = "Loading the cluster node config from nodes.conf: ";
inline constexpr std::string_view kConfCorrupt =
    "Unrecoverable error: corrupted cluster config file (nodes.conf:";
inline constexpr std::string_view kAofFormatError =
    "Bad file format reading the append only file appendonly.aof (at byte ";
inline constexpr std::string_view kAofReadError =
    "Unrecoverable error reading the append only file appendonly.aof: ";
// A command the engine does not know, or with the wrong number of
// arguments (which would make it read past them).
inline constexpr std::string_view kAofUnknownCommand = "Unknown command '";
inline constexpr std::string_view kAofWrongArity = "Wrong number of arguments for '";

inline bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

inline SimOptions QuietOptions() {
  SimOptions o;
  o.buggify = false;
  return o;
}

inline EngineConfig LoaderNodeConfig(bool appendonly, uint16_t port = 7000) {
  EngineConfig cfg;
  cfg.announce_ip = "127.0.0.1";
  cfg.port = port;
  cfg.appendonly = appendonly;
  return cfg;
}

// Escapes a file for a failure message.
inline std::string Printable(std::string_view s, size_t max = 2000) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') out += "\\n\n";
    else if (c == '\\') out += "\\\\";
    else if (c >= 0x20 && c < 0x7f) out += static_cast<char>(c);
    else out += std::string("\\x") + kHex[c >> 4] + kHex[c & 15];
  }
  if (s.size() > max) out += "...";
  return out;
}

// ---- nodes.conf -------------------------------------------------------------

struct ConfStart {
  bool ok = false;
  std::string error;  // start_error() when !ok
  std::string saved;  // nodes.conf after a synced save (ok only)
};

// A node on port `port` whose disk holds `content` as nodes.conf (an
// empty file when `content` is empty) starts; when it started, it saves
// its config (the shutdown save) and the simulation runs `run_ms` more
// (its cron over the loaded config).
inline ConfStart StartWithNodesConf(std::string_view content, uint16_t port = 7000,
                                    int64_t run_ms = 0) {
  ConfStart r;
  Simulation sim(QuietOptions());
  const int m = sim.AddMachine("node0");
  sim.disk(m).Write("nodes.conf", content, 0);
  Server server(sim.env(m), LoaderNodeConfig(false, port));
  r.ok = server.Start();
  if (!r.ok) {
    r.error = server.start_error();
    return r;
  }
  server.PrepareForShutdown(false);
  r.saved = sim.disk(m).Read("nodes.conf").value_or("");
  if (run_ms > 0) sim.RunUntil(sim.now_us() + run_ms * 1000);
  return r;
}

// The node id on the line whose flags say myself ("" if none).
inline std::string MyselfId(std::string_view conf) {
  std::string id;
  size_t pos = 0;
  while (pos < conf.size()) {
    size_t nl = conf.find('\n', pos);
    if (nl == std::string_view::npos) nl = conf.size();
    const auto f = SplitFields(conf.substr(pos, nl - pos), ' ');
    pos = nl + 1;
    if (f.size() < 8 || f[0] == "vars") continue;
    for (const auto& flag : SplitFields(f[2], ','))
      if (flag == "myself") id = f[0];
  }
  return id;
}

// nodes.conf invariants: a start either works or fails with one of the two
// errors (a corrupt file's naming a line >= 1); a file that loaded saves to
// a fixed point (save(load(save(load(x)))) == save(load(x))), and the node
// keeps the identity its myself line gave it.
// `allow_read_error`: false where the disk has no faults, so the read
// error cannot be right either.
inline std::string CheckNodesConf(std::string_view input, uint16_t port = 7000,
                                  int64_t run_ms = 0, bool allow_read_error = true) {
  const ConfStart a = StartWithNodesConf(input, port, run_ms);
  if (!a.ok) {
    if (allow_read_error && StartsWith(a.error, kConfReadError)) return "";
    if (!StartsWith(a.error, kConfCorrupt)) return "start failed with an unexpected error: " + a.error;
    const char* p = a.error.c_str() + kConfCorrupt.size();
    if (*p < '1' || *p > '9') return "corrupt-config error names no line >= 1: " + a.error;
    while (*p >= '0' && *p <= '9') ++p;
    if (*p != ':') return "corrupt-config error badly formed: " + a.error;
    return "";
  }
  if (a.saved.empty()) return "the node started but saved an empty nodes.conf";
  if (input.empty()) return "";  // a first start: nothing to round-trip
  const std::string id = MyselfId(input);
  if (MyselfId(a.saved) != id)
    return "identity not kept: loaded myself " + id + ", saved myself " + MyselfId(a.saved) +
           "\n--- saved:\n" + Printable(a.saved);
  const ConfStart b = StartWithNodesConf(a.saved, port);
  if (!b.ok)
    return "a saved nodes.conf does not load: " + b.error + "\n--- saved:\n" + Printable(a.saved);
  if (b.saved != a.saved)
    return "save(load(x)) is not a fixed point\n--- first save:\n" + Printable(a.saved) +
           "\n--- second save:\n" + Printable(b.saved);
  return "";
}

// ---- appendonly.aof ---------------------------------------------------------

using Argv = std::vector<std::string>;

struct AofLoad {
  bool ok = false;
  std::string error;
  int64_t commands = -1;  // what Load counted
  std::vector<Argv> replayed;
  bool traced = false;  // an AofLoaded record came
  int64_t traced_commands = -1;
  bool torn = false;
  int64_t truncated_at = -1;
  std::optional<std::string> left;  // appendonly.aof after the load
};

class AofLoadedSink : public TraceSink {
 public:
  explicit AofLoadedSink(AofLoad* out) : out_(out) {}
  void OnTrace(const TraceRecord& r) override {
    if (r.kind != "AofLoaded") return;
    out_->traced = true;
    DetailsReader d(r.details);
    out_->traced_commands = d.Int("commands").value_or(-2);
    out_->torn = d.OptionalStr("torn_tail").value_or("0") == "1";
    if (out_->torn) out_->truncated_at = d.Int("truncated_at").value_or(-2);
  }

 private:
  AofLoad* out_;
};

// Aof::Load itself over `content`, every replayed command collected.
inline AofLoad LoadAofDirect(std::string_view content) {
  AofLoad r;
  Simulation sim(QuietOptions());
  AofLoadedSink sink(&r);
  sim.AddTraceSink(&sink);
  const int m = sim.AddMachine("node0");
  sim.disk(m).Write(Aof::kFileName, content, 0);
  const EngineConfig cfg = LoaderNodeConfig(true);
  Aof aof(sim.env(m), cfg);
  r.ok = aof.Load([&r](const Argv& argv) { r.replayed.push_back(argv); }, &r.commands, &r.error);
  r.left = sim.disk(m).Read(Aof::kFileName);
  return r;
}

// A node with appendonly yes starting over `content` (commands applied to
// its keyspace; `replayed` stays empty).
inline AofLoad StartWithAof(std::string_view content) {
  AofLoad r;
  Simulation sim(QuietOptions());
  AofLoadedSink sink(&r);
  sim.AddTraceSink(&sink);
  const int m = sim.AddMachine("node0");
  sim.disk(m).Write(Aof::kFileName, content, 0);
  Server server(sim.env(m), LoaderNodeConfig(true));
  r.ok = server.Start();
  if (!r.ok) r.error = server.start_error();
  r.left = sim.disk(m).Read(Aof::kFileName);
  return r;
}

// What the request parser (default limits, as Aof::Load's) reads from
// `content` before it stops.
inline std::vector<Argv> ParseRequests(std::string_view content) {
  RequestParser p;
  p.Feed(content);
  std::vector<Argv> out;
  Argv argv;
  while (p.Next(&argv) == ParseStatus::kOk) out.push_back(argv);
  return out;
}

// AOF invariants: the load works or fails with the format (or read)
// error; what it replays is a prefix of what the request parser reads
// from the file, all of it unless the tail was torn; the file left on
// disk is the input cut at the traced truncated_at (the input itself if
// nothing was torn); loading that file again replays the same commands,
// with no torn tail, and leaves it as it is. With `via_server`, a node
// starting over the same file agrees (and must not crash applying it),
// and its log still begins with what the load left.
inline std::string CheckAof(std::string_view input, bool via_server) {
  const AofLoad a = LoadAofDirect(input);
  const bool replays_empty = std::any_of(a.replayed.begin(), a.replayed.end(),
                                         [](const Argv& argv) { return argv.empty(); });
  // The node first, so that a crash in it shows its own stack.
  if (via_server) {
    const AofLoad s = StartWithAof(input);
    if (s.ok != a.ok || s.error != a.error)
      return "a node's start disagrees with Aof::Load: " + (s.ok ? std::string("started") : s.error);
    // The node may append after the load (AfterRestart fails an import it
    // was in the middle of, and logs that), never rewrite what it loaded.
    if (s.ok && (!s.left || !a.left || !StartsWith(*s.left, *a.left)))
      return "a node's start left a log that does not begin with what Aof::Load left";
  }
  if (!a.ok) {
    if (!StartsWith(a.error, kAofFormatError) && !StartsWith(a.error, kAofReadError) &&
        !StartsWith(a.error, kAofUnknownCommand) && !StartsWith(a.error, kAofWrongArity))
      return "load failed with an unexpected error: " + a.error;
    if (a.traced) return "a failed load traced AofLoaded";
    if (a.left != std::optional<std::string>(input)) return "a failed load changed the log";
    return "";
  }
  if (replays_empty) return "an empty command was replayed";
  if (!a.traced) return "a load that worked traced no AofLoaded";
  if (a.commands != static_cast<int64_t>(a.replayed.size()) || a.traced_commands != a.commands)
    return "command counts disagree: counted " + std::to_string(a.commands) + ", replayed " +
           std::to_string(a.replayed.size()) + ", traced " + std::to_string(a.traced_commands);
  const std::vector<Argv> parsed = ParseRequests(input);
  if (a.replayed.size() > parsed.size() ||
      !std::equal(a.replayed.begin(), a.replayed.end(), parsed.begin()))
    return "replayed commands are not a prefix of what the request parser reads";
  if (!a.left) return "the log is gone after the load";
  if (a.torn) {
    if (a.truncated_at < 0 || static_cast<size_t>(a.truncated_at) >= input.size())
      return "torn tail cut at " + std::to_string(a.truncated_at) + " of " +
             std::to_string(input.size());
    if (*a.left != input.substr(0, static_cast<size_t>(a.truncated_at)))
      return "the log left on disk is not the input cut at truncated_at";
  } else {
    if (*a.left != input) return "a load without a torn tail changed the log";
    if (a.replayed != parsed) return "a whole log replayed less than the parser reads";
  }
  const AofLoad b = LoadAofDirect(*a.left);
  if (!b.ok) return "the log left by a load does not load: " + b.error;
  if (b.torn) return "the log left by a load has a torn tail";
  if (b.replayed != a.replayed) return "reloading the log left by a load replays other commands";
  if (b.left != a.left) return "reloading the log left by a load changed it";
  return "";
}

}  // namespace slotsim::loader_fuzz
