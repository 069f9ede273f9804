"""Shared helpers for hail's benchmark scripts (Python 3 standard library only)."""
import csv
import json
import os
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request

BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
OUT = os.path.join(BENCH, "out")
MACHINE = "%d cores" % (os.cpu_count() or 0)


def log(msg):
    print(msg, flush=True)


def die(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def people_csv(rows=1000000):
    """The cached benchmark CSV (bench/out/people-<rows>.csv), generated once.

    Returns (csv_path, queries_path, facts) where facts holds the row count, the count of
    rows with an owner, and a few sample rows, all read back with Python's csv module so
    that a benchmark's correctness check does not trust the generator.
    """
    os.makedirs(OUT, exist_ok=True)
    name = "people-1m" if rows == 1000000 else "people-%d" % rows
    path = os.path.join(OUT, name + ".csv")
    queries = os.path.join(OUT, name + ".queries")
    gen = os.path.join(BENCH, "gen_people.py")
    if not (os.path.exists(path) and os.path.exists(queries)) or \
            os.path.getmtime(path) < os.path.getmtime(gen):
        log("generating %s (once; cached in bench/out/) ..." % path)
        t0 = time.monotonic()
        tmp = path + ".tmp.csv"
        subprocess.run([sys.executable, gen, str(rows), tmp], check=True)
        os.replace(tmp, path)
        os.replace(tmp.rsplit(".", 1)[0] + ".queries", queries)
        log("generated in %.1f s" % (time.monotonic() - t0))
    st = os.stat(path)
    facts_path = path + ".facts.json"
    # Bump when the facts change shape.
    key_version = 2
    key = [st.st_size, int(st.st_mtime), key_version]
    try:
        with open(facts_path) as f:
            facts = json.load(f)
        if facts.get("key") == key:
            return path, queries, facts
    except (OSError, ValueError):
        pass
    log("counting %s with the csv module (once) ..." % path)
    with open(queries, encoding="utf-8") as f:
        spot = spot_queries([q for q in f.read().split("\n") if q])
    spot_folded = {fold(urllib.parse.unquote(q)) for q in spot}
    matches = dict.fromkeys(spot_folded, 0)
    n = owned = 0
    ids = set()
    samples = {}
    kind_count = {}
    with open(path, newline="", encoding="utf-8") as f:
        r = csv.reader(f)
        header = next(r)
        idx = {h: i for i, h in enumerate(header)}
        for row in r:
            n += 1
            ids.add(row[idx["id"]])
            if row[idx["leadOwnerEmailAddress"]] not in ("", "null"):
                owned += 1
                fn, ln = row[idx["firstName"]], row[idx["lastName"]]
                fn, ln = ("" if fn == "null" else fn), ("" if ln == "null" else ln)
                keys = (fold(fn + " " + ln), fold(ln), fold(row[idx["email"]]),
                        fold(row[idx["company"]]))
                for p in {k[:m] for k in keys for m in (3, 4, 5)} & spot_folded:
                    matches[p] += 1
            kinds = []
            if n % 99991 == 0:
                kinds.append("periodic")
            if "\n" in row[idx["title"]] or "EMEA" in row[idx["title"]]:
                kinds.append("quoted title")
            if any(c in row[idx["company"]] for c in ',"'):
                kinds.append("quoted")
            if not (row[idx["firstName"]] + row[idx["lastName"]]).isascii():
                kinds.append("accents")
            for k in kinds:
                if kind_count.get(k, 0) < (10 if k == "periodic" else 4):
                    kind_count[k] = kind_count.get(k, 0) + 1
                    samples[row[idx["id"]]] = dict(zip(header, row))
    facts = {"key": key, "rows": n, "distinct_ids": len(ids), "with_owner": owned,
             "samples": samples, "spot_matches": matches}
    with open(facts_path, "w") as f:
        json.dump(facts, f)
    return path, queries, facts


def fold(s):
    """hail's fold_key (core/fold.h) for the generated data: accents stripped, lower case,
    white space collapsed. (The generator only uses Latin letters with simple accents.)"""
    if not s.isascii():
        s = "".join(c for c in unicodedata.normalize("NFD", s) if not unicodedata.combining(c))
    return " ".join(s.lower().split())


def spot_queries(queries):
    """The search queries the API bench checks one by one (every 100th)."""
    return queries[::100][:40]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, timeout=30, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            die("%s exited with %s before answering %s" % (proc.args, proc.returncode, url))
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            time.sleep(0.1)
    die("no answer from %s within %d s" % (url, timeout))


def have_gnu_time():
    return os.access("/usr/bin/time", os.X_OK)


def run_measured(argv, env=None, stdout=None, stderr=None):
    """Runs argv to completion; returns (returncode, wall_seconds, peak_rss_kb, cpu_s).

    Wall time runs from just before the fork to the exit. Peak RSS comes from GNU time's
    %M (the kernel's maxrss of the child) when /usr/bin/time exists, else from polling
    VmHWM in /proc/PID/status every 20 ms (which can miss growth in the last 20 ms).
    """
    # Start with no dirty pages from an earlier step being written back under this one.
    os.sync()
    rss_file = os.path.join(OUT, ".time.%d" % os.getpid())
    if have_gnu_time():
        full = ["/usr/bin/time", "-f", "%M %U %S", "-o", rss_file] + list(argv)
    else:
        full = list(argv)
    t0 = time.monotonic()
    p = subprocess.Popen(full, env=env, stdout=stdout, stderr=stderr)
    hwm = 0
    if not have_gnu_time():
        while p.poll() is None:
            try:
                with open("/proc/%d/status" % p.pid) as f:
                    for line in f:
                        if line.startswith("VmHWM:"):
                            hwm = max(hwm, int(line.split()[1]))
            except OSError:
                pass
            time.sleep(0.02)
    rc = p.wait()
    wall = time.monotonic() - t0
    cpu = None
    if have_gnu_time():
        with open(rss_file) as f:
            last = f.read().strip().splitlines()[-1].split()
        os.unlink(rss_file)
        hwm = int(last[0])
        cpu = float(last[1]) + float(last[2])
    return rc, wall, hwm, cpu


def people_objects(hail):
    """Names of the people tables and indexes a fresh hail database has (hail creates its
    schema and indexes on first open), so checks follow the schema instead of copying it."""
    import tempfile
    with tempfile.TemporaryDirectory(dir=OUT) as d:
        # user add creates the database (user list refuses a directory without one).
        subprocess.run([hail, "--data", d, "user", "add", "--email", "probe@example.com",
                        "--name", "Probe", "--role", "rep"], check=True, capture_output=True)
        names = sqlite_scalar(os.path.join(d, "hail.db"),
                              "SELECT name FROM sqlite_master WHERE type IN ('table', 'index')"
                              " AND (name LIKE 'people%' OR name LIKE 'sqlite_autoindex_people%')"
                              " ORDER BY name").split()
    if not names:
        die("a fresh hail database has no people table")
    return names


def btree_entries(db):
    """Entries per table and index (dbstat's aggregate cell counts; fast)."""
    rows = sqlite_scalar(db, "SELECT name, ncell FROM dbstat('main', 1)").splitlines()
    return {n: int(c) for n, c in (r.split("|") for r in rows)}


def sqlite_scalar(db, sql):
    out = subprocess.run(["sqlite3", db, sql], check=True, capture_output=True,
                         text=True).stdout.strip()
    return out


def loadavg():
    """The 1-minute load average and the busiest other processes, for the context lines:
    the benchmark machine may be shared, and a figure taken under load says so."""
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        return "unknown"
    return load


def proc_cpu(pid):
    """User + system CPU seconds a running process has used so far (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
