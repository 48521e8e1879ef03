"""The usage log end to end: boto3 traffic of known sizes is counted per owner, bucket and
category, flushed to the store within the flush interval (1 s here), read back with the
`rgwadmin` client, trimmed; the CLI reads the same log, and a SIGTERM flushes what is
pending."""
import json
import time

import pytest
import requests
from botocore.exceptions import ClientError
from rgwadmin import exceptions as rex

import helpers

FAST = {"RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"}


def s3_client(srv, ak, sk):
    # No body checksums, so the bytes counted are exactly the object bytes.
    return helpers.s3_client(srv, ak, sk, request_checksum_calculation="when_required")


def rgwa(srv, ak=helpers.ADMIN_AK, sk=helpers.ADMIN_SK):
    return helpers.rgwadmin_client(srv, ak, sk)


def make_user(srv, uid, caps=None):
    params = {"user-caps": caps} if caps else {}
    u = srv.admin().create_user(uid, **params)
    k = u["keys"][0]
    return k["access_key"], k["secret_key"]


def sent(resp):
    return int(resp["ResponseMetadata"]["HTTPHeaders"].get("content-length", 0))


def wait_usage(admin, uid, ops, timeout=4.0):
    """Poll until the user's summary counts `ops` requests (flushes happen every second)."""
    deadline = time.monotonic() + timeout
    while True:
        u = admin.get_usage(uid=uid, show_entries=True, show_summary=True)
        got = u["summary"][0]["total"]["ops"] if u["summary"] else 0
        if got >= ops or time.monotonic() > deadline:
            return u
        time.sleep(0.2)


def cats(entry):
    return {c["category"]: (c["bytes_sent"], c["bytes_received"], c["ops"], c["successful_ops"])
            for c in entry["categories"]}


def test_usage_counts_bytes_and_ops(start_server, uid):
    srv = start_server(env=FAST)
    ak, sk = make_user(srv, uid)
    s3 = s3_client(srv, ak, sk)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    bodies = {"a": b"a" * 100, "b": b"b" * 2000, "c": b"c" * 5}
    for k, body in bodies.items():
        s3.put_object(Bucket=b, Key=k, Body=body)
    assert s3.get_object(Bucket=b, Key="b")["Body"].read() == bodies["b"]
    s3.head_object(Bucket=b, Key="a")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="nosuch")
    nosuch_sent = sent(e.value.response)
    listed = sent(s3.list_objects_v2(Bucket=b))
    buckets = sent(s3.list_buckets())
    s3.delete_object(Bucket=b, Key="c")
    ops = 1 + 3 + 1 + 1 + 1 + 1 + 1 + 1

    admin = rgwa(srv)
    u = wait_usage(admin, uid, ops)
    assert [x["user"] for x in u["entries"]] == [uid]
    lines = {x["bucket"]: x for x in u["entries"][0]["buckets"]}
    assert list(lines) == ["", "-", b]  # key order: no bucket, 404s, then the bucket
    for x in lines.values():
        assert list(x) == ["bucket", "time", "epoch", "owner", "categories"]
        assert x["owner"] == uid and x["epoch"] % 3600 == 0 and x["time"].endswith(":00:00.000000Z")
    assert cats(lines[""]) == {"list_buckets": (buckets, 0, 1, 1)}
    assert cats(lines["-"]) == {"get_obj": (nosuch_sent, 0, 1, 0)}
    assert cats(lines[b]) == {
        "create_bucket": (0, 0, 1, 1),
        "put_obj": (0, 2105, 3, 3),
        "get_obj": (2000, 0, 2, 2),  # the HEAD sends no body
        "list_bucket": (listed, 0, 1, 1),
        "delete_obj": (0, 0, 1, 1),
    }
    (summary,) = u["summary"]
    assert summary["user"] == uid and list(summary) == ["user", "categories", "total"]
    assert summary["total"] == {"bytes_sent": buckets + nosuch_sent + 2000 + listed,
                                "bytes_received": 2105, "ops": ops, "successful_ops": ops - 1}

    # the filters
    only = srv.admin().get("/admin/usage", [("uid", uid), ("categories", "put_obj;get_obj"),
                                            ("show-summary", "false")]).json()
    assert list(only) == ["entries"]
    assert [sorted(cats(x)) for x in only["entries"][0]["buckets"]] == \
        [[], ["get_obj"], ["get_obj", "put_obj"]]
    assert list(admin.get_usage(uid=uid, show_entries=False, show_summary=True)) == ["summary"]
    by_bucket = srv.admin().get("/admin/usage", [("uid", uid), ("bucket", b)]).json()
    assert [x["bucket"] for x in by_bucket["entries"][0]["buckets"]] == [b]
    past = srv.admin().get("/admin/usage", [("uid", uid), ("start", "2000-01-01"),
                                            ("end", "2000-01-02 00:00:00")]).json()
    assert past == {"entries": [], "summary": []}
    now = int(time.time())
    assert admin.get_usage(uid=uid, start=now - 7200, end=now + 3600, show_entries=True,
                           show_summary=True)["summary"][0]["total"]["ops"] == ops
    xml = srv.admin().get("/admin/usage", [("uid", uid), ("format", "xml")]).text
    assert xml.startswith('<?xml version="1.0" encoding="UTF-8"?><usage><entries><user>'
                          f'<user>{uid}</user><buckets><bucket><bucket></bucket><time>')

    # trim one user: gone; other users untouched
    admin.trim_usage(uid=uid)
    assert admin.get_usage(uid=uid, show_entries=True, show_summary=True) == \
        {"entries": [], "summary": []}


def test_only_object_data_counts_as_received(start_server, uid):
    """radosgw 16.2.15 (probed) counts the bytes of objects and parts received, never those
    of the XML and JSON bodies an op reads whole."""
    srv = start_server(env=FAST)
    ak, sk = make_user(srv, uid)
    s3 = s3_client(srv, ak, sk)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b, CreateBucketConfiguration={"LocationConstraint": "default"})
    s3.put_object(Bucket=b, Key="a", Body=b"a" * 100)
    s3.put_object_tagging(Bucket=b, Key="a", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_bucket_cors(Bucket=b, CORSConfiguration={
        "CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]})
    acl = s3.get_bucket_acl(Bucket=b)
    s3.put_bucket_acl(Bucket=b, AccessControlPolicy={"Grants": acl["Grants"],
                                                     "Owner": acl["Owner"]})
    up = s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
    etag = s3.upload_part(Bucket=b, Key="m", UploadId=up, PartNumber=1, Body=b"m" * 50)["ETag"]
    s3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})
    s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}]})
    u = wait_usage(rgwa(srv), uid, 9)
    received = {c: v[1] for c, v in cats(u["entries"][0]["buckets"][0]).items()}
    assert received == {"create_bucket": 0, "put_obj": 150, "put_obj_tags": 0, "put_cors": 0,
                        "get_acls": 0, "put_acls": 0, "init_multipart": 0,
                        "complete_multipart": 0, "multi_object_delete": 0}, received


def public_object(srv, uid, b):
    """`uid`'s public-read bucket `b` holding the public-read 8-byte object `k`, and a second
    user: (the owner's client, the other's uid, the other's client)."""
    ak, sk = make_user(srv, uid)
    s3 = s3_client(srv, ak, sk)
    s3.create_bucket(Bucket=b, ACL="public-read")
    s3.put_object(Bucket=b, Key="k", Body=b"12345678", ACL="public-read")
    other = f"{uid}-o"
    oak, osk = make_user(srv, other)
    return s3, other, s3_client(srv, oak, osk)


def test_usage_owner_is_the_bucket_owner_and_anonymous(start_server, uid):
    srv = start_server(env=FAST)
    b = f"{uid}-pub"
    _, other, s3o = public_object(srv, uid, b)
    assert s3o.get_object(Bucket=b, Key="k")["Body"].read() == b"12345678"
    anon = requests.get(f"{srv.url}/{b}/k", timeout=helpers.HTTP_TIMEOUT)
    assert anon.status_code == 200
    requests.get(f"{srv.url}/", timeout=helpers.HTTP_TIMEOUT)  # anonymous list
    admin = rgwa(srv)
    u = wait_usage(admin, uid, 4)
    (line,) = u["entries"][0]["buckets"]
    assert cats(line)["get_obj"] == (16, 0, 2, 2)  # the other user's and the anonymous read
    assert admin.get_usage(uid=other, show_entries=True, show_summary=True)["entries"] == []
    everyone = wait_usage(admin, "anonymous", 1)
    assert cats(everyone["entries"][0]["buckets"][0])["list_buckets"][2:] == (1, 1)


def test_requester_pays_usage_is_the_payers(start_server, uid):
    """On a requester-pays bucket radosgw counts a request as its caller's (anonymous
    included, and refused requests too), the line naming the bucket's owner and the payer;
    the owner's own requests stay the owner's, without `payer`."""
    srv = start_server(env=FAST)
    b = f"{uid}-rp"
    s3, other, s3o = public_object(srv, uid, b)
    s3.put_bucket_request_payment(Bucket=b,
                                  RequestPaymentConfiguration={"Payer": "Requester"})
    got = s3o.get_object(Bucket=b, Key="k", RequestPayer="requester")
    assert got["Body"].read() == b"12345678" and got["RequestCharged"] == "requester"
    with pytest.raises(ClientError) as e:
        s3o.get_object(Bucket=b, Key="k")
    refused = sent(e.value.response)
    anon = requests.get(f"{srv.url}/{b}/k", timeout=helpers.HTTP_TIMEOUT)
    assert anon.status_code == 403
    s3.get_object(Bucket=b, Key="k")
    admin = rgwa(srv)
    u = wait_usage(admin, other, 2)
    (line,) = u["entries"][0]["buckets"]
    assert (line["bucket"], line["owner"], line["payer"]) == (b, uid, other)
    assert cats(line) == {"get_obj": (8 + refused, 0, 2, 1)}
    mine = wait_usage(admin, uid, 5)
    (line,) = mine["entries"][0]["buckets"]
    assert line["owner"] == uid and "payer" not in line
    assert cats(line)["get_obj"] == (8, 0, 1, 1)
    everyone = wait_usage(admin, "anonymous", 1)
    (line,) = everyone["entries"][0]["buckets"]
    assert (line["owner"], line["payer"]) == (uid, "anonymous")
    assert cats(line)["get_obj"][2:] == (1, 0)
    # The bucket selects the payer's lines too; trimming the payer's leaves the owner's.
    by_bucket = srv.admin().get("/admin/usage", [("uid", other), ("bucket", b)]).json()["entries"]
    assert by_bucket[0]["buckets"][0]["payer"] == other
    admin.trim_usage(uid=other)
    assert admin.get_usage(uid=other, show_entries=True)["entries"] == []
    assert admin.get_usage(uid=uid, show_entries=True)["entries"] != []


def test_usage_errors(start_server, uid):
    srv = start_server(env=FAST)
    admin = srv.admin()
    # trimming everything needs remove-all (Reef; radosgw 16.2 trimmed silently)
    helpers.assert_error(admin.delete("/admin/usage"), 400, "InvalidArgument")
    helpers.assert_error(admin.delete("/admin/usage", [("remove-all", "false")]),
                         400, "InvalidArgument")
    assert admin.delete("/admin/usage", [("remove-all", "true")]).status_code == 200
    helpers.assert_error(admin.get("/admin/usage", [("bucket", "no-such-bucket")]),
                         404, "NoSuchBucket")
    # an unknown user has no usage, not an error
    assert rgwa(srv).get_usage(uid="nobody-here", show_entries=True, show_summary=True) == \
        {"entries": [], "summary": []}
    # caps: usage=read may read, not trim
    ak, sk = make_user(srv, uid, caps="usage=read")
    reader = rgwa(srv, ak, sk)
    assert reader.get_usage(show_entries=True, show_summary=True) is not None
    with pytest.raises(rex.AccessDenied):
        reader.trim_usage(uid=uid)
    nak, nsk = make_user(srv, f"{uid}-n")
    with pytest.raises(rex.AccessDenied):
        rgwa(srv, nak, nsk).get_usage()


def test_pacific_trims_everything_without_remove_all(start_server, uid):
    srv = start_server(env=dict(FAST, RGW_ADMIN_COMPAT="pacific"))
    assert srv.admin().delete("/admin/usage").status_code == 200


def cli_json(data_dir, *args):
    p = helpers.run_cli(data_dir, *args)
    assert p.returncode == 0, f"rgw-admin {' '.join(args)}: rc={p.returncode} {p.stderr}"
    return json.loads(p.stdout)


def test_shutdown_flushes_and_cli_reads_and_trims(start_server, uid):
    # a flush interval far away: only the SIGTERM flush can write these entries
    srv = start_server(env={"RGW_ADMIN_USAGE_FLUSH_INTERVAL": "3600"})
    ak, sk = make_user(srv, uid)
    s3 = s3_client(srv, ak, sk)
    s3.create_bucket(Bucket=f"{uid}-b")
    s3.put_object(Bucket=f"{uid}-b", Key="k", Body=b"x" * 321)
    assert srv.admin().get("/admin/usage", [("uid", uid)]).json() == \
        {"entries": [], "summary": []}
    assert srv.stop() == 0
    shown = cli_json(srv.data_dir, "usage", "show", "--uid", uid)
    assert shown["summary"][0]["total"] == {"bytes_sent": 0, "bytes_received": 321, "ops": 2,
                                            "successful_ops": 2}
    assert list(cli_json(srv.data_dir, "usage", "show", "--uid", uid,
                         "--show-log-entries", "false")) == ["summary"]
    # trimming everything needs the confirmation flag
    p = helpers.run_cli(srv.data_dir, "usage", "trim")
    assert p.returncode == 1 and "InvalidArgument" in p.stderr
    assert helpers.run_cli(srv.data_dir, "usage", "trim", "--yes-i-really-mean-it").returncode == 0
    assert cli_json(srv.data_dir, "usage", "show") == {"entries": [], "summary": []}


def test_threshold_flushes_early_and_usage_log_off(start_server, uid):
    srv = start_server(env={"RGW_ADMIN_USAGE_FLUSH_INTERVAL": "3600",
                            "RGW_ADMIN_USAGE_FLUSH_THRESHOLD": "1"})
    ak, sk = make_user(srv, uid)
    s3_client(srv, ak, sk).list_buckets()
    u = wait_usage(rgwa(srv), uid, 1, timeout=2.0)
    assert u["summary"][0]["total"]["ops"] == 1

    off = start_server(env={"RGW_ADMIN_USAGE_LOG": "false", "RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"})
    ak, sk = make_user(off, uid)
    s3_client(off, ak, sk).list_buckets()
    assert off.stop() == 0
    assert cli_json(off.data_dir, "usage", "show") == {"entries": [], "summary": []}
