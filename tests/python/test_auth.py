"""Authentication and authorization failures (radosgw 16.2.15 codes, see tests/golden 012-023,
060-067, 082-083, 105) at both compat levels, with the store unchanged after refused writes;
plus the signing variants each level must accept."""
import uuid

import pytest
import requests

import helpers

U = "/admin/user"


@pytest.fixture(params=["reef", "pacific"])
def srv(request, rgw, pacific):
    return {"reef": rgw, "pacific": pacific}[request.param]


def make_caller(admin, caps=None, suspended=False):
    """A user with a fixed key pair and the given caps; returns (uid, Client as that user)."""
    tag = uuid.uuid4().hex[:12]
    uid, ak, sk = f"caller-{tag}", f"CALLER{tag.upper()}00", f"callersecret{tag}" + "0" * 16
    params = {"access_key": ak, "secret_key": sk}
    if caps:
        params["user_caps"] = caps
    if suspended:
        params["suspended"] = "true"
    admin.create_user(uid, "Caller", **params)
    return uid, admin.server.admin(ak, sk)


def victim(admin):
    uid = helpers.unique("victim")
    admin.create_user(uid, "Victim", email=f"{uid}@example.com")
    return uid


def unchanged(admin, uids, fn):
    before = helpers.snapshot(admin, uids)
    r = fn()
    assert helpers.snapshot(admin, uids) == before, "a refused request changed the store"
    return r


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_anonymous_read(srv, fmt):
    query = [("uid", "admin")] + ([("format", "xml")] if fmt == "xml" else [])
    r = srv.admin().get(U, query, auth="none")
    helpers.assert_error(r, 403, "AccessDenied", fmt=fmt)


def test_anonymous_writes(srv):
    admin = srv.admin()
    v = victim(admin)
    new = helpers.unique("anon")
    for method, query in [("PUT", [("uid", new), ("display-name", "Anon")]),
                          ("POST", [("uid", v), ("display-name", "Anon")]),
                          ("DELETE", [("uid", v)]),
                          ("PUT", [("caps", None), ("uid", v), ("user-caps", "users=*")])]:
        r = unchanged(admin, [v, new], lambda: admin.request(method, U, query, auth="none"))
        helpers.assert_error(r, 403, "AccessDenied")


@pytest.mark.parametrize("auth,fmt", [("v4-badsig", "json"), ("v4-badsig", "xml"),
                                      ("v2-badsig", "json")])
def test_bad_signature(srv, auth, fmt):
    query = [("uid", "admin")] + ([("format", "xml")] if fmt == "xml" else [])
    r = srv.admin().get(U, query, auth=auth)
    helpers.assert_error(r, 403, "SignatureDoesNotMatch", fmt=fmt)


@pytest.mark.parametrize("auth", ["v4", "v2"])
def test_wrong_secret_on_write(srv, auth):
    admin = srv.admin()
    v = victim(admin)
    forger = srv.admin(helpers.ADMIN_AK, "f" * 40)
    r = unchanged(admin, [v], lambda: forger.delete(U, [("uid", v)], auth=auth))
    helpers.assert_error(r, 403, "SignatureDoesNotMatch")


@pytest.mark.parametrize("auth", ["v4", "v2"])
def test_unknown_access_key(srv, auth):
    stranger = srv.admin("NOSUCHACCESSKEY00000", "nosuchsecretkey0000000000000000000000000")
    helpers.assert_error(stranger.get(U, [("uid", "admin")], auth=auth), 403,
                         "InvalidAccessKeyId")


@pytest.mark.parametrize("auth", ["v4-skew", "v2-skew"])
def test_skewed_date(srv, auth):
    helpers.assert_error(srv.admin().get(U, [("uid", "admin")], auth=auth), 403,
                         "RequestTimeTooSkewed")


def test_user_without_caps(srv):
    admin = srv.admin()
    uid, nocaps = make_caller(admin)
    v = victim(admin)
    helpers.assert_error(nocaps.get(U, [("uid", v)]), 403, "AccessDenied")
    helpers.assert_error(nocaps.get(U, [("uid", uid)]), 403, "AccessDenied")  # even itself
    helpers.assert_error(nocaps.get(U, [("uid", uid), ("format", "xml")]), 403, "AccessDenied",
                         fmt="xml")
    helpers.assert_error(nocaps.get("/admin/metadata/user"), 403, "AccessDenied")
    r = unchanged(admin, [uid, v],
                  lambda: nocaps.put(U, [("caps", None), ("uid", uid), ("user-caps", "users=*")]))
    helpers.assert_error(r, 403, "AccessDenied")


def test_read_only_caps_user(srv):
    admin = srv.admin()
    uid, reader = make_caller(admin, caps="users=read")
    v = victim(admin)
    r = reader.get(U, [("uid", v)])
    assert r.status_code == 200 and r.json()["user_id"] == v
    new = helpers.unique("ro")
    writes = [("POST", [("uid", v), ("display-name", "Hacked")]),
              ("PUT", [("uid", new), ("display-name", "Sneaky")]),
              ("DELETE", [("uid", v)]),
              ("PUT", [("caps", None), ("uid", uid), ("user-caps", "users=*")]),
              ("PUT", [("key", None), ("uid", v), ("generate-key", "true")]),
              ("PUT", [("subuser", f"{v}:s"), ("uid", v), ("access", "full")]),
              ("PUT", [("quota", None), ("uid", v), ("quota-type", "user"),
                       ("max-objects", "1"), ("enabled", "true")])]
    for method, query in writes:
        r = unchanged(admin, [uid, v, new], lambda: reader.request(method, U, query))
        helpers.assert_error(r, 403, "AccessDenied")


def test_suspended_user(srv):
    admin = srv.admin()
    uid, susp = make_caller(admin, caps="users=*", suspended=True)
    assert admin.user_info(uid)["suspended"] == 1
    v = victim(admin)
    helpers.assert_error(susp.get(U, [("uid", v)]), 403, "UserSuspended")
    r = unchanged(admin, [uid, v], lambda: susp.delete(U, [("uid", v)]))
    helpers.assert_error(r, 403, "UserSuspended")
    r = admin.post(U, [("uid", uid), ("suspended", "false")])
    assert r.status_code == 200 and r.json()["suspended"] == 0
    assert susp.get(U, [("uid", v)]).json()["user_id"] == v


def test_method_not_allowed(srv):
    admin = srv.admin()
    v = victim(admin)
    r = unchanged(admin, [v], lambda: admin.request("PATCH", U, [("uid", v),
                                                                 ("display-name", "P")]))
    helpers.assert_error(r, 405, "MethodNotAllowed")
    helpers.assert_error(admin.get("/admin/nosuchresource", [("uid", "admin")]), 405,
                         "MethodNotAllowed")


@pytest.mark.parametrize("region", ["us-east-1", "nowhere", "default", "s3"])
def test_any_region_in_scope(srv, region):
    url = helpers.build_url(srv.url, U, [("uid", "admin")])
    hdrs = helpers.sign_v4("GET", url, helpers.ADMIN_AK, helpers.ADMIN_SK, region=region)
    r = requests.get(url, headers=hdrs, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["user_id"] == "admin"


def test_unsigned_payload_header_accepted(srv):
    r = srv.admin().get(U, [("uid", "admin")], auth="v4-unsigned")
    assert r.status_code == 200 and r.json()["user_id"] == "admin"


def test_missing_content_sha256_pacific_vs_reef(rgw, pacific):
    """No x-amz-content-sha256 header, body hash signed: radosgw assumes UNSIGNED-PAYLOAD and
    refuses (golden 014); reef also accepts sha256(body)."""
    helpers.assert_error(pacific.admin().get(U, [("uid", "admin")], auth="v4-nosha"), 403,
                         "SignatureDoesNotMatch")
    r = rgw.admin().get(U, [("uid", "admin")], auth="v4-nosha")
    assert r.status_code == 200 and r.json()["user_id"] == "admin"


def test_repeated_query_name_pacific_vs_reef(rgw, pacific):
    """`?subuser&...&subuser=u:s` under SigV4: radosgw signs one value per name and refuses
    (golden 105); reef verifies all pairs and runs the op."""
    for srv, ok in ((pacific, False), (rgw, True)):
        admin = srv.admin()
        v = victim(admin)
        query = [("subuser", None), ("uid", v), ("subuser", f"{v}:sw"), ("access", "full"),
                 ("key-type", "swift"), ("secret-key", "q" * 40)]
        if ok:
            r = admin.put(U, query)
            assert r.status_code == 200, r.text
            assert r.json() == [{"id": f"{v}:sw", "permissions": "full-control"}]
            assert admin.user_info(v)["swift_keys"] == [{"user": f"{v}:sw",
                                                        "secret_key": "q" * 40}]
        else:
            r = unchanged(admin, [v], lambda: admin.put(U, query))
            helpers.assert_error(r, 403, "SignatureDoesNotMatch")
            # the same request under v2 (query not signed) is accepted (golden 107)
            r = admin.put(U, query, auth="v2")
            assert r.status_code == 200, r.text
            assert r.json() == [{"id": f"{v}:sw", "permissions": "full-control"}]
