#!/usr/bin/env python3
"""`hail sync marketo-types` against the fake Marketo: hail's eight custom activity
types are created with every attribute and approved; a second run changes nothing; a
type someone made before with fewer attributes, or left as a draft, is completed and
approved, not duplicated; transient errors on the way are retried."""
import http.client
import json
import unittest

from harness import FakeMarketo, Hail, main

API_NAMES = ["hailSendSalesEmail", "hailOpenSalesEmail", "hailClickSalesEmail",
             "hailReplySalesEmail", "hailSalesEmailBounced", "hailReceiveSalesCall",
             "hailAddToSalesCampaign", "hailRemoveFromSalesCampaign"]
EMAIL_ATTRS = ["sentBy", "source", "templateId", "templateName", "templateUrl", "campaignName",
               "campaignUrl", "salesPersonId", "hailActivityId", "machine"]


class MarketoTypes(unittest.TestCase):
    def setUp(self):
        self.fake = FakeMarketo()
        self.h = Hail(env=self.fake.env())

    def tearDown(self):
        try:
            # Every request hail made followed the contract.
            self.assertEqual(self.fake.stats()["violations_total"], 0,
                             self.fake.stats()["violations"])
        finally:
            self.h.close()
            self.fake.close()

    def api(self, method, path, body=None):
        """A call to the fake's REST API with a token of its own."""
        c = http.client.HTTPConnection("127.0.0.1", self.fake.port, timeout=30)
        try:
            c.request("GET", "/identity/oauth/token?grant_type=client_credentials"
                      "&client_id=hail-test-id&client_secret=hail-test-secret")
            tok = json.loads(c.getresponse().read())["access_token"]
            data = json.dumps(body).encode() if body is not None else None
            hd = {"Authorization": "Bearer " + tok}
            if data:
                hd["Content-Type"] = "application/json"
            c.request(method, path, body=data, headers=hd)
            return json.loads(c.getresponse().read())
        finally:
            c.close()

    def types(self):
        r = self.api("GET", "/rest/v1/activities/external/types.json")
        self.assertTrue(r["success"], r)
        return {t["apiName"]: t for t in r["result"]}

    def run_types(self, env=None):
        r = self.h.run("sync", "marketo-types", env=env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()

    def test_create_then_nothing_to_do(self):
        out = self.run_types()
        have = self.types()
        self.assertEqual(sorted(have), sorted(API_NAMES))
        for i, name in enumerate(API_NAMES):
            t = have[name]
            self.assertEqual(t["status"], "approved", t)
            self.assertEqual(out[i].split()[:3], [name, "id", str(t["id"])])
            self.assertTrue(out[i].endswith("created, %d attributes added, approved"
                                            % len(t["attributes"])), out[i])
        send = have["hailSendSalesEmail"]
        self.assertEqual(send["name"], "Send Sales Email")
        self.assertEqual(send["triggerName"], "Is Sent Sales Email")
        self.assertEqual(send["filterName"], "Was Sent Sales Email")
        self.assertEqual(send["primaryAttribute"]["apiName"], "emailSubject")
        self.assertEqual([a["apiName"] for a in send["attributes"]], EMAIL_ATTRS)
        click = have["hailClickSalesEmail"]
        self.assertEqual([a["apiName"] for a in click["attributes"]], ["link"] + EMAIL_ATTRS)
        # The approved types are usable in Marketo's own type list too.
        r = self.api("GET", "/rest/v1/activities/types.json")
        self.assertTrue({t["id"] for t in have.values()} <= {t["id"] for t in r["result"]})

        calls = self.fake.stats()["calls"]
        out2 = self.run_types()
        self.assertEqual(self.types(), have)
        for i, name in enumerate(API_NAMES):
            self.assertEqual(out2[i].split(), [name, "id", str(have[name]["id"]), "exists"])
        after = self.fake.stats()["calls"]
        changed = {k: after.get(k, 0) - calls.get(k, 0) for k in after
                   if after.get(k, 0) != calls.get(k, 0)}
        # Only the list was read again (by hail, and by self.types() above; tokens
        # aside): nothing created, added or approved.
        self.assertEqual({k: v for k, v in changed.items() if "token" not in k},
                         {"/rest/v1/activities/external/types.json": 2}, changed)

    def test_completes_what_exists(self):
        # Someone made the send type by hand with two attributes and approved it, and
        # left the call type as a draft.
        r = self.api("POST", "/rest/v1/activities/external/type.json",
                     {"apiName": "hailSendSalesEmail", "name": "Send Sales Email",
                      "triggerName": "Is Sent Sales Email", "filterName": "Was Sent Sales Email",
                      "primaryAttribute": {"apiName": "emailSubject", "name": "Email Subject",
                                           "dataType": "string"}})
        self.assertTrue(r["success"], r)
        send_id = r["result"][0]["id"]
        r = self.api("POST", "/rest/v1/activities/external/type/hailSendSalesEmail/attributes/"
                     "create.json", {"attributes": [
                         {"apiName": "sentBy", "name": "Sent By", "dataType": "string"},
                         {"apiName": "source", "name": "Source", "dataType": "string"}]})
        self.assertTrue(r["success"], r)
        r = self.api("POST", "/rest/v1/activities/external/type/hailSendSalesEmail/approve.json")
        self.assertTrue(r["success"], r)
        r = self.api("POST", "/rest/v1/activities/external/type.json",
                     {"apiName": "hailReceiveSalesCall", "name": "Receive Sales Call",
                      "triggerName": "Receives Sales Call", "filterName": "Received Sales Call",
                      "primaryAttribute": {"apiName": "outcome", "name": "Outcome",
                                           "dataType": "string"}})
        self.assertTrue(r["success"], r)
        call_id = r["result"][0]["id"]

        r = self.h.run("sync", "marketo-types", timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = r.stdout.splitlines()
        self.assertEqual(out[0].split(), ["hailSendSalesEmail", "id", str(send_id), "exists,",
                                          "8", "attributes", "added,", "approved"])
        self.assertEqual(out[5].split(), ["hailReceiveSalesCall", "id", str(call_id), "exists,",
                                          "12", "attributes", "added,", "approved"])
        self.assertEqual(r.stderr, "hail: warning: hailReceiveSalesCall: its primary attribute "
                                   "is 'outcome', not 'subject' (Marketo cannot change it)\n")
        have = self.types()
        self.assertEqual(len(have), 8)
        self.assertEqual(have["hailSendSalesEmail"]["status"], "approved")
        self.assertEqual([a["apiName"] for a in have["hailSendSalesEmail"]["attributes"]],
                         EMAIL_ATTRS)
        self.assertEqual(have["hailReceiveSalesCall"]["status"], "approved")

    def test_transient_errors_are_retried(self):
        self.fake.inject(path="/rest/v1/activities/external/type.json", code="606", count=2)
        self.fake.inject(path="/rest/v1/activities/external/types.json", code="602", count=1)
        self.fake.inject(path="/rest/v1/activities/external/type/", code="611", count=1)
        self.run_types(env={"HAIL_RETRY_WAIT_PERCENT": "5"})  # 5% of the backoff's waits
        have = self.types()
        self.assertEqual(sorted(have), sorted(API_NAMES))
        self.assertTrue(all(t["status"] == "approved" for t in have.values()))
        self.assertEqual(self.fake.stats()["pending_injections"], 0)

    def test_not_configured(self):
        h = Hail(env={"HAIL_MARKETO_URL": ""})
        try:
            r = h.run("sync", "marketo-types", timeout=30)
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertEqual(r.stdout, "")
        finally:
            h.close()


if __name__ == "__main__":
    main()
