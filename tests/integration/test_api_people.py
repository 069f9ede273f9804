"""People over the REST API after `hail import people`: the active set, id
order, cursor pagination, search, filters, account/opportunity pages, the
person object, read-only-ness, owner clearing and duplicates."""
import base64
import csv
import io
import os
import urllib.parse

import harness
from apitest import ApiCase
from harness import Hail

COLUMNS = ["id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
           "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
           "leadOwnerEmailAddress", "timeZone"]
JSON_OF = {"firstName": "first_name", "lastName": "last_name", "email": "email", "phone": "phone",
           "title": "title", "company": "company", "leadSource": "source",
           "linkedInProfileURL": "linkedin_url", "sfdcLeadId": "sfdc_lead_id",
           "sfdcContactId": "sfdc_contact_id", "sfdcAccountId": "sfdc_account_id",
           "sfdcOpptyId": "sfdc_opportunity_id", "leadOwnerEmailAddress": "owner_email",
           "timeZone": "time_zone"}
PERSON_KEYS = {"id", "marketo_id", "active", "created_at", "updated_at"} | set(JSON_OF.values())

REP = "rep@example.com"
MGR = "mgr@example.com"

# Marketo id -> fields. Rows are written in this order (not id order).
NAMED = [
    {"id": 900, "firstName": "José", "lastName": "García", "email": "jose.garcia@acme.example",
     "phone": "+34 600 000 001", "title": "CTO", "company": "Acme Corp", "leadSource": "Webinar",
     "linkedInProfileURL": "https://www.linkedin.com/in/josegarcia", "sfdcLeadId": "00Q1",
     "sfdcContactId": "0031", "sfdcAccountId": "001ACME", "sfdcOpptyId": "006BIG",
     "leadOwnerEmailAddress": REP, "timeZone": "Europe/Madrid"},
    {"id": 17, "firstName": "Hans", "lastName": "Müller", "email": "hans@bergbau.example",
     "company": "Bergbau GmbH", "sfdcAccountId": "001BERG", "leadOwnerEmailAddress": MGR},
    {"id": 5, "firstName": "Anna", "lastName": "Smith", "email": "anna@acme.example",
     "company": "Acme Corp", "sfdcAccountId": "001ACME", "sfdcOpptyId": "006BIG",
     "leadOwnerEmailAddress": "REP@Example.COM"},
    {"id": 42, "firstName": "Bob", "lastName": "Jones", "email": "bob@acme.example",
     "company": "Acme Corp", "sfdcAccountId": "001ACME", "sfdcOpptyId": "006BIG",
     "leadOwnerEmailAddress": ""},  # no owner: inactive
    {"id": 43, "firstName": "Ann", "lastName": "Marie", "email": "ann.marie@zeta.example",
     "company": "Zeta", "sfdcAccountId": "001ZETA", "sfdcOpptyId": "006SMALL",
     "leadOwnerEmailAddress": MGR},
    {"id": 44, "firstName": "Mary", "lastName": "Ann", "email": "mary@zeta.example",
     "company": "Zeta", "sfdcAccountId": "001ZETA", "leadOwnerEmailAddress": REP},
    {"id": 60, "firstName": "Dup", "lastName": "One", "email": "same@dup.example",
     "leadOwnerEmailAddress": REP},
    {"id": 61, "firstName": "Dup", "lastName": "Two", "email": "same@dup.example",
     "leadOwnerEmailAddress": MGR},
    {"id": 70, "firstName": "Ola", "lastName": "Nordmann", "email": "ola@example.com",
     "company": "Ålesund Fisk", "leadOwnerEmailAddress": "admin@example.com"},
]


def filler(n):
    """n more people; every 5th has no owner (inactive)."""
    return [{"id": 10000 + i, "firstName": "Filler%03d" % i, "lastName": "Person",
             "email": "filler%03d@bulk.example" % i, "company": "Bulk Ltd",
             "leadOwnerEmailAddress": "" if i % 5 == 4 else REP} for i in range(n)]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([r.get(c, "") for c in COLUMNS])


class PeopleCase(ApiCase):
    @classmethod
    def import_rows(cls, rows, name="people.csv"):
        path = os.path.join(cls.h.dir, name)
        write_csv(path, rows)
        p = cls.h.run("import", "people", path)
        if p.returncode != 0:
            raise AssertionError("import failed: %s%s" % (p.stdout, p.stderr))
        return p.stdout

    def get(self, path, token=None, status=200):
        r = self.h.request("GET", path, token=token or self.rep)
        self.assertEqual(r.status, status, (path, r))
        return r.json

    def names(self, path, token=None):
        return ["%s %s" % (p["first_name"], p["last_name"]) for p in self.all_pages(path, token)]

    def all_pages(self, path, token=None):
        out, cursor = [], None
        sep = "&" if "?" in path else "?"
        for _ in range(1000):
            url = path + (sep + "cursor=" + urllib.parse.quote(cursor) if cursor else "")
            j = self.get(url, token)
            self.assertEqual(set(j), {"data", "next_cursor"}, j)
            out += j["data"]
            cursor = j["next_cursor"]
            if cursor is None:
                return out
            self.assertTrue(j["data"], "a page with a cursor must not be empty")
        self.fail("pagination does not end")

    def q(self, text, **extra):
        query = dict(q=text, limit=200, **extra)
        return sorted(self.names("/api/v1/people?" + urllib.parse.urlencode(query)))


class PeopleListTest(PeopleCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token()
        cls.h.add_user(REP, "Rep", "rep")
        cls.h.add_user(MGR, "Manager", "manager")
        cls.rep = cls.h.token(REP)
        cls.mgr = cls.h.token(MGR)
        cls.summary = cls.import_rows(NAMED + filler(60))
        cls.h.start()
        cls.active_named = [r for r in NAMED if r["leadOwnerEmailAddress"]]
        cls.n_active = len(cls.active_named) + 48

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def test_import_summary(self):
        self.assertIn("69 rows", self.summary)
        self.assertIn("69 new", self.summary)

    def test_lists_active_people_in_id_order(self):
        j = self.get("/api/v1/people?limit=200")
        self.assertIsNone(j["next_cursor"])
        people = j["data"]
        self.assertEqual(len(people), self.n_active)
        self.assertTrue(all(p["active"] for p in people))
        ids = [p["id"] for p in people]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(set(ids)), len(ids))
        # Hail ids follow the import order, not Marketo ids.
        named = [p["marketo_id"] for p in people if p["marketo_id"] < 10000]
        self.assertEqual(named, [r["id"] for r in self.active_named])
        self.assertNotIn(42, [p["marketo_id"] for p in people])
        # Default page size is 50.
        j = self.get("/api/v1/people")
        self.assertEqual(len(j["data"]), 50)
        self.assertIsNotNone(j["next_cursor"])
        self.assertEqual([p["id"] for p in j["data"]], ids[:50])

    def test_pagination_walks_everyone_once(self):
        everyone = [p["id"] for p in self.get("/api/v1/people?limit=200")["data"]]
        for limit in (1, 7, 8, 50, len(everyone), len(everyone) - 1, 200):
            pages = 0
            seen, cursor = [], None
            while True:
                url = "/api/v1/people?limit=%d" % limit
                if cursor:
                    url += "&cursor=" + urllib.parse.quote(cursor)
                j = self.get(url)
                pages += 1
                self.assertLessEqual(len(j["data"]), limit)
                seen += [p["id"] for p in j["data"]]
                cursor = j["next_cursor"]
                if cursor is None:
                    break
                self.assertEqual(len(j["data"]), limit)
                self.assertIsInstance(cursor, str)
            self.assertEqual(seen, everyone, limit)
            self.assertEqual(pages, -(-len(everyone) // limit), limit)

    def test_bad_paging_parameters(self):
        for limit in ("0", "201", "abc", "-1", "", "1.5", "10abc", "99999999999999999999"):
            r = self.h.request("GET", "/api/v1/people?limit=" + limit, token=self.rep)
            self.assertError(r, 400, "bad_request", "limit must be an integer from 1 to 200")
        for cursor in ("garbage!", "zzz", "aTEy!", "eDU", "aS01", "%%%", "a" * 100):
            r = self.h.request("GET", "/api/v1/people?cursor=" + urllib.parse.quote(cursor),
                               token=self.rep)
            self.assertError(r, 400, "bad_request", "cursor is not valid")
        self.assertEqual(len(self.get("/api/v1/people?limit=200")["data"]), self.n_active)

    def test_search_names(self):
        self.assertEqual(self.q("jose"), ["José García"])
        self.assertEqual(self.q("JOSÉ"), ["José García"])
        self.assertEqual(self.q("José García"), ["José García"])
        self.assertEqual(self.q("jose garc"), ["José García"])
        self.assertEqual(self.q("  jose   garcia "), ["José García"])
        self.assertEqual(self.q("garcia"), ["José García"])
        self.assertEqual(self.q("GARCÍA"), ["José García"])
        self.assertEqual(self.q("MÜLLER"), ["Hans Müller"])
        self.assertEqual(self.q("muller"), ["Hans Müller"])
        self.assertEqual(self.q("Müll"), ["Hans Müller"])
        self.assertEqual(self.q("hans m"), ["Hans Müller"])
        self.assertEqual(self.q("ann"), ["Ann Marie", "Anna Smith", "Mary Ann"])
        # Every word must start a key, in any order: "m" starts "mary ann" too.
        self.assertEqual(self.q("ann m"), ["Ann Marie", "Mary Ann"])
        self.assertEqual(self.q("ann ma"), ["Ann Marie", "Mary Ann"])
        self.assertEqual(self.q("ann mar"), ["Ann Marie", "Mary Ann"])
        self.assertEqual(self.q("ann mari"), ["Ann Marie"])
        self.assertEqual(self.q("anna"), ["Anna Smith"])
        self.assertEqual(self.q("smith"), ["Anna Smith"])
        self.assertEqual(self.q("dup"), ["Dup One", "Dup Two"])
        # Prefixes only; inactive people are never found.
        self.assertEqual(self.q("arcia"), [])
        self.assertEqual(self.q("bob"), [])
        self.assertEqual(self.q("jones"), [])
        self.assertEqual(self.q("zzz"), [])
        self.assertEqual(self.q("%"), [])
        self.assertEqual(self.q("_"), [])
        self.assertEqual(self.q("*"), [])
        self.assertEqual(len(self.q("filler")), 48)

    def test_search_email_and_company(self):
        self.assertEqual(self.q("jose.garcia@"), ["José García"])
        self.assertEqual(self.q("JOSE.GARCIA@ACME.EXAMPLE"), ["José García"])
        self.assertEqual(self.q("hans@"), ["Hans Müller"])
        self.assertEqual(self.q("same@dup"), ["Dup One", "Dup Two"])
        self.assertEqual(self.q("acme"), ["Anna Smith", "José García"])
        self.assertEqual(self.q("Acme Corp"), ["Anna Smith", "José García"])
        self.assertEqual(self.q("bergbau"), ["Hans Müller"])
        self.assertEqual(self.q("alesund"), ["Ola Nordmann"])
        self.assertEqual(self.q("Ålesund"), ["Ola Nordmann"])
        self.assertEqual(self.q("bob@acme"), [])
        # Search pages like the plain list.
        hits = self.all_pages("/api/v1/people?q=filler&limit=7")
        self.assertEqual(len(hits), 48)
        self.assertEqual(len({p["id"] for p in hits}), 48)

    def test_search_words_in_any_order(self):
        # Every word must start a key ("first last", last name, email, company), in any
        # order; a field of several words ("Acme Corp") matches as a phrase.
        self.assertEqual(self.q("muller hans"), ["Hans Müller"])
        self.assertEqual(self.q("hans muller"), ["Hans Müller"])
        self.assertEqual(self.q("GARCÍA josé"), ["José García"])
        self.assertEqual(self.q("garc jo"), ["José García"])
        self.assertEqual(self.q("acme smith"), ["Anna Smith"])
        self.assertEqual(self.q("smith anna acme"), ["Anna Smith"])
        self.assertEqual(self.q("jose acme corp"), ["José García"])
        self.assertEqual(self.q("acme corp jose"), ["José García"])
        self.assertEqual(self.q("acme corp"), ["Anna Smith", "José García"])
        self.assertEqual(self.q("smith smith anna"), ["Anna Smith"])
        self.assertEqual(self.q("hans zzz"), [])
        self.assertEqual(self.q("zzz hans"), [])
        self.assertEqual(self.q("bob acme"), [])  # Bob Jones is inactive
        self.assertEqual(self.q("jones acme"), [])
        self.assertEqual(self.q("acme jose", owner=MGR), [])
        self.assertEqual(self.q("acme jose", owner=REP), ["José García"])
        # Pages of a multi-word search: everyone once, in one order.
        for query in ("person filler", "filler person", "bulk filler person"):
            one = self.get("/api/v1/people?" + urllib.parse.urlencode(
                {"q": query, "limit": 200}))
            self.assertIsNone(one["next_cursor"])
            ids = [p["id"] for p in one["data"]]
            self.assertEqual(len(ids), 48, query)
            self.assertEqual(len(set(ids)), 48, query)
            hits = self.all_pages("/api/v1/people?" + urllib.parse.urlencode(
                {"q": query, "limit": 7}))
            self.assertEqual([p["id"] for p in hits], ids, query)

    def test_multi_word_cursor_names_a_word_of_q(self):
        def cursor(raw):
            return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")
        # A cursor for the second word of a two-word q works; one for a third does not.
        path = "/api/v1/people?q=filler+person&limit=200&cursor="
        self.assertEqual(len(self.get(path + cursor("w1.0:"))["data"]), 48)
        r = self.h.request("GET", path + cursor("w2.0:"), token=self.rep)
        self.assertError(r, 400, "bad_request", "cursor is not valid for this query")

    def test_q_longer_than_256_characters(self):
        for name in ("q", "owner", "account", "opportunity"):
            for value in ("a" * 257, "é" * 257, "日" * 257):
                r = self.h.request("GET", "/api/v1/people?" + urllib.parse.urlencode(
                    {name: value}), token=self.rep)
                self.assertError(r, 400, "bad_request", "%s is longer than 256 characters" % name)
        # 256 characters are fine, however many bytes they take.
        for value in ("a" * 256, "é" * 256, "日" * 256):
            self.assertEqual(self.q(value), [])
        self.assertEqual(self.q("hans " + " " * 251), ["Hans Müller"])

    def test_owner_filter(self):
        rep_people = self.q("", owner=REP)
        self.assertIn("José García", rep_people)
        self.assertIn("Anna Smith", rep_people)  # owner spelled REP@Example.COM
        self.assertIn("Mary Ann", rep_people)
        self.assertNotIn("Hans Müller", rep_people)
        self.assertEqual(len(rep_people), 4 + 48)
        self.assertEqual(self.q("", owner="Rep@EXAMPLE.com"), rep_people)
        self.assertEqual(self.q("", owner="me"), rep_people)
        self.assertEqual(sorted(self.names("/api/v1/people?owner=me&limit=200", self.mgr)),
                         ["Ann Marie", "Dup Two", "Hans Müller"])
        self.assertEqual(sorted(self.names("/api/v1/people?owner=me", self.admin)),
                         ["Ola Nordmann"])
        self.assertEqual(self.q("", owner="nobody@example.com"), [])
        self.assertEqual(self.q("dup", owner=MGR), ["Dup Two"])
        # Pages of "my people" (the owner index, searched from the cursor's id).
        one = [p["id"] for p in self.get("/api/v1/people?owner=me&limit=200")["data"]]
        self.assertEqual(len(one), 52)
        self.assertEqual(one, sorted(one))
        for limit in (1, 7, 51):
            pages = self.all_pages("/api/v1/people?owner=REP%%40example.COM&limit=%d" % limit)
            self.assertEqual([p["id"] for p in pages], one, limit)
        hits = self.all_pages("/api/v1/people?owner=me&q=person+filler&limit=5")
        self.assertEqual(len(hits), 48)
        self.assertEqual(len({p["id"] for p in hits}), 48)

    def test_account_and_opportunity(self):
        acme = ["Anna Smith", "José García"]
        self.assertEqual(self.q("", account="001ACME"), acme)
        self.assertEqual(sorted(self.names("/api/v1/accounts/001ACME/people")), acme)
        self.assertEqual(sorted(self.names("/api/v1/accounts/001ZETA/people")),
                         ["Ann Marie", "Mary Ann"])
        self.assertEqual(self.q("", opportunity="006BIG"), acme)
        self.assertEqual(sorted(self.names("/api/v1/opportunities/006BIG/people")), acme)
        self.assertEqual(sorted(self.names("/api/v1/opportunities/006SMALL/people")),
                         ["Ann Marie"])
        self.assertEqual(self.names("/api/v1/accounts/001NONE/people"), [])
        self.assertEqual(self.names("/api/v1/opportunities/006NONE/people"), [])
        self.assertEqual(self.q("", account="001acme"), [])  # ids are exact
        # Filters combine.
        self.assertEqual(sorted(self.names("/api/v1/accounts/001ACME/people?q=anna")),
                         ["Anna Smith"])
        self.assertEqual(sorted(self.names("/api/v1/accounts/001ZETA/people?owner=" + MGR)),
                         ["Ann Marie"])
        self.assertEqual(self.q("", account="001ZETA", opportunity="006SMALL"), ["Ann Marie"])
        # Paging on an account page.
        j = self.get("/api/v1/accounts/001ACME/people?limit=1")
        self.assertEqual(len(j["data"]), 1)
        j2 = self.get("/api/v1/accounts/001ACME/people?limit=1&cursor=" + j["next_cursor"])
        self.assertEqual(len(j2["data"]), 1)
        self.assertIsNone(j2["next_cursor"])
        self.assertError(self.h.request("GET", "/api/v1/accounts/001ACME/people?limit=0",
                                        token=self.rep),
                         400, "bad_request", "limit must be an integer from 1 to 200")

    def test_one_person(self):
        listed = {p["marketo_id"]: p for p in self.get("/api/v1/people?limit=200")["data"]}
        jose = listed[900]
        p = self.get("/api/v1/people/%d" % jose["id"])
        self.assertEqual(set(p), PERSON_KEYS)
        self.assertEqual(len(p), 19)
        self.assertEqual(p, jose)
        for col, key in JSON_OF.items():
            self.assertEqual(p[key], NAMED[0][col], key)
        self.assertIs(p["active"], True)
        self.assertEqual(p["marketo_id"], 900)
        # Missing values are null, not "".
        hans = self.get("/api/v1/people/%d" % listed[17]["id"])
        self.assertEqual(set(hans), PERSON_KEYS)
        for key in ("phone", "title", "source", "linkedin_url", "sfdc_lead_id",
                    "sfdc_contact_id", "sfdc_opportunity_id", "time_zone"):
            self.assertIsNone(hans[key], key)
        self.assertEqual(hans["last_name"], "Müller")

    def test_inactive_person_is_readable_by_id(self):
        ids = [p["id"] for p in self.get("/api/v1/people?limit=200")["data"]]
        # Bob (4th row) has no owner: his id sits between Anna's and Ann's.
        bob_id = None
        for i in range(1, max(ids) + 1):
            if i not in ids:
                p = self.get("/api/v1/people/%d" % i)
                if p["marketo_id"] == 42:
                    bob_id = i
                    break
        self.assertIsNotNone(bob_id)
        bob = self.get("/api/v1/people/%d" % bob_id)
        self.assertIs(bob["active"], False)
        self.assertIsNone(bob["owner_email"])
        self.assertEqual(len(bob), 19)
        self.assertEqual(bob["email"], "bob@acme.example")

    def test_unknown_person_is_404(self):
        self.assertError(self.h.request("GET", "/api/v1/people/999999", token=self.rep),
                         404, "not_found", "no person with id 999999")
        for pid in ("abc", "0", "-4", "1e3"):
            self.assertError(self.h.request("GET", "/api/v1/people/" + pid, token=self.rep),
                             404, "not_found", "no such id: " + pid)

    def test_people_are_read_only(self):
        pid = self.get("/api/v1/people?limit=1")["data"][0]["id"]
        body = {"first_name": "Hacked", "marketo_id": 1}
        for path in ("/api/v1/people", "/api/v1/people/%d" % pid):
            for method in ("POST", "PUT", "PATCH", "DELETE"):
                for tok in (self.rep, self.admin):
                    r = self.h.request(method, path, body if method != "DELETE" else None,
                                       token=tok)
                    self.assertError(r, 405, "method_not_allowed",
                                     "%s is not allowed here (allowed: GET)" % method)
                    self.assertEqual(r.header("Allow"), "GET")
        self.assertEqual(self.get("/api/v1/people/%d" % pid)["first_name"], "José")
        self.assertEqual(len(self.get("/api/v1/people?limit=200")["data"]), self.n_active)

    def test_duplicates_by_email_are_two_people(self):
        dups = [p for p in self.get("/api/v1/people?limit=200")["data"]
                if p["email"] == "same@dup.example"]
        self.assertEqual(len(dups), 2)
        self.assertNotEqual(dups[0]["id"], dups[1]["id"])
        self.assertEqual({d["marketo_id"] for d in dups}, {60, 61})
        self.assertEqual({d["owner_email"] for d in dups}, {REP, MGR})

    def test_needs_credentials(self):
        for path in ("/api/v1/people", "/api/v1/people/1", "/api/v1/accounts/001ACME/people",
                     "/api/v1/opportunities/006BIG/people"):
            self.assertError(self.h.request("GET", path),
                             401, "unauthorized", "authentication required")


class OwnerChangeTest(PeopleCase):
    def setUp(self):
        type(self).h = Hail()
        self.admin = self.h.admin_token()
        self.h.add_user(REP, "Rep", "rep")
        self.rep = self.h.token(REP)
        self.import_rows(NAMED)
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def test_clearing_the_owner_takes_a_person_out(self):
        before = {p["marketo_id"]: p for p in self.all_pages("/api/v1/people")}
        self.assertIn(900, before)
        rows = [dict(r) for r in NAMED]
        rows[0]["leadOwnerEmailAddress"] = ""
        rows[0]["title"] = "Chief Technology Officer"
        out = self.import_rows(rows, "second.csv")
        self.assertIn("1 updated", out)
        self.assertIn("1 deactivated", out)
        self.assertIn("%d unchanged" % (len(NAMED) - 1), out)
        after = {p["marketo_id"]: p for p in self.all_pages("/api/v1/people")}
        self.assertEqual(set(after), set(before) - {900})
        self.assertEqual(self.q("jose"), [])
        self.assertNotIn("José García", self.q("", owner=REP))
        self.assertEqual(self.q("", account="001ACME"), ["Anna Smith"])
        self.assertEqual(sorted(self.names("/api/v1/opportunities/006BIG/people")), ["Anna Smith"])
        # Kept, readable, with the new values.
        p = self.get("/api/v1/people/%d" % before[900]["id"])
        self.assertIs(p["active"], False)
        self.assertIsNone(p["owner_email"])
        self.assertEqual(p["title"], "Chief Technology Officer")
        self.assertEqual(p["created_at"], before[900]["created_at"])
        # An owner again: back in the list, same hail id.
        rows[0]["leadOwnerEmailAddress"] = MGR
        self.import_rows(rows, "third.csv")
        after = {p["marketo_id"]: p for p in self.all_pages("/api/v1/people")}
        self.assertEqual(after[900]["id"], before[900]["id"])
        self.assertEqual(after[900]["owner_email"], MGR)
        self.assertEqual(self.q("jose"), ["José García"])

    def test_new_duplicate_email_adds_a_person(self):
        n = len(self.all_pages("/api/v1/people"))
        extra = {"id": 950, "firstName": "José", "lastName": "García",
                 "email": "jose.garcia@acme.example", "leadOwnerEmailAddress": REP}
        self.import_rows(NAMED + [extra], "dup.csv")
        people = self.all_pages("/api/v1/people")
        self.assertEqual(len(people), n + 1)
        self.assertEqual(self.q("jose"), ["José García", "José García"])
        self.assertEqual(len({p["id"] for p in people if p["email"] == extra["email"]}), 2)


class TimeZoneImportTest(PeopleCase):
    """`hail import people` fills time_zone from a timeZone or time_zone column:
    a zone the system's tz database does not know is stored as null with a
    warning naming the line, and the row is still imported."""

    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.h.add_user(REP, "Rep", "rep")
        cls.rep = cls.h.token(REP)

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def write(self, name, text):
        path = os.path.join(self.h.dir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def zones(self):
        rows = self.h.sql("SELECT marketo_id, time_zone FROM people ORDER BY marketo_id")
        return {int(r[0]): r[1] for r in rows}

    def test_time_zone_column_unknown_zone_warns(self):
        path = self.write("tz.csv", "id,firstName,leadOwnerEmailAddress,time_zone\n"
                                    "501,Asha,rep@example.com,Asia/Kolkata\n"
                                    "502,Mars,rep@example.com,Mars/Olympus_Mons\n"
                                    "503,Nobody,rep@example.com,\n"
                                    "504,Lena,rep@example.com,Europe/Berlin\n")
        p = self.h.run("import", "people", path)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr,
                         "%s: warning: line 3: unknown time zone 'Mars/Olympus_Mons' (not in the "
                         "system's tz database; an IANA name such as Europe/Berlin is expected): "
                         "stored as null\n" % path)
        self.assertRegex(p.stdout, r"^imported 4 rows in [0-9.]+ s: 4 new, 0 updated, "
                                   r"0 unchanged, 0 deactivated\n$")
        z = self.zones()
        self.assertEqual({k: z[k] for k in (501, 502, 503, 504)},
                         {501: "Asia/Kolkata", 502: None, 503: None, 504: "Europe/Berlin"})
        # The camelCase column (Marketo's name) works the same; a changed zone is an update.
        path = self.write("tz2.csv", "id,firstName,leadOwnerEmailAddress,timeZone\n"
                                     "501,Asha,rep@example.com,America/New_York\n"
                                     "504,Lena,rep@example.com,Europe/Berlin\n")
        p = self.h.run("import", "people", path)
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertRegex(p.stdout, r"^imported 2 rows in [0-9.]+ s: 0 new, 1 updated, "
                                   r"1 unchanged, 0 deactivated\n$")
        self.assertEqual(self.zones()[501], "America/New_York")
        # Person JSON shows it.
        self.h.start()
        try:
            people = {p["marketo_id"]: p for p in self.get("/api/v1/people?limit=200")["data"]}
            self.assertEqual(people[501]["time_zone"], "America/New_York")
            self.assertIsNone(people[502]["time_zone"])
            one = self.get("/api/v1/people/%d" % people[504]["id"])
            self.assertEqual(one["time_zone"], "Europe/Berlin")
        finally:
            self.h.stop()

    def test_both_time_zone_columns_is_an_error(self):
        path = self.write("tz3.csv", "id,timeZone,time_zone\n601,UTC,UTC\n")
        p = self.h.run("import", "people", path)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "%s: line 1: column timeZone (or time_zone) appears twice\n"
                                   "hail: nothing was imported\n" % path)


if __name__ == "__main__":
    harness.main()
