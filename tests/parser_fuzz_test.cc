// Property-based fuzzing of every parser that takes input from a user or
// a peer: RESP requests and replies, bus frames, scenario files. Each
// property holds for all inputs RapidCheck generates (and shrinks on
// failure); "never crashes" is checked by running under the always-on
// CHECKs.
#include <gtest/gtest.h>

#include <map>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "engine/bus_codec.h"
#include "engine/dump.h"
#include "engine/resp.h"
#include "scenarios/loader.h"

namespace slotsim {
namespace {

// Feeds `wire` in pieces cut at `cuts` and collects the requests.
std::vector<std::vector<std::string>> ParseInPieces(const std::string& wire,
                                                    std::vector<size_t> cuts,
                                                    ParseStatus* last) {
  RequestParser p;
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> argv;
  std::sort(cuts.begin(), cuts.end());
  size_t prev = 0;
  cuts.push_back(wire.size());
  for (size_t c : cuts) {
    c = std::min(c, wire.size());
    if (c < prev) continue;
    p.Feed(std::string_view(wire).substr(prev, c - prev));
    prev = c;
    while ((*last = p.Next(&argv)) == ParseStatus::kOk) out.push_back(argv);
    if (*last == ParseStatus::kError) break;
  }
  return out;
}

RC_GTEST_PROP(RespFuzz, RequestsRoundTripAcrossAnySplit,
              (const std::vector<std::vector<std::string>>& cmds,
               const std::vector<size_t>& cuts)) {
  std::string wire;
  std::vector<std::vector<std::string>> expect;
  for (const auto& c : cmds) {
    if (c.empty()) continue;  // "*0" is skipped by design
    wire += resp::EncodeCommand(c);
    expect.push_back(c);
  }
  ParseStatus last;
  auto got = ParseInPieces(wire, cuts, &last);
  RC_ASSERT(last != ParseStatus::kError);
  RC_ASSERT(got == expect);
}

RC_GTEST_PROP(RespFuzz, ArbitraryBytesNeverCrashTheRequestParser,
              (const std::string& junk, const std::vector<size_t>& cuts)) {
  ParseStatus last;
  auto got = ParseInPieces(junk, cuts, &last);
  // Whatever happens, every returned request is non-empty.
  for (const auto& argv : got) RC_ASSERT(!argv.empty());
}

RC_GTEST_PROP(RespFuzz, ArbitraryBytesNeverCrashTheReplyParser,
              (const std::string& junk)) {
  ReplyParser p;
  p.Feed(junk);
  RespValue v;
  int n = 0;
  while (p.Next(&v) == ParseStatus::kOk) RC_ASSERT(++n <= static_cast<int>(junk.size()));
}

rc::Gen<RespValue> GenReply(int depth) {
  auto leaf = rc::gen::oneOf(
      rc::gen::map(rc::gen::arbitrary<std::string>(), [](std::string s) {
        RespValue v;
        v.type = RespValue::Type::kBulk;
        v.str = std::move(s);
        return v;
      }),
      rc::gen::map(rc::gen::arbitrary<int64_t>(), [](int64_t i) {
        RespValue v;
        v.type = RespValue::Type::kInteger;
        v.integer = i;
        return v;
      }),
      rc::gen::map(rc::gen::arbitrary<std::string>(), [](std::string s) {
        RespValue v;
        v.type = RespValue::Type::kSimple;
        for (char& c : s) if (c == '\r' || c == '\n') c = ' ';
        v.str = std::move(s);
        return v;
      }),
      rc::gen::just(RespValue{}));
  if (depth == 0) return leaf;
  return rc::gen::oneOf(
      leaf, rc::gen::map(rc::gen::container<std::vector<RespValue>>(
                             rc::gen::resize(4, GenReply(depth - 1))),
                         [](std::vector<RespValue> e) {
                           RespValue v;
                           v.type = RespValue::Type::kArray;
                           v.elements = std::move(e);
                           return v;
                         }));
}

RC_GTEST_PROP(RespFuzz, RepliesRoundTrip, ()) {
  RespValue v = *GenReply(3);
  std::string wire;
  resp::AppendValue(&wire, v);
  ReplyParser p;
  const size_t cut = *rc::gen::inRange<size_t>(0, wire.size() + 1);
  p.Feed(wire.substr(0, cut));
  RespValue out;
  ParseStatus st = p.Next(&out);
  if (st == ParseStatus::kIncomplete) {
    p.Feed(wire.substr(cut));
    st = p.Next(&out);
  }
  RC_ASSERT(st == ParseStatus::kOk);
  std::string again;
  resp::AppendValue(&again, out);
  RC_ASSERT(again == wire);
}

RC_GTEST_PROP(BusFuzz, MutatedFramesNeverCrashAndNeverPassAsValid,
              (const std::vector<std::pair<size_t, uint8_t>>& flips)) {
  bus::BusMessage m;
  m.mutable_header()->set_type(bus::PONG);
  m.mutable_header()->set_sender(std::string(40, 'c'));
  m.mutable_header()->set_slots(std::string(kSlotBitmapBytes, '\x01'));
  auto* g = m.add_gossip();
  g->set_node_id(std::string(40, 'd'));
  g->set_ip("127.0.0.1");
  std::string frame = EncodeBusFrame(m);
  std::string bad = frame;
  bool changed = false;
  for (auto [pos, x] : flips) {
    if (x == 0) continue;
    bad[pos % bad.size()] ^= static_cast<char>(x);
    changed = true;
  }
  changed = changed && bad != frame;
  BusFrameDecoder d;
  d.Feed(bad);
  bus::BusMessage out;
  BusDecodeStatus st = d.Next(&out);
  if (changed && st == BusDecodeStatus::kOk) {
    // Only a CRC collision could let a changed frame through; then it must
    // at least be a valid message.
    RC_ASSERT(ValidateBusMessage(out).empty());
  }
}

RC_GTEST_PROP(BusFuzz, ArbitraryBytesNeverCrashTheDecoder, (const std::string& junk)) {
  BusFrameDecoder d;
  d.Feed(junk);
  bus::BusMessage out;
  for (int i = 0; i < 100; ++i) {
    BusDecodeStatus st = d.Next(&out);
    if (st == BusDecodeStatus::kIncomplete || st == BusDecodeStatus::kBroken) break;
  }
}

RC_GTEST_PROP(ScenarioFuzz, BadFilesGetFileLineColMessages, (const std::string& text)) {
  LoadResult r = ParseScenario("f.textproto", text);
  if (!r.ok) {
    RC_ASSERT(r.error.rfind("f.textproto:", 0) == 0);
    // "f.textproto:LINE:COL: message"
    size_t a = r.error.find(':');
    size_t b = r.error.find(':', a + 1);
    size_t c = r.error.find(':', b + 1);
    RC_ASSERT(b != std::string::npos && c != std::string::npos);
    RC_ASSERT(std::stoi(r.error.substr(a + 1, b - a - 1)) >= 1);
    RC_ASSERT(std::stoi(r.error.substr(b + 1, c - b - 1)) >= 1);
  }
}

RC_GTEST_PROP(ScenarioFuzz, MutatedValidFilesNeverCrash,
              (const std::vector<std::pair<size_t, char>>& edits)) {
  std::string text =
      "name: \"x\"\ntopology { primaries: 3 replicas_per_primary: 1 }\n"
      "workload { clients: 2 ops_per_sec: 10 }\nduration_ms: 1000\n";
  for (auto [pos, c] : edits) text[pos % text.size()] = c;
  LoadResult r = ParseScenario("m.textproto", text);
  RC_ASSERT(r.ok || r.error.rfind("m.textproto:", 0) == 0);
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

// DUMP/RESTORE payloads: any value round-trips, and any corruption of a
// payload is refused (never crashes, never loads a different value).
RC_GTEST_PROP(DumpFuzz, ValuesRoundTripAndFlippedBytesAreRefused,
              (const std::map<std::string, std::string>& fields, const std::string& str,
               bool as_hash, size_t flip_at, uint8_t flip)) {
  Value v;
  if (as_hash && !fields.empty()) v.data = HashValue(fields.begin(), fields.end());
  else v.data = str;
  const std::string payload = DumpValue(v);
  Value back;
  RC_ASSERT(RestoreValue(payload, &back) == DumpStatus::kOk);
  RC_ASSERT(DumpValue(back) == payload);
  // The cost model's element count, read from the payload's head, is the
  // value's own.
  RC_ASSERT(DumpPayloadElements(payload) == v.elements());
  std::string bad = payload;
  const uint8_t x = flip == 0 ? 1 : flip;
  bad[flip_at % bad.size()] = static_cast<char>(bad[flip_at % bad.size()] ^ x);
  Value ignored;
  RC_ASSERT(RestoreValue(bad, &ignored) != DumpStatus::kOk);
}

RC_GTEST_PROP(DumpFuzz, ArbitraryBytesNeverCrashRestore, (const std::string& bytes)) {
  // Whatever a peer sends, the charge stays within what its bytes allow:
  // a hash's field pair takes at least two bytes, a list element one.
  const size_t per_element = !bytes.empty() && bytes[0] == 'h' ? 2 : 1;
  RC_ASSERT(DumpPayloadElements(bytes) <= bytes.size() / per_element);
  Value v;
  if (RestoreValue(bytes, &v) == DumpStatus::kOk) RC_ASSERT(DumpValue(v) == bytes);
}

}  // namespace
}  // namespace slotsim
