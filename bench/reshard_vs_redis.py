#!/usr/bin/python3
"""Resharding cost: `redis-cli --cluster reshard` on `slotsim node` against
redis-server 7.0.

The same procedure for both targets, in the same run:

  for each target (slotsim, redis) and each repeat 1..R:
    1. Start 6 fresh nodes on 127.0.0.1:P..P+5 (bus ports P+10000..), each in
       its own temp dir, node timeout NT (3000), appendonly no, as child
       processes (not daemonized) so that we can kill -9 them;
       `redis-cli --cluster create ... --cluster-replicas 1 --cluster-yes`
       makes 3 primaries and 3 replicas.
    2. Wait until all 6 nodes say cluster_state:ok and know all 6 nodes,
       every replica says master_link_status:up, and all 6 nodes report the
       same primaries with the same slots. Why: `--cluster reshard` first
       runs `--cluster check` and refuses to start ("Nodes don't agree about
       configuration!") while gossip is still spreading the slot map, and a
       replica still syncing would put its full sync inside the timed window.
    3. With --load (the default): a thread with redis-py's RedisCluster does
       SET k<i> v<i>, i = 0, 1, 2, ..., back to back, timing each op
       (redirections and retries inside redis-py included, as a user sees
       them). It runs WARMUP_S before the reshard. Why: the client's first
       CLUSTER SLOTS and its connections to the 3 primaries must not land
       inside the timed window, and the slots being moved should hold keys,
       so the reshard migrates data as a real one does.
    4. Time `redis-cli --cluster reshard 127.0.0.1:P1 --cluster-from <primary
       1> --cluster-to <primary 2> --cluster-slots N --cluster-yes`
       wall-clock (primary 1 owns slot 0, primary 2 the next range; per slot
       redis-cli sends SETSLOT IMPORTING, SETSLOT MIGRATING, GETKEYSINSLOT +
       MIGRATE batches, then SETSLOT NODE to the target, the source and the
       third primary: 5 config-changing commands per slot). currentEpoch
       (CLUSTER INFO cluster_current_epoch) is read on every node right before
       and right after; the table shows the target primary's (the one that
       bumps its configEpoch when it closes an import), the JSON all six.
       The writer keeps going TAIL_S after the reshard (so an op stalled at
       the end of the window is still timed to completion), then stops; the
       table reports the ops completed inside the reshard window (and their
       rate), the MOVED and ASK redirections redis-py followed in it (counted
       from the "redis.cluster" logger, which would otherwise print a
       traceback per redirect), and the longest op that overlapped the
       window (the write stall).
    5. With the writer stopped (so it does not compete for the node), on the
       third primary (not touched by the reshard) over one persistent
       connection: CALLS x `CLUSTER COUNTKEYSINSLOT s` (baseline: a cluster
       command that changes nothing) and CALLS x `CLUSTER SETSLOT s STABLE`
       (s = a slot it owns, with no migration state), in alternating blocks
       of 50 after 10 warm-up calls of each; mean µs per call. Whether a
       STABLE really rewrites nodes.conf is checked on the file itself:
       after QUIET_S with no change to nodes.conf (stat mtime/inode/size),
       one SETSLOT STABLE, and the file is looked at again after QUIET_S.
       Why the quiet wait: gossip can save the config on its own, and a
       change from that would read as a save by the STABLE.
       Both servers flag a config save for every SETSLOT, STABLE included
       (redis 7.0.15 cluster.c: the setslot branch ends with
       clusterDoBeforeSleep(CLUSTER_TODO_SAVE_CONFIG|CLUSTER_TODO_UPDATE_STATE)
       whatever the action; clusterSaveConfig(0) rewrites nodes.conf in
       place without fsync. slotsim's SaveConfig(false) writes a temp file,
       fsyncs it and renames it over nodes.conf; strace of one STABLE shows
       exactly that on each: openat+fsync+rename vs. one in-place openat).
    6. kill -9 every node, remove the dirs; the next repeat starts afresh.

The table gives medians over the repeats (reshard time also min-max); the
last line is slotsim/redis for the median reshard time and the SETSLOT
STABLE cost. Progress goes to stderr, the table to stdout, raw numbers to
--json FILE.

  bench/reshard_vs_redis.py [--repeats R] [--slots N] [--load | --no-load]
      [--node-timeout MS] [--calls C] [--targets slotsim,redis]
      [--slotsim PATH] [--ports-from P] [--json FILE]

Needs redis-server and redis-cli (apt-get install redis-server redis-tools),
python3-redis, and a built slotsim (scripts/build.sh). The slotsim binary is
copied into the work dir first, so a rebuild during the run cannot mix two
builds. Ports 30000-30010 and 31001-31006 (and their bus ports) are refused:
other tools use them. Everything is killed (-9) and removed on exit, Ctrl-C
included. The node dirs live under $TMPDIR (default /tmp): nodes.conf saves,
and so the reshard time, depend on that filesystem's write and fsync costs.
"""
import argparse
import json
import logging
import os
import statistics
import subprocess
import sys
import threading
import time

try:
    import redis  # Debian's python3-redis
    from redis.cluster import RedisCluster, ClusterNode
except ImportError:
    sys.stderr.write("reshard_vs_redis: needs python3-redis >= 4.1 (apt-get install python3-redis)\n")
    sys.exit(2)

sys.dont_write_bytecode = True  # importing real_cluster must not leave bench/__pycache__ behind
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))  # real_cluster.py, from any cwd
from real_cluster import (OTHER_TOOLS_PORTS, BenchError, check_alive,  # noqa: E402
                          check_ports_and_tools, cluster_dir, copy_slotsim, form_cluster,
                          info_fields, kill_all, log, parse_nodes, run_dir, text, version)

RESHARD_LIMIT_S = 900     # one reshard
WARMUP_S = 1.0            # writer runs this long before the reshard
TAIL_S = 0.5              # and this long after
QUIET_S = 0.3             # nodes.conf save check
BLOCK = 50                # SETSLOT / COUNTKEYSINSLOT alternate in blocks of this
WARMUP_CALLS = 10
RESERVED = (OTHER_TOOLS_PORTS, range(31001, 31007))  # other tools' ports


def nslots(node):
    return sum(hi - lo + 1 for lo, hi in node["slots"])


class RedirectLog(logging.Handler):
    """redis-py 4.x logs every MOVED/ASK/TRYAGAIN it follows with
    log.exception (a traceback on stderr per redirect); counted here instead,
    with a monotonic timestamp (emit runs in the writer's thread, in line)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.events = []  # (monotonic s, message)

    def emit(self, record):
        self.events.append((time.monotonic(), str(record.msg)))


class Writer(threading.Thread):
    """SET k<i> v<i> back to back through RedisCluster; (start, end) per op."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.ops = []       # (start, end) monotonic seconds, successful ops
        self.errors = []    # (start, end, repr) failed ops
        self.stop = threading.Event()
        self.fatal = None
        self.redirects = RedirectLog()
        logger = logging.getLogger("redis.cluster")
        for h in list(logger.handlers):
            logger.removeHandler(h)
        logger.addHandler(self.redirects)
        logger.propagate = False

    def run(self):
        try:
            rc = RedisCluster(startup_nodes=[ClusterNode("127.0.0.1", self.port)],
                              socket_timeout=10, socket_connect_timeout=5)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            self.fatal = repr(e)
            return
        i = 0
        clock = time.monotonic
        while not self.stop.is_set():
            t = clock()
            try:
                rc.set(f"k{i}", f"v{i}")
                self.ops.append((t, clock()))
            except Exception as e:  # noqa: BLE001 - counted, the loop goes on
                self.errors.append((t, clock(), repr(e)[:200]))
                time.sleep(0.001)
            i += 1
        try:
            rc.close()
        except Exception:  # noqa: BLE001
            pass

    def window(self, t0, t1):
        """Ops completed in [t0, t1], and the longest op overlapping it (ms)."""
        done = sum(1 for s, e in self.ops if t0 <= e <= t1)
        overlap = [e - s for s, e in self.ops + [(s, e) for s, e, _ in self.errors]
                   if s < t1 and e > t0]
        errs = [r for s, e, r in self.errors if s < t1 and e > t0]
        redirects = {}
        for t, msg in self.redirects.events:
            if t0 <= t <= t1:
                redirects[msg] = redirects.get(msg, 0) + 1
        return {"ops": done, "ops_per_s": round(done / (t1 - t0)) if t1 > t0 else None,
                "redirects": redirects,
                "max_latency_ms": round(max(overlap) * 1000.0, 2) if overlap else None,
                "errors": len(errs), "error_samples": sorted(set(errs))[:5],
                "ops_total": len(self.ops), "errors_total": len(self.errors)}


def epochs(clients):
    return {p: int(info_fields(c.execute_command("CLUSTER", "INFO"))["cluster_current_epoch"])
            for p, c in clients.items()}


def conf_stat(path):
    try:
        st = os.stat(path)
        return (st.st_ino, st.st_mtime_ns, st.st_size)
    except FileNotFoundError:
        return None


def setslot_bench(port, slot, calls, conf_path):
    """Mean µs per COUNTKEYSINSLOT and per SETSLOT STABLE, and whether one
    SETSLOT STABLE rewrote nodes.conf (True/False, None if the file did not
    stay still long enough to tell)."""
    c = redis.Redis(host="127.0.0.1", port=port, socket_timeout=10, single_connection_client=True)
    count = ("CLUSTER", "COUNTKEYSINSLOT", slot)
    stable = ("CLUSTER", "SETSLOT", slot, "STABLE")
    saved = None
    for _ in range(10):  # wait for a quiet nodes.conf, then one STABLE
        before = conf_stat(conf_path)
        time.sleep(QUIET_S)
        if conf_stat(conf_path) != before:
            continue
        c.execute_command(*stable)
        time.sleep(QUIET_S)
        saved = conf_stat(conf_path) != before
        break
    for _ in range(WARMUP_CALLS):
        c.execute_command(*count)
        c.execute_command(*stable)
    spent = {"count": 0.0, "stable": 0.0}
    done = {"count": 0, "stable": 0}
    clock = time.perf_counter
    while done["stable"] < calls or done["count"] < calls:
        for name, cmd in (("count", count), ("stable", stable)):
            n = min(BLOCK, calls - done[name])
            if n <= 0:
                continue
            t = clock()
            for _ in range(n):
                c.execute_command(*cmd)
            spent[name] += clock() - t
            done[name] += n
    c.close()
    return {"countkeysinslot_us": round(spent["count"] / calls * 1e6, 1),
            "setslot_stable_us": round(spent["stable"] / calls * 1e6, 1),
            "setslot_stable_saves_config": saved, "slot": slot, "port": port}


def one_repeat(target, binary, ports, nt, root, n_slots, load, calls):
    procs, clients = form_cluster(target, binary, ports, nt, root, agree_slot_map=True)
    view = parse_nodes(clients[ports[0]].execute_command("CLUSTER", "NODES"))
    primaries = sorted((n["slots"][0][0], i) for i, n in view.items()
                       if "master" in n["flags"] and n["slots"])
    if len(primaries) != 3:
        raise BenchError(f"expected 3 primaries with slots, found {len(primaries)}")
    src, dst, third = (i for _, i in primaries)
    if nslots(view[src]) < n_slots:
        raise BenchError(f"--slots {n_slots}: primary 1 owns only {nslots(view[src])} slots")
    result = {"source": f"{src}@{view[src]['port']}", "target": f"{dst}@{view[dst]['port']}",
              "dst_slots_before": nslots(view[dst])}

    writer = None
    try:
        if load:
            writer = Writer(view[src]["port"])
            writer.start()
        return _measure(procs, clients, root, writer, result, view, src, dst, third, n_slots, calls)
    finally:
        if writer is not None:
            writer.stop.set()  # an error must not leave it hammering dead nodes
        for c in clients.values():
            c.close()
        kill_all()


def _measure(procs, clients, root, writer, result, view, src, dst, third, n_slots, calls):
    """Steps 3-5 of the procedure on a formed cluster; fills result."""
    src_port, dst_port, third_port = view[src]["port"], view[dst]["port"], view[third]["port"]
    if writer:
        time.sleep(WARMUP_S)
        if writer.fatal or not writer.ops:
            raise BenchError(f"writer did not start: {writer.fatal or writer.errors[-1:]}")
    check_alive(procs, root)

    ep_before = epochs(clients)
    cmd = ["redis-cli", "--cluster", "reshard", f"127.0.0.1:{src_port}", "--cluster-from", src,
           "--cluster-to", dst, "--cluster-slots", str(n_slots), "--cluster-yes"]
    t0 = time.monotonic()
    try:
        rs = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            timeout=RESHARD_LIMIT_S)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"reshard still running after {RESHARD_LIMIT_S} s:\n"
                         f"{text(e.stdout or '')[-2000:]}")
    t1 = time.monotonic()
    ep_after = epochs(clients)
    result.update(reshard_s=round(t1 - t0, 3), epoch_before=ep_before[dst_port],
                  epoch_after=ep_after[dst_port],
                  epochs_before={str(p): e for p, e in ep_before.items()},
                  epochs_after={str(p): e for p, e in ep_after.items()})
    out_lines = rs.stdout.splitlines()
    result["redis_cli_errors"] = [l for l in out_lines if "[ERR]" in l or "ERR " in l or "***" in l][:20]
    result["redis_cli_warnings"] = [l for l in out_lines if "[WARNING]" in l][:20]
    if rs.returncode != 0:
        raise BenchError(f"reshard failed (exit {rs.returncode}):\n" + "\n".join(out_lines[-30:]))
    check_alive(procs, root)

    if writer:
        time.sleep(TAIL_S)
        writer.stop.set()
        writer.join(15)
        if writer.is_alive():
            raise BenchError("writer did not stop within 15 s")
        w = writer.window(t0, t1)
        w["ops_per_s_before"] = round(sum(1 for s, e in writer.ops if e < t0) / WARMUP_S)
        result["writer"] = w
    time.sleep(TAIL_S)
    view = parse_nodes(clients[dst_port].execute_command("CLUSTER", "NODES"))
    result["dst_slots_after"] = nslots(view[dst])
    result["open_slots_after"] = {i: n["open"] for i, n in view.items() if n["open"]}
    if result["dst_slots_after"] != result["dst_slots_before"] + n_slots:
        raise BenchError(f"target owns {result['dst_slots_after']} slots after the reshard, "
                         f"expected {result['dst_slots_before'] + n_slots}")

    third_slot = view[third]["slots"][0][0]
    result.update(setslot_bench(third_port, third_slot, calls,
                                os.path.join(root, str(third_port), "nodes.conf")))
    return result


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def med(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarize(reps):
    s = {"reshard_s": med([r["reshard_s"] for r in reps]),
         "reshard_min": min(r["reshard_s"] for r in reps),
         "reshard_max": max(r["reshard_s"] for r in reps),
         "stable_us": med([r["setslot_stable_us"] for r in reps]),
         "count_us": med([r["countkeysinslot_us"] for r in reps])}
    ws = [r["writer"] for r in reps if "writer" in r]
    if ws:
        s.update(ops=med([w["ops"] for w in ws]), ops_s=med([w["ops_per_s"] for w in ws]),
                 moved=med([w["redirects"].get("MovedError", 0) for w in ws]),
                 ask=med([w["redirects"].get("AskError", 0) for w in ws]),
                 max_ms=med([w["max_latency_ms"] for w in ws]),
                 worst_ms=max((w["max_latency_ms"] or 0) for w in ws),
                 errors=sum(w["errors"] for w in ws))
    return s


def report(results, targets, a):
    print(f"`redis-cli --cluster reshard` of {a.slots} slots, primary 1 -> primary 2, "
          f"6 nodes (3+3), node timeout {a.node_timeout} ms, {a.repeats} repeat(s), "
          f"writer {'on' if a.load else 'off'}; medians over repeats. "
          f"SETSLOT/COUNTKEYSINSLOT: {a.calls} calls each, one connection, third primary.")
    print()
    print("| target | reshard s med (min-max) | currentEpoch before -> after (target primary) "
          "| ops during reshard (ops/s) | MOVED / ASK followed | max write latency ms med (worst) "
          "| writer errors | SETSLOT STABLE µs/call | COUNTKEYSINSLOT µs/call | STABLE/COUNT "
          "| STABLE saves nodes.conf |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    sums = {}
    for t in targets:
        reps = results[t]["repeats"]
        s = sums[t] = summarize(reps)
        ep = ", ".join(f"{r['epoch_before']} -> {r['epoch_after']}" for r in reps)
        saves = sorted({str(r["setslot_stable_saves_config"]).lower().replace("none", "unclear")
                        for r in reps})
        ratio = (f"{s['stable_us'] / s['count_us']:.1f}x" if s["count_us"] else "-")
        print(f"| {t} ({results[t]['version']}) | {fmt(s['reshard_s'])} ({fmt(s['reshard_min'])}-"
              f"{fmt(s['reshard_max'])}) | {ep} | {fmt(s.get('ops'), 0)} ({fmt(s.get('ops_s'), 0)}) "
              f"| {fmt(s.get('moved'), 0)} / {fmt(s.get('ask'), 0)} "
              f"| {fmt(s.get('max_ms'), 1)} ({fmt(s.get('worst_ms'), 1)}) | {s.get('errors', '-')} "
              f"| {fmt(s['stable_us'], 1)} | {fmt(s['count_us'], 1)} | {ratio} | {'/'.join(saves)} |")
    print()
    if "slotsim" in sums and "redis" in sums:
        a_, b_ = sums["slotsim"], sums["redis"]
        rr = f"{a_['reshard_s'] / b_['reshard_s']:.2f}x" if b_["reshard_s"] else "n/a"
        sr = f"{a_['stable_us'] / b_['stable_us']:.2f}x" if b_["stable_us"] else "n/a"
        print(f"slotsim/redis: reshard time {rr} ({fmt(a_['reshard_s'])} / {fmt(b_['reshard_s'])} s), "
              f"SETSLOT STABLE cost {sr} ({fmt(a_['stable_us'], 1)} / {fmt(b_['stable_us'], 1)} µs)")
    else:
        print("slotsim/redis: needs both targets")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--slots", type=int, default=500, metavar="N", help="slots to move (default 500)")
    ap.add_argument("--load", action=argparse.BooleanOptionalAction, default=True,
                    help="run the RedisCluster writer during the reshard (default on)")
    ap.add_argument("--node-timeout", type=int, default=3000, metavar="MS")
    ap.add_argument("--calls", type=int, default=200, help="SETSLOT STABLE and COUNTKEYSINSLOT calls")
    ap.add_argument("--targets", default="slotsim,redis")
    ap.add_argument("--slotsim", metavar="PATH", help="default: build/cli/slotsim in this checkout")
    ap.add_argument("--ports-from", type=int, default=32001, metavar="P")
    ap.add_argument("--json", metavar="FILE")
    a = ap.parse_args()
    if a.slotsim is None:
        a.slotsim = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "cli", "slotsim")

    targets = [t.strip() for t in a.targets.split(",") if t.strip()]
    if not targets or any(t not in ("slotsim", "redis") for t in targets) or len(set(targets)) != len(targets):
        log("reshard_vs_redis: --targets takes slotsim and/or redis, comma-separated")
        sys.exit(2)
    if a.repeats < 1 or a.calls < 1 or not 1 <= a.slots <= 5000 or a.node_timeout < 100:
        log("reshard_vs_redis: --repeats and --calls must be >= 1, --slots within 1-5000 "
            "(primary 1 owns 5461), --node-timeout >= 100")
        sys.exit(2)
    ports = check_ports_and_tools("reshard_vs_redis", a.ports_from, RESERVED, targets, a.slotsim)
    if a.json:
        jdir = os.path.dirname(os.path.abspath(a.json))
        if not os.path.isdir(jdir):
            log(f"reshard_vs_redis: --json: directory {jdir} does not exist")
            sys.exit(2)

    results = {}
    with run_dir("reshard_vs_redis", "reshard-vs-redis-") as work:
        binary = copy_slotsim(targets, a.slotsim, work)
        for t in targets:
            results[t] = {"version": version(t, binary), "repeats": []}
            for k in range(1, a.repeats + 1):
                with cluster_dir(work, t, k) as root:
                    r = one_repeat(t, binary, ports, a.node_timeout, root, a.slots, a.load, a.calls)
                results[t]["repeats"].append(r)
                w = r.get("writer")
                log(f"{t} repeat {k}/{a.repeats}: reshard {r['reshard_s']:.2f} s, currentEpoch "
                    f"{r['epoch_before']} -> {r['epoch_after']}"
                    + (f", writer {w['ops']} ops ({w['ops_per_s']}/s), redirects {w['redirects']}, "
                       f"max {w['max_latency_ms']} ms, {w['errors']} errors"
                       if w else "")
                    + f"; SETSLOT STABLE {r['setslot_stable_us']} µs, COUNTKEYSINSLOT "
                      f"{r['countkeysinslot_us']} µs, saves nodes.conf: {r['setslot_stable_saves_config']}")
                for line in r["redis_cli_errors"] + r["redis_cli_warnings"]:
                    log(f"  redis-cli: {line}")
                if w and w["error_samples"]:
                    log(f"  writer errors: {w['error_samples']}")

    report(results, targets, a)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"slots": a.slots, "repeats": a.repeats, "load": a.load,
                       "node_timeout_ms": a.node_timeout, "calls": a.calls,
                       "warmup_s": WARMUP_S, "tail_s": TAIL_S, "targets": results}, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
