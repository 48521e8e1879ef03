"""rgwadmin 2.4.6 (PyPI, UMIACS/rgwadmin) against the server, unmodified.

It signs SigV4 with requests-aws4auth (region `nowhere`, payload hash header), builds query
strings by string formatting (raw spaces, `=`, `;`, `*` in values) and maps the error `Code`
to exception classes.
"""
import re

import pytest
import rgwadmin
from rgwadmin import exceptions as rex

import helpers

ACCESS_RE = re.compile(r"^[0-9A-Z]{20}$")
SECRET_RE = re.compile(r"^[A-Za-z0-9]{40}$")
DISABLED_QUOTA = {"enabled": False, "check_on_raw": False, "max_size": -1, "max_size_kb": 0,
                  "max_objects": -1}


def test_create_get_remove_user(rgwa, uid):
    u = rgwa.create_user(uid, "Unit Test User", email=f"{uid}@example.com",
                         user_caps="users=read;buckets=*", max_buckets=7)
    assert list(u) == helpers.USER_FIELDS
    assert u["tenant"] == ""
    assert u["user_id"] == uid
    assert u["display_name"] == "Unit Test User"
    assert u["email"] == f"{uid}@example.com"
    assert u["suspended"] == 0
    assert u["max_buckets"] == 7
    assert u["subusers"] == [] and u["swift_keys"] == []
    assert u["caps"] == [{"type": "buckets", "perm": "*"}, {"type": "users", "perm": "read"}]
    assert u["op_mask"] == "read, write, delete"
    assert u["system"] is False and u["admin"] is False  # reef: JSON booleans
    assert u["bucket_quota"] == DISABLED_QUOTA and u["user_quota"] == DISABLED_QUOTA
    assert u["type"] == "rgw" and u["placement_tags"] == [] and u["mfa_ids"] == []
    assert len(u["keys"]) == 1
    key = u["keys"][0]
    assert list(key) == ["user", "access_key", "secret_key"]
    assert key["user"] == uid
    assert ACCESS_RE.match(key["access_key"]) and SECRET_RE.match(key["secret_key"])

    assert rgwa.get_user(uid=uid) == u
    assert rgwa.get_user(access_key=key["access_key"]) == u
    assert uid in rgwa.get_users()

    assert rgwa.remove_user(uid) is None
    with pytest.raises(rex.NoSuchUser):
        rgwa.get_user(uid=uid)
    assert uid not in rgwa.get_users()


def test_create_user_fixed_keys_then_use_them(rgwa, rgw, uid):
    ak, sk = "PYRGWADMIN" + uid[-10:].upper(), "s" * 40
    u = rgwa.create_user(uid, "Key Holder", access_key=ak, secret_key=sk, user_caps="users=read")
    assert u["keys"] == [{"user": uid, "access_key": ak, "secret_key": sk}]
    as_user = rgwadmin.RGWAdmin(ak, sk, server=rgw.host, secure=False, verify=False,
                                timeout=helpers.HTTP_TIMEOUT)
    assert as_user.get_user(uid="admin")["user_id"] == "admin"
    with pytest.raises(rex.AccessDenied):
        as_user.create_user(uid + "x", "Nope")
    with pytest.raises(rex.NoSuchUser):
        rgwa.get_user(uid=uid + "x")


def test_create_existing_user_raises(rgwa, uid):
    rgwa.create_user(uid, "First")
    with pytest.raises(rex.UserAlreadyExists):
        rgwa.create_user(uid, "Second")
    assert rgwa.get_user(uid=uid)["display_name"] == "First"


def test_modify_user(rgwa, uid):
    rgwa.create_user(uid, "Before", email=f"{uid}@example.com")
    u = rgwa.modify_user(uid, display_name="After Change", email=f"new-{uid}@example.com",
                         max_buckets=3)
    assert u["display_name"] == "After Change"
    assert u["email"] == f"new-{uid}@example.com"
    assert u["max_buckets"] == 3
    assert len(u["keys"]) == 1

    assert rgwa.modify_user(uid, suspended=True)["suspended"] == 1
    assert rgwa.get_user(uid=uid)["suspended"] == 1
    # a modify that does not mention `suspended` must not unsuspend (rgwadmin issue #41)
    assert rgwa.modify_user(uid, display_name="Still Suspended")["suspended"] == 1
    assert rgwa.modify_user(uid, suspended=False)["suspended"] == 0

    u = rgwa.modify_user(uid, generate_key=True)
    assert len(u["keys"]) == 2
    assert len({k["access_key"] for k in u["keys"]}) == 2
    assert rgwa.get_user(uid=uid) == u


def test_modify_missing_user(rgwa, uid):
    with pytest.raises(rex.NoSuchUser):
        rgwa.modify_user(uid, display_name="Ghost")


def test_keys(rgwa, uid):
    u = rgwa.create_user(uid, "Keys")
    first = u["keys"][0]
    ak2, sk2 = "PYKEY" + uid[-15:].upper().replace("-", "0"), "k" * 40
    keys = rgwa.create_key(uid, access_key=ak2, secret_key=sk2)
    assert {"user": uid, "access_key": ak2, "secret_key": sk2} in keys
    assert first in keys and len(keys) == 2
    assert keys == sorted(keys, key=lambda k: k["access_key"])

    keys = rgwa.create_key(uid)  # generated
    assert len(keys) == 3
    new = [k for k in keys if k["access_key"] not in (ak2, first["access_key"])][0]
    assert ACCESS_RE.match(new["access_key"]) and SECRET_RE.match(new["secret_key"])

    assert rgwa.remove_key(ak2, uid=uid) is None
    after = rgwa.get_user(uid=uid)["keys"]
    assert ak2 not in {k["access_key"] for k in after} and len(after) == 2

    with pytest.raises(rex.RGWAdminException) as e:
        rgwa.remove_key(ak2, uid=uid)
    assert e.value.code == "InvalidAccessKeyId"


def test_key_of_another_user_is_refused(rgwa, uid):
    other = rgwa.create_user(uid + "o", "Other")["keys"][0]["access_key"]
    rgwa.create_user(uid, "Mine")
    with pytest.raises(rex.KeyExists):
        rgwa.create_key(uid, access_key=other, secret_key="x" * 40)
    assert len(rgwa.get_user(uid=uid)["keys"]) == 1


def test_swift_subuser_lifecycle(rgwa, uid):
    rgwa.create_user(uid, "Subusers")
    sub = f"{uid}:swift"
    subs = rgwa.create_subuser(uid, subuser=sub, key_type="swift", access="full",
                               generate_secret=True)
    assert subs == [{"id": sub, "permissions": "full-control"}]
    u = rgwa.get_user(uid=uid)
    assert u["subusers"] == subs
    assert len(u["swift_keys"]) == 1
    assert u["swift_keys"][0]["user"] == sub
    assert list(u["swift_keys"][0]) == ["user", "secret_key"]
    assert SECRET_RE.match(u["swift_keys"][0]["secret_key"])

    swift_keys = u["swift_keys"]
    assert rgwa.modify_subuser(uid, sub, access="read") == [{"id": sub, "permissions": "read"}]
    # rgwadmin sends the new secret as `secret=`; radosgw reads only `secret-key` on subuser
    # modify (RGWOp_Subuser_Modify), and key-type alone is no key op: the key stays as it was
    rgwa.modify_subuser(uid, sub, secret="swiftsecret" + "0" * 29, access="readwrite")
    u = rgwa.get_user(uid=uid)
    assert u["subusers"] == [{"id": sub, "permissions": "read-write"}]
    assert u["swift_keys"] == swift_keys

    assert rgwa.remove_subuser(uid, sub) is None
    u = rgwa.get_user(uid=uid)
    assert u["subusers"] == [] and u["swift_keys"] == []


def test_s3_subuser_and_key(rgwa, uid):
    rgwa.create_user(uid, "S3 Subuser", generate_key=False)
    sub = f"{uid}:s3"
    ak, sk = "PYSUB" + uid[-15:].upper().replace("-", "0"), "t" * 40
    subs = rgwa.create_subuser(uid, subuser=sub, access_key=ak, secret_key=sk, key_type="s3",
                               access="readwrite")
    assert subs == [{"id": sub, "permissions": "read-write"}]
    u = rgwa.get_user(uid=uid)
    assert u["keys"] == [{"user": sub, "access_key": ak, "secret_key": sk}]
    assert rgwa.get_user(access_key=ak)["user_id"] == uid

    swift = rgwa.create_key(uid, subuser=sub, key_type="swift", secret_key="w" * 40)
    assert swift == [{"user": sub, "secret_key": "w" * 40}]
    assert rgwa.remove_key(sub, key_type="swift", uid=uid, subuser=sub) is None
    assert rgwa.get_user(uid=uid)["swift_keys"] == []

    with pytest.raises(rex.RGWAdminException) as e:
        rgwa.modify_subuser(uid, f"{uid}:nosuch", access="read")
    assert e.value.code == "NoSuchSubUser"


def test_caps(rgwa, uid):
    rgwa.create_user(uid, "Caps", generate_key=False)
    caps = rgwa.add_capability(uid, "usage=read,write;users=read")
    assert caps == [{"type": "usage", "perm": "*"}, {"type": "users", "perm": "read"}]
    caps = rgwa.add_capability(uid, "buckets=*")
    assert caps == [{"type": "buckets", "perm": "*"}, {"type": "usage", "perm": "*"},
                    {"type": "users", "perm": "read"}]
    caps = rgwa.remove_capability(uid, "usage=write")
    assert caps == [{"type": "buckets", "perm": "*"}, {"type": "usage", "perm": "read"},
                    {"type": "users", "perm": "read"}]
    caps = rgwa.remove_capability(uid, "buckets=*;users=read")
    assert caps == [{"type": "usage", "perm": "read"}]
    assert rgwa.get_user(uid=uid)["caps"] == caps
    with pytest.raises(rex.RGWAdminException) as e:
        rgwa.add_capability(uid, "bogus=read")
    assert e.value.code == "InvalidCapability"
    assert rgwa.get_user(uid=uid)["caps"] == caps


def test_user_quota(rgwa, uid):
    rgwa.create_user(uid, "Quota", generate_key=False)
    assert rgwa.get_user_quota(uid) == DISABLED_QUOTA
    assert rgwa.set_user_quota(uid, "user", max_size_kb=1024, max_objects=100,
                               enabled=True) is None
    assert rgwa.get_user_quota(uid) == {"enabled": True, "check_on_raw": False,
                                        "max_size": 1048576, "max_size_kb": 1024,
                                        "max_objects": 100}
    assert rgwa.get_user_bucket_quota(uid) == DISABLED_QUOTA
    rgwa.set_user_quota(uid, "bucket", max_objects=5, enabled=True)
    assert rgwa.get_user_bucket_quota(uid) == {"enabled": True, "check_on_raw": False,
                                               "max_size": -1, "max_size_kb": 0,
                                               "max_objects": 5}
    u = rgwa.get_user(uid=uid)
    assert u["user_quota"]["max_objects"] == 100 and u["bucket_quota"]["max_objects"] == 5
    with pytest.raises(rex.NoSuchUser):
        rgwa.get_user_quota(uid + "-missing")


def test_metadata_user(rgwa, uid):
    rgwa.create_user(uid, "Meta")
    meta = rgwa.get_metadata("user", key=uid)
    assert meta["key"] == f"user:{uid}"
    assert set(meta) >= {"key", "ver", "mtime", "data"}
    assert meta["data"]["user_id"] == uid
    assert meta["data"]["display_name"] == "Meta"
    with pytest.raises(rex.NoSuchKey):
        rgwa.get_metadata("user", key=uid + "-missing")


def test_rgwuser_helper(rgwa, uid):
    """rgwadmin.RGWUser.fetch parses the metadata document strictly (exact key fields)."""
    rgwadmin.RGWAdmin.set_connection(rgwa)
    rgwa.create_user(uid, "Helper", user_caps="usage=read")
    rgwa.create_subuser(uid, subuser=f"{uid}:sw", key_type="swift", access="write",
                        generate_secret=True)
    u = rgwadmin.RGWUser.fetch(uid)
    assert u is not None
    assert u.user_id == uid and u.display_name == "Helper"
    assert [(c.type, c.perm) for c in u.caps] == [("usage", "read")]
    assert [s.id for s in u.subusers] == [f"{uid}:sw"]
    assert len(u.keys) == 1 and len(u.swift_keys) == 1
    assert rgwadmin.RGWUser.fetch(uid + "-missing") is None
