#include "sim/event_queue.h"

#include "engine/check.h"

namespace slotsim {

EventQueue::Id EventQueue::Schedule(int64_t at_us, std::function<void()> fn) {
  SLOTSIM_CHECK(at_us >= 0);
  Id id = next_seq_++;
  heap_.push(Item{at_us, id, std::move(fn)});
  pending_.insert(id);
  return id;
}

void EventQueue::Cancel(Id id) {
  if (pending_.erase(id)) cancelled_.insert(id);
}

void EventQueue::DropCancelledTop() {
  while (!heap_.empty() && cancelled_.count(heap_.top().seq)) {
    cancelled_.erase(heap_.top().seq);
    heap_.pop();
  }
}

bool EventQueue::Pop(int64_t* at_us, std::function<void()>* fn) {
  DropCancelledTop();
  if (heap_.empty()) return false;
  // priority_queue::top is const; the item is moved out just before pop.
  Item& top = const_cast<Item&>(heap_.top());
  *at_us = top.at_us;
  *fn = std::move(top.fn);
  pending_.erase(top.seq);
  heap_.pop();
  return true;
}

int64_t EventQueue::PeekTime() {
  DropCancelledTop();
  return heap_.empty() ? -1 : heap_.top().at_us;
}

}  // namespace slotsim
