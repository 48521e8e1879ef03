"""Multipart uploads in bucket stats and quotas, as radosgw 16.2 counts them (measured on a
real gateway, see the multipart-stats notes): every uploaded part is an rgw.main object from
the moment it is written, every open upload one rgw.multimeta object (size_utilized 27);
completing turns the parts into one object, aborting removes them. UploadPart is checked
against the bucket quota like PutObject (objects: main + multimeta + 1, bytes: size_actual
+ the part rounded up to 4 KiB); CreateMultipartUpload and CompleteMultipartUpload never are.
A refused write changes nothing, and a listing never shows parts."""
import json

import pytest
from botocore.exceptions import ClientError

import helpers

MiB = 1 << 20


def client_for(admin, rgw, uid):
    k = admin.create_user(uid)["keys"][0]
    return helpers.s3_client(rgw, k["access_key"], k["secret_key"])


def main(sizes):
    """rgw.main for objects (and parts) of these sizes."""
    size = sum(sizes)
    actual = sum((s + 4095) // 4096 * 4096 for s in sizes)
    kb = (size + 1023) // 1024
    return {"size": size, "size_actual": actual, "size_utilized": size, "size_kb": kb,
            "size_kb_actual": actual // 1024, "size_kb_utilized": kb, "num_objects": len(sizes)}


def multimeta(uploads):
    """rgw.multimeta for this many open uploads."""
    return {"size": 0, "size_actual": 0, "size_utilized": 27 * uploads, "size_kb": 0,
            "size_kb_actual": 0, "size_kb_utilized": (27 * uploads + 1023) // 1024,
            "num_objects": uploads}


def user_stats(sizes):
    """The user's stats (rgw.main only, no utilized bytes)."""
    s = main(sizes)
    s["size_utilized"] = s["size_kb_utilized"] = 0
    return s


def usage(rgwa, bucket):
    return rgwa.get_bucket(bucket=bucket, stats=True)["usage"]


def keys(s3, bucket):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))


def state(rgwa, s3, bucket):
    """Everything a refused write must leave as it was."""
    listing = s3.list_objects(Bucket=bucket).get("Contents", [])
    uploads = [(u["Key"], u["UploadId"])
               for u in s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
    parts = {up: [(p["PartNumber"], p["Size"], p["ETag"])
                  for p in s3.list_parts(Bucket=bucket, Key=k, UploadId=up).get("Parts", [])]
             for k, up in uploads}
    return (usage(rgwa, bucket), [(o["Key"], o["Size"], o["ETag"]) for o in listing],
            uploads, parts)


def refused(fn):
    with pytest.raises(ClientError) as e:
        fn()
    assert e.value.response["Error"]["Code"] == "QuotaExceeded"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def set_quota(admin, uid, bucket, **q):
    """Bucket quota from a JSON body, sizes in bytes (as the oracle was probed)."""
    r = admin.put("/admin/bucket", [("quota", None), ("uid", uid), ("bucket", bucket)],
                  body=json.dumps({"enabled": True, **q}).encode(), auth="v4-unsigned")
    assert r.status_code == 200, r.text


def part(s3, bucket, key, up, n, size, fill=b"p"):
    r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=n, Body=fill * size)
    return {"PartNumber": n, "ETag": r["ETag"]}


def test_upload_in_progress_complete_and_abort(rgw, admin, rgwa, uid):
    """The oracle's Q1-Q3 sequence, byte for byte."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    assert usage(rgwa, b) == {}
    s3.put_object(Bucket=b, Key="small", Body=b"s" * 1000)
    up = s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    assert usage(rgwa, b) == {"rgw.main": main([1000]), "rgw.multimeta": multimeta(1)}
    parts = [part(s3, b, "big", up, 1, 5 * MiB)]
    assert usage(rgwa, b) == {"rgw.main": main([1000, 5 * MiB]), "rgw.multimeta": multimeta(1)}
    parts.append(part(s3, b, "big", up, 2, MiB))
    u = usage(rgwa, b)
    assert u == {"rgw.main": main([1000, 5 * MiB, MiB]), "rgw.multimeta": multimeta(1)}
    assert list(u) == ["rgw.main", "rgw.multimeta"]
    assert u["rgw.main"]["size"] == 6292456 and u["rgw.main"]["size_actual"] == 6295552
    # user stats: rgw.main only (3 objects, not 4), no utilized bytes
    assert rgwa.get_user(uid=uid, stats=True)["stats"] == user_stats([1000, 5 * MiB, MiB])
    # the listing shows neither parts nor the upload
    assert keys(s3, b) == ["small"]
    assert [o["Key"] for o in s3.list_objects(Bucket=b)["Contents"]] == ["small"]
    assert [v["Key"] for v in s3.list_object_versions(Bucket=b).get("Versions", [])] == ["small"]
    assert [u["Key"] for u in s3.list_multipart_uploads(Bucket=b)["Uploads"]] == ["big"]

    s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up,
                                 MultipartUpload={"Parts": parts})
    after_complete = {"rgw.main": main([1000, 6 * MiB]), "rgw.multimeta": multimeta(0)}
    assert usage(rgwa, b) == after_complete
    assert rgwa.get_user(uid=uid, stats=True)["stats"] == user_stats([1000, 6 * MiB])
    assert keys(s3, b) == ["big", "small"]

    up2 = s3.create_multipart_upload(Bucket=b, Key="big2")["UploadId"]
    part(s3, b, "big2", up2, 1, 5 * MiB)
    assert usage(rgwa, b) == {"rgw.main": main([1000, 6 * MiB, 5 * MiB]),
                              "rgw.multimeta": multimeta(1)}
    assert rgwa.get_user(uid=uid, stats=True)["stats"] == user_stats([1000, 6 * MiB, 5 * MiB])
    s3.abort_multipart_upload(Bucket=b, Key="big2", UploadId=up2)
    assert usage(rgwa, b) == after_complete
    assert keys(s3, b) == ["big", "small"]
    # the index check agrees with the counters, during an upload too
    up3 = s3.create_multipart_upload(Bucket=b, Key="big3")["UploadId"]
    part(s3, b, "big3", up3, 1, 100)
    hdr = rgwa.check_bucket_index(b, check_objects=True, fix=True)["check_result"]
    assert hdr["existing_header"] == hdr["calculated_header"] == {"usage": usage(rgwa, b)}
    s3.abort_multipart_upload(Bucket=b, Key="big3", UploadId=up3)
    assert usage(rgwa, b) == after_complete


def test_categories_stay_once_used(rgw, admin, rgwa, uid):
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    assert usage(rgwa, b) == {"rgw.multimeta": multimeta(1)}
    s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=up)
    assert usage(rgwa, b) == {"rgw.multimeta": multimeta(0)}
    # two open uploads: 54 utilized bytes, still 1 KiB
    ups = [s3.create_multipart_upload(Bucket=b, Key=k)["UploadId"] for k in ("x", "y")]
    assert usage(rgwa, b) == {"rgw.multimeta": multimeta(2)}
    assert multimeta(2)["size_utilized"] == 54 and multimeta(2)["size_kb_utilized"] == 1
    for k, up in zip(("x", "y"), ups):
        s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=up)
    assert usage(rgwa, b) == {"rgw.multimeta": multimeta(0)}


def test_reuploaded_part_replaces_the_old_one(rgw, admin, rgwa, uid):
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    part(s3, b, "k", up, 1, 100)
    p = part(s3, b, "k", up, 1, 5000, fill=b"q")
    # radosgw counts both copies (size 300 / 2 objects in its probe); the old one goes here
    assert usage(rgwa, b) == {"rgw.main": main([5000]), "rgw.multimeta": multimeta(1)}
    assert [(x["PartNumber"], x["Size"]) for x in
            s3.list_parts(Bucket=b, Key="k", UploadId=up)["Parts"]] == [(1, 5000)]
    s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up, MultipartUpload={"Parts": [p]})
    assert usage(rgwa, b) == {"rgw.main": main([5000]), "rgw.multimeta": multimeta(0)}
    assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b"q" * 5000
    s3.delete_object(Bucket=b, Key="k")
    assert usage(rgwa, b) == {"rgw.main": main([]), "rgw.multimeta": multimeta(0)}
    # the same with abort: nothing left over
    up = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    part(s3, b, "k", up, 1, 0)
    part(s3, b, "k", up, 1, 10)
    assert usage(rgwa, b) == {"rgw.main": main([10]), "rgw.multimeta": multimeta(1)}
    s3.abort_multipart_upload(Bucket=b, Key="k", UploadId=up)
    assert usage(rgwa, b) == {"rgw.main": main([]), "rgw.multimeta": multimeta(0)}
    assert keys(s3, b) == []


def test_parts_left_out_of_complete_stop_counting(rgw, admin, rgwa, uid):
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    up = s3.create_multipart_upload(Bucket=b, Key="k")["UploadId"]
    p1 = part(s3, b, "k", up, 1, 5 * MiB)
    part(s3, b, "k", up, 2, 300)
    p3 = part(s3, b, "k", up, 3, 700)
    assert usage(rgwa, b)["rgw.main"] == main([5 * MiB, 300, 700])
    s3.complete_multipart_upload(Bucket=b, Key="k", UploadId=up,
                                 MultipartUpload={"Parts": [p1, p3]})
    assert usage(rgwa, b) == {"rgw.main": main([5 * MiB + 700]), "rgw.multimeta": multimeta(0)}


def test_size_quota_refuses_upload_part(rgw, admin, rgwa, uid):
    """The oracle's 4a: max_size 7000000 over a 1000 B object and a 6 MiB one."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="small", Body=b"s" * 1000)
    up = s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    ps = [part(s3, b, "big", up, 1, 5 * MiB), part(s3, b, "big", up, 2, MiB)]
    s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload={"Parts": ps})
    set_quota(admin, uid, b, max_size=7000000, max_objects=-1)
    q = rgwa.get_bucket(bucket=b)["bucket_quota"]
    assert (q["max_size"], q["max_size_kb"], q["max_objects"]) == (7000000, 6836, -1)

    up = s3.create_multipart_upload(Bucket=b, Key="q1")["UploadId"]    # never refused
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "q1", up, 1, 5 * MiB))    # 6295552 + 5242880 > 7000000
    assert state(rgwa, s3, b) == before
    p = part(s3, b, "q1", up, 1, 512 * 1024)
    assert usage(rgwa, b)["rgw.main"] == main([1000, 6 * MiB, 512 * 1024])
    assert usage(rgwa, b)["rgw.main"]["size"] == 6816744
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "q1", up, 2, 512 * 1024))    # 6819840 + 524288 > 7000000
    refused(lambda: s3.put_object(Bucket=b, Key="five", Body=b"f" * 5 * MiB))
    assert state(rgwa, s3, b) == before
    # completing is never refused, and changes no size
    s3.complete_multipart_upload(Bucket=b, Key="q1", UploadId=up, MultipartUpload={"Parts": [p]})
    assert usage(rgwa, b) == {"rgw.main": main([1000, 6 * MiB, 512 * 1024]),
                              "rgw.multimeta": multimeta(0)}
    assert keys(s3, b) == ["big", "q1", "small"]


def test_size_quota_counts_4k_blocks(rgw, admin, rgwa, uid):
    """The oracle's 4e: sizes count rounded up to 4 KiB, the limit itself is allowed."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    set_quota(admin, uid, b, max_size=8192, max_objects=-1)
    s3.put_object(Bucket=b, Key="a", Body=b"a" * 4096)
    s3.put_object(Bucket=b, Key="b", Body=b"b")    # 4096 + 4096 = 8192, not > 8192
    refused(lambda: s3.put_object(Bucket=b, Key="c", Body=b"c"))
    assert usage(rgwa, b) == {"rgw.main": main([4096, 1])}
    set_quota(admin, uid, b, max_size=8193, max_objects=-1)
    up = s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "m", up, 1, 1))    # 8192 + 4096 > 8193
    assert state(rgwa, s3, b) == before


def test_object_quota_refuses_upload_part(rgw, admin, rgwa, uid):
    """The oracle's 4b: max_objects=2 with one object; open uploads count."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="one", Body=b"o" * 1000)
    set_quota(admin, uid, b, max_size=-1, max_objects=2)
    up = s3.create_multipart_upload(Bucket=b, Key="m1")["UploadId"]
    assert usage(rgwa, b) == {"rgw.main": main([1000]), "rgw.multimeta": multimeta(1)}
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "m1", up, 1, 5 * MiB))    # 1 + 1 + 1 > 2
    refused(lambda: part(s3, b, "m1", up, 2, MiB))
    refused(lambda: s3.upload_part_copy(Bucket=b, Key="m1", UploadId=up, PartNumber=3,
                                        CopySource={"Bucket": b, "Key": "one"}))
    assert state(rgwa, s3, b) == before
    # a second upload may still start, past the limit; everything else stays refused
    up2 = s3.create_multipart_upload(Bucket=b, Key="m2")["UploadId"]
    before = state(rgwa, s3, b)
    refused(lambda: s3.put_object(Bucket=b, Key="two", Body=b"t" * 10))
    assert state(rgwa, s3, b) == before
    assert usage(rgwa, b) == {"rgw.main": main([1000]), "rgw.multimeta": multimeta(2)}
    assert keys(s3, b) == ["one"]
    for k, u in (("m1", up), ("m2", up2)):
        s3.abort_multipart_upload(Bucket=b, Key=k, UploadId=u)
    assert usage(rgwa, b) == {"rgw.main": main([1000]), "rgw.multimeta": multimeta(0)}


def test_object_quota_counts_every_part_upload(rgw, admin, rgwa, uid):
    """The oracle's 4c: max_objects=3 with one object; a re-upload counts +1 when checked."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="one", Body=b"o" * 1000)
    set_quota(admin, uid, b, max_size=-1, max_objects=3)
    up = s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
    p = part(s3, b, "m", up, 1, 5 * MiB)    # 1 + 1 + 1 = 3, not > 3
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "m", up, 1, 5 * MiB))
    refused(lambda: part(s3, b, "m", up, 2, 10))
    assert state(rgwa, s3, b) == before
    s3.complete_multipart_upload(Bucket=b, Key="m", UploadId=up, MultipartUpload={"Parts": [p]})
    assert usage(rgwa, b) == {"rgw.main": main([1000, 5 * MiB]), "rgw.multimeta": multimeta(0)}


def test_complete_ignores_a_tightened_quota(rgw, admin, rgwa, uid):
    """The oracle's 4d: the quota shrinks under uploaded parts; Complete still succeeds."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    s3.put_object(Bucket=b, Key="small", Body=b"s" * 1000)
    up = s3.create_multipart_upload(Bucket=b, Key="big")["UploadId"]
    ps = [part(s3, b, "big", up, 1, 5 * MiB), part(s3, b, "big", up, 2, MiB)]
    set_quota(admin, uid, b, max_size=1000000, max_objects=1)
    s3.complete_multipart_upload(Bucket=b, Key="big", UploadId=up, MultipartUpload={"Parts": ps})
    assert usage(rgwa, b)["rgw.main"] == main([1000, 6 * MiB])
    assert keys(s3, b) == ["big", "small"]


def test_user_quota_counts_parts(rgw, admin, rgwa, uid):
    """A user quota sees parts (they are rgw.main objects) but not the uploads themselves."""
    s3 = client_for(admin, rgw, uid)
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    rgwa.set_user_quota(uid=uid, quota_type="user", max_objects=2, enabled=True)
    up = s3.create_multipart_upload(Bucket=b, Key="m")["UploadId"]
    part(s3, b, "m", up, 1, 5 * MiB)
    part(s3, b, "m", up, 2, 10)    # multimeta is not in user stats: 1 + 1 = 2
    before = state(rgwa, s3, b)
    refused(lambda: part(s3, b, "m", up, 3, 10))
    refused(lambda: s3.put_object(Bucket=b, Key="x", Body=b"x"))
    assert state(rgwa, s3, b) == before
    s3.abort_multipart_upload(Bucket=b, Key="m", UploadId=up)
    s3.put_object(Bucket=b, Key="x", Body=b"x")
    assert keys(s3, b) == ["x"]
