"""The campaign scheduler survives kill -9: a two-day campaign (day 1 an
email, day 2 a follow-up threaded on it) over thousands of people on the
maildir channel; the server is killed (SIGKILL) again and again while its
scheduler runs the steps and its senders send them, on day 1 and again after
the test clock moves to day 2, then started once more to finish. Afterwards
every due email exists exactly once in the database (one per person and
step) and once in the maildir (DATA/mail/1/new/hail.<id>, with its own
Message-ID; a follow-up's In-Reply-To is its first email's), and every
activity exactly once (one Send per email, nothing else). On PostgreSQL two
nodes also share one campaign: each step runs on one of them."""
import email.parser
import email.policy
import os
import random
import time
import unittest

from apitest import ApiCase
from harness import POSTGRES, SANITIZED, postgres_only
from schedfix import ClockHail, add_campaign, maildir_ids, seed_rep, us

# People (PostgreSQL and sanitizer builds: fewer, each step is slower there
# on a loaded machine; the test stays within 3 minutes).
N = 1000 if POSTGRES or SANITIZED else 2000
KILLS = 5  # per day


class CampaignCrashTest(ApiCase):
    def seed(self, h, n):
        uid, _, tmpl, _ = seed_rep(h, [(i, "P%d" % i, "p%d@x%d.example" % (i, i % 50))
                                       for i in range(1, n + 1)])
        cid = add_campaign(h, uid, [(1, "auto_email", tmpl, None, None, 0),
                                    (2, "auto_email", tmpl, "same_as_previous", None, 1)])
        start = us("2027-03-01T08:00:00Z")
        h.sql("INSERT INTO campaign_members (campaign_id, person_id, status, start_at, next_due_at,"
              " created_at, updated_at) SELECT ?, id, 'active', ?, ?, ?, ? FROM people",
              cid, start, start, start, start)
        self.assertEqual(h.sql_value("SELECT count(*) FROM campaign_members"), n)
        return cid

    def left(self, h, step):
        """Steps not run yet plus emails not sent yet, up to step."""
        return (h.sql_value("SELECT count(*) FROM campaign_members WHERE step_position <= ?", step)
                + h.sql_value("SELECT count(*) FROM emails WHERE status <> 'sent'"))

    def kill_loop(self, h, step):
        """Kills while the work runs: each kill after a random 4-12 % of it is done, or a
        random 0.3-1 s, whichever comes first (a fixed time let a fast machine finish
        before the fifth kill)."""
        kills, at_kill = 0, []
        total = self.left(h, step)
        while kills < KILLS and self.left(h, step) > 0:
            h.start()
            target = self.left(h, step) - max(1, int(total * random.uniform(0.04, 0.12)))
            deadline = time.time() + random.uniform(0.3, 1.0)
            while time.time() < deadline and self.left(h, step) > target:
                time.sleep(0.02)
            h.kill9()
            kills += 1
            at_kill.append(self.left(h, step))
        h.start()
        deadline = time.time() + 110
        while self.left(h, step) > 0 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.left(h, step), 0, h.server_log())
        self.assertEqual(h.stop(), 0, h.server_log())
        return kills, at_kill

    def test_kill_9_through_two_days(self):
        started = time.time()
        h = ClockHail("2027-03-01T08:00:00Z",
                      env={"HAIL_SEND_WORKERS": "3", "HAIL_LOG_LEVEL": "info"})
        try:
            self.seed(h, N)
            k1, left1 = self.kill_loop(h, 0)
            h.set_clock("2027-03-02T08:00:00Z")
            k2, left2 = self.kill_loop(h, 1)
            print("\ncampaign crash: %d people x 2 steps, kills -9: %d on day 1 (work left at"
                  " each: %s), %d on day 2 (%s), %.1f s"
                  % (N, k1, left1, k2, left2, time.time() - started))
            self.assertEqual((k1, k2), (KILLS, KILLS), "the work ended before every kill: raise N")
            self.check(h, N)
        finally:
            h.close()

    def check(self, h, n):
        self.assertEqual({r[0]: r[1] for r in h.sql("SELECT status, count(*) FROM campaign_members"
                                                     " GROUP BY status")}, {"finished": n})
        rows = h.sql("SELECT id, campaign_member_id, campaign_step, status, message_id, in_reply_to"
                     " FROM emails")
        self.assertEqual(len(rows), 2 * n)
        self.assertEqual({r[3] for r in rows}, {"sent"})
        once = {(r[1], r[2]) for r in rows}
        self.assertEqual(len(once), 2 * n)  # one per person and step
        first = {r[1]: r[4] for r in rows if r[2] == 0}
        for r in rows:
            if r[2] == 1:
                self.assertEqual(r[5], first[r[1]])
        new = os.path.join(h.data, "mail", "1", "new")
        self.assertEqual(sorted(os.listdir(new)), sorted("hail.%d" % r[0] for r in rows))
        for r in random.sample(rows, 200):
            with open(os.path.join(new, "hail.%d" % r[0]), "rb") as f:
                msg = email.parser.BytesHeaderParser(policy=email.policy.default).parse(f)
            self.assertEqual(msg["Message-ID"], r[4])
            if r[2] == 1:
                self.assertEqual(msg["In-Reply-To"], r[5])
                self.assertTrue(msg["Subject"].startswith("Re: Hello P"), msg["Subject"])
        self.assertEqual(len({r[4] for r in rows}), 2 * n)
        sends = h.sql("SELECT email_id, count(*) FROM activities WHERE type = 'email_send'"
                      " GROUP BY email_id")
        self.assertEqual(len(sends), 2 * n)
        self.assertEqual([r for r in sends if r[1] != 1], [])
        self.assertEqual(h.sql_value("SELECT count(*) FROM activities"), 2 * n)

    @postgres_only("several nodes share one database on PostgreSQL")
    def test_two_nodes_share_the_campaign(self):
        n = 200
        a = ClockHail("2027-03-01T08:00:00Z", env={"HAIL_SEND_WORKERS": "2"})
        b = None
        try:
            self.seed(a, n)
            b = ClockHail("2027-03-01T08:00:00Z", env={"HAIL_SEND_WORKERS": "2"},
                          database=a.db_url)
            a.start(wait=False)
            b.start(wait=False)
            a.wait_ready()
            b.wait_ready()
            deadline = time.time() + 60
            while self.left(a, 0) > 0 and time.time() < deadline:
                time.sleep(0.2)
            a.set_clock("2027-03-02T08:00:00Z")
            b.set_clock("2027-03-02T08:00:00Z")
            deadline = time.time() + 60
            while self.left(a, 1) > 0 and time.time() < deadline:
                time.sleep(0.2)
            self.assertEqual(a.stop(), 0, a.server_log())
            self.assertEqual(b.stop(), 0, b.server_log())
            # One maildir per node (each its own data directory): together,
            # every email once.
            a_files, b_files = maildir_ids(a), maildir_ids(b)
            self.assertEqual(sorted(a_files + b_files),
                             sorted(r[0] for r in a.sql("SELECT id FROM emails")))
            self.assertTrue(a_files and b_files, "one node sent everything")
            self.assertEqual(a.sql_value("SELECT count(*) FROM emails"), 2 * n)
            self.assertEqual(len({tuple(r) for r in a.sql(
                "SELECT campaign_member_id, campaign_step FROM emails")}), 2 * n)
            self.assertEqual(a.sql_value("SELECT count(*) FROM activities"), 2 * n)
        finally:
            if b:
                b.close()
            a.close()


if __name__ == "__main__":
    unittest.main()
