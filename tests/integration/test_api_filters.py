"""Saved filters over the REST API (docs/outbox.md "Filters and triggers"):
CRUD and who may read and change a filter; whole 400 messages for bad
bodies and definitions; matching (template, time window, count, human only,
link, negation, owner scope) against what the log says; the people paged
with after= without gaps or repeats; a rep sees only the people they cover;
the preview's first page and count. Activities are written straight into the
log at chosen times, and one call is logged through POST /api/v1/calls.
Both engines."""
import time

from apitest import ApiCase, DataTemplate

TEMPLATE = None
PW = "correct horse battery"
DAY = 86400 * 1000000


def build(h):
    admin = h.admin_token()
    h.add_user("mia@example.com", "Mia Manager", "manager", password=PW, team="west")
    h.add_user("rita@example.com", "Rita Rep", "rep", password=PW, team="west")
    h.add_user("ray@example.com", "Ray Rep", "rep", password=PW, team="east")
    return {"admin": admin, "mia": h.token("mia@example.com"), "rita": h.token("rita@example.com"),
            "ray": h.token("ray@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


def opened(tid, **kw):
    c = {"type": "email_open", "template_id": tid}
    c.update(kw)
    return c


class FiltersCase(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.t = TEMPLATE.values
        self.h.start()
        self.ids = {k: self.me(self.h, v).json["id"] for k, v in self.t.items()}
        self.now = int(time.time() * 1000000)

    def tearDown(self):
        self.close_checked(self.h)

    def req(self, method, path, body=None, who="admin"):
        return self.h.request(method, path, body, token=self.t[who])

    def ok(self, method, path, body=None, who="admin", status=200):
        r = self.req(method, path, body, who)
        self.assertEqual(r.status, status, r)
        return r.json

    def person(self, owner, n=1):
        ids = []
        for _ in range(n):
            ids.append(self.h.sql(
                "INSERT INTO people (marketo_id, first_name, last_name, email, owner_email, active,"
                " created_at, updated_at) VALUES ((SELECT coalesce(max(marketo_id), 0) + 1 FROM"
                " people), 'P', 'Lee', 'p@example.com', ?, 1, 0, 0) RETURNING id", owner)[0][0])
        return ids if n > 1 else ids[0]

    def act(self, type_, person, days_ago, template=None, machine=0, attrs="{}"):
        self.h.sql("INSERT INTO activities (type, person_id, template_id, occurred_at, machine,"
                   " attrs, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)",
                   type_, person, template, self.now - days_ago * DAY - 1000000, machine, attrs)

    def people(self, fid, who="admin", limit=None):
        """Every page of filter fid's people, checking each page."""
        got, after = [], None
        for _ in range(200):
            q = "/api/v1/filters/%d/people" % fid
            sep = "?"
            if limit:
                q += "?limit=%d" % limit
                sep = "&"
            if after:
                q += "%safter=%d" % (sep, after)
            page = self.ok("GET", q, who=who)
            if limit:
                self.assertLessEqual(len(page["data"]), limit)
            got += [p["id"] for p in page["data"]]
            if page["next"] is None:
                return got
            after = page["next"]
        self.fail("too many pages")

    def create(self, definition, who="admin", name="F", shared=False):
        return self.ok("POST", "/api/v1/filters",
                       {"name": name, "shared": shared, "definition": definition},
                       who=who, status=201)


class CrudTest(FiltersCase):
    def test_crud_and_who_may(self):
        d = {"conditions": [{"type": "email_reply"}]}
        f = self.create(d, who="rita", name="Replied")
        self.assertEqual(f["name"], "Replied")
        self.assertEqual(f["owner_id"], self.ids["rita"])
        self.assertEqual(f["owner_name"], "Rita Rep")
        self.assertFalse(f["shared"])
        self.assertEqual(f["definition"], {"conditions": [
            {"type": "email_reply", "min_count": 1, "human_only": False, "negate": False}]})
        fid = f["id"]
        self.assertEqual(self.ok("GET", "/api/v1/filters/%d" % fid, who="rita"), f)
        # her manager and an admin read it; a rep of another team does not
        self.assertEqual(self.ok("GET", "/api/v1/filters/%d" % fid, who="mia")["id"], fid)
        self.assertEqual(self.ok("GET", "/api/v1/filters/%d" % fid)["id"], fid)
        self.assertError(self.req("GET", "/api/v1/filters/%d" % fid, who="ray"), 404, "not_found",
                         "no filter with id %d" % fid)
        self.assertEqual([x["id"] for x in self.ok("GET", "/api/v1/filters", who="ray")["data"]], [])
        # shared: everyone reads it; only its owner or an admin change it
        self.ok("PUT", "/api/v1/filters/%d" % fid, {"shared": True}, who="rita")
        self.assertEqual(self.ok("GET", "/api/v1/filters/%d" % fid, who="ray")["id"], fid)
        self.assertError(self.req("PUT", "/api/v1/filters/%d" % fid, {"name": "x"}, who="mia"),
                         403, "forbidden", "only the filter's owner or an admin may change it")
        self.assertError(self.req("DELETE", "/api/v1/filters/%d" % fid, who="ray"), 403,
                         "forbidden", "only the filter's owner or an admin may change it")
        u = self.ok("PUT", "/api/v1/filters/%d" % fid,
                    {"name": "Opened", "definition": {"conditions": [opened(3)]}})
        self.assertEqual((u["name"], u["shared"], u["definition"]["conditions"][0]["template_id"]),
                         ("Opened", True, 3))
        # the list pages by id
        g = self.create(d, who="ray", name="Ray's")
        lst = self.ok("GET", "/api/v1/filters?limit=1")
        self.assertEqual(([x["id"] for x in lst["data"]], lst["next"]), ([fid], fid))
        lst = self.ok("GET", "/api/v1/filters?limit=1&after=%d" % fid)
        self.assertEqual(([x["id"] for x in lst["data"]], lst["next"]), ([g["id"]], None))
        r = self.req("DELETE", "/api/v1/filters/%d" % fid, who="rita")
        self.assertEqual(r.status, 204, r)
        self.assertError(self.req("GET", "/api/v1/filters/%d" % fid), 404, "not_found",
                         "no filter with id %d" % fid)
        self.assertError(self.h.request("GET", "/api/v1/filters"), 401)

    def test_bad_input(self):
        types = ("email_send, email_open, email_click, email_reply, email_autoreply, "
                 "email_bounce, call, campaign_add, campaign_remove, unsubscribe and resubscribe")
        cases = [
            ({"definition": {"conditions": []}}, "name is required"),
            ({"name": "", "definition": {"conditions": []}},
             "name must be 1 to 200 characters, not 0"),
            ({"name": "x"}, "definition is required"),
            ({"name": "x", "definition": {"conditions": []}},
             "definition.conditions must be an array of 1 to 20 conditions"),
            ({"name": "x", "definition": {"conditions": [{}] * 21}},
             "definition.conditions must hold at most 20 items, not 21"),
            ({"name": "x", "definition": {"conditions": [{"type": "opened"}]}},
             "definition.conditions[0].type must be one of %s, not 'opened'" % types),
            ({"name": "x", "definition": {"conditions": [opened(1), {"type": "call",
                                                                    "within_days": 4000}]}},
             "definition.conditions[1].within_days must be an integer from 1 to 3650"),
            ({"name": "x", "definition": {"conditions": [opened(1, min_count=0)]}},
             "definition.conditions[0].min_count must be an integer from 1 to 1000"),
            ({"name": "x", "definition": {"conditions": [opened(1, link="https://x.example")]}},
             "definition.conditions[0].link applies to email_click only, not to email_open"),
            ({"name": "x", "definition": {"conditions": [opened(1, human_only="yes")]}},
             "definition.conditions[0].human_only must be true or false"),
            ({"name": "x", "definition": {"conditions": [{"type": "email_reply",
                                                          "negate": True}]}},
             "definition: a filter needs a condition that is not negated: the people are found "
             "through it"),
            ({"name": "x", "definition": {"conditions": [opened(1)], "owner": "a@b.example"}},
             "unknown member 'definition.owner' (allowed: conditions or owner_email)"),
        ]
        for body, message in cases:
            with self.subTest(message=message):
                self.assertError(self.req("POST", "/api/v1/filters", body), 400, "bad_request",
                                 message)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM filters"), 0)
        self.assertError(self.req("GET", "/api/v1/filters/1/people?limit=0"), 400, "bad_request",
                         "limit must be an integer from 1 to 200, not '0'")
        self.assertError(self.req("GET", "/api/v1/filters?after=x"), 400, "bad_request",
                         "after must be a positive integer, not 'x'")
        self.assertError(self.req("POST", "/api/v1/filters/preview",
                                  {"definition": {"conditions": [opened(1)]}, "limit": 500}),
                         400, "bad_request", "limit must be an integer from 1 to 200, not 500")


class MatchTest(FiltersCase):
    def setUp(self):
        super().setUp()
        rita, ray = "Rita@Example.com", "ray@example.com"
        self.p = [self.person(rita) for _ in range(5)] + [self.person(ray) for _ in range(3)]
        p = self.p
        self.act("email_open", p[0], 2, 5)             # opened, no reply
        self.act("email_open", p[1], 1, 5)             # opened and replied
        self.act("email_reply", p[1], 0, 5)
        self.act("email_open", p[2], 20, 5)            # outside 7 days
        self.act("email_open", p[3], 3, 5, machine=1)  # a machine open only
        self.act("email_click", p[3], 3, 5, attrs='{"link":"https://a.example/x"}')
        for k in range(3):                            # three opens
            self.act("email_open", p[5], k + 1, 5)
        self.act("email_open", p[6], 1, 6)             # another template
        self.act("email_open", p[7], 4, 5)

    def check(self, definition, want, who="admin"):
        fid = self.create(definition)["id"]
        want = [self.p[i] for i in want]
        for limit in (None, 1, 2, 3):
            with self.subTest(definition=definition, who=who, limit=limit):
                self.assertEqual(self.people(fid, who=who, limit=limit), want)

    def test_matching(self):
        self.check({"conditions": [opened(5, within_days=7)]}, [0, 1, 3, 5, 7])
        self.check({"conditions": [opened(5, within_days=7),
                                   {"type": "email_reply", "negate": True}]}, [0, 3, 5, 7])
        self.check({"conditions": [opened(5, within_days=7, human_only=True)]}, [0, 1, 5, 7])
        self.check({"conditions": [opened(5, min_count=3)]}, [5])
        self.check({"conditions": [opened(5, min_count=2, negate=True),
                                   {"type": "email_open", "within_days": 30}]},
                   [0, 1, 2, 3, 6, 7])
        self.check({"conditions": [{"type": "email_click", "link": "https://a.example/x"}]}, [3])
        self.check({"conditions": [{"type": "email_open"}],
                    "owner_email": "RAY@example.com"}, [5, 6, 7])
        self.check({"conditions": [opened(9)]}, [])

    def test_a_rep_sees_only_covered_people(self):
        d = {"conditions": [opened(5, within_days=7)]}
        fid = self.create(d, who="rita", shared=True)["id"]
        for who, want in (("rita", [0, 1, 3]), ("mia", [0, 1, 3]), ("ray", [5, 7]),
                          ("admin", [0, 1, 3, 5, 7])):
            with self.subTest(who=who):
                self.assertEqual(self.people(fid, who=who, limit=1), [self.p[i] for i in want])
        prev = self.ok("POST", "/api/v1/filters/preview", {"definition": d, "limit": 2}, who="ray")
        self.assertEqual(([x["id"] for x in prev["data"]], prev["next"], prev["count"],
                          prev["count_more"]), ([self.p[5], self.p[7]], None, 2, False))
        row = prev["data"][0]
        self.assertEqual(row, {"id": self.p[5], "first_name": "P", "last_name": "Lee",
                               "email": "p@example.com", "company": None,
                               "owner_email": "ray@example.com"})

    def test_preview_counts_and_a_call_through_the_api(self):
        prev = self.ok("POST", "/api/v1/filters/preview",
                       {"definition": {"conditions": [opened(5)]}, "limit": 2})
        self.assertEqual(([x["id"] for x in prev["data"]], prev["next"], prev["count"],
                          prev["count_more"]), ([self.p[0], self.p[1]], self.p[1], 6, False))
        r = self.req("POST", "/api/v1/calls", {"person_id": self.p[4], "status": "completed"},
                     who="rita")
        self.assertEqual(r.status, 201, r)
        prev = self.ok("POST", "/api/v1/filters/preview",
                       {"definition": {"conditions": [{"type": "call", "within_days": 1}]}},
                       who="rita")
        self.assertEqual(([x["id"] for x in prev["data"]], prev["count"]), ([self.p[4]], 1))


class PagingTest(FiltersCase):
    def test_many_people_no_gaps_no_repeats(self):
        people = self.person("rita@example.com", n=60)
        for i, p in enumerate(people):
            self.act("email_open", p, 1 + i % 5, 7)
            if i % 3 == 0:
                self.act("email_reply", p, 0, 7)
        want = [p for i, p in enumerate(people) if i % 3 != 0]
        fid = self.create({"conditions": [opened(7, within_days=10),
                                          {"type": "email_reply", "negate": True}]})["id"]
        for limit in (1, 7, 50, 200):
            with self.subTest(limit=limit):
                self.assertEqual(self.people(fid, limit=limit), want)
        fid = self.create({"conditions": [{"type": "email_open"},
                                          {"type": "email_reply", "negate": True}]},
                          who="rita")["id"]
        self.assertEqual(self.people(fid, who="rita", limit=9), want)


if __name__ == "__main__":
    import unittest
    unittest.main()
