"""Accounts at `compat = squid` (radosgw 19.2): `/admin/account` create, modify, quota, info,
delete; the `accounts` cap; users created into accounts (`account-id`, `account-root`, the
squid user fields); buckets of members owned by the account; `/admin/metadata/account`; the
`rgw-admin account` CLI; and at reef none of it (answered as any unknown admin resource).
Every refusal is followed by a look at the state: bad input changes nothing."""
import json
import random
import re
import string

import pytest

import helpers

ID_RE = re.compile(r"^RGW[0-9]{17}$")
ACCOUNT_FIELDS = ["id", "tenant", "name", "email", "quota", "bucket_quota", "max_users",
                  "max_roles", "max_groups", "max_buckets", "max_access_keys"]
SQUID_USER_TAIL = ["type", "mfa_ids", "account_id", "path", "create_date", "tags", "group_ids"]


@pytest.fixture
def sq(squid):
    return squid.admin()


def new_id():
    """A well-formed account id no test used."""
    return "RGW" + "".join(random.choice(string.digits) for _ in range(17))


def create(sq, **params):
    query = [(k.replace("_", "-"), str(v)) for k, v in params.items()]
    return sq.post("/admin/account", query)


def make(sq, **params):
    params.setdefault("name", helpers.unique("acct"))
    r = create(sq, **params)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def get(sq, **params):
    return sq.get("/admin/account", [(k, v) for k, v in params.items()])


def info(sq, account_id):
    r = get(sq, id=account_id)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def accounts(sq):
    r = sq.get("/admin/metadata/account")
    assert r.status_code == 200, (r.status_code, r.text)
    return sorted(r.json())


def test_create_without_id_generates_one(sq):
    a = make(sq, email=helpers.unique("e") + "@example.com", tenant="", max_users=7)
    assert list(a) == ACCOUNT_FIELDS
    assert ID_RE.match(a["id"]), a
    assert a["max_users"] == 7
    assert (a["max_roles"], a["max_groups"], a["max_buckets"], a["max_access_keys"]) == \
        (1000, 1000, 1000, 4)
    assert a["quota"] == {"enabled": False, "check_on_raw": False, "max_size": -1,
                          "max_size_kb": 0, "max_objects": -1}
    assert a["bucket_quota"] == a["quota"]
    assert info(sq, a["id"]) == a
    assert a["id"] in accounts(sq)


def test_create_with_id_and_all_limits(sq):
    aid = new_id()
    a = make(sq, id=aid, max_users=1, max_roles=2, max_groups=3, max_access_keys=5,
             max_buckets=6)
    assert a["id"] == aid
    assert [a[k] for k in ["max_users", "max_roles", "max_groups", "max_access_keys",
                           "max_buckets"]] == [1, 2, 3, 5, 6]


@pytest.mark.parametrize("bad", ["RGW1234", "RGW1234567890123456", "RGW123456789012345678",
                                 "XYZ12345678901234567", "RGW1234567890123456x",
                                 "rgw12345678901234567"])
def test_malformed_id_refused(sq, bad):
    before = accounts(sq)
    name = helpers.unique("bad")
    helpers.assert_error(create(sq, id=bad, name=name), 400, "InvalidArgument")
    assert accounts(sq) == before
    helpers.assert_error(get(sq, tenant="", name=name), 404, "NoSuchKey")


@pytest.mark.parametrize("name", [None, "", "a$b", "a:b"])
def test_missing_or_illegal_name_refused(sq, name):
    before = accounts(sq)
    params = {"id": new_id()}
    if name is not None:
        params["name"] = name
    helpers.assert_error(create(sq, **params), 400, "InvalidArgument")
    assert accounts(sq) == before
    helpers.assert_error(get(sq, id=params["id"]), 404, "NoSuchKey")


def test_bad_limit_refused(sq):
    before = accounts(sq)
    helpers.assert_error(create(sq, name=helpers.unique("n"), max_users="lots"), 400,
                         "InvalidArgument")
    assert accounts(sq) == before


def test_duplicate_id_name_and_email_refused(sq):
    email = helpers.unique("dup") + "@example.com"
    a = make(sq, email=email)
    before = accounts(sq)
    helpers.assert_error(create(sq, id=a["id"], name=helpers.unique("other")), 409,
                         "AccountAlreadyExists")
    helpers.assert_error(create(sq, name=helpers.unique("other"), email=email), 409,
                         "AccountAlreadyExists")
    helpers.assert_error(create(sq, name=a["name"]), 409, "AccountAlreadyExists")
    assert accounts(sq) == before
    assert info(sq, a["id"]) == a


def test_emails_unique_across_users_and_accounts(sq):
    user_email = helpers.unique("ue") + "@example.com"
    uid = helpers.unique("emailuser")
    sq.create_user(uid, email=user_email)
    before = accounts(sq)
    helpers.assert_error(create(sq, name=helpers.unique("n"), email=user_email), 409,
                         "AccountAlreadyExists")
    assert accounts(sq) == before

    acct_email = helpers.unique("ae") + "@example.com"
    a = make(sq, email=acct_email)
    other = helpers.unique("emailuser2")
    r = sq.put("/admin/user", [("uid", other), ("display-name", "X"), ("email", acct_email)])
    helpers.assert_error(r, 409, "EmailExists")
    assert sq.get("/admin/user", [("uid", other)]).status_code == 404
    r = sq.post("/admin/user", [("uid", uid), ("email", acct_email)])
    helpers.assert_error(r, 409, "EmailExists")
    assert sq.user_info(uid)["email"] == user_email
    # and an account cannot take a user's email by modify either
    r = sq.put("/admin/account", [("id", a["id"]), ("email", user_email)])
    helpers.assert_error(r, 409, "AccountAlreadyExists")
    assert info(sq, a["id"]) == a


def test_get_by_id_by_tenant_and_name_and_without(sq):
    a = make(sq, tenant="acme", name=helpers.unique("tn"))
    assert get(sq, tenant="acme", name=a["name"]).json() == a
    assert get(sq, id=a["id"]).json() == a
    helpers.assert_error(get(sq, name=a["name"]), 404, "NoSuchKey")  # other tenant
    helpers.assert_error(get(sq), 400, "InvalidArgument")
    helpers.assert_error(get(sq, tenant="acme"), 400, "InvalidArgument")
    helpers.assert_error(get(sq, email="x@example.com"), 400, "InvalidArgument")
    helpers.assert_error(get(sq, id=new_id()), 404, "NoSuchKey")
    r = sq.get("/admin/account", [("id", a["id"]), ("format", "xml")])
    assert r.status_code == 200
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8"?><AccountInfo><id>'), r.text


def test_modify_by_each_selector(sq):
    email = helpers.unique("m") + "@example.com"
    a = make(sq, tenant="modt", email=email)
    r = sq.put("/admin/account", [("id", a["id"]), ("max-users", "5")])
    assert r.status_code == 200, r.text
    assert r.json()["max_users"] == 5
    r = sq.put("/admin/account", [("tenant", "modt"), ("name", a["name"]),
                                  ("max-buckets", "9")])
    assert r.status_code == 200, r.text
    assert r.json()["max_buckets"] == 9
    r = sq.put("/admin/account", [("email", email), ("max-roles", "3")])
    assert r.status_code == 200, r.text
    got = info(sq, a["id"])
    assert (got["max_users"], got["max_buckets"], got["max_roles"]) == (5, 9, 3)
    # rename and new email by id; the old name no longer finds it
    new_name, new_email = helpers.unique("renamed"), helpers.unique("n") + "@example.com"
    r = sq.put("/admin/account", [("id", a["id"]), ("name", new_name), ("email", new_email)])
    assert r.status_code == 200, r.text
    assert get(sq, tenant="modt", name=new_name).json()["email"] == new_email
    helpers.assert_error(get(sq, tenant="modt", name=a["name"]), 404, "NoSuchKey")
    # the old email is free again: a user may take it
    sq.create_user(helpers.unique("takes"), email=email)


def test_modify_refusals_change_nothing(sq):
    a = make(sq, tenant="reft")
    b = make(sq, tenant="reft")
    helpers.assert_error(sq.put("/admin/account", [("max-users", "3")]), 400, "InvalidArgument")
    helpers.assert_error(sq.put("/admin/account", [("id", new_id())]), 404, "NoSuchKey")
    for bad in [[("tenant", "other")], [("name", "x$y")], [("max-users", "-3")],
                [("max-roles", "x")]]:
        helpers.assert_error(sq.put("/admin/account", [("id", a["id"])] + bad), 400,
                             "InvalidArgument")
    helpers.assert_error(sq.put("/admin/account", [("id", a["id"]), ("name", b["name"])]),
                         409, "AccountAlreadyExists")
    assert info(sq, a["id"]) == a
    assert info(sq, b["id"]) == b


def test_quota_both_types(sq):
    a = make(sq)
    r = sq.put("/admin/account", [("quota", None), ("id", a["id"]), ("quota-type", "account"),
                                  ("max-size", "1048576"), ("max-objects", "10"),
                                  ("enabled", "true")])
    assert r.status_code == 200, r.text
    assert r.json()["quota"] == {"enabled": True, "check_on_raw": False, "max_size": 1048576,
                                 "max_size_kb": 1024, "max_objects": 10}
    r = sq.put("/admin/account", [("quota", None), ("id", a["id"]), ("quota-type", "bucket"),
                                  ("max-objects", "-5"), ("enabled", "true")])
    assert r.status_code == 200, r.text
    got = info(sq, a["id"])
    assert got["bucket_quota"]["max_objects"] == -1 and got["bucket_quota"]["enabled"]
    assert got["quota"]["max_objects"] == 10
    for bad in [[("quota-type", "user")], [], [("quota-type", "account"), ("max-size", "x")],
                [("quota-type", "bucket"), ("enabled", "maybe")]]:
        r = sq.put("/admin/account", [("quota", None), ("id", a["id"])] + bad)
        helpers.assert_error(r, 400, "InvalidArgument")
    assert info(sq, a["id"]) == got


def test_delete_refused_with_users_or_buckets_allowed_when_empty(sq, squid):
    a = make(sq)
    uid = helpers.unique("member")
    u = sq.create_user(uid, account_id=a["id"])
    helpers.assert_error(sq.delete("/admin/account", [("id", a["id"])]), 409, "BucketNotEmpty")
    assert info(sq, a["id"]) == a
    # a member's bucket is the account's: it keeps the account after the user is gone
    k = u["keys"][0]
    s3 = helpers.s3_client(squid, k["access_key"], k["secret_key"])
    bucket = helpers.unique("acctbkt")
    s3.create_bucket(Bucket=bucket)
    r = sq.delete("/admin/user", [("uid", uid)])
    assert r.status_code == 200, r.text
    helpers.assert_error(sq.delete("/admin/account", [("id", a["id"])]), 409, "BucketNotEmpty")
    assert info(sq, a["id"]) == a
    r = sq.delete("/admin/bucket", [("bucket", bucket)])
    assert r.status_code == 200, r.text
    r = sq.delete("/admin/account", [("id", a["id"])])
    assert r.status_code == 200 and r.content == b"", r.text
    helpers.assert_error(get(sq, id=a["id"]), 404, "NoSuchKey")
    assert a["id"] not in accounts(sq)
    helpers.assert_error(sq.delete("/admin/account", [("id", a["id"])]), 404, "NoSuchKey")
    helpers.assert_error(sq.delete("/admin/account", []), 400, "InvalidArgument")
    # its name is free again
    make(sq, name=a["name"])


def test_accounts_cap_required(sq, squid):
    a = make(sq)
    uid = helpers.unique("nocap")
    u = sq.create_user(uid, user_caps="users=*;metadata=*")
    k = u["keys"][0]
    other = squid.admin(k["access_key"], k["secret_key"])
    before = accounts(sq)
    helpers.assert_error(other.post("/admin/account", [("name", helpers.unique("x"))]), 403,
                         "AccessDenied")
    helpers.assert_error(other.get("/admin/account", [("id", a["id"])]), 403, "AccessDenied")
    helpers.assert_error(other.put("/admin/account", [("id", a["id"]), ("max-users", "1")]),
                         403, "AccessDenied")
    helpers.assert_error(other.put("/admin/account", [("quota", None), ("id", a["id"]),
                                                      ("quota-type", "account"),
                                                      ("enabled", "true")]),
                         403, "AccessDenied")
    helpers.assert_error(other.delete("/admin/account", [("id", a["id"])]), 403,
                         "AccessDenied")
    assert accounts(sq) == before
    assert info(sq, a["id"]) == a
    r = sq.put("/admin/user", [("caps", None), ("uid", uid), ("user-caps", "accounts=read")])
    assert r.status_code == 200, r.text
    assert other.get("/admin/account", [("id", a["id"])]).json() == a
    helpers.assert_error(other.delete("/admin/account", [("id", a["id"])]), 403,
                         "AccessDenied")
    assert info(sq, a["id"]) == a


def test_user_in_account_and_root(sq):
    a = make(sq)
    uid = helpers.unique("root")
    u = sq.create_user(uid, account_id=a["id"], account_root="true", path="/team/")
    assert u["account_id"] == a["id"] and u["type"] == "root" and u["path"] == "/team/"
    assert list(u)[-len(SQUID_USER_TAIL):] == SQUID_USER_TAIL
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", u["create_date"])
    assert u["tags"] == [] and u["group_ids"] == []
    assert sq.user_info(uid) == u
    plain = sq.create_user(helpers.unique("plain"))
    assert plain["account_id"] == "" and plain["type"] == "rgw" and plain["path"] == "/"
    r = sq.get("/admin/user", [("uid", uid), ("stats", "true")])
    assert list(r.json())[-1] == "stats"
    # a plain user joins by modify; a member cannot move to another account
    b = make(sq)
    r = sq.post("/admin/user", [("uid", plain["user_id"]), ("account-id", a["id"])])
    assert r.status_code == 200 and r.json()["account_id"] == a["id"], r.text
    r = sq.post("/admin/user", [("uid", plain["user_id"]), ("account-id", b["id"])])
    helpers.assert_error(r, 400, "InvalidArgument")
    assert sq.user_info(plain["user_id"])["account_id"] == a["id"]


def test_user_account_refusals_change_nothing(sq):
    a = make(sq, max_users=1)
    sq.create_user(helpers.unique("first"), account_id=a["id"])
    cases = [
        ([("account-id", a["id"])], 409, "LimitExceeded"),
        ([("account-id", new_id())], 404, "NoSuchKey"),
        ([("account-root", "true")], 400, "InvalidArgument"),
        ([("account-id", make(sq, tenant="elsewhere")["id"])], 400, "InvalidArgument"),
    ]
    for extra, status, code in cases:
        uid = helpers.unique("refused")
        r = sq.put("/admin/user", [("uid", uid), ("display-name", "R")] + extra)
        helpers.assert_error(r, status, code)
        assert sq.get("/admin/user", [("uid", uid)]).status_code == 404
        assert uid not in sq.user_list()
    assert info(sq, a["id"]) == a


def test_member_buckets_owned_by_account(sq, squid):
    a = make(sq)
    u1 = sq.create_user(helpers.unique("m1"), account_id=a["id"])
    u2 = sq.create_user(helpers.unique("m2"), account_id=a["id"])
    s1 = helpers.s3_client(squid, u1["keys"][0]["access_key"], u1["keys"][0]["secret_key"])
    s2 = helpers.s3_client(squid, u2["keys"][0]["access_key"], u2["keys"][0]["secret_key"])
    bucket = helpers.unique("owned")
    s1.create_bucket(Bucket=bucket)
    r = sq.get("/admin/bucket", [("bucket", bucket)])
    assert r.status_code == 200 and r.json()["owner"] == a["id"], r.text
    # every member sees and uses the account's bucket
    assert bucket in [b["Name"] for b in s2.list_buckets()["Buckets"]]
    s2.put_object(Bucket=bucket, Key="k", Body=b"hello")
    assert s1.get_object(Bucket=bucket, Key="k")["Body"].read() == b"hello"
    r = sq.get("/admin/bucket", [("uid", u1["user_id"])])
    assert r.status_code == 200
    s1.delete_object(Bucket=bucket, Key="k")
    s2.delete_bucket(Bucket=bucket)


def test_account_quotas_enforced_on_member_writes(sq, squid):
    """The account's quota counts every bucket the account owns; its bucket quota each one
    without a quota of its own. A write past either is refused and stores nothing."""
    a = make(sq)
    u = sq.create_user(helpers.unique("qm"), account_id=a["id"])
    s3 = helpers.s3_client(squid, u["keys"][0]["access_key"], u["keys"][0]["secret_key"])
    b1, b2 = helpers.unique("aq1"), helpers.unique("aq2")
    s3.create_bucket(Bucket=b1)
    s3.create_bucket(Bucket=b2)

    def setq(kind, **limits):
        r = sq.put("/admin/account", [("quota", None), ("id", a["id"]), ("quota-type", kind),
                                      ("enabled", "true")] +
                   [(k.replace("_", "-"), str(v)) for k, v in limits.items()])
        assert r.status_code == 200, r.text

    def refused(bucket, key):
        with pytest.raises(s3.exceptions.ClientError) as e:
            s3.put_object(Bucket=bucket, Key=key, Body=b"x")
        assert e.value.response["Error"]["Code"] == "QuotaExceeded", e.value.response
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        assert key not in keys

    setq("account", max_objects=3)
    s3.put_object(Bucket=b1, Key="one", Body=b"x")
    s3.put_object(Bucket=b2, Key="two", Body=b"x")
    s3.put_object(Bucket=b2, Key="three", Body=b"x")
    refused(b1, "four")  # three objects across the account's buckets: full
    setq("account", max_objects=-1)
    setq("bucket", max_objects=2)
    s3.put_object(Bucket=b1, Key="four", Body=b"x")
    refused(b2, "five")  # b2 holds two
    # a bucket's own quota wins over the account's bucket quota
    r = sq.put("/admin/bucket", [("quota", None), ("bucket", b2), ("uid", u["user_id"]),
                                 ("max-objects", "10"), ("max-size-kb", "-1"),
                                 ("enabled", "true")])
    assert r.status_code == 200, r.text
    s3.put_object(Bucket=b2, Key="five", Body=b"x")
    setq("bucket", max_objects=-1)
    for b, keys in ((b1, ["one", "four"]), (b2, ["five", "three", "two"])):
        for k in keys:
            s3.delete_object(Bucket=b, Key=k)
        s3.delete_bucket(Bucket=b)


def test_metadata_account_list_and_get(sq):
    a = make(sq, email=helpers.unique("md") + "@example.com")
    make(sq)  # a second account, so a page of one is truncated whatever ran before
    assert a["id"] in accounts(sq)
    r = sq.get("/admin/metadata/account", [("key", a["id"])])
    assert r.status_code == 200, r.text
    d = r.json()
    assert list(d) == ["key", "ver", "mtime", "data"]
    assert d["key"] == "account:" + a["id"]
    assert list(d["data"]) == ACCOUNT_FIELDS + ["attrs"]
    assert {k: d["data"][k] for k in ACCOUNT_FIELDS} == a
    r = sq.get("/admin/metadata", [("key", "account:" + a["id"])])
    assert r.status_code == 200 and r.json()["data"]["id"] == a["id"]
    helpers.assert_error(sq.get("/admin/metadata/account", [("key", new_id())]), 404,
                         "NoSuchKey")
    r = sq.get("/admin/metadata")
    assert r.json() == ["account", "bucket", "bucket.instance", "otp", "user"]
    r = sq.get("/admin/metadata/account", [("max-entries", "1")])
    page = r.json()
    assert page["count"] == 1 and page["truncated"] is True and "marker" in page
    r = sq.get("/admin/metadata/account", [("max-entries", "1000"),
                                           ("marker", page["marker"])])
    rest = r.json()["keys"]
    assert page["keys"][0] not in rest and sorted(page["keys"] + rest) == accounts(sq)


def test_cli(tmp_path):
    data = str(tmp_path / "data")
    env = {"RGW_ADMIN_COMPAT": "squid"}

    def cli(*args):
        return helpers.run_cli(data, *args, env=env)

    assert cli("init").returncode == 0
    aid = new_id()
    p = cli("account", "create", "--account-id", aid, "--account-name", "cliacct",
            "--email", "cli@example.com", "--max-users", "2")
    assert p.returncode == 0, p.stderr
    a = json.loads(p.stdout)
    assert list(a) == ACCOUNT_FIELDS and a["id"] == aid and a["max_users"] == 2
    p = cli("account", "info", "--account-id", aid)
    assert p.returncode == 0 and json.loads(p.stdout) == a
    p = cli("account", "info", "--tenant", "", "--account-name", "cliacct")
    assert p.returncode == 0 and json.loads(p.stdout) == a, p.stderr
    p = cli("account", "modify", "--account-id", aid, "--max-buckets", "3")
    assert p.returncode == 0 and json.loads(p.stdout)["max_buckets"] == 3
    p = cli("user", "create", "--uid", "cliroot", "--display-name", "Root", "--account-id",
            aid, "--account-root")
    assert p.returncode == 0, p.stderr
    u = json.loads(p.stdout)
    assert u["account_id"] == aid and u["type"] == "root"
    p = cli("account", "rm", "--account-id", aid)
    assert p.returncode == 1 and "BucketNotEmpty" in p.stderr
    assert cli("user", "rm", "--uid", "cliroot").returncode == 0
    p = cli("account", "create", "--account-id", "RGW1", "--account-name", "x")
    assert p.returncode == 1 and "InvalidArgument" in p.stderr
    assert cli("account", "rm", "--account-id", aid).returncode == 0
    p = cli("account", "info", "--account-id", aid)
    assert p.returncode == 1 and "NoSuchKey" in p.stderr
    # below squid there are no accounts
    p = helpers.run_cli(data, "account", "create", "--account-name", "x",
                        env={"RGW_ADMIN_COMPAT": "reef"})
    assert p.returncode == 1 and "MethodNotAllowed" in p.stderr


def test_reef_has_none_of_it(admin):
    for method in ["GET", "PUT", "POST", "DELETE"]:
        want = admin.request(method, "/admin/nosuch", [("id", "x")])
        got = admin.request(method, "/admin/account", [("id", "x"), ("name", "x")])
        helpers.assert_error(got, want.status_code, want.json()["Code"])
        assert want.status_code == 405
    r = admin.put("/admin/account", [("quota", None), ("id", "x")])
    helpers.assert_error(r, 405, "MethodNotAllowed")
    assert admin.get("/admin/metadata").json() == ["bucket", "bucket.instance", "otp", "user"]
    helpers.assert_error(admin.get("/admin/metadata/account"), 404, "NoSuchKey")
    uid = helpers.unique("reefacct")
    u = admin.create_user(uid, account_id=new_id(), account_root="true", path="/p/")
    assert "account_id" not in u and u["type"] == "rgw"
    assert list(u)[-2:] == ["type", "mfa_ids"]
    r = admin.put("/admin/user", [("caps", None), ("uid", uid), ("user-caps", "accounts=*")])
    helpers.assert_error(r, 400, "InvalidCapability")
    assert admin.user_info(uid)["caps"] == []
