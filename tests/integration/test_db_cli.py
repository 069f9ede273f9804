"""`hail db check` and `hail db copy --to URL` (cli/cmd_db.c, store/dbadmin.c):
the report and its problems on either engine; a SQLite database copied into an
empty PostgreSQL one (ids kept, an API token working there, sequences past
the ids, the counts checked), a non-empty target refused, bad targets refused
without printing a password. The copy needs a PostgreSQL cluster
(HAIL_TEST_PG_URL): without one those tests skip, saying so."""
import os
import re
import unittest

import harness
import pg
from harness import POSTGRES, PG_URL, Hail, postgres_only, sqlite_only

HEADER = ("id,firstName,lastName,email,phone,title,company,leadSource,linkedInProfileURL,"
          "sfdcLeadId,sfdcContactId,sfdcAccountId,sfdcOpptyId,leadOwnerEmailAddress\n")
PEOPLE = (HEADER +
          "1,Ada,Lovelace,ada@example.com,,Countess,Analytical,Web,,,,001A,,rep@example.com\n"
          "2,Alan,Turing,alan@example.com,,,Bletchley,,,,,001A,006X,rep@example.com\n"
          "3,Grace,Hopper,grace@example.com,,,Navy,,,,,001B,,rep@example.com\n"
          "4,Edsger,Dijkstra,ed@example.com,,,,,,,,,,\n")

# The tables of the schema in the order the copy takes them: a table after
# those it refers to, otherwise by name.
COPY_ORDER = ["account_companies", "activities", "best_bets", "blocked_domains", "call_outcomes",
              "call_reasons", "caller_ids", "channels", "dialer_events", "holidays", "inbound_messages",
              "kv", "leases", "log_cursors", "login_failures", "outbox_batches", "outbox_retry",
              "outbox_skips", "people", "people_search", "people_unsubscribed",
              "sfdc_task_deletes", "sync_runs", "teams", "unsubscribes", "users", "voicemail_drops",
              "api_tokens", "calls", "filters", "senders", "sessions", "tasks", "team_members", "templates",
              "triggers", "webhook_deliveries",
              "campaigns", "emails", "template_favorites", "trigger_fires",
              "campaign_members", "campaign_steps", "email_attachments"]


def fill(h):
    """An admin with a token, a rep in a team, four people (two accounts)."""
    h.add_user("admin@example.com", "Admin", "admin", password="a long password")
    h.add_user("rep@example.com", "Rep", "rep", team="East")
    token = h.token("admin@example.com")
    path = os.path.join(h.dir, "people.csv")
    with open(path, "w") as f:
        f.write(PEOPLE)
    r = h.run("import", "people", path)
    assert r.returncode == 0, r.stderr
    return token


def check_lines(h, **problems):
    """The lines `hail db check` prints when all is well, with problems[check] in
    place of a check's "ok" (and the verdict counting them)."""
    version = h.schema_version()
    checks = (["schema", "foreign keys", "sequences"] if POSTGRES
              else ["schema", "integrity", "foreign keys"]) + ["account counts", "search keys"]
    lines = ["database: %s" % h.db_target,
             "engine: %s" % ("postgresql" if POSTGRES else "sqlite"),
             "schema version: %d (this hail: %d)" % (version, version)]
    lines += ["%s: %s" % (c, problems.get(c.replace(" ", "_"), "ok")) for c in checks]
    n = len(problems)
    lines.append("check: ok" if not n else "check: %d problem%s" % (n, "" if n == 1 else "s"))
    return "\n".join(lines) + "\n"


class DbCheck(unittest.TestCase):
    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.h.close()

    def test_a_sound_database_passes(self):
        fill(self.h)
        r = self.h.run("db", "check")
        self.assertEqual((r.returncode, r.stdout, r.stderr), (0, check_lines(self.h), ""))

    def test_problems_are_named_one_line_each(self):
        fill(self.h)
        self.h.sql("DELETE FROM account_companies WHERE account_id = '001B'")
        self.h.sql("DROP INDEX sessions_expires")
        self.h.sql("INSERT INTO people_search (key, person_id) VALUES ('zzz', 999999)")
        problems = dict(
            schema="1 missing: index sessions_expires",
            account_counts="1 account/company count differs from people",
            search_keys="1 search key of people missing or inactive")
        if POSTGRES:
            self.h.sql("INSERT INTO users (id, email, name, role, active, created_at, updated_at)"
                       " VALUES (500, 'x@example.com', 'X', 'rep', 1, 0, 0)")
            problems["sequences"] = "behind their ids: users (largest id 500, sequence at 2)"
        else:
            # sqlite3's connections do not enforce foreign keys: a broken reference.
            self.h.sql("INSERT INTO api_tokens (id, user_id, token_hash, prefix, created_at)"
                       " VALUES (77, 999, x'00', 'x', 0)")
            problems["foreign_keys"] = ("1 row with a broken reference (first: table api_tokens"
                                        " row 77 refers to a missing users row)")
        r = self.h.run("db", "check")
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (1, check_lines(self.h, **problems), ""))

    @sqlite_only("a data directory without hail.db")
    def test_no_database_is_an_error_and_creates_nothing(self):
        r = self.h.run("db", "check")
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertEqual(r.stderr, "hail: no hail database in %s (no hail.db there): check --data or "
                         "HAIL_DATA; serve, user add, import and sync create one\n" % self.h.data)
        self.assertFalse(os.path.exists(self.h.data))

    def test_usage(self):
        r = self.h.run("db")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("hail: db needs a command: check or copy\n\nUsage: hail db check\n"),
                        r.stderr)
        r = self.h.run("db", "fix")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("hail: unknown db command 'fix'\n\nUsage: hail db check\n"),
                        r.stderr)
        r = self.h.run("db", "check", "--deep")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("hail: unknown option '--deep'\n\nUsage: hail db check\n"),
                        r.stderr)
        r = self.h.run("db", "--help")
        self.assertEqual((r.returncode, r.stderr), (0, ""))
        self.assertTrue(r.stdout.startswith("Usage: hail db check\n       hail db copy --to URL\n"))


@unittest.skipUnless(PG_URL, "hail db copy needs a PostgreSQL cluster: HAIL_TEST_PG_URL is not set")
class DbCopy(unittest.TestCase):
    def setUp(self):
        self.h = Hail()
        self.target, self.url = pg.create_database(PG_URL, prefix="hail_copy_")

    def tearDown(self):
        self.h.close()
        pg.drop_database(PG_URL, self.target)

    @sqlite_only("the source of a copy is a SQLite database")
    def test_copy_then_the_copy_is_hail(self):
        token = fill(self.h)
        counts = {t: self.h.sql_value('SELECT count(*) FROM "%s"' % t) for t in COPY_ORDER}
        self.assertEqual(set(counts), self.h.tables())
        r = self.h.run("db", "copy", "--to", self.url)
        total = sum(counts.values())
        self.assertEqual((r.returncode, r.stdout),
                         (0, "copied %d rows in %d tables; row counts verified\n"
                          % (total, len(COPY_ORDER))), r.stderr)
        lines = r.stderr.splitlines()
        self.assertEqual(lines[0], "copy: %s -> %s" % (self.h.db_path, self.url))
        self.assertEqual(lines[1:-1], ["copy: %s %d/%d" % (t, counts[t], counts[t])
                                       for t in COPY_ORDER])
        self.assertRegex(lines[-1], r"^copy: done in \d+\.\d s$")

        # The target is hail's: same rows, same ids; the copy checks out.
        q = lambda sql: pg.query(self.url, sql)  # noqa: E731
        self.assertEqual([tuple(r) for r in q("SELECT id, email, role FROM users ORDER BY id")],
                         [tuple(r) for r in self.h.sql("SELECT id, email, role FROM users ORDER BY id")])
        self.assertEqual([tuple(r) for r in q("SELECT id, marketo_id, company FROM people ORDER BY id")],
                         [tuple(r) for r in self.h.sql("SELECT id, marketo_id, company FROM people"
                                                       " ORDER BY id")])
        node = Hail(database=self.url)
        try:
            r = node.run("db", "check")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("\nsequences: ok\naccount counts: ok\nsearch keys: ok\ncheck: ok\n", r.stdout)
            # The token made on SQLite works against PostgreSQL; new rows get new ids.
            node.start()
            res = node.request("GET", "/api/v1/people?q=ada", token=token)
            self.assertEqual(res.status, 200)
            self.assertEqual([p["id"] for p in res.json["data"]], [1])
            res = node.request("GET", "/api/v1/accounts/001A", token=token)
            self.assertEqual((res.status, res.json["people_count"]), (200, 2))
            r = node.run("user", "add", "--email", "new@example.com", "--name", "New", "--role", "rep")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(pg.query(self.url, "SELECT id FROM users WHERE email = 'new@example.com'")[0][0],
                             counts["users"] + 1)
        finally:
            node.close()

    @sqlite_only("the source of a copy is a SQLite database")
    def test_a_target_with_rows_is_refused_and_left_alone(self):
        fill(self.h)
        r = self.h.run("db", "copy", "--to", self.url)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.h.run("db", "copy", "--to", self.url)
        n = self.h.sql_value("SELECT count(*) FROM account_companies")
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertEqual(r.stderr.splitlines()[-1],
                         "hail: the target database is not empty (table account_companies has %d rows);"
                         " copy needs an empty database" % n)
        self.assertEqual(pg.query(self.url, "SELECT count(*) FROM users")[0][0], 2)

    @sqlite_only("the source of a copy is a SQLite database")
    def test_a_failed_copy_leaves_the_target_empty(self):
        fill(self.h)
        # Text PostgreSQL refuses (not UTF-8), in a table after others were copied.
        self.h.sql("UPDATE people SET title = CAST(x'ff' AS TEXT) WHERE id = 4")
        r = self.h.run("db", "copy", "--to", self.url)
        self.assertEqual((r.returncode, r.stdout), (1, ""), r.stderr)
        self.assertRegex(r.stderr.splitlines()[-1], r"^hail: .*(UTF8|UTF-8|encoding)")
        self.assertEqual(pg.query(self.url, "SELECT count(*) FROM people")[0][0], 0)
        self.assertEqual(pg.query(self.url, "SELECT count(*) FROM users")[0][0], 0)

    def test_bad_targets_never_print_the_password(self):
        fill(self.h)
        r = self.h.run("db", "copy", "--to", os.path.join(self.h.dir, "other.db"))
        if POSTGRES:
            self.assertEqual((r.returncode, r.stdout, r.stderr),
                             (2, "", "hail: hail db copy reads a SQLite database (--data or "
                              "--database), not %s\n" % self.h.db_target))
            return
        self.assertEqual((r.returncode, r.stdout, r.stderr),
                         (2, "", "hail: --to must name a PostgreSQL database (postgres://… or "
                          "key=value), not '%s'\n" % os.path.join(self.h.dir, "other.db")))
        r = self.h.run("db", "copy", "postgresql://hail:s3cret@127.0.0.1:1/x")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("hail: unexpected argument 'postgresql://hail:***@127.0.0.1:1/x'"
                                            " (the target goes after --to)\n\nUsage: hail db check\n"),
                        r.stderr)
        r = self.h.run("db", "copy", "--to", "postgresql://hail:s3cret@127.0.0.1:1/x")
        self.assertEqual((r.returncode, r.stdout), (1, ""))
        self.assertNotIn("s3cret", r.stderr)
        self.assertEqual(r.stderr.splitlines()[0], "copy: %s -> postgresql://hail:***@127.0.0.1:1/x"
                         % self.h.db_path)
        self.assertTrue(r.stderr.splitlines()[-1].startswith(
            "hail: cannot connect to the database postgresql://hail:***@127.0.0.1:1/x: "), r.stderr)
        r = self.h.run("db", "copy", "--to")
        self.assertEqual(r.returncode, 2)
        self.assertTrue(r.stderr.startswith("hail: db copy needs --to URL (the empty PostgreSQL database)\n"),
                        r.stderr)


if __name__ == "__main__":
    harness.main()
