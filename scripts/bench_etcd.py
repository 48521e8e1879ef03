#!/usr/bin/env python3
"""User creates and signed admin reads per second: RocksDB (one gateway) beside etcd (a real
3-member cluster on this box) through 1 and 3 gateways. Not a test: prints a table.

Creates come from Python client processes (each request signed anew, a new uid each);
reads also from wrk (one signed request replayed, the connections spread evenly over the
gateways), which can drive a gateway far harder than Python can.

  RGW_ADMIN_BIN=.../release/rgw-admin ~/.cache/rgw-admin/venv/bin/python scripts/bench_etcd.py \
      [--seconds 10] [--clients 16]

Everything (etcd members, gateways, this client) shares one machine, so the figures are
CPU-bound and say how the engines compare here, not what a real cluster does. Clients are
processes, each with one keep-alive connection per gateway, signing each request (SigV4).
"""
import argparse
import multiprocessing as mp
import os
import re
import subprocess
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
import etcd_cluster  # noqa: E402
import helpers  # noqa: E402


def worker(args):
    urls, kind, seconds, n = args
    servers = []
    for u in urls:
        s = helpers.Server.__new__(helpers.Server)
        s.url, s.host = u, u.split("//", 1)[1]
        s.access_key, s.secret_key = helpers.ADMIN_AK, helpers.ADMIN_SK
        servers.append(s)
    clients = [s.admin() for s in servers]
    tag = uuid.uuid4().hex[:8]
    done, errors, i = 0, 0, 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        c = clients[(n + i) % len(clients)]
        if kind == "create":
            r = c.put("/admin/user", [("uid", f"b-{tag}-{i}"), ("display-name", "Bench")])
        else:
            r = c.get("/admin/user", [("uid", "admin")])
        i += 1
        if r.status_code == 200:
            done += 1
        else:
            errors += 1
    return done, errors


def wrk_reads(servers, seconds, clients):
    """Signed GET /admin/user?uid=admin from wrk, clients/len(servers) connections per
    gateway, all at once: (requests/s summed, non-2xx)."""
    procs = []
    for s in servers:
        url = s.url + "/admin/user?uid=admin"
        headers = helpers.sign_v4("GET", url, helpers.ADMIN_AK, helpers.ADMIN_SK)
        cmd = ["wrk", "-t1", f"-c{max(1, clients // len(servers))}", f"-d{int(seconds)}s"]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        procs.append(subprocess.Popen(cmd + [url], stdout=subprocess.PIPE, text=True))
    rate, bad = 0.0, 0
    for p in procs:
        out = p.communicate(timeout=seconds + 60)[0]
        rate += float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        bad += int(m.group(1)) if m else 0
    return rate, bad


def run(urls, kind, seconds, clients):
    with mp.Pool(clients) as pool:
        res = pool.map(worker, [(urls, kind, seconds, n) for n in range(clients)])
    return sum(d for d, _ in res) / seconds, sum(e for _, e in res)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--clients", type=int, default=16)
    a = ap.parse_args()
    rows = []

    def measure(name, servers):
        urls = [s.url for s in servers]
        for kind in ("create", "read", "wrk-read"):
            if kind == "wrk-read":
                rate, errors = wrk_reads(servers, a.seconds, a.clients)
            else:
                rate, errors = run(urls, kind, a.seconds, a.clients)
            rows.append((name, kind, rate, errors))
            print(f"{name:28s} {kind:8s} {rate:9.0f}/s  errors {errors}", flush=True)

    with helpers.running_server() as s:
        measure("rocksdb, 1 gateway", [s])
    cluster = etcd_cluster.Cluster().start()
    try:
        for n in (1, 3):
            g = etcd_cluster.Gateways(cluster, n).start()
            try:
                measure(f"etcd, {n} gateway{'s' if n > 1 else ''}", g.servers)
            finally:
                g.stop()
    finally:
        cluster.stop()
    print(f"\n| store | op | per second ({a.clients} clients, {a.seconds:.0f} s) |")
    print("|---|---|---|")
    for name, kind, rate, errors in rows:
        op = {"create": "user create (Python)", "read": "signed GET /admin/user (Python)",
              "wrk-read": "signed GET /admin/user (wrk)"}[kind]
        print(f"| {name} | {op} | {rate:.0f}{f' ({errors} errors)' if errors else ''} |")


if __name__ == "__main__":
    main()
