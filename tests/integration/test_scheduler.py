"""The campaign scheduler in a running server on the test clock
(HAIL_CLOCK_FILE), moved through days: each due step runs once at its time
and its email goes out through the send queue on the maildir channel; a
follow-up carries In-Reply-To / References of the first email, a "Re:"
subject and the quoted body; a reply (POST /api/v1/inbound) ends the person's
campaign with success and cancels their queued email; an out-of-office answer
with a return date pauses them until the day after it and they resume with
their spacing; a bounce removes; the one-click unsubscribe link ends; a call
step makes a task for the owner and the person waits on it for days."""
import json
import time
import unittest

from apitest import ApiCase
from schedfix import ClockHail, add_campaign, add_members, maildir, seed_rep, us, wait_for

TOKEN = "inbound-secret-0123456789abcdef"


def message(headers, body):
    lines = ["%s: %s" % (k, v) for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


class SchedulerDaysTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = h = ClockHail("2027-03-01T08:00:00Z",  # a Monday
                              env={"HAIL_INBOUND_TOKEN": TOKEN, "HAIL_SEND_WORKERS": "1"})
        cls.uid, cls.sender, cls.tmpl, ids = seed_rep(
            h, [(1, "Ann", "ann@a.example"), (2, "Bob", "bob@b.example"),
                (3, "Cat", "cat@c.example"), (4, "Dan", "dan@d.example"),
                (5, "Eve", "eve@e.example")])
        cls.people = {name: ids[n] for n, name in enumerate(["ann", "bob", "cat", "dan", "eve"], 1)}
        cls.campaign = add_campaign(
            h, cls.uid, [(1, "auto_email", cls.tmpl, "fixed", "09:00", 0),
                         (2, "auto_email", cls.tmpl, "same_as_previous", None, 1),
                         (3, "call", None, None, None, 0),
                         (5, "auto_email", cls.tmpl, "fixed", "09:00", 0)],
            reply_is_success=1)
        members = add_members(h, cls.campaign, cls.people.values(), us("2027-03-01T08:00:00Z"),
                              us("2027-03-01T09:00:00Z"))
        cls.members = {name: members[pid] for name, pid in cls.people.items()}
        h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def member(self, name):
        r = self.h.sql("SELECT status, step_position, next_due_at, end_reason, success,"
                       " pause_reason, waiting_task_id FROM campaign_members WHERE id = ?",
                       self.members[name])[0]
        return tuple(r)

    def emails(self, name):
        return self.h.sql("SELECT id, campaign_step, status, subject, message_id FROM emails"
                          " WHERE campaign_member_id = ? ORDER BY id", self.members[name])

    def sent_count(self):
        return self.h.sql_value("SELECT count(*) FROM emails WHERE sent_at IS NOT NULL")

    def inbound(self, raw):
        r = self.h.request("POST", "/api/v1/inbound", raw=raw, token=TOKEN,
                           headers={"Content-Type": "message/rfc822"})
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_days(self):
        h = self.h
        # Before 09:00 nothing runs.
        h.set_clock("2027-03-01T08:59:00Z")
        time.sleep(1.5)
        self.assertEqual(h.sql_value("SELECT count(*) FROM emails"), 0)

        # 09:00: the day-1 email of each, once, sent on the maildir channel.
        h.set_clock("2027-03-01T09:00:00Z")
        wait_for("5 sent", lambda: self.sent_count() == 5, h=h)
        files = maildir(h)
        self.assertEqual(len(files), 5)
        first = {}
        for name in self.people:
            rows = self.emails(name)
            self.assertEqual([(r[1], r[2], r[3]) for r in rows],
                             [(0, "sent", "Hello " + name.capitalize())])
            first[name] = rows[0]
            msg = files[rows[0][0]]
            self.assertEqual(msg["Message-ID"], rows[0][4])
            self.assertIsNone(msg["In-Reply-To"])
            self.assertEqual(self.member(name)[:3], ("active", 1, us("2027-03-02T09:00:00Z")))
        # Send activities carry the campaign.
        attrs = h.sql("SELECT attrs FROM activities WHERE type = 'email_send' AND email_id = ?",
                      first["eve"][0])[0][0]
        a = json.loads(attrs)
        self.assertEqual((a["campaign_id"], a["campaign_name"], a["campaign_url"]),
                         (self.campaign, "Spring",
                          "https://hail.example/campaigns/%d" % self.campaign))

        # Ann replies: her campaign ends, a success.
        h.set_clock("2027-03-01T10:00:00Z")
        self.inbound(message([("From", "ann@a.example"), ("To", "rita@sales.example.com"),
                              ("Subject", "Re: Hello Ann"), ("Message-ID", "<r1@a.example>"),
                              ("In-Reply-To", first["ann"][4])], "Call me.\n"))
        self.assertEqual(self.member("ann")[:5], ("replied", 1, None, "replied", 1))
        # Bob's address bounces: removed.
        body = ("--b\nContent-Type: text/plain\n\nUndeliverable.\n\n--b\nContent-Type:"
                " message/delivery-status\n\nReporting-MTA: dns; mx.b.example\n\nFinal-Recipient:"
                " rfc822; bob@b.example\nAction: failed\nStatus: 5.1.1\n\n--b\nContent-Type:"
                " text/rfc822-headers\n\nMessage-ID: %s\n\n--b--\n" % first["bob"][4])
        self.inbound(message([("From", "MAILER-DAEMON@mx.b.example"), ("To", "rita@sales.example.com"),
                              ("Subject", "Undelivered Mail Returned to Sender"),
                              ("Message-ID", "<b1@mx.b.example>"), ("MIME-Version", "1.0"),
                              ("Content-Type", "multipart/report; report-type=delivery-status;"
                                               " boundary=\"b\"")], body))
        self.assertEqual(self.member("bob")[:4], ("bounced", 1, None, "bounced"))
        # Cat is out of the office until Wednesday the 3rd: paused until the 4th.
        r = self.inbound(message([("From", "cat@c.example"), ("To", "rita@sales.example.com"),
                                  ("Subject", "Automatic reply: Hello Cat"),
                                  ("Message-ID", "<a1@c.example>"), ("In-Reply-To", first["cat"][4]),
                                  ("Auto-Submitted", "auto-replied"),
                                  ("Date", "Mon, 01 Mar 2027 10:00:00 +0000")],
                                 "I am out of the office until March 3rd and will reply on my"
                                 " return.\n"))
        self.assertEqual((r["kind"], r["return_date"]), ("autoreply", "2027-03-03"))
        self.assertEqual(self.member("cat")[:6],
                         ("paused", 1, us("2027-03-04T00:00:00Z"), None, 0, "out_of_office"))
        # Dan unsubscribes by the one-click link of the email he got.
        link = files[first["dan"][0]]["List-Unsubscribe"].strip("<>")
        self.assertTrue(link.startswith("https://hail.example/u/"), link)
        r = h.request("POST", link[len("https://hail.example"):], raw=b"List-Unsubscribe=One-Click",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.member("dan")[:4], ("unsubscribed", 1, None, "unsubscribed"))

        # Tuesday 09:00: only Eve gets the day-2 follow-up, threaded.
        h.set_clock("2027-03-02T09:00:00Z")
        wait_for("the follow-up sent", lambda: self.sent_count() == 6, h=h)
        rows = self.emails("eve")
        self.assertEqual([(r[1], r[2], r[3]) for r in rows],
                         [(0, "sent", "Hello Eve"), (1, "sent", "Re: Hello Eve")])
        msg = maildir(h)[rows[1][0]]
        self.assertEqual(msg["In-Reply-To"], rows[0][4])
        self.assertEqual(msg["References"], rows[0][4])
        self.assertEqual(msg["Subject"], "Re: Hello Eve")
        html = msg.get_body(("html",)).get_content()
        self.assertIn("<p>On 2027-03-01, Rita Rep &lt;rita@sales.example.com&gt; wrote:</p>"
                      "<blockquote type=\"cite\"><p>Hi Eve, see", html)
        for name in ("ann", "bob", "cat", "dan"):
            self.assertEqual(len(self.emails(name)), 1, name)
        self.assertEqual(self.member("eve")[:3], ("active", 2, us("2027-03-03T09:00:00Z")))

        # Wednesday 09:00: Eve's call becomes a task for Rita; Eve waits on it.
        h.set_clock("2027-03-03T09:00:00Z")
        task = wait_for("the call task", lambda: self.member("eve")[6], h=h)
        self.assertEqual(tuple(h.sql("SELECT type, name, status, assignee_id, person_id, due_at,"
                                     " campaign_id, step_position FROM tasks WHERE id = ?",
                                     task)[0]),
                         ("call", "Call", "open", self.uid, self.people["eve"],
                          us("2027-03-03T09:00:00Z"), self.campaign, 2))
        self.assertEqual(self.member("eve")[:3], ("active", 2, None))

        # Thursday: Cat is back (paused Monday, her follow-up was due Tuesday
        # 09:00): it moves by the 3 days she was away, to Friday 09:00.
        h.set_clock("2027-03-04T00:00:01Z")
        wait_for("Cat resumed", lambda: self.member("cat")[0] == "active", h=h)
        self.assertEqual(self.member("cat")[:3], ("active", 1, us("2027-03-05T09:00:00Z")))
        h.set_clock("2027-03-05T09:00:00Z")
        wait_for("Cat's follow-up", lambda: self.sent_count() == 7, h=h)
        self.assertEqual([r[3] for r in self.emails("cat")], ["Hello Cat", "Re: Hello Cat"])

        # A week on, Eve still waits on her task: nothing more for her.
        h.set_clock("2027-03-10T09:00:00Z")
        time.sleep(1.5)
        self.assertEqual(len(self.emails("eve")), 2)
        self.assertEqual(self.member("eve")[:3], ("active", 2, None))
        # Every email once.
        self.assertEqual(h.sql("SELECT campaign_member_id, campaign_step, count(*) FROM emails"
                               " GROUP BY campaign_member_id, campaign_step HAVING count(*) > 1"), [])


if __name__ == "__main__":
    unittest.main()
