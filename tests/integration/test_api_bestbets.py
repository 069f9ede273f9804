"""Best Bets over the REST API: GET /api/v1/best-bets ranks the caller's people
by human engagement as activities arrive (opens and clicks through the real
tracking routes), never counts machine events, follows an owner change and an
unsubscribe, filters by Salesforce kind, pages with a cursor, applies the
visibility rule to ?user_id= (a manager: their team; a rep: only themself),
answers bad input with whole messages, and `hail bestbets rebuild` gives the
list the incremental updates kept. Emails are inserted with h.sql()
(mailfix.py)."""
import http.client
import urllib.parse

import harness
import mailfix
from apitest import ApiCase
from harness import Hail
from mailfix import FIREFOX


class BestBetsTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token()
        cls.h.add_user("boss@example.com", "Boss", "manager", team="East")
        cls.h.add_user("east@example.com", "East Rep", "rep", team="East")
        cls.h.add_user("west@example.com", "West Rep", "rep", team="West")
        cls.tok = {e: cls.h.token(e) for e in ("boss@example.com", "east@example.com",
                                                "west@example.com")}
        cls.h.start()
        cls.k = mailfix.key(cls.h)
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def rep(self):
        """A new rep of their own (each test's list starts empty): (email, token, Mail)."""
        BestBetsTest.n += 1
        email = "rep%d@example.com" % self.n
        self.h.add_user(email, "Rep %d" % self.n, "rep", team="East")
        return email, self.h.token(email), mailfix.Mail(self.h, email)

    def person(self, m, owner, first, **sfdc):
        pid = m.person()
        self.h.sql("UPDATE people SET first_name = ?, owner_email = ?, sfdc_lead_id = ?,"
                   " sfdc_contact_id = ?, sfdc_account_id = ?, sfdc_opportunity_id = ? WHERE id = ?",
                   first, owner.upper(), sfdc.get("lead"), sfdc.get("contact"), sfdc.get("account"),
                   sfdc.get("opportunity"), pid)
        return pid

    def hit(self, kind, email_id, link=0, method="GET"):
        c = http.client.HTTPConnection("127.0.0.1", self.h.port, timeout=30)
        try:
            c.request(method, "/t/%s/%s" % (kind, mailfix.token(self.k, kind, email_id, link)),
                      headers={"User-Agent": FIREFOX})
            r = c.getresponse()
            r.read()
            self.assertIn(r.status, (200, 302))
        finally:
            c.close()

    def get(self, token, query="", status=200):
        r = self.h.request("GET", "/api/v1/best-bets" + query, token=token)
        self.assertEqual(r.status, status, r)
        return r

    def names(self, token, query=""):
        return [b["person"]["first_name"] for b in self.get(token, query).json["data"]]

    def test_order_follows_human_engagement(self):
        email, tok, m = self.rep()
        ann, bob, cid = (self.person(m, email, n) for n in ("Ann", "Bob", "Cid"))
        ea, eb, ec = m.email(ann), m.email(bob, links=["https://x.example/a"]), m.email(cid)
        self.assertEqual(self.get(tok).json, {"data": [], "next": None})
        self.hit("o", ea)
        self.hit("o", eb)
        self.hit("c", eb, 0)  # a click after an open: human
        self.hit("o", ec, method="HEAD")  # a machine's open never counts
        self.assertEqual(self.names(tok), ["Bob", "Ann"])
        rows = self.get(tok).json["data"]
        self.assertEqual([(b["stars"], b["flames"], b["score"]) for b in rows],
                         [(3, 3, 3.0), (2, 3, 1.0)])
        self.assertEqual([[(w["type"], w["type_name"], w["count"]) for w in b["why"]] for b in rows],
                         [[("email_click", "Click Sales Email", 1),
                           ("email_open", "Open Sales Email", 1)],
                          [("email_open", "Open Sales Email", 1)]])
        self.assertEqual(rows[0]["person"]["id"], bob)
        self.assertEqual(rows[0]["person"]["owner_email"], email.upper())
        # Ann engages more: she moves up
        for _ in range(3):
            self.hit("o", ea)
        self.assertEqual(self.names(tok), ["Ann", "Bob"])
        self.assertEqual([b["score"] for b in self.get(tok).json["data"]], [4.0, 3.0])
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM best_bets WHERE person_id = ?", cid),
                         0)

    def test_rebuild_gives_what_updates_kept(self):
        email, tok, m = self.rep()
        people = [self.person(m, email, "P%d" % i) for i in range(4)]
        for i, p in enumerate(people):
            e = m.email(p, links=["https://x.example/"])
            for _ in range(i):
                self.hit("o", e)
            if i == 2:
                self.hit("c", e, 0)
        before = self.get(tok).json["data"]
        self.assertEqual([b["person"]["first_name"] for b in before], ["P2", "P3", "P1"])
        r = self.h.run("bestbets", "rebuild")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^rebuilt Best Bets: \d+ people with a score in \d+\.\d s\n$")
        after = self.get(tok).json["data"]
        strip = [dict(b, score=round(b["score"], 2)) for b in before]
        self.assertEqual([dict(b, score=round(b["score"], 2)) for b in after], strip)

    def test_owner_change_and_unsubscribe(self):
        email, tok, m = self.rep()
        other, otok, _ = self.rep()
        ann, bob = self.person(m, email, "Ann"), self.person(m, email, "Bob")
        self.hit("o", m.email(ann))
        self.hit("o", m.email(bob))
        self.assertEqual(sorted(self.names(tok)), ["Ann", "Bob"])
        self.h.sql("UPDATE people SET owner_email = ? WHERE id = ?", other, ann)
        self.assertEqual(self.names(tok), ["Bob"])
        self.assertEqual(self.names(otok), ["Ann"])
        self.h.sql("INSERT INTO people_unsubscribed (person_id, since, source) VALUES (?, 1, 'test')",
                   bob)
        self.assertEqual(self.names(tok), [])
        self.h.sql("UPDATE people SET active = 0 WHERE id = ?", ann)
        self.assertEqual(self.names(otok), [])

    def test_filters_and_paging(self):
        email, tok, m = self.rep()
        spec = [("Lead", {"lead": "00Q1"}), ("Converted", {"lead": "00Q2", "contact": "0031"}),
                ("Contact", {"contact": "0032"}), ("AcctContact", {"contact": "0033", "account": "0011"}),
                ("Opp", {"contact": "0034", "account": "0012", "opportunity": "0061"})]
        for i, (name, ids) in enumerate(spec):
            e = m.email(self.person(m, email, name, **ids))
            for _ in range(5 - i):
                self.hit("o", e)
        self.assertEqual(self.names(tok), ["Lead", "Converted", "Contact", "AcctContact", "Opp"])
        self.assertEqual(self.names(tok, "?filter=leads"), ["Lead"])
        self.assertEqual(self.names(tok, "?filter=contacts"),
                         ["Converted", "Contact", "AcctContact", "Opp"])
        self.assertEqual(self.names(tok, "?filter=account_contacts"), ["AcctContact", "Opp"])
        self.assertEqual(self.names(tok, "?filter=opportunity_contacts"), ["Opp"])
        got, cursor = [], None
        while True:
            q = "?limit=2&filter=contacts" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else "")
            r = self.get(tok, q).json
            got += [b["person"]["first_name"] for b in r["data"]]
            cursor = r["next"]
            if cursor is None:
                break
        self.assertEqual(got, ["Converted", "Contact", "AcctContact", "Opp"])

    def test_visibility_of_user_id(self):
        email, tok, m = self.rep()
        ann = self.person(m, email, "Ann")
        self.hit("o", m.email(ann))
        uid = self.h.sql_value("SELECT id FROM users WHERE email = ?", email)
        west = self.h.sql_value("SELECT id FROM users WHERE email = 'west@example.com'")
        # a manager of the team and an admin see the rep's list; the other team's rep does not
        self.assertEqual(self.names(self.tok["boss@example.com"], "?user_id=%d" % uid), ["Ann"])
        self.assertEqual(self.names(self.admin, "?user_id=%d" % uid), ["Ann"])
        self.assertEqual(self.names(self.tok["west@example.com"]), [])
        self.assertError(self.get(self.tok["west@example.com"], "?user_id=%d" % uid, 404), 404,
                         "not_found", "no user with id %d" % uid)
        self.assertError(self.get(tok, "?user_id=%d" % west, 404), 404, "not_found",
                         "no user with id %d" % west)
        self.assertError(self.get(self.admin, "?user_id=999999", 404), 404, "not_found",
                         "no user with id 999999")
        self.assertEqual(self.names(tok, "?user_id=%d" % uid), ["Ann"])

    def test_bad_input(self):
        _, tok, _ = self.rep()
        self.assertError(self.get(tok, "?filter=hot", 400), 400, "bad_request",
                         "filter must be one of leads, contacts, account_contacts, "
                         "opportunity_contacts, not 'hot'")
        self.assertError(self.get(tok, "?user_id=abc", 400), 400, "bad_request",
                         "user_id must be a positive integer, not 'abc'")
        self.assertError(self.get(tok, "?user_id=0", 400), 400, "bad_request",
                         "user_id must be a positive integer, not '0'")
        self.assertError(self.get(tok, "?limit=0", 400), 400, "bad_request")
        self.assertError(self.get(tok, "?cursor=eHl6", 400), 400, "bad_request",
                         "cursor is not one this list gave")
        r = self.h.request("GET", "/api/v1/best-bets")
        self.assertError(r, 401)


if __name__ == "__main__":
    harness.main()
