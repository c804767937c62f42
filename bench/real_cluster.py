"""Real 6-node clusters for bench/detection_vs_redis.py and bench/reshard_vs_redis.py.

`slotsim node` or redis-server 7.0 on 127.0.0.1 as child processes that die
with the script, formed by `redis-cli --cluster create --cluster-replicas 1`
and waited for; plus the port and tool checks and the run's work dir and
cleanup. Scripts import redis first, to report its absence under their name.
"""
import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import redis  # Debian's python3-redis

NODES = 6
READY_LIMIT_S = 60                     # start, create, sync (and agreement) must finish within this
OTHER_TOOLS_PORTS = range(30000, 30011)  # refused by every script, with their bus ports

_procs = []  # every node process started, for the cleanup


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


class BenchError(Exception):
    pass


def _die_with_parent():
    # Runs in the child before exec: SIGKILL it if this script dies, even by
    # kill -9, so no node outlives the benchmark.
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def kill_all():
    while _procs:
        p = _procs.pop()
        if p.poll() is None:
            p.kill()  # SIGKILL
        p.wait()


def start_nodes(target, binary, ports, nt, root):
    """Starts one node per port, each in its own dir under root."""
    procs = {}
    for port in ports:
        d = os.path.join(root, str(port))
        os.makedirs(d)
        if target == "slotsim":
            cmd = [binary, "node", "--port", str(port), "--bind", "127.0.0.1", "--dir", d,
                   "--node-timeout", str(nt), "--appendonly", "no"]
        else:
            cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                   "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                   "--cluster-node-timeout", str(nt), "--dir", d, "--appendonly", "no",
                   "--save", "", "--daemonize", "no", "--logfile", os.path.join(d, "log.txt")]
        with open(os.path.join(d, "stdout.txt"), "wb") as out:
            p = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=d,
                                 start_new_session=True,  # Ctrl-C reaches us, not them
                                 preexec_fn=_die_with_parent)
        _procs.append(p)
        procs[port] = p
    return procs


def node_log_tail(root, port, lines=15):
    out = []
    for name in ("log.txt", "stdout.txt"):
        path = os.path.join(root, str(port), name)
        if os.path.exists(path):
            with open(path, errors="replace") as f:
                out += f.read().splitlines()[-lines:]
    return "\n".join(out)


def check_alive(procs, root):
    for port, p in procs.items():
        if p.poll() is not None:
            raise BenchError(f"node {port} exited with {p.returncode}:\n{node_log_tail(root, port)}")


def text(reply):
    return reply.decode() if isinstance(reply, bytes) else reply


def info_fields(reply):
    """INFO / CLUSTER INFO as {field: string} (redis-py already parses INFO)."""
    if isinstance(reply, dict):
        return {k: str(v) for k, v in reply.items()}
    return dict(line.split(":", 1) for line in text(reply).splitlines() if ":" in line)


def parse_nodes(reply):
    """CLUSTER NODES as {id: {port, flags, master, slots, open}}."""
    nodes = {}
    for line in text(reply).splitlines():
        f = line.split()
        if len(f) < 8:
            continue
        addr = f[1].split("@")[0].split(",")[0]  # ip:port@bus[,hostname]
        slots, open_slots = [], []
        for s in f[8:]:
            if s.startswith("["):
                open_slots.append(s)  # migrating/importing marker
                continue
            lo, _, hi = s.partition("-")
            slots.append((int(lo), int(hi or lo)))
        nodes[f[0]] = {"port": int(addr.rsplit(":", 1)[1]), "flags": set(f[2].split(",")),
                       "master": f[3], "slots": sorted(slots), "open": open_slots}
    return nodes


def slot_map(nodes):
    """What `--cluster check` compares: each primary's id and slots."""
    return tuple(sorted((i, tuple(n["slots"])) for i, n in nodes.items()
                        if "master" in n["flags"] and n["slots"]))


def wait_ready(clients, procs, root, agree_slot_map=False):
    """Until every node is ok and knows all 6, and 3 replicas have their link up;
    with agree_slot_map, also until all 6 report the same slot map."""
    deadline = time.monotonic() + READY_LIMIT_S
    last = ""
    while time.monotonic() < deadline:
        check_alive(procs, root)
        try:
            ok = known = replicas_up = 0
            maps = set()
            for c in clients.values():
                ci = info_fields(c.execute_command("CLUSTER", "INFO"))
                ok += ci.get("cluster_state") == "ok"
                known += ci.get("cluster_known_nodes") == str(NODES)
                rep = info_fields(c.execute_command("INFO", "replication"))
                if rep.get("role") == "slave" and rep.get("master_link_status") == "up":
                    replicas_up += 1
                if agree_slot_map:
                    maps.add(slot_map(parse_nodes(c.execute_command("CLUSTER", "NODES"))))
            last = f"{ok}/6 ok, {known}/6 know all 6, {replicas_up}/3 replicas up"
            if agree_slot_map:
                last += f", {len(maps)} distinct slot map(s)"
            if (ok == NODES and known == NODES and replicas_up == NODES // 2
                    and (not agree_slot_map or len(maps) == 1)):
                return
        except redis.exceptions.RedisError as e:
            last = f"error: {e}"
        time.sleep(0.1)
    raise BenchError(f"cluster not ready within {READY_LIMIT_S} s ({last})")


def form_cluster(target, binary, ports, nt, root, agree_slot_map=False):
    """Starts the nodes, creates a 3+3 cluster, waits for wait_ready;
    returns ({port: Popen}, {port: redis.Redis})."""
    procs = start_nodes(target, binary, ports, nt, root)
    clients = {p: redis.Redis(host="127.0.0.1", port=p, socket_timeout=5, socket_connect_timeout=5)
               for p in ports}
    deadline = time.monotonic() + 20
    for port, c in clients.items():
        while True:
            check_alive(procs, root)
            try:
                c.ping()
                break
            except redis.exceptions.ConnectionError:
                if time.monotonic() > deadline:
                    raise BenchError(f"node {port} does not answer PING:\n{node_log_tail(root, port)}")
                time.sleep(0.05)
    try:
        create = subprocess.run(
            ["redis-cli", "--cluster", "create", *[f"127.0.0.1:{p}" for p in ports],
             "--cluster-replicas", "1", "--cluster-yes"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=READY_LIMIT_S)
    except subprocess.TimeoutExpired as e:
        raise BenchError(f"redis-cli --cluster create hung:\n{text(e.stdout or '')[-2000:]}")
    if create.returncode != 0:
        raise BenchError(f"redis-cli --cluster create failed:\n{create.stdout[-2000:]}")
    wait_ready(clients, procs, root, agree_slot_map)
    return procs, clients


def check_ports_and_tools(prog, ports_from, reserved, targets, slotsim):
    """The NODES client ports from ports_from; exits 2, saying why under prog's
    name, if they or their bus ports (+10000) leave 1024-65535 or fall in one
    of the reserved ranges, if redis-server or redis-cli is missing, or if
    slotsim is a target and its binary is missing."""
    ports = [ports_from + i for i in range(NODES)]
    bus = [p + 10000 for p in ports]
    if ports[0] < 1024 or bus[-1] > 65535 or any(p in r for r in reserved for p in ports + bus):
        log(f"{prog}: ports {ports[0]}-{ports[-1]} (bus {bus[0]}-{bus[-1]}) must be "
            f"within 1024-65535 and avoid " + " and ".join(f"{r[0]}-{r[-1]}" for r in reserved))
        sys.exit(2)
    for tool in ("redis-server", "redis-cli"):
        if shutil.which(tool) is None:
            log(f"{prog}: {tool} missing (apt-get install redis-server redis-tools)")
            sys.exit(2)
    if "slotsim" in targets and not (os.path.isfile(slotsim) and os.access(slotsim, os.X_OK)):
        log(f"{prog}: slotsim binary {slotsim} missing (scripts/build.sh, or --slotsim PATH)")
        sys.exit(2)
    return ports


@contextlib.contextmanager
def run_dir(prog, prefix):
    """A temp work dir for the whole run. Ctrl-C and SIGTERM unwind through
    it; on the way out every node is killed and the dir removed. BenchError
    exits 1 and Ctrl-C 130, each with a line under prog's name."""
    # SIGINT explicitly: a background job inherits it ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = tempfile.mkdtemp(prefix=prefix)
    try:
        yield work
    except BenchError as e:
        log(f"{prog}: {e}")
        sys.exit(1)
    except KeyboardInterrupt:
        log(f"{prog}: interrupted")
        sys.exit(130)
    finally:
        kill_all()
        shutil.rmtree(work, ignore_errors=True)


def copy_slotsim(targets, slotsim, work):
    """The slotsim binary copied into work (a rebuild during the run cannot
    mix two builds), or None if slotsim is not a target."""
    if "slotsim" not in targets:
        return None
    binary = os.path.join(work, "slotsim")
    shutil.copy2(slotsim, binary)
    return binary


def version(target, binary):
    if target == "slotsim":
        return subprocess.run([binary, "--version"], stdout=subprocess.PIPE,
                              text=True).stdout.strip().replace("slotsim ", "")
    return subprocess.run(["redis-server", "--version"], stdout=subprocess.PIPE,
                          text=True).stdout.split()[2].replace("v=", "")


@contextlib.contextmanager
def cluster_dir(work, target, k):
    """work/<target>-<k> for one cluster; its nodes are killed and the dir
    removed when the block ends, however it ends."""
    root = os.path.join(work, f"{target}-{k}")
    try:
        yield root
    finally:
        kill_all()
        shutil.rmtree(root, ignore_errors=True)
