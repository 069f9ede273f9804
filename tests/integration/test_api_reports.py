"""Reports over the REST API (docs/insight.md "Reports"): per template,
campaign, user and team over a date range in the caller's time zone — sent,
human opens and clicks with machine ones apart, replies, bounces,
unsubscribes, calls by outcome, tasks completed — with a daily or weekly
series; visibility (reps their own numbers, managers their teams', admins
everyone's); CSV (RFC 4180, formula-safe cells); every bad parameter a 400
with its whole message. Activities are written straight into the log at
chosen times. Both engines."""
import calendar
import datetime

from apitest import ApiCase, DataTemplate

TEMPLATE = None
PW = "correct horse battery"


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


def us(when):
    """'2026-03-02T10:00' (UTC) -> epoch µs."""
    t = datetime.datetime.strptime(when, "%Y-%m-%dT%H:%M")
    return calendar.timegm(t.timetuple()) * 1000000


def zero(**over):
    m = {"sent": 0, "opens": 0, "machine_opens": 0, "clicks": 0, "machine_clicks": 0,
         "replies": 0, "bounces": 0, "unsubscribes": 0, "calls": {"total": 0},
         "tasks_completed": 0}
    m.update(over)
    return m


class ReportsCase(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.t = TEMPLATE.values
        self.h.start()
        self.ids = {k: self.me(self.h, v).json["id"] for k, v in self.t.items()}
        self.team = {n: self.h.sql_value("SELECT id FROM teams WHERE name = ?", n)
                     for n in ("west", "east")}
        self.person = self.h.sql(
            "INSERT INTO people (marketo_id, first_name, last_name, email, active, created_at,"
            " updated_at) VALUES (1, 'Pat', 'Lee', 'pat@example.com', 1, 0, 0) RETURNING id")[0][0]

    def tearDown(self):
        self.close_checked(self.h)

    def get(self, path, who="admin", **kw):
        return self.h.request("GET", path, token=self.t[who], **kw)

    def report(self, path, who="admin"):
        r = self.get(path, who)
        self.assertEqual(r.status, 200, r)
        return r.json

    def template(self, name):
        return self.h.sql("INSERT INTO templates (owner_id, name, subject, body_html, sharing,"
                          " created_at, updated_at) VALUES (?, ?, 's', 'b', 'everyone', 0, 0)"
                          " RETURNING id", self.ids["admin"], name)[0][0]

    def campaign(self, name):
        return self.h.sql("INSERT INTO campaigns (owner_id, name, sharing, created_at, updated_at)"
                          " VALUES (?, ?, 'everyone', 0, 0) RETURNING id",
                          self.ids["admin"], name)[0][0]

    def act(self, type_, who, when, template=None, campaign=None, machine=0, call=None, n=1):
        for _ in range(n):
            self.h.sql("INSERT INTO activities (type, person_id, user_id, template_id, campaign_id,"
                       " call_id, occurred_at, machine, attrs, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}', 0)",
                       type_, self.person, self.ids[who] if who else None, template, campaign,
                       call, us(when), machine)

    def call(self, who, when, outcome):
        cid = self.h.sql("INSERT INTO calls (person_id, user_id, outcome, status, created_at,"
                         " updated_at) VALUES (?, ?, ?, 'completed', 0, 0) RETURNING id",
                         self.person, self.ids[who], outcome)[0][0]
        self.act("call", who, when, call=cid)

    def task(self, who, when, status="complete", template=None, campaign=None):
        self.h.sql("INSERT INTO tasks (type, name, assignee_id, template_id, campaign_id, due_at,"
                   " status, completed_at, created_at, updated_at)"
                   " VALUES ('custom', 't', ?, ?, ?, 0, ?, ?, 0, 0)",
                   self.ids[who], template, campaign, status,
                   us(when) if status != "open" else None)


class NumbersTest(ReportsCase):
    def setUp(self):
        super().setUp()
        self.t1 = self.template("Intro")
        self.t2 = self.template("=HYPERLINK(\"http://x\",\"y\")")
        self.c1 = self.campaign("Spring")
        d = "2026-03-02T10:00"
        self.act("email_send", "rita", d, self.t1, self.c1, n=3)
        self.act("email_open", "rita", d, self.t1, self.c1, n=2)
        self.act("email_open", "rita", d, self.t1, self.c1, machine=1)
        self.act("email_click", "rita", "2026-03-03T10:00", self.t1, self.c1)
        self.act("email_click", "rita", "2026-03-03T10:00", self.t1, self.c1, machine=1, n=2)
        self.act("email_reply", "rita", "2026-03-04T10:00", self.t1, self.c1)
        self.act("email_autoreply", "rita", "2026-03-04T10:00", self.t1, self.c1)
        self.act("email_bounce", "rita", "2026-03-04T10:00", self.t2)
        self.act("unsubscribe", "rita", "2026-03-05T10:00")
        self.act("email_send", "ray", d, self.t1)
        self.act("email_send", "mia", d, self.t2)
        self.act("email_send", "rita", "2026-02-28T23:59", self.t1)  # before the range
        self.act("email_send", "rita", "2026-03-09T00:00", self.t1)  # after it
        self.call("rita", "2026-03-05T15:00", "Meeting booked")
        self.call("rita", "2026-03-06T15:00", "No answer")
        self.call("rita", "2026-03-06T16:00", "No answer")
        self.call("ray", "2026-03-06T16:00", None)
        self.task("rita", "2026-03-07T12:00", template=self.t1, campaign=self.c1)
        self.task("rita", "2026-03-07T12:00", status="skipped")
        self.task("ray", "2026-03-08T23:00")
        self.q = "?from=2026-03-01&to=2026-03-08"

    def rita(self):
        return zero(sent=3, opens=2, machine_opens=1, clicks=1, machine_clicks=2, replies=1,
                    bounces=1, unsubscribes=1,
                    calls={"Meeting booked": 1, "No answer": 2, "total": 3}, tasks_completed=1)

    def test_users_as_admin(self):
        j = self.report("/api/v1/reports/users" + self.q)
        self.assertEqual({k: j[k] for k in ("kind", "from", "to", "interval", "time_zone")},
                         {"kind": "users", "from": "2026-03-01", "to": "2026-03-08",
                          "interval": "day", "time_zone": "UTC"})
        ids = self.ids
        self.assertEqual(j["rows"], [
            dict(id=ids["admin"], name="Admin", **zero()),
            dict(id=ids["mia"], name="Mia Manager", **zero(sent=1)),
            dict(id=ids["ray"], name="Ray Rep",
                 **zero(sent=1, calls={"No outcome": 1, "total": 1}, tasks_completed=1)),
            dict(id=ids["rita"], name="Rita Rep", **self.rita()),
        ])
        self.assertEqual([p["start"] for p in j["series"]],
                         ["2026-03-0%d" % d for d in range(1, 9)])
        self.assertEqual(j["series"][1], dict(start="2026-03-02", **zero(
            sent=5, opens=2, machine_opens=1)))
        self.assertEqual(j["series"][6], dict(start="2026-03-07", **zero(tasks_completed=1)))
        self.assertEqual(j["series"][7], dict(start="2026-03-08", **zero(tasks_completed=1)))

    def test_visibility(self):
        ids = self.ids
        rita = self.report("/api/v1/reports/users" + self.q, "rita")["rows"]
        self.assertEqual(rita, [dict(id=ids["rita"], name="Rita Rep", **self.rita())])
        mia = self.report("/api/v1/reports/users" + self.q, "mia")["rows"]
        self.assertEqual([r["name"] for r in mia], ["Mia Manager", "Rita Rep"])
        ray = self.report("/api/v1/reports/users" + self.q, "ray")["rows"]
        self.assertEqual([r["name"] for r in ray], ["Ray Rep"])
        # a template counts only the covered users' activity
        t = self.report("/api/v1/reports/templates" + self.q, "ray")["rows"]
        self.assertEqual(t, [dict(id=self.t1, name="Intro", **zero(sent=1))])
        t = self.report("/api/v1/reports/templates" + self.q, "mia")["rows"]
        self.assertEqual([(r["name"], r["sent"]) for r in t],
                         [("=HYPERLINK(\"http://x\",\"y\")", 1), ("Intro", 3)])
        # teams: the caller's own teams, only covered users counted
        self.assertEqual(self.report("/api/v1/reports/teams" + self.q, "ray")["rows"],
                         [dict(id=self.team["east"], name="east",
                               **zero(sent=1, calls={"No outcome": 1, "total": 1},
                                      tasks_completed=1))])
        west = self.report("/api/v1/reports/teams" + self.q, "mia")["rows"]
        self.assertEqual(west, [dict(id=self.team["west"], name="west",
                                     **dict(self.rita(), sent=4))])
        admin = self.report("/api/v1/reports/teams" + self.q)["rows"]
        self.assertEqual([r["name"] for r in admin], ["east", "west"])
        # another user's or team's report is not there for a rep
        r = self.get("/api/v1/reports/users%s&id=%d" % (self.q, ids["ray"]), "rita")
        self.assertError(r, 404, "not_found", "no user with id %d" % ids["ray"])
        r = self.get("/api/v1/reports/teams%s&id=%d" % (self.q, self.team["east"]), "mia")
        self.assertError(r, 404, "not_found", "no team with id %d" % self.team["east"])

    def test_templates_and_campaigns(self):
        j = self.report("/api/v1/reports/templates" + self.q)
        self.assertEqual(j["rows"], [
            dict(id=self.t2, name="=HYPERLINK(\"http://x\",\"y\")", **zero(sent=1, bounces=1)),
            dict(id=self.t1, name="Intro", **zero(
                sent=4, opens=2, machine_opens=1, clicks=1, machine_clicks=2, replies=1,
                tasks_completed=1)),
        ])
        j = self.report("/api/v1/reports/campaigns%s&id=%d" % (self.q, self.c1))
        self.assertEqual(j["rows"], [dict(id=self.c1, name="Spring", **zero(
            sent=3, opens=2, machine_opens=1, clicks=1, machine_clicks=2, replies=1,
            tasks_completed=1))])
        self.assertEqual(sum(p["sent"] for p in j["series"]), 3)
        # one with nothing in the range still has its row; an unknown one is a 404
        c2 = self.campaign("Quiet")
        j = self.report("/api/v1/reports/campaigns%s&id=%d" % (self.q, c2))
        self.assertEqual(j["rows"], [dict(id=c2, name="Quiet", **zero())])
        self.assertError(self.get("/api/v1/reports/campaigns?id=9999"), 404, "not_found",
                         "no campaign with id 9999")
        self.assertError(self.get("/api/v1/reports/templates?id=9999"), 404, "not_found",
                         "no template with id 9999")

    def test_weeks_and_time_zone(self):
        # 2026-03-02 is a Monday; in Los Angeles 2026-03-02T05:00Z is still Sunday the 1st,
        # and 2026-03-09T00:00Z Sunday the 8th (and 2026-02-28T23:59Z before the range)
        self.h.sql("UPDATE users SET time_zone = 'America/Los_Angeles' WHERE id = ?",
                   self.ids["admin"])
        self.act("email_send", "rita", "2026-03-02T05:00", self.t1)
        j = self.report("/api/v1/reports/users?from=2026-03-01&to=2026-03-15&interval=week")
        self.assertEqual((j["interval"], j["time_zone"]), ("week", "America/Los_Angeles"))
        self.assertEqual([(p["start"], p["sent"]) for p in j["series"]],
                         [("2026-02-23", 1), ("2026-03-02", 6), ("2026-03-09", 0)])
        j = self.report("/api/v1/reports/users?from=2026-03-01&to=2026-03-01")
        self.assertEqual([(p["start"], p["sent"]) for p in j["series"]], [("2026-03-01", 1)])
        # the task completed at 23:00 UTC on the 8th is on the 8th in Los Angeles, too
        j = self.report("/api/v1/reports/users?from=2026-03-08&to=2026-03-08")
        self.assertEqual(j["series"][0]["tasks_completed"], 1)

    def test_csv(self):
        r = self.get("/api/v1/reports/templates" + self.q, headers={"Accept": "text/csv"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "text/csv; charset=utf-8")
        self.assertEqual(r.header("Content-Disposition"),
                         'attachment; filename="hail-templates-2026-03-01-2026-03-08.csv"')
        self.assertEqual(r.body, (
            "id,name,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,"
            "unsubscribes,calls,tasks_completed\r\n"
            '%d,"\'=HYPERLINK(""http://x"",""y"")",1,0,0,0,0,0,1,0,0,0\r\n'
            "%d,Intro,4,2,1,1,2,1,0,0,0,1\r\n") % (self.t2, self.t1))
        r = self.get("/api/v1/reports/users%s&format=csv&id=%d" % (self.q, self.ids["rita"]),
                     "rita")
        self.assertEqual(r.body, (
            "id,name,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,"
            "unsubscribes,calls,calls: Meeting booked,calls: No answer,tasks_completed\r\n"
            "%d,Rita Rep,3,2,1,1,2,1,1,1,3,1,2,1\r\n") % self.ids["rita"])
        r = self.get("/api/v1/reports/users?from=2026-03-02&to=2026-03-08&interval=week"
                     "&format=csv&table=series", "ray")
        self.assertEqual(r.header("Content-Disposition"),
                         'attachment; filename="hail-users-series-2026-03-02-2026-03-08.csv"')
        self.assertEqual(r.body, (
            "start,sent,opens,machine_opens,clicks,machine_clicks,replies,bounces,"
            "unsubscribes,calls,calls: No outcome,tasks_completed\r\n"
            "2026-03-02,1,0,0,0,0,0,0,0,1,1,1\r\n"))
        # format=json wins over Accept
        r = self.get("/api/v1/reports/users?format=json", headers={"Accept": "text/csv"})
        self.assertEqual(r.header("Content-Type"), "application/json")


class ParamsTest(ReportsCase):
    def test_defaults(self):
        today = datetime.datetime.utcnow().date()
        j = self.report("/api/v1/reports/users", "rita")
        self.assertEqual((j["from"], j["to"], j["interval"]),
                         ((today - datetime.timedelta(days=29)).isoformat(), today.isoformat(),
                          "day"))
        self.assertEqual(len(j["series"]), 30)
        j = self.report("/api/v1/reports/users?from=2026-01-01", "rita")
        self.assertEqual((j["from"], j["to"]), ("2026-01-01", "2026-01-30"))
        j = self.report("/api/v1/reports/users?to=2026-01-30", "rita")
        self.assertEqual((j["from"], j["to"]), ("2026-01-01", "2026-01-30"))
        j = self.report("/api/v1/reports/users?from=2025-01-01&to=2026-01-01", "rita")
        self.assertEqual(len(j["series"]), 366)

    def test_bad_parameters(self):
        cases = [
            ("/api/v1/reports/people", 404, "not_found",
             "no report 'people': the reports are templates, campaigns, users and teams"),
            ("/api/v1/reports/users?from=2026-3-1", 400, "bad_request",
             "from must be a date as YYYY-MM-DD, not '2026-3-1'"),
            ("/api/v1/reports/users?to=2026-02-30", 400, "bad_request",
             "to must be a date as YYYY-MM-DD, not '2026-02-30'"),
            ("/api/v1/reports/users?from=2026-03-02&to=2026-03-01", 400, "bad_request",
             "from (2026-03-02) is after to (2026-03-01)"),
            ("/api/v1/reports/users?from=2025-01-01&to=2026-01-02", 400, "bad_request",
             "a report covers at most 366 days; from 2025-01-01 to 2026-01-02 is 367 days"),
            ("/api/v1/reports/users?interval=month", 400, "bad_request",
             "interval must be day or week, not 'month'"),
            ("/api/v1/reports/users?id=0", 400, "bad_request",
             "id must be a positive integer, not '0'"),
            ("/api/v1/reports/users?id=1x", 400, "bad_request",
             "id must be a positive integer, not '1x'"),
            ("/api/v1/reports/users?format=xlsx", 400, "bad_request",
             "format must be json or csv, not 'xlsx'"),
            ("/api/v1/reports/users?format=csv&table=cols", 400, "bad_request",
             "table must be rows or series, not 'cols'"),
        ]
        for path, status, code, message in cases:
            with self.subTest(path=path):
                self.assertError(self.get(path), status, code, message)
        r = self.h.request("GET", "/api/v1/reports/users")
        self.assertEqual(r.status, 401, r)


if __name__ == "__main__":
    import unittest
    unittest.main()
