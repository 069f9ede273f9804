"""Request checks against Adobe's Marketo Swagger 2.0 files.

The Marketo fake calls `Contract.check()` on every request it serves (except its own
/_fake control API) so that a test can assert hail never sends anything the published
contract does not describe. Only the request side is checked, and only as deep as a
client can get wrong without noticing: the operation (method + path), query and path
parameters (presence, unknown names, integer/boolean/array types, enums) and the
top-level shape of a JSON body. Each problem comes back as a human-readable string.

Standard library only. The Swagger files are not part of the repository: they are found
in `$HAIL_SHARED/contracts/marketo`, HAIL_SHARED defaulting to `../shared` beside the
repository root (see README.md, "Tests"). Without them the fake cannot start, and the tests
that need it are reported as skipped with the path they looked for (`missing()`).
"""

import json
import os
import re
import unittest

MAPI_FILE = "swagger-mapi.json"
IDENTITY_FILE = "swagger-identity.json"

# Query parameters the fake itself deals with, so the contract check must not report
# them a second time: `access_token` is accepted but reported as deprecated by the fake,
# `_method` is Marketo's POST-tunnelling switch for URIs too long for a GET.
IGNORED_QUERY = frozenset({"access_token", "_method"})

# Objects inside a request body checked property by property (custom activities and their
# types), each with the required properties of a *request*: Swagger shares these models
# with responses, so e.g. CustomActivity "requires" id and errors, which a client never
# sends. Adobe's prose lets an attribute be named by apiName or name.
DEEP = {
    "CustomActivity": ("leadId", "activityDate", "activityTypeId", "primaryAttributeValue"),
    "Attribute": ("value",),
    "CustomActivityTypeAttribute": ("apiName", "name"),
}
ONE_OF_REQUIRED = {"Attribute": ("apiName", "name")}
ANY_TYPE = {("Attribute", "value")}    # Swagger says object; values are strings, numbers, ...
MAX_ITEM_ERRORS = 10                   # per request body, then one "... more" line
_PY_TYPES = {"object": (dict,), "array": (list,), "string": (str,), "integer": (int,),
             "number": (int, float), "boolean": (bool,)}

_INT_RE = re.compile(r"-?[0-9]+\Z")
_NUM_RE = re.compile(r"-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\Z")


def shared_dir():
    """HAIL_SHARED, or `../shared` beside the repository root."""
    env = os.environ.get("HAIL_SHARED")
    if env:
        return os.path.abspath(env)
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return os.path.join(os.path.dirname(repo), "shared")


def default_contracts_dir():
    """Return the directory holding the two Swagger files."""
    return os.path.join(shared_dir(), "contracts", "marketo")


def missing(directory=None):
    """None when the Swagger files are there; otherwise why not, naming the path."""
    directory = directory or default_contracts_dir()
    for name in (MAPI_FILE, IDENTITY_FILE):
        path = os.path.join(directory, name)
        if not os.path.isfile(path):
            return ("the Marketo contract is not at %s (set HAIL_SHARED to the folder "
                    "holding contracts/marketo/)" % path)
    return None


SKIP_EXIT = 77  # ctest's SKIP_RETURN_CODE for a test file that could run nothing


def exit_code(result):
    """A unittest run's exit status: 1 on a failure, 77 when nothing ran because the
    shared files were missing (ctest reports it SKIPPED), else 0."""
    if not result.wasSuccessful():
        return 1
    skipped_tests = sum(1 for t, _ in result.skipped if isinstance(t, unittest.TestCase))
    ran = result.testsRun - skipped_tests
    if ran == 0 and any("HAIL_SHARED" in why for _, why in result.skipped):
        return SKIP_EXIT
    return 0


def _label(label):
    """Render a lazy label: a string, (array label, index) or (parent, property, index)."""
    if type(label) is str:
        return label
    if len(label) == 2:
        return "%s[%d]" % label
    parent, name, index = label
    text = "%s.%s" % (_label(parent), name)
    return text if index is None else "%s[%d]" % (text, index)


class Operation:
    """One method on one Swagger path, with its parameters split by location."""

    def __init__(self, spec, template, method, definitions):
        self.template = template
        self.method = method.upper()
        self.consumes = spec.get("consumes") or []
        self.query = {}
        self.path_params = {}
        self.body = None       # the `in: body` parameter, if any
        self.form = {}
        self.definitions = definitions
        for p in spec.get("parameters", []):
            where = p.get("in")
            if where == "query":
                self.query[p["name"]] = p
            elif where == "path":
                self.path_params[p["name"]] = p
            elif where == "body":
                self.body = p
            elif where == "formData":
                self.form[p["name"]] = p
            # header parameters (Range, ...) are optional everywhere: nothing to check


class Contract:
    """The union of the Marketo REST (mapi) and identity Swagger descriptions."""

    def __init__(self, directory=None):
        self.directory = directory or default_contracts_dir()
        self.definitions = {}
        self.paths = {}          # template -> {METHOD: Operation}
        for name in (MAPI_FILE, IDENTITY_FILE):
            with open(os.path.join(self.directory, name), encoding="utf-8") as f:
                doc = json.load(f)
            base = (doc.get("basePath") or "/").rstrip("/")
            defs = doc.get("definitions", {})
            self.definitions.update(defs)
            for template, methods in doc.get("paths", {}).items():
                full = base + template
                ops = self.paths.setdefault(full, {})
                for method, spec in methods.items():
                    if isinstance(spec, dict) and method.lower() in (
                            "get", "post", "put", "delete", "patch", "head", "options"):
                        ops[method.upper()] = Operation(spec, full, method, self.definitions)
        # Literal paths must win over templated ones that could also match
        # (e.g. /rest/v1/leads/describe.json vs a /rest/v1/leads/{x}.json), so try
        # templates with fewer {placeholders} first.
        self._routes = []
        for template in self.paths:
            names = re.findall(r"\{([^}/]+)\}", template)
            pattern = "".join(
                "(?P<p%d>[^/]+)" % names.index(part[1:-1]) if part.startswith("{")
                else re.escape(part)
                for part in re.split(r"(\{[^}/]+\})", template) if part)
            self._routes.append((len(names), template, re.compile(pattern + r"\Z"), names))
        self._routes.sort(key=lambda r: (r[0], r[1]))

    # ------------------------------------------------------------------ lookup

    def match(self, path):
        """Return (template, {name: value}) for a request path, or (None, {}).
        Answers for paths seen before come from a bounded cache (the same few paths are
        asked for again and again; the routes are hundreds of regular expressions)."""
        cache = self.__dict__.setdefault("_match_cache", {})
        hit = cache.get(path)
        if hit is not None:
            return hit[0], dict(hit[1])
        found = (None, {})
        for _, template, rx, names in self._routes:
            m = rx.match(path)
            if m:
                found = (template, {n: m.group("p%d" % i) for i, n in enumerate(names)})
                break
        if len(cache) >= 4096:
            cache.clear()
        cache[path] = found
        return found[0], dict(found[1])

    def operation(self, method, path):
        template, _ = self.match(path)
        if template is None:
            return None
        return self.paths[template].get(method.upper())

    # ------------------------------------------------------------------ checks

    def check(self, method, path, query, body=None, content_type=None, doc=None):
        """Validate one request; return a list of violation strings (empty = valid).

        method/path: the HTTP method and URL path (no query string).
        query: {name: [values]} as from urllib.parse.parse_qs(keep_blank_values=True).
        body: raw request body bytes (None or b"" when there is none).
        content_type: the request's Content-Type header, if any.
        doc: optionally `(parsed body,)`, when the caller has parsed the JSON already.
        """
        method = method.upper()
        where = "%s %s" % (method, path)
        template, path_values = self.match(path)
        if template is None:
            return ["%s: unknown path" % where]
        op = self.paths[template].get(method)
        if op is None:
            return ["%s: method %s not described for %s (allowed: %s)" % (
                where, method, template, ", ".join(sorted(self.paths[template])))]
        out = []
        for name, value in path_values.items():
            spec = op.path_params.get(name)
            if spec is not None:
                err = self._scalar_error(spec, value)
                if err:
                    out.append("%s: path parameter '%s' %s" % (where, name, err))
        for name, values in query.items():
            if name in IGNORED_QUERY:
                continue
            spec = op.query.get(name)
            if spec is None:
                out.append("%s: unknown query parameter '%s'" % (where, name))
                continue
            out.extend("%s: query parameter '%s' %s" % (where, name, e)
                       for e in self._param_errors(spec, values))
        for name, spec in op.query.items():
            if spec.get("required") and name not in query:
                out.append("%s: missing required query parameter '%s'" % (where, name))
        out.extend("%s: %s" % (where, e)
                   for e in self._body_errors(op, body, content_type, doc))
        return out

    def _param_errors(self, spec, values):
        typ = spec.get("type")
        if typ == "array":
            # Swagger says collectionFormat multi (repeat the name) but Marketo documents
            # comma-separated lists; accept either, and both at once.
            items = [v for raw in values for v in raw.split(",")]
            if not any(i != "" for i in items):
                return ["is empty"]
            item_spec = dict(spec.get("items") or {})
            if "enum" in spec and "enum" not in item_spec:
                item_spec["enum"] = spec["enum"]
            errs = []
            for item in items:
                err = self._scalar_error(item_spec, item)
                if err:
                    errs.append("item %s" % err)  # err names the item
            return errs
        if len(values) > 1:
            return ["given %d times but is not an array" % len(values)]
        err = self._scalar_error(spec, values[0] if values else "")
        return [err] if err else []

    @staticmethod
    def _scalar_error(spec, raw):
        typ = spec.get("type", "string")
        if typ == "integer" and not _INT_RE.match(raw):
            return "must be an integer, got %r" % raw
        if typ == "number" and not _NUM_RE.match(raw):
            return "must be a number, got %r" % raw
        if typ == "boolean" and raw not in ("true", "false"):
            return "must be true or false, got %r" % raw
        enum = spec.get("enum")
        if enum and raw not in enum and raw.lower() not in [str(e).lower() for e in enum]:
            return "must be one of %s, got %r" % ("/".join(map(str, enum)), raw)
        return None

    def _resolve(self, schema):
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 20:
            schema = self.definitions.get(schema["$ref"].rsplit("/", 1)[-1], {})
            seen += 1
        return schema or {}

    def _body_errors(self, op, body, content_type, parsed=None):
        has_body = body is not None and body.strip() != b""
        ctype = (content_type or "").split(";")[0].strip().lower()
        if op.body is None:
            if has_body and not op.form:
                return ["request body not described by the contract"]
            return []
        if not has_body:
            return ["missing required JSON body"] if op.body.get("required") else []
        errs = []
        if ctype != "application/json":
            errs.append("body Content-Type must be application/json, got %r" % (content_type or ""))
        if parsed is not None:
            doc = parsed[0]
        else:
            try:
                doc = json.loads(body.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                return errs + ["body is not valid JSON"]
        schema = self._resolve(op.body.get("schema"))
        want = schema.get("type", "object" if "properties" in schema else None)
        if want and not self._type_ok(want, doc):
            return errs + ["body must be a JSON %s" % want]
        if want != "object":
            return errs
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in doc:
                errs.append("body is missing required property '%s'" % name)
        for name, value in doc.items():
            pspec = props.get(name)
            if pspec is None:
                errs.append("body has unknown property '%s'" % name)
                continue
            deep = self._deep_name(pspec)
            pspec = self._resolve(pspec)
            ptype = pspec.get("type", "object" if "properties" in pspec else None)
            if ptype and value is not None and not self._type_ok(ptype, value):
                errs.append("body property '%s' must be %s" % (name, ptype))
                continue
            deep_errs = []
            if deep and isinstance(value, dict):
                self._object_errors("body %s" % name, deep, value, deep_errs)
            elif ptype == "array" and isinstance(value, list):
                item = self._deep_name(pspec.get("items"))
                if item:
                    ok = self._validator(item)
                    for i, v in enumerate(value):
                        if not ok(v):   # the fast yes/no first; describe only what fails
                            self._object_errors(("body " + name, i), item, v, deep_errs)
            if len(deep_errs) > MAX_ITEM_ERRORS:
                deep_errs[MAX_ITEM_ERRORS:] = ["... and %d more body problems"
                                               % (len(deep_errs) - MAX_ITEM_ERRORS)]
            errs.extend(deep_errs)
        return errs

    @staticmethod
    def _deep_name(spec):
        """The definition name of a $ref to one of the DEEP models, else None."""
        if isinstance(spec, dict) and "$ref" in spec:
            name = spec["$ref"].rsplit("/", 1)[-1]
            if name in DEEP:
                return name
        return None

    def _compiled(self, defname):
        """Per DEEP model, once: (required set, either-of tuple, {property: check}) where a
        check is (Python types or None, nested model, array-item model, enum or None)."""
        cache = self.__dict__.setdefault("_deep_cache", {})
        if defname not in cache:
            props = {}
            for name, raw in self.definitions.get(defname, {}).get("properties", {}).items():
                spec = self._resolve(raw)
                typ = spec.get("type", "object" if "properties" in spec else None)
                if (defname, name) in ANY_TYPE or typ not in _PY_TYPES:
                    typ = None
                props[name] = (typ, _PY_TYPES.get(typ), self._deep_name(raw),
                               self._deep_name(spec.get("items")) if typ == "array" else None,
                               spec.get("enum"))
            cache[defname] = (frozenset(DEEP[defname]), ONE_OF_REQUIRED.get(defname), props)
        return cache[defname]

    def _validator(self, defname):
        """A fast yes/no check of one object against a DEEP model, agreeing with
        _object_errors (which says what is wrong); built once per model."""
        cache = self.__dict__.setdefault("_validators", {})
        if defname in cache:
            return cache[defname]
        required, either, props = self._compiled(defname)
        allowed = frozenset(props)
        exact = {"object": frozenset({dict}), "array": frozenset({list}),
                 "string": frozenset({str}), "integer": frozenset({int}),
                 "number": frozenset({int, float}), "boolean": frozenset({bool})}
        simple, nested = {}, {}
        for name, (typ, _, deep, item, enum) in props.items():
            if typ is None:
                continue
            if item:
                sub = self._validator(item)
                nested[name] = (exact[typ], getattr(sub, "flat", None) or sub, True,
                                getattr(sub, "flat", None) and "flat")
            elif deep:
                nested[name] = (exact[typ], self._validator(deep), False, None)
            elif enum:
                nested[name] = (exact[typ], None, False, frozenset(enum))
            else:
                simple[name] = exact[typ]
        first, second = either if either else (None, None)

        def ok(obj):
            if type(obj) is not dict:
                return False
            keys = obj.keys()
            if not (required <= keys and keys <= allowed):
                return False
            if first is not None and first not in obj and second not in obj:
                return False
            for name, value in obj.items():
                if value is None:
                    continue
                types = simple.get(name)
                if types is not None:
                    if type(value) not in types:
                        return False
                elif name in nested:
                    types, sub, many, enum = nested[name]
                    if type(value) not in types:
                        return False
                    if enum == "flat":
                        # Items of a model with scalar properties only (attributes):
                        # checked here, without a call per item.
                        f_req, f_allowed, f_first, f_second, f_simple = sub
                        for it in value:
                            if type(it) is not dict:
                                return False
                            k = it.keys()
                            if not (f_req <= k and k <= f_allowed):
                                return False
                            if f_first is not None and f_first not in it and f_second not in it:
                                return False
                            for n, v in it.items():
                                t = f_simple.get(n)
                                if t is not None and v is not None and type(v) not in t:
                                    return False
                    elif many:
                        if not all(map(sub, value)):
                            return False
                    elif sub is not None:
                        if not sub(value):
                            return False
                    elif value not in enum:
                        return False
            return True
        if not nested:
            ok.flat = (required, allowed, first, second, simple)
        cache[defname] = ok
        return ok

    def _object_errors(self, label, defname, obj, out):
        """Check one request object against definition `defname` (see DEEP). Kept cheap:
        it runs for every record of every external.json call."""
        if type(obj) is not dict:
            out.append("%s must be an object" % _label(label))
            return
        required, either, props = self._compiled(defname)
        if not required <= obj.keys():
            for name in DEEP[defname]:
                if name not in obj:
                    out.append("%s is missing required property '%s'" % (_label(label), name))
        if either and not any(k in obj for k in either):
            out.append("%s needs '%s'" % (_label(label), "' or '".join(either)))
        for name, value in obj.items():
            check = props.get(name)
            if check is None:
                out.append("%s has unknown property '%s'" % (_label(label), name))
                continue
            typ, pytypes, deep, item, enum = check
            if value is None or typ is None:
                continue
            if not isinstance(value, pytypes) or (type(value) is bool and bool not in pytypes):
                out.append("%s property '%s' must be %s" % (_label(label), name, typ))
            elif item:
                for i, v in enumerate(value):
                    self._object_errors((label, name, i), item, v, out)
            elif deep:
                self._object_errors((label, name, None), deep, value, out)
            elif enum and value not in enum:
                out.append("%s property '%s' must be one of %s, got %r" % (
                    _label(label), name, "/".join(map(str, enum)), value))

    @staticmethod
    def _type_ok(typ, value):
        if typ == "object":
            return isinstance(value, dict)
        if typ == "array":
            return isinstance(value, list)
        if typ == "string":
            return isinstance(value, str)
        if typ == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if typ == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool)
        if typ == "boolean":
            return isinstance(value, bool)
        return True


if __name__ == "__main__":
    # Handy for a quick look: python3 tests/fake/contract.py GET '/rest/v1/leads.json?x=1'
    import sys
    import urllib.parse
    c = Contract()
    if len(sys.argv) >= 3:
        u = urllib.parse.urlsplit(sys.argv[2])
        body = sys.argv[3].encode() if len(sys.argv) > 3 else None
        query = urllib.parse.parse_qs(u.query, keep_blank_values=True)
        problems = c.check(sys.argv[1], u.path, query, body,
                           "application/json" if body else None)
        print("\n".join(problems) or "ok")
    else:
        print("%d paths loaded from %s" % (len(c.paths), c.directory))
