// `slotsim node`: one engine node on real sockets, files and clock.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/trace.h"

namespace slotsim {

struct NodeOptions {
  uint16_t port = 6379;
  uint16_t bus_port = 0;          // 0: port + 10000
  std::string dir;                // data directory (created if missing)
  std::string bind = "127.0.0.1";
  std::string announce_ip;        // "": the bind address (127.0.0.1 for 0.0.0.0)
  std::string announce_hostname;  // cluster-announce-hostname ("": none)
  std::string preferred_endpoint = "ip";  // cluster-preferred-endpoint-type
  int64_t node_timeout_ms = 15000;
  bool appendonly = false;
  bool save_on_shutdown = true;          // save points configured (`save ""`: none)
  std::string dbfilename = "dump.rdb";   // SAVE's file in `dir`
  std::string appendfsync = "everysec";  // always | everysec | no
  int64_t replica_validity_factor = 10;  // cluster-replica-validity-factor
  bool require_full_coverage = true;     // cluster-require-full-coverage
  bool allow_reads_when_down = false;    // cluster-allow-reads-when-down
  bool replica_no_failover = false;      // cluster-replica-no-failover
  int64_t migration_barrier = 1;         // cluster-migration-barrier
  int64_t link_sendbuf_limit_bytes = 0;  // cluster-link-sendbuf-limit
  int64_t repl_diskless_sync_delay_ms = 5000;  // repl-diskless-sync-delay (seconds there)
  bool allow_replica_migration = true;   // cluster-allow-replica-migration
  int64_t repl_backlog_bytes = 1 << 20;  // repl-backlog-size
  int64_t key_load_delay_us = 0;         // key-load-delay
  // Redis's log lines go here (appended); "": standard output.
  std::string logfile;
  // The config file (an absolute path) CONFIG REWRITE writes; "": none.
  std::string config_file;
  // Lines for the log once it is open (what the config file left unused).
  std::vector<std::string> startup_notes;
};

// Runs the node until SIGTERM or SIGINT, then shuts down cleanly (data log
// and cluster config made durable, sockets closed). `trace`, if not null,
// receives the engine's trace records. Returns 0 after a clean stop; 2 with
// *error if the node cannot start (port taken, unreadable directory, a
// corrupt nodes.conf).
int RunNode(const NodeOptions& options, TraceSink* trace, std::string* error);

}  // namespace slotsim
