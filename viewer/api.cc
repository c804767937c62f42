#include "viewer/api.h"

#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr size_t kMaxIdleConnections = 8;
constexpr size_t kMaxCachedBytes = 64 << 20;
constexpr size_t kMaxCachedBody = 8 << 20;

std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  // Bounded by the path's length.
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

// Invalid UTF-8 in a record (a key's bytes) is replaced, not an error.
std::string Dump(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

int64_t RunId(const std::string& text) {
  const auto id = ParseInt(text);
  if (!id || *id < 1)
    throw ApiError(400, "run id '" + text.substr(0, 40) + "' is not a positive integer");
  return *id;
}

}  // namespace

std::unique_ptr<ViewerApi> ViewerApi::Open(const std::string& db_path, std::string* error) {
  auto db = ReadOnlyDb::Open(db_path, error);
  if (!db) return nullptr;
  std::unique_ptr<ViewerApi> api(new ViewerApi(db_path));
  api->idle_.push_back(std::move(db));
  return api;
}

std::unique_ptr<ReadOnlyDb> ViewerApi::Acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      auto db = std::move(idle_.back());
      idle_.pop_back();
      return db;
    }
  }
  std::string error;
  auto db = ReadOnlyDb::Open(path_, &error);
  if (!db) throw ApiError(500, error);
  return db;
}

void ViewerApi::Release(std::unique_ptr<ReadOnlyDb> db) {
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(db));
}

bool ViewerApi::CacheGet(const std::string& key, std::string* body) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return false;
  lru_.splice(lru_.begin(), lru_, it->second);
  *body = it->second->second;
  return true;
}

void ViewerApi::CachePut(const std::string& key, const std::string& body) {
  if (body.size() > kMaxCachedBody) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (index_.count(key)) return;
  lru_.emplace_front(key, body);
  index_[key] = lru_.begin();
  cached_bytes_ += key.size() + body.size();
  // Bounded by the number of cached entries.
  while (cached_bytes_ > kMaxCachedBytes && !lru_.empty()) {
    cached_bytes_ -= lru_.back().first.size() + lru_.back().second.size();
    index_.erase(lru_.back().first);
    lru_.pop_back();
  }
}

std::string ViewerApi::Dispatch(ReadOnlyDb& db, const std::string& path,
                                const std::vector<std::pair<std::string, std::string>>& raw) {
  const Params p(raw);
  const auto seg = Segments(path);
  if (seg.size() < 2 || seg[0] != "api") throw ApiError(404, "no such endpoint: " + path.substr(0, 200));
  if (seg.size() == 2 && seg[1] == "meta") {
    p.AllowOnly({});
    Stmt st(db, "SELECT count(*) FROM runs");
    st.Step();
    return Dump(Json{{"db", path_}, {"runs", st.Int(0)}});
  }
  if (seg.size() == 2 && seg[1] == "runs") return Dump(ListRuns(db, p));
  if (seg.size() == 2 && seg[1] == "compare") {
    const std::string key = path + "?" + p.Canonical();
    std::string body;
    if (CacheGet(key, &body)) return body;
    body = Dump(CompareRuns(db, path_, p));
    // CompareRuns checked both ids; cache only when neither run can grow.
    if (RequireRun(db, p.Int("a", 0, 1, INT64_MAX / 4)) != "running" &&
        RequireRun(db, p.Int("b", 0, 1, INT64_MAX / 4)) != "running")
      CachePut(key, body);
    return body;
  }
  if (seg[1] != "runs" || seg.size() > 4) throw ApiError(404, "no such endpoint: " + path.substr(0, 200));
  const int64_t run = RunId(seg[2]);
  const std::string what = seg.size() == 4 ? seg[3] : "";
  // A run still being written changes under us; a finished one never does.
  const bool cacheable = RequireRun(db, run) != "running";
  const std::string key = path + "?" + p.Canonical();
  std::string body;
  if (cacheable && CacheGet(key, &body)) return body;
  Json out;
  if (what.empty()) out = RunSummary(db, run, p);
  else if (what == "messages") out = RunMessages(db, run, p);
  else if (what == "state") out = RunState(db, run, p);
  else if (what == "timeline") out = RunTimeline(db, run, p);
  else if (what == "client") out = RunClient(db, run, p);
  else if (what == "events") out = RunEvents(db, run, p);
  else throw ApiError(404, "no such endpoint: " + path.substr(0, 200));
  body = Dump(out);
  if (cacheable) CachePut(key, body);
  return body;
}

ApiResponse ViewerApi::Handle(const std::string& path,
                              const std::vector<std::pair<std::string, std::string>>& params) {
  ApiResponse r;
  std::unique_ptr<ReadOnlyDb> db;
  try {
    db = Acquire();
    r.body = Dispatch(*db, path, params);
  } catch (const ApiError& e) {
    r.status = e.status;
    r.body = Dump(Json{{"error", e.what()}});
  } catch (const std::exception& e) {
    r.status = 500;
    r.body = Dump(Json{{"error", std::string("internal error: ") + e.what()}});
  }
  if (db) Release(std::move(db));
  return r;
}

}  // namespace slotsim::viewer
