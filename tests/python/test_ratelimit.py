"""Rate limits: `/admin/ratelimit` get/set for users, buckets and the global limits, and their
enforcement (503 SlowDown, XML on S3, JSON on the admin API) in short windows
(RGW_ADMIN_RATELIMIT_WINDOW), the CLI's `ratelimit` commands, and 405 at pacific."""
import json
import re
import time

import pytest

import helpers

WINDOW = 3  # seconds (long enough for a burst of requests on a slow machine)


@pytest.fixture(scope="module")
def rl():
    with helpers.running_server(env={"RGW_ADMIN_RATELIMIT_WINDOW": str(WINDOW),
                                     "RGW_ADMIN_COMPAT": "reef"}) as s:
        yield s


@pytest.fixture
def radmin(rl):
    return rl.admin()


def make_user(radmin, uid, **params):
    u = radmin.create_user(uid, **params)
    k = u["keys"][0]
    return radmin.server.admin(k["access_key"], k["secret_key"])


def set_limit(radmin, **params):
    query = [(k.replace("_", "-"), str(v)) for k, v in params.items()]
    r = radmin.post("/admin/ratelimit", query)
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.content == b""


def get_limit(radmin, **params):
    query = [(k.replace("_", "-"), str(v)) for k, v in params.items()]
    r = radmin.get("/admin/ratelimit", query)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def limit(read_ops=0, write_ops=0, read_bytes=0, write_bytes=0, enabled=False):
    return {"max_read_ops": read_ops, "max_write_ops": write_ops,
            "max_read_bytes": read_bytes, "max_write_bytes": write_bytes, "enabled": enabled}


def assert_s3_slowdown(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.headers["Content-Type"].startswith("application/xml")
    assert re.search(r"<Error><Code>SlowDown</Code>", r.text), r.text


def fresh_window():
    """Let every window of earlier requests end."""
    time.sleep(WINDOW + 0.2)


def test_user_read_ops_limit(radmin, uid):
    s3 = make_user(radmin, uid)
    b = f"{uid}-b"
    assert s3.put(f"/{b}").status_code == 200
    assert s3.put(f"/{b}/k", body=b"x" * 10).status_code == 200
    assert get_limit(radmin, ratelimit_scope="user", uid=uid) == {"user_ratelimit": limit()}
    set_limit(radmin, ratelimit_scope="user", uid=uid, max_read_ops=3, enabled="true")
    doc = get_limit(radmin, ratelimit_scope="user", uid=uid)
    assert doc == {"user_ratelimit": limit(read_ops=3, enabled=True)}
    assert list(doc["user_ratelimit"]) == ["max_read_ops", "max_write_ops", "max_read_bytes",
                                           "max_write_bytes", "enabled"]
    fresh_window()
    for _ in range(3):
        r = s3.get(f"/{b}/k")
        assert r.status_code == 200 and r.content == b"x" * 10
    assert_s3_slowdown(s3.get(f"/{b}/k"))
    assert s3.request("HEAD", f"/{b}/k").status_code == 503
    # writes have their own (unlimited) budget
    assert s3.put(f"/{b}/k2", body=b"y").status_code == 200
    fresh_window()
    assert s3.get(f"/{b}/k").status_code == 200


def test_admin_requests_answer_json_slowdown(radmin, uid):
    cli = make_user(radmin, uid, user_caps="users=read")
    set_limit(radmin, ratelimit_scope="user", uid=uid, max_read_ops=1, enabled=True)
    fresh_window()
    assert cli.get("/admin/user", [("uid", uid)]).status_code == 200
    helpers.assert_error(cli.get("/admin/user", [("uid", uid)]), 503, "SlowDown")


def test_bucket_write_ops_limit(radmin, uid):
    s3 = make_user(radmin, uid)
    b, other = f"{uid}-b", f"{uid}-o"
    assert s3.put(f"/{b}").status_code == 200
    assert s3.put(f"/{other}").status_code == 200
    assert get_limit(radmin, ratelimit_scope="bucket", bucket=b) == {"bucket_ratelimit": limit()}
    set_limit(radmin, ratelimit_scope="bucket", bucket=b, max_write_ops=2, max_read_bytes=100,
              enabled="True")
    assert get_limit(radmin, ratelimit_scope="bucket", bucket=b) == \
        {"bucket_ratelimit": limit(write_ops=2, read_bytes=100, enabled=True)}
    fresh_window()
    assert s3.put(f"/{b}/a", body=b"1" * 80).status_code == 200
    assert s3.put(f"/{b}/b", body=b"2" * 80).status_code == 200
    assert_s3_slowdown(s3.put(f"/{b}/c", body=b"3"))
    assert s3.get(f"/{b}/c").status_code == 404  # refused before it did anything
    # other buckets of the same user are not limited
    assert s3.put(f"/{other}/c", body=b"3").status_code == 200
    # read bytes: charged after each response, refused once used up
    assert s3.get(f"/{b}/a").status_code == 200
    assert s3.get(f"/{b}/b").status_code == 200
    assert_s3_slowdown(s3.get(f"/{b}/a"))
    fresh_window()
    assert s3.put(f"/{b}/c", body=b"3").status_code == 200


def test_disabled_limits_do_not_apply(radmin, uid):
    s3 = make_user(radmin, uid)
    b = f"{uid}-b"
    assert s3.put(f"/{b}").status_code == 200
    set_limit(radmin, ratelimit_scope="user", uid=uid, max_read_ops=1, enabled="false")
    set_limit(radmin, ratelimit_scope="bucket", bucket=b, max_read_ops=1)
    for _ in range(5):
        assert s3.get(f"/{b}").status_code == 200
    # enabling later keeps the stored numbers (merge), and takes effect at once
    set_limit(radmin, ratelimit_scope="user", uid=uid, enabled="true")
    assert get_limit(radmin, ratelimit_scope="user", uid=uid) == \
        {"user_ratelimit": limit(read_ops=1, enabled=True)}
    fresh_window()
    assert s3.get(f"/{b}").status_code == 200
    assert_s3_slowdown(s3.get(f"/{b}"))
    set_limit(radmin, ratelimit_scope="user", uid=uid, enabled="false")
    assert s3.get(f"/{b}").status_code == 200


def test_merge_and_negative_values(radmin, uid):
    make_user(radmin, uid)
    set_limit(radmin, ratelimit_scope="user", uid=uid, max_read_ops=5, max_write_ops=6,
              max_read_bytes=7, max_write_bytes=8)
    set_limit(radmin, ratelimit_scope="user", uid=uid, max_read_ops=-1, max_write_ops=0)
    assert get_limit(radmin, ratelimit_scope="user", uid=uid) == \
        {"user_ratelimit": limit(5, 0, 7, 8)}
    # XML: the section and the info share the name
    r = radmin.get("/admin/ratelimit", [("ratelimit-scope", "user"), ("uid", uid),
                                        ("format", "xml")])
    assert r.status_code == 200
    assert "<user_ratelimit><user_ratelimit><max_read_ops>5</max_read_ops>" in r.text


@pytest.mark.parametrize("query", [
    [("ratelimit-scope", "user"), ("max-read-ops", "abc")],
    [("ratelimit-scope", "user"), ("max-write-bytes", "1.5")],
    [("ratelimit-scope", "user"), ("enabled", "maybe")],
    [("ratelimit-scope", "user"), ("global", "yes"), ("max-read-ops", "1")],
    [("ratelimit-scope", "user")],                      # nothing to set
    [("max-read-ops", "1")],                            # no scope
    [("ratelimit-scope", "group"), ("max-read-ops", "1")],
    [("ratelimit-scope", "bucket"), ("max-read-ops", "1")],  # no bucket
    [("global", "true"), ("ratelimit-scope", "anonymous"), ("max-read-ops", "1")],
    [("global", "true"), ("max-read-ops", "1")],
])
def test_bad_set_params(radmin, uid, query):
    make_user(radmin, uid)
    if any(k == "ratelimit-scope" and v == "user" for k, v in query):
        query.append(("uid", uid))
    helpers.assert_error(radmin.post("/admin/ratelimit", query), 400, "InvalidArgument")


def test_bad_get_params_and_missing(radmin, uid):
    for query in ([], [("ratelimit-scope", "user")], [("uid", uid)],
                  [("global", "maybe")], [("ratelimit-scope", "anon"), ("uid", uid)]):
        helpers.assert_error(radmin.get("/admin/ratelimit", query), 400, "InvalidArgument")
    helpers.assert_error(radmin.get("/admin/ratelimit", [("ratelimit-scope", "user"),
                                                         ("uid", uid + "-none")]),
                         404, "NoSuchKey")
    helpers.assert_error(radmin.post("/admin/ratelimit", [("ratelimit-scope", "user"),
                                                          ("uid", uid + "-none"),
                                                          ("max-read-ops", "1")]),
                         404, "NoSuchKey")
    helpers.assert_error(radmin.get("/admin/ratelimit", [("ratelimit-scope", "bucket"),
                                                         ("bucket", uid + "-none")]),
                         404, "NoSuchKey")


def test_caps(radmin, uid):
    reader = make_user(radmin, uid, user_caps="ratelimit=read")
    assert reader.get("/admin/ratelimit", [("global", "true")]).status_code == 200
    helpers.assert_error(reader.post("/admin/ratelimit", [("global", "true"),
                                                          ("ratelimit-scope", "anon"),
                                                          ("enabled", "false")]),
                         403, "AccessDenied")


def test_global_limits(radmin, rl):
    g = get_limit(radmin, **{"global": "true"})
    assert list(g) == ["bucket_ratelimit", "user_ratelimit", "anonymous_ratelimit"]
    # the global user and bucket limits, disabled: stored and shown, not applied
    set_limit(radmin, **{"global": "true", "ratelimit_scope": "user", "max_write_ops": 9})
    set_limit(radmin, **{"global": "True", "ratelimit_scope": "bucket", "max_read_bytes": 10})
    set_limit(radmin, **{"global": "true", "ratelimit_scope": "anon", "max_read_ops": 1,
                         "enabled": "true"})
    try:
        g = get_limit(radmin, **{"global": "true"})
        assert g == {"bucket_ratelimit": limit(read_bytes=10),
                     "user_ratelimit": limit(write_ops=9),
                     "anonymous_ratelimit": limit(read_ops=1, enabled=True)}
        anon = rl.admin()
        fresh_window()
        r = anon.get("/", auth="none")
        assert r.status_code != 503, r.text
        assert_s3_slowdown(anon.get("/", auth="none"))
        # signed requests are not anonymous
        assert radmin.get("/").status_code == 200
    finally:
        set_limit(radmin, **{"global": "true", "ratelimit_scope": "anon", "enabled": "false"})
    assert rl.admin().get("/", auth="none").status_code != 503


def test_limits_survive_a_restart(start_server, tmp_path, uid):
    data = str(tmp_path / "store")
    s = start_server(env={"RGW_ADMIN_RATELIMIT_WINDOW": "1"}, data_dir=data)
    a = s.admin()
    a.create_user(uid)
    set_limit(a, ratelimit_scope="user", uid=uid, max_read_ops=4, enabled="true")
    set_limit(a, **{"global": "true", "ratelimit_scope": "bucket", "max_write_ops": 3})
    s.stop()
    s2 = start_server(env={"RGW_ADMIN_RATELIMIT_WINDOW": "1"}, data_dir=data)
    a2 = s2.admin()
    assert get_limit(a2, ratelimit_scope="user", uid=uid) == \
        {"user_ratelimit": limit(read_ops=4, enabled=True)}
    assert get_limit(a2, **{"global": "true"})["bucket_ratelimit"] == limit(write_ops=3)


def test_cli_ratelimit(tmp_path):
    data = str(tmp_path / "store")

    def cli(*args):
        p = helpers.run_cli(data, *args)
        assert p.returncode == 0, (args, p.stderr)
        return json.loads(p.stdout) if p.stdout.strip() else None

    assert helpers.run_cli(data, "init").returncode == 0
    cli("user", "create", "--uid", "rl-cli", "--display-name", "RL")
    assert cli("ratelimit", "get", "--ratelimit-scope", "user", "--uid", "rl-cli") == \
        {"user_ratelimit": limit()}
    assert cli("ratelimit", "set", "--ratelimit-scope", "user", "--uid", "rl-cli",
               "--max-read-ops", "10", "--max-write-bytes", "4096") is None
    cli("ratelimit", "enable", "--ratelimit-scope", "user", "--uid", "rl-cli")
    assert cli("ratelimit", "get", "--ratelimit-scope", "user", "--uid", "rl-cli") == \
        {"user_ratelimit": limit(read_ops=10, write_bytes=4096, enabled=True)}
    cli("ratelimit", "disable", "--ratelimit-scope", "user", "--uid", "rl-cli")
    cli("ratelimit", "set", "--global", "--ratelimit-scope", "anon", "--max-read-ops", "5")
    g = cli("ratelimit", "get", "--global")
    assert g["anonymous_ratelimit"] == limit(read_ops=5)
    assert cli("ratelimit", "get", "--ratelimit-scope", "user", "--uid", "rl-cli")[
        "user_ratelimit"]["enabled"] is False
    p = helpers.run_cli(data, "ratelimit", "get", "--ratelimit-scope", "user", "--uid", "nope")
    assert p.returncode == 1 and "NoSuchKey" in p.stderr


def test_pacific_has_no_ratelimit(pacific):
    a = pacific.admin()
    helpers.assert_error(a.get("/admin/ratelimit", [("global", "true")]), 405,
                         "MethodNotAllowed")
    helpers.assert_error(a.post("/admin/ratelimit", [("global", "true"),
                                                     ("ratelimit-scope", "anon"),
                                                     ("enabled", "true")]),
                         405, "MethodNotAllowed")
