// Output formats Redis tooling parses: CLUSTER NODES
// (clusterGenNodeDescription), CLUSTER SLOTS (clusterReplyMultiBulkSlots),
// CLUSTER SHARDS (clusterReplyShards) and CLUSTER INFO.
#include <algorithm>
#include <charconv>

#include "engine/cluster.h"
#include "engine/slot_ranges.h"

namespace slotsim {
namespace {

// representClusterNodeFlags, appended to *out.
void AppendFlags(uint32_t f, std::string* out) {
  bool any = false;
  auto add = [&](uint32_t bit, std::string_view name) {
    if (!(f & bit)) return;
    if (any) out->push_back(',');
    out->append(name);
    any = true;
  };
  add(kNodeMyself, "myself");
  add(kNodePrimary, "master");
  add(kNodeReplica, "slave");
  add(kNodePfail, "fail?");
  add(kNodeFail, "fail");
  add(kNodeHandshake, "handshake");
  add(kNodeNoAddr, "noaddr");
  add(kNodeNoFailover, "nofailover");
  if (!any) out->append("noflags");
}

}  // namespace

std::string_view Cluster::PreferredEndpoint(const ClusterNode& n) const {
  switch (config_.preferred_endpoint) {
    case slotsim::PreferredEndpoint::kIp: return n.ip;
    case slotsim::PreferredEndpoint::kHostname:
      return n.hostname.empty() ? std::string_view("?") : std::string_view(n.hostname);
    case slotsim::PreferredEndpoint::kUnknown: return "";
  }
  return n.ip;
}

void Cluster::AppendSlotsNode(const ClusterNode& n, std::string* out) const {
  // The preferred endpoint, port, id, then a map (a flat array in RESP2)
  // of the other endpoints known: the ip unless it came first, the
  // hostname unless it came first or is not known.
  const auto type = config_.preferred_endpoint;
  resp::AppendArrayHeader(out, 4);
  if (type == slotsim::PreferredEndpoint::kUnknown) resp::AppendNullBulk(out);
  else resp::AppendBulk(out, PreferredEndpoint(n));
  resp::AppendInteger(out, n.port);
  resp::AppendBulk(out, n.name);
  const bool add_ip = type != slotsim::PreferredEndpoint::kIp;
  const bool add_hostname = type != slotsim::PreferredEndpoint::kHostname && !n.hostname.empty();
  resp::AppendArrayHeader(out, 2 * (int{add_ip} + int{add_hostname}));
  if (add_ip) {
    resp::AppendBulk(out, "ip");
    resp::AppendBulk(out, n.ip);
  }
  if (add_hostname) {
    resp::AppendBulk(out, "hostname");
    resp::AppendBulk(out, n.hostname);
  }
}

void Cluster::AppendLinksReply(std::string* out) const {
  int64_t count = 0;
  for (const auto& [name, n] : nodes_)
    count += (n->link != kNoConn) + (n->inbound_link != kNoConn);
  resp::AppendArrayHeader(out, count);
  for (const auto& [name, n] : nodes_) {
    for (const ConnId conn : {n->link, n->inbound_link}) {
      if (conn == kNoConn) continue;
      auto it = links_.find(conn);
      SLOTSIM_CHECK(it != links_.end());
      const size_t unsent = env_.UnsentBytes(conn);
      resp::AppendArrayHeader(out, 12);
      resp::AppendBulk(out, "direction");
      resp::AppendBulk(out, it->second->inbound ? "from" : "to");
      resp::AppendBulk(out, "node");
      resp::AppendBulk(out, n->name);
      resp::AppendBulk(out, "create-time");
      resp::AppendInteger(out, it->second->ctime_ms);
      // Always read; written to while a send buffer waits.
      resp::AppendBulk(out, "events");
      resp::AppendBulk(out, unsent > 0 ? "rw" : "r");
      resp::AppendBulk(out, "send-buffer-allocated");
      resp::AppendInteger(out, static_cast<int64_t>(unsent));
      resp::AppendBulk(out, "send-buffer-used");
      resp::AppendInteger(out, static_cast<int64_t>(unsent));
    }
  }
}

// clusterGenNodeDescription's nodeEpoch: a replica shows its primary's
// configEpoch, in CLUSTER NODES and in nodes.conf alike.
uint64_t Cluster::NodeEpoch(const ClusterNode& n) const {
  if (n.IsReplica() && !n.primary_name.empty())
    if (const ClusterNode* p = LookupNode(n.primary_name)) return p->config_epoch;
  return n.config_epoch;
}

void Cluster::FormatNodeLine(const ClusterNode& n, std::string* out) const {
  // Appended in place, with no temporaries: every nodes.conf save writes
  // a line per known node (issue 16: most of a 200-node formation).
  auto number = [out](auto v) {
    char buf[24];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out->append(buf, end);
  };
  out->append(n.name).append(" ").append(n.ip).append(":");
  number(n.port);
  out->append("@");
  number(n.cport);
  if (!n.hostname.empty()) out->append(",").append(n.hostname);
  out->push_back(' ');
  AppendFlags(n.flags, out);
  out->push_back(' ');
  out->append(n.primary_name.empty() ? std::string_view("-") : std::string_view(n.primary_name));
  out->append(" ");
  number(n.ping_sent_ms);
  out->append(" ");
  number(n.pong_received_ms);
  out->append(" ");
  number(NodeEpoch(n));
  const bool connected = n.IsMyself() || n.link != kNoConn || n.inbound_link != kNoConn;
  out->append(connected ? " connected" : " disconnected");
  // Replicas show no slots; their primary's line carries them.
  if (n.IsPrimary()) {
    if (n.slots_version_formatted != n.slots_version) {
      n.slots_formatted = FormatSlotRanges(n.slots, " ");
      n.slots_version_formatted = n.slots_version;
    }
    if (!n.slots_formatted.empty()) out->append(" ").append(n.slots_formatted);
  }
}

void Cluster::AppendNodeDescription(const ClusterNode& n, std::string* out) const {
  const bool connected = n.IsMyself() || n.link != kNoConn || n.inbound_link != kNoConn;
  const ClusterNode::LineOf of{n.flags,           n.port,          n.cport,
                               n.ping_sent_ms,    n.pong_received_ms, NodeEpoch(n),
                               n.IsPrimary() ? n.slots_version : 0, connected};
  const bool fresh = of == n.line_of && n.line_ip == n.ip && n.line_hostname == n.hostname &&
                     n.line_primary_name == n.primary_name && n.line.size() > n.name.size() &&
                     n.line.compare(0, n.name.size(), n.name) == 0 &&
                     n.line[n.name.size()] == ' ';
  if (!fresh) {
    n.line.clear();
    FormatNodeLine(n, &n.line);
    n.line_of = of;
    n.line_ip = n.ip;
    n.line_hostname = n.hostname;
    n.line_primary_name = n.primary_name;
  }
  out->append(n.line);
  if (n.IsMyself()) out->append(OpenSlotsDescription());
}

std::string Cluster::NodeDescription(const ClusterNode& n) const {
  std::string s;
  AppendNodeDescription(n, &s);
  return s;
}

std::string Cluster::NodesDescription() const {
  std::string out;
  for (const auto& [name, n] : nodes_) {
    AppendNodeDescription(*n, &out);
    out += '\n';
  }
  return out;
}

void Cluster::AppendSlotsReply(std::string* out) const {
  // One entry per contiguous range of one owner, in slot order.
  struct Range { int start, end; const ClusterNode* owner; };
  std::vector<Range> ranges;
  for (int j = 0; j < kClusterSlots; ++j) {
    const ClusterNode* o = slots_[j];
    if (o == nullptr) continue;
    if (!ranges.empty() && ranges.back().owner == o && ranges.back().end == j - 1)
      ranges.back().end = j;
    else
      ranges.push_back({j, j, o});
  }
  resp::AppendArrayHeader(out, static_cast<int64_t>(ranges.size()));
  for (const auto& r : ranges) {
    std::vector<const ClusterNode*> replicas;
    for (const auto& rn : r.owner->replica_names) {
      const ClusterNode* n = LookupNode(rn);
      if (n != nullptr && !n->InHandshake() && ReplicaAvailable(*n)) replicas.push_back(n);
    }
    resp::AppendArrayHeader(out, 3 + static_cast<int64_t>(replicas.size()));
    resp::AppendInteger(out, r.start);
    resp::AppendInteger(out, r.end);
    AppendSlotsNode(*r.owner, out);
    for (const ClusterNode* n : replicas) AppendSlotsNode(*n, out);
  }
}

int64_t Cluster::KnownReplOffset(const ClusterNode& n) const {
  // Nodes do not track their own offset in the node table: myself's is
  // the replication layer's (master_repl_offset, or the offset a replica
  // reports).
  return n.IsMyself() ? (hooks_.repl_offset ? hooks_.repl_offset() : 0) : n.repl_offset;
}

bool Cluster::ReplicaAvailable(const ClusterNode& n) const {
  // isReplicaAvailable: not failed, and past its initial sync.
  return !n.Failed() && KnownReplOffset(n) != 0;
}

void Cluster::AppendShardNode(const ClusterNode& n, std::string* out) const {
  const int64_t offset = KnownReplOffset(n);
  // A replica that reports offset 0 has no data set yet: Redis calls it
  // loading (a full sync in progress).
  const char* health = n.Failed() ? "fail" : (n.IsReplica() && offset == 0) ? "loading" : "online";
  const bool has_hostname = !n.hostname.empty();
  resp::AppendArrayHeader(out, 2 * (7 + int{has_hostname}));
  resp::AppendBulk(out, "id");
  resp::AppendBulk(out, n.name);
  resp::AppendBulk(out, "port");
  resp::AppendInteger(out, n.port);
  resp::AppendBulk(out, "ip");
  resp::AppendBulk(out, n.ip);
  resp::AppendBulk(out, "endpoint");
  resp::AppendBulk(out, PreferredEndpoint(n));
  if (has_hostname) {
    resp::AppendBulk(out, "hostname");
    resp::AppendBulk(out, n.hostname);
  }
  resp::AppendBulk(out, "role");
  resp::AppendBulk(out, n.IsReplica() ? "replica" : "master");
  resp::AppendBulk(out, "replication-offset");
  resp::AppendInteger(out, offset);
  resp::AppendBulk(out, "health");
  resp::AppendBulk(out, health);
}

void Cluster::AppendShardsReply(std::string* out) const {
  // A shard is a primary with its replicas; ordered by first slot, then
  // slotless shards by name.
  std::vector<const ClusterNode*> primaries;
  for (const auto& [name, n] : nodes_)
    if (n->IsPrimary() && !n->InHandshake()) primaries.push_back(n.get());
  auto first_slot = [](const ClusterNode* n) {
    for (int j = 0; j < kClusterSlots; ++j)
      if (n->slots.test(j)) return j;
    return kClusterSlots;
  };
  std::stable_sort(primaries.begin(), primaries.end(),
                   [&](const ClusterNode* a, const ClusterNode* b) {
                     return first_slot(a) < first_slot(b);
                   });
  resp::AppendArrayHeader(out, static_cast<int64_t>(primaries.size()));
  for (const ClusterNode* p : primaries) {
    resp::AppendArrayHeader(out, 4);
    resp::AppendBulk(out, "slots");
    auto ranges = SlotRanges(p->slots);
    resp::AppendArrayHeader(out, 2 * static_cast<int64_t>(ranges.size()));
    for (const auto& [a, b] : ranges) {
      resp::AppendInteger(out, a);
      resp::AppendInteger(out, b);
    }
    resp::AppendBulk(out, "nodes");
    std::vector<const ClusterNode*> members{p};
    for (const auto& rn : p->replica_names)
      if (const ClusterNode* n = LookupNode(rn)) members.push_back(n);
    resp::AppendArrayHeader(out, static_cast<int64_t>(members.size()));
    for (const ClusterNode* n : members) AppendShardNode(*n, out);
  }
}

std::string Cluster::InfoSection() const {
  int assigned = 0, ok = 0, pfail = 0, fail = 0;
  for (int j = 0; j < kClusterSlots; ++j) {
    const ClusterNode* n = slots_[j];
    if (n == nullptr) continue;
    ++assigned;
    if (n->Failed()) ++fail;
    else if (n->TimedOut()) ++pfail;
    else ++ok;
  }
  int64_t sent = 0, received = 0;
  for (int t = 0; t < ClusterStats::kMessageTypes; ++t) {
    sent += stats_.messages_sent[t];
    received += stats_.messages_received[t];
  }
  std::string s;
  auto line = [&](const std::string& k, const std::string& v) {
    s += k + ":" + v + "\r\n";
  };
  line("cluster_state", state_ == ClusterHealth::kOk ? "ok" : "fail");
  line("cluster_slots_assigned", std::to_string(assigned));
  line("cluster_slots_ok", std::to_string(ok));
  line("cluster_slots_pfail", std::to_string(pfail));
  line("cluster_slots_fail", std::to_string(fail));
  line("cluster_known_nodes", std::to_string(nodes_.size()));
  line("cluster_size", std::to_string(size_));
  line("cluster_current_epoch", std::to_string(current_epoch_));
  line("cluster_my_epoch", std::to_string(
      myself_->IsPrimary() ? myself_->config_epoch
                           : (LookupNode(myself_->primary_name)
                                  ? LookupNode(myself_->primary_name)->config_epoch
                                  : 0)));
  static const char* kTypeNames[] = {"ping", "pong", "meet", "fail", "publish",
                                     "auth-req", "auth-ack", "update",
                                     "mfstart", "module", "publishshard"};
  for (int t = 0; t < ClusterStats::kMessageTypes; ++t)
    if (stats_.messages_sent[t])
      line(std::string("cluster_stats_messages_") + kTypeNames[t] + "_sent",
           std::to_string(stats_.messages_sent[t]));
  line("cluster_stats_messages_sent", std::to_string(sent));
  for (int t = 0; t < ClusterStats::kMessageTypes; ++t)
    if (stats_.messages_received[t])
      line(std::string("cluster_stats_messages_") + kTypeNames[t] +
               "_received",
           std::to_string(stats_.messages_received[t]));
  line("cluster_stats_messages_received", std::to_string(received));
  line("slotsim_bus_frames_dropped",
       std::to_string(stats_.bus_frames_dropped));
  line("total_cluster_links_buffer_limit_exceeded",
       std::to_string(stats_.links_buffer_limit_exceeded));
  return s;
}

}  // namespace slotsim
