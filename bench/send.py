#!/usr/bin/env python3
"""Sending figure: personalized, tracked messages per second through hail's
send queue and an smtp channel into Postfix's smtp-sink, against Postfix's
own load generator smtp-source into the same sink, in the same run, with the
same concurrency (hail HAIL_SEND_WORKERS=W, smtp-source -s W) and messages
of the same size. Prints

    send_per_s=… smtp_source_per_s=… ratio=…

Target: ratio >= 0.5. What hail does per message is all of it: lease the
email from the database, render the template for the person (mustache),
rewrite every link for click tracking and add the open pixel and the
unsubscribe link (HMAC tokens), build the MIME message (GMime), hand it to
the SMTP server (libcurl), mark it sent and record the Send activity in one
transaction. The emails are queued first (POST /api/v1/emails/bulk, not
timed) with a send time in the future; the clock starts when they are all
made due at once. Checks: every email sent (none failed) with smtp-sink's
"250" kept as its reply, and one sampled email is personalized and tracked.

Usage: python3 bench/send.py HAIL [--emails N] [--workers W]
"""
import argparse
import email
import email.policy
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
import benchlib  # noqa: E402
import peers  # noqa: E402
from benchlib import die, log  # noqa: E402

PW = "bench admin password"
BODY = ("<p>Hi {{first_name}},</p><p>Congratulations on the launch at {{company | default: "
        "\"your company\"}}. We helped teams like yours ship faster: see "
        "<a href=\"https://example.com/case-study\">the case study</a> or "
        "<a href=\"https://example.com/pricing?plan=team\">our pricing</a>.</p>"
        "<p>Would a 15-minute call next week work?</p><p>{{my_name}}</p>{{my_signature}}")


def loadavg():
    return os.getloadavg()[0]


class Hail:
    def __init__(self, binary, workers):
        self.bin = binary
        self.dir = tempfile.mkdtemp(prefix="hail-bench-send-")
        self.env = dict(os.environ, HAIL_DATA=os.path.join(self.dir, "var"),
                        HAIL_LOG_LEVEL="warn", HAIL_ACCESS_LOG="off",
                        HAIL_SEND_WORKERS=str(workers),
                        HAIL_PUBLIC_URL="https://hail.example")
        for k in list(self.env):
            if k.startswith("HAIL_MARKETO_") or k in ("HAIL_DATABASE_URL", "HAIL_LISTEN"):
                del self.env[k]
        self.proc = None

    def run(self, *args, input=None):
        p = subprocess.run([self.bin] + list(args), input=input, capture_output=True, text=True,
                           env=self.env, timeout=600)
        if p.returncode != 0:
            die("hail %s: %s%s" % (" ".join(args), p.stdout, p.stderr))
        return p.stdout

    def start(self):
        self.port = peers.free_port()
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.proc = subprocess.Popen([self.bin, "serve", "--listen", "127.0.0.1:%d" % self.port],
                                     env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        peers.wait_port(self.port, self.proc, what="hail")

    def api(self, method, path, body=None):
        req = urllib.request.Request("http://127.0.0.1:%d%s" % (self.port, path), method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + self.token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=300) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def db(self):
        return sqlite3.connect(os.path.join(self.env["HAIL_DATA"], "hail.db"), timeout=30)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def ok(status, body, want=(200, 201)):
    if status not in want:
        die("HTTP %d: %s" % (status, body))
    return body


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--emails", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    n, w = args.emails, args.workers
    for tool in (peers.SMTP_SINK, peers.SMTP_SOURCE):
        if not os.path.exists(tool):
            die("%s is missing (scripts/install-deps.sh)" % tool)
    log("machine: %s, load average %.2f at start" % (benchlib.MACHINE, loadavg()))
    sink = peers.SmtpSink(quiet=True)
    h = Hail(args.hail, w)
    try:
        h.run("user", "add", "--email", "admin@example.com", "--name", "Ann Admin", "--role",
              "admin", "--password-stdin", input=PW + "\n")
        h.token = h.run("token", "create", "--email", "admin@example.com").strip().splitlines()[-1]
        csv_path = os.path.join(h.dir, "people.csv")
        with open(csv_path, "w") as f:
            f.write("id,firstName,lastName,email,company,leadOwnerEmailAddress\n")
            for i in range(1, n + 1):
                f.write("%d,First%d,Last%d,p%d@customer%d.example,Company %d,admin@example.com\n"
                        % (i, i, i, i, i % 50, i % 300))
        h.run("import", "people", csv_path)
        h.start()
        ch = ok(*h.api("POST", "/api/v1/channels", {
            "name": "sink", "kind": "smtp",
            "smtp": {"host": "127.0.0.1", "port": sink.port, "tls": "none"}}))
        snd = ok(*h.api("POST", "/api/v1/senders", {
            "address": "ann@sales.example", "display_name": "Ann Admin",
            "signature_html": "<p>Ann Admin<br>Example Inc.</p>", "channel_id": ch["id"]}))
        tpl = ok(*h.api("POST", "/api/v1/templates", {
            "name": "launch", "subject": "Congrats on the launch, {{first_name}}",
            "body_html": BODY}))
        with h.db() as c:
            people = [r[0] for r in c.execute("SELECT id FROM people ORDER BY id")]
        if len(people) != n:
            die("imported %d people, not %d" % (len(people), n))
        # Queued for later (not timed), then made due at once.
        t_q = time.monotonic()
        for i in range(0, n, 1000):
            res = ok(*h.api("POST", "/api/v1/emails/bulk", {
                "template_id": tpl["id"], "sender_id": snd["id"],
                "person_ids": people[i:i + 1000], "send_at": "2099-01-01T00:00:00Z"}))
            if res["refused"]:
                die("refused: %s" % res["results"][:3])
        log("queued %d emails in %.1f s" % (n, time.monotonic() - t_q))
        with h.db() as c:
            t0 = time.monotonic()
            c.execute("UPDATE emails SET next_attempt_at = 0 WHERE status = 'scheduled'")
        db = h.db()
        while True:
            sent, failed = db.execute(
                "SELECT count(*) FILTER (WHERE status = 'sent'),"
                " count(*) FILTER (WHERE status = 'failed') FROM emails").fetchone()
            if sent + failed >= n:
                break
            if time.monotonic() - t0 > 1800:
                die("only %d of %d sent after 30 minutes" % (sent, n))
            time.sleep(0.02)
        t_hail = time.monotonic() - t0
        if failed:
            why = db.execute("SELECT failed_reason, smtp_reply FROM emails"
                             " WHERE status = 'failed' LIMIT 1").fetchone()
            die("%d emails failed: %s" % (failed, why))
        accepted = db.execute("SELECT count(*) FROM emails WHERE smtp_reply = '250 2.0.0 Ok'"
                              ).fetchone()[0]
        if accepted != n:
            die("%d of %d emails have smtp-sink's 250 as their reply" % (accepted, n))
        eid = db.execute("SELECT id FROM emails ORDER BY id LIMIT 1 OFFSET ?", (n // 2,)).fetchone()[0]
        db.close()
        send_per_s = n / t_hail
        log("hail: %d personalized, tracked emails sent in %.2f s with %d sender threads"
            % (n, t_hail, w))

        # One email: personalized, tracked, accepted by the sink.
        e = ok(*h.api("GET", "/api/v1/emails/%d" % eid))
        first = e["person"]["name"].split()[0]
        checks = [
            (e["subject"] == "Congrats on the launch, %s" % first, "subject personalized"),
            ("Hi %s," % first in e["html"], "body personalized"),
            (e["smtp_reply"] == "250 2.0.0 Ok", "accepted by smtp-sink"),
        ]
        for good, what in checks:
            if not good:
                die("sampled email %d: %s: %s" % (eid, what, json.dumps(e)[:2000]))
        # The size of what hail sent: the same email through the maildir channel.
        s1 = ok(*h.api("POST", "/api/v1/senders", {
            # One address per user: another of the same length.
            "address": "bnn@sales.example", "display_name": "Ann Admin",
            "signature_html": "<p>Ann Admin<br>Example Inc.</p>", "channel_id": 1,
            "user_id": snd["user_id"]}))
        size = None
        if "id" not in s1:
            die("sender on the maildir channel: %s" % s1)
        if True:
            r = ok(*h.api("POST", "/api/v1/emails", {"person_id": people[n // 2],
                                                       "sender_id": s1["id"],
                                                       "template_id": tpl["id"]}))
            path = os.path.join(h.env["HAIL_DATA"], "mail", "1", "new", "hail.%d" % r["id"])
            for _ in range(300):
                if os.path.exists(path):
                    size = os.path.getsize(path)
                    break
                time.sleep(0.05)
        if not size:
            st, em = h.api("GET", "/api/v1/emails/%d" % r["id"])
            die("could not measure a message's size: %s" % json.dumps(em)[:600])
        # What went out is tracked: every link rewritten, the pixel, the unsubscribe link.
        with open(path, "rb") as f:
            msg = email.message_from_binary_file(f, policy=email.policy.default)
        html = msg.get_body(("html",)).get_content()
        for good, what in [
                (len(re.findall(r'href="https://hail\.example/t/c/', html)) == 2, "links tracked"),
                ('src="https://hail.example/t/o/' in html, "open pixel"),
                ("example.com/case-study" not in html, "no untracked link"),
                (msg["List-Unsubscribe"] is not None, "List-Unsubscribe")]:
            if not good:
                die("the sent message: %s: %s" % (what, html[:2000]))
        log("a message is %d bytes" % size)
    finally:
        h.close()

    # smtp-source: the same number of messages of the same size, W sessions, into the same sink.
    body = max(size - 400, 100)  # smtp-source adds ~400 bytes of headers
    t0 = time.monotonic()
    p = subprocess.run([peers.SMTP_SOURCE, "-m", str(n), "-s", str(w), "-l", str(body),
                        "-f", "ann@sales.example", "-t", "p1@customer1.example",
                        "127.0.0.1:%d" % sink.port], capture_output=True, text=True, timeout=1800)
    t_src = time.monotonic() - t0
    sink.close()
    if p.returncode != 0:
        die("smtp-source: %s%s" % (p.stdout, p.stderr))
    src_per_s = n / t_src
    log("smtp-source: %d messages of %d bytes in %.2f s over %d sessions (a connection each)"
        % (n, body, t_src, w))
    log("load average %.2f at end" % loadavg())
    ratio = send_per_s / src_per_s
    print("send_per_s=%.0f smtp_source_per_s=%.0f ratio=%.2f" % (send_per_s, src_per_s, ratio))
    log("target ratio >= 0.5: %s" % ("met" if ratio >= 0.5 else "MISSED"))


if __name__ == "__main__":
    main()
