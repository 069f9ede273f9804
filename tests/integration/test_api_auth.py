"""Authentication and authorisation over the REST API: bearer tokens, browser
sessions with CSRF, sign-in limits, deactivation, role checks on every route,
the tokens API, and no secrets in the server log."""
import json
import os
import re
import sqlite3
import time

import harness
import pg
from apitest import ApiCase, DataTemplate, SANITIZER_MARKS
from harness import Hail

ADMIN_PW = "correct horse battery"  # harness.Hail.admin_token's password
REP_PW = "rep-password-123"
MGR_PW = "mgr-password-456"

# Every AUTH_ADMIN route of src/api/routes.c. The test also derives the set
# from docs/openapi.json ("(admin)" in the summary) and insists both agree.
ADMIN_ROUTES = {
    ("GET", "/api/v1/users"),
    ("POST", "/api/v1/users"),
    ("GET", "/api/v1/users/{id}"),
    ("PATCH", "/api/v1/users/{id}"),
    ("DELETE", "/api/v1/users/{id}"),
    ("GET", "/api/v1/teams"),
    ("POST", "/api/v1/teams"),
    ("GET", "/api/v1/teams/{id}"),
    ("PATCH", "/api/v1/teams/{id}"),
    ("DELETE", "/api/v1/teams/{id}"),
    ("PUT", "/api/v1/teams/{id}/members/{user_id}"),
    ("DELETE", "/api/v1/teams/{id}/members/{user_id}"),
    ("POST", "/api/v1/sync/marketo"),
    ("POST", "/api/v1/people/{id}/resubscribe"),
    # delivery (channels, blocked domains)
    ("POST", "/api/v1/channels"),
    ("PATCH", "/api/v1/channels/{id}"),
    ("DELETE", "/api/v1/channels/{id}"),
    ("POST", "/api/v1/channels/{id}/test"),
    ("POST", "/api/v1/blocked-domains"),
    ("DELETE", "/api/v1/blocked-domains/{domain}"),
    ("PUT", "/api/v1/holidays/{day}"),
    ("DELETE", "/api/v1/holidays/{day}"),
    # the mail settings (api/emails.c)
    ("GET", "/api/v1/mail/settings"),
    ("PUT", "/api/v1/mail/settings"),
    # calls (issue 9, E: api/calls.c)
    ("PUT", "/api/v1/calls/settings"),
    ("POST", "/api/v1/call-outcomes"),
    ("PATCH", "/api/v1/call-outcomes/{id}"),
    ("DELETE", "/api/v1/call-outcomes/{id}"),
    ("POST", "/api/v1/call-reasons"),
    ("PATCH", "/api/v1/call-reasons/{id}"),
    ("DELETE", "/api/v1/call-reasons/{id}"),
    ("POST", "/api/v1/caller-ids"),
    ("PATCH", "/api/v1/caller-ids/{id}"),
    ("DELETE", "/api/v1/caller-ids/{id}"),
    # the embeddable panel's allowlist (issue 10, P: api/panel.c)
    ("GET", "/api/v1/settings/panel"),
    ("PUT", "/api/v1/settings/panel"),
    # Admin -> Integrations (issue 11: api/integrations.c)
    ("GET", "/api/v1/integrations"),
    ("GET", "/api/v1/integrations/settings"),
    ("PUT", "/api/v1/integrations/settings"),
    ("GET", "/api/v1/integrations/{name}/skips"),
    ("POST", "/api/v1/integrations/{name}/retry"),
}
ANON_ROUTES = {
    ("GET", "/healthz"),
    ("GET", "/api/v1/openapi.json"),
    ("POST", "/api/v1/session"),
    # recipients' links: the token in the path is the credential (test_tracking, test_unsubscribe)
    ("GET", "/t/o/{token}"),
    ("GET", "/t/c/{token}"),
    ("GET", "/u/{token}"),
    ("POST", "/u/{token}"),
    # the dialer's webhook: its HMAC signature is the credential (test_dialer)
    ("POST", "/api/v1/dialer/events"),
}


def openapi_routes():
    with open(os.path.join(harness.SRC, "docs", "openapi.json")) as f:
        doc = json.load(f)
    routes = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if not isinstance(op, dict) or method.startswith("x-"):
                continue
            anon = op.get("security") == []
            admin = "(admin)" in op.get("summary", "")
            BODY[(method.upper(), path)] = "requestBody" in op
            routes.append((method.upper(), path, anon, admin))
    return routes


BODY = {}  # (method, path) -> whether the operation takes a JSON body


def concrete(path, uid=1, tid=1):
    return path.replace("{id}", str(tid)).replace("{user_id}", str(uid))


def body_for(method, path):
    """An empty JSON object for operations that take a body, else nothing."""
    return {} if BODY.get((method, path)) else None


def build(h):
    admin = h.admin_token()
    h.add_user("rep@example.com", "Rep One", "rep", password=REP_PW)
    h.add_user("mgr@example.com", "Mia Manager", "manager", password=MGR_PW, team="East")
    h.add_user("nopw@example.com", "No Password", "rep")
    return {"admin": admin, "rep": h.token("rep@example.com"), "mgr": h.token("mgr@example.com")}


TEMPLATE = None


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


def new_hail(env=None):
    """A fresh copy of the template: (hail, admin token, rep token, manager token)."""
    v = TEMPLATE.values
    return TEMPLATE.new(env), v["admin"], v["rep"], v["mgr"]


class BearerTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h, cls.admin, cls.rep, cls.mgr = new_hail()
        cls.h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def test_valid_token_identifies_the_user(self):
        r = self.me(self.h, self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], "admin@example.com")
        self.assertEqual(r.json["role"], "admin")
        r = self.me(self.h, self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], "rep@example.com")
        # The scheme name is case-insensitive (RFC 7235).
        r = self.h.request("GET", "/api/v1/me", headers={"Authorization": "bearer " + self.rep})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], "rep@example.com")

    def test_garbage_tokens_are_401(self):
        for tok in ["garbage", "hail_" + "A" * 43, self.rep[:-1], self.rep + "x", "x" * 500, ""]:
            r = self.h.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + tok})
            self.assertError(r, 401, "unauthorized", "invalid or revoked API token")
            self.assertEqual(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"', tok)

    def test_wrong_scheme_is_401(self):
        for value in ["Basic cmVwQGV4YW1wbGUuY29tOnJlcC1wYXNzd29yZC0xMjM=", "Token " + self.rep,
                      self.rep, "Bearer" + self.rep]:
            r = self.h.request("GET", "/api/v1/me", headers={"Authorization": value})
            self.assertError(r, 401, "unauthorized", "use 'Authorization: Bearer <token>'")
            self.assertEqual(r.header("WWW-Authenticate"), "Bearer", value)

    def test_revoke_by_text_with_cli(self):
        tok = self.h.token("rep@example.com")
        self.assertEqual(self.me(self.h, tok).status, 200)
        p = self.h.run("token", "revoke", "-", input=tok + "\n")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "revoked\n", ""))
        r = self.me(self.h, tok)
        self.assertError(r, 401, "unauthorized", "invalid or revoked API token")
        self.assertEqual(r.header("WWW-Authenticate"), 'Bearer error="invalid_token"')
        # The user's other token is untouched; revoking twice is an error.
        self.assertEqual(self.me(self.h, self.rep).status, 200)
        p = self.h.run("token", "revoke", input=tok + "\n")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (1, "", "hail: no such active token\n"))

    def test_revoke_by_id_with_cli(self):
        tok = self.h.token("rep@example.com")
        listing = self.h.request("GET", "/api/v1/tokens", token=tok)
        self.assertEqual(listing.status, 200, listing)
        ids = [t["id"] for t in listing.json["data"] if tok.startswith(t["prefix"])]
        self.assertEqual(len(ids), 1, listing.json)
        p = self.h.run("token", "revoke", "--id", str(ids[0]))
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertError(self.me(self.h, tok), 401, "unauthorized", "invalid or revoked API token")
        self.assertEqual(self.me(self.h, self.rep).status, 200)
        p = self.h.run("token", "revoke", "--id", "999999")
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (1, "", "hail: no active token with id 999999\n"))

    def test_me(self):
        r = self.me(self.h, self.rep)
        self.assertEqual(r.status, 200, r)
        u = r.json
        for k in ("id", "email", "name", "role", "active", "has_password", "teams", "created_at"):
            self.assertIn(k, u)
        self.assertEqual((u["email"], u["name"], u["role"], u["active"], u["has_password"]),
                         ("rep@example.com", "Rep One", "rep", True, True))
        r = self.h.request("GET", "/api/v1/me", token=self.mgr)
        self.assertEqual(r.json["role"], "manager")
        self.assertEqual([t["name"] for t in r.json["teams"]], ["East"])
        r = self.h.request("GET", "/api/v1/me", token=self.h.token("nopw@example.com"))
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["has_password"])
        self.assertNotIn("password", json.dumps(r.json).replace("has_password", ""))

    def test_session_endpoint_is_for_cookies_only(self):
        r = self.h.request("GET", "/api/v1/session", token=self.rep)
        self.assertError(r, 404, "not_found", "token callers have no session")
        r = self.h.request("DELETE", "/api/v1/session", token=self.rep)
        self.assertError(r, 404, "not_found", "token callers have no session")
        self.assertEqual(self.me(self.h, self.rep).status, 200)


class SessionTest(ApiCase):
    def setUp(self):
        self.h, self.admin, self.rep, self.mgr = new_hail()
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def test_login_sets_a_strict_httponly_cookie(self):
        r = self.login(self.h, "rep@example.com", REP_PW)
        self.assertEqual(r.status, 201, r)
        sc = r.header("Set-Cookie")
        self.assertTrue(sc and sc.startswith("hail_session="), r.headers)
        attrs = [a.strip().lower() for a in sc.split(";")[1:]]
        self.assertIn("httponly", attrs)
        self.assertIn("samesite=strict", attrs)
        self.assertIn("path=/", attrs)
        self.assertTrue(len(sc.split(";")[0]) > len("hail_session=") + 20, sc)
        self.assertTrue(r.json["csrf_token"])
        self.assertEqual(r.json["user"]["email"], "rep@example.com")
        self.assertIn("expires_at", r.json)
        # The session is not the CSRF token and not derived from the password.
        cookie = sc.split(";")[0].split("=", 1)[1]
        self.assertNotEqual(cookie, r.json["csrf_token"])
        self.assertNotIn(REP_PW, sc + r.body)
        # Email is matched case-insensitively.
        self.assertEqual(self.login(self.h, "REP@Example.com", REP_PW).status, 201)

    def test_cookie_auth_on_safe_methods(self):
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        r = self.cookie_req(self.h, "GET", "/api/v1/me", cookie)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], "rep@example.com")
        r = self.cookie_req(self.h, "GET", "/api/v1/session", cookie)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["csrf_token"], csrf)
        self.assertEqual(r.json["user"]["email"], "rep@example.com")
        r = self.cookie_req(self.h, "GET", "/api/v1/people", cookie)
        self.assertEqual(r.status, 200, r)
        # Another user's session is another user.
        c2, _ = self.session(self.h, "admin@example.com", ADMIN_PW)
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", c2).json["email"],
                         "admin@example.com")
        # A made-up cookie is refused.
        r = self.cookie_req(self.h, "GET", "/api/v1/me", cookie[:-2] + "xx")
        self.assertError(r, 401, "unauthorized", "session expired or signed out")

    def test_expired_session_is_refused(self):
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        fresh, _ = self.session(self.h, "mgr@example.com", MGR_PW)
        # Other cookies alongside do not confuse it.
        r = self.h.request("GET", "/api/v1/me",
                           headers={"Cookie": "theme=dark; hail_session=%s; lang=en" % cookie})
        self.assertEqual(r.status, 200, r)
        n = self.h.sql("UPDATE sessions SET expires_at = 1000000 WHERE user_id ="
                       " (SELECT id FROM users WHERE email = 'rep@example.com')").rowcount
        self.assertEqual(n, 1)
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")
        self.assertError(self.cookie_req(self.h, "POST", "/api/v1/tokens", cookie, csrf, {}),
                         401, "unauthorized", "session expired or signed out")
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", fresh).status, 200)

    def test_secure_cookie_when_configured(self):
        r = self.login(self.h, "rep@example.com", REP_PW)
        self.assertNotIn("secure", [a.strip().lower() for a in r.header("Set-Cookie").split(";")])
        self.h.stop()
        self.h.start(env={"HAIL_COOKIE_SECURE": "1"})
        r = self.login(self.h, "rep@example.com", REP_PW)
        self.assertEqual(r.status, 201, r)
        attrs = [a.strip().lower() for a in r.header("Set-Cookie").split(";")]
        self.assertIn("secure", attrs)
        self.assertIn("httponly", attrs)

    def test_unsafe_methods_need_the_csrf_header(self):
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        other_cookie, other_csrf = self.session(self.h, "admin@example.com", ADMIN_PW)
        self.assertNotEqual(csrf, other_csrf)
        for bad in [None, "", "wrong", csrf[:-1], csrf + "x", other_csrf]:
            r = self.cookie_req(self.h, "POST", "/api/v1/tokens", cookie, bad, {"name": "t"})
            self.assertError(r, 403, "csrf", "missing or wrong X-CSRF-Token header")
            r = self.cookie_req(self.h, "DELETE", "/api/v1/session", cookie, bad)
            self.assertError(r, 403, "csrf", "missing or wrong X-CSRF-Token header")
        # None of those created a token or signed out.
        r = self.cookie_req(self.h, "GET", "/api/v1/tokens", cookie)
        self.assertEqual(r.status, 200, r)
        self.assertEqual([t["name"] for t in r.json["data"]], [None])  # just the CLI's token
        r = self.cookie_req(self.h, "POST", "/api/v1/tokens", cookie, csrf, {"name": "t"})
        self.assertEqual(r.status, 201, r)
        self.assertEqual(self.me(self.h, r.json["token"]).json["email"], "rep@example.com")
        # An admin's session with its header can do admin writes.
        r = self.cookie_req(self.h, "POST", "/api/v1/teams", other_cookie, other_csrf,
                            {"name": "West"})
        self.assertEqual(r.status, 201, r)
        r = self.cookie_req(self.h, "POST", "/api/v1/teams", other_cookie, None, {"name": "North"})
        self.assertError(r, 403, "csrf", "missing or wrong X-CSRF-Token header")
        self.assertEqual([t["name"] for t in
                          self.h.request("GET", "/api/v1/teams", token=self.admin).json["data"]],
                         ["East", "West"])

    def test_logout_invalidates_the_cookie(self):
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        other, _ = self.session(self.h, "rep@example.com", REP_PW)
        r = self.cookie_req(self.h, "DELETE", "/api/v1/session", cookie, csrf)
        self.assertEqual(r.status, 204, r)
        sc = r.header("Set-Cookie") or ""
        self.assertTrue(sc.startswith("hail_session=;") or "max-age=0" in sc.lower(), sc)
        for method, path in [("GET", "/api/v1/me"), ("GET", "/api/v1/session")]:
            self.assertError(self.cookie_req(self.h, method, path, cookie),
                             401, "unauthorized", "session expired or signed out")
        self.assertError(self.cookie_req(self.h, "DELETE", "/api/v1/session", cookie, csrf),
                         401, "unauthorized", "session expired or signed out")
        # Signing out one browser leaves the user's other session alone.
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", other).status, 200)

    def test_wrong_password_and_unknown_email_look_the_same(self):
        a = self.login(self.h, "rep@example.com", "not-the-password")
        b = self.login(self.h, "nobody@example.com", "not-the-password")
        c = self.login(self.h, "nopw@example.com", "")
        d = self.login(self.h, "nopw@example.com", "anything-at-all")
        for r in (a, b, c, d):
            self.assertError(r, 401, "unauthorized", "wrong email or password")
            self.assertIsNone(r.header("Set-Cookie"))
        self.assertEqual(a.json, b.json)
        self.assertEqual(a.json, d.json)
        self.assertNotIn("nobody", b.body)

    def test_login_input_errors(self):
        for body, msg in [({}, "email is required"),
                          ({"email": "rep@example.com"}, "password is required"),
                          ({"password": REP_PW}, "email is required"),
                          ({"email": 5, "password": REP_PW}, "email must be a string, not a number"),
                          ({"email": "rep@example.com", "password": None},
                           "password must be a string, not null")]:
            self.assertError(self.h.request("POST", "/api/v1/session", body),
                             400, "bad_request", msg)
        self.assertError(self.h.request("POST", "/api/v1/session", raw=b"{nope",
                                        headers={"Content-Type": "application/json"}),
                         400, "bad_request",
                         "invalid JSON at line 1 column 5: string or '}' expected near 'nope'")

    def test_user_without_password_cannot_log_in(self):
        r = self.login(self.h, "nopw@example.com", "")
        self.assertError(r, 401, "unauthorized", "wrong email or password")
        r = self.login(self.h, "nopw@example.com", "some password")
        self.assertError(r, 401, "unauthorized", "wrong email or password")
        # ...but can use an API token.
        tok = self.h.token("nopw@example.com")
        self.assertEqual(self.me(self.h, tok).status, 200)

    def test_deactivated_users_lose_tokens_and_sessions(self):
        rep_tok = self.rep
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        mgr_tok = self.mgr
        mgr_cookie, _ = self.session(self.h, "mgr@example.com", MGR_PW)
        rep_id = self.me(self.h, rep_tok).json["id"]
        mgr_id = self.me(self.h, mgr_tok).json["id"]

        r = self.h.request("PATCH", "/api/v1/users/%d" % rep_id, {"active": False}, token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertFalse(r.json["active"])
        self.assertError(self.me(self.h, rep_tok),
                         401, "unauthorized", "invalid or revoked API token")
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")
        self.assertError(self.cookie_req(self.h, "POST", "/api/v1/tokens", cookie, csrf, {}),
                         401, "unauthorized", "session expired or signed out")
        self.assertError(self.login(self.h, "rep@example.com", REP_PW),
                         401, "unauthorized", "wrong email or password")
        p = self.h.run("token", "create", "--email", "rep@example.com")
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (2, "", "hail: user rep@example.com is deactivated\n"))

        # DELETE deactivates the same way.
        r = self.h.request("DELETE", "/api/v1/users/%d" % mgr_id, token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertError(self.me(self.h, mgr_tok),
                         401, "unauthorized", "invalid or revoked API token")
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", mgr_cookie),
                         401, "unauthorized", "session expired or signed out")

        # Reactivated: the password works again; old tokens and sessions stay dead.
        r = self.h.request("PATCH", "/api/v1/users/%d" % rep_id, {"active": True}, token=self.admin)
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.json["active"])
        self.assertError(self.me(self.h, rep_tok),
                         401, "unauthorized", "invalid or revoked API token")
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")
        c2, _ = self.session(self.h, "rep@example.com", REP_PW)
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", c2).status, 200)


class LoginLimitTest(ApiCase):
    def setUp(self):
        self.h, self.admin, self.rep, self.mgr = new_hail()
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def fail_logins(self, email, n):
        for i in range(n):
            r = self.login(self.h, email, "wrong-password-%d" % i)
            self.assertError(r, 401, "unauthorized", "wrong email or password")

    def test_five_failures_lock_the_email(self):
        self.fail_logins("rep@example.com", 5)
        r = self.login(self.h, "rep@example.com", "wrong-again")
        assert_limited(self, r)
        # Even the right password is refused, in any letter case.
        for email in ("rep@example.com", "Rep@Example.COM"):
            r = self.login(self.h, email, REP_PW)
            assert_limited(self, r)
            self.assertIsNone(r.header("Set-Cookie"))
        # Other people are not locked out.
        self.assertEqual(self.login(self.h, "mgr@example.com", MGR_PW).status, 201)
        # A token still works: the limit is on signing in.
        self.assertEqual(self.me(self.h, self.rep).status, 200)

        # Once the window has passed (failures aged by 16 minutes), the password works.
        self.h.sql("UPDATE login_failures SET at = at - ?", 16 * 60 * 1000000)
        r = self.login(self.h, "rep@example.com", REP_PW)
        self.assertEqual(r.status, 201, r)

    def test_case_variants_count_for_the_same_email(self):
        for i, email in enumerate(["rep@example.com", "REP@example.com", "Rep@Example.com",
                                   "rep@EXAMPLE.com", "rEp@example.com"]):
            self.assertError(self.login(self.h, email, "bad-%d" % i),
                             401, "unauthorized", "wrong email or password")
        assert_limited(self, self.login(self.h, "rep@example.com", REP_PW))

    def test_a_success_resets_the_count(self):
        self.fail_logins("rep@example.com", 4)
        self.assertEqual(self.login(self.h, "rep@example.com", REP_PW).status, 201)
        self.fail_logins("rep@example.com", 4)
        self.assertEqual(self.login(self.h, "rep@example.com", REP_PW).status, 201)

    def test_one_client_guessing_many_emails_is_limited(self):
        # 4 failures each on 5 emails: no email reaches its limit, the client does.
        for i in range(5):
            self.fail_logins("guess%d@example.com" % i, 4)
        r = self.login(self.h, "rep@example.com", REP_PW)
        assert_limited(self, r)

    def test_unknown_emails_are_limited_too(self):
        self.fail_logins("ghost@example.com", 5)
        r = self.login(self.h, "ghost@example.com", "x")
        assert_limited(self, r)


class RoleTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.h, cls.admin, cls.rep, cls.mgr = new_hail()
        cls.h.start()

    @classmethod
    def tearDownClass(cls):
        ApiCase("close_checked").close_checked(cls.h)

    def test_route_lists_agree(self):
        routes = openapi_routes()
        self.assertEqual({(m, p) for m, p, _, admin in routes if admin}, ADMIN_ROUTES)
        self.assertEqual({(m, p) for m, p, anon, _ in routes if anon}, ANON_ROUTES)

    def snapshot(self):
        users = self.h.request("GET", "/api/v1/users", token=self.admin)
        teams = self.h.request("GET", "/api/v1/teams", token=self.admin)
        self.assertEqual(users.status, 200, users)
        return users.json, teams.json

    def test_reps_and_managers_get_403_on_admin_routes(self):
        before = self.snapshot()
        admin_id = self.me(self.h, self.admin).json["id"]
        team_id = before[1]["data"][0]["id"]
        admin_routes = [(m, p) for m, p, _, admin in openapi_routes() if admin]
        self.assertGreaterEqual(len(admin_routes), 13)
        for who, tok in (("rep", self.rep), ("manager", self.mgr)):
            for method, path in admin_routes:
                url = concrete(path, uid=admin_id, tid=team_id)
                r = self.h.request(method, url, body_for(method, path), token=tok)
                self.assertError(r, 403, "forbidden", "this needs the admin role")
                self.assertNotIn("admin@example.com", r.body, (who, method, url))
        self.assertEqual(self.snapshot(), before)
        # The same routes work for the admin (no 401/403).
        for method, path in [("GET", "/api/v1/users"), ("GET", "/api/v1/teams"),
                             ("GET", "/api/v1/users/{id}"), ("GET", "/api/v1/teams/{id}")]:
            r = self.h.request(method, concrete(path, admin_id, team_id), token=self.admin)
            self.assertEqual(r.status, 200, (method, path, r))

    def test_reps_can_use_user_routes(self):
        for tok in (self.rep, self.mgr):
            for path in ("/api/v1/me", "/api/v1/tokens", "/api/v1/people"):
                self.assertEqual(self.h.request("GET", path, token=tok).status, 200, path)

    def test_every_non_anonymous_route_needs_credentials(self):
        routes = openapi_routes()
        self.assertGreaterEqual(len(routes), 27)
        for method, path, anon, _ in routes:
            if anon:
                continue
            url = concrete(path)
            for headers in ({}, {"Cookie": "hail_session=not-a-session"}):
                r = self.h.request(method, url, body_for(method, path), headers=headers)
                self.assertError(r, 401, "unauthorized", "session expired or signed out"
                                 if headers else "authentication required")
                if not headers:
                    self.assertEqual(r.header("WWW-Authenticate"), "Bearer", (method, url))
        # The anonymous ones answer without credentials.
        r = self.h.request("GET", "/healthz")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ok")
        r = self.h.request("GET", "/api/v1/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertIn("/api/v1/people", r.json["paths"])


class TokensApiTest(ApiCase):
    def setUp(self):
        self.h, self.admin, self.rep, self.mgr = new_hail()
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def tokens(self, tok, query=""):
        r = self.h.request("GET", "/api/v1/tokens" + query, token=tok)
        self.assertEqual(r.status, 200, r)
        return r.json["data"]

    def test_create_list_revoke_own(self):
        r = self.h.request("POST", "/api/v1/tokens", {"name": "laptop"}, token=self.rep)
        self.assertEqual(r.status, 201, r)
        new = r.json
        self.assertTrue(re.fullmatch(r"hail_[A-Za-z0-9_-]{43}", new["token"]), new)
        self.assertEqual(new["name"], "laptop")
        self.assertEqual(self.me(self.h, new["token"]).json["email"], "rep@example.com")
        r = self.h.request("POST", "/api/v1/tokens", token=self.rep)  # no body: unnamed
        self.assertEqual(r.status, 201, r)
        unnamed = r.json

        listing = self.h.request("GET", "/api/v1/tokens", token=self.rep)
        self.assertNotIn(new["token"], listing.body)
        self.assertNotIn(unnamed["token"], listing.body)
        self.assertNotIn(self.rep, listing.body)
        data = listing.json["data"]
        self.assertEqual(len(data), 3)
        self.assertTrue(all(t["email"] == "rep@example.com" for t in data))
        by_id = {t["id"]: t for t in data}
        self.assertEqual(by_id[new["id"]]["name"], "laptop")
        self.assertTrue(new["token"].startswith(by_id[new["id"]]["prefix"]))
        self.assertLess(len(by_id[new["id"]]["prefix"]), 20)
        self.assertIsNone(by_id[new["id"]]["revoked_at"])
        # ?all=true is for admins only: a rep is told so, not silently narrowed.
        r = self.h.request("GET", "/api/v1/tokens?all=true", token=self.rep)
        self.assertError(r, 403, "forbidden", "all=true needs the admin role")

        r = self.h.request("DELETE", "/api/v1/tokens/%d" % new["id"], token=self.rep)
        self.assertEqual(r.status, 204, r)
        self.assertError(self.me(self.h, new["token"]),
                         401, "unauthorized", "invalid or revoked API token")
        self.assertEqual(self.me(self.h, unnamed["token"]).status, 200)
        # Revoked tokens are listed only on request.
        self.assertNotIn(new["id"], {t["id"] for t in self.tokens(self.rep)})
        revoked = {t["id"]: t for t in self.tokens(self.rep, "?include_revoked=true")}[new["id"]]
        self.assertIsNotNone(revoked["revoked_at"])
        self.assertError(self.h.request("DELETE", "/api/v1/tokens/%d" % new["id"], token=self.rep),
                         404, "not_found", "no active token with id %d" % new["id"])
        # A user can revoke the very token they are calling with.
        own_id = [t["id"] for t in self.tokens(self.rep) if self.rep.startswith(t["prefix"])][0]
        r = self.h.request("DELETE", "/api/v1/tokens/%d" % own_id, token=self.rep)
        self.assertEqual(r.status, 204, r)
        self.assertError(self.me(self.h, self.rep),
                         401, "unauthorized", "invalid or revoked API token")

    def test_cannot_revoke_someone_elses(self):
        mgr_ids = [t["id"] for t in self.tokens(self.mgr)]
        admin_ids = [t["id"] for t in self.tokens(self.admin)]
        for tid in mgr_ids + admin_ids + [99999]:
            r = self.h.request("DELETE", "/api/v1/tokens/%d" % tid, token=self.rep)
            self.assertError(r, 404, "not_found", "no active token with id %d" % tid)
        self.assertEqual(self.me(self.h, self.mgr).status, 200)
        self.assertEqual(self.me(self.h, self.admin).status, 200)
        # The rep does not see them either.
        self.assertFalse(set(mgr_ids + admin_ids) & {t["id"] for t in self.tokens(self.rep)})

    def test_admin_sees_and_revokes_anyones(self):
        everyone = self.tokens(self.admin, "?all=true")
        self.assertEqual({t["email"] for t in everyone},
                         {"admin@example.com", "rep@example.com", "mgr@example.com"})
        self.assertEqual({t["email"] for t in self.tokens(self.admin)}, {"admin@example.com"})
        rep_id = [t["id"] for t in everyone if t["email"] == "rep@example.com"][0]
        r = self.h.request("DELETE", "/api/v1/tokens/%d" % rep_id, token=self.admin)
        self.assertEqual(r.status, 204, r)
        self.assertError(self.me(self.h, self.rep),
                         401, "unauthorized", "invalid or revoked API token")
        self.assertEqual(self.me(self.h, self.mgr).status, 200)

    def test_bad_input(self):
        for body, msg in [({"name": 5}, "name must be a string, not a number"),
                          ({"name": "x" * 101}, "name must be 1 to 100 characters, not 101"),
                          ({"name": ["a"]}, "name must be a string, not an array")]:
            self.assertError(self.h.request("POST", "/api/v1/tokens", body, token=self.rep),
                             400, "bad_request", msg)
        self.assertError(self.h.request("POST", "/api/v1/tokens", raw=b"[1]", token=self.rep,
                                        headers={"Content-Type": "application/json"}),
                         400, "bad_request", "the body must be a JSON object")
        self.assertError(self.h.request("DELETE", "/api/v1/tokens/abc", token=self.rep),
                         404, "not_found", "no such id: abc")
        self.assertEqual(len(self.tokens(self.rep)), 1)


class LogSecretsTest(ApiCase):
    """Whatever a client sends or receives as a secret never reaches the log."""

    def test_no_secrets_in_the_server_log(self):
        h, admin, rep, _ = new_hail(env={"HAIL_LOG_LEVEL": "debug"})
        try:
            h.start()
            secrets = [ADMIN_PW, REP_PW, MGR_PW, admin, rep]
            cookie, csrf = self.session(h, "rep@example.com", REP_PW)
            secrets += [cookie, csrf]
            r = self.cookie_req(h, "POST", "/api/v1/tokens", cookie, csrf, {"name": "n"})
            self.assertEqual(r.status, 201, r)
            secrets.append(r.json["token"])
            r = h.request("POST", "/api/v1/tokens", {}, token=admin)
            secrets.append(r.json["token"])
            self.assertEqual(self.me(h, r.json["token"]).status, 200)
            # Failures must not log what was offered either.
            self.login(h, "rep@example.com", "Wrong-Secret-Pw-1")
            self.login(h, "nobody@example.com", "Wrong-Secret-Pw-2")
            secrets += ["Wrong-Secret-Pw-1", "Wrong-Secret-Pw-2"]
            self.cookie_req(h, "POST", "/api/v1/tokens", cookie, "Wrong-Csrf-Secret", {})
            secrets.append("Wrong-Csrf-Secret")
            h.request("GET", "/api/v1/me", headers={"Authorization": "Bearer hail_Guessed-Secret"})
            secrets.append("hail_Guessed-Secret")
            r = h.request("POST", "/api/v1/users", {"email": "new@example.com", "name": "N",
                                                     "role": "rep", "password": "New-User-Secret"},
                          token=admin)
            self.assertEqual(r.status, 201, r)
            secrets.append("New-User-Secret")
            uid = r.json["id"]
            r = h.request("PATCH", "/api/v1/users/%d" % uid, {"password": "Changed-Secret-9"},
                          token=admin)
            self.assertEqual(r.status, 200, r)
            secrets.append("Changed-Secret-9")
            self.assertEqual(self.cookie_req(h, "DELETE", "/api/v1/session", cookie, csrf).status,
                             204)
            # Oversized and malformed requests (logged by the HTTP layer, if at all).
            h.request("POST", "/api/v1/session", raw=b'{"password":"Big-Secret-Body' + b"x" * 5000 + b'"}',
                      headers={"Content-Type": "application/json"})
            secrets.append("Big-Secret-Body")
        finally:
            rc = h.stop()
            with open(h.log_path, "rb") as f:
                log = f.read().decode("utf-8", "replace")
            h.close()
        self.assertEqual(rc, 0, log[-3000:])
        self.assertIn("/api/v1/session", log)  # the access log is on at this level
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, log)
        for s in secrets:
            self.assertNotIn(s, log)
        # Not even a recognisable prefix of the random secrets.
        for s in secrets[3:]:
            if len(s) > 30:
                self.assertNotIn(s[-20:], log)


def assert_error_msg(case, r, status, code, message):
    """The whole error: status, code and the full message text."""
    case.assertError(r, status, code, message)


def assert_limited(case, r):
    """A 429 for too many failed sign-ins: the message names the wait that
    Retry-After gives (whole seconds, at most the 15-minute window)."""
    ra = r.header("Retry-After") or ""
    case.assertTrue(ra.isdigit() and 1 <= int(ra) <= 15 * 60 + 1, r.headers)
    case.assertError(r, 429, "rate_limited", "too many failed sign-ins; try again in %s s" % ra)


def set_db(h, sql, *args):
    return h.sql(sql, *args).rowcount


def query_db(h, sql, *args):
    return list(h.sql(sql, *args))


class TrustedProxyTest(ApiCase):
    """HAIL_TRUSTED_PROXIES: sign-in limits count per real client behind a
    proxy, X-Forwarded-For counts only from a trusted peer, and from the
    right (what the client wrote itself proves nothing)."""

    def tearDown(self):
        self.close_checked(self.h)

    def login_from(self, email, password, xff):
        return self.h.request("POST", "/api/v1/session", {"email": email, "password": password},
                              headers={"X-Forwarded-For": xff} if xff is not None else None)

    def fail_from(self, xff, n_emails=5, per_email=4):
        for i in range(n_emails):
            for j in range(per_email):
                r = self.login_from("guess%d@example.com" % i, "bad-%d" % j, xff)
                assert_error_msg(self, r, 401, "unauthorized", "wrong email or password")

    def assertLimited(self, r):
        assert_limited(self, r)

    def test_behind_a_trusted_proxy_one_client_does_not_lock_out_the_others(self):
        self.h, _, _, _ = new_hail({"HAIL_TRUSTED_PROXIES": "10.1.2.3, 127.0.0.0/8 ,::1"})
        self.h.start()
        # 20 typos by one client behind the proxy limit that client only.
        self.fail_from("203.0.113.7")
        self.assertLimited(self.login_from("rep@example.com", REP_PW, "203.0.113.7"))
        r = self.login_from("rep@example.com", REP_PW, "198.51.100.9")
        self.assertEqual(r.status, 201, r)
        # The client cannot escape by writing addresses of its own to the left
        # of what the proxy appended, nor through a chain of trusted hops.
        for xff in ("198.51.100.10, 203.0.113.7", "unknown, 203.0.113.7",
                    "203.0.113.7, 127.0.0.9", "198.51.100.11,203.0.113.7 , 10.1.2.3, 127.0.0.1"):
            self.assertLimited(self.login_from("mgr@example.com", MGR_PW, xff))
        # Ports and bracketed IPv6, as some proxies write them, name the same client.
        self.assertLimited(self.login_from("mgr@example.com", MGR_PW, "203.0.113.7:4711"))
        # Without the header, the proxy itself is the client.
        self.assertEqual(self.login_from("mgr@example.com", MGR_PW, None).status, 201)
        # Failures keyed per client address, not per proxy:
        rows = dict(query_db(self.h, "SELECT key, count(*) FROM login_failures"
                                     " WHERE key LIKE 'client:%' GROUP BY key"))
        self.assertEqual(rows, {"client:203.0.113.7": 20})

    def test_ipv6_clients_count_by_their_64(self):
        self.h, _, _, _ = new_hail({"HAIL_TRUSTED_PROXIES": "127.0.0.1"})
        self.h.start()
        # One subscriber's /64 is one client, however it varies the rest.
        for i in range(5):
            for j in range(4):
                r = self.login_from("guess%d@example.com" % i, "bad", "2001:db8:1:2::%x" % (i * 4 + j + 1))
                self.assertError(r, 401, "unauthorized", "wrong email or password")
        self.assertLimited(self.login_from("rep@example.com", REP_PW, "[2001:db8:1:2:ffff::1]:443"))
        r = self.login_from("rep@example.com", REP_PW, "2001:db8:1:3::1")
        self.assertEqual(r.status, 201, r)

    def test_forwarded_for_is_ignored_from_an_untrusted_peer(self):
        self.h, _, _, _ = new_hail()
        self.h.start()
        # Anyone may send the header: without HAIL_TRUSTED_PROXIES it means nothing.
        for i in range(5):
            for j in range(4):
                r = self.login_from("guess%d@example.com" % i, "bad", "198.51.100.%d" % (i * 4 + j))
                self.assertError(r, 401, "unauthorized", "wrong email or password")
        self.assertLimited(self.login_from("rep@example.com", REP_PW, "192.0.2.200"))
        self.assertLimited(self.login_from("rep@example.com", REP_PW, None))

    def test_forwarded_for_is_ignored_when_the_peer_is_not_in_the_list(self):
        self.h, _, _, _ = new_hail({"HAIL_TRUSTED_PROXIES": "10.0.0.0/8,fd00::/8"})
        self.h.start()
        self.fail_from("198.51.100.1")
        self.assertLimited(self.login_from("rep@example.com", REP_PW, "192.0.2.200"))

    def test_a_bad_list_stops_serve_before_it_listens(self):
        self.h = Hail(env={"HAIL_LOG_LEVEL": "info"})
        hint = ("(give a comma-separated list like 10.0.0.1,192.168.0.0/16,fd00::/8)")
        for value, shown in [("nonsense", "nonsense"), ("10.0.0.0/33", "10.0.0.0/33"),
                             ("10.0.0.1,", ""), ("10.0.0.1,,10.0.0.2", ""),
                             ("fd00::/129", "fd00::/129"), ("10.0.0.0/x", "10.0.0.0/x"),
                             ("10.0.0.0/", "10.0.0.0/"), ("10.0.0.1 10.0.0.2", "10.0.0.1 10.0.0.2"),
                             ("example.com", "example.com"), ("10.0.0.1:8080", "10.0.0.1:8080"),
                             ("10.0.0.\x1b[2J", "10.0.0.?[2J")]:
            p = self.h.run("serve", "--listen", "127.0.0.1:%d" % harness.free_port(),
                           env={"HAIL_TRUSTED_PROXIES": value}, timeout=30)
            self.assertEqual(p.returncode, 2, (value, p.stderr))
            self.assertEqual(p.stderr, "hail: HAIL_TRUSTED_PROXIES: '%s' is not an IP address or "
                                       "network %s\n" % (shown, hint), value)
            self.assertNotIn("listening on", p.stdout + p.stderr)
        # Help names the variable.
        for args in (["--help"], ["serve", "--help"]):
            self.assertIn("HAIL_TRUSTED_PROXIES", self.h.run(*args).stdout, args)
        # Good lists (and blank) start.
        for value in ("127.0.0.1", " 10.0.0.0/8 , 192.168.1.1/32,::1,fd00::/8,::ffff:10.0.0.0/104",
                      ""):
            self.h.start(env={"HAIL_TRUSTED_PROXIES": value})
            self.assertEqual(self.h.stop(), 0, value)


class LoginRaceTest(ApiCase):
    def tearDown(self):
        self.close_checked(self.h)

    def test_concurrent_wrong_passwords_get_exactly_the_limit(self):
        import threading
        self.h, _, _, _ = new_hail({"HAIL_THREADS": "16"})
        self.h.start()
        n = 40
        barrier = threading.Barrier(n)
        results = [None] * n

        def attempt(i):
            barrier.wait()
            try:
                # A 503 (the database stayed busy with the other sign-ins on a
                # loaded box) is "ask again" (sooner than Retry-After here, to
                # keep the test short); the attempt then counts like any other.
                for _ in range(20):
                    r = self.login(self.h, "rep@example.com", "wrong-password-%d" % i)
                    if r.status != 503:
                        break
                    self.assertEqual(r.json["error"]["message"],
                                     "the database is busy; try again in a moment")
                    self.assertEqual(r.header("Retry-After"), "1")
                    time.sleep(0.05)
                results[i] = (r.status, r.json["error"]["message"] if r.json else r.body)
            except Exception as e:  # noqa: BLE001 - reported below
                results[i] = ("exception", repr(e))

        threads = [threading.Thread(target=attempt, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        statuses = sorted(s for s, _ in results)
        # A 401 is a real password check; everything past the limit is 429.
        self.assertEqual(statuses.count(401), 5, results)
        self.assertEqual(statuses.count(429), n - 5, results)
        for status, msg in results:
            if status == 401:
                self.assertEqual(msg, "wrong email or password")
            else:
                self.assertRegex(msg, r"^too many failed sign-ins; try again in [0-9]+ s$")
        rows = query_db(self.h, "SELECT key, count(*) FROM login_failures GROUP BY key ORDER BY key")
        self.assertEqual(rows, [("client:127.0.0.1", 5), ("email:rep@example.com", 5)])

    def test_success_clears_the_email_count_not_the_address_count(self):
        self.h, _, _, _ = new_hail({"HAIL_TRUSTED_PROXIES": "127.0.0.1"})
        self.h.start()
        a = {"X-Forwarded-For": "203.0.113.7"}
        b = {"X-Forwarded-For": "198.51.100.9"}

        def login(email, pw, hd):
            return self.h.request("POST", "/api/v1/session", {"email": email, "password": pw},
                                  headers=hd)
        # 4 typos on rep's email from A; rep signs in from B: the email's count is gone.
        for i in range(4):
            self.assertError(login("rep@example.com", "typo-%d" % i, a),
                             401, "unauthorized", "wrong email or password")
        self.assertEqual(login("rep@example.com", REP_PW, b).status, 201)
        self.assertEqual(query_db(self.h, "SELECT count(*) FROM login_failures WHERE key ="
                                          " 'email:rep@example.com'"), [(0,)])
        for i in range(4):
            self.assertError(login("rep@example.com", "typo-%d" % i, a),
                             401, "unauthorized", "wrong email or password")
        # A's count stays (8 so far): a success from A does not reset it either,
        # or one valid account would let A guess at others without limit.
        self.assertEqual(login("rep@example.com", REP_PW, a).status, 201)
        self.assertEqual(query_db(self.h, "SELECT count(*) FROM login_failures WHERE key ="
                                          " 'client:203.0.113.7'"), [(8,)])
        for i in range(12):
            self.assertError(login("guess%d@example.com" % (i % 3), "x", a),
                             401, "unauthorized", "wrong email or password")
        assert_limited(self, login("mgr@example.com", MGR_PW, a))
        self.assertEqual(login("mgr@example.com", MGR_PW, b).status, 201)


class SessionCleanupTest(ApiCase):
    def tearDown(self):
        self.close_checked(self.h)

    def test_expired_sessions_are_deleted(self):
        self.h, _, _, _ = new_hail()
        self.h.start()
        old, _ = self.session(self.h, "rep@example.com", REP_PW)
        live, _ = self.session(self.h, "rep@example.com", REP_PW)
        self.assertEqual(query_db(self.h, "SELECT count(*) FROM sessions"), [(2,)])
        n = set_db(self.h, "UPDATE sessions SET expires_at = 1000000 WHERE id ="
                           " (SELECT min(id) FROM sessions)")
        self.assertEqual(n, 1)
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", old),
                         401, "unauthorized", "session expired or signed out")
        # Any sign-in sweeps expired rows (of anyone), a bounded batch at a time.
        self.session(self.h, "mgr@example.com", MGR_PW)
        self.assertEqual(query_db(self.h, "SELECT count(*) FROM sessions WHERE expires_at <= 1000000"),
                         [(0,)])
        self.assertEqual(query_db(self.h, "SELECT count(*) FROM sessions"), [(2,)])
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", live).status, 200)


class TokenLastUsedTest(ApiCase):
    def tearDown(self):
        self.close_checked(self.h)

    def test_last_used_at_is_written_at_most_once_a_minute(self):
        self.h, admin, rep, _ = new_hail()
        self.h.start()
        r = self.h.request("POST", "/api/v1/tokens", {"name": "ci"}, token=rep)
        self.assertEqual(r.status, 201, r)
        tok, tid = r.json["token"], r.json["id"]

        def listed():
            r = self.h.request("GET", "/api/v1/tokens?all=true", token=admin)
            self.assertEqual(r.status, 200, r)
            return {t["id"]: t for t in r.json["data"]}[tid]

        def raw():
            return query_db(self.h, "SELECT last_used_at FROM api_tokens WHERE id = ?", tid)[0][0]

        self.assertIsNone(listed()["last_used_at"])
        self.assertIsNone(raw())
        self.assertEqual(self.me(self.h, tok).status, 200)
        first = raw()
        self.assertIsNotNone(first)
        self.assertRegex(listed()["last_used_at"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        # Used again within the minute: not written again.
        for _ in range(3):
            self.assertEqual(self.me(self.h, tok).status, 200)
        self.assertEqual(raw(), first)
        # A minute later it is.
        set_db(self.h, "UPDATE api_tokens SET last_used_at = last_used_at - 61000000 WHERE id = ?", tid)
        aged = raw()
        self.assertEqual(self.me(self.h, tok).status, 200)
        self.assertGreaterEqual(raw(), first)
        self.assertGreater(raw(), aged)
        # Writing the hint never waits behind another writer: with the write
        # lock held elsewhere (SQLite: the database's; PostgreSQL: the token's
        # row) the request answers at once, and a later one writes.
        set_db(self.h, "UPDATE api_tokens SET last_used_at = last_used_at - 61000000 WHERE id = ?", tid)
        aged = raw()
        if harness.POSTGRES:
            with pg.hold(self.h.db_url, "SELECT id FROM api_tokens WHERE id = %d FOR UPDATE" % tid):
                t0 = time.monotonic()
                self.assertEqual(self.me(self.h, tok).status, 200)
                self.assertLess(time.monotonic() - t0, 5.0)
        else:
            lock = sqlite3.connect(self.h.db_path, timeout=10, isolation_level=None)
            try:
                lock.execute("BEGIN IMMEDIATE")
                t0 = time.monotonic()
                self.assertEqual(self.me(self.h, tok).status, 200)
                self.assertLess(time.monotonic() - t0, 5.0)  # SQLite would wait 10 s
                lock.execute("ROLLBACK")
            finally:
                lock.close()
        self.assertEqual(raw(), aged)
        self.assertEqual(self.me(self.h, tok).status, 200)
        self.assertGreater(raw(), aged)
        # The CLI shows it.
        p = self.h.run("token", "list", "--email", "rep@example.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "EMAIL", "PREFIX", "NAME", "CREATED", "LAST_USED",
                                            "REVOKED"])
        row = [l for l in lines[1:] if l.split()[0] == str(tid)][0].split()
        self.assertEqual(row[3:], ["ci", listed()["created_at"], listed()["last_used_at"], "-"])


class ChangeOwnPasswordTest(ApiCase):
    NEW_PW = "brand-new-password-7"

    def setUp(self):
        self.h, self.admin, self.rep, self.mgr = new_hail()
        self.h.start()

    def tearDown(self):
        self.close_checked(self.h)

    def change(self, body, cookie=None, csrf=None, token=None):
        if cookie:
            return self.cookie_req(self.h, "PATCH", "/api/v1/me", cookie, csrf, body)
        return self.h.request("PATCH", "/api/v1/me", body, token=token)

    def test_change_with_a_session_keeps_it_and_ends_the_others(self):
        cookie, csrf = self.session(self.h, "rep@example.com", REP_PW)
        other, _ = self.session(self.h, "rep@example.com", REP_PW)
        mgr_cookie, _ = self.session(self.h, "mgr@example.com", MGR_PW)
        # CSRF as for every unsafe request made with the cookie.
        r = self.change({"current_password": REP_PW, "password": self.NEW_PW}, cookie)
        assert_error_msg(self, r, 403, "csrf", "missing or wrong X-CSRF-Token header")
        r = self.change({"current_password": REP_PW, "password": self.NEW_PW}, cookie, csrf)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["email"], "rep@example.com")
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", cookie).status, 200)
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", other),
                         401, "unauthorized", "session expired or signed out")
        self.assertEqual(self.cookie_req(self.h, "GET", "/api/v1/me", mgr_cookie).status, 200)
        self.assertEqual(self.me(self.h, self.rep).status, 200)  # API tokens stay
        assert_error_msg(self, self.login(self.h, "rep@example.com", REP_PW), 401, "unauthorized",
                         "wrong email or password")
        self.assertEqual(self.login(self.h, "rep@example.com", self.NEW_PW).status, 201)

    def test_change_with_a_token_ends_every_session(self):
        cookie, _ = self.session(self.h, "rep@example.com", REP_PW)
        r = self.change({"current_password": REP_PW, "password": self.NEW_PW}, token=self.rep)
        self.assertEqual(r.status, 200, r)
        self.assertError(self.cookie_req(self.h, "GET", "/api/v1/me", cookie),
                         401, "unauthorized", "session expired or signed out")
        self.assertEqual(self.login(self.h, "rep@example.com", self.NEW_PW).status, 201)

    def test_bad_requests_change_nothing(self):
        cases = [
            ({"current_password": "not-my-password", "password": self.NEW_PW}, 403, "forbidden",
             "current password is wrong"),
            ({"current_password": REP_PW, "password": "short"}, 400, "bad_request",
             "password must be 8 to 1024 characters, not 5"),
            ({"current_password": REP_PW, "password": "x" * 1025}, 400, "bad_request",
             "password must be 8 to 1024 characters, not 1025"),
            ({"password": self.NEW_PW}, 400, "bad_request", "current_password is required"),
            ({"current_password": REP_PW, "password": None}, 400, "bad_request",
             "password must be a string, not null"),
            ({"current_password": REP_PW, "password": self.NEW_PW, "name": "X"}, 400,
             "bad_request", "unknown member 'name' (allowed: current_password, password or time_zone)"),
        ]
        for body, status, code, msg in cases:
            r = self.change(body, token=self.rep)
            assert_error_msg(self, r, status, code, msg)
        r = self.h.request("PATCH", "/api/v1/me", {"current_password": REP_PW, "password": self.NEW_PW})
        assert_error_msg(self, r, 401, "unauthorized", "authentication required")
        r = self.change({"current_password": "x", "password": self.NEW_PW},
                        token=self.h.token("nopw@example.com"))
        assert_error_msg(self, r, 400, "bad_request", "this account has no password to change; an "
                                                   "admin can set one (hail user passwd)")
        self.assertEqual(self.login(self.h, "rep@example.com", REP_PW).status, 201)

    def test_wrong_current_passwords_are_limited_like_sign_ins(self):
        for i in range(5):
            r = self.change({"current_password": "guess-%d-xx" % i, "password": self.NEW_PW},
                            token=self.rep)
            assert_error_msg(self, r, 403, "forbidden", "current password is wrong")
        r = self.change({"current_password": REP_PW, "password": self.NEW_PW}, token=self.rep)
        assert_limited(self, r)
        assert_limited(self, self.login(self.h, "rep@example.com", REP_PW))


if __name__ == "__main__":
    harness.main()
