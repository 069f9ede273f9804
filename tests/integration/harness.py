"""Shared helpers for hail's integration tests.

Each test drives the real `hail` binary (HAIL_BIN) over loopback: a fresh data
directory per test case, a server on a free port, a real database, and the
fake Marketo (tests/fake/fake_marketo.py) where Marketo is needed, the fake
Salesforce (tests/fake/fake_salesforce.py, class FakeSalesforce) where Salesforce is.

Two engines (HAIL_TEST_ENGINE): `sqlite` (the default: DIR/hail.db) and
`postgres`, where each Hail gets a fresh database (hail_<random>, dropped by
close()) in the test cluster whose superuser URL is HAIL_TEST_PG_URL
(tests/pg/pg_start.sh; ctest's pg fixture), passed as HAIL_DATABASE_URL.
h.sql(query, *params) reads or changes the database on either engine
(`?` parameters; rows are tuples that also answer row["column"]). Tests that
only make sense on SQLite (its files, locks, PRAGMAs) are marked
@sqlite_only(reason) and skip on PostgreSQL with the reason printed.
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
import pg

SRC = os.environ.get("HAIL_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("HAIL_BIN") or os.path.join(SRC, "build", "hail")
FAKE = os.path.join(SRC, "tests", "fake", "fake_marketo.py")
FAKE_SF = os.path.join(SRC, "tests", "fake", "fake_salesforce.py")
sys.path.insert(0, os.path.join(SRC, "tests", "fake"))
import contract  # noqa: E402  (tests/fake: where the fake finds the Marketo contract)
SANITIZED = os.environ.get("HAIL_SANITIZE", "0") in ("1", "ON", "TRUE", "true")
ENGINE = os.environ.get("HAIL_TEST_ENGINE") or "sqlite"
PG_URL = os.environ.get("HAIL_TEST_PG_URL") or None
if ENGINE not in ("sqlite", "postgres"):
    sys.exit("HAIL_TEST_ENGINE=%s: expected sqlite or postgres" % ENGINE)
if ENGINE == "postgres" and not PG_URL:
    sys.exit("HAIL_TEST_ENGINE=postgres needs HAIL_TEST_PG_URL, the superuser URL of a test cluster "
             "(tests/pg/pg_start.sh DIR writes it to DIR/url)")
POSTGRES = ENGINE == "postgres"


def sqlite_only(reason):
    """Skips a test or class on PostgreSQL, saying why it is SQLite's alone."""
    return unittest.skipIf(POSTGRES, "SQLite only: " + reason)


def postgres_only(reason):
    """Skips a test or class unless it runs on PostgreSQL."""
    return unittest.skipUnless(POSTGRES, "PostgreSQL only: " + reason)


def iso(ts):
    """A Unix time as Marketo writes it."""
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def since_env(days):
    """HAIL_MARKETO_SINCE `days` days ago (midnight UTC)."""
    d = datetime.datetime.now(datetime.timezone.utc).date() - datetime.timedelta(days=days)
    return d.isoformat()


def sqlite_query(path, sql, *params):
    """One statement on a SQLite file: pg.Rows of pg.Row, like pg.query."""
    c = sqlite3.connect(path, timeout=30)
    try:
        cur = c.execute(sql, params)
        names = [d[0] for d in cur.description] if cur.description else []
        rows = [pg.Row(list(zip(names, r))) for r in cur.fetchall()]
        c.commit()
        return pg.Rows(rows, cur.rowcount if cur.rowcount >= 0 else len(rows))
    finally:
        c.close()


# Processes a test started: any still running when the test process exits
# (a failed setUp skips tearDown, e.g. when a reply there is off the
# document) are killed, not left behind.
_STARTED = []


# Test databases not dropped yet (a test that failed before close()): dropped
# at exit, after the processes using them are gone.
_DATABASES = []


@atexit.register
def _kill_leftovers():
    for p in _STARTED:
        if p.poll() is None:
            p.kill()
            p.wait()
    for name in list(_DATABASES):
        try:
            pg.drop_database(PG_URL, name)
        except Exception:  # noqa: BLE001  (the cluster goes at pg/stop anyway)
            pass


def wait_for(what, cond, timeout=20, h=None):
    """Polls cond() every 0.1 s until it returns something true, and returns that; else
    fails with what (and hail h's log)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out waiting for %s%s" % (what, ("\n" + h.server_log()) if h else ""))


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
    """A hail data directory, its database, its CLI, and optionally a running
    server. On PostgreSQL the database is a fresh one (self.pg_db, URL
    self.db_url) that close() drops; on SQLite it is DATA/hail.db."""

    def __init__(self, env=None, database=None, template=None):
        self.dir = tempfile.mkdtemp(prefix="hail-test-")
        self.data = os.path.join(self.dir, "var")
        self.env = dict(os.environ)
        self.env.pop("HAIL_LISTEN", None)
        self.env.pop("HAIL_DATABASE_URL", None)
        self.env["HAIL_DATA"] = self.data
        self.pg_db = None
        if database is not None:
            # Another Hail's database (several nodes over one database).
            self.db_url = database
            self.env["HAIL_DATABASE_URL"] = database
        elif POSTGRES:
            self.pg_db, self.db_url = pg.create_database(PG_URL, template=template)
            _DATABASES.append(self.pg_db)
            self.env["HAIL_DATABASE_URL"] = self.db_url
        else:
            self.db_url = None
        self.env.setdefault("HAIL_LOG_LEVEL", "warn")
        # Tests need no fsync per commit; durability tests set FULL explicitly.
        self.env.setdefault("HAIL_DB_SYNC", "normal")
        for k in list(self.env):
            if k.startswith(("HAIL_MARKETO_", "HAIL_SALESFORCE_")):
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
        if self.pg_db:
            pg.drop_database(PG_URL, self.pg_db)
            _DATABASES.remove(self.pg_db)
            self.pg_db = None
        return rc

    # ---- the database ----
    @property
    def db_path(self):
        """The SQLite file (SQLite only)."""
        return os.path.join(self.data, "hail.db")

    def sql(self, query, *params):
        """One statement on this hail's database, either engine: its rows
        (tuples that also answer row["column"]); .rowcount for a change."""
        if self.db_url is not None and (self.db_url.startswith(("postgres://", "postgresql://"))
                                        or "=" in self.db_url.split()[0]):
            return pg.query(self.db_url, query, *params)
        return sqlite_query(self.db_url or self.db_path, query, *params)

    @property
    def db_target(self):
        """The database as hail names it in messages (a URL has no password here)."""
        return self.db_url if self.db_url is not None else self.db_path

    def db_has_tables(self):
        """Whether hail created anything in its database yet."""
        if self.db_url is None:
            return os.path.exists(self.db_path)
        return self.sql_value("SELECT count(*) FROM information_schema.tables"
                              " WHERE table_schema = current_schema()") > 0

    def tables(self):
        """The names of the database's tables."""
        if POSTGRES:
            return {r[0] for r in self.sql("SELECT table_name FROM information_schema.tables"
                                           " WHERE table_schema = current_schema()")}
        return {r[0] for r in self.sql("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def has_table(self, name):
        """Whether the database has the table name (yet)."""
        if self.db_url is None and not os.path.exists(self.db_path):
            return False
        if POSTGRES:
            return self.sql_value("SELECT to_regclass(?) IS NOT NULL", name)
        return self.sql_value("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?",
                              name) > 0

    def schema_version(self):
        """The schema version hail wrote (PRAGMA user_version; hail_schema on PostgreSQL)."""
        if POSTGRES:
            return self.sql_value("SELECT version FROM hail_schema")
        return self.sql_value("PRAGMA user_version")

    def set_schema_version(self, v):
        if POSTGRES:
            self.sql("UPDATE hail_schema SET version = ?", v)
        else:
            self.sql("PRAGMA user_version = %d" % v)

    def sql_value(self, query, *params):
        """The first column of the first row (None when there is no row)."""
        rows = self.sql(query, *params)
        return rows[0][0] if rows else None

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
            try:
                c.request(method, path, body=data, headers=h)
            except (BrokenPipeError, ConnectionResetError):
                # The server answered early (an error before the whole body,
                # e.g. 413) and closed while this was still sending: its
                # reply is read below, as tests/integration/test_http.py does.
                pass
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


class _FakeProcess:
    """A fake service (tests/fake/) as a subprocess: its own directory, its stderr in
    DIR/log, the port(s) it writes to DIR/port once it listens; close() stops it."""

    dir = None

    def _start(self, name, prefix, script, args):
        self.dir = self.dir or tempfile.mkdtemp(prefix=prefix)
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "log"), "wb")
        self.proc = subprocess.Popen([sys.executable, script, "--port", "0", "--port-file",
                                      port_file] + list(args),
                                     stdout=subprocess.DEVNULL, stderr=self.log)
        _STARTED.append(self.proc)
        deadline = time.time() + 20
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("%s did not start" % name)
            time.sleep(0.02)
        with open(port_file) as f:
            return [int(x) for x in f.read().split()]

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


class FakeMarketo(_FakeProcess):
    """The fake Marketo (tests/fake/fake_marketo.py) as a subprocess."""

    def __init__(self, *args):
        # The fake checks every request against the Marketo contract, which lives
        # outside the repository ($HAIL_SHARED): without it the test is skipped.
        why = contract.missing()
        if why:
            raise unittest.SkipTest("needs the fake Marketo: " + why)
        self.port = self._start("fake marketo", "fake-mkto-", FAKE, args)[0]
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


class FakeSalesforce(_FakeProcess):
    """The fake Salesforce (tests/fake/fake_salesforce.py) as a subprocess: a login host
    (self.url, what HAIL_SALESFORCE_LOGIN_URL names) and an instance host
    (self.instance_url, which the token reply points to). Extra arguments go to the fake
    (e.g. "--no-ext-id-field", "--daily-limit", "15"). Unlike the fake Marketo it needs no
    shared files: the contract it follows is written into it."""

    def __init__(self, *args):
        self.dir = tempfile.mkdtemp(prefix="fake-sf-")
        self.state = os.path.join(self.dir, "state")
        self.port, self.instance_port = self._start("fake salesforce", "fake-sf-", FAKE_SF,
                                                    ["--state-dir", self.state] + list(args))
        self.url = "http://127.0.0.1:%d" % self.port
        self.instance_url = "http://127.0.0.1:%d" % self.instance_port

    def env(self, **extra):
        e = {"HAIL_SALESFORCE_LOGIN_URL": self.url, "HAIL_SALESFORCE_CLIENT_ID": "hail-test-id",
             "HAIL_SALESFORCE_CLIENT_SECRET": "hail-test-secret"}
        e.update({k: str(v) for k, v in extra.items()})
        return e

    def control(self, method, path, body=None):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = json.dumps(body).encode() if body is not None else None
            c.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
            r = c.getresponse()
            raw = r.read()
            out = json.loads(raw) if raw else None
            if r.status != 200:
                raise AssertionError("fake salesforce %s %s: %d %s" % (method, path, r.status, out))
            return out
        finally:
            c.close()

    def seed(self, **records):
        """Create or change records as a user in Salesforce would (SystemModstamp moves):
        seed(leads=[{"LastName": "Ng", "Email": …}], contacts=…, accounts=…, opportunities=…,
        tasks=[{"Id": …, "Status": "Completed"}]) -> {"leads": [ids], …}."""
        return self.control("POST", "/_fake/records", records)

    def records(self, sobject="Task"):
        return self.control("GET", "/_fake/records?type=" + sobject)["records"]

    def tasks(self):
        return self.records("Task")

    def delete(self, ids):
        return self.control("POST", "/_fake/delete", {"ids": ids})

    def inject(self, kind, count=1, path="/"):
        """kind: session (401), limit (403), overloaded (503), drop, drop_after."""
        return self.control("POST", "/_fake/inject", {"kind": kind, "count": count, "path": path})

    def expire_tokens(self):
        return self.control("POST", "/_fake/expire")

    def config(self, **kw):
        return self.control("POST", "/_fake/config", kw)

    def stats(self):
        return self.control("GET", "/_fake/stats")



def main():
    """unittest.main, but a file whose every test was skipped for want of the shared
    files ($HAIL_SHARED) exits 77, which ctest reports as SKIPPED."""
    prog = unittest.main(verbosity=2, exit=False)
    sys.exit(contract.exit_code(prog.result))
