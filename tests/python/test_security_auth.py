"""Security review findings on authentication (issue 10): each hostile request is refused and
leaves the store as it was.

- H2 / L3: unsigned `x-amz-*` headers and an unsigned `host` (header and presigned forms).
- L1: presigned URLs dated in the future, scope date other than the request date, huge scope.
- M2: the fallback canonical forms (`+` in a path, awscurl double encoding) bind one request.
- `AWS4-HMAC-SHA256Credential=` without its space (radosgw refuses it).
- H5: the `sigv2 = allow | read-only | deny` setting.
- M7: a request that does not verify is answered before its body is read.
- M14: a whole body's `Content-MD5` is checked.
- M11: an anonymous CreateBucket leaves no usage row.
"""
import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from urllib.parse import quote

import pytest
from botocore.exceptions import ClientError

import helpers
from helpers import ADMIN_AK, ADMIN_SK, assert_error


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def sign(method, host, path, query, headers, signed, body=b"", when=None, scope_date=None,
         region="us-east-1", auth_prefix="AWS4-HMAC-SHA256 ", ak=ADMIN_AK, sk=ADMIN_SK):
    """A SigV4 header signature over exactly the headers named in `signed` (lower case), so
    a test can leave `host` out or add unsigned ones. Returns the headers to send."""
    when = when or dt.datetime.now(dt.timezone.utc)
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    scope_date = scope_date or amz_date[:8]
    payload = hashlib.sha256(body).hexdigest()
    h = dict(headers)
    h.update({"host": host, "x-amz-date": amz_date, "x-amz-content-sha256": payload})
    cq = "&".join(sorted(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}"
                         for k, v in query))
    ch = "".join(f"{n}:{h[n].strip()}\n" for n in sorted(signed))
    sh = ";".join(sorted(signed))
    creq = f"{method}\n{path}\n{cq}\n{ch}\n{sh}\n{payload}"
    scope = f"{scope_date}/{region}/s3/aws4_request"
    sts = ("AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n"
           + hashlib.sha256(creq.encode()).hexdigest())
    k = _hmac(("AWS4" + sk).encode(), scope_date)
    for part in (region, "s3", "aws4_request"):
        k = _hmac(k, part)
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    h["Authorization"] = (f"{auth_prefix}Credential={ak}/{scope}, SignedHeaders={sh}, "
                          f"Signature={sig}")
    del h["host"]  # requests sends it
    return h


def send(srv, method, path, query=(), headers=None, body=b""):
    url = helpers.build_url(srv.url, path, query)
    return helpers.requests.request(method, url, headers=headers or {}, data=body or None,
                                    timeout=helpers.HTTP_TIMEOUT)


ALL = ["host", "x-amz-content-sha256", "x-amz-date"]


def user_query(uid):
    return [("uid", uid), ("display-name", "Mallory")]


def test_signature_binds_what_it_should(rgw, admin, uid):
    before = admin.user_list()
    q = user_query(uid)
    # The baseline verifies: the signer above is right.
    ok_uid = uid + "-ok"
    r = send(rgw, "PUT", "/admin/user", user_query(ok_uid),
             sign("PUT", rgw.host, "/admin/user", user_query(ok_uid), {}, ALL))
    assert r.status_code == 200, r.text
    cases = {
        # host unsigned: the signature would hold for any gateway or virtual-host bucket.
        "host unsigned": sign("PUT", rgw.host, "/admin/user", q, {},
                              ["x-amz-content-sha256", "x-amz-date"]),
        # an x-amz-* header added beside the signature.
        "x-amz-acl unsigned": sign("PUT", rgw.host, "/admin/user", q,
                                   {"x-amz-acl": "public-read-write"}, ALL),
        "x-amz-meta unsigned": sign("PUT", rgw.host, "/admin/user", q,
                                    {"x-amz-meta-a": "b"}, ALL),
        # a scope dated another day than the request.
        "scope date": sign("PUT", rgw.host, "/admin/user", q, {}, ALL,
                           scope_date=(dt.datetime.now(dt.timezone.utc)
                                       - dt.timedelta(days=1)).strftime("%Y%m%d")),
        # a region far longer than any real one.
        "huge region": sign("PUT", rgw.host, "/admin/user", q, {}, ALL, region="r" * 400),
        # radosgw skips the algorithm and one character: no space, no parse.
        "no space": sign("PUT", rgw.host, "/admin/user", q, {}, ALL,
                         auth_prefix="AWS4-HMAC-SHA256"),
    }
    for name, headers in cases.items():
        r = send(rgw, "PUT", "/admin/user", q, headers)
        assert r.status_code == 403, (name, r.status_code, r.text)
        assert r.json()["Code"] == "AccessDenied", (name, r.text)
    assert admin.user_list() == sorted(before + [ok_uid])


def test_unsigned_copy_source_does_not_turn_a_presigned_put_into_a_copy(rgw, admin, uid):
    """H2: a presigned PUT URL plus `x-amz-copy-source` must not copy the signer's data."""
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="payroll.csv", Body=b"secret salaries")
    url = s3.generate_presigned_url("put_object", Params={"Bucket": b, "Key": "avatar.png"},
                                    ExpiresIn=300)
    for extra in ({"x-amz-copy-source": f"/{b}/payroll.csv"},
                  {"x-amz-copy-source": f"/{b}/payroll.csv",
                   "x-amz-metadata-directive": "REPLACE", "Content-Type": "text/html"},
                  {"x-amz-acl": "public-read"}):
        r = helpers.requests.put(url, headers=extra, data=b"", timeout=helpers.HTTP_TIMEOUT)
        assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text, (extra, r.text)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["payroll.csv"]
    # The URL itself still works for what it was made for.
    r = helpers.requests.put(url, data=b"png", timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert s3.get_object(Bucket=b, Key="avatar.png")["Body"].read() == b"png"


def test_presigned_url_from_the_future_is_refused(rgw, admin, uid):
    """L1: a URL dated a year ahead would otherwise never expire."""
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"v")
    when = dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)
    url = awssig_presign(rgw, k, f"/{b}/k", when)
    r = helpers.requests.get(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text, r.text
    # Within the clock skew it is fine.
    url = awssig_presign(rgw, k, f"/{b}/k", dt.datetime.now(dt.timezone.utc)
                         + dt.timedelta(minutes=5))
    r = helpers.requests.get(url, timeout=helpers.HTTP_TIMEOUT)
    assert (r.status_code, r.content) == (200, b"v")


def awssig_presign(srv, key, path, when, expires=300):
    amz_date = when.strftime("%Y%m%dT%H%M%SZ")
    scope = f"{amz_date[:8]}/us-east-1/s3/aws4_request"
    q = [("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
         ("X-Amz-Credential", f"{key['access_key']}/{scope}"),
         ("X-Amz-Date", amz_date), ("X-Amz-Expires", str(expires)),
         ("X-Amz-SignedHeaders", "host")]
    cq = "&".join(sorted(f"{quote(a, safe='-_.~')}={quote(v, safe='-_.~')}" for a, v in q))
    creq = f"GET\n{path}\n{cq}\nhost:{srv.host}\n\nhost\nUNSIGNED-PAYLOAD"
    sts = ("AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n"
           + hashlib.sha256(creq.encode()).hexdigest())
    k = _hmac(("AWS4" + key["secret_key"]).encode(), amz_date[:8])
    for part in ("us-east-1", "s3", "aws4_request"):
        k = _hmac(k, part)
    sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
    return f"{srv.url}{path}?{cq}&X-Amz-Signature={sig}"


def test_plus_in_a_path_is_not_the_signed_space(rgw, admin, uid):
    """M2: the signature of key `q3 report` must not fetch or delete key `q3+report`."""
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="q3 report", Body=b"space")
    s3.put_object(Bucket=b, Key="q3+report", Body=b"plus")
    url = s3.generate_presigned_url("delete_object", Params={"Bucket": b, "Key": "q3 report"},
                                    ExpiresIn=300)
    assert "q3%20report" in url
    r = helpers.requests.delete(url.replace("q3%20report", "q3+report"),
                                timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 403, r.text
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]) == \
        ["q3 report", "q3+report"]
    r = helpers.requests.delete(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 204
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["q3+report"]


@pytest.mark.parametrize("policy", ["deny", "read-only"])
def test_sigv2_setting(start_server, policy, uid):
    """H5: SigV2 signs no admin parameter; operators can refuse it, or keep it for reads."""
    srv = start_server(env={"RGW_ADMIN_SIGV2": policy})
    admin = srv.admin()
    r = admin.get("/admin/user", [("uid", "admin")], auth="v2")
    if policy == "deny":
        assert_error(r, 403, "AccessDenied")
    else:
        assert r.status_code == 200 and r.json()["user_id"] == "admin"
    r = admin.put("/admin/user", [("uid", uid), ("display-name", "V2")], auth="v2")
    assert_error(r, 403, "AccessDenied")
    r = admin.get("/admin/user", [("uid", uid)])
    assert_error(r, 404, "NoSuchUser")
    # v2 presigned too.
    url = helpers.presign_v2("PUT", srv.url, "/admin/user", [("uid", uid),
                                                             ("display-name", "V2")],
                             ADMIN_AK, ADMIN_SK)
    r = helpers.requests.put(url, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 403, r.text
    # SigV4 is untouched.
    admin.create_user(uid)
    assert admin.user_info(uid)["display_name"] == f"User {uid}"


def test_sigv2_allowed_by_default(rgw, admin, uid):
    r = admin.put("/admin/user", [("uid", uid), ("display-name", "V2")], auth="v2")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("path", ["/admin/user?quota&uid=admin&quota-type=user",
                                  "/somebucket?delete"])
def test_bad_signature_is_answered_before_the_body(rgw, admin, path):
    """M7: a request that does not verify is refused on its headers; its body (declared
    1 MiB, never sent) is not waited for."""
    method = "PUT" if path.startswith("/admin") else "POST"
    p, _, qs = path.partition("?")
    query = [tuple(x.split("=", 1)) if "=" in x else (x, "") for x in qs.split("&")]
    h = sign(method, rgw.host, p, query, {"content-length": str(1 << 20)},
             ALL + ["content-length"], sk="wrong-secret")
    h["x-amz-content-sha256"] = "UNSIGNED-PAYLOAD"
    lines = [f"{method} {path} HTTP/1.1", f"Host: {rgw.host}"]
    lines += [f"{k}: {v}" for k, v in h.items()]
    out = helpers.first_answer(rgw, ("\r\n".join(lines) + "\r\n\r\n").encode())
    assert out.startswith(b"HTTP/1.1 403"), out[:300]
    assert b"SignatureDoesNotMatch" in out or b"AccessDenied" in out, out[:600]
    assert admin.user_info("admin")["user_quota"]["enabled"] is False


def test_whole_body_content_md5_is_checked(rgw, admin, uid):
    """M14: DeleteObjects with a Content-MD5 that is not its body's deletes nothing."""
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="keep", Body=b"1")
    body = (b'<Delete><Object><Key>keep</Key></Object></Delete>')
    other = base64.b64encode(hashlib.md5(b"something else").digest()).decode()
    cli = helpers.Client(rgw, k["access_key"], k["secret_key"])
    r = cli.post(f"/{b}", [("delete", None)], body=body,
                 headers={"Content-MD5": other, "Content-Type": "application/xml"},
                 auth="v4-unsigned")
    assert r.status_code == 400 and "<Code>BadDigest</Code>" in r.text, r.text
    r = cli.post(f"/{b}", [("delete", None)], body=body,
                 headers={"Content-MD5": "not base64!", "Content-Type": "application/xml"},
                 auth="v4-unsigned")
    # A signed Content-MD5 that is not base64 fails the signature, as in radosgw.
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text, r.text
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["keep"]
    good = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = cli.post(f"/{b}", [("delete", None)], body=body,
                 headers={"Content-MD5": good, "Content-Type": "application/xml"},
                 auth="v4-unsigned")
    assert r.status_code == 200, r.text
    assert "Contents" not in s3.list_objects_v2(Bucket=b)


def test_anonymous_create_bucket_leaves_no_usage_row(start_server, uid):
    """M11: refused anonymous requests naming buckets that do not exist are not logged."""
    srv = start_server(env={"RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"})
    admin = srv.admin()
    name = f"{uid}-" + "x" * 40
    r = send(srv, "PUT", f"/{name}")
    assert r.status_code == 403
    r = send(srv, "GET", f"/{name}-other/key")
    assert r.status_code == 404
    # A counted request, so the flush is known to have happened.
    admin.create_user(uid)
    k = admin.user_info(uid)["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    s3.list_buckets()
    deadline = time.monotonic() + 20
    while True:
        u = admin.get("/admin/usage", [("show-summary", "false")]).json()
        if any(e["user"] == uid for e in u["entries"]) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert any(e["user"] == uid for e in u["entries"]), u
    assert [e["user"] for e in u["entries"]] == [uid], u
    assert name not in json.dumps(u), u
