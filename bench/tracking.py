#!/usr/bin/env python3
"""Tracking figure: open-pixel hits per second through hail, every hit durably
recorded (SQLite, synchronous=FULL as shipped: an activity and the email's
counters committed by the hit writer before each reply), against nginx serving
a static 43-byte GIF on the same machine in the same run, with the same
worker count (hail --threads W, nginx worker_processes W) and the same wrk
settings. Prints

    tracking_rps=… nginx_rps=… ratio=… p99_ms=…

(p99_ms: hail's 99th-percentile latency as wrk measures it). Targets:
ratio >= 0.5, p99 <= 10 ms. Checks: every reply a 200, and the database
holds at least as many open activities (and opens counted) as wrk saw
replies — a hit is recorded before its reply, so never fewer.

Usage: python3 bench/tracking.py HAIL [--workers W] [--connections C] [--seconds S]
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402
from benchlib import die, log  # noqa: E402

GIF = bytes.fromhex("47494638396101000100800000000000ffffff21f90401000000002c"
                    "00000000010001000002024401003b")
EMAILS = 1000
UA = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def token(key, kind, email_id, link=0):
    payload = email_id.to_bytes(8, "big") + link.to_bytes(2, "big")
    mac = hmac.new(key, kind.encode() + payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def wrk(url, args, script=None):
    cmd = ["wrk", "-t%d" % args.threads, "-c%d" % args.connections, "-d%ds" % args.seconds,
           "--latency", "-H", "User-Agent: " + UA]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, timeout=args.seconds + 60)
    if out.returncode != 0:
        die("wrk failed: %s %s" % (out.stdout, out.stderr))
    text = out.stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    total = int(re.search(r"(\d+) requests in", text).group(1))
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", text)
    bad = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors:.*", text)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", text)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    return {"rps": rps, "total": total, "bad": bad, "p99_ms": float(p99.group(1)) * scale,
            "errors": m.group(0) if m else "", "text": text}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("hail")
    ap.add_argument("--workers", type=int, default=1, help="hail --threads and nginx worker_processes")
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument("--seconds", type=int, default=10)
    args = ap.parse_args()
    hail = os.path.abspath(args.hail)
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool) and not os.path.exists("/usr/sbin/" + tool):
            die("%s is not installed (apt-get install wrk nginx-light)" % tool)
    log("machine: %s, load average %s; wrk -t%d -c%d -d%ds; %d worker(s) each"
        % (benchlib.MACHINE, benchlib.loadavg(), args.threads, args.connections, args.seconds,
           args.workers))
    tmp = tempfile.mkdtemp(prefix="hail-bench-track-")
    procs = []
    try:
        data = os.path.join(tmp, "var")
        env = dict(os.environ, HAIL_DATA=data, HAIL_ACCESS_LOG="off", HAIL_LOG_LEVEL="warn")
        if not os.environ.get("BENCH_SYNC_NORMAL"):
            env.pop("HAIL_DB_SYNC", None)  # synchronous = FULL: durable commits, as shipped
        env.pop("HAIL_DATABASE_URL", None)
        subprocess.run([hail, "user", "add", "--email", "rep@example.com", "--name", "Rep",
                        "--role", "rep"], env=env, check=True, capture_output=True)
        db = os.path.join(data, "hail.db")
        c = sqlite3.connect(db)
        now = int(time.time() * 1e6)
        c.execute("INSERT INTO senders (user_id, address, display_name, channel_id, created_at,"
                  " updated_at) VALUES (1, 'rep@example.com', 'Rep', 1, 0, 0)")
        for i in range(EMAILS):
            c.execute("INSERT INTO people (marketo_id, email, active, created_at, updated_at)"
                      " VALUES (?, ?, 1, 0, 0)", (i + 1, "p%d@example.org" % i))
            c.execute("INSERT INTO emails (person_id, user_id, sender_id, channel_id, status,"
                      " to_address, to_domain, subject, body_html, links, sent_at, created_at,"
                      " updated_at) VALUES (?, 1, 1, 1, 'sent', ?, 'example.org', 'Hello',"
                      " '<p>hi</p>', '[]', ?, 0, 0)", (i + 1, "p%d@example.org" % i, now - 3600000000))
        c.commit()
        port = benchlib.free_port()
        log_path = os.path.join(tmp, "hail.log")
        p = subprocess.Popen([hail, "serve", "--listen", "127.0.0.1:%d" % port, "--threads",
                              str(args.workers)], env=env, stdout=open(log_path, "wb"),
                             stderr=subprocess.STDOUT)
        procs.append(p)
        benchlib.wait_http("http://127.0.0.1:%d/healthz" % port, proc=p)
        benchlib.wait_http("http://127.0.0.1:%d/t/o/x" % port, proc=p)  # makes the key
        key = bytes.fromhex(c.execute("SELECT value FROM kv WHERE key = 'track.key'").fetchone()[0])
        paths = ["/t/o/" + token(key, "o", i + 1) for i in range(EMAILS)]
        script = os.path.join(tmp, "paths.lua")
        with open(script, "w") as f:
            f.write("local paths = {%s}\nlocal i = 0\nrequest = function()\n"
                    "  i = i + 1\n  return wrk.format(nil, paths[(i %% #paths) + 1])\nend\n"
                    % ",".join('"%s"' % x for x in paths))
        # one request by hand: the reply is the GIF
        import urllib.request
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, paths[0])) as r:
            if r.read() != GIF:
                die("hail's pixel is not the 43-byte GIF")
        before = c.execute("SELECT count(*) FROM activities").fetchone()[0]

        # nginx: the same GIF from a file, the same worker count
        ng = os.path.join(tmp, "nginx")
        os.makedirs(ng)
        os.chmod(tmp, 0o755)  # nginx's workers run as nobody
        with open(os.path.join(ng, "o.gif"), "wb") as f:
            f.write(GIF)
        nport = benchlib.free_port()
        conf = os.path.join(ng, "nginx.conf")
        with open(conf, "w") as f:
            f.write("daemon off; worker_processes %d; error_log %s/err.log; pid %s/nginx.pid;\n"
                    "events { worker_connections 1024; }\n"
                    "http { access_log off; server { listen 127.0.0.1:%d; "
                    "location = /o.gif { root %s; } } }\n" % (args.workers, ng, ng, nport, ng))
        n = subprocess.Popen(["nginx", "-c", conf], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(n)
        benchlib.wait_http("http://127.0.0.1:%d/o.gif" % nport, proc=n)

        if os.environ.get("BENCH_PERF"):
            perf = subprocess.Popen(["perf", "record", "-g", "-o", os.environ["BENCH_PERF"], "-p",
                                     str(p.pid), "--", "sleep", str(max(1, args.seconds - 1))],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            wrk("http://127.0.0.1:%d/" % port, args, script)
            perf.wait()
        ngx = wrk("http://127.0.0.1:%d/o.gif" % nport, args)
        trk = wrk("http://127.0.0.1:%d/" % port, args, script)
        time.sleep(0.5)  # replies in flight when wrk stopped are still being recorded
        after = c.execute("SELECT count(*) FROM activities WHERE type = 'email_open'").fetchone()[0]
        opens = c.execute("SELECT sum(opens) + sum(machine_opens) FROM emails").fetchone()[0]
        recorded = after - before
        log("hail:  %.0f req/s, %d requests, p99 %.2f ms %s" % (trk["rps"], trk["total"], trk["p99_ms"], trk["errors"]))
        log("nginx: %.0f req/s, %d requests, p99 %.2f ms %s" % (ngx["rps"], ngx["total"], ngx["p99_ms"], ngx["errors"]))
        log("recorded: %d open activities for %d replies (opens counted: %d)" % (recorded, trk["total"], opens - 1))
        if trk["bad"] or ngx["bad"]:
            die("non-2xx replies: hail %d, nginx %d" % (trk["bad"], ngx["bad"]))
        if recorded < trk["total"] or opens - 1 != recorded:
            die("%d replies but %d activities / %d opens recorded" % (trk["total"], recorded, opens - 1))
        ratio = trk["rps"] / ngx["rps"]
        log("targets: ratio >= 0.5 %s, p99 <= 10 ms %s; load average now %s"
            % ("met" if ratio >= 0.5 else "MISSED", "met" if trk["p99_ms"] <= 10 else "MISSED",
               benchlib.loadavg()))
        print("tracking_rps=%.0f nginx_rps=%.0f ratio=%.2f p99_ms=%.2f"
              % (trk["rps"], ngx["rps"], ratio, trk["p99_ms"]), flush=True)
        c.close()
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        if os.environ.get("BENCH_KEEP_LOG"):
            shutil.copy(os.path.join(tmp, "hail.log"), os.environ["BENCH_KEEP_LOG"])
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
