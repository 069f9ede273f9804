"""Admin management of users and teams over the REST API, and the API's
generic request handling: JSON errors, body limits, 404/405."""
import socket
import time

import harness
from apitest import ApiCase, DataTemplate

ADMIN_PW = "correct horse battery"


TEMPLATE = None


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(lambda h: {"admin": h.admin_token()})


def tearDownModule():
    TEMPLATE.close()


class UsersCase(ApiCase):
    def assertMessage(self, r, status, code, message):
        """The whole error: status, code and message."""
        self.assertError(r, status, code, message)

    def setUp(self):
        self.h = TEMPLATE.new()
        self.admin = TEMPLATE.values["admin"]
        self.h.start()
        self.admin_id = self.me(self.h, self.admin).json["id"]

    def tearDown(self):
        self.close_checked(self.h)

    def req(self, method, path, body=None, **kw):
        return self.h.request(method, path, body, token=self.admin, **kw)

    def create_user(self, email, role="rep", password=None, **extra):
        body = {"email": email, "name": email.split("@")[0].title(), "role": role}
        if password:
            body["password"] = password
        body.update(extra)
        r = self.req("POST", "/api/v1/users", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def create_team(self, name):
        r = self.req("POST", "/api/v1/teams", {"name": name})
        self.assertEqual(r.status, 201, r)
        return r.json

    def user(self, uid):
        r = self.req("GET", "/api/v1/users/%d" % uid)
        self.assertEqual(r.status, 200, r)
        return r.json

    def emails(self):
        r = self.req("GET", "/api/v1/users")
        self.assertEqual(r.status, 200, r)
        return [u["email"] for u in r.json["data"]]


class UsersTest(UsersCase):
    def test_create(self):
        u = self.create_user("rita@example.com", "rep", password="rita-password")
        self.assertEqual(set(u), {"id", "email", "name", "role", "active", "has_password", "teams",
                                  "created_at", "time_zone"})
        self.assertEqual(u["time_zone"], "UTC")
        self.assertEqual((u["email"], u["name"], u["role"], u["active"], u["has_password"],
                          u["teams"]), ("rita@example.com", "Rita", "rep", True, True, []))
        self.assertNotIn("rita-password", str(u))
        self.assertEqual(self.user(u["id"]), u)
        self.assertEqual(self.emails(), ["admin@example.com", "rita@example.com"])
        # The new user can sign in with that password.
        self.assertEqual(self.login(self.h, "rita@example.com", "rita-password").status, 201)
        m = self.create_user("max@example.com", "manager")
        self.assertFalse(m["has_password"])
        self.assertEqual(m["role"], "manager")
        self.assertError(self.login(self.h, "max@example.com", ""),
                         401, "unauthorized", "wrong email or password")
        a = self.create_user("ada@example.com", "admin")
        self.assertEqual(a["role"], "admin")

    def test_create_with_teams(self):
        east, west = self.create_team("East"), self.create_team("West")
        u = self.create_user("tess@example.com", teams=[west["id"], east["id"]])
        self.assertEqual(sorted(t["id"] for t in u["teams"]), sorted([east["id"], west["id"]]))
        self.assertEqual({t["name"] for t in u["teams"]}, {"East", "West"})
        r = self.req("GET", "/api/v1/teams/%d" % east["id"])
        self.assertEqual([m["email"] for m in r.json["members"]], ["tess@example.com"])

    def test_create_with_an_unknown_team_creates_nothing(self):
        east = self.create_team("East")
        r = self.req("POST", "/api/v1/users", {"email": "uma@example.com", "name": "Uma",
                                               "role": "rep", "teams": [east["id"], 9999]})
        self.assertMessage(r, 404, "not_found", "no team with id 9999")
        self.assertNotIn("uma@example.com", self.emails())
        # ...so the same request with the right teams succeeds afterwards.
        u = self.create_user("uma@example.com", teams=[east["id"]])
        self.assertEqual([t["name"] for t in u["teams"]], ["East"])

    def test_duplicate_email_is_409(self):
        self.create_user("dup@example.com")
        for email in ("dup@example.com", "DUP@Example.com", "admin@example.com"):
            r = self.req("POST", "/api/v1/users", {"email": email, "name": "X", "role": "rep"})
            self.assertError(r, 409, "conflict", "a user with email %s already exists" % email)
        self.assertEqual(self.emails(), ["admin@example.com", "dup@example.com"])

    def test_bad_input_is_400(self):
        base = {"email": "ok@example.com", "name": "Ok", "role": "rep"}
        bad = [
            ({"email": "not-an-email"}, "email 'not-an-email' is not a valid email address"),
            ({"email": "a@b"}, "email 'a@b' is not a valid email address"),
            ({"email": "a b@example.com"}, "email 'a b@example.com' is not a valid email address"),
            ({"email": "@example.com"}, "email '@example.com' is not a valid email address"),
            ({"email": "a@@example.com"}, "email 'a@@example.com' is not a valid email address"),
            ({"email": "a@example.com."}, "email 'a@example.com.' is not a valid email address"),
            ({"email": "r\u00e9ne@example.com"},
             "email 'r\u00e9ne@example.com' is not a valid email address"),
            ({"email": ""}, "email must be 3 to 254 characters, not 0"),
            ({"email": "x" * 250 + "@example.com"}, "email must be 3 to 254 characters, not 262"),
            ({"role": "boss"}, "role must be admin, manager or rep, not 'boss'"),
            ({"role": "Admin"}, "role must be admin, manager or rep, not 'Admin'"),
            ({"role": ""}, "role must be admin, manager or rep, not ''"),
            ({"password": "short"}, "password must be 8 to 1024 characters, not 5"),
            ({"password": "1234567"}, "password must be 8 to 1024 characters, not 7"),
            ({"password": "p" * 1025}, "password must be 8 to 1024 characters, not 1025"),
            # Characters, not bytes: 1024 of them is fine (below), 1025 is not.
            ({"password": "\u00e9" * 1025}, "password must be 8 to 1024 characters, not 1025"),
            ({"name": ""}, "name must be 1 to 200 characters, not 0"),
            ({"name": "n" * 201}, "name must be 1 to 200 characters, not 201"),
            ({"name": "\u00e9" * 201}, "name must be 1 to 200 characters, not 201"),
            ({"email": 5}, "email must be a string, not a number"),
            ({"name": ["N"]}, "name must be a string, not an array"),
            ({"role": {"r": 1}}, "role must be a string, not an object"),
            ({"password": 12345678}, "password must be a string, not a number"),
            ({"password": True}, "password must be a string, not a boolean"),
            ({"teams": "1"}, "teams must be an array of ids, not a string"),
            ({"teams": {"1": 1}}, "teams must be an array of ids, not an object"),
            ({"teams": [1.5]}, "teams[0] must be a positive integer, not 1.5"),
            ({"teams": ["1"]}, "teams[0] must be a positive integer, not a string"),
            ({"teams": [0]}, "teams[0] must be a positive integer, not 0"),
            ({"teams": [-3]}, "teams[0] must be a positive integer, not -3"),
            ({"teams": [None]}, "teams[0] must be a positive integer, not null"),
            ({"teams": [1, True]}, "teams[1] must be a positive integer, not a boolean"),
            ({"teams": list(range(1, 102))}, "teams must hold at most 100 ids, not 101"),
            # null is not "left out": no member of this body is nullable.
            ({"email": None}, "email must be a string, not null"),
            ({"name": None}, "name must be a string, not null"),
            ({"role": None}, "role must be a string, not null"),
            ({"password": None}, "password must be a string, not null"),
            ({"teams": None}, "teams must be an array of ids, not null"),
        ]
        for change, message in bad:
            body = dict(base, **change)
            r = self.req("POST", "/api/v1/users", body)
            self.assertMessage(r, 400, "bad_request", message)
        for missing in ("email", "name", "role"):
            body = dict(base)
            del body[missing]
            self.assertMessage(self.req("POST", "/api/v1/users", body), 400, "bad_request",
                               missing + " is required")
        self.assertEqual(self.emails(), ["admin@example.com"])
        # An 8-character password is long enough; lengths count characters.
        self.create_user("ok@example.com", password="12345678")
        u = self.create_user("long@example.com", password="\u00e9" * 1024, name="\u00e9" * 200)
        self.assertEqual(u["name"], "\u00e9" * 200)
        self.assertEqual(self.user(u["id"]), u)
        self.assertEqual(self.login(self.h, "long@example.com", "\u00e9" * 1024).status, 201)
        self.assertEqual(self.create_team("\u00e9" * 100)["name"], "\u00e9" * 100)

    def test_patch(self):
        east, west = self.create_team("East"), self.create_team("West")
        u = self.create_user("pat@example.com", password="first-password", teams=[east["id"]])
        uid = u["id"]
        path = "/api/v1/users/%d" % uid
        r = self.req("PATCH", path, {"name": "Patricia"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["role"]), ("Patricia", "rep"))
        r = self.req("PATCH", path, {"role": "manager"})
        self.assertEqual(r.json["role"], "manager")
        self.assertEqual(self.user(uid)["role"], "manager")
        # Teams are replaced, not merged; [] clears them.
        r = self.req("PATCH", path, {"teams": [west["id"]]})
        self.assertEqual([t["name"] for t in r.json["teams"]], ["West"])
        r = self.req("PATCH", path, {"teams": []})
        self.assertEqual(r.json["teams"], [])
        r = self.req("GET", "/api/v1/teams/%d" % east["id"])
        self.assertEqual(r.json["members"], [])
        # An unknown team changes nothing.
        r = self.req("PATCH", path, {"teams": [east["id"]]})
        r = self.req("PATCH", path, {"teams": [west["id"], 4242], "name": "Nope"})
        self.assertMessage(r, 404, "not_found", "no team with id 4242")
        self.assertEqual([t["name"] for t in self.user(uid)["teams"]], ["East"])
        self.assertEqual(self.user(uid)["name"], "Patricia")
        # Password: the new one works, the old one does not.
        r = self.req("PATCH", path, {"password": "second-password"})
        self.assertEqual(r.status, 200, r)
        self.assertError(self.login(self.h, "pat@example.com", "first-password"),
                         401, "unauthorized", "wrong email or password")
        self.assertEqual(self.login(self.h, "pat@example.com", "second-password").status, 201)
        self.assertMessage(self.req("PATCH", path, {"password": "short"}), 400, "bad_request",
                           "password must be 8 to 1024 characters, not 5")
        self.assertEqual(self.login(self.h, "pat@example.com", "second-password").status, 201)
        # Active off and on.
        r = self.req("PATCH", path, {"active": False})
        self.assertFalse(r.json["active"])
        self.assertError(self.login(self.h, "pat@example.com", "second-password"),
                         401, "unauthorized", "wrong email or password")
        r = self.req("PATCH", path, {"active": True})
        self.assertTrue(r.json["active"])
        self.assertEqual(self.login(self.h, "pat@example.com", "second-password").status, 201)
        # An empty patch changes nothing.
        before = self.user(uid)
        r = self.req("PATCH", path, {})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, before)

    def test_unknown_members_are_400_not_ignored(self):
        uid = self.create_user("um@example.com")["id"]
        before = self.user(uid)
        r = self.req("PATCH", "/api/v1/users/%d" % uid, {"name": "New", "email": "x@example.com"})
        self.assertMessage(r, 400, "bad_request",
                           "unknown member 'email' (allowed: name, role, password, active or teams)")
        self.assertEqual(self.user(uid), before)
        r = self.req("POST", "/api/v1/users", {"email": "n@example.com", "name": "N", "role": "rep",
                                                "rol": "admin"})
        self.assertMessage(r, 400, "bad_request",
                           "unknown member 'rol' (allowed: email, name, role, password or teams)")
        self.assertNotIn("n@example.com", self.emails())
        self.assertMessage(self.req("POST", "/api/v1/teams", {"name": "T", "color": "red"}), 400,
                           "bad_request", "unknown member 'color' (allowed: name)")
        self.assertMessage(self.req("POST", "/api/v1/tokens", {"label": "x"}), 400,
                           "bad_request", "unknown member 'label' (allowed: name)")
        self.assertMessage(self.h.request("POST", "/api/v1/session",
                                          {"email": "a@example.com", "password": "x", "otp": 1}),
                           400, "bad_request",
                           "unknown member 'otp' (allowed: email or password)")

    def test_new_password_signs_out_other_sessions(self):
        uid = self.create_user("sess@example.com", password="first-password")["id"]
        cookie, _ = self.session(self.h, "sess@example.com", "first-password")
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", cookie).status, 200)
        r = self.req("PATCH", "/api/v1/users/%d" % uid, {"password": "second-password"})
        self.assertEqual(r.status, 200, r)
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")
        # A name change alone keeps sessions.
        cookie, _ = self.session(self.h, "sess@example.com", "second-password")
        self.req("PATCH", "/api/v1/users/%d" % uid, {"name": "Renamed"})
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", cookie).status, 200)

    def test_patch_bad_input(self):
        uid = self.create_user("pb@example.com")["id"]
        path = "/api/v1/users/%d" % uid
        before = self.user(uid)
        for body, message in [
                ({"name": ""}, "name must be 1 to 200 characters, not 0"),
                ({"name": 3}, "name must be a string, not a number"),
                ({"role": "chief"}, "role must be admin, manager or rep, not 'chief'"),
                ({"role": 1}, "role must be a string, not a number"),
                ({"active": "yes"}, "active must be true or false, not a string"),
                ({"active": 0}, "active must be true or false, not a number"),
                ({"password": ["x"]}, "password must be a string, not an array"),
                ({"teams": "all"}, "teams must be an array of ids, not a string"),
                ({"teams": [True]}, "teams[0] must be a positive integer, not a boolean"),
                ({"teams": [0]}, "teams[0] must be a positive integer, not 0"),
                ({"name": "n" * 201}, "name must be 1 to 200 characters, not 201"),
                # One rule for null: no member of this body is nullable, so null is
                # a wrong type everywhere (it used to be ignored for name, password,
                # role and refused for active).
                ({"name": None}, "name must be a string, not null"),
                ({"role": None}, "role must be a string, not null"),
                ({"password": None}, "password must be a string, not null"),
                ({"active": None}, "active must be true or false, not null"),
                ({"teams": None}, "teams must be an array of ids, not null"),
                ({"name": "Fine", "active": None}, "active must be true or false, not null")]:
            self.assertMessage(self.req("PATCH", path, body), 400, "bad_request", message)
        self.assertEqual(self.user(uid), before)

    def test_last_admin_cannot_be_demoted_or_deactivated(self):
        me = "/api/v1/users/%d" % self.admin_id
        for method, body in [("PATCH", {"role": "rep"}), ("PATCH", {"role": "manager"}),
                             ("PATCH", {"active": False}), ("DELETE", None)]:
            r = self.req(method, me, body)
            self.assertMessage(r, 400, "bad_request", "cannot demote or deactivate the last admin")
        u = self.user(self.admin_id)
        self.assertEqual((u["role"], u["active"]), ("admin", True))
        # An inactive admin does not count as a second one.
        other = self.create_user("other@example.com", "admin")
        r = self.req("DELETE", "/api/v1/users/%d" % other["id"])
        self.assertEqual(r.status, 200, r)
        self.assertError(self.req("PATCH", me, {"role": "rep"}),
                         400, "bad_request", "cannot demote or deactivate the last admin")
        # With a second active admin, the first may step down...
        self.req("PATCH", "/api/v1/users/%d" % other["id"], {"active": True})
        r = self.req("PATCH", me, {"role": "rep"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["role"], "rep")
        # ...and then loses admin rights at once.
        self.assertError(self.req("GET", "/api/v1/users"),
                         403, "forbidden", "this needs the admin role")
        # The remaining admin is now the last one.
        tok = self.h.token("other@example.com")
        r = self.h.request("DELETE", "/api/v1/users/%d" % other["id"], token=tok)
        self.assertError(r, 400, "bad_request", "cannot demote or deactivate the last admin")
        r = self.h.request("PATCH", "/api/v1/users/%d" % other["id"], {"role": "rep"}, token=tok)
        self.assertError(r, 400, "bad_request", "cannot demote or deactivate the last admin")
        self.assertEqual(self.me(self.h, tok).json["role"], "admin")

    def test_delete_deactivates(self):
        u = self.create_user("del@example.com", password="del-password")
        tok = self.h.token("del@example.com")
        r = self.req("DELETE", "/api/v1/users/%d" % u["id"])
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["active"])
        self.assertEqual(r.json["email"], "del@example.com")
        # Still there, inactive, and locked out.
        self.assertFalse(self.user(u["id"])["active"])
        self.assertIn("del@example.com", self.emails())
        self.assertError(self.me(self.h, tok), 401, "unauthorized", "invalid or revoked API token")
        self.assertError(self.login(self.h, "del@example.com", "del-password"),
                         401, "unauthorized", "wrong email or password")
        # Deleting again is harmless; the email stays taken.
        self.assertEqual(self.req("DELETE", "/api/v1/users/%d" % u["id"]).status, 200)
        self.assertError(self.req("POST", "/api/v1/users", {"email": "del@example.com",
                                                            "name": "D", "role": "rep"}),
                         409, "conflict", "a user with email del@example.com already exists")

    def test_unknown_and_malformed_ids_are_404(self):
        for method, body in [("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)]:
            self.assertError(self.req(method, "/api/v1/users/9999", body),
                             404, "not_found", "no user with id 9999")
            # Past int64 is no id at all (not the largest one).
            for uid in ("abc", "0", "-1", "1.5", "01", "1x", "99999999999999999999999"):
                r = self.req(method, "/api/v1/users/" + uid, body)
                self.assertError(r, 404, "not_found", "no such id: " + uid)
        for method, body in [("GET", None), ("PATCH", {"name": "X"}), ("DELETE", None)]:
            self.assertError(self.req(method, "/api/v1/teams/9999", body),
                             404, "not_found", "no team with id 9999")
            for tid in ("abc", "0"):
                self.assertError(self.req(method, "/api/v1/teams/" + tid, body),
                                 404, "not_found", "no such id: " + tid)
        self.assertEqual(self.user(self.admin_id)["name"], "Admin")


class TeamsTest(UsersCase):
    def test_crud(self):
        east = self.create_team("East")
        self.assertEqual(set(east), {"id", "name", "members", "created_at"})
        self.assertEqual((east["name"], east["members"]), ("East", []))
        self.create_team("Central")
        for name in ("East", "east", "EAST"):
            self.assertError(self.req("POST", "/api/v1/teams", {"name": name}),
                             409, "conflict", "a team named %s already exists" % name)
        for body, message in [({}, "name is required"),
                              ({"name": ""}, "name must be 1 to 100 characters, not 0"),
                              ({"name": "t" * 101}, "name must be 1 to 100 characters, not 101"),
                              ({"name": "\u00e9" * 101}, "name must be 1 to 100 characters, not 101"),
                              ({"name": 7}, "name must be a string, not a number"),
                              ({"name": None}, "name must be a string, not null")]:
            self.assertMessage(self.req("POST", "/api/v1/teams", body), 400, "bad_request",
                               message)
            self.assertMessage(self.req("PATCH", "/api/v1/teams/%d" % east["id"], body), 400,
                               "bad_request", message)
        self.create_team("t" * 100)
        r = self.req("GET", "/api/v1/teams")
        self.assertEqual(r.status, 200, r)
        self.assertEqual([t["name"] for t in r.json["data"]], ["Central", "East", "t" * 100])
        r = self.req("GET", "/api/v1/teams/%d" % east["id"])
        self.assertEqual(r.json, east)
        r = self.req("PATCH", "/api/v1/teams/%d" % east["id"], {"name": "North East"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["name"], "North East")
        self.assertError(self.req("PATCH", "/api/v1/teams/%d" % east["id"], {"name": "central"}),
                         409, "conflict", "a team named central already exists")
        self.assertError(self.req("PATCH", "/api/v1/teams/%d" % east["id"], {"name": ""}),
                         400, "bad_request", "name must be 1 to 100 characters, not 0")
        self.assertEqual(self.req("GET", "/api/v1/teams/%d" % east["id"]).json["name"],
                         "North East")
        r = self.req("DELETE", "/api/v1/teams/%d" % east["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.body, "")
        self.assertError(self.req("GET", "/api/v1/teams/%d" % east["id"]),
                         404, "not_found", "no team with id %d" % east["id"])
        self.assertError(self.req("DELETE", "/api/v1/teams/%d" % east["id"]),
                         404, "not_found", "no team with id %d" % east["id"])
        self.assertError(self.req("PATCH", "/api/v1/teams/%d" % east["id"], {"name": "X"}),
                         404, "not_found", "no team with id %d" % east["id"])
        # The name is free again.
        self.create_team("East")

    def test_members(self):
        team = self.create_team("Sales")
        u1 = self.create_user("one@example.com")
        u2 = self.create_user("two@example.com")
        base = "/api/v1/teams/%d/members/" % team["id"]
        r = self.req("PUT", base + str(u2["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([m["email"] for m in r.json["members"]], ["two@example.com"])
        r = self.req("PUT", base + str(u1["id"]))
        r = self.req("PUT", base + str(u1["id"]))  # idempotent
        self.assertEqual(r.status, 200, r)
        self.assertEqual([m["email"] for m in r.json["members"]],
                         ["one@example.com", "two@example.com"])
        self.assertEqual([t["name"] for t in self.user(u1["id"])["teams"]], ["Sales"])
        r = self.req("DELETE", base + str(u1["id"]))
        self.assertEqual(r.status, 200, r)
        self.assertEqual([m["email"] for m in r.json["members"]], ["two@example.com"])
        self.assertEqual(self.user(u1["id"])["teams"], [])
        self.assertError(self.req("DELETE", base + str(u1["id"])),
                         404, "not_found", "user %d is not in team %d" % (u1["id"], team["id"]))
        # Unknown team or user.
        self.assertError(self.req("PUT", "/api/v1/teams/999/members/%d" % u1["id"]),
                         404, "not_found", "no team with id 999")
        self.assertError(self.req("PUT", base + "999"), 404, "not_found", "no user with id 999")
        self.assertError(self.req("DELETE", "/api/v1/teams/999/members/%d" % u2["id"]),
                         404, "not_found", "no team with id 999")
        self.assertError(self.req("PUT", base + "abc"), 404, "not_found", "no such id: abc")
        self.assertError(self.req("PUT", "/api/v1/teams/abc/members/1"),
                         404, "not_found", "no such id: abc")
        self.assertEqual([m["email"] for m in self.req("GET", "/api/v1/teams/%d" % team["id"])
                          .json["members"]], ["two@example.com"])
        # Deleting the team takes it off its members.
        self.assertEqual(self.req("DELETE", "/api/v1/teams/%d" % team["id"]).status, 204)
        self.assertEqual(self.user(u2["id"])["teams"], [])


class PagingTest(UsersCase):
    """/users, /teams and /tokens page like /people: ?limit= (1 to 200, default
    50), an opaque ?cursor=, and next_cursor present exactly when more follow."""

    def page(self, path, token=None, **query):
        q = "&".join("%s=%s" % kv for kv in query.items())
        r = self.h.request("GET", path + ("?" + q if q else ""), token=token or self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(set(r.json), {"data", "next_cursor"}, r)
        return r.json

    def walk(self, path, limit, token=None, **query):
        """Every page of a list: [[items of page 1], [page 2], …]."""
        pages, cursor = [], None
        while True:
            q = dict(query, limit=limit)
            if cursor:
                q["cursor"] = cursor
            j = self.page(path, token, **q)
            pages.append(j["data"])
            cursor = j["next_cursor"]
            if cursor is None:
                return pages
            self.assertIsInstance(cursor, str)
            self.assertLess(len(pages), 100)

    def test_users_page_in_id_order(self):
        ids = [self.admin_id] + [self.create_user("u%d@example.com" % i)["id"] for i in range(6)]
        pages = self.walk("/api/v1/users", 3)
        # 7 users by 3: the last page is not full; next_cursor was set exactly twice.
        self.assertEqual([len(p) for p in pages], [3, 3, 1])
        self.assertEqual([u["id"] for p in pages for u in p], ids)
        # A page that ends exactly at the end has no next_cursor.
        self.assertEqual([len(p) for p in self.walk("/api/v1/users", 7)], [7])
        self.assertEqual([len(p) for p in self.walk("/api/v1/users", 1)], [1] * 7)
        # A cursor stays good while users are added: the next page goes on from it.
        first = self.page("/api/v1/users", limit=2)
        later = self.create_user("later@example.com")["id"]
        rest = self.walk("/api/v1/users", 200, cursor=first["next_cursor"])
        self.assertEqual([u["id"] for p in rest for u in p], ids[2:] + [later])

    def test_default_and_largest_limit(self):
        for i in range(60):
            self.req("POST", "/api/v1/teams", {"name": "Team %02d" % i})
        for i in range(51):
            self.create_user("d%02d@example.com" % i)
        j = self.page("/api/v1/users")
        self.assertEqual(len(j["data"]), 50)
        self.assertIsNotNone(j["next_cursor"])
        self.assertEqual(len(self.page("/api/v1/users", limit=200)["data"]), 52)
        self.assertIsNone(self.page("/api/v1/users", limit=200)["next_cursor"])
        j = self.page("/api/v1/teams")
        self.assertEqual([t["name"] for t in j["data"]], ["Team %02d" % i for i in range(50)])
        self.assertEqual(len(self.page("/api/v1/teams", cursor=j["next_cursor"])["data"]), 10)

    def test_teams_page_by_name(self):
        names = ["delta", "Alpha", "charlie", "Bravo", "\u00e9" * 100, "echo"]
        for n in names:
            self.create_team(n)
        pages = self.walk("/api/v1/teams", 2)
        self.assertEqual([len(p) for p in pages], [2, 2, 2])
        self.assertEqual([t["name"] for p in pages for t in p],
                         ["Alpha", "Bravo", "charlie", "delta", "echo", "\u00e9" * 100])
        # The longest name (100 characters, 200 bytes) makes a good cursor too.
        pages = self.walk("/api/v1/teams", 5)
        self.assertEqual([len(p) for p in pages], [5, 1])
        # A team added after the cursor's position shows on a later page.
        first = self.page("/api/v1/teams", limit=5)
        self.create_team("zulu")
        rest = self.walk("/api/v1/teams", 5, cursor=first["next_cursor"])
        self.assertEqual([t["name"] for p in rest for t in p], ["zulu", "\u00e9" * 100])

    def test_tokens_page_and_revoked_only_on_request(self):
        rep = self.create_user("rep@example.com")
        rep_tok = self.h.token("rep@example.com")
        made = [self.req("POST", "/api/v1/tokens", {"name": "t%d" % i}).json for i in range(5)]
        for t in made[1:3]:
            self.assertEqual(self.req("DELETE", "/api/v1/tokens/%d" % t["id"]).status, 204)
        admin_ids = [t["id"] for t in self.page("/api/v1/tokens", include_revoked="true",
                                                limit=200)["data"]]
        self.assertEqual(len(admin_ids), 6)  # the template's token and five
        live = [admin_ids[0], made[0]["id"], made[3]["id"], made[4]["id"]]
        pages = self.walk("/api/v1/tokens", 2)
        self.assertEqual([[t["id"] for t in p] for p in pages], [live[:2], live[2:]])
        self.assertTrue(all(t["revoked_at"] is None for p in pages for t in p))
        pages = self.walk("/api/v1/tokens", 4, include_revoked="true")
        self.assertEqual([len(p) for p in pages], [4, 2])
        self.assertEqual([t["id"] for p in pages for t in p], admin_ids)
        self.assertEqual([t["revoked_at"] is not None for p in pages for t in p],
                         [False, False, True, True, False, False])
        self.assertEqual(self.page("/api/v1/tokens", include_revoked="false")["data"],
                         self.page("/api/v1/tokens")["data"])
        # Every token has the same members, last_used_at included.
        for t in pages[0]:
            self.assertEqual(set(t), {"id", "email", "prefix", "name", "created_at",
                                      "last_used_at", "revoked_at"})
        # all=true: everyone's (admins only), paged the same way.
        everyone = [t for p in self.walk("/api/v1/tokens", 3, all="true") for t in p]
        self.assertEqual([t["email"] for t in everyone],
                         ["admin@example.com", "rep@example.com"] + ["admin@example.com"] * 3)
        r = self.h.request("GET", "/api/v1/tokens?all=true", token=rep_tok)
        self.assertMessage(r, 403, "forbidden", "all=true needs the admin role")
        j = self.page("/api/v1/tokens", token=rep_tok, all="false")
        self.assertEqual([t["email"] for t in j["data"]], ["rep@example.com"])
        self.assertEqual(rep["email"], "rep@example.com")
        for q, message in [("include_revoked=yes", "include_revoked must be true or false, not 'yes'"),
                           ("include_revoked=", "include_revoked must be true or false, not ''"),
                           ("include_revoked=1", "include_revoked must be true or false, not '1'"),
                           ("all=TRUE", "all must be true or false, not 'TRUE'")]:
            self.assertMessage(self.req("GET", "/api/v1/tokens?" + q), 400, "bad_request", message)

    def test_bad_limit_and_cursor(self):
        for path in ("/api/v1/users", "/api/v1/teams", "/api/v1/tokens", "/api/v1/people"):
            for limit in ("0", "201", "-1", "abc", "", "1.5", "99999999999999999999", "+5",
                          "%205", "5%20", "0x10"):
                self.assertMessage(self.req("GET", path + "?limit=" + limit), 400, "bad_request",
                                   "limit must be an integer from 1 to 200")
            for limit in ("1", "200", "007"):
                self.assertEqual(self.req("GET", path + "?limit=" + limit).status, 200)
        self.assertEqual(len(self.req("GET", "/api/v1/users?limit=1").json["data"]), 1)
        for path in ("/api/v1/users", "/api/v1/teams", "/api/v1/tokens"):
            for cursor in ("!!!", "not%20a%20cursor", "x" * 700, "AAAA", "dTA", "dDA"):
                # dTA is "u0", dDA "t0": no list issues those.
                self.assertMessage(self.req("GET", path + "?cursor=" + cursor), 400, "bad_request",
                                   "cursor is not valid")
        # A cursor of one list is not a cursor of another.
        for i in range(3):
            self.create_user("c%d@example.com" % i)
            self.create_team("T%d" % i)
            self.req("POST", "/api/v1/tokens")
        cursors = {p: self.page(p, limit=1)["next_cursor"]
                   for p in ("/api/v1/users", "/api/v1/teams", "/api/v1/tokens")}
        for p, c in cursors.items():
            self.assertIsNotNone(c)
            for other in cursors:
                if other != p:
                    self.assertMessage(self.req("GET", other + "?cursor=" + c), 400,
                                       "bad_request", "cursor is not valid")


class NullAndSyncContractTest(UsersCase):
    def test_token_name_is_the_one_nullable_member(self):
        # Documented nullable: null means "no name", like leaving it out.
        for body in ({"name": None}, {}, None):
            r = self.req("POST", "/api/v1/tokens", body)
            self.assertEqual(r.status, 201, r)
            self.assertIsNone(r.json["name"])
        for body, message in [({"name": ""}, "name must be 1 to 100 characters, not 0"),
                              ({"name": "x" * 101}, "name must be 1 to 100 characters, not 101"),
                              ({"name": 5}, "name must be a string, not a number"),
                              ({"name": ["a"]}, "name must be a string, not an array")]:
            self.assertMessage(self.req("POST", "/api/v1/tokens", body), 400, "bad_request",
                               message)
        r = self.req("POST", "/api/v1/tokens", {"name": "\u00e9" * 100})
        self.assertEqual(r.status, 201, r)

    def test_sign_in_members(self):
        for body, message in [
                ({"email": None, "password": "x"}, "email must be a string, not null"),
                ({"email": "a@example.com", "password": None}, "password must be a string, not null"),
                ({"email": "a@example.com"}, "password is required"),
                ({"password": "x"}, "email is required"),
                ({"email": 1, "password": "x"}, "email must be a string, not a number"),
                ({"email": "a" * 255, "password": "x"}, "email must be at most 254 characters, not 255"),
                ({"email": "a@example.com", "password": "p" * 1025},
                 "password must be at most 1024 characters, not 1025")]:
            self.assertMessage(self.h.request("POST", "/api/v1/session", body), 400,
                               "bad_request", message)

    def test_sync_interval_is_an_integer(self):
        r = self.req("GET", "/api/v1/sync/marketo")
        self.assertEqual(r.status, 200, r)
        self.assertIn('"interval_s":300,', r.body)
        self.assertIs(type(r.json["interval_s"]), int)


class RequestHandlingTest(UsersCase):
    ENDPOINTS = [("POST", "/api/v1/users"), ("PATCH", "/api/v1/users/{admin}"),
                 ("POST", "/api/v1/teams"), ("POST", "/api/v1/session"),
                 ("POST", "/api/v1/tokens")]

    def endpoints(self):
        return [(m, p.replace("{admin}", str(self.admin_id))) for m, p in self.ENDPOINTS]

    def test_json_errors(self):
        ct = {"Content-Type": "application/json"}
        not_object = "the body must be a JSON object"
        bodies = [
            (b'{"email":', "invalid JSON at line 1 column 9: unexpected token near end of file"),
            (b"{nope}", "invalid JSON at line 1 column 5: string or '}' expected near 'nope'"),
            (b"[]", not_object), (b'"string"', not_object), (b"1", not_object),
            (b"null", not_object), (b"true", not_object),
            (b'{"name":"a","name":"b"}',
             "invalid JSON at line 1 column 18: duplicate object key near '\"name\"'"),
            (b"\xff\xfe{}", "invalid JSON at line 1 column 0: unable to decode byte 0xff"),
            (b'{"name":"\xc3"}',
             "invalid JSON at line 1 column 9: unable to decode byte 0xc3 near '\"'"),
            (b"{} {}", "invalid JSON at line 1 column 4: end of file expected near '{'")]
        for method, path in self.endpoints():
            for raw, message in bodies:
                r = self.req(method, path, raw=raw, headers=ct)
                self.assertError(r, 400, "bad_request", message)
        for method, path in self.endpoints():
            if path != "/api/v1/tokens":  # the tokens body is optional
                self.assertError(self.req(method, path, raw=b"", headers=ct),
                                 400, "bad_request", "a JSON object body is required")
        self.assertEqual(self.emails(), ["admin@example.com"])
        self.assertEqual(self.req("GET", "/api/v1/teams").json["data"], [])
        self.assertEqual(self.user(self.admin_id)["name"], "Admin")

    def test_body_over_the_route_limit_is_413(self):
        limits = {"/api/v1/users": 24576, "/api/v1/teams": 4096, "/api/v1/session": 16384,
                  "/api/v1/tokens": 4096}
        for method, path in self.endpoints():
            limit = limits.get(path, 24576)
            big = b'{"name":"' + b"n" * limit + b'"}'
            r = self.req(method, path, raw=big, headers={"Content-Type": "application/json"})
            self.assertError(r, 413, "too_large", "request body is larger than %d bytes" % limit)
            # Exactly at the limit is read (and judged on its content).
            fits = b'{"name":"' + b"n" * (limit - 11) + b'"}'
            self.assertEqual(len(fits), limit)
            r = self.req(method, path, raw=fits, headers={"Content-Type": "application/json"})
            self.assertNotEqual(r.status, 413, (path, r))
        # Routes that take no body refuse any (400, after authentication:
        # tests/integration/test_http.py has the whole order).
        for method, path in [("GET", "/api/v1/users"), ("DELETE", "/api/v1/users/%d" % self.admin_id),
                             ("PUT", "/api/v1/teams/1/members/1"), ("GET", "/api/v1/people")]:
            r = self.req(method, path, raw=b"{}", headers={"Content-Type": "application/json"})
            self.assertError(r, 400, "bad_request", "this operation takes no request body")
            self.assertEqual(r.json["error"]["message"], "this operation takes no request body")
        self.assertEqual(self.emails(), ["admin@example.com"])

    def raw_exchange(self, head, timeout=10):
        s = socket.create_connection(("127.0.0.1", self.h.port), timeout=timeout)
        try:
            s.sendall(head)
            data = b""
            while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            return data
        finally:
            s.close()

    def test_huge_content_length_is_413_without_reading(self):
        for method, path, limit in [("POST", "/api/v1/users", 24576),
                                    ("PATCH", "/api/v1/users/1", 24576),
                                    ("POST", "/api/v1/session", 16384),
                                    ("PUT", "/api/v1/teams/1/members/1", None)]:
            head = ("%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                    "Content-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n"
                    % (method, path, self.admin)).encode()
            t0 = time.time()
            try:
                data = self.raw_exchange(head)
            except socket.timeout:
                self.fail("%s %s: no answer within 10 s to a huge Content-Length" % (method, path))
            self.assertLess(time.time() - t0, 10)
            if path == "/api/v1/teams/1/members/1":  # takes no body at all
                self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:200])
                self.assertTrue(data.endswith(b'{"error":{"code":"bad_request","message":'
                                              b'"this operation takes no request body"}}'), data)
                continue
            self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
            self.assertTrue(data.endswith(b'{"error":{"code":"too_large","message":"request body '
                                          b'is larger than %d bytes"}}' % limit), data)
        # The server is fine afterwards.
        self.assertEqual(self.emails(), ["admin@example.com"])

    def chunked(self, path, chunks, expect=False):
        head = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (path, self.admin)).encode()
        s = socket.create_connection(("127.0.0.1", self.h.port), timeout=20)
        try:
            s.sendall(head)
            for c in chunks:
                s.sendall(b"%x\r\n%s\r\n" % (len(c), c))
            s.sendall(b"0\r\n\r\n")
            data = b""
            while True:
                got = s.recv(65536)
                if not got:
                    break
                data += got
                if b"\r\n\r\n" in data and data.rstrip().endswith(b"}"):
                    break
            return data
        except (BrokenPipeError, ConnectionResetError):
            return None
        finally:
            s.close()

    def test_chunked_bodies_are_bounded_too(self):
        data = self.chunked("/api/v1/teams", [b'{"name":', b'"Chunked"}'])
        self.assertTrue(data.startswith(b"HTTP/1.1 201"), data)
        data = self.chunked("/api/v1/teams", [b'{"name":"' + b"n" * 3000, b"n" * 3000 + b'"}'])
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data)
        # A never-ending chunked body is not read on and on: the server hangs up.
        s = socket.create_connection(("127.0.0.1", self.h.port), timeout=20)
        sent = 0
        try:
            s.sendall(("POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n" % self.admin).encode())
            chunk = b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
            while sent < 64 << 20:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            s.close()
        self.assertLess(sent, 16 << 20, "the server read %d bytes of a body it refuses" % sent)
        self.assertEqual([t["name"] for t in self.req("GET", "/api/v1/teams").json["data"]],
                         ["Chunked"])

    def test_expect_continue_is_refused_before_the_body(self):
        head = ("POST /api/v1/users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: 30000\r\n"
                "Expect: 100-continue\r\n\r\n" % self.admin).encode()
        data = self.raw_exchange(head)
        self.assertTrue(data.startswith(b"HTTP/1.1 413"), data[:200])
        self.assertNotIn(b"100 Continue", data)
        # Within the limit, the client is told to go on.
        body = b'{"name":"Expected"}'
        head = ("POST /api/v1/teams HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n"
                "Expect: 100-continue\r\n\r\n" % (self.admin, len(body))).encode()
        s = socket.create_connection(("127.0.0.1", self.h.port), timeout=10)
        try:
            s.sendall(head)
            first = s.recv(1000)
            self.assertTrue(first.startswith(b"HTTP/1.1 100"), first)
            s.sendall(body)
            data = b""
            while not data.rstrip().endswith(b"}"):
                got = s.recv(65536)
                if not got:
                    break
                data += got
            self.assertIn(b"HTTP/1.1 201", data)
        finally:
            s.close()

    def test_wrong_method_is_405_with_allow(self):
        cases = {
            ("DELETE", "/api/v1/users"): {"GET", "POST"},
            ("PUT", "/api/v1/users/1"): {"GET", "PATCH", "DELETE"},
            ("POST", "/api/v1/users/1"): {"GET", "PATCH", "DELETE"},
            ("POST", "/api/v1/me"): {"GET", "PATCH"},
            ("GET", "/api/v1/teams/1/members/1"): {"PUT", "DELETE"},
            ("PATCH", "/healthz"): {"GET"},
            ("PUT", "/api/v1/session"): {"POST", "GET", "DELETE"},
            ("PATCH", "/api/v1/tokens"): {"GET", "POST"},
            ("GET", "/api/v1/tokens/1"): {"DELETE"},
        }
        for (method, path), allow in cases.items():
            for tok in (self.admin, None):
                r = self.h.request(method, path, token=tok)
                self.assertError(r, 405, "method_not_allowed",
                                 "%s is not allowed here (allowed: %s)" % (method, r.header("Allow")))
                got = {m.strip() for m in (r.header("Allow") or "").split(",")}
                self.assertEqual(got, allow, (method, path))
        self.assertEqual(self.emails(), ["admin@example.com"])

    def test_unknown_paths_are_404_json(self):
        # Paths outside /api are the web app's (test_web_static.py): "/" and
        # "/API/V1/USERS" are pages of it, not API errors.
        for path in ["/api/v1/nope", "/api/v2/users", "/api/v1/users/1/extra", "/api/v1/users/",
                     "/api/v1", "/api/v1/", "/api", "/api/", "/api/v1/teams/1/members",
                     "/api/V1/USERS", "/api/v1/people/1/", "/api//v1/users"]:
            for tok in (self.admin, None):
                for method in ("GET", "POST"):
                    r = self.h.request(method, path, token=tok)
                    self.assertError(r, 404, "not_found", "no such resource")


if __name__ == "__main__":
    harness.main()
