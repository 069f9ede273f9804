"""The web app's files, against the real server: MIME types, ETag/304 and the
cache policy, index.html for the app's own routes (deep links survive a
reload) but never for /api/…, the Content-Security-Policy with the import
map's hash, headers on every reply, path traversal refused, HAIL_WEB_ROOT
checked at start-up, and the Marketo sync state as Server-Sent Events.

The web root here is a small one the test writes (the real app is tested in
Chromium by web/test/e2e); the server reads it through HAIL_WEB_ROOT."""
import base64
import hashlib
import http.client
import json
import os
import shutil
import socket
import tempfile
import time
import unittest

import harness
import openapi_check
from harness import Hail

IMPORT_MAP = '{"imports":{"preact":"/vendor/preact@10.0.0/preact.module.js"}}'
INDEX = ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>hail</title>'
         '<script type="importmap">%s</script>'
         '<script type="module" src="/app/main.js"></script></head>'
         '<body><div id="app"></div></body></html>')
CSP = ("default-src 'none'; script-src 'self' 'sha256-%s'; style-src 'self'; "
       "img-src 'self' data:; connect-src 'self'; font-src 'self'; manifest-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
API_CSP = "default-src 'none'; frame-ancestors 'none'"
BAD_PATH = b'{"error":{"code":"bad_request","message":"bad path"}}'
NO_FILE = b'{"error":{"code":"not_found","message":"no such file"}}'
NO_RESOURCE = b'{"error":{"code":"not_found","message":"no such resource"}}'


def csp_for(import_map):
    digest = hashlib.sha256(import_map.encode()).digest()
    return CSP % base64.b64encode(digest).decode()


def write(root, rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def get(port, path, method="GET", headers=None):
    """One exchange; the path goes out exactly as given (no normalising)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        c.putrequest(method, path, skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            c.putheader(k, v)
        c.endheaders()
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


class WebCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.root = tempfile.mkdtemp(prefix="hail-web-")
        write(cls.root, "index.html", INDEX % IMPORT_MAP)
        write(cls.root, "app/main.js", "import { h } from 'preact';\n")
        write(cls.root, "app/styles.css", "body { margin: 0 }\n")
        write(cls.root, "app/pages/people.js", "export const x = 1;\n")
        write(cls.root, "favicon.svg", '<svg xmlns="http://www.w3.org/2000/svg"/>')
        write(cls.root, "vendor/preact@10.0.0/preact.module.js", "export const h = 1;\n")
        cls.big = bytes((i * 7) % 251 for i in range(3 * 1024 * 1024 + 17))
        write(cls.root, "app/big.bin", cls.big)
        os.makedirs(os.path.join(cls.root, "app/empty-dir"))
        cls.outside = tempfile.mkdtemp(prefix="hail-outside-")
        write(cls.outside, "secret.txt", "outside the web root")
        os.symlink(os.path.join(cls.outside, "secret.txt"), os.path.join(cls.root, "app/leak.txt"))
        os.symlink(cls.outside, os.path.join(cls.root, "app/out"))
        cls.h = Hail(env={"HAIL_WEB_ROOT": cls.root})
        cls.token = cls.h.admin_token()
        cls.h.start()
        cls.port = cls.h.port

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        shutil.rmtree(cls.root, ignore_errors=True)
        shutil.rmtree(cls.outside, ignore_errors=True)


class FilesTest(WebCase):
    def test_files_have_their_mime_type(self):
        for path, ctype in [("/app/main.js", "text/javascript; charset=utf-8"),
                            ("/app/styles.css", "text/css; charset=utf-8"),
                            ("/favicon.svg", "image/svg+xml"),
                            ("/vendor/preact@10.0.0/preact.module.js",
                             "text/javascript; charset=utf-8"),
                            ("/app/big.bin", "application/octet-stream")]:
            status, h, body = get(self.port, path)
            self.assertEqual((status, h["content-type"]), (200, ctype), path)
            with open(os.path.join(self.root, path[1:]), "rb") as f:
                self.assertEqual(body, f.read(), path)

    def test_a_large_file_arrives_whole(self):
        status, h, body = get(self.port, "/app/big.bin")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-length"], str(len(self.big)))
        self.assertEqual(body, self.big)
        status, h, body = get(self.port, "/app/big.bin", method="HEAD")
        self.assertEqual((status, h["content-length"], body), (200, str(len(self.big)), b""))

    def test_etag_and_304(self):
        status, h, _ = get(self.port, "/app/main.js")
        self.assertEqual(status, 200)
        etag = h["etag"]
        self.assertRegex(etag, r'^"[0-9a-f]+-[0-9a-f]+-[0-9a-f]+"$')
        for inm in (etag, 'W/' + etag, '"other", ' + etag, "*"):
            status, h2, body = get(self.port, "/app/main.js", headers={"If-None-Match": inm})
            self.assertEqual((status, body, h2["etag"]), (304, b"", etag), inm)
            self.assertEqual(h2["cache-control"], "no-cache")
        status, _, _ = get(self.port, "/app/main.js", headers={"If-None-Match": '"other"'})
        self.assertEqual(status, 200)

    def test_cache_policy(self):
        self.assertEqual(get(self.port, "/app/main.js")[1]["cache-control"], "no-cache")
        self.assertEqual(get(self.port, "/vendor/preact@10.0.0/preact.module.js")[1]
                         ["cache-control"], "public, max-age=31536000, immutable")
        self.assertEqual(get(self.port, "/")[1]["cache-control"], "no-cache")
        self.assertEqual(get(self.port, "/people/5")[1]["cache-control"], "no-cache")
        # Errors and the API are never cached.
        self.assertEqual(get(self.port, "/app/nope.js")[1]["cache-control"], "no-store")
        self.assertEqual(get(self.port, "/healthz")[1]["cache-control"], "no-store")

    def test_app_routes_get_index_html(self):
        want = (INDEX % IMPORT_MAP).encode()
        for path in ("/", "/index.html", "/people", "/people/123", "/people/123?tab=calls",
                     "/admin/users", "/accounts/0015e00000XyZ12", "/sign-in?next=%2Fpeople"):
            status, h, body = get(self.port, path)
            self.assertEqual((status, h["content-type"], body),
                             (200, "text/html; charset=utf-8", want), path)
            self.assertEqual(h["content-security-policy"], csp_for(IMPORT_MAP), path)
        status, h, body = get(self.port, "/people/123", method="HEAD")
        self.assertEqual((status, body), (200, b""))
        status, h2, _ = get(self.port, "/people/9", headers={"If-None-Match": h["etag"]})
        self.assertEqual(status, 304)

    def test_missing_files_are_404_not_the_app(self):
        for path in ("/app/nope.js", "/app/pages/nope", "/vendor/nope/x.js", "/vendor",
                     "/nope.png", "/people/1.json", "/app/empty-dir", "/app/empty-dir/",
                     "/app", "/app/"):
            status, h, body = get(self.port, path)
            self.assertEqual((status, h["content-type"], body),
                             (404, "application/json", NO_FILE), path)

    def test_the_api_never_gets_the_app(self):
        for path in ("/api/v1/nope", "/api", "/api/", "/api/v2/people", "/api/v1/people/1/x"):
            status, h, body = get(self.port, path)
            self.assertEqual((status, h["content-type"], body),
                             (404, "application/json", NO_RESOURCE), path)
        status, _, body = get(self.port, "/api/v1/people")
        self.assertEqual(status, 401)

    def test_only_get_and_head(self):
        for method in ("POST", "PUT", "DELETE", "PATCH"):
            status, h, body = get(self.port, "/people", method=method)
            self.assertEqual((status, h["allow"]), (405, "GET"), method)
            self.assertEqual(json.loads(body), {"error": {
                "code": "method_not_allowed",
                "message": "%s is not allowed here (allowed: GET)" % method}})


class TraversalTest(WebCase):
    def test_dot_segments_and_nul_are_refused(self):
        for path in ("/../etc/passwd", "/app/../../etc/passwd", "/app/../index.html",
                     "/%2e%2e/%2e%2e/etc/passwd", "/app/%2e%2e/%2e%2e/etc/passwd",
                     "/app/%2E%2E/index.html", "/./index.html", "/app/./main.js",
                     "/app//main.js", "//etc/passwd", "/app/main.js%00.png", "/a%00b",
                     "/%00", "/app%5c..%5cindex.html", "/app/%0amain.js"):
            status, h, body = get(self.port, path)
            self.assertEqual((status, body), (400, BAD_PATH), path)
            self.assertEqual(h["content-type"], "application/json", path)

    def test_links_out_of_the_root_are_not_followed(self):
        for path in ("/app/leak.txt", "/app/out/secret.txt"):
            status, _, body = get(self.port, path)
            self.assertEqual((status, body), (404, NO_FILE), path)


class HeadersTest(WebCase):
    def test_every_reply_has_the_security_headers(self):
        csp = csp_for(IMPORT_MAP)
        cases = [("/", csp), ("/people/1", csp), ("/app/main.js", csp),
                 ("/vendor/preact@10.0.0/preact.module.js", csp), ("/favicon.svg", csp),
                 ("/app/nope.js", API_CSP), ("/../x", API_CSP), ("/healthz", API_CSP),
                 ("/api/v1/nope", API_CSP), ("/api/v1/people", API_CSP)]
        for path, want in cases:
            _, h, _ = get(self.port, path)
            self.assertEqual(h.get("content-security-policy"), want, path)
            self.assertEqual(h.get("x-content-type-options"), "nosniff", path)
            self.assertEqual(h.get("referrer-policy"), "same-origin", path)
            self.assertIn("frame-ancestors 'none'", h["content-security-policy"], path)

    def test_a_new_index_gets_a_new_hash(self):
        other = '{"imports":{"htm":"/vendor/htm@3.1.1/htm.module.js"}}'
        path = os.path.join(self.root, "index.html")
        try:
            time.sleep(0.01)  # a different modification time
            write(self.root, "index.html", INDEX % other)
            status, h, body = get(self.port, "/people")
            self.assertEqual((status, body), (200, (INDEX % other).encode()))
            self.assertEqual(h["content-security-policy"], csp_for(other))
            self.assertEqual(get(self.port, "/app/main.js")[1]["content-security-policy"],
                             csp_for(other))
        finally:
            write(self.root, "index.html", INDEX % IMPORT_MAP)
            os.utime(path)
        self.assertEqual(get(self.port, "/")[1]["content-security-policy"], csp_for(IMPORT_MAP))


class ConfigTest(unittest.TestCase):
    def test_a_bad_web_root_stops_serve(self):
        h = Hail()
        try:
            for root in ("/nonexistent-hail-web", h.dir):
                p = h.run("serve", "--listen", "127.0.0.1:0", env={"HAIL_WEB_ROOT": root})
                self.assertEqual(p.returncode, 2, p.stderr)
                self.assertEqual(p.stderr,
                                 "hail: HAIL_WEB_ROOT: '%s' is not a directory with an index.html "
                                 "(the web app is built by make into <build>/web)\n" % root)
                self.assertFalse(os.path.exists(h.data), "nothing is created")
        finally:
            h.close()


class SyncEventsTest(WebCase):
    """GET /api/v1/sync/marketo/events: a status event on connect, the same
    JSON as GET /api/v1/sync/marketo, then nothing until it changes."""

    def open_stream(self, token):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"GET /api/v1/sync/marketo/events HTTP/1.1\r\nHost: x\r\n"
                  b"Accept: text/event-stream\r\nAuthorization: Bearer " + token.encode() +
                  b"\r\n\r\n")
        return s

    def read_until(self, s, marker, timeout=10):
        data = b""
        deadline = time.time() + timeout
        s.settimeout(0.2)
        while marker not in data and time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            data += chunk
        return data

    def test_the_first_event_is_the_status(self):
        s = self.open_stream(self.token)
        try:
            data = self.read_until(s, b"\n\n\r\n")
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        self.assertEqual(lines[0], "HTTP/1.1 200 OK")
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:]}
        self.assertEqual(headers["content-type"], "text/event-stream")
        self.assertEqual(headers["cache-control"], "no-store")
        self.assertEqual(headers["x-accel-buffering"], "no")
        self.assertEqual(headers["transfer-encoding"], "chunked")
        # One chunk: "<hex>\r\nevent: status\ndata: {...}\n\n\r\n".
        size, _, rest = body.partition(b"\r\n")
        event = rest[:int(size, 16)].decode()
        self.assertTrue(event.startswith("event: status\ndata: "), event)
        self.assertTrue(event.endswith("\n\n"), event)
        status = json.loads(event[len("event: status\ndata: "):-2])
        spec = openapi_check.spec()
        schema = {"$ref": "#/components/schemas/SyncStatus"}
        self.assertEqual(spec.errors(schema, status), [])
        now = self.h.request("GET", "/api/v1/sync/marketo", token=self.token)
        self.assertEqual(status, json.loads(now.body))

    def test_streams_need_a_user(self):
        r = self.h.request("GET", "/api/v1/sync/marketo/events")
        self.assertEqual((r.status, json.loads(r.body)),
                         (401, {"error": {"code": "unauthorized",
                                          "message": "authentication required"}}))

    def test_many_idle_streams_hold_no_threads(self):
        """Twice as many open streams as HTTP threads, and the API still
        answers at once: an idle stream is suspended, not waited on."""
        streams = [self.open_stream(self.token) for _ in range(24)]
        try:
            for s in streams:
                self.assertIn(b"event: status", self.read_until(s, b"\n\n\r\n"))
            t0 = time.time()
            r = self.h.request("GET", "/healthz")
            self.assertEqual(r.status, 200)
            self.assertLess(time.time() - t0, 5)
        finally:
            for s in streams:
                s.close()


class SyncEventsLiveTest(unittest.TestCase):
    """With the fake Marketo: a run started by "Sync now" reaches an open
    stream as events, without asking again, ending with the finished run."""

    def setUp(self):
        self.fake = harness.FakeMarketo("--status-step", "0.05")
        now = time.time()
        self.fake.add_leads([{"id": i, "firstName": "P%d" % i,
                              "leadOwnerEmailAddress": "rep@example.com",
                              "createdAt": harness.iso(now - 86400 + i)} for i in range(1, 31)])
        self.h = Hail(env=self.fake.env(HAIL_MARKETO_SINCE=harness.since_env(5),
                                        HAIL_MARKETO_SYNC_INTERVAL="3600"))
        self.token = self.h.admin_token()
        self.h.start()

    def tearDown(self):
        self.h.close()
        self.fake.close()

    def events(self, s, until, timeout=60):
        """Parses status events off the chunked stream until until(event)."""
        buf, seen = b"", []
        deadline = time.time() + timeout
        s.settimeout(0.2)
        while time.time() < deadline:
            while b"\n\n" in buf:
                raw, _, buf = buf.partition(b"\n\n")
                raw = raw.split(b"\r\n")[-1].decode()
                if raw.startswith("event: status\ndata: "):
                    ev = json.loads(raw[len("event: status\ndata: "):])
                    seen.append(ev)
                    if until(ev):
                        return seen
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            buf += chunk
        raise AssertionError("no such event in %r" % seen)

    def test_a_run_reaches_the_stream(self):
        # The server's first sync runs at start: wait for it to finish.
        deadline = time.time() + 60
        while True:
            st = self.h.request("GET", "/api/v1/sync/marketo", token=self.token).json
            if st["last_run"] and not st["running"]:
                break
            self.assertLess(time.time(), deadline, st)
            time.sleep(0.1)
        first = st["last_run"]["id"]
        s = socket.create_connection(("127.0.0.1", self.h.port), timeout=10)
        try:
            s.sendall(b"GET /api/v1/sync/marketo/events HTTP/1.1\r\nHost: x\r\n"
                      b"Authorization: Bearer " + self.token.encode() + b"\r\n\r\n")
            seen = self.events(s, lambda ev: ev["last_run"]["id"] == first)
            self.fake.add_leads([{"id": 100, "firstName": "New",
                                  "leadOwnerEmailAddress": "rep@example.com",
                                  "createdAt": harness.iso(time.time() - 60)}])
            r = self.h.request("POST", "/api/v1/sync/marketo", token=self.token)
            self.assertEqual(r.status, 202, r.body)
            seen += self.events(s, lambda ev: ev["last_run"]["id"] > first and not ev["running"])
        finally:
            s.close()
        spec = openapi_check.spec()
        for ev in seen:
            self.assertEqual(spec.errors({"$ref": "#/components/schemas/SyncStatus"}, ev), [])
        # Each event differs from the one before it (no repeats).
        for a, b in zip(seen, seen[1:]):
            self.assertNotEqual(a, b)
        self.assertEqual(seen[-1]["last_run"]["status"], "ok")


if __name__ == "__main__":
    harness.main()
