#include "sim/simulation.h"

#include <charconv>
#include <cstdio>

#include "engine/check.h"
#include "engine/trace_records.h"
#include "sim/sim_env.h"

namespace slotsim {

Simulation::Simulation(SimOptions options)
    : options_(std::move(options)),
      network_(*this, options_.network),
      sched_state_(std::make_unique<FiberSchedState>(
          Prng::Stream(options_.seed, "sched").Next())),
      buggify_prng_(Prng::Stream(options_.seed, "buggify")),
      disk_prng_(Prng::Stream(options_.seed, "disk")),
      trace_hash_(Fnv1a64("slotsim-trace-v1")) {
  boost::fibers::use_scheduling_algorithm<SeededFiberAlgorithm>(
      sched_state_.get());
}

Simulation::~Simulation() {
  Shutdown();
  // The algorithm points at sched_state_; hand the thread back to Boost's
  // default before that state goes away.
  boost::fibers::use_scheduling_algorithm<boost::fibers::algo::round_robin>();
}

int Simulation::AddMachine(std::string name) {
  const int idx = static_cast<int>(machines_.size());
  auto m = std::make_unique<Machine>();
  m->name = std::move(name);
  m->env = std::make_unique<SimEnv>(*this, idx, 0);
  machines_.push_back(std::move(m));
  Record(idx, MachineAddedRecord::kKind, -1, "",
         MachineAddedRecord{machines_[idx]->name}.Format());
  return idx;
}

Env& Simulation::env(int machine) {
  SLOTSIM_CHECK(machine >= 0 && machine < machine_count());
  return *machines_[machine]->env;
}

const std::string& Simulation::machine_name(int machine) const {
  SLOTSIM_CHECK(machine >= 0 && machine < machine_count());
  return machines_[machine]->name;
}

bool Simulation::machine_up(int machine) const {
  return machine >= 0 && machine < machine_count() && machines_[machine]->up;
}

SimDisk& Simulation::disk(int machine) {
  SLOTSIM_CHECK(machine >= 0 && machine < machine_count());
  return machines_[machine]->disk;
}

int Simulation::MachineAt(const std::string& host, uint16_t port) const {
  return network_.MachineAt(host, port);
}

void Simulation::Crash(int machine, bool torn_write) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(m.up);
  StopMachine(m, machine);
  // What the crash drops, for the oracle's fsync-policy bound.
  for (const SimDisk::Unsynced& u : m.disk.UnsyncedFiles()) {
    Record(machine, "DiskUnsynced", -1, "",
           DetailsWriter().Add("file", u.name).Add("since_us", u.since_us).Add("bytes", u.bytes).Take());
  }
  if (torn_write) {
    const std::string torn = m.disk.CrashTorn(disk_prng_.Next());
    Record(machine, "Crash", -1, "", DetailsWriter().Add("torn", torn.empty() ? "-" : torn).Take());
    return;
  }
  m.disk.Crash();
  Record(machine, "Crash", -1, "", "");
}

void Simulation::ExitProcess(int machine, std::string_view reason) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(m.up);
  StopMachine(m, machine);
  Record(machine, "Crash", -1, "",
         DetailsWriter().Add("cause", "exit").Add("reason", std::string(reason)).Take());
  for (const auto& listener : exit_listeners_) listener(machine);
}

void Simulation::SetDiskError(int machine, DiskOp op, int64_t duration_us, bool once) {
  SLOTSIM_CHECK(duration_us > 0);
  machines_.at(machine)->disk.SetError(op, now_us_ + duration_us, once);
  static constexpr const char* kOps[] = {"write", "fsync", "read"};
  Record(machine, "DiskFault", -1, "",
         DetailsWriter()
             .Add("op", kOps[static_cast<int>(op)])
             .Add("error", "EIO")
             .Add("duration_us", duration_us)
             .Add("once", once ? 1 : 0)
             .Take());
  Schedule(-1, duration_us, [this, machine, op] {
    Record(machine, "DiskFaultEnded", -1, "",
           DetailsWriter().Add("op", kOps[static_cast<int>(op)]).Add("error", "EIO").Take());
  });
}

void Simulation::SetDiskFull(int machine, int64_t free_bytes, int64_t duration_us) {
  SLOTSIM_CHECK(duration_us > 0 && free_bytes >= 0);
  SimDisk& disk = machines_.at(machine)->disk;
  disk.SetFullAt(disk.used_bytes() + free_bytes);
  Record(machine, "DiskFault", -1, "",
         DetailsWriter()
             .Add("op", "write")
             .Add("error", "ENOSPC")
             .Add("duration_us", duration_us)
             .Add("free_bytes", free_bytes)
             .Take());
  // Space comes back (an operator freed it) whether or not the node is up.
  Schedule(-1, duration_us, [this, machine] {
    machines_.at(machine)->disk.SetFullAt(-1);
    Record(machine, "DiskFaultEnded", -1, "", "error=ENOSPC");
  });
}

bool Simulation::DamageFile(int machine, const std::string& name, DiskDamage kind) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(!m.up);
  const std::string what = m.disk.Damage(name, kind, disk_prng_.Next());
  if (what.empty()) return false;
  Record(machine, "DiskDamaged", -1, "", DetailsWriter().Add("file", name).Add("damage", what).Take());
  return true;
}

void Simulation::StopMachine(Machine& m, int machine) {
  m.up = false;
  m.paused = false;
  m.backlog.clear();
  // A drain scheduled for the old incarnation is dropped when it fires, so
  // the flag must not outlive it (a restarted node would never drain).
  m.drain_scheduled = false;
  m.busy_until_us = 0;
  m.blocked_on = kNoConn;
  if (m.block_timeout != 0) queue_.Cancel(m.block_timeout);
  m.block_timeout = 0;
  m.crash_countdown = 0;
  m.incarnation++;  // pending events of the old incarnation are dropped
  network_.CrashMachine(machine);
}

void Simulation::Restart(int machine) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(!m.up);
  m.up = true;
  const int64_t skew = m.env->clock_offset_us();
  const int64_t drift = m.env->clock_drift_ppm();
  m.env = std::make_unique<SimEnv>(*this, machine, m.incarnation);
  m.env->set_clock_offset_us(skew);
  m.env->set_clock_drift_ppm(drift);
  Record(machine, "Restart", -1, "", "incarnation=" + std::to_string(m.incarnation));
}

void Simulation::Pause(int machine) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(m.up && !m.paused);
  m.paused = true;
  Record(machine, "Pause", -1, "", "");
}

void Simulation::Resume(int machine) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK(m.paused);
  m.paused = false;
  Record(machine, "Resume", -1, "", "queued=" + std::to_string(m.backlog.size()));
  // What queued up runs now, in the original order.
  ScheduleDrain(machine);
}

void Simulation::SetFsyncLatency(int machine, int64_t us) {
  SLOTSIM_CHECK(us >= 0);
  machines_.at(machine)->fsync_latency_us = us;
  // busy_us: how long fsyncs already charged keep the thread blocked
  // after this change (an fsync in progress is not cut short).
  Record(machine, "FsyncLatency", -1, "",
         "us=" + std::to_string(us) + " busy_us=" + std::to_string(BusyOffsetUs(machine)));
}

void Simulation::JumpClock(int machine, int64_t delta_us) {
  SimEnv& env = *machines_.at(machine)->env;
  env.set_clock_offset_us(env.clock_offset_us() + delta_us);
  Record(machine, "ClockJump", -1, "", "delta_us=" + std::to_string(delta_us) +
                                           " offset_us=" + std::to_string(env.clock_offset_us()));
}

void Simulation::SetClockDrift(int machine, int64_t ppm) {
  SLOTSIM_CHECK(ppm > -1'000'000 && ppm < 1'000'000);
  machines_.at(machine)->env->set_clock_drift_ppm(ppm);
  Record(machine, "ClockDrift", -1, "", "ppm=" + std::to_string(ppm));
}

bool Simulation::machine_paused(int machine) const {
  return machine >= 0 && machine < machine_count() && machines_[machine]->paused;
}

EventQueue::Id Simulation::Schedule(int machine, int64_t delay_us,
                                    std::function<void()> fn, uint64_t tag) {
  SLOTSIM_CHECK(delay_us >= 0);
  if (machine < 0) return queue_.Schedule(now_us_ + delay_us, std::move(fn));
  return ScheduleFor(machine, machines_.at(machine)->incarnation, delay_us,
                     std::move(fn), tag);
}

void Simulation::ArmCrash(int machine, int64_t n, std::function<void()> on_crash) {
  SLOTSIM_CHECK(n >= 1);
  Machine& m = *machines_.at(machine);
  m.crash_countdown = n;
  m.on_crash = std::move(on_crash);
}

bool Simulation::BeforeSideEffect(int machine, int inc) {
  Machine& m = *machines_.at(machine);
  if (!m.up || m.incarnation != inc) return false;
  if (m.crash_countdown > 0 && --m.crash_countdown == 0) {
    Record(machine, "CrashPoint", -1, "", "");
    auto cb = std::move(m.on_crash);
    m.on_crash = nullptr;
    Crash(machine);
    if (cb) cb();
    return false;
  }
  return true;
}

EventQueue::Id Simulation::ScheduleFor(int machine, int inc, int64_t delay_us,
                                       std::function<void()> fn, uint64_t tag) {
  SLOTSIM_CHECK(delay_us >= 0);
  return queue_.Schedule(now_us_ + delay_us,
                         [this, machine, inc, tag, fn = std::move(fn)]() mutable {
                           Dispatch(machine, inc, tag, std::move(fn));
                         });
}

bool Simulation::CanRun(const Machine& m, uint64_t tag) const {
  return !m.paused && now_us_ >= m.busy_until_us &&
         (m.blocked_on == kNoConn || tag == m.blocked_on);
}

bool Simulation::MustQueue(const Machine& m, uint64_t tag) const {
  if (!CanRun(m, tag)) return true;
  if (m.blocked_on == kNoConn) return !m.backlog.empty();
  for (const auto& [t, fn] : m.backlog)
    if (t == tag) return true;
  return false;
}

void Simulation::Dispatch(int machine, int inc, uint64_t tag,
                          std::function<void()> fn) {
  Machine& m = *machines_[machine];
  if (!m.up || m.incarnation != inc) return;
  if (MustQueue(m, tag)) {
    SLOTSIM_CHECK_MSG(m.backlog.size() < 10'000'000, "machine backlog limit");
    m.backlog.emplace_back(tag, std::move(fn));
    ScheduleDrain(machine);
    return;
  }
  fn();
}

void Simulation::ScheduleDrain(int machine) {
  Machine& m = *machines_[machine];
  if (m.drain_scheduled || m.paused || m.backlog.empty()) return;
  m.drain_scheduled = true;
  const int inc = m.incarnation;
  queue_.Schedule(std::max(now_us_, m.busy_until_us),
                  [this, machine, inc] { Drain(machine, inc); });
}

void Simulation::Drain(int machine, int inc) {
  Machine& m = *machines_[machine];
  if (!m.up || m.incarnation != inc) return;
  m.drain_scheduled = false;
  // Each pass runs at most every entry once; an entry that cannot run
  // (blocked on another connection) keeps its place.
  for (size_t i = 0; i < m.backlog.size();) {
    if (m.paused || now_us_ < m.busy_until_us) break;
    if (!CanRun(m, m.backlog[i].first)) {
      ++i;
      continue;
    }
    auto fn = std::move(m.backlog[i].second);
    m.backlog.erase(m.backlog.begin() + static_cast<std::ptrdiff_t>(i));
    fn();
    if (!m.up || m.incarnation != inc) return;
  }
  if (now_us_ < m.busy_until_us) ScheduleDrain(machine);
}

void Simulation::ChargeCpu(int machine, int64_t us) {
  SLOTSIM_CHECK(us >= 0);
  Machine& m = *machines_.at(machine);
  m.busy_until_us = std::max(m.busy_until_us, now_us_) + us;
}

int64_t Simulation::BusyOffsetUs(int machine) const {
  if (machine < 0) return 0;
  return std::max<int64_t>(0, machines_.at(machine)->busy_until_us - now_us_);
}

void Simulation::BeginBlockingRead(int machine, ConnId conn, int64_t timeout_us,
                                   std::function<void()> on_timeout) {
  Machine& m = *machines_.at(machine);
  SLOTSIM_CHECK_MSG(m.blocked_on == kNoConn, "nested blocking read");
  SLOTSIM_CHECK(conn != kNoConn && timeout_us > 0);
  m.blocked_on = conn;
  Record(machine, "BlockingRead", -1, "", "conn=" + std::to_string(conn));
  const int inc = m.incarnation;
  m.block_timeout = queue_.Schedule(
      now_us_ + BusyOffsetUs(machine) + timeout_us,
      [this, machine, inc, on_timeout = std::move(on_timeout)] {
        Machine& mm = *machines_[machine];
        if (!mm.up || mm.incarnation != inc) return;
        mm.block_timeout = 0;
        mm.blocked_on = kNoConn;
        Record(machine, "BlockingReadTimeout", -1, "", "");
        // The timeout is the blocked handler's continuation: it runs
        // before anything that queued up meanwhile.
        if (mm.paused) {
          mm.backlog.insert(mm.backlog.begin(), {kTagAny, on_timeout});
        } else {
          on_timeout();
        }
        if (mm.up && mm.incarnation == inc) ScheduleDrain(machine);
      });
}

void Simulation::EndBlockingRead(int machine) {
  Machine& m = *machines_.at(machine);
  if (m.blocked_on == kNoConn) return;
  m.blocked_on = kNoConn;
  if (m.block_timeout != 0) queue_.Cancel(m.block_timeout);
  m.block_timeout = 0;
  Record(machine, "BlockingReadEnd", -1, "", "");
  ScheduleDrain(machine);
}

void Simulation::RunReadyFibers() {
  // The main context is picked only when no worker is ready, so one yield
  // runs every ready fiber until all of them block again.
  while (sched_state_->ready_workers > 0) boost::this_fiber::yield();
}

void Simulation::RunUntil(int64_t until_us) {
  SLOTSIM_CHECK(until_us >= now_us_);
  std::function<void()> fn;
  while (true) {
    RunReadyFibers();
    int64_t t = queue_.PeekTime();
    if (t < 0 || t > until_us) break;
    int64_t at;
    SLOTSIM_CHECK(queue_.Pop(&at, &fn));
    SLOTSIM_CHECK(at >= now_us_);
    now_us_ = at;
    events_processed_++;
    SLOTSIM_CHECK_MSG(events_processed_ <= options_.events_max,
                      "event budget exhausted: livelock?");
    fn();
  }
  now_us_ = until_us;
  RunReadyFibers();
}

void Simulation::Spawn(std::string name, std::function<void()> fn) {
  SLOTSIM_CHECK(!stopping_);
  fibers_running_++;
  Record(-1, "FiberSpawn", -1, "", "name=" + name);
  fibers_.emplace_back(
      std::allocator_arg, boost::fibers::fixedsize_stack(256 * 1024),
      [this, name = std::move(name), fn = std::move(fn)] {
        try {
          fn();
        } catch (const SimulationStopped&) {
        }
        fibers_running_--;
      });
}

void Simulation::SleepUs(int64_t delay_us) {
  SimSignal done(*this);
  EventQueue::Id id = Schedule(-1, delay_us, [&done] { done.Notify(); });
  try {
    done.Wait();
  } catch (const SimulationStopped&) {
    Cancel(id);  // `done` dies with this frame
    throw;
  }
}

void Simulation::Shutdown() {
  if (stopping_ && fibers_.empty()) return;
  stopping_ = true;
  // Wake every waiter; each throws SimulationStopped and unwinds. Waking
  // one may register or unregister others, so loop on a bounded count.
  for (int round = 0; fibers_running_ > 0; ++round) {
    SLOTSIM_CHECK_MSG(round < 1000, "fibers do not stop");
    auto waiters = waiters_;
    for (auto& [id, wake] : waiters) wake();
    RunReadyFibers();
  }
  for (auto& f : fibers_)
    if (f.joinable()) f.join();
  fibers_.clear();
}

uint64_t Simulation::RegisterWaiter(std::function<void()> wake) {
  uint64_t id = next_waiter_id_++;
  waiters_.emplace(id, std::move(wake));
  return id;
}

void Simulation::UnregisterWaiter(uint64_t id) { waiters_.erase(id); }

bool Simulation::Buggify(std::string_view point) {
  if (!options_.buggify) return false;
  auto it = buggify_enabled_.find(point);
  if (it == buggify_enabled_.end()) {
    // Decided once per run per point, from the seed and the name alone, so
    // evaluation order does not matter.
    Prng p = Prng::Stream(options_.seed, std::string("buggify/") + std::string(point));
    bool on = p.Chance(options_.buggify_enable_chance);
    it = buggify_enabled_.emplace(std::string(point), on).first;
    Record(-1, "BuggifyPoint", -1, "", "point=" + std::string(point) +
                                          " enabled=" + (on ? "1" : "0"));
  }
  return it->second && buggify_prng_.Chance(options_.buggify_fire_chance);
}

void Simulation::Record(int node, std::string_view kind, int peer,
                        std::string_view msg_type, std::string details) {
  TraceRecord& r = scratch_record_;
  r.seq = next_trace_seq_++;
  r.time_us = now_us_;
  r.node = node;
  r.kind.assign(kind);
  r.peer = peer;
  r.msg_type.assign(msg_type);
  r.details = std::move(details);
  trace_hash_ = HashTraceRecord(r, trace_hash_);
  for (TraceSink* s : sinks_) s->OnTrace(r);
}

void Simulation::HitProbe(int machine, Probe probe) {
  SLOTSIM_CHECK(probe < Probe::kCount);
  SLOTSIM_CHECK(machine >= 0 && machine < machine_count());
  const auto p = static_cast<size_t>(probe);
  probe_hits_[p]++;
  if (probe_traced_.size() < machines_.size()) probe_traced_.resize(machines_.size());
  if (!probe_traced_[machine][p]) {
    probe_traced_[machine][p] = true;
    Record(machine, ProbeRecord::kKind, -1, "",
           ProbeRecord{std::string(ProbeName(probe))}.Format());
  }
  for (const auto& listener : probe_listeners_) listener(machine, probe);
}

// ---- SimSignal -------------------------------------------------------------

void SimSignal::Notify() {
  std::unique_lock<boost::fibers::mutex> lk(mu_);
  notified_ = true;
  cv_.notify_all();
}

void SimSignal::Wait() {
  if (sim_.stopping()) throw SimulationStopped{};
  uint64_t id = sim_.RegisterWaiter([this] { Notify(); });
  {
    std::unique_lock<boost::fibers::mutex> lk(mu_);
    cv_.wait(lk, [this] { return notified_; });
  }
  sim_.UnregisterWaiter(id);
  if (sim_.stopping()) throw SimulationStopped{};
}

}  // namespace slotsim
