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
125 users with 8 streams each (the per-user cap), spread over worker
processes that only look for each frame's "id: N" line (raw sockets,
epoll) and note CLOCK_MONOTONIC, which the writer uses too. The writer
inserts one activity per transaction into hail's SQLite database
(synchronous=FULL) at a steady 200/s, the way a service's transaction
would; hail's hub polls the log every 20 ms while streams are open.

Checks: every client got every activity exactly once, in commit order; all
1,000 streams answered 200.

Usage: python3 bench/sse_fanout.py HAIL [--clients N] [--rate R] [--seconds S] [--procs P]
"""
import argparse
import multiprocessing
import os
import resource
import selectors
import shutil
import socket
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


def client_worker(port, tokens, ready, go, stop_at_id, out):
    """Opens one stream per token; records each event id's arrival time per
    stream; reports once every stream has seen stop_at_id's sentinel."""
    sel = selectors.DefaultSelector()
    socks = []
    for i, tok in enumerate(tokens):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(("GET /api/v1/feed/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   "Authorization: Bearer %s\r\n\r\n" % tok).encode())
        s.setblocking(False)
        socks.append(s)
        sel.register(s, selectors.EVENT_READ, i)
    n = len(socks)
    tail = [b""] * n
    status = [None] * n
    got = [[] for _ in range(n)]    # (id, t) per stream
    done = [False] * n
    ndone = 0
    started = 0
    ready_sent = False
    end = None
    while ndone < n:
        if end is None and go.is_set():
            end = mono() + 600
        if end is not None and mono() > end:
            break
        for key, _ in sel.select(0.2):
            i = key.data
            s = key.fileobj
            try:
                b = s.recv(262144)
            except BlockingIOError:
                continue
            t = mono()
            if not b:
                sel.unregister(s)
                if not done[i]:
                    done[i] = True
                    ndone += 1
                continue
            buf = tail[i] + b
            if status[i] is None:
                j = buf.find(b"\r\n\r\n")
                if j < 0:
                    tail[i] = buf
                    continue
                status[i] = int(buf.split(b" ", 2)[1])
                started += 1
                if status[i] != 200:
                    done[i] = True
                    ndone += 1
                buf = buf[j + 4:]
            p = 0
            while True:
                k = buf.find(b"\nid: ", p)
                if k < 0:
                    break
                e = buf.find(b"\n", k + 5)
                if e < 0:
                    break
                eid = int(buf[k + 5:e])
                if eid == stop_at_id.value:
                    if not done[i]:
                        done[i] = True
                        ndone += 1
                else:
                    got[i].append((eid, t))
                p = e
            tail[i] = buf[p:] if p else buf[-64:]
            if len(tail[i]) > 64:
                tail[i] = tail[i][-64:]
        if not ready_sent and started == n:
            ready.put(n)
            ready_sent = True
    for s in socks:
        s.close()
    out.put((status, got, cpu_s(os.getpid())))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--procs", type=int, default=2)
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

        ctx = multiprocessing.get_context("fork")
        ready, out = ctx.Queue(), ctx.Queue()
        go = ctx.Event()
        stop_at = ctx.Value("q", -1)
        shares = [tokens[i::a.procs] for i in range(a.procs)]
        workers = [ctx.Process(target=client_worker, args=(port, sh, ready, go, stop_at, out))
                   for sh in shares if sh]
        t0 = mono()
        for w in workers:
            w.start()
        opened = sum(ready.get(timeout=120) for _ in workers)
        log("# %d streams open in %.1f s" % (opened, mono() - t0))
        time.sleep(1.0)  # the hub goes to its busy pace
        go.set()

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
        hail_cpu = cpu_s(proc.pid)
        # The sentinel: one more activity ends every client.
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO activities (type, person_id, occurred_at, created_at)"
                         " VALUES ('email_open', ?, 1, 1)", (pid,))
        stop_at.value = cur.lastrowid
        db.execute("COMMIT")
        results = [out.get(timeout=300) for _ in workers]
        for w in workers:
            w.join(30)

        statuses = [s for st, _, _ in results for s in st]
        bad = [s for s in statuses if s != 200]
        if bad:
            die("%d streams did not answer 200 (e.g. %s)" % (len(bad), bad[0]))
        ids = sorted(commits)
        last = {i: 0.0 for i in ids}
        per = []
        for _, got, _ in results:
            for stream in got:
                seen = [e for e, _ in stream]
                if seen != ids:
                    die("a stream got %d events (%d expected), in order: %s" %
                        (len(seen), len(ids), seen == sorted(seen)))
                for e, t in stream:
                    lat = t - commits[e]
                    per.append(lat)
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
            (hail_cpu, sum(r[2] for r in results), wall))
        log("# target: fanout_p99_ms <= 50: %s" % ("met" if pct(fan, 0.99) <= 50 else "MISSED"))
        log("sse_clients=%d fanout_p99_ms=%.1f delivery_p99_ms=%.1f delivery_p50_ms=%.1f" %
            (opened, pct(fan, 0.99), pct(per, 0.99), pct(per, 0.5)))
    finally:
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
