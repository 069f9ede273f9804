#!/usr/bin/env python3
"""A local fake of the Salesforce REST API, for hail's tests and benchmarks.

It follows the "Salesforce REST" section of the contracts file ($HAIL_SHARED/contracts/
README.md): the OAuth 2.0 token endpoint (client credentials and refresh token), the data
API under {instance_url}/services/data/vNN.N (Task create/update/delete, upsert by an
external-id field, sObject Collections create and upsert of at most 200 records, Lead and
Contact opt-outs, SOQL queries paged with nextRecordsUrl), Salesforce's error shapes (JSON
arrays of {"message","errorCode","fields"}; per-record {"statusCode","message","fields"}),
the daily API request limit reported in `Sforce-Limit-Info: api-usage=N/M`, and Task field
validation (lengths, references, restricted picklists, dates).

The login host and the instance host are two listeners, so a client that ignores the
token's `instance_url` fails as it would against Salesforce. Every request is logged; one a
correct client never sends (unknown path or method, wrong content type, missing token, a
body that is not JSON, more than 200 records, an unparseable query …) is answered with
Salesforce's error and recorded as a violation, for tests to assert there are none.

A JSON control API under /_fake/ on either port (no auth, never counted) seeds and changes
records "in Salesforce" (bumping SystemModstamp, as a user's edit would), injects failures
(401 / 403 / 503 / dropped connections), changes settings and reports statistics. See
tests/fake/README.md.

Usage:
  python3 tests/fake/fake_salesforce.py --port 0 --port-file /tmp/port [--state-dir DIR] \
      [--client-id ID --client-secret S] [--refresh-token R] [--api-version 59.0] \
      [--daily-limit 100000] [--ext-id-field Hail_Activity_Id__c | --no-ext-id-field] \
      [--seed seed.json]

Python 3 standard library only; listens on 127.0.0.1 only.
"""

import argparse
import base64
import collections
import datetime
import functools
import hashlib
import hmac
import json
import os
import re
import signal
import sys
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------- contract limits

MAX_RECORDS = 200                   # records per sObject Collections call
MAX_BODY_BYTES = 50 * 1024 * 1024   # the fake's cap on a request body (413 beyond)
MAX_URI_BYTES = 16384               # the fake's cap on a request line (414 beyond)
CONTROL_MAX_BODY = 512 * 1024 * 1024
MAX_VIOLATIONS = 1000
MAX_RECENT = 100                    # last requests kept for /_fake/stats
MAX_LOCATORS = 1000                 # open query cursors kept (oldest dropped)
SUBJECT_MAX = 255
DESCRIPTION_MAX = 32000
DEFAULT_QUERY_BATCH = 2000

ORG_ID = "00D5g000004HAILEAW"
JSON_CT = "application/json;charset=UTF-8"

# Key prefixes of the objects the fake knows.
PREFIX = {"Task": "00T", "Lead": "00Q", "Contact": "003", "Account": "001",
          "Opportunity": "006", "User": "005"}
TYPE_OF_PREFIX = {v: k for k, v in PREFIX.items()}

PICKLISTS = {
    "Status": ["Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred"],
    "Priority": ["High", "Normal", "Low"],
    "Type": ["Call", "Email", "Reply", "Meeting", "Other"],
    "TaskSubtype": ["Task", "Email", "ListEmail", "Cadence", "Call", "LinkedIn"],
    "CallType": ["Internal", "Inbound", "Outbound"],
}
CLOSED_STATUSES = {"Completed"}

# Field kinds: str(n) = text of at most n characters, plus the kinds below. `ro` fields
# are readable only. Labels are what Salesforce names a field in its messages.
TASK_FIELDS = {
    "Id": "id", "Subject": ("str", SUBJECT_MAX), "WhoId": "who", "WhatId": "what",
    "OwnerId": "owner", "ActivityDate": "date", "Status": "picklist", "Priority": "picklist",
    "Description": ("str", DESCRIPTION_MAX), "Type": "picklist", "TaskSubtype": "picklist",
    "CallDurationInSeconds": "int", "CallType": "picklist",
    "CallDisposition": ("str", 255), "CallObject": ("str", 255), "IsReminderSet": "bool",
    "ReminderDateTime": "datetime", "IsClosed": "ro", "IsDeleted": "ro",
    "CreatedDate": "ro", "CreatedById": "ro", "LastModifiedDate": "ro",
    "LastModifiedById": "ro", "SystemModstamp": "ro",
}
PERSON_FIELDS = {
    "Id": "id", "FirstName": ("str", 40), "LastName": ("str", 80), "Email": ("str", 80),
    "HasOptedOutOfEmail": "bool", "OwnerId": "owner", "IsDeleted": "ro",
    "CreatedDate": "ro", "LastModifiedDate": "ro", "LastModifiedById": "ro",
    "SystemModstamp": "ro",
}
LEAD_FIELDS = dict(PERSON_FIELDS, Company=("str", 255), Status=("str", 255))
CONTACT_FIELDS = dict(PERSON_FIELDS, AccountId="ro")
OTHER_FIELDS = {"Id": "id", "Name": ("str", 255), "IsDeleted": "ro", "CreatedDate": "ro",
                "LastModifiedDate": "ro", "SystemModstamp": "ro"}
USER_FIELDS = {"Id": "id", "Name": ("str", 121), "Email": ("str", 128), "IsActive": "ro",
               "SystemModstamp": "ro"}
LABELS = {"WhoId": "Name ID", "WhatId": "Related To ID", "OwnerId": "Assigned To ID"}
NOT_FILTERABLE = {"Description"}    # long text areas cannot be filtered in SOQL
DATETIME_FIELDS = {"ReminderDateTime", "CreatedDate", "LastModifiedDate", "SystemModstamp"}

INTEGRATION_USER = "005Dn000000001HAAQ"   # the user the token acts as
SALES_USER = "005Dn000000002HAAQ"         # who edits records "in Salesforce"

# Settings changeable at runtime through POST /_fake/config, with their types.
CONFIG_TYPES = {
    "daily_limit": int, "api_version": str, "ext_id_unique": bool, "query_batch": int,
    "session_seconds": float, "latency": float, "refresh_token": str,
    "check_fields": bool,   # false (benchmarks): collections skip the per-field Task checks
}

NOT_FOUND = "The requested resource does not exist"
SESSION = "Session expired or invalid"


# ---------------------------------------------------------------- small helpers

def sf_datetime(ms):
    """Epoch milliseconds -> 2026-01-01T10:00:00.000+0000 (Salesforce's JSON form)."""
    dt = datetime.datetime.fromtimestamp(ms / 1000.0, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03d+0000" % (ms % 1000)


_DT_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
                    r"(Z|[+-]\d{2}:?\d{2})\Z")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def parse_datetime(text):
    """An ISO-8601 date-time with an offset (Z, +hh:mm, +hhmm) -> epoch ms, else None."""
    if not isinstance(text, str):
        return None
    m = _DT_RE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s, frac, off = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                               tzinfo=datetime.timezone.utc)
    except ValueError:
        return None
    ms = int(dt.timestamp()) * 1000 + int((frac or "0")[:3].ljust(3, "0"))
    if off != "Z":
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        ms -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60000
    return ms


def valid_date(text):
    if not isinstance(text, str) or not _DATE_RE.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_RE = re.compile(r"[0-9A-Za-z]{15}([0-9A-Za-z]{3})?\Z")


_UPPER_BITS = str.maketrans({c: ("1" if "A" <= c <= "Z" else "0") for c in _B62})


def id18(id15):
    """A 15-character Salesforce id with its 3-character case-safe suffix: per 5-character
    chunk, bit i says whether character i is upper case."""
    bits = id15.translate(_UPPER_BITS)
    return id15 + "".join(_SUFFIX[int(bits[k + 4:k - 1 if k else None:-1], 2)]
                          for k in (0, 5, 10))


def make_id(prefix, n):
    digits = ""
    while n:
        n, r = divmod(n, 62)
        digits = _B62[r] + digits
    return id18(prefix + "Dn" + digits.rjust(10, "0"))


@functools.lru_cache(maxsize=65536)
def norm_id(value):
    """A 15- or 18-character id as its 18-character form; None when malformed."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        return None
    full = id18(value[:15])
    if len(value) == 18 and value[15:].upper() != full[15:]:
        return None
    return full


def errors(code, message, fields=None):
    e = {"message": message, "errorCode": code}
    if fields is not None:
        e["fields"] = fields
    return [e]


def rec_error(code, message, fields=None):
    return {"statusCode": code, "message": message, "fields": fields or []}


class Response:
    def __init__(self, status=200, body=b"", ctype=JSON_CT, headers=None, close=False,
                 drop=False):
        self.status = status
        self.body = body
        self.ctype = ctype
        self.headers = headers or []
        self.close = close
        self.drop = drop


def json_response(obj, status=200):
    if obj is None:
        return Response(status, b"")
    return Response(status, json.dumps(obj, separators=(",", ":")).encode("utf-8"))


class ApiError(Exception):
    """Raised in a handler: answer `status` with Salesforce's error array.

    violation: a sentence recorded when a correct client would never cause this."""

    def __init__(self, status, code, message, fields=None, violation=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.violation = fields, violation


class Request:
    def __init__(self, method, path, query, headers, body, role):
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body or b""
        self.role = role
        self.content_type = headers.get("Content-Type") or ""

    @property
    def ctype(self):
        return self.content_type.split(";")[0].strip().lower()


# ---------------------------------------------------------------- SOQL

_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<dt>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2}))
  | (?P<date>\d{4}-\d{2}-\d{2}(?![\dT]))
  | (?P<num>-?\d+(?:\.\d+)?)
  | (?P<str>'(?:[^'\\]|\\.)*')
  | (?P<op>!=|<>|<=|>=|=|<|>|,|\(|\))
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
""", re.X)

KEYWORDS = {"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "ORDER", "BY", "ASC", "DESC",
            "LIMIT", "OFFSET", "IN", "NULLS", "FIRST", "LAST", "NULL", "TRUE", "FALSE",
            "GROUP", "HAVING", "LIKE"}


class SoqlError(Exception):
    def __init__(self, code, text, col):
        super().__init__(text)
        self.code, self.text, self.col = code, text, col


def tokenize(q):
    out, pos = [], 0
    while pos < len(q):
        m = _TOKEN_RE.match(q, pos)
        if not m:
            raise SoqlError("MALFORMED_QUERY", "unexpected token: '%s'" % q[pos], pos)
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group(), pos))
        pos = m.end()
    out.append(("end", "", len(q)))
    return out


class Soql:
    """SELECT f, … FROM Obj [WHERE c AND …] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST]]
    [LIMIT n]; a condition is `field op literal` (op = != <> < <= > >=) or `field [NOT]
    IN (literal, …)`. Anything else is MALFORMED_QUERY."""

    def __init__(self, text, schemas):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.fields, self.where, self.order, self.limit = [], [], None, None
        self._parse(schemas)

    def _peek(self):
        return self.toks[self.i]

    def _next(self):
        t = self.toks[self.i]
        self.i += 1
        return t

    def _unexpected(self, tok):
        shown = tok[1] if tok[0] != "end" else "<EOF>"
        raise SoqlError("MALFORMED_QUERY", "unexpected token: '%s'" % shown, tok[2])

    def _kw(self, word):
        t = self._peek()
        if t[0] == "name" and t[1].upper() == word:
            self.i += 1
            return True
        return False

    def _expect_kw(self, word):
        if not self._kw(word):
            self._unexpected(self._peek())

    def _field(self, obj, schema, t=None):
        t = t or self._next()
        if t[0] != "name" or t[1].upper() in KEYWORDS:
            self._unexpected(t)
        if "." in t[1] or t[1] not in schema:
            raise SoqlError(
                "INVALID_FIELD",
                "No such column '%s' on entity '%s'. If you are attempting to use a custom "
                "field, be sure to append the '__c' after the custom field name. Please "
                "reference your WSDL or the describe call for the appropriate names."
                % (t[1], obj), t[2])
        return t[1]

    def _parse(self, schemas):
        self._expect_kw("SELECT")
        raw_fields = []
        while True:
            t = self._next()
            if t[0] != "name" or t[1].upper() in KEYWORDS:
                self._unexpected(t)
            raw_fields.append(t)
            if self._peek()[1] != ",":
                break
            self._next()
        self._expect_kw("FROM")
        t = self._next()
        if t[0] != "name" or t[1].upper() in KEYWORDS:
            self._unexpected(t)
        obj = next((o for o in schemas if o.lower() == t[1].lower()), None)
        if obj is None:
            raise SoqlError(
                "INVALID_TYPE",
                "sObject type '%s' is not supported. If you are attempting to use a custom "
                "object, be sure to append the '__c' after the entity name. Please reference "
                "your WSDL or the describe call for the appropriate names." % t[1], t[2])
        self.obj = obj
        schema = schemas[obj]
        self.fields = [self._field(obj, schema, ft) for ft in raw_fields]
        if self._kw("WHERE"):
            while True:
                self.where.append(self._condition(obj, schema))
                if not self._kw("AND"):
                    break
        if self._kw("ORDER"):
            self._expect_kw("BY")
            field = self._field(obj, schema)
            desc = False
            if self._kw("DESC"):
                desc = True
            else:
                self._kw("ASC")
            nulls_last = desc
            if self._kw("NULLS"):
                if self._kw("LAST"):
                    nulls_last = True
                else:
                    self._expect_kw("FIRST")
                    nulls_last = False
            self.order = (field, desc, nulls_last)
        if self._kw("LIMIT"):
            t = self._next()
            if t[0] != "num" or not t[1].isdigit():
                self._unexpected(t)
            self.limit = int(t[1])
        t = self._peek()
        if t[0] != "end":
            self._unexpected(t)

    def _literal(self, field, schema):
        t = self._next()
        kind = schema[field]
        if t[0] == "name" and t[1].upper() == "NULL":
            return None
        if field in DATETIME_FIELDS:
            if t[0] == "dt":
                return parse_datetime(t[1])
            if t[0] == "str":
                raise SoqlError("INVALID_FIELD",
                                "value of filter criterion for field '%s' must be of type "
                                "dateTime and should not be enclosed in quotes" % field, t[2])
            raise SoqlError("INVALID_FIELD", "value of filter criterion for field '%s' must "
                            "be of type dateTime" % field, t[2])
        if kind == "date":
            if t[0] == "date":
                return t[1]
            raise SoqlError("INVALID_FIELD", "value of filter criterion for field '%s' must "
                            "be of type date and should not be enclosed in quotes" % field,
                            t[2])
        if kind == "bool" or field in ("IsClosed", "IsDeleted", "IsActive"):
            if t[0] == "name" and t[1].upper() in ("TRUE", "FALSE"):
                return t[1].upper() == "TRUE"
            raise SoqlError("INVALID_FIELD", "value of filter criterion for field '%s' must "
                            "be of type boolean and should not be enclosed in quotes" % field,
                            t[2])
        if kind == "int":
            if t[0] == "num":
                return float(t[1])
            self._unexpected(t)
        if t[0] == "str":
            value = re.sub(r"\\(.)", r"\1", t[1][1:-1])
            if kind in ("id", "who", "what", "owner") or field.endswith("Id"):
                return norm_id(value) or value
            return value
        self._unexpected(t)

    def _condition(self, obj, schema):
        ftok = self._peek()
        field = self._field(obj, schema)
        if field in NOT_FILTERABLE:
            raise SoqlError("INVALID_FIELD", "field '%s' can not be filtered in a query call"
                            % field, ftok[2])
        t = self._next()
        if t[0] == "name" and t[1].upper() == "LIKE":
            lit = self._next()
            if lit[0] != "str":
                self._unexpected(lit)
            pattern = re.sub(r"\\(.)", r"\1", lit[1][1:-1])
            rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c)
                         for c in pattern)
            return (field, "like", re.compile(rx + r"\Z", re.I | re.S))
        negate = False
        if t[0] == "name" and t[1].upper() == "NOT":
            negate = True
            t = self._next()
        if t[0] == "name" and t[1].upper() == "IN":
            if self._next()[1] != "(":
                self._unexpected(self.toks[self.i - 1])
            values = []
            while True:
                values.append(self._literal(field, schema))
                sep = self._next()
                if sep[1] == ")":
                    break
                if sep[1] != ",":
                    self._unexpected(sep)
            return (field, "not in" if negate else "in", values)
        if negate or t[0] != "op" or t[1] in (",", "(", ")"):
            self._unexpected(t)
        op = "!=" if t[1] == "<>" else t[1]
        return (field, op, self._literal(field, schema))

    @staticmethod
    def _cmp(value, op, lit):
        if op == "like":
            return isinstance(value, str) and lit.match(value) is not None
        if op == "in":
            return value in lit
        if op == "not in":
            return value not in lit
        if op == "=":
            return value == lit
        if op == "!=":
            return value != lit
        if value is None or lit is None:
            return False
        if isinstance(value, bool) or isinstance(lit, bool):
            return False
        if isinstance(lit, float) and not isinstance(value, (int, float)):
            return False
        return {"<": value < lit, "<=": value <= lit, ">": value > lit,
                ">=": value >= lit}[op]

    def matches(self, rec):
        for field, op, lit in self.where:
            value = rec.get("_ms_" + field, rec.get(field)) if field in DATETIME_FIELDS \
                else rec.get(field)
            if not self._cmp(value, op, lit):
                return False
        return True


# ---------------------------------------------------------------- the fake itself

class FakeSalesforce:
    """All state and behaviour; the HTTP layer only moves bytes. One lock guards it all."""

    def __init__(self, args):
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.verbose = args.verbose
        self.state_dir = args.state_dir
        self.log_file = None
        if self.state_dir:
            os.makedirs(self.state_dir, exist_ok=True)
            self.log_file = open(os.path.join(self.state_dir, "requests.jsonl"), "a",
                                 encoding="utf-8")
        self.login_url = None       # set once the listeners are bound
        self.instance_url = None
        self.lock = threading.RLock()
        self.base_cfg = {
            "daily_limit": args.daily_limit, "api_version": args.api_version,
            "ext_id_field": None if args.no_ext_id_field else args.ext_id_field,
            "ext_id_unique": False, "custom_fields": [], "picklists": PICKLISTS,
            "query_batch": DEFAULT_QUERY_BATCH, "session_seconds": args.session_seconds,
            "latency": 0.0, "refresh_token": args.refresh_token, "check_fields": True,
        }
        self.seed_file = args.seed
        self.reset()

    # ------------------------------------------------------------ state

    def reset(self):
        with self.lock:
            self.cfg = json.loads(json.dumps(self.base_cfg))
            self.records = {o: {} for o in PREFIX}
            self.ext_index = {}         # external-id value -> {Task ids} (live Tasks only)
            self._task_schema = (None, None)
            self.seq = 0
            self.last_ms = 0
            self.tokens = {}            # token -> issued at (epoch s)
            self.injections = []
            self.locators = collections.OrderedDict()
            self.api_usage = 0
            self.stats = {
                "calls": collections.Counter(), "errors": collections.Counter(),
                "tokens_issued": 0, "violations": [], "violations_total": 0,
                "internal_errors": 0, "unimplemented": collections.Counter(),
                "records_written": 0, "recent": collections.deque(maxlen=MAX_RECENT),
            }
            self._ensure_user(INTEGRATION_USER, "Hail Integration", "integration@example.com")
            self._ensure_user(SALES_USER, "Sam Seller", "sam@example.com")
            if self.seed_file:
                with open(self.seed_file, encoding="utf-8") as f:
                    self.seed(json.load(f))

    def _ensure_user(self, uid, name, email):
        ms = self._stamp()
        self.records["User"][uid] = {"Id": uid, "Name": name, "Email": email,
                                     "IsActive": True, "_ms_SystemModstamp": ms}

    def _stamp(self):
        """Now in epoch ms, never earlier than the last stamp given (equal is possible, as
        in Salesforce: pollers must not assume SystemModstamp is unique)."""
        ms = max(int(time.time() * 1000), self.last_ms)
        self.last_ms = ms
        return ms

    def _new_id(self, obj):
        self.seq += 1
        return make_id(PREFIX[obj], self.seq)

    def schema(self, obj):
        if obj == "Task":
            key = (self.cfg["ext_id_field"], tuple(self.cfg["custom_fields"]))
            if self._task_schema[0] != key:
                s = dict(TASK_FIELDS)
                for f in ([key[0]] if key[0] else []) + list(key[1]):
                    s[f] = ("str", 255)
                self._task_schema = (key, s)
            return self._task_schema[1]
        return {"Lead": LEAD_FIELDS, "Contact": CONTACT_FIELDS, "User": USER_FIELDS}.get(
            obj, OTHER_FIELDS)

    def schemas(self):
        return {o: self.schema(o) for o in PREFIX}

    def view(self, obj, rec, fields=None):
        """A record as the API shows it: attributes first, datetimes formatted."""
        out = {"attributes": {"type": obj, "url": "/services/data/v%s/sobjects/%s/%s" % (
            self.cfg["api_version"], obj, rec["Id"])}}
        schema = self.schema(obj)
        for f in fields or schema:
            if f in DATETIME_FIELDS:
                ms = rec.get("_ms_" + f)
                out[f] = sf_datetime(ms) if ms is not None else None
            elif f == "IsDeleted":
                out[f] = bool(rec.get("IsDeleted"))
            else:
                out[f] = rec.get(f)
        return out

    # ------------------------------------------------------------ request entry points

    def violation(self, req, text):
        with self.lock:
            self.stats["violations_total"] += 1
            if len(self.stats["violations"]) < MAX_VIOLATIONS:
                self.stats["violations"].append("%s %s: %s" % (req.method, req.path, text))

    def log(self, req, status, started, note=None):
        entry = {"t": sf_datetime(int(started * 1000)), "method": req.method,
                 "path": req.path, "status": status,
                 "ms": round((time.time() - started) * 1000, 1)}
        if req.query:
            entry["query"] = {k: v[-1] for k, v in req.query.items()}
        if note:
            entry["records"] = note
        with self.lock:
            self.stats["recent"].append(entry)
            if self.log_file:
                self.log_file.write(json.dumps(entry) + "\n")
                self.log_file.flush()
        if self.verbose:
            print(json.dumps(entry), file=sys.stderr, flush=True)

    def _take_injection(self, path):
        for rule in self.injections:
            if path.startswith(rule["path"]):
                rule["count"] -= 1
                if rule["count"] <= 0:
                    self.injections.remove(rule)
                return rule
        return None

    def serve(self, req):
        """One non-control request -> Response (headers include Sforce-Limit-Info)."""
        started = time.time()
        note = {}
        try:
            resp = self._serve(req, note)
        except ApiError as e:
            if e.violation:
                self.violation(req, e.violation)
            resp = json_response(errors(e.code, e.message, e.fields), e.status)
            with self.lock:
                self.stats["errors"][e.code] += 1
        except Exception:  # a fake bug must not look like a hang to the client
            traceback.print_exc()
            with self.lock:
                self.stats["internal_errors"] += 1
                self.stats["errors"]["UNKNOWN_EXCEPTION"] += 1
            resp = json_response(errors("UNKNOWN_EXCEPTION", "An unexpected error occurred. "
                                        "Please include this ErrorId if you contact support: "
                                        "fake-salesforce"), 500)
        if req.path.startswith("/services/data") and req.role == "instance":
            with self.lock:
                resp.headers.append(("Sforce-Limit-Info", "api-usage=%d/%d" % (
                    self.api_usage, self.cfg["daily_limit"])))
        self.log(req, "dropped" if resp.drop else resp.status, started, note.get("n"))
        return resp

    def _serve(self, req, note):
        path = req.path
        if path == "/services/oauth2/token":
            with self.lock:
                self.stats["calls"]["POST /services/oauth2/token"] += 1
            if req.role != "login":
                self.violation(req, "token requested from the instance host; use the login URL")
            return self.token(req)
        if not path.startswith("/services/data"):
            raise ApiError(404, "NOT_FOUND", NOT_FOUND, violation="unknown path")
        if req.role != "instance":
            raise ApiError(404, "NOT_FOUND", NOT_FOUND,
                           violation="data API called on the login host; use the token's "
                           "instance_url")
        rest = path[len("/services/data"):]
        if rest in ("", "/"):
            if req.method != "GET":
                raise ApiError(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. "
                               "Allowed are GET,HEAD" % req.method, violation="bad method")
            return json_response([{"label": "Winter '24", "url": "/services/data/v%s"
                                   % self.cfg["api_version"],
                                   "version": self.cfg["api_version"]}])
        m = re.match(r"/v(\d+\.\d)(/.*)?\Z", rest)
        if not m or m.group(1) != self.cfg["api_version"]:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND,
                           violation="API version not served (this org serves v%s)"
                           % self.cfg["api_version"])
        sub = (m.group(2) or "/").rstrip("/") or "/"
        with self.lock:
            self.stats["calls"]["%s %s" % (req.method, self._template(sub))] += 1
            rule = self._take_injection(sub)
        self._authenticate(req, rule)
        if rule is not None and rule["kind"] == "drop":
            with self.lock:
                self.stats["errors"]["dropped"] += 1
            return Response(drop=True)
        if rule is not None and rule["kind"] == "overloaded":
            raise ApiError(503, "SERVER_UNAVAILABLE", "Server overloaded")
        latency = self.cfg["latency"]
        if latency > 0:
            time.sleep(latency)
        resp = self.route(req, sub, note)
        if rule is not None and rule["kind"] == "drop_after":
            with self.lock:
                self.stats["errors"]["dropped"] += 1
            return Response(drop=True)
        return resp

    @staticmethod
    def _template(sub):
        """A path with ids and values replaced, for the call counters."""
        parts = sub.strip("/").split("/")
        if parts[:1] == ["sobjects"] and len(parts) >= 3:
            parts[2:] = ["{id}"] if len(parts) == 3 else [parts[2], "{value}"]
        elif parts[:1] == ["query"] and len(parts) == 2:
            parts[1] = "{locator}"
        return "/" + "/".join(parts)

    def _authenticate(self, req, rule):
        auth = req.headers.get("Authorization") or ""
        token = auth[7:].strip() if auth[:7].lower() == "bearer " else None
        with self.lock:
            if not token:
                self.violation(req, "no Authorization: Bearer header")
            if rule is not None and rule["kind"] == "session" and token in self.tokens:
                del self.tokens[token]      # the session really ends
            issued = self.tokens.get(token) if token else None
            if issued is not None and self.cfg["session_seconds"] > 0 and \
                    time.time() - issued >= self.cfg["session_seconds"]:
                del self.tokens[token]
                issued = None
            if issued is None:
                raise ApiError(401, "INVALID_SESSION_ID", SESSION)
            if rule is not None and rule["kind"] == "limit":
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            if self.api_usage >= self.cfg["daily_limit"]:
                raise ApiError(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
            self.api_usage += 1

    # ------------------------------------------------------------ OAuth

    def token(self, req):
        if req.method != "POST":
            raise ApiError(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed "
                           "are POST" % req.method, violation="token endpoint needs POST")

        def oauth_error(error, description):
            with self.lock:
                self.stats["errors"]["oauth_" + error] += 1
            return json_response({"error": error, "error_description": description}, 400)
        if req.ctype != "application/x-www-form-urlencoded":
            self.violation(req, "token request must be application/x-www-form-urlencoded, "
                           "got %r" % req.content_type)
            return oauth_error("unsupported_grant_type", "grant type not supported")
        if req.query:
            self.violation(req, "token parameters belong in the form body, not the URL")
        form = urllib.parse.parse_qs(req.body.decode("utf-8", "replace"),
                                     keep_blank_values=True)

        def one(name):
            v = form.get(name)
            return v[-1] if v else None
        grant = one("grant_type")
        if grant == "client_credentials":
            if one("client_id") != self.client_id or one("client_secret") != self.client_secret:
                return oauth_error("invalid_grant", "authentication failure")
        elif grant == "refresh_token":
            if one("client_id") != self.client_id or (
                    one("client_secret") is not None
                    and one("client_secret") != self.client_secret):
                return oauth_error("invalid_grant", "authentication failure")
            if not one("refresh_token") or one("refresh_token") != self.cfg["refresh_token"]:
                return oauth_error("invalid_grant", "expired access/refresh token")
        else:
            if grant is None:
                self.violation(req, "token request without grant_type")
            return oauth_error("unsupported_grant_type", "grant type not supported")
        with self.lock:
            self.stats["tokens_issued"] += 1
            n = self.stats["tokens_issued"]
            raw = hashlib.sha256(b"%d:%f" % (n, time.time())).digest()
            token = "%s!AQ%s" % (ORG_ID[:15], base64.b64encode(raw).decode().rstrip("="))
            self.tokens[token] = time.time()
        issued = str(int(time.time() * 1000))
        ident = "%s/id/%s/%s" % (self.login_url, ORG_ID, INTEGRATION_USER)
        sig = base64.b64encode(hmac.new(self.client_secret.encode(),
                                        (ident + issued).encode(), hashlib.sha256).digest())
        return json_response({"access_token": token, "signature": sig.decode(),
                              "scope": "api", "instance_url": self.instance_url,
                              "id": ident, "token_type": "Bearer", "issued_at": issued})

    # ------------------------------------------------------------ routing

    def route(self, req, sub, note):
        parts = sub.strip("/").split("/") if sub != "/" else []
        m = req.method
        if not parts:
            self._allow(req, "GET")
            v = "/services/data/v" + self.cfg["api_version"]
            return json_response({"sobjects": v + "/sobjects", "query": v + "/query",
                                  "composite": v + "/composite", "limits": v + "/limits"})
        if parts == ["limits"]:
            self._allow(req, "GET")
            with self.lock:
                return json_response({"DailyApiRequests": {
                    "Max": self.cfg["daily_limit"],
                    "Remaining": max(0, self.cfg["daily_limit"] - self.api_usage)}})
        if parts[0] == "query":
            self._allow(req, "GET")
            if len(parts) == 1:
                return self.query(req)
            if len(parts) == 2:
                return self.query_more(parts[1])
        if parts[0] == "composite" and len(parts) >= 2 and parts[1] == "sobjects":
            if len(parts) == 2:
                self._allow(req, "POST")
                return self.collection_create(req, note)
            if len(parts) == 4 and parts[2] == "Task":
                self._allow(req, "PATCH")
                return self.collection_upsert(req, parts[3], note)
            if len(parts) == 3 and parts[2] in PREFIX:
                raise ApiError(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. "
                               "Allowed are PATCH" % m, violation="bad method")
        if parts[0] == "sobjects" and len(parts) >= 2:
            obj = parts[1]
            if obj not in PREFIX:
                raise ApiError(404, "NOT_FOUND", NOT_FOUND, violation="unknown sObject %s" % obj)
            if len(parts) == 2:
                if obj != "Task":
                    self._unimplemented(req, "creating a %s" % obj)
                self._allow(req, "POST")
                return self.create_one(req, note)
            if len(parts) == 3 and parts[2] == "describe":
                self._allow(req, "GET")
                return self.describe(obj)
            if len(parts) == 3:
                allowed = {"Task": "GET,PATCH,DELETE", "Lead": "GET,PATCH",
                           "Contact": "GET,PATCH"}.get(obj, "GET")
                self._allow(req, *allowed.split(","))
                if m == "GET":
                    return self.get_one(obj, parts[2])
                if m == "DELETE":
                    return self.delete_one(parts[2])
                return self.update_one(req, obj, parts[2], note)
            if len(parts) == 4 and obj == "Task":
                self._allow(req, "PATCH")
                return self.upsert_one(req, parts[2], urllib.parse.unquote(parts[3]), note)
        raise ApiError(404, "NOT_FOUND", NOT_FOUND, violation="unknown path")

    def _allow(self, req, *methods):
        if req.method not in methods:
            raise ApiError(405, "METHOD_NOT_ALLOWED", "HTTP Method '%s' not allowed. Allowed "
                           "are %s" % (req.method, ",".join(methods)), violation="bad method")

    def _unimplemented(self, req, what):
        with self.lock:
            self.stats["unimplemented"][what] += 1
        raise ApiError(404, "NOT_FOUND", NOT_FOUND + " (%s is not modelled by the fake)" % what,
                       violation="%s is not modelled by the fake" % what)

    def _json_body(self, req):
        if req.ctype != "application/json":
            raise ApiError(415, "UNSUPPORTED_MEDIA_TYPE", "MediaType of '%s' is not supported "
                           "by this resource" % (req.ctype or "none"),
                           violation="body must be application/json, got %r" % req.content_type)
        try:
            return json.loads(req.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, "JSON_PARSER_ERROR", "Unexpected character in JSON: %s" % e,
                           violation="body is not valid JSON")

    def _record_body(self, req):
        body = self._json_body(req)
        if not isinstance(body, dict):
            raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                           "SObject from START_ARRAY value", violation="body must be an object")
        self._deserialize(body)
        return body

    def _collection_body(self, req):
        body = self._json_body(req)
        recs = body.get("records") if isinstance(body, dict) else None
        if not isinstance(recs, list) or not all(isinstance(r, dict) for r in recs):
            raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize the request: "
                           "expected {\"allOrNone\":…,\"records\":[{…}]}",
                           violation="body must be {allOrNone, records: [objects]}")
        unknown = sorted(k for k in body if k not in ("allOrNone", "records"))
        if unknown:
            raise ApiError(400, "JSON_PARSER_ERROR", "Unrecognized field \"%s\"" % unknown[0],
                           violation="unknown property %s in the collection body" % unknown[0])
        if "allOrNone" in body and not isinstance(body["allOrNone"], bool):
            raise ApiError(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean",
                           violation="allOrNone must be a boolean")
        if not recs:
            raise ApiError(400, "INVALID_FIELD", "No SObject records provided", [],
                           violation="empty records array")
        if len(recs) > MAX_RECORDS:
            raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                           "than %d records into this call" % MAX_RECORDS, [],
                           violation="%d records in one call (at most %d)"
                           % (len(recs), MAX_RECORDS))
        for r in recs if self.cfg["check_fields"] else ():
            self._deserialize(r)
        return recs, bool(body.get("allOrNone", False))

    @staticmethod
    def _deserialize(rec):
        """The JSON type checks Salesforce makes while reading the body: a value that does
        not fit its field's type fails the whole request (JSON_PARSER_ERROR)."""
        for f, v in rec.items():
            kind = TASK_FIELDS.get(f)
            bad = None
            if v is None or f == "attributes":
                continue
            if kind == "date" and not valid_date(v):
                bad = "date"
            elif kind == "datetime" and parse_datetime(v) is None:
                bad = "datetime"
            elif kind == "bool" and not isinstance(v, bool):
                bad = "boolean"
            elif kind == "int" and (isinstance(v, bool) or not isinstance(v, int)):
                bad = "int"
            if bad:
                raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of %s "
                               "from VALUE_STRING value %s or request may be missing a "
                               "required field" % (bad, json.dumps(v)))

    # ------------------------------------------------------------ Task validation

    def _check_task(self, rec, creating, ext_value=None):
        """Field checks for one Task write -> ([errors], {field: value} to store)."""
        if not self.cfg["check_fields"]:
            return [], {f: v for f, v in rec.items() if f != "attributes"}
        schema = self.schema("Task")
        errs, values = [], {}
        ext = self.cfg["ext_id_field"]
        for f, v in rec.items():
            if f == "attributes":
                continue
            kind = schema.get(f)
            if kind is None:
                errs.append(rec_error("INVALID_FIELD", "No such column '%s' on sobject of type "
                                      "Task" % f))
                continue
            if kind in ("ro", "id") or (f == "TaskSubtype" and not creating):
                if f == "Id" and not creating:
                    continue
                errs.append(rec_error("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/"
                                      "update fields: %s. Please check the security settings "
                                      "of this field and verify that it is read/write for your "
                                      "profile or permission set." % f, [f]))
                continue
            if f == ext and ext_value is not None and v != ext_value:
                errs.append(rec_error("INVALID_FIELD", "The external ID field %s in the body "
                                      "(%s) does not match the value in the URL (%s)"
                                      % (f, v, ext_value), [f]))
                continue
            if v is None:
                if f in ("Status", "Priority"):
                    errs.append(rec_error("REQUIRED_FIELD_MISSING", "Required fields are "
                                          "missing: [%s]" % f, [f]))
                else:
                    values[f] = None
                continue
            if isinstance(kind, tuple):
                if isinstance(v, (dict, list)):
                    errs.append(rec_error("JSON_PARSER_ERROR", "Cannot deserialize instance of "
                                          "string from %s" % type(v).__name__, [f]))
                    continue
                v = v if isinstance(v, str) else json.dumps(v)
                if len(v) > kind[1]:
                    errs.append(rec_error("STRING_TOO_LONG", "%s: data value too large: %s "
                                          "(max length=%d)" % (f, v, kind[1]), [f]))
                    continue
            elif kind == "picklist":
                allowed = self.cfg["picklists"].get(f, [])
                if v not in allowed:
                    errs.append(rec_error("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                                          "%s: bad value for restricted picklist field: %s"
                                          % (f, v), [f]))
                    continue
            elif kind in ("who", "what", "owner"):
                err = self._check_reference(f, v, {"who": ("Lead", "Contact"),
                                                   "what": ("Account", "Opportunity"),
                                                   "owner": ("User",)}[kind])
                if err:
                    errs.append(err)
                    continue
                v = norm_id(v)
            elif kind == "datetime":
                values["_ms_" + f] = parse_datetime(v)
            values[f] = v
        return errs, values

    def _check_reference(self, f, v, types):
        label = LABELS[f]
        full = norm_id(v) if isinstance(v, str) else None
        if full is None:
            return rec_error("MALFORMED_ID", "%s: id value of incorrect type: %s" % (label, v),
                             [f])
        obj = TYPE_OF_PREFIX.get(full[:3])
        if obj not in types:
            return rec_error("FIELD_INTEGRITY_EXCEPTION", "%s: id value of incorrect type: %s"
                             % (label, v), [f])
        target = self.records[obj].get(full)
        if target is None or target.get("IsDeleted"):
            return rec_error("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [f])
        return None

    def _write_task(self, task_id, values, user=INTEGRATION_USER, ms=None):
        """Create (task_id None or not stored yet) or update a Task; returns its id. A batch
        passes one stamp `ms` for all its records, as Salesforce's are saved together."""
        ms = ms or self._stamp()
        tasks = self.records["Task"]
        if task_id is None or task_id not in tasks:
            task_id = task_id or self._new_id("Task")
            rec = {"Id": task_id, "Status": "Not Started", "Priority": "Normal",
                   "OwnerId": INTEGRATION_USER, "IsReminderSet": False, "IsDeleted": False,
                   "TaskSubtype": "Task", "CreatedById": user, "_ms_CreatedDate": ms}
            tasks[task_id] = rec
        rec = tasks[task_id]
        self._index(rec, False)
        rec.update(values)
        self._index(rec, True)
        rec["IsClosed"] = rec.get("Status") in CLOSED_STATUSES
        rec["LastModifiedById"] = user
        rec["_ms_LastModifiedDate"] = ms
        rec["_ms_SystemModstamp"] = ms
        self.stats["records_written"] += 1
        return task_id

    def _ext_matches(self, value):
        """The live Tasks whose external-id field holds value, oldest first."""
        ids = self.ext_index.get(value)
        if not ids:
            return []
        tasks = self.records["Task"]
        if len(ids) == 1:
            return [tasks[i] for i in ids]
        return sorted((tasks[i] for i in ids), key=lambda t: t["Id"])

    def _index(self, rec, add):
        """Put a Task into (or take it out of) the external-id index."""
        ext = self.cfg["ext_id_field"]
        value = rec.get(ext) if ext else None
        if value is None:
            return
        ids = self.ext_index.setdefault(value, set())
        if add:
            ids.add(rec["Id"])
        else:
            ids.discard(rec["Id"])
            if not ids:
                del self.ext_index[value]

    def _reindex(self):
        self.ext_index = {}
        for rec in self.records["Task"].values():
            if not rec.get("IsDeleted"):
                self._index(rec, True)

    def _unique_clash(self, values, own_id=None):
        ext = self.cfg["ext_id_field"]
        if not self.cfg["ext_id_unique"] or not ext or values.get(ext) is None:
            return None
        for t in self._ext_matches(values[ext]):
            if t["Id"] != own_id:
                return rec_error("DUPLICATE_VALUE", "duplicate value found: %s duplicates "
                                 "value on record with id: %s" % (ext, t["Id"]), [ext])
        return None

    # ------------------------------------------------------------ single records

    def create_one(self, req, note):
        rec = self._record_body(req)
        note["n"] = 1
        with self.lock:
            if "Id" in rec:
                errs, values = [rec_error("INVALID_FIELD", "cannot specify Id in an insert "
                                          "call", [])], {}
            else:
                errs, values = self._check_task(rec, True)
            if not errs:
                clash = self._unique_clash(values)
                errs = [clash] if clash else []
            if errs:
                self._count_record_errors(errs)
                return json_response([{"message": e["message"], "errorCode": e["statusCode"],
                                       "fields": e["fields"]} for e in errs], 400)
            task_id = self._write_task(None, values)
        return json_response({"id": task_id, "success": True, "errors": []}, 201)

    def _find(self, obj, raw_id):
        full = norm_id(raw_id)
        rec = self.records[obj].get(full) if full else None
        if rec is None:
            raise ApiError(404, "NOT_FOUND", NOT_FOUND)
        if rec.get("IsDeleted"):
            raise ApiError(404, "ENTITY_IS_DELETED", "entity is deleted", [])
        return rec

    def get_one(self, obj, raw_id):
        with self.lock:
            return json_response(self.view(obj, self._find(obj, raw_id)))

    def delete_one(self, raw_id):
        with self.lock:
            rec = self._find("Task", raw_id)
            self._index(rec, False)
            rec["IsDeleted"] = True
            ms = self._stamp()
            rec["_ms_SystemModstamp"] = rec["_ms_LastModifiedDate"] = ms
            self.stats["records_written"] += 1
        return Response(204)

    def update_one(self, req, obj, raw_id, note):
        rec = self._record_body(req)
        note["n"] = 1
        with self.lock:
            target = self._find(obj, raw_id)
            if obj == "Task":
                errs, values = self._check_task(rec, False)
                if not errs:
                    clash = self._unique_clash(values, target["Id"])
                    errs = [clash] if clash else []
            else:
                errs, values = self._check_person(obj, rec)
            if errs:
                self._count_record_errors(errs)
                return json_response([{"message": e["message"], "errorCode": e["statusCode"],
                                       "fields": e["fields"]} for e in errs], 400)
            if obj == "Task":
                self._write_task(target["Id"], values)
            else:
                self._write_person(obj, target, values, INTEGRATION_USER)
        return Response(204)

    def _check_person(self, obj, rec):
        schema = self.schema(obj)
        errs, values = [], {}
        for f, v in rec.items():
            if f == "attributes":
                continue
            kind = schema.get(f)
            if kind is None:
                errs.append(rec_error("INVALID_FIELD", "No such column '%s' on sobject of type "
                                      "%s" % (f, obj)))
            elif kind in ("ro", "id", "owner"):
                errs.append(rec_error("INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/"
                                      "update fields: %s. Please check the security settings "
                                      "of this field and verify that it is read/write for your "
                                      "profile or permission set." % f, [f]))
            elif kind == "bool" and not isinstance(v, bool):
                raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of "
                               "boolean from VALUE_STRING value %s or request may be missing a "
                               "required field" % json.dumps(v))
            elif isinstance(kind, tuple) and v is not None and (
                    not isinstance(v, str) or len(v) > kind[1]):
                errs.append(rec_error("STRING_TOO_LONG", "%s: data value too large: %s "
                                      "(max length=%d)" % (f, v, kind[1]), [f]))
            else:
                values[f] = v
        return errs, values

    def _write_person(self, obj, rec, values, user):
        rec.update(values)
        ms = self._stamp()
        rec["LastModifiedById"] = user
        rec["_ms_LastModifiedDate"] = rec["_ms_SystemModstamp"] = ms
        self.stats["records_written"] += 1

    def _count_record_errors(self, errs):
        for e in errs:
            self.stats["errors"][e["statusCode"]] += 1

    def _ext_field_or_404(self, field, single):
        ext = self.cfg["ext_id_field"]
        if field == ext:
            return
        if single:
            raise ApiError(404, "NOT_FOUND", "Provided external ID field does not exist or is "
                           "not accessible: %s" % field)
        raise ApiError(400, "INVALID_FIELD", "Field name provided, %s is not an External ID or "
                       "indexed field for Task" % field, [])

    def upsert_one(self, req, field, value, note):
        with self.lock:
            self._ext_field_or_404(field, True)
        rec = self._record_body(req)
        note["n"] = 1
        with self.lock:
            found = self._ext_matches(value)
            if len(found) > 1:
                self.stats["errors"]["MULTIPLE_CHOICES"] += 1
                return json_response(["/services/data/v%s/sobjects/Task/%s" % (
                    self.cfg["api_version"], t["Id"]) for t in found], 300)
            if "Id" in rec:
                errs, values = [rec_error("INVALID_FIELD", "Id not allowed in the body of an "
                                          "upsert by external ID", ["Id"])], {}
            else:
                errs, values = self._check_task(rec, not found, value)
            if errs:
                self._count_record_errors(errs)
                return json_response([{"message": e["message"], "errorCode": e["statusCode"],
                                       "fields": e["fields"]} for e in errs], 400)
            values[field] = value
            if found:
                task_id = self._write_task(found[0]["Id"], values)
                return json_response({"id": task_id, "success": True, "errors": [],
                                      "created": False}, 200)
            task_id = self._write_task(None, values)
        return json_response({"id": task_id, "success": True, "errors": [], "created": True},
                             201)

    # ------------------------------------------------------------ sObject Collections

    def _rollback(self, results, all_or_none):
        """allOrNone: if any record failed, nothing is written and the others say why."""
        if not all_or_none or all(r is None for r in results):
            return False
        for i, r in enumerate(results):
            if r is None:
                results[i] = {"success": False, "errors": [rec_error(
                    "ALL_OR_NONE_OPERATION_ROLLED_BACK", "Record rolled back because not all "
                    "records were valid and the request was using AllOrNone header")]}
        return True

    def _type_error(self, req, rec):
        attrs = rec.get("attributes")
        if not isinstance(attrs, dict) or not attrs.get("type"):
            self.violation(req, "a record without attributes.type")
            return rec_error("INVALID_TYPE", "Must specify a type in the attributes of each "
                             "record")
        if attrs["type"] != "Task":
            return rec_error("INVALID_TYPE", "This API only takes Task records here, got %s"
                             % attrs["type"]) if attrs["type"] in PREFIX else rec_error(
                "INVALID_TYPE", "sObject type '%s' is not supported." % attrs["type"])
        return None

    def collection_create(self, req, note):
        recs, all_or_none = self._collection_body(req)
        note["n"] = len(recs)
        with self.lock:
            results, pending = [], []
            for rec in recs:
                err = self._type_error(req, rec)
                if err is None and "Id" in rec:
                    err = rec_error("INVALID_FIELD", "cannot specify Id in an insert call")
                errs = [err] if err else []
                values = None
                if not errs:
                    errs, values = self._check_task(rec, True)
                if not errs:
                    clash = self._unique_clash(values)
                    errs = [clash] if clash else []
                if errs:
                    self._count_record_errors(errs)
                    results.append({"success": False, "errors": errs})
                else:
                    results.append(None)
                pending.append(values)
            if not self._rollback(results, all_or_none):
                ms = self._stamp()
                for i, values in enumerate(pending):
                    if results[i] is None:
                        results[i] = {"id": self._write_task(None, values, ms=ms),
                                      "success": True, "errors": []}
        return json_response(results, 200)

    def collection_upsert(self, req, field, note):
        with self.lock:
            self._ext_field_or_404(field, False)
        recs, all_or_none = self._collection_body(req)
        note["n"] = len(recs)
        with self.lock:
            counts = collections.Counter(r.get(field) for r in recs
                                         if isinstance(r.get(field), str))
            results, pending = [], []
            for rec in recs:
                errs, values, target = [], None, None
                err = self._type_error(req, rec)
                value = rec.get(field)
                if err:
                    errs = [err]
                elif "Id" in rec:
                    errs = [rec_error("INVALID_FIELD", "Id not allowed in the body of an upsert "
                                      "by external ID", ["Id"])]
                elif not isinstance(value, str) or value == "":
                    errs = [rec_error("MISSING_ARGUMENT", "%s not specified" % field)]
                elif counts[value] > 1:
                    errs = [rec_error("DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: "
                                      "%s" % value, [field])]
                else:
                    found = self._ext_matches(value)
                    if len(found) > 1:
                        errs = [rec_error("DUPLICATE_EXTERNAL_ID", "%s: more than one record "
                                          "found for external id field: [%s]" % (
                                              field, ", ".join(t["Id"] for t in found)),
                                          [field])]
                    else:
                        target = found[0]["Id"] if found else None
                        errs, values = self._check_task(rec, target is None, value)
                if errs:
                    self._count_record_errors(errs)
                    results.append({"success": False, "errors": errs})
                else:
                    results.append(None)
                pending.append((values, target))
            if not self._rollback(results, all_or_none):
                ms = self._stamp()
                for i, (values, target) in enumerate(pending):
                    if results[i] is None:
                        # A record created earlier in this call is not seen by later ones:
                        # the batch's values are unique (checked above).
                        task_id = self._write_task(target, values, ms=ms)
                        results[i] = {"id": task_id, "success": True, "errors": [],
                                      "created": target is None}
        return json_response(results, 200)

    # ------------------------------------------------------------ describe

    def describe(self, obj):
        """GET /sobjects/{Type}/describe: the fields as this org has them (names, types,
        lengths, createable/updateable/filterable, externalId, picklist values, references)
        -- how a client finds out whether the external-id field exists."""
        refs = {"who": ["Contact", "Lead"], "what": ["Account", "Opportunity"],
                "owner": ["User"]}
        with self.lock:
            schema = self.schema(obj)
            fields = []
            for name, kind in schema.items():
                ro = kind in ("ro", "id")
                if isinstance(kind, tuple):
                    ftype = "textarea" if name == "Description" else "string"
                    length = kind[1]
                elif kind in ("who", "what", "owner"):
                    ftype, length = "reference", 18
                elif kind == "id":
                    ftype, length = "id", 18
                elif kind == "ro":
                    ftype = "datetime" if name in DATETIME_FIELDS else (
                        "boolean" if name.startswith("Is") else "reference")
                    length = 18 if ftype == "reference" else 0
                else:
                    ftype = {"bool": "boolean", "int": "int"}.get(kind, kind)
                    length = 255 if kind == "picklist" else 0
                picklist = self.cfg["picklists"].get(name, []) if kind == "picklist" else []
                fields.append({
                    "name": name, "label": name, "type": ftype, "length": length,
                    "createable": not ro, "updateable": not ro and name != "TaskSubtype",
                    "filterable": name not in NOT_FILTERABLE,
                    "nillable": name not in ("Id", "Status", "Priority") and ftype != "boolean",
                    "externalId": obj == "Task" and name == self.cfg["ext_id_field"],
                    "custom": name.endswith("__c"),
                    "restrictedPicklist": kind == "picklist",
                    "picklistValues": [{"value": v, "label": v, "active": True,
                                        "defaultValue": v in ("Not Started", "Normal")}
                                       for v in picklist],
                    "referenceTo": refs.get(kind, ["User"] if ftype == "reference" else [])})
        return json_response({"name": obj, "label": obj, "keyPrefix": PREFIX[obj],
                              "createable": obj == "Task", "updateable": True,
                              "queryable": True, "fields": fields})

    # ------------------------------------------------------------ queries

    def query(self, req):
        q = req.query.get("q")
        if not q or not q[-1].strip():
            raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified",
                           violation="query without q")
        text = q[-1]
        with self.lock:
            try:
                soql = Soql(text, self.schemas())
            except SoqlError as e:
                col = e.col + 1
                message = "\n%s\n%s^\nERROR at Row:1:Column:%d\n%s" % (
                    text, " " * e.col, col, e.text)
                violation = "query not understood: %s" % e.text
                if e.code != "MALFORMED_QUERY" and "No such column" in e.text:
                    violation = None        # the org may lack a field: data, not a bug
                raise ApiError(400, e.code, message, violation=violation)
            rows = [r for r in self.records[soql.obj].values()
                    if not r.get("IsDeleted") and soql.matches(r)]
            if soql.order:
                field, desc, nulls_last = soql.order
                key = ("_ms_" + field) if field in DATETIME_FIELDS else field
                present = sorted((r for r in rows if r.get(key) is not None),
                                 key=lambda r: r[key], reverse=desc)
                absent = [r for r in rows if r.get(key) is None]
                rows = present + absent if nulls_last else absent + present
            if soql.limit is not None:
                rows = rows[:soql.limit]
            views = [self.view(soql.obj, r, soql.fields) for r in rows]
            batch = self.cfg["query_batch"]
            opts = req.headers.get("Sforce-Query-Options") or ""
            m = re.search(r"batchSize=(\d+)", opts)
            if m:
                batch = max(200, min(2000, int(m.group(1))))
            return json_response(self._page(views, 0, batch))

    def _page(self, views, offset, batch):
        page = views[offset:offset + batch]
        out = {"totalSize": len(views), "done": offset + batch >= len(views)}
        if not out["done"]:
            self.seq += 1
            loc = make_id("01g", self.seq)
            self.locators[loc] = (views, batch)
            while len(self.locators) > MAX_LOCATORS:
                self.locators.popitem(last=False)
            out["nextRecordsUrl"] = "/services/data/v%s/query/%s-%d" % (
                self.cfg["api_version"], loc, offset + batch)
        out["records"] = page
        return out

    def query_more(self, locator):
        m = re.match(r"(01g[0-9A-Za-z]{15})-(\d+)\Z", locator)
        with self.lock:
            entry = self.locators.get(m.group(1)) if m else None
            if entry is None:
                raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator",
                               violation="unknown query locator %s" % locator)
            views, batch = entry
            return json_response(self._page(views, int(m.group(2)), batch))

    # ------------------------------------------------------------ control API

    def control(self, req):
        route = (req.method, req.path.rstrip("/"))
        try:
            body = json.loads(req.body.decode("utf-8")) if req.method == "POST" and \
                req.body.strip() else {}
        except (ValueError, UnicodeDecodeError):
            return json_response({"error": "body is not valid JSON"}, 400)
        if not isinstance(body, dict):
            return json_response({"error": "body must be a JSON object"}, 400)
        q = {k: v[-1] for k, v in req.query.items()}
        try:
            if route == ("GET", "/_fake/stats"):
                return json_response(self.stats_view())
            if route == ("GET", "/_fake/config"):
                with self.lock:
                    return json_response(self.config_view())
            if route == ("POST", "/_fake/config"):
                return json_response(self.update_config(body))
            if route == ("GET", "/_fake/records"):
                return json_response(self.records_view(q.get("type", "Task")))
            if route == ("POST", "/_fake/records"):
                return json_response(self.seed(body, user=SALES_USER))
            if route == ("POST", "/_fake/delete"):
                return json_response(self.delete_records(body.get("ids", [])))
            if route == ("POST", "/_fake/inject"):
                return json_response(self.add_injection(body))
            if route == ("POST", "/_fake/expire"):
                with self.lock:
                    n = len(self.tokens)
                    self.tokens.clear()
                return json_response({"expired": n})
            if route == ("POST", "/_fake/reset"):
                self.reset()
                return json_response({"ok": True})
        except (ValueError, TypeError, KeyError) as e:
            return json_response({"error": str(e)}, 400)
        return json_response({"error": "unknown control endpoint %s %s" % route}, 404)

    def config_view(self):
        return dict(self.cfg, login_url=self.login_url, instance_url=self.instance_url,
                    integration_user=INTEGRATION_USER, sales_user=SALES_USER)

    def update_config(self, body):
        settings = {}
        for key, value in body.items():
            if key in CONFIG_TYPES:
                kind = CONFIG_TYPES[key]
                if kind is bool and not isinstance(value, bool):
                    raise ValueError("'%s' must be true or false" % key)
                settings[key] = kind(value)
            elif key == "ext_id_field":
                if value is not None and not (isinstance(value, str) and value.endswith("__c")):
                    raise ValueError("'ext_id_field' must be a custom field name (…__c) or null")
                settings[key] = value
            elif key == "custom_fields":
                if not isinstance(value, list) or not all(
                        isinstance(v, str) and v.endswith("__c") for v in value):
                    raise ValueError("'custom_fields' must be an array of …__c names")
                settings[key] = list(value)
            elif key == "picklists":
                if not isinstance(value, dict) or not all(
                        k in PICKLISTS and isinstance(v, list) for k, v in value.items()):
                    raise ValueError("'picklists' maps %s to arrays of values"
                                     % "/".join(PICKLISTS))
                settings[key] = dict(self.cfg["picklists"], **value)
            elif key == "api_usage":
                settings[key] = int(value)
            else:
                raise ValueError("unknown config key '%s'" % key)
        if "api_version" in settings and not re.match(r"\d+\.\d\Z", settings["api_version"]):
            raise ValueError("'api_version' looks like 59.0")
        with self.lock:
            if "api_usage" in settings:
                self.api_usage = settings.pop("api_usage")
            self.cfg.update(settings)
            if "ext_id_field" in settings:
                self._reindex()
            return self.config_view()

    def add_injection(self, body):
        kind = body.get("kind")
        if kind not in ("session", "limit", "overloaded", "drop", "drop_after"):
            raise ValueError("'kind' must be session (401), limit (403), overloaded (503), "
                             "drop or drop_after")
        count = int(body.get("count", 1))
        if count < 1:
            raise ValueError("'count' must be at least 1")
        path = body.get("path", "/")
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError("'path' must be a prefix below the version, e.g. /composite")
        with self.lock:
            self.injections.append({"kind": kind, "count": count, "path": path})
            return {"ok": True, "pending": [dict(r) for r in self.injections]}

    def seed(self, body, user=SALES_USER):
        """Create or change records as a user in Salesforce would: {"leads": [...],
        "contacts": [...], "accounts": [...], "opportunities": [...], "users": [...],
        "tasks": [...]}. A record with a known Id is updated, else created (Id optional).
        SystemModstamp is now (monotonic) unless given as an ISO date-time. Task values are
        not validated: tests may store what the API would refuse."""
        kinds = {"leads": "Lead", "contacts": "Contact", "accounts": "Account",
                 "opportunities": "Opportunity", "users": "User", "tasks": "Task"}
        unknown = [k for k in body if k not in kinds]
        if unknown:
            raise ValueError("unknown record kind '%s' (use %s)" % (unknown[0],
                                                                     ", ".join(kinds)))
        out = {}
        with self.lock:
            for key, obj in kinds.items():
                items = body.get(key)
                if items is None:
                    continue
                if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                    raise ValueError("'%s' must be an array of objects" % key)
                ids = []
                for item in items:
                    ids.append(self._seed_one(obj, dict(item), user))
                out[key] = ids
        return out

    def _seed_one(self, obj, item, user):
        schema = self.schema(obj)
        stamp = item.pop("SystemModstamp", None)
        ms = None
        if stamp is not None:
            ms = parse_datetime(stamp)
            if ms is None:
                raise ValueError("SystemModstamp must be an ISO date-time with an offset, "
                                 "got %r" % (stamp,))
        raw_id = item.pop("Id", None)
        full = None
        if raw_id is not None:
            full = norm_id(raw_id)
            if full is None or full[:3] != PREFIX[obj]:
                raise ValueError("%r is not a %s id (%s…)" % (raw_id, obj, PREFIX[obj]))
        bad = [f for f in item if f not in schema]
        if bad:
            raise ValueError("%s has no field %s" % (obj, bad[0]))
        for f in ("WhoId", "WhatId", "OwnerId", "AccountId"):
            if item.get(f):
                item[f] = norm_id(item[f]) or item[f]
        table = self.records[obj]
        if full is None:
            full = self._new_id(obj)
        if obj == "Task":
            self._write_task(full, item, user)
            rec = table[full]
        else:
            rec = table.get(full)
            if rec is None:
                rec = {"Id": full, "IsDeleted": False}
                if obj in ("Lead", "Contact"):
                    rec["HasOptedOutOfEmail"] = False
                    rec["OwnerId"] = SALES_USER
                rec["_ms_CreatedDate"] = self._stamp()
                table[full] = rec
            self._write_person(obj, rec, item, user)
        if ms is not None:
            rec["_ms_SystemModstamp"] = ms
            rec["_ms_LastModifiedDate"] = ms
        return full

    def delete_records(self, ids):
        if not isinstance(ids, list):
            raise ValueError("'ids' must be an array")
        deleted = []
        with self.lock:
            for raw in ids:
                full = norm_id(raw) if isinstance(raw, str) else None
                obj = TYPE_OF_PREFIX.get(full[:3]) if full else None
                rec = self.records[obj].get(full) if obj else None
                if rec is not None and not rec.get("IsDeleted"):
                    if obj == "Task":
                        self._index(rec, False)
                    rec["IsDeleted"] = True
                    rec["_ms_SystemModstamp"] = self._stamp()
                    deleted.append(full)
        return {"deleted": deleted}

    def records_view(self, obj):
        if obj not in PREFIX:
            raise ValueError("type must be one of %s" % ", ".join(PREFIX))
        with self.lock:
            return {"records": [self.view(obj, r) for r in self.records[obj].values()]}

    def stats_view(self):
        with self.lock:
            tasks = [t for t in self.records["Task"].values() if not t.get("IsDeleted")]
            return {
                "calls": dict(self.stats["calls"]), "errors": dict(self.stats["errors"]),
                "tokens_issued": self.stats["tokens_issued"], "api_usage": self.api_usage,
                "daily_limit": self.cfg["daily_limit"],
                "violations": list(self.stats["violations"]),
                "violations_total": self.stats["violations_total"],
                "unimplemented": dict(self.stats["unimplemented"]),
                "internal_errors": self.stats["internal_errors"],
                "records_written": self.stats["records_written"],
                "tasks": len(tasks), "leads": len(self.records["Lead"]),
                "contacts": len(self.records["Contact"]),
                "pending_injections": len(self.injections),
                "requests": list(self.stats["recent"]),
            }

    def close(self):
        if self.log_file:
            self.log_file.close()
            self.log_file = None


# ---------------------------------------------------------------- HTTP layer

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-salesforce/1.0"
    disable_nagle_algorithm = True

    def version_string(self):
        return self.server_version

    def do_GET(self):
        self._serve()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_GET

    def log_message(self, fmt, *args):
        pass    # FakeSalesforce.log records every request

    def _content_length(self):
        try:
            return int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return 0

    def _serve(self):
        fake = self.server.fake
        try:
            split = urllib.parse.urlsplit(self.path)
            path = split.path
            limit = CONTROL_MAX_BODY if path.startswith("/_fake/") else MAX_BODY_BYTES
            length = self._content_length()
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                body = self._read_chunked(limit)
                if body is None:
                    length = limit + 1
            else:
                body = None
            if len(self.path) > MAX_URI_BYTES or length > limit:
                self.close_connection = True
                status = 414 if len(self.path) > MAX_URI_BYTES else 413
                text = "URI Too Long" if status == 414 else "Request Entity Too Large"
                req = Request(self.command, path, {}, self.headers, b"", self.server.role)
                fake.violation(req, "%d %s" % (status, text))
                self._send(json_response(errors(
                    "REQUEST_ENTITY_TOO_LARGE" if status == 413 else "URI_TOO_LONG", text),
                    status), close=True)
                return
            if body is None:
                body = self.rfile.read(length) if length > 0 else b""
            query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
            req = Request(self.command, path, query, self.headers, body, self.server.role)
            if path.startswith("/_fake/"):
                self._send(fake.control(req))
            else:
                self._send(fake.serve(req))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _read_chunked(self, limit):
        parts, total = [], 0
        while True:
            try:
                size = int(self.rfile.readline(1024).split(b";")[0].strip(), 16)
            except ValueError:
                return None
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(parts)
            total += size
            if total > limit:
                return None
            parts.append(self.rfile.read(size))
            self.rfile.readline(3)

    def _send(self, resp, close=False):
        if resp.drop:
            self.close_connection = True
            return
        self.send_response(resp.status)
        if resp.body or resp.status not in (204, 304):
            self.send_header("Content-Type", resp.ctype)
        for name, value in resp.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resp.body)))
        if close or resp.close:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(resp.body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def handle_error(self, request, client_address):
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Salesforce REST API for hail tests")
    ap.add_argument("--port", type=int, default=0, help="login host port (0 picks a free one)")
    ap.add_argument("--instance-port", type=int, default=0,
                    help="instance host port (0 picks a free one)")
    ap.add_argument("--port-file", help="write '<login port> <instance port>' here (atomically)")
    ap.add_argument("--state-dir", help="directory for requests.jsonl (every request) and a "
                    "port file")
    ap.add_argument("--client-id", default="hail-test-id")
    ap.add_argument("--client-secret", default="hail-test-secret")
    ap.add_argument("--refresh-token", default="hail-test-refresh")
    ap.add_argument("--api-version", default="59.0")
    ap.add_argument("--daily-limit", type=int, default=100000)
    ap.add_argument("--session-seconds", type=float, default=7200,
                    help="a token's life (0: until expired through the control API)")
    ap.add_argument("--ext-id-field", default="Hail_Activity_Id__c")
    ap.add_argument("--no-ext-id-field", action="store_true",
                    help="the org has no external-id field on Task")
    ap.add_argument("--seed", help="JSON file of records, as POST /_fake/records takes")
    ap.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = ap.parse_args(argv)

    fake = FakeSalesforce(args)
    login = Server(("127.0.0.1", args.port), Handler)
    instance = Server(("127.0.0.1", args.instance_port), Handler)
    for srv, role in ((login, "login"), (instance, "instance")):
        srv.fake, srv.role = fake, role
    lport, iport = login.server_address[1], instance.server_address[1]
    fake.login_url = "http://127.0.0.1:%d" % lport
    fake.instance_url = "http://127.0.0.1:%d" % iport
    ports = "%d %d\n" % (lport, iport)
    if args.port_file:
        write_atomic(args.port_file, ports)
    if args.state_dir:
        write_atomic(os.path.join(args.state_dir, "port"), ports)
    print("fake-salesforce listening on 127.0.0.1:%d (login), 127.0.0.1:%d (instance)"
          % (lport, iport), flush=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    thread = threading.Thread(target=instance.serve_forever, kwargs={"poll_interval": 0.2},
                              daemon=True)
    thread.start()
    try:
        login.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        instance.shutdown()
        login.server_close()
        instance.server_close()
        fake.close()


if __name__ == "__main__":
    main()
