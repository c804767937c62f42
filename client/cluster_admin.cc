#include "client/cluster_admin.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <sstream>

#include "engine/check.h"
#include "engine/text.h"

namespace slotsim {
namespace {


bool ParseInt(std::string_view s, int* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

std::string HostOf(const std::string& addr) { return addr.substr(0, addr.rfind(':')); }
std::string PortOf(const std::string& addr) { return addr.substr(addr.rfind(':') + 1); }

}  // namespace

std::vector<NodeLine> ParseClusterNodes(const std::string& text) {
  std::vector<NodeLine> out;
  for (const auto& line : SplitFields(text, '\n')) {
    auto f = SplitFields(line, ' ');
    if (f.size() < 8 || f[0].size() != 40) continue;
    NodeLine n;
    n.id = f[0];
    n.addr = f[1].substr(0, f[1].find('@'));
    for (const auto& flag : SplitFields(f[2], ',')) {
      if (flag == "myself") n.myself = true;
      if (flag == "master") n.primary = true;
      if (flag == "fail") n.failed = true;
    }
    if (f[3] != "-") n.primary_id = f[3];
    for (size_t j = 8; j < f.size(); ++j) {
      if (f[j][0] == '[') {
        n.open_slots++;
        continue;
      }
      size_t dash = f[j].find('-');
      int a, b;
      if (dash == std::string::npos) {
        if (!ParseInt(f[j], &a)) continue;
        b = a;
      } else if (!ParseInt(std::string_view(f[j]).substr(0, dash), &a) ||
                 !ParseInt(std::string_view(f[j]).substr(dash + 1), &b)) {
        continue;
      }
      for (int s = std::max(a, 0); s <= b && s < kClusterSlots; ++s) n.slots.set(s);
    }
    n.numslots = static_cast<int>(n.slots.count());
    out.push_back(std::move(n));
  }
  return out;
}

ClusterAdmin::ClusterAdmin(Simulation& sim, ClusterClient& client, std::string entry,
                           AdminOptions options)
    : sim_(sim), client_(client), entry_(std::move(entry)), options_(options) {}

RespValue ClusterAdmin::Call(const std::string& addr, const std::vector<std::string>& argv) {
  return client_.ExecuteOn(addr, argv);
}

void ClusterAdmin::Note(std::string_view what, std::string details) {
  sim_.Record(-1, what, -1, "", std::move(details));
}

bool ClusterAdmin::LoadNodes(std::vector<NodeLine>* nodes, std::string* err) {
  // The entry node first, then any node seen before (it may have died).
  std::vector<std::string> candidates = {entry_};
  for (const auto& a : known_addrs_)
    if (a != entry_) candidates.push_back(a);
  RespValue r;
  for (const auto& addr : candidates) {
    r = Call(addr, {"CLUSTER", "NODES"});
    if (r.type != RespValue::Type::kBulk) continue;
    std::vector<NodeLine> listed = ParseClusterNodes(r.str);
    if (listed.empty()) continue;
    // clusterManagerLoadInfoFromNode: every other node describes its own
    // role (its "myself" line), so a REPLICATE that has not reached this
    // node's view yet is still seen. Slots stay as this node sees them.
    *nodes = std::move(listed);
    for (auto& n : *nodes) {
      if (n.myself || n.failed) continue;
      RespValue own = Call(n.addr, {"CLUSTER", "NODES"});
      if (own.type != RespValue::Type::kBulk) continue;
      for (const auto& m : ParseClusterNodes(own.str)) {
        if (!m.myself || m.id != n.id) continue;
        n.primary = m.primary;
        n.primary_id = m.primary_id;
        break;
      }
    }
    known_addrs_.clear();
    for (const auto& n : *nodes)
      if (!n.failed) known_addrs_.push_back(n.addr);
    return true;
  }
  *err = "[ERR] Could not read CLUSTER NODES from " + entry_ + ": " + r.ToString();
  return false;
}

// clusterManagerMigrateKeysInSlot: GETKEYSINSLOT, MIGRATE ... KEYS, until
// the slot is empty.
std::string ClusterAdmin::MigrateKeysInSlot(const NodeLine& src, const NodeLine& dst,
                                            int slot) {
  // Bounded: each round moves at least one key or stops with an error; a
  // slot keeps at most the keys written into it meanwhile.
  for (int round = 0; round < 1'000'000; ++round) {
    RespValue keys = Call(src.addr, {"CLUSTER", "GETKEYSINSLOT", std::to_string(slot),
                                     std::to_string(options_.pipeline)});
    if (keys.type != RespValue::Type::kArray)
      return "[ERR] Calling CLUSTER GETKEYSINSLOT: " + keys.ToString();
    if (keys.elements.empty()) return "";
    std::vector<std::string> argv = {"MIGRATE", HostOf(dst.addr), PortOf(dst.addr), "", "0",
                                     std::to_string(options_.timeout_ms)};
    if (options_.replace) argv.push_back("REPLACE");
    argv.push_back("KEYS");
    for (const auto& k : keys.elements) argv.push_back(k.str);
    stats_.migrate_calls++;
    RespValue r = Call(src.addr, argv);
    // A BUSYKEY error stops the move unless --cluster-replace sent
    // REPLACE in the first place.
    if (r.IsError() || r.type == RespValue::Type::kNullArray)
      return "[ERR] Calling MIGRATE: " + r.ToString();
    stats_.keys_migrated += static_cast<int64_t>(keys.elements.size());
  }
  return "[ERR] slot " + std::to_string(slot) + " never emptied";
}

// clusterManagerMoveSlot (redis-cli 7.0).
std::string ClusterAdmin::MoveSlotNative(const NodeLine& src, const NodeLine& dst, int slot,
                                         const std::vector<NodeLine>& nodes) {
  const std::string s = std::to_string(slot);
  RespValue r = Call(dst.addr, {"CLUSTER", "SETSLOT", s, "IMPORTING", src.id});
  if (r.IsError() || r.type == RespValue::Type::kNullArray)
    return "[ERR] Calling CLUSTER SETSLOT IMPORTING on " + dst.addr + ": " + r.ToString();
  r = Call(src.addr, {"CLUSTER", "SETSLOT", s, "MIGRATING", dst.id});
  if (r.IsError() || r.type == RespValue::Type::kNullArray)
    return "[ERR] Calling CLUSTER SETSLOT MIGRATING on " + src.addr + ": " + r.ToString();
  std::string err = MigrateKeysInSlot(src, dst, slot);
  if (!err.empty()) return err;
  // The target first (redis #7116), then the source (which may have just
  // become a replica: redis #9223), then every other primary.
  r = Call(dst.addr, {"CLUSTER", "SETSLOT", s, "NODE", dst.id});
  if (r.IsError() || r.type == RespValue::Type::kNullArray)
    return "[ERR] Calling CLUSTER SETSLOT NODE on " + dst.addr + ": " + r.ToString();
  r = Call(src.addr, {"CLUSTER", "SETSLOT", s, "NODE", dst.id});
  if ((r.IsError() && r.str != "ERR Please use SETSLOT only with masters.") ||
      r.type == RespValue::Type::kNullArray)
    return "[ERR] Calling CLUSTER SETSLOT NODE on " + src.addr + ": " + r.ToString();
  for (const auto& n : nodes) {
    if (n.id == src.id || n.id == dst.id || !n.primary || n.failed) continue;
    r = Call(n.addr, {"CLUSTER", "SETSLOT", s, "NODE", dst.id});
    if (r.IsError() || r.type == RespValue::Type::kNullArray)
      return "[ERR] Calling CLUSTER SETSLOT NODE on " + n.addr + ": " + r.ToString();
  }
  stats_.slots_moved++;
  return "";
}

std::string ClusterAdmin::MoveSlotsAtomic(const NodeLine& src, const NodeLine& dst_at_start,
                                          const std::vector<int>& slots) {
  std::vector<int> left = slots;
  NodeLine dst = dst_at_start;
  std::vector<std::string> dst_replicas;  // who may take the target over
  {
    std::vector<NodeLine> nodes;
    std::string err;
    if (!LoadNodes(&nodes, &err)) return err;
    for (const auto& n : nodes)
      if (n.primary_id == dst.id) dst_replicas.push_back(n.id);
  }
  for (int attempt = 1; !left.empty(); ++attempt) {
    if (attempt > options_.atomic_attempts)
      return "[ERR] atomic migration failed " + std::to_string(options_.atomic_attempts) +
             " times";
    // The source may have failed over meanwhile: migrate from whoever owns
    // the slots now, and only the slots not yet moved.
    std::vector<NodeLine> nodes;
    std::string err;
    if (!LoadNodes(&nodes, &err)) return err;
    // The target failed over: its promoted replica is the target now.
    // Also once the old target is back as a replica of it, no longer
    // failed (explore's faults seed 239: a restart in the hand-off).
    for (const auto& n : nodes) {
      if (n.id != dst.id || (!n.failed && n.primary)) continue;
      for (const auto& m : nodes)
        if (m.primary && !m.failed &&
            std::find(dst_replicas.begin(), dst_replicas.end(), m.id) != dst_replicas.end()) {
          Note("AdminRetarget", "old=" + dst.id + " new=" + m.id);
          dst = m;
          break;
        }
      break;
    }
    const NodeLine* from = nullptr;
    std::vector<int> todo;
    for (int s : left) {
      const NodeLine* owner = nullptr;
      for (const auto& n : nodes)
        if (n.primary && n.slots.test(s)) owner = &n;
      if (owner == nullptr || owner->id == dst.id) continue;
      if (from == nullptr) from = owner;
      if (owner->id == from->id) todo.push_back(s);
    }
    if (from == nullptr) return "";  // everything is on the target
    std::vector<std::string> argv = {"CLUSTER", "MIGRATESLOTS", "SLOTSRANGE"};
    for (size_t i = 0; i < todo.size();) {
      size_t j = i;
      while (j + 1 < todo.size() && todo[j + 1] == todo[j] + 1) ++j;
      argv.push_back(std::to_string(todo[i]));
      argv.push_back(std::to_string(todo[j]));
      i = j + 1;
    }
    argv.push_back("NODE");
    argv.push_back(dst.id);
    RespValue id = Call(from->addr, argv);
    if (id.type != RespValue::Type::kBulk) {
      Note("AdminRetry", "error=" + id.ToString());
      stats_.atomic_failures++;
      sim_.SleepUs(options_.atomic_retry_delay_ms * 1000);
      continue;
    }
    // Poll the job until it ends (bounded by the retry budget of polls).
    std::string state, why;
    for (int poll = 0; poll < 100'000; ++poll) {
      sim_.SleepUs(options_.poll_ms * 1000);
      RespValue jobs = Call(from->addr, {"CLUSTER", "GETSLOTMIGRATIONS"});
      if (jobs.type != RespValue::Type::kArray) {
        state = "failed";
        why = "source unreachable: " + jobs.ToString();
        break;
      }
      for (const auto& j : jobs.elements) {
        std::map<std::string, std::string> f;
        for (size_t k = 0; k + 1 < j.elements.size(); k += 2)
          f[j.elements[k].str] = j.elements[k + 1].str;
        if (f["id"] == id.str) {
          state = f["state"];
          why = f["error"];
        }
      }
      if (state == "success" || state == "failed") break;
    }
    if (state == "success") {
      stats_.batches++;
      stats_.slots_moved += static_cast<int64_t>(todo.size());
      std::vector<int> rest;
      for (int s : left)
        if (std::find(todo.begin(), todo.end(), s) == todo.end()) rest.push_back(s);
      left = rest;
      continue;
    }
    stats_.atomic_failures++;
    Note("AdminRetry", "job=" + id.str + " error=" + why);
    sim_.SleepUs(options_.atomic_retry_delay_ms * 1000);
  }
  return "";
}

std::string ClusterAdmin::MoveSlots(const std::string& from, const std::string& to,
                                    const std::vector<int>& slots) {
  std::vector<NodeLine> nodes;
  std::string err;
  if (!LoadNodes(&nodes, &err)) return err;
  const NodeLine *src = nullptr, *dst = nullptr;
  for (const auto& n : nodes) {
    if (n.addr == from) src = &n;
    if (n.addr == to) dst = &n;
    // clusterManagerCheckCluster: refuse to start on open slots.
    if (n.open_slots > 0 && options_.mode == MigrationMode::kNative)
      return "[ERR] Node " + n.addr + " has open slots; please fix your cluster problems first";
  }
  if (src == nullptr || dst == nullptr) return "[ERR] No such node " + (src ? to : from);
  if (!src->primary || !dst->primary) return "[ERR] Both nodes must be masters";
  for (int s : slots)
    if (!src->slots.test(s)) return "[ERR] Slot " + std::to_string(s) + " is not on " + from;
  Note("AdminMoveSlots", "from=" + from + " to=" + to + " slots=" + std::to_string(slots.size()) +
                             " mode=" + (options_.mode == MigrationMode::kNative ? "native" : "atomic"));
  if (options_.mode == MigrationMode::kAtomic) {
    std::vector<int> batch;
    for (size_t i = 0; i < slots.size(); ++i) {
      batch.push_back(slots[i]);
      if (static_cast<int>(batch.size()) == options_.atomic_batch_slots || i + 1 == slots.size()) {
        err = MoveSlotsAtomic(*src, *dst, batch);
        if (!err.empty()) return err;
        batch.clear();
      }
    }
    return "";
  }
  for (int s : slots) {
    err = MoveSlotNative(*src, *dst, s, nodes);
    if (!err.empty()) {
      Note("AdminFailed", "slot=" + std::to_string(s) + " error=" + err);
      return err;
    }
  }
  return "";
}

std::string ClusterAdmin::Reshard(const std::string& from, const std::string& to, int count) {
  std::vector<NodeLine> nodes;
  std::string err;
  if (!LoadNodes(&nodes, &err)) return err;
  std::vector<int> slots;
  for (const auto& n : nodes) {
    if (n.addr != from) continue;
    for (int s = 0; s < kClusterSlots && static_cast<int>(slots.size()) < count; ++s)
      if (n.slots.test(s)) slots.push_back(s);
  }
  if (static_cast<int>(slots.size()) < count)
    return "[ERR] " + from + " has only " + std::to_string(slots.size()) + " slots";
  return MoveSlots(from, to, slots);
}

std::string ClusterAdmin::Rebalance(bool use_empty_masters) {
  std::vector<NodeLine> nodes;
  std::string err;
  if (!LoadNodes(&nodes, &err)) return err;
  struct Entry {
    const NodeLine* node;
    int balance;
  };
  std::vector<Entry> involved;
  for (const auto& n : nodes)
    if (n.primary && !n.failed && (use_empty_masters || n.numslots > 0))
      involved.push_back({&n, 0});
  if (involved.empty()) return "[ERR] No masters to rebalance";
  const int expected = kClusterSlots / static_cast<int>(involved.size());
  int total_balance = 0;
  bool over = false;
  for (auto& e : involved) {
    e.balance = e.node->numslots - expected;
    total_balance += e.balance;
    if (e.node->numslots > 0) {
      double err_pct = std::abs(100.0 - 100.0 * expected / e.node->numslots);
      if (err_pct > options_.rebalance_threshold_pct) over = true;
    } else if (expected > 1) {
      over = true;
    }
  }
  if (!over) return "";  // "No rebalancing needed!"
  // Rounding: make givers and takers match (redis-cli's loop).
  while (total_balance > 0)
    for (auto& e : involved)
      if (e.balance <= 0 && total_balance > 0) {
        e.balance--;
        total_balance--;
      }
  std::stable_sort(involved.begin(), involved.end(),
                   [](const Entry& a, const Entry& b) { return a.balance < b.balance; });
  int dst_idx = 0, src_idx = static_cast<int>(involved.size()) - 1;
  while (dst_idx < src_idx) {
    Entry& dst = involved[dst_idx];
    Entry& src = involved[src_idx];
    const int numslots = std::min(std::abs(dst.balance), std::abs(src.balance));
    if (numslots > 0) {
      err = Reshard(src.node->addr, dst.node->addr, numslots);
      if (!err.empty()) return err;
    }
    dst.balance += numslots;
    src.balance -= numslots;
    if (dst.balance == 0) dst_idx++;
    if (src.balance == 0) src_idx--;
  }
  return "";
}

std::string ClusterAdmin::AddNode(const std::string& new_addr, const std::string& existing,
                                  const std::string& primary_id) {
  // clusterManagerCommandAddNode: the new node must be empty and alone.
  RespValue info = Call(new_addr, {"CLUSTER", "NODES"});
  if (info.type != RespValue::Type::kBulk) return "[ERR] " + new_addr + " unreachable";
  if (ParseClusterNodes(info.str).size() != 1)
    return "[ERR] Node " + new_addr +
           " is not empty. Either the node already knows other nodes (check with CLUSTER "
           "NODES) or contains some key in database 0.";
  // The cluster as it is before the new node joins: the join is done when
  // the new node knows all of it (clusterManagerWaitForClusterJoin).
  std::vector<NodeLine> nodes;
  std::string err;
  if (!LoadNodes(&nodes, &err)) return err;
  RespValue r = Call(new_addr, {"CLUSTER", "MEET", HostOf(existing), PortOf(existing)});
  if (r.IsError() || r.type == RespValue::Type::kNullArray)
    return "[ERR] CLUSTER MEET: " + r.ToString();
  for (int poll = 0;; ++poll) {
    if (poll >= options_.join_polls_max) return "[ERR] " + new_addr + " never joined";
    sim_.SleepUs(options_.join_poll_ms * 1000);
    RespValue v = Call(new_addr, {"CLUSTER", "NODES"});
    if (v.type == RespValue::Type::kBulk && ParseClusterNodes(v.str).size() >= nodes.size() + 1)
      break;
  }
  if (!primary_id.empty()) {
    r = Call(new_addr, {"CLUSTER", "REPLICATE", primary_id});
    if (r.IsError() || r.type == RespValue::Type::kNullArray)
      return "[ERR] CLUSTER REPLICATE: " + r.ToString();
  }
  Note("AdminAddNode", "node=" + new_addr + (primary_id.empty() ? "" : " primary=" + primary_id));
  return "";
}

std::string ClusterAdmin::DelNode(const std::string& addr,
                                  const std::function<void(const std::string&)>& shutdown) {
  std::vector<NodeLine> nodes;
  std::string err;
  if (!LoadNodes(&nodes, &err)) return err;
  const NodeLine* del = nullptr;
  for (const auto& n : nodes)
    if (n.addr == addr) del = &n;
  if (del == nullptr) return "[ERR] No such node ID " + addr;
  if (del->numslots != 0)
    return "[ERR] Node " + addr + " is not empty! Reshard data away and try again.";
  // Its replicas follow the primary with the fewest replicas, then every
  // other node forgets it.
  for (const auto& n : nodes) {
    if (n.id == del->id || n.failed) continue;
    if (n.primary_id == del->id) {
      const NodeLine* best = nullptr;
      int best_count = 1 << 30;
      for (const auto& p : nodes) {
        if (!p.primary || p.id == del->id || p.failed) continue;
        int count = 0;
        for (const auto& r : nodes) count += r.primary_id == p.id ? 1 : 0;
        if (count < best_count) {
          best = &p;
          best_count = count;
        }
      }
      if (best != nullptr) Call(n.addr, {"CLUSTER", "REPLICATE", best->id});
    }
    RespValue r = Call(n.addr, {"CLUSTER", "FORGET", del->id});
    if (r.IsError() && r.str.rfind("ERR Unknown node", 0) != 0)
      return "[ERR] CLUSTER FORGET on " + n.addr + ": " + r.str;
  }
  Note("AdminDelNode", "node=" + addr);
  shutdown(addr);
  return "";
}

}  // namespace slotsim
