"""The OpenAPI reply check (openapi_check.py) itself: it must catch what it is
there to catch, on a tiny in-memory document, so that it cannot silently pass
everything; the project's document must be usable by it; and the harness's
request path must apply it (a stub server plays hail). No hail binary needed."""
import http.server
import json
import threading
import unittest

import harness
import openapi_check
from openapi_check import Mismatch, Spec, translate

ERR = {"$ref": "#/components/schemas/Error"}
ERR_BODY = json.dumps({"error": {"code": "not_found", "message": "no such thing"}})


def content(schema):
    return {"application/json": {"schema": schema}}


THING_CONTENT = content({"$ref": "#/components/schemas/Thing"})

TINY = {
    "openapi": "3.0.3",
    "info": {"title": "tiny", "version": "1"},
    "components": {
        "schemas": {
            "Error": {
                "type": "object", "required": ["error"], "additionalProperties": False,
                "properties": {"error": {
                    "type": "object", "required": ["code", "message"],
                    "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}},
            "Thing": {
                "type": "object", "required": ["id", "name", "kind"], "additionalProperties": False,
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "name": {"type": "string", "nullable": True, "maxLength": 5},
                    "kind": {"type": "string", "enum": ["a", "b"], "nullable": True},
                    "owner": {"allOf": [{"$ref": "#/components/schemas/Ref"}], "nullable": True},
                    "secret": {"type": "string", "writeOnly": True},
                    "at": {"type": "string", "format": "date-time"}}},
            "Ref": {"type": "object", "required": ["id"],
                    "properties": {"id": {"type": "integer"}}},
        },
        "responses": {"NotFound": {"description": "unknown id", "content": content(ERR)}},
    },
    "paths": {
        "/things/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "integer"}}],
            "get": {"responses": {"200": {"description": "the thing", "content": THING_CONTENT},
                                  "404": {"$ref": "#/components/responses/NotFound"}}},
            "delete": {"responses": {"204": {"description": "gone"},
                                     "429": {"description": "later", "content": content(ERR),
                                             "headers": {"Retry-After": {
                                                 "required": True,
                                                 "schema": {"type": "integer", "minimum": 1}}}},
                                     "4XX": {"description": "refused", "content": content(ERR)}}},
        },
        "/things": {
            "post": {"responses": {"201": {"description": "made", "content": THING_CONTENT},
                                   "default": {"description": "error", "content": content(ERR)}}},
        },
    },
}

THING = {"id": 1, "name": "x", "kind": "a"}
JSON = "application/json"


class Translate(unittest.TestCase):
    def test_nullable_adds_null_to_type_and_enum(self):
        self.assertEqual(translate({"type": "string", "nullable": True, "enum": ["a"]}),
                         {"type": ["string", "null"], "enum": ["a", None]})

    def test_nullable_without_a_type_wraps_the_schema(self):
        self.assertEqual(translate({"allOf": [{"$ref": "#/x"}], "nullable": True}),
                         {"anyOf": [{"allOf": [{"$ref": "#/x"}]}, {"type": "null"}]})

    def test_nested_schemas_are_translated_and_openapi_keywords_dropped(self):
        self.assertEqual(
            translate({"type": "object", "example": {}, "properties": {
                "a": {"type": "array", "items": {"type": "integer", "nullable": True}}}}),
            {"type": "object", "properties": {"a": {"type": "array",
                                                    "items": {"type": ["integer", "null"]}}}})

    def test_write_only_members_are_not_required_in_replies(self):
        s = {"type": "object", "required": ["a", "p"],
             "properties": {"a": {"type": "string"}, "p": {"type": "string", "writeOnly": True}}}
        self.assertEqual(translate(s)["required"], ["a"])
        self.assertEqual(translate(s, "request")["required"], ["a", "p"])


class Check(unittest.TestCase):
    def setUp(self):
        self.spec = Spec(TINY)

    def ok(self, method, path, status, body, ctype=JSON):
        text = body if isinstance(body, str) else json.dumps(body)
        self.spec.check(method, path, status, ctype, text)

    def bad(self, method, path, status, body, ctype=JSON):
        with self.assertRaises(Mismatch) as cm:
            self.ok(method, path, status, body, ctype)
        return str(cm.exception)

    def test_a_documented_reply_passes(self):
        self.ok("GET", "/things/7", 200, THING)
        self.ok("GET", "/things/7", 200, dict(THING, name=None, kind=None, owner=None))
        self.ok("GET", "/things/7", 200, dict(THING, owner={"id": 3}, at="2026-11-28T10:00:00Z"))
        self.ok("GET", "/things/7", 404, ERR_BODY, "application/json; charset=utf-8")
        self.ok("GET", "/things/7?x=1", 200, THING)

    def test_an_undocumented_status_is_caught(self):
        self.assertEqual(self.bad("GET", "/things/7", 500, ERR_BODY),
                         "GET /things/7 -> 500: status 500 is not documented for GET /things/{id} "
                         "(documented: 200, 404)")
        self.bad("GET", "/things/7", 201, THING)

    def test_an_off_schema_body_is_caught(self):
        self.assertEqual(
            self.bad("GET", "/things/7", 200, dict(THING, id="7")),
            "GET /things/7 -> 200: the body does not match the document's schema: "
            "at ['id']: '7' is not of type 'integer'; body "
            + json.dumps(dict(THING, id="7")))
        self.assertIn("'id' is a required property",
                      self.bad("GET", "/things/7", 200, {"name": "x", "kind": "a"}))
        self.assertIn("Additional properties are not allowed ('extra' was unexpected)",
                      self.bad("GET", "/things/7", 200, dict(THING, extra=1)))
        self.assertIn("at ['name']: 5 is not of type 'string', 'null'",
                      self.bad("GET", "/things/7", 200, dict(THING, name=5)))
        self.assertIn("at ['kind']: 'c' is not one of ['a', 'b', None]",
                      self.bad("GET", "/things/7", 200, dict(THING, kind="c")))
        self.assertIn("at ['name']: 'toolong' is too long",
                      self.bad("GET", "/things/7", 200, dict(THING, name="toolong")))
        self.assertIn("at ['id']: 0 is less than the minimum of 1",
                      self.bad("GET", "/things/7", 200, dict(THING, id=0)))
        self.assertIn("at ['owner']: {'id': 'x'} is not valid under any of the given schemas",
                      self.bad("GET", "/things/7", 200, dict(THING, owner={"id": "x"})))
        self.assertIn("at ['at']: '28/11/2026' is not a 'date-time'",
                      self.bad("GET", "/things/7", 200, dict(THING, at="28/11/2026")))
        self.assertIn("at ['error']: 'message' is a required property",
                      self.bad("GET", "/things/7", 404, {"error": {"code": "x"}}))

    def test_a_body_that_is_not_json_is_caught(self):
        self.assertEqual(self.bad("GET", "/things/7", 200, "<html>"),
                         "GET /things/7 -> 200: the body is not JSON (Expecting value: line 1 "
                         "column 1 (char 0)): '<html>'")

    def test_the_content_type_is_checked(self):
        self.assertEqual(self.bad("GET", "/things/7", 200, THING, "text/html"),
                         "GET /things/7 -> 200: Content-Type 'text/html' is not documented "
                         "(documented: application/json); body " + repr(json.dumps(THING)))
        self.bad("GET", "/things/7", 200, THING, None)

    def test_a_reply_without_documented_content_must_be_empty(self):
        self.ok("DELETE", "/things/7", 204, "", None)
        self.assertEqual(self.bad("DELETE", "/things/7", 204, "{}"),
                         "DELETE /things/7 -> 204: the document gives this response no content, "
                         "but it has a body: '{}'")

    def test_ranges_and_default_cover_statuses(self):
        self.ok("DELETE", "/things/7", 409, ERR_BODY)
        self.bad("DELETE", "/things/7", 500, ERR_BODY)
        self.bad("DELETE", "/things/7", 409, {"oops": 1})
        self.ok("POST", "/things", 201, THING)
        self.ok("POST", "/things", 418, ERR_BODY)
        self.bad("POST", "/things", 418, "teapot", "text/plain")

    def test_head_is_checked_as_get_without_a_body(self):
        self.ok("HEAD", "/things/7", 200, "")
        self.bad("HEAD", "/things/7", 204, "")

    def test_no_operation_needs_a_4xx_in_the_error_shape(self):
        self.ok("GET", "/nothing", 404, ERR_BODY)
        self.ok("PATCH", "/things/7", 405, ERR_BODY)
        self.ok("GET", "/things", 405, ERR_BODY)
        self.ok("GET", "/things/7/more", 404, ERR_BODY)
        self.assertEqual(self.bad("PATCH", "/things/7", 200, THING),
                         "PATCH /things/7 -> 200: PATCH is no operation of the OpenAPI document "
                         "(documented here: GET, DELETE), so a 4xx error is expected")
        self.assertIn("is not documented",
                      self.bad("GET", "/nothing", 404, "<h1>Not found</h1>", "text/html"))
        self.assertIn("'code' is a required property",
                      self.bad("GET", "/nothing", 404, {"error": {"message": "x"}}))

    def test_documented_headers_are_checked(self):
        def check(headers):
            self.spec.check("DELETE", "/things/7", 429, JSON, ERR_BODY, headers)
        check([("Retry-After", "30")])
        check({"Retry-After": "1"})
        self.spec.check("DELETE", "/things/7", 429, JSON, ERR_BODY)  # headers not given
        with self.assertRaises(Mismatch) as cm:
            check([])
        self.assertEqual(str(cm.exception),
                         "DELETE /things/7 -> 429: the required header Retry-After is missing")
        with self.assertRaises(Mismatch) as cm:
            check([("retry-after", "soon")])
        self.assertEqual(str(cm.exception),
                         "DELETE /things/7 -> 429: header Retry-After is 'soon', not an integer")
        with self.assertRaises(Mismatch) as cm:
            check([("Retry-After", "0")])
        self.assertEqual(str(cm.exception),
                         "DELETE /things/7 -> 429: header Retry-After '0' does not match the "
                         "document's schema: at (root): 0 is less than the minimum of 1")

    def test_a_405_allows_exactly_the_documented_methods(self):
        self.spec.check("PATCH", "/things/7", 405, JSON, ERR_BODY, [("Allow", "GET, DELETE")])
        self.spec.check("PUT", "/things", 405, JSON, ERR_BODY, {"Allow": "POST"})
        with self.assertRaises(Mismatch) as cm:
            self.spec.check("PATCH", "/things/7", 405, JSON, ERR_BODY, [("Allow", "GET")])
        self.assertEqual(str(cm.exception), "PATCH /things/7 -> 405: Allow is 'GET', the document "
                                            "has DELETE, GET on this path")

    def test_the_path_is_matched_as_the_server_sees_it(self):
        self.assertEqual(self.spec.find("GET", "/things/%37")[0].template, "/things/{id}")
        self.assertEqual(self.spec.find("HEAD", "/things/7")[0].method, "GET")
        self.assertIsNone(self.spec.find("GET", "/things/a%2Fb")[0])
        self.assertIsNone(self.spec.find("GET", "/things/")[0])
        self.assertEqual(self.spec.find("GET", "/things/7?q=/x")[0].template, "/things/{id}")
        # An encoded NUL does not end the path: this is /things/{id}, not /things.
        self.assertEqual(self.spec.find("DELETE", "/things/7%00")[0].template, "/things/{id}")
        self.assertIsNone(self.spec.find("POST", "/things%00/7")[0])


class ProjectDocument(unittest.TestCase):
    def test_every_schema_of_the_document_is_valid_json_schema(self):
        spec = openapi_check.spec()
        self.assertTrue(spec.operations)
        for op in spec.operations:
            self.assertTrue(op.responses, op)
            for status, resp in op.responses.items():
                for media, c in (resp.get("content") or {}).items():
                    if "schema" in c:
                        v = spec.validator(c["schema"])
                        v.check_schema(v.schema)
                        list(v.iter_errors({}))  # every $ref resolves


class Stub(http.server.BaseHTTPRequestHandler):
    """Plays hail: /healthz answers with whatever the test put in `reply`."""
    reply = (200, JSON, "{}")

    def do_GET(self):
        status, ctype, body = Stub.reply
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *a):
        pass


class HarnessHook(unittest.TestCase):
    """Hail.request checks every reply against docs/openapi.json."""

    @classmethod
    def setUpClass(cls):
        cls.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stub)
        cls.thread = threading.Thread(target=cls.srv.serve_forever, daemon=True)
        cls.thread.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.shutdown()
        cls.srv.server_close()

    def setUp(self):
        self.h = harness.Hail()
        self.h.port = self.srv.server_address[1]
        self.addCleanup(self.h.close)

    HEALTHY = {"status": "ok", "version": "0.1.0", "schema_version": 2,
               "started_at": "2026-11-28T09:00:00Z"}

    def test_a_documented_reply_passes(self):
        Stub.reply = (200, JSON, json.dumps(self.HEALTHY))
        self.assertEqual(self.h.request("GET", "/healthz").json, self.HEALTHY)

    def test_an_off_schema_reply_fails_the_request(self):
        Stub.reply = (200, JSON, json.dumps(dict(self.HEALTHY, status=1)))
        with self.assertRaises(AssertionError) as cm:
            self.h.request("GET", "/healthz")
        self.assertIn("GET /healthz -> 200: the body does not match the document's schema: "
                      "at ['status']: 1 is not of type 'string'; at ['status']: 1 is not one "
                      "of ['ok']; body ", str(cm.exception))

    def test_an_undocumented_status_fails_the_request(self):
        Stub.reply = (500, JSON, ERR_BODY)
        with self.assertRaises(AssertionError) as cm:
            self.h.request("GET", "/healthz")
        self.assertIn("GET /healthz -> 500: status 500 is not documented for GET /healthz",
                      str(cm.exception))


if __name__ == "__main__":
    harness.main()
