// Data commands: strings and hashes (t_string.c, t_hash.c, db.c).
#include "engine/commands.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "engine/dump.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {
namespace {

constexpr const char* kWrongType =
    "WRONGTYPE Operation against a key holding the wrong kind of value";

// string2ll: strict, no spaces, no '+', no leading zeros except "0".
bool StringToLL(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() > 2 && s[0] == '-' && s[1] == '0') return false;
  if (s == "-") return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}


void Get(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Value* v = ks.Find(argv[1]);
  if (v == nullptr) return resp::AppendNullBulk(out);
  if (!v->IsString()) return resp::AppendError(out, kWrongType);
  resp::AppendBulk(out, v->str());
}

// SET key value [NX|XX] [GET]. Expiry options are not supported yet and
// answer a syntax error rather than being silently ignored.
void Set(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool nx = false, xx = false, get = false;
  for (size_t j = 3; j < argv.size(); ++j) {
    if (EqualsIgnoreCase(argv[j], "nx") && !xx) nx = true;
    else if (EqualsIgnoreCase(argv[j], "xx") && !nx) xx = true;
    else if (EqualsIgnoreCase(argv[j], "get")) get = true;
    else return resp::AppendError(out, "ERR syntax error");
  }
  // A plain SET overwrites whatever is there: one lookup, not two.
  if (!nx && !xx && !get) {
    ks.SetString(argv[1], argv[2]);
    return resp::AppendSimple(out, "OK");
  }
  Value* v = ks.Find(argv[1]);
  if (get && v != nullptr && !v->IsString())
    return resp::AppendError(out, kWrongType);
  std::string old;
  bool had = v != nullptr;
  if (get && had) old = v->str();
  if ((nx && had) || (xx && !had)) {
    if (get) return had ? resp::AppendBulk(out, old) : resp::AppendNullBulk(out);
    return resp::AppendNullBulk(out);
  }
  ks.SetString(argv[1], argv[2]);
  if (get) return had ? resp::AppendBulk(out, old) : resp::AppendNullBulk(out);
  resp::AppendSimple(out, "OK");
}

void Del(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  int64_t n = 0;
  for (size_t j = 1; j < argv.size(); ++j) n += ks.Delete(argv[j]) ? 1 : 0;
  resp::AppendInteger(out, n);
}

void Exists(Keyspace& ks, const std::vector<std::string>& argv,
            std::string* out) {
  int64_t n = 0;
  for (size_t j = 1; j < argv.size(); ++j) n += ks.Find(argv[j]) ? 1 : 0;
  resp::AppendInteger(out, n);
}

void Incr(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Value* v = ks.Find(argv[1]);
  int64_t cur = 0;
  if (v != nullptr) {
    if (!v->IsString()) return resp::AppendError(out, kWrongType);
    if (!StringToLL(v->str(), &cur))
      return resp::AppendError(out, "ERR value is not an integer or out of range");
  }
  if (cur == std::numeric_limits<int64_t>::max())
    return resp::AppendError(out, "ERR increment or decrement would overflow");
  ++cur;
  ks.SetString(argv[1], std::to_string(cur));
  resp::AppendInteger(out, cur);
}

// Returns the hash at key (creating it if `create`), nullptr if absent, or
// appends WRONGTYPE and sets *error.
HashValue* LookupHash(Keyspace& ks, const std::string& key, bool create,
                      std::string* out, bool* error) {
  *error = false;
  Value* v = ks.Find(key);
  if (v == nullptr) {
    if (!create) return nullptr;
    v = &ks.FindOrInsert(key, Value{HashValue{}});
  }
  if (!v->IsHash()) {
    resp::AppendError(out, kWrongType);
    *error = true;
    return nullptr;
  }
  return &v->hash();
}

void HSet(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  if (argv.size() % 2 != 0)
    return resp::AppendError(out, "ERR wrong number of arguments for 'hset' command");
  bool err;
  HashValue* h = LookupHash(ks, argv[1], true, out, &err);
  if (err) return;
  int64_t created = 0;
  ks.MarkDirty();
  for (size_t j = 2; j + 1 < argv.size(); j += 2) {
    auto [it, inserted] = h->insert_or_assign(argv[j], argv[j + 1]);
    created += inserted ? 1 : 0;
  }
  resp::AppendInteger(out, created);
}

void HGet(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool err;
  HashValue* h = LookupHash(ks, argv[1], false, out, &err);
  if (err) return;
  if (h == nullptr) return resp::AppendNullBulk(out);
  auto it = h->find(argv[2]);
  if (it == h->end()) return resp::AppendNullBulk(out);
  resp::AppendBulk(out, it->second);
}

void HGetAll(Keyspace& ks, const std::vector<std::string>& argv,
             std::string* out) {
  bool err;
  HashValue* h = LookupHash(ks, argv[1], false, out, &err);
  if (err) return;
  if (h == nullptr) return resp::AppendArrayHeader(out, 0);
  resp::AppendArrayHeader(out, 2 * static_cast<int64_t>(h->size()));
  for (const auto& [f, v] : *h) {
    resp::AppendBulk(out, f);
    resp::AppendBulk(out, v);
  }
}

void HDel(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool err;
  HashValue* h = LookupHash(ks, argv[1], false, out, &err);
  if (err) return;
  int64_t n = 0;
  if (h != nullptr) {
    for (size_t j = 2; j < argv.size(); ++j) n += h->erase(argv[j]);
    if (n > 0) ks.MarkDirty();
    if (h->empty()) ks.Delete(argv[1]);  // Redis deletes empty hashes
  }
  resp::AppendInteger(out, n);
}

void HLen(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool err;
  HashValue* h = LookupHash(ks, argv[1], false, out, &err);
  if (err) return;
  resp::AppendInteger(out, h == nullptr ? 0 : static_cast<int64_t>(h->size()));
}

void Dump(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Value* v = ks.Find(argv[1]);
  if (v == nullptr) return resp::AppendNullBulk(out);
  resp::AppendBulk(out, DumpValue(*v));
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with
// restoreCommand's order of checks. Keys here never expire, so a TTL other
// than 0 is refused rather than silently dropped.
void Restore(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool replace = false, idle = false, freq = false;
  for (size_t j = 4; j < argv.size(); ++j) {
    const bool has_arg = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "absttl")) {
    } else if (EqualsIgnoreCase(argv[j], "idletime") && has_arg && !freq) {
      int64_t v;
      if (!StringToLL(argv[j + 1], &v))
        return resp::AppendError(out, "ERR value is not an integer or out of range");
      if (v < 0) return resp::AppendError(out, "ERR Invalid IDLETIME value, must be >= 0");
      idle = true;
      ++j;
    } else if (EqualsIgnoreCase(argv[j], "freq") && has_arg && !idle) {
      int64_t v;
      if (!StringToLL(argv[j + 1], &v))
        return resp::AppendError(out, "ERR value is not an integer or out of range");
      if (v < 0 || v > 255)
        return resp::AppendError(out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = true;
      ++j;
    } else {
      return resp::AppendError(out, "ERR syntax error");
    }
  }
  if (!replace && ks.Contains(argv[1]))
    return resp::AppendError(out, "BUSYKEY Target key name already exists.");
  int64_t ttl;
  if (!StringToLL(argv[2], &ttl))
    return resp::AppendError(out, "ERR value is not an integer or out of range");
  if (ttl < 0) return resp::AppendError(out, "ERR Invalid TTL value, must be >= 0");
  if (ttl > 0)
    return resp::AppendError(out, "ERR slotsim keys do not expire: the TTL must be 0");
  Value v;
  switch (RestoreValue(argv[3], &v)) {
    case DumpStatus::kBadChecksum:
      return resp::AppendError(out, "ERR DUMP payload version or checksum are wrong");
    case DumpStatus::kBadFormat:
      return resp::AppendError(out, "ERR Bad data format");
    case DumpStatus::kOk:
      break;
  }
  if (replace) ks.Delete(argv[1]);
  ks.FindOrInsert(argv[1], std::move(v));
  resp::AppendSimple(out, "OK");
}

// MSET key value [key value ...]: every pair, in order (msetGenericCommand).
void MSet(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  if (argv.size() % 2 == 0)
    return resp::AppendError(out, "ERR wrong number of arguments for 'mset' command");
  for (size_t j = 1; j + 1 < argv.size(); j += 2) ks.SetString(argv[j], argv[j + 1]);
  resp::AppendSimple(out, "OK");
}

// MGET key [key ...]: nil for a missing key or one that is not a string.
void MGet(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  resp::AppendArrayHeader(out, static_cast<int64_t>(argv.size() - 1));
  for (size_t j = 1; j < argv.size(); ++j) {
    const Value* v = ks.Find(argv[j]);
    if (v == nullptr || !v->IsString()) resp::AppendNullBulk(out);
    else resp::AppendBulk(out, v->str());
  }
}

// FLUSHALL / FLUSHDB [ASYNC|SYNC]: cluster mode has one database, so both
// empty it (flushallCommand).
void FlushAll(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  if (argv.size() > 2 || (argv.size() == 2 && Lower(argv[1]) != "async" && Lower(argv[1]) != "sync")) {
    resp::AppendError(out, "ERR syntax error");
    return;
  }
  ks.Clear();
  resp::AppendSimple(out, "OK");
}

const CommandSpec kCommands[] = {
    {"get", 2, kCmdReadOnly, 1, 1, 1, Get},
    {"mget", -2, kCmdReadOnly, 1, -1, 1, MGet},
    {"mset", -3, kCmdWrite, 1, -1, 2, MSet},
    {"set", -3, kCmdWrite, 1, 1, 1, Set},
    {"del", -2, kCmdWrite | kCmdFree, 1, -1, 1, Del},
    {"exists", -2, kCmdReadOnly, 1, -1, 1, Exists},
    {"incr", 2, kCmdWrite, 1, 1, 1, Incr},
    {"hset", -4, kCmdWrite, 1, 1, 1, HSet},
    {"hget", 3, kCmdReadOnly, 1, 1, 1, HGet},
    {"hgetall", 2, kCmdReadOnly, 1, 1, 1, HGetAll},
    {"hdel", -3, kCmdWrite, 1, 1, 1, HDel},
    {"hlen", 2, kCmdReadOnly, 1, 1, 1, HLen},
    {"dump", 2, kCmdReadOnly | kCmdSerialize, 1, 1, 1, Dump},
    {"restore", -4, kCmdWrite | kCmdLoad, 1, 1, 1, Restore},
    // MIGRATE sends this one: served on an importing slot without ASKING.
    {"restore-asking", -4, kCmdWrite | kCmdLoad | kCmdAsking, 1, 1, 1, Restore},
    // Handled by Server itself.
    {"cluster", -2, 0, 0, 0, 0, nullptr},
    {"ping", -1, 0, 0, 0, 0, nullptr},
    {"echo", 2, 0, 0, 0, 0, nullptr},
    {"dbsize", 1, kCmdReadOnly, 0, 0, 0, nullptr},
    {"info", -1, 0, 0, 0, 0, nullptr},
    {"readonly", 1, 0, 0, 0, 0, nullptr},
    {"readwrite", 1, 0, 0, 0, 0, nullptr},
    {"asking", 1, 0, 0, 0, 0, nullptr},
    {"quit", -1, 0, 0, 0, 0, nullptr},
    {"psync", -3, 0, 0, 0, 0, nullptr},
    {"replconf", -1, 0, 0, 0, 0, nullptr},
    {"wait", 3, 0, 0, 0, 0, nullptr},
    {"select", 2, 0, 0, 0, 0, nullptr},
    // Keys found by MigrateKeys (the KEYS form puts them at the end).
    {"migrate", -6, kCmdWrite, 0, 0, 0, nullptr},
    {"command", -1, 0, 0, 0, 0, nullptr},
    {"config", -2, 0, 0, 0, 0, nullptr},
    {"flushall", -1, kCmdWrite, 0, 0, 0, FlushAll},
    {"flushdb", -1, kCmdWrite, 0, 0, 0, FlushAll},
    {"debug", -2, 0, 0, 0, 0, nullptr},
    {"role", 1, 0, 0, 0, 0, nullptr},
    {"client", -2, 0, 0, 0, 0, nullptr},
    {"multi", 1, 0, 0, 0, 0, nullptr},
    {"exec", 1, 0, 0, 0, 0, nullptr},
    {"discard", 1, 0, 0, 0, 0, nullptr},
    // Pub/Sub: a shard channel is a key (it routes to its slot's shard).
    {"subscribe", -2, 0, 0, 0, 0, nullptr},
    {"unsubscribe", -1, 0, 0, 0, 0, nullptr},
    {"psubscribe", -2, 0, 0, 0, 0, nullptr},
    {"punsubscribe", -1, 0, 0, 0, 0, nullptr},
    {"ssubscribe", -2, 0, 1, -1, 1, nullptr},
    {"sunsubscribe", -1, 0, 1, -1, 1, nullptr},
    {"publish", 3, 0, 0, 0, 0, nullptr},
    {"spublish", 3, 0, 1, 1, 1, nullptr},
    {"pubsub", -2, 0, 0, 0, 0, nullptr},
};

}  // namespace

const std::vector<CommandSpec>& AllCommands() {
  static const std::vector<CommandSpec> all(std::begin(kCommands), std::end(kCommands));
  return all;
}

const CommandSpec* LookupCommand(std::string_view name) {
  for (const auto& c : kCommands)
    if (EqualsIgnoreCase(name, c.name)) return &c;
  return nullptr;
}

std::vector<std::string_view> CommandKeys(const CommandSpec& spec,
                                          const std::vector<std::string>& argv) {
  std::vector<std::string_view> keys;
  if (spec.first_key == 0) return keys;
  int argc = static_cast<int>(argv.size());
  int last = spec.last_key < 0 ? argc + spec.last_key : spec.last_key;
  for (int j = spec.first_key; j <= last && j < argc; j += spec.key_step)
    keys.push_back(argv[j]);
  return keys;
}

}  // namespace slotsim
