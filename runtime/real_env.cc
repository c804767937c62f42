#include "runtime/real_env.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cstring>
#include <thread>

#include "engine/check.h"

namespace slotsim {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
// Bytes read from a socket per read call.
constexpr size_t kReadChunk = 64 * 1024;
// Queued sends are merged into buffers of up to this size.
constexpr size_t kCoalesceBytes = 16 * 1024;
}  // namespace

struct RealEnv::Conn {
  explicit Conn(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::deque<std::string> out;        // queued sends, in order
  std::deque<std::string> in_flight;  // the sends being written now
  bool connected = false;
  bool writing = false;
  bool write_posted = false;  // a StartWrite is queued on the loop
  bool closing = false;  // Close() called: flush `out`, then close; no callbacks
  std::array<char, kReadChunk> buf;
};

RealEnv::RealEnv(asio::io_context& io, Options options)
    : io_(io), options_(std::move(options)), rng_(std::random_device{}()) {}

RealEnv::~RealEnv() { Shutdown(); }

void RealEnv::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  boost::system::error_code ec;
  for (auto& [port, a] : listeners_) a->close(ec);
  listeners_.clear();
  for (auto& [id, c] : conns_) c->socket.close(ec);
  conns_.clear();
  for (auto& [id, t] : timers_) t->cancel();
  timers_.clear();
  if (block_timer_) block_timer_->cancel();
  waiting_.clear();
  for (auto& [name, fd] : append_fds_) ::close(fd);
  append_fds_.clear();
}

// ---- Clock and timers ------------------------------------------------------

// The wall clock, as Redis's mstime()/ustime() read it: CLUSTER NODES
// shows Unix-time milliseconds, and a clock set back or forward moves the
// engine's notion of "now" as it moves Redis's. Timers run on the steady
// clock regardless.
int64_t RealEnv::NowUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t RealEnv::NowMs() { return NowUs() / 1000; }

TimerId RealEnv::AddTimer(int64_t delay_ms, std::string_view, std::function<void()> fn) {
  const TimerId id = next_timer_++;
  auto timer = std::make_unique<asio::steady_timer>(io_);
  timer->expires_after(std::chrono::milliseconds(std::max<int64_t>(0, delay_ms)));
  timer->async_wait([this, id, fn = std::move(fn)](const boost::system::error_code& ec) mutable {
    if (ec || shut_down_) return;
    timers_.erase(id);
    Dispatch(kNoConn, std::move(fn));
  });
  timers_.emplace(id, std::move(timer));
  return id;
}

void RealEnv::CancelTimer(TimerId id) {
  auto it = timers_.find(id);
  if (it == timers_.end()) return;
  it->second->cancel();
  timers_.erase(it);
}

// ---- Event order and blocking reads ----------------------------------------

void RealEnv::Dispatch(ConnId conn, std::function<void()> fn) {
  if (shut_down_) return;
  if (blocked_conn_ != kNoConn) {
    if (conn == blocked_conn_) fn();
    else waiting_.emplace_back(conn, std::move(fn));
    return;
  }
  if (!waiting_.empty()) {
    waiting_.emplace_back(conn, std::move(fn));
    ScheduleDrain();
    return;
  }
  fn();
}

void RealEnv::ScheduleDrain() {
  if (waiting_.empty() || drain_posted_) return;
  drain_posted_ = true;
  asio::post(io_, [this] { DrainWaiting(); });
}

void RealEnv::DrainWaiting() {
  drain_posted_ = false;
  // Bounded by the events that waited; a new block stops the drain.
  while (!waiting_.empty() && blocked_conn_ == kNoConn && !shut_down_) {
    auto fn = std::move(waiting_.front().second);
    waiting_.pop_front();
    fn();
  }
}

void RealEnv::BeginBlockingRead(ConnId conn, int64_t timeout_ms, std::function<void()> on_timeout) {
  blocked_conn_ = conn;
  block_timer_.reset();
  if (timeout_ms <= 0) return;
  block_timer_ = std::make_unique<asio::steady_timer>(io_);
  block_timer_->expires_after(std::chrono::milliseconds(timeout_ms));
  block_timer_->async_wait([this, conn, on_timeout = std::move(on_timeout)](
                               const boost::system::error_code& ec) {
    if (ec || shut_down_ || blocked_conn_ != conn) return;
    blocked_conn_ = kNoConn;
    on_timeout();
    ScheduleDrain();
  });
}

void RealEnv::EndBlockingRead() {
  if (blocked_conn_ == kNoConn) return;
  blocked_conn_ = kNoConn;
  if (block_timer_) block_timer_->cancel();
  ScheduleDrain();
}

// ---- Network ---------------------------------------------------------------

bool RealEnv::Listen(uint16_t port) {
  boost::system::error_code ec;
  const auto addr = asio::ip::make_address(options_.bind_host, ec);
  if (ec) return false;
  auto acceptor = std::make_unique<tcp::acceptor>(io_);
  const tcp::endpoint ep(addr, port);
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return false;
  listeners_[port] = std::move(acceptor);
  Accept(port);
  return true;
}

void RealEnv::Unlisten(uint16_t port) {
  auto it = listeners_.find(port);
  if (it == listeners_.end()) return;
  boost::system::error_code ec;
  it->second->close(ec);
  listeners_.erase(it);
}

void RealEnv::Accept(uint16_t port) {
  auto it = listeners_.find(port);
  if (it == listeners_.end()) return;
  it->second->async_accept([this, port](const boost::system::error_code& ec, tcp::socket socket) {
    if (shut_down_ || !listeners_.count(port)) return;
    if (!ec) {
      boost::system::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      const auto remote = socket.remote_endpoint(ignored);
      const ConnId id = next_conn_++;
      auto c = std::make_shared<Conn>(io_);
      c->socket = std::move(socket);
      c->connected = true;
      conns_.emplace(id, std::move(c));
      const std::string host = ignored ? std::string() : remote.address().to_string();
      Dispatch(kNoConn, [this, port, id, host] {
        auto found = conns_.find(id);
        if (handler_ && found != conns_.end() && !found->second->closing) handler_->OnAccept(port, id, host);
      });
      StartRead(id);
    }
    // Out of descriptors (a flood of connections) or a transient error:
    // keep accepting after a short pause rather than spinning.
    if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
      auto pause = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
      pause->async_wait([this, port, pause](const boost::system::error_code&) {
        if (!shut_down_) Accept(port);
      });
      return;
    }
    Accept(port);
  });
}

ConnId RealEnv::Connect(const std::string& host, uint16_t port) {
  const ConnId id = next_conn_++;
  conns_.emplace(id, std::make_shared<Conn>(io_));
  boost::system::error_code addr_ec;
  const auto addr = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, addr_ec);
  if (addr_ec) {
    asio::post(io_, [this, id, host] { Drop(id, "cannot resolve " + host, true); });
    return id;
  }
  conns_[id]->socket.async_connect(tcp::endpoint(addr, port), [this, id](const boost::system::error_code& ec) {
    if (shut_down_) return;
    auto it = conns_.find(id);
    if (it == conns_.end()) return;
    if (ec) {
      Drop(id, "connect: " + ec.message(), !it->second->closing);
      return;
    }
    boost::system::error_code ignored;
    it->second->socket.set_option(tcp::no_delay(true), ignored);
    it->second->connected = true;
    if (!it->second->closing)
      Dispatch(id, [this, id] {
        auto c = conns_.find(id);
        if (handler_ && c != conns_.end() && !c->second->closing) handler_->OnConnected(id);
      });
    StartRead(id);
    StartWrite(id);
  });
  return id;
}

void RealEnv::StartRead(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::shared_ptr<Conn> conn = it->second;
  conn->socket.async_read_some(asio::buffer(conn->buf), [this, id, conn](const boost::system::error_code& ec, size_t n) {
    if (shut_down_) return;
    auto cur = conns_.find(id);
    if (cur == conns_.end() || cur->second != conn) return;
    if (ec) {
      Drop(id, ec == asio::error::eof ? "connection closed by peer" : ec.message(),
           !conn->closing);
      return;
    }
    if (!conn->closing)
      Dispatch(id, [this, id, data = std::string(conn->buf.data(), n)] {
        auto c = conns_.find(id);
        if (handler_ && c != conns_.end() && !c->second->closing) handler_->OnData(id, data);
      });
    StartRead(id);
  });
}

void RealEnv::Send(ConnId id, std::string_view bytes, std::string_view) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->closing) return;
  // Small sends join the last queued buffer: a pipeline's replies become
  // one buffer, not one allocation each.
  auto& out = it->second->out;
  if (!out.empty() && out.back().size() + bytes.size() <= kCoalesceBytes) out.back().append(bytes);
  else out.emplace_back(bytes);
  // Written after the current event, with whatever else it sends (Redis's
  // handleClientsWithPendingWrites in beforeSleep): a pipeline's replies
  // leave in one write, and the client is woken once.
  Conn& c = *it->second;
  if (c.connected && !c.writing && !c.write_posted) {
    c.write_posted = true;
    asio::post(io_, [this, id, conn = it->second] {
      conn->write_posted = false;
      if (!shut_down_) StartWrite(id);
    });
  }
}

size_t RealEnv::UnsentBytes(ConnId id) const {
  auto it = conns_.find(id);
  if (it == conns_.end()) return 0;
  size_t bytes = 0;
  for (const auto& b : it->second->out) bytes += b.size();
  for (const auto& b : it->second->in_flight) bytes += b.size();
  return bytes;
}

void RealEnv::StartWrite(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  std::shared_ptr<Conn> conn = it->second;
  if (conn->writing || !conn->connected) return;
  if (conn->out.empty()) {
    if (conn->closing) Drop(id, "closed", false);
    return;
  }
  // Everything queued goes out in one gathered write: a pipelined burst of
  // replies costs one system call, as Redis's write of its reply buffer.
  conn->writing = true;
  conn->in_flight.clear();
  conn->in_flight.swap(conn->out);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(conn->in_flight.size());
  for (const auto& b : conn->in_flight) buffers.emplace_back(asio::buffer(b));
  asio::async_write(conn->socket, buffers,
                    [this, id, conn](const boost::system::error_code& ec, size_t) {
                      if (shut_down_) return;
                      auto cur = conns_.find(id);
                      if (cur == conns_.end() || cur->second != conn) return;
                      conn->writing = false;
                      conn->in_flight.clear();
                      if (ec) {
                        Drop(id, "write: " + ec.message(), !conn->closing);
                        return;
                      }
                      StartWrite(id);
                    });
}

void RealEnv::Close(ConnId id) {
  auto it = conns_.find(id);
  if (it == conns_.end() || it->second->closing) return;
  it->second->closing = true;
  if (!it->second->writing && (it->second->out.empty() || !it->second->connected))
    Drop(id, "closed", false);
}

void RealEnv::Drop(ConnId id, const std::string& reason, bool notify) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  boost::system::error_code ignored;
  it->second->socket.shutdown(tcp::socket::shutdown_both, ignored);
  it->second->socket.close(ignored);
  // Pending handlers hold their own reference to the Conn (and its
  // buffers); they see it gone from conns_ and do nothing.
  conns_.erase(it);
  if (notify)
    Dispatch(id, [this, id, reason] {
      if (handler_) handler_->OnClosed(id, reason);
    });
}

// ---- Disk ------------------------------------------------------------------

std::string RealEnv::Path(const std::string& name) const {
  return options_.data_dir + "/" + name;
}

int RealEnv::AppendFd(const std::string& name) {
  auto it = append_fds_.find(name);
  if (it != append_fds_.end()) return it->second;
  const int fd = ::open(Path(name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) append_fds_[name] = fd;
  return fd;
}

void RealEnv::CloseAppendFd(const std::string& name) {
  auto it = append_fds_.find(name);
  if (it == append_fds_.end()) return;
  ::close(it->second);
  append_fds_.erase(it);
}

namespace {
IoStatus StatusOfErrno(int err) {
  switch (err) {
    case 0: return IoStatus::kOk;
    case ENOENT: return IoStatus::kNotFound;
    case ENOSPC:
    case EDQUOT: return IoStatus::kNoSpace;
    case EACCES:
    case EPERM: return IoStatus::kPermission;
    case EROFS: return IoStatus::kReadOnly;
    default: return IoStatus::kIoError;
  }
}
IoStatus LastError() { return StatusOfErrno(errno); }

// Writes all of `data`; the errno of the failing call on failure (a short
// write that made no progress is ENOSPC, as a full disk reports it).
IoStatus WriteAll(int fd, std::string_view data) {
  // Bounded by the data's length: each write makes progress or fails.
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return LastError();
    if (n == 0) return IoStatus::kNoSpace;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return IoStatus::kOk;
}
}  // namespace

IoStatus RealEnv::WriteFile(const std::string& name, std::string_view data) {
  CloseAppendFd(name);
  const int fd = ::open(Path(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return LastError();
  IoStatus st = WriteAll(fd, data);
  // close(2) can report a deferred write error (NFS, quota).
  if (::close(fd) != 0 && st == IoStatus::kOk) st = LastError();
  return st;
}

IoStatus RealEnv::AppendFile(const std::string& name, std::string_view data) {
  const int fd = AppendFd(name);
  if (fd < 0) return LastError();
  const off_t before = ::lseek(fd, 0, SEEK_END);
  if (before < 0) return LastError();
  const IoStatus st = WriteAll(fd, data);
  if (st != IoStatus::kOk) {
    // All or nothing (Env's contract): cut a short write back off, as
    // flushAppendOnlyFile does with ftruncate. If even that fails the tail
    // stays torn, and the loader's truncated-tail rule handles it.
    const int saved = errno;
    if (::ftruncate(fd, before) != 0) errno = saved;
  }
  return st;
}

IoStatus RealEnv::SyncFile(const std::string& name) {
  auto it = append_fds_.find(name);
  if (it != append_fds_.end()) return ::fsync(it->second) == 0 ? IoStatus::kOk : LastError();
  const int fd = ::open(Path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return LastError();
  const IoStatus st = ::fsync(fd) == 0 ? IoStatus::kOk : LastError();
  ::close(fd);
  return st;
}

IoStatus RealEnv::RenameFile(const std::string& from, const std::string& to) {
  CloseAppendFd(from);
  CloseAppendFd(to);
  return ::rename(Path(from).c_str(), Path(to).c_str()) == 0 ? IoStatus::kOk : LastError();
}

IoStatus RealEnv::SyncDir() {
  const int fd = ::open(options_.data_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return LastError();
  const IoStatus st = ::fsync(fd) == 0 ? IoStatus::kOk : LastError();
  ::close(fd);
  return st;
}

IoStatus RealEnv::DeleteFile(const std::string& name) {
  CloseAppendFd(name);
  return ::unlink(Path(name).c_str()) == 0 ? IoStatus::kOk : LastError();
}

IoStatus RealEnv::ReadFile(const std::string& name, std::string* data) {
  data->clear();
  const int fd = ::open(Path(name).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return LastError();
  char buf[1 << 16];
  IoStatus st = IoStatus::kOk;
  // Bounded by the file's length.
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      st = LastError();
      data->clear();  // never a partial read (Env's contract)
      break;
    }
    if (n == 0) break;
    data->append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return st;
}

void RealEnv::Exit(std::string_view reason) {
  if (options_.on_exit) options_.on_exit(reason);
  std::fprintf(stderr, "%.*s\n", static_cast<int>(reason.size()), reason.data());
  std::fflush(stderr);
  std::exit(1);
}

// ---- Tracing ---------------------------------------------------------------

void RealEnv::Trace(const TraceEvent& e) {
  if (options_.trace == nullptr) return;
  TraceRecord r;
  r.seq = trace_seq_++;
  r.time_us = NowUs();
  r.node = 0;
  r.kind = std::string(e.kind);
  r.msg_type = std::string(e.msg_type);
  r.details = e.details;
  options_.trace->OnTrace(r);
}

void RealEnv::Sleep(int64_t us) {
  SLOTSIM_CHECK(us >= 0);
  std::this_thread::sleep_for(std::chrono::microseconds(us));
}

}  // namespace slotsim
