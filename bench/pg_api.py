#!/usr/bin/env python3
"""Figure: the people API at 1,000,000 people on PostgreSQL (get by id, prefix search).

Usage: python3 bench/pg_api.py HAIL_BINARY [--seconds 10] [--rows N]

Starts a throwaway PostgreSQL 15 (Debian's /usr/lib/postgresql/15/bin; initdb as the user
postgres when run as root) in a temporary directory, listening on 127.0.0.1:55433 and a unix
socket there (trust auth, fsync off: the bench measures reads). Loads the cached CSV
(bench/out/people-1m.csv, bench/gen_people.py) with `hail import people` into a SQLite
database and moves it over with `hail db copy --to URL` (its time is printed as context),
creates an admin and an API token with `hail --database URL`, starts `hail --database URL
serve` on 127.0.0.1 with its default configuration (access log on, default thread count,
one PostgreSQL connection per HTTP thread) and drives it with wrk (-t2 -c32), the requests
of bench/api_people.py:

  get:    GET /api/v1/people/{random id in 1..N}                       -> pg_get_rps
  search: GET /api/v1/people?q={prefix}&limit=50, 3-5 character prefixes of a random active
          person's first name, last name, company or email (bench/out/people-1m.queries)
                                                  -> pg_search_p99_ms, pg_search_p50_ms, pg_search_rps

Each run is 10 s after a 3 s warm-up (not counted). wrk, hail and PostgreSQL share the
machine's cores.

Prints `pg_get_rps=… pg_search_p99_ms=… pg_search_p50_ms=… pg_search_rps=…`. Targets:
pg_get_rps >= 10,000, pg_search_p99_ms <= 20.

Correctness (the bench FAILS otherwise): `hail db copy` verifies its row counts; every wrk
response is 2xx with no socket errors or timeouts; the spot checks of bench/api_people.py
(GET of sampled ids returns that person; 40 sampled searches each return a full page or
exactly the active people matching, counted from the CSV); the server's log holds no error.
PostgreSQL is stopped and its directory removed at the end, also on failure.
"""
import argparse
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import api_people as A  # noqa: E402
import benchlib as B  # noqa: E402

PGBIN = os.environ.get("HAIL_PG_BIN", "/usr/lib/postgresql/15/bin")
PORT = 55433
TARGET_GET_RPS, TARGET_SEARCH_P99_MS = 10000, 20.0


class Cluster:
    """A PostgreSQL 15 cluster in a temporary directory (stopped and removed by stop())."""

    def __init__(self):
        for tool in ("initdb", "pg_ctl", "psql"):
            if not os.access(os.path.join(PGBIN, tool), os.X_OK):
                B.die("no %s in %s: install Debian's postgresql-15" % (tool, PGBIN))
        self.dir = tempfile.mkdtemp(prefix="hail-pgapi-")
        self.data = os.path.join(self.dir, "data")
        self.root = os.geteuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        os.chmod(self.dir, 0o700)
        self.started = False
        atexit.register(self.stop)
        self.run("initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync",
                 "-E", "UTF8", "--locale=C")
        opts = ("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off"
                " -c full_page_writes=off -c max_connections=200 -c shared_buffers=512MB"
                % (PORT, self.dir))
        self.run("pg_ctl", "-D", self.data, "-o", opts, "-l", os.path.join(self.dir, "log"),
                 "-w", "-t", "60", "start")
        self.started = True
        self.admin = "postgresql://postgres@127.0.0.1:%d/postgres" % PORT

    def run(self, tool, *args):
        argv = [os.path.join(PGBIN, tool)] + list(args)
        if self.root:
            argv = ["runuser", "-u", "postgres", "--"] + argv
        r = subprocess.run(argv, capture_output=True, text=True)
        if r.returncode != 0:
            B.die("%s failed: %s%s" % (tool, r.stdout[-1000:], r.stderr[-1000:]))
        return r.stdout

    def psql(self, sql, db="postgres"):
        return self.run("psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d",
                        "postgresql://postgres@127.0.0.1:%d/%s" % (PORT, db), "-c", sql)

    def stop(self):
        if self.started:
            self.started = False
            argv = [os.path.join(PGBIN, "pg_ctl"), "-D", self.data, "-m", "fast", "-w", "stop"]
            if self.root:
                argv = ["runuser", "-u", "postgres", "--"] + argv
            subprocess.run(argv, capture_output=True)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


def hail_run(hail, *args, env=None):
    r = subprocess.run([hail] + list(args), capture_output=True, text=True, env=env)
    if r.returncode != 0:
        B.die("hail %s failed: %s" % (" ".join(args[:3]), r.stderr[-1000:]))
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rows", type=int, default=1000000)
    a = ap.parse_args()
    hail = os.path.abspath(a.hail)
    if not os.access(hail, os.X_OK):
        B.die("no hail binary at %s" % hail)
    if not shutil.which("wrk"):
        B.die("wrk is not installed (Debian package wrk)")
    csv_path, queries, facts = B.people_csv(a.rows)
    n = facts["rows"]
    work = os.path.join(B.OUT, "pg_api")
    data = os.path.join(work, "data")
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(data)
    B.log("== pg_api: %d people, machine: %s, PostgreSQL 15 on 127.0.0.1:%d, wrk -t%d -c%d, "
          "%d s per run after a %d s warm-up, load average %s"
          % (n, B.MACHINE, PORT, A.WRK_THREADS, A.WRK_CONNS, a.seconds, A.WARMUP_S,
             B.loadavg()))

    pg = Cluster()
    pg.psql("CREATE DATABASE hail_bench")
    url = "postgresql://postgres@127.0.0.1:%d/hail_bench" % PORT
    env = dict(os.environ, HAIL_DATABASE_URL=url)
    env.pop("HAIL_DATA", None)

    t0 = time.monotonic()
    hail_run(hail, "--data", data, "import", "people", csv_path)
    B.log("loaded %d people into SQLite with hail import in %.1f s" % (n, time.monotonic() - t0))
    t0 = time.monotonic()
    r = hail_run(hail, "--data", data, "db", "copy", "--to", url)
    B.log("hail db copy to PostgreSQL: %.1f s (%s)" % (time.monotonic() - t0, r.stdout.strip()))
    total, lo, hi = pg.psql("SELECT count(*), min(id), max(id) FROM people",
                            "hail_bench").strip().split("|")
    if (int(total), int(lo), int(hi)) != (n, 1, n):
        B.die("after the copy people are %s with ids %s..%s, expected %d with 1..%d"
              % (total, lo, hi, n, n))
    pg.psql("VACUUM ANALYZE", "hail_bench")
    shutil.rmtree(data, ignore_errors=True)  # from here on only PostgreSQL

    hail_run(hail, "user", "add", "--email", "a@example.com", "--name", "A", "--role", "admin",
             env=env)
    token = hail_run(hail, "token", "create", "--email", "a@example.com",
                     env=env).stdout.strip().splitlines()[-1]
    get_lua, search_lua = os.path.join(work, "get.lua"), os.path.join(work, "search.lua")
    with open(get_lua, "w") as f:
        f.write(A.LUA_GET % {"token": token, "n": n})
    with open(search_lua, "w") as f:
        f.write(A.LUA_SEARCH % {"token": token, "queries": queries})

    port = B.free_port()
    log_path = os.path.join(work, "serve.log")
    logf = open(log_path, "w")
    p = subprocess.Popen([hail, "serve", "--listen", "127.0.0.1:%d" % port], env=env,
                         stdout=logf, stderr=logf)
    logf.close()
    B.wait_http("http://127.0.0.1:%d/healthz" % port, proc=p)
    res = {}
    try:
        A.spot_check(port, token, n, queries, facts)
        for name, script in (("get", get_lua), ("search", search_lua)):
            A.settle(port)
            A.wrk(port, script, A.WARMUP_S)
            res[name] = r = A.wrk(port, script, a.seconds)
            B.log("pg %s (wrk -t%d -c%d): %.0f req/s, latency p50 %.2f ms, p90 %.2f ms, "
                  "p99 %.2f ms, max %.1f ms (%d requests)"
                  % (name, A.WRK_THREADS, A.WRK_CONNS, r["rps"], r["p50_us"] / 1e3,
                     r["p90_us"] / 1e3, r["p99_us"] / 1e3, r["max_us"] / 1e3, r["requests"]))
    finally:
        A.stop(p)
    errors = [line for line in open(log_path, errors="replace") if " error " in line
              or line.startswith("hail:")]
    if errors:
        B.die("the server logged errors:\n" + "".join(errors[:10]))
    pg.stop()
    get_rps, p99 = res["get"]["rps"], res["search"]["p99_us"] / 1e3
    B.log("load average at the end: %s" % B.loadavg())
    B.log("compared with: pg_get_rps %.0f vs target >= %d (%s); pg_search_p99_ms %.2f vs target "
          "<= %.0f (%s)" % (get_rps, TARGET_GET_RPS,
                            "meets target" if get_rps >= TARGET_GET_RPS else "MISSES target",
                            p99, TARGET_SEARCH_P99_MS,
                            "meets target" if p99 <= TARGET_SEARCH_P99_MS else "MISSES target"))
    print("pg_get_rps=%.0f pg_search_p99_ms=%.2f pg_search_p50_ms=%.2f pg_search_rps=%.0f"
          % (get_rps, p99, res["search"]["p50_us"] / 1e3, res["search"]["rps"]))


if __name__ == "__main__":
    main()
