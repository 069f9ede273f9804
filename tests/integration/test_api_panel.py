"""Marketo's activities in the panel and the embeddable panel (issue 10, part P):
GET /api/v1/people/{id}/marketo-activities against the fake Marketo (types asked, newest
first, the cache, the fallback when a person has more than hail reads at once, Marketo
failing, not configured, visibility), GET /api/v1/panel/sfdc/{id} (lead / contact /
account / opportunity ids in both spellings, visibility), GET|PUT /api/v1/settings/panel
(origins checked and normalised, admin only), the frame-ancestors header on /panel/ pages
only, and the session cookie's SameSite when embedding is on. Both engines."""
import os
import re
import shutil
import tempfile
import time

import harness
from apitest import ApiCase
from harness import FakeMarketo, Hail

ADMIN = "admin@example.com"
REP = "rep@example.com"
OTHER = "other@example.com"
PASSWORD = "correct horse battery"
INDEX = ('<!doctype html><html><head><script type="importmap">{"imports":{}}</script>'
         '</head><body></body></html>')
DEFAULT_CSP_TAIL = "form-action 'self'; frame-ancestors 'none'"


def add_people(h):
    """People 1-4 (marketo ids 501-504): 1-3 the rep's, 4 the other rep's."""
    rows = [
        (1, 501, "Ann", "ann@x.example", REP.upper(), "00Q000000000001", None, "001000000000009AAA",
         "006000000000007AAA"),
        (2, 502, "Ben", "ben@x.example", REP, None, "003000000000002AAA", "001000000000009AAA",
         None),
        (3, 503, "Cy", "cy@x.example", REP, None, None, None, None),
        (4, 504, "Dee", "dee@x.example", OTHER, None, "003000000000004AAA", "001000000000008AAA",
         None),
    ]
    for r in rows:
        h.sql("INSERT INTO people (id, marketo_id, first_name, email, owner_email, sfdc_lead_id,"
              " sfdc_contact_id, sfdc_account_id, sfdc_opportunity_id, active, created_at,"
              " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, 0)", *r)


def iso_days_ago(days, hour=0):
    return harness.iso(time.time() - days * 86400 + hour * 3600)


class PanelTest(ApiCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = FakeMarketo()
        cls.root = tempfile.mkdtemp(prefix="hail-panel-web-")
        with open(os.path.join(cls.root, "index.html"), "w") as f:
            f.write(INDEX)
        cls.h = Hail(env=dict(cls.fake.env(), HAIL_WEB_ROOT=cls.root))
        cls.admin = cls.h.admin_token(ADMIN)
        cls.h.add_user(REP, "Rep", "rep", password=PASSWORD)
        cls.h.add_user(OTHER, "Other", "rep")
        cls.rep = cls.h.token(REP)
        cls.other = cls.h.token(OTHER)
        cls.h.start()
        add_people(cls.h)

    @classmethod
    def tearDownClass(cls):
        cls.h.close()
        cls.fake.close()
        shutil.rmtree(cls.root, ignore_errors=True)

    def tearDown(self):
        self.assertEqual(self.fake.stats()["violations"], [])

    def activities(self, person, token=None):
        return self.h.request("GET", "/api/v1/people/%d/marketo-activities" % person,
                              token=token or self.rep)

    def calls(self, path="/rest/v1/activities.json"):
        return self.fake.stats()["calls"].get(path, 0)

    # ---- Marketo's activities ----

    def test_activities_newest_first_only_the_types_asked_then_cached(self):
        self.fake.control("POST", "/_fake/activities", {"activities": [
            {"leadId": 501, "activityTypeId": 1, "activityDate": iso_days_ago(200),
             "primaryAttributeValue": "too-old.html"},
            {"leadId": 501, "activityTypeId": 1, "activityDate": iso_days_ago(10),
             "primaryAttributeValue": "pricing.html", "primaryAttributeValueId": 7,
             "attributes": [{"name": "Webpage URL", "value": "/pricing.html"}]},
            {"leadId": 501, "activityTypeId": 2, "activityDate": iso_days_ago(9),
             "primaryAttributeValue": "Contact Us",
             "attributes": [{"name": "Form Fields", "value": "email=ann@x.example"}]},
            {"leadId": 501, "activityTypeId": 8, "activityDate": iso_days_ago(8),
             "primaryAttributeValue": "Bounced newsletter"},
            {"leadId": 502, "activityTypeId": 10, "activityDate": iso_days_ago(7),
             "primaryAttributeValue": "Ben's newsletter"},
            {"leadId": 501, "activityTypeId": 6, "activityDate": iso_days_ago(6),
             "primaryAttributeValue": "Spring Newsletter"},
            {"leadId": 501, "activityTypeId": 10, "activityDate": iso_days_ago(5),
             "primaryAttributeValue": "Spring Newsletter",
             "attributes": [{"name": "Device", "value": "iPhone"}]},
            {"leadId": 501, "activityTypeId": 11, "activityDate": iso_days_ago(4),
             "primaryAttributeValue": "Spring Newsletter",
             "attributes": [{"name": "Link", "value": "https://example.com/offer"}]},
            {"leadId": 501, "activityTypeId": 3, "activityDate": iso_days_ago(3),
             "primaryAttributeValue": "https://example.com/docs"},
            {"leadId": 501, "activityTypeId": 46, "activityDate": iso_days_ago(2),
             "primaryAttributeValue": "Web",
             "attributes": [{"name": "Description", "value": "Visited pricing twice"}]},
        ]})
        before = self.calls()
        r = self.activities(1)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ok")
        self.assertIsNone(r.json["message"])
        got = [(a["type"], a["type_name"], a["primary"]) for a in r.json["data"]]
        self.assertEqual(got, [
            ("interesting_moment", "Interesting Moment", "Web"),
            ("link_click", "Click Link", "https://example.com/docs"),
            ("email_click", "Click Email", "Spring Newsletter"),
            ("email_open", "Open Email", "Spring Newsletter"),
            ("email_sent", "Send Email", "Spring Newsletter"),
            ("form_fill", "Fill Out Form", "Contact Us"),
            ("web_visit", "Visit Webpage", "pricing.html"),
        ])
        first = r.json["data"][0]
        self.assertEqual(set(first), {"id", "type", "type_name", "occurred_at", "primary",
                                      "attrs"})
        self.assertEqual(first["attrs"], {"Description": "Visited pricing twice"})
        self.assertRegex(first["occurred_at"], r"\A\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\Z")
        self.assertEqual(r.json["data"][-1]["attrs"], {"Webpage URL": "/pricing.html"})
        self.assertEqual(self.calls() - before, 1)
        # the second look within 5 minutes is the cache's
        r2 = self.activities(1)
        self.assertEqual(r2.json, r.json)
        self.assertEqual(self.calls() - before, 1)
        # an admin sees the same person
        self.assertEqual(self.activities(1, self.admin).json, r.json)

    def test_a_person_with_more_than_hail_reads_gets_the_last_week(self):
        # Short pages: every other page empty, the others 150 records; five pages of the
        # 90-day pass hold 300 of these 400, so hail reads the last 7 days instead.
        self.fake.control("POST", "/_fake/activities", {"activities": [
            {"leadId": 503, "activityTypeId": 1, "activityDate": iso_days_ago(60 - i // 10),
             "primaryAttributeValue": "page-%d.html" % i} for i in range(400)] + [
            {"leadId": 503, "activityTypeId": 10, "activityDate": iso_days_ago(2),
             "primaryAttributeValue": "Recent Newsletter"},
            {"leadId": 503, "activityTypeId": 46, "activityDate": iso_days_ago(1),
             "primaryAttributeValue": "Sales"}]})
        self.fake.config(short_pages=True)
        try:
            r = self.activities(3)
        finally:
            self.fake.config(short_pages=False)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "ok")
        self.assertEqual(r.json["message"], "Marketo has more activities for this person than "
                                            "hail reads at once: showing the last 7 days.")
        self.assertEqual([a["primary"] for a in r.json["data"]], ["Sales", "Recent Newsletter"])

    def test_marketo_failing_says_why(self):
        self.fake.inject(path="/rest/v1/activities.json", http_status=500, count=2)
        r = self.activities(2)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {
            "status": "unavailable",
            "message": "Marketo's activities cannot be shown now: HTTP 500 from Marketo on "
                       "/rest/v1/activities.json (gave up after 2 attempts)",
            "data": []})

    def test_over_the_daily_quota_says_when_it_resets(self):
        self.fake.inject(path="/rest/v1/activities/pagingtoken.json", code="607")
        try:
            # person 4: nobody else asks about them, so nothing is cached
            r = self.h.request("GET", "/api/v1/people/4/marketo-activities", token=self.other)
        finally:
            self.fake.config(reset_quota=True)
            self.fake.control("POST", "/_fake/reset")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["status"], "unavailable")
        self.assertEqual(r.json["data"], [])
        self.assertRegex(r.json["message"], re.compile(
            r"\AMarketo's activities cannot be shown now: Marketo's daily API quota is "
            r"exhausted \(607 Daily quota reached\); it resets at midnight US Central "
            r"\(\d{4}-\d\d-\d\dT\d\d:00:00Z, in \d+h\d\dm\) — run the sync again after "
            r"that\Z"))

    def test_visibility_and_unknown_people(self):
        r = self.activities(4)
        self.assertError(r, 404, "not_found", "no person with id 4")
        self.assertError(self.activities(999), 404, "not_found", "no person with id 999")
        self.assertError(self.h.request("GET", "/api/v1/people/1/marketo-activities"), 401)

    # ---- Salesforce ids ----

    def resolve(self, sfdc, token=None):
        return self.h.request("GET", "/api/v1/panel/sfdc/" + sfdc, token=token or self.rep)

    def test_salesforce_ids_resolve_to_what_the_caller_sees(self):
        for sfdc, want in [
                ("00Q000000000001", {"kind": "person", "id": 1}),
                ("00Q000000000001EAA", {"kind": "person", "id": 1}),
                ("003000000000002", {"kind": "person", "id": 2}),
                ("003000000000002AAA", {"kind": "person", "id": 2}),
                ("001000000000009", {"kind": "account", "id": "001000000000009AAA"}),
                ("006000000000007AAA", {"kind": "opportunity", "id": "006000000000007AAA"})]:
            r = self.resolve(sfdc)
            self.assertEqual((r.status, r.json), (200, want), sfdc)
        self.assertError(self.resolve("003000000000004AAA"), 404, "not_found",
                         "no lead, contact, account or opportunity you can see has Salesforce "
                         "id 003000000000004AAA")
        self.assertEqual(self.resolve("003000000000004AAA", self.other).json,
                         {"kind": "person", "id": 4})
        self.assertError(self.resolve("001000000000008AAA"), 404, "not_found",
                         "no lead, contact, account or opportunity you can see has Salesforce "
                         "id 001000000000008AAA")
        self.assertEqual(self.resolve("001000000000008AAA", self.admin).json,
                         {"kind": "account", "id": "001000000000008AAA"})
        for bad in ("x", "001%20000000000009", "0010000000000090", "%C3%A9" * 15):
            self.assertError(self.resolve(bad), 404, "not_found",
                             "no lead, contact, account or opportunity with that id (a "
                             "Salesforce id is 15 or 18 letters and digits)")

    # ---- the allowlist, the header, the cookie ----

    def put_origins(self, origins, token=None):
        return self.h.request("PUT", "/api/v1/settings/panel", {"frame_ancestors": origins},
                              token=token or self.admin)

    def csp(self, path):
        r = self.h.request("GET", path)
        self.assertEqual(r.status, 200, r)
        return r.header("Content-Security-Policy")

    def test_allowlist_frames_only_panel_pages(self):
        try:
            r = self.h.request("GET", "/api/v1/settings/panel", token=self.admin)
            self.assertEqual((r.status, r.json), (200, {"frame_ancestors": []}))
            self.assertTrue(self.csp("/panel/sfdc/00Q000000000001").endswith(DEFAULT_CSP_TAIL))
            self.assertError(self.h.request("GET", "/api/v1/settings/panel", token=self.rep),
                             403)
            self.assertError(self.put_origins(["https://a.example.com"], self.rep), 403)
            r = self.put_origins(["https://Acme.my.salesforce.com/", "https://*.force.com",
                                  "https://acme.my.salesforce.com", "http://127.0.0.1:8443"])
            self.assertEqual((r.status, r.json), (200, {"frame_ancestors": [
                "https://acme.my.salesforce.com", "https://*.force.com",
                "http://127.0.0.1:8443"]}))
            csp = self.csp("/panel/sfdc/00Q000000000001")
            self.assertTrue(csp.endswith("form-action 'self'; frame-ancestors "
                                         "https://acme.my.salesforce.com https://*.force.com "
                                         "http://127.0.0.1:8443"), csp)
            self.assertTrue(csp.startswith("default-src 'none'; script-src 'self' 'sha256-"), csp)
            # every other page, file and API reply: framed by nothing
            self.assertTrue(self.csp("/people/1").endswith(DEFAULT_CSP_TAIL))
            self.assertTrue(self.csp("/").endswith(DEFAULT_CSP_TAIL))
            self.assertTrue(self.csp("/panelx").endswith(DEFAULT_CSP_TAIL))
            self.assertEqual(self.h.request("GET", "/healthz").header("Content-Security-Policy"),
                             "default-src 'none'; frame-ancestors 'none'")
            r = self.h.request("GET", "/api/v1/settings/panel", token=self.admin)
            self.assertEqual(r.header("Content-Security-Policy"),
                             "default-src 'none'; frame-ancestors 'none'")
        finally:
            self.assertEqual(self.put_origins([]).json, {"frame_ancestors": []})
        self.assertTrue(self.csp("/panel/sfdc/00Q000000000001").endswith(DEFAULT_CSP_TAIL))

    def test_bad_origins_are_refused_whole(self):
        example = ("an origin such as https://example.my.salesforce.com (https://, a host name "
                   "or *.domain, an optional port, no path; http:// only for localhost and "
                   "127.0.0.1)")
        for origins, message in [
                (["https://ok.example.com", "https://x.com; script-src *"],
                 "frame_ancestors[1] must be %s, not 'https://x.com; script-src *'" % example),
                (["http://crm.example.com"],
                 "frame_ancestors[0] must be %s, not 'http://crm.example.com'" % example),
                (["https://crm.example.com/path"],
                 "frame_ancestors[0] must be %s, not 'https://crm.example.com/path'" % example),
                (["*"], "frame_ancestors[0] must be %s, not '*'" % example),
                (["https://" + "é" * 120],
                 "frame_ancestors[0] must be %s, not 'https://%s…'" % (example, "é" * 92))]:
            self.assertError(self.put_origins(origins), 400, "bad_request", message)
        self.assertError(self.h.request("PUT", "/api/v1/settings/panel",
                                        {"frame_ancestors": [3]}, token=self.admin),
                         400, "bad_request", "frame_ancestors[0] must be a string, " + example)
        self.assertError(self.put_origins(["https://a%d.example.com" % i for i in range(21)]),
                         400, "bad_request", "frame_ancestors must hold at most 20 items, not 21")
        self.assertError(self.h.request("PUT", "/api/v1/settings/panel", {}, token=self.admin),
                         400, "bad_request", "frame_ancestors is required")
        self.assertEqual(self.h.request("GET", "/api/v1/settings/panel",
                                        token=self.admin).json, {"frame_ancestors": []})

    def test_cookie_stays_strict_without_https(self):
        try:
            self.put_origins(["https://acme.my.salesforce.com"])
            r = self.login(self.h, REP, PASSWORD)
            self.assertEqual(r.status, 201, r)
            self.assertIn("; SameSite=Strict;", r.header("Set-Cookie"))
        finally:
            self.put_origins([])


class SecureCookieTest(ApiCase):
    """With HAIL_COOKIE_SECURE, the cookie is SameSite=None while origins may frame the
    panel (a framed page is a third-party context), Strict otherwise."""

    def test_samesite_follows_the_allowlist(self):
        h = Hail(env={"HAIL_COOKIE_SECURE": "1"})
        try:
            admin = h.admin_token(ADMIN)
            h.add_user(REP, "Rep", "rep", password=PASSWORD)
            h.start()
            r = self.login(h, REP, PASSWORD)
            self.assertEqual(r.status, 201, r)
            self.assertRegex(r.header("Set-Cookie"), r"; HttpOnly; SameSite=Strict; Max-Age=\d+; "
                                                     r"Secure\Z")
            r = h.request("PUT", "/api/v1/settings/panel",
                          {"frame_ancestors": ["https://acme.my.salesforce.com"]}, token=admin)
            self.assertEqual(r.status, 200, r)
            r = self.login(h, REP, PASSWORD)
            self.assertRegex(r.header("Set-Cookie"), r"; HttpOnly; SameSite=None; Max-Age=\d+; "
                                                     r"Secure\Z")
            # writes over the cookie still need the CSRF header
            cookie = re.match(r"hail_session=([^;]+)", r.header("Set-Cookie")).group(1)
            self.assertError(self.cookie_req(h, "DELETE", "/api/v1/session", cookie), 403,
                             "csrf", "missing or wrong X-CSRF-Token header")
        finally:
            self.close_checked(h)


class NotConfiguredTest(ApiCase):
    def test_without_marketo_the_panel_says_so(self):
        h = Hail()
        try:
            h.add_user(REP, "Rep", "rep")
            rep = h.token(REP)
            h.start()
            add_people(h)
            r = h.request("GET", "/api/v1/people/1/marketo-activities", token=rep)
            self.assertEqual((r.status, r.json), (200, {
                "status": "not_configured",
                "message": "Marketo is not configured on this server (HAIL_MARKETO_URL, "
                           "HAIL_MARKETO_CLIENT_ID, HAIL_MARKETO_CLIENT_SECRET): only hail's own "
                           "activities are shown.",
                "data": []}))
        finally:
            self.close_checked(h)


if __name__ == "__main__":
    harness.main()
