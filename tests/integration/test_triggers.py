"""Triggers (docs/outbox.md "Filters and triggers"; svc/triggers.h): an
activity that makes its person match a saved filter fires each trigger once.
A webhook is POSTed to a real local receiver (http.server on 127.0.0.1, port
0) that checks X-Hail-Signature (HMAC-SHA256 of the body under the secret,
computed here with hmac) and X-Hail-Delivery; a receiver that is down, then
up, gets it after retries; kill -9 of hail between the activity and the
delivery still gives one firing and one delivery per activity, also with
two nodes over one PostgreSQL database and one of them killed; add to
campaign and create task happen once, and an action's own activity fires no
trigger (no chains). The API: admin only, whole errors, the secret never
returned. Both engines."""
import hashlib
import hmac
import http.server
import json
import os
import random
import shutil
import socket
import threading
import time
import unittest

from apitest import ApiCase
import harness
from harness import Hail

PW = "correct horse battery"
SECRET = "whsec-0123456789abcdef-trigger"


class Receiver:
    """A webhook receiver on 127.0.0.1. mode "ok" answers 204, "fail" 500;
    down() closes the socket (connections refused), up() listens again on
    the same port."""

    def __init__(self):
        self.posts = []
        self.mode = "ok"
        self.lock = threading.Lock()
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.srv = None
        self.thread = None

    def up(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                with rec.lock:
                    rec.posts.append((dict(self.headers), body, self.path))
                    mode = rec.mode
                self.send_response(204 if mode == "ok" else 500)
                self.end_headers()

            def log_message(self, *a):
                pass

        deadline = time.time() + 10
        while True:
            try:
                self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()
        return self

    def down(self):
        if self.srv:
            self.srv.shutdown()
            self.srv.server_close()
            self.srv = None

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook" % self.port

    def received(self):
        with self.lock:
            return list(self.posts)


def wait_for(fn, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for " + what)


class TriggersCase(ApiCase):
    env = {}

    def setUp(self):
        self.h = Hail(env=self.env)
        self.admin = self.h.admin_token()
        self.h.add_user("rita@example.com", "Rita Rep", "rep", password=PW)
        self.rep = self.h.token("rita@example.com")
        self.h.start()
        self.rec = Receiver()
        self.bodies = []

    def tearDown(self):
        self.rec.down()
        for b in self.bodies:
            self.assertNotIn(SECRET, b)
        self.assertNotIn(SECRET, self.h.server_log())
        self.h.close()

    def req(self, method, path, body=None, token=None):
        r = self.h.request(method, path, body, token=token or self.admin)
        self.bodies.append(r.body)
        return r

    def person(self, n):
        return self.h.sql("INSERT INTO people (marketo_id, first_name, last_name, email, active,"
                          " created_at, updated_at) VALUES (?, 'Pat', ?, ?, 1, 0, 0) RETURNING id",
                          1000 + n, "Lee%d" % n, "pat%d@example.com" % n)[0][0]

    def activity(self, person, type_="call"):
        now = int(time.time() * 1e6)
        return self.h.sql("INSERT INTO activities (type, person_id, occurred_at, attrs, created_at)"
                          " VALUES (?, ?, ?, '{}', ?) RETURNING id", type_, person, now, now)[0][0]

    def filter(self, *types):
        r = self.req("POST", "/api/v1/filters", {
            "name": "did " + " and ".join(types),
            "definition": {"conditions": [{"type": t} for t in types]}})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def trigger(self, action, config, types=("call",), name="t"):
        r = self.req("POST", "/api/v1/triggers", {"name": name, "filter_id": self.filter(*types),
                                                  "action": action, "config": config})
        self.assertEqual(r.status, 201, r)
        return r.json

    def webhook(self, **kw):
        return self.trigger("webhook", {"url": self.rec.url, "secret": SECRET}, **kw)

    def fires(self, tid):
        return self.h.sql_value("SELECT count(*) FROM trigger_fires WHERE trigger_id = ?", tid)

    def deliveries(self, tid):
        r = self.req("GET", "/api/v1/triggers/%d/deliveries" % tid)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    def check_signed(self, headers, body):
        want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.assertEqual(headers.get("X-Hail-Signature"), want)
        self.assertEqual(headers.get("Content-Type"), "application/json")


class WebhookTest(TriggersCase):
    # A failed delivery is retried after 5% of the backoff (tests only): seconds sooner,
    # the same attempts.
    env = {"HAIL_RETRY_WAIT_PERCENT": "5"}

    def test_signed_body_once_per_activity(self):
        self.rec.up()
        t = self.webhook()
        self.assertEqual(t["config"], {"url": self.rec.url, "secret_set": True})
        p = self.person(1)
        a1 = self.activity(p)
        wait_for(lambda: len(self.rec.received()) == 1, what="the first webhook")
        headers, body, path = self.rec.received()[0]
        self.assertEqual(path, "/hook")
        self.check_signed(headers, body)
        j = json.loads(body)
        self.assertEqual(j["trigger"], {"id": t["id"], "name": "t"})
        self.assertEqual((j["activity"]["id"], j["activity"]["type"]), (a1, "call"))
        self.assertEqual(j["person"]["id"], p)
        d = wait_for(lambda: [x for x in self.deliveries(t["id"]) if x["status"] == "delivered"],
                     what="the delivery recorded")
        self.assertEqual(headers.get("X-Hail-Delivery"), str(d[0]["id"]))
        self.assertEqual(headers.get("X-Hail-Trigger"), str(t["id"]))
        self.assertEqual((d[0]["activity_id"], d[0]["attempts"], d[0]["last_status"],
                          d[0]["last_error"], d[0]["next_at"]), (a1, 1, 204, None, None))
        # a type the filter does not mention, and a second call
        self.activity(p, "email_open")
        a3 = self.activity(p)
        wait_for(lambda: len(self.rec.received()) == 2, what="the second webhook")
        self.assertEqual(json.loads(self.rec.received()[1][1])["activity"]["id"], a3)
        time.sleep(1.5)
        self.assertEqual(len(self.rec.received()), 2)
        r = self.req("GET", "/api/v1/triggers/%d/fires" % t["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual([(f["activity_id"], f["person_id"], f["activity_type"]) for f in r.json["data"]],
                         [(a3, p, "call"), (a1, p, "call")])
        self.assertRegex(r.json["data"][0]["outcome"], r"^webhook delivery \d+ queued$")
        g = self.req("GET", "/api/v1/triggers/%d" % t["id"]).json
        self.assertEqual((g["fires"], g["deliveries_pending"], g["deliveries_failed"]), (2, 0, 0))

    def test_receiver_down_then_up(self):
        # nothing listens: refused, retried with backoff, then delivered
        t = self.webhook()
        a = self.activity(self.person(1))
        d = wait_for(lambda: [x for x in self.deliveries(t["id"]) if x["attempts"] >= 1],
                     what="a failed attempt")[0]
        self.assertEqual((d["status"], d["activity_id"], d["last_status"]), ("pending", a, None))
        self.assertRegex(d["last_error"], r"^webhook: .+")
        self.assertIsNotNone(d["next_at"])
        # up, but answering 500 first
        self.rec.mode = "fail"
        self.rec.up()
        wait_for(lambda: len(self.rec.received()) >= 1, what="an attempt answered 500")
        d = wait_for(lambda: [x for x in self.deliveries(t["id"]) if x["last_status"] == 500],
                     what="the 500 recorded")[0]
        self.assertEqual(d["last_error"], "the receiver answered HTTP 500")
        self.rec.mode = "ok"
        d = wait_for(lambda: [x for x in self.deliveries(t["id"]) if x["status"] == "delivered"],
                     timeout=60, what="the delivery after the receiver came up")[0]
        self.assertGreaterEqual(d["attempts"], 3)
        self.assertEqual((d["last_status"], d["last_error"]), (204, None))
        posts = self.rec.received()
        self.assertEqual({p[0]["X-Hail-Delivery"] for p in posts}, {str(d["id"])})
        for h, b, _ in posts:
            self.check_signed(h, b)
        self.assertEqual(self.fires(t["id"]), 1)

    def test_gives_up_after_the_attempts(self):
        t = self.webhook()
        self.activity(self.person(1))
        wait_for(lambda: self.deliveries(t["id"]), what="the delivery row")
        # the attempts so far counted as all but one, due now
        self.h.sql("UPDATE webhook_deliveries SET attempts = 7, next_at = 0")
        d = wait_for(lambda: [x for x in self.deliveries(t["id"]) if x["status"] == "failed"],
                     what="the delivery given up")[0]
        self.assertEqual((d["attempts"], d["next_at"]), (8, None))
        self.assertRegex(d["last_error"], r"^webhook: .+")
        self.assertEqual(self.req("GET", "/api/v1/triggers/%d" % t["id"]).json["deliveries_failed"], 1)

    def test_kill9_between_activity_and_delivery(self):
        t = self.webhook()
        p = self.person(1)
        acts = []
        rnd = random.Random(11)
        for i in range(4):
            acts.append(self.activity(p))
            time.sleep(rnd.uniform(0, 0.8))
            self.h.kill9()
            self.h.start()
        wait_for(lambda: self.fires(t["id"]) == len(acts), what="a firing per activity")
        self.rec.up()
        wait_for(lambda: len([x for x in self.deliveries(t["id"]) if x["status"] == "delivered"])
                 == len(acts), timeout=90, what="every delivery")
        time.sleep(1)
        rows = self.h.sql("SELECT activity_id, count(*) FROM trigger_fires WHERE trigger_id = ?"
                          " GROUP BY activity_id ORDER BY activity_id", t["id"])
        self.assertEqual([tuple(r) for r in rows], [(a, 1) for a in acts])
        rows = self.h.sql("SELECT activity_id, count(*) FROM webhook_deliveries"
                          " WHERE trigger_id = ? GROUP BY activity_id ORDER BY activity_id", t["id"])
        self.assertEqual([tuple(r) for r in rows], [(a, 1) for a in acts])
        # at least once: each delivery id reached the receiver, for each activity one id
        got = {}
        for h, b, _ in self.rec.received():
            self.check_signed(h, b)
            got.setdefault(json.loads(b)["activity"]["id"], set()).add(h["X-Hail-Delivery"])
        self.assertEqual(sorted(got), acts)
        self.assertTrue(all(len(v) == 1 for v in got.values()), got)


@harness.postgres_only("several nodes share one PostgreSQL database")
class TwoNodesTest(TriggersCase):
    def test_once_across_nodes_and_a_kill9(self):
        # a second node over the same database; the first is killed mid-way
        b = Hail(database=self.h.db_url)
        try:
            b.start()
            t = self.webhook()
            # the nodes share the sealing key (docs/mail.md "Delivery"): copied, as an admin does
            os.makedirs(b.data, exist_ok=True)
            shutil.copy(os.path.join(self.h.data, "mail.key"), os.path.join(b.data, "mail.key"))
            p = self.person(1)
            self.rec.up()
            acts = [self.activity(p) for _ in range(5)]
            time.sleep(0.3)
            self.h.kill9()
            acts += [self.activity(p) for _ in range(5)]
            wait_for(lambda: self.fires(t["id"]) == len(acts), what="a firing per activity")
            wait_for(lambda: b.sql_value("SELECT count(*) FROM webhook_deliveries WHERE status ="
                                         " 'delivered'") == len(acts), timeout=90,
                     what="every delivery")
            self.h.start()
            time.sleep(1.5)
            rows = self.h.sql("SELECT activity_id, count(*) FROM trigger_fires GROUP BY activity_id"
                              " ORDER BY activity_id")
            self.assertEqual([tuple(r) for r in rows], [(a, 1) for a in acts])
            rows = self.h.sql("SELECT activity_id, count(*) FROM webhook_deliveries"
                              " GROUP BY activity_id ORDER BY activity_id")
            self.assertEqual([tuple(r) for r in rows], [(a, 1) for a in acts])
            got = {json.loads(body)["activity"]["id"] for _, body, _ in self.rec.received()}
            self.assertEqual(sorted(got), acts)
        finally:
            b.close()


class ActionsTest(TriggersCase):
    def campaign(self, name):
        r = self.req("POST", "/api/v1/campaigns", {"name": name, "steps": [{"day": 1, "type": "call"}]})
        self.assertEqual(r.status, 201, r)
        return r.json["id"]

    def test_add_to_campaign_once_and_no_chain(self):
        a, b = self.campaign("A"), self.campaign("B")
        # joining any campaign adds to B: the add to B is the action's own
        # activity and fires nothing (else it would fire again, refused)
        t = self.trigger("add_to_campaign", {"campaign_id": b}, types=("campaign_add",))
        p = self.person(1)
        r = self.req("POST", "/api/v1/campaigns/%d/members" % a, {"person_ids": [p]})
        self.assertIn(r.status, (200, 201), r)
        wait_for(lambda: self.h.sql_value("SELECT count(*) FROM campaign_members WHERE campaign_id = ?"
                                          " AND person_id = ?", b, p) == 1, what="the add to B")
        time.sleep(2)
        self.assertEqual(self.fires(t["id"]), 1)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM activities WHERE type = 'campaign_add'"
                                          " AND person_id = ? AND campaign_id = ?", p, b), 1)
        f = self.req("GET", "/api/v1/triggers/%d/fires" % t["id"]).json["data"]
        self.assertRegex(f[0]["outcome"], r"^added to campaign %d \(member \d+\)$" % b)
        eff = self.h.sql_value("SELECT effect_id FROM trigger_fires WHERE trigger_id = ?", t["id"])
        self.assertEqual(eff, self.h.sql_value("SELECT id FROM activities WHERE type = 'campaign_add'"
                                               " AND campaign_id = ?", b))

    def test_create_task_once(self):
        admin_id = self.me(self.h, self.admin).json["id"]
        t = self.trigger("create_task", {"task_name": "Call back", "task_type": "call",
                                         "task_priority": "high", "due_in_hours": 24})
        p = self.person(1)
        a = self.activity(p)
        wait_for(lambda: self.fires(t["id"]) == 1, what="the firing")
        rows = self.h.sql("SELECT type, name, priority, assignee_id, person_id, status FROM tasks")
        self.assertEqual([tuple(r) for r in rows], [("call", "Call back", "high", admin_id, p, "open")])
        f = self.req("GET", "/api/v1/triggers/%d/fires" % t["id"]).json["data"]
        self.assertEqual(f[0]["activity_id"], a)
        self.assertRegex(f[0]["outcome"], r"^task \d+ created$")
        self.h.kill9()
        self.h.start()
        time.sleep(1.5)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM tasks"), 1)

    def test_old_activities_do_not_fire(self):
        p = self.person(1)
        self.activity(p)
        t = self.trigger("create_task", {"task_name": "Call back"})
        time.sleep(1.5)
        self.assertEqual(self.fires(t["id"]), 0)


class ApiTest(TriggersCase):
    def test_crud_and_secret_never_returned(self):
        t = self.webhook()
        self.assertEqual((t["name"], t["action"], t["enabled"], t["fires"]), ("t", "webhook", True, 0))
        r = self.req("PATCH", "/api/v1/triggers/%d" % t["id"], {"name": "renamed", "enabled": False})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["enabled"], r.json["config"]["secret_set"]),
                         ("renamed", False, True))
        # a new config without the secret keeps it
        r = self.req("PATCH", "/api/v1/triggers/%d" % t["id"], {"config": {"url": "https://example.com/x"}})
        self.assertEqual(r.json["config"], {"url": "https://example.com/x", "secret_set": True})
        sealed = self.h.sql_value("SELECT secret FROM triggers")
        if isinstance(sealed, str):  # PostgreSQL's bytea as text: \x<hex>
            sealed = bytes.fromhex(sealed[2:])
        self.assertTrue(sealed.startswith(b"hs1"), sealed)
        self.assertNotIn(SECRET.encode(), bytes(sealed))
        r = self.req("GET", "/api/v1/triggers")
        self.assertEqual([x["id"] for x in r.json["data"]], [t["id"]])
        self.assertIsNone(r.json["next_cursor"])
        r = self.req("DELETE", "/api/v1/triggers/%d" % t["id"])
        self.assertEqual(r.status, 204, r)
        self.assertError(self.req("GET", "/api/v1/triggers/%d" % t["id"]), 404, "not_found",
                         "no trigger with id %d" % t["id"])

    def test_admin_only(self):
        for m, p in (("GET", "/api/v1/triggers"), ("GET", "/api/v1/triggers/1"),
                     ("GET", "/api/v1/triggers/1/deliveries")):
            self.assertError(self.req(m, p, token=self.rep), 403, "forbidden",
                             "this needs the admin role")

    def test_bad_input_whole_messages(self):
        f = self.filter("call")

        def bad(action, config, message, status=400, code="bad_request"):
            r = self.req("POST", "/api/v1/triggers", {"name": "x", "filter_id": f,
                                                       "action": action, "config": config})
            self.assertError(r, status, code, message)

        bad("webhook", {"url": self.rec.url},
            "config.secret is required for a webhook trigger: the receiver checks "
            "X-Hail-Signature with it")
        bad("webhook", {"url": "ftp://x", "secret": SECRET},
            "config.url must start with http:// or https://")
        bad("webhook", {"secret": SECRET}, "config.url is required for a webhook trigger")
        bad("webhook", {"url": self.rec.url, "secret": SECRET, "campaign_id": 1},
            "config.campaign_id is not a setting of a webhook trigger")
        bad("add_to_campaign", {"campaign_id": 99}, "config.campaign_id: no campaign with id 99")
        bad("create_task", {"task_name": "x", "assignee_id": 99},
            "config.assignee_id: no active user with id 99")
        bad("create_task", {}, "config.task_name is required for a create_task trigger")
        r = self.req("POST", "/api/v1/triggers", {"name": "x", "filter_id": 99, "action": "create_task",
                                                  "config": {"task_name": "x"}})
        self.assertError(r, 400, "bad_request", "filter_id: no filter with id 99")


if __name__ == "__main__":
    unittest.main()
