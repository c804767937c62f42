// What one node knows about one cluster node (Redis's clusterNode).
#pragma once

#include <bitset>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "engine/env.h"
#include "engine/keyslot.h"

namespace slotsim {

// CLUSTER_NODE_* flag bits, same values as Redis (they travel on the bus).
enum NodeFlag : uint32_t {
  kNodePrimary = 1,
  kNodeReplica = 2,
  kNodePfail = 4,
  kNodeFail = 8,
  kNodeMyself = 16,
  kNodeHandshake = 32,
  kNodeNoAddr = 64,
  kNodeMeet = 128,
  kNodeMigrateTo = 256,
  kNodeNoFailover = 512,
};

using SlotBitmap = std::bitset<kClusterSlots>;

struct ClusterNode {
  std::string name;            // 40 hex chars
  uint32_t flags = 0;
  uint64_t config_epoch = 0;
  std::string ip;
  // Its cluster-announce-hostname, "" if none: myself's from the config,
  // a peer's only from its own pings (clusterProcessPingExt), never from
  // gossip about it.
  std::string hostname;
  uint16_t port = 0;
  uint16_t cport = 0;
  // Slots this node claims, as we know them. Changed only by
  // Cluster::AddSlot and DelSlot, which bump slots_version.
  SlotBitmap slots;
  int numslots = 0;
  uint64_t slots_version = 0;
  // CLUSTER NODES' slot list for `slots`, as of slots_version_formatted:
  // every nodes.conf save lists every node, so an unchanged node is not
  // scanned again (issue 16: a third of a 200-node formation).
  mutable std::string slots_formatted;
  mutable uint64_t slots_version_formatted = UINT64_MAX;
  // Its whole CLUSTER NODES line (without the open slots only myself
  // shows), as of `line_of`: every nodes.conf save lists every node, and
  // between two saves most lines do not change (issue 16: formatting was
  // a tenth of a 400-node formation).
  struct LineOf {
    uint32_t flags = 0;
    uint16_t port = 0, cport = 0;
    int64_t ping_sent_ms = -1, pong_received_ms = -1;
    uint64_t config_epoch = 0, slots_version = 0;
    bool connected = false;
    bool operator==(const LineOf&) const = default;
  };
  mutable std::string line;
  mutable LineOf line_of;
  mutable std::string line_ip, line_hostname, line_primary_name;
  std::string primary_name;    // if a replica: its primary; else empty
  std::vector<std::string> replica_names;  // sorted
  int64_t ctime_ms = 0;        // when we created this record
  int64_t ping_sent_ms = 0;    // 0: no ping pending
  int64_t pong_received_ms = 0;
  int64_t data_received_ms = 0;
  int64_t repl_offset = 0;
  int64_t fail_time_ms = 0;     // when we flagged it FAIL
  int64_t voted_time_ms = 0;    // last vote for one of its replicas
  // Since when it has been an orphaned primary (no working replica, slots,
  // and kNodeMigrateTo), as a replica considering migration saw it; 0: not
  // orphaned (clusterHandleSlaveMigration's orphaned_time).
  int64_t orphaned_time_ms = 0;
  // Failure reports: primaries that said this node is PFAIL/FAIL, with
  // when they last said it (clusterNodeFailReport).
  std::map<std::string, int64_t> fail_reports;
  ConnId link = kNoConn;          // our outbound bus link to it
  int64_t link_ctime_ms = 0;
  ConnId inbound_link = kNoConn;  // its bus link to us

  bool IsPrimary() const { return flags & kNodePrimary; }
  bool IsReplica() const { return flags & kNodeReplica; }
  bool InHandshake() const { return flags & kNodeHandshake; }
  bool IsMyself() const { return flags & kNodeMyself; }
  bool TimedOut() const { return flags & kNodePfail; }
  bool Failed() const { return flags & kNodeFail; }
};

}  // namespace slotsim
