// Data commands: strings, hashes and lists (t_string.c, t_hash.c,
// t_list.c, db.c). The expire commands are in expire.cc.
#include "engine/commands.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <limits>

#include "engine/check.h"
#include "engine/dump.h"
#include "engine/expire.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {

bool StringToLL(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  if (s.size() > 1 && s[0] == '0') return false;
  if (s.size() > 2 && s[0] == '-' && s[1] == '0') return false;
  if (s == "-") return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}

namespace {

constexpr const char* kWrongType = kWrongTypeError;
constexpr const char* kNotInteger = "ERR value is not an integer or out of range";

void Get(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Value* v = ks.Lookup(argv[1]);
  if (v == nullptr) return resp::AppendNullBulk(out);
  if (!v->IsString()) return resp::AppendError(out, kWrongType);
  resp::AppendBulk(out, v->str());
}

// setGenericCommand's flags.
struct SetOptions {
  bool nx = false, xx = false, get = false, keepttl = false;
  // EX, PX, EXAT or PXAT and its argument; nullptr: none.
  const char* unit = nullptr;
  const std::string* expire = nullptr;
};

// getExpireMillisecondsOrReply: the absolute expire time in ms, or an
// error reply. `relative`: EX / PX (from now); `seconds`: EX / EXAT.
bool ExpireArgToMs(const Keyspace& ks, std::string_view command, const std::string& arg,
                   bool relative, bool seconds, int64_t* ms, std::string* out) {
  if (!StringToLL(arg, ms)) {
    resp::AppendError(out, kNotInteger);
    return false;
  }
  const std::string invalid = "ERR invalid expire time in '" + std::string(command) + "' command";
  if (*ms <= 0 || (seconds && *ms > std::numeric_limits<int64_t>::max() / 1000)) {
    resp::AppendError(out, invalid);
    return false;
  }
  if (seconds) *ms *= 1000;
  if (relative) {
    // Redis adds and then sees a wrapped sum as <= 0; the sum must not
    // overflow here (undefined behaviour), so test before adding.
    if (*ms > std::numeric_limits<int64_t>::max() - ks.now_ms()) {
      resp::AppendError(out, invalid);
      return false;
    }
    *ms += ks.now_ms();
  }
  if (*ms <= 0) {
    resp::AppendError(out, invalid);
    return false;
  }
  return true;
}

// setGenericCommand for SET, SETEX and PSETEX: the order of its checks,
// its replies, and its propagation (a TTL as SET key value PXAT ms; GET
// dropped).
void SetGeneric(Keyspace& ks, const std::vector<std::string>& argv, std::string_view command,
                const std::string& key, const std::string& value, const SetOptions& o,
                std::string* out) {
  int64_t when = 0;
  if (o.expire != nullptr) {
    const std::string_view u = o.unit;
    if (!ExpireArgToMs(ks, command, *o.expire, /*relative=*/u == "ex" || u == "px",
                       /*seconds=*/u == "ex" || u == "exat", &when, out))
      return;
  }
  if (o.get) {
    // getGenericCommand: the old value is the reply, whatever follows.
    const Value* old = ks.Lookup(key);
    if (old != nullptr && !old->IsString()) return resp::AppendError(out, kWrongType);
    if (old == nullptr) resp::AppendNullBulk(out);
    else resp::AppendBulk(out, old->str());
  }
  // Only NX and XX need to know whether the key exists: a plain SET
  // stays one lookup.
  const bool found = (o.nx || o.xx) && ks.Lookup(key) != nullptr;
  if ((o.nx && found) || (o.xx && !found)) {
    if (!o.get) resp::AppendNullBulk(out);
    return;
  }
  ks.SetString(key, value, o.keepttl);
  if (o.expire != nullptr) {
    ks.SetExpire(key, when);
    ks.PropagateAs({"SET", key, value, "PXAT", std::to_string(when)});
  } else if (o.get) {
    std::vector<std::string> as;
    for (size_t j = 0; j < argv.size(); ++j)
      if (j < 3 || !EqualsIgnoreCase(argv[j], "get")) as.push_back(argv[j]);
    ks.PropagateAs(std::move(as));
  }
  if (!o.get) resp::AppendSimple(out, "OK");
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ms-ts|KEEPTTL]
// (parseExtendedStringArgumentsOrReply: an option that clashes with an
// earlier one is a syntax error).
void Set(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  SetOptions o;
  for (size_t j = 3; j < argv.size(); ++j) {
    const std::string& a = argv[j];
    const bool has_next = j + 1 < argv.size();
    const bool timed = o.expire != nullptr;
    if (EqualsIgnoreCase(a, "nx") && !o.xx) {
      o.nx = true;
    } else if (EqualsIgnoreCase(a, "xx") && !o.nx) {
      o.xx = true;
    } else if (EqualsIgnoreCase(a, "get")) {
      o.get = true;
    } else if (EqualsIgnoreCase(a, "keepttl") && !timed) {
      o.keepttl = true;
    } else if (!o.keepttl && has_next &&
               (EqualsIgnoreCase(a, "ex") || EqualsIgnoreCase(a, "px") ||
                EqualsIgnoreCase(a, "exat") || EqualsIgnoreCase(a, "pxat")) &&
               (!timed || EqualsIgnoreCase(a, o.unit))) {
      // The same unit twice is allowed (the later value wins), as Redis's
      // flag tests only exclude the other three.
      o.unit = EqualsIgnoreCase(a, "ex") ? "ex" : EqualsIgnoreCase(a, "px") ? "px"
               : EqualsIgnoreCase(a, "exat") ? "exat" : "pxat";
      o.expire = &argv[++j];
    } else {
      return resp::AppendError(out, "ERR syntax error");
    }
  }
  SetGeneric(ks, argv, "set", argv[1], argv[2], o, out);
}

// SETEX key seconds value / PSETEX key milliseconds value.
void SetEx(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  SetOptions o;
  o.unit = "ex";
  o.expire = &argv[2];
  SetGeneric(ks, argv, "setex", argv[1], argv[3], o, out);
}

void PSetEx(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  SetOptions o;
  o.unit = "px";
  o.expire = &argv[2];
  SetGeneric(ks, argv, "psetex", argv[1], argv[3], o, out);
}

// DEL: delGenericCommand expires the key first, so a key that had expired
// is deleted for that reason (its own DEL) and not counted.
void Del(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  int64_t n = 0;
  for (size_t j = 1; j < argv.size(); ++j) {
    ks.Lookup(argv[j]);
    n += ks.Delete(argv[j]) ? 1 : 0;
  }
  resp::AppendInteger(out, n);
}

void Exists(Keyspace& ks, const std::vector<std::string>& argv,
            std::string* out) {
  int64_t n = 0;
  for (size_t j = 1; j < argv.size(); ++j) n += ks.Lookup(argv[j]) ? 1 : 0;
  resp::AppendInteger(out, n);
}

// TYPE key.
void Type(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  const Value* v = ks.Lookup(argv[1]);
  resp::AppendSimple(out, v == nullptr ? "none" : v->TypeName());
}

void Incr(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Value* v = ks.Lookup(argv[1]);
  int64_t cur = 0;
  if (v != nullptr) {
    if (!v->IsString()) return resp::AppendError(out, kWrongType);
    if (!StringToLL(v->str(), &cur))
      return resp::AppendError(out, "ERR value is not an integer or out of range");
  }
  if (cur == std::numeric_limits<int64_t>::max())
    return resp::AppendError(out, "ERR increment or decrement would overflow");
  ++cur;
  // dbOverwrite: the key keeps its TTL.
  ks.SetString(argv[1], std::to_string(cur), /*keep_ttl=*/true);
  resp::AppendInteger(out, cur);
}

// Returns the hash at key (creating it if `create`), nullptr if absent, or
// appends WRONGTYPE and sets *error.
HashValue* LookupHash(Keyspace& ks, const std::string& key, bool create,
                      std::string* out, bool* error) {
  *error = false;
  Value* v = ks.Lookup(key);
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
  Value* v = ks.Lookup(argv[1]);
  if (v == nullptr) return resp::AppendNullBulk(out);
  resp::AppendBulk(out, DumpValue(*v));
}

// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with
// restoreCommand's order of checks. A relative TTL goes to replicas and
// the AOF as an absolute one (ABSTTL); one already past deletes instead.
void Restore(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool replace = false, absttl = false, idle = false, freq = false;
  for (size_t j = 4; j < argv.size(); ++j) {
    const bool has_arg = j + 1 < argv.size();
    if (EqualsIgnoreCase(argv[j], "replace")) {
      replace = true;
    } else if (EqualsIgnoreCase(argv[j], "absttl")) {
      absttl = true;
    } else if (EqualsIgnoreCase(argv[j], "idletime") && has_arg && !freq) {
      int64_t v;
      if (!StringToLL(argv[j + 1], &v)) return resp::AppendError(out, kNotInteger);
      if (v < 0) return resp::AppendError(out, "ERR Invalid IDLETIME value, must be >= 0");
      idle = true;
      ++j;
    } else if (EqualsIgnoreCase(argv[j], "freq") && has_arg && !idle) {
      int64_t v;
      if (!StringToLL(argv[j + 1], &v)) return resp::AppendError(out, kNotInteger);
      if (v < 0 || v > 255)
        return resp::AppendError(out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
      freq = true;
      ++j;
    } else {
      return resp::AppendError(out, "ERR syntax error");
    }
  }
  const std::string& key = argv[1];
  if (!replace && ks.Lookup(key) != nullptr)
    return resp::AppendError(out, "BUSYKEY Target key name already exists.");
  int64_t ttl;
  if (!StringToLL(argv[2], &ttl)) return resp::AppendError(out, kNotInteger);
  if (ttl < 0) return resp::AppendError(out, "ERR Invalid TTL value, must be >= 0");
  Value v;
  switch (RestoreValue(argv[3], &v)) {
    case DumpStatus::kBadChecksum:
      return resp::AppendError(out, "ERR DUMP payload version or checksum are wrong");
    case DumpStatus::kBadFormat:
      return resp::AppendError(out, "ERR Bad data format");
    case DumpStatus::kOk:
      break;
  }
  const bool deleted = replace && ks.Delete(key);
  if (ttl > 0 && !absttl) {
    if (ttl > std::numeric_limits<int64_t>::max() - ks.now_ms())
      return resp::AppendError(out, "ERR Invalid TTL value, must be >= 0");  // would wrap
    ttl += ks.now_ms();
  }
  if (ttl > 0 && ks.AlreadyExpired(ttl)) {
    if (deleted) ks.PropagateAs({"DEL", key});
    return resp::AppendSimple(out, "OK");
  }
  ks.FindOrInsert(key, std::move(v));
  if (ttl > 0) {
    ks.SetExpire(key, ttl);
    if (!absttl) {
      std::vector<std::string> as = argv;
      as[2] = std::to_string(ttl);
      as.push_back("ABSTTL");
      ks.PropagateAs(std::move(as));
    }
  }
  resp::AppendSimple(out, "OK");
}


// ---- Lists (t_list.c) ------------------------------------------------------------

// The list at key, nullptr if absent, or appends WRONGTYPE and sets *error.
ListValue* LookupList(Keyspace& ks, const std::string& key, std::string* out, bool* error) {
  *error = false;
  Value* v = ks.Lookup(key);
  if (v == nullptr) return nullptr;
  if (!v->IsList()) {
    resp::AppendError(out, kWrongType);
    *error = true;
    return nullptr;
  }
  return &v->list();
}

// LPUSH / RPUSH key element [element ...] (pushGenericCommand): each
// element in turn, so LPUSH k a b leaves b first.
void Push(Keyspace& ks, const std::vector<std::string>& argv, bool head, std::string* out) {
  bool err;
  ListValue* l = LookupList(ks, argv[1], out, &err);
  if (err) return;
  if (l == nullptr) l = &ks.FindOrInsert(argv[1], Value{ListValue{}}).list();
  ks.MarkDirty();
  for (size_t j = 2; j < argv.size(); ++j) {
    if (head) l->push_front(argv[j]);
    else l->push_back(argv[j]);
  }
  resp::AppendInteger(out, static_cast<int64_t>(l->size()));
}

void LPush(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Push(ks, argv, /*head=*/true, out);
}

void RPush(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Push(ks, argv, /*head=*/false, out);
}

// LPOP / RPOP key [count] (popGenericCommand): without a count one bulk
// (nil if absent); with one an array of up to count elements, nearest
// end first (a nil array if absent, an empty one for count 0). A list
// popped empty is deleted.
void Pop(Keyspace& ks, const std::vector<std::string>& argv, bool head, std::string* out) {
  if (argv.size() > 3)
    return resp::AppendError(out, std::string("ERR wrong number of arguments for '") +
                                      (head ? "lpop" : "rpop") + "' command");
  const bool has_count = argv.size() == 3;
  int64_t count = 0;
  if (has_count) {
    // getPositiveLongFromObjectOrReply: one message for "not a number"
    // and "negative" alike.
    if (!StringToLL(argv[2], &count) || count < 0)
      return resp::AppendError(out, "ERR value is out of range, must be positive");
  }
  bool err;
  ListValue* l = LookupList(ks, argv[1], out, &err);
  if (err) return;
  if (l == nullptr) return has_count ? resp::AppendNullArray(out) : resp::AppendNullBulk(out);
  SLOTSIM_CHECK_MSG(!l->empty(), "an empty list is never stored");
  if (has_count && count == 0) return resp::AppendArrayHeader(out, 0);
  const int64_t n = has_count ? std::min<int64_t>(count, static_cast<int64_t>(l->size())) : 1;
  if (has_count) resp::AppendArrayHeader(out, n);
  for (int64_t i = 0; i < n; ++i) {
    std::string& e = head ? l->front() : l->back();
    resp::AppendBulk(out, e);
    if (head) l->pop_front();
    else l->pop_back();
  }
  ks.MarkDirty();
  if (l->empty()) ks.Delete(argv[1]);  // listElementsRemoved
}

void LPop(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Pop(ks, argv, /*head=*/true, out);
}

void RPop(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  Pop(ks, argv, /*head=*/false, out);
}

// LRANGE key start stop (addListRangeReply): negative indexes count from
// the end; out-of-range ends are clipped.
void LRange(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  int64_t start, end;
  if (!StringToLL(argv[2], &start) || !StringToLL(argv[3], &end))
    return resp::AppendError(out, kNotInteger);
  bool err;
  const ListValue* l = LookupList(ks, argv[1], out, &err);
  if (err) return;
  if (l == nullptr) return resp::AppendArrayHeader(out, 0);
  const int64_t len = static_cast<int64_t>(l->size());
  if (start < 0) start += len;
  if (end < 0) end += len;
  if (start < 0) start = 0;
  if (start > end || start >= len) return resp::AppendArrayHeader(out, 0);
  if (end >= len) end = len - 1;
  resp::AppendArrayHeader(out, end - start + 1);
  for (int64_t i = start; i <= end; ++i) resp::AppendBulk(out, (*l)[static_cast<size_t>(i)]);
}

void LLen(Keyspace& ks, const std::vector<std::string>& argv, std::string* out) {
  bool err;
  const ListValue* l = LookupList(ks, argv[1], out, &err);
  if (err) return;
  resp::AppendInteger(out, l == nullptr ? 0 : static_cast<int64_t>(l->size()));
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
    const Value* v = ks.Lookup(argv[j]);
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
    {"setex", 4, kCmdWrite, 1, 1, 1, SetEx},
    {"psetex", 4, kCmdWrite, 1, 1, 1, PSetEx},
    {"del", -2, kCmdWrite | kCmdFree, 1, -1, 1, Del},
    {"exists", -2, kCmdReadOnly, 1, -1, 1, Exists},
    {"type", 2, kCmdReadOnly, 1, 1, 1, Type},
    {"incr", 2, kCmdWrite, 1, 1, 1, Incr},
    {"hset", -4, kCmdWrite, 1, 1, 1, HSet},
    {"hget", 3, kCmdReadOnly, 1, 1, 1, HGet},
    {"hgetall", 2, kCmdReadOnly, 1, 1, 1, HGetAll},
    {"hdel", -3, kCmdWrite, 1, 1, 1, HDel},
    {"hlen", 2, kCmdReadOnly, 1, 1, 1, HLen},
    {"lpush", -3, kCmdWrite, 1, 1, 1, LPush},
    {"rpush", -3, kCmdWrite, 1, 1, 1, RPush},
    {"lpop", -2, kCmdWrite, 1, 1, 1, LPop},
    {"rpop", -2, kCmdWrite, 1, 1, 1, RPop},
    {"lrange", 4, kCmdReadOnly, 1, 1, 1, LRange},
    {"llen", 2, kCmdReadOnly, 1, 1, 1, LLen},
    {"expire", -3, kCmdWrite, 1, 1, 1, ExpireCommand},
    {"pexpire", -3, kCmdWrite, 1, 1, 1, PExpireCommand},
    {"expireat", -3, kCmdWrite, 1, 1, 1, ExpireAtCommand},
    {"pexpireat", -3, kCmdWrite, 1, 1, 1, PExpireAtCommand},
    {"ttl", 2, kCmdReadOnly, 1, 1, 1, TtlCommand},
    {"pttl", 2, kCmdReadOnly, 1, 1, 1, PTtlCommand},
    {"expiretime", 2, kCmdReadOnly, 1, 1, 1, ExpireTimeCommand},
    {"pexpiretime", 2, kCmdReadOnly, 1, 1, 1, PExpireTimeCommand},
    {"persist", 2, kCmdWrite, 1, 1, 1, PersistCommand},
    {"dump", 2, kCmdReadOnly | kCmdSerialize, 1, 1, 1, Dump},
    {"restore", -4, kCmdWrite | kCmdLoad, 1, 1, 1, Restore},
    // MIGRATE sends this one: served on an importing slot without ASKING.
    {"restore-asking", -4, kCmdWrite | kCmdLoad | kCmdAsking, 1, 1, 1, Restore},
    // Handled by Server itself.
    {"cluster", -2, 0, 0, 0, 0, nullptr},
    {"ping", -1, 0, 0, 0, 0, nullptr},
    {"echo", 2, 0, 0, 0, 0, nullptr},
    {"dbsize", 1, kCmdReadOnly, 0, 0, 0, nullptr},
    {"save", 1, 0, 0, 0, 0, nullptr},
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
    {"shutdown", -1, 0, 0, 0, 0, nullptr},
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
