// nodes.conf: the durable cluster config (clusterSaveConfig,
// clusterLoadConfig). Same line format as Redis's, so the file reads like
// one: a CLUSTER NODES line per node, then
// "vars currentEpoch <n> lastVoteEpoch <n>".
//
// Saved as temp file -> fsync -> rename -> (fsync dir). Without the
// directory fsync the rename is only in the page cache, and the simulator's
// disk drops it on a crash, exactly as a real one could.
#include <algorithm>
#include <charconv>
#include <sstream>

#include "engine/check.h"
#include "engine/cluster.h"
#include "engine/config_command.h"
#include "engine/text.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

constexpr const char* kConfigFile = "nodes.conf";
constexpr const char* kConfigTemp = "nodes.conf.tmp";

bool ParseU64(std::string_view s, uint64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}


}  // namespace

bool Cluster::SaveConfig(bool fsync) {
  const IoStatus st = WriteConfig(fsync);
  if (st == IoStatus::kOk) return true;
  env_.Trace({"ConfigSaveFailed", "", "", DetailsWriter().Add("error", IoStatusText(st)).Take()});
  env_.Exit("Fatal: can't update cluster config file.");
  return false;
}

IoStatus Cluster::WriteConfig(bool fsync) {
  // clusterSaveConfig clears the pending save, and the pending fsync when
  // it syncs: a vote's own synced save must not be followed by a second
  // one in AfterEvent (explore migration seed 1001: two saves of two
  // fsyncs each kept a node blind for 8 s on a slow disk). Unlike Redis,
  // a save without fsync leaves a pending fsync request standing.
  if (fsync || !todo_fsync_) todo_save_ = false;
  if (fsync) todo_fsync_ = false;
  std::string content;
  content.reserve(last_config_bytes_ + 256);
  size_t lines = 0;
  for (const ClusterNode* n : NodesInOrder()) {  // nodes_'s order, without the tree walk
    if (n->InHandshake()) continue;
    AppendNodeDescription(*n, &content);
    content += '\n';
    ++lines;
  }
  content += "vars currentEpoch " + std::to_string(current_epoch_) +
             " lastVoteEpoch " + std::to_string(last_vote_epoch_) + "\n";
  last_config_bytes_ = content.size();
  // clusterGenNodesDescription, then the write(2) of the whole file.
  meter_.NodeLines(lines);
  meter_.Io(content.size());
  IoStatus st = env_.WriteFile(kConfigTemp, content);
  // The temp file's contents are synced before every rename, even when the
  // caller does not ask for durability. Redis 7.2's clusterSaveConfig(0)
  // renames an unsynced temp file over nodes.conf (7.0.15 rewrites the
  // file in place, unsynced, which a crash can tear); on a filesystem that
  // does not flush data on rename-over (ext4's auto_da_alloc does), any
  // later directory sync (an AOF rewrite here) makes the new name durable
  // before its contents, and a crash leaves an empty nodes.conf: the node
  // restarts as a stranger with currentEpoch 0. Found by `slotsim explore`;
  // the bug-zoo switch brings 7.2's order back. Without `fsync` the save
  // may still be lost as a whole (the old file stays), never emptied. The
  // price is an fsync per save where Redis has none: a SETSLOT costs about
  // 10x Redis's (bench/reshard_vs_redis.py).
  const bool sync_contents = fsync || !env_.BugInjected("config-rename-without-fsync");
  if (st == IoStatus::kOk && sync_contents) st = env_.SyncFile(kConfigTemp);
  if (st == IoStatus::kOk) st = env_.RenameFile(kConfigTemp, kConfigFile);
  if (st == IoStatus::kOk && fsync) st = env_.SyncDir();
  if (st != IoStatus::kOk) return st;
  // The epochs saved: what a node that exits before its next save comes
  // back with (properties/epoch_checker.h).
  env_.Trace({"ConfigSaved", "", "",
              DetailsWriter()
                  .Add("fsync", fsync ? 1 : 0)
                  .Add("current_epoch", static_cast<int64_t>(current_epoch_))
                  .Add("last_vote_epoch", static_cast<int64_t>(last_vote_epoch_))
                  .Take()});
  return IoStatus::kOk;
}

bool Cluster::LoadConfig(std::string* error) {
  std::string content;
  const IoStatus st = env_.ReadFile(kConfigFile, &content);
  if (st != IoStatus::kOk && st != IoStatus::kNotFound) {
    // clusterLoadConfig treats only ENOENT as a first start and exits on
    // any other error. (7.0.15 checks fopen only; an fgets error mid-file
    // ends its loop as EOF would, and a half-read config loads. Any read
    // error stops the start here.)
    if (!env_.BugInjected("unreadable-nodes-conf-first-start")) {
      *error = std::string("Loading the cluster node config from ") + kConfigFile + ": " +
               IoStatusText(st);
      return false;
    }
    content.clear();
  }
  if (content.empty()) return true;  // first start (missing, or zero-length)
  started_from_config_ = true;
  std::istringstream in(content);
  std::string line;
  int lineno = 0;
  auto fail = [&](const std::string& why) {
    // clusterLoadConfig's fmterr, with where and why.
    *error = "Unrecoverable error: corrupted cluster config file (" + std::string(kConfigFile) +
             ":" + std::to_string(lineno) + ": " + why + ").";
    nodes_by_name_.clear();
    nodes_.clear();
    nodes_in_order_stale_ = true;
    myself_ = nullptr;
    std::fill(slots_.begin(), slots_.end(), nullptr);
    migrating_slots_to_.clear();
    importing_slots_from_.clear();
    return false;
  };
  std::vector<std::pair<ClusterNode*, std::string>> replica_of;
  std::vector<std::pair<int, std::string>> open_slots;  // (line, token)
  // Bounded by the file's lines.
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    auto argv = SplitFields(line, ' ');
    // A line of spaces only: no save writes one (found by the loader
    // fuzzer; Redis's sdssplitargs gives argc 0 and reads argv[0] anyway).
    if (argv.empty()) return fail("a line without fields");
    if (argv[0] == "vars") {
      for (size_t j = 1; j + 1 < argv.size(); j += 2) {
        uint64_t v;
        if (!ParseU64(argv[j + 1], &v)) return fail("bad value for " + argv[j]);
        if (argv[j] == "currentEpoch") current_epoch_ = v;
        else if (argv[j] == "lastVoteEpoch") last_vote_epoch_ = v;
        else return fail("unknown var " + argv[j]);
      }
      continue;
    }
    if (argv.size() < 8) return fail("node line has fewer than 8 fields");
    if (!IsValidNodeName(argv[0])) return fail("bad node id");
    if (Lookup(argv[0]) != nullptr) return fail("duplicate node id");
    // ip:port@cport[,hostname] (clusterLoadConfig).
    std::string addr = argv[1];
    std::string hostname;
    if (size_t comma = addr.find(','); comma != std::string::npos) {
      hostname = addr.substr(comma + 1);
      addr.resize(comma);
      if (!AnnouncedHostnameError(hostname).empty()) return fail("bad hostname " + hostname);
    }
    size_t at = addr.rfind('@'), colon = addr.rfind(':', at);
    uint64_t port, cport;
    if (at == std::string::npos || colon == std::string::npos ||
        !ParseU64(std::string_view(addr).substr(colon + 1, at - colon - 1), &port) ||
        !ParseU64(std::string_view(addr).substr(at + 1), &cport) || port > 65535 ||
        cport > 65535)
      return fail("bad address " + addr);
    uint32_t flags = 0;
    for (const auto& f : SplitFields(argv[2], ',')) {
      if (f == "myself") flags |= kNodeMyself;
      else if (f == "master") flags |= kNodePrimary;
      else if (f == "slave") flags |= kNodeReplica;
      else if (f == "fail?") flags |= kNodePfail;
      else if (f == "fail") flags |= kNodeFail;
      else if (f == "handshake") flags |= kNodeHandshake;
      else if (f == "noaddr") flags |= kNodeNoAddr;
      else if (f == "nofailover") flags |= kNodeNoFailover;
      else if (f != "noflags") return fail("unknown flag " + f);
    }
    uint64_t epoch;
    if (!ParseU64(argv[6], &epoch)) return fail("bad config epoch");
    // An address that cannot be one (Redis keeps NET_IP_STR_LEN bytes of
    // anything): bytes that are not printable ASCII would go out in every
    // ping and fail the bus's protobuf parse at each receiver (found by
    // the loader fuzzer).
    const std::string ip = addr.substr(0, colon);
    if (ip.size() > 46 ||
        !std::all_of(ip.begin(), ip.end(), [](unsigned char c) { return c > ' ' && c < 0x7f; }))
      return fail("bad address " + addr);
    ClusterNode* n = CreateNode(argv[0], flags);
    n->ip = ip;
    n->port = static_cast<uint16_t>(port);
    n->cport = static_cast<uint16_t>(cport);
    n->hostname = std::move(hostname);
    n->config_epoch = epoch;
    if (n->Failed()) n->fail_time_ms = env_.NowMs();
    if (flags & kNodeMyself) {
      if (myself_ != nullptr) return fail("two lines say myself");
      myself_ = n;
    }
    if (argv[3] != "-") {
      if (!IsValidNodeName(argv[3])) return fail("bad primary id");
      replica_of.emplace_back(n, argv[3]);
    }
    for (size_t j = 8; j < argv.size(); ++j) {
      if (argv[j][0] == '[') {  // my open slots, resolved below
        if (!(flags & kNodeMyself)) return fail("open slot on a line not myself");
        open_slots.emplace_back(lineno, argv[j]);
        continue;
      }
      size_t dash = argv[j].find('-');
      uint64_t a, b;
      if (dash == std::string::npos) {
        if (!ParseU64(argv[j], &a)) return fail("bad slot " + argv[j]);
        b = a;
      } else if (!ParseU64(std::string_view(argv[j]).substr(0, dash), &a) ||
                 !ParseU64(std::string_view(argv[j]).substr(dash + 1), &b)) {
        return fail("bad slot range " + argv[j]);
      }
      if (a > b || b >= kClusterSlots) return fail("bad slot range " + argv[j]);
      for (uint64_t s = a; s <= b; ++s)
        if (!AddSlot(n, static_cast<int>(s))) return fail("slot claimed twice");
    }
  }
  if (myself_ == nullptr) return fail("no line says myself");
  for (auto& [replica, primary_name] : replica_of) {
    ClusterNode* p = Lookup(primary_name);
    if (p == nullptr) p = CreateNode(primary_name, 0);  // as Redis does
    replica->primary_name = p->name;
    AddReplica(p, replica);
  }
  for (const auto& [slot_lineno, token] : open_slots) {
    lineno = slot_lineno;
    if (!LoadOpenSlot(token)) return fail("bad open slot " + token);
  }
  // Timestamps do not survive a restart; links are made afresh.
  todo_update_state_ = true;
  return true;
}

}  // namespace slotsim
