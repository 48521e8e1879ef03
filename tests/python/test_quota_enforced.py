"""Quotas are enforced on PutObject, CopyObject and UploadPart, with radosgw's arithmetic:
every write counts as one more object (an overwrite too) and its size rounded up to 4 KiB
against the bucket's rounded size. A write past an enabled user or bucket quota is refused
with 403 QuotaExceeded and stores nothing; the exact boundary is allowed. Completing a
multipart upload is never refused (its parts were checked when uploaded)."""
import pytest
from botocore.exceptions import ClientError

import helpers


def client_for(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    return helpers.s3_client(rgw, k["access_key"], k["secret_key"])


def refused(fn):
    with pytest.raises(ClientError) as e:
        fn()
    assert e.value.response["Error"]["Code"] == "QuotaExceeded"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def keys(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def test_user_object_quota_exact_boundary(rgw, admin, rgwa, uid):
    s3 = client_for(rgw, admin, uid)
    s3.create_bucket(Bucket=f"{uid}-a")
    s3.create_bucket(Bucket=f"{uid}-b")
    rgwa.set_user_quota(uid=uid, quota_type="user", max_objects=3, enabled=True)
    s3.put_object(Bucket=f"{uid}-a", Key="1", Body=b"x")
    s3.put_object(Bucket=f"{uid}-a", Key="2", Body=b"x")
    s3.put_object(Bucket=f"{uid}-b", Key="3", Body=b"x")   # third object: exactly at the limit
    refused(lambda: s3.put_object(Bucket=f"{uid}-b", Key="4", Body=b"x"))
    refused(lambda: s3.copy_object(Bucket=f"{uid}-b", Key="5",
                                   CopySource={"Bucket": f"{uid}-a", "Key": "1"}))
    assert keys(s3, f"{uid}-b") == ["3"]
    # an overwrite is checked as one more object too
    refused(lambda: s3.put_object(Bucket=f"{uid}-a", Key="1", Body=b"yy"))
    # removing an object frees its place
    s3.delete_object(Bucket=f"{uid}-a", Key="2")
    s3.put_object(Bucket=f"{uid}-a", Key="1", Body=b"yy")
    # disabling the quota lifts it
    rgwa.set_user_quota(uid=uid, quota_type="user", max_objects=3, enabled=False)
    s3.put_object(Bucket=f"{uid}-b", Key="4", Body=b"x")


def test_bucket_size_quota_exact_boundary(rgw, admin, rgwa, uid):
    s3 = client_for(rgw, admin, uid)
    b = f"{uid}-q"
    s3.create_bucket(Bucket=b)
    rgwa.set_bucket_quota(uid=uid, bucket=b, max_size_kb=8, max_objects=-1, enabled=True)
    s3.put_object(Bucket=b, Key="half", Body=b"a" * 4096)
    s3.put_object(Bucket=b, Key="rest", Body=b"b")   # 4096 + 4 KiB for 1 byte: exactly full
    refused(lambda: s3.put_object(Bucket=b, Key="more", Body=b"c"))
    # an overwrite, even a smaller one, is checked at its full (rounded) size
    refused(lambda: s3.put_object(Bucket=b, Key="half", Body=b"a"))
    # a removal frees room
    s3.delete_object(Bucket=b, Key="rest")
    s3.put_object(Bucket=b, Key="more", Body=b"c" * 12)
    refused(lambda: s3.put_object(Bucket=b, Key="over", Body=b"d"))
    assert keys(s3, b) == ["half", "more"]
    st = rgwa.get_bucket(bucket=b, stats=True)["usage"]["rgw.main"]
    assert (st["size"], st["size_actual"], st["num_objects"]) == (4108, 8192, 2)


def test_multipart_completion_respects_quota(rgw, admin, rgwa, uid):
    """The quota refuses the part that does not fit, when it is uploaded; completing the
    upload with the parts that fit is not refused."""
    s3 = client_for(rgw, admin, uid)
    b = f"{uid}-m"
    s3.create_bucket(Bucket=b)
    rgwa.set_bucket_quota(uid=uid, bucket=b, max_size_kb=6 * 1024, max_objects=-1, enabled=True)
    up = s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    r = s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=1, Body=b"p" * (5 << 20))
    parts = [{"PartNumber": 1, "ETag": r["ETag"]}]
    refused(lambda: s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=2,
                                   Body=b"p" * (5 << 20)))
    assert [p["PartNumber"] for p in
            s3.list_parts(Bucket=b, Key="big", UploadId=up)["Parts"]] == [1]
    # 5 MiB + 1 MiB: exactly the limit
    r = s3.upload_part(Bucket=b, Key="big", UploadId=up, PartNumber=2, Body=b"q" * (1 << 20))
    parts.append({"PartNumber": 2, "ETag": r["ETag"]})
    s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    assert keys(s3, b) == ["big"]
    assert s3.head_object(Bucket=b, Key="big")["ContentLength"] == 6 << 20
    refused(lambda: s3.put_object(Bucket=b, Key="more", Body=b"x"))
