"""Sales email rows for the tracking and unsubscribe tests (not a test file).

Until the send queue makes emails over the API, the tests insert what they
need with h.sql() (either engine), and compute the recipients' tokens as
hail does: base64url(email id: 8 bytes | link: 2 bytes | HMAC-SHA256(key,
kind | email id | link)) with the install's key from kv 'track.key'."""
import base64
import hashlib
import hmac
import json
import time

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c"
                    "00000000010001000002024401003b")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def now_us():
    return int(time.time() * 1000000)


class Mail:
    """People, a sender and emails in h's database."""

    def __init__(self, h, user_email):
        self.h = h
        self.user_id = h.sql_value("SELECT id FROM users WHERE email = ?", user_email)
        assert self.user_id, user_email
        self.n = 0
        h.sql("INSERT INTO senders (user_id, address, display_name, channel_id, created_at, updated_at)"
              " VALUES (?, ?, 'Rep', 1, 0, 0)", self.user_id, "rep-%d@example.com" % self.user_id)
        self.sender_id = h.sql_value("SELECT max(id) FROM senders")

    def person(self, email=None):
        self.n += 1
        mid = 900000 + self.n + 1000 * self.user_id
        email = email or "person%d@example.org" % mid
        self.h.sql("INSERT INTO people (marketo_id, email, active, created_at, updated_at)"
                   " VALUES (?, ?, 1, 0, 0)", mid, email)
        return self.h.sql_value("SELECT id FROM people WHERE marketo_id = ?", mid)

    def email(self, person_id=None, links=(), status="sent", sent_ago_s=3600.0, subject="Hello"):
        person_id = person_id or self.person()
        to = self.h.sql_value("SELECT email FROM people WHERE id = ?", person_id)
        sent_at = now_us() - int(sent_ago_s * 1000000) if status not in ("draft", "scheduled") else None
        self.h.sql("INSERT INTO emails (person_id, user_id, sender_id, channel_id, status, to_address,"
                   " to_domain, subject, body_html, links, sent_at, created_at, updated_at)"
                   " VALUES (?, ?, ?, 1, ?, ?, ?, ?, '<p>hi</p>', ?, ?, 0, 0)",
                   person_id, self.user_id, self.sender_id, status, to, to.split("@")[1], subject,
                   json.dumps(list(links)), sent_at)
        return self.h.sql_value("SELECT max(id) FROM emails")


def key(h):
    """The install's tracking key (hail makes it on first use: ask once)."""
    v = h.sql_value("SELECT value FROM kv WHERE key = 'track.key'")
    if v is None:
        h.request("GET", "/t/o/x")
        v = h.sql_value("SELECT value FROM kv WHERE key = 'track.key'")
    return bytes.fromhex(v)


def token(k, kind, email_id, link=0):
    payload = email_id.to_bytes(8, "big") + link.to_bytes(2, "big")
    mac = hmac.new(k, kind.encode() + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()
