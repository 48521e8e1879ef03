"""`rgw-admin bucket|object|policy` on the store a stopped server leaves: the same documents
as /admin/bucket, and changes the server then serves."""
import json

import pytest

import helpers


def cli(data_dir, *args):
    p = helpers.run_cli(data_dir, *args)
    assert p.returncode == 0, f"rgw-admin {' '.join(args)}: rc={p.returncode} {p.stderr}"
    return json.loads(p.stdout) if p.stdout.strip() else None


def cli_fails(data_dir, *args):
    p = helpers.run_cli(data_dir, *args)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    return p.stderr


def s3(srv, k):
    return helpers.s3_client(srv, k["access_key"], k["secret_key"])


def test_cli_bucket_commands(start_server):
    srv = start_server()
    admin = srv.admin()
    alice = admin.create_user("alice")["keys"][0]
    admin.create_user("bob")
    c = s3(srv, alice)
    c.create_bucket(Bucket="alpha")
    c.create_bucket(Bucket="beta")
    c.put_object(Bucket="alpha", Key="one", Body=b"1" * 100)
    c.put_object(Bucket="alpha", Key="two", Body=b"2" * 5000)
    c.put_object(Bucket="beta", Key="x", Body=b"x")
    # what the HTTP API says, to compare with the CLI afterwards
    http_stats = admin.get("/admin/bucket", [("bucket", "alpha"), ("stats", "true")]).json()
    http_policy = admin.get("/admin/bucket", [("policy", None), ("bucket", "alpha")]).json()
    assert srv.stop() == 0
    d = srv.data_dir

    assert sorted(cli(d, "bucket", "list")) == ["alpha", "beta"]
    assert sorted(cli(d, "bucket", "list", "--uid", "alice")) == ["alpha", "beta"]
    assert cli(d, "bucket", "list", "--uid", "bob") == []
    st = cli(d, "bucket", "stats", "--bucket", "alpha")
    assert st == http_stats
    assert st["usage"]["rgw.main"]["num_objects"] == 2
    assert st["usage"]["rgw.main"]["size"] == 5100
    assert cli(d, "policy", "--bucket", "alpha") == http_policy
    assert cli(d, "policy", "--bucket", "alpha", "--object", "one")["owner"]["id"] == "alice"
    chk = cli(d, "bucket", "check", "--bucket", "alpha", "--fix", "--check-objects")
    assert chk["check_result"]["existing_header"] == chk["check_result"]["calculated_header"]

    # object rm, then stats follow
    assert cli(d, "object", "rm", "--bucket", "alpha", "--object", "one") is None
    assert cli(d, "bucket", "stats", "--bucket", "alpha")["usage"]["rgw.main"]["num_objects"] == 1
    # unlink from alice, link to bob
    bucket_id = st["id"]
    cli(d, "bucket", "unlink", "--bucket", "beta", "--uid", "alice")
    assert cli(d, "bucket", "list", "--uid", "alice") == ["alpha"]
    cli(d, "bucket", "link", "--bucket", "beta", "--uid", "bob")
    assert cli(d, "bucket", "list", "--uid", "bob") == ["beta"]
    assert cli(d, "bucket", "stats", "--bucket", "beta")["owner"] == "bob"
    # rm: refused while objects remain, then purged
    assert "BucketNotEmpty" in cli_fails(d, "bucket", "rm", "--bucket", "alpha")
    cli(d, "bucket", "rm", "--bucket", "alpha", "--purge-objects")
    assert "NoSuchBucket" in cli_fails(d, "bucket", "stats", "--bucket", "alpha")
    assert "NoSuchBucket" in cli_fails(d, "bucket", "rm", "--bucket", "alpha")
    # radosgw answers a missing bucket's policy with NoSuchKey (golden 162)
    assert "NoSuchKey" in cli_fails(d, "policy", "--bucket", "alpha")
    assert cli(d, "bucket", "list") == ["beta"]
    assert bucket_id  # the removed bucket's id is not reused below

    # the server sees what the CLI did
    srv2 = start_server(data_dir=d)
    a2 = srv2.admin()
    assert a2.get("/admin/bucket", [("uid", "bob")]).json() == ["beta"]
    assert a2.get("/admin/bucket", [("uid", "alice")]).json() == []
    r = a2.get("/admin/bucket", [("bucket", "alpha")])
    helpers.assert_error(r, 404, "NoSuchBucket")


def test_purge_shows_progress_on_a_terminal_only(start_server):
    """`bucket rm --purge-objects` draws a spinner with the count of objects removed when
    stderr is a terminal; in a pipe (scripts, logs) stderr stays empty."""
    import os
    import pty
    import select
    import subprocess

    for tty in (True, False):
        srv = start_server()
        client = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
        client.create_bucket(Bucket="purged")
        for i in range(40):
            client.put_object(Bucket="purged", Key=f"k{i:03}", Body=b"x")
        srv.stop()
        args = [helpers.server_binary(), "--data-dir", srv.data_dir, "bucket", "rm",
                "--bucket", "purged", "--purge-objects"]
        if tty:
            main, sub = pty.openpty()
            p = subprocess.Popen(args, env=helpers.clean_env(), stdout=subprocess.PIPE,
                                 stderr=sub, stdin=subprocess.DEVNULL)
            os.close(sub)
            seen = b""
            while True:
                ready, _, _ = select.select([main], [], [], 30)
                if not ready:
                    break
                try:
                    chunk = os.read(main, 4096)
                except OSError:  # the child closed its end
                    break
                if not chunk:
                    break
                seen += chunk
            p.wait(timeout=30)
            os.close(main)
            assert p.returncode == 0, seen
            assert b"purging" in seen and b"of 40 objects removed" in seen, seen
        else:
            p = subprocess.run(args, env=helpers.clean_env(), capture_output=True, timeout=30)
            assert p.returncode == 0, p.stderr
            assert p.stderr == b"", p.stderr
        assert "NoSuchBucket" in cli_fails(srv.data_dir, "bucket", "stats", "--bucket", "purged")


def test_cli_bucket_list_objects(start_server):
    """`bucket list --bucket B` prints B's index entries as radosgw-admin does (16.2.15's
    output for a 6-byte text/plain object, field for field), paged by --max-entries and
    --marker; it changes nothing."""
    srv = start_server()
    admin = srv.admin()
    alice = admin.create_user("alice", "Alice A")["keys"][0]
    c = s3(srv, alice)
    c.create_bucket(Bucket="gamma")
    keys = ["dir/obj1", "a", "dir/obj2", "z z"]
    for k in keys:
        c.put_object(Bucket="gamma", Key=k, Body=b"hello\n", ContentType="text/plain")
    head = c.head_object(Bucket="gamma", Key="dir/obj1")
    assert srv.stop() == 0
    d = srv.data_dir

    for level, true, false in [("pacific", "true", "false"), ("reef", True, False)]:
        entries = cli(d, "--compat", level, "bucket", "list", "--bucket", "gamma")
        assert [e["name"] for e in entries] == sorted(keys)
        e = entries[1]
        assert list(e) == ["name", "instance", "ver", "locator", "exists", "meta", "tag",
                           "flags", "pending_map", "versioned_epoch"]
        assert list(e["meta"]) == ["category", "size", "mtime", "etag", "storage_class",
                                   "owner", "owner_display_name", "content_type",
                                   "accounted_size", "user_data", "appendable"]
        assert e["exists"] == true and e["meta"]["appendable"] == false
        m = e["meta"]
        assert (m["category"], m["size"], m["accounted_size"], m["owner"],
                m["owner_display_name"], m["content_type"]) == \
            (1, 6, 6, "alice", "Alice A", "text/plain")
        assert '"' + m["etag"] + '"' == head["ETag"]
        assert m["mtime"].startswith(head["LastModified"].strftime("%Y-%m-%dT%H:%M:%S."))

    page = cli(d, "bucket", "list", "--bucket", "gamma", "--max-entries", "2")
    assert [e["name"] for e in page] == ["a", "dir/obj1"]
    page = cli(d, "bucket", "list", "--bucket", "gamma", "--max-entries", "2",
               "--marker", "dir/obj1")
    assert [e["name"] for e in page] == ["dir/obj2", "z z"]
    assert cli(d, "bucket", "list", "--bucket", "gamma", "--marker", "z z") == []
    assert "NoSuchBucket" in cli_fails(d, "bucket", "list", "--bucket", "nonesuch")
    # the plain listing of bucket names is unchanged, and nothing was touched
    assert cli(d, "bucket", "list") == ["gamma"]
    assert cli(d, "bucket", "stats", "--bucket", "gamma")["usage"]["rgw.main"]["num_objects"] == 4
    # user stats: radosgw-admin's shape, the totals `user info --stats` gives
    st = cli(d, "user", "stats", "--uid", "alice", "--sync-stats")
    assert list(st) == ["stats", "last_stats_sync", "last_stats_update"]
    assert st["stats"] == {"size": 24, "size_actual": 4 * 4096, "size_kb": 1,
                           "size_kb_actual": 16, "num_objects": 4}
    info = cli(d, "user", "info", "--uid", "alice", "--stats")["stats"]
    assert {k: v for k, v in info.items() if "utilized" not in k} == st["stats"]
    assert "NoSuchUser" in cli_fails(d, "user", "stats", "--uid", "nobody")
    # bucket stats without --bucket: every bucket's, or one user's, as radosgw-admin
    every = cli(d, "bucket", "stats")
    assert [b["bucket"] for b in every] == ["gamma"]
    assert every[0] == cli(d, "bucket", "stats", "--bucket", "gamma")
    assert cli(d, "bucket", "stats", "--uid", "alice") == every
    assert cli(d, "bucket", "stats", "--uid", "nobody") == []


def test_cli_bucket_quota_by_bucket_name(start_server):
    """`quota set|enable|disable --quota-scope bucket --bucket B` sets B's own quota, as
    radosgw-admin does (the owner looked up), sizes in bytes with units; the owner's template
    for new buckets is untouched; refusals change nothing; the server enforces it."""
    srv = start_server()
    admin = srv.admin()
    k = admin.create_user("qo")["keys"][0]
    s3(srv, k).create_bucket(Bucket="qbucket")
    assert srv.stop() == 0
    d = srv.data_dir

    def bucket_quota():
        return cli(d, "bucket", "stats", "--bucket", "qbucket")["bucket_quota"]

    template = cli(d, "quota", "get", "--uid", "qo", "--quota-scope", "bucket")
    assert cli(d, "quota", "set", "--quota-scope", "bucket", "--bucket", "qbucket",
               "--max-size", "10G", "--max-objects", "2") is None
    assert bucket_quota() == {"enabled": False, "check_on_raw": False, "max_size": 10 << 30,
                              "max_size_kb": 10 << 20, "max_objects": 2}
    cli(d, "quota", "enable", "--quota-scope", "bucket", "--bucket", "qbucket", "--uid", "qo")
    after = bucket_quota()
    assert after["enabled"] is True and after["max_objects"] == 2
    assert cli(d, "quota", "get", "--uid", "qo", "--quota-scope", "bucket") == template
    assert "NoSuchBucket" in cli_fails(d, "quota", "set", "--quota-scope", "bucket",
                                       "--bucket", "nonesuch", "--max-objects", "1")
    assert "quota-scope bucket" in cli_fails(d, "quota", "set", "--quota-scope", "user",
                                             "--bucket", "qbucket", "--max-objects", "9")
    assert bucket_quota() == after

    srv = start_server(data_dir=d)
    c = s3(srv, k)
    c.put_object(Bucket="qbucket", Key="1", Body=b"1")
    c.put_object(Bucket="qbucket", Key="2", Body=b"2")
    with pytest.raises(Exception) as e:
        c.put_object(Bucket="qbucket", Key="3", Body=b"3")
    assert "QuotaExceeded" in str(e.value)


def test_cli_bucket_list_pages_past_one_store_page(start_server):
    """`bucket list --bucket` past the 1000 entries one store page holds: radosgw-admin's
    default of 1000, then more with --max-entries, in key order, each once."""
    srv = start_server()
    admin = srv.admin()
    c = s3(srv, admin.create_user("many")["keys"][0])
    c.create_bucket(Bucket="many")
    keys = sorted(f"k{i:05d}" for i in range(1205))
    for k in keys:
        c.put_object(Bucket="many", Key=k, Body=b"")
    assert srv.stop() == 0
    d = srv.data_dir
    assert [e["name"] for e in cli(d, "bucket", "list", "--bucket", "many")] == keys[:1000]
    got = cli(d, "bucket", "list", "--bucket", "many", "--max-entries", "5000")
    assert [e["name"] for e in got] == keys
    got = cli(d, "bucket", "list", "--bucket", "many", "--max-entries", "1001",
              "--marker", keys[100])
    assert [e["name"] for e in got] == keys[101:1102]


def test_cli_bucket_limit_check(start_server):
    """`bucket limit check`, radosgw-admin's shape (checked against 16.2.15): every user in
    listing order with each bucket's objects (every index category: an upload in progress
    counts its meta object and its parts), 11 shards, objects per shard and `OK`; --uid
    for one user (an unknown one has no buckets); --warnings-only keeps only WARN/OVER."""
    srv = start_server()
    admin = srv.admin()
    alice = admin.create_user("alice")["keys"][0]
    admin.create_user("bob")
    c = s3(srv, alice)
    c.create_bucket(Bucket="alpha")
    c.create_bucket(Bucket="beta")
    for i in range(25):
        c.put_object(Bucket="alpha", Key=f"k{i}", Body=b"x")
    up = c.create_multipart_upload(Bucket="beta", Key="big")["UploadId"]
    c.upload_part(Bucket="beta", Key="big", UploadId=up, PartNumber=1, Body=b"p" * 100)
    users = [u for u in admin.get("/admin/metadata/user").json()]
    assert srv.stop() == 0
    d = srv.data_dir

    every = cli(d, "bucket", "limit", "check")
    assert [u["user_id"] for u in every] == users
    by_user = {u["user_id"]: u["buckets"] for u in every}
    assert by_user["bob"] == []
    assert by_user["alice"] == [
        {"bucket": "alpha", "tenant": "", "num_objects": 25, "num_shards": 11,
         "objects_per_shard": 2, "fill_status": "OK"},
        {"bucket": "beta", "tenant": "", "num_objects": 2, "num_shards": 11,
         "objects_per_shard": 0, "fill_status": "OK"},
    ]
    assert list(by_user["alice"][0]) == ["bucket", "tenant", "num_objects", "num_shards",
                                         "objects_per_shard", "fill_status"]
    assert cli(d, "bucket", "limit", "check", "--uid", "alice") == [
        {"user_id": "alice", "buckets": by_user["alice"]}]
    assert cli(d, "bucket", "limit", "check", "--uid", "nobody") == [
        {"user_id": "nobody", "buckets": []}]
    assert cli(d, "bucket", "limit", "check", "--warnings-only") == [
        {"user_id": u, "buckets": []} for u in users]
