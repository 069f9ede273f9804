#!/usr/bin/env python3
"""A local fake of the Marketo Engage REST API, for hail's tests and benchmarks.

It follows the Marketo contract (prose and Adobe's Swagger files, in $HAIL_SHARED/contracts/):
OAuth tokens, the JSON envelope and its error codes, the call limits (rate window,
concurrency, daily quota) enforced for real, leads by filter (with `_method=GET`
tunnelling and the 8 KB URI / 1 MB body limits), the bulk lead export lifecycle with
CSV files and Range requests, the incremental activity feeds (leadchanges, deletedleads),
custom activity types (create, add attributes, approve, describe, list) and custom
activities (external.json), and lead activities (activities.json by type and lead id,
types.json) for the insight panel. Every request outside the control API is checked against
the Swagger files (see contract.py) and each violation is recorded for tests to assert on.

A JSON control API under /_fake/ (no auth, never counted, never contract-checked) seeds
leads, injects failures, changes settings at runtime and reports statistics.
tests/fake/README.md describes all of it.

Usage:
  python3 tests/fake/fake_marketo.py --port 0 --port-file /tmp/port \
      [--client-id ID --client-secret S] [--token-ttl 3599] [--status-step 0.05] \
      [--rate-calls 100 --rate-window 20] [--max-concurrency 10] [--daily-quota 50000] \
      [--no-limits] [--export-file FILE.csv]

Python 3 standard library only.
"""

import argparse
import base64
import bisect
import collections
import datetime
import hashlib
import json
import os
import random
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from contract import Contract, missing as contract_missing  # noqa: E402 (path tweak above)

# ---------------------------------------------------------------- contract limits

MAX_URI_BYTES = 8192               # longer request URIs get HTTP 414
MAX_BODY_BYTES = 1024 * 1024       # larger request bodies get HTTP 413
MAX_DRAIN_BYTES = 64 * 1024 * 1024  # beyond this we close instead of reading the body away
CONTROL_MAX_BODY = 512 * 1024 * 1024  # /_fake/ seeding posts are exempt from the 1 MB rule
MAX_BATCH = 300                    # filterValues, batchSize, external.json input
MAX_PROCESSING = 2                 # export jobs processing at once
MAX_QUEUED = 10                    # export jobs waiting in the queue
EXPORT_DAILY_BYTES = 500 * 1024 * 1024
MAX_EXPORT_DAYS = 31
MAX_LEAD_IDS = 30                  # leadIds on leadchanges.json and activities.json
MAX_TYPE_IDS = 10                  # activityTypeIds on activities.json
MAX_VIOLATIONS = 1000              # keep the stats answer bounded
COPY_CHUNK = 1024 * 1024

LEADS_PATH = "/rest/v1/leads.json"
EXPORT_JOB_RE = re.compile(r"/bulk/v1/leads/export/([^/]+)/(enqueue|status|cancel|file)\.json\Z")

STANDARD_FIELDS = [
    "id", "firstName", "lastName", "email", "phone", "title", "company", "leadSource",
    "linkedInProfileURL", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
    "leadOwnerEmailAddress", "unsubscribed", "createdAt", "updatedAt",
]
# What leads.json returns when the caller names no fields (as Marketo does).
DEFAULT_LEAD_FIELDS = ["id", "updatedAt", "lastName", "email", "createdAt", "firstName"]
# filterType values the fake can search on (a subset of Marketo's searchable fields).
SEARCHABLE = {"id", "email", "sfdcLeadId", "sfdcContactId", "sfdcAccountId", "sfdcOpptyId",
              "leadOwnerEmailAddress"}
EXPORT_FILTERS = ("createdAt", "updatedAt", "staticListId", "smartListId",
                  "staticListName", "smartListName")
DELIMITERS = {"CSV": ",", "TSV": "\t", "SSV": " "}

# Custom activity types (POST /rest/v1/activities/external/type.json and friends).
FIRST_CUSTOM_TYPE_ID = 100001      # Marketo numbers custom types from 100000 up
CUSTOM_TYPE_LIMIT = 10             # "most subscriptions" may have 10 custom types (1027 beyond)
CUSTOM_DATA_TYPES = ("string", "boolean", "integer", "float", "link", "email", "currency",
                     "date", "datetime", "phone", "text")
# API names: alphanumeric (underscores allowed, as in Marketo's own `..._c`), one letter at least.
API_NAME_RE = re.compile(r"[A-Za-z0-9_]*[A-Za-z][A-Za-z0-9_]*\Z")
CUSTOM_TYPE_RE = re.compile(
    r"/rest/v1/activities/external/type/([^/]+)/(approve|attributes/create|describe)\.json\Z")

ACT_NEW_LEAD = 12
ACT_CHANGE_VALUE = 13
ACT_DELETE_LEAD = 37

# Marketo's standard activity types the fake knows (GET /rest/v1/activities/types.json):
# id -> (name, primary attribute name or None, [other attribute names]).
ACTIVITY_TYPES = {
    1: ("Visit Webpage", "Webpage ID", ["Client IP Address", "Query Parameters",
                                        "Referrer URL", "User Agent", "Webpage URL"]),
    2: ("Fill Out Form", "Webform ID", ["Client IP Address", "Form Fields", "Query Parameters",
                                        "Referrer URL", "User Agent", "Webpage ID"]),
    3: ("Click Link", "Link ID", ["Client IP Address", "Query Parameters", "Referrer URL",
                                  "User Agent", "Webpage ID"]),
    6: ("Send Email", "Mailing ID", ["Campaign Run ID", "Step ID", "Choice Number"]),
    7: ("Email Delivered", "Mailing ID", ["Campaign Run ID", "Step ID", "Choice Number"]),
    8: ("Email Bounced", "Mailing ID", ["Category", "Details", "Email", "Subcategory"]),
    9: ("Unsubscribe Email", "Mailing ID", ["Client IP Address", "Form Fields",
                                            "Query Parameters", "Referrer URL", "User Agent"]),
    10: ("Open Email", "Mailing ID", ["Device", "Is Mobile Device", "Platform", "User Agent"]),
    11: ("Click Email", "Mailing ID", ["Device", "Is Mobile Device", "Link", "Platform",
                                       "User Agent"]),
    12: ("New Lead", None, ["Source Type", "Form Name", "List Name", "Created Date"]),
    13: ("Change Data Value", "Lead ID", ["New Value", "Old Value", "Reason", "Source"]),
    37: ("Delete Lead", "Lead ID", ["Remove from CRM"]),
    46: ("Interesting Moment", "Milestone ID", ["Description", "Source", "Date"]),
}

MESSAGES = {
    "601": "Access token invalid",
    "602": "Access token expired",
    "604": "Request timed out",
    "607": "Daily quota reached",
    "608": "API Temporarily Unavailable",
    "609": "Invalid JSON",
    "610": "Requested resource not found",
    "611": "System error",
    "612": "Invalid Content Type",
    "615": "Concurrent access limit reached",
    "701": "Required field cannot be blank",
    "702": "No data found for given search scope",
    "713": "Transient Error",
    "1003": "Invalid value",
    "1029": "Too many jobs (%d) in queue" % MAX_QUEUED,
}

# Record-level reasons of external.json (Adobe's record-level code table).
R_LEAD_NOT_FOUND = {"code": "1004", "message": "Lead not found"}

# Settings changeable at runtime through POST /_fake/config, with their types.
CONFIG_TYPES = {
    "status_step": float, "rate_calls": int, "rate_window": float, "max_concurrency": int,
    "daily_quota": int, "token_ttl": float, "short_pages": bool,
    "latency": float,               # extra seconds each /rest and /bulk call takes (tests 615)
    "export_quota_bytes": int,      # export bytes allowed per "day" (default 500 MB)
    "cancelled_spelling": str,      # "Cancelled" (default) or "Canceled": both occur
    "limits": bool,                 # false: no rate window, concurrency or daily quota
    "keep_external": bool,          # false: external.json only counts what it adds
    "custom_type_limit": int,       # custom activity types allowed (default 10)
}


# ---------------------------------------------------------------- small helpers

def iso(ts, suffix="Z"):
    """Epoch seconds -> 2024-03-01T10:00:00Z (or with a +0000 suffix)."""
    dt = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + suffix


_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?"
    r"(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z")


def parse_iso(text):
    """ISO-8601 date or date-time -> epoch seconds, or None if unparseable.

    Accepts `Z`, `+0000`, `+00:00` and `+00` offsets and a bare date (midnight UTC); a
    date-time without an offset is taken as UTC.
    """
    if not isinstance(text, str):
        return None
    m = _ISO_RE.match(text.strip())
    if not m:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                               int((frac or "0")[:6].ljust(6, "0")), datetime.timezone.utc)
    except ValueError:
        return None
    ts = dt.timestamp()
    if off and off not in ("Z", "z"):
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        ts -= sign * minutes * 60
    return ts


_UTC = datetime.timezone.utc


def parse_activity_date(text):
    """parse_iso() with a fast path for the usual extended date-times (the C parser)."""
    if type(text) is str and len(text) >= 19 and text[4] == "-" and text[10] in "T ":
        try:
            dt = datetime.datetime.fromisoformat(text)
        except ValueError:
            return parse_iso(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=_UTC)
        return dt.timestamp()
    return parse_iso(text)


def request_id():
    """Marketo-style request id, e.g. `e42b#14272d07d78`."""
    return "%x#%x" % (random.getrandbits(16), int(time.time() * 1000))


def encode_token(data):
    """Opaque paging token: unpadded base32 of compact JSON (looks like Marketo's)."""
    raw = json.dumps(data, separators=(",", ":"), sort_keys=True).encode()
    return base64.b32encode(raw).decode().rstrip("=")


def decode_token(token):
    try:
        padded = token + "=" * (-len(token) % 8)
        data = json.loads(base64.b32decode(padded.encode()).decode())
        return data if isinstance(data, dict) else None
    except (ValueError, UnicodeDecodeError, TypeError):
        return None


def qget(query, name):
    """Last value of a query parameter, or None."""
    values = query.get(name)
    return values[-1] if values else None


def qlist(query, name):
    """A list parameter given comma-separated and/or repeated (csv and multi)."""
    return [v.strip() for raw in query.get(name, []) for v in raw.split(",") if v.strip() != ""]


def activity_value(v):
    """Lead field value as an activity newValue/oldValue (strings, or null)."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def csv_cell(v, delim):
    """One CSV cell: empty/None is the literal null; RFC 4180 quoting when needed."""
    if v is None or v == "":
        return "null"
    if v == "null":
        return '"null"'  # the text null, not the null literal
    s = ("true" if v else "false") if isinstance(v, bool) else str(v)
    if delim in s or '"' in s or "\r" in s or "\n" in s:
        s = '"' + s.replace('"', '""') + '"'
    return s


class Response:
    """What the HTTP layer should write back."""

    def __init__(self, status=200, body=b"", ctype="application/json;charset=UTF-8",
                 headers=None, fileobj=None, length=0, close=False, drop=False):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or []
        self.fileobj = fileobj      # stream `length` bytes from here instead of `body`
        self.length = length
        self.close = close          # answer, then close the connection
        self.drop = drop            # close the connection without answering


def json_response(obj, status=200):
    return Response(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


def text_response(status, text, close=False):
    return Response(status, (text + "\n").encode("utf-8"), "text/plain;charset=UTF-8",
                    close=close)


class Request:
    def __init__(self, method, path, query, headers, body):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body or b""
        self.content_type = headers.get("Content-Type") or ""
        self._doc = None        # (parsed JSON body,) once json() has run

    @property
    def ctype(self):
        return self.content_type.split(";")[0].strip().lower()

    def json(self):
        """The body as JSON, raising ValueError when it is not (parsed once, then cached)."""
        if self._doc is None:
            self._doc = (json.loads(self.body.decode("utf-8")),)
        return self._doc[0]

    def form(self):
        if self.ctype != "application/x-www-form-urlencoded":
            return {}
        return urllib.parse.parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


class ApiError(Exception):
    """Raised inside a handler to answer with an envelope error."""

    def __init__(self, code, message=None):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------- the fake itself

class FakeMarketo:
    """All state and behaviour; the HTTP handler only moves bytes.

    One re-entrant lock guards all state. Time-driven behaviour (token expiry, export
    job progress) is evaluated lazily from the wall clock whenever a request looks at it.
    """

    def __init__(self, args):
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.verbose = args.verbose
        self.contract = Contract(args.contracts_dir)
        self.cfg = {
            "status_step": args.status_step, "rate_calls": args.rate_calls,
            "rate_window": args.rate_window, "max_concurrency": args.max_concurrency,
            "daily_quota": args.daily_quota, "token_ttl": args.token_ttl,
            "short_pages": False, "latency": 0.0, "export_quota_bytes": EXPORT_DAILY_BYTES,
            "cancelled_spelling": "Cancelled", "limits": not args.no_limits,
            "keep_external": True, "custom_type_limit": CUSTOM_TYPE_LIMIT,
        }
        self.lock = threading.RLock()
        self.tmpdir = tempfile.mkdtemp(prefix="fake-marketo-")
        self.schema_fields = set(STANDARD_FIELDS)
        self.field_ids = {name: i + 1 for i, name in enumerate(STANDARD_FIELDS)}
        self.in_flight = 0      # not part of reset(): requests may be in flight across it
        self.benchmark_file = None
        if args.export_file:
            self.benchmark_file = self._scan_export_file(args.export_file)
            self.schema_fields.update(self.benchmark_file["columns"])
        self.reset()

    # ------------------------------------------------------------ state

    def reset(self):
        """Forget leads, activities, jobs, tokens, injections, quotas and stats."""
        with self.lock:
            self.leads = {}
            self.next_lead_id = 1
            self.activities = []          # ordered by id
            self.activity_ids = []        # parallel list of ids, for bisect
            self.next_activity_id = 0
            self.external = []            # activities added via external.json (kept ones)
            self.external_keys = set()    # identity of each kept record, to count duplicates
            self.external_stats = {"added": 0, "skipped": 0, "duplicates": 0,
                                   "by_type": collections.Counter(),
                                   "skipped_by_code": collections.Counter()}
            self.custom_types = {}        # apiName -> custom activity type (see _type_view)
            self.live_types = {}          # id -> approved custom type, for external.json
            self.next_type_id = FIRST_CUSTOM_TYPE_ID
            self.tokens = {}              # token -> expiry (epoch seconds)
            self.current_token = None
            self.injections = []
            self.window = collections.deque()   # monotonic times of accepted calls
            self.daily_used = 0
            self.quota_exhausted = False
            self.page_calls = 0
            self.fail_export = 0
            for job in getattr(self, "jobs", {}).values():
                self._drop_job_file(job)
            self.jobs = {}
            self.job_seq = 0
            self.job_clock = 0.0
            self.export_bytes_today = 0
            self.stats = {
                "calls": collections.Counter(), "errors": collections.Counter(),
                "tokens_issued": 0, "max_in_flight": 0, "violations": [],
                "violations_total": 0, "rate_max_in_window": 0,
                "unimplemented": collections.Counter(), "internal_errors": 0,
            }
            self.export_stats = collections.Counter()

    def _drop_job_file(self, job):
        if job.get("own_file") and job.get("path"):
            try:
                os.unlink(job["path"])
            except OSError:
                pass

    def close(self):
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    @staticmethod
    def _scan_export_file(path):
        """Size, record count, checksum and header of --export-file, read once in chunks.
        Records are counted as Marketo does, not lines: a line break inside a quoted
        field (an odd number of quotes so far) does not end a record."""
        digest = hashlib.sha256()
        lines = size = 0
        in_quotes = False
        last = b""
        with open(path, "rb") as f:
            header = f.readline()
            f.seek(0)
            while True:
                chunk = f.read(COPY_CHUNK)
                if not chunk:
                    break
                digest.update(chunk)
                pieces = chunk.split(b"\n")
                for piece in pieces[:-1]:
                    if piece.count(b'"') & 1:
                        in_quotes = not in_quotes
                    if not in_quotes:
                        lines += 1
                if pieces[-1].count(b'"') & 1:
                    in_quotes = not in_quotes
                size += len(chunk)
                last = chunk[-1:]
        if size and last != b"\n":
            lines += 1
        names = header.decode("utf-8", "replace").strip().split(",")
        columns = [c.strip().strip('"') for c in names]
        return {"path": os.path.abspath(path), "size": size, "records": max(0, lines - 1),
                "checksum": "sha256:" + digest.hexdigest(), "columns": [c for c in columns if c]}

    # ------------------------------------------------------------ envelope helpers

    def error(self, code, message=None):
        with self.lock:
            self.stats["errors"][code] += 1
        if message is None:
            if code == "606":
                message = "Max rate limit '%d' exceeded with in '%g' secs" % (
                    self.cfg["rate_calls"], self.cfg["rate_window"])
            else:
                message = MESSAGES.get(code, "Error")
        return json_response({"requestId": request_id(), "success": False,
                              "errors": [{"code": code, "message": message}]})

    def http_error(self, status, text, close=False):
        with self.lock:
            self.stats["errors"]["http_%d" % status] += 1
        return text_response(status, text, close)

    @staticmethod
    def ok(result=None, **extra):
        body = {"requestId": request_id(), "success": True}
        if result is not None:
            body["result"] = result
        body.update(extra)
        return json_response(body)

    # ------------------------------------------------------------ request entry points

    def note_rejected(self, path, status):
        """Account for a request refused before dispatch (414/413)."""
        with self.lock:
            template = self.contract.match(path)[0] or path
            self.stats["calls"][template] += 1
            self.stats["errors"]["http_%d" % status] += 1

    def _record_violations(self, items):
        with self.lock:
            self.stats["violations_total"] += len(items)
            room = MAX_VIOLATIONS - len(self.stats["violations"])
            self.stats["violations"].extend(items[:max(0, room)])

    def dispatch(self, req, send):
        """Serve one non-control request; `send(Response)` writes it to the socket.

        The call stays "in flight" until send() returns, so a long file download
        occupies a concurrency slot as it would at Marketo.
        """
        method, query = req.method, req.query
        check_body, check_ctype = req.body, req.content_type
        violations = []
        if req.method == "POST" and req.path == LEADS_PATH and (
                qget(query, "_method") == "GET" or qget(req.form(), "_method") == "GET"):
            # Long-URI workaround: POST ...leads.json?_method=GET with the query in a form body.
            if req.ctype != "application/x-www-form-urlencoded" and req.body.strip():
                violations.append("POST %s: _method=GET body must be application/"
                                  "x-www-form-urlencoded, got %r" % (req.path, req.content_type))
            merged = {k: list(v) for k, v in query.items()}
            for k, v in req.form().items():
                merged.setdefault(k, []).extend(v)
            merged.pop("_method", None)
            method, query, check_body, check_ctype = "GET", merged, None, None
        doc = None
        if check_body is req.body and req.body and req.ctype == "application/json":
            try:
                doc = (req.json(),)     # parsed once for the check and the handler
            except (ValueError, UnicodeDecodeError):
                pass
        violations += self.contract.check(method, req.path, query, check_body, check_ctype,
                                          doc=doc)
        if "access_token" in req.query:
            violations.append("%s %s: access_token query parameter is deprecated "
                              "(send Authorization: Bearer)" % (req.method, req.path))
        template = self.contract.match(req.path)[0] or req.path
        with self.lock:
            self.stats["calls"][template] += 1
            rule = self._take_injection(req.path)
        if violations:
            self._record_violations(violations)
        if rule is not None:
            send(self._injected(rule))
            return
        if req.path.startswith("/identity/"):
            send(self.identity(req))
            return
        if not (req.path.startswith("/rest/") or req.path.startswith("/bulk/")):
            send(self.http_error(404, "Not Found"))
            return

        with self.lock:
            self.in_flight += 1
            self.stats["max_in_flight"] = max(self.stats["max_in_flight"], self.in_flight)
            limits = self.cfg["limits"]
            too_many = limits and self.in_flight > self.cfg["max_concurrency"]
            latency = self.cfg["latency"]
        try:
            if too_many:
                send(self.error("615"))
                return
            refusal = self._admit(req, limits)
            if refusal is not None:
                send(refusal)
                return
            if latency > 0:
                time.sleep(latency)
            try:
                resp = self.route(req, method, query)
            except ApiError as e:
                resp = self.error(e.code, e.message)
            except Exception:  # a fake bug must not look like a hang to the client
                traceback.print_exc()
                with self.lock:
                    self.stats["internal_errors"] += 1
                resp = self.error("611")
            send(resp)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _admit(self, req, limits=True):
        """Authentication, then daily quota, then the rate window. None = admitted.

        Only admitted calls count toward the window and the quota. With the limits off
        (benchmarks) only the token is checked; calls are still counted.
        """
        token = None
        auth = req.headers.get("Authorization") or ""
        if auth[:7].lower() == "bearer ":
            token = auth[7:].strip()
        elif "access_token" in req.query:
            token = qget(req.query, "access_token")
        with self.lock:
            expiry = self.tokens.get(token) if token else None
            if expiry is None:
                return self.error("601")
            if time.time() >= expiry:
                return self.error("602")
            if not limits:
                self.daily_used += 1
                return None
            if self.quota_exhausted or self.daily_used >= self.cfg["daily_quota"]:
                return self.error("607")
            now = time.monotonic()
            while self.window and self.window[0] <= now - self.cfg["rate_window"]:
                self.window.popleft()
            if len(self.window) >= self.cfg["rate_calls"]:
                return self.error("606")
            self.window.append(now)
            self.daily_used += 1
            self.stats["rate_max_in_window"] = max(self.stats["rate_max_in_window"],
                                                   len(self.window))
        return None

    def _take_injection(self, path):
        for rule in self.injections:
            if path.startswith(rule["path"]):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.injections.remove(rule)
                return rule
        return None

    def _injected(self, rule):
        if rule.get("close"):
            with self.lock:
                self.stats["errors"]["close"] += 1
            return Response(drop=True)
        if rule.get("http_status"):
            status = int(rule["http_status"])
            return self.http_error(status, rule.get("message") or "Injected HTTP %d" % status)
        code = str(rule["code"])
        with self.lock:
            if code == "601" and self.current_token:
                self.tokens.pop(self.current_token, None)
                self.current_token = None
            elif code == "602" and self.current_token:
                self.tokens[self.current_token] = time.time()
                self.current_token = None
            elif code == "607":
                self.quota_exhausted = True
        return self.error(code, rule.get("message"))

    # ------------------------------------------------------------ identity

    def identity(self, req):
        if req.path != "/identity/oauth/token" or req.method not in ("GET", "POST"):
            return self.http_error(404, "Not Found")
        params = {k: list(v) for k, v in req.query.items()}
        for k, v in req.form().items():
            params.setdefault(k, []).extend(v)
        grant = qget(params, "grant_type")
        if not grant:
            with self.lock:
                self.stats["errors"]["http_400"] += 1
            return json_response({"error": "invalid_request",
                                  "error_description": "Missing grant type"}, 400)
        if grant != "client_credentials":
            with self.lock:
                self.stats["errors"]["http_400"] += 1
            return json_response({"error": "unsupported_grant_type",
                                  "error_description": "Unsupported grant type: " + grant}, 400)
        if (qget(params, "client_id") != self.client_id
                or qget(params, "client_secret") != self.client_secret):
            with self.lock:
                self.stats["errors"]["http_401"] += 1
            return json_response({"error": "unauthorized",
                                  "error_description": "Bad client credentials"}, 401)
        with self.lock:
            now = time.time()
            token = self.current_token
            # Marketo hands back the live token until it expires; a token with under a
            # second left is treated as gone so expires_in is never 0.
            if token is None or self.tokens.get(token, 0) - now < 1:
                token = "%s:ab" % uuid.uuid4()
                self.tokens[token] = now + self.cfg["token_ttl"]
                self.current_token = token
                self.stats["tokens_issued"] += 1
            remaining = max(0, int(self.tokens[token] - now))
        return json_response({"access_token": token, "token_type": "bearer",
                              "expires_in": remaining, "scope": "apiuser@example.com"})

    # ------------------------------------------------------------ routing

    def route(self, req, method, query):
        path = req.path
        if path == LEADS_PATH:
            if method == "GET":
                return self.get_leads(query)
            return self._unimplemented(path)   # syncLead (createOrUpdate) is not modelled
        if path == "/bulk/v1/leads/export/create.json" and method == "POST":
            return self.export_create(req)
        if path == "/bulk/v1/leads/export.json" and method == "GET":
            return self.export_list(query)
        m = EXPORT_JOB_RE.match(path)
        if m:
            export_id, action = m.groups()
            wanted = "GET" if action in ("status", "file") else "POST"
            if method == wanted:
                return getattr(self, "export_" + action)(export_id, req)
            return self.error("610")
        if path == "/rest/v1/activities/pagingtoken.json" and method == "GET":
            return self.paging_token(query)
        if path == "/rest/v1/activities/leadchanges.json" and method == "GET":
            return self.lead_changes(query)
        if path == "/rest/v1/activities/deletedleads.json" and method == "GET":
            return self.deleted_leads(query)
        if path == "/rest/v1/activities/external.json" and method == "POST":
            return self.external_activities(req)
        if path == "/rest/v1/activities/external/types.json" and method == "GET":
            return self.custom_types_list()
        if path == "/rest/v1/activities/external/type.json" and method == "POST":
            return self.custom_type_create(req)
        m = CUSTOM_TYPE_RE.match(path)
        if m:
            api_name, action = m.groups()
            if action == "describe" and method == "GET":
                return self.custom_type_describe(api_name, query)
            if action == "approve" and method == "POST":
                return self.custom_type_approve(api_name)
            if action == "attributes/create" and method == "POST":
                return self.custom_type_add_attributes(api_name, req)
        if path == "/rest/v1/activities.json" and method == "GET":
            return self.lead_activities(query)
        if path == "/rest/v1/activities/types.json" and method == "GET":
            return self.activity_types()
        if self.contract.operation(method, path) is not None:
            return self._unimplemented(path)
        return self.error("610")

    def _unimplemented(self, path):
        with self.lock:
            self.stats["unimplemented"][self.contract.match(path)[0] or path] += 1
        return self.error("610", "Requested resource not found (not modelled by the fake)")

    @staticmethod
    def _batch_size(query):
        raw = qget(query, "batchSize")
        if raw is None or raw == "":
            return MAX_BATCH
        try:
            n = int(raw)
        except ValueError:
            n = -1
        if not 1 <= n <= MAX_BATCH:
            raise ApiError("1003", "Invalid value '%s' for batchSize. Must be between 1 and %d"
                           % (raw, MAX_BATCH))
        return n

    # ------------------------------------------------------------ leads

    def get_leads(self, query):
        filter_type = qget(query, "filterType")
        if not filter_type:
            raise ApiError("701", "'filterType' cannot be blank")
        if filter_type not in SEARCHABLE:
            raise ApiError("1003", "Invalid filterType '%s'" % filter_type)
        values = qlist(query, "filterValues")
        if not values:
            raise ApiError("701", "'filterValues' cannot be blank")
        if len(values) > MAX_BATCH:
            raise ApiError("1003", "Invalid value for filterValues: %d values given, at most %d "
                           "allowed" % (len(values), MAX_BATCH))
        fields = qlist(query, "fields") or DEFAULT_LEAD_FIELDS
        batch = self._batch_size(query)
        offset = 0
        token = qget(query, "nextPageToken")
        if token:
            data = decode_token(token)
            if not data or data.get("k") != "leads" or not isinstance(data.get("o"), int):
                raise ApiError("1003", "Invalid nextPageToken '%s'" % token)
            offset = data["o"]
        with self.lock:
            unknown = [f for f in fields if f not in self.schema_fields]
            if unknown:
                raise ApiError("1006", "Field '%s' not found" % unknown[0])
            if filter_type == "id":
                found, seen = [], set()
                for v in values:
                    try:
                        lid = int(v)
                    except ValueError:
                        raise ApiError("1003", "Invalid value '%s' for filterType 'id'" % v)
                    if lid in self.leads and lid not in seen:
                        seen.add(lid)
                        found.append(self.leads[lid])
            else:
                # Email addresses match case-insensitively, other fields exactly.
                fold = str.lower if "mail" in filter_type.lower() else str
                wanted = {fold(v) for v in values}
                found = [self.leads[lid] for lid in sorted(self.leads)
                         if self.leads[lid].get(filter_type) is not None
                         and fold(str(self.leads[lid][filter_type])) in wanted]
            page = found[offset:offset + batch]
            # A field missing from a record means null: omit null fields.
            records = [{"id": lead["id"], **{f: lead[f] for f in fields
                                             if f != "id" and lead.get(f) is not None}}
                       for lead in page]
        extra = {}
        if offset + batch < len(found):
            extra = {"moreResult": True, "nextPageToken": encode_token({"k": "leads",
                                                                        "o": offset + batch})}
        if not records:
            extra["warnings"] = ["No assets found for the given search criteria."]
        return self.ok(records, **extra)

    # ------------------------------------------------------------ bulk export

    def _job(self, export_id):
        job = self.jobs.get(export_id)
        if job is None:
            raise ApiError("1003", "Export id '%s' not found" % export_id)
        return job

    def _status_name(self, job):
        if job["status"] == "Cancelled":
            return self.cfg["cancelled_spelling"]
        return job["status"]

    def _job_view(self, job):
        view = {"exportId": job["exportId"], "format": job["format"],
                "status": self._status_name(job), "createdAt": iso(job["createdAt"])}
        for key in ("queuedAt", "startedAt", "finishedAt"):
            if job[key] is not None:
                view[key] = iso(job[key])
        if job["status"] == "Completed":
            view["numberOfRecords"] = job["numberOfRecords"]
            view["fileSize"] = job["fileSize"]
            view["fileChecksum"] = job["fileChecksum"]
        if job["status"] == "Failed":
            view["errorMsg"] = job["errorMsg"]
        return view

    def export_create(self, req):
        if req.ctype != "application/json":
            return self.error("612")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return self.error("609")
        if not isinstance(body, dict):
            return self.error("609")
        fields = body.get("fields")
        if (not isinstance(fields, list) or not fields
                or not all(isinstance(f, str) and f for f in fields)):
            raise ApiError("1003", "'fields' must be a non-empty array of field names")
        fmt = body.get("format", "CSV")
        if not isinstance(fmt, str) or fmt.upper() not in DELIMITERS:
            raise ApiError("1003", "Invalid format '%s'; use CSV, TSV or SSV" % (fmt,))
        headers = body.get("columnHeaderNames") or {}
        if not isinstance(headers, dict):
            raise ApiError("1003", "'columnHeaderNames' must be an object")
        flt = body.get("filter")
        if not isinstance(flt, dict) or not flt:
            raise ApiError("1003", "'filter' is required: one of createdAt, updatedAt, "
                           "staticListId, smartListId")
        unknown = [k for k in flt if k not in EXPORT_FILTERS]
        if unknown:
            raise ApiError("1003", "Invalid filter type '%s'" % unknown[0])
        if len(flt) != 1:
            raise ApiError("1003", "Exactly one filter is allowed, got %s" % ", ".join(sorted(flt)))
        kind, value = next(iter(flt.items()))
        if kind in ("createdAt", "updatedAt"):
            if not isinstance(value, dict):
                raise ApiError("1003", "Filter '%s' needs startAt and endAt" % kind)
            start, end = parse_iso(value.get("startAt")), parse_iso(value.get("endAt"))
            if start is None or end is None:
                raise ApiError("1003", "Filter '%s' needs ISO-8601 startAt and endAt" % kind)
            if end < start:
                raise ApiError("1003", "Filter '%s': endAt is before startAt" % kind)
            if end - start > MAX_EXPORT_DAYS * 86400:
                raise ApiError("1003", "Filter '%s': date range must not exceed %d days"
                               % (kind, MAX_EXPORT_DAYS))
            value = (start, end)
        elif kind in ("staticListId", "smartListId"):
            if not isinstance(value, int) or isinstance(value, bool):
                raise ApiError("1003", "Filter '%s' must be an integer" % kind)
        elif not isinstance(value, str) or not value:
            raise ApiError("1003", "Filter '%s' must be a list name" % kind)
        with self.lock:
            bad = [f for f in fields if f not in self.schema_fields]
            if bad:
                raise ApiError("1003", "Invalid field '%s'" % bad[0])
            now = time.time()
            self.job_seq += 1
            job = {"exportId": str(uuid.uuid4()), "format": fmt.upper(), "status": "Created",
                   "createdAt": now, "queuedAt": None, "startedAt": None, "finishedAt": None,
                   "fields": list(fields), "headers": [str(headers.get(f, f)) for f in fields],
                   "filter": (kind, value), "seq": self.job_seq, "qseq": None, "path": None,
                   "own_file": False, "numberOfRecords": None, "fileSize": None,
                   "fileChecksum": None, "errorMsg": None}
            self.jobs[job["exportId"]] = job
            self.export_stats["created"] += 1
            view = self._job_view(job)
        return self.ok([view], warnings=[])

    def advance_jobs(self, now=None):
        """Replay the export queue up to `now`.

        Each step (Queued->Processing, Processing->Completed) takes status_step seconds
        and at most MAX_PROCESSING jobs process at once. Events are replayed in time
        order with their virtual timestamps, so the outcome does not depend on how often
        anyone polls.
        """
        now = time.time() if now is None else now
        step = self.cfg["status_step"]
        with self.lock:
            while True:
                processing = [j for j in self.jobs.values() if j["status"] == "Processing"]
                queued = sorted((j for j in self.jobs.values() if j["status"] == "Queued"),
                                key=lambda j: j["qseq"])
                done_job = min(processing, key=lambda j: j["startedAt"], default=None)
                t_done = done_job["startedAt"] + step if done_job else float("inf")
                t_start = float("inf")
                if queued and len(processing) < MAX_PROCESSING:
                    t_start = max(queued[0]["queuedAt"] + step, self.job_clock)
                t = min(t_done, t_start)
                if t > now:
                    break
                self.job_clock = max(self.job_clock, t)
                if t_done <= t_start:
                    self._finish_job(done_job, t_done)
                else:
                    queued[0]["status"] = "Processing"
                    queued[0]["startedAt"] = t_start
                    self.export_stats["max_processing"] = max(
                        self.export_stats["max_processing"], len(processing) + 1)

    def _finish_job(self, job, when):
        job["finishedAt"] = when
        if self.fail_export > 0:
            self.fail_export -= 1
            job["status"] = "Failed"
            job["errorMsg"] = "Export failed (injected by the fake)"
            self.export_stats["failed"] += 1
            return
        kind, value = job["filter"]
        if kind == "smartListId" and self.benchmark_file:
            # Benchmark mode: serve the prepared file as is, never loading it.
            job["path"] = self.benchmark_file["path"]
            job["numberOfRecords"] = self.benchmark_file["records"]
            job["fileSize"] = self.benchmark_file["size"]
            job["fileChecksum"] = self.benchmark_file["checksum"]
        else:
            self._write_export(job, kind, value)
        job["status"] = "Completed"
        self.export_bytes_today += job["fileSize"]
        self.export_stats["completed"] += 1

    def _write_export(self, job, kind, value):
        """Snapshot the selected leads into the job's CSV file, hashing as we go."""
        delim = DELIMITERS[job["format"]]
        if kind in ("createdAt", "updatedAt"):
            start, end = value

            def selected(lead):
                ts = parse_iso(lead.get(kind))
                return ts is not None and start <= ts < end
        else:   # every lead is on every list
            def selected(lead):
                return True
        path = os.path.join(self.tmpdir, job["exportId"] + ".csv")
        digest = hashlib.sha256()
        size = count = 0
        with open(path, "wb") as f:
            def emit(cells):
                nonlocal size
                line = (delim.join(csv_cell(c, delim) for c in cells) + "\n").encode("utf-8")
                digest.update(line)
                f.write(line)
                size += len(line)
            emit(job["headers"])
            for lid in sorted(self.leads):
                lead = self.leads[lid]
                if selected(lead):
                    emit([lead.get(field) for field in job["fields"]])
                    count += 1
        job.update(path=path, own_file=True, numberOfRecords=count, fileSize=size,
                   fileChecksum="sha256:" + digest.hexdigest())

    def export_enqueue(self, export_id, req):
        with self.lock:
            self.advance_jobs()
            job = self._job(export_id)
            if job["status"] != "Created":
                raise ApiError("1003", "Export '%s' is %s; only a Created job can be enqueued"
                               % (export_id, self._status_name(job)))
            if sum(1 for j in self.jobs.values() if j["status"] == "Queued") >= MAX_QUEUED:
                return self.error("1029")
            if self.export_bytes_today >= self.cfg["export_quota_bytes"]:
                return self.error("1029", "Export daily quota exceeded")
            self.job_seq += 1
            job.update(status="Queued", queuedAt=time.time(), qseq=self.job_seq)
            self.export_stats["enqueued"] += 1
            view = self._job_view(job)
        return self.ok([view], warnings=[])

    def export_status(self, export_id, req):
        with self.lock:
            self.advance_jobs()
            view = self._job_view(self._job(export_id))
        return self.ok([view], warnings=[])

    def export_cancel(self, export_id, req):
        with self.lock:
            now = time.time()
            self.advance_jobs(now)
            job = self._job(export_id)
            if job["status"] not in ("Created", "Queued", "Processing"):
                raise ApiError("1003", "Export '%s' is %s and cannot be cancelled"
                               % (export_id, self._status_name(job)))
            job["status"] = "Cancelled"
            self.job_clock = max(self.job_clock, now)   # a freed slot is usable from now on
            self.export_stats["cancelled"] += 1
            view = self._job_view(job)
        return self.ok([view], warnings=[])

    def export_list(self, query):
        wanted = {s.lower() for s in qlist(query, "status")}
        batch = self._batch_size(query)
        with self.lock:
            self.advance_jobs()
            jobs = sorted(self.jobs.values(), key=lambda j: j["seq"])
            views = [self._job_view(j) for j in jobs
                     if not wanted or j["status"].lower() in wanted
                     or ("canceled" in wanted and j["status"] == "Cancelled")]
        return self.ok(views[:batch], warnings=[])

    def export_file(self, export_id, req):
        with self.lock:
            self.advance_jobs()
            job = self.jobs.get(export_id)
            if job is None:
                return self.http_error(404, "Export job %s not found" % export_id)
            if job["status"] != "Completed":
                return self.http_error(404, "Export file for job %s is not available (status %s)"
                                       % (export_id, self._status_name(job)))
            path, size = job["path"], job["fileSize"]
            # Opening under the lock keeps the file readable even if a reset unlinks it.
            fileobj = open(path, "rb")
        start, end, status, headers = 0, size - 1, 200, [("Accept-Ranges", "bytes")]
        rng = req.headers.get("Range")
        m = re.fullmatch(r"\s*bytes=(\d*)-(\d*)\s*", rng or "")
        if m and (m.group(1) or m.group(2)):
            first, last = m.groups()
            if first == "":                       # suffix range: the last N bytes
                start, end = max(0, size - int(last)), size - 1
                unsatisfiable = int(last) == 0 or size == 0
            else:
                start = int(first)
                end = min(int(last), size - 1) if last else size - 1
                unsatisfiable = start >= size or (last != "" and int(last) < start)
            if unsatisfiable:
                fileobj.close()
                resp = self.http_error(416, "Requested range not satisfiable")
                resp.headers.append(("Content-Range", "bytes */%d" % size))
                return resp
            status = 206
            headers.append(("Content-Range", "bytes %d-%d/%d" % (start, end, size)))
        fileobj.seek(start)
        return Response(status, ctype="text/csv", headers=headers, fileobj=fileobj,
                        length=max(0, end - start + 1))

    # ------------------------------------------------------------ activities

    def _field_id(self, name):
        if name not in self.field_ids:
            self.field_ids[name] = 1000 + len(self.field_ids)
        return self.field_ids[name]

    def _add_activity(self, lead_id, type_id, ts, **extra):
        self.next_activity_id += 1
        act = {"id": self.next_activity_id, "leadId": lead_id, "type": type_id, "ts": ts}
        act.update(extra)
        self.activities.append(act)
        self.activity_ids.append(act["id"])
        return act

    def _activity_view(self, act):
        # Marketo mixes `Z` and `+0000` offsets; alternate so clients must handle both.
        suffix = "Z" if act["id"] % 2 == 0 else "+0000"
        view = {"id": act["id"], "marketoGUID": str(act["id"]), "leadId": act["leadId"],
                "activityDate": iso(act["ts"], suffix), "activityTypeId": act["type"]}
        if act["type"] == ACT_CHANGE_VALUE:
            view["fields"] = [{"id": self._field_id(act["field"]), "name": act["field"],
                               "newValue": act["new"], "oldValue": act["old"]}]
            view["attributes"] = [{"name": "Reason", "value": "Changed via the fake control API"},
                                  {"name": "Source", "value": "Web service API"}]
        elif act["type"] == ACT_NEW_LEAD:
            view["fields"] = []
            view["attributes"] = [{"name": "Source Type", "value": "Web service API"}]
        elif act["type"] == ACT_DELETE_LEAD:
            view["primaryAttributeValueId"] = act["leadId"]
            view["primaryAttributeValue"] = act["primary"]
            view["attributes"] = []
        elif "rec" in act:   # added through external.json
            view["primaryAttributeValue"] = act["primary"]
            lookup = act["lookup"]
            view["attributes"] = [
                {"name": lookup[a.get("apiName") or a["name"]]["name"],
                 "apiName": lookup[a.get("apiName") or a["name"]]["apiName"],
                 "value": a["value"]} for a in act["rec"].get("attributes") or ()]
        else:   # seeded through POST /_fake/activities
            if act.get("primaryId") is not None:
                view["primaryAttributeValueId"] = act["primaryId"]
            if act.get("primary") is not None:
                view["primaryAttributeValue"] = act["primary"]
            view["attributes"] = [dict(a) for a in act.get("attributes", [])]
        return view

    def activity_types(self):
        result = []
        for type_id in sorted(ACTIVITY_TYPES):
            name, primary, attrs = ACTIVITY_TYPES[type_id]
            t = {"id": type_id, "name": name, "description": name,
                 "attributes": [{"name": a, "dataType": "string"} for a in attrs]}
            if primary:
                t["primaryAttribute"] = {"name": primary, "dataType": "integer"}
            result.append(t)
        with self.lock:   # approved custom types follow, live version only
            for type_id in sorted(self.live_types):
                live = self.live_types[type_id]["live"]
                result.append({
                    "id": type_id, "name": live["name"], "apiName": live["apiName"],
                    "description": live.get("description") or live["name"],
                    "primaryAttribute": self._public_attr(live["primaryAttribute"]),
                    "attributes": [self._public_attr(a) for a in live["attributes"]]})
        return self.ok(result)

    @staticmethod
    def _public_attr(attr):
        return {"name": attr["name"], "apiName": attr["apiName"], "dataType": attr["dataType"]}

    @staticmethod
    def _int_list(query, name, most):
        try:
            values = [int(v) for v in qlist(query, name)]
        except ValueError:
            raise ApiError("1003", "Invalid value for %s" % name)
        if len(values) > most:
            raise ApiError("1003", "At most %d %s are allowed" % (most, name))
        return values

    def lead_activities(self, query):
        """GET /rest/v1/activities.json: activities of the given types (and leads), oldest
        first, paged by the token from pagingtoken.json."""
        pos = self._decode_activity_token(query)
        types = set(self._int_list(query, "activityTypeIds", MAX_TYPE_IDS))
        if not types:
            raise ApiError("701", "'activityTypeIds' cannot be blank")
        with self.lock:
            unknown = sorted(t for t in types
                             if t not in ACTIVITY_TYPES and t not in self.live_types)
        if unknown:
            raise ApiError("1003", "Invalid activityTypeIds: %s" % ",".join(map(str, unknown)))
        lead_ids = set(self._int_list(query, "leadIds", MAX_LEAD_IDS)) if "leadIds" in query \
            else None
        assets = None
        if "assetIds" in query:
            if len(types) != 1:
                raise ApiError("1003", "assetIds can only be used with a single activity type")
            assets = set(self._int_list(query, "assetIds", MAX_BATCH))
        if "listId" in query:
            return self._unimplemented("/rest/v1/activities.json")
        batch = self._batch_size(query)

        def match(act):
            if act["type"] not in types:
                return False
            if lead_ids is not None and act["leadId"] not in lead_ids:
                return False
            if assets is not None:
                primary = act.get("primaryId")
                if act["type"] == ACT_DELETE_LEAD:
                    primary = act["leadId"]
                return primary in assets
            return True
        return self._activity_page(pos, batch, match)

    def paging_token(self, query):
        since = qget(query, "sinceDatetime")
        if not since:
            raise ApiError("701", "'sinceDatetime' cannot be blank")
        ts = parse_iso(since)
        if ts is None:
            raise ApiError("1003", "Invalid value '%s' for sinceDatetime" % since)
        return self.ok(nextPageToken=encode_token({"k": "act", "s": ts, "a": 0, "n": 0}))

    def _decode_activity_token(self, query):
        token = qget(query, "nextPageToken")
        if not token:
            raise ApiError("701", "'nextPageToken' cannot be blank")
        data = decode_token(token)
        if (not data or data.get("k") != "act" or not isinstance(data.get("s"), (int, float))
                or not isinstance(data.get("a"), int)):
            raise ApiError("1003", "Invalid nextPageToken '%s'" % token)
        return data

    def _activity_page(self, pos, batch, match):
        """One page of activities after the token position `pos` that satisfy `match`.

        With short_pages on, every other page is empty and the others hold at most half a
        batch, both with moreResult true while more remain -- as Marketo sometimes does.
        """
        since, after = pos["s"], pos["a"]
        with self.lock:
            self.page_calls += 1
            cap = batch
            if self.cfg["short_pages"]:
                cap = 0 if self.page_calls % 2 == 1 else max(1, batch // 2)
            start = bisect.bisect_right(self.activity_ids, after)
            page, more, last = [], False, after
            for act in self.activities[start:]:
                if act["ts"] < since or not match(act):
                    last = act["id"]
                    continue
                if len(page) >= cap:
                    more = True
                    break
                page.append(self._activity_view(act))
                last = act["id"]
            if cap == 0:
                last = after        # an empty page does not move the position
            token = encode_token({"k": "act", "s": since, "a": last, "n": pos.get("n", 0) + 1})
        extra = {"nextPageToken": token, "moreResult": more}
        if page:   # Marketo leaves `result` out when there is nothing to return
            return self.ok(page, **extra)
        return self.ok(**extra)

    def lead_changes(self, query):
        pos = self._decode_activity_token(query)
        fields = set(qlist(query, "fields"))
        if not fields:
            raise ApiError("701", "'fields' cannot be blank")
        batch = self._batch_size(query)
        lead_ids = None
        if "leadIds" in query:
            try:
                lead_ids = {int(v) for v in qlist(query, "leadIds")}
            except ValueError:
                raise ApiError("1003", "Invalid value for leadIds")
            if len(lead_ids) > MAX_LEAD_IDS:
                raise ApiError("1003", "At most %d leadIds are allowed" % MAX_LEAD_IDS)

        def match(act):
            if lead_ids is not None and act["leadId"] not in lead_ids:
                return False
            return (act["type"] == ACT_NEW_LEAD
                    or (act["type"] == ACT_CHANGE_VALUE and act["field"] in fields))
        return self._activity_page(pos, batch, match)

    def deleted_leads(self, query):
        pos = self._decode_activity_token(query)
        batch = self._batch_size(query)
        return self._activity_page(pos, batch, lambda act: act["type"] == ACT_DELETE_LEAD)

    # ------------------------------------------------------------ custom activity types

    def _type_view(self, ctype, draft=True):
        """A custom type as Marketo shows it: the draft version (when there is one and
        `draft`), else the live one; status draft / approved / approved with draft."""
        version = ctype["draft"] if (draft and ctype["draft"]) or not ctype["live"] \
            else ctype["live"]
        if ctype["live"] is None:
            status = "draft"
        elif ctype["draft"] is not None:
            status = "approved with draft"
        else:
            status = "approved"
        view = {"id": ctype["id"], "apiName": ctype["apiName"], "name": version["name"],
                "description": version.get("description") or "",
                "triggerName": version["triggerName"], "filterName": version["filterName"],
                "createdAt": iso(ctype["createdAt"]), "updatedAt": iso(ctype["updatedAt"]),
                "status": status,
                "primaryAttribute": dict(version["primaryAttribute"], isPrimary=True),
                "attributes": [dict(a) for a in version["attributes"]]}
        return view

    def _custom_type(self, api_name):
        ctype = self.custom_types.get(api_name)
        if ctype is None:
            raise ApiError("1013", "Activity type '%s' not found" % api_name)
        return ctype

    @staticmethod
    def _json_object(req):
        """The JSON object body of a custom-type call, or an ApiError (612/609)."""
        if req.ctype != "application/json":
            raise ApiError("612")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            raise ApiError("609")
        if not isinstance(body, dict):
            raise ApiError("609")
        return body

    @staticmethod
    def _check_attr(attr, where):
        """Validate one CustomActivityTypeAttribute; return the stored form."""
        if not isinstance(attr, dict):
            raise ApiError("1003", "%s must be an object" % where)
        for key in ("apiName", "name"):
            if not isinstance(attr.get(key), str) or not attr[key].strip():
                raise ApiError("701", "%s.%s cannot be blank" % (where, key))
        if not API_NAME_RE.match(attr["apiName"]):
            raise ApiError("1003", "Invalid apiName '%s': use letters, digits and underscores, "
                           "with at least one letter" % attr["apiName"])
        data_type = attr.get("dataType", "string")
        if data_type not in CUSTOM_DATA_TYPES:
            raise ApiError("1003", "Invalid dataType '%s' for attribute '%s'"
                           % (data_type, attr["apiName"]))
        out = {"apiName": attr["apiName"], "name": attr["name"], "dataType": data_type}
        if isinstance(attr.get("description"), str):
            out["description"] = attr["description"]
        return out

    def custom_types_list(self):
        with self.lock:
            return self.ok([self._type_view(t) for t in
                            sorted(self.custom_types.values(), key=lambda t: t["id"])])

    def custom_type_describe(self, api_name, query):
        draft = (qget(query, "draft") or "").lower() == "true"
        with self.lock:
            return self.ok([self._type_view(self._custom_type(api_name), draft)])

    def custom_type_create(self, req):
        body = self._json_object(req)
        for key in ("apiName", "name", "triggerName", "filterName"):
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise ApiError("701", "'%s' cannot be blank" % key)
        if "primaryAttribute" not in body:
            raise ApiError("701", "'primaryAttribute' cannot be blank")
        api_name = body["apiName"]
        if not API_NAME_RE.match(api_name):
            raise ApiError("1003", "Invalid apiName '%s': use letters, digits and underscores, "
                           "with at least one letter" % api_name)
        primary = self._check_attr(body["primaryAttribute"], "primaryAttribute")
        with self.lock:
            if api_name in self.custom_types:
                raise ApiError("1017", "Activity type '%s' already exists" % api_name)
            if len(self.custom_types) >= self.cfg["custom_type_limit"]:
                raise ApiError("1027", "Max activity type limit reached")
            now = time.time()
            version = {"apiName": api_name, "name": body["name"],
                       "triggerName": body["triggerName"], "filterName": body["filterName"],
                       "description": body.get("description") if isinstance(
                           body.get("description"), str) else "",
                       "primaryAttribute": primary, "attributes": []}
            ctype = {"id": self.next_type_id, "apiName": api_name, "live": None,
                     "draft": version, "createdAt": now, "updatedAt": now}
            self.next_type_id += 1
            self.custom_types[api_name] = ctype
            return self.ok([self._type_view(ctype)])

    def custom_type_add_attributes(self, api_name, req):
        body = self._json_object(req)
        attrs = body.get("attributes")
        if not isinstance(attrs, list) or not attrs:
            raise ApiError("701", "'attributes' cannot be blank")
        checked = []
        for i, attr in enumerate(attrs):
            if isinstance(attr, dict) and attr.get("isPrimary") is True:
                raise ApiError("1003", "attributes[%d]: the primary attribute is set when the "
                               "type is created" % i)
            checked.append(self._check_attr(attr, "attributes[%d]" % i))
        with self.lock:
            ctype = self._custom_type(api_name)
            base = ctype["draft"] or ctype["live"]
            taken = {base["primaryAttribute"]["apiName"]} | {a["apiName"]
                                                               for a in base["attributes"]}
            for attr in checked:
                if attr["apiName"] in taken:
                    raise ApiError("1017", "Attribute '%s' already exists" % attr["apiName"])
                taken.add(attr["apiName"])
            draft = dict(base, attributes=list(base["attributes"]) + checked)
            ctype["draft"] = draft
            ctype["updatedAt"] = time.time()
            return self.ok([self._type_view(ctype)])

    def custom_type_approve(self, api_name):
        with self.lock:
            ctype = self._custom_type(api_name)
            if ctype["draft"] is None:
                raise ApiError("1003", "Activity type '%s' has no draft to approve" % api_name)
            live = ctype["draft"]
            # Attribute lookup for external.json: by apiName or display name.
            live["lookup"] = {}
            for attr in live["attributes"]:
                live["lookup"].setdefault(attr["name"], attr)
            for attr in live["attributes"]:
                live["lookup"][attr["apiName"]] = attr
            ctype["live"], ctype["draft"] = live, None
            ctype["updatedAt"] = time.time()
            self.live_types[ctype["id"]] = ctype
            return self.ok([self._type_view(ctype)])

    # ------------------------------------------------------------ custom activities

    def external_activities(self, req):
        """POST /rest/v1/activities/external.json: one result per record, in order.

        Kept lean per record (this is the benchmark path): one dict lookup per lead,
        type and attribute, one date parse.
        """
        if req.ctype != "application/json":
            return self.error("612")
        try:
            body = req.json()
        except (ValueError, UnicodeDecodeError):
            return self.error("609")
        records = body.get("input") if isinstance(body, dict) else None
        if not isinstance(records, list) or not records:
            raise ApiError("701", "'input' cannot be blank")
        if len(records) > MAX_BATCH:
            raise ApiError("1003", "Too many records: %d given, at most %d" % (len(records),
                                                                                MAX_BATCH))
        results = []
        add = results.append
        with self.lock:
            leads, types = self.leads, self.live_types
            keep = self.cfg["keep_external"]
            keys = self.external_keys
            st = self.external_stats
            by_type, by_code = st["by_type"], st["skipped_by_code"]
            for rec in records:
                reason = self._external_reason(rec, leads, types)
                if reason is not None:
                    add({"status": "skipped", "reasons": [reason]})
                    st["skipped"] += 1
                    by_code[reason["code"]] += 1
                    continue
                type_id = rec["activityTypeId"]
                self.next_activity_id += 1
                act_id = self.next_activity_id
                st["added"] += 1
                by_type[type_id] += 1
                if keep:
                    # Identical records (same lead, type, date, primary value and
                    # attributes, in the same order) count as duplicates.
                    key = (rec["leadId"], type_id, rec["activityDate"],
                           rec["primaryAttributeValue"], repr(rec.get("attributes")))
                    if key in keys:
                        st["duplicates"] += 1
                    else:
                        keys.add(key)
                    # Attribute names are resolved when the activity is read.
                    act = {"id": act_id, "leadId": rec["leadId"], "type": type_id,
                           "ts": rec["_ts"], "primary": rec["primaryAttributeValue"],
                           "rec": rec, "lookup": types[type_id]["live"]["lookup"]}
                    self.activities.append(act)
                    self.activity_ids.append(act_id)
                    self.external.append(act)
                add({"id": act_id, "marketoGUID": str(act_id), "status": "added"})
        return self.ok(results)

    @staticmethod
    def _external_reason(rec, leads, types):
        """Why one external.json record is skipped (a Reason), or None to add it."""
        if type(rec) is not dict:
            return {"code": "1003", "message": "Record must be an object"}
        lead_id = rec.get("leadId")
        if type(lead_id) is not int:
            return {"code": "1003", "message": "Invalid value for leadId: must be an integer"}
        type_id = rec.get("activityTypeId")
        if type(type_id) is not int:
            return {"code": "1003",
                    "message": "Invalid value for activityTypeId: must be an integer"}
        if lead_id not in leads:
            return R_LEAD_NOT_FOUND
        ctype = types.get(type_id)
        if ctype is None:
            return {"code": "1013", "message": "Activity type '%d' not found" % type_id}
        primary = rec.get("primaryAttributeValue")
        if type(primary) is not str or not primary:
            return {"code": "1003", "message": "primaryAttributeValue cannot be blank"}
        ts = parse_activity_date(rec.get("activityDate"))
        if ts is None:
            return {"code": "1003", "message": "Invalid value for activityDate: %s"
                    % json.dumps(rec.get("activityDate"))}
        rec["_ts"] = ts
        attrs = rec.get("attributes")
        if attrs:
            if type(attrs) is not list:
                return {"code": "1003", "message": "attributes must be an array"}
            lookup = ctype["live"]["lookup"]
            for attr in attrs:
                if type(attr) is not dict:
                    return {"code": "1003", "message": "Each attribute must be an object"}
                key = attr.get("apiName") or attr.get("name")
                if type(key) is not str or key not in lookup:
                    return {"code": "1006", "message": "Field '%s' not found" % (key,)}
                if "value" not in attr:
                    return {"code": "1003", "message": "Attribute '%s' has no value" % key}
        return None

    # ------------------------------------------------------------ control API

    def control(self, req):
        route = (req.method, req.path.rstrip("/"))
        try:
            body = req.json() if req.method == "POST" and req.body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return json_response({"error": "body is not valid JSON"}, 400)
        if not isinstance(body, dict):
            return json_response({"error": "body must be a JSON object"}, 400)
        try:
            if route == ("GET", "/_fake/stats"):
                return json_response(self.stats_view())
            if route == ("GET", "/_fake/config"):
                with self.lock:
                    return json_response(dict(self.cfg))
            if route == ("GET", "/_fake/leads"):
                with self.lock:
                    return json_response({"leads": [self.leads[i] for i in sorted(self.leads)]})
            if route == ("GET", "/_fake/external"):
                return json_response({"activities": self.external_view(req.query)})
            if route == ("POST", "/_fake/leads"):
                return json_response({"ids": self.upsert_leads(body.get("leads", []))})
            if route == ("POST", "/_fake/activities"):
                return json_response({"ids": self.seed_activities(body.get("activities", []))})
            if route == ("POST", "/_fake/delete"):
                return json_response({"deleted": self.delete_leads(body.get("ids", []))})
            if route == ("POST", "/_fake/inject"):
                return json_response(self.add_injection(body))
            if route == ("POST", "/_fake/config"):
                return json_response(self.update_config(body))
            if route == ("POST", "/_fake/reset"):
                self.reset()
                return json_response({"ok": True})
        except (ValueError, TypeError, KeyError) as e:
            return json_response({"error": str(e)}, 400)
        return json_response({"error": "unknown control endpoint %s %s" % route}, 404)

    def external_view(self, query):
        """The kept external.json records as sent (plus id and marketoGUID), in the order
        added; ?activityTypeId=N and ?leadId=N narrow them."""
        want_type = qget(query, "activityTypeId")
        want_lead = qget(query, "leadId")
        out = []
        with self.lock:
            for act in self.external:
                if want_type is not None and str(act["type"]) != want_type:
                    continue
                if want_lead is not None and str(act["leadId"]) != want_lead:
                    continue
                rec = {k: v for k, v in act["rec"].items() if k != "_ts"}
                rec.update(id=act["id"], marketoGUID=str(act["id"]))
                out.append(rec)
        return out

    def upsert_leads(self, items):
        """Create or update leads, recording the activities Marketo would log."""
        if not isinstance(items, list):
            raise ValueError("'leads' must be an array")
        ids = []
        with self.lock:
            now = time.time()
            for item in items:
                if not isinstance(item, dict):
                    raise ValueError("each lead must be an object")
                for key in ("createdAt", "updatedAt"):
                    if item.get(key) is not None and parse_iso(item[key]) is None:
                        raise ValueError("%s must be ISO-8601, got %r" % (key, item[key]))
                lid = int(item["id"]) if item.get("id") is not None else self.next_lead_id
                self.next_lead_id = max(self.next_lead_id, lid + 1)
                values = {k: v for k, v in item.items()
                          if k not in ("id", "createdAt", "updatedAt")}
                self.schema_fields.update(values)
                updated = item.get("updatedAt") or iso(now)
                lead = self.leads.get(lid)
                if lead is None:
                    created = item.get("createdAt") or iso(now)
                    lead = {"id": lid, **{k: v for k, v in values.items() if v is not None},
                            "createdAt": created, "updatedAt": updated}
                    self.leads[lid] = lead
                    self._add_activity(lid, ACT_NEW_LEAD, parse_iso(created))
                else:
                    when = parse_iso(updated)
                    for key, new in values.items():
                        old = lead.get(key)
                        if new == old and type(new) is type(old):
                            continue
                        self._add_activity(lid, ACT_CHANGE_VALUE, when, field=key,
                                           old=activity_value(old), new=activity_value(new))
                        if new is None:
                            lead.pop(key, None)
                        else:
                            lead[key] = new
                    if item.get("createdAt"):
                        lead["createdAt"] = item["createdAt"]
                    lead["updatedAt"] = updated
                ids.append(lid)
        return ids

    def seed_activities(self, items):
        """Record lead activities (web visits, form fills, email, interesting moments …) as
        Marketo would have logged them: each {"leadId", "activityTypeId", "activityDate"
        (default now), "primaryAttributeValue", "primaryAttributeValueId", "attributes":
        [{"name","value"}]}. Ids follow the order given, like Marketo's log."""
        if not isinstance(items, list):
            raise ValueError("'activities' must be an array")
        checked = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("each activity must be an object")
            type_id = item.get("activityTypeId")
            if type_id not in ACTIVITY_TYPES or type_id in (ACT_NEW_LEAD, ACT_CHANGE_VALUE,
                                                            ACT_DELETE_LEAD):
                raise ValueError("activityTypeId %r is not a type /_fake/activities seeds "
                                 "(lead changes come from /_fake/leads)" % (type_id,))
            if not isinstance(item.get("leadId"), int):
                raise ValueError("leadId must be an integer")
            when = item.get("activityDate")
            ts = time.time() if when is None else parse_iso(when)
            if ts is None:
                raise ValueError("activityDate must be ISO-8601, got %r" % (when,))
            attrs = item.get("attributes", [])
            if not isinstance(attrs, list) or not all(
                    isinstance(a, dict) and isinstance(a.get("name"), str) for a in attrs):
                raise ValueError("attributes must be an array of {name, value}")
            checked.append((item, type_id, ts, attrs))
        ids = []
        with self.lock:
            for item, type_id, ts, attrs in checked:
                act = self._add_activity(item["leadId"], type_id, ts,
                                         primary=item.get("primaryAttributeValue"),
                                         primaryId=item.get("primaryAttributeValueId"),
                                         attributes=attrs)
                ids.append(act["id"])
        return ids

    def delete_leads(self, ids):
        if not isinstance(ids, list):
            raise ValueError("'ids' must be an array")
        deleted = []
        with self.lock:
            now = time.time()
            for raw in ids:
                lead = self.leads.pop(int(raw), None)
                if lead is None:
                    continue
                name = " ".join(str(lead[k]) for k in ("firstName", "lastName") if lead.get(k))
                self._add_activity(lead["id"], ACT_DELETE_LEAD, now,
                                   primary=name or lead.get("email") or str(lead["id"]))
                deleted.append(lead["id"])
        return deleted

    def add_injection(self, body):
        path = body.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("'path' must be a path prefix such as /rest/v1/leads.json")
        rule = {"path": path, "count": int(body.get("count", 1))}
        if body.get("close"):
            rule["close"] = True
        elif body.get("http_status"):
            rule["http_status"] = int(body["http_status"])
        elif body.get("code"):
            rule["code"] = str(body["code"])
        else:
            raise ValueError("give one of 'code', 'http_status' or 'close'")
        if body.get("message"):
            rule["message"] = str(body["message"])
        if rule["count"] < 1:
            raise ValueError("'count' must be at least 1")
        with self.lock:
            self.injections.append(rule)
            return {"ok": True, "pending": [dict(r) for r in self.injections]}

    def update_config(self, body):
        # Validate and convert everything first so a bad key changes nothing.
        settings = {}
        for key, value in body.items():
            if key in CONFIG_TYPES:
                kind = CONFIG_TYPES[key]
                if kind is bool and not isinstance(value, bool):
                    raise ValueError("'%s' must be true or false" % key)
                settings[key] = kind(value)
            elif key == "fail_export":
                fail_export = int(value)   # true = the next job to finish fails; N = N jobs
            elif key == "schema_fields":
                if not isinstance(value, list):
                    raise ValueError("'schema_fields' must be an array of field names")
                fields = [str(v) for v in value]
            elif key not in ("reset_quota", "reset_rate"):
                raise ValueError("unknown config key '%s'" % key)
        with self.lock:
            self.cfg.update(settings)
            if "fail_export" in body:
                self.fail_export = fail_export
            if "schema_fields" in body:
                self.schema_fields.update(fields)
            if body.get("reset_quota"):
                # A new "day": the call quota and the export byte allowance start over.
                self.daily_used = 0
                self.quota_exhausted = False
                self.export_bytes_today = 0
            if body.get("reset_rate"):
                # A new 20-s window: the calls made so far are long past.
                self.window.clear()
            if "short_pages" in body:
                self.page_calls = 0     # restart the empty/short page alternation
            return dict(self.cfg, fail_export=self.fail_export)

    def stats_view(self):
        with self.lock:
            self.advance_jobs()
            exports = dict(self.export_stats)
            exports.update(bytes_today=self.export_bytes_today,
                           jobs={j["exportId"]: self._status_name(j) for j in self.jobs.values()})
            return {
                "calls": dict(self.stats["calls"]), "errors": dict(self.stats["errors"]),
                "tokens_issued": self.stats["tokens_issued"],
                "max_in_flight": self.stats["max_in_flight"], "in_flight": self.in_flight,
                "violations": list(self.stats["violations"]),
                "violations_total": self.stats["violations_total"],
                "rate_max_in_window": self.stats["rate_max_in_window"],
                "daily_calls": self.daily_used, "exports": exports,
                "unimplemented": dict(self.stats["unimplemented"]),
                "internal_errors": self.stats["internal_errors"],
                "leads": len(self.leads), "activities": len(self.activities),
                "pending_injections": len(self.injections),
                "external": {
                    "added": self.external_stats["added"],
                    "skipped": self.external_stats["skipped"],
                    "duplicates": self.external_stats["duplicates"],
                    "by_type": {str(k): v for k, v in
                                sorted(self.external_stats["by_type"].items())},
                    "skipped_by_code": dict(self.external_stats["skipped_by_code"]),
                },
                "custom_types": {t["apiName"]: self._type_view(t)["status"]
                                 for t in self.custom_types.values()},
            }


# ---------------------------------------------------------------- HTTP layer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"      # keep-alive; every answer carries Content-Length
    server_version = "fake-marketo/1.0"
    disable_nagle_algorithm = True      # Marketo answers at once; Nagle adds ~40 ms per reply

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._serve()

    def do_POST(self):
        self._serve()

    def do_PUT(self):
        self._serve()

    def do_DELETE(self):
        self._serve()

    def do_PATCH(self):
        self._serve()

    def log_message(self, fmt, *args):
        if self.server.fake.verbose:
            super().log_message(fmt, *args)

    def handle_expect_100(self):
        # Refuse an oversized body before the client sends it (curl uses Expect for big posts).
        if self._content_length() > self._body_limit():
            self.server.fake.note_rejected(urllib.parse.urlsplit(self.path).path, 413)
            self._send(text_response(413, "Request Entity Too Large", close=True))
            return False
        return super().handle_expect_100()

    def _content_length(self):
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def _body_limit(self):
        if self.path.startswith("/_fake/"):
            return CONTROL_MAX_BODY
        return MAX_BODY_BYTES

    def _read_body(self):
        """Return (body, ok). ok False means the body was over the limit and discarded."""
        limit = self._body_limit()
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts, total = [], 0
            while True:
                try:
                    size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
                except ValueError:              # malformed chunk framing: give up on it
                    self.close_connection = True
                    return b"", False
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass                    # trailers
                    break
                total += size
                if total > MAX_DRAIN_BYTES and total > limit:
                    self.close_connection = True
                    return b"", False
                if total <= limit:
                    parts.append(self.rfile.read(size))
                else:                           # over the limit: read it away, keep nothing
                    parts = []
                    self._discard(size)
                self.rfile.readline(3)          # CRLF after the chunk data
            return (b"".join(parts), True) if total <= limit else (b"", False)
        length = self._content_length()
        if length > limit:
            if length > MAX_DRAIN_BYTES:
                self.close_connection = True
            else:
                self._discard(length)
            return b"", False
        return self.rfile.read(length) if length > 0 else b"", True

    def _discard(self, length):
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)

    def _serve(self):
        fake = self.server.fake
        try:
            # http.server decoded the request line as latin-1: this is its byte length.
            uri_len = len(self.path.encode("latin-1", "replace"))
            path = urllib.parse.urlsplit(self.path).path
            if uri_len > MAX_URI_BYTES:
                self._discard(self._content_length())
                fake.note_rejected(path, 414)
                self._send(text_response(414, "Request-URI Too Long"))
                return
            body, ok = self._read_body()
            if not ok:
                fake.note_rejected(path, 413)
                self._send(text_response(413, "Request Entity Too Large", close=True))
                return
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query,
                                          keep_blank_values=True)
            req = Request(self.command, path, query, self.headers, body)
            if path.startswith("/_fake/"):
                self._send(fake.control(req))
            else:
                fake.dispatch(req, self._send)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send(self, resp):
        if resp.drop:
            self.close_connection = True
            return
        try:
            self.send_response(resp.status)
            self.send_header("Content-Type", resp.ctype)
            for name, value in resp.headers:
                self.send_header(name, value)
            length = resp.length if resp.fileobj else len(resp.body)
            self.send_header("Content-Length", str(length))
            if resp.close:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if resp.fileobj and length > 0:
                # socket.sendfile uses os.sendfile where available: no copy into Python.
                self.connection.sendfile(resp.fileobj, resp.fileobj.tell(), length)
            else:
                self.wfile.write(resp.body)
        finally:
            if resp.fileobj:
                resp.fileobj.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        # Clients hanging up (including after an injected drop) are normal here.
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Marketo Engage REST API for hail tests")
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port")
    ap.add_argument("--port-file", help="write the chosen port here (atomically)")
    ap.add_argument("--client-id", default="hail-test-id")
    ap.add_argument("--client-secret", default="hail-test-secret")
    ap.add_argument("--token-ttl", type=float, default=3599)
    ap.add_argument("--status-step", type=float, default=1.0,
                    help="seconds per export status step (Queued->Processing->Completed)")
    ap.add_argument("--rate-calls", type=int, default=100)
    ap.add_argument("--rate-window", type=float, default=20)
    ap.add_argument("--max-concurrency", type=int, default=10)
    ap.add_argument("--daily-quota", type=int, default=50000)
    ap.add_argument("--no-limits", action="store_true",
                    help="benchmarks: no rate window, concurrency limit or daily quota "
                         "(tokens, 300 records per call and the 1 MB body limit still apply); "
                         "POST /_fake/config {\"limits\": true|false} switches at run time")
    ap.add_argument("--export-file", help="CSV served verbatim by smartListId exports")
    ap.add_argument("--contracts-dir", help="directory of the Swagger files")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    why = contract_missing(args.contracts_dir)
    if why:
        print("fake-marketo: cannot check requests: %s" % why, file=sys.stderr)
        sys.exit(2)
    fake = FakeMarketo(args)
    server = Server(("127.0.0.1", args.port), Handler)
    server.fake = fake
    port = server.server_address[1]
    if args.port_file:
        tmp = "%s.tmp.%d" % (args.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, args.port_file)
    print("fake-marketo listening on 127.0.0.1:%d" % port, flush=True)
    # SIGTERM -> SystemExit so the temp directory is removed on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        fake.close()


if __name__ == "__main__":
    main()
