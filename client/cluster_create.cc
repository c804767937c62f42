#include "client/cluster_create.h"

#include <cmath>

#include "engine/check.h"
#include "engine/keyslot.h"

namespace slotsim {
namespace {

bool IsOk(const RespValue& v) {
  return v.type == RespValue::Type::kSimple && v.str == "OK";
}

}  // namespace

std::vector<std::pair<int, int>> CreateSlotRanges(int n) {
  SLOTSIM_CHECK(n > 0);
  std::vector<std::pair<int, int>> out;
  const double per_node = static_cast<double>(kClusterSlots) / n;
  double cursor = 0;
  int first = 0;
  for (int i = 0; i < n; ++i) {
    int last = static_cast<int>(std::lround(cursor + per_node - 1));
    if (last > kClusterSlots - 1 || i == n - 1) last = kClusterSlots - 1;
    if (last < first) last = first;
    out.emplace_back(first, last);
    first = last + 1;
    cursor += per_node;
  }
  return out;
}

std::string RunCreateCluster(Simulation& sim, ClusterClient& admin,
                             const CreateClusterPlan& plan) {
  auto all = plan.primaries;
  all.insert(all.end(), plan.replicas.begin(), plan.replicas.end());
  sim.Record(-1, "AdminStep", -1, "", "step=assign_slots");
  auto ranges = CreateSlotRanges(static_cast<int>(plan.primaries.size()));
  for (size_t i = 0; i < plan.primaries.size(); ++i) {
    RespValue r = admin.ExecuteOn(
        plan.primaries[i], {"CLUSTER", "ADDSLOTSRANGE",
                            std::to_string(ranges[i].first),
                            std::to_string(ranges[i].second)});
    if (!IsOk(r)) return "ADDSLOTSRANGE on " + plan.primaries[i] + ": " + r.ToString();
  }
  sim.Record(-1, "AdminStep", -1, "", "step=set_config_epoch");
  for (size_t i = 0; i < all.size(); ++i) {
    RespValue r = admin.ExecuteOn(
        all[i], {"CLUSTER", "SET-CONFIG-EPOCH", std::to_string(i + 1)});
    if (!IsOk(r)) return "SET-CONFIG-EPOCH on " + all[i] + ": " + r.ToString();
  }
  sim.Record(-1, "AdminStep", -1, "", "step=meet");
  std::string host;
  uint16_t port;
  SLOTSIM_CHECK(SplitHostPort(all[0], &host, &port));
  for (size_t i = 1; i < all.size(); ++i) {
    RespValue r = admin.ExecuteOn(all[i], {"CLUSTER", "MEET", host, std::to_string(port)});
    if (!IsOk(r)) return "MEET on " + all[i] + ": " + r.ToString();
  }
  sim.Record(-1, "AdminStep", -1, "", "step=wait_join");
  // Joined: every node lists every node, none still in handshake.
  for (int poll = 0;; ++poll) {
    if (poll >= plan.join_polls_max) return "nodes did not join in time";
    sim.SleepUs(plan.join_poll_ms * 1000);
    bool joined = true;
    for (const auto& a : all) {
      RespValue r = admin.ExecuteOn(a, {"CLUSTER", "NODES"});
      if (r.type != RespValue::Type::kBulk) { joined = false; break; }
      size_t lines = 0;
      for (char c : r.str) lines += c == '\n';
      if (lines != all.size() || r.str.find("handshake") != std::string::npos) {
        joined = false;
        break;
      }
    }
    if (joined) break;
  }
  sim.Record(-1, "AdminStep", -1, "", "step=replicate");
  for (size_t i = 0; i < plan.replicas.size(); ++i) {
    const std::string& primary = plan.primaries[i % plan.primaries.size()];
    RespValue id = admin.ExecuteOn(primary, {"CLUSTER", "MYID"});
    if (id.type != RespValue::Type::kBulk) return "MYID on " + primary + ": " + id.ToString();
    RespValue r = admin.ExecuteOn(plan.replicas[i], {"CLUSTER", "REPLICATE", id.str});
    if (!IsOk(r)) return "REPLICATE on " + plan.replicas[i] + ": " + r.ToString();
  }
  sim.Record(-1, "AdminStep", -1, "", "step=done");
  return "";
}

}  // namespace slotsim
