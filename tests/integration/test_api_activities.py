"""The activity log over the REST API: GET /api/v1/people/{id}/activities pages a
person's activities newest first with a cursor, filters by type, keeps machine
events flagged, answers 404 for an unknown person and 400 for a bad type or
cursor with whole messages, and needs a signed-in caller. The rows are written
the way svc/activity.c writes them (the services that record them have their
own tests)."""
import json
import os
import urllib.parse

import harness
from apitest import ApiCase
from harness import Hail

TYPES = ("email_send, email_open, email_click, email_reply, email_autoreply, email_bounce, call, "
         "campaign_add, campaign_remove, unsubscribe, resubscribe")


class ActivitiesTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token()
        path = os.path.join(cls.h.dir, "people.csv")
        with open(path, "w") as f:
            f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n"
                    "11,Ann,A,ann@x.example,rep@example.com\n"
                    "12,Bob,B,bob@x.example,rep@example.com\n")
        cls.h.run("import", "people", path, check=True)
        cls.ann = cls.h.sql_value("SELECT id FROM people WHERE marketo_id = 11")
        cls.bob = cls.h.sql_value("SELECT id FROM people WHERE marketo_id = 12")
        # 7 activities of Ann's (opens every other one, the 4th a machine open), 1 of Bob's
        cls.ids = []
        for i in range(7):
            kind = "email_open" if i % 2 else "email_send"
            cls.h.sql("INSERT INTO activities (type, person_id, user_id, email_id, occurred_at,"
                      " machine, attrs, created_at) VALUES (?, ?, NULL, ?, ?, ?, ?, ?)",
                      kind, cls.ann, 100 + i, 1764000000000000 + i * 1000000, 1 if i == 3 else 0,
                      json.dumps({"email_subject": "Hello %d" % i}), 1764000000000000)
            cls.ids.append(cls.h.sql_value("SELECT max(id) FROM activities"))
        cls.h.sql("INSERT INTO activities (type, person_id, occurred_at, created_at)"
                  " VALUES ('email_send', ?, 1, 1)", cls.bob)
        cls.h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def get(self, path, status=200):
        r = self.h.request("GET", path, token=self.admin)
        self.assertEqual(r.status, status, r)
        return r

    def test_newest_first_with_a_cursor(self):
        base = "/api/v1/people/%d/activities" % self.ann
        got, cursor = [], None
        while True:
            r = self.get(base + "?limit=3" + ("&cursor=" + urllib.parse.quote(cursor) if cursor else ""))
            got += r.json["data"]
            cursor = r.json["next_cursor"]
            if cursor is None:
                break
        self.assertEqual([a["id"] for a in got], list(reversed(self.ids)))
        a = got[3]  # the 4th recorded: a machine open
        self.assertEqual(a, {"id": self.ids[3], "type": "email_open", "type_name": "Open Sales Email",
                             "person_id": self.ann, "user_id": None, "email_id": 103,
                             "template_id": None, "campaign_id": None, "call_id": None,
                             "occurred_at": "2025-11-24T16:00:03Z", "machine": True,
                             "attrs": {"email_subject": "Hello 3"}})

    def test_type_filter(self):
        r = self.get("/api/v1/people/%d/activities?type=email_open" % self.ann)
        self.assertEqual([a["id"] for a in r.json["data"]], [self.ids[5], self.ids[3], self.ids[1]])
        self.assertIsNone(r.json["next_cursor"])

    def test_errors(self):
        self.assertError(self.get("/api/v1/people/999999/activities", 404), 404, "not_found",
                         "no person with id 999999")
        self.assertError(self.get("/api/v1/people/%d/activities?type=open" % self.ann, 400), 400,
                         "bad_request", "type must be one of " + TYPES)
        self.assertError(self.get("/api/v1/people/%d/activities?cursor=zzz" % self.ann, 400), 400,
                         "bad_request", "cursor is not valid")
        r = self.h.request("GET", "/api/v1/people/%d/activities" % self.ann)
        self.assertEqual(r.status, 401, r)


if __name__ == "__main__":
    harness.main()
