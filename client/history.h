// The record of every client operation: what the checkers read. Times are
// simulated; "unknown" outcomes (timeouts, lost connections) may or may
// not have taken effect, which a checker must allow for.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace slotsim {

enum class OpOutcome {
  kOk,       // a non-error reply
  kError,    // a definite error reply (the command did not take effect)
  kUnknown,  // no reply: timeout or connection lost
};

const char* OpOutcomeName(OpOutcome o);

struct OpRecord {
  int64_t id = 0;
  int client = 0;
  std::string command;   // "SET", "GET", ...
  std::string key;
  std::string field;     // HSET, HGET, HDEL: the hash field
  std::string value;     // the value a write writes (SET, HSET)
  // ArgvDigest of the command sent: pairs the acknowledgement with the
  // primary's Write trace record (engine/trace_records.h).
  uint64_t argv_digest = 0;
  int64_t invoke_us = 0;
  int64_t complete_us = 0;
  std::string node;      // "ip:port" that gave the final answer
  OpOutcome outcome = OpOutcome::kUnknown;
  std::string reply;     // rendered reply or error text
  int redirects = 0;     // MOVED/ASK followed
  int asks = 0;          // of those, ASK
  int retries = 0;       // TRYAGAIN/CLUSTERDOWN/transport retries
  int tryagains = 0;     // TRYAGAIN replies seen (retried or final)
  int clusterdowns = 0;  // CLUSTERDOWN replies seen (retried or final)
  // An earlier attempt got no answer, so the command may have been applied
  // more than once (matters for non-idempotent commands like INCR).
  bool ambiguous = false;
  // Attempts that got no answer (timeouts, lost connections): each may
  // have been applied, so an INCR may have run this many times more.
  int unanswered = 0;
  // Replicas a WAIT right after this write confirmed; -1 if none was sent.
  int wait_replicas = -1;
  // The first attempt that failed for want of the cluster (a transport
  // error or timeout, TRYAGAIN, CLUSTERDOWN), before any retry hid it;
  // empty if none did. Redirects (MOVED, ASK) are not failures.
  std::string first_failure;
  int64_t first_failure_us = -1;
};

class OpHistory {
 public:
  int64_t Add(OpRecord r) {
    r.id = static_cast<int64_t>(ops_.size());
    ops_.push_back(std::move(r));
    return ops_.back().id;
  }
  const std::vector<OpRecord>& ops() const { return ops_; }
  // Records what the WAIT sent after operation `id` confirmed.
  void SetWaitReplicas(int64_t id, int replicas) {
    ops_.at(static_cast<size_t>(id)).wait_replicas = replicas;
  }

  // Operations invoked but not answered yet: a run may end while they are
  // in flight, applied or not.
  uint64_t BeginOp(const OpRecord& r) {
    in_flight_.emplace(next_token_, r);
    return next_token_++;
  }
  void EndOp(uint64_t token) { in_flight_.erase(token); }
  // Keeps an operation in flight up to date (its unanswered attempts).
  void UpdateOp(uint64_t token, const OpRecord& r) {
    auto it = in_flight_.find(token);
    if (it != in_flight_.end()) it->second = r;
  }
  const std::map<uint64_t, OpRecord>& in_flight() const { return in_flight_; }

 private:
  std::vector<OpRecord> ops_;
  std::map<uint64_t, OpRecord> in_flight_;
  uint64_t next_token_ = 1;
};

}  // namespace slotsim
