"""Fixtures: the real rgw-admin binary on free 127.0.0.1 ports with temp stores.

- `rgw`: one server per test session at the default compat level (reef), admin keys
  helpers.ADMIN_AK / ADMIN_SK. Tests share it but use unique uids (`uid` fixture).
- `pacific`, `squid`: one session server each with RGW_ADMIN_COMPAT=pacific resp. squid.
- `target`: the gateway under test for tests that can also run against radosgw:
  helpers.EXTERNAL_URL (RGW_EXTERNAL_URL) when set, else the session server `rgw`.
- `start_server(env=..., data_dir=...)`: factory for extra servers; each is stopped (SIGTERM)
  and its temp dir removed when the test ends.
- `small_disk`: a 24 MiB tmpfs mount point, to fill (skipped where mounting needs root).
"""
import os
import re
import subprocess
import tempfile

import pytest

import helpers


@pytest.fixture(scope="session")
def rgw():
    with helpers.running_server() as s:
        yield s


@pytest.fixture(scope="session")
def pacific():
    with helpers.running_server(env={"RGW_ADMIN_COMPAT": "pacific"}) as s:
        yield s


@pytest.fixture(scope="session")
def squid():
    with helpers.running_server(env={"RGW_ADMIN_COMPAT": "squid"}) as s:
        yield s


@pytest.fixture(scope="session")
def target(request):
    if helpers.EXTERNAL_URL:
        return helpers.ExternalServer(helpers.EXTERNAL_URL, helpers.EXTERNAL_AK,
                                      helpers.EXTERNAL_SK)
    return request.getfixturevalue("rgw")


@pytest.fixture
def start_server():
    started = []

    def start(env=None, data_dir=None):
        s = helpers.Server(env=env, data_dir=data_dir)
        started.append(s)
        return s.start()

    yield start
    for s in started:
        s.cleanup()


@pytest.fixture
def admin(rgw):
    """Raw SigV4 client for the session server, as the bootstrap admin."""
    return rgw.admin()


@pytest.fixture
def rgwa(rgw):
    """rgwadmin client for the session server, as the bootstrap admin."""
    return helpers.rgwadmin_client(rgw)


@pytest.fixture
def uid(request):
    """A uid no other test uses (prefix = test name, trimmed)."""
    name = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower().replace("test_", ""))
    return helpers.unique(name[:24].strip("-") or "u")


def pytest_terminal_summary(terminalreporter):
    if helpers.SUMMARY:
        terminalreporter.section("rgw-admin")
        for line in helpers.SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture
def small_disk():
    """A 24 MiB tmpfs to fill (needs CAP_SYS_ADMIN; CI runs as root)."""
    mnt = tempfile.mkdtemp(prefix="rgw-admin-full-")
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt],
                       capture_output=True, text=True)
    if p.returncode != 0:
        os.rmdir(mnt)
        pytest.skip(f"cannot mount a tmpfs here ({p.stderr.strip()}): needs root")
    yield mnt
    subprocess.run(["umount", "-l", mnt], capture_output=True)
    os.rmdir(mnt)
