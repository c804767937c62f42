#include "engine/slot_ranges.h"

namespace slotsim {

std::vector<std::pair<int, int>> SlotRanges(const SlotBitmap& slots) {
  std::vector<std::pair<int, int>> out;
  int start = -1;
  for (int j = 0; j <= kClusterSlots; ++j) {
    bool set = j < kClusterSlots && slots.test(j);
    if (set && start < 0) start = j;
    if (!set && start >= 0) {
      out.emplace_back(start, j - 1);
      start = -1;
    }
  }
  return out;
}

std::string FormatSlotRanges(const SlotBitmap& slots, std::string_view sep) {
  std::string s;
  for (const auto& [a, b] : SlotRanges(slots)) {
    if (!s.empty()) s += sep;
    s += std::to_string(a);
    if (b != a) s += "-" + std::to_string(b);
  }
  return s;
}

}  // namespace slotsim
