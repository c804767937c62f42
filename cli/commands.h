// The subcommands of `slotsim`. Each returns an exit code (exit_codes.h).
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace slotsim {

struct RunCommandOptions {
  std::string scenario_path;
  uint64_t seed = 1;
  std::string db = "slotsim.db";
  bool no_trace = false;
  bool json = false;
  bool check_determinism = false;
  bool buggify = true;
  std::vector<std::string> injected_bugs;  // engine/bug_zoo.h names
  int64_t debug_crash_at_ms = -1;  // hidden: abort at this simulated time
  int64_t debug_perturb_at_ms = -1;  // hidden: injected nondeterminism (diff tests)
};

struct SuiteCommandOptions {
  std::vector<std::string> paths;  // files or directories of *.textproto
  int seeds = 5;
  uint64_t first_seed = 1;
  std::string db = "slotsim.db";
  bool buggify = true;
  int jobs = 1;
  std::string junit;  // JUnit XML file, if any
  std::string shard;  // "I/N" or "N" (index from JOB_COMPLETION_INDEX)
  bool list = false;  // print the planned runs and exit
};

struct ReplayCommandOptions {
  std::string db;
  std::vector<int64_t> run_ids;  // empty with `all`
  bool all = false;
  int jobs = 1;
};

struct DiffCommandOptions {
  std::string a, b;  // DB:RUN
  int context = 5;   // records shown before the first difference
};

struct MergeCommandOptions {
  std::string out;
  std::vector<std::string> inputs;
};

struct RunsCommandOptions {
  std::string db;
  bool json = false;
};

struct NodeCommandOptions {
  int port = 6379;
  int bus_port = 0;  // 0: port + 10000
  std::string dir;   // "": slotsim-node-<port>
  std::string bind = "127.0.0.1";
  std::string announce_ip;
  int64_t node_timeout_ms = 15000;
  std::string appendonly = "no";
  std::string appendfsync = "everysec";
  std::string trace_db;  // "": no trace
};

struct ViewCommandOptions {
  std::string db;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
};

struct ExploreCommandOptions {
  int64_t seeds = 100;
  double time_seconds = 0;  // > 0: explore until this much wall time passed
  uint64_t first_seed = 1;
  int jobs = 1;
  std::vector<std::string> injected_bugs;
  std::string profile = "faults";  // explore/plan.h PlanProfile
  std::string out_dir = "explore-findings";
  int shrink_runs = 200;  // 0: do not shrink
  bool keep_going = false;
  bool json = false;
  int64_t show_seed = -1;  // >= 0: print that seed's scenario and exit
  bool probes = false;     // print every code probe's coverage at the end
  bool no_aimed = false;   // plans without aimed faults (PlanProfile::aimed)
  // Seeds not to run (known findings of the clean engine, so that a
  // mutation score counts only what a mutant adds).
  std::set<uint64_t> exclude_seeds;
};

int RunCommand(const RunCommandOptions& o);
int ExploreCommand(const ExploreCommandOptions& o);
int SuiteCommand(const SuiteCommandOptions& o);
int ReplayCommand(const ReplayCommandOptions& o);
int DiffCommand(const DiffCommandOptions& o);
int MergeCommand(const MergeCommandOptions& o);
int RunsCommand(const RunsCommandOptions& o);
int ViewCommand(const ViewCommandOptions& o);
int NodeCommand(const NodeCommandOptions& o);
// `slotsim node CONFIG_FILE [--name value ...]`: redis-server's command
// line (runtime/redis_conf.h). args[0] is the config file.
int NodeFromRedisConfig(const std::vector<std::string>& args);

// The build identity recorded with runs.
const char* BuildId();

}  // namespace slotsim
