#include "engine/env.h"

#include "engine/check.h"

namespace slotsim {

uint64_t Env::RandomBelow(uint64_t n) {
  SLOTSIM_CHECK(n > 0);
  // Lemire's multiply-shift; the tiny bias is irrelevant for scheduling.
  return static_cast<uint64_t>(
      (static_cast<unsigned __int128>(Random()) * n) >> 64);
}

const char* IoStatusText(IoStatus status) {
  switch (status) {
    case IoStatus::kOk: return "Success";
    case IoStatus::kNotFound: return "No such file or directory";
    case IoStatus::kIoError: return "Input/output error";
    case IoStatus::kNoSpace: return "No space left on device";
    case IoStatus::kPermission: return "Permission denied";
    case IoStatus::kReadOnly: return "Read-only file system";
  }
  return "Input/output error";
}

}  // namespace slotsim
