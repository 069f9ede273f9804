"""Admin -> Integrations' API (issue 11, docs/outbox.md "Pages"): GET
/api/v1/integrations (each outbox's status from log_cursors, the backlog after the
cursor, in-flight batches, skips), GET /api/v1/integrations/{name}/skips (newest first,
paged), POST /api/v1/integrations/{name}/retry (skips re-queued into outbox_retry, the
wait and the error cleared), GET|PUT /api/v1/integrations/settings (defaults, round
trip, whole validation messages, nothing stored from a refused body), Salesforce's
reminder tasks (linked, changes to send, Tasks to delete), admins only. A
worker's state is seeded with SQL, as the outboxes would leave it. Both engines."""
import time

import harness
from apitest import ApiCase
from harness import POSTGRES, Hail

ADMIN = "admin@example.com"
REP = "rep@example.com"
T0 = 1764000000000000  # 2025-11-24T16:00:00Z in µs
VARS = ("activity_type, activity_subject, sales_campaign_name, sales_person, person_email")
TYPES = ("email_send, email_open, email_click, email_reply, email_autoreply, email_bounce, "
         "call, campaign_add, campaign_remove, unsubscribe, resubscribe")


class IntegrationsTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = Hail()
        cls.admin = cls.h.admin_token(ADMIN)
        cls.h.add_user(REP, "Rep", "rep")
        cls.rep = cls.h.token(REP)
        cls.h.start()
        cls.h.sql("INSERT INTO people (id, marketo_id, first_name, last_name, email, active,"
                  " created_at, updated_at) VALUES (1, 501, 'Ann', 'Lee', 'ann@x.example', 1, 0, 0)")
        for i in range(1, 13):
            cls.h.sql("INSERT INTO activities (id, type, person_id, occurred_at, created_at)"
                      " VALUES (?, ?, 1, ?, 0)", i, "email_send" if i % 2 else "email_open",
                      T0 + i)

    @classmethod
    def tearDownClass(cls):
        cls.h.close()

    def setUp(self):
        for t in ("log_cursors", "outbox_batches", "outbox_skips", "outbox_retry", "tasks",
                  "sfdc_task_deletes"):
            self.h.sql("DELETE FROM %s" % t)
        self.h.sql("DELETE FROM kv WHERE key LIKE 'integrations.%'")

    def get(self, path, token=None):
        return self.h.request("GET", path, token=token or self.admin)

    def xact(self, activity_id):
        if not POSTGRES:
            return 0
        return self.h.sql_value("SELECT CAST(CAST(xact AS text) AS BIGINT) FROM activities"
                                " WHERE id = ?", activity_id)

    def skip(self, consumer, activity_id, reason, at):
        self.h.sql("INSERT INTO outbox_skips (consumer, activity_id, reason, at)"
                   " VALUES (?, ?, ?, ?)", consumer, activity_id, reason, at)

    def test_admins_only(self):
        for method, path, body in [
                ("GET", "/api/v1/integrations", None),
                ("GET", "/api/v1/integrations/settings", None),
                ("PUT", "/api/v1/integrations/settings", {"marketo_machine": "skip"}),
                ("GET", "/api/v1/integrations/marketo/skips", None),
                ("POST", "/api/v1/integrations/marketo/retry", None)]:
            r = self.h.request(method, path, body, token=self.rep)
            self.assertError(r, 403, "forbidden", "this needs the admin role")
            self.assertError(self.h.request(method, path, body), 401)
        self.assertIsNone(self.h.sql_value(
            "SELECT value FROM kv WHERE key = 'integrations.marketo.machine'"))

    def test_status_never_run(self):
        r = self.get("/api/v1/integrations")
        self.assertEqual(r.status, 200, r)
        common = {"state": "not_started", "position": 0, "sent": 0, "skipped": 0, "calls": 0,
                  "backlog": 12, "backlog_capped": False, "in_flight": 0, "skips": 0,
                  "retry_queued": 0, "last_ok_at": None, "last_error": None,
                  "last_error_at": None, "waiting_until": None, "external_id": None}
        self.assertEqual(r.json, {"data": [
            dict(common, name="marketo", label="Marketo", configured=False,
                 reminder_tasks=None),
            dict(common, name="salesforce", label="Salesforce", configured=False,
                 reminder_tasks={"linked": 0, "pending": 0, "deletes_pending": 0})]})

    def test_status_skips_and_retry(self):
        future = int(time.time() * 10**6) + 3600 * 10**6
        self.h.sql("INSERT INTO log_cursors (consumer, pos_xact, pos_id, sent, skipped, calls,"
                   " last_ok_at, last_error, last_error_at, waiting_until, updated_at)"
                   " VALUES ('marketo', ?, 8, 5, 3, 2, ?, ?, ?, ?, 0)", self.xact(8), T0 + 100,
                   "Marketo answered 607: Daily quota reached", T0 + 200, future)
        self.h.sql("INSERT INTO log_cursors (consumer, pos_xact, pos_id, sent, skipped, calls,"
                   " last_ok_at, updated_at) VALUES ('salesforce', ?, 12, 11, 1, 1, ?, 0)",
                   self.xact(12), T0 + 300)
        self.h.sql("INSERT INTO outbox_batches (consumer, end_xact, end_id, activity_ids,"
                   " started_at) VALUES ('marketo', 0, 10, '[9,10]', ?)", T0)
        self.skip("marketo", 2, "no Marketo id", T0 + 10)
        self.skip("marketo", 4, "1004: Lead not found", T0 + 20)
        self.skip("marketo", 6, "1004: Lead not found", T0 + 20)
        self.skip("salesforce", 3, "the person has no Salesforce id", T0 + 30)
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES"
                   " ('integrations.salesforce.external_id', 'missing', 0)")

        r = self.get("/api/v1/integrations")
        self.assertEqual(r.status, 200, r)
        mk, sf = r.json["data"]
        self.assertEqual(mk, {
            "name": "marketo", "label": "Marketo", "configured": False, "state": "waiting",
            "position": 8, "sent": 5, "skipped": 3, "calls": 2, "backlog": 4,
            "backlog_capped": False, "in_flight": 1, "skips": 3, "retry_queued": 0,
            "last_ok_at": "2025-11-24T16:00:00Z",
            "last_error": "Marketo answered 607: Daily quota reached",
            "last_error_at": "2025-11-24T16:00:00Z", "waiting_until": mk["waiting_until"],
            "external_id": None, "reminder_tasks": None})
        self.assertRegex(mk["waiting_until"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(sf, {
            "name": "salesforce", "label": "Salesforce", "configured": False,
            "state": "healthy", "position": 12, "sent": 11, "skipped": 1, "calls": 1,
            "backlog": 0, "backlog_capped": False, "in_flight": 0, "skips": 1,
            "retry_queued": 0, "last_ok_at": "2025-11-24T16:00:00Z", "last_error": None,
            "last_error_at": None, "waiting_until": None, "external_id": "missing",
            "reminder_tasks": {"linked": 0, "pending": 0, "deletes_pending": 0}})

        # skips: newest first, two a page, ties by activity id
        r = self.get("/api/v1/integrations/marketo/skips?limit=2")
        self.assertEqual(r.status, 200, r)
        row = {"type": "email_open", "occurred_at": None, "person_id": 1,
               "person_name": "Ann Lee", "person_email": "ann@x.example",
               "at": "2025-11-24T16:00:00Z"}
        self.assertEqual([dict(x, occurred_at=None) for x in r.json["data"]], [
            dict(row, activity_id=6, reason="1004: Lead not found"),
            dict(row, activity_id=4, reason="1004: Lead not found")])
        self.assertEqual(r.json["data"][0]["occurred_at"], "2025-11-24T16:00:00Z")
        self.assertIsNotNone(r.json["next_cursor"])
        r = self.get("/api/v1/integrations/marketo/skips?limit=2&cursor=" + r.json["next_cursor"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(x["activity_id"], x["reason"], x["type"]) for x in r.json["data"]],
                         [(2, "no Marketo id", "email_open")])
        self.assertIsNone(r.json["next_cursor"])
        r = self.get("/api/v1/integrations/salesforce/skips")
        self.assertEqual([(x["activity_id"], x["reason"], x["type"]) for x in r.json["data"]],
                         [(3, "the person has no Salesforce id", "email_send")])
        self.assertError(self.get("/api/v1/integrations/zapier/skips"), 404, "not_found",
                         "no integration named 'zapier' (there are marketo and salesforce)")
        self.assertError(self.get("/api/v1/integrations/marketo/skips?limit=0"), 400,
                         "bad_request", "limit must be an integer from 1 to 200")
        self.assertError(self.get("/api/v1/integrations/marketo/skips?cursor=bm9wZQ"), 400,
                         "bad_request", "cursor is not valid")

        # retry now: Marketo's three move to outbox_retry; the wait and the error go
        r = self.h.request("POST", "/api/v1/integrations/marketo/retry", token=self.admin)
        self.assertEqual((r.status, r.json), (200, {"name": "marketo", "requeued": 3}))
        self.assertEqual(sorted(tuple(x) for x in self.h.sql(
            "SELECT consumer, activity_id FROM outbox_retry")),
            [("marketo", 2), ("marketo", 4), ("marketo", 6)])
        self.assertEqual([tuple(x) for x in self.h.sql(
            "SELECT consumer, activity_id FROM outbox_skips")], [("salesforce", 3)])
        mk = self.get("/api/v1/integrations").json["data"][0]
        self.assertEqual((mk["state"], mk["skips"], mk["retry_queued"], mk["last_error"],
                          mk["last_error_at"], mk["waiting_until"], mk["sent"], mk["skipped"]),
                         ("healthy", 0, 3, None, None, None, 5, 3))
        r = self.h.request("POST", "/api/v1/integrations/marketo/retry", token=self.admin)
        self.assertEqual((r.status, r.json), (200, {"name": "marketo", "requeued": 0}))
        self.assertError(self.h.request("POST", "/api/v1/integrations/zapier/retry",
                                        token=self.admin), 404, "not_found",
                         "no integration named 'zapier' (there are marketo and salesforce)")

    def reminders(self):
        r = self.get("/api/v1/integrations")
        self.assertEqual(r.status, 200, r)
        mk, sf = r.json["data"]
        self.assertIsNone(mk["reminder_tasks"])
        return sf["reminder_tasks"]

    def new_task(self, name, **more):
        r = self.h.request("POST", "/api/v1/tasks", dict({
            "type": "call", "name": name, "person_id": 1,
            "due_at": "2026-12-01T09:00:00Z"}, **more), token=self.admin)
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def link(self, task_id, sfdc_id):
        """As the Salesforce outbox leaves a task it sent: linked and agreed."""
        self.h.sql("UPDATE tasks SET sfdc_task_id = ?, sfdc_synced_at = updated_at"
                   " WHERE id = ?", sfdc_id, task_id)

    def test_reminder_tasks(self):
        # Tasks made by hand wait to be sent; a campaign's never go.
        a = self.new_task("Call Ann")
        b = self.new_task("Call Ann again")
        c = self.new_task("Call Ann once more")
        self.h.sql("INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at,"
                   " status, created_at, updated_at) SELECT 'email', 'Step 1', 1, assignee_id,"
                   " 7, due_at, 'open', created_at, updated_at FROM tasks WHERE id = ?", a)
        self.assertEqual(self.reminders(), {"linked": 0, "pending": 3, "deletes_pending": 0})

        # Sent: linked and agreed; the task shows its Task.
        self.link(a, "00T000000000001AAA")
        self.link(b, "00T000000000002AAA")
        self.link(c, "00T000000000003AAA")
        self.assertEqual(self.reminders(), {"linked": 3, "pending": 0, "deletes_pending": 0})
        self.assertEqual(self.get("/api/v1/tasks/%d" % a).json["salesforce_task_id"],
                         "00T000000000001AAA")

        # A change in hail waits to be sent; a deleted linked task leaves its Task to
        # delete; a Task deleted in Salesforce leaves its task unlinked.
        r = self.h.request("PATCH", "/api/v1/tasks/%d" % a, {"priority": "high"},
                           token=self.admin)
        self.assertEqual(r.status, 200, r)
        r = self.h.request("DELETE", "/api/v1/tasks/%d" % b, token=self.admin)
        self.assertEqual(r.status, 204, r)
        self.h.sql("UPDATE tasks SET sfdc_task_id = 'gone:' || sfdc_task_id WHERE id = ?", c)
        self.assertEqual(self.reminders(), {"linked": 1, "pending": 1, "deletes_pending": 1})
        self.assertIsNone(self.get("/api/v1/tasks/%d" % c).json["salesforce_task_id"])
        self.assertEqual([tuple(x) for x in self.h.sql(
            "SELECT sfdc_task_id, task_id FROM sfdc_task_deletes")],
            [("00T000000000002AAA", b)])

    def test_error_state(self):
        self.h.sql("INSERT INTO log_cursors (consumer, pos_xact, pos_id, last_error,"
                   " last_error_at, updated_at) VALUES ('salesforce', 0, 0, ?, ?, 0)",
                   "Salesforce answered 503", T0)
        sf = self.get("/api/v1/integrations").json["data"][1]
        self.assertEqual((sf["state"], sf["last_error"], sf["backlog"]),
                         ("error", "Salesforce answered 503", 12))

    def test_settings_round_trip(self):
        r = self.get("/api/v1/integrations/settings")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["subject_variables"], VARS.split(", "))
        self.assertEqual([t["type"] for t in r.json["activity_types"]], TYPES.split(", "))
        self.assertEqual(r.json["activity_types"][0], {"type": "email_send",
                                                       "name": "Send Sales Email"})
        defaults = {"marketo_machine": "flagged",
                    "salesforce_types": ["email_send", "email_reply", "call"],
                    "salesforce_subject": "{{activity_type}}: {{activity_subject}}",
                    "salesforce_external_id": None}
        self.assertEqual({k: r.json[k] for k in defaults}, defaults)
        r = self.h.request("PUT", "/api/v1/integrations/settings", {
            "marketo_machine": "skip", "salesforce_types": ["call", "email_open", "call"],
            "salesforce_subject": "{{sales_person}}: {{activity_subject}}"}, token=self.admin)
        self.assertEqual(r.status, 200, r)
        want = {"marketo_machine": "skip", "salesforce_types": ["email_open", "call"],
                "salesforce_subject": "{{sales_person}}: {{activity_subject}}",
                "salesforce_external_id": None}
        self.assertEqual({k: r.json[k] for k in want}, want)
        self.assertEqual(self.h.sql_value(
            "SELECT value FROM kv WHERE key = 'integrations.salesforce.types'"),
            '["email_open","call"]')
        # a member left out stays
        r = self.h.request("PUT", "/api/v1/integrations/settings", {"marketo_machine": "flagged"},
                           token=self.admin)
        self.assertEqual({k: r.json[k] for k in want},
                         dict(want, marketo_machine="flagged"))
        self.assertEqual(self.get("/api/v1/integrations/settings").json["salesforce_types"],
                         ["email_open", "call"])

    def test_settings_refused_whole(self):
        for body, message in [
                ({"marketo_machine": "maybe"}, "marketo_machine must be flagged or skip, not 'maybe'"),
                ({"salesforce_types": ["call", "fax"]},
                 "salesforce_types[1] must be one of %s, not \"fax\"" % TYPES),
                ({"salesforce_types": "call"}, "salesforce_types must be an array, not a string"),
                ({"salesforce_subject": ""}, "salesforce_subject must not be empty"),
                ({"salesforce_subject": "{{#x}}"},
                 "salesforce_subject is not a valid template: line 1: section x is never closed"),
                ({"salesforce_subject": "Hi {{first_name}}"},
                 "salesforce_subject uses {{first_name}}, which is not one of its variables: "
                 + VARS),
                ({"salesforce_subject": "x" * 1001},
                 "salesforce_subject must be at most 1000 characters, not 1001"),
                ({"marketo_machine": "skip", "salesforce_subject": "{{nope}}"},
                 "salesforce_subject uses {{nope}}, which is not one of its variables: " + VARS),
                ({"machine": "skip"}, "unknown member 'machine' (allowed: marketo_machine, "
                 "salesforce_types or salesforce_subject)"),
        ]:
            with self.subTest(body=body):
                r = self.h.request("PUT", "/api/v1/integrations/settings", body,
                                   token=self.admin)
                self.assertError(r, 400, "bad_request", message)
        self.assertEqual(self.get("/api/v1/integrations/settings").json["marketo_machine"],
                         "flagged")


class ConfiguredTest(ApiCase):
    """With Marketo and Salesforce configured (at addresses that answer nothing), both
    show as configured; the workers' failures are theirs to report."""

    def test_configured(self):
        h = Hail(env={"HAIL_MARKETO_URL": "http://127.0.0.1:9",
                      "HAIL_MARKETO_CLIENT_ID": "id", "HAIL_MARKETO_CLIENT_SECRET": "secret",
                      "HAIL_SALESFORCE_LOGIN_URL": "http://127.0.0.1:9",
                      "HAIL_SALESFORCE_CLIENT_ID": "id", "HAIL_SALESFORCE_CLIENT_SECRET": "s"})
        try:
            token = h.admin_token(ADMIN)
            h.start()
            r = h.request("GET", "/api/v1/integrations", token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual([(d["name"], d["configured"]) for d in r.json["data"]],
                             [("marketo", True), ("salesforce", True)])
        finally:
            h.close()


if __name__ == "__main__":
    harness.main()
