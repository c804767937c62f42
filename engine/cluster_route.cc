// Query routing (cluster.c getNodeByQuery and clusterRedirectClient, as in
// Redis 7.0.15).
#include "engine/cluster.h"

namespace slotsim {

Redirect Cluster::Route(const std::vector<std::string_view>& keys,
                        const RouteQuery& q, int* slot) const {
  if (keys.empty()) return Redirect::kNone;
  const ClusterNode* n = nullptr;
  int first_slot = -1;
  std::string_view first_key;
  bool migrating_slot = false, importing_slot = false, multiple_keys = false;
  int missing_keys = 0, existing_keys = 0;
  for (std::string_view k : keys) {
    int s = KeyHashSlot(k);
    if (first_slot < 0) {
      first_key = k;
      first_slot = s;
      n = slots_[s];
      if (n == nullptr) {
        *slot = s;
        return Redirect::kDownUnbound;
      }
      // An open slot is served only if we hold every key of the request.
      if (n == myself_ && migrating_slots_to_.count(s)) {
        migrating_slot = true;
      } else if (importing_slots_from_.count(s)) {
        importing_slot = true;
      }
    } else if (k != first_key) {
      if (s != first_slot) return Redirect::kCrossSlot;
      multiple_keys = true;
    }
    if ((migrating_slot || importing_slot) && !q.is_pubsubshard) {
      if (keyspace_.Contains(k)) existing_keys++;
      else missing_keys++;
    }
  }
  *slot = first_slot;
  // A cluster that is down serves nothing keyed, unless reads are allowed
  // when down (then only reads).
  if (state_ != ClusterHealth::kOk) {
    if (q.is_pubsubshard) {
      if (!config_.allow_pubsubshard_when_down) return Redirect::kDownState;
    } else {
      if (!config_.allow_reads_when_down) return Redirect::kDownState;
      if (q.is_write) return Redirect::kDownRoState;
    }
  }
  // MIGRATE moves keys freely while the slot is open.
  if ((migrating_slot || importing_slot) && q.is_migrate) return Redirect::kNone;
  // Migrating and some keys already gone: the rest may be there too
  // (TRYAGAIN), or all of them are (ASK).
  if (migrating_slot && missing_keys > 0)
    return existing_keys > 0 ? Redirect::kTryAgain : Redirect::kAsk;
  if (importing_slot && q.asking)
    return multiple_keys && missing_keys > 0 ? Redirect::kTryAgain : Redirect::kNone;
  // READONLY clients may read from a replica of the slot's owner.
  if ((q.readonly_client || env_.BugInjected("replica-serves-reads-without-readonly")) &&
      !q.is_write && myself_->IsReplica() &&
      myself_->primary_name == n->name)
    return Redirect::kNone;
  return n == myself_ ? Redirect::kNone : Redirect::kMoved;
}

void Cluster::AppendRedirectError(Redirect r, int slot, std::string* out) const {
  switch (r) {
    case Redirect::kCrossSlot:
      resp::AppendError(out, "CROSSSLOT Keys in request don't hash to the same slot");
      return;
    case Redirect::kTryAgain:
      env_.HitProbe(Probe::kTryAgain);
      resp::AppendError(out, "TRYAGAIN Multiple keys request during rehashing of slot");
      return;
    case Redirect::kDownState:
      resp::AppendError(out, "CLUSTERDOWN The cluster is down");
      return;
    case Redirect::kDownRoState:
      resp::AppendError(out, "CLUSTERDOWN The cluster is down and only accepts read commands");
      return;
    case Redirect::kDownUnbound:
      resp::AppendError(out, "CLUSTERDOWN Hash slot not served");
      return;
    case Redirect::kMoved:
    case Redirect::kAsk: {
      const ClusterNode* n = slots_[slot];
      if (r == Redirect::kAsk) {
        env_.HitProbe(Probe::kAskRedirect);
        auto it = migrating_slots_to_.find(slot);
        n = it == migrating_slots_to_.end() ? nullptr : it->second;
      }
      // clusterRedirectClient names the node by its preferred endpoint.
      std::string addr =
          n ? std::string(PreferredEndpoint(*n)) + ":" + std::to_string(n->port) : "?:0";
      resp::AppendError(out, std::string(r == Redirect::kMoved ? "MOVED " : "ASK ") +
                                 std::to_string(slot) + " " + addr);
      return;
    }
    case Redirect::kNone:
      return;
  }
}

}  // namespace slotsim
