"""Tracking over real HTTP: the open pixel and the click redirect record one
activity each (human or machine, with the reason) and move the email's
counters before the reply; a click goes only to a link of that email; bad or
forged tokens are a 404 and record nothing; the sender's own view and an
email not sent yet are not counted; every hit that got its reply survives
kill -9. Emails are inserted with h.sql() (mailfix.py)."""
import email
import email.policy
import http.client
import json
import os
import re
import threading
import time
import urllib.parse

import harness
import mailfix
from apitest import ApiCase
from harness import Hail
from mailfix import FIREFOX, GIF

NO_LINK = {"error": {"code": "not_found", "message": "no such link"}}


class TrackingCase(ApiCase):
    def setUp(self):
        self.h = Hail()
        self.h.add_user("rep@example.com", "Rep", "rep", password="correct horse battery")
        self.h.start()
        self.m = mailfix.Mail(self.h, "rep@example.com")
        self.k = mailfix.key(self.h)

    def tearDown(self):
        self.close_checked(self.h)

    def hit(self, method, path, ua=FIREFOX, headers=None):
        hd = dict(headers or {})
        if ua is not None:
            hd["User-Agent"] = ua
        c = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=30)
        try:
            c.request(method, path, headers=hd)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def open_(self, email_id, **kw):
        return self.hit(kw.pop("method", "GET"), "/t/o/" + mailfix.token(self.k, "o", email_id), **kw)

    def click(self, email_id, link, **kw):
        return self.hit(kw.pop("method", "GET"), "/t/c/" + mailfix.token(self.k, "c", email_id, link), **kw)

    def acts(self, email_id):
        rows = self.h.sql("SELECT type, machine, attrs, person_id, user_id FROM activities"
                          " WHERE email_id = ? ORDER BY id", email_id)
        return [(r[0], bool(r[1]), json.loads(r[2]), r[3], r[4]) for r in rows]

    def counters(self, email_id):
        r = self.h.sql("SELECT opens, clicks, machine_opens, machine_clicks, first_open_at, last_open_at,"
                       " first_click_at, last_click_at FROM emails WHERE id = ?", email_id)[0]
        return tuple(r)

    def assertNoLink(self, status, headers, body):
        self.assertEqual(status, 404, body)
        self.assertEqual(headers["content-type"], "application/json")
        self.assertEqual(json.loads(body), NO_LINK)


class OpenTest(TrackingCase):
    def test_human_open_is_recorded_before_the_gif(self):
        p = self.m.person()
        e = self.m.email(p, subject="Launch")
        before = mailfix.now_us()
        status, hd, body = self.open_(e)
        self.assertEqual(status, 200)
        self.assertEqual(body, GIF)
        self.assertEqual(len(body), 43)
        self.assertEqual(hd["content-type"], "image/gif")
        self.assertEqual(hd["cache-control"], "no-store")
        acts = self.acts(e)
        self.assertEqual(acts, [("email_open", False, {
            "sent_by": "rep-%d@example.com" % self.m.user_id, "source": "hail",
            "sales_person_id": self.m.user_id, "email_subject": "Launch"}, p, self.m.user_id)])
        opens, clicks, mo, mc, first, last, _, _ = self.counters(e)
        self.assertEqual((opens, clicks, mo, mc), (1, 0, 0, 0))
        self.assertGreaterEqual(first, before)
        self.assertEqual(first, last)
        # A second open moves last_open_at, not first_open_at.
        self.assertEqual(self.open_(e)[0], 200)
        opens2, _, _, _, first2, last2, _, _ = self.counters(e)
        self.assertEqual((opens2, first2), (2, first))
        self.assertGreater(last2, last)
        # The activity shows on the person's history over the API.
        admin = self.h.admin_token()
        r = self.h.request("GET", "/api/v1/people/%d/activities?type=email_open" % p, token=admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(a["type"], a["machine"], a["email_id"]) for a in r.json["data"]],
                         [("email_open", False, e), ("email_open", False, e)])

    def test_machine_opens_are_kept_with_their_reason(self):
        e = self.m.email()
        cases = [("HEAD", FIREFOX, "head"),
                 ("GET", "Mozilla/5.0", "apple_privacy_proxy"),
                 ("GET", "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com "
                         "GoogleImageProxy)", "google_image_proxy"),
                 ("GET", "python-requests/2.31", "scanner_user_agent"),
                 ("GET", None, "scanner_user_agent")]
        for method, ua, _ in cases:
            status, hd, body = self.open_(e, method=method, ua=ua)
            self.assertEqual(status, 200, (method, ua))
            self.assertEqual(hd["content-length"], "43")
            self.assertEqual(body, b"" if method == "HEAD" else GIF)
        acts = self.acts(e)
        self.assertEqual([(a[0], a[1], a[2]["machine_reason"]) for a in acts],
                         [("email_open", True, why) for _, _, why in cases])
        opens, clicks, mo, mc, first, last, _, _ = self.counters(e)
        self.assertEqual((opens, clicks, mo, mc, first, last), (0, 0, 5, 0, None, None))

    def test_own_view_and_unsent_email_are_not_counted(self):
        cookie, _ = self.session(self.h, "rep@example.com", "correct horse battery")
        e = self.m.email()
        status, _, body = self.open_(e, headers={"Cookie": "hail_session=" + cookie})
        self.assertEqual((status, body), (200, GIF))
        draft = self.m.email(status="draft", links=["https://example.com/x"])
        self.assertEqual(self.open_(draft)[:1], (200,))
        status, hd, _ = self.click(draft, 0)
        self.assertEqual((status, hd["location"]), (302, "https://example.com/x"))
        self.assertEqual(self.acts(e) + self.acts(draft), [])
        self.assertEqual(self.counters(e)[:4], (0, 0, 0, 0))
        # Another user's session is a recipient like any other.
        self.h.add_user("other@example.com", "Other", "rep", password="correct horse battery")
        other, _ = self.session(self.h, "other@example.com", "correct horse battery")
        self.assertEqual(self.open_(e, headers={"Cookie": "hail_session=" + other})[0], 200)
        self.assertEqual([a[:2] for a in self.acts(e)], [("email_open", False)])


class ClickTest(TrackingCase):
    LINKS = ["https://example.com/pricing?a=1&b=2", "https://example.com/blog", "mailto:x@example.com"]

    def test_click_redirects_to_the_emails_link_only(self):
        e = self.m.email(links=self.LINKS)
        self.assertEqual(self.open_(e)[0], 200)
        status, hd, body = self.click(e, 0)
        self.assertEqual(status, 302)
        self.assertEqual(hd["location"], self.LINKS[0])
        self.assertEqual(hd["cache-control"], "no-store")
        self.assertEqual(body, b"")
        acts = self.acts(e)
        self.assertEqual([(a[0], a[1]) for a in acts], [("email_open", False), ("email_click", False)])
        self.assertEqual(acts[1][2]["link"], self.LINKS[0])
        self.assertNotIn("machine_reason", acts[1][2])
        opens, clicks, mo, mc, _, _, fc, lc = self.counters(e)
        self.assertEqual((opens, clicks, mo, mc), (1, 1, 0, 0))
        self.assertEqual(fc, lc)
        # A link index the email does not have: a valid token, still nothing to follow.
        self.assertNoLink(*self.click(e, 3))
        self.assertNoLink(*self.click(e, 65535))
        self.assertEqual(len(self.acts(e)), 2)
        # Links no Location header may carry are not followed.
        bad = self.m.email(links=["javascript:alert(1)", "https://example.com/\r\nSet-Cookie: x=1",
                                  "DATA:text/html,hi", ""])
        self.open_(bad)
        for i in range(4):
            self.assertNoLink(*self.click(bad, i))
        self.assertEqual([a[0] for a in self.acts(bad)], ["email_open"])

    def test_scanner_clicks_are_machine(self):
        # no open before the click
        e1 = self.m.email(links=self.LINKS)
        self.assertEqual(self.click(e1, 1)[0], 302)
        # within seconds of delivery
        e2 = self.m.email(links=self.LINKS, sent_ago_s=1)
        self.open_(e2)
        self.assertEqual(self.click(e2, 0)[0], 302)
        # every link in a burst: the click that completes it
        e3 = self.m.email(links=self.LINKS)
        self.open_(e3)
        for i in range(3):
            self.assertEqual(self.click(e3, i)[0], 302)
        # HEAD and a scanner's agent
        e4 = self.m.email(links=self.LINKS)
        self.open_(e4)
        status, hd, _ = self.click(e4, 1, method="HEAD")
        self.assertEqual((status, hd["location"]), (302, self.LINKS[1]))
        self.assertEqual(self.click(e4, 1, ua="Mimecast URL Protect")[0], 302)

        def clicks(e):
            return [(a[1], a[2].get("machine_reason")) for a in self.acts(e) if a[0] == "email_click"]
        self.assertEqual(clicks(e1), [(True, "click_without_open")])
        self.assertEqual(clicks(e2), [(True, "soon_after_delivery")])
        self.assertEqual(clicks(e3), [(False, None), (False, None), (True, "every_link_in_a_burst")])
        self.assertEqual(clicks(e4), [(True, "head"), (True, "scanner_user_agent")])
        self.assertEqual(self.counters(e3)[:4], (1, 2, 0, 1))
        self.assertEqual(self.counters(e1)[:4], (0, 0, 0, 1))


class BadTokenTest(TrackingCase):
    def test_bad_and_forged_tokens_are_404_and_record_nothing(self):
        e = self.m.email(links=["https://example.com/a"])
        good_o = mailfix.token(self.k, "o", e)
        good_c = mailfix.token(self.k, "c", e, 0)
        forged = mailfix.token(b"\x01" * 32, "o", e)
        flipped = good_o[:20] + ("A" if good_o[20] != "A" else "B") + good_o[21:]
        paths = ["/t/o/" + forged, "/t/o/" + flipped, "/t/o/" + good_c, "/t/c/" + good_o,
                 "/t/o/" + good_o[:-1], "/t/o/" + good_o + "A", "/t/o/" + "A" * 56,
                 "/t/o/" + "=" * 56, "/t/o/%00" + good_o[3:], "/t/o/x", "/t/c/" + "%C3%A9" * 28,
                 "/t/o/" + mailfix.token(self.k, "o", 999999), "/t/c/" + mailfix.token(self.k, "c", 999999, 0),
                 "/t/o/" + "A" * 5000, "/u/" + good_o]
        for p in paths:
            for method in ("GET", "HEAD"):
                status, hd, body = self.hit(method, p)
                self.assertEqual(status, 404, (method, p))
                if method == "GET":
                    self.assertEqual(json.loads(body), NO_LINK, p)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM activities"), 0)
        self.assertEqual(self.counters(e)[:4], (0, 0, 0, 0))
        # Other methods are not tracking.
        r = self.h.request("POST", "/t/o/" + good_o)
        self.assertEqual(r.status, 405, r)
        self.assertEqual(r.json, {"error": {"code": "method_not_allowed",
                                            "message": "POST is not allowed here (allowed: GET)"}})
        self.assertEqual(self.hit("GET", "/t/o/" + good_o)[0], 200)
        self.assertEqual(self.h.request("GET", "/healthz").status, 200)


class Kill9Test(TrackingCase):
    """Every hit that got its reply is in the database after kill -9."""

    def setUp(self):
        self.h = Hail()
        self.h.env.pop("HAIL_DB_SYNC", None)  # synchronous = FULL, as shipped
        self.h.add_user("rep@example.com", "Rep", "rep", password="correct horse battery")
        self.h.start()
        self.m = mailfix.Mail(self.h, "rep@example.com")
        self.k = mailfix.key(self.h)

    def test_acknowledged_hits_survive_kill9(self):
        emails = [self.m.email(links=["https://example.com/%d" % i]) for i in range(40)]
        acked = {e: 0 for e in emails}
        lock = threading.Lock()
        stop = threading.Event()

        def worker(mine):
            i = 0
            while not stop.is_set():
                e = mine[i % len(mine)]
                i += 1
                try:
                    c = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=10)
                    c.request("GET", "/t/o/" + mailfix.token(self.k, "o", e), headers={"User-Agent": FIREFOX})
                    r = c.getresponse()
                    body = r.read()
                    c.close()
                except OSError:
                    return  # the server is gone
                if r.status == 200 and body == GIF:
                    with lock:
                        acked[e] += 1
        threads = [threading.Thread(target=worker, args=(emails[i::8],)) for i in range(8)]
        for t in threads:
            t.start()
        deadline = time.time() + 30
        while sum(acked.values()) < 300 and time.time() < deadline:
            time.sleep(0.05)
        self.h.kill9()
        stop.set()
        for t in threads:
            t.join()
        total = sum(acked.values())
        self.assertGreaterEqual(total, 300)
        for e in emails:
            n = self.h.sql_value("SELECT count(*) FROM activities WHERE email_id = ? AND type = 'email_open'", e)
            opens = self.h.sql_value("SELECT opens FROM emails WHERE id = ?", e)
            self.assertGreaterEqual(n, acked[e], e)
            self.assertEqual(opens, n, e)
        # and it starts again and tracks on
        self.h.start()
        self.assertEqual(self.open_(emails[0])[0], 200)


class SentEmailTest(ApiCase):
    """The whole way over the API: an email composed and sent on the maildir
    channel, its pixel, tracked link and List-Unsubscribe one-click taken from
    the message itself; the email's summary shows the open and the click, and
    the unsubscribed person cannot be emailed again."""

    def setUp(self):
        self.h = Hail(env={"HAIL_PUBLIC_URL": "https://hail.example"})
        self.h.add_user("rep@example.com", "Rita Rep", "rep")
        self.rep = self.h.token("rep@example.com")
        path = os.path.join(self.h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n"
                    "11,Ann,Lee,ann@customer.example,rep@example.com\n")
        self.h.run("import", "people", path, check=True)
        self.person = self.h.sql_value("SELECT id FROM people WHERE marketo_id = 11")
        uid = self.h.sql_value("SELECT id FROM users WHERE email = 'rep@example.com'")
        self.h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
                   " updated_at) VALUES (?, 'rep@sales.example.com', 'Rita Rep', 1, 0, 0)", uid)
        self.sender = self.h.sql_value("SELECT id FROM senders WHERE user_id = ?", uid)
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def compose(self):
        return self.h.request("POST", "/api/v1/emails", {
            "person_id": self.person, "sender_id": self.sender, "subject": "Hello Ann",
            "body_html": '<p>See <a href="https://example.com/offer?a=1&amp;b=2">the offer</a>.</p>'},
            token=self.rep)

    def summary(self, eid):
        r = self.h.request("GET", "/api/v1/emails/%d" % eid, token=self.rep)
        self.assertEqual(r.status, 200, r)
        return r.json

    def hit(self, method, url, body=None, ctype=None):
        u = urllib.parse.urlsplit(url)
        self.assertEqual(u.netloc, "hail.example", url)
        c = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=30)
        try:
            hd = {"User-Agent": FIREFOX}
            if ctype:
                hd["Content-Type"] = ctype
            c.request(method, u.path, body=body, headers=hd)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            c.close()

    def test_open_click_and_one_click_unsubscribe_of_a_sent_email(self):
        r = self.compose()
        self.assertEqual(r.status, 201, r)
        eid = r.json["id"]
        deadline = time.time() + 20
        while self.summary(eid)["status"] != "sent" and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.summary(eid)["status"], "sent")
        with open(os.path.join(self.h.data, "mail", "1", "new", "hail.%d" % eid), "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        html = msg.get_body(("html",)).get_content()
        pixel = re.search(r'<img src="(https://hail\.example/t/o/[^"]+)"', html).group(1)
        link = re.search(r'<a href="(https://hail\.example/t/c/[^"]+)">the offer</a>', html).group(1)
        unsub = re.fullmatch(r"<(https://hail\.example/u/[^>]+)>", msg["List-Unsubscribe"]).group(1)

        # An hour later (a click within seconds of delivery is a scanner's).
        self.h.sql("UPDATE emails SET sent_at = sent_at - 3600000000 WHERE id = ?", eid)
        status, _, body = self.hit("GET", pixel)
        self.assertEqual((status, body), (200, GIF))
        status, hd, _ = self.hit("GET", link)
        self.assertEqual((status, hd["location"]), (302, "https://example.com/offer?a=1&b=2"))
        s = self.summary(eid)
        self.assertEqual((s["opened"]["count"], s["clicked"]["count"], s["machine_opens"],
                          s["machine_clicks"]), (1, 1, 0, 0))
        self.assertEqual([(a["type"], a["machine"]) for a in s["events"]],
                         [("email_send", False), ("email_open", False), ("email_click", False)])
        self.assertEqual(s["events"][2]["attrs"]["link"], "https://example.com/offer?a=1&b=2")

        status, _, body = self.hit("POST", unsub, "List-Unsubscribe=One-Click",
                                   "application/x-www-form-urlencoded")
        self.assertEqual(status, 200, body)
        r = self.h.request("GET", "/api/v1/people/%d/unsubscribes" % self.person, token=self.rep)
        self.assertEqual((r.json["unsubscribed"], r.json["source"], r.json["data"][0]["email_id"]),
                         (True, "one_click", eid))
        self.assertError(self.compose(), 422, "unsubscribed",
                         "person %d (ann@customer.example) has unsubscribed" % self.person)


if __name__ == "__main__":
    harness.main()
