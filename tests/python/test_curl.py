"""System curl 7.88 with `--aws-sigv4 "aws:amz:us-east-1:s3"`.

curl 7.88 sends no x-amz-content-sha256 header but signs sha256(body), and signs the query in
URL order (unsorted). radosgw rejects both (oracle fixture 014); the default `reef` level
accepts them, `pacific` must answer like radosgw.
"""
import json
import os
import re
import shutil
import subprocess

import pytest
import requests

import helpers

CURL = shutil.which("curl")
pytestmark = pytest.mark.skipif(CURL is None, reason="curl not installed")


def curl(url, method="GET", user=f"{helpers.ADMIN_AK}:{helpers.ADMIN_SK}", headers=()):
    """Run curl with SigV4 signing; return (status, body)."""
    args = [CURL, "-sS", "--max-time", "30", "-X", method, "--aws-sigv4", "aws:amz:us-east-1:s3",
            "--user", user, "-o", "-", "-w", "\n%{http_code}"]
    for h in headers:
        args += ["-H", h]
    p = subprocess.run(args + [url], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    body, _, code = p.stdout.rpartition("\n")
    return int(code), body


def test_bare_curl_get_user_info(rgw):
    status, body = curl(f"{rgw.url}/admin/user?uid=admin")
    assert status == 200, body
    u = json.loads(body)
    assert u["user_id"] == "admin" and u["display_name"] == "Admin"
    assert u["keys"][0]["access_key"] == helpers.ADMIN_AK


def test_bare_curl_list_users(rgw, admin, uid):
    admin.create_user(uid)
    status, body = curl(f"{rgw.url}/admin/metadata/user")
    assert status == 200, body
    assert {"admin", uid} <= set(json.loads(body))


def test_bare_curl_write_with_unsorted_query(rgw, admin, uid):
    # uid= before display-name=: curl 7.88 signs this order, SigV4 sorts it
    status, body = curl(f"{rgw.url}/admin/user?uid={uid}&display-name=Zed%20Curl", method="PUT")
    assert status == 200, body
    u = json.loads(body)
    assert u["user_id"] == uid and u["display_name"] == "Zed Curl"
    assert len(u["keys"]) == 1
    assert admin.user_info(uid) == u

    status, body = curl(f"{rgw.url}/admin/user?uid={uid}&user-caps=users%3Dread&caps",
                        method="PUT")
    assert status == 200, body
    assert json.loads(body) == [{"type": "users", "perm": "read"}]

    status, body = curl(f"{rgw.url}/admin/user?uid={uid}&purge-data=false", method="DELETE")
    assert (status, body) == (200, "")
    assert admin.get("/admin/user", [("uid", uid)]).status_code == 404


def test_bare_curl_wrong_secret(rgw):
    status, body = curl(f"{rgw.url}/admin/user?uid=admin", user=f"{helpers.ADMIN_AK}:{'x' * 40}")
    assert status == 403
    assert json.loads(body)["Code"] == "SignatureDoesNotMatch"


def test_pacific_rejects_bare_curl_like_radosgw(pacific):
    status, body = curl(f"{pacific.url}/admin/user?uid=admin")
    assert status == 403, body
    assert json.loads(body)["Code"] == "SignatureDoesNotMatch"


def test_pacific_accepts_curl_with_unsigned_payload_header(pacific):
    status, body = curl(f"{pacific.url}/admin/user?uid=admin",
                        headers=["x-amz-content-sha256: UNSIGNED-PAYLOAD"])
    assert status == 200, body
    u = json.loads(body)
    assert u["user_id"] == "admin"
    assert u["system"] == "false" and u["admin"] == "false"  # pacific: strings


def curl_upload(url, data_arg, user=f"{helpers.ADMIN_AK}:{helpers.ADMIN_SK}"):
    """`curl --aws-sigv4` uploading as an operator does: `-T file` (signs the empty body's
    hash) or `--data-binary @file` (signs the file's hash); neither sends the hash."""
    args = [CURL, "-sS", "--max-time", "60", "--aws-sigv4", "aws:amz:us-east-1:s3", "--user",
            user, "-o", "-", "-w", "\n%{http_code}", *data_arg, url]
    p = subprocess.run(args, capture_output=True, text=True, timeout=90)
    assert p.returncode == 0, p.stderr
    body, _, code = p.stdout.rpartition("\n")
    return int(code), body


def test_curl_uploads_objects(rgw, admin, uid, tmp_path):
    """Reef: `curl -T` (any size; the body is taken as sent, as radosgw takes every upload
    without x-amz-content-sha256) and `--data-binary` (its hash checked, so the body read
    whole: up to 4 MiB) store what they send; a wrong secret stores nothing."""
    hdr = ["x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    bucket = f"{rgw.url}/{uid}-curl-up"
    assert curl(bucket, "PUT", headers=hdr)[0] == 200
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(6 * 1024 * 1024 + 7))
    small = tmp_path / "small.txt"
    small.write_bytes(b"small and signed\n")
    assert curl_upload(f"{bucket}/big.bin", ["-T", str(big)]) == (200, "")
    put_small = ["-X", "PUT", "--data-binary", f"@{small}"]
    assert curl_upload(f"{bucket}/dir/small.txt", put_small) == (200, "")
    r = requests.get(f"{bucket}/big.bin", auth=None,
                     headers=helpers.sign_v4("GET", f"{bucket}/big.bin", helpers.ADMIN_AK,
                                             helpers.ADMIN_SK))
    assert r.status_code == 200 and r.content == big.read_bytes()
    status, body = curl(f"{bucket}/dir/small.txt")
    assert (status, body) == (200, "small and signed\n")
    for data in (["-T", str(small)], put_small, ["-T", str(big)]):
        status, body = curl_upload(f"{bucket}/wrong", data, user=f"{helpers.ADMIN_AK}:{'x' * 40}")
        assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (data, body)
    stats = admin.get("/admin/bucket", [("bucket", f"{uid}-curl-up"), ("stats", "true")]).json()
    assert stats["usage"]["rgw.main"]["num_objects"] == 2
    assert stats["usage"]["rgw.main"]["size"] == big.stat().st_size + small.stat().st_size


def test_body_signed_without_its_hash_header_must_be_the_one_signed(rgw, uid):
    """A body whose hash the signature covers without x-amz-content-sha256 (botocore's
    SigV4Auth, as curl --data-binary) is checked: another body is refused and not stored."""
    hdr = ["x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    bucket = f"{rgw.url}/{uid}-curl-body"
    assert curl(bucket, "PUT", headers=hdr)[0] == 200
    url = f"{bucket}/obj"
    headers = helpers.sign_v4("PUT", url, helpers.ADMIN_AK, helpers.ADMIN_SK, body=b"signed",
                              signer=helpers.SigV4Auth)
    assert "x-amz-content-sha256" not in {k.lower() for k in headers}
    r = requests.put(url, data=b"forged", headers=headers)
    assert r.status_code == 403 and "<Code>SignatureDoesNotMatch</Code>" in r.text, r.text
    assert curl(url)[0] == 404
    r = requests.put(url, data=b"signed", headers=headers)
    assert r.status_code == 200, r.text
    assert curl(url) == (200, "signed")


def test_pacific_refuses_curl_uploads_like_radosgw(pacific, tmp_path):
    """radosgw 16.2 signs UNSIGNED-PAYLOAD for a request without x-amz-content-sha256, so
    neither of curl's upload signatures verifies."""
    hdr = ["x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    bucket = f"{pacific.url}/{helpers.unique('pac-curl')}"
    assert curl(bucket, "PUT", headers=hdr)[0] == 200
    f = tmp_path / "f.txt"
    f.write_bytes(b"data")
    for data in (["-T", str(f)], ["-X", "PUT", "--data-binary", f"@{f}"]):
        status, body = curl_upload(f"{bucket}/f.txt", data)
        assert status == 403 and "<Code>SignatureDoesNotMatch</Code>" in body, (data, body)
    assert curl(f"{bucket}/f.txt", headers=hdr)[0] == 404


def test_object_names_over_1024_bytes_or_not_utf8_are_refused(rgw, uid):
    """radosgw's validate_object_name, after authentication and before anything is looked
    up: a name over 1024 bytes, or not UTF-8 once decoded, is `InvalidObjectName` (400) for
    every op, and nothing is stored; a bucket name that is not UTF-8 is `InvalidBucketName`."""
    hdr = ["x-amz-content-sha256: UNSIGNED-PAYLOAD"]
    bucket = f"{uid}-names"
    base = f"{rgw.url}/{bucket}"

    def code(body):
        m = re.search(r"<Code>([^<]*)</Code>", body)
        return m and m.group(1)

    assert curl(base, "PUT", headers=hdr)[0] == 200
    assert curl(f"{base}/{'k' * 1024}", "PUT", headers=hdr)[0] == 200
    long_key = f"{base}/{'k' * 1025}"
    for method, url in (("PUT", long_key), ("GET", long_key), ("DELETE", long_key),
                        ("POST", f"{long_key}?uploads"), ("PUT", f"{long_key}?acl")):
        status, body = curl(url, method, headers=hdr)
        assert (status, code(body)) == (400, "InvalidObjectName"), (method, url, body)
        assert f"<BucketName>{bucket}</BucketName>" in body
    # Authentication comes first; and no bucket lookup is needed to refuse the name.
    status, body = curl(long_key, "PUT", user=f"{helpers.ADMIN_AK}:wrong", headers=hdr)
    assert (status, code(body)) == (403, "SignatureDoesNotMatch")
    r = requests.get(f"{rgw.url}/{uid}-no-such-bucket/{'k' * 1025}")
    assert (r.status_code, code(r.text)) == (400, "InvalidObjectName")
    # Not UTF-8.
    status, body = curl(f"{base}/a%FFb", "PUT", headers=hdr)
    assert (status, code(body)) == (400, "InvalidObjectName"), body
    r = requests.get(f"{base}/a%FFb")
    assert (r.status_code, code(r.text)) == (400, "InvalidObjectName")
    r = requests.get(f"{rgw.url}/{bucket}%FF/x")
    assert (r.status_code, code(r.text)) == (400, "InvalidBucketName")
    # The admin API keeps its JSON error.
    status, body = curl(f"{rgw.url}/admin/user%FF?uid=x")
    assert status == 400 and json.loads(body)["Code"] == "InvalidArgument"
    # Only the 1024-byte name was stored, and no upload was started.
    status, body = curl(base)
    assert status == 200 and re.findall(r"<Key>([^<]*)</Key>", body) == ["k" * 1024], body
    status, body = curl(f"{base}?uploads")
    assert status == 200 and "<Upload>" not in body, body
