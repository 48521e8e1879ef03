#!/usr/bin/env python3
"""What each operation stores in etcd and how many transactions it takes: the figures the
README's "Limits" table is computed from. Not a test: prints a table.

  RGW_ADMIN_BIN=.../release/rgw-admin ~/.cache/rgw-admin/venv/bin/python scripts/etcd_sizes.py \
      [--users 300] [--buckets 100] [--objects 1000]

Starts a real 3-member etcd cluster and one gateway on loopback, runs each kind of
operation N times, and reads the whole prefix back through etcd's JSON gateway
(`/v3/kv/range`) before and after: live bytes (key + value) per operation by key family,
and revisions per operation (one etcd transaction is one revision). etcd's database also
keeps every overwritten revision until compaction; its size is shown beside.
"""
import argparse
import base64
import collections
import os
import sys
import uuid

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))
import etcd_cluster  # noqa: E402
import helpers  # noqa: E402


def b64(b):
    return base64.b64encode(b).decode()


def snapshot(endpoint, prefix):
    """(bytes by key family, total bytes, keys, revision, db size) of the live prefix."""
    p = prefix.encode()
    end = p[:-1] + bytes([p[-1] + 1])
    r = requests.post(endpoint + "/v3/kv/range",
                      json={"key": b64(p), "range_end": b64(end)}, timeout=30).json()
    fam = collections.Counter()
    for kv in r.get("kvs", []):
        k = base64.b64decode(kv["key"])[len(p):]
        v = base64.b64decode(kv.get("value", ""))
        family = k.split(b"/", 1)[0].decode(errors="replace")
        fam[family] += len(k) + len(p) + len(v)
    st = requests.post(endpoint + "/v3/maintenance/status", json={}, timeout=30).json()
    return (fam, sum(fam.values()), int(r.get("count", 0)), int(r["header"]["revision"]),
            int(st["dbSize"]))


def measure(label, n, endpoint, prefix, run, rows):
    before = snapshot(endpoint, prefix)
    run()
    after = snapshot(endpoint, prefix)
    fam = after[0].copy()
    fam.subtract(before[0])
    parts = ", ".join(f"{k} {v / n:.0f}" for k, v in sorted(fam.items()) if v)
    rows.append((label, n, (after[1] - before[1]) / n, (after[2] - before[2]) / n,
                 (after[3] - before[3]) / n, (after[4] - before[4]) / n, parts))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=300)
    ap.add_argument("--buckets", type=int, default=100)
    ap.add_argument("--objects", type=int, default=1000)
    a = ap.parse_args()
    cluster = etcd_cluster.Cluster().start()
    gws = etcd_cluster.Gateways(cluster, 1).start()
    try:
        g = gws.servers[0]
        admin = g.admin()
        endpoint, prefix = cluster.clients[0], gws.prefix
        tag = uuid.uuid4().hex[:6]
        rows = []

        def users():
            for i in range(a.users):
                r = admin.put("/admin/user", [("uid", f"user-{tag}-{i:06}"),
                                              ("display-name", f"User {i}"),
                                              ("email", f"user{i}@{tag}.example.com")])
                assert r.status_code == 200, r.text

        measure("user (uid, display name, email, one S3 key)", a.users, endpoint, prefix,
                users, rows)
        owner = f"owner-{tag}"
        keys = admin.create_user(owner, access_key=f"OWN{tag.upper()}".ljust(20, "0"),
                                 secret_key="s" * 40)["keys"][0]
        s3 = helpers.s3_client(g, keys["access_key"], keys["secret_key"])

        def buckets():
            for i in range(a.buckets):
                s3.create_bucket(Bucket=f"bucket-{tag}-{i:05}")

        measure("bucket (one owner)", a.buckets, endpoint, prefix, buckets, rows)
        bucket = f"bucket-{tag}-00000"

        def objects():
            for i in range(a.objects):
                s3.put_object(Bucket=bucket, Key=f"photos/2026/11/img-{i:07}.jpg",
                              Body=b"x" * 1024)

        measure("object PUT (35-byte key, 1 KiB)", a.objects, endpoint, prefix, objects, rows)

        def overwrites():
            for i in range(a.objects):
                s3.put_object(Bucket=bucket, Key=f"photos/2026/11/img-{i:07}.jpg",
                              Body=b"y" * 1024)

        measure("object overwrite", a.objects, endpoint, prefix, overwrites, rows)

        def multipart():
            for i in range(a.objects // 20):
                key = f"big/file-{i:05}"
                up = s3.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
                parts = [{"PartNumber": n, "ETag": s3.upload_part(
                    Bucket=bucket, Key=key, UploadId=up, PartNumber=n,
                    Body=b"z" * 100)["ETag"]} for n in (1,)]
                s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up,
                                             MultipartUpload={"Parts": parts})

        measure("multipart upload of 1 part (create, part, complete)", a.objects // 20,
                endpoint, prefix, multipart, rows)

        # What the database needs once history is compacted and the file defragmented.
        live = snapshot(endpoint, prefix)
        requests.post(endpoint + "/v3/kv/compaction",
                      json={"revision": str(live[3]), "physical": True}, timeout=60)
        requests.post(endpoint + "/v3/maintenance/defragment", json={}, timeout=120)
        packed = snapshot(endpoint, prefix)
        print(f"whole store: {live[2]} keys, {live[1]} live bytes; etcd database "
              f"{live[4]} bytes with history, {packed[4]} after compaction and "
              f"defragmentation ({packed[4] / live[1]:.2f} x live)")
        print(f"etcd {endpoint}, prefix {prefix!r}; per operation:")
        print("| operation | n | live bytes | live keys | transactions | db growth | "
              "live bytes by key family |")
        print("|---|---|---|---|---|---|---|")
        for label, n, by, k, rev, db, parts in rows:
            print(f"| {label} | {n} | {by:.0f} | {k:.2f} | {rev:.2f} | {db:.0f} | {parts} |")
    finally:
        gws.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
