// Data properties judged at the end of a run, on the ground truth of the
// live nodes (after the liveness phase, when the cluster has converged):
//   "no-open-slots": no live primary still has a slot MIGRATING or
//     IMPORTING (a native migration left half done, e.g. redis #6339);
//   "no-stray-keys": no live node holds keys of a slot its shard does not
//     own (a replica judged by its primary's slots): such keys are
//     unreachable, since every client is redirected to the owner;
//   "acked-writes-survive" (and, with wait_acked_only, "wait-acked-
//     writes-survive", anchored on SETs a WAIT confirmed on a replica):
//     for every key written only by SET, the owner
//     holds the last acknowledged value, or the value of a SET that may
//     have been applied after it (no reply, or a reply after that one's
//     invocation), unless a loss window allows the loss: Redis Cluster
//     may lose acknowledged writes on failover (asynchronous replication)
//     and on a restart from a disk without them (loss_windows.h). The
//     WAIT form holds under a single fault when WAIT covered every
//     replica: whichever replica is promoted has the write.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "client/history.h"
#include "engine/server.h"
#include "properties/violation.h"

namespace slotsim {

// "primary-config-epochs-distinct": after the liveness phase no two live
// primaries that own slots share a configEpoch (the collision rule's job).
std::vector<Violation> CheckDistinctConfigEpochs(const std::vector<const Server*>& live,
                                                 int64_t now_us);
// "no-memory-leak": at the end of the run no live node still holds
// temporary allocations (engine/memory.h): whatever a command allocates
// for itself is freed when it finishes.
std::vector<Violation> CheckNoMemoryLeak(const std::vector<const Server*>& live,
                                         int64_t now_us);
std::vector<Violation> CheckNoOpenSlots(const std::vector<const Server*>& live, int64_t now_us);
std::vector<Violation> CheckNoStrayKeys(const std::vector<const Server*>& live, int64_t now_us,
                                        size_t violations_max = 10);
// A lost write is forgiven when `loss_allowed` (given the acknowledged
// SET and its slot) names a window that allows it; see loss_windows.h.
// Each forgiven loss is appended to *allowed_losses when given (the
// runner traces them as LostWrite records: "lost writes by cause").
// When it does not, it may say why in *why_not (the violation's message).
using LossAllowedFn =
    std::function<std::string(const OpRecord& acked, int slot, std::string* why_not)>;
struct AllowedLoss {
  const OpRecord* acked;
  int slot;
  std::string cause;
};
std::vector<Violation> CheckAckedWritesSurvive(const OpHistory& history,
                                               const std::vector<const Server*>& live,
                                               int64_t now_us, size_t violations_max = 10,
                                               bool wait_acked_only = false,
                                               const LossAllowedFn& loss_allowed = nullptr,
                                               std::vector<AllowedLoss>* allowed_losses = nullptr);

}  // namespace slotsim
