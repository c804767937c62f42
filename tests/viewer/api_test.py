#!/usr/bin/env python3
"""API tests for `slotsim view` (ctest viewer.api).

Records two runs of tests/viewer/failover-during-migration.textproto, serves
them, and checks every endpoint against SQL run directly on the file (the
oracle), every kind of bad request (4xx with a message), path traversal,
writes refused, and that the database file is byte-for-byte unchanged.

usage: api_test.py SLOTSIM_BINARY SOURCE_DIR
"""
import hashlib
import http.client
import json
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

BIN, SRC = sys.argv[1], sys.argv[2]
SCENARIO = os.path.join(SRC, "tests/viewer/failover-during-migration.textproto")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr)


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


work = tempfile.mkdtemp(prefix="viewer-api-")
db = os.path.join(work, "trace.db")
for seed in (1, 2):
    subprocess.run([BIN, "run", SCENARIO, "--seed", str(seed), "--db", db],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
oracle = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
q = lambda sql, *args: oracle.execute(sql, args).fetchall()
before = (digest(db), os.path.getmtime(db), os.path.getsize(db))

server = subprocess.Popen([BIN, "view", db, "--port", "0"], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
line = server.stdout.readline()
check("serving" in line and "http://127.0.0.1:" in line, f"startup line: {line!r}")
port = int(line.split("http://127.0.0.1:")[1].split("/")[0])


def raw(method, path):
    """Sends `path` exactly as given (no normalisation)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.putrequest(method, path, skip_accept_encoding=True)
    if method != "GET":
        conn.putheader("Content-Length", "2")
    conn.endheaders(b"{}" if method != "GET" else None)
    r = conn.getresponse()
    body = r.read()
    conn.close()
    return r.status, r.getheader("Content-Type", ""), body


def get(path, **params):
    query = urllib.parse.urlencode(params)
    status, _, body = raw("GET", path + ("?" + query if query else ""))
    return status, json.loads(body)


def ok(path, **params):
    status, body = get(path, **params)
    check(status == 200, f"GET {path} {params}: status {status}: {body}")
    return body


def bad(expected, path, **params):
    status, body = get(path, **params)
    check(status == expected and isinstance(body.get("error"), str) and len(body["error"]) > 10,
          f"GET {path} {params}: expected {expected} with a message, got {status} {body}")
    return body


try:
    # /api/meta and /api/runs: totals, filters, sort, paging, repro.
    check(ok("/api/meta")["runs"] == 2, "meta counts 2 runs")
    runs = ok("/api/runs")
    check(runs["total"] == 2 and [r["id"] for r in runs["runs"]] == [1, 2], f"runs list {runs['total']}")
    for r in runs["runs"]:
        check(r["repro"].endswith(f"--seed {r['seed']}") and r["repro"].startswith("slotsim run "),
              f"repro command {r['repro']}")
        check(r["violation_count"] == q("SELECT count(*) FROM violations WHERE run_id=?", r["id"])[0][0],
              "violation_count matches the violations table")
    check([r["seed"] for r in ok("/api/runs", sort="seed", order="desc")["runs"]] == [2, 1], "sort by seed desc")
    check(ok("/api/runs", seed=2)["total"] == 1, "seed filter")
    check(ok("/api/runs", scenario="viewer-failover-during-migration")["total"] == 2, "scenario filter")
    check(ok("/api/runs", scenario="x' OR '1'='1")["total"] == 0, "a quoted filter is a value, not SQL")
    check(ok("/api/runs", outcome="crashed")["total"] == 0, "outcome filter")
    page = ok("/api/runs", limit=1, offset=1)
    check(len(page["runs"]) == 1 and page["runs"][0]["id"] == 2, "limit and offset")

    # /api/runs/1: faults, marks, nodes, violations.
    s = ok("/api/runs/1")
    bands = [b for b in s["faults"]["bands"] if b["kind"] == "partition"]
    check(len(bands) == 1 and len(bands[0]["links"]) == 10, f"one partition band of 10 cut links: {bands}")
    cut = q("SELECT min(time_us) FROM events WHERE run_id=1 AND kind='Partition'")[0][0]
    healed = q("SELECT max(time_us) FROM events WHERE run_id=1 AND kind='Heal'")[0][0]
    check(bands and bands[0]["start_us"] == cut and bands[0]["end_us"] == healed, "band spans cut to heal")
    check(any(m["kind"] == "FailoverDone" and m["node"] == 3 for m in s["marks"]), "node 3's failover is marked")
    check([n["node"] for n in s["nodes"] if n["kind"] == "cluster"] == list(range(6)), "six cluster nodes")
    check(any(v["id"] == "no-open-slots" for v in s["violation_list"]), "no-open-slots violation listed")
    check(s["last_seq"] == q("SELECT max(seq) FROM events WHERE run_id=1")[0][0], "last_seq")
    check("FAILOVER_AUTH_REQUEST" in s["message_types"], "message types")

    # /api/runs/1/messages: rare types one by one, the rest as counts.
    m = ok("/api/runs/1/messages", limit=200)
    check("FAILOVER_AUTH_ACK" in m["shown_types"] and "PING" in m["aggregated"], "rare shown, frequent aggregated")
    for t, counts in m["aggregated"].items():
        n = q("SELECT count(*) FROM messages WHERE run_id=1 AND msg_type=?", t)[0][0]
        check(sum(counts) == n == m["type_counts"][t], f"{t}: density counts {sum(counts)} vs {n}")
    acks = [x for x in m["messages"] if x[1] == "FAILOVER_AUTH_ACK"]
    check(len(acks) == q("SELECT count(*) FROM messages WHERE run_id=1 AND msg_type='FAILOVER_AUTH_ACK'")[0][0],
          "every FAILOVER_AUTH_ACK is sent")
    w = ok("/api/runs/1/messages", from_us=9000000, to_us=12000000, nodes="0,3", types="PING,PONG", limit=20000)
    check(w["messages"] and all(x[1] in ("PING", "PONG") and {x[2], x[3]} <= {0, 3} and 9000000 <= x[4] <= 12000000
                                for x in w["messages"]), "window, node and type filters")
    n = q("SELECT count(*) FROM messages WHERE run_id=1 AND msg_type IN ('PING','PONG') AND from_node IN (0,3) "
          "AND to_node IN (0,3) AND send_us BETWEEN 9000000 AND 12000000")[0][0]
    check(len(w["messages"]) == n, f"filtered messages {len(w['messages'])} vs SQL {n}")

    # /api/runs/1/state: the promoted replica's epoch change, the hand-off.
    done = q("SELECT time_us FROM events WHERE run_id=1 AND kind='FailoverDone' AND node=3")[0][0]
    pre, post = ok("/api/runs/1/state", t_us=done - 1), ok("/api/runs/1/state", t_us=done + 1000)
    n3 = lambda st: next(n for n in st["nodes"] if n["node"] == 3)
    check(n3(pre)["role"] == "replica" and n3(post)["role"] == "primary", "node 3 promoted across FailoverDone")
    check(n3(post)["config_epoch"] > n3(pre)["config_epoch"], "promotion raises node 3's configEpoch")
    row = q("SELECT current_epoch, config_epoch FROM node_states WHERE run_id=1 AND node=3 AND time_us<=? "
            "ORDER BY seq DESC LIMIT 1", done + 1000)[0]
    check((n3(post)["current_epoch"], n3(post)["config_epoch"]) == row, "state matches node_states")
    owner = lambda st, node, slot: next(o for lo, hi, o in next(n for n in st["nodes"] if n["node"] == node)["slot_view"]
                                        if lo <= slot <= hi)
    check(owner(ok("/api/runs/1/state", t_us=7000000), 1, 0) == 0, "slot 0 is node 0's before the migration")
    check(owner(ok("/api/runs/1/state", t_us=9400000), 1, 0) == 1, "slot 0 is node 1's after its hand-off")
    during = ok("/api/runs/1/state", t_us=bands[0]["start_us"] + 100000)
    check(sorted(next(n for n in during["nodes"] if n["node"] == 0)["cut_to"]) == [1, 2, 3, 4, 5], "node 0 cut off")
    check(during["seq"] == q("SELECT max(seq) FROM events WHERE run_id=1 AND time_us<=?", during["t_us"])[0][0],
          "state seq is the last record at that time")

    # /api/runs/1/timeline and /client.
    tl = ok("/api/runs/1/timeline", limit=50)
    check(len(tl["rows"]) == 50 and tl["truncated"], "timeline limit")
    check(len(ok("/api/runs/1/timeline")["rows"]) == q("SELECT count(*) FROM node_states WHERE run_id=1")[0][0],
          "timeline rows")
    c = ok("/api/runs/1/client", buckets=40)
    col = {name: i for i, name in enumerate(c["columns"])}
    total = lambda k: sum(b[col[k]] for b in c["buckets"])
    check(total("ops") == c["ops"] == q("SELECT count(*) FROM client_ops WHERE run_id=1")[0][0], "client ops")
    check(total("clusterdown") == q("SELECT sum(clusterdown) FROM client_ops WHERE run_id=1")[0][0] > 0,
          "CLUSTERDOWN replies counted")
    check(total("moved") == q("SELECT sum(redirects - asks) FROM client_ops WHERE run_id=1")[0][0], "MOVED")
    check(total("failed") == q("SELECT count(*) FROM client_ops WHERE run_id=1 AND outcome='error'")[0][0], "failed")

    # /api/runs/1/events: keyset pages, filters, jumps.
    seqs, after = [], -1
    for _ in range(3):
        p = ok("/api/runs/1/events", after_seq=after, limit=50)
        seqs += [e["seq"] for e in p["events"]]
        after = p["next_after_seq"]
    check(seqs == [r[0] for r in q("SELECT seq FROM events WHERE run_id=1 ORDER BY seq LIMIT 150")], "three pages")
    back = ok("/api/runs/1/events", before_seq=100, limit=10)
    check([e["seq"] for e in back["events"]] == list(range(90, 100)), "before_seq page")
    k = ok("/api/runs/1/events", kinds="FailoverDone,ElectionWon", limit=500)
    check(len(k["events"]) == q("SELECT count(*) FROM events WHERE run_id=1 AND kind IN ('FailoverDone','ElectionWon')")[0][0]
          and k["events"], "kinds filter")
    v = s["violation_list"][0]
    a = ok("/api/runs/1/events", around_seq=v["seq"], limit=11)
    check(v["seq"] in [e["seq"] for e in a["events"]] and a["anchor_seq"] == v["seq"], "around_seq")
    t = ok("/api/runs/1/events", t_us=done, limit=4)
    check(t["anchor_seq"] == q("SELECT max(seq) FROM events WHERE run_id=1 AND time_us<=?", done)[0][0], "t_us anchor")
    txt = ok("/api/runs/1/events", q="FAILOVER_AUTH", nodes="3", limit=100)
    check(txt["events"] and all("FAILOVER_AUTH" in e["msg_type"] + e["details"] and e["node"] == 3 for e in txt["events"]),
          "text and node filters")

    # /api/compare.
    cmp = ok("/api/compare", a=1, b=2)
    r1 = q("SELECT seq, time_us, node, kind, peer, msg_type, details FROM events WHERE run_id=1 ORDER BY seq")
    r2 = q("SELECT seq, time_us, node, kind, peer, msg_type, details FROM events WHERE run_id=2 ORDER BY seq")
    first = next(i for i, (x, y) in enumerate(zip(r1, r2)) if x != y)
    check(cmp["differ"] and cmp["first_seq"] == r1[first][0] and cmp["equal_records"] == first,
          f"compare: first difference {cmp.get('first_seq')} vs {r1[first][0]}")
    check(not ok("/api/compare", a=1, b=1)["differ"], "a run equals itself")

    # Bad requests: 4xx with a sentence.
    bad(400, "/api/runs/abc")
    bad(400, "/api/runs/0")
    bad(404, "/api/runs/999")
    bad(404, "/api/runs/999/state", t_us=0)
    bad(400, "/api/runs/1/state")
    bad(400, "/api/runs/1/state", t_us=-5)
    bad(400, "/api/runs/1/state", t_us="abc")
    bad(400, "/api/runs/1/state", t_us="1e6")
    bad(400, "/api/runs/1/events", limit=0)
    bad(400, "/api/runs/1/events", limit=100000)
    bad(400, "/api/runs/1/events", after_seq=1, around_seq=5)
    bad(400, "/api/runs/1/events", nodes="a,b")
    bad(400, "/api/runs/1/events", kinds=",,")
    bad(400, "/api/runs/1/events", q="x" * 300)
    bad(400, "/api/runs/1/messages", from_us=10, to_us=5)
    bad(400, "/api/runs/1/messages", buckets=0)
    bad(400, "/api/runs/1/client", buckets=5000)
    bad(400, "/api/runs/1", colour="red")
    bad(400, "/api/runs", sort="id; DROP TABLE runs")
    bad(400, "/api/runs", order="sideways")
    bad(400, "/api/runs", outcome="bogus")
    bad(400, "/api/runs", limit=501)
    bad(400, "/api/compare", a=1)
    bad(404, "/api/compare", a=1, b=99)
    bad(404, "/api/nope")
    bad(404, "/api/runs/1/nope")
    bad(404, "/api/runs/1/state/extra")
    status, _, body = raw("GET", "/api/runs?seed=1&seed=2")
    check(status == 400 and b"more than once" in body, "a repeated parameter is refused")
    status, _, body = raw("GET", "/api/runs?scenario=" + "y" * 5000)
    check(status == 400, f"an overlong parameter is refused ({status})")

    # Writes are refused; static files come from the app's fixed set.
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        status, _, body = raw(method, "/api/runs")
        check(status == 405 and b"read-only" in body, f"{method} refused: {status}")
    status, ctype, body = raw("GET", "/")
    check(status == 200 and "text/html" in ctype and b"/static/app.js" in body, "index page")
    status, ctype, body = raw("GET", "/static/app.js")
    check(status == 200 and "javascript" in ctype and b"import" in body, "app.js served as JavaScript")
    for path in ["/static/../../../../etc/passwd", "/static/..%2f..%2f..%2fetc%2fpasswd",
                 "/static/%2e%2e/%2e%2e/CMakeLists.txt", "/../../../etc/passwd", "/static//etc/passwd",
                 "/static/.hidden", "/static/../CMakeLists.txt", "/static/%00app.js",
                 "/static/app.js/../../trace.db", "/" + os.path.relpath(db, "/")]:
        status, _, body = raw("GET", path)
        check(400 <= status < 500 and b"root:" not in body and b"SQLite format" not in body,
              f"traversal {path}: {status}")
    # A request the HTTP layer itself rejects still gets an answer.
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GARBAGE\r\n\r\n")
    reply = sock.recv(200)
    sock.close()
    check(reply.startswith(b"HTTP/1.1 4"), f"a malformed request gets a 4xx: {reply[:40]!r}")
    check(server.poll() is None, "the server survives every bad request")
finally:
    server.terminate()
    server.wait(timeout=10)

oracle.close()
after = (digest(db), os.path.getmtime(db), os.path.getsize(db))
check(before == after, "the database file is unchanged")
wal = db + "-wal"
check(not os.path.exists(wal) or os.path.getsize(wal) == 0, "nothing was written to a WAL")

# `slotsim view` on bad input: exit 2 with a sentence.
def view_fails(args, needle):
    r = subprocess.run([BIN, "view"] + args, capture_output=True, text=True, timeout=30)
    check(r.returncode == 2 and needle in r.stderr, f"view {args}: exit {r.returncode}, {r.stderr.strip()}")

view_fails([os.path.join(work, "missing.db")], "cannot open")
junk = os.path.join(work, "junk.db")
with open(junk, "w") as f:
    f.write("not a database\n" * 100)
view_fails([junk], "not a SQLite database")
old = os.path.join(work, "old.db")
subprocess.run(["cp", db, old], check=True)
conn = sqlite3.connect(old)
conn.executescript("DROP INDEX messages_by_type; UPDATE meta SET value='2' WHERE key='schema_version';")
conn.close()
view_fails([old], "slotsim runs")
view_fails([db, "--port", "70000"], "70000")
busy = socket.socket()
busy.bind(("127.0.0.1", 0))
busy.listen(1)
view_fails([db, "--port", str(busy.getsockname()[1])], "cannot listen")
busy.close()

if failures:
    print(f"viewer API: {len(failures)} failure(s)", file=sys.stderr)
    sys.exit(1)
print("viewer API: all checks passed")
