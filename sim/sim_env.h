// The Env of one simulated machine: the engine's view of the simulator.
#pragma once

#include <string>

#include "engine/env.h"
#include "sim/disk.h"
#include "sim/prng.h"

namespace slotsim {

class Simulation;

class SimEnv : public Env {
 public:
  SimEnv(Simulation& sim, int machine, int incarnation);

  int machine() const { return machine_; }
  // Skews this machine's clock (NowMs/NowUs only; timers keep elapsed
  // time, as a monotonic event loop would).
  void set_clock_offset_us(int64_t offset) { clock_offset_us_ = offset; }
  // The offset now, drift included.
  int64_t clock_offset_us() const;
  // The clock runs `ppm` parts per million fast (negative: slow) from now
  // on; what earlier drift accumulated stays in the offset.
  void set_clock_drift_ppm(int64_t ppm);
  int64_t clock_drift_ppm() const { return drift_ppm_; }

  int64_t NowMs() override;
  // The simulated network takes every Send at once (its links have no send
  // window), so nothing ever waits in a send buffer: always 0.
  size_t UnsentBytes(ConnId) const override { return 0; }
  int64_t NowUs() override;
  TimerId AddTimer(int64_t delay_ms, std::string_view name,
                   std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;
  void SetNetHandler(NetHandler* handler) override;
  bool Listen(uint16_t port) override;
  void Unlisten(uint16_t port) override;
  ConnId Connect(const std::string& host, uint16_t port) override;
  void Send(ConnId conn, std::string_view bytes,
            std::string_view label) override;
  void Close(ConnId conn) override;
  IoStatus WriteFile(const std::string& name, std::string_view data) override;
  IoStatus AppendFile(const std::string& name, std::string_view data) override;
  IoStatus SyncFile(const std::string& name) override;
  IoStatus RenameFile(const std::string& from, const std::string& to) override;
  IoStatus SyncDir() override;
  IoStatus DeleteFile(const std::string& name) override;
  IoStatus ReadFile(const std::string& name, std::string* data) override;
  void Exit(std::string_view reason) override;
  uint64_t Random() override { return prng_.Next(); }
  void Trace(const TraceEvent& event) override;
  bool TraceEnabled() const override { return true; }
  void HitProbe(Probe probe) override;
  bool Buggify(std::string_view point) override;
  bool BugInjected(std::string_view name) override;
  void ChargeCpu(int64_t us) override;
  void Sleep(int64_t us) override { ChargeCpu(us); }
  void BeginBlockingRead(ConnId conn, int64_t timeout_ms,
                         std::function<void()> on_timeout) override;
  void EndBlockingRead() override;

 private:
  // False once this incarnation of the machine is dead: a crashed
  // process's handler may still be running, and must have no effect.
  bool Alive() const;
  // Alive, and not killed by an armed crash at this side effect.
  bool SideEffect();
  // The injected fault a disk call meets (traced as DiskError), or kOk.
  IoStatus DiskFault(DiskOp op, std::string_view call, const std::string& name,
                     int64_t grows_by);

  Simulation& sim_;
  const int machine_;
  const int incarnation_;
  Prng prng_;
  int64_t clock_offset_us_ = 0;
  int64_t drift_ppm_ = 0;
  int64_t drift_since_us_ = 0;  // simulated time the current drift began
};

}  // namespace slotsim
