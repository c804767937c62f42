#include "properties/ownership_checker.h"

#include <charconv>
#include <string>

#include "engine/slot_ranges.h"
#include "properties/election_checker.h"

namespace slotsim {

OwnershipChecker::OwnershipChecker() : last_claim_(kClusterSlots) {}

void OwnershipChecker::OnTrace(const TraceRecord& r) {
  if (r.kind != "NodeState") return;
  const bool primary = DetailValue(r.details, "role") == "primary";
  const std::string epoch_text = DetailValue(r.details, "config_epoch");
  uint64_t epoch = 0;
  std::from_chars(epoch_text.data(), epoch_text.data() + epoch_text.size(), epoch);
  SlotBitmap now;
  if (primary) {
    // A malformed record claims nothing (the engine writes these).
    if (auto parsed = ParseSlotRanges(DetailValue(r.details, "slots"))) now = *parsed;
  }
  SlotBitmap& before = claimed_[r.node];
  const SlotBitmap fresh = now & ~before;
  bool reported = false;  // one violation per record is enough
  for (size_t j = now._Find_first(); j < kClusterSlots; j = now._Find_next(j)) {
    Claim& last = last_claim_[j];
    if (!fresh.test(j)) {
      // Still claimed: its epoch may have grown since.
      if (last.node == r.node && epoch > last.epoch) last.epoch = epoch;
      continue;
    }
    if (last.node >= 0 && last.node != r.node) {
      moves_seen_++;
      if (epoch <= last.epoch && !reported) {
        reported = true;
        violations_.push_back(
            {"ownership-moves-to-higher-epoch",
             "node" + std::to_string(r.node) + " claimed slot " + std::to_string(j) +
                 " with configEpoch " + std::to_string(epoch) + ", not above node" +
                 std::to_string(last.node) + "'s configEpoch " + std::to_string(last.epoch),
             r.time_us, {last.seq, r.seq}});
      }
    }
    last = {r.node, epoch, r.seq};
  }
  before = now;
}

}  // namespace slotsim
