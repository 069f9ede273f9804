"""The IMAP poller against a real Dovecot (tests/integration/dovecot.py), on
both engines.

A channel with an IMAP inbox (folder "Replies") is polled every second:
  - what was in the folder before the first poll is read, each message once,
    in UID order, classified and matched (a reply, a bounce, one of nobody's),
    with source imap, the channel and the UID in inbound_messages; the
    channel's state is ok with its UIDVALIDITY and last UID;
  - the messages nobody had read stay unread on the server; a read one stays read;
  - a message that arrives later is read on a later poll; a kill -9 and a
    restart read nothing twice;
  - the folder recreated (a new UIDVALIDITY): the state says
    uidvalidity_changed with the reason, and the new folder is read from its
    first message;
  - an inbox that cannot be reached: the state says error with the reason.
The channel row is written with SQL and Dovecot takes any password (the
channel API and its sealed passwords have their own tests)."""
import os
import re
import time
import unittest

import dovecot
from apitest import ApiCase
from harness import Hail

USER = "rep@example.com"
T0 = int(time.time() - 3600) * 1000000


def message(headers, body):
    lines = ["%s: %s" % (k, v) for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body.replace("\n", "\r\n")).encode()


def wait_for(what, fn, timeout=30):
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


@unittest.skipIf(dovecot.available(), dovecot.available() or "")
class ImapPollTest(ApiCase):
    def setUp(self):
        self.dc = dovecot.Dovecot({USER: "secret"}, any_password=True)
        self.addCleanup(self.dc.stop)
        self.h = Hail(env={"HAIL_IMAP_POLL_SECONDS": "1"})
        self.addCleanup(lambda: ApiCase("close_checked").close_checked(self.h)
                        if self.h.proc else self.h.close())
        h = self.h
        h.admin_token()
        path = os.path.join(h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n"
                    "11,Ann,A,ann@x.example,rep@example.com\n"
                    "12,Bob,B,bob@y.example,rep@example.com\n")
        h.run("import", "people", path, check=True)
        self.ann = h.sql_value("SELECT id FROM people WHERE marketo_id = 11")
        self.bob = h.sql_value("SELECT id FROM people WHERE marketo_id = 12")
        user = h.sql_value("SELECT id FROM users WHERE email = 'admin@example.com'")
        h.sql("INSERT INTO channels (name, kind, imap_host, imap_port, imap_tls, imap_username,"
              " imap_folder, created_at, updated_at) VALUES ('rep inbox', 'smtp', '127.0.0.1', ?,"
              " 'none', ?, 'Replies', ?, ?)", self.dc.port, USER, T0, T0)
        self.channel = h.sql_value("SELECT id FROM channels WHERE name = 'rep inbox'")
        h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
              " updated_at) VALUES (?, ?, 'Rep', ?, ?, ?)", user, USER, self.channel, T0, T0)
        sender = h.sql_value("SELECT max(id) FROM senders")
        self.emails = {}
        for key, person, addr in (("ann", self.ann, "ann@x.example"), ("bob", self.bob, "bob@y.example")):
            h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, status, to_address,"
                  " to_domain, subject, body_html, sent_at, created_at, updated_at)"
                  " VALUES (?, ?, ?, ?, 'sent', ?, ?, 'Hello', '<p>Hi</p>', ?, ?, ?)",
                  person, user, sender, self.channel, addr, addr.split("@")[1], T0, T0, T0)
            eid = h.sql_value("SELECT max(id) FROM emails")
            mid = "<hail.%d.x%d@example.com>" % (eid, eid)
            h.sql("UPDATE emails SET message_id = ? WHERE id = ?", mid, eid)
            self.emails[key] = (eid, mid)

    def reply(self, n):
        eid, mid = self.emails["ann"]
        return message([("From", "ann@x.example"), ("To", USER), ("Subject", "Re: Hello"),
                        ("Message-ID", "<reply%d@x.example>" % n), ("In-Reply-To", mid)],
                       "Thanks, reply %d.\n" % n)

    def bounce(self):
        eid, mid = self.emails["bob"]
        return message([("From", "Mail Delivery System <MAILER-DAEMON@mx.y.example>"), ("To", USER),
                        ("Subject", "Mail delivery failed: returning message to sender"),
                        ("Message-ID", "<bounce1@mx.y.example>"),
                        ("X-Failed-Recipients", "bob@y.example")],
                       "This message was created automatically by mail delivery software.\n\n"
                       "A message that you sent could not be delivered to one or more of its\n"
                       "recipients. This is a permanent error. The following address(es) failed:\n\n"
                       "  bob@y.example\n    host mx.y.example [192.0.2.1]\n"
                       "    SMTP error from remote mail server after RCPT TO:<bob@y.example>:\n"
                       "    550 5.1.1 <bob@y.example>: Recipient address rejected: User unknown\n\n"
                       "------ This is a copy of the message, including all the headers. ------\n\n"
                       "From: %s\nTo: bob@y.example\nSubject: Hello\nMessage-ID: %s\n\nHi\n"
                       % (USER, mid))

    def rows(self):
        return [tuple(r) for r in self.h.sql(
            "SELECT source, channel_id, imap_uid, kind, email_id, message_id FROM inbound_messages"
            " ORDER BY id")]

    def channel_state(self):
        return tuple(self.h.sql("SELECT imap_status, imap_error, imap_uidvalidity, imap_last_uid"
                                " FROM channels WHERE id = ?", self.channel)[0])

    def test_poll(self):
        dc = self.dc
        u1 = dc.append(USER, "Replies", self.reply(1))
        u2 = dc.append(USER, "Replies", self.bounce())
        u3 = dc.append(USER, "Replies", message([("From", "x@z.example"), ("Subject", "Lunch?"),
                                                 ("Message-ID", "<other@z.example>")], "Hi\n"),
                       seen=True)
        self.assertEqual((u1, u2, u3), (1, 2, 3))
        uv = dc.uidvalidity(USER, "Replies")
        self.h.start()
        wait_for("three messages read", lambda: len(self.rows()) == 3)
        c = self.channel
        self.assertEqual(self.rows(), [
            ("imap", c, 1, "reply", self.emails["ann"][0], "<reply1@x.example>"),
            ("imap", c, 2, "bounce", self.emails["bob"][0], "<bounce1@mx.y.example>"),
            ("imap", c, 3, "other", None, "<other@z.example>")])
        wait_for("the poll recorded", lambda: self.channel_state()[3] == 3)
        self.assertEqual(self.channel_state(), ("ok", None, uv, 3))
        self.assertEqual(self.h.sql_value("SELECT status FROM emails WHERE id = ?",
                                          self.emails["bob"][0]), "bounced")
        self.assertIsNotNone(self.h.sql_value("SELECT replied_at FROM emails WHERE id = ?",
                                              self.emails["ann"][0]))
        # unread stays unread, read stays read
        self.assertNotIn("\\Seen", dc.flags(USER, "Replies", 1))
        self.assertNotIn("\\Seen", dc.flags(USER, "Replies", 2))
        self.assertIn("\\Seen", dc.flags(USER, "Replies", 3))

        # later mail is read later; a kill -9 and a restart read nothing twice
        dc.append(USER, "Replies", self.reply(2))
        wait_for("the fourth message", lambda: len(self.rows()) == 4)
        self.h.kill9()
        # the dead node's lease would run out in two minutes: let it run out now
        self.h.sql("UPDATE channels SET lease_until = 1 WHERE id = ?", c)
        dc.append(USER, "Replies", self.reply(3))
        self.h.start()
        wait_for("the fifth message", lambda: len(self.rows()) == 5)
        time.sleep(2.5)  # two more polls
        self.assertEqual([r[2] for r in self.rows()], [1, 2, 3, 4, 5])
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM activities WHERE type = 'email_reply'"), 3)

        # the folder recreated: a new UIDVALIDITY, read from its first message
        dc.recreate(USER, "Replies")
        dc.append(USER, "Replies", self.reply(4))
        uv2 = dc.uidvalidity(USER, "Replies")
        self.assertNotEqual(uv2, uv)
        wait_for("the recreated folder's message", lambda: len(self.rows()) == 6)
        self.assertEqual(self.rows()[5], ("imap", c, 1, "reply", self.emails["ann"][0],
                                          "<reply4@x.example>"))
        state = wait_for("the new UIDVALIDITY recorded",
                         lambda: self.channel_state()[2] == uv2 and self.channel_state())
        self.assertEqual(state, ("uidvalidity_changed",
                                 "the UIDVALIDITY of Replies changed from %d to %d: its messages"
                                 " were read again from the first" % (uv, uv2), uv2, 1))

    def test_unreachable_inbox(self):
        self.dc.stop_server()
        self.h.start()
        state = wait_for("the error recorded", lambda: self.channel_state()[0] and self.channel_state())
        # curl's words, with its timing: "after 0 ms"
        self.assertEqual(state[0], "error", state)
        self.assertTrue(re.fullmatch(r"IMAP server 127\.0\.0\.1:(\d+): Failed to connect to"
                                     r" 127\.0\.0\.1 port \1 after \d+ ms: Couldn't connect to"
                                     r" server", state[1]), state)
        self.assertEqual(state[1].split(":")[1], "%d" % self.dc.port)
        self.assertEqual(self.rows(), [])


if __name__ == "__main__":
    unittest.main()
