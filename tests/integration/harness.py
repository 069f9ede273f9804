"""Shared helpers for hail's integration tests.

Each test drives the real `hail` binary (HAIL_BIN) over loopback: a fresh data
directory per test case, a server on a free port, real SQLite files, and the
fake Marketo (tests/fake/fake_marketo.py) where Marketo is needed.
Every reply to Hail.request is checked against docs/openapi.json
(openapi_check.py): a reply the document does not allow fails the test that
made the request. Standard library plus Debian's python3-jsonschema.
"""
import atexit
import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

import openapi_check

SRC = os.environ.get("HAIL_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("HAIL_BIN") or os.path.join(SRC, "build", "hail")
FAKE = os.path.join(SRC, "tests", "fake", "fake_marketo.py")
sys.path.insert(0, os.path.join(SRC, "tests", "fake"))
import contract  # noqa: E402  (tests/fake: where the fake finds the Marketo contract)
SANITIZED = os.environ.get("HAIL_SANITIZE", "0") in ("1", "ON", "TRUE", "true")


def iso(ts):
    """A Unix time as Marketo writes it."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def since_env(days):
    """HAIL_MARKETO_SINCE `days` days ago (midnight UTC)."""
    d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=days)
    return d.isoformat()


def db(h):
    """A sqlite3 connection to a Hail's database, rows by column name."""
    c = sqlite3.connect(os.path.join(h.data, "hail.db"), timeout=30)
    c.row_factory = sqlite3.Row
    return c


# Processes a test started: any still running when the test process exits
# (a failed setUp skips tearDown, e.g. when a reply there is off the
# document) are killed, not left behind.
_STARTED = []


@atexit.register
def _kill_leftovers():
    for p in _STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def __repr__(self):
        return "Response(%d, %r)" % (self.status, self.body[:300])


class Hail:
    """A hail data directory, its CLI, and optionally a running server."""

    def __init__(self, env=None):
        self.dir = tempfile.mkdtemp(prefix="hail-test-")
        self.data = os.path.join(self.dir, "var")
        self.env = dict(os.environ)
        self.env.pop("HAIL_LISTEN", None)
        self.env["HAIL_DATA"] = self.data
        self.env.setdefault("HAIL_LOG_LEVEL", "warn")
        # Tests need no fsync per commit; durability tests set FULL explicitly.
        self.env.setdefault("HAIL_DB_SYNC", "normal")
        for k in list(self.env):
            if k.startswith("HAIL_MARKETO_"):
                del self.env[k]
        if env:
            self.env.update(env)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "server.log")

    # ---- CLI ----
    def run(self, *args, input=None, env=None, timeout=120, check=False):
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([BIN] + list(args), input=input, capture_output=True, text=True,
                           env=e, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("hail %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def add_user(self, email, name="Test User", role="rep", password=None, team=None):
        args = ["user", "add", "--email", email, "--name", name, "--role", role]
        if team:
            args += ["--team", team]
        if password is not None:
            args.append("--password-stdin")
        self.run(*args, input=(password + "\n") if password is not None else None, check=True)

    def token(self, email):
        p = self.run("token", "create", "--email", email, check=True)
        return p.stdout.strip().splitlines()[-1]

    def admin_token(self, email="admin@example.com"):
        self.add_user(email, "Admin", "admin", password="correct horse battery")
        return self.token(email)

    # ---- server ----
    def start(self, env=None, wait=True):
        self.port = free_port()
        e = dict(self.env)
        if env:
            e.update(env)
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "serve", "--listen", "127.0.0.1:%d" % self.port],
                                     env=e, stdout=self.log, stderr=subprocess.STDOUT)
        _STARTED.append(self.proc)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("hail serve exited with %s: %s" % (self.proc.returncode, self.server_log()))
            try:
                r = self.request("GET", "/healthz")
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("hail serve did not become ready: " + self.server_log())

    def server_log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        return rc

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def close(self):
        rc = self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return rc

    def request(self, method, path, body=None, token=None, headers=None, raw=None, timeout=30):
        h = dict(headers or {})
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            if (r.getheader("Content-Type") or "").startswith("text/event-stream"):
                # A stream does not end: its first event is the body.
                lines = []
                while True:
                    line = r.readline()
                    lines.append(line)
                    if not line or (line == b"\n" and len(lines) > 1):
                        break
                body = b"".join(lines)
            else:
                body = r.read()
            resp = Response(r.status, r.getheaders(), body.decode("utf-8", "replace"))
        finally:
            c.close()
        # The document must allow every reply (status, Content-Type, body) of
        # the API; other paths are the web app's files (tests/integration/test_web_static.py).
        if openapi_check.Spec.is_api_path(path):
            openapi_check.spec().check(method, path, resp.status, resp.header("Content-Type"),
                                       resp.body, resp.headers)
        return resp


class FakeMarketo:
    """The fake Marketo (tests/fake/fake_marketo.py) as a subprocess."""

    def __init__(self, *args):
        # The fake checks every request against the Marketo contract, which lives
        # outside the repository ($HAIL_SHARED): without it the test is skipped.
        why = contract.missing()
        if why:
            raise unittest.SkipTest("needs the fake Marketo: " + why)
        self.dir = tempfile.mkdtemp(prefix="fake-mkto-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        _STARTED.append(self.proc)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("fake marketo did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            self.port = int(f.read().strip())
        self.url = "http://127.0.0.1:%d" % self.port

    def env(self, **extra):
        e = {"HAIL_MARKETO_URL": self.url, "HAIL_MARKETO_CLIENT_ID": "hail-test-id",
             "HAIL_MARKETO_CLIENT_SECRET": "hail-test-secret", "HAIL_MARKETO_POLL_SECONDS": "0.05"}
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def control(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            raw = r.read()
            return json.loads(raw) if raw else None
        finally:
            c.close()

    def add_leads(self, leads):
        return self.control("POST", "/_fake/leads", {"leads": leads})

    def delete_leads(self, ids):
        return self.control("POST", "/_fake/delete", {"ids": ids})

    def inject(self, **kw):
        return self.control("POST", "/_fake/inject", kw)

    def config(self, **kw):
        return self.control("POST", "/_fake/config", kw)

    def stats(self):
        return self.control("GET", "/_fake/stats")

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def main():
    """unittest.main, but a file whose every test was skipped for want of the shared
    files ($HAIL_SHARED) exits 77, which ctest reports as SKIPPED."""
    prog = unittest.main(verbosity=2, exit=False)
    sys.exit(contract.exit_code(prog.result))
