// Trace records as the simulator emits them, and the sinks that receive
// them (the SQLite writer, the determinism checker, tests).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace slotsim {

struct TraceRecord {
  int64_t seq = 0;       // 0, 1, 2, ... within a run
  int64_t time_us = 0;   // simulated time
  int node = -1;         // machine index, -1 for the simulator itself
  std::string kind;      // "Send", "Deliver", "Timer", "NodeState", ...
  int peer = -1;         // the other machine where one applies
  std::string msg_type;  // bus message type or other label
  std::string details;   // key=value pairs
};

// The canonical text of a record: what the trace hash covers and what
// `--check-determinism` prints.
std::string CanonicalTraceLine(const TraceRecord& r);
// FNV-1a of CanonicalTraceLine(r), continuing from `h`, without building
// the line (the simulator hashes every record).
uint64_t HashTraceRecord(const TraceRecord& r, uint64_t h);

class TraceSink {
 public:
  virtual ~TraceSink() = default;
  // Called once per record, in order, on the simulation thread.
  virtual void OnTrace(const TraceRecord& record) = 0;
};

}  // namespace slotsim
