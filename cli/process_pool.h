// Work in forked child processes, at most `jobs` at once, so that a crash
// of one run (a failed engine CHECK, a signal) is a result instead of the
// end of the command. Each child returns one JSON object on a pipe.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace slotsim {

struct ChildResult {
  bool ok = false;       // the child exited 0 after writing its reply
  nlohmann::json reply;  // what it returned (null unless ok)
  std::string death;     // otherwise: "killed by signal 6", "exited with 3"
};

class ProcessPool {
 public:
  using Work = std::function<nlohmann::json()>;
  using Done = std::function<void(uint64_t tag, const ChildResult& result)>;

  // `done` is called in the parent, once per child, as children finish.
  ProcessPool(int jobs, Done done);
  ProcessPool(const ProcessPool&) = delete;
  ProcessPool& operator=(const ProcessPool&) = delete;
  ~ProcessPool();  // waits for every child

  // Runs `work` in a new child tagged `tag`. If `jobs` children already
  // run, first waits for one to finish (and reports it).
  void Start(uint64_t tag, const Work& work);
  // Waits for one child to finish and reports it; false if none runs.
  bool WaitOne();
  void WaitAll();
  size_t running() const { return running_.size(); }

 private:
  struct Child {
    uint64_t tag = 0;
    int fd = -1;
    std::string reply;
  };
  ChildResult Collect(pid_t pid, Child& c);

  int jobs_;
  Done done_;
  std::map<pid_t, Child> running_;
};

}  // namespace slotsim
