#!/usr/bin/python3
"""Real mode on a real filesystem that fails (ctest realmode.disk_faults).

The reactions the simulator checks (README "Disks that fail"), on real
files: one `slotsim node` per case, talked to with redis-cli.
  - a full disk (a tmpfs with a size): writes get -MISCONF ... No space
    left on device, reads go on, and once space comes back writes resume;
    the log then replays whole after a restart;
  - a read-only directory: a first start cannot save nodes.conf and exits
    with status 2 and Redis's message; a node with its files in place
    answers writes with -MISCONF ... Read-only file system;
  - nodes.conf without permissions: the node refuses to start with
    "Loading the cluster node config from nodes.conf: Permission denied",
    and never takes a new identity.
The tmpfs cases need root (mount); the permission case needs a user the
file's mode applies to (as root the node runs as nobody via setpriv).
Cases that cannot run here are reported as skipped; the test fails if
none could run.

usage: disk_faults_test.py SLOTSIM_BINARY
"""
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(sys.argv[1])
failures = []
ran = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)


def free_port():
    rng = random.Random(os.getpid())
    for _ in range(200):
        p = rng.randrange(26000, 29000)
        ok = True
        for q in (p, p + 10000):
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", q))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return p
    raise SystemExit("no free ports")


def cli(port, *args):
    r = subprocess.run(["redis-cli", "-p", str(port), *map(str, args)],
                       capture_output=True, text=True, timeout=20)
    return (r.stdout + r.stderr).strip()


def ping(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return bool(s.recv(64))
    except OSError:
        return False


def start(port, d, prefix=(), appendfsync="everysec"):
    log = open(os.path.join(work, f"node-{port}.log"), "a")
    p = subprocess.Popen([*prefix, BIN, "node", "--port", str(port), "--dir", d,
                          "--node-timeout", "3000", "--appendonly", "yes",
                          "--appendfsync", appendfsync],
                         stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 10
    while time.time() < deadline:
        if p.poll() is not None:
            return p
        if ping(port):
            return p
        time.sleep(0.05)
    return p


def stop(p):
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def mount_tmpfs(where, size):
    os.makedirs(where, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", where],
                       capture_output=True, text=True)
    return r.returncode == 0


def umount(where):
    subprocess.run(["umount", "-l", where], capture_output=True)


def wait_until(fn, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.1)
    return False


work = tempfile.mkdtemp(prefix="disk-faults-")
port = free_port()
try:
    # ---- a full disk --------------------------------------------------------
    full = os.path.join(work, "full")
    if os.geteuid() == 0 and mount_tmpfs(full, "1m"):
        ran.append("full disk")
        try:
            d = os.path.join(full, "node")
            os.makedirs(d)
            p = start(port, d)
            check(ping(port), "node starts on a 1 MB tmpfs")
            check(cli(port, "cluster", "addslotsrange", 0, 16383) == "OK", "ADDSLOTSRANGE")
            wait_until(lambda: "cluster_state:ok" in cli(port, "cluster", "info"), 10)
            check(cli(port, "set", "{a}k0", "before") == "OK", "a write before the disk fills")
            # Fill what is left but a little (the node's own files need some).
            filler = os.path.join(full, "filler")
            fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                while True:
                    os.write(fd, b"x" * 4096)
            except OSError:
                pass
            finally:
                os.close(fd)
            big = "v" * 2000
            replies = [cli(port, "set", "{a}k%d" % i, big) for i in range(1, 40)]
            misconf = [r for r in replies if r.startswith("MISCONF")]
            check(any("No space left on device" in r for r in misconf),
                  "writes on a full disk get -MISCONF ... No space left on device "
                  f"(got {sorted(set(r[:60] for r in replies))})")
            check(cli(port, "get", "{a}k0") == "before", "reads go on while writes are refused")
            check(cli(port, "ping").startswith("MISCONF"), "PING is refused too, as in Redis")
            check("aof_last_write_status:err" in cli(port, "info", "persistence"),
                  "INFO persistence says aof_last_write_status:err")
            os.remove(filler)
            check(wait_until(lambda: cli(port, "set", "{a}after", "yes") == "OK", 5),
                  "writes resume within 5 s of space coming back")
            stop(p)
            p = start(port, d)
            check(ping(port), "the node restarts: the log holds no torn command")
            wait_until(lambda: "cluster_state:ok" in cli(port, "cluster", "info"), 10)
            got = cli(port, "get", "{a}after")
            check(got == "yes", f"the write after recovery survived the restart (got {got!r})")
            stop(p)
        finally:
            umount(full)
    else:
        print("skipped: full disk (needs root and mount)")

    # ---- a read-only directory ----------------------------------------------
    ro = os.path.join(work, "ro")
    if os.geteuid() == 0 and mount_tmpfs(ro, "4m"):
        ran.append("read-only directory")
        try:
            d = os.path.join(ro, "node")
            os.makedirs(d)
            p = start(port, d)
            check(cli(port, "cluster", "addslotsrange", 0, 16383) == "OK", "ADDSLOTSRANGE (rw)")
            name = cli(port, "cluster", "myid")
            stop(p)
            subprocess.run(["mount", "-o", "remount,ro", ro], check=True)
            p = start(port, d)
            check(ping(port) and cli(port, "cluster", "myid") == name,
                  "a node whose files are in place starts on a read-only filesystem, as itself")
            wait_until(lambda: "cluster_state:ok" in cli(port, "cluster", "info"), 10)
            r = cli(port, "set", "k", "v")
            r2 = cli(port, "set", "k", "v")
            check("Read-only file system" in r or "Read-only file system" in r2 or p.poll() is not None,
                  f"a write on a read-only filesystem is refused with -MISCONF (got {r!r}, {r2!r})")
            stop(p)
            fresh = os.path.join(ro, "fresh")  # cannot even be created
            r = subprocess.run([BIN, "node", "--port", str(port), "--dir", d + "-missing"],
                               capture_output=True, text=True, timeout=20)
            check(r.returncode == 2, f"a data dir that cannot be created: exit 2 (got {r.returncode})")
            subprocess.run(["mount", "-o", "remount,rw", ro], check=True)
            os.makedirs(fresh)
            subprocess.run(["mount", "-o", "remount,ro", ro], check=True)
            r = subprocess.run([BIN, "node", "--port", str(port), "--dir", fresh],
                               capture_output=True, text=True, timeout=20)
            out = r.stdout + r.stderr
            check(r.returncode == 2 and "can't update cluster config file" in out
                  and "Read-only file system" in out,
                  f"a first start on a read-only directory exits 2 with Redis's message (got {r.returncode}: {out.strip()[-160:]!r})")
        finally:
            umount(ro)
    else:
        print("skipped: read-only directory (needs root and mount)")

    # ---- nodes.conf without permissions -------------------------------------
    prefix = ()
    if os.geteuid() == 0:
        prefix = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups")
    d = os.path.join(work, "perm")
    os.makedirs(d)
    os.chmod(work, 0o755)
    if os.geteuid() == 0:
        os.chown(d, 65534, 65534)
    p = start(port, d, prefix)
    if ping(port):
        ran.append("nodes.conf without permissions")
        name = cli(port, "cluster", "myid")
        stop(p)
        conf = os.path.join(d, "nodes.conf")
        os.chmod(conf, 0o000)
        if os.geteuid() == 0:
            os.chown(conf, 0, 0)
        r = subprocess.run([*prefix, BIN, "node", "--port", str(port), "--dir", d,
                            "--appendonly", "yes"], capture_output=True, text=True, timeout=20)
        out = r.stdout + r.stderr
        check(r.returncode == 2 and
              "Loading the cluster node config from nodes.conf: Permission denied" in out,
              f"an unreadable nodes.conf stops the start with Redis's message (got {r.returncode}: {out.strip()[-160:]!r})")
        os.chmod(conf, 0o644)
        if os.geteuid() == 0:
            os.chown(conf, 65534, 65534)
        p = start(port, d, prefix)
        check(ping(port) and cli(port, "cluster", "myid") == name,
              "readable again, the node comes back as itself")
        stop(p)
    else:
        stop(p)
        print("skipped: nodes.conf without permissions (the node would not start here)")
finally:
    shutil.rmtree(work, ignore_errors=True)

if not ran:
    print("FAIL: no case could run here")
    sys.exit(1)
print(f"ran: {', '.join(ran)}")
if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print("all passed")
