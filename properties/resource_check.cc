#include "properties/resource_check.h"

#include <algorithm>

namespace slotsim {
namespace {
constexpr size_t kViolationsMax = 20;
constexpr int64_t kCronPeriodMs = 1000;  // serverCron and clusterCron

std::string Name(const Server* s) {
  const ClusterNode& me = s->cluster().myself();
  return me.ip + ":" + std::to_string(me.port);
}
}  // namespace

int64_t QuietNeededUs(const EngineConfig& config) {
  // PFAIL gossip stops a node_timeout after the last missed pong at most;
  // its reports expire 2 x node_timeout later. Idle sockets close within
  // their TTL plus a cron period.
  const int64_t reports_ms = 3 * config.node_timeout_ms + kCronPeriodMs;
  const int64_t sockets_ms = config.migrate_socket_ttl_ms + 2 * kCronPeriodMs;
  return std::max(reports_ms, sockets_ms) * 1000;
}

std::vector<Violation> CheckResourcesReleased(const std::vector<const Server*>& live,
                                              const std::set<std::string>& running,
                                              const ConnectionOpenFn& connection_open,
                                              int64_t quiet_us, int64_t now_us) {
  std::vector<Violation> out;
  auto report = [&](const std::string& message) {
    if (out.size() < kViolationsMax) out.push_back({"resources-released", message, now_us});
  };
  for (const Server* s : live) {
    if (!running.count(s->cluster().myself().name)) continue;  // paused: its events wait
    for (const auto& [conn, what] : s->HeldConnections())
      if (!connection_open(*s, conn))
        report(Name(s) + " keeps state for connection " + std::to_string(conn) + " (" + what +
               "), which is closed");
  }
  if (live.empty() || quiet_us < QuietNeededUs(live.front()->config())) return out;
  for (const Server* s : live) {
    if (!running.count(s->cluster().myself().name)) continue;  // paused: its cron is stopped
    const std::string me = Name(s);
    for (const auto& [name, count] : s->cluster().FreshFailureReports()) {
      if (!running.count(name)) continue;
      const ClusterNode* n = s->cluster().LookupNode(name);
      report(me + " still holds " + std::to_string(count) + " valid failure report(s) about " +
             (n ? n->ip + ":" + std::to_string(n->port) : name) + ", which is up and running, " +
             std::to_string(quiet_us / 1000) + " ms into a quiet stretch");
    }
    for (const auto& why : s->StrandedClients()) report(me + ": " + why);
    const int64_t ttl_ms = s->config().migrate_socket_ttl_ms + kCronPeriodMs;
    for (const auto& [addr, idle_ms] : s->migrator().IdleSockets(ttl_ms))
      report(me + " still caches a MIGRATE socket to " + addr + " idle for " +
             std::to_string(idle_ms) + " ms (TTL " +
             std::to_string(s->config().migrate_socket_ttl_ms) + " ms)");
    for (const auto& [id, job] : s->slot_migrations().jobs())
      if (!job.Finished())
        report(me + " still has slot migration job " + id + " in state " + StateName(job.state));
  }
  return out;
}

std::vector<Violation> CheckNoMemoryLeak(const std::vector<const Server*>& live,
                                         const std::set<std::string>& running, int64_t quiet_us,
                                         int64_t now_us) {
  std::vector<Violation> out;
  auto report = [&](const Server* s, MemoryKind kind, const std::string& why) {
    if (out.size() >= kViolationsMax) return;
    const auto& st = s->memory().stats(kind);
    out.push_back({"no-memory-leak",
                   "node " + Name(s) + " holds " + std::to_string(st.bytes) + " bytes of " +
                       std::string(MemoryKindName(kind)) + " (" + std::to_string(st.holders) +
                       " holder(s), peak " + std::to_string(st.peak_bytes) + ") " + why,
                   now_us});
  };
  const bool quiet = !live.empty() && quiet_us >= QuietNeededUs(live.front()->config());
  for (const Server* s : live) {
    if (!running.count(s->cluster().myself().name)) continue;
    const MemoryAccount& m = s->memory();
    if (m.transient_bytes() != 0)
      report(s, MemoryKind::kTemporary,
             "after the run (" + std::to_string(m.allocations()) +
                 " allocations): a command's temporary allocation was never freed");
    const int64_t backlog_max = 2 * s->config().repl_backlog_bytes;
    if (m.stats(MemoryKind::kReplBacklog).bytes > backlog_max)
      report(s, MemoryKind::kReplBacklog,
             "above twice repl_backlog_bytes (" + std::to_string(backlog_max) + ")");
    if (!quiet) continue;
    for (MemoryKind k : {MemoryKind::kMigrateKeys, MemoryKind::kSlotChunks,
                         MemoryKind::kHeldReplies, MemoryKind::kMigrateSocket})
      if (m.stats(k).bytes != 0)
        report(s, k, std::to_string(quiet_us / 1000) +
                         " ms into a quiet stretch, when nothing is in flight");
  }
  return out;
}

}  // namespace slotsim
