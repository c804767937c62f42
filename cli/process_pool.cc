#include "cli/process_pool.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <vector>

#include "cli/exit_codes.h"

namespace slotsim {
namespace {

// Replies are summaries of a few hundred bytes; anything longer is cut
// (and then does not parse, which reads as a crash).
constexpr size_t kMaxChildReply = 1 << 16;

}  // namespace

ProcessPool::ProcessPool(int jobs, Done done) : jobs_(std::max(1, jobs)), done_(std::move(done)) {}

ProcessPool::~ProcessPool() { WaitAll(); }

void ProcessPool::Start(uint64_t tag, const Work& work) {
  while (static_cast<int>(running_.size()) >= jobs_) WaitOne();
  int fds[2];
  if (pipe(fds) != 0) {
    std::perror("slotsim: pipe");
    std::exit(kExitCrash);
  }
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("slotsim: fork");
    std::exit(kExitCrash);
  }
  if (pid == 0) {
    close(fds[0]);
    for (const auto& [other, c] : running_) close(c.fd);  // siblings' pipes
    const std::string line = work().dump() + "\n";
    size_t off = 0;
    while (off < line.size()) {
      const ssize_t n = write(fds[1], line.data() + off, line.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(kExitCrash);
      off += static_cast<size_t>(n);
    }
    std::fflush(nullptr);
    _exit(0);
  }
  close(fds[1]);
  running_.emplace(pid, Child{tag, fds[0], ""});
}

ChildResult ProcessPool::Collect(pid_t pid, Child& c) {
  char buf[4096];
  for (;;) {
    const ssize_t n = read(c.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (c.reply.size() < kMaxChildReply) c.reply.append(buf, static_cast<size_t>(n));
  }
  close(c.fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
  ChildResult r;
  auto j = nlohmann::json::parse(c.reply, nullptr, /*allow_exceptions=*/false);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !j.is_discarded()) {
    r.ok = true;
    r.reply = std::move(j);
    return r;
  }
  r.death = WIFSIGNALED(status) ? "killed by signal " + std::to_string(WTERMSIG(status))
                                : "exited with " + std::to_string(WEXITSTATUS(status));
  return r;
}

bool ProcessPool::WaitOne() {
  if (running_.empty()) return false;
  // A child's pipe closes when it has written its reply and exited, or
  // when it died. Replies are small, so no child blocks on its pipe.
  std::vector<pollfd> fds;
  std::vector<pid_t> pids;
  for (const auto& [pid, c] : running_) {
    fds.push_back({c.fd, POLLIN, 0});
    pids.push_back(pid);
  }
  // Bounded: each pass either reports a child or retries an EINTR.
  for (;;) {
    if (poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      std::perror("slotsim: poll");
      std::exit(kExitCrash);
    }
    break;
  }
  for (size_t i = 0; i < fds.size(); ++i) {
    if (fds[i].revents == 0) continue;
    auto it = running_.find(pids[i]);
    Child c = std::move(it->second);
    running_.erase(it);
    const ChildResult r = Collect(pids[i], c);  // reads to EOF, reaps
    done_(c.tag, r);
    return true;
  }
  return true;
}

void ProcessPool::WaitAll() {
  while (WaitOne()) {}
}

}  // namespace slotsim
