// Loading and validating scenario files. Every problem is reported as
// "file:line:col: message" (1-based), syntax and semantics alike.
#pragma once

#include <string>
#include <vector>

#include "scenarios/scenario.pb.h"

namespace slotsim {

struct LoadResult {
  bool ok = false;
  std::string error;  // "file:line:col: message" when !ok
  scenario::Scenario scenario;
};

// Parses `text` as named `path` (for messages), applies defaults and
// validates ranges and cross-field rules.
LoadResult ParseScenario(const std::string& path, const std::string& text);

// True for a step that starts a fault: not a recovery (heal, restart,
// resume, slow_fsync or clock_drift back to normal), not an admin step.
// Faults may not start in the liveness phase.
bool IsFaultStep(const scenario::Step& step);

// "0-99,200" -> the slots, sorted and distinct; empty if malformed or out
// of 0..16383.
std::vector<int> ParseSlotList(const std::string& text);
// Reads and parses the file at `path`.
LoadResult LoadScenarioFile(const std::string& path);

}  // namespace slotsim
