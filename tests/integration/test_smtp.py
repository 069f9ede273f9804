"""SMTP delivery against real servers on loopback (tests/integration/peers.py):
Postfix's smtp-sink for plain delivery and for refusals (a 5xx fails for
good with the server's own words, a 4xx or an unreachable server is for
later), and a real Postfix with STARTTLS (a test certificate trusted through
HAIL_CA_FILE) and AUTH (Postfix SASL through Dovecot's auth socket). hail
delivers through POST /api/v1/channels/{id}/test, the channel's own
delivery code (mail/channel.c through net/outbound), and records the
server's state in the channel's status. Passwords appear in no reply and no
log line. Both engines."""
import email
import email.policy
import os
import re
import time

import dovecot
import harness
import peers
from apitest import ApiCase, DataTemplate

TEMPLATE = None
SMTP_PW = "postfix-s3cret"


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(lambda h: {"admin": h.admin_token()})


def tearDownModule():
    TEMPLATE.close()


class SmtpCase(ApiCase):
    env = None

    def setUp(self):
        self.peers = []
        self.h = TEMPLATE.new()
        self.admin = TEMPLATE.values["admin"]
        self.bodies = []

    def start(self, env=None):
        self.h.start(env=env)

    def tearDown(self):
        try:
            for b in self.bodies:
                self.assertNotIn(SMTP_PW, b)
            if self.h.proc is not None:
                self.assertNotIn(SMTP_PW, self.h.server_log())
            self.close_checked(self.h)
        finally:
            for p in self.peers:
                p.close()

    def peer(self, p):
        self.peers.append(p)
        return p

    def req(self, method, path, body=None):
        r = self.h.request(method, path, body, token=self.admin, timeout=120)
        self.bodies.append(r.body)
        return r

    def channel(self, **smtp):
        r = self.req("POST", "/api/v1/channels", {"name": "relay", "kind": "smtp", "smtp": smtp})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def send_test(self, cid, to="bob@example.org", sender="ann@example.com"):
        r = self.req("POST", "/api/v1/channels/%d/test" % cid, {"to": to, "from": sender})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"delivered", "transient", "reply", "message_id", "error"})
        self.assertTrue(re.fullmatch(r"<hail\.test\.[0-9a-f]{16}@example\.com>",
                                     r.json["message_id"]), r.json)
        return r.json

    def smtp_status(self, cid):
        return self.req("GET", "/api/v1/channels/%d" % cid).json["status"]["smtp"]


class SinkTest(SmtpCase):
    def test_plain_delivery(self):
        sink = self.peer(peers.SmtpSink())
        self.start()
        cid = self.channel(host="127.0.0.1", port=sink.port, tls="none")
        self.assertEqual(self.smtp_status(cid)["state"], "never")
        res = self.send_test(cid)
        self.assertTrue(res["delivered"], res)
        self.assertFalse(res["transient"])
        self.assertIsNone(res["error"])
        self.assertEqual(res["reply"], "250 2.0.0 Ok")  # smtp-sink's answer to DATA
        msgs = sink.wait_messages(1)
        self.assertEqual(len(msgs), 1)
        m = msgs[0]
        self.assertIn("X-Mail-Args: <ann@example.com>\n", m)
        self.assertIn("X-Rcpt-Args: <bob@example.org>\n", m)
        # smtp-sink stores lines with LF ends.
        self.assertIn("\nFrom: <ann@example.com>\nTo: <bob@example.org>\n"
                      "Subject: hail test message\n", m)
        self.assertIn("\nMessage-ID: %s\n" % res["message_id"], m)
        self.assertIn("\n\nThis is a test message from hail: delivery channel %d works.\n" % cid,
                      m)
        st = self.smtp_status(cid)
        self.assertEqual((st["state"], st["error"]), ("ok", None))
        self.assertTrue(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", st["checked_at"]))
        # The connection is kept for the next message.
        self.assertTrue(self.send_test(cid, to="carol@example.org")["delivered"])
        self.assertEqual(len(sink.wait_messages(2)), 2)

    def test_hard_refusal_keeps_the_reply(self):
        reply = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown"
        sink = self.peer(peers.SmtpSink(hard=["RCPT"], hard_reply=reply))
        self.start()
        cid = self.channel(host="127.0.0.1", port=sink.port, tls="none")
        res = self.send_test(cid)
        self.assertEqual(res["delivered"], False)
        self.assertEqual(res["transient"], False)
        self.assertEqual(res["error"], "SMTP server 127.0.0.1:%d: %s" % (sink.port, reply))
        self.assertEqual(sink.messages(), [])
        # The server answered: it works, the recipient was refused.
        self.assertEqual(self.smtp_status(cid)["state"], "ok")

    def test_soft_refusal_is_for_later(self):
        reply = "451 4.3.0 Greylisted, try again in 5 minutes"
        sink = self.peer(peers.SmtpSink(soft=["MAIL"], soft_reply=reply))
        self.start()
        cid = self.channel(host="127.0.0.1", port=sink.port, tls="none")
        res = self.send_test(cid)
        self.assertEqual((res["delivered"], res["transient"]), (False, True))
        self.assertEqual(res["error"], "SMTP server 127.0.0.1:%d: %s" % (sink.port, reply))
        self.assertEqual(sink.messages(), [])

    def test_unreachable_is_for_later_and_shown(self):
        port = peers.free_port()  # nothing listens there
        self.start()
        cid = self.channel(host="127.0.0.1", port=port, tls="none")
        res = self.send_test(cid)
        self.assertEqual((res["delivered"], res["transient"]), (False, True))
        want = re.compile(r"SMTP server 127\.0\.0\.1:%d: Failed to connect to 127\.0\.0\.1 port "
                          r"%d after \d+ ms: Couldn't connect to server" % (port, port))
        self.assertTrue(want.fullmatch(res["error"]), res)
        st = self.smtp_status(cid)
        self.assertEqual(st["state"], "error")
        self.assertEqual(st["error"], res["error"])

    def test_maildir_needs_no_test(self):
        self.start()
        self.assertError(self.req("POST", "/api/v1/channels/1/test", {"to": "a@example.com"}),
                         400, "bad_request", "a maildir channel needs no test: it writes files")
        self.assertError(self.req("POST", "/api/v1/channels/9/test", {"to": "a@example.com"}),
                         404, "not_found", "no channel with id 9")


class PostfixTest(SmtpCase):
    """One Postfix for the class (it takes seconds to start and stop)."""

    @classmethod
    def setUpClass(cls):
        cls.pf = peers.Postfix(user="ann@example.com", password=SMTP_PW)

    @classmethod
    def tearDownClass(cls):
        cls.pf.close()

    def relayed(self, message_id):
        """What Postfix relayed to its sink of the message with this Message-ID."""
        return [m for m in self.pf.sink.messages() if "Message-ID: %s" % message_id in m]

    def test_starttls_and_auth(self):
        self.start({"HAIL_CA_FILE": self.pf.cert})
        cid = self.channel(host="127.0.0.1", port=self.pf.port, tls="starttls",
                           username="ann@example.com", password=SMTP_PW)
        res = self.send_test(cid)
        self.assertTrue(res["delivered"], (res, self.pf.logs()))
        self.assertTrue(res["reply"].startswith("250 2.0.0 Ok: queued as "), res)
        deadline = time.time() + 20
        while not self.relayed(res["message_id"]) and time.time() < deadline:
            time.sleep(0.05)
        m = self.relayed(res["message_id"])
        self.assertEqual(len(m), 1, self.pf.logs())
        # Postfix took it over TLS, authenticated (ESMTPSA), as ann.
        self.assertRegex(m[0], r"by postfix\.hail-test \(Postfix\) with ESMTPSA")
        # Postfix's log is written by its postlogd a moment later.
        deadline = time.time() + 10
        while "sasl_username=ann@example.com" not in self.pf.logs() and time.time() < deadline:
            time.sleep(0.05)
        self.assertIn("sasl_method=PLAIN, sasl_username=ann@example.com", self.pf.logs())

    def test_wrong_password(self):
        self.start({"HAIL_CA_FILE": self.pf.cert})
        cid = self.channel(host="127.0.0.1", port=self.pf.port, tls="starttls",
                           username="ann@example.com", password="not-" + SMTP_PW)
        res = self.send_test(cid)
        self.assertEqual((res["delivered"], res["transient"]), (False, False))
        self.assertEqual(res["error"], "SMTP server 127.0.0.1:%d: 535 5.7.8 Error: authentication "
                                       "failed: (reason unavailable)" % self.pf.port)
        self.assertNotIn("not-" + SMTP_PW, self.h.server_log())
        self.assertEqual(self.relayed(res["message_id"]), [])
        st = self.smtp_status(cid)
        self.assertEqual((st["state"], st["error"]), ("error", res["error"]))

    def test_untrusted_certificate_refused(self):
        self.start()  # no HAIL_CA_FILE: the test certificate is not trusted
        cid = self.channel(host="127.0.0.1", port=self.pf.port, tls="starttls",
                           username="ann@example.com", password=SMTP_PW)
        res = self.send_test(cid)
        self.assertEqual((res["delivered"], res["transient"]), (False, False))
        self.assertEqual(res["error"], "SMTP server 127.0.0.1:%d: SSL certificate problem: "
                                       "self-signed certificate" % self.pf.port)
        self.assertEqual(self.smtp_status(cid)["state"], "error")
        self.assertEqual(self.relayed(res["message_id"]), [])


class PeopleCase(SmtpCase):
    """Three people, and helpers for senders and emails."""

    def setUp(self):
        super().setUp()
        path = os.path.join(self.h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n")
            for i in range(1, 4):
                f.write("%d,P%d,Lee,p%d@customer.example,admin@example.com\n" % (i, i, i))
        self.h.run("import", "people", path, check=True)
        self.people = [self.h.sql_value("SELECT id FROM people WHERE marketo_id = ?", i)
                       for i in range(1, 4)]

    def sender(self, cid):
        r = self.req("POST", "/api/v1/senders", {"address": "ann@sales.example",
                                                 "display_name": "Ann Sales", "channel_id": cid})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def compose(self, sid, person, **kw):
        body = {"person_id": person, "sender_id": sid, "subject": "Hello",
                "body_html": "<p>Hi, see <a href=\"https://example.com/x\">this</a>.</p>"}
        body.update(kw)
        r = self.req("POST", "/api/v1/emails", body)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def wait_email(self, eid, status, timeout=30):
        deadline = time.time() + timeout
        while True:
            e = self.req("GET", "/api/v1/emails/%d" % eid).json
            if e["status"] == status or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(e["status"], status, e)
        return e



class QueueTest(PeopleCase):
    """The send queue (mail/send.c) delivering through an smtp channel."""

    def test_sent_through_smtp(self):
        sink = self.peer(peers.SmtpSink())
        self.start()
        cid = self.channel(host="127.0.0.1", port=sink.port, tls="none")
        sid = self.sender(cid)
        eid = self.compose(sid, self.people[0], cc=["cc@customer.example"],
                           bcc=["hidden@customer.example"])
        e = self.wait_email(eid, "sent")
        self.assertEqual(e["smtp_reply"], "250 2.0.0 Ok")
        m = sink.wait_messages(1)
        self.assertEqual(len(m), 1)
        head, _, data = m[0].partition("Received: ")
        self.assertIn("X-Mail-Args: <ann@sales.example>\n", head)
        # Envelope: to, cc and bcc; the Bcc is in no header.
        self.assertEqual(re.findall(r"X-Rcpt-Args: <([^>]+)>", head),
                         ["p1@customer.example", "cc@customer.example", "hidden@customer.example"])
        msg = email.message_from_string("Received: " + data, policy=email.policy.default)
        self.assertEqual(msg["Message-ID"], e["message_id"])
        self.assertEqual(str(msg["To"]), "P1 Lee <p1@customer.example>")
        self.assertIsNone(msg["Bcc"])
        self.assertEqual(self.smtp_status(cid)["state"], "ok")

    def test_refused_for_good_and_for_later(self):
        reply = "554 5.7.1 <p1@customer.example>: Relay access denied"
        hard = self.peer(peers.SmtpSink(hard=["RCPT"], hard_reply=reply))
        soft_reply = "452 4.2.2 Mailbox full, try later"
        soft = self.peer(peers.SmtpSink(soft=["RCPT"], soft_reply=soft_reply))
        self.start()
        s_hard = self.sender(self.channel(host="127.0.0.1", port=hard.port, tls="none"))
        r = self.req("POST", "/api/v1/channels", {"name": "soft", "kind": "smtp", "smtp": {
            "host": "127.0.0.1", "port": soft.port, "tls": "none"}})
        r2 = self.req("POST", "/api/v1/senders", {"address": "ann@soft.example",
                                                  "display_name": "Ann", "channel_id": r.json["id"]})
        e = self.wait_email(self.compose(s_hard, self.people[0]), "failed")
        self.assertEqual((e["failed_reason"], e["smtp_reply"]), ("rejected", reply))
        # A 4xx: not failed, held for a retry with the reply kept.
        eid = self.compose(r2.json["id"], self.people[1])
        deadline = time.time() + 20
        while time.time() < deadline:
            e = self.req("GET", "/api/v1/emails/%d" % eid).json
            if e["smtp_reply"]:
                break
            time.sleep(0.1)
        self.assertEqual((e["status"], e["smtp_reply"]), ("scheduled", soft_reply), e)
        self.assertEqual(hard.messages() + soft.messages(), [])

    def test_throttle_holds_mail(self):
        sink = self.peer(peers.SmtpSink())
        self.start()
        r = self.req("POST", "/api/v1/channels", {
            "name": "slow", "kind": "smtp",
            "smtp": {"host": "127.0.0.1", "port": sink.port, "tls": "none"},
            "throttles": {"per_minute": 2}})
        sid = self.sender(r.json["id"])
        ids = [self.compose(sid, p) for p in self.people]
        for eid in ids[:2]:
            self.wait_email(eid, "sent")
        time.sleep(1.5)
        # The third waits for the first to be a minute old: held, not failed.
        e = self.req("GET", "/api/v1/emails/%d" % ids[2]).json
        self.assertEqual((e["status"], e["failed_reason"]), ("scheduled", None), e)
        self.assertEqual(len(sink.messages()), 2)


class ReconcileTest(PeopleCase):
    """Emails left `sending` by a sender that died: an smtp channel with an
    inbox looks for the Message-ID in its Sent folder (a real Dovecot); one
    without cannot tell and fails the email as `uncertain`. Never sent twice."""

    def test_reconcile_by_sent_folder(self):
        why = dovecot.available()
        if why:
            self.skipTest(why)
        imap = dovecot.Dovecot({"ann@sales.example": "imap-" + SMTP_PW})
        self.peers.append(type("P", (), {"close": lambda _: imap.stop()})())
        sink = self.peer(peers.SmtpSink())
        self.start()
        with_inbox = self.channel(host="127.0.0.1", port=sink.port, tls="none")
        r = self.req("PATCH", "/api/v1/channels/%d" % with_inbox, {"imap": {
            "host": "127.0.0.1", "port": imap.port, "tls": "none",
            "username": "ann@sales.example", "password": "imap-" + SMTP_PW,
            "sent_folder": "Sent"}})
        self.assertEqual(r.status, 200, r)
        r = self.req("POST", "/api/v1/channels", {"name": "no inbox", "kind": "smtp", "smtp": {
            "host": "127.0.0.1", "port": sink.port, "tls": "none"}})
        s1 = self.sender(with_inbox)
        r2 = self.req("POST", "/api/v1/senders", {"address": "bob@sales.example",
                                                  "display_name": "Bob", "channel_id": r.json["id"]})
        found, lost = (self.compose(s1, p, draft=True) for p in self.people[:2])
        unknown = self.compose(r2.json["id"], self.people[2], draft=True)
        self.h.stop()
        mids = {}
        for eid in (found, lost, unknown):
            mids[eid] = "<hail.%d.00000000000000%02d@sales.example>" % (eid, eid)
            self.h.sql("UPDATE emails SET status = 'sending', message_id = ?,"
                       " lease_owner = 'snd.1.1.000001@gone.example', lease_until = 0"
                       " WHERE id = ?", mids[eid], eid)
        # Only the first went out before the crash: the server kept it in Sent.
        imap.append("ann@sales.example", "Sent",
                    ("From: ann@sales.example\r\nTo: p1@customer.example\r\nSubject: Hello\r\n"
                     "Message-ID: %s\r\n\r\nHi\r\n" % mids[found]).encode())
        self.start()
        self.assertIsNone(self.wait_email(found, "sent")["failed_reason"])
        self.wait_email(lost, "sent")
        e = self.wait_email(unknown, "failed")
        self.assertEqual(e["failed_reason"], "uncertain")
        # The one not in Sent went out once more, the others not at all.
        time.sleep(0.5)
        got = [re.search(r"^Message-I[dD]: (<[^>]+>)", m, re.M) for m in sink.messages()]
        self.assertEqual([g.group(1) for g in got if g], [mids[lost]])


if __name__ == "__main__":
    harness.main()
