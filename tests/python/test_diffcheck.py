"""The differential checker (tests/conformance/diffcheck.py, issue 13 item 2) in the suite.

Without an oracle: every recorded sequence in tests/diffcheck/seed-N.json is replayed in order
against a fresh `compat = pacific` server and each answer (status, error code, normalized body)
compared with radosgw 16.2.15's recorded one. With RGW_DIFFCHECK_ORACLE=http://127.0.0.1:7480
(a running oracle with the capture's admin keys) a fresh sequence per seed is also sent live
to both.

KNOWN lists the differences found so far, each with its reason (README, "Compatibility
levels"); anything else fails.
"""
import glob
import json
import os
import sys
import uuid

import pytest

import helpers

sys.path.insert(0, os.path.join(helpers.REPO, "tests", "conformance"))
import diffcheck  # noqa: E402

FIXTURES = sorted(glob.glob(os.path.join(helpers.REPO, "tests", "diffcheck", "seed-*.json")))
ORACLE = os.environ.get("RGW_DIFFCHECK_ORACLE", "").rstrip("/")
LIVE_SEEDS = [1, 2, 3]
LIVE_COUNT = 120  # as the recorded fixtures, so KNOWN's indices apply

# (seed, step index) → why rgw-admin at pacific answers otherwise than radosgw 16.2.15 there,
# as the checker found them (README, compatibility). Indices are the generator's: stable
# for a seed as long as diffcheck.generate is unchanged.
REASONS = {
    "partnum": "radosgw 16.2 accepts part numbers 0 and 10001 (we refuse them, InvalidArgument)",
    "partnum-cascade": "follows from the refused part number",
    "complete-first": "radosgw 16.2 answers a first completion with an empty ETag and Location `localhost/...`",
    "complete-again": "radosgw prefixes Location with its host name (`localhost/...`)",
    "md5-first": "radosgw checks Content-MD5 (BadDigest) before If-None-Match",
    "email-self": "radosgw 16.2 refuses setting an email already set (EmailExists against the user itself)",
    "email-cascade": "follows from the modify radosgw refused",
    "ims-bogus": "radosgw refuses an unparsable If-Modified-Since with 400",
    "inm-star": "radosgw ignores If-None-Match: * on GET/HEAD; we answer 304",
    "range-precedence": "radosgw orders range and precondition checks differently",
    "maxb-bogus": "radosgw reads an unparsable max-buckets as -1 (we keep the default 1000)",
    "email-elsewhere": "radosgw held a user with email `bad` from another seed's run: a modify of a missing uid naming another user's email is 400 there, 404 here where nobody has it",
    "opmask-bogus": "radosgw ignores an unknown op-mask (we refuse it, 400)",
    "maxb-empty": "radosgw 16.2 stores an uninitialised value for an empty max-buckets (0 was seen; we keep the current one)",
    "ifmatch-star": "radosgw 16.2 compares the ETag with `*` on If-Match and answers 412 (we follow HTTP: any object matches)",
}
KNOWN = {
    1: {17: "partnum", 18: "partnum-cascade", 52: "complete-first", 53: "complete-again", 58: "md5-first", 66: "email-self", 69: "email-cascade", 76: "ims-bogus", 90: "inm-star", 92: "partnum", 116: "inm-star", 120: "ims-bogus"},
    2: {22: "partnum", 23: "partnum-cascade", 64: "partnum", 65: "partnum-cascade", 81: "opmask-bogus", 106: "email-elsewhere", 110: "md5-first", 121: "complete-first", 122: "complete-again", 125: "range-precedence"},
    3: {10: "inm-star", 11: "range-precedence", 29: "inm-star", 51: "maxb-bogus", 60: "inm-star", 65: "inm-star", 99: "partnum", 100: "partnum-cascade", 120: "partnum"},
    7: {22: "maxb-empty", 46: "inm-star", 60: "opmask-bogus", 66: "partnum", 67: "partnum-cascade", 77: "partnum-cascade", 84: "partnum", 98: "ifmatch-star", 111: "partnum"},
}


def report(label, seq, want, got):
    """Lines for the differences KNOWN does not explain (a known step that now agrees is
    fine: a fix landed)."""
    known = KNOWN.get(seq["seed"], {})
    all_diffs = diffcheck.compare(seq, want, got)
    diffs = [d for d in all_diffs if d[0] not in known]
    helpers.SUMMARY.append(f"diffcheck {label}: {len(seq['steps']) - len(all_diffs)}/"
                           f"{len(seq['steps'])} same as radosgw 16.2.15, "
                           f"{len(all_diffs) - len(diffs)} known differences")
    lines = []
    for i, name, what, x, y in diffs:
        st = seq["steps"][i]
        lines.append(f"#{i} {name} {st['method']} {st['path']} {st['query']} "
                     f"{st.get('headers')}: {what} oracle {str(x)[:200]!r} ours {str(y)[:200]!r}")
    return lines


@pytest.mark.parametrize("path", FIXTURES, ids=[os.path.basename(p) for p in FIXTURES])
def test_recorded_sequences(path):
    with open(path) as f:
        seq = json.load(f)
    want = [(s["oracle"]["status"], s["oracle"]["code"], s["oracle"]["body"])
            for s in seq["steps"]]
    with helpers.running_server(env={"RGW_ADMIN_COMPAT": "pacific"}) as srv:
        got = diffcheck.run(srv.url, seq)
    lines = report(os.path.basename(path), seq, want, got)
    assert not lines, "\n".join(lines)


@pytest.mark.skipif(not ORACLE, reason="RGW_DIFFCHECK_ORACLE not set (no live oracle)")
@pytest.mark.parametrize("seed", LIVE_SEEDS)
def test_live_against_oracle(seed):
    seq = diffcheck.generate(seed, LIVE_COUNT, uuid.uuid4().hex[:6])
    want = diffcheck.run(ORACLE, seq)
    with helpers.running_server(env={"RGW_ADMIN_COMPAT": "pacific"}) as srv:
        got = diffcheck.run(srv.url, seq)
    lines = report(f"live seed {seed}", seq, want, got)
    assert not lines, "\n".join(lines)


def test_fixtures_present():
    """The suite covers the checker's findings without an oracle only if sequences exist,
    and every known difference names a reason."""
    assert FIXTURES
    assert all(r in REASONS for m in KNOWN.values() for r in m.values())
    for path in FIXTURES:
        with open(path) as f:
            seq = json.load(f)
        assert all("oracle" in s for s in seq["steps"]), path
