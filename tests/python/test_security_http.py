"""The HTTP layer under hostile clients (issue 10, security review H6 and the framing
findings): ambiguous framing refused with 400 and nothing done, idle and half-sent
connections closed, a client that stops reading dropped, connections capped, running out of
file descriptors survived; and HTTPS with rustls (boto3 including its aws-chunked upload,
curl --cacert, certificates re-read on SIGHUP).
"""
import hashlib
import io
import os
import resource
import select
import shutil
import signal
import socket
import ssl
import subprocess
import time

import pytest

import helpers


def exchange(srv, data, wait=10):
    """Send raw bytes on a new connection; everything the server sends until it closes."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                return out
            out += d
    finally:
        s.close()


FRAMING = {
    "bare LF request line": b"PUT /framing-a HTTP/1.1\nHost: x\n\n",
    "bare LF header": b"PUT /framing-b HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n",
    "obs-fold": b"PUT /framing-c HTTP/1.1\r\nHost: x\r\nX-A: b\r\n c\r\n\r\n",
    "two lengths": b"PUT /framing-d HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                   b"Content-Length: 2\r\n\r\nab",
    "length list": b"PUT /framing-e HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\nab",
    "length and chunked": b"PUT /framing-f HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "unknown coding": b"PUT /framing-g HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
    "blank lines": b"\r\n" * 5000 + b"PUT /framing-h HTTP/1.1\r\nHost: x\r\n\r\n",
    "space before colon": b"PUT /framing-i HTTP/1.1\r\nHost : x\r\n\r\n",
}


@pytest.mark.parametrize("name", sorted(FRAMING))
def test_ambiguous_framing_is_refused(start_server, name):
    # Each request would create a bucket (anonymously, so it would be refused anyway); what
    # matters is that the framing is refused first, with a close, and nothing is created.
    srv = start_server()
    out = exchange(srv, FRAMING[name])
    assert out.startswith(b"HTTP/1.1 400 "), (name, out[:200])
    assert b"connection: close" in out.lower(), out[:300]
    r = srv.admin().get("/admin/bucket")
    assert r.status_code == 200 and r.json() == [], r.text
    # The server is still fine.
    assert exchange(srv, b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n") \
        .startswith(b"HTTP/1.1 200 ")


def test_request_heads_over_16_kib_are_refused(rgw, admin):
    """radosgw's front end answers a request head over 16 KiB with 400 and closes; so do we,
    at once, so a client that never ends its head cannot make the gateway buffer more."""
    def head(n):
        h = b"GET /admin/user?uid=admin HTTP/1.1\r\nHost: x\r\nX-Big: "
        return h + b"a" * (n - len(h) - 4) + b"\r\n\r\n"
    ok = exchange(rgw, head(16 * 1024) + b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    # Unsigned, so 403, but read and answered; and the next request on the connection too.
    assert ok.count(b"HTTP/1.1 403") == 1 and ok.count(b"HTTP/1.1 200") == 1, ok[:300]
    assert exchange(rgw, head(16 * 1024 + 1)).startswith(b"HTTP/1.1 400")
    # A head that never ends: refused after 16 KiB, without waiting for the rest.
    s = socket.create_connection(("127.0.0.1", rgw.port), timeout=10)
    try:
        s.sendall(b"GET / HTTP/1.1\r\nX-Endless: " + b"a" * 20000)
        start = time.monotonic()
        out = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
        assert out.startswith(b"HTTP/1.1 400") and time.monotonic() - start < 5, out[:200]
    finally:
        s.close()
    # A signed request with a long (but legal) head still works.
    r = admin.get("/admin/user", [("uid", "admin")], headers={"User-Agent": "u" * 12000})
    assert r.status_code == 200, r.text


def test_chunked_body_with_bare_lf_is_refused(rgw, admin):
    url = helpers.build_url(rgw.url, "/admin/user", [("quota", ""), ("uid", "admin"),
                                                     ("quota-type", "user")])
    h = helpers.sign_v4("PUT", url, helpers.ADMIN_AK, helpers.ADMIN_SK,
                        headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"},
                        signer=helpers.SigV4Auth)
    h.pop("Content-Length", None)
    head = "".join(f"{k}: {v}\r\n" for k, v in h.items())
    doc = b'{"enabled": true, "max_objects": 1}'
    out = exchange(rgw, b"PUT /admin/user?quota=&uid=admin&quota-type=user HTTP/1.1\r\n"
                        + f"Host: {rgw.host}\r\n".encode() + head.encode() + b"Transfer-Encoding: chunked\r\n\r\n"
                        + f"{len(doc):x}\n".encode() + doc + b"\r\n0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 "), out[:200]
    assert admin.user_info("admin")["user_quota"]["enabled"] is False


def closed_within(sock, limit):
    """Whether the server closes `sock` within `limit` seconds (reading what it sends)."""
    sock.settimeout(limit)
    try:
        while sock.recv(65536):
            pass
        return True
    except (socket.timeout, TimeoutError):
        return False
    except ConnectionResetError:
        return True


def test_idle_and_half_sent_connections_are_closed(start_server):
    srv = start_server(env={"RGW_ADMIN_IDLE_TIMEOUT": "1"})
    # Nothing sent at all.
    a = socket.create_connection(("127.0.0.1", srv.port))
    # Half a request head (slowloris).
    b = socket.create_connection(("127.0.0.1", srv.port))
    b.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
    # A keep-alive connection after its first answer.
    c = socket.create_connection(("127.0.0.1", srv.port))
    c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    for s in (a, b, c):
        assert closed_within(s, 15)
        s.close()


def test_client_that_stops_reading_is_dropped(start_server):
    srv = start_server(env={"RGW_ADMIN_SEND_TIMEOUT": "1"})
    s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
    s3.create_bucket(Bucket="slow-reader")
    size = 64 << 20
    s3.put_object(Bucket="slow-reader", Key="big", Body=b"z" * size, ACL="public-read")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", srv.port))
    s.sendall(b"GET /slow-reader/big HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(4)  # read nothing while the server's send timeout (1 s) passes
    got = 0
    s.settimeout(10)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
    except (ConnectionResetError, socket.timeout, TimeoutError):
        pass
    s.close()
    assert got < size, "the whole object was sent to a client that did not read"
    # Everyone else is served.
    assert len(s3.get_object(Bucket="slow-reader", Key="big", Range="bytes=0-9")["Body"]
               .read()) == 10


def test_connections_are_capped_and_accepting_resumes(start_server):
    srv = start_server(env={"RGW_ADMIN_MAX_CONNECTIONS": "16"})
    held = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(16)]
    for s in held:  # each one is served, so each holds a slot
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        s.settimeout(10)
        assert s.recv(12) == b"HTTP/1.1 200"
    extra = socket.create_connection(("127.0.0.1", srv.port))
    extra.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    ready, _, _ = select.select([extra], [], [], 1.0)
    assert not ready, "a 17th connection was served while 16 were open"
    held.pop().close()
    extra.settimeout(10)
    assert extra.recv(12) == b"HTTP/1.1 200"
    extra.close()
    for s in held:
        s.close()


def test_running_out_of_file_descriptors_is_survived(tmp_path):
    """With `ulimit -n 64`, hundreds of connections do not kill the server; it serves again
    once they are gone."""
    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    srv = helpers.Server()
    log = open(srv.log_path, "ab")
    srv.proc = subprocess.Popen(
        [helpers.server_binary(), "serve", "--listen", srv.host, "--data-dir", srv.data_dir],
        env=srv.env, stdout=log, stderr=subprocess.STDOUT, preexec_fn=low_limit)
    log.close()
    try:
        deadline = time.monotonic() + helpers.START_TIMEOUT
        while True:
            try:
                socket.create_connection(("127.0.0.1", srv.port), timeout=0.2).close()
                break
            except OSError:
                assert srv.proc.poll() is None and time.monotonic() < deadline, srv.log_tail()
                time.sleep(0.05)
        flood = []
        for _ in range(300):
            try:
                flood.append(socket.create_connection(("127.0.0.1", srv.port), timeout=1))
            except OSError:
                break
        for s in flood:
            try:
                s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            except OSError:
                pass
        time.sleep(1)
        assert srv.proc.poll() is None, srv.log_tail()
        for s in flood:
            s.close()
        deadline = time.monotonic() + 20
        while True:
            try:
                r = srv.admin().get("/admin/user", [("uid", "admin")])
                if r.status_code == 200:
                    break
            except Exception:  # noqa: BLE001  (connection refused while it recovers)
                pass
            assert time.monotonic() < deadline, srv.log_tail()
            time.sleep(0.2)
        assert srv.proc.poll() is None
    finally:
        srv.cleanup()


# --- TLS ------------------------------------------------------------------------------------

def make_cert(d, name):
    key, cert = os.path.join(d, f"{name}.key"), os.path.join(d, f"{name}.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={name}",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True)
    return cert, key


@pytest.fixture
def tls_server(start_server, tmp_path):
    if not shutil.which("openssl"):
        pytest.fail("openssl is needed to make a test certificate (.ci/run installs it)")
    cert, key = make_cert(str(tmp_path), "first")
    live_cert, live_key = str(tmp_path / "live.pem"), str(tmp_path / "live.key")
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    srv = start_server(env={"RGW_ADMIN_TLS_CERT": live_cert, "RGW_ADMIN_TLS_KEY": live_key})
    srv.url = f"https://{srv.host}"
    return srv, tmp_path, live_cert, live_key


def served_cert(port):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port)) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True)


def test_https_with_boto3_streaming_upload_and_curl(tls_server):
    srv, tmp, cert, _ = tls_server
    s3 = helpers.boto3.client("s3", endpoint_url=srv.url, aws_access_key_id=helpers.ADMIN_AK,
                              aws_secret_access_key=helpers.ADMIN_SK, region_name="us-east-1",
                              verify=cert)
    sent = []
    s3.meta.events.register("before-send.s3.*",
                            lambda request, **_: sent.append(dict(request.headers)))
    s3.create_bucket(Bucket="tls-bucket")
    data = os.urandom(6 << 20)
    s3.upload_fileobj(io.BytesIO(data), "tls-bucket", "big")
    s3.put_object(Bucket="tls-bucket", Key="small", Body=io.BytesIO(b"hello"))
    got = s3.get_object(Bucket="tls-bucket", Key="big")["Body"].read()
    assert hashlib.md5(got).digest() == hashlib.md5(data).digest()
    assert s3.get_object(Bucket="tls-bucket", Key="small")["Body"].read() == b"hello"
    # Over https boto3 streams uploads as aws-chunked with a trailing checksum.
    streamed = [h for h in sent if str(h.get("Content-Encoding", "")).find("aws-chunked") >= 0
                or str(h.get("X-Amz-Content-SHA256", "")).startswith("STREAMING-")]
    assert streamed, [h.get("X-Amz-Content-SHA256") for h in sent]
    p = subprocess.run(["curl", "-sS", "--cacert", cert, f"{srv.url}/"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0 and "<ListAllMyBucketsResult" in p.stdout, p.stderr
    # Plain HTTP on the TLS port is not served.
    p = subprocess.run(["curl", "-sS", "-m", "5", f"http://{srv.host}/"],
                       capture_output=True, text=True, timeout=30)
    assert "ListAllMyBucketsResult" not in p.stdout


def test_sighup_rereads_the_certificate(tls_server):
    srv, tmp, live_cert, live_key = tls_server
    first = served_cert(srv.port)
    # A broken pair keeps the old one.
    with open(live_cert, "w") as f:
        f.write("not a certificate\n")
    srv.proc.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert served_cert(srv.port) == first
    cert, key = make_cert(str(tmp), "second")
    shutil.copy(cert, live_cert)
    shutil.copy(key, live_key)
    srv.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while served_cert(srv.port) == first:
        assert time.monotonic() < deadline, srv.log_tail()
        time.sleep(0.1)
    assert srv.proc.poll() is None
    r = helpers.requests.get(f"{srv.url}/", verify=cert, timeout=helpers.HTTP_TIMEOUT)
    assert r.status_code == 200


def test_tls_settings_must_come_together(tmp_path):
    p = subprocess.run([helpers.server_binary(), "--data-dir", str(tmp_path / "d"), "serve",
                        "--listen", f"127.0.0.1:{helpers.free_port()}"],
                       env=helpers.clean_env({"RGW_ADMIN_TLS_CERT": str(tmp_path / "c.pem")}),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0 and "tls" in (p.stderr + p.stdout).lower()
    assert not (tmp_path / "d").exists()
