#include "client/workload.h"

#include "engine/check.h"
#include "engine/keyslot.h"

namespace slotsim {

Workload::Workload(Simulation& sim, WorkloadOptions options, OpHistory* history)
    : sim_(sim), options_(std::move(options)), history_(history) {
  SLOTSIM_CHECK(options_.clients >= 0 && options_.clients <= 10000);
  SLOTSIM_CHECK(options_.keyspace > 0);
  SLOTSIM_CHECK(options_.clients == 0 || options_.mix.total() > 0);
  for (int i = 0; i < options_.clients; ++i) {
    int m = sim_.AddMachine("client" + std::to_string(i));
    machines_.push_back(m);
    clients_.push_back(std::make_unique<ClusterClient>(
        sim_, m, i, options_.client, history_));
  }
}

void Workload::Start() {
  for (int i = 0; i < options_.clients; ++i)
    sim_.Spawn("client" + std::to_string(i), [this, i] { RunClient(i); });
}

void Workload::RunClient(int i) {
  Prng prng = sim_.Stream("workload/" + std::to_string(i));
  ClusterClient& client = *clients_[i];
  const double per_client_rate = options_.ops_per_sec / options_.clients;
  const double mean_gap_us = 1e6 / per_client_rate;
  if (sim_.now_us() < options_.start_us)
    sim_.SleepUs(options_.start_us - sim_.now_us());
  int64_t seq = 0;
  // Bounded by end_us: every iteration sleeps a positive gap.
  while (true) {
    sim_.SleepUs(1 + static_cast<int64_t>(prng.Exponential(mean_gap_us)));
    if (sim_.now_us() > options_.end_us) return;
    const std::string key = "key:" + std::to_string(prng.Below(options_.keyspace));
    int pick = static_cast<int>(prng.Below(options_.mix.total()));
    const OpMix& m = options_.mix;
    std::vector<std::string> argv;
    // Values are unique per client and sequence, so a checker can tell
    // which write a read observed.
    std::string value = "c" + std::to_string(i) + "-" + std::to_string(seq++);
    if (static_cast<int>(value.size()) < options_.value_bytes)
      value.append(options_.value_bytes - value.size(), '.');
    if ((pick -= m.get) < 0) {
      argv = {"GET", key};
    } else if ((pick -= m.set) < 0) {
      argv = {"SET", key, value};
    } else if ((pick -= m.incr) < 0) {
      argv = {"INCR", key + ":n"};
    } else if ((pick -= m.hset) < 0) {
      argv = {"HSET", key + ":h", "f" + std::to_string(prng.Below(4)), value};
    } else if ((pick -= m.hget) < 0) {
      argv = {"HGET", key + ":h", "f" + std::to_string(prng.Below(4))};
    } else if ((pick -= m.del) < 0) {
      argv = {"DEL", key};
    } else {
      argv = {"HDEL", key + ":h", "f" + std::to_string(prng.Below(4))};
    }
    const RespValue reply = client.Execute(argv, argv[1]);
    if (options_.wait_replicas > 0 && argv[0] == "SET" &&
        reply.type == RespValue::Type::kSimple && client.last_op_id() >= 0) {
      const std::string& node = client.SlotOwner(KeyHashSlot(argv[1]));
      if (node.empty()) continue;
      const RespValue w = client.ExecuteOn(
          node, {"WAIT", std::to_string(options_.wait_replicas),
                 std::to_string(options_.wait_timeout_ms)});
      if (w.type == RespValue::Type::kInteger && history_ != nullptr)
        history_->SetWaitReplicas(client.last_op_id(), static_cast<int>(w.integer));
    }
  }
}

}  // namespace slotsim
