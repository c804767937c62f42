#include "engine/trace_records.h"

#include <charconv>

#include "engine/check.h"
#include "engine/probes.h"

namespace slotsim {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// A details string is one record's; a record with more fields than this
// is malformed, not a reason to allocate without bound.
constexpr size_t kFieldsMax = 64;

bool NeedsEscape(unsigned char c) { return c == '%' || c == ' ' || c == '=' || c < 0x20 || c == 0x7f; }

void AppendEscaped(std::string* out, std::string_view value) {
  for (unsigned char c : value) {
    if (!NeedsEscape(c)) {
      out->push_back(static_cast<char>(c));
      continue;
    }
    out->push_back('%');
    out->push_back(kHexDigits[c >> 4]);
    out->push_back(kHexDigits[c & 15]);
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> Unescape(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] != '%') {
      out.push_back(v[i]);
      continue;
    }
    if (i + 2 >= v.size()) return std::nullopt;
    const int hi = HexValue(v[i + 1]), lo = HexValue(v[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

}  // namespace

// ---- Details ---------------------------------------------------------------------

DetailsWriter& DetailsWriter::Add(std::string_view key, std::string_view value) {
  SLOTSIM_CHECK(!key.empty());
  if (!out_.empty()) out_.push_back(' ');
  out_.append(key);
  out_.push_back('=');
  AppendEscaped(&out_, value);
  return *this;
}

DetailsWriter& DetailsWriter::Add(std::string_view key, int64_t value) {
  return Add(key, std::to_string(value));
}

DetailsWriter& DetailsWriter::AddHex(std::string_view key, uint64_t value) {
  char buf[17];
  for (int i = 15; i >= 0; --i, value >>= 4) buf[i] = kHexDigits[value & 15];
  return Add(key, std::string_view(buf, 16));
}

DetailsReader::DetailsReader(std::string_view details) {
  size_t pos = 0;
  while (pos < details.size()) {
    size_t end = details.find(' ', pos);
    if (end == std::string_view::npos) end = details.size();
    const std::string_view field = details.substr(pos, end - pos);
    pos = end + 1;
    if (field.empty()) continue;
    if (fields_.size() >= kFieldsMax) {
      Fail("more than " + std::to_string(kFieldsMax) + " fields");
      return;
    }
    const size_t eq = field.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      Fail("field \"" + std::string(field) + "\" is not key=value");
      continue;
    }
    auto value = Unescape(field.substr(eq + 1));
    if (!value) {
      Fail("field " + std::string(field.substr(0, eq)) + " has a bad %-escape");
      continue;
    }
    fields_.emplace_back(std::string(field.substr(0, eq)), std::move(*value));
  }
}

const std::string* DetailsReader::Find(std::string_view key) const {
  for (const auto& [k, v] : fields_)
    if (k == key) return &v;
  return nullptr;
}

void DetailsReader::Invalid(std::string_view key, std::string_view expected) {
  Fail("field " + std::string(key) + " is not " + std::string(expected));
}

void DetailsReader::Fail(std::string message) {
  if (error_.empty()) error_ = std::move(message);
}

std::optional<std::string> DetailsReader::Str(std::string_view key) {
  const std::string* v = Find(key);
  if (v == nullptr) {
    Fail("missing field " + std::string(key));
    return std::nullopt;
  }
  return *v;
}

std::optional<std::string> DetailsReader::OptionalStr(std::string_view key) {
  const std::string* v = Find(key);
  if (v == nullptr) return std::nullopt;
  return *v;
}

std::optional<int64_t> DetailsReader::Int(std::string_view key) {
  auto s = Str(key);
  if (!s) return std::nullopt;
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v);
  if (ec != std::errc() || ptr != s->data() + s->size() || s->empty()) {
    Fail("field " + std::string(key) + " is not an integer: \"" + *s + "\"");
    return std::nullopt;
  }
  return v;
}

std::optional<uint64_t> DetailsReader::Hex(std::string_view key) {
  auto s = Str(key);
  if (!s) return std::nullopt;
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(s->data(), s->data() + s->size(), v, 16);
  if (ec != std::errc() || ptr != s->data() + s->size() || s->empty()) {
    Fail("field " + std::string(key) + " is not hex: \"" + *s + "\"");
    return std::nullopt;
  }
  return v;
}

uint64_t ArgvDigest(const std::vector<std::string>& argv) {
  // FNV-1a over each argument and its length, so that argument
  // boundaries count ("ab","c" differs from "a","bc").
  uint64_t h = 1469598103934665603ULL;
  auto mix = [&h](unsigned char c) {
    h ^= c;
    h *= 1099511628211ULL;
  };
  for (const auto& a : argv) {
    for (unsigned char c : a) mix(c);
    for (size_t n = a.size(), i = 0; i < 8; ++i, n >>= 8) mix(static_cast<unsigned char>(n & 255));
  }
  return h;
}

// ---- Record kinds ------------------------------------------------------------------

namespace {

// Runs `fill` on a reader of `details`; nullopt with *error set (naming
// the kind) if any field was missing or malformed.
template <typename T, typename Fill>
std::optional<T> ParseWith(std::string_view details, std::string* error, Fill fill) {
  DetailsReader r(details);
  T out;
  fill(r, out);
  if (!r.ok()) {
    if (error != nullptr) *error = std::string(T::kKind) + ": " + r.error();
    return std::nullopt;
  }
  return out;
}

}  // namespace

std::string WriteRecord::Format() const {
  return DetailsWriter()
      .Add("cmd", cmd)
      .Add("key", key)
      .Add("replid", replid)
      .Add("offset", offset)
      .AddHex("digest", digest)
      .Take();
}

std::optional<WriteRecord> WriteRecord::Parse(std::string_view details, std::string* error) {
  return ParseWith<WriteRecord>(details, error, [](DetailsReader& r, WriteRecord& w) {
    w.cmd = r.Str("cmd").value_or("");
    w.key = r.Str("key").value_or("");
    w.replid = r.Str("replid").value_or("");
    w.offset = r.Int("offset").value_or(0);
    w.digest = r.Hex("digest").value_or(0);
  });
}

std::string AofSyncedRecord::Format() const {
  return DetailsWriter().Add("replid", replid).Add("offset", offset).Take();
}

std::optional<AofSyncedRecord> AofSyncedRecord::Parse(std::string_view details,
                                                      std::string* error) {
  return ParseWith<AofSyncedRecord>(details, error, [](DetailsReader& r, AofSyncedRecord& a) {
    a.replid = r.Str("replid").value_or("");
    a.offset = r.Int("offset").value_or(0);
  });
}

std::string ReplPromotedRecord::Format() const {
  return DetailsWriter()
      .Add("replid", replid)
      .Add("replid2", replid2)
      .Add("second_offset", second_offset)
      .Take();
}

std::optional<ReplPromotedRecord> ReplPromotedRecord::Parse(std::string_view details,
                                                            std::string* error) {
  return ParseWith<ReplPromotedRecord>(details, error,
                                       [](DetailsReader& r, ReplPromotedRecord& p) {
                                         p.replid = r.Str("replid").value_or("");
                                         p.replid2 = r.Str("replid2").value_or("");
                                         p.second_offset = r.Int("second_offset").value_or(0);
                                       });
}

std::string ReplStartedRecord::Format() const {
  return DetailsWriter().Add("replid", replid).Take();
}

std::optional<ReplStartedRecord> ReplStartedRecord::Parse(std::string_view details,
                                                          std::string* error) {
  return ParseWith<ReplStartedRecord>(details, error, [](DetailsReader& r, ReplStartedRecord& s) {
    s.replid = r.Str("replid").value_or("");
  });
}

std::string VoteGrantedRecord::Format() const {
  return DetailsWriter()
      .Add("epoch", epoch)
      .Add("to", to)
      .Add("primary", primary)
      .Add("local_ms", local_ms)
      .Add("claim_epoch", claim_epoch)
      .Add("owner_epoch", owner_epoch)
      .Take();
}

std::optional<VoteGrantedRecord> VoteGrantedRecord::Parse(std::string_view details,
                                                          std::string* error) {
  return ParseWith<VoteGrantedRecord>(details, error, [](DetailsReader& r, VoteGrantedRecord& v) {
    v.epoch = r.Int("epoch").value_or(0);
    v.to = r.Str("to").value_or("");
    v.primary = r.Str("primary").value_or("");
    v.local_ms = r.Int("local_ms").value_or(0);
    v.claim_epoch = r.Int("claim_epoch").value_or(0);
    v.owner_epoch = r.Int("owner_epoch").value_or(0);
  });
}

std::string SlotMigrationRecord::Format() const {
  DetailsWriter w;
  w.Add("job", job).Add("role", role).Add("peer", peer).Add("slots", slots);
  w.Add("keys", keys).Add("bytes", bytes);
  if (reason) w.Add("reason", *reason);
  if (target_epoch) w.Add("target_epoch", *target_epoch);
  if (config_epoch) w.Add("config_epoch", *config_epoch);
  if (attempt) w.Add("attempt", *attempt);
  if (source_epoch) w.Add("source_epoch", *source_epoch);
  if (end_offset) w.Add("end_offset", *end_offset);
  if (replicas) w.Add("replicas", *replicas);
  return w.Take();
}

std::optional<SlotMigrationRecord> SlotMigrationRecord::Parse(std::string_view details,
                                                              std::string* error) {
  return ParseWith<SlotMigrationRecord>(details, error, [](DetailsReader& r,
                                                           SlotMigrationRecord& m) {
    m.job = r.Str("job").value_or("");
    m.role = r.Str("role").value_or("");
    if (r.ok() && m.role != "import" && m.role != "export") r.Invalid("role", "import or export");
    m.peer = r.Str("peer").value_or("");
    m.slots = r.Str("slots").value_or("");
    m.keys = r.Int("keys").value_or(0);
    m.bytes = r.Int("bytes").value_or(0);
    m.reason = r.OptionalStr("reason");
    // An optional number must still be a number when present.
    auto optional_int = [&](std::string_view key) -> std::optional<int64_t> {
      if (!r.OptionalStr(key)) return std::nullopt;
      return r.Int(key);
    };
    m.target_epoch = optional_int("target_epoch");
    m.config_epoch = optional_int("config_epoch");
    m.attempt = optional_int("attempt");
    m.source_epoch = optional_int("source_epoch");
    m.end_offset = optional_int("end_offset");
    m.replicas = optional_int("replicas");
  });
}

std::string LinkFaultRecord::Format() const {
  DetailsWriter w;
  w.Add("from", from).Add("to", to);
  if (held) w.Add("held", *held);
  if (extra_us) w.Add("extra_us", *extra_us);
  return w.Take();
}

std::optional<LinkFaultRecord> LinkFaultRecord::Parse(std::string_view details,
                                                      std::string* error) {
  return ParseWith<LinkFaultRecord>(details, error, [](DetailsReader& r, LinkFaultRecord& l) {
    l.from = r.Int("from").value_or(0);
    l.to = r.Int("to").value_or(0);
    if (r.OptionalStr("held")) l.held = r.Int("held");
    if (r.OptionalStr("extra_us")) l.extra_us = r.Int("extra_us");
  });
}

std::string ElectionRankRecord::Format() const {
  std::string list;
  for (const auto& [name, off] : siblings) {
    if (!list.empty()) list += ',';
    list += name + ':' + std::to_string(off);
  }
  return DetailsWriter()
      .Add("delay_ms", delay_ms)
      .Add("rank", rank)
      .Add("offset", offset)
      .Add("manual", manual ? 1 : 0)
      .Add("siblings", list)
      .Take();
}

std::optional<ElectionRankRecord> ElectionRankRecord::Parse(std::string_view details,
                                                            std::string* error) {
  return ParseWith<ElectionRankRecord>(details, error, [](DetailsReader& r, ElectionRankRecord& e) {
    e.delay_ms = r.Int("delay_ms").value_or(0);
    e.rank = r.Int("rank").value_or(0);
    e.offset = r.Int("offset").value_or(0);
    const int64_t manual = r.Int("manual").value_or(0);
    if (manual != 0 && manual != 1) r.Invalid("manual", "0 or 1");
    e.manual = manual == 1;
    const std::string list = r.Str("siblings").value_or("");
    // "name:offset,name:offset"; names are node ids (no ':' or ',').
    std::string_view rest = list;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      const size_t colon = item.rfind(':');
      int64_t off = 0;
      const std::string_view num =
          colon == std::string_view::npos ? std::string_view() : item.substr(colon + 1);
      const auto [end, ec] = std::from_chars(num.data(), num.data() + num.size(), off);
      if (colon == std::string_view::npos || colon == 0 || num.empty() || ec != std::errc() ||
          end != num.data() + num.size()) {
        r.Invalid("siblings", "name:offset,...");
        return;
      }
      e.siblings.emplace_back(std::string(item.substr(0, colon)), off);
    }
  });
}

std::string ElectionWonRecord::Format() const {
  return DetailsWriter().Add("epoch", epoch).Add("votes", votes).Add("size", size).Take();
}

std::optional<ElectionWonRecord> ElectionWonRecord::Parse(std::string_view details,
                                                          std::string* error) {
  return ParseWith<ElectionWonRecord>(details, error, [](DetailsReader& r, ElectionWonRecord& e) {
    e.epoch = r.Int("epoch").value_or(0);
    e.votes = r.Int("votes").value_or(0);
    e.size = r.Int("size").value_or(0);
  });
}

std::string NodeStateRecord::Format() const {
  DetailsWriter w;
  w.Add("role", primary ? "primary" : "replica");
  if (!primary_name.empty()) w.Add("primary", primary_name);
  w.Add("current_epoch", current_epoch)
      .Add("config_epoch", config_epoch)
      .Add("last_vote_epoch", last_vote_epoch)
      .Add("state", state_ok ? "ok" : "fail")
      .Add("slots", slots)
      .Add("known_nodes", known_nodes);
  if (!open.empty()) w.Add("open", open);
  return w.Take();
}

std::optional<NodeStateRecord> NodeStateRecord::Parse(std::string_view details,
                                                      std::string* error) {
  return ParseWith<NodeStateRecord>(details, error, [](DetailsReader& r, NodeStateRecord& n) {
    const std::string role = r.Str("role").value_or("");
    if (role != "primary" && role != "replica") r.Invalid("role", "primary or replica");
    n.primary = role == "primary";
    n.primary_name = r.OptionalStr("primary").value_or("");
    n.current_epoch = r.Int("current_epoch").value_or(0);
    n.config_epoch = r.Int("config_epoch").value_or(0);
    n.last_vote_epoch = r.Int("last_vote_epoch").value_or(0);
    const std::string state = r.Str("state").value_or("");
    if (state != "ok" && state != "fail") r.Invalid("state", "ok or fail");
    n.state_ok = state == "ok";
    n.slots = r.Str("slots").value_or("");
    n.known_nodes = r.Int("known_nodes").value_or(0);
    n.open = r.OptionalStr("open").value_or("");
  });
}

std::string ProbeRecord::Format() const { return DetailsWriter().Add("name", name).Take(); }

std::optional<ProbeRecord> ProbeRecord::Parse(std::string_view details, std::string* error) {
  return ParseWith<ProbeRecord>(details, error, [](DetailsReader& r, ProbeRecord& p) {
    if (auto name = r.Str("name")) {
      p.name = *name;
      if (!ProbeByName(p.name)) r.Invalid("name", "a probe of engine/probes.h");
    }
  });
}

std::string ClientOpRecord::Format() const {
  return DetailsWriter()
      .Add("client", client)
      .Add("key", key)
      .Add("outcome", outcome)
      .Add("latency_us", latency_us)
      .Add("redirects", redirects)
      .Add("asks", asks)
      .Add("retries", retries)
      .Add("tryagain", tryagain)
      .Add("clusterdown", clusterdown)
      .Add("reply", reply)
      .Take();
}

std::optional<ClientOpRecord> ClientOpRecord::Parse(std::string_view details,
                                                    std::string* error) {
  return ParseWith<ClientOpRecord>(details, error, [](DetailsReader& r, ClientOpRecord& c) {
    c.client = r.Int("client").value_or(0);
    c.key = r.Str("key").value_or("");
    c.outcome = r.Str("outcome").value_or("");
    if (c.outcome != "ok" && c.outcome != "error" && c.outcome != "unknown")
      r.Invalid("outcome", "ok, error or unknown");
    c.latency_us = r.Int("latency_us").value_or(0);
    c.redirects = r.Int("redirects").value_or(0);
    c.asks = r.Int("asks").value_or(0);
    c.retries = r.Int("retries").value_or(0);
    c.tryagain = r.Int("tryagain").value_or(0);
    c.clusterdown = r.Int("clusterdown").value_or(0);
    c.reply = r.Str("reply").value_or("");
  });
}

std::string NetMessageRecord::Format() const {
  return DetailsWriter().Add("conn", conn).Add("bytes", bytes).Add("msg", msg).Take();
}

std::optional<NetMessageRecord> NetMessageRecord::Parse(std::string_view details,
                                                        std::string* error) {
  return ParseWith<NetMessageRecord>(details, error, [](DetailsReader& r, NetMessageRecord& m) {
    m.conn = r.Int("conn").value_or(0);
    m.bytes = r.Int("bytes").value_or(0);
    m.msg = r.Int("msg").value_or(0);
  });
}

std::string KnownWeaknessRecord::Format() const {
  return DetailsWriter().Add("id", id).Add("message", message).Take();
}

std::optional<KnownWeaknessRecord> KnownWeaknessRecord::Parse(std::string_view details,
                                                              std::string* error) {
  return ParseWith<KnownWeaknessRecord>(details, error,
                                        [](DetailsReader& r, KnownWeaknessRecord& w) {
                                          w.id = r.Str("id").value_or("");
                                          w.message = r.Str("message").value_or("");
                                        });
}

std::string ViolationRecord::Format() const {
  std::string list;
  for (int64_t seq : causes) list += (list.empty() ? "" : ",") + std::to_string(seq);
  return DetailsWriter().Add("id", id).Add("causes", list).Add("message", message).Take();
}

std::optional<ViolationRecord> ViolationRecord::Parse(std::string_view details,
                                                      std::string* error) {
  return ParseWith<ViolationRecord>(details, error, [](DetailsReader& r, ViolationRecord& v) {
    v.id = r.Str("id").value_or("");
    v.message = r.Str("message").value_or("");
    const std::string list = r.Str("causes").value_or("");
    std::string_view rest = list;
    // Bounded by the list's length: each step consumes one item.
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = rest.substr(0, comma);
      int64_t seq = 0;
      auto [p, ec] = std::from_chars(item.data(), item.data() + item.size(), seq);
      if (item.empty() || ec != std::errc() || p != item.data() + item.size()) {
        r.Invalid("causes", "a comma-separated list of seqs");
        break;
      }
      v.causes.push_back(seq);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  });
}

std::string MachineAddedRecord::Format() const { return DetailsWriter().Add("name", name).Take(); }

std::optional<MachineAddedRecord> MachineAddedRecord::Parse(std::string_view details,
                                                            std::string* error) {
  return ParseWith<MachineAddedRecord>(details, error, [](DetailsReader& r, MachineAddedRecord& m) {
    m.name = r.Str("name").value_or("");
  });
}

}  // namespace slotsim
