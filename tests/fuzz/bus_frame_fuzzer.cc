// libFuzzer target: the cluster bus frame decoder and validator.
// Invariant: every accepted message is valid and survives a re-encode.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/bus_codec.h"
#include "engine/check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  slotsim::BusFrameDecoder d;
  d.Feed(std::string_view(reinterpret_cast<const char*>(data), size));
  slotsim::bus::BusMessage m;
  for (int i = 0; i < 1000; ++i) {
    auto st = d.Next(&m);
    if (st == slotsim::BusDecodeStatus::kIncomplete || st == slotsim::BusDecodeStatus::kBroken) break;
    if (st != slotsim::BusDecodeStatus::kOk) continue;
    SLOTSIM_CHECK(slotsim::ValidateBusMessage(m).empty());
    slotsim::BusFrameDecoder again;
    again.Feed(slotsim::EncodeBusFrame(m));
    slotsim::bus::BusMessage m2;
    SLOTSIM_CHECK(again.Next(&m2) == slotsim::BusDecodeStatus::kOk);
    SLOTSIM_CHECK(m2.SerializeAsString() == m.SerializeAsString());
  }
  return 0;
}
