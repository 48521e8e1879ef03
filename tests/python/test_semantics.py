"""Store semantics behind the user ops, checked through the API: key/email indexes follow
every change, caps are enforced per read/write, concurrent writers cannot both win, and the
query-decoding rules clients rely on (client-matrix §0 items 4-8)."""
import concurrent.futures
import uuid

import requests

import helpers

U = "/admin/user"


def keypair(tag):
    t = uuid.uuid4().hex[:12].upper()
    return f"{tag}{t}"[:20].ljust(20, "0"), f"{tag.lower()}{t.lower()}".ljust(40, "s")


def test_removed_user_key_no_longer_authenticates_and_is_free(admin, rgw, uid):
    ak, sk = keypair("GONE")
    admin.create_user(uid, "Gone Soon", access_key=ak, secret_key=sk, user_caps="users=read",
                      email=f"{uid}@example.com")
    assert rgw.admin(ak, sk).get(U, [("uid", "admin")]).status_code == 200
    assert admin.delete(U, [("uid", uid)]).status_code == 200
    helpers.assert_error(rgw.admin(ak, sk).get(U, [("uid", "admin")]), 403, "InvalidAccessKeyId")
    helpers.assert_error(admin.get(U, [("access-key", ak)]), 404, "NoSuchUser")
    # key, email and uid are all free again
    again = admin.create_user(uid + "-2", "Reuser", access_key=ak, secret_key=sk,
                              email=f"{uid}@example.com")
    assert again["keys"] == [{"user": uid + "-2", "access_key": ak, "secret_key": sk}]
    assert admin.create_user(uid, "Same Uid")["user_id"] == uid


def test_removed_key_no_longer_authenticates(admin, rgw, uid):
    ak, sk = keypair("RMKEY")
    admin.create_user(uid, "Key Remover", user_caps="users=read")
    r = admin.put(U, [("key", None), ("uid", uid), ("access-key", ak), ("secret-key", sk)])
    assert r.status_code == 200
    assert rgw.admin(ak, sk).get(U, [("uid", uid)]).json()["user_id"] == uid
    r = admin.delete(U, [("key", None), ("uid", uid), ("access-key", ak)])
    assert (r.status_code, r.content) == (200, b"")
    helpers.assert_error(rgw.admin(ak, sk).get(U, [("uid", uid)]), 403, "InvalidAccessKeyId")
    assert len(admin.user_info(uid)["keys"]) == 1


def test_key_secret_replaced_old_secret_refused(admin, rgw, uid):
    ak, sk = keypair("ROTATE")
    admin.create_user(uid, "Rotator", access_key=ak, secret_key=sk, user_caps="users=read")
    r = admin.put(U, [("key", None), ("uid", uid), ("access-key", ak), ("secret-key", "n" * 40)])
    assert r.status_code == 200
    assert r.json() == [{"user": uid, "access_key": ak, "secret_key": "n" * 40}]
    helpers.assert_error(rgw.admin(ak, sk).get(U, [("uid", uid)]), 403, "SignatureDoesNotMatch")
    assert rgw.admin(ak, "n" * 40).get(U, [("uid", uid)]).status_code == 200


def test_email_index_follows_modify(admin, uid):
    e1, e2 = f"{uid}@one.example", f"{uid}@two.example"
    admin.create_user(uid, "Mailer", email=e1)
    r = admin.post(U, [("uid", uid), ("email", e2)])
    assert r.status_code == 200 and r.json()["email"] == e2
    # the old address is free, the new one is taken
    assert admin.create_user(uid + "-a", "Takes Old", email=e1)["email"] == e1
    helpers.assert_error(admin.put(U, [("uid", uid + "-b"), ("display-name", "B"),
                                       ("email", e2)]), 409, "EmailExists")
    # present-and-empty email removes it (server-spec §6.5) and frees the address
    r = admin.post(U, [("uid", uid), ("email", "")])
    assert r.status_code == 200 and r.json()["email"] == ""
    assert admin.create_user(uid + "-c", "Takes New", email=e2)["email"] == e2


def test_subuser_s3_key_removed_with_subuser(admin, rgw, uid):
    ak, sk = keypair("SUBS3")
    admin.create_user(uid, "Parent", user_caps="users=read", generate_key="false")
    r = admin.put(U, [("subuser", f"{uid}:app"), ("uid", uid), ("access", "full"),
                      ("key-type", "s3"), ("access-key", ak), ("secret-key", sk)])
    assert r.status_code == 200, r.text
    assert admin.get(U, [("access-key", ak)]).json()["user_id"] == uid
    r = admin.delete(U, [("subuser", f"{uid}:app"), ("uid", uid), ("purge-keys", "true")])
    assert (r.status_code, r.content) == (200, b"")
    u = admin.user_info(uid)
    assert u["subusers"] == [] and u["keys"] == []
    helpers.assert_error(admin.get(U, [("access-key", ak)]), 404, "NoSuchUser")
    helpers.assert_error(rgw.admin(ak, sk).get(U, [("uid", uid)]), 403, "InvalidAccessKeyId")


def test_uid_taken_from_subuser_when_absent(admin, uid):
    """Ceph QA style: `subuser=uid:name` without `uid` (client-matrix §0.6)."""
    admin.create_user(uid, "QA Parent", generate_key="false")
    r = admin.put(U, [("subuser", None), ("subuser", f"{uid}:qa"), ("key-type", "swift"),
                      ("secret-key", "k" * 40)], auth="v2")
    assert r.status_code == 200, r.text
    assert r.json() == [{"id": f"{uid}:qa", "permissions": "<none>"}]
    assert admin.user_info(uid)["swift_keys"] == [{"user": f"{uid}:qa", "secret_key": "k" * 40}]
    r = admin.delete(U, [("subuser", None), ("subuser", f"{uid}:qa"), ("key-type", "swift")],
                     auth="v2")
    assert r.status_code == 200, r.text
    u = admin.user_info(uid)
    assert u["subusers"] == [] and u["swift_keys"] == []


def test_write_only_users_cap(admin, rgw, uid):
    """users=write may create but not read (check_caps per op: info needs users=read)."""
    ak, sk = keypair("WONLY")
    admin.create_user(uid, "Writer", access_key=ak, secret_key=sk, user_caps="users=write")
    writer = rgw.admin(ak, sk)
    helpers.assert_error(writer.get(U, [("uid", uid)]), 403, "AccessDenied")
    r = writer.put(U, [("uid", uid + "-made"), ("display-name", "Made By Writer")])
    assert r.status_code == 200 and r.json()["user_id"] == uid + "-made"
    assert admin.user_info(uid + "-made")["display_name"] == "Made By Writer"


def test_concurrent_creates_one_winner(rgw, uid):
    """16 simultaneous creates of one uid: one 200, fifteen 409 UserAlreadyExists; and of 16
    uids sharing one access key: exactly one owns it."""
    def create(query):
        return rgw.admin().put(U, query)

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        rs = list(pool.map(create, [[("uid", uid), ("display-name", f"Racer {i}")]
                                    for i in range(16)]))
    codes = sorted(r.status_code for r in rs)
    assert codes == [200] + [409] * 15, [r.text for r in rs]
    for r in rs:
        if r.status_code == 409:
            helpers.assert_error(r, 409, "UserAlreadyExists")
    winner = [r.json() for r in rs if r.status_code == 200][0]
    assert rgw.admin().user_info(uid) == winner

    ak, sk = keypair("RACE")
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        rs = list(pool.map(create, [[("uid", f"{uid}-k{i}"), ("display-name", "K"),
                                     ("access-key", ak), ("secret-key", sk)]
                                    for i in range(16)]))
    ok = [r for r in rs if r.status_code == 200]
    assert len(ok) == 1, [r.text for r in rs]
    for r in rs:
        if r.status_code != 200:
            helpers.assert_error(r, 409, "KeyExists")
    owner = ok[0].json()["user_id"]
    assert rgw.admin().get(U, [("access-key", ak)]).json()["user_id"] == owner
    users = rgw.admin().user_list()
    assert [u for u in users if u.startswith(f"{uid}-k")] == [owner]


def test_plus_and_raw_values_in_query(admin, rgw, uid):
    """`+` is a space (Go url.Values), raw `=`/`;`/`*` survive (rgwadmin string formatting).
    Sent with v2 so only the decoding is under test."""
    url = (f"{rgw.url}/admin/user?uid={uid}&display-name=This+is+leseb"
           "&user-caps=users=read;buckets=*")
    hdrs = helpers.sign_v2("PUT", "/admin/user", [], helpers.ADMIN_AK, helpers.ADMIN_SK)
    r = requests.put(url, headers=hdrs, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    u = r.json()
    assert u["display_name"] == "This is leseb"
    assert u["caps"] == [{"type": "buckets", "perm": "*"}, {"type": "users", "perm": "read"}]


def test_booleans_any_case(admin, uid):
    """Python clients send True/False, Go true/false, some 1/0 (client-matrix §0.7)."""
    admin.create_user(uid, "Bools", generate_key="False")
    assert admin.user_info(uid)["keys"] == []
    for value, want in (("True", 1), ("false", 0), ("TRUE", 1), ("0", 0), ("1", 1),
                        ("False", 0)):
        r = admin.post(U, [("uid", uid), ("suspended", value)])
        assert r.status_code == 200 and r.json()["suspended"] == want, (value, r.text)


def quota(admin, uid, qtype=None):
    query = [("quota", None), ("uid", uid)] + ([("quota-type", qtype)] if qtype else [])
    r = admin.get(U, query)
    assert r.status_code == 200, r.text
    return r.json()


def test_quota_json_body_hashed_payload_reef(admin, uid):
    """reef accepts a SigV4-hashed JSON body on quota set (pacific answers 501, see
    test_bad_input); numbers and booleans as strings too (radosgw-admin4j, client-matrix §0.18)."""
    admin.create_user(uid, "Body Quota", generate_key="false")
    r = admin.put(U, [("quota", None), ("uid", uid), ("quota-type", "user")],
                  body=b'{"enabled": true, "max_size_kb": 1024, "max_objects": 10}',
                  headers={"Content-Type": "application/json"})
    assert (r.status_code, r.content) == (200, b""), r.text
    assert quota(admin, uid, "user") == {"enabled": True, "check_on_raw": False,
                                         "max_size": 1048576, "max_size_kb": 1024,
                                         "max_objects": 10}
    r = admin.put(U, [("quota", None), ("uid", uid), ("quota-type", "bucket")],
                  body=b'{"max_objects":"100","max_size_kb":"2048","enabled":"true"}')
    assert r.status_code == 200, r.text
    assert quota(admin, uid, "bucket") == {"enabled": True, "check_on_raw": False,
                                           "max_size": 2097152, "max_size_kb": 2048,
                                           "max_objects": 100}


def signed_body_post(server, uid, signed, sent):
    """POST /admin/user?uid=..&suspended=1 signed over `signed` (SigV4 with its hash), sending
    `sent`: what boto 2 and go's SDK do with a form body the op never reads."""
    url = helpers.build_url(server.url, U, [("uid", uid), ("suspended", "1")])
    h = helpers.sign_v4("POST", url, helpers.ADMIN_AK, helpers.ADMIN_SK, body=signed,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    return requests.post(url, data=sent, headers=h, timeout=helpers.HTTP_TIMEOUT)


def test_signed_body_an_op_ignores_is_checked_against_its_hash(rgw, pacific, uid):
    """A body with a payload hash on an admin op that takes none: reef checks the body it
    signed (right hash: runs; wrong: XAmzContentSHA256Mismatch, nothing changed); radosgw
    16.2 completes such signatures for no admin op but the metadata put, and answers 501
    (checked on 16.2.15: the right hash, a wrong one and the empty body's alike)."""
    body = f"uid={uid}&suspended=1".encode()
    for server in (rgw, pacific):
        server.admin().create_user(uid, "Body")
        r = signed_body_post(server, uid, body, b"uid=other&suspended=0")
        refused = (501, "NotImplemented") if server is pacific else \
            (400, "XAmzContentSHA256Mismatch")
        assert (r.status_code, r.json()["Code"]) == refused, r.text
        assert server.admin().user_info(uid)["suspended"] == 0
        r = signed_body_post(server, uid, body, body)
        if server is pacific:
            assert (r.status_code, r.json()["Code"]) == (501, "NotImplemented"), r.text
            assert server.admin().user_info(uid)["suspended"] == 0
            # The empty body's hash is a hash too, there.
            r = signed_body_post(server, uid, b"", body)
            assert (r.status_code, r.json()["Code"]) == (501, "NotImplemented"), r.text
        else:
            assert (r.status_code, r.json()["suspended"]) == (200, 1), r.text
        # Without a payload hash the body is nobody's to check, and the op runs.
        url = helpers.build_url(server.url, U, [("uid", uid), ("suspended", "0")])
        h = helpers.sign_v4("POST", url, helpers.ADMIN_AK, helpers.ADMIN_SK,
                            headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
                            signer=helpers.SigV4Auth)
        r = requests.post(url, data=body, headers=h, timeout=helpers.HTTP_TIMEOUT)
        assert (r.status_code, r.json()["suspended"]) == (200, 0), r.text


def test_quota_params_rounding_and_both(admin, uid):
    admin.create_user(uid, "Param Quota", generate_key="false")
    r = admin.put(U, [("quota", None), ("uid", uid), ("quota-type", "user"),
                      ("max-size", "1000000"), ("enabled", "true")])
    assert (r.status_code, r.content) == (200, b"")
    # max_size_kb is max_size/1024 rounded up (golden 179: 1000000 -> 977)
    assert quota(admin, uid, "user") == {"enabled": True, "check_on_raw": False,
                                         "max_size": 1000000, "max_size_kb": 977,
                                         "max_objects": -1}
    # values not given keep their current value
    r = admin.put(U, [("quota", None), ("uid", uid), ("quota-type", "user"),
                      ("max-objects", "3")])
    assert r.status_code == 200
    assert quota(admin, uid, "user")["max_size"] == 1000000
    assert quota(admin, uid, "user")["max_objects"] == 3
    both = quota(admin, uid)
    assert list(both) == ["bucket_quota", "user_quota"]
    assert both["user_quota"] == quota(admin, uid, "user")
    assert both["bucket_quota"]["enabled"] is False
    u = admin.user_info(uid)
    assert u["user_quota"] == both["user_quota"] and u["bucket_quota"] == both["bucket_quota"]
