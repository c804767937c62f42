// clusterCron: every cron_period_ms (100 ms in Redis). Reconnects links,
// pings, times out handshakes, and marks PFAIL.
#include <algorithm>

#include "engine/check.h"
#include "engine/cluster.h"

namespace slotsim {

void Cluster::ScheduleCron(int64_t delay_ms) {
  env_.AddTimer(delay_ms, "clusterCron", [this] {
    if (!(hooks_.loading && hooks_.loading())) Cron();
    ScheduleCron(config_.cron_period_ms);
    AfterEvent();
  });
}

void Cluster::FreeLinksOverSendBufferLimit(ClusterNode* node) {
  if (config_.link_sendbuf_limit_bytes == 0) return;
  for (const ConnId conn : {node->link, node->inbound_link}) {
    if (conn == kNoConn) continue;
    const size_t unsent = env_.UnsentBytes(conn);
    if (unsent <= static_cast<size_t>(config_.link_sendbuf_limit_bytes)) continue;
    TraceNodeEvent("LinkSendBufferLimit", *node, "unsent=" + std::to_string(unsent));
    FreeLink(conn);
    stats_.links_buffer_limit_exceeded++;
  }
}

void Cluster::Cron() {
  const int64_t now = env_.NowMs();
  const int64_t node_timeout = config_.node_timeout_ms;
  const int64_t handshake_timeout = std::max<int64_t>(node_timeout, 1000);
  cron_iteration_++;
  stats_pfail_nodes_ = 0;

  // Snapshot the names first: the loop may delete nodes.
  std::vector<ClusterNode*> all = NodesInOrder();

  for (ClusterNode* node : all) {
    FreeLinksOverSendBufferLimit(node);
    if (node->flags & (kNodeMyself | kNodeNoAddr)) continue;
    if (node->flags & kNodePfail) stats_pfail_nodes_++;
    // A handshake has the node timeout to complete.
    if (node->InHandshake() && now - node->ctime_ms > handshake_timeout) {
      TraceNodeEvent("HandshakeTimeout", *node);
      DelNode(node);
      continue;
    }
    // clusterNodeCronHandleReconnect: start connecting; the first PING or
    // MEET goes out when the connection completes (OnBusConnected). A
    // refused connect leaves ping_sent as it was, so a dead peer is
    // suspected only once its pong is older than node_timeout/2 and the
    // loop below pings the pending link (Redis's connect is asynchronous
    // even on loopback, so its synchronous-error branch never runs there).
    if (node->link == kNoConn) ConnectLink(node);
  }
  all = NodesInOrder();

  // Once a second, ping the node with the oldest pong among 5 random ones.
  if (cron_iteration_ % 10 == 0 && !all.empty()) {
    ClusterNode* min_pong_node = nullptr;
    int64_t min_pong = 0;
    for (int j = 0; j < 5; ++j) {
      ClusterNode* n = all[env_.RandomBelow(all.size())];
      if (n->link == kNoConn || n->ping_sent_ms != 0 ||
          (n->flags & (kNodeMyself | kNodeHandshake)))
        continue;
      if (min_pong_node == nullptr || min_pong > n->pong_received_ms) {
        min_pong_node = n;
        min_pong = n->pong_received_ms;
      }
    }
    if (min_pong_node != nullptr) SendPing(min_pong_node->link, bus::PING);
  }

  // For replica migration: primaries with slots but no working replica
  // that once had one, the most working replicas any primary has, and how
  // many mine has (clusterCron).
  int orphaned_primaries = 0, max_replicas = 0, this_replicas = 0;
  for (ClusterNode* node : all) {
    if (node->flags & (kNodeMyself | kNodeNoAddr | kNodeHandshake)) continue;
    if (myself_->IsReplica() && node->IsPrimary() && !node->Failed()) {
      const int ok = CountNonFailingReplicas(*node);
      if (ok == 0 && node->numslots > 0 && (node->flags & kNodeMigrateTo)) orphaned_primaries++;
      max_replicas = std::max(max_replicas, ok);
      if (myself_->primary_name == node->name) this_replicas = ok;
    }
    const int64_t ping_delay = now - node->ping_sent_ms;
    const int64_t data_delay = now - node->data_received_ms;
    // A link that carries nothing for half the timeout may be stuck:
    // reconnect while the node is still within its timeout.
    if (node->link != kNoConn && now - node->link_ctime_ms > node_timeout &&
        node->ping_sent_ms != 0 && ping_delay > node_timeout / 2 &&
        data_delay > node_timeout / 2) {
      TraceNodeEvent("LinkReconnect", *node);
      FreeLink(node->link);
    }
    // No ping pending and the last pong is older than half the timeout:
    // ping now, so every node is pinged well within the timeout.
    if (node->link != kNoConn && node->ping_sent_ms == 0 &&
        now - node->pong_received_ms > node_timeout / 2) {
      SendPing(node->link, bus::PING);
      continue;
    }
    // A primary in a manual failover pings the replica continuously
    // (after the checks above, in clusterCron's order).
    if (mf_end_ms_ != 0 && myself_->IsPrimary() && node->name == mf_replica_ &&
        node->link != kNoConn) {
      SendPing(node->link, bus::PING);
      continue;
    }
    if (node->ping_sent_ms == 0) continue;
    // PFAIL: waiting for the PONG longer than the timeout, and no other
    // data from the node either.
    const int64_t node_delay = std::min(ping_delay, data_delay);
    if (node_delay > node_timeout && !(node->flags & (kNodePfail | kNodeFail))) {
      node->flags |= kNodePfail;
      todo_update_state_ = true;
      TraceNodeEvent("PfailSet", *node,
                     "delay_ms=" + std::to_string(node_delay));
    }
  }
  // manualFailoverCheckTimeout.
  if (mf_end_ms_ != 0 && mf_end_ms_ < now) {
    env_.HitProbe(Probe::kManualFailoverTimeout);
    env_.Trace({"ManualFailoverTimeout", "", "", ""});
    ResetManualFailover();
  }
  if (myself_->IsReplica()) {
    HandleManualFailover();
    HandleReplicaFailover();
    // Migration needs a primary with at least two working replicas to take
    // one from, and me among that primary's replicas.
    if (orphaned_primaries > 0 && max_replicas >= 2 && this_replicas == max_replicas &&
        config_.allow_replica_migration)
      HandleReplicaMigration(max_replicas);
  }
  if (state_ == ClusterHealth::kFail) todo_update_state_ = true;
}

}  // namespace slotsim
