// libFuzzer target: the server's RESP request parser, fed in two pieces.
// Invariants: no crash or sanitizer report; every request returned is
// non-empty; once it reports an error it keeps reporting it.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/check.h"
#include "engine/resp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = in.empty() ? 0 : data[0] % (in.size() + 1);
  slotsim::RespLimits limits;
  limits.bulk_bytes_max = 1 << 20;  // keep the fuzzer's memory bounded
  slotsim::RequestParser p(limits);
  std::vector<std::string> argv;
  slotsim::ParseStatus st = slotsim::ParseStatus::kIncomplete;
  for (std::string_view piece : {std::string_view(in).substr(0, cut), std::string_view(in).substr(cut)}) {
    p.Feed(piece);
    while ((st = p.Next(&argv)) == slotsim::ParseStatus::kOk) SLOTSIM_CHECK(!argv.empty());
    if (st == slotsim::ParseStatus::kError) {
      SLOTSIM_CHECK(p.Next(&argv) == slotsim::ParseStatus::kError);
      break;
    }
  }
  return 0;
}
