"""Best Bets of an upgraded database: activities recorded before schema 7 have
no best_bets rows. `hail serve` sees scored human events and an empty
best_bets at start and rebuilds them in the background (svc/bestbets_catchup.c),
logging the start and the end, while it already answers; the list then has the
rows `hail bestbets rebuild` would write. A server stopped mid-way leaves its
position in kv 'bestbets.catchup' and the next start resumes there without
counting anything twice; a later start finds nothing to do. Both engines."""
import time
import unittest

import harness
import mailfix
from apitest import ApiCase
from harness import Hail

DAY_US = 86400 * 1000000
START_LINE = ("Best Bets: the activities have no Best Bets yet (a database upgraded to schema 7):"
              " rebuilding from the activity log in the background")


class CatchupTest(ApiCase):
    def setUp(self):
        self.h = Hail()
        self.h.env["HAIL_LOG_LEVEL"] = "info"  # the start and the end are info lines
        self.h.add_user("rep@example.com", "Rita Rep", "rep")
        self.tok = self.h.token("rep@example.com")
        self.m = mailfix.Mail(self.h, "rep@example.com")
        self.people = []
        now = mailfix.now_us()
        # As recorded before schema 7: activities, no best_bets rows. Person i
        # has i + 1 human opens, person 2 a reply, and everyone a machine open
        # and a send, which never count.
        for i in range(4):
            pid = self.m.person()
            self.h.sql("UPDATE people SET first_name = ?, owner_email = 'REP@example.com'"
                       " WHERE id = ?", "P%d" % i, pid)
            self.people.append(pid)
            acts = [("email_send", 0, 6 * DAY_US), ("email_open", 1, DAY_US)]
            acts += [("email_open", 0, (j + 2) * DAY_US) for j in range(i + 1)]
            if i == 2:
                acts.append(("email_reply", 0, 3 * DAY_US))
            for t, machine, ago in acts:
                self.h.sql("INSERT INTO activities (type, person_id, user_id, occurred_at, machine,"
                           " attrs, created_at) VALUES (?, ?, ?, ?, ?, '{}', ?)",
                           t, pid, self.m.user_id, now - ago, machine, now)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM best_bets"), 0)

    def tearDown(self):
        self.close_checked(self.h)

    def wait_rows(self, n, timeout=20):
        deadline = time.time() + timeout
        while True:
            r = self.h.request("GET", "/api/v1/best-bets", token=self.tok)
            self.assertEqual(r.status, 200, r)
            if len(r.json["data"]) >= n or time.time() > deadline:
                return r.json["data"]
            time.sleep(0.1)

    def counts(self, rows):
        return [(b["person"]["first_name"], {w["type"]: w["count"] for w in b["why"]})
                for b in rows]

    def expected(self):
        return [("P2", {"email_reply": 1, "email_open": 3}), ("P3", {"email_open": 4}),
                ("P1", {"email_open": 2}), ("P0", {"email_open": 1})]

    def test_serve_rebuilds_an_upgraded_database(self):
        self.h.start()
        rows = self.wait_rows(4)
        self.assertEqual(self.counts(rows), self.expected())
        deadline = time.time() + 10
        while "Best Bets: rebuilt from the activity log" not in self.h.server_log() \
                and time.time() < deadline:
            time.sleep(0.1)
        log = self.h.server_log()
        self.assertIn(START_LINE + " (person ids up to %d)" % self.people[-1], log)
        self.assertRegex(log, r"Best Bets: rebuilt from the activity log: 4 people with a score"
                              r" in \d+\.\d s")
        self.assertIsNone(self.h.sql_value("SELECT value FROM kv WHERE key = 'bestbets.catchup'"))
        # the same rows as the one-pass rebuild
        r = self.h.run("bestbets", "rebuild")
        self.assertEqual(r.returncode, 0, r.stderr)
        after = self.h.request("GET", "/api/v1/best-bets", token=self.tok).json["data"]
        self.assertEqual(self.counts(after), self.expected())
        self.assertEqual([round(b["score"], 2) for b in after], [round(b["score"], 2) for b in rows])
        # a restart has nothing to do
        self.h.stop()
        self.h.start()
        self.assertEqual(self.counts(self.wait_rows(4)), self.expected())
        time.sleep(0.5)
        self.assertEqual(self.h.server_log().count(START_LINE), 1)

    def test_a_stopped_rebuild_resumes_without_counting_twice(self):
        # Stopped after the first two people: their rows are there, the
        # position is at the third; the third's row holds an event recorded
        # meanwhile (the resumed step replaces it with the log's count).
        self.h.run("bestbets", "rebuild", check=True)
        self.h.sql("DELETE FROM best_bets WHERE person_id >= ?", self.people[2])
        self.h.sql("INSERT INTO best_bets (person_id, owner, rank_key, u_sum, u_at, last_at, opens,"
                   " clicks, replies) VALUES (?, 'rep@example.com', 1, 1, 0, 0, 7, 0, 0)",
                   self.people[2])
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES ('bestbets.catchup', ?, 0)",
                   str(self.people[2]))
        self.h.start()
        deadline = time.time() + 20
        while self.h.sql_value("SELECT value FROM kv WHERE key = 'bestbets.catchup'") is not None \
                and time.time() < deadline:
            time.sleep(0.1)
        self.assertIsNone(self.h.sql_value("SELECT value FROM kv WHERE key = 'bestbets.catchup'"))
        self.assertEqual(self.counts(self.wait_rows(4)), self.expected())
        log = self.h.server_log()
        self.assertIn("Best Bets: resuming the rebuild from the activity log at person id %d"
                      " (the last is %d)" % (self.people[2], self.people[-1]), log)
        self.assertNotIn(START_LINE, log)

    def test_no_scored_events_nothing_to_do(self):
        self.h.sql("UPDATE activities SET machine = 1")
        self.h.start()
        r = self.h.request("GET", "/api/v1/best-bets", token=self.tok)
        self.assertEqual(r.json, {"data": [], "next": None})
        time.sleep(0.5)
        self.assertNotIn("Best Bets:", self.h.server_log())
        self.assertIsNone(self.h.sql_value("SELECT value FROM kv WHERE key = 'bestbets.catchup'"))


if __name__ == "__main__":
    harness.main()
