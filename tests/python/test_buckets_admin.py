"""Bucket admin ops through rgwadmin 2.4.6 on buckets and objects made with boto3: stats that
follow uploads and deletes exactly, index check, policy, link/unlink, quota, object and bucket
removal, user removal with purge-data; then bad input, which must fail with radosgw's error and
change nothing."""
import base64
import hashlib
import socket

import pytest
import requests
import rgwadmin
from botocore.exceptions import ClientError
from rgwadmin import exceptions as rex

import helpers


def make_user(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    return helpers.s3_client(rgw, k["access_key"], k["secret_key"])


@pytest.fixture
def s3(rgw, admin, uid):
    return make_user(rgw, admin, uid)


def usage(sizes):
    """radosgw's rgw.main for objects of these sizes (4 KiB rounding for size_actual)."""
    size = sum(sizes)
    actual = sum((s + 4095) // 4096 * 4096 for s in sizes)
    return {"size": size, "size_actual": actual, "size_utilized": size,
            "size_kb": (size + 1023) // 1024, "size_kb_actual": actual // 1024,
            "size_kb_utilized": (size + 1023) // 1024, "num_objects": len(sizes)}


def keys_of(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def code_of(exc):
    return exc.value.response["Error"]["Code"]


def status_of(exc):
    return exc.value.response["ResponseMetadata"]["HTTPStatusCode"]


def test_stats_follow_uploads_and_deletes(rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    info = rgwa.get_bucket(bucket=b, stats=True)
    assert info["bucket"] == b and info["owner"] == uid
    assert info["usage"] == {}
    sizes = {"a": 100, "b": 5000, "c": 4096}
    for k, n in sizes.items():
        s3.put_object(Bucket=b, Key=k, Body=b"z" * n)
    assert rgwa.get_bucket(bucket=b, stats=True)["usage"] == {"rgw.main": usage(sizes.values())}
    # overwrite replaces, not adds
    s3.put_object(Bucket=b, Key="b", Body=b"y" * 10)
    sizes["b"] = 10
    assert rgwa.get_bucket(bucket=b, stats=True)["usage"] == {"rgw.main": usage(sizes.values())}
    # user stats sum the user's buckets
    b2 = f"{uid}-c"
    s3.create_bucket(Bucket=b2)
    s3.put_object(Bucket=b2, Key="x", Body=b"q" * 7000)
    # (radosgw keeps no utilized bytes for a user)
    st = rgwa.get_user(uid=uid, stats=True)["stats"]
    want = usage(list(sizes.values()) + [7000])
    want["size_utilized"] = want["size_kb_utilized"] = 0
    assert st == want
    s3.delete_object(Bucket=b, Key="a")
    rgwa.remove_object(b, "b")
    s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "c"}]})
    assert keys_of(s3, b) == []
    assert rgwa.get_bucket(bucket=b, stats=True)["usage"] == {"rgw.main": usage([])}
    assert sorted(rgwa.get_bucket(uid=uid)) == [b, b2]
    assert {b, b2} <= set(rgwa.get_buckets())


def test_check_index_policy_quota(rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="o", Body=b"12345")
    r = rgwa.check_bucket_index(b, check_objects=True, fix=True)
    hdr = r["check_result"]
    assert hdr["existing_header"] == hdr["calculated_header"] == {"usage": {
        "rgw.main": usage([5])}}
    pol = rgwa.get_policy(b)
    assert pol["owner"]["id"] == uid
    assert pol["acl"]["acl_user_map"] == [{"user": uid, "acl": 15}]
    assert rgwa.get_policy(b, "o")["owner"]["id"] == uid
    rgwa.set_bucket_quota(uid, b, max_size_kb=1024, max_objects=10, enabled=True)
    q = rgwa.get_bucket(bucket=b)["bucket_quota"]
    assert q["enabled"] is True and q["max_objects"] == 10 and q["max_size_kb"] == 1024


def test_unlink_link(rgw, admin, rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    other = helpers.unique("linkee")
    admin.create_user(other)
    rgwa.unlink_bucket(b, uid)
    assert rgwa.get_bucket(uid=uid) == []
    info = rgwa.get_bucket(bucket=b)
    rgwa.link_bucket(b, other, bucket_id=info["id"])
    assert rgwa.get_bucket(uid=other) == [b]
    assert rgwa.get_bucket(bucket=b)["owner"] == other


def test_link_gives_the_new_owner_a_fresh_acl(rgw, admin, rgwa, s3, uid):
    """radosgw's `RGWBucket::link` writes a default ACL for the new owner: the grants the
    bucket had (its old owner's, a public read) are gone, also when the link renames it."""
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b, ACL="public-read")
    assert requests.get(f"{rgw.url}/{b}").status_code == 200
    other = helpers.unique("linkee")
    k = admin.create_user(other, "Link Target")["keys"][0]
    rgwa.link_bucket(b, other, bucket_id=rgwa.get_bucket(bucket=b)["id"])
    policy = admin.request("GET", "/admin/bucket", [("policy", ""), ("bucket", b)]).json()
    assert policy["acl"]["acl_user_map"] == [{"user": other, "acl": 15}]
    assert policy["acl"]["acl_group_map"] == []
    assert policy["owner"] == {"id": other, "display_name": "Link Target"}
    assert requests.get(f"{rgw.url}/{b}").status_code == 403
    with pytest.raises(ClientError) as e:
        s3.list_objects_v2(Bucket=b)
    assert (code_of(e), status_of(e)) == ("AccessDenied", 403)
    theirs = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    grants = theirs.get_bucket_acl(Bucket=b)["Grants"]
    assert [(g["Grantee"]["ID"], g["Permission"]) for g in grants] == [(other, "FULL_CONTROL")]
    # Linked back under a new name: the ACL is the new owner's again.
    theirs.put_bucket_acl(Bucket=b, ACL="public-read")
    rgwa.link_bucket(b, uid, bucket_id=rgwa.get_bucket(bucket=b)["id"])
    r = admin.request("PUT", "/admin/bucket", [("bucket", b), ("uid", other),
                                               ("bucket-id", rgwa.get_bucket(bucket=b)["id"]),
                                               ("new-bucket-name", b + "2")])
    assert r.status_code == 200, r.text
    policy = admin.request("GET", "/admin/bucket", [("policy", ""), ("bucket", b + "2")]).json()
    assert policy["acl"]["acl_user_map"] == [{"user": other, "acl": 15}]
    assert policy["acl"]["acl_group_map"] == []


@pytest.mark.parametrize("level", ["pacific", "squid"])
def test_bucket_info_with_uid_and_bucket(request, level):
    """`GET /admin/bucket?uid=U&bucket=B`: the bucket and the user must exist (else
    NoSuchBucket); before squid radosgw lists U's buckets keeping B (`[]` when U does not own
    it, probed on 16.2.15); from squid on B's stats object is the answer, whoever owns it."""
    srv = request.getfixturevalue(level)
    adm = srv.admin()
    u1, u2 = helpers.unique("bi"), helpers.unique("bj")
    clients = {}
    for u in (u1, u2):
        k = adm.create_user(u)["keys"][0]
        clients[u] = helpers.Client(srv, k["access_key"], k["secret_key"])
        assert clients[u].request("PUT", f"/{u}-b").status_code == 200

    def info(*q):
        r = adm.request("GET", "/admin/bucket", list(q))
        return r.status_code, r.json()

    mine = info(("uid", u1), ("bucket", f"{u1}-b"))
    theirs = info(("uid", u1), ("bucket", f"{u2}-b"))
    if level == "pacific":
        assert mine == (200, [f"{u1}-b"])
        assert theirs == (200, [])
        status, docs = info(("uid", u1), ("bucket", f"{u1}-b"), ("stats", "true"))
        assert status == 200 and [d["bucket"] for d in docs] == [f"{u1}-b"]
        r = adm.request("GET", "/admin/bucket", [("uid", u1), ("bucket", f"{u1}-b"),
                                                 ("format", "xml")])
        assert r.text.endswith(f"<buckets><bucket>{u1}-b</bucket></buckets>")
    else:
        assert mine[0] == 200 and (mine[1]["bucket"], mine[1]["owner"]) == (f"{u1}-b", u1)
        assert theirs[0] == 200 and (theirs[1]["bucket"], theirs[1]["owner"]) == (f"{u2}-b", u2)
    for q in ((("uid", u1), ("bucket", "nosuchbucket")),
              (("uid", "nosuchuser"), ("bucket", f"{u1}-b"))):
        status, err = info(*q)
        assert (status, err["Code"]) == (404, "NoSuchBucket")
    assert info(("uid", "nosuchuser")) == (200, [])


def test_remove_bucket_and_purge_user(rgw, admin, rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="o", Body=b"data")
    with pytest.raises(ClientError) as e:
        s3.delete_bucket(Bucket=b)
    assert code_of(e) == "BucketNotEmpty" and status_of(e) == 409
    with pytest.raises(rex.BucketNotEmpty):
        rgwa.remove_bucket(b)
    assert keys_of(s3, b) == ["o"]
    rgwa.remove_bucket(b, purge_objects=True)
    with pytest.raises(rex.NoSuchBucket):
        rgwa.get_bucket(bucket=b)
    assert b not in rgwa.get_buckets()
    # a user owning buckets: refused without purge-data, everything goes with it
    for name in (f"{uid}-x", f"{uid}-y"):
        s3.create_bucket(Bucket=name)
        s3.put_object(Bucket=name, Key="k", Body=b"v")
    with pytest.raises(rex.BucketAlreadyExists):
        rgwa.remove_user(uid)
    helpers.assert_error(admin.delete("/admin/user", [("uid", uid)]), 409, "BucketAlreadyExists")
    assert rgwa.get_user(uid=uid)["user_id"] == uid
    assert sorted(rgwa.get_bucket(uid=uid)) == [f"{uid}-x", f"{uid}-y"]
    rgwa.remove_user(uid, purge_data=True)
    with pytest.raises(rex.NoSuchUser):
        rgwa.get_user(uid=uid)
    left = set(rgwa.get_buckets())
    assert f"{uid}-x" not in left and f"{uid}-y" not in left
    # the name is free again, and empty, for a new owner
    s3b = make_user(rgw, admin, helpers.unique("heir"))
    s3b.create_bucket(Bucket=f"{uid}-x")
    assert keys_of(s3b, f"{uid}-x") == []


# --- bad input: the right error and nothing changes --------------------------------------------
def world(rgwa, s3s):
    """What can be observed: all buckets, and each (client, bucket)'s keys."""
    return (sorted(rgwa.get_buckets()),
            {b: keys_of(c, b) for c, bs in s3s for b in bs})


def test_bad_bucket_names(rgwa, s3, uid):
    before = sorted(rgwa.get_buckets())
    for bad in ["ab", "Abc" + uid, "a_b" + uid, "-" + uid, uid + "-", "a..b" + uid,
                "192.168.5.4", "x" * 64]:
        with pytest.raises(ClientError) as e:
            s3.create_bucket(Bucket=bad)
        assert (code_of(e), status_of(e)) == ("InvalidBucketName", 400), bad
    assert sorted(rgwa.get_buckets()) == before


def test_unknown_bucket_and_key(rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    for call in (lambda: s3.get_object(Bucket=f"{uid}-none", Key="k"),
                 lambda: s3.put_object(Bucket=f"{uid}-none", Key="k", Body=b"x"),
                 lambda: s3.list_objects_v2(Bucket=f"{uid}-none"),
                 lambda: s3.delete_bucket(Bucket=f"{uid}-none")):
        with pytest.raises(ClientError) as e:
            call()
        assert (code_of(e), status_of(e)) == ("NoSuchBucket", 404)
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="nope")
    assert (code_of(e), status_of(e)) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="nope")
    assert status_of(e) == 404
    with pytest.raises(rex.NoSuchBucket):
        rgwa.get_bucket(bucket=f"{uid}-none", stats=True)
    with pytest.raises(rex.NoSuchBucket):
        rgwa.remove_bucket(f"{uid}-none")
    assert f"{uid}-none" not in rgwa.get_buckets()
    assert keys_of(s3, b) == []


def test_other_users_bucket(rgw, admin, rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="mine", Body=b"secret")
    intruder = make_user(rgw, admin, helpers.unique("intruder"))
    before = world(rgwa, [(s3, [b])])
    for call in (lambda: intruder.get_object(Bucket=b, Key="mine"),
                 lambda: intruder.put_object(Bucket=b, Key="theirs", Body=b"x"),
                 lambda: intruder.delete_object(Bucket=b, Key="mine"),
                 lambda: intruder.list_objects_v2(Bucket=b),
                 lambda: intruder.delete_bucket(Bucket=b)):
        with pytest.raises(ClientError) as e:
            call()
        assert (code_of(e), status_of(e)) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        intruder.create_bucket(Bucket=b)
    assert (code_of(e), status_of(e)) == ("BucketAlreadyExists", 409)
    assert world(rgwa, [(s3, [b])]) == before
    assert rgwa.get_bucket(bucket=b)["owner"] == uid


def test_bad_content_md5(rgw, admin, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    other = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"body", ContentMD5=other)
    assert (code_of(e), status_of(e)) == ("BadDigest", 400)
    # base64, but not 16 bytes
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"body", ContentMD5="aGVsbG8=")
    assert (code_of(e), status_of(e)) == ("InvalidDigest", 400)
    # not base64 at all: radosgw refuses it while building the SigV4 canonical headers
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket=b, Key="k", Body=b"body", ContentMD5="not-base64!")
    assert (code_of(e), status_of(e)) == ("AccessDenied", 403)
    good = base64.b64encode(hashlib.md5(b"body").digest()).decode()
    s3.put_object(Bucket=b, Key="ok", Body=b"body", ContentMD5=good)
    assert keys_of(s3, b) == ["ok"]


@pytest.mark.parametrize("payload", ["sha256", "unsigned"])
def test_truncated_body_leaves_no_object(rgw, admin, uid, payload):
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    body = b"x" * 1000
    url = f"{rgw.url}/{b}/partial"
    extra = {"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"} if payload == "unsigned" else {}
    signer = helpers.SigV4Auth if payload == "unsigned" else helpers.S3SigV4Auth
    # Content-Length is left out of the signature: it promises more than the client sends
    hdrs = helpers.sign_v4("PUT", url, k["access_key"], k["secret_key"], body=body,
                           headers=extra, signer=signer)
    hdrs["Content-Length"] = str(len(body) + 5000)
    raw = f"PUT /{b}/partial HTTP/1.1\r\nHost: {rgw.host}\r\n"
    raw += "".join(f"{n}: {v}\r\n" for n, v in hdrs.items() if n.lower() != "host")
    answer = b""
    with socket.create_connection(("127.0.0.1", rgw.port), timeout=5) as sock:
        sock.sendall(raw.encode() + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except OSError:
            pass
    if answer:  # the server may answer before the connection goes, or just close it
        assert answer.startswith(b"HTTP/1.1 400 "), answer[:300]
        assert b"<Code>IncompleteBody</Code>" in answer, answer[:500]
    assert keys_of(s3, b) == []
    with pytest.raises(ClientError) as e:
        s3.head_object(Bucket=b, Key="partial")
    assert status_of(e) == 404
    ra = rgwadmin.RGWAdmin(helpers.ADMIN_AK, helpers.ADMIN_SK, server=rgw.host, secure=False)
    assert ra.get_bucket(bucket=b, stats=True)["usage"].get("rgw.main", usage([])) == usage([])


def test_stats_after_multipart(rgwa, s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    parts = []
    for n, size in ((1, 5 * 1024 * 1024), (2, 1234)):
        r = s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=n, Body=b"p" * size)
        parts.append({"PartNumber": n, "ETag": r["ETag"]})
    # an upload in progress counts its parts as objects (and itself as a multimeta one)
    u = rgwa.get_bucket(bucket=b, stats=True)["usage"]
    assert u["rgw.main"] == usage([5 * 1024 * 1024, 1234])
    assert u["rgw.multimeta"]["num_objects"] == 1
    s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    main = rgwa.get_bucket(bucket=b, stats=True)["usage"]["rgw.main"]
    assert (main["size"], main["num_objects"]) == (5 * 1024 * 1024 + 1234, 1)
    # an aborted upload leaves nothing behind
    up2 = s3.create_multipart_upload(Bucket=b, Key="gone")["UploadId"]
    s3.upload_part(Bucket=b, Key="gone", UploadId=up2, PartNumber=1, Body=b"z" * 100)
    s3.abort_multipart_upload(Bucket=b, Key="gone", UploadId=up2)
    after = rgwa.get_bucket(bucket=b, stats=True)["usage"]
    assert after["rgw.main"] == main
    assert keys_of(s3, b) == ["mp"]
    s3.delete_object(Bucket=b, Key="mp")
    assert rgwa.get_bucket(bucket=b, stats=True)["usage"]["rgw.main"] == usage([])
