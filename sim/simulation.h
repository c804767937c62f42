// The deterministic simulator: a virtual clock that jumps from event to
// event, machines with their own Env, network and disk, and fibers for
// sequential actors (clients, admin drivers, fault schedules).
//
// Everything runs on the calling OS thread. One seed fixes every draw:
// latencies, fiber interleavings, buggify choices and each machine's
// randomness, through named PRNG streams.
#pragma once

#include <array>
#include <boost/fiber/all.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/env.h"
#include "sim/disk.h"
#include "sim/event_queue.h"
#include "sim/fiber_scheduler.h"
#include "sim/network.h"
#include "sim/prng.h"
#include "sim/trace.h"

namespace slotsim {

class SimEnv;

// Thrown inside a fiber's wait when the simulation shuts down; the fiber
// wrapper catches it. Never catch it elsewhere.
struct SimulationStopped {};

struct SimOptions {
  uint64_t seed = 1;
  NetworkOptions network;
  // FoundationDB-style buggify: each named point is enabled for the whole
  // run with `buggify_enable_chance`, then fires with `buggify_fire_chance`
  // per evaluation. Off entirely when `buggify` is false.
  bool buggify = true;
  double buggify_enable_chance = 0.25;
  double buggify_fire_chance = 0.05;
  // What machine clocks read at simulated time 0: a fixed Unix time
  // (2023-11-14T22:13:20Z), because engine code, like Redis, treats 0 as
  // "never" (e.g. the first election's retry check).
  int64_t clock_epoch_us = 1'700'000'000'000'000;
  // Known bugs switched back on for this run (engine/bug_zoo.h).
  std::vector<std::string> injected_bugs;
  // A run that executes more events than this aborts: a livelock guard.
  int64_t events_max = 200'000'000;
};

class Simulation {
 public:
  explicit Simulation(SimOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const SimOptions& options() const { return options_; }
  uint64_t seed() const { return options_.seed; }
  int64_t now_us() const { return now_us_; }

  // ---- Machines -------------------------------------------------------------
  // Adds a machine (a node or a client host) and returns its index.
  int AddMachine(std::string name);
  int machine_count() const { return static_cast<int>(machines_.size()); }
  Env& env(int machine);
  const std::string& machine_name(int machine) const;
  bool machine_up(int machine) const;
  SimDisk& disk(int machine);
  // Power loss: the machine's timers and pending deliveries vanish, its
  // connections reset (peers see OnClosed), its listeners close and its
  // disk loses unsynced data. The caller destroys the engine object.
  // `torn_write`: the disk keeps unsynced appends but cuts the last one at
  // a seeded byte (SimDisk::CrashTorn), as a power cut mid-write-back does.
  void Crash(int machine, bool torn_write = false);
  // The process exits (Env::Exit): as Crash, but the disk keeps every
  // write (the OS did not go down). Traced as a Crash record with
  // cause=exit and the reason, so every checker sees the node go down;
  // exit listeners run after it (inside the node's handler: they may only
  // schedule work).
  void ExitProcess(int machine, std::string_view reason);
  using ExitListener = std::function<void(int machine)>;
  void AddExitListener(ExitListener listener) { exit_listeners_.push_back(std::move(listener)); }
  // Disk faults for `duration_us` (> 0): calls of kind `op` fail with EIO
  // (SimDisk::SetError), or the files may grow by `free_bytes` more before
  // writes fail with ENOSPC. Traced as DiskFault, and DiskFaultEnded when
  // the window closes (a `once` fault may end earlier, at its one error).
  void SetDiskError(int machine, DiskOp op, int64_t duration_us, bool once);
  void SetDiskFull(int machine, int64_t free_bytes, int64_t duration_us);
  // Damages a file on a crashed machine's disk; traced as DiskDamaged.
  // False if there was nothing to damage.
  bool DamageFile(int machine, const std::string& name, DiskDamage kind);
  // Brings a crashed machine back with a fresh Env incarnation; the caller
  // creates a new engine over the same disk.
  void Restart(int machine);
  // Freezes a machine (SIGSTOP): its timers and arriving messages queue
  // up, in order, until Resume; its peers see nothing but silence.
  void Pause(int machine);
  // Thaws a paused machine: everything that queued up runs now, in the
  // order it would have run.
  void Resume(int machine);
  bool machine_paused(int machine) const;
  // Disk fault: every fsync of the machine (file or directory) takes this
  // long on its thread (0: instant). The thread blocks in fsync, as
  // Redis's main thread does with appendfsync always.
  void SetFsyncLatency(int machine, int64_t us);
  int64_t fsync_latency_us(int machine) const { return machines_.at(machine)->fsync_latency_us; }
  // Clock fault: the machine's clock jumps by delta_us (either way).
  // Timers keep counting elapsed time, as a monotonic event loop would.
  void JumpClock(int machine, int64_t delta_us);
  // Clock fault: the machine's clock runs `ppm` parts per million fast
  // (negative: slow) from now on; 0 stops the drift. Kept across restarts.
  void SetClockDrift(int machine, int64_t ppm);
  // Arms a crash of `machine` just before its `n`-th side effect from now
  // (n >= 1): a send, connect, close or disk mutation. The side effect
  // does not happen; the process dies mid-handler, and its Env goes inert
  // for the rest of that handler. `on_crash` runs right after the crash
  // (the owner must destroy the engine later, not from inside it).
  void ArmCrash(int machine, int64_t n, std::function<void()> on_crash);
  // Called by SimEnv before each side effect; false if the machine just
  // crashed (or is dead) and the side effect must be skipped.
  bool BeforeSideEffect(int machine, int incarnation);
  // A crash is armed on the machine and has not landed yet.
  bool crash_armed(int machine) const { return machines_.at(machine)->crash_countdown > 0; }
  int incarnation(int machine) const { return machines_.at(machine)->incarnation; }
  // Like Schedule, for a given incarnation (stale ones never run).
  EventQueue::Id ScheduleFor(int machine, int incarnation, int64_t delay_us,
                             std::function<void()> fn, uint64_t tag = kTagAny);
  // ---- The single-thread cost model ----------------------------------------
  // What an event of a machine is for, so that a machine blocked on one
  // connection can still take that connection's events: the receiving
  // ConnId, kTagTimer for timers, kTagAny for the rest.
  static constexpr uint64_t kTagAny = 0;
  static constexpr uint64_t kTagTimer = ~uint64_t{0};
  // The machine's thread works for `us` more microseconds: its events wait
  // until then and what it sends leaves then (Env::ChargeCpu).
  void ChargeCpu(int machine, int64_t us);
  // How far the machine's thread is ahead of the clock: 0 when idle.
  int64_t BusyOffsetUs(int machine) const;
  // Env::BeginBlockingRead / EndBlockingRead for `machine`.
  void BeginBlockingRead(int machine, ConnId conn, int64_t timeout_us,
                         std::function<void()> on_timeout);
  void EndBlockingRead(int machine);
  // Machine index listening on host:port, or -1.
  int MachineAt(const std::string& host, uint16_t port) const;

  // ---- Events ---------------------------------------------------------------
  // Runs `fn` after `delay_us` if the machine is still the same incarnation
  // (machine -1: always). Returns an id for Cancel.
  EventQueue::Id Schedule(int machine, int64_t delay_us,
                          std::function<void()> fn, uint64_t tag = kTagAny);
  void Cancel(EventQueue::Id id) { queue_.Cancel(id); }
  // Runs events and fibers until simulated time `until_us` (inclusive) or
  // until nothing is left to do. The clock ends at until_us.
  void RunUntil(int64_t until_us);
  int64_t events_processed() const { return events_processed_; }

  // ---- Fibers ---------------------------------------------------------------
  // Starts a fiber. It runs when the event loop next yields, in seeded
  // order among ready fibers.
  void Spawn(std::string name, std::function<void()> fn);
  // From a fiber: waits `delay_us` of simulated time.
  void SleepUs(int64_t delay_us);
  // Wakes every waiting fiber with SimulationStopped and joins them all.
  // Idempotent; the destructor calls it.
  void Shutdown();
  bool stopping() const { return stopping_; }

  // ---- Randomness, buggify, tracing ----------------------------------------
  Prng Stream(std::string_view name) const {
    return Prng::Stream(options_.seed, name);
  }
  bool Buggify(std::string_view point);
  void AddTraceSink(TraceSink* sink) { sinks_.push_back(sink); }
  // Records an event stamped with the current time.
  void Record(int node, std::string_view kind, int peer,
              std::string_view msg_type, std::string details);
  uint64_t trace_hash() const { return trace_hash_; }

  // ---- Code probes (engine/probes.h) ----------------------------------------
  // Env::HitProbe of `machine`: counts the hit, traces a "Probe" record
  // the first time each probe fires on each machine in this run, then
  // tells every listener (inside the machine's handler: a listener may
  // arm a crash or schedule work, but must not destroy the engine).
  void HitProbe(int machine, Probe probe);
  using ProbeListener = std::function<void(int machine, Probe probe)>;
  void AddProbeListener(ProbeListener listener) {
    probe_listeners_.push_back(std::move(listener));
  }
  // Hits per probe in this run, over all machines (index: Probe).
  const std::array<int64_t, kProbeCount>& probe_hits() const { return probe_hits_; }
  int64_t trace_events() const { return next_trace_seq_; }

  SimNetwork& network() { return network_; }

  // ---- Fiber waits (used by SimSignal) -------------------------------------
  uint64_t RegisterWaiter(std::function<void()> wake);
  void UnregisterWaiter(uint64_t id);

 private:
  struct Machine {
    std::string name;
    int incarnation = 0;
    bool up = true;
    bool paused = false;
    // The thread is busy until then (ChargeCpu).
    int64_t busy_until_us = 0;
    int64_t fsync_latency_us = 0;
    // Blocked in a synchronous read on this connection (kNoConn: not).
    ConnId blocked_on = kNoConn;
    EventQueue::Id block_timeout = 0;
    // Events that came due while the machine could not take them (paused,
    // busy, blocked), in due order, with their tags.
    std::vector<std::pair<uint64_t, std::function<void()>>> backlog;
    bool drain_scheduled = false;
    int64_t crash_countdown = 0;  // > 0: armed
    std::function<void()> on_crash;
    SimDisk disk;
    std::unique_ptr<SimEnv> env;
  };
  void RunReadyFibers();
  // What Crash and ExitProcess share: the process is gone.
  void StopMachine(Machine& m, int machine);
  // Whether the machine's thread can take an event with `tag` now.
  bool CanRun(const Machine& m, uint64_t tag) const;
  // Whether an event with `tag` must queue behind the backlog to keep
  // per-connection order.
  bool MustQueue(const Machine& m, uint64_t tag) const;
  void Dispatch(int machine, int inc, uint64_t tag, std::function<void()> fn);
  // Runs what the backlog can run now, in order; reschedules itself for
  // when the thread is free again.
  void ScheduleDrain(int machine);
  void Drain(int machine, int inc);

  SimOptions options_;
  int64_t now_us_ = 0;
  EventQueue queue_;
  int64_t events_processed_ = 0;
  std::vector<std::unique_ptr<Machine>> machines_;
  SimNetwork network_;
  std::unique_ptr<FiberSchedState> sched_state_;
  std::vector<boost::fibers::fiber> fibers_;
  int fibers_running_ = 0;
  bool stopping_ = false;
  std::map<uint64_t, std::function<void()>> waiters_;  // id order: deterministic
  uint64_t next_waiter_id_ = 1;
  Prng buggify_prng_;
  // Seeds torn writes and file damage.
  Prng disk_prng_;
  std::map<std::string, bool, std::less<>> buggify_enabled_;
  std::vector<TraceSink*> sinks_;
  uint64_t trace_hash_;
  int64_t next_trace_seq_ = 0;
  TraceRecord scratch_record_;
  std::array<int64_t, kProbeCount> probe_hits_{};
  // (machine, probe) pairs already traced: the first hit only.
  std::vector<std::array<bool, kProbeCount>> probe_traced_;
  std::vector<ProbeListener> probe_listeners_;
  std::vector<ExitListener> exit_listeners_;
};

// A one-shot signal a fiber waits on and an event (or another fiber) sets.
class SimSignal {
 public:
  explicit SimSignal(Simulation& sim) : sim_(sim) {}
  // Wakes the waiter (now or when it starts waiting). Idempotent.
  void Notify();
  // Blocks the calling fiber until Notify. Throws SimulationStopped if the
  // simulation shuts down first.
  void Wait();
  bool notified() const { return notified_; }

 private:
  Simulation& sim_;
  bool notified_ = false;
  boost::fibers::mutex mu_;
  boost::fibers::condition_variable cv_;
};

}  // namespace slotsim
