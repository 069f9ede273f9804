"""Several `hail serve` nodes over one PostgreSQL database behave as one hail: a
session or token made on one works on the other at once (and a sign-out or a
revocation ends it on both), a user added on one is listed by the other, sign-in
limits count across nodes, nodes starting at once migrate an empty database once,
exactly one node runs the periodic Marketo sync, and `kill -9` of that node lets the
other take the sync over (the holder is certainly dead on this host: at once; a
holder on another host: once its lease expires), resuming from the checkpoint, with
no person lost or duplicated. PostgreSQL only (ctest integration-pg/test_multinode)."""
import datetime
import json
import math
import re
import socket
import subprocess
import time
import unittest

import harness
from apitest import ApiCase
from harness import BIN, FakeMarketo, Hail, iso, since_env

DAY = 86400
PASSWORD = "correct horse battery"  # Hail.admin_token's
REP_PW = "rep-password-123"
LEASE = "marketo.sync"


def wait_for(pred, timeout, what, procs=()):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        for h in procs:
            if h.proc is not None and h.proc.poll() is not None:
                raise AssertionError("hail serve exited (%s) before %s: %s"
                                     % (h.proc.returncode, what, h.server_log()))
        time.sleep(0.05)
    raise AssertionError("timed out (%d s) waiting for %s" % (timeout, what))


def lease_pid(h):
    """The pid holding the Marketo sync lease, or None when it is free."""
    rows = h.sql("SELECT holder FROM leases WHERE name = ? AND lease_owner IS NOT NULL", LEASE)
    return json.loads(rows[0][0])["pid"] if rows and rows[0][0] else None


def checkpoint(h):
    v = h.sql_value("SELECT value FROM kv WHERE key = 'marketo.sync.checkpoint'")
    return json.loads(v) if v else None


@harness.postgres_only("several nodes share one PostgreSQL database")
class SharedStateTest(ApiCase):
    """Two nodes, one database: what one does, the other sees at once."""

    def setUp(self):
        self.a = Hail()
        self.b = Hail(database=self.a.db_url)
        self.admin = self.a.admin_token()
        self.a.add_user("rep@example.com", "Rep", "rep", password=REP_PW)
        self.a.start()
        self.b.start()

    def tearDown(self):
        self.close_checked(self.b)
        self.close_checked(self.a)

    def test_session_made_on_one_works_on_the_other(self):
        cookie, csrf = self.session(self.a, "rep@example.com", REP_PW)
        r = self.cookie_req(self.b, "GET", "/api/v1/me", cookie)
        self.assertEqual((r.status, r.json["email"]), (200, "rep@example.com"), r)
        # A write with the session's CSRF token, on the other node.
        r = self.cookie_req(self.b, "POST", "/api/v1/tokens", cookie, csrf, {"name": "from b"})
        self.assertEqual(r.status, 201, r)
        token = r.json["token"]
        self.assertEqual(self.me(self.a, token).status, 200)
        # Signed out on b: refused on a at once.
        r = self.cookie_req(self.b, "DELETE", "/api/v1/session", cookie, csrf)
        self.assertIn(r.status, (200, 204), r)
        self.assertError(self.cookie_req(self.a, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")

    def test_token_made_on_one_works_on_the_other_until_revoked(self):
        r = self.a.request("POST", "/api/v1/tokens", {"name": "ci"}, token=self.admin)
        self.assertEqual(r.status, 201, r)
        token, tid = r.json["token"], r.json["id"]
        r = self.me(self.b, token)
        self.assertEqual((r.status, r.json["email"]), (200, "admin@example.com"), r)
        r = self.b.request("DELETE", "/api/v1/tokens/%d" % tid, token=self.admin)
        self.assertIn(r.status, (200, 204), r)
        for h in (self.a, self.b):
            self.assertError(self.me(h, token), 401, "unauthorized", "invalid or revoked API token")

    def test_user_added_on_one_is_listed_by_the_other(self):
        r = self.b.request("POST", "/api/v1/users",
                           {"email": "new@example.com", "name": "New Person", "role": "manager"},
                           token=self.admin)
        self.assertEqual(r.status, 201, r)
        uid = r.json["id"]
        r = self.a.request("GET", "/api/v1/users?limit=200", token=self.admin)
        self.assertEqual(r.status, 200, r)
        listed = {u["email"]: u for u in r.json["data"]}
        self.assertIn("new@example.com", listed)
        self.assertEqual((listed["new@example.com"]["id"], listed["new@example.com"]["role"]),
                         (uid, "manager"))
        # Deactivated on a: its sessions end on b too.
        cookie, _ = self.session(self.b, "rep@example.com", REP_PW)
        rep = {u["email"]: u for u in r.json["data"]}["rep@example.com"]
        r = self.a.request("PATCH", "/api/v1/users/%d" % rep["id"], {"active": False}, token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.cookie_req(self.b, "GET", "/api/v1/me", cookie).status, 401)

    def test_sign_in_limits_count_across_nodes(self):
        # Five failures for one email, spread over both nodes, lock it on both.
        for i in range(5):
            h = (self.a, self.b)[i % 2]
            self.assertError(self.login(h, "rep@example.com", "wrong-%d" % i),
                             401, "unauthorized", "wrong email or password")
        for h in (self.a, self.b):
            r = self.login(h, "rep@example.com", REP_PW)
            self.assertEqual(r.status, 429, r)
            self.assertRegex(r.json["error"]["message"],
                             r"^too many failed sign-ins; try again in [0-9]+ s$")


@harness.postgres_only("several nodes share one PostgreSQL database")
class MigrateOnceTest(unittest.TestCase):
    def test_nodes_starting_at_once_migrate_an_empty_database_once(self):
        a = Hail(env={"HAIL_LOG_LEVEL": "info"})
        try:
            procs = [subprocess.Popen([BIN, "user", "list"], env=a.env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(4)]
            outs = [p.communicate(timeout=60) for p in procs]
            for p, (out, err) in zip(procs, outs):
                self.assertEqual(p.returncode, 0, err)
            log = "".join(err for _, err in outs)
            latest = a.schema_version()
            for v in range(1, latest + 1):
                lines = re.findall(r"store: \S+ migrated to schema version %d\n" % v, log)
                self.assertEqual(len(lines), 1, log)
            self.assertEqual(a.sql("SELECT version FROM hail_schema"), [(latest,)])
        finally:
            a.close()


@harness.postgres_only("several nodes share one PostgreSQL database")
class SyncOnOneNodeTest(unittest.TestCase):
    """The periodic Marketo sync runs on one node at a time; kill -9 of that node
    hands it to the other, which resumes from the checkpoint."""

    N = 1400  # over 200 days: 7 createdAt windows of at most 31 days

    def setUp(self):
        self.fake = FakeMarketo("--status-step", "0.05")
        now = time.time()
        self.ids = list(range(1, self.N + 1))
        self.fake.add_leads([{"id": i, "firstName": "P%d" % i, "email": "p%d@example.com" % i,
                              "leadOwnerEmailAddress": "rep@example.com" if i % 3 else "",
                              "createdAt": iso(now - 200 * DAY + i * (200 * DAY // self.N))}
                             for i in self.ids])
        since = since_env(205)
        span = time.time() - datetime.datetime.fromisoformat(since + "T00:00:00+00:00").timestamp()
        self.windows = math.ceil(span / (31 * DAY))  # createdAt windows of at most 31 days
        env = self.fake.env(HAIL_MARKETO_SINCE=since, HAIL_MARKETO_SYNC_INTERVAL="0.5",
                            HAIL_LOG_LEVEL="info")
        self.a = Hail(env=env)
        self.b = Hail(env=env, database=self.a.db_url)
        self.admin = self.a.admin_token()

    def tearDown(self):
        self.b.close()
        self.a.close()
        self.fake.close()

    def status(self, h):
        r = h.request("GET", "/api/v1/sync/marketo", token=self.admin)
        self.assertEqual(r.status, 200, r)
        return r.json

    def running_runs(self):
        return self.a.sql_value("SELECT count(*) FROM sync_runs WHERE status = 'running'")

    def test_one_node_syncs_and_the_other_takes_over_after_kill9(self):
        # The exports take long (30 s a step): node a's first sync is still
        # waiting for them when it is killed.
        self.fake.config(status_step=30)
        self.a.start()
        a_pid = self.a.proc.pid
        wait_for(lambda: lease_pid(self.a) == a_pid, 30, "node a to take the lease", [self.a])
        wait_for(lambda: (checkpoint(self.a) or {}).get("jobs"), 30, "node a's export jobs", [self.a])
        self.b.start()
        # Both nodes are up: a keeps the lease, b's attempts are skipped (it
        # says who holds it), one run at a time, and b reports a's run.
        skipped = "marketo: sync skipped: a Marketo sync is already running (pid %d)" % a_pid
        wait_for(lambda: skipped in self.b.server_log(), 30, "node b to skip a sync", [self.b])
        wait_for(lambda: self.b.server_log().count(skipped) >= 3, 30, "b's next attempts", [self.b])
        self.assertEqual(lease_pid(self.a), a_pid)
        self.assertEqual(self.running_runs(), 1)
        s = self.status(self.b)
        self.assertEqual((s["running"], s["running_pid"]), (True, a_pid), s)
        self.assertNotIn("marketo: sync skipped", self.a.server_log())
        # kill -9 of a, mid-sync: its run stays "running", its jobs queued.
        self.a.kill9()
        jobs_before = set(self.fake.stats()["exports"]["jobs"])
        self.assertTrue(jobs_before)
        self.assertEqual(self.a.sql_value("SELECT count(*) FROM people"), 0)
        self.fake.config(status_step=0.05)
        # b sees a is dead (same host, its pid gone) and takes over at its next
        # attempt, well inside the lease's 60 s.
        wait_for(lambda: lease_pid(self.b) == self.b.proc.pid, 20, "node b to take the lease",
                 [self.b])
        self.assertIn("marketo: taking over the sync lease of pid %d on %s (process gone)"
                      % (a_pid, socket.gethostname()), self.b.server_log())
        # It finishes the full sync from a's checkpoint: a's export jobs are
        # reused, one job per createdAt window in all (none made twice).
        wait_for(lambda: self.a.sql_value("SELECT count(*) FROM sync_runs WHERE status = 'ok'"
                                          " AND kind = 'full'"), 120, "b's full sync", [self.b])
        runs = self.a.sql("SELECT status, origin, error FROM sync_runs WHERE kind = 'full' ORDER BY id")
        self.assertEqual([tuple(r) for r in runs],
                         [("failed", "server", "interrupted: the process ended before the sync finished"),
                          ("ok", "server", None)])
        stats = self.fake.stats()
        jobs_after = set(stats["exports"]["jobs"])
        self.assertLessEqual(jobs_before, jobs_after)
        self.assertEqual(len(jobs_after), self.windows, stats["exports"])
        self.assertEqual(stats["violations"], [])
        # No person lost or duplicated.
        ids = [r[0] for r in self.a.sql("SELECT marketo_id FROM people ORDER BY marketo_id")]
        self.assertEqual(ids, self.ids)
        self.assertEqual(self.a.sql_value("SELECT count(DISTINCT marketo_id) FROM people"), self.N)
        self.assertEqual(self.a.sql_value("SELECT count(*) FROM people WHERE active = 1"),
                         sum(1 for i in self.ids if i % 3))
        self.assertLessEqual(self.running_runs(), 1)
        self.assertEqual(self.status(self.b)["people"]["total"], self.N)

    def test_lease_of_another_host_is_respected_until_it_expires(self):
        # Another node (on another host, so its pid cannot be checked from here)
        # holds the lease for a minute: b waits; once the lease has expired, b takes it.
        self.a.run("user", "list", check=True)  # the schema
        until = int((time.time() + 60) * 1e6)
        holder = json.dumps({"pid": 4242, "host": "node-elsewhere.example", "start": 1})
        self.a.sql("INSERT INTO leases (name, lease_owner, lease_until, holder, updated_at)"
                   " VALUES (?, 'elsewhere', ?, ?, 0) ON CONFLICT (name) DO UPDATE SET"
                   " lease_owner = excluded.lease_owner, lease_until = excluded.lease_until,"
                   " holder = excluded.holder", LEASE, until, holder)
        self.b.start()
        skipped = ("marketo: sync skipped: a Marketo sync is already running "
                   "(pid 4242 on node-elsewhere.example)")
        wait_for(lambda: skipped in self.b.server_log(), 30, "node b to skip a sync", [self.b])
        self.assertEqual(self.a.sql_value("SELECT count(*) FROM people"), 0)
        # The holder stops renewing: its lease runs out.
        self.a.sql("UPDATE leases SET lease_until = ? WHERE name = ?",
                   int((time.time() - 1) * 1e6), LEASE)
        wait_for(lambda: lease_pid(self.b) == self.b.proc.pid, 20, "node b to take the lease",
                 [self.b])
        self.assertIn("marketo: taking over the sync lease of pid 4242 on node-elsewhere.example "
                      "(expired)", self.b.server_log())
        wait_for(lambda: self.a.sql_value("SELECT count(*) FROM people") == self.N, 120,
                 "b's full sync", [self.b])


if __name__ == "__main__":
    harness.main()
