"""Incremental `hail sync marketo` after a full sync: changed, new, owner-cleared and
deleted leads from the activity feeds; short and empty pages; the 414 fallback to
POST with _method=GET; --full after incremental syncs still catches deletions."""
import datetime
import os
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400


def make_leads(n, start=1, days=20):
    now = time.time()
    return [{"id": start + i, "firstName": "First%d" % (start + i), "lastName": "Last",
             "email": "p%d@example.com" % (start + i), "title": "Engineer",
             "leadOwnerEmailAddress": "" if (start + i) % 4 == 0 else "rep@example.com",
             "createdAt": iso(now - days * DAY + i * 60)} for i in range(n)]


def person(h, marketo_id):
    rows = h.sql("SELECT * FROM people WHERE marketo_id = ?", marketo_id)
    return rows[0] if rows else None


class Incremental(unittest.TestCase):
    def setUp(self, *fake_args):
        self.fake = FakeMarketo("--status-step", "0.05", *fake_args)
        self.fake.add_leads(make_leads(200))
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(25)))
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("full sync done", p.stdout)

    def tearDown(self):
        self.h.close()
        self.fake.close()

    def sync(self, *args):
        p = self.h.run("sync", "marketo", *args, timeout=90)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def test_changes_new_owner_cleared_deleted(self):
        f = self.fake
        f.add_leads([
            {"id": 1, "title": "VP Engineering"},                     # a change
            {"id": 2, "leadOwnerEmailAddress": ""},                   # owner cleared
            {"id": 4, "leadOwnerEmailAddress": "rep2@example.com"},   # owner set: joins
            {"id": 1000, "firstName": "New", "lastName": "Lead", "email": "new@example.com",
             "leadOwnerEmailAddress": "rep@example.com"},              # new with owner
            {"id": 1001, "firstName": "New", "lastName": "Orphan"},   # new, no owner
            {"id": 5, "title": "Changed then deleted"},
            {"id": 6, "phone": "+1 555 0000"},                         # a change...
        ])
        f.add_leads([{"id": 6, "phone": None}])                        # ...undone
        f.delete_leads([3, 5])
        p = self.sync()
        self.assertIn("Marketo incremental sync done", p.stdout)
        self.assertIn("2 new", p.stdout)
        # One progress line per phase; the count is people seen (it said "deleted 6
        # people" for the deleted-leads feed, when 2 were deleted).
        lines = p.stderr.splitlines()
        self.assertEqual([l.split()[1] for l in lines],
                         ["connecting", "changes", "deletions", "done"], p.stderr)
        for l in lines:
            self.assertRegex(l, r"^marketo: [a-z]+ +[0-9]+ people(  [0-9]+/s)?$")
        self.assertRegex(lines[2], r"^marketo: deletions 6 people(  [0-9]+/s)?$")

        self.assertEqual(person(self.h, 1)["title"], "VP Engineering")
        self.assertEqual(person(self.h, 1)["active"], 1)
        two = person(self.h, 2)
        self.assertEqual(two["active"], 0)
        self.assertIsNone(two["owner_email"])
        self.assertEqual(two["deleted"], 0)
        self.assertEqual(two["first_name"], "First2")  # history kept
        self.assertEqual(person(self.h, 4)["active"], 1)
        self.assertEqual(person(self.h, 4)["owner_email"], "rep2@example.com")
        self.assertEqual(person(self.h, 1000)["active"], 1)
        self.assertEqual(person(self.h, 1001)["active"], 0)
        for gone in (3, 5):
            row = person(self.h, gone)
            self.assertEqual((row["active"], row["deleted"]), (0, 1), gone)
        self.assertIsNone(person(self.h, 6)["phone"])
        self.assertEqual(person(self.h, 7)["active"], 1)  # untouched

        runs = self.h.sql("SELECT kind, status, origin, people_deactivated FROM sync_runs"
                          " ORDER BY id")
        self.assertEqual([tuple(r)[:3] for r in runs],
                         [("full", "ok", "cli"), ("incremental", "ok", "cli")])
        self.assertGreaterEqual(runs[1]["people_deactivated"], 3)

        s = f.stats()
        self.assertEqual(s["violations"], [])
        self.assertGreaterEqual(s["calls"].get("/rest/v1/activities/leadchanges.json", 0), 1)
        self.assertGreaterEqual(s["calls"].get("/rest/v1/activities/deletedleads.json", 0), 1)
        self.assertGreaterEqual(s["calls"].get("/rest/v1/leads.json", 0), 1)
        self.assertEqual(s["tokens_issued"], 1)  # Marketo hands back the live token

        # Nothing changed since: nothing new, nothing updated.
        p = self.sync()
        self.assertIn("0 new, 0 updated", p.stdout)

    def test_many_changes_over_short_and_empty_pages(self):
        self.fake.config(short_pages=True)
        changes = [{"id": i, "title": "Changed %d" % i} for i in range(1, 201)]
        changes += [{"id": 2000 + i, "firstName": "Bulk", "leadOwnerEmailAddress": "rep@example.com"}
                    for i in range(450)]
        self.fake.add_leads(changes)
        p = self.sync()
        self.assertIn("450 new", p.stdout)
        changed = self.h.sql_value("SELECT count(*) FROM people WHERE title LIKE 'Changed %'")
        total = self.h.sql_value("SELECT count(*) FROM people")
        self.assertEqual(changed, 200)
        self.assertEqual(total, 650)
        s = self.fake.stats()
        self.assertEqual(s["violations"], [])
        # 650 leads need at least three leads.json calls of at most 300 ids.
        self.assertGreaterEqual(s["calls"]["/rest/v1/leads.json"], 3)
        # Short pages: many more leadchanges pages than 650 / 300.
        self.assertGreaterEqual(s["calls"]["/rest/v1/activities/leadchanges.json"], 6)

    def test_full_after_incremental_catches_deletions(self):
        self.fake.add_leads([{"id": 10, "title": "Changed"}])
        self.sync()
        self.fake.delete_leads([11])
        p = self.sync("--full")
        self.assertIn("Marketo full sync done", p.stdout)
        row = person(self.h, 11)
        self.assertEqual((row["active"], row["deleted"]), (0, 1))
        self.assertEqual(person(self.h, 10)["title"], "Changed")
        kinds = [r[0] for r in self.h.sql("SELECT kind FROM sync_runs ORDER BY id")]
        self.assertEqual(kinds, ["full", "incremental", "full"])


class LongUri(Incremental):
    """leads.json answering 414 is asked again as POST with _method=GET."""

    def setUp(self):
        super().setUp("--verbose")

    def test_414_resent_as_post(self):
        self.fake.add_leads([{"id": 20, "title": "Via POST"}])
        self.fake.inject(path="/rest/v1/leads.json", http_status=414, count=1)
        self.sync()
        self.assertEqual(person(self.h, 20)["title"], "Via POST")
        s = self.fake.stats()
        self.assertEqual(s["errors"].get("http_414"), 1)
        self.assertEqual(s["violations"], [])
        with open(os.path.join(self.fake.dir, "log"), encoding="utf-8", errors="replace") as f:
            log = f.read()
        self.assertIn("POST /rest/v1/leads.json?_method=GET", log)

    # The inherited cases run once in the base class.
    test_changes_new_owner_cleared_deleted = None
    test_many_changes_over_short_and_empty_pages = None
    test_full_after_incremental_catches_deletions = None


if __name__ == "__main__":
    harness.main()
