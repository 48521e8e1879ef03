"""boto3 (path-style, SigV4, us-east-1) against the S3 subset, as a user made through the
admin API: objects, ranges, conditions, listings v1/v2 with pagination, batch delete, copy,
multipart through s3transfer, and a hand-built aws-chunked (streaming SigV4) upload."""
import base64
import hashlib
import hmac
import os

import pytest
import requests
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

import helpers

MiB = 1024 * 1024


@pytest.fixture
def s3user(admin, uid):
    u = admin.create_user(uid)
    k = u["keys"][0]
    return uid, k["access_key"], k["secret_key"]


def client(rgw, ak, sk):
    return helpers.s3_client(rgw, ak, sk)


@pytest.fixture
def s3(rgw, s3user):
    return client(rgw, s3user[1], s3user[2])


def code_of(exc):
    return exc.value.response["Error"]["Code"]


def keys_of(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_put_get_head_metadata(s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    body = b"hello world\n" * 100
    r = s3.put_object(Bucket=b, Key="dir/a.txt", Body=body, ContentType="text/plain",
                      Metadata={"color": "blue", "Mixed-Case": "v"})
    md5 = hashlib.md5(body).hexdigest()
    assert r["ETag"] == f'"{md5}"'
    g = s3.get_object(Bucket=b, Key="dir/a.txt")
    assert g["Body"].read() == body
    assert g["ETag"] == f'"{md5}"'
    assert g["ContentType"] == "text/plain"
    assert g["ContentLength"] == len(body)
    assert g["Metadata"] == {"color": "blue", "mixed-case": "v"}
    h = s3.head_object(Bucket=b, Key="dir/a.txt")
    assert h["ContentLength"] == len(body) and h["ETag"] == f'"{md5}"'
    assert h["Metadata"] == {"color": "blue", "mixed-case": "v"}
    assert s3.head_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert b in [x["Name"] for x in s3.list_buckets()["Buckets"]]


def test_range_and_conditions(s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    body = bytes(range(256)) * 4
    etag = s3.put_object(Bucket=b, Key="k", Body=body)["ETag"]
    r = s3.get_object(Bucket=b, Key="k", Range="bytes=10-19")
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert r["Body"].read() == body[10:20]
    assert r["ContentRange"] == f"bytes 10-19/{len(body)}"
    r = s3.get_object(Bucket=b, Key="k", Range="bytes=-5")
    assert r["Body"].read() == body[-5:]
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="k", IfMatch='"0123456789abcdef0123456789abcdef"')
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert code_of(e) == "PreconditionFailed"
    assert s3.get_object(Bucket=b, Key="k", IfMatch=etag)["Body"].read() == body


def test_listings_paginate(s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    names = [f"p/{i:02d}" for i in range(25)] + ["q/x", "q/y/z", "top"]
    for n in names:
        s3.put_object(Bucket=b, Key=n, Body=n.encode())
    # v2, 25 keys under p/ by 10
    got, token, pages = [], None, 0
    while True:
        kw = {"ContinuationToken": token} if token else {}
        r = s3.list_objects_v2(Bucket=b, Prefix="p/", MaxKeys=10, **kw)
        pages += 1
        got += [o["Key"] for o in r.get("Contents", [])]
        assert r["KeyCount"] == len(r.get("Contents", []))
        if not r["IsTruncated"]:
            break
        token = r["NextContinuationToken"]
    assert pages == 3 and got == sorted(n for n in names if n.startswith("p/"))
    # v1 with markers
    got, marker = [], ""
    while True:
        r = s3.list_objects(Bucket=b, Prefix="p/", MaxKeys=10, Marker=marker)
        keys = [o["Key"] for o in r.get("Contents", [])]
        got += keys
        if not r["IsTruncated"]:
            break
        marker = r.get("NextMarker", keys[-1])
    assert got == sorted(n for n in names if n.startswith("p/"))
    # delimiter
    r = s3.list_objects_v2(Bucket=b, Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["p/", "q/"]
    assert [o["Key"] for o in r["Contents"]] == ["top"]
    r = s3.list_objects(Bucket=b, Prefix="q/", Delimiter="/")
    assert [p["Prefix"] for p in r["CommonPrefixes"]] == ["q/y/"]
    assert [o["Key"] for o in r["Contents"]] == ["q/x"]
    # paginator agrees
    pg = s3.get_paginator("list_objects_v2").paginate(Bucket=b, PaginationConfig={"PageSize": 7})
    assert sorted(o["Key"] for page in pg for o in page.get("Contents", [])) == sorted(names)


def test_delete_objects_and_copy(s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    for n in ("a", "b", "c"):
        s3.put_object(Bucket=b, Key=n, Body=n.encode() * 10, Metadata={"n": n})
    r = s3.copy_object(Bucket=b, Key="a-copy", CopySource={"Bucket": b, "Key": "a"})
    assert r["CopyObjectResult"]["ETag"] == f'"{hashlib.md5(b"a" * 10).hexdigest()}"'
    g = s3.get_object(Bucket=b, Key="a-copy")
    assert g["Body"].read() == b"a" * 10 and g["Metadata"] == {"n": "a"}
    r = s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "a"}, {"Key": "b"},
                                                        {"Key": "missing"}]})
    assert sorted(d["Key"] for d in r["Deleted"]) == ["a", "b", "missing"]
    assert keys_of(s3, b) == ["a-copy", "c"]
    s3.delete_object(Bucket=b, Key="c")
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="c")
    assert code_of(e) == "NoSuchKey"


def test_multipart_upload_file(s3, uid, tmp_path):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    src = tmp_path / "src.bin"
    data = os.urandom(20 * MiB)
    src.write_bytes(data)
    cfg = TransferConfig(multipart_threshold=5 * MiB, multipart_chunksize=5 * MiB,
                         max_concurrency=2)
    s3.upload_file(str(src), b, "big.bin", Config=cfg)
    h = s3.head_object(Bucket=b, Key="big.bin")
    assert h["ContentLength"] == len(data)
    assert h["ETag"].strip('"').endswith("-4")
    dst = tmp_path / "dst.bin"
    s3.download_file(b, "big.bin", str(dst), Config=cfg)
    assert hashlib.sha256(dst.read_bytes()).digest() == hashlib.sha256(data).digest()


def test_abort_and_list_uploads(s3, uid):
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    u1 = s3.create_multipart_upload(Bucket=b, Key="m1")["UploadId"]
    u2 = s3.create_multipart_upload(Bucket=b, Key="m2")["UploadId"]
    s3.upload_part(Bucket=b, Key="m1", UploadId=u1, PartNumber=1, Body=b"x" * 1000)
    parts = s3.list_parts(Bucket=b, Key="m1", UploadId=u1)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 1000)]
    ups = s3.list_multipart_uploads(Bucket=b)["Uploads"]
    assert sorted((x["Key"], x["UploadId"]) for x in ups) == sorted([("m1", u1), ("m2", u2)])
    s3.abort_multipart_upload(Bucket=b, Key="m1", UploadId=u1)
    ups = s3.list_multipart_uploads(Bucket=b).get("Uploads", [])
    assert [(x["Key"], x["UploadId"]) for x in ups] == [("m2", u2)]
    with pytest.raises(ClientError) as e:
        s3.list_parts(Bucket=b, Key="m1", UploadId=u1)
    assert code_of(e) == "NoSuchUpload"
    s3.abort_multipart_upload(Bucket=b, Key="m2", UploadId=u2)
    assert keys_of(s3, b) == []


def test_list_uploads_with_a_delimiter(rgw, pacific, s3, uid):
    """Uploads whose key has the delimiter after the prefix roll up into common prefixes,
    each one entry of a page, as the object listing's do (AWS; radosgw 17 and later); a
    page ending on a prefix resumes past it. radosgw 16.2 (pacific) leaves them out and
    names no prefix."""
    b = f"{uid}-d"
    s3.create_bucket(Bucket=b)
    keys = ["a/1", "a/2", "b", "c/x/y", "c/z", "d"]
    ups = {k: s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"] for k in keys}

    def listing(**kw):
        r = s3.list_multipart_uploads(Bucket=b, **kw)
        return ([u["Key"] for u in r.get("Uploads", [])],
                [p["Prefix"] for p in r.get("CommonPrefixes", [])], r)

    assert listing(Delimiter="/")[:2] == (["b", "d"], ["a/", "c/"])
    assert listing(Delimiter="/", Prefix="c/")[:2] == (["c/z"], ["c/x/"])
    assert listing(Prefix="c/")[:2] == (["c/x/y", "c/z"], [])
    # Pages of two entries: [a/, b], [c/, d].
    got, prefixes, r = listing(Delimiter="/", MaxUploads=2)
    assert (got, prefixes, r["IsTruncated"], r["NextKeyMarker"]) == (["b"], ["a/"], True, "b")
    got, prefixes, r = listing(Delimiter="/", MaxUploads=1)
    assert (got, prefixes, r["IsTruncated"], r["NextKeyMarker"]) == ([], ["a/"], True, "a/")
    got, prefixes, r = listing(Delimiter="/", MaxUploads=2, KeyMarker="a/")
    assert (got, prefixes, r["IsTruncated"]) == (["b"], ["c/"], True)
    got, prefixes, r = listing(Delimiter="/", KeyMarker="c/")
    assert (got, prefixes, r["IsTruncated"]) == (["d"], [], False)
    # pacific: as radosgw 16.2.15 answers (probed).
    k = pacific.admin().create_user(uid)["keys"][0]
    p3 = client(pacific, k["access_key"], k["secret_key"])
    p3.create_bucket(Bucket=b)
    for key in keys:
        p3.create_multipart_upload(Bucket=b, Key=key)
    r = p3.list_multipart_uploads(Bucket=b, Delimiter="/")
    assert [u["Key"] for u in r["Uploads"]] == ["b", "d"] and "CommonPrefixes" not in r
    assert r["NextKeyMarker"] == "d" and r["NextUploadIdMarker"] == r["Uploads"][1]["UploadId"]
    for k, up in ups.items():
        s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=up)


# --- aws-chunked, signed by hand (AWS SigV4 streaming) -----------------------------------------
def _h(data):
    return hashlib.sha256(data).hexdigest()


def _hmac(key, msg):
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def chunked_put(rgw, ak, sk, path, data, chunk=64 * 1024, corrupt=False):
    import datetime as dt
    now = dt.datetime.now(dt.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    scope = f"{day}/us-east-1/s3/aws4_request"
    headers = {"host": rgw.host, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
               "x-amz-date": amz_date, "x-amz-decoded-content-length": str(len(data)),
               "content-encoding": "aws-chunked"}
    signed = sorted(headers)
    canon = "\n".join(["PUT", path, "", "".join(f"{k}:{headers[k]}\n" for k in signed),
                       ";".join(signed), "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"])
    key = _hmac(_hmac(_hmac(_hmac(f"AWS4{sk}".encode(), day), "us-east-1"), "s3"), "aws4_request")
    sts = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{_h(canon.encode())}"
    seed = hmac.new(key, sts.encode(), hashlib.sha256).hexdigest()
    body, prev = b"", seed
    pieces = [data[i:i + chunk] for i in range(0, len(data), chunk)] + [b""]
    for p in pieces:
        csts = "\n".join(["AWS4-HMAC-SHA256-PAYLOAD", amz_date, scope, prev, _h(b""), _h(p)])
        sig = hmac.new(key, csts.encode(), hashlib.sha256).hexdigest()
        prev = sig
        if corrupt and p:
            p = bytes([p[0] ^ 1]) + p[1:]
        body += f"{len(p):x};chunk-signature={sig}\r\n".encode() + p + b"\r\n"
    headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, "
                                f"SignedHeaders={';'.join(signed)}, Signature={seed}")
    del headers["host"]
    return requests.put(rgw.url + path, data=body, headers=headers, timeout=helpers.HTTP_TIMEOUT)


def test_streaming_chunked_upload(rgw, s3, s3user, uid):
    _, ak, sk = s3user
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    data = os.urandom(200_000)
    r = chunked_put(rgw, ak, sk, f"/{b}/chunked", data)
    assert r.status_code == 200, r.text
    assert r.headers["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    assert s3.get_object(Bucket=b, Key="chunked")["Body"].read() == data
    # a chunk altered in flight fails its signature and leaves no object
    r = chunked_put(rgw, ak, sk, f"/{b}/tampered", data, corrupt=True)
    assert r.status_code == 403, r.text
    assert "SignatureDoesNotMatch" in r.text
    assert keys_of(s3, b) == ["chunked"]


def test_delimiter_pagination(s3, uid):
    """Common prefixes count toward max-keys and are never repeated across pages."""
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    names = ["a/1", "a/2", "b/1", "b/2/x", "c", "d/1", "e", "f/1", "f/2", "g"]
    for n in names:
        s3.put_object(Bucket=b, Key=n, Body=b"")
    want = ["a/", "b/", "c", "d/", "e", "f/", "g"]
    for max_keys in (1, 2, 3, 10):
        got, token = [], None
        while True:
            kw = {"ContinuationToken": token} if token else {}
            r = s3.list_objects_v2(Bucket=b, Delimiter="/", MaxKeys=max_keys, **kw)
            page = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
            page += [o["Key"] for o in r.get("Contents", [])]
            assert 0 < len(page) <= max_keys and r["KeyCount"] == len(page)
            got += page
            if not r["IsTruncated"]:
                break
            token = r["NextContinuationToken"]
        assert sorted(got) == want, max_keys
        got, marker = [], ""
        while True:
            r = s3.list_objects(Bucket=b, Delimiter="/", MaxKeys=max_keys, Marker=marker)
            page = [p["Prefix"] for p in r.get("CommonPrefixes", [])]
            page += [o["Key"] for o in r.get("Contents", [])]
            got += page
            if not r["IsTruncated"]:
                break
            marker = r["NextMarker"]
        assert sorted(got) == want, max_keys
    # max-keys=0: nothing, not truncated-forever
    r = s3.list_objects_v2(Bucket=b, MaxKeys=0)
    assert r["KeyCount"] == 0 and "Contents" not in r


def test_copy_variants_and_bad_range(rgw, admin, s3, uid):
    b, b2 = f"{uid}-b", f"{uid}-c"
    s3.create_bucket(Bucket=b)
    s3.create_bucket(Bucket=b2)
    s3.put_object(Bucket=b, Key="src", Body=b"0123456789", ContentType="text/x-src",
                  Metadata={"k": "v"})
    s3.copy_object(Bucket=b2, Key="dst", CopySource={"Bucket": b, "Key": "src"},
                   MetadataDirective="REPLACE", Metadata={"k2": "v2"}, ContentType="text/x-new")
    g = s3.get_object(Bucket=b2, Key="dst")
    assert g["Body"].read() == b"0123456789"
    assert g["Metadata"] == {"k2": "v2"} and g["ContentType"] == "text/x-new"
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=b2, Key="dst2", CopySource={"Bucket": b, "Key": "missing"})
    assert code_of(e) == "NoSuchKey"
    # into someone else's bucket: refused, nothing appears there
    other = admin.create_user(helpers.unique("other"))["keys"][0]
    s3o = client(rgw, other["access_key"], other["secret_key"])
    ob = helpers.unique("ob")
    s3o.create_bucket(Bucket=ob)
    with pytest.raises(ClientError) as e:
        s3.copy_object(Bucket=ob, Key="stolen", CopySource={"Bucket": b, "Key": "src"})
    assert code_of(e) == "AccessDenied"
    # reading from someone else's bucket is refused too
    with pytest.raises(ClientError) as e:
        s3o.copy_object(Bucket=ob, Key="stolen", CopySource={"Bucket": b, "Key": "src"})
    assert code_of(e) == "AccessDenied"
    assert keys_of(s3o, ob) == []
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=b, Key="src", Range="bytes=100-200")
    assert (code_of(e), e.value.response["ResponseMetadata"]["HTTPStatusCode"]) == \
        ("InvalidRange", 416)
    assert keys_of(s3, b2) == ["dst"]


def test_plus_in_a_path_is_a_plus(rgw, s3, s3user, uid):
    """A '+' in an S3 path is part of the key (only query strings turn '+' into a space)."""
    bucket = f"{uid}-plus"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="a+b c", Body=b"plus")
    assert keys_of(s3, bucket) == ["a+b c"]
    raw = helpers.Client(rgw, s3user[1], s3user[2])
    r = raw.get(f"/{bucket}/a+b%20c")
    assert (r.status_code, r.content) == (200, b"plus"), r.text
    assert raw.get(f"/{bucket}/a%20b%20c").status_code == 404


def test_empty_continuation_token_is_echoed(s3, uid):
    """radosgw 16.2.15 echoes `continuation-token=` even empty (ListObjectsV2), and an empty
    one starts at the beginning."""
    b = f"{uid}-ct"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="k", Body=b"")
    r = s3.list_objects_v2(Bucket=b, ContinuationToken="")
    assert r["ContinuationToken"] == "" and [o["Key"] for o in r["Contents"]] == ["k"]
    assert "ContinuationToken" not in s3.list_objects_v2(Bucket=b)


def test_put_object_conditions(s3, uid):
    """radosgw 16.2.15 applies If-Match / If-None-Match to PutObject: 412 PreconditionFailed
    and nothing written when they fail."""
    b = f"{uid}-cond"
    s3.create_bucket(Bucket=b)
    etag = s3.put_object(Bucket=b, Key="k", Body=b"one")["ETag"]

    def refused(**kw):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=b, Body=b"two", **kw)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 412
        assert e.value.response["Error"]["Code"] == "PreconditionFailed"

    refused(Key="k", IfNoneMatch="*")
    refused(Key="k", IfMatch='"0123456789abcdef0123456789abcdef"')
    refused(Key="new", IfMatch=etag)
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"one"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=b)["Contents"]] == ["k"]
    s3.put_object(Bucket=b, Key="k", Body=b"two", IfMatch=etag)
    s3.put_object(Bucket=b, Key="new", Body=b"three", IfNoneMatch="*")
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"two"
    assert s3.get_object(Bucket=b, Key="new")["Body"].read() == b"three"


SSE_C_KEY = b"k" * 32
SSE_C = {
    "x-amz-server-side-encryption-customer-algorithm": "AES256",
    "x-amz-server-side-encryption-customer-key": base64.b64encode(SSE_C_KEY).decode(),
    "x-amz-server-side-encryption-customer-key-md5":
        base64.b64encode(hashlib.md5(SSE_C_KEY).digest()).decode(),
}


def test_encryption_and_storage_classes_are_refused_not_ignored(rgw, admin, s3, s3user, uid):
    """No key management and one storage class here: a request asking for server-side
    encryption or another class is refused as radosgw 16.2.15 (no encryption configured, one
    placement) refuses it, rather than stored in the clear or in a class it would not have.
    Refusals store nothing; STANDARD, an empty class and a plain copy go through."""
    bucket = f"{uid}-sse"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="plain", Body=b"data")
    raw = helpers.Client(rgw, s3user[1], s3user[2])
    refused = [
        ("PUT", "/a", {"x-amz-server-side-encryption": "AES256"}, "InvalidRequest"),
        ("PUT", "/b", {"x-amz-server-side-encryption": "aws:kms"}, "InvalidRequest"),
        ("PUT", "/c", SSE_C, "InvalidRequest"),
        ("PUT", "/d", {"x-amz-server-side-encryption-aws-kms-key-id": "k1"}, "InvalidArgument"),
        ("POST", "/e?uploads", {"x-amz-server-side-encryption": "AES256"}, "InvalidRequest"),
        ("POST", "/f?uploads", SSE_C, "InvalidRequest"),
        ("PUT", "/g", {"x-amz-storage-class": "GLACIER"}, "InvalidArgument"),
        ("PUT", "/h", {"x-amz-storage-class": "standard"}, "InvalidArgument"),
        ("PUT", "/i", {"x-amz-copy-source": f"/{bucket}/plain",
                       "x-amz-storage-class": "STANDARD_IA"}, "InvalidArgument"),
        ("POST", "/j?uploads", {"x-amz-storage-class": "REDUCED_REDUNDANCY"},
         "InvalidArgument"),
    ]
    for method, path, headers, code in refused:
        key, _, query = path.partition("?")
        r = raw.request(method, f"/{bucket}{key}", [(query, None)] if query else [],
                        body=b"data" if method == "PUT" and "x-amz-copy-source" not in headers
                        else b"", headers=headers)
        assert r.status_code == 400 and f"<Code>{code}</Code>" in r.text, \
            (method, path, headers, r.status_code, r.text)
    # boto3's own parameters, the way tools send them
    for kw in ({"ServerSideEncryption": "AES256"}, {"StorageClass": "GLACIER"}):
        with pytest.raises(ClientError) as e:
            s3.put_object(Bucket=bucket, Key="boto", Body=b"x", **kw)
        assert code_of(e) in ("InvalidRequest", "InvalidArgument")
    assert keys_of(s3, bucket) == ["plain"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")

    # An upload begun without encryption cannot add SSE-C to a part.
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    r = raw.request("PUT", f"/{bucket}/mp", [("partNumber", "1"), ("uploadId", up)],
                    body=b"p" * 1024, headers=SSE_C)
    assert r.status_code == 400 and "<Code>InvalidRequest</Code>" in r.text, r.text
    assert s3.list_parts(Bucket=bucket, Key="mp", UploadId=up).get("Parts", []) == []
    s3.abort_multipart_upload(Bucket=bucket, Key="mp", UploadId=up)

    # A read naming an encryption, any or none, is refused too (radosgw: 400 InvalidRequest).
    for method in ("GET", "HEAD"):
        for v in ("AES256", ""):
            r = raw.request(method, f"/{bucket}/plain",
                            headers={"x-amz-server-side-encryption": v})
            assert r.status_code == 400, (method, v, r.status_code)
            if method == "GET":
                assert "<Code>InvalidRequest</Code>" in r.text, r.text
    assert raw.get(f"/{bucket}/plain").content == b"data"

    s3.put_object(Bucket=bucket, Key="std", Body=b"x", StorageClass="STANDARD")
    assert raw.request("PUT", f"/{bucket}/empty", body=b"x",
                       headers={"x-amz-storage-class": ""}).status_code == 200
    # radosgw 16.2.15 copies without looking at encryption headers: so do we.
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "plain"},
                   ServerSideEncryption="AES256")
    assert keys_of(s3, bucket) == ["copy", "empty", "plain", "std"]
    assert s3.head_object(Bucket=bucket, Key="std")["ResponseMetadata"]["HTTPStatusCode"] == 200
    stats = admin.get("/admin/bucket", [("bucket", bucket), ("stats", "true")]).json()
    assert stats["usage"]["rgw.main"]["num_objects"] == 4


def test_completion_names_the_object_as_radosgw(rgw, admin, s3, uid):
    """CompleteMultipartUpload's Location is radosgw's: the scheme and Host (no S3 domain is
    set), the bucket (`tenant:bucket` for a tenant's, with a Tenant element) and the key."""
    def complete(c, bucket):
        c.create_bucket(Bucket=bucket)
        up = c.create_multipart_upload(Bucket=bucket, Key="d/m k")["UploadId"]
        etag = c.upload_part(Bucket=bucket, Key="d/m k", UploadId=up, PartNumber=1,
                             Body=b"x")["ETag"]
        r = c.complete_multipart_upload(Bucket=bucket, Key="d/m k", UploadId=up, MultipartUpload={
            "Parts": [{"PartNumber": 1, "ETag": etag}]})
        return r["Location"], r["Bucket"], r["Key"]

    assert complete(s3, f"{uid}-loc") == (f"{rgw.url}/{uid}-loc/d/m k", f"{uid}-loc", "d/m k")
    tenant = f"t{uid[:10].replace('-', '')}"
    k = admin.create_user(uid, tenant=tenant)["keys"][0]
    t3 = client(rgw, k["access_key"], k["secret_key"])
    assert complete(t3, "tbk") == (f"{rgw.url}/{tenant}:tbk/d/m k", "tbk", "d/m k")


def test_get_and_head_one_part(rgw, s3, s3user, uid):
    """GetObject/HeadObject `partNumber`, as AWS answers it (radosgw 16 ignores it and sends
    the whole object, which would corrupt a download made part by part): 206 with the part's
    bytes, its Content-Range and x-amz-mp-parts-count; 416 InvalidPartNumber past the last
    part; an object not uploaded in parts is its own part 1."""
    bucket = f"{uid}-parts"
    s3.create_bucket(Bucket=bucket)
    sizes = [5 * MiB, 5 * MiB + 7, 1000]
    datas = [os.urandom(n) for n in sizes]
    up = s3.create_multipart_upload(Bucket=bucket, Key="mp")["UploadId"]
    parts = [{"PartNumber": i + 1, "ETag": s3.upload_part(
        Bucket=bucket, Key="mp", UploadId=up, PartNumber=i + 1, Body=d)["ETag"]}
        for i, d in enumerate(datas)]
    etag = s3.complete_multipart_upload(Bucket=bucket, Key="mp", UploadId=up,
                                        MultipartUpload={"Parts": parts})["ETag"]
    total = sum(sizes)
    start = 0
    for i, d in enumerate(datas):
        r = s3.get_object(Bucket=bucket, Key="mp", PartNumber=i + 1)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 206
        assert r["Body"].read() == d
        assert (r["PartsCount"], r["ContentLength"], r["ETag"]) == (3, len(d), etag)
        assert r["ContentRange"] == f"bytes {start}-{start + len(d) - 1}/{total}"
        h = s3.head_object(Bucket=bucket, Key="mp", PartNumber=i + 1)
        assert (h["ResponseMetadata"]["HTTPStatusCode"], h["PartsCount"],
                h["ContentLength"]) == (206, 3, len(d))
        start += len(d)
    for call in (s3.get_object, s3.head_object):
        with pytest.raises(ClientError) as e:
            call(Bucket=bucket, Key="mp", PartNumber=4)
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 416
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=4)
    assert code_of(e) == "InvalidPartNumber"
    # The whole object's ETag still decides conditions.
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="mp", PartNumber=1, IfNoneMatch=etag)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304

    s3.put_object(Bucket=bucket, Key="single", Body=b"x" * 100)
    r = s3.get_object(Bucket=bucket, Key="single", PartNumber=1)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200 and r["Body"].read() == b"x" * 100
    assert "PartsCount" not in r
    with pytest.raises(ClientError) as e:
        s3.get_object(Bucket=bucket, Key="single", PartNumber=2)
    assert code_of(e) == "InvalidPartNumber"

    raw = helpers.Client(rgw, s3user[1], s3user[2])
    for bad in ("0", "10001", "x", "", "-1"):
        r = raw.get(f"/{bucket}/mp", [("partNumber", bad)])
        assert r.status_code == 400 and "<Code>InvalidArgument</Code>" in r.text, (bad, r.text)
    r = raw.get(f"/{bucket}/mp", [("partNumber", "1")], headers={"Range": "bytes=0-9"})
    assert r.status_code == 400 and "<Code>InvalidRequest</Code>" in r.text, r.text
    # Parts of an upload are listed, never read, by `partNumber` with `uploadId`.
    r = raw.get(f"/{bucket}/mp", [("partNumber", "1"), ("uploadId", "x")])
    assert r.status_code == 501, r.text
