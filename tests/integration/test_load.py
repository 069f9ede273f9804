"""Under load: bulk writers do not starve the API, reads never wait on writers,
and a write that cannot get the database in time gets a 503 it can retry.

- A sign-in stays prompt (p99 <= 100 ms) while `hail import people` loads
  200,000 people into the same database.
- While another connection holds SQLite's write lock, /healthz and reads of
  people answer at once, and sign-ins (writes) get 503 with Retry-After and
  hail's own message within the bounded wait, however many are waiting.
"""
import os
import sqlite3
import subprocess
import sys
import threading
import time

import harness
from apitest import ApiCase
from harness import Hail

IMPORT_ROWS = 200000
P99_LIMIT_S = 0.100
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
        self.h.start()
        for _ in range(5):  # warm up: every HTTP thread's connection and statements
            r, _ = self.timed_login()
            self.assertEqual(r.status, 201, r)
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
        # The import must have run long enough to measure anything.
        self.assertGreaterEqual(len(samples), 50, "import too quick to measure")
        worst = sorted(samples)[-5:]
        self.assertLessEqual(p99(samples), P99_LIMIT_S,
                             "p99 %.1f ms over %d sign-ins; slowest %s" %
                             (p99(samples) * 1000, len(samples),
                              ["%.0f ms" % (w * 1000) for w in worst]))
        # Everything landed, and search works (the keys were built in chunks).
        r = self.h.request("GET", "/api/v1/people?limit=1", token=self.token)
        self.assertEqual(r.status, 200, r)
        c = harness.db(self.h)
        try:
            self.assertEqual(c.execute("SELECT count(*) FROM people").fetchone()[0], IMPORT_ROWS)
            self.assertEqual(c.execute("SELECT count(*) FROM kv WHERE key = 'people.bulk_load'")
                             .fetchone()[0], 0)
            active = c.execute("SELECT id, last_name FROM people WHERE active = 1"
                               " AND last_name IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
        finally:
            c.close()
        r = self.h.request("GET", "/api/v1/people?limit=200&q=" +
                           harness.urllib.parse.quote(active["last_name"]), token=self.token)
        self.assertEqual(r.status, 200, r)
        self.assertIn(active["id"], [p["id"] for p in r.json["data"]])

    def test_reads_never_wait_and_writes_get_503_while_the_lock_is_held(self):
        self.h.start(env={"HAIL_THREADS": "4"})
        r, _ = self.timed_login()
        self.assertEqual(r.status, 201, r)
        holder = sqlite3.connect(os.path.join(self.h.data, "hail.db"), isolation_level=None)
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
            self.assertLess(took, 4.0)  # the bounded wait (2 s), not SQLite's 10 s
        # The lock is free again: writes go through.
        r, _ = self.timed_login()
        self.assertEqual(r.status, 201, r)


if __name__ == "__main__":
    harness.main()
