// Property-based fuzzing of the loaders of a node's own files: the data
// log (Aof::Load) and the cluster config (nodes.conf, Cluster::LoadConfig).
// The invariants are tests/fuzz/loader_harness.h's, which the libFuzzer
// targets aof_loader_fuzzer and nodes_conf_fuzzer also assert; here the
// inputs are valid files and what one cut or one wrong byte makes of them.
#include <gtest/gtest.h>

#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include "tests/fuzz/loader_harness.h"
#include "tests/sim_harness.h"

namespace slotsim {
namespace {

using loader_fuzz::Argv;
using loader_fuzz::CheckAof;
using loader_fuzz::CheckNodesConf;
using loader_fuzz::LoadAofDirect;
using loader_fuzz::Printable;
using loader_fuzz::StartWithNodesConf;

// ---- appendonly.aof ---------------------------------------------------------

rc::Gen<std::string> GenKey() {
  return rc::gen::oneOf(rc::gen::arbitrary<std::string>(),
                        rc::gen::element<std::string>("a", "{t}b", "{t}c", "k"));
}

// A write the engine logs, with the arity its command wants.
rc::Gen<Argv> GenWrite() {
  return rc::gen::oneOf(
      rc::gen::map(rc::gen::tuple(GenKey(), rc::gen::arbitrary<std::string>()),
                   [](const std::tuple<std::string, std::string>& t) {
                     return Argv{"SET", std::get<0>(t), std::get<1>(t)};
                   }),
      rc::gen::map(GenKey(), [](const std::string& k) { return Argv{"DEL", k}; }),
      rc::gen::map(GenKey(), [](const std::string& k) { return Argv{"INCR", k}; }),
      rc::gen::map(rc::gen::tuple(GenKey(), rc::gen::arbitrary<std::string>(),
                                  rc::gen::arbitrary<std::string>()),
                   [](const std::tuple<std::string, std::string, std::string>& t) {
                     return Argv{"HSET", std::get<0>(t), std::get<1>(t), std::get<2>(t)};
                   }),
      rc::gen::map(rc::gen::tuple(GenKey(), rc::gen::arbitrary<std::string>()),
                   [](const std::tuple<std::string, std::string>& t) {
                     return Argv{"RPUSH", std::get<0>(t), std::get<1>(t)};
                   }),
      rc::gen::map(rc::gen::tuple(GenKey(), rc::gen::inRange<int64_t>(0, 2'000'000'000'000)),
                   [](const std::tuple<std::string, int64_t>& t) {
                     return Argv{"PEXPIREAT", std::get<0>(t), std::to_string(std::get<1>(t))};
                   }),
      rc::gen::just(Argv{"MULTI"}), rc::gen::just(Argv{"EXEC"}));
}

// Any non-empty command: the loader replays what it reads, valid or not.
rc::Gen<Argv> GenAnyCommand() {
  return rc::gen::nonEmpty(rc::gen::container<Argv>(rc::gen::arbitrary<std::string>()));
}

struct Log {
  std::string bytes;
  std::vector<size_t> starts;  // where each command starts
};

Log Encode(const std::vector<Argv>& cmds) {
  Log log;
  for (const Argv& c : cmds) {
    log.starts.push_back(log.bytes.size());
    log.bytes += resp::EncodeCommand(c);
  }
  return log;
}

RC_GTEST_PROP(LoaderFuzz, AofOfEncodedCommandsLoadsWhole, ()) {
  const auto cmds = *rc::gen::container<std::vector<Argv>>(GenWrite());
  const Log log = Encode(cmds);
  const auto r = LoadAofDirect(log.bytes);
  RC_ASSERT(r.ok);
  RC_ASSERT(r.replayed == cmds);
  RC_ASSERT(!r.torn);
  RC_ASSERT(r.left == std::optional<std::string>(log.bytes));
  const std::string broken = CheckAof(log.bytes, false);
  RC_ASSERT(broken == "");
}

RC_GTEST_PROP(LoaderFuzz, AofOfAnyCommandsLoadsOrNamesTheBadOne, ()) {
  const auto cmds = *rc::gen::container<std::vector<Argv>>(GenAnyCommand());
  const auto r = LoadAofDirect(Encode(cmds).bytes);
  if (!r.ok) {
    RC_ASSERT(r.error.rfind(std::string(loader_fuzz::kAofUnknownCommand), 0) == 0 ||
              r.error.rfind(std::string(loader_fuzz::kAofWrongArity), 0) == 0);
  } else {
    RC_ASSERT(r.replayed == cmds);
  }
  RC_ASSERT(CheckAof(Encode(cmds).bytes, false) == "");
}

RC_GTEST_PROP(LoaderFuzz, AofOfWritesStartsANode, ()) {
  const auto cmds = *rc::gen::resize(30, rc::gen::container<std::vector<Argv>>(GenWrite()));
  const std::string broken = CheckAof(Encode(cmds).bytes, true);
  RC_ASSERT(broken == "");
}

RC_GTEST_PROP(LoaderFuzz, AnyCutOfAnAofLoadsAPrefixAndReportsTheTornTail, ()) {
  const auto cmds = *rc::gen::nonEmpty(rc::gen::container<std::vector<Argv>>(GenWrite()));
  const Log log = Encode(cmds);
  const size_t cut = *rc::gen::inRange<size_t>(0, log.bytes.size());
  const std::string cut_log = log.bytes.substr(0, cut);
  // The commands that end at or before the cut; the log is cut back to
  // where the next one starts (cut < size, so there is a next one).
  size_t whole = 0;
  while (whole + 1 < log.starts.size() && log.starts[whole + 1] <= cut) ++whole;
  const size_t boundary = log.starts[whole];
  const auto r = LoadAofDirect(cut_log);
  RC_ASSERT(r.ok);
  RC_ASSERT(r.replayed == std::vector<Argv>(cmds.begin(), cmds.begin() + static_cast<long>(whole)));
  RC_ASSERT(r.torn == (boundary != cut));
  if (r.torn) RC_ASSERT(r.truncated_at == static_cast<int64_t>(boundary));
  RC_ASSERT(r.left == std::optional<std::string>(log.bytes.substr(0, boundary)));
  const std::string broken = CheckAof(cut_log, true);
  RC_ASSERT(broken == "");
}

RC_GTEST_PROP(LoaderFuzz, ANonStarAtACommandStartIsAFormatError, ()) {
  const auto cmds = *rc::gen::nonEmpty(rc::gen::container<std::vector<Argv>>(GenWrite()));
  Log log = Encode(cmds);
  const size_t i = *rc::gen::inRange<size_t>(0, cmds.size());
  const char c = *rc::gen::suchThat(rc::gen::arbitrary<char>(), [](char x) { return x != '*'; });
  log.bytes[log.starts[i]] = c;
  const auto r = LoadAofDirect(log.bytes);
  RC_ASSERT(!r.ok);
  RC_ASSERT(r.error.rfind(std::string(loader_fuzz::kAofFormatError) +
                              std::to_string(log.starts[i]) + "): ",
                          0) == 0);
  RC_ASSERT(r.left == std::optional<std::string>(log.bytes));  // left alone
  const std::string broken = CheckAof(log.bytes, true);
  RC_ASSERT(broken == "");
}

// ---- nodes.conf -------------------------------------------------------------

struct SavedConf {
  uint16_t port;
  std::string conf;
};

// nodes.conf as real nodes save it: three primaries that met, a replica,
// and a slot migrating from 7000 to 7001; each node's file after a
// shutdown save. Formed once.
const std::vector<SavedConf>& RealConfigs() {
  static const std::vector<SavedConf> configs = [] {
    Simulation sim(testing::Quiet());
    auto servers = testing::StartNodes(sim, 4);
    EXPECT_EQ(servers.size(), 4u);
    std::vector<std::unique_ptr<testing::RawConn>> c;
    std::vector<std::string> ids;
    for (int i = 0; i < 4; ++i) {
      c.push_back(std::make_unique<testing::RawConn>(sim, "client" + std::to_string(i)));
      c[i]->Connect(static_cast<uint16_t>(7000 + i));
      ids.push_back(c[i]->Call({"CLUSTER", "MYID"}).str);
    }
    const char* ranges[3][2] = {{"0", "5460"}, {"5461", "10922"}, {"10923", "16383"}};
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(c[i]->Call({"CLUSTER", "ADDSLOTSRANGE", ranges[i][0], ranges[i][1]}).str, "OK");
    for (int i = 1; i < 4; ++i)
      EXPECT_EQ(c[0]->Call({"CLUSTER", "MEET", "127.0.0.1", std::to_string(7000 + i)}).str, "OK");
    c[0]->Replies(4000);
    EXPECT_EQ(c[3]->Call({"CLUSTER", "REPLICATE", ids[0]}).str, "OK");
    EXPECT_EQ(c[1]->Call({"CLUSTER", "SETSLOT", "100", "IMPORTING", ids[0]}).str, "OK");
    EXPECT_EQ(c[0]->Call({"CLUSTER", "SETSLOT", "100", "MIGRATING", ids[1]}).str, "OK");
    c[0]->Replies(3000);
    std::vector<SavedConf> out;
    for (int i = 0; i < 4; ++i) {
      servers[i]->PrepareForShutdown(false);
      out.push_back({static_cast<uint16_t>(7000 + i), sim.disk(i).Read("nodes.conf").value_or("")});
    }
    return out;
  }();
  return configs;
}

TEST(LoaderFuzz, NodesConfSavedByRealNodesRoundTrips) {
  const auto& configs = RealConfigs();
  ASSERT_EQ(configs.size(), 4u);
  // The files hold what was formed: four nodes each, a replica, open slots.
  EXPECT_NE(configs[0].conf.find("[100->-"), std::string::npos) << configs[0].conf;
  EXPECT_NE(configs[1].conf.find("[100-<-"), std::string::npos) << configs[1].conf;
  EXPECT_NE(configs[3].conf.find("myself,slave"), std::string::npos) << configs[3].conf;
  for (const auto& c : configs) {
    EXPECT_EQ(std::count(c.conf.begin(), c.conf.end(), '\n'), 5) << c.conf;
    EXPECT_EQ(CheckNodesConf(c.conf, c.port, 0, false), "") << c.conf;
    // Loading on the node's own port changes nothing the file says but
    // the link state and the ping times.
    const auto r = StartWithNodesConf(c.conf, c.port);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(loader_fuzz::MyselfId(r.saved), loader_fuzz::MyselfId(c.conf));
    EXPECT_NE(r.saved.find(c.conf.substr(c.conf.rfind("vars"))), std::string::npos) << r.saved;
  }
}

// The bytes a single-byte change tries at every position: the format's
// separators and digits, a hex digit, a non-hex letter, NUL and a high byte.
constexpr char kSwapBytes[] = {' ', '\n', ',', '-', ':', '@', '[', ']', '>', '0', '9', 'f', 'x', '\0',
                               '\xff'};

TEST(LoaderFuzz, NodesConfWithEverySingleByteChangeLoadsOrIsCorrupt) {
  int checked = 0;
  for (const auto& c : RealConfigs()) {
    for (size_t pos = 0; pos < c.conf.size(); ++pos) {
      for (const char b : kSwapBytes) {
        if (c.conf[pos] == b) continue;
        std::string conf = c.conf;
        conf[pos] = b;
        ++checked;
        const std::string broken = CheckNodesConf(conf, c.port, 0, false);
        ASSERT_EQ(broken, "") << "byte " << pos << " set to " << static_cast<int>(b) << " in\n"
                              << Printable(c.conf);
      }
    }
  }
  EXPECT_GT(checked, 20000);
}

TEST(LoaderFuzz, NodesConfCutAnywhereLoadsOrIsCorrupt) {
  for (const auto& c : RealConfigs())
    for (size_t cut = 1; cut < c.conf.size(); ++cut)
      ASSERT_EQ(CheckNodesConf(c.conf.substr(0, cut), c.port, 0, false), "")
          << "cut at " << cut << " of\n"
          << Printable(c.conf);
}

RC_GTEST_PROP(LoaderFuzz, NodesConfWithAnyByteChangedLoadsOrIsCorrupt, ()) {
  const SavedConf& c = RealConfigs()[*rc::gen::inRange<size_t>(0, RealConfigs().size())];
  std::string conf = c.conf;
  const size_t pos = *rc::gen::inRange<size_t>(0, conf.size());
  conf[pos] = *rc::gen::arbitrary<char>();
  const std::string broken = CheckNodesConf(conf, c.port, 0, false);
  RC_ASSERT(broken == "");
}

// An open slot naming a 40-character id that is not hex made LoadOpenSlot's
// CreateNode hit CHECK(IsValidNodeName(name)) (found by the single-byte
// property; fixed in 173ad66): now a corrupt config.
TEST(LoaderFuzz, NodesConfOpenSlotWithABadNodeIdIsCorrupt) {
  const std::string conf = "e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 127.0.0.1:7000@17000 "
                           "myself,master - 0 0 0 connected [0->-" +
                           std::string(40, 'z') + "]\n";
  const auto r = StartWithNodesConf(conf);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, std::string(loader_fuzz::kConfCorrupt) + "1: bad open slot [0->-" +
                         std::string(40, 'z') + "]).");
  EXPECT_EQ(CheckNodesConf(conf, 7000, 0, false), "");
}

// ---- Known crashes (found by the fuzzers; enable once fixed) ---------------

// Found by the fuzzers, fixed: a nodes.conf line of spaces only (argv[0]
// of nothing), a logged command of the wrong arity (SET reading argv[2]),
// "*0" before a torn command (the stale argv replayed), and "*0" or "*-1"
// at all (Redis 7.0's loader refuses argc < 1: fmterr).
TEST(LoaderFuzz, ANodesConfLineOfSpacesIsCorrupt) {
  EXPECT_EQ(CheckNodesConf(" \n", 7000, 0, false), "");
}

TEST(LoaderFuzz, ALoggedCommandOfTheWrongArityIsRefused) {
  EXPECT_EQ(CheckAof(resp::EncodeCommand({"SET", "a"}), true), "");
  const auto r = LoadAofDirect(resp::EncodeCommand({"SET", "a"}));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.rfind(std::string(loader_fuzz::kAofWrongArity), 0), 0u) << r.error;
  const auto u = LoadAofDirect(resp::EncodeCommand({"NOSUCH", "a"}));
  EXPECT_EQ(u.error.rfind(std::string(loader_fuzz::kAofUnknownCommand), 0), 0u) << u.error;
}

TEST(LoaderFuzz, AnEmptyCommandBeforeATornTailIsAFormatError) {
  EXPECT_EQ(CheckAof("*0\r\n*1\r\n$3\r\nfo", true), "");
}

TEST(LoaderFuzz, AnEmptyMultibulkIsAFormatError) {
  for (const char* log : {"*0\r\nPING\r\n", "*-1\r\n"}) {
    const auto r = LoadAofDirect(log);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind(std::string(loader_fuzz::kAofFormatError) + "0): ", 0), 0u) << r.error;
  }
}

}  // namespace
}  // namespace slotsim
