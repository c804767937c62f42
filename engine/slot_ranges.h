// Slot bitmaps as ranges: "0-5460,5461,..." and back.
#pragma once

#include <optional>
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

// The inverse of FormatSlotRanges with sep ",": "0-99,200" -> a bitmap.
// Nullopt if any item is malformed, reversed or outside 0..16383; "" is
// the empty bitmap.
std::optional<SlotBitmap> ParseSlotRanges(std::string_view text);

// The bus's 2048-byte slot bitmap (bit j of byte j/8 is slot j).
std::string SlotBitmapToBytes(const SlotBitmap& slots);
// The inverse; an input of the wrong size gives an empty bitmap (the bus
// validator rejects such messages before they get here).
SlotBitmap SlotBitmapFromBytes(std::string_view bytes);

}  // namespace slotsim
