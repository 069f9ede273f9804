"""The dialer's webhook, POST /api/v1/dialer/events (docs/calls.md): signed
with the admin's dialer secret (X-Hail-Signature: sha256=<hex HMAC-SHA256 of
"<X-Hail-Timestamp>.<body>">), refused when the secret is unset, the
headers missing, the timestamp more than 300 s away or the signature bad;
applied once per event id (a repeat answers applied=false and changes
nothing); ringing / answered / ended move a started call forward (duration,
recording URL, answered by), by hail's call id or the provider's; the call
form then logs the call with what the dialer reported. Every error whole.
Both engines."""
import hashlib
import hmac
import json
import time

from apitest import ApiCase, DataTemplate

PW = "correct horse battery"
SECRET = "dialer-s3cret-0123456789"
TEMPLATE = None


def build(h):
    admin = h.admin_token()
    h.add_user("rita@example.com", "Rita Rep", "rep", password=PW)
    return {"admin": admin, "rita": h.token("rita@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


def sign(body, ts, secret=SECRET):
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return "sha256=" + mac


class DialerTest(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.t = TEMPLATE.values
        self.h.start()
        self.bodies = []

    def tearDown(self):
        for b in self.bodies:
            self.assertNotIn(SECRET, b)
        self.assertNotIn(SECRET, self.h.server_log())
        self.close_checked(self.h)

    def req(self, method, path, body=None, who="rita"):
        r = self.h.request(method, path, body, token=self.t[who])
        self.bodies.append(r.body)
        return r

    def set_secret(self, secret=SECRET):
        r = self.req("PUT", "/api/v1/calls/settings", {"dialer_secret": secret}, who="admin")
        self.assertEqual(r.status, 200, r)

    def event(self, ev, ts=None, secret=SECRET, sig=None, raw=None):
        body = raw if raw is not None else json.dumps(ev).encode()
        ts = str(int(time.time())) if ts is None else ts
        headers = {"Content-Type": "application/json"}
        if ts is not False:
            headers["X-Hail-Timestamp"] = ts
        if sig is not False:
            headers["X-Hail-Signature"] = sig or sign(body, ts or "0", secret)
        r = self.h.request("POST", "/api/v1/dialer/events", raw=body, headers=headers)
        self.bodies.append(r.body)
        return r

    def started_call(self, phone="+1 415 555 0100"):
        p = self.h.sql("INSERT INTO people (marketo_id, first_name, last_name, email, phone,"
                       " active, created_at, updated_at) VALUES (?, 'Pat', 'Lee', ?, ?, 1, 0, 0)"
                       " RETURNING id", int(time.time() * 1000) % 10**9,
                       "pat%d@example.com" % time.time_ns(), phone)[0][0]
        r = self.req("POST", "/api/v1/calls/start", {"person_id": p})
        self.assertEqual(r.status, 201, r)
        return p, r.json["call"]["id"]

    def call(self, cid):
        r = self.req("GET", "/api/v1/calls/%d" % cid)
        self.assertEqual(r.status, 200, r)
        return r.json

    def test_refused_signatures(self):
        _, cid = self.started_call()
        ev = {"event_id": "e1", "call_id": cid, "type": "answered"}
        r = self.event(ev)
        self.assertError(r, 401, "unauthorized", "the dialer webhook is off: no dialer secret is set")
        self.set_secret()
        r = self.event(ev, ts=False)
        self.assertError(r, 401, "unauthorized",
                         "the X-Hail-Timestamp and X-Hail-Signature headers are required")
        r = self.event(ev, sig=False)
        self.assertError(r, 401, "unauthorized",
                         "the X-Hail-Timestamp and X-Hail-Signature headers are required")
        r = self.event(ev, ts="yesterday")
        self.assertError(r, 401, "unauthorized", "X-Hail-Timestamp must be a Unix time in seconds")
        stale = "X-Hail-Timestamp is more than 300 seconds away from now: a stale or replayed event"
        self.assertError(self.event(ev, ts=str(int(time.time()) - 360)), 401, "unauthorized", stale)
        self.assertError(self.event(ev, ts=str(int(time.time()) + 360)), 401, "unauthorized", stale)
        r = self.event(ev, sig="md5=abc")
        self.assertError(r, 401, "unauthorized", "X-Hail-Signature must be sha256=<64 hex digits>")
        mismatch = "X-Hail-Signature does not match the body and timestamp"
        self.assertError(self.event(ev, secret="another-secret-0123456"), 401, "unauthorized",
                         mismatch)
        # The body changed after signing; a signature of another timestamp.
        body = json.dumps(ev).encode()
        ts = str(int(time.time()))
        r = self.event(None, ts=ts, sig=sign(body, ts), raw=body.replace(b"answered", b"ended"))
        self.assertError(r, 401, "unauthorized", mismatch)
        r = self.event(None, ts=ts, sig=sign(body, str(int(ts) - 1)), raw=body)
        self.assertError(r, 401, "unauthorized", mismatch)
        self.assertEqual(self.call(cid)["status"], "ringing")
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM dialer_events"), 0)
        # Within the window: fine.
        r = self.event(ev, ts=str(int(time.time()) - 200))
        self.assertEqual((r.status, r.json), (200, {"call_id": cid, "applied": True}), r)

    def test_events_update_the_call_once(self):
        self.set_secret()
        p, cid = self.started_call()
        r = self.event({"event_id": "ev-1", "call_id": cid, "provider_call_id": "CA123",
                        "type": "ringing"})
        self.assertEqual(r.json, {"call_id": cid, "applied": True})
        r = self.event({"event_id": "ev-2", "provider_call_id": "CA123", "type": "answered",
                        "answered_by": "human"})
        self.assertEqual(r.json, {"call_id": cid, "applied": True})
        c = self.call(cid)
        self.assertEqual((c["status"], c["answered_by"]), ("in_progress", "human"))
        ended = {"event_id": "ev-3", "provider_call_id": "CA123", "type": "ended",
                 "duration_s": 184, "recording_url": "https://rec.example.com/CA123.mp3",
                 "at": "2026-03-02T15:03:04Z"}
        r = self.event(ended)
        self.assertEqual(r.json, {"call_id": cid, "applied": True})
        c = self.call(cid)
        self.assertEqual((c["status"], c["duration_s"], c["recording_url"]),
                         ("completed", 184, "https://rec.example.com/CA123.mp3"))
        # The same event again (a provider's retry), even with other values: nothing changes.
        r = self.event(dict(ended, duration_s=5))
        self.assertEqual(r.json, {"call_id": cid, "applied": False})
        r = self.event({"event_id": "ev-2", "provider_call_id": "CA123", "type": "answered"})
        self.assertEqual(r.json, {"call_id": cid, "applied": False})
        self.assertEqual(self.call(cid)["duration_s"], 184)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM dialer_events"), 3)
        # A late ringing does not move the call back.
        self.event({"event_id": "ev-0", "call_id": cid, "type": "ringing"})
        self.assertEqual(self.call(cid)["status"], "completed")
        # Events never log the call: the rep's form does, with what the dialer said.
        acts = self.req("GET", "/api/v1/people/%d/activities" % p).json["data"]
        self.assertEqual([a for a in acts if a["type"] == "call"], [])
        outcomes = self.req("GET", "/api/v1/call-outcomes").json["data"]
        meeting = next(o for o in outcomes if o["name"] == "Meeting booked")
        r = self.req("PATCH", "/api/v1/calls/%d" % cid, {"outcome_id": meeting["id"]})
        self.assertEqual(r.status, 200, r)
        acts = [a for a in self.req("GET", "/api/v1/people/%d/activities" % p).json["data"]
                if a["type"] == "call"]
        self.assertEqual(len(acts), 1)
        a = acts[0]["attrs"]
        self.assertEqual((a["status"], a["subject"], a["duration"], a["recording_url"],
                          a["answered_by"], a["number_called"]),
                         ("completed", "Meeting booked", 184, "https://rec.example.com/CA123.mp3",
                          "human", "+14155550100"))

    def test_unanswered_and_bad_events(self):
        self.set_secret()
        _, cid = self.started_call()
        self.event({"event_id": "n-1", "call_id": cid, "type": "ringing"})
        r = self.event({"event_id": "n-2", "call_id": cid, "type": "ended", "duration_s": 0})
        self.assertEqual(r.json, {"call_id": cid, "applied": True})
        self.assertEqual(self.call(cid)["status"], "no_answer")
        r = self.event({"event_id": "x-1", "call_id": 999999, "type": "ended"})
        self.assertError(r, 404, "not_found", "no call with id 999999")
        r = self.event({"event_id": "x-2", "provider_call_id": "nope", "type": "ended"})
        self.assertError(r, 404, "not_found", "no call with provider_call_id 'nope'")
        r = self.event({"event_id": "x-3", "type": "ended"})
        self.assertError(r, 400, "bad_request", "call_id or provider_call_id is required")
        r = self.event({"event_id": "x-4", "call_id": cid, "type": "hangup"})
        self.assertError(r, 400, "bad_request",
                         "type must be ringing, answered or ended, not 'hangup'")
        r = self.event({"event_id": "x-5", "call_id": cid, "type": "ended", "at": "soon"})
        self.assertError(r, 400, "bad_request", "at must be an ISO 8601 time, not 'soon'")
        r = self.event({"event_id": "x-6", "call_id": cid, "type": "ended",
                        "recording_url": "file:///etc/passwd"})
        self.assertError(r, 422, "invalid_url",
                         "recording_url 'file:///etc/passwd' is not an http or https URL")
        r = self.event(None, raw=b"[1]")
        self.assertError(r, 400, "bad_request", "the body must be a JSON object")
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM dialer_events"), 2)
        # A secret removed: the webhook is off again.
        self.set_secret("")
        r = self.event({"event_id": "n-3", "call_id": cid, "type": "ended"})
        self.assertError(r, 401, "unauthorized", "the dialer webhook is off: no dialer secret is set")


if __name__ == "__main__":
    import unittest
    unittest.main()
