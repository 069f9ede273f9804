"""The insight panels over the REST API (docs/insight.md, "Panels"):
GET /api/v1/people/{id}/insight, /accounts/{id}/insight and
/opportunities/{id}/insight give the velocity grid (13 weeks starting Monday in
the viewer's time zone, human and machine counts apart), upcoming campaign
steps and tasks and all-time summary counts of human events; an account or
opportunity aggregates its active people the viewer sees (store/visibility.h);
/accounts/{id}/activities and /opportunities/{id}/activities page their
history newest first. A rep never sees another team's people; 404s and 400s
carry whole messages. hail runs on a test clock (HAIL_CLOCK_FILE)."""
import datetime
import os
import tempfile
import urllib.parse

import harness
from apitest import ApiCase
from harness import Hail

NOW = "2026-03-04T15:00:00Z"  # a Wednesday
TYPES = ["email_send", "email_open", "email_click", "email_reply", "email_autoreply",
         "email_bounce", "call", "campaign_add", "campaign_remove", "unsubscribe", "resubscribe"]
NAMES = ["Send Sales Email", "Open Sales Email", "Click Sales Email", "Reply to Sales Email",
         "Auto-reply to Sales Email", "Sales Email Bounced", "Receive Sales Call",
         "Add to Sales Campaign", "Remove from Sales Campaign", "Unsubscribe from Sales Email",
         "Resubscribe to Sales Email"]
NOT_SEEN = "no account with id %s among the people you see"


def us(iso):
    t = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000


def weeks(monday):
    m = datetime.date.fromisoformat(monday)
    return [{"start": (m - datetime.timedelta(days=7 * (12 - i))).isoformat()} for i in range(13)]


def grid(cells):
    """rows with cells {(type, week): (human, machine)}, zero elsewhere."""
    rows = []
    for t, n in zip(TYPES, NAMES):
        h = [cells.get((t, w), (0, 0))[0] for w in range(13)]
        m = [cells.get((t, w), (0, 0))[1] for w in range(13)]
        rows.append({"type": t, "type_name": n, "human": h, "machine": m})
    return rows


class InsightTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        h = cls.h = Hail()
        fd, cls.clock = tempfile.mkstemp(prefix="hail-clock-")
        os.write(fd, NOW.encode())
        os.close(fd)
        cls.admin = h.admin_token()
        h.add_user("rep1@example.com", "Rita Rep", "rep", team="East")
        h.add_user("mgr@example.com", "Max Manager", "manager", team="East")
        h.add_user("rep2@example.com", "Walt West", "rep", team="West")
        cls.rep1, cls.mgr, cls.rep2 = (h.token(e) for e in
                                       ("rep1@example.com", "mgr@example.com", "rep2@example.com"))
        uid = {r[0]: r[1] for r in h.sql("SELECT email, id FROM users")}
        cls.rep1_id, cls.rep2_id = uid["rep1@example.com"], uid["rep2@example.com"]
        h.sql("UPDATE users SET time_zone = 'America/New_York' WHERE id = ?", cls.rep1_id)
        path = os.path.join(h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress,sfdcAccountId,sfdcOpptyId\n"
                    "1,Ann,Lee,ann@x.example,REP1@example.com,ACC1,OPP1\n"
                    "2,Bob,Lee,bob@x.example,rep1@example.com,ACC1,\n"
                    "3,Cat,Lee,cat@x.example,rep2@example.com,ACC1,OPP1\n"
                    "4,Dan,Lee,dan@x.example,rep2@example.com,ACC2,\n")
        h.run("import", "people", path, check=True)
        ids = {r[0]: r[1] for r in h.sql("SELECT marketo_id, id FROM people")}
        cls.ann, cls.bob, cls.cat, cls.dan = ids[1], ids[2], ids[3], ids[4]
        cls.acts = {}
        for key, kind, person, when, machine, user in [
                ("a1", "email_send", cls.ann, "2026-03-02T03:00:00Z", 0, cls.rep1_id),
                ("a2", "email_open", cls.ann, "2026-02-25T12:00:00Z", 0, None),
                ("a3", "email_open", cls.ann, "2026-02-25T12:01:00Z", 1, None),
                ("a4", "email_click", cls.ann, "2026-03-04T14:00:00Z", 0, None),
                ("a5", "email_reply", cls.ann, "2025-11-01T00:00:00Z", 0, None),
                ("a6", "call", cls.ann, "2025-12-08T00:00:00Z", 0, cls.rep1_id),
                ("b1", "email_send", cls.bob, "2026-03-03T10:00:00Z", 0, cls.rep1_id),
                ("b2", "email_bounce", cls.bob, "2026-03-03T10:05:00Z", 0, None),
                ("c1", "email_send", cls.cat, "2026-03-03T11:00:00Z", 0, cls.rep2_id),
                ("c2", "email_open", cls.cat, "2026-03-03T12:00:00Z", 1, None),
                ("d1", "email_send", cls.dan, "2026-03-03T13:00:00Z", 0, cls.rep2_id)]:
            h.sql("INSERT INTO activities (type, person_id, user_id, occurred_at, machine, attrs,"
                  " created_at) VALUES (?, ?, ?, ?, ?, '{}', ?)",
                  kind, person, user, us(when), machine, us(when))
            cls.acts[key] = h.sql_value("SELECT max(id) FROM activities")
        h.sql("INSERT INTO campaigns (owner_id, name, sharing, created_at, updated_at)"
              " VALUES (?, 'Spring', 'private', 0, 0)", cls.rep1_id)
        cls.camp = h.sql_value("SELECT max(id) FROM campaigns")
        for pos, day, kind in ((0, 1, "manual_email"), (1, 3, "call")):
            h.sql("INSERT INTO campaign_steps (campaign_id, position, day, type) VALUES (?, ?, ?, ?)",
                  cls.camp, pos, day, kind)
        for person, status, pos, due in ((cls.ann, "active", 1, us("2026-03-05T09:00:00Z")),
                                         (cls.bob, "paused", 1, None),
                                         (cls.cat, "active", 0, us("2026-03-04T16:00:00Z"))):
            h.sql("INSERT INTO campaign_members (campaign_id, person_id, status, step_position,"
                  " next_due_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, 0)",
                  cls.camp, person, status, pos, due)
        cls.members = {r[0]: r[1] for r in h.sql("SELECT person_id, id FROM campaign_members")}
        for name, kind, person, due, prio, status in (
                ("Call Ann", "call", cls.ann, "2026-03-06T10:00:00Z", "high", "open"),
                ("Old one", "call", cls.ann, "2026-03-01T10:00:00Z", "normal", "complete"),
                ("Write Bob", "email", cls.bob, "2026-03-05T08:00:00Z", "normal", "open")):
            h.sql("INSERT INTO tasks (type, name, person_id, assignee_id, due_at, priority, status,"
                  " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0)",
                  kind, name, person, cls.rep1_id, us(due), prio, status)
        cls.tasks = {r[0]: r[1] for r in h.sql("SELECT name, id FROM tasks")}
        h.start(env={"HAIL_CLOCK_FILE": cls.clock})

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)
        os.unlink(cls.clock)

    def get(self, path, token, status=200):
        r = self.h.request("GET", path, token=token)
        self.assertEqual(r.status, status, r)
        return r.json

    def step(self, person, name, campaign_step, due):
        pos, kind, day = campaign_step
        return {"campaign": {"id": self.camp, "name": "Spring"}, "member_id": self.members[person],
                "person": {"id": person, "name": name},
                "step": {"position": pos, "type": kind, "day": day}, "due_at": due}

    def task(self, name, kind, due, prio, person, pname):
        return {"id": self.tasks[name], "name": name, "type": kind, "due_at": due,
                "priority": prio, "person": {"id": person, "name": pname}}

    def test_person_panel_in_utc(self):
        j = self.get("/api/v1/people/%d/insight" % self.ann, self.admin)
        self.assertEqual(j, {
            "time_zone": "UTC", "weeks": weeks("2026-03-02"),
            # a1 (Monday 03:00 UTC) is this week; a3 is a machine open; a5 is
            # older than 13 weeks; a6 falls on the first week's first moment
            "rows": grid({("email_send", 12): (1, 0), ("email_open", 11): (1, 1),
                          ("email_click", 12): (1, 0), ("call", 0): (1, 0)}),
            "totals": {"human": 4, "machine": 1},
            "upcoming_steps": [self.step(self.ann, "Ann Lee", (1, "call", 3), "2026-03-05T09:00:00Z")],
            "upcoming_tasks": [self.task("Call Ann", "call", "2026-03-06T10:00:00Z", "high",
                                         self.ann, "Ann Lee")],
            "summary": {"emails_sent": 1, "opens": 1, "clicks": 1, "replies": 1, "bounces": 0,
                        "calls": 1, "campaigns_active": 1,
                        "last_activity_at": "2026-03-04T14:00:00Z"},
            "people": 1})

    def test_person_panel_in_the_viewers_zone(self):
        # New York: a1 (Sunday 22:00 there) is last week; a6 (Sunday 19:00) is
        # before the first week
        j = self.get("/api/v1/people/%d/insight" % self.ann, self.rep1)
        self.assertEqual(j["time_zone"], "America/New_York")
        self.assertEqual(j["weeks"], weeks("2026-03-02"))
        self.assertEqual(j["rows"], grid({("email_send", 11): (1, 0), ("email_open", 11): (1, 1),
                                          ("email_click", 12): (1, 0)}))
        self.assertEqual(j["totals"], {"human": 3, "machine": 1})

    def test_account_panel_aggregates_what_the_viewer_sees(self):
        j = self.get("/api/v1/accounts/ACC1/insight", self.admin)
        self.assertEqual(j["people"], 3)
        self.assertEqual(j["rows"], grid({
            ("email_send", 12): (3, 0), ("email_open", 11): (1, 1), ("email_open", 12): (0, 1),
            ("email_click", 12): (1, 0), ("email_bounce", 12): (1, 0), ("call", 0): (1, 0)}))
        self.assertEqual(j["totals"], {"human": 7, "machine": 2})
        self.assertEqual(j["upcoming_steps"], [
            self.step(self.cat, "Cat Lee", (0, "manual_email", 1), "2026-03-04T16:00:00Z"),
            self.step(self.ann, "Ann Lee", (1, "call", 3), "2026-03-05T09:00:00Z")])
        self.assertEqual(j["upcoming_tasks"], [
            self.task("Write Bob", "email", "2026-03-05T08:00:00Z", "normal", self.bob, "Bob Lee"),
            self.task("Call Ann", "call", "2026-03-06T10:00:00Z", "high", self.ann, "Ann Lee")])
        self.assertEqual(j["summary"], {"emails_sent": 3, "opens": 1, "clicks": 1, "replies": 1,
                                        "bounces": 1, "calls": 1, "campaigns_active": 1,
                                        "last_activity_at": "2026-03-04T14:00:00Z"})
        # the rep and their manager: Ann and Bob (owned by rep1), not Cat
        for token in (self.rep1, self.mgr):
            j = self.get("/api/v1/accounts/ACC1/insight", token)
            self.assertEqual(j["people"], 2)
            self.assertEqual(j["summary"]["emails_sent"], 2)
            self.assertEqual(j["totals"]["machine"], 1)
            self.assertEqual([s["person"]["id"] for s in j["upcoming_steps"]], [self.ann])
        # the other team's rep: Cat alone
        j = self.get("/api/v1/accounts/ACC1/insight", self.rep2)
        self.assertEqual(j["people"], 1)
        self.assertEqual(j["summary"], {"emails_sent": 1, "opens": 0, "clicks": 0, "replies": 0,
                                        "bounces": 0, "calls": 0, "campaigns_active": 1,
                                        "last_activity_at": "2026-03-03T11:00:00Z"})
        self.assertEqual(j["upcoming_tasks"], [])

    def test_opportunity_panel(self):
        j = self.get("/api/v1/opportunities/OPP1/insight", self.admin)
        self.assertEqual(j["people"], 2)
        self.assertEqual(j["totals"], {"human": 5, "machine": 2})
        j = self.get("/api/v1/opportunities/OPP1/insight", self.rep2)
        self.assertEqual((j["people"], j["totals"]), (1, {"human": 1, "machine": 1}))

    def test_visibility_and_not_found(self):
        for token in (self.rep2, self.admin):
            self.get("/api/v1/people/%d/insight" % self.dan, token)
        for token in (self.rep1, self.mgr):
            r = self.h.request("GET", "/api/v1/people/%d/insight" % self.dan, token=token)
            self.assertError(r, 404, "not_found", "no person with id %d" % self.dan)
        r = self.h.request("GET", "/api/v1/people/999999/insight", token=self.admin)
        self.assertError(r, 404, "not_found", "no person with id 999999")
        for path in ("insight", "activities"):
            r = self.h.request("GET", "/api/v1/accounts/ACC2/" + path, token=self.rep1)
            self.assertError(r, 404, "not_found", NOT_SEEN % "ACC2")
            r = self.h.request("GET", "/api/v1/accounts/NOPE/" + path, token=self.admin)
            self.assertError(r, 404, "not_found", NOT_SEEN % "NOPE")
            r = self.h.request("GET", "/api/v1/opportunities/%s/%s" % ("x" * 101, path),
                               token=self.admin)
            self.assertError(r, 404, "not_found",
                             "no opportunity with that id among the people you see")
            r = self.h.request("GET", "/api/v1/accounts/ACC1/" + path)
            self.assertEqual(r.status, 401, r)

    def test_account_history_pages_newest_first(self):
        base = "/api/v1/accounts/ACC1/activities?limit=3"
        got, cursor = [], None
        while True:
            j = self.get(base + ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""),
                         self.admin)
            self.assertLessEqual(len(j["data"]), 3)
            got += j["data"]
            cursor = j["next_cursor"]
            if cursor is None:
                break
        a = self.acts
        self.assertEqual([x["id"] for x in got],
                         [a[k] for k in ("c2", "c1", "b2", "b1", "a6", "a5", "a4", "a3", "a2", "a1")])
        self.assertEqual(got[-1], {"id": a["a1"], "type": "email_send",
                                   "type_name": "Send Sales Email", "person_id": self.ann,
                                   "user_id": self.rep1_id, "email_id": None, "template_id": None,
                                   "campaign_id": None, "call_id": None,
                                   "occurred_at": "2026-03-02T03:00:00Z", "machine": False,
                                   "attrs": {}})
        j = self.get("/api/v1/accounts/ACC1/activities?before=%d" % a["b1"], self.rep1)
        self.assertEqual([x["id"] for x in j["data"]],
                         [a[k] for k in ("a6", "a5", "a4", "a3", "a2", "a1")])
        self.assertIsNone(j["next_cursor"])
        j = self.get("/api/v1/opportunities/OPP1/activities?limit=2", self.rep2)
        self.assertEqual([x["id"] for x in j["data"]], [a["c2"], a["c1"]])
        self.assertIsNone(j["next_cursor"])

    def test_history_bad_parameters(self):
        base = "/api/v1/accounts/ACC1/activities"
        for q, msg in (("?before=0", "before must be an activity id (a positive integer)"),
                       ("?before=x1", "before must be an activity id (a positive integer)"),
                       ("?before=-3", "before must be an activity id (a positive integer)"),
                       ("?cursor=zzz", "cursor is not valid"),
                       ("?before=3&cursor=YTQ", "give cursor or before, not both")):
            r = self.h.request("GET", base + q, token=self.admin)
            self.assertError(r, 400, "bad_request", msg)


if __name__ == "__main__":
    harness.main()
