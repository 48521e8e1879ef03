"""Every S3 sub-resource x method x level, as raw SigV4 requests (botocore S3SigV4Auth): the few
rgw-admin implements answer 2xx (or, reading a configuration no bucket has here, radosgw's 404;
or, for object lock, radosgw's refusal on a bucket without it), every other one answers exactly
501 NotImplemented (S3 XML error body) and changes nothing -- the bucket still exists, the object's bytes and ETag and the
bucket's key list are as before.

radosgw 16.2.15 behaves differently for most of these (recorded in RADOSGW below, from
../notes/radosgw-s3-probe.md): it implements many sub-resources, and for the ones it does not
know it *ignores the query*: GET/HEAD ?x on an object is GetObject/HeadObject, PUT ?x on an object
overwrites it with the request body, DELETE ?x deletes it, GET ?x on a bucket lists it, DELETE ?x
on an (empty) bucket deletes the bucket. That is why rgw-admin answers 501 instead.

Against an external gateway (RGW_EXTERNAL_URL, see test_s3_acl_tagging_versions.py) the same
requests are checked against the recorded radosgw answers instead of the 501 policy.
"""
import base64
import hashlib
import json
import re

import pytest

import helpers

# =============================================================================================
# The classification. (level, method, sub-resource) that rgw-admin implements: these answer
# 2xx. Every other combination of MATRIX_SUBRESOURCES x METHODS x LEVELS answers 501.
# =============================================================================================
IMPLEMENTED = {
    ("bucket", "GET", "location"),      # GetBucketLocation
    ("bucket", "GET", "acl"),           # GetBucketAcl
    ("bucket", "PUT", "acl"),           # PutBucketAcl
    ("object", "GET", "acl"),           # GetObjectAcl
    ("object", "PUT", "acl"),           # PutObjectAcl
    ("bucket", "GET", "versioning"),    # GetBucketVersioning
    ("bucket", "PUT", "versioning"),    # PutBucketVersioning
    ("bucket", "GET", "versions"),      # ListObjectVersions
    ("object", "GET", "tagging"),       # GetObjectTagging
    ("object", "PUT", "tagging"),       # PutObjectTagging
    ("object", "DELETE", "tagging"),    # DeleteObjectTagging
    ("bucket", "PUT", "tagging"),       # PutBucketTagging
    ("bucket", "DELETE", "tagging"),    # DeleteBucketTagging
    ("bucket", "PUT", "cors"),          # PutBucketCors
    ("bucket", "DELETE", "cors"),       # DeleteBucketCors
    ("bucket", "PUT", "policy"),        # PutBucketPolicy
    ("bucket", "DELETE", "policy"),     # DeleteBucketPolicy
    ("bucket", "PUT", "lifecycle"),     # PutBucketLifecycle
    ("bucket", "DELETE", "lifecycle"),  # DeleteBucketLifecycle
    ("bucket", "PUT", "publicAccessBlock"),     # PutPublicAccessBlock
    ("bucket", "DELETE", "publicAccessBlock"),  # DeletePublicAccessBlock
    ("bucket", "PUT", "requestPayment"),  # PutBucketRequestPayment
    ("bucket", "GET", "uploads"),       # ListMultipartUploads
    ("object", "POST", "uploads"),      # CreateMultipartUpload
    ("object", "GET", "attributes"),    # GetObjectAttributes (asked for the ETag, below)
    # HEAD of a sub-resource whose GET is implemented: the GET's status, no body
    ("bucket", "HEAD", "location"),
    ("bucket", "HEAD", "acl"),
    ("object", "HEAD", "acl"),
    ("bucket", "HEAD", "versioning"),
    ("bucket", "HEAD", "versions"),
    ("object", "HEAD", "tagging"),
    ("bucket", "HEAD", "uploads"),
    # Configurations no bucket has here, read as radosgw answers a bucket without one
    # (test_s3_bucket_config.py): these four answer a document...
    *[("bucket", m, sub) for m in ("GET", "HEAD")
      for sub in ("logging", "requestPayment", "policyStatus", "publicAccessBlock",
                  "notification")],
}
# ...these a 404 with the code that says so (bucket tags and CORS: until they are put).
ABSENT = {
    "cors": "NoSuchCORSConfiguration",
    "lifecycle": "NoSuchLifecycleConfiguration",
    "policy": "NoSuchBucketPolicy",
    "tagging": "NoSuchTagSet",
    "object-lock": "ObjectLockConfigurationNotFoundError",
    "encryption": "ServerSideEncryptionConfigurationNotFoundError",
}
# ...and object lock, which no bucket has here, refused as radosgw refuses it on a bucket
# without it (s3::object_lock): these answer radosgw's error and change nothing.
REFUSED = {
    ("object", "GET", "retention"): (400, "InvalidRequest"),
    ("object", "PUT", "retention"): (400, "InvalidRequest"),
    ("object", "GET", "legal-hold"): (400, "InvalidRequest"),
    ("object", "PUT", "legal-hold"): (400, "InvalidRequest"),
    ("bucket", "PUT", "object-lock"): (409, "InvalidBucketState"),
}
# Implemented ops allowed to change the object's bytes/ETag, the key list or the bucket's
# existence (none of the above does; UploadPartCopy is not a sub-resource, see the other module).
CHANGES_STATE = set()

LEVELS = ["bucket", "object"]
METHODS = ["GET", "HEAD", "PUT", "DELETE", "POST"]
MATRIX_SUBRESOURCES = [
    "cors", "lifecycle", "logging", "notification", "policy", "policyStatus",
    "publicAccessBlock", "replication", "requestPayment", "tagging", "torrent", "website",
    "object-lock", "retention", "legal-hold", "encryption", "attributes", "restore", "select",
    "append", "uploads", "accelerate", "analytics", "inventory", "metrics",
    "intelligent-tiering", "ownershipControls", "acl", "versioning", "versions", "location",
]

# query string per sub-resource (bare key unless listed)
SUB_QUERY = {
    "select": [("select", None), ("select-type", "2")],
    "append": [("append", None), ("position", "0")],
    "analytics": [("analytics", None), ("id", "a1")],
    "inventory": [("inventory", None), ("id", "i1")],
    "metrics": [("metrics", None), ("id", "m1")],
    "intelligent-tiering": [("intelligent-tiering", None), ("id", "t1")],
}

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
# small plausible bodies for PUT/POST (the same as the radosgw probe sent)
SUB_BODIES = {
    "cors": f'<CORSConfiguration {NS}><CORSRule><AllowedOrigin>*</AllowedOrigin>'
            '<AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>',
    "lifecycle": f'<LifecycleConfiguration {NS}><Rule><ID>r1</ID><Filter><Prefix>tmp/</Prefix>'
                 '</Filter><Status>Enabled</Status><Expiration><Days>30</Days></Expiration>'
                 '</Rule></LifecycleConfiguration>',
    "logging": f'<BucketLoggingStatus {NS}></BucketLoggingStatus>',
    "notification": f'<NotificationConfiguration {NS}></NotificationConfiguration>',
    "policyStatus": "",
    "publicAccessBlock": f'<PublicAccessBlockConfiguration {NS}><BlockPublicAcls>false'
                         '</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls>'
                         '<BlockPublicPolicy>false</BlockPublicPolicy><RestrictPublicBuckets>'
                         'false</RestrictPublicBuckets></PublicAccessBlockConfiguration>',
    "replication": f'<ReplicationConfiguration {NS}><Role>arn:aws:iam::123456789012:role/r'
                   '</Role><Rule><ID>r</ID><Status>Enabled</Status><Prefix></Prefix>'
                   '<Destination><Bucket>arn:aws:s3:::dest</Bucket></Destination></Rule>'
                   '</ReplicationConfiguration>',
    "requestPayment": f'<RequestPaymentConfiguration {NS}><Payer>BucketOwner</Payer>'
                      '</RequestPaymentConfiguration>',
    "tagging": f'<Tagging {NS}><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>'
               '</Tagging>',
    "torrent": "",
    "website": f'<WebsiteConfiguration {NS}><IndexDocument><Suffix>index.html</Suffix>'
               '</IndexDocument></WebsiteConfiguration>',
    "object-lock": f'<ObjectLockConfiguration {NS}><ObjectLockEnabled>Enabled'
                   '</ObjectLockEnabled></ObjectLockConfiguration>',
    "retention": f'<Retention {NS}><Mode>GOVERNANCE</Mode><RetainUntilDate>'
                 '2030-01-01T00:00:00Z</RetainUntilDate></Retention>',
    "legal-hold": f'<LegalHold {NS}><Status>OFF</Status></LegalHold>',
    "encryption": f'<ServerSideEncryptionConfiguration {NS}><Rule>'
                  '<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>'
                  '</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>',
    "attributes": "",
    "restore": f'<RestoreRequest {NS}><Days>1</Days></RestoreRequest>',
    "select": f'<SelectObjectContentRequest {NS}><Expression>select * from s3object</Expression>'
              '<ExpressionType>SQL</ExpressionType><InputSerialization><CSV/>'
              '</InputSerialization><OutputSerialization><CSV/></OutputSerialization>'
              '</SelectObjectContentRequest>',
    "append": "appended-bytes",
    "uploads": "",
    "accelerate": f'<AccelerateConfiguration {NS}><Status>Suspended</Status>'
                  '</AccelerateConfiguration>',
    "analytics": f'<AnalyticsConfiguration {NS}><Id>a1</Id><StorageClassAnalysis/>'
                 '</AnalyticsConfiguration>',
    "inventory": f'<InventoryConfiguration {NS}><Id>i1</Id><IsEnabled>false</IsEnabled>'
                 '<Destination><S3BucketDestination><Bucket>arn:aws:s3:::dest</Bucket><Format>'
                 'CSV</Format></S3BucketDestination></Destination><IncludedObjectVersions>'
                 'Current</IncludedObjectVersions><Schedule><Frequency>Daily</Frequency>'
                 '</Schedule></InventoryConfiguration>',
    "metrics": f'<MetricsConfiguration {NS}><Id>m1</Id></MetricsConfiguration>',
    "intelligent-tiering": f'<IntelligentTieringConfiguration {NS}><Id>t1</Id><Status>Enabled'
                           '</Status><Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS'
                           '</AccessTier></Tiering></IntelligentTieringConfiguration>',
    "ownershipControls": f'<OwnershipControls {NS}><Rule><ObjectOwnership>BucketOwnerEnforced'
                         '</ObjectOwnership></Rule></OwnershipControls>',
    "versioning": f'<VersioningConfiguration {NS}><Status>Suspended</Status>'
                  '</VersioningConfiguration>',
    "versions": "",
    "location": "",
    # "policy" (JSON naming the bucket) and "acl" (x-amz-acl header) are built per request
}

# What radosgw 16.2.15 answered to exactly these requests (owner, SigV4, bucket holding `obj`
# and `other`): (status, error Code or "") and CHANGED when the bucket's existence, its key list
# or obj's bytes/ETag differed afterwards. Generated from notes/radosgw-subresources.json.
CHANGED = "changed"
RADOSGW = {
    ("bucket", "cors"): {"GET": (404, "NoSuchCORSConfiguration"), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (204, ""), "POST": (501, "NotImplemented")},
    ("object", "cors"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "lifecycle"): {"GET": (404, "NoSuchLifecycleConfiguration"), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (204, ""), "POST": (501, "NotImplemented")},
    ("object", "lifecycle"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "logging"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (405, "MethodNotAllowed"), "DELETE": (405, "MethodNotAllowed"), "POST": (501, "NotImplemented")},
    ("object", "logging"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "notification"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "notification"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "policy"): {"GET": (404, "NoSuchBucketPolicy"), "HEAD": (200, ""), "PUT": (204, ""), "DELETE": (200, ""), "POST": (501, "NotImplemented")},
    ("object", "policy"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "policyStatus"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "policyStatus"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
    ("bucket", "publicAccessBlock"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (200, ""), "POST": (501, "NotImplemented")},
    ("object", "publicAccessBlock"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "replication"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (405, "MethodNotAllowed"), "DELETE": (200, ""), "POST": (501, "NotImplemented")},
    ("object", "replication"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "requestPayment"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "requestPayment"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "tagging"): {"GET": (404, "NoSuchTagSet"), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (200, ""), "POST": (501, "NotImplemented")},
    ("object", "tagging"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (204, ""), "POST": (501, "NotImplemented")},
    ("bucket", "torrent"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "torrent"): {"GET": (400, "InvalidArgument"), "HEAD": (400, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
    ("bucket", "website"): {"GET": (405, "MethodNotAllowed"), "HEAD": (200, ""), "PUT": (405, "MethodNotAllowed"), "DELETE": (405, "MethodNotAllowed"), "POST": (501, "NotImplemented")},
    ("object", "website"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "object-lock"): {"GET": (404, "ObjectLockConfigurationNotFoundError"), "HEAD": (200, ""), "PUT": (409, "InvalidBucketState"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "object-lock"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "retention"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "retention"): {"GET": (400, "InvalidRequest"), "HEAD": (200, ""), "PUT": (400, "InvalidRequest"), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "legal-hold"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "legal-hold"): {"GET": (400, "InvalidRequest"), "HEAD": (200, ""), "PUT": (400, "InvalidRequest"), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "encryption"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "encryption"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "attributes"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "attributes"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
    ("bucket", "restore"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "restore"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "select"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "select"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (200, "")},
    ("bucket", "append"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "append"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (409, "ObjectNotAppendable"), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "uploads"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "uploads"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (200, "")},
    ("bucket", "accelerate"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "accelerate"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "analytics"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "analytics"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "inventory"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "inventory"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "metrics"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "metrics"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "intelligent-tiering"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "intelligent-tiering"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "ownershipControls"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (400, "InvalidArgument"), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "ownershipControls"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "acl"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "acl"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
    ("bucket", "versioning"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (501, "NotImplemented")},
    ("object", "versioning"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (501, "NotImplemented")},
    ("bucket", "versions"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "versions"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
    ("bucket", "location"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, ""), "DELETE": (409, "BucketNotEmpty"), "POST": (400, "InvalidArgument")},
    ("object", "location"): {"GET": (200, ""), "HEAD": (200, ""), "PUT": (200, "", CHANGED), "DELETE": (204, "", CHANGED), "POST": (400, "InvalidArgument")},
}

# --- target: our server (default) or an external radosgw --------------------------------------
EXTERNAL_URL = helpers.EXTERNAL_URL



@pytest.fixture(scope="module")
def owner(target):
    """(uid, raw SigV4 client) of one S3 user for the whole module."""
    uid = helpers.unique("subres")
    info = target.admin().create_user(uid, display_name=f"Subres {uid}")
    k = info["keys"][0]
    return uid, helpers.Client(target, k["access_key"], k["secret_key"])


OBJ_DATA = b"original object bytes\n" * 10


def md5_b64(data):
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def keys_of(raw, bucket):
    r = raw.get(f"/{bucket}")
    if r.status_code != 200:
        return None
    return re.findall(r"<Key>([^<]*)</Key>", r.text)


def state(raw, bucket):
    """(bucket HEAD status, key list, (obj status, ETag, md5 of bytes))"""
    hb = raw.request("HEAD", f"/{bucket}").status_code
    g = raw.get(f"/{bucket}/obj")
    return hb, keys_of(raw, bucket), (g.status_code, g.headers.get("ETag"),
                                      hashlib.md5(g.content).hexdigest())


def request_for(uid, bucket, level, method, sub):
    """(path, query, body, headers) of the probe request."""
    path = f"/{bucket}" if level == "bucket" else f"/{bucket}/obj"
    query = SUB_QUERY.get(sub, [(sub, None)])
    body, headers = b"", {}
    if sub == "attributes":
        headers["x-amz-object-attributes"] = "ETag"
    if method in ("PUT", "POST"):
        if sub == "acl":
            headers["x-amz-acl"] = "private"
        elif sub == "policy":
            body = json.dumps({"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam:::user/{uid}"]},
                "Action": "s3:GetObject", "Resource": [f"arn:aws:s3:::{bucket}/*"]}]}).encode()
        else:
            body = SUB_BODIES[sub].encode()
        if body:
            headers["Content-MD5"] = md5_b64(body)
    return path, query, body, headers


def cleanup(raw, bucket):
    """Best effort: abort uploads, delete objects, delete the bucket."""
    r = raw.get(f"/{bucket}", [("uploads", None)])
    if r.status_code == 200:
        for key, upload in re.findall(r"<Upload><Key>([^<]*)</Key><UploadId>([^<]*)</UploadId>",
                                      r.text):
            raw.delete(f"/{bucket}/{key}", [("uploadId", upload)])
    for key in keys_of(raw, bucket) or []:
        raw.delete(f"/{bucket}/{key}")
    raw.delete(f"/{bucket}")


def assert_not_implemented(resp, method):
    ctx = f"{method} {resp.request.url} -> {resp.status_code} {resp.text[:300]!r}"
    assert resp.status_code == 501, ctx
    assert resp.headers.get("x-amz-request-id"), ctx
    if method == "HEAD":
        return
    assert resp.headers.get("Content-Type", "").startswith("application/xml"), ctx
    assert re.match(r'^<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>NotImplemented'
                    r'</Code>.*<RequestId>[^<]+</RequestId>.*</Error>$', resp.text, re.S), ctx


MATRIX = [(level, method, sub) for sub in MATRIX_SUBRESOURCES for level in LEVELS
          for method in METHODS]


@pytest.mark.parametrize("level,method,sub", MATRIX, ids=["-".join(m) for m in MATRIX])
def test_subresource(target, owner, level, method, sub):
    uid, raw = owner
    bucket = helpers.unique("sr")
    assert raw.put(f"/{bucket}").status_code == 200
    try:
        assert raw.put(f"/{bucket}/obj", body=OBJ_DATA).status_code == 200
        before = state(raw, bucket)
        assert before[0] == 200 and before[1] == ["obj"] and before[2][0] == 200
        path, query, body, headers = request_for(uid, bucket, level, method, sub)
        r = raw.request(method, path, query, body=body, headers=headers)
        after = state(raw, bucket)
        ctx = f"{method} {r.request.url} -> {r.status_code} {r.text[:300]!r}"
        if EXTERNAL_URL:
            want = RADOSGW[(level, sub)][method]
            assert r.status_code == want[0], ctx
            if want[1]:
                assert re.search(f"<Code>{want[1]}</Code>", r.text), ctx
            assert (after != before) == (CHANGED in want), (ctx, before, after)
            return
        if (level, method, sub) in IMPLEMENTED:
            assert 200 <= r.status_code < 300, ctx
        elif (level, method, sub) in REFUSED:
            status, code = REFUSED[(level, method, sub)]
            assert r.status_code == status and f"<Code>{code}</Code>" in r.text, ctx
        elif level == "bucket" and method in ("GET", "HEAD") and sub in ABSENT:
            assert r.status_code == 404, ctx
            if method == "GET":
                assert f"<Code>{ABSENT[sub]}</Code>" in r.text, ctx
        else:
            assert_not_implemented(r, method)
        if (level, method, sub) not in CHANGES_STATE:
            assert after == before, (ctx, before, after)
        assert raw.get(f"/{bucket}/obj").content == OBJ_DATA or \
            (level, method, sub) in CHANGES_STATE, ctx
    finally:
        cleanup(raw, bucket)


# DELETE /bucket?<sub> on an EMPTY bucket: radosgw runs DeleteBucket for the sub-resources it does
# not know (the bucket is gone); rgw-admin answers 501 and keeps the bucket.
EMPTY_DELETE = [sub for sub in MATRIX_SUBRESOURCES if ("bucket", "DELETE", sub) not in IMPLEMENTED]


@pytest.mark.parametrize("sub", EMPTY_DELETE)
def test_delete_subresource_on_empty_bucket(target, owner, sub):
    uid, raw = owner
    bucket = helpers.unique("sre")
    assert raw.put(f"/{bucket}").status_code == 200
    try:
        path, query, body, headers = request_for(uid, bucket, "bucket", "DELETE", sub)
        r = raw.request("DELETE", path, query, body=body, headers=headers)
        exists = raw.request("HEAD", f"/{bucket}").status_code
        ctx = f"DELETE {r.request.url} -> {r.status_code} {r.text[:300]!r}"
        if EXTERNAL_URL:
            st, code = RADOSGW[("bucket", sub)]["DELETE"][:2]
            if code == "BucketNotEmpty":  # an unknown sub-resource: plain DeleteBucket
                assert (r.status_code, exists) == (204, 404), ctx
            else:
                assert (r.status_code, exists) == (st, 200), ctx
            return
        assert_not_implemented(r, "DELETE")
        assert exists == 200, ctx
    finally:
        cleanup(raw, bucket)
