#include "engine/slot_ranges.h"

#include <cstring>
#include <type_traits>

namespace slotsim {

// These run on every config save, ping and trace of a node's state, so
// they scan words, not bits (libstdc++'s _Find_first/_Find_next).
std::vector<std::pair<int, int>> SlotRanges(const SlotBitmap& slots) {
  std::vector<std::pair<int, int>> out;
  const SlotBitmap gaps = ~slots;
  // Each round emits one range: bounded by the number of ranges.
  for (size_t start = slots._Find_first(); start < kClusterSlots;) {
    const size_t end = gaps._Find_next(start);  // kClusterSlots if none
    out.emplace_back(static_cast<int>(start), static_cast<int>(end) - 1);
    if (end >= kClusterSlots) break;
    start = slots._Find_next(end);
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

std::optional<SlotBitmap> ParseSlotRanges(std::string_view text) {
  SlotBitmap out;
  if (text.empty()) return out;
  auto number = [](std::string_view s, int* v) {
    if (s.empty() || s.size() > 5) return false;
    int n = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + (c - '0');
    }
    *v = n;
    return n < kClusterSlots;
  };
  // Each round consumes one comma-separated item: bounded by the text.
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string_view item = text.substr(pos, comma - pos);
    const size_t dash = item.find('-');
    int a = -1, b = -1;
    if (dash == std::string_view::npos ? !number(item, &a) || !number(item, &b)
                                       : !number(item.substr(0, dash), &a) ||
                                             !number(item.substr(dash + 1), &b))
      return std::nullopt;
    if (a > b) return std::nullopt;
    for (int s = a; s <= b; ++s) out.set(static_cast<size_t>(s));
    pos = comma + 1;
  }
  return out;
}

namespace {

// Whether SlotBitmap's storage is the cluster bus's layout (slot j at byte
// j / 8, bit j % 8, as Redis's clusterNode.slots): true for libstdc++ on a
// little-endian machine. Checked once, by value, so that every header's
// 2 KB bitmap can be copied rather than decoded bit by bit (issue 16: the
// bit loop was a tenth of an explore run); elsewhere the loops below run.
bool StorageIsWireLayout() {
  static_assert(std::is_trivially_copyable_v<SlotBitmap>);
  static const bool matches = [] {
    if (sizeof(SlotBitmap) != kClusterSlots / 8) return false;
    SlotBitmap probe;
    for (size_t j : {0u, 9u, 70u, 8191u, 16383u}) probe.set(j);
    unsigned char raw[kClusterSlots / 8];
    std::memcpy(raw, &probe, sizeof raw);
    for (size_t byte = 0; byte < sizeof raw; ++byte)
      for (int bit = 0; bit < 8; ++bit)
        if (((raw[byte] >> bit) & 1) != static_cast<int>(probe.test(byte * 8 + bit))) return false;
    return true;
  }();
  return matches;
}

}  // namespace

std::string SlotBitmapToBytes(const SlotBitmap& slots) {
  std::string out(kClusterSlots / 8, '\0');
  if (StorageIsWireLayout()) {
    std::memcpy(out.data(), &slots, out.size());
    return out;
  }
  for (size_t j = slots._Find_first(); j < kClusterSlots; j = slots._Find_next(j))
    out[j >> 3] = static_cast<char>(out[j >> 3] | (1 << (j & 7)));
  return out;
}

SlotBitmap SlotBitmapFromBytes(std::string_view bytes) {
  SlotBitmap b;
  if (bytes.size() != kClusterSlots / 8) return b;
  if (StorageIsWireLayout()) {
    std::memcpy(&b, bytes.data(), bytes.size());
    return b;
  }
  for (int i = 0; i < kClusterSlots / 8; ++i) {
    const auto byte = static_cast<unsigned char>(bytes[i]);
    if (byte == 0) continue;
    for (int k = 0; k < 8; ++k)
      if (byte & (1 << k)) b.set(static_cast<size_t>(i * 8 + k));
  }
  return b;
}

}  // namespace slotsim
