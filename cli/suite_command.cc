// `slotsim suite`: every scenario under PATHS x N seeds, into one trace
// database, with a summary table. Sequential for now; parallel jobs,
// JUnit and sharding come with the traces/CI issue.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/crash_handler.h"
#include "cli/exit_codes.h"
#include "cli/run_one.h"
#include "scenarios/loader.h"

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

}  // namespace

int SuiteCommand(const SuiteCommandOptions& o) {
  std::vector<std::string> files;
  std::string err;
  if (!ExpandPaths(o.paths, &files, &err)) {
    std::cerr << "slotsim: " << err << "\n";
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
  auto db = TraceDb::Open(o.db, &err);
  if (!db) {
    std::cerr << "slotsim: " << err << "\n";
    return kExitUsage;
  }
  struct Row {
    int runs = 0, pass = 0;
    double wall = 0;
    std::vector<uint64_t> failed_seeds;
  };
  std::map<std::string, Row> rows;  // by file, ordered
  // Seeds per file: a scenario's pinned_seeds, else first_seed.. +seeds.
  std::vector<std::vector<uint64_t>> seeds_of(files.size());
  int total = 0;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& pinned = loaded[i].scenario.pinned_seeds();
    if (!pinned.empty()) {
      seeds_of[i].assign(pinned.begin(), pinned.end());
    } else {
      for (int k = 0; k < o.seeds; ++k) seeds_of[i].push_back(o.first_seed + static_cast<uint64_t>(k));
    }
    total += static_cast<int>(seeds_of[i].size());
  }
  int done = 0;
  std::vector<std::string> repros;
  for (size_t i = 0; i < files.size(); ++i) {
    const auto& sc = loaded[i].scenario;
    for (const uint64_t seed : seeds_of[i]) {
      std::string repro = "slotsim run " + files[i] + " --seed " + std::to_string(seed);
      if (!o.buggify) repro += " --no-buggify";
      SetCrashContext("seed=" + std::to_string(seed) + " scenario=" + sc.name() +
                      "\nrepro: " + repro);
      Recorded rec = RunRecorded(sc, files[i], seed, o.buggify, db.get(), {});
      Row& row = rows[files[i]];
      row.runs++;
      row.wall += rec.wall_seconds;
      const bool pass = rec.result.outcome == "pass";
      if (pass) row.pass++;
      else {
        row.failed_seeds.push_back(seed);
        repros.push_back(repro);
      }
      ++done;
      std::printf("[%d/%d] %-28s seed=%-6llu %-9s %6.2fs run_id=%lld\n", done, total,
                  sc.name().c_str(), static_cast<unsigned long long>(seed),
                  rec.result.outcome.c_str(), rec.wall_seconds,
                  static_cast<long long>(rec.run_id));
      for (const auto& v : rec.result.violations)
        std::printf("        violation %s: %s\n", v.id.c_str(), v.message.c_str());
      std::fflush(stdout);
    }
  }
  int failed = 0;
  int width = 8;
  for (const auto& [file, row] : rows) width = std::max(width, static_cast<int>(file.size()));
  std::printf("\n%-*s %6s %6s %6s %9s\n", width, "scenario", "runs", "pass", "fail", "wall_s");
  for (const auto& [file, row] : rows) {
    std::printf("%-*s %6d %6d %6d %9.2f\n", width, file.c_str(), row.runs, row.pass,
                row.runs - row.pass, row.wall);
    failed += row.runs - row.pass;
  }
  std::printf("\nsuite: %d passed, %d failed, trace db %s\n", total - failed, failed,
              o.db.c_str());
  for (const auto& r : repros) std::printf("repro: %s\n", r.c_str());
  return failed == 0 ? kExitPass : kExitViolation;
}

}  // namespace slotsim
