// slotsim_bench: the figures in bench/README.md. Every timing is reported
// with a ratio against a baseline measured in the same run, because these
// machines are noisy. Each measurement runs in a forked child so that its
// peak RSS is its own.
//
//   slotsim_bench [--events N] [--repeats R] [--scenario FILE] [--quick]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "scenarios/sim_cluster.h"
#include "sim/simulation.h"
#include "traces/trace_db.h"

#include <sqlite3.h>

namespace slotsim {
namespace {

struct Figure {
  double seconds = 0;  // wall time of the measured part
  double value = 0;    // what the measurement reports (events, sim seconds)
  long peak_rss_kb = 0;
};

double Now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Runs `fn` in a child process; returns its figure with the child's peak RSS.
Figure InChild(const std::function<Figure()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) { perror("pipe"); std::exit(3); }
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Figure f = fn();
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    f.peak_rss_kb = ru.ru_maxrss;
    if (write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) _exit(3);
    _exit(0);
  }
  close(fds[1]);
  Figure f;
  if (read(fds[0], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) {
    std::fprintf(stderr, "benchmark child failed\n");
    std::exit(3);
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return f;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The simulator's own loop: a timer chain on one machine, each firing
// re-arms the next (every firing is a traced, hashed event).
Figure SimEventLoop(int64_t events) {
  Simulation sim(SimOptions{});
  int m = sim.AddMachine("m");
  Env& env = sim.env(m);
  int64_t left = events;
  std::function<void()> tick = [&] {
    if (--left > 0) env.AddTimer(1, "t", tick);
  };
  env.AddTimer(1, "t", tick);
  double t0 = Now();
  sim.RunUntil(events * 1000 + 1000);
  return {Now() - t0, static_cast<double>(sim.events_processed()), 0};
}

// Baseline: a bare priority queue of std::function callbacks doing the
// same chain, with no tracing, hashing or machine bookkeeping.
Figure BareQueue(int64_t events) {
  using Item = std::pair<int64_t, int64_t>;
  std::priority_queue<Item, std::vector<Item>, std::greater<>> q;
  std::vector<std::function<void()>> fns;
  int64_t left = events, t = 0, done = 0;
  std::function<void()> tick = [&] {
    if (--left > 0) {
      fns.push_back(tick);
      q.push({++t, static_cast<int64_t>(fns.size() - 1)});
    }
  };
  fns.push_back(tick);
  q.push({0, 0});
  double t0 = Now();
  while (!q.empty()) {
    auto [at, idx] = q.top();
    q.pop();
    auto fn = std::move(fns[idx]);
    fn();
    ++done;
  }
  return {Now() - t0, static_cast<double>(done), 0};
}

Figure RunScenarioOnce(const scenario::Scenario& sc, bool trace, uint64_t seed) {
  std::unique_ptr<TraceDb> db;
  std::string path;
  if (trace) {
    path = "/tmp/slotsim_bench_" + std::to_string(getpid()) + ".db";
    std::string err;
    db = TraceDb::Open(path, &err);
    if (!db) { std::fprintf(stderr, "%s\n", err.c_str()); std::exit(3); }
    RunInfo info;
    info.seed = seed;
    info.scenario = sc.name();
    db->BeginRun(info);
  }
  RunOptions o;
  o.seed = seed;
  if (db) o.sinks.push_back(db.get());
  double t0 = Now();
  RunResult r = RunScenario(sc, o);
  if (db) {
    RunSummary s;
    s.outcome = r.outcome;
    db->FinishRun(s);
    db.reset();
  }
  double wall = Now() - t0;
  if (!path.empty()) {
    std::filesystem::remove(path);
    std::filesystem::remove(path + "-wal");
    std::filesystem::remove(path + "-shm");
  }
  return {wall, r.sim_us / 1e6, 0};
}

// Trace write throughput: the records of one run of `sc`, captured in
// memory, written (a) through TraceDb (events plus typed rows, batched)
// and (b) by a bare loop of the same event inserts (one prepared
// statement, same pragmas, same batches): the limit SQLite sets.
// value = records/s; bytes_per_record from the file after a checkpoint.
struct TraceWriteFigure {
  double trace_db_rate = 0, bare_rate = 0, bytes_per_record = 0, records = 0;
};

class Capture : public TraceSink {
 public:
  void OnTrace(const TraceRecord& r) override { records.push_back(r); }
  std::vector<TraceRecord> records;
};

int64_t FileBytes(const std::string& path) {
  std::error_code ec;
  int64_t n = 0;
  for (const char* suffix : {"", "-wal"}) {
    const auto size = std::filesystem::file_size(path + suffix, ec);
    if (!ec) n += static_cast<int64_t>(size);
  }
  return n;
}

void RemoveDbFiles(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
}

TraceWriteFigure TraceWrite(const scenario::Scenario& sc, uint64_t seed) {
  Capture cap;
  RunOptions o;
  o.seed = seed;
  o.sinks.push_back(&cap);
  RunScenario(sc, o);
  const std::string path = "/tmp/slotsim_bench_write_" + std::to_string(getpid()) + ".db";
  TraceWriteFigure f;
  f.records = static_cast<double>(cap.records.size());
  {
    RemoveDbFiles(path);
    std::string err;
    auto db = TraceDb::Open(path, &err);
    if (!db) { std::fprintf(stderr, "%s\n", err.c_str()); std::exit(3); }
    RunInfo info;
    info.seed = seed;
    info.scenario = sc.name();
    db->BeginRun(info);
    const double t0 = Now();
    for (const auto& r : cap.records) db->OnTrace(r);
    db->FinishRun(RunSummary{});
    f.trace_db_rate = f.records / (Now() - t0);
    sqlite3_exec(db->handle(), "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  f.bytes_per_record = static_cast<double>(FileBytes(path)) / f.records;
  RemoveDbFiles(path);
  {
    sqlite3* db = nullptr;
    sqlite3_open(path.c_str(), &db);
    sqlite3_exec(db,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                 "CREATE TABLE events(run_id INTEGER NOT NULL, seq INTEGER NOT NULL, "
                 "time_us INTEGER NOT NULL, node INTEGER NOT NULL, kind TEXT NOT NULL, "
                 "peer INTEGER NOT NULL, msg_type TEXT NOT NULL, details TEXT NOT NULL, "
                 "PRIMARY KEY(run_id, seq)) WITHOUT ROWID",
                 nullptr, nullptr, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "INSERT INTO events VALUES(1,?,?,?,?,?,?,?)", -1, &st, nullptr);
    const double t0 = Now();
    int64_t batch = 0;
    for (const auto& r : cap.records) {
      if (batch == 0) sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
      sqlite3_bind_int64(st, 1, r.seq);
      sqlite3_bind_int64(st, 2, r.time_us);
      sqlite3_bind_int(st, 3, r.node);
      sqlite3_bind_text(st, 4, r.kind.data(), static_cast<int>(r.kind.size()), SQLITE_STATIC);
      sqlite3_bind_int(st, 5, r.peer);
      sqlite3_bind_text(st, 6, r.msg_type.data(), static_cast<int>(r.msg_type.size()), SQLITE_STATIC);
      sqlite3_bind_text(st, 7, r.details.data(), static_cast<int>(r.details.size()), SQLITE_STATIC);
      sqlite3_step(st);
      sqlite3_reset(st);
      if (++batch >= 20000) {
        sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
        batch = 0;
      }
    }
    if (batch > 0) sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
    f.bare_rate = f.records / (Now() - t0);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  RemoveDbFiles(path);
  return f;
}

// The failover scenario: 3 primaries + 3 replicas with `node_timeout_ms`,
// formed and converged, then the primary of slot 0 is killed; the run ends
// when every live node names its replica as the owner. value = simulated
// crash-to-takeover ms; seconds = wall time of the whole run; also prints
// simulated seconds per wall second.
struct FailoverFigure {
  double sim_takeover_ms = 0;
  double sim_seconds = 0;
  double wall_seconds = 0;
};

FailoverFigure SimFailover(int64_t node_timeout_ms, uint64_t seed) {
  scenario::Scenario s = MakeHaScenario(3, 1, node_timeout_ms, 2);
  const double t0 = Now();
  SimCluster c(s, seed, true, {});
  std::string err;
  c.StartActors(&err);
  // Settled (converged, replicas in sync), as the real-cluster script waits.
  auto converged = [&] { return c.Settled(); };
  while (!converged()) c.sim().RunUntil(c.sim().now_us() + 100'000);
  const int64_t crash_us = c.sim().now_us();
  c.Crash(0);
  auto promoted = [&] {
    if (!c.up(3)) return false;
    for (const Cluster* cl : c.LiveClusters()) {
      const ClusterNode* o = cl->SlotOwner(0);
      if (o == nullptr || o->name != c.node(3)->cluster().myself().name) return false;
    }
    return true;
  };
  while (!promoted()) c.sim().RunUntil(c.sim().now_us() + 10'000);
  FailoverFigure f;
  f.sim_takeover_ms = (c.sim().now_us() - crash_us) / 1000.0;
  f.sim_seconds = c.sim().now_us() / 1e6;
  f.wall_seconds = Now() - t0;
  return f;
}

}  // namespace
}  // namespace slotsim

int main(int argc, char** argv) {
  using namespace slotsim;
  int64_t events = 2'000'000;
  int repeats = 5;
  int64_t failover_node_timeout_ms = -1;
  std::string scenario_path = "scenarios/bootstrap.textproto";
  for (int i = 1; i < argc; ++i) {
    if (!std::strcmp(argv[i], "--events") && i + 1 < argc) events = std::atoll(argv[++i]);
    else if (!std::strcmp(argv[i], "--repeats") && i + 1 < argc) repeats = std::atoi(argv[++i]);
    else if (!std::strcmp(argv[i], "--scenario") && i + 1 < argc) scenario_path = argv[++i];
    else if (!std::strcmp(argv[i], "--quick")) { events = 100'000; repeats = 1; }
    else if (!std::strcmp(argv[i], "--failover") && i + 1 < argc) failover_node_timeout_ms = std::atoll(argv[++i]);
    else {
      std::fprintf(stderr,
                   "usage: %s [--events N] [--repeats R] [--scenario FILE] [--quick]\n"
                   "       %s --failover NODE_TIMEOUT_MS [--repeats R]\n",
                   argv[0], argv[0]);
      return 2;
    }
  }
  if (events < 1 || repeats < 1) { std::fprintf(stderr, "--events and --repeats must be >= 1\n"); return 2; }
  if (failover_node_timeout_ms > 0) {
    // Machine-readable: one line per repeat, for bench/failover_vs_redis.sh.
    for (int r = 0; r < repeats; ++r) {
      FailoverFigure f = SimFailover(failover_node_timeout_ms, 1 + r);
      std::printf("sim_takeover_ms=%.0f sim_seconds=%.3f wall_seconds=%.4f sim_per_wall=%.1f\n",
                  f.sim_takeover_ms, f.sim_seconds, f.wall_seconds, f.sim_seconds / f.wall_seconds);
    }
    return 0;
  }
  auto loaded = LoadScenarioFile(scenario_path);
  if (!loaded.ok) { std::fprintf(stderr, "%s\n", loaded.error.c_str()); return 2; }

  std::vector<double> sim_rate, bare_rate, on_rate, off_rate;
  long sim_rss = 0, on_rss = 0, off_rss = 0;
  for (int r = 0; r < repeats; ++r) {
    Figure s = InChild([&] { return SimEventLoop(events); });
    Figure b = InChild([&] { return BareQueue(events); });
    sim_rate.push_back(s.value / s.seconds);
    bare_rate.push_back(b.value / b.seconds);
    sim_rss = std::max(sim_rss, s.peak_rss_kb);
    Figure off = InChild([&] { return RunScenarioOnce(loaded.scenario, false, 1 + r); });
    Figure on = InChild([&] { return RunScenarioOnce(loaded.scenario, true, 1 + r); });
    off_rate.push_back(off.value / off.seconds);
    on_rate.push_back(on.value / on.seconds);
    off_rss = std::max(off_rss, off.peak_rss_kb);
    on_rss = std::max(on_rss, on.peak_rss_kb);
  }
  std::vector<double> db_rate, raw_rate, bytes;
  double records = 0;
  for (int r = 0; r < repeats; ++r) {
    int fds[2];
    if (pipe(fds) != 0) return 3;
    if (fork() == 0) {
      TraceWriteFigure f = TraceWrite(loaded.scenario, 1 + r);
      if (write(fds[1], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) _exit(3);
      _exit(0);
    }
    close(fds[1]);
    TraceWriteFigure f;
    if (read(fds[0], &f, sizeof f) != static_cast<ssize_t>(sizeof f)) return 3;
    close(fds[0]);
    wait(nullptr);
    db_rate.push_back(f.trace_db_rate);
    raw_rate.push_back(f.bare_rate);
    bytes.push_back(f.bytes_per_record);
    records = f.records;
  }
  const double sim = Median(sim_rate), bare = Median(bare_rate);
  const double on = Median(on_rate), off = Median(off_rate);
  std::printf("| figure | value | ratio |\n|---|---|---|\n");
  std::printf("| simulator events/s (timer chain, traced+hashed) | %.0f | %.2fx of a bare priority-queue loop (%.0f/s) |\n",
              sim, sim / bare, bare);
  std::printf("| %s: simulated s per wall s, tracing off | %.1f | 1.00 (baseline) |\n",
              loaded.scenario.name().c_str(), off);
  std::printf("| %s: simulated s per wall s, SQLite tracing on | %.1f | %.2fx of tracing off |\n",
              loaded.scenario.name().c_str(), on, on / off);
  std::printf("| trace writes/s into SQLite (events + typed rows, %s, %.0f records) | %.0f | %.2fx of a bare loop of the same event inserts (%.0f/s) |\n",
              loaded.scenario.name().c_str(), records, Median(db_rate),
              Median(db_rate) / Median(raw_rate), Median(raw_rate));
  std::printf("| trace database bytes per record (after checkpoint) | %.0f | |\n", Median(bytes));
  std::printf("| peak RSS: simulator loop, %lld events | %ld KiB | |\n",
              static_cast<long long>(events), sim_rss);
  std::printf("| peak RSS: %s, tracing off | %ld KiB | |\n", loaded.scenario.name().c_str(), off_rss);
  std::printf("| peak RSS: %s, tracing on | %ld KiB | |\n", loaded.scenario.name().c_str(), on_rss);
  std::printf("\nmedian of %d repeats; each measurement in its own process\n", repeats);
  return 0;
}
