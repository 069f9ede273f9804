"""Campaigns and their members over the REST API (issue 9; docs/campaigns.md
"Campaigns"): create, read, change and delete with the steps validated (whole
messages: days in order, a template the owner may use, none with field
prompts in an automatic email step, fixed times, follow-ups); who sees what
(private / teams / everyone; reps their own, managers their teams' users',
admins all) and who may change it; people added by ids (up to 1,000), by an
account's or an opportunity's people, each refused person with a reason, a
person at most once at a time; remove, pause and resume one person, pause,
resume and stop a campaign, "pause all my campaigns" for a leave; the Add /
Remove Sales Campaign activities; a person's campaigns; the report after
emails were sent, opened (the real pixel), clicked, replied (POST
/api/v1/inbound) and bounced — machine opens never count."""
import calendar
import csv
import http.client
import os
import time

import harness
import mailfix
from apitest import ApiCase
from harness import Hail
from mailfix import FIREFOX

COLUMNS = ["id", "firstName", "lastName", "email", "company", "sfdcAccountId", "sfdcOpptyId",
           "leadOwnerEmailAddress"]
REP = "rep@example.com"
INBOUND = "inbound-secret-0123456789abcdef"
FUTURE = "2030-01-07T09:00:00Z"


def row(i, email, account=None, opp=None, owner=REP):
    return {"id": i, "firstName": "P%d" % i, "lastName": "L", "email": email,
            "company": "Co %d" % i, "sfdcAccountId": account, "sfdcOpptyId": opp,
            "leadOwnerEmailAddress": owner}


ROWS = [row(1, "p1@x.example", "001ACME", "006BIG"),
        row(2, "p2@x.example", "001ACME", "006BIG"),
        row(3, "p3@x.example", "001ACME"),
        row(4, None, "001ACME"),                 # no email
        row(5, "p5@x.example", "001ACME", owner=None),  # inactive
        row(6, "p6@x.example", None, "006BIG"),  # unsubscribed (below)
        row(7, "p7@x.example")] + [row(100 + i, "bulk%d@x.example" % i) for i in range(1000)]


class CampaignsTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h = h = Hail(env={"HAIL_PUBLIC_URL": "https://hail.example",
                              "HAIL_INBOUND_TOKEN": INBOUND})
        cls.admin = h.admin_token()
        h.add_user(REP, "Rita Rep", "rep", team="east")
        h.add_user("mate@example.com", "Mo Mate", "rep", team="east")
        h.add_user("other@example.com", "Olga Other", "rep", team="west")
        h.add_user("boss@example.com", "Bea Boss", "manager", team="east")
        cls.rep, cls.mate, cls.other, cls.boss = (
            h.token(REP), h.token("mate@example.com"), h.token("other@example.com"),
            h.token("boss@example.com"))
        cls.uid = {e: h.sql_value("SELECT id FROM users WHERE email = ?", e)
                   for e in (REP, "mate@example.com", "other@example.com", "boss@example.com")}
        path = os.path.join(h.dir, "people.csv")
        with open(path, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(COLUMNS)
            for r in ROWS:
                w.writerow(["" if r.get(c) is None else r[c] for c in COLUMNS])
        h.run("import", "people", path, check=True)
        # One query, not one per row (on PostgreSQL each is a psql process).
        ids = dict(h.sql("SELECT marketo_id, id FROM people"))
        cls.p = {r["id"]: ids.get(r["id"]) for r in ROWS}
        h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
              " updated_at) VALUES (?, 'rita@sales.example', 'Rita Rep', 1, 0, 0)", cls.uid[REP])
        cls.sender = h.sql_value("SELECT max(id) FROM senders")
        h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
              " updated_at) VALUES (?, 'olga@sales.example', 'Olga', 1, 0, 0)",
              cls.uid["other@example.com"])
        cls.other_sender = h.sql_value("SELECT max(id) FROM senders")
        h.start()
        r = h.request("POST", "/api/v1/people/%d/unsubscribe" % cls.p[6], token=cls.rep)
        assert r.status == 200, r
        cls.tpl = cls.template(cls, cls.rep, "Intro", "Hello {{first_name}}", "private")
        cls.tpl_prompt = cls.template(cls, cls.rep, "Custom", "<p>{{! one line about them}}</p>",
                                      "private")
        cls.tpl_other = cls.template(cls, cls.other, "Olga's", "Hi", "private")

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def template(self, token, name, body, sharing):
        r = self.h.request("POST", "/api/v1/templates", {"name": name, "subject": name,
                                                        "body_html": body, "sharing": sharing},
                           token=token)
        assert r.status == 201, r
        return r.json["id"]

    def req(self, method, path, body=None, token=None, status=None):
        r = self.h.request(method, path, body, token=token or self.rep)
        if status is not None:
            self.assertEqual(r.status, status, r)
        return r

    def create(self, token=None, **kw):
        body = {"name": "Q4 outreach", "category": "Outbound", "sharing": "private",
                "steps": [{"day": 1, "type": "auto_email", "template_id": self.tpl,
                           "send_time": "09:30"},
                          {"day": 3, "type": "call", "name": "Call them", "priority": "high"}]}
        body.update(kw)
        return self.req("POST", "/api/v1/campaigns", body, token=token)

    def add(self, cid, token=None, **body):
        # A Monday far ahead: the scheduler has nothing due while a test runs.
        if "start_at" not in body and len(body) == 1:
            body["start_at"] = FUTURE
        return self.req("POST", "/api/v1/campaigns/%d/members" % cid, body, token=token)

    def members(self, cid, token=None):
        r = self.req("GET", "/api/v1/campaigns/%d/members?limit=200" % cid, token=token, status=200)
        return {m["person"]["id"]: m for m in r.json["data"]}

    # ---- CRUD and validation ----

    def test_create_read_change_delete(self):
        r = self.create()
        self.assertEqual(r.status, 201, r)
        c = r.json
        self.assertEqual(c["owner"], {"id": self.uid[REP], "name": "Rita Rep"})
        self.assertEqual((c["name"], c["category"], c["sharing"], c["status"], c["steps_count"],
                          c["days"], c["sender"]),
                         ("Q4 outreach", "Outbound", "private", "active", 2, 3, None))
        self.assertEqual(c["settings"], {"time_zone": "UTC", "use_person_time_zone": True,
                                         "skip_weekends": True, "end_on_reply": True,
                                         "reply_is_success": False, "remove_on_bounce": True,
                                         "ignore_out_of_office": True})
        self.assertEqual(c["counts"], {s: 0 for s in (
            "scheduled", "active", "paused", "finished", "replied", "bounced", "removed",
            "unsubscribed", "stopped")})
        self.assertEqual(c["steps"], [
            {"position": 0, "day": 1, "type": "auto_email",
             "template": {"id": self.tpl, "name": "Intro"}, "send_option": "fixed",
             "send_time": "09:30", "follow_up": False, "name": "", "details": "",
             "priority": "normal", "linkedin_kind": None},
            {"position": 1, "day": 3, "type": "call", "template": None, "send_option": None,
             "send_time": None, "follow_up": False, "name": "Call them", "details": "",
             "priority": "high", "linkedin_kind": None}])
        self.assertEqual(self.req("GET", "/api/v1/campaigns/%d" % c["id"], status=200).json, c)

        r = self.req("PATCH", "/api/v1/campaigns/%d" % c["id"], {
            "name": "Q4 outreach v2", "sender_id": self.sender, "sharing": "teams",
            "settings": {"reply_is_success": True, "skip_weekends": False},
            "steps": [{"day": 1, "type": "auto_email", "template_id": self.tpl},
                      {"day": 2, "type": "auto_email", "template_id": self.tpl, "follow_up": True,
                       "send_option": "same_as_previous"},
                      {"day": 2, "type": "linkedin", "linkedin_kind": "connect"},
                      {"day": 4, "type": "manual_email", "template_id": self.tpl_prompt},
                      {"day": 5, "type": "custom", "name": "Send a gift", "details": "a mug"}]},
            status=200)
        u = r.json
        self.assertEqual((u["name"], u["sharing"], u["steps_count"], u["days"]),
                         ("Q4 outreach v2", "teams", 5, 5))
        self.assertEqual(u["sender"], {"id": self.sender, "address": "rita@sales.example",
                                       "display_name": "Rita Rep"})
        self.assertEqual((u["settings"]["reply_is_success"], u["settings"]["skip_weekends"],
                          u["settings"]["end_on_reply"]), (True, False, True))
        self.assertEqual([(s["type"], s["send_option"], s["follow_up"]) for s in u["steps"]],
                         [("auto_email", "at_launch", False), ("auto_email", "same_as_previous", True),
                          ("linkedin", None, False), ("manual_email", None, False),
                          ("custom", None, False)])
        r = self.req("PATCH", "/api/v1/campaigns/%d" % c["id"], {"sender_id": None}, status=200)
        self.assertIsNone(r.json["sender"])
        # another rep may not change it, and does not even see a private one
        self.assertError(self.req("PATCH", "/api/v1/campaigns/%d" % c["id"], {"name": "x"},
                                  token=self.other), 404, "not_found",
                         "no campaign with id %d" % c["id"])
        self.assertError(self.req("PATCH", "/api/v1/campaigns/%d" % c["id"], {"name": "x"},
                                  token=self.mate), 403, "forbidden",
                         "only the campaign's owner or an admin may change campaign %d" % c["id"])
        self.req("PATCH", "/api/v1/campaigns/%d" % c["id"], {"category": "Admin's"},
                 token=self.admin, status=200)
        self.req("DELETE", "/api/v1/campaigns/%d" % c["id"], status=204)
        self.assertError(self.req("GET", "/api/v1/campaigns/%d" % c["id"]), 404, "not_found",
                         "no campaign with id %d" % c["id"])

    def test_validation_whole_messages(self):
        def bad(steps, status, code, message, **kw):
            self.assertError(self.create(steps=steps, **kw), status, code, message)
        em = {"day": 1, "type": "auto_email", "template_id": self.tpl}
        bad([em, dict(em, day=0)], 400, "bad_request",
            "steps[1].day must be an integer from 1 to 365, not 0")
        bad([{"day": 1, "type": "fax"}], 400, "bad_request",
            "steps[0].type must be auto_email, manual_email, call, linkedin or custom, not 'fax'")
        bad(["x"], 400, "bad_request", "steps[0] must be an object, not a string")
        bad([dict(em, colour="red")], 400, "bad_request", "unknown member 'steps[0].colour' (allowed: day, type, template_id, "
            "send_option, send_time, follow_up, name, details, priority or linkedin_kind)")
        bad([dict(em, day=4), dict(em, day=2)], 422, "invalid_step",
            "steps[1] is on day 2, before steps[0]'s day 4: days must not decrease along the list")
        bad([{"day": 1, "type": "auto_email", "template_id": self.tpl_prompt}], 422,
            "template_has_prompts",
            "template %d has field prompts; an automatic email step cannot fill them: use a manual "
            "email step" % self.tpl_prompt)
        bad([dict(em, send_option="fixed")], 422, "invalid_step",
            "steps[0]: send_option fixed needs a send_time (HH:MM)")
        bad([dict(em, send_time="24:00")], 422, "invalid_step",
            "steps[0]: send_time '24:00' is not a time of day (HH:MM, 00:00 to 23:59)")
        bad([dict(em, follow_up=True)], 422, "invalid_step",
            "steps[0]: follow_up needs an earlier email step to follow")
        bad([{"day": 1, "type": "call", "follow_up": True}], 422, "invalid_step",
            "steps[0]: follow_up applies to email steps only")
        bad([{"day": 1, "type": "call", "template_id": self.tpl}], 422, "invalid_step",
            "steps[0]: a call step takes no template")
        bad([{"day": 1, "type": "call", "send_option": "fixed"}], 422, "invalid_step",
            "steps[0]: send_option applies to automatic email steps only")
        bad([{"day": 1, "type": "custom", "linkedin_kind": "inmail"}], 422, "invalid_step",
            "steps[0]: linkedin_kind applies to linkedin steps only")
        bad([{"day": 1, "type": "auto_email"}], 422, "invalid_step",
            "steps[0]: an automatic email step needs a template")
        bad([{"day": 1, "type": "manual_email"}], 422, "invalid_step",
            "steps[0]: a manual email step needs a template")
        bad([dict(em, template_id=self.tpl_other)], 422, "template_not_found",
            "steps[0]: no template with id %d that the campaign's owner may use" % self.tpl_other)
        bad([em], 422, "unknown_time_zone", "unknown time zone 'Mars/Olympus'",
            settings={"time_zone": "Mars/Olympus"})
        bad([em], 422, "invalid_sender",
            "sender %d is not one of the campaign owner's senders" % self.other_sender,
            sender_id=self.other_sender)
        bad([em], 400, "bad_request", "name must be 1 to 200 characters, not 0", name="")
        bad([em], 400, "bad_request", "sharing must be private, teams or everyone, not 'team'",
            sharing="team")
        bad([em], 400, "bad_request", "settings.skip_weekends must be true or false, not a string",
            settings={"skip_weekends": "yes"})
        bad([em] * 101, 400, "bad_request", "steps must hold at most 100 items, not 101")
        # a template with prompts is fine in a manual step, and in an automatic step that
        # makes an email task instead
        r = self.create(steps=[{"day": 1, "type": "manual_email", "template_id": self.tpl_prompt},
                               {"day": 2, "type": "auto_email", "template_id": self.tpl_prompt,
                                "send_option": "task"}])
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM campaigns WHERE name = ''"), 0)

    def test_list_views_and_visibility(self):
        mine = self.create(name="V private").json["id"]
        teams = self.create(name="V teams", sharing="teams").json["id"]
        everyone = self.create(name="V everyone", sharing="everyone").json["id"]
        olga = self.create(token=self.other, name="V olga",
                           steps=[{"day": 1, "type": "call"}]).json["id"]

        def ids(token, query=""):
            r = self.req("GET", "/api/v1/campaigns?limit=200&q=V%20" + query, token=token,
                         status=200)
            return [c["id"] for c in r.json["data"]]
        self.assertEqual(ids(self.rep), [everyone, teams, mine])
        self.assertEqual(ids(self.rep, "&view=mine"), [everyone, teams, mine])
        self.assertEqual(ids(self.rep, "&view=shared"), [])
        self.assertEqual(ids(self.mate), [everyone, teams])       # same team
        self.assertEqual(ids(self.mate, "&view=shared"), [everyone, teams])
        self.assertEqual(ids(self.other), [olga, everyone])       # another team
        self.assertEqual(ids(self.boss), [everyone, teams, mine])  # the team's manager
        self.assertEqual(ids(self.admin), [olga, everyone, teams, mine])
        self.assertEqual(ids(self.admin, "&view=mine"), [])
        self.assertEqual(ids(self.rep, "&status=paused"), [])
        for who in (self.other, self.mate):
            self.assertError(self.req("GET", "/api/v1/campaigns/%d" % mine, token=who), 404,
                             "not_found", "no campaign with id %d" % mine)
        self.req("GET", "/api/v1/campaigns/%d" % mine, token=self.boss, status=200)
        self.assertError(self.req("GET", "/api/v1/campaigns?view=ours"), 400, "bad_request",
                         "view must be mine, shared or all, not 'ours'")
        self.assertError(self.req("GET", "/api/v1/campaigns?status=done"), 400, "bad_request",
                         "status must be active, paused or stopped, not 'done'")
        # pages
        r = self.req("GET", "/api/v1/campaigns?limit=2&q=V%20", status=200)
        self.assertEqual([c["id"] for c in r.json["data"]], [everyone, teams])
        r = self.req("GET", "/api/v1/campaigns?limit=2&q=V%20&cursor=" + r.json["next_cursor"],
                     status=200)
        self.assertEqual(([c["id"] for c in r.json["data"]], r.json["next_cursor"]), ([mine], None))

    # ---- members ----

    def test_add_people_with_reasons_at_most_once(self):
        cid = self.create().json["id"]
        ids = [self.p[1], self.p[4], self.p[5], self.p[6], 99999999, self.p[1]]
        r = self.add(cid, person_ids=ids, start_at="2030-12-02T09:00:00Z", launch_time="10:15")
        self.assertEqual(r.status, 200, r)
        m1 = r.json["results"][0]["member_id"]
        self.assertEqual(r.json, {"added": 1, "refused": 5, "results": [
            {"person_id": self.p[1], "status": "added", "member_id": m1},
            {"person_id": self.p[4], "status": "refused", "reason": "no_email",
             "message": "person %d has no email address" % self.p[4]},
            {"person_id": self.p[5], "status": "refused", "reason": "inactive_person",
             "message": "person %d is not active" % self.p[5]},
            {"person_id": self.p[6], "status": "refused", "reason": "unsubscribed",
             "message": "person %d (p6@x.example) has unsubscribed" % self.p[6]},
            {"person_id": 99999999, "status": "refused", "reason": "not_found",
             "message": "no person with id 99999999"},
            {"person_id": self.p[1], "status": "refused", "reason": "already_in_campaign",
             "message": "person %d is already in campaign %d" % (self.p[1], cid)}]})
        r = self.add(cid, person_ids=[self.p[1]])
        self.assertEqual(r.json["results"][0]["reason"], "already_in_campaign")
        m = self.members(cid)[self.p[1]]
        self.assertEqual(m, {
            "id": m1, "campaign_id": cid,
            "person": {"id": self.p[1], "name": "P1 L", "email": "p1@x.example",
                       "company": "Co 1"},
            "status": "active", "step_position": 0,
            "next_step": {"position": 0, "day": 1, "type": "auto_email"},
            "next_due_at": "2030-12-02T09:30:00Z", "waiting_task_id": None, "paused_until": None,
            "pause_reason": None, "success": False, "end_reason": None,
            "added_by": {"id": self.uid[REP], "name": "Rita Rep"},
            "created_at": m["created_at"], "ended_at": None})
        self.assertEqual(tuple(self.h.sql("SELECT start_at, launch_time FROM campaign_members"
                                          " WHERE id = ?", m1)[0]),
                         (calendar.timegm((2030, 12, 2, 9, 0, 0)) * 1000000, "10:15"))
        # the activity, with PRODUCT.md §8's attributes
        acts = self.req("GET", "/api/v1/people/%d/activities?type=campaign_add" % self.p[1],
                        status=200).json["data"]
        act = [a for a in acts if a["campaign_id"] == cid]
        self.assertEqual(len(act), 1)
        self.assertEqual((act[0]["type_name"], act[0]["user_id"], act[0]["attrs"]),
                         ("Add to Sales Campaign", self.uid[REP],
                          {"campaign_id": cid, "campaign_name": "Q4 outreach",
                           "campaign_url": "https://hail.example/campaigns/%d" % cid,
                           "sent_by": "Rita Rep", "source": "hail"}))
        # after removal the person may be added again (once at a time)
        self.req("DELETE", "/api/v1/campaigns/%d/members/%d" % (cid, m1), status=204)
        r = self.add(cid, person_ids=[self.p[1]])
        self.assertEqual((r.json["added"], r.json["results"][0]["status"]), (1, "added"))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM campaign_members WHERE"
                                          " campaign_id = ? AND person_id = ?", cid, self.p[1]), 2)
        # bad input
        self.assertError(self.add(cid, person_ids=[]), 400, "bad_request",
                         "person_ids must name at least one person")
        self.assertError(self.add(cid, person_ids=[1], account_id="001ACME"), 400, "bad_request",
                         "give exactly one of person_ids, account_id and opportunity_id")
        self.assertError(self.add(cid), 400, "bad_request",
                         "give exactly one of person_ids, account_id and opportunity_id")
        self.assertError(self.add(cid, person_ids=[0]), 400, "bad_request",
                         "person_ids[0] must be a positive integer, not 0")
        self.assertError(self.add(cid, person_ids=[1], start_at="tomorrow"), 400, "bad_request",
                         "start_at 'tomorrow' is not a date and time such as 2026-03-01T08:30:00Z")
        self.assertError(self.add(cid, person_ids=[1], launch_time="9:30"), 400, "bad_request",
                         "launch_time must be 5 to 5 characters, not 4")
        self.assertError(self.add(cid, person_ids=[1], launch_time="29:30"), 400, "bad_request",
                         "launch_time '29:30' is not a time of day (HH:MM, 00:00 to 23:59)")
        self.assertError(self.add(cid, person_ids=list(range(1, 1002))), 400, "bad_request",
                         "person_ids must hold at most 1000 ids, not 1001")
        self.assertError(self.add(cid, token=self.other, person_ids=[self.p[7]]), 404,
                         "not_found", "no campaign with id %d" % cid)
        empty = self.create(steps=[]).json["id"]
        self.assertError(self.add(empty, person_ids=[self.p[7]]), 422, "no_steps",
                         "campaign %d has no steps yet: add steps before people" % empty)

    def test_bulk_of_1000(self):
        cid = self.create().json["id"]
        ids = [self.p[100 + i] for i in range(1000)]
        t = time.time()
        r = self.add(cid, person_ids=ids)
        self.assertEqual((r.status, r.json["added"], r.json["refused"]), (200, 1000, 0), r)
        self.assertLess(time.time() - t, 60)
        self.assertEqual(self.req("GET", "/api/v1/campaigns/%d" % cid).json["counts"]["active"],
                         1000)
        r = self.req("GET", "/api/v1/campaigns/%d/members?limit=200" % cid, status=200)
        self.assertEqual(len(r.json["data"]), 200)
        seen = [m["id"] for m in r.json["data"]]
        while r.json["next_cursor"]:
            r = self.req("GET", "/api/v1/campaigns/%d/members?limit=200&cursor=%s"
                         % (cid, r.json["next_cursor"]), status=200)
            seen += [m["id"] for m in r.json["data"]]
        self.assertEqual(len(set(seen)), 1000)
        self.assertEqual(seen, sorted(seen))
        r = self.req("POST", "/api/v1/campaigns/%d/members/remove" % cid,
                     {"member_ids": seen[:600] + [99999999]}, status=200)
        self.assertEqual(r.json, {"removed": 600})
        c = self.req("GET", "/api/v1/campaigns/%d" % cid).json["counts"]
        self.assertEqual((c["active"], c["removed"]), (400, 600))
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM activities WHERE campaign_id = ?"
                                          " AND type = 'campaign_remove'", cid), 600)
        r = self.req("GET", "/api/v1/campaigns/%d/members?status=removed&limit=1" % cid,
                     status=200)
        self.assertEqual((r.json["data"][0]["status"], r.json["data"][0]["end_reason"],
                          r.json["data"][0]["next_step"]), ("removed", "removed", None))

    def test_account_and_opportunity(self):
        cid = self.create().json["id"]
        r = self.add(cid, account_id="001ACME")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(x["person_id"], x["status"], x.get("reason")) for x in r.json["results"]],
                         [(self.p[1], "added", None), (self.p[2], "added", None),
                          (self.p[3], "added", None), (self.p[4], "refused", "no_email"),
                          (self.p[5], "refused", "inactive_person")])
        r = self.add(cid, opportunity_id="006BIG")
        self.assertEqual([(x["person_id"], x.get("reason")) for x in r.json["results"]],
                         [(self.p[1], "already_in_campaign"), (self.p[2], "already_in_campaign"),
                          (self.p[6], "unsubscribed")])
        self.assertError(self.add(cid, account_id="001NONE"), 404, "not_found",
                         "no account with id 001NONE has people")
        self.assertError(self.add(cid, opportunity_id="006NONE"), 404, "not_found",
                         "no opportunity with id 006NONE has people")

    def test_pause_resume_remove_one_person(self):
        cid = self.create(sharing="teams").json["id"]
        m = self.add(cid, person_ids=[self.p[1], self.p[2]]).json["results"]
        m1, m2 = m[0]["member_id"], m[1]["member_id"]
        base = "/api/v1/campaigns/%d/members/" % cid
        # the scheduler gave the first step's time: day 1 at 09:30 (UTC, the owner's zone)
        self.assertEqual(self.members(cid)[self.p[1]]["next_due_at"], "2030-01-07T09:30:00Z")
        r = self.req("POST", base + "%d/pause" % m1, status=200)
        self.assertEqual((r.json["id"], r.json["status"], r.json["pause_reason"],
                          r.json["next_due_at"]), (m1, "paused", "manual", None))
        self.assertIsNotNone(self.h.sql_value("SELECT paused_at FROM campaign_members"
                                              " WHERE id = ?", m1))
        self.assertError(self.req("POST", base + "%d/pause" % m1), 409, "conflict",
                         "member %d is paused already" % m1)
        r = self.req("POST", base + "%d/resume" % m1, status=200)
        self.assertEqual((r.json["status"], r.json["pause_reason"], r.json["next_due_at"]),
                         ("active", None, "2030-01-07T09:30:00Z"))
        self.assertIsNone(self.h.sql_value("SELECT paused_at FROM campaign_members WHERE id = ?",
                                           m1))
        self.assertError(self.req("POST", base + "%d/resume" % m1), 409, "conflict",
                         "member %d is not paused (active)" % m1)
        # a teammate sees the campaign but may not touch people they did not add
        self.assertError(self.req("POST", base + "%d/pause" % m1, token=self.mate), 403,
                         "forbidden", "only the campaign's owner, an admin or whoever added the "
                         "person may change member %d" % m1)
        mm = self.add(cid, token=self.mate, person_ids=[self.p[3]]).json["results"][0]["member_id"]
        self.req("POST", base + "%d/pause" % mm, token=self.mate, status=200)
        self.assertError(self.req("POST", base + "99999999/pause"), 404, "not_found",
                         "no member 99999999 in campaign %d" % cid)
        other = self.create().json["id"]
        self.assertError(self.req("DELETE", "/api/v1/campaigns/%d/members/%d" % (other, m1)), 404,
                         "not_found", "no member %d in campaign %d" % (m1, other))
        self.req("DELETE", base + "%d" % m2, status=204)
        self.assertError(self.req("DELETE", base + "%d" % m2), 409, "conflict",
                         "member %d has left the campaign already (removed)" % m2)
        self.assertError(self.req("POST", base + "%d/pause" % m2), 409, "conflict",
                         "member %d has left the campaign (removed)" % m2)
        acts = self.req("GET", "/api/v1/people/%d/activities?type=campaign_remove" % self.p[2],
                        status=200).json["data"]
        self.assertEqual([(a["type_name"], a["attrs"]["campaign_name"], a["attrs"]["sent_by"])
                          for a in acts if a["campaign_id"] == cid],
                         [("Remove from Sales Campaign", "Q4 outreach", "Rita Rep")])
        # a person's campaigns (those the caller sees)
        r = self.req("GET", "/api/v1/people/%d/campaigns" % self.p[2], status=200)
        mine = [x for x in r.json["data"] if x["campaign"]["id"] == cid]
        self.assertEqual([(x["id"], x["status"], x["campaign"]) for x in mine],
                         [(m2, "removed", {"id": cid, "name": "Q4 outreach"})])
        r = self.req("GET", "/api/v1/people/%d/campaigns" % self.p[2], token=self.other, status=200)
        self.assertEqual([x for x in r.json["data"] if x["campaign"]["id"] == cid], [])
        self.assertError(self.req("GET", "/api/v1/people/99999999/campaigns"), 404, "not_found",
                         "no person with id 99999999")

    def test_pause_resume_stop_campaign(self):
        cid = self.create().json["id"]
        res = self.add(cid, person_ids=[self.p[1], self.p[2], self.p[3]]).json["results"]
        m1, m2, m3 = (x["member_id"] for x in res)
        base = "/api/v1/campaigns/%d" % cid
        self.req("POST", base + "/members/%d/pause" % m3, status=200)
        r = self.req("POST", base + "/pause", status=200)
        self.assertEqual((r.json["status"], r.json["counts"]["paused"]), ("paused", 3))
        ms = self.members(cid)
        self.assertEqual([ms[self.p[i]]["pause_reason"] for i in (1, 2, 3)],
                         ["campaign", "campaign", "manual"])
        self.assertError(self.req("POST", base + "/pause"), 409, "conflict",
                         "campaign %d is paused already" % cid)
        self.assertError(self.req("POST", base + "/members/%d/resume" % m1), 409, "conflict",
                         "campaign %d is paused: resume the campaign to resume its people" % cid)
        # people added to a paused campaign wait paused
        m7 = self.add(cid, person_ids=[self.p[7]]).json["results"][0]["member_id"]
        self.assertEqual(self.members(cid)[self.p[7]]["pause_reason"], "campaign")
        self.assertError(self.req("POST", base + "/resume", token=self.mate), 404, "not_found",
                         "no campaign with id %d" % cid)
        r = self.req("POST", base + "/resume", status=200)
        self.assertEqual((r.json["status"], r.json["counts"]["active"], r.json["counts"]["paused"]),
                         ("active", 3, 1))
        # resumed the same day: the steps keep their times
        self.assertEqual({(m["status"], m["next_due_at"]) for m in self.members(cid).values()},
                         {("active", "2030-01-07T09:30:00Z"), ("paused", None)})
        self.assertError(self.req("POST", base + "/resume"), 409, "conflict",
                         "campaign %d is not paused" % cid)
        # an open task of a member is skipped by stop
        h = self.h
        h.sql("INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, member_id,"
              " step_position, due_at, created_at, updated_at)"
              " VALUES ('call', 'Call', ?, ?, ?, ?, 1, 0, 0, 0)", self.p[1], self.uid[REP], cid, m1)
        tid = h.sql_value("SELECT max(id) FROM tasks")
        self.assertError(self.req("POST", base + "/stop", token=self.boss), 403, "forbidden",
                         "only the campaign's owner or an admin may change campaign %d" % cid)
        r = self.req("POST", base + "/stop", token=self.admin, status=200)
        self.assertEqual((r.json["status"], r.json["counts"]["stopped"]), ("stopped", 4))
        self.assertEqual(tuple(h.sql("SELECT status, completed_by FROM tasks WHERE id = ?", tid)[0]),
                         ("skipped", h.sql_value("SELECT id FROM users WHERE email = ?",
                                                 "admin@example.com")))
        self.assertEqual(h.sql_value("SELECT count(*) FROM activities WHERE campaign_id = ?"
                                     " AND type = 'campaign_remove'", cid), 4)
        self.assertEqual({m["status"] for m in self.members(cid).values()}, {"stopped"})
        self.assertError(self.req("POST", base + "/stop"), 409, "conflict",
                         "campaign %d is stopped" % cid)
        self.assertError(self.add(cid, person_ids=[self.p[1]]), 409, "conflict",
                         "campaign %d is stopped: no one can be added" % cid)
        self.assertError(self.req("DELETE", base), 409, "in_use",
                         "campaign %d has had people in it: stop it instead of deleting it" % cid)
        self.assertTrue(m7)

    def test_leave_pauses_and_resumes_all_my_campaigns(self):
        # the mate's own campaigns: another user's leave does not touch them
        a = self.create(token=self.mate, steps=[{"day": 1, "type": "call"}]).json["id"]
        b = self.create(token=self.mate, steps=[{"day": 1, "type": "call"}]).json["id"]
        ma = self.add(a, token=self.mate, person_ids=[self.p[1], self.p[2]]).json["results"]
        mb = self.add(b, token=self.mate, person_ids=[self.p[3]]).json["results"]
        self.req("POST", "/api/v1/campaigns/%d/members/%d/pause" % (a, ma[1]["member_id"]),
                 token=self.mate, status=200)
        r = self.req("POST", "/api/v1/me/campaigns/pause", token=self.mate, status=200)
        self.assertEqual(r.json, {"paused": 2})
        me = self.req("GET", "/api/v1/me", token=self.mate, status=200).json
        self.assertIsNotNone(me["campaigns_paused_at"])
        self.assertEqual(self.members(a, self.mate)[self.p[1]]["pause_reason"], "leave")
        # people added while on leave wait too
        r = self.add(b, token=self.mate, person_ids=[self.p[7]])
        self.assertEqual(self.members(b, self.mate)[self.p[7]]["pause_reason"], "leave")
        # a campaign paused during the leave keeps its people paused after it
        self.req("POST", "/api/v1/campaigns/%d/pause" % b, token=self.mate, status=200)
        r = self.req("POST", "/api/v1/me/campaigns/resume", token=self.mate, status=200)
        self.assertEqual(r.json, {"resumed": 1})
        self.assertIsNone(self.req("GET", "/api/v1/me", token=self.mate).json["campaigns_paused_at"])
        ms = self.members(a, self.mate)
        self.assertEqual([(ms[self.p[i]]["status"], ms[self.p[i]]["pause_reason"]) for i in (1, 2)],
                         [("active", None), ("paused", "manual")])
        ms = self.members(b, self.mate)
        self.assertEqual({(m["status"], m["pause_reason"]) for m in ms.values()},
                         {("paused", "campaign")})
        self.req("POST", "/api/v1/campaigns/%d/resume" % b, token=self.mate, status=200)
        self.assertEqual({m["status"] for m in self.members(b, self.mate).values()}, {"active"})
        self.assertEqual(self.req("POST", "/api/v1/me/campaigns/resume", token=self.mate).json,
                         {"resumed": 0})
        self.assertIsNone(self.req("GET", "/api/v1/me", token=self.rep).json["campaigns_paused_at"])
        self.assertEqual(mb[0]["status"], "added")

    def test_report_counts_human_events(self):
        cid = self.create(steps=[{"day": 1, "type": "auto_email", "template_id": self.tpl},
                                 {"day": 2, "type": "call"}]).json["id"]
        res = self.add(cid, person_ids=[self.p[1], self.p[2], self.p[3]]).json["results"]
        h, k = self.h, mailfix.key(self.h)
        # campaign emails as the scheduler makes them (step 0), sent an hour ago
        eids = []
        for x in res:
            to = h.sql_value("SELECT email FROM people WHERE id = ?", x["person_id"])
            h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, status,"
                  " to_address, to_domain, subject, body_html, links, sent_at, message_id,"
                  " campaign_id, campaign_member_id, campaign_step, created_at, updated_at)"
                  " VALUES (?, ?, ?, 1, 'sent', ?, 'x.example', 'Hello', '<p>hi</p>',"
                  " '[\"https://example.com/a\"]', ?, ?, ?, ?, 0, 0, 0)",
                  x["person_id"], self.uid[REP], self.sender, to,
                  mailfix.now_us() - 3600 * 1000000, "<c%d.%d@sales.example>" % (cid, x["member_id"]),
                  cid, x["member_id"])
            eids.append(h.sql_value("SELECT max(id) FROM emails"))
        def hit(path, ua):
            c = http.client.HTTPConnection("127.0.0.1", h.port, timeout=30)
            try:
                c.request("GET", path, headers={"User-Agent": ua})
                return c.getresponse().status
            finally:
                c.close()
        # two human opens of email 0 (one counts), a machine open of email 1, a click of email 0
        self.assertEqual(hit("/t/o/" + mailfix.token(k, "o", eids[0]), FIREFOX), 200)
        self.assertEqual(hit("/t/o/" + mailfix.token(k, "o", eids[0]), FIREFOX), 200)
        self.assertEqual(hit("/t/o/" + mailfix.token(k, "o", eids[1]), "Mozilla/5.0"), 200)
        self.assertEqual(hit("/t/c/" + mailfix.token(k, "c", eids[0], 0), FIREFOX), 302)
        # a reply to email 2 through the inbound route
        raw = ("From: P3 L <p3@x.example>\r\nTo: rita@sales.example\r\nSubject: Re: Hello\r\n"
               "Message-ID: <reply-%d@x.example>\r\nIn-Reply-To: <c%d.%d@sales.example>\r\n"
               "Date: Thu, 28 May 2026 10:00:00 +0000\r\nContent-Type: text/plain\r\n\r\n"
               "Yes, let's talk.\r\n" % (cid, cid, res[2]["member_id"])).encode()
        r = h.request("POST", "/api/v1/inbound", raw=raw, token=INBOUND,
                      headers={"Content-Type": "message/rfc822"})
        self.assertEqual((r.status, r.json["kind"], r.json["email_id"]), (200, "reply", eids[2]), r)
        # a bounced one and tasks of step 1
        h.sql("UPDATE emails SET status = 'bounced', bounced_at = 1 WHERE id = ?", eids[1])
        for status in ("open", "complete", "complete", "skipped"):
            h.sql("INSERT INTO tasks (type, name, person_id, assignee_id, campaign_id, member_id,"
                  " step_position, status, due_at, created_at, updated_at)"
                  " VALUES ('call', 'Call', ?, ?, ?, ?, 1, ?, 0, 0, 0)", self.p[1], self.uid[REP],
                  cid, res[0]["member_id"], status)
        h.sql("UPDATE campaign_members SET status = 'finished' WHERE id = ?", res[1]["member_id"])
        r = self.req("GET", "/api/v1/campaigns/%d/report" % cid, status=200)
        people = {s: 0 for s in ("scheduled", "active", "paused", "finished", "replied", "bounced",
                                 "removed", "unsubscribed", "stopped")}
        # the reply ended P3's run (end on reply: the scheduler's sched_on_activity)
        people["active"], people["finished"], people["replied"] = 1, 1, 1
        self.assertEqual(r.json, {"people": people, "steps": [
            {"position": 0, "day": 1, "type": "auto_email", "sent": 3, "opened": 1, "clicked": 1,
             "replied": 1, "bounced": 1, "tasks_open": 0, "tasks_completed": 0, "tasks_skipped": 0},
            {"position": 1, "day": 2, "type": "call", "sent": 0, "opened": 0, "clicked": 0,
             "replied": 0, "bounced": 0, "tasks_open": 1, "tasks_completed": 2,
             "tasks_skipped": 1}]})
        self.assertError(self.req("GET", "/api/v1/campaigns/%d/report" % cid, token=self.other),
                         404, "not_found", "no campaign with id %d" % cid)


if __name__ == "__main__":
    harness.main()
