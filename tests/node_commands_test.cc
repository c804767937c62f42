// The engine's client-facing behaviour on single nodes in simulation:
// cluster commands, routing errors, and bad input on both ports.
#include <gtest/gtest.h>

#include <set>

#include "engine/bus_codec.h"
#include "engine/dump.h"
#include "engine/introspection.h"
#include "engine/server.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using testing::RawConn;
using testing::StartNodes;

using testing::Quiet;

class SingleNodeTest : public ::testing::Test {
 protected:
  SingleNodeTest() : sim_(Quiet()) {
    int m = sim_.AddMachine("node0");
    EngineConfig cfg;
    cfg.port = 7000;
    server_ = std::make_unique<Server>(sim_.env(m), cfg);
    EXPECT_TRUE(server_->Start());
    client_ = std::make_unique<RawConn>(sim_, "client");
    client_->Connect(7000);
  }
  Simulation sim_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<RawConn> client_;
};

TEST_F(SingleNodeTest, ClusterIntrospection) {
  RespValue id = client_->Call({"CLUSTER", "MYID"});
  ASSERT_EQ(id.type, RespValue::Type::kBulk);
  EXPECT_TRUE(IsValidNodeName(id.str));
  EXPECT_EQ(client_->Call({"CLUSTER", "KEYSLOT", "foo"}).integer, 12182);
  RespValue nodes = client_->Call({"CLUSTER", "NODES"});
  EXPECT_EQ(nodes.str, id.str + " 127.0.0.1:7000@17000 myself,master - 0 0 0 connected\n");
  RespValue info = client_->Call({"CLUSTER", "INFO"});
  EXPECT_NE(info.str.find("cluster_state:fail\r\n"), std::string::npos);
  EXPECT_NE(info.str.find("cluster_known_nodes:1\r\n"), std::string::npos);
}

TEST_F(SingleNodeTest, AddSlotsValidatesBeforeChanging) {
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTS", "1", "2", "2"}).str,
            "ERR Slot 2 specified multiple times");
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTS", "16384"}).str,
            "ERR Invalid or out of range slot");
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "10", "5"}).str,
            "ERR start slot number 10 is greater than end slot number 5");
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "1", "5", "7"}).str,
            "ERR wrong number of arguments for 'cluster|addslotsrange' command");
  EXPECT_EQ(server_->cluster().myself().numslots, 0);  // nothing taken
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTS", "5"}).str, "ERR Slot 5 is already busy");
  // A single-node cluster owning everything turns ok once the 2 s
  // writable delay after start has passed (CLUSTER_WRITABLE_DELAY), then
  // serves keys.
  client_->Replies(1500);
  EXPECT_EQ(server_->cluster().health(), ClusterHealth::kFail);
  client_->Replies(1000);
  EXPECT_EQ(server_->cluster().health(), ClusterHealth::kOk);
  EXPECT_EQ(client_->Call({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "COUNTKEYSINSLOT", std::to_string(KeyHashSlot("k"))}).integer, 1);
  RespValue keys = client_->Call({"CLUSTER", "GETKEYSINSLOT", std::to_string(KeyHashSlot("k")), "10"});
  ASSERT_EQ(keys.elements.size(), 1u);
  EXPECT_EQ(keys.elements[0].str, "k");
  RespValue slots = client_->Call({"CLUSTER", "SLOTS"});
  ASSERT_EQ(slots.elements.size(), 1u);
  EXPECT_EQ(slots.elements[0].elements[0].integer, 0);
  EXPECT_EQ(slots.elements[0].elements[1].integer, 16383);
  EXPECT_EQ(slots.elements[0].elements[2].elements[1].integer, 7000);
}

// DELSLOTS[RANGE]: ADDSLOTS's checks the other way round.
TEST_F(SingleNodeTest, DelSlotsValidatesBeforeChanging) {
  // DELSLOTS[RANGE]: the same checks the other way round.
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "100", "109"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "DELSLOTS", "100", "200"}).str,
            "ERR Slot 200 is already unassigned");
  EXPECT_EQ(server_->cluster().myself().numslots, 10);  // nothing given up
  EXPECT_EQ(client_->Call({"CLUSTER", "DELSLOTSRANGE", "100", "104"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "DELSLOTS", "105", "105"}).str,
            "ERR Slot 105 specified multiple times");
  EXPECT_EQ(client_->Call({"CLUSTER", "DELSLOTS", "105", "106", "107", "108", "109"}).str, "OK");
  EXPECT_EQ(server_->cluster().myself().numslots, 0);
}

TEST_F(SingleNodeTest, ClusterResetSoftAndHard) {
  const std::string id = client_->Call({"CLUSTER", "MYID"}).str;
  ASSERT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
  ASSERT_EQ(client_->Call({"CLUSTER", "SET-CONFIG-EPOCH", "5"}).str, "OK");
  client_->Replies(2500);
  ASSERT_EQ(client_->Call({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "RESET"}).str,
            "ERR CLUSTER RESET can't be called with master nodes containing keys");
  EXPECT_EQ(client_->Call({"CLUSTER", "RESET", "sideways"}).str, "ERR syntax error");
  EXPECT_EQ(client_->Call({"DEL", "k"}).integer, 1);
  // Soft: no slots, same name, epochs kept (clusterReset).
  EXPECT_EQ(client_->Call({"CLUSTER", "RESET", "SOFT"}).str, "OK");
  EXPECT_EQ(server_->cluster().myself().numslots, 0);
  EXPECT_EQ(client_->Call({"CLUSTER", "MYID"}).str, id);
  EXPECT_EQ(server_->cluster().myself().config_epoch, 5u);
  // Hard: a new name and zero epochs.
  EXPECT_EQ(client_->Call({"CLUSTER", "RESET", "HARD"}).str, "OK");
  EXPECT_NE(client_->Call({"CLUSTER", "MYID"}).str, id);
  EXPECT_EQ(server_->cluster().myself().config_epoch, 0u);
  EXPECT_EQ(server_->cluster().current_epoch(), 0u);
}

TEST_F(SingleNodeTest, CommandAndConfigGetAnswerClientsAndTools) {
  RespValue all = client_->Call({"COMMAND"});
  ASSERT_EQ(all.type, RespValue::Type::kArray);
  EXPECT_EQ(static_cast<int64_t>(all.elements.size()), client_->Call({"COMMAND", "COUNT"}).integer);
  RespValue set = client_->Call({"COMMAND", "INFO", "set", "nosuch"});
  ASSERT_EQ(set.elements.size(), 2u);
  ASSERT_EQ(set.elements[0].elements.size(), 10u);  // Redis 7's ten fields
  EXPECT_EQ(set.elements[0].elements[0].str, "set");
  EXPECT_EQ(set.elements[0].elements[1].integer, -3);
  EXPECT_EQ(set.elements[0].elements[2].elements[0].str, "write");
  EXPECT_EQ(set.elements[0].elements[3].integer, 1);  // first key
  EXPECT_EQ(set.elements[1].type, RespValue::Type::kNullArray);
  EXPECT_EQ(client_->Call({"COMMAND", "NOPE"}).str,
            "ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try COMMAND HELP.");
  RespValue cfg = client_->Call({"CONFIG", "GET", "cluster-node-t*"});
  ASSERT_EQ(cfg.elements.size(), 2u);
  EXPECT_EQ(cfg.elements[0].str, "cluster-node-timeout");
  EXPECT_EQ(cfg.elements[1].str, "15000");
  EXPECT_EQ(client_->Call({"CONFIG", "GET", "PORT", "nothing*"}).elements[1].str, "7000");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "port", "1"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable "
            "config");
}

// updateAppendonly: when the log cannot be started (here its first write
// fails), CONFIG SET answers the error, restores every value it set, and
// the node goes on without a log; once the disk works it can be turned on.
TEST_F(SingleNodeTest, ConfigSetAppendonlyThatCannotStartTheLogRestoresEverything) {
  ASSERT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
  sim_.RunUntil(sim_.now_us() + 3'000'000);
  ASSERT_EQ(client_->Call({"SET", "k", "v"}).str, "OK");
  sim_.SetDiskError(0, DiskOp::kWrite, 1'000'000, false);
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-node-timeout", "3000", "appendonly", "yes",
                           "appendfsync", "always"})
                .str,
            "ERR CONFIG SET failed (possibly related to argument 'appendonly') - Unable to turn "
            "on AOF. Check server logs.");
  EXPECT_FALSE(server_->config().appendonly);
  EXPECT_EQ(server_->config().appendfsync, AofFsync::kEverySec);
  EXPECT_NE(server_->config().node_timeout_ms, 3000);
  EXPECT_FALSE(sim_.disk(0).Read("appendonly.aof").has_value());
  EXPECT_EQ(client_->Call({"SET", "k", "w"}).str, "OK") << "the node must go on without a log";
  sim_.RunUntil(sim_.now_us() + 1'500'000);
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "appendonly", "yes"}).str, "OK");
  EXPECT_TRUE(server_->config().appendonly);
  EXPECT_NE(sim_.disk(0).Read("appendonly.aof").value_or("").find("w"), std::string::npos);
}

// What the Redis cluster suite's init-tests set on every node: the cluster
// settings take effect, Redis's other options are accepted and read back,
// a bad or unknown one changes nothing, and REWRITE needs a config file.
TEST_F(SingleNodeTest, ConfigSetChangesTheClusterSettings) {
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-node-timeout", "3000",
                           "cluster-slave-validity-factor", "7", "cluster-announce-hostname", "",
                           "repl-diskless-load", "disabled"})
                .str,
            "OK");
  EXPECT_EQ(server_->config().node_timeout_ms, 3000);
  EXPECT_EQ(server_->config().replica_validity_factor, 7);
  RespValue got = client_->Call({"CONFIG", "GET", "cluster-replica-validity-factor"});
  ASSERT_EQ(got.elements.size(), 2u);
  EXPECT_EQ(got.elements[1].str, "7");
  got = client_->Call({"CONFIG", "GET", "repl-diskless-load"});
  ASSERT_EQ(got.elements.size(), 2u);
  EXPECT_EQ(got.elements[1].str, "disabled");
  // All or none: the bad second pair leaves the first unapplied.
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-node-timeout", "5000",
                           "cluster-require-full-coverage", "maybe"})
                .str,
            "ERR CONFIG SET failed (possibly related to argument 'cluster-require-full-coverage') "
            "- argument must be 'yes' or 'no'");
  EXPECT_EQ(server_->config().node_timeout_ms, 3000);
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-node-timeout", "4000",
                           "CLUSTER-NODE-TIMEOUT", "5000"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'CLUSTER-NODE-TIMEOUT') - "
            "duplicate parameter");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "no-such-thing", "1"}).str,
            "ERR Unknown option or number of arguments for CONFIG SET - 'no-such-thing'");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-node-timeout", "x"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'cluster-node-timeout') - "
            "argument couldn't be parsed into an integer");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "cluster-allow-reads-when-down", "yes"}).str, "OK");
  EXPECT_TRUE(server_->config().allow_reads_when_down);
  EXPECT_EQ(client_->Call({"CONFIG", "REWRITE"}).str,
            "ERR The server is running without a config file");
  EXPECT_EQ(client_->Call({"CONFIG", "RESETSTAT"}).str, "OK");
  // resizeReplicationBacklog raises a small backlog to 16 KB, and CONFIG
  // GET shows the raised value.
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "repl-backlog-size", "100"}).str, "OK");
  got = client_->Call({"CONFIG", "GET", "repl-backlog-size"});
  ASSERT_EQ(got.elements.size(), 2u);
  EXPECT_EQ(got.elements[1].str, "16384");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "repl-backlog-size", "2mb"}).str, "OK");
  EXPECT_EQ(server_->config().repl_backlog_bytes, 2 * 1024 * 1024);
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "repl-backlog-size", "lots"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'repl-backlog-size') - "
            "argument must be a memory value");
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "key-load-delay", "-10"}).str, "OK");
  EXPECT_EQ(server_->config().key_load_delay_us, -10);
}

TEST(GlobMatch, FollowsRedisStringmatch) {
  EXPECT_TRUE(GlobMatch("*", "anything", false));
  EXPECT_TRUE(GlobMatch("cluster-*", "cluster-enabled", false));
  EXPECT_TRUE(GlobMatch("a?c", "abc", false));
  EXPECT_TRUE(GlobMatch("[a-c]x", "bx", false));
  EXPECT_FALSE(GlobMatch("[^a-c]x", "bx", false));
  EXPECT_TRUE(GlobMatch("A*", "abc", true));
  EXPECT_FALSE(GlobMatch("A*", "abc", false));
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b", false));
  EXPECT_FALSE(GlobMatch("a*b", "acd", false));
  EXPECT_TRUE(GlobMatch("*a*a*a*", "xaxaxa", false));
}

TEST_F(SingleNodeTest, RoutingErrors) {
  EXPECT_EQ(client_->Call({"GET", "k"}).str, "CLUSTERDOWN Hash slot not served");
  client_->Call({"CLUSTER", "ADDSLOTS", std::to_string(KeyHashSlot("a"))});
  EXPECT_EQ(client_->Call({"DEL", "a", "b"}).str,
            "CROSSSLOT Keys in request don't hash to the same slot");
  // All slots not covered: the cluster is down even for a served slot.
  client_->Replies(3000);
  EXPECT_EQ(client_->Call({"GET", "a"}).str, "CLUSTERDOWN The cluster is down");
  // Keyless commands still work.
  EXPECT_EQ(client_->Call({"PING"}).str, "PONG");
}

TEST_F(SingleNodeTest, ReplicateRules) {
  EXPECT_EQ(client_->Call({"CLUSTER", "REPLICATE", std::string(40, 'a')}).str,
            "ERR Unknown node " + std::string(40, 'a'));
  RespValue id = client_->Call({"CLUSTER", "MYID"});
  EXPECT_EQ(client_->Call({"CLUSTER", "REPLICATE", id.str}).str, "ERR Can't replicate myself");
  EXPECT_EQ(client_->Call({"CLUSTER", "MEET", "127.0.0.1", "notaport"}).str,
            "ERR Invalid base port specified: notaport");
  EXPECT_EQ(client_->Call({"CLUSTER", "NOSUCH"}).str,
            "ERR unknown subcommand 'NOSUCH'. Try CLUSTER HELP.");
}

TEST_F(SingleNodeTest, UnknownCommandAndArity) {
  EXPECT_EQ(client_->Call({"FOO", "a", "b"}).str,
            "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(client_->Call({"GET"}).str, "ERR wrong number of arguments for 'get' command");
  EXPECT_FALSE(client_->closed());
}

TEST_F(SingleNodeTest, MalformedRespClosesOnlyThatConnection) {
  RawConn other(sim_, "other");
  other.Connect(7000);
  EXPECT_EQ(other.Call({"PING"}).str, "PONG");
  client_->Send("*2\r\n$3\r\nGET\r\n:5\r\n");
  auto replies = client_->Replies();
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(replies[0].str, "ERR Protocol error: expected '$', got ':'");
  EXPECT_TRUE(client_->closed());
  EXPECT_EQ(server_->protocol_errors(), 1);
  // Everyone else is still served.
  EXPECT_EQ(other.Call({"PING"}).str, "PONG");
  EXPECT_FALSE(other.closed());
}

TEST_F(SingleNodeTest, RandomBytesNeverCrashTheNode) {
  Prng prng(99);
  for (int i = 0; i < 200; ++i) {
    RawConn fuzz(sim_, "fuzz" + std::to_string(i));
    fuzz.Connect(i % 2 ? 7000 : 17000);  // client port and bus port
    std::string junk;
    const int n = 1 + static_cast<int>(prng.Below(300));
    for (int k = 0; k < n; ++k) junk.push_back(static_cast<char>(prng.Next()));
    if (i % 3 == 0) junk = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc";  // half sent
    fuzz.Send(junk);
    fuzz.Replies(5);
  }
  RawConn after(sim_, "after");
  after.Connect(7000);
  EXPECT_EQ(after.Call({"PING"}).str, "PONG");
}

TEST_F(SingleNodeTest, GarbledBusFrameIsDroppedAndCounted) {
  RawConn bus(sim_, "peer");
  bus.Connect(17000);
  bus::BusMessage m;
  auto* h = m.mutable_header();
  h->set_type(bus::PING);
  h->set_sender(std::string(40, 'b'));
  h->set_ip("127.0.0.1");
  h->set_port(7100);
  h->set_cport(17100);
  std::string frame = EncodeBusFrame(m);
  std::string garbled = frame;
  garbled.back() ^= 0x20;
  bus.Send(garbled);
  bus.Replies(20);
  EXPECT_EQ(server_->cluster().stats().bus_frames_dropped, 1);
  EXPECT_FALSE(bus.closed());  // framing intact: the link stays
  // A frame with broken framing closes that link only.
  bus.Send("XXXXXXXXXXXXXXXX");
  bus.Replies(20);
  EXPECT_EQ(server_->cluster().stats().bus_links_broken, 1);
  EXPECT_TRUE(bus.closed());
  EXPECT_EQ(client_->Call({"PING"}).str, "PONG");
}


// MULTI/EXEC as multi.c has it: commands queue with +QUEUED, EXEC runs them
// in order and answers with their replies; a refused command dooms the
// transaction; keys of one transaction must share a slot.
class TransactionTest : public ::testing::Test {
 protected:
  TransactionTest() : sim_(Quiet()) {
    machine_ = sim_.AddMachine("node0");
    EngineConfig cfg;
    cfg.port = 7000;
    cfg.appendonly = true;
    server_ = std::make_unique<Server>(sim_.env(machine_), cfg);
    EXPECT_TRUE(server_->Start());
    client_ = std::make_unique<RawConn>(sim_, "client");
    client_->Connect(7000);
    EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
    client_->Replies(2500);  // past the writable delay
  }
  std::string Aof() { return sim_.disk(machine_).Read("appendonly.aof").value_or(""); }
  Simulation sim_;
  int machine_ = 0;
  std::unique_ptr<Server> server_;
  std::unique_ptr<RawConn> client_;
};

TEST_F(TransactionTest, QueuesAndExecutesInOrderAndPropagatesAsOneBlock) {
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"SET", "{t}a", "1"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"INCR", "{t}a"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"GET", "{t}a"}).str, "QUEUED");
  RawConn other(sim_, "other");
  other.Connect(7000);
  EXPECT_EQ(other.Call({"GET", "{t}a"}).type, RespValue::Type::kNullBulk);  // not run yet
  RespValue r = client_->Call({"EXEC"});
  ASSERT_EQ(r.elements.size(), 3u);
  EXPECT_EQ(r.elements[0].str, "OK");
  EXPECT_EQ(r.elements[1].integer, 2);
  EXPECT_EQ(r.elements[2].str, "2");
  EXPECT_EQ(other.Call({"GET", "{t}a"}).str, "2");
  // The data log holds the writes between MULTI and EXEC, the reads not.
  const std::string aof = Aof();
  const size_t multi = aof.find("MULTI");
  ASSERT_NE(multi, std::string::npos) << aof;
  EXPECT_LT(multi, aof.find("INCR"));
  EXPECT_LT(aof.find("INCR"), aof.find("EXEC"));
  EXPECT_EQ(aof.find("GET"), std::string::npos);
  // A transaction of reads propagates nothing.
  const size_t before = Aof().size();
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"GET", "{t}a"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"EXEC"}).elements.size(), 1u);
  EXPECT_EQ(Aof().size(), before);
}

// A transaction is applied whole or not at all when the data log is
// loaded: a MULTI block cut off by a crash is dropped (as Redis reverts an
// incomplete MULTI/EXEC at the end of the AOF).
TEST(TransactionLoad, AnAofCutInsideMultiLoadsWithoutTheBlock) {
  Simulation sim(Quiet());
  const int m = sim.AddMachine("node0");
  std::string aof;
  for (const std::vector<std::string>& cmd :
       std::vector<std::vector<std::string>>{{"SET", "a", "1"}, {"MULTI"}, {"SET", "{b}1", "2"},
                                             {"EXEC"}, {"MULTI"}, {"SET", "{b}2", "3"}})
    aof += resp::EncodeCommand(cmd);
  ASSERT_TRUE(sim.disk(m).Write("appendonly.aof", aof, 0));
  EngineConfig cfg;
  cfg.port = 7000;
  cfg.appendonly = true;
  Server server(sim.env(m), cfg);
  ASSERT_TRUE(server.Start());
  RawConn c(sim, "client");
  c.Connect(7000);
  EXPECT_EQ(c.Call({"DBSIZE"}).integer, 2);  // a and {b}1; not {b}2
}

// CONFIG SET appendonly yes starts the log from what the node holds
// (startAppendOnly's rewrite); no stops appending; ROLE answers as Redis.
TEST_F(SingleNodeTest, AppendonlyTurnsOnAndOffAndRoleAnswers) {
  EXPECT_EQ(client_->Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
  client_->Replies(2500);
  EXPECT_EQ(client_->Call({"SET", "before", "1"}).str, "OK");
  EXPECT_FALSE(sim_.disk(0).Read("appendonly.aof").has_value());
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "appendonly", "yes", "appendfsync", "always"}).str, "OK");
  EXPECT_EQ(client_->Call({"SET", "after", "2"}).str, "OK");
  std::string aof = sim_.disk(0).Read("appendonly.aof").value_or("");
  EXPECT_NE(aof.find("before"), std::string::npos) << aof;  // the rewrite
  EXPECT_NE(aof.find("after"), std::string::npos) << aof;   // appended since
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "appendonly", "no"}).str, "OK");
  EXPECT_EQ(client_->Call({"SET", "later", "3"}).str, "OK");
  aof = sim_.disk(0).Read("appendonly.aof").value_or("");
  EXPECT_EQ(aof.find("later"), std::string::npos);
  EXPECT_EQ(client_->Call({"CONFIG", "SET", "appendfsync", "sometimes"}).str,
            "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must "
            "be one of the following: always, everysec, no");
  RespValue role = client_->Call({"ROLE"});
  ASSERT_EQ(role.elements.size(), 3u);
  EXPECT_EQ(role.elements[0].str, "master");
  EXPECT_EQ(role.elements[2].type, RespValue::Type::kArray);
}

// MSET / MGET: every key of one call in one slot, as any multi-key
// command in a cluster.
TEST_F(TransactionTest, MsetAndMget) {
  EXPECT_EQ(client_->Call({"MSET", "{m}a", "1", "{m}b", "2"}).str, "OK");
  EXPECT_EQ(client_->Call({"HSET", "{m}h", "f", "v"}).integer, 1);
  RespValue r = client_->Call({"MGET", "{m}a", "{m}nope", "{m}b", "{m}h"});
  ASSERT_EQ(r.elements.size(), 4u);
  EXPECT_EQ(r.elements[0].str, "1");
  EXPECT_EQ(r.elements[1].type, RespValue::Type::kNullBulk);
  EXPECT_EQ(r.elements[2].str, "2");
  EXPECT_EQ(r.elements[3].type, RespValue::Type::kNullBulk);  // not a string
  EXPECT_EQ(client_->Call({"MSET", "a", "1", "b", "2"}).str,
            "CROSSSLOT Keys in request don't hash to the same slot");
  EXPECT_EQ(client_->Call({"MSET", "{m}a", "1", "{m}b"}).str,
            "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(client_->Call({"GET", "{m}a"}).str, "1");  // unchanged by the refused ones
}

// CLIENT PAUSE: WRITE holds writes, ALL holds everything (CLIENT UNPAUSE
// included, as in Redis) until the timeout; held commands then run.
TEST_F(TransactionTest, ClientPauseHoldsCommandsUntilItEnds) {
  RawConn other(sim_, "other");
  other.Connect(7000);
  EXPECT_EQ(client_->Call({"CLIENT", "PAUSE", "1000", "WRITE"}).str, "OK");
  other.SendCommand({"SET", "p", "1"});
  EXPECT_TRUE(other.Replies(200).empty());  // held
  EXPECT_EQ(client_->Call({"GET", "p"}).type, RespValue::Type::kNullBulk);  // reads go on
  EXPECT_EQ(client_->Call({"CLIENT", "UNPAUSE"}).str, "OK");
  std::vector<RespValue> done = other.Replies(50);
  ASSERT_EQ(done.size(), 1u);
  EXPECT_EQ(done[0].str, "OK");
  EXPECT_EQ(client_->Call({"CLIENT", "PAUSE", "500"}).str, "OK");  // ALL
  client_->SendCommand({"GET", "p"});
  EXPECT_TRUE(client_->Replies(300).empty());
  std::vector<RespValue> later = client_->Replies(300);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].str, "1");
  EXPECT_EQ(client_->Call({"CLIENT", "PAUSE", "x"}).str,
            "ERR timeout is not an integer or out of range");
}

TEST_F(TransactionTest, ErrorsFollowRedis) {
  EXPECT_EQ(client_->Call({"EXEC"}).str, "ERR EXEC without MULTI");
  EXPECT_EQ(client_->Call({"DISCARD"}).str, "ERR DISCARD without MULTI");
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"MULTI"}).str, "ERR MULTI calls can not be nested");
  EXPECT_EQ(client_->Call({"SET", "k", "v"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"DISCARD"}).str, "OK");
  EXPECT_EQ(client_->Call({"GET", "k"}).type, RespValue::Type::kNullBulk);  // discarded
  // A refused command (unknown, bad arity, not allowed) aborts EXEC.
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"SET", "k", "v"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"GET"}).str, "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(client_->Call({"EXEC"}).str,
            "EXECABORT Transaction discarded because of previous errors.");
  EXPECT_EQ(client_->Call({"GET", "k"}).type, RespValue::Type::kNullBulk);
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"WAIT", "1", "0"}).str, "ERR Command not allowed inside a transaction");
  EXPECT_EQ(client_->Call({"EXEC"}).str,
            "EXECABORT Transaction discarded because of previous errors.");
  // Keys of one transaction in two slots: CROSSSLOT at EXEC, which
  // discards it (getNodeByQuery over the queued commands).
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"SET", "a", "1"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"SET", "b", "1"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"EXEC"}).str, "CROSSSLOT Keys in request don't hash to the same slot");
  EXPECT_EQ(client_->Call({"EXEC"}).str, "ERR EXEC without MULTI");
  EXPECT_EQ(client_->Call({"GET", "a"}).type, RespValue::Type::kNullBulk);
}

TEST_F(TransactionTest, ClusterResetInsideMultiAndFlushAll) {
  EXPECT_EQ(client_->Call({"SET", "k", "v"}).str, "OK");
  EXPECT_EQ(client_->Call({"FLUSHALL", "maybe"}).str, "ERR syntax error");
  EXPECT_EQ(client_->Call({"FLUSHALL"}).str, "OK");
  EXPECT_EQ(client_->Call({"DBSIZE"}).integer, 0);
  EXPECT_NE(Aof().find("FLUSHALL"), std::string::npos);
  // What the Redis cluster suite's init-tests send to every node.
  const std::string before = client_->Call({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(client_->Call({"MULTI"}).str, "OK");
  EXPECT_EQ(client_->Call({"CLUSTER", "RESET", "HARD"}).str, "QUEUED");
  EXPECT_EQ(client_->Call({"CLUSTER", "SET-CONFIG-EPOCH", "3"}).str, "QUEUED");
  RespValue r = client_->Call({"EXEC"});
  ASSERT_EQ(r.elements.size(), 2u);
  EXPECT_EQ(r.elements[0].str, "OK");
  EXPECT_EQ(r.elements[1].str, "OK");
  EXPECT_NE(client_->Call({"CLUSTER", "MYID"}).str, before);  // a hard reset's new id
  EXPECT_NE(client_->Call({"CLUSTER", "INFO"}).str.find("cluster_my_epoch:3\r\n"), std::string::npos);
}


// DEBUG DROP-CLUSTER-PACKET-FILTER type: the node drops received bus
// messages of that type (MEET is 2), until -1 lifts it.
TEST(DebugCommand, DropClusterPacketFilterDropsThatTypeUntilLifted) {
  Simulation sim(Quiet());
  // A handshake that got no answer expires in 1 s.
  std::vector<std::unique_ptr<Server>> servers = StartNodes(sim, 2, 1000);
  RawConn a(sim, "a"), b(sim, "b");
  a.Connect(7000);
  b.Connect(7001);
  EXPECT_EQ(b.Call({"DEBUG", "DROP-CLUSTER-PACKET-FILTER", "2"}).str, "OK");
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(500);
  EXPECT_EQ(servers[1]->cluster().known_nodes(), 1u);  // the MEET was dropped
  EXPECT_EQ(b.Call({"DEBUG", "DROP-CLUSTER-PACKET-FILTER", "-1"}).str, "OK");
  a.Replies(1500);  // A's unanswered handshake with B expires
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(500);
  EXPECT_EQ(servers[1]->cluster().known_nodes(), 2u);
  EXPECT_EQ(b.Call({"DEBUG", "DROP-CLUSTER-PACKET-FILTER", "x"}).str,
            "ERR value is not an integer or out of range");
  EXPECT_EQ(b.Call({"DEBUG", "NOPE"}).str,
            "ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP.");
  const std::string info = b.Call({"INFO"}).str;
  EXPECT_NE(info.find("aof_enabled:0\r\n"), std::string::npos);
  EXPECT_NE(info.find("dump_payload_sanitizations:0\r\n"), std::string::npos);
}


// CONFIG SET cluster-replica-no-failover yes raises my nofailover flag
// (clusterUpdateMyselfFlags), and peers learn it from my messages.
TEST(NoFailover, TheFlagFollowsTheSettingAndSpreads) {
  Simulation sim(Quiet());
  std::vector<std::unique_ptr<Server>> servers = StartNodes(sim, 2, 1000);
  RawConn a(sim, "a"), b(sim, "b");
  a.Connect(7000);
  b.Connect(7001);
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(1000);
  const std::string b_id = b.Call({"CLUSTER", "MYID"}).str;
  auto a_sees_b = [&]() -> uint32_t {
    const ClusterNode* n = servers[0]->cluster().LookupNode(b_id);
    return n == nullptr ? 0u : n->flags;
  };
  EXPECT_EQ(a_sees_b() & kNodeNoFailover, 0u);
  EXPECT_EQ(b.Call({"CONFIG", "SET", "cluster-replica-no-failover", "yes"}).str, "OK");
  EXPECT_NE(b.Call({"CLUSTER", "NODES"}).str.find("myself,master,nofailover"), std::string::npos);
  a.Replies(2000);  // a ping or two each way
  EXPECT_NE(a_sees_b() & kNodeNoFailover, 0u);
  EXPECT_EQ(b.Call({"CONFIG", "SET", "cluster-replica-no-failover", "no"}).str, "OK");
  a.Replies(2000);
  EXPECT_EQ(a_sees_b() & kNodeNoFailover, 0u);
}


TEST(ClusterReplicas, ListsAPrimarysReplicasAndCountsReports) {
  Simulation sim(Quiet());
  std::vector<std::unique_ptr<Server>> servers = StartNodes(sim, 2);
  RawConn a(sim, "a"), b(sim, "b");
  a.Connect(7000);
  b.Connect(7001);
  const std::string a_id = a.Call({"CLUSTER", "MYID"}).str;
  const std::string b_id = b.Call({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(a.Call({"CLUSTER", "ADDSLOTS", "1"}).str, "OK");
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(1000);
  EXPECT_EQ(b.Call({"CLUSTER", "REPLICATE", a_id}).str, "OK");
  a.Replies(1000);
  for (const char* sub : {"REPLICAS", "SLAVES"}) {
    RespValue r = a.Call({"CLUSTER", sub, a_id});
    ASSERT_EQ(r.elements.size(), 1u) << sub;
    EXPECT_EQ(r.elements[0].str.rfind(b_id + " 127.0.0.1:7001@17001 slave " + a_id, 0), 0u)
        << r.elements[0].str;
  }
  EXPECT_EQ(a.Call({"CLUSTER", "REPLICAS", b_id}).str, "ERR The specified node is not a master");
  EXPECT_EQ(a.Call({"CLUSTER", "REPLICAS", "nope"}).str, "ERR Unknown node nope");
  EXPECT_EQ(a.Call({"CLUSTER", "COUNT-FAILURE-REPORTS", b_id}).integer, 0);
  EXPECT_EQ(a.Call({"CLUSTER", "COUNT-FAILURE-REPORTS", "nope"}).str, "ERR Unknown node nope");

  // CLIENT KILL as Redis's tests use it: on a replica, the old form naming
  // its primary drops the replication link; TYPE replica on the primary.
  a.Replies(7000);  // past the 5 s diskless-sync delay: streaming
  RespValue role = b.Call({"ROLE"});
  ASSERT_EQ(role.elements.size(), 5u);
  EXPECT_EQ(role.elements[0].str, "slave");
  EXPECT_EQ(role.elements[2].integer, 7000);
  EXPECT_EQ(role.elements[3].str, "connected");
  EXPECT_EQ(b.Call({"CLIENT", "KILL", "127.0.0.1:7000"}).str, "OK");
  EXPECT_NE(b.Call({"ROLE"}).elements[3].str, "connected");
  EXPECT_EQ(b.Call({"CLIENT", "KILL", "127.0.0.1:9"}).str, "ERR No such client");
  a.Replies(8000);  // the replica reconnects and resyncs
  EXPECT_EQ(a.Call({"CLIENT", "KILL", "TYPE", "replica"}).integer, 1);
  EXPECT_EQ(a.Call({"CLIENT", "KILL", "TYPE", "bogus"}).str, "ERR Unknown client type 'bogus'");
  EXPECT_EQ(a.Call({"CLIENT", "SETNAME", "tester"}).str, "OK");
  EXPECT_EQ(a.Call({"CLIENT", "GETNAME"}).str, "tester");
  EXPECT_GT(a.Call({"CLIENT", "ID"}).integer, 0);
  EXPECT_NE(a.Call({"CLIENT", "LIST"}).str.find("name=tester"), std::string::npos);
  // DEBUG POPULATE fills the primary without propagating it; DEBUG DIGEST
  // and DIGEST-VALUE say what a node holds.
  const std::string zeros(40, '0');
  EXPECT_EQ(b.Call({"DEBUG", "DIGEST"}).str, zeros);
  EXPECT_EQ(a.Call({"DEBUG", "POPULATE", "100", "key", "50"}).str, "OK");
  EXPECT_EQ(a.Call({"DBSIZE"}).integer, 100);
  // key:7 holds "value:7" padded with zero bytes to 50 (DIGEST-VALUE of
  // the same value elsewhere agrees).
  Keyspace expected;
  expected.SetString("key:7", std::string("value:7") + std::string(43, '\0'));
  EXPECT_EQ(a.Call({"DEBUG", "DIGEST-VALUE", "key:7"}).elements.at(0).str,
            DigestOf("key:7", expected.Find("key:7")));
  const std::string digest = a.Call({"DEBUG", "DIGEST"}).str;
  EXPECT_EQ(digest.size(), 40u);
  EXPECT_NE(digest, zeros);
  // Not propagated (as in Redis): the replica's reconnection resyncs
  // partially and still lacks the keys.
  EXPECT_EQ(a.Call({"CLIENT", "KILL", "TYPE", "replica"}).integer, 1);
  a.Replies(8000);
  EXPECT_EQ(b.Call({"DEBUG", "DIGEST"}).str, zeros);
  RespValue values = a.Call({"DEBUG", "DIGEST-VALUE", "key:1", "nope"});
  ASSERT_EQ(values.elements.size(), 2u);
  EXPECT_NE(values.elements[0].str, zeros);
  EXPECT_EQ(values.elements[1].str, zeros);
  EXPECT_EQ(a.Call({"DEBUG", "POPULATE", "101", "key", "50"}).str, "OK");  // one more key
  EXPECT_NE(a.Call({"DEBUG", "DIGEST"}).str, digest);

  // DEBUG SLEEP holds the node's thread: the reply comes that much later.
  b.SendCommand({"DEBUG", "SLEEP", "0.5"});
  EXPECT_TRUE(b.Replies(400).empty());  // still asleep
  std::vector<RespValue> woke = b.Replies(200);
  ASSERT_EQ(woke.size(), 1u);
  EXPECT_EQ(woke[0].str, "OK");
}


// ASKING before MULTI covers the whole transaction on an importing slot
// (resetClient keeps the flag under CLIENT_MULTI), and ends with EXEC.
TEST(TransactionAsking, AskingLastsForTheTransaction) {
  Simulation sim(Quiet());
  std::vector<std::unique_ptr<Server>> servers = StartNodes(sim, 2);
  RawConn a(sim, "a"), b(sim, "b");
  a.Connect(7000);
  b.Connect(7001);
  const std::string a_id = a.Call({"CLUSTER", "MYID"}).str;
  EXPECT_EQ(a.Call({"CLUSTER", "ADDSLOTSRANGE", "0", "16383"}).str, "OK");
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(3000);
  const std::string slot = std::to_string(KeyHashSlot("{x}"));
  EXPECT_EQ(b.Call({"CLUSTER", "SETSLOT", slot, "IMPORTING", a_id}).str, "OK");
  EXPECT_EQ(b.Call({"ASKING"}).str, "OK");
  EXPECT_EQ(b.Call({"MULTI"}).str, "OK");
  EXPECT_EQ(b.Call({"SET", "{x}1", "a"}).str, "QUEUED");
  // One key: with two missing keys the EXEC would rightly get TRYAGAIN.
  EXPECT_EQ(b.Call({"SET", "{x}1", "b"}).str, "QUEUED");
  RespValue r = b.Call({"EXEC"});
  ASSERT_EQ(r.elements.size(), 2u) << static_cast<int>(r.type) << " " << r.str;
  EXPECT_EQ(r.elements[1].str, "OK");
  // Spent with the EXEC: the next command is redirected again.
  EXPECT_EQ(b.Call({"GET", "{x}1"}).str.rfind("MOVED", 0), 0u);
}

}  // namespace
}  // namespace slotsim

namespace slotsim {
namespace {

// SHUTDOWN needs the process that runs the node; in simulation the
// scenario stops nodes, so it is refused (after its syntax is checked).
TEST_F(SingleNodeTest, ShutdownIsRefusedInSimulation) {
  EXPECT_EQ(client_->Call({"SHUTDOWN", "NOSAVE", "SAVE"}).str, "ERR syntax error");
  EXPECT_EQ(client_->Call({"SHUTDOWN", "sideways"}).str, "ERR syntax error");
  EXPECT_EQ(client_->Call({"SHUTDOWN", "NOSAVE", "NOW"}).str,
            "ERR SHUTDOWN is not available in simulation: the scenario stops nodes");
  EXPECT_EQ(client_->Call({"PING"}).str, "PONG");
}

// CLUSTER LINKS: one link to and one from each peer, six fields each; the
// send-buffer limit is a memory setting.
TEST(ClusterLinks, OneLinkEachWayPerPeer) {
  Simulation sim(Quiet());
  std::vector<std::unique_ptr<Server>> servers = StartNodes(sim, 2);
  RawConn a(sim, "a"), b(sim, "b");
  a.Connect(7000);
  b.Connect(7001);
  EXPECT_EQ(a.Call({"CLUSTER", "LINKS"}).elements.size(), 0u);
  EXPECT_EQ(a.Call({"CLUSTER", "MEET", "127.0.0.1", "7001"}).str, "OK");
  a.Replies(1000);
  const std::string b_id = b.Call({"CLUSTER", "MYID"}).str;
  RespValue links = a.Call({"CLUSTER", "LINKS"});
  ASSERT_EQ(links.elements.size(), 2u) << links.ToString();
  std::set<std::string> directions;
  for (const RespValue& l : links.elements) {
    ASSERT_EQ(l.elements.size(), 12u);
    EXPECT_EQ(l.elements[0].str, "direction");
    directions.insert(l.elements[1].str);
    EXPECT_EQ(l.elements[2].str, "node");
    EXPECT_EQ(l.elements[3].str, b_id);
    EXPECT_EQ(l.elements[4].str, "create-time");
    EXPECT_GT(l.elements[5].integer, 0);
    EXPECT_EQ(l.elements[6].str, "events");
    EXPECT_EQ(l.elements[10].str, "send-buffer-used");
  }
  EXPECT_EQ(directions, (std::set<std::string>{"from", "to"}));
  EXPECT_EQ(a.Call({"CONFIG", "SET", "cluster-link-sendbuf-limit", "256kb"}).str, "OK");
  RespValue got = a.Call({"CONFIG", "GET", "cluster-link-sendbuf-limit"});
  ASSERT_EQ(got.elements.size(), 2u);
  EXPECT_EQ(got.elements[1].str, "262144");
  EXPECT_EQ(a.Call({"CONFIG", "SET", "cluster-link-sendbuf-limit", "lots"}).str.rfind("ERR", 0), 0u);
  EXPECT_NE(a.Call({"CLUSTER", "INFO"}).str.find("total_cluster_links_buffer_limit_exceeded:0\r\n"),
            std::string::npos);
}

}  // namespace
}  // namespace slotsim
