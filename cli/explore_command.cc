// `slotsim explore`: a swarm search. Each seed draws its own topology,
// knobs, migrations and fault schedule (explore/plan.h), runs it in a
// child process (so that an engine crash is a finding, not the end of the
// search), and the first failing seed is shrunk to a scenario file.
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "explore/explore.h"
#include "scenarios/loader.h"

namespace slotsim {
namespace {

// Child results are a few hundred bytes; anything longer is cut.
constexpr size_t kMaxChildReply = 4096;

// A child process judging one scenario. Its verdict comes back as one
// JSON line on a pipe.
struct Child {
  pid_t pid = -1;
  int fd = -1;
  std::string reply;
};

Child Spawn(const std::function<Verdict()>& work) {
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("slotsim explore: pipe");
    std::exit(kExitCrash);
  }
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("slotsim explore: fork");
    std::exit(kExitCrash);
  }
  if (pid == 0) {
    close(fds[0]);
    const Verdict v = work();
    const std::string line = nlohmann::json{{"failed", v.failed},
                                            {"violation", v.violation},
                                            {"message", v.message}}
                                 .dump() + "\n";
    size_t off = 0;
    while (off < line.size()) {
      const ssize_t n = write(fds[1], line.data() + off, line.size() - off);
      if (n <= 0) _exit(kExitCrash);
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  return Child{pid, fds[0], ""};
}

// Reads the child's reply to EOF and reaps it. A child that died without
// a verdict crashed: that is a finding with violation "crash".
Verdict Collect(Child& c) {
  char buf[512];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c.reply.size() < kMaxChildReply) c.reply.append(buf, static_cast<size_t>(n));
  }
  close(c.fd);
  int status = 0;
  while (waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {}
  Verdict v;
  const auto j = nlohmann::json::parse(c.reply, nullptr, /*allow_exceptions=*/false);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && j.is_object()) {
    v.failed = j.value("failed", true);
    v.violation = j.value("violation", "");
    v.message = j.value("message", "");
    return v;
  }
  v.failed = true;
  v.violation = "crash";
  v.message = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                  : "exited with " + std::to_string(WEXITSTATUS(status));
  return v;
}

// Judges scenarios `jobs` at a time, each in its own child process.
BatchJudge ForkedBatch(int jobs, std::vector<std::string> bugs) {
  return [jobs, bugs = std::move(bugs)](const std::vector<scenario::Scenario>& scenarios,
                                        uint64_t seed) {
    std::vector<Verdict> out(scenarios.size());
    for (size_t first = 0; first < scenarios.size(); first += static_cast<size_t>(jobs)) {
      std::vector<Child> running;
      const size_t last = std::min(scenarios.size(), first + static_cast<size_t>(jobs));
      for (size_t i = first; i < last; ++i)
        running.push_back(Spawn([&, i] { return JudgeInProcess(scenarios[i], seed, bugs); }));
      for (size_t i = first; i < last; ++i) out[i] = Collect(running[i - first]);
    }
    return out;
  };
}

std::string Elapsed(std::chrono::steady_clock::time_point since) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
  return buf;
}

}  // namespace

int ExploreCommand(const ExploreCommandOptions& o) {
  namespace fs = std::filesystem;
  const auto start = std::chrono::steady_clock::now();
  const bool tty = isatty(STDERR_FILENO) != 0;
  const int jobs = std::max(1, o.jobs);
  PlanProfile profile;
  if (!ProfileByName(o.profile, &profile)) {
    std::cerr << "slotsim explore: unknown --profile " << o.profile << " (expected "
              << kProfileNames << ")\n";
    return kExitUsage;
  }
  if (o.show_seed >= 0) {
    const uint64_t seed = static_cast<uint64_t>(o.show_seed);
    std::cout << RenderPlan(PlanForSeed(seed, profile).value(), seed).text;
    return kExitPass;
  }
  const uint64_t last_seed = o.first_seed + o.seeds - 1;
  std::error_code ec;
  fs::create_directories(o.out_dir, ec);
  if (ec) {
    std::cerr << "slotsim explore: cannot create --out directory " << o.out_dir << ": "
              << ec.message() << "\n";
    return kExitUsage;
  }

  // The search: seeds in order, up to `jobs` at once. After the first
  // failure no new seed starts; the lowest failing seed wins, which is the
  // same seed whatever `jobs` is (every lower seed has run).
  std::map<pid_t, std::pair<uint64_t, Child>> running;
  std::map<uint64_t, Verdict> failures;
  uint64_t next_seed = o.first_seed;
  int64_t explored = 0;
  auto out_of_time = [&] {
    return o.time_seconds > 0 &&
           std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
               o.time_seconds;
  };
  auto progress = [&](bool final_line) {
    const std::string line = "explored " + std::to_string(explored) +
                             (o.time_seconds > 0 ? "" : "/" + std::to_string(o.seeds)) +
                             " seeds, " + std::to_string(failures.size()) + " failing, " +
                             Elapsed(start);
    if (tty) std::cerr << "\r" << line << (final_line ? "\n" : "") << std::flush;
    else if (final_line != (explored % 50 == 0)) std::cerr << line << "\n";
  };
  const std::vector<std::string> bugs = o.injected_bugs;
  for (;;) {
    const bool stop_launching = (!o.keep_going && !failures.empty()) || out_of_time() ||
                                (o.time_seconds <= 0 && next_seed > last_seed);
    while (!stop_launching && static_cast<int>(running.size()) < jobs &&
           (o.time_seconds > 0 || next_seed <= last_seed)) {
      const uint64_t seed = next_seed++;
      Child c = Spawn([seed, &bugs, &profile] {
        const Plan plan = PlanForSeed(seed, profile).value();
        return JudgeInProcess(RenderPlan(plan, seed).scenario, seed, bugs);
      });
      running.emplace(c.pid, std::make_pair(seed, c));
    }
    if (running.empty()) break;
    // Wait until some child's pipe closes: it wrote its verdict and
    // exited, or it crashed. (Replies are small, so a child never blocks
    // on the pipe.)
    std::vector<pollfd> fds;
    std::vector<pid_t> pids;
    for (auto& [pid, entry] : running) {
      fds.push_back({entry.second.fd, POLLIN, 0});
      pids.push_back(pid);
    }
    if (poll(fds.data(), fds.size(), -1) < 0 && errno != EINTR) {
      std::perror("slotsim explore: poll");
      return kExitCrash;
    }
    for (size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      auto it = running.find(pids[i]);
      const uint64_t seed = it->second.first;
      const Verdict v = Collect(it->second.second);  // reads to EOF, reaps
      running.erase(it);
      explored++;
      if (v.failed) failures.emplace(seed, v);
      progress(false);
      break;
    }
  }
  progress(true);

  nlohmann::json summary = {{"seeds_explored", explored},
                            {"failing_seeds", failures.size()},
                            {"wall_seconds", std::chrono::duration<double>(
                                                 std::chrono::steady_clock::now() - start)
                                                 .count()}};
  if (failures.empty()) {
    std::cout << "no violation in " << explored << " seeds (" << o.first_seed << ".."
              << o.first_seed + explored - 1 << ")"
              << (bugs.empty() ? "" : " with injected bugs") << ", " << Elapsed(start) << "\n";
    if (o.json) std::cout << summary.dump() << "\n";
    return kExitPass;
  }

  // Shrink the lowest failing seed.
  const auto& [seed, verdict] = *failures.begin();
  std::cout << "seed " << seed << " fails: " << verdict.violation << ": " << verdict.message
            << "\n";
  Finding f;
  f.seed = seed;
  f.verdict = verdict;
  const rc::Shrinkable<Plan> tree = PlanForSeed(seed, profile);
  f.original_fault_steps = CountFaultSteps(RenderPlan(tree.value(), seed).scenario);
  if (o.shrink_runs > 0) {
    std::cerr << "shrinking (at most " << o.shrink_runs << " runs)...\n";
    f.shrink = ShrinkPlan(tree, seed, verdict.violation, ForkedBatch(jobs, bugs), jobs,
                          o.shrink_runs, [&](const ShrinkResult& r) {
                            std::cerr << "  " << r.runs << " runs: "
                                      << CountFaultSteps(RenderPlan(r.plan, seed).scenario)
                                      << " fault steps, " << Elapsed(start) << "\n";
                          });
  } else {
    f.shrink.plan = tree.value();
  }
  const PlanScenario shrunk = RenderPlan(f.shrink.plan, seed);
  f.fault_steps = CountFaultSteps(shrunk.scenario);
  const std::string path = (fs::path(o.out_dir) / ("explore-seed-" + std::to_string(seed) +
                                                   ".textproto")).string();
  f.file_text = FindingFileText(f, path, bugs, shrunk.text);
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << f.file_text;
    out.flush();
    if (!out) {
      std::cerr << "slotsim explore: cannot write " << path << "\n";
      return kExitUsage;
    }
  }
  // The file must reproduce on its own, through the loader, as printed.
  LoadResult reloaded = ParseScenario(path, f.file_text);
  if (!reloaded.ok) {
    std::cerr << "slotsim explore: the written file does not load: " << reloaded.error << "\n";
    return kExitCrash;
  }
  const Verdict again = ForkedBatch(1, bugs)({reloaded.scenario}, seed).front();
  const bool reproduces = again.failed && again.violation == verdict.violation;
  std::cout << "shrunk from " << f.original_fault_steps << " to " << f.fault_steps
            << " fault steps in " << f.shrink.runs << " runs"
            << (f.shrink.exhausted ? " (budget used up)" : "") << "\n"
            << "wrote " << path << "\n"
            << "repro: " << ReproCommandFor(path, seed, bugs) << "\n"
            << (reproduces ? "reproduced from the file: " + again.violation
                           : "WARNING: the written file did not reproduce (got " +
                                 (again.failed ? again.violation : std::string("pass")) + ")")
            << "\n";
  if (o.json) {
    summary["finding"] = {{"seed", seed},
                          {"violation", verdict.violation},
                          {"message", verdict.message},
                          {"original_fault_steps", f.original_fault_steps},
                          {"fault_steps", f.fault_steps},
                          {"shrink_runs", f.shrink.runs},
                          {"file", path},
                          {"repro", ReproCommandFor(path, seed, bugs)},
                          {"reproduced", reproduces}};
    std::cout << summary.dump() << "\n";
  }
  return kExitViolation;
}

}  // namespace slotsim
