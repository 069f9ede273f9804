"""Helpers shared by the API integration tests (not a test file itself)."""
import re
import shutil
import unittest

from harness import Hail

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "SUMMARY: UndefinedBehaviorSanitizer")


class ApiCase(unittest.TestCase):
    def assertError(self, r, status, code=None, message=None):
        """r is the one error shape: {"error":{"code":…,"message":…}} as JSON.
        With code and message, the whole error: message is the full text, or a
        compiled regex that must match all of it (for a variable part)."""
        self.assertEqual(r.status, status, r)
        self.assertEqual((r.header("Content-Type") or "").split(";")[0].strip(),
                         "application/json", r)
        self.assertIsInstance(r.json, dict, r)
        self.assertEqual(set(r.json), {"error"}, r)
        self.assertEqual(set(r.json["error"]), {"code", "message"}, r)
        self.assertIsInstance(r.json["error"]["code"], str, r)
        self.assertIsInstance(r.json["error"]["message"], str, r)
        self.assertTrue(r.json["error"]["code"], r)
        self.assertTrue(r.json["error"]["message"], r)
        if code:
            self.assertEqual(r.json["error"]["code"], code, r)
        if isinstance(message, re.Pattern):
            self.assertTrue(message.fullmatch(r.json["error"]["message"]), (message.pattern, r))
        elif message is not None:
            self.assertEqual(r.json["error"]["message"], message, r)

    def login(self, h, email, password):
        return h.request("POST", "/api/v1/session", {"email": email, "password": password})

    def session(self, h, email, password):
        """Signs in; returns (cookie value, csrf token)."""
        r = self.login(h, email, password)
        self.assertEqual(r.status, 201, r)
        m = re.match(r"hail_session=([^;]+)", r.header("Set-Cookie") or "")
        self.assertTrue(m, r.headers)
        return m.group(1), r.json["csrf_token"]

    def cookie_req(self, h, method, path, cookie, csrf=None, body=None):
        hd = {"Cookie": "hail_session=" + cookie}
        if csrf is not None:
            hd["X-CSRF-Token"] = csrf
        return h.request(method, path, body, headers=hd)

    def me(self, h, token):
        return h.request("GET", "/api/v1/me", token=token)

    def close_checked(self, h):
        """Stops the server (SIGTERM) and removes the data: the server must
        exit 0 without sanitizer reports in its log."""
        if h.proc is None:
            h.close()
            return
        rc = h.stop()
        with open(h.log_path, "rb") as f:
            log = f.read().decode("utf-8", "replace")
        h.close()
        for mark in SANITIZER_MARKS:
            self.assertNotIn(mark, log, log[-3000:])
        self.assertEqual(rc, 0, log[-3000:])


class DataTemplate:
    """A data directory prepared once with the CLI (users, tokens…) and copied
    for each test: every test gets its own database without paying for the
    set-up commands again. build(h) runs the commands and returns values
    (tokens) that are valid in every copy."""

    def __init__(self, build):
        self.base = Hail()
        try:
            self.values = build(self.base)
        except Exception:
            self.base.close()
            raise

    def new(self, env=None):
        if self.base.pg_db:  # PostgreSQL: a database made from the template's
            return Hail(env=env, template=self.base.pg_db)
        h = Hail(env=env)
        shutil.copytree(self.base.data, h.data)
        return h

    def close(self):
        self.base.close()
