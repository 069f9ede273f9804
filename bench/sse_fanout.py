#!/usr/bin/env python3
"""Live feed figure (issue 10): 1,000 concurrent SSE clients on one node,
activities committed at 200/s, from each activity's commit to its arrival at
every client. Prints

    sse_clients=… fanout_p99_ms=… delivery_p99_ms=… delivery_p50_ms=…

Target: fanout_p99_ms <= 50.

fanout_p99_ms: for each activity, the time from its commit (the writer's
COMMIT returned) to the moment the last of the clients had its event; the
99th percentile over the activities. delivery_p99_ms / _p50_ms: the same per
(activity, client) pair. The clients are admins (each sees every event),
125 users with 8 streams each (the per-user cap), held by one C process
(bench/sse_clients.c, built here with cc -O2: one epoll loop that de-chunks
each response, looks only at each frame's "id: N" line and notes
CLOCK_MONOTONIC, which the writer uses too; the Python clients it replaced
took 1.3 of the machine's 2 cores themselves, so the figure measured them). The writer
inserts one activity per transaction into hail's SQLite database
(synchronous=FULL) at a steady 200/s, the way a service's transaction
would; hail's hub polls the log every 20 ms while streams are open.

Checks: every client got every activity exactly once, in commit order; all
1,000 streams answered 200.

Usage: python3 bench/sse_fanout.py HAIL [--clients N] [--rate R] [--seconds S] [--procs P (client processes, default 1)]
"""
import argparse
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import die, log  # noqa: E402

PER_USER = 8


def cpu_s(pid):
    """User + system CPU seconds of a process so far."""
    f = open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def mono():
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def build_clients(tmp):
    """Compiles bench/sse_clients.c (the clients: one epoll loop in C)."""
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sse_clients.c")
    exe = os.path.join(tmp, "sse_clients")
    cc = os.environ.get("CC", "cc")
    r = subprocess.run([cc, "-O2", "-o", exe, src], capture_output=True, text=True)
    if r.returncode:
        die("cannot build %s: %s" % (src, r.stderr.strip()))
    return exe


def read_times(path):
    """(ids, rows): the event ids and one row of arrival times per stream."""
    import array
    with open(path, "rb") as f:
        hdr = array.array("q")
        hdr.fromfile(f, 2)
        ns, ni = hdr
        ids = array.array("q")
        ids.fromfile(f, ni)
        rows = []
        for _ in range(ns):
            t = array.array("d")
            t.fromfile(f, ni)
            rows.append(t)
    return list(ids), rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--procs", type=int, default=1)
    a = ap.parse_args()
    hail = os.path.abspath(a.hail)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = a.clients + 512
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            die("the open file limit is %d; %d clients need %d" % (hard, a.clients, need))
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    log("# machine: %s, load average %s" % (benchlib.MACHINE, benchlib.loadavg()))
    tmp = tempfile.mkdtemp(prefix="hail-bench-sse-")
    env = dict(os.environ, HAIL_DATA=os.path.join(tmp, "var"), HAIL_LOG_LEVEL=os.environ.get("BENCH_LOG_LEVEL", "warn"),
               HAIL_ACCESS_LOG="off")
    env.pop("HAIL_DATABASE_URL", None)
    proc = None
    clients = []
    try:
        users = (a.clients + PER_USER - 1) // PER_USER
        tokens = []
        for u in range(users):
            email = "admin%d@example.com" % u
            subprocess.run([hail, "user", "add", "--email", email, "--name", "Admin %d" % u,
                            "--role", "admin"], env=env, check=True, capture_output=True)
            t = subprocess.run([hail, "token", "create", "--email", email], env=env, check=True,
                               capture_output=True, text=True).stdout.strip().splitlines()[-1]
            tokens += [t] * PER_USER
        tokens = tokens[:a.clients]
        dbp = os.path.join(tmp, "var", "hail.db")
        db = sqlite3.connect(dbp, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 10000")
        db.execute("INSERT INTO people (marketo_id, email, first_name, owner_email, active,"
                   " created_at, updated_at) VALUES (1, 'p@example.org', 'Pat',"
                   " 'admin0@example.com', 1, 0, 0)")
        pid = db.execute("SELECT id FROM people").fetchone()[0]

        port = benchlib.free_port()
        log_path = os.path.join(tmp, "serve.log")
        proc = subprocess.Popen([hail, "serve", "--listen", "127.0.0.1:%d" % port], env=env,
                                stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
        benchlib.wait_http("http://127.0.0.1:%d/healthz" % port, proc=proc)

        exe = build_clients(tmp)
        shares = [tokens[i::a.procs] for i in range(a.procs)]
        clients = []
        t0 = mono()
        for k, sh in enumerate(x for x in shares if x):
            tf = os.path.join(tmp, "tokens%d" % k)
            with open(tf, "w") as f:
                f.write("\n".join(sh) + "\n")
            out = os.path.join(tmp, "times%d" % k)
            c = subprocess.Popen([exe, str(port), tf, out], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True)
            clients.append((c, out))
        opened = 0
        for c, _ in clients:
            line = c.stdout.readline().split()
            if len(line) != 2 or line[0] != "ready":
                die("the clients did not start (exit %s)" % c.wait())
            opened += int(line[1])
        log("# %d streams open in %.1f s" % (opened, mono() - t0))
        if opened != a.clients:
            die("%d of %d streams answered 200" % (opened, a.clients))
        time.sleep(1.0)  # the hub goes to its busy pace
        clients_cpu0 = sum(cpu_s(c.pid) for c, _ in clients)
        hail_cpu0 = cpu_s(proc.pid)

        # The writer: one activity per transaction, at a steady rate.
        n = int(a.rate * a.seconds)
        commits = {}
        start = mono()
        for k in range(n):
            due = start + k / a.rate
            d = due - mono()
            if d > 0:
                time.sleep(d)
            db.execute("BEGIN IMMEDIATE")
            cur = db.execute("INSERT INTO activities (type, person_id, occurred_at, attrs,"
                             " created_at) VALUES ('email_open', ?, ?, '{}', ?)",
                             (pid, int(time.time() * 1e6), int(time.time() * 1e6)))
            aid = cur.lastrowid
            db.execute("COMMIT")
            commits[aid] = mono()
        wall = mono() - start
        hail_cpu = cpu_s(proc.pid) - hail_cpu0
        clients_cpu = sum(cpu_s(c.pid) for c, _ in clients) - clients_cpu0
        # The sentinel: one more activity ends every client.
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO activities (type, person_id, occurred_at, created_at)"
                         " VALUES ('email_open', ?, 1, 1)", (pid,))
        stop = cur.lastrowid
        db.execute("COMMIT")
        ids = sorted(commits)
        last = {i: 0.0 for i in ids}
        per = []
        for c, out in clients:
            c.stdin.write("stop %d\n" % stop)
            c.stdin.flush()
            if c.wait(300):
                die("the clients failed (exit %d)" % c.returncode)
            got, rows = read_times(out)
            if got != ids:
                die("the streams got %d events (%d expected), in order: %s" %
                    (len(got), len(ids), got == sorted(got)))
            for row in rows:
                for e, t in zip(ids, row):
                    per.append(t - commits[e])
                    if t > last[e]:
                        last[e] = t
        fan = sorted(last[e] - commits[e] for e in ids)
        per.sort()

        def pct(v, q):
            return v[min(len(v) - 1, int(q * len(v)))] * 1000

        log("# %d activities in %.1f s (%.0f/s), %d deliveries checked (each stream: every"
            " activity once, in commit order)" % (n, wall, n / wall, len(per)))
        log("# fanout: p50 %.1f ms, p99 %.1f ms, max %.1f ms; delivery p50 %.1f ms, p99 %.1f ms;"
            " load average %s" % (pct(fan, 0.5), pct(fan, 0.99), fan[-1] * 1000, pct(per, 0.5),
                                  pct(per, 0.99), benchlib.loadavg()))
        log("# CPU: hail %.1f s, the clients %.1f s (over %.1f s of writing)" %
            (hail_cpu, clients_cpu, wall))
        log("# target: fanout_p99_ms <= 50: %s" % ("met" if pct(fan, 0.99) <= 50 else "MISSED"))
        log("sse_clients=%d fanout_p99_ms=%.1f delivery_p99_ms=%.1f delivery_p50_ms=%.1f" %
            (opened, pct(fan, 0.99), pct(per, 0.99), pct(per, 0.5)))
    finally:
        for c, _ in clients:
            if c.poll() is None:
                c.kill()
                c.wait()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        if os.environ.get("BENCH_KEEP"):
            log("# kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
