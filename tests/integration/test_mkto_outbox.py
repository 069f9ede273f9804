#!/usr/bin/env python3
"""The Marketo outbox against the fake Marketo: every activity of the log goes out as a
custom activity, in log order and once (`hail sync marketo-out`, and `hail serve`'s
worker); the attributes follow PRODUCT.md §8; people without a lead in Marketo are
skipped with Marketo's reason and counted; types Marketo does not get pass; through
injected 601/602/604/606/615 and a dropped connection every activity still arrives once;
607 stops with a clear message and a later run sends the rest; a batch left in flight by
a crash is read back and only what Marketo lacks is sent again; kill -9 of the server
while it sends loses and repeats nothing. Every request hail made followed the contract."""
import json
import os
import random
import time
import unittest

import harness
from harness import FakeMarketo, Hail, main

TYPES = ["email_send", "email_open", "email_click", "email_reply", "email_bounce", "call",
         "campaign_add", "campaign_remove", "unsubscribe"]
# How long a wait for the outbox may take. On PostgreSQL the log is read below the
# cluster's snapshot horizon (store/feed.h): a long transaction of another test's
# database on the same server (ctest runs them side by side) holds every reader back.
WAIT = 150

API_NAMES = {"email_send": "hailSendSalesEmail", "email_open": "hailOpenSalesEmail",
             "email_click": "hailClickSalesEmail", "email_reply": "hailReplySalesEmail",
             "email_bounce": "hailSalesEmailBounced", "call": "hailReceiveSalesCall",
             "campaign_add": "hailAddToSalesCampaign",
             "campaign_remove": "hailRemoveFromSalesCampaign"}


class MarketoOutbox(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo()
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_RECONCILE_SECONDS=0))
        self.h.add_user("ann@example.com", "Ann Seller", "rep")
        self.uid = self.h.sql_value("SELECT id FROM users WHERE email = 'ann@example.com'")

    def tearDown(self):
        try:
            st = self.fake.stats()
            self.assertEqual(st["violations_total"], 0, st["violations"])
        finally:
            self.h.close()
            self.fake.close()

    # ---- fixtures ----

    def leads(self, n):
        """n leads in the fake, and a person in hail for each (same Marketo id)."""
        leads = [{"email": "p%d@example.com" % i, "firstName": "P%d" % i,
                  "leadOwnerEmailAddress": "ann@example.com"} for i in range(n)]
        ids = self.fake.add_leads(leads)["ids"]
        for i in range(0, n, 200):
            chunk = ids[i:i + 200]
            self.h.sql("INSERT INTO people (marketo_id, email, first_name, owner_email, active,"
                       " created_at, updated_at) VALUES "
                       + ",".join("(%d, 'p%d@example.com', 'P', 'ann@example.com', 1, 0, 0)"
                                  % (mid, mid) for mid in chunk))
        return [r[0] for r in self.h.sql("SELECT id FROM people ORDER BY id")]

    def activities(self, people, per_person, machine_every=0):
        """Activities of every type in TYPES round-robin, in one statement per
        person block; returns the ids in log order."""
        rows = []
        k = 0
        for p in people:
            for _ in range(per_person):
                t = TYPES[k % len(TYPES)]
                attrs = {"sent_by": "ann@example.com", "source": "hail",
                         "sales_person_id": self.uid, "email_subject": "Hello %d" % k}
                if t == "email_click":
                    attrs["link"] = "https://example.com/x?k=%d" % k
                if t == "email_bounce":
                    attrs.update(details="550 no such user", email="p@example.com")
                if t == "call":
                    attrs = {"made_by": "ann@example.com", "status": "completed",
                             "subject": "Connected", "number_called": "+15551234567",
                             "source": "hail", "duration": 61, "sales_person_id": self.uid}
                if t.startswith("campaign_"):
                    attrs = {"campaign_id": 7, "campaign_name": "Q4 outreach",
                             "campaign_url": "http://hail.example/campaigns/7",
                             "sent_by": "Ann Seller", "source": "hail"}
                if t == "unsubscribe":
                    attrs = {"source": "link"}
                machine = 1 if machine_every and t == "email_open" and k % machine_every == 0 else 0
                rows.append("('%s', %d, %d, %d, %d, '%s', 0)"
                            % (t, p, self.uid, 1764000000000000 + k * 1000000, machine,
                               json.dumps(attrs).replace("'", "''")))
                k += 1
        for i in range(0, len(rows), 300):
            self.h.sql("INSERT INTO activities (type, person_id, user_id, occurred_at, machine,"
                       " attrs, created_at) VALUES " + ",".join(rows[i:i + 300]))
        return [r[0] for r in self.h.sql("SELECT id FROM activities ORDER BY id")]

    def external(self):
        return self.fake.control("GET", "/_fake/external")["activities"]

    def hail_ids(self, recs):
        out = []
        for r in recs:
            v = [a["value"] for a in r["attributes"] if a["apiName"] == "hailActivityId"]
            self.assertEqual(len(v), 1, r)
            out.append(v[0])
        return out

    def expected_ids(self, ids):
        """The ids that Marketo should get: all but the unsubscribes."""
        types = dict(self.h.sql("SELECT id, type FROM activities"))
        return [i for i in ids if types[i] != "unsubscribe"]

    def out(self, check=True, env=None):
        r = self.h.run("sync", "marketo-out", env=env, timeout=300)
        if check:
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r

    def cursor(self):
        rows = self.h.sql("SELECT sent, skipped, pos_id, last_error FROM log_cursors"
                          " WHERE consumer = 'marketo'")
        return tuple(rows[0]) if rows else None

    # ---- tests ----

    def test_all_in_order_once_with_attributes(self):
        people = self.leads(40)
        ids = self.activities(people, 18, machine_every=2)  # 720: three batches
        r = self.out()
        want = self.expected_ids(ids)
        got = self.external()
        self.assertEqual(self.hail_ids(got), want)  # in log order, each once
        self.assertRegex(r.stdout, r"\AMarketo: %d activities sent, 0 skipped \(see Admin >"
                         r" Integrations\), %d not for Marketo, in 3 API calls, [0-9.]+ s\n\Z"
                         % (len(want), len(ids) - len(want)))
        self.assertEqual(self.cursor(), (len(want), 0, ids[-1], None))
        self.assertEqual(self.fake.stats()["external"]["duplicates"], 0)
        # a second run has nothing to send
        r = self.out()
        self.assertTrue(r.stdout.startswith("Marketo: 0 activities sent, 0 skipped"), r.stdout)
        self.assertEqual(len(self.external()), len(want))

        # attributes, by type (PRODUCT.md §8), with the type registered under its API name
        by_id = {self.hail_ids([g])[0]: g for g in got}
        rows = dict(self.h.sql("SELECT id, type FROM activities"))
        mids = dict(self.h.sql("SELECT id, marketo_id FROM people"))
        pers = dict(self.h.sql("SELECT id, person_id FROM activities"))
        click = next(i for i in want if rows[i] == "email_click")
        rec = by_id[click]
        attrs = {a["apiName"]: a["value"] for a in rec["attributes"]}
        self.assertEqual(rec["leadId"], mids[pers[click]])
        self.assertTrue(rec["primaryAttributeValue"].startswith("Hello "), rec)
        self.assertTrue(attrs["link"].startswith("https://example.com/x?k="), attrs)
        self.assertEqual(attrs["sentBy"], "ann@example.com")
        self.assertEqual(attrs["salesPersonId"], self.uid)
        self.assertEqual(attrs["machine"], False)
        call = next(i for i in want if rows[i] == "call")
        attrs = {a["apiName"]: a["value"] for a in by_id[call]["attributes"]}
        self.assertEqual(by_id[call]["primaryAttributeValue"], "Connected")
        self.assertEqual((attrs["duration"], attrs["numberCalled"], attrs["status"]),
                         (61, "+15551234567", "completed"))
        camp = next(i for i in want if rows[i] == "campaign_add")
        attrs = {a["apiName"]: a["value"] for a in by_id[camp]["attributes"]}
        self.assertEqual(by_id[camp]["primaryAttributeValue"], "Q4 outreach")
        self.assertEqual(attrs["campaignId"], 7)
        machine = [i for i, m in self.h.sql("SELECT id, machine FROM activities") if m]
        self.assertTrue(machine)
        for i in machine:
            attrs = {a["apiName"]: a["value"] for a in by_id[i]["attributes"]}
            self.assertEqual(attrs["machine"], True)
        # the activity dates are the log's
        first = by_id[want[0]]
        self.assertEqual(first["activityDate"], "2025-11-24T16:00:00Z")

    def test_machine_events_not_sent_when_the_admin_says_so(self):
        people = self.leads(3)
        self.h.sql("INSERT INTO kv (key, value, updated_at) VALUES"
                   " ('integrations.marketo.machine', 'skip', 0)")
        ids = self.activities(people, 9, machine_every=1)
        self.out()
        machine = {i for i, m in self.h.sql("SELECT id, machine FROM activities") if m}
        self.assertTrue(machine)
        want = [i for i in self.expected_ids(ids) if i not in machine]
        self.assertEqual(self.hail_ids(self.external()), want)
        self.assertEqual(self.cursor()[:2], (len(want), 0))

    def test_unknown_leads_are_skipped_with_the_reason(self):
        people = self.leads(5)
        # a person whose lead Marketo does not have
        self.h.sql("INSERT INTO people (marketo_id, email, active, created_at, updated_at)"
                   " VALUES (999999, 'gone@example.com', 1, 0, 0)")
        gone = self.h.sql_value("SELECT id FROM people WHERE marketo_id = 999999")
        ids = self.activities(people + [gone], 1)
        r = self.out()
        want = self.expected_ids(ids)
        skipped = [i for i in want if self.h.sql_value(
            "SELECT person_id FROM activities WHERE id = ?", i) == gone]
        self.assertEqual(len(skipped), 1)
        self.assertEqual(self.hail_ids(self.external()), [i for i in want if i not in skipped])
        self.assertIn("1 skipped", r.stdout)
        self.assertEqual(self.h.sql("SELECT activity_id, reason FROM outbox_skips"
                                    " WHERE consumer = 'marketo'"),
                         [(skipped[0], "Marketo skipped it: 1004 Lead not found")])
        self.assertEqual(self.cursor()[:2], (len(want) - 1, 1))
        # "retry now" (the Integrations page) re-queues it; still not there: skipped again
        self.h.sql("INSERT INTO outbox_retry (consumer, activity_id) SELECT consumer, activity_id"
                   " FROM outbox_skips")
        self.h.sql("DELETE FROM outbox_skips")
        r = self.out()
        self.assertTrue(r.stdout.startswith("Marketo: 0 activities sent, 1 skipped"), r.stdout)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_retry"), 0)
        # the lead appears in Marketo (the fake gives it a new id: point the person at it)
        new = self.fake.add_leads([{"email": "gone@example.com"}])["ids"][0]
        self.h.sql("UPDATE people SET marketo_id = ? WHERE id = ?", new, gone)
        self.h.sql("INSERT INTO outbox_retry (consumer, activity_id) SELECT consumer, activity_id"
                   " FROM outbox_skips")
        r = self.out()
        self.assertTrue(r.stdout.startswith("Marketo: 1 activities sent, 0 skipped"), r.stdout)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_skips"), 0)
        self.assertEqual(sorted(self.hail_ids(self.external())), sorted(want))

    def test_injected_errors_still_once(self):
        people = self.leads(10)
        ids = self.activities(people, 70)  # 700: three calls
        want = self.expected_ids(ids)
        for code in ("601", "602", "604", "606", "615"):
            self.fake.inject(path="/rest/v1/activities/external.json", code=code)
        self.fake.inject(path="/rest/v1/activities/external.json", http_status=503)
        # The waits before the retries: 5% of the backoff (tests only), the same retries.
        self.out(env={"HAIL_RETRY_WAIT_PERCENT": "5"})
        self.assertEqual(self.hail_ids(self.external()), want)
        self.assertEqual(self.fake.stats()["external"]["duplicates"], 0)

    def test_quota_stops_then_resumes(self):
        people = self.leads(10)
        ids = self.activities(people, 70)
        want = self.expected_ids(ids)
        self.out()  # registers the types, sends everything
        more = self.activities(people, 40)[len(ids):]
        self.fake.inject(path="/rest/v1/activities/external.json", code="607")
        r = self.out(check=False)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        msg = (r"Marketo's daily API quota is used up \(607\); sending resumes after it resets"
               r" at midnight US Central \(20\d\d-\d\d-\d\dT0[56]:00:00Z\)")
        self.assertRegex(r.stderr.strip().splitlines()[-1], r"\Ahail: " + msg + r"\Z")
        sent, skipped, pos, err = self.cursor()
        self.assertRegex(err, r"\A" + msg + r"\Z")
        self.assertIsNotNone(self.h.sql_value(
            "SELECT waiting_until FROM log_cursors WHERE consumer = 'marketo'"))
        self.fake.config(reset_quota=True)
        self.out()
        self.assertEqual(self.hail_ids(self.external()), want + self.expected_ids(more))
        self.assertEqual(self.cursor()[3], None)

    def test_server_waits_out_the_quota_until_retry_now(self):
        people = self.leads(5)
        ids = self.activities(people, 20)
        want = self.expected_ids(ids)
        self.fake.inject(path="/rest/v1/activities/external.json", code="607")
        self.h.start()
        deadline = time.time() + WAIT
        while time.time() < deadline and not (self.cursor() or (0, 0, 0, None))[3]:
            time.sleep(0.05)
        self.assertRegex(self.cursor()[3], r"\AMarketo's daily API quota is used up \(607\);")
        self.assertEqual(self.external(), [])
        time.sleep(1)  # it waits: no more calls
        calls = self.fake.stats()["calls"].get("/rest/v1/activities/external.json", 0)
        self.assertGreaterEqual(calls, 1)  # the call that met the quota
        time.sleep(1)
        self.assertEqual(self.fake.stats()["calls"].get("/rest/v1/activities/external.json", 0),
                         calls)
        # the quota resets; an admin presses "retry now" (it clears the wait)
        self.fake.config(reset_quota=True)
        self.h.sql("UPDATE log_cursors SET waiting_until = NULL WHERE consumer = 'marketo'")
        deadline = time.time() + WAIT
        while time.time() < deadline and len(self.external()) < len(want):
            time.sleep(0.05)
        self.assertEqual(self.hail_ids(self.external()), want)
        deadline = time.time() + WAIT
        while time.time() < deadline and self.cursor()[3] is not None:
            time.sleep(0.05)
        self.assertEqual(self.cursor()[:4], (len(want), 0, ids[-1], None))
        # new activities follow while it runs
        more = self.activities(people, 2)[len(ids):]
        deadline = time.time() + WAIT
        while time.time() < deadline and len(self.external()) < len(want) + len(more) - 1:
            time.sleep(0.05)
        self.assertEqual(self.hail_ids(self.external()), want + self.expected_ids(more))

    def test_batch_in_flight_is_reconciled(self):
        """The crash window: a batch committed as in flight, then the call, then a crash
        before the result is recorded. Made here exactly: the batch is delivered, then
        the database is put back to the state of that moment (cursor before the batch,
        the in-flight row present), plus some records of the batch that had not arrived."""
        people = self.leads(6)
        ids = self.activities(people, 50)  # 300
        self.out()
        got = self.hail_ids(self.external())
        # forget the last 100 delivered in the fake? The fake cannot forget; instead, the
        # in-flight batch covers 250 delivered ones and 50 new ones never sent.
        new = self.activities(people, 9)[len(ids):]
        batch = ids[-250:] + new
        self.h.sql("UPDATE log_cursors SET pos_id = ? WHERE consumer = 'marketo'",
                   ids[-251])
        self.h.sql("INSERT INTO outbox_batches (consumer, end_xact, end_id, activity_ids,"
                   " started_at) SELECT 'marketo', pos_xact, ?, ?, ? FROM log_cursors"
                   " WHERE consumer = 'marketo'", new[-1], json.dumps(batch),
                   int(time.time() * 1e6) - 5000000)
        if os.environ.get("HAIL_TEST_ENGINE") == "postgres":
            # the batch's end position: its xact too
            self.h.sql("UPDATE outbox_batches SET end_xact = (SELECT CAST(CAST(xact AS text)"
                       " AS BIGINT) FROM activities WHERE id = ?)", new[-1])
        r = self.out()
        want_new = self.expected_ids(new)
        self.assertIn("a batch cut off before: %d were in Marketo already, %d sent again"
                      % (len(self.expected_ids(ids[-250:])), len(want_new)), r.stdout)
        self.assertEqual(self.hail_ids(self.external()), got + want_new)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_batches"), 0)
        self.assertEqual(self.cursor()[2], new[-1])

    def test_server_kill9_while_sending(self):
        people = self.leads(20)
        ids = self.activities(people, 100)  # 2,000: seven calls
        want = self.expected_ids(ids)
        self.fake.config(latency=0.15)
        rnd = random.Random(11)
        for round_ in range(3):
            self.h.start()
            deadline = time.time() + WAIT
            target = rnd.randint(1, len(want) - 1) if round_ < 2 else len(want)
            while time.time() < deadline and len(self.external()) < target:
                time.sleep(0.02)
            if round_ < 2:
                time.sleep(rnd.random() * 0.15)
                self.h.kill9()
        deadline = time.time() + WAIT
        while time.time() < deadline and (self.cursor() or (0, 0, 0))[2] != ids[-1]:
            time.sleep(0.05)
        self.h.stop()
        got = self.hail_ids(self.external())
        self.assertEqual(sorted(got), want)
        self.assertEqual(len(got), len(set(got)))  # none twice
        self.assertEqual(self.cursor()[:3], (len(want), 0, ids[-1]))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM outbox_batches"), 0)


@harness.postgres_only("several nodes share one PostgreSQL database")
class TwoNodes(MarketoOutbox):
    """Two `hail serve` nodes over one database: one sends (the lease outbox.marketo),
    and when it is killed the other takes over; every activity arrives once."""

    def test_one_sender_then_takeover(self):
        people = self.leads(10)
        ids = self.activities(people, 150)  # 1,500
        want = self.expected_ids(ids)
        self.fake.config(latency=0.1)
        b = Hail(env=self.fake.env(HAIL_MARKETO_RECONCILE_SECONDS=0), database=self.h.db_url)
        try:
            self.h.start()
            b.start()
            deadline = time.time() + WAIT
            while time.time() < deadline and len(self.external()) < 300:
                time.sleep(0.02)
            holder = json.loads(self.h.sql_value(
                "SELECT holder FROM leases WHERE name = 'outbox.marketo'"))["pid"]
            self.assertIn(holder, (self.h.proc.pid, b.proc.pid))
            (self.h if holder == self.h.proc.pid else b).kill9()
            deadline = time.time() + WAIT
            while time.time() < deadline and (self.cursor() or (0, 0, 0))[2] != ids[-1]:
                time.sleep(0.05)
            got = self.hail_ids(self.external())
            self.assertEqual(sorted(got), want)
            self.assertEqual(len(got), len(set(got)))
            self.assertEqual(self.cursor()[:3], (len(want), 0, ids[-1]))
        finally:
            b.close()

    # the single-node cases run in MarketoOutbox
    test_all_in_order_once_with_attributes = None
    test_machine_events_not_sent_when_the_admin_says_so = None
    test_unknown_leads_are_skipped_with_the_reason = None
    test_injected_errors_still_once = None
    test_quota_stops_then_resumes = None
    test_server_waits_out_the_quota_until_retry_now = None
    test_batch_in_flight_is_reconciled = None
    test_server_kill9_while_sending = None


if __name__ == "__main__":
    main()
