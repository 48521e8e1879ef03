"""What an operator runs the gateway with: the metrics listener (Prometheus scrape, health,
readiness, its token), the audit log (one JSON line per admin write and per S3 change of who
may do what, reopened on SIGHUP), and AccessDenied answers that name the missing cap."""
import json
import os
import signal
import tempfile
import time

import pytest
import requests
from botocore.exceptions import ClientError
from prometheus_client.openmetrics.parser import text_string_to_metric_families

import helpers


def scrape(url, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = requests.get(f"{url}/metrics", headers=headers, timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/openmetrics-text")
    return {f.name: f for f in text_string_to_metric_families(r.text)}


def sample(families, family, name, **labels):
    """The value of the sample `name` of `family` whose labels include `labels` (0 if none)."""
    # A family with no sample yet (no request counted) is not in the scrape at all.
    for s in families.get(family, ()) and families[family].samples:
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return 0


@pytest.fixture
def operated(start_server):
    port = helpers.free_port()
    audit = os.path.join(tempfile.mkdtemp(prefix="rgw-admin-audit-"), "audit.log")
    srv = start_server(env={"RGW_ADMIN_METRICS_LISTEN": f"127.0.0.1:{port}",
                            "RGW_ADMIN_AUDIT_LOG": audit, "RUST_LOG": "info"})
    srv.metrics_url = f"http://127.0.0.1:{port}"
    srv.audit_path = audit
    return srv


def audit_lines(srv, want, wait=5):
    """The audit file's lines, once it holds at least `want` of them (it is written every
    50 ms)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            with open(srv.audit_path) as f:
                lines = [json.loads(line) for line in f]
        except FileNotFoundError:
            lines = []
        if len(lines) >= want or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def test_metrics_scrape_counts_requests_failures_and_refusals(operated):
    srv = operated
    admin = srv.admin()
    before = scrape(srv.metrics_url)
    assert sample(before, "rgw_admin_build", "rgw_admin_build_info") == 1
    for _ in range(3):
        admin.user_info("admin")
    assert admin.get("/admin/user", [("uid", "admin")], auth="v4-badsig").status_code == 403
    admin.create_user("nocaps")
    keys = admin.user_info("nocaps")["keys"][0]
    weak = srv.admin(keys["access_key"], keys["secret_key"])
    assert weak.get("/admin/user", [("uid", "admin")]).status_code == 403
    s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
    s3.create_bucket(Bucket="scraped")
    s3.put_object(Bucket="scraped", Key="k", Body=b"x")
    admin.put("/admin/bucket", [("quota", None), ("uid", "admin"), ("bucket", "scraped"),
                                ("max-objects", "1"), ("enabled", "true")])
    with pytest.raises(ClientError) as e:
        s3.put_object(Bucket="scraped", Key="k2", Body=b"y")
    assert e.value.response["Error"]["Code"] == "QuotaExceeded"

    m = scrape(srv.metrics_url)
    req = "rgw_admin_requests"
    grew = lambda **l: (sample(m, req, req + "_total", **l)  # noqa: E731
                        - sample(before, req, req + "_total", **l))
    assert grew(op="get_user_info", status="200") == 4  # and nocaps' info
    assert grew(op="get_user_info", status="403") == 2
    assert grew(op="put_obj", status="200") == 1
    assert grew(op="put_obj", status="403") == 1
    fam = "rgw_admin_auth_failures"
    assert sample(m, fam, fam + "_total", reason="SignatureDoesNotMatch") >= 1
    assert sample(m, "rgw_admin_quota_refusals", "rgw_admin_quota_refusals_total") >= 1
    dur = "rgw_admin_request_duration_seconds"
    assert sample(m, dur, dur + "_count", op="get_user_info") >= 5
    assert m[dur].type == "histogram" and m[dur].unit == "seconds"
    commit = "rgw_admin_store_commit_duration_seconds"
    assert sample(m, commit, commit + "_count") > 0
    batch = "rgw_admin_store_group_commit_transactions"
    assert sample(m, batch, batch + "_count") > 0
    cache = "rgw_admin_cache_lookups"
    assert sample(m, cache, cache + "_total", cache="access_keys", result="hit") > 0
    assert sample(m, "rgw_admin_open_connections", "rgw_admin_open_connections") >= 1


def test_ratelimit_refusals_are_counted(start_server):
    port = helpers.free_port()
    srv = start_server(env={"RGW_ADMIN_METRICS_LISTEN": f"127.0.0.1:{port}"})
    url = f"http://127.0.0.1:{port}"
    admin = srv.admin()
    admin.create_user("limited")
    keys = admin.user_info("limited")["keys"][0]
    r = admin.post("/admin/ratelimit", [("ratelimit-scope", "user"), ("uid", "limited"),
                                        ("max-read-ops", "1"), ("enabled", "true")])
    assert r.status_code == 200, r.text
    # Raw requests: boto3 would retry a SlowDown by itself.
    user = srv.admin(keys["access_key"], keys["secret_key"])
    codes = [user.get("/").status_code for _ in range(3)]
    assert codes[0] == 200 and 503 in codes, codes
    m = scrape(url)
    assert sample(m, "rgw_admin_ratelimit_refusals",
                  "rgw_admin_ratelimit_refusals_total") == codes.count(503)


def test_metrics_token_health_and_ready(start_server):
    port = helpers.free_port()
    srv = start_server(env={"RGW_ADMIN_METRICS_LISTEN": f"127.0.0.1:{port}",
                            "RGW_ADMIN_METRICS_TOKEN": "s3cr3t-token"})
    url = f"http://127.0.0.1:{port}"
    assert requests.get(f"{url}/metrics", timeout=10).status_code == 401
    r = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer wrong"}, timeout=10)
    assert r.status_code == 401
    assert "rgw_admin_build" in scrape(url, "s3cr3t-token")
    r = requests.get(f"{url}/health", timeout=10)
    assert (r.status_code, r.text) == (200, "ok\n")
    r = requests.get(f"{url}/ready", timeout=10)
    assert (r.status_code, r.text) == (200, "ready\n")
    assert requests.get(f"{url}/nothing", timeout=10).status_code == 404
    assert requests.post(f"{url}/ready", timeout=10).status_code == 405
    # The S3 port still takes /health as a bucket name: the two never meet.
    r = requests.get(f"{srv.url}/health", timeout=10)
    assert r.status_code in (403, 404), r.text


def test_ready_says_no_while_the_store_cannot_write(small_disk):
    port = helpers.free_port()
    srv = helpers.Server(data_dir=os.path.join(small_disk, "data"),
                         env={"RGW_ADMIN_METRICS_LISTEN": f"127.0.0.1:{port}"})
    srv.start()
    try:
        url = f"http://127.0.0.1:{port}"
        assert requests.get(f"{url}/ready", timeout=10).status_code == 200
        filler = os.path.join(small_disk, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 20))
                    f.flush()
            except OSError:
                pass
        # Fill what the last megabyte left, byte runs at a time.
        for size in (65536, 4096, 1):
            try:
                with open(filler, "ab") as f:
                    while True:
                        f.write(b"\0" * size)
                        f.flush()
            except OSError:
                pass
        r = requests.get(f"{url}/ready", timeout=10)
        assert r.status_code == 503, r.text
        assert r.text.startswith("store not writable"), r.text
        assert requests.get(f"{url}/health", timeout=10).status_code == 200
    finally:
        srv.cleanup()


def test_audit_log_has_a_line_per_admin_write(operated):
    srv = operated
    admin = srv.admin()
    uid = "audited"
    writes = [
        ("PUT", "/admin/user", [("uid", uid), ("display-name", "A")], "create_user"),
        ("POST", "/admin/user", [("uid", uid), ("display-name", "B")], "modify_user"),
        ("PUT", "/admin/user", [("key", None), ("uid", uid)], "create_access_key"),
        ("PUT", "/admin/user", [("caps", None), ("uid", uid), ("user-caps", "usage=read")],
         "add_user_caps"),
        ("DELETE", "/admin/user", [("caps", None), ("uid", uid), ("user-caps", "usage=read")],
         "remove_user_caps"),
        ("PUT", "/admin/user", [("subuser", None), ("uid", uid), ("subuser", "sw")],
         "create_subuser"),
        ("POST", "/admin/user", [("subuser", None), ("uid", uid), ("subuser", "sw"),
                                 ("access", "read")], "modify_subuser"),
        ("DELETE", "/admin/user", [("subuser", None), ("uid", uid), ("subuser", "sw")],
         "remove_subuser"),
        ("PUT", "/admin/user", [("quota", None), ("uid", uid), ("quota-type", "user"),
                                ("max-objects", "5"), ("enabled", "true")], "set_quota_info"),
        ("DELETE", "/admin/user", [("uid", uid)], "remove_user"),
        ("DELETE", "/admin/user", [("uid", uid)], "remove_user"),
    ]
    statuses = []
    for method, path, query, _ in writes:
        statuses.append(admin.request(method, path, query).status_code)
    assert statuses[:-1] == [200] * (len(writes) - 1) and statuses[-1] == 404, statuses
    # A write refused for want of caps is audited too, under the caller.
    admin.create_user("weak")
    weak_keys = admin.user_info("weak")["keys"][0]
    weak = srv.admin(weak_keys["access_key"], weak_keys["secret_key"])
    assert weak.put("/admin/user", [("uid", "x"), ("display-name", "X")]).status_code == 403
    # Reads are not.
    admin.user_info("weak")

    lines = audit_lines(srv, len(writes) + 2)
    assert len(lines) == len(writes) + 2, lines
    for (method, _, query, op), status, line in zip(writes, statuses, lines):
        assert list(line) == ["time", "request_id", "uid", "access_key", "op", "target",
                              "status"], line
        assert line["op"] == op and line["status"] == status, (op, line)
        assert line["uid"] == "admin" and line["access_key"] == helpers.ADMIN_AK, line
        assert line["target"]["uid"] == uid, line
        assert helpers.REQ_ID_RE.match(line["request_id"]), line
    assert lines[-2]["op"] == "create_user" and lines[-2]["target"]["uid"] == "weak"
    last = lines[-1]
    assert (last["uid"], last["access_key"], last["status"]) == (
        "weak", weak_keys["access_key"], 403), last
    text = open(srv.audit_path).read()
    assert helpers.ADMIN_SK not in text and weak_keys["secret_key"] not in text


def test_audit_log_has_s3_acl_changes_and_bucket_removal(operated):
    srv = operated
    s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
    s3.create_bucket(Bucket="aud")
    s3.put_object(Bucket="aud", Key="o", Body=b"x")
    s3.put_bucket_acl(Bucket="aud", ACL="public-read")
    s3.put_object_acl(Bucket="aud", Key="o", ACL="public-read")
    s3.get_object(Bucket="aud", Key="o")
    s3.delete_object(Bucket="aud", Key="o")
    s3.delete_bucket(Bucket="aud")
    lines = audit_lines(srv, 4)
    got = [(line["op"], line["target"], line["status"]) for line in lines]
    assert got == [
        ("create_bucket", {"bucket": "aud"}, 200),
        ("put_acls", {"bucket": "aud"}, 200),
        ("put_acls", {"bucket": "aud", "object": "o"}, 200),
        ("delete_bucket", {"bucket": "aud"}, 204),
    ], got


def test_audit_log_is_reopened_on_sighup(operated):
    srv = operated
    admin = srv.admin()
    admin.create_user("before-rotation")
    assert len(audit_lines(srv, 1)) == 1
    rotated = srv.audit_path + ".1"
    os.rename(srv.audit_path, rotated)
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.2)
    admin.create_user("after-rotation")
    lines = audit_lines(srv, 1)
    assert [line["target"]["uid"] for line in lines] == ["after-rotation"], lines
    with open(rotated) as f:
        assert [json.loads(line)["target"]["uid"] for line in f] == ["before-rotation"]
    assert srv.proc.poll() is None


@pytest.mark.parametrize("compat", ["pacific", "reef"])
def test_access_denied_names_the_missing_cap_after_pacific(start_server, compat):
    srv = start_server(env={"RGW_ADMIN_COMPAT": compat, "RUST_LOG": "info"})
    admin = srv.admin()
    admin.create_user("capless", **{"user-caps": "users=read"})
    keys = admin.user_info("capless")["keys"][0]
    weak = srv.admin(keys["access_key"], keys["secret_key"])
    r = weak.put("/admin/user", [("uid", "y"), ("display-name", "Y")])
    assert r.status_code == 403
    want = "" if compat == "pacific" else "requires caps users=write"
    assert r.json()["Message"] == want, r.text
    r = weak.get("/admin/bucket", [("format", "xml")])
    assert r.status_code == 403
    want = "" if compat == "pacific" else "requires caps buckets=read"
    assert f"<Message>{want}</Message>" in r.text, r.text
    # Not a cap problem: a bad signature says nothing.
    r = weak.put("/admin/user", [("uid", "y"), ("display-name", "Y")], auth="v4-badsig")
    assert r.status_code == 403 and r.json()["Message"] == ""
    # The log writer is buffered: wait for both lines, in whichever flush they come.
    deadline = time.monotonic() + 5
    while not all(f"required_caps={c}" in srv.log_tail(20000)
                  for c in ("users=write", "buckets=read")):
        assert time.monotonic() < deadline, srv.log_tail()
        time.sleep(0.05)


def test_audit_log_covers_every_other_admin_write(operated):
    """The admin write ops the user test above does not make: bucket, object, usage,
    metadata, rate-limit and key removal, each one line with its op and status (with the
    user test: all 21 admin write ops)."""
    srv = operated
    admin = srv.admin()
    admin.create_user("aud2")
    s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
    s3.create_bucket(Bucket="aud2b")
    s3.put_object(Bucket="aud2b", Key="o", Body=b"x")
    bucket_id = admin.get("/admin/bucket", [("bucket", "aud2b")]).json()["id"]
    key = admin.user_info("aud2")["keys"][0]["access_key"]
    meta = admin.get("/admin/metadata/user", [("key", "aud2")]).json()
    writes = [
        ("PUT", "/admin/bucket", [("quota", None), ("uid", "admin"), ("bucket", "aud2b"),
                                  ("max-objects", "10"), ("enabled", "true")],
         b"", "set_bucket_quota"),
        ("PUT", "/admin/bucket", [("sync", None), ("bucket", "aud2b")], b"", "sync_bucket"),
        ("POST", "/admin/bucket", [("bucket", "aud2b"), ("uid", "admin")], b"", "unlink_bucket"),
        ("PUT", "/admin/bucket", [("bucket", "aud2b"), ("uid", "aud2"),
                                  ("bucket-id", bucket_id)], b"", "link_bucket"),
        ("DELETE", "/admin/bucket", [("object", None), ("bucket", "aud2b"), ("object", "o")],
         b"", "remove_object"),
        ("DELETE", "/admin/bucket", [("bucket", "aud2b"), ("purge-objects", "true")], b"",
         "remove_bucket"),
        ("DELETE", "/admin/usage", [("uid", "aud2")], b"", "trim_usage"),
        ("POST", "/admin/ratelimit", [("ratelimit-scope", "user"), ("uid", "aud2"),
                                      ("max-read-ops", "10"), ("enabled", "true")],
         b"", "put_ratelimit_info"),
        ("DELETE", "/admin/user", [("key", None), ("access-key", key)], b"",
         "remove_access_key"),
        ("PUT", "/admin/metadata/user", [("key", "aud2")], json.dumps(meta).encode(),
         "set_metadata"),
        ("DELETE", "/admin/metadata/user", [("key", "aud2")], b"", "remove_metadata"),
    ]
    statuses = []
    for method, path, query, body, _ in writes:
        r = admin.request(method, path, query, body=body)
        assert r.status_code < 300, (path, query, r.status_code, r.text)
        statuses.append(r.status_code)
    lines = audit_lines(srv, 2 + len(writes))
    # create_user and the S3 create_bucket come first.
    assert [line["op"] for line in lines[:2]] == ["create_user", "create_bucket"], lines
    got = [(line["op"], line["status"]) for line in lines[2:]]
    assert got == [(op, st) for (*_, op), st in zip(writes, statuses)], got
    assert lines[2]["target"] == {"uid": "admin", "bucket": "aud2b"}, lines[2]
    assert lines[-2]["target"] == {"section": "user", "key": "aud2"}, lines[-2]


def test_sighup_without_tls_or_audit_log_keeps_serving(start_server):
    """SIGHUP's default action ends a process: the server handles it whatever it has to
    reload (here nothing), as `systemctl reload` may send it any time."""
    srv = start_server()
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    assert srv.proc.poll() is None, srv.log_tail()
    assert srv.admin().get("/admin/user", [("uid", "admin")]).status_code == 200
