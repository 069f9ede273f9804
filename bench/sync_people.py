#!/usr/bin/env python3
"""Figure: full Marketo sync of 1,000,000 people into an empty store.

Usage: python3 bench/sync_people.py HAIL_BINARY [--rows N] [--skip-sqlite] [--skip-import]

Prints one line `people_per_s=… import_ratio=… peak_rss_mb=…` plus context lines.

- people_per_s: 1e6 / wall seconds of `hail --data DIR sync marketo --full`, from the fork
  to the exit, against tests/fake/fake_marketo.py on 127.0.0.1 serving the cached CSV
  (bench/out/people-1m.csv, from bench/gen_people.py) as a smart-list export. It includes
  the token, export create/enqueue/status polls (the fake completes a job in 2 steps of
  --status-step 0.05 s; hail polls every HAIL_MARKETO_POLL_SECONDS=0.2), the download, the
  parse, the store and the index build. Target: >= 100,000.
- import_ratio: people_per_s / rows per second of `sqlite3 .import --csv --skip 1` of the
  same file into a 14-column table that has, before the import, the equivalent of hail's
  indexes (unique id; lower()-expression indexes on name, last name, email, company, partial
  on having an owner; account, opportunity partial on not-null; owner) with WAL, hail's
  page cache (cache_size=-16000) and the synchronous level hail uses (FULL unless
  HAIL_DB_SYNC=normal). Target: >= 0.5.
- peak_rss_mb: peak resident set of the hail process (GNU time %M). Target: <= 100.

Correctness (the bench FAILS otherwise): exit status 0; people rows == CSV rows; active
people == CSV rows with an owner; every people table and index hail creates exists and
is filled; sampled rows (periodic ones,
and ones with quoted commas and quotes or accented names) hold exactly the CSV's values.

Context lines also give `hail import people` of the same file (the store path without HTTP)
and sqlite3 .import into a bare table with the indexes built afterwards (the best SQLite's
own shell does on this data).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

TARGET_RATE, TARGET_RATIO, TARGET_RSS = 100000, 0.5, 100
HAIL_COLS = ["first_name", "last_name", "email", "phone", "title", "company", "source",
             "linkedin_url", "sfdc_lead_id", "sfdc_contact_id", "sfdc_account_id",
             "sfdc_opportunity_id", "owner_email"]
CSV_COLS = ["firstName", "lastName", "email", "phone", "title", "company", "leadSource",
            "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
            "leadOwnerEmailAddress"]

SQLITE_SCHEMA = """
CREATE TABLE people (id INTEGER, firstName TEXT, lastName TEXT, email TEXT, phone TEXT,
  title TEXT, company TEXT, leadSource TEXT, linkedInProfileURL TEXT, sfdcLeadId TEXT,
  sfdcContactId TEXT, sfdcAccountId TEXT, sfdcOpptyId TEXT, leadOwnerEmailAddress TEXT);
"""
# .import stores the CSV's literal `null` as the text 'null': the partial conditions test
# for that instead of IS NOT NULL, which selects the same rows hail's indexes hold.
SQLITE_INDEXES = """
CREATE UNIQUE INDEX people_id ON people(id);
CREATE INDEX people_k_name ON people(lower(firstName || ' ' || lastName))
  WHERE leadOwnerEmailAddress <> 'null';
CREATE INDEX people_k_last ON people(lower(lastName)) WHERE leadOwnerEmailAddress <> 'null';
CREATE INDEX people_k_email ON people(lower(email)) WHERE leadOwnerEmailAddress <> 'null';
CREATE INDEX people_k_company ON people(lower(company)) WHERE leadOwnerEmailAddress <> 'null';
CREATE INDEX people_account ON people(sfdcAccountId) WHERE sfdcAccountId <> 'null';
CREATE INDEX people_opportunity ON people(sfdcOpptyId) WHERE sfdcOpptyId <> 'null';
CREATE INDEX people_owner ON people(leadOwnerEmailAddress);
"""


def sqlite_import(csv_path, db, sync_level, indexes_first):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.unlink(db + suffix)
    # The same page cache as hail (PRAGMA cache_size=-16000 in src/store/db.c).
    script = ("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=%s;\nPRAGMA cache_size=-16000;\n"
              % sync_level + SQLITE_SCHEMA)
    if indexes_first:
        script += SQLITE_INDEXES
    script += ".import --csv --skip 1 %s people\n" % csv_path
    if not indexes_first:
        script += SQLITE_INDEXES
    script += "SELECT count(*) FROM people;\n"
    os.sync()
    t0 = time.monotonic()
    out = subprocess.run(["sqlite3", db], input=script, capture_output=True, text=True)
    secs = time.monotonic() - t0
    if out.returncode != 0 or out.stderr.strip():
        B.die("sqlite3 .import failed: %s" % out.stderr.strip()[:500])
    rows = int(out.stdout.strip().splitlines()[-1])
    return rows, secs


def verify(db, facts, what, objects):
    total, active = B.sqlite_scalar(db, "SELECT count(*), sum(active) FROM people").split("|")
    total, active = int(total), int(active or 0)
    B.log("check: %s stored %d people, %d active; the CSV has %d rows, %d with an owner"
          % (what, total, active, facts["rows"], facts["with_owner"]))
    if total != facts["distinct_ids"] or active != facts["with_owner"]:
        B.die("%s stored the wrong number of people" % what)
    # Every people table and index a fresh database has must exist and be filled: a load
    # that skips or defers building an index would otherwise look faster than it is.
    entries = B.btree_entries(db)
    empty = [o for o in objects if entries.get(o, 0) == 0]
    if empty:
        B.die("%s left %s missing or empty" % (what, ", ".join(empty)))
    for mid, row in facts["samples"].items():
        got = B.sqlite_scalar(db, "SELECT json_array(%s) FROM people WHERE marketo_id = %d"
                              % (", ".join(HAIL_COLS), int(mid)))
        vals = json.loads(got) if got else None
        if vals is None:
            B.die("%s lost person %s" % (what, mid))
        for col, csvcol, v in zip(HAIL_COLS, CSV_COLS, vals):
            want = row[csvcol]
            ok = v == want or (want in ("", "null") and v is None)
            if not ok:
                B.die("%s person %s: %s is %r, the CSV has %r" % (what, mid, col, v, want))
    B.log("check: %d sampled rows match the CSV field for field; entries per people table and "
          "index: %s" % (len(facts["samples"]), ", ".join("%s %d" % (o, entries[o])
                                                         for o in objects)))


def sync_available(hail):
    p = subprocess.run([hail, "sync", "marketo", "--help"], capture_output=True, text=True)
    return p.returncode == 0


def run_sync(hail, csv_path, work, env_extra):
    # The fake checks requests against the Marketo contract from $HAIL_SHARED.
    sys.path.insert(0, os.path.join(B.ROOT, "tests", "fake"))
    import contract  # noqa: E402
    why = contract.missing()
    if why:
        B.die("the sync benchmark needs the fake Marketo: " + why)
    data = os.path.join(work, "sync-data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    port_file = os.path.join(work, "fake.port")
    if os.path.exists(port_file):
        os.unlink(port_file)
    fake_log = open(os.path.join(work, "fake.log"), "w")
    fake = subprocess.Popen([sys.executable, os.path.join(B.ROOT, "tests/fake/fake_marketo.py"),
                             "--port", "0", "--port-file", port_file, "--status-step", "0.05",
                             "--export-file", csv_path], stdout=fake_log, stderr=fake_log)
    try:
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file):
            if fake.poll() is not None or time.monotonic() > deadline:
                B.die("the fake Marketo did not start; see %s" % fake_log.name)
            time.sleep(0.05)
        port = int(open(port_file).read())
        B.wait_http("http://127.0.0.1:%d/_fake/stats" % port, proc=fake)
        env = dict(os.environ, HAIL_MARKETO_URL="http://127.0.0.1:%d" % port,
                   HAIL_MARKETO_CLIENT_ID="hail-test-id",
                   HAIL_MARKETO_CLIENT_SECRET="hail-test-secret",
                   HAIL_MARKETO_SMART_LIST_ID="1", HAIL_MARKETO_POLL_SECONDS="0.2", **env_extra)
        out = open(os.path.join(work, "sync.out"), "w")
        rc, wall, rss_kb, cpu = B.run_measured([hail, "--data", data, "sync", "marketo", "--full"],
                                               env=env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        tail = open(out.name).read().strip().splitlines()[-3:]
        for line in tail:
            B.log("  hail: " + line)
        if rc != 0:
            B.die("hail sync marketo --full exited with %d; see %s" % (rc, out.name))
        with urllib.request.urlopen("http://127.0.0.1:%d/_fake/stats" % port) as r:
            stats = json.load(r)
        calls = stats.get("calls", {})
        B.log("  fake Marketo: %d API calls (%s)" % (sum(calls.values()), ", ".join(
            "%s %d" % (k, v) for k, v in sorted(calls.items()))))
        return os.path.join(data, "hail.db"), wall, rss_kb, cpu
    finally:
        fake.terminate()
        fake.wait()
        fake_log.close()


def run_import(hail, csv_path, work):
    data = os.path.join(work, "import-data")
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    out = open(os.path.join(work, "import.out"), "w")
    rc, wall, rss_kb, cpu = B.run_measured([hail, "--data", data, "import", "people", csv_path],
                                           stdout=out, stderr=subprocess.STDOUT)
    out.close()
    if rc != 0:
        B.die("hail import people exited with %d; see %s" % (rc, out.name))
    return os.path.join(data, "hail.db"), wall, rss_kb, cpu


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--skip-sqlite", action="store_true", help="development only")
    ap.add_argument("--skip-import", action="store_true", help="skip the import context line")
    a = ap.parse_args()
    hail = os.path.abspath(a.hail)
    if not os.access(hail, os.X_OK):
        B.die("no hail binary at %s" % hail)
    csv_path, _, facts = B.people_csv(a.rows)
    objects = B.people_objects(hail)
    work = os.path.join(B.OUT, "sync")
    os.makedirs(work, exist_ok=True)
    sync_level = "NORMAL" if os.environ.get("HAIL_DB_SYNC") == "normal" else "FULL"
    size_mb = os.path.getsize(csv_path) / 1e6
    B.log("== sync_people: %d people (%.0f MB CSV, %d with an owner), machine: %s, "
          "synchronous=%s, load average %s" % (facts["rows"], size_mb, facts["with_owner"],
                                               B.MACHINE, sync_level, B.loadavg()))

    figure = None
    if sync_available(hail):
        db, wall, rss_kb, cpu = run_sync(hail, csv_path, work, {})
        verify(db, facts, "sync", objects)
        rate = facts["rows"] / wall
        B.log("hail sync marketo --full: %.2f s wall (%.2f s CPU) -> %.0f people/s, peak RSS "
              "%.1f MB" % (wall, cpu or 0, rate, rss_kb / 1024))
        figure = (rate, rss_kb)
        shutil.rmtree(os.path.dirname(db), ignore_errors=True)
    else:
        B.log("hail sync marketo is not available in %s (sync marketo --help fails)" % hail)

    imp_rate = None
    if not a.skip_import or figure is None:
        db, wall, rss_kb, cpu = run_import(hail, csv_path, work)
        verify(db, facts, "import", objects)
        imp_rate = facts["rows"] / wall
        B.log("hail import people (same file, no HTTP): %.2f s wall (%.2f s CPU) -> %.0f "
              "people/s, peak RSS %.1f MB" % (wall, cpu or 0, imp_rate, rss_kb / 1024))
        shutil.rmtree(os.path.dirname(db), ignore_errors=True)
        if figure is None:
            imp_rss = rss_kb

    sq_rate = None
    if not a.skip_sqlite:
        sdb = os.path.join(work, "sqlite-ref.db")
        rows, secs = sqlite_import(csv_path, sdb, sync_level, indexes_first=True)
        if rows != facts["rows"]:
            B.die("sqlite3 .import loaded %d rows, expected %d" % (rows, facts["rows"]))
        sq_rate = rows / secs
        B.log("reference: sqlite3 %s .import into a table with the 8 equivalent indexes "
              "created first: %.2f s -> %.0f rows/s" % (
                  B.sqlite_scalar(":memory:", "SELECT sqlite_version()"), secs, sq_rate))
        rows2, secs2 = sqlite_import(csv_path, sdb, sync_level, indexes_first=False)
        B.log("context: sqlite3 .import into a bare table, then CREATE INDEX x8: %.2f s -> "
              "%.0f rows/s%s" % (secs2, rows2 / secs2, "" if figure is None else
                                 " (hail sync is %.2fx that)" % (figure[0] / (rows2 / secs2))))
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(sdb + suffix):
                os.unlink(sdb + suffix)

    B.log("load average at the end: %s (the machine may be shared: see bench/README.md)"
          % B.loadavg())
    def verdict(ok):
        return "meets target" if ok else "MISSES target"

    if figure is None:
        ratio = imp_rate / sq_rate if sq_rate else float("nan")
        B.log("compared with: targets people_per_s >= %d, import_ratio >= %.1f, peak_rss_mb <= "
              "%d" % (TARGET_RATE, TARGET_RATIO, TARGET_RSS))
        print("STAND-IN (hail import people, sync not built): import_people_per_s=%.0f "
              "import_ratio=%.2f peak_rss_mb=%.1f" % (imp_rate, ratio, imp_rss / 1024))
        B.die("no sync figure: hail sync marketo is not built in %s" % hail)
    rate, rss_kb = figure
    ratio = rate / sq_rate if sq_rate else float("nan")
    rss_mb = rss_kb / 1024
    B.log("compared with: people_per_s %.0f vs target >= %d (%s); import_ratio %.2f vs target "
          ">= %.1f (%s; sqlite3 .import %.0f rows/s); peak_rss_mb %.1f vs target <= %d (%s)"
          % (rate, TARGET_RATE, verdict(rate >= TARGET_RATE), ratio, TARGET_RATIO,
             verdict(ratio >= TARGET_RATIO), sq_rate or 0, rss_mb, TARGET_RSS,
             verdict(rss_mb <= TARGET_RSS)))
    print("people_per_s=%.0f import_ratio=%.2f peak_rss_mb=%.1f" % (rate, ratio, rss_mb))


if __name__ == "__main__":
    main()
