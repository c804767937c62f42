// The seam between the cluster engine and the world (LevelDB's Env,
// FoundationDB's INetwork).
//
// The engine reads time, draws randomness, talks to the network, touches
// its disk and emits trace events only through an Env. sim/SimEnv backs it
// with a virtual clock, simulated links and a simulated disk; a RealEnv
// (runtime/) backs it with sockets, files and the steady clock. Nothing in
// engine/ may reach the OS any other way (tests/lint_determinism.sh).
//
// Threading contract: every Env method and every callback an Env makes is
// on the node's single event-loop thread (one OS thread for a whole
// simulation). Callbacks are never made re-entrantly from inside an Env
// call: Send, Connect, Close and AddTimer only schedule work.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/probes.h"

namespace slotsim {

using ConnId = uint64_t;
using TimerId = uint64_t;
constexpr ConnId kNoConn = 0;
constexpr TimerId kNoTimer = 0;

// Receives every network event of one Env. The engine node (or a client)
// installs exactly one handler and dispatches on the ConnId.
class NetHandler {
 public:
  virtual ~NetHandler() = default;
  // A peer connected to one of our listening ports. `conn` is ready for
  // Send at once. `peer_host` is the peer's address as the network sees it.
  virtual void OnAccept(uint16_t local_port, ConnId conn,
                        const std::string& peer_host) = 0;
  // An outbound Connect completed; Send may have been called already (bytes
  // queued before the connection completed are delivered in order).
  virtual void OnConnected(ConnId conn) = 0;
  // Bytes arrived on `conn`, in the order the peer sent them. Boundaries
  // between calls carry no meaning (a stream, like TCP).
  virtual void OnData(ConnId conn, std::string_view bytes) = 0;
  // The connection is gone: closed by the peer, reset, refused or timed
  // out. No further callbacks for `conn` follow, and `conn` must not be
  // used again. Not called for a connection this side closed itself.
  virtual void OnClosed(ConnId conn, std::string_view reason) = 0;
};

// One structured trace event (FoundationDB style: CamelCase kind plus
// key=value details). The Env stamps time, node and sequence number.
struct TraceEvent {
  std::string_view kind;      // e.g. "StateChange", "ClusterStateOk"
  // The peer's client address "ip:port" where one applies, else empty.
  // The simulator maps it to a node index.
  std::string_view peer_addr;
  std::string_view msg_type;  // e.g. "PING" for bus messages, else empty
  std::string details;        // "key=value key=value"
};

// How a disk call went: errno's answers, narrowed to those the engine
// tells apart. Anything else a real disk says is kIoError.
enum class IoStatus : uint8_t {
  kOk = 0,
  kNotFound,    // ENOENT
  kIoError,     // EIO, and any errno not named here
  kNoSpace,     // ENOSPC, EDQUOT
  kPermission,  // EACCES, EPERM
  kReadOnly,    // EROFS
};
// strerror(3)'s words for `status` ("Input/output error"), so that the
// engine's messages read like Redis's.
const char* IoStatusText(IoStatus status);

class Env {
 public:
  virtual ~Env() = default;

  // ---- Clock and timers ---------------------------------------------------
  // Milliseconds on this node's clock (Redis's mstime()). May jump when the
  // simulator injects clock faults; never use it to order events.
  virtual int64_t NowMs() = 0;
  // Microseconds on this node's clock, same epoch as NowMs().
  virtual int64_t NowUs() = 0;
  // Runs `fn` once after `delay_ms` of elapsed (monotonic) time. `name`
  // labels the timer in traces. Returns an id for CancelTimer, never
  // kNoTimer. delay_ms >= 0.
  virtual TimerId AddTimer(int64_t delay_ms, std::string_view name,
                           std::function<void()> fn) = 0;
  // Cancels a pending timer; a timer that already fired or was cancelled
  // is ignored.
  virtual void CancelTimer(TimerId id) = 0;

  // ---- Network ------------------------------------------------------------
  // Installs the handler for all network events of this Env. Must be called
  // before Listen or Connect; the handler must outlive the Env's use.
  virtual void SetNetHandler(NetHandler* handler) = 0;
  // Starts accepting connections on `port`. Returns false if the port is
  // taken.
  virtual bool Listen(uint16_t port) = 0;
  // Stops accepting on `port`; established connections stay.
  virtual void Unlisten(uint16_t port) = 0;
  // Starts connecting to host:port. Returns the new connection's id; the
  // outcome arrives as OnConnected or OnClosed.
  virtual ConnId Connect(const std::string& host, uint16_t port) = 0;
  // Queues bytes for delivery, in order, to the peer of `conn`. `label`
  // names the message in traces (e.g. "PING"); it does not travel. Sending
  // on a closed connection is a no-op.
  virtual void Send(ConnId conn, std::string_view bytes,
                    std::string_view label) = 0;
  // Closes `conn`. Bytes already queued are still delivered, then the peer
  // sees OnClosed. No callbacks for `conn` reach this side afterwards.
  virtual void Close(ConnId conn) = 0;
  // Bytes Send queued on `conn` that this side has not yet handed to the
  // network: the user-space send buffer, which grows once the peer stops
  // reading and the kernel's buffers are full (Redis's link->sndbuf). 0
  // for an unknown or closed connection.
  virtual size_t UnsentBytes(ConnId conn) const = 0;

  // ---- Disk (one flat directory per node) ---------------------------------
  // Every mutation is visible to reads at once but survives a crash only
  // after SyncFile (contents) and SyncDir (names): POSIX's contract, which
  // the simulator enforces strictly. Every call says how it went as an
  // IoStatus; the simulator injects the failures a real disk has (EIO,
  // ENOSPC) and RealEnv reports the real ones, so the engine's error paths
  // run in both (tests/env_contract_test.cc runs the same cases on both).
  //
  // Creates or truncates `name` and writes `data`. On failure the file
  // may exist with any prefix of `data` (a temp file the caller drops).
  virtual IoStatus WriteFile(const std::string& name, std::string_view data) = 0;
  // Appends all of `data` to `name`, creating it if needed. All or
  // nothing: on failure the file keeps its old length (a short write is
  // cut back off, as flushAppendOnlyFile's ftruncate does).
  virtual IoStatus AppendFile(const std::string& name, std::string_view data) = 0;
  // fsync(2) of the file's contents. kNotFound if it does not exist. On
  // failure what was written since the last successful sync is not
  // durable (a later successful SyncFile makes it so).
  virtual IoStatus SyncFile(const std::string& name) = 0;
  // rename(2): atomically replaces `to`. kNotFound if `from` does not
  // exist; on any failure both names are as they were.
  virtual IoStatus RenameFile(const std::string& from, const std::string& to) = 0;
  // fsync(2) of the directory: makes creations, renames and deletions
  // durable. On failure none of them is known to be.
  virtual IoStatus SyncDir() = 0;
  // unlink(2). kNotFound if `name` did not exist (callers that only want
  // it gone may treat that as success).
  virtual IoStatus DeleteFile(const std::string& name) = 0;
  // The whole file into `*data`. kNotFound if it does not exist (a first
  // start); any other failure leaves `*data` empty, never a partial read.
  virtual IoStatus ReadFile(const std::string& name, std::string* data) = 0;

  // ---- Process ------------------------------------------------------------
  // The process gives up, as Redis's exit(1) after an error it cannot
  // recover from (a config it cannot save, an fsync that failed under
  // appendfsync always). `reason` is Redis's log line. Real mode logs it
  // and exits with status 1; this call does not return there. The
  // simulator ends the node's incarnation (a process exit, not a power
  // loss: what it wrote stays in the page cache), traces the reason, and
  // returns with the Env inert for the rest of the handler: the caller
  // must return at once without relying on anything after it.
  virtual void Exit(std::string_view reason) = 0;

  // ---- Randomness ---------------------------------------------------------
  // A uniformly random 64-bit value from this node's own stream.
  virtual uint64_t Random() = 0;

  // ---- Tracing ------------------------------------------------------------
  // Records a structured event. Cheap when tracing is off; must not change
  // behaviour.
  virtual void Trace(const TraceEvent& event) = 0;
  // True when trace events are kept; lets callers skip building details.
  virtual bool TraceEnabled() const = 0;
  // Marks that this node just took the rare protocol path `probe` names
  // (engine/probes.h). An observation only: it returns nothing and the
  // engine must not depend on what the Env does with it. The simulator
  // counts hits per run, traces each probe's first hit per node, and may
  // inject a fault in response (a crash armed at the node's next side
  // effect, a pause after the current event), as it may at any moment.
  // Real mode counts hits. Cheap; call it on the path itself, not in a
  // loop over slots or keys.
  virtual void HitProbe(Probe probe) = 0;

  // ---- Simulation-only fault points ---------------------------------------
  // FoundationDB's BUGGIFY: true only in simulation, with a per-point
  // probability fixed for the run. Real mode always returns false. `point`
  // must be a stable name.
  virtual bool Buggify(std::string_view point) = 0;
  // The bug zoo (engine/bug_zoo.h): true if this simulated run switched
  // the named known bug back on. Real mode always returns false.
  virtual bool BugInjected(std::string_view name) = 0;

  // ---- The single-thread cost model ----------------------------------------
  // Redis does all its work on one thread, so a slow command delays every
  // other client. These calls let the simulator reproduce that; in real
  // mode the work itself takes the time and ChargeCpu does nothing.
  //
  // Declares that the node's thread just did `us` microseconds of work
  // (serializing, loading, copying). Until that time has passed the node
  // takes no events, its clock reads later by `us`, and what it sends
  // leaves afterwards. us >= 0.
  virtual void ChargeCpu(int64_t us) = 0;
  // DEBUG SLEEP: the node's thread does nothing for `us` microseconds. In
  // simulation that is ChargeCpu; a real node's thread really blocks (its
  // work, unlike charged work, is not already taking the time). us >= 0.
  virtual void Sleep(int64_t us) = 0;
  // Blocks the node's event loop on one connection, as Redis's synchronous
  // socket calls do (MIGRATE's connSyncWrite/connSyncReadLine): until
  // EndBlockingRead, only events of `conn` (OnConnected, OnData, OnClosed)
  // are delivered; timers and other connections wait, in order. If
  // `timeout_ms` (> 0) passes first, the block ends and `on_timeout` runs.
  // At most one block at a time.
  virtual void BeginBlockingRead(ConnId conn, int64_t timeout_ms,
                                 std::function<void()> on_timeout) = 0;
  // Ends the block; what waited is delivered next, in order. No-op when
  // not blocked.
  virtual void EndBlockingRead() = 0;

  // A uniform integer in [0, n). n > 0.
  uint64_t RandomBelow(uint64_t n);
};

}  // namespace slotsim
