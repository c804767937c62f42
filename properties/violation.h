// A property violation: a stable id (used by scenario `expect` blocks and
// in traces), a message for people, and when it was detected.
#pragma once

#include <cstdint>
#include <string>

namespace slotsim {

struct Violation {
  std::string id;
  std::string message;
  int64_t time_us = 0;
};

}  // namespace slotsim
