"""S3 bucket versioning as radosgw 16.2.15 answers it (probed with ../notes/probes-29
versioning.py; its summary is the reference): Get/PutBucketVersioning, version ids on writes
and reads, delete markers, the null version and suspended buckets, ListObjectVersions,
DeleteObjects with versions, copies and completions, per-version ACLs and tags, and the
admin view (stats count every version, delete markers nothing; a bucket with versions left
is not empty).

Runs against radosgw too: RGW_EXTERNAL_URL=http://127.0.0.1:7480 python -m pytest
tests/python/test_s3_versioning.py (tests that restart a server or wait for the lifecycle
are ours alone).

Where rgw-admin departs from radosgw on purpose: a `key-marker` without `version-id-marker`
resumes after that key (AWS's rule; radosgw lists the key's versions again), and
DeleteObjects answers in request order (radosgw in the order its concurrent deletes end).
"""
import os
import re
import time

import pytest
from botocore.exceptions import ClientError

import helpers

S3NS = helpers.S3NS
XML_DECL = helpers.XML_DECL


def User(target, uid):
    return helpers.S3User(target, uid, f"Versions {uid}")


@pytest.fixture
def owner(target, uid):
    return User(target, f"{uid}-o")


@pytest.fixture
def bucket(owner, uid):
    b = f"{uid}-v"
    owner.s3.create_bucket(Bucket=b)
    return b


def versioning(owner, b, status):
    body = f"<VersioningConfiguration {S3NS}><Status>{status}</Status></VersioningConfiguration>"
    return owner.raw.put(f"/{b}", [("versioning", None)], body=body.encode())


def code_of(e):
    return (e.value.response["ResponseMetadata"]["HTTPStatusCode"],
            e.value.response["Error"]["Code"])


def xml_code(r):
    m = re.search(r"<Code>([^<]*)</Code>", r.text)
    return r.status_code, m.group(1) if m else None


def versions(owner, b, **kw):
    """(key, version id, is latest, delete marker?) in listing order."""
    r = owner.raw.get(f"/{b}", [("versions", None)] + [(k, v) for k, v in kw.items()])
    assert r.status_code == 200, r.text
    out = []
    for kind, body in re.findall(r"<(Version|DeleteMarker)>(.*?)</\1>", r.text):
        key = re.search(r"<Key>(.*?)</Key>", body).group(1)
        vid = re.search(r"<VersionId>(.*?)</VersionId>", body).group(1)
        latest = re.search(r"<IsLatest>(.*?)</IsLatest>", body).group(1) == "true"
        out.append((key, vid, latest, kind == "DeleteMarker"))
    return out, r.text


def rgw_main(target, b):
    st = target.admin().get("/admin/bucket", [("bucket", b), ("stats", "true")]).json()
    m = st["usage"].get("rgw.main", {})
    return m.get("num_objects", 0), m.get("size", 0)


def test_configuration(owner, target, uid, bucket):
    b = bucket
    empty = f"{XML_DECL}<VersioningConfiguration {S3NS}></VersioningConfiguration>"
    assert owner.raw.get(f"/{b}", [("versioning", None)]).text == empty
    for status in ("Enabled", "Suspended", "Enabled"):
        r = versioning(owner, b, status)
        assert (r.status_code, r.content) == (200, b""), r.text
        assert r.headers["Content-Type"] == "application/xml"
        assert owner.raw.get(f"/{b}", [("versioning", None)]).text == (
            f"{XML_DECL}<VersioningConfiguration {S3NS}><Status>{status}</Status>"
            "<MfaDelete>Disabled</MfaDelete></VersioningConfiguration>")
    assert owner.s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    # Bad documents are InvalidArgument (radosgw's word for all of them) and change nothing.
    for body in (f"<VersioningConfiguration {S3NS}><Status>Bogus</Status></VersioningConfiguration>",
                 f"<VersioningConfiguration {S3NS}><Status>suspended</Status></VersioningConfiguration>",
                 f"<VersioningConfiguration {S3NS}></VersioningConfiguration>",
                 "<Foo><Status>Suspended</Status></Foo>", "<VersioningConfiguration><Status>",
                 ""):
        r = owner.raw.put(f"/{b}", [("versioning", None)], body=body.encode())
        assert xml_code(r) == (400, "InvalidArgument"), (body, r.text)
    mfa = (f"<VersioningConfiguration {S3NS}><Status>Suspended</Status>"
           "<MfaDelete>Enabled</MfaDelete></VersioningConfiguration>")
    r = owner.raw.put(f"/{b}", [("versioning", None)], body=mfa.encode())
    assert xml_code(r) == (403, "AccessDenied")
    other = User(target, f"{uid}-x")
    assert xml_code(versioning(other, b, "Suspended")) == (403, "AccessDenied")
    assert owner.s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    with pytest.raises(ClientError) as e:
        owner.s3.get_bucket_versioning(Bucket=f"{b}-missing")
    assert code_of(e) == (404, "NoSuchBucket")


def test_versions_and_delete_markers(owner, target, bucket):
    b = bucket
    assert versioning(owner, b, "Enabled").status_code == 200
    ids = [owner.s3.put_object(Bucket=b, Key="k", Body=f"body {i}".encode())["VersionId"]
           for i in range(3)]
    assert len(set(ids)) == 3
    assert all(len(v) == 31 and re.fullmatch(r"[0-9A-Za-z.-]+", v) for v in ids)
    r = owner.s3.get_object(Bucket=b, Key="k")
    assert (r["VersionId"], r["Body"].read()) == (ids[2], b"body 2")
    r = owner.s3.get_object(Bucket=b, Key="k", VersionId=ids[0])
    assert (r["VersionId"], r["Body"].read()) == (ids[0], b"body 0")
    assert owner.s3.head_object(Bucket=b, Key="k", VersionId=ids[1])["ContentLength"] == 6
    r = owner.s3.get_object(Bucket=b, Key="k", VersionId=ids[0], Range="bytes=0-2")
    assert r["Body"].read() == b"bod"
    for bad in ("bogus-id", "A" * 32, "null"):
        with pytest.raises(ClientError) as e:
            owner.s3.get_object(Bucket=b, Key="k", VersionId=bad)
        assert code_of(e) == (404, "NoSuchKey")
    # An empty versionId names no version: the latest.
    assert owner.raw.get(f"/{b}/k", [("versionId", "")]).content == b"body 2"
    assert rgw_main(target, b) == (3, 18)

    # A delete leaves a marker; the object reads as missing, its versions stay.
    r = owner.raw.delete(f"/{b}/k")
    assert r.status_code == 204
    dm = r.headers["x-amz-version-id"]
    assert r.headers["x-amz-delete-marker"] == "true"
    for method in ("GET", "HEAD"):
        r = owner.raw.request(method, f"/{b}/k")
        assert r.status_code == 404
        assert "x-amz-delete-marker" not in r.headers
    assert xml_code(owner.raw.get(f"/{b}/k", [("versionId", dm)])) == (404, "NoSuchKey")
    # radosgw adds no second marker over one.
    r = owner.raw.delete(f"/{b}/k")
    assert r.status_code == 204 and "x-amz-version-id" not in r.headers
    listed, _ = versions(owner, b)
    assert listed == [("k", dm, True, True), ("k", ids[2], False, False),
                      ("k", ids[1], False, False), ("k", ids[0], False, False)]
    assert owner.s3.list_objects_v2(Bucket=b)["KeyCount"] == 0
    assert rgw_main(target, b) == (3, 18)

    # Deleting the marker brings the newest version back.
    r = owner.raw.delete(f"/{b}/k", [("versionId", dm)])
    assert (r.status_code, r.headers["x-amz-version-id"], r.headers["x-amz-delete-marker"]) == \
        (204, dm, "true")
    assert owner.s3.get_object(Bucket=b, Key="k")["VersionId"] == ids[2]
    # Deleting the current version by id makes the next one current.
    r = owner.raw.delete(f"/{b}/k", [("versionId", ids[2])])
    assert r.headers["x-amz-version-id"] == ids[2] and "x-amz-delete-marker" not in r.headers
    r = owner.s3.get_object(Bucket=b, Key="k")
    assert (r["VersionId"], r["Body"].read()) == (ids[1], b"body 1")
    assert rgw_main(target, b) == (2, 12)
    # A version that is gone (or never was) is no error and names nothing.
    for gone in (ids[2], "bogus-id"):
        r = owner.raw.delete(f"/{b}/k", [("versionId", gone)])
        assert r.status_code == 204 and "x-amz-version-id" not in r.headers
    # A missing null version is named back in a bucket that has versioning.
    r = owner.raw.delete(f"/{b}/k", [("versionId", "null")])
    assert (r.status_code, r.headers.get("x-amz-version-id")) == (204, "null")
    # A bucket is not empty while any version or marker is left.
    owner.raw.delete(f"/{b}/gone")
    for vid in (ids[1], ids[0]):
        owner.raw.delete(f"/{b}/k", [("versionId", vid)])
    with pytest.raises(ClientError) as e:
        owner.s3.delete_bucket(Bucket=b)
    assert code_of(e) == (409, "BucketNotEmpty")
    (gone_dm,) = [v for k, v, _, _ in versions(owner, b)[0] if k == "gone"]
    owner.raw.delete(f"/{b}/gone", [("versionId", gone_dm)])
    assert rgw_main(target, b) == (0, 0)
    assert owner.s3.delete_bucket(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_null_version_and_suspended(owner, target, bucket):
    b = bucket
    owner.s3.put_object(Bucket=b, Key="a", Body=b"0")
    # A never-versioned object is the null version: named only when asked for by name.
    r = owner.raw.get(f"/{b}/a", [("versionId", "null")])
    assert (r.status_code, r.headers["x-amz-version-id"]) == (200, "null")
    assert "x-amz-version-id" not in owner.raw.get(f"/{b}/a").headers
    versioning(owner, b, "Enabled")
    v1 = owner.s3.put_object(Bucket=b, Key="a", Body=b"11")["VersionId"]
    assert [x[:3] for x in versions(owner, b)[0]] == [("a", v1, True), ("a", "null", False)]
    assert owner.raw.get(f"/{b}/a", [("versionId", "null")]).content == b"0"
    versioning(owner, b, "Suspended")
    # Suspended: writes are the null version, which each write replaces.
    r = owner.raw.put(f"/{b}/a", body=b"2222")
    assert r.status_code == 200 and "x-amz-version-id" not in r.headers
    owner.raw.put(f"/{b}/a", body=b"33333333")
    assert [x[:3] for x in versions(owner, b)[0]] == [("a", "null", True), ("a", v1, False)]
    assert owner.s3.get_object(Bucket=b, Key="a")["Body"].read() == b"33333333"
    assert rgw_main(target, b) == (2, 10)
    # A delete replaces the null version with a null marker, every time.
    for _ in range(2):
        r = owner.raw.delete(f"/{b}/a")
        assert (r.headers["x-amz-version-id"], r.headers["x-amz-delete-marker"]) == \
            ("null", "true")
    assert versions(owner, b)[0] == [("a", "null", True, True), ("a", v1, False, False)]
    assert rgw_main(target, b) == (1, 2)
    # Deleting the null marker by name brings the newest version back.
    owner.raw.delete(f"/{b}/a", [("versionId", "null")])
    assert owner.s3.get_object(Bucket=b, Key="a")["Body"].read() == b"11"
    # Enabled again: new versions get ids, older ones stay.
    versioning(owner, b, "Enabled")
    v2 = owner.s3.put_object(Bucket=b, Key="a", Body=b"x")["VersionId"]
    assert [x[1] for x in versions(owner, b)[0]] == [v2, v1]


def test_list_versions_paging_and_prefixes(owner, bucket):
    b = bucket
    owner.s3.put_object(Bucket=b, Key="plain", Body=b"p")
    versioning(owner, b, "Enabled")
    for key in ("a", "c/1", "c/2", "d", "plain"):
        for i in range(2):
            owner.s3.put_object(Bucket=b, Key=key, Body=b"x" * i)
    owner.s3.delete_object(Bucket=b, Key="d")
    full, _ = versions(owner, b)
    assert [x[0] for x in full] == ["a", "a", "c/1", "c/1", "c/2", "c/2", "d", "d", "d",
                                    "plain", "plain", "plain"]
    assert [x[2] for x in full] == [True, False] * 3 + [True, False, False] + \
        [True, False, False]
    assert full[6][3] and full[-1][1] == "null"
    # Walking the pages by both markers gives each entry once.
    for size in (1, 2, 5):
        seen, km, vm = [], None, None
        while True:
            kw = {"KeyMarker": km, "VersionIdMarker": vm} if km else {}
            r = owner.s3.list_object_versions(Bucket=b, MaxKeys=size, **kw)
            page = sorted([(v["Key"], v["VersionId"]) for v in r.get("Versions", [])] +
                          [(d["Key"], d["VersionId"]) for d in r.get("DeleteMarkers", [])])
            seen += page
            assert len(page) <= size
            if not r["IsTruncated"]:
                break
            km, vm = r["NextKeyMarker"], r["NextVersionIdMarker"]
        assert sorted(seen) == sorted((k, v) for k, v, _, _ in full), size
    # Common prefixes count as entries, and are resumed past.
    _, text = versions(owner, b, delimiter="/", **{"max-keys": "3"})
    assert "<CommonPrefixes><Prefix>c/</Prefix></CommonPrefixes>" in text
    assert "<NextKeyMarker>c/</NextKeyMarker><NextVersionIdMarker>null</NextVersionIdMarker>" \
        in text
    listed, _ = versions(owner, b, delimiter="/", **{"key-marker": "c/",
                                                     "version-id-marker": "null"})
    assert listed[0][0] == "d"
    listed, _ = versions(owner, b, prefix="c/")
    assert {k for k, _, _, _ in listed} == {"c/1", "c/2"}
    # The current listing hides what a delete marker covers.
    assert [o["Key"] for o in owner.s3.list_objects(Bucket=b)["Contents"]] == \
        ["a", "c/1", "c/2", "plain"]


def test_delete_objects_with_versions(owner, bucket):
    b = bucket
    versioning(owner, b, "Enabled")
    x1 = owner.s3.put_object(Bucket=b, Key="x", Body=b"1")["VersionId"]
    owner.s3.put_object(Bucket=b, Key="x", Body=b"2")
    zdm = owner.s3.delete_object(Bucket=b, Key="z")["VersionId"]
    r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "x", "VersionId": x1}, {"Key": "z", "VersionId": zdm},
        {"Key": "w", "VersionId": "bogus-id"}, {"Key": "y"}]})
    got = {d["Key"]: d for d in r["Deleted"]}
    assert got["x"] == {"Key": "x", "VersionId": x1}
    assert got["z"] == {"Key": "z", "VersionId": zdm, "DeleteMarker": True,
                        "DeleteMarkerVersionId": zdm}
    assert got["w"] == {"Key": "w", "VersionId": "bogus-id"}
    assert got["y"]["DeleteMarker"] is True and len(got["y"]["DeleteMarkerVersionId"]) == 31
    assert "Errors" not in r
    assert [(k, d) for k, _, _, d in versions(owner, b)[0]] == \
        [("x", False), ("y", True)]
    # The latest already a marker: no new one.
    r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "y"}]})
    assert r["Deleted"] == [{"Key": "y"}]
    versioning(owner, b, "Suspended")
    r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "n"}]})
    assert r["Deleted"] == [{"Key": "n", "DeleteMarker": True, "DeleteMarkerVersionId": "null"}]


def test_copy_completion_acl_and_tags_by_version(owner, bucket):
    b = bucket
    versioning(owner, b, "Enabled")
    old = owner.s3.put_object(Bucket=b, Key="src", Body=b"old bytes")["VersionId"]
    owner.s3.put_object(Bucket=b, Key="src", Body=b"new bytes")
    # A copy of an older version, even onto its own key (a restore), adds a version.
    owner.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src",
                                                          "VersionId": old})
    assert owner.s3.get_object(Bucket=b, Key="dst")["Body"].read() == b"old bytes"
    owner.s3.copy_object(Bucket=b, Key="src", CopySource={"Bucket": b, "Key": "src",
                                                          "VersionId": old})
    assert owner.s3.get_object(Bucket=b, Key="src")["Body"].read() == b"old bytes"
    assert len([v for k, v, _, _ in versions(owner, b)[0] if k == "src"]) == 3
    for bad in ("bogus-id", "null"):
        with pytest.raises(ClientError) as e:
            owner.s3.copy_object(Bucket=b, Key="dst", CopySource={"Bucket": b, "Key": "src",
                                                                  "VersionId": bad})
        assert code_of(e) == (404, "NoSuchKey")
    # A completion is a new version, named in its answer.
    up = owner.s3.create_multipart_upload(Bucket=b, Key="mp")["UploadId"]
    etag = owner.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1,
                                Body=b"part")["ETag"]
    r = owner.s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})
    assert owner.s3.head_object(Bucket=b, Key="mp")["VersionId"] == r["VersionId"]
    # ACLs and tags belong to one version.
    owner.s3.put_object_acl(Bucket=b, Key="src", VersionId=old, ACL="public-read")
    grants = owner.s3.get_object_acl(Bucket=b, Key="src", VersionId=old)["Grants"]
    assert any(g["Grantee"].get("URI", "").endswith("AllUsers") for g in grants)
    assert len(owner.s3.get_object_acl(Bucket=b, Key="src")["Grants"]) == 1
    owner.s3.put_object_tagging(Bucket=b, Key="src", VersionId=old,
                                Tagging={"TagSet": [{"Key": "t", "Value": "old"}]})
    assert owner.s3.get_object_tagging(Bucket=b, Key="src", VersionId=old)["TagSet"] == \
        [{"Key": "t", "Value": "old"}]
    assert owner.s3.get_object_tagging(Bucket=b, Key="src")["TagSet"] == []
    with pytest.raises(ClientError) as e:
        owner.s3.get_object_tagging(Bucket=b, Key="src", VersionId="bogus-id")
    assert code_of(e) == (404, "NoSuchKey")


def test_purge_removes_every_version(owner, target, bucket):
    b = bucket
    versioning(owner, b, "Enabled")
    for i in range(3):
        owner.s3.put_object(Bucket=b, Key="k", Body=b"x" * i)
    owner.s3.delete_object(Bucket=b, Key="k")
    r = target.admin().request("DELETE", "/admin/bucket", [("bucket", b),
                                                            ("purge-objects", "true")])
    assert r.status_code == 200, r.text
    with pytest.raises(ClientError) as e:
        owner.s3.head_bucket(Bucket=b)
    assert code_of(e)[0] == 404


@pytest.mark.skipif(bool(helpers.EXTERNAL_URL), reason="restarts our server")
def test_versions_survive_restart_sweep_and_check(tmp_path, start_server):
    """Noncurrent versions keep their data through a restart (the start-up sweep deletes
    only files no entry names) and count in the offline check's sums; a purge leaves the
    store consistent."""
    srv = start_server(data_dir=str(tmp_path / "data"))
    k = srv.admin().create_user("vkeeper")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    s3.create_bucket(Bucket="kept")
    s3.put_bucket_versioning(Bucket="kept", VersioningConfiguration={"Status": "Enabled"})
    old = s3.put_object(Bucket="kept", Key="k", Body=b"first")["VersionId"]
    s3.put_object(Bucket="kept", Key="k", Body=b"second")
    s3.delete_object(Bucket="kept", Key="k")
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "check")
    assert p.returncode == 0, p.stdout + p.stderr
    srv.start()
    time.sleep(1)  # the start-up sweep runs in the background
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    assert s3.get_object(Bucket="kept", Key="k", VersionId=old)["Body"].read() == b"first"
    r = srv.admin().request("DELETE", "/admin/bucket", [("bucket", "kept"),
                                                         ("purge-objects", "true")])
    assert r.status_code == 200, r.text
    srv.stop()
    p = helpers.run_cli(srv.data_dir, "check")
    assert p.returncode == 0, p.stdout + p.stderr
    objects = os.path.join(srv.data_dir, "objects")
    assert not [f for _, _, files in os.walk(objects) for f in files if len(f) == 32]


@pytest.mark.skipif(bool(helpers.EXTERNAL_URL), reason="waits for our lifecycle")
def test_lifecycle_in_a_versioned_bucket(start_server):
    srv = start_server(env={"RGW_ADMIN_LC_DEBUG_INTERVAL": "2"})
    k = srv.admin().create_user("lcv")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    b = "lcv"
    s3.create_bucket(Bucket=b)
    s3.put_bucket_versioning(Bucket=b, VersioningConfiguration={"Status": "Enabled"})
    for key in ("cur/1", "old/1", "gone/1"):
        s3.put_object(Bucket=b, Key=key, Body=b"v1")
        s3.put_object(Bucket=b, Key=key, Body=b"v2")
    s3.delete_object(Bucket=b, Key="gone/1")
    for v in s3.list_object_versions(Bucket=b, Prefix="gone/")["Versions"]:
        s3.delete_object(Bucket=b, Key="gone/1", VersionId=v["VersionId"])
    s3.put_bucket_lifecycle_configuration(Bucket=b, LifecycleConfiguration={"Rules": [
        {"ID": "cur", "Filter": {"Prefix": "cur/"}, "Status": "Enabled",
         "Expiration": {"Days": 1}},
        {"ID": "old", "Filter": {"Prefix": "old/"}, "Status": "Enabled",
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}},
        {"ID": "gone", "Filter": {"Prefix": "gone/"}, "Status": "Enabled",
         "Expiration": {"ExpiredObjectDeleteMarker": True}},
    ]})

    def shape():
        r = s3.list_object_versions(Bucket=b)
        return sorted([(v["Key"], "v") for v in r.get("Versions", [])] +
                      [(d["Key"], "dm") for d in r.get("DeleteMarkers", [])])
    # The current object expires behind a marker (its versions stay); the noncurrent
    # version goes; the marker that was all that was left of an object goes.
    want = [("cur/1", "dm"), ("cur/1", "v"), ("cur/1", "v"), ("old/1", "v")]
    deadline = time.monotonic() + 20
    while shape() != want:
        assert time.monotonic() < deadline, shape()
        time.sleep(0.25)
    assert s3.get_object(Bucket=b, Key="old/1")["Body"].read() == b"v2"
