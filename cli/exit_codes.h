// Exit codes of `slotsim` (DESIGN.md).
#pragma once

namespace slotsim {

constexpr int kExitPass = 0;       // every check held
constexpr int kExitViolation = 1;  // a property failed, or an expected one did not
constexpr int kExitUsage = 2;      // usage or input error
constexpr int kExitCrash = 3;      // the engine or simulator crashed

}  // namespace slotsim
