"""A real Dovecot IMAP server for the tests, in a temporary directory on a free
loopback port (the recipe of the project's testing notes): plain-text login
over loopback, one maildir per user, users from a passwd-file.

    d = Dovecot({"rep@example.com": "secret"})
    uid = d.append("rep@example.com", "INBOX", raw_bytes)
    ...
    d.stop()   # also at exit, whatever happens

Needs the dovecot-imapd package and root (Dovecot drops to its own users).
Not a test file itself."""
import atexit
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_RUNNING = []


def available():
    """Why Dovecot cannot run here, or None when it can."""
    if not shutil.which("dovecot"):
        return "dovecot is not installed (apt-get install dovecot-imapd)"
    if os.geteuid() != 0:
        return "Dovecot's test server needs root"
    try:
        pwd.getpwnam("dovecot")
        pwd.getpwnam("dovenull")
    except KeyError:
        return "the dovecot and dovenull users are missing"
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


CONF = """protocols = imap
listen = 127.0.0.1
base_dir = {dir}/run
state_dir = {dir}/state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{dir}/mail/%u
{passdb}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
}}
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 1
first_valid_gid = 1
"""


class Dovecot:
    PASSWD_FILE = ("passdb {{\n  driver = passwd-file\n"
                   "  args = scheme=PLAIN username_format=%u {dir}/users\n}}")
    # Any password logs in (for a channel row written without a sealed password).
    NO_PASSWORD = "passdb {\n  driver = static\n  args = nopassword=y\n}"

    def __init__(self, users, any_password=False):
        why = available()
        if why:
            raise RuntimeError(why)
        self.users = dict(users)
        self.dir = tempfile.mkdtemp(prefix="hail-dovecot-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            passdb = self.NO_PASSWORD if any_password else self.PASSWD_FILE.format(dir=self.dir)
            f.write(CONF.format(dir=self.dir, port=self.port, passdb=passdb))
        with open(os.path.join(self.dir, "users"), "w") as f:
            for u, p in self.users.items():
                f.write("%s:{PLAIN}%s\n" % (u, p))
        os.makedirs(os.path.join(self.dir, "mail"))
        d = pwd.getpwnam("dovecot")
        os.chown(os.path.join(self.dir, "mail"), d.pw_uid, d.pw_gid)
        self.pid = None
        _RUNNING.append(self)
        try:
            self.start()
        except BaseException:
            self.stop()
            raise

    def start(self):
        """Starts the server (it puts itself in the background) and waits for its port."""
        # (it forks into the background: no pipes, or run() would wait for it)
        with open(os.path.join(self.dir, "start.log"), "ab") as out:
            subprocess.run(["dovecot", "-c", self.conf], check=True, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=out, timeout=30)
        deadline = time.time() + 20
        pidfile = os.path.join(self.dir, "run", "master.pid")
        while self.pid is None:
            try:
                with open(pidfile) as f:
                    self.pid = int(f.read().strip())
            except (OSError, ValueError):
                if time.time() > deadline:
                    raise RuntimeError("dovecot did not start: %s" % self.log())
                time.sleep(0.05)
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("dovecot did not listen on %d: %s" % (self.port, self.log()))

    def stop_server(self):
        """Stops the server, keeping the mail (start() brings it back)."""
        subprocess.run(["dovecot", "-c", self.conf, "stop"], stdin=subprocess.DEVNULL,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        if self.pid is None:
            return
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        else:
            try:
                os.kill(self.pid, signal.SIGKILL)  # the master we started, by its id
            except ProcessLookupError:
                pass
        self.pid = None

    def stop(self):
        self.stop_server()
        if self in _RUNNING:
            _RUNNING.remove(self)
        shutil.rmtree(self.dir, ignore_errors=True)

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- the mailbox, through imaplib ----
    def connect(self, user):
        m = imaplib.IMAP4("127.0.0.1", self.port)
        m.login(user, self.users[user])
        return m

    def append(self, user, folder, raw, seen=False):
        """Appends raw (bytes) to folder (created when missing); returns its UID."""
        m = self.connect(user)
        try:
            m.create(folder)  # fails harmlessly when it exists
            typ, data = m.append(folder, "(\\Seen)" if seen else None, None, raw)
            if typ != "OK":
                raise RuntimeError("APPEND failed: %r" % data)
            got = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
            return int(got.group(1)) if got else None
        finally:
            m.logout()

    def uidvalidity(self, user, folder):
        m = self.connect(user)
        try:
            typ, data = m.status(folder, "(UIDVALIDITY)")
            return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))
        finally:
            m.logout()

    def flags(self, user, folder, uid):
        m = self.connect(user)
        try:
            m.select(folder, readonly=True)
            typ, data = m.uid("FETCH", str(uid), "(FLAGS)")
            return data[0].decode() if data and data[0] else ""
        finally:
            m.logout()

    def recreate(self, user, folder):
        """Deletes and creates folder again: a new UIDVALIDITY, UIDs from 1."""
        m = self.connect(user)
        try:
            m.delete(folder)
            m.create(folder)
        finally:
            m.logout()


@atexit.register
def _stop_all():
    for d in list(_RUNNING):
        d.stop()
