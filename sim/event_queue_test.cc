#include "sim/event_queue.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TEST(EventQueue, OrdersByTimeThenSequence) {
  EventQueue q;
  std::vector<int> order;
  q.Schedule(20, [&] { order.push_back(3); });
  q.Schedule(10, [&] { order.push_back(1); });
  q.Schedule(10, [&] { order.push_back(2); });
  auto cancelled = q.Schedule(15, [&] { order.push_back(99); });
  q.Cancel(cancelled);
  q.Cancel(12345);  // unknown: ignored
  EXPECT_EQ(q.size(), 3u);
  int64_t t;
  std::function<void()> fn;
  std::vector<int64_t> times;
  while (q.Pop(&t, &fn)) {
    times.push_back(t);
    fn();
  }
  EXPECT_EQ(order, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(times, (std::vector<int64_t>{10, 10, 20}));
  EXPECT_EQ(q.PeekTime(), -1);
}

TEST(EventQueue, CancelAfterRunIsHarmless) {
  EventQueue q;
  auto id = q.Schedule(1, [] {});
  int64_t t;
  std::function<void()> fn;
  ASSERT_TRUE(q.Pop(&t, &fn));
  q.Cancel(id);
  EXPECT_EQ(q.size(), 0u);
  q.Schedule(2, [] {});
  EXPECT_EQ(q.PeekTime(), 2);
}

}  // namespace
}  // namespace slotsim
