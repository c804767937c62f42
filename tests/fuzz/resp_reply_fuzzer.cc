// libFuzzer target: the client's RESP reply parser. Invariant: a value it
// accepts re-encodes to bytes it parses back to the same value.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/check.h"
#include "engine/resp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  slotsim::RespLimits limits;
  limits.bulk_bytes_max = 1 << 20;
  limits.array_elements_max = 1 << 16;
  slotsim::ReplyParser p(limits);
  p.Feed(std::string_view(reinterpret_cast<const char*>(data), size));
  slotsim::RespValue v;
  for (int i = 0; i < 1000 && p.Next(&v) == slotsim::ParseStatus::kOk; ++i) {
    std::string wire;
    slotsim::resp::AppendValue(&wire, v);
    slotsim::ReplyParser again(limits);
    again.Feed(wire);
    slotsim::RespValue w;
    SLOTSIM_CHECK(again.Next(&w) == slotsim::ParseStatus::kOk);
    std::string wire2;
    slotsim::resp::AppendValue(&wire2, w);
    SLOTSIM_CHECK(wire == wire2);
  }
  return 0;
}
