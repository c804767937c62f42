#include "scenarios/sim_cluster.h"

#include "client/cluster_create.h"
#include "engine/check.h"
#include "properties/convergence.h"

namespace slotsim {

SimCluster::SimCluster(const scenario::Scenario& s, uint64_t seed, bool buggify,
                       const std::vector<TraceSink*>& sinks,
                       const std::vector<std::string>& injected_bugs)
    : scenario_(s) {
  SimOptions so;
  so.seed = seed;
  so.buggify = buggify;
  so.injected_bugs = injected_bugs;
  so.network.link_latency_min_us = s.network().link_latency_min_us();
  so.network.link_latency_max_us = s.network().link_latency_max_us();
  so.network.jitter_mean_us = s.network().jitter_mean_us();
  sim_ = std::make_unique<Simulation>(so);
  for (TraceSink* sink : sinks) sim_->AddTraceSink(sink);
  std::string bugs;
  for (const auto& b : injected_bugs) bugs += (bugs.empty() ? " injected_bugs=" : ",") + b;
  sim_->Record(-1, "RunStart", -1, "",
               "scenario=" + s.name() + " seed=" + std::to_string(seed) + bugs);

  const auto& topo = s.topology();
  const int members = topo.primaries() * (1 + topo.replicas_per_primary());
  const int nodes = members + topo.spare_nodes();
  for (int i = 0; i < nodes; ++i) {
    member_.push_back(i < members);
    int m = sim_->AddMachine("node" + std::to_string(i));
    SLOTSIM_CHECK(m == i);
    EngineConfig cfg = ConfigFor(i);
    addrs_.push_back(cfg.announce_ip + ":" + std::to_string(cfg.port));
    servers_.push_back(std::make_unique<Server>(sim_->env(m), cfg));
    SLOTSIM_CHECK_MSG(servers_.back()->Start(), "node port already taken");
  }
  // A node that exits (Env::Exit: an error Redis does not survive) is
  // freed once its handler returns; a restart step brings it back.
  sim_->AddExitListener([this](int machine) {
    if (machine >= static_cast<int>(servers_.size())) return;
    sim_->Schedule(-1, 0, [this, machine] {
      if (!sim_->machine_up(machine)) servers_[machine].reset();
    });
  });
  int am = sim_->AddMachine("admin");
  ClientOptions co;
  co.seeds = addrs_;
  admin_ = std::make_unique<ClusterClient>(*sim_, am, -1, co, nullptr);

  const auto& w = s.workload();
  WorkloadOptions wo;
  wo.clients = w.clients();
  wo.ops_per_sec = w.ops_per_sec();
  wo.keyspace = w.keyspace();
  wo.value_bytes = w.value_bytes();
  wo.mix = OpMix{w.mix().get(), w.mix().set(), w.mix().incr(),
                 w.mix().hset(), w.mix().hget(), w.mix().del(), w.mix().hdel()};
  wo.wait_replicas = w.wait_replicas();
  wo.start_us = w.start_ms() * 1000;
  wo.end_us = w.end_ms() * 1000;
  wo.client.seeds = addrs_;
  workload_ = std::make_unique<Workload>(*sim_, wo, &history_);
}

scenario::Scenario MakeHaScenario(int primaries, int replicas, int64_t node_timeout_ms,
                                  int clients) {
  scenario::Scenario s;
  s.set_name("ha");
  s.mutable_topology()->set_primaries(primaries);
  s.mutable_topology()->set_replicas_per_primary(replicas);
  s.mutable_topology()->set_base_port(7000);
  s.mutable_engine()->set_node_timeout_ms(node_timeout_ms);
  s.mutable_engine()->set_require_full_coverage(true);
  s.mutable_engine()->set_allow_reads_when_down(false);
  s.mutable_network()->set_link_latency_min_us(50);
  s.mutable_network()->set_link_latency_max_us(400);
  s.mutable_network()->set_jitter_mean_us(30);
  auto* w = s.mutable_workload();
  w->set_clients(clients);
  w->set_ops_per_sec(100);
  w->set_keyspace(200);
  w->set_value_bytes(8);
  w->mutable_mix()->set_get(50);
  w->mutable_mix()->set_set(50);
  w->set_end_ms(3'600'000);
  s.set_duration_ms(3'600'000);
  return s;
}

bool SimCluster::Settled() const {
  std::string why;
  if (!bootstrap_done_ || !ClusterConverged(LiveClusters(), &why)) return false;
  for (int i = 0; i < node_count(); ++i)
    if (up(i) && member_[i] && servers_[i]->cluster().myself().IsReplica() &&
        !servers_[i]->replication().link_up())
      return false;
  return true;
}

ClusterClient& SimCluster::NewAdminClient() {
  const int n = static_cast<int>(step_admins_.size());
  const int m = sim_->AddMachine("admin" + std::to_string(n + 1));
  ClientOptions co;
  co.seeds = addrs_;
  // redis-cli --cluster reads its replies without a timeout (a blocking
  // hiredis context); MIGRATE's own timeout (60 s) bounds the longest
  // wait, so a source blocked by a big key is waited for, as redis-cli
  // waits for it.
  co.request_timeout_ms = kAdminRequestTimeoutMs;
  step_admins_.push_back(std::make_unique<ClusterClient>(*sim_, m, -2 - n, co, nullptr));
  return *step_admins_.back();
}

SimCluster::~SimCluster() {
  // Fibers reference the clients: stop them before anything is freed.
  sim_->Shutdown();
}

AofFsync AofFsyncOf(const scenario::EngineSettings& engine) {
  switch (engine.appendfsync()) {
    case scenario::EngineSettings::ALWAYS: return AofFsync::kAlways;
    case scenario::EngineSettings::NO: return AofFsync::kNo;
    default: return AofFsync::kEverySec;
  }
}

EngineConfig SimCluster::ConfigFor(int i) const {
  EngineConfig c;
  c.announce_ip = "127.0.0.1";
  c.port = static_cast<uint16_t>(scenario_.topology().base_port() + i);
  c.node_timeout_ms = scenario_.engine().node_timeout_ms();
  c.require_full_coverage = scenario_.engine().require_full_coverage();
  c.allow_reads_when_down = scenario_.engine().allow_reads_when_down();
  const auto& cost = scenario_.engine().cost();
  if (cost.has_command_ns()) c.cost.command_ns = cost.command_ns();
  if (cost.has_io_ns_per_kib()) c.cost.io_ns_per_kib = cost.io_ns_per_kib();
  if (cost.has_serialize_ns_per_kib()) c.cost.serialize_ns_per_kib = cost.serialize_ns_per_kib();
  if (cost.has_load_ns_per_kib()) c.cost.load_ns_per_kib = cost.load_ns_per_kib();
  if (cost.has_node_line_ns()) c.cost.node_line_ns = cost.node_line_ns();
  if (cost.has_serialize_ns_per_element())
    c.cost.serialize_ns_per_element = cost.serialize_ns_per_element();
  if (cost.has_load_ns_per_element()) c.cost.load_ns_per_element = cost.load_ns_per_element();
  if (cost.has_free_ns_per_element()) c.cost.free_ns_per_element = cost.free_ns_per_element();
  c.appendonly = scenario_.engine().appendonly();
  c.appendfsync = AofFsyncOf(scenario_.engine());
  return c;
}

int SimCluster::IndexOf(const std::string& name) const {
  for (int i = 0; i < node_count(); ++i)
    if (servers_[i] && servers_[i]->cluster().myself().name == name) return i;
  return -1;
}

std::vector<const Cluster*> SimCluster::LiveClusters() const {
  std::vector<const Cluster*> out;
  for (int i = 0; i < node_count(); ++i)
    if (up(i) && member_[i]) out.push_back(&servers_[i]->cluster());
  return out;
}

std::vector<const Server*> SimCluster::LiveMembers() const {
  std::vector<const Server*> out;
  for (int i = 0; i < node_count(); ++i)
    if (up(i) && member_[i]) out.push_back(servers_[i].get());
  return out;
}

void SimCluster::StartActors(std::string* bootstrap_error) {
  const auto& topo = scenario_.topology();
  if (topo.bootstrap() == scenario::Topology::CREATE) {
    CreateClusterPlan plan;
    const int members = topo.primaries() * (1 + topo.replicas_per_primary());
    plan.primaries.assign(addrs_.begin(), addrs_.begin() + topo.primaries());
    plan.replicas.assign(addrs_.begin() + topo.primaries(), addrs_.begin() + members);
    sim_->Spawn("admin-create", [this, plan, bootstrap_error] {
      *bootstrap_error = RunCreateCluster(*sim_, *admin_, plan);
      if (!bootstrap_error->empty())
        sim_->Record(-1, "AdminFailed", -1, "", "error=" + *bootstrap_error);
      bootstrap_done_ = true;
    });
  } else {
    bootstrap_done_ = true;
  }
  workload_->Start();
}

void SimCluster::Crash(int i, bool torn_write) {
  SLOTSIM_CHECK(servers_.at(i) != nullptr);
  sim_->Crash(i, torn_write);
  servers_[i].reset();
}

void SimCluster::CrashAtSideEffect(int i, int64_t n, std::function<void()> then) {
  SLOTSIM_CHECK(up(i));
  sim_->ArmCrash(i, n, [this, i, then = std::move(then)] {
    // We are inside node i's own handler: free it once that returns.
    sim_->Schedule(-1, 0, [this, i] { servers_[i].reset(); });
    if (then) then();
  });
}

bool SimCluster::Restart(int i) {
  SLOTSIM_CHECK(!sim_->machine_up(i));
  servers_.at(i).reset();
  sim_->Restart(i);
  servers_[i] = std::make_unique<Server>(sim_->env(i), ConfigFor(i));
  if (servers_[i]->Start()) return true;
  // What the disk holds stops the start (a corrupt or unreadable
  // nodes.conf or log): the process exits, as redis-server does, and
  // stays down until a later restart.
  std::string why = servers_[i]->start_error();
  sim_->ExitProcess(i, why);
  servers_[i].reset();
  return false;
}

}  // namespace slotsim
