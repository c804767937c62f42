// The CLUSTER command (cluster.c clusterCommand and cluster_legacy.c
// clusterCommandSpecial). Error texts follow Redis 7.
#include <algorithm>
#include <charconv>

#include "engine/check.h"
#include "engine/cluster.h"
#include "engine/text.h"

namespace slotsim {
namespace {

bool ParseLL(const std::string& s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && p == s.data() + s.size();
}


// getSlotOrReply.
bool ParseSlot(const std::string& s, int* slot, std::string* out) {
  int64_t v;
  if (!ParseLL(s, &v) || v < 0 || v >= kClusterSlots) {
    resp::AppendError(out, "ERR Invalid or out of range slot");
    return false;
  }
  *slot = static_cast<int>(v);
  return true;
}

void WrongArity(const std::string& sub, std::string* out) {
  resp::AppendError(out, "ERR wrong number of arguments for 'cluster|" +
                             Lower(sub) + "' command");
}

}  // namespace

void Cluster::Command(const std::vector<std::string>& argv, std::string* out) {
  SLOTSIM_CHECK(argv.size() >= 2);
  const std::string sub = Lower(argv[1]);
  const size_t argc = argv.size();

  if (sub == "myid" && argc == 2) {
    resp::AppendBulk(out, myself_->name);
  } else if (sub == "nodes" && argc == 2) {
    meter_.NodeLines(nodes_.size());
    resp::AppendBulk(out, NodesDescription());
  } else if (sub == "info" && argc == 2) {
    resp::AppendBulk(out, InfoSection());
  } else if (sub == "slots" && argc == 2) {
    AppendSlotsReply(out);
  } else if (sub == "shards" && argc == 2) {
    AppendShardsReply(out);
  } else if (sub == "links" && argc == 2) {
    AppendLinksReply(out);
  } else if (sub == "keyslot" && argc == 3) {
    resp::AppendInteger(out, KeyHashSlot(argv[2]));
  } else if (sub == "countkeysinslot" && argc == 3) {
    int64_t slot;
    if (!ParseLL(argv[2], &slot) || slot < 0 || slot >= kClusterSlots) {
      resp::AppendError(out, "ERR Invalid slot");
      return;
    }
    resp::AppendInteger(out, keyspace_.CountKeysInSlot(static_cast<int>(slot)));
  } else if (sub == "getkeysinslot" && argc == 4) {
    int64_t slot, count;
    if (!ParseLL(argv[3], &count) || count < 0) {
      resp::AppendError(out, "ERR Invalid number of keys");
      return;
    }
    if (!ParseLL(argv[2], &slot) || slot < 0 || slot >= kClusterSlots) {
      resp::AppendError(out, "ERR Invalid slot");
      return;
    }
    auto keys = keyspace_.GetKeysInSlot(static_cast<int>(slot), count);
    // The array of key pointers Redis allocates for the reply; the bug
    // zoo's leak is its missing free (the Didi report in seeds/000).
    MemoryAccount::Block key_array(memory_, keys.size() * sizeof(void*));
    resp::AppendArrayHeader(out, static_cast<int64_t>(keys.size()));
    for (const auto& k : keys) resp::AppendBulk(out, k);
    if (!keys.empty() && env_.BugInjected("getkeysinslot-leak")) key_array.Leak();
  } else if (sub == "setslot" && argc >= 4) {
    CommandSetSlot(argv, out);
  } else if (sub == "forget" && argc == 3) {
    CommandForget(argv, out);
  } else if (sub == "meet" && (argc == 4 || argc == 5)) {
    int64_t port, cport;
    if (!ParseLL(argv[3], &port) || port <= 0 || port > 65535) {
      resp::AppendError(out, "ERR Invalid base port specified: " + argv[3]);
      return;
    }
    if (argc == 5) {
      if (!ParseLL(argv[4], &cport) || cport <= 0 || cport > 65535) {
        resp::AppendError(out, "ERR Invalid bus port specified: " + argv[4]);
        return;
      }
    } else {
      cport = port + 10000;
      if (cport > 65535) {
        resp::AppendError(out, "ERR Invalid base port specified: " + argv[3]);
        return;
      }
    }
    if (!StartHandshake(argv[2], static_cast<uint16_t>(port),
                        static_cast<uint16_t>(cport))) {
      resp::AppendError(out, "ERR Invalid node address specified: " +
                                 argv[2] + ":" + argv[3]);
      return;
    }
    resp::AppendSimple(out, "OK");
  } else if ((sub == "addslots" && argc >= 3) ||
             (sub == "addslotsrange" && argc >= 4)) {
    CommandAddSlots(argv, sub == "addslotsrange", /*del=*/false, out);
  } else if ((sub == "delslots" && argc >= 3) || (sub == "delslotsrange" && argc >= 4)) {
    CommandAddSlots(argv, sub == "delslotsrange", /*del=*/true, out);
  } else if ((sub == "replicas" || sub == "slaves") && argc == 3) {
    // CLUSTER REPLICAS <id>: each replica's CLUSTER NODES line.
    const ClusterNode* n = LookupNode(argv[2]);
    if (n == nullptr) {
      resp::AppendError(out, "ERR Unknown node " + argv[2]);
    } else if (!n->IsPrimary()) {
      resp::AppendError(out, "ERR The specified node is not a master");
    } else {
      std::vector<const ClusterNode*> replicas;
      for (const auto& rn : n->replica_names)
        if (const ClusterNode* r = LookupNode(rn)) replicas.push_back(r);
      resp::AppendArrayHeader(out, static_cast<int64_t>(replicas.size()));
      for (const ClusterNode* r : replicas) resp::AppendBulk(out, NodeDescription(*r));
    }
  } else if (sub == "count-failure-reports" && argc == 3) {
    ClusterNode* n = Lookup(argv[2]);
    if (n == nullptr) resp::AppendError(out, "ERR Unknown node " + argv[2]);
    else resp::AppendInteger(out, CountFailureReports(n));
  } else if (sub == "replicate" && argc == 3) {
    ClusterNode* n = Lookup(argv[2]);
    if (n == nullptr) {
      resp::AppendError(out, "ERR Unknown node " + argv[2]);
    } else if (n == myself_) {
      resp::AppendError(out, "ERR Can't replicate myself");
    } else if (n->IsReplica()) {
      resp::AppendError(out, "ERR I can only replicate a master, not a replica.");
    } else if (myself_->IsPrimary() &&
               (myself_->numslots != 0 || keyspace_.size() != 0)) {
      resp::AppendError(out, "ERR To set a master the node must be empty and "
                             "without assigned slots.");
    } else {
      SetMyPrimary(n);
      TraceNodeEvent("ReplicateCommand", *n);
      resp::AppendSimple(out, "OK");
    }
  } else if (sub == "failover" && argc <= 3) {
    CommandFailover(argv, out);
  } else if (sub == "reset" && (argc == 2 || argc == 3)) {
    const std::string mode = argc == 3 ? Lower(argv[2]) : "soft";
    if (mode != "soft" && mode != "hard") {
      resp::AppendError(out, "ERR syntax error");
      return;
    }
    if (myself_->IsPrimary() && keyspace_.size() != 0) {
      resp::AppendError(out, "ERR CLUSTER RESET can't be called with master nodes containing keys");
      return;
    }
    Reset(mode == "hard");
    resp::AppendSimple(out, "OK");
  } else if (sub == "bumpepoch" && argc == 2) {
    // Not during an atomic migration's hand-off: a bump now would put my
    // epoch at or above the target's claim of the batch. The server
    // postpones the command until the hand-off's answer
    // (WaitsForFrozenEpoch); a caller that gets here anyway is refused.
    if (const std::string job = ConfigEpochFrozenBy(); !job.empty()) {
      resp::AppendError(out, ConfigEpochFrozenError(job));
      return;
    }
    bool bumped = BumpConfigEpochWithoutConsensus();
    resp::AppendSimple(out, std::string(bumped ? "BUMPED " : "STILL ") +
                                std::to_string(myself_->config_epoch));
  } else if (sub == "set-config-epoch" && argc == 3) {
    int64_t epoch;
    if (!ParseLL(argv[2], &epoch) || epoch < 0) {
      resp::AppendError(out, "ERR Invalid config epoch specified: " + argv[2]);
    } else if (nodes_.size() > 1) {
      resp::AppendError(out, "ERR The user can assign a config epoch only "
                             "when the node does not know any other node.");
    } else if (myself_->config_epoch != 0) {
      resp::AppendError(out, "ERR Node config epoch is already non-zero");
    } else {
      myself_->config_epoch = static_cast<uint64_t>(epoch);
      if (current_epoch_ < myself_->config_epoch)
        current_epoch_ = myself_->config_epoch;
      todo_update_state_ = true;
      TodoSave(true);
      resp::AppendSimple(out, "OK");
    }
  } else {
    static const char* kKnown[] = {
        "myid", "nodes", "info", "slots", "shards", "keyslot",
        "countkeysinslot", "getkeysinslot", "meet", "addslots",
        "addslotsrange", "replicate", "set-config-epoch", "failover", "bumpepoch",
        "replicas", "slaves", "count-failure-reports", "delslots", "delslotsrange"};
    if (std::find(std::begin(kKnown), std::end(kKnown), sub) !=
        std::end(kKnown)) {
      WrongArity(argv[1], out);
    } else {
      resp::AppendError(out, "ERR unknown subcommand '" + argv[1] +
                                 "'. Try CLUSTER HELP.");
    }
  }
}

// CLUSTER ADDSLOTS slot... / ADDSLOTSRANGE start end... (and with `del`,
// DELSLOTS / DELSLOTSRANGE): every argument is checked before any slot
// changes, so an error changes nothing.
void Cluster::CommandAddSlots(const std::vector<std::string>& argv, bool ranges, bool del,
                              std::string* out) {
  if (ranges && argv.size() % 2 != 0) {
    WrongArity(argv[1], out);
    return;
  }
  std::vector<int> requested;
  if (ranges) {
    for (size_t j = 2; j + 1 < argv.size(); j += 2) {
      int a, b;
      if (!ParseSlot(argv[j], &a, out) || !ParseSlot(argv[j + 1], &b, out))
        return;
      if (a > b) {
        resp::AppendError(out, "ERR start slot number " + std::to_string(a) +
                                   " is greater than end slot number " +
                                   std::to_string(b));
        return;
      }
      for (int s = a; s <= b; ++s) requested.push_back(s);
    }
  } else {
    for (size_t j = 2; j < argv.size(); ++j) {
      int s;
      if (!ParseSlot(argv[j], &s, out)) return;
      requested.push_back(s);
    }
  }
  std::vector<uint8_t> seen(kClusterSlots, 0);
  for (int s : requested) {
    if (!del && slots_[s] != nullptr) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) + " is already busy");
      return;
    }
    if (del && slots_[s] == nullptr) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) + " is already unassigned");
      return;
    }
    if (seen[s]++) {
      resp::AppendError(out, "ERR Slot " + std::to_string(s) +
                                 " specified multiple times");
      return;
    }
  }
  if (del) {
    for (int s : requested) SLOTSIM_CHECK(DelSlot(s));
    todo_update_state_ = true;
  } else {
    for (int s : requested) SLOTSIM_CHECK(AddSlot(myself_, s));
  }
  TodoSave(false);
  env_.Trace({del ? "SlotsDeleted" : "SlotsAdded", "", "",
              "count=" + std::to_string(requested.size())});
  resp::AppendSimple(out, "OK");
}

}  // namespace slotsim
