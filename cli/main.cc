// slotsim: deterministic simulation testing for Redis-Cluster-style
// engines. See README.md.
#include <CLI/CLI.hpp>
#include <iostream>
#include <set>
#include <string>

#include "cli/commands.h"
#include "cli/crash_handler.h"
#include "cli/exit_codes.h"
#include "engine/bug_zoo.h"

#ifndef SLOTSIM_BUILD_ID
#define SLOTSIM_BUILD_ID "unknown"
#endif

namespace slotsim {
const char* BuildId() { return SLOTSIM_BUILD_ID; }
}  // namespace slotsim

int main(int argc, char** argv) {
  using namespace slotsim;
  InstallCrashHandler();
  CLI::App app{
      "slotsim: deterministic simulation testing for Redis-Cluster-style engines.\n"
      "Exit codes: 0 pass, 1 violation, 2 usage or input error, 3 crash."};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("slotsim 0.1.0 build ") + BuildId());

  RunCommandOptions run;
  auto* run_cmd = app.add_subcommand(
      "run", "Run one scenario with one seed and print a one-line summary.");
  run_cmd->add_option("scenario", run.scenario_path, "Scenario file (*.textproto)")
      ->required();
  run_cmd->add_option("--seed", run.seed, "Run seed: same seed + same build = same trace")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX}))
      ->capture_default_str();
  run_cmd->add_option("--db", run.db, "SQLite trace database to append the run to")
      ->capture_default_str();
  run_cmd->add_flag("--no-trace", run.no_trace, "Do not write a trace database");
  run_cmd->add_flag("--json", run.json, "Print the summary as one JSON object");
  run_cmd->add_flag("--check-determinism", run.check_determinism,
                    "Run twice; name the first differing event if the traces differ");
  bool run_no_buggify = false;
  run_cmd->add_flag("--no-buggify", run_no_buggify,
                    "Disable simulation-only buggify fault points");
  std::vector<std::string> bug_names;
  std::string bug_help = "Switch a known bug back on (repeatable), to check the checkers:";
  for (const auto& b : kKnownBugs) {
    bug_names.emplace_back(b.name);
    bug_help += "\n  " + std::string(b.name) + ": " + std::string(b.what);
  }
  run_cmd->add_option("--inject-bug", run.injected_bugs, bug_help)
      ->check(CLI::IsMember(bug_names));
  run_cmd->add_option("--debug-crash-at-ms", run.debug_crash_at_ms,
                      "Abort at this simulated time (tests the crash path)")
      ->group("");  // hidden
  run_cmd->add_option("--debug-perturb-at-ms", run.debug_perturb_at_ms,
                      "Perturb the network's randomness at this simulated time (tests diff)")
      ->group("");  // hidden

  SuiteCommandOptions suite;
  auto* suite_cmd = app.add_subcommand(
      "suite", "Run every scenario under PATHS with N seeds into one trace database.");
  suite_cmd->add_option("paths", suite.paths, "Scenario files or directories")->required();
  suite_cmd->add_option("--seeds", suite.seeds, "Seeds per scenario")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  suite_cmd->add_option("--first-seed", suite.first_seed, "First seed of the range")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX / 2}))
      ->capture_default_str();
  suite_cmd->add_option("--db", suite.db, "SQLite trace database")->capture_default_str();
  bool suite_no_buggify = false;
  suite_cmd->add_flag("--no-buggify", suite_no_buggify,
                      "Disable simulation-only buggify fault points");
  suite_cmd->add_option("--jobs,-j", suite.jobs, "Runs at once, each in its own process")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  suite_cmd->add_option("--junit", suite.junit, "Also write JUnit XML for CI to FILE");
  auto* shard_opt = suite_cmd->add_option("--shard", suite.shard,
                        "I/N: run only shard I of N of the (scenario, seed) runs; N alone "
                        "takes I from JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs) or "
                        "SLURM_ARRAY_TASK_ID minus SLURM_ARRAY_TASK_MIN (Slurm job arrays)");
  suite_cmd->add_flag("--list", suite.list, "Print the planned runs (file seed) and exit");

  ReplayCommandOptions replay;
  auto* replay_cmd = app.add_subcommand(
      "replay", "Re-execute recorded runs and check that each gives its recorded trace hash.");
  replay_cmd->add_option("db", replay.db, "Trace database")->required();
  auto* replay_run = replay_cmd->add_option("--run", replay.run_ids, "Run id (repeatable)")
                         ->check(CLI::Range(int64_t{1}, INT64_MAX));
  auto* replay_all = replay_cmd->add_flag("--all", replay.all, "Every run in the database");
  replay_run->excludes(replay_all);
  replay_cmd->add_option("--jobs,-j", replay.jobs, "Replays at once, each in its own process")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();

  DiffCommandOptions diff;
  auto* diff_cmd = app.add_subcommand(
      "diff", "Find the first event where two recorded runs differ (DB:RUN DB:RUN).");
  diff_cmd->add_option("a", diff.a, "First run, as DB:RUN")->required();
  diff_cmd->add_option("b", diff.b, "Second run, as DB:RUN")->required();
  diff_cmd->add_option("--context", diff.context, "Equal records shown before the difference")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();

  MergeCommandOptions merge;
  auto* merge_cmd = app.add_subcommand(
      "merge", "Combine trace databases (e.g. the shards of a sweep) into OUT.");
  merge_cmd->add_option("out", merge.out, "Database to merge into (created if missing)")
      ->required();
  merge_cmd->add_option("inputs", merge.inputs, "Databases to copy every run from")
      ->required();

  RunsCommandOptions runs;
  auto* runs_cmd = app.add_subcommand(
      "runs", "List the runs of a trace database, with the command that reproduces each.");
  runs_cmd->add_option("db", runs.db, "Trace database")->required();
  runs_cmd->add_flag("--json", runs.json, "Print a JSON array");

  NodeCommandOptions node;
  auto* node_cmd = app.add_subcommand(
      "node",
      "Run one engine node on real sockets and files: RESP2 on --port, the cluster\n"
      "bus on --bus-port, state in --dir. Real Redis clients and redis-cli --cluster\n"
      "work against it. SIGTERM or Ctrl-C stops it cleanly.\n"
      "Also as redis-server: slotsim node CONFIG_FILE [--name value ...] reads\n"
      "redis.conf syntax and Redis's option names (scripts/redis-server).");
  node_cmd->add_option("--port", node.port, "Client (RESP) port")
      ->check(CLI::Range(1, 55535))
      ->capture_default_str();
  node_cmd->add_option("--bus-port", node.bus_port, "Cluster bus port (default: port + 10000)")
      ->check(CLI::Range(0, 65535));
  node_cmd->add_option("--dir", node.dir,
                       "Data directory for nodes.conf and appendonly.aof (default: "
                       "slotsim-node-PORT, created if missing)");
  node_cmd->add_option("--bind", node.bind, "Address to listen on")->capture_default_str();
  node_cmd->add_option("--announce-ip", node.announce_ip,
                       "Address announced to peers and in redirects (default: the bind address)");
  node_cmd->add_option("--node-timeout", node.node_timeout_ms, "cluster-node-timeout, in ms")
      ->check(CLI::Range(int64_t{100}, int64_t{3600000}))
      ->capture_default_str();
  node_cmd->add_option("--appendonly", node.appendonly, "Keep a data log (appendonly.aof)")
      ->check(CLI::IsMember({"yes", "no"}))
      ->capture_default_str();
  node_cmd->add_option("--appendfsync", node.appendfsync, "When the data log is fsynced")
      ->check(CLI::IsMember({"always", "everysec", "no"}))
      ->capture_default_str();
  node_cmd->add_option("--trace", node.trace_db,
                       "Record the engine's trace records into this SQLite database (off by default)");

  ViewCommandOptions view;
  auto* view_cmd = app.add_subcommand(
      "view",
      "Browse a trace database in a web browser: runs, space-time diagram, time\n"
      "scrubber, slot maps, client panels, events. Read-only; serves until stopped.");
  view_cmd->add_option("db", view.db, "Trace database")->required();
  view_cmd->add_option("--port", view.port, "TCP port (0: any free port, printed)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  view_cmd->add_option("--host", view.host,
                       "Address to listen on; the default serves this machine only")
      ->capture_default_str();

  ExploreCommandOptions explore;
  auto* explore_cmd = app.add_subcommand(
      "explore",
      "Swarm search: every seed draws its own topology, knobs, migrations and fault\n"
      "schedule; the first failing seed is shrunk to a scenario file in --out.\n"
      "Exit 0: no violation; 1: a finding (file and repro command printed).");
  auto* seeds_opt = explore_cmd->add_option("--seeds", explore.seeds, "Seeds to explore")
                        ->check(CLI::Range(int64_t{1}, int64_t{100000000}))
                        ->capture_default_str();
  explore_cmd->add_option("--time", explore.time_seconds,
                          "Explore for this many wall-clock seconds instead of --seeds")
      ->check(CLI::Range(0.001, 1e9))
      ->excludes(seeds_opt);
  explore_cmd->add_option("--first-seed", explore.first_seed, "First seed")
      ->check(CLI::Range(uint64_t{0}, uint64_t{INT64_MAX / 2}))
      ->capture_default_str();
  explore_cmd->add_option("--jobs,-j", explore.jobs, "Runs at once, each in its own process")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  explore_cmd->add_option("--inject-bug", explore.injected_bugs, bug_help)
      ->check(CLI::IsMember(bug_names));
  explore_cmd
      ->add_option("--profile", explore.profile,
                   "What plans may hold:\n"
                   "  faults: atomic migrations and every fault (default)\n"
                   "  migration: native and atomic migrations, every fault but crashes\n"
                   "  all: everything; Redis's own native-migration weaknesses show too\n"
                   "  disk: faults plus disk faults (EIO, ENOSPC, torn writes), AOF always on")
      ->check(CLI::IsMember({"faults", "migration", "all", "disk"}))
      ->capture_default_str();
  explore_cmd->add_option("--out", explore.out_dir, "Directory for shrunk scenario files")
      ->capture_default_str();
  explore_cmd->add_option("--shrink-runs", explore.shrink_runs,
                          "At most this many runs to shrink a finding (0: no shrinking)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  explore_cmd->add_flag("--keep-going", explore.keep_going,
                        "Run every seed even after a failure (the lowest failing seed is shrunk)");
  explore_cmd->add_flag("--json", explore.json,
                        "Also print a JSON summary line (with each probe's seeds and first seed)");
  explore_cmd->add_flag("--no-aimed", explore.no_aimed,
                        "Plans without aimed faults (crash right after a probe, primaries "
                        "failing at once, a restart in an atomic hand-off); the rest of each "
                        "seed's plan is the same either way");
  explore_cmd->add_flag("--probes", explore.probes,
                        "At the end, list every code probe (engine/probes.h) with how many "
                        "explored seeds hit it and the first that did, then the probes no "
                        "seed reached");
  explore_cmd->add_option("--exclude-seeds", explore.exclude_seeds,
                          "Seeds to skip (known findings, e.g. of the clean engine when "
                          "scoring mutants); they are not run or counted")
      ->delimiter(',');
  explore_cmd->add_option("--show", explore.show_seed,
                          "Print the scenario that seed SEED would run, and exit")
      ->check(CLI::Range(int64_t{0}, int64_t{INT64_MAX / 2}));

  // redis-server's command line: `slotsim node FILE [--name value ...]`
  // (what scripts/redis-server passes on), read as Redis reads it.
  if (argc > 2 && std::string(argv[1]) == "node" && argv[2][0] != '-')
    return NodeFromRedisConfig(std::vector<std::string>(argv + 2, argv + argc));

  // CLI11 reports an unknown subcommand as a missing one; say what it is.
  const std::string first = argc > 1 ? argv[1] : "";
  const std::set<std::string> known = {"run",  "suite", "explore", "replay",
                                       "diff", "merge", "runs",  "view", "node"};
  if (!first.empty() && first[0] != '-' && !known.count(first)) {
    std::cerr << "slotsim: unknown subcommand '" << argv[1]
              << "' (expected run, suite, explore, replay, diff, merge, runs, view or node; see slotsim "
                 "--help)\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and a pointer to --help
    return kExitUsage;
  }
  run.buggify = !run_no_buggify;
  suite.buggify = !suite_no_buggify;
  if (*run_cmd) return RunCommand(run);
  if (*suite_cmd) {
    if (shard_opt->count() > 0 && suite.shard.empty()) {
      std::cerr << "slotsim suite: --shard needs I/N (or N with JOB_COMPLETION_INDEX or "
                   "SLURM_ARRAY_TASK_ID set)\n";
      return kExitUsage;
    }
    return SuiteCommand(suite);
  }
  if (*explore_cmd) return ExploreCommand(explore);
  if (*replay_cmd) {
    if (!replay.all && replay.run_ids.empty()) {
      std::cerr << "slotsim replay: name a run (--run ID) or --all\n";
      return kExitUsage;
    }
    return ReplayCommand(replay);
  }
  if (*diff_cmd) return DiffCommand(diff);
  if (*merge_cmd) return MergeCommand(merge);
  if (*runs_cmd) return RunsCommand(runs);
  if (*view_cmd) return ViewCommand(view);
  if (*node_cmd) return NodeCommand(node);
  return kExitUsage;
}
