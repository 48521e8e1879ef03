#!/usr/bin/env python3
"""Differential checker (issue 13, item 2): a seeded generator of admin and S3 requests, valid,
near-valid and invalid, sent in order to radosgw 16.2.15 (the oracle) and to rgw-admin at
`compat = pacific`; every difference in status, error code or normalized body is reported.

    python3 tests/conformance/diffcheck.py --oracle http://127.0.0.1:7480 \
        --ours http://127.0.0.1:PORT --seed 1 --count 120 [--record tests/diffcheck]

Both gateways need the capture's admin keys (ADMINACCESSKEY0000000 / adminsecretkey000...).
Each run names its users and buckets after the seed and a nonce, so it can be repeated against
a long-lived oracle. `--record DIR` writes DIR/seed-N.json: the request sequence and the
oracle's normalized answers, which tests/python/test_diffcheck.py replays against a fresh
server when no oracle is running.

Normalization is golden_diff's (request ids, host ids, times, bucket ids, generated keys
masked) plus upload ids; requests that need a value the server made (an upload id) name it
`{upload}` and each gateway gets its own.
"""
import argparse
import hashlib
import json
import os
import random
import re
import sys
import uuid
from urllib.parse import quote

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import awssig  # noqa: E402
import golden_diff  # noqa: E402

ADMIN = ("ADMINACCESSKEY0000000", "adminsecretkey00000000000000000000000000")
TIMEOUT = 15
UPLOAD_RE = re.compile(r"<UploadId>([^<]+)</UploadId>")
UPLOAD_MARKER_RE = re.compile(r"<(\w*UploadIdMarker)>[^<]+</\1>")
# Bucket index versions per shard: radosgw's depend on its shard hashing of every index op.
INDEX_VER_RE = re.compile(r'"(ver|master_ver)": "[0-9#,]+"')


# --- the generator ---------------------------------------------------------------------------
def generate(seed, count, nonce):
    """The request sequence for `seed`: a fixed setup (two users with fixed keys, a bucket
    with a few objects), then `count` requests drawn from the templates below."""
    rnd = random.Random(seed)
    p = f"d{seed}{nonce}"
    u1, u2, u3, missing = f"{p}-u1", f"{p}-u2", f"{p}-u3", f"{p}-nobody"
    k1 = (f"{p}K1".upper().replace("-", "") + "0" * 20)[:20]
    k2 = (f"{p}K2".upper().replace("-", "") + "0" * 20)[:20]
    s1, s2 = "a" * 40, "b" * 40
    keys = {"u1": (k1, s1), "u2": (k2, s2)}
    b1, b2 = f"{p}-b1", f"{p}-nob"
    steps = []

    def admin(name, method, path, query, **kw):
        steps.append(dict(name=name, method=method, path=path, query=query, who="admin", **kw))

    def s3(name, method, path, query=(), headers=None, body="", who="u1", **kw):
        steps.append(dict(name=name, method=method, path=path, query=list(query),
                          headers=headers or {}, body=body, who=who, **kw))

    admin("setup-u1", "PUT", "/admin/user", [["uid", u1], ["display-name", "One"],
                                             ["access-key", k1], ["secret-key", s1]])
    admin("setup-u2", "PUT", "/admin/user", [["uid", u2], ["display-name", "Two"],
                                             ["access-key", k2], ["secret-key", s2],
                                             ["email", f"{u2}@example.com"]])
    # u3 is the one admin writes change, so a difference there cannot change later S3
    # answers (owner names, op masks).
    admin("setup-u3", "PUT", "/admin/user", [["uid", u3], ["display-name", "Three"],
                                             ["generate-key", "false"]])
    s3("setup-bucket", "PUT", f"/{b1}")
    objects = {"a": "alpha\n", "dir/b c": "bravo " * 50, "dir/sub/d+e": "", "zed": "z" * 300}
    for k, v in objects.items():
        s3(f"setup-put-{k}", "PUT", f"/{b1}/{k}", body=v)
    etag = hashlib.md5(objects["zed"].encode()).hexdigest()

    pick = rnd.choice
    bool_vals = ["true", "false", "1", "0", "bogus", ""]
    num_vals = ["0", "1", "5", "-1", "1001", "bogus", ""]

    def t_user_info():
        q = []
        if rnd.random() < 0.9:
            q.append(["uid", pick([u1, u2, missing, ""])])
        if rnd.random() < 0.3:
            q.append(["access-key", pick([k1, k2, "NOSUCHKEY00000000000"])])
        if rnd.random() < 0.3:
            q.append(["stats", pick(bool_vals)])
        if rnd.random() < 0.2:
            q.append(["format", pick(["json", "xml"])])
        admin("user-info", "GET", "/admin/user", q)

    def t_user_modify():
        q = [["uid", pick([u3, missing])]]
        for name, vals in [("display-name", ["Renamed", ""]), ("max-buckets", num_vals),
                           ("suspended", bool_vals), ("op-mask", ["read", "read, write",
                                                                  "bogus", "*"]),
                           ("email", [f"{u2}@example.com", "new@example.com", "bad"])]:
            if rnd.random() < 0.3:
                q.append([name, pick(vals)])
        admin("user-modify", "POST", "/admin/user", q)

    def t_user_create():
        uid = pick([f"{p}-n{len(steps)}", u1, ""])
        q = [["uid", uid]] if uid or rnd.random() < 0.5 else []
        if rnd.random() < 0.8:
            q.append(["display-name", pick(["New", ""])])
        for name, vals in [("email", [f"{u2}@example.com", f"{uid}@example.com", "x"]),
                           ("max-buckets", num_vals), ("key-type", ["s3", "swift", "bogus"]),
                           ("generate-key", ["false"]), ("suspended", bool_vals),
                           ("user-caps", ["usage=read", "bogus=*", "users=bogus"])]:
            if rnd.random() < 0.25:
                q.append([name, pick(vals)])
        if not any(k == "generate-key" for k, _ in q):
            q.append(["generate-key", "false"])
        admin("user-create", "PUT", "/admin/user", q)

    def t_caps():
        caps = pick(["users=read", "users=read;buckets=*", "bogus=read", "users=bogus",
                     "users", "usage = write", ""])
        method = pick(["PUT", "DELETE"])
        admin("caps-" + method.lower(), method, "/admin/user",
              [["caps", None], ["uid", pick([u3, missing])], ["user-caps", caps]])

    def t_quota():
        q = [["quota", None], ["uid", pick([u3, missing])]]
        if rnd.random() < 0.8:
            q.append(["quota-type", pick(["user", "bucket", "bogus"])])
        if rnd.random() < 0.5:
            method = "PUT"
            for name in ["max-objects", "max-size-kb", "max-size", "enabled"]:
                if rnd.random() < 0.5:
                    q.append([name, pick(bool_vals if name == "enabled" else num_vals)])
        else:
            method = "GET"
        admin("quota-" + method.lower(), method, "/admin/user", q)

    def t_bucket_admin():
        # Never the bare list: the oracle holds other runs' buckets.
        q = []
        if rnd.random() < 0.8:
            q.append(["bucket", pick([b1, b2])])
        if not q or rnd.random() < 0.4:
            q.append(["uid", pick([u1, u2, missing])])
        if rnd.random() < 0.4:
            q.append(["stats", pick(bool_vals)])
        admin("bucket-info", "GET", "/admin/bucket", q)

    def t_metadata():
        sec = pick(["user", "bucket", "bogus"])
        q = [["key", pick([u1, b1, missing])]]  # never the list: other runs' names
        admin("metadata-get", "GET", f"/admin/metadata/{sec}", q)

    def t_list():
        q = []
        if rnd.random() < 0.4:
            q.append(["list-type", pick(["2", "3"])])
        for name, vals in [("prefix", ["dir/", "d", "zz", ""]), ("delimiter", ["/", " ", "+"]),
                           ("max-keys", num_vals), ("marker", ["a", "dir/", "zzz"]),
                           ("start-after", ["a", "dir/b"]), ("encoding-type", ["url", "bogus"]),
                           ("fetch-owner", ["true"]), ("continuation-token", ["", "bogus"])]:
            if rnd.random() < 0.3:
                q.append([name, pick(vals)])
        s3("list", "GET", f"/{pick([b1, b1, b2])}", q)

    def t_get_object():
        h = {}
        if rnd.random() < 0.5:
            h["Range"] = pick(["bytes=0-9", "bytes=-5", "bytes=290-", "bytes=400-500",
                               "bytes=5-2", "bytes=0-1,3-4", "bytes=x", "items=0-1"])
        if rnd.random() < 0.3:
            h["If-Match"] = pick([f'"{etag}"', '"0000"', "*"])
        if rnd.random() < 0.3:
            h["If-None-Match"] = pick([f'"{etag}"', '"0000"', "*"])
        if rnd.random() < 0.2:
            h["If-Modified-Since"] = pick(["Sat, 01 Jan 2000 00:00:00 GMT",
                                           "Fri, 01 Jan 2100 00:00:00 GMT", "bogus"])
        if rnd.random() < 0.2:
            h["If-Unmodified-Since"] = pick(["Sat, 01 Jan 2000 00:00:00 GMT",
                                             "Fri, 01 Jan 2100 00:00:00 GMT"])
        q = [["versionId", pick(["null", "bogus"])]] if rnd.random() < 0.1 else []
        s3("get-object", pick(["GET", "HEAD"]), f"/{b1}/{pick(['zed', 'zed', 'missing'])}",
           q, headers=h)

    def t_put_object():
        h = {}
        if rnd.random() < 0.4:
            h["If-None-Match"] = "*"
        if rnd.random() < 0.2:
            h["Content-MD5"] = pick(["AAAAAAAAAAAAAAAAAAAAAA==", "bogus"])
        if rnd.random() < 0.3:
            h["x-amz-acl"] = pick(["public-read", "private", "bogus"])
        s3("put-object", "PUT", f"/{b1}/{pick(['new', 'a', 'zed2'])}", headers=h,
           body=pick(["", "data", "x" * 100]))

    def t_acl():
        key = pick(["", "/a"])
        if rnd.random() < 0.5:
            s3("acl-get", "GET", f"/{b1}{key}", [["acl", None]])
        else:
            s3("acl-put", "PUT", f"/{b1}{key}", [["acl", None]],
               headers={"x-amz-acl": pick(["public-read", "authenticated-read", "private",
                                           "bogus"])})

    def t_multipart():
        key = pick(["mp1", "mp2"])
        s3("mp-create", "POST", f"/{b1}/{key}", [["uploads", None]], capture="upload")
        part = "p" * pick([10, 100])
        if rnd.random() < 0.8:
            s3("mp-part", "PUT", f"/{b1}/{key}", [["partNumber", pick(["1", "2", "0",
                                                                       "10001"])],
                                                  ["uploadId", "{upload}"]], body=part)
        s3("mp-list-parts", "GET", f"/{b1}/{key}",
           [["uploadId", "{upload}"]] + ([["max-parts", pick(num_vals)]]
                                         if rnd.random() < 0.5 else []))
        s3("mp-list-uploads", "GET", f"/{b1}", [["uploads", None]])
        pe = hashlib.md5(part.encode()).hexdigest()
        end = pick(["complete", "complete-bad", "abort", "none"])
        if end.startswith("complete"):
            e = pe if end == "complete" else "0" * 32
            body = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
                    f"<ETag>\"{e}\"</ETag></Part></CompleteMultipartUpload>")
            s3("mp-complete", "POST", f"/{b1}/{key}", [["uploadId", "{upload}"]], body=body)
            if end == "complete" and rnd.random() < 0.5:
                s3("mp-complete-again", "POST", f"/{b1}/{key}", [["uploadId", "{upload}"]],
                   body=body)
        if end != "complete":
            s3("mp-abort", "DELETE", f"/{b1}/{key}", [["uploadId", "{upload}"]])

    def t_bucket_s3():
        name = pick([b1, f"{p}-x{len(steps)}", "Bad_Name", "ab"])
        h = {"x-amz-acl": pick(["private", "public-read"])} if rnd.random() < 0.4 else {}
        s3("bucket-create", "PUT", f"/{name}", headers=h, who=pick(["u1", "u2"]))

    templates = [t_user_info, t_user_modify, t_user_create, t_caps, t_quota, t_bucket_admin,
                 t_metadata, t_list, t_list, t_get_object, t_get_object, t_put_object, t_acl,
                 t_multipart, t_bucket_s3]
    while len(steps) < count + 6:
        pick(templates)()
    return {"seed": seed, "prefix": p, "keys": keys, "steps": steps}


# --- sending ---------------------------------------------------------------------------------
def send(base, step, keys, vars_):
    """Send one step to `base`; (status, code, normalized body). `vars_` holds this
    gateway's captured values (`upload`)."""
    query = [[k, v.replace("{upload}", vars_.get("upload", "none")) if isinstance(v, str)
              else v] for k, v in step["query"]]
    who = step["who"]
    ak, sk = ADMIN if who == "admin" else keys[who]
    body = step.get("body", "").encode()
    host = base.split("://", 1)[1]
    headers = dict(step.get("headers", {}))
    path = quote(step["path"], safe="/-_.~")
    signed = awssig.sign_v4(step["method"], host, path, query, ak, sk, body,
                            extra_headers=headers,
                            payload_hash="UNSIGNED-PAYLOAD" if who == "admin" else None)
    url = base + path
    qs = awssig.encode_query(query)
    if qs:
        url += "?" + qs
    r = requests.request(step["method"], url, data=body or None, headers=signed,
                         timeout=TIMEOUT, allow_redirects=False, stream=True)
    raw = r.raw.read(decode_content=False)
    text = raw.decode("utf-8", "replace")
    if step.get("capture") == "upload":
        m = UPLOAD_RE.search(text)
        vars_["upload"] = m.group(1) if m else "none"
    return r.status_code, error_code(text), normalize(text)


def error_code(text):
    m = re.search(r"<Code>([^<]*)</Code>", text) or re.search(r'"Code":"([^"]*)"', text)
    return m.group(1) if m else ""


def normalize(text):
    text = UPLOAD_RE.sub("<UploadId><*></UploadId>", text)
    text = UPLOAD_MARKER_RE.sub(lambda m: f"<{m.group(1)}><*></{m.group(1)}>", text)
    body = golden_diff.normalize_body({"response_body": text})
    return INDEX_VER_RE.sub(lambda m: f'"{m.group(1)}": "<*>"', body)


def run(base, seq):
    """Every step of `seq` against `base`, in order: a list of (status, code, body)."""
    vars_ = {}
    return [send(base, st, seq["keys"], vars_) for st in seq["steps"]]


def compare(seq, want, got):
    """Differences between two answer lists: [(index, step name, what)]."""
    out = []
    for i, (st, a, b) in enumerate(zip(seq["steps"], want, got)):
        for what, x, y in zip(("status", "code", "body"), a, b):
            if x != y:
                out.append((i, st["name"], what, x, y))
                break
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--oracle", default="http://127.0.0.1:7480")
    ap.add_argument("--ours", required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=120)
    ap.add_argument("--record", help="directory for seed-N.json fixtures")
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    seq = generate(args.seed, args.count, uuid.uuid4().hex[:6])
    want = run(args.oracle.rstrip("/"), seq)
    got = run(args.ours.rstrip("/"), seq)
    diffs = compare(seq, want, got)
    for i, name, what, x, y in diffs:
        st = seq["steps"][i]
        print(f"#{i} {name}: {what} differs: oracle {str(x)[:300]!r} ours {str(y)[:300]!r}")
        if args.v:
            print(f"    {st['method']} {st['path']} {st['query']} {st.get('headers')}")
    print(f"diffcheck seed {args.seed}: {len(seq['steps']) - len(diffs)}/{len(seq['steps'])} "
          f"same")
    if args.record:
        os.makedirs(args.record, exist_ok=True)
        for st, w in zip(seq["steps"], want):
            st["oracle"] = {"status": w[0], "code": w[1], "body": w[2]}
        with open(os.path.join(args.record, f"seed-{args.seed}.json"), "w") as f:
            json.dump(seq, f, indent=1)
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
