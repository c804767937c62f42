#include "engine/dump.h"

#include "engine/crc32.h"

namespace slotsim {
namespace {

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

// A bounds-checked reader over the body.
struct Reader {
  std::string_view in;
  bool Varint(uint64_t* v) {
    *v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (in.empty()) return false;
      const auto b = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      *v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return false;  // more than 10 bytes: not a varint we wrote
  }
  bool String(std::string* s) {
    uint64_t n;
    if (!Varint(&n) || n > in.size()) return false;
    s->assign(in.substr(0, n));
    in.remove_prefix(n);
    return true;
  }
};

}  // namespace

std::string DumpValue(const Value& value) {
  std::string out;
  if (value.IsString()) {
    out.push_back('s');
    PutString(&out, value.str());
  } else if (value.IsList()) {
    out.push_back('l');
    PutVarint(&out, value.list().size());
    for (const auto& e : value.list()) PutString(&out, e);
  } else {
    out.push_back('h');
    PutVarint(&out, value.hash().size());
    for (const auto& [f, v] : value.hash()) {
      PutString(&out, f);
      PutString(&out, v);
    }
  }
  out.push_back(static_cast<char>(kDumpVersion & 0xff));
  out.push_back(static_cast<char>(kDumpVersion >> 8));
  const uint32_t crc = Crc32(out);
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((crc >> (8 * i)) & 0xff));
  return out;
}

namespace {

constexpr int kDigestWords = 5;  // 5 x 32 bits = 40 hex digits

// FNV-1a over the bytes, then splitmix64's finalizer: non-linear, so the
// XOR of many keys' digests cannot cancel out the way CRCs (which are
// linear) do.
uint64_t HashBytes(uint64_t seed, std::string_view a, std::string_view b) {
  uint64_t h = 0xcbf29ce484222325ULL ^ (seed * 0x9e3779b97f4a7c15ULL);
  for (std::string_view part : {a, std::string_view("\0", 1), b})
    for (unsigned char c : part) h = (h ^ c) * 0x100000001b3ULL;
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  return h ^ (h >> 31);
}

void MixDigest(std::string_view key, const Value& value, bool has_expire, uint32_t* words) {
  std::string payload = DumpValue(value);
  if (has_expire) payload += "!!expire!!";
  for (int i = 0; i < kDigestWords; ++i)
    words[i] ^= static_cast<uint32_t>(HashBytes(static_cast<uint64_t>(i) + 1, key, payload));
}

std::string HexDigest(const uint32_t* words) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < kDigestWords; ++i)
    for (int shift = 28; shift >= 0; shift -= 4) out += kHex[(words[i] >> shift) & 0xf];
  return out;
}

}  // namespace

std::string DigestOf(std::string_view key, const Value* value, bool has_expire) {
  uint32_t words[kDigestWords] = {};
  if (value != nullptr) MixDigest(key, *value, has_expire, words);
  return HexDigest(words);
}

std::string DatasetDigest(const Keyspace& keyspace) {
  uint32_t words[kDigestWords] = {};
  keyspace.ForEach([&](const std::string& key, const Value& v) {
    MixDigest(key, v, keyspace.GetExpire(key) >= 0, words);
  });
  return HexDigest(words);
}

size_t DumpPayloadElements(std::string_view payload) {
  if (payload.empty() || (payload[0] != 'h' && payload[0] != 'l')) return 0;
  Reader r{payload.substr(1)};
  uint64_t count = 0;
  if (!r.Varint(&count)) return 0;
  // A declared count beyond what the payload can hold is refused by
  // RestoreValue; never charge more than the bytes allow.
  const uint64_t min_bytes = payload[0] == 'h' ? 2 : 1;  // per field pair / element
  return static_cast<size_t>(std::min<uint64_t>(count, payload.size() / min_bytes));
}

DumpStatus RestoreValue(std::string_view payload, Value* out) {
  if (payload.size() < 1 + 2 + 4) return DumpStatus::kBadChecksum;
  const size_t body_end = payload.size() - 6;
  auto byte = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(payload[i])); };
  const uint32_t version = byte(body_end) | (byte(body_end + 1) << 8);
  uint32_t crc = 0;
  for (int i = 0; i < 4; ++i) crc |= byte(body_end + 2 + i) << (8 * i);
  if (version != kDumpVersion || crc != Crc32(payload.substr(0, body_end + 2)))
    return DumpStatus::kBadChecksum;
  Reader r{payload.substr(1, body_end - 1)};
  if (payload[0] == 's') {
    std::string s;
    if (!r.String(&s) || !r.in.empty()) return DumpStatus::kBadFormat;
    out->data = std::move(s);
    return DumpStatus::kOk;
  }
  if (payload[0] == 'l') {
    uint64_t count;
    // Each element takes at least one byte, which bounds the loop by the
    // input; an empty list is never stored, so never dumped.
    if (!r.Varint(&count) || count == 0 || count > r.in.size()) return DumpStatus::kBadFormat;
    ListValue l;
    for (uint64_t i = 0; i < count; ++i) {
      std::string e;
      if (!r.String(&e)) return DumpStatus::kBadFormat;
      l.push_back(std::move(e));
    }
    if (!r.in.empty()) return DumpStatus::kBadFormat;
    out->data = std::move(l);
    return DumpStatus::kOk;
  }
  if (payload[0] != 'h') return DumpStatus::kBadFormat;
  uint64_t count;
  // Each field takes at least two bytes, which bounds the loop by the input.
  if (!r.Varint(&count) || count == 0 || count > r.in.size() / 2)
    return DumpStatus::kBadFormat;
  HashValue h;
  for (uint64_t i = 0; i < count; ++i) {
    std::string f, v;
    if (!r.String(&f) || !r.String(&v)) return DumpStatus::kBadFormat;
    h.insert_or_assign(std::move(f), std::move(v));
  }
  if (!r.in.empty()) return DumpStatus::kBadFormat;
  out->data = std::move(h);
  return DumpStatus::kOk;
}

}  // namespace slotsim
