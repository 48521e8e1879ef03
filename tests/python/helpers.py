"""Test support for the Python suite: start the real rgw-admin binary on 127.0.0.1, sign raw
requests (SigV4 via botocore, AWS v2 HMAC-SHA1 by hand, presigned forms of both), and check
radosgw-shaped error bodies.

Fixtures built on this live in conftest.py; test modules import the helpers directly.
"""
import base64
import contextlib
import datetime as dt
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import quote

import boto3
import requests
import rgwadmin
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "conformance"))
import awssig  # noqa: E402  (stdlib SigV4 with a chosen date, from the oracle tools)

ADMIN_AK = "ADMINACCESSKEY0000000"
ADMIN_SK = "adminsecretkey00000000000000000000000000"
HTTP_TIMEOUT = 15  # seconds, for every request a test makes
# What every S3 XML answer starts with, and the namespace on its root element.
XML_DECL = '<?xml version="1.0" encoding="UTF-8"?>'
S3NS = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"'


def s3_client(server, ak, sk, **config):
    """boto3 S3 client for `server`: path style, SigV4, no retries (a retry would hide a
    first answer that was wrong); extra botocore Config options as keywords."""
    return boto3.client("s3", endpoint_url=server.url, aws_access_key_id=ak,
                        aws_secret_access_key=sk, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                      retries={"max_attempts": 1}, **config))


def s3_users(server, admin, uids):
    """A boto3 client for each of `uids`, made users by `admin` (a Client)."""
    out = []
    for uid in uids:
        k = admin.create_user(uid)["keys"][0]
        out.append(s3_client(server, k["access_key"], k["secret_key"]))
    return out


def s3_error(call):
    """(HTTP status, S3 error code) of a boto3 call that must fail."""
    from botocore.exceptions import ClientError
    try:
        call()
    except ClientError as e:
        return e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Code"]
    raise AssertionError("the call succeeded")


def rgwadmin_client(server, ak=ADMIN_AK, sk=ADMIN_SK):
    """rgwadmin 2.4.6 client for `server` (the bootstrap admin by default)."""
    return rgwadmin.RGWAdmin(ak, sk, server=server.host, secure=False, verify=False,
                             timeout=HTTP_TIMEOUT)
START_TIMEOUT = 20  # seconds for the server to accept connections
STOP_TIMEOUT = 10  # seconds for SIGTERM to end it before SIGKILL

# Fields of the user info document, in radosgw 16.2's order (server-spec §6.2).
USER_FIELDS = ["tenant", "user_id", "display_name", "email", "suspended", "max_buckets",
               "subusers", "keys", "swift_keys", "caps", "op_mask", "system", "admin",
               "default_placement", "default_storage_class", "placement_tags", "bucket_quota",
               "user_quota", "temp_url_keys", "type", "mfa_ids"]

_BIN = None
SUMMARY = []  # lines for pytest's terminal summary (see conftest.pytest_terminal_summary)


def server_binary():
    """$RGW_ADMIN_BIN, else <cargo metadata target_directory>/release/rgw-admin."""
    global _BIN
    if _BIN:
        return _BIN
    path = os.environ.get("RGW_ADMIN_BIN")
    if not path:
        meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                              cwd=REPO, check=True, capture_output=True, text=True,
                              timeout=120).stdout
        path = os.path.join(json.loads(meta)["target_directory"], "release", "rgw-admin")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"rgw-admin binary not found at {path}: build it with "
                           "`cargo build --release` or set RGW_ADMIN_BIN")
    _BIN = path
    return path


def unique(prefix="u"):
    """A fresh id for one test (uids, subuser names, e-mails)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


_GIVEN_PORTS = set()


def free_port():
    """A free port never handed out before in this run: the kernel may pick a port it just
    released again, and two servers told the same port make one fail to start."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _GIVEN_PORTS:
            _GIVEN_PORTS.add(port)
            return port


def clean_env(extra=None):
    """The caller's environment without RGW_ADMIN_* / RUST_LOG, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RGW_ADMIN_") and k != "RUST_LOG"}
    env.update(extra or {})
    return env


class Server:
    """One running `rgw-admin serve` on 127.0.0.1 with the fixed admin keys."""

    def __init__(self, env=None, data_dir=None, access_key=ADMIN_AK, secret_key=ADMIN_SK):
        self.access_key = access_key
        self.secret_key = secret_key
        self._tmp = tempfile.mkdtemp(prefix="rgw-admin-pytest-")
        self.data_dir = data_dir or os.path.join(self._tmp, "data")
        self.log_path = os.path.join(self._tmp, "server.log")
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.env = clean_env({"RGW_ADMIN_ACCESS_KEY": access_key,
                              "RGW_ADMIN_SECRET_KEY": secret_key, "RUST_LOG": "warn"})
        self.env.update(env or {})
        self.proc = None

    def start(self):
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                [server_binary(), "serve", "--listen", self.host, "--data-dir", self.data_dir],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        finally:
            log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rgw-admin exited with {self.proc.returncode} before "
                                   f"listening:\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"rgw-admin did not listen within {START_TIMEOUT} s:\n"
                                       f"{self.log_tail()}")
                time.sleep(0.02)

    def stop(self):
        """SIGTERM, wait, SIGKILL only if it hangs. Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT)
        return self.proc.returncode

    def cleanup(self):
        self.stop()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def log_tail(self, n=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    # --- signed requests as the admin (or any key) ----------------------------------------
    def admin(self, access_key=None, secret_key=None):
        return Client(self, access_key or self.access_key, secret_key or self.secret_key)


# A gateway not started here (RGW_EXTERNAL_URL, e.g. the radosgw oracle at
# http://127.0.0.1:7480): the tests that take the `target` fixture run against it instead.
EXTERNAL_URL = os.environ.get("RGW_EXTERNAL_URL", "").rstrip("/")
EXTERNAL_AK = os.environ.get("RGW_EXTERNAL_ADMIN_AK", ADMIN_AK)
EXTERNAL_SK = os.environ.get("RGW_EXTERNAL_ADMIN_SK", ADMIN_SK)


class ExternalServer:
    """Just enough of Server for Client and s3_client, for a gateway running elsewhere."""

    def __init__(self, url, access_key, secret_key):
        self.url = url
        self.host = url.split("://", 1)[1]
        self.access_key = access_key
        self.secret_key = secret_key

    def admin(self, access_key=None, secret_key=None):
        return Client(self, access_key or self.access_key, secret_key or self.secret_key)


@contextlib.contextmanager
def running_server(env=None, data_dir=None):
    s = Server(env=env, data_dir=data_dir)
    try:
        s.start()
        yield s
    finally:
        s.cleanup()


def run_cli(data_dir, *args, env=None, timeout=30):
    """`rgw-admin --data-dir DIR ARGS...` → CompletedProcess (text)."""
    return subprocess.run([server_binary(), "--data-dir", data_dir, *args],
                          env=clean_env(env), capture_output=True, text=True, timeout=timeout)


# --- query strings -------------------------------------------------------------------------
def q(value):
    return quote(value if isinstance(value, (str, bytes)) else str(value), safe="-_.~")


def encode_query(query):
    """[(k, v|None), ...] → 'k=v&k2' in the given order; None = bare key. RFC 3986 encoding;
    bytes values are percent-encoded as bytes (for non-UTF-8 tests)."""
    parts = []
    for k, v in query:
        parts.append(q(k) if v is None else q(k) + "=" + q(v))
    return "&".join(parts)


def build_url(base, path, query=()):
    qs = encode_query(query)
    return base.rstrip("/") + path + ("?" + qs if qs else "")


# --- signers ---------------------------------------------------------------------------------
def sign_v4(method, url, access_key, secret_key, body=b"", headers=None, region="us-east-1",
            signer=S3SigV4Auth):
    """Headers for a header-signed SigV4 request (botocore). S3SigV4Auth sends
    x-amz-content-sha256 = sha256(body); SigV4Auth sends no such header."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer(Credentials(access_key, secret_key), "s3", region).add_auth(req)
    return dict(req.headers.items())


def presign_v4(method, url, access_key, secret_key, expires=300, region="us-east-1"):
    req = AWSRequest(method=method, url=url)
    S3SigV4QueryAuth(Credentials(access_key, secret_key), "s3", region,
                     expires=expires).add_auth(req)
    return req.url


V2_SUBRESOURCES = {"acl", "cors", "delete", "lifecycle", "location", "logging", "notification",
                   "partNumber", "policy", "requestPayment", "tagging", "torrent", "uploadId",
                   "uploads", "versionId", "versioning", "versions", "website"}


def http_date(when=None):
    when = when or dt.datetime.now(dt.timezone.utc)
    return when.strftime("%a, %d %b %Y %H:%M:%S GMT")


def v2_resource(path, query):
    sub = sorted((k, v) for k, v in query if k in V2_SUBRESOURCES)
    if sub:
        path += "?" + "&".join(k if v is None else f"{k}={v}" for k, v in sub)
    return path


def sign_v2(method, path, query, access_key, secret_key, content_type="", when=None):
    """Headers (Date, Authorization: AWS ak:sig) for an S3 v2 header-signed request."""
    date = http_date(when)
    sts = f"{method}\n\n{content_type}\n{date}\n{v2_resource(path, query)}"
    sig = base64.b64encode(hmac.new(secret_key.encode(), sts.encode(), hashlib.sha1).digest())
    h = {"Date": date, "Authorization": f"AWS {access_key}:{sig.decode()}"}
    if content_type:
        h["Content-Type"] = content_type
    return h


def presign_v2(method, base, path, query, access_key, secret_key, expires_in=300):
    expires = str(int(time.time()) + expires_in)
    sts = f"{method}\n\n\n{expires}\n{v2_resource(path, query)}"
    sig = base64.b64encode(hmac.new(secret_key.encode(), sts.encode(),
                                    hashlib.sha1).digest()).decode()
    extra = [("AWSAccessKeyId", access_key), ("Expires", expires), ("Signature", sig)]
    return build_url(base, path, list(query) + extra)


class Client:
    """Raw signed requests to one server with one key pair."""

    def __init__(self, server, access_key, secret_key):
        self.server = server
        self.access_key = access_key
        self.secret_key = secret_key
        self.http = requests.Session()

    def request(self, method, path, query=(), body=b"", headers=None, auth="v4"):
        """auth: v4 (S3SigV4Auth, payload hashed), v4-nosha (SigV4Auth, no payload header),
        v4-unsigned (x-amz-content-sha256: UNSIGNED-PAYLOAD), v4-badsig, v4-skew (correct
        signature, x-amz-date one hour old), v2, v2-badsig, v2-skew, none."""
        url = build_url(self.server.url, path, query)
        hdrs = dict(headers or {})
        if auth in ("v4", "v4-badsig"):
            hdrs = sign_v4(method, url, self.access_key, self.secret_key, body, hdrs)
            if auth == "v4-badsig":
                a = hdrs["Authorization"]
                hdrs["Authorization"] = a[:-4] + ("0000" if not a.endswith("0000") else "1111")
        elif auth == "v4-nosha":
            hdrs = sign_v4(method, url, self.access_key, self.secret_key, body, hdrs,
                           signer=SigV4Auth)
        elif auth == "v4-unsigned":
            hdrs["X-Amz-Content-SHA256"] = "UNSIGNED-PAYLOAD"
            hdrs = sign_v4(method, url, self.access_key, self.secret_key, body, hdrs,
                           signer=SigV4Auth)
        elif auth == "v4-skew":
            when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
            hdrs.update(awssig.sign_v4(method, self.server.host, path, list(query),
                                       self.access_key, self.secret_key, body, when=when,
                                       extra_headers=hdrs))
        elif auth in ("v2", "v2-badsig", "v2-skew"):
            ctype = hdrs.pop("Content-Type", "")
            when = None
            if auth == "v2-skew":
                when = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
            hdrs.update(sign_v2(method, path, query, self.access_key, self.secret_key, ctype,
                                when=when))
            if auth == "v2-badsig":
                hdrs["Authorization"] = hdrs["Authorization"][:-5] + "AAAA="
        elif auth != "none":
            raise ValueError(auth)
        return self.http.request(method, url, data=body or None, headers=hdrs,
                                 timeout=HTTP_TIMEOUT, allow_redirects=False)

    def get(self, path, query=(), **kw):
        return self.request("GET", path, query, **kw)

    def put(self, path, query=(), **kw):
        return self.request("PUT", path, query, **kw)

    def post(self, path, query=(), **kw):
        return self.request("POST", path, query, **kw)

    def delete(self, path, query=(), **kw):
        return self.request("DELETE", path, query, **kw)

    # --- convenience: user ops that must succeed --------------------------------------------
    def user_info(self, uid):
        r = self.get("/admin/user", [("uid", uid)])
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def create_user(self, uid, display_name=None, **params):
        query = [("uid", uid), ("display-name", display_name or f"User {uid}")]
        query += [(k.replace("_", "-"), v) for k, v in params.items()]
        r = self.put("/admin/user", query)
        assert r.status_code == 200, (r.status_code, r.text)
        return r.json()

    def user_list(self):
        r = self.get("/admin/metadata/user")
        assert r.status_code == 200, (r.status_code, r.text)
        return sorted(r.json())


# --- assertions ------------------------------------------------------------------------------
REQ_ID_RE = re.compile(r"^tx[0-9a-f]{21}-[0-9a-f]{10}-[0-9a-f]+-\S+$")


# From quincy on, an admin op refused for a missing cap says which (test_operations.py pins
# it exactly); every other error's Message is empty, as radosgw's.
CAP_MESSAGE_RE = re.compile(r"requires caps [a-z-]+=(read|write|\*)")


def message_ok(code, message):
    return message == "" or (code == "AccessDenied" and CAP_MESSAGE_RE.fullmatch(message))


def assert_error(resp, status, code, fmt="json"):
    """radosgw error: status, Code, empty Message (but see CAP_MESSAGE_RE), non-empty
    RequestId/HostId; JSON body with exactly those four keys in that order (or the XML
    <Error> document with format=xml)."""
    ctx = f"{resp.request.method} {resp.request.url} -> {resp.status_code} {resp.text[:500]!r}"
    assert resp.status_code == status, ctx
    if fmt == "json":
        assert resp.headers.get("Content-Type", "").startswith("application/json"), ctx
        body = resp.json()
        assert list(body) == ["Code", "Message", "RequestId", "HostId"], ctx
        assert body["Code"] == code, ctx
        assert message_ok(code, body["Message"]), ctx
        assert REQ_ID_RE.match(body["RequestId"]), ctx
        assert body["HostId"], ctx
        assert resp.headers.get("x-amz-request-id") == body["RequestId"], ctx
    else:
        assert resp.headers.get("Content-Type", "").startswith("application/xml"), ctx
        m = re.fullmatch(r'<\?xml version="1.0" encoding="UTF-8"\?><Error><Code>([^<]*)</Code>'
                         r'<Message>([^<]*)</Message><RequestId>([^<]+)</RequestId>'
                         r'<HostId>([^<]+)</HostId></Error>', resp.text)
        assert m, ctx
        assert m.group(1) == code, ctx
        assert message_ok(code, m.group(2)), ctx
        assert REQ_ID_RE.match(m.group(3)), ctx


def first_answer(server, data, wait=10):
    """Send raw bytes on a new connection; what the server sends up to the end of its first
    answer's head (or until it closes)."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while b"\r\n\r\n" not in out:
            d = s.recv(65536)
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def snapshot(client, uids):
    """What the store shows: the sorted user list plus (status, body) of each uid's info."""
    users = client.user_list()
    infos = {}
    for uid in uids:
        r = client.get("/admin/user", [("uid", uid)])
        infos[uid] = (r.status_code, r.json() if r.status_code == 200 else None)
    return users, infos


class S3User:
    """A new user of `target`, with a boto3 client (`s3`) and a raw SigV4 one (`raw`)."""

    def __init__(self, target, uid, display_name=None):
        k = target.admin().create_user(uid, display_name=display_name or uid)["keys"][0]
        self.id = uid
        self.s3 = s3_client(target, k["access_key"], k["secret_key"])
        self.raw = Client(target, k["access_key"], k["secret_key"])
