#!/usr/bin/env python3
"""`make run`'s engagement demo data, made over hail's own routes once the
server answers (after demo_mail.py), so Best Bets (updated as each activity
is recorded) and the Live Feed have content from the start: for each demo
seller (rep1@, rep2@, manager@example.com) a sales email to six of the people
they own, sent by the send queue into the maildir; then, as the recipients'
mail programs would, human opens of the tracking pixel (a browser's
User-Agent), clicks on the email's link, replies (POST /api/v1/inbound, as an
MTA would pipe them in) and a logged call, in different amounts per person so
the list has an order: stars and flames differ.

Tracking and replies are recorded when they arrive (now); the calls are
spread over the last three weeks (their started_at), beside demo_mail.py's.

Usage: demo_activity.py BASE_URL DATA_DIR (tokens: DATA_DIR/demo-tokens,
lines "EMAIL TOKEN", the first the admin's)."""
import json
import os
import re
import sys
import time
import datetime
import urllib.error
import urllib.request

BASE, DATA = sys.argv[1], sys.argv[2]
CHROME = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/120.0 Safari/537.36")
BODY = ('<p>Hi {{first_name | default: "there"}},</p><p>Here is the '
        '<a href="https://example.com/pricing">pricing</a> we spoke about.</p>{{{my_signature}}}')
# Per person, in order: (opens, clicks, replies, a call): a spread of engagement.
PLAN = [(3, 1, 1, True), (2, 1, 0, False), (4, 0, 0, True), (1, 0, 0, False), (1, 1, 0, False),
        (0, 0, 0, False)]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A click answers 302 to the link's target: the demo stays on hail."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def request(method, path, token=None, body=None, raw=None, ctype="application/json", ua=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    headers = {"Content-Type": ctype}
    if token:
        headers["Authorization"] = "Bearer " + token
    if ua:
        headers["User-Agent"] = ua
    req = urllib.request.Request(BASE + path, method=method, data=data, headers=headers)
    try:
        with OPENER.open(req, timeout=15) as r:
            out = r.read()
    except urllib.error.HTTPError as e:
        if e.code != 302:
            raise
        return None
    try:
        return json.loads(out or b"null")
    except ValueError:
        return None


def mail_files():
    for root, _, names in os.walk(os.path.join(DATA, "mail")):
        if os.path.basename(root) in ("new", "cur"):
            for n in names:
                yield os.path.join(root, n)


def tracking_paths(email_id):
    """The open pixel's and the first link's paths in the message of email_id."""
    for f in mail_files():
        with open(f, "rb") as fh:
            raw = fh.read().decode("utf-8", "replace")
        if "<hail.%d." % email_id not in raw:
            continue
        text = re.sub(r"=\r?\n", "", raw)
        text = re.sub(r"=([0-9A-F]{2})", lambda m: chr(int(m.group(1), 16)), text)
        o = re.search(r"(/t/o/[A-Za-z0-9_-]+)", text)
        c = re.search(r"(/t/c/[A-Za-z0-9_-]+)", text)
        if o:
            return o.group(1), c.group(1) if c else None
    return None


def wait(what, fn, seconds=60):
    deadline = time.time() + seconds
    while True:
        v = fn()
        if v:
            return v
        if time.time() > deadline:
            raise RuntimeError("demo: gave up waiting for " + what)
        time.sleep(0.2)


def main():
    with open(os.path.join(DATA, "demo-tokens")) as f:
        tokens = dict(line.split() for line in f if line.strip())
    admin = tokens.pop("admin@example.com")
    wait("the server", lambda: request("GET", "/healthz") is not None)
    people = request("GET", "/api/v1/people?limit=200", admin)["data"]
    now = datetime.datetime.now(datetime.timezone.utc)
    sent = []  # (token, person, email id, plan)
    for email, tok in sorted(tokens.items()):
        senders = request("GET", "/api/v1/senders", tok)["data"]
        if not senders:
            raise RuntimeError("demo: %s has no sender (demo_mail.py makes them)" % email)
        mine = [p for p in people if (p.get("owner_email") or "").lower() == email
                and p.get("email")][:len(PLAN)]
        for p, plan in zip(mine, PLAN):
            e = request("POST", "/api/v1/emails", tok, {
                "person_id": p["id"], "sender_id": senders[0]["id"],
                "subject": "Pricing for {{company}}", "body_html": BODY})
            sent.append((tok, p, e["id"], plan))
    found = {}
    for tok, p, eid, (opens, clicks, replies, called) in sent:
        paths = found[eid] = wait("email %d in the maildir" % eid, lambda: tracking_paths(eid))
        for _ in range(opens):
            request("GET", paths[0], ua=CHROME)
        for i in range(replies):
            msg = ("From: %s <%s>\r\nTo: seller@example.com\r\nSubject: Re: Pricing\r\n"
                   "Message-ID: <demo-reply-%d-%d@demo.example>\r\n"
                   "In-Reply-To: <hail.%d.demo@demo.example>\r\n\r\n"
                   "Thanks, this looks good. Can we talk on Thursday?\r\n"
                   % (p.get("first_name") or "", p["email"], eid, i, eid))
            request("POST", "/api/v1/inbound", admin, raw=msg.encode(), ctype="message/rfc822")
        if called:
            at = now - datetime.timedelta(days=3 + 4 * (p["id"] % 5), hours=2)
            request("POST", "/api/v1/calls", tok, {
                "person_id": p["id"], "status": "completed", "duration_s": 240,
                "started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "notes": "Demo call"})
    # A click within 10 s of delivery is a link scanner's (docs/mail.md): a person's
    # comes later.
    time.sleep(11)
    for tok, p, eid, (opens, clicks, replies, called) in sent:
        for _ in range(clicks):
            if found[eid][1]:
                request("GET", found[eid][1], ua=CHROME)
    print("demo: %d emails with opens, clicks, replies and calls (Best Bets, the Live Feed)"
          % len(sent))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, RuntimeError, urllib.error.URLError, KeyError, ValueError) as e:
        print("demo: no engagement demo data: %s" % e, file=sys.stderr)
        sys.exit(1)
