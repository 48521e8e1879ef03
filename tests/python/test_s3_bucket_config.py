"""Bucket configurations, read as boto3 and s3cmd `info` read them while a bucket has none
(CORS, policy, lifecycle, public access block and request payment until they are put; object
lock and logging, which the gateway never holds): the answers radosgw 16.2.15 gives, only to the
bucket's owner (setting one never held stays 501 NotImplemented and changes nothing:
test_s3_subresources.py); and bucket tags, kept as radosgw keeps them. Policies and lifecycle
themselves: test_s3_bucket_policy.py, test_s3_lifecycle.py."""
import shutil
import subprocess

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

import helpers

ABSENT = [
    ("get_bucket_cors", "NoSuchCORSConfiguration"),
    ("get_bucket_lifecycle_configuration", "NoSuchLifecycleConfiguration"),
    ("get_bucket_policy", "NoSuchBucketPolicy"),
    ("get_bucket_tagging", "NoSuchTagSet"),
    ("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError"),
    ("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError"),
]


@pytest.fixture
def owner(rgw, admin, uid):
    k = admin.create_user(uid)["keys"][0]
    return uid, k["access_key"], k["secret_key"], helpers.s3_client(rgw, k["access_key"],
                                                                     k["secret_key"])


@pytest.fixture
def other(rgw, admin, uid):
    k = admin.create_user(f"{uid}-other")["keys"][0]
    return helpers.s3_client(rgw, k["access_key"], k["secret_key"])


def error_of(call, **kw):
    with pytest.raises(ClientError) as e:
        call(**kw)
    return e.value.response


def test_absent_configurations_read_as_radosgw_answers(rgw, owner):
    s3 = owner[3]
    bucket = f"{owner[0]}-cfg"
    s3.create_bucket(Bucket=bucket)
    for call, code in ABSENT:
        r = error_of(getattr(s3, call), Bucket=bucket)
        assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]) == (404, code), call
        assert r["Error"].get("BucketName", bucket) == bucket
    r = error_of(s3.get_bucket_policy, Bucket=bucket)
    assert r["Error"]["Message"] == "The bucket policy does not exist"
    r = error_of(s3.get_bucket_encryption, Bucket=bucket)
    assert r["Error"]["Message"] == "The server side encryption configuration was not found"

    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=bucket)
    n = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert [k for k in n if k != "ResponseMetadata"] == []
    raw = helpers.Client(rgw, owner[1], owner[2])
    assert raw.get(f"/{bucket}", [("notification", None)]).text == \
        "<NotificationConfiguration></NotificationConfiguration>"
    pab = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert pab == {"BlockPublicAcls": False, "IgnorePublicAcls": False,
                   "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


@pytest.mark.parametrize("acl,public", [("private", False), ("public-read", True),
                                        ("public-read-write", True),
                                        ("authenticated-read", True)])
def test_policy_status_follows_the_acl(owner, acl, public):
    s3 = owner[3]
    bucket = f"{owner[0]}-ps"
    s3.create_bucket(Bucket=bucket, ACL=acl)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is public
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"] is False


def test_only_the_owner_reads_configurations(rgw, owner, other):
    s3 = owner[3]
    bucket = f"{owner[0]}-own"
    # Readable and writable by everyone: still the owner's configuration alone.
    s3.create_bucket(Bucket=bucket, ACL="public-read-write")
    anon = boto3.client("s3", endpoint_url=rgw.url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))
    for c in (other, anon):
        for call in ("get_bucket_request_payment", "get_bucket_logging", "get_bucket_cors",
                     "get_bucket_policy_status", "get_public_access_block",
                     "get_bucket_notification_configuration"):
            r = error_of(getattr(c, call), Bucket=bucket)
            assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]) == \
                (403, "AccessDenied"), call
    r = error_of(s3.get_bucket_request_payment, Bucket=f"{owner[0]}-none")
    assert r["Error"]["Code"] == "NoSuchBucket"
    r = error_of(s3.get_bucket_cors, Bucket=f"{owner[0]}-none")
    assert r["Error"]["Code"] == "NoSuchBucket"


def test_s3cmd_reads_them(rgw, owner, tmp_path):
    exe = shutil.which("s3cmd")
    assert exe, "s3cmd not installed (scripts/install-deps.sh test installs it)"
    uid, ak, sk, s3 = owner
    bucket = f"{uid}-s3cmd-cfg"
    s3.create_bucket(Bucket=bucket)
    host = rgw.url.split("//", 1)[1]
    cfg = tmp_path / "s3cfg"
    cfg.write_text(f"[default]\naccess_key = {ak}\nsecret_key = {sk}\nhost_base = {host}\n"
                   f"host_bucket = {host}\nuse_https = False\nsignature_v2 = False\n")

    def s3cmd(*args):
        return subprocess.run([exe, "-c", str(cfg), *args], capture_output=True, text=True,
                              timeout=60, env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    p = s3cmd("info", f"s3://{bucket}")
    assert p.returncode == 0, p.stderr
    for line in ("Payer:     BucketOwner", "Expiration Rule: none", "Policy:    none",
                 "CORS:      none"):
        assert line in p.stdout, p.stdout
    # `payer` sets who pays (PutBucketRequestPayment; test_s3_request_payment.py).
    p = s3cmd("payer", "--requester-pays", f"s3://{bucket}")
    assert p.returncode == 0, p.stderr
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    assert "Payer:     Requester" in s3cmd("info", f"s3://{bucket}").stdout
    assert s3cmd("payer", f"s3://{bucket}").returncode == 0
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"


def test_bucket_tags_as_radosgw_keeps_them(rgw, owner, other):
    """Put, get (sorted by key), replace, an empty set (reads back empty), delete (then
    NoSuchTagSet again), 50 tags at most, the owner's alone; the bucket's objects untouched.
    Each answer as radosgw 16.2.15 gave it to the same calls."""
    s3 = owner[3]
    bucket = f"{owner[0]}-tags"
    s3.create_bucket(Bucket=bucket, ACL="public-read-write")
    s3.put_object(Bucket=bucket, Key="o", Body=b"data")
    r = error_of(s3.get_bucket_tagging, Bucket=bucket)
    assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]) == (404, "NoSuchTagSet")

    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "z", "Value": "1"},
                                                             {"Key": "a", "Value": "2"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "a", "Value": "2"},
                                                              {"Key": "z", "Value": "1"}]
    fifty = [{"Key": f"k{i:02}", "Value": "v"} for i in range(50)]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": fifty})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == fifty
    r = error_of(s3.put_bucket_tagging, Bucket=bucket,
                 Tagging={"TagSet": fifty + [{"Key": "more", "Value": "v"}]})
    assert (r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Code"]) == (400, "InvalidTag")
    r = error_of(s3.put_bucket_tagging, Bucket=bucket,
                 Tagging={"TagSet": [{"Key": "k" * 129, "Value": "v"}]})
    assert r["Error"]["Code"] == "InvalidTag"
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == fifty  # refusals change nothing

    # Someone else, even with WRITE on the bucket, neither reads nor changes them.
    anon = boto3.client("s3", endpoint_url=rgw.url, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}))
    for c in (other, anon):
        for call, kw in (("get_bucket_tagging", {}), ("delete_bucket_tagging", {}),
                         ("put_bucket_tagging", {"Tagging": {"TagSet": []}})):
            r = error_of(getattr(c, call), Bucket=bucket, **kw)
            assert r["Error"]["Code"] == "AccessDenied", (call, r)
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == fifty

    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == []
    s3.delete_bucket_tagging(Bucket=bucket)
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)["Error"]["Code"] == "NoSuchTagSet"
    s3.delete_bucket_tagging(Bucket=bucket)  # again: still 204
    assert s3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"data"
    r = error_of(s3.put_bucket_tagging, Bucket=f"{owner[0]}-none", Tagging={"TagSet": []})
    assert r["Error"]["Code"] == "NoSuchBucket"


CORS_RULES = [
    {"ID": "r1", "AllowedOrigins": ["http://www.example.com"], "AllowedMethods": ["PUT", "GET"],
     "AllowedHeaders": ["x-amz-*", "Content-Type"], "ExposeHeaders": ["ETag", "x-amz-request-id"],
     "MaxAgeSeconds": 3000},
    {"AllowedOrigins": ["http://*.wild.com"], "AllowedMethods": ["GET"]},
    {"AllowedOrigins": ["*"], "AllowedMethods": ["HEAD"]},
]


def cors_headers(r):
    return {k.lower(): v for k, v in r.headers.items()
            if k.lower().startswith("access-control-") or k.lower() == "vary"}


def test_cors_as_radosgw_applies_it(rgw, owner, other):
    """PUT/GET/DELETE ?cors and the headers the rules give preflights and ordinary
    requests; every answer below is the one radosgw 16.2.15 gave to the same request."""
    import requests
    uid, ak, sk, s3 = owner
    bucket = f"{uid}-cors"
    s3.create_bucket(Bucket=bucket, ACL="public-read")
    s3.put_object(Bucket=bucket, Key="o", Body=b"data", ACL="public-read")
    url = f"{rgw.url}/{bucket}/o"
    pre = {"Origin": "http://www.example.com", "Access-Control-Request-Method": "GET"}
    # No configuration: a preflight is refused; one without Origin or method is malformed.
    r = requests.options(url, headers=pre)
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    for h in ({"Access-Control-Request-Method": "GET"}, {"Origin": "http://www.example.com"}):
        r = requests.options(url, headers=h)
        assert r.status_code == 400 and "<Code>InvalidArgument</Code>" in r.text, r.text
    assert cors_headers(requests.get(url, headers={"Origin": "http://www.example.com"})) == {}

    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": CORS_RULES})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [
        {"ID": "r1", "AllowedHeaders": ["Content-Type", "x-amz-*"],
         "AllowedMethods": ["GET", "PUT"], "AllowedOrigins": ["http://www.example.com"],
         "ExposeHeaders": ["ETag", "x-amz-request-id"], "MaxAgeSeconds": 3000},
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["http://*.wild.com"]},
        {"AllowedMethods": ["HEAD"], "AllowedOrigins": ["*"]},
    ]
    raw = helpers.Client(rgw, ak, sk)
    doc = raw.get(f"/{bucket}", [("cors", None)]).text
    assert doc.startswith('<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
                          "<CORSRule><ID>r1</ID><AllowedMethod>GET</AllowedMethod>"
                          "<AllowedMethod>PUT</AllowedMethod><AllowedOrigin>"), doc

    full = {"access-control-allow-origin": "http://www.example.com", "vary": "Origin",
            "access-control-expose-headers": "ETag,x-amz-request-id",
            "access-control-max-age": "3000"}
    r = requests.options(url, headers=pre)
    assert r.status_code == 200 and cors_headers(r) == {
        **full, "access-control-allow-methods": "GET"}
    r = requests.options(url, headers={**pre, "Access-Control-Request-Method": "PUT",
                                       "Access-Control-Request-Headers":
                                           "x-amz-meta-a, content-type"})
    assert cors_headers(r) == {**full, "access-control-allow-methods": "PUT",
                               "access-control-allow-headers": "x-amz-meta-a,content-type"}
    assert requests.options(f"{rgw.url}/{bucket}", headers=pre).status_code == 200
    for h in ({**pre, "Access-Control-Request-Headers": "x-other"},
              {**pre, "Access-Control-Request-Method": "DELETE"},
              {**pre, "Access-Control-Request-Method": "get"},
              {**pre, "Origin": "http://evil.com"}):
        r = requests.options(url, headers=h)
        assert r.status_code == 403 and cors_headers(r) == {}, h
    r = requests.options(url, headers={"Origin": "http://a.wild.com",
                                       "Access-Control-Request-Method": "GET"})
    assert cors_headers(r) == {"access-control-allow-origin": "http://a.wild.com",
                               "vary": "Origin", "access-control-allow-methods": "GET"}

    # Ordinary requests: the first rule whose origin matches decides, errors included.
    r = requests.get(url, headers={"Origin": "http://www.example.com"})
    assert r.content == b"data" and cors_headers(r) == {
        **full, "access-control-allow-methods": "GET"}
    r = requests.get(url, headers={"Origin": "http://www.example.com",
                                   "Access-Control-Request-Headers": "x-amz-meta-a, x-other"})
    assert cors_headers(r) == {**full, "access-control-allow-methods": "GET",
                               "access-control-allow-headers": "x-amz-meta-a"}
    assert cors_headers(requests.get(url, headers={"Origin": "http://any.org"})) == {}
    assert cors_headers(requests.head(url, headers={"Origin": "http://any.org"})) == {
        "access-control-allow-origin": "*", "access-control-allow-methods": "HEAD"}
    r = raw.request("HEAD", f"/{bucket}/o", headers={"Origin": "http://any.org"})
    assert cors_headers(r) == {"access-control-allow-origin": "http://any.org",
                               "vary": "Origin", "access-control-allow-methods": "HEAD"}
    r = requests.get(f"{rgw.url}/{bucket}/nokey", headers={"Origin": "http://www.example.com"})
    assert r.status_code in (403, 404) and cors_headers(r)["access-control-allow-origin"] == \
        "http://www.example.com"

    # The owner's alone, and bad configurations change nothing.
    for c in (other,):
        for call, kw in (("get_bucket_cors", {}), ("delete_bucket_cors", {}),
                         ("put_bucket_cors", {"CORSConfiguration": {"CORSRules": CORS_RULES}})):
            assert error_of(getattr(c, call), Bucket=bucket, **kw)["Error"]["Code"] == \
                "AccessDenied", call
    assert requests.get(f"{rgw.url}/{bucket}?cors").status_code == 403
    ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
    rule = "<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>"
    for body, code in [
        ("<CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule>", "MalformedXML"),
        ("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"
         "</CORSRule>", "MalformedXML"),
        ("<CORSRule><AllowedOrigin>http://*.*.com</AllowedOrigin></CORSRule>", "MalformedXML"),
        ("<CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedHeader>a*b*</AllowedHeader>"
         "</CORSRule>", "MalformedXML"),
        ("<CORSRule><AllowedOrigin>*</AllowedOrigin><MaxAgeSeconds>abc</MaxAgeSeconds>"
         "</CORSRule>", "MalformedXML"),
        ("", "MalformedXML"),
        (rule * 101, "InvalidRequest"),
    ]:
        b = f"<CORSConfiguration {ns}>{body}</CORSConfiguration>".encode()
        r = raw.put(f"/{bucket}", [("cors", None)], body=b)
        assert r.status_code == 400 and f"<Code>{code}</Code>" in r.text, (body[:60], r.text)
    assert len(s3.get_bucket_cors(Bucket=bucket)["CORSRules"]) == 3
    # A method given in lower case is kept as its name.
    r = raw.put(f"/{bucket}", [("cors", None)], body=f"<CORSConfiguration {ns}><CORSRule>"
                "<AllowedOrigin>*</AllowedOrigin><AllowedMethod>get</AllowedMethod></CORSRule>"
                "</CORSConfiguration>".encode())
    assert r.status_code == 200, r.text
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == [
        {"AllowedMethods": ["GET"], "AllowedOrigins": ["*"]}]

    s3.delete_bucket_cors(Bucket=bucket)
    assert error_of(s3.get_bucket_cors, Bucket=bucket)["Error"]["Code"] == \
        "NoSuchCORSConfiguration"
    assert requests.options(url, headers=pre).status_code == 403
    assert s3.get_object(Bucket=bucket, Key="o")["Body"].read() == b"data"


def test_tags_and_cors_survive_a_restart_and_leave_other_buckets_as_stored(start_server):
    """Both are kept in the bucket record: they come back after a restart, the bucket's
    admin document is unchanged by them, and their removal lasts."""
    import requests
    srv = start_server()
    admin = srv.admin()
    k = admin.create_user("carol")["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    s3.create_bucket(Bucket="kept")
    s3.create_bucket(Bucket="plain")
    s3.put_bucket_tagging(Bucket="kept", Tagging={"TagSet": [{"Key": "team", "Value": "a"}]})
    s3.put_bucket_cors(Bucket="kept", CORSConfiguration={"CORSRules": CORS_RULES})
    before = admin.get("/admin/bucket", [("bucket", "kept"), ("stats", "true")]).json()
    data_dir = srv.data_dir
    assert srv.stop() == 0

    srv = start_server(data_dir=data_dir)
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    assert s3.get_bucket_tagging(Bucket="kept")["TagSet"] == [{"Key": "team", "Value": "a"}]
    assert len(s3.get_bucket_cors(Bucket="kept")["CORSRules"]) == 3
    r = requests.options(f"{srv.url}/kept/x", headers={
        "Origin": "http://www.example.com", "Access-Control-Request-Method": "GET"})
    assert r.status_code == 200, r.text
    assert srv.admin().get("/admin/bucket", [("bucket", "kept"), ("stats", "true")]).json() \
        == before
    for call, code in (("get_bucket_tagging", "NoSuchTagSet"),
                       ("get_bucket_cors", "NoSuchCORSConfiguration")):
        assert error_of(getattr(s3, call), Bucket="plain")["Error"]["Code"] == code
    s3.delete_bucket_tagging(Bucket="kept")
    s3.delete_bucket_cors(Bucket="kept")
    assert srv.stop() == 0
    # Removed for good: after another restart, as the untouched bucket.
    srv = start_server(data_dir=data_dir)
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    for call, code in (("get_bucket_tagging", "NoSuchTagSet"),
                       ("get_bucket_cors", "NoSuchCORSConfiguration")):
        assert error_of(getattr(s3, call), Bucket="kept")["Error"]["Code"] == code
