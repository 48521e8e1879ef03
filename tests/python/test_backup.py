"""`rgw-admin backup` of a store a server is serving under concurrent writes, `restore` into
a new directory, and a server on the restored store that has every user, key, bucket and
object (by MD5) the backup's point in time had, with exact bucket stats; `check` on it."""
import hashlib
import json
import os
import random
import threading

import helpers


def bucket_usage(admin, bucket):
    r = admin.get("/admin/bucket", [("bucket", bucket), ("stats", "true")])
    assert r.status_code == 200, r.text
    return r.json()["usage"]


def listing(c, bucket):
    """key → (etag, size) of every object, through every page."""
    out = {}
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for o in page.get("Contents", []):
            out[o["Key"]] = (o["ETag"].strip('"'), o["Size"])
    return out


def test_backup_under_load_then_restore(tmp_path, start_server):
    srv = start_server()
    admin = srv.admin()
    rnd = random.Random(12)
    users = {}
    for i in range(6):
        uid = f"bk-user{i}"
        doc = admin.create_user(uid, email=f"{uid}@example.com")
        users[uid] = doc
    admin.put("/admin/user", [("uid", "bk-user0"), ("subuser", "bk-user0:swift"),
                              ("access", "full"), ("key-type", "swift"),
                              ("secret-key", "s" * 40)])
    users["bk-user0"] = admin.user_info("bk-user0")
    k0 = users["bk-user0"]["keys"][0]
    c = helpers.s3_client(srv, k0["access_key"], k0["secret_key"])
    md5s = {}
    for b in ("static-a", "static-b"):
        c.create_bucket(Bucket=b)
        for j in range(25):
            body = rnd.randbytes(rnd.choice([0, 1, 700, 5000, 70000]))
            c.put_object(Bucket=b, Key=f"dir/o{j}", Body=body)
            md5s[(b, f"dir/o{j}")] = hashlib.md5(body).hexdigest()
    # an upload in progress, with a part: counted in stats, and its part's file copied
    c.create_bucket(Bucket="churn")
    up = c.create_multipart_upload(Bucket="static-b", Key="big")["UploadId"]
    c.upload_part(Bucket="static-b", Key="big", UploadId=up, PartNumber=1,
                  Body=b"p" * (5 << 20))
    static_stats = {b: bucket_usage(admin, b) for b in ("static-a", "static-b")}

    # writers overwrite, delete and add objects while the backup runs
    stop = threading.Event()
    errors = []
    writes = threading.Semaphore(0)  # one release per write done

    def churn(n):
        w = helpers.s3_client(srv, k0["access_key"], k0["secret_key"])
        r = random.Random(n)
        i = 0
        while not stop.is_set():
            key = f"k{r.randrange(40)}"
            try:
                if r.random() < 0.25:
                    w.delete_object(Bucket="churn", Key=key)
                else:
                    w.put_object(Bucket="churn", Key=key, Body=r.randbytes(r.randrange(1, 3000)))
                i += 1
                writes.release()
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))
                return

    threads = [threading.Thread(target=churn, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        # the backup starts once the writers are well under way, not by the clock
        for _ in range(60):
            assert writes.acquire(timeout=30), errors
        backup = tmp_path / "backup"
        p = helpers.run_cli(srv.data_dir, "backup", "--to", str(backup), timeout=120)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    # 50 static objects, 1 part, and what the churned bucket held at the copied point
    assert summary["files"] > 51 and summary["entries"] > 0, summary
    helpers.SUMMARY.append(f"backup under load: {summary}")
    assert sorted(os.listdir(backup)) == ["BACKUP", "db", "objects"]
    # the server kept serving, and still does
    assert admin.user_info("bk-user1")["user_id"] == "bk-user1"

    # a backup never overwrites, a restore never overwrites
    p = helpers.run_cli(srv.data_dir, "backup", "--to", str(backup))
    assert p.returncode == 1 and "not empty" in p.stderr
    p = helpers.run_cli(srv.data_dir, "restore", "--from", str(backup))
    assert p.returncode == 1 and "not empty" in p.stderr
    p = helpers.run_cli(str(tmp_path / "x"), "restore", "--from", str(tmp_path))
    assert p.returncode == 1 and "not a complete backup" in p.stderr
    assert not (tmp_path / "x").exists()

    restored = tmp_path / "restored"
    p = helpers.run_cli(str(restored), "restore", "--from", str(backup))
    assert p.returncode == 0, p.stderr
    again = json.loads(p.stdout)
    assert (again["entries"], again["files"], again["bytes"]) == \
        (summary["entries"], summary["files"], summary["bytes"])
    p = helpers.run_cli(str(restored), "check")
    assert p.returncode == 0, p.stdout + p.stderr

    new = start_server(data_dir=str(restored))
    nadmin = new.admin()
    assert set(users) <= set(nadmin.user_list())
    for uid, doc in users.items():
        assert nadmin.user_info(uid) == doc
        # every key still signs
        k = doc["keys"][0]
        nc = helpers.s3_client(new, k["access_key"], k["secret_key"])
        nc.list_buckets()
    swift = nadmin.get("/admin/user", [("uid", "bk-user0")]).json()["swift_keys"]
    assert swift == [{"user": "bk-user0:swift", "secret_key": "s" * 40}]
    nc = helpers.s3_client(new, k0["access_key"], k0["secret_key"])
    assert sorted(b["Name"] for b in nc.list_buckets()["Buckets"]) == \
        ["churn", "static-a", "static-b"]
    for (b, key), want in md5s.items():
        got = nc.get_object(Bucket=b, Key=key)["Body"].read()
        assert hashlib.md5(got).hexdigest() == want, (b, key)
    for b, want in static_stats.items():
        assert bucket_usage(nadmin, b) == want, b
    parts = nc.list_parts(Bucket="static-b", Key="big", UploadId=up)["Parts"]
    assert [(x["PartNumber"], x["Size"]) for x in parts] == [(1, 5 << 20)]
    # the churned bucket: whatever point was copied, its stats are exactly its objects,
    # and each object's bytes are the ones its ETag promises
    objs = listing(nc, "churn")
    assert objs
    st = bucket_usage(nadmin, "churn").get("rgw.main", {"num_objects": 0, "size": 0})
    assert st["num_objects"] == len(objs)
    assert st["size"] == sum(s for _, s in objs.values())
    for key, (etag, _) in objs.items():
        got = nc.get_object(Bucket="churn", Key=key)["Body"].read()
        assert hashlib.md5(got).hexdigest() == etag, key


def test_backup_and_restore_with_objects_dir_elsewhere(tmp_path, start_server):
    """objects_dir outside the data dir: backup reads the data files there, restore puts
    them in the restored store's objects_dir (which must be empty), and check and a server
    on the restored store find every object."""
    objects = tmp_path / "objects-a"
    srv = start_server(env={"RGW_ADMIN_OBJECTS_DIR": str(objects)},
                       data_dir=str(tmp_path / "a"))
    admin = srv.admin()
    u = admin.create_user("od-user")
    k = u["keys"][0]
    c = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    c.create_bucket(Bucket="odbucket")
    bodies = {f"k{i}": os.urandom(1000 * (i + 1)) for i in range(5)}
    for key, body in bodies.items():
        c.put_object(Bucket="odbucket", Key=key, Body=body)
    assert not (tmp_path / "a" / "objects").exists()
    backup = tmp_path / "bk"
    env = {"RGW_ADMIN_OBJECTS_DIR": str(objects)}
    p = helpers.run_cli(srv.data_dir, "backup", "--to", str(backup), env=env)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["files"] == len(bodies)

    restored, robjects = tmp_path / "b", tmp_path / "objects-b"
    renv = {"RGW_ADMIN_OBJECTS_DIR": str(robjects)}
    robjects.mkdir()
    (robjects / "stray").write_text("x")
    p = helpers.run_cli(str(restored), "restore", "--from", str(backup), env=renv)
    assert p.returncode == 1 and "objects_dir" in p.stderr and "not empty" in p.stderr, p.stderr
    assert not restored.exists()
    (robjects / "stray").unlink()
    p = helpers.run_cli(str(restored), "restore", "--from", str(backup), env=renv)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["files"] == len(bodies)
    assert sum(1 for f in robjects.rglob("*") if f.is_file()) == len(bodies)
    p = helpers.run_cli(str(restored), "check", env=renv)
    assert p.returncode == 0, p.stdout + p.stderr
    new = start_server(env=renv, data_dir=str(restored))
    nc = helpers.s3_client(new, k["access_key"], k["secret_key"])
    for key, body in bodies.items():
        assert nc.get_object(Bucket="odbucket", Key=key)["Body"].read() == body
