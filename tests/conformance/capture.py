#!/usr/bin/env python3
"""Capture golden fixtures of the radosgw Admin Ops REST API (and a little S3).

Usage:  python3 tests/conformance/capture.py [--url http://127.0.0.1:7480] --out DIR

(Copied from the radosgw oracle; tests/conformance/conformance.py imports it to replay the same
scenario against rgw-admin. The fixtures in tests/golden were written by it against radosgw.)

Needs a fresh gateway from oracle/start-radosgw.sh (FRESH=1 for a clean one): the script
creates fixed users/buckets and expects them not to exist yet. Every request is recorded as
golden/NNN-short-name.json with the request, the raw response and the fields that vary
from run to run ("varies"). See README.md for the file format.
"""
import argparse
import base64
import hashlib
import hmac
import datetime as dt
import json
import os
import re
import sys
import time
from urllib.parse import urlsplit

import boto3
import botocore.config
import requests
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import awssig  # noqa: E402

ADMIN = ("ADMINACCESSKEY0000000", "adminsecretkey00000000000000000000000000")
ALICE = ("ALICEACCESSKEY000000", "alicesecretkey00000000000000000000000000")
ALICE2 = ("ALICEACCESSKEY000002", "alicesecretkey00000000000000000000000002")
NOCAPS = ("NOCAPSACCESSKEY00000", "nocapssecretkey0000000000000000000000000")
READER = ("READERACCESSKEY00000", "readersecretkey0000000000000000000000000")
CAROL = ("CAROLACCESSKEY000000", "carolsecretkey00000000000000000000000000")
DAVE = ("DAVEACCESSKEY0000000", "davesecretkey000000000000000000000000000")
UNKNOWN = ("NOSUCHACCESSKEY00000", "nosuchsecretkey0000000000000000000000000")
FIXED_KEYS = {k for k, _ in (ADMIN, ALICE, ALICE2, NOCAPS, READER, CAROL, DAVE, UNKNOWN)}
SWIFT_SECRET = "aliceswiftsecret0000000000000000000000"

# --- what varies run to run -------------------------------------------------------------
TS_RE = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
BUCKET_ID_RE = re.compile(r"^[0-9a-f-]{36}\.\d+\.\d+$")
VOLATILE_KEYS = {"RequestId", "HostId", "mtime", "creation_time", "ctime", "time", "epoch",
                 "tag", "ver", "master_ver", "max_marker", "zonegroup", "cluster_id",
                 "request_id", "host_id", "mod_time", "bucket_id", "marker", "id",
                 "CreationDate", "LastModified", "ETag", "Marker", "ID"}
ALWAYS_VOLATILE_KEYS = {"RequestId", "HostId", "mtime", "creation_time", "ctime", "time",
                        "epoch", "tag", "max_marker", "zonegroup", "cluster_id",
                        "CreationDate", "LastModified", "mod_time"}
KEY_FIELDS = {"access_key", "secret_key", "AccessKey", "SecretKey"}


def _volatile_value(key, val):
    if key in ALWAYS_VOLATILE_KEYS:
        return True
    s = str(val)
    if TS_RE.match(s) or UUID_RE.search(s) or BUCKET_ID_RE.match(s):
        return True
    if key in ("ver", "master_ver") and isinstance(val, int):
        return False
    if key in KEY_FIELDS and s and s not in FIXED_KEYS and not s.startswith(
            ("adminsecret", "alicesecret", "nocapssecret", "readersecret", "carolsecret",
             "davesecret", "aliceswiftsecret")):
        return True  # generated access/secret key
    return False


def find_varies_json(node, path="body", out=None):
    out = [] if out is None else out
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}"
            if isinstance(v, (dict, list)):
                find_varies_json(v, p, out)
            elif _volatile_value(k, v):
                out.append(p)
    elif isinstance(node, list):
        for v in node:
            if isinstance(v, (dict, list)):
                find_varies_json(v, path + "[*]", out)
            elif isinstance(v, str) and (BUCKET_ID_RE.match(v) or UUID_RE.search(v)):
                out.append(path + "[*]")
    return out


def find_varies_xml(text):
    out = []
    for tag, val in re.findall(r"<([A-Za-z_][\w.-]*)>([^<]*)</\1>", text):
        if _volatile_value(tag, val):
            out.append(f"body:<{tag}>")
    return out


def dedup(seq):
    seen, out = set(), []
    for x in seq:
        if x not in seen:
            seen.add(x)
            out.append(x)
    return out


class Recorder:
    def __init__(self, base, outdir):
        self.base = base.rstrip("/")
        self.host = urlsplit(self.base).netloc
        self.outdir = outdir
        self.n = 0
        self.http = requests.Session()
        self.index = []

    # -------------------------------------------------------------------------------------
    def call(self, name, method, path, query=(), body=b"", auth="v4", keys=ADMIN,
             headers=None, notes="", varies=(), when=None):
        """Send one request, record it, return (status, parsed-json-or-None, text)."""
        query = [(k, v) for k, v in query]
        qs = awssig.encode_query(query)
        url = self.base + path + ("?" + qs if qs else "")
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        hdrs = dict(headers or {})
        access, secret = keys
        varies = list(varies)
        if auth in ("v4", "v4-badsig", "v4-nosha"):
            req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
            signer = SigV4Auth if auth == "v4-nosha" else S3SigV4Auth
            signer(Credentials(access, secret), "s3", "us-east-1").add_auth(req)
            hdrs = {k: v for k, v in req.headers.items()}
            if auth == "v4-badsig":
                a = hdrs["Authorization"]
                hdrs["Authorization"] = a[:-4] + ("0000" if not a.endswith("0000") else "1111")
        elif auth == "v4-unsigned":
            hdrs.update(awssig.sign_v4(method, self.host, path, query, access, secret, body,
                                       extra_headers=hdrs, payload_hash="UNSIGNED-PAYLOAD"))
        elif auth == "v4-presigned":
            req = AWSRequest(method=method, url=url, data=body, headers=hdrs)
            S3SigV4QueryAuth(Credentials(access, secret), "s3", "us-east-1",
                             expires=300).add_auth(req)
            url = req.url
        elif auth == "v2-presigned":
            expires = str(int(time.time()) + 300)
            sts = f"{method}\n\n\n{expires}\n{path}"
            sig = base64.b64encode(hmac.new(secret.encode(), sts.encode(),
                                            hashlib.sha1).digest()).decode()
            extra = [("AWSAccessKeyId", access), ("Expires", expires), ("Signature", sig)]
            url = url + ("&" if "?" in url else "?") + awssig.encode_query(extra)
        elif auth in ("v4own", "v4-skew"):
            w = when or dt.datetime.now(dt.timezone.utc)
            if auth == "v4-skew":
                w = w - dt.timedelta(hours=1)
            hdrs.update(awssig.sign_v4(method, self.host, path, query, access, secret, body,
                                       when=w, extra_headers=hdrs))
        elif auth in ("v2", "v2-badsig", "v2-skew"):
            w = dt.datetime.now(dt.timezone.utc)
            if auth == "v2-skew":
                w = w - dt.timedelta(hours=1)
            ctype = hdrs.pop("Content-Type", "")
            amz = {k: v for k, v in hdrs.items() if k.lower().startswith("x-amz-")}
            hdrs = {k: v for k, v in hdrs.items() if not k.lower().startswith("x-amz-")}
            hdrs.update(awssig.sign_v2(method, path, query, access, secret, when=w,
                                       content_type=ctype, amz_headers=amz))
            if auth == "v2-badsig":
                hdrs["Authorization"] = hdrs["Authorization"][:-5] + "AAAA="
        elif auth == "none":
            pass
        else:
            raise ValueError(auth)

        try:
            resp = self.http.request(method, url, headers=hdrs, data=body or None,
                                     allow_redirects=False, timeout=60)
        except requests.RequestException as e:  # recorded, never fatal
            resp = None
            err = repr(e)
        self.n += 1
        fname = f"{self.n:03d}-{name}.json"
        rec_headers = {k: v for k, v in hdrs.items()
                       if k.lower() not in ("authorization", "user-agent")}
        auth_note = {"v4": "SigV4 header auth (botocore S3SigV4Auth)",
                     "v4-nosha": "SigV4 via botocore SigV4Auth: no x-amz-content-sha256 header",
                     "v4-badsig": "SigV4 with the last 4 hex digits of the signature replaced",
                     "v4own": "SigV4 header auth (oracle/awssig.py)",
                     "v4-unsigned": "SigV4 header auth with x-amz-content-sha256: "
                                    "UNSIGNED-PAYLOAD (oracle/awssig.py)",
                     "v4-presigned": "SigV4 query-string auth (botocore S3SigV4QueryAuth, "
                                     "X-Amz-* params appended to the query; expires 300 s)",
                     "v2-presigned": "AWS v2 query-string auth (AWSAccessKeyId, Expires, "
                                     "Signature appended to the query; expires now+300 s)",
                     "v4-skew": "SigV4 correctly signed but x-amz-date one hour in the past",
                     "v2": "AWS v2 header auth 'AWS access:base64(hmac-sha1)'",
                     "v2-badsig": "AWS v2 with a corrupted signature",
                     "v2-skew": "AWS v2 correctly signed but Date one hour in the past",
                     "none": "no Authorization header (anonymous)"}[auth]
        sent_query = [[k, v] for k, v in query]
        if auth in ("v4-presigned", "v2-presigned"):
            sent_query = [[k, v] for k, v in
                          (p.partition("=")[::2] for p in urlsplit(url).query.split("&"))]
            varies.append("query: signature/expiry/date parameters")
        rec = {
            "name": name,
            "method": method,
            "path": path,
            "query": sent_query,
            "auth": {"scheme": auth, "access_key": None if auth == "none" else access},
            "request_headers": rec_headers,
            "request_body": body.decode("utf-8", "replace") if body else "",
        }
        if resp is None:
            rec.update({"status": None, "response_headers": [], "response_body": "",
                        "error": err})
            parsed, text = None, ""
        else:
            text = resp.content.decode("utf-8", "replace")
            rec.update({
                "status": resp.status_code,
                "reason": resp.reason,
                "response_headers": [[k, v] for k, v in resp.raw.headers.items()],
                "response_body": text,
            })
            parsed = None
            ctype = resp.headers.get("Content-Type", "")
            if text and "json" in ctype:
                try:
                    parsed = json.loads(text)
                except ValueError:
                    varies.append("body is not valid JSON")
            varies = ["header:Date", "header:x-amz-request-id"] + varies
            if parsed is not None:
                varies += find_varies_json(parsed)
            elif text.startswith("<?xml") or text.startswith("<"):
                varies += find_varies_xml(text)
            if "header:Content-Length" not in varies and any(
                    v.startswith("body") for v in varies):
                varies.append("header:Content-Length (body has varying fields)")
        if any(h.lower() in ("x-amz-date", "date") for h in rec_headers):
            varies.append("request_headers: X-Amz-Date/Date (signing time)")
        rec["varies"] = dedup(varies)
        rec["notes"] = (auth_note + (". " + notes if notes else ""))
        with open(os.path.join(self.outdir, fname), "w") as f:
            json.dump(rec, f, indent=2, ensure_ascii=False)
            f.write("\n")
        self.index.append((fname, method, path + ("?" + qs if qs else "") +
                           (" (" + auth + ")" if auth != "v4" else ""),
                           rec.get("status"), _code(parsed, text)))
        st = rec.get("status")
        print(f"{fname:52s} {method:6s} {st} {_code(parsed, text)}", flush=True)
        return st, parsed, text


def _code(parsed, text):
    if isinstance(parsed, dict) and "Code" in parsed:
        return parsed["Code"]
    m = re.search(r"<Code>([^<]*)</Code>", text or "")
    return m.group(1) if m else ""


def s3_client(base, keys):
    cfg = botocore.config.Config(
        s3={"addressing_style": "path"}, signature_version="s3v4",
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required", retries={"max_attempts": 1})
    return boto3.client("s3", endpoint_url=base, aws_access_key_id=keys[0],
                        aws_secret_access_key=keys[1], region_name="us-east-1", config=cfg)


# ===========================================================================================
def run(r: Recorder, base):
    U = "/admin/user"
    B = "/admin/bucket"
    J = ("format", "json")
    X = ("format", "xml")

    # ---- discovery / auth ---------------------------------------------------------------
    r.call("info", "GET", "/admin/info", [J],
           notes="Info is documented for Quincy+ (caps info=read); Pacific has no such op")
    r.call("info-xml", "GET", "/admin/info", [X])
    r.call("user-info-admin", "GET", U, [("uid", "admin")])
    r.call("user-info-admin-format-json", "GET", U, [J, ("uid", "admin")])
    r.call("user-info-admin-xml", "GET", U, [("uid", "admin"), X])
    r.call("user-info-admin-v2", "GET", U, [("uid", "admin")], auth="v2")
    r.call("user-info-admin-v2-xml", "GET", U, [("uid", "admin"), X], auth="v2")
    r.call("user-info-admin-v4own", "GET", U, [("uid", "admin")], auth="v4own",
           notes="same as user-info-admin, signed by oracle/awssig.py")
    r.call("user-info-admin-v4-presigned", "GET", U, [("uid", "admin")], auth="v4-presigned")
    r.call("user-info-admin-v2-presigned", "GET", U, [("uid", "admin")], auth="v2-presigned")
    r.call("user-info-admin-v4-unsigned-payload", "GET", U, [("uid", "admin")],
           auth="v4-unsigned")
    r.call("err-unsigned", "GET", U, [("uid", "admin")], auth="none")
    r.call("err-unsigned-xml", "GET", U, [("uid", "admin"), X], auth="none")
    r.call("err-v4-no-content-sha256", "GET", U, [("uid", "admin")], auth="v4-nosha",
           notes="radosgw assumes UNSIGNED-PAYLOAD in the canonical request when "
                 "x-amz-content-sha256 is absent, so a signer that hashed the empty body "
                 "gets SignatureDoesNotMatch")
    r.call("err-v4-bad-signature", "GET", U, [("uid", "admin")], auth="v4-badsig")
    r.call("err-v4-bad-signature-xml", "GET", U, [("uid", "admin"), X], auth="v4-badsig")
    r.call("err-v2-bad-signature", "GET", U, [("uid", "admin")], auth="v2-badsig")
    r.call("err-v4-unknown-access-key", "GET", U, [("uid", "admin")], keys=UNKNOWN)
    r.call("err-v2-unknown-access-key", "GET", U, [("uid", "admin")], keys=UNKNOWN, auth="v2")
    r.call("err-v4-skewed-date", "GET", U, [("uid", "admin")], auth="v4-skew")
    r.call("err-v2-skewed-date", "GET", U, [("uid", "admin")], auth="v2-skew")
    r.call("err-unknown-admin-resource", "GET", "/admin/nosuchresource", [("uid", "admin")])
    r.call("err-user-patch-method", "PATCH", U, [("uid", "admin")])
    r.call("err-ratelimit-get", "GET", "/admin/ratelimit",
           [("ratelimit-scope", "user"), ("uid", "admin")],
           notes="ratelimit admin op is Quincy+; shows what Pacific answers")

    # ---- create users ---------------------------------------------------------------------
    r.call("user-create-alice", "PUT", U,
           [("uid", "alice"), ("display-name", "Alice Example"), ("email", "alice@example.com"),
            ("access-key", ALICE[0]), ("secret-key", ALICE[1]), J])
    r.call("user-create-bob-generated-keys", "PUT", U,
           [("uid", "bob"), ("display-name", "Bob Example"), ("email", "bob@example.com")],
           notes="access/secret keys are generated by radosgw")
    r.call("user-create-nocaps", "PUT", U,
           [("uid", "nocaps"), ("display-name", "No Caps"), ("access-key", NOCAPS[0]),
            ("secret-key", NOCAPS[1])])
    r.call("user-create-reader-with-caps", "PUT", U,
           [("uid", "reader"), ("display-name", "Reader"), ("access-key", READER[0]),
            ("secret-key", READER[1]), ("user-caps", "users=read;buckets=read")])
    r.call("user-create-tenant-param", "PUT", U,
           [("uid", "carol"), ("tenant", "acme"), ("display-name", "Carol Tenant"),
            ("access-key", CAROL[0]), ("secret-key", CAROL[1])])
    r.call("user-create-tenant-in-uid", "PUT", U,
           [("uid", "acme$dan"), ("display-name", "Dan Tenant"), ("key-type", "s3"),
            ("generate-key", "false")],
           notes="generate-key=false: no key is created")
    r.call("user-create-dave-maxbuckets-suspended", "PUT", U,
           [("uid", "dave"), ("display-name", "Dave"), ("access-key", DAVE[0]),
            ("secret-key", DAVE[1]), ("max-buckets", "5"), ("suspended", "false")])
    r.call("user-create-ivy-suspended", "PUT", U,
           [("uid", "ivy"), ("display-name", "Ivy"), ("suspended", "true"),
            ("max-buckets", "0"), ("generate-key", "false")])
    r.call("err-user-create-swift-keytype-no-subuser", "PUT", U,
           [("uid", "sam"), ("display-name", "Sam Swift"), ("key-type", "swift")],
           notes="key-type=swift on user create")
    r.call("user-create-xml", "PUT", U,
           [("uid", "xavier"), ("display-name", "Xavier Xml"), ("email", "xavier@example.com"),
            ("generate-key", "false"), X])
    r.call("err-user-create-exists", "PUT", U,
           [("uid", "alice"), ("display-name", "Alice Other")])
    r.call("user-create-exists-same-params", "PUT", U,
           [("uid", "alice"), ("display-name", "Alice Example"), ("email", "alice@example.com"),
            ("access-key", ALICE[0]), ("secret-key", ALICE[1])],
           notes="create of an existing uid with identical parameters")
    r.call("err-user-create-exists-xml", "PUT", U,
           [("uid", "alice"), ("display-name", "Alice Other"), X])
    r.call("err-user-create-email-exists", "PUT", U,
           [("uid", "erin"), ("display-name", "Erin"), ("email", "alice@example.com")])
    r.call("err-user-create-key-exists", "PUT", U,
           [("uid", "frank"), ("display-name", "Frank"), ("access-key", ALICE[0]),
            ("secret-key", "franksecret")])
    r.call("user-create-invalid-key-type-accepted", "PUT", U,
           [("uid", "gina"), ("display-name", "Gina"), ("key-type", "bogus")])
    r.call("err-user-create-invalid-caps", "PUT", U,
           [("uid", "hank"), ("display-name", "Hank"), ("user-caps", "bogus=read")])
    r.call("err-user-create-no-display-name", "PUT", U, [("uid", "noname")])
    r.call("err-user-create-no-uid", "PUT", U, [("display-name", "No Uid")])
    r.call("err-user-create-email-exists-xml", "PUT", U,
           [("uid", "erin2"), ("display-name", "Erin2"), ("email", "bob@example.com"), X])

    # ---- user info ------------------------------------------------------------------------
    r.call("user-info-alice", "GET", U, [("uid", "alice")])
    r.call("user-info-alice-stats", "GET", U, [("uid", "alice"), ("stats", "true")])
    r.call("user-info-tenant", "GET", U, [("uid", "acme$carol")])
    r.call("err-user-info-tenant-param-unsupported", "GET", U, [("uid", "carol"), ("tenant", "acme")])
    r.call("user-info-by-access-key", "GET", U, [("access-key", ALICE[0])])
    r.call("err-user-info-nosuchuser", "GET", U, [("uid", "nosuchuser")])
    r.call("err-user-info-nosuchuser-xml", "GET", U, [("uid", "nosuchuser"), X])
    r.call("err-user-info-no-uid", "GET", U, [])
    r.call("user-list-query", "GET", U, [("list", None)],
           notes="/admin/user?list (later releases list users here)")
    r.call("user-list-metadata", "GET", "/admin/metadata/user", [])
    r.call("user-list-metadata-xml", "GET", "/admin/metadata/user", [X])
    r.call("user-list-metadata-paged", "GET", "/admin/metadata/user", [("max-entries", "2")])
    r.call("metadata-sections", "GET", "/admin/metadata", [])
    r.call("metadata-user-get", "GET", "/admin/metadata/user", [("key", "alice")])
    r.call("err-metadata-user-get-nosuch", "GET", "/admin/metadata/user",
           [("key", "nosuchuser")])

    # ---- caps / access denied ---------------------------------------------------------------
    r.call("err-accessdenied-nocaps-user-info", "GET", U, [("uid", "alice")], keys=NOCAPS)
    r.call("err-accessdenied-nocaps-user-info-xml", "GET", U, [("uid", "alice"), X],
           keys=NOCAPS)
    r.call("err-accessdenied-nocaps-usage", "GET", "/admin/usage", [], keys=NOCAPS)
    r.call("err-accessdenied-nocaps-bucket", "GET", B, [], keys=NOCAPS)
    r.call("err-accessdenied-nocaps-metadata", "GET", "/admin/metadata/user", [], keys=NOCAPS)
    r.call("user-info-own-uid-nocaps", "GET", U, [("uid", "nocaps")], keys=NOCAPS,
           notes="a user without caps asking about itself")
    r.call("user-info-reader", "GET", U, [("uid", "alice")], keys=READER,
           notes="users=read suffices")
    r.call("err-accessdenied-reader-write", "POST", U,
           [("uid", "alice"), ("display-name", "Hacked")], keys=READER)

    r.call("caps-add", "PUT", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "usage=read,write;users=read")])
    r.call("caps-add-xml", "PUT", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "buckets=read"), X])
    r.call("caps-add-star", "PUT", U, [("caps", None), ("uid", "alice"),
                                       ("user-caps", "metadata=*")])
    r.call("err-caps-add-invalid", "PUT", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "bogus=read")])
    r.call("caps-add-invalid-perm-ignored", "PUT", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "users=bogus")])
    r.call("err-caps-add-nosuchuser", "PUT", U,
           [("caps", None), ("uid", "nosuchuser"), ("user-caps", "users=read")])
    r.call("caps-remove", "DELETE", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "usage=write")])
    r.call("caps-remove-not-held-ok", "DELETE", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "zone=read")])
    r.call("caps-remove-from-user-without-caps", "DELETE", U,
           [("caps", None), ("uid", "nocaps"), ("user-caps", "users=read")],
           notes="attempt to provoke the documented NoSuchCap")
    r.call("err-caps-remove-invalid", "DELETE", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "bogus=read")])
    r.call("caps-remove-all-of-type", "DELETE", U,
           [("caps", None), ("uid", "alice"), ("user-caps", "metadata=*"), X])

    # ---- modify user ------------------------------------------------------------------------
    r.call("user-modify-display-name", "POST", U,
           [("uid", "alice"), ("display-name", "Alice Modified"), ("max-buckets", "10")])
    r.call("user-modify-xml", "POST", U, [("uid", "alice"), ("max-buckets", "20"), X])
    r.call("user-modify-suspend", "POST", U, [("uid", "dave"), ("suspended", "true")])
    r.call("err-user-suspended-s3-request", "GET", "/", [], keys=DAVE,
           notes="S3 ListBuckets by a suspended user")
    r.call("err-user-suspended-admin-request", "GET", U, [("uid", "dave")], keys=DAVE)
    r.call("user-modify-unsuspend", "POST", U, [("uid", "dave"), ("suspended", "false")])
    r.call("user-modify-op-mask", "POST", U, [("uid", "dave"), ("op-mask", "read")])
    r.call("user-modify-op-mask-back", "POST", U,
           [("uid", "dave"), ("op-mask", "read, write, delete")])
    r.call("user-modify-email", "POST", U, [("uid", "dave"), ("email", "dave@example.com")])
    r.call("err-user-modify-email-exists", "POST", U,
           [("uid", "dave"), ("email", "alice@example.com")])
    r.call("err-user-modify-key-exists", "POST", U,
           [("uid", "dave"), ("access-key", ALICE[0]), ("secret-key", "x")])
    r.call("err-user-modify-nosuchuser", "POST", U,
           [("uid", "nosuchuser"), ("display-name", "X")])
    r.call("user-modify-invalid-key-type-accepted", "POST", U,
           [("uid", "dave"), ("key-type", "bogus"), ("generate-key", "true")])
    r.call("user-modify-generate-key", "POST", U, [("uid", "bob"), ("generate-key", "true")],
           notes="a second generated key pair is added")

    # ---- keys -------------------------------------------------------------------------------
    r.call("key-create-s3-fixed", "PUT", U,
           [("key", None), ("uid", "alice"), ("access-key", ALICE2[0]),
            ("secret-key", ALICE2[1])])
    r.call("key-create-s3-generated", "PUT", U,
           [("key", None), ("uid", "bob"), ("generate-key", "true")])
    r.call("key-create-s3-xml", "PUT", U,
           [("key", None), ("uid", "dave"), ("access-key", "DAVEACCESSKEY0000002"),
            ("secret-key", "davesecretkey000000000000000000000000002"), X])
    r.call("err-key-create-exists-other-user", "PUT", U,
           [("key", None), ("uid", "bob"), ("access-key", ALICE[0]), ("secret-key", "zz")])
    r.call("key-create-existing-own-key-modifies", "PUT", U,
           [("key", None), ("uid", "alice"), ("access-key", ALICE2[0]),
            ("secret-key", "alicesecretkey00000000000000000000000022")],
           notes="same access key, new secret: modifies the key")
    r.call("key-create-invalid-key-type-empty-200", "PUT", U,
           [("key", None), ("uid", "alice"), ("key-type", "bogus")])
    r.call("err-key-create-nosuchuser", "PUT", U,
           [("key", None), ("uid", "nosuchuser"), ("generate-key", "true")])
    r.call("key-remove-s3", "DELETE", U, [("key", None), ("access-key", "DAVEACCESSKEY0000002")])
    r.call("key-remove-s3-with-uid", "DELETE", U,
           [("key", None), ("uid", "alice"), ("access-key", ALICE2[0])])
    r.call("err-key-remove-nosuchkey", "DELETE", U,
           [("key", None), ("uid", "alice"), ("access-key", "NOSUCHKEY")])
    r.call("err-key-remove-nosuchkey-xml", "DELETE", U,
           [("key", None), ("uid", "alice"), ("access-key", "NOSUCHKEY"), X])
    r.call("err-key-remove-no-access-key", "DELETE", U, [("key", None), ("uid", "alice")])

    # ---- subusers ---------------------------------------------------------------------------
    r.call("err-v4-duplicate-query-key-subuser", "PUT", U,
           [("subuser", None), ("uid", "alice"), ("subuser", "alice:swift"),
            ("access", "full"), ("key-type", "swift"), ("secret-key", SWIFT_SECRET)],
           notes="'subuser' appears twice (bare, then with a value). botocore signs both "
                 "pairs; radosgw builds its canonical query from a map that keeps one "
                 "value per key, so v4 fails with SignatureDoesNotMatch")
    r.call("subuser-create-swift", "PUT", U,
           [("subuser", "alice:swift"), ("uid", "alice"), ("access", "full"),
            ("key-type", "swift"), ("secret-key", SWIFT_SECRET)])
    r.call("subuser-create-duplicate-query-key-v2", "PUT", U,
           [("subuser", None), ("uid", "alice"), ("subuser", "alice:v2sub"),
            ("access", "write")], auth="v2",
           notes="same duplicated 'subuser' key under v2 (query not signed): accepted; "
                 "secret generated")
    r.call("subuser-create-generated", "PUT", U,
           [("subuser", "alice:gen"), ("uid", "alice"), ("access", "read"),
            ("generate-secret", "true")],
           notes="subuser given only once, as sub-resource selector with value")
    r.call("subuser-create-s3-xml", "PUT", U,
           [("subuser", "alice:s3sub"), ("uid", "alice"), ("access", "readwrite"),
            ("key-type", "s3"), ("access-key", "ALICESUBACCESSKEY000"),
            ("secret-key", "alicesubsecret000000000000000000000000"), X])
    r.call("subuser-create-exists-ok", "PUT", U,
           [("subuser", "alice:swift"), ("uid", "alice"), ("access", "full")])
    r.call("err-subuser-create-invalid-access", "PUT", U,
           [("subuser", "alice:bad"), ("uid", "alice"), ("access", "bogus")])
    r.call("subuser-create-invalid-key-type-accepted", "PUT", U,
           [("subuser", "alice:bad2"), ("uid", "alice"), ("key-type", "bogus")])
    r.call("err-subuser-create-nosuchuser", "PUT", U,
           [("subuser", "nosuchuser:x"), ("uid", "nosuchuser"), ("access", "read")])
    r.call("subuser-modify-access", "POST", U,
           [("subuser", "alice:swift"), ("uid", "alice"), ("access", "read")])
    r.call("subuser-modify-secret", "POST", U,
           [("subuser", "alice:swift"), ("uid", "alice"), ("secret", SWIFT_SECRET + "1"),
            ("key-type", "swift")])
    r.call("err-subuser-modify-nosuch", "POST", U,
           [("subuser", "alice:nosuch"), ("uid", "alice"), ("access", "read")])
    r.call("err-subuser-modify-invalid-access", "POST", U,
           [("subuser", "alice:swift"), ("uid", "alice"), ("access", "bogus")])
    r.call("key-create-swift-subuser", "PUT", U,
           [("key", None), ("uid", "alice"), ("subuser", "alice:gen"), ("key-type", "swift"),
            ("secret-key", "alicegenswiftsecret00000000000000000000")])
    r.call("key-create-swift-generated", "PUT", U,
           [("key", None), ("uid", "alice"), ("subuser", "alice:swift"), ("key-type", "swift"),
            ("generate-key", "true")], notes="replaces the swift key with a generated one")
    r.call("key-create-swift-fixed-again", "PUT", U,
           [("key", None), ("uid", "alice"), ("subuser", "alice:swift"), ("key-type", "swift"),
            ("secret-key", SWIFT_SECRET)])
    r.call("swift-auth-v1", "GET", "/auth/1.0", [], auth="none",
           headers={"X-Auth-User": "alice:swift", "X-Auth-Key": SWIFT_SECRET},
           notes="Swift v1 auth with the subuser's swift key (token varies)",
           varies=["header:X-Auth-Token", "header:X-Storage-Token"])
    r.call("key-remove-swift", "DELETE", U,
           [("key", None), ("uid", "alice"), ("subuser", "alice:gen"), ("key-type", "swift")])
    r.call("err-key-remove-swift-none-left", "DELETE", U,
           [("key", None), ("uid", "alice"), ("subuser", "alice:gen"), ("key-type", "swift")])
    r.call("user-info-alice-with-subusers", "GET", U, [("uid", "alice")])
    r.call("user-info-alice-with-subusers-xml", "GET", U, [("uid", "alice"), X])
    r.call("subuser-remove-keep-keys", "DELETE", U,
           [("subuser", "alice:gen"), ("uid", "alice"), ("purge-keys", "false")])
    r.call("subuser-remove-v2sub", "DELETE", U,
           [("subuser", "alice:v2sub"), ("uid", "alice")])
    r.call("subuser-remove-purge-keys", "DELETE", U,
           [("subuser", "alice:s3sub"), ("uid", "alice"), ("purge-keys", "true")])
    r.call("err-subuser-remove-nosuch", "DELETE", U,
           [("subuser", "alice:nosuch"), ("uid", "alice")])

    # ---- S3 data so bucket ops and usage have something --------------------------------------
    s3 = s3_client(base, ALICE)
    for b in ("alice-bucket-1", "alice-bucket-2", "alice-purge"):
        s3.create_bucket(Bucket=b)
    s3.put_object(Bucket="alice-bucket-1", Key="hello.txt", Body=b"hello world\n")
    s3.put_object(Bucket="alice-bucket-1", Key="dir/obj2", Body=b"x" * 4096)
    for i in range(5):
        s3.put_object(Bucket="alice-purge", Key=f"p/{i}", Body=b"y" * (100 * (i + 1)))
    s3.get_object(Bucket="alice-bucket-1", Key="hello.txt")["Body"].read()
    s3.list_objects_v2(Bucket="alice-bucket-1")
    # a few S3 calls recorded too (the project serves an S3 subset)
    r.call("s3-create-bucket", "PUT", "/alice-bucket-3", [], keys=ALICE)
    r.call("s3-put-object", "PUT", "/alice-bucket-3/obj.txt", [], keys=ALICE,
           body=b"some data\n", headers={"Content-Type": "text/plain"})
    r.call("s3-list-buckets", "GET", "/", [], keys=ALICE)
    r.call("s3-list-objects", "GET", "/alice-bucket-1", [], keys=ALICE)
    r.call("s3-list-objects-v2", "GET", "/alice-bucket-1", [("list-type", "2")], keys=ALICE)
    r.call("s3-head-object", "HEAD", "/alice-bucket-3/obj.txt", [], keys=ALICE)
    r.call("s3-get-object", "GET", "/alice-bucket-3/obj.txt", [], keys=ALICE)
    r.call("err-s3-get-nosuchkey", "GET", "/alice-bucket-3/nosuch", [], keys=ALICE)
    r.call("err-s3-get-nosuchbucket", "GET", "/nosuchbucket-zz", [], keys=ALICE)
    r.call("err-s3-create-bucket-exists-other-owner", "PUT", "/alice-bucket-3", [],
           keys=DAVE)
    r.call("s3-delete-object", "DELETE", "/alice-bucket-3/obj.txt", [], keys=ALICE)
    r.call("s3-delete-bucket", "DELETE", "/alice-bucket-3", [], keys=ALICE)
    s3d = s3_client(base, DAVE)
    s3d.create_bucket(Bucket="dave-bucket")
    s3d.put_object(Bucket="dave-bucket", Key="d1", Body=b"dave")
    time.sleep(3)  # usage log: tick interval 1 s, flush threshold 1

    # ---- buckets ------------------------------------------------------------------------------
    r.call("bucket-list-all", "GET", B, [])
    r.call("bucket-list-all-xml", "GET", B, [X])
    r.call("bucket-list-uid", "GET", B, [("uid", "alice")])
    r.call("bucket-list-uid-stats", "GET", B, [("uid", "alice"), ("stats", "true")])
    r.call("bucket-list-all-stats", "GET", B, [("stats", "true")])
    r.call("bucket-info", "GET", B, [("bucket", "alice-bucket-1")])
    r.call("bucket-info-stats", "GET", B, [("bucket", "alice-bucket-1"), ("stats", "true")])
    r.call("bucket-info-xml", "GET", B, [("bucket", "alice-bucket-1"), X])
    r.call("bucket-info-empty", "GET", B, [("bucket", "alice-bucket-2")])
    r.call("err-bucket-info-nosuchbucket", "GET", B, [("bucket", "nosuchbucket")])
    r.call("err-bucket-info-nosuchbucket-xml", "GET", B, [("bucket", "nosuchbucket"), X])
    r.call("bucket-list-nosuchuser-empty", "GET", B, [("uid", "nosuchuser")])
    r.call("bucket-check-index", "GET", B, [("index", None), ("bucket", "alice-bucket-1")])
    r.call("bucket-check-index-fix", "GET", B,
           [("index", None), ("bucket", "alice-bucket-1"), ("check-objects", "true"),
            ("fix", "true")])
    r.call("bucket-check-index-xml", "GET", B,
           [("index", None), ("bucket", "alice-bucket-1"), X])
    r.call("err-bucket-check-index-nosuchbucket", "GET", B,
           [("index", None), ("bucket", "nosuchbucket")])
    r.call("bucket-policy", "GET", B, [("policy", None), ("bucket", "alice-bucket-1")])
    r.call("bucket-policy-xml", "GET", B, [("policy", None), ("bucket", "alice-bucket-1"), X])
    r.call("object-policy", "GET", B,
           [("policy", None), ("bucket", "alice-bucket-1"), ("object", "hello.txt")])
    r.call("err-policy-no-bucket", "GET", B, [("policy", None)])
    r.call("err-policy-nosuchbucket", "GET", B, [("policy", None), ("bucket", "nosuchbucket")])
    r.call("err-object-policy-nosuchobject", "GET", B,
           [("policy", None), ("bucket", "alice-bucket-1"), ("object", "nosuch")])
    r.call("metadata-bucket-list", "GET", "/admin/metadata/bucket", [])
    st, meta, _ = r.call("metadata-bucket-get", "GET", "/admin/metadata/bucket",
                         [("key", "alice-bucket-1")])
    r.call("metadata-bucket-instance-list", "GET", "/admin/metadata/bucket.instance", [],
           varies=["body[*] (each entry is bucket:<bucket id>)"])
    try:
        bid = meta["data"]["bucket"]["bucket_id"]
    except (TypeError, KeyError):
        bid = "unknown"
    r.call("metadata-bucket-instance-get", "GET", "/admin/metadata/bucket.instance",
           [("key", f"alice-bucket-1:{bid}")],
           varies=["query.key (contains the bucket id)"])

    # quotas
    r.call("quota-user-get", "GET", U, [("quota", None), ("uid", "alice"),
                                        ("quota-type", "user")])
    r.call("quota-bucket-get", "GET", U, [("quota", None), ("uid", "alice"),
                                          ("quota-type", "bucket")])
    r.call("quota-user-get-xml", "GET", U, [("quota", None), ("uid", "alice"),
                                            ("quota-type", "user"), X])
    r.call("err-v4-signed-body-not-implemented", "PUT", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "user")],
           body={"enabled": True, "max_size_kb": 1048576, "max_objects": 1000},
           headers={"Content-Type": "application/json"},
           notes="admin op + v4 with a hashed (signed) payload: radosgw logs 'AWS4 completion "
                 "for this operation NOT IMPLEMENTED' and answers 501 before running the op")
    r.call("quota-user-set-json-body", "PUT", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "user")],
           body={"enabled": True, "max_size_kb": 1048576, "max_objects": 1000},
           headers={"Content-Type": "application/json"}, auth="v4-unsigned")
    r.call("quota-user-set-json-body-v2", "PUT", U,
           [("quota", None), ("uid", "reader"), ("quota-type", "user")],
           body={"enabled": True, "max_size": 1048576, "max_objects": 7},
           headers={"Content-Type": "application/json"}, auth="v2")
    r.call("quota-user-get-reader", "GET", U,
           [("quota", None), ("uid", "reader"), ("quota-type", "user")])
    r.call("quota-user-get-after-set", "GET", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "user")])
    r.call("quota-bucket-set-params", "PUT", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "bucket"),
            ("max-objects", "50"), ("max-size-kb", "2048"), ("enabled", "true")],
           notes="no body: quota values taken from query parameters")
    r.call("quota-bucket-get-after-set", "GET", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "bucket")])
    r.call("quota-user-set-max-size-bytes", "PUT", U,
           [("quota", None), ("uid", "dave"), ("quota-type", "user"),
            ("max-size", "1000000"), ("enabled", "true")])
    r.call("quota-user-get-dave", "GET", U,
           [("quota", None), ("uid", "dave"), ("quota-type", "user")])
    r.call("quota-get-no-type-returns-both", "GET", U, [("quota", None), ("uid", "alice")])
    r.call("err-quota-get-bad-type", "GET", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "bogus")])
    r.call("err-quota-get-nosuchuser", "GET", U,
           [("quota", None), ("uid", "nosuchuser"), ("quota-type", "user")])
    r.call("err-quota-set-bad-json", "PUT", U,
           [("quota", None), ("uid", "alice"), ("quota-type", "user")], body=b"{not json",
           headers={"Content-Type": "application/json"}, auth="v4-unsigned")
    r.call("bucket-quota-set-individual", "PUT", B,
           [("quota", None), ("uid", "alice"), ("bucket", "alice-bucket-1")],
           body={"enabled": True, "max_size_kb": 4096, "max_objects": 10},
           headers={"Content-Type": "application/json"}, auth="v4-unsigned")
    r.call("bucket-info-after-quota", "GET", B, [("bucket", "alice-bucket-1")])
    r.call("bucket-quota-set-individual-params", "PUT", B,
           [("quota", None), ("uid", "alice"), ("bucket", "alice-bucket-2"),
            ("max-objects", "3"), ("enabled", "true")],
           notes="no body: are query parameters honoured for the per-bucket quota?")
    r.call("bucket-info-after-quota-params", "GET", B, [("bucket", "alice-bucket-2")])
    r.call("err-bucket-quota-set-nosuchbucket", "PUT", B,
           [("quota", None), ("uid", "alice"), ("bucket", "nosuchbucket")],
           body={"enabled": True, "max_objects": 10},
           headers={"Content-Type": "application/json"}, auth="v4-unsigned")
    r.call("user-info-alice-with-quotas", "GET", U, [("uid", "alice")])

    # link / unlink
    r.call("bucket-unlink", "POST", B, [("bucket", "alice-bucket-2"), ("uid", "alice")])
    r.call("bucket-list-uid-after-unlink", "GET", B, [("uid", "alice")])
    r.call("bucket-unlink-wrong-owner", "POST", B,
           [("bucket", "alice-bucket-1"), ("uid", "nocaps")],
           notes="attempt to provoke BucketUnlinkFailed")
    r.call("bucket-unlink-again-ok", "POST", B,
           [("bucket", "alice-bucket-2"), ("uid", "alice")])
    r.call("bucket-link-no-bucket-id", "PUT", B, [("bucket", "alice-bucket-2"),
                                                  ("uid", "dave")])
    r.call("bucket-list-uid-dave-after-link", "GET", B, [("uid", "dave")])
    r.call("bucket-info-after-link", "GET", B, [("bucket", "alice-bucket-2")])
    r.call("bucket-link-back-xml", "PUT", B, [("bucket", "alice-bucket-2"), ("uid", "alice"),
                                             X])
    r.call("err-bucket-link-nosuchbucket", "PUT", B, [("bucket", "nosuchbucket"),
                                                      ("uid", "alice")])
    r.call("err-bucket-link-nosuchuser", "PUT", B, [("bucket", "alice-bucket-2"),
                                                    ("uid", "nosuchuser")])

    # object removal
    r.call("err-v4-duplicate-query-key-object", "DELETE", B,
           [("object", None), ("bucket", "alice-bucket-1"), ("object", "dir/obj2")],
           notes="'object' appears twice (bare, then with a value): v4 SignatureDoesNotMatch")
    r.call("object-remove-duplicate-query-key-v2", "DELETE", B,
           [("object", None), ("bucket", "alice-bucket-1"), ("object", "dir/obj2")],
           auth="v2", notes="same request under v2 auth: accepted")
    r.call("object-remove-single-param", "DELETE", B,
           [("object", "hello.txt"), ("bucket", "alice-bucket-1")],
           notes="object given once, as sub-resource with value")
    r.call("err-object-remove-nosuchobject", "DELETE", B,
           [("object", "nosuch.txt"), ("bucket", "alice-bucket-1")])
    r.call("err-object-remove-nosuchbucket", "DELETE", B,
           [("object", "x"), ("bucket", "nosuchbucket")])

    # bucket removal
    r.call("err-bucket-remove-not-empty", "DELETE", B, [("bucket", "alice-purge")])
    r.call("err-bucket-remove-not-empty-xml", "DELETE", B, [("bucket", "alice-purge"), X])
    r.call("bucket-remove-purge-objects", "DELETE", B,
           [("bucket", "alice-purge"), ("purge-objects", "true")])
    r.call("bucket-remove-empty", "DELETE", B, [("bucket", "alice-bucket-1")])
    r.call("err-bucket-remove-nosuchbucket", "DELETE", B, [("bucket", "nosuchbucket")])
    r.call("err-bucket-remove-nosuchbucket-xml", "DELETE", B, [("bucket", "nosuchbucket"), X])

    # ---- usage ----------------------------------------------------------------------------
    time.sleep(2)
    r.call("usage-get-all", "GET", "/admin/usage", [],
           varies=["body: counts depend on all earlier traffic and on hour boundaries"])
    r.call("usage-get-uid", "GET", "/admin/usage", [("uid", "alice")],
           varies=["body: counts depend on all earlier traffic"])
    r.call("usage-get-uid-xml", "GET", "/admin/usage", [("uid", "alice"), X],
           varies=["body: counts depend on all earlier traffic"])
    r.call("usage-get-no-entries", "GET", "/admin/usage",
           [("uid", "alice"), ("show-entries", "false")])
    r.call("usage-get-no-summary", "GET", "/admin/usage",
           [("uid", "alice"), ("show-summary", "false")])
    r.call("usage-get-range-empty", "GET", "/admin/usage",
           [("uid", "alice"), ("start", "2000-01-01 00:00:00"), ("end", "2000-01-02 00:00:00")])
    r.call("usage-get-nosuchuser", "GET", "/admin/usage", [("uid", "nosuchuser")])
    r.call("usage-get-categories", "GET", "/admin/usage",
           [("uid", "alice"), ("categories", "put_obj,get_obj")])
    r.call("usage-trim-no-params-ok", "DELETE", "/admin/usage", [])
    r.call("usage-trim-uid", "DELETE", "/admin/usage", [("uid", "dave")])
    r.call("usage-get-uid-after-trim", "GET", "/admin/usage", [("uid", "dave")],
           varies=["body: entries logged after the trim"])
    r.call("usage-trim-remove-all", "DELETE", "/admin/usage", [("remove-all", "true")])
    r.call("usage-get-all-after-trim", "GET", "/admin/usage", [],
           varies=["body: entries logged after the trim"])

    # ---- removing users -------------------------------------------------------------------
    r.call("err-user-remove-has-buckets", "DELETE", U, [("uid", "dave")])
    r.call("user-remove-purge-data", "DELETE", U, [("uid", "dave"), ("purge-data", "true")])
    r.call("user-remove", "DELETE", U, [("uid", "bob")])
    r.call("user-remove-xml", "DELETE", U, [("uid", "xavier"), X])
    r.call("user-remove-tenant", "DELETE", U, [("uid", "acme$carol")])
    r.call("err-user-remove-nosuchuser", "DELETE", U, [("uid", "bob")])
    r.call("err-user-remove-nosuchuser-xml", "DELETE", U, [("uid", "bob"), X])
    r.call("user-list-metadata-final", "GET", "/admin/metadata/user", [])


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=os.environ.get("RGW_URL", "http://127.0.0.1:7480"))
    # Required in this copy: the default used to be the golden dir, which a capture against
    # anything but a fresh radosgw 16.2 would overwrite (tests/golden is the reference).
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for f in os.listdir(a.out):
        if re.match(r"^\d{3}-.*\.json$", f) or f == "INDEX.md":
            os.remove(os.path.join(a.out, f))
    r = Recorder(a.url, a.out)
    run(r, a.url)
    with open(os.path.join(a.out, "INDEX.md"), "w") as f:
        f.write("# Golden index (generated by capture.py)\n\n"
                "| file | request | status | Code |\n|---|---|---|---|\n")
        for fname, m, p, st, code in r.index:
            f.write(f"| {fname} | `{m} {p}` | {st} | {code} |\n")
    print(f"{r.n} fixtures written to {a.out}")


if __name__ == "__main__":
    main()
