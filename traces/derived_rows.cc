#include "traces/derived_rows.h"

#include <sqlite3.h>

#include <charconv>

#include "engine/check.h"
#include "engine/trace_records.h"

namespace slotsim {
namespace {

int64_t ToInt(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

void BindText(sqlite3_stmt* st, int i, std::string_view s) {
  sqlite3_bind_text(st, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
}

}  // namespace

std::string_view DetailField(std::string_view details, std::string_view key) {
  const bool rest = key == "reply" || key == "message";
  size_t pos = 0;
  // Bounded by the string's length: each step moves past a match.
  while ((pos = details.find(key, pos)) != std::string_view::npos) {
    const size_t end_key = pos + key.size();
    if ((pos == 0 || details[pos - 1] == ' ') && end_key < details.size() &&
        details[end_key] == '=') {
      const size_t start = end_key + 1;
      if (rest) return details.substr(start);
      const size_t stop = details.find(' ', start);
      return details.substr(start, stop == std::string_view::npos ? std::string_view::npos
                                                                  : stop - start);
    }
    pos = end_key;
  }
  return {};
}

DerivedRowWriter::~DerivedRowWriter() { Finalize(); }

void DerivedRowWriter::Finalize() {
  for (sqlite3_stmt** st :
       {&node_, &message_, &client_op_, &node_state_, &violation_, &cause_}) {
    sqlite3_finalize(*st);
    *st = nullptr;
  }
}

bool DerivedRowWriter::Prepare(sqlite3* db, std::string* error) {
  db_ = db;
  const std::pair<sqlite3_stmt**, const char*> statements[] = {
      {&node_, "INSERT OR REPLACE INTO nodes(run_id, node, name) VALUES(?,?,?)"},
      {&message_,
       "INSERT OR REPLACE INTO messages(run_id, msg, msg_type, from_node, to_node, bytes, "
       "send_seq, send_us, deliver_seq, deliver_us) VALUES(?,?,?,?,?,?,?,?,?,?)"},
      {&client_op_,
       "INSERT INTO client_ops(run_id, seq, time_us, client, command, key, outcome, "
       "latency_us, redirects, retries, reply, asks, tryagain, clusterdown) "
       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&node_state_,
       "INSERT INTO node_states(run_id, seq, time_us, node, role, primary_name, "
       "current_epoch, config_epoch, last_vote_epoch, state, slots, known_nodes) "
       "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"},
      {&violation_,
       "INSERT INTO violations(run_id, seq, time_us, id, message) VALUES(?,?,?,?,?)"},
      {&cause_,
       "INSERT OR IGNORE INTO violation_causes(run_id, violation_seq, cause_seq) "
       "VALUES(?,?,?)"},
  };
  for (const auto& [slot, sql] : statements) {
    if (sqlite3_prepare_v2(db, sql, -1, slot, nullptr) != SQLITE_OK) {
      *error = sqlite3_errmsg(db);
      return false;
    }
  }
  return true;
}

bool DerivedRowWriter::WriteMessage(const std::pair<int64_t, int64_t>& key, const Sent& sent,
                                    int to_node, int64_t deliver_seq, int64_t deliver_us,
                                    std::string* error) {
  sqlite3_stmt* st = message_;
  sqlite3_bind_int64(st, 1, key.first);
  sqlite3_bind_int64(st, 2, key.second);
  BindText(st, 3, sent.msg_type);
  sqlite3_bind_int(st, 4, sent.from_node);
  sqlite3_bind_int(st, 5, to_node);
  sqlite3_bind_int64(st, 6, sent.bytes);
  sqlite3_bind_int64(st, 7, sent.seq);
  sqlite3_bind_int64(st, 8, sent.time_us);
  if (deliver_seq >= 0) {
    sqlite3_bind_int64(st, 9, deliver_seq);
    sqlite3_bind_int64(st, 10, deliver_us);
  } else {
    sqlite3_bind_null(st, 9);
    sqlite3_bind_null(st, 10);
  }
  return Step(st, error);
}

bool DerivedRowWriter::FlushUndelivered(std::string* error) {
  bool ok = true;
  for (const auto& [key, sent] : in_flight_)
    ok = ok && WriteMessage(key, sent, sent.to_node, -1, 0, error);
  in_flight_.clear();
  return ok;
}

bool DerivedRowWriter::Step(sqlite3_stmt* st, std::string* error) {
  const int rc = sqlite3_step(st);
  sqlite3_reset(st);
  if (rc == SQLITE_DONE) return true;
  *error = sqlite3_errmsg(db_);
  return false;
}

bool DerivedRowWriter::Write(int64_t run_id, const TraceRecord& r, std::string* error) {
  const std::string_view d = r.details;
  const std::string_view kind = r.kind;

  // The typed records: a missing or malformed field fails the write rather
  // than storing a 0 that a query would trust.
  auto parse_failed = [&](const std::string& why) {
    *error = std::string(kind) + " record " + std::to_string(r.seq) + ": " + why;
    return false;
  };
  if (kind == MachineAddedRecord::kKind) {
    std::string parse_error;
    auto m = MachineAddedRecord::Parse(d, &parse_error);
    if (!m) return parse_failed(parse_error);
    sqlite3_bind_int64(node_, 1, run_id);
    sqlite3_bind_int(node_, 2, r.node);
    BindText(node_, 3, m->name);
    return Step(node_, error);
  }
  if (kind == NetMessageRecord::kSendKind) {
    std::string parse_error;
    auto m = NetMessageRecord::Parse(d, &parse_error);
    if (!m) return parse_failed(parse_error);
    SLOTSIM_CHECK_MSG(in_flight_.size() < kInFlightMax, "too many undelivered messages");
    in_flight_[{run_id, m->msg}] = Sent{r.msg_type, r.node, r.peer, m->bytes, r.seq, r.time_us};
    return true;
  }
  if (kind == NetMessageRecord::kDeliverKind) {
    std::string parse_error;
    auto m = NetMessageRecord::Parse(d, &parse_error);
    if (!m) return parse_failed(parse_error);
    auto it = in_flight_.find({run_id, m->msg});
    if (it == in_flight_.end()) return true;  // sent before this writer saw the run
    const bool ok = WriteMessage(it->first, it->second, r.node, r.seq, r.time_us, error);
    in_flight_.erase(it);
    return ok;
  }
  if (kind == ClientOpRecord::kKind) {
    std::string parse_error;
    auto op = ClientOpRecord::Parse(d, &parse_error);
    if (!op) return parse_failed(parse_error);
    sqlite3_stmt* st = client_op_;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, r.seq);
    sqlite3_bind_int64(st, 3, r.time_us);
    sqlite3_bind_int64(st, 4, op->client);
    BindText(st, 5, r.msg_type);
    BindText(st, 6, op->key);
    BindText(st, 7, op->outcome);
    sqlite3_bind_int64(st, 8, op->latency_us);
    sqlite3_bind_int64(st, 9, op->redirects);
    sqlite3_bind_int64(st, 10, op->retries);
    BindText(st, 11, op->reply);
    sqlite3_bind_int64(st, 12, op->asks);
    sqlite3_bind_int64(st, 13, op->tryagain);
    sqlite3_bind_int64(st, 14, op->clusterdown);
    return Step(st, error);
  }
  if (kind == NodeStateRecord::kKind) {
    // The typed record: a missing or malformed field fails the write
    // rather than storing a 0 that a query would trust.
    std::string parse_error;
    auto n = NodeStateRecord::Parse(d, &parse_error);
    if (!n) {
      *error = "NodeState record " + std::to_string(r.seq) + ": " + parse_error;
      return false;
    }
    sqlite3_stmt* st = node_state_;
    sqlite3_bind_int64(st, 1, run_id);
    sqlite3_bind_int64(st, 2, r.seq);
    sqlite3_bind_int64(st, 3, r.time_us);
    sqlite3_bind_int(st, 4, r.node);
    BindText(st, 5, n->primary ? "primary" : "replica");
    if (n->primary_name.empty()) sqlite3_bind_null(st, 6);
    else BindText(st, 6, n->primary_name);
    sqlite3_bind_int64(st, 7, n->current_epoch);
    sqlite3_bind_int64(st, 8, n->config_epoch);
    sqlite3_bind_int64(st, 9, n->last_vote_epoch);
    BindText(st, 10, n->state_ok ? "ok" : "fail");
    BindText(st, 11, n->slots);
    sqlite3_bind_int64(st, 12, n->known_nodes);
    return Step(st, error);
  }
  if (kind == ViolationRecord::kKind) {
    std::string parse_error;
    auto v = ViolationRecord::Parse(d, &parse_error);
    if (!v) return parse_failed(parse_error);
    sqlite3_bind_int64(violation_, 1, run_id);
    sqlite3_bind_int64(violation_, 2, r.seq);
    sqlite3_bind_int64(violation_, 3, r.time_us);
    BindText(violation_, 4, v->id);
    BindText(violation_, 5, v->message);
    if (!Step(violation_, error)) return false;
    for (int64_t seq : v->causes) {
      sqlite3_bind_int64(cause_, 1, run_id);
      sqlite3_bind_int64(cause_, 2, r.seq);
      sqlite3_bind_int64(cause_, 3, seq);
      if (!Step(cause_, error)) return false;
    }
    return true;
  }
  return true;
}

TraceRecord EventFromRow(sqlite3_stmt* st, int first) {
  auto text = [st](int col) {
    const unsigned char* t = sqlite3_column_text(st, col);
    return t ? std::string(reinterpret_cast<const char*>(t)) : std::string();
  };
  TraceRecord r;
  r.seq = sqlite3_column_int64(st, first);
  r.time_us = sqlite3_column_int64(st, first + 1);
  r.node = sqlite3_column_int(st, first + 2);
  r.kind = text(first + 3);
  r.peer = sqlite3_column_int(st, first + 4);
  r.msg_type = text(first + 5);
  r.details = text(first + 6);
  return r;
}

bool DeriveRowsFromEvents(sqlite3* db, int64_t run_id, std::string* error) {
  DerivedRowWriter writer;
  if (!writer.Prepare(db, error)) return false;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db,
                         "SELECT run_id, seq, time_us, node, kind, peer, msg_type, details "
                         "FROM main.events WHERE ?1 < 0 OR run_id = ?1 ORDER BY run_id, seq",
                         -1, &st, nullptr) != SQLITE_OK) {
    *error = sqlite3_errmsg(db);
    return false;
  }
  sqlite3_bind_int64(st, 1, run_id);
  bool ok = true;
  int rc = SQLITE_DONE;
  // Bounded by the events table.
  while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    ok = writer.Write(sqlite3_column_int64(st, 0), EventFromRow(st, 1), error);
  }
  if (ok && rc != SQLITE_DONE) {
    *error = sqlite3_errmsg(db);
    ok = false;
  }
  sqlite3_finalize(st);
  return ok && writer.FlushUndelivered(error);
}

bool BackfillClientErrorKinds(sqlite3* db, int64_t run_id, std::string* error) {
  sqlite3_stmt* read = nullptr;
  sqlite3_stmt* write = nullptr;
  // Only records that name a kind need an update; the columns default to 0.
  bool ok =
      sqlite3_prepare_v2(db,
                         "SELECT run_id, seq, details FROM main.events WHERE (?1 < 0 OR "
                         "run_id = ?1) AND kind = 'ClientOp' AND (details LIKE '% asks=%' OR "
                         "details LIKE '% tryagain=%' OR details LIKE '% clusterdown=%')",
                         -1, &read, nullptr) == SQLITE_OK &&
      sqlite3_prepare_v2(db,
                         "UPDATE main.client_ops SET asks=?, tryagain=?, clusterdown=? "
                         "WHERE run_id=? AND seq=?",
                         -1, &write, nullptr) == SQLITE_OK;
  if (ok) sqlite3_bind_int64(read, 1, run_id);
  int rc = SQLITE_DONE;
  // Bounded by the events table.
  while (ok && (rc = sqlite3_step(read)) == SQLITE_ROW) {
    const std::string details(reinterpret_cast<const char*>(sqlite3_column_text(read, 2)));
    sqlite3_bind_int64(write, 1, ToInt(DetailField(details, "asks")));
    sqlite3_bind_int64(write, 2, ToInt(DetailField(details, "tryagain")));
    sqlite3_bind_int64(write, 3, ToInt(DetailField(details, "clusterdown")));
    sqlite3_bind_int64(write, 4, sqlite3_column_int64(read, 0));
    sqlite3_bind_int64(write, 5, sqlite3_column_int64(read, 1));
    ok = sqlite3_step(write) == SQLITE_DONE;
    sqlite3_reset(write);
  }
  if (!ok || (rc != SQLITE_DONE && rc != SQLITE_ROW)) {
    *error = sqlite3_errmsg(db);
    ok = false;
  }
  sqlite3_finalize(read);
  sqlite3_finalize(write);
  return ok;
}

}  // namespace slotsim
