#!/usr/bin/env python3
"""Figure: full Marketo sync of 1,000,000 people into PostgreSQL 15.

Usage: python3 bench/pg_sync.py HAIL_BINARY [--rows N] [--port 55434] [--keep]

Prints one line `pg_people_per_s=… pg_copy_ratio=…` plus context lines.

- The script starts its own PostgreSQL 15 (Debian's /usr/lib/postgresql/15/bin) in a
  temporary directory: initdb (as the user postgres when run as root), trust
  authentication, listening on 127.0.0.1:PORT (default 55434) and a unix socket in that
  directory, the server's default settings otherwise (fsync and synchronous_commit on). It
  is stopped and removed at the end, whatever happens.
- pg_people_per_s: 1e6 / wall seconds of `hail --data DIR sync marketo --full` with
  HAIL_DATABASE_URL naming an empty database of that server, from the fork to the exit,
  against tests/fake/fake_marketo.py serving the cached CSV (bench/out/people-1m.csv), as in
  bench/sync_people.py. It includes the migrations, the token, export create/enqueue/status
  polls, the download, the parse, the COPY of the people and their search keys and the
  account counts.
- pg_copy_ratio: pg_people_per_s / rows per second of `psql -c "\\copy …"` of the same CSV
  (FORMAT csv, HEADER, NULL 'null') into a table of the CSV's 14 columns (TEXT COLLATE "C"),
  with, created before the copy, indexes equivalent to hail's: a unique index on the
  Marketo id; lower() expression indexes on first+last name, last name, email and company,
  partial on having an owner (hail: the 3.6M people_search keys); account and opportunity,
  partial on not-null; lower(owner). Same server, same run, right after the sync.
  Target: >= 0.5.

Correctness (the bench FAILS otherwise): hail exits 0; people rows == CSV rows; active
people == CSV rows with an owner; people_search holds keys of active people only and
every active person has one; account_companies' counts add up to the active people with an
account; the sampled rows hold exactly the CSV's values.
"""
import argparse
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402
import sync_people as S  # noqa: E402

PG_BIN = "/usr/lib/postgresql/15/bin"
TARGET_RATIO = 0.5

REF_SCHEMA = """
CREATE TABLE people (id BIGINT, "firstName" TEXT COLLATE "C", "lastName" TEXT COLLATE "C",
  email TEXT COLLATE "C", phone TEXT COLLATE "C", title TEXT COLLATE "C",
  company TEXT COLLATE "C", "leadSource" TEXT COLLATE "C", "linkedInProfileURL" TEXT COLLATE "C",
  "sfdcLeadId" TEXT COLLATE "C", "sfdcContactId" TEXT COLLATE "C",
  "sfdcAccountId" TEXT COLLATE "C", "sfdcOpptyId" TEXT COLLATE "C",
  "leadOwnerEmailAddress" TEXT COLLATE "C");
CREATE UNIQUE INDEX people_id ON people(id);
CREATE INDEX people_k_name ON people(lower("firstName" || ' ' || "lastName"))
  WHERE "leadOwnerEmailAddress" IS NOT NULL;
CREATE INDEX people_k_last ON people(lower("lastName")) WHERE "leadOwnerEmailAddress" IS NOT NULL;
CREATE INDEX people_k_email ON people(lower(email)) WHERE "leadOwnerEmailAddress" IS NOT NULL;
CREATE INDEX people_k_company ON people(lower(company)) WHERE "leadOwnerEmailAddress" IS NOT NULL;
CREATE INDEX people_account ON people("sfdcAccountId") WHERE "sfdcAccountId" IS NOT NULL;
CREATE INDEX people_opportunity ON people("sfdcOpptyId") WHERE "sfdcOpptyId" IS NOT NULL;
CREATE INDEX people_owner ON people(lower("leadOwnerEmailAddress"));
"""


class Cluster:
    """A throwaway PostgreSQL 15 server in a temporary directory."""

    def __init__(self, port):
        self.port = port
        self.dir = tempfile.mkdtemp(prefix="hail-pgbench-")
        self.data = os.path.join(self.dir, "data")
        self.as_user = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.started = False

    def run(self, argv, **kw):
        return subprocess.run(self.as_user + argv, check=True, capture_output=True, text=True,
                              **kw)

    def start(self):
        for tool in ("initdb", "pg_ctl", "postgres"):
            if not os.access(os.path.join(PG_BIN, tool), os.X_OK):
                B.die("no %s in %s: install postgresql-15 (scripts/install-deps.sh)"
                      % (tool, PG_BIN))
        self.run([os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C"])
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1" % (self.port, self.dir)
        try:
            self.run([os.path.join(PG_BIN, "pg_ctl"), "-D", self.data, "-o", opts, "-l",
                      os.path.join(self.dir, "server.log"), "-w", "start"])
        except subprocess.CalledProcessError as e:
            log = open(os.path.join(self.dir, "server.log")).read()[-2000:]
            B.die("PostgreSQL did not start on port %d: %s %s" % (self.port, e.stderr, log))
        self.started = True

    def url(self, db="postgres"):
        return "postgresql://postgres@127.0.0.1:%d/%s" % (self.port, db)

    def psql(self, db, sql):
        p = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d",
                            self.url(db), "-c", sql], capture_output=True, text=True)
        if p.returncode != 0:
            B.die("psql failed (%s): %s" % (sql[:80], p.stderr.strip()[:500]))
        return p.stdout.strip()

    def stop(self, keep=False):
        if self.started:
            subprocess.run(self.as_user + [os.path.join(PG_BIN, "pg_ctl"), "-D", self.data,
                                           "-m", "fast", "-w", "stop"], capture_output=True)
            self.started = False
        if keep:
            B.log("kept %s" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def verify(pg, db, facts):
    total, active = pg.psql(db, "SELECT count(*), sum(active) FROM people").split("|")
    total, active = int(total), int(active or 0)
    B.log("check: sync stored %d people, %d active; the CSV has %d rows, %d with an owner"
          % (total, active, facts["rows"], facts["with_owner"]))
    if total != facts["distinct_ids"] or active != facts["with_owner"]:
        B.die("the sync stored the wrong number of people")
    keys, keyed, stray = pg.psql(
        db, "SELECT (SELECT count(*) FROM people_search),"
            " (SELECT count(DISTINCT person_id) FROM people_search),"
            " (SELECT count(*) FROM people_search s JOIN people p ON p.id = s.person_id"
            "  WHERE p.active <> 1)").split("|")
    B.log("check: people_search holds %s keys of %s people (%s of inactive people)"
          % (keys, keyed, stray))
    if int(keyed) != active or int(stray) != 0:
        B.die("people_search does not hold the keys of exactly the active people")
    counted, want = pg.psql(
        db, "SELECT (SELECT coalesce(sum(people), 0) FROM account_companies),"
            " (SELECT count(*) FROM people WHERE active = 1 AND sfdc_account_id IS NOT NULL)"
            ).split("|")
    B.log("check: account_companies counts %s people; %s active people have an account"
          % (counted, want))
    if counted != want:
        B.die("the account counts do not add up")
    cols = ", ".join(S.HAIL_COLS)
    for mid, row in facts["samples"].items():
        got = pg.psql(db, "SELECT json_build_array(%s) FROM people WHERE marketo_id = %d"
                      % (cols, int(mid)))
        vals = json.loads(got) if got else None
        if vals is None:
            B.die("the sync lost person %s" % mid)
        for col, csvcol, v in zip(S.HAIL_COLS, S.CSV_COLS, vals):
            want = row[csvcol]
            if not (v == want or (want in ("", "null") and v is None)):
                B.die("person %s: %s is %r, the CSV has %r" % (mid, col, v, want))
    B.log("check: %d sampled rows match the CSV field for field" % len(facts["samples"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--port", type=int, default=55434)
    ap.add_argument("--keep", action="store_true", help="keep the cluster's directory")
    a = ap.parse_args()
    hail = os.path.abspath(a.hail)
    if not os.access(hail, os.X_OK):
        B.die("no hail binary at %s" % hail)
    csv_path, _, facts = B.people_csv(a.rows)
    work = os.path.join(B.OUT, "pg_sync")
    os.makedirs(work, exist_ok=True)
    B.log("== pg_sync: %d people (%.0f MB CSV), machine: %s, load average %s"
          % (facts["rows"], os.path.getsize(csv_path) / 1e6, B.MACHINE, B.loadavg()))
    pg = Cluster(a.port)
    try:
        pg.start()
        version = pg.psql("postgres", "SHOW server_version")
        pg.psql("postgres", "CREATE DATABASE hail_sync")
        pg.psql("postgres", "CREATE DATABASE hail_copy")
        B.log("PostgreSQL %s on 127.0.0.1:%d (%s)" % (version, a.port, pg.dir))

        _, wall, rss_kb, cpu = S.run_sync(hail, csv_path, work,
                                          {"HAIL_DATABASE_URL": pg.url("hail_sync")})
        rate = facts["rows"] / wall
        B.log("hail sync marketo --full into PostgreSQL: %.2f s wall (%.2f s CPU in hail) -> "
              "%.0f people/s, peak RSS %.1f MB" % (wall, cpu or 0, rate, rss_kb / 1024))
        verify(pg, "hail_sync", facts)
        size = pg.psql("hail_sync", "SELECT pg_size_pretty(pg_database_size(current_database()))")
        B.log("context: the hail database is %s" % size)

        pg.psql("hail_copy", REF_SCHEMA)
        os.sync()
        t0 = time.monotonic()
        pg.psql("hail_copy", "\\copy people FROM '%s' WITH (FORMAT csv, HEADER true, "
                "NULL 'null')" % csv_path.replace("'", "''"))
        secs = time.monotonic() - t0
        rows = int(pg.psql("hail_copy", "SELECT count(*) FROM people"))
        if rows != facts["rows"]:
            B.die("psql \\copy loaded %d rows, expected %d" % (rows, facts["rows"]))
        ref = rows / secs
        B.log("reference: psql \\copy into a table with the 8 equivalent indexes created "
              "first: %.2f s -> %.0f rows/s" % (secs, ref))
    finally:
        pg.stop(a.keep)
    ratio = rate / ref
    B.log("load average at the end: %s (the machine may be shared: see bench/README.md)"
          % B.loadavg())
    B.log("compared with: pg_copy_ratio %.2f vs target >= %.1f (%s)"
          % (ratio, TARGET_RATIO, "meets target" if ratio >= TARGET_RATIO else
             "MISSES target"))
    print("pg_people_per_s=%.0f pg_copy_ratio=%.2f" % (rate, ratio))


if __name__ == "__main__":
    main()
