"""The holiday calendar (/api/v1/holidays), the list of time zones
(/api/v1/time-zones) and a user's own time zone (time_zone in GET and
PATCH /api/v1/me): issue 9, docs/campaigns.md "Time"."""
import os
import tempfile
import urllib.parse

import harness
from apitest import ApiCase, DataTemplate

REP_PW = "rep password 123"
TEMPLATE = None


def build(h):
    admin = h.admin_token()
    h.add_user("rep@example.com", "Rita Rep", "rep", password=REP_PW)
    return {"admin": admin, "rep": h.token("rep@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


def not_a_date(s):
    return "'%s' is not a date: YYYY-MM-DD, e.g. 2026-12-25" % s


class HolidaysCase(ApiCase):
    clock = None  # RFC 3339 time for HAIL_CLOCK_FILE, or None

    def setUp(self):
        self.h = TEMPLATE.new()
        self.admin = TEMPLATE.values["admin"]
        self.rep = TEMPLATE.values["rep"]
        env = {}
        if self.clock:
            fd, self.clock_path = tempfile.mkstemp(prefix="hail-clock-")
            os.write(fd, self.clock.encode())
            os.close(fd)
            env["HAIL_CLOCK_FILE"] = self.clock_path
        self.h.start(env=env)

    def tearDown(self):
        self.close_checked(self.h)
        if self.clock:
            os.unlink(self.clock_path)

    def req(self, method, path, body=None, token=None):
        return self.h.request(method, path, body, token=token or self.admin)

    def put(self, day, name, token=None):
        return self.req("PUT", "/api/v1/holidays/" + day, {"name": name}, token)

    def days(self, query="", token=None):
        r = self.req("GET", "/api/v1/holidays" + query, token=token)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"data"}, r)
        return [(x["day"], x["name"]) for x in r.json["data"]]


class TestHolidays(HolidaysCase):
    clock = "2026-06-15T12:00:00Z"

    def test_add_rename_list_delete(self):
        r = self.put("2026-12-25", "Christmas")
        self.assertEqual((r.status, r.json), (200, {"day": "2026-12-25", "name": "Christmas"}))
        r = self.put("2026-12-25", "Christmas Day")  # the same day again: renamed
        self.assertEqual((r.status, r.json), (200, {"day": "2026-12-25", "name": "Christmas Day"}))
        self.assertEqual(self.put("2026-07-03", "Independence Day (observed)").status, 200)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM holidays"), 2)
        admin_id = self.me(self.h, self.admin).json["id"]
        self.assertEqual(self.h.sql_value("SELECT created_by FROM holidays WHERE day = ?",
                                          "2026-12-25"), admin_id)
        want = [("2026-07-03", "Independence Day (observed)"), ("2026-12-25", "Christmas Day")]
        self.assertEqual(self.days("?from=2026-01-01&to=2026-12-31"), want)
        # any user reads the calendar
        self.assertEqual(self.days("?from=2026-01-01&to=2026-12-31", token=self.rep), want)
        # from and to are inclusive
        self.assertEqual(self.days("?from=2026-07-03&to=2026-07-03"), want[:1])
        self.assertEqual(self.days("?from=2026-07-04&to=2026-12-24"), [])
        r = self.req("DELETE", "/api/v1/holidays/2026-12-25")
        self.assertEqual((r.status, r.body), (204, ""), r)
        self.assertError(self.req("DELETE", "/api/v1/holidays/2026-12-25"), 404, "not_found",
                         "2026-12-25 is not a holiday")
        self.assertEqual(self.days("?from=2026-01-01&to=2026-12-31"), want[:1])

    def test_default_range_is_this_year_and_next_by_the_clock(self):
        for day in ("2025-12-31", "2026-01-01", "2027-12-31", "2028-01-01"):
            self.assertEqual(self.put(day, "Day " + day).status, 200)
        self.assertEqual(self.days(), [("2026-01-01", "Day 2026-01-01"),
                                       ("2027-12-31", "Day 2027-12-31")])
        # only from: up to the end of next year; only to: from January 1
        self.assertEqual([d for d, _ in self.days("?from=2025-01-01")],
                         ["2025-12-31", "2026-01-01", "2027-12-31"])
        self.assertEqual([d for d, _ in self.days("?to=2030-01-01")],
                         ["2026-01-01", "2027-12-31", "2028-01-01"])

    def test_leap_days_and_month_ends(self):
        self.assertEqual(self.put("2028-02-29", "Leap day").status, 200)
        self.assertEqual(self.put("2026-04-30", "Month end").status, 200)
        for bad in ("2027-02-29", "2026-04-31", "2100-02-29"):
            self.assertError(self.put(bad, "x"), 400, "bad_request", not_a_date(bad))
        self.assertEqual(self.days("?from=2026-01-01&to=2028-12-31"),
                         [("2026-04-30", "Month end"), ("2028-02-29", "Leap day")])

    def test_bad_requests_change_nothing(self):
        for bad in ("2026-02-30", "2026-2-3", "christmas", "2026-12-25x", "1899-12-31",
                    "2026-13-01", "2026-00-10", "+026-12-25", "20261225"):
            path = urllib.parse.quote(bad)
            self.assertError(self.put(path, "x"), 400, "bad_request", not_a_date(bad))
            self.assertError(self.req("DELETE", "/api/v1/holidays/" + path), 400, "bad_request",
                             not_a_date(bad))
        long = "9" * 60
        self.assertError(self.put(long, "x"), 400, "bad_request",
                         "'%s…' is not a date: YYYY-MM-DD, e.g. 2026-12-25" % long[:40])
        self.assertError(self.req("PUT", "/api/v1/holidays/2026-12-25", {}), 400, "bad_request",
                         "name is required")
        self.assertError(self.put("2026-12-25", ""), 400, "bad_request",
                         "name must be 1 to 200 characters, not 0")
        self.assertError(self.put("2026-12-25", "x" * 201), 400, "bad_request",
                         "name must be 1 to 200 characters, not 201")
        self.assertError(self.req("PUT", "/api/v1/holidays/2026-12-25", {"name": "x", "day": "y"}),
                         400, "bad_request", "unknown member 'day' (allowed: name)")
        self.assertError(self.req("GET", "/api/v1/holidays?from=tomorrow"), 400, "bad_request",
                         "from: " + not_a_date("tomorrow"))
        self.assertError(self.req("GET", "/api/v1/holidays?to=2026-02-29"), 400, "bad_request",
                         "to: " + not_a_date("2026-02-29"))
        self.assertError(self.req("GET", "/api/v1/holidays?from=2026-12-31&to=2026-01-01"), 400,
                         "bad_request", "from (2026-12-31) is after to (2026-01-01)")
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM holidays"), 0)

    def test_only_admins_change_the_calendar(self):
        self.assertError(self.put("2026-12-25", "Christmas", token=self.rep), 403, "forbidden",
                         "this needs the admin role")
        self.assertEqual(self.put("2026-12-24", "Eve").status, 200)
        self.assertError(self.req("DELETE", "/api/v1/holidays/2026-12-24", token=self.rep), 403,
                         "forbidden", "this needs the admin role")
        self.assertEqual(self.days("?from=2026-12-01&to=2026-12-31"), [("2026-12-24", "Eve")])
        self.assertError(self.h.request("GET", "/api/v1/holidays"), 401, "unauthorized",
                         "authentication required")


class TestTimeZones(HolidaysCase):
    def test_list(self):
        for token in (self.admin, self.rep):
            r = self.req("GET", "/api/v1/time-zones", token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(set(r.json), {"data"})
            zones = r.json["data"]
            for z in ("America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata",
                      "UTC"):
                self.assertIn(z, zones)
            self.assertEqual(zones, sorted(zones))
            self.assertEqual(len(zones), len(set(zones)))
            self.assertGreater(len(zones), 300)
            self.assertFalse([z for z in zones if z.startswith(("right/", "posix/"))])
        self.assertError(self.h.request("GET", "/api/v1/time-zones"), 401, "unauthorized",
                         "authentication required")

    def test_my_time_zone(self):
        me = self.me(self.h, self.rep).json
        self.assertEqual(me["time_zone"], "UTC")
        r = self.req("PATCH", "/api/v1/me", {"time_zone": "Europe/Berlin"}, token=self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["time_zone"], "Europe/Berlin")
        self.assertEqual(r.json["id"], me["id"])
        self.assertEqual(self.me(self.h, self.rep).json["time_zone"], "Europe/Berlin")
        # admins see it in the user list and the user
        r = self.req("GET", "/api/v1/users/%d" % me["id"])
        self.assertEqual(r.json["time_zone"], "Europe/Berlin")
        self.assertEqual(self.me(self.h, self.admin).json["time_zone"], "UTC")
        # every zone of the list is accepted
        for z in ("Asia/Kolkata", "Australia/Sydney", "America/New_York", "UTC"):
            r = self.req("PATCH", "/api/v1/me", {"time_zone": z}, token=self.rep)
            self.assertEqual((r.status, r.json["time_zone"]), (200, z), r)

    def test_bad_time_zones_change_nothing(self):
        self.assertEqual(self.req("PATCH", "/api/v1/me", {"time_zone": "Asia/Kolkata"},
                                  token=self.rep).status, 200)
        for bad in ("Mars/Olympus_Mons", "../../../etc/passwd", "/etc/localtime", "europe/berlin",
                    "Europe/Berlin ", "zone1970.tab", "America"):
            r = self.req("PATCH", "/api/v1/me", {"time_zone": bad}, token=self.rep)
            self.assertError(r, 422, "unknown_time_zone", "unknown time zone '%s'" % bad)
        long = "A" * 255
        self.assertError(self.req("PATCH", "/api/v1/me", {"time_zone": long}, token=self.rep),
                         422, "unknown_time_zone", "unknown time zone '%s…'" % ("A" * 64))
        self.assertError(self.req("PATCH", "/api/v1/me", {"time_zone": "A" * 256}, token=self.rep),
                         400, "bad_request", "time_zone must be 1 to 255 characters, not 256")
        self.assertError(self.req("PATCH", "/api/v1/me", {"time_zone": None}, token=self.rep),
                         400, "bad_request", "time_zone must be a string, not null")
        self.assertError(self.req("PATCH", "/api/v1/me", {}, token=self.rep), 400, "bad_request",
                         "nothing to change: give time_zone, or current_password and password")
        self.assertError(self.req("PATCH", "/api/v1/me", {"current_password": REP_PW},
                                  token=self.rep), 400, "bad_request", "password is required")
        self.assertError(self.req("PATCH", "/api/v1/me", {"time_zone": "UTC", "password": "x" * 9},
                                  token=self.rep), 400, "bad_request",
                         "current_password is required")
        # a wrong password: neither the password nor the time zone changes
        r = self.req("PATCH", "/api/v1/me", {"time_zone": "UTC", "current_password": "wrong one",
                                             "password": "new password 456"}, token=self.rep)
        self.assertError(r, 403, "forbidden", "current password is wrong")
        self.assertEqual(self.me(self.h, self.rep).json["time_zone"], "Asia/Kolkata")
        # both at once
        r = self.req("PATCH", "/api/v1/me", {"time_zone": "Europe/Berlin", "current_password":
                                             REP_PW, "password": "new password 456"},
                     token=self.rep)
        self.assertEqual((r.status, r.json["time_zone"]), (200, "Europe/Berlin"), r)
        self.assertEqual(self.login(self.h, "rep@example.com", "new password 456").status, 201)


if __name__ == "__main__":
    harness.main()
