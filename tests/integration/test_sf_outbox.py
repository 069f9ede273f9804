#!/usr/bin/env python3
"""The Salesforce outbox (docs/outbox.md "To Salesforce") against the fake Salesforce:
activities out as Tasks in order and once (upserted by Hail_Activity_Id__c, or created and
reconciled by subject without it), through injected 401 / 403 / 503, lost replies and
kill -9; people without a Salesforce id skipped with a reason; opt-outs both ways."""
import collections
import json
import time
import unittest

from harness import FakeSalesforce, Hail, main, wait_for

NOW_US = int(time.time() * 1e6)


class SfCase(unittest.TestCase):
    fake_args = ()

    def setUp(self):
        self.fake = FakeSalesforce(*self.fake_args)
        self.addCleanup(self.fake.close)
        # a batch cut off is looked for 2 s after it began (the fake's calls end by then)
        self.h = Hail(env=self.fake.env(HAIL_SALESFORCE_RECONCILE_SECONDS="2"))
        self.addCleanup(self.h.close)
        self.h.add_user("rep@example.com", "Rita Rep", "rep")
        self.uid = self.h.sql_value("SELECT id FROM users WHERE email = 'rep@example.com'")
        self.kv("integrations.salesforce.poll_seconds", "0.2")
        self.mid = 1000

    def kv(self, key, value):
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES (?, ?, 0)", key, value)

    def person(self, lead=None, contact=None, account=None, opportunity=None):
        self.mid += 1
        self.h.sql("INSERT INTO people (marketo_id, email, first_name, last_name, company, active,"
                   " sfdc_lead_id, sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id,"
                   " created_at, updated_at) VALUES (?, ?, 'Pat', 'Doe', 'Acme', 1, ?, ?, ?, ?, 0, 0)",
                   self.mid, "p%d@x.example" % self.mid, lead, contact, account, opportunity)
        return self.h.sql_value("SELECT id FROM people WHERE marketo_id = ?", self.mid)

    def act(self, person, type_="email_send", attrs="{}"):
        self.h.sql("INSERT INTO activities (type, person_id, user_id, occurred_at, attrs, created_at)"
                   " VALUES (?, ?, ?, ?, ?, ?)", type_, person, self.uid, NOW_US, attrs, NOW_US)
        return self.h.sql_value("SELECT max(id) FROM activities")

    def bulk(self, person, n, type_="email_send"):
        first = (self.h.sql_value("SELECT max(id) FROM activities") or 0) + 1
        for k in range(0, n, 500):
            rows = ",".join("('%s', %d, %d, %d, '{}', %d)" % (type_, person, self.uid, NOW_US, NOW_US)
                            for _ in range(min(500, n - k)))
            self.h.sql("INSERT INTO activities (type, person_id, user_id, occurred_at, attrs,"
                       " created_at) VALUES " + rows)
        return list(range(first, first + n))

    def wait(self, cond, what, timeout=60):
        return wait_for(what, cond, timeout, self.h)

    def tasks_by_ext(self):
        return collections.Counter(t.get("Hail_Activity_Id__c") for t in self.fake.tasks())

    def tasks_by_subject_id(self):
        c = collections.Counter()
        for t in self.fake.tasks():
            s = t["Subject"]
            if s.endswith("]") and " [hail " in s:
                c[int(s[s.rindex(" [hail ") + 7:-1])] += 1
        return c

    def cursor_at(self, aid):
        return self.h.sql_value("SELECT pos_id FROM log_cursors WHERE consumer = 'salesforce'") == aid

    def assert_no_violations(self):
        st = self.fake.stats()
        self.assertEqual(st["violations"], [])
        self.assertEqual(st["internal_errors"], 0)


class UpsertTest(SfCase):
    def test_activities_flow_once_with_who_what_subject_and_skips(self):
        seeded = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}],
                                contacts=[{"LastName": "Cole"}],
                                accounts=[{"Name": "Acme"}], opportunities=[{"Name": "Deal"}])
        lead, contact = seeded["leads"][0], seeded["contacts"][0]
        account, opp = seeded["accounts"][0], seeded["opportunities"][0]
        p_lead = self.person(lead=lead, account=account)
        p_both = self.person(lead=lead, contact=contact, account=account, opportunity=opp)
        p_none = self.person()
        a1 = self.act(p_lead, "email_send")
        a2 = self.act(p_both, "email_reply")
        self.act(p_both, "email_open")          # not logged by default
        a4 = self.act(p_none, "call")           # no Salesforce id: a skip
        self.act(p_lead, "campaign_add")        # never a Task
        a6 = self.act(p_both, "call")
        self.h.start()
        self.wait(lambda: self.cursor_at(a6), "the outbox to reach the last activity")
        self.assertEqual(self.h.sql_value("SELECT value FROM kv WHERE key = ?",
                                          "integrations.salesforce.external_id"), "present")
        tasks = {t["Hail_Activity_Id__c"]: t for t in self.fake.tasks()}
        self.assertEqual(sorted(tasks), sorted([str(a1), str(a2), str(a6)]))
        self.assertEqual([t["Hail_Activity_Id__c"] for t in self.fake.tasks()],
                         [str(a1), str(a2), str(a6)])   # in log order
        t1, t2, t6 = tasks[str(a1)], tasks[str(a2)], tasks[str(a6)]
        self.assertEqual((t1["WhoId"], t1["WhatId"]), (lead, account))
        self.assertEqual((t2["WhoId"], t2["WhatId"]), (contact, opp))
        self.assertEqual(t1["Subject"], "Send Sales Email: ")
        self.assertEqual(t2["Subject"], "Reply to Sales Email: ")
        self.assertEqual(t6["Subject"], "Receive Sales Call: ")
        self.assertEqual((t1["Type"], t2["Type"], t6["Type"]), ("Email", "Reply", "Call"))
        self.assertEqual(t1["Status"], "Completed")
        self.assertEqual(t1["ActivityDate"], time.strftime("%Y-%m-%d", time.gmtime(NOW_US / 1e6)))
        skips = self.h.sql("SELECT activity_id, reason FROM outbox_skips WHERE consumer = 'salesforce'")
        self.assertEqual([tuple(r) for r in skips],
                         [(a4, "person %d has no Salesforce lead or contact id" % p_none)])
        self.assert_no_violations()

    def test_a_requeued_skip_goes_out_once_fixed(self):
        lead = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}])["leads"][0]
        p = self.person()
        a1 = self.act(p, "email_send")
        a2 = self.act(p, "email_open")   # not logged: re-queued, it is only cleared
        self.h.start()
        self.wait(lambda: self.cursor_at(a2), "the outbox to reach the last activity")
        self.assertEqual(self.h.sql_value("SELECT reason FROM outbox_skips WHERE activity_id = ?", a1),
                         "person %d has no Salesforce lead or contact id" % p)
        self.h.sql("UPDATE people SET sfdc_lead_id = ? WHERE id = ?", lead, p)
        # "retry now" (Admin -> Integrations) re-queues skipped records
        self.h.sql("INSERT INTO outbox_retry (consumer, activity_id) VALUES ('salesforce', ?), "
                   "('salesforce', ?)", a1, a2)
        self.wait(lambda: self.h.sql_value("SELECT count(*) FROM outbox_retry") == 0,
                  "the re-queued records to be done")
        self.assertEqual(self.tasks_by_ext(), collections.Counter({str(a1): 1}))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_skips"), 0)
        self.assert_no_violations()

    def test_admin_settings_pick_types_and_subject(self):
        lead = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}])["leads"][0]
        p = self.person(lead=lead)
        self.kv("integrations.salesforce.types", json.dumps(["email_open"]))
        self.kv("integrations.salesforce.subject", "{{activity_type}} by {{sales_person}} to {{person_email}} " + "é" * 200)
        self.act(p, "email_send")
        a2 = self.act(p, "email_open")
        self.h.start()
        self.wait(lambda: self.cursor_at(a2), "the outbox to reach the last activity")
        tasks = self.fake.tasks()
        self.assertEqual([t["Hail_Activity_Id__c"] for t in tasks], [str(a2)])
        head = "Open Sales Email by Rita Rep to p%d@x.example " % self.mid
        room = (255 - len(head.encode())) // 2
        self.assertEqual(tasks[0]["Subject"], head + "é" * room)
        self.assert_no_violations()

    def test_injected_401_403_503_and_lost_replies(self):
        lead = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}])["leads"][0]
        p = self.person(lead=lead)
        ids = self.bulk(p, 900)
        self.fake.inject("session", 1, "/composite")
        self.fake.inject("limit", 1, "/composite")
        self.fake.inject("overloaded", 2, "/composite")
        self.fake.inject("drop_after", 1, "/composite")
        self.fake.inject("drop", 1, "/composite")
        # The waits before the retries: 5% of the backoff (tests only), the same retries.
        self.h.start(env={"HAIL_RETRY_WAIT_PERCENT": "5"})
        self.wait(lambda: self.cursor_at(ids[-1]), "the outbox to drain")
        self.assertEqual(self.tasks_by_ext(), collections.Counter({str(i): 1 for i in ids}))
        st = self.fake.stats()
        self.assertEqual(st["pending_injections"], 0)
        self.assertEqual(st["errors"]["INVALID_SESSION_ID"], 1)
        self.assertEqual(st["errors"]["REQUEST_LIMIT_EXCEEDED"], 1)
        self.assertEqual(st["errors"]["SERVER_UNAVAILABLE"], 2)
        self.assertGreaterEqual(st["tokens_issued"], 2)
        self.assert_no_violations()

    def test_kill9_mid_drain_then_restart_every_task_once(self):
        lead = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}])["leads"][0]
        p = self.person(lead=lead)
        ids = self.bulk(p, 3000)
        self.fake.config(latency=0.05)
        self.h.start()
        self.wait(lambda: self.fake.stats()["tasks"] >= 400, "some Tasks")
        self.h.kill9()
        self.assertLess(self.fake.stats()["tasks"], 3000)
        self.fake.config(latency=0.0)
        self.h.start()
        self.wait(lambda: self.cursor_at(ids[-1]), "the outbox to drain after the restart")
        self.assertEqual(self.tasks_by_ext(), collections.Counter({str(i): 1 for i in ids}))
        self.assert_no_violations()


class NoFieldTest(SfCase):
    fake_args = ("--no-ext-id-field",)

    def test_creates_with_subject_ids_and_reconciles_lost_replies_and_kill9(self):
        lead = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}])["leads"][0]
        p = self.person(lead=lead)
        ids = self.bulk(p, 1500)
        self.fake.inject("drop_after", 1, "/composite")    # created, reply lost
        self.fake.config(latency=0.05)
        self.h.start()
        self.wait(lambda: self.fake.stats()["tasks"] >= 600, "some Tasks")
        self.h.kill9()
        self.fake.config(latency=0.0)
        self.h.start()
        self.wait(lambda: self.cursor_at(ids[-1]), "the outbox to drain after the restart")
        self.assertEqual(self.h.sql_value("SELECT value FROM kv WHERE key = ?",
                                          "integrations.salesforce.external_id"), "missing")
        self.assertEqual(self.tasks_by_subject_id(), collections.Counter({i: 1 for i in ids}))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_batches"), 0)
        self.assertEqual(self.fake.tasks()[0]["Subject"], "Send Sales Email:  [hail %d]" % ids[0])
        self.assert_no_violations()


class OptOutTest(SfCase):
    def test_opt_outs_converge_both_ways_without_echo(self):
        admin = self.h.admin_token()
        seeded = self.fake.seed(leads=[{"LastName": "Lee", "Company": "Acme"}],
                                contacts=[{"LastName": "Cole"}, {"LastName": "Old",
                                                                 "HasOptedOutOfEmail": True}])
        lead = seeded["leads"][0]
        contact, old = seeded["contacts"]
        p_lead = self.person(lead=lead)
        p_contact = self.person(contact=contact)
        p_old = self.person(contact=old)
        self.h.start()
        # an opt-out made in Salesforce before the first poll comes in
        self.wait(lambda: self.h.sql_value("SELECT source FROM people_unsubscribed WHERE person_id = ?",
                                           p_old) == "salesforce", "the existing opt-out")
        # hail -> Salesforce
        r = self.h.request("POST", "/api/v1/people/%d/unsubscribe" % p_lead, token=admin)
        self.assertEqual(r.status, 200, r.body)
        self.wait(lambda: self.fake.records("Lead")[0]["HasOptedOutOfEmail"] is True,
                  "the lead's opt-out in Salesforce")
        # Salesforce -> hail, and back again
        self.fake.seed(contacts=[{"Id": contact, "HasOptedOutOfEmail": True}])
        self.wait(lambda: self.h.sql_value("SELECT source FROM people_unsubscribed WHERE person_id = ?",
                                           p_contact) == "salesforce", "the contact's opt-out in hail")
        self.fake.seed(contacts=[{"Id": contact, "HasOptedOutOfEmail": False}])
        self.wait(lambda: self.h.sql_value("SELECT count(*) FROM people_unsubscribed WHERE person_id = ?",
                                           p_contact) == 0, "the contact's resubscribe in hail")
        time.sleep(1.0)
        # nothing that came from Salesforce went back: no write to a contact
        self.assertEqual(self.fake.stats()["calls"].get("PATCH /sobjects/Contact/{id}", 0), 0)
        history = self.h.sql("SELECT action, source FROM unsubscribes WHERE person_id = ? ORDER BY id",
                             p_contact)
        self.assertEqual([tuple(r) for r in history],
                         [("unsubscribe", "salesforce"), ("resubscribe", "salesforce")])
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM unsubscribes WHERE person_id = ?",
                                          p_lead), 1)
        self.assert_no_violations()


class CliTest(unittest.TestCase):
    def setUp(self):
        self.fake = FakeSalesforce()
        self.addCleanup(self.fake.close)

    def check(self, **env):
        h = Hail(env=self.fake.env(**env))
        self.addCleanup(h.close)
        return h.run("sync", "salesforce-check")

    def test_salesforce_check_says_whether_the_field_is_there(self):
        p = self.check()
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(p.stdout,
                         "Salesforce: logged in as user 005Dn000000001HAAQ (API usage 1/100000)\n"
                         "Task.Hail_Activity_Id__c: present (External ID): Tasks are upserted by "
                         "hail's activity id\n")
        self.fake.config(ext_id_field=None)
        p = self.check()
        self.assertEqual(p.returncode, 3)
        self.assertEqual(p.stdout.splitlines()[1],
                         "Task.Hail_Activity_Id__c: missing: Tasks are created and reconciled by "
                         "subject after a crash (see --help for the setup)")
        p = self.check(HAIL_SALESFORCE_CLIENT_SECRET="wrong")
        self.assertEqual((p.returncode, p.stdout), (1, ""))
        self.assertEqual(p.stderr, "hail: Salesforce refused the login (HTTP 400 invalid_grant: "
                                   "authentication failure)\n")
        self.assertNotIn("wrong", p.stderr)
        self.assertEqual(self.fake.stats()["violations"], [])

    def test_serve_refuses_a_partial_salesforce_configuration(self):
        h = Hail(env={"HAIL_SALESFORCE_CLIENT_ID": "x"})
        self.addCleanup(h.close)
        p = h.run("serve", "--listen", "127.0.0.1:0")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "hail: HAIL_SALESFORCE_CLIENT_ID is set but Salesforce is not "
                                   "configured: set HAIL_SALESFORCE_LOGIN_URL, HAIL_SALESFORCE_CLIENT_ID "
                                   "and HAIL_SALESFORCE_CLIENT_SECRET, or unset HAIL_SALESFORCE_CLIENT_ID\n")
        h2 = Hail(env=self.fake.env(HAIL_SALESFORCE_LOGIN_URL="login.salesforce.com"))
        self.addCleanup(h2.close)
        p = h2.run("serve", "--listen", "127.0.0.1:0")
        self.assertEqual(p.returncode, 2)
        self.assertEqual(p.stderr, "hail: HAIL_SALESFORCE_LOGIN_URL must be an http(s) URL such as "
                                   "https://login.salesforce.com (no query, no spaces), not "
                                   "'login.salesforce.com'\n")


if __name__ == "__main__":
    main()
