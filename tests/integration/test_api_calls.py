"""Calls over the REST API (docs/calls.md): logging a call with its Receive
Sales Call activity (PRODUCT.md §8's attributes, recorded once), the
admin's outcomes and reasons (answered / not answered, archive on delete,
the require-outcome rule), the caller-id pool and local presence (dial and
tel: URI), calls started through the dialer and logged by the call form,
visibility (reps their own, managers their teams', admins all), filters,
voicemail drops (checked by content, 10 MB cap) and the call settings
(the dialer secret write-only). Every error whole. Both engines."""
import json
import re

from apitest import ApiCase, DataTemplate

PW = "correct horse battery"
SECRET = "dialer-s3cret-0123456789"
TEMPLATE = None

WAV = b"RIFF" + (36).to_bytes(4, "little") + b"WAVEfmt " + bytes(24) + b"data" + bytes(4)
MP3 = b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(100)
MP3_FRAME = b"\xff\xfb\x90\x64" + bytes(400)


def build(h):
    admin = h.admin_token()
    h.add_user("mia@example.com", "Mia Manager", "manager", password=PW, team="west")
    h.add_user("rita@example.com", "Rita Rep", "rep", password=PW, team="west")
    h.add_user("ray@example.com", "Ray Rep", "rep", password=PW)
    return {"admin": admin, "mia": h.token("mia@example.com"), "rita": h.token("rita@example.com"),
            "ray": h.token("ray@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


class CallsCase(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.t = TEMPLATE.values
        self.h.start()
        self.ids = {k: self.me(self.h, v).json["id"] for k, v in self.t.items()}
        self.bodies = []

    def tearDown(self):
        for b in self.bodies:
            self.assertNotIn(SECRET, b)
        self.assertNotIn(SECRET, self.h.server_log())
        self.close_checked(self.h)

    def req(self, method, path, body=None, who="rita", **kw):
        r = self.h.request(method, path, body, token=self.t[who], **kw)
        self.bodies.append(r.body)
        return r

    def person(self, phone="+1 (415) 555-0100", first="Pat", last="Lee", account=None, mid=None):
        mid = mid or self.h.sql_value("SELECT coalesce(max(marketo_id), 0) + 1 FROM people")
        return self.h.sql("INSERT INTO people (marketo_id, first_name, last_name, email, phone,"
                          " sfdc_account_id, active, created_at, updated_at)"
                          " VALUES (?, ?, ?, ?, ?, ?, 1, 0, 0) RETURNING id",
                          mid, first, last, "p%d@example.com" % mid, phone, account)[0][0]

    def outcome(self, name):
        r = self.req("GET", "/api/v1/call-outcomes")
        self.assertEqual(r.status, 200, r)
        return next(o for o in r.json["data"] if o["name"] == name)

    def log(self, body, who="rita", status=201):
        r = self.req("POST", "/api/v1/calls", body, who=who)
        self.assertEqual(r.status, status, r)
        return r.json

    def activities(self, person):
        r = self.req("GET", "/api/v1/people/%d/activities" % person)
        self.assertEqual(r.status, 200, r)
        return [a for a in r.json["data"] if a["type"] == "call"]


class LogTest(CallsCase):
    def test_log_a_call_and_its_activity(self):
        p = self.person()
        o = self.outcome("Meeting booked")
        reasons = self.req("GET", "/api/v1/call-reasons").json["data"]
        self.assertEqual([x["name"] for x in reasons],
                         ["Prospecting", "Follow-up", "Meeting scheduling", "Demo", "Renewal",
                          "Referral"])
        c = self.log({"person_id": p, "outcome_id": o["id"], "reason_id": reasons[0]["id"],
                      "notes": "Wants a demo", "status": "completed", "duration_s": 95,
                      "started_at": "2026-03-02T15:00:00Z", "caller_id": "+1 415 555 0199",
                      "recording_url": "https://rec.example.com/1.mp3", "answered_by": "human"})
        self.assertEqual(c["person"], {"id": p, "name": "Pat Lee"})
        self.assertEqual(c["user"], {"id": self.ids["rita"], "name": "Rita Rep"})
        self.assertEqual(c["number_dialed"], "+14155550100")  # the person's, in E.164
        self.assertEqual(c["caller_id"], "+14155550199")
        self.assertEqual(c["outcome"], {"id": o["id"], "name": "Meeting booked", "answered": True})
        self.assertEqual(c["reason"], {"id": reasons[0]["id"], "name": "Prospecting"})
        self.assertEqual((c["status"], c["duration_s"], c["started_at"], c["notes"]),
                         ("completed", 95, "2026-03-02T15:00:00Z", "Wants a demo"))
        self.assertIsNone(c["voicemail_drop"])
        self.assertIsNone(c["task_id"])
        acts = self.activities(p)
        self.assertEqual(len(acts), 1)
        a = acts[0]
        self.assertEqual((a["type_name"], a["call_id"], a["user_id"], a["occurred_at"]),
                         ("Receive Sales Call", c["id"], self.ids["rita"], "2026-03-02T15:00:00Z"))
        self.assertEqual(a["attrs"], {
            "made_by": "rita@example.com", "status": "completed", "subject": "Meeting booked",
            "number_called": "+14155550100", "source": "hail", "duration": 95,
            "recording_url": "https://rec.example.com/1.mp3", "answered_by": "human",
            "sales_person_id": self.ids["rita"], "reason": "Prospecting"})
        # Later edits change the call, never the activity (recorded once).
        r = self.req("PATCH", "/api/v1/calls/%d" % c["id"], {"notes": "Demo on Friday"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["notes"], "Demo on Friday")
        self.assertEqual(len(self.activities(p)), 1)
        r = self.req("GET", "/api/v1/calls/%d" % c["id"])
        self.assertEqual(r.json, dict(c, notes="Demo on Friday", updated_at=r.json["updated_at"]))

    def test_validation_whole_messages(self):
        p = self.person()
        bad = self.outcome("Meeting booked")
        cases = [
            ({"status": "completed"}, 400, "bad_request", "person_id is required"),
            ({"person_id": p}, 400, "bad_request", "status is required"),
            ({"person_id": p, "status": "done"}, 400, "bad_request",
             "status must be completed, no_answer, cancelled or failed, not 'done'"),
            ({"person_id": p, "status": "completed", "duration_s": -1}, 400, "bad_request",
             "duration_s must be an integer from 0 to 86400, not -1"),
            ({"person_id": p, "status": "completed", "colour": "red"}, 400, "bad_request",
             re.compile(r"unknown member 'colour' \(allowed: person_id, outcome_id, .*\)")),
            ({"person_id": 999999, "status": "completed"}, 422, "unknown_person",
             "no person with id 999999"),
            ({"person_id": p, "status": "completed", "outcome_id": 999}, 422, "unknown_outcome",
             "no call outcome with id 999"),
            ({"person_id": p, "status": "completed", "reason_id": 999}, 422, "unknown_reason",
             "no call reason with id 999"),
            ({"person_id": p, "status": "completed", "voicemail_drop_id": 999}, 422,
             "unknown_voicemail_drop", "no voicemail drop with id 999"),
            ({"person_id": p, "status": "no_answer", "outcome_id": bad["id"]}, 422,
             "outcome_mismatch",
             "outcome 'Meeting booked' is for answered calls, and the call's status is no_answer"),
            ({"person_id": p, "status": "completed", "number_dialed": "call me"}, 422,
             "invalid_number", "number_dialed: 'call me' is not a phone number"),
            ({"person_id": p, "status": "completed", "caller_id": "+999 1234 5678"}, 422,
             "invalid_number", "caller_id: '+999 1234 5678' has no known country code"),
            ({"person_id": p, "status": "completed", "started_at": "yesterday"}, 422,
             "invalid_time",
             "started_at 'yesterday' is not an ISO 8601 time (such as 2026-03-01T10:00:00Z)"),
            ({"person_id": p, "status": "completed", "recording_url": "ftp://x/1.mp3"}, 422,
             "invalid_url", "recording_url 'ftp://x/1.mp3' is not an http or https URL"),
        ]
        for body, status, code, msg in cases:
            r = self.req("POST", "/api/v1/calls", body)
            self.assertError(r, status, code, msg)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM calls"), 0)
        self.assertEqual(self.activities(p), [])

    def test_require_outcome(self):
        p = self.person()
        r = self.req("PUT", "/api/v1/calls/settings", {"require_outcome": True})
        self.assertError(r, 403, "forbidden", "this needs the admin role")
        r = self.req("PUT", "/api/v1/calls/settings", {"require_outcome": True}, who="admin")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"require_outcome": True, "dialer_secret_set": False})
        self.assertEqual(self.req("GET", "/api/v1/calls/settings").json,
                         {"require_outcome": True, "dialer_secret_set": False})
        r = self.req("POST", "/api/v1/calls", {"person_id": p, "status": "no_answer"})
        self.assertError(r, 422, "outcome_required",
                         "an outcome is required to log a call (call settings: require_outcome)")
        c = self.log({"person_id": p, "status": "no_answer",
                      "outcome_id": self.outcome("No answer")["id"]})
        self.assertEqual(c["outcome"]["answered"], False)
        # Clearing the outcome of a logged call is refused too.
        r = self.req("PATCH", "/api/v1/calls/%d" % c["id"], {"outcome_id": None})
        self.assertEqual(r.status, 200, r)  # null: as if left out
        self.assertEqual(r.json["outcome"]["name"], "No answer")


class ChoicesTest(CallsCase):
    def test_outcomes_admin_crud(self):
        r = self.req("GET", "/api/v1/call-outcomes")
        seeded = r.json["data"]
        self.assertEqual(len(seeded), 11)
        self.assertEqual([o["answered"] for o in seeded], [True] * 6 + [False] * 5)
        r = self.req("POST", "/api/v1/call-outcomes", {"name": "Sent info", "answered": True})
        self.assertError(r, 403, "forbidden", "this needs the admin role")
        r = self.req("POST", "/api/v1/call-outcomes", {"name": "", "answered": True}, who="admin")
        self.assertError(r, 400, "bad_request", "name must be 1 to 200 characters, not 0")
        r = self.req("POST", "/api/v1/call-outcomes", {"name": "Sent info"}, who="admin")
        self.assertError(r, 400, "bad_request", "answered is required")
        r = self.req("POST", "/api/v1/call-outcomes", {"name": "Sent info", "answered": True},
                     who="admin")
        self.assertEqual(r.status, 201, r)
        o = r.json
        self.assertEqual((o["name"], o["answered"], o["position"]), ("Sent info", True, 12))
        r = self.req("PATCH", "/api/v1/call-outcomes/%d" % o["id"],
                     {"name": "Sent information", "position": 0, "answered": False}, who="admin")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"id": o["id"], "name": "Sent information", "answered": False,
                                  "position": 0})
        self.assertEqual(self.req("GET", "/api/v1/call-outcomes").json["data"][0]["id"], o["id"])
        p = self.person()
        c = self.log({"person_id": p, "status": "completed", "outcome_id": o["id"]})
        r = self.req("DELETE", "/api/v1/call-outcomes/%d" % o["id"], who="admin")
        self.assertEqual(r.status, 204, r)
        r = self.req("DELETE", "/api/v1/call-outcomes/%d" % o["id"], who="admin")
        self.assertError(r, 404, "not_found", "no call outcome with id %d" % o["id"])
        r = self.req("PATCH", "/api/v1/call-outcomes/%d" % o["id"], {"name": "x"}, who="admin")
        self.assertError(r, 404, "not_found", "no call outcome with id %d" % o["id"])
        self.assertNotIn(o["id"], [x["id"] for x in self.req("GET", "/api/v1/call-outcomes")
                                   .json["data"]])
        # Archived: not chosen any more; the call keeps it.
        r = self.req("POST", "/api/v1/calls", {"person_id": p, "status": "completed",
                                                "outcome_id": o["id"]})
        self.assertError(r, 422, "unknown_outcome", "no call outcome with id %d" % o["id"])
        self.assertEqual(self.req("GET", "/api/v1/calls/%d" % c["id"]).json["outcome"]["name"],
                         "Sent information")

    def test_reasons_admin_crud(self):
        r = self.req("POST", "/api/v1/call-reasons", {"name": "Upsell"}, who="admin")
        self.assertEqual(r.status, 201, r)
        self.assertEqual((r.json["name"], r.json["position"]), ("Upsell", 7))
        rid = r.json["id"]
        r = self.req("POST", "/api/v1/call-reasons", {"name": "Upsell", "answered": True},
                     who="admin")
        self.assertError(r, 400, "bad_request",
                         "unknown member 'answered' (allowed: name or position)")
        r = self.req("PATCH", "/api/v1/call-reasons/%d" % rid, {"name": "Upsell call"},
                     who="admin")
        self.assertEqual(r.json, {"id": rid, "name": "Upsell call", "position": 7})
        self.assertEqual(self.req("DELETE", "/api/v1/call-reasons/%d" % rid, who="admin").status,
                         204)
        r = self.req("DELETE", "/api/v1/call-reasons/%d" % rid, who="admin")
        self.assertError(r, 404, "not_found", "no call reason with id %d" % rid)


class DialTest(CallsCase):
    def pool(self, *numbers):
        out = []
        for i, n in enumerate(numbers):
            r = self.req("POST", "/api/v1/caller-ids", {"number": n, "label": "line %d" % i},
                         who="admin")
            self.assertEqual(r.status, 201, r)
            out.append(r.json)
        return out

    def test_caller_ids_and_local_presence(self):
        p_sf = self.person("(415) 867-5309")
        p_ny = self.person("+1 212 867 5309")
        p_chi = self.person("312.867.5309")
        p_ldn = self.person("+44 20 3000 1234")
        p_none = self.person(None)
        p_bad = self.person("ask reception")
        # No pool: no caller id.
        r = self.req("GET", "/api/v1/people/%d/dial" % p_sf)
        self.assertEqual(r.json, {"number": "+14158675309", "caller_id": None,
                                  "tel_uri": "tel:+14158675309"})
        r = self.req("POST", "/api/v1/caller-ids", {"number": "+1 646 555 0100"})
        self.assertError(r, 403, "forbidden", "this needs the admin role")
        r = self.req("POST", "/api/v1/caller-ids", {"number": "646 555 0100"}, who="admin")
        self.assertError(r, 422, "invalid_number",
                         "number: '646 555 0100' has no country code (write it as +<country "
                         "code> <number>)")
        ny, sf, ldn = self.pool("+1 (646) 555-0100", "+1 415 555 0199", "+44 20 7946 0000")
        self.assertEqual((ny["number"], ny["label"], ny["is_default"]),
                         ("+16465550100", "line 0", True))  # the first: the default
        self.assertFalse(sf["is_default"])
        r = self.req("POST", "/api/v1/caller-ids", {"number": "+16465550100"}, who="admin")
        self.assertError(r, 409, "conflict", "+16465550100 is in the caller-id pool already")
        r = self.req("PATCH", "/api/v1/caller-ids/%d" % ny["id"], {"number": "+1 212 555 0100"},
                     who="admin")
        self.assertEqual(r.json["number"], "+12125550100")

        def dial(p):
            r = self.req("GET", "/api/v1/people/%d/dial" % p)
            self.assertEqual(r.status, 200, r)
            return r.json["caller_id"]
        self.assertEqual(dial(p_sf), "+14155550199")
        self.assertEqual(dial(p_ny), "+12125550100")
        self.assertEqual(dial(p_chi), "+12125550100")  # no 312 number: the default
        self.assertEqual(dial(p_ldn), "+442079460000")
        # Another default.
        r = self.req("PATCH", "/api/v1/caller-ids/%d" % sf["id"], {"is_default": True}, who="admin")
        self.assertTrue(r.json["is_default"])
        ids = self.req("GET", "/api/v1/caller-ids").json["data"]
        self.assertEqual([c["is_default"] for c in ids], [False, True, False])
        self.assertEqual(dial(p_chi), "+14155550199")
        r = self.req("GET", "/api/v1/people/%d/dial" % p_none)
        self.assertError(r, 422, "no_phone", "person %d has no phone number" % p_none)
        r = self.req("GET", "/api/v1/people/%d/dial" % p_bad)
        self.assertError(r, 422, "no_phone", "person %d has no phone number hail can dial: "
                         "'ask reception' is not a phone number" % p_bad)
        r = self.req("GET", "/api/v1/people/999999/dial")
        self.assertError(r, 404, "not_found", "no person with id 999999")
        self.assertEqual(self.req("DELETE", "/api/v1/caller-ids/%d" % ldn["id"],
                                  who="admin").status, 204)
        r = self.req("DELETE", "/api/v1/caller-ids/%d" % ldn["id"], who="admin")
        self.assertError(r, 404, "not_found", "no caller id with id %d" % ldn["id"])

    def test_start_then_log_with_the_form(self):
        p = self.person()
        self.pool("+1 415 555 0199")
        r = self.req("POST", "/api/v1/calls/start", {"person_id": p})
        self.assertEqual(r.status, 201, r)
        call, d = r.json["call"], r.json["dial"]
        self.assertEqual(d, {"number": "+14155550100", "caller_id": "+14155550199",
                             "tel_uri": "tel:+14155550100"})
        self.assertEqual((call["status"], call["number_dialed"], call["caller_id"]),
                         ("ringing", "+14155550100", "+14155550199"))
        self.assertEqual(self.activities(p), [])  # not logged yet
        r = self.req("PATCH", "/api/v1/calls/%d" % call["id"], {"notes": "ringing..."})
        self.assertEqual(r.json["status"], "ringing")
        self.assertEqual(self.activities(p), [])
        r = self.req("PATCH", "/api/v1/calls/%d" % call["id"],
                     {"status": "completed", "outcome_id": self.outcome("Connected: interested")
                      ["id"], "duration_s": 30})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(self.activities(p)), 1)
        self.req("PATCH", "/api/v1/calls/%d" % call["id"], {"notes": "again"})
        self.assertEqual(len(self.activities(p)), 1)
        r = self.req("POST", "/api/v1/calls/start", {"person_id": self.person(None)})
        self.assertEqual(r.status, 422, r)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM calls"), 1)


class VisibilityTest(CallsCase):
    def test_who_sees_what_and_filters(self):
        p1 = self.person(account="001A")
        p2 = self.person(account="001B")
        c_rita = self.log({"person_id": p1, "status": "completed"}, who="rita")
        c_ray = self.log({"person_id": p2, "status": "no_answer"}, who="ray")
        c_mia = self.log({"person_id": p2, "status": "failed"}, who="mia")

        def ids(who, q=""):
            r = self.req("GET", "/api/v1/calls" + q, who=who)
            self.assertEqual(r.status, 200, r)
            return [c["id"] for c in r.json["data"]]
        self.assertEqual(ids("rita"), [c_rita["id"]])
        self.assertEqual(ids("ray"), [c_ray["id"]])
        self.assertEqual(ids("mia"), [c_mia["id"], c_rita["id"]])  # her team's
        self.assertEqual(ids("admin"), [c_mia["id"], c_ray["id"], c_rita["id"]])
        self.assertEqual(ids("admin", "?person=%d" % p2), [c_mia["id"], c_ray["id"]])
        self.assertEqual(ids("admin", "?account=001A"), [c_rita["id"]])
        self.assertEqual(ids("admin", "?user=%d" % self.ids["ray"]), [c_ray["id"]])
        self.assertEqual(ids("rita", "?user=me"), [c_rita["id"]])
        r = self.req("GET", "/api/v1/calls?person=x")
        self.assertError(r, 400, "bad_request", "person must be a positive integer, not 'x'")
        r = self.req("GET", "/api/v1/calls?user=-1")
        self.assertError(r, 400, "bad_request",
                         "user must be a positive integer or me, not '-1'")
        # Pages.
        r = self.req("GET", "/api/v1/calls?limit=2", who="admin")
        self.assertEqual(len(r.json["data"]), 2)
        r = self.req("GET", "/api/v1/calls?limit=2&cursor=" + r.json["next_cursor"], who="admin")
        self.assertEqual([c["id"] for c in r.json["data"]], [c_rita["id"]])
        self.assertIsNone(r.json["next_cursor"])
        # Another rep's call: a 404; a manager sees but may not change.
        r = self.req("GET", "/api/v1/calls/%d" % c_rita["id"], who="ray")
        self.assertError(r, 404, "not_found", "no call with id %d" % c_rita["id"])
        r = self.req("PATCH", "/api/v1/calls/%d" % c_rita["id"], {"notes": "x"}, who="ray")
        self.assertError(r, 404, "not_found", "no call with id %d" % c_rita["id"])
        r = self.req("PATCH", "/api/v1/calls/%d" % c_rita["id"], {"notes": "x"}, who="mia")
        self.assertError(r, 403, "forbidden",
                         "only the user who made a call, or an admin, may change it")
        r = self.req("PATCH", "/api/v1/calls/%d" % c_rita["id"], {"notes": "x"}, who="admin")
        self.assertEqual(r.status, 200, r)


class VoicemailTest(CallsCase):
    def upload(self, data, ctype, name="Intro", who="rita"):
        return self.req("POST", "/api/v1/voicemail-drops?name=" + name, who=who, raw=data,
                        headers={"Content-Type": ctype})

    def test_upload_check_drop_delete(self):
        r = self.upload(WAV, "audio/wav")
        self.assertEqual(r.status, 201, r)
        w = r.json
        self.assertEqual((w["name"], w["content_type"], w["size"], w["owner"]),
                         ("Intro", "audio/wav", len(WAV),
                          {"id": self.ids["rita"], "name": "Rita Rep"}))
        r = self.upload(MP3, "audio/mpeg", "Follow%20up")
        self.assertEqual((r.status, r.json["name"]), (201, "Follow up"))
        r = self.upload(MP3_FRAME, "audio/mpeg; charset=binary")
        self.assertEqual(r.status, 201, r)
        r = self.upload(MP3, "audio/wav")
        self.assertError(r, 422, "content_mismatch",
                         "the body is not a WAV file (no RIFF/WAVE header at its start)")
        r = self.upload(b"<html>not audio</html>", "audio/mpeg")
        self.assertError(r, 422, "content_mismatch",
                         "the body is not an MP3 file (no ID3 tag or MPEG audio frame at its start)")
        r = self.upload(WAV, "text/plain")
        self.assertError(r, 415, "unsupported_media_type",
                         "Content-Type must be audio/wav or audio/mpeg, not 'text/plain'")
        r = self.req("POST", "/api/v1/voicemail-drops", raw=WAV,
                     headers={"Content-Type": "audio/wav"})
        self.assertError(r, 400, "bad_request", "name is required (?name=…)")
        r = self.upload(b"", "audio/wav")
        self.assertError(r, 400, "bad_request", "the body is empty: send the recording")
        r = self.upload(WAV + bytes(10 * 1024 * 1024), "audio/wav")
        self.assertError(r, 413, "too_large", "request body is larger than 10485760 bytes")
        r = self.req("GET", "/api/v1/voicemail-drops/%d/audio" % w["id"], who="ray")
        self.assertEqual((r.status, r.header("Content-Type")), (200, "audio/wav"))
        self.assertEqual(len(r.body), len(WAV))
        drops = self.req("GET", "/api/v1/voicemail-drops", who="ray").json["data"]
        self.assertEqual([d["name"] for d in drops], ["Intro", "Follow up", "Intro"])
        # Dropped on a call: logged with it.
        c = self.log({"person_id": self.person(), "status": "no_answer",
                      "outcome_id": self.outcome("Left voicemail")["id"],
                      "voicemail_drop_id": w["id"]})
        self.assertEqual(c["voicemail_drop"], {"id": w["id"], "name": "Intro"})
        r = self.req("DELETE", "/api/v1/voicemail-drops/%d" % w["id"], who="ray")
        self.assertError(r, 403, "forbidden",
                         "only the owner of a voicemail drop, or an admin, may delete it")
        self.assertEqual(self.req("DELETE", "/api/v1/voicemail-drops/%d" % w["id"]).status, 204)
        r = self.req("GET", "/api/v1/voicemail-drops/%d/audio" % w["id"])
        self.assertError(r, 404, "not_found", "no voicemail drop with id %d" % w["id"])


class SettingsTest(CallsCase):
    def test_dialer_secret_write_only(self):
        r = self.req("PUT", "/api/v1/calls/settings", {"dialer_secret": "short"}, who="admin")
        self.assertError(r, 400, "bad_request",
                         "dialer_secret must be 16 to 256 characters (\"\" removes it)")
        r = self.req("PUT", "/api/v1/calls/settings", {"dialer_secret": SECRET}, who="admin")
        self.assertEqual(r.json, {"require_outcome": False, "dialer_secret_set": True})
        # Sealed at rest: not in the database as written.
        stored = self.h.sql_value("SELECT value FROM kv WHERE key = 'calls.dialer_secret'")
        self.assertNotIn(SECRET, stored)
        self.assertNotIn(SECRET.encode().hex(), stored)
        self.assertTrue(re.fullmatch(r"[0-9a-f]+", stored), stored)
        r = self.req("PUT", "/api/v1/calls/settings", {"dialer_secret": ""}, who="admin")
        self.assertEqual(r.json, {"require_outcome": False, "dialer_secret_set": False})


if __name__ == "__main__":
    import unittest
    unittest.main()
