#include "engine/resp.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

std::vector<std::vector<std::string>> ParseAll(RequestParser& p,
                                               ParseStatus* last) {
  std::vector<std::vector<std::string>> out;
  std::vector<std::string> argv;
  while ((*last = p.Next(&argv)) == ParseStatus::kOk) out.push_back(argv);
  return out;
}

TEST(RequestParser, ParsesMultibulk) {
  RequestParser p;
  p.Feed("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  ParseStatus st;
  auto cmds = ParseAll(p, &st);
  EXPECT_EQ(st, ParseStatus::kIncomplete);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"SET", "k", "hello"}));
}

TEST(RequestParser, BinarySafeBulk) {
  RequestParser p;
  std::string v("a\r\n\0b", 5);
  p.Feed(resp::EncodeCommand({"SET", "k", v}));
  std::vector<std::string> argv;
  ASSERT_EQ(p.Next(&argv), ParseStatus::kOk);
  EXPECT_EQ(argv[2], v);
}

TEST(RequestParser, PartialInputEveryByteBoundary) {
  const std::string wire = resp::EncodeCommand({"HSET", "h", "f", "v"}) +
                           "PING\r\n" + resp::EncodeCommand({"GET", "x"});
  // Feed in every possible two-part split; the result must not change.
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    RequestParser p;
    ParseStatus st;
    p.Feed(wire.substr(0, cut));
    auto first = ParseAll(p, &st);
    ASSERT_NE(st, ParseStatus::kError) << cut;
    p.Feed(wire.substr(cut));
    auto rest = ParseAll(p, &st);
    first.insert(first.end(), rest.begin(), rest.end());
    ASSERT_EQ(first.size(), 3u) << "cut at " << cut;
    EXPECT_EQ(first[1], (std::vector<std::string>{"PING"}));
    EXPECT_EQ(first[2], (std::vector<std::string>{"GET", "x"}));
  }
}

TEST(RequestParser, Pipelined) {
  RequestParser p;
  std::string wire;
  for (int i = 0; i < 100; ++i)
    wire += resp::EncodeCommand({"INCR", "k" + std::to_string(i)});
  p.Feed(wire);
  ParseStatus st;
  auto cmds = ParseAll(p, &st);
  ASSERT_EQ(cmds.size(), 100u);
  EXPECT_EQ(cmds[99][1], "k99");
  EXPECT_EQ(p.buffered(), 0u);
}

TEST(RequestParser, InlineWithQuotes) {
  RequestParser p;
  p.Feed("set \"a b\" 'c d' \"\\x41\\n\"\r\n\r\nping\n");
  ParseStatus st;
  auto cmds = ParseAll(p, &st);
  ASSERT_EQ(cmds.size(), 2u);
  EXPECT_EQ(cmds[0], (std::vector<std::string>{"set", "a b", "c d", "A\n"}));
  EXPECT_EQ(cmds[1], (std::vector<std::string>{"ping"}));
}

TEST(RequestParser, EmptyMultibulkIsSkipped) {
  RequestParser p;
  p.Feed("*0\r\n*-1\r\nPING\r\n");
  std::vector<std::string> argv;
  ASSERT_EQ(p.Next(&argv), ParseStatus::kOk);
  EXPECT_EQ(argv, (std::vector<std::string>{"PING"}));
}

struct MalformedCase {
  const char* input;
  const char* error;
};

TEST(RequestParser, MalformedInputGivesRedisErrors) {
  const MalformedCase cases[] = {
      {"*abc\r\n", "Protocol error: invalid multibulk length"},
      {"*2\r\n$3\r\nGET\r\n:1\r\n", "Protocol error: expected '$', got ':'"},
      {"*1\r\n$-5\r\n", "Protocol error: invalid bulk length"},
      {"*1\r\n$x\r\n", "Protocol error: invalid bulk length"},
      {"*99999999999\r\n", "Protocol error: invalid multibulk length"},
      {"set \"abc\r\n", "Protocol error: unbalanced quotes in request"},
      {"get \"a\"b\r\n", "Protocol error: unbalanced quotes in request"},
  };
  for (const auto& c : cases) {
    RequestParser p;
    p.Feed(c.input);
    std::vector<std::string> argv;
    ASSERT_EQ(p.Next(&argv), ParseStatus::kError) << c.input;
    EXPECT_EQ(p.error(), c.error) << c.input;
    // Once broken, always broken: the connection must be closed.
    EXPECT_EQ(p.Next(&argv), ParseStatus::kError);
  }
}

TEST(RequestParser, TooBigInline) {
  RespLimits limits;
  limits.inline_bytes_max = 100;
  RequestParser p(limits);
  p.Feed(std::string(101, 'a'));
  std::vector<std::string> argv;
  ASSERT_EQ(p.Next(&argv), ParseStatus::kError);
  EXPECT_EQ(p.error(), "Protocol error: too big inline request");
}

TEST(RequestParser, BulkOverLimit) {
  RespLimits limits;
  limits.bulk_bytes_max = 10;
  RequestParser p(limits);
  p.Feed("*1\r\n$11\r\n");
  std::vector<std::string> argv;
  EXPECT_EQ(p.Next(&argv), ParseStatus::kError);
}

TEST(ReplyParser, RoundTripsEveryType) {
  RespValue arr;
  arr.type = RespValue::Type::kArray;
  RespValue v;
  v.type = RespValue::Type::kSimple; v.str = "OK"; arr.elements.push_back(v);
  v.type = RespValue::Type::kError; v.str = "MOVED 1 127.0.0.1:7001"; arr.elements.push_back(v);
  v.type = RespValue::Type::kInteger; v.integer = -42; arr.elements.push_back(v);
  v.type = RespValue::Type::kBulk; v.str = std::string("x\r\n\0", 4); arr.elements.push_back(v);
  v = RespValue{}; v.type = RespValue::Type::kNullBulk; arr.elements.push_back(v);
  v.type = RespValue::Type::kNullArray; arr.elements.push_back(v);
  RespValue nested = arr;
  arr.elements.push_back(nested);
  std::string wire;
  resp::AppendValue(&wire, arr);
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    ReplyParser p;
    RespValue out;
    p.Feed(wire.substr(0, cut));
    ParseStatus st = p.Next(&out);
    if (cut < wire.size()) {
      ASSERT_EQ(st, ParseStatus::kIncomplete) << cut;
      p.Feed(wire.substr(cut));
      st = p.Next(&out);
    }
    ASSERT_EQ(st, ParseStatus::kOk);
    std::string again;
    resp::AppendValue(&again, out);
    EXPECT_EQ(again, wire);
  }
}

TEST(ReplyParser, RejectsGarbageAndDeepNesting) {
  ReplyParser p;
  p.Feed("?what\r\n");
  RespValue out;
  EXPECT_EQ(p.Next(&out), ParseStatus::kError);
  ReplyParser deep;
  deep.Feed(std::string(40, '*').insert(0, "") + "\r\n");
  std::string nest;
  for (int i = 0; i < 40; ++i) nest += "*1\r\n";
  nest += ":1\r\n";
  ReplyParser d2;
  d2.Feed(nest);
  EXPECT_EQ(d2.Next(&out), ParseStatus::kError);
}

TEST(Resp, ErrorRepliesCannotCarryNewlines) {
  std::string out;
  resp::AppendError(&out, "ERR a\r\nb");
  EXPECT_EQ(out, "-ERR a  b\r\n");
}

}  // namespace
}  // namespace slotsim
