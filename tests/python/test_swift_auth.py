"""Swift v1 auth (golden 121-swift-auth-v1): a subuser's swift key, made through the admin
API, buys an `AUTH_rgwtk…` token at /auth, /auth/1.0 and /auth/v1.0; a wrong key gets 401."""
import hashlib
import hmac
import struct
import time

import pytest
import requests

import helpers

SECRET = "swiftsecret" + "0" * 29


@pytest.fixture
def swift_user(admin, uid):
    admin.create_user(uid)
    r = admin.put("/admin/user", [("subuser", None), ("uid", uid), ("subuser", f"{uid}:swift"),
                                  ("key-type", "swift"), ("secret-key", SECRET),
                                  ("access", "full")])
    assert r.status_code == 200, r.text
    return f"{uid}:swift"


def auth(rgw, path, user, key, host=None):
    h = {"X-Auth-User": user, "X-Auth-Key": key}
    if host:
        h["Host"] = host
    return requests.get(rgw.url + path, headers=h, timeout=helpers.HTTP_TIMEOUT)


def decode(token, key):
    """Check the token as radosgw's SignedTokenEngine does; returns (user, expiration)."""
    assert token.startswith("AUTH_rgwtk")
    raw = bytes.fromhex(token[len("AUTH_rgwtk"):])
    (n,) = struct.unpack_from("<I", raw)
    user = raw[4:4 + n].decode()
    sec, _nsec = struct.unpack_from("<II", raw, 4 + n + 8)
    body, mac = raw[:-20], raw[-20:]
    assert len(body) == 4 + n + 16
    k = bytearray(20)
    for i, c in enumerate(key.encode()):
        k[i % 20] |= c
    assert hmac.new(bytes(k), body, hashlib.sha1).digest() == mac
    return user, sec


# radosgw 16.2.15 answers `/auth` itself too (its Swift auth entry), as `swift -A
# http://host/auth` sends it (probes-26/swift.py).
@pytest.mark.parametrize("path", ["/auth/1.0", "/auth/v1.0", "/auth", "/auth/"])
def test_swift_auth_v1(rgw, swift_user, path):
    r = auth(rgw, path, swift_user, SECRET)
    assert r.status_code == 204, r.text
    assert r.text == ""
    assert r.headers["X-Storage-Url"] == f"http://{rgw.host}/swift/v1"
    tok = r.headers["X-Auth-Token"]
    assert r.headers["X-Storage-Token"] == tok
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert r.headers["X-Trans-Id"] == r.headers["X-Openstack-Request-Id"]
    user, exp = decode(tok, SECRET)
    assert user == swift_user
    assert abs(exp - (time.time() + 86400)) < 60
    # a fresh nonce every time
    assert auth(rgw, path, swift_user, SECRET).headers["X-Auth-Token"] != tok


def test_swift_storage_url_follows_host(rgw, swift_user):
    r = auth(rgw, "/auth/1.0", swift_user, SECRET, host="swift.example.com:8080")
    assert r.headers["X-Storage-Url"] == "http://swift.example.com:8080/swift/v1"
    r = auth(rgw, "/auth/1.0", swift_user, SECRET, host="swift.example.com")
    assert r.headers["X-Storage-Url"] == f"http://swift.example.com:{rgw.port}/swift/v1"


def check_denied(r, status):
    assert r.status_code == status, r.text
    assert "X-Auth-Token" not in r.headers and "X-Storage-Url" not in r.headers
    body = r.json()
    assert list(body) == ["Code", "Message", "RequestId", "HostId"]
    assert body["Code"] == "AccessDenied"


def test_swift_auth_refused(rgw, admin, swift_user, uid):
    # wrong key, or a prefix of the right one: -EPERM → 401
    check_denied(auth(rgw, "/auth/1.0", swift_user, SECRET[:-1] + "1"), 401)
    check_denied(auth(rgw, "/auth/1.0", swift_user, SECRET[:-1]), 401)
    # missing headers: 401
    r = requests.get(rgw.url + "/auth/1.0", headers={"X-Auth-User": swift_user},
                     timeout=helpers.HTTP_TIMEOUT)
    check_denied(r, 401)
    # unknown swift user: -EACCES → 403
    check_denied(auth(rgw, "/auth/1.0", f"{uid}:nobody", SECRET), 403)
    # the S3 access key is no swift key
    s3_key = admin.user_info(uid)["keys"][0]
    check_denied(auth(rgw, "/auth/1.0", f"{uid}", s3_key["secret_key"]), 403)
    # once the swift key is removed, the old secret no longer works
    r = admin.delete("/admin/user", [("key", None), ("uid", uid), ("subuser", swift_user),
                                     ("key-type", "swift")])
    assert r.status_code == 200, r.text
    assert auth(rgw, "/auth/1.0", swift_user, SECRET).status_code in (401, 403)


def test_suspended_user_gets_no_token(rgw, admin, uid, swift_user):
    """Security review L7: a suspended user's swift key buys no token (after the key
    matched, so suspension is not revealed to others); re-enabled, it does again."""
    parent = swift_user.split(":")[0]
    assert admin.post("/admin/user", [("uid", parent), ("suspended", "true")]).status_code == 200
    r = auth(rgw, "/auth/1.0", swift_user, SECRET)
    assert r.status_code == 403 and "X-Auth-Token" not in r.headers, r.headers
    r = auth(rgw, "/auth/1.0", swift_user, "wrong" + SECRET[5:])
    assert r.status_code == 401
    assert admin.post("/admin/user", [("uid", parent), ("suspended", "false")]).status_code == 200
    r = auth(rgw, "/auth/1.0", swift_user, SECRET)
    assert r.status_code == 204 and r.headers["X-Auth-Token"].startswith("AUTH_rgwtk")


def test_key_guessing_is_rate_limited(start_server, uid):
    """Security review L7: swift auth is unauthenticated, so each try is charged to the
    anonymous rate limit: guessing keys is bounded like any anonymous request."""
    srv = start_server(env={"RGW_ADMIN_RATELIMIT_WINDOW": "60"})
    admin = srv.admin()
    admin.create_user(uid)
    r = admin.put("/admin/user", [("subuser", None), ("uid", uid), ("subuser", f"{uid}:swift"),
                                  ("key-type", "swift"), ("secret-key", SECRET),
                                  ("access", "full")])
    assert r.status_code == 200, r.text
    r = admin.post("/admin/ratelimit", [("global", "true"), ("ratelimit-scope", "anon"),
                                        ("max-read-ops", "3"), ("enabled", "true")])
    assert r.status_code == 200, r.text
    codes = [auth(srv, "/auth/1.0", f"{uid}:swift", f"guess{i}").status_code for i in range(3)]
    assert codes == [401, 401, 401]
    r = auth(srv, "/auth/1.0", f"{uid}:swift", SECRET)  # even the right key, this window
    assert r.status_code == 503 and "X-Auth-Token" not in r.headers
    assert r.json()["Code"] == "SlowDown"
