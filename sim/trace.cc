#include "sim/trace.h"

#include <charconv>

#include "sim/prng.h"

namespace slotsim {

std::string CanonicalTraceLine(const TraceRecord& r) {
  std::string s;
  s.reserve(64 + r.kind.size() + r.msg_type.size() + r.details.size());
  s += std::to_string(r.seq);
  s += ' ';
  s += std::to_string(r.time_us);
  s += " n";
  s += std::to_string(r.node);
  s += ' ';
  s += r.kind;
  s += " p";
  s += std::to_string(r.peer);
  s += ' ';
  s += r.msg_type;
  s += ' ';
  s += r.details;
  return s;
}

uint64_t HashTraceRecord(const TraceRecord& r, uint64_t h) {
  char buf[24];
  auto num = [&](int64_t v) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    h = Fnv1a64(std::string_view(buf, static_cast<size_t>(end - buf)), h);
  };
  num(r.seq);
  h = Fnv1a64(" ", h);
  num(r.time_us);
  h = Fnv1a64(" n", h);
  num(r.node);
  h = Fnv1a64(" ", h);
  h = Fnv1a64(r.kind, h);
  h = Fnv1a64(" p", h);
  num(r.peer);
  h = Fnv1a64(" ", h);
  h = Fnv1a64(r.msg_type, h);
  h = Fnv1a64(" ", h);
  return Fnv1a64(r.details, h);
}

}  // namespace slotsim
