"""Marketo errors the sync recovers from, injected into the fake: token renewal (601,
602), transient codes (604, 608, 611, 713), limits (606, 615), a full export queue
(1029), a failed export job, HTTP 503 and dropped connections. Each sync still ends
with exit 0 and the right data, and nothing it sent breaks the contract."""
import datetime
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400


def title_of(h, marketo_id):
    return h.sql_value("SELECT title FROM people WHERE marketo_id = ?", marketo_id)


class Recoverable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeMarketo("--status-step", "0.05")
        now = time.time()
        cls.fake.add_leads([{"id": i, "firstName": "P%d" % i, "title": "t0",
                             "leadOwnerEmailAddress": "rep@example.com",
                             "createdAt": iso(now - 10 * DAY + i)} for i in range(1, 101)])
        cls.h = Hail(env=cls.fake.env(HAIL_MARKETO_SINCE=since_env(12)))
        p = cls.h.run("sync", "marketo", timeout=60)
        assert p.returncode == 0, p.stderr
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        cls.fake.close()

    def changed_sync(self, *args, **inject):
        """Changes a lead, injects the failure, syncs; returns (process, lead id, title)."""
        Recoverable.n += 1
        lead, title = 1 + Recoverable.n % 100, "title %d" % Recoverable.n
        self.fake.add_leads([{"id": lead, "title": title}])
        before = self.fake.stats()
        if inject:
            self.fake.inject(**inject)
        p = self.h.run("sync", "marketo", *args, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(title_of(self.h, lead), title)
        after = self.fake.stats()
        self.assertEqual(after["violations"], [], after["violations"])
        self.assertEqual(after["pending_injections"], 0)  # the failure did happen
        return before, after

    def errors_added(self, before, after, key):
        return after["errors"].get(key, 0) - before["errors"].get(key, 0)

    def test_601_token_invalid_renews(self):
        b, a = self.changed_sync(path="/rest/v1/activities/leadchanges.json", code="601")
        self.assertEqual(self.errors_added(b, a, "601"), 1)
        self.assertEqual(a["tokens_issued"] - b["tokens_issued"], 1)

    def test_602_token_expired_renews(self):
        b, a = self.changed_sync(path="/rest/v1/leads.json", code="602")
        self.assertEqual(self.errors_added(b, a, "602"), 1)
        self.assertEqual(a["tokens_issued"] - b["tokens_issued"], 1)

    def test_short_lived_tokens_are_renewed(self):
        # Tokens that live 2 s, and an export that takes about 2 s: the token runs
        # out mid-sync and is renewed (ahead of time or on 602), never a failure.
        # Its ~40 status polls start a new 20-s window of the fake, as when this case
        # runs alone: after the syncs of the cases before it, they met the 100 calls
        # in 20 s and waited ~20 s of 606 backoff, which this case is not about.
        self.fake.config(token_ttl=2, status_step=1.0, reset_rate=True)
        try:
            b, a = self.changed_sync("--full", path="/bulk/v1/leads/export/create.json",
                                     code="601")
        finally:
            self.fake.config(token_ttl=3599, status_step=0.05)
        self.assertGreaterEqual(a["tokens_issued"] - b["tokens_issued"], 2)

    def test_604_timeout_retried(self):
        b, a = self.changed_sync(path="/rest/v1/activities/pagingtoken.json", code="604")
        self.assertEqual(self.errors_added(b, a, "604"), 1)

    def test_606_rate_limit_backs_off(self):
        b, a = self.changed_sync(path="/rest/v1/activities/deletedleads.json", code="606")
        self.assertEqual(self.errors_added(b, a, "606"), 1)

    def test_608_unavailable_retried(self):
        b, a = self.changed_sync(path="/rest/v1/leads.json", code="608", count=2)
        self.assertEqual(self.errors_added(b, a, "608"), 2)

    def test_611_system_error_retried(self):
        b, a = self.changed_sync(path="/rest/v1/activities/leadchanges.json", code="611")
        self.assertEqual(self.errors_added(b, a, "611"), 1)

    def test_615_concurrency_backs_off(self):
        b, a = self.changed_sync(path="/rest/v1/activities/pagingtoken.json", code="615")
        self.assertEqual(self.errors_added(b, a, "615"), 1)

    def test_713_transient_retried(self):
        b, a = self.changed_sync(path="/rest/v1/activities/deletedleads.json", code="713")
        self.assertEqual(self.errors_added(b, a, "713"), 1)

    def test_http_503_retried(self):
        b, a = self.changed_sync(path="/rest/v1/activities/leadchanges.json", http_status=503,
                                 count=2)
        self.assertEqual(self.errors_added(b, a, "http_503"), 2)

    def test_dropped_connection_retried(self):
        b, a = self.changed_sync(path="/rest/v1/leads.json", close=True, count=2)
        self.assertEqual(self.errors_added(b, a, "close"), 2)

    def test_dropped_export_call_retried(self):
        b, a = self.changed_sync("--full", path="/bulk/v1/leads/export/", close=True, count=1)
        self.assertEqual(self.errors_added(b, a, "close"), 1)

    def test_1029_export_queue_full_waits(self):
        b, a = self.changed_sync("--full", path="/bulk/v1/leads/export/create.json", code="1029",
                                 count=3)
        self.assertEqual(self.errors_added(b, a, "1029"), 3)
        self.assertEqual(a["exports"]["completed"] - b["exports"]["completed"], 1)

    def test_failed_export_is_made_again(self):
        self.fake.config(fail_export=1)
        b, a = self.changed_sync("--full")
        self.assertEqual(a["exports"].get("failed", 0) - b["exports"].get("failed", 0), 1)
        self.assertEqual(a["exports"]["created"] - b["exports"]["created"], 2)

    def test_limits_kept(self):
        s = self.fake.stats()
        self.assertLessEqual(s["max_in_flight"], 10)
        self.assertLessEqual(s["rate_max_in_window"], 100)
        self.assertEqual(s["internal_errors"], 0)


if __name__ == "__main__":
    harness.main()
