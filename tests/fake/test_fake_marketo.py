#!/usr/bin/env python3
"""Tests for the Marketo fake (tests/fake/fake_marketo.py) and its contract checker.

Starts the fake as a subprocess once, resets it through the control API before each
test, and talks to it with urllib exactly as a client would. Unless a test says it
expects contract violations, tearDown asserts the fake recorded none: every request
made here is meant to be valid against Adobe's Swagger files.

Run: python3 tests/fake/test_fake_marketo.py
"""

import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_marketo.py")
sys.path.insert(0, HERE)
import contract  # noqa: E402

CLIENT = {"grant_type": "client_credentials", "client_id": "hail-test-id",
          "client_secret": "hail-test-secret"}
DEFAULT_CONFIG = {"status_step": 0.05, "rate_calls": 100, "rate_window": 20,
                  "max_concurrency": 10, "daily_quota": 50000, "token_ttl": 3599,
                  "short_pages": False, "latency": 0, "export_quota_bytes": 500 * 1024 * 1024,
                  "cancelled_spelling": "Cancelled", "fail_export": 0, "limits": True,
                  "keep_external": True, "custom_type_limit": 10}
BENCH_ROWS = 1000
LEADS = "/rest/v1/leads.json"
EXPORT = "/bulk/v1/leads/export"
EXTERNAL = "/rest/v1/activities/external.json"
TYPE = "/rest/v1/activities/external/type.json"
TYPES = "/rest/v1/activities/external/types.json"
REQUEST_ID = re.compile(r"[0-9a-f]+#[0-9a-f]+\Z")


def stop_process(proc):
    """SIGTERM, then SIGKILL if it has not gone in 30 s (a loaded machine is slow)."""
    proc.terminate()
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8"))


class FakeMarketoTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        why = contract.missing()
        if why:
            raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="fake-marketo-test-")
        cls.bench = os.path.join(cls.tmp, "bench.csv")
        with open(cls.bench, "w", newline="") as f:
            f.write("id,email,firstName\n")
            for i in range(1, BENCH_ROWS + 1):
                f.write("%d,lead%d@example.com,Name %d\n" % (i, i, i))
        port_file = os.path.join(cls.tmp, "port")
        cls.proc = subprocess.Popen(
            [sys.executable, FAKE, "--port", "0", "--port-file", port_file,
             "--status-step", "0.05", "--export-file", cls.bench],
            stdout=subprocess.PIPE, text=True)
        deadline = time.time() + 10
        while not os.path.exists(port_file):
            if time.time() > deadline or cls.proc.poll() is not None:
                raise RuntimeError("fake did not start")
            time.sleep(0.02)
        with open(port_file) as f:
            cls.port = int(f.read().strip())
        cls.banner = cls.proc.stdout.readline().strip()
        cls.base = "http://127.0.0.1:%d" % cls.port

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        try:
            cls.proc.wait(5)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
        cls.proc.stdout.close()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.control("POST", "/_fake/reset")
        self.control("POST", "/_fake/config", DEFAULT_CONFIG)
        self.expect_violations = False
        self._token = None

    def tearDown(self):
        if not self.expect_violations:
            self.assertEqual(self.stats()["violations"], [], "contract violations recorded")

    # ------------------------------------------------------------ helpers

    def request(self, method, path, query=None, body=None, headers=None, token=True,
                timeout=10):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        hdrs = dict(headers or {})
        if token is True:
            token = self.token()
        if token:
            hdrs["Authorization"] = "Bearer " + token
        data = None
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif body is not None:
            data = body
        req = urllib.request.Request(url, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return Reply(r.status, r.headers, r.read())
        except urllib.error.HTTPError as e:
            with e:
                return Reply(e.code, e.headers, e.read())

    def api(self, method, path, query=None, body=None, **kw):
        """A /rest or /bulk call that must come back as an HTTP 200 envelope."""
        r = self.request(method, path, query, body, **kw)
        self.assertEqual(r.status, 200, r.body[:300])
        env = r.json()
        self.assertRegex(env["requestId"], REQUEST_ID)
        self.assertIsInstance(env["success"], bool)
        return env

    def assertError(self, env, code, message=None):
        self.assertFalse(env["success"], env)
        self.assertEqual(env["errors"][0]["code"], code, env)
        self.assertIsInstance(env["errors"][0]["code"], str)
        if message is not None:
            self.assertEqual(env["errors"][0]["message"], message, env)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def stats(self):
        return self.control("GET", "/_fake/stats")

    def config(self, **kw):
        return self.control("POST", "/_fake/config", kw)

    def seed(self, *leads):
        return self.control("POST", "/_fake/leads", {"leads": list(leads)})["ids"]

    def identity(self, **params):
        r = self.request("GET", "/identity/oauth/token", dict(CLIENT, **params), token=None)
        return r.status, r.json()

    def token(self):
        if self._token is None:
            status, body = self.identity()
            self.assertEqual(status, 200)
            self._token = body["access_token"]
        return self._token

    def leads(self, ids, token=True, **query):
        q = {"filterType": "id", "filterValues": ",".join(map(str, ids))}
        q.update(query)
        return self.api("GET", LEADS, q, token=token)

    def create_export(self, fields, flt, **extra):
        env = self.api("POST", EXPORT + "/create.json",
                       body=dict({"fields": fields, "format": "CSV", "filter": flt}, **extra))
        self.assertTrue(env["success"], env)
        return env["result"][0]["exportId"]

    def export_status(self, export_id):
        env = self.api("GET", "%s/%s/status.json" % (EXPORT, export_id))
        self.assertTrue(env["success"], env)
        return env["result"][0]

    def wait_status(self, export_id, wanted, timeout=5.0):
        deadline = time.time() + timeout
        while True:
            st = self.export_status(export_id)
            if st["status"] == wanted or time.time() > deadline:
                self.assertEqual(st["status"], wanted)
                return st
            time.sleep(0.02)

    def run_export(self, fields, flt, **extra):
        export_id = self.create_export(fields, flt, **extra)
        env = self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))
        self.assertTrue(env["success"], env)
        return export_id, self.wait_status(export_id, "Completed")

    def paging_token(self, since):
        env = self.api("GET", "/rest/v1/activities/pagingtoken.json", {"sinceDatetime": since})
        self.assertTrue(env["success"], env)
        return env["nextPageToken"]

    def drain_activities(self, path, token, **query):
        """Follow an activity feed until moreResult is false; return (records, pages)."""
        records, pages = [], []
        for _ in range(100):
            env = self.api("GET", path, dict(query, nextPageToken=token))
            self.assertTrue(env["success"], env)
            pages.append(env)
            records.extend(env.get("result", []))
            token = env["nextPageToken"]
            if not env["moreResult"]:
                return records, pages, token
        self.fail("activity feed never ended")

    # ------------------------------------------------------------ startup & transport

    def test_startup_banner_and_port_file(self):
        self.assertEqual(self.banner, "fake-marketo listening on 127.0.0.1:%d" % self.port)

    def test_keep_alive_with_content_length(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            query = urllib.parse.urlencode(CLIENT)
            for _ in range(2):
                conn.request("GET", "/identity/oauth/token?" + query)
                r = conn.getresponse()
                body = r.read()
                self.assertEqual(r.status, 200)
                self.assertEqual(int(r.getheader("Content-Length")), len(body))
                self.assertFalse(r.will_close)
            first_sock = conn.sock
            conn.request("GET", LEADS + "?filterType=id&filterValues=1",
                         headers={"Authorization": "Bearer " + json.loads(body)["access_token"]})
            r = conn.getresponse()
            r.read()
            self.assertIs(conn.sock, first_sock, "connection was not kept alive")
        finally:
            conn.close()

    # ------------------------------------------------------------ tokens

    def test_token_is_reused_until_expiry(self):
        status, first = self.identity()
        self.assertEqual(status, 200)
        self.assertRegex(first["access_token"], r"[0-9a-f-]{36}:ab\Z")
        self.assertEqual(first["token_type"], "bearer")
        self.assertEqual(first["scope"], "apiuser@example.com")
        self.assertIsInstance(first["expires_in"], int)
        self.assertTrue(3590 <= first["expires_in"] <= 3599)
        _, second = self.identity()
        self.assertEqual(second["access_token"], first["access_token"])
        self.assertLessEqual(second["expires_in"], first["expires_in"])
        st = self.stats()
        self.assertEqual(st["tokens_issued"], 1)
        self.assertEqual(st["daily_calls"], 0, "identity calls must not count")

    def test_token_bad_credentials_is_http_401(self):
        status, body = self.identity(client_secret="wrong")
        self.assertEqual(status, 401)
        self.assertEqual(body, {"error": "unauthorized",
                                "error_description": "Bad client credentials"})

    def test_expired_token_gives_602_then_new_token(self):
        self.config(token_ttl=1.0)
        old = self.token()
        self.assertTrue(self.leads([1])["success"])
        time.sleep(1.1)
        self.assertError(self.leads([1]), "602", "Access token expired")
        _, fresh = self.identity()
        self.assertNotEqual(fresh["access_token"], old)
        self.assertTrue(self.leads([1], token=fresh["access_token"])["success"])

    def test_missing_or_unknown_token_gives_601(self):
        self.assertError(self.leads([1], token=None), "601", "Access token invalid")
        self.assertError(self.leads([1], token="nope:ab"), "601", "Access token invalid")

    def test_access_token_query_parameter_works_but_is_a_violation(self):
        self.expect_violations = True
        env = self.api("GET", LEADS, {"filterType": "id", "filterValues": "1",
                                      "access_token": self.token()}, token=None)
        self.assertTrue(env["success"], env)
        self.assertEqual(self.stats()["violations"],
                         ["GET /rest/v1/leads.json: access_token query parameter is deprecated "
                          "(send Authorization: Bearer)"])

    # ------------------------------------------------------------ leads.json

    def test_leads_by_id_omit_null_fields(self):
        self.seed({"id": 1, "firstName": "Ann", "email": "ann@example.com", "phone": None,
                   "unsubscribed": False},
                  {"id": 2, "firstName": "Bob", "phone": "+1 555"},
                  {"id": 3, "lastName": "Cole"})
        env = self.leads([2, 1, 99], fields="firstName,email,phone,unsubscribed")
        self.assertTrue(env["success"])
        self.assertEqual(env["result"], [
            {"id": 2, "firstName": "Bob", "phone": "+1 555"},
            {"id": 1, "firstName": "Ann", "email": "ann@example.com", "unsubscribed": False}])
        self.assertNotIn("moreResult", env)
        # fields given as repeated parameters (collectionFormat multi) work too
        env = self.leads([3], fields=["lastName", "email"])
        self.assertEqual(env["result"], [{"id": 3, "lastName": "Cole"}])

    def test_leads_paging(self):
        self.seed(*({"id": i, "email": "l%d@example.com" % i} for i in range(1, 8)))
        ids, token, pages = [], None, 0
        while True:
            query = {"fields": "email", "batchSize": 3}
            if token:
                query["nextPageToken"] = token
            env = self.leads(range(1, 8), **query)
            pages += 1
            ids += [r["id"] for r in env["result"]]
            if not env.get("moreResult"):
                break
            token = env["nextPageToken"]
        self.assertEqual(ids, list(range(1, 8)))
        self.assertEqual(pages, 3)

    def test_leads_errors(self):
        self.assertError(self.leads(range(1, 302)),
                         "1003",
                         "Invalid value for filterValues: 301 values given, at most 300 allowed")
        self.assertError(self.leads([1], batchSize=301),
                         "1003", "Invalid value '301' for batchSize. Must be between 1 and 300")
        self.assertError(self.api("GET", LEADS, {"filterType": "shoeSize",
                                                 "filterValues": "1"}),
                         "1003", "Invalid filterType 'shoeSize'")
        self.assertError(self.leads([1], fields="noSuchField"),
                         "1006", "Field 'noSuchField' not found")

    def test_leads_no_results_has_string_warning(self):
        env = self.leads([12345])
        self.assertTrue(env["success"])
        self.assertEqual(env["result"], [])
        self.assertTrue(all(isinstance(w, str) for w in env["warnings"]))

    def test_long_uri_414_then_method_get_tunnel(self):
        emails = ["someone.with.a.long.address.%03d@example-domain.com" % i for i in range(250)]
        self.seed({"id": 1, "email": emails[7]}, {"id": 2, "email": emails[200].upper()})
        query = {"filterType": "email", "filterValues": ",".join(emails), "fields": "email"}
        r = self.request("GET", LEADS, query)
        self.assertEqual(r.status, 414)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))
        form = urllib.parse.urlencode(dict(query, _method="GET")).encode()
        env = self.api("POST", LEADS, body=form,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
        self.assertTrue(env["success"], env)
        self.assertEqual(sorted(r["id"] for r in env["result"]), [1, 2])
        self.assertEqual(self.stats()["errors"].get("http_414"), 1)

    def test_body_over_1mb_is_413(self):
        big = {"fields": ["email"], "format": "CSV", "filter": {"smartListId": 1},
               "columnHeaderNames": {"email": "x" * (1024 * 1024 + 10)}}
        r = self.request("POST", EXPORT + "/create.json", body=big)
        self.assertEqual(r.status, 413)

    # ------------------------------------------------------------ limits

    def test_rate_limit_606_sliding_window(self):
        self.config(rate_calls=3, rate_window=1)
        for _ in range(3):
            self.assertTrue(self.leads([1])["success"])
        self.assertError(self.leads([1]), "606", "Max rate limit '3' exceeded with in '1' secs")
        self.assertEqual(self.stats()["rate_max_in_window"], 3)
        time.sleep(1.05)
        self.assertTrue(self.leads([1])["success"])

    def test_concurrency_615(self):
        self.config(max_concurrency=2, latency=0.4)
        self.token()
        barrier = threading.Barrier(5)

        def one(_):
            barrier.wait()
            return self.leads([1])
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            results = list(pool.map(one, range(5)))
        codes = [r["errors"][0]["code"] if not r["success"] else "ok" for r in results]
        self.assertIn("615", codes)
        self.assertIn("ok", codes)
        self.assertGreaterEqual(self.stats()["max_in_flight"], 3)

    def test_daily_quota_607_and_reset(self):
        self.config(daily_quota=2)
        self.assertTrue(self.leads([1])["success"])
        self.assertTrue(self.leads([1])["success"])
        self.assertError(self.leads([1]), "607", "Daily quota reached")
        self.config(reset_quota=True)
        self.assertTrue(self.leads([1])["success"])

    def test_control_api_is_not_counted(self):
        self.config(daily_quota=1)
        for _ in range(5):
            self.stats()
        self.assertTrue(self.leads([1])["success"])
        self.assertEqual(self.stats()["daily_calls"], 1)

    # ------------------------------------------------------------ injection

    def test_inject_envelope_error(self):
        self.control("POST", "/_fake/inject", {"path": LEADS, "code": "606", "count": 2})
        self.assertTrue(self.api("GET", "/rest/v1/activities/pagingtoken.json",
                                 {"sinceDatetime": "2024-01-01"})["success"])
        self.assertError(self.leads([1]), "606", "Max rate limit '100' exceeded with in '20' secs")
        self.assertError(self.leads([1]), "606", "Max rate limit '100' exceeded with in '20' secs")
        self.assertTrue(self.leads([1])["success"])
        self.assertEqual(self.stats()["errors"]["606"], 2)

    def test_inject_601_and_602_invalidate_token(self):
        old = self.token()
        self.control("POST", "/_fake/inject", {"path": "/rest/", "code": "601"})
        self.assertError(self.leads([1]), "601", "Access token invalid")
        self.assertError(self.leads([1]), "601", "Access token invalid")  # the token really is gone
        self._token = None
        self.assertNotEqual(self.token(), old)
        self.assertTrue(self.leads([1])["success"])
        old = self.token()
        self.control("POST", "/_fake/inject", {"path": "/rest/", "code": "602"})
        self.assertError(self.leads([1]), "602", "Access token expired")
        self.assertError(self.leads([1]), "602", "Access token expired")
        self._token = None
        self.assertNotEqual(self.token(), old)
        self.assertTrue(self.leads([1])["success"])

    def test_inject_607_sticks_until_reset(self):
        self.control("POST", "/_fake/inject", {"path": LEADS, "code": "607"})
        self.assertError(self.leads([1]), "607", "Daily quota reached")
        self.assertError(self.leads([1]), "607", "Daily quota reached")
        self.config(reset_quota=True)
        self.assertTrue(self.leads([1])["success"])

    def test_inject_http_status_and_dropped_connection(self):
        self.control("POST", "/_fake/inject", {"path": LEADS, "http_status": 503})
        self.assertEqual(self.request("GET", LEADS, {"filterType": "id",
                                                     "filterValues": "1"}).status, 503)
        self.control("POST", "/_fake/inject", {"path": LEADS, "close": True})
        with self.assertRaises((http.client.HTTPException, urllib.error.URLError, OSError)):
            self.request("GET", LEADS, {"filterType": "id", "filterValues": "1"})
        self.assertTrue(self.leads([1])["success"])

    # ------------------------------------------------------------ bulk export

    def test_export_lifecycle_csv_and_ranges(self):
        self.seed({"id": 1, "firstName": "Ann", "lastName": "O'Neil, Jr.",
                   "email": "ann@example.com", "createdAt": "2024-03-01T10:00:00Z"},
                  {"id": 2, "firstName": 'Bob "B"', "lastName": "Line\nBreak",
                   "createdAt": "2024-03-02T10:00:00Z"},
                  {"id": 3, "firstName": "", "createdAt": "2024-03-03T10:00:00Z"})
        fields = ["id", "firstName", "lastName", "email"]
        export_id = self.create_export(
            fields, {"createdAt": {"startAt": "2024-03-01T00:00:00Z",
                                   "endAt": "2024-03-31T00:00:00Z"}})
        self.assertRegex(export_id, r"[0-9a-f-]{36}\Z")
        st = self.export_status(export_id)
        self.assertEqual(st["status"], "Created")
        self.assertNotIn("fileChecksum", st)
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id))
        self.assertEqual(r.status, 404)
        self.assertTrue(r.headers["Content-Type"].startswith("text/plain"))

        self.config(status_step=0.15)    # slow enough to watch every state
        env = self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))
        self.assertEqual(env["result"][0]["status"], "Queued")
        self.assertIn("queuedAt", env["result"][0])
        seen = set()
        deadline = time.time() + 5
        while time.time() < deadline:
            st = self.export_status(export_id)
            seen.add(st["status"])
            if st["status"] == "Completed":
                break
            time.sleep(0.01)
        self.assertEqual(st["status"], "Completed")
        self.assertEqual(seen, {"Queued", "Processing", "Completed"})
        for key in ("startedAt", "finishedAt", "queuedAt", "createdAt"):
            self.assertRegex(st[key], r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")

        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id))
        self.assertEqual(r.status, 200)
        self.assertTrue(r.headers["Content-Type"].startswith("text/csv"))
        expected = ('id,firstName,lastName,email\n'
                    '1,Ann,"O\'Neil, Jr.",ann@example.com\n'
                    '2,"Bob ""B""","Line\nBreak",null\n'
                    '3,null,null,null\n').encode()
        self.assertEqual(r.body, expected)
        self.assertEqual(st["numberOfRecords"], 3)
        self.assertEqual(st["fileSize"], len(expected))
        self.assertEqual(st["fileChecksum"], "sha256:" + hashlib.sha256(expected).hexdigest())

        size = len(expected)
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id),
                         headers={"Range": "bytes=10-"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.headers["Content-Range"], "bytes 10-%d/%d" % (size - 1, size))
        self.assertEqual(r.body, expected[10:])
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id),
                         headers={"Range": "bytes=3-7"})
        self.assertEqual(r.status, 206)
        self.assertEqual(r.headers["Content-Range"], "bytes 3-7/%d" % size)
        self.assertEqual(r.body, expected[3:8])
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id),
                         headers={"Range": "bytes=%d-" % (size + 5)})
        self.assertEqual(r.status, 416)

    def test_export_date_window_is_start_inclusive_end_exclusive(self):
        def lead(i, created, updated):
            return {"id": i, "createdAt": "2024-%sT00:00:00Z" % created,
                    "updatedAt": "2024-%sT00:00:00Z" % updated}
        self.seed(lead(1, "03-01", "05-01"), lead(2, "03-10", "05-02"), lead(3, "03-31", "06-01"))
        # (createdAt 03-01 is in, 03-31 is the excluded end; updatedAt 05-02 is likewise out)
        window = {"startAt": "2024-03-01T00:00:00Z", "endAt": "2024-03-31T00:00:00Z"}
        _, st = self.run_export(["id"], {"createdAt": window})
        self.assertEqual(st["numberOfRecords"], 2)
        _, st = self.run_export(["id"], {"updatedAt": {"startAt": "2024-05-01T00:00:00+00:00",
                                                        "endAt": "2024-05-02T00:00:00Z"}})
        self.assertEqual(st["numberOfRecords"], 1)
        _, st = self.run_export(["id"], {"staticListId": 7})
        self.assertEqual(st["numberOfRecords"], 3)

    def test_export_create_errors(self):
        good = {"fields": ["id"], "format": "CSV", "filter": {"smartListId": 1}}
        r = self.request("POST", EXPORT + "/create.json", body=json.dumps(good).encode(),
                         headers={"Content-Type": "text/plain"})
        self.assertError(r.json(), "612", "Invalid Content Type")
        too_long = {"createdAt": {"startAt": "2024-01-01T00:00:00Z",
                                  "endAt": "2024-02-15T00:00:00Z"}}
        self.assertError(self.api("POST", EXPORT + "/create.json",
                                  body=dict(good, filter=too_long)),
                         "1003", "Filter 'createdAt': date range must not exceed 31 days")
        both = {"smartListId": 1, "staticListId": 2}
        self.assertError(self.api("POST", EXPORT + "/create.json",
                                  body=dict(good, filter=both)),
                         "1003", "Exactly one filter is allowed, got smartListId, staticListId")
        self.assertError(self.api("POST", EXPORT + "/create.json",
                                  body={"fields": ["id"], "format": "CSV"}),
                         "1003", "'filter' is required: one of createdAt, updatedAt, staticListId, "
                                 "smartListId")
        # the content type and the missing filter are contract violations too
        self.expect_violations = True
        violations = self.stats()["violations"]
        self.assertEqual(violations, [
            "POST /bulk/v1/leads/export/create.json: body Content-Type must be application/json, "
            "got 'text/plain'",
            "POST /bulk/v1/leads/export/create.json: body is missing required property 'filter'"])

    def test_export_at_most_two_processing(self):
        self.seed({"id": 1})
        self.config(status_step=0.2)
        ids = [self.create_export(["id"], {"smartListId": 1}) for _ in range(3)]
        for export_id in ids:
            self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))
        deadline = time.time() + 5
        while time.time() < deadline:
            # one consistent snapshot of every job (polling each status.json in turn
            # would compare different instants)
            env = self.api("GET", EXPORT + ".json", {"batchSize": 10})
            statuses = [j["status"] for j in env["result"]]
            self.assertEqual([j["exportId"] for j in env["result"]], ids)
            self.assertLessEqual(statuses.count("Processing"), 2, statuses)
            if statuses == ["Completed"] * 3:
                break
            time.sleep(0.02)
        final = [self.export_status(i) for i in ids]
        self.assertEqual([s["status"] for s in final], ["Completed"] * 3)
        # the third job had to wait for a slot: it started when the first finished
        self.assertGreaterEqual(final[2]["startedAt"], final[0]["finishedAt"])
        self.assertEqual(self.stats()["exports"]["max_processing"], 2)

    def test_export_queue_full_1029_and_cancel(self):
        self.config(status_step=30)              # nothing leaves the queue during the test
        ids = [self.create_export(["id"], {"smartListId": 1}) for _ in range(11)]
        for export_id in ids[:10]:
            self.assertTrue(self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))["success"])
        self.assertError(self.api("POST", "%s/%s/enqueue.json" % (EXPORT, ids[10])),
                         "1029", "Too many jobs (10) in queue")
        env = self.api("POST", "%s/%s/cancel.json" % (EXPORT, ids[0]))
        self.assertEqual(env["result"][0]["status"], "Cancelled")
        self.assertTrue(self.api("POST", "%s/%s/enqueue.json" % (EXPORT, ids[10]))["success"])
        self.config(cancelled_spelling="Canceled")
        self.assertEqual(self.export_status(ids[0])["status"], "Canceled")

    def test_export_failed_and_unknown(self):
        self.config(fail_export=True)
        export_id = self.create_export(["id"], {"smartListId": 1})
        self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))
        st = self.wait_status(export_id, "Failed")
        self.assertIn("errorMsg", st)
        self.assertEqual(self.request("GET", "%s/%s/file.json" % (EXPORT, export_id)).status, 404)
        unknown = "%s/00000000-0000-0000-0000-000000000000" % EXPORT
        not_found = "Export id '00000000-0000-0000-0000-000000000000' not found"
        self.assertError(self.api("GET", unknown + "/status.json"), "1003", not_found)
        self.assertError(self.api("POST", unknown + "/enqueue.json"), "1003", not_found)
        self.assertEqual(self.request("GET", unknown + "/file.json").status, 404)

    def test_export_daily_size_quota(self):
        self.seed({"id": 1})
        self.config(export_quota_bytes=5)
        self.run_export(["id"], {"staticListId": 1})       # 5+ bytes: the day is now used up
        export_id = self.create_export(["id"], {"staticListId": 1})
        self.assertError(self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id)),
                         "1029", "Export daily quota exceeded")
        self.config(reset_quota=True)
        self.assertTrue(self.api("POST", "%s/%s/enqueue.json" % (EXPORT, export_id))["success"])

    def test_export_file_served_verbatim_for_smart_lists(self):
        export_id, st = self.run_export(["id", "email", "firstName"], {"smartListId": 42})
        with open(self.bench, "rb") as f:
            data = f.read()
        self.assertEqual(st["numberOfRecords"], BENCH_ROWS)
        self.assertEqual(st["fileSize"], len(data))
        self.assertEqual(st["fileChecksum"], "sha256:" + hashlib.sha256(data).hexdigest())
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id))
        self.assertEqual(r.body, data)
        r = self.request("GET", "%s/%s/file.json" % (EXPORT, export_id),
                         headers={"Range": "bytes=100-199"})
        self.assertEqual((r.status, r.body), (206, data[100:200]))

    # ------------------------------------------------------------ incremental feeds

    def test_paging_token_accepts_offsets_and_bare_dates(self):
        for since in ("2024-03-01T10:00:00Z", "2024-03-01T10:00:00+0000",
                      "2024-03-01T10:00:00+00:00", "2024-03-01", "2024-03-01T05:00:00-0500"):
            self.assertIsInstance(self.paging_token(since), str)
        env = self.api("GET", "/rest/v1/activities/pagingtoken.json",
                       {"sinceDatetime": "yesterday"})
        self.assertError(env, "1003", "Invalid value 'yesterday' for sinceDatetime")

    def test_leadchanges_paging_and_filtering(self):
        token = self.paging_token("2020-01-01T00:00:00Z")
        self.seed({"id": 1, "firstName": "Ann", "phone": "1"}, {"id": 2, "email": "b@x.com"},
                  {"id": 3})
        self.seed({"id": 1, "firstName": "Anna", "phone": "2"}, {"id": 2, "email": "bee@x.com"})
        records, pages, token = self.drain_activities(
            "/rest/v1/activities/leadchanges.json", token, fields="firstName,email", batchSize=2)
        self.assertEqual(len(pages), 3)
        self.assertEqual([r["activityTypeId"] for r in records], [12, 12, 12, 13, 13])
        changes = [r["fields"][0] for r in records if r["activityTypeId"] == 13]
        self.assertEqual([(c["name"], c["oldValue"], c["newValue"]) for c in changes],
                         [("firstName", "Ann", "Anna"), ("email", "b@x.com", "bee@x.com")])
        for r in records:
            for key in ("id", "marketoGUID", "leadId", "activityDate", "attributes", "fields"):
                self.assertIn(key, r)
        suffixes = {r["activityDate"][19:] for r in records}
        self.assertEqual(suffixes, {"Z", "+0000"})
        # caught up: nothing new means no result key at all
        env = self.api("GET", "/rest/v1/activities/leadchanges.json",
                       {"nextPageToken": token, "fields": "firstName"})
        self.assertNotIn("result", env)
        self.assertFalse(env["moreResult"])
        self.seed({"id": 3, "firstName": "Cy"})
        records, _, _ = self.drain_activities("/rest/v1/activities/leadchanges.json",
                                              env["nextPageToken"], fields="firstName")
        self.assertEqual([(r["leadId"], r["fields"][0]["newValue"]) for r in records], [(3, "Cy")])

    def test_leadchanges_without_activities(self):
        env = self.api("GET", "/rest/v1/activities/leadchanges.json",
                       {"nextPageToken": self.paging_token("2024-01-01"), "fields": "email"})
        self.assertTrue(env["success"])
        self.assertNotIn("result", env)
        self.assertFalse(env["moreResult"])
        self.assertTrue(env["nextPageToken"])

    def test_leadchanges_short_and_empty_pages(self):
        token = self.paging_token("2020-01-01")
        self.seed(*({"id": i} for i in range(1, 7)))
        self.config(short_pages=True)
        records, pages, _ = self.drain_activities("/rest/v1/activities/leadchanges.json",
                                                  token, fields="email", batchSize=4)
        self.assertEqual(sorted(r["leadId"] for r in records), [1, 2, 3, 4, 5, 6])
        self.assertTrue(any(p["moreResult"] and "result" not in p for p in pages))
        self.assertTrue(all(len(p.get("result", [])) <= 2 for p in pages))

    def test_deletedleads(self):
        token = self.paging_token("2020-01-01")
        self.seed({"id": 1, "firstName": "Ann", "lastName": "Lee"}, {"id": 2}, {"id": 3})
        self.assertEqual(self.control("POST", "/_fake/delete", {"ids": [1, 3, 99]})["deleted"],
                         [1, 3])
        records, _, _ = self.drain_activities("/rest/v1/activities/deletedleads.json", token,
                                              batchSize=1)
        self.assertEqual([(r["leadId"], r["activityTypeId"]) for r in records], [(1, 37), (3, 37)])
        self.assertEqual(records[0]["primaryAttributeValue"], "Ann Lee")
        self.assertEqual(self.leads([1, 2, 3], fields="id")["result"], [{"id": 2}])

    # ------------------------------------------------------------ custom activities

    def create_type(self, api_name="hailCall", attrs=("outcome", "duration"), approve=True):
        """Create (and approve) a custom activity type; return its id."""
        env = self.api("POST", TYPE, body={
            "apiName": api_name, "name": "Receive Sales Call " + api_name,
            "triggerName": "Receives Sales Call " + api_name,
            "filterName": "Received Sales Call " + api_name,
            "primaryAttribute": {"apiName": "callId", "name": "Call ID", "dataType": "string"}})
        self.assertTrue(env["success"], env)
        if attrs:
            env = self.api("POST", "%s/%s/attributes/create.json" % (TYPE[:-5], api_name),
                           body={"attributes": [{"apiName": a, "name": a.title(),
                                                 "dataType": "string"} for a in attrs]})
            self.assertTrue(env["success"], env)
        if approve:
            env = self.api("POST", "%s/%s/approve.json" % (TYPE[:-5], api_name))
            self.assertTrue(env["success"], env)
        return env["result"][0]["id"]

    def type_view(self, type_id, api_name, status, attrs, description=""):
        """What the fake answers for hailCall-style types made by create_type()."""
        return {"id": type_id, "apiName": api_name, "name": "Receive Sales Call " + api_name,
                "description": description,
                "triggerName": "Receives Sales Call " + api_name,
                "filterName": "Received Sales Call " + api_name, "status": status,
                "primaryAttribute": {"apiName": "callId", "name": "Call ID",
                                     "dataType": "string", "isPrimary": True},
                "attributes": [{"apiName": a, "name": a.title(), "dataType": "string"}
                               for a in attrs]}

    def strip_times(self, env):
        for t in env.get("result", []):
            self.assertRegex(t.pop("createdAt"), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
            self.assertRegex(t.pop("updatedAt"), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
        env.pop("requestId")
        return env

    def test_custom_type_lifecycle_draft_attributes_approve(self):
        env = self.strip_times(self.api("POST", TYPE, body={
            "apiName": "hailCall", "name": "Receive Sales Call hailCall",
            "triggerName": "Receives Sales Call hailCall",
            "filterName": "Received Sales Call hailCall", "description": "A call",
            "primaryAttribute": {"apiName": "callId", "name": "Call ID",
                                 "dataType": "string"}}))
        self.assertEqual(env, {"success": True, "result": [
            self.type_view(100001, "hailCall", "draft", [], "A call")]})
        self.assertEqual(self.strip_times(self.api("GET", TYPES)),
                         {"success": True, "result": [
                             self.type_view(100001, "hailCall", "draft", [], "A call")]})
        # A draft type is neither in types.json nor usable.
        std = self.api("GET", "/rest/v1/activities/types.json")["result"]
        self.assertEqual([t for t in std if t["id"] >= 100000], [])
        env = self.strip_times(self.api("POST", TYPE[:-5] + "/hailCall/attributes/create.json",
                                        body={"attributes": [{"apiName": "outcome",
                                                              "name": "Outcome",
                                                              "dataType": "string"}]}))
        self.assertEqual(env, {"success": True, "result": [
            self.type_view(100001, "hailCall", "draft", ["outcome"], "A call")]})
        env = self.strip_times(self.api("POST", TYPE[:-5] + "/hailCall/approve.json"))
        self.assertEqual(env, {"success": True, "result": [
            self.type_view(100001, "hailCall", "approved", ["outcome"], "A call")]})
        std = self.api("GET", "/rest/v1/activities/types.json")["result"]
        self.assertEqual([t for t in std if t["id"] >= 100000], [{
            "id": 100001, "name": "Receive Sales Call hailCall", "apiName": "hailCall",
            "description": "A call",
            "primaryAttribute": {"name": "Call ID", "apiName": "callId", "dataType": "string"},
            "attributes": [{"name": "Outcome", "apiName": "outcome", "dataType": "string"}]}])
        # A missing attribute added later: approved with draft until approved again;
        # describe.json shows the live version unless draft=true.
        self.api("POST", TYPE[:-5] + "/hailCall/attributes/create.json",
                 body={"attributes": [{"apiName": "duration", "name": "Duration",
                                       "dataType": "string"}]})
        self.assertEqual(self.strip_times(self.api("GET", TYPES))["result"],
                         [self.type_view(100001, "hailCall", "approved with draft",
                                         ["outcome", "duration"], "A call")])
        self.assertEqual(self.strip_times(self.api(
            "GET", TYPE[:-5] + "/hailCall/describe.json"))["result"],
            [self.type_view(100001, "hailCall", "approved with draft", ["outcome"], "A call")])
        self.assertEqual(self.strip_times(self.api(
            "GET", TYPE[:-5] + "/hailCall/describe.json", {"draft": "true"}))["result"],
            [self.type_view(100001, "hailCall", "approved with draft",
                            ["outcome", "duration"], "A call")])
        self.api("POST", TYPE[:-5] + "/hailCall/approve.json")
        self.assertEqual(self.create_type("hailEmail"), 100002)
        self.assertEqual(self.stats()["custom_types"], {"hailCall": "approved",
                                                        "hailEmail": "approved"})

    def test_custom_type_errors(self):
        self.create_type("hailCall", approve=False)
        base = {"apiName": "hailCall", "name": "N", "triggerName": "T", "filterName": "F",
                "primaryAttribute": {"apiName": "callId", "name": "Call ID",
                                     "dataType": "string"}}
        self.assertEqual(self.strip_times(self.api("POST", TYPE, body=base)), {
            "success": False, "errors": [{"code": "1017",
                                          "message": "Activity type 'hailCall' already exists"}]})
        self.assertError(self.api("POST", TYPE, body=dict(base, apiName="hail call")), "1003",
                         "Invalid apiName 'hail call': use letters, digits and underscores, "
                         "with at least one letter")
        self.assertError(self.api("POST", TYPE[:-5] + "/nope/approve.json"), "1013",
                         "Activity type 'nope' not found")
        self.assertError(self.api("POST", TYPE[:-5] + "/nope/attributes/create.json",
                                  body={"attributes": [{"apiName": "a", "name": "A"}]}),
                         "1013", "Activity type 'nope' not found")
        self.assertError(self.api("POST", TYPE[:-5] + "/hailCall/attributes/create.json",
                                  body={"attributes": [{"apiName": "outcome", "name": "O"}]}),
                         "1017", "Attribute 'outcome' already exists")
        self.assertError(self.api("POST", TYPE[:-5] + "/hailCall/attributes/create.json",
                                  body={"attributes": [{"apiName": "callId", "name": "C"}]}),
                         "1017", "Attribute 'callId' already exists")
        self.api("POST", TYPE[:-5] + "/hailCall/approve.json")
        self.assertError(self.api("POST", TYPE[:-5] + "/hailCall/approve.json"), "1003",
                         "Activity type 'hailCall' has no draft to approve")
        self.config(custom_type_limit=1)
        self.assertError(self.api("POST", TYPE, body=dict(base, apiName="other")), "1027",
                         "Max activity type limit reached")
        self.assertEqual(self.stats()["violations"], [])
        # Requests the contract does not describe are answered and recorded.
        self.expect_violations = True
        self.config(custom_type_limit=10)
        self.assertError(self.api("POST", TYPE, body={k: v for k, v in base.items()
                                                      if k != "triggerName"}),
                         "701", "'triggerName' cannot be blank")
        bad_type = dict(base, apiName="x1", primaryAttribute={"apiName": "p", "name": "P",
                                                              "dataType": "strin"})
        self.assertError(self.api("POST", TYPE, body=bad_type), "1003",
                         "Invalid dataType 'strin' for attribute 'p'")
        self.assertEqual(self.stats()["violations"], [
            "POST /rest/v1/activities/external/type.json: body is missing required property "
            "'triggerName'",
            "POST /rest/v1/activities/external/type.json: body primaryAttribute property "
            "'dataType' must be one of string/boolean/integer/float/link/email/currency/date/"
            "datetime/phone/text, got 'strin'"])

    def test_external_activities_added_skipped_and_visible(self):
        self.seed({"id": 1}, {"id": 2})
        call = self.create_type("hailCall")
        self.create_type("hailDraft", approve=False)
        rec = {"leadId": 1, "activityDate": "2024-03-01T10:00:00Z", "activityTypeId": call,
               "primaryAttributeValue": "call-1",
               "attributes": [{"apiName": "outcome", "value": "Connected"},
                              {"name": "Duration", "value": 42}]}
        records = [rec, dict(rec, leadId=999), dict(rec, activityTypeId=100002),
                   dict(rec, activityTypeId=100099),
                   dict(rec, attributes=[{"apiName": "mood", "value": "x"}]),
                   dict(rec, activityDate="yesterday"),
                   dict(rec, leadId=2, activityDate="2024-03-01T11:00:00+0000",
                        primaryAttributeValue="call-2"),
                   rec]
        env = self.api("POST", EXTERNAL, body={"input": records})
        env.pop("requestId")
        self.assertEqual(env, {"success": True, "result": [
            {"id": 3, "marketoGUID": "3", "status": "added"},
            {"status": "skipped", "reasons": [{"code": "1004", "message": "Lead not found"}]},
            {"status": "skipped", "reasons": [{"code": "1013",
                                               "message": "Activity type '100002' not found"}]},
            {"status": "skipped", "reasons": [{"code": "1013",
                                               "message": "Activity type '100099' not found"}]},
            {"status": "skipped", "reasons": [{"code": "1006",
                                               "message": "Field 'mood' not found"}]},
            {"status": "skipped", "reasons": [{"code": "1003", "message":
                                               "Invalid value for activityDate: \"yesterday\""}]},
            {"id": 4, "marketoGUID": "4", "status": "added"},
            {"id": 5, "marketoGUID": "5", "status": "added"}]})
        ext = self.stats()["external"]
        self.assertEqual(ext, {"added": 3, "skipped": 5, "duplicates": 1,
                               "by_type": {str(call): 3},
                               "skipped_by_code": {"1004": 1, "1013": 2, "1006": 1, "1003": 1}})
        kept = self.control("GET", "/_fake/external?leadId=2")["activities"]
        self.assertEqual(kept, [dict(records[6], id=4, marketoGUID="4")])
        self.assertEqual(len(self.control("GET", "/_fake/external?activityTypeId=%d"
                                          % call)["activities"]), 3)
        token = self.paging_token("2024-01-01T00:00:00Z")
        got, _, _ = self.drain_activities("/rest/v1/activities.json", token,
                                          activityTypeIds=str(call), leadIds="1")
        self.assertEqual([g.pop("activityDate")[:19] for g in got],
                         ["2024-03-01T10:00:00", "2024-03-01T10:00:00"])
        self.assertEqual(got[0], {
            "id": 3, "marketoGUID": "3", "leadId": 1, "activityTypeId": call,
            "primaryAttributeValue": "call-1",
            "attributes": [{"name": "Outcome", "apiName": "outcome", "value": "Connected"},
                           {"name": "Duration", "apiName": "duration", "value": 42}]})
        # More than 300 records, and a body over 1 MB.
        self.assertError(self.api("POST", EXTERNAL, body={"input": [rec] * 301}),
                         "1003", "Too many records: 301 given, at most 300")
        big = dict(rec, primaryAttributeValue="x" * 4000)
        r = self.request("POST", EXTERNAL, body={"input": [big] * 300})
        self.assertEqual((r.status, r.body), (413, b"Request Entity Too Large\n"))
        self.assertEqual(self.stats()["external"]["added"], 3)

    def test_external_activities_injected_failures(self):
        self.seed({"id": 1})
        call = self.create_type("hailCall")
        rec = {"leadId": 1, "activityDate": "2024-03-01T10:00:00Z", "activityTypeId": call,
               "primaryAttributeValue": "c", "attributes": []}
        messages = {"601": "Access token invalid", "602": "Access token expired",
                    "604": "Request timed out", "606": "Max rate limit '100' exceeded with "
                    "in '20' secs", "607": "Daily quota reached",
                    "608": "API Temporarily Unavailable", "611": "System error",
                    "615": "Concurrent access limit reached", "713": "Transient Error",
                    "1029": "Too many jobs (10) in queue"}
        for path in (EXTERNAL, TYPE, TYPES, TYPE[:-5] + "/hailCall/approve.json"):
            for code, message in messages.items():
                self.control("POST", "/_fake/inject", {"path": path, "code": code})
                method = "GET" if path == TYPES else "POST"
                body = {"input": [rec]} if path == EXTERNAL else (
                    {"apiName": "x"} if path == TYPE else None)
                if path == TYPE:
                    self.expect_violations = True   # the body is never looked at
                self.assertError(self.api(method, path, body=body), code, message)
                if code in ("601", "602"):
                    self._token = None
                if code == "607":
                    self.config(reset_quota=True)
            self.control("POST", "/_fake/inject", {"path": path, "close": True})
            with self.assertRaises((http.client.HTTPException, urllib.error.URLError, OSError)):
                self.request("GET" if path == TYPES else "POST", path,
                             body={"input": [rec]} if path == EXTERNAL else None)
        self.assertEqual(self.stats()["external"]["added"], 0)
        env = self.api("POST", EXTERNAL, body={"input": [rec]})
        # Activity ids are Marketo-wide: id 1 is the lead's New Lead activity.
        self.assertEqual(env["result"], [{"id": 2, "marketoGUID": "2", "status": "added"}])
        self.assertEqual(self.stats()["errors"]["close"], 4)

    def test_external_activities_within_real_limits(self):
        self.seed({"id": 1})
        call = self.create_type("hailCall")
        rec = {"leadId": 1, "activityDate": "2024-03-01T10:00:00Z", "activityTypeId": call,
               "primaryAttributeValue": "c"}
        self.config(rate_calls=5, rate_window=20)   # 3 calls made by create_type()
        self.assertTrue(self.api("POST", EXTERNAL, body={"input": [rec]})["success"])
        self.assertTrue(self.api("POST", EXTERNAL, body={"input": [rec]})["success"])
        self.assertError(self.api("POST", EXTERNAL, body={"input": [rec]}), "606",
                         "Max rate limit '5' exceeded with in '20' secs")
        # Limits off (benchmarks): no window, no concurrency cap, no quota; tokens still count.
        self.config(limits=False, daily_quota=1, max_concurrency=1, latency=0.2)
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            envs = list(pool.map(lambda _: self.api("POST", EXTERNAL, body={"input": [rec]}),
                                 range(4)))
        self.assertEqual([e["success"] for e in envs], [True] * 4)
        self.assertGreaterEqual(self.stats()["max_in_flight"], 2)
        self.assertError(self.api("POST", EXTERNAL, body={"input": [rec]}, token="nope"),
                         "601", "Access token invalid")
        self.config(limits=True, latency=0)
        self.assertError(self.api("POST", EXTERNAL, body={"input": [rec]}), "607",
                         "Daily quota reached")
        self.assertEqual(self.stats()["external"]["added"], 6)

    def test_external_activities_counted_only(self):
        self.seed({"id": 1})
        call = self.create_type("hailCall")
        self.config(keep_external=False)
        rec = {"leadId": 1, "activityDate": "2024-03-01T10:00:00Z", "activityTypeId": call,
               "primaryAttributeValue": "c"}
        env = self.api("POST", EXTERNAL, body={"input": [rec, rec, dict(rec, leadId=5)]})
        self.assertEqual(env["result"], [
            {"id": 2, "marketoGUID": "2", "status": "added"},
            {"id": 3, "marketoGUID": "3", "status": "added"},
            {"status": "skipped", "reasons": [{"code": "1004", "message": "Lead not found"}]}])
        self.assertEqual(self.stats()["external"], {
            "added": 2, "skipped": 1, "duplicates": 0, "by_type": {str(call): 2},
            "skipped_by_code": {"1004": 1}})
        self.assertEqual(self.control("GET", "/_fake/external"), {"activities": []})
        self.assertEqual(self.stats()["activities"], 1)   # the New Lead activity only

    def test_no_limits_flag(self):
        port_file = os.path.join(self.tmp, "port-nolimits")
        proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                                 "--no-limits", "--rate-calls", "1"], stdout=subprocess.DEVNULL)
        try:
            deadline = time.time() + 10
            while not os.path.exists(port_file) and time.time() < deadline:
                time.sleep(0.02)
            with open(port_file) as f:
                port = int(f.read())
            base = "http://127.0.0.1:%d" % port
            with urllib.request.urlopen(base + "/_fake/config", timeout=10) as r:
                self.assertFalse(json.loads(r.read())["limits"])
            with urllib.request.urlopen(base + "/identity/oauth/token?"
                                        + urllib.parse.urlencode(CLIENT), timeout=10) as r:
                tok = json.loads(r.read())["access_token"]
            for _ in range(3):   # over --rate-calls 1, all answered
                req = urllib.request.Request(base + TYPES,
                                             headers={"Authorization": "Bearer " + tok})
                with urllib.request.urlopen(req, timeout=10) as r:
                    env = json.loads(r.read())
                env.pop("requestId")
                self.assertEqual(env, {"success": True, "result": []})
        finally:
            stop_process(proc)

    # ------------------------------------------------------------ lead activities

    def seed_activities(self, *acts):
        return self.control("POST", "/_fake/activities", {"activities": list(acts)})["ids"]

    def test_activity_types(self):
        env = self.api("GET", "/rest/v1/activities/types.json")
        self.assertTrue(env["success"], env)
        by_id = {t["id"]: t for t in env["result"]}
        for type_id, name in ((1, "Visit Webpage"), (2, "Fill Out Form"), (3, "Click Link"),
                              (6, "Send Email"), (7, "Email Delivered"), (8, "Email Bounced"),
                              (9, "Unsubscribe Email"), (10, "Open Email"),
                              (11, "Click Email"), (12, "New Lead"),
                              (13, "Change Data Value"), (46, "Interesting Moment")):
            self.assertEqual(by_id[type_id]["name"], name)
            self.assertIsInstance(by_id[type_id]["attributes"], list)
        self.assertEqual(by_id[1]["primaryAttribute"], {"name": "Webpage ID",
                                                        "dataType": "integer"})

    def test_lead_activities_by_type_and_lead_oldest_first(self):
        token = self.paging_token("2024-03-01T00:00:00Z")
        self.seed({"id": 1}, {"id": 2})
        self.seed_activities(
            {"leadId": 1, "activityTypeId": 1, "activityDate": "2024-02-20T10:00:00Z",
             "primaryAttributeValue": "old.html", "primaryAttributeValueId": 5},
            {"leadId": 1, "activityTypeId": 1, "activityDate": "2024-03-02T10:00:00Z",
             "primaryAttributeValue": "pricing.html", "primaryAttributeValueId": 7,
             "attributes": [{"name": "Webpage URL", "value": "/pricing.html"}]},
            {"leadId": 2, "activityTypeId": 1, "activityDate": "2024-03-02T11:00:00Z",
             "primaryAttributeValue": "other.html", "primaryAttributeValueId": 8},
            {"leadId": 1, "activityTypeId": 10, "activityDate": "2024-03-03T09:00:00Z",
             "primaryAttributeValue": "Spring Newsletter", "primaryAttributeValueId": 900},
            {"leadId": 1, "activityTypeId": 46, "activityDate": "2024-03-04T09:00:00Z",
             "primaryAttributeValue": "Web",
             "attributes": [{"name": "Description", "value": "Visited pricing twice"}]},
            {"leadId": 1, "activityTypeId": 8, "activityDate": "2024-03-05T09:00:00Z",
             "primaryAttributeValue": "Spring Newsletter"})
        records, pages, _ = self.drain_activities("/rest/v1/activities.json", token,
                                                  activityTypeIds="1,10,46", leadIds="1",
                                                  batchSize=2)
        self.assertEqual(len(pages), 2)
        self.assertEqual([(r["activityTypeId"], r["primaryAttributeValue"]) for r in records],
                         [(1, "pricing.html"), (10, "Spring Newsletter"), (46, "Web")])
        first = records[0]
        self.assertEqual(first["leadId"], 1)
        self.assertEqual(first["primaryAttributeValueId"], 7)
        self.assertEqual(first["attributes"], [{"name": "Webpage URL", "value": "/pricing.html"}])
        self.assertEqual(first["marketoGUID"], str(first["id"]))
        self.assertTrue(first["activityDate"].startswith("2024-03-02T10:00:00"))
        self.assertEqual(records[2]["attributes"],
                         [{"name": "Description", "value": "Visited pricing twice"}])
        self.assertNotIn("primaryAttributeValueId", records[2])
        # repeated parameters (collectionFormat multi) work like a comma list
        env = self.api("GET", "/rest/v1/activities.json",
                       [("nextPageToken", token), ("activityTypeIds", "1"),
                        ("activityTypeIds", "10"), ("leadIds", "2")])
        self.assertEqual([r["primaryAttributeValue"] for r in env["result"]], ["other.html"])
        # assetIds with one type
        env = self.api("GET", "/rest/v1/activities.json",
                       {"nextPageToken": token, "activityTypeIds": "1", "assetIds": "8"})
        self.assertEqual([r["primaryAttributeValue"] for r in env["result"]], ["other.html"])

    def test_lead_activities_empty_and_short_pages(self):
        token = self.paging_token("2020-01-01")
        env = self.api("GET", "/rest/v1/activities.json",
                       {"nextPageToken": token, "activityTypeIds": "1", "leadIds": "1"})
        self.assertTrue(env["success"])
        self.assertNotIn("result", env)
        self.assertFalse(env["moreResult"])
        self.seed_activities(*({"leadId": 1, "activityTypeId": 1,
                                "activityDate": "2024-01-0%dT00:00:00Z" % d,
                                "primaryAttributeValue": "p%d" % d} for d in range(1, 7)))
        self.config(short_pages=True)
        records, pages, _ = self.drain_activities("/rest/v1/activities.json", token,
                                                  activityTypeIds="1", batchSize=4)
        self.assertEqual([r["primaryAttributeValue"] for r in records],
                         ["p1", "p2", "p3", "p4", "p5", "p6"])
        self.assertTrue(any(p["moreResult"] and "result" not in p for p in pages))

    def test_lead_activities_errors(self):
        token = self.paging_token("2020-01-01")
        path = "/rest/v1/activities.json"
        self.expect_violations = True     # the missing required parameters are violations
        self.assertError(self.api("GET", path, {"activityTypeIds": "1"}),
                         "701", "'nextPageToken' cannot be blank")
        self.assertError(self.api("GET", path, {"nextPageToken": token}),
                         "701", "'activityTypeIds' cannot be blank")
        self.assertError(self.api("GET", path, {"nextPageToken": "nonsense!",
                                                "activityTypeIds": "1"}),
                         "1003", "Invalid nextPageToken 'nonsense!'")
        self.assertError(self.api("GET", path, {"nextPageToken": token,
                                                "activityTypeIds": "1,2,3,6,7,8,9,10,11,46,12"}),
                         "1003", "At most 10 activityTypeIds are allowed")
        self.assertError(self.api("GET", path, {"nextPageToken": token,
                                                "activityTypeIds": "1,999"}),
                         "1003", "Invalid activityTypeIds: 999")
        self.assertError(self.api("GET", path, {"nextPageToken": token, "activityTypeIds": "1",
                                                "leadIds": ",".join(map(str, range(1, 32)))}),
                         "1003", "At most 30 leadIds are allowed")
        self.assertError(self.api("GET", path, {"nextPageToken": token,
                                                "activityTypeIds": "1,2", "assetIds": "3"}),
                         "1003", "assetIds can only be used with a single activity type")
        self.assertError(self.api("GET", path, {"nextPageToken": token, "activityTypeIds": "1",
                                                "batchSize": "301"}),
                         "1003", "Invalid value '301' for batchSize. Must be between 1 and 300")
        violations = self.stats()["violations"]
        self.assertEqual(violations, [
            "GET /rest/v1/activities.json: missing required query parameter 'nextPageToken'",
            "GET /rest/v1/activities.json: missing required query parameter 'activityTypeIds'"])

    def test_lead_activities_count_against_limits(self):
        token = self.paging_token("2020-01-01")
        self.config(rate_calls=3, rate_window=60)
        q = {"nextPageToken": token, "activityTypeIds": "1", "leadIds": "1"}
        self.assertTrue(self.api("GET", "/rest/v1/activities.json", q)["success"])
        self.assertTrue(self.api("GET", "/rest/v1/activities.json", q)["success"])
        self.assertError(self.api("GET", "/rest/v1/activities.json", q), "606",
                         "Max rate limit '3' exceeded with in '60' secs")
        self.config(rate_calls=100, daily_quota=self.stats()["daily_calls"])
        self.assertError(self.api("GET", "/rest/v1/activities.json", q), "607",
                         "Daily quota reached")

    def test_seed_activities_rejects_bad_input(self):
        for bad, message in (
                ({"leadId": 1, "activityTypeId": 13}, "activityTypeId 13 is not a type "
                 "/_fake/activities seeds (lead changes come from /_fake/leads)"),
                ({"leadId": "x", "activityTypeId": 1}, "leadId must be an integer"),
                ({"leadId": 1, "activityTypeId": 1, "activityDate": "soon"},
                 "activityDate must be ISO-8601, got 'soon'")):
            with self.assertRaises(urllib.error.HTTPError) as cm:
                self.seed_activities(bad)
            with cm.exception as e:
                self.assertEqual(e.code, 400)
                self.assertEqual(json.loads(e.read()), {"error": message})
        self.assertEqual(self.stats()["activities"], 0)

    # ------------------------------------------------------------ contract checks

    def test_invalid_request_records_violation_but_is_answered(self):
        self.expect_violations = True
        env = self.api("GET", LEADS, {"filterType": "id", "filterValues": "1", "bogus": "1"})
        self.assertTrue(env["success"])
        env = self.api("GET", "/rest/v1/nothing/here.json")
        self.assertError(env, "610", "Requested resource not found")
        violations = self.stats()["violations"]
        self.assertIn("GET /rest/v1/leads.json: unknown query parameter 'bogus'", violations)
        self.assertIn("GET /rest/v1/nothing/here.json: unknown path", violations)

    def test_contract_module(self):
        c = contract.Contract()
        ok = c.check("GET", LEADS, {"filterType": ["id"], "filterValues": ["1,2"],
                                    "fields": ["email,phone"], "batchSize": ["10"]})
        self.assertEqual(ok, [])
        self.assertEqual(c.check("GET", "/identity/oauth/token",
                                 {k: [v] for k, v in CLIENT.items()}), [])
        self.assertEqual(c.check("GET", "/rest/v9/x.json", {}), ["GET /rest/v9/x.json: unknown path"])
        self.assertEqual(c.check("DELETE", LEADS, {}),
                         ["DELETE /rest/v1/leads.json: method DELETE not described for "
                          "/rest/v1/leads.json (allowed: GET, POST)"])
        self.assertEqual(c.check("GET", LEADS, {"filterType": ["id"]}),
                         ["GET /rest/v1/leads.json: missing required query parameter "
                          "'filterValues'"])
        self.assertEqual(c.check("GET", LEADS, {"filterType": ["id"], "filterValues": ["1"],
                                                "batchSize": ["ten"]}),
                         ["GET /rest/v1/leads.json: query parameter 'batchSize' must be an "
                          "integer, got 'ten'"])
        # It said "item 'x' must be an integer, got 'x'": the item named twice.
        self.assertEqual(c.check("GET", "/rest/v1/activities/leadchanges.json",
                                 {"nextPageToken": ["t"], "fields": ["email"], "leadIds": ["1,x"]}),
                         ["GET /rest/v1/activities/leadchanges.json: query parameter 'leadIds' "
                          "item must be an integer, got 'x'"])
        self.assertEqual(c.check("GET", "/rest/v1/campaigns.json", {"isTriggerable": ["yes"]}),
                         ["GET /rest/v1/campaigns.json: query parameter 'isTriggerable' must be "
                          "true or false, got 'yes'"])
        body = json.dumps({"fields": ["id"], "filter": {"smartListId": 1}}).encode()
        self.assertEqual(c.check("POST", EXPORT + "/create.json", {}, body, "application/json"), [])
        self.assertEqual(c.check("POST", EXPORT + "/create.json", {}, b'{"fields":"id"}',
                                 "application/json"),
                         ["POST /bulk/v1/leads/export/create.json: body is missing required "
                          "property 'filter'",
                          "POST /bulk/v1/leads/export/create.json: body property 'fields' must "
                          "be array"])
        good = {"leadId": 1, "activityDate": "2024-03-01T10:00:00Z", "activityTypeId": 100001,
                "primaryAttributeValue": "p", "attributes": [{"apiName": "a", "value": 1},
                                                             {"name": "B", "value": "x"}]}
        bad = {"leadId": "1", "activityTypeId": 100001, "primaryAttributeValue": "p",
               "attributes": [{"value": 1, "colour": "red"}], "extra": True}
        body = json.dumps({"input": [good, bad, 7]}).encode()
        self.assertEqual(c.check("POST", EXTERNAL, {}, body, "application/json"), [
            "POST %s: body input[1] is missing required property 'activityDate'" % EXTERNAL,
            "POST %s: body input[1] property 'leadId' must be integer" % EXTERNAL,
            "POST %s: body input[1].attributes[0] needs 'apiName' or 'name'" % EXTERNAL,
            "POST %s: body input[1].attributes[0] has unknown property 'colour'" % EXTERNAL,
            "POST %s: body input[1] has unknown property 'extra'" % EXTERNAL,
            "POST %s: body input[2] must be an object" % EXTERNAL])
        body = json.dumps({"input": [{}] * 300}).encode()
        problems = c.check("POST", EXTERNAL, {}, body, "application/json")
        self.assertEqual(len(problems), 11)
        self.assertEqual(problems[-1], "POST %s: ... and 1190 more body problems" % EXTERNAL)
        self.assertEqual(c.check("POST", TYPE[:-5] + "/x/approve.json", {}), [])
        self.assertEqual(c.check("GET", TYPES, {}), [])
        self.assertEqual(c.check("GET", "/rest/v1/lead/abc.json", {}),
                         ["GET /rest/v1/lead/abc.json: path parameter 'leadId' must be an "
                          "integer, got 'abc'"])

    # ------------------------------------------------------------ control API

    def test_stats_shape_and_reset(self):
        self.seed({"id": 1})
        token = self.token()
        self.leads([1])
        st = self.stats()
        for key in ("calls", "errors", "tokens_issued", "max_in_flight", "violations",
                    "rate_max_in_window", "exports"):
            self.assertIn(key, st)
        self.assertEqual(st["calls"][LEADS], 1)
        self.assertEqual(st["calls"]["/identity/oauth/token"], 1)
        self.control("POST", "/_fake/reset")
        st = self.stats()
        self.assertEqual((st["calls"], st["tokens_issued"], st["leads"]), ({}, 0, 0))
        self.assertError(self.leads([1], token=token), "601", "Access token invalid")


def throughput(seconds=5.0, clients=4):
    """How many custom activities a second the fake takes with its limits off: `clients`
    keep-alive connections posting the same 300-record external.json body for `seconds`.
    Prints `fake_external_per_s=N`. Run: python3 tests/fake/test_fake_marketo.py --throughput"""
    tmp = tempfile.mkdtemp(prefix="fake-marketo-tp-")
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file,
                             "--no-limits"], stdout=subprocess.DEVNULL)
    try:
        deadline = time.time() + 10
        while not os.path.exists(port_file) and time.time() < deadline:
            time.sleep(0.02)
        with open(port_file) as f:
            port = int(f.read())

        def call(conn, method, path, body=None, token=None):
            hdrs = {"Content-Type": "application/json"}
            if token:
                hdrs["Authorization"] = "Bearer " + token
            conn.request(method, path, body=body, headers=hdrs)
            r = conn.getresponse()
            data = r.read()
            if r.status != 200:
                raise RuntimeError("%s %s: HTTP %d %r" % (method, path, r.status, data[:200]))
            return data
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        call(conn, "POST", "/_fake/leads",
             json.dumps({"leads": [{"id": i} for i in range(1, 301)]}).encode())
        token = json.loads(call(conn, "GET", "/identity/oauth/token?"
                                + urllib.parse.urlencode(CLIENT)))["access_token"]
        call(conn, "POST", TYPE, json.dumps({
            "apiName": "hailSend", "name": "Send Sales Email", "triggerName": "Is Sent",
            "filterName": "Was Sent", "primaryAttribute": {"apiName": "subject",
                                                           "name": "Subject"}}).encode(), token)
        call(conn, "POST", TYPE[:-5] + "/hailSend/attributes/create.json", json.dumps(
            {"attributes": [{"apiName": a, "name": a} for a in
                            ("hailActivityId", "template", "campaign", "machine")]}).encode(),
             token)
        type_id = json.loads(call(conn, "POST", TYPE[:-5] + "/hailSend/approve.json",
                                  None, token))["result"][0]["id"]
        body = json.dumps({"input": [{
            "leadId": i, "activityDate": "2026-11-29T10:00:%02dZ" % (i % 60),
            "activityTypeId": type_id, "primaryAttributeValue": "Subject line %d" % i,
            "attributes": [{"apiName": "hailActivityId", "value": str(1000000 + i)},
                           {"apiName": "template", "value": "Intro v2"},
                           {"apiName": "campaign", "value": "Q4 outbound"},
                           {"apiName": "machine", "value": False}]}
            for i in range(1, 301)]}).encode()
        done = [0] * clients
        stop = time.time() + seconds

        def worker(n):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            while time.time() < stop:
                call(c, "POST", EXTERNAL, body, token)
                done[n] += 300
            c.close()
        def cpu():   # the fake's user+system CPU seconds (Linux /proc)
            with open("/proc/%d/stat" % proc.pid) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        cpu0 = cpu()
        t0 = time.time()
        threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.time() - t0
        cpu_used = cpu() - cpu0
        stats = json.loads(call(conn, "GET", "/_fake/stats"))
        added = stats["external"]["added"]
        assert added == sum(done), (added, sum(done))
        # The fake serves on one core (one interpreter lock): activities per CPU second of
        # the fake is what it can take when it has a core to itself.
        print("fake_external_per_s=%d fake_external_per_cpu_s=%d (%d activities in %.1f s, "
              "fake CPU %.2f s, %d clients, body %d bytes, violations %d)"
              % (added / elapsed, added / max(cpu_used, 1e-6), added, elapsed, cpu_used,
                 clients, len(body), stats["violations_total"]))
    finally:
        stop_process(proc)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--throughput"]:
        throughput(*(float(a) for a in sys.argv[2:3]), *(int(a) for a in sys.argv[3:4]))
        sys.exit(0)
    sys.exit(contract.exit_code(unittest.main(verbosity=2, exit=False).result))
