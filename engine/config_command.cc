#include "engine/config_command.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "engine/introspection.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {
namespace {

// src/config.c's table at 7.0.15 (names only), with the options slotsim
// honours or refuses.
const std::vector<std::string_view>& Names() {
  static const std::vector<std::string_view> names = {
      "acl-pubsub-default", "aclfile", "acllog-max-len", "active-defrag-cycle-max",
      "active-defrag-cycle-min", "active-defrag-ignore-bytes", "active-defrag-max-scan-fields",
      "active-defrag-threshold-lower", "active-defrag-threshold-upper", "active-expire-effort",
      "activedefrag", "activerehashing", "always-show-logo", "aof-disable-auto-gc",
      "aof-load-truncated", "aof-rewrite-incremental-fsync", "aof-timestamp-enabled",
      "aof-use-rdb-preamble", "appenddirname", "appendfilename", "appendfsync", "appendonly",
      "auto-aof-rewrite-min-size", "auto-aof-rewrite-percentage", "bind", "bind-source-addr",
      "busy-reply-threshold", "client-output-buffer-limit", "client-query-buffer-limit",
      "cluster-allow-pubsubshard-when-down", "cluster-allow-reads-when-down",
      "cluster-allow-replica-migration", "cluster-announce-bus-port", "cluster-announce-hostname",
      "cluster-announce-ip", "cluster-announce-port", "cluster-announce-tls-port",
      "cluster-config-file", "cluster-enabled", "cluster-link-sendbuf-limit",
      "cluster-migration-barrier", "cluster-node-timeout", "cluster-port",
      "cluster-preferred-endpoint-type", "cluster-replica-no-failover",
      "cluster-replica-validity-factor", "cluster-require-full-coverage", "crash-log-enabled",
      "crash-memcheck-enabled", "daemonize", "databases", "dbfilename", "dir", "disable-thp",
      "dynamic-hz", "enable-debug-command", "enable-module-command", "enable-protected-configs",
      "hash-max-listpack-entries", "hash-max-listpack-value", "hll-sparse-max-bytes", "hz",
      "ignore-warnings", "io-threads", "io-threads-do-reads", "jemalloc-bg-thread",
      "key-load-delay", "latency-monitor-threshold", "latency-tracking",
      "latency-tracking-info-percentiles", "lazyfree-lazy-eviction", "lazyfree-lazy-expire",
      "lazyfree-lazy-server-del", "lazyfree-lazy-user-del", "lazyfree-lazy-user-flush",
      "lfu-decay-time", "lfu-log-factor", "list-compress-depth", "list-max-listpack-size",
      "loading-process-events-interval-bytes", "logfile", "loglevel", "masterauth", "masteruser",
      "maxclients", "maxmemory", "maxmemory-clients", "maxmemory-eviction-tenacity",
      "maxmemory-policy", "maxmemory-samples", "min-replicas-max-lag", "min-replicas-to-write",
      "no-appendfsync-on-rewrite", "notify-keyspace-events", "oom-score-adj",
      "oom-score-adj-values", "pidfile", "port", "proc-title-template",
      "propagation-error-behavior", "protected-mode", "proto-max-bulk-len", "rdb-del-sync-files",
      "rdb-key-save-delay", "rdb-save-incremental-fsync", "rdbchecksum", "rdbcompression",
      "repl-backlog-size", "repl-backlog-ttl", "repl-disable-tcp-nodelay", "repl-diskless-load",
      "repl-diskless-sync", "repl-diskless-sync-delay", "repl-diskless-sync-max-replicas",
      "repl-ping-replica-period", "repl-timeout", "replica-announce-ip", "replica-announce-port",
      "replica-announced", "replica-ignore-disk-write-errors", "replica-ignore-maxmemory",
      "replica-lazy-flush", "replica-priority", "replica-read-only", "replica-serve-stale-data",
      "replicaof", "requirepass", "sanitize-dump-payload", "save", "set-max-intset-entries",
      "set-proc-title", "shutdown-on-sigint", "shutdown-on-sigterm", "shutdown-timeout",
      "slowlog-log-slower-than", "slowlog-max-len", "socket-mark-id",
      "stop-writes-on-bgsave-error", "stream-node-max-bytes", "stream-node-max-entries",
      "supervised", "syslog-enabled", "syslog-facility", "syslog-ident", "tcp-backlog",
      "tcp-keepalive", "timeout", "tls-auth-clients", "tls-ca-cert-dir", "tls-ca-cert-file",
      "tls-cert-file", "tls-ciphers", "tls-ciphersuites", "tls-client-cert-file",
      "tls-client-key-file", "tls-client-key-file-pass", "tls-cluster", "tls-dh-params-file",
      "tls-key-file", "tls-key-file-pass", "tls-port", "tls-prefer-server-ciphers",
      "tls-protocols", "tls-replication", "tls-session-cache-size", "tls-session-cache-timeout",
      "tls-session-caching", "tracking-table-max-keys", "unixsocket", "unixsocketperm",
      "use-exit-on-panic", "user", "watchdog-period", "zset-max-listpack-entries",
      "zset-max-listpack-value",
  };
  return names;
}

const std::map<std::string_view, std::string_view>& Aliases() {
  static const std::map<std::string_view, std::string_view> aliases = {
      {"cluster-slave-no-failover", "cluster-replica-no-failover"},
      {"cluster-slave-validity-factor", "cluster-replica-validity-factor"},
      {"hash-max-ziplist-entries", "hash-max-listpack-entries"},
      {"hash-max-ziplist-value", "hash-max-listpack-value"},
      {"list-max-ziplist-size", "list-max-listpack-size"},
      {"lua-time-limit", "busy-reply-threshold"},
      {"min-slaves-max-lag", "min-replicas-max-lag"},
      {"min-slaves-to-write", "min-replicas-to-write"},
      {"repl-ping-slave-period", "repl-ping-replica-period"},
      {"slave-announce-ip", "replica-announce-ip"},
      {"slave-announce-port", "replica-announce-port"},
      {"slave-ignore-maxmemory", "replica-ignore-maxmemory"},
      {"slave-lazy-flush", "replica-lazy-flush"},
      {"slave-priority", "replica-priority"},
      {"slave-read-only", "replica-read-only"},
      {"slave-serve-stale-data", "replica-serve-stale-data"},
      {"slaveof", "replicaof"},
      {"zset-max-ziplist-entries", "zset-max-listpack-entries"},
      {"zset-max-ziplist-value", "zset-max-listpack-value"},
  };
  return aliases;
}

bool ParseInt(const std::string& s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

std::string YesNo(bool b) { return b ? "yes" : "no"; }

const char* EndpointName(PreferredEndpoint e) {
  switch (e) {
    case PreferredEndpoint::kIp: return "ip";
    case PreferredEndpoint::kHostname: return "hostname";
    case PreferredEndpoint::kUnknown: return "unknown-endpoint";
  }
  return "ip";
}

// The settings CONFIG GET reports from the engine itself.
std::vector<std::pair<std::string, std::string>> EngineSettings(const EngineConfig& config) {
  const char* fsync = config.appendfsync == AofFsync::kAlways ? "always"
                      : config.appendfsync == AofFsync::kNo   ? "no"
                                                              : "everysec";
  return {
      {"appendfsync", fsync},
      {"appendonly", YesNo(config.appendonly)},
      {"bind", config.announce_ip},
      {"cluster-allow-pubsubshard-when-down", YesNo(config.allow_pubsubshard_when_down)},
      {"cluster-allow-reads-when-down", YesNo(config.allow_reads_when_down)},
      {"cluster-allow-replica-migration", YesNo(config.allow_replica_migration)},
      {"cluster-announce-hostname", config.announce_hostname},
      {"cluster-announce-ip", config.announce_ip},
      {"cluster-config-file", "nodes.conf"},
      {"cluster-enabled", "yes"},
      {"cluster-link-sendbuf-limit", std::to_string(config.link_sendbuf_limit_bytes)},
      {"cluster-migration-barrier", std::to_string(config.migration_barrier)},
      {"cluster-node-timeout", std::to_string(config.node_timeout_ms)},
      {"cluster-port", std::to_string(config.bus_port())},
      {"cluster-preferred-endpoint-type", EndpointName(config.preferred_endpoint)},
      {"cluster-replica-validity-factor", std::to_string(config.replica_validity_factor)},
      {"cluster-replica-no-failover", YesNo(config.replica_no_failover)},
      {"cluster-require-full-coverage", YesNo(config.require_full_coverage)},
      {"databases", "1"},
      {"key-load-delay", std::to_string(config.key_load_delay_us)},
      {"maxclients", std::to_string(config.clients_max)},
      {"port", std::to_string(config.port)},
      {"repl-backlog-size", std::to_string(config.repl_backlog_bytes)},
      {"repl-diskless-sync-delay", std::to_string(config.repl_diskless_sync_delay_ms / 1000)},
      {"repl-timeout", std::to_string(config.repl_timeout_ms / 1000)},
  };
}

// The settings CONFIG SET changes with effect: validates `value`;
// with `apply`, sets it. "" or the reason it was refused.
std::string SetEngineSetting(EngineConfig& config, const std::string& name,
                             const std::string& value, bool apply) {
  int64_t v = 0;
  const std::string lower = Lower(value);
  if (name == "cluster-node-timeout" || name == "cluster-replica-validity-factor") {
    if (!ParseInt(value, &v)) return "argument couldn't be parsed into an integer";
    if (name == "cluster-node-timeout" && (v < 1 || v > 3'600'000))  // redis.conf's too
      return "argument must be between 1 and 3600000 inclusive";
    if (name == "cluster-replica-validity-factor" && (v < 0 || v > 1'000'000))
      return "argument must be between 0 and 1000000 inclusive";
    if (apply) (name == "cluster-node-timeout" ? config.node_timeout_ms : config.replica_validity_factor) = v;
    return "";
  }
  if (name == "repl-diskless-sync-delay") {
    if (!ParseInt(value, &v)) return "argument couldn't be parsed into an integer";
    if (v < 0 || v > INT32_MAX) return "argument must be between 0 and 2147483647 inclusive";
    if (apply) config.repl_diskless_sync_delay_ms = v * 1000;
    return "";
  }
  if (name == "repl-backlog-size") {
    if (!ParseMemory(value, &v)) return "argument must be a memory value";
    if (v < 1) return "argument must be between 1 and 9223372036854775807 inclusive";
    // resizeReplicationBacklog raises it to the minimum, and CONFIG GET
    // then shows the raised value.
    if (apply) config.repl_backlog_bytes = std::max(v, kReplBacklogMinBytes);
    return "";
  }
  if (name == "key-load-delay") {
    if (!ParseInt(value, &v)) return "argument couldn't be parsed into an integer";
    if (v < INT32_MIN || v > INT32_MAX)
      return "argument must be between -2147483648 and 2147483647 inclusive";
    if (apply) config.key_load_delay_us = v;
    return "";
  }
  if (name == "cluster-link-sendbuf-limit") {
    if (!ParseMemory(value, &v)) return "argument must be a memory value";
    if (apply) config.link_sendbuf_limit_bytes = v;
    return "";
  }
  if (name == "cluster-migration-barrier") {
    if (!ParseInt(value, &v)) return "argument couldn't be parsed into an integer";
    if (v < 0 || v > INT32_MAX) return "argument must be between 0 and 2147483647 inclusive";
    if (apply) config.migration_barrier = v;
    return "";
  }
  if (name == "cluster-announce-hostname") {
    std::string why = AnnouncedHostnameError(value);
    if (why.empty() && apply) config.announce_hostname = value;
    return why;
  }
  if (name == "cluster-preferred-endpoint-type") {
    // An enum config: matched without regard to case (configEnumGetValue).
    const PreferredEndpoint all[] = {PreferredEndpoint::kIp, PreferredEndpoint::kHostname,
                                     PreferredEndpoint::kUnknown};
    for (PreferredEndpoint e : all)
      if (lower == EndpointName(e)) {
        if (apply) config.preferred_endpoint = e;
        return "";
      }
    return "argument(s) must be one of the following: ip, hostname, unknown-endpoint";
  }
  if (name == "appendfsync") {
    if (lower != "always" && lower != "everysec" && lower != "no")
      return "argument(s) must be one of the following: always, everysec, no";
    if (apply)
      config.appendfsync = lower == "always" ? AofFsync::kAlways
                           : lower == "no"   ? AofFsync::kNo
                                             : AofFsync::kEverySec;
    return "";
  }
  if (lower != "yes" && lower != "no") return "argument must be 'yes' or 'no'";
  if (apply)
    (name == "cluster-require-full-coverage" ? config.require_full_coverage
     : name == "appendonly"                  ? config.appendonly
     : name == "cluster-replica-no-failover" ? config.replica_no_failover
     : name == "cluster-allow-replica-migration" ? config.allow_replica_migration
     : name == "cluster-allow-pubsubshard-when-down" ? config.allow_pubsubshard_when_down
                                             : config.allow_reads_when_down) = lower == "yes";
  return "";
}

bool SetWithEffect(const std::string& name) {
  return name == "cluster-node-timeout" || name == "cluster-replica-validity-factor" ||
         name == "cluster-require-full-coverage" || name == "cluster-allow-reads-when-down" ||
         name == "appendonly" || name == "appendfsync" || name == "cluster-replica-no-failover" ||
         name == "cluster-migration-barrier" || name == "cluster-allow-replica-migration" ||
         name == "cluster-allow-pubsubshard-when-down" || name == "cluster-link-sendbuf-limit" ||
         name == "repl-diskless-sync-delay" || name == "cluster-announce-hostname" ||
         name == "cluster-preferred-endpoint-type" || name == "repl-backlog-size" ||
         name == "key-load-delay";
}

// Options CONFIG SET refuses here: Redis's immutable ones, and the ones
// whose change slotsim cannot make while running.
bool Immutable(const std::string& name) {
  static const std::vector<std::string_view> names = {
      "bind", "cluster-announce-bus-port", "cluster-announce-ip",
      "cluster-announce-port", "cluster-config-file", "cluster-enabled", "cluster-port",
      "daemonize", "databases", "dir", "logfile", "port", "replicaof", "tls-cluster",
      "tls-port", "tls-replication"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

}  // namespace

// memtoull: a non-negative count with an optional unit, k/m/g (powers of
// 1000) or kb/mb/gb (powers of 1024), any case.
bool ParseMemory(const std::string& s, int64_t* v) {
  size_t digits = 0;
  while (digits < s.size() && std::isdigit(static_cast<unsigned char>(s[digits]))) digits++;
  if (digits == 0 || !ParseInt(s.substr(0, digits), v)) return false;
  const std::string unit = Lower(s.substr(digits));
  int64_t mul = 1;
  if (unit.empty() || unit == "b") mul = 1;
  else if (unit == "k") mul = 1000;
  else if (unit == "kb") mul = 1024;
  else if (unit == "m") mul = 1000 * 1000;
  else if (unit == "mb") mul = 1024 * 1024;
  else if (unit == "g") mul = 1000LL * 1000 * 1000;
  else if (unit == "gb") mul = 1024LL * 1024 * 1024;
  else return false;
  if (*v > INT64_MAX / mul) return false;
  *v *= mul;
  return true;
}

std::string AnnouncedHostnameError(std::string_view value) {
  if (value.size() > kHostnameBytesMax) return "Hostnames must be less than 256 characters";
  for (char c : value)
    if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
          c == '-' || c == '.'))
      return "Hostnames may only contain alphanumeric characters, hyphens or dots";
  return "";
}

std::string CanonicalConfigName(std::string_view name) {
  const std::string lower = Lower(std::string(name));
  auto a = Aliases().find(lower);
  if (a != Aliases().end()) return std::string(a->second);
  const auto& names = Names();
  return std::binary_search(names.begin(), names.end(), std::string_view(lower)) ? lower : "";
}

void ConfigCommand(ConfigState& state, const std::vector<std::string>& argv, std::string* out) {
  const std::string sub = Lower(argv[1]);
  if (sub == "get" && argv.size() >= 3) {
    std::vector<std::pair<std::string, std::string>> settings = EngineSettings(state.config);
    for (const auto& [name, value] : state.accepted) settings.emplace_back(name, value);
    std::vector<const std::pair<std::string, std::string>*> hits;
    for (const auto& kv : settings) {
      for (size_t i = 2; i < argv.size(); ++i)
        if (GlobMatch(argv[i], kv.first, true) ||
            CanonicalConfigName(argv[i]) == kv.first) {
          hits.push_back(&kv);
          break;
        }
    }
    resp::AppendArrayHeader(out, static_cast<int64_t>(hits.size() * 2));
    for (const auto* kv : hits) {
      resp::AppendBulk(out, kv->first);
      resp::AppendBulk(out, kv->second);
    }
  } else if (sub == "set" && argv.size() >= 4 && argv.size() % 2 == 0) {
    // All or none (configSetCommand): every pair is checked first.
    std::vector<std::pair<std::string, std::string>> pairs;
    for (size_t i = 2; i + 1 < argv.size(); i += 2) {
      const std::string name = CanonicalConfigName(argv[i]);
      if (name.empty()) {
        resp::AppendError(out, "ERR Unknown option or number of arguments for CONFIG SET - '" +
                                   argv[i].substr(0, 128) + "'");
        return;
      }
      std::string why;
      if (std::any_of(pairs.begin(), pairs.end(), [&](const auto& p) { return p.first == name; }))
        why = "duplicate parameter";
      else if (Immutable(name)) why = "can't set immutable config";
      else if (SetWithEffect(name)) why = SetEngineSetting(state.config, name, argv[i + 1], false);
      if (!why.empty()) {
        resp::AppendError(out, "ERR CONFIG SET failed (possibly related to argument '" +
                                   argv[i].substr(0, 128) + "') - " + why);
        return;
      }
      pairs.emplace_back(name, argv[i + 1]);
    }
    const EngineConfig backup = state.config;
    const std::map<std::string, std::string> accepted_backup = state.accepted;
    const bool was_appendonly = state.config.appendonly;
    const AofFsync was_fsync = state.config.appendfsync;
    const std::string was_hostname = state.config.announce_hostname;
    for (const auto& [name, value] : pairs) {
      if (SetWithEffect(name)) SetEngineSetting(state.config, name, value, true);
      else state.accepted[name] = value;
    }
    if (state.aof_changed &&
        (was_appendonly != state.config.appendonly || was_fsync != state.config.appendfsync)) {
      if (const std::string why = state.aof_changed(was_appendonly, was_fsync); !why.empty()) {
        // configSetCommand: an apply function failed, so every value set
        // goes back (restoreBackupConfig) and the reply names the config
        // whose apply failed.
        state.config = backup;
        state.accepted = accepted_backup;
        // Only appendonly's apply (updateAppendonly) can fail.
        resp::AppendError(out, "ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + why);
        return;
      }
    }
    if (state.announce_hostname_changed && was_hostname != state.config.announce_hostname)
      state.announce_hostname_changed();
    resp::AppendSimple(out, "OK");
  } else if (sub == "set") {
    resp::AppendError(out, "ERR wrong number of arguments for 'config|set' command");
  } else if (sub == "resetstat" && argv.size() == 2) {
    if (state.reset_stats) state.reset_stats();
    resp::AppendSimple(out, "OK");
  } else if (sub == "rewrite" && argv.size() == 2) {
    if (!state.rewrite) {
      resp::AppendError(out, "ERR The server is running without a config file");
      return;
    }
    // What SET changed or was told: the settings with an effect, and the
    // accepted ones.
    std::vector<std::pair<std::string, std::string>> settings;
    for (const auto& kv : EngineSettings(state.config))
      if (SetWithEffect(kv.first)) settings.push_back(kv);
    for (const auto& kv : state.accepted) settings.push_back(kv);
    const std::string error = state.rewrite(settings);
    if (error.empty()) resp::AppendSimple(out, "OK");
    else resp::AppendError(out, "ERR Rewriting config file: " + error);
  } else {
    resp::AppendError(out, "ERR unknown subcommand or wrong number of arguments for '" +
                               argv[1].substr(0, 128) + "'. Try CONFIG HELP.");
  }
}

}  // namespace slotsim
