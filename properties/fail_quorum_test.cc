// fail-needs-primary-majority on fabricated traces: FAIL on the reports of
// primaries passes; FAIL on the reports of replicas that never were
// primaries fails (the mutant failure-reports-from-replicas).
#include "properties/fail_quorum.h"

#include <gtest/gtest.h>

#include "engine/trace_records.h"

namespace slotsim {
namespace {

class Trace {
 public:
  explicit Trace(FailQuorumChecker& c) : c_(c) {}
  void Role(int machine, int64_t ms, bool primary) {
    NodeStateRecord n;
    n.primary = primary;
    n.state_ok = true;
    n.slots = primary ? "0-10" : "";
    Emit(machine, ms, NodeStateRecord::kKind, n.Format());
  }
  void Node(int machine, int64_t ms, const std::string& kind, const std::string& subject,
            const std::string& extra = "") {
    Emit(machine, ms, kind,
         "node=" + subject + " addr=127.0.0.1:7001@17001" + (extra.empty() ? "" : " " + extra));
  }

 private:
  void Emit(int machine, int64_t ms, std::string_view kind, std::string details) {
    TraceRecord r;
    r.seq = seq_++;
    r.node = machine;
    r.time_us = ms * 1000;
    r.kind = std::string(kind);
    r.details = std::move(details);
    c_.OnTrace(r);
  }
  FailQuorumChecker& c_;
  int64_t seq_ = 0;
};

// Machines 0, 1, 2 are primaries; 3 and 4 replicas. X is machine 1.
void Cluster(Trace& t) {
  for (int m = 0; m < 5; ++m) t.Role(m, 0, m < 3);
}

TEST(FailQuorum, FailOnPrimaryReportsPasses) {
  FailQuorumChecker c(5000);
  Trace t(c);
  Cluster(t);
  t.Node(2, 10'000, "PfailSet", "X", "delay_ms=5100");
  t.Node(0, 10'500, "PfailSet", "X", "delay_ms=5100");
  t.Node(0, 11'000, "FailSet", "X", "reports=2 quorum=2");
  EXPECT_TRUE(c.violations().empty());
}

TEST(FailQuorum, FailOnReplicaReportsFails) {
  FailQuorumChecker c(5000);
  Trace t(c);
  Cluster(t);
  t.Node(3, 10'000, "PfailSet", "X", "delay_ms=5100");  // replicas only
  t.Node(4, 10'000, "PfailSet", "X", "delay_ms=5100");
  t.Node(0, 10'500, "PfailSet", "X", "delay_ms=5100");
  t.Node(0, 11'000, "FailSet", "X", "reports=3 quorum=2");
  ASSERT_EQ(c.violations().size(), 1u);
  EXPECT_EQ(c.violations()[0].id, "fail-needs-primary-majority");
  EXPECT_NE(c.violations()[0].message.find("only 1 primary view"), std::string::npos)
      << c.violations()[0].message;
}

TEST(FailQuorum, AReplicaFailingOnPrimaryReportsPassesAndOldFlagsExpire) {
  FailQuorumChecker c(2000);
  Trace t(c);
  Cluster(t);
  // A replica marks FAIL: it does not count itself, the two primaries do.
  t.Node(0, 5'000, "PfailSet", "X", "delay_ms=2100");
  t.Node(2, 5'000, "PfailSet", "X", "delay_ms=2100");
  t.Node(3, 6'000, "FailSet", "X", "reports=2 quorum=2");
  EXPECT_TRUE(c.violations().empty());
  // Both cleared long ago: a FAIL far past the look-back has no reports.
  t.Node(0, 7'000, "PfailCleared", "X");
  t.Node(2, 7'000, "PfailCleared", "X");
  t.Node(3, 7'000, "FailCleared", "X");
  t.Node(4, 200'000, "FailSet", "X", "reports=2 quorum=2");
  EXPECT_EQ(c.violations().size(), 1u);
}

}  // namespace
}  // namespace slotsim
