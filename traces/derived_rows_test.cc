#include "traces/derived_rows.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <sqlite3.h>
#include <unistd.h>

#include "engine/trace_records.h"
#include "traces/trace_db.h"

namespace slotsim {
namespace {

TEST(DetailField, FindsWholeKeysOnly) {
  const std::string d = "conn=3 bytes=48 msg=809 xmsg=1";
  EXPECT_EQ(DetailField(d, "msg"), "809");
  EXPECT_EQ(DetailField(d, "conn"), "3");
  EXPECT_EQ(DetailField(d, "xmsg"), "1");
  EXPECT_EQ(DetailField(d, "sg"), "");
  EXPECT_EQ(DetailField(d, "missing"), "");
  EXPECT_EQ(DetailField("", "msg"), "");
  EXPECT_EQ(DetailField("msg", "msg"), "");  // a key without a value
}

TEST(DetailField, ReplyAndMessageRunToTheEnd) {
  EXPECT_EQ(DetailField("client=0 outcome=error reply=(error) CLUSTERDOWN The cluster is down",
                        "reply"),
            "(error) CLUSTERDOWN The cluster is down");
  EXPECT_EQ(DetailField("id=x causes=1,2 message=a b=c", "message"), "a b=c");
  EXPECT_EQ(DetailField("id=x causes=1,2 message=a b=c", "causes"), "1,2");
}

// node_states rows come from the typed NodeState record: a well-formed one
// is stored, and a malformed one stops the writer rather than storing a
// row of zeros.
TEST(DerivedRows, NodeStateRowsAreParsedStrictly) {
  for (bool malformed : {false, true}) {
    const std::string path = ::testing::TempDir() + "node_state_" + std::to_string(getpid()) +
                             (malformed ? "_bad" : "_good") + ".db";
    std::remove(path.c_str());
    std::string error;
    auto db = TraceDb::Open(path, &error);
    ASSERT_NE(db, nullptr) << error;
    db->BeginRun(RunInfo{});
    NodeStateRecord n;
    n.primary = true;
    n.current_epoch = n.config_epoch = 7;
    n.state_ok = true;
    n.slots = "0-99";
    TraceRecord r;
    r.kind = std::string(NodeStateRecord::kKind);
    r.node = 0;
    r.details = n.Format();
    if (malformed) r.details.replace(r.details.find("config_epoch=7"), 14, "config_epoch=x");
    if (malformed) {
      // Our own engine wrote it: a broken trace stops the run loudly.
      EXPECT_DEATH(db->OnTrace(r), "config_epoch is not an integer");
    } else {
      db->OnTrace(r);
      db->FinishRun(RunSummary{});
      EXPECT_EQ(db->last_error(), "");
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db->handle(), "SELECT config_epoch, slots FROM node_states", -1,
                                   &st, nullptr),
                SQLITE_OK);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      EXPECT_EQ(sqlite3_column_int64(st, 0), 7);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))), "0-99");
      sqlite3_finalize(st);
    }
    db.reset();
    std::remove(path.c_str());
  }
}

// A client operation's row comes from the typed record: a renamed field
// stops the run instead of storing 0 latency.
TEST(DerivedRows, ClientOpRowsAreParsedStrictly) {
  for (bool malformed : {false, true}) {
    const std::string path = ::testing::TempDir() + "client_op_" + std::to_string(getpid()) +
                             (malformed ? "_bad" : "_good") + ".db";
    std::remove(path.c_str());
    std::string error;
    auto db = TraceDb::Open(path, &error);
    ASSERT_NE(db, nullptr) << error;
    db->BeginRun(RunInfo{});
    ClientOpRecord op;
    op.client = 1;
    op.key = "k 1";
    op.outcome = "ok";
    op.latency_us = 777;
    op.reply = "+OK";
    TraceRecord r;
    r.kind = std::string(ClientOpRecord::kKind);
    r.node = 5;
    r.msg_type = "SET";
    r.details = op.Format();
    if (malformed) r.details.replace(r.details.find("latency_us="), 11, "latency_ms=");
    if (malformed) {
      EXPECT_DEATH(db->OnTrace(r), "missing field latency_us");
    } else {
      db->OnTrace(r);
      db->FinishRun(RunSummary{});
      EXPECT_EQ(db->last_error(), "");
      sqlite3_stmt* st = nullptr;
      ASSERT_EQ(sqlite3_prepare_v2(db->handle(), "SELECT latency_us, key FROM client_ops", -1,
                                   &st, nullptr),
                SQLITE_OK);
      ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
      EXPECT_EQ(sqlite3_column_int64(st, 0), 777);
      EXPECT_EQ(std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, 1))), "k 1");
      sqlite3_finalize(st);
    }
    db.reset();
    std::remove(path.c_str());
  }
}

}  // namespace
}  // namespace slotsim
