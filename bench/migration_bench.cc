// The vivo experiment (../shared/seeds/001): client latency before and
// during a slot migration of big hash values, native (redis-cli reshard:
// SETSLOT + MIGRATE, which blocks the source) against atomic
// (CLUSTER MIGRATESLOTS: streamed, one hand-off). Everything runs in
// simulated time under the engine's cost model, so the figures are
// deterministic for a seed: what they show is the shape of each design
// under the cost model's prices, not a measurement of hardware.
//
// Usage: migration_bench [--seed N] [--keys N] [--sizes-kb 100,1000] [--quick]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "client/cluster_admin.h"
#include "scenarios/sim_cluster.h"

namespace slotsim {
namespace {

// Counts PFAIL flags raised while the migration runs: nodes that stopped
// answering pings for node_timeout (the "occasional node time-outs").
struct PfailCounter : TraceSink {
  int64_t from_us = -1;
  int64_t count = 0;
  void OnTrace(const TraceRecord& r) override {
    if (from_us >= 0 && r.time_us >= from_us && r.kind == "PfailSet") count++;
  }
};

struct Latency {
  double p50 = 0, p99 = 0, max = 0;
  size_t n = 0;
};

Latency Percentiles(std::vector<int64_t> v) {
  Latency l;
  l.n = v.size();
  if (v.empty()) return l;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) {
    size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1));
    return v[i] / 1000.0;
  };
  l.p50 = at(0.50);
  l.p99 = at(0.99);
  l.max = v.back() / 1000.0;
  return l;
}

struct Figure {
  const char* mode;
  int value_kb;
  int keys;
  Latency before, during;
  int64_t asks = 0, broadcasts = 0, pfails = 0, errors = 0;
  double migration_ms = 0;
  std::string admin_error;
};

Figure Run(MigrationMode mode, int value_kb, int keys, uint64_t seed, int slots) {
  Figure f;
  f.mode = mode == MigrationMode::kNative ? "native" : "atomic";
  f.value_kb = value_kb;
  f.keys = keys;
  // Three primaries (the vivo test's three machines), Redis's default
  // node timeout, one client host issuing small GET/SET over all slots
  // (1000/s) and one reading the big hashes (below).
  scenario::Scenario s = MakeHaScenario(3, 0, 15000, 1);
  s.mutable_workload()->set_ops_per_sec(1000);
  s.mutable_workload()->set_keyspace(10000);
  s.mutable_workload()->set_value_bytes(16);
  PfailCounter pfails;
  SimCluster c(s, seed, false, {&pfails});
  std::string err;
  c.StartActors(&err);
  while (!c.Settled()) c.sim().RunUntil(c.sim().now_us() + 100'000);

  // Load `keys` hashes of value_kb fields of 1 KiB into slots 0..slots-1
  // (node 0's), through the admin connection.
  bool loaded = false;
  std::vector<std::string> big_keys;
  c.sim().Spawn("bench-load", [&] {
    const std::string field_value(1024, 'v');
    int made = 0;
    for (int i = 0; made < keys; ++i) {
      std::string key = "big:" + std::to_string(i);
      if (KeyHashSlot(key) >= slots) continue;
      big_keys.push_back(key);
      std::vector<std::string> argv = {"HSET", key};
      for (int j = 0; j < value_kb; ++j) {
        argv.push_back("f" + std::to_string(j));
        argv.push_back(field_value);
      }
      c.admin().ExecuteOn(c.addr(0), argv);
      made++;
    }
    loaded = true;
  });
  while (!loaded) c.sim().RunUntil(c.sim().now_us() + 100'000);

  const int64_t base_from = c.sim().now_us() + 1'000'000;
  const int64_t mig_from = base_from + 5'000'000;
  // A second client reads one field of the big hashes (up to 1000 reads/s): the
  // keys being moved, so it meets ASK redirects where they exist.
  int64_t mig_end = -1;
  ClientOptions ro;
  ro.seeds = c.addrs();
  ClusterClient reader(c.sim(), c.sim().AddMachine("bench-reader"), 100, ro, &c.history());
  c.sim().Spawn("bench-reader", [&] {
    Prng prng = c.sim().Stream("bench-reader");
    // Bounded by the run: it stops one second after the migration.
    while (mig_end < 0 || c.sim().now_us() < mig_end + 1'000'000) {
      const std::string& key = big_keys[prng.Below(big_keys.size())];
      reader.Execute({"HGET", key, "f0"}, key);
      c.sim().SleepUs(1000);
    }
  });
  c.sim().RunUntil(mig_from);
  pfails.from_us = mig_from;
  c.sim().Spawn("bench-migrate", [&] {
    AdminOptions o;
    o.mode = mode;
    ClusterAdmin admin(c.sim(), c.admin(), c.addr(0), o);
    std::vector<int> moved;
    for (int sl = 0; sl < slots; ++sl) moved.push_back(sl);
    f.admin_error = admin.MoveSlots(c.addr(0), c.addr(1), moved);
    mig_end = c.sim().now_us();
  });
  // Bounded: a migration that never ends stops the run after 10 minutes.
  while (mig_end < 0 && c.sim().now_us() < mig_from + 600'000'000)
    c.sim().RunUntil(c.sim().now_us() + 100'000);
  if (mig_end < 0) mig_end = c.sim().now_us();
  c.sim().RunUntil(mig_end + 1'000'000);
  f.migration_ms = (mig_end - mig_from) / 1000.0;

  std::vector<int64_t> before, during;
  for (const auto& op : c.history().ops()) {
    const int64_t lat = op.complete_us - op.invoke_us;
    if (op.invoke_us >= base_from && op.invoke_us < mig_from) before.push_back(lat);
    if (op.invoke_us >= mig_from && op.invoke_us <= mig_end) {
      during.push_back(lat);
      f.asks += op.asks;
      if (op.outcome != OpOutcome::kOk) f.errors++;
    }
  }
  f.before = Percentiles(before);
  f.during = Percentiles(during);
  for (int i = 0; i < c.node_count(); ++i)
    if (c.up(i)) f.broadcasts += c.node(i)->cluster().stats().handoff_broadcasts;
  f.pfails = pfails.count;
  return f;
}

}  // namespace
}  // namespace slotsim

int main(int argc, char** argv) {
  using namespace slotsim;
  uint64_t seed = 1;
  int keys = 40;
  int slots = 64;
  std::vector<int> sizes = {100, 1000};
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--seed") && i + 1 < argc) seed = std::strtoull(argv[++i], nullptr, 10);
    else if (!std::strcmp(argv[i], "--keys") && i + 1 < argc) keys = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--quick")) { keys = 4; sizes = {100}; }
    else {
      std::fprintf(stderr,
                   "usage: migration_bench [--seed N] [--keys N] [--quick]\n"
                   "Moves slots 0-%d holding N hash keys of 100 KiB and of 1 MiB from\n"
                   "node 0 to node 1, natively and atomically, and prints client latency\n"
                   "before and during each migration.\n",
                   slots - 1);
      return 2;
    }
  }
  std::printf("| mode | value | keys | p50 before | p99 before | max before | p50 during | "
              "p99 during | max during | p99 ratio | ASK | hand-off broadcasts | PFAIL | "
              "errors | migration |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  int status = 0;
  for (int kb : sizes) {
    for (MigrationMode mode : {MigrationMode::kNative, MigrationMode::kAtomic}) {
      Figure f = Run(mode, kb, keys, seed, slots);
      std::printf("| %s | %d KiB | %d | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %.2f ms | "
                  "%.2f ms | %.2fx | %lld | %lld | %lld | %lld | %.0f ms |\n",
                  f.mode, f.value_kb, f.keys, f.before.p50, f.before.p99, f.before.max,
                  f.during.p50, f.during.p99, f.during.max,
                  f.before.p99 > 0 ? f.during.p99 / f.before.p99 : 0.0,
                  static_cast<long long>(f.asks), static_cast<long long>(f.broadcasts),
                  static_cast<long long>(f.pfails), static_cast<long long>(f.errors),
                  f.migration_ms);
      if (!f.admin_error.empty()) {
        std::fprintf(stderr, "%s %d KiB: admin error: %s\n", f.mode, kb, f.admin_error.c_str());
        status = 1;
      }
      std::fflush(stdout);
    }
  }
  return status;
}
