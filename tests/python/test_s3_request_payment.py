"""Requester pays (`?requestPayment`), as radosgw 16.2.15 answers it: its owner sets who
pays; on a requester-pays bucket every other caller must send `x-amz-request-payer:
requester` (header or query) or is refused whatever the ACLs grant, anonymous callers always
are, and a paying caller's answers say `x-amz-request-charged: requester`. Passes against
radosgw too (RGW_EXTERNAL_URL=http://127.0.0.1:7480, the oracle)."""
import json
import re

import pytest
import requests

import helpers

NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'
PAYS = {"x-amz-request-payer": "requester"}


def config(payer):
    return (f"<RequestPaymentConfiguration {NS}><Payer>{payer}</Payer>"
            "</RequestPaymentConfiguration>").encode()


def code(r):
    m = re.search(r"<Code>([^<]*)</Code>", r.text)
    return m and m.group(1)


def payer(client, bucket):
    r = client.get(f"/{bucket}", [("requestPayment", None)])
    assert r.status_code == 200, r.text
    return re.search(r"<Payer>([^<]*)</Payer>", r.text).group(1)


@pytest.fixture
def pair(target):
    adm = target.admin()
    out = []
    for prefix in ("rpo", "rpr"):
        uid = helpers.unique(prefix)
        k = adm.create_user(uid)["keys"][0]
        out.append((uid, helpers.Client(target, k["access_key"], k["secret_key"])))
    return adm, out[0], out[1]


def test_owner_sets_who_pays(pair):
    adm, (owner, o), (_, other) = pair
    bucket = f"{owner}-b"
    assert o.put(f"/{bucket}").status_code == 200
    assert payer(o, bucket) == "BucketOwner"
    r = other.put(f"/{bucket}", [("requestPayment", None)], body=config("Requester"))
    assert (r.status_code, code(r)) == (403, "AccessDenied"), r.text
    # radosgw answers every body it cannot use with InvalidArgument, and keeps the setting.
    for body in (b"<x", b"", b"<Foo><Payer>Requester</Payer></Foo>", config("Nobody")):
        r = o.put(f"/{bucket}", [("requestPayment", None)], body=body)
        assert (r.status_code, code(r)) == (400, "InvalidArgument"), (body, r.text)
    assert payer(o, bucket) == "BucketOwner"
    r = o.put(f"/{bucket}", [("requestPayment", None)], body=config("requester"))
    assert (r.status_code, r.content) == (200, b""), r.text
    assert payer(o, bucket) == "Requester"
    r = other.get(f"/{bucket}", [("requestPayment", None)], headers=PAYS)
    assert (r.status_code, code(r)) == (403, "AccessDenied"), r.text
    # The bucket instance says so.
    bid = adm.get("/admin/bucket", [("bucket", bucket)]).json()["id"]
    r = adm.get("/admin/metadata/bucket.instance", [("key", f"{bucket}:{bid}")])
    assert str(r.json()["data"]["bucket_info"]["requester_pays"]).lower() == "true"
    # A configuration without a payer: the owner pays.
    body = f"<RequestPaymentConfiguration {NS}></RequestPaymentConfiguration>".encode()
    assert o.put(f"/{bucket}", [("requestPayment", None)], body=body).status_code == 200
    assert payer(o, bucket) == "BucketOwner"
    # A metadata put of the instance (a restore, a sync) sets it too.
    doc = adm.get("/admin/metadata/bucket.instance", [("key", f"{bucket}:{bid}")]).json()
    info = doc["data"]["bucket_info"]
    info["requester_pays"] = "true" if isinstance(info["requester_pays"], str) else True
    r = adm.put("/admin/metadata/bucket.instance", [("key", f"{bucket}:{bid}")],
                body=json.dumps(doc).encode())
    assert r.status_code == 204, r.text
    assert payer(o, bucket) == "Requester"


def test_others_pay_or_are_refused(target, pair):
    adm, (owner, o), (_, other) = pair
    bucket = f"{owner}-p"
    url = f"{target.url}/{bucket}"
    assert o.put(f"/{bucket}", headers={"x-amz-acl": "public-read-write"}).status_code == 200
    assert o.put(f"/{bucket}/obj", body=b"hello",
                 headers={"x-amz-acl": "public-read"}).status_code == 200
    assert requests.get(f"{url}/obj").status_code == 200
    assert o.put(f"/{bucket}", [("requestPayment", None)],
                 body=config("Requester")).status_code == 200

    def charged(r):
        return r.headers.get("x-amz-request-charged")

    r = o.get(f"/{bucket}/obj")
    assert (r.status_code, r.content, charged(r)) == (200, b"hello", None)
    # The ACLs grant everyone READ and WRITE; without saying it pays, nobody else may use them.
    for method, path, body in (("GET", "/obj", b""), ("HEAD", "/obj", b""), ("GET", "", b""),
                               ("PUT", "/new", b"abc")):
        r = other.request(method, f"/{bucket}{path}", body=body)
        assert r.status_code == 403 and charged(r) is None, (method, path, r.text)
        r = other.request(method, f"/{bucket}{path}", body=body,
                          headers={"x-amz-request-payer": "yes"})
        assert r.status_code == 403, (method, path, r.text)
    assert o.get(f"/{bucket}/new").status_code == 404
    for headers, query in ((PAYS, ()), ({"x-amz-request-payer": "Requester"}, ()),
                           ({}, [("x-amz-request-payer", "requester")])):
        r = other.get(f"/{bucket}/obj", query, headers=headers)
        assert (r.status_code, r.content, charged(r)) == (200, b"hello", "requester"), r.text
    r = other.get(f"/{bucket}", headers=PAYS)
    assert r.status_code == 200 and "<Key>obj</Key>" in r.text and charged(r) == "requester"
    r = other.put(f"/{bucket}/new", body=b"abc", headers=PAYS)
    assert (r.status_code, charged(r)) == (200, "requester"), r.text
    assert other.get(f"/{bucket}/new", headers=PAYS).content == b"abc"
    # radosgw's CopyObject never asks who pays, from or into the bucket (UploadPartCopy does).
    r = other.put(f"/{bucket}/copy", headers={"x-amz-copy-source": f"{bucket}/obj"})
    assert (r.status_code, charged(r)) == (200, "requester"), r.text
    up = re.search(r"<UploadId>([^<]*)</UploadId>",
                   other.post(f"/{bucket}/part", [("uploads", None)], headers=PAYS).text).group(1)
    r = other.put(f"/{bucket}/part", [("partNumber", "1"), ("uploadId", up)],
                  headers={"x-amz-copy-source": f"{bucket}/obj"})
    assert (r.status_code, code(r)) == (403, "AccessDenied"), r.text
    r = other.put(f"/{bucket}/part", [("partNumber", "1"), ("uploadId", up)],
                  headers={"x-amz-copy-source": f"{bucket}/obj", **PAYS})
    assert (r.status_code, charged(r)) == (200, "requester"), r.text
    assert other.delete(f"/{bucket}/part", [("uploadId", up)], headers=PAYS).status_code == 204
    r = other.get(f"/{bucket}/missing", headers=PAYS)
    assert (r.status_code, code(r), charged(r)) == (404, "NoSuchKey", None), r.text
    # What the grants do not allow stays refused.
    r = other.get(f"/{bucket}/obj", [("acl", None)], headers=PAYS)
    assert (r.status_code, code(r)) == (403, "AccessDenied"), r.text
    # Nobody unsigned pays.
    for headers in ({}, PAYS):
        r = requests.get(f"{url}/obj", headers=headers)
        assert (r.status_code, code(r)) == (403, "AccessDenied"), r.text
        r = requests.put(f"{url}/anon", data=b"x", headers=headers)
        assert r.status_code == 403, r.text
    # Back to the owner paying: the grants alone decide again.
    assert o.put(f"/{bucket}", [("requestPayment", None)],
                 body=config("BucketOwner")).status_code == 200
    r = other.get(f"/{bucket}/obj")
    assert (r.status_code, charged(r)) == (200, None)
    assert requests.get(f"{url}/obj").status_code == 200
