// redis.conf for `slotsim node`: Redis's quoting, includes, repeats and
// names; every bad line is an error that says where and why.
#include "runtime/redis_conf.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <map>

namespace slotsim {
namespace {

std::vector<std::string> Split(std::string_view line) {
  std::vector<std::string> out;
  EXPECT_TRUE(SplitConfigLine(line, &out)) << line;
  return out;
}

ConfReader NoIncludes() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

// Parses and applies `text` with `args` after it; the error, or "" and *conf.
std::string Load(const std::string& text, NodeConf* conf,
                 const std::vector<std::string>& args = {},
                 const ConfReader& read = NoIncludes()) {
  std::vector<ConfDirective> d;
  std::string error;
  if (!ParseRedisConf(text, "redis.conf", read, &d, &error)) return error;
  if (!ConfFromArgs(args, &d, &error)) return error;
  if (!ApplyRedisConf(d, conf, &error)) return error;
  return "";
}

TEST(RedisConf, SplitsLikeSdssplitargs) {
  EXPECT_EQ(Split("  port   7000 "), (std::vector<std::string>{"port", "7000"}));
  EXPECT_EQ(Split("save \"\""), (std::vector<std::string>{"save", ""}));
  EXPECT_EQ(Split("logfile \"a b\\x41\\n\""), (std::vector<std::string>{"logfile", "a bA\n"}));
  EXPECT_EQ(Split("user 'it\\'s' x"), (std::vector<std::string>{"user", "it's", "x"}));
  std::vector<std::string> out;
  EXPECT_FALSE(SplitConfigLine("dir \"unterminated", &out));
  EXPECT_FALSE(SplitConfigLine("dir 'unterminated", &out));
  EXPECT_FALSE(SplitConfigLine("dir \"a\"b", &out));  // a closing quote must end the word
}

TEST(RedisConf, ReadsWhatTheClusterSuiteWrites) {
  NodeConf c;
  ASSERT_EQ(Load("# a comment\n"
                 "port 30001\n"
                 "cluster-enabled yes\n"
                 "cluster-config-file nodes.conf\n"
                 "cluster-node-timeout 3000\n"
                 "dir ./redis_1\n"
                 "logfile log.txt\n"
                 "appendonly yes\n"
                 "enable-debug-command yes\n"
                 "repl-diskless-sync-delay 0\n"
                 "save \"\"\n"
                 "save 900 1\n",
                 &c),
            "");
  EXPECT_EQ(c.node.port, 30001);
  EXPECT_EQ(c.node.node_timeout_ms, 3000);
  EXPECT_EQ(c.node.dir, "./redis_1");
  EXPECT_EQ(c.node.logfile, "log.txt");
  EXPECT_TRUE(c.node.appendonly);
  EXPECT_EQ(c.node.repl_diskless_sync_delay_ms, 0);  // seconds in the file
  // Accepted without effect, listed once each, in order, for the log.
  EXPECT_EQ(c.ignored, (std::vector<std::string>{"enable-debug-command", "save"}));
  ASSERT_EQ(c.node.startup_notes.size(), 1u);
  EXPECT_NE(c.node.startup_notes[0].find("enable-debug-command, save"), std::string::npos);
}

TEST(RedisConf, LastWinsAndTheCommandLineComesLast) {
  NodeConf c;
  ASSERT_EQ(Load("port 7000\nport 7001\nCLUSTER-NODE-TIMEOUT 5000\n", &c,
                 {"--port", "7002", "--cluster-slave-validity-factor", "0"}),
            "");
  EXPECT_EQ(c.node.port, 7002);
  EXPECT_EQ(c.node.node_timeout_ms, 5000);  // names are case-insensitive
  EXPECT_EQ(c.node.replica_validity_factor, 0);  // the old alias
  EXPECT_EQ(Load("", &c, {"7000"}),
            "command line: '7000' is not after a --name (want: --port 7000 ...)");
}

TEST(RedisConf, IncludesAreFollowedAndBounded) {
  std::map<std::string, std::string> files = {{"common.conf", "cluster-node-timeout 4000\n"},
                                              {"loop.conf", "include loop.conf\n"}};
  ConfReader read = [&](const std::string& p) -> std::optional<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  NodeConf c;
  ASSERT_EQ(Load("include common.conf\nport 7000\n", &c, {}, read), "");
  EXPECT_EQ(c.node.node_timeout_ms, 4000);
  EXPECT_EQ(Load("include missing.conf\n", &c, {}, read),
            "redis.conf:1: cannot read included file missing.conf");
  EXPECT_NE(Load("include loop.conf\n", &c, {}, read).find("nested more than 8 deep"),
            std::string::npos);
}

TEST(RedisConf, BadInputSaysWhereAndWhy) {
  NodeConf c;
  EXPECT_EQ(Load("port 7000\nno-such-option 1\n", &c),
            "redis.conf:2: Bad directive or wrong number of arguments: 'no-such-option 1'");
  EXPECT_EQ(Load("port 70000\n", &c),
            "redis.conf:1: argument must be an integer in 1..55535: 'port 70000'");
  EXPECT_EQ(Load("appendonly maybe\n", &c),
            "redis.conf:1: argument must be 'yes' or 'no': 'appendonly maybe'");
  EXPECT_EQ(Load("dir \"open\n", &c),
            "redis.conf:1: Unbalanced quotes in configuration line: 'dir \"open'");
  // What slotsim cannot honour is refused, not silently ignored.
  EXPECT_NE(Load("tls-port 6380\n", &c).find("TLS is not supported"), std::string::npos);
  EXPECT_EQ(Load("tls-port 0\n", &c), "");
  EXPECT_NE(Load("cluster-enabled no\n", &c).find("cluster-enabled must be yes"),
            std::string::npos);
  EXPECT_NE(Load("daemonize yes\n", &c).find("supervisor"), std::string::npos);
  EXPECT_NE(Load("loadmodule /x.so\n", &c).find("modules"), std::string::npos);
  EXPECT_NE(Load("cluster-config-file other.conf\n", &c).find("cannot be honoured"),
            std::string::npos);
}

// cluster-announce-hostname passes the check CONFIG SET makes
// (isValidAnnouncedHostname), "" meaning none; the endpoint type is an enum.
TEST(RedisConf, HostnameAndPreferredEndpoint) {
  NodeConf c;
  ASSERT_EQ(Load("cluster-announce-hostname host-1.example.com\n"
                 "cluster-preferred-endpoint-type HOSTNAME\n",
                 &c),
            "");
  EXPECT_EQ(c.node.announce_hostname, "host-1.example.com");
  EXPECT_EQ(c.node.preferred_endpoint, "hostname");
  ASSERT_EQ(Load("cluster-announce-hostname \"\"\n"
                 "cluster-preferred-endpoint-type unknown-endpoint\n",
                 &c),
            "");
  EXPECT_EQ(c.node.announce_hostname, "");
  EXPECT_EQ(c.node.preferred_endpoint, "unknown-endpoint");
  EXPECT_EQ(Load("cluster-announce-hostname ?.com\n", &c),
            "redis.conf:1: Hostnames may only contain alphanumeric characters, hyphens or "
            "dots: 'cluster-announce-hostname ?.com'");
  EXPECT_EQ(Load("cluster-announce-hostname " + std::string(256, 'x') + "\n", &c)
                .find("redis.conf:1: Hostnames must be less than 256 characters"),
            0u);
  EXPECT_EQ(Load("cluster-announce-hostname " + std::string(255, 'x') + "\n", &c), "");
  EXPECT_EQ(Load("cluster-preferred-endpoint-type dns\n", &c),
            "redis.conf:1: argument(s) must be one of the following: ip, hostname, "
            "unknown-endpoint: 'cluster-preferred-endpoint-type dns'");
}

// CONFIG REWRITE keeps the file's own lines and writes what SET changed
// where it was, in a form this reader (and Redis's) takes back.
TEST(RedisConf, RewriteKeepsTheFileAndReadsBack) {
  const std::string before =
      "# written by the harness\n"
      "port 30001\n"
      "cluster-node-timeout 15000\n"
      "cluster-enabled yes\n"
      "cluster-node-timeout 20000\n"
      "dir ./redis_1\n";
  const std::string after = RewriteRedisConfText(
      before, {{"cluster-node-timeout", "3000"},
               {"cluster-replica-validity-factor", "10"},
               {"cluster-announce-hostname", ""},
               {"repl-diskless-load", "disabled"}});
  EXPECT_EQ(after,
            "# written by the harness\n"
            "port 30001\n"
            "cluster-node-timeout \"3000\"\n"
            "cluster-enabled yes\n"
            "dir ./redis_1\n"
            "cluster-replica-validity-factor \"10\"\n"
            "cluster-announce-hostname \"\"\n"
            "repl-diskless-load \"disabled\"\n");
  NodeConf c;
  ASSERT_EQ(Load(after, &c), "");
  EXPECT_EQ(c.node.node_timeout_ms, 3000);
  EXPECT_EQ(c.node.dir, "./redis_1");
  // A value with quotes, backslashes and control bytes survives the trip.
  const std::string odd = "a \"b\" \\ \x01";
  std::vector<ConfDirective> d;
  std::string error;
  ASSERT_TRUE(ParseRedisConf(RewriteRedisConfText("", {{"masteruser", odd}}), "f", NoIncludes(), &d,
                             &error))
      << error;
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].args, std::vector<std::string>{odd});
}

// Whatever a file holds, parsing ends with directives or an error that
// names the file and line; it never crashes or loops.
RC_GTEST_PROP(RedisConfFuzz, AnyTextParsesOrSaysWhere, (const std::string& text)) {
  std::vector<ConfDirective> d;
  std::string error;
  if (ParseRedisConf(text, "f.conf", NoIncludes(), &d, &error)) {
    NodeConf c;
    if (!ApplyRedisConf(d, &c, &error)) RC_ASSERT(error.rfind("f.conf:", 0) == 0);
  } else {
    RC_ASSERT(error.rfind("f.conf:", 0) == 0);
  }
}

// A word written with Redis's double-quote escapes reads back as itself.
RC_GTEST_PROP(RedisConfFuzz, QuotedWordsRoundTrip, (const std::string& word)) {
  std::string quoted = "\"";
  for (unsigned char ch : word) {
    char hex[5];
    std::snprintf(hex, sizeof hex, "\\x%02x", ch);
    quoted += hex;
  }
  quoted += "\"";
  std::vector<std::string> out;
  RC_ASSERT(SplitConfigLine("name " + quoted, &out));
  RC_ASSERT(out.size() == 2u);
  RC_ASSERT(out[1] == word);
}

}  // namespace
}  // namespace slotsim
