#!/usr/bin/env python3
"""Outbox figures (issue 11): activities per second from hail's activity log into the
fake Marketo and the fake Salesforce, end to end. Prints

    marketo_out_per_s=… salesforce_out_per_s=… marketo_limit_use=…

Targets: marketo_out_per_s >= 20,000 and salesforce_out_per_s >= 10,000 (the fakes'
limits switched off); marketo_limit_use >= 0.95 (the fake's real limits on).

- marketo_out_per_s: N activities (default 200,000; every type Marketo gets, 1,000
  leads) written into a fresh SQLite store (synchronous=FULL as shipped), then
  `hail sync marketo-out` timed from the fork to its exit: it opens the store, logs in,
  registers the custom activity types, reads the log in commit order, builds each
  record (PRODUCT.md §8 attributes), commits each batch as in flight, calls
  external.json (300 per call), records the results and moves the cursor. Rate = N / wall
  seconds; hail's own share of the rate limit raised to match the fake's
  (HAIL_MARKETO_CALLS_PER_20S=100000). Checked: the CLI says N sent, the fake added N (no skips), and the cursor is
  at the last activity.
- marketo_limit_use: the same with the fake's limits on (100 calls / 20 s, 10 in
  flight, the daily quota): the fake's added count is sampled while hail sends a backlog
  far larger than a minute allows; the rate over a 60-second window starting 25 s in
  (after the first 20-second window's burst) divided by 1,500/s (300 per call x 5 calls
  per second). Checked: the fake answered no 606 (hail's own limiter kept to the limit).
- salesforce_out_per_s: bench/outbox_salesforce.py's run() (the Salesforce outbox
  into the fake Salesforce with its limits off), when that module exists.

Usage: python3 bench/outbox.py HAIL [--n N] [--skip-limit] [--skip-salesforce]
"""
import argparse
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as B  # noqa: E402

TYPES = ["email_send", "email_open", "email_click", "email_reply", "email_bounce", "call",
         "campaign_add", "campaign_remove"]
LEADS = 1000


class Fake:
    def __init__(self, work, *args, extra_env=None):
        self.extra_env = extra_env or {}
        sys.path.insert(0, os.path.join(B.ROOT, "tests", "fake"))
        import contract  # noqa: E402
        why = contract.missing()
        if why:
            B.die("the outbox benchmark needs the fake Marketo: " + why)
        port_file = os.path.join(work, "fake.port")
        if os.path.exists(port_file):
            os.unlink(port_file)
        self.log = open(os.path.join(work, "fake.log"), "a")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(B.ROOT, "tests/fake/fake_marketo.py"), "--port", "0",
             "--port-file", port_file] + list(args), stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 60
        while not os.path.exists(port_file):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                B.die("the fake Marketo did not start; see %s" % self.log.name)
            time.sleep(0.05)
        self.port = int(open(port_file).read())
        self.url = "http://127.0.0.1:%d" % self.port
        B.wait_http(self.url + "/_fake/stats", proc=self.proc)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.load(r)

    def env(self):
        return dict(os.environ, HAIL_MARKETO_URL=self.url, HAIL_MARKETO_CLIENT_ID="hail-test-id",
                    HAIL_MARKETO_CLIENT_SECRET="hail-test-secret", HAIL_LOG_LEVEL="warn",
                    **self.extra_env)

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


def make_store(hail, data, lead_ids, n):
    """A migrated store with a seller, a person per lead and n activities."""
    shutil.rmtree(data, ignore_errors=True)
    os.makedirs(data)
    subprocess.run([hail, "--data", data, "user", "add", "--email", "ann@example.com", "--name",
                    "Ann Seller", "--role", "rep"], check=True, capture_output=True)
    db = sqlite3.connect(os.path.join(data, "hail.db"))
    db.executemany("INSERT INTO people (marketo_id, email, first_name, owner_email, active,"
                   " created_at, updated_at) VALUES (?, ?, 'P', 'ann@example.com', 1, 0, 0)",
                   [(m, "p%d@example.com" % m) for m in lead_ids])
    people = [r[0] for r in db.execute("SELECT id FROM people ORDER BY id")]
    uid = db.execute("SELECT id FROM users").fetchone()[0]
    t0 = 1764000000000000

    def rows():
        for k in range(n):
            t = TYPES[k % len(TYPES)]
            attrs = {"sent_by": "ann@example.com", "source": "hail", "sales_person_id": uid,
                     "email_subject": "Following up on our call %d" % k,
                     "template_id": 3, "template_name": "Follow-up",
                     "template_url": "https://hail.example.com/templates/3"}
            if t == "email_click":
                attrs["link"] = "https://example.com/pricing?plan=team&k=%d" % k
            if t == "call":
                attrs = {"made_by": "ann@example.com", "status": "completed",
                         "subject": "Connected", "number_called": "+15551234567",
                         "source": "hail", "duration": 61, "sales_person_id": uid}
            if t.startswith("campaign_"):
                attrs = {"campaign_id": 7, "campaign_name": "Q4 outreach",
                         "campaign_url": "https://hail.example.com/campaigns/7",
                         "sent_by": "Ann Seller", "source": "hail"}
            yield (t, people[k % len(people)], uid, t0 + k * 1000, json.dumps(attrs))
    db.executemany("INSERT INTO activities (type, person_id, user_id, occurred_at, attrs,"
                   " created_at) VALUES (?, ?, ?, ?, ?, 0)", rows())
    db.commit()
    last = db.execute("SELECT max(id) FROM activities").fetchone()[0]
    db.close()
    return last


def cursor(data):
    db = sqlite3.connect(os.path.join(data, "hail.db"))
    try:
        r = db.execute("SELECT sent, skipped, pos_id FROM log_cursors"
                       " WHERE consumer = 'marketo'").fetchone()
        return r or (0, 0, 0)
    finally:
        db.close()


def marketo_out(hail, work, n):
    # hail keeps to Marketo's 100 calls / 20 s by itself: its share is raised with the
    # fake's limits off (HAIL_MARKETO_CALLS_PER_20S), its 10 calls in flight stay
    fake = Fake(work, "--no-limits", extra_env={"HAIL_MARKETO_CALLS_PER_20S": "100000"})
    try:
        fake.control("POST", "/_fake/config", {"keep_external": False})
        leads = fake.control("POST", "/_fake/leads", {"leads": [
            {"email": "p%d@example.com" % i} for i in range(LEADS)]})["ids"]
        data = os.path.join(work, "mkto-data")
        last = make_store(hail, data, leads, n)
        B.log("marketo: %d activities in the log; sending" % n)
        out = open(os.path.join(work, "mkto-out.log"), "w")
        f0 = B.proc_cpu(fake.proc.pid)
        rc, wall, rss_kb, cpu = B.run_measured([hail, "--data", data, "sync", "marketo-out"],
                                               env=fake.env(), stdout=out,
                                               stderr=subprocess.STDOUT)
        fcpu = B.proc_cpu(fake.proc.pid) - f0
        B.log("  cpu: hail %.2f s, the fake %.2f s, in %.2f s wall" % (cpu, fcpu, wall))
        out.close()
        text = open(out.name).read().strip()
        B.log("  hail: " + text.replace("\n", "\n  hail: "))
        if rc != 0:
            B.die("hail sync marketo-out exited with %d" % rc)
        added = fake.control("GET", "/_fake/stats")["external"]
        if not text.startswith("Marketo: %s activities sent, 0 skipped" % format(n, ",")):
            B.die("hail did not say it sent all %d" % n)
        if added["added"] != n or added["skipped"]:
            B.die("the fake added %d (skipped %d), not %d" % (added["added"], added["skipped"], n))
        if cursor(data)[2] != last:
            B.die("the cursor is not at the last activity")
        return n / wall, wall
    finally:
        fake.close()


def marketo_limit(hail, work, n):
    fake = Fake(work)  # the real limits: 100 calls / 20 s, 10 in flight, daily quota
    try:
        fake.control("POST", "/_fake/config", {"keep_external": False})
        leads = fake.control("POST", "/_fake/leads", {"leads": [
            {"email": "p%d@example.com" % i} for i in range(LEADS)]})["ids"]
        data = os.path.join(work, "limit-data")
        make_store(hail, data, leads, n)
        B.log("marketo (limits on): %d activities in the log; sending for 90 s" % n)
        out = open(os.path.join(work, "limit-out.log"), "w")
        p = subprocess.Popen([hail, "--data", data, "sync", "marketo-out"], env=fake.env(),
                             stdout=out, stderr=subprocess.STDOUT)
        t0 = time.monotonic()
        samples = []
        try:
            while time.monotonic() - t0 < 90 and p.poll() is None:
                st = fake.control("GET", "/_fake/stats")
                samples.append((time.monotonic() - t0, st["external"]["added"],
                                st["errors"].get("606", 0)))
                time.sleep(0.25)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait()
            out.close()

        def at(t):
            return min(samples, key=lambda s: abs(s[0] - t))
        a, b = at(25), at(85)
        if b[0] - a[0] < 55:
            B.die("hail stopped before the window ended; see %s" % out.name)
        rate = (b[1] - a[1]) / (b[0] - a[0])
        errors606 = samples[-1][2]
        B.log("  %d added in %.1f s (%.1f s to %.1f s): %.0f/s; 606 answers: %d"
              % (b[1] - a[1], b[0] - a[0], a[0], b[0], rate, errors606))
        if errors606:
            B.die("the fake answered 606 %d times: hail went over the rate limit" % errors606)
        return rate / 1500.0
    finally:
        fake.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--n", type=int, default=200000)
    ap.add_argument("--skip-limit", action="store_true")
    ap.add_argument("--skip-salesforce", action="store_true")
    args = ap.parse_args()
    hail = os.path.abspath(args.hail)
    work = tempfile.mkdtemp(prefix="hail-bench-outbox-")
    try:
        B.log("load average before: %s" % (B.loadavg(),))
        mk_rate, mk_wall = marketo_out(hail, work, args.n)
        B.log("  %d activities in %.2f s" % (args.n, mk_wall))
        sf = "not-measured"
        if not args.skip_salesforce:
            try:
                import outbox_salesforce  # noqa: E402
            except ImportError:
                outbox_salesforce = None
                B.log("salesforce: bench/outbox_salesforce.py is not there yet: not measured")
            if outbox_salesforce:
                sf = "%.0f" % outbox_salesforce.run(hail, min(args.n, 100000))
        use = "not-measured"
        if not args.skip_limit:
            use = "%.3f" % marketo_limit(hail, work, 150000)
        B.log("load average after: %s" % (B.loadavg(),))
        print("marketo_out_per_s=%.0f salesforce_out_per_s=%s marketo_limit_use=%s"
              % (mk_rate, sf, use))
        print("targets: marketo_out_per_s >= 20000, salesforce_out_per_s >= 10000,"
              " marketo_limit_use >= 0.95")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
