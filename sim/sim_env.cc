#include "sim/sim_env.h"

#include "engine/trace_records.h"
#include "sim/simulation.h"

namespace slotsim {

SimEnv::SimEnv(Simulation& sim, int machine, int incarnation)
    : sim_(sim), machine_(machine), incarnation_(incarnation),
      prng_(sim.Stream("machine/" + std::to_string(machine) + "/" +
                       std::to_string(incarnation))) {}

// A busy thread's clock has moved on by the work it did (the cost model).
int64_t SimEnv::NowUs() {
  return sim_.options().clock_epoch_us + sim_.now_us() +
         sim_.BusyOffsetUs(machine_) + clock_offset_us();
}

int64_t SimEnv::clock_offset_us() const {
  if (drift_ppm_ == 0) return clock_offset_us_;
  return clock_offset_us_ + (sim_.now_us() - drift_since_us_) * drift_ppm_ / 1'000'000;
}

void SimEnv::set_clock_drift_ppm(int64_t ppm) {
  clock_offset_us_ = clock_offset_us();
  drift_ppm_ = ppm;
  drift_since_us_ = sim_.now_us();
}
int64_t SimEnv::NowMs() { return NowUs() / 1000; }

bool SimEnv::Alive() const {
  return sim_.machine_up(machine_) && sim_.incarnation(machine_) == incarnation_;
}

bool SimEnv::SideEffect() { return sim_.BeforeSideEffect(machine_, incarnation_); }

TimerId SimEnv::AddTimer(int64_t delay_ms, std::string_view name,
                         std::function<void()> fn) {
  SLOTSIM_CHECK(delay_ms >= 0);
  std::string label(name);
  return sim_.ScheduleFor(machine_, incarnation_,
                          delay_ms * 1000 + sim_.BusyOffsetUs(machine_),
                          [this, label, fn = std::move(fn)] {
                            sim_.Record(machine_, "Timer", -1, label, "");
                            fn();
                          },
                          Simulation::kTagTimer);
}

void SimEnv::CancelTimer(TimerId id) { sim_.Cancel(id); }

void SimEnv::SetNetHandler(NetHandler* handler) {
  if (Alive()) sim_.network().SetHandler(machine_, handler);
}
bool SimEnv::Listen(uint16_t port) {
  return Alive() && sim_.network().Listen(machine_, port);
}
void SimEnv::Unlisten(uint16_t port) {
  if (Alive()) sim_.network().Unlisten(machine_, port);
}
ConnId SimEnv::Connect(const std::string& host, uint16_t port) {
  // A dead process's connect goes nowhere; the id is never used again.
  if (!SideEffect()) return ~ConnId{0};
  return sim_.network().Connect(machine_, host, port);
}
void SimEnv::Send(ConnId conn, std::string_view bytes, std::string_view label) {
  if (SideEffect()) sim_.network().Send(machine_, conn, bytes, label);
}
void SimEnv::Close(ConnId conn) {
  if (SideEffect()) sim_.network().Close(machine_, conn);
}

// A dead process's disk calls "succeed" with no effect: nobody is left to
// see the result.
IoStatus SimEnv::DiskFault(DiskOp op, std::string_view call, const std::string& name,
                           int64_t grows_by) {
  // The node's own time: a call made after busy work (a sleep, an fsync's
  // latency) meets the disk as it is when the thread gets there.
  const IoStatus st =
      sim_.disk(machine_).Fault(op, sim_.now_us() + sim_.BusyOffsetUs(machine_), grows_by);
  if (st != IoStatus::kOk) {
    sim_.Record(machine_, "DiskError", -1, call,
                DetailsWriter().Add("file", name).Add("error", IoStatusText(st)).Take());
  }
  return st;
}

IoStatus SimEnv::WriteFile(const std::string& name, std::string_view data) {
  if (!SideEffect()) return IoStatus::kOk;
  SimDisk& disk = sim_.disk(machine_);
  const int64_t grows = static_cast<int64_t>(data.size()) - disk.size_of(name);
  if (IoStatus st = DiskFault(DiskOp::kWrite, "write", name, grows); st != IoStatus::kOk) {
    // open(O_TRUNC) worked and write(2) did not: the file is left empty
    // (a full disk; an EIO may leave anything, and empty is one choice).
    disk.Write(name, "", sim_.now_us());
    return st;
  }
  disk.Write(name, data, sim_.now_us());
  return IoStatus::kOk;
}
IoStatus SimEnv::AppendFile(const std::string& name, std::string_view data) {
  if (!SideEffect()) return IoStatus::kOk;
  if (IoStatus st = DiskFault(DiskOp::kWrite, "append", name, static_cast<int64_t>(data.size()));
      st != IoStatus::kOk)
    return st;  // all or nothing (Env's contract)
  sim_.disk(machine_).Append(name, data, sim_.now_us());
  return IoStatus::kOk;
}
IoStatus SimEnv::SyncFile(const std::string& name) {
  if (!SideEffect()) return IoStatus::kOk;
  if (const int64_t lat = sim_.fsync_latency_us(machine_); lat > 0) sim_.ChargeCpu(machine_, lat);
  if (IoStatus st = DiskFault(DiskOp::kSync, "fsync", name, 0); st != IoStatus::kOk) return st;
  return sim_.disk(machine_).SyncFile(name) ? IoStatus::kOk : IoStatus::kNotFound;
}
IoStatus SimEnv::RenameFile(const std::string& from, const std::string& to) {
  if (!SideEffect()) return IoStatus::kOk;
  if (IoStatus st = DiskFault(DiskOp::kWrite, "rename", from, 0); st != IoStatus::kOk) return st;
  return sim_.disk(machine_).Rename(from, to) ? IoStatus::kOk : IoStatus::kNotFound;
}
IoStatus SimEnv::SyncDir() {
  if (!SideEffect()) return IoStatus::kOk;
  if (const int64_t lat = sim_.fsync_latency_us(machine_); lat > 0) sim_.ChargeCpu(machine_, lat);
  if (IoStatus st = DiskFault(DiskOp::kSync, "fsync", ".", 0); st != IoStatus::kOk) return st;
  sim_.disk(machine_).SyncDir();
  return IoStatus::kOk;
}
IoStatus SimEnv::DeleteFile(const std::string& name) {
  if (!SideEffect()) return IoStatus::kOk;
  return sim_.disk(machine_).Delete(name) ? IoStatus::kOk : IoStatus::kNotFound;
}
IoStatus SimEnv::ReadFile(const std::string& name, std::string* data) {
  data->clear();
  if (!Alive()) return IoStatus::kNotFound;
  std::optional<std::string> content = sim_.disk(machine_).Read(name);
  if (!content) return IoStatus::kNotFound;
  if (IoStatus st = DiskFault(DiskOp::kRead, "read", name, 0); st != IoStatus::kOk) return st;
  *data = std::move(*content);
  return IoStatus::kOk;
}

void SimEnv::Exit(std::string_view reason) {
  if (Alive()) sim_.ExitProcess(machine_, reason);
}

void SimEnv::Trace(const TraceEvent& e) {
  if (!Alive()) return;
  int peer = -1;
  if (!e.peer_addr.empty()) {
    auto colon = e.peer_addr.rfind(':');
    if (colon != std::string_view::npos) {
      int port = 0;
      for (char c : e.peer_addr.substr(colon + 1))
        port = (c >= '0' && c <= '9' && port < 70000) ? port * 10 + (c - '0') : port;
      peer = sim_.MachineAt(std::string(e.peer_addr.substr(0, colon)),
                            static_cast<uint16_t>(port));
    }
  }
  sim_.Record(machine_, e.kind, peer, e.msg_type, e.details);
}

void SimEnv::HitProbe(Probe probe) {
  if (Alive()) sim_.HitProbe(machine_, probe);
}

void SimEnv::ChargeCpu(int64_t us) {
  if (Alive() && us > 0) sim_.ChargeCpu(machine_, us);
}
void SimEnv::BeginBlockingRead(ConnId conn, int64_t timeout_ms,
                               std::function<void()> on_timeout) {
  if (Alive()) sim_.BeginBlockingRead(machine_, conn, timeout_ms * 1000, std::move(on_timeout));
}
void SimEnv::EndBlockingRead() {
  if (Alive()) sim_.EndBlockingRead(machine_);
}

bool SimEnv::Buggify(std::string_view point) { return sim_.Buggify(point); }

bool SimEnv::BugInjected(std::string_view name) {
  for (const auto& b : sim_.options().injected_bugs)
    if (b == name) return true;
  return false;
}

}  // namespace slotsim
