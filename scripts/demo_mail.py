#!/usr/bin/env python3
"""`make run`'s mail demo data, made over the REST API once the server answers:
a sender identity per user on the default maildir channel, two shared
templates, a shared campaign with five people starting in a week (day 1 an
automatic email, day 3 a call, day 5 a manual follow-up), two tasks due
today, a few calls logged over the last weeks (the Insight tab's grid) and two
with outcomes (for Reports). Usage: demo_mail.py BASE_URL ADMIN_TOKEN"""
import datetime
import json
import sys
import time
import urllib.error
import urllib.request

BASE, TOKEN = sys.argv[1], sys.argv[2]

FIRST_TOUCH = ('<p>Hi {{first_name | default: "there"}},</p><p>Teams like {{company}} use us to '
               'answer every lead within the hour. <a href="https://example.com/tour">A two-minute '
               'tour</a> shows how.</p><p>Worth a call next week?</p>{{{my_signature}}}')
FOLLOW_UP = ('<p>Hi {{first_name | default: "there"}},</p><p>{{! one line about their news}}</p>'
             '<p>Happy to share what we saw at similar teams.</p>{{{my_signature}}}')


def call(method, path, body=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": "Bearer " + TOKEN,
                                          "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read() or b"null")


def main():
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(BASE + "/healthz", timeout=2).read()
            break
        except (OSError, urllib.error.URLError):
            if time.time() > deadline:
                print("demo: the server did not answer; no demo senders or templates",
                      file=sys.stderr)
                return 1
            time.sleep(0.1)
    for u in call("GET", "/api/v1/users?limit=200")["data"]:
        call("POST", "/api/v1/senders", {"user_id": u["id"], "address": u["email"],
                                         "display_name": u["name"], "channel_id": 1,
                                         "signature_html": "<p>%s<br>Example Inc.</p>" % u["name"]})
    call("POST", "/api/v1/templates", {"name": "First touch", "category": "Prospecting",
                                       "subject": "A question about {{company}}",
                                       "body_html": FIRST_TOUCH, "sharing": "everyone"})
    call("POST", "/api/v1/templates", {"name": "Follow-up", "category": "Prospecting",
                                       "subject": "Re: {{company}}", "body_html": FOLLOW_UP,
                                       "sharing": "everyone"})
    templates = {t["name"]: t["id"] for t in call("GET", "/api/v1/templates")["data"]}
    camp = call("POST", "/api/v1/campaigns", {
        "name": "New lead welcome", "category": "Prospecting", "sharing": "everyone",
        "steps": [{"day": 1, "type": "auto_email", "template_id": templates["First touch"],
                   "send_option": "fixed", "send_time": "09:00"},
                  {"day": 3, "type": "call", "name": "Call about the first email"},
                  {"day": 5, "type": "manual_email", "template_id": templates["Follow-up"],
                   "follow_up": True}]})
    people = call("GET", "/api/v1/people?limit=5")["data"]
    now = datetime.datetime.now(datetime.timezone.utc)
    week = (now + datetime.timedelta(days=7)).strftime("%Y-%m-%dT09:00:00Z")
    call("POST", "/api/v1/campaigns/%d/members" % camp["id"],
         {"person_ids": [p["id"] for p in people], "start_at": week})
    today = now.strftime("%Y-%m-%dT17:00:00Z")
    if people:
        call("POST", "/api/v1/tasks", {"type": "call", "name": "Call back about pricing",
                                       "person_id": people[0]["id"], "due_at": today,
                                       "priority": "high"})
        call("POST", "/api/v1/tasks", {"type": "custom", "name": "Send the case study",
                                       "person_id": people[-1]["id"], "due_at": today})
    # Calls logged over the last nine weeks: the Insight tab's velocity grid has a shape.
    for i, p in enumerate(people[:3]):
        for weeks_ago in (i, 2 + i, 5, 9):
            at = now - datetime.timedelta(weeks=weeks_ago, days=1, hours=i)
            call("POST", "/api/v1/calls", {"person_id": p["id"], "status": "completed",
                                           "started_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                                           "duration_s": 180 + 60 * i})
    # two calls logged, so Reports shows calls by outcome from the start
    outcomes = {o["name"]: o["id"] for o in call("GET", "/api/v1/call-outcomes")["data"]}
    for p, outcome in zip(people[1:3], ("Meeting booked", "Left voicemail")):
        call("POST", "/api/v1/calls", {"person_id": p["id"], "outcome_id": outcomes[outcome],
                                       "status": "completed", "notes": "Demo call"})
    return 0


if __name__ == "__main__":
    sys.exit(main())
