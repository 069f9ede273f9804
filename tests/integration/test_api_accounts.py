"""Salesforce accounts and opportunities over the REST API (GET /api/v1/accounts,
/accounts/{id}, /opportunities/{id}) after `hail import people`, and GET /api/v1/app
with HAIL_SALESFORCE_URL: names and counts from the active people, paging, the q
prefix, whole error messages, odd ids, authentication, and the start-up check."""
import csv
import os
import urllib.parse

import harness
from apitest import ApiCase
from harness import Hail, free_port

COLUMNS = ["id", "firstName", "lastName", "email", "company", "sfdcAccountId", "sfdcOpptyId",
           "leadOwnerEmailAddress"]
REP = "rep@example.com"
ODD = "001 ü/?#%&+\"'<x>"  # every character a path segment must escape (the / cannot be in a path)
ODD_OK = "001 ü?#%&+\"'<x>"
LONG = "001" + "é" * 120


def person(i, company, account, opp=None, owner=REP):
    return {"id": i, "firstName": "P%d" % i, "lastName": "L", "email": "p%d@x.example" % i,
            "company": company, "sfdcAccountId": account, "sfdcOpptyId": opp,
            "leadOwnerEmailAddress": owner}


ROWS = [
    # 001ACME: Acme Corp x2, ACME x1, one without a company; an inactive Zeta
    person(1, "Acme Corp", "001ACME", "006BIG"),
    person(2, "Acme Corp", "001ACME", "006BIG"),
    person(3, "ACME", "001ACME", "006SMALL"),
    person(4, None, "001ACME"),
    person(5, "Zeta", "001ACME", owner=None),
    # 001TIE: a tie between Gamma and Delta: Delta, the smallest
    person(6, "Gamma", "001TIE"),
    person(7, "Delta", "001TIE", "006BIG"),
    # 001NONAME: nobody has a company
    person(8, None, "001NONAME", "006NOACCT"),
    # 001GONE: only inactive people: no account
    person(9, "Gone Inc", "001GONE", "006GONE", owner=None),
    # people without an account
    person(10, "Acme Corp", None, "006NOACCT"),
    person(11, "Loner Ltd", None),
    # odd ids
    person(12, "Odd & Co", ODD_OK, "006 ü?#%"),
    person(13, "Long Names", LONG),
] + [person(100 + i, "Filler %02d" % i, "001F%02d" % i) for i in range(60)]
ACTIVE_ACCOUNTS = sorted(["001ACME", "001TIE", "001NONAME", ODD_OK, LONG] +
                         ["001F%02d" % i for i in range(60)])


def q(s):
    return urllib.parse.quote(s, safe="")


class AccountsTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token()
        cls.h.add_user(REP, "Rep", "rep")
        cls.rep = cls.h.token(REP)
        path = os.path.join(cls.h.dir, "people.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in ROWS:
                w.writerow(["" if r.get(c) is None else r[c] for c in COLUMNS])
        cls.h.run("import", "people", path, check=True)
        cls.h.start(env={"HAIL_SALESFORCE_URL": "https://acme.my.salesforce.com"})

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def get(self, path, status=200, token=None):
        r = self.h.request("GET", path, token=token or self.rep)
        self.assertEqual(r.status, status, (path, r))
        return r.json

    def walk(self, path):
        """Every page of a listing: the accounts, and how many pages."""
        out, cursor, pages = [], None, 0
        sep = "&" if "?" in path else "?"
        while True:
            j = self.get(path + (sep + "cursor=" + q(cursor) if cursor else ""))
            self.assertEqual(set(j), {"data", "next_cursor"}, j)
            out += j["data"]
            pages += 1
            cursor = j["next_cursor"]
            if cursor is None:
                return out, pages
            self.assertLess(pages, 500, "paging does not end")

    def test_list_names_and_counts(self):
        j = self.get("/api/v1/accounts?limit=200")
        self.assertIsNone(j["next_cursor"])
        self.assertEqual([a["id"] for a in j["data"]], ACTIVE_ACCOUNTS)
        by_id = {a["id"]: a for a in j["data"]}
        self.assertEqual(by_id["001ACME"], {"id": "001ACME", "name": "Acme Corp",
                                            "people_count": 4})
        self.assertEqual(by_id["001TIE"], {"id": "001TIE", "name": "Delta", "people_count": 2})
        self.assertEqual(by_id["001NONAME"], {"id": "001NONAME", "name": None,
                                              "people_count": 1})
        self.assertEqual(by_id[ODD_OK], {"id": ODD_OK, "name": "Odd & Co", "people_count": 1})
        self.assertNotIn("001GONE", by_id)
        # The count is the people the account's people page lists.
        r = self.get("/api/v1/accounts/001ACME/people?limit=200")
        self.assertEqual(len(r["data"]), 4)

    def test_counts_equal_sql(self):
        # The import is a bulk load: it skips the account_companies triggers
        # and counts afterwards. The list says what the people say, and no
        # rebuild mark is left behind.
        got, _ = self.walk("/api/v1/accounts?limit=200")
        want = {r[0]: r[1] for r in self.h.sql(
            "SELECT sfdc_account_id, count(*) FROM people WHERE active = 1"
            " AND sfdc_account_id IS NOT NULL GROUP BY 1")}
        marks = [r[0] for r in self.h.sql(
            "SELECT key FROM kv WHERE key IN ('accounts.rebuild', 'people.bulk_tx',"
            " 'people.bulk_load')")]
        self.assertEqual({a["id"]: a["people_count"] for a in got}, want)
        self.assertEqual(len(want), len(ACTIVE_ACCOUNTS))
        self.assertEqual(marks, [])

    def test_paging(self):
        everyone = ACTIVE_ACCOUNTS
        j = self.get("/api/v1/accounts")
        self.assertEqual([a["id"] for a in j["data"]], everyone[:50])  # 50 by default
        self.assertIsNotNone(j["next_cursor"])
        for limit in (1, 7, 64, 65, 200):
            got, pages = self.walk("/api/v1/accounts?limit=%d" % limit)
            self.assertEqual([a["id"] for a in got], everyone, limit)
            # a page that ends exactly at the end says so: no empty last page
            self.assertEqual(pages, -(-len(everyone) // limit), limit)

    def test_q(self):
        def ids(text, limit=200):
            got, _ = self.walk("/api/v1/accounts?limit=%d&q=%s" % (limit, q(text)))
            return [a["id"] for a in got]
        # a prefix of a company of the account's people, ASCII case-insensitively, once
        self.assertEqual(ids("acme"), ["001ACME"])
        self.assertEqual(ids("ACME C"), ["001ACME"])
        self.assertEqual(ids("  acme  ", 1), ["001ACME"])
        # in company order: Delta (001TIE), Filler…; Gamma would be 001TIE again
        self.assertEqual(ids("d"), ["001TIE"])
        self.assertEqual(ids("g"), ["001TIE"])
        self.assertEqual(ids("filler 0", 3), ["001F%02d" % i for i in range(10)])
        self.assertEqual(ids("odd &"), [ODD_OK])
        # inactive people, people without an account: no match
        self.assertEqual(ids("gone"), [])
        self.assertEqual(ids("zeta"), [])
        self.assertEqual(ids("loner"), [])
        self.assertEqual(ids("x" * 256), [])
        # blank: every account
        self.assertEqual(ids(" "), ACTIVE_ACCOUNTS)
        j = self.get("/api/v1/accounts?q=acme")
        self.assertEqual(j, {"data": [{"id": "001ACME", "name": "Acme Corp", "people_count": 4}],
                             "next_cursor": None})

    def test_bad_parameters(self):
        for limit in ("0", "201", "abc", "-1", "", "1.5"):
            r = self.h.request("GET", "/api/v1/accounts?limit=" + limit, token=self.rep)
            self.assertError(r, 400, "bad_request", "limit must be an integer from 1 to 200")
        for cursor in ("garbage!", "zzz", "eDU", "%%%"):
            r = self.h.request("GET", "/api/v1/accounts?cursor=" + q(cursor), token=self.rep)
            self.assertError(r, 400, "bad_request", "cursor is not valid")
        r = self.h.request("GET", "/api/v1/accounts?q=" + "x" * 257, token=self.rep)
        self.assertError(r, 400, "bad_request", "q is longer than 256 characters")
        # a cursor of another listing
        plain = self.get("/api/v1/accounts?limit=1")["next_cursor"]
        r = self.h.request("GET", "/api/v1/accounts?q=f&cursor=" + q(plain), token=self.rep)
        self.assertError(r, 400, "bad_request", "cursor is not valid for this query")
        filler = self.get("/api/v1/accounts?limit=1&q=filler")["next_cursor"]
        r = self.h.request("GET", "/api/v1/accounts?cursor=" + q(filler), token=self.rep)
        self.assertError(r, 400, "bad_request", "cursor is not valid for this query")
        r = self.h.request("GET", "/api/v1/accounts?q=acme&cursor=" + q(filler), token=self.rep)
        self.assertError(r, 400, "bad_request", "cursor is not valid for this query")
        # a people cursor is not an accounts cursor
        people = self.get("/api/v1/people?limit=1")["next_cursor"]
        r = self.h.request("GET", "/api/v1/accounts?cursor=" + q(people), token=self.rep)
        self.assertError(r, 400, "bad_request", "cursor is not valid")

    def test_account(self):
        self.assertEqual(self.get("/api/v1/accounts/001ACME"), {
            "id": "001ACME", "name": "Acme Corp", "people_count": 4,
            "opportunities": [{"id": "006BIG", "people_count": 2},
                              {"id": "006SMALL", "people_count": 1}],
            "more_opportunities": False})
        self.assertEqual(self.get("/api/v1/accounts/001NONAME"), {
            "id": "001NONAME", "name": None, "people_count": 1,
            "opportunities": [{"id": "006NOACCT", "people_count": 1}],
            "more_opportunities": False})
        self.assertEqual(self.get("/api/v1/accounts/" + q(ODD_OK)), {
            "id": ODD_OK, "name": "Odd & Co", "people_count": 1,
            "opportunities": [{"id": "006 ü?#%", "people_count": 1}],
            "more_opportunities": False})
        self.assertEqual(self.get("/api/v1/accounts/" + q(LONG))["people_count"], 1)
        # the account's people: the same id, through the people page
        self.assertEqual([p["marketo_id"] for p in
                          self.get("/api/v1/accounts/%s/people" % q(ODD_OK))["data"]], [12])

    def test_unknown_account(self):
        for ident, shown in (("001GONE", "001GONE"), ("nope", "nope"), ("001acme", "001acme"),
                             ("001 ü?#", "001 ü?#"), (LONG + "x", LONG[:100] + "…"),
                             ("%", "%"), ("a+b", "a+b")):
            r = self.h.request("GET", "/api/v1/accounts/" + q(ident), token=self.rep)
            self.assertError(r, 404, "not_found", "no account with id " + shown)
        r = self.h.request("GET", "/api/v1/accounts/%FF%FE", token=self.rep)
        self.assertError(r, 404, "not_found", "no account with that id (it is not UTF-8)")
        # a / in the id is a path of its own: no such route, not this operation
        r = self.h.request("GET", "/api/v1/accounts/" + q(ODD), token=self.rep)
        self.assertEqual(r.status, 404, r)

    def test_opportunity(self):
        # 006BIG: 001ACME twice, 001TIE once
        self.assertEqual(self.get("/api/v1/opportunities/006BIG"),
                         {"id": "006BIG", "account_id": "001ACME", "people_count": 3})
        # 006NOACCT: 001NONAME once, no account once: the one account there is
        self.assertEqual(self.get("/api/v1/opportunities/006NOACCT"),
                         {"id": "006NOACCT", "account_id": "001NONAME", "people_count": 2})
        self.assertEqual(self.get("/api/v1/opportunities/" + q("006 ü?#%")),
                         {"id": "006 ü?#%", "account_id": ODD_OK, "people_count": 1})
        for ident in ("006GONE", "006big", "x"):
            r = self.h.request("GET", "/api/v1/opportunities/" + q(ident), token=self.rep)
            self.assertError(r, 404, "not_found", "no opportunity with id " + ident)

    def test_authentication(self):
        for path in ("/api/v1/accounts", "/api/v1/accounts/001ACME",
                     "/api/v1/opportunities/006BIG", "/api/v1/app"):
            r = self.h.request("GET", path)
            self.assertError(r, 401, "unauthorized", "authentication required")
            r = self.h.request("GET", path, token="hail_nonsense")
            self.assertEqual(r.status, 401, r)

    def test_app(self):
        j = self.get("/api/v1/app")
        self.assertEqual(set(j), {"version", "salesforce_url", "marketo_configured"})
        self.assertEqual(j["salesforce_url"], "https://acme.my.salesforce.com")
        self.assertIs(j["marketo_configured"], False)
        self.assertEqual(j["version"], self.get("/healthz")["version"])
        self.assertEqual(self.get("/api/v1/app", token=self.admin), j)


class AppSettingsTest(ApiCase):
    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.h.close()

    def test_unset(self):
        token = self.h.admin_token()
        self.h.start(env={"HAIL_SALESFORCE_URL": ""})  # empty counts as unset
        r = self.h.request("GET", "/api/v1/app", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["salesforce_url"])
        self.assertIs(r.json["marketo_configured"], False)

    def test_marketo_configured(self):
        token = self.h.admin_token()
        # an address that refuses: the sync worker fails, the setting is what counts
        self.h.start(env={"HAIL_MARKETO_URL": "http://127.0.0.1:9",
                          "HAIL_MARKETO_CLIENT_ID": "id", "HAIL_MARKETO_CLIENT_SECRET": "s",
                          "HAIL_SALESFORCE_URL": "https://localhost:8443"})
        r = self.h.request("GET", "/api/v1/app", token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["salesforce_url"], "https://localhost:8443")
        self.assertIs(r.json["marketo_configured"], True)

    def test_bad_url_refused(self):
        for v in ("https://acme.my.salesforce.com/", "http://acme.my.salesforce.com",
                  "https://", "acme.my.salesforce.com", "https://acme.my.salesforce.com/x",
                  "https://acme.my.salesforce.com?x=1", "https://user@acme.salesforce.com",
                  "https://.acme.com", "https://acme.com.", "https://-acme.com", "https://acme.com:0",
                  "https://acme.com:99999", "https://acme.com:", "https://ac me.com"):
            port = free_port()
            p = self.h.run("serve", "--listen", "127.0.0.1:%d" % port,
                           env={"HAIL_SALESFORCE_URL": v}, timeout=30)
            self.assertEqual(
                (p.returncode, p.stderr, p.stdout),
                (2, "hail: HAIL_SALESFORCE_URL must be an https URL with a host and no path or "
                    "trailing slash, such as https://acme.my.salesforce.com, not '%s'\n" % v, ""),
                v)
            self.assertFalse(os.path.exists(self.h.data), v)


class InterruptedBulkTest(ApiCase):
    """What a bulk load killed before its counting leaves (the rebuild mark set,
    account_companies not the people's): the list holds only what is counted,
    one account is counted from its people, and the next start counts the rest."""

    def setUp(self):
        self.h = Hail()
        self.rep = self.h.admin_token()
        path = os.path.join(self.h.dir, "people.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in ROWS:
                w.writerow(["" if r.get(c) is None else r[c] for c in COLUMNS])
        self.h.run("import", "people", path, check=True)

    def tearDown(self):
        self.close_checked(self.h)

    def counts(self):
        out, cursor = {}, None
        while True:
            r = self.h.request("GET", "/api/v1/accounts?limit=200" +
                               ("&cursor=" + q(cursor) if cursor else ""), token=self.rep)
            self.assertEqual(r.status, 200, r)
            out.update({a["id"]: a["people_count"] for a in r.json["data"]})
            cursor = r.json["next_cursor"]
            if cursor is None:
                return out

    def test_killed_before_counting(self):
        self.h.start()
        want = {r[0]: r[1] for r in self.h.sql(
            "SELECT sfdc_account_id, count(*) FROM people WHERE active = 1"
            " AND sfdc_account_id IS NOT NULL GROUP BY 1")}
        self.h.sql("DELETE FROM account_companies WHERE account_id = '001TIE'")
        self.h.sql("UPDATE account_companies SET people = 99 WHERE account_id = '001ACME'")
        self.h.sql("INSERT INTO account_companies (account_id, company, people)"
                   " VALUES ('001JUNK', 'x', 5)")
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES ('accounts.rebuild', '', 0)")
        self.assertEqual(self.counts(), {})
        r = self.h.request("GET", "/api/v1/accounts/001ACME", token=self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["people_count"]), ("Acme Corp", 4))
        r = self.h.request("GET", "/api/v1/accounts/001JUNK", token=self.rep)
        self.assertEqual((r.status, r.json), (404, {"error": {
            "code": "not_found", "message": "no account with id 001JUNK"}}))
        self.assertEqual(self.h.stop(), 0)
        self.h.start()
        self.assertEqual(self.counts(), want)
        marks = self.h.sql_value("SELECT count(*) FROM kv WHERE key = 'accounts.rebuild'")
        junk = self.h.sql_value("SELECT count(*) FROM account_companies WHERE account_id = '001JUNK'")
        self.assertEqual((marks, junk), (0, 0))


if __name__ == "__main__":
    harness.main()
