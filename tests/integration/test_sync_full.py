"""`hail sync marketo` full syncs against the fake Marketo: createdAt windows and a
smart-list export, the owner rule, duplicates by email, CSV quoting edge cases, the
summary and progress output, usage errors, and staying inside Marketo's limits."""
import datetime
import os
import pty
import subprocess
import tempfile
import threading
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400


def make_leads(n, start=1, days=90, owner_every=4):
    """n leads created over the last `days` days; every owner_every-th has no owner."""
    now = time.time()
    out = []
    for i in range(n):
        lid = start + i
        out.append({
            "id": lid, "firstName": "First%d" % lid, "lastName": "Last%d" % lid,
            "email": "person%d@example.com" % lid, "company": "Company %d" % (lid % 50),
            "title": "Title", "phone": "+1 555 %04d" % (lid % 10000),
            "sfdcAccountId": "001%07d" % (lid % 100),
            "leadOwnerEmailAddress": "" if lid % owner_every == 0 else "rep%d@example.com" % (lid % 7),
            "createdAt": iso(now - days * DAY + (i * days * DAY) // max(n, 1) + 60),
        })
    return out


def person(h, marketo_id):
    rows = h.sql("SELECT * FROM people WHERE marketo_id = ?", marketo_id)
    return rows[0] if rows else None


def counts(h):
    return tuple(h.sql("SELECT count(*), coalesce(sum(active), 0) FROM people")[0])


class WindowedFullSync(unittest.TestCase):
    """One data set, exported in createdAt windows of at most 31 days."""

    @classmethod
    def setUpClass(cls):
        cls.fake = FakeMarketo("--status-step", "0.05")
        cls.leads = make_leads(3000, days=80)
        # Quoting and null edge cases, and two leads sharing an email.
        created = iso(time.time() - 10 * DAY)
        cls.special = [
            {"id": 5001, "firstName": "Zoë", "lastName": "O'Brien, \"Jr.\"",
             "email": "dup@example.com", "company": "Ünïcödé GmbH",
             "title": "Head of\nOperations", "leadOwnerEmailAddress": "rep1@example.com",
             "createdAt": created},
            {"id": 5002, "firstName": "Same", "lastName": "Email", "email": "dup@example.com",
             "company": "a,b,c", "title": "\"quoted\"", "leadOwnerEmailAddress": "rep2@example.com",
             "createdAt": created},
            {"id": 5003, "firstName": "No", "lastName": "Owner", "email": "noowner@example.com",
             "leadOwnerEmailAddress": "", "createdAt": created},
            {"id": 5004, "firstName": "Carriage", "lastName": "Return\r\nLine",
             "leadOwnerEmailAddress": "rep3@example.com", "createdAt": created},
        ]
        cls.fake.add_leads(cls.leads + cls.special)
        cls.h = Hail(env=cls.fake.env(HAIL_MARKETO_SINCE=since_env(85)))
        t0 = time.time()
        cls.proc = cls.h.run("sync", "marketo", timeout=120)
        cls.seconds = time.time() - t0
        cls.stats = cls.fake.stats()

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        cls.fake.close()

    def test_exit_and_summary(self):
        p = self.proc
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("Marketo full sync done", p.stdout)
        self.assertIn("3,004 people seen (3,004 new, 0 updated, 0 unchanged, 0 deactivated)",
                      p.stdout)
        self.assertRegex(p.stdout, r"\d+ API calls")

    def test_counts_and_owner_rule(self):
        total, active = counts(self.h)
        self.assertEqual(total, 3004)
        with_owner = sum(1 for l in self.leads + self.special if l["leadOwnerEmailAddress"])
        self.assertEqual(active, with_owner)
        self.assertEqual(person(self.h, 4)["active"], 0)       # no owner
        self.assertEqual(person(self.h, 5003)["active"], 0)
        self.assertEqual(person(self.h, 5)["active"], 1)
        self.assertEqual(person(self.h, 5)["owner_email"], "rep5@example.com")

    def test_duplicates_by_email_kept(self):
        rows = self.h.sql("SELECT marketo_id FROM people WHERE email = 'dup@example.com'"
                          " ORDER BY marketo_id")
        self.assertEqual([r[0] for r in rows], [5001, 5002])

    def test_quoting_survives(self):
        a = person(self.h, 5001)
        self.assertEqual(a["first_name"], "Zoë")
        self.assertEqual(a["last_name"], "O'Brien, \"Jr.\"")
        self.assertEqual(a["company"], "Ünïcödé GmbH")
        self.assertEqual(a["title"], "Head of\nOperations")
        b = person(self.h, 5002)
        self.assertEqual(b["company"], "a,b,c")
        self.assertEqual(b["title"], "\"quoted\"")
        self.assertIsNone(b["phone"])  # the null literal
        self.assertEqual(person(self.h, 5004)["last_name"], "Return\r\nLine")

    def test_windows_of_at_most_31_days(self):
        ex = self.stats["exports"]
        # 85 days up to now: three windows of 31 days, the last one partial.
        self.assertEqual(ex.get("created"), 3, ex)
        self.assertEqual(ex.get("completed"), 3, ex)
        self.assertEqual(self.stats["calls"].get("/bulk/v1/leads/export/{exportId}/file.json"), 3)

    def test_within_limits_and_contract(self):
        s = self.stats
        self.assertEqual(s["violations"], [], s["violations"])
        self.assertEqual(s["violations_total"], 0)
        self.assertLessEqual(s["max_in_flight"], 10)
        self.assertLessEqual(s["rate_max_in_window"], 100)
        self.assertNotIn("606", s["errors"])
        self.assertNotIn("615", s["errors"])
        self.assertEqual(s["tokens_issued"], 1)  # the token is reused
        self.assertEqual(s["internal_errors"], 0)

    def test_sync_run_recorded(self):
        runs = self.h.sql("SELECT * FROM sync_runs ORDER BY id")
        kv = dict(self.h.sql("SELECT key, value FROM kv"))
        self.assertEqual(len(runs), 1)
        r = runs[0]
        self.assertEqual((r["source"], r["kind"], r["origin"], r["status"]),
                         ("marketo", "full", "cli", "ok"))
        self.assertEqual(r["people_seen"], 3004)
        self.assertEqual(r["people_written"], 3004)
        self.assertGreater(r["api_calls"], 0)
        self.assertIsNone(r["error"])
        self.assertIn("marketo.sync.last_success", kv)
        self.assertNotIn("marketo.sync.checkpoint", kv)  # done: nothing to resume
        self.assertNotIn("marketo.sync.lease", kv)       # the lease is a row of leases now:
        self.assertEqual(self.h.sql("SELECT lease_owner, lease_until, holder FROM leases"
                                    " WHERE name = 'marketo.sync'"), [(None, None, None)])  # released

    def test_progress_lines_when_not_a_terminal(self):
        err = self.proc.stderr
        self.assertIn("marketo: importing", err)
        self.assertNotIn("\r", err)
        self.assertNotIn("\033[K", err)


class SmartListExport(unittest.TestCase):
    """A smart-list export of a prepared file: the null literal versus the string null."""

    def test_null_literal_and_quoted_null(self):
        cols = ["id", "firstName", "lastName", "email", "phone", "title", "company",
                "leadSource", "linkedInProfileURL", "sfdcLeadId", "sfdcContactId",
                "sfdcAccountId", "sfdcOpptyId", "leadOwnerEmailAddress"]
        rows = [
            ["1", "Ann", "null", "ann@example.com", "null", '"null"', '"Acme, Inc."', "Web",
             "null", "00Q1", "null", "0011", "null", "rep@example.com"],
            ["2", "\"Bo \"\"The\"\" Boss\"", "Ångström", "bo@example.com", "", "CTO", "null",
             "null", "null", "null", "null", "null", "null", "null"],
            ["3", "Cy", "Dup", "ann@example.com", "1", "null", "null", "null", "null", "null",
             "null", "null", "null", '"rep@example.com"'],
        ]
        fd, path = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(cols) + "\n")
            for r in rows:
                f.write(",".join(r) + "\n")
        fake = FakeMarketo("--status-step", "0.05", "--export-file", path)
        h = Hail(env=fake.env(HAIL_MARKETO_SMART_LIST_ID="42"))
        try:
            p = h.run("sync", "marketo", timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("3 people seen", p.stdout)
            a = person(h, 1)
            self.assertIsNone(a["last_name"])        # null literal
            self.assertIsNone(a["phone"])
            self.assertEqual(a["title"], "null")      # quoted: the string null
            self.assertEqual(a["company"], "Acme, Inc.")
            self.assertEqual(a["active"], 1)
            b = person(h, 2)
            self.assertEqual(b["first_name"], 'Bo "The" Boss')
            self.assertEqual(b["last_name"], "Ångström")
            self.assertIsNone(b["owner_email"])
            self.assertEqual(b["active"], 0)
            self.assertEqual(person(h, 3)["active"], 1)
            self.assertEqual(counts(h), (3, 2))
            s = fake.stats()
            self.assertEqual(s["violations"], [])
            self.assertEqual(s["exports"].get("created"), 1)  # one job, no windows
        finally:
            h.close()
            fake.close()
            os.unlink(path)


class Usage(unittest.TestCase):
    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.h.close()

    def test_help(self):
        p = self.h.run("sync", "--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("marketo", p.stdout)
        p = self.h.run("sync", "marketo", "--help")
        self.assertEqual(p.returncode, 0)
        for word in ("--full", "HAIL_MARKETO_URL", "HAIL_MARKETO_CLIENT_ID",
                     "HAIL_MARKETO_CLIENT_SECRET", "HAIL_MARKETO_SMART_LIST_ID",
                     "HAIL_MARKETO_SINCE", "HAIL_MARKETO_POLL_SECONDS",
                     "HAIL_MARKETO_SYNC_INTERVAL"):
            self.assertIn(word, p.stdout)

    def assertFails(self, p, stderr):
        self.assertEqual((p.returncode, p.stdout, p.stderr), (2, "", stderr))

    def test_usage_errors(self):
        top = self.h.run("sync", "--help").stdout
        marketo = self.h.run("sync", "marketo", "--help").stdout
        self.assertFails(self.h.run("sync"), top)
        self.assertFails(self.h.run("sync", "salesforce"),
                         "hail: unknown sync source 'salesforce'\n\n" + top)
        self.assertFails(self.h.run("sync", "marketo", "--fulll"),
                         "hail: unknown option '--fulll'\n\n" + marketo)

    def test_not_configured(self):
        self.assertFails(self.h.run("sync", "marketo"),
                         "hail: Marketo is not configured: set HAIL_MARKETO_URL, "
                         "HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET\n")

    def test_bad_settings(self):
        base = {"HAIL_MARKETO_URL": "http://127.0.0.1:9", "HAIL_MARKETO_CLIENT_ID": "x",
                "HAIL_MARKETO_CLIENT_SECRET": "y"}
        for var, value, rule in (
                ("HAIL_MARKETO_URL", "ftp://x",
                 "an http(s) URL such as https://123-ABC-456.mktorest.com"),
                ("HAIL_MARKETO_SMART_LIST_ID", "abc", "a positive integer"),
                ("HAIL_MARKETO_SINCE", "yesterday", "a date like 2010-01-01"),
                ("HAIL_MARKETO_POLL_SECONDS", "-1", "a number of seconds from 0.001 to 3600"),
                ("HAIL_MARKETO_SYNC_INTERVAL", "5 minutes",
                 "a number of seconds from 0.1 to 604800")):
            p = self.h.run("sync", "marketo", env=dict(base, **{var: value}))
            self.assertFails(p, "hail: %s must be %s, not '%s'\n" % (var, rule, value))


class TerminalProgress(unittest.TestCase):
    def test_single_updating_line(self):
        fake = FakeMarketo("--status-step", "0.05")
        fake.add_leads(make_leads(200, days=20))
        h = Hail(env=fake.env(HAIL_MARKETO_SINCE=since_env(25)))
        try:
            master, slave = pty.openpty()
            chunks = []

            def drain():
                while True:
                    try:
                        chunk = os.read(master, 65536)
                    except OSError:
                        return
                    if not chunk:
                        return
                    chunks.append(chunk)

            reader = threading.Thread(target=drain, daemon=True)
            reader.start()
            p = subprocess.run([harness.BIN, "sync", "marketo"], env=h.env, stdout=subprocess.PIPE,
                               stderr=slave, timeout=60, text=True)
            os.close(slave)
            reader.join(10)
            os.close(master)
            out = b"".join(chunks)
            self.assertEqual(p.returncode, 0)
            text = out.decode("utf-8", "replace")
            self.assertIn("\r\033[K", text)       # redrawn in place
            self.assertIn("marketo: ", text)
            self.assertIn("200 people seen", p.stdout)
        finally:
            h.close()
            fake.close()


if __name__ == "__main__":
    harness.main()
