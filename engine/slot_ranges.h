// Slot bitmaps as ranges: "0-5460,5461,..." and back.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/cluster_node.h"

namespace slotsim {

// Contiguous runs of set bits, as [start, end] pairs in slot order.
std::vector<std::pair<int, int>> SlotRanges(const SlotBitmap& slots);
// "0-5460<sep>5461" style; a single slot prints alone. "" when empty.
std::string FormatSlotRanges(const SlotBitmap& slots, std::string_view sep);

}  // namespace slotsim
