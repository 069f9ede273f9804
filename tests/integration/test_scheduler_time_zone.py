"""A campaign that sends in the person's time zone uses the zone `hail import
people` stored (the timeZone column): a fixed 09:00 step is due at 09:00 in
Asia/Kolkata for one person and in America/New_York for another, while a
person without a zone — none given, or one the tz database does not know
(imported as null with a warning) — gets the campaign's own zone."""
import os
import time
import unittest

from apitest import ApiCase
from schedfix import ClockHail, add_campaign, add_members, seed_rep, us, wait_for

PEOPLE = [(1, "Ann", "ann@a.example", "Asia/Kolkata"),
          (2, "Bob", "bob@b.example", "America/New_York"),
          (3, "Cat", "cat@c.example", ""),
          (4, "Dan", "dan@d.example", "Atlantis/Lost_City")]


class PersonTimeZoneTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = h = ClockHail("2027-03-01T12:00:00Z", env={"HAIL_SEND_WORKERS": "1"})  # Monday in every zone here
        cls.uid, cls.sender, cls.tmpl, ids = seed_rep(h, [p[:3] for p in PEOPLE])
        # The same people again, now with their time zones (a whole-record import).
        path = os.path.join(h.dir, "zones.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress,timeZone\n")
            for mid, first, addr, zone in PEOPLE:
                f.write("%d,%s,Lee,%s,rep@example.com,%s\n" % (mid, first, addr, zone))
        cls.imported = h.run("import", "people", path)
        cls.people = {first.lower(): ids[mid] for mid, first, _, _ in PEOPLE}
        cls.campaign = add_campaign(
            h, cls.uid, [(1, "auto_email", cls.tmpl, "fixed", "09:00", 0),
                         (2, "auto_email", cls.tmpl, "fixed", "09:00", 0)],
            time_zone="UTC", use_person_time_zone=1)
        start = us("2027-03-01T12:00:00Z")
        members = add_members(h, cls.campaign, cls.people.values(), start, start)
        cls.members = {name: members[pid] for name, pid in cls.people.items()}
        h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def due(self, name):
        return self.h.sql_value("SELECT next_due_at FROM campaign_members WHERE id = ?",
                                self.members[name])

    def sent(self):
        return sorted(r[0] for r in self.h.sql(
            "SELECT p.first_name FROM emails e JOIN people p ON p.id = e.person_id"
            " WHERE e.campaign_step = 1"))

    def test_day_two_at_nine_in_each_persons_zone(self):
        h = self.h
        p = self.imported
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertTrue(p.stderr.endswith(
            "zones.csv: warning: line 5: unknown time zone 'Atlantis/Lost_City' (not in the "
            "system's tz database; an IANA name such as Europe/Berlin is expected): stored as "
            "null\n"), p.stderr)
        self.assertEqual(dict(h.sql("SELECT first_name, time_zone FROM people")),
                         {"Ann": "Asia/Kolkata", "Bob": "America/New_York", "Cat": None,
                          "Dan": None})
        # Day 1 runs at once for everyone; day 2 is due at 09:00 in the person's zone.
        wait_for("day 1 done", lambda: all(self.due(n) != us("2027-03-01T12:00:00Z")
                                           for n in self.members), h=h)
        self.assertEqual({n: self.due(n) for n in self.members},
                         {"ann": us("2027-03-02T03:30:00Z"),   # 09:00 IST (+05:30)
                          "bob": us("2027-03-02T14:00:00Z"),   # 09:00 EST (-05:00)
                          "cat": us("2027-03-02T09:00:00Z"),   # the campaign's UTC
                          "dan": us("2027-03-02T09:00:00Z")})
        # And the emails go out then: Ann first, Bob last.
        h.set_clock("2027-03-02T03:30:00Z")
        wait_for("Ann's day 2", lambda: self.sent() == ["Ann"], h=h)
        h.set_clock("2027-03-02T09:00:00Z")
        wait_for("Cat's and Dan's", lambda: self.sent() == ["Ann", "Cat", "Dan"], h=h)
        h.set_clock("2027-03-02T13:59:00Z")
        time.sleep(1.5)
        self.assertEqual(self.sent(), ["Ann", "Cat", "Dan"])
        h.set_clock("2027-03-02T14:00:00Z")
        wait_for("Bob's", lambda: self.sent() == ["Ann", "Bob", "Cat", "Dan"], h=h)


if __name__ == "__main__":
    unittest.main(verbosity=2)
