#!/usr/bin/env python3
"""Reminder tasks both ways with Salesforce (docs/outbox.md "Reminder tasks both ways")
against the fake Salesforce: tasks made by hand go out as Tasks with the contracts' mapping,
changes flow both ways without echo, conflicting edits are settled by the later change,
Tasks made in Salesforce come in, deletes go out, and a Task deleted in Salesforce leaves
its task in hail unlinked; on both store engines, through kill -9."""
import datetime
import time
import unittest

from harness import FakeSalesforce, Hail, main, wait_for

REP = "rep@example.com"


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.000+0000")


class TaskSyncCase(unittest.TestCase):
    fake_args = ()

    def setUp(self):
        self.fake = FakeSalesforce(*self.fake_args)
        self.addCleanup(self.fake.close)
        self.h = Hail(env=self.fake.env())
        self.addCleanup(self.h.close)
        self.h.add_user(REP, "Rita Rep", "rep")
        self.h.sql("UPDATE users SET time_zone = 'America/New_York' WHERE email = ?", REP)
        self.uid = self.h.sql_value("SELECT id FROM users WHERE email = ?", REP)
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES "
                   "('integrations.salesforce.poll_seconds', '0.2', 0)")
        seeded = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}],
                                contacts=[{"LastName": "Cole"}])
        self.lead, self.contact = seeded["leads"][0], seeded["contacts"][0]
        self.mid = 1000
        self.p_lead = self.person(lead=self.lead)
        self.p_contact = self.person(lead=self.lead, contact=self.contact)
        self.p_none = self.person()
        self.h.start()
        self.token = self.h.token(REP)

    def person(self, lead=None, contact=None):
        self.mid += 1
        self.h.sql("INSERT INTO people (marketo_id, email, first_name, last_name, company, active,"
                   " sfdc_lead_id, sfdc_contact_id, owner_email, created_at, updated_at)"
                   " VALUES (?, ?, 'Pat', 'Doe', 'Acme', 1, ?, ?, ?, 0, 0)",
                   self.mid, "p%d@x.example" % self.mid, lead, contact, REP)
        return self.h.sql_value("SELECT id FROM people WHERE marketo_id = ?", self.mid)

    def req(self, method, path, body=None, status=200):
        r = self.h.request(method, path, body, token=self.token)
        self.assertEqual(r.status, status, r.body)
        return r.json

    def create(self, **fields):
        body = dict({"type": "custom", "name": "Follow up", "due_at": "2026-12-03T15:30:00Z"},
                    **fields)
        return self.req("POST", "/api/v1/tasks", body, 201)

    def task(self, tid):
        return self.req("GET", "/api/v1/tasks/%d" % tid)

    def wait(self, cond, what, timeout=60):
        return wait_for(what, cond, timeout, self.h)

    def live(self):
        return [t for t in self.fake.tasks() if not t.get("IsDeleted")]

    def sf_task(self, sfid):
        return next(t for t in self.fake.tasks() if t["Id"] == sfid)

    def linked(self, tid):
        return self.wait(lambda: self.task(tid)["salesforce_task_id"],
                         "task %d to be linked to a Task" % tid)

    def agreed(self, tid):
        return self.h.sql_value("SELECT sfdc_synced_at = updated_at FROM tasks WHERE id = ?",
                                tid) in (1, True)

    def calls(self, key):
        return self.fake.stats()["calls"].get(key, 0)

    def assert_no_violations(self):
        st = self.fake.stats()
        self.assertEqual(st["violations"], [])
        self.assertEqual(st["internal_errors"], 0)


class OutTest(TaskSyncCase):
    def test_a_task_goes_out_with_the_mapping_and_its_changes_follow(self):
        t = self.create(name="Call back about pricing", person_id=self.p_contact,
                        priority="high", details="asked for the EU price list")
        sfid = self.linked(t["id"])
        self.assertEqual(len(self.live()), 1)
        rec = self.sf_task(sfid)
        # 15:30 UTC on 3 December is 10:30 in New York: the same local date
        self.assertEqual({k: rec.get(k) for k in ("Subject", "Status", "Priority", "ActivityDate",
                                                  "Description", "WhoId", "Type", "TaskSubtype",
                                                  "Hail_Activity_Id__c")},
                         {"Subject": "Call back about pricing", "Status": "Not Started",
                          "Priority": "High", "ActivityDate": "2026-12-03",
                          "Description": "asked for the EU price list", "WhoId": self.contact,
                          "Type": "Other", "TaskSubtype": "Task",
                          "Hail_Activity_Id__c": "task-%d" % t["id"]})
        # a due time after 19:00 local is the next UTC day, still the local date
        self.req("PATCH", "/api/v1/tasks/%d" % t["id"],
                 {"name": "Send the EU price list", "details": "", "priority": "normal",
                  "due_at": "2026-12-05T03:00:00Z"})
        self.wait(lambda: self.sf_task(sfid)["Subject"] == "Send the EU price list",
                  "the change in Salesforce")
        rec = self.sf_task(sfid)
        self.assertEqual((rec["Priority"], rec["ActivityDate"], rec["Description"]),
                         ("Normal", "2026-12-04", ""))
        self.req("POST", "/api/v1/tasks/%d/complete" % t["id"], {})
        self.wait(lambda: self.sf_task(sfid)["Status"] == "Completed", "Completed in Salesforce")
        self.assertTrue(self.sf_task(sfid)["IsClosed"])
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        # nothing hail wrote comes back: the task is as hail left it, one Task in all
        time.sleep(1.0)
        got = self.task(t["id"])
        self.assertEqual((got["status"], got["name"]), ("complete", "Send the EU price list"))
        self.assertEqual(len(self.live()), 1)
        self.assertEqual(self.calls("PATCH /sobjects/Task/Hail_Activity_Id__c/{value}"), 1)
        self.assert_no_violations()

    def test_tasks_without_a_salesforce_person_or_from_a_campaign_stay_in_hail(self):
        a = self.create(name="No Salesforce id", person_id=self.p_none)
        b = self.create(name="No person")
        c = self.create(name="A lead", person_id=self.p_lead, type="call")
        now = int(time.time() * 1e6)
        self.h.sql("INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, due_at,"
                   " status, created_at, updated_at) VALUES ('email', 'Step 2', ?, ?, 7, ?, 'open',"
                   " ?, ?)", self.p_lead, self.uid, now, now, now)
        step = self.h.sql_value("SELECT max(id) FROM tasks")
        sfid = self.linked(c["id"])
        self.assertEqual((self.sf_task(sfid)["WhoId"], self.sf_task(sfid)["Type"]),
                         (self.lead, "Call"))
        self.wait(lambda: self.agreed(a["id"]) and self.agreed(b["id"]), "the others to be done")
        time.sleep(0.5)
        self.assertEqual([t["Subject"] for t in self.live()], ["A lead"])
        self.assertIsNone(self.task(a["id"])["salesforce_task_id"])
        self.assertIsNone(self.h.sql_value("SELECT sfdc_task_id FROM tasks WHERE id = ?", step))
        self.assert_no_violations()

    def test_a_task_deleted_in_hail_is_deleted_in_salesforce(self):
        t = self.create(name="Drop me", person_id=self.p_lead)
        sfid = self.linked(t["id"])
        self.req("DELETE", "/api/v1/tasks/%d" % t["id"], None, 204)
        self.wait(lambda: self.sf_task(sfid).get("IsDeleted"), "the Task deleted")
        self.wait(lambda: self.h.sql_value("SELECT count(*) FROM sfdc_task_deletes") == 0,
                  "the delete to be done")
        self.assertEqual(self.calls("DELETE /sobjects/Task/{id}"), 1)
        self.assert_no_violations()


class InTest(TaskSyncCase):
    def test_changes_made_in_salesforce_come_in_and_are_not_sent_back(self):
        t = self.create(name="Demo prep", person_id=self.p_lead, due_at="2026-12-03T15:30:00Z")
        sfid = self.linked(t["id"])
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        patches = self.calls("PATCH /sobjects/Task/{id}")
        self.fake.seed(tasks=[{"Id": sfid, "Subject": "Demo prep (moved)", "Priority": "Low",
                               "ActivityDate": "2026-12-07", "Description": "agenda attached",
                               "Status": "Completed"}])
        self.wait(lambda: self.task(t["id"])["status"] == "complete", "the completion in hail")
        got = self.task(t["id"])
        # the new date keeps the task's local time of day (10:30 in New York)
        self.assertEqual({k: got[k] for k in ("name", "priority", "details", "due_at")},
                         {"name": "Demo prep (moved)", "priority": "normal",
                          "details": "agenda attached", "due_at": "2026-12-07T15:30:00Z"})
        self.assertEqual(self.h.sql_value("SELECT completed_by FROM tasks WHERE id = ?", t["id"]),
                         self.uid)
        # reopened in Salesforce: open in hail again
        self.fake.seed(tasks=[{"Id": sfid, "Status": "In Progress"}])
        self.wait(lambda: self.task(t["id"])["status"] == "open", "the task reopened")
        self.assertIsNone(self.task(t["id"])["completed_at"])
        time.sleep(1.0)
        self.assertEqual(self.calls("PATCH /sobjects/Task/{id}"), patches)   # no echo
        self.assertTrue(self.agreed(t["id"]))
        self.assert_no_violations()

    def test_a_task_made_in_salesforce_comes_in_for_the_persons_owner(self):
        ids = self.fake.seed(tasks=[
            {"Subject": "Send the contract", "WhoId": self.contact, "Priority": "High",
             "ActivityDate": "2026-12-10", "Status": "Not Started", "Type": "Email",
             "Description": "v3"},
            {"Subject": "Already done", "WhoId": self.lead, "Status": "Completed"},
            {"Subject": "Someone else's", "WhoId": "00Q000000000999"}])["tasks"]
        got = self.wait(lambda: self.h.sql("SELECT id FROM tasks WHERE sfdc_task_id = ?", ids[0]),
                        "the Task brought in")
        t = self.task(got[0][0])
        self.assertEqual({k: t[k] for k in ("type", "name", "priority", "details", "due_at",
                                            "status", "salesforce_task_id")},
                         {"type": "email", "name": "Send the contract", "priority": "high",
                          "details": "v3", "due_at": "2026-12-10T14:00:00Z", "status": "open",
                          "salesforce_task_id": ids[0]})
        self.assertEqual((t["assignee"]["id"], t["person"]["id"]), (self.uid, self.p_contact))
        time.sleep(1.0)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM tasks"), 1)
        # and it is linked: a change in hail goes back to it
        self.req("PATCH", "/api/v1/tasks/%d" % t["id"], {"name": "Send the contract (v4)"})
        self.wait(lambda: self.sf_task(ids[0])["Subject"] == "Send the contract (v4)",
                  "the change in Salesforce")
        self.assertEqual(len(self.live()), 3)
        self.assert_no_violations()

    def test_a_task_deleted_in_salesforce_is_deleted_in_hail(self):
        keep = self.create(name="Keep me", person_id=self.p_lead)
        drop = self.create(name="Drop me", person_id=self.p_lead)
        done = self.create(name="Done", person_id=self.p_lead)
        sfids = [self.linked(t["id"]) for t in (keep, drop, done)]
        self.req("POST", "/api/v1/tasks/%d/complete" % done["id"], {})
        self.wait(lambda: all(self.agreed(t["id"]) for t in (keep, drop, done)), "agreed tasks")
        self.fake.delete([sfids[1], sfids[2]])
        self.wait(lambda: self.h.sql_value("SELECT count(*) FROM tasks WHERE id = ?",
                                           drop["id"]) == 0, "the task deleted in hail")
        time.sleep(0.5)
        # only open tasks are swept: the completed one stays, as does the live one
        self.assertEqual([r[0] for r in self.h.sql("SELECT id FROM tasks ORDER BY id")],
                         [keep["id"], done["id"]])
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM sfdc_task_deletes"), 0)
        self.assertEqual(self.calls("DELETE /sobjects/Task/{id}"), 0)
        self.assert_no_violations()

    def test_a_task_changed_in_hail_after_its_task_was_deleted_stays_unlinked(self):
        t = self.create(name="Keep me", person_id=self.p_lead)
        sfid = self.linked(t["id"])
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        self.h.kill9()
        self.fake.delete([sfid])
        self.h.sql("UPDATE tasks SET name = 'Keep me, edited', updated_at = ? WHERE id = ?",
                   int(time.time() * 1e6), t["id"])
        self.h.start()
        self.wait(lambda: self.task(t["id"])["salesforce_task_id"] is None, "the link dropped")
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        self.req("PATCH", "/api/v1/tasks/%d" % t["id"], {"name": "Keep me, again"})
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        time.sleep(0.5)
        self.assertEqual(self.live(), [])   # never made again
        self.assertEqual(self.task(t["id"])["name"], "Keep me, again")
        self.assertEqual(self.h.sql_value("SELECT sfdc_task_id FROM tasks WHERE id = ?", t["id"]),
                         "gone:" + sfid)
        self.assert_no_violations()


class ConflictTest(TaskSyncCase):
    def edit_both(self, hail_first):
        t = self.create(name="Original", person_id=self.p_lead)
        sfid = self.linked(t["id"])
        self.wait(lambda: self.agreed(t["id"]), "the task to be agreed")
        self.h.kill9()
        now = time.time()
        hail_at, sf_at = (now - 5, now - 2) if hail_first else (now - 2, now - 5)
        self.h.sql("UPDATE tasks SET name = 'Edited in hail', updated_at = ? WHERE id = ?",
                   int(hail_at * 1e6), t["id"])
        self.fake.seed(tasks=[{"Id": sfid, "Subject": "Edited in Salesforce",
                               "SystemModstamp": iso(sf_at)}])
        self.h.start()
        return t["id"], sfid

    def test_the_later_salesforce_edit_wins(self):
        tid, sfid = self.edit_both(hail_first=True)
        self.wait(lambda: self.task(tid)["name"] == "Edited in Salesforce", "Salesforce's edit")
        self.wait(lambda: self.agreed(tid), "the task to be agreed")
        time.sleep(1.0)
        self.assertEqual(self.sf_task(sfid)["Subject"], "Edited in Salesforce")
        self.assertEqual(self.task(tid)["name"], "Edited in Salesforce")
        self.assert_no_violations()

    def test_the_later_hail_edit_wins(self):
        tid, sfid = self.edit_both(hail_first=False)
        self.wait(lambda: self.sf_task(sfid)["Subject"] == "Edited in hail", "hail's edit")
        self.wait(lambda: self.agreed(tid), "the task to be agreed")
        time.sleep(1.0)
        self.assertEqual(self.task(tid)["name"], "Edited in hail")
        self.assertEqual(len(self.live()), 1)
        self.assert_no_violations()


class CrashTest(TaskSyncCase):
    def test_kill9_while_tasks_go_out_leaves_one_task_each(self):
        self.fake.config(latency=0.03)
        ids = [self.create(name="Reminder %d" % k, person_id=self.p_lead)["id"]
               for k in range(60)]
        self.wait(lambda: len(self.live()) >= 10, "some Tasks")
        self.h.kill9()
        self.fake.config(latency=0.0)
        self.h.start()
        self.wait(lambda: all(self.agreed(i) for i in ids), "every task agreed")
        by_key = {}
        for t in self.live():
            by_key.setdefault(t["Hail_Activity_Id__c"], []).append(t["Subject"])
        self.assertEqual(by_key, {"task-%d" % i: ["Reminder %d" % k] for k, i in enumerate(ids)})
        self.assert_no_violations()


    def test_a_lost_reply_to_an_upsert_is_repeated_onto_the_same_task(self):
        self.fake.inject("drop_after", 2, "/sobjects/Task/Hail_Activity_Id__c/")
        t = self.create(name="Once only", person_id=self.p_contact)
        sfid = self.linked(t["id"])
        self.assertEqual([x["Id"] for x in self.live()], [sfid])
        self.assertEqual(self.sf_task(sfid)["Subject"], "Once only")
        st = self.fake.stats()
        self.assertEqual((st["pending_injections"], st["errors"]["dropped"]), (0, 2))
        self.assertEqual(self.calls("PATCH /sobjects/Task/Hail_Activity_Id__c/{value}"), 3)
        self.assert_no_violations()


    def test_an_expired_session_limits_and_503s_on_the_way(self):
        self.fake.inject("session", 1, "/sobjects/Task/")
        self.fake.inject("limit", 1, "/sobjects/Task/")
        self.fake.inject("overloaded", 2, "/sobjects/Task/")
        t = self.create(name="Through the storm", person_id=self.p_lead)
        sfid = self.linked(t["id"])
        self.req("PATCH", "/api/v1/tasks/%d" % t["id"], {"priority": "high"})
        self.wait(lambda: self.sf_task(sfid)["Priority"] == "High", "the change in Salesforce")
        self.assertEqual(len(self.live()), 1)
        st = self.fake.stats()
        self.assertEqual(st["pending_injections"], 0)
        self.assertEqual((st["errors"]["INVALID_SESSION_ID"], st["errors"]["REQUEST_LIMIT_EXCEEDED"],
                          st["errors"]["SERVER_UNAVAILABLE"]), (1, 1, 2))
        self.assertGreaterEqual(st["tokens_issued"], 2)
        self.assert_no_violations()


class NoFieldTest(TaskSyncCase):
    fake_args = ("--no-ext-id-field",)

    def test_without_the_field_tasks_are_created_and_linked(self):
        t = self.create(name="Plain create", person_id=self.p_lead)
        sfid = self.linked(t["id"])
        rec = self.sf_task(sfid)
        self.assertEqual((rec["Subject"], rec.get("Hail_Activity_Id__c")), ("Plain create", None))
        self.req("POST", "/api/v1/tasks/%d/skip" % t["id"])
        self.wait(lambda: self.sf_task(sfid)["Status"] == "Completed", "Completed in Salesforce")
        self.assertEqual(len(self.live()), 1)
        self.assertEqual(self.calls("POST /sobjects/Task"), 1)
        self.assert_no_violations()


if __name__ == "__main__":
    main()
