#!/usr/bin/env python3
"""Object PUT/GET throughput and the server's peak memory while a large object streams in.

Starts the release binary on a temp store (127.0.0.1 only), creates a user and a bucket, then
measures with boto3 (path style, SigV4): 4 KiB PUT and GET (threads x count), 64 MiB PUT and
GET, and a single 1 GiB PUT (UNSIGNED-PAYLOAD, streamed from a generator) while sampling the
server's RSS. A benchmark, not a test: it prints figures and never fails on them.

    python3 scripts/bench_objects.py [--small 2000] [--threads 8] [--big-mib 64] [--huge-mib 1024]
"""
import argparse, concurrent.futures as cf, os, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "conformance"))
import harness  # noqa: E402
import boto3  # noqa: E402
import requests  # noqa: E402
from botocore.config import Config  # noqa: E402


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--big-mib", type=int, default=64)
    ap.add_argument("--huge-mib", type=int, default=1024)
    a = ap.parse_args()
    binary = os.environ.get("RGW_ADMIN_BIN") or harness.build()
    with harness.server(binary=binary, extra_env={"RUST_LOG": "warn"}) as (url, proc, _d, _l):
        r = harness.v4("PUT", url + "/admin/user?uid=bench&display-name=Bench"
                       "&access-key=BENCHACCESSKEY000000&secret-key=benchsecret")
        assert r.status_code == 200, r.text
        s3 = boto3.client("s3", endpoint_url=url, aws_access_key_id="BENCHACCESSKEY000000",
                          aws_secret_access_key="benchsecret", region_name="us-east-1",
                          config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                        max_pool_connections=a.threads * 2))
        s3.create_bucket(Bucket="bench")
        small = os.urandom(4096)

        def run(label, fn, n, nbytes):
            t = time.perf_counter()
            with cf.ThreadPoolExecutor(a.threads) as ex:
                list(ex.map(fn, range(n)))
            dt = time.perf_counter() - t
            print(f"{label:24s} {n / dt:9.0f} ops/s  {n * nbytes / dt / 2**20:8.1f} MiB/s  ({n} in {dt:.2f} s)")

        run("PUT 4 KiB", lambda i: s3.put_object(Bucket="bench", Key=f"s/{i}", Body=small), a.small, 4096)
        run("GET 4 KiB", lambda i: s3.get_object(Bucket="bench", Key=f"s/{i}")["Body"].read(), a.small, 4096)
        big = os.urandom(a.big_mib << 20)
        run(f"PUT {a.big_mib} MiB", lambda i: s3.put_object(Bucket="bench", Key=f"b/{i}", Body=big), 4, len(big))
        run(f"GET {a.big_mib} MiB", lambda i: s3.get_object(Bucket="bench", Key=f"b/{i}")["Body"].read(), 4, len(big))

        # 1 GiB streamed in with UNSIGNED-PAYLOAD: the server must not hold it in memory.
        size = a.huge_mib << 20
        chunk = os.urandom(1 << 20)

        def gen():
            for _ in range(a.huge_mib):
                yield chunk
        path = "/bench/huge"
        import awssig
        host = url.split("//", 1)[1]
        headers = awssig.sign_v4("PUT", host, path, [], "BENCHACCESSKEY000000", "benchsecret",
                                 payload_hash="UNSIGNED-PAYLOAD")
        peak = [rss_kib(proc.pid)]
        base = peak[0]
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak[0] = max(peak[0], rss_kib(proc.pid))
                time.sleep(0.05)
        th = threading.Thread(target=sample)
        th.start()
        t = time.perf_counter()
        resp = requests.put(url + path, data=gen(), headers=headers, timeout=600)
        dt = time.perf_counter() - t
        done.set()
        th.join()
        if resp.status_code != 200:
            print(resp.text[:300])
        print(f"PUT {a.huge_mib} MiB streamed   status {resp.status_code}  {size / dt / 2**20:.1f} MiB/s  "
              f"server RSS before {base / 1024:.1f} MiB, peak {peak[0] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
