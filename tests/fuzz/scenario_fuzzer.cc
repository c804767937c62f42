// libFuzzer target: the scenario loader. Invariant: a rejected file gets
// "path:LINE:COL: message" with LINE and COL >= 1.
#include <cstddef>
#include <cstdint>
#include <string>

#include "engine/check.h"
#include "scenarios/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 1 << 16) return 0;
  slotsim::LoadResult r =
      slotsim::ParseScenario("f.textproto", std::string(reinterpret_cast<const char*>(data), size));
  if (r.ok) return 0;
  SLOTSIM_CHECK(r.error.rfind("f.textproto:", 0) == 0);
  size_t a = r.error.find(':'), b = r.error.find(':', a + 1), c = r.error.find(':', b + 1);
  SLOTSIM_CHECK(b != std::string::npos && c != std::string::npos && b > a + 1 && c > b + 1);
  SLOTSIM_CHECK(r.error[a + 1] != '0' && r.error[b + 1] != '0');
  return 0;
}
