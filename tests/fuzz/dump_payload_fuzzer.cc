// libFuzzer target: RESTORE's payload parser (engine/dump.h).
// Invariant: a payload that parses dumps back to the same bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/check.h"
#include "engine/dump.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  slotsim::Value v;
  if (slotsim::RestoreValue(in, &v) == slotsim::DumpStatus::kOk)
    SLOTSIM_CHECK(slotsim::DumpValue(v) == in);
  return 0;
}
