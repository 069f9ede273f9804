"""Under load: bulk writers do not starve the API, reads never wait on writers,
and a write that cannot get the database in time gets a 503 it can retry.

- A sign-in stays prompt (p99 <= 100 ms) while `hail import people` loads
  200,000 people into the same database.
- While another connection holds SQLite's write lock, /healthz and reads of
  people answer at once, and sign-ins (writes) get 503 with Retry-After and
  hail's own message within the bounded wait, however many are waiting.
"""
import os
import re
import sqlite3
import subprocess
import sys
import threading
import time
import unittest

import harness
from apitest import ApiCase
from harness import Hail

IMPORT_ROWS = 200000
P99_LIMIT_S = 0.100
IDLE_LIMIT_S = 0.080
PASSWORD = "correct horse battery"


def p99(samples):
    s = sorted(samples)
    return s[max(0, -(-len(s) * 99 // 100) - 1)]


class LoadTest(ApiCase):
    def setUp(self):
        self.h = Hail()
        self.token = self.h.admin_token()

    def tearDown(self):
        self.close_checked(self.h)

    def timed_login(self):
        t0 = time.monotonic()
        r = self.login(self.h, "admin@example.com", PASSWORD)
        return r, time.monotonic() - t0

    def test_sign_in_stays_prompt_during_a_bulk_import(self):
        csv = os.path.join(self.h.dir, "people.csv")
        subprocess.run([sys.executable, os.path.join(harness.SRC, "bench", "gen_people.py"),
                        str(IMPORT_ROWS), csv], check=True, capture_output=True, timeout=300)
        self.h.start(env={"HAIL_LOG_LEVEL": "info", "HAIL_ACCESS_LOG": "off"})
        for _ in range(5):  # warm up: every HTTP thread's connection and statements
            r, _ = self.timed_login()
            self.assertEqual(r.status, 201, r)
        idle = []
        for _ in range(20):
            r, took = self.timed_login()
            self.assertEqual(r.status, 201, r)
            idle.append(took)
        load_before = os.getloadavg()[0]
        imp = subprocess.Popen([harness.BIN, "import", "people", csv], env=self.h.env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples, statuses = [], {}
        try:
            while imp.poll() is None:
                r, took = self.timed_login()
                statuses[r.status] = statuses.get(r.status, 0) + 1
                samples.append(took)
                time.sleep(0.01)
        finally:
            out, err = imp.communicate(timeout=600)
        self.assertEqual(imp.returncode, 0, err)
        self.assertRegex(out, r"^imported %d rows in [0-9.]+ s: %d new, 0 updated, 0 unchanged, "
                              r"0 deactivated\n$" % (IMPORT_ROWS, IMPORT_ROWS))
        self.assertEqual(statuses, {201: len(samples)})
        # Sign-ins kept coming while the import ran (each waits at most 2 s for the
        # database; before, one waited for the whole import's transaction).
        self.assertLess(max(samples), 2.0, "a sign-in took %.1f s" % max(samples))
        self.assertGreaterEqual(len(samples), 50,
                                "only %d sign-ins completed while the import ran" % len(samples))
        # The database part of the sign-ins: store/db.c logs every wait of 100 ms
        # or more for the write lock, so fewer than 1% of them may be logged
        # (p99 <= 100 ms), however busy the CPU is.
        waits = [l for l in self.h.server_log().splitlines() if "for the database" in l]
        worst = sorted(samples)[-5:]
        report = ("sign-in while importing: p50 %.0f ms, p99 %.0f ms over %d (before the "
                  "import: p99 %.0f ms, load average %.1f); slowest %s ms; waits for the "
                  "database >= 100 ms: %s" % (
                      sorted(samples)[len(samples) // 2] * 1000, p99(samples) * 1000,
                      len(samples), p99(idle) * 1000, load_before,
                      [round(w * 1000) for w in worst], waits))
        print("\n" + report, file=sys.stderr)
        self.assertLess(len(waits), len(samples) / 100, report)
        # Everything landed, and search works (the keys were built in chunks).
        r = self.h.request("GET", "/api/v1/people?limit=1", token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM people"), IMPORT_ROWS)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM kv WHERE key = 'people.bulk_load'"), 0)
        active = self.h.sql("SELECT id, email FROM people WHERE active = 1"
                            " AND email IS NOT NULL ORDER BY id DESC LIMIT 1")[0]
        # By email, the one key that names one person (a last name is shared
        # by hundreds, past the first page).
        r = self.h.request("GET", "/api/v1/people?limit=200&q=" +
                           harness.urllib.parse.quote(active["email"]), token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertIn(active["id"], [p["id"] for p in r.json["data"]])
        # End to end, a sign-in is mostly CPU (an Argon2id hash, ~45 ms): its
        # 100 ms budget is a figure of the plain build (a sanitizer makes hail,
        # and the import beside it, several times slower), measured where a
        # sign-in without the import is itself well inside it. ctest runs this
        # test alone (RUN_SERIAL), so on a plain build the figure is checked.
        if harness.SANITIZED:
            self.skipTest("the 100 ms p99 is measured on the plain build: " + report)
        if p99(idle) > IDLE_LIMIT_S:
            self.skipTest("the machine is too busy to measure the 100 ms budget end to end: "
                          + report)
        # On PostgreSQL the import's work runs in a third process (its server
        # backend) beside hail and the import on 2 cores: each sign-in's hash
        # gets two thirds of a core at worst, so its budget is 1.5 times the
        # figure (one CI run measured p99 109 ms there with no database wait;
        # the database part is the waits check above, on both engines).
        limit = P99_LIMIT_S * (1.5 if harness.POSTGRES else 1)
        self.assertLessEqual(p99(samples), limit, report)

    @harness.sqlite_only("SQLite's one write lock for the whole database; PostgreSQL locks rows")
    def test_reads_never_wait_and_writes_get_503_while_the_lock_is_held(self):
        self.h.start(env={"HAIL_THREADS": "4", "HAIL_ACCESS_LOG": "off"})
        r, _ = self.timed_login()
        self.assertEqual(r.status, 201, r)
        holder = sqlite3.connect(self.h.db_path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        holder.execute("INSERT INTO kv(key, value, updated_at) VALUES ('test.lock', '1', 0)")
        results = []
        lock = threading.Lock()

        def sign_in():
            r, took = self.timed_login()
            with lock:
                results.append((r, took))

        # Twice as many writes as HTTP threads, all waiting for the lock at once.
        writers = [threading.Thread(target=sign_in) for _ in range(8)]
        try:
            for t in writers:
                t.start()
            time.sleep(0.3)
            for _ in range(5):
                for path, token in (("/healthz", None), ("/api/v1/people?limit=5", self.token),
                                    ("/api/v1/me", self.token)):
                    t0 = time.monotonic()
                    r = self.h.request("GET", path, token=token)
                    took = time.monotonic() - t0
                    self.assertEqual(r.status, 200, r)
                    self.assertLess(took, 0.25, "%s took %.0f ms while a writer waited"
                                    % (path, took * 1000))
            for t in writers:
                t.join(30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        self.assertEqual(len(results), len(writers))
        for r, took in results:
            self.assertError(r, 503, "unavailable")
            self.assertEqual(r.json["error"]["message"], "the database is busy; try again in a moment")
            self.assertEqual(r.header("Retry-After"), "1")
        # Each write waited the bounded 2 s (SQLite's timeout was 10 s) or, past
        # half the HTTP threads, only until nobody had taken the lock for 200 ms
        # (store/db.c STUCK_US).
        gave_up = [int(m) for m in re.findall(r"a write waited (\d+) ms for the database and gave up",
                                               self.h.server_log())]
        self.assertTrue(any(1900 <= ms <= 2600 for ms in gave_up), gave_up)
        self.assertTrue(all(1900 <= ms <= 2600 or 150 <= ms <= 600 for ms in gave_up), gave_up)
        # The lock is free again: writes go through.
        r, _ = self.timed_login()
        self.assertEqual(r.status, 201, r)


HEADER = "id,firstName,lastName,email,company,leadOwnerEmailAddress\n"


def rows(start, n):
    return "".join("%d,First%d,Last%d,p%d@example.com,Co%d,rep%d@example.com\n"
                   % (i, i, i, i, i % 50, i % 7) for i in range(start, start + n))


@harness.sqlite_only("the WAL file and its checkpointer are SQLite's")
class CheckpointTest(ApiCase):
    """HTTP threads never checkpoint the WAL (the request whose commit crossed
    SQLite's threshold paid 100+ ms for it after a bulk load); hail serve's
    checkpointer thread does, so the WAL stays small under API writes alone."""

    def setUp(self):
        self.h = Hail()
        self.token = self.h.admin_token()

    def tearDown(self):
        self.close_checked(self.h)

    def test_the_wal_is_checkpointed_in_the_background(self):
        self.h.start(env={"HAIL_ACCESS_LOG": "off"})
        wal = os.path.join(self.h.data, "hail.db-wal")
        sizes = []
        for burst in range(4):
            for i in range(300):
                r = self.h.request("POST", "/api/v1/teams", {"name": "T%d-%d" % (burst, i)},
                                   token=self.token)
                self.assertEqual(r.status, 201, r)
            time.sleep(1.2)  # the checkpointer runs twice a second
            sizes.append(os.path.getsize(wal))
        # 1,200 commits of a few pages each are more than 10 MB of WAL when
        # nothing checkpoints; once checkpointed, writers wrap around to the
        # start of the file after each burst: it stays near one burst's size.
        self.assertLess(max(sizes), 4 * 1024 * 1024, sizes)
        self.assertLess(sizes[-1], sizes[0] * 1.5, sizes)


class ImportUnderLoadTest(ApiCase):
    """The import checks the whole file before it writes in short transactions."""

    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.close_checked(self.h)

    def count(self):
        return self.h.sql_value("SELECT count(*) FROM people")

    def test_a_bad_row_at_the_end_imports_nothing_even_from_a_pipe(self):
        # 50,000 good rows are more than one short transaction; the bad last row
        # is found before any of them is written (standard input is read twice
        # through a temporary copy).
        data = HEADER + rows(1, 50000) + "0,Bad,Row,b@example.com,Co,rep@example.com\n"
        p = self.h.run("import", "people", "-", input=data)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertEqual(p.stderr.splitlines(),
                         ["-: line 50002: id '0' is not a positive integer",
                          "hail: 1 bad row; nothing was imported"])
        self.assertEqual(self.count(), 0)
        p = self.h.run("import", "people", "-", input=HEADER + rows(1, 50000))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"^imported 50000 rows in [0-9.]+ s: 50000 new, 0 updated, "
                                   r"0 unchanged, 0 deactivated\n$")
        self.assertEqual(self.count(), 50000)

    def test_killed_import_leaves_a_prefix_that_a_rerun_completes(self):
        n = 100000
        path = os.path.join(self.h.dir, "people.csv")
        with open(path, "w") as f:
            f.write(HEADER + rows(1, n))
        self.h.add_user("first@example.com")  # creates the database
        imp = subprocess.Popen([harness.BIN, "import", "people", path], env=self.h.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 120
            while self.count() == 0 and imp.poll() is None and time.time() < deadline:
                time.sleep(0.005)
            imp.kill()
        finally:
            imp.wait()
        written = self.count()
        if imp.returncode == 0:
            self.skipTest("the import finished before it could be killed")
        self.assertGreater(written, 0)
        self.assertLess(written, n)
        p = self.h.run("import", "people", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.match(r"imported %d rows in [0-9.]+ s: (\d+) new, 0 updated, (\d+) unchanged, "
                     r"0 deactivated\n$" % n, p.stdout)
        self.assertTrue(m, p.stdout)
        self.assertEqual(int(m.group(2)), self.count() - int(m.group(1)))
        self.assertEqual(self.count(), n)
        # The search keys the killed load skipped are there.
        token = self.h.admin_token()
        self.h.start()
        r = self.h.request("GET", "/api/v1/people?q=first77777", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([x["marketo_id"] for x in r.json["data"]], [77777])


# ctest runs this file as two tests: integration/test_load_timed runs LoadTest, whose
# cases time sign-ins and reads (HAIL_LOAD_PART=timed), alone (RUN_SERIAL: no other
# test's CPU counts against hail); integration/test_load runs every other case
# (HAIL_LOAD_PART=rest) beside the other tests. Without HAIL_LOAD_PART all run.
TIMED_CLASS = "LoadTest"


def load_tests(loader, tests, pattern):
    part = os.environ.get("HAIL_LOAD_PART", "")
    if part not in ("timed", "rest"):
        return tests

    def flat(suite):
        for t in suite:
            if isinstance(t, unittest.TestSuite):
                yield from flat(t)
            else:
                yield t
    want_timed = part == "timed"
    return unittest.TestSuite(t for t in flat(tests) if (type(t).__name__ == TIMED_CLASS) == want_timed)


if __name__ == "__main__":
    harness.main()
