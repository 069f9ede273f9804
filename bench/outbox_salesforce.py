#!/usr/bin/env python3
"""salesforce_out_per_s: the Salesforce outbox end to end from the activity log (issue 11).

Usage: python3 bench/outbox_salesforce.py HAIL_BINARY [--activities N]

N email_send activities of people with a Salesforce lead id are written to a fresh SQLite
database, then `hail serve` starts with the fake Salesforce (tests/fake/fake_salesforce.py,
daily limit out of reach, per-field Task checks off: the 200-record cap, the external-id
matching and the contract checks stay on) and the clock runs until the outbox's cursor is
past the last activity. The figure is activities per second over that time (start-up
included). Checks: the fake holds exactly N Tasks, one per Hail_Activity_Id__c, and saw no
contract violation. Target: >= 10,000/s. bench/outbox.py imports run(hail_bin, n).
"""
import argparse
import os
import sqlite3
import sys
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)


def _harness(hail_bin):
    os.environ["HAIL_BIN"] = os.path.abspath(hail_bin)
    os.environ.setdefault("HAIL_SRC", ROOT)
    os.environ["HAIL_TEST_ENGINE"] = "sqlite"
    path = os.path.join(ROOT, "tests", "integration")
    if path not in sys.path:
        sys.path.insert(0, path)
    import harness  # noqa: E402
    return harness


def run(hail_bin, n):
    """Activities per second the Salesforce outbox moves from the log into the fake."""
    harness = _harness(hail_bin)
    fake = harness.FakeSalesforce("--daily-limit", "1000000000")
    h = None
    try:
        fake.config(check_fields=False)
        lead = fake.seed(leads=[{"LastName": "Bench", "Company": "Acme"}])["leads"][0]
        h = harness.Hail(env=fake.env())
        h.add_user("rep@example.com", "Rita Rep", "rep")
        now = int(time.time() * 1e6)
        c = sqlite3.connect(h.db_path)
        with c:
            c.execute("INSERT INTO people (marketo_id, email, first_name, last_name, active,"
                      " sfdc_lead_id, created_at, updated_at)"
                      " VALUES (1, 'p@x.example', 'Pat', 'Doe', 1, ?, 0, 0)", (lead,))
            pid = c.execute("SELECT id FROM people").fetchone()[0]
            uid = c.execute("SELECT id FROM users").fetchone()[0]
            c.executemany("INSERT INTO activities (type, person_id, user_id, occurred_at, attrs,"
                          " created_at) VALUES ('email_send', ?, ?, ?, '{}', ?)",
                          ((pid, uid, now, now) for _ in range(n)))
            last = c.execute("SELECT max(id) FROM activities").fetchone()[0]
        t0 = time.monotonic()
        h.start()
        while True:
            row = c.execute("SELECT pos_id FROM log_cursors WHERE consumer = 'salesforce'").fetchone()
            if row and row[0] >= last:
                break
            if time.monotonic() - t0 > 600:
                raise AssertionError("the outbox did not drain in 600 s: " + h.server_log())
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        c.close()
        st = fake.stats()
        if st["tasks"] != n or st["violations"]:
            raise AssertionError("the fake holds %d Tasks for %d activities; violations %s"
                                 % (st["tasks"], n, st["violations"][:3]))
        return n / elapsed
    finally:
        if h is not None:
            h.close()
        fake.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("hail")
    ap.add_argument("--activities", type=int, default=100000)
    a = ap.parse_args()
    print("load average at start: %.2f" % os.getloadavg()[0], flush=True)
    v = run(a.hail, a.activities)
    print("load average at end: %.2f" % os.getloadavg()[0], flush=True)
    print("salesforce_out_per_s=%.0f (target >= 10000: %s)" % (v, "met" if v >= 10000 else "NOT met"))


if __name__ == "__main__":
    main()
