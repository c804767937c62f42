#include "engine/commands.h"

#include <gtest/gtest.h>

#include "engine/dump.h"
#include "engine/resp.h"

namespace slotsim {
namespace {

class CommandsTest : public ::testing::Test {
 protected:
  CommandsTest() {
    ks_.set_on_expired([this](const std::string& key) { expired_.push_back(key); });
  }
  // Runs a command as the server's call() does: at now_ms_, in mode_,
  // recording how it asked to be propagated (empty: as it came).
  std::string Run(std::vector<std::string> argv) {
    const CommandSpec* c = LookupCommand(argv[0]);
    EXPECT_NE(c, nullptr);
    EXPECT_NE(c->proc, nullptr);
    std::string out;
    Keyspace::CommandScope scope(ks_, now_ms_, mode_);
    c->proc(ks_, argv, &out);
    propagated_as_ = ks_.TakePropagateAs();
    return out;
  }
  Keyspace ks_;
  int64_t now_ms_ = 1'000'000;
  ExpireMode mode_ = ExpireMode::kDelete;
  std::vector<std::string> propagated_as_;
  std::vector<std::string> expired_;  // keys the lookups expired
};

using Argv = std::vector<std::string>;

TEST_F(CommandsTest, Strings) {
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "NX"}), "$-1\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET"}), "$1\r\nv\r\n");
  EXPECT_EQ(Run({"SET", "k", "w", "EX", "10", "PX", "5"}), "-ERR syntax error\r\n");
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

// Replies and errors as redis-server 7.0.15 gives them (checked with
// redis-cli against it).
TEST_F(CommandsTest, Lists) {
  EXPECT_EQ(Run({"RPUSH", "l", "a", "b", "c"}), ":3\r\n");
  EXPECT_EQ(Run({"LPUSH", "l", "x", "y"}), ":5\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "0", "-1"}),
            "*5\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "-2", "100"}), "*2\r\n$1\r\nb\r\n$1\r\nc\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "5", "1"}), "*0\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "-100", "0"}), "*1\r\n$1\r\ny\r\n");
  EXPECT_EQ(Run({"LRANGE", "l", "a", "1"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"LRANGE", "nokey", "0", "1"}), "*0\r\n");
  EXPECT_EQ(Run({"LLEN", "l"}), ":5\r\n");
  EXPECT_EQ(Run({"LLEN", "nokey"}), ":0\r\n");
  EXPECT_EQ(Run({"LPOP", "l"}), "$1\r\ny\r\n");
  EXPECT_EQ(Run({"RPOP", "l", "2"}), "*2\r\n$1\r\nc\r\n$1\r\nb\r\n");  // nearest end first
  EXPECT_EQ(Run({"LPOP", "l", "0"}), "*0\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "-1"}), "-ERR value is out of range, must be positive\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "abc"}), "-ERR value is out of range, must be positive\r\n");
  EXPECT_EQ(Run({"LPOP", "l", "1", "2"}), "-ERR wrong number of arguments for 'lpop' command\r\n");
  EXPECT_EQ(Run({"LPOP", "nokey"}), "$-1\r\n");
  EXPECT_EQ(Run({"LPOP", "nokey", "2"}), "*-1\r\n");
  EXPECT_EQ(Run({"LPOP", "nokey", "0"}), "*-1\r\n");
  EXPECT_EQ(Run({"TYPE", "l"}), "+list\r\n");
  // Popping the last elements deletes the key.
  EXPECT_EQ(Run({"LPOP", "l", "10"}), "*2\r\n$1\r\nx\r\n$1\r\na\r\n");
  EXPECT_EQ(ks_.Find("l"), nullptr);
  EXPECT_EQ(Run({"TYPE", "l"}), "+none\r\n");
  const std::string wt = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n";
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"LPUSH", "s", "a"}), wt);
  EXPECT_EQ(Run({"LPOP", "s", "0"}), wt);
  EXPECT_EQ(Run({"LRANGE", "s", "0", "1"}), wt);
  EXPECT_EQ(Run({"LLEN", "s"}), wt);
  EXPECT_EQ(Run({"TYPE", "s"}), "+string\r\n");
  Run({"RPUSH", "l2", "a"});
  EXPECT_EQ(Run({"GET", "l2"}), wt);
  EXPECT_EQ(Run({"HSET", "l2", "f", "v"}), wt);
}

TEST_F(CommandsTest, SetExpireOptions) {
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), now_ms_ + 10'000);
  EXPECT_EQ(propagated_as_, (Argv{"SET", "k", "v", "PXAT", std::to_string(now_ms_ + 10'000)}));
  EXPECT_EQ(Run({"SET", "k", "v", "KEEPTTL"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), now_ms_ + 10'000);
  EXPECT_TRUE(propagated_as_.empty());
  EXPECT_EQ(Run({"SET", "k", "v"}), "+OK\r\n");  // a plain SET drops the TTL
  EXPECT_EQ(ks_.GetExpire("k"), -1);
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "1500", "NX"}), "$-1\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), -1);
  EXPECT_EQ(Run({"SET", "k", "w", "XX", "GET", "PXAT", "5000000"}), "$1\r\nv\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), 5'000'000);
  EXPECT_EQ(propagated_as_, (Argv{"SET", "k", "w", "PXAT", "5000000"}));
  EXPECT_EQ(Run({"SET", "k", "x", "EXAT", "2000"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), 2'000'000);
  EXPECT_EQ(Run({"SET", "k", "y", "GET", "get"}), "$1\r\nx\r\n");
  EXPECT_EQ(propagated_as_, (Argv{"SET", "k", "y"}));  // GET is not propagated
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "EX", "20"}), "+OK\r\n");  // the later wins
  EXPECT_EQ(ks_.GetExpire("k"), now_ms_ + 20'000);
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "0"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "10", "PX", "100"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "KEEPTTL", "EX", "5"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX"}), "-ERR syntax error\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "PX", "9223372036854775807"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "9223372036854775"}),
            "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EXAT", "-1"}), "-ERR invalid expire time in 'set' command\r\n");
  EXPECT_EQ(Run({"SET", "k", "v", "EX", "1x"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"SETEX", "k", "0", "v"}), "-ERR invalid expire time in 'setex' command\r\n");
  EXPECT_EQ(Run({"SETEX", "k", "abc", "v"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"PSETEX", "k", "-5", "v"}), "-ERR invalid expire time in 'psetex' command\r\n");
  EXPECT_EQ(Run({"SETEX", "k", "3", "v3"}), "+OK\r\n");
  EXPECT_EQ(propagated_as_, (Argv{"SET", "k", "v3", "PXAT", std::to_string(now_ms_ + 3000)}));
  EXPECT_EQ(Run({"PSETEX", "k", "30", "v4"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("k"), now_ms_ + 30);
  // INCR overwrites in place and keeps the TTL; MSET drops it.
  Run({"SET", "n", "1", "PX", "100"});
  EXPECT_EQ(Run({"INCR", "n"}), ":2\r\n");
  EXPECT_EQ(ks_.GetExpire("n"), now_ms_ + 100);
  Run({"MSET", "n", "5"});
  EXPECT_EQ(ks_.GetExpire("n"), -1);
}

TEST_F(CommandsTest, ExpireCommands) {
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "nx", "xx"}),
            "-ERR NX and XX, GT or LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "10", "gt", "lt"}),
            "-ERR GT and LT options at the same time are not compatible\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "abc", "foo"}), "-ERR Unsupported option foo\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "abc"}), "-ERR value is not an integer or out of range\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(Run({"PEXPIRE", "k", "9223372036854775807"}),
            "-ERR invalid expire time in 'pexpire' command\r\n");
  EXPECT_EQ(Run({"EXPIRE", "k", "-9223372036854775808"}),
            "-ERR invalid expire time in 'expire' command\r\n");
  EXPECT_EQ(Run({"EXPIRE", "nokey", "10"}), ":0\r\n");
  EXPECT_EQ(Run({"TTL", "nokey"}), ":-2\r\n");
  Run({"SET", "s", "v"});
  EXPECT_EQ(Run({"TTL", "s"}), ":-1\r\n");
  EXPECT_EQ(Run({"PERSIST", "s"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "s", "100", "XX"}), ":0\r\n");   // no TTL yet
  EXPECT_EQ(Run({"EXPIRE", "s", "100", "GT"}), ":0\r\n");   // none counts as infinite
  EXPECT_EQ(Run({"EXPIRE", "s", "100"}), ":1\r\n");
  EXPECT_EQ(propagated_as_, (Argv{"PEXPIREAT", "s", std::to_string(now_ms_ + 100'000)}));
  EXPECT_EQ(Run({"TTL", "s"}), ":100\r\n");
  EXPECT_EQ(Run({"EXPIRE", "s", "100", "NX"}), ":0\r\n");
  EXPECT_EQ(Run({"EXPIRE", "s", "200", "gt"}), ":1\r\n");
  EXPECT_EQ(propagated_as_, (Argv{"PEXPIREAT", "s", std::to_string(now_ms_ + 200'000), "gt"}));
  EXPECT_EQ(Run({"EXPIRE", "s", "150", "GT"}), ":0\r\n");
  EXPECT_EQ(Run({"PEXPIRE", "s", "150", "LT"}), ":1\r\n");
  now_ms_ += 20;
  EXPECT_EQ(Run({"PTTL", "s"}), ":130\r\n");
  EXPECT_EQ(Run({"TTL", "s"}), ":0\r\n");  // (130 + 500) / 1000
  EXPECT_EQ(Run({"EXPIREAT", "s", "5000"}), ":1\r\n");
  EXPECT_EQ(propagated_as_, (Argv{"PEXPIREAT", "s", "5000000"}));
  EXPECT_EQ(Run({"PEXPIRETIME", "s"}), ":5000000\r\n");
  EXPECT_EQ(Run({"EXPIRETIME", "s"}), ":5000\r\n");
  EXPECT_EQ(Run({"PEXPIREAT", "s", "6000000"}), ":1\r\n");
  EXPECT_TRUE(propagated_as_.empty());  // already absolute: goes as it came
  EXPECT_EQ(Run({"PERSIST", "s"}), ":1\r\n");
  EXPECT_EQ(Run({"TTL", "s"}), ":-1\r\n");
  EXPECT_EQ(ks_.expires(), 0);
  // A time already past deletes the key and goes out as DEL.
  EXPECT_EQ(Run({"EXPIRE", "s", "-1"}), ":1\r\n");
  EXPECT_EQ(ks_.Find("s"), nullptr);
  EXPECT_EQ(propagated_as_, (Argv{"DEL", "s"}));
  EXPECT_TRUE(expired_.empty());  // a client's delete, not an expiry
}

// expireIfNeeded in its three modes.
TEST_F(CommandsTest, LazyExpiry) {
  Run({"SET", "k", "v", "PX", "100"});
  Run({"RPUSH", "l", "a"});
  Run({"PEXPIRE", "l", "100"});
  now_ms_ += 100;  // exactly at the time: not yet expired (now > when)
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  now_ms_ += 1;
  // A replica hides it and keeps it.
  mode_ = ExpireMode::kHide;
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(Run({"EXISTS", "k", "l"}), ":0\r\n");
  EXPECT_EQ(Run({"TTL", "k"}), ":-2\r\n");
  EXPECT_EQ(Run({"LLEN", "l"}), ":0\r\n");
  EXPECT_EQ(ks_.size(), 2);
  EXPECT_TRUE(expired_.empty());
  // The primary's stream sees it as it is: an EXPIREAT in the past there
  // sets the time rather than deleting (checkAlreadyExpired).
  mode_ = ExpireMode::kKeep;
  EXPECT_EQ(Run({"GET", "k"}), "$1\r\nv\r\n");
  Run({"SET", "old", "v"});
  EXPECT_EQ(Run({"PEXPIREAT", "old", "1"}), ":1\r\n");
  EXPECT_NE(ks_.Find("old"), nullptr);
  EXPECT_EQ(ks_.GetExpire("old"), 1);
  // A primary deletes it when a command meets it, and reports the DEL;
  // the read itself changes nothing a client wrote.
  mode_ = ExpireMode::kDelete;
  const uint64_t dirty = ks_.dirty();
  EXPECT_EQ(Run({"GET", "k"}), "$-1\r\n");
  EXPECT_EQ(expired_, (Argv{"k"}));
  EXPECT_EQ(ks_.dirty(), dirty);
  // DEL of an expired key: expired first, so not counted.
  EXPECT_EQ(Run({"DEL", "l"}), ":0\r\n");
  EXPECT_EQ(expired_, (Argv{"k", "l"}));
  // A write on an expired key starts from nothing.
  EXPECT_EQ(Run({"INCR", "old"}), ":1\r\n");
  EXPECT_EQ(expired_, (Argv{"k", "l", "old"}));
  Run({"SET", "c", "5", "PX", "10"});
  now_ms_ += 11;
  EXPECT_EQ(Run({"INCR", "c"}), ":1\r\n");
  EXPECT_EQ(ks_.GetExpire("c"), -1);
}

TEST_F(CommandsTest, RestoreTtl) {
  Run({"RPUSH", "l", "a", "b"});
  const std::string dump = DumpValue(*ks_.Find("l"));
  EXPECT_EQ(Run({"RESTORE", "r", "-1", dump}), "-ERR Invalid TTL value, must be >= 0\r\n");
  EXPECT_EQ(Run({"RESTORE", "r", "10", "x"}), "-ERR DUMP payload version or checksum are wrong\r\n");
  EXPECT_EQ(Run({"RESTORE", "r", "5000", dump}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("r"), now_ms_ + 5000);
  EXPECT_EQ(propagated_as_, (Argv{"RESTORE", "r", std::to_string(now_ms_ + 5000), dump, "ABSTTL"}));
  EXPECT_EQ(Run({"LRANGE", "r", "0", "-1"}), "*2\r\n$1\r\na\r\n$1\r\nb\r\n");
  EXPECT_EQ(Run({"RESTORE", "r", "0", dump}), "-BUSYKEY Target key name already exists.\r\n");
  EXPECT_EQ(Run({"RESTORE", "r", "7000000", dump, "REPLACE", "ABSTTL"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("r"), 7'000'000);
  EXPECT_TRUE(propagated_as_.empty());
  // An absolute TTL already past: the replaced key is deleted, as a DEL.
  EXPECT_EQ(Run({"RESTORE", "r", "5", dump, "REPLACE", "ABSTTL"}), "+OK\r\n");
  EXPECT_EQ(ks_.Find("r"), nullptr);
  EXPECT_EQ(propagated_as_, (Argv{"DEL", "r"}));
  // On the primary's stream the same key is kept, with its time.
  mode_ = ExpireMode::kKeep;
  EXPECT_EQ(Run({"RESTORE", "r", "5", dump, "REPLACE", "ABSTTL"}), "+OK\r\n");
  EXPECT_EQ(ks_.GetExpire("r"), 5);
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
