"""`make run`'s script (scripts/demo.sh) loads the demo data, prints how to sign
in, and serves people you can sign in and list, mail set up, and engagement:
Best Bets and the Live Feed have rows for each seller."""
import http.client
import json
import os
import re
import signal
import subprocess
import time
import unittest

import harness


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.h = harness.Hail()
        self.port = harness.free_port()
        self.proc = subprocess.Popen(
            ["sh", os.path.join(harness.SRC, "scripts", "demo.sh"), harness.BIN, self.h.data,
             "127.0.0.1:%d" % self.port],
            cwd=harness.SRC, env=self.h.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.h.port = self.port
        self.h.proc = self.proc
        self.out = b""

    def tearDown(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(20)
        self.h.proc = None
        self.h.close()

    def read_banner(self):
        deadline = time.time() + 60
        while b"API token:" not in self.out or b"curl -c" not in self.out:
            if time.time() > deadline or self.proc.poll() is not None:
                self.fail("no banner: %r" % self.out)
            self.out += self.proc.stdout.read1(4096)
        return self.out.decode()

    def test_sign_in_and_list_demo_people(self):
        text = self.read_banner()
        self.assertIn("  Open http://127.0.0.1:%d/ in a browser.\n" % self.port, text)
        self.assertIn("admin@example.com / hail-demo-password", text)
        token = re.search(r"API token: (\S+)", text).group(1)
        self.h.wait_ready()

        people, path = [], "/api/v1/people?limit=200"
        while path:
            r = self.h.request("GET", path, token=token)
            self.assertEqual(r.status, 200, r)
            people += r.json["data"]
            nxt = r.json["next_cursor"]
            path = "/api/v1/people?limit=200&cursor=" + nxt if nxt else None
        # 300 demo people; every 12th has no sales owner and is not listed.
        self.assertEqual(len(people), 275)
        self.assertTrue(all(p["active"] for p in people))

        # A person signs in with the printed password and lists people through the cookie.
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("POST", "/api/v1/session",
                  body=json.dumps({"email": "rep1@example.com", "password": "hail-demo-password"}),
                  headers={"Content-Type": "application/json"})
        resp = c.getresponse()
        body = json.loads(resp.read())
        self.assertEqual(resp.status, 201, body)
        cookie = resp.getheader("Set-Cookie").split(";")[0]
        c.request("GET", "/api/v1/people?q=muller&owner=me", headers={"Cookie": cookie})
        resp = c.getresponse()
        page = json.loads(resp.read())
        self.assertEqual(resp.status, 200, page)
        self.assertTrue(page["data"], "rep1 owns some Müllers in the demo data")
        for p in page["data"]:
            self.assertEqual(p["owner_email"], "rep1@example.com")
            self.assertEqual(p["last_name"], "Müller")
        c.close()

        # Mail works out of the box: a sender per user on the maildir channel,
        # two shared templates; an email from one lands in the maildir.
        # (made over the API just after the server starts: wait for them)
        deadline = time.time() + 30
        while True:
            r = self.h.request("GET", "/api/v1/templates", token=token)
            self.assertEqual(r.status, 200, r)
            if len(r.json["data"]) == 2 or time.time() > deadline:
                break
            time.sleep(0.1)
        r = self.h.request("GET", "/api/v1/senders?limit=200", token=token)
        self.assertEqual(r.status, 200, r)
        me = [s for s in r.json["data"] if s["address"] == "admin@example.com"]
        self.assertEqual([(s["display_name"], s["channel_name"]) for s in me],
                         [("Ada Admin", "maildir")])
        r = self.h.request("GET", "/api/v1/templates", token=token)
        self.assertEqual(sorted(t["name"] for t in r.json["data"]), ["First touch", "Follow-up"])
        first = [t for t in r.json["data"] if t["name"] == "First touch"][0]
        r = self.h.request("POST", "/api/v1/emails", {"person_id": people[0]["id"],
                                                       "sender_id": me[0]["id"],
                                                       "template_id": first["id"]}, token=token)
        self.assertEqual(r.status, 201, r)
        deadline = time.time() + 30
        while self.h.request("GET", "/api/v1/emails/%d" % r.json["id"],
                             token=token).json["status"] != "sent":
            self.assertLess(time.time(), deadline, "the demo email was not sent")
            time.sleep(0.2)
        box = os.path.join(self.h.data, "mail", "1", "new")
        mine = []
        for name in os.listdir(box):
            with open(os.path.join(box, name), "rb") as f:
                if b"<hail.%d." % r.json["id"] in f.read():
                    mine.append(name)
        self.assertEqual(len(mine), 1)

        # A shared campaign with five people who start in a week, and two
        # tasks due today (made after the templates: wait for them too).
        deadline = time.time() + 30
        while True:
            tasks = self.h.request("GET", "/api/v1/tasks?assignee=me", token=token)
            self.assertEqual(tasks.status, 200, tasks)
            if len(tasks.json["data"]) == 2 or time.time() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(sorted((t["type"], t["name"]) for t in tasks.json["data"]),
                         [("call", "Call back about pricing"), ("custom", "Send the case study")])
        # Five members: active, unless the engagement demo data (below, running by now)
        # made one of them reply, which ends a membership (the campaign ends on reply).
        r = self.h.request("GET", "/api/v1/campaigns", token=token)
        self.assertEqual([(c["name"], c["steps_count"], sum(c["counts"].values()))
                          for c in r.json["data"]], [("New lead welcome", 3, 5)])
        ended = {k for k, v in r.json["data"][0]["counts"].items() if v and k != "active"}
        self.assertLessEqual(ended, {"replied"}, r.json["data"][0]["counts"])

        # Engagement (scripts/demo_activity.py, after the above): each seller's
        # Best Bets has people, best first, and the Live Feed has their activity.
        flag = os.path.join(self.h.data, ".demo-activity-loaded")
        deadline = time.time() + 120
        while not os.path.exists(flag):
            self.assertLess(time.time(), deadline, "no engagement demo data: %r" % self.out)
            time.sleep(0.2)
        with open(os.path.join(self.h.data, "demo-tokens")) as f:
            tokens = dict(line.split() for line in f if line.strip())
        self.assertEqual(sorted(tokens), ["admin@example.com", "manager@example.com",
                                          "rep1@example.com", "rep2@example.com"])
        for email in ("rep1@example.com", "rep2@example.com", "manager@example.com"):
            r = self.h.request("GET", "/api/v1/best-bets", token=tokens[email])
            self.assertEqual(r.status, 200, r)
            rows = r.json["data"]
            self.assertEqual(len(rows), 5, rows)  # six emailed, five engaged
            self.assertTrue(all(b["person"]["owner_email"] == email for b in rows), rows)
            self.assertEqual({w["type"]: w["count"] for w in rows[0]["why"]},
                             {"email_reply": 1, "email_click": 1, "email_open": 3})
            self.assertEqual((rows[0]["stars"], rows[-1]["stars"]), (3, 1))
            r = self.h.request("GET", "/api/v1/feed?limit=100", token=tokens[email])
            self.assertEqual(r.status, 200, r)
            kinds = {a["type"] for a in r.json["data"]}
            self.assertTrue({"email_send", "email_open", "email_click", "email_reply",
                             "call"} <= kinds, kinds)

    def test_second_start_keeps_data(self):
        token = re.search(r"API token: (\S+)", self.read_banner()).group(1)
        self.h.wait_ready()
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(20), 0)
        self.setUp_again()
        token2 = re.search(r"API token: (\S+)", self.read_banner()).group(1)
        self.assertEqual(token, token2)
        self.h.wait_ready()
        r = self.h.request("GET", "/api/v1/people?limit=1", token=token)
        self.assertEqual(r.status, 200)
        # Not imported twice: user add would have failed and stopped the script.
        p = self.h.run("user", "list")
        self.assertEqual(p.stdout.count("@example.com"), 4, p.stdout)

    def setUp_again(self):
        self.out = b""
        self.proc = subprocess.Popen(
            ["sh", os.path.join(harness.SRC, "scripts", "demo.sh"), harness.BIN, self.h.data,
             "127.0.0.1:%d" % self.port],
            cwd=harness.SRC, env=self.h.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.h.proc = self.proc


if __name__ == "__main__":
    harness.main()
