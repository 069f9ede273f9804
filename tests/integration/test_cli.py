"""The `hail` command line: help and usage errors, users and tokens, CSV
import (all or nothing, line-numbered errors, idempotence, null handling),
schema versions, and how the data directory is chosen."""
import http.client
import json
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
import unittest

import harness
from harness import BIN, Hail, free_port

HEADER = ("id,firstName,lastName,email,phone,title,company,leadSource,linkedInProfileURL,"
          "sfdcLeadId,sfdcContactId,sfdcAccountId,sfdcOpptyId,leadOwnerEmailAddress\n")
GOOD = (HEADER +
        "1,Ada,Lovelace,ada@example.com,,Countess,Analytical,Web,,,,001A,,rep@example.com\n"
        "2,Alan,Turing,alan@example.com,,,Bletchley,,,,,001A,006X,rep@example.com\n"
        "3,Grace,Hopper,grace@example.com,,,Navy,,,,,,,\n")


class CliCase(unittest.TestCase):
    def setUp(self):
        self.h = Hail()

    def tearDown(self):
        self.h.close()

    def hail(self, *args, **kw):
        return self.h.run(*args, **kw)

    def write(self, name, content):
        path = os.path.join(self.h.dir, name)
        mode = "wb" if isinstance(content, bytes) else "w"
        with open(path, mode) as f:
            f.write(content)
        return path

    def people(self):
        """(marketo_id, first_name, last_name, title, owner_email, active) by Marketo id."""
        if not self.h.db_has_tables():
            return []
        return list(self.h.sql("SELECT marketo_id, first_name, last_name, title, owner_email,"
                               " active FROM people ORDER BY marketo_id"))

    def assertUsage(self, p, message, cmd=None):
        """A usage error, whole: exit 2, nothing on stdout, and on stderr the
        message line, then (cmd given: the command words, () for hail itself)
        a blank line and that command's help. message None: the help alone."""
        want = "" if message is None else message + "\n"
        if cmd is not None:
            help_text = self.hail(*cmd, "--help").stdout
            self.assertTrue(help_text.startswith("Usage:") or help_text.startswith("hail"), cmd)
            want = (want + "\n" if want else "") + help_text
        self.assertEqual((p.returncode, p.stdout, p.stderr), (2, "", want))

    def assertFails(self, p, rc, message):
        """A failed command, whole: its exit status, nothing on stdout and
        exactly this one message line on stderr."""
        self.assertEqual((p.returncode, p.stdout, p.stderr), (rc, "", message + "\n"))

    def assertApiError(self, r, status, code, message):
        self.assertEqual((r.status, r.json), (status, {"error": {"code": code, "message": message}}),
                         r)


class HelpTest(CliCase):
    def test_global_help(self):
        for args in (["--help"], ["-h"], ["help"]):
            p = self.hail(*args)
            self.assertEqual(p.returncode, 0, p.stderr)
            for word in ("serve", "user", "token", "import", "sync", "--data", "HAIL_DATA"):
                self.assertIn(word, p.stdout, args)
        p = self.hail("--version")
        self.assertEqual(p.returncode, 0)
        self.assertRegex(p.stdout.strip(), r"^hail \d+\.\d+\.\d+$")
        # Help never creates a data directory.
        self.assertFalse(os.path.exists(self.h.data))

    def test_command_help(self):
        expect = {
            "serve": ["--listen", "--threads"],
            "user": ["add", "list", "passwd", "deactivate", "--email", "--name", "--role", "--team",
                     "--password-stdin"],
            "token": ["create", "revoke", "list", "--email", "--id", "--name"],
            "import": ["people", "FILE", "id", "leadOwnerEmailAddress"],
            "sync": ["marketo", "--full"],
        }
        for cmd, words in expect.items():
            for flag in ("--help", "-h"):
                p = self.hail(cmd, flag)
                self.assertEqual(p.returncode, 0, (cmd, p.stdout, p.stderr))
                for w in words:
                    self.assertIn(w, p.stdout, (cmd, w))
        self.assertFalse(self.h.db_has_tables())

    def test_serve_fails_fast_on_a_busy_or_bad_address(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        try:
            port = busy.getsockname()[1]
            p = self.hail("serve", "--listen", "127.0.0.1:%d" % port, timeout=30)
            # libmicrohttpd's own line names the port (it said "port 0") and the reason.
            self.assertEqual(p.returncode, 1, p.stderr)
            self.assertEqual(p.stdout, "")
            lines = p.stderr.splitlines()
            self.assertEqual(len(lines), 2, p.stderr)
            self.assertRegex(lines[0], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z warn  http: Failed "
                                       r"to bind to port %d: Address already in use$" % port)
            self.assertEqual(lines[1], "hail: cannot listen on 127.0.0.1:%d (address in use, not on "
                                       "this machine, or not permitted)" % port)
        finally:
            busy.close()
        for addr, message in [
                ("nonsense", "hail: listen address 'nonsense' must be HOST:PORT, e.g. "
                             "127.0.0.1:8080, [::1]:8080 or [::]:8080"),
                ("127.0.0.1:99999", "hail: bad port in listen address '127.0.0.1:99999' "
                                    "(0 to 65535)"),
                ("example.com:80", "hail: listen host 'example.com' is not an IPv4 address (or "
                                   "localhost); IPv6 goes in brackets, as in [::1]:8080")]:
            self.assertFails(self.hail("serve", "--listen", addr, timeout=30), 2, message)

    def test_usage_errors_exit_2(self):
        self.assertUsage(self.hail("frobnicate"), "hail: unknown command 'frobnicate'", ())
        self.assertUsage(self.hail("--bogus", "user", "list"), "hail: unknown option '--bogus'", ())
        self.assertUsage(self.hail(), None, ())
        self.assertUsage(self.hail("serve", "--nope"), "hail: unknown option '--nope'", ("serve",))
        self.assertUsage(self.hail("user"), None, ("user",))
        self.assertUsage(self.hail("user", "frob"), "hail: unknown user command 'frob'", ("user",))
        self.assertUsage(self.hail("user", "add", "--bogus", "x"), "hail: unknown option '--bogus'",
                         ("user",))
        self.assertUsage(self.hail("user", "add", "--email", "a@example.com"),
                         "hail: user add needs --email, --name and --role", ("user",))
        self.assertUsage(self.hail("user", "add", "--name", "A", "--role", "rep", "--email"),
                         "hail: --email needs a value")
        self.assertUsage(self.hail("token"), None, ("token",))
        self.assertUsage(self.hail("token", "create"), "hail: token create needs --email",
                         ("token",))
        self.assertUsage(self.hail("token", "frob"), "hail: unknown token command 'frob'",
                         ("token",))
        self.assertUsage(self.hail("token", "revoke", input=""),
                         "hail: no token on standard input (or use --id N)")
        self.assertUsage(self.hail("token", "revoke", "--id", "abc"),
                         "hail: --id must be a positive integer")
        self.assertUsage(self.hail("token", "list", "--bogus"), "hail: unknown option '--bogus'",
                         ("token",))
        self.assertUsage(self.hail("import"), None, ("import",))
        # These printed the help alone, without saying what was wrong.
        self.assertUsage(self.hail("import", "people"), "hail: import people needs a FILE",
                         ("import",))
        self.assertUsage(self.hail("import", "accounts", "x.csv"),
                         "hail: unknown import source 'accounts'", ("import",))
        self.assertUsage(self.hail("import", "people", "a.csv", "b.csv"),
                         "hail: unexpected argument 'b.csv'", ("import",))
        self.assertUsage(self.hail("serve", "--threads", "0"),
                         "hail: --threads must be an integer from 1 to 256, not '0'")
        self.assertFalse(self.people())


class UsersTokensTest(CliCase):
    def test_user_add_and_list(self):
        p = self.hail("user", "add", "--email", "boss@example.com", "--name", "Big Boss",
                      "--role", "admin", "--password-stdin", input="boss-password\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("boss@example.com", p.stdout)
        self.hail("user", "add", "--email", "rep@example.com", "--name", "Rita Rep", "--role",
                  "rep", "--team", "East", check=True)
        self.hail("user", "add", "--email=mgr@example.com", "--name=Max", "--role=manager",
                  "--team=East", check=True)
        p = self.hail("user", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.rstrip("\n").split("\n")
        self.assertEqual(lines[0].split(), ["ID", "EMAIL", "NAME", "ROLE", "ACTIVE", "TEAMS"])
        self.assertEqual(len(lines), 4)
        rows = {l.split()[1]: l for l in lines[1:]}
        self.assertEqual(set(rows), {"boss@example.com", "rep@example.com", "mgr@example.com"})
        self.assertRegex(rows["boss@example.com"], r"^1\s+boss@example\.com\s+Big Boss\s+admin\s+yes\s*$")
        self.assertRegex(rows["rep@example.com"], r"Rita Rep\s+rep\s+yes\s+East$")
        self.assertRegex(rows["mgr@example.com"], r"Max\s+manager\s+yes\s+East$")
        # Columns line up under the header.
        col = lines[0].index("ROLE")
        for l in lines[1:]:
            self.assertRegex(l[col:], r"^(admin|manager|rep)\b")

    def test_user_add_errors(self):
        self.hail("user", "add", "--email", "a@example.com", "--name", "A", "--role", "rep",
                  check=True)
        p = self.hail("user", "add", "--email", "A@example.com", "--name", "A2", "--role", "rep")
        self.assertFails(p, 1, "hail: a user with email A@example.com already exists")
        for args, message in [
                (["--email", "bad", "--name", "B", "--role", "rep"],
                 "hail: 'bad' is not a valid email address"),
                (["--email", "b@example.com", "--name", "B", "--role", "boss"],
                 "hail: role must be admin, manager or rep, not 'boss'"),
                (["--email", "b@example.com", "--name", "", "--role", "rep"],
                 "hail: name must be 1 to 200 characters, not 0"),
                # Was "name is required" for a name that was there, only too long.
                (["--email", "b@example.com", "--name", "\u00e9" * 201, "--role", "rep"],
                 "hail: name must be 1 to 200 characters, not 201"),
                (["--email", "b@example.com", "--name", "B", "--role", "rep", "--team", ""],
                 "hail: team name must be 1 to 100 characters, not 0")]:
            self.assertFails(self.hail("user", "add", *args), 2, message)
        p = self.hail("user", "add", "--email", "b@example.com", "--name", "B", "--role", "rep",
                      "--password-stdin", input="short\n")
        self.assertFails(p, 2, "hail: password must be at least 8 characters")
        p = self.hail("user", "add", "--email", "b@example.com", "--name", "B", "--role", "rep",
                      "--password-stdin", input="")
        self.assertFails(p, 2, "hail: --password-stdin: no password on standard input")
        p = self.hail("user", "list")
        self.assertEqual(len(p.stdout.strip().split("\n")), 2, p.stdout)

    def test_token_create_prints_the_token_last(self):
        self.h.add_user("rep@example.com", "Rep", "rep")
        p = self.hail("token", "create", "--email", "rep@example.com", "--name", "ci")
        self.assertEqual(p.returncode, 0, p.stderr)
        lines = p.stdout.rstrip("\n").split("\n")
        token = lines[-1]
        self.assertRegex(token, r"^hail_[A-Za-z0-9_-]{43}$")
        self.assertNotIn(token, p.stderr)
        p2 = self.hail("token", "create", "--email", "REP@example.com")
        self.assertEqual(p2.returncode, 0, p2.stderr)
        self.assertNotEqual(p2.stdout.strip().split("\n")[-1], token)
        # The list shows the tokens but never their secret.
        p = self.hail("token", "list")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertNotIn(token, p.stdout)
        self.assertIn(token[:12], p.stdout)
        self.assertIn("ci", p.stdout)
        self.assertEqual(len(p.stdout.strip().split("\n")), 3)
        # The token works against the server.
        self.h.start()
        try:
            r = self.h.request("GET", "/api/v1/me", token=token)
            self.assertEqual(r.status, 200, r)
            self.assertEqual(r.json["email"], "rep@example.com")
        finally:
            self.h.stop()
        p = self.hail("token", "create", "--email", "ghost@example.com")
        self.assertFails(p, 1, "hail: no user with email ghost@example.com")


class UserTokenCommandsTest(CliCase):
    """user passwd / deactivate, token revoke without the secret in argv, and
    control characters in user-supplied strings escaped in listings."""
    PW = "rep-password-123"
    NEW = "new-rep-password-9"

    def setUp(self):
        super().setUp()
        self.h.add_user("admin@example.com", "Admin", "admin", password="admin-password-1")
        self.h.add_user("rep@example.com", "Rep", "rep", password=self.PW)

    def tearDown(self):
        self.h.stop()
        super().tearDown()

    def login(self, email, pw):
        return self.h.request("POST", "/api/v1/session", {"email": email, "password": pw})

    def test_user_passwd_reads_stdin_and_ends_sessions(self):
        self.h.start()
        r = self.login("rep@example.com", self.PW)
        self.assertEqual(r.status, 201, r)
        cookie = r.header("Set-Cookie").split(";")[0]
        p = self.hail("user", "passwd", "rep@example.com", input=self.NEW + "\n")
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (0, "password changed for rep@example.com; their sessions were ended\n", ""))
        self.assertApiError(self.h.request("GET", "/api/v1/me", headers={"Cookie": cookie}),
                            401, "unauthorized", "session expired or signed out")
        self.assertApiError(self.login("rep@example.com", self.PW),
                            401, "unauthorized", "wrong email or password")
        self.assertEqual(self.login("rep@example.com", self.NEW).status, 201)
        for args, inp, rc, err in [
            (["rep@example.com"], "short\n", 2, "hail: password must be at least 8 characters\n"),
            (["rep@example.com"], "x" * 1025 + "\n", 2,
             "hail: password must be at most 1024 characters\n"),
            (["rep@example.com"], "x" * 5000 + "\n", 2,
             "hail: password must be at most 1024 characters\n"),
            (["rep@example.com"], "", 2, "hail: no password given (type it at the prompt or give "
                                         "it on the first line of standard input)\n"),
            (["ghost@example.com"], self.NEW + "\n", 1, "hail: no user with email ghost@example.com\n"),
            (["rep@example.com", "Secret-Pw-In-Argv"], "", 2,
             "hail: user passwd takes one EMAIL; a password is never an argument (it is read from "
             "standard input or a prompt)\n"),
            ([], "", 2, None),
        ]:
            p = self.hail("user", "passwd", *args, input=inp)
            self.assertEqual((p.returncode, p.stdout), (rc, ""), args)
            if err is not None:
                self.assertEqual(p.stderr, err, args)
            else:
                self.assertUsage(p, "hail: user passwd needs an EMAIL", ("user",))
        self.assertEqual(self.login("rep@example.com", self.NEW).status, 201)

    def test_user_passwd_prompts_without_echo_on_a_terminal(self):
        master, slave = os.openpty()
        proc = subprocess.Popen([BIN, "user", "passwd", "rep@example.com"], stdin=slave,
                                stdout=subprocess.PIPE, stderr=slave, env=self.h.env)
        os.close(slave)
        seen = b""

        def read_until(marker, timeout=20):
            # select() with a deadline: a read on the master can block for
            # good (e.g. when the pty became this session's terminal).
            nonlocal seen
            deadline = time.time() + timeout
            while (marker is None or marker not in seen) and time.time() < deadline:
                if not select.select([master], [], [], 0.2)[0]:
                    if marker is None and proc.poll() is not None:
                        break
                    continue
                try:
                    chunk = os.read(master, 1024)
                except OSError:
                    break
                if not chunk:
                    break
                seen += chunk
            if marker is not None:
                self.assertIn(marker, seen)

        try:
            read_until(b"New password for rep@example.com: ")
            os.write(master, (self.NEW + "\n").encode())
            read_until(b"Repeat it: ")
            os.write(master, (self.NEW + "\n").encode())
            out, _ = proc.communicate(timeout=30)
            read_until(None, timeout=5)
        finally:
            if proc.poll() is None:
                proc.kill()
            os.close(master)
        self.assertEqual(proc.returncode, 0, seen)
        self.assertEqual(out, b"password changed for rep@example.com; their sessions were ended\n")
        self.assertNotIn(self.NEW.encode(), seen)  # never echoed
        self.h.start()
        self.assertEqual(self.login("rep@example.com", self.NEW).status, 201)

    def test_user_deactivate(self):
        tok = self.h.token("rep@example.com")
        self.h.start()
        r = self.login("rep@example.com", self.PW)
        cookie = r.header("Set-Cookie").split(";")[0]
        p = self.hail("user", "deactivate", "REP@example.com")
        self.assertEqual((p.returncode, p.stderr), (0, ""))
        self.assertEqual(p.stdout, "deactivated user 2: REP@example.com; their sessions were ended "
                                   "and their API tokens revoked\n")
        self.assertApiError(self.h.request("GET", "/api/v1/me", token=tok),
                            401, "unauthorized", "invalid or revoked API token")
        self.assertApiError(self.h.request("GET", "/api/v1/me", headers={"Cookie": cookie}),
                            401, "unauthorized", "session expired or signed out")
        self.assertApiError(self.login("rep@example.com", self.PW),
                            401, "unauthorized", "wrong email or password")
        lines = self.hail("user", "list").stdout.splitlines()
        self.assertRegex(lines[2], r"^2\s+rep@example\.com\s+Rep\s+rep\s+no\s*$")
        p = self.hail("user", "deactivate", "admin@example.com")
        self.assertEqual((p.returncode, p.stdout, p.stderr),
                         (2, "", "hail: cannot demote or deactivate the last admin\n"))
        p = self.hail("user", "deactivate", "ghost@example.com")
        self.assertEqual((p.returncode, p.stderr), (1, "hail: no user with email ghost@example.com\n"))
        self.assertUsage(self.hail("user", "deactivate"), "hail: user deactivate needs an EMAIL",
                         ("user",))
        self.assertUsage(self.hail("user", "deactivate", "--force", "a@example.com"),
                         "hail: unknown option '--force'", ("user",))

    def test_token_revoke_never_takes_the_secret_in_argv(self):
        tok = self.h.token("rep@example.com")
        p = self.hail("token", "revoke", tok)
        self.assertEqual((p.returncode, p.stdout), (2, ""))
        self.assertEqual(p.stderr, "hail: token revoke does not take the token as an argument (ps "
                                   "and shell history would show it); give it on standard input "
                                   "(hail token revoke - < file) or revoke by id (hail token revoke "
                                   "--id N; hail token list shows ids)\n")
        self.assertNotIn(tok, p.stderr)
        self.h.start()
        self.assertEqual(self.h.request("GET", "/api/v1/me", token=tok).status, 200)
        # From standard input: "-" or nothing; blanks around it are forgiven.
        p = self.hail("token", "revoke", "-", input="  %s \n" % tok)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "revoked\n", ""))
        self.assertApiError(self.h.request("GET", "/api/v1/me", token=tok),
                            401, "unauthorized", "invalid or revoked API token")
        tok2 = self.h.token("rep@example.com")
        p = self.hail("token", "revoke", input=tok2)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "revoked\n", ""))
        self.assertApiError(self.h.request("GET", "/api/v1/me", token=tok2),
                            401, "unauthorized", "invalid or revoked API token")
        for args, inp, rc, err in [
            (["-"], "", 2, "hail: no token on standard input (or use --id N)\n"),
            ([], "\n", 2, "hail: no token on standard input (or use --id N)\n"),
            (["-"], "x" * 500, 2, "hail: that is not an API token (too long)\n"),
            (["-"], tok2 + "\n", 1, "hail: no such active token\n"),
            (["-"], "hail_nope\n", 1, "hail: no such active token\n"),
            (["--id", "3", "-"], tok2, 2, "hail: token revoke takes either --id N or a token on "
                                          "standard input, not both\n"),
            (["--id", "0"], "", 2, "hail: --id must be a positive integer\n"),
            (["--id", ""], "", 2, "hail: --id must be a positive integer\n"),
            (["--id", "99"], "", 1, "hail: no active token with id 99\n"),
        ]:
            p = self.hail("token", "revoke", *args, input=inp)
            self.assertEqual((p.returncode, p.stdout, p.stderr), (rc, "", err), args)
        # By id.
        tok3 = self.h.token("rep@example.com")
        tid = [t["id"] for t in self.h.request("GET", "/api/v1/tokens", token=tok3).json["data"]
               if tok3.startswith(t["prefix"])][0]
        p = self.hail("token", "revoke", "--id", str(tid))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "revoked\n", ""))
        self.assertApiError(self.h.request("GET", "/api/v1/me", token=tok3),
                            401, "unauthorized", "invalid or revoked API token")

    def test_listings_escape_control_characters(self):
        admin = self.h.token("admin@example.com")
        rep = self.h.token("rep@example.com")
        self.h.start()
        evil_token = "x\u001b]0;pwned\u0007\u001b[2J"
        evil_name = "Eve\u001b[31m\r\nfake line\u009b2J\\"
        evil_email = "eve@example.com"  # emails are printable ASCII (the API refuses others)
        evil_team = "T\u0007eam\u007f"
        r = self.h.request("POST", "/api/v1/tokens", {"name": evil_token}, token=rep)
        self.assertEqual(r.status, 201, r)
        r = self.h.request("POST", "/api/v1/teams", {"name": evil_team}, token=admin)
        self.assertEqual(r.status, 201, r)
        team_id = r.json["id"]
        r = self.h.request("POST", "/api/v1/users", {"email": evil_email, "name": evil_name,
                                                      "role": "rep", "teams": [team_id]},
                           token=admin)
        self.assertEqual(r.status, 201, r)
        uid = r.json["id"]

        p = subprocess.run([BIN, "user", "list"], capture_output=True, env=self.h.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode("utf-8")
        want = "%-5d %-32s %-24s %-8s %-6s %s" % (
            uid, "eve@example.com", "Eve\\x1b[31m\\r\\nfake line\\xc2\\x9b2J\\\\",
            "rep", "yes", "T\\x07eam\\x7f")
        self.assertIn(want, out.splitlines())
        self.assertEqual(len(out.splitlines()), 4)
        self.assertNoControls(p.stdout)

        p = subprocess.run([BIN, "token", "list", "--email", "rep@example.com"],
                           capture_output=True, env=self.h.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = p.stdout.decode("utf-8")
        t = [t for t in self.h.request("GET", "/api/v1/tokens", token=rep).json["data"]
             if t["name"] == evil_token][0]
        want = "%-5d %-32s %-14s %-20s %-21s %-21s %s" % (
            t["id"], "rep@example.com", t["prefix"], "x\\x1b]0;pwned\\x07\\x1b[2J",
            t["created_at"], "-", "-")
        self.assertIn(want, out.splitlines())
        self.assertNoControls(p.stdout)

    def assertNoControls(self, raw):
        bad = [c for c in raw.decode("utf-8") if (ord(c) < 0x20 and c != "\n") or
               0x7f <= ord(c) <= 0x9f]
        self.assertEqual(bad, [], raw)


class ImportTest(CliCase):
    def import_(self, content, name="people.csv"):
        return self.hail("import", "people", self.write(name, content))

    def test_success_summary(self):
        p = self.import_(GOOD)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertRegex(p.stdout, r"imported 3 rows in [\d.]+ s: 3 new, 0 updated, 0 unchanged, "
                                   r"0 deactivated")
        self.assertEqual([(r[0], r[1], r[5]) for r in self.people()],
                         [(1, "Ada", 1), (2, "Alan", 1), (3, "Grace", 0)])

    def test_import_is_idempotent(self):
        self.assertEqual(self.import_(GOOD).returncode, 0)
        before = self.people()
        p = self.import_(GOOD)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("3 rows", p.stdout)
        self.assertIn("0 new, 0 updated, 3 unchanged, 0 deactivated", p.stdout)
        self.assertEqual(self.people(), before)
        # One changed row, one new: only they are touched.
        p = self.import_(GOOD.replace("Countess", "Mathematician") +
                         "4,Edsger,Dijkstra,ed@example.com,,,,,,,,,,rep@example.com\n")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("1 new, 1 updated, 2 unchanged, 0 deactivated", p.stdout)
        # Standard input works as FILE "-".
        p = self.hail("import", "people", "-", input=GOOD)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("0 new, 1 updated, 2 unchanged", p.stdout)

    def test_null_literal_and_quoted_null(self):
        csv = ("id,firstName,lastName,title,company,leadOwnerEmailAddress\n"
               '1,Nul,null,"null",,rep@example.com\n'
               '2,"null",Quoted,NULL,"",null\n')
        p = self.import_(csv)
        self.assertEqual(p.returncode, 0, p.stderr)
        rows = self.people()
        # Unquoted null is null; quoted "null" is the text; other spellings are text.
        self.assertEqual(rows[0], (1, "Nul", None, "null", "rep@example.com", 1))
        self.assertEqual(rows[1], (2, "null", "Quoted", "NULL", None, 0))

    def assertRejected(self, content, errors, name="bad.csv"):
        """The import fails with exit 1, prints exactly the given per-line
        messages (whole lines, after the file name) and writes nothing."""
        before = self.people()
        p = self.import_(content, name)
        self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
        path = os.path.join(self.h.dir, name)
        got = [l for l in p.stderr.splitlines() if " info " not in l]
        want = ["%s: %s" % (path, e) for e in errors]
        n = len(errors)
        if all(e.startswith("line 1: ") for e in errors):  # the header: no row was read
            want.append("hail: nothing was imported")
        else:
            want.append("hail: %s; nothing was imported" % ("1 bad row" if n == 1 else
                                                            "%d bad rows" % n))
        self.assertEqual(got, want)
        self.assertNotIn("imported 0 rows", p.stdout)
        self.assertEqual(self.people(), before)
        return p

    def test_malformed_files_import_nothing(self):
        cases = [
            ("unterminated quote", GOOD + '4,"Bob,Builder,bob@example.com,,,,,,,,,,rep@example.com\n',
             ["line 5: quoted field not closed at end of input"]),
            ("wrong field count", HEADER + "1,Ada,Lovelace\n" + GOOD.split("\n", 1)[1],
             ["line 2: 3 fields, the header has 14"]),
            ("too many fields", GOOD + "4,A,B,c@example.com,,,,,,,,,,rep@example.com,extra\n",
             ["line 5: 15 fields, the header has 14"]),
            ("non-integer id", GOOD + "abc,Bad,Id,b@example.com,,,,,,,,,,rep@example.com\n",
             ["line 5: id 'abc' is not a positive integer"]),
            ("zero id", GOOD + "0,Bad,Id,b@example.com,,,,,,,,,,rep@example.com\n",
             ["line 5: id '0' is not a positive integer"]),
            ("negative id", GOOD + "-7,Bad,Id,b@example.com,,,,,,,,,,rep@example.com\n",
             ["line 5: id '-7' is not a positive integer"]),
            ("empty id", GOOD + ",No,Id,b@example.com,,,,,,,,,,rep@example.com\n",
             ["line 5: id is empty"]),
            ("missing id column", GOOD.replace("id,firstName", "mktoId,firstName", 1),
             ["line 1: the header has no id column"]),
            ("stray quote", GOOD + '4,Bo"b,X,b@example.com,,,,,,,,,,rep@example.com\n',
             ["line 5: stray quote in an unquoted field"]),
            ("value too long", GOOD + "4,%s,B,c@example.com,,,,,,,,,,rep@example.com\n" % ("x" * 1025),
             ["line 5: firstName is longer than 1024 bytes"]),
            ("column twice", GOOD.replace("phone,title", "phone,email", 1), ["line 1: column email appears twice"]),
            ("two bad rows", GOOD + "x,A,B,,,,,,,,,,,\n5,E,F,e@example.com,,,,,,,,,,r@example.com\n"
                             "6,short\n",
             ["line 5: id 'x' is not a positive integer", "line 7: 2 fields, the header has 14"]),
        ]
        for what, content, errors in cases:
            with self.subTest(what):
                self.assertRejected(content, errors)

    def test_invalid_utf8_imports_nothing(self):
        bad = (HEADER + "1,Ada,Lovelace,ada@example.com,,,,,,,,,,rep@example.com\n").encode()
        bad += b"2,Al\xe9n,Turing,alan@example.com,,,,,,,,,,rep@example.com\n"
        bad += "3,Jos\u00e9,Ok,jose@example.com,,,,,,,,,,rep@example.com\n".encode()
        self.assertRejected(bad, ["line 3: firstName is not valid UTF-8"])
        overlong = HEADER.encode() + b"1,\xc1\x81da,L,a@example.com,,,,,,,,,,rep@example.com\n"
        self.assertRejected(overlong, ["line 2: firstName is not valid UTF-8"], "overlong.csv")

    def test_quoted_newlines_keep_line_numbers(self):
        content = (HEADER +
                   '1,"Multi\nLine",X,m@example.com,,"a\nb\nc",,,,,,,,rep@example.com\n'
                   "2,Bad\n")
        self.assertRejected(content, ["line 6: 2 fields, the header has 14"])

    def test_empty_file_imports_nothing(self):
        path = os.path.join(self.h.dir, "empty.csv")
        for content in ("", "\n\n"):
            p = self.import_(content, "empty.csv")
            self.assertEqual(p.returncode, 1, (p.stdout, p.stderr))
            self.assertEqual([l for l in p.stderr.splitlines() if " info " not in l],
                             [path + ": the file is empty: a header row with an id column is "
                                     "required", "hail: nothing was imported"])
        self.assertEqual(self.people(), [])

    def test_bad_file_after_a_good_import_changes_nothing(self):
        self.assertEqual(self.import_(GOOD).returncode, 0)
        before = self.people()
        self.assertEqual(len(before), 3)
        changed = (GOOD.replace("Ada", "Changed").replace("rep@example.com\n3,", "\n3,") +
                   "4,New,Person,n@example.com,,,,,,,,,,rep@example.com\n"
                   "5,Broken,\"Row\n")
        self.assertRejected(changed, ["line 6: quoted field not closed at end of input"])
        self.assertEqual(self.people(), before)

    def test_excel_style_files(self):
        # A byte-order mark, CRLF line ends, extra columns and a different column order.
        content = ("\ufeffEmail Opt Out,leadOwnerEmailAddress,lastName,id,firstName\r\n"
                   "no,rep@example.com,Lovelace,1,Ada\r\n"
                   "yes,,\"Hopper, Grace\",2,\"G \"\"Amazing\"\" \"\r\n")
        p = self.import_(content.encode("utf-8"), "excel.csv")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("2 new", p.stdout)
        self.assertEqual(self.people(), [(1, "Ada", "Lovelace", None, "rep@example.com", 1),
                                         (2, 'G "Amazing" ', "Hopper, Grace", None, None, 0)])

    def test_same_id_twice_keeps_the_last(self):
        content = ("id,firstName,leadOwnerEmailAddress\n"
                   "7,First,rep@example.com\n"
                   "8,Other,rep@example.com\n"
                   "7,Second,\n")
        p = self.import_(content)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(self.people(), [(7, "Second", None, None, None, 0),
                                         (8, "Other", None, None, "rep@example.com", 1)])

    def test_header_only_and_missing_file(self):
        p = self.import_(HEADER)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("imported 0 rows", p.stdout)
        missing = os.path.join(self.h.dir, "does-not-exist.csv")
        p = self.hail("import", "people", missing)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "hail: cannot open %s: No such file or directory\n" % missing)


class SchemaTest(CliCase):
    def newer_message(self, newer, latest):
        return ("hail: %s has schema version %d, newer than this hail understands (%d); "
                "run a newer hail" % (self.h.db_target, newer, latest))

    def test_fresh_database_is_at_the_latest_version(self):
        self.h.add_user("first@example.com")
        v = self.h.schema_version()
        self.assertGreaterEqual(v, 1)
        tables = self.h.tables()
        self.assertTrue({"users", "teams", "team_members", "api_tokens", "sessions",
                         "people"} <= tables, tables)
        if not harness.POSTGRES:
            self.assertEqual(self.h.sql_value("PRAGMA journal_mode"), "wal")
        # v is the latest this binary knows: v + 1 is refused, v is accepted.
        self.h.set_schema_version(v + 1)
        self.assertFails(self.hail("user", "list"), 1, self.newer_message(v + 1, v))
        self.h.set_schema_version(v)
        self.assertEqual(self.hail("user", "list").returncode, 0)
        # An empty database (SQLite: an empty file, version 0) is migrated like a new one.
        other = Hail()
        try:
            if not harness.POSTGRES:
                os.makedirs(other.data)
                open(other.db_path, "wb").close()
            other.run("user", "list", check=True)
            self.assertEqual(other.schema_version(), v)
        finally:
            other.close()
        # So is the server's health report.
        self.h.start()
        try:
            self.assertEqual(self.h.request("GET", "/healthz").json["schema_version"], v)
        finally:
            self.h.stop()

    def test_newer_database_is_refused_by_every_command(self):
        self.h.add_user("a@example.com", "A", "admin")
        self.hail("token", "create", "--email", "a@example.com", check=True)
        latest = self.h.schema_version()
        newer = latest + 7
        self.h.set_schema_version(newer)
        csv_path = self.write("p.csv", GOOD)
        commands = [
            ["user", "list"],
            ["user", "add", "--email", "b@example.com", "--name", "B", "--role", "rep"],
            ["token", "create", "--email", "a@example.com"],
            ["token", "list"],
            ["token", "revoke", "--id", "1"],
            ["token", "revoke", "-"],  # the token on stdin (below)
            ["import", "people", csv_path],
            ["serve", "--listen", "127.0.0.1:%d" % free_port()],
        ]
        for args in commands:
            with self.subTest(args[0]):
                p = self.hail(*args, timeout=30, input="hail_whatever\n")
                self.assertFails(p, 1, self.newer_message(newer, latest))
        self.assertEqual(self.h.schema_version(), newer)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM users"), 1)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM people"), 0)
        self.assertEqual(self.h.sql_value("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL"), 1)


@harness.sqlite_only("the data directory chooses DIR/hail.db; a database URL does not depend on it")
class DataDirTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="hail-cli-data-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("HAIL_")}
        self.env["HAIL_DB_SYNC"] = "normal"
        self.env["HAIL_LOG_LEVEL"] = "warn"

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run_hail(self, *args, env=None, cwd=None):
        e = dict(self.env)
        e.update(env or {})
        return subprocess.run([BIN] + list(args), capture_output=True, text=True, env=e,
                              cwd=cwd or self.tmp, timeout=60)

    def emails(self, *args, env=None, cwd=None):
        p = self.run_hail(*args, "user", "list", env=env, cwd=cwd)
        self.assertEqual(p.returncode, 0, p.stderr)
        return [l.split()[1] for l in p.stdout.strip().split("\n")[1:]]

    def add(self, email, *args, env=None):
        p = self.run_hail(*args, "user", "add", "--email", email, "--name", "X", "--role", "rep",
                          env=env)
        self.assertEqual(p.returncode, 0, p.stderr)

    def test_data_flag_and_env_select_the_directory(self):
        d1, d2, d3 = (os.path.join(self.tmp, n, "nested") for n in ("one", "two", "three"))
        self.add("flag@example.com", "--data", d1)
        self.add("env@example.com", env={"HAIL_DATA": d2})
        self.add("eq@example.com", "--data=" + d3)
        for d in (d1, d2, d3):
            self.assertTrue(os.path.isfile(os.path.join(d, "hail.db")), d)
        self.assertEqual(self.emails("--data", d1), ["flag@example.com"])
        self.assertEqual(self.emails(env={"HAIL_DATA": d2}), ["env@example.com"])
        self.assertEqual(self.emails("--data", d3), ["eq@example.com"])
        # The flag beats the environment.
        self.add("both@example.com", "--data", d1, env={"HAIL_DATA": d2})
        self.assertEqual(self.emails("--data", d1), ["flag@example.com", "both@example.com"])
        self.assertEqual(self.emails(env={"HAIL_DATA": d2}), ["env@example.com"])
        # Neither: ./var under the working directory.
        self.add("default@example.com")
        self.assertTrue(os.path.isfile(os.path.join(self.tmp, "var", "hail.db")))
        self.assertEqual(self.emails(), ["default@example.com"])
        # The server honours them too.
        port = free_port()
        e = dict(self.env, HAIL_DATA=d2)
        proc = subprocess.Popen([BIN, "--data", d1, "serve", "--listen", "127.0.0.1:%d" % port],
                                env=e, cwd=self.tmp, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            tok = self.run_hail("--data", d1, "token", "create", "--email",
                                "flag@example.com").stdout.strip().split("\n")[-1]
            deadline = time.time() + 20
            while True:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                try:
                    c.request("GET", "/api/v1/me", headers={"Authorization": "Bearer " + tok})
                    r = c.getresponse()
                    status, body = r.status, json.loads(r.read())
                    break
                except OSError:
                    if time.time() > deadline or proc.poll() is not None:
                        raise
                    time.sleep(0.05)
                finally:
                    c.close()
            self.assertEqual(status, 200, body)
            self.assertEqual(body["email"], "flag@example.com")
        finally:
            proc.terminate()
            proc.wait(20)


if __name__ == "__main__":
    harness.main()
