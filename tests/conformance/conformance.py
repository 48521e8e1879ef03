#!/usr/bin/env python3
"""Replay the real-radosgw capture scenario against rgw-admin and diff it with tests/golden.

Usage: conformance.py [--url URL] [--min-share S] [--only A|B|C|ABC] [-v]
Runs from a clone of the repository: without --url it starts the binary ($RGW_ADMIN_BIN, else
built with cargo and located with `cargo metadata`) on a temp store with
RGW_ADMIN_COMPAT=pacific and the admin keys the captures used.
Prints per-area counts and, last, "golden <area>: N/M same". Exit 0 when the share >= S.
Areas: A = auth, errors, users/keys/subusers/caps/metadata-user; B = S3 + buckets;
C = usage + quota.

(Copied from the oracle's conformance.py; the golden dir is tests/golden and the comparison
is a function, `replay`, that tests/python/test_conformance.py calls too.)
"""
import argparse, contextlib, json, os, re, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import capture  # noqa: E402
import golden_diff  # noqa: E402
import harness  # noqa: E402

GOLDEN = os.path.join(os.path.dirname(HERE), "golden")
SERVER_ENV = {"RGW_ADMIN_COMPAT": "pacific", "RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"}


def area(name):
    n = re.sub(r"^\d+-", "", name[:-5])
    if re.search(r"(^|err-)s3-|bucket|object|policy|purge-data|has-buckets|swift-auth", n):
        return "B"
    if re.search(r"usage|quota", n):
        return "C"
    return "A"


class Forgiving:
    """boto3 client whose calls never raise, so a missing S3 op cannot end the scenario."""
    def __init__(self, c):
        self.c = c

    def __getattr__(self, k):
        f = getattr(self.c, k)

        def call(*a, **kw):
            try:
                return f(*a, **kw)
            except Exception as e:  # noqa: BLE001
                print(f"  (s3 {k} failed: {type(e).__name__})", file=sys.stderr)
        return call


def replay(url):
    """Run the capture scenario against `url` (a fresh server with the capture's admin keys)
    and compare every golden fixture. Returns (results, stopped) where results is a list of
    dicts {file, area, same, missing, want_status, got_status, want, got, want_headers,
    got_headers} in golden order (`same` = status and normalized body equal; headers are
    normalized by golden_diff.norm_headers but not part of `same`) and stopped is None or the
    exception text if the scenario ended early."""
    orig = capture.s3_client
    capture.s3_client = lambda base, keys: Forgiving(orig(base, keys))
    stopped = None
    results = []
    try:
        with tempfile.TemporaryDirectory() as out:
            r = capture.Recorder(url, out)
            try:
                capture.run(r, url)
            except Exception as e:  # noqa: BLE001
                stopped = f"{type(e).__name__}: {e}"
            ours = {f for f in os.listdir(out) if f.endswith(".json")}
            for f in sorted(os.listdir(GOLDEN)):
                if not f.endswith(".json"):
                    continue
                ga = json.load(open(os.path.join(GOLDEN, f)))
                res = {"file": f, "area": area(f), "same": False, "missing": f not in ours,
                       "want_status": ga["status"], "got_status": None,
                       "want": golden_diff.normalize_body(ga), "got": None,
                       "want_headers": golden_diff.norm_headers(ga), "got_headers": None}
                if f in ours:
                    gb = json.load(open(os.path.join(out, f)))
                    res["got_status"] = gb["status"]
                    res["got"] = golden_diff.normalize_body(gb)
                    res["got_headers"] = golden_diff.norm_headers(gb)
                    res["same"] = ga["status"] == gb["status"] and res["want"] == res["got"]
                results.append(res)
    finally:
        capture.s3_client = orig
    return results, stopped


def counts(results):
    out = {}
    for res in results:
        s, t = out.get(res["area"], (0, 0))
        out[res["area"]] = (s + res["same"], t + 1)
    return out


def describe(res, limit=300):
    if res["missing"]:
        return f"MISSING {res['file']} (request not made: the scenario stopped before it)"
    return (f"DIFF {res['file']}: {res['want_status']} vs {res['got_status']}\n"
            f"  want {res['want'][:limit]}\n  got  {(res['got'] or '')[:limit]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--min-share", type=float, default=1.0)
    ap.add_argument("--only", default="A")
    ap.add_argument("-v", action="store_true")
    ap.add_argument("--url", help="diff a server already running with the admin keys")
    a = ap.parse_args()
    srv = (contextlib.nullcontext((a.url, None, None, None)) if a.url
           else harness.server(extra_env=SERVER_ENV))
    with srv as (url, _p, _d, _log):
        results, stopped = replay(url)
    if stopped:
        print(f"scenario stopped early: {stopped}", file=sys.stderr)
    if a.v:
        for res in results:
            if not res["same"] and res["area"] in a.only:
                print(describe(res))
    c = counts(results)
    for ar in sorted(c):
        print(f"area {ar}: {c[ar][0]}/{c[ar][1]} same")
    s = sum(c.get(x, (0, 0))[0] for x in a.only)
    t = sum(c.get(x, (0, 0))[1] for x in a.only)
    print(f"golden {a.only}: {s}/{t} same")
    sys.exit(0 if t and s / t >= a.min_share else 1)


if __name__ == "__main__":
    main()
