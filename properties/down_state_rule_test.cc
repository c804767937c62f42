// down-node-refuses-keyed-commands on fabricated traces: an answer given
// while the node was ok passes, one given inside a stretch of
// cluster_state:fail fails, a state change or a crash during the op makes
// it undecidable (passes), and reads pass when allow-reads-when-down is on.
#include "properties/down_state_rule.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

class DownStateRuleTest : public ::testing::Test {
 protected:
  void State(DownStateRule& c, int node, int64_t ms, bool ok) {
    NodeStateRecord n;
    n.primary = true;
    n.state_ok = ok;
    Emit(c, node, -1, ms, std::string(NodeStateRecord::kKind), "", n.Format());
  }
  void Op(DownStateRule& c, int answered_by, int64_t start_ms, int64_t end_ms,
          const std::string& command, const std::string& outcome = "ok") {
    ClientOpRecord op;
    op.client = 0;
    op.key = "key:1";
    op.outcome = outcome;
    op.latency_us = (end_ms - start_ms) * 1000;
    op.reply = "OK";
    Emit(c, 100, answered_by, end_ms, std::string(ClientOpRecord::kKind), command, op.Format());
  }
  void Emit(DownStateRule& c, int node, int peer, int64_t ms, std::string kind,
            std::string msg_type, std::string details) {
    TraceRecord r;
    r.seq = seq_++;
    r.node = node;
    r.peer = peer;
    r.time_us = ms * 1000;
    r.kind = std::move(kind);
    r.msg_type = std::move(msg_type);
    r.details = std::move(details);
    c.OnTrace(r);
  }
  int64_t seq_ = 0;
};

TEST_F(DownStateRuleTest, AnAnswerWhileOkPasses) {
  DownStateRule c(false);
  State(c, 2, 1'000, true);
  Op(c, 2, 5'000, 5'002, "SET");
  EXPECT_TRUE(c.violations().empty());
}

TEST_F(DownStateRuleTest, AnAnswerInsideAFailStretchFails) {
  DownStateRule c(false);
  State(c, 2, 1'000, true);
  State(c, 2, 4'000, false);
  Op(c, 2, 5'000, 5'002, "SET");
  Op(c, 2, 5'000, 5'002, "SET", "error");  // CLUSTERDOWN: right
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "down-node-refuses-keyed-commands");
  EXPECT_NE(c.violations()[0].message.find("since 4000 ms"), std::string::npos)
      << c.violations()[0].message;
  EXPECT_EQ(c.violations()[0].causes.size(), 2u);
}

TEST_F(DownStateRuleTest, AChangeOrACrashDuringTheOpPasses) {
  DownStateRule c(false);
  State(c, 2, 4'000, false);
  State(c, 2, 5'001, true);
  Op(c, 2, 5'000, 5'002, "SET");
  State(c, 3, 4'000, false);
  Emit(c, 3, -1, 5'001, "Crash", "", "");
  Op(c, 3, 5'000, 5'002, "SET");
  EXPECT_TRUE(c.violations().empty());
}

TEST_F(DownStateRuleTest, AnAnswerAfterTheNodeCameBackPasses) {
  DownStateRule c(false);
  State(c, 2, 4'000, false);
  State(c, 2, 4'500, true);
  Op(c, 2, 5'000, 5'002, "GET");
  EXPECT_TRUE(c.violations().empty());
}

TEST_F(DownStateRuleTest, ReadsPassOnlyWithAllowReadsWhenDown) {
  DownStateRule allow(true);
  State(allow, 2, 4'000, false);
  Op(allow, 2, 5'000, 5'002, "GET");
  EXPECT_TRUE(allow.violations().empty());
  Op(allow, 2, 5'000, 5'002, "SET");
  EXPECT_EQ(allow.violations().size(), 1u);
  DownStateRule strict(false);
  State(strict, 2, 4'000, false);
  Op(strict, 2, 5'000, 5'002, "GET");
  EXPECT_EQ(strict.violations().size(), 1u);
}

}  // namespace
}  // namespace slotsim
