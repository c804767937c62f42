// Query routing (cluster.c getNodeByQuery and clusterRedirectClient).
#include "engine/cluster.h"

namespace slotsim {

Redirect Cluster::Route(const std::vector<std::string_view>& keys,
                        bool is_write, bool readonly_client, int* slot) const {
  if (keys.empty()) return Redirect::kNone;
  const ClusterNode* n = nullptr;
  int first_slot = -1;
  for (std::string_view k : keys) {
    int s = KeyHashSlot(k);
    if (first_slot < 0) {
      first_slot = s;
      n = slots_[s];
      if (n == nullptr) {
        *slot = s;
        return Redirect::kDownUnbound;
      }
    } else if (s != first_slot) {
      return Redirect::kCrossSlot;
    }
  }
  *slot = first_slot;
  // A cluster that is down serves nothing keyed, unless reads are allowed
  // when down (then only reads).
  if (state_ != ClusterHealth::kOk) {
    if (!config_.allow_reads_when_down) return Redirect::kDownState;
    if (is_write) return Redirect::kDownRoState;
  }
  if (n == myself_) return Redirect::kNone;
  // READONLY clients may read from a replica of the slot's owner.
  if (readonly_client && !is_write && myself_->IsReplica() &&
      myself_->primary_name == n->name)
    return Redirect::kNone;
  return Redirect::kMoved;
}

void Cluster::AppendRedirectError(Redirect r, int slot, std::string* out) const {
  switch (r) {
    case Redirect::kCrossSlot:
      resp::AppendError(out, "CROSSSLOT Keys in request don't hash to the same slot");
      return;
    case Redirect::kTryAgain:
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
      std::string addr = n ? n->ip + ":" + std::to_string(n->port) : "?:0";
      resp::AppendError(out, std::string(r == Redirect::kMoved ? "MOVED " : "ASK ") +
                                 std::to_string(slot) + " " + addr);
      return;
    }
    case Redirect::kNone:
      return;
  }
}

}  // namespace slotsim
