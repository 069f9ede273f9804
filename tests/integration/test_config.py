"""Configuration and options of the `hail` command: bad settings stop hail at
start-up with a message naming them (before it creates or listens on
anything), every HAIL_* variable is documented with its default, global
options work in any position and unknown ones are refused, and a command that
needs a database refuses a data directory that has none instead of creating
one. Also bench/gen_people.py's command line."""
import csv
import glob
import os
import re
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

import harness
from harness import BIN, SRC, FakeMarketo, Hail, free_port

NO_DB = ("hail: no hail database in %s (no hail.db there): check --data or HAIL_DATA; "
         "serve, user add, import and sync create one\n")
MARKETO_ENV = {"HAIL_MARKETO_URL": "http://127.0.0.1:9", "HAIL_MARKETO_CLIENT_ID": "id",
               "HAIL_MARKETO_CLIENT_SECRET": "secret"}


def hail_variables():
    """Every HAIL_* variable name hail's sources mention as a string."""
    names = set()
    for path in glob.glob(os.path.join(SRC, "src", "**", "*.c"), recursive=True):
        with open(path, encoding="utf-8") as f:
            names.update(re.findall(r'"(HAIL_[A-Z0-9_]+)"', f.read()))
    return names


def listening(port):
    with socket.socket() as s:
        s.settimeout(2)
        return s.connect_ex(("127.0.0.1", port)) == 0


class Case(unittest.TestCase):
    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.h.close()

    def usage(self, *args):
        p = self.h.run(*args, "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        return p.stdout


class BadConfigurationTest(Case):
    """Each bad setting: exit 2, the whole message on stderr, nothing created,
    nothing listening."""

    def assertRefused(self, env, message, *args):
        port = free_port()
        cmd = args or ("serve", "--listen", "127.0.0.1:%d" % port)
        e = {"HAIL_LOG_LEVEL": "info"}
        e.update(env)
        p = self.h.run(*cmd, env=e, timeout=30)
        self.assertEqual((p.returncode, p.stderr, p.stdout), (2, "hail: " + message + "\n", ""),
                         (cmd, env))
        self.assertFalse(os.path.exists(self.h.data), "a bad setting created the data directory")
        self.assertFalse(self.h.db_has_tables(), "a bad setting created the database")
        self.assertFalse(listening(port))

    def test_log_level(self):
        msg = "HAIL_LOG_LEVEL must be one of debug, info, warn, error, off, not 'loud'"
        self.assertRefused({"HAIL_LOG_LEVEL": "loud"}, msg)
        # Every command, not only serve.
        self.assertRefused({"HAIL_LOG_LEVEL": "loud"}, msg, "user", "add", "--email",
                           "a@example.com", "--name", "A", "--role", "rep")
        self.assertRefused({"HAIL_LOG_LEVEL": "loud"}, msg, "import", "people", "-")

    def test_db_sync(self):
        msg = "HAIL_DB_SYNC must be full or normal, not 'fast'"
        self.assertRefused({"HAIL_DB_SYNC": "fast"}, msg)
        self.assertRefused({"HAIL_DB_SYNC": "fast"}, msg, "user", "add", "--email",
                           "a@example.com", "--name", "A", "--role", "rep")

    def test_serve_settings(self):
        self.assertRefused({"HAIL_ACCESS_LOG": "no"}, "HAIL_ACCESS_LOG must be on or off, not 'no'")
        self.assertRefused({"HAIL_COOKIE_SECURE": "yes"},
                           "HAIL_COOKIE_SECURE must be 1 (on) or 0 (off), not 'yes'")
        self.assertRefused({"HAIL_THREADS": "lots"},
                           "HAIL_THREADS must be an integer from 1 to 256, not 'lots'")
        self.assertRefused({}, "--threads must be an integer from 1 to 256, not '0'", "serve",
                           "--listen", "127.0.0.1:%d" % free_port(), "--threads", "0")
        # The listen address is parsed before the database is created.
        self.assertRefused({"HAIL_LISTEN": "1.2.3:80"},
                           "listen host '1.2.3' is not an IPv4 address (or localhost); IPv6 goes "
                           "in brackets, as in [::1]:8080", "serve")
        self.assertRefused({}, "listen address '::1:80': an IPv6 address goes in brackets, as in "
                           "[::1]:8080", "serve", "--listen", "::1:80")
        self.assertRefused({"HAIL_TRUSTED_PROXIES": "foo"},
                           "HAIL_TRUSTED_PROXIES: 'foo' is not an IP address or network (give a "
                           "comma-separated list like 10.0.0.1,192.168.0.0/16,fd00::/8)")

    def test_marketo_settings(self):
        cases = [
            ({"HAIL_MARKETO_SYNC_INTERVAL": "abc"},
             "HAIL_MARKETO_SYNC_INTERVAL must be a number of seconds from 0.1 to 604800, not 'abc'"),
            ({"HAIL_MARKETO_SYNC_INTERVAL": "0"},
             "HAIL_MARKETO_SYNC_INTERVAL must be a number of seconds from 0.1 to 604800, not '0'"),
            ({"HAIL_MARKETO_POLL_SECONDS": "soon"},
             "HAIL_MARKETO_POLL_SECONDS must be a number of seconds from 0.001 to 3600, not 'soon'"),
            ({"HAIL_MARKETO_SMART_LIST_ID": "x1"},
             "HAIL_MARKETO_SMART_LIST_ID must be a positive integer, not 'x1'"),
            ({"HAIL_MARKETO_SINCE": "2010-13-45"},
             "HAIL_MARKETO_SINCE must be a date like 2010-01-01, not '2010-13-45'"),
            ({"HAIL_MARKETO_URL": "ftp://example.com"},
             "HAIL_MARKETO_URL must be an http(s) URL such as https://123-ABC-456.mktorest.com, "
             "not 'ftp://example.com'"),
        ]
        for extra, msg in cases:
            with self.subTest(extra):
                self.assertRefused(dict(MARKETO_ENV, **extra), msg)

    def test_partial_marketo_configuration(self):
        for name in ("HAIL_MARKETO_URL", "HAIL_MARKETO_SYNC_INTERVAL"):
            self.assertRefused(
                {name: "300"},
                "%s is set but Marketo is not configured: set HAIL_MARKETO_URL, "
                "HAIL_MARKETO_CLIENT_ID and HAIL_MARKETO_CLIENT_SECRET, or unset %s" % (name, name))

    def test_good_values_in_any_case(self):
        self.h.env.update({"HAIL_LOG_LEVEL": "WARN", "HAIL_DB_SYNC": "NORMAL",
                           "HAIL_ACCESS_LOG": "Off", "HAIL_COOKIE_SECURE": "0",
                           "HAIL_THREADS": "3"})
        self.h.start()
        self.assertEqual(self.h.request("GET", "/healthz").status, 200)
        self.h.stop()
        self.assertEqual(self.h.server_log(), "")  # warn level, no access log


class SyncIntervalLogTest(Case):
    def test_log_names_the_interval(self):
        fake = FakeMarketo()
        try:
            for value, shown in (("300", "300"), ("2.5", "2.5")):
                with self.subTest(value):
                    self.h.start(env=dict(fake.env(HAIL_MARKETO_SYNC_INTERVAL=value),
                                          HAIL_LOG_LEVEL="info"))
                    self.h.stop()
                    log = self.h.server_log()
                    os.unlink(self.h.log_path)
                    lines = [re.sub(r"^\S+Z ", "", l) for l in log.splitlines()]
                    self.assertIn("info  marketo: sync worker started: a sync now, then "
                                  "incremental every %s s" % shown, lines)
                    self.assertNotIn("HAIL_MARKETO_SYNC_INTERVAL", log)
        finally:
            fake.close()


class DocumentedTest(Case):
    def test_every_variable_in_help_and_docs(self):
        names = hail_variables()
        self.assertTrue({"HAIL_DATA", "HAIL_ACCESS_LOG", "HAIL_DB_SYNC",
                         "HAIL_MARKETO_SYNC_INTERVAL"} <= names, names)
        help_lines = self.usage().splitlines()
        with open(os.path.join(SRC, "docs", "cli.md"), encoding="utf-8") as f:
            cli_md = f.read()
        with open(os.path.join(SRC, "README.md"), encoding="utf-8") as f:
            readme = f.read()
        for name in sorted(names):
            with self.subTest(name):
                line = [l for l in help_lines if l.split()[:1] == [name]]
                self.assertEqual(len(line), 1, "%s is not in hail --help" % name)
                self.assertIn("; default ", line[0])
                # A table row naming the variable and a default column.
                row = r"\n\|[^\n]*`%s`[^\n]*\|[^\n]*\S[^\n]*\|\n" % name
                self.assertTrue(re.search(row, cli_md), "%s has no row in docs/cli.md" % name)
                self.assertTrue(re.search(row, readme), "%s has no row in README.md" % name)


class OptionsTest(Case):
    def add_user(self, *extra):
        p = self.h.run("user", "add", "--email", "a@example.com", "--name", "A", "--role",
                       "admin", *extra)
        self.assertEqual(p.returncode, 0, p.stderr)

    def emails(self, *args):
        p = self.h.run(*args)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [l.split()[1] for l in p.stdout.strip().split("\n")[1:]]

    @harness.sqlite_only("--data chooses DIR/hail.db; HAIL_DATABASE_URL names the PostgreSQL database")
    def test_data_after_the_command(self):
        other = os.path.join(self.h.dir, "other")
        self.add_user("--data", other)
        self.assertTrue(os.path.isfile(os.path.join(other, "hail.db")))
        self.assertFalse(os.path.exists(self.h.data))
        self.assertEqual(self.emails("user", "list", "--data", other), ["a@example.com"])
        self.assertEqual(self.emails("user", "list", "--data=" + other), ["a@example.com"])
        self.assertEqual(self.emails("--data", other, "user", "list"), ["a@example.com"])
        self.assertEqual(self.emails("user", "--data", other, "list"), ["a@example.com"])
        p = self.h.run("token", "list", "--data", other, "--email", "a@example.com")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertFalse(os.path.exists(self.h.data))

    def serve(self, *args):
        proc = subprocess.Popen([BIN] + list(args), env=self.h.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        return proc

    def wait_healthy(self, proc, port):
        deadline = time.time() + 30
        while time.time() < deadline:
            if proc.poll() is not None:
                self.fail("hail serve exited: %s" % proc.stderr.read().decode())
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/healthz" % port, timeout=5) as r:
                    return r.status
            except OSError:
                time.sleep(0.05)
        self.fail("hail serve did not start")

    def test_serve_options_in_any_position(self):
        other = os.path.join(self.h.dir, "other")
        for n, order in enumerate([
                lambda l, d: ["serve", "--listen", l, "--data", d],
                lambda l, d: ["--listen", l, "--data", d, "serve"],
                lambda l, d: ["--listen=" + l, "serve", "--data=" + d, "--threads", "2"]]):
            with self.subTest(n):
                port = free_port()
                proc = self.serve(*order("127.0.0.1:%d" % port, other))
                try:
                    self.assertEqual(self.wait_healthy(proc, port), 200)
                    if not harness.POSTGRES:
                        self.assertTrue(os.path.isfile(os.path.join(other, "hail.db")))
                    self.assertFalse(os.path.exists(self.h.data))
                finally:
                    proc.terminate()
                    proc.wait(20)
                    proc.stderr.close()

    def test_unknown_options_are_refused(self):
        self.add_user()
        user_usage = self.usage("user")
        cases = [
            (["user", "list", "--bogus"], "hail: unknown option '--bogus'\n\n" + user_usage),
            (["user", "list", "everyone"], "hail: unexpected argument 'everyone'\n\n" + user_usage),
            (["user", "list", "--data", self.h.data, "--listen", "127.0.0.1:1"],
             "hail: unknown option '--listen'\n\n" + user_usage),
            (["--listen", "127.0.0.1:1", "user", "list"],
             "hail: --listen is an option of 'hail serve', not of 'hail user'\n"),
            (["--threads", "2", "token", "list"],
             "hail: --threads is an option of 'hail serve', not of 'hail token'\n"),
            (["user", "list", "--data"], "hail: --data needs a directory\n"),
            (["--data=", "user", "list"], "hail: --data needs a directory\n"),
        ]
        for args, stderr in cases:
            with self.subTest(args):
                p = self.h.run(*args)
                self.assertEqual((p.returncode, p.stderr, p.stdout), (2, stderr, ""))
        p = self.h.run("--bogus", "user", "list")
        self.assertEqual((p.returncode, p.stderr, p.stdout),
                         (2, "hail: unknown option '--bogus'\n\n" + self.usage(), ""))

    @harness.sqlite_only("a data directory without hail.db; on PostgreSQL the database is named, "
                         "test_database_url covers a missing one")
    def test_commands_that_need_a_database_create_none(self):
        typo = os.path.join(self.h.dir, "typo", "dir")
        empty = os.path.join(self.h.dir, "empty")
        os.makedirs(empty)
        commands = [["user", "list"], ["token", "list"],
                    ["token", "create", "--email", "a@example.com"],
                    ["token", "revoke", "--id", "1"]]
        for d in (typo, empty):
            for args in commands:
                with self.subTest((d, args)):
                    p = self.h.run("--data", d, *args)
                    self.assertEqual((p.returncode, p.stderr, p.stdout), (1, NO_DB % d, ""))
                    p = self.h.run(*args, env={"HAIL_DATA": d})
                    self.assertEqual((p.returncode, p.stderr, p.stdout), (1, NO_DB % d, ""))
        self.assertFalse(os.path.exists(os.path.join(self.h.dir, "typo")))
        self.assertEqual(os.listdir(empty), [])
        # The commands that put data in create it.
        self.add_user("--data", typo)
        self.assertEqual(self.emails("--data", typo, "user", "list"), ["a@example.com"])


class GenPeopleTest(unittest.TestCase):
    GEN = os.path.join(SRC, "bench", "gen_people.py")

    def run_gen(self, *args):
        return subprocess.run([sys.executable, self.GEN] + list(args), capture_output=True,
                              text=True, timeout=120)

    def test_help(self):
        for flag in ("--help", "-h"):
            p = self.run_gen(flag)
            self.assertEqual((p.returncode, p.stderr), (0, ""))
            self.assertTrue(p.stdout.startswith("usage: gen_people.py [-h] N OUT.csv\n\n"
                                                "Writes a realistic Marketo-export CSV"), p.stdout)
            self.assertIn("  N           how many people (rows)\n", p.stdout)
            self.assertNotIn("Traceback", p.stdout)

    def test_usage_errors(self):
        usage = "usage: gen_people.py [-h] N OUT.csv\n"
        for args, err in [
                ([], "the following arguments are required: N, OUT.csv"),
                (["0", "x.csv"], "argument N: must be 1 or more, not 0"),
                (["ten", "x.csv"], "argument N: must be a whole number of people, not 'ten'")]:
            with self.subTest(args):
                p = self.run_gen(*args)
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (2, "", usage + "gen_people.py: error: " + err + "\n"))

    def test_tiny_count(self):
        h = Hail()
        try:
            out = os.path.join(h.dir, "people.csv")
            p = self.run_gen("7", out)
            self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))
            with open(out, encoding="utf-8", newline="") as f:
                rows = list(csv.reader(f))
            self.assertEqual(len(rows), 8)
            self.assertEqual(rows[0][0], "id")
            self.assertEqual([r[0] for r in rows[1:]], [str(i) for i in range(1, 8)])
            self.assertTrue(all(len(r) == 14 for r in rows))
            with open(os.path.join(h.dir, "people.queries"), encoding="utf-8") as f:
                self.assertTrue(f.read().strip())
            # hail imports it as is.
            p = h.run("import", "people", out)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertRegex(p.stdout, r"^imported 7 rows in ")
        finally:
            h.close()


if __name__ == "__main__":
    harness.main()
