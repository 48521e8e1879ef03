"""System curl 7.88 with `--aws-sigv4 "aws:amz:us-east-1:s3"`.

curl 7.88 sends no x-amz-content-sha256 header but signs sha256(body), and signs the query in
URL order (unsorted). radosgw rejects both (oracle fixture 014); the default `reef` level
accepts them, `pacific` must answer like radosgw.
"""
import json
import shutil
import subprocess

import pytest

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
