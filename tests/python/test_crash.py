"""kill -9 of the gateway (RocksDB, the default store) in the middle of concurrent user
creates, object PUTs and multipart completions. After a restart on the same data dir every
acknowledged write is there and reads back byte for byte, nothing is half written (the
offline `rgw-admin check` finds records, indexes, stats and data files consistent), and the
gateway takes writes again."""
import hashlib
import os
import random
import threading
import time

import helpers

MiB = 1024 * 1024


def test_kill_9_during_writes_loses_nothing_acknowledged(start_server):
    s = start_server()
    admin = s.admin()
    k = admin.create_user("crash-owner")["keys"][0]
    owner = (k["access_key"], k["secret_key"])
    helpers.s3_client(s, *owner).create_bucket(Bucket="crash")

    users, objects, errors = [], {}, []
    lock = threading.Lock()
    stop = threading.Event()

    def create_users(n):
        c = s.admin()
        for i in range(100_000):
            if stop.is_set():
                return
            uid = f"cu-{n}-{i}"
            try:
                r = c.put("/admin/user", [("uid", uid), ("display-name", uid)])
            except Exception:
                return  # the gateway is gone: not acknowledged
            if r.status_code == 200:
                with lock:
                    users.append((uid, r.json()["keys"][0]))
            else:
                errors.append((uid, r.status_code, r.text))

    def put_objects(n):
        s3 = helpers.s3_client(s, *owner)
        rnd = random.Random(n)
        for i in range(100_000):
            if stop.is_set():
                return
            key = f"obj-{n}-{i}"
            # Both sides of the small-object threshold: inline and file-backed data.
            data = rnd.randbytes(rnd.choice([1, 700, 4096, 70_000, 300_000]))
            try:
                s3.put_object(Bucket="crash", Key=key, Body=data)
            except Exception:
                return
            with lock:
                objects[key] = hashlib.md5(data).hexdigest()

    def multipart(n):
        s3 = helpers.s3_client(s, *owner)
        for i in range(100_000):
            if stop.is_set():
                return
            key = f"mp-{n}-{i}"
            parts = [os.urandom(5 * MiB), os.urandom(1000)]
            try:
                up = s3.create_multipart_upload(Bucket="crash", Key=key)["UploadId"]
                done = [{"PartNumber": p + 1,
                         "ETag": s3.upload_part(Bucket="crash", Key=key, UploadId=up,
                                                PartNumber=p + 1, Body=body)["ETag"]}
                        for p, body in enumerate(parts)]
                s3.complete_multipart_upload(Bucket="crash", Key=key, UploadId=up,
                                             MultipartUpload={"Parts": done})
            except Exception:
                return
            with lock:
                objects[key] = hashlib.md5(b"".join(parts)).hexdigest()

    threads = [threading.Thread(target=f, args=(n,)) for n in range(4)
               for f in (create_users, put_objects)]
    threads += [threading.Thread(target=multipart, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    # Kill once every kind of write has been acknowledged at least a few times.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with lock:
            mp = sum(1 for k in objects if k.startswith("mp-"))
            if len(users) >= 20 and len(objects) - mp >= 20 and mp >= 2:
                break
        time.sleep(0.05)
    time.sleep(0.2)
    s.proc.kill()
    s.proc.wait(10)
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors[:5]
    assert len(users) >= 20 and len(objects) >= 22, (len(users), len(objects))
    print(f"\ncrash: kill -9 after {len(users)} user creates and {len(objects)} object "
          f"writes acknowledged")

    s.start()
    admin = s.admin()
    for uid, key in users:
        r = admin.get("/admin/user", [("uid", uid)])
        assert r.status_code == 200, (uid, r.status_code, r.text)
        assert key["access_key"] in [x["access_key"] for x in r.json()["keys"]]
    # The keys authenticate (the key index was written with the user).
    for uid, key in users[:: max(1, len(users) // 10)]:
        helpers.s3_client(s, key["access_key"], key["secret_key"]).list_buckets()
    s3 = helpers.s3_client(s, *owner)
    for key, md5 in objects.items():
        body = s3.get_object(Bucket="crash", Key=key)["Body"].read()
        assert hashlib.md5(body).hexdigest() == md5, key
    listed = [o["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket="crash")
              for o in page.get("Contents", [])]
    assert set(objects) <= set(listed)
    # Parts of the uploads the kill left open count as objects too (as in radosgw).
    uploads = s3.list_multipart_uploads(Bucket="crash").get("Uploads", [])
    open_parts = sum(len(s3.list_parts(Bucket="crash", Key=u["Key"], UploadId=u["UploadId"])
                         .get("Parts", [])) for u in uploads)
    stats = admin.get("/admin/bucket", [("bucket", "crash"), ("stats", "true")]).json()
    assert stats["usage"]["rgw.main"]["num_objects"] == len(listed) + open_parts
    assert stats["usage"].get("rgw.multimeta", {}).get("num_objects", 0) == len(uploads)

    # Still takes writes, then the offline check finds nothing to fix.
    s3.put_object(Bucket="crash", Key="after", Body=b"after the crash")
    assert admin.create_user("after-crash")["user_id"] == "after-crash"
    assert s.stop() == 0
    p = helpers.run_cli(s.data_dir, "check", timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
