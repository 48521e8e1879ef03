"""Start the landed rgw-admin server on a temp store and sign requests to it.

Used by conformance.py (a copy of the oracle's harness.py: the binary now comes from
$RGW_ADMIN_BIN or cargo, the repository root from this file's location). The server interface
relied on here is the one the foundation issue specifies: `rgw-admin serve --listen
--data-dir`, bootstrap admin keys from RGW_ADMIN_ACCESS_KEY / RGW_ADMIN_SECRET_KEY.
"""
import contextlib, os, socket, subprocess, tempfile, time, hashlib, hmac, base64
from email.utils import formatdate
from urllib.parse import quote

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# The repository root: this file lives in <root>/tests/conformance/.
MAIN = os.environ.get("RGW_MAIN") or os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))
ACCESS = "ADMINACCESSKEY0000000"
SECRET = "adminsecretkey00000000000000000000000000"


def build(release=True):
    """Path of the server binary: $RGW_ADMIN_BIN as is (no rebuild), else build it with cargo
    and take it from `cargo metadata`'s target directory."""
    env_bin = os.environ.get("RGW_ADMIN_BIN")
    if env_bin:
        return env_bin
    args = ["cargo", "build", "--quiet", "--bin", "rgw-admin"] + (["--release"] if release else [])
    subprocess.run(args, cwd=MAIN, check=True, stdout=subprocess.DEVNULL)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"], cwd=MAIN,
                          check=True, capture_output=True, text=True).stdout
    target = __import__("json").loads(meta)["target_directory"]
    return os.path.join(target, "release" if release else "debug", "rgw-admin")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def server(binary=None, extra_env=None, data_dir=None):
    binary = binary or build()
    port = free_port()
    tmp = tempfile.TemporaryDirectory(prefix="rgwbar-")
    data = data_dir or os.path.join(tmp.name, "data")
    env = dict(os.environ, RGW_ADMIN_ACCESS_KEY=ACCESS, RGW_ADMIN_SECRET_KEY=SECRET, RUST_LOG="warn")
    env.update(extra_env or {})
    log = open(os.path.join(tmp.name, "server.log"), "wb")
    p = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while time.time() < deadline:
            if p.poll() is not None:
                raise RuntimeError("server exited early: " + open(log.name).read()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("server did not listen within 20 s")
        yield url, p, data, log.name
    finally:
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
        log.close()
        tmp.cleanup()


def v4(method, url, access=ACCESS, secret=SECRET, data=b"", headers=None):
    req = AWSRequest(method=method, url=url, data=data, headers=headers or {})
    SigV4Auth(Credentials(access, secret), "s3", "us-east-1").add_auth(req)
    return requests.request(method, url, data=data, headers=dict(req.headers), timeout=30)


def v2(method, url, path_with_sub, access=ACCESS, secret=SECRET, data=b"", content_type=""):
    date = formatdate(usegmt=True)
    sts = f"{method}\n\n{content_type}\n{date}\n{path_with_sub}"
    sig = base64.b64encode(hmac.new(secret.encode(), sts.encode(), hashlib.sha1).digest()).decode()
    h = {"Date": date, "Authorization": f"AWS {access}:{sig}"}
    if content_type:
        h["Content-Type"] = content_type
    return requests.request(method, url, data=data, headers=h, timeout=30)
