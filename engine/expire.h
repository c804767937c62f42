// Key expiry (Redis's expire.c): the expire commands, and the active
// expire cycle that deletes keys nobody reads after their time.
//
// Expire times are absolute ms on the node's own clock (Env::NowMs()),
// stored in the Keyspace. Who may delete an expired key follows Redis 7.0:
//   - a primary deletes it when a command meets it (lazy expiry,
//     Keyspace::Lookup) or when its active cycle samples it, and
//     propagates a DEL to its replicas and its AOF;
//   - a replica never deletes on its own: a client reading an expired key
//     there is told it is missing, but the key stays until the primary's
//     DEL arrives, so the replica stays an exact copy of its primary;
//   - commands from the primary, and from the AOF or a dump while
//     loading, never see a key as expired (checkAlreadyExpired is false):
//     an EXPIREAT in the past there sets the time instead of deleting.
// Relative expires reach replicas and the AOF as absolute times (SET ...
// PXAT, PEXPIREAT, RESTORE ... ABSTTL), so a late replay means the same.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "engine/env.h"
#include "engine/keyspace.h"

namespace slotsim {

// ---- Commands (procs of the command table) -------------------------------------
// EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT]
// (expireGenericCommand).
void ExpireCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void PExpireCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void ExpireAtCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void PExpireAtCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
// TTL / PTTL / EXPIRETIME / PEXPIRETIME key (ttlGenericCommand): -2 for
// a missing key, -1 for one without an expire time.
void TtlCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void PTtlCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void ExpireTimeCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
void PExpireTimeCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);
// PERSIST key.
void PersistCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out);

// ---- The active expire cycle (activeExpireCycle, slow cycle) -------------------
// Every 100 ms (hz 10), a primary samples keys that have an expire time
// and deletes the expired ones, repeating while more than 10% of a
// sample had expired (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE at the default
// effort). Redis walks its expires hash table's buckets; here the samples
// are drawn with the node's own random stream, which keeps runs
// deterministic. The timer runs only while some key has an expire time:
// a node that never sees a TTL draws nothing and schedules nothing.
class ActiveExpire {
 public:
  struct Hooks {
    // Whether expired keys may be deleted now: this node is a primary and
    // clients are not paused (iAmMaster, checkClientPauseTimeoutAndReturnIfPaused).
    std::function<bool()> may_delete;
    // After each cycle (the cluster's after-event work).
    std::function<void()> after_cycle;
  };
  ActiveExpire(Env& env, Keyspace& keyspace, Hooks hooks);
  ActiveExpire(const ActiveExpire&) = delete;
  ActiveExpire& operator=(const ActiveExpire&) = delete;

  // Starts the cycle's timer unless it runs (the keyspace's first TTL).
  void Start();
  // DEBUG SET-ACTIVE-EXPIRE (server.active_expire_enabled).
  void set_enabled(bool on) { enabled_ = on; }
  bool enabled() const { return enabled_; }
  // db->avg_ttl: a running estimate of the sampled keys' remaining TTL.
  int64_t avg_ttl_ms() const { return avg_ttl_ms_; }
  // Keys the cycle deleted (part of stat_expiredkeys).
  int64_t expired_keys() const { return expired_keys_; }

  static constexpr int64_t kPeriodMs = 100;         // 1000 / hz
  static constexpr int64_t kKeysPerLoop = 20;       // ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP
  static constexpr int64_t kAcceptableStalePercent = 10;
  // Redis stops a cycle after 25 ms of CPU (checked every 16 loops); a
  // simulated clock does not move inside an event, so the bound is a
  // count: at most this many loops (1,280 samples) per cycle.
  static constexpr int kLoopsPerCycleMax = 64;

 private:
  void Tick();
  void Cycle();

  Env& env_;
  Keyspace& keyspace_;
  Hooks hooks_;
  TimerId timer_ = kNoTimer;
  bool enabled_ = true;
  int64_t avg_ttl_ms_ = 0;
  int64_t expired_keys_ = 0;
};

}  // namespace slotsim
