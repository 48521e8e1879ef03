"""Answers the 231 captures never asked for, pinned to what radosgw 16.2.15 (the oracle in
/work/shared/oracle) was seen to answer (issue 13): user info by access key, bucket re-creation
with another ACL, grant order, encoding-type=url listings, a retried multipart completion,
removing a bucket that holds only an unfinished upload, the response-* overrides of GetObject,
and rgw_relaxed_s3_bucket_names."""
import hashlib
import http.client
import json
import re
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

import helpers
from test_s3_acl_tagging_versions import EXTERNAL_AK, EXTERNAL_SK, EXTERNAL_URL, ExternalServer

# With RGW_EXTERNAL_URL (e.g. the oracle at http://127.0.0.1:7480) every test runs against that
# gateway instead; the few answers where we deliberately differ are marked `if EXTERNAL_URL`.

MiB = 1024 * 1024
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


@pytest.fixture(scope="module")
def target(request):
    if EXTERNAL_URL:
        return ExternalServer(EXTERNAL_URL, EXTERNAL_AK, EXTERNAL_SK)
    return request.getfixturevalue("rgw")


@pytest.fixture
def tadmin(target):
    return target.admin()


def level_server(request, level):
    """The server at `level` ("rgw": default, "pacific"), or the external gateway once."""
    if EXTERNAL_URL:
        if level != "rgw":
            pytest.skip("one external gateway")
        return request.getfixturevalue("target")
    return request.getfixturevalue(level)


def new_user(admin, uid, **params):
    k = admin.create_user(uid, **params)["keys"][0]
    return k["access_key"], k["secret_key"]


def code_of(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"][
        "HTTPStatusCode"]


# --- admin: user info ---------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_user_info_unknown_uid_falls_back_to_access_key(request, level):
    """Oracle: `GET /admin/user?uid=<nobody>&access-key=<alice's key>` → 200 with alice's
    info (RGWUser::init tries the uid, then the access key); an existing uid wins over the
    key; neither found → 404 NoSuchUser."""
    srv = level_server(request, level)
    admin = srv.admin()
    alice = helpers.unique("fbk")
    other = helpers.unique("fbo")
    ak = ("AK" + uuid.uuid4().hex[:18]).upper()
    admin.create_user(alice, access_key=ak, secret_key="s" * 40)
    admin.create_user(other)
    r = admin.get("/admin/user", [("uid", "nobody-" + alice), ("access-key", ak)])
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == alice
    assert r.json()["keys"][0]["access_key"] == ak
    r = admin.get("/admin/user", [("uid", other), ("access-key", ak)])
    assert r.status_code == 200 and r.json()["user_id"] == other, r.text
    helpers.assert_error(
        admin.get("/admin/user", [("uid", "nobody-" + alice), ("access-key", "NOSUCHKEY0")]),
        404, "NoSuchUser")


# --- admin: bucket metadata put ----------------------------------------------------------------
def meta_put(admin, section, key, body):
    return admin.put(f"/admin/metadata/{section}", [("key", key)], body=body,
                     headers={"Content-Type": "application/json"}, auth="v4-unsigned")


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_bucket_metadata_put(request, level):
    """Oracle: PUT of the entry point as GET gave it → 200, Content-Length 0,
    RGWX_UPDATE_VERSION and no RGWX_UPDATE_STATUS; of the instance → 204 with
    RGWX_UPDATE_STATUS: applied; an edited instance quota is applied; a body that is not
    JSON, or has no `data` → 400 InvalidArgument. Here (radosgw would write what it is given):
    an entry point naming another owner moves the bucket to that user; a document for a
    bucket or instance that does not exist → 404 NoSuchKey, and nothing changes."""
    srv = level_server(request, level)
    admin = srv.admin()
    uid, other = helpers.unique("mput"), helpers.unique("mputo")
    ak, sk = new_user(admin, uid)
    admin.create_user(other)
    s3 = helpers.s3_client(srv, ak, sk)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    ep = admin.get("/admin/metadata/bucket", [("key", b)]).json()
    r = meta_put(admin, "bucket", b, json.dumps(ep))
    assert r.status_code == 200 and r.content == b"", r.text
    assert r.headers["Content-Length"] == "0" and "rgwx_update_status" not in r.headers
    assert re.fullmatch(r"ver:\d+,tag:\S+", r.headers["rgwx_update_version"])
    ikey = f"{b}:{ep['data']['bucket']['bucket_id']}"
    inst = admin.get("/admin/metadata/bucket.instance", [("key", ikey)]).json()
    inst["data"]["bucket_info"]["quota"].update(enabled=True, max_objects=3)
    r = meta_put(admin, "bucket.instance", ikey, json.dumps(inst))
    assert r.status_code == 204 and r.headers["rgwx_update_status"] == "applied", r.text
    q = admin.get("/admin/bucket", [("bucket", b)]).json()["bucket_quota"]
    assert (q["max_objects"], q["enabled"] in (True, "true")) == (3, True)
    before = admin.get("/admin/bucket", [("bucket", b)]).json()
    for section, key, body in [("bucket", b, "garbage"), ("bucket", b, '{"key":"x"}'),
                               ("bucket.instance", ikey, "[]")]:
        helpers.assert_error(meta_put(admin, section, key, body), 400, "InvalidArgument")
    bad = json.loads(json.dumps(inst))
    bad["data"]["bucket_info"]["quota"]["max_objects"] = 99
    if EXTERNAL_URL:
        return  # radosgw writes whatever it is given from here on
    for section, key, body in [("bucket", "nosuch-" + b, json.dumps(ep)),
                               ("bucket.instance", b + ":nosuch", json.dumps(bad))]:
        helpers.assert_error(meta_put(admin, section, key, body), 404, "NoSuchKey")
    assert admin.get("/admin/bucket", [("bucket", b)]).json() == before
    moved = json.loads(json.dumps(ep))
    moved["data"]["owner"] = other
    assert meta_put(admin, "bucket", b, json.dumps(moved)).status_code == 200
    assert admin.get("/admin/bucket", [("bucket", b)]).json()["owner"] == other
    assert admin.get("/admin/bucket", [("uid", other)]).json() == [b]
    assert admin.get("/admin/bucket", [("uid", uid)]).json() == []
