"""Helpers for the scheduler's integration tests (test_scheduler.py,
test_campaign_crash.py): a hail on a test clock (HAIL_CLOCK_FILE), a rep
with a sender on the maildir channel, a template, people, and campaigns with
their steps and members written straight into the database (the members as
the campaigns API leaves them: active, next_due_at set)."""
import datetime
import email
import email.policy
import os
import time

from harness import Hail, wait_for  # noqa: F401 (wait_for: for the scheduler tests)

UTC = datetime.timezone.utc


def us(iso):
    """An RFC 3339 UTC time ("2027-03-01T09:00:00Z") as epoch µs."""
    return int(datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
               .timestamp()) * 1000000


def iso(us_):
    return datetime.datetime.fromtimestamp(us_ // 1000000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ClockHail(Hail):
    """A Hail whose "now" is the time in its clock file (set_clock moves it)."""

    def __init__(self, start, env=None, **kw):
        e = {"HAIL_PUBLIC_URL": "https://hail.example", "HAIL_ACCESS_LOG": "off"}
        e.update(env or {})
        super().__init__(env=e, **kw)
        self.clock = os.path.join(self.dir, "clock")
        self.env["HAIL_CLOCK_FILE"] = self.clock
        self.set_clock(start)

    def set_clock(self, when):
        """Moves the clock (written to a temp file renamed over it: atomic)
        and, when the server runs, waits until it has read it (it re-reads
        the file at most every 200 ms), so that a request made next sees the
        new time."""
        tmp = self.clock + ".tmp"
        with open(tmp, "w") as f:
            f.write(when + "\n")
        os.replace(tmp, self.clock)
        self.now = when
        if self.proc is not None:
            time.sleep(0.3)


def seed_rep(h, people):
    """A rep with a sender on channel 1 (maildir), a template, and people
    [(marketo_id, first_name, email)] imported. Returns (user_id, sender_id,
    template_id, {marketo_id: person_id})."""
    h.add_user("rep@example.com", "Rita Rep", "rep")
    uid = h.sql_value("SELECT id FROM users WHERE email = 'rep@example.com'")
    path = os.path.join(h.dir, "people.csv")
    with open(path, "w") as f:
        f.write("id,firstName,lastName,email,leadOwnerEmailAddress\n")
        for mid, first, addr in people:
            f.write("%d,%s,Lee,%s,rep@example.com\n" % (mid, first, addr))
    h.run("import", "people", path, check=True)
    ids = {r[0]: r[1] for r in h.sql("SELECT marketo_id, id FROM people")}
    h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at, updated_at)"
          " VALUES (?, 'rita@sales.example.com', 'Rita Rep', 1, 0, 0)", uid)
    sender = h.sql_value("SELECT max(id) FROM senders")
    h.sql("INSERT INTO templates (owner_id, name, subject, body_html, sharing, commercial,"
          " created_at, updated_at) VALUES (?, 'Intro', 'Hello {{first_name}}',"
          " '<p>Hi {{first_name}}, see <a href=\"https://example.com/case\">our case study</a>.</p>',"
          " 'private', 1, 0, 0)", uid)
    tmpl = h.sql_value("SELECT max(id) FROM templates")
    return uid, sender, tmpl, ids


def add_campaign(h, owner, steps, name="Spring", **settings):
    """A campaign; steps: [(day, type, template_id, send_option, send_time, follow_up)]."""
    cols = ["owner_id", "name", "sharing", "time_zone", "created_at", "updated_at"]
    vals = [owner, name, "private", settings.pop("time_zone", "UTC"), 0, 0]
    for k, v in settings.items():
        cols.append(k)
        vals.append(v)
    h.sql("INSERT INTO campaigns (%s) VALUES (%s)" % (", ".join(cols), ", ".join("?" * len(vals))),
          *vals)
    cid = h.sql_value("SELECT max(id) FROM campaigns")
    for pos, (day, kind, tmpl, option, at, follow) in enumerate(steps):
        h.sql("INSERT INTO campaign_steps (campaign_id, position, day, type, template_id,"
              " send_option, send_time, follow_up) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
              cid, pos, day, kind, tmpl, option, at, follow)
    return cid


def add_members(h, campaign, person_ids, start, due):
    """Members started at start (µs) whose first step is due at due (µs)."""
    for p in person_ids:
        h.sql("INSERT INTO campaign_members (campaign_id, person_id, status, start_at, next_due_at,"
              " created_at, updated_at) VALUES (?, ?, 'active', ?, ?, ?, ?)",
              campaign, p, start, due, start, start)
    return {r[0]: r[1] for r in h.sql("SELECT person_id, id FROM campaign_members"
                                        " WHERE campaign_id = ?", campaign)}




def maildir(h):
    """{email_id: message} of the maildir channel's delivered files."""
    new = os.path.join(h.data, "mail", "1", "new")
    out = {}
    if not os.path.isdir(new):
        return out
    for name in os.listdir(new):
        with open(os.path.join(new, name), "rb") as f:
            out[int(name.split(".")[1])] = email.message_from_binary_file(
                f, policy=email.policy.default)
    return out


def maildir_ids(h):
    """The email ids of the maildir channel's delivered files (names only)."""
    new = os.path.join(h.data, "mail", "1", "new")
    return [int(n.split(".")[1]) for n in os.listdir(new)] if os.path.isdir(new) else []
