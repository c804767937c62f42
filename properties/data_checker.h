// Data properties judged at the end of a run, on the ground truth of the
// live nodes (after the liveness phase, when the cluster has converged):
//   "no-open-slots": no live primary still has a slot MIGRATING or
//     IMPORTING (a native migration left half done, e.g. redis #6339);
//   "no-stray-keys": no live node holds keys of a slot its shard does not
//     own (a replica judged by its primary's slots): such keys are
//     unreachable, since every client is redirected to the owner;
//   "acked-writes-survive" (and, with wait_confirmed_min > 0, "wait-
//     acked-writes-survive", anchored on the writes a WAIT confirmed on
//     at least that many replicas):
//     registers (a string key written by SET and DEL, a hash field by
//     HSET and HDEL) hold the last acknowledged write, or one that may
//     have been applied after it (no reply, or a reply after that one's
//     invocation); counters (INCR) hold at least every acknowledged
//     result and at most the increments that may have run; unless
//     loss_windows.h allows that very write's loss. The WAIT form holds
//     under a single fault when WAIT covered every replica: whichever
//     replica is promoted has the write.
#pragma once

#include <functional>
#include <set>
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
// "replicas-match-primary": once writes have stopped and the cluster has
// been quiet long enough for every stream to drain (the runner judges it
// only then: kReplicaDrainUs), every judged replica of a judged primary has
// its link up, follows the primary's history (the same replication id) and
// holds exactly the primary's data. A replica that resumed from a point of
// another history, or kept keys a full sync should have dropped, differs.
// `judged`: node ids of the members that are running with a normal disk.
inline constexpr int64_t kReplicaDrainUs = 10'000'000;
std::vector<Violation> CheckReplicasMatchPrimary(const std::vector<const Server*>& live,
                                                 const std::set<std::string>& judged,
                                                 int64_t now_us);
// A known weakness that explains what a check found in `node`'s `slot`
// (*why says how), or false.
using SlotExcuse = std::function<bool(const Server& node, int slot, std::string* why)>;
// With `excuse`, an open slot it explains goes to *excused (same id and
// form) instead of the result; a node's other open slots still count.
std::vector<Violation> CheckNoOpenSlots(const std::vector<const Server*>& live, int64_t now_us,
                                        const SlotExcuse& excuse = nullptr,
                                        std::vector<Violation>* excused = nullptr);
// With `excuse`, stray keys in a slot it explains go to *excused instead.
std::vector<Violation> CheckNoStrayKeys(const std::vector<const Server*>& live, int64_t now_us,
                                        size_t violations_max = 10,
                                        const SlotExcuse& excuse = nullptr,
                                        std::vector<Violation>* excused = nullptr);
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
                                               int wait_confirmed_min = 0,
                                               const LossAllowedFn& loss_allowed = nullptr,
                                               std::vector<AllowedLoss>* allowed_losses = nullptr);

// "reads-return-written-values": a GET or HGET never returns a value no
//   write wrote. "reads-not-stale": a read a node answered never returns
//   something older than the last write that same node acknowledged
//   before the read began, unless a window lets that write be lost (a
//   failover or restart in between, or a stale primary).
std::vector<Violation> CheckReads(const OpHistory& history, const LossAllowedFn& loss_allowed,
                                  int64_t now_us, size_t violations_max = 10);

}  // namespace slotsim
