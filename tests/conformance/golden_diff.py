#!/usr/bin/env python3
"""Compare two golden directories (e.g. two capture runs, or radosgw vs another server)
after masking what varies run to run (ids, timestamps, request ids, generated keys).

Usage: python3 tests/conformance/golden_diff.py DIR_A DIR_B [--headers] [-v]
Exit status 0 when every fixture present in both matches (status + normalized body
[+ normalized header names/values with --headers]).
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from capture import _volatile_value  # noqa: E402

REQ_ID_RE = re.compile(r"tx[0-9a-f]{21}-[0-9a-f]{8}-[0-9a-f]+-[\w-]+")
HOST_ID_RE = re.compile(r"\b\d+-default-default\b")


def mask_json(node):
    if isinstance(node, dict):
        return {k: (mask_json(v) if isinstance(v, (dict, list))
                    else ("<*>" if _volatile_value(k, v) else v)) for k, v in node.items()}
    if isinstance(node, list):
        return [mask_json(v) if isinstance(v, (dict, list))
                else ("<*>" if isinstance(v, str) and _volatile_value("", v) else v)
                for v in node]
    return node


def mask_text(text):
    text = REQ_ID_RE.sub("<reqid>", text)
    text = HOST_ID_RE.sub("<hostid>", text)

    def sub(m):
        tag, val = m.group(1), m.group(2)
        return f"<{tag}><*></{tag}>" if _volatile_value(tag, val) else m.group(0)
    return re.sub(r"<([A-Za-z_][\w.-]*)>([^<]*)</\1>", sub, text)


def normalize_body(rec):
    text = rec.get("response_body", "")
    try:
        return json.dumps(mask_json(json.loads(text)), sort_keys=False)
    except ValueError:
        return mask_text(text)


VOLATILE_HEADERS = {"date", "x-amz-request-id", "content-length", "x-openstack-request-id",
                    "x-trans-id", "x-auth-token", "x-storage-token", "last-modified", "etag",
                    "x-timestamp", "x-rgw-object-type"}


def norm_headers(rec):
    return [(k.lower(), "<*>" if k.lower() in VOLATILE_HEADERS else v)
            for k, v in rec.get("response_headers", [])]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--headers", action="store_true", help="compare headers too")
    ap.add_argument("-v", action="store_true", help="print differing bodies")
    args = ap.parse_args()
    fa = {f for f in os.listdir(args.a) if f.endswith(".json")}
    fb = {f for f in os.listdir(args.b) if f.endswith(".json")}
    same = diff = 0
    for f in sorted(fa & fb):
        ra = json.load(open(os.path.join(args.a, f)))
        rb = json.load(open(os.path.join(args.b, f)))
        problems = []
        if ra.get("status") != rb.get("status"):
            problems.append(f"status {ra.get('status')} != {rb.get('status')}")
        ba, bb = normalize_body(ra), normalize_body(rb)
        if ba != bb:
            problems.append("body")
        if args.headers and norm_headers(ra) != norm_headers(rb):
            problems.append("headers")
        if problems:
            diff += 1
            print(f"DIFF {f}: {', '.join(problems)}")
            if args.v and "body" in problems:
                print("  A:", ba[:2000])
                print("  B:", bb[:2000])
        else:
            same += 1
    for f in sorted(fa ^ fb):
        print(f"ONLY-IN-{'A' if f in fa else 'B'} {f}")
    print(f"{same} same, {diff} differ, {len(fa ^ fb)} unmatched")
    sys.exit(0 if diff == 0 and not (fa ^ fb) else 1)


if __name__ == "__main__":
    main()
