#include "engine/commands.h"

#include <gtest/gtest.h>

#include "engine/resp.h"

namespace slotsim {
namespace {

class CommandsTest : public ::testing::Test {
 protected:
  std::string Run(std::vector<std::string> argv) {
    const CommandSpec* c = LookupCommand(argv[0]);
    EXPECT_NE(c, nullptr);
    EXPECT_NE(c->proc, nullptr);
    std::string out;
    c->proc(ks_, argv, &out);
    return out;
  }
  Keyspace ks_;
};

TEST_F(CommandsTest, Strings) {
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "EX", "10"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"EXISTS", "k", "k", "nope"}), ":2\r\n");
  EXPECT_EQ(Run({"DEL", "k", "nope"}), ":1\r\n");
}

TEST_F(CommandsTest, Incr) {
  EXPECT_EQ(Run({"INCR", "n"}), ":1\r\n");
  EXPECT_EQ(Run({"INCR", "n"}), ":2\r\n");
  Run({"SET", "s", "abc"});
  EXPECT_EQ(Run({"INCR", "s"}), "-ERR value is not an integer or out of range\r\n");
  Run({"SET", "z", "007"});
  EXPECT_EQ(Run({"INCR", "z"}), "-ERR value is not an integer or out of range\r\n");
  Run({"SET", "m", "9223372036854775807"});
  EXPECT_EQ(Run({"INCR", "m"}), "-ERR increment or decrement would overflow\r\n");
}

TEST_F(CommandsTest, Hashes) {
  EXPECT_EQ(Run({"HSET", "h", "a", "1", "b", "2"}), ":2\r\n");
  EXPECT_EQ(Run({"HSET", "h", "a", "3"}), ":0\r\n");
  EXPECT_EQ(Run({"HGET", "h", "a"}), "$1\r\n3\r\n");
  EXPECT_EQ(Run({"HLEN", "h"}), ":2\r\n");
  EXPECT_EQ(Run({"HGETALL", "h"}), "*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n");
  EXPECT_EQ(Run({"HSET", "h", "a"}),
            "-ERR wrong number of arguments for 'hset' command\r\n");
  EXPECT_EQ(Run({"HDEL", "h", "a", "b", "c"}), ":2\r\n");
  EXPECT_EQ(ks_.Find("h"), nullptr);  // empty hash deleted
}

TEST_F(CommandsTest, WrongType) {
  Run({"SET", "s", "x"});
  const std::string wt =
      "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  EXPECT_EQ(Run({"HGET", "s", "f"}), wt);
  EXPECT_EQ(Run({"HSET", "s", "f", "v"}), wt);
  Run({"HSET", "h", "f", "v"});
  EXPECT_EQ(Run({"GET", "h"}), wt);
  EXPECT_EQ(Run({"INCR", "h"}), wt);
}

TEST(CommandKeys, Positions) {
  const CommandSpec* del = LookupCommand("DEL");
  std::vector<std::string> argv{"DEL", "a", "b", "c"};
  auto keys = CommandKeys(*del, argv);
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[2], "c");
  EXPECT_TRUE(CommandKeys(*LookupCommand("ping"), {"PING"}).empty());
  EXPECT_EQ(LookupCommand("nosuch"), nullptr);
}

}  // namespace
}  // namespace slotsim
