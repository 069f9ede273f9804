"""Email templates and personalization over the REST API: the template
routes (create, read, change, archive, delete only when never used,
favorites, the views mine / shared / favorites / archived, sharing with
teams and everyone), per-template analytics from the emails (human events
only), and the previews (POST /api/v1/templates/{id}/preview and
/api/v1/emails/preview): the fill rules, HTML escaping, unfilled fields and
prompts. Every error is asserted whole."""
import urllib.parse

import harness
from apitest import ApiCase, DataTemplate

TEMPLATE = None


def build(h):
    h.add_user("admin@example.com", "Ada Admin", "admin", password="correct horse battery")
    h.add_user("rep1@example.com", "Rita Rep", "rep", team="West")
    h.add_user("rep2@example.com", "Ray Rep", "rep", team="West")
    h.add_user("rep3@example.com", "Eve East", "rep", team="East")
    return {"admin": h.token("admin@example.com"), "rep1": h.token("rep1@example.com"),
            "rep2": h.token("rep2@example.com"), "rep3": h.token("rep3@example.com")}


def setUpModule():
    global TEMPLATE
    TEMPLATE = DataTemplate(build)


def tearDownModule():
    TEMPLATE.close()


BODY = ('<p>Hi {{first_name | default: "there"}},</p>\n'
        '<p>{{! write one line about their launch}}</p>\n'
        '<p>How is {{company}} doing?</p>\n{{my_signature}}')


class TemplatesCase(ApiCase):
    def setUp(self):
        self.h = TEMPLATE.new()
        self.t = TEMPLATE.values
        self.h.start()
        self.ids = {k: self.h.request("GET", "/api/v1/me", token=v).json["id"]
                    for k, v in self.t.items()}

    def tearDown(self):
        self.close_checked(self.h)

    def req(self, who, method, path, body=None):
        return self.h.request(method, path, body, token=self.t[who])

    def create(self, who="rep1", **kw):
        body = {"name": "Launch", "subject": "Congrats {{first_name}}", "body_html": BODY}
        body.update(kw)
        r = self.req(who, "POST", "/api/v1/templates", body)
        self.assertEqual(r.status, 201, r)
        return r.json

    def person(self, marketo_id, **fields):
        cols = ["marketo_id", "active", "created_at", "updated_at"] + list(fields)
        vals = [marketo_id, 1, 0, 0] + list(fields.values())
        return self.h.sql("INSERT INTO people (%s) VALUES (%s) RETURNING id"
                          % (", ".join(cols), ", ".join("?" * len(cols))), *vals)[0][0]

    def sender(self, who, address, signature=""):
        return self.h.sql("INSERT INTO senders (user_id, address, display_name, signature_html,"
                          " channel_id, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 0, 0)"
                          " RETURNING id", self.ids[who], address, "Display", signature)[0][0]

    def names(self, who, query=""):
        r = self.req(who, "GET", "/api/v1/templates" + query)
        self.assertEqual(r.status, 200, r)
        return [t["name"] for t in r.json["data"]]


class Crud(TemplatesCase):
    def test_create_and_read(self):
        t = self.create(category="follow-up", sharing="teams", commercial=False)
        self.assertEqual(t["owner"], {"id": self.ids["rep1"], "name": "Rita Rep"})
        self.assertEqual((t["name"], t["category"], t["subject"], t["body_html"], t["sharing"]),
                         ("Launch", "follow-up", "Congrats {{first_name}}", BODY, "teams"))
        self.assertEqual((t["archived"], t["commercial"], t["favorite"]), (False, False, False))
        self.assertEqual(t["prompts"], ["write one line about their launch"])
        self.assertEqual(t["analytics"], {"sent": 0, "opens": 0, "clicks": 0, "replies": 0,
                                          "bounces": 0, "success_rate": 0})
        r = self.req("rep1", "GET", "/api/v1/templates/%d" % t["id"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, t)
        # Defaults: private, commercial.
        t2 = self.create(name="Plain")
        self.assertEqual((t2["sharing"], t2["commercial"], t2["category"]),
                         ("private", True, ""))

    def test_change_archive_and_views(self):
        a = self.create(name="Alpha")
        b = self.create(name="Beta", sharing="everyone")
        self.create(who="rep2", name="Gamma", sharing="teams")
        self.create(who="rep3", name="Delta", sharing="teams")
        self.create(who="rep2", name="Secret")
        r = self.req("rep1", "PATCH", "/api/v1/templates/%d" % a["id"],
                     {"name": "Alpha 2", "subject": "New {{last_name}}"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual((r.json["name"], r.json["subject"], r.json["body_html"]),
                         ("Alpha 2", "New {{last_name}}", BODY))
        self.assertEqual(self.names("rep1"), ["Gamma", "Beta", "Alpha 2"])
        self.assertEqual(self.names("rep1", "?view=mine"), ["Beta", "Alpha 2"])
        self.assertEqual(self.names("rep1", "?view=shared"), ["Gamma"])
        self.assertEqual(self.names("rep3", "?view=shared"), ["Beta"])
        self.assertEqual(self.names("admin", "?view=shared"),
                         ["Secret", "Delta", "Gamma", "Beta", "Alpha 2"])
        self.assertEqual(self.names("rep1", "?q=ALPHA"), ["Alpha 2"])
        self.assertEqual(self.names("rep1", "?q=" + urllib.parse.quote("%")), [])
        r = self.req("rep1", "PATCH", "/api/v1/templates/%d" % a["id"], {"archived": True})
        self.assertEqual(r.json["archived"], True)
        self.assertEqual(self.names("rep1"), ["Gamma", "Beta"])
        self.assertEqual(self.names("rep1", "?view=archived"), ["Alpha 2"])
        # Favorites are per user.
        r = self.req("rep2", "PUT", "/api/v1/templates/%d/favorite" % b["id"])
        self.assertEqual(r.status, 204, r)
        self.assertEqual(self.names("rep2", "?view=favorites"), ["Beta"])
        self.assertEqual(self.names("rep1", "?view=favorites"), [])
        self.assertTrue(self.req("rep2", "GET", "/api/v1/templates/%d" % b["id"]).json["favorite"])
        self.assertEqual(self.req("rep2", "DELETE", "/api/v1/templates/%d/favorite"
                                  % b["id"]).status, 204)
        self.assertEqual(self.names("rep2", "?view=favorites"), [])

    def test_pages(self):
        for i in range(5):
            self.create(name="T%d" % i)
        r = self.req("rep1", "GET", "/api/v1/templates?limit=2")
        self.assertEqual([t["name"] for t in r.json["data"]], ["T4", "T3"])
        seen = [t["name"] for t in r.json["data"]]
        while r.json["next_cursor"]:
            r = self.req("rep1", "GET", "/api/v1/templates?limit=2&cursor=" + r.json["next_cursor"])
            seen += [t["name"] for t in r.json["data"]]
        self.assertEqual(seen, ["T4", "T3", "T2", "T1", "T0"])

    def test_sharing_and_permissions(self):
        p = self.create(name="Private")
        t = self.create(name="Team", sharing="teams")
        for who in ("rep2", "rep3"):
            self.assertError(self.req(who, "GET", "/api/v1/templates/%d" % p["id"]), 404,
                             "not_found", "no template with id %d" % p["id"])
        self.assertEqual(self.req("rep2", "GET", "/api/v1/templates/%d" % t["id"]).status, 200)
        self.assertError(self.req("rep3", "GET", "/api/v1/templates/%d" % t["id"]), 404,
                         "not_found", "no template with id %d" % t["id"])
        self.assertError(self.req("rep2", "PATCH", "/api/v1/templates/%d" % t["id"], {"name": "x"}),
                         403, "forbidden",
                         "only the template's owner or an admin may change template %d" % t["id"])
        self.assertError(self.req("rep2", "DELETE", "/api/v1/templates/%d" % t["id"]), 403,
                         "forbidden",
                         "only the template's owner or an admin may change template %d" % t["id"])
        self.assertError(self.req("rep3", "PUT", "/api/v1/templates/%d/favorite" % p["id"]), 404,
                         "not_found", "no template with id %d" % p["id"])
        r = self.req("admin", "PATCH", "/api/v1/templates/%d" % p["id"], {"category": "admin"})
        self.assertEqual((r.status, r.json["category"]), (200, "admin"))
        self.assertError(self.req("rep1", "GET", "/api/v1/templates/999"), 404, "not_found",
                         "no template with id 999")

    def test_bad_input(self):
        cases = [
            ({"subject": "s", "body_html": ""}, "name is required"),
            ({"name": "", "subject": "s", "body_html": ""},
             "name must be 1 to 200 characters, not 0"),
            ({"name": "n", "subject": "s", "body_html": "", "sharing": "public"},
             "sharing must be private, teams or everyone, not 'public'"),
            ({"name": "n", "subject": "s", "body_html": "", "commercial": "yes"},
             "commercial must be true or false, not a string"),
            ({"name": "n", "subject": "s", "body_html": "", "archived": True},
             "unknown member 'archived' (allowed: name, category, subject, body_html, sharing "
             "or commercial)"),
            ({"name": "n", "subject": "s", "body_html": "<p>\n{{#intro}}hello"},
             "body_html: line 2: section intro is never closed"),
            ({"name": "n", "subject": "Hi {{first_name | upper}}", "body_html": ""},
             "subject: line 1: the only filter is | default: \"text\" (in {{first_name | upper}})"),
        ]
        for body, msg in cases:
            self.assertError(self.req("rep1", "POST", "/api/v1/templates", body), 400,
                             "bad_request", msg)
        t = self.create()
        self.assertError(self.req("rep1", "PATCH", "/api/v1/templates/%d" % t["id"],
                                  {"body_html": "{{/x}}"}),
                         400, "bad_request", "body_html: line 1: {{/x}} closes no section")
        self.assertError(self.req("rep1", "GET", "/api/v1/templates?view=all"), 400,
                         "bad_request", "view must be mine, shared, favorites or archived, not 'all'")
        self.assertError(self.req("rep1", "GET", "/api/v1/templates?cursor=eA"), 400,
                         "bad_request", "cursor is not valid")
        self.assertError(self.req("rep1", "GET", "/api/v1/templates?q=" + "x" * 257), 400,
                         "bad_request", "q is longer than 256 characters")

    def test_delete_only_when_never_used(self):
        t = self.create()
        u = self.create(name="Used")
        self.assertEqual(self.req("rep1", "DELETE", "/api/v1/templates/%d" % t["id"]).status, 204)
        self.assertError(self.req("rep1", "GET", "/api/v1/templates/%d" % t["id"]), 404,
                         "not_found", "no template with id %d" % t["id"])
        pid = self.person(1, email="a@example.com")
        sid = self.sender("rep1", "rita@example.com")
        self.h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, template_id,"
                   " status, to_address, to_domain, subject, body_html, created_at, updated_at)"
                   " VALUES (?, ?, ?, 1, ?, 'draft', 'a@example.com', 'example.com', 's', 'b',"
                   " 0, 0)", pid, self.ids["rep1"], sid, u["id"])
        self.assertError(self.req("rep1", "DELETE", "/api/v1/templates/%d" % u["id"]), 409,
                         "conflict", "template %d was used for 1 email: archive it instead" % u["id"])


class Analytics(TemplatesCase):
    def test_human_events_only(self):
        t = self.create()
        other = self.create(name="Other")
        pid = self.person(1, email="a@example.com")
        sid = self.sender("rep1", "rita@example.com")
        rows = [  # status, sent_at, opens, clicks, machine_opens, machine_clicks, replied_at
            ("sent", 10, 2, 1, 0, 0, 20),
            ("sent", 10, 1, 0, 3, 0, None),
            ("sent", 10, 0, 0, 5, 2, None),  # machine events only: not an open or a click
            ("bounced", 10, 0, 0, 0, 0, None),
            ("draft", None, 0, 0, 0, 0, None),  # not sent
            ("failed", None, 0, 0, 0, 0, None),
        ]
        for st, sent, o, c, mo, mc, rep in rows:
            self.h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, template_id,"
                       " status, to_address, to_domain, subject, body_html, sent_at, opens, clicks,"
                       " machine_opens, machine_clicks, replied_at, created_at, updated_at)"
                       " VALUES (?, ?, ?, 1, ?, ?, 'a@example.com', 'example.com', 's', 'b', ?, ?,"
                       " ?, ?, ?, ?, 0, 0)", pid, self.ids["rep1"], sid, t["id"], st, sent, o, c,
                       mo, mc, rep)
        r = self.req("rep1", "GET", "/api/v1/templates/%d" % t["id"])
        self.assertEqual(r.json["analytics"], {"sent": 4, "opens": 2, "clicks": 1, "replies": 1,
                                               "bounces": 1, "success_rate": 0.25})
        listed = {x["name"]: x["analytics"] for x in self.req("rep1", "GET",
                                                               "/api/v1/templates").json["data"]}
        self.assertEqual(listed["Launch"], r.json["analytics"])
        self.assertEqual(listed["Other"]["sent"], 0)
        self.assertEqual(other["analytics"]["success_rate"], 0)


class Preview(TemplatesCase):
    def setUp(self):
        super().setUp()
        self.pid = self.person(1, first_name="Ann", last_name="<Lee>", email="ann@example.com",
                               company="Acme & Sons", phone=None, title=None)
        self.sid = self.sender("rep1", "rita@example.com", "<p><b>Rita</b> | Sales</p>")

    def test_template_preview_fill_rules(self):
        t = self.create(subject="{{first_name}} at {{company}} <3",
                        body_html="<p>Dear {{first_name}} {{last_name}} ({{title}}),</p>\n"
                                  "<p>Call {{phone}} or {{phone}}. {{! mention the launch }}</p>\n"
                                  "<p><a href=\"https://example.com/x?a=1&amp;b=2\">Docs</a></p>\n"
                                  "{{my_signature}}<p>{{my_name}} &lt;{{my_email}}&gt;</p>")
        r = self.req("rep1", "POST", "/api/v1/templates/%d/preview" % t["id"],
                     {"person_id": self.pid, "sender_id": self.sid})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["subject"], "Ann at Acme & Sons <3")
        self.assertEqual(r.json["html"],
                         "<p>Dear Ann &lt;Lee&gt; (),</p>\n"
                         "<p>Call <mark class=\"hail-unfilled\">{{phone}}</mark> or "
                         "<mark class=\"hail-unfilled\">{{phone}}</mark>. "
                         "<mark class=\"hail-prompt\">mention the launch</mark></p>\n"
                         "<p><a href=\"https://example.com/x?a=1&amp;b=2\">Docs</a></p>\n"
                         "<p><b>Rita</b> | Sales</p><p>Rita Rep &lt;rita@example.com&gt;</p>")
        self.assertEqual(r.json["text"],
                         "Dear Ann <Lee> (),\n\nCall {{phone}} or {{phone}}. mention the launch\n\n"
                         "Docs <https://example.com/x?a=1&b=2>\n\nRita | Sales\n\n"
                         "Rita Rep <rita@example.com>")
        self.assertEqual(r.json["unfilled"], ["phone"])
        self.assertEqual(r.json["prompts"], ["mention the launch"])

    def test_company_and_defaults(self):
        bare = self.person(2, email="b@example.com")
        r = self.req("rep1", "POST", "/api/v1/emails/preview",
                     {"person_id": bare, "sender_id": self.sid,
                      "subject": "Hi {{first_name | default: \"there\"}}",
                      "body_html": "<p>{{company}} / {{sfdc_account_id | default: 'none'}} "
                                   "/ {{frist_name}}</p>"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json, {"subject": "Hi there",
                                  "html": "<p>your company / none / "
                                          "<mark class=\"hail-unfilled\">{{frist_name}}</mark></p>",
                                  "text": "your company / none / {{frist_name}}",
                                  "unfilled": ["frist_name"], "prompts": []})

    def test_without_sender_as_the_user(self):
        t = self.create(subject="From {{my_name}}", body_html="{{my_email}}{{my_signature}}")
        r = self.req("rep1", "POST", "/api/v1/templates/%d/preview" % t["id"],
                     {"person_id": self.pid})
        self.assertEqual((r.status, r.json["subject"], r.json["html"], r.json["unfilled"]),
                         (200, "From Rita Rep", "rep1@example.com", []))

    def test_email_preview_from_template_with_subject(self):
        t = self.create(sharing="everyone")
        r = self.req("rep2", "POST", "/api/v1/emails/preview",
                     {"person_id": self.pid, "template_id": t["id"], "subject": "Re: {{company}}"})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json["subject"], "Re: Acme & Sons")
        self.assertEqual(r.json["prompts"], ["write one line about their launch"])
        self.assertIn("<p>How is Acme &amp; Sons doing?</p>", r.json["html"])

    def test_preview_errors(self):
        t = self.create()
        other = self.sender("rep2", "ray@example.com")
        path = "/api/v1/templates/%d/preview" % t["id"]
        self.assertError(self.req("rep1", "POST", path, {"person_id": 999}), 404, "not_found",
                         "no person with id 999")
        self.assertError(self.req("rep1", "POST", path, {"person_id": self.pid, "sender_id": other}),
                         404, "not_found", "no sender with id %d" % other)
        self.assertError(self.req("rep1", "POST", path, {"person_id": self.pid, "sender_id": 999}),
                         404, "not_found", "no sender with id 999")
        # An admin may preview as anyone's sender.
        self.assertEqual(self.req("admin", "POST", path,
                                  {"person_id": self.pid, "sender_id": other}).status, 200)
        self.assertError(self.req("rep3", "POST", path, {"person_id": self.pid}), 404,
                         "not_found", "no template with id %d" % t["id"])
        self.assertError(self.req("rep1", "POST", path, {"person_id": 0}), 400, "bad_request",
                         "person_id must be a positive integer, not 0")
        self.assertError(self.req("rep1", "POST", path, {"person_id": "1"}), 400, "bad_request",
                         "person_id must be a positive integer, not a string")
        self.assertError(self.req("rep1", "POST", path, {}), 400, "bad_request",
                         "person_id is required")
        e = "/api/v1/emails/preview"
        self.assertError(self.req("rep1", "POST", e, {"person_id": self.pid, "subject": "s",
                                                      "body_html": "b", "template_id": t["id"]}),
                         400, "bad_request", "give body_html or template_id, not both")
        self.assertError(self.req("rep1", "POST", e, {"person_id": self.pid, "subject": "s"}),
                         400, "bad_request", "body_html or template_id is required")
        self.assertError(self.req("rep1", "POST", e, {"person_id": self.pid, "body_html": "b"}),
                         400, "bad_request", "subject is required with body_html")
        self.assertError(self.req("rep1", "POST", e, {"person_id": self.pid, "subject": "s",
                                                      "body_html": "{{#a}}"}),
                         400, "bad_request", "body_html: line 1: section a is never closed")


if __name__ == "__main__":
    harness.main()
