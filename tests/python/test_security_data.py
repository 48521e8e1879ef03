"""Data safety (issue 10, security review M12, L8, and the disk-full and corrupt-store
checks): secrets on disk are private, the credentials file never follows a link, a full
disk fails writes cleanly and the server serves again once space is freed, and a store that
cannot be opened stops the server with a clear message.
"""
import hashlib
import os
import stat
import subprocess

import pytest
from botocore.exceptions import ClientError

import helpers


def modes(root):
    """Every path under `root` with its permission bits."""
    out = {}
    for d, dirs, files in os.walk(root):
        for n in dirs + files:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root)] = stat.S_IMODE(os.lstat(p).st_mode)
    return out


def test_store_files_are_private_whatever_the_umask(tmp_path):
    """M12: the store holds every secret; other local users must not read it."""
    data = tmp_path / "data"
    old = os.umask(0o002)  # a permissive caller
    try:
        s = helpers.Server(data_dir=str(data),
                           env={"RGW_ADMIN_ACCESS_KEY": "", "RGW_ADMIN_SECRET_KEY": ""})
        s.start()
        try:
            creds = (data / "admin-credentials").read_text()
            ak = creds.split('access_key = "')[1].split('"')[0]
            sk = creds.split('secret_key = "')[1].split('"')[0]
            s3 = helpers.s3_client(s, ak, sk)
            s3.create_bucket(Bucket="private-bucket")
            s3.put_object(Bucket="private-bucket", Key="k", Body=b"v" * 100)
        finally:
            s.stop()
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(data).st_mode) == 0o700
    m = modes(data)
    assert "admin-credentials" in m and any(p.startswith("db" + os.sep) for p in m)
    loose = {p: oct(v) for p, v in m.items() if v & 0o077}
    assert not loose, loose


def test_admin_credentials_never_follow_a_symlink(tmp_path):
    """L8: a link planted where the credentials go is replaced, its target untouched."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    target = tmp_path / "planted"
    target.write_text("untouched\n")
    os.chmod(target, 0o644)
    os.symlink(target, data / "admin-credentials")
    s = helpers.Server(data_dir=str(data),
                       env={"RGW_ADMIN_ACCESS_KEY": "", "RGW_ADMIN_SECRET_KEY": ""})
    s.start()
    try:
        creds = data / "admin-credentials"
        assert not creds.is_symlink()
        assert stat.S_IMODE(creds.stat().st_mode) == 0o600
        assert target.read_text() == "untouched\n"
        ak = creds.read_text().split('access_key = "')[1].split('"')[0]
        sk = creds.read_text().split('secret_key = "')[1].split('"')[0]
        r = s.admin(ak, sk).get("/admin/user", [("uid", "admin")])
        assert r.status_code == 200 and r.json()["user_id"] == "admin"
    finally:
        s.cleanup()


def test_corrupt_store_stops_the_server_with_a_clear_message(tmp_path):
    data = tmp_path / "data"
    assert helpers.run_cli(str(data), "init").returncode == 0
    r = helpers.run_cli(str(data), "user", "create", "--uid", "keep", "--display-name", "Keep")
    assert r.returncode == 0, r.stderr
    (data / "db" / "CURRENT").write_text("garbage\n")
    before = sorted(os.listdir(data / "db"))
    p = subprocess.run([helpers.server_binary(), "--data-dir", str(data), "serve", "--listen",
                        f"127.0.0.1:{helpers.free_port()}"], env=helpers.clean_env(),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert "cannot open store" in p.stderr + p.stdout and "Corruption" in p.stderr + p.stdout
    # Nothing was reset or recreated.
    assert (data / "db" / "CURRENT").read_text() == "garbage\n"
    assert not (set(os.listdir(data / "db")) - set(before) - {"LOG"}
                - {n for n in os.listdir(data / "db") if n.startswith("LOG.old")})
    r = helpers.run_cli(str(data), "user", "info", "--uid", "keep")
    assert r.returncode != 0 and "cannot open store" in r.stderr


def test_disk_full_fails_cleanly_and_recovers(small_disk):
    data = os.path.join(small_disk, "data")
    srv = helpers.Server(data_dir=data)
    srv.start()
    try:
        s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
        s3.create_bucket(Bucket="full")
        stored = {}
        refused = None
        for i in range(60):
            body = bytes([i]) * (1 << 20)
            try:
                s3.put_object(Bucket="full", Key=f"o{i:02}", Body=body)
                stored[f"o{i:02}"] = (hashlib.md5(body).hexdigest(), len(body))
            except ClientError as e:
                refused = (f"o{i:02}", e.response)
                break
        assert refused, "the disk never filled"
        key, resp = refused
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 507, resp
        assert resp["Error"]["Code"] == "InsufficientCapacity"

        def check():
            listed = [o["Key"] for o in s3.list_objects_v2(Bucket="full").get("Contents", [])]
            assert listed == sorted(stored), (listed, sorted(stored))
            for k, (md5, _) in stored.items():
                got = s3.get_object(Bucket="full", Key=k)["Body"].read()
                assert hashlib.md5(got).hexdigest() == md5, k
            st = srv.admin().get("/admin/bucket", [("bucket", "full"), ("stats", "true")]).json()
            assert st["usage"]["rgw.main"]["num_objects"] == len(stored)
            assert st["usage"]["rgw.main"]["size"] == sum(n for _, n in stored.values())

        check()  # nothing torn, nothing half-indexed
        # Free space: writes work again, on the running server.
        for k in sorted(stored)[:5]:
            s3.delete_object(Bucket="full", Key=k)
            del stored[k]
        body = b"after" * 100000
        s3.put_object(Bucket="full", Key=key, Body=body)
        stored[key] = (hashlib.md5(body).hexdigest(), len(body))
        srv.admin().create_user(helpers.unique("after-full"))
        check()
        # And after a restart, the same.
        srv.stop()
        srv.start()
        check()
    finally:
        srv.cleanup()


def test_credentials_written_before_the_admin_exists(tmp_path):
    """L8: if the credentials cannot be written, no admin user is created (nobody could
    sign as it); the next start, once the path is writable, bootstraps normally."""
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    (data / "admin-credentials").mkdir()  # a rename cannot replace a directory
    env = {"RGW_ADMIN_ACCESS_KEY": "", "RGW_ADMIN_SECRET_KEY": ""}
    p = subprocess.run([helpers.server_binary(), "--data-dir", str(data), "serve", "--listen",
                        f"127.0.0.1:{helpers.free_port()}"], env=helpers.clean_env(env),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "admin-credentials" in p.stderr + p.stdout
    r = helpers.run_cli(str(data), "user", "list")
    assert r.returncode == 0 and "admin" not in r.stdout, r.stdout
    os.rmdir(data / "admin-credentials")
    s = helpers.Server(data_dir=str(data), env=env)
    s.start()
    try:
        creds = (data / "admin-credentials").read_text()
        ak = creds.split('access_key = "')[1].split('"')[0]
        sk = creds.split('secret_key = "')[1].split('"')[0]
        assert s.admin(ak, sk).get("/admin/user", [("uid", "admin")]).status_code == 200
    finally:
        s.cleanup()
