"""The person's time zone from Marketo: HAIL_MARKETO_TIME_ZONE_FIELD names the lead
field (read in the bulk export of a full sync and in leads.json of an incremental
one); a zone the system's tz database does not know is stored as null with a
warning for that lead, which still syncs; unset, no time zone is read."""
import time
import unittest

from harness import FakeMarketo, Hail, iso, since_env

DAY = 86400
FIELD = "tzField__c"


def leads():
    now = time.time()
    rows = [(1, "Asia/Kolkata"), (2, "Mars/Olympus_Mons"), (3, None), (4, "America/New_York")]
    out = []
    for i, (lid, zone) in enumerate(rows):
        lead = {"id": lid, "firstName": "P%d" % lid, "lastName": "Zone",
                "email": "p%d@example.com" % lid, "leadOwnerEmailAddress": "rep@example.com",
                "timeZone": "Europe/Paris",  # a field hail does not read unless named
                "createdAt": iso(now - 10 * DAY + i * 60)}
        if zone:
            lead[FIELD] = zone
        out.append(lead)
    return out


class TimeZoneField(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo("--status-step", "0.05")
        self.fake.add_leads(leads())
        self.h = None

    def tearDown(self):
        if self.h:
            self.h.close()
        self.fake.close()

    def zones(self):
        return {int(r[0]): r[1]
                for r in self.h.sql("SELECT marketo_id, time_zone FROM people ORDER BY 1")}

    def sync(self, *args):
        p = self.h.run("sync", "marketo", *args, timeout=90)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        return p

    def test_full_then_incremental(self):
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(25),
                                        HAIL_MARKETO_TIME_ZONE_FIELD=FIELD))
        p = self.sync()
        self.assertIn("full sync done", p.stdout)
        self.assertEqual(self.zones(), {1: "Asia/Kolkata", 2: None, 3: None,
                                        4: "America/New_York"})
        warning = ("marketo: lead 2, field tzField__c: unknown time zone 'Mars/Olympus_Mons' "
                   "(not in the system's tz database; an IANA name such as Europe/Berlin is "
                   "expected): stored as null")
        self.assertIn(warning, p.stderr)
        self.assertEqual(p.stderr.count("unknown time zone"), 1, p.stderr)
        # The incremental sync reads it too (leads.json).
        self.fake.add_leads([{"id": 1, FIELD: "Australia/Sydney"},
                             {"id": 4, FIELD: "Nowhere/Special"},
                             {"id": 3, FIELD: "Europe/Berlin"}])
        p = self.sync()
        self.assertIn("incremental sync done", p.stdout)
        self.assertEqual(self.zones(), {1: "Australia/Sydney", 2: None, 3: "Europe/Berlin",
                                        4: None})
        self.assertIn("marketo: lead 4, field tzField__c: unknown time zone 'Nowhere/Special' "
                      "(not in the system's tz database; an IANA name such as Europe/Berlin "
                      "is expected): stored as null", p.stderr)

    def test_unset_reads_no_time_zone(self):
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(25)))
        self.sync()
        self.assertEqual(self.zones(), {1: None, 2: None, 3: None, 4: None})

    def test_bad_field_name(self):
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=since_env(25),
                                        HAIL_MARKETO_TIME_ZONE_FIELD="tz,email"))
        p = self.h.run("sync", "marketo", timeout=60)
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn("HAIL_MARKETO_TIME_ZONE_FIELD must be a Marketo field's REST API name "
                      "(letters, digits and _, at most 64, not one the sync already reads), "
                      "not 'tz,email'", p.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
