// Two runs side by side: where they first differ.
#include "traces/run_diff.h"
#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

constexpr int64_t kDefaultContext = 5;
constexpr int64_t kMaxContext = 50;
constexpr int kAfter = 10;

Json Record(const TraceRecord& r) {
  return {{"seq", r.seq},   {"time_us", r.time_us},   {"node", r.node},
          {"kind", r.kind}, {"peer", r.peer},         {"msg_type", r.msg_type},
          {"details", r.details}};
}

Json Records(const auto& rs) {
  Json out = Json::array();
  for (const auto& r : rs) out.push_back(Record(r));
  return out;
}

}  // namespace

Json CompareRuns(const ReadOnlyDb& db, const std::string& path, const Params& p) {
  p.AllowOnly({"a", "b", "context"});
  if (!p.Has("a") || !p.Has("b")) throw ApiError(400, "parameters 'a' and 'b' (run ids) are required");
  const int64_t a = p.Int("a", 0, 1, INT64_MAX / 4);
  const int64_t b = p.Int("b", 0, 1, INT64_MAX / 4);
  const int context = static_cast<int>(p.Int("context", kDefaultContext, 0, kMaxContext));
  RequireRun(db, a);
  RequireRun(db, b);
  std::string error;
  auto reader = TraceReader::Open(path, &error);
  if (!reader) throw ApiError(500, error);
  const RunDifference d = FirstDifference(*reader, a, *reader, b, context, kAfter);
  Json out = {{"a", a},
              {"b", b},
              {"differ", d.differ},
              {"equal_records", d.equal_records},
              {"before", Records(d.before)},
              {"a_events", Records(d.a)},
              {"b_events", Records(d.b)}};
  const auto& first = !d.a.empty() ? d.a.front() : !d.b.empty() ? d.b.front() : TraceRecord{};
  out["first_seq"] = d.differ ? Json(first.seq) : Json(nullptr);
  out["first_time_us"] = d.differ ? Json(first.time_us) : Json(nullptr);
  return out;
}

}  // namespace slotsim::viewer
