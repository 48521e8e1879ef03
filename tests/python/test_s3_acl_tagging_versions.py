"""S3 behaviour that radosgw 16.2.15 shows and rgw-admin imitates: GetBucketLocation, ACL
documents for canned ACLs / grant headers / AccessControlPolicy bodies and the access checks
that follow from them, GetBucketVersioning and ListObjectVersions on never-versioned buckets
(VersionId "null"), object tagging, UploadPartCopy, HEAD bucket's X-RGW-* headers.

Every expectation here was recorded from a real radosgw 16.2.15 (../notes/radosgw-s3-probe.md,
produced by probe_s3.py). To check the module against such a gateway instead of our server:

    RGW_EXTERNAL_URL=http://127.0.0.1:7480 RGW_EXTERNAL_ADMIN_AK=... RGW_EXTERNAL_ADMIN_SK=... \
        python -m pytest tests/python/test_s3_acl_tagging_versions.py

(users are then created through that endpoint's admin API; the admin keys default to the
oracle's ADMINACCESSKEY0000000 / adminsecretkey0000...).

radosgw quirks kept on purpose (each marked "radosgw:" below): grant order is groups first,
then users sorted by user id; a non-owner with WRITE on a bucket may delete it once empty;
unknown grantee id in a grant *header* is 404 NoSuchKey; the CopyPartResult ETag is unquoted;
`bytes=N-` is not accepted as x-amz-copy-source-range; tags come back sorted by key.
"""
import base64
import hashlib
import os
import re

import pytest
import requests
from botocore.exceptions import ClientError

import helpers

# --- target: our server (default) or an external radosgw --------------------------------------
EXTERNAL_URL = helpers.EXTERNAL_URL



@pytest.fixture(scope="module")
def tadmin(target):
    return target.admin()


class User:
    def __init__(self, target, uid, name, email, access_key, secret_key):
        self.id, self.name, self.email = uid, name, email
        self.ak, self.sk = access_key, secret_key
        self.s3 = helpers.s3_client(target, access_key, secret_key)
        self.raw = helpers.Client(target, access_key, secret_key)


def make_user(target, tadmin, uid, name):
    email = f"{uid}@example.com"
    info = tadmin.create_user(uid, display_name=name, email=email)
    k = info["keys"][0]
    return User(target, uid, name, email, k["access_key"], k["secret_key"])


@pytest.fixture
def users(target, tadmin, uid):
    """owner (id uid-m), other (uid-z, sorts after the owner) and aa (uid-a, sorts before)."""
    return (make_user(target, tadmin, f"{uid}-m", f"Owner {uid}"),
            make_user(target, tadmin, f"{uid}-z", f"Other {uid}"),
            make_user(target, tadmin, f"{uid}-a", f"Aa {uid}"))


@pytest.fixture
def owner(users):
    return users[0]


@pytest.fixture
def other(users):
    return users[1]


def anon(target, method, path, query=(), body=None, headers=None):
    """An unsigned request (no Authorization)."""
    return requests.request(method, helpers.build_url(target.url, path, query), data=body,
                            headers=headers or {}, timeout=helpers.HTTP_TIMEOUT,
                            allow_redirects=False)


def code_of(exc):
    return exc.value.response["Error"]["Code"]


def status_of(exc):
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def xml_code(resp):
    m = re.search(r"<Code>([^<]*)</Code>", resp.text)
    return m.group(1) if m else None


def assert_s3_error(resp, status, code):
    ctx = f"{resp.request.method} {resp.request.url} -> {resp.status_code} {resp.text[:400]!r}"
    assert resp.status_code == status, ctx
    if resp.request.method != "HEAD":
        assert resp.headers.get("Content-Type", "").startswith("application/xml"), ctx
        assert xml_code(resp) == code, ctx


XML_DECL = helpers.XML_DECL
S3NS = helpers.S3NS
XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
TS_RE = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"


# --- ACL documents as radosgw writes them ------------------------------------------------------
def g_user(u, perm):
    return (f'<Grant><Grantee {XSI} xsi:type="CanonicalUser"><ID>{u.id}</ID>'
            f'<DisplayName>{u.name}</DisplayName></Grantee><Permission>{perm}</Permission></Grant>')


def g_group(uri, perm):
    return (f'<Grant><Grantee {XSI} xsi:type="Group"><URI>{uri}</URI></Grantee>'
            f'<Permission>{perm}</Permission></Grant>')


def acl_doc(owner, *grants):
    return (f'{XML_DECL}<AccessControlPolicy {S3NS}><Owner><ID>{owner.id}</ID>'
            f'<DisplayName>{owner.name}</DisplayName></Owner><AccessControlList>'
            + "".join(grants) + "</AccessControlList></AccessControlPolicy>")


def canned_doc(acl, owner):
    """radosgw: groups come first, the owner's FULL_CONTROL last."""
    return {
        "private": acl_doc(owner, g_user(owner, "FULL_CONTROL")),
        "public-read": acl_doc(owner, g_group(ALL_USERS, "READ"), g_user(owner, "FULL_CONTROL")),
        "public-read-write": acl_doc(owner, g_group(ALL_USERS, "READ"),
                                     g_group(ALL_USERS, "WRITE"), g_user(owner, "FULL_CONTROL")),
        "authenticated-read": acl_doc(owner, g_group(AUTH_USERS, "READ"),
                                      g_user(owner, "FULL_CONTROL")),
        # the bucket owner is the object owner here, so no second grant
        "bucket-owner-read": acl_doc(owner, g_user(owner, "FULL_CONTROL")),
        "bucket-owner-full-control": acl_doc(owner, g_user(owner, "FULL_CONTROL")),
    }[acl]


def get_acl(user, path):
    r = user.raw.get(path, [("acl", None)])
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/xml"
    return r.text


def policy_body(owner, grants):
    """AccessControlPolicy request body; grants = [(kind, value, permission)]."""
    out = ""
    for kind, val, perm in grants:
        if kind == "id":
            g = f'<Grantee {XSI} xsi:type="CanonicalUser"><ID>{val}</ID></Grantee>'
        elif kind == "uri":
            g = f'<Grantee {XSI} xsi:type="Group"><URI>{val}</URI></Grantee>'
        else:
            g = (f'<Grantee {XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>{val}'
                 "</EmailAddress></Grantee>")
        out += f"<Grant>{g}<Permission>{perm}</Permission></Grant>"
    own = "" if owner is None else (f"<Owner><ID>{owner.id}</ID><DisplayName>{owner.name}"
                                    "</DisplayName></Owner>")
    return (f"<AccessControlPolicy {S3NS}>{own}<AccessControlList>{out}</AccessControlList>"
            "</AccessControlPolicy>")


# === (a) GetBucketLocation ====================================================================
def test_get_bucket_location(target, owner, other, uid):
    b = f"{uid}-loc"
    owner.s3.create_bucket(Bucket=b)
    r = owner.raw.get(f"/{b}", [("location", None)])
    assert r.status_code == 200, r.text
    assert r.text == (f'{XML_DECL}<LocationConstraint {S3NS}>default</LocationConstraint>')
    # radosgw sends this one without a Content-Type header
    assert "Content-Type" not in r.headers
    assert owner.s3.get_bucket_location(Bucket=b)["LocationConstraint"] == "default"
    assert_s3_error(other.raw.get(f"/{b}", [("location", None)]), 403, "AccessDenied")
    assert_s3_error(anon(target, "GET", f"/{b}", [("location", None)]), 403, "AccessDenied")
    assert_s3_error(owner.raw.get(f"/{uid}-nosuch", [("location", None)]), 404, "NoSuchBucket")


# === (b) ACL documents for canned ACLs ========================================================
@pytest.mark.parametrize("acl", ["private", "public-read", "public-read-write",
                                 "authenticated-read"])
def test_canned_bucket_acl_document(owner, uid, acl):
    b = f"{uid}-c"
    owner.s3.create_bucket(Bucket=b, ACL=acl)
    assert get_acl(owner, f"/{b}") == canned_doc(acl, owner)


def test_default_bucket_and_object_acl_is_private(owner, uid):
    b = f"{uid}-c"
    owner.s3.create_bucket(Bucket=b)
    owner.s3.put_object(Bucket=b, Key="k", Body=b"x")
    assert get_acl(owner, f"/{b}") == canned_doc("private", owner)
    assert get_acl(owner, f"/{b}/k") == canned_doc("private", owner)


@pytest.mark.parametrize("acl", ["private", "public-read", "public-read-write",
                                 "authenticated-read", "bucket-owner-read",
                                 "bucket-owner-full-control"])
def test_canned_object_acl_document(owner, uid, acl):
    b = f"{uid}-c"
    owner.s3.create_bucket(Bucket=b)
    owner.s3.put_object(Bucket=b, Key="k", Body=b"data", ACL=acl)
    assert get_acl(owner, f"/{b}/k") == canned_doc(acl, owner)
    r = owner.s3.get_object_acl(Bucket=b, Key="k")
    assert r["Owner"] == {"ID": owner.id, "DisplayName": owner.name}


def test_invalid_canned_acl(owner, uid):
    b = f"{uid}-c"
    for acl in ("bogus-acl", "aws-exec-read", "log-delivery-write"):
        assert_s3_error(owner.raw.put(f"/{b}", headers={"x-amz-acl": acl}), 400,
                        "InvalidArgument")
    owner.s3.create_bucket(Bucket=b)
    for acl in ("bogus-acl", "aws-exec-read", "log-delivery-write"):
        assert_s3_error(owner.raw.put(f"/{b}/k", body=b"x", headers={"x-amz-acl": acl}), 400,
                        "InvalidArgument")
    assert "Contents" not in owner.s3.list_objects(Bucket=b)


def test_object_written_by_another_user(owner, other, uid):
    """The writer owns the object; bucket-owner-* canned ACLs add the bucket owner."""
    b = f"{uid}-prw"
    owner.s3.create_bucket(Bucket=b, ACL="public-read-write")
    other.s3.put_object(Bucket=b, Key="plain", Body=b"other's")
    assert get_acl(other, f"/{b}/plain") == acl_doc(other, g_user(other, "FULL_CONTROL"))
    # the bucket owner has no grant on it: neither the ACL nor the data
    assert_s3_error(owner.raw.get(f"/{b}/plain", [("acl", None)]), 403, "AccessDenied")
    assert_s3_error(owner.raw.get(f"/{b}/plain"), 403, "AccessDenied")
    # radosgw: user grants sorted by id, owner (uid-m) before other (uid-z)
    other.s3.put_object(Bucket=b, Key="bofc", Body=b"x", ACL="bucket-owner-full-control")
    assert get_acl(other, f"/{b}/bofc") == acl_doc(
        other, g_user(owner, "FULL_CONTROL"), g_user(other, "FULL_CONTROL"))
    assert owner.s3.get_object(Bucket=b, Key="bofc")["Body"].read() == b"x"
    other.s3.put_object(Bucket=b, Key="bor", Body=b"y", ACL="bucket-owner-read")
    assert get_acl(other, f"/{b}/bor") == acl_doc(
        other, g_user(owner, "READ"), g_user(other, "FULL_CONTROL"))
    assert owner.s3.get_object(Bucket=b, Key="bor")["Body"].read() == b"y"


# === (c) PutBucketAcl / PutObjectAcl ==========================================================
@pytest.fixture(params=["bucket", "object"])
def acl_target(request, owner, uid):
    """(level, path) of a private bucket or of a private object in one."""
    b = f"{uid}-pa"
    owner.s3.create_bucket(Bucket=b)
    if request.param == "bucket":
        return "bucket", b, None, f"/{b}"
    owner.s3.put_object(Bucket=b, Key="obj", Body=b"object data")
    return "object", b, "obj", f"/{b}/obj"


def put_acl(user, level, b, k, **kw):
    if level == "bucket":
        return user.s3.put_bucket_acl(Bucket=b, **kw)
    return user.s3.put_object_acl(Bucket=b, Key=k, **kw)


def test_put_acl_canned(owner, acl_target):
    level, b, k, path = acl_target
    for acl in ["public-read", "authenticated-read", "public-read-write", "private"]:
        r = put_acl(owner, level, b, k, ACL=acl)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert get_acl(owner, path) == canned_doc(acl, owner)
    if k:
        assert owner.s3.get_object(Bucket=b, Key=k)["Body"].read() == b"object data"


def test_put_acl_grant_headers(owner, other, acl_target):
    level, b, k, path = acl_target
    put_acl(owner, level, b, k, GrantRead=f'uri="{ALL_USERS}"', GrantWrite=f'id="{other.id}"',
            GrantReadACP=f'emailAddress="{other.email}"', GrantWriteACP=f'uri="{AUTH_USERS}"',
            GrantFullControl=f'id="{owner.id}"')
    # radosgw: headers are read in the order read, write, read-acp, write-acp, full-control;
    # the list is then ordered groups first, then users by id (owner uid-m < other uid-z)
    assert get_acl(owner, path) == acl_doc(
        owner, g_group(ALL_USERS, "READ"), g_group(AUTH_USERS, "WRITE_ACP"),
        g_user(owner, "FULL_CONTROL"), g_user(other, "WRITE"), g_user(other, "READ_ACP"))
    # several grantees in one header; the ACL is replaced, not merged (no owner grant left)
    put_acl(owner, level, b, k, GrantRead=f'id="{other.id}", uri="{AUTH_USERS}"')
    assert get_acl(owner, path) == acl_doc(owner, g_group(AUTH_USERS, "READ"),
                                           g_user(other, "READ"))


def test_put_acl_policy_body(owner, other, acl_target):
    level, b, k, path = acl_target
    policy = {"Owner": {"ID": owner.id, "DisplayName": owner.name},
              "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": owner.id},
                          "Permission": "FULL_CONTROL"},
                         {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
                         {"Grantee": {"Type": "AmazonCustomerByEmail",
                                      "EmailAddress": other.email}, "Permission": "WRITE"}]}
    r = put_acl(owner, level, b, k, AccessControlPolicy=policy)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # e-mail grantees come back as CanonicalUser with the resolved id and display name
    assert get_acl(owner, path) == acl_doc(owner, g_group(ALL_USERS, "READ"),
                                           g_user(owner, "FULL_CONTROL"), g_user(other, "WRITE"))
    got = (owner.s3.get_bucket_acl(Bucket=b) if level == "bucket"
           else owner.s3.get_object_acl(Bucket=b, Key=k))
    assert got["Owner"] == {"ID": owner.id, "DisplayName": owner.name}
    assert got["Grants"] == [
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
        {"Grantee": {"Type": "CanonicalUser", "ID": owner.id, "DisplayName": owner.name},
         "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "CanonicalUser", "ID": other.id, "DisplayName": other.name},
         "Permission": "WRITE"}]
    # a body without any grant for the owner is stored as given
    owner.raw.put(path, [("acl", None)], body=policy_body(owner, [("id", other.id, "READ")]))
    assert get_acl(owner, path) == acl_doc(owner, g_user(other, "READ"))


def test_acl_grant_order(users, acl_target):
    """radosgw keeps grants in a multimap keyed by grantee id: groups (empty key) first, then
    users by id (byte order), equal keys in the order given; duplicates are kept."""
    owner, other, aa = users
    level, b, k, path = acl_target
    body = policy_body(owner, [("id", other.id, "READ"), ("id", owner.id, "FULL_CONTROL"),
                               ("id", aa.id, "WRITE"), ("uri", AUTH_USERS, "READ"),
                               ("id", aa.id, "READ"), ("uri", ALL_USERS, "READ"),
                               ("id", other.id, "WRITE"), ("id", owner.id, "FULL_CONTROL")])
    assert owner.raw.put(path, [("acl", None)], body=body).status_code == 200
    assert get_acl(owner, path) == acl_doc(
        owner, g_group(AUTH_USERS, "READ"), g_group(ALL_USERS, "READ"), g_user(aa, "WRITE"),
        g_user(aa, "READ"), g_user(owner, "FULL_CONTROL"), g_user(owner, "FULL_CONTROL"),
        g_user(other, "READ"), g_user(other, "WRITE"))
    r = owner.raw.put(path, [("acl", None)], headers={
        "x-amz-grant-full-control": f'id="{other.id}"',
        "x-amz-grant-write-acp": f'id="{owner.id}"',
        "x-amz-grant-read-acp": f'uri="{ALL_USERS}"',
        "x-amz-grant-write": f'emailAddress="{other.email}", id="{aa.id}"',
        "x-amz-grant-read": f'id="{other.id}", uri="{AUTH_USERS}", id="{aa.id}"'})
    assert r.status_code == 200, r.text
    assert get_acl(owner, path) == acl_doc(
        owner, g_group(AUTH_USERS, "READ"), g_group(ALL_USERS, "READ_ACP"), g_user(aa, "READ"),
        g_user(aa, "WRITE"), g_user(owner, "WRITE_ACP"), g_user(other, "READ"),
        g_user(other, "WRITE"), g_user(other, "FULL_CONTROL"))


def test_acl_grant_order_email_grants_in_body(users, acl_target):
    """radosgw sorts a body's grants by the key as written (an e-mail address for
    AmazonCustomerByEmail) before resolving e-mails to ids: other's id "<uid>-z" sorts before
    its address "<uid>-z@example.com", so the id grant comes first although given last."""
    owner, other, _ = users
    level, b, k, path = acl_target
    body = policy_body(owner, [("email", other.email, "WRITE_ACP"), ("id", other.id, "READ")])
    assert owner.raw.put(path, [("acl", None)], body=body).status_code == 200
    assert get_acl(owner, path) == acl_doc(owner, g_user(other, "READ"),
                                           g_user(other, "WRITE_ACP"))


def test_put_acl_errors(owner, other, acl_target):
    level, b, k, path = acl_target
    put_acl(owner, level, b, k, ACL="public-read")
    before = get_acl(owner, path)
    cases = [
        ("malformed XML", {}, "<AccessControlPolicy><not-closed>", 400, "InvalidArgument"),
        ("empty body, no headers", {}, "", 400, "InvalidArgument"),
        ("unknown grantee id in body", {},
         policy_body(owner, [("id", "no-such-user-xyz", "READ")]), 400, "InvalidArgument"),
        ("unknown e-mail in body", {},
         policy_body(owner, [("email", "nobody@nowhere.example", "READ")]), 400,
         "UnresolvableGrantByEmailAddress"),
        ("bad permission", {}, policy_body(owner, [("id", owner.id, "BOGUS_PERM")]), 400,
         "InvalidArgument"),
        ("no Owner element", {}, policy_body(None, [("id", owner.id, "FULL_CONTROL")]), 400,
         "InvalidArgument"),
        ("Owner is not the owner", {},
         policy_body(other, [("id", other.id, "FULL_CONTROL")]), 403, "AccessDenied"),
        ("canned header and body", {"x-amz-acl": "public-read-write"},
         policy_body(owner, [("id", owner.id, "FULL_CONTROL")]), 400, "InvalidArgument"),
        ("canned and grant headers", {"x-amz-acl": "private",
                                      "x-amz-grant-read": f'id="{other.id}"'}, "", 400,
         "InvalidRequest"),
        ("invalid canned ACL", {"x-amz-acl": "bogus"}, "", 400, "InvalidArgument"),
        ("malformed grant header", {"x-amz-grant-read": "bogus"}, "", 400, "InvalidArgument"),
        # radosgw: an unknown grantee in a grant *header* is 404 NoSuchKey
        ("unknown id in grant header", {"x-amz-grant-read": 'id="no-such-user-xyz"'}, "", 404,
         "NoSuchKey"),
        ("unknown e-mail in grant header",
         {"x-amz-grant-read": 'emailAddress="nobody@nowhere.example"'}, "", 404, "NoSuchKey"),
    ]
    for what, headers, body, status, code in cases:
        r = owner.raw.put(path, [("acl", None)], body=body.encode(), headers=headers)
        assert (r.status_code, xml_code(r)) == (status, code), (what, r.text)
        assert get_acl(owner, path) == before, what
    if k:
        assert owner.s3.get_object(Bucket=b, Key=k)["Body"].read() == b"object data"


def test_put_acl_grant_headers_win_over_body(owner, other, acl_target):
    """radosgw: with grant headers and a body, the headers are applied and the body ignored."""
    level, b, k, path = acl_target
    body = policy_body(owner, [("uri", ALL_USERS, "READ"), ("id", owner.id, "FULL_CONTROL")])
    r = owner.raw.put(path, [("acl", None)], body=body.encode(),
                      headers={"x-amz-grant-write": f'id="{other.id}"'})
    assert r.status_code == 200, r.text
    assert get_acl(owner, path) == acl_doc(owner, g_user(other, "WRITE"))


# --- access that follows from ACLs -------------------------------------------------------------
# (bucket ACL, object ACL) -> {actor: (GET/HEAD object, list bucket v1/v2, PUT a new object)}
ACCESS = {
    ("private", "private"): {"anon": (403, 403, 403), "other": (403, 403, 403)},
    ("public-read", "private"): {"anon": (403, 200, 403), "other": (403, 200, 403)},
    ("public-read", "public-read"): {"anon": (200, 200, 403), "other": (200, 200, 403)},
    ("private", "public-read"): {"anon": (200, 403, 403), "other": (200, 403, 403)},
    ("public-read-write", "private"): {"anon": (403, 200, 200), "other": (403, 200, 200)},
    ("authenticated-read", "private"): {"anon": (403, 403, 403), "other": (403, 200, 403)},
    ("private", "authenticated-read"): {"anon": (403, 403, 403), "other": (200, 403, 403)},
    ("private", "public-read-write"): {"anon": (200, 403, 403), "other": (200, 403, 403)},
}


@pytest.mark.parametrize("bucket_acl,object_acl", list(ACCESS), ids=lambda v: v)
def test_access_follows_acls(target, owner, other, uid, bucket_acl, object_acl):
    b = f"{uid}-ac"
    owner.s3.create_bucket(Bucket=b, ACL=bucket_acl)
    owner.s3.put_object(Bucket=b, Key="obj", Body=b"secret", ACL=object_acl)
    for actor in ("anon", "other"):
        def call(method, path, query=(), body=None):
            if actor == "anon":
                return anon(target, method, path, query, body)
            return other.raw.request(method, path, query, body=body or b"")
        get_st, list_st, put_st = ACCESS[(bucket_acl, object_acl)][actor]
        ctx = (bucket_acl, object_acl, actor)
        r = call("GET", f"/{b}/obj")
        assert r.status_code == get_st, (ctx, r.text)
        if get_st == 200:
            assert r.content == b"secret"
        else:
            assert_s3_error(r, 403, "AccessDenied")
        assert call("HEAD", f"/{b}/obj").status_code == get_st, ctx
        r = call("GET", f"/{b}")
        assert r.status_code == list_st, (ctx, r.text)
        if list_st == 200:
            assert "<Key>obj</Key>" in r.text
        else:
            assert_s3_error(r, 403, "AccessDenied")
        assert call("GET", f"/{b}", [("list-type", "2")]).status_code == list_st, ctx
        # reading an ACL needs READ_ACP, which no canned ACL grants to others
        assert_s3_error(call("GET", f"/{b}", [("acl", None)]), 403, "AccessDenied")
        assert_s3_error(call("GET", f"/{b}/obj", [("acl", None)]), 403, "AccessDenied")
        r = call("PUT", f"/{b}/new-{actor}", body=b"w")
        assert r.status_code == put_st, (ctx, r.text)
        if put_st == 200:
            assert call("DELETE", f"/{b}/new-{actor}").status_code == 204, ctx
        else:
            assert_s3_error(r, 403, "AccessDenied")
            assert_s3_error(call("DELETE", f"/{b}/obj"), 403, "AccessDenied")
    assert owner.s3.get_object(Bucket=b, Key="obj")["Body"].read() == b"secret"


def test_explicit_grants_give_access(owner, other, uid):
    b = f"{uid}-g"
    owner.s3.create_bucket(Bucket=b)
    owner.s3.put_object(Bucket=b, Key="obj", Body=b"granted")
    with pytest.raises(ClientError) as e:
        other.s3.get_object(Bucket=b, Key="obj")
    assert code_of(e) == "AccessDenied"
    owner.s3.put_object_acl(Bucket=b, Key="obj", GrantRead=f'id="{other.id}"')
    assert other.s3.get_object(Bucket=b, Key="obj")["Body"].read() == b"granted"
    with pytest.raises(ClientError) as e:  # READ does not include READ_ACP
        other.s3.get_object_acl(Bucket=b, Key="obj")
    assert code_of(e) == "AccessDenied"
    with pytest.raises(ClientError) as e:  # nor listing the bucket
        other.s3.list_objects(Bucket=b)
    assert code_of(e) == "AccessDenied"
    owner.s3.put_bucket_acl(Bucket=b, GrantRead=f'id="{other.id}"')
    assert [o["Key"] for o in other.s3.list_objects(Bucket=b)["Contents"]] == ["obj"]
    with pytest.raises(ClientError) as e:
        other.s3.put_object(Bucket=b, Key="x", Body=b"x")
    assert code_of(e) == "AccessDenied"
    owner.s3.put_bucket_acl(Bucket=b, GrantWrite=f'id="{other.id}"')
    other.s3.put_object(Bucket=b, Key="x", Body=b"x")
    # bucket WRITE lets the grantee delete the owner's objects too
    other.s3.delete_object(Bucket=b, Key="obj")
    owner.s3.put_bucket_acl(Bucket=b, GrantReadACP=f'id="{other.id}"')
    assert other.s3.get_bucket_acl(Bucket=b)["Grants"][0]["Permission"] == "READ_ACP"
    with pytest.raises(ClientError) as e:
        other.s3.put_bucket_acl(Bucket=b, ACL="public-read")
    assert code_of(e) == "AccessDenied"
    owner.s3.put_bucket_acl(Bucket=b, GrantWriteACP=f'id="{other.id}"')
    other.s3.put_bucket_acl(Bucket=b, ACL="public-read")
    # the owner stays the owner whoever writes the ACL
    assert get_acl(owner, f"/{b}") == canned_doc("public-read", owner)


# === (j) non-owners and bucket deletion / ACL changes =========================================
def test_non_owner_bucket_delete_and_acl(target, owner, other, uid):
    prw, pr, priv = f"{uid}-prw", f"{uid}-pr", f"{uid}-priv"
    owner.s3.create_bucket(Bucket=prw, ACL="public-read-write")
    owner.s3.create_bucket(Bucket=pr, ACL="public-read")
    owner.s3.create_bucket(Bucket=priv)
    owner.s3.put_object(Bucket=prw, Key="o", Body=b"x")
    assert_s3_error(other.raw.delete(f"/{pr}"), 403, "AccessDenied")
    assert_s3_error(other.raw.delete(f"/{priv}"), 403, "AccessDenied")
    assert_s3_error(anon(target, "DELETE", f"/{pr}"), 403, "AccessDenied")
    # nobody but the owner may change or read an ACL, WRITE on the bucket or not
    for path in (f"/{prw}", f"/{pr}"):
        assert_s3_error(other.raw.put(path, [("acl", None)],
                                      headers={"x-amz-acl": "public-read-write"}),
                        403, "AccessDenied")
        assert_s3_error(anon(target, "PUT", path, [("acl", None)],
                             headers={"x-amz-acl": "public-read-write"}), 403, "AccessDenied")
        assert_s3_error(other.raw.get(path, [("acl", None)]), 403, "AccessDenied")
    assert get_acl(owner, f"/{prw}") == canned_doc("public-read-write", owner)
    assert get_acl(owner, f"/{pr}") == canned_doc("public-read", owner)
    # versioning is the owner's alone, whatever the bucket's ACL grants, and stays unset
    assert_s3_error(other.raw.put(f"/{prw}", [("versioning", None)],
                                  body=f"<VersioningConfiguration {S3NS}><Status>Enabled</Status>"
                                       "</VersioningConfiguration>".encode()),
                    403, "AccessDenied")
    assert "<Status>" not in owner.raw.get(f"/{prw}", [("versioning", None)]).text
    # non-empty: radosgw answers BucketNotEmpty to anyone with WRITE on the bucket;
    # rgw-admin lets only the owner delete a bucket (security review M6), so others are
    # refused before emptiness is looked at
    want = (409, "BucketNotEmpty") if EXTERNAL_URL else (403, "AccessDenied")
    assert_s3_error(other.raw.delete(f"/{prw}"), *want)
    assert_s3_error(anon(target, "DELETE", f"/{prw}"), *want)
    # recreating an existing bucket: 200 for its owner, BucketAlreadyExists for anyone else
    assert owner.raw.put(f"/{priv}").status_code == 200
    assert_s3_error(other.raw.put(f"/{priv}"), 409, "BucketAlreadyExists")
    assert owner.s3.head_bucket(Bucket=prw)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_write_grantee_deletes_empty_public_read_write_bucket(target, owner, other, uid):
    """radosgw 16: DeleteBucket only needs WRITE on the bucket, so with public-read-write any
    authenticated user, and even an anonymous one, deletes it once it is empty (and can then
    take its name). rgw-admin refuses that: only the owner deletes a bucket (security review
    M6)."""
    b1, b2 = f"{uid}-prw1", f"{uid}-prw2"
    owner.s3.create_bucket(Bucket=b1, ACL="public-read-write")
    owner.s3.create_bucket(Bucket=b2, ACL="public-read-write")
    other.s3.put_object(Bucket=b1, Key="o", Body=b"x")
    other.s3.delete_object(Bucket=b1, Key="o")
    if not EXTERNAL_URL:
        assert_s3_error(other.raw.delete(f"/{b1}"), 403, "AccessDenied")
        assert_s3_error(anon(target, "DELETE", f"/{b2}"), 403, "AccessDenied")
        for b in (b1, b2):
            assert owner.s3.head_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 200
            owner.s3.delete_bucket(Bucket=b)
        return
    assert other.raw.delete(f"/{b1}").status_code == 204
    assert anon(target, "DELETE", f"/{b2}").status_code == 204
    for b in (b1, b2):
        assert_s3_error(owner.raw.request("HEAD", f"/{b}"), 404, "NoSuchBucket")
    # the name is free again: whoever creates it owns it
    other.s3.create_bucket(Bucket=b1)
    assert get_acl(other, f"/{b1}") == canned_doc("private", other)
    assert_s3_error(owner.raw.put(f"/{b1}"), 409, "BucketAlreadyExists")
    other.s3.delete_bucket(Bucket=b1)


def test_anonymous_writer_owns_nothing_but_bucket_owner_reads(target, owner, other, uid):
    b = f"{uid}-prw"
    owner.s3.create_bucket(Bucket=b, ACL="public-read-write")
    assert anon(target, "PUT", f"/{b}/anon-obj", body=b"anon").status_code == 200
    assert owner.s3.get_object(Bucket=b, Key="anon-obj")["Body"].read() == b"anon"
    assert owner.raw.get(f"/{b}/anon-obj", [("acl", None)]).status_code == 200
    assert_s3_error(other.raw.put(f"/{b}/anon-obj", [("acl", None)],
                                  headers={"x-amz-acl": "public-read"}), 403, "AccessDenied")
    assert other.raw.delete(f"/{b}/anon-obj").status_code == 204


# === (d) GetBucketVersioning ==================================================================
def test_get_bucket_versioning_never_versioned(owner, other, uid):
    b = f"{uid}-v"
    owner.s3.create_bucket(Bucket=b)
    r = owner.raw.get(f"/{b}", [("versioning", None)])
    assert r.status_code == 200
    assert r.headers.get("Content-Type") == "application/xml"
    assert r.text == f"{XML_DECL}<VersioningConfiguration {S3NS}></VersioningConfiguration>"
    got = owner.s3.get_bucket_versioning(Bucket=b)
    assert "Status" not in got and "MFADelete" not in got
    assert_s3_error(other.raw.get(f"/{b}", [("versioning", None)]), 403, "AccessDenied")


# === (e) ListObjectVersions on an unversioned bucket ==========================================
def version_xml(key, body, owner):
    return (f"<Version><Key>{key}</Key><VersionId>null</VersionId><IsLatest>true</IsLatest>"
            f"<LastModified>TS</LastModified><ETag>&quot;{hashlib.md5(body).hexdigest()}"
            f"&quot;</ETag><Size>{len(body)}</Size><StorageClass>STANDARD</StorageClass>"
            f"<Owner><ID>{owner.id}</ID><DisplayName>{owner.name}</DisplayName></Owner>"
            "<Type>Normal</Type></Version>")


VERSION_KEYS = ["a", "b/1", "b/2", "c", "d/x/y"]


def body_of(key):
    return key.encode() * 3


@pytest.fixture
def vbucket(owner, uid):
    b = f"{uid}-vl"
    owner.s3.create_bucket(Bucket=b)
    for k in VERSION_KEYS:
        owner.s3.put_object(Bucket=b, Key=k, Body=body_of(k))
    return b


def list_versions_raw(owner, b, query):
    r = owner.raw.get(f"/{b}", [("versions", None)] + query)
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/xml"
    assert re.search(f"<LastModified>{TS_RE}</LastModified>", r.text) or "<Version>" not in r.text
    return re.sub(f"<LastModified>{TS_RE}</LastModified>", "<LastModified>TS</LastModified>",
                  r.text)


def test_list_object_versions_body(owner, vbucket):
    b = vbucket
    head = f"{XML_DECL}<ListVersionsResult {S3NS}><Name>{b}</Name>"
    v = {k: version_xml(k, body_of(k), owner) for k in VERSION_KEYS}
    assert list_versions_raw(owner, b, []) == (
        f"{head}<Prefix></Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
        "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
        + "".join(v.values()) + "</ListVersionsResult>")
    assert list_versions_raw(owner, b, [("max-keys", "2")]) == (
        f"{head}<Prefix></Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
        "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
        "<NextKeyMarker>b/1</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>"
        + v["a"] + v["b/1"] + "</ListVersionsResult>")
    assert list_versions_raw(owner, b, [("max-keys", "2"), ("key-marker", "b/1")]) == (
        f"{head}<Prefix></Prefix><MaxKeys>2</MaxKeys><IsTruncated>true</IsTruncated>"
        "<KeyMarker>b/1</KeyMarker><VersionIdMarker></VersionIdMarker>"
        "<NextKeyMarker>c</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>"
        + v["b/2"] + v["c"] + "</ListVersionsResult>")
    assert list_versions_raw(owner, b, [("max-keys", "2"), ("key-marker", "b/2"),
                                        ("version-id-marker", "null")]) == (
        f"{head}<Prefix></Prefix><MaxKeys>2</MaxKeys><IsTruncated>false</IsTruncated>"
        "<KeyMarker>b/2</KeyMarker><VersionIdMarker>null</VersionIdMarker>"
        + v["c"] + v["d/x/y"] + "</ListVersionsResult>")
    # CommonPrefixes sit between IsTruncated and KeyMarker
    assert list_versions_raw(owner, b, [("delimiter", "/")]) == (
        f"{head}<Prefix></Prefix><MaxKeys>1000</MaxKeys><Delimiter>/</Delimiter>"
        "<IsTruncated>false</IsTruncated><CommonPrefixes><Prefix>b/</Prefix></CommonPrefixes>"
        "<CommonPrefixes><Prefix>d/</Prefix></CommonPrefixes><KeyMarker></KeyMarker>"
        "<VersionIdMarker></VersionIdMarker>" + v["a"] + v["c"] + "</ListVersionsResult>")
    assert list_versions_raw(owner, b, [("prefix", "b/")]) == (
        f"{head}<Prefix>b/</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
        "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
        + v["b/1"] + v["b/2"] + "</ListVersionsResult>")
    # encoding-type=url (boto3 always asks for it): EncodingType first, keys %-encoded ('/' too)
    assert list_versions_raw(owner, b, [("encoding-type", "url"), ("prefix", "d/")]) == (
        f"{XML_DECL}<ListVersionsResult {S3NS}><EncodingType>url</EncodingType><Name>{b}</Name>"
        "<Prefix>d/</Prefix><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>"
        "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
        + v["d/x/y"].replace("<Key>d/x/y</Key>", "<Key>d%2Fx%2Fy</Key>")
        + "</ListVersionsResult>")
    assert list_versions_raw(owner, b, [("max-keys", "0")]) == (
        f"{head}<Prefix></Prefix><MaxKeys>0</MaxKeys><IsTruncated>false</IsTruncated>"
        "<KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker></ListVersionsResult>")


def test_list_object_versions_delimiter_paging(owner, vbucket):
    b = vbucket
    r = owner.s3.list_object_versions(Bucket=b, Delimiter="/", MaxKeys=1)
    assert [v["Key"] for v in r["Versions"]] == ["a"] and "CommonPrefixes" not in r
    assert (r["IsTruncated"], r["NextKeyMarker"], r["NextVersionIdMarker"]) == (True, "a", "null")
    r = owner.s3.list_object_versions(Bucket=b, Delimiter="/", MaxKeys=2, KeyMarker="a")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["b/"]
    assert [v["Key"] for v in r["Versions"]] == ["c"]
    assert (r["IsTruncated"], r["NextKeyMarker"]) == (True, "c")
    seen, prefixes = [], []
    for page in owner.s3.get_paginator("list_object_versions").paginate(
            Bucket=b, Delimiter="/", PaginationConfig={"PageSize": 1}):
        seen += [v["Key"] for v in page.get("Versions", [])]
        prefixes += [p["Prefix"] for p in page.get("CommonPrefixes", [])]
    assert seen == ["a", "c"] and prefixes == ["b/", "d/"]


def test_list_object_versions_boto3(owner, vbucket):
    b = vbucket
    r = owner.s3.list_object_versions(Bucket=b)
    assert "DeleteMarkers" not in r and r["IsTruncated"] is False
    assert [(v["Key"], v["VersionId"], v["IsLatest"], v["Size"]) for v in r["Versions"]] == \
        [(k, "null", True, len(body_of(k))) for k in VERSION_KEYS]
    assert all(v["Owner"] == {"ID": owner.id, "DisplayName": owner.name}
               and v["ETag"] == f'"{hashlib.md5(body_of(v["Key"])).hexdigest()}"'
               and v["StorageClass"] == "STANDARD" for v in r["Versions"])
    keys, pages = [], 0
    for page in owner.s3.get_paginator("list_object_versions").paginate(
            Bucket=b, PaginationConfig={"PageSize": 2}):
        pages += 1
        keys += [v["Key"] for v in page["Versions"]]
    assert (pages, keys) == (3, VERSION_KEYS)


def test_empty_bucket_through_versions_then_delete(owner, uid):
    """What `aws s3 rb --force`-like tools and boto3 resource .object_versions.delete() do."""
    b = f"{uid}-ve"
    owner.s3.create_bucket(Bucket=b)
    for i in range(7):
        owner.s3.put_object(Bucket=b, Key=f"k{i}", Body=b"x")
    pages = 0
    for page in owner.s3.get_paginator("list_object_versions").paginate(
            Bucket=b, PaginationConfig={"PageSize": 3}):
        pages += 1
        objs = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
        assert all(o["VersionId"] == "null" for o in objs)
        r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": objs})
        assert sorted((d["Key"], d["VersionId"]) for d in r["Deleted"]) == \
            sorted((o["Key"], "null") for o in objs)
        assert "Errors" not in r
    assert pages == 3
    assert owner.s3.delete_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        owner.s3.head_bucket(Bucket=b)
    assert status_of(e) == 404


def test_version_id_null(owner, vbucket):
    b = vbucket
    r = owner.s3.delete_object(Bucket=b, Key="a", VersionId="null")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        owner.s3.head_object(Bucket=b, Key="a")
    assert status_of(e) == 404
    # deleting it again is still 204
    assert owner.raw.delete(f"/{b}/a", [("versionId", "null")]).status_code == 204
    # versionId=null reads the (only) version
    r = owner.raw.get(f"/{b}/c", [("versionId", "null")])
    assert (r.status_code, r.content) == (200, body_of("c"))
    assert owner.raw.request("HEAD", f"/{b}/c", [("versionId", "null")]).status_code == 200
    assert_s3_error(owner.raw.get(f"/{b}/c", [("versionId", "bogusversionid")]), 404,
                    "NoSuchKey")
    # radosgw: DELETE with an unknown versionId answers 204 and deletes nothing
    assert owner.raw.delete(f"/{b}/c", [("versionId", "bogusversionid")]).status_code == 204
    assert owner.s3.get_object(Bucket=b, Key="c")["Body"].read() == body_of("c")
    # DeleteObjects: VersionId null is echoed back; a key given without one comes back without
    body = (f"<Delete {S3NS}><Object><Key>b/1</Key><VersionId>null</VersionId></Object>"
            "<Object><Key>b/2</Key></Object>"
            "<Object><Key>nope</Key><VersionId>null</VersionId></Object></Delete>").encode()
    r = owner.raw.post(f"/{b}", [("delete", None)], body=body,
                       headers={"Content-MD5": content_md5(body)})
    assert r.status_code == 200, r.text
    deleted = re.findall(r"<Deleted>(.*?)</Deleted>", r.text)
    assert r.text.startswith(f"{XML_DECL}<DeleteResult {S3NS}><Deleted>")
    assert sorted(deleted) == sorted(["<Key>b/1</Key><VersionId>null</VersionId>",
                                      "<Key>b/2</Key>",
                                      "<Key>nope</Key><VersionId>null</VersionId>"])
    r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "c", "VersionId": "null"}]})
    assert r["Deleted"] == [{"Key": "c", "VersionId": "null"}]
    assert [v["Key"] for v in owner.s3.list_object_versions(Bucket=b)["Versions"]] == ["d/x/y"]


def content_md5(body):
    return base64.b64encode(hashlib.md5(body).digest()).decode()


# === (f) object tagging =======================================================================
def tagging_xml(*pairs):
    return (f"{XML_DECL}<Tagging {S3NS}><TagSet>"
            + "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
            + "</TagSet></Tagging>")


def tagset_body(pairs):
    return (f"<Tagging {S3NS}><TagSet>"
            + "".join(f"<Tag><Key>{k}</Key><Value>{v}</Value></Tag>" for k, v in pairs)
            + "</TagSet></Tagging>").encode()


@pytest.fixture
def tbucket(owner, uid):
    b = f"{uid}-t"
    owner.s3.create_bucket(Bucket=b)
    owner.s3.put_object(Bucket=b, Key="obj", Body=b"tagged")
    return b


def test_object_tagging_put_get_delete(owner, tbucket):
    b = tbucket
    etag = owner.s3.head_object(Bucket=b, Key="obj")["ETag"]
    r = owner.raw.get(f"/{b}/obj", [("tagging", None)])
    assert r.status_code == 200 and r.headers.get("Content-Type") == "application/xml"
    assert r.text == tagging_xml()
    g = owner.raw.get(f"/{b}/obj")
    assert "x-amz-tagging-count" not in g.headers
    r = owner.s3.put_object_tagging(Bucket=b, Key="obj", Tagging={"TagSet": [
        {"Key": "color", "Value": "blue"}, {"Key": "Alpha", "Value": ""}]})
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    # radosgw: tags come back sorted by key (byte order)
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == \
        tagging_xml(("Alpha", ""), ("color", "blue"))
    assert owner.s3.get_object_tagging(Bucket=b, Key="obj")["TagSet"] == [
        {"Key": "Alpha", "Value": ""}, {"Key": "color", "Value": "blue"}]
    for method in ("GET", "HEAD"):
        h = owner.raw.request(method, f"/{b}/obj")
        assert h.headers.get("x-amz-tagging-count") == "2", method
    assert owner.s3.get_object(Bucket=b, Key="obj")["TagCount"] == 2
    r = owner.s3.delete_object_tagging(Bucket=b, Key="obj")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == tagging_xml()
    assert owner.raw.delete(f"/{b}/obj", [("tagging", None)]).status_code == 204  # again
    g = owner.s3.get_object(Bucket=b, Key="obj")
    assert g["Body"].read() == b"tagged" and g["ETag"] == etag and "TagCount" not in g


def test_put_object_with_tagging_header(owner, tbucket):
    b = tbucket
    r = owner.raw.put(f"/{b}/t2", body=b"t2",
                      headers={"x-amz-tagging": "b=two%20words&a=1&empty="})
    assert r.status_code == 200, r.text
    assert owner.raw.get(f"/{b}/t2", [("tagging", None)]).text == \
        tagging_xml(("a", "1"), ("b", "two words"), ("empty", ""))
    assert owner.raw.get(f"/{b}/t2").headers.get("x-amz-tagging-count") == "3"
    owner.s3.put_object(Bucket=b, Key="bt", Body=b"x", Tagging="p=q&r=s")
    assert owner.s3.get_object_tagging(Bucket=b, Key="bt")["TagSet"] == [
        {"Key": "p", "Value": "q"}, {"Key": "r", "Value": "s"}]
    # a key without '=' is a tag with an empty value
    assert owner.raw.put(f"/{b}/t6", body=b"x", headers={"x-amz-tagging": "justkey"}) \
        .status_code == 200
    assert owner.raw.get(f"/{b}/t6", [("tagging", None)]).text == tagging_xml(("justkey", ""))
    # CopyObject keeps the source's tags
    owner.s3.copy_object(Bucket=b, Key="t2-copy", CopySource={"Bucket": b, "Key": "t2"})
    assert owner.raw.get(f"/{b}/t2-copy", [("tagging", None)]).text == \
        tagging_xml(("a", "1"), ("b", "two words"), ("empty", ""))


def test_tagging_header_errors(owner, tbucket):
    b = tbucket
    for what, header in [("11 tags", "&".join(f"k{i}=v" for i in range(11))),
                         ("empty key", "=novalue")]:
        r = owner.raw.put(f"/{b}/bad", body=b"x", headers={"x-amz-tagging": header})
        assert (r.status_code, xml_code(r)) == (400, "InvalidArgument"), what
    with pytest.raises(ClientError) as e:
        owner.s3.head_object(Bucket=b, Key="bad")
    assert status_of(e) == 404


def test_tag_set_limits(owner, tbucket):
    b = tbucket
    put = lambda pairs: owner.raw.put(f"/{b}/obj", [("tagging", None)], body=tagset_body(pairs))
    ten = [(f"k{i}", "v") for i in range(10)]
    assert put(ten).status_code == 200
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == tagging_xml(*ten)
    for what, pairs in [("11 tags", [(f"k{i}", "v") for i in range(11)]),
                        ("key of 129 chars", [("k" * 129, "v")]),
                        ("value of 257 chars", [("k", "v" * 257)]),
                        ("empty key", [("", "v")])]:
        r = put(pairs)
        assert (r.status_code, xml_code(r)) == (400, "InvalidTag"), what
        assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == tagging_xml(*ten), what
    for what, body in [("malformed XML", b"<Tagging><TagSet><Tag>"), ("empty body", b""),
                       ("Tag without Value", b"<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet>"
                                             b"</Tagging>")]:
        r = owner.raw.put(f"/{b}/obj", [("tagging", None)], body=body)
        assert (r.status_code, xml_code(r)) == (400, "MalformedXML"), what
    with pytest.raises(ClientError) as e:
        owner.s3.put_object_tagging(Bucket=b, Key="obj", Tagging={"TagSet": [
            {"Key": f"k{i}", "Value": "v"} for i in range(11)]})
    assert (status_of(e), code_of(e)) == (400, "InvalidTag")
    assert put([("k" * 128, "v" * 256)]).status_code == 200
    assert put([]).status_code == 200
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == tagging_xml()
    # radosgw keeps duplicate keys (both come back)
    assert put([("k", "1"), ("k", "2")]).status_code == 200
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == \
        tagging_xml(("k", "1"), ("k", "2"))
    assert owner.s3.get_object(Bucket=b, Key="obj")["Body"].read() == b"tagged"


def test_tagging_missing_object_and_other_user(owner, other, tbucket):
    b = tbucket
    assert_s3_error(owner.raw.get(f"/{b}/missing", [("tagging", None)]), 404, "NoSuchKey")
    assert_s3_error(owner.raw.put(f"/{b}/missing", [("tagging", None)],
                                  body=tagset_body([("k", "v")])), 404, "NoSuchKey")
    assert_s3_error(owner.raw.delete(f"/{b}/missing", [("tagging", None)]), 404, "NoSuchKey")
    assert_s3_error(other.raw.get(f"/{b}/obj", [("tagging", None)]), 403, "AccessDenied")
    assert_s3_error(other.raw.put(f"/{b}/obj", [("tagging", None)],
                                  body=tagset_body([("k", "v")])), 403, "AccessDenied")
    assert owner.raw.get(f"/{b}/obj", [("tagging", None)]).text == tagging_xml()
    with pytest.raises(ClientError) as e:
        owner.s3.head_object(Bucket=b, Key="missing")
    assert status_of(e) == 404


# === (g) UploadPartCopy =======================================================================
MiB = 1024 * 1024
SMALL = b"0123456789abcdefghij"
COPY_PART_RE = re.compile(
    f"^{re.escape(XML_DECL)}<CopyPartResult {re.escape(S3NS)}><LastModified>"
    r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z)</LastModified><ETag>([0-9a-f]{32})</ETag>"
    r"</CopyPartResult>$")


@pytest.fixture
def cbucket(owner, uid):
    b = f"{uid}-pc"
    owner.s3.create_bucket(Bucket=b)
    owner.s3.put_object(Bucket=b, Key="small", Body=SMALL)
    return b


def copy_part(owner, b, key, upload, n, source, rng=None):
    h = {"x-amz-copy-source": source}
    if rng:
        h["x-amz-copy-source-range"] = rng
    return owner.raw.put(f"/{b}/{key}", [("partNumber", str(n)), ("uploadId", upload)], headers=h)


def test_upload_part_copy_range_single_part(owner, cbucket):
    b = cbucket
    up = owner.s3.create_multipart_upload(Bucket=b, Key="d")["UploadId"]
    r = copy_part(owner, b, "d", up, 1, f"/{b}/small", "bytes=2-4")
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/xml"
    m = COPY_PART_RE.match(r.text)
    # radosgw: the ETag in CopyPartResult is the bare MD5 of the copied bytes, no quotes
    assert m and m.group(2) == hashlib.md5(SMALL[2:5]).hexdigest(), r.text
    parts = owner.s3.list_parts(Bucket=b, Key="d", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in parts] == \
        [(1, f'"{hashlib.md5(SMALL[2:5]).hexdigest()}"', 3)]
    owner.s3.complete_multipart_upload(Bucket=b, Key="d", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": m.group(2)}]})
    g = owner.s3.get_object(Bucket=b, Key="d")
    assert g["Body"].read() == b"234"
    want = hashlib.md5(hashlib.md5(b"234").digest()).hexdigest()
    assert g["ETag"] == f'"{want}-1"'


def test_upload_part_copy_whole_and_ranged(owner, cbucket):
    b = cbucket
    src = os.urandom(5 * MiB)
    owner.s3.put_object(Bucket=b, Key="src", Body=src)
    up = owner.s3.create_multipart_upload(Bucket=b, Key="dst")["UploadId"]
    r1 = owner.s3.upload_part_copy(Bucket=b, Key="dst", UploadId=up, PartNumber=1,
                                   CopySource={"Bucket": b, "Key": "src"})
    assert r1["CopyPartResult"]["ETag"].strip('"') == hashlib.md5(src).hexdigest()
    assert r1["CopyPartResult"]["LastModified"].year >= 2024
    # the copy source may be given without the leading slash
    r2 = copy_part(owner, b, "dst", up, 2, f"{b}/small", "bytes=5-9")
    assert r2.status_code == 200, r2.text
    e2 = COPY_PART_RE.match(r2.text).group(2)
    assert e2 == hashlib.md5(SMALL[5:10]).hexdigest()
    owner.s3.complete_multipart_upload(Bucket=b, Key="dst", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": r1["CopyPartResult"]["ETag"]},
                  {"PartNumber": 2, "ETag": f'"{e2}"'}]})
    h = owner.s3.head_object(Bucket=b, Key="dst")
    want = hashlib.md5(hashlib.md5(src).digest() + hashlib.md5(SMALL[5:10]).digest()).hexdigest()
    assert (h["ContentLength"], h["ETag"]) == (len(src) + 5, f'"{want}-2"')
    assert owner.s3.get_object(Bucket=b, Key="dst")["Body"].read() == src + SMALL[5:10]
    assert owner.s3.get_object(Bucket=b, Key="src")["Body"].read() == src


def test_upload_part_copy_errors(owner, other, cbucket, uid):
    b = cbucket
    up = owner.s3.create_multipart_upload(Bucket=b, Key="d")["UploadId"]
    for rng, status, code in [("bytes=0-99999999", 416, "InvalidRange"),
                              ("bytes=10-5", 416, "InvalidRange"),
                              ("bytes=20-25", 416, "InvalidRange"),
                              ("bytes=5-", 416, "InvalidRange"),  # radosgw: open end refused
                              ("garbage", 400, "InvalidArgument")]:
        r = copy_part(owner, b, "d", up, 1, f"/{b}/small", rng)
        assert (r.status_code, xml_code(r)) == (status, code), (rng, r.text)
    # (radosgw 16 takes "bytes=-5" as "bytes=0-5", so suffix ranges are left untested)
    for rng, data in [("bytes=0-19", SMALL), ("bytes=19-19", SMALL[19:]),
                      ("bytes=0-0", SMALL[:1])]:
        r = copy_part(owner, b, "d", up, 1, f"/{b}/small", rng)
        assert r.status_code == 200, (rng, r.text)
        assert COPY_PART_RE.match(r.text).group(2) == hashlib.md5(data).hexdigest(), rng
    assert_s3_error(copy_part(owner, b, "d", up, 1, f"/{b}/nosuch"), 404, "NoSuchKey")
    assert_s3_error(copy_part(owner, b, "d", up, 1, f"/{uid}-nosuchbucket/x"), 404,
                    "NoSuchBucket")
    assert_s3_error(copy_part(owner, b, "d", "bogus-upload", 1, f"/{b}/small"), 404,
                    "NoSuchUpload")
    assert_s3_error(copy_part(other, b, "d", up, 1, f"/{b}/small"), 403, "AccessDenied")
    with pytest.raises(ClientError) as e:
        owner.s3.upload_part_copy(Bucket=b, Key="d", UploadId=up, PartNumber=2,
                                  CopySource={"Bucket": b, "Key": "small"},
                                  CopySourceRange="bytes=100-200")
    assert (status_of(e), code_of(e)) == (416, "InvalidRange")
    parts = owner.s3.list_parts(Bucket=b, Key="d", UploadId=up)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 1)]
    owner.s3.abort_multipart_upload(Bucket=b, Key="d", UploadId=up)


# === (i) HEAD bucket ==========================================================================
RGW_HEADERS = [h.lower() for h in ["X-RGW-Object-Count", "X-RGW-Bytes-Used", "X-RGW-Quota-User-Size",
               "X-RGW-Quota-User-Objects", "X-RGW-Quota-Max-Buckets", "X-RGW-Quota-Bucket-Size",
               "X-RGW-Quota-Bucket-Objects"]]


def rgw_headers(resp):
    """The X-RGW-* headers in order, names lower-cased (header names are case-insensitive;
    radosgw writes `X-RGW-Object-Count`, hyper writes lower case)."""
    return [(k.lower(), v) for k, v in resp.raw.headers.items() if k.lower().startswith("x-rgw-")]


def test_head_bucket_headers(target, tadmin, owner, other, uid):
    b = f"{uid}-h"
    owner.s3.create_bucket(Bucket=b)
    r = owner.raw.request("HEAD", f"/{b}")
    assert r.status_code == 200
    assert rgw_headers(r) == list(zip(RGW_HEADERS, ["0", "0", "-1", "-1", "1000", "-1", "-1"]))
    owner.s3.put_object(Bucket=b, Key="a", Body=b"x" * 1000)
    owner.s3.put_object(Bucket=b, Key="b", Body=b"y" * 5000)
    r = owner.raw.request("HEAD", f"/{b}")
    assert rgw_headers(r) == list(zip(RGW_HEADERS, ["2", "6000", "-1", "-1", "1000", "-1", "-1"]))
    q = tadmin.put("/admin/user", [("quota", None), ("uid", owner.id), ("quota-type", "user"),
                                   ("max-objects", "1000"), ("max-size", "10485760"),
                                   ("enabled", "true")])
    assert q.status_code == 200, q.text
    q = tadmin.put("/admin/bucket", [("quota", None), ("uid", owner.id), ("bucket", b),
                                     ("max-objects", "3"), ("max-size-kb", "4"),
                                     ("enabled", "true")])
    assert q.status_code == 200, q.text
    r = owner.raw.request("HEAD", f"/{b}")
    assert rgw_headers(r) == list(zip(RGW_HEADERS, ["2", "6000", "10485760", "1000", "1000",
                                                    "4096", "3"]))
    assert_s3_error(other.raw.request("HEAD", f"/{b}"), 403, "AccessDenied")
    assert_s3_error(anon(target, "HEAD", f"/{b}"), 403, "AccessDenied")
    assert_s3_error(owner.raw.request("HEAD", f"/{uid}-nosuch"), 404, "NoSuchBucket")
    # non-owners of a readable bucket get the usage headers but not the owner's quotas
    owner.s3.put_bucket_acl(Bucket=b, ACL="public-read")
    for r in (other.raw.request("HEAD", f"/{b}"), anon(target, "HEAD", f"/{b}")):
        assert r.status_code == 200
        assert rgw_headers(r) == [("x-rgw-object-count", "2"), ("x-rgw-bytes-used", "6000")]
