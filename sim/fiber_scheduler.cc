#include "sim/fiber_scheduler.h"

#include <cstdio>
#include <cstdlib>

namespace slotsim {

void SeededFiberAlgorithm::awakened(boost::fibers::context* ctx) noexcept {
  if (ctx->is_context(boost::fibers::type::dispatcher_context)) {
    dispatcher_ = ctx;
  } else if (ctx->is_context(boost::fibers::type::main_context)) {
    main_ = ctx;
  } else {
    workers_.push_back(ctx);
    state_->ready_workers = workers_.size();
  }
}

boost::fibers::context* SeededFiberAlgorithm::pick_next() noexcept {
  boost::fibers::context* next = nullptr;
  if (!workers_.empty()) {
    size_t i = state_->prng.Below(workers_.size());
    next = workers_[i];
    workers_[i] = workers_.back();
    workers_.pop_back();
    state_->ready_workers = workers_.size();
  } else if (dispatcher_ != nullptr) {
    next = dispatcher_;
    dispatcher_ = nullptr;
  } else if (main_ != nullptr) {
    next = main_;
    main_ = nullptr;
  }
  if (next != nullptr) state_->switches++;
  return next;
}

bool SeededFiberAlgorithm::has_ready_fibers() const noexcept {
  return !workers_.empty() || dispatcher_ != nullptr || main_ != nullptr;
}

void SeededFiberAlgorithm::suspend_until(
    std::chrono::steady_clock::time_point const&) noexcept {
  // Only reached when the event loop itself blocked on a fiber primitive
  // and nothing else can run: a simulation bug, never a wait for time.
  std::fprintf(stderr,
               "simulation deadlock: every fiber is blocked, including the "
               "event loop\n");
  std::abort();
}

}  // namespace slotsim
