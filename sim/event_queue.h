// The simulator's agenda: callbacks ordered by (time, sequence). Equal
// times run in scheduling order, so the order never depends on anything
// but the run's own history.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <unordered_set>
#include <vector>

namespace slotsim {

class EventQueue {
 public:
  using Id = uint64_t;

  // Schedules `fn` at absolute time `at_us`. Returns a unique id (> 0).
  Id Schedule(int64_t at_us, std::function<void()> fn);
  // Cancels a scheduled event; unknown or already-run ids are ignored.
  void Cancel(Id id);
  // Removes the earliest live event into *at_us and *fn. False if none.
  bool Pop(int64_t* at_us, std::function<void()>* fn);
  // Time of the earliest live event, or -1 if none.
  int64_t PeekTime();
  size_t size() const { return heap_.size() - cancelled_.size(); }

 private:
  struct Item {
    int64_t at_us;
    Id seq;
    std::function<void()> fn;
  };
  struct Later {
    bool operator()(const Item& a, const Item& b) const {
      return a.at_us != b.at_us ? a.at_us > b.at_us : a.seq > b.seq;
    }
  };
  void DropCancelledTop();

  std::priority_queue<Item, std::vector<Item>, Later> heap_;
  // Only membership is asked of this set, never its order.
  std::unordered_set<Id> cancelled_;
  std::unordered_set<Id> pending_;
  Id next_seq_ = 1;
};

}  // namespace slotsim
