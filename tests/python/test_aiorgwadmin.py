"""aiorgwadmin 1.4.2 (PyPI, the asyncio twin of rgwadmin) against the server, unmodified.

It signs AWS v2 (requests-aws `awsauth.S3Auth`, Date header), %-quotes display names, and
sends subuser ops with a bare `?subuser` *and* `subuser=NAME` (a repeated query name).
"""
import asyncio
import json

import pytest
from aiorgwadmin import RGWAdmin
from aiorgwadmin import exceptions as aex

import helpers


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 60))


def client(rgw, ak=helpers.ADMIN_AK, sk=helpers.ADMIN_SK):
    return RGWAdmin(ak, sk, server=rgw.host, secure=False, verify=False,
                    timeout=helpers.HTTP_TIMEOUT)


def test_user_lifecycle(rgw, uid):
    async def scenario():
        async with client(rgw) as a:
            u = await a.create_user(uid, "Async User Name", email=f"{uid}@example.org",
                                    max_buckets=12, user_caps="usage=read")
            assert list(u) == helpers.USER_FIELDS
            assert (u["user_id"], u["display_name"], u["email"]) == \
                (uid, "Async User Name", f"{uid}@example.org")
            assert u["max_buckets"] == 12 and u["suspended"] == 0
            assert u["caps"] == [{"type": "usage", "perm": "read"}]
            assert len(u["keys"]) == 1 and u["keys"][0]["user"] == uid
            assert await a.get_user(uid=uid) == u
            assert await a.get_user(access_key=u["keys"][0]["access_key"]) == u
            assert uid in await a.get_users()

            m = await a.modify_user(uid, display_name="Renamed Async", suspended=True)
            assert m["display_name"] == "Renamed Async" and m["suspended"] == 1

            with pytest.raises(aex.UserAlreadyExists):
                await a.create_user(uid, "Again")
            with pytest.raises(aex.EmailExists):
                await a.create_user(uid + "-2", "Dup Mail", email=f"{uid}@example.org")

            assert await a.remove_user(uid) is None
            with pytest.raises(aex.NoSuchUser):
                await a.get_user(uid=uid)
            with pytest.raises(aex.NoSuchUser):
                await a.remove_user(uid)
    run(scenario())


def test_subusers_with_repeated_query_name(rgw, uid):
    async def scenario():
        async with client(rgw) as a:
            await a.create_user(uid, "Async Subusers", generate_key=False)
            sub = f"{uid}:sw"
            subs = await a.create_subuser(uid, subuser=sub, key_type="swift", access="write",
                                          generate_secret=True)
            assert subs == [{"id": sub, "permissions": "write"}]
            subs = await a.modify_subuser(uid, sub, access="full")
            assert subs == [{"id": sub, "permissions": "full-control"}]
            u = await a.get_user(uid=uid)
            assert u["subusers"] == subs
            assert [k["user"] for k in u["swift_keys"]] == [sub]
            assert await a.remove_subuser(uid, sub) is None
            u = await a.get_user(uid=uid)
            assert u["subusers"] == [] and u["swift_keys"] == []
            with pytest.raises(aex.RGWAdminException) as e:
                await a.remove_subuser(uid, sub)
            assert e.value.code == "NoSuchSubUser"
    run(scenario())


def test_keys_caps_quota(rgw, uid):
    async def scenario():
        async with client(rgw) as a:
            u = await a.create_user(uid, "Async Keys")
            ak = "AIO" + uid[-17:].upper().replace("-", "0")
            keys = await a.create_key(uid, access_key=ak, secret_key="a" * 40)
            assert {"user": uid, "access_key": ak, "secret_key": "a" * 40} in keys
            assert len(keys) == 2
            assert await a.remove_key(ak, uid=uid) is None
            assert (await a.get_user(uid=uid))["keys"] == u["keys"]

            caps = await a.add_capability(uid, "users=*;metadata=read")
            assert caps == [{"type": "metadata", "perm": "read"}, {"type": "users", "perm": "*"}]
            caps = await a.remove_capability(uid, "users=*")
            assert caps == [{"type": "metadata", "perm": "read"}]

            await a.set_user_quota(uid, "user", max_size=4096, max_objects=9, enabled=True)
            assert await a.get_user_quota(uid) == {"enabled": True, "check_on_raw": False,
                                                   "max_size": 4096, "max_size_kb": 4,
                                                   "max_objects": 9}
    run(scenario())


def test_v2_as_read_only_user(rgw, uid):
    async def scenario():
        async with client(rgw) as a:
            ak = "AIORO" + uid[-15:].upper().replace("-", "0")
            await a.create_user(uid, "Reader", access_key=ak, secret_key="r" * 40,
                                user_caps="users=read")
        async with client(rgw, ak, "r" * 40) as reader:
            assert (await reader.get_user(uid="admin"))["user_id"] == "admin"
            with pytest.raises(aex.AccessDenied):
                await reader.modify_user(uid, display_name="Nope")
        async with client(rgw, ak, "wrong" * 8) as bad:
            with pytest.raises(aex.RGWAdminException) as e:
                await bad.get_user(uid="admin")
            assert e.value.code == "SignatureDoesNotMatch"
    run(scenario())


def test_bucket_metadata_round_trip(rgw, uid):
    """Issue 13: get_metadata then put_metadata of a bucket's entry point and instance (the
    oracle, radosgw 16.2.15: 200 resp. 204 `applied`, nothing changed); a quota edited in the
    instance document is applied, as radosgw applies it."""
    async def scenario():
        async with client(rgw) as a:
            u = await a.create_user(uid, "Meta Round Trip")
            k = u["keys"][0]
            s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
            b = f"{uid}-meta"
            s3.create_bucket(Bucket=b)
            s3.put_object(Bucket=b, Key="o", Body=b"x")
            ep = await a.get_metadata("bucket", key=b)
            await a.put_metadata("bucket", b, json.dumps(ep))
            assert await a.get_metadata("bucket", key=b) == ep
            ikey = f"{b}:{ep['data']['bucket']['bucket_id']}"
            inst = await a.get_metadata("bucket.instance", key=ikey)
            await a.put_metadata("bucket.instance", ikey, json.dumps(inst))
            assert await a.get_metadata("bucket.instance", key=ikey) == inst
            inst["data"]["bucket_info"]["quota"].update(enabled=True, max_objects=7)
            await a.put_metadata("bucket.instance", ikey, json.dumps(inst))
            q = (await a.get_bucket(bucket=b))["bucket_quota"]
            assert (q["enabled"], q["max_objects"]) == (True, 7)
            assert s3.get_object(Bucket=b, Key="o")["Body"].read() == b"x"
    run(scenario())
