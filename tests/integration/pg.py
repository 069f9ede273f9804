"""PostgreSQL access for the integration tests, through psql (Debian's
postgresql-client-15, /usr/lib/postgresql/15/bin/psql): no Python driver needed.

The test cluster is tests/pg/pg_start.sh's (ctest's pg fixture); its superuser
URL is HAIL_TEST_PG_URL. query() runs one statement and gives its rows typed as
JSON types (numbers, strings, null; bytea as '\\x…' text), in the order the
statement gives them, as Row objects: tuples that also answer row["column"],
like sqlite3.Row. `?` in the SQL is a parameter, replaced by its literal.
"""
import json
import os
import re
import secrets
import shutil
import subprocess
import urllib.parse

PGBIN = os.environ.get("HAIL_PG_BIN", "/usr/lib/postgresql/15/bin")
PSQL = os.path.join(PGBIN, "psql") if os.path.exists(os.path.join(PGBIN, "psql")) else (shutil.which("psql") or "psql")


class Error(Exception):
    """A statement PostgreSQL refused: the message is psql's stderr."""


class Row(tuple):
    """One row: a tuple of the values, and row["name"] by column name."""

    def __new__(cls, pairs):
        r = tuple.__new__(cls, [v for _, v in pairs])
        r._names = [k for k, _ in pairs]
        return r

    def __getitem__(self, key):
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise IndexError("no column %r (columns: %s)" % (key, ", ".join(self._names))) from None
        return tuple.__getitem__(self, key)

    def keys(self):
        return list(self._names)


class Rows(list):
    """The rows of a statement; rowcount is how many rows a data-changing
    statement touched (-1 when PostgreSQL does not say)."""

    def __init__(self, rows=(), rowcount=-1):
        super().__init__(rows)
        self.rowcount = rowcount


def literal(v):
    """v as an SQL literal (the tests' own values, not untrusted input)."""
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return "'\\x%s'::bytea" % bytes(v).hex()
    s = str(v)
    if "\0" in s:
        raise ValueError("PostgreSQL text cannot hold NUL")
    return "'" + s.replace("'", "''") + "'"


def bind(sql, params):
    """sql with each `?` outside quotes replaced by the next parameter's literal."""
    out = []
    it = iter(params)
    i, n = 0, len(sql)
    used = 0
    while i < n:
        c = sql[i]
        if c in ("'", '"'):
            j = sql.index(c, i + 1)
            while j + 1 < n and sql[j + 1] == c:  # a doubled quote inside
                j = sql.index(c, j + 2)
            out.append(sql[i:j + 1])
            i = j + 1
            continue
        if c == "?":
            try:
                out.append(literal(next(it)))
            except StopIteration:
                raise ValueError("more ? than parameters in: " + sql) from None
            used += 1
        else:
            out.append(c)
        i += 1
    if used != len(params):
        raise ValueError("%d parameters for %d ? in: %s" % (len(params), used, sql))
    return "".join(out)


def psql(url, sql, timeout=60):
    """Runs sql (one or more statements) with psql; its stdout."""
    p = subprocess.run([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql],
                       capture_output=True, text=True, timeout=timeout,
                       env=dict(os.environ, PGCONNECT_TIMEOUT="10", PGAPPNAME="hail-tests"))
    if p.returncode != 0:
        raise Error(p.stderr.strip() or "psql exited with %d" % p.returncode)
    return p.stdout


_QUERY = re.compile(r"\s*(SELECT|WITH|VALUES|TABLE)\b", re.I)
_DML = re.compile(r"\s*(INSERT|UPDATE|DELETE)\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_ROW = "hail_test_row"  # the wrapper's alias: no column of a query is named so


def query(url, sql, *params):
    """Runs one statement: its rows (Rows of Row), rowcount for INSERT/UPDATE/DELETE."""
    text = bind(sql.strip().rstrip(";"), params)
    if _QUERY.match(text):
        wrapped = "SELECT coalesce(json_agg(%s), '[]'::json) FROM (%s) %s" % (_ROW, text, _ROW)
    elif _DML.match(text) and _RETURNING.search(text):
        wrapped = "WITH %s AS (%s) SELECT coalesce(json_agg(%s), '[]'::json) FROM %s" % (_ROW, text, _ROW, _ROW)
    elif _DML.match(text):
        out = psql(url, "WITH %s AS (%s RETURNING 1) SELECT count(*) FROM %s" % (_ROW, text, _ROW))
        return Rows([], int(out.strip()))
    else:
        psql(url, text)
        return Rows()
    out = psql(url, wrapped)
    rows = json.loads(out, object_pairs_hook=lambda pairs: pairs)
    return Rows([Row(r) for r in rows], len(rows))


def with_database(url, name):
    """url with its database replaced by name (URL or key=value form)."""
    if "://" not in url:
        return re.sub(r"\bdbname=\S+", "", url).strip() + " dbname=" + name
    u = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((u.scheme, u.netloc, "/" + name, u.query, u.fragment))


def with_user(url, user, password=None):
    """url with its user (and password) replaced (URL form)."""
    u = urllib.parse.urlsplit(url)
    host = u.netloc.rsplit("@", 1)[-1]
    cred = urllib.parse.quote(user, safe="")
    if password is not None:
        cred += ":" + urllib.parse.quote(password, safe="")
    return urllib.parse.urlunsplit((u.scheme, cred + "@" + host, u.path, u.query, u.fragment))


def create_database(admin_url, prefix="hail_", template=None):
    """A new empty database (or a copy of template, which nobody may be
    connected to): (name, its URL)."""
    name = prefix + secrets.token_hex(6)
    psql(admin_url, 'CREATE DATABASE "%s"%s' % (name, ' TEMPLATE "%s"' % template if template else ""))
    return name, with_database(admin_url, name)


def drop_database(admin_url, name):
    """Drops name, disconnecting whoever is still connected."""
    psql(admin_url, 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)


def host_port(url):
    """(host, port) of a URL."""
    u = urllib.parse.urlsplit(url)
    return u.hostname, u.port or 5432


class hold:
    """A context manager: a transaction in another session that ran sql (e.g.
    SELECT … FOR UPDATE) and holds its locks until the block ends."""

    def __init__(self, url, sql):
        self.url, self.sql = url, sql

    def __enter__(self):
        self.p = subprocess.Popen([PSQL, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", self.url],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True)
        self.p.stdin.write("BEGIN;\n%s;\n\\echo held-by-the-test\n" % self.sql.rstrip().rstrip(";"))
        self.p.stdin.flush()
        while True:
            line = self.p.stdout.readline()
            if not line:
                err = self.p.stderr.read()
                self.p.wait()
                raise Error("could not hold the lock: " + err.strip())
            if line.strip() == "held-by-the-test":
                return self

    def __exit__(self, *exc):
        try:
            self.p.stdin.write("ROLLBACK;\n\\q\n")
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(30)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
        self.p.stdout.close()
        self.p.stderr.close()
        return False
