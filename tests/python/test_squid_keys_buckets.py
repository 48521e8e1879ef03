"""The non-account half of `compat = squid` (radosgw 19.2): key state (`active`,
`create_date`) in key dumps, disabling and re-enabling keys (every signature form refused
with a disabled key, at every level, through HTTP and the CLI), the `user-info-without-keys`
cap (from reef on), the paged bucket list and the squid bucket stats fields. Every refusal is
followed by a look at the state, which must not have changed."""
import datetime as dt
import json
import re
import time

import boto3
import pytest
import requests
from botocore.config import Config

import helpers

S3_KEY_FIELDS = ["user", "access_key", "secret_key", "active", "create_date"]
SWIFT_KEY_FIELDS = ["user", "secret_key", "active"]
DATE_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")

SQUID_STATS = ["bucket", "tenant", "versioning", "zonegroup", "placement_rule",
               "explicit_placement", "id", "marker", "index_type", "index_generation",
               "num_shards", "object_lock_enabled", "mfa_enabled", "owner", "ver", "master_ver",
               "mtime", "creation_time", "max_marker", "usage", "bucket_quota"]
REEF_STATS = ["bucket", "num_shards", "tenant", "zonegroup", "placement_rule",
              "explicit_placement", "id", "marker", "index_type", "owner", "ver", "master_ver",
              "mtime", "creation_time", "max_marker", "usage", "bucket_quota"]


def make_user(admin, uid, **params):
    """Create `uid`; its info and a raw client signing with its first key."""
    info = admin.create_user(uid, **params)
    k = info["keys"][0]
    return info, admin.server.admin(k["access_key"], k["secret_key"])


def s3(server, client):
    return helpers.s3_client(server, client.access_key, client.secret_key)


def set_active(admin, uid, ak, value, **extra):
    query = [("key", None), ("uid", uid), ("access-key", ak), ("active", value),
             ("generate-key", "false")]
    query += [(k.replace("_", "-"), v) for k, v in extra.items()]
    r = admin.put("/admin/user", query)
    assert r.status_code == 200, (r.status_code, r.text)
    return {k["access_key"]: k for k in r.json()}


def key_of(admin, uid, ak):
    return next(k for k in admin.user_info(uid)["keys"] if k["access_key"] == ak)


def assert_refused_xml(r):
    """An S3 error (XML, with the bucket named): 403 InvalidAccessKeyId."""
    assert r.status_code == 403, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/xml")
    assert "<Error><Code>InvalidAccessKeyId</Code>" in r.text, r.text


# --- key dumps -----------------------------------------------------------------------------
def test_key_dumps_have_state_and_date_at_squid(squid, uid):
    admin = squid.admin()
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    info, _ = make_user(admin, uid)
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:sw"),
                                  ("access", "full")])
    assert r.status_code == 200, r.text
    info = admin.user_info(uid)
    assert list(info)[:10] == helpers.USER_FIELDS[:10]
    (key,) = info["keys"]
    assert list(key) == S3_KEY_FIELDS
    assert key["active"] is True
    assert DATE_RE.match(key["create_date"]), key
    created = dt.datetime.strptime(key["create_date"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=dt.timezone.utc)
    assert before <= created <= dt.datetime.now(dt.timezone.utc)
    (swift,) = info["swift_keys"]
    assert list(swift) == SWIFT_KEY_FIELDS and swift["active"] is True
    # The metadata document (RGWUserInfo::dump) carries them too; XML as well.
    r = admin.get("/admin/metadata/user", [("key", uid)])
    assert r.status_code == 200, r.text
    assert list(r.json()["data"]["keys"][0]) == S3_KEY_FIELDS
    r = admin.get("/admin/user", [("uid", uid), ("format", "xml")])
    assert "<active>true</active><create_date>" in r.text, r.text
    # A second key keeps the first one's date: creating it changes no other key.
    r = admin.put("/admin/user", [("key", None), ("uid", uid)])
    assert r.status_code == 200, r.text
    keys = {k["access_key"]: k for k in r.json()}
    assert len(keys) == 2 and all(list(k) == S3_KEY_FIELDS for k in keys.values())
    assert keys[key["access_key"]] == key


def test_key_dumps_unchanged_below_squid(rgw, pacific, uid):
    for server in (rgw, pacific):
        admin = server.admin()
        make_user(admin, uid)
        r = admin.put("/admin/user", [("uid", uid),
                                      ("subuser", f"{uid}:sw"), ("access", "full")])
        assert r.status_code == 200, r.text
        info = admin.user_info(uid)
        assert list(info) == helpers.USER_FIELDS
        assert list(info["keys"][0]) == ["user", "access_key", "secret_key"]
        assert list(info["swift_keys"][0]) == ["user", "secret_key"]
        r = admin.put("/admin/user", [("key", None), ("uid", uid)])
        assert all(list(k) == ["user", "access_key", "secret_key"] for k in r.json())
    # rgwadmin builds RGWKey(**x) from each key and refuses unknown fields: still fine at reef.
    rgwa = helpers.rgwadmin_client(rgw)
    u = rgwa.get_user(uid=uid)
    assert u["user_id"] == uid and len(u["keys"]) == 2
    from rgwadmin.user import RGWUser
    assert RGWUser._parse_user(rgwa.get_metadata("user", key=uid)["data"]) is not None


# --- disabling keys ------------------------------------------------------------------------
def test_disabled_key_refused_by_every_signature_form(squid, uid):
    admin = squid.admin()
    info, user = make_user(admin, uid, user_caps="users=*")
    ak, sk = user.access_key, user.secret_key
    bucket = f"b-{uid}"[:60]
    s3(squid, user).create_bucket(Bucket=bucket)
    keys = set_active(admin, uid, ak, "false")
    assert keys[ak]["active"] is False and keys[ak]["secret_key"] == sk
    assert keys[ak]["create_date"] == info["keys"][0]["create_date"]
    before = admin.user_info(uid)

    # Admin requests: SigV4 header, SigV4 without payload hash, SigV2, presigned v4 and v2.
    for auth in ("v4", "v4-nosha", "v4-unsigned", "v2"):
        helpers.assert_error(user.get("/admin/user", [("uid", uid)], auth=auth), 403,
                             "InvalidAccessKeyId")
        helpers.assert_error(user.put("/admin/user", [("caps", None), ("uid", uid),
                                                      ("user-caps", "usage=read")], auth=auth),
                             403, "InvalidAccessKeyId")
    url = helpers.presign_v4("GET", helpers.build_url(squid.url, "/admin/user",
                                                      [("uid", uid)]), ak, sk)
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403,
                         "InvalidAccessKeyId")
    url = helpers.presign_v2("GET", squid.url, "/admin/user", [("uid", uid)], ak, sk)
    helpers.assert_error(requests.get(url, timeout=helpers.HTTP_TIMEOUT), 403,
                         "InvalidAccessKeyId")

    # S3 requests: boto3 (SigV4), raw v2, presigned v4 and v2; nothing is written.
    c = s3(squid, user)
    with pytest.raises(c.exceptions.ClientError) as e:
        c.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_refused_xml(user.put(f"/{bucket}/k2", body=b"y", auth="v2"))
    assert_refused_xml(user.get(f"/{bucket}", auth="v2"))
    url = helpers.presign_v4("PUT", f"{squid.url}/{bucket}/k3", ak, sk)
    assert_refused_xml(requests.put(url, data=b"z", timeout=helpers.HTTP_TIMEOUT))
    url = helpers.presign_v2("GET", squid.url, f"/{bucket}", [], ak, sk)
    assert_refused_xml(requests.get(url, timeout=helpers.HTTP_TIMEOUT))
    v2c = boto3.client("s3", endpoint_url=squid.url, aws_access_key_id=ak,
                       aws_secret_access_key=sk, region_name="us-east-1",
                       config=Config(s3={"addressing_style": "path"}, signature_version="s3",
                                     retries={"max_attempts": 1}))
    with pytest.raises(v2c.exceptions.ClientError) as e:
        v2c.list_objects(Bucket=bucket)
    assert e.value.response["Error"]["Code"] == "InvalidAccessKeyId"

    # Nothing changed: same user document, no object, caps as before.
    assert admin.user_info(uid) == before
    r = admin.get("/admin/bucket", [("bucket", bucket)])
    assert r.json()["usage"] == {}, r.text

    # Re-enabled (same secret): every form works again.
    keys = set_active(admin, uid, ak, "true")
    assert keys[ak]["active"] is True and keys[ak]["secret_key"] == sk
    for auth in ("v4", "v2"):
        assert user.get("/admin/user", [("uid", uid)], auth=auth).status_code == 200
    url = helpers.presign_v4("GET", helpers.build_url(squid.url, "/admin/user",
                                                      [("uid", uid)]), ak, sk)
    assert requests.get(url, timeout=helpers.HTTP_TIMEOUT).status_code == 200
    s3(squid, user).put_object(Bucket=bucket, Key="k", Body=b"x")
    assert user.get(f"/{bucket}", auth="v2").status_code == 200


def test_key_created_disabled_and_swift_keys(squid, uid):
    admin = squid.admin()
    _, user = make_user(admin, uid)
    r = admin.put("/admin/user", [("key", None), ("uid", uid), ("active", "false")])
    assert r.status_code == 200, r.text
    new = [k for k in r.json() if k["access_key"] != user.access_key]
    assert len(new) == 1 and new[0]["active"] is False
    off = squid.admin(new[0]["access_key"], new[0]["secret_key"])
    helpers.assert_error(off.get("/admin/user", [("uid", uid)]), 403, "InvalidAccessKeyId")
    # The first key is untouched.
    assert key_of(admin, uid, user.access_key)["active"] is True

    # A swift key: disabled, swift auth answers as for an unknown swift user (403).
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:sw"),
                                  ("access", "full"), ("secret-key", "swiftsecret")])
    assert r.status_code == 200, r.text
    auth = {"X-Auth-User": f"{uid}:sw", "X-Auth-Key": "swiftsecret"}
    assert requests.get(f"{squid.url}/auth/1.0", headers=auth).status_code == 204
    r = admin.put("/admin/user", [("key", None), ("subuser", f"{uid}:sw"),
                                  ("key-type", "swift"), ("secret-key", "swiftsecret"),
                                  ("active", "false")])
    assert r.status_code == 200, r.text
    assert r.json() == [{"user": f"{uid}:sw", "secret_key": "swiftsecret", "active": False}]
    assert requests.get(f"{squid.url}/auth/1.0", headers=auth).status_code == 403
    r = admin.put("/admin/user", [("key", None), ("subuser", f"{uid}:sw"),
                                  ("key-type", "swift"), ("secret-key", "swiftsecret"),
                                  ("active", "true")])
    assert r.json()[0]["active"] is True
    assert requests.get(f"{squid.url}/auth/1.0", headers=auth).status_code == 204


def test_bad_active_value_is_radosgw_default(squid, uid):
    """radosgw's get_bool: an unreadable value counts as the default (true), and the
    parameter counts as given."""
    admin = squid.admin()
    _, user = make_user(admin, uid)
    before = admin.user_info(uid)
    keys = set_active(admin, uid, user.access_key, "bogus")
    assert keys[user.access_key] == before["keys"][0]
    assert admin.user_info(uid) == before
    # On a disabled key, the unreadable value re-enables it, as in radosgw.
    set_active(admin, uid, user.access_key, "false")
    keys = set_active(admin, uid, user.access_key, "maybe")
    assert keys[user.access_key]["active"] is True
    # The key authenticates again (the user has no caps: AccessDenied, not InvalidAccessKeyId).
    helpers.assert_error(user.get("/admin/user", [("uid", uid)]), 403, "AccessDenied")
    assert admin.user_info(uid)["keys"] == before["keys"]


def test_active_is_not_a_parameter_below_squid(rgw, uid):
    """radosgw 18 knows no `active`: the key stays usable and the dump unchanged."""
    admin = rgw.admin()
    _, user = make_user(admin, uid, user_caps="users=read")
    r = admin.put("/admin/user", [("key", None), ("uid", uid), ("access-key", user.access_key),
                                  ("active", "false"), ("generate-key", "false")])
    assert r.status_code == 200, r.text
    assert r.json() == [{"user": uid, "access_key": user.access_key,
                         "secret_key": user.secret_key}]
    assert user.get("/admin/user", [("uid", uid)]).status_code == 200


def test_cli_disables_a_key_at_every_level(start_server, tmp_path, uid):
    data = str(tmp_path / "data")
    srv = start_server(env={"RGW_ADMIN_COMPAT": "reef"}, data_dir=data)
    admin = srv.admin()
    _, user = make_user(admin, uid, user_caps="users=read")
    assert user.get("/admin/user", [("uid", uid)]).status_code == 200
    srv.stop()

    p = helpers.run_cli(data, "key", "create", "--uid", uid, "--access-key", user.access_key,
                        "--active=false", env={"RGW_ADMIN_COMPAT": "squid"})
    assert p.returncode == 0, p.stderr
    (k,) = json.loads(p.stdout)
    assert list(k) == S3_KEY_FIELDS and k["active"] is False
    assert k["secret_key"] == user.secret_key and DATE_RE.match(k["create_date"])
    # At reef the dump shows no state, but the key is refused all the same.
    p = helpers.run_cli(data, "user", "info", "--uid", uid, env={"RGW_ADMIN_COMPAT": "reef"})
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["keys"][0] == {"user": uid, "access_key": user.access_key,
                                               "secret_key": user.secret_key}

    srv = start_server(env={"RGW_ADMIN_COMPAT": "reef"}, data_dir=data)
    user = srv.admin(user.access_key, user.secret_key)
    helpers.assert_error(user.get("/admin/user", [("uid", uid)]), 403, "InvalidAccessKeyId")
    helpers.assert_error(user.get("/admin/user", [("uid", uid)], auth="v2"), 403,
                         "InvalidAccessKeyId")
    srv.stop()

    p = helpers.run_cli(data, "key", "create", "--uid", uid, "--access-key", user.access_key,
                        "--key-active", "true")
    assert p.returncode == 0, p.stderr
    srv = start_server(env={"RGW_ADMIN_COMPAT": "reef"}, data_dir=data)
    user = srv.admin(user.access_key, user.secret_key)
    assert user.get("/admin/user", [("uid", uid)]).status_code == 200


# --- user-info-without-keys --------------------------------------------------------------------
@pytest.mark.parametrize("level", ["reef", "squid"])
def test_user_info_without_keys_cap(rgw, squid, uid, level):
    server = rgw if level == "reef" else squid
    admin = server.admin()
    target, _ = make_user(admin, uid)
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:sw"),
                                  ("access", "full")])
    assert r.status_code == 200
    _, reader = make_user(admin, f"{uid}-r", user_caps="user-info-without-keys=read")
    r = reader.get("/admin/user", [("uid", uid)])
    assert r.status_code == 200, r.text
    doc = r.json()
    want = [f for f in helpers.USER_FIELDS if f not in ("keys", "swift_keys")]
    assert list(doc)[:len(want)] == want
    assert "keys" not in doc and "swift_keys" not in doc
    assert doc["user_id"] == uid and doc["subusers"] == target["subusers"] + [
        {"id": f"{uid}:sw", "permissions": "full-control"}]
    r = reader.get("/admin/user", [("uid", uid), ("stats", "true")])
    assert r.status_code == 200 and "keys" not in r.json() and "stats" in r.json()
    r = reader.get("/admin/user", [("uid", uid), ("format", "xml")])
    assert "<keys>" not in r.text and "<secret_key>" not in r.text, r.text
    # The cap admits user info only.
    helpers.assert_error(reader.get("/admin/user", [("list", None)]), 403, "AccessDenied")
    helpers.assert_error(reader.get("/admin/metadata/user", [("key", uid)]), 403,
                         "AccessDenied")
    # The admin still gets the keys (no cached keyless document served to it).
    assert len(admin.user_info(uid)["keys"]) == 1
    # With users=read too, the keys are back.
    r = admin.put("/admin/user", [("caps", None), ("uid", f"{uid}-r"),
                                  ("user-caps", "users=read")])
    assert r.status_code == 200
    doc = reader.get("/admin/user", [("uid", uid)]).json()
    assert doc["keys"] == admin.user_info(uid)["keys"] and len(doc["swift_keys"]) == 1


def test_user_info_without_keys_cap_not_at_pacific(pacific, uid):
    admin = pacific.admin()
    make_user(admin, uid)
    _, reader = make_user(admin, f"{uid}-r", user_caps="user-info-without-keys=read")
    before = admin.user_info(uid)
    helpers.assert_error(reader.get("/admin/user", [("uid", uid)]), 403, "AccessDenied")
    assert admin.user_info(uid) == before


# --- bucket list paging and stats ------------------------------------------------------------
def walk(client, query, max_entries):
    """Every page of a paged list: the names (or stats) in order, and the pages' counts."""
    out, counts, marker = [], [], None
    for _ in range(100):
        q = list(query) + [("max-entries", str(max_entries))]
        if marker is not None:
            q.append(("marker", marker))
        r = client.get("/admin/bucket", q)
        assert r.status_code == 200, r.text
        page = r.json()
        assert list(page) == ["buckets", "count", "truncated", "marker"]
        assert page["count"] == len(page["buckets"]) <= max_entries
        out += page["buckets"]
        counts.append(page["count"])
        if not page["truncated"]:
            assert page["marker"] == ""
            return out, counts
        assert page["marker"]
        marker = page["marker"]
    raise AssertionError("no last page")


def test_paged_bucket_list(squid, uid):
    admin = squid.admin()
    _, user = make_user(admin, uid)
    c = s3(squid, user)
    names = sorted(f"{uid}-{i}"[:60] for i in range(7))
    for n in names:
        c.create_bucket(Bucket=n)
    c.put_object(Bucket=names[0], Key="o", Body=b"12345")

    bare = admin.get("/admin/bucket", [("uid", uid)]).json()
    assert bare == names
    got, counts = walk(admin, [("uid", uid)], 3)
    assert got == names and counts == [3, 3, 1]
    got, counts = walk(admin, [("uid", uid)], 7)
    assert got == names and counts == [7]

    stats, _ = walk(admin, [("uid", uid), ("stats", "true")], 2)
    assert [s["bucket"] for s in stats] == names
    assert list(stats[0]) == SQUID_STATS and stats[0]["usage"]["rgw.main"]["num_objects"] == 1
    bare_stats = admin.get("/admin/bucket", [("uid", uid), ("stats", "true")]).json()
    assert isinstance(bare_stats, list) and [s["bucket"] for s in bare_stats] == names

    # Every bucket of the gateway, each once, in the bare list's order.
    every = admin.get("/admin/bucket").json()
    assert isinstance(every, list) and set(names) <= set(every)
    got, _ = walk(admin, [], 4)
    assert got == every and len(set(got)) == len(got)

    # Oversized and unreadable max-entries: pages of 1000 at most.
    for m in ("5000", "bogus", ""):
        r = admin.get("/admin/bucket", [("uid", uid), ("max-entries", m)])
        assert r.json() == {"buckets": names, "count": 7, "truncated": False, "marker": ""}
    # A marker past the end: an empty last page.
    r = admin.get("/admin/bucket", [("uid", uid), ("max-entries", "3"), ("marker", "~")])
    assert r.json() == {"buckets": [], "count": 0, "truncated": False, "marker": ""}
    # One bucket named: its stats, as without max-entries.
    r = admin.get("/admin/bucket", [("bucket", names[1]), ("max-entries", "3")])
    assert r.json()["bucket"] == names[1]


def test_bucket_list_ignores_max_entries_below_squid(rgw, uid):
    admin = rgw.admin()
    _, user = make_user(admin, uid)
    c = s3(rgw, user)
    names = sorted(f"{uid}-{i}"[:60] for i in range(3))
    for n in names:
        c.create_bucket(Bucket=n)
    r = admin.get("/admin/bucket", [("uid", uid), ("max-entries", "1")])
    assert r.json() == names


def test_bucket_stats_fields(rgw, squid, uid):
    for server, fields in ((squid, SQUID_STATS), (rgw, REEF_STATS)):
        admin = server.admin()
        _, user = make_user(admin, uid)
        bucket = f"{uid}-s"[:60]
        s3(server, user).create_bucket(Bucket=bucket)
        st = admin.get("/admin/bucket", [("bucket", bucket)]).json()
        assert list(st) == fields
        if server is squid:
            assert st["versioning"] == "off"
            assert st["object_lock_enabled"] is False and st["mfa_enabled"] is False
            assert st["index_generation"] == 0 and st["num_shards"] == 11
        r = admin.get("/admin/bucket", [("bucket", bucket), ("format", "xml")])
        assert ("<versioning>off</versioning>" in r.text) == (server is squid), r.text


# --- several gateways on etcd -----------------------------------------------------------------
@pytest.fixture(scope="module")
def squid_gws():
    import etcd_cluster
    if not etcd_cluster.available():
        pytest.skip(f"no etcd binary at {etcd_cluster.ETCD_BIN}")
    c = etcd_cluster.Cluster().start()
    try:
        g = etcd_cluster.Gateways(c, 2, env={"RGW_ADMIN_COMPAT": "squid"}).start()
        try:
            yield g.servers
        finally:
            g.stop()
    finally:
        c.stop()


def test_disable_through_one_gateway_refused_by_another(squid_gws, uid):
    """The key state lives in the user record, which the etcd watch drops from every
    gateway's cache: the bound is the README's for suspensions and removed keys (3.5 s)."""
    a, b = squid_gws
    _, user = make_user(a.admin(), uid, user_caps="users=read")
    ak, sk = user.access_key, user.secret_key
    assert b.admin(ak, sk).get("/admin/user", [("uid", uid)]).status_code == 200
    set_active(a.admin(), uid, ak, "false")
    start = time.monotonic()
    while True:
        r = b.admin(ak, sk).get("/admin/user", [("uid", uid)])
        if r.status_code == 403:
            helpers.assert_error(r, 403, "InvalidAccessKeyId")
            break
        assert r.status_code == 200 and time.monotonic() - start < 3.5, r.text
        time.sleep(0.005)
    assert b.admin().user_info(uid)["keys"][0]["active"] is False
    set_active(a.admin(), uid, ak, "true")
    start = time.monotonic()
    while b.admin(ak, sk).get("/admin/user", [("uid", uid)]).status_code != 200:
        assert time.monotonic() - start < 3.5
        time.sleep(0.005)
