"""Query-string auth fetched with plain `requests` (no auth headers): SigV4 presigned URLs
(botocore S3SigV4QueryAuth, as boto3's generate_presigned_url makes them) and AWS v2
presigned URLs (AWSAccessKeyId/Expires/Signature). radosgw accepts both on admin ops
(golden 009, 010)."""
import datetime

import botocore.auth
import pytest
import requests

import helpers

U = "/admin/user"


@pytest.fixture(params=["reef", "pacific"])
def srv(request, rgw, pacific):
    return {"reef": rgw, "pacific": pacific}[request.param]


def test_v4_presigned_get_user_info(srv):
    url = helpers.presign_v4("GET", helpers.build_url(srv.url, U, [("uid", "admin")]),
                             helpers.ADMIN_AK, helpers.ADMIN_SK)
    assert "X-Amz-Signature=" in url
    r = requests.get(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == "admin" and r.json()["display_name"] == "Admin"


def test_v2_presigned_get_user_info(srv):
    url = helpers.presign_v2("GET", srv.url, U, [("uid", "admin")], helpers.ADMIN_AK,
                             helpers.ADMIN_SK)
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    r = requests.get(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == "admin"


def test_v4_presigned_create_user(srv):
    uid = helpers.unique("presigned")
    url = helpers.presign_v4("PUT", helpers.build_url(
        srv.url, U, [("uid", uid), ("display-name", "Presigned Person")]),
        helpers.ADMIN_AK, helpers.ADMIN_SK)
    r = requests.put(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == uid and r.json()["display_name"] == "Presigned Person"
    assert srv.admin().user_info(uid)["display_name"] == "Presigned Person"


def test_v4_presigned_tampered_query(srv):
    url = helpers.presign_v4("GET", helpers.build_url(srv.url, U, [("uid", "admin")]),
                             helpers.ADMIN_AK, helpers.ADMIN_SK)
    r = requests.get(url.replace("uid=admin", "uid=admim"), timeout=helpers.HTTP_TIMEOUT)
    helpers.assert_error(r, 403, "SignatureDoesNotMatch")


def test_v2_presigned_wrong_secret(srv):
    url = helpers.presign_v2("GET", srv.url, U, [("uid", "admin")], helpers.ADMIN_AK, "z" * 40)
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403,
                         "SignatureDoesNotMatch")


def test_v4_presigned_unknown_key(srv):
    url = helpers.presign_v4("GET", helpers.build_url(srv.url, U, [("uid", "admin")]),
                             "NOSUCHACCESSKEY00000", "z" * 40)
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403,
                         "InvalidAccessKeyId")


def test_v4_presigned_expired(srv, monkeypatch):
    """Signed 20 min ago for 300 s: radosgw's parse_v4_query_string → -EPERM → AccessDenied
    (server-spec §2.2)."""
    then = botocore.auth.get_current_datetime() - datetime.timedelta(minutes=20)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: then)
    url = helpers.presign_v4("GET", helpers.build_url(srv.url, U, [("uid", "admin")]),
                             helpers.ADMIN_AK, helpers.ADMIN_SK, expires=300)
    monkeypatch.undo()
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403, "AccessDenied")


def test_v2_presigned_expired(srv):
    url = helpers.presign_v2("GET", srv.url, U, [("uid", "admin")], helpers.ADMIN_AK,
                             helpers.ADMIN_SK, expires_in=-60)
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403, "AccessDenied")
