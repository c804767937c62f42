#!/usr/bin/python3
"""Real Redis's cost of moving big keys: DUMP, RESTORE and MIGRATE.

The anchor for slotsim's single-thread cost model (engine/cost_model.h:
command_ns, io_ns_per_kib, serialize_ns_per_kib, load_ns_per_kib).

Starts two redis-server processes (Debian's 7.0, non-cluster mode) on free
loopback ports, a source and a target, and for each kind and size measures,
each --repeats times (the median is shown), on a key freshly built on the
source with SET/HSET each time:
  - DUMP on the source, and DEL of the key (freeing the value is part of a
    MIGRATE's cost on the source);
  - MIGRATE source -> target (a move, as resharding does, not COPY: the
    source serializes, writes, waits for the target's RESTORE reply and then
    deletes its copy);
  - RESTORE of the DUMP payload on the target, and DUMP of that restored
    copy ("DUMP loaded": how fast a key that arrived by migration
    serializes in turn).
Each command is timed three ways:
  - server µs: the duration Redis itself logs in SLOWLOG
    (slowlog-log-slower-than 0), the time the command held the server's one
    thread; for MIGRATE this is how long the source was blocked;
  - server CPU µs: the main thread's CPU time around the command
    (/proc/PID/task/PID/schedstat, ns resolution); beyond the SLOWLOG time
    this holds reading the request from and writing the reply to the socket;
  - wall µs: the client's round trip (Python client, loopback).
Values are incompressible, so RDB's LZF compression, which DUMP and MIGRATE
try on every string longer than 20 bytes, cannot shrink them:
  - string: one value of SIZE bytes from a seeded random.Random;
  - hash: SIZE/100 fields named by an 8-digit counter, each holding 100
    random bytes (past hash-max-listpack-entries, so encoded as a hashtable;
    the encoding is reported per row).
With --rdbcompression no the servers skip that attempt, which shows its
share. Sizes are in MB of 10^6 bytes of values; ns/KiB figures are per KiB
of the serialized (DUMP) payload.

Unless --no-command-bench, also runs redis-benchmark (SET and GET, 3-byte
values, 50 clients) against the source, unpipelined and with -P 16, and
reports the server's main-thread CPU per command (the command_ns anchor).

Needs redis-server, redis-benchmark and python3-redis
(scripts/setup.sh --tests). Takes a minute or two with the defaults.

  /usr/bin/python3 bench/redis_migrate_cost.py [--repeats R] [--sizes 1,10,100]
      [--kinds string,hash] [--rdbcompression yes|no] [--json] [--no-command-bench]
"""
import argparse
import csv
import io
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import redis  # Debian's python3-redis

MB = 1000 * 1000
HASH_VALUE_BYTES = 100
HASH_BATCH_FIELDS = 1000  # fields per HSET while building a hash
MIGRATE_TIMEOUT_MS = 60000
SEED = 20240516
KEY = "big"
WAIT_WARN_PCT = 10  # warn when a server waited this much of a command for a CPU


def log(msg):
    print(f"redis_migrate_cost: {msg}", file=sys.stderr, flush=True)


def free_ports(n):
    """n distinct ports the kernel had free on loopback a moment ago."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Server:
    """One redis-server child process and a client connected to it."""

    def __init__(self, name, port, workdir, rdbcompression):
        self.name = name
        self.port = port
        d = os.path.join(workdir, name)
        os.makedirs(d)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--slowlog-log-slower-than", "0", "--slowlog-max-len", "128",
             "--rdbcompression", rdbcompression,
             "--logfile", os.path.join(d, "log.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.r = redis.Redis(host="127.0.0.1", port=port, socket_timeout=600)
        deadline = time.monotonic() + 30
        while True:
            try:
                self.r.ping()
                break
            except redis.exceptions.ConnectionError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server on port {port} did not start")
                time.sleep(0.05)

    def sched_ns(self):
        """(CPU time, time runnable but waiting for a CPU) of the main,
        command-executing, thread so far, in ns."""
        pid = self.proc.pid
        with open(f"/proc/{pid}/task/{pid}/schedstat") as f:
            run, wait = f.read().split()[:2]
        return int(run), int(wait)

    def slowlog_us(self, command):
        """The logged duration of the one `command` since the last reset."""
        found = [e["duration"] for e in self.r.slowlog_get(128)
                 if e["command"].split(b" ", 1)[0].upper() == command.upper().encode()]
        if len(found) != 1:
            raise RuntimeError(f"{self.name}: expected one {command} in SLOWLOG, got {len(found)}")
        return found[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def timed(srv, *args, other=None, other_command=None):
    """Runs one command on srv; returns (reply, timing dict). With `other`,
    also reads that server's CPU and its SLOWLOG entry for `other_command`
    (the target's side of a MIGRATE). wait_pct is how long the servers were
    runnable but without a CPU, which inflates SLOWLOG durations, as a share
    of the round trip (of at least 1 ms, so that a quick command's wake-up
    delay does not count for much)."""
    servers = [srv] + ([other] if other else [])
    for s in servers:
        s.r.slowlog_reset()
    before = [s.sched_ns() for s in servers]
    t0 = time.perf_counter_ns()
    reply = srv.r.execute_command(*args)
    wall_ns = time.perf_counter_ns() - t0
    after = [s.sched_ns() for s in servers]
    cpu_us = [(a[0] - b[0]) / 1000 for a, b in zip(after, before)]
    wait_us = sum(a[1] - b[1] for a, b in zip(after, before)) / 1000
    t = {"server_us": srv.slowlog_us(args[0]), "cpu_us": cpu_us[0], "wall_us": wall_ns / 1000,
         "wait_pct": 100 * wait_us / max(1000, wall_ns / 1000)}
    if other:
        t["other_server_us"] = other.slowlog_us(other_command)
        t["other_cpu_us"] = cpu_us[1]
    return reply, t


def build_key(r, kind, size, rnd):
    if kind == "string":
        r.set(KEY, rnd.randbytes(size))
        return
    fields = size // HASH_VALUE_BYTES
    values = rnd.randbytes(fields * HASH_VALUE_BYTES)
    pipe = r.pipeline(transaction=False)
    for start in range(0, fields, HASH_BATCH_FIELDS):
        end = min(fields, start + HASH_BATCH_FIELDS)
        pipe.hset(KEY, mapping={b"%08d" % i: values[i * HASH_VALUE_BYTES:(i + 1) * HASH_VALUE_BYTES]
                                for i in range(start, end)})
        if len(pipe) >= 64:
            pipe.execute()
    pipe.execute()


def measure(src, dst, kind, size_mb, repeats, seed):
    """One row: the medians over `repeats` rounds. Every round builds the key
    afresh with SET/HSET (the same content each time) for DUMP, DEL and
    MIGRATE on the source, since how a hashtable lies in memory changes how
    fast it is walked: a copy RESTOREd on the server that DUMPed it is
    allocated in that server's walk order (same hash seed) and was measured
    to serialize about twice as fast, which no migrated key enjoys. The
    target's RESTORE gets the first DUMP's payload; its copy is DUMPed too
    ("DUMP loaded")."""
    for s in (src, dst):
        s.r.flushall(asynchronous=False)
    size = size_mb * MB

    def fresh_key():
        src.r.delete(KEY)
        build_key(src.r, kind, size, random.Random(f"{seed}/{kind}/{size_mb}"))

    def key_length(r):
        return r.strlen(KEY) if kind == "string" else r.hlen(KEY)

    fresh_key()
    encoding = src.r.object("encoding", KEY).decode()
    length = key_length(src.r)
    payload = None
    t = {name: [] for name in ("dump", "del", "migrate", "restore", "dump_loaded")}
    for _ in range(repeats):
        fresh_key()
        reply, sample = timed(src, "DUMP", KEY)
        t["dump"].append(sample)
        payload = payload or reply
        t["del"].append(timed(src, "DEL", KEY)[1])

        fresh_key()
        dst.r.delete(KEY)
        reply, sample = timed(src, "MIGRATE", "127.0.0.1", dst.port, KEY, 0, MIGRATE_TIMEOUT_MS,
                              other=dst, other_command="RESTORE")
        if reply != b"OK" or src.r.exists(KEY) or key_length(dst.r) != length:
            raise RuntimeError(f"MIGRATE replied {reply!r} or did not move the key")
        t["migrate"].append(sample)

        dst.r.delete(KEY)
        t["restore"].append(timed(dst, "RESTORE", KEY, 0, payload)[1])
        reply, sample = timed(dst, "DUMP", KEY)
        t["dump_loaded"].append(sample)
        # A hashtable's DUMP follows its bucket order, which a RESTORE may
        # change; the size and the length still have to match.
        if len(reply) != len(payload) or key_length(dst.r) != length:
            raise RuntimeError("the restored key differs from the source's")
        dst.r.delete(KEY)

    def med(name, field="server_us"):
        return statistics.median(sample[field] for sample in t[name])

    kib = len(payload) / 1024
    row = {
        "kind": kind, "size_mb": size_mb, "encoding": encoding,
        "length": length, "serialized_bytes": len(payload),
        "dump_us": med("dump"), "dump_cpu_us": med("dump", "cpu_us"),
        "dump_wall_us": med("dump", "wall_us"),
        "dump_loaded_us": med("dump_loaded"),
        "restore_us": med("restore"), "restore_cpu_us": med("restore", "cpu_us"),
        "restore_wall_us": med("restore", "wall_us"),
        "del_us": med("del"),
        "migrate_us": med("migrate"), "migrate_cpu_us": med("migrate", "cpu_us"),
        "migrate_wall_us": med("migrate", "wall_us"),
        "migrate_target_restore_us": med("migrate", "other_server_us"),
        "migrate_target_cpu_us": med("migrate", "other_cpu_us"),
        "max_wait_pct": round(max(sample["wait_pct"] for name in t for sample in t[name]), 1),
    }

    def per_kib(us):
        return round(us * 1000 / kib, 1)

    row.update({
        "dump_ns_per_kib": per_kib(row["dump_us"]),
        "dump_loaded_ns_per_kib": per_kib(row["dump_loaded_us"]),
        "restore_ns_per_kib": per_kib(row["restore_us"]),
        "migrate_ns_per_kib": per_kib(row["migrate_us"]),
        "del_ns_per_kib": per_kib(row["del_us"]),
        # Socket work outside the command proper: writing DUMP's reply,
        # reading RESTORE's argument (main-thread CPU minus SLOWLOG time).
        "write_io_ns_per_kib": per_kib(row["dump_cpu_us"] - row["dump_us"]),
        "read_io_ns_per_kib": per_kib(row["restore_cpu_us"] - row["restore_us"]),
        # What MIGRATE's blocked time holds beyond serializing, the target's
        # RESTORE and the source's DEL: the transfer, both sides' socket work.
        "migrate_transfer_ns_per_kib": per_kib(row["migrate_us"] - row["dump_us"]
                                               - row["migrate_target_restore_us"]
                                               - row["del_us"]),
    })
    for s in (src, dst):
        s.r.flushall(asynchronous=False)
    return row


def command_bench(srv, requests, repeats):
    """Server main-thread CPU per SET/GET from redis-benchmark (medians)."""
    out = []
    for pipeline in (1, 16):
        for test in ("set", "get"):
            runs = []
            for _ in range(repeats):
                cpu0 = srv.sched_ns()[0]
                run = subprocess.run(
                    ["redis-benchmark", "-h", "127.0.0.1", "-p", str(srv.port), "-t", test,
                     "-n", str(requests), "-P", str(pipeline), "--csv"],
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
                cpu_ns = srv.sched_ns()[0] - cpu0
                rps = float(next(csv.DictReader(io.StringIO(run.stdout)))["rps"])
                runs.append((cpu_ns / requests, rps))
            out.append({"test": test.upper(), "pipeline": pipeline, "requests": requests,
                        "rps": statistics.median(r[1] for r in runs),
                        "server_cpu_ns_per_command":
                            round(statistics.median(r[0] for r in runs))})
    return out


def markdown(result):
    lines = [
        f"redis-server {result['redis_server']}, {result['cpu']}, "
        f"rdbcompression {result['rdbcompression']}, median of {result['repeats']}; "
        "µs are SLOWLOG durations (MIGRATE: the source's, i.e. how long it was blocked)",
        "",
        "| kind | size MB | encoding | serialized bytes | DUMP µs | RESTORE µs "
        "| MIGRATE µs (source blocked) | DUMP ns/KiB | RESTORE ns/KiB | MIGRATE ns/KiB |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['kind']} | {r['size_mb']} | {r['encoding']} | {r['serialized_bytes']} "
            f"| {r['dump_us']:.0f} | {r['restore_us']:.0f} | {r['migrate_us']:.0f} "
            f"| {r['dump_ns_per_kib']:.0f} | {r['restore_ns_per_kib']:.0f} "
            f"| {r['migrate_ns_per_kib']:.0f} |")
    lines += [
        "",
        "Breakdown: CPU = server main-thread CPU µs around the command; wall = client "
        "round trip µs; DUMP loaded = DUMP of the RESTOREd copy; DEL = of the source's "
        "key; in MIGRATE = the target's RESTORE within the MIGRATE; "
        "write/read I/O = (CPU - SLOWLOG) of DUMP/RESTORE per KiB; transfer = "
        "(MIGRATE - DUMP - target RESTORE - DEL) per KiB.",
        "",
        "| kind | size MB | DUMP CPU | DUMP wall | DUMP loaded µs | RESTORE CPU "
        "| RESTORE wall | DEL µs | MIGRATE src CPU | MIGRATE wall | RESTORE in MIGRATE µs "
        "| DUMP loaded ns/KiB | DEL ns/KiB | write I/O ns/KiB | read I/O ns/KiB "
        "| transfer ns/KiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in result["rows"]:
        lines.append(
            f"| {r['kind']} | {r['size_mb']} | {r['dump_cpu_us']:.0f} | {r['dump_wall_us']:.0f} "
            f"| {r['dump_loaded_us']:.0f} | {r['restore_cpu_us']:.0f} "
            f"| {r['restore_wall_us']:.0f} | {r['del_us']:.0f} "
            f"| {r['migrate_cpu_us']:.0f} | {r['migrate_wall_us']:.0f} "
            f"| {r['migrate_target_restore_us']:.0f} | {r['dump_loaded_ns_per_kib']:.0f} "
            f"| {r['del_ns_per_kib']:.0f} "
            f"| {r['write_io_ns_per_kib']:.0f} | {r['read_io_ns_per_kib']:.0f} "
            f"| {r['migrate_transfer_ns_per_kib']:.0f} |")
    busy = [f"{r['kind']} {r['size_mb']} MB ({r['max_wait_pct']:.0f}%)"
            for r in result["rows"] if r["max_wait_pct"] > WAIT_WARN_PCT]
    if busy:
        lines += ["", "Note: the servers waited for a CPU during some commands (largest "
                  "share of a command's round trip): " + ", ".join(busy) + "; other "
                  "processes, or on few cores this benchmark's own client and servers, "
                  "competed with them, and single samples may be inflated."]
    if result.get("commands"):
        lines += [
            "",
            "redis-benchmark, 50 clients, 3-byte values: server main-thread CPU per command",
            "",
            "| command | pipeline | requests/s | server CPU ns/command |",
            "|---|---:|---:|---:|",
        ]
        for c in result["commands"]:
            lines.append(f"| {c['test']} | {c['pipeline']} | {c['rps']:.0f} "
                         f"| {c['server_cpu_ns_per_command']} |")
    return "\n".join(lines)


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return f"{line.split(':', 1)[1].strip()} x{os.cpu_count()}"
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3, help="runs per measurement (median shown)")
    ap.add_argument("--sizes", default="1,10,100",
                    help="MB (10^6 bytes) of values, comma-separated")
    ap.add_argument("--kinds", default="string,hash", help="string and/or hash")
    ap.add_argument("--seed", type=int, default=SEED, help="seed of the random values")
    ap.add_argument("--bench-requests", type=int, default=200000,
                    help="redis-benchmark requests per SET/GET run")
    ap.add_argument("--no-command-bench", action="store_true", help="skip redis-benchmark")
    ap.add_argument("--rdbcompression", choices=("yes", "no"), default="yes",
                    help="the servers' rdbcompression (LZF in DUMP/MIGRATE); default yes, "
                         "as Redis")
    ap.add_argument("--json", action="store_true", help="print JSON instead of markdown")
    a = ap.parse_args()
    sizes = [int(s) for s in a.sizes.split(",") if s]
    kinds = [k for k in a.kinds.split(",") if k]
    if a.repeats < 1 or not sizes or any(s < 1 for s in sizes) or \
            any(k not in ("string", "hash") for k in kinds):
        ap.error("need --repeats >= 1, sizes >= 1 and kinds among string,hash")
    tools = ["redis-server"] + ([] if a.no_command_bench else ["redis-benchmark"])
    for tool in tools:
        if shutil.which(tool) is None:
            sys.exit(f"redis_migrate_cost: {tool} missing (scripts/setup.sh --tests)")

    # SIGTERM unwinds like Ctrl-C, so the servers are stopped either way.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("redis_migrate_cost: terminated"))
    work = tempfile.mkdtemp(prefix="redis-migrate-cost-")
    servers = []
    try:
        src_port, dst_port = free_ports(2)
        servers.append(Server("source", src_port, work, a.rdbcompression))
        servers.append(Server("target", dst_port, work, a.rdbcompression))
        src, dst = servers
        result = {"redis_server": src.r.info("server")["redis_version"], "cpu": cpu_model(),
                  "repeats": a.repeats, "seed": a.seed, "rdbcompression": a.rdbcompression,
                  "rows": [], "commands": []}
        for kind in kinds:
            for size_mb in sizes:
                log(f"{kind} {size_mb} MB")
                result["rows"].append(measure(src, dst, kind, size_mb, a.repeats, a.seed))
        if not a.no_command_bench:
            log("redis-benchmark")
            result["commands"] = command_bench(src, a.bench_requests, a.repeats)
    finally:
        for s in servers:
            s.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(result, indent=2) if a.json else markdown(result))


if __name__ == "__main__":
    main()
