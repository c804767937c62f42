#include "engine/expire.h"

#include <limits>

#include "engine/check.h"
#include "engine/commands.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {
namespace {

constexpr int64_t kLLongMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kLLongMin = std::numeric_limits<int64_t>::min();

// expireGenericCommand. `basetime`: now for the relative forms, 0 for the
// *AT ones; `seconds`: the time argument is in seconds.
void ExpireGeneric(Keyspace& ks, const std::vector<std::string>& argv, std::string_view command,
                   int64_t basetime, bool seconds, std::string* out) {
  // parseExtendedExpireArgumentsOrReply comes before the time is parsed.
  bool nx = false, xx = false, gt = false, lt = false;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nx")) nx = true;
    else if (EqualsIgnoreCase(argv[j], "xx")) xx = true;
    else if (EqualsIgnoreCase(argv[j], "gt")) gt = true;
    else if (EqualsIgnoreCase(argv[j], "lt")) lt = true;
    else return resp::AppendError(out, "ERR Unsupported option " + argv[j]);
  }
  if (nx && (xx || gt || lt))
    return resp::AppendError(out, "ERR NX and XX, GT or LT options at the same time are not compatible");
  if (gt && lt)
    return resp::AppendError(out, "ERR GT and LT options at the same time are not compatible");
  int64_t when;
  if (!StringToLL(argv[2], &when))
    return resp::AppendError(out, "ERR value is not an integer or out of range");
  const std::string invalid = "ERR invalid expire time in '" + std::string(command) + "' command";
  // Negative times are allowed (the key goes at once); overflow is not.
  if (seconds) {
    if (when > kLLongMax / 1000 || when < kLLongMin / 1000) return resp::AppendError(out, invalid);
    when *= 1000;
  }
  if (when > kLLongMax - basetime) return resp::AppendError(out, invalid);
  when += basetime;
  const std::string& key = argv[1];
  if (ks.Lookup(key) == nullptr) return resp::AppendInteger(out, 0);
  const int64_t current = ks.GetExpire(key);
  // No expire time counts as an infinite one for GT and LT.
  if (nx && current != -1) return resp::AppendInteger(out, 0);
  if (xx && current == -1) return resp::AppendInteger(out, 0);
  if (gt && (current == -1 || when <= current)) return resp::AppendInteger(out, 0);
  if (lt && current != -1 && when >= current) return resp::AppendInteger(out, 0);
  if (ks.AlreadyExpired(when)) {
    ks.Delete(key);
    ks.PropagateAs({"DEL", key});
    return resp::AppendInteger(out, 1);
  }
  ks.SetExpire(key, when);
  // Propagated as PEXPIREAT with the absolute time, its options kept.
  if (!EqualsIgnoreCase(command, "pexpireat")) {
    std::vector<std::string> as = argv;
    as[0] = "PEXPIREAT";
    as[2] = std::to_string(when);
    ks.PropagateAs(std::move(as));
  }
  resp::AppendInteger(out, 1);
}

// ttlGenericCommand.
void TtlGeneric(Keyspace& ks, const std::vector<std::string>& argv, bool ms, bool absolute,
                std::string* out) {
  if (ks.Lookup(argv[1]) == nullptr) return resp::AppendInteger(out, -2);
  const int64_t expire = ks.GetExpire(argv[1]);
  if (expire == -1) return resp::AppendInteger(out, -1);
  int64_t ttl = absolute ? expire : expire - ks.now_ms();
  if (ttl < 0) ttl = 0;
  resp::AppendInteger(out, ms ? ttl : (ttl + 500) / 1000);
}

}  // namespace

void ExpireCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  ExpireGeneric(ks, argv, "expire", ks.now_ms(), /*seconds=*/true, out);
}
void PExpireCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  ExpireGeneric(ks, argv, "pexpire", ks.now_ms(), /*seconds=*/false, out);
}
void ExpireAtCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  ExpireGeneric(ks, argv, "expireat", 0, /*seconds=*/true, out);
}
void PExpireAtCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  ExpireGeneric(ks, argv, "pexpireat", 0, /*seconds=*/false, out);
}
void TtlCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  TtlGeneric(ks, argv, /*ms=*/false, /*absolute=*/false, out);
}
void PTtlCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  TtlGeneric(ks, argv, /*ms=*/true, /*absolute=*/false, out);
}
void ExpireTimeCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  TtlGeneric(ks, argv, /*ms=*/false, /*absolute=*/true, out);
}
void PExpireTimeCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  TtlGeneric(ks, argv, /*ms=*/true, /*absolute=*/true, out);
}

void PersistCommand(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  const bool removed = ks.Lookup(argv[1]) != nullptr && ks.RemoveExpire(argv[1]);
  resp::AppendInteger(out, removed ? 1 : 0);
}

// ---- The active expire cycle ------------------------------------------------------

ActiveExpire::ActiveExpire(Env& env, Keyspace& keyspace, Hooks hooks)
    : env_(env), keyspace_(keyspace), hooks_(std::move(hooks)) {
  SLOTSIM_CHECK(hooks_.may_delete && hooks_.after_cycle);
}

void ActiveExpire::Start() {
  if (timer_ != kNoTimer) return;
  timer_ = env_.AddTimer(kPeriodMs, "activeExpireCycle", [this] { Tick(); });
}

void ActiveExpire::Tick() {
  timer_ = kNoTimer;
  // No key with a TTL left: the timer stops until the next first TTL.
  if (keyspace_.expires() == 0) {
    avg_ttl_ms_ = 0;
    return;
  }
  if (enabled_ && hooks_.may_delete()) Cycle();
  Start();
  hooks_.after_cycle();
}

void ActiveExpire::Cycle() {
  const int64_t now = env_.NowMs();
  // Each loop samples up to kKeysPerLoop keys; the cycle goes on while a
  // sample was more than kAcceptableStalePercent expired.
  for (int loop = 0; loop < kLoopsPerCycleMax; ++loop) {
    const int64_t num = std::min(keyspace_.expires(), kKeysPerLoop);
    if (num == 0) {
      avg_ttl_ms_ = 0;
      return;
    }
    int64_t sampled = 0, expired = 0, ttl_sum = 0, ttl_samples = 0;
    for (; sampled < num && keyspace_.expires() > 0; ++sampled) {
      const std::string& key =
          keyspace_.VolatileKeyAt(env_.RandomBelow(static_cast<uint64_t>(keyspace_.expires())));
      const int64_t when = keyspace_.GetExpire(key);
      SLOTSIM_CHECK(when >= 0);
      if (now > when) {  // activeExpireCycleTryExpire: strictly after
        keyspace_.DeleteExpired(key);  // invalidates `key`
        ++expired;
        ++expired_keys_;
      } else if (when - now > 0) {
        ttl_sum += when - now;
        ++ttl_samples;
      }
    }
    if (ttl_samples > 0) {
      // A running average weighing the new estimate 2%, as Redis does.
      const int64_t avg = ttl_sum / ttl_samples;
      if (avg_ttl_ms_ == 0) avg_ttl_ms_ = avg;
      avg_ttl_ms_ = (avg_ttl_ms_ / 50) * 49 + avg / 50;
    }
    if (sampled == 0 || expired * 100 / sampled <= kAcceptableStalePercent) return;
  }
}

}  // namespace slotsim
