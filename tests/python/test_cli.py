"""The `rgw-admin` CLI on the same store as the server: it prints the API's JSON documents,
its changes are what the server then serves (and the other way round), and it refuses to
touch a store a running server holds."""
import json
import os
import subprocess

import helpers


def cli_json(data_dir, *args):
    p = helpers.run_cli(data_dir, *args)
    assert p.returncode == 0, f"rgw-admin {' '.join(args)}: rc={p.returncode} {p.stderr}"
    return json.loads(p.stdout)


def test_cli_and_server_share_the_store(tmp_path, start_server):
    data = str(tmp_path / "store")
    assert helpers.run_cli(data, "init").returncode == 0
    # the server bootstraps `admin` only on an empty store; here the CLI makes it (README)
    admin_doc = cli_json(data, "user", "create", "--uid", "admin", "--display-name", "Admin",
                         "--caps", "users=*;buckets=*;usage=*;metadata=*;info=*;ratelimit=*",
                         "--access-key", helpers.ADMIN_AK, "--secret-key", helpers.ADMIN_SK)
    assert admin_doc["keys"] == [{"user": "admin", "access_key": helpers.ADMIN_AK,
                                  "secret_key": helpers.ADMIN_SK}]
    ak, sk = "CLIACCESSKEY00000001", "clisecret" + "0" * 31
    made = cli_json(data, "user", "create", "--uid", "cli-user", "--display-name", "CLI User",
                    "--email", "cli@example.com", "--caps", "users=read;usage=*",
                    "--access-key", ak, "--secret-key", sk, "--max-buckets", "3")
    assert list(made) == helpers.USER_FIELDS
    assert (made["user_id"], made["display_name"], made["email"], made["max_buckets"]) == \
        ("cli-user", "CLI User", "cli@example.com", 3)
    assert made["keys"] == [{"user": "cli-user", "access_key": ak, "secret_key": sk}]
    assert made["caps"] == [{"type": "usage", "perm": "*"}, {"type": "users", "perm": "read"}]

    subs = cli_json(data, "subuser", "create", "--uid", "cli-user", "--subuser", "cli-user:sw",
                    "--access", "full", "--secret-key", "x" * 40)
    assert subs == [{"id": "cli-user:sw", "permissions": "full-control"}]
    caps = cli_json(data, "caps", "add", "--uid", "cli-user", "--caps", "metadata=read")
    assert {"type": "metadata", "perm": "read"} in caps
    info = cli_json(data, "user", "info", "--uid", "cli-user")
    assert info["subusers"] == subs and info["caps"] == caps
    assert info["swift_keys"] == [{"user": "cli-user:sw", "secret_key": "x" * 40}]
    assert "cli-user" in cli_json(data, "user", "list")["keys"]

    srv = start_server(data_dir=data)
    admin = srv.admin()
    assert admin.user_info("cli-user") == info
    assert {"admin", "cli-user"} <= set(admin.user_list())
    # the CLI-made key signs requests; its caps are enforced
    as_cli = srv.admin(ak, sk)
    assert as_cli.get("/admin/user", [("uid", "admin")]).json()["user_id"] == "admin"
    helpers.assert_error(as_cli.post("/admin/user", [("uid", "admin"), ("display-name", "x")]),
                         403, "AccessDenied")

    # the store is in use while the server runs
    p = helpers.run_cli(data, "user", "info", "--uid", "cli-user")
    assert p.returncode != 0
    assert "in use" in (p.stderr + p.stdout)
    p = helpers.run_cli(data, "user", "rm", "--uid", "cli-user")
    assert p.returncode != 0 and "in use" in (p.stderr + p.stdout)

    r = admin.post("/admin/user", [("uid", "cli-user"), ("display-name", "Renamed By API")])
    assert r.status_code == 200
    assert srv.stop() == 0  # SIGTERM: clean exit

    info = cli_json(data, "user", "info", "--uid", "cli-user")
    assert info["display_name"] == "Renamed By API"
    p = helpers.run_cli(data, "user", "rm", "--uid", "cli-user")
    assert p.returncode == 0, p.stderr
    p = helpers.run_cli(data, "user", "info", "--uid", "cli-user")
    assert p.returncode != 0 and "NoSuchUser" in p.stderr
    assert "cli-user" not in cli_json(data, "user", "list")["keys"]


def test_cli_rejects_bad_caps_without_writing(tmp_path):
    data = str(tmp_path / "store")
    assert helpers.run_cli(data, "init").returncode == 0
    p = helpers.run_cli(data, "user", "create", "--uid", "bad-caps", "--display-name", "Bad",
                        "--caps", "bogus=read")
    assert p.returncode != 0 and "InvalidCapability" in p.stderr
    assert "bad-caps" not in cli_json(data, "user", "list")["keys"]


def test_server_restart_keeps_users(tmp_path, start_server):
    data = str(tmp_path / "store")
    first = start_server(data_dir=data)
    uid = helpers.unique("persist")
    made = first.admin().create_user(uid, "Persistent", user_caps="buckets=read")
    assert first.stop() == 0
    second = start_server(data_dir=data)
    assert second.admin().user_info(uid) == made
    assert second.admin().user_info("admin")["keys"][0]["access_key"] == helpers.ADMIN_AK


def test_only_serve_and_init_create_a_store(tmp_path):
    """A mistyped --data-dir must not become an empty store that answers as if it were the
    real one: every other command says there is none, exits non-zero and creates nothing."""
    missing = tmp_path / "typo"
    for args in (["user", "list"], ["user", "create", "--uid", "u", "--display-name", "U"],
                 ["bucket", "list"], ["usage", "show"]):
        p = helpers.run_cli(str(missing), *args)
        assert p.returncode != 0, (args, p.stdout)
        assert "no store at" in p.stderr and "init" in p.stderr, p.stderr
        assert p.stdout == ""
        assert not missing.exists(), args
    # An existing but empty directory (what systemd's StateDirectory= makes) is no store
    # either, and stays empty.
    empty = tmp_path / "empty"
    empty.mkdir()
    p = helpers.run_cli(str(empty), "user", "list")
    assert p.returncode != 0 and "no store at" in p.stderr
    assert os.listdir(empty) == []

    p = helpers.run_cli(str(missing), "init")
    assert p.returncode == 0, p.stderr
    assert cli_json(str(missing), "user", "list")["keys"] == []
    # init never resets a store
    cli_json(str(missing), "user", "create", "--uid", "kept", "--display-name", "K")
    p = helpers.run_cli(str(missing), "init")
    assert p.returncode != 0 and "already holds a store" in p.stderr
    assert cli_json(str(missing), "user", "list")["keys"] == ["kept"]


def test_config_check(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('listen = "127.0.0.1:9000"\ncompat = "quincy"\n')
    p = helpers.run_cli(str(tmp_path / "unused"), "config", "check", str(good))
    assert p.returncode == 0 and "valid" in p.stdout, p.stderr
    example = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "rgw-admin.toml")
    assert helpers.run_cli(str(tmp_path), "config", "check", example).returncode == 0

    typo = tmp_path / "typo.toml"
    typo.write_text('listen = "127.0.0.1:9000"\ncahce_mb = 64\n')
    p = helpers.run_cli(str(tmp_path), "config", "check", str(typo))
    assert p.returncode == 1 and "cahce_mb" in p.stderr and "typo.toml" in p.stderr, p.stderr
    for text, named in (('compat = "octopus"\n', "octopus"), ('cache_mb = "lots"\n', "cache_mb"),
                        ('listen = "nowhere"\n', "listen"), ("cache_mb = 0\n", "cache_mb"),
                        ('tls_cert = "/c.pem"\n', "tls_key"), ("listen = \n", "")):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        p = helpers.run_cli(str(tmp_path), "config", "check", str(bad))
        assert p.returncode == 1 and named in p.stderr, (text, p.stderr)
    p = helpers.run_cli(str(tmp_path), "config", "check", str(tmp_path / "absent.toml"))
    assert p.returncode == 1 and "cannot read config" in p.stderr

    # the server reads files with the same parser: it refuses the typo too, before creating
    # anything
    store = tmp_path / "never"
    p = subprocess.run([helpers.server_binary(), "--config", str(typo), "--data-dir",
                        str(store), "serve"], env=helpers.clean_env(), capture_output=True,
                       text=True, timeout=30)
    assert p.returncode != 0 and "cahce_mb" in p.stderr
    assert not store.exists()


def test_systemd_unit_is_valid_and_hardened(tmp_path):
    """conf/rgw-admin.service, with its binary path pointed at the built binary, passes
    `systemd-analyze verify`, keeps its hardening, and its ExecStartPre check accepts the
    shipped example config."""
    import shutil
    import pytest
    unit_src = os.path.join(os.path.dirname(__file__), "..", "..", "conf", "rgw-admin.service")
    text = open(unit_src).read()
    for directive in ("DynamicUser=yes", "StateDirectory=rgw-admin", "NoNewPrivileges=yes",
                      "ProtectSystem=strict", "LimitNOFILE=", "CapabilityBoundingSet=\n"):
        assert directive in text, directive
    conf = os.path.join(os.path.dirname(unit_src), "rgw-admin.toml")
    assert helpers.run_cli(str(tmp_path), "config", "check", conf).returncode == 0
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze not installed")
    unit = tmp_path / "rgw-admin.service"
    unit.write_text(text.replace("/usr/local/bin/rgw-admin", helpers.server_binary()))
    p = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    # a misspelt directive or a bad value is only a warning: "Unknown key ...", "..., ignoring"
    assert "ignoring" not in p.stderr and "Unknown" not in p.stderr, p.stderr


def test_metadata_commands_are_the_metadata_api(tmp_path, start_server):
    """`metadata list|get|put|rm` print what `/admin/metadata` answers, change what it
    changes, and refuse what it refuses without changing anything."""
    data = str(tmp_path / "store")
    assert helpers.run_cli(data, "init").returncode == 0
    cli_json(data, "user", "create", "--uid", "admin", "--display-name", "Admin",
             "--caps", "users=*;buckets=*;usage=*;metadata=*;info=*;ratelimit=*",
             "--access-key", helpers.ADMIN_AK, "--secret-key", helpers.ADMIN_SK)
    cli_json(data, "user", "create", "--uid", "meta-a", "--display-name", "Meta A")
    assert cli_json(data, "metadata", "list") == ["bucket", "bucket.instance", "otp", "user"]
    assert sorted(cli_json(data, "metadata", "list", "user")) == ["admin", "meta-a"]
    page = cli_json(data, "metadata", "list", "user", "--max-entries", "1")
    assert page["count"] == 1 and page["truncated"] in (True, "true")
    rest = cli_json(data, "metadata", "list", "user", "--max-entries", "5",
                    "--marker", page["marker"])
    assert page["keys"] + rest["keys"] == ["admin", "meta-a"]
    doc = cli_json(data, "metadata", "get", "user:meta-a")
    assert doc["key"] == "user:meta-a" and doc["data"]["display_name"] == "Meta A"

    # put from a file, then from standard input
    doc["data"]["display_name"] = "Meta Renamed"
    f = tmp_path / "meta-a.json"
    f.write_text(json.dumps(doc))
    p = helpers.run_cli(data, "metadata", "put", "user:meta-a", "--infile", str(f))
    assert p.returncode == 0, p.stderr
    assert cli_json(data, "user", "info", "--uid", "meta-a")["display_name"] == "Meta Renamed"
    doc["data"]["display_name"] = "Meta Stdin"
    p = subprocess.run([helpers.server_binary(), "--data-dir", data, "metadata", "put",
                        "user:meta-a"], input=json.dumps(doc), capture_output=True, text=True,
                       env=helpers.clean_env(None), timeout=30)
    assert p.returncode == 0, p.stderr
    before = cli_json(data, "metadata", "get", "user:meta-a")
    assert before["data"]["display_name"] == "Meta Stdin"

    # refusals: the API's errors, nothing changed
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    for args, code in [
        (("metadata", "put", "user:meta-a", "--infile", str(bad)), "InvalidArgument"),
        (("metadata", "put", "user:other", "--infile", str(f)), "InvalidArgument"),
        (("metadata", "put", "user:meta-a", "--infile", str(tmp_path / "missing")),
         "cannot read"),
        (("metadata", "get", "user:nobody"), "NoSuchKey"),
        (("metadata", "list", "nosection"), "NoSuchKey"),
        (("metadata", "rm", "user:nobody"), "NoSuchKey"),
    ]:
        p = helpers.run_cli(data, *args)
        assert p.returncode == 1 and code in p.stderr, (args, p.returncode, p.stderr)
    assert cli_json(data, "metadata", "get", "user:meta-a") == before
    assert sorted(cli_json(data, "metadata", "list", "user")) == ["admin", "meta-a"]

    # the server answers the same document
    srv = start_server(data_dir=data)
    r = srv.admin().get("/admin/metadata/user", [("key", "meta-a")])
    assert r.status_code == 200 and r.json() == before
    srv.stop()

    assert helpers.run_cli(data, "metadata", "rm", "user:meta-a").returncode == 0
    assert cli_json(data, "metadata", "list", "user") == ["admin"]
    p = helpers.run_cli(data, "user", "info", "--uid", "meta-a")
    assert p.returncode == 1 and "NoSuchUser" in p.stderr


def test_radosgw_admin_key_generation_flags(tmp_path):
    """`--gen-access-key` / `--gen-secret`, as radosgw-admin's documentation spells key
    creation, are accepted by `key create` and `user create`."""
    data = str(tmp_path / "store")
    assert helpers.run_cli(data, "init").returncode == 0
    made = cli_json(data, "user", "create", "--uid", "g1", "--display-name", "G1",
                    "--access-key", "G1ACCESSKEY000000001", "--gen-secret")
    assert [k["access_key"] for k in made["keys"]] == ["G1ACCESSKEY000000001"]
    assert len(made["keys"][0]["secret_key"]) == 40
    keys = cli_json(data, "key", "create", "--uid", "g1", "--key-type", "s3",
                    "--gen-access-key", "--gen-secret")
    assert len(keys) == 2 and all(len(k["secret_key"]) == 40 for k in keys)
    keys = cli_json(data, "key", "create", "--uid", "g1", "--key-type", "s3",
                    "--access-key", "G1ACCESSKEY000000003", "--gen-secret")
    new = [k for k in keys if k["access_key"] == "G1ACCESSKEY000000003"]
    assert len(new) == 1 and len(new[0]["secret_key"]) == 40
    info = cli_json(data, "user", "info", "--uid", "g1")
    assert sorted(k["access_key"] for k in info["keys"]) == sorted(k["access_key"] for k in keys)


def test_quota_sizes_take_radosgw_admin_units(tmp_path):
    """`quota set --max-size` reads sizes as radosgw-admin does (`10G`, `512Ki`, `1KB`: powers
    of 1024); what it refuses (`1.5G`, `1k`) changes nothing."""
    data = str(tmp_path / "store")
    assert helpers.run_cli(data, "init").returncode == 0
    cli_json(data, "user", "create", "--uid", "q1", "--display-name", "Q1")

    def quota(scope):
        return cli_json(data, "quota", "get", "--uid", "q1", "--quota-scope", scope)

    for scope, size, want in [("user", "10G", 10 << 30), ("bucket", "512Ki", 512 << 10),
                              ("user", "1KB", 1024), ("bucket", "4096", 4096)]:
        p = helpers.run_cli(data, "quota", "set", "--uid", "q1", "--quota-scope", scope,
                            "--max-size", size, "--max-objects", "7")
        assert p.returncode == 0, p.stderr
        assert (quota(scope)["max_size"], quota(scope)["max_objects"]) == (want, 7)
    before = (quota("user"), quota("bucket"))
    for bad in ["1.5G", "1k", "1KiB", "lots"]:
        p = helpers.run_cli(data, "quota", "set", "--uid", "q1", "--quota-scope", "user",
                            "--max-size", bad)
        assert p.returncode == 2 and "max-size" in p.stderr, (bad, p.stderr)
    assert (quota("user"), quota("bucket")) == before
