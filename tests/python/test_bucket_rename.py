"""Renaming a bucket as it is linked (`PUT /admin/bucket?new-bucket-name=`, go-ceph's
`LinkBucket` with `NewBucketName`, `radosgw-admin bucket link --bucket-new-name`), as radosgw's
RGWBucket::link does it: the bucket answers under its new name with its id, objects, uploads
in progress and stats; its old name is free for a new, empty bucket; a taken name is refused
and changes nothing; and the store stays consistent (`rgw-admin check`) across a restart."""
import pytest
from botocore.exceptions import ClientError

import helpers

B = "/admin/bucket"


def info(admin, bucket, **kw):
    return admin.get(B, [("bucket", bucket), ("stats", "true")] + list(kw.items()))


def test_rename_keeps_the_data_and_frees_the_name(start_server, uid):
    srv = start_server()
    admin = srv.admin()
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    old, new = f"{uid}-old", f"{uid}-new"
    s3.create_bucket(Bucket=old)
    for i in range(3):
        s3.put_object(Bucket=old, Key=f"k{i}", Body=b"x" * (i + 1))
    up = s3.create_multipart_upload(Bucket=old, Key="big")["UploadId"]
    etag = s3.upload_part(Bucket=old, Key="big", UploadId=up, PartNumber=1, Body=b"p")["ETag"]
    before = info(admin, old).json()

    r = admin.put(B, [("bucket", old), ("uid", uid), ("new-bucket-name", new)])
    assert (r.status_code, r.content) == (200, b""), r.text
    after = info(admin, new).json()
    assert after["bucket"] == new
    assert (after["id"], after["owner"], after["usage"]) == \
        (before["id"], before["owner"], before["usage"])
    r = info(admin, old)
    assert (r.status_code, r.json()["Code"]) == (404, "NoSuchBucket")
    assert admin.get(B, [("uid", uid)]).json() == [new]
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [new]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=new)["Contents"]] == ["k0", "k1", "k2"]
    assert s3.get_object(Bucket=new, Key="k2")["Body"].read() == b"xxx"
    s3.complete_multipart_upload(Bucket=new, Key="big", UploadId=up,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert s3.get_object(Bucket=new, Key="big")["Body"].read() == b"p"
    with pytest.raises(ClientError) as e:
        s3.head_bucket(Bucket=old)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404

    # The old name is free, and a bucket made there is empty and apart.
    s3.create_bucket(Bucket=old)
    assert "Contents" not in s3.list_objects_v2(Bucket=old)
    s3.put_object(Bucket=old, Key="fresh", Body=b"f")
    assert info(admin, old).json()["usage"]["rgw.main"]["num_objects"] == 1
    assert info(admin, new).json()["usage"]["rgw.main"]["num_objects"] == 4
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=new)["Contents"]] == \
        ["big", "k0", "k1", "k2"]

    # A taken name is refused and nothing moves.
    r = admin.put(B, [("bucket", new), ("uid", uid), ("new-bucket-name", old)])
    assert (r.status_code, r.json()["Code"]) == (409, "BucketAlreadyExists")
    assert info(admin, new).json()["id"] == before["id"]
    r = admin.put(B, [("bucket", new), ("uid", uid), ("new-bucket-name", "a/b/c")])
    assert (r.status_code, r.json()["Code"]) == (400, "InvalidBucketName")

    # Survives a restart, and the store is consistent.
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "check")
    assert p.returncode == 0, p.stdout + p.stderr
    srv.start()
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    assert s3.get_object(Bucket=new, Key="k0")["Body"].read() == b"x"
    assert s3.get_object(Bucket=old, Key="fresh")["Body"].read() == b"f"

    # Removing the renamed bucket removes its data, and leaves the other alone.
    r = admin.delete(B, [("bucket", new), ("purge-objects", "true")])
    assert r.status_code == 200, r.text
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [old]
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=old)["Contents"]] == ["fresh"]
    s3.create_bucket(Bucket=new)
    assert "Contents" not in s3.list_objects_v2(Bucket=new)
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "check")
    assert p.returncode == 0, p.stdout + p.stderr


def test_rename_back_and_to_another_owner(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    other = f"{uid}-2"
    admin.create_user(other)
    a, b = f"{uid}-a", f"{uid}-b"
    s3.create_bucket(Bucket=a)
    s3.put_object(Bucket=a, Key="k", Body=b"1")
    assert admin.put(B, [("bucket", a), ("uid", uid), ("new-bucket-name", b)]).status_code == 200
    assert admin.put(B, [("bucket", b), ("uid", uid), ("new-bucket-name", a)]).status_code == 200
    assert s3.get_object(Bucket=a, Key="k")["Body"].read() == b"1"
    # Renamed into another user's hands.
    r = admin.put(B, [("bucket", a), ("uid", other), ("new-bucket-name", b)])
    assert r.status_code == 200, r.text
    assert info(admin, b).json()["owner"] == other
    assert admin.get(B, [("uid", uid)]).json() == []
    assert admin.get(B, [("uid", other)]).json() == [b]
