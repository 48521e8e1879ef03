"""Bucket policies (`?policy`, `?policyStatus`) through boto3, with a second user and
anonymous requests: every answer here is the one radosgw 16.2.15 gave to the same requests
(notes/probe_policy.py ran both and printed the same lines). A policy radosgw's parser
refuses is InvalidArgument and changes nothing; an explicit deny holds against the owner;
an allow grants what the ACLs do not; conditions see the request (source address, referer,
a listing's prefix)."""
import json

import pytest
import requests

import helpers


@pytest.fixture
def two(rgw, admin, uid):
    """(bucket, owner's client, bob's uid, bob's client): the bucket holds pub/a and priv/b."""
    owner, bob = helpers.s3_users(rgw, admin, (uid, f"{uid}-bob"))
    b = f"{uid}-pol"
    owner.create_bucket(Bucket=b)
    owner.put_object(Bucket=b, Key="pub/a.txt", Body=b"A")
    owner.put_object(Bucket=b, Key="priv/b.txt", Body=b"B")
    return b, owner, f"{uid}-bob", bob


code = helpers.s3_error


def statement(**kw):
    return json.dumps({"Version": "2012-10-17", "Statement": [kw]})


def test_set_read_and_remove(rgw, two):
    b, owner, _, bob = two
    assert code(lambda: owner.get_bucket_policy(Bucket=b)) == (404, "NoSuchBucketPolicy")
    assert owner.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is False
    text = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "pub", "Effect": "Allow", "Principal": "*", "Action": ["s3:GetObject"],
        "Resource": [f"arn:aws:s3:::{b}/pub/*"]}]}, indent=2)
    r = owner.put_bucket_policy(Bucket=b, Policy=text)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = owner.get_bucket_policy(Bucket=b)
    assert got["Policy"] == text  # byte for byte, as put
    assert got["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    assert owner.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is True
    # Only the owner (or whom the policy allows) reads or changes it.
    assert code(lambda: bob.get_bucket_policy(Bucket=b)) == (403, "AccessDenied")
    assert code(lambda: bob.delete_bucket_policy(Bucket=b)) == (403, "AccessDenied")
    assert requests.get(f"{rgw.url}/{b}/pub/a.txt").content == b"A"
    r = owner.delete_bucket_policy(Bucket=b)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert code(lambda: owner.get_bucket_policy(Bucket=b)) == (404, "NoSuchBucketPolicy")
    assert requests.get(f"{rgw.url}/{b}/pub/a.txt").status_code == 403
    # Deleting what is not there is fine too.
    assert owner.delete_bucket_policy(Bucket=b)["ResponseMetadata"]["HTTPStatusCode"] == 200


@pytest.mark.parametrize("bad", [
    "{not json",
    '{"Version": "2011-01-01", "Statement": []}',
    '{"Version": "2012-10-17", "Foo": 1}',
    statement(Effect="allow", Principal="*", Action="s3:GetObject", Resource="arn:aws:s3:::b/*"),
    statement(Effect="Allow", Principal="*", Action="s3:Frobnicate", Resource="arn:aws:s3:::b/*"),
    statement(Effect="Allow", Principal="*", Action="s3:GetObject", Resource="notanarn"),
    statement(Effect="Allow", Principal="*", Action="s3:GetObject", Foo="x"),
    statement(Effect="Allow", Principal="*", Action="s3:GetObject",
              Condition={"StringFoo": {"aws:Referer": "x"}}),
])
def test_a_refused_policy_changes_nothing(rgw, two, bad):
    b, owner, _, _ = two
    keep = statement(Effect="Allow", Principal="*", Action="s3:GetObject",
                     Resource=f"arn:aws:s3:::{b}/pub/*")
    owner.put_bucket_policy(Bucket=b, Policy=keep)
    assert code(lambda: owner.put_bucket_policy(Bucket=b, Policy=bad)) == (400, "InvalidArgument")
    assert owner.get_bucket_policy(Bucket=b)["Policy"] == keep


def test_allow_deny_and_conditions(rgw, two):
    b, owner, bob_uid, bob = two
    arn = f"arn:aws:s3:::{b}"
    owner.put_bucket_policy(Bucket=b, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/pub/*"},
        {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam:::user/{bob_uid}"]},
         "Action": "s3:ListBucket", "Resource": arn,
         "Condition": {"StringEquals": {"s3:prefix": "pub/"}}},
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam:::user/{bob_uid}"},
         "Action": "s3:Put*", "Resource": f"{arn}/bob/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{arn}/priv/*"},
    ]}))
    anon = requests.Session()
    assert anon.get(f"{rgw.url}/{b}/pub/a.txt").content == b"A"
    assert anon.get(f"{rgw.url}/{b}/priv/b.txt").status_code == 403
    assert anon.get(f"{rgw.url}/{b}").status_code == 403
    # The deny holds against the owner; the rest of the owner's rights are untouched.
    assert code(lambda: owner.get_object(Bucket=b, Key="priv/b.txt")) == (403, "AccessDenied")
    assert owner.get_object(Bucket=b, Key="pub/a.txt")["Body"].read() == b"A"
    # bob lists only under the prefix the condition names, with either listing.
    assert [o["Key"] for o in bob.list_objects(Bucket=b, Prefix="pub/")["Contents"]] == ["pub/a.txt"]
    assert [o["Key"] for o in bob.list_objects_v2(Bucket=b, Prefix="pub/")["Contents"]] == ["pub/a.txt"]
    assert code(lambda: bob.list_objects(Bucket=b)) == (403, "AccessDenied")
    # bob writes under bob/ only; what he writes is his (the owner cannot read its ACL).
    bob.put_object(Bucket=b, Key="bob/x", Body=b"x")
    assert code(lambda: bob.put_object(Bucket=b, Key="other", Body=b"x")) == (403, "AccessDenied")
    assert bob.get_object(Bucket=b, Key="bob/x")["Body"].read() == b"x"
    assert code(lambda: owner.get_object_acl(Bucket=b, Key="bob/x")) == (403, "AccessDenied")
    # A missing key stays hidden from who may not list.
    assert code(lambda: bob.get_object(Bucket=b, Key="pub/none")) == (403, "AccessDenied")
    assert sorted(o["Key"] for o in owner.list_objects(Bucket=b)["Contents"]) == \
        ["bob/x", "priv/b.txt", "pub/a.txt"]


def test_owner_can_lock_out_its_own_policy_changes(two):
    b, owner, _, _ = two
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Deny", Principal="*", Action="s3:PutBucketPolicy", Resource=f"arn:aws:s3:::{b}"))
    assert code(lambda: owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*", Action="s3:GetObject",
        Resource=f"arn:aws:s3:::{b}/*"))) == (403, "AccessDenied")
    # ... but not out of removing it, which radosgw also allows.
    owner.delete_bucket_policy(Bucket=b)
    assert code(lambda: owner.get_bucket_policy(Bucket=b)) == (404, "NoSuchBucketPolicy")


def test_request_conditions(rgw, two):
    b, owner, _, _ = two
    url = f"{rgw.url}/{b}/priv/b.txt"

    def allow_if(cond):
        owner.put_bucket_policy(Bucket=b, Policy=statement(
            Effect="Allow", Principal="*", Action="s3:GetObject",
            Resource=f"arn:aws:s3:::{b}/*", Condition=cond))

    allow_if({"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}})
    assert requests.get(url).status_code == 200
    allow_if({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})
    assert requests.get(url).status_code == 403
    allow_if({"StringLike": {"aws:Referer": "http://x.com/*"}})
    assert requests.get(url, headers={"Referer": "http://x.com/p"}).status_code == 200
    assert requests.get(url).status_code == 403
    allow_if({"Bool": {"aws:SecureTransport": "true"}})
    assert requests.get(url).status_code == 403


def test_grants_to_another_user_and_to_everyone(rgw, two):
    b, owner, _, bob = two
    arn = f"arn:aws:s3:::{b}"
    # `arn:aws:iam:::root`: every user of the (empty) tenant, not anonymous callers.
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal={"AWS": "arn:aws:iam:::root"}, Action="s3:GetObject",
        Resource=f"{arn}/*"))
    assert bob.get_object(Bucket=b, Key="priv/b.txt")["Body"].read() == b"B"
    assert requests.get(f"{rgw.url}/{b}/priv/b.txt").status_code == 403
    assert owner.get_bucket_policy_status(Bucket=b)["PolicyStatus"]["IsPublic"] is False
    # NotAction alone grants nothing (radosgw needs the action in Action).
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*", NotAction="s3:GetObject", Resource=[arn, f"{arn}/*"]))
    assert requests.get(f"{rgw.url}/{b}").status_code == 403
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal={"AWS": "*"}, Action="s3:*", Resource=f"{arn}*"))
    assert requests.get(f"{rgw.url}/{b}/priv/b.txt").content == b"B"
    bob.delete_object(Bucket=b, Key="pub/a.txt")
    assert bob.get_bucket_acl(Bucket=b)["Owner"]["ID"] != ""
    assert code(lambda: bob.get_bucket_cors(Bucket=b)) == (404, "NoSuchCORSConfiguration")
    # Multi-object delete asks the policy key by key.
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*", Action="s3:DeleteObject", Resource=f"{arn}/pub/*"))
    owner.put_object(Bucket=b, Key="pub/c", Body=b"c")
    r = bob.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "pub/c"}, {"Key": "priv/b.txt"}]})
    assert [d["Key"] for d in r.get("Deleted", [])] == ["pub/c"]
    assert [(e["Key"], e["Code"]) for e in r["Errors"]] == [("priv/b.txt", "AccessDenied")]
    assert owner.get_object(Bucket=b, Key="priv/b.txt")["Body"].read() == b"B"
    # The policy goes with the bucket.
    owner.delete_object(Bucket=b, Key="priv/b.txt")
    owner.delete_bucket(Bucket=b)
    owner.create_bucket(Bucket=b)
    assert code(lambda: owner.get_bucket_policy(Bucket=b)) == (404, "NoSuchBucketPolicy")


def test_existing_object_tags_and_tagging_actions(rgw, two):
    """`s3:ExistingObjectTag/<key>` sees the object's tags; removing tags is its own action
    (s3-tests' test_bucket_policy_*_existing_tag and test_delete_tags_obj_public)."""
    b, owner, _, bob = two
    owner.put_object_tagging(Bucket=b, Key="priv/b.txt", Tagging={"TagSet": [
        {"Key": "security", "Value": "public"}, {"Key": "foo", "Value": "bar"}]})
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*",
        Action=["s3:GetObject", "s3:GetObjectTagging", "s3:GetObjectAcl"],
        Resource=f"arn:aws:s3:::{b}/*",
        Condition={"StringEquals": {"s3:ExistingObjectTag/security": "public"}}))
    assert bob.get_object(Bucket=b, Key="priv/b.txt")["Body"].read() == b"B"
    assert len(bob.get_object_tagging(Bucket=b, Key="priv/b.txt")["TagSet"]) == 2
    assert bob.get_object_acl(Bucket=b, Key="priv/b.txt")["Owner"]["ID"]
    # pub/a.txt has no such tag.
    assert code(lambda: bob.get_object(Bucket=b, Key="pub/a.txt")) == (403, "AccessDenied")
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*", Action="s3:DeleteObjectTagging",
        Resource=f"arn:aws:s3:::{b}/priv/b.txt"))
    assert code(lambda: bob.put_object_tagging(Bucket=b, Key="priv/b.txt", Tagging={
        "TagSet": []})) == (403, "AccessDenied")
    bob.delete_object_tagging(Bucket=b, Key="priv/b.txt")
    assert owner.get_object_tagging(Bucket=b, Key="priv/b.txt")["TagSet"] == []


def test_a_tenant_user_names_another_tenants_bucket(rgw, admin, two, uid):
    """`tenant:bucket` (`:bucket` for the global tenant) names another tenant's bucket, and
    its policy decides (s3-tests' test_bucket_policy_different_tenant)."""
    b, owner, _, _ = two
    k = admin.create_user(f"{uid}-t", tenant="tpol")["keys"][0]
    t = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    owner.put_bucket_policy(Bucket=b, Policy=statement(
        Effect="Allow", Principal="*", Action="s3:ListBucket", Resource=f"arn:aws:s3:::{b}"))
    raw = helpers.Client(rgw, k["access_key"], k["secret_key"])
    r = raw.get(f"/:{b}")
    assert r.status_code == 200 and "<Key>pub/a.txt</Key>" in r.text, r.text
    # A plain name is in the caller's own tenant, where there is no such bucket.
    assert code(lambda: t.list_objects(Bucket=b)) == (404, "NoSuchBucket")
