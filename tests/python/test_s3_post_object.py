"""Browser uploads (S3 POST Object): an HTML form posted to a bucket, as a web page built
with boto3's `generate_presigned_post` (or by hand) sends it with `requests`. Every answer
here was first asked of radosgw 16.2.15 with the same forms (its status, code and Message):
anonymous forms need a public-read-write bucket; a policy's signature (v2 or v4) names the
caller; the policy must cover every field and its conditions hold; `content-length-range`
bounds the file; and a refused form stores nothing."""
import base64
import datetime
import hashlib
import hmac
import json
import os
import socket
import xml.etree.ElementTree as ET

import pytest
import requests
from botocore.exceptions import ClientError

import helpers


@pytest.fixture
def owner(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    bucket = f"{uid}-forms"
    s3.create_bucket(Bucket=bucket)
    return {"ak": k["access_key"], "sk": k["secret_key"], "s3": s3, "bucket": bucket,
            "url": f"{rgw.url}/{bucket}", "uid": uid}


def expiration(seconds=3600):
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def v2_fields(o, conditions, expires_in=3600, secret=None):
    policy = base64.b64encode(json.dumps(
        {"expiration": expiration(expires_in), "conditions": conditions}).encode()).decode()
    sig = hmac.new((secret or o["sk"]).encode(), policy.encode(), hashlib.sha1).digest()
    return [("AWSAccessKeyId", o["ak"]), ("policy", policy),
            ("signature", base64.b64encode(sig).decode())]


def post(url, fields, data=b"form data", filename="up.txt"):
    files = [(k, (None, v)) for k, v in fields]
    if data is not None:
        files.append(("file", (filename, data, "application/octet-stream")))
    return requests.post(url, files=files, allow_redirects=False)


def error(r):
    root = ET.fromstring(r.content)
    return r.status_code, root.findtext("Code"), root.findtext("Message")


def keys(o):
    return [x["Key"] for x in o["s3"].list_objects_v2(Bucket=o["bucket"]).get("Contents", [])]


def test_boto3_presigned_post_uploads(owner):
    """What a web app does: boto3 makes the form (SigV4), the browser posts it."""
    s3, bucket = owner["s3"], owner["bucket"]
    form = s3.generate_presigned_post(
        bucket, "photos/${filename}",
        Fields={"Content-Type": "image/png", "x-amz-meta-album": "holiday"},
        Conditions=[["starts-with", "$key", "photos/"], {"Content-Type": "image/png"},
                    {"x-amz-meta-album": "holiday"}, ["content-length-range", 1, 1 << 20]])
    body = os.urandom(300_000)
    r = requests.post(form["url"], data=form["fields"], files={"file": ("cat.png", body)})
    assert r.status_code == 204, r.text
    assert r.headers["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    o = s3.get_object(Bucket=bucket, Key="photos/cat.png")
    assert o["Body"].read() == body
    assert (o["ContentType"], o["Metadata"]) == ("image/png", {"album": "holiday"})
    # The form's caller owns the object; nobody else reads it.
    assert s3.get_object_acl(Bucket=bucket, Key="photos/cat.png")["Owner"]["ID"] == owner["uid"]
    assert requests.get(f"{owner['url']}/photos/cat.png").status_code == 403


def test_v2_form_answers_and_what_it_stores(owner):
    conditions = [{"bucket": owner["bucket"]}, ["starts-with", "$key", "k"], {"acl": "public-read"},
                  ["starts-with", "$Content-Type", "text/"], ["starts-with", "$tagging", ""],
                  ["content-length-range", 0, 1024], ["starts-with", "$success_action_status", ""]]
    tagging = "<Tagging><TagSet><Tag><Key>t</Key><Value>1</Value></Tag></TagSet></Tagging>"
    base = [("key", "k-${filename}"), ("acl", "public-read"), ("Content-Type", "text/plain"),
            ("tagging", tagging), ("x-ignore-me", "anything")]
    r = post(owner["url"], base + v2_fields(owner, conditions) + [("success_action_status", "201")])
    assert r.status_code == 201, r.text
    doc = ET.fromstring(r.content)
    assert doc.tag == "PostResponse"
    assert [c.tag for c in doc] == ["Location", "Bucket", "Key", "ETag"]
    assert (doc.findtext("Bucket"), doc.findtext("Key")) == (owner["bucket"], "k-up.txt")
    assert doc.findtext("ETag") == hashlib.md5(b"form data").hexdigest()
    assert doc.findtext("Location").endswith(f"/{owner['bucket']}/k-up.txt")
    # public-read from the form's acl; the tags from its XML.
    anon = requests.get(f"{owner['url']}/k-up.txt")
    assert (anon.status_code, anon.content, anon.headers["Content-Type"]) == \
        (200, b"form data", "text/plain")
    tags = owner["s3"].get_object_tagging(Bucket=owner["bucket"], Key="k-up.txt")["TagSet"]
    assert tags == [{"Key": "t", "Value": "1"}]

    for status, want in [("200", 200), ("204", 204), ("999", 204), ("", 204)]:
        r = post(owner["url"], base + v2_fields(owner, conditions)
                 + [("success_action_status", status)])
        assert (r.status_code, r.content) == (want, b""), status
    redirect = conditions + [["eq", "$success_action_redirect", "http://example.com/done"]]
    r = post(owner["url"], base + v2_fields(owner, redirect)
             + [("success_action_redirect", "http://example.com/done")])
    assert r.status_code == 303
    etag = hashlib.md5(b"form data").hexdigest()
    assert r.headers["Location"] == (f"http://example.com/done?bucket={owner['bucket']}"
                                     f"&key=k-up.txt&etag=%22{etag}%22")


def test_v4_form_and_field_names_without_case(owner):
    s3, bucket = owner["s3"], owner["bucket"]
    form = s3.generate_presigned_post(bucket, "v4-key", Conditions=[{"acl": "private"}])
    fields = [(k.upper() if k == "key" else k, v) for k, v in form["fields"].items()]
    r = post(owner["url"], fields + [("ACL", "private")])
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=bucket, Key="v4-key")["Body"].read() == b"form data"
    bad = [(k, "0" * 64 if k == "x-amz-signature" else v) for k, v in form["fields"].items()]
    assert error(post(owner["url"], bad)) == (403, "AccessDenied", "")


# (what the form changes, status, code, message): radosgw 16.2.15's answers.
def refusals(o):
    b = o["bucket"]
    ok = [{"bucket": b}, ["starts-with", "$key", "k"], ["content-length-range", 0, 100]]
    key = [("key", "k-refused")]
    return [
        ("expired", key + v2_fields(o, ok, expires_in=-10), 403, "AccessDenied",
         "Policy expired"),
        ("extra field", key + [("x-amz-meta-a", "1")] + v2_fields(o, ok), 403, "AccessDenied",
         "Policy missing condition: x-amz-meta-a"),
        ("no bucket condition", key + v2_fields(o, ok[1:]), 403, "AccessDenied",
         "Policy missing condition: bucket"),
        ("other bucket", key + v2_fields(o, [{"bucket": "other"}] + ok[1:]), 403, "AccessDenied",
         "Policy check failed, variable not met condition: bucket"),
        ("starts-with", [("key", "z")] + v2_fields(o, ok), 403, "AccessDenied",
         "Policy condition failed: starts-with: $key, k"),
        ("eq", key + v2_fields(o, ok + [["eq", "$key", "other"]]), 403, "AccessDenied",
         "Policy condition failed: eq: $key, other"),
        ("bad signature", key + v2_fields(o, ok, secret="wrong"), 403, "AccessDenied", ""),
        ("unknown key", key + [(k, "NOSUCHKEY000000000000" if k == "AWSAccessKeyId" else v)
                               for k, v in v2_fields(o, ok)], 403, "AccessDenied", ""),
        ("no key", v2_fields(o, ok), 400, "InvalidArgument", "Key not specified"),
        ("no signature", key + [f for f in v2_fields(o, ok) if f[0] != "signature"], 400,
         "InvalidArgument", "Missing aws2 signature"),
        ("two-element condition", key + v2_fields(o, ok + [["eq", "$key"]]), 400,
         "InvalidArgument", "Bad condition array, expecting 3 arguments"),
        ("unknown condition", key + v2_fields(o, ok + [["gt", "$key", "a"]]), 400,
         "InvalidArgument", "Invalid condition: gt"),
        ("bad acl", key + [("acl", "bogus")] + v2_fields(o, ok + [{"acl": "bogus"}]), 400,
         "InvalidArgument", "Bad canned ACLs"),
        ("storage class", key + [("x-amz-storage-class", "GLACIER")]
         + v2_fields(o, ok + [{"x-amz-storage-class": "GLACIER"}]), 400, "InvalidArgument",
         "The storage class you specified is not valid"),
        ("encryption", key + [("x-amz-server-side-encryption", "AES256")]
         + v2_fields(o, ok + [{"x-amz-server-side-encryption": "AES256"}]), 400,
         "InvalidRequest", ""),
    ]


def test_refused_forms_say_why_and_store_nothing(owner):
    for name, fields, status, code, message in refusals(owner):
        assert error(post(owner["url"], fields)) == (status, code, message), name
    ok = [{"bucket": owner["bucket"]}, ["starts-with", "$key", "k"],
          ["content-length-range", 5, 100]]
    key = [("key", "k-refused")]
    assert error(post(owner["url"], key + v2_fields(owner, ok), data=b"x" * 101))[:2] == \
        (400, "EntityTooLarge")
    assert error(post(owner["url"], key + v2_fields(owner, ok), data=b"x" * 4))[:2] == \
        (400, "EntityTooSmall")
    assert error(post(owner["url"], key + v2_fields(owner, ok), data=None)) == \
        (400, "InvalidArgument", "POST requires exactly one file upload per request.")
    r = requests.post(owner["url"], data=b"key=a",
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error(r) == (400, "InvalidArgument", "Request Content-Type is not multipart/form-data")
    r = requests.post(owner["url"], data=b"--x\r\n", headers={"Content-Type": "multipart/form-data"})
    assert error(r) == (400, "InvalidArgument", "Missing multipart boundary specification")
    assert keys(owner) == []


def test_anonymous_forms_need_a_public_write_bucket(rgw, owner):
    s3, url = owner["s3"], owner["url"]
    assert error(post(url, [("key", "anon")]))[:2] == (403, "AccessDenied")
    s3.put_bucket_acl(Bucket=owner["bucket"], ACL="public-read-write")
    r = post(url, [("key", "anon"), ("Content-Type", "text/csv"), ("x-amz-meta-from", "web")])
    assert r.status_code == 204, r.text
    o = s3.get_object(Bucket=owner["bucket"], Key="anon")
    assert (o["ContentType"], o["Metadata"]) == ("text/csv", {"from": "web"})
    # A form posted to an object's path is a form posted to its bucket (radosgw's routing).
    assert post(f"{url}/ignored", [("key", "via-object-path")]).status_code == 204
    assert sorted(keys(owner)) == ["anon", "via-object-path"]
    # Fields after the file are not the upload's.
    raw = (b'--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nraw\r\n'
           b'--B\r\nContent-Disposition: form-data; name="file"; filename="f"\r\n\r\n'
           b'line\r\n--C\r\n'
           b'--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nother\r\n--B--\r\n')
    r = requests.post(url, data=raw, headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 204, r.text
    assert s3.get_object(Bucket=owner["bucket"], Key="raw")["Body"].read() == \
        b"line\r\n--C"
    # A form cut short stores nothing.
    r = requests.post(url, data=raw[:120] + b"--B\r\nContent-Disposition: form-data; name",
                      headers={"Content-Type": "multipart/form-data; boundary=B"})
    assert r.status_code == 400
    assert "other" not in keys(owner)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=owner["bucket"], Key="other")


def test_form_uploads_are_bounded_by_quota(rgw, admin, owner):
    """Quotas count 4 KiB blocks: 500 bytes fit in 8 KiB, 5000 more do not."""
    r = admin.put("/admin/user", [("quota", None), ("uid", owner["uid"]), ("quota-type", "user"),
                                  ("max-size", "8192"), ("enabled", "true")])
    assert r.status_code == 200, r.text
    conditions = [{"bucket": owner["bucket"]}, ["starts-with", "$key", ""]]
    assert post(owner["url"], [("key", "small")] + v2_fields(owner, conditions),
                data=b"x" * 500).status_code == 204
    assert error(post(owner["url"], [("key", "big")] + v2_fields(owner, conditions),
                      data=b"x" * 5000))[:2] == (403, "QuotaExceeded")
    assert keys(owner) == ["small"]


def test_a_form_without_a_file_is_answered_without_its_rest(rgw, owner):
    """A form whose closing delimiter comes before any file is refused at once: the gateway
    does not read the rest a long Content-Length promises (nobody needs it), and closes."""
    form = (b'--B\r\nContent-Disposition: form-data; name="key"\r\n\r\nk\r\n--B--\r\n')
    head = (f"POST /{owner['bucket']} HTTP/1.1\r\nHost: {rgw.host}\r\n"
            f"Content-Type: multipart/form-data; boundary=B\r\n"
            f"Content-Length: {len(form) + (64 << 20)}\r\n\r\n").encode()
    s = socket.create_connection(("127.0.0.1", rgw.port), timeout=10)
    s.sendall(head + form)
    got = s.recv(65536)
    s.close()
    assert got.startswith(b"HTTP/1.1 400"), got[:200]
    assert b"POST requires exactly one file upload per request." in got
