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

std::string SlotBitmapToBytes(const SlotBitmap& slots) {
  std::string out(kClusterSlots / 8, '\0');
  for (int j = 0; j < kClusterSlots; ++j)
    if (slots.test(j)) out[j >> 3] |= static_cast<char>(1 << (j & 7));
  return out;
}

SlotBitmap SlotBitmapFromBytes(std::string_view bytes) {
  SlotBitmap b;
  if (bytes.size() != kClusterSlots / 8) return b;
  for (int j = 0; j < kClusterSlots; ++j)
    if (static_cast<unsigned char>(bytes[j >> 3]) & (1 << (j & 7))) b.set(j);
  return b;
}

}  // namespace slotsim
