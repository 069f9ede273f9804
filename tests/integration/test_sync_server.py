"""The Marketo sync inside `hail serve`: the background worker's first and periodic
runs, GET /api/v1/sync/marketo (state), POST /api/v1/sync/marketo (run now, admins
only), and a CLI sync beside the running server on the same database."""
import datetime
import os
import time
import unittest

import harness
from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400


def runs(h):
    return h.sql("SELECT * FROM sync_runs ORDER BY id")


def wait_for(pred, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for " + what)


class ServerSync(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo("--status-step", "0.05")
        now = time.time()
        self.fake.add_leads([{"id": i, "firstName": "P%d" % i,
                              "leadOwnerEmailAddress": "rep@example.com",
                              "createdAt": iso(now - 3 * DAY + i)} for i in range(1, 41)])
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(5),
                                        HAIL_MARKETO_SYNC_INTERVAL="2"))
        self.admin = self.h.admin_token()
        self.h.add_user("rep@example.com", "Rep", "rep", password="correct horse battery")
        self.rep = self.h.token("rep@example.com")
        self.h.start()
        r = self.h.request("GET", "/api/v1/sync/marketo", token=self.rep)
        if r.status == 503 and "not built" in r.body:
            self.skipTest("the sync handlers are not wired into the server yet")

    def tearDown(self):
        self.h.close()
        self.fake.close()

    def status(self):
        r = self.h.request("GET", "/api/v1/sync/marketo", token=self.rep)
        self.assertEqual(r.status, 200, r.body)
        return r.json

    def test_worker_status_and_trigger(self):
        # The first run starts with the server: a full sync.
        wait_for(lambda: any(x["status"] == "ok" for x in runs(self.h)), 60, "the first sync")
        first = runs(self.h)[0]
        self.assertEqual((first["kind"], first["origin"]), ("full", "server"))
        s = self.status()
        for key in ("configured", "running", "last_run", "last_success_at", "next_run_at",
                    "interval_s", "people"):
            self.assertIn(key, s)
        self.assertTrue(s["configured"])
        self.assertEqual(s["interval_s"], 2)
        self.assertEqual(s["people"]["total"], 40)
        self.assertEqual(s["people"]["active"], 40)
        self.assertIsNotNone(s["last_success_at"])

        # Periodic incremental runs pick up changes.
        self.fake.add_leads([{"id": 3, "leadOwnerEmailAddress": ""}])
        wait_for(lambda: self.status()["people"]["active"] == 39, 30, "the owner change")
        self.assertIn("incremental", [x["kind"] for x in runs(self.h)])

        # Run now: admins only.
        r = self.h.request("POST", "/api/v1/sync/marketo", token=self.rep)
        self.assertEqual((r.status, r.json), (403, {"error": {
            "code": "forbidden", "message": "this needs the admin role"}}), r.body)
        r = self.h.request("POST", "/api/v1/sync/marketo", token=self.admin)
        self.assertIn(r.status, (200, 202), r.body)
        wait_for(lambda: any(x["origin"] == "api" for x in runs(self.h)), 30, "a run from the API")
        self.assertEqual(self.fake.stats()["violations"], [])

    def test_cli_sync_beside_the_server(self):
        wait_for(lambda: any(x["status"] == "ok" for x in runs(self.h)), 60, "the first sync")
        self.fake.add_leads([{"id": 100 + i, "leadOwnerEmailAddress": "rep@example.com"}
                             for i in range(20)])
        # Either this CLI sync runs, or the server's worker holds the lease right now.
        for _ in range(20):
            p = self.h.run("sync", "marketo", timeout=60)
            if p.returncode == 0:
                break
            # The server's worker holds the lease: the server's pid is named.
            self.assertEqual((p.returncode, p.stdout, p.stderr),
                             (1, "", "hail: a Marketo sync is already running (pid %d)\n"
                              % self.h.proc.pid))
            time.sleep(0.3)
        self.assertEqual(p.returncode, 0, p.stderr)
        # The server kept answering and writing meanwhile.
        r = self.h.request("GET", "/api/v1/people?limit=200", token=self.rep)
        self.assertEqual(r.status, 200)
        wait_for(lambda: self.status()["people"]["total"] == 60, 30, "all people")


if __name__ == "__main__":
    harness.main()
