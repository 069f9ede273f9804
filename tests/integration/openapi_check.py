"""Checks hail's replies against its OpenAPI 3.0 document (docs/openapi.json).

The integration harness (harness.Hail.request) passes every reply through
Spec.check(), so each test's every request is held to the document:

- the operation is found by method and path template (HEAD as GET, the path
  percent-decoded as libmicrohttpd hands it to hail);
- the status must be documented for that operation, or covered by an `NXX`
  range or a `default` response;
- a response with content must carry one of its media types as Content-Type,
  and a JSON body must validate against that media type's schema (with
  `$ref`s resolved inside the document and OpenAPI's `nullable` translated to
  JSON Schema); a response without content must have an empty body;
- documented response headers: present when `required`, values on their schema;
- a request to a path or method that is no operation (a deliberate 404/405
  probe) must get a 4xx in the common error shape (components/schemas/Error),
  and a 405's Allow must name exactly the methods the document has there.

Validation uses Debian's python3-jsonschema (scripts/install-deps.sh).
"""
import copy
import json
import os
import re
import sys
import urllib.parse

try:
    import jsonschema
except ImportError:  # a python3 (pyenv, venv) that does not see Debian's packages
    for _d in ("/usr/lib/python3/dist-packages",):
        if os.path.isdir(_d) and _d not in sys.path:
            sys.path.append(_d)
    try:
        import jsonschema
    except ImportError:
        raise ImportError("the OpenAPI check needs jsonschema: run scripts/install-deps.sh "
                          "(Debian package python3-jsonschema)")

DEFAULT_DOC = os.path.join(os.environ.get("HAIL_SRC") or
                           os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")),
                           "docs", "openapi.json")

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

# Keywords of OpenAPI's Schema Object that are no JSON Schema (or mean
# something else there); dropped after translation.
_OAS_ONLY = ("nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs",
             "example", "deprecated")


class Mismatch(AssertionError):
    """A reply that the document does not allow."""


def translate(schema, mode="response"):
    """An OpenAPI 3.0 Schema Object as a JSON Schema (draft 4) schema.

    `nullable: true` adds null to the allowed values: "null" joins `type`
    (and None joins `enum`); where there is no `type` to extend (a
    composition) the schema becomes `anyOf: [schema, {type: null}]`. In
    "response" mode a `writeOnly` property is never required (it is never
    sent back); in "request" mode the same holds for `readOnly`.
    `$ref`s are kept (they resolve inside the translated document)."""
    if isinstance(schema, list):
        return [translate(s, mode) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {}
    for k, v in schema.items():
        if k in _OAS_ONLY:
            continue
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: translate(s, mode) for name, s in v.items()}
        elif k in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[k] = translate(v, mode)
        else:
            out[k] = copy.deepcopy(v)
    hidden = "writeOnly" if mode == "response" else "readOnly"
    if "required" in out and isinstance(schema.get("properties"), dict):
        out["required"] = [n for n in out["required"]
                           if not schema["properties"].get(n, {}).get(hidden)]
        if not out["required"]:
            del out["required"]
    if schema.get("nullable") is True and "$ref" not in schema:
        t = out.get("type")
        if isinstance(t, str):
            out["type"] = [t, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        elif isinstance(t, list):
            if "null" not in t:
                out["type"] = t + ["null"]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_FORMATS = jsonschema.FormatChecker(())


@_FORMATS.checks("date-time")
def _is_date_time(v):
    return not isinstance(v, str) or bool(_DATE_TIME.match(v))


@_FORMATS.checks("email")
def _is_email(v):
    return not isinstance(v, str) or ("@" in v and not v.startswith("@") and not v.endswith("@"))


@_FORMATS.checks("int64")
def _is_int64(v):
    return not isinstance(v, int) or -2 ** 63 <= v < 2 ** 63


@_FORMATS.checks("int32")
def _is_int32(v):
    return not isinstance(v, int) or -2 ** 31 <= v < 2 ** 31


def _values(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def _media(ct):
    return (ct or "").split(";")[0].strip().lower()


def _media_matches(have, documented):
    have, documented = _media(have), documented.lower()
    if documented == "*/*" or have == documented:
        return True
    return documented.endswith("/*") and have.split("/")[0] == documented[:-2]


def _is_json_media(m):
    m = _media(m)
    return m == "application/json" or m.endswith("+json")


class Operation:
    def __init__(self, spec, method, template, op, path_item):
        self.spec = spec
        self.method = method.upper()
        self.template = template
        self.op = op
        self.id = op.get("operationId") or "%s %s" % (self.method, template)
        params = {}
        for p in path_item.get("parameters", []) + op.get("parameters", []):
            p = spec.deref(p)
            params[(p["name"], p["in"])] = p  # the operation's override the path's
        self.parameters = list(params.values())
        self.request_body = spec.deref(op["requestBody"]) if "requestBody" in op else None
        self.responses = {str(k): spec.deref(v) for k, v in op.get("responses", {}).items()}

    def response_for(self, status):
        """The documented response for a status (exact, then NXX, then
        default), or None."""
        s = str(status)
        for k in (s, s[0] + "XX", s[0] + "xx", "default"):
            if k in self.responses:
                return self.responses[k]
        return None

    def request_schema(self, media="application/json"):
        if not self.request_body:
            return None
        c = self.request_body.get("content", {}).get(media)
        return c.get("schema") if c else None

    def __repr__(self):
        return "Operation(%s)" % self.id


class Spec:
    """An OpenAPI 3.0 document, ready to check replies against."""

    def __init__(self, doc):
        self.doc = doc
        # The whole document translated once per mode: $refs to
        # #/components/... resolve inside these.
        schemas = doc.get("components", {}).get("schemas", {})
        self._translated = {m: {"components": {"schemas": {n: translate(s, m)
                                                           for n, s in schemas.items()}}}
                            for m in ("response", "request")}
        self._validators = {}
        self.operations = []
        self._paths = []
        for template, item in doc.get("paths", {}).items():
            rx = re.compile("^" + "".join(
                "[^/]+" if part.startswith("{") else re.escape(part)
                for part in re.split(r"(\{[^}]+\})", template) if part) + "$")
            ops = {}
            for m in HTTP_METHODS:
                if m in item:
                    o = Operation(self, m, template, item[m], item)
                    ops[m.upper()] = o
                    self.operations.append(o)
            self._paths.append((template, rx, ops))

    @classmethod
    def load(cls, path=DEFAULT_DOC):
        with open(path, encoding="utf-8") as f:
            return cls(json.load(f))

    def deref(self, obj):
        """Follows a local $ref (#/...) to its target."""
        seen = 0
        while isinstance(obj, dict) and "$ref" in obj:
            ref = obj["$ref"]
            if not ref.startswith("#/"):
                raise ValueError("only local $refs are supported: " + ref)
            obj = self.doc
            for part in ref[2:].split("/"):
                obj = obj[part.replace("~1", "/").replace("~0", "~")]
            seen += 1
            if seen > 50:
                raise ValueError("$ref loop at " + ref)
        return obj

    def error_schema(self):
        return {"$ref": "#/components/schemas/Error"}

    @staticmethod
    def server_path(path):
        """The path as hail routes it: no query, %HH decoded (as libmicrohttpd
        does). An encoded NUL is part of its segment: hail must not read the
        path as ending there ("/teams/1%00/members/2" is not "/teams/1")."""
        p = urllib.parse.urlsplit(path).path if "?" in path or "#" in path else path
        return urllib.parse.unquote(p, errors="surrogateescape")

    @classmethod
    def is_api_path(cls, path):
        """Whether hail answers the path with its API (/api/…, /healthz) rather
        than with the web app (a file, or index.html for the app's routes)."""
        p = cls.server_path(path)
        return p == "/healthz" or p == "/api" or p.startswith("/api/")

    def find(self, method, path):
        """(operation or None, the methods documented on the path)."""
        method = method.upper()
        if method == "HEAD":
            method = "GET"
        p = self.server_path(path)
        allowed = []
        for _template, rx, ops in self._paths:
            if rx.match(p):
                if method in ops:
                    return ops[method], list(ops)
                allowed += list(ops)
        return None, allowed

    def validator(self, schema, mode="response"):
        key = (json.dumps(schema, sort_keys=True), mode)
        v = self._validators.get(key)
        if v is None:
            root = dict(self._translated[mode])
            root["allOf"] = [translate(schema, mode)]
            v = jsonschema.Draft4Validator(root, format_checker=_FORMATS)
            self._validators[key] = v
        return v

    def errors(self, schema, value, mode="response"):
        """The schema errors of a value, as strings naming where they are."""
        out = []
        errs = self.validator(schema, mode).iter_errors(value)
        for e in sorted(errs, key=lambda e: [str(p) for p in e.path]):
            where = "".join("[%r]" % p for p in e.path) or "(root)"
            out.append("at %s: %s" % (where, e.message))
        return out

    def check(self, method, path, status, content_type, body, headers=None):
        """Raises Mismatch when the document does not allow this reply.
        body is the reply body as text (or bytes); HEAD replies have none.
        headers (optional: (name, value) pairs or a dict) are checked too:
        the documented ones (present when required, values on schema), and
        Allow on a 405 (exactly the methods the document has on the path)."""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        body = body or ""
        if isinstance(headers, dict):
            headers = list(headers.items())
        what = "%s %s -> %d" % (method, path, status)
        op, allowed = self.find(method, path)
        if op is None:
            # No operation: hail's router answers with the common error shape.
            if not 400 <= status < 500:
                raise Mismatch("%s: %s is no operation of the OpenAPI document (documented here: "
                               "%s), so a 4xx error is expected"
                               % (what, method, ", ".join(allowed) or "nothing"))
            self._check_content(what, method, content_type, body,
                                {"application/json": {"schema": self.error_schema()}})
            if status == 405 and headers is not None:
                allow = {m.strip().upper() for v in _values(headers, "Allow") for m in v.split(",")
                         if m.strip()}
                if allow != set(allowed):
                    raise Mismatch("%s: Allow is %r, the document has %s on this path"
                                   % (what, ", ".join(_values(headers, "Allow")),
                                      ", ".join(sorted(allowed)) or "nothing"))
            return None
        resp = op.response_for(status)
        if resp is None:
            raise Mismatch("%s: status %d is not documented for %s %s (documented: %s)"
                           % (what, status, op.method, op.template, ", ".join(op.responses)))
        self._check_content(what, method, content_type, body, resp.get("content"))
        if headers is not None:
            self._check_headers(what, headers, resp.get("headers") or {})
        return op

    def _check_headers(self, what, headers, documented):
        for name, h in documented.items():
            h = self.deref(h)
            if name.lower() == "content-type":
                continue  # ignored by OpenAPI: the media type says it
            values = _values(headers, name)
            if not values:
                if h.get("required"):
                    raise Mismatch("%s: the required header %s is missing" % (what, name))
                continue
            schema = h.get("schema")
            if schema is None:
                continue
            t = self.deref(schema).get("type")
            for v in values:
                value = v
                if t in ("integer", "number"):
                    try:
                        value = int(v) if t == "integer" else float(v)
                    except ValueError:
                        raise Mismatch("%s: header %s is %r, not an %s" % (what, name, v, t))
                elif t == "boolean":
                    value = {"true": True, "false": False}.get(v, v)
                errs = self.errors(schema, value)
                if errs:
                    raise Mismatch("%s: header %s %r does not match the document's schema: %s"
                                   % (what, name, v, "; ".join(errs)))

    def _check_content(self, what, method, content_type, body, content):
        if not content:
            if body:
                raise Mismatch("%s: the document gives this response no content, but it has a "
                               "body: %r" % (what, body[:200]))
            return
        media = _media(content_type)
        match = [m for m in content if _media_matches(media, m)]
        if method.upper() == "HEAD" and not body:
            if not match:
                raise Mismatch("%s: Content-Type %r is not documented (documented: %s)"
                               % (what, content_type, ", ".join(content)))
            return
        if not match:
            raise Mismatch("%s: Content-Type %r is not documented (documented: %s); body %r"
                           % (what, content_type, ", ".join(content), body[:200]))
        schema = content[match[0]].get("schema")
        if schema is None or not _is_json_media(match[0]):
            return
        try:
            value = json.loads(body)
        except ValueError as e:
            raise Mismatch("%s: the body is not JSON (%s): %r" % (what, e, body[:200]))
        errs = self.errors(schema, value)
        if errs:
            raise Mismatch("%s: the body does not match the document's schema: %s; body %s"
                           % (what, "; ".join(errs[:5]), body[:500]))


_SPEC = None


def spec():
    """The project's document, loaded once per process."""
    global _SPEC
    if _SPEC is None:
        _SPEC = Spec.load()
    return _SPEC
