#!/usr/bin/python3
"""Real Redis at scale, the anchor for issue 16's cost figures.

Starts N redis-server (Debian's 7.0) processes on loopback, forms them with
`redis-cli --cluster create --cluster-replicas 1`, and measures:
  - formed_s: from the create command until every node reports
    cluster_state:ok and knows all N nodes ("all ok, all known");
  - roles_s: until, in addition, every node names the same primary for
    every replica (what slotsim's converged-in-time also requires);
  - cpu_per_wall: CPU seconds per wall second that all N processes burn,
    over --idle seconds once formed (from /proc/PID/stat);
  - rss_mb_per_node: their mean resident memory (VmRSS) at the end;
  - describe_us_per_node: what generating one node's CLUSTER NODES line
    costs the server's thread (clusterGenNodesDescription, which also
    writes nodes.conf), from SLOWLOG's own timing of CLUSTER NODES on a few
    nodes (--describe-samples), divided by N. slotsim's cost model charges
    this per line (CostModel::node_line_ns).
Prints one JSON object. Needs redis-server, redis-cli and python3-redis
(scripts/setup.sh --tests). Ports: --port-base .. +N-1, bus ports +10000.

  bench/redis_scale.sh N [--idle SECONDS] [--node-timeout MS] [--port-base P]
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis  # Debian's python3-redis

POLL_S = 0.25
FORM_LIMIT_S = 600  # a formation that takes longer than this has failed


def cluster_view(clients):
    """(all_ok_and_known, roles_agree) over every node."""
    n = len(clients)
    roles = None
    ok = True
    for c in clients:
        info = c.execute_command("CLUSTER", "INFO")
        if isinstance(info, bytes):
            info = info.decode()
        fields = dict(line.split(":", 1) for line in info.split("\r\n") if ":" in line)
        if fields.get("cluster_state") != "ok" or int(fields.get("cluster_known_nodes", 0)) != n:
            ok = False
        if not ok:
            continue
        nodes = c.execute_command("CLUSTER", "NODES")
        if isinstance(nodes, bytes):
            nodes = nodes.decode()
        view = {}
        for line in nodes.splitlines():
            parts = line.split()
            if len(parts) < 4:
                continue
            view[parts[0]] = parts[3]  # the primary's id, or "-"
        if roles is None:
            roles = view
        elif view != roles:
            roles = {}
    return ok, ok and bool(roles) and len(roles) == n


def proc_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime


def proc_rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def describe_us(clients, samples):
    """Median server-side microseconds of one CLUSTER NODES, over `samples`
    calls on each of the first few nodes (SLOWLOG with a 0 threshold)."""
    times = []
    for c in clients[:4]:
        old = c.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
        c.config_set("slowlog-log-slower-than", 0)
        c.execute_command("SLOWLOG", "RESET")
        for _ in range(samples):
            c.execute_command("CLUSTER", "NODES")
        for entry in c.execute_command("SLOWLOG", "GET", samples + 10):
            args = [x.decode() if isinstance(x, bytes) else x for x in entry[3]]
            if [x.upper() for x in args[:2]] == ["CLUSTER", "NODES"]:
                times.append(entry[2])
        c.config_set("slowlog-log-slower-than", old)
    times.sort()
    return times[len(times) // 2] if times else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("nodes", type=int)
    ap.add_argument("--idle", type=float, default=60.0)
    ap.add_argument("--node-timeout", type=int, default=15000)
    ap.add_argument("--port-base", type=int, default=21000)
    ap.add_argument("--describe-samples", type=int, default=50,
                    help="CLUSTER NODES calls timed per node (0: skip)")
    a = ap.parse_args()
    if a.nodes < 6 or a.nodes % 2:
        sys.exit("redis_scale: N must be even and at least 6 (N/2 primaries, one replica each)")
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            sys.exit(f"redis_scale: {tool} missing (scripts/setup.sh --tests)")
    work = tempfile.mkdtemp(prefix="redis-scale-")
    procs = []
    try:
        ports = [a.port_base + i for i in range(a.nodes)]
        for p in ports:
            d = os.path.join(work, str(p))
            os.makedirs(d)
            procs.append(subprocess.Popen(
                ["redis-server", "--port", str(p), "--bind", "127.0.0.1", "--dir", d,
                 "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                 "--cluster-node-timeout", str(a.node_timeout), "--appendonly", "no",
                 "--save", "", "--daemonize", "no", "--logfile", os.path.join(d, "log.txt")],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        clients = [redis.Redis(host="127.0.0.1", port=p, socket_timeout=10) for p in ports]
        deadline = time.time() + 30
        for c in clients:
            while True:
                try:
                    c.ping()
                    break
                except redis.exceptions.ConnectionError:
                    if time.time() > deadline:
                        sys.exit("redis_scale: a redis-server did not start")
                    time.sleep(0.05)
        start = time.monotonic()
        create = subprocess.run(
            ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
             "--cluster-replicas", "1", "--cluster-yes"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        create_s = time.monotonic() - start
        if create.returncode != 0:
            sys.exit("redis_scale: redis-cli --cluster create failed:\n" + create.stdout[-2000:])
        formed_s = roles_s = None
        while time.monotonic() - start < FORM_LIMIT_S:
            ok, roles = cluster_view(clients)
            now = time.monotonic() - start
            if ok and formed_s is None:
                formed_s = now
            if roles:
                roles_s = now
                break
            time.sleep(POLL_S)
        if roles_s is None:
            sys.exit(f"redis_scale: not formed within {FORM_LIMIT_S} s")
        cpu0 = sum(proc_cpu_s(p.pid) for p in procs)
        t0 = time.monotonic()
        time.sleep(a.idle)
        cpu1 = sum(proc_cpu_s(p.pid) for p in procs)
        wall = time.monotonic() - t0
        rss = [proc_rss_mb(p.pid) for p in procs]
        desc_us = describe_us(clients, a.describe_samples) if a.describe_samples > 0 else None
        print(json.dumps({
            "nodes": a.nodes, "node_timeout_ms": a.node_timeout,
            "create_s": round(create_s, 2), "formed_s": round(formed_s, 2),
            "roles_s": round(roles_s, 2),
            "cpu_per_wall": round((cpu1 - cpu0) / wall, 4),
            "rss_mb_per_node": round(sum(rss) / len(rss), 2),
            "rss_mb_total": round(sum(rss), 1),
            "describe_us": desc_us,
            "describe_us_per_node": None if desc_us is None else round(desc_us / a.nodes, 3),
            "redis_server": subprocess.run(["redis-server", "--version"], stdout=subprocess.PIPE,
                                           text=True).stdout.split()[2]}))
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
        for p in procs:
            p.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
