// A Boost.Fiber scheduling algorithm that picks among ready fibers with
// the run's seeded PRNG, so that fiber interleavings are part of what a
// seed determines and explores.
//
// The main context runs the simulator's event loop; it is handed out only
// when no worker fiber is ready. The dispatcher context (which reclaims
// finished fibers) is held apart too and comes before main. If nothing is
// ready at all, every fiber is blocked with no event to wake it: that is a
// deadlock in the simulation, reported and aborted on.
#pragma once

#include <boost/fiber/algo/algorithm.hpp>
#include <boost/fiber/context.hpp>
#include <cstdint>
#include <vector>

#include "sim/prng.h"

namespace slotsim {

// State shared between the algorithm (owned by Boost.Fiber) and the
// Simulation that installed it.
struct FiberSchedState {
  explicit FiberSchedState(uint64_t seed) : prng(seed) {}
  Prng prng;
  size_t ready_workers = 0;
  uint64_t switches = 0;
};

class SeededFiberAlgorithm : public boost::fibers::algo::algorithm {
 public:
  explicit SeededFiberAlgorithm(FiberSchedState* state) : state_(state) {}

  void awakened(boost::fibers::context* ctx) noexcept override;
  boost::fibers::context* pick_next() noexcept override;
  bool has_ready_fibers() const noexcept override;
  void suspend_until(
      std::chrono::steady_clock::time_point const&) noexcept override;
  void notify() noexcept override {}

 private:
  FiberSchedState* state_;
  std::vector<boost::fibers::context*> workers_;  // ready worker fibers
  boost::fibers::context* main_ = nullptr;        // if ready
  boost::fibers::context* dispatcher_ = nullptr;  // if ready
};

}  // namespace slotsim
