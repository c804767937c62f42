#include "runtime/redis_conf.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

namespace slotsim {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\0'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Redis 7.0.15's config names (src/config.c's table) that slotsim takes
// without effect. The ones it honours or refuses are handled below.
const std::set<std::string, std::less<>>& IgnoredNames() {
  static const std::set<std::string, std::less<>> names = {
      "rdbchecksum", "io-threads-do-reads", "always-show-logo", "protected-mode",
      "rdbcompression", "rdb-del-sync-files", "activerehashing", "stop-writes-on-bgsave-error",
      "set-proc-title", "dynamic-hz", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
      "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
      "repl-disable-tcp-nodelay", "repl-diskless-sync", "aof-rewrite-incremental-fsync",
      "no-appendfsync-on-rewrite", "rdb-save-incremental-fsync", "aof-load-truncated",
      "aof-use-rdb-preamble", "aof-timestamp-enabled", "cluster-replica-no-failover",
      "cluster-slave-no-failover", "replica-lazy-flush", "slave-lazy-flush",
      "replica-serve-stale-data", "slave-serve-stale-data", "replica-read-only",
      "slave-read-only", "replica-ignore-maxmemory", "slave-ignore-maxmemory",
      "jemalloc-bg-thread", "activedefrag", "syslog-enabled",
      "cluster-allow-pubsubshard-when-down", "crash-log-enabled", "crash-memcheck-enabled",
      "use-exit-on-panic", "disable-thp", "cluster-allow-replica-migration",
      "replica-announced", "latency-tracking", "aof-disable-auto-gc",
      "replica-ignore-disk-write-errors", "aclfile", "unixsocket", "pidfile",
      "replica-announce-ip", "slave-announce-ip", "masteruser", "cluster-announce-hostname",
      "syslog-ident", "dbfilename", "appendfilename", "appenddirname", "ignore-warnings",
      "proc-title-template", "bind-source-addr", "masterauth", "requirepass", "supervised",
      "syslog-facility", "repl-diskless-load", "loglevel", "maxmemory-policy", "oom-score-adj",
      "acl-pubsub-default", "sanitize-dump-payload", "enable-protected-configs",
      "enable-debug-command", "enable-module-command", "cluster-preferred-endpoint-type",
      "propagation-error-behavior", "shutdown-on-sigint", "shutdown-on-sigterm", "databases",
      "io-threads", "auto-aof-rewrite-percentage", "list-max-listpack-size",
      "list-max-ziplist-size", "tcp-keepalive", "cluster-migration-barrier",
      "active-defrag-cycle-min", "active-defrag-cycle-max", "active-defrag-threshold-lower",
      "active-defrag-threshold-upper", "lfu-log-factor", "lfu-decay-time", "replica-priority",
      "slave-priority", "repl-diskless-sync-delay", "maxmemory-samples",
      "maxmemory-eviction-tenacity", "timeout", "replica-announce-port", "slave-announce-port",
      "tcp-backlog", "repl-timeout", "repl-ping-replica-period", "repl-ping-slave-period",
      "list-compress-depth", "rdb-key-save-delay", "key-load-delay", "active-expire-effort",
      "hz", "min-replicas-to-write", "min-slaves-to-write", "min-replicas-max-lag",
      "min-slaves-max-lag", "watchdog-period", "shutdown-timeout",
      "repl-diskless-sync-max-replicas", "maxclients", "unixsocketperm", "socket-mark-id",
      "active-defrag-max-scan-fields", "slowlog-max-len", "acllog-max-len",
      "busy-reply-threshold", "lua-time-limit", "slowlog-log-slower-than",
      "latency-monitor-threshold", "proto-max-bulk-len", "stream-node-max-entries",
      "repl-backlog-size", "maxmemory", "cluster-link-sendbuf-limit",
      "hash-max-listpack-entries", "hash-max-ziplist-entries", "set-max-intset-entries",
      "zset-max-listpack-entries", "zset-max-ziplist-entries", "active-defrag-ignore-bytes",
      "hash-max-listpack-value", "hash-max-ziplist-value", "stream-node-max-bytes",
      "zset-max-listpack-value", "zset-max-ziplist-value", "hll-sparse-max-bytes",
      "tracking-table-max-keys", "client-query-buffer-limit", "maxmemory-clients",
      "repl-backlog-ttl", "auto-aof-rewrite-min-size", "loading-process-events-interval-bytes",
      "tls-session-cache-size", "tls-session-cache-timeout", "tls-auth-clients",
      "tls-prefer-server-ciphers", "tls-session-caching", "tls-cert-file", "tls-key-file",
      "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
      "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir",
      "tls-protocols", "tls-ciphers", "tls-ciphersuites", "save", "client-output-buffer-limit",
      "oom-score-adj-values", "notify-keyspace-events", "latency-tracking-info-percentiles",
      "cluster-announce-tls-port", "user",
  };
  return names;
}

bool ParseInt(const std::string& s, int64_t lo, int64_t hi, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && *v >= lo && *v <= hi;
}

}  // namespace

bool SplitConfigLine(std::string_view line, std::vector<std::string>* out) {
  out->clear();
  size_t i = 0;
  const size_t n = line.size();
  // Bounded: every round consumes at least one character or returns.
  while (true) {
    while (i < n && IsBlank(line[i])) ++i;
    if (i >= n) return true;
    if (out->size() >= kConfArgsMax) return false;
    std::string word;
    bool in_double = false, in_single = false;
    while (true) {
      if (in_double) {
        if (i >= n) return false;  // unterminated "
        if (line[i] == '\\' && i + 3 < n && line[i + 1] == 'x' && HexDigit(line[i + 2]) >= 0 &&
            HexDigit(line[i + 3]) >= 0) {
          word += static_cast<char>(HexDigit(line[i + 2]) * 16 + HexDigit(line[i + 3]));
          i += 4;
        } else if (line[i] == '\\' && i + 1 < n) {
          const char c = line[i + 1];
          word += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == 'b' ? '\b'
                : c == 'a' ? '\a' : c;
          i += 2;
        } else if (line[i] == '"') {
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;  // "foo"bar
          ++i;
          break;
        } else {
          word += line[i++];
        }
      } else if (in_single) {
        if (i >= n) return false;  // unterminated '
        if (line[i] == '\\' && i + 1 < n && line[i + 1] == '\'') {
          word += '\'';
          i += 2;
        } else if (line[i] == '\'') {
          if (i + 1 < n && !IsBlank(line[i + 1])) return false;
          ++i;
          break;
        } else {
          word += line[i++];
        }
      } else {
        if (i >= n || IsBlank(line[i])) break;
        if (line[i] == '"') {
          in_double = true;
        } else if (line[i] == '\'') {
          in_single = true;
        } else {
          word += line[i];
        }
        ++i;
      }
    }
    out->push_back(std::move(word));
  }
}

bool ParseRedisConf(std::string_view text, const std::string& file, const ConfReader& read,
                    std::vector<ConfDirective>* out, std::string* error, int depth) {
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++lineno;
    // Trimmed, as sdstrim(" \t\r\n") does.
    while (!line.empty() && IsBlank(line.front())) line.remove_prefix(1);
    while (!line.empty() && IsBlank(line.back())) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = file + ":" + std::to_string(lineno);
    std::vector<std::string> words;
    if (!SplitConfigLine(line, &words)) {
      *error = where + ": Unbalanced quotes in configuration line: '" + std::string(line) + "'";
      return false;
    }
    if (words.empty()) continue;
    ConfDirective d{Lower(words[0]), {words.begin() + 1, words.end()}, where};
    if (d.name == "include") {
      if (d.args.size() != 1) {
        *error = where + ": include takes one file: '" + std::string(line) + "'";
        return false;
      }
      if (depth >= kConfIncludeDepthMax) {
        *error = where + ": includes nested more than " + std::to_string(kConfIncludeDepthMax) +
                 " deep (a loop?)";
        return false;
      }
      std::optional<std::string> included = read(d.args[0]);
      if (!included) {
        *error = where + ": cannot read included file " + d.args[0];
        return false;
      }
      if (!ParseRedisConf(*included, d.args[0], read, out, error, depth + 1)) return false;
      continue;
    }
    out->push_back(std::move(d));
  }
  return true;
}

bool ConfFromArgs(const std::vector<std::string>& args, std::vector<ConfDirective>* out,
                  std::string* error) {
  for (const std::string& a : args) {
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      out->push_back({Lower(a.substr(2)), {}, "command line"});
    } else if (out->empty() || out->back().where != "command line") {
      *error = "command line: '" + a + "' is not after a --name (want: --port 7000 ...)";
      return false;
    } else {
      out->back().args.push_back(a);
    }
  }
  return true;
}

bool ApplyRedisConf(const std::vector<ConfDirective>& directives, NodeConf* out,
                    std::string* error) {
  NodeOptions& o = out->node;
  std::set<std::string> ignored_seen;
  for (const ConfDirective& d : directives) {
    const std::string& n = d.name;
    auto fail = [&](const std::string& why) {
      std::string line = n;
      for (const auto& a : d.args) line += " " + a;
      *error = d.where + ": " + why + ": '" + line + "'";
      return false;
    };
    auto one = [&]() { return d.args.size() == 1; };
    auto yes_no = [&](bool* v) {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string a = Lower(d.args[0]);
      if (a != "yes" && a != "no") return fail("argument must be 'yes' or 'no'");
      *v = a == "yes";
      return true;
    };
    auto integer = [&](int64_t lo, int64_t hi, int64_t* v) {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (!ParseInt(d.args[0], lo, hi, v))
        return fail("argument must be an integer in " + std::to_string(lo) + ".." +
                    std::to_string(hi));
      return true;
    };
    int64_t v = 0;
    bool b = false;
    if (n == "port") {
      if (!integer(1, 55535, &v)) return false;
      o.port = static_cast<uint16_t>(v);
    } else if (n == "cluster-port") {
      if (!integer(0, 65535, &v)) return false;
      o.bus_port = static_cast<uint16_t>(v);
    } else if (n == "bind") {
      if (d.args.empty()) return fail("Bad directive or wrong number of arguments");
      o.bind = d.args[0];
      if (d.args.size() > 1)
        out->node.startup_notes.push_back("bind: listening on " + d.args[0] +
                                          " only; the other addresses are not used");
    } else if (n == "dir") {
      if (!one() || d.args[0].empty()) return fail("Bad directive or wrong number of arguments");
      o.dir = d.args[0];
    } else if (n == "logfile") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      o.logfile = d.args[0];
    } else if (n == "appendonly") {
      if (!yes_no(&o.appendonly)) return false;
    } else if (n == "appendfsync") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      const std::string a = Lower(d.args[0]);
      if (a != "always" && a != "everysec" && a != "no")
        return fail("argument must be one of always, everysec, no");
      o.appendfsync = a;
    } else if (n == "cluster-enabled") {
      if (!yes_no(&b)) return false;
      if (!b) return fail("slotsim node runs Redis Cluster only; cluster-enabled must be yes");
    } else if (n == "cluster-config-file") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      if (d.args[0] != "nodes.conf")
        return fail("slotsim keeps its cluster config in DIR/nodes.conf; another name "
                    "cannot be honoured");
    } else if (n == "cluster-node-timeout") {
      if (!integer(100, 3600000, &o.node_timeout_ms)) return false;
    } else if (n == "cluster-replica-validity-factor" || n == "cluster-slave-validity-factor") {
      if (!integer(0, 1000000, &o.replica_validity_factor)) return false;
    } else if (n == "cluster-require-full-coverage") {
      if (!yes_no(&o.require_full_coverage)) return false;
    } else if (n == "cluster-allow-reads-when-down") {
      if (!yes_no(&o.allow_reads_when_down)) return false;
    } else if (n == "cluster-announce-ip") {
      if (!one()) return fail("Bad directive or wrong number of arguments");
      o.announce_ip = d.args[0];
    } else if (n == "cluster-announce-port" || n == "cluster-announce-bus-port") {
      if (!integer(0, 65535, &v)) return false;
      if (v != 0)
        return fail("slotsim announces the ports it listens on; announcing others cannot be "
                    "honoured");
    } else if (n == "daemonize") {
      if (!yes_no(&b)) return false;
      if (b) return fail("daemonize yes cannot be honoured: run slotsim node under a supervisor");
    } else if (n == "tls-port" || n == "tls-cluster" || n == "tls-replication") {
      const bool off = d.args.size() == 1 && (d.args[0] == "0" || Lower(d.args[0]) == "no");
      if (!off) return fail("TLS is not supported by slotsim node");
    } else if (n == "loadmodule") {
      return fail("modules are not supported by slotsim node");
    } else if (n == "rename-command") {
      return fail("rename-command cannot be honoured by slotsim node");
    } else if (n == "replicaof" || n == "slaveof") {
      return fail("replicaof does not apply in cluster mode (use CLUSTER REPLICATE)");
    } else if (IgnoredNames().count(n) != 0) {
      if (ignored_seen.insert(n).second) out->ignored.push_back(n);
    } else if (n.find('.') != std::string::npos) {
      return fail("module configs are not supported by slotsim node");
    } else {
      return fail("Bad directive or wrong number of arguments");
    }
  }
  if (!out->ignored.empty()) {
    std::string list;
    for (const auto& n : out->ignored) list += (list.empty() ? "" : ", ") + n;
    out->node.startup_notes.push_back("config directives with no effect in slotsim: " + list);
  }
  return true;
}

}  // namespace slotsim
