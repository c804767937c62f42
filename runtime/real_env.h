// The Env of real mode: Boost.Asio sockets, files in a data directory with
// real fsync and rename, the steady clock and timers, all on one event-loop
// thread (the io_context's), as Redis runs. The engine code is the same as
// in simulation; only this class differs.
#pragma once

#include <array>
#include <utility>  // before asio: Boost 1.74's awaitable.hpp needs std::exchange

#include <boost/asio.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>

#include "engine/env.h"
#include "sim/trace.h"

namespace slotsim {

class RealEnv : public Env {
 public:
  struct Options {
    std::string data_dir;          // must exist; every file lives here
    std::string bind_host = "127.0.0.1";  // listeners bind this address
    TraceSink* trace = nullptr;    // off (nullptr) by default
    // Called by Exit with Redis's log line before the process exits with
    // status 1 (the node's log writes it); optional.
    std::function<void(std::string_view)> on_exit;
  };
  // Everything runs on `io`'s thread; the caller runs io.run().
  RealEnv(boost::asio::io_context& io, Options options);
  ~RealEnv() override;
  RealEnv(const RealEnv&) = delete;
  RealEnv& operator=(const RealEnv&) = delete;

  // Closes every listener, connection and timer (a clean shutdown); no
  // callback follows.
  void Shutdown();

  int64_t NowMs() override;
  size_t UnsentBytes(ConnId conn) const override;
  int64_t NowUs() override;
  TimerId AddTimer(int64_t delay_ms, std::string_view name, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;

  void SetNetHandler(NetHandler* handler) override { handler_ = handler; }
  bool Listen(uint16_t port) override;
  void Unlisten(uint16_t port) override;
  ConnId Connect(const std::string& host, uint16_t port) override;
  void Send(ConnId conn, std::string_view bytes, std::string_view label) override;
  void Close(ConnId conn) override;

  IoStatus WriteFile(const std::string& name, std::string_view data) override;
  IoStatus AppendFile(const std::string& name, std::string_view data) override;
  IoStatus SyncFile(const std::string& name) override;
  IoStatus RenameFile(const std::string& from, const std::string& to) override;
  IoStatus SyncDir() override;
  IoStatus DeleteFile(const std::string& name) override;
  IoStatus ReadFile(const std::string& name, std::string* data) override;
  // Calls Options::on_exit, writes `reason` to stderr and exits(1).
  [[noreturn]] void Exit(std::string_view reason) override;

  uint64_t Random() override { return rng_(); }

  void Trace(const TraceEvent& event) override;
  bool TraceEnabled() const override { return options_.trace != nullptr; }
  // Counted only: a live server has no run to report them to.
  void HitProbe(Probe probe) override { probe_hits_[static_cast<size_t>(probe)]++; }
  // Hits per probe since this Env started (index: Probe).
  const std::array<int64_t, kProbeCount>& probe_hits() const { return probe_hits_; }

  // Simulation-only: never in real mode.
  bool Buggify(std::string_view) override { return false; }
  bool BugInjected(std::string_view) override { return false; }
  // The work itself takes the time here.
  void ChargeCpu(int64_t) override {}
  void Sleep(int64_t us) override;
  void BeginBlockingRead(ConnId conn, int64_t timeout_ms, std::function<void()> on_timeout) override;
  void EndBlockingRead() override;

  size_t connection_count() const { return conns_.size(); }

 private:
  struct Conn;
  // Runs `fn`, an event of `conn` (kNoConn for timers and accepts), now or,
  // while a blocking read holds the loop on another connection or older
  // events still wait, after them, in order.
  void Dispatch(ConnId conn, std::function<void()> fn);
  // Posts one DrainWaiting if events wait and none is posted yet.
  void ScheduleDrain();
  void DrainWaiting();
  void Accept(uint16_t port);
  void StartRead(ConnId id);
  void StartWrite(ConnId id);
  // Forgets `id`; with `notify`, tells the handler (the peer went away).
  void Drop(ConnId id, const std::string& reason, bool notify);
  std::string Path(const std::string& name) const;
  int AppendFd(const std::string& name);
  void CloseAppendFd(const std::string& name);

  boost::asio::io_context& io_;
  const Options options_;
  NetHandler* handler_ = nullptr;
  std::mt19937_64 rng_;
  std::map<uint16_t, std::unique_ptr<boost::asio::ip::tcp::acceptor>> listeners_;
  std::map<ConnId, std::shared_ptr<Conn>> conns_;  // handlers hold a copy
  std::map<TimerId, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::map<std::string, int> append_fds_;  // open O_APPEND descriptors
  ConnId next_conn_ = 1;
  TimerId next_timer_ = 1;
  int64_t trace_seq_ = 0;
  std::array<int64_t, kProbeCount> probe_hits_{};
  // The blocking read (BeginBlockingRead) and the events it holds back.
  ConnId blocked_conn_ = kNoConn;
  std::unique_ptr<boost::asio::steady_timer> block_timer_;
  std::deque<std::pair<ConnId, std::function<void()>>> waiting_;
  bool drain_posted_ = false;
  bool shut_down_ = false;
};

}  // namespace slotsim
