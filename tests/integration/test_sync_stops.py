"""Marketo errors that stop a sync with a clear message and exit 1: the daily quota
(607, and the sync resumes once it resets), rejected credentials, codes that must
not be retried, retries running out; each failure recorded in sync_runs."""
import datetime
import os
import re
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400


def last_run(h):
    rows = h.sql("SELECT * FROM sync_runs ORDER BY id DESC LIMIT 1")
    return rows[0] if rows else None


# The variable part of a quota stop: when the quota resets, and how long that is.
RESETS = (r"; it resets at midnight US Central \(\d{4}-\d\d-\d\dT\d\d:00:00Z, in \d+h\d\dm\) — "
          r"run the sync again after that")
QUOTA_607 = re.compile(r"Marketo's daily API quota is exhausted \(607 Daily quota reached\)" +
                       RESETS)
QUOTA_1029 = re.compile(r"Marketo's daily export quota is used up \(1029 Export daily quota "
                        r"exceeded\)" + RESETS)


def assert_sync_failed(case, p, message):
    """A sync that stopped, whole: exit 1, nothing on stdout, its message
    (the full text, or a compiled regex over all of it) as the last stderr
    line and said once; the lines before it are progress and log lines."""
    case.assertEqual((p.returncode, p.stdout), (1, ""), p.stderr)
    lines = p.stderr.splitlines()
    case.assertTrue(lines, p.stderr)
    last = lines[-1]
    if isinstance(message, re.Pattern):
        case.assertTrue(message.fullmatch(last[len("hail: "):]) and last.startswith("hail: "),
                        (message.pattern, last))
    else:
        case.assertEqual(last, "hail: " + message)
    for l in lines[:-1]:
        case.assertRegex(l, r"^(marketo: |\d{4}-\d\d-\d\dT[\d:.]+Z (info |warn ) marketo: )", p.stderr)


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
        assert_sync_failed(self, p, QUOTA_607)
        self.assertRegex(p.stderr.splitlines()[-2], r"^marketo: before stopping: 0 people seen, 0 new, "
                                                    r"0 updated, 0 deactivated; 3 API calls in "
                                                    r"\d+\.\d s$")
        run = last_run(self.h)
        self.assertEqual((run["kind"], run["status"]), ("incremental", "failed"))
        self.assertTrue(QUOTA_607.fullmatch(run["error"]), run["error"])
        # Every call after a 607 fails too: the sync stopped at once, it did not hammer.
        calls = self.fake.stats()["errors"].get("607", 0)
        self.assertLessEqual(calls, 1)
        self.assertIsNotNone(self.h.sql_value("SELECT value FROM kv WHERE key = 'marketo.sync.checkpoint'"))
        # A new day: the interrupted sync resumes and finishes.
        self.fake.config(reset_quota=True)
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        title = self.h.sql_value("SELECT title FROM people WHERE marketo_id = 7")
        self.assertEqual(title, "after quota")
        self.assertEqual(last_run(self.h)["status"], "ok")

    def test_quota_during_full_sync(self):
        self.fake.config(daily_quota=2)  # create and enqueue, then nothing
        p = self.h.run("sync", "marketo", timeout=60)
        assert_sync_failed(self, p, QUOTA_607)
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
        assert_sync_failed(self, p, QUOTA_1029)
        self.assertLess(time.time() - t0, 20)
        self.fake.config(export_quota_bytes=500 * 1024 * 1024, reset_quota=True)
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("50 people seen", p.stdout)
        self.assertEqual(self.fake.stats()["exports"]["created"], 1)  # the job was kept

    def test_bad_credentials(self):
        p = self.h.run("sync", "marketo", env={"HAIL_MARKETO_CLIENT_SECRET": "wrong"}, timeout=60)
        message = "Marketo rejected the client id/secret (HTTP 401: Bad client credentials)"
        assert_sync_failed(self, p, message)
        self.assertNotIn("wrong", p.stderr)  # the secret is never printed
        s = self.fake.stats()
        self.assertEqual(s["errors"].get("http_401"), 1)  # not retried
        self.assertEqual(s["calls"].get("/identity/oauth/token"), 1)
        run = last_run(self.h)
        self.assertEqual(run["status"], "failed")
        self.assertEqual(run["error"], message)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM people"), 0)

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
            message = "Marketo error %s on %s: injected %s" % (code, path, code)
            assert_sync_failed(self, p, message)
            self.assertEqual(self.fake.stats()["errors"].get(code, 0) - before, 1)  # not retried
            run = last_run(self.h)
            self.assertEqual((run["status"], run["error"]), ("failed", message))

    def test_retries_run_out(self):
        # The identity service is fine, the REST API keeps failing: bounded retries.
        self.fake.inject(path="/bulk/", http_status=503, count=100)
        t0 = time.time()
        # The waits between attempts are 5% of the real backoff (about 2 s in all, not
        # 45): HAIL_RETRY_WAIT_PERCENT, for tests only; the attempts are the same.
        p = self.h.run("sync", "marketo", env={"HAIL_RETRY_WAIT_PERCENT": "5"}, timeout=120)
        assert_sync_failed(self, p, "HTTP 503 from Marketo on /bulk/v1/leads/export/create.json "
                                    "(gave up after 8 attempts)")
        retries = [l for l in p.stderr.splitlines() if " warn  " in l]
        self.assertEqual(len(retries), 7, p.stderr)
        for n, l in enumerate(retries, 2):
            self.assertRegex(l, r"^\S+Z warn  marketo: HTTP 503 from Marketo on "
                                r"/bulk/v1/leads/export/create.json; retrying in \d+\.\d s "
                                r"\(attempt %d of 8\)$" % n)
        self.assertEqual(self.fake.stats()["errors"].get("http_503"), 8)
        # The sync waited the waits it logged (each rounded to 0.1 s).
        waited = sum(float(re.search(r"retrying in (\d+\.\d) s", l).group(1)) for l in retries)
        self.assertGreaterEqual(time.time() - t0, waited - 0.05 * len(retries))
        self.assertLess(time.time() - t0, 90)


if __name__ == "__main__":
    harness.main()
