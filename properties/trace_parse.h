// Parsing a trace record the engine or the simulator wrote, for the online
// checkers: a record of a typed kind that does not parse is a bug in the
// writer, so it stops the run (exit 3 with the seed) rather than read as
// zeros and let a checker pass without checking.
#pragma once

#include <string>

#include "engine/check.h"
#include "sim/trace.h"

namespace slotsim {

template <typename T>
T ParseRecordOrDie(const TraceRecord& r) {
  std::string err;
  auto parsed = T::Parse(r.details, &err);
  SLOTSIM_CHECK_MSG(parsed.has_value(), (err + " in record " + std::to_string(r.seq)).c_str());
  return std::move(*parsed);
}

}  // namespace slotsim
