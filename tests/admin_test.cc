// The admin drivers' own rules, as redis-cli enforces them: del-node
// refuses a node that still has slots; add-node refuses a node that is not
// empty; CLUSTER NODES parses back into what the nodes know.
#include <gtest/gtest.h>

#include "client/cluster_admin.h"
#include "tests/ha_harness.h"

namespace slotsim {
namespace {

using namespace slotsim::testing;

TEST(Admin, ParseClusterNodesReadsSlotsFlagsAndOpenSlots) {
  const std::string text =
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 127.0.0.1:7000@17000 myself,master - 0 0 1 "
      "connected 0-5 9 [10->-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb]\n"
      "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb 127.0.0.1:7001@17001 slave,fail "
      "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 0 0 2 disconnected\n"
      "garbage line\n";
  auto nodes = ParseClusterNodes(text);
  ASSERT_EQ(nodes.size(), 2u);
  EXPECT_TRUE(nodes[0].myself && nodes[0].primary);
  EXPECT_EQ(nodes[0].numslots, 7);
  EXPECT_EQ(nodes[0].open_slots, 1);
  EXPECT_EQ(nodes[0].addr, "127.0.0.1:7000");
  EXPECT_TRUE(nodes[1].failed);
  EXPECT_EQ(nodes[1].primary_id, nodes[0].id);
}

TEST(Admin, AddNodeThenDelNodeAndTheirRefusals) {
  auto sc = HaScenario(2, 0, 3000, 0);
  sc.mutable_topology()->set_spare_nodes(1);
  SimCluster c(sc, 5, false, {});
  ASSERT_TRUE(StartAndSettle(c));
  std::string add_err = "unset", del_busy_err, del_err = "unset", add_again_err;
  bool shut = false;
  c.sim().Spawn("admin-test", [&] {
    ClusterAdmin admin(c.sim(), c.admin(), c.addr(0), {});
    add_err = admin.AddNode(c.addr(2), c.addr(0), "");
    c.set_member(2, true);
    add_again_err = admin.AddNode(c.addr(2), c.addr(0), "");
    del_busy_err = admin.DelNode(c.addr(1), [](const std::string&) {});
    del_err = admin.DelNode(c.addr(2), [&](const std::string&) {
      shut = true;
      c.set_member(2, false);
      c.Crash(2);
    });
  });
  RunUntil(c, c.sim().now_us() + 30'000'000, [&] { return del_err != "unset"; });
  EXPECT_EQ(add_err, "");
  EXPECT_NE(add_again_err.find("is not empty"), std::string::npos) << add_again_err;
  EXPECT_EQ(del_busy_err, "[ERR] Node " + c.addr(1) +
                              " is not empty! Reshard data away and try again.");
  EXPECT_EQ(del_err, "");
  EXPECT_TRUE(shut);
  // Everyone forgot node 2 and the cluster is whole again.
  EXPECT_EQ(c.node(0)->cluster().known_nodes(), 2u);
  EXPECT_EQ(c.node(1)->cluster().known_nodes(), 2u);
  EXPECT_GE(RunUntil(c, c.sim().now_us() + 10'000'000, [&] { return c.Settled(); }), 0);
}

}  // namespace
}  // namespace slotsim
