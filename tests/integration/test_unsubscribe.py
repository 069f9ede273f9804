"""Unsubscribes over real HTTP: the /u/ page (no JavaScript, changes
nothing), its form and the RFC 8058 one-click POST, a manual unsubscribe by
any user and a resubscribe by admins only, the history at
GET /api/v1/people/{id}/unsubscribes and the activities they record; bad
tokens 404. Emails are inserted with h.sql() (mailfix.py)."""
import http.client
import json
import re

import harness
import mailfix
from apitest import ApiCase
from harness import Hail

NO_LINK = {"error": {"code": "not_found", "message": "no such link"}}
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")


class UnsubscribeTest(ApiCase):
    def setUp(self):
        self.h = Hail()
        self.admin = self.h.admin_token()
        self.h.add_user("rep@example.com", "Rep", "rep")
        self.rep = self.h.token("rep@example.com")
        self.h.start()
        self.m = mailfix.Mail(self.h, "rep@example.com")
        self.k = mailfix.key(self.h)
        self.rep_id = self.m.user_id
        self.admin_id = self.h.sql_value("SELECT id FROM users WHERE email = 'admin@example.com'")

    def tearDown(self):
        self.close_checked(self.h)

    def page(self, method, path, body=None, ctype=None):
        c = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=30)
        try:
            hd = {"Content-Type": ctype} if ctype else {}
            c.request(method, path, body=body, headers=hd)
            r = c.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode()
        finally:
            c.close()

    def state(self, person, token=None):
        r = self.h.request("GET", "/api/v1/people/%d/unsubscribes" % person, token=token or self.rep)
        self.assertEqual(r.status, 200, r)
        return r.json

    def acts(self, person):
        return [(r[0], r[1], json.loads(r[2]), r[3]) for r in self.h.sql(
            "SELECT type, user_id, attrs, email_id FROM activities WHERE person_id = ? ORDER BY id", person)]

    def test_page_asks_and_changes_nothing(self):
        p = self.m.person("ann@example.org")
        e = self.m.email(p)
        status, hd, body = self.page("GET", "/u/" + mailfix.token(self.k, "u", e))
        self.assertEqual(status, 200, body)
        self.assertEqual(hd["content-type"], "text/html; charset=utf-8")
        self.assertEqual(hd["content-security-policy"],
                         "default-src 'none'; form-action 'self'; frame-ancestors 'none'")
        self.assertEqual(hd["cache-control"], "no-store")
        self.assertIn("<title>Unsubscribe</title>", body)
        self.assertIn("<p>Stop sales email to <strong>ann@example.org</strong></p>", body)
        self.assertIn('<form method="post"><input type="hidden" name="confirm" value="yes">'
                      '<button type="submit">Unsubscribe</button></form>', body)
        self.assertNotIn("<script", body)
        self.assertNotIn("style", body)
        self.assertEqual(self.state(p), {"unsubscribed": False, "since": None, "source": None, "data": []})
        self.assertEqual(self.acts(p), [])

    def test_form_post_unsubscribes_once(self):
        p = self.m.person("bob@example.org")
        e = self.m.email(p)
        tok = mailfix.token(self.k, "u", e)
        status, hd, body = self.page("POST", "/u/" + tok, "confirm=yes", "application/x-www-form-urlencoded")
        self.assertEqual(status, 200, body)
        self.assertIn("<title>Unsubscribed</title>", body)
        self.assertIn("<p>You will get no more sales email at <strong>bob@example.org</strong></p>", body)
        self.assertNotIn("<form", body)
        s = self.state(p)
        self.assertTrue(ISO.fullmatch(s["since"]), s)
        self.assertEqual(s, {"unsubscribed": True, "since": s["since"], "source": "link",
                             "data": [{"at": s["since"], "action": "unsubscribe", "source": "link",
                                       "user_id": None, "email_id": e}]})
        self.assertEqual(self.acts(p), [("unsubscribe", None, {"source": "link"}, e)])
        # The page now says so; posting again changes nothing.
        status, _, body = self.page("GET", "/u/" + tok)
        self.assertEqual(status, 200)
        self.assertIn("<title>Unsubscribed</title>", body)
        self.assertEqual(self.page("POST", "/u/" + tok, "confirm=yes",
                                   "application/x-www-form-urlencoded")[0], 200)
        self.assertEqual(self.state(p), s)
        self.assertEqual(len(self.acts(p)), 1)

    def test_rfc8058_one_click(self):
        p = self.m.person()
        e = self.m.email(p)
        tok = mailfix.token(self.k, "u", e)
        status, _, body = self.page("POST", "/u/" + tok, "List-Unsubscribe=One-Click",
                                    "application/x-www-form-urlencoded")
        self.assertEqual(status, 200, body)
        s = self.state(p)
        self.assertEqual((s["unsubscribed"], s["source"], [h["source"] for h in s["data"]]),
                         (True, "one_click", ["one_click"]))
        # multipart/form-data, as some mail providers send it
        p2 = self.m.person()
        e2 = self.m.email(p2)
        mp = ("--b\r\nContent-Disposition: form-data; name=\"List-Unsubscribe\"\r\n\r\n"
              "One-Click\r\n--b--\r\n")
        status, _, _ = self.page("POST", "/u/" + mailfix.token(self.k, "u", e2), mp,
                                 "multipart/form-data; boundary=b")
        self.assertEqual(status, 200)
        self.assertEqual(self.state(p2)["source"], "one_click")
        self.assertEqual(self.acts(p2), [("unsubscribe", None, {"source": "one_click"}, e2)])

    def test_manual_unsubscribe_and_admin_resubscribe(self):
        p = self.m.person()
        path = "/api/v1/people/%d/" % p
        r = self.h.request("POST", path + "unsubscribe", token=self.rep)
        self.assertEqual(r.status, 200, r)
        since = r.json["since"]
        self.assertEqual(r.json, {"unsubscribed": True, "since": since, "source": "manual",
                                  "data": [{"at": since, "action": "unsubscribe", "source": "manual",
                                            "user_id": self.rep_id, "email_id": None}]})
        r = self.h.request("POST", path + "resubscribe", token=self.rep)
        self.assertError(r, 403, "forbidden", "this needs the admin role")
        r = self.h.request("POST", path + "resubscribe", token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["unsubscribed"], False)
        self.assertEqual((r.json["since"], r.json["source"]), (None, None))
        self.assertEqual([(x["action"], x["source"], x["user_id"]) for x in r.json["data"]],
                         [("resubscribe", "manual", self.admin_id), ("unsubscribe", "manual", self.rep_id)])
        # resubscribing someone subscribed changes nothing
        r2 = self.h.request("POST", path + "resubscribe", token=self.admin)
        self.assertEqual(r2.json, r.json)
        self.assertEqual([(a[0], a[1], a[2]) for a in self.acts(p)],
                         [("unsubscribe", self.rep_id, {"source": "manual"}),
                          ("resubscribe", self.admin_id, {"source": "manual"})])
        # The activities show on the person's history.
        r = self.h.request("GET", path + "activities", token=self.rep)
        self.assertEqual([a["type"] for a in r.json["data"]], ["resubscribe", "unsubscribe"])

    def test_errors(self):
        r = self.h.request("GET", "/api/v1/people/999999/unsubscribes", token=self.rep)
        self.assertError(r, 404, "not_found", "no person with id 999999")
        r = self.h.request("POST", "/api/v1/people/999999/unsubscribe", token=self.rep)
        self.assertError(r, 404, "not_found", "no person with id 999999")
        r = self.h.request("POST", "/api/v1/people/abc/unsubscribe", token=self.rep)
        self.assertError(r, 404, "not_found", "no such id: abc")
        r = self.h.request("GET", "/api/v1/people/1/unsubscribes")
        self.assertError(r, 401, "unauthorized", "authentication required")
        r = self.h.request("POST", "/api/v1/people/1/unsubscribe", token=self.rep, body={"x": 1})
        self.assertError(r, 400, "bad_request", "this operation takes no request body")
        e = self.m.email()
        for method in ("GET", "POST"):
            for tok in (mailfix.token(self.k, "o", e), mailfix.token(b"k" * 32, "u", e), "x",
                        mailfix.token(self.k, "u", 999999)):
                status, hd, body = self.page(method, "/u/" + tok, "List-Unsubscribe=One-Click"
                                             if method == "POST" else None,
                                             "application/x-www-form-urlencoded")
                self.assertEqual((status, json.loads(body)), (404, NO_LINK), (method, tok))
        status, _, body = self.page("POST", "/u/" + mailfix.token(self.k, "u", e), "x" * 5000,
                                    "application/x-www-form-urlencoded")
        self.assertEqual((status, json.loads(body)["error"]["code"]), (413, "too_large"))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM unsubscribes"), 0)


if __name__ == "__main__":
    harness.main()
