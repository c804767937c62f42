// The cluster bus: links, PING/PONG/MEET with gossip, and packet
// processing (cluster_legacy.c: clusterSendPing, clusterProcessPacket,
// clusterProcessGossipSection).
#include <algorithm>

#include "engine/check.h"
#include "engine/cluster.h"
#include "engine/slot_ranges.h"

namespace slotsim {
namespace {

const char* TypeName(bus::MessageType t) {
  return bus::MessageType_Name(t).c_str();
}

}  // namespace

std::string Cluster::PeerAddr(const ClusterNode* node) {
  if (node == nullptr || node->ip.empty()) return "";
  return node->ip + ":" + std::to_string(node->port);
}

// ---- Links -----------------------------------------------------------------

void Cluster::ConnectLink(ClusterNode* node) {
  SLOTSIM_CHECK(node->link == kNoConn);
  ConnId conn = env_.Connect(node->ip, node->cport);
  auto link = std::make_unique<BusLink>();
  link->conn = conn;
  link->node = node;
  link->ctime_ms = env_.NowMs();
  links_.emplace(conn, std::move(link));
  node->link = conn;
  node->link_ctime_ms = env_.NowMs();
}

void Cluster::FreeLink(ConnId conn) { DropLink(conn, /*close=*/true); }

// Forgets a link and detaches it from its node; `close` also closes the
// connection (false when the peer already closed it).
void Cluster::DropLink(ConnId conn, bool close) {
  auto it = links_.find(conn);
  if (it == links_.end()) return;
  BusLink* link = it->second.get();
  if (link->node != nullptr) {
    if (link->node->link == conn) link->node->link = kNoConn;
    if (link->node->inbound_link == conn) link->node->inbound_link = kNoConn;
  }
  if (close) env_.Close(conn);
  links_.erase(it);
}

void Cluster::OnBusAccept(ConnId conn) {
  auto link = std::make_unique<BusLink>();
  link->conn = conn;
  link->inbound = true;
  link->ctime_ms = env_.NowMs();
  links_.emplace(conn, std::move(link));
}

void Cluster::OnBusConnected(ConnId conn) {
  // clusterLinkConnectHandler: a PING (MEET to a node met by CLUSTER MEET)
  // at once, so the peer hears from us before failure detection could
  // misjudge it; a ping already outstanding keeps its time, so a
  // reconnect never hides a failure.
  auto it = links_.find(conn);
  if (it == links_.end() || it->second->node == nullptr) return;
  ClusterNode* node = it->second->node;
  if (node->link != conn) return;
  const int64_t old_ping_sent = node->ping_sent_ms;
  SendPing(conn, (node->flags & kNodeMeet) ? bus::MEET : bus::PING);
  if (old_ping_sent != 0) node->ping_sent_ms = old_ping_sent;
  // Cleared after the first message: a node that never answers is never
  // sent another MEET.
  node->flags &= ~kNodeMeet;
}

void Cluster::OnBusClosed(ConnId conn) { DropLink(conn, /*close=*/false); }

void Cluster::OnBusData(ConnId conn, std::string_view bytes) {
  auto it = links_.find(conn);
  if (it == links_.end()) return;
  BusLink* link = it->second.get();
  link->decoder.Feed(bytes);
  bus::BusMessage& msg = received_scratch_;
  // Each iteration consumes a frame; a delivery holds a bounded number.
  for (int frames = 0;; ++frames) {
    SLOTSIM_CHECK(frames <= 1 << 20);
    BusDecodeStatus st = link->decoder.Next(&msg);
    if (st == BusDecodeStatus::kIncomplete) return;
    if (st == BusDecodeStatus::kBroken) {
      stats_.bus_links_broken++;
      env_.Trace({"BusLinkBroken", PeerAddr(link->node), "",
                  "reason=" + link->decoder.drop_reason()});
      FreeLink(conn);
      return;
    }
    if (st == BusDecodeStatus::kDropped) {
      stats_.bus_frames_dropped++;
      env_.Trace({"BusFrameDropped", PeerAddr(link->node), "",
                  "reason=" + link->decoder.drop_reason()});
      continue;
    }
    ProcessPacket(link, msg);
    // Processing may free this link (e.g. a node id mismatch).
    if (links_.count(conn) == 0) return;
  }
}

void Cluster::SendMessage(ConnId conn, const bus::BusMessage& msg) {
  const auto type = msg.header().type();
  stats_.messages_sent[type]++;
  env_.Send(conn, EncodeBusFrame(msg), TypeName(type));
}

void Cluster::PropagatePublish(const std::string& channel, const std::string& message,
                               bool sharded) {
  bus::BusMessage msg;
  BuildHeader(sharded ? bus::PUBLISHSHARD : bus::PUBLISH, &msg);
  msg.mutable_publish()->set_channel(channel);
  msg.mutable_publish()->set_message(message);
  if (!sharded) {
    Broadcast(msg);
    return;
  }
  // clusterGetNodesServingMySlots: my primary (or me) and its replicas.
  const ClusterNode* primary = myself_->IsPrimary() ? myself_ : LookupNode(myself_->primary_name);
  if (primary == nullptr) return;
  auto send = [&](const std::string& name) {
    const ClusterNode* n = LookupNode(name);
    if (n != nullptr && n != myself_ && !n->InHandshake() && n->link != kNoConn)
      SendMessage(n->link, msg);
  };
  send(primary->name);
  for (const std::string& r : primary->replica_names) send(r);
}

// ---- Building messages ------------------------------------------------------

// clusterBuildMessageHdr.
void Cluster::BuildHeader(bus::MessageType type, bus::BusMessage* msg) const {
  auto* h = msg->mutable_header();
  h->set_type(type);
  h->set_sender(myself_->name);
  // A replica advertises its primary's slots and configEpoch.
  const ClusterNode* primary = myself_;
  if (myself_->IsReplica() && !myself_->primary_name.empty())
    if (const ClusterNode* p = LookupNode(myself_->primary_name)) primary = p;
  // Every message carries the 2 KiB bitmap; convert it once per change.
  if (!header_slots_valid_ || header_slots_ != primary->slots) {
    header_slots_ = primary->slots;
    header_slots_bytes_ = SlotBitmapToBytes(header_slots_);
    header_slots_valid_ = true;
  }
  h->set_slots(header_slots_bytes_);
  h->set_config_epoch(primary->config_epoch);
  h->set_current_epoch(current_epoch_);
  h->set_primary_id(myself_->IsReplica() ? myself_->primary_name : "");
  h->set_repl_offset(hooks_.repl_offset ? hooks_.repl_offset() : 0);
  h->set_ip(myself_->ip);
  h->set_port(myself_->port);
  h->set_cport(myself_->cport);
  h->set_flags(myself_->flags);
  h->set_state(state_ == ClusterHealth::kOk ? bus::STATE_OK : bus::STATE_FAIL);
  // A primary in a manual failover tells its replica writes are paused.
  if (myself_->IsPrimary() && mf_end_ms_ != 0) h->set_mflags(h->mflags() | 1);
}

// clusterSendPing: header plus gossip about max(3, N/10) random nodes
// (at most N-2), then every PFAIL node.
void Cluster::SendPing(ConnId conn, bus::MessageType type) {
  auto lit = links_.find(conn);
  SLOTSIM_CHECK(lit != links_.end());
  BusLink* link = lit->second.get();
  if (link->node != nullptr && type == bus::PING)
    link->node->ping_sent_ms = env_.NowMs();

  bus::BusMessage& msg = ping_scratch_;
  msg.Clear();
  BuildHeader(type, &msg);
  // writeHostnamePingExt: only pings carry it, and only when set.
  if (!myself_->hostname.empty()) msg.mutable_header()->set_hostname(myself_->hostname);
  const int known = static_cast<int>(nodes_.size());
  int freshnodes = known - 2;
  int wanted = std::max(3, known / 10);
  wanted = std::min(wanted, freshnodes);
  int pfail_wanted = stats_pfail_nodes_;

  // Random picks over a name-ordered view: deterministic for a given seed.
  const std::vector<ClusterNode*>& all = NodesInOrder();
  std::vector<const ClusterNode*> chosen;
  int iterations_max = wanted * 3;
  while (freshnodes > 0 && static_cast<int>(chosen.size()) < wanted &&
         iterations_max-- > 0) {
    ClusterNode* n = all[env_.RandomBelow(all.size())];
    if (n == myself_ || n == link->node) continue;
    if (n->flags & kNodePfail) continue;  // added below
    if ((n->flags & (kNodeHandshake | kNodeNoAddr)) ||
        (n->link == kNoConn && n->numslots == 0)) {
      freshnodes--;
      continue;
    }
    if (std::find(chosen.begin(), chosen.end(), n) != chosen.end()) continue;
    chosen.push_back(n);
    freshnodes--;
  }
  if (pfail_wanted > 0) {
    for (ClusterNode* n : all) {
      if (pfail_wanted <= 0) break;
      if (!(n->flags & kNodePfail) || (n->flags & (kNodeHandshake | kNodeNoAddr)))
        continue;
      chosen.push_back(n);
      pfail_wanted--;
    }
  }
  for (const ClusterNode* n : chosen) {
    auto* g = msg.add_gossip();
    g->set_node_id(n->name);
    // Redis 7.0 gossips these in whole seconds (htonl(ms / 1000)); the
    // truncation decides when peers think a pong is old, so keep it.
    g->set_ping_sent_ms(n->ping_sent_ms / 1000 * 1000);
    g->set_pong_received_ms(n->pong_received_ms / 1000 * 1000);
    g->set_ip(n->ip);
    g->set_port(n->port);
    g->set_cport(n->cport);
    g->set_flags(n->flags);
  }
  SendMessage(conn, msg);
}

// ---- Processing ---------------------------------------------------------------

void Cluster::ProcessPacket(BusLink* link, const bus::BusMessage& msg) {
  const auto& h = msg.header();
  const auto type = h.type();
  const int64_t now = env_.NowMs();
  stats_.messages_received[type]++;
  if (type == drop_packet_filter_) {
    // DEBUG DROP-CLUSTER-PACKET-FILTER (clusterProcessPacket's debug drop).
    env_.Trace({"BusPacketFiltered", "", TypeName(type), ""});
    return;
  }

  ClusterNode* sender = Lookup(h.sender());
  if (sender == myself_) {
    // Our own name from a peer: a bogus or looped message.
    env_.Trace({"BusMessageFromMyself", "", TypeName(type), ""});
    return;
  }
  if (sender != nullptr && sender->InHandshake()) sender = nullptr;
  // An inbound link learns its node from the first known sender.
  if (sender != nullptr && link->inbound && link->node == nullptr) {
    if (sender->inbound_link != kNoConn && sender->inbound_link != link->conn)
      FreeLink(sender->inbound_link);
    link->node = sender;
    sender->inbound_link = link->conn;
  }
  if (sender != nullptr) sender->data_received_ms = now;

  const SlotBitmap claimed = SlotBitmapFromBytes(h.slots());
  if (sender != nullptr) {
    if (h.current_epoch() > current_epoch_) {
      current_epoch_ = h.current_epoch();
      TodoSave(true);
    }
    if (h.config_epoch() > sender->config_epoch) {
      sender->config_epoch = h.config_epoch();
      TodoSave(true);
    }
    sender->repl_offset = h.repl_offset();
    // Manual failover: my primary paused; remember the offset to reach.
    if (mf_end_ms_ != 0 && myself_->IsReplica() && myself_->primary_name == sender->name &&
        (h.mflags() & 1) && mf_primary_offset_ == -1) {
      mf_primary_offset_ = sender->repl_offset;
      env_.Trace({"ManualFailoverOffset", PeerAddr(sender), "",
                  "offset=" + std::to_string(mf_primary_offset_)});
      HandleManualFailover();
    }
  }

  if (type == bus::PING || type == bus::MEET) {
    // A MEET from an unknown node: trust it, add it in handshake and
    // learn the rest of the cluster from its gossip.
    if (sender == nullptr && type == bus::MEET) {
      ClusterNode* n = CreateNode(RandomNodeName(), kNodeHandshake);
      n->ip = h.ip();
      n->port = static_cast<uint16_t>(h.port());
      n->cport = static_cast<uint16_t>(h.cport());
      TraceNodeEvent("MeetReceived", *n);
      TodoSave(false);
      ProcessGossip(nullptr, msg);
    }
    SendPing(link->conn, bus::PONG);
  }

  switch (type) {
    case bus::FAIL:
      ProcessFail(sender, msg);
      return;
    case bus::UPDATE:
      ProcessUpdate(sender, msg);
      return;
    case bus::FAILOVER_AUTH_REQUEST:
      if (sender != nullptr) SendFailoverAuthIfNeeded(sender, msg);
      return;
    case bus::FAILOVER_AUTH_ACK:
      if (sender != nullptr) ProcessFailoverAuthAck(sender, msg);
      return;
    case bus::MFSTART:
      ProcessMfStart(sender, link);
      return;
    case bus::PUBLISH:
    case bus::PUBLISHSHARD:
      // From a node we know only (clusterProcessPacket).
      if (sender != nullptr && msg.has_publish() && hooks_.publish_received)
        hooks_.publish_received(msg.publish().channel(), msg.publish().message(),
                                type == bus::PUBLISHSHARD);
      return;
    default:
      break;  // PING, PONG, MEET below
  }

  if (!link->inbound && link->node != nullptr) {
    ClusterNode* node = link->node;
    if (node->InHandshake()) {
      if (sender != nullptr) {
        // We already know this node under its real name: the handshake
        // record is a duplicate.
        DelNode(node);
        return;
      }
      if (Lookup(h.sender()) != nullptr) {  // known but itself handshaking
        DelNode(node);
        return;
      }
      RenameNode(node, h.sender());
      node->flags &= ~kNodeHandshake;
      node->flags |= h.flags() & (kNodePrimary | kNodeReplica);
      TodoSave(false);
      // As in Redis, the rest of this first PONG is not processed: the
      // sender was unknown when it arrived. The next one will be.
      TraceNodeEvent("HandshakeDone", *node);
    } else if (node->name != h.sender()) {
      // The address now answers with another id: forget the address.
      TraceNodeEvent("NodeIdMismatch", *node, "answered=" + h.sender());
      node->flags |= kNodeNoAddr;
      node->ip.clear();
      node->port = node->cport = 0;
      FreeLink(link->conn);
      return;
    }
  }

  // The sender's nofailover flag is the latest word on it
  // (clusterProcessPacket): replicas rank their elections by who competes.
  if (sender != nullptr && (type == bus::PING || type == bus::PONG || type == bus::MEET))
    sender->flags = (sender->flags & ~kNodeNoFailover) | (h.flags() & kNodeNoFailover);

  if (!link->inbound && link->node != nullptr && type == bus::PONG) {
    ClusterNode* node = link->node;
    node->pong_received_ms = now;
    node->ping_sent_ms = 0;
    if (node->flags & kNodePfail) {
      node->flags &= ~kNodePfail;
      todo_update_state_ = true;
      TraceNodeEvent("PfailCleared", *node);
    } else if (node->Failed()) {
      ClearNodeFailureIfNeeded(node);
    }
  }

  if (sender == nullptr) return;

  // Role switch.
  if (h.primary_id().empty()) {
    SetNodeAsPrimary(sender);
  } else {
    ClusterNode* primary = Lookup(h.primary_id());
    if (sender->IsPrimary()) {
      DelNodeSlots(sender);
      sender->flags = (sender->flags & ~(kNodePrimary | kNodeMigrateTo)) |
                      kNodeReplica;
      todo_update_state_ = true;
    }
    if (primary != nullptr && sender->primary_name != primary->name) {
      if (ClusterNode* old = Lookup(sender->primary_name))
        RemoveReplica(old, sender);
      sender->primary_name = primary->name;
      AddReplica(primary, sender);
    }
  }

  // Slots: a primary's claims may rebind slots to it.
  ClusterNode* sender_primary =
      sender->IsPrimary() ? sender : Lookup(sender->primary_name);
  bool dirty = sender_primary != nullptr && sender_primary->slots != claimed;
  if (sender->IsPrimary() && dirty)
    UpdateSlotsConfigWith(sender, h.config_epoch(), claimed);
  // The reverse case: the sender claims a slot that a node with a higher
  // configEpoch owns. Tell it with an UPDATE about that owner.
  if (dirty && sender->link != kNoConn) {
    for (int j = 0; j < kClusterSlots; ++j) {
      if (!claimed.test(j)) continue;
      const ClusterNode* owner = slots_[j];
      if (owner == sender || SlotUnclaimed(j)) continue;
      if (owner->config_epoch > h.config_epoch()) {
        SendUpdate(sender->link, *owner);
        break;
      }
    }
  }

  if (myself_->IsPrimary() && sender->IsPrimary() &&
      h.config_epoch() == myself_->config_epoch)
    HandleConfigEpochCollision(sender);

  ProcessGossip(sender, msg);
  // clusterProcessPingExt: a known sender's ping says its hostname; one
  // without says it has none.
  UpdateAnnouncedHostname(sender, h.hostname());
}

// clusterProcessGossipSection. `sender` is null for a MEET from an
// unknown node.
void Cluster::ProcessGossip(ClusterNode* sender, const bus::BusMessage& msg) {
  const int64_t now = env_.NowMs();
  for (const auto& g : msg.gossip()) {
    ClusterNode* node = Lookup(g.node_id());
    if (node != nullptr) {
      if (node == myself_) continue;
      // Failure reports count only from primaries.
      if (sender != nullptr && sender->IsPrimary()) {
        if (g.flags() & (kNodeFail | kNodePfail)) {
          AddFailureReport(node, sender);
          MarkNodeAsFailingIfNeeded(node);
        } else {
          DelFailureReport(node, sender);
        }
      }
      // Trust a newer pong time from a peer only if we have nothing
      // pending and no reason to doubt the node.
      if (!(g.flags() & (kNodePfail | kNodeFail)) && node->ping_sent_ms == 0 &&
          CountFailureReports(node) == 0 &&
          g.pong_received_ms() <= now + 500 &&
          g.pong_received_ms() > node->pong_received_ms)
        node->pong_received_ms = g.pong_received_ms();
      // A node we cannot reach, seen at another address by a peer that
      // can: switch to that address.
      if ((node->flags & (kNodeFail | kNodePfail)) &&
          !(g.flags() & (kNodeNoAddr | kNodeFail | kNodePfail)) &&
          (node->ip != g.ip() || node->port != g.port() ||
           node->cport != g.cport())) {
        if (node->link != kNoConn) FreeLink(node->link);
        node->ip = g.ip();
        node->port = static_cast<uint16_t>(g.port());
        node->cport = static_cast<uint16_t>(g.cport());
        node->flags &= ~kNodeNoAddr;
      }
    } else if (!(g.flags() & kNodeNoAddr) && !g.ip().empty() &&
               g.port() != 0 && g.cport() != 0) {
      // Redis 7 adds an unknown gossiped node directly under its real
      // name, but only on a known sender's word (else we could be pulled
      // into another cluster).
      if (sender == nullptr || Blacklisted(g.node_id())) continue;
      uint32_t flags = g.flags() & (kNodePrimary | kNodeReplica |
                                    kNodePfail | kNodeFail | kNodeNoFailover);
      ClusterNode* n = CreateNode(g.node_id(), flags);
      n->ip = g.ip();
      n->port = static_cast<uint16_t>(g.port());
      n->cport = static_cast<uint16_t>(g.cport());
      // failing: learned already flagged PFAIL or FAIL, which the node
      // then gossips on (fail-needs-primary-majority counts it).
      TraceNodeEvent("NodeLearned", *n,
                     "from=" + sender->name +
                         " failing=" + ((flags & (kNodePfail | kNodeFail)) ? "1" : "0"));
      TodoSave(false);
    }
  }
}

}  // namespace slotsim
