"""Interrupted syncs: kill -9 between export windows and in the middle of a big file,
Ctrl-C, then a resume that finishes without importing finished work again; one sync
at a time across processes (a second one is refused, a dead holder's lease is taken
over)."""
import datetime
import json
import os
import signal
import socket
import sqlite3
import subprocess
import tempfile
import time
import unittest

import harness
import pg
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400
COLS = ["id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
        "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
        "leadOwnerEmailAddress"]


def kv(h, key):
    try:
        return h.sql_value("SELECT value FROM kv WHERE key = ?", key)
    except (sqlite3.Error, pg.Error):  # not created yet
        return None


def lease(h):
    """The Marketo sync lease's holder ({pid, host, start}) while someone holds
    it (lease_owner set; table leases, store/lease.h), else None."""
    try:
        rows = h.sql("SELECT holder FROM leases WHERE name = 'marketo.sync' AND lease_owner IS NOT NULL")
    except (sqlite3.Error, pg.Error):  # not created yet
        return None
    return json.loads(rows[0][0]) if rows else None


def set_lease(h, pid, expires_in, start=-1):
    """Makes the lease someone else's: pid on this host, expiring in expires_in s."""
    holder = {"pid": pid, "host": socket.gethostname(), "start": start}
    until = int((time.time() + expires_in) * 1e6)
    h.sql("INSERT INTO leases (name, lease_owner, lease_until, holder, updated_at)"
          " VALUES ('marketo.sync', 'someone-else', ?, ?, 0) ON CONFLICT (name) DO UPDATE SET"
          " lease_owner = excluded.lease_owner, lease_until = excluded.lease_until,"
          " holder = excluded.holder", until, json.dumps(holder))


def checkpoint(h):
    v = kv(h, "marketo.sync.checkpoint")
    return json.loads(v) if v else None


def runs(h):
    return h.sql("SELECT * FROM sync_runs ORDER BY id")


def start_sync(h, *args):
    return subprocess.Popen([harness.BIN, "sync", "marketo"] + list(args), env=h.env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for(pred, timeout, proc=None, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        if proc is not None and proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError("sync ended (%s) before %s: %s%s" % (proc.returncode, what, out, err))
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


class KillBetweenWindows(unittest.TestCase):
    def test_resume_skips_finished_windows(self):
        fake = FakeMarketo("--status-step", "0.3")
        now = time.time()
        n = 1400  # over 200 days: 7 windows
        fake.add_leads([{"id": i, "firstName": "P%d" % i, "email": "p%d@example.com" % i,
                         "leadOwnerEmailAddress": "rep@example.com" if i % 3 else "",
                         "createdAt": iso(now - 200 * DAY + i * (200 * DAY // n))}
                        for i in range(1, n + 1)])
        h = Hail(env=fake.env(HAIL_MARKETO_SINCE=since_env(205)))
        try:
            p = start_sync(h)
            since = None

            def two_windows_done():
                nonlocal since
                ck = checkpoint(h)
                if not ck or ck.get("mode") != "full":
                    return False
                since = ck["since"]
                return ck["next"] - ck["since"] >= 2 * 31 * DAY * 1000000

            wait_for(two_windows_done, 60, p, "two windows imported")
            p.send_signal(signal.SIGKILL)
            p.wait()
            ck = checkpoint(h)
            done_windows = (ck["next"] - since) // (31 * DAY * 1000000)
            self.assertGreaterEqual(done_windows, 2)
            self.assertLess(done_windows, 7, "killed too late to test anything")
            before = fake.stats()
            files_before = before["calls"]["/bulk/v1/leads/export/{exportId}/file.json"]

            # The lease of the killed process is taken over at once.
            t0 = time.time()
            q = h.run("sync", "marketo", timeout=90)
            self.assertEqual(q.returncode, 0, q.stderr)
            self.assertLess(time.time() - t0, 60)
            self.assertIn("full sync done", q.stdout)
            total, active = h.sql("SELECT count(*), sum(active) FROM people")[0]
            self.assertEqual(total, n)
            self.assertEqual(active, sum(1 for i in range(1, n + 1) if i % 3))

            after = fake.stats()
            files_after = after["calls"]["/bulk/v1/leads/export/{exportId}/file.json"]
            # Only the windows not finished were read again (one may have been mid-file).
            self.assertLessEqual(files_after - files_before, 7 - done_windows + 1)
            self.assertLessEqual(files_after, 7 + 1)
            # Jobs queued ahead before the kill were reused, not exported again.
            self.assertLessEqual(after["exports"]["created"], 7 + 1)
            self.assertEqual(after["violations"], [])

            r = runs(h)
            self.assertEqual([x["status"] for x in r], ["failed", "ok"])
            self.assertEqual(r[0]["error"],
                             "interrupted: the process ended before the sync finished")
            self.assertLess(r[1]["people_seen"], n)  # finished windows not imported again
            self.assertIsNone(checkpoint(h))
        finally:
            h.close()
            fake.close()


class KillMidFile(unittest.TestCase):
    def test_resume_with_range(self):
        rows = 200000
        fd, path = tempfile.mkstemp(suffix=".csv")
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(",".join(COLS) + "\n")
            chunk = []
            for i in range(1, rows + 1):
                chunk.append('%d,Fïrst%d,"Last, %d",p%d@example.com,null,"Title ""%d""",'
                             'Acme,Web,null,00Q%d,null,001%d,null,%s'
                             % (i, i, i, i, i, i, i % 500, "rep@example.com" if i % 5 else "null"))
                if len(chunk) == 5000:
                    f.write("\n".join(chunk) + "\n")
                    chunk = []
            if chunk:
                f.write("\n".join(chunk) + "\n")
        fake = FakeMarketo("--status-step", "0.05", "--export-file", path, "--verbose")
        h = Hail(env=fake.env(HAIL_MARKETO_SMART_LIST_ID="7"))
        try:
            p = start_sync(h)
            wait_for(lambda: (checkpoint(h) or {}).get("offset", 0) > 0, 60, p,
                     "a checkpoint inside the file")
            p.send_signal(signal.SIGKILL)
            p.wait()
            ck = checkpoint(h)
            committed = ck["records"]
            self.assertGreater(committed, 0)
            self.assertLess(committed, rows, "killed too late to test anything")
            have = h.sql_value("SELECT count(*) FROM people")
            self.assertGreaterEqual(have, committed)  # whole records, nothing half-written

            q = h.run("sync", "marketo", timeout=120)
            self.assertEqual(q.returncode, 0, q.stderr)
            total, active = h.sql("SELECT count(*), sum(active) FROM people")[0]
            sample = h.sql("SELECT first_name, last_name, title FROM people"
                           " WHERE marketo_id = ?", rows)[0]
            self.assertEqual(total, rows)
            self.assertEqual(active, rows - rows // 5)
            self.assertEqual(tuple(sample), ("Fïrst%d" % rows, "Last, %d" % rows,
                                             'Title "%d"' % rows))
            r = runs(h)
            self.assertEqual([x["status"] for x in r], ["failed", "ok"])
            # The resumed run read only the records after the checkpoint...
            self.assertEqual(r[1]["people_seen"], rows - committed)
            # ...by asking for the rest of the same file (a 206 answer), and the whole
            # file's checksum still verified (the sync would have failed otherwise).
            with open(os.path.join(fake.dir, "log"), encoding="utf-8", errors="replace") as f:
                log = f.read()
            self.assertRegex(log, r'GET /bulk/v1/leads/export/[^/]+/file.json HTTP/1.1" 206')
            self.assertEqual(fake.stats()["exports"]["created"], 1)
        finally:
            h.close()
            fake.close()
            os.unlink(path)


class OneAtATime(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo("--status-step", "0.05")
        now = time.time()
        self.fake.add_leads([{"id": i, "leadOwnerEmailAddress": "rep@example.com",
                              "createdAt": iso(now - 3 * DAY + i)} for i in range(1, 31)])
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(5)))

    def tearDown(self):
        self.h.close()
        self.fake.close()

    def test_second_sync_refused_then_ctrl_c_then_resume(self):
        self.fake.config(status_step=30)  # the export takes a long time
        a = start_sync(self.h)
        wait_for(lambda: lease(self.h), 30, a, "the lease")
        b = self.h.run("sync", "marketo", timeout=30)
        self.assertEqual((b.returncode, b.stdout, b.stderr),
                         (1, "", "hail: a Marketo sync is already running (pid %d)\n" % a.pid))
        # Ctrl-C: the first stops cleanly, keeps its checkpoint, frees the lease.
        wait_for(lambda: (checkpoint(self.h) or {}).get("jobs"), 30, a, "an export job")
        a.send_signal(signal.SIGINT)
        out, err = a.communicate(timeout=20)
        stopped = "stopped before it finished; the next sync resumes where it stopped"
        self.assertEqual((a.returncode, out), (1, ""), err)
        self.assertEqual(err.splitlines()[-1], "hail: " + stopped, err)
        self.assertEqual([l for l in err.splitlines() if l.startswith("hail:")], ["hail: " + stopped])
        self.assertIsNone(lease(self.h))
        self.assertEqual((runs(self.h)[-1]["status"], runs(self.h)[-1]["error"]), ("failed", stopped))
        self.fake.config(status_step=0.05)
        c = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(c.returncode, 0, c.stderr)
        self.assertIn("30 people seen", c.stdout)
        self.assertEqual(self.fake.stats()["exports"]["created"], 1)  # the same job

    def test_stale_lease_taken_over_live_one_respected(self):
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        # A live holder (this test process), even past its expiry: refused.
        set_lease(self.h, os.getpid(), -5)
        p = self.h.run("sync", "marketo", timeout=30)
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (1, "", "hail: a Marketo sync is already running (pid %d)\n" % os.getpid()))
        # A holder that is gone: taken over, even before its expiry.
        dead = subprocess.Popen(["true"])
        dead.wait()
        set_lease(self.h, dead.pid, 60)
        p = self.h.run("sync", "marketo", timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIsNone(lease(self.h))


if __name__ == "__main__":
    harness.main()
