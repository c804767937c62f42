#!/usr/bin/python3
"""Failure detection and gossip rate: `slotsim node` against redis-server 7.0.

The same procedure for both targets, in the same run:

  for each target (slotsim, redis) and each kill 1..N:
    1. Start 6 fresh nodes on 127.0.0.1:P..P+5 (bus ports P+10000..), each in
       its own temp dir, node timeout NT, appendonly no, as child processes
       (not daemonized) so that we can kill -9 them.
    2. `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`:
       3 primaries, 3 replicas.
    3. Wait until all 6 nodes say cluster_state:ok and know all 6 nodes, and
       every replica says master_link_status:up. Why: a node that does not
       yet know the victim cannot time it out, and a replica that never
       synced is not eligible to fail over, so killing earlier would time
       the formation, not the detection.
    4. First cluster of each target only: read cluster_stats_messages_ping_sent
       and _pong_sent on all 6 nodes, wait 30 s, read again: pings (pongs)
       sent per node per second, averaged over the 6 nodes. This is the
       steady-state gossip rate, measured on a formed, idle cluster.
    5. Wait a further 2-4 s, drawn from random.Random(--seed). Why: both
       engines ping on a 100 ms cron with node_timeout/2 deadlines, so a
       kill at a fixed offset after formation would always land at the same
       phase of the gossip cycle and measure one point of the distribution
       instead of the distribution.
    6. kill -9 the primary owning slot 0 (the victim) and poll CLUSTER NODES
       every 10 ms on one persistent connection to a surviving primary (the
       observer), recording ms from the kill until the victim's line
         (a) first says fail?  (PFAIL: the observer's own timeout),
         (b) says fail without ?  (FAIL: a majority of primaries agreed),
         (c) the victim's replica is a master owning slot 0 (failover done).
       If FAIL is seen before any poll caught fail?, PFAIL is recorded at the
       same moment (the observer must have passed through PFAIL for a quorum
       to form; pfail_seen=false in the JSON says so). After 6 x NT without
       all three, the kill is recorded as a timeout.
    7. kill -9 every node, remove the dirs; the next kill starts afresh.

The table reports PFAIL and FAIL delays minus NT (the excess over the
timeout, what the engine's ping scheduling adds), failover times, and the
gossip rates; the last line is slotsim/redis for the median PFAIL excess and
the ping rate. Progress goes to stderr, the table to stdout, raw per-kill
numbers to --json FILE.

  bench/detection_vs_redis.py [--kills N] [--node-timeout MS]
      [--targets slotsim,redis] [--slotsim PATH] [--ports-from P]
      [--json FILE] [--seed S]

Needs redis-server and redis-cli (apt-get install redis-server redis-tools),
python3-redis, and a built slotsim (scripts/build.sh). The slotsim binary is
copied into the work dir first, so a rebuild during the run cannot mix two
builds. Ports 30000-30010 (and their bus ports) are refused: other tools use
them. Everything is killed (-9) and removed on exit, Ctrl-C included.
"""
import argparse
import json
import math
import os
import random
import statistics
import sys
import time

try:
    import redis  # Debian's python3-redis
except ImportError:
    sys.stderr.write("detection_vs_redis: needs python3-redis (apt-get install python3-redis)\n")
    sys.exit(2)

sys.dont_write_bytecode = True  # importing real_cluster must not leave bench/__pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # real_cluster.py, from any cwd
from real_cluster import (OTHER_TOOLS_PORTS, BenchError, check_alive,  # noqa: E402
                          check_ports_and_tools, cluster_dir, copy_slotsim, form_cluster,
                          info_fields, kill_all, log, parse_nodes, run_dir, text, version)

POLL_S = 0.010            # detection poll period
PING_WINDOW_S = 30        # gossip-rate window
SETTLE_MIN_S, SETTLE_MAX_S = 2.0, 4.0
RESERVED = (OTHER_TOOLS_PORTS,)


def owns_slot0(node):
    return "master" in node["flags"] and any(lo <= 0 <= hi for lo, hi in node["slots"])


def gossip_rate(clients):
    """Pings and pongs sent per node per second over PING_WINDOW_S, or a note."""
    def read():
        return {p: info_fields(c.execute_command("CLUSTER", "INFO")) for p, c in clients.items()}
    keys = ("cluster_stats_messages_ping_sent", "cluster_stats_messages_pong_sent")
    t0, before = time.monotonic(), read()
    missing = sorted({k for f in before.values() for k in keys if k not in f})
    if missing:
        return {"note": "missing counter(s): " + ", ".join(missing)}
    time.sleep(PING_WINDOW_S)
    after = read()
    secs = time.monotonic() - t0
    rate = {}
    for k, name in zip(keys, ("pings_per_node_s", "pongs_per_node_s")):
        per_node = [(int(after[p][k]) - int(before[p][k])) / secs for p in clients]
        rate[name] = round(sum(per_node) / len(per_node), 3)
    rate["window_s"] = round(secs, 2)
    return rate


def one_kill(target, binary, ports, nt, root, rng, measure_gossip):
    """Forms a cluster, kills slot 0's owner, times detection; returns a dict."""
    procs, clients = form_cluster(target, binary, ports, nt, root)
    result = {}
    if measure_gossip:
        log(f"{target}: measuring gossip for {PING_WINDOW_S} s")
        result["gossip"] = gossip_rate(clients)
        check_alive(procs, root)
    settle = rng.uniform(SETTLE_MIN_S, SETTLE_MAX_S)
    time.sleep(settle)
    result["settle_s"] = round(settle, 3)

    view = parse_nodes(clients[ports[0]].execute_command("CLUSTER", "NODES"))
    owners = [i for i, n in view.items() if owns_slot0(n)]
    if len(owners) != 1:
        raise BenchError(f"expected one owner of slot 0, found {owners}")
    victim = owners[0]
    replicas = [i for i, n in view.items() if n["master"] == victim]
    observers = [n["port"] for i, n in view.items() if "master" in n["flags"] and i != victim]
    if len(replicas) != 1 or not observers:
        raise BenchError(f"unexpected topology around {victim}: replicas {replicas}, observers {observers}")
    replica, victim_port, observer_port = replicas[0], view[victim]["port"], min(observers)
    obs = redis.Redis(host="127.0.0.1", port=observer_port, socket_timeout=5,
                      single_connection_client=True)
    obs.ping()  # connect before the kill
    result.update(victim_port=victim_port, observer_port=observer_port)

    limit = 6 * nt / 1000.0
    pfail = fail = failover = None
    pfail_seen = False
    procs[victim_port].kill()  # SIGKILL
    t0 = time.monotonic()
    tick = t0
    while True:
        now = time.monotonic()
        elapsed = now - t0
        if elapsed > limit:
            break
        nodes = parse_nodes(obs.execute_command("CLUSTER", "NODES"))
        ms = round(elapsed * 1000.0, 1)
        flags = nodes[victim]["flags"] if victim in nodes else set()
        if pfail is None and "fail?" in flags:
            pfail, pfail_seen = ms, True
        if fail is None and "fail" in flags:
            fail = ms
            if pfail is None:
                pfail = ms
        if failover is None and replica in nodes and owns_slot0(nodes[replica]):
            failover = ms
        if None not in (pfail, fail, failover):
            break
        tick += POLL_S
        time.sleep(max(0.0, tick - time.monotonic()))
    obs.close()
    for c in clients.values():
        c.close()
    result.update(pfail_ms=pfail, fail_ms=fail, failover_ms=failover, pfail_seen=pfail_seen,
                  timeout=None in (pfail, fail, failover))
    if result["timeout"]:
        result["observer_view"] = text(redis.Redis(host="127.0.0.1", port=observer_port,
                                                   socket_timeout=5).execute_command("CLUSTER", "NODES"))
    kill_all()
    return result


def pct(values, q):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, math.ceil(q * len(s)) - 1)]


def fmt(x):
    return "-" if x is None else f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}"


def spread(values, with_p90):
    if not values:
        return "-"
    parts = [min(values), statistics.median(values)] + ([pct(values, 0.9)] if with_p90 else []) + [max(values)]
    return " / ".join(fmt(v) for v in parts)


def report(results, nt, targets):
    print(f"Node timeout {nt} ms; ms after kill -9 of slot 0's primary, seen by a surviving primary "
          f"(polled every {POLL_S * 1000:.0f} ms).")
    print()
    print("| target | kills (timeouts) | PFAIL - NT ms min / med / p90 / max | FAIL - NT ms min / med / p90 / max "
          "| failover ms min / med / max | pings/node/s | pongs/node/s |")
    print("|---|---|---|---|---|---|---|")
    medians, pings = {}, {}
    for t in targets:
        r = results[t]
        done = [k for k in r["kills"] if not k["timeout"]]
        pf = [k["pfail_ms"] - nt for k in r["kills"] if k["pfail_ms"] is not None]
        fl = [k["fail_ms"] - nt for k in r["kills"] if k["fail_ms"] is not None]
        fo = [k["failover_ms"] for k in done]
        g = r.get("gossip", {})
        if pf:
            medians[t] = statistics.median(pf)
        if "pings_per_node_s" in g:
            pings[t] = g["pings_per_node_s"]
        label = f"{t} ({r['version']})"
        print(f"| {label} | {len(r['kills'])} ({len(r['kills']) - len(done)}) | {spread(pf, True)} "
              f"| {spread(fl, True)} | {spread(fo, False)} "
              f"| {g.get('pings_per_node_s', g.get('note', '-'))} | {g.get('pongs_per_node_s', '-')} |")
    print()
    if "slotsim" in results and "redis" in results:
        def ratio(d):
            if "slotsim" not in d or "redis" not in d or d["redis"] <= 0:
                return "n/a"
            return f"{d['slotsim'] / d['redis']:.2f}x"
        print(f"slotsim/redis: median PFAIL excess {ratio(medians)} "
              f"({fmt(medians.get('slotsim'))} / {fmt(medians.get('redis'))} ms), "
              f"ping rate {ratio(pings)} ({pings.get('slotsim', '-')} / {pings.get('redis', '-')} per node/s)")
    else:
        print("slotsim/redis: needs both targets")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--node-timeout", type=int, default=3000, metavar="MS")
    ap.add_argument("--targets", default="slotsim,redis")
    ap.add_argument("--slotsim", metavar="PATH", help="default: build/cli/slotsim in this checkout")
    ap.add_argument("--ports-from", type=int, default=31001, metavar="P")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--seed", type=int, default=1, help="seeds the pre-kill waits")
    a = ap.parse_args()
    if a.slotsim is None:
        a.slotsim = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "cli", "slotsim")

    targets = [t.strip() for t in a.targets.split(",") if t.strip()]
    if not targets or any(t not in ("slotsim", "redis") for t in targets):
        log("detection_vs_redis: --targets takes slotsim and/or redis, comma-separated")
        sys.exit(2)
    if a.kills < 1 or a.node_timeout < 100:
        log("detection_vs_redis: --kills must be >= 1 and --node-timeout >= 100")
        sys.exit(2)
    ports = check_ports_and_tools("detection_vs_redis", a.ports_from, RESERVED, targets, a.slotsim)

    rng = random.Random(a.seed)
    results = {}
    with run_dir("detection_vs_redis", "detection-vs-redis-") as work:
        binary = copy_slotsim(targets, a.slotsim, work)
        for t in targets:
            results[t] = {"version": version(t, binary), "kills": []}
            for k in range(1, a.kills + 1):
                with cluster_dir(work, t, k) as root:
                    r = one_kill(t, binary, ports, a.node_timeout, root, rng, measure_gossip=(k == 1))
                if "gossip" in r:
                    results[t]["gossip"] = r.pop("gossip")
                    g = results[t]["gossip"]
                    log(f"{t}: gossip " + (g["note"] if "note" in g else
                        f"{g['pings_per_node_s']} pings/node/s, {g['pongs_per_node_s']} pongs/node/s"))
                results[t]["kills"].append(r)
                log(f"{t} kill {k}/{a.kills}: pfail {fmt(r['pfail_ms'])} ms"
                    f"{'' if r['pfail_seen'] else ' (not caught, = fail)'}, fail {fmt(r['fail_ms'])} ms, "
                    f"failover {fmt(r['failover_ms'])} ms"
                    f"{'  TIMEOUT after %d ms' % (6 * a.node_timeout) if r['timeout'] else ''}")
                if r["timeout"]:
                    log(f"observer {r['observer_port']}'s view at the timeout:\n{r['observer_view']}")

    report(results, a.node_timeout, targets)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"node_timeout_ms": a.node_timeout, "seed": a.seed, "poll_ms": POLL_S * 1000,
                       "ping_window_s": PING_WINDOW_S, "targets": results}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
