// A property violation: a stable id (used by scenario `expect` blocks and
// in traces), a message for people, when it was detected, and the trace
// events behind it.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace slotsim {

struct Violation {
  Violation() = default;
  Violation(std::string id_, std::string message_, int64_t time_us_,
            std::vector<int64_t> causes_ = {})
      : id(std::move(id_)), message(std::move(message_)), time_us(time_us_),
        causes(std::move(causes_)) {}

  std::string id;
  std::string message;
  int64_t time_us = 0;
  // Trace records (their seq within the run) that show the violation:
  // e.g. the two votes of a double vote. Empty for end-of-run checks that
  // judge the final state rather than an event.
  std::vector<int64_t> causes;
};

}  // namespace slotsim
