// The interface every online checker implements, and the registry that
// builds them for a run: a new checker is one file pair and one line in
// checker_registry.cc.
//
// The data checks that judge the client history after the run
// (data_checker.h, ack_epoch_checker.h) are not trace checkers: they need
// the history and the loss windows, and the runner calls them itself.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "engine/config.h"
#include "properties/violation.h"
#include "sim/trace.h"

namespace slotsim {

class TraceChecker : public TraceSink {
 public:
  // The run ended at `end_us`: judge what is still open (a window that
  // never closed). Called once, after the last OnTrace.
  virtual void Finish(int64_t end_us) { (void)end_us; }
  // Everything found so far, in the order found; bounded by each
  // checker's own limit.
  virtual const std::vector<Violation>& violations() const = 0;
};

// What a run's checkers may need to know of its configuration.
struct CheckerSettings {
  int64_t node_timeout_ms = EngineConfig{}.node_timeout_ms;
  bool appendonly = false;
  AofFsync appendfsync = AofFsync::kEverySec;
  int64_t os_writeback_ms = EngineConfig{}.os_writeback_ms;
  int64_t repl_ping_period_ms = EngineConfig{}.repl_ping_period_ms;
  int64_t replica_validity_factor = EngineConfig{}.replica_validity_factor;
  bool allow_reads_when_down = EngineConfig{}.allow_reads_when_down;
};

// Every online checker, in a fixed order (violations are reported in it).
std::vector<std::unique_ptr<TraceChecker>> MakeTraceCheckers(const CheckerSettings& settings);

}  // namespace slotsim
