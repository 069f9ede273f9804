#!/usr/bin/env python3
"""Tests for the Salesforce fake (tests/fake/fake_salesforce.py).

Starts the fake once, resets it through the control API before each test and talks to it
over http.client as a client would, asserting whole replies (status, error code and full
message). Unless a test says it expects violations, tearDown asserts the fake recorded
none: every request made here is one a correct client may send.

Run: python3 tests/fake/test_fake_salesforce.py
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "fake_salesforce.py")

CLIENT = {"grant_type": "client_credentials", "client_id": "hail-test-id",
          "client_secret": "hail-test-secret"}
V = "/services/data/v59.0"
EXT = "Hail_Activity_Id__c"
INTEGRATION_USER = "005Dn000000001HAAQ"
SALES_USER = "005Dn000000002HAAQ"
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000\Z")
SESSION = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
LIMIT = [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
NOT_FOUND = [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}]
DEFAULT_CONFIG = {"daily_limit": 100000, "query_batch": 2000, "session_seconds": 7200,
                  "ext_id_field": EXT, "ext_id_unique": False, "latency": 0}


def start_fake(tmp, *args):
    port_file = os.path.join(tmp, "port")
    proc = subprocess.Popen([sys.executable, FAKE, "--port", "0", "--port-file", port_file]
                            + list(args), stdout=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while not os.path.exists(port_file):
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("fake salesforce did not start")
        time.sleep(0.02)
    with open(port_file) as f:
        login, instance = map(int, f.read().split())
    return proc, login, instance


def stop_fake(proc):
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()


class Reply:
    def __init__(self, status, headers, body):
        self.status, self.headers, self.body = status, headers, body

    def json(self):
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def header(self, name):
        return self.headers.get(name)


class FakeSalesforceTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="fake-sf-test-")
        cls.state = os.path.join(cls.tmp, "state")
        cls.proc, cls.login, cls.instance = start_fake(cls.tmp, "--state-dir", cls.state)
        cls.banner = cls.proc.stdout.readline().strip()

    @classmethod
    def tearDownClass(cls):
        stop_fake(cls.proc)
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

    def raw(self, port, method, path, body=None, headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return Reply(r.status, r.headers, r.read())
        finally:
            c.close()

    def api(self, method, path, body=None, token=True, headers=None, ctype=None):
        """A data API call on the instance host: path below /services/data/v59.0."""
        h = dict(headers or {})
        if token is True:
            token = self.token()
        if token:
            h["Authorization"] = "Bearer " + token
        data = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            h["Content-Type"] = ctype or "application/json"
        return self.raw(self.instance, method, V + path, data, h)

    def query(self, soql, **kw):
        return self.api("GET", "/query?" + urllib.parse.urlencode({"q": soql}), **kw)

    def oauth(self, port=None, **params):
        form = urllib.parse.urlencode(params).encode()
        return self.raw(port or self.login, "POST", "/services/oauth2/token", form,
                        {"Content-Type": "application/x-www-form-urlencoded"})

    def token(self):
        if self._token is None:
            r = self.oauth(**CLIENT)
            self.assertEqual(r.status, 200, r.body)
            self._token = r.json()["access_token"]
        return self._token

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        r = self.raw(self.login, method, path, data, {"Content-Type": "application/json"})
        return r.json()

    def stats(self):
        return self.control("GET", "/_fake/stats")

    def seed(self, **kinds):
        return self.control("POST", "/_fake/records", kinds)

    def tasks(self):
        return self.control("GET", "/_fake/records?type=Task")["records"]

    def people(self):
        ids = self.seed(leads=[{"LastName": "Lee", "Email": "lee@example.com"}],
                        contacts=[{"LastName": "Cho", "Email": "cho@example.com"}],
                        accounts=[{"Name": "Acme"}], opportunities=[{"Name": "Deal"}])
        return ids["leads"][0], ids["contacts"][0], ids["accounts"][0], ids["opportunities"][0]

    def assertErrors(self, reply, status, expected):
        self.assertEqual((reply.status, reply.json()), (status, expected), reply.body)

    # ------------------------------------------------------------ process and OAuth

    def test_startup_banner_port_file_and_request_log(self):
        self.assertEqual(self.banner, "fake-salesforce listening on 127.0.0.1:%d (login), "
                         "127.0.0.1:%d (instance)" % (self.login, self.instance))
        with open(os.path.join(self.state, "port")) as f:
            self.assertEqual(f.read(), "%d %d\n" % (self.login, self.instance))
        self.token()
        with open(os.path.join(self.state, "requests.jsonl")) as f:
            last = json.loads(f.read().splitlines()[-1])
        self.assertEqual((last["method"], last["path"], last["status"]),
                         ("POST", "/services/oauth2/token", 200))

    def test_client_credentials_token_reply(self):
        r = self.oauth(**CLIENT)
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(sorted(body), ["access_token", "id", "instance_url", "issued_at",
                                        "scope", "signature", "token_type"])
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["instance_url"], "http://127.0.0.1:%d" % self.instance)
        self.assertEqual(body["id"], "http://127.0.0.1:%d/id/00D5g000004HAILEAW/%s"
                         % (self.login, INTEGRATION_USER))
        self.assertRegex(body["issued_at"], r"\A\d{13}\Z")
        self.assertLess(abs(int(body["issued_at"]) - time.time() * 1000), 60000)
        self.assertRegex(body["access_token"], r"\A00D5g000004HAIL!AQ[A-Za-z0-9+/]+\Z")
        sig = base64.b64encode(hmac.new(b"hail-test-secret",
                                        (body["id"] + body["issued_at"]).encode(),
                                        hashlib.sha256).digest()).decode()
        self.assertEqual(body["signature"], sig)
        self.assertNotEqual(self.oauth(**CLIENT).json()["access_token"], body["access_token"])
        self.assertEqual(self.stats()["tokens_issued"], 2)

    def test_refresh_token_grant(self):
        r = self.oauth(grant_type="refresh_token", refresh_token="hail-test-refresh",
                       client_id="hail-test-id", client_secret="hail-test-secret")
        self.assertEqual(r.status, 200)
        self.assertNotIn("refresh_token", r.json())
        token = r.json()["access_token"]
        self.assertEqual(self.api("GET", "/limits", token=token).status, 200)

    def test_token_errors(self):
        for params, error, text in (
                (dict(CLIENT, client_secret="wrong"), "invalid_grant", "authentication failure"),
                (dict(CLIENT, client_id="nobody"), "invalid_grant", "authentication failure"),
                ({"grant_type": "refresh_token", "refresh_token": "stale",
                  "client_id": "hail-test-id"}, "invalid_grant", "expired access/refresh token"),
                ({"grant_type": "password", "client_id": "hail-test-id"},
                 "unsupported_grant_type", "grant type not supported")):
            r = self.oauth(**params)
            self.assertEqual((r.status, r.json()), (400, {"error": error,
                                                          "error_description": text}))
        self.assertEqual(self.stats()["tokens_issued"], 0)

    def test_token_sent_as_json_is_refused_and_a_violation(self):
        self.expect_violations = True
        r = self.raw(self.login, "POST", "/services/oauth2/token", json.dumps(CLIENT).encode(),
                     {"Content-Type": "application/json"})
        self.assertEqual((r.status, r.json()), (400, {"error": "unsupported_grant_type",
                                                      "error_description":
                                                      "grant type not supported"}))
        self.assertEqual(self.stats()["violations"], [
            "POST /services/oauth2/token: token request must be application/"
            "x-www-form-urlencoded, got 'application/json'"])

    def test_data_api_only_on_the_instance_host(self):
        self.expect_violations = True
        r = self.raw(self.login, "GET", V + "/limits", headers={
            "Authorization": "Bearer " + self.token()})
        self.assertErrors(r, 404, NOT_FOUND)
        self.assertEqual(self.stats()["violations"], [
            "GET %s/limits: data API called on the login host; use the token's instance_url" % V])

    # ------------------------------------------------------------ sessions and limits

    def test_missing_unknown_and_expired_tokens_are_401(self):
        self.expect_violations = True
        self.assertErrors(self.api("GET", "/limits", token=None), 401, SESSION)
        self.assertEqual(self.stats()["violations"],
                         ["GET %s/limits: no Authorization: Bearer header" % V])
        self.assertErrors(self.api("GET", "/limits", token="00Dbogus"), 401, SESSION)
        token = self.token()
        self.assertEqual(self.api("GET", "/limits").status, 200)
        self.assertEqual(self.control("POST", "/_fake/expire"), {"expired": 1})
        self.assertErrors(self.api("GET", "/limits", token=token), 401, SESSION)

    def test_session_lifetime(self):
        self.control("POST", "/_fake/config", {"session_seconds": 0.3})
        self.assertEqual(self.api("GET", "/limits").status, 200)
        time.sleep(0.4)
        self.assertErrors(self.api("GET", "/limits"), 401, SESSION)

    def test_usage_header_and_daily_limit(self):
        self.control("POST", "/_fake/config", {"daily_limit": 3})
        seen = []
        for _ in range(3):
            r = self.api("GET", "/limits")
            seen.append((r.status, r.header("Sforce-Limit-Info"), r.json()))
        self.assertEqual(seen, [
            (200, "api-usage=%d/3" % n, {"DailyApiRequests": {"Max": 3, "Remaining": 3 - n}})
            for n in (1, 2, 3)])
        r = self.api("GET", "/limits")
        self.assertErrors(r, 403, LIMIT)
        self.assertEqual(r.header("Sforce-Limit-Info"), "api-usage=3/3")
        self.control("POST", "/_fake/config", {"api_usage": 0})
        self.assertEqual(self.api("GET", "/limits").header("Sforce-Limit-Info"),
                         "api-usage=1/3")

    def test_injected_session_limit_and_overload(self):
        token = self.token()
        self.control("POST", "/_fake/inject", {"kind": "limit", "count": 2})
        self.control("POST", "/_fake/inject", {"kind": "overloaded", "path": "/query"})
        self.assertErrors(self.api("GET", "/limits"), 403, LIMIT)
        self.assertErrors(self.api("GET", "/limits"), 403, LIMIT)
        self.assertErrors(self.query("SELECT Id FROM Task"), 503,
                          [{"message": "Server overloaded", "errorCode": "SERVER_UNAVAILABLE"}])
        self.assertEqual(self.query("SELECT Id FROM Task").status, 200)
        self.control("POST", "/_fake/inject", {"kind": "session"})
        self.assertErrors(self.api("GET", "/limits"), 401, SESSION)
        self.assertErrors(self.api("GET", "/limits", token=token), 401, SESSION)  # it stays dead
        self._token = None
        self.assertEqual(self.api("GET", "/limits").status, 200)
        self.assertEqual(self.stats()["pending_injections"], 0)

    def test_injected_drops_before_and_after_the_write(self):
        lead = self.people()[0]
        rec = {"Subject": "Call", "WhoId": lead}
        self.control("POST", "/_fake/inject", {"kind": "drop"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.api("POST", "/sobjects/Task", rec)
        self.assertEqual(self.tasks(), [])
        self.control("POST", "/_fake/inject", {"kind": "drop_after"})
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionError)):
            self.api("POST", "/sobjects/Task", rec)
        self.assertEqual([t["Subject"] for t in self.tasks()], ["Call"])
        self.assertEqual(self.stats()["errors"]["dropped"], 2)

    # ------------------------------------------------------------ Task records

    def test_task_create_read_update_delete(self):
        lead, _, account, _ = self.people()
        r = self.api("POST", "/sobjects/Task", {
            "Subject": "Email: Hello", "WhoId": lead, "WhatId": account[:15],
            "ActivityDate": "2026-03-01", "Status": "Completed", "Priority": "High",
            "Type": "Email", "TaskSubtype": "Email", "Description": "body",
            "CallDurationInSeconds": 42, "IsReminderSet": True,
            "ReminderDateTime": "2026-03-01T09:00:00+01:00"})
        self.assertEqual(r.status, 201)
        task_id = r.json()["id"]
        self.assertEqual(r.json(), {"id": task_id, "success": True, "errors": []})
        self.assertRegex(task_id, r"\A00T[0-9A-Za-z]{15}\Z")
        got = self.api("GET", "/sobjects/Task/" + task_id).json()
        stamp = got["SystemModstamp"]
        self.assertRegex(stamp, STAMP)
        self.assertEqual(got, {
            "attributes": {"type": "Task", "url": V + "/sobjects/Task/" + task_id},
            "Id": task_id, "Subject": "Email: Hello", "WhoId": lead, "WhatId": account,
            "OwnerId": INTEGRATION_USER, "ActivityDate": "2026-03-01", "Status": "Completed",
            "Priority": "High", "Description": "body", "Type": "Email", "TaskSubtype": "Email",
            "CallDurationInSeconds": 42, "CallType": None, "CallDisposition": None,
            "CallObject": None, "IsReminderSet": True,
            "ReminderDateTime": "2026-03-01T08:00:00.000+0000", "IsClosed": True,
            "IsDeleted": False, "CreatedDate": stamp, "CreatedById": INTEGRATION_USER,
            "LastModifiedDate": stamp, "LastModifiedById": INTEGRATION_USER,
            "SystemModstamp": stamp, EXT: None})
        time.sleep(0.005)
        r = self.api("PATCH", "/sobjects/Task/" + task_id, {"Status": "Not Started"})
        self.assertEqual((r.status, r.body), (204, b""))
        got = self.api("GET", "/sobjects/Task/" + task_id).json()
        self.assertEqual((got["Status"], got["IsClosed"]), ("Not Started", False))
        self.assertGreater(got["SystemModstamp"], stamp)
        r = self.api("DELETE", "/sobjects/Task/" + task_id)
        self.assertEqual((r.status, r.body), (204, b""))
        gone = [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED", "fields": []}]
        self.assertErrors(self.api("GET", "/sobjects/Task/" + task_id), 404, gone)
        self.assertErrors(self.api("PATCH", "/sobjects/Task/" + task_id, {"Subject": "x"}),
                          404, gone)
        self.assertErrors(self.api("DELETE", "/sobjects/Task/00TDn0000000099AAA"), 404,
                          NOT_FOUND)

    def test_task_field_validation(self):
        lead, contact, account, opp = self.people()
        long = "x" * 256
        cases = [
            ({"Subject": long}, "STRING_TOO_LONG",
             "Subject: data value too large: %s (max length=255)" % long, ["Subject"]),
            ({"WhoId": account}, "FIELD_INTEGRITY_EXCEPTION",
             "Name ID: id value of incorrect type: %s" % account, ["WhoId"]),
            ({"WhoId": "00QDn0000000077"}, "INVALID_CROSS_REFERENCE_KEY",
             "invalid cross reference id", ["WhoId"]),
            ({"WhoId": "bogus"}, "MALFORMED_ID", "Name ID: id value of incorrect type: bogus",
             ["WhoId"]),
            ({"WhatId": lead}, "FIELD_INTEGRITY_EXCEPTION",
             "Related To ID: id value of incorrect type: %s" % lead, ["WhatId"]),
            ({"OwnerId": lead}, "FIELD_INTEGRITY_EXCEPTION",
             "Assigned To ID: id value of incorrect type: %s" % lead, ["OwnerId"]),
            ({"Status": "Done"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Status: bad value for restricted picklist field: Done", ["Status"]),
            ({"Priority": "Urgent"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Priority: bad value for restricted picklist field: Urgent", ["Priority"]),
            ({"Type": "Text"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
             "Type: bad value for restricted picklist field: Text", ["Type"]),
            ({"Status": None}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Status]",
             ["Status"]),
            ({"Outcome__c": "ok"}, "INVALID_FIELD",
             "No such column 'Outcome__c' on sobject of type Task", []),
            ({"SystemModstamp": "2026-01-01T00:00:00Z"}, "INVALID_FIELD_FOR_INSERT_UPDATE",
             "Unable to create/update fields: SystemModstamp. Please check the security "
             "settings of this field and verify that it is read/write for your profile or "
             "permission set.", ["SystemModstamp"]),
            ({"Id": "00TDn0000000001AAA"}, "INVALID_FIELD", "cannot specify Id in an insert call",
             []),
        ]
        for rec, code, message, fields in cases:
            with self.subTest(rec=rec):
                self.assertErrors(self.api("POST", "/sobjects/Task", rec), 400,
                                  [{"message": message, "errorCode": code, "fields": fields}])
        for rec, text in (({"ActivityDate": "2026-13-01"}, 'date from VALUE_STRING value '
                           '"2026-13-01"'),
                          ({"IsReminderSet": "yes"}, 'boolean from VALUE_STRING value "yes"')):
            self.assertErrors(self.api("POST", "/sobjects/Task", rec), 400, [{
                "message": "Cannot deserialize instance of %s or request may be missing a "
                "required field" % text, "errorCode": "JSON_PARSER_ERROR"}])
        self.assertEqual(self.tasks(), [])
        for who, what in ((lead, opp), (contact, account)):
            self.assertEqual(self.api("POST", "/sobjects/Task", {"WhoId": who, "WhatId": what,
                                                                 "Type": "Reply"}).status, 201)
        self.control("POST", "/_fake/config", {"custom_fields": ["Outcome__c"],
                                               "picklists": {"Type": ["Call"]}})
        self.assertEqual(self.api("POST", "/sobjects/Task", {"Outcome__c": "ok"}).status, 201)
        self.assertErrors(self.api("POST", "/sobjects/Task", {"Type": "Email"}), 400, [{
            "message": "Type: bad value for restricted picklist field: Email",
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Type"]}])

    def test_upsert_by_external_id(self):
        lead = self.people()[0]
        r = self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT, {"Subject": "One", "WhoId": lead,
                                                                 "TaskSubtype": "Email"})
        task_id = r.json()["id"]
        self.assertEqual((r.status, r.json()), (201, {"id": task_id, "success": True,
                                                      "errors": [], "created": True}))
        r = self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT, {"Subject": "Again"})
        self.assertEqual((r.status, r.json()), (200, {"id": task_id, "success": True,
                                                      "errors": [], "created": False}))
        self.assertEqual([(t["Id"], t["Subject"], t[EXT]) for t in self.tasks()],
                         [(task_id, "Again", "act-1")])
        # TaskSubtype is set on create only, also when an upsert finds its record.
        self.assertErrors(self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT,
                                   {"TaskSubtype": "Email"}), 400, [{
            "message": "Unable to create/update fields: TaskSubtype. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.", "errorCode": "INVALID_FIELD_FOR_INSERT_UPDATE",
            "fields": ["TaskSubtype"]}])
        self.assertErrors(self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT, {EXT: "act-2"}),
                          400, [{"message": "The external ID field %s in the body (act-2) does "
                                 "not match the value in the URL (act-1)" % EXT,
                                 "errorCode": "INVALID_FIELD", "fields": [EXT]}])
        # Two Tasks with one value (plain creates in a crash window): 300 with both URLs.
        other = self.api("POST", "/sobjects/Task", {EXT: "act-1"}).json()["id"]
        r = self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT, {"Subject": "x"})
        self.assertEqual((r.status, r.json()), (300, [V + "/sobjects/Task/" + task_id,
                                                      V + "/sobjects/Task/" + other]))

    def test_upsert_without_the_external_id_field(self):
        self.control("POST", "/_fake/config", {"ext_id_field": None})
        self.assertErrors(self.api("PATCH", "/sobjects/Task/%s/act-1" % EXT, {"Subject": "x"}),
                          404, [{"message": "Provided external ID field does not exist or is "
                                 "not accessible: %s" % EXT, "errorCode": "NOT_FOUND"}])
        self.assertErrors(self.api("PATCH", "/composite/sobjects/Task/" + EXT, {
            "allOrNone": False, "records": [{"attributes": {"type": "Task"}, EXT: "1"}]}), 400,
            [{"message": "Field name provided, %s is not an External ID or indexed field for "
              "Task" % EXT, "errorCode": "INVALID_FIELD", "fields": []}])
        self.assertErrors(self.api("POST", "/sobjects/Task", {EXT: "1"}), 400, [{
            "message": "No such column '%s' on sobject of type Task" % EXT,
            "errorCode": "INVALID_FIELD", "fields": []}])

    def test_unique_external_id_field(self):
        self.control("POST", "/_fake/config", {"ext_id_unique": True})
        first = self.api("POST", "/sobjects/Task", {EXT: "a"}).json()["id"]
        self.assertErrors(self.api("POST", "/sobjects/Task", {EXT: "a"}), 400, [{
            "message": "duplicate value found: %s duplicates value on record with id: %s"
            % (EXT, first), "errorCode": "DUPLICATE_VALUE", "fields": [EXT]}])

    # ------------------------------------------------------------ sObject Collections

    def test_collection_create_in_order_with_per_record_errors(self):
        lead = self.people()[0]
        t = {"type": "Task"}
        r = self.api("POST", "/composite/sobjects", {"allOrNone": False, "records": [
            {"attributes": t, "Subject": "a", "WhoId": lead},
            {"attributes": t, "Subject": "b", "Status": "Nope"},
            {"attributes": t, "Subject": "c"}]})
        self.assertEqual(r.status, 200)
        out = r.json()
        ids = [out[0].get("id"), out[2].get("id")]
        self.assertEqual(out, [
            {"id": ids[0], "success": True, "errors": []},
            {"success": False, "errors": [{
                "statusCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "message": "Status: bad value for restricted picklist field: Nope",
                "fields": ["Status"]}]},
            {"id": ids[1], "success": True, "errors": []}])
        self.assertEqual([x["Subject"] for x in self.tasks()], ["a", "c"])
        self.assertEqual(self.stats()["requests"][-1]["records"], 3)

    def test_collection_all_or_none_rolls_back(self):
        t = {"type": "Task"}
        r = self.api("POST", "/composite/sobjects", {"allOrNone": True, "records": [
            {"attributes": t, "Subject": "a"}, {"attributes": t, "Bogus__c": 1}]})
        self.assertEqual((r.status, r.json()), (200, [
            {"success": False, "errors": [{
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not all records were valid and the "
                "request was using AllOrNone header", "fields": []}]},
            {"success": False, "errors": [{
                "statusCode": "INVALID_FIELD",
                "message": "No such column 'Bogus__c' on sobject of type Task", "fields": []}]}]))
        self.assertEqual(self.tasks(), [])

    def test_collection_limits_and_shape_are_contract_violations(self):
        self.expect_violations = True
        rec = {"attributes": {"type": "Task"}, "Subject": "s"}
        self.assertErrors(self.api("POST", "/composite/sobjects",
                                   {"allOrNone": False, "records": [rec] * 201}), 400,
                          [{"message": "record limit reached. cannot submit more than 200 "
                            "records into this call", "errorCode": "EXCEEDED_ID_LIMIT",
                            "fields": []}])
        self.assertEqual(self.api("POST", "/composite/sobjects",
                                  {"allOrNone": False, "records": [rec] * 200}).status, 200)
        self.assertErrors(self.api("POST", "/composite/sobjects", b"{}", ctype="text/plain"),
                          415, [{"message": "MediaType of 'text/plain' is not supported by "
                                 "this resource", "errorCode": "UNSUPPORTED_MEDIA_TYPE"}])
        r = self.api("POST", "/composite/sobjects", {"records": [{"Subject": "s"}]})
        self.assertEqual((r.status, r.json()), (200, [{"success": False, "errors": [{
            "statusCode": "INVALID_TYPE", "message": "Must specify a type in the attributes of "
            "each record", "fields": []}]}]))
        self.assertErrors(self.api("PUT", "/composite/sobjects", {"records": []}), 405, [{
            "message": "HTTP Method 'PUT' not allowed. Allowed are POST",
            "errorCode": "METHOD_NOT_ALLOWED"}])
        p = "%s/composite/sobjects" % V
        self.assertEqual(self.stats()["violations"], [
            "POST %s: 201 records in one call (at most 200)" % p,
            "POST %s: body must be application/json, got 'text/plain'" % p,
            "POST %s: a record without attributes.type" % p,
            "PUT %s: bad method" % p])

    def test_collection_upsert(self):
        lead = self.people()[0]
        t = {"type": "Task"}
        first = self.api("PATCH", "/composite/sobjects/Task/" + EXT, {
            "allOrNone": False, "records": [{"attributes": t, EXT: "1", "Subject": "one",
                                             "WhoId": lead}]}).json()
        self.assertEqual(first, [{"id": first[0]["id"], "success": True, "errors": [],
                                  "created": True}])
        self.api("POST", "/sobjects/Task", {EXT: "dup"})
        self.api("POST", "/sobjects/Task", {EXT: "dup"})
        r = self.api("PATCH", "/composite/sobjects/Task/" + EXT, {"allOrNone": False, "records": [
            {"attributes": t, EXT: "1", "Subject": "one again"},
            {"attributes": t, EXT: "2", "Subject": "two"},
            {"attributes": t, EXT: "3"}, {"attributes": t, EXT: "3"},
            {"attributes": t, EXT: "dup"},
            {"attributes": t, "Subject": "no key"},
            {"attributes": t, EXT: "4", "WhoId": "00QDn0000000077"}]})
        self.assertEqual(r.status, 200)
        out = r.json()
        dups = [x["Id"] for x in self.tasks() if x[EXT] == "dup"]
        self.assertEqual(out, [
            {"id": first[0]["id"], "success": True, "errors": [], "created": False},
            {"id": out[1].get("id"), "success": True, "errors": [], "created": True},
            {"success": False, "errors": [{"statusCode": "DUPLICATE_EXTERNAL_ID",
                                           "message": "Duplicate external id specified: 3",
                                           "fields": [EXT]}]},
            {"success": False, "errors": [{"statusCode": "DUPLICATE_EXTERNAL_ID",
                                           "message": "Duplicate external id specified: 3",
                                           "fields": [EXT]}]},
            {"success": False, "errors": [{
                "statusCode": "DUPLICATE_EXTERNAL_ID",
                "message": "%s: more than one record found for external id field: [%s]"
                % (EXT, ", ".join(dups)), "fields": [EXT]}]},
            {"success": False, "errors": [{"statusCode": "MISSING_ARGUMENT",
                                           "message": "%s not specified" % EXT, "fields": []}]},
            {"success": False, "errors": [{"statusCode": "INVALID_CROSS_REFERENCE_KEY",
                                           "message": "invalid cross reference id",
                                           "fields": ["WhoId"]}]}])
        self.assertEqual(sorted(x[EXT] for x in self.tasks()), ["1", "2", "dup", "dup"])

    def test_benchmark_mode_skips_field_checks_in_collections(self):
        self.control("POST", "/_fake/config", {"check_fields": False})
        t = {"type": "Task"}
        r = self.api("PATCH", "/composite/sobjects/Task/" + EXT, {"allOrNone": False, "records": [
            {"attributes": t, EXT: "1", "Status": "Whatever", "ActivityDate": "soon"},
            {"attributes": t, EXT: "2"}, {"attributes": t, EXT: "2"}]})
        out = r.json()
        dup = {"success": False, "errors": [{"statusCode": "DUPLICATE_EXTERNAL_ID",
                                             "message": "Duplicate external id specified: 2",
                                             "fields": [EXT]}]}
        self.assertEqual((r.status, out), (200, [
            {"id": out[0].get("id"), "success": True, "errors": [], "created": True}, dup, dup]))
        self.assertEqual([(x["Status"], x["ActivityDate"]) for x in self.tasks()],
                         [("Whatever", "soon")])

    # ------------------------------------------------------------ queries

    def test_query_since_modstamp_paged(self):
        self.control("POST", "/_fake/config", {"query_batch": 2})
        ids = self.seed(tasks=[{"Subject": "t%d" % i, "SystemModstamp":
                                "2026-01-0%dT00:00:00Z" % i} for i in range(1, 6)])["tasks"]
        q = ("SELECT Id, Subject, SystemModstamp FROM Task WHERE SystemModstamp > "
             "2026-01-01T00:00:00Z ORDER BY SystemModstamp")
        r = self.query(q)
        page = r.json()
        self.assertRegex(page["nextRecordsUrl"], r"\A%s/query/01g[0-9A-Za-z]{15}-2\Z" % V)

        def rec(i):
            return {"attributes": {"type": "Task", "url": V + "/sobjects/Task/" + ids[i]},
                    "Id": ids[i], "Subject": "t%d" % (i + 1),
                    "SystemModstamp": "2026-01-0%dT00:00:00.000+0000" % (i + 1)}
        self.assertEqual(page, {"totalSize": 4, "done": False,
                                "nextRecordsUrl": page["nextRecordsUrl"],
                                "records": [rec(1), rec(2)]})
        nxt = self.raw(self.instance, "GET", page["nextRecordsUrl"],
                       headers={"Authorization": "Bearer " + self.token()}).json()
        self.assertEqual(nxt, {"totalSize": 4, "done": True, "records": [rec(3), rec(4)]})
        r = self.query("SELECT Id FROM Task WHERE SystemModstamp >= 2026-01-02T01:00:00+01:00 "
                       "AND Subject != 't3' ORDER BY SystemModstamp DESC LIMIT 2")
        self.assertEqual([x["Id"] for x in r.json()["records"]], [ids[4], ids[3]])
        r = self.query("select Id from Task where Id in ('%s', '%s') order by Subject desc"
                       % (ids[0][:15], ids[1]))
        self.assertEqual([x["Id"] for x in r.json()["records"]], [ids[1], ids[0]])

    def test_query_like_and_description_not_filterable(self):
        self.expect_violations = True
        ids = self.seed(tasks=[{"Subject": "Email: Hello 50%"}, {"Subject": "Call: hello"},
                               {"Subject": "Other"}])["tasks"]
        r = self.query("SELECT Id FROM Task WHERE Subject LIKE '%hello%' ORDER BY Subject")
        self.assertEqual([x["Id"] for x in r.json()["records"]], [ids[1], ids[0]])
        r = self.query("SELECT Id FROM Task WHERE Subject LIKE 'Email: Hello 5_\\%'")
        self.assertEqual([x["Id"] for x in r.json()["records"]], [ids[0]])
        q = "SELECT Id FROM Task WHERE Description LIKE '%hail:1%'"
        self.assertErrors(self.query(q), 400, [{
            "message": "\n%s\n%s^\nERROR at Row:1:Column:27\nfield 'Description' can not be "
            "filtered in a query call" % (q, " " * 26), "errorCode": "INVALID_FIELD"}])

    def test_describe_task(self):
        r = self.api("GET", "/sobjects/Task/describe")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual({k: body[k] for k in ("name", "keyPrefix", "createable")},
                         {"name": "Task", "keyPrefix": "00T", "createable": True})
        fields = {f["name"]: f for f in body["fields"]}
        self.assertEqual(fields[EXT], {
            "name": EXT, "label": EXT, "type": "string", "length": 255, "createable": True,
            "updateable": True, "filterable": True, "nillable": True, "externalId": True,
            "custom": True, "restrictedPicklist": False, "picklistValues": [],
            "referenceTo": []})
        self.assertEqual(fields["WhoId"]["referenceTo"], ["Contact", "Lead"])
        self.assertEqual((fields["Description"]["filterable"], fields["TaskSubtype"]["updateable"],
                          fields["SystemModstamp"]["type"], fields["SystemModstamp"]["createable"]),
                         (False, False, "datetime", False))
        self.assertEqual([v["value"] for v in fields["Type"]["picklistValues"]],
                         ["Call", "Email", "Reply", "Meeting", "Other"])
        self.control("POST", "/_fake/config", {"ext_id_field": None})
        fields = {f["name"] for f in self.api("GET", "/sobjects/Task/describe").json()["fields"]}
        self.assertNotIn(EXT, fields)

    def test_query_leads_and_contacts_by_opt_out(self):
        lead, contact, _, _ = self.people()
        r = self.query("SELECT Id, Email, HasOptedOutOfEmail FROM Contact "
                       "WHERE HasOptedOutOfEmail = false")
        self.assertEqual(r.json(), {"totalSize": 1, "done": True, "records": [{
            "attributes": {"type": "Contact", "url": V + "/sobjects/Contact/" + contact},
            "Id": contact, "Email": "cho@example.com", "HasOptedOutOfEmail": False}]})
        r = self.query("SELECT Id FROM Lead WHERE HasOptedOutOfEmail = true")
        self.assertEqual(r.json(), {"totalSize": 0, "done": True, "records": []})

    def test_query_errors(self):
        self.expect_violations = True

        def msg(q, col, text):
            return "\n%s\n%s^\nERROR at Row:1:Column:%d\n%s" % (q, " " * (col - 1), col, text)
        cases = [
            ("SELECT Id FROM Task WHERE SystemModstamp > '2026-01-01T00:00:00Z'", 44,
             "INVALID_FIELD", "value of filter criterion for field 'SystemModstamp' must be of "
             "type dateTime and should not be enclosed in quotes"),
            ("SELECT Id FROM Task WHERE Subject = 'a' OR Subject = 'b'", 41, "MALFORMED_QUERY",
             "unexpected token: 'OR'"),
            ("SELECT Id FROM Task ORDER SystemModstamp", 27, "MALFORMED_QUERY",
             "unexpected token: 'SystemModstamp'"),
            ("SELECT Id, FROM Task", 12, "MALFORMED_QUERY", "unexpected token: 'FROM'"),
            ("SELECT COUNT() FROM Task", 13, "MALFORMED_QUERY", "unexpected token: '('"),
            ("SELECT Id FROM Task LIMIT", 26, "MALFORMED_QUERY", "unexpected token: '<EOF>'"),
            ("SELECT Id FROM Tasks", 16, "INVALID_TYPE",
             "sObject type 'Tasks' is not supported. If you are attempting to use a custom "
             "object, be sure to append the '__c' after the entity name. Please reference your "
             "WSDL or the describe call for the appropriate names."),
            ("SELECT Id, Outcome__c FROM Task", 12, "INVALID_FIELD",
             "No such column 'Outcome__c' on entity 'Task'. If you are attempting to use a "
             "custom field, be sure to append the '__c' after the custom field name. Please "
             "reference your WSDL or the describe call for the appropriate names."),
        ]
        for q, col, code, text in cases:
            with self.subTest(q=q):
                self.assertErrors(self.query(q), 400, [{"message": msg(q, col, text),
                                                        "errorCode": code}])
        self.assertErrors(self.api("GET", "/query"), 400, [{
            "message": "A query string has to be specified", "errorCode": "MALFORMED_QUERY"}])
        self.assertErrors(self.api("GET", "/query/01gDn0000000001AAA-2000"), 400, [{
            "message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}])
        # A field the org lacks is data, not a client bug: no violation for it.
        self.assertEqual(len(self.stats()["violations"]), len(cases) - 1 + 2)

    # ------------------------------------------------------------ opt-outs, two-way

    def test_opt_out_written_by_the_client(self):
        lead, contact, _, _ = self.people()
        before = self.api("GET", "/sobjects/Lead/" + lead).json()
        time.sleep(0.005)
        for obj, rid in (("Lead", lead), ("Contact", contact)):
            r = self.api("PATCH", "/sobjects/%s/%s" % (obj, rid), {"HasOptedOutOfEmail": True})
            self.assertEqual((r.status, r.body), (204, b""))
        after = self.api("GET", "/sobjects/Lead/" + lead).json()
        self.assertEqual((after["HasOptedOutOfEmail"], after["LastModifiedById"]),
                         (True, INTEGRATION_USER))
        self.assertGreater(after["SystemModstamp"], before["SystemModstamp"])
        self.assertErrors(self.api("PATCH", "/sobjects/Lead/" + lead, {"HasOptedOut": True}),
                          400, [{"message": "No such column 'HasOptedOut' on sobject of type "
                                 "Lead", "errorCode": "INVALID_FIELD", "fields": []}])
        self.assertErrors(self.api("PATCH", "/sobjects/Contact/003Dn0000000099AAA",
                                   {"HasOptedOutOfEmail": True}), 404, NOT_FOUND)

    def test_changes_made_in_salesforce_show_up_in_queries(self):
        lead = self.people()[0]
        task = self.api("PATCH", "/sobjects/Task/%s/r-1" % EXT, {
            "Subject": "Reminder", "WhoId": lead, "Status": "Not Started"}).json()["id"]
        since = self.api("GET", "/sobjects/Task/" + task).json()["SystemModstamp"]
        since = since[:23] + "Z"
        time.sleep(0.005)
        self.seed(leads=[{"Id": lead, "HasOptedOutOfEmail": True}],
                  tasks=[{"Id": task, "Status": "Completed"}])
        r = self.query("SELECT Id, HasOptedOutOfEmail, LastModifiedById FROM Lead "
                       "WHERE SystemModstamp > %s ORDER BY SystemModstamp" % since)
        self.assertEqual(r.json()["records"], [{
            "attributes": {"type": "Lead", "url": V + "/sobjects/Lead/" + lead}, "Id": lead,
            "HasOptedOutOfEmail": True, "LastModifiedById": SALES_USER}])
        r = self.query("SELECT Id, Status, IsClosed, %s FROM Task WHERE SystemModstamp > %s"
                       % (EXT, since))
        self.assertEqual(r.json()["records"], [{
            "attributes": {"type": "Task", "url": V + "/sobjects/Task/" + task}, "Id": task,
            "Status": "Completed", "IsClosed": True, EXT: "r-1"}])
        self.assertEqual(self.control("POST", "/_fake/delete", {"ids": [task]}),
                         {"deleted": [task]})
        r = self.query("SELECT Id FROM Task")
        self.assertEqual(r.json(), {"totalSize": 0, "done": True, "records": []})

    # ------------------------------------------------------------ paths and control API

    def test_unknown_paths_methods_and_versions(self):
        self.expect_violations = True
        self.assertErrors(self.api("GET", "/sobjects/Taskk/00T"), 404, NOT_FOUND)
        self.assertErrors(self.api("PUT", "/sobjects/Task/00TDn0000000001AAA", {}), 405, [{
            "message": "HTTP Method 'PUT' not allowed. Allowed are GET,PATCH,DELETE",
            "errorCode": "METHOD_NOT_ALLOWED"}])
        r = self.raw(self.instance, "GET", "/services/data/v58.0/limits",
                     headers={"Authorization": "Bearer " + self.token()})
        self.assertErrors(r, 404, NOT_FOUND)
        self.assertErrors(self.api("POST", "/sobjects/Task", b"{not json"), 400, [{
            "message": "Unexpected character in JSON: Expecting property name enclosed in "
            "double quotes: line 1 column 2 (char 1)", "errorCode": "JSON_PARSER_ERROR"}])
        self.assertEqual(self.stats()["violations"], [
            "GET %s/sobjects/Taskk/00T: unknown sObject Taskk" % V,
            "PUT %s/sobjects/Task/00TDn0000000001AAA: bad method" % V,
            "GET /services/data/v58.0/limits: API version not served (this org serves v59.0)",
            "POST %s/sobjects/Task: body is not valid JSON" % V])
        self.control("POST", "/_fake/config", {"api_version": "58.0"})
        self.assertEqual(r.status, 404)
        self.assertEqual(self.raw(self.instance, "GET", "/services/data/v58.0/limits", headers={
            "Authorization": "Bearer " + self.token()}).status, 200)

    def test_body_over_the_limit_is_413(self):
        self.expect_violations = True
        with socket.create_connection(("127.0.0.1", self.instance), timeout=10) as s:
            s.sendall(b"POST %s/composite/sobjects HTTP/1.1\r\nHost: x\r\nContent-Type: "
                      b"application/json\r\nContent-Length: %d\r\n\r\n"
                      % (V.encode(), 51 * 1024 * 1024))
            head = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                head += chunk
            head = head.decode()
        self.assertTrue(head.startswith("HTTP/1.1 413 Request Entity Too Large\r\n"), head)
        self.assertTrue(head.endswith('\r\n\r\n[{"message":"Request Entity Too Large",'
                                      '"errorCode":"REQUEST_ENTITY_TOO_LARGE"}]'), head)

    def test_stats_config_and_control_errors(self):
        self.token()
        self.api("GET", "/limits")
        st = self.stats()
        self.assertEqual(st["calls"], {"POST /services/oauth2/token": 1, "GET /limits": 1})
        self.assertEqual({k: st[k] for k in ("tokens_issued", "api_usage", "daily_limit",
                                             "tasks", "leads", "contacts", "internal_errors",
                                             "pending_injections", "violations_total")},
                         {"tokens_issued": 1, "api_usage": 1, "daily_limit": 100000, "tasks": 0,
                          "leads": 0, "contacts": 0, "internal_errors": 0,
                          "pending_injections": 0, "violations_total": 0})
        self.assertEqual([(x["method"], x["path"], x["status"]) for x in st["requests"]],
                         [("POST", "/services/oauth2/token", 200), ("GET", V + "/limits", 200)])
        cfg = self.control("GET", "/_fake/config")
        self.assertEqual((cfg["instance_url"], cfg["login_url"], cfg["api_version"]),
                         ("http://127.0.0.1:%d" % self.instance,
                          "http://127.0.0.1:%d" % self.login, "59.0"))
        for body, err in (({"nope": 1}, "unknown config key 'nope'"),
                          ({"ext_id_field": "Plain"}, "'ext_id_field' must be a custom field "
                           "name (…__c) or null")):
            self.assertEqual(self.control("POST", "/_fake/config", body), {"error": err})
        self.assertEqual(self.control("POST", "/_fake/inject", {"kind": "boom"}), {
            "error": "'kind' must be session (401), limit (403), overloaded (503), drop or "
                     "drop_after"})
        self.assertEqual(self.control("POST", "/_fake/records", {"tasks": [{"Nope": 1}]}),
                         {"error": "Task has no field Nope"})
        self.control("POST", "/_fake/reset")
        self.assertEqual(self.stats()["calls"], {})
        self.assertErrors(self.api("GET", "/limits"), 401, SESSION)


class SeedFileTest(unittest.TestCase):
    """--seed loads records at start (and after every reset); --no-ext-id-field."""

    def test_seed_file_and_no_external_id_field(self):
        tmp = tempfile.mkdtemp(prefix="fake-sf-seed-")
        try:
            seed = os.path.join(tmp, "seed.json")
            with open(seed, "w") as f:
                json.dump({"leads": [{"Id": "00QDn0000000A01", "LastName": "Ng",
                                      "HasOptedOutOfEmail": True,
                                      "SystemModstamp": "2026-02-01T10:00:00Z"}]}, f)
            proc, login, instance = start_fake(tmp, "--seed", seed, "--no-ext-id-field",
                                               "--api-version", "60.0")
            try:
                c = http.client.HTTPConnection("127.0.0.1", login, timeout=10)
                c.request("GET", "/_fake/records?type=Lead")
                leads = json.loads(c.getresponse().read())["records"]
                c.request("GET", "/_fake/config")
                cfg = json.loads(c.getresponse().read())
                c.close()
                self.assertEqual([(x["Id"], x["HasOptedOutOfEmail"], x["SystemModstamp"])
                                  for x in leads],
                                 [("00QDn0000000A01MAE", True, "2026-02-01T10:00:00.000+0000")])
                self.assertEqual((cfg["ext_id_field"], cfg["api_version"]), (None, "60.0"))
            finally:
                stop_fake(proc)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
