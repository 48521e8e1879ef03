"""Everyday tools as an operator runs them: s3cmd 2.3 and rclone 1.60 (Debian's packages) as
subprocesses against the gateway, as a plain user made through the admin API. Every step
must succeed, and what the tool says (sizes, MD5s, listings) must match what was sent and
what the admin API then reports."""
import hashlib
import json
import os
import shutil
import subprocess

import pytest
import requests

import helpers

MiB = 1024 * 1024


@pytest.fixture
def user(admin, uid):
    k = admin.create_user(uid)["keys"][0]
    return uid, k["access_key"], k["secret_key"]


def tool_env(tmp_path):
    # Nothing of the machine's own configuration: no AWS_* (rclone refuses a CA bundle on
    # plain HTTP), a home of our own.
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["HOME"] = str(tmp_path)
    return env


def run(args, tmp_path, timeout=120):
    p = subprocess.run(args, capture_output=True, text=True, timeout=timeout,
                       env=tool_env(tmp_path))
    assert p.returncode == 0, f"{args[:4]} failed ({p.returncode}): {p.stderr[-3000:]}"
    return p.stdout


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return hashlib.md5(data).hexdigest()


def bucket_stats(admin, bucket):
    r = admin.get("/admin/bucket", [("bucket", bucket), ("stats", "true")])
    assert r.status_code == 200, r.text
    return r.json()


def objects_in(admin, bucket):
    usage = bucket_stats(admin, bucket)["usage"]
    return usage.get("rgw.main", {}).get("num_objects", 0)


# --- s3cmd -------------------------------------------------------------------------------------

@pytest.fixture
def s3cmd(rgw, user, tmp_path):
    exe = shutil.which("s3cmd")
    assert exe, "s3cmd not installed (scripts/install-deps.sh test installs it)"
    host = rgw.url.split("//", 1)[1]
    cfg = tmp_path / "s3cfg"
    cfg.write_text(f"[default]\naccess_key = {user[1]}\nsecret_key = {user[2]}\n"
                   f"host_base = {host}\nhost_bucket = {host}\nuse_https = False\n"
                   "signature_v2 = False\n")

    def s3cmd(*args):
        return run([exe, "-c", str(cfg), *args], tmp_path)
    return s3cmd


def test_s3cmd_everyday_session(rgw, admin, user, uid, s3cmd, tmp_path):
    bucket = f"{uid}-s3cmd"
    s3cmd("mb", f"s3://{bucket}")
    assert f"s3://{bucket}" in s3cmd("ls")
    assert bucket_stats(admin, bucket)["owner"] == uid

    small = tmp_path / "up" / "small.bin"
    big = tmp_path / "up" / "big.bin"
    small_md5 = write(small, os.urandom(100_000))
    big_data = os.urandom(12 * MiB + 12345)
    big_md5 = write(big, big_data)
    s3cmd("put", str(small), f"s3://{bucket}/small.bin")
    # 5 MiB parts: a multipart upload of three parts.
    s3cmd("put", "--multipart-chunk-size-mb=5", str(big), f"s3://{bucket}/big.bin")
    listing = s3cmd("ls", f"s3://{bucket}")
    assert "100000" in listing and str(len(big_data)) in listing, listing
    info = s3cmd("info", f"s3://{bucket}/small.bin")
    assert small_md5 in info and "File size: 100000" in info, info
    # A multipart object's ETag is not its MD5; s3cmd checks the download with its own
    # attribute instead, and cmp does the rest.
    got = tmp_path / "down" / "big.bin"
    got.parent.mkdir()
    s3cmd("get", f"s3://{bucket}/big.bin", str(got))
    assert hashlib.md5(got.read_bytes()).hexdigest() == big_md5

    tree = tmp_path / "tree"
    write(tree / "a.txt", b"a\n")
    write(tree / "sub" / "b.txt", b"b\n")
    s3cmd("sync", f"{tree}/", f"s3://{bucket}/tree/")
    write(tree / "a.txt", b"changed\n")
    (tree / "sub" / "b.txt").unlink()
    s3cmd("sync", "--delete-removed", f"{tree}/", f"s3://{bucket}/tree/")
    listing = s3cmd("ls", "-r", f"s3://{bucket}/tree/")
    assert "tree/a.txt" in listing and "b.txt" not in listing, listing
    r = requests.get(f"{rgw.url}/{bucket}/tree/a.txt")
    assert r.status_code == 403  # private until made public

    s3cmd("setacl", "--acl-public", f"s3://{bucket}/tree/a.txt")
    assert "*anon*: READ" in s3cmd("info", f"s3://{bucket}/tree/a.txt")
    r = requests.get(f"{rgw.url}/{bucket}/tree/a.txt")
    assert r.status_code == 200 and r.content == b"changed\n"

    s3cmd("modify", "--add-header=x-amz-meta-colour:blue", f"s3://{bucket}/small.bin")
    assert "x-amz-meta-colour: blue" in s3cmd("info", f"s3://{bucket}/small.bin")
    s3cmd("cp", f"s3://{bucket}/small.bin", f"s3://{bucket}/copy.bin")
    s3cmd("mv", f"s3://{bucket}/copy.bin", f"s3://{bucket}/moved.bin")
    url = s3cmd("signurl", f"s3://{bucket}/moved.bin", "+600").strip()
    r = requests.get(url)
    assert r.status_code == 200 and hashlib.md5(r.content).hexdigest() == small_md5

    assert objects_in(admin, bucket) == 4  # small, big, tree/a.txt, moved
    du = s3cmd("du", f"s3://{bucket}")
    assert str(100_000 * 2 + len(big_data) + len(b"changed\n")) in du, du
    s3cmd("del", "--recursive", "--force", f"s3://{bucket}")
    s3cmd("rb", f"s3://{bucket}")
    assert f"s3://{bucket}" not in s3cmd("ls")
    r = admin.get("/admin/bucket", [("bucket", bucket)])
    assert r.status_code == 404 and r.json()["Code"] == "NoSuchBucket"


def test_s3cmd_refused_and_unsupported_touch_nothing(rgw, admin, uid, s3cmd, tmp_path):
    bucket = f"{uid}-s3cmd-x"
    s3cmd("mb", f"s3://{bucket}")
    f = tmp_path / "f.bin"
    md5 = write(f, b"keep me")
    s3cmd("put", str(f), f"s3://{bucket}/f.bin")
    exe = shutil.which("s3cmd")
    # A policy s3cmd sends is kept, shown by `info`, and removed; a broken one is refused.
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*"}]}))
    s3cmd("setpolicy", str(policy), f"s3://{bucket}")
    assert '"s3:GetObject"' in s3cmd("info", f"s3://{bucket}")
    assert requests.get(f"{rgw.url}/{bucket}/f.bin").content == b"keep me"
    s3cmd("delpolicy", f"s3://{bucket}")
    assert "Policy:    none" in s3cmd("info", f"s3://{bucket}")
    assert requests.get(f"{rgw.url}/{bucket}/f.bin").status_code == 403
    policy.write_text('{"Version": "2012-10-17", "Statement": [{"Effect": "Perhaps"}]}')
    # Sub-resources we do not implement answer 501 and change nothing.
    # Expiry rules as s3cmd writes them: kept, read back, removed.
    s3cmd("expire", "--expiry-days=30", "--expiry-prefix=logs/", f"s3://{bucket}")
    rules = s3cmd("getlifecycle", f"s3://{bucket}")
    assert "<Prefix>logs/</Prefix>" in rules and "<Days>30</Days>" in rules, rules
    s3cmd("dellifecycle", f"s3://{bucket}")
    for args in (["setpolicy", str(policy), f"s3://{bucket}"],
                 ["ws-delete", f"s3://{bucket}"]):
        p = subprocess.run([exe, "-c", str(tmp_path / "s3cfg"), *args], capture_output=True,
                           text=True, timeout=60, env=tool_env(tmp_path))
        want = "400" if args[0] == "setpolicy" else "501"
        assert p.returncode != 0 and want in p.stderr, (args, p.stderr)
    assert md5 in s3cmd("info", f"s3://{bucket}/f.bin")
    assert objects_in(admin, bucket) == 1


# --- rclone ------------------------------------------------------------------------------------

@pytest.fixture
def rclone(rgw, user, tmp_path):
    exe = shutil.which("rclone")
    assert exe, "rclone not installed (scripts/install-deps.sh test installs it)"
    cfg = tmp_path / "rclone.conf"
    cfg.write_text(f"[rgw]\ntype = s3\nprovider = Ceph\naccess_key_id = {user[1]}\n"
                   f"secret_access_key = {user[2]}\nendpoint = {rgw.url}\n")

    def rclone(*args):
        return run([exe, "--config", str(cfg), *args], tmp_path)
    return rclone


def test_rclone_everyday_session(admin, uid, rclone, tmp_path):
    bucket = f"{uid}-rclone"
    rclone("mkdir", f"rgw:{bucket}")
    assert bucket in rclone("lsd", "rgw:")

    src = tmp_path / "src"
    sums = {
        "a.txt": write(src / "a.txt", b"alpha\n"),
        "sub/b.txt": write(src / "sub" / "b.txt", b"beta\n"),
        "big.bin": write(src / "big.bin", os.urandom(11 * MiB)),
    }
    # 5 MiB chunks above a 5 MiB cutoff: big.bin goes up in three parts.
    rclone("copy", str(src), f"rgw:{bucket}/data", "--s3-upload-cutoff", "5M",
           "--s3-chunk-size", "5M")
    rclone("check", str(src), f"rgw:{bucket}/data")
    listed = dict(line.split(None, 1)[::-1] for line in
                  rclone("md5sum", f"rgw:{bucket}/data").splitlines())
    # rclone keeps a multipart upload's MD5 in its own metadata and reports that.
    assert listed == sums, listed
    assert objects_in(admin, bucket) == 3

    (src / "sub" / "b.txt").unlink()
    sums["a.txt"] = write(src / "a.txt", b"alpha, again\n")
    rclone("sync", str(src), f"rgw:{bucket}/data")
    rclone("check", str(src), f"rgw:{bucket}/data")
    assert sorted(rclone("lsf", "-R", "--files-only", f"rgw:{bucket}/data").split()) == \
        ["a.txt", "big.bin"]

    out = tmp_path / "out"
    rclone("copy", f"rgw:{bucket}/data", str(out))
    assert hashlib.md5((out / "big.bin").read_bytes()).hexdigest() == sums["big.bin"]
    assert (out / "a.txt").read_bytes() == b"alpha, again\n"

    rclone("moveto", f"rgw:{bucket}/data/a.txt", f"rgw:{bucket}/moved.txt")
    size = json.loads(rclone("size", "--json", f"rgw:{bucket}"))
    assert (size["count"], size["bytes"]) == (2, 11 * MiB + 13), size
    stats = bucket_stats(admin, bucket)["usage"]["rgw.main"]
    assert stats["num_objects"] == 2 and stats["size"] == 11 * MiB + 13

    rclone("purge", f"rgw:{bucket}")
    assert bucket not in rclone("lsd", "rgw:")
    r = admin.get("/admin/bucket", [("bucket", bucket)])
    assert r.status_code == 404


ODD_NAMES = ["a b+c%20d&e=f?.txt", "ünïcødé €.txt", "dir with space/x;y,z~!'()*.txt"]


def test_odd_key_names_round_trip(admin, uid, s3cmd, rclone, tmp_path):
    """Spaces, `+`, `%`, `&`, `=`, `?`, non-ASCII and sub-delimiters in keys: signed,
    stored, listed and read back under the same name by both tools."""
    src = tmp_path / "odd"
    sums = {n: write(src / n, n.encode() * 3) for n in ODD_NAMES}
    bucket = f"{uid}-odd"
    rclone("mkdir", f"rgw:{bucket}")
    rclone("copy", str(src), f"rgw:{bucket}")
    rclone("check", str(src), f"rgw:{bucket}")
    assert sorted(rclone("lsf", "-R", "--files-only", f"rgw:{bucket}").splitlines()) == \
        sorted(ODD_NAMES)
    listing = s3cmd("ls", "-r", f"s3://{bucket}")
    for n in ODD_NAMES:
        assert f"s3://{bucket}/{n}" in listing, listing
        out = tmp_path / "got" / n
        out.parent.mkdir(parents=True, exist_ok=True)
        s3cmd("get", f"s3://{bucket}/{n}", str(out))
        assert hashlib.md5(out.read_bytes()).hexdigest() == sums[n]
    s3cmd("put", str(src / ODD_NAMES[0]), f"s3://{bucket}/again/{ODD_NAMES[1]}")
    assert objects_in(admin, bucket) == len(ODD_NAMES) + 1
    s3cmd("del", f"s3://{bucket}/again/{ODD_NAMES[1]}")
    rclone("purge", f"rgw:{bucket}")
    assert admin.get("/admin/bucket", [("bucket", bucket)]).status_code == 404
