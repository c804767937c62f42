// The scrubber's data: every cluster node's state at one moment, and the
// moments at which any node's state changed.
#include <map>
#include <set>

#include "engine/trace_records.h"
#include "traces/derived_rows.h"
#include "viewer/api_error.h"
#include "viewer/endpoints.h"

namespace slotsim::viewer {
namespace {

// Failure-detection and fault records replayed to find marks and cut
// links at a moment.
constexpr int64_t kMaxReplayRecords = 200000;
constexpr int64_t kDefaultTimelineRows = 20000;
constexpr int64_t kMaxTimelineRows = 200000;
constexpr int kSlotCount = 16384;

// "owners=a,b ranges=0-99:0,100:1" -> [[0, 99, node of a], [100, 100, node of b]].
// An owner id no node started with (a stranger) maps to -1.
Json SlotView(const std::string& details, const std::map<std::string, int64_t>& node_of) {
  std::vector<int64_t> owners;
  const std::string owner_text(DetailField(details, "owners"));
  for (size_t start = 0; start < owner_text.size();) {
    size_t comma = owner_text.find(',', start);
    if (comma == std::string::npos) comma = owner_text.size();
    auto it = node_of.find(owner_text.substr(start, comma - start));
    owners.push_back(it == node_of.end() ? -1 : it->second);
    start = comma + 1;
  }
  Json ranges = Json::array();
  const std::string text(DetailField(details, "ranges"));
  for (size_t start = 0; start < text.size();) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    const std::string item = text.substr(start, comma - start);
    start = comma + 1;
    const size_t colon = item.find(':');
    const size_t dash = item.find('-');
    if (colon == std::string::npos) continue;
    const auto lo = ParseInt(item.substr(0, std::min(dash, colon)));
    const auto hi = dash < colon ? ParseInt(item.substr(dash + 1, colon - dash - 1)) : lo;
    const auto owner = ParseInt(item.substr(colon + 1));
    if (!lo || !hi || !owner || *owner < 0 || *owner >= static_cast<int64_t>(owners.size()) ||
        *lo < 0 || *hi >= kSlotCount || *lo > *hi)
      throw ApiError(500, "malformed SlotView record: '" + item + "'");
    ranges.push_back({*lo, *hi, owners[*owner]});
  }
  return ranges;
}

}  // namespace

Json RunState(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({"t_us"});
  RequireRun(db, run);
  if (!p.Has("t_us")) throw ApiError(400, "parameter 't_us' is required");
  const int64_t t_us = p.Int("t_us", 0, 0, INT64_MAX / 4);
  const int64_t seq = SeqAtTime(db, run, t_us);
  const std::map<int64_t, std::string> id_of = ClusterNodeIds(db, run);
  std::map<std::string, int64_t> node_of;
  for (const auto& [node, id] : id_of) node_of.emplace(id, node);
  // Replay the failure marks, link cuts, crashes and pauses up to `seq`.
  std::map<int64_t, std::map<int64_t, std::string>> marks;  // node -> peer -> PFAIL/FAIL
  std::set<std::pair<int64_t, int64_t>> cut;
  std::set<int64_t> down, paused;
  {
    Stmt st(db,
            "SELECT node, kind, peer, details FROM events INDEXED BY events_by_kind WHERE run_id = ? AND seq <= ? AND kind "
            "IN ('PfailSet', 'PfailCleared', 'FailSet', 'FailReceived', 'FailCleared', "
            "'Partition', 'Heal', 'Crash', 'Restart', 'Pause', 'Resume') ORDER BY seq LIMIT ?");
    st.Bind(1, run).Bind(2, seq).Bind(3, kMaxReplayRecords);
    while (st.Step()) {
      const int64_t node = st.Int(0);
      const std::string kind = st.Text(1), d = st.Text(3);
      // The node a mark is about is named by its id (peer is -1 when the
      // record did not come with a connection).
      auto about = node_of.find(std::string(DetailField(d, "node")));
      const int64_t peer = about != node_of.end() ? about->second : st.Int(2);
      if (kind == "PfailSet") marks[node][peer] = "PFAIL";
      else if (kind == "FailSet" || kind == "FailReceived") marks[node][peer] = "FAIL";
      else if (kind == "PfailCleared" || kind == "FailCleared") marks[node].erase(peer);
      else if (kind == "Crash") down.insert(node), marks.erase(node);
      else if (kind == "Restart") down.erase(node);
      else if (kind == "Pause") paused.insert(node);
      else if (kind == "Resume") paused.erase(node);
      else {
        std::string error;
        const auto link = LinkFaultRecord::Parse(d, &error);
        if (!link) throw ApiError(500, "malformed " + kind + " record: " + error);
        if (kind == "Partition") cut.insert({link->from, link->to});
        else cut.erase({link->from, link->to});
      }
    }
  }
  Stmt state(db,
             "SELECT seq, time_us, role, primary_name, current_epoch, config_epoch, "
             "last_vote_epoch, state, slots, known_nodes FROM node_states WHERE run_id = ? AND "
             "node = ? AND time_us <= ? ORDER BY time_us DESC, seq DESC LIMIT 1");
  Stmt details(db, "SELECT details FROM events WHERE run_id = ? AND seq = ?");
  Stmt view(db,
            "SELECT seq, details FROM events INDEXED BY events_by_kind WHERE run_id = ? AND kind = 'SlotView' AND seq <= ? "
            "AND node = ? ORDER BY seq DESC LIMIT 1");
  Json nodes = Json::array();
  for (const auto& [node, id] : id_of) {
    Json n = {{"node", node}, {"id", id}, {"down", down.count(node) > 0},
              {"paused", paused.count(node) > 0}};
    state.Reset();
    state.Bind(1, run).Bind(2, node).Bind(3, t_us);
    if (state.Step()) {
      n["state_seq"] = state.Int(0);
      n["since_us"] = state.Int(1);
      n["role"] = state.Text(2);
      auto primary = node_of.find(state.Text(3));
      n["primary"] = state.IsNull(3) ? Json(nullptr)
                     : primary != node_of.end() ? Json(primary->second)
                                                : Json(state.Text(3));
      n["current_epoch"] = state.Int(4);
      n["config_epoch"] = state.Int(5);
      n["last_vote_epoch"] = state.Int(6);
      n["cluster_state"] = state.Text(7);
      n["slots"] = state.Text(8);
      n["known_nodes"] = state.Int(9);
      details.Reset();
      details.Bind(1, run).Bind(2, state.Int(0));
      if (details.Step()) {
        std::string error;
        const auto record = NodeStateRecord::Parse(details.Text(0), &error);
        if (!record) throw ApiError(500, "malformed NodeState record: " + error);
        n["open_slots"] = record->open;
      } else {
        n["open_slots"] = "";
      }
    }
    Json m = Json::array();
    for (const auto& [peer, flag] : marks[node]) m.push_back({{"peer", peer}, {"flag", flag}});
    n["marks"] = m;
    Json cut_to = Json::array(), cut_from = Json::array();
    for (const auto& [a, b] : cut) {
      if (a == node) cut_to.push_back(b);
      if (b == node) cut_from.push_back(a);
    }
    n["cut_to"] = cut_to;
    n["cut_from"] = cut_from;
    view.Reset();
    view.Bind(1, run).Bind(2, seq).Bind(3, node);
    if (view.Step()) {
      n["slot_view_seq"] = view.Int(0);
      n["slot_view"] = SlotView(view.Text(1), node_of);
    } else {
      n["slot_view"] = Json::array();
    }
    nodes.push_back(std::move(n));
  }
  return {{"t_us", t_us}, {"seq", seq}, {"nodes", nodes}};
}

Json RunTimeline(const ReadOnlyDb& db, int64_t run, const Params& p) {
  p.AllowOnly({"limit"});
  RequireRun(db, run);
  const int64_t limit = p.Int("limit", kDefaultTimelineRows, 1, kMaxTimelineRows);
  Stmt st(db,
          "SELECT seq, time_us, node, role, current_epoch, config_epoch, state FROM node_states "
          "WHERE run_id = ? ORDER BY seq LIMIT ?");
  st.Bind(1, run).Bind(2, limit + 1);
  Json rows = Json::array();
  bool truncated = false;
  while (st.Step()) {
    if (static_cast<int64_t>(rows.size()) == limit) {
      truncated = true;
      break;
    }
    rows.push_back({st.Int(0), st.Int(1), st.Int(2), st.Text(3), st.Int(4), st.Int(5),
                    st.Text(6)});
  }
  return {{"columns", {"seq", "time_us", "node", "role", "current_epoch", "config_epoch",
                       "cluster_state"}},
          {"rows", rows},
          {"truncated", truncated}};
}

}  // namespace slotsim::viewer
