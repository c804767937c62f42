// The viewer's request parsing (Params) and the API as a whole under
// generated requests: every request gets a JSON answer with a defined
// status, never a 500, and the server never writes the file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <sstream>

#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "traces/trace_db.h"
#include "viewer/api.h"
#include "viewer/api_error.h"
#include "viewer/params.h"

namespace slotsim::viewer {
namespace {

using Raw = std::vector<std::pair<std::string, std::string>>;

int StatusOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const ApiError& e) {
    return e.status;
  }
  return 200;
}

TEST(ViewerParams, IntegersAreWholeAndInRange) {
  Params p(Raw{{"a", "12"}, {"b", "-3"}, {"c", "1e3"}, {"d", ""}, {"e", "99999999999999999999"}});
  EXPECT_EQ(p.Int("a", 0, 0, 100), 12);
  EXPECT_EQ(p.Int("missing", 7, 0, 100), 7);
  EXPECT_EQ(StatusOf([&] { p.Int("a", 0, 0, 10); }), 400);
  EXPECT_EQ(StatusOf([&] { p.Int("b", 0, 0, 10); }), 400);
  EXPECT_EQ(StatusOf([&] { p.Int("c", 0, 0, 10000); }), 400);
  EXPECT_EQ(StatusOf([&] { p.Int("d", 0, 0, 10); }), 400);
  EXPECT_EQ(StatusOf([&] { p.Int("e", 0, 0, INT64_MAX); }), 400);
}

TEST(ViewerParams, RepeatedUnknownAndOverlongParametersAreRefused) {
  EXPECT_EQ(StatusOf([] { Params(Raw{{"a", "1"}, {"a", "2"}}); }), 400);
  EXPECT_EQ(StatusOf([] { Params(Raw{{"a", std::string(5000, 'x')}}); }), 400);
  Params p(Raw{{"a", "1"}, {"zz", "2"}});
  EXPECT_EQ(StatusOf([&] { p.AllowOnly({"a", "zz"}); }), 200);
  EXPECT_EQ(StatusOf([&] { p.AllowOnly({"a"}); }), 400);
}

TEST(ViewerParams, ListsAndChoices) {
  Params p(Raw{{"l", "a,b,c"}, {"e", "a,,b"}, {"n", "1,-1,5"}, {"o", "asc"}});
  EXPECT_EQ(p.List("l", 3), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(StatusOf([&] { p.List("l", 2); }), 400);
  EXPECT_EQ(StatusOf([&] { p.List("e", 10); }), 400);
  EXPECT_EQ(p.IntList("n", 5, -1, 5), (std::vector<int64_t>{1, -1, 5}));
  EXPECT_EQ(StatusOf([&] { p.IntList("n", 5, 0, 5); }), 400);
  EXPECT_EQ(p.OneOf("o", "desc", {"asc", "desc"}), "asc");
  EXPECT_EQ(StatusOf([&] { Params(Raw{{"o", "up"}}).OneOf("o", "asc", {"asc", "desc"}); }), 400);
}

TEST(ViewerParams, CanonicalFormCannotBeImitated) {
  EXPECT_NE(Params(Raw{{"a", "1&b=2"}}).Canonical(), Params(Raw{{"a", "1"}, {"b", "2"}}).Canonical());
  EXPECT_EQ(Params(Raw{{"b", "2"}, {"a", "1"}}).Canonical(), Params(Raw{{"a", "1"}, {"b", "2"}}).Canonical());
}

std::string ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// One recorded run of the bootstrap scenario, shared by the API tests.
const std::string& RecordedDb() {
  static const std::string path = [] {
    const std::string p = (std::filesystem::temp_directory_path() /
                           ("viewer-test-" + std::to_string(::getpid()) + ".db"))
                              .string();
    auto loaded = LoadScenarioFile(std::string(SLOTSIM_SOURCE_DIR) + "/scenarios/bootstrap.textproto");
    EXPECT_TRUE(loaded.ok) << loaded.error;
    std::string error;
    auto db = TraceDb::Open(p, &error);
    EXPECT_TRUE(db) << error;
    RunInfo info;
    info.seed = 1;
    info.scenario = loaded.scenario.name();
    info.scenario_path = "scenarios/bootstrap.textproto";
    db->BeginRun(info);
    RunOptions o;
    o.sinks.push_back(db.get());
    RunResult r = RunScenario(loaded.scenario, o);
    RunSummary s;
    s.outcome = r.outcome;
    s.events = r.events;
    db->FinishRun(s);
    return p;
  }();
  return path;
}

// Removes the recorded database after the last test.
class RemoveRecordedDb : public ::testing::Environment {
 public:
  void TearDown() override {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(RecordedDb() + suffix);
  }
};
const auto* const kRemoveRecordedDb = ::testing::AddGlobalTestEnvironment(new RemoveRecordedDb);

TEST(ViewerApi, AnswersAKnownRun) {
  std::string error;
  auto api = ViewerApi::Open(RecordedDb(), &error);
  ASSERT_TRUE(api) << error;
  const auto r = api->Handle("/api/runs/1/state", {{"t_us", "1000000"}});
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["nodes"].size(), 6u);
  EXPECT_EQ(api->Handle("/api/runs/2", {}).status, 404);
  EXPECT_EQ(api->Handle("/api/runs/1/state", {}).status, 400);
}

// Generated requests: a mix of real endpoints, run ids and parameter names
// with arbitrary values, and arbitrary paths.
RC_GTEST_PROP(ViewerApiFuzz, EveryRequestGetsADefinedJsonAnswer, ()) {
  static std::string error;
  static auto api = ViewerApi::Open(RecordedDb(), &error);
  RC_ASSERT(api != nullptr);
  static const std::string before = ReadAll(RecordedDb());
  const auto word = rc::gen::oneOf(
      rc::gen::element<std::string>("1", "0", "-1", "2", "abc", "", "9223372036854775807",
                                    "99999999999999999999", "1,2", "0,1,2,3", "x,,y", "%00", "'",
                                    "1; DROP TABLE runs", "..", "PING,PONG", "Send", "desc"),
      rc::gen::map(rc::gen::container<std::string>(rc::gen::inRange<char>(1, 127)),
                   [](std::string s) { return s.substr(0, 40); }),
      rc::gen::map(rc::gen::inRange<int64_t>(-5, 50000000), [](int64_t v) { return std::to_string(v); }));
  const std::string endpoint = *rc::gen::element<std::string>(
      "", "/messages", "/state", "/timeline", "/client", "/events", "/nope", "/state/x");
  const std::string path = *rc::gen::oneOf(
      rc::gen::just(std::string("/api/runs")), rc::gen::just(std::string("/api/meta")),
      rc::gen::just(std::string("/api/compare")),
      rc::gen::map(word, [&](std::string id) { return "/api/runs/" + id + endpoint; }),
      rc::gen::map(word, [](std::string s) { return "/" + s; }));
  const auto name = rc::gen::oneOf(
      rc::gen::element<std::string>("t_us", "from_us", "to_us", "limit", "buckets", "nodes", "types",
                                    "kinds", "q", "after_seq", "before_seq", "around_seq", "a", "b",
                                    "sort", "order", "seed", "scenario", "outcome", "offset", "context"),
      word);
  const auto params = *rc::gen::container<Raw>(
      rc::gen::pair(name, word));
  const ApiResponse r = api->Handle(path, Raw(params.begin(), params.begin() + std::min<size_t>(params.size(), 6)));
  RC_ASSERT(r.status == 200 || r.status == 400 || r.status == 404);
  const auto body = nlohmann::json::parse(r.body, nullptr, false);
  RC_ASSERT(!body.is_discarded());
  RC_ASSERT((r.status == 200) == !body.contains("error"));
  RC_ASSERT(ReadAll(RecordedDb()) == before);
}

}  // namespace
}  // namespace slotsim::viewer
