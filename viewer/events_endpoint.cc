// The event table: a page of trace records in seq order, filtered by
// kind, node and text. Pages are keyset-paged on seq (after_seq,
// before_seq, or around_seq / t_us to jump), so any page of a long run
// costs the same. A filter that matches rarely may scan far: each request
// scans at most kMaxScan records and says where to go on.
#include <algorithm>

#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr int64_t kDefaultPage = 100;
constexpr int64_t kMaxPage = 500;
constexpr int64_t kMaxScan = 500000;
constexpr size_t kMaxKinds = 64;
constexpr size_t kMaxNodes = 256;

Json Row(const Stmt& st) {
  return {{"seq", st.Int(0)},       {"time_us", st.Int(1)},  {"node", st.Int(2)},
          {"kind", st.Text(3)},     {"peer", st.Int(4)},     {"msg_type", st.Text(5)},
          {"details", st.Text(6)}};
}

struct Filter {
  std::vector<std::string> kinds;
  std::vector<int64_t> nodes;
  std::string text;

  // " AND ..." with placeholders from ?6 on, in the order Bind uses.
  std::string Sql() const {
    std::string sql;
    int next = 6;
    auto list = [&](size_t n) {
      std::string s;
      for (size_t i = 0; i < n; ++i) s += (i ? ",?" : "?") + std::to_string(next++);
      return s;
    };
    if (!kinds.empty()) sql += " AND kind IN (" + list(kinds.size()) + ")";
    if (!nodes.empty()) sql += " AND node IN (" + list(nodes.size()) + ")";
    if (!text.empty())
      sql += " AND instr(kind || ' ' || msg_type || ' ' || details, ?" + std::to_string(next++) +
             ") > 0";
    return sql;
  }
  void Bind(Stmt& st) const {
    int next = 6;
    for (const auto& k : kinds) st.Bind(next++, k);
    for (const int64_t n : nodes) st.Bind(next++, n);
    if (!text.empty()) st.Bind(next++, text);
  }
};

// Records with seq in (lo, hi) matching `f`, ascending or descending,
// at most `limit`.
std::vector<Json> Scan(const ReadOnlyDb& db, int64_t run, const Filter& f, int64_t lo, int64_t hi,
                       bool descending, int64_t limit) {
  // With a kind filter the kind index finds the few matches; SQLite's
  // planner, without statistics, would walk the primary key instead.
  Stmt st(db, std::string("SELECT seq, time_us, node, kind, peer, msg_type, details FROM events ") +
                  (f.kinds.empty() ? "" : "INDEXED BY events_by_kind ") +
                  "WHERE run_id = ?1 AND seq > ?2 AND seq < ?3" +
                  f.Sql() + " ORDER BY seq " + (descending ? "DESC" : "ASC") + " LIMIT ?4");
  st.Bind(1, run).Bind(2, lo).Bind(3, hi).Bind(4, limit);
  f.Bind(st);
  std::vector<Json> out;
  while (st.Step()) out.push_back(Row(st));
  return out;
}

}  // namespace

Json RunEvents(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({"after_seq", "before_seq", "around_seq", "t_us", "limit", "kinds", "nodes", "q"});
  RequireRun(db, run);
  int anchors = 0;
  for (const char* a : {"after_seq", "before_seq", "around_seq", "t_us"}) anchors += p.Has(a);
  if (anchors > 1)
    throw ApiError(400, "give at most one of after_seq, before_seq, around_seq and t_us");
  const int64_t limit = p.Int("limit", kDefaultPage, 1, kMaxPage);
  Filter f;
  f.kinds = p.List("kinds", kMaxKinds);
  f.nodes = p.IntList("nodes", kMaxNodes, -1, 1 << 20);
  f.text = p.Text("q", 200);
  const int64_t last = LastRecord(db, run).first;
  std::vector<Json> before, after;
  int64_t anchor = -1;
  if (p.Has("before_seq")) {
    const int64_t b = p.Int("before_seq", 0, 0, INT64_MAX / 4);
    before = Scan(db, run, f, std::max<int64_t>(-1, b - 1 - kMaxScan), b, true, limit);
  } else if (p.Has("around_seq") || p.Has("t_us")) {
    anchor = p.Has("around_seq") ? p.Int("around_seq", 0, 0, INT64_MAX / 4)
                                 : SeqAtTime(db, run, p.Int("t_us", 0, 0, INT64_MAX / 4));
    before = Scan(db, run, f, std::max<int64_t>(-1, anchor - kMaxScan), anchor, true, limit / 2);
    after = Scan(db, run, f, anchor - 1, anchor + kMaxScan, false, limit - static_cast<int64_t>(before.size()));
  } else {
    const int64_t a = p.Int("after_seq", -1, -1, INT64_MAX / 4);
    after = Scan(db, run, f, a, a + 1 + kMaxScan, false, limit);
  }
  std::reverse(before.begin(), before.end());
  Json events = Json::array();
  for (auto& e : before) events.push_back(std::move(e));
  for (auto& e : after) events.push_back(std::move(e));
  // Cursors: where the previous and next pages start. When a page is empty
  // because the filter matched nothing in the scanned range, the cursor
  // moves past that range, so paging never loops.
  Json prev = nullptr, next = nullptr;
  if (!events.empty()) {
    const int64_t first_seq = events.front()["seq"].get<int64_t>();
    const int64_t last_seq = events.back()["seq"].get<int64_t>();
    if (first_seq > 0) prev = first_seq;
    if (last_seq < last) next = last_seq;
  } else if (p.Has("before_seq")) {
    const int64_t b = p.Int("before_seq", 0, 0, INT64_MAX / 4);
    if (b - 1 - kMaxScan > 0) prev = b - kMaxScan;
  } else {
    const int64_t a = anchor >= 0 ? anchor + kMaxScan - 1 : p.Int("after_seq", -1, -1, INT64_MAX / 4) + kMaxScan;
    if (a < last) next = a;
  }
  return {{"events", events},
          {"anchor_seq", anchor >= 0 ? Json(anchor) : Json(nullptr)},
          {"prev_before_seq", prev},
          {"next_after_seq", next},
          {"last_seq", last}};
}

}  // namespace slotsim::viewer
