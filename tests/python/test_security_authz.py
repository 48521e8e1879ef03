"""Who may do what (issue 10, security review H3 and M7), as radosgw 16.2.15 answered the
same requests (/work/notes/subuser-probe.md): a subuser's permission (`read`, `write`,
`full`) limits its S3 requests even when its parent holds admin caps, and never its admin
ops, which check the parent's caps only; a user's `op-mask` limits S3 writes and deletes of
the user and all its subusers; refused requests change nothing. And a request whose caller
may not do the op is refused before its body is read, anonymous ones included.
"""
import pytest
from botocore.exceptions import ClientError

import helpers


def status_of(fn):
    try:
        r = fn()
        return r["ResponseMetadata"]["HTTPStatusCode"]
    except ClientError as e:
        assert e.response["Error"]["Code"] in ("AccessDenied", "403"), e.response
        return e.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def family(rgw, admin, uid):
    """User `uid` with caps users=*;buckets=*, a bucket with object `k`, and subusers
    ro / wr / full with S3 keys: {name: s3 client}."""
    admin.create_user(uid, user_caps="users=*;buckets=*")
    clients = {}
    for sub, access in (("ro", "read"), ("wr", "write"), ("full", "full")):
        r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:{sub}"),
                                      ("access", access), ("key-type", "s3"),
                                      ("generate-secret", "true")])
        assert r.status_code == 200, r.text
    info = admin.user_info(uid)
    for k in info["keys"]:
        name = k["user"].split(":")[1] if ":" in k["user"] else "parent"
        clients[name] = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
        clients[name].keys = k
    clients["parent"].create_bucket(Bucket=f"{uid}-b")
    clients["parent"].put_object(Bucket=f"{uid}-b", Key="k", Body=b"v")
    return clients


def listing(s3, b):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=b).get("Contents", []))


def test_subuser_permission_limits_s3_even_under_admin_caps(family, uid):
    b = f"{uid}-b"
    parent = family["parent"]
    ro, wr, full = family["ro"], family["wr"], family["full"]
    # read: GET, HEAD and listing; no write, delete or ACL.
    assert status_of(lambda: ro.get_object(Bucket=b, Key="k")) == 200
    assert status_of(lambda: ro.list_objects_v2(Bucket=b)) == 200
    assert status_of(lambda: ro.put_object(Bucket=b, Key="k2", Body=b"x")) == 403
    assert status_of(lambda: ro.delete_object(Bucket=b, Key="k")) == 403
    assert status_of(lambda: ro.get_bucket_acl(Bucket=b)) == 403
    assert status_of(lambda: ro.put_bucket_acl(Bucket=b, ACL="public-read")) == 403
    # write: PUT and DELETE only; no GET, listing or ACL.
    assert status_of(lambda: wr.get_object(Bucket=b, Key="k")) == 403
    assert status_of(lambda: wr.list_objects_v2(Bucket=b)) == 403
    assert status_of(lambda: wr.get_bucket_acl(Bucket=b)) == 403
    assert status_of(lambda: wr.put_object(Bucket=b, Key="k3", Body=b"x")) == 200
    assert status_of(lambda: wr.delete_object(Bucket=b, Key="k3")) == 204
    # full: everything.
    assert status_of(lambda: full.put_object(Bucket=b, Key="k4", Body=b"x")) == 200
    assert status_of(lambda: full.get_object(Bucket=b, Key="k4")) == 200
    assert status_of(lambda: full.delete_object(Bucket=b, Key="k4")) == 204
    assert listing(parent, b) == ["k"]
    assert parent.get_bucket_acl(Bucket=b)["Grants"] == [
        {"Grantee": {"DisplayName": f"User {uid}", "ID": uid, "Type": "CanonicalUser"},
         "Permission": "FULL_CONTROL"}]


def test_subuser_admin_ops_check_the_parents_caps_only(family, rgw, admin, uid):
    """radosgw 16.2.15: a `read` subuser of a parent with users=* creates and deletes
    users; a `full` subuser of a parent without caps is refused."""
    k = family["ro"].keys
    ro = rgw.admin(k["access_key"], k["secret_key"])
    assert ro.get("/admin/user", [("uid", uid)]).status_code == 200
    victim = f"{uid}-made"
    r = ro.put("/admin/user", [("uid", victim), ("display-name", "Made")])
    assert r.status_code == 200, r.text
    assert ro.delete("/admin/user", [("uid", victim)]).status_code == 200
    helpers.assert_error(admin.get("/admin/user", [("uid", victim)]), 404, "NoSuchUser")
    # A parent without caps: its full subuser may not.
    plain = f"{uid}-plain"
    admin.create_user(plain)
    r = admin.put("/admin/user", [("uid", plain), ("subuser", f"{plain}:full"),
                                  ("access", "full"), ("key-type", "s3"),
                                  ("generate-secret", "true")])
    assert r.status_code == 200, r.text
    key = next(x for x in admin.user_info(plain)["keys"] if x["user"] == f"{plain}:full")
    sub = rgw.admin(key["access_key"], key["secret_key"])
    helpers.assert_error(sub.get("/admin/user", [("uid", plain)]), 403, "AccessDenied")
    before = admin.user_list()
    helpers.assert_error(sub.put("/admin/user", [("uid", f"{uid}-no"), ("display-name", "N")]),
                         403, "AccessDenied")
    assert admin.user_list() == before


def test_op_mask_read_limits_the_user_and_its_subusers(rgw, admin, uid):
    admin.create_user(uid)
    r = admin.put("/admin/user", [("uid", uid), ("subuser", f"{uid}:full"), ("access", "full"),
                                  ("key-type", "s3"), ("generate-secret", "true")])
    assert r.status_code == 200, r.text
    keys = {k["user"]: k for k in admin.user_info(uid)["keys"]}
    own = helpers.s3_client(rgw, keys[uid]["access_key"], keys[uid]["secret_key"])
    sub = helpers.s3_client(rgw, keys[f"{uid}:full"]["access_key"],
                            keys[f"{uid}:full"]["secret_key"])
    b = f"{uid}-b"
    own.create_bucket(Bucket=b)
    own.put_object(Bucket=b, Key="k", Body=b"v")
    r = admin.post("/admin/user", [("uid", uid), ("op-mask", "read")])
    assert r.status_code == 200 and r.json()["op_mask"] == "read", r.text
    for s3 in (own, sub):
        assert status_of(lambda: s3.get_object(Bucket=b, Key="k")) == 200
        assert status_of(lambda: s3.list_objects_v2(Bucket=b)) == 200
        assert status_of(lambda: s3.put_object(Bucket=b, Key="k2", Body=b"x")) == 403
        assert status_of(lambda: s3.delete_object(Bucket=b, Key="k")) == 403
        assert status_of(lambda: s3.put_bucket_acl(Bucket=b, ACL="public-read")) == 403
        assert status_of(lambda: s3.create_bucket(Bucket=f"{uid}-new")) == 403
        assert status_of(lambda: s3.delete_bucket(Bucket=b)) == 403
    admin.post("/admin/user", [("uid", uid), ("op-mask", "read, write, delete")])
    assert listing(own, b) == ["k"]
    assert [x["Name"] for x in own.list_buckets()["Buckets"]] == [b]


def answer_without_body(srv, method, target, headers=()):
    """Send a request head declaring a 1 MiB body, and no body: the first status line."""
    head = [f"{method} {target} HTTP/1.1", f"Host: {srv.host}",
            f"Content-Length: {1 << 20}", *headers]
    return helpers.first_answer(srv, ("\r\n".join(head) + "\r\n\r\n").encode())


def test_refused_callers_are_answered_before_their_body(rgw, admin, uid):
    """M7: nobody without the right makes the gateway wait for (or buffer) a body."""
    admin.create_user(uid)
    k = admin.user_info(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"v")
    for method, target in (("PUT", "/admin/user?quota&uid=admin&quota-type=user"),
                           ("PUT", "/admin/metadata/user?key=admin"),
                           ("POST", f"/{b}?delete"),
                           ("POST", f"/{b}/k?uploadId=x"),
                           ("PUT", f"/{b}?acl"),
                           ("PUT", f"/{b}/k?acl"),
                           ("PUT", f"/{b}/k?tagging"),
                           ("PUT", f"/{uid}-new")):
        out = answer_without_body(rgw, method, target)
        assert out.startswith(b"HTTP/1.1 403"), (method, target, out[:300])
    out = answer_without_body(rgw, "POST", f"/{uid}-nosuch?delete")
    assert out.startswith(b"HTTP/1.1 404"), out[:300]
    # A user without caps, signed: refused on the headers too.
    url = helpers.build_url(rgw.url, "/admin/user", [("quota", ""), ("uid", "admin"),
                                                     ("quota-type", "user")])
    h = helpers.sign_v4("PUT", url, k["access_key"], k["secret_key"],
                        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
                        signer=helpers.SigV4Auth)
    h.pop("Content-Length", None)
    out = answer_without_body(rgw, "PUT", "/admin/user?quota=&uid=admin&quota-type=user",
                              [f"{n}: {v}" for n, v in h.items()])
    assert out.startswith(b"HTTP/1.1 403") and b"AccessDenied" in out, out[:400]
    assert admin.user_info("admin")["user_quota"]["enabled"] is False
    assert listing(s3, b) == ["k"]
    assert s3.get_object_tagging(Bucket=b, Key="k")["TagSet"] == []


def test_body_of_an_op_that_takes_none_is_not_waited_for(rgw, admin, uid):
    """radosgw-admin (PyPI) declares `Content-Length: 112` on POSTs and sends nothing."""
    url = helpers.build_url(rgw.url, "/admin/user", [("uid", "admin")])
    h = helpers.sign_v4("GET", url, helpers.ADMIN_AK, helpers.ADMIN_SK)
    h.pop("Content-Length", None)
    out = answer_without_body(rgw, "GET", "/admin/user?uid=admin",
                              [f"{n}: {v}" for n, v in h.items()])
    assert out.startswith(b"HTTP/1.1 200"), out[:300]


def test_subuser_of_a_system_user_is_not_limited(tmp_path):
    """radosgw 16.2.15: a system parent skips both checks, so its `read` subuser writes and
    runs admin ops (made with the CLI: the admin API lets only system users set `system`)."""
    data = str(tmp_path / "data")
    for args in (["init"], ["user", "create", "--uid", "sys", "--display-name", "S", "--system", "true"],
                 ["subuser", "create", "--uid", "sys", "--subuser", "sys:ro", "--access",
                  "read", "--key-type", "s3", "--access-key", "SYSRO0000000000000AK",
                  "--secret-key", "sysro-secret-0000000000000000000000000000"]):
        r = helpers.run_cli(data, *args)
        assert r.returncode == 0, r.stderr
    with helpers.running_server(data_dir=data) as srv:
        ro = helpers.s3_client(srv, "SYSRO0000000000000AK",
                               "sysro-secret-0000000000000000000000000000")
        ro.create_bucket(Bucket="sys-bucket")
        assert status_of(lambda: ro.put_object(Bucket="sys-bucket", Key="x", Body=b"1")) == 200
        assert status_of(lambda: ro.delete_object(Bucket="sys-bucket", Key="x")) == 204
        r = srv.admin("SYSRO0000000000000AK", "sysro-secret-0000000000000000000000000000") \
            .put("/admin/user", [("uid", "made-by-sys-ro"), ("display-name", "M")])
        assert r.status_code == 200, r.text
