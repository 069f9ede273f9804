"""Delivery configuration over the REST API: channels (maildir, smtp, an
optional IMAP inbox, throttles), sender identities and blocked domains.
Passwords are write-only: never in a response, the server's log or an error.
Every error is checked whole (status, code, message). Both engines."""
import re

import harness
from apitest import ApiCase, DataTemplate

PW = "correct horse battery"
SMTP_PW = "smtp-s3cret-Pa55"
IMAP_PW = "imap-s3cret-Pa55"

TEMPLATE = None


def build(h):
    admin = h.admin_token()
    h.add_user("rep@example.com", "Rita Rep", "rep", password=PW)
    h.add_user("ray@example.com", "Ray Rep", "rep", password=PW)
    return {"admin": admin, "rep": h.token("rep@example.com"), "ray": h.token("ray@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


def blob(v):
    """A BLOB (SQLite) or bytea (PostgreSQL: "\\x…" text) as bytes."""
    if isinstance(v, str):
        return bytes.fromhex(v[2:]) if v.startswith("\\x") else v.encode()
    return bytes(v)


SMTP = {"host": "smtp.example.com", "username": "ann@example.com", "password": SMTP_PW}


class DeliveryCase(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.admin = TEMPLATE.values["admin"]
        self.rep = TEMPLATE.values["rep"]
        self.ray = TEMPLATE.values["ray"]
        self.h.start()
        self.admin_id = self.me(self.h, self.admin).json["id"]
        self.rep_id = self.me(self.h, self.rep).json["id"]
        self.ray_id = self.me(self.h, self.ray).json["id"]
        self.bodies = []

    def tearDown(self):
        # No password anywhere hail wrote: replies and the log.
        for b in self.bodies:
            self.assertNotIn(SMTP_PW, b)
            self.assertNotIn(IMAP_PW, b)
        log = self.h.server_log()
        self.assertNotIn(SMTP_PW, log)
        self.assertNotIn(IMAP_PW, log)
        self.close_checked(self.h)

    def req(self, method, path, body=None, token=None):
        r = self.h.request(method, path, body, token=token or self.admin)
        self.bodies.append(r.body)
        return r

    def create_channel(self, **body):
        r = self.req("POST", "/api/v1/channels", body)
        self.assertEqual(r.status, 201, r)
        return r.json


class ChannelsTest(DeliveryCase):
    def test_default_channel(self):
        r = self.req("GET", "/api/v1/channels", token=self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.json["next_cursor"])
        self.assertEqual(len(r.json["data"]), 1)
        c = r.json["data"][0]
        self.assertEqual(c["id"], 1)
        self.assertEqual(c["name"], "maildir")
        self.assertEqual(c["kind"], "maildir")
        self.assertTrue(c["is_default"])
        self.assertIsNone(c["smtp"])
        self.assertIsNone(c["imap"])
        self.assertEqual(c["throttles"], {"per_minute": None, "per_hour": None, "per_day": None,
                                          "per_domain_per_hour": None})
        self.assertEqual(c["status"]["smtp"], {"state": "never", "error": None, "checked_at": None})
        self.assertEqual(c["status"]["imap"], {"state": "never", "error": None, "polled_at": None,
                                               "uidvalidity": None, "last_uid": None})
        self.assertEqual(self.req("GET", "/api/v1/channels/1", token=self.rep).json, c)

    def test_create_smtp_password_write_only(self):
        c = self.create_channel(name="Relay", kind="smtp", smtp=SMTP,
                                imap={"host": "imap.example.com", "username": "ann",
                                      "password": IMAP_PW},
                                throttles={"per_minute": 30, "per_day": 2000})
        self.assertEqual(c["smtp"], {"host": "smtp.example.com", "port": 587, "tls": "starttls",
                                     "username": "ann@example.com", "password_set": True})
        self.assertEqual(c["imap"], {"host": "imap.example.com", "port": 993, "tls": "tls",
                                     "username": "ann", "password_set": True, "folder": "INBOX",
                                     "sent_folder": "Sent"})
        self.assertEqual(c["throttles"], {"per_minute": 30, "per_hour": None, "per_day": 2000,
                                          "per_domain_per_hour": None})
        self.assertFalse(c["is_default"])
        # Stored sealed, never in the clear.
        row = self.h.sql("SELECT smtp_password, imap_password FROM channels WHERE id = ?", c["id"])[0]
        for v in row:
            raw = blob(v)
            self.assertTrue(raw.startswith(b"hs1"), raw[:8])
            self.assertNotIn(SMTP_PW.encode(), raw)
            self.assertNotIn(IMAP_PW.encode(), raw)
        # The server's IMAP poller may already have tried imap.example.com (and
        # failed) between the create and this read: everything else is unchanged.
        got = self.req("GET", "/api/v1/channels/%d" % c["id"], token=self.rep).json
        imap_state = got["status"].pop("imap")
        c["status"].pop("imap")
        self.assertEqual(got, c)
        self.assertIn(imap_state["state"], ("never", "ok", "error"))
        # The TLS mode picks the usual port unless one is given.
        t = self.create_channel(name="Relay 2", kind="smtp",
                                smtp={"host": "10.0.0.5", "tls": "tls"})
        self.assertEqual(t["smtp"], {"host": "10.0.0.5", "port": 465, "tls": "tls",
                                     "username": None, "password_set": False})
        n = self.create_channel(name="Relay 3", kind="smtp",
                                smtp={"host": "mx.example.com", "tls": "none", "port": 2525})
        self.assertEqual(n["smtp"]["port"], 2525)
        r = self.req("GET", "/api/v1/channels?limit=2")
        self.assertEqual([x["id"] for x in r.json["data"]], [1, c["id"]])
        r = self.req("GET", "/api/v1/channels?limit=2&cursor=" + r.json["next_cursor"])
        self.assertEqual([x["id"] for x in r.json["data"]], [t["id"], n["id"]])
        self.assertIsNone(r.json["next_cursor"])

    def test_create_errors(self):
        cases = [
            ({"kind": "smtp"}, "name is required"),
            ({"name": "x"}, "kind is required"),
            ({"name": "x", "kind": "pigeon"}, "kind must be maildir or smtp, not 'pigeon'"),
            ({"name": "x", "kind": "smtp"}, "an smtp channel needs smtp: {host, port, tls}"),
            ({"name": "x", "kind": "smtp", "smtp": {"port": 25}}, "smtp.host is required"),
            ({"name": "x", "kind": "maildir", "smtp": SMTP},
             "a maildir channel has no SMTP server: leave smtp out or make kind smtp"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "bad host"}},
             "smtp.host 'bad host' is not a host name or IP address"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "port": 0}},
             "smtp.port must be an integer from 1 to 65535, not 0"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "port": "25"}},
             "smtp.port must be an integer from 1 to 65535, not a string"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "tls": "ssl"}},
             "smtp.tls must be starttls, tls or none, not 'ssl'"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "pass": SMTP_PW}},
             "unknown member 'smtp.pass' (allowed: host, port, tls, username or password)"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "password": 12345}},
             "smtp.password must be a string, not a number"),
            ({"name": "x", "kind": "smtp", "smtp": {"host": "h", "password": SMTP_PW * 70}},
             "smtp.password must be at most 1024 characters, not 1120"),
            ({"name": "x", "kind": "maildir", "imap": "imap.example.com"},
             "imap must be an object, not a string"),
            ({"name": "x", "kind": "maildir", "throttles": {"per_minute": 0}},
             "throttles.per_minute must be an integer from 1 to 1000000, not 0"),
            ({"name": "x", "kind": "maildir", "throttles": {"per_week": 5}},
             "unknown member 'throttles.per_week' (allowed: per_minute, per_hour, per_day or "
             "per_domain_per_hour)"),
        ]
        for body, msg in cases:
            with self.subTest(body=body):
                self.assertError(self.req("POST", "/api/v1/channels", body), 400, "bad_request",
                                 msg)
        self.create_channel(name="Relay", kind="smtp", smtp=SMTP)
        self.assertError(self.req("POST", "/api/v1/channels",
                                  {"name": "RELAY", "kind": "maildir"}),
                         409, "conflict", "a channel named 'RELAY' already exists")
        self.assertError(self.req("POST", "/api/v1/channels", {"name": "y", "kind": "maildir"},
                                  token=self.rep), 403, "forbidden", "this needs the admin role")
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM channels"), 2)

    def test_update(self):
        c = self.create_channel(name="Relay", kind="smtp", smtp=SMTP)
        path = "/api/v1/channels/%d" % c["id"]
        # A password left out stays; the fields given change.
        r = self.req("PATCH", path, {"smtp": {"port": 2587}, "throttles": {"per_hour": 100}})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["smtp"], {"host": "smtp.example.com", "port": 2587,
                                          "tls": "starttls", "username": "ann@example.com",
                                          "password_set": True})
        self.assertEqual(r.json["throttles"]["per_hour"], 100)
        sealed = blob(self.h.sql_value("SELECT smtp_password FROM channels WHERE id = ?", c["id"]))
        # A new password is sealed anew; "" removes it; null lifts a throttle.
        r = self.req("PATCH", path, {"smtp": {"password": "another-" + SMTP_PW}})
        self.assertTrue(r.json["smtp"]["password_set"])
        self.assertNotEqual(blob(self.h.sql_value(
            "SELECT smtp_password FROM channels WHERE id = ?", c["id"])), sealed)
        r = self.req("PATCH", path, {"smtp": {"password": ""}, "throttles": {"per_hour": None}})
        self.assertFalse(r.json["smtp"]["password_set"])
        self.assertIsNone(r.json["throttles"]["per_hour"])
        # An inbox is added with its defaults and removed with null.
        r = self.req("PATCH", path, {"imap": {"host": "imap.example.com", "tls": "starttls",
                                              "password": IMAP_PW}})
        self.assertEqual(r.json["imap"], {"host": "imap.example.com", "port": 143,
                                          "tls": "starttls", "username": None,
                                          "password_set": True, "folder": "INBOX",
                                          "sent_folder": "Sent"})
        r = self.req("PATCH", path, {"imap": None, "name": "Relay two"})
        self.assertIsNone(r.json["imap"])
        self.assertEqual(r.json["name"], "Relay two")
        # Back to maildir: the SMTP server goes.
        r = self.req("PATCH", path, {"kind": "maildir"})
        self.assertEqual(r.json["kind"], "maildir")
        self.assertIsNone(r.json["smtp"])
        self.assertError(self.req("PATCH", path, {"kind": "smtp"}), 400, "bad_request",
                         "an smtp channel needs smtp: {host, port, tls}")
        self.assertError(self.req("PATCH", "/api/v1/channels/99", {"name": "z"}), 404,
                         "not_found", "no channel with id 99")
        self.assertError(self.req("PATCH", path, {"name": "maildir"}), 409, "conflict",
                         "a channel named 'maildir' already exists")
        self.assertError(self.req("PATCH", path, {"name": "z"}, token=self.rep), 403,
                         "forbidden", "this needs the admin role")

    def test_delete(self):
        self.assertError(self.req("DELETE", "/api/v1/channels/1"), 409, "conflict",
                         "the default channel cannot be deleted")
        c = self.create_channel(name="Relay", kind="smtp", smtp=SMTP)
        path = "/api/v1/channels/%d" % c["id"]
        r = self.req("POST", "/api/v1/senders", {"address": "rita@example.com",
                                                 "display_name": "Rita", "channel_id": c["id"]},
                     token=self.rep)
        self.assertEqual(r.status, 201, r)
        self.assertError(self.req("DELETE", path), 409, "conflict",
                         "channel %d has 1 sender: move it to another channel first" % c["id"])
        self.assertError(self.req("DELETE", path, token=self.rep), 403, "forbidden",
                         "this needs the admin role")
        # A sender a campaign sends as stays until the campaign sends as another.
        sid = r.json["id"]
        camp = self.req("POST", "/api/v1/campaigns", {"name": "Drip", "sharing": "private",
                                                      "sender_id": sid, "steps": []},
                        token=self.rep)
        self.assertEqual(camp.status, 201, camp)
        self.assertError(self.req("DELETE", "/api/v1/senders/%d" % sid), 409, "conflict",
                         "sender %d sends for 1 campaign: choose another sender there first" % sid)
        self.assertEqual(self.req("DELETE", "/api/v1/campaigns/%d" % camp.json["id"],
                                  token=self.rep).status, 204)
        self.assertEqual(self.req("DELETE", "/api/v1/senders/%d" % sid).status, 204)
        r = self.req("DELETE", path)
        self.assertEqual(r.status, 204, r)
        self.assertError(self.req("DELETE", path), 404, "not_found",
                         "no channel with id %d" % c["id"])
        self.assertError(self.req("GET", path), 404, "not_found",
                         "no channel with id %d" % c["id"])


class SendersTest(DeliveryCase):
    def add(self, token, **body):
        body.setdefault("display_name", "Rita Rep")
        r = self.req("POST", "/api/v1/senders", body, token=token)
        self.assertEqual(r.status, 201, r)
        return r.json

    def test_own_and_admin(self):
        s = self.add(self.rep, address="rita@example.com", signature_html="<p>Rita</p>")
        self.assertEqual(s, {"id": s["id"], "user_id": self.rep_id, "address": "rita@example.com",
                             "display_name": "Rita Rep", "signature_html": "<p>Rita</p>",
                             "channel_id": 1, "channel_name": "maildir"})
        other = self.add(self.ray, address="ray@example.com", display_name="Ray")
        by_admin = self.add(self.admin, address="rita2@example.com", user_id=self.rep_id)
        self.assertEqual(by_admin["user_id"], self.rep_id)
        # A rep sees their own; an admin everyone's, or one user's.
        r = self.req("GET", "/api/v1/senders", token=self.rep)
        self.assertEqual([x["id"] for x in r.json["data"]], [s["id"], by_admin["id"]])
        r = self.req("GET", "/api/v1/senders?user=%d" % self.rep_id, token=self.rep)
        self.assertEqual([x["id"] for x in r.json["data"]], [s["id"], by_admin["id"]])
        r = self.req("GET", "/api/v1/senders")
        self.assertEqual([x["id"] for x in r.json["data"]], [s["id"], other["id"], by_admin["id"]])
        r = self.req("GET", "/api/v1/senders?user=%d&limit=1" % self.ray_id)
        self.assertEqual(r.json["data"], [other])
        self.assertIsNone(r.json["next_cursor"])
        r = self.req("GET", "/api/v1/senders?limit=2")
        r = self.req("GET", "/api/v1/senders?limit=2&cursor=" + r.json["next_cursor"])
        self.assertEqual([x["id"] for x in r.json["data"]], [by_admin["id"]])
        self.assertError(self.req("GET", "/api/v1/senders?user=%d" % self.ray_id, token=self.rep),
                         403, "forbidden", "only admins may list another user's senders")
        self.assertError(self.req("GET", "/api/v1/senders?user=x", token=self.rep), 400,
                         "bad_request", "user must be a positive integer, not 'x'")
        # Another user's sender does not exist for a rep.
        for m in ("GET", "DELETE"):
            self.assertError(self.req(m, "/api/v1/senders/%d" % other["id"], token=self.rep),
                             404, "not_found", "no sender with id %d" % other["id"])
        self.assertError(self.req("PATCH", "/api/v1/senders/%d" % other["id"],
                                  {"display_name": "x"}, token=self.rep),
                         404, "not_found", "no sender with id %d" % other["id"])
        self.assertEqual(self.req("GET", "/api/v1/senders/%d" % other["id"]).json, other)

    def test_errors(self):
        self.add(self.rep, address="rita@example.com")
        cases = [
            (self.rep, {"display_name": "R"}, 400, "bad_request", "address is required"),
            (self.rep, {"address": "nope", "display_name": "R"}, 400, "bad_request",
             "address 'nope' is not a valid email address"),
            (self.rep, {"address": "a@example.com"}, 400, "bad_request",
             "display_name is required"),
            (self.rep, {"address": "a@example.com", "display_name": "R", "channel_id": 42},
             400, "bad_request", "channel_id: no channel with id 42"),
            (self.rep, {"address": "a@example.com", "display_name": "R", "channel_id": 0},
             400, "bad_request", "channel_id must be an integer from 1 to 2147483647, not 0"),
            (self.rep, {"address": "a@example.com", "display_name": "R",
                        "user_id": self.ray_id},
             403, "forbidden", "only admins may manage another user's senders"),
            (self.admin, {"address": "a@example.com", "display_name": "R", "user_id": 999},
             400, "bad_request", "user_id: no user with id 999"),
            (self.rep, {"address": "RITA@example.com", "display_name": "R"}, 409, "conflict",
             "user %d already has the sender RITA@example.com" % self.rep_id),
            (self.rep, {"address": "a@example.com", "display_name": "R",
                        "signature_html": "x" * 4001},
             400, "bad_request", "signature_html must be at most 4000 characters, not 4001"),
        ]
        for token, body, status, code, msg in cases:
            with self.subTest(body=body):
                self.assertError(self.req("POST", "/api/v1/senders", body, token=token), status,
                                 code, msg)

    def test_update_and_delete(self):
        c = self.create_channel(name="Relay", kind="smtp", smtp=SMTP)
        s = self.add(self.rep, address="rita@example.com")
        path = "/api/v1/senders/%d" % s["id"]
        r = self.req("PATCH", path, {"display_name": "Rita R.", "channel_id": c["id"]},
                     token=self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["display_name"], r.json["channel_id"], r.json["channel_name"]),
                         ("Rita R.", c["id"], "Relay"))
        self.assertError(self.req("PATCH", path, {"user_id": self.ray_id}, token=self.rep), 403,
                         "forbidden", "only admins may manage another user's senders")
        r = self.req("PATCH", path, {"user_id": self.ray_id})
        self.assertEqual(r.json["user_id"], self.ray_id)
        self.assertError(self.req("DELETE", path, token=self.rep), 404, "not_found",
                         "no sender with id %d" % s["id"])
        self.assertEqual(self.req("DELETE", path, token=self.ray).status, 204)
        self.assertError(self.req("GET", path), 404, "not_found", "no sender with id %d" % s["id"])


class BlockedDomainsTest(DeliveryCase):
    def test_add_list_remove(self):
        r = self.req("POST", "/api/v1/blocked-domains", {"domain": "Competitor.EXAMPLE"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.json["domain"], "competitor.example")
        self.assertEqual(r.json["created_by"], self.admin_id)
        self.assertTrue(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r.json["created_at"]))
        for d in ("a.example", "b.example"):
            self.assertEqual(self.req("POST", "/api/v1/blocked-domains", {"domain": d}).status, 201)
        self.assertError(self.req("POST", "/api/v1/blocked-domains",
                                  {"domain": "competitor.example"}),
                         409, "conflict", "competitor.example is already blocked")
        for bad in ("exa mple.com", "-x.com", "x..com", "x.com.", "ex\u00e4mple.com"):
            with self.subTest(domain=bad):
                self.assertError(self.req("POST", "/api/v1/blocked-domains", {"domain": bad}),
                                 400, "bad_request",
                                 "'%s' is not a domain name such as example.com (non-ASCII "
                                 "names in their xn-- form)" % bad)
        self.assertError(self.req("POST", "/api/v1/blocked-domains", {"domain": "x.com"},
                                  token=self.rep), 403, "forbidden", "this needs the admin role")
        r = self.req("GET", "/api/v1/blocked-domains?limit=2", token=self.rep)
        self.assertEqual([x["domain"] for x in r.json["data"]], ["a.example", "b.example"])
        r = self.req("GET", "/api/v1/blocked-domains?limit=2&cursor=" + r.json["next_cursor"],
                     token=self.rep)
        self.assertEqual([x["domain"] for x in r.json["data"]], ["competitor.example"])
        self.assertIsNone(r.json["next_cursor"])
        self.assertError(self.req("DELETE", "/api/v1/blocked-domains/a.example", token=self.rep),
                         403, "forbidden", "this needs the admin role")
        self.assertEqual(self.req("DELETE", "/api/v1/blocked-domains/A.Example").status, 204)
        self.assertError(self.req("DELETE", "/api/v1/blocked-domains/a.example"), 404,
                         "not_found", "a.example is not blocked")
        self.assertError(self.req("DELETE", "/api/v1/blocked-domains/a%20b"), 404,
                         "not_found", "a b is not blocked")


if __name__ == "__main__":
    harness.main()
