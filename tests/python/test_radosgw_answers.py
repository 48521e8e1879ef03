"""Answers the 231 captures never asked for, pinned to what radosgw 16.2.15 (the oracle in
/work/shared/oracle) was seen to answer (issue 13): user info by access key, bucket re-creation
with another ACL, grant order, encoding-type=url listings, a retried multipart completion,
removing a bucket that holds only an unfinished upload, the response-* overrides of GetObject,
and rgw_relaxed_s3_bucket_names."""
import base64
import hashlib
import http.client
import json
import re
import uuid

import pytest
import requests
from botocore.exceptions import ClientError

import helpers

# With RGW_EXTERNAL_URL (e.g. the oracle at http://127.0.0.1:7480) every test runs against that
# gateway instead; the few answers where we deliberately differ are marked `if EXTERNAL_URL`.

EXTERNAL_URL = helpers.EXTERNAL_URL
MiB = 1024 * 1024
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"


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


def user_with_bucket(srv, admin, uid):
    """User `uid` and its bucket `<uid>-b`, made through S3: the user's S3 client, the
    bucket's name and its id."""
    ak, sk = new_user(admin, uid)
    s3 = helpers.s3_client(srv, ak, sk)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    return s3, b, admin.get("/admin/bucket", [("bucket", b)]).json()["id"]


def code_of(exc):
    return exc.value.response["Error"]["Code"], exc.value.response["ResponseMetadata"][
        "HTTPStatusCode"]


# --- admin: user create -------------------------------------------------------------------------
@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_create_of_an_existing_uid_is_409_whatever_else_it_says(request, level, uid):
    """Oracle (16.2.15): radosgw refuses an existing uid before it reads the rest of the
    request: no display name, bad caps or an unknown key type are UserAlreadyExists, not
    400 (for a new uid they are InvalidArgument / InvalidCapability)."""
    admin = level_server(request, level).admin()
    assert admin.put("/admin/user", [("uid", uid), ("display-name", "U")]).status_code == 200
    for extra in ([("display-name", "U")], [], [("display-name", "")],
                  [("display-name", "Z"), ("user-caps", "bogus=*")], [("key-type", "bogus")]):
        r = admin.put("/admin/user", [("uid", uid)] + extra)
        assert (r.status_code, r.json()["Code"]) == (409, "UserAlreadyExists"), (extra, r.text)
    new = uid + "-new"
    r = admin.put("/admin/user", [("uid", new)])
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidArgument"), r.text
    r = admin.put("/admin/user", [("uid", new), ("display-name", "N"), ("user-caps", "bogus=*")])
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidCapability"), r.text
    assert admin.get("/admin/user", [("uid", new)]).status_code == 404
    assert admin.get("/admin/user", [("uid", uid)]).json()["display_name"] == "U"


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_create_with_a_taken_email_or_key_is_409_before_the_display_name(request, level, uid):
    """Oracle (16.2.15): a user found by the email or the access key also "exists" before
    the display name is asked for (execute_add): 409 EmailExists / KeyExists even without
    one; a new uid with a free email and no display name is still 400."""
    admin = level_server(request, level).admin()
    ak = ("K" + uid.replace("-", "").upper() + "0" * 20)[:20]
    assert admin.put("/admin/user", [("uid", uid), ("display-name", "U"),
                                     ("email", f"{uid}@example.com"),
                                     ("access-key", ak), ("secret-key", "s" * 40)]).status_code == 200
    for extra, code in (([("email", f"{uid}@example.com")], "EmailExists"),
                        ([("email", f"{uid}@EXAMPLE.com"), ("key-type", "s3"),
                          ("generate-key", "false")], "EmailExists"),
                        ([("access-key", ak)], "KeyExists")):
        r = admin.put("/admin/user", [("uid", uid + "-new")] + extra)
        assert (r.status_code, r.json()["Code"]) == (409, code), (extra, r.text)
    r = admin.put("/admin/user", [("uid", uid + "-new"), ("email", f"{uid}-free@example.com")])
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidArgument"), r.text
    assert admin.get("/admin/user", [("uid", uid + "-new")]).status_code == 404


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_create_with_swift_key_type(request, level, uid):
    """Oracle (16.2.15): user create with `key-type=swift` cannot make the key (it needs a
    subuser): InvalidAccessKeyId, and no user, whatever key is given or generated; unless no
    key is asked for (`generate-key=false` or `0`, no key given), when the user is made
    without keys."""
    admin = level_server(request, level).admin()
    swift = [("display-name", "S"), ("key-type", "swift")]
    for i, extra in enumerate([[], [("generate-key", "true")], [("generate-key", "bogus")],
                               [("secret-key", "s3cr3t")],
                               [("secret-key", "s3cr3t"), ("generate-key", "false")],
                               [("access-key", f"AK{uid}".upper()[:20])]]):
        r = admin.put("/admin/user", [("uid", f"{uid}-{i}")] + swift + extra)
        assert (r.status_code, r.json()["Code"]) == (403, "InvalidAccessKeyId"), (extra, r.text)
        assert admin.get("/admin/user", [("uid", f"{uid}-{i}")]).status_code == 404
    for i, gen in enumerate(["false", "0"]):
        r = admin.put("/admin/user", [("uid", f"{uid}-n{i}")] + swift + [("generate-key", gen)])
        assert r.status_code == 200, r.text
        assert (r.json()["keys"], r.json()["swift_keys"]) == ([], []), r.text


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_subuser_prefix_names_the_user(request, level, uid):
    """Oracle (16.2.15): in a subuser op, the `uid:` before the subuser's name is the user
    acted on, whatever `uid=` says (radosgw's `set_subuser` replaces the user id): a create
    with `uid=U&subuser=O:s` makes `O:s`; a prefix naming nobody is NoSuchUser; a modify or
    remove finds no such subuser on the prefix's user (NoSuchSubUser) even when `U` has one."""
    admin = level_server(request, level).admin()
    other = uid + "-o"
    admin.create_user(uid)
    admin.create_user(other)

    def subusers(u):
        return sorted(s["id"] for s in admin.get("/admin/user", [("uid", u)]).json()["subusers"])

    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{other}:s1"), ("access", "read")])
    assert r.status_code == 200, r.text
    assert (subusers(uid), subusers(other)) == ([], [f"{other}:s1"])
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}-nobody:s2")])
    helpers.assert_error(r, 404, "NoSuchUser")
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:s3"), ("access", "read")])
    assert r.status_code == 200, r.text
    for method in ("POST", "DELETE"):
        r = admin.request(method, "/admin/user", [("uid", uid), ("subuser", f"{other}:s3"),
                                                  ("access", "full")])
        helpers.assert_error(r, 404, "NoSuchSubUser")
    assert (subusers(uid), subusers(other)) == ([f"{uid}:s3"], [f"{other}:s1"])


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_missing_user_answers_in_radosgw_order(request, level, uid):
    """Oracle (16.2.15): a quota type radosgw does not know, and a quota set by parameters
    without a type, are 400 before the user is looked up; a modify of a missing uid that
    names another user's email or access key is 400 (radosgw finds that user instead:
    "user id mismatch"); otherwise a missing user is 404."""
    admin = level_server(request, level).admin()
    k = admin.put("/admin/user", [("uid", uid), ("display-name", "U"),
                                  ("email", f"{uid}@example.com")]).json()["keys"][0]
    nobody = [("uid", uid + "-nobody")]
    for method, query, want in [
        ("PUT", nobody + [("quota", None)], (400, "InvalidArgument")),
        ("PUT", nobody + [("quota", None), ("quota-type", "bogus")], (400, "InvalidArgument")),
        ("PUT", nobody + [("quota", None), ("max-objects", "bogus")], (400, "InvalidArgument")),
        ("PUT", nobody + [("quota", None), ("quota-type", "user"), ("enabled", "bogus")],
         (404, "NoSuchUser")),
        ("GET", nobody + [("quota", None), ("quota-type", "bogus")], (400, "InvalidArgument")),
        ("GET", nobody + [("quota", None)], (404, "NoSuchUser")),
        ("POST", nobody + [("email", f"{uid}@example.com")], (400, "InvalidArgument")),
        ("POST", nobody + [("access-key", k["access_key"])], (400, "InvalidArgument")),
        ("POST", nobody + [("email", f"{uid}-other@example.com")], (404, "NoSuchUser")),
        ("POST", nobody + [("access-key", "NOSUCHKEY")], (404, "NoSuchUser")),
    ]:
        r = admin.request(method, "/admin/user", query)
        assert (r.status_code, r.json()["Code"]) == want, (method, query, r.text)
    assert admin.get("/admin/user", nobody).status_code == 404


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_quota_parameters_are_read_as_radosgw(request, level, uid):
    """Oracle (16.2.15): a quota set by query parameters makes a new quota from them
    (`RESTArgs::get_int64`): a field left out keeps its value, an empty number is 0, one
    `strtoll` does not read to its end is -1, a negative max-size-kb is that many KiB
    (printed rounded toward zero: -5120 bytes is -4 KiB), an unreadable `enabled` keeps its
    value, and `check_on_raw`, which no parameter sets, is cleared. The same holds for
    `PUT /admin/bucket?quota`, which reads max-objects, max-size-kb and enabled."""
    srv = level_server(request, level)
    admin = srv.admin()
    _, b, _ = user_with_bucket(srv, admin, uid)
    base = json.dumps({"enabled": True, "check_on_raw": True, "max_size": 4096,
                       "max_objects": 9})
    fields = ("enabled", "check_on_raw", "max_size", "max_size_kb", "max_objects")

    def shown(q):
        return tuple(q[f] in (True, "true") if f in fields[:2] else q[f] for f in fields)

    for qtype in ("user", "bucket"):
        at = [("quota", None), ("uid", uid), ("quota-type", qtype)]
        for params, want in [
            ([("max-objects", "3")], (True, False, 4096, 4, 3)),
            ([("max-objects", "")], (True, False, 4096, 4, 0)),
            ([("max-objects", " ")], (True, False, 4096, 4, -1)),
            ([("max-size", "x")], (True, False, -1, 0, 9)),
            ([("max-size", "2x")], (True, False, -1, 0, 9)),
            ([("max-size", " 12")], (True, False, 12, 1, 9)),
            ([("max-size-kb", "-5")], (True, False, -5120, -4, 9)),
            ([("max-size-kb", "")], (True, False, 0, 0, 9)),
            ([("enabled", "bogus")], (True, False, 4096, 4, 9)),
            ([("enabled", "0")], (False, False, 4096, 4, 9)),
        ]:
            assert admin.put("/admin/user", at, body=base, auth="v4-unsigned").status_code == 200
            assert admin.put("/admin/user", at + params).status_code == 200, params
            got = shown(admin.get("/admin/user", at).json())
            assert got == want, (qtype, params, got)
    at = [("quota", None), ("bucket", b), ("uid", uid)]
    for params, want in [
        ([("max-objects", "")], (True, False, 4096, 4, 0)),
        ([("max-objects", " ")], (True, False, 4096, 4, -1)),
        ([("max-size-kb", "")], (True, False, 0, 0, 9)),
        ([("max-size-kb", "-3")], (True, False, -3072, -2, 9)),
        ([("enabled", "false")], (False, False, 4096, 4, 9)),
    ]:
        assert admin.put("/admin/bucket", at, body=base, auth="v4-unsigned").status_code == 200
        assert admin.put("/admin/bucket", at + params).status_code == 200, params
        got = shown(admin.get("/admin/bucket", [("bucket", b)]).json()["bucket_quota"])
        assert got == want, (params, got)


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_emails_are_kept_in_lower_case(request, level, uid):
    """Oracle (16.2.15): radosgw keeps an email in lower case, so addresses that differ only
    in case are one address: a second user cannot take it (EmailExists), by create or modify."""
    admin = level_server(request, level).admin()
    r = admin.put("/admin/user", [("uid", uid), ("display-name", "A"),
                                  ("email", f"Mixed.{uid}@Example.COM")])
    assert r.status_code == 200 and r.json()["email"] == f"mixed.{uid}@example.com", r.text
    r = admin.put("/admin/user", [("uid", uid + "-b"), ("display-name", "B"),
                                  ("email", f"mixed.{uid}@example.com")])
    assert (r.status_code, r.json()["Code"]) == (409, "EmailExists"), r.text
    assert admin.put("/admin/user", [("uid", uid + "-c"), ("display-name", "C")]).ok
    r = admin.post("/admin/user", [("uid", uid + "-c"), ("email", f"MIXED.{uid}@example.com")])
    assert (r.status_code, r.json()["Code"]) == (409, "EmailExists"), r.text
    r = admin.post("/admin/user", [("uid", uid + "-c"), ("email", f"Other.{uid}@X.Y")])
    assert r.status_code == 200 and r.json()["email"] == f"other.{uid}@x.y", r.text


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_requests_without_a_uid_act_on_the_anonymous_user(request, level, uid):
    """Oracle (16.2.15): without a uid radosgw 16 initialises the anonymous user. Info by an
    unknown access key is then 403 AccessDenied (with a uid naming nobody: 404); a create finds
    the user its email, then its access key, names (409 EmailExists, KeyExists) and is
    otherwise 403, as a remove is. Later levels answer 404 NoSuchUser for the info and refuse
    the others as 400 InvalidArgument. A negative max-buckets is stored as -1 (bucket creation
    disabled) at every level."""
    admin = level_server(request, level).admin()
    ak = ("AK" + uuid.uuid4().hex[:18]).upper()
    admin.create_user(uid, email=f"{uid}@example.com", access_key=ak, secret_key="s" * 40)
    pacific = EXTERNAL_URL or level == "pacific"
    for query in [[("access-key", "NOSUCHKEY00000000000")],
                  [("uid", ""), ("access-key", "NOSUCHKEY00000000000")]]:
        helpers.assert_error(admin.get("/admin/user", query),
                             *((403, "AccessDenied") if pacific else (404, "NoSuchUser")))
    helpers.assert_error(admin.get("/admin/user", [("uid", uid + "-zz"),
                                                   ("access-key", "NOSUCHKEY00000000000")]),
                         404, "NoSuchUser")
    anon = (403, "AccessDenied") if pacific else (400, "InvalidArgument")
    for query, want in [
            ([("display-name", "N"), ("email", f"{uid}@example.com"), ("access-key", ak)],
             (409, "EmailExists") if pacific else anon),
            ([("display-name", "N"), ("access-key", ak), ("secret-key", "x" * 40)],
             (409, "KeyExists") if pacific else anon),
            ([("display-name", "N"), ("email", f"{uid}-free@example.com")], anon),
            ([("uid", ""), ("display-name", "N")], anon)]:
        helpers.assert_error(admin.put("/admin/user", query), *want)
    for query in [[], [("uid", "")], [("access-key", ak)]]:
        helpers.assert_error(admin.delete("/admin/user", query), *anon)
    assert admin.get("/admin/user", [("uid", uid)]).status_code == 200
    # The other user ops without a uid: refused alike, and nothing changes. A modify that
    # names another user's email or key is a "user id mismatch" (400) at every level. A key
    # removed by its access key alone is that key's user's, at every level; an unknown key is
    # then refused as the anonymous user at pacific, InvalidAccessKeyId later.
    before = admin.get("/admin/user", [("uid", uid)]).json()
    unknown_key = anon if pacific else (403, "InvalidAccessKeyId")
    for method, query, want in [
            ("POST", [("display-name", "X")], anon),
            ("POST", [("email", f"{uid}@example.com"), ("display-name", "X")],
             (400, "InvalidArgument")),
            ("PUT", [("caps", None), ("user-caps", "users=read")], anon),
            ("PUT", [("caps", None), ("email", f"{uid}@example.com"), ("user-caps", "users=read")],
             anon),
            ("DELETE", [("caps", None), ("user-caps", "users=read")], anon),
            ("PUT", [("caps", None), ("subuser", f"{uid}:s"), ("user-caps", "users=read")], anon),
            ("PUT", [("key", None)], anon),
            ("PUT", [("key", None), ("email", f"{uid}@example.com")], anon),
            ("DELETE", [("key", None)], unknown_key),
            ("DELETE", [("key", None), ("access-key", "NOSUCHKEY00000000000")], unknown_key),
            ("PUT", [("subuser", None)], anon),
            ("POST", [("subuser", None)], anon),
            ("DELETE", [("subuser", None)], anon)]:
        helpers.assert_error(admin.request(method, "/admin/user", query), *want)
    assert admin.get("/admin/user", [("uid", uid)]).json() == before
    # 16.2 finds a key create's user by the access key given and changes that key's secret.
    r = admin.put("/admin/user", [("key", None), ("access-key", ak), ("secret-key", "t" * 40)])
    if pacific:
        assert r.status_code == 200, r.text
        assert [(k["access_key"], k["secret_key"]) for k in r.json()] == [(ak, "t" * 40)]
    else:
        helpers.assert_error(r, *anon)
    r = admin.put("/admin/user", [("uid", uid + "-m"), ("display-name", "M"),
                                  ("max-buckets", "-5")])
    assert r.status_code == 200 and r.json()["max_buckets"] == -1, r.text
    r = admin.post("/admin/user", [("uid", uid), ("max-buckets", "-7")])
    assert r.status_code == 200 and r.json()["max_buckets"] == -1, r.text


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
def meta_put(admin, section, key, body, update_type=None):
    params = [("key", key)] + ([("update-type", update_type)] if update_type else [])
    return admin.put(f"/admin/metadata/{section}", params, body=body,
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


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_metadata_put_writes_the_documents_version(request, level):
    """Oracle (16.2.15): a metadata put writes the version, tag and time its document
    carries (the next version when it has none), so a restore of what GET gave leaves them
    as they were. `update-by-version` applies only a later version of the same tag,
    `update-by-timestamp` only a later time; a put not applied answers 204, status
    `skipped`, version `ver:0,tag:`, and changes nothing. An applied user put names the
    version it replaced; an entry point put (200, no status) and an instance put (204,
    `applied`) the one they wrote. (radosgw 16.2.15 crashes on `update-by-timestamp` for
    either bucket section; not sent to it.)"""
    srv = level_server(request, level)
    admin = srv.admin()
    uid = helpers.unique("msync")
    _, b, bid = user_with_bucket(srv, admin, uid)

    def get(section, key):
        return admin.get(f"/admin/metadata/{section}", [("key", key)]).json()

    def put(section, key, doc, update_type=None):
        r = meta_put(admin, section, key, json.dumps(doc), update_type)
        hdr = {k.lower(): v for k, v in r.headers.items()}
        return r.status_code, hdr.get("rgwx_update_status"), hdr.get("rgwx_update_version")

    for section, key, applied in [("user", uid, (204, "applied")),
                                  ("bucket", b, (200, None)),
                                  ("bucket.instance", f"{b}:{bid}", (204, "applied"))]:
        doc = get(section, key)
        tag, mtime = doc["ver"]["tag"], doc["mtime"]
        doc["ver"]["ver"] = 7
        replaced = 1 if section == "user" else 7
        assert put(section, key, doc) == applied + (f"ver:{replaced},tag:{tag}",), section
        now = get(section, key)
        assert (now["ver"], now["mtime"]) == ({"tag": tag, "ver": 7}, mtime), section
        skipped = (204, "skipped", "ver:0,tag:")
        for ver, t in [(5, tag), (7, tag), (20, "_" + "x" * 23)]:
            doc["ver"] = {"tag": t, "ver": ver}
            assert put(section, key, doc, "update-by-version") == skipped, (section, ver, t)
        assert get(section, key) == now, section
        doc["ver"] = {"tag": tag, "ver": 9}
        replaced = 7 if section == "user" else 9
        assert put(section, key, doc, "update-by-version") == \
            applied + (f"ver:{replaced},tag:{tag}",), section
        assert get(section, key)["ver"] == {"tag": tag, "ver": 9}, section
        if section == "user" or not EXTERNAL_URL:
            doc["mtime"] = "2000-01-01T00:00:00.000000Z"
            assert put(section, key, doc, "update-by-timestamp") == skipped, section
            doc["mtime"], doc["ver"]["ver"] = "2099-01-01T00:00:00.000000Z", 3
            assert put(section, key, doc, "update-by-timestamp")[:2] == applied, section
            now = get(section, key)
            assert (now["ver"]["ver"], now["mtime"]) == (3, doc["mtime"]), section
        del doc["ver"]
        ver = get(section, key)["ver"]["ver"]
        assert put(section, key, doc)[:2] == applied, section
        assert get(section, key)["ver"] == {"tag": tag, "ver": ver + 1}, section
    helpers.assert_error(meta_put(admin, "user", uid, "{}", "bogus"), 400, "InvalidArgument")


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_entry_point_is_versioned_apart_from_the_instance(request, level):
    """Oracle (16.2.15): creating a bucket writes its instance and its entry point, each at
    version 1 with its own tag; an ACL, quota, tag, policy or lifecycle change writes the
    instance only; a link (even to the same owner) writes both; an unlink writes only the
    entry point, which then says `linked: false` until a link; a rename writes a new instance
    and entry point, both at version 2 with new tags."""
    srv = level_server(request, level)
    admin = srv.admin()
    uid, other = helpers.unique("epv"), helpers.unique("epvo")
    s3, b, bid = user_with_bucket(srv, admin, uid)
    admin.create_user(other)

    def versions(name=b):
        ep = admin.get("/admin/metadata/bucket", [("key", name)]).json()
        inst = admin.get("/admin/metadata/bucket.instance", [("key", f"{name}:{bid}")]).json()
        # A JSON boolean from quincy on, a string before.
        ep["data"]["linked"] = str(ep["data"]["linked"]).lower()
        return ep, inst

    ep0, inst0 = versions()
    assert (ep0["ver"]["ver"], inst0["ver"]["ver"]) == (1, 1)
    assert ep0["ver"]["tag"] != inst0["ver"]["tag"]
    s3.put_bucket_acl(Bucket=b, ACL="public-read")
    s3.put_bucket_tagging(Bucket=b, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    assert admin.put("/admin/bucket", [("quota", ""), ("bucket", b), ("uid", uid),
                                       ("max-objects", "10")]).status_code == 200
    ep, inst = versions()
    assert (ep["ver"], ep["mtime"], inst["ver"]["ver"]) == (ep0["ver"], ep0["mtime"], 4)
    assert inst["ver"]["tag"] == inst0["ver"]["tag"] and inst["mtime"] > inst0["mtime"]
    link = [("bucket", b), ("bucket-id", bid)]
    assert admin.put("/admin/bucket", link + [("uid", uid)]).status_code == 200
    ep, inst = versions()
    assert (ep["ver"]["ver"], inst["ver"]["ver"], ep["data"]["linked"]) == (2, 5, "true")
    assert ep["ver"]["tag"] == ep0["ver"]["tag"] and ep["mtime"] > ep0["mtime"]
    assert admin.post("/admin/bucket", [("bucket", b), ("uid", uid)]).status_code == 200
    ep, inst = versions()
    assert (ep["ver"]["ver"], inst["ver"]["ver"], ep["data"]["linked"]) == (3, 5, "false")
    assert ep["data"]["owner"] == uid
    assert b not in admin.get("/admin/bucket", [("uid", uid)]).json()
    assert admin.put("/admin/bucket", link + [("uid", other)]).status_code == 200
    ep, inst = versions()
    assert (ep["ver"]["ver"], inst["ver"]["ver"], ep["data"]["linked"]) == (4, 6, "true")
    assert admin.get("/admin/bucket", [("uid", other)]).json() == [b]
    new = f"{uid}-renamed"
    assert admin.put("/admin/bucket", link + [("uid", other),
                                              ("new-bucket-name", new)]).status_code == 200
    ep, inst = versions(new)
    assert (ep["ver"]["ver"], inst["ver"]["ver"], ep["data"]["linked"]) == (2, 2, "true")
    assert ep["ver"]["tag"] not in (ep0["ver"]["tag"], inst0["ver"]["tag"])
    assert inst["ver"]["tag"] not in (ep0["ver"]["tag"], inst0["ver"]["tag"])


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_link_and_unlink_answer_in_radosgw_order(request, level, uid):
    """Oracle (16.2.15): link and unlink without `uid` or `bucket`, and a bucket or object
    remove without `bucket`, are InvalidArgument; a
    bucket or user that does not exist is NoSuchKey (the user before a wrong bucket-id);
    a `bucket-id` not the bucket's, and an unlink by a user who does not own the bucket,
    are InvalidArgument; an unlink of a bucket not linked writes nothing. None of the
    refused requests changes the entry point."""
    srv = level_server(request, level)
    admin = srv.admin()
    _, b, bid = user_with_bucket(srv, admin, uid)
    admin.create_user(uid + "-other")

    def ep():
        e = admin.get("/admin/metadata/bucket", [("key", b)]).json()
        return e["ver"]["ver"], str(e["data"]["linked"]).lower()

    refused = [
        ("PUT", [("bucket", b)], (400, "InvalidArgument")),
        ("PUT", [("uid", uid)], (400, "InvalidArgument")),
        ("PUT", [("bucket", b + "-x"), ("uid", uid)], (404, "NoSuchKey")),
        ("PUT", [("bucket", b), ("uid", uid + "-nobody"), ("bucket-id", "x")], (404, "NoSuchKey")),
        ("PUT", [("bucket", b), ("uid", uid), ("bucket-id", "x")], (400, "InvalidArgument")),
        ("POST", [("bucket", b)], (400, "InvalidArgument")),
        ("POST", [("uid", uid)], (400, "InvalidArgument")),
        ("POST", [("bucket", b + "-x"), ("uid", uid)], (404, "NoSuchKey")),
        ("POST", [("bucket", b), ("uid", uid + "-nobody")], (404, "NoSuchKey")),
        ("POST", [("bucket", b), ("uid", uid + "-other")], (400, "InvalidArgument")),
        # Remove, of the bucket or of an object in it, without a bucket.
        ("DELETE", [], (400, "InvalidArgument")),
        ("DELETE", [("uid", uid), ("purge-objects", "true")], (400, "InvalidArgument")),
        ("DELETE", [("object", "k")], (400, "InvalidArgument")),
    ]
    for method, query, want in refused:
        r = admin.request(method, "/admin/bucket", query)
        assert (r.status_code, r.json()["Code"]) == want, (method, query, r.text)
    assert ep() == (1, "true")
    for _ in range(2):
        assert admin.post("/admin/bucket", [("bucket", b), ("uid", uid)]).status_code == 200
        assert ep() == (2, "false")
    assert admin.put("/admin/bucket", [("bucket", b), ("uid", uid),
                                       ("bucket-id", bid)]).status_code == 200
    assert ep() == (3, "true")


# --- S3: bucket ACLs -------------------------------------------------------------------------
def test_recreate_own_bucket_needs_the_same_acl(target, tadmin, uid):
    """Oracle: re-creating one's own bucket answers 200 only when the request's ACL is the
    bucket's current one (no x-amz-acl = private); otherwise 409 BucketAlreadyExists and
    the ACL is unchanged."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-pub"
    s3.create_bucket(Bucket=b, ACL="public-read")
    assert s3.create_bucket(Bucket=b, ACL="public-read")["ResponseMetadata"][
        "HTTPStatusCode"] == 200
    for acl in ["private", None, "authenticated-read"]:
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=b, **({"ACL": acl} if acl else {}))
        assert code_of(e) == ("BucketAlreadyExists", 409), acl
    uris = [g["Grantee"].get("URI") for g in s3.get_bucket_acl(Bucket=b)["Grants"]]
    assert uris == [ALL_USERS, None]
    # The comparison is with the ACL as it is now, not as it was created.
    s3.put_bucket_acl(Bucket=b, ACL="authenticated-read")
    s3.create_bucket(Bucket=b, ACL="authenticated-read")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=b, ACL="public-read")
    assert code_of(e) == ("BucketAlreadyExists", 409)
    p = f"{uid}-priv"
    s3.create_bucket(Bucket=p)
    s3.create_bucket(Bucket=p)
    s3.create_bucket(Bucket=p, ACL="private")
    with pytest.raises(ClientError) as e:
        s3.create_bucket(Bucket=p, ACL="public-read")
    assert code_of(e) == ("BucketAlreadyExists", 409)


def test_acl_lists_groups_first_then_users_by_id(target, tadmin):
    """Oracle: grants come in radosgw's map order: group grants first (in the order given),
    then user grants by id, so the owner `zz…` comes after a grantee `aa…`."""
    t = uuid.uuid4().hex[:6]
    zz, aa = "zz" + t, "aa" + t
    ak, sk = new_user(tadmin, zz)
    tadmin.create_user(aa, display_name="A")
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{zz}-acl"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_acl(Bucket=b, GrantRead=f'id="{aa}",uri="{ALL_USERS}"',
                      GrantFullControl=f'id="{zz}"', GrantWrite=f'uri="{AUTH_USERS}"')
    got = [(g["Grantee"].get("URI") or g["Grantee"]["ID"], g["Permission"])
           for g in s3.get_bucket_acl(Bucket=b)["Grants"]]
    assert got == [(ALL_USERS, "READ"), (AUTH_USERS, "WRITE"), (aa, "READ"),
                   (zz, "FULL_CONTROL")]
    s3.put_object(Bucket=b, Key="o", Body=b"x", ACL="public-read")
    got = [g["Grantee"].get("URI") or g["Grantee"]["ID"]
           for g in s3.get_object_acl(Bucket=b, Key="o")["Grants"]]
    assert got == [ALL_USERS, zz]


# --- S3: encoding-type=url listings ------------------------------------------------------------
def listing(client, b, query):
    r = client.get("/" + b, query)
    assert r.status_code == 200, r.text
    return r.text


@pytest.fixture
def url_bucket(target, tadmin, uid):
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-enc"
    s3.create_bucket(Bucket=b)
    for key in ["a b/c d/x", "a b/e+f/y", "a b/z", "top", "q?x/=1"]:
        s3.put_object(Bucket=b, Key=key, Body=b"x")
    return helpers.Client(target, ak, sk), b


def test_url_encoded_listing_v1(url_bucket):
    """Oracle (ListObjects v1, encoding-type=url): EncodingType first; Prefix, Delimiter,
    Marker and NextMarker as sent; keys encoded with `/` as %2F; common prefixes encoded
    but `/` kept."""
    c, b = url_bucket
    t = listing(c, b, [("prefix", "a b/"), ("delimiter", "/"), ("encoding-type", "url")])
    assert t.startswith('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns='
                        '"http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url'
                        f'</EncodingType><Name>{b}</Name><Prefix>a b/</Prefix><MaxKeys>1000'
                        '</MaxKeys><Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>'
                        '<CommonPrefixes><Prefix>a%20b/c%20d/</Prefix></CommonPrefixes>'
                        '<CommonPrefixes><Prefix>a%20b/e%2Bf/</Prefix></CommonPrefixes>'
                        '<Contents><Key>a%20b%2Fz</Key>'), t
    assert t.endswith("<Marker></Marker></ListBucketResult>"), t
    t = listing(c, b, [("prefix", "a b/"), ("delimiter", " "), ("encoding-type", "url")])
    assert "<Delimiter> </Delimiter>" in t, t
    assert re.findall("<CommonPrefixes><Prefix>([^<]*)</Prefix>", t) == ["a%20b/c%20"], t
    t = listing(c, b, [("delimiter", "/"), ("encoding-type", "url")])
    assert re.findall("<CommonPrefixes><Prefix>([^<]*)</Prefix>", t) == ["a%20b/", "q%3Fx/"]
    t = listing(c, b, [("prefix", "a b/e+f/"), ("marker", "a b/c d/x"),
                       ("encoding-type", "url")])
    assert "<Prefix>a b/e+f/</Prefix>" in t and "<Marker>a b/c d/x</Marker>" in t, t
    assert "<Key>a%20b%2Fe%2Bf%2Fy</Key>" in t, t
    t = listing(c, b, [("prefix", "a b/"), ("encoding-type", "url"), ("max-keys", "1"),
                       ("delimiter", "z")])
    assert t.endswith("<Marker></Marker><NextMarker>a b/c d/x</NextMarker>"
                      "</ListBucketResult>"), t


def test_listing_pages_name_the_next_key_as_radosgw(url_bucket):
    """Oracle (16.2.15): a truncated v1 page says NextMarker with or without a delimiter,
    and a v2 page's NextContinuationToken is the next key as is (not encoded, not opaque),
    which radosgw takes back as the key to list after (any token: "zz" lists nothing)."""
    c, b = url_bucket
    t = listing(c, b, [("max-keys", "1"), ("encoding-type", "url")])
    assert t.endswith("<Marker></Marker><NextMarker>a b/c d/x</NextMarker>"
                      "</ListBucketResult>"), t
    t = listing(c, b, [("list-type", "2"), ("max-keys", "1"), ("encoding-type", "url")])
    assert "<NextContinuationToken>a b/c d/x</NextContinuationToken>" in t, t
    t = listing(c, b, [("list-type", "2"), ("max-keys", "1"),
                       ("continuation-token", "a b/c d/x"), ("start-after", "zz")])
    assert re.findall("<Key>([^<]*)</Key>", t) == ["a b/e+f/y"], t
    assert ("<ContinuationToken>a b/c d/x</ContinuationToken><NextContinuationToken>"
            "a b/e+f/y</NextContinuationToken><KeyCount>1</KeyCount><StartAfter>zz"
            "</StartAfter>") in t, t
    t = listing(c, b, [("list-type", "2"), ("continuation-token", "zz")])
    assert "<IsTruncated>false</IsTruncated>" in t and "<Key>" not in t, t
    # A token sent empty wins over start-after all the same: the listing starts at the top.
    t = listing(c, b, [("list-type", "2"), ("continuation-token", ""), ("start-after", "top")])
    assert re.findall("<Key>([^<]*)</Key>", t)[0] == "a b/c d/x", t
    assert "<ContinuationToken></ContinuationToken>" in t and "<StartAfter>top</StartAfter>" in t, t


@pytest.mark.parametrize("level", ["rgw", "pacific"])
def test_page_sizes_are_read_as_radosgw(request, level, uid):
    """Oracle (16.2.15): max-keys, max-uploads and max-parts are read by radosgw's
    parse_value_and_bound: empty is the default, white space around the number is allowed, the
    value is clamped to 0..1000 after passing through a C int (so an overflowing number is 0),
    anything else is 400 InvalidArgument. part-number-marker is strict_strtol: no trailing
    white space, it must fit an int, and a negative one is echoed. The upload is looked up
    first: a missing one is 16.2's NoSuchKey (NoSuchUpload, as AWS, at later levels)."""
    target = level_server(request, level)
    ak, sk = new_user(target.admin(), uid)
    s3 = helpers.s3_client(target, ak, sk)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-pages"
    s3.create_bucket(Bucket=b)
    for key in ["a", "b", "c"]:
        s3.put_object(Bucket=b, Key=key, Body=b"x")
    ups = [s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"] for k in ["u1", "u2", "u3"]]
    for n in [1, 2, 3]:
        s3.upload_part(Bucket=b, Key="u1", UploadId=ups[0], PartNumber=n, Body=b"p")

    def size(path, query, tag):
        r = c.get(path, query)
        if r.status_code != 200:
            return r.status_code, re.search("<Code>([^<]*)</Code>", r.text).group(1)
        return int(re.search(f"<{tag}>(-?[0-9]+)</{tag}>", r.text).group(1)), \
            re.search("<IsTruncated>([a-z]+)</IsTruncated>", r.text).group(1)

    pages = [("", [("max-keys", None)], "MaxKeys"),
             ("", [("list-type", "2"), ("max-keys", None)], "MaxKeys"),
             ("", [("versions", None), ("max-keys", None)], "MaxKeys"),
             ("", [("uploads", None), ("max-uploads", None)], "MaxUploads"),
             ("/u1", [("uploadId", ups[0]), ("max-parts", None)], "MaxParts")]
    for v, want in [("", (1000, "false")), (" 2", (2, "true")), ("2 ", (2, "true")),
                    ("+2", (2, "true")), ("-5", (0, "true")), ("5000", (1000, "false")),
                    ("99999999999999999999", (0, "true")), ("2x", (400, "InvalidArgument")),
                    ("0x10", (400, "InvalidArgument")), ("1.5", (400, "InvalidArgument"))]:
        for suffix, query, tag in pages:
            q = [(k, v if val is None else val) for k, val in query]
            got = size(f"/{b}{suffix}", q, tag)
            if got[0] == 0 and tag == "MaxKeys":
                want0 = (0, "false")  # an empty page of objects says not truncated
                assert got == want0, (v, query, got)
            else:
                assert got == want, (v, query, got)
    for v, want in [("", (0, "false")), (" 2", (2, "false")), ("-5", (-5, "false")),
                    ("2 ", (400, "InvalidArgument")), ("2x", (400, "InvalidArgument")),
                    ("99999999999999999999", (400, "InvalidArgument"))]:
        got = size(f"/{b}/u1", [("uploadId", ups[0]), ("part-number-marker", v)],
                   "PartNumberMarker")
        assert got == want, (v, got)
    missing = "NoSuchKey" if EXTERNAL_URL or level == "pacific" else "NoSuchUpload"
    for key, q in [("u1", [("uploadId", "nosuch")]),
                   ("u1", [("uploadId", "nosuch"), ("max-parts", "x")]),
                   ("u2", [("uploadId", ups[0])])]:  # another key's upload
        r = c.get(f"/{b}/{key}", q)
        assert r.status_code == 404 and f"<Code>{missing}</Code>" in r.text, (q, r.text)
    for k, up in zip(["u1", "u2", "u3"], ups):
        s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=up)


def test_url_encoded_listing_v2_and_versions(url_bucket):
    """Oracle (v2 and ?versions): the same rules; StartAfter and KeyMarker as sent."""
    c, b = url_bucket
    t = listing(c, b, [("list-type", "2"), ("prefix", "a b/"), ("delimiter", "/"),
                       ("encoding-type", "url"), ("start-after", "a b/c d")])
    assert t.startswith('<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns='
                        '"http://s3.amazonaws.com/doc/2006-03-01/"><EncodingType>url'
                        f'</EncodingType><Name>{b}</Name><Prefix>a b/</Prefix>'), t
    assert re.findall("<CommonPrefixes><Prefix>([^<]*)</Prefix>", t) == [
        "a%20b/c%20d/", "a%20b/e%2Bf/"], t
    assert "<Key>a%20b%2Fz</Key>" in t, t
    assert t.endswith("<KeyCount>3</KeyCount><StartAfter>a b/c d</StartAfter>"
                      "</ListBucketResult>"), t
    t = listing(c, b, [("versions", None), ("prefix", "a b/"), ("delimiter", "/"),
                       ("encoding-type", "url"), ("key-marker", "a b/")])
    assert re.findall("<CommonPrefixes><Prefix>([^<]*)</Prefix>", t) == [
        "a%20b/c%20d/", "a%20b/e%2Bf/"], t
    assert "<KeyMarker>a b/</KeyMarker>" in t and "<Key>a%20b%2Fz</Key>" in t, t


def test_url_encoded_listing_boto3(target, tadmin, uid):
    """boto3 asks for encoding-type=url and decodes keys and common prefixes (not the
    prefix or delimiter): with radosgw's answer the user sees every name as stored."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-boto"
    s3.create_bucket(Bucket=b)
    for key in ["dir one/a+b", "dir one/sub dir/c", "x%y"]:
        s3.put_object(Bucket=b, Key=key, Body=b"x")
    for r in [s3.list_objects(Bucket=b, Prefix="dir one/", Delimiter="/"),
              s3.list_objects_v2(Bucket=b, Prefix="dir one/", Delimiter="/")]:
        assert r["Prefix"] == "dir one/" and r["Delimiter"] == "/"
        assert [o["Key"] for o in r["Contents"]] == ["dir one/a+b"]
        assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["dir one/sub dir/"]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == [
        "dir one/a+b", "dir one/sub dir/c", "x%y"]


# --- S3: lifecycle ---------------------------------------------------------------------------
def test_a_lifecycle_filter_replaces_the_rule_prefix(target, tadmin, uid):
    """Oracle (16.2.15): a rule with both <Prefix> and <Filter> is accepted and keeps no
    prefix of its own: an empty <Filter> reads back as an empty <Prefix>, a tag-only or a
    prefix one as that filter alone (and `radosgw-admin lc get` shows the rule's prefix "")."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-lcf"
    assert c.put("/" + b).status_code == 200
    rule = ("<LifecycleConfiguration><Rule><ID>r</ID><Prefix>q/</Prefix>{}<Status>Enabled"
            "</Status><Expiration><Days>2</Days></Expiration></Rule></LifecycleConfiguration>")
    for f, shown in [
            ("<Filter></Filter>", "<Prefix></Prefix>"),
            ("<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>",
             "<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter>"),
            ("<Filter><Prefix>f/</Prefix></Filter>", "<Filter><Prefix>f/</Prefix></Filter>")]:
        body = rule.format(f).encode()
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        r = c.put("/" + b, [("lifecycle", "")], body=body, headers={"Content-MD5": md5})
        assert r.status_code == 200, r.text
        r = c.get("/" + b, [("lifecycle", "")])
        assert r.status_code == 200 and f"<ID>r</ID>{shown}<Status>" in r.text, (f, r.text)


# --- S3: multipart ---------------------------------------------------------------------------
def complete_body(parts):
    return ("<CompleteMultipartUpload>" + "".join(
        f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>" for n, e in parts)
        + "</CompleteMultipartUpload>").encode()


def test_complete_multipart_retry_answers_as_the_first(target, tadmin, uid):
    """Oracle: completing an upload again with the same part list → 200 with the same
    result, for as long as the object at the key is the one completed (radosgw keeps nothing:
    it compares the ETag recomputed from the list sent with the object's). Another part list,
    another key, or the object replaced → the upload is gone (radosgw 16.2: 500 InternalError
    "already in progress"; here NoSuchUpload). A malformed body is MalformedXML first."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-mp"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    e1 = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1,
                        Body=b"a" * (5 * MiB))["ETag"]
    e2 = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=2, Body=b"b" * 10)["ETag"]
    parts = [{"PartNumber": 1, "ETag": e1}, {"PartNumber": 2, "ETag": e2}]
    first = s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                         MultipartUpload={"Parts": parts})
    again = s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                         MultipartUpload={"Parts": parts})
    md5s = b"".join(bytes.fromhex(e.strip('"')) for e in (e1, e2))
    etag = hashlib.md5(md5s).hexdigest() + "-2"
    assert again["ETag"].strip('"') == etag
    assert (again["Bucket"], again["Key"], again["Location"]) == (
        first["Bucket"], first["Key"], first["Location"])
    if not EXTERNAL_URL:
        # radosgw 16.2 answers the first completion with an empty <ETag>.
        assert first["ETag"] == again["ETag"] == '"' + etag + '"'
    # ETags sent without quotes are the same ETags.
    r = c.post(f"/{b}/mp", [("uploadId", up)], body=complete_body(
        [(1, e1.strip('"')), (2, e2.strip('"'))]))
    assert r.status_code == 200 and etag in r.text, r.text
    stats = tadmin.get("/admin/bucket", [("bucket", b), ("stats", "true")]).json()["usage"]
    assert stats["rgw.main"]["num_objects"] == 1
    assert stats["rgw.main"]["size"] == 5 * MiB + 10
    r = c.post(f"/{b}/mp", [("uploadId", up)], body=b"garbage")
    assert r.status_code == 400 and "<Code>MalformedXML</Code>" in r.text, r.text
    gone = ("InternalError", 500) if EXTERNAL_URL else ("NoSuchUpload", 404)
    for key, body in [("mp", complete_body([(1, e1)])), ("other", complete_body(
            [(1, e1), (2, e2)]))]:
        r = c.post(f"/{b}/{key}", [("uploadId", up)], body=body)
        assert (r.status_code, f"<Code>{gone[0]}</Code>" in r.text) == (gone[1], True), r.text
    s3.put_object(Bucket=b, Key="mp", Body=b"new")
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                     MultipartUpload={"Parts": parts})
    assert code_of(e) == gone
    assert s3.get_object(Bucket=b, Key="mp")["Body"].read() == b"new"


def test_complete_multipart_reads_parts_by_number(target, tadmin, uid):
    """Oracle: radosgw reads a completion's parts into a map by number (every release): any
    order is number order, and a number listed twice names the ETag listed last (s3-tests'
    test_multipart_resend_first_finishes_last lists part 1's two uploads, older first). A
    stale ETag listed last is InvalidPart; nothing is completed then."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-mp"
    s3.create_bucket(Bucket=b)

    def upload(key, parts):
        up = s3.create_multipart_upload(Bucket=b, Key=key)["UploadId"]
        etags = [s3.upload_part(Bucket=b, Key=key, UploadId=up, PartNumber=n, Body=data)["ETag"]
                 for n, data in parts]
        return up, [{"PartNumber": n, "ETag": e} for (n, _), e in zip(parts, etags)]

    up, listed = upload("dup", [(1, b"B" * 8), (1, b"A" * 8)])
    with pytest.raises(ClientError) as e:
        s3.complete_multipart_upload(Bucket=b, Key="dup", UploadId=up,
                                     MultipartUpload={"Parts": listed[::-1]})
    assert code_of(e) == ("InvalidPart", 400)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=b, Key="dup")
    s3.complete_multipart_upload(Bucket=b, Key="dup", UploadId=up,
                                 MultipartUpload={"Parts": listed})
    assert s3.get_object(Bucket=b, Key="dup")["Body"].read() == b"A" * 8
    up, listed = upload("order", [(1, b"x" * (5 * MiB)), (2, b"y" * 8)])
    s3.complete_multipart_upload(Bucket=b, Key="order", UploadId=up,
                                 MultipartUpload={"Parts": [listed[1], listed[0], listed[1]]})
    got = s3.get_object(Bucket=b, Key="order")["Body"].read()
    assert (len(got), got[:1], got[-8:]) == (5 * MiB + 8, b"x", b"y" * 8)


def test_copy_onto_itself_says_why_it_is_refused(target, tadmin, uid):
    """Oracle: a copy of an object onto itself that changes nothing is 400 InvalidRequest
    with radosgw's explanation (clients print it); REPLACE makes it a metadata update."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-cp"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"x", Metadata={"a": "1"})
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "k"})
    assert code_of(e) == ("InvalidRequest", 400)
    assert e.value.response["Error"]["Message"] == (
        "This copy request is illegal because it is trying to copy an object to itself "
        "without changing the object's metadata, storage class, website redirect location "
        "or encryption attributes.")
    s3.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "k"},
                   MetadataDirective="REPLACE", Metadata={"a": "2"})
    assert s3.head_object(Bucket=b, Key="k")["Metadata"] == {"a": "2"}


def test_delete_bucket_with_only_an_unfinished_upload(target, tadmin, uid):
    """Oracle: DeleteBucket on a bucket whose only content is an upload in progress → 204;
    the upload and its parts go with it (a bucket re-created with the name lists no upload,
    the owner's stats drop the parts). With an object too → 409 BucketNotEmpty and nothing
    is removed."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-up"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1, Body=b"a" * 1000)
    stats = tadmin.get("/admin/bucket", [("bucket", b), ("stats", "true")]).json()["usage"]
    assert stats["rgw.main"]["size"] == 1000
    s3.put_object(Bucket=b, Key="o", Body=b"x")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=b)
    assert code_of(e) == ("BucketNotEmpty", 409)
    assert [u["UploadId"] for u in s3.list_multipart_uploads(Bucket=b)["Uploads"]] == [up]
    s3.delete_object(Bucket=b, Key="o")
    assert s3.delete_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204
    helpers.assert_error(tadmin.get("/admin/bucket", [("bucket", b), ("stats", "true")]),
                         404, "NoSuchBucket")
    stats = tadmin.get("/admin/user", [("uid", uid), ("stats", "true")]).json()["stats"]
    assert (stats["size"], stats["num_objects"]) == (0, 0)
    s3.create_bucket(Bucket=b)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=b)
    stats = tadmin.get("/admin/bucket", [("bucket", b), ("stats", "true")]).json()["usage"]
    assert stats.get("rgw.main", {}).get("num_objects", 0) == 0
    assert stats.get("rgw.multimeta", {}).get("num_objects", 0) == 0
    # An upload without parts goes too; so does one under the admin API's bucket removal.
    s3.create_multipart_upload(Bucket=b, Key="empty")
    assert s3.delete_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204
    s3.create_bucket(Bucket=b)
    s3.create_multipart_upload(Bucket=b, Key="k")
    assert tadmin.delete("/admin/bucket", [("bucket", b)]).status_code == 200
    helpers.assert_error(tadmin.get("/admin/bucket", [("bucket", b)]), 404, "NoSuchBucket")


# --- S3: GetObject response-* overrides ----------------------------------------------------------
OVERRIDES = [("response-content-type", "application/x-foo"),
             ("response-content-language", "de"),
             ("response-expires", "Thu, 01 Dec 1994 16:00:00 GMT"),
             ("response-cache-control", "max-age=5"),
             ("response-content-disposition", 'attachment; filename="a b.txt"'),
             ("response-content-encoding", "x-test")]


def raw_get(srv, method, path, query, ak=None, sk=None):
    """(status, [(header, value)] in order, body) without any decoding."""
    url = helpers.build_url(srv.url, path, query)
    hdrs = helpers.sign_v4(method, url, ak, sk) if ak else {}
    conn = http.client.HTTPConnection(srv.host, timeout=helpers.HTTP_TIMEOUT)
    try:
        conn.request(method, url[len(srv.url):], headers=hdrs)
        r = conn.getresponse()
        return r.status, r.getheaders(), r.read()
    finally:
        conn.close()


def test_get_object_response_overrides(target, tadmin, uid):
    """Oracle: the six response-* parameters replace the stored headers on GET and HEAD of
    a signed request (presigned too), written after the user metadata and before
    Content-Type; an anonymous request using any of them → 400 InvalidRequest (radosgw sends
    that after a 200 status line; AWS documents the refusal), once the ACL let it read."""
    ak, sk = new_user(tadmin, uid)
    s3 = helpers.s3_client(target, ak, sk)
    b = f"{uid}-ovr"
    s3.create_bucket(Bucket=b, ACL="public-read")
    s3.put_object(Bucket=b, Key="o", Body=b"hello", ContentType="text/plain",
                  CacheControl="no-cache", ContentDisposition="inline",
                  ContentEncoding="identity", ContentLanguage="fr",
                  Expires="Wed, 21 Oct 2015 07:28:00 GMT", Metadata={"m": "v"},
                  ACL="public-read")
    s3.put_object(Bucket=b, Key="private", Body=b"secret")
    want = [("x-amz-meta-m", "v"), ("cache-control", "max-age=5"),
            ("content-disposition", 'attachment; filename="a b.txt"'),
            ("content-encoding", "x-test"), ("content-language", "de"),
            ("expires", "Thu, 01 Dec 1994 16:00:00 GMT"), ("content-type", "application/x-foo")]
    for method in ["GET", "HEAD"]:
        status, headers, body = raw_get(target, method, f"/{b}/o", OVERRIDES, ak, sk)
        assert status == 200
        got = [(k.lower(), v) for k, v in headers if k.lower() in dict(want)]
        assert got == want, headers
        assert body == (b"hello" if method == "GET" else b"")
    g = s3.get_object(Bucket=b, Key="o", ResponseContentType="x/y", ResponseCacheControl="c")
    assert (g["ContentType"], g["CacheControl"], g["ContentLanguage"]) == ("x/y", "c", "fr")
    url = s3.generate_presigned_url("get_object", Params={
        "Bucket": b, "Key": "o", "ResponseContentDisposition": "attachment"})
    r = requests.get(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200 and r.headers["Content-Disposition"] == "attachment"
    # Unsigned: readable object → InvalidRequest (radosgw sends it after a 200 status
    # line, which no client can read); unreadable → AccessDenied first.
    anonymous = [[("response-content-type", "x/y")], [("response-cache-control", "x")]]
    for q in [] if EXTERNAL_URL else anonymous:
        status, _, body = raw_get(target, "GET", f"/{b}/o", q)
        assert status == 400 and b"<Code>InvalidRequest</Code>" in body, body
    status, _, body = raw_get(target, "GET", f"/{b}/private", [("response-content-type", "x")])
    assert status == 403 and b"<Code>AccessDenied</Code>" in body, body
    status, headers, body = raw_get(target, "GET", f"/{b}/o", [("response-foo", "x")])
    ctype = {k.lower(): v for k, v in headers}["content-type"]
    assert (status, ctype, body) == (200, "text/plain", b"hello")


# --- relaxed bucket names --------------------------------------------------------------------
def test_relaxed_bucket_names(target, tadmin, uid, start_server):
    """radosgw's rgw_relaxed_s3_bucket_names (oracle default off: `Upper…`, `under_…`,
    64 characters → 400 InvalidBucketName): with RGW_ADMIN_RELAXED_BUCKET_NAMES=true
    upper case, `_`, a leading `_.-` and up to 255 characters are allowed; other characters,
    256 characters and IPv4 addresses still are not."""
    ak, sk = new_user(tadmin, uid)
    strict = helpers.s3_client(target, ak, sk)
    for name in [f"Up{uid}", f"u_{uid}", "b" * 64]:
        with pytest.raises(ClientError) as e:
            strict.create_bucket(Bucket=name)
        assert code_of(e) == ("InvalidBucketName", 400), name
    if EXTERNAL_URL:
        return
    srv = start_server(env={"RGW_ADMIN_RELAXED_BUCKET_NAMES": "true"})
    a2 = srv.admin()
    ak, sk = new_user(a2, uid)
    c = helpers.Client(srv, ak, sk)
    relaxed = helpers.s3_client(srv, ak, sk)
    for name in ["MyBucket", "my_bucket", "_lead", ".dot", "-dash", "end-", "a..b", "c" * 255]:
        assert c.put("/" + name).status_code == 200, name
        relaxed.put_object(Bucket=name, Key="k", Body=b"v")
        assert relaxed.get_object(Bucket=name, Key="k")["Body"].read() == b"v"
    assert "MyBucket" in [x["Name"] for x in relaxed.list_buckets()["Buckets"]]
    for name in ["d" * 256, "a b", "a:b", "a+b", "10.0.0.1", "ab"]:
        r = c.put("/" + helpers.q(name))
        assert r.status_code == 400 and "<Code>InvalidBucketName</Code>" in r.text, (name,
                                                                                      r.text)


def test_bucket_is_named_in_errors_once_the_request_is_authenticated(target, tadmin, uid):
    """Oracle (16.2.15): radosgw sets the request's bucket in `postauth_init`, so an error
    body names it (`BucketName`) only for requests that got past authentication: not for a
    signature, key or clock that does not verify, nor for a method with no op (405); but for
    a missing key, an anonymous caller refused by the bucket, and a suspended user."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-b"
    assert c.request("PUT", f"/{b}").status_code == 200

    def named(r):
        m = re.search(r"<BucketName>([^<]*)</BucketName>", r.text)
        return r.status_code, re.search(r"<Code>([^<]*)</Code>", r.text).group(1), \
            m and m.group(1)

    assert named(c.request("GET", f"/{b}", auth="v4-badsig")) == \
        (403, "SignatureDoesNotMatch", None)
    assert named(helpers.Client(target, "NOSUCHKEY0000000000X", "x" * 40).request(
        "GET", f"/{b}")) == (403, "InvalidAccessKeyId", None)
    assert named(c.request("GET", f"/{b}", auth="v4-skew")) == \
        (403, "RequestTimeTooSkewed", None)
    assert named(c.request("PATCH", f"/{b}/k")) == (405, "MethodNotAllowed", None)
    assert named(c.request("GET", f"/{b}/nokey")) == (404, "NoSuchKey", b)
    assert named(c.request("GET", f"/{b}", auth="none")) == (403, "AccessDenied", b)
    tadmin.post("/admin/user", [("uid", uid), ("suspended", "true")])
    assert named(c.request("GET", f"/{b}")) == (403, "UserSuspended", b)


def test_listing_url_encodes_keys_as_radosgw(target, tadmin, uid):
    """Oracle (16.2.15): `encoding-type=url` escapes what radosgw's `char_needs_url_encoding`
    does: blanks, controls, non-ASCII and `"#%&+,/:;<=>?@[\\]^`{}`; letters, digits and
    `!$'()*-._|~` stay (common prefixes keep their `/`)."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-b"
    s3 = helpers.s3_client(target, ak, sk)
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="d/!$'()*-._|~ \"#%&+,:;<=>?@[\\]^`{}é", Body=b"1")
    r = c.request("GET", f"/{b}", query=[("encoding-type", "url")])
    assert re.findall(r"<Key>([^<]*)</Key>", r.text) == [
        "d%2F!$&apos;()*-._|~%20%22%23%25%26%2B%2C%3A%3B%3C%3D%3E%3F%40%5B%5C%5D%5E%60%7B%7D"
        "%C3%A9"]
    r = c.request("GET", f"/{b}", query=[("encoding-type", "url"), ("delimiter", "!")])
    assert re.findall(r"<Prefix>([^<]*)</Prefix>", r.text) == ["", "d/!"]


def test_upload_listing_url_encodes_keys_as_radosgw(target, tadmin, uid):
    """Oracle (16.2.15): ListMultipartUploads with `encoding-type=url` (any case) encodes the
    uploads' keys keeping `/` (`url_encode(key, false)`), not the markers or the prefix;
    any other encoding, an empty one included, is 400 InvalidArgument saying so. Object
    listings take `URL` too (and ignore other values)."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-b"
    s3 = helpers.s3_client(target, ak, sk)
    s3.create_bucket(Bucket=b)
    for key in ["a b/1", "c+d", "e&f"]:
        s3.create_multipart_upload(Bucket=b, Key=key)
    s3.put_object(Bucket=b, Key="c+d", Body=b"1")
    for enc in ("url", "URL"):
        r = c.request("GET", f"/{b}", query=[("uploads", None), ("encoding-type", enc)])
        assert re.findall(r"<Key>([^<]*)</Key>", r.text) == ["a%20b/1", "c%2Bd", "e%26f"]
        assert "<NextKeyMarker>e&amp;f</NextKeyMarker>" in r.text and "EncodingType" not in r.text
        r = c.request("GET", f"/{b}", query=[("encoding-type", enc)])
        assert re.findall(r"<Key>([^<]*)</Key>", r.text) == ["c%2Bd"], r.text
    r = c.request("GET", f"/{b}", query=[("uploads", None), ("encoding-type", "url"),
                                         ("prefix", "a b")])
    assert "<Prefix>a b</Prefix>" in r.text and "<Key>a%20b/1</Key>" in r.text
    for enc in ("foo", ""):
        r = c.request("GET", f"/{b}", query=[("uploads", None), ("encoding-type", enc)])
        assert r.status_code == 400 and "<Code>InvalidArgument</Code>" in r.text, r.text
        assert "<Message>Invalid Encoding Method specified in Request</Message>" in r.text
        r = c.request("GET", f"/{b}", query=[("encoding-type", enc)])
        assert re.findall(r"<Key>([^<]*)</Key>", r.text) == ["c+d"], r.text


def test_create_bucket_configuration_as_radosgw_reads_it(target, tadmin, uid):
    """Oracle (16.2.15): CreateBucket's body is none or a CreateBucketConfiguration with a
    LocationConstraint (else 400 InvalidArgument, blanks included); the constraint is empty
    or `<api>[:<placement>]` with the zonegroup's api (`default`) and an existing placement
    (`default-placement`), as sent (not trimmed); a client's region is 400
    InvalidLocationConstraint, also for a bucket that exists, after the name's check."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'

    def config(lc):
        return (f"<CreateBucketConfiguration {ns}><LocationConstraint>{lc}"
                "</LocationConstraint></CreateBucketConfiguration>").encode()

    def answer(r):
        m = re.search(r"<Code>([^<]*)</Code><Message>([^<]*)</Message>", r.text)
        return (r.status_code, *(m.groups() if m else (None, None)))
    bad_lc = (400, "InvalidLocationConstraint", "The specified location-constraint is not valid")
    no_placement = (400, "InvalidLocationConstraint",
                    "The specified placement target does not exist")
    cases = [(b"", (200, None, None)), (config(""), (200, None, None)),
             (config("default"), (200, None, None)), (config("default:default-placement"),
                                                      (200, None, None)),
             (config(":default-placement"), (200, None, None)), (config("default:"),
                                                                  (200, None, None)),
             (config("us-east-1"), bad_lc), (config("EU"), bad_lc), (config("Default"), bad_lc),
             (config(" default"), bad_lc), (config("bogus:default-placement"), bad_lc),
             (config("default:bogus"), no_placement), (config(":bogus"), no_placement),
             (b"   ", (400, "InvalidArgument", "")), (b"<x", (400, "InvalidArgument", "")),
             (f"<CreateBucketConfiguration {ns}/>".encode(), (400, "InvalidArgument", ""))]
    for i, (body, want) in enumerate(cases):
        r = c.request("PUT", f"/{uid}-{i}", body=body)
        assert answer(r) == want, (body, r.text)
        exists = c.request("HEAD", f"/{uid}-{i}").status_code
        assert exists == (200 if want[0] == 200 else 404), body
    assert answer(c.request("PUT", f"/{uid}-0", body=config("EU"))) == bad_lc
    assert answer(c.request("PUT", f"/{uid}-0", body=config(":bogus"))) == no_placement
    assert answer(c.request("PUT", f"/{uid}_X..", body=config("EU")))[:2] == (
        400, "InvalidBucketName")


def test_several_ranges_get_the_first(target, tadmin, uid):
    """Oracle (16.2.15): of several byte ranges radosgw serves the first, as a 206 of it."""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    assert c.request("PUT", f"/{uid}-r").status_code == 200
    assert c.request("PUT", f"/{uid}-r/k", body=b"0123456789").status_code == 200
    for rng, want in [("bytes=0-1,3-4", (206, "bytes 0-1/10", b"01")),
                      ("bytes=3-4,0-1", (206, "bytes 3-4/10", b"34")),
                      ("bytes=0-1, 3-4", (206, "bytes 0-1/10", b"01")),
                      ("bytes=-2,0-1", (206, "bytes 8-9/10", b"89")),
                      ("bytes=0-1,20-30", (206, "bytes 0-1/10", b"01"))]:
        r = c.request("GET", f"/{uid}-r/k", headers={"Range": rng})
        assert (r.status_code, r.headers.get("Content-Range"), r.content) == want, rng
    r = c.request("GET", f"/{uid}-r/k", headers={"Range": "bytes=20-30,0-1"})
    assert r.status_code == 416 and "<Code>InvalidRange</Code>" in r.text


def test_copy_conditions_under_radosgw_names(target, tadmin, uid):
    """Oracle (16.2.15): CopyObject reads its own `x-amz-copy-if-*` names: a failed If-Match
    or If-Unmodified-Since is 412, an If-None-Match that matches or an If-Modified-Since the
    source is not newer than is 304, and nothing is copied. (It ignores AWS's
    `x-amz-copy-source-if-*`, which we check, answering 412 as AWS does.)"""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-c"
    assert c.request("PUT", f"/{b}").status_code == 200
    etag = c.request("PUT", f"/{b}/o", body=b"data").headers["ETag"]
    src = {"x-amz-copy-source": f"{b}/o"}
    old, new = "Mon, 01 Jan 2001 00:00:00 GMT", "Mon, 01 Jan 2040 00:00:00 GMT"
    for h, want in [({"x-amz-copy-if-match": '"bad"'}, 412),
                    ({"x-amz-copy-if-unmodified-since": old}, 412),
                    ({"x-amz-copy-if-none-match": etag}, 304),
                    ({"x-amz-copy-if-modified-since": new}, 304)]:
        r = c.request("PUT", f"/{b}/copy", headers={**src, **h})
        assert r.status_code == want, (h, r.text)
        if want == 412:
            assert "<Code>PreconditionFailed</Code>" in r.text
        assert c.request("HEAD", f"/{b}/copy").status_code == 404, h
    r = c.request("PUT", f"/{b}/copy", headers={**src, "x-amz-copy-if-match": etag})
    assert r.status_code == 200 and c.request("GET", f"/{b}/copy").content == b"data"
    if not helpers.EXTERNAL_URL:
        r = c.request("PUT", f"/{b}/copy2", headers={**src, "x-amz-copy-source-if-match": '"x"'})
        assert r.status_code == 412 and "<Code>PreconditionFailed</Code>" in r.text


def test_object_lock_on_a_bucket_without_it(target, tadmin, uid):
    """Oracle (16.2.15), a bucket created without object lock: ?retention and ?legal-hold of
    an object are the caller's permission, then the object (NoSuchKey), then 400
    InvalidRequest saying why, whatever the body; PUT ?object-lock is 409 InvalidBucketState;
    PutObject's object-lock headers are 400 InvalidArgument when malformed, else
    InvalidRequest, and store nothing. (Buckets created with object lock:
    test_s3_object_lock.py.)"""
    ak, sk = new_user(tadmin, uid)
    c = helpers.Client(target, ak, sk)
    b = f"{uid}-b"
    assert c.request("PUT", f"/{b}").status_code == 200
    assert c.request("PUT", f"/{b}/a", body=b"1").status_code == 200

    def answer(r):
        code = re.search(r"<Code>([^<]*)</Code>", r.text)
        message = re.search(r"<Message>([^<]*)</Message>", r.text)
        return r.status_code, code and code.group(1), message and message.group(1)

    ret = (b'<Retention xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Mode>GOVERNANCE'
           b'</Mode><RetainUntilDate>2030-01-01T00:00:00Z</RetainUntilDate></Retention>')
    not_configured = "bucket object lock not configured"
    for method, sub, body, message in [
            ("GET", "retention", b"", not_configured),
            ("GET", "legal-hold", b"", not_configured),
            ("PUT", "retention", ret, "object retention can&apos;t be set if bucket object "
                                      "lock not configured"),
            ("PUT", "legal-hold", b"<x", "object legal hold can&apos;t be set if bucket "
                                         "object lock not enabled")]:
        r = c.request(method, f"/{b}/a", query=[(sub, None)], body=body)
        assert answer(r) == (400, "InvalidRequest", message), (method, sub, r.text)
        r = c.request(method, f"/{b}/nokey", query=[(sub, None)], body=body)
        assert answer(r)[:2] == (404, "NoSuchKey"), (method, sub, r.text)
    r = c.request("PUT", f"/{b}", query=[("object-lock", None)], body=b"<x")
    assert answer(r) == (409, "InvalidBucketState", "object lock configuration can&apos;t be "
                         "set if bucket object lock not enabled"), r.text
    other = helpers.Client(target, *new_user(tadmin, uid + "-o"))
    assert other.request("GET", f"/{b}/a", query=[("retention", None)]).status_code == 403
    assert other.request("PUT", f"/{b}", query=[("object-lock", None)]).status_code == 403
    # Nobody unsigned may: refused before the body is read.
    for path, sub in [(f"/{b}/a", "retention"), (f"/{b}/a", "legal-hold"),
                      (f"/{b}", "object-lock")]:
        r = c.request("PUT", path, query=[(sub, None)], body=ret, auth="none")
        assert answer(r)[:2] == (403, "AccessDenied"), (sub, r.text)
    mode = {"x-amz-object-lock-mode": "GOVERNANCE"}
    until = {"x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00Z"}
    for headers, code in [({**mode, **until}, "InvalidRequest"),
                          ({"x-amz-object-lock-legal-hold": "OFF"}, "InvalidRequest"),
                          (mode, "InvalidArgument"),
                          ({"x-amz-object-lock-legal-hold": "bogus"}, "InvalidArgument")]:
        r = c.request("PUT", f"/{b}/locked", body=b"2", headers=headers)
        assert answer(r)[:2] == (400, code), (headers, r.text)
    assert c.request("HEAD", f"/{b}/locked").status_code == 404
