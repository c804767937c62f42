// Engine settings: the subset of redis.conf that the cluster engine reads.
#pragma once

#include <cstdint>
#include <string>

#include "engine/cost_model.h"
#include "engine/resp.h"

namespace slotsim {

// appendfsync.
enum class AofFsync { kAlways, kEverySec, kNo };

// cluster-preferred-endpoint-type: what CLUSTER SLOTS, CLUSTER SHARDS'
// "endpoint" and MOVED/ASK name a node by (getPreferredEndpoint).
enum class PreferredEndpoint { kIp, kHostname, kUnknown };

// CONFIG_REPL_BACKLOG_MIN_SIZE: a smaller repl-backlog-size is raised to it.
inline constexpr int64_t kReplBacklogMinBytes = 16 * 1024;

struct EngineConfig {
  // The address this node announces to peers and in redirects
  // (cluster-announce-ip).
  std::string announce_ip = "127.0.0.1";
  // cluster-announce-hostname: a name clients may use instead of the ip;
  // "" for none. Peers learn it only from this node's own pings.
  std::string announce_hostname;
  PreferredEndpoint preferred_endpoint = PreferredEndpoint::kIp;
  uint16_t port = 6379;
  // Cluster bus port; 0 means port + 10000, as Redis does.
  uint16_t cport = 0;
  // cluster-node-timeout.
  int64_t node_timeout_ms = 15000;
  // cluster-require-full-coverage.
  bool require_full_coverage = true;
  // cluster-allow-reads-when-down.
  bool allow_reads_when_down = false;
  // cluster-allow-pubsubshard-when-down: shard channels are served while
  // the cluster is down (Redis 7.0's default).
  bool allow_pubsubshard_when_down = true;
  // cluster-replica-no-failover: a replica never starts an election of its
  // own (a manual failover still works), and says so with the nofailover
  // flag.
  bool replica_no_failover = false;
  // cluster-migration-barrier: a replica migrates to an orphaned primary
  // only if its own primary keeps more than this many working replicas.
  int64_t migration_barrier = 1;
  // cluster-allow-replica-migration: replicas may migrate to orphaned
  // primaries, and a primary that loses its last slot to another primary
  // becomes that primary's replica.
  bool allow_replica_migration = true;
  // cluster-link-sendbuf-limit: a bus link whose unsent bytes exceed this
  // is freed (and reconnected by the cron); 0: no limit.
  int64_t link_sendbuf_limit_bytes = 0;
  // The period of clusterCron (Redis: 100 ms, from serverCron at hz 10).
  int64_t cron_period_ms = 100;
  RespLimits resp_limits;
  // client-query-buffer-limit: a client whose unparsed input exceeds this
  // is disconnected.
  size_t client_query_buffer_bytes_max = 1ULL << 30;
  // maxclients.
  int clients_max = 10000;
  // repl-backlog-size (at least kReplBacklogMinBytes, as
  // resizeReplicationBacklog raises it).
  int64_t repl_backlog_bytes = 1 << 20;
  // key-load-delay, a debug setting Redis's tests use to make loading
  // slow: microseconds per key a full sync loads; -N is 1 us every N keys
  // (debugDelay's statistical sleep, here exact). 0: loading is instant.
  int64_t key_load_delay_us = 0;
  // repl-ping-replica-period, in ms (Redis configures seconds).
  int64_t repl_ping_period_ms = 10000;
  // repl-timeout.
  int64_t repl_timeout_ms = 60000;
  // repl-diskless-sync-delay (Redis 7 defaults to diskless sync, delayed
  // 5 s so that several replicas can share one transfer).
  int64_t repl_diskless_sync_delay_ms = 5000;
  // cluster-replica-validity-factor.
  int64_t replica_validity_factor = 10;
  // appendonly / appendfsync: the data log, and when it reaches the disk.
  bool appendonly = false;
  AofFsync appendfsync = AofFsync::kEverySec;
  // With appendfsync no, the OS writes dirty pages back on its own
  // schedule; Linux's dirty_expire_centisecs defaults to 30 s.
  int64_t os_writeback_ms = 30000;
  // What work costs the node's single thread (see cost_model.h).
  CostModel cost;
  // MIGRATE's cached connections idle this long are closed
  // (MIGRATE_SOCKET_CACHE_TTL), and at most this many are kept
  // (MIGRATE_SOCKET_CACHE_ITEMS).
  int64_t migrate_socket_ttl_ms = 10000;
  size_t migrate_sockets_max = 64;
  // Atomic migration (slot_migration.h): snapshot chunk size, bytes in
  // flight to the target, concurrent jobs, how long the target waits for
  // a replica to hold the batch, and how long the source keeps writes
  // paused waiting for the takeover (0: 2 x node_timeout + 2 s, long
  // enough for the target to fail over and its replica to finish).
  int64_t slot_migration_chunk_bytes = 64 * 1024;
  int64_t slot_migration_window_bytes = 256 * 1024;
  int slot_migration_jobs_max = 16;
  int64_t slot_migration_replica_ack_timeout_ms = 1000;
  int64_t slot_migration_handoff_timeout_ms = 0;

  // dbfilename: what SAVE writes and a node with appendonly no loads at
  // start (a name in the node's directory). save_on_shutdown: save points
  // are configured (Redis's default; `save ""` clears them), so a clean
  // shutdown saves the data set.
  std::string dbfilename = "dump.rdb";
  bool save_on_shutdown = true;

  uint16_t bus_port() const {
    return cport != 0 ? cport : static_cast<uint16_t>(port + 10000);
  }
};

}  // namespace slotsim
