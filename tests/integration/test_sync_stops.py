"""Marketo errors that stop a sync with a clear message and exit 1: the daily quota
(607, and the sync resumes once it resets), rejected credentials, codes that must
not be retried, retries running out; each failure recorded in sync_runs."""
import datetime
import os
import sqlite3
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env, db

DAY = 86400


def last_run(h):
    with db(h) as c:
        return c.execute("SELECT * FROM sync_runs ORDER BY id DESC LIMIT 1").fetchone()


class Stops(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo("--status-step", "0.05")
        now = time.time()
        self.fake.add_leads([{"id": i, "firstName": "P%d" % i,
                              "leadOwnerEmailAddress": "rep@example.com",
                              "createdAt": iso(now - 5 * DAY + i)} for i in range(1, 51)])
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(7)))

    def tearDown(self):
        self.h.close()
        self.fake.close()

    def test_daily_quota_stops_then_resumes(self):
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.fake.add_leads([{"id": 7, "title": "after quota"}])
        self.fake.inject(path="/rest/v1/leads.json", code="607")
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("daily API quota is exhausted", p.stderr)
        self.assertIn("midnight US Central", p.stderr)
        run = last_run(self.h)
        self.assertEqual((run["kind"], run["status"]), ("incremental", "failed"))
        self.assertIn("quota", run["error"])
        # Every call after a 607 fails too: the sync stopped at once, it did not hammer.
        calls = self.fake.stats()["errors"].get("607", 0)
        self.assertLessEqual(calls, 1)
        with db(self.h) as c:
            self.assertIsNotNone(c.execute("SELECT value FROM kv WHERE key ="
                                           " 'marketo.sync.checkpoint'").fetchone())
        # A new day: the interrupted sync resumes and finishes.
        self.fake.config(reset_quota=True)
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        with db(self.h) as c:
            title = c.execute("SELECT title FROM people WHERE marketo_id = 7").fetchone()[0]
        self.assertEqual(title, "after quota")
        self.assertEqual(last_run(self.h)["status"], "ok")

    def test_quota_during_full_sync(self):
        self.fake.config(daily_quota=2)  # create and enqueue, then nothing
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("daily API quota is exhausted", p.stderr)
        self.fake.config(daily_quota=50000, reset_quota=True)
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("50 people seen", p.stdout)
        # The job created before the stop was reused, not made again.
        self.assertEqual(self.fake.stats()["exports"]["created"], 1)

    def test_export_quota_stops_then_resumes(self):
        # 1029 for the 500 MB daily export quota: nothing to wait for before the reset.
        self.fake.config(export_quota_bytes=0)
        t0 = time.time()
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("daily export quota is used up", p.stderr)
        self.assertIn("midnight US Central", p.stderr)
        self.assertLess(time.time() - t0, 20)
        self.fake.config(export_quota_bytes=500 * 1024 * 1024, reset_quota=True)
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("50 people seen", p.stdout)
        self.assertEqual(self.fake.stats()["exports"]["created"], 1)  # the job was kept

    def test_bad_credentials(self):
        p = self.h.run("sync", "marketo", env={"HAIL_MARKETO_CLIENT_SECRET": "wrong"}, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Marketo rejected the client id/secret", p.stderr)
        self.assertNotIn("wrong", p.stderr)  # the secret is never printed
        s = self.fake.stats()
        self.assertEqual(s["errors"].get("http_401"), 1)  # not retried
        self.assertEqual(s["calls"].get("/identity/oauth/token"), 1)
        run = last_run(self.h)
        self.assertEqual(run["status"], "failed")
        self.assertIn("rejected the client id/secret", run["error"])
        with db(self.h) as c:
            self.assertEqual(c.execute("SELECT count(*) FROM people").fetchone()[0], 0)

    def test_non_retryable_codes(self):
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        for path, code, args in (("/rest/v1/activities/pagingtoken.json", "1003", ()),
                                 ("/rest/v1/leads.json", "702", ()),
                                 ("/bulk/v1/leads/export/create.json", "610", ("--full",)),
                                 ("/bulk/v1/leads/export/create.json", "612", ("--full",))):
            if path == "/rest/v1/leads.json":
                self.fake.add_leads([{"id": 3, "title": "needs leads.json"}])
            before = self.fake.stats()["errors"].get(code, 0)
            self.fake.inject(path=path, code=code, message="injected %s" % code)
            p = self.h.run("sync", "marketo", *args, timeout=60)
            self.assertEqual(p.returncode, 1, (code, p.stdout, p.stderr))
            self.assertIn("Marketo error %s" % code, p.stderr)
            self.assertIn("injected %s" % code, p.stderr)
            self.assertEqual(self.fake.stats()["errors"].get(code, 0) - before, 1)  # not retried
            run = last_run(self.h)
            self.assertEqual(run["status"], "failed")
            self.assertIn(code, run["error"])

    def test_retries_run_out(self):
        # The identity service is fine, the REST API keeps failing: bounded retries.
        self.fake.inject(path="/bulk/", http_status=503, count=100)
        t0 = time.time()
        p = self.h.run("sync", "marketo", timeout=120)
        self.assertEqual(p.returncode, 1)
        self.assertIn("HTTP 503", p.stderr)
        self.assertIn("gave up after 8 attempts", p.stderr)
        self.assertEqual(self.fake.stats()["errors"].get("http_503"), 8)
        self.assertLess(time.time() - t0, 90)


if __name__ == "__main__":
    harness.main()
