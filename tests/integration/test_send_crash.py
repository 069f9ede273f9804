"""The send queue survives kill -9: a few thousand emails are queued on the
maildir channel and the server is killed (SIGKILL) again and again while its
sender workers send them, then started once more to finish. Afterwards every
email is `sent`, exists exactly once in the maildir (DATA/mail/1/new/hail.<id>,
carrying the email's own Message-ID), and has exactly one Send activity: an
email a dead sender left `sending` was reconciled by its file, never blindly
sent again, and the claims of dead senders were taken over at once. On
PostgreSQL two nodes also share one queue: each email is sent by one of them."""
import email
import email.policy
import os
import random
import shutil
import time
import unittest

from apitest import ApiCase
from harness import Hail, postgres_only

N = 3000
KILLS = 6


class SendCrashTest(ApiCase):
    def test_kill_9_while_sending(self):
        started = time.time()
        h = Hail(env={"HAIL_SEND_WORKERS": "3", "HAIL_PUBLIC_URL": "https://hail.example",
                      "HAIL_LOG_LEVEL": "info", "HAIL_ACCESS_LOG": "off"})
        try:
            self.run_crash(h, started)
        finally:
            h.close()

    def seed(self, h, n):
        h.add_user("rep@example.com", "Rita Rep", "rep")
        uid = h.sql_value("SELECT id FROM users WHERE email = 'rep@example.com'")
        path = os.path.join(h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n"
                    "11,Ann,Lee,ann@customer.example,rep@example.com\n")
        h.run("import", "people", path, check=True)
        person = h.sql_value("SELECT id FROM people WHERE marketo_id = 11")
        h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at, updated_at)"
              " VALUES (?, 'rep@sales.example.com', 'Rita Rep', 1, 0, 0)", uid)
        sender = h.sql_value("SELECT id FROM senders")
        # N scheduled emails in one statement (a cross join of digits; both engines).
        digits = "(SELECT 0 AS d UNION ALL " + " UNION ALL ".join("SELECT %d" % i for i in range(1, 10)) + ")"
        h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, status, to_address,"
              " to_domain, subject, body_html, next_attempt_at, created_at, updated_at)"
              " SELECT ?, ?, ?, 1, 'scheduled', 'ann@customer.example', 'customer.example',"
              " 'Crash test', '<p>Hi Ann, <a href=\"https://example.com/\">look</a></p>', 0, 0, 0"
              " FROM %s a, %s b, %s c, %s e WHERE a.d * 1000 + b.d * 100 + c.d * 10 + e.d < ?"
              % (digits, digits, digits, digits), person, uid, sender, n)
        self.assertEqual(h.sql_value("SELECT count(*) FROM emails"), n)

    def run_crash(self, h, started):
        self.seed(h, N)

        def left():
            return h.sql_value("SELECT count(*) FROM emails WHERE status IN ('scheduled', 'sending')")

        # Each kill comes after a random 4-12 % of the queue is sent, or 0.3-1.2 s, whichever
        # is first (a fixed time let a fast machine empty the queue before the last kill).
        kills, sent_at_kill = 0, []
        while kills < KILLS and left() > 0:
            h.start()
            target = left() - max(1, int(N * random.uniform(0.04, 0.12)))
            deadline = time.time() + random.uniform(0.3, 1.2)
            while time.time() < deadline and left() > target:
                time.sleep(0.02)
            h.kill9()
            kills += 1
            sent_at_kill.append(N - left())
        h.start()
        deadline = time.time() + 90
        while left() > 0 and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(left(), 0, h.server_log())
        self.assertEqual(h.stop(), 0, h.server_log())
        with open(h.log_path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        print("\nsend crash: %d emails, %d kills -9 (sent before each: %s), %.1f s; reconciled:"
              " %d handed over, %d sent again"
              % (N, kills, sent_at_kill, time.time() - started,
                 text.count("was handed over before a crash"), text.count("was not handed over")))
        self.assertEqual(kills, KILLS, "the queue emptied before every kill: raise N")

        statuses = {r[0]: r[1] for r in h.sql("SELECT status, count(*) FROM emails GROUP BY status")}
        self.assertEqual(statuses, {"sent": N})
        ids = {r[0]: r[1] for r in h.sql("SELECT id, message_id FROM emails")}
        new = os.path.join(h.data, "mail", "1", "new")
        files = sorted(os.listdir(new))
        self.assertEqual(files, sorted("hail.%d" % i for i in ids))
        for name in random.sample(files, 200) + files[:5]:
            with open(os.path.join(new, name), "rb") as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            self.assertEqual(msg["Message-ID"], ids[int(name.split(".")[1])], name)
        self.assertEqual(len(set(ids.values())), N)
        sends = h.sql("SELECT email_id, count(*) FROM activities WHERE type = 'email_send'"
                      " GROUP BY email_id")
        self.assertEqual(len(sends), N)
        self.assertEqual([r for r in sends if r[1] != 1], [])
        self.assertEqual(h.sql_value("SELECT count(*) FROM activities"), N)

    @postgres_only("several nodes share one database on PostgreSQL")
    def test_two_nodes_share_the_queue(self):
        n = 1000
        a = Hail(env={"HAIL_SEND_WORKERS": "2", "HAIL_PUBLIC_URL": "https://hail.example"})
        b = None
        try:
            self.seed(a, n)
            b = Hail(env={"HAIL_SEND_WORKERS": "2", "HAIL_PUBLIC_URL": "https://hail.example"},
                     database=a.db_url)
            a.start(wait=False)
            b.start(wait=False)
            a.wait_ready()
            b.wait_ready()
            deadline = time.time() + 90
            while time.time() < deadline and a.sql_value(
                    "SELECT count(*) FROM emails WHERE status <> 'sent'") > 0:
                time.sleep(0.2)
            self.assertEqual(a.stop(), 0, a.server_log())
            self.assertEqual(b.stop(), 0, b.server_log())
            self.assertEqual(a.sql_value("SELECT count(*) FROM emails WHERE status = 'sent'"), n)
            files = []
            for node in (a, b):
                d = os.path.join(node.data, "mail", "1", "new")
                files.append(os.listdir(d) if os.path.isdir(d) else [])
            print("\ntwo nodes: %d and %d of %d emails" % (len(files[0]), len(files[1]), n))
            self.assertEqual(set(files[0]) & set(files[1]), set())  # none sent by both
            ids = {r[0] for r in a.sql("SELECT id FROM emails")}
            self.assertEqual(set(files[0]) | set(files[1]), {"hail.%d" % i for i in ids})
            self.assertGreater(min(len(files[0]), len(files[1])), 0)
            sends = a.sql("SELECT email_id FROM activities WHERE type = 'email_send'")
            self.assertEqual(sorted(r[0] for r in sends), sorted(ids))
        finally:
            if b:
                b.stop()
                shutil.rmtree(b.dir, ignore_errors=True)
            a.close()


if __name__ == "__main__":
    unittest.main()
