"""Real mail peers on loopback for the delivery tests (not a test file).

- SmtpSink: Postfix's smtp-sink on a free port, every message dumped to a
  file (-d), optionally refusing commands with a hard (5xx) or soft (4xx)
  reply of our choosing.
- Postfix: a throwaway Postfix instance (its own config and queue
  directories) listening on a free loopback port with STARTTLS (a test
  certificate made with openssl at start) and SMTP AUTH through a Dovecot
  auth socket (a passwd-file with one user); mail it accepts is relayed to
  an SmtpSink, so a test sees what came out.

Everything runs as root on 127.0.0.1 with ports found by binding port 0
(../shared/TESTING-NOTES.md); close() stops every process it started, also
when start-up failed half-way. Skips (unittest.SkipTest) when the Postfix
or Dovecot binaries are missing.
"""
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc=None, timeout=20, what="server"):
    """Waits until something accepts on 127.0.0.1:port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s before listening" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on port %d within %d s" % (what, port, timeout))


def need(*paths):
    for p in paths:
        if not os.path.exists(p):
            raise unittest.SkipTest("%s is not installed (scripts/install-deps.sh)" % p)


class SmtpSink:
    """smtp-sink on 127.0.0.1:port. hard / soft: commands ("RCPT", "DATA",
    "MAIL") refused with hard_reply / soft_reply. Messages land in
    self.dir, one file each (messages() reads them)."""

    def __init__(self, hard=None, soft=None, hard_reply=None, soft_reply=None, quiet=False):
        need(SMTP_SINK)
        self.dir = tempfile.mkdtemp(prefix="hail-sink-")
        os.chmod(self.dir, 0o777)  # smtp-sink writes as postfix
        self.port = free_port()
        args = [SMTP_SINK, "-u", "postfix", "-t", "10"]
        if not quiet:
            args += ["-d", os.path.join(self.dir, "%Y%m%d%H%M%S.")]
        if hard:
            args += ["-f", ",".join(hard)]
        if soft:
            args += ["-r", ",".join(soft)]
        if hard_reply:
            args += ["-B", hard_reply]
        if soft_reply:
            args += ["-b", soft_reply]
        args += ["127.0.0.1:%d" % self.port, "1000"]
        self.log = open(os.path.join(self.dir, "..sink.log"), "wb")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, self.proc, what="smtp-sink")
        except Exception:
            self.close()
            raise

    def files(self):
        return sorted(f for f in glob.glob(os.path.join(self.dir, "*")) if not
                      os.path.basename(f).startswith(".."))

    def messages(self):
        """Each dumped transaction as text (smtp-sink writes the envelope
        as X-Client-Addr/X-Helo/X-Mail-From/X-Rcpt-To lines, then the data)."""
        out = []
        for f in self.files():
            with open(f, "rb") as fh:
                data = fh.read()
            # smtp-sink opens its dump file at MAIL FROM: a transaction refused
            # later leaves it empty (or removes it).
            if data:
                out.append(data.decode("utf-8", "replace"))
        return out

    def wait_messages(self, n, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = self.messages()
            if len(m) >= n:
                return m
            time.sleep(0.05)
        return self.messages()

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def make_cert(dir):
    """A self-signed certificate for localhost and 127.0.0.1: (cert, key)."""
    cert, key = os.path.join(dir, "cert.pem"), os.path.join(dir, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    os.chmod(key, 0o644)
    return cert, key


MASTER_CF = """\
{port} inet n - n - - smtpd
pickup    unix n - n 60 1 pickup
cleanup   unix n - n - 0 cleanup
qmgr      unix n - n 300 1 qmgr
tlsmgr    unix - - n 1000? 1 tlsmgr
rewrite   unix - - n - - trivial-rewrite
bounce    unix - - n - 0 bounce
defer     unix - - n - 0 bounce
trace     unix - - n - 0 bounce
verify    unix - - n - 1 verify
flush     unix n - n 1000? 0 flush
proxymap  unix - - n - - proxymap
smtp      unix - - n - - smtp
relay     unix - - n - - smtp
showq     unix n - n - - showq
error     unix - - n - - error
retry     unix - - n - - error
discard   unix - - n - - discard
anvil     unix - - n - 1 anvil
scache    unix - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""

MAIN_CF = """\
compatibility_level = 3.6
queue_directory = {dir}/queue
data_directory = {dir}/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = postfix.hail-test
mydomain = hail-test
myorigin = hail-test
mydestination =
mynetworks =
relayhost = [127.0.0.1]:{relay_port}
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = {dir}/postfix.log
maillog_file_prefixes = {dir}
smtpd_banner = $myhostname ESMTP hail-test
smtpd_tls_cert_file = {cert}
smtpd_tls_key_file = {key}
smtpd_tls_security_level = may
smtpd_tls_auth_only = yes
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_relay_restrictions = permit_sasl_authenticated, reject
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtp_tls_security_level = none
smtp_dns_support_level = disabled
"""

DOVECOT_CONF = """\
protocols = none
listen = 127.0.0.1
base_dir = {dir}/dovecot-run
state_dir = {dir}/dovecot-state
log_path = {dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {dir}/users
}}
userdb {{
  driver = static
  args = uid=postfix gid=postfix home={dir}
}}
service auth {{
  unix_listener {dir}/queue/private/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
default_internal_user = dovecot
default_login_user = dovenull
"""


class Postfix:
    """A Postfix on 127.0.0.1:port with STARTTLS (self.cert, also the CA to
    trust) and AUTH for user / password; accepted mail goes to self.sink."""

    def __init__(self, user="ann@example.com", password="postfix-s3cret"):
        need(POSTFIX, DOVECOT, SMTP_SINK)
        self.user, self.password = user, password
        self.dir = tempfile.mkdtemp(prefix="hail-postfix-")
        self.sink = None
        self.dovecot_started = False
        self.postfix_started = False
        try:
            self._start()
        except Exception:
            self.close()
            raise

    def _run(self, *args, check=True):
        # Output to a file, not a pipe: daemons keep their inherited output
        # open, and a pipe would never reach its end.
        with tempfile.TemporaryFile() as out:
            p = subprocess.run(list(args), stdout=out, stderr=subprocess.STDOUT, timeout=60)
            out.seek(0)
            text = out.read().decode("utf-8", "replace")
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (%d): %s\n%s" % (" ".join(args), p.returncode, text,
                                                           self.logs()))
        return p

    def _start(self):
        os.chmod(self.dir, 0o755)
        self.sink = SmtpSink()
        self.port = free_port()
        self.cert, self.key = make_cert(self.dir)
        for sub in ("conf", "queue", "data"):
            os.makedirs(os.path.join(self.dir, sub))
        conf = os.path.join(self.dir, "conf")
        with open(os.path.join(conf, "main.cf"), "w") as f:
            f.write(MAIN_CF.format(dir=self.dir, relay_port=self.sink.port, cert=self.cert,
                                   key=self.key))
        with open(os.path.join(conf, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))
        shutil.chown(os.path.join(self.dir, "data"), "postfix", "postfix")
        # Postfix makes the rest of its queue as it starts; Dovecot's
        # listener needs private/ first.
        private = os.path.join(self.dir, "queue", "private")
        os.makedirs(private, 0o700)
        shutil.chown(private, "postfix", "root")
        self._run(POSTFIX, "-c", conf, "check")
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (self.user, self.password))
        os.chmod(os.path.join(self.dir, "users"), 0o644)
        self.dovecot_conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.dovecot_conf, "w") as f:
            f.write(DOVECOT_CONF.format(dir=self.dir))
        self.dovecot_started = True
        self._run(DOVECOT, "-c", self.dovecot_conf)
        self._wait_file(os.path.join(self.dir, "queue", "private", "auth"), "Dovecot's auth socket")
        self.postfix_started = True
        self._run(POSTFIX, "-c", conf, "start")
        wait_port(self.port, what="Postfix smtpd")

    def _wait_file(self, path, what, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if os.path.exists(path):
                return
            time.sleep(0.05)
        raise RuntimeError("%s did not appear at %s\n%s" % (what, path, self.logs()))

    def logs(self):
        out = []
        for name in ("postfix.log", "dovecot.log"):
            p = os.path.join(self.dir, name)
            if os.path.exists(p):
                with open(p, errors="replace") as f:
                    out.append("== %s\n%s" % (name, f.read()[-4000:]))
        return "\n".join(out)

    def close(self):
        conf = os.path.join(self.dir, "conf")
        if self.postfix_started:
            self._run(POSTFIX, "-c", conf, "stop", check=False)
            # postfix stop returns before master has gone: wait for its pid.
            pidf = os.path.join(self.dir, "queue", "pid", "master.pid")
            self._wait_gone(pidf)
        if self.dovecot_started:
            self._run(DOVECOT, "-c", self.dovecot_conf, "stop", check=False)
            self._wait_gone(os.path.join(self.dir, "dovecot-run", "master.pid"))
        if self.sink:
            self.sink.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _wait_gone(pidfile, timeout=10):
        try:
            with open(pidfile) as f:
                pid = int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
