// Hostnames (cluster-announce-hostname) and the preferred endpoint
// (cluster-preferred-endpoint-type) on simulated nodes: how a hostname
// spreads (only in its owner's pings), where it shows (CLUSTER NODES,
// nodes.conf, CLUSTER SLOTS, CLUSTER SHARDS, MOVED/ASK) and Redis 7.0.15's
// exact replies and errors.
#include <gtest/gtest.h>

#include <optional>

#include "engine/bus_codec.h"
#include "engine/keyslot.h"
#include "engine/server.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using testing::RawConn;
using testing::StartNodes;

using testing::Quiet;

// The raw bytes of the reply to one command.
std::string RawReply(RawConn& c, const std::vector<std::string>& argv) {
  const size_t before = c.raw().size();
  c.Call(argv);
  return c.raw().substr(before);
}

// The CLUSTER NODES line of `id`, as `c`'s node prints it ("" if none).
std::string NodesLine(RawConn& c, const std::string& id) {
  const std::string all = "\n" + c.Call({"CLUSTER", "NODES"}).str;
  // At a line's start: a replica's line names its primary's id too.
  size_t at = all.find("\n" + id + " ");
  if (at == std::string::npos) return "";
  ++at;
  return all.substr(at, all.find('\n', at) - at);
}

// Three primaries (7000: 0-5460, 7001: 5461-10922, 7002: 10923-16383)
// that have met, with a client on each.
class HostnameTest : public ::testing::Test {
 protected:
  HostnameTest() : sim_(Quiet()) {
    servers_ = StartNodes(sim_, 3);
    EXPECT_EQ(servers_.size(), 3u);
    for (int i = 0; i < 3; ++i) {
      clients_.push_back(std::make_unique<RawConn>(sim_, "client" + std::to_string(i)));
      clients_[i]->Connect(static_cast<uint16_t>(7000 + i));
    }
    const char* ranges[3][2] = {{"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}};
    for (int i = 0; i < 3; ++i) {
      ids_.push_back(C(i).Call({"CLUSTER", "MYID"}).str);
      EXPECT_EQ(C(i).Call({"CLUSTER", "ADDSLOTSRANGE", ranges[i][0], ranges[i][1]}).str, "OK");
    }
    EXPECT_EQ(C(0).Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
    EXPECT_EQ(C(0).Call({"CLUSTER", "MEET", "127.0.0.1", "7002"}).str, "OK");
    C(0).Replies(5000);
  }
  RawConn& C(int i) { return *clients_[i]; }
  // Runs until every node's view of node `i` shows `hostname` in its
  // CLUSTER NODES line (at most `ms`).
  bool WaitForHostname(int i, const std::string& hostname, int64_t ms = 5000) {
    const std::string want = "@" + std::to_string(17000 + i) +
                             (hostname.empty() ? " " : "," + hostname + " ");
    for (int64_t waited = 0; waited <= ms; waited += 100) {
      bool all = true;
      for (int j = 0; j < 3; ++j)
        all = all && NodesLine(C(j), ids_[i]).find(want) != std::string::npos;
      if (all) return true;
      C(0).Replies(100);
    }
    return false;
  }

  Simulation sim_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<std::unique_ptr<RawConn>> clients_;
  std::vector<std::string> ids_;
};

TEST_F(HostnameTest, ConfigSetValidatesAsRedisDoes) {
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", std::string(256, 'x')}).str,
            "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - "
            "Hostnames must be less than 256 characters");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", "?.com"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'cluster-announce-hostname') - "
            "Hostnames may only contain alphanumeric characters, hyphens or dots");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "dns"}).str,
            "ERR CONFIG SET failed (possibly related to argument "
            "'cluster-preferred-endpoint-type') - argument(s) must be one of the following: "
            "ip, hostname, unknown-endpoint");
  // Not a real hostname, but it passes: only the character set is checked.
  const std::string odd = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.";
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", odd}).str, "OK");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", std::string(255, 'x')}).str,
            "OK");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "HOSTNAME"}).str,
            "OK");
  EXPECT_EQ(RawReply(C(0), {"CONFIG", "GET", "cluster-preferred-endpoint-type"}),
            "*2\r\n$31\r\ncluster-preferred-endpoint-type\r\n$8\r\nhostname\r\n");
  EXPECT_EQ(RawReply(C(0), {"CONFIG", "GET", "cluster-announce-hostname"}),
            "*2\r\n$25\r\ncluster-announce-hostname\r\n$255\r\n" + std::string(255, 'x') +
                "\r\n");
}

TEST_F(HostnameTest, HostnamesSpreadUpdateAndClear) {
  // Before any hostname: the lines are as they were.
  EXPECT_NE(NodesLine(C(1), ids_[0]).find(" 127.0.0.1:7000@17000 master "), std::string::npos);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(C(i).Call({"CONFIG", "SET", "cluster-announce-hostname",
                         "host-" + std::to_string(i) + ".com"})
                  .str,
              "OK");
  // Myself at once (updateClusterHostname), the others from my pings.
  EXPECT_NE(NodesLine(C(0), ids_[0]).find(" 127.0.0.1:7000@17000,host-0.com myself,master "),
            std::string::npos);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(WaitForHostname(i, "host-" + std::to_string(i) + ".com")) << i;

  EXPECT_EQ(C(2).Call({"CONFIG", "SET", "cluster-announce-hostname", "host-updated-2.com"}).str,
            "OK");
  EXPECT_TRUE(WaitForHostname(2, "host-updated-2.com"));
  // An empty hostname clears it everywhere: pings without one say "none".
  EXPECT_EQ(C(2).Call({"CONFIG", "SET", "cluster-announce-hostname", ""}).str, "OK");
  EXPECT_TRUE(WaitForHostname(2, ""));
  EXPECT_TRUE(WaitForHostname(0, "host-0.com"));  // the others keep theirs
}

TEST_F(HostnameTest, ClusterSlotsFollowsThePreferredEndpoint) {
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", "me.com"}).str, "OK");
  EXPECT_EQ(C(2).Call({"CONFIG", "SET", "cluster-announce-hostname", "them.com"}).str, "OK");
  ASSERT_TRUE(WaitForHostname(0, "me.com"));
  ASSERT_TRUE(WaitForHostname(2, "them.com"));
  auto entry = [](const std::string& port, const std::string& id, const std::string& first,
                  const std::string& map) {
    return "*4\r\n" + first + ":" + port + "\r\n$40\r\n" + id + "\r\n" + map;
  };
  auto bulk = [](const std::string& s) { return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n"; };
  auto slots = [&](const std::string& e0, const std::string& e1, const std::string& e2) {
    return "*3\r\n*3\r\n:0\r\n:5460\r\n" + e0 + "*3\r\n:5461\r\n:10922\r\n" + e1 +
           "*3\r\n:10923\r\n:16383\r\n" + e2;
  };
  const std::string ip = bulk("127.0.0.1");
  // ip (the default): the ip first, the hostname, if known, in the map.
  EXPECT_EQ(RawReply(C(1), {"CLUSTER", "SLOTS"}),
            slots(entry("7000", ids_[0], ip, "*2\r\n" + bulk("hostname") + bulk("me.com")),
                  entry("7001", ids_[1], ip, "*0\r\n"),
                  entry("7002", ids_[2], ip, "*2\r\n" + bulk("hostname") + bulk("them.com"))));
  EXPECT_EQ(C(1).Call({"SET", "a", "1"}).str,  // slot 15495
            "MOVED 15495 127.0.0.1:7002");
  // hostname: the hostname first ("?" if none), the ip in the map.
  EXPECT_EQ(C(1).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).str, "OK");
  EXPECT_EQ(RawReply(C(1), {"CLUSTER", "SLOTS"}),
            slots(entry("7000", ids_[0], bulk("me.com"), "*2\r\n" + bulk("ip") + ip),
                  entry("7001", ids_[1], bulk("?"), "*2\r\n" + bulk("ip") + ip),
                  entry("7002", ids_[2], bulk("them.com"), "*2\r\n" + bulk("ip") + ip)));
  EXPECT_EQ(C(1).Call({"SET", "a", "1"}).str, "MOVED 15495 them.com:7002");
  EXPECT_EQ(C(0).Call({"SET", "b", "1"}).str, "OK");  // b is node 0's own
  EXPECT_EQ(C(2).Call({"SET", "c", "1"}).str, "MOVED 7365 127.0.0.1:7001");  // 2 prefers ip
  EXPECT_EQ(C(1).Call({"SET", "b", "1"}).str, "MOVED 3300 me.com:7000");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).str, "OK");
  EXPECT_EQ(C(0).Call({"SET", "c", "1"}).str, "MOVED 7365 ?:7001");
  // unknown-endpoint: a null first, then the ip and the hostname if known.
  EXPECT_EQ(C(1).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "unknown-endpoint"}).str,
            "OK");
  EXPECT_EQ(RawReply(C(1), {"CLUSTER", "SLOTS"}),
            slots(entry("7000", ids_[0], "$-1\r\n",
                        "*4\r\n" + bulk("ip") + ip + bulk("hostname") + bulk("me.com")),
                  entry("7001", ids_[1], "$-1\r\n", "*2\r\n" + bulk("ip") + ip),
                  entry("7002", ids_[2], "$-1\r\n",
                        "*4\r\n" + bulk("ip") + ip + bulk("hostname") + bulk("them.com"))));
  EXPECT_EQ(C(1).Call({"SET", "a", "1"}).str, "MOVED 15495 :7002");
}

TEST_F(HostnameTest, ClusterShardsShowsHostnameHealthAndOffsets) {
  // A fourth node replicates node 0.
  std::vector<std::unique_ptr<Server>> more;
  {
    const int m = sim_.AddMachine("node3");
    EngineConfig cfg;
    cfg.port = 7003;
    cfg.announce_hostname = "replica.com";
    more.push_back(std::make_unique<Server>(sim_.env(m), cfg));
    ASSERT_TRUE(more.back()->Start());
  }
  RawConn r(sim_, "client3");
  r.Connect(7003);
  const std::string rid = r.Call({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(r.Call({"CLUSTER", "MEET", "127.0.0.1", "7000"}).str, "OK");
  r.Replies(3000);
  EXPECT_EQ(r.Call({"CLUSTER", "REPLICATE", ids_[0]}).str, "OK");
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", "host-0.com"}).str, "OK");
  EXPECT_EQ(C(0).Call({"SET", "b", "1"}).str, "OK");
  r.Replies(8000);
  ASSERT_TRUE(WaitForHostname(0, "host-0.com"));

  // Node 0's view: the shard of slot 0 is node 0 then its replica.
  auto shard_of = [](const RespValue& shards, const std::string& id) -> const RespValue* {
    for (const RespValue& s : shards.elements)
      for (const RespValue& n : s.elements[3].elements)
        if (n.elements[1].str == id) return &s;
    return nullptr;
  };
  auto field = [](const RespValue& node, const std::string& key) -> std::optional<RespValue> {
    for (size_t i = 0; i + 1 < node.elements.size(); i += 2)
      if (node.elements[i].str == key) return node.elements[i + 1];
    return std::nullopt;
  };
  for (RawConn* c : {&C(0), &C(1), &r}) {
    const RespValue shards = c->Call({"CLUSTER", "SHARDS"});
    ASSERT_EQ(shards.elements.size(), 3u);
    const RespValue* s = shard_of(shards, ids_[0]);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->elements[0].str, "slots");
    ASSERT_EQ(s->elements[1].elements.size(), 2u);
    EXPECT_EQ(s->elements[1].elements[1].integer, 5460);
    ASSERT_EQ(s->elements[3].elements.size(), 2u);
    const RespValue& p = s->elements[3].elements[0];
    const RespValue& rep = s->elements[3].elements[1];
    // id, port, ip, endpoint, hostname, role, replication-offset, health.
    ASSERT_EQ(p.elements.size(), 16u);
    EXPECT_EQ(p.elements[8].str, "hostname");
    EXPECT_EQ(field(p, "hostname")->str, "host-0.com");
    EXPECT_EQ(field(p, "endpoint")->str, "127.0.0.1");
    EXPECT_EQ(field(p, "role")->str, "master");
    EXPECT_EQ(field(p, "health")->str, "online");
    EXPECT_EQ(field(rep, "id")->str, rid);
    EXPECT_EQ(field(rep, "hostname")->str, "replica.com");
    EXPECT_EQ(field(rep, "role")->str, "replica");
    EXPECT_EQ(field(rep, "health")->str, "online");
    EXPECT_GT(field(rep, "replication-offset")->integer, 0);
    // A node without a hostname has no such field: 7 pairs.
    const RespValue* s1 = shard_of(shards, ids_[1]);
    ASSERT_NE(s1, nullptr);
    EXPECT_EQ(s1->elements[3].elements[0].elements.size(), 14u);
    EXPECT_FALSE(field(s1->elements[3].elements[0], "hostname").has_value());
  }
  // Myself's offset is the replication layer's own, not a stale copy.
  const RespValue mine = field(shard_of(C(0).Call({"CLUSTER", "SHARDS"}), ids_[0])->elements[3]
                                   .elements[0],
                               "replication-offset")
                             .value();
  const std::string info = C(0).Call({"INFO", "replication"}).str;
  EXPECT_NE(info.find("master_repl_offset:" + std::to_string(mine.integer) + "\r\n"),
            std::string::npos)
      << info;
  // The preferred endpoint shows as "endpoint".
  EXPECT_EQ(C(1).Call({"CONFIG", "SET", "cluster-preferred-endpoint-type", "hostname"}).str, "OK");
  const RespValue shards = C(1).Call({"CLUSTER", "SHARDS"});
  EXPECT_EQ(field(shard_of(shards, ids_[0])->elements[3].elements[0], "endpoint")->str,
            "host-0.com");
  EXPECT_EQ(field(shard_of(shards, ids_[1])->elements[3].elements[0], "endpoint")->str, "?");
}

// nodes.conf keeps every node's hostname ("ip:port@cport,hostname"), and a
// restart reads it back; myself's comes from the config, not the file.
TEST_F(HostnameTest, RestartKeepsHostnames) {
  EXPECT_EQ(C(0).Call({"CONFIG", "SET", "cluster-announce-hostname", "host-0.com"}).str, "OK");
  EXPECT_EQ(C(1).Call({"CONFIG", "SET", "cluster-announce-hostname", "host-1.com"}).str, "OK");
  ASSERT_TRUE(WaitForHostname(0, "host-0.com"));
  ASSERT_TRUE(WaitForHostname(1, "host-1.com"));
  servers_[1]->PrepareForShutdown();  // nodes.conf as of now, durably
  std::string content;
  ASSERT_EQ(sim_.env(1).ReadFile("nodes.conf", &content), IoStatus::kOk);
  const std::string* saved = &content;
  EXPECT_NE(saved->find(ids_[0] + " 127.0.0.1:7000@17000,host-0.com master - "),
            std::string::npos)
      << *saved;
  EXPECT_NE(saved->find(ids_[1] + " 127.0.0.1:7001@17001,host-1.com myself,master - "),
            std::string::npos)
      << *saved;

  // Node 1 comes back with another hostname in its config; node 0 is
  // paused so that nothing it sends can teach node 1 its hostname again.
  sim_.Pause(0);
  sim_.Crash(1);
  servers_[1].reset();
  sim_.Restart(1);
  EngineConfig cfg;
  cfg.port = 7001;
  cfg.announce_hostname = "host-1-new.com";
  servers_[1] = std::make_unique<Server>(sim_.env(1), cfg);
  ASSERT_TRUE(servers_[1]->Start());
  RawConn c1(sim_, "client1b");
  c1.Connect(7001);
  EXPECT_NE(NodesLine(c1, ids_[0]).find(" 127.0.0.1:7000@17000,host-0.com master "),
            std::string::npos);
  EXPECT_NE(NodesLine(c1, ids_[1]).find(" 127.0.0.1:7001@17001,host-1-new.com myself,master "),
            std::string::npos);
  sim_.Resume(0);
}

// The hostname travels only in pings, only when set: a node without one
// sends what it sent before hostnames existed. A frame with a hostname no
// config could hold is dropped.
TEST(HostnameWire, BoundedAndValidated) {
  bus::BusMessage m;
  auto* h = m.mutable_header();
  h->set_type(bus::PING);
  h->set_sender(std::string(40, 'a'));
  const std::string without = EncodeBusFrame(m);
  h->set_hostname("");
  EXPECT_EQ(EncodeBusFrame(m), without);  // proto3: an empty string is not encoded
  h->set_hostname("host-1.example.com");
  EXPECT_EQ(ValidateBusMessage(m), "");
  h->set_hostname(std::string(255, 'x'));
  EXPECT_EQ(ValidateBusMessage(m), "");
  h->set_hostname(std::string(256, 'x'));
  EXPECT_EQ(ValidateBusMessage(m), "bad hostname");
  h->set_hostname("a b");  // would split a nodes.conf line
  EXPECT_EQ(ValidateBusMessage(m), "bad hostname");
  h->set_hostname("a,b");
  EXPECT_EQ(ValidateBusMessage(m), "bad hostname");
}

}  // namespace
}  // namespace slotsim
