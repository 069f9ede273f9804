"""The database target (--database / HAIL_DATABASE_URL) gone wrong: an unreachable
server, a wrong password, a missing database, a database of another application, a
URL libpq cannot parse. Each is one whole line on stderr and a non-zero exit, never a
crash, and the password appears nowhere: not in stdout, stderr, the server's log,
nor `--help` (even when HAIL_DATABASE_URL holds one).

The cases that need a PostgreSQL server use the test cluster (HAIL_TEST_PG_URL,
tests/pg/pg_start.sh) and run in the PostgreSQL pass; the role hailpw signs in with a
password over 127.0.0.1 (scram-sha-256 in the cluster's pg_hba.conf)."""
import os
import sqlite3
import unittest

import harness
import pg
from harness import Hail, free_port

SECRET = "Pw-s3cret-9f2c"          # never printed
RIGHT = "Right-pw-7d1e"            # hailpw's real password (never printed either)
ROLE = "hailpw"
COMMANDS = [
    ["user", "list"],
    ["user", "add", "--email", "a@example.com", "--name", "A", "--role", "rep"],
    ["token", "list"],
]

# Once, in the PostgreSQL pass (the target is explicit: the engine of the pass
# does not matter).
needs_pg = unittest.skipUnless(harness.POSTGRES, "needs the test PostgreSQL: runs in the PostgreSQL pass")


def cluster_url(user=None, password=None, database="postgres"):
    """A URL on the test cluster's TCP address (127.0.0.1:PORT)."""
    url = pg.with_database(harness.PG_URL, database)
    return pg.with_user(url, user, password) if user else url


def redacted(url):
    """The URL as hail prints it: the password replaced by ***."""
    return url.replace(":" + SECRET + "@", ":***@").replace(":" + RIGHT + "@", ":***@")


class Case(unittest.TestCase):
    def setUp(self):
        self.h = Hail()
        # The target comes from each case, not from the harness.
        self.h.env.pop("HAIL_DATABASE_URL", None)

    def tearDown(self):
        self.h.close()

    def assertRefused(self, target, message, commands=COMMANDS, secrets=(SECRET,)):
        """Every command, with the target as --database and as HAIL_DATABASE_URL:
        exit 1, nothing on stdout, exactly `hail: message` on stderr, no secret."""
        for args in commands:
            for how in ("flag", "env"):
                with self.subTest(args=args, how=how):
                    if how == "flag":
                        p = self.h.run("--database", target, *args, input="", timeout=60)
                    else:
                        p = self.h.run(*args, env={"HAIL_DATABASE_URL": target}, input="", timeout=60)
                    self.assertEqual((p.returncode, p.stdout, p.stderr),
                                     (1, "", "hail: " + message + "\n"))
                    for s in secrets:
                        self.assertNotIn(s, p.stdout + p.stderr)
        # The server says the same and serves nothing; even its debug log holds no secret.
        for level in ("warn", "debug"):
            p = self.h.run("serve", "--listen", "127.0.0.1:%d" % free_port(),
                           env={"HAIL_DATABASE_URL": target, "HAIL_LOG_LEVEL": level}, timeout=60)
            if level == "warn":
                self.assertEqual((p.returncode, p.stdout, p.stderr), (1, "", "hail: " + message + "\n"))
            else:
                self.assertEqual((p.returncode, p.stderr.splitlines()[-1:]), (1, ["hail: " + message]))
            for s in secrets:
                self.assertNotIn(s, p.stdout + p.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.h.data, "hail.db")),
                         "a PostgreSQL target made a SQLite database")


class UnreachableTest(Case):
    def test_connection_refused(self):
        port = free_port()  # nothing listens there
        url = "postgresql://hail:%s@127.0.0.1:%d/hail" % (SECRET, port)
        self.assertRefused(url, "cannot connect to the database %s: connection refused" % redacted(url))

    def test_postgres_scheme_too(self):
        port = free_port()
        url = "postgres://hail:%s@127.0.0.1:%d/hail" % (SECRET, port)
        self.assertRefused(url, "cannot connect to the database %s: connection refused" % redacted(url),
                           commands=[["user", "list"]])

    def test_unparsable_url_does_not_print_the_password(self):
        url = "postgresql://hail:%s@127.0.0.1:notaport/hail" % SECRET
        p = self.h.run("--database", url, "user", "list", timeout=60)
        self.assertEqual((p.returncode, p.stdout), (1, ""), p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
        self.assertTrue(p.stderr.startswith("hail: cannot connect to the database "
                                            "postgresql://hail:***@127.0.0.1:notaport/hail: "), p.stderr)
        self.assertNotIn(SECRET, p.stderr)


@harness.sqlite_only("SQLite targets (the PostgreSQL pass runs the PostgreSQL ones)")
class SqliteTargetTest(Case):
    def test_not_a_database(self):
        path = os.path.join(self.h.dir, "garbage.db")
        with open(path, "w") as f:
            f.write("this is not a SQLite database, only some text in a file\n" * 4)
        self.assertRefused(path, "cannot use database %s: file is not a database" % path, secrets=())
        with open(path) as f:
            self.assertTrue(f.read().startswith("this is not a SQLite database"))  # untouched

    def test_directory_missing(self):
        path = os.path.join(self.h.dir, "no", "such", "dir", "hail.db")
        self.assertRefused(path, "cannot open database %s: unable to open database file" % path,
                           secrets=())
        self.assertFalse(os.path.exists(os.path.join(self.h.dir, "no")))

    def test_file_of_another_application(self):
        path = os.path.join(self.h.dir, "other.db")
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        c.execute("INSERT INTO customers VALUES (1, 'Ada')")
        c.commit()
        c.close()
        self.assertRefused(path, "%s holds tables of another application (schema version 0); "
                                 "use a new file" % path, secrets=())
        # Untouched: its table and row, and nothing of hail's.
        c = sqlite3.connect(path)
        self.assertEqual(c.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall(),
                         [("customers",)])
        self.assertEqual(c.execute("SELECT id, name FROM customers").fetchall(), [(1, "Ada")])
        c.close()

    def test_empty_target(self):
        for p in (self.h.run("--database", "", "user", "list"),
                  self.h.run("--database=", "user", "list")):
            self.assertEqual((p.returncode, p.stdout, p.stderr),
                             (2, "", "hail: --database needs a PostgreSQL URL or a SQLite path\n"))


class HelpTest(Case):
    def test_help_never_shows_the_password(self):
        url = "postgresql://hail:%s@127.0.0.1:%d/hail" % (SECRET, free_port())
        for args in (["--help"], ["-h"], ["serve", "--help"], ["user", "--help"], ["sync", "--help"]):
            with self.subTest(args):
                p = self.h.run(*args, env={"HAIL_DATABASE_URL": url})
                self.assertEqual(p.returncode, 0, p.stderr)
                self.assertNotIn(SECRET, p.stdout + p.stderr)
        p = self.h.run("--help")
        self.assertIn("--database", p.stdout)
        self.assertIn("HAIL_DATABASE_URL", p.stdout)


@needs_pg
class ServerSideTest(Case):
    """Refusals that need a PostgreSQL server to say no."""

    @classmethod
    def setUpClass(cls):
        # hailpw: a role with a password (pg_hba.conf: scram-sha-256 on 127.0.0.1).
        pg.psql(harness.PG_URL, "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '%s')"
                                " THEN CREATE ROLE %s LOGIN; END IF; END $$" % (ROLE, ROLE))
        pg.psql(harness.PG_URL, "ALTER ROLE %s PASSWORD '%s'" % (ROLE, RIGHT))

    def test_wrong_password(self):
        url = cluster_url(ROLE, SECRET)
        self.assertRefused(url, 'cannot connect to the database %s: password authentication failed '
                                'for user "%s"' % (redacted(url), ROLE), secrets=(SECRET, RIGHT))

    def test_wrong_password_in_key_value_form(self):
        host, port = pg.host_port(harness.PG_URL)
        target = "host=%s port=%d user=%s password=%s dbname=postgres" % (host, port, ROLE, SECRET)
        self.assertRefused(target, 'cannot connect to the database host=%s port=%d user=%s '
                                   'password=*** dbname=postgres: password authentication failed '
                                   'for user "%s"' % (host, port, ROLE, ROLE),
                           commands=[["user", "list"]], secrets=(SECRET, RIGHT))

    def test_right_password_works_and_is_not_logged(self):
        name, _ = pg.create_database(harness.PG_URL, prefix="hail_pw_")
        try:
            pg.psql(harness.PG_URL, 'ALTER DATABASE "%s" OWNER TO %s' % (name, ROLE))
            url = cluster_url(ROLE, RIGHT, name)
            self.h.env["HAIL_DATABASE_URL"] = url
            self.h.env["HAIL_LOG_LEVEL"] = "debug"
            p = self.h.run("user", "add", "--email", "a@example.com", "--name", "A", "--role", "admin")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertNotIn(RIGHT, p.stdout + p.stderr)
            self.h.start()
            self.assertEqual(self.h.request("GET", "/healthz").status, 200)
            p = self.h.run("user", "list")
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertIn("a@example.com", p.stdout)
            self.h.stop()
            self.assertNotIn(RIGHT, self.h.server_log())
        finally:
            self.h.stop()
            pg.drop_database(harness.PG_URL, name)

    def test_missing_database(self):
        name = "hail_missing_" + os.urandom(4).hex()
        url = cluster_url(ROLE, SECRET, name)
        # The password is checked first: a wrong one says so, whatever the database.
        self.assertRefused(url, 'cannot connect to the database %s: password authentication failed '
                                'for user "%s"' % (redacted(url), ROLE), commands=[["user", "list"]],
                           secrets=(SECRET, RIGHT))
        url = cluster_url(database=name)
        self.assertRefused(url, 'cannot connect to the database %s: database "%s" does not exist'
                           % (url, name))

    def test_database_of_another_application(self):
        name, url = pg.create_database(harness.PG_URL, prefix="other_app_")
        try:
            pg.psql(url, "CREATE TABLE customers (id integer PRIMARY KEY, name text);"
                         " INSERT INTO customers VALUES (1, 'Ada')")
            self.assertRefused(url, "%s holds tables of another application (no hail_schema table); "
                                    "use an empty database" % url)
            # Untouched: its table and row, and nothing of hail's.
            self.assertEqual(pg.query(url, "SELECT id, name FROM customers"), [(1, "Ada")])
            self.assertEqual(pg.query(url, "SELECT table_name FROM information_schema.tables"
                                           " WHERE table_schema = 'public' ORDER BY 1"), [("customers",)])
        finally:
            pg.drop_database(harness.PG_URL, name)


if __name__ == "__main__":
    harness.main()
