#!/usr/bin/env python3
"""Saved filters' people page (issue 11; docs/outbox.md "Filters and
triggers"): GET /api/v1/filters/{id}/people?limit=50 under each driver.
Prints

    filter_template_p99_ms=… filter_window_p99_ms=… filter_people_p99_ms=…
    filter_next_page_p99_ms=…

The dataset is written straight into a migrated SQLite database (its own,
smaller than bench/insight.py's 1M / 20M, which has no templates on its
activities; built each run, not cached):
- 10 reps (rep0…rep9@example.com) in one team, and an admin;
- PEOPLE people (default 100,000), person i owned by rep (i % 10);
- PER_PERSON activities each (default 20) over the 26 weeks before now, in time
  order, each person's spread across the log (person of activity n:
  ((n / 20) * 7919 + n) mod PEOPLE + 1, so every rep's people get every kind);
  kinds by n % 20 as in bench/insight.py (sends, opens — a fifth machine —,
  clicks with a link, replies, bounces, calls, campaign adds); emails carry one
  of 50 templates ((n / 7) % 50 + 1);
- no ANALYZE (hail runs none).
The filters (each saved by the admin and shared), measured as rep0 (a tenth
of the people) and as the admin, 100 sequential requests each on one
keep-alive connection after a warm-up:
- template: opened template 7 in the last 7 days, human only, and did not click
  in the last 30 days (drives from activities_template);
- window: clicked in the last 3 days (activities_time);
- people: at least 2 calls ever and no bounce in the last 90 days (the people
  in id order, a probe each);
- next page: the template filter's second page (?after=).
Checks: each filter's first page as rep0 agrees with the same filter
computed in Python from the database.

Usage: python3 bench/filters.py HAIL [--people N] [--per-person K]
"""
import argparse
import http.client
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import die, log  # noqa: E402

REPS = 10
DAY_US = 86400 * 1000000
KINDS = ([("email_send", 0)] * 6 + [("email_open", 0)] * 4 + [("email_open", 1)] +
         [("email_click", 0)] * 2 + [("email_reply", 0), ("email_bounce", 0), ("call", 0),
                                     ("call", 0), ("campaign_add", 0), ("email_send", 0),
                                     ("email_open", 0)])


def case(col):
    return "CASE n % 20 " + " ".join(
        "WHEN %d THEN %s" % (i, "'%s'" % k[col] if isinstance(k[col], str) else k[col])
        for i, k in enumerate(KINDS)) + " END"


def build(hail, env, people, per_person, now):
    def run(*a):
        subprocess.run([hail] + list(a), capture_output=True, env=env, check=True,
                       input=b"bench password 123\n")
    run("user", "add", "--email", "admin@example.com", "--name", "Admin", "--role", "admin")
    for r in range(REPS):
        run("user", "add", "--email", "rep%d@example.com" % r, "--name", "Rep %d" % r, "--role",
            "rep", "--team", "Sales")
    db = sqlite3.connect(os.path.join(env["HAIL_DATA"], "hail.db"), timeout=60)
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-500000")
    db.execute(
        "INSERT INTO people (id, marketo_id, first_name, last_name, email, owner_email, active,"
        " created_at, updated_at) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c"
        " WHERE i < ?) SELECT i, i, 'First' || i, 'Last' || i, 'p' || i || '@x.example',"
        " 'rep' || (i % ?) || '@example.com', 1, 0, 0 FROM c", (people, REPS))
    idx = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                     " AND tbl_name = 'activities' AND sql IS NOT NULL").fetchall()
    for name, _ in idx:
        db.execute("DROP INDEX " + name)
    trig = db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
                      " AND tbl_name = 'activities'").fetchall()
    for name, _ in trig:
        db.execute("DROP TRIGGER " + name)
    total = people * per_person
    span = 26 * 7 * DAY_US
    email = "n % 20 NOT IN (14, 15, 16)"  # not calls or campaign adds
    db.execute(
        "INSERT INTO activities (type, person_id, template_id, occurred_at, machine, attrs,"
        " created_at, owner) WITH RECURSIVE c(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM c"
        " WHERE n < ?) SELECT " + case(0) + ", ((n / 20) * 7919 + n) % ? + 1, CASE WHEN " +
        email + " THEN (n / 7) % 50 + 1 END, ? + n * ? / ?, " + case(1) + ", CASE WHEN n % 20 IN (11, 12)"
        " THEN '{\"link\":\"https://x.example/' || (n % 20) || '\"}' ELSE '{}' END, 0,"
        " 'rep' || ((((n / 20) * 7919 + n) % ? + 1) % ?) || '@example.com' FROM c",
        (total - 1, people, now - span, span, total, people, REPS))
    for _, sql in idx:
        db.execute(sql)
    for _, sql in trig:
        db.execute(sql)
    db.commit()
    db.close()


def p99(xs):
    xs = sorted(xs)
    return xs[max(0, int(len(xs) * 0.99 + 0.5) - 1)]


def get(conn, path, token):
    t0 = time.perf_counter()
    conn.request("GET", path, headers={"Authorization": "Bearer " + token})
    r = conn.getresponse()
    body = r.read()
    return r.status, body, (time.perf_counter() - t0) * 1000


def measure(conn, path, tokens, what):
    for t in tokens[:5]:
        get(conn, path, t)
    ms = []
    for i in range(100):
        st, body, t = get(conn, path, tokens[i % len(tokens)])
        if st != 200:
            die("%s: %d %s" % (what, st, body[:300]))
        ms.append(t)
    v = p99(ms)
    log("%s: p99 %.2f ms, p50 %.2f ms" % (what, v, sorted(ms)[50]))
    return v


def expected(dbpath, now, owner, cond):
    """The first 50 of rep0's people meeting cond(counts) from the database."""
    db = sqlite3.connect("file:%s?mode=ro" % dbpath, uri=True)
    rows = db.execute("SELECT a.person_id, a.type, a.template_id, a.occurred_at, a.machine"
                      " FROM activities a JOIN people p ON p.id = a.person_id"
                      " WHERE lower(p.owner_email) = ?", (owner,)).fetchall()
    db.close()
    by = {}
    for pid, t, tid, at, m in rows:
        by.setdefault(pid, []).append((t, tid, at, m))
    return sorted(pid for pid, acts in by.items() if cond(acts, now))[:50]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--people", type=int, default=100000)
    ap.add_argument("--per-person", type=int, default=20)
    args = ap.parse_args()
    hail = os.path.abspath(args.hail)
    log("machine: %s, load average %.2f at start" % (benchlib.MACHINE, os.getloadavg()[0]))
    d = tempfile.mkdtemp(prefix="hail-bench-filters-")
    env = dict(os.environ, HAIL_DATA=os.path.join(d, "var"), HAIL_ACCESS_LOG="off",
               HAIL_LOG_LEVEL="warn")
    for k in list(env):
        if k.startswith("HAIL_MARKETO_") or k in ("HAIL_DATABASE_URL", "HAIL_LISTEN", "HAIL_DB_SYNC",
                                                  "HAIL_CLOCK_FILE"):
            del env[k]
    proc = None
    try:
        os.makedirs(env["HAIL_DATA"])
        now = int(time.time() * 1000000)
        t0 = time.monotonic()
        build(hail, env, args.people, args.per_person, now)
        log("dataset: %d people, %d activities in %.1f s" % (
            args.people, args.people * args.per_person, time.monotonic() - t0))
        tok = {}
        for who in ("admin@example.com", "rep0@example.com"):
            r = subprocess.run([hail, "token", "create", "--email", who], capture_output=True,
                               text=True, env=env, check=True)
            tok[who] = r.stdout.strip().splitlines()[-1]
        port = benchlib.free_port()
        lf = open(os.path.join(d, "server.log"), "wb")
        proc = subprocess.Popen([hail, "serve", "--listen", "127.0.0.1:%d" % port], env=env,
                                stdout=lf, stderr=subprocess.STDOUT)
        benchlib.wait_http("http://127.0.0.1:%d/healthz" % port, timeout=120, proc=proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        admin, rep0 = tok["admin@example.com"], tok["rep0@example.com"]
        # Every person has one activity of each n % 20 slot (7 sends, 6 opens — one
        # machine —, 2 clicks, a reply, a bounce, 2 calls, a campaign add), at random
        # times: the windows and templates are what tell people apart.
        filters = {
            "template": ({"conditions": [{"type": "email_open", "template_id": 7, "within_days": 7,
                                          "human_only": True},
                                         {"type": "email_click", "within_days": 30,
                                          "negate": True}]},
                         lambda a, now: any(t == "email_open" and tid == 7 and m == 0
                                            and at >= now - 7 * DAY_US for t, tid, at, m in a)
                         and not any(t == "email_click" and at >= now - 30 * DAY_US
                                     for t, _, at, _ in a)),
            "window": ({"conditions": [{"type": "email_click", "within_days": 3}]},
                       lambda a, now: any(t == "email_click" and at >= now - 3 * DAY_US
                                          for t, _, at, _ in a)),
            "people": ({"conditions": [{"type": "call", "min_count": 2},
                                       {"type": "email_bounce", "within_days": 90,
                                        "negate": True}]},
                       lambda a, now: sum(t == "call" for t, _, _, _ in a) >= 2
                       and not any(t == "email_bounce" and at >= now - 90 * DAY_US
                                   for t, _, at, _ in a)),
        }
        ids, firsts = {}, {}
        for name, (definition, cond) in filters.items():
            body = json.dumps({"name": name, "shared": True, "definition": definition})
            conn.request("POST", "/api/v1/filters", body=body,
                         headers={"Authorization": "Bearer " + admin,
                                  "Content-Type": "application/json"})
            r = conn.getresponse()
            j = json.loads(r.read())
            if r.status != 201:
                die("create %s: %d %s" % (name, r.status, j))
            ids[name] = j["id"]
            st, body, _ = get(conn, "/api/v1/filters/%d/people?limit=50" % j["id"], rep0)
            page = json.loads(body)
            got = [p["id"] for p in page["data"]]
            want = expected(os.path.join(env["HAIL_DATA"], "hail.db"),
                            int(time.time() * 1000000), "rep0@example.com", cond)
            if st != 200 or got != want:
                die("filter %s as rep0: got %s…, want %s…" % (name, got[:5], want[:5]))
            firsts[name] = page["next"]
            log("check: filter %s: rep0's first page agrees with the database (%d people)"
                % (name, len(got)))
        out = {}
        for name in filters:
            path = "/api/v1/filters/%d/people?limit=50" % ids[name]
            out[name] = max(measure(conn, path, [rep0], "%s as rep0" % name),
                            measure(conn, path, [admin], "%s as admin" % name))
        if firsts["template"]:
            out["next"] = measure(conn, "/api/v1/filters/%d/people?limit=50&after=%d" % (
                ids["template"], firsts["template"]), [rep0], "template next page as rep0")
        else:
            out["next"] = None
        conn.close()
        print("filter_template_p99_ms=%.2f filter_window_p99_ms=%.2f filter_people_p99_ms=%.2f"
              " filter_next_page_p99_ms=%s" % (
                  out["template"], out["window"], out["people"],
                  "%.2f" % out["next"] if out["next"] is not None else "n/a"))
        log("load average %.2f at the end" % os.getloadavg()[0])
    finally:
        if proc:
            proc.terminate()
            proc.wait(60)
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    main()
