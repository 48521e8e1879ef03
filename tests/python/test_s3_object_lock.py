"""S3 object lock as radosgw 16.2.15 answers it (probed with ../notes/probes-29 objlock.py;
its summary is the reference): a bucket created with it keeps versioning on for good and
takes a default retention; versions get retentions and legal holds from PutObject's headers,
`?retention`, `?legal-hold` or the default, and a version under one is not deleted by id
(a delete without an id still only adds a delete marker).

Runs against radosgw too: RGW_EXTERNAL_URL=http://127.0.0.1:7480 python -m pytest
tests/python/test_s3_object_lock.py.

Where rgw-admin departs from radosgw on purpose: a retain-until date past 2106 holds here
(radosgw keeps 32-bit seconds, so it wraps to a date long gone and the version can be
deleted at once), and a wrong Content-MD5 on these PUTs is BadDigest (radosgw ignores it).
"""
import datetime
import re

import pytest
from botocore.exceptions import ClientError

import helpers

S3NS = helpers.S3NS
DECL = helpers.XML_DECL
FUTURE = datetime.datetime(2030, 1, 1, tzinfo=datetime.timezone.utc)


def User(target, uid):
    return helpers.S3User(target, uid, f"Lock {uid}")


@pytest.fixture
def owner(target, uid):
    return User(target, f"{uid}-o")


@pytest.fixture
def bucket(owner, uid):
    b = f"{uid}-l"
    r = owner.raw.put(f"/{b}", headers={"x-amz-bucket-object-lock-enabled": "true"})
    assert r.status_code == 200, r.text
    return b


def answer(r):
    code = re.search(r"<Code>([^<]*)</Code>", r.text)
    message = re.search(r"<Message>([^<]*)</Message>", r.text)
    return r.status_code, code and code.group(1), message and message.group(1)


def lock_config(body):
    return (f"<ObjectLockConfiguration {S3NS}><ObjectLockEnabled>Enabled</ObjectLockEnabled>"
            f"{body}</ObjectLockConfiguration>").encode()


def rule(mode, period):
    return f"<Rule><DefaultRetention><Mode>{mode}</Mode>{period}</DefaultRetention></Rule>"


def code_of(e):
    return (e.value.response["ResponseMetadata"]["HTTPStatusCode"],
            e.value.response["Error"]["Code"])


def test_bucket_configuration(owner, target, uid, bucket):
    b = bucket
    assert owner.s3.get_bucket_versioning(Bucket=b)["Status"] == "Enabled"
    r = owner.raw.get(f"/{b}", [("object-lock", None)])
    assert r.text == (f"{DECL}<ObjectLockConfiguration><ObjectLockEnabled>Enabled"
                      "</ObjectLockEnabled></ObjectLockConfiguration>")
    r = owner.raw.put(f"/{b}", [("versioning", None)], body=(
        f"<VersioningConfiguration {S3NS}><Status>Suspended</Status>"
        "</VersioningConfiguration>").encode())
    assert answer(r) == (409, "InvalidBucketState", "bucket versioning cannot be disabled on "
                         "buckets with object lock enabled")
    for value in ("1", "yes", ""):
        r = owner.raw.put(f"/{b}-x", headers={"x-amz-bucket-object-lock-enabled": value})
        assert answer(r)[:2] == (400, "InvalidArgument"), value
        assert owner.raw.request("HEAD", f"/{b}-x").status_code == 404
    r = owner.raw.put(f"/{b}", [("object-lock", None)],
                      body=lock_config(rule("GOVERNANCE", "<Days>1</Days>")))
    assert (r.status_code, r.content) == (200, b"")
    assert owner.raw.get(f"/{b}", [("object-lock", None)]).text == (
        f"{DECL}<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule>"
        "<DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule>"
        "</ObjectLockConfiguration>")
    got = owner.s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled",
                   "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    # Refused documents change nothing.
    for body, want in [
            (lock_config(rule("abc", "<Days>1</Days>")), (400, "MalformedXML")),
            (lock_config(rule("governance", "<Days>1</Days>")), (400, "MalformedXML")),
            (lock_config(rule("COMPLIANCE", "<Days>1</Days><Years>1</Years>")),
             (400, "MalformedXML")),
            (lock_config(rule("COMPLIANCE", "")), (400, "MalformedXML")),
            (lock_config("<Rule></Rule>"), (400, "MalformedXML")),
            (lock_config(rule("COMPLIANCE", "<Days>0</Days>")), (400, "InvalidRetentionPeriod")),
            (lock_config(rule("COMPLIANCE", "<Years>-1</Years>")),
             (400, "InvalidRetentionPeriod")),
            (b"<ObjectLockConfiguration><ObjectLockEnabled>Disabled</ObjectLockEnabled>"
             b"</ObjectLockConfiguration>", (400, "MalformedXML")),
            (b"<x", (400, "MalformedXML"))]:
        r = owner.raw.put(f"/{b}", [("object-lock", None)], body=body)
        assert answer(r)[:2] == want, (body, r.text)
    assert owner.s3.get_object_lock_configuration(Bucket=b)["ObjectLockConfiguration"] == got
    other = User(target, f"{uid}-x")
    for method in ("GET", "PUT"):
        r = other.raw.request(method, f"/{b}", [("object-lock", None)],
                              body=lock_config("") if method == "PUT" else None)
        assert answer(r)[:2] == (403, "AccessDenied"), method
    # The rule alone goes with an Enabled-only document.
    assert owner.raw.put(f"/{b}", [("object-lock", None)], body=lock_config("")).status_code \
        == 200
    assert "Rule" not in owner.s3.get_object_lock_configuration(Bucket=b)[
        "ObjectLockConfiguration"]


def test_default_and_explicit_retention_and_holds(owner, bucket):
    b = bucket
    owner.raw.put(f"/{b}", [("object-lock", None)],
                  body=lock_config(rule("GOVERNANCE", "<Days>1</Days>")))
    v1 = owner.s3.put_object(Bucket=b, Key="k", Body=b"1")["VersionId"]
    h = owner.s3.head_object(Bucket=b, Key="k")
    assert h["ObjectLockMode"] == "GOVERNANCE"
    assert h["ObjectLockRetainUntilDate"] - h["LastModified"] < datetime.timedelta(days=1, seconds=2)
    assert h["ObjectLockRetainUntilDate"] - h["LastModified"] > datetime.timedelta(hours=23)
    r = owner.raw.request("HEAD", f"/{b}/k")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z",
                        r.headers["x-amz-object-lock-retain-until-date"])
    assert "x-amz-object-lock-legal-hold" not in r.headers
    assert answer(owner.raw.get(f"/{b}/k", [("legal-hold", None)]))[:2] == \
        (404, "ObjectLockConfigurationNotFoundError")
    # Explicit headers win over the default; a legal hold sticks even when OFF.
    r = owner.raw.put(f"/{b}/k", body=b"2", headers={
        "x-amz-object-lock-mode": "COMPLIANCE",
        "x-amz-object-lock-retain-until-date": "2030-01-01T00:00:00.5Z",
        "x-amz-object-lock-legal-hold": "ON"})
    assert r.status_code == 200, r.text
    v2 = r.headers["x-amz-version-id"]
    r = owner.raw.get(f"/{b}/k", [("retention", None), ("versionId", v2)])
    assert r.text == (f"{DECL}<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>"
                      "2030-01-01T00:00:00.500000000Z</RetainUntilDate></Retention>")
    assert owner.raw.get(f"/{b}/k", [("legal-hold", None)]).text == \
        f"{DECL}<LegalHold><Status>ON</Status></LegalHold>"
    for headers in ({"x-amz-object-lock-mode": "GOVERNANCE"},
                    {"x-amz-object-lock-mode": "GOVERNANCE",
                     "x-amz-object-lock-retain-until-date": "2020-01-01T00:00:00Z"},
                    {"x-amz-object-lock-legal-hold": "on"}):
        assert answer(owner.raw.put(f"/{b}/bad", body=b"x", headers=headers))[:2] == \
            (400, "InvalidArgument"), headers

    # Deletes by id: the hold and the retention keep a version; without an id, a marker.
    for bypass in ({}, {"x-amz-bypass-governance-retention": "true"}):
        r = owner.raw.delete(f"/{b}/k", [("versionId", v2)], headers=bypass)
        assert answer(r) == (403, "AccessDenied", "forbidden by object lock")
    r = owner.raw.delete(f"/{b}/k")
    assert r.status_code == 204 and r.headers["x-amz-delete-marker"] == "true"
    owner.raw.delete(f"/{b}/k", [("versionId", r.headers["x-amz-version-id"])])
    owner.s3.put_object_legal_hold(Bucket=b, Key="k", VersionId=v2, LegalHold={"Status": "OFF"})
    assert owner.raw.request("HEAD", f"/{b}/k").headers["x-amz-object-lock-legal-hold"] == "OFF"
    r = owner.raw.delete(f"/{b}/k", [("versionId", v2)],
                         headers={"x-amz-bypass-governance-retention": "true"})
    assert answer(r)[:2] == (403, "AccessDenied")  # compliance: no bypass
    # Governance gives way to the bypass (only `true`, in any case).
    r = owner.raw.delete(f"/{b}/k", [("versionId", v1)],
                         headers={"x-amz-bypass-governance-retention": "1"})
    assert r.status_code == 403
    r = owner.raw.delete(f"/{b}/k", [("versionId", v1)],
                         headers={"x-amz-bypass-governance-retention": "True"})
    assert (r.status_code, r.headers.get("x-amz-version-id")) == (204, v1)


def test_retention_changes(owner, bucket):
    b = bucket
    v = owner.s3.put_object(Bucket=b, Key="k", Body=b"x")["VersionId"]

    def put(mode, until, bypass=False):
        body = (f"<Retention {S3NS}><Mode>{mode}</Mode><RetainUntilDate>{until}"
                "</RetainUntilDate></Retention>").encode()
        headers = {"x-amz-bypass-governance-retention": "true"} if bypass else {}
        return owner.raw.put(f"/{b}/k", [("retention", None), ("versionId", v)], body=body,
                             headers=headers)
    assert answer(owner.raw.get(f"/{b}/k", [("retention", None)]))[:2] == \
        (404, "ObjectLockConfigurationNotFoundError")
    assert put("GOVERNANCE", "2030-01-01T00:00:00Z").status_code == 200
    assert put("GOVERNANCE", "2031-01-01T00:00:00Z").status_code == 200
    shorten = ("proposed retain-until date shortens an existing retention period and "
               "governance bypass check failed")
    assert answer(put("GOVERNANCE", "2030-06-01T00:00:00Z")) == (403, "AccessDenied", shorten)
    assert put("GOVERNANCE", "2030-06-01T00:00:00Z", bypass=True).status_code == 200
    assert answer(put("COMPLIANCE", "2032-01-01T00:00:00Z")) == (
        403, "AccessDenied", "can&apos;t change retention mode from GOVERNANCE without "
        "governance bypass")
    assert put("COMPLIANCE", "2032-01-01T00:00:00Z", bypass=True).status_code == 200
    assert answer(put("GOVERNANCE", "2033-01-01T00:00:00Z", bypass=True)) == (
        403, "AccessDenied", "can&apos;t change retention mode from COMPLIANCE to GOVERNANCE")
    assert answer(put("COMPLIANCE", "2031-01-01T00:00:00Z", bypass=True)) == \
        (403, "AccessDenied", shorten)
    assert answer(put("COMPLIANCE", "2020-01-01T00:00:00Z")) == \
        (400, "InvalidArgument", "the retain-until date must be in the future")
    for mode, until in (("governance", "2040-01-01T00:00:00Z"), ("COMPLIANCE", "garbage")):
        assert answer(put(mode, until))[:2] == (400, "MalformedXML")
    r = owner.s3.get_object_retention(Bucket=b, Key="k")["Retention"]
    assert r == {"Mode": "COMPLIANCE",
                 "RetainUntilDate": datetime.datetime(2032, 1, 1, tzinfo=datetime.timezone.utc)}
    # A legal hold's status is ON or OFF, exactly.
    body = f"<LegalHold {S3NS}><Status>on</Status></LegalHold>".encode()
    assert answer(owner.raw.put(f"/{b}/k", [("legal-hold", None)], body=body))[:2] == \
        (400, "MalformedXML")


def test_delete_objects_copies_and_completions(owner, uid, bucket):
    b = bucket
    owner.raw.put(f"/{b}", [("object-lock", None)],
                  body=lock_config(rule("GOVERNANCE", "<Days>1</Days>")))
    locked = owner.s3.put_object(Bucket=b, Key="g", Body=b"g")["VersionId"]
    held = owner.s3.put_object(Bucket=b, Key="h", Body=b"h", ObjectLockLegalHoldStatus="ON",
                               ObjectLockMode="COMPLIANCE",
                               ObjectLockRetainUntilDate=FUTURE)["VersionId"]
    r = owner.s3.delete_objects(Bucket=b, Delete={"Objects": [
        {"Key": "g", "VersionId": locked}, {"Key": "h", "VersionId": held}, {"Key": "n"}]})
    errors = sorted((e["Key"], e["VersionId"], e["Code"], e["Message"]) for e in r["Errors"])
    assert errors == [("g", locked, "AccessDenied", "AccessDenied"),
                      ("h", held, "AccessDenied", "AccessDenied")]
    assert [d["Key"] for d in r["Deleted"]] == ["n"]
    # A copy takes its source's lock; one without any takes the bucket's default.
    owner.s3.copy_object(Bucket=b, Key="c", CopySource={"Bucket": b, "Key": "h"})
    h = owner.s3.head_object(Bucket=b, Key="c")
    assert (h["ObjectLockMode"], h["ObjectLockLegalHoldStatus"]) == ("COMPLIANCE", "ON")
    plain = f"{uid}-p"
    owner.s3.create_bucket(Bucket=plain)
    owner.s3.put_object(Bucket=plain, Key="s", Body=b"s")
    owner.s3.copy_object(Bucket=b, Key="d", CopySource={"Bucket": plain, "Key": "s"})
    assert owner.s3.head_object(Bucket=b, Key="d")["ObjectLockMode"] == "GOVERNANCE"
    owner.s3.copy_object(Bucket=plain, Key="t", CopySource={"Bucket": b, "Key": "h"})
    assert "ObjectLockMode" not in owner.s3.head_object(Bucket=plain, Key="t")
    # A completion gets the default only, whatever the upload asked for.
    up = owner.s3.create_multipart_upload(Bucket=b, Key="mp", ObjectLockMode="COMPLIANCE",
                                          ObjectLockRetainUntilDate=FUTURE)["UploadId"]
    etag = owner.s3.upload_part(Bucket=b, Key="mp", UploadId=up, PartNumber=1,
                                Body=b"p")["ETag"]
    v = owner.s3.complete_multipart_upload(Bucket=b, Key="mp", UploadId=up, MultipartUpload={
        "Parts": [{"PartNumber": 1, "ETag": etag}]})["VersionId"]
    h = owner.s3.head_object(Bucket=b, Key="mp")
    assert h["ObjectLockMode"] == "GOVERNANCE" and "ObjectLockLegalHoldStatus" not in h
    with pytest.raises(ClientError) as e:
        owner.s3.delete_object(Bucket=b, Key="mp", VersionId=v)
    assert code_of(e) == (403, "AccessDenied")
    # Lock requests on a bucket without it answer as radosgw does there.
    assert answer(owner.raw.put(f"/{plain}/s", headers={"x-amz-object-lock-legal-hold": "ON"},
                                body=b"x"))[:2] == (400, "InvalidRequest")
