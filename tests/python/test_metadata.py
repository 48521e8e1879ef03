"""/admin/metadata (sections, user list, paged list, get by key), /admin/user?list and
/admin/info at both compat levels (shapes from tests/golden 053-059 and server-spec §10-11)."""
import re

import pytest

import helpers

TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture(params=["reef", "pacific"])
def srv(request, rgw, pacific):
    return {"reef": rgw, "pacific": pacific}[request.param], request.param


def test_sections(srv):
    s, compat = srv
    r = s.admin().get("/admin/metadata")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    if compat == "pacific":
        assert r.json() == ["bucket", "bucket.instance", "otp", "user"]
    else:
        assert {"bucket", "bucket.instance", "user"} <= set(r.json())


def test_user_list_and_get(srv):
    s, compat = srv
    admin = s.admin()
    uid = helpers.unique("meta")
    created = admin.create_user(uid, "Meta Person", email=f"{uid}@example.com",
                                user_caps="usage=read")
    r = admin.get("/admin/metadata/user")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    users = r.json()
    assert isinstance(users, list) and len(users) == len(set(users))
    assert {"admin", uid} <= set(users)

    r = admin.get("/admin/metadata/user", [("key", uid)])
    assert r.status_code == 200, r.text
    m = r.json()
    assert list(m) == ["key", "ver", "mtime", "data"]
    assert m["key"] == f"user:{uid}"
    assert list(m["ver"]) == ["tag", "ver"] and isinstance(m["ver"]["ver"], int)
    assert TS_RE.match(m["mtime"]), m["mtime"]
    d = m["data"]
    assert "tenant" not in d and d["attrs"] == []
    for field in ("user_id", "display_name", "email", "suspended", "max_buckets", "subusers",
                  "keys", "swift_keys", "caps", "op_mask", "bucket_quota", "user_quota"):
        assert d[field] == created[field], field

    # a change bumps the version
    admin.post("/admin/user", [("uid", uid), ("display-name", "Meta Renamed")])
    m2 = admin.get("/admin/metadata/user", [("key", uid)]).json()
    assert m2["data"]["display_name"] == "Meta Renamed"
    assert m2["ver"]["ver"] > m["ver"]["ver"]

    helpers.assert_error(admin.get("/admin/metadata/user", [("key", uid + "-missing")]), 404,
                         "NoSuchKey")


def test_user_list_paged(srv):
    s, compat = srv
    admin = s.admin()
    for _ in range(3):
        admin.create_user(helpers.unique("page"))
    everyone = admin.user_list()
    seen, marker, pages = [], None, 0
    while True:
        query = [("max-entries", "2")] + ([("marker", marker)] if marker else [])
        r = admin.get("/admin/metadata/user", query)
        assert r.status_code == 200, r.text
        page = r.json()
        assert list(page)[:3] == ["keys", "truncated", "count"]
        assert page["count"] == len(page["keys"]) <= 2
        truncated = page["truncated"]
        if compat == "pacific":
            assert truncated in ("true", "false")  # strings in 16.2 (golden 056)
            truncated = truncated == "true"
        else:
            assert isinstance(truncated, bool)
        seen += page["keys"]
        pages += 1
        assert pages < 1000
        if not truncated:
            break
        marker = page["marker"]
        assert marker
    assert sorted(seen) == everyone
    assert len(seen) == len(set(seen))


def test_user_list_query(srv):
    s, compat = srv
    admin = s.admin()
    uid = helpers.unique("list")
    admin.create_user(uid)
    r = admin.get("/admin/user", [("list", None)])
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body)[:3] == ["keys", "truncated", "count"]
    assert body["truncated"] is False  # a real boolean even in 16.2 (golden 053)
    assert body["count"] == len(body["keys"])
    assert sorted(body["keys"]) == admin.user_list()
    assert uid in body["keys"]


def test_metadata_requires_metadata_cap(srv):
    s, compat = srv
    admin = s.admin()
    uid = helpers.unique("nometa")
    admin.create_user(uid, access_key="NOMETA" + uid[-14:].upper().replace("-", "0"),
                      secret_key="m" * 40, user_caps="users=*")
    caller = s.admin("NOMETA" + uid[-14:].upper().replace("-", "0"), "m" * 40)
    helpers.assert_error(caller.get("/admin/metadata/user"), 403, "AccessDenied")
    assert caller.get("/admin/user", [("uid", uid)]).status_code == 200


def test_info(srv):
    s, compat = srv
    r = s.admin().get("/admin/info")
    if compat == "pacific":
        helpers.assert_error(r, 405, "MethodNotAllowed")
        return
    assert r.status_code == 200, r.text
    backends = r.json()["info"]["storage_backends"]
    assert len(backends) >= 1
    assert set(backends[0]) == {"name", "cluster_id"} and backends[0]["name"]
