// `slotsim suite`: every scenario under PATHS x N seeds, J runs at once in
// child processes, into one trace database, with progress, a summary
// table, JUnit XML and a repro command for every unexpected outcome.
// Each child writes a database of its own, which the parent merges as
// the run finishes: a crashed child leaves its events up to the crash
// and a run marked crashed.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <functional>
#include <map>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <google/protobuf/text_format.h>

#include "cli/commands.h"
#include "cli/crash_handler.h"
#include "cli/exit_codes.h"
#include "cli/junit.h"
#include "cli/process_pool.h"
#include "cli/run_one.h"
#include "cli/shard.h"
#include "scenarios/loader.h"
#include "scenarios/runner.h"
#include "traces/merge.h"

namespace slotsim {
namespace fs = std::filesystem;

namespace {

// Files named directly, plus every *.textproto below named directories,
// sorted so the suite order is stable.
bool ExpandPaths(const std::vector<std::string>& paths,
                 std::vector<std::string>* files, std::string* error) {
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> found;
      for (auto it = fs::recursive_directory_iterator(p, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->is_regular_file() && it->path().extension() == ".textproto")
          found.push_back(it->path().string());
      }
      if (ec) {
        *error = p + ": " + ec.message();
        return false;
      }
      std::sort(found.begin(), found.end());
      files->insert(files->end(), found.begin(), found.end());
    } else if (fs::is_regular_file(p, ec)) {
      files->push_back(p);
    } else {
      *error = p + ":1:1: no such file or directory";
      return false;
    }
  }
  if (files->empty()) {
    *error = "no *.textproto scenario files found";
    return false;
  }
  return true;
}


// One planned run of the suite.
struct Item {
  size_t file = 0;
  uint64_t seed = 0;
};

std::string ReproFor(const std::string& file, uint64_t seed, bool buggify) {
  std::string repro = "slotsim run " + file + " --seed " + std::to_string(seed);
  if (!buggify) repro += " --no-buggify";
  return repro;
}

void RemoveDb(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
}

// The progress display: a bar redrawn in place on a terminal, plain lines
// (one per run) otherwise.
class Progress {
 public:
  Progress(int total, bool tty) : total_(total), tty_(tty), start_(Clock::now()) {}
  void Finished(const std::string& line, bool failed) {
    ++done_;
    failed_ += failed ? 1 : 0;
    if (!tty_) {
      std::printf("%s\n", line.c_str());
    } else {
      if (failed) std::printf("\r\033[K%s\n", line.c_str());
      Bar();
    }
    std::fflush(stdout);
  }
  void End() {
    if (tty_) std::printf("\n");
  }

 private:
  using Clock = std::chrono::steady_clock;
  void Bar() {
    constexpr int kWidth = 30;
    const int filled = total_ == 0 ? kWidth : done_ * kWidth / total_;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start_).count();
    const double eta = done_ == 0 ? 0 : elapsed * (total_ - done_) / done_;
    std::printf("\r\033[K[%s%s] %d/%d  %d failed  %.0fs elapsed, ~%.0fs left",
                std::string(static_cast<size_t>(filled), '#').c_str(),
                std::string(static_cast<size_t>(kWidth - filled), '.').c_str(), done_, total_,
                failed_, elapsed, eta);
  }
  int total_, done_ = 0, failed_ = 0;
  bool tty_;
  Clock::time_point start_;
};

}  // namespace

int SuiteCommand(const SuiteCommandOptions& o) {
  std::vector<std::string> files;
  std::string err;
  if (!ExpandPaths(o.paths, &files, &err)) {
    std::cerr << "slotsim: " << err << "\n";
    return kExitUsage;
  }
  Shard shard;
  if (!o.shard.empty() &&
      !ParseShard(o.shard, ShardEnv::FromEnvironment(), &shard, &err)) {
    std::cerr << "slotsim suite: " << err << "\n";
    return kExitUsage;
  }
  // Validate every file before running anything.
  std::vector<LoadResult> loaded;
  for (const auto& f : files) {
    loaded.push_back(LoadScenarioFile(f));
    if (!loaded.back().ok) {
      std::cerr << loaded.back().error << "\n";
      return kExitUsage;
    }
  }
  // The runs: per file its pinned_seeds, else first_seed.. +seeds; then
  // this shard's share of that ordered list.
  std::vector<Item> items;
  int64_t run_index = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    std::vector<uint64_t> seeds;
    const auto& pinned = loaded[i].scenario.pinned_seeds();
    if (!pinned.empty()) seeds.assign(pinned.begin(), pinned.end());
    else
      for (int n = 0; n < o.seeds; ++n) seeds.push_back(o.first_seed + static_cast<uint64_t>(n));
    for (const uint64_t seed : seeds)
      if (shard.Owns(run_index++)) items.push_back({i, seed});
  }
  if (o.list) {
    for (const auto& it : items) std::printf("%s %llu\n", files[it.file].c_str(),
                                             static_cast<unsigned long long>(it.seed));
    return kExitPass;
  }
  auto db = TraceDb::Open(o.db, &err);
  if (!db) {
    std::cerr << "slotsim: " << err << "\n";
    return kExitUsage;
  }
  // Children's databases live next to the suite's, on the same disk.
  const std::string parts = o.db + ".parts-" + std::to_string(getpid());
  std::error_code ec;
  fs::create_directories(parts, ec);
  if (ec) {
    std::cerr << "slotsim suite: cannot create " << parts << ": " << ec.message() << "\n";
    return kExitUsage;
  }

  struct Row {
    int runs = 0, pass = 0, expected = 0, crashed = 0;
    double wall = 0;
  };
  std::map<std::string, Row> rows;  // by file, ordered
  std::vector<JUnitCase> cases(items.size());
  std::vector<std::string> repros;
  Progress progress(static_cast<int>(items.size()), isatty(STDOUT_FILENO) != 0);
  bool merge_failed = false;
  size_t finished = 0;
  auto part_of = [&](uint64_t k) { return parts + "/run-" + std::to_string(k) + ".db"; };

  // Runs are merged and reported in suite order, whatever order they
  // finish in, so that run ids do not depend on --jobs.
  std::map<uint64_t, ChildResult> finished_early;
  uint64_t next_to_merge = 0;
  std::function<void(uint64_t, const ChildResult&)> report = [&](uint64_t k,
                                                                 const ChildResult& r) {
    const Item& it = items[k];
    const auto& sc = loaded[it.file].scenario;
    const std::string repro = ReproFor(files[it.file], it.seed, o.buggify);
    std::vector<std::pair<int64_t, int64_t>> ids;
    std::string merge_error;
    if (!MergeTraceInto(*db, part_of(k), &ids, &merge_error)) {
      std::cerr << "slotsim suite: " << merge_error << "\n";
      merge_failed = true;
    }
    RemoveDb(part_of(k));
    const int64_t run_id = ids.empty() ? -1 : ids.front().second;
    JUnitCase& c = cases[k];
    c.suite = sc.name();
    c.file = files[it.file];
    c.name = "seed " + std::to_string(it.seed);
    std::string violations;
    if (r.ok) {
      c.outcome = r.reply.value("outcome", "violation");
      c.seconds = r.reply.value("wall_seconds", 0.0);
      for (const auto& v : r.reply.value("violations", nlohmann::json::array())) {
        const std::string line =
            v.value("id", std::string()) + ": " + v.value("message", std::string());
        if (c.message.empty()) c.message = line;
        violations += std::string(c.outcome == "expected" ? "        expected violation "
                                                          : "        violation ") +
                      line + "\n";
      }
      if (!OutcomeSucceeded(c.outcome) && c.message.empty())
        c.message = "the expected violation did not happen";
    } else {
      c.outcome = "crashed";
      c.message = "the run crashed (" + r.death + ")";
      violations = "        " + c.message + "\n";
      if (run_id >= 0) db->MarkCrashed(run_id, r.death);
    }
    c.details = violations + "repro: " + repro + "\n";
    Row& row = rows[files[it.file]];
    row.runs++;
    row.wall += c.seconds;
    row.pass += c.outcome == "pass" ? 1 : 0;
    row.expected += c.outcome == "expected" ? 1 : 0;
    row.crashed += c.outcome == "crashed" ? 1 : 0;
    if (!OutcomeSucceeded(c.outcome)) repros.push_back(repro);
    char line[512];
    std::snprintf(line, sizeof line, "[%zu/%zu] %-28s seed=%-6llu %-9s %6.2fs run_id=%lld",
                  ++finished, items.size(), sc.name().c_str(),
                  static_cast<unsigned long long>(it.seed), c.outcome.c_str(), c.seconds,
                  static_cast<long long>(run_id));
    std::string text = line;
    if (!violations.empty()) text += "\n" + violations.substr(0, violations.size() - 1);
    progress.Finished(text, !OutcomeSucceeded(c.outcome));
  };
  ProcessPool pool(o.jobs, [&](uint64_t k, const ChildResult& r) {
    finished_early.emplace(k, r);
    // Bounded by the number of runs.
    for (auto it = finished_early.find(next_to_merge); it != finished_early.end();
         it = finished_early.find(next_to_merge)) {
      report(it->first, it->second);
      finished_early.erase(it);
      ++next_to_merge;
    }
  });
  for (size_t i = 0; i < items.size(); ++i) {
    const Item it = items[i];
    const std::string part = part_of(i);
    pool.Start(i, [&, it, part] {
      const auto& sc = loaded[it.file].scenario;
      SetCrashContext("seed=" + std::to_string(it.seed) + " scenario=" + sc.name() +
                      "\nrepro: " + ReproFor(files[it.file], it.seed, o.buggify));
      std::string child_err;
      auto child_db = TraceDb::Open(part, &child_err);
      if (!child_db) {
        std::cerr << "slotsim suite: " << child_err << "\n";
        std::_Exit(kExitCrash);
      }
      Recorded rec = RunRecorded(sc, files[it.file], it.seed, o.buggify, child_db.get(), {});
      child_db.reset();  // flushed before the parent merges it
      return nlohmann::json{{"outcome", rec.result.outcome},
                            {"wall_seconds", rec.wall_seconds},
                            {"violations", ViolationsJson(rec.result)}};
    });
  }
  pool.WaitAll();
  progress.End();
  fs::remove_all(parts, ec);

  int failed = 0, crashed = 0;
  int width = 8;
  for (const auto& [file, row] : rows) width = std::max(width, static_cast<int>(file.size()));
  std::printf("\n%-*s %6s %6s %8s %6s %7s %9s\n", width, "scenario", "runs", "pass",
              "expected", "fail", "crashed", "wall_s");
  for (const auto& [file, row] : rows) {
    const int succeeded = row.pass + row.expected;
    std::printf("%-*s %6d %6d %8d %6d %7d %9.2f\n", width, file.c_str(), row.runs, row.pass,
                row.expected, row.runs - succeeded - row.crashed, row.crashed, row.wall);
    failed += row.runs - succeeded;
    crashed += row.crashed;
  }
  std::printf("\nsuite: %zu passed, %d failed (%d crashed), trace db %s\n",
              items.size() - static_cast<size_t>(failed), failed, crashed, o.db.c_str());
  for (const auto& r : repros) std::printf("repro: %s\n", r.c_str());
  if (!o.junit.empty()) {
    std::ofstream out(o.junit);
    out << JUnitXml(cases);
    if (!out) {
      std::cerr << "slotsim suite: cannot write --junit " << o.junit << "\n";
      return kExitUsage;
    }
  }
  if (merge_failed) return kExitCrash;
  if (crashed > 0) return kExitCrash;
  return failed == 0 ? kExitPass : kExitViolation;
}

}  // namespace slotsim
