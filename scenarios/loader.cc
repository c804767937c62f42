#include "scenarios/loader.h"

#include "engine/slot_ranges.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "engine/config_command.h"
#include "engine/keyslot.h"
#include "engine/probes.h"
#include "engine/slot_ranges.h"
#include "properties/violation_ids.h"

namespace slotsim {
namespace {

namespace pb = google::protobuf;

class FirstError : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column,
                const std::string& message) override {
    if (!has_) {
      has_ = true;
      line_ = line;
      col_ = column;
      message_ = message;
    }
  }
  void AddWarning(int, pb::io::ColumnNumber, const std::string&) override {}
  bool has_ = false;
  int line_ = 0, col_ = 0;
  std::string message_;
};

// Validates one message's fields against ranges, reporting the location
// of the offending field from the parse tree.
class Validator {
 public:
  Validator(const std::string& path, const pb::TextFormat::ParseInfoTree* tree)
      : path_(path), tree_(tree) {}

  // Location of field `name` in `msg` under `tree`; falls back to the
  // enclosing message's location, then 1:1.
  std::string Where(const pb::Message& msg, const pb::TextFormat::ParseInfoTree* tree,
                    const char* name, int index = -1) const {
    const pb::FieldDescriptor* f = msg.GetDescriptor()->FindFieldByName(name);
    if (tree != nullptr && f != nullptr) {
      pb::TextFormat::ParseLocation loc = tree->GetLocation(f, index);
      if (loc.line >= 0)
        return path_ + ":" + std::to_string(loc.line + 1) + ":" +
               std::to_string(loc.column + 1);
    }
    return path_ + ":1:1";
  }
  const pb::TextFormat::ParseInfoTree* Nested(const pb::Message& msg,
                                              const pb::TextFormat::ParseInfoTree* tree,
                                              const char* name, int index = -1) const {
    if (tree == nullptr) return nullptr;
    const pb::FieldDescriptor* f = msg.GetDescriptor()->FindFieldByName(name);
    return f ? tree->GetTreeForNested(f, index) : nullptr;
  }

  bool Range(const pb::Message& msg, const pb::TextFormat::ParseInfoTree* tree,
             const char* name, double v, double lo, double hi, std::string* err) {
    if (v >= lo && v <= hi) return true;
    std::ostringstream os;
    os << Where(msg, tree, name) << ": " << name << " must be in [" << lo
       << ", " << hi << "], got " << v;
    *err = os.str();
    return false;
  }

  const std::string& path_;
  const pb::TextFormat::ParseInfoTree* tree_;
};

// The trigger fields of step i (during_migration, migration_moment,
// after_probe, undo_after_ms); fills after_probe's defaults.
bool ValidateTrigger(scenario::Scenario& s, int i, Validator& v, int64_t liveness_from,
                     std::string* err) {
  scenario::Step& st = *s.mutable_steps(i);
  const std::string where = v.Where(s, v.tree_, "steps", i);
  const bool process = st.has_crash() || st.has_pause();
  if (st.migration_moment() != scenario::MOVING_DATA && !st.during_migration()) {
    *err = where + ": migration_moment needs during_migration: true";
    return false;
  }
  if (st.has_after_probe()) {
    auto* ap = st.mutable_after_probe();
    if (st.during_migration()) {
      *err = where + ": a step has one trigger: during_migration or after_probe, not both";
      return false;
    }
    if (!process) {
      *err = where + ": after_probe needs a crash or pause step (the node that hits the probe)";
      return false;
    }
    if (!ProbeByName(ap->probe())) {
      *err = where + ": unknown probe \"" + ap->probe() +
             "\" (engine/probes.h lists them; `slotsim explore --probes` prints them)";
      return false;
    }
    if (ap->side_effect() == 0) ap->set_side_effect(1);
    if (ap->within_ms() == 0) ap->set_within_ms(10000);
    if (ap->side_effect() < 1 || ap->side_effect() > 1000) {
      *err = where + ": after_probe side_effect must be in 1..1000";
      return false;
    }
    if (ap->within_ms() < 1 || st.at_ms() + ap->within_ms() > s.duration_ms()) {
      *err = where + ": after_probe within_ms must be positive and end within duration_ms";
      return false;
    }
    // The fault may land as late as at_ms + within_ms: still a fault.
    if (liveness_from > 0 && st.at_ms() + ap->within_ms() > liveness_from) {
      *err = where + ": after_probe may fire until " + std::to_string(st.at_ms() + ap->within_ms()) +
             " ms, in the liveness phase (from " + std::to_string(liveness_from) + " ms)";
      return false;
    }
  }
  if (st.undo_after_ms() != 0) {
    if (!process || !(st.during_migration() || st.has_after_probe())) {
      *err = where + ": undo_after_ms needs a triggered (during_migration or after_probe) "
                     "crash or pause";
      return false;
    }
    if (st.undo_after_ms() < 0 || st.undo_after_ms() > s.duration_ms()) {
      *err = where + ": undo_after_ms must be in 0..duration_ms";
      return false;
    }
  }
  return true;
}

bool Validate(const std::string& path, scenario::Scenario& s,
              const pb::TextFormat::ParseInfoTree& tree, std::string* err) {
  Validator v(path, &tree);
  if (s.name().empty()) {
    *err = path + ":1:1: name is required";
    return false;
  }
  if (!s.has_topology()) {
    *err = path + ":1:1: topology is required";
    return false;
  }
  auto* topo = s.mutable_topology();
  auto* ttree = v.Nested(s, &tree, "topology");
  if (topo->base_port() == 0) topo->set_base_port(7000);
  // Up to 1000 nodes, the size Redis Cluster is specified for; each takes
  // base_port + i and, for its bus, 10000 above.
  constexpr int kNodesMax = 1000;
  if (!v.Range(*topo, ttree, "primaries", topo->primaries(), 1, 500, err) ||
      !v.Range(*topo, ttree, "replicas_per_primary", topo->replicas_per_primary(), 0, 5, err) ||
      !v.Range(*topo, ttree, "spare_nodes", topo->spare_nodes(), 0, 20, err))
    return false;
  const int all_nodes =
      topo->primaries() * (1 + topo->replicas_per_primary()) + topo->spare_nodes();
  if (all_nodes > kNodesMax) {
    *err = v.Where(*topo, ttree, "primaries") + ": " + std::to_string(all_nodes) +
           " nodes (primaries x (1 + replicas_per_primary) + spare_nodes); at most " +
           std::to_string(kNodesMax);
    return false;
  }
  if (!v.Range(*topo, ttree, "base_port", topo->base_port(), 1024, 55535 - all_nodes, err))
    return false;
  if (!v.Range(s, &tree, "duration_ms", static_cast<double>(s.duration_ms()), 1,
               24.0 * 3600 * 1000, err))
    return false;

  auto* eng = s.mutable_engine();
  auto* etree = v.Nested(s, &tree, "engine");
  if (!eng->has_node_timeout_ms()) eng->set_node_timeout_ms(15000);
  if (!eng->has_require_full_coverage()) eng->set_require_full_coverage(true);
  if (!eng->has_allow_reads_when_down()) eng->set_allow_reads_when_down(false);
  if (!v.Range(*eng, etree, "node_timeout_ms", static_cast<double>(eng->node_timeout_ms()),
               100, 600000, err))
    return false;
  {
    const auto& c = eng->cost();
    auto* ctree = v.Nested(*eng, etree, "cost");
    for (auto [name, val] : {std::pair{"command_ns", c.command_ns()},
                             std::pair{"io_ns_per_kib", c.io_ns_per_kib()},
                             std::pair{"serialize_ns_per_kib", c.serialize_ns_per_kib()},
                             std::pair{"load_ns_per_kib", c.load_ns_per_kib()},
                             std::pair{"node_line_ns", c.node_line_ns()},
                             std::pair{"serialize_ns_per_element", c.serialize_ns_per_element()},
                             std::pair{"load_ns_per_element", c.load_ns_per_element()},
                             std::pair{"free_ns_per_element", c.free_ns_per_element()}})
      if (!v.Range(c, ctree, name, static_cast<double>(val), 0, 1e9, err)) return false;
  }

  auto* net = s.mutable_network();
  auto* ntree = v.Nested(s, &tree, "network");
  if (!net->has_link_latency_min_us()) net->set_link_latency_min_us(50);
  if (!net->has_link_latency_max_us()) net->set_link_latency_max_us(400);
  if (!net->has_jitter_mean_us()) net->set_jitter_mean_us(30);
  if (!v.Range(*net, ntree, "link_latency_min_us", static_cast<double>(net->link_latency_min_us()),
               1, 10'000'000, err) ||
      !v.Range(*net, ntree, "link_latency_max_us", static_cast<double>(net->link_latency_max_us()),
               static_cast<double>(net->link_latency_min_us()), 10'000'000, err) ||
      !v.Range(*net, ntree, "jitter_mean_us", static_cast<double>(net->jitter_mean_us()), 0,
               10'000'000, err))
    return false;

  auto* w = s.mutable_workload();
  auto* wtree = v.Nested(s, &tree, "workload");
  if (w->keyspace() == 0) w->set_keyspace(1000);
  if (w->value_bytes() == 0) w->set_value_bytes(16);
  if (w->end_ms() == 0) w->set_end_ms(s.duration_ms());
  if (!w->has_mix()) {
    auto* m = w->mutable_mix();
    m->set_get(40); m->set_set(30); m->set_incr(10); m->set_hset(10); m->set_hget(10);
  }
  const auto& m = w->mix();
  if (!v.Range(*w, wtree, "clients", w->clients(), 0, 1000, err) ||
      !v.Range(*w, wtree, "ops_per_sec", w->ops_per_sec(), w->clients() > 0 ? 0.001 : 0, 1e6, err) ||
      !v.Range(*w, wtree, "keyspace", w->keyspace(), 1, 100'000'000, err) ||
      !v.Range(*w, wtree, "value_bytes", w->value_bytes(), 1, 1 << 20, err) ||
      !v.Range(*w, wtree, "wait_replicas", w->wait_replicas(), 0, 100, err) ||
      !v.Range(*w, wtree, "start_ms", static_cast<double>(w->start_ms()), 0,
               static_cast<double>(s.duration_ms()), err) ||
      !v.Range(*w, wtree, "end_ms", static_cast<double>(w->end_ms()),
               static_cast<double>(w->start_ms()), static_cast<double>(s.duration_ms()), err))
    return false;
  for (int x : {m.get(), m.set(), m.incr(), m.hset(), m.hget(), m.del(), m.hdel()}) {
    if (x < 0) {
      *err = v.Where(*w, wtree, "mix") + ": mix weights must not be negative";
      return false;
    }
  }
  if (w->clients() > 0 &&
      m.get() + m.set() + m.incr() + m.hset() + m.hget() + m.del() + m.hdel() == 0) {
    *err = v.Where(*w, wtree, "mix") + ": mix needs at least one positive weight";
    return false;
  }

  const int members = topo->primaries() * (1 + topo->replicas_per_primary());
  const int nodes = members + topo->spare_nodes();
  const int64_t liveness_from = s.phases().liveness_from_ms();
  if (!v.Range(s.phases(), v.Nested(s, &tree, "phases"), "liveness_from_ms",
               static_cast<double>(liveness_from), 0, static_cast<double>(s.duration_ms()), err))
    return false;
  // Steps run in time order (ties in file order); check each against the
  // state the ones before leave each node in.
  std::vector<int> order(static_cast<size_t>(s.steps_size()));
  for (int i = 0; i < s.steps_size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return s.steps(a).at_ms() < s.steps(b).at_ms();
  });
  enum class NodeState { kUp, kCrashed, kPaused };
  std::vector<NodeState> state(static_cast<size_t>(nodes), NodeState::kUp);
  // Nodes a disk fault may have made exit (a failed fsync under always, a
  // failed config save): a restart of one is allowed even though no step
  // stopped it (if it did not exit, the restart is skipped at run time).
  std::vector<bool> may_exit(static_cast<size_t>(nodes), false);
  for (int i : order) {
    const auto& st = s.steps(i);
    auto* stree = v.Nested(s, &tree, "steps", i);
    const std::string where = v.Where(s, &tree, "steps", i);
    if (!v.Range(st, stree, "at_ms", static_cast<double>(st.at_ms()), 0,
                  static_cast<double>(s.duration_ms()), err))
      return false;
    const auto action = st.action_case();
    if (action == scenario::Step::ACTION_NOT_SET) {
      *err = where + ": step has no action";
      return false;
    }
    // The liveness phase is quiet: recoveries (restart, resume, heal) may
    // run in it, new faults may not.
    const bool is_fault = IsFaultStep(st);
    if (is_fault && liveness_from > 0 && st.at_ms() >= liveness_from) {
      *err = where + ": fault step at " + std::to_string(st.at_ms()) +
             " ms falls in the liveness phase (from " + std::to_string(liveness_from) + " ms)";
      return false;
    }
    auto node_ok = [&](int n, const char* what) {
      if (n >= 0 && n < nodes) return true;
      *err = where + ": " + what + " names node " + std::to_string(n) + "; nodes are 0.." +
             std::to_string(nodes - 1);
      return false;
    };
    auto need = [&](int n, NodeState want, const char* what, NodeState next) {
      if (state[n] != want) {
        static const char* kNames[] = {"up", "crashed", "paused"};
        *err = where + ": " + what + " node " + std::to_string(n) + " at " +
               std::to_string(st.at_ms()) + " ms, but it is " + kNames[static_cast<int>(state[n])];
        return false;
      }
      state[n] = next;
      return true;
    };
    if (!ValidateTrigger(s, i, v, liveness_from, err)) return false;
    // A triggered fault with its own undo leaves the node as it found it.
    const bool undone = st.undo_after_ms() > 0;
    switch (action) {
      case scenario::Step::kCrash:
        if (!node_ok(st.crash(), "crash") ||
            !need(st.crash(), NodeState::kUp, "crash", undone ? NodeState::kUp : NodeState::kCrashed))
          return false;
        break;
      case scenario::Step::kRestart:
        if (!node_ok(st.restart(), "restart")) return false;
        if (may_exit[st.restart()] && state[st.restart()] == NodeState::kUp) break;
        if (!need(st.restart(), NodeState::kCrashed, "restart", NodeState::kUp)) return false;
        break;
      case scenario::Step::kCrashTornWrite:
        if (!node_ok(st.crash_torn_write(), "crash_torn_write") ||
            !need(st.crash_torn_write(), NodeState::kUp, "crash_torn_write", NodeState::kCrashed))
          return false;
        break;
      case scenario::Step::kDiskFault: {
        const auto& f = st.disk_fault();
        if (!node_ok(f.node(), "disk_fault")) return false;
        if (f.duration_ms() <= 0 || f.duration_ms() > 3'600'000) {
          *err = where + ": disk_fault duration_ms must be in 1..3600000";
          return false;
        }
        const bool eio = f.kind() == scenario::DiskFault::WRITE_ERROR ||
                         f.kind() == scenario::DiskFault::FSYNC_ERROR;
        if (f.once() && !eio) {
          *err = where + ": disk_fault once applies to WRITE_ERROR and FSYNC_ERROR only";
          return false;
        }
        if (f.kind() == scenario::DiskFault::DISK_FULL &&
            (f.free_bytes() < 0 || f.free_bytes() > (int64_t{1} << 40))) {
          *err = where + ": disk_fault free_bytes must be in 0..2^40";
          return false;
        }
        if (f.kind() != scenario::DiskFault::DISK_FULL && f.free_bytes() != 0) {
          *err = where + ": disk_fault free_bytes applies to DISK_FULL only";
          return false;
        }
        may_exit[f.node()] = true;
        break;
      }
      case scenario::Step::kDamageFile: {
        const auto& d = st.damage_file();
        if (!node_ok(d.node(), "damage_file")) return false;
        if (d.file() != "nodes.conf" && d.file() != "appendonly.aof") {
          *err = where + ": damage_file file must be \"nodes.conf\" or \"appendonly.aof\"";
          return false;
        }
        if (!may_exit[d.node()] &&
            !need(d.node(), NodeState::kCrashed, "damage_file", NodeState::kCrashed))
          return false;
        break;
      }
      case scenario::Step::kPause:
        if (!node_ok(st.pause(), "pause") ||
            !need(st.pause(), NodeState::kUp, "pause", undone ? NodeState::kUp : NodeState::kPaused))
          return false;
        break;
      case scenario::Step::kResume:
        if (!node_ok(st.resume(), "resume") || !need(st.resume(), NodeState::kPaused, "resume", NodeState::kUp)) return false;
        break;
      case scenario::Step::kPartition:
      case scenario::Step::kReset:
      case scenario::Step::kClog: {
        const char* what = action == scenario::Step::kPartition ? "partition"
                           : action == scenario::Step::kReset   ? "reset"
                                                                : "clog";
        const auto& a_side = action == scenario::Step::kClog ? st.clog().side_a()
                             : action == scenario::Step::kReset ? st.reset().side_a()
                                                                 : st.partition().side_a();
        const auto& b_side = action == scenario::Step::kClog ? st.clog().side_b()
                             : action == scenario::Step::kReset ? st.reset().side_b()
                                                                 : st.partition().side_b();
        if (a_side.empty() || b_side.empty()) {
          *err = where + ": " + what + " needs nodes on both sides";
          return false;
        }
        for (int a : a_side) {
          if (!node_ok(a, what)) return false;
          for (int b : b_side) {
            if (!node_ok(b, what)) return false;
            if (a == b) {
              *err = where + ": " + what + " puts node " + std::to_string(a) + " on both sides";
              return false;
            }
          }
        }
        if (action == scenario::Step::kClog &&
            (st.clog().extra_ms() <= 0 || st.clog().extra_ms() > 3'600'000)) {
          *err = where + ": clog extra_ms must be in 1..3600000";
          return false;
        }
        break;
      }
      case scenario::Step::kClockJump:
        if (!node_ok(st.clock_jump().node(), "clock_jump")) return false;
        if (st.clock_jump().delta_ms() == 0 ||
            std::abs(st.clock_jump().delta_ms()) > 365LL * 24 * 3600 * 1000) {
          *err = where + ": clock_jump delta_ms must be non-zero and within a year";
          return false;
        }
        break;
      case scenario::Step::kClockDrift:
        if (!node_ok(st.clock_drift().node(), "clock_drift")) return false;
        if (std::abs(st.clock_drift().ppm()) >= 1'000'000) {
          *err = where + ": clock_drift ppm must be within -999999..999999";
          return false;
        }
        break;
      case scenario::Step::kSlowFsync:
        if (!node_ok(st.slow_fsync().node(), "slow_fsync")) return false;
        if (st.slow_fsync().latency_ms() < 0 || st.slow_fsync().latency_ms() > 600'000) {
          *err = where + ": slow_fsync latency_ms must be in 0..600000";
          return false;
        }
        break;
      case scenario::Step::kFailover:
        if (!node_ok(st.failover().node(), "failover")) return false;
        break;
      case scenario::Step::kMigrate: {
        const auto& mv = st.migrate();
        if (!node_ok(mv.from(), "migrate") || !node_ok(mv.to(), "migrate")) return false;
        if (mv.from() == mv.to()) {
          *err = where + ": migrate from and to the same node " + std::to_string(mv.from());
          return false;
        }
        if (mv.slots().empty() == (mv.count() <= 0)) {
          *err = where + ": migrate needs either slots (\"0-99,200\") or a positive count";
          return false;
        }
        if (!mv.slots().empty() && ParseSlotList(mv.slots()).empty()) {
          *err = where + ": bad slots \"" + mv.slots() +
                 "\": want ranges like \"0-99,200\" within 0-16383";
          return false;
        }
        break;
      }
      case scenario::Step::kAddNode: {
        const auto& an = st.add_node();
        if (!node_ok(an.node(), "add_node") || !node_ok(an.existing(), "add_node")) return false;
        if (an.node() < members) {
          *err = where + ": add_node names node " + std::to_string(an.node()) +
                 ", which is already a member; " +
                 (nodes > members ? "spare nodes are " + std::to_string(members) + ".." +
                                        std::to_string(nodes - 1)
                                  : std::string("there are no spare nodes (topology.spare_nodes)"));
          return false;
        }
        if (an.has_replica_of() && !node_ok(an.replica_of(), "add_node replica_of")) return false;
        break;
      }
      case scenario::Step::kDelNode:
        if (!node_ok(st.del_node(), "del_node")) return false;
        break;
      case scenario::Step::kConfigSet:
        if (!node_ok(st.config_set().node(), "config_set")) return false;
        if (CanonicalConfigName(st.config_set().name()).empty()) {
          *err = where + ": config_set names '" + st.config_set().name() +
                 "', which is not a Redis 7.0.15 config option";
          return false;
        }
        break;
      case scenario::Step::kBigKeys: {
        auto* bk = s.mutable_steps(i)->mutable_big_keys();
        if (bk->keys() == 0) bk->set_keys(1);
        if (bk->field_bytes() == 0) bk->set_field_bytes(100);
        const double total = static_cast<double>(bk->keys()) * bk->fields() * bk->field_bytes();
        if (bk->slot() < 0 || bk->slot() >= 16384 || bk->keys() < 1 || bk->keys() > 1000 ||
            bk->fields() < 1 || bk->fields() > 10'000'000 || bk->field_bytes() < 1 ||
            bk->field_bytes() > 1'000'000 || total > 4e9) {
          *err = where +
                 ": big_keys needs slot 0..16383, keys 1..1000, fields 1..10000000, "
                 "field_bytes 1..1000000, and at most 4 GB in all";
          return false;
        }
        break;
      }
      default:
        break;
    }
  }
  if (s.convergence_bound_ms() == 0)
    s.set_convergence_bound_ms(std::min<int64_t>(20000, s.duration_ms()));
  if (!v.Range(s, &tree, "convergence_bound_ms", static_cast<double>(s.convergence_bound_ms()),
               1, static_cast<double>(s.duration_ms()), err))
    return false;
  const auto& expect = s.expect();
  if (expect.outcome() == scenario::Expect::VIOLATION && expect.violation().empty()) {
    *err = v.Where(s, &tree, "expect") + ": expect VIOLATION needs a violation id";
    return false;
  }
  if (expect.outcome() == scenario::Expect::PASS &&
      (!expect.violation().empty() || expect.allow_size() > 0)) {
    *err = v.Where(s, &tree, "expect") +
           ": violation and allow need outcome: VIOLATION (a passing run has no violations)";
    return false;
  }
  std::vector<std::string> named(expect.allow().begin(), expect.allow().end());
  if (!expect.violation().empty()) named.push_back(expect.violation());
  named.insert(named.end(), expect.known_weakness().begin(), expect.known_weakness().end());
  for (const auto& id : named)
    if (!IsKnownViolationId(id)) {
      *err = v.Where(s, &tree, "expect") + ": unknown property id \"" + id +
             "\" (see README's checker table)";
      return false;
    }
  return true;
}

}  // namespace

bool IsFaultStep(const scenario::Step& st) {
  switch (st.action_case()) {
    case scenario::Step::kCrash:
    case scenario::Step::kPause:
    case scenario::Step::kPartition:
    case scenario::Step::kFailover:
    case scenario::Step::kClog:
    case scenario::Step::kReset:
    case scenario::Step::kClockJump:
      return true;
    case scenario::Step::kClockDrift:
      return st.clock_drift().ppm() != 0;
    case scenario::Step::kSlowFsync:
      return st.slow_fsync().latency_ms() > 0;
    case scenario::Step::kDiskFault:
    case scenario::Step::kCrashTornWrite:
    case scenario::Step::kDamageFile:
      return true;
    default:
      return false;
  }
}

std::vector<int> ParseSlotList(const std::string& text) {
  std::vector<int> out;
  const std::optional<SlotBitmap> bits = text.empty() ? std::nullopt : ParseSlotRanges(text);
  if (!bits) return out;
  for (size_t j = bits->_Find_first(); j < kClusterSlots; j = bits->_Find_next(j))
    out.push_back(static_cast<int>(j));
  return out;
}

LoadResult ParseScenario(const std::string& path, const std::string& text) {
  LoadResult r;
  pb::TextFormat::Parser parser;
  FirstError errors;
  pb::TextFormat::ParseInfoTree tree;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(&tree);
  if (!parser.ParseFromString(text, &r.scenario)) {
    int col = errors.col_;
    // Protobuf points just past an unknown field's name; point at the
    // name itself, where a reader looks.
    const std::string marker = "has no field named \"";
    size_t at = errors.message_.find(marker);
    if (at != std::string::npos) {
      std::string field = errors.message_.substr(at + marker.size());
      field = field.substr(0, field.find('"'));
      std::istringstream lines(text);
      std::string line;
      for (int i = 0; i <= errors.line_ && std::getline(lines, line); ++i) {}
      size_t pos = line.rfind(field, static_cast<size_t>(std::max(col, 0)));
      if (!field.empty() && pos != std::string::npos) col = static_cast<int>(pos);
    }
    r.error = path + ":" + std::to_string(errors.line_ + 1) + ":" +
              std::to_string(col + 1) + ": " +
              (errors.has_ ? errors.message_ : "parse error");
    return r;
  }
  if (!Validate(path, r.scenario, tree, &r.error)) return r;
  r.ok = true;
  return r;
}

LoadResult LoadScenarioFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.error = path + ":1:1: cannot read file";
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseScenario(path, ss.str());
}

}  // namespace slotsim
