"""`rgw-admin migrate --from rocksdb --to etcd` copies a gateway's store into etcd: a gateway
on etcd (objects_dir = the old <data-dir>/objects) then answers as the old one did, and the
CLI works against etcd too (`--store etcd`).

Skipped only when the etcd binary is missing (.ci/run installs Debian's etcd-server)."""
import json
import os
import uuid

import pytest

import etcd_cluster
import helpers

pytestmark = pytest.mark.skipif(not etcd_cluster.available(),
                                reason=f"no etcd binary at {etcd_cluster.ETCD_BIN} "
                                       "(apt-get install etcd-server)")


def test_migrate_rocksdb_to_etcd(start_server, uid):
    src = start_server()
    ak, sk = "MIGR" + uuid.uuid4().hex[:16].upper(), "migr" + uuid.uuid4().hex * 2
    ak, sk = ak[:20], sk[:40]
    src.admin().create_user(uid, access_key=ak, secret_key=sk, email=f"{uid}@example.com")
    s3 = helpers.s3_client(src, ak, sk)
    s3.create_bucket(Bucket=uid)
    s3.put_object(Bucket=uid, Key="k", Body=b"migrated bytes")
    info = src.admin().user_info(uid)
    stats = src.admin().get("/admin/bucket", [("bucket", uid), ("stats", "true")]).json()
    assert src.stop() == 0

    cluster = etcd_cluster.Cluster().start()
    try:
        env = {"RGW_ADMIN_ETCD_ENDPOINTS": ",".join(cluster.clients),
               "RGW_ADMIN_ETCD_PREFIX": f"mig-{uuid.uuid4().hex[:6]}/"}
        r = helpers.run_cli(src.data_dir, "migrate", "--from", "rocksdb", "--to", "etcd",
                            env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("copied ")
        # a second copy into the now full store is refused
        r = helpers.run_cli(src.data_dir, "migrate", "--from", "rocksdb", "--to", "etcd",
                            env=env, timeout=60)
        assert r.returncode != 0 and "not empty" in r.stderr
        r = helpers.run_cli(src.data_dir, "--store", "etcd", "user", "info", "--uid", uid,
                            env=env, timeout=60)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["keys"] == info["keys"]

        gw = start_server(env={**env, "RGW_ADMIN_STORE": "etcd",
                               "RGW_ADMIN_OBJECTS_DIR": os.path.join(src.data_dir, "objects")})
        assert gw.admin().user_info(uid) == info
        got = helpers.s3_client(gw, ak, sk).get_object(Bucket=uid, Key="k")["Body"].read()
        assert got == b"migrated bytes"
        assert gw.admin().get("/admin/bucket", [("bucket", uid), ("stats", "true")]).json() == stats
    finally:
        cluster.stop()
