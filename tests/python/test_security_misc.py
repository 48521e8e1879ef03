"""Smaller review findings (issue 10): byte counts from the bytes that crossed the wire (M3),
listings whose marker sorts before their prefix (L5)."""
import socket
import time

import helpers

FAST = {"RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"}


def test_declared_length_bills_nobody(start_server, uid):
    """M3: an anonymous PUT declaring a petabyte and sending 10 bytes is counted as what
    arrived, not as what it claimed."""
    srv = start_server(env=FAST)
    admin = srv.admin()
    admin.create_user(uid)
    k = admin.user_info(uid)["keys"][0]
    s3 = helpers.s3_client(srv, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b, ACL="public-read-write")
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    s.sendall(f"PUT /{b}/huge HTTP/1.1\r\nHost: {srv.host}\r\nContent-Length: {10**15}\r\n\r\n"
              "0123456789".encode())
    time.sleep(0.3)
    s.close()
    s3.list_objects_v2(Bucket=b)  # a request that is surely counted after it
    deadline = time.monotonic() + 20
    while True:
        u = admin.get("/admin/usage", [("uid", uid)]).json()
        cats = {c["category"]: c for e in u["entries"] for bk in e["buckets"]
                for c in bk["categories"]}
        if "put_obj" in cats and "list_bucket" in cats:
            break
        assert time.monotonic() < deadline, u
        time.sleep(0.2)
    assert cats["put_obj"]["bytes_received"] <= 10, cats["put_obj"]
    assert "Contents" not in s3.list_objects_v2(Bucket=b)


def test_marker_before_prefix(rgw, admin, uid):
    """L5: a marker or start-after that sorts before the prefix lists the prefix."""
    admin.create_user(uid)
    k = admin.user_info(uid)["keys"][0]
    s3 = helpers.s3_client(rgw, k["access_key"], k["secret_key"])
    b = f"{uid}-b"
    s3.create_bucket(Bucket=b)
    for key in ("a/1", "a/2", "b/1", "b/2", "c/1"):
        s3.put_object(Bucket=b, Key=key, Body=b"")
    keys = lambda r: [o["Key"] for o in r.get("Contents", [])]  # noqa: E731
    assert keys(s3.list_objects(Bucket=b, Prefix="b/", Marker="a")) == ["b/1", "b/2"]
    assert keys(s3.list_objects_v2(Bucket=b, Prefix="b/", StartAfter="a/2")) == ["b/1", "b/2"]
    assert keys(s3.list_objects_v2(Bucket=b, Prefix="b/", StartAfter="b/1")) == ["b/2"]
    assert keys(s3.list_objects(Bucket=b, Prefix="b/", Marker="c")) == []


def v2_headers(method, resource, ak=helpers.ADMIN_AK, sk=helpers.ADMIN_SK):
    import base64
    import hashlib
    import hmac
    date = helpers.http_date()
    sts = f"{method}\n\n\n{date}\n{resource}"
    sig = base64.b64encode(hmac.new(sk.encode(), sts.encode(), hashlib.sha1).digest()).decode()
    return {"Date": date, "Authorization": f"AWS {ak}:{sig}"}


def test_sigv2_virtual_host_binds_the_bucket(start_server):
    """L2: in virtual-host style SigV2 signs `/<bucket>/<key>` (as AWS and radosgw): the
    signature of one bucket's request does not verify in another bucket."""
    srv = start_server(env={"RGW_ADMIN_S3_DOMAIN": "s3.test"})
    s3 = helpers.s3_client(srv, helpers.ADMIN_AK, helpers.ADMIN_SK)
    for b in ("vh-one", "vh-two"):
        s3.create_bucket(Bucket=b)
        s3.put_object(Bucket=b, Key="k", Body=b.encode())
    port = srv.port
    get = lambda host, path, h: helpers.requests.request(  # noqa: E731
        "DELETE" if h.get("_del") else "GET", f"{srv.url}{path}",
        headers={"Host": host, **{k: v for k, v in h.items() if k != "_del"}},
        timeout=helpers.HTTP_TIMEOUT)
    h = v2_headers("GET", "/vh-one/k")
    r = get(f"vh-one.s3.test:{port}", "/k", h)
    assert (r.status_code, r.content) == (200, b"vh-one"), r.text
    r = get(f"vh-two.s3.test:{port}", "/k", h)
    assert r.status_code == 403 and "SignatureDoesNotMatch" in r.text, r.text
    # A path-style signature re-aimed at another bucket by its Host.
    h = dict(v2_headers("DELETE", "/vh-one/k"), _del=True)
    r = get(f"vh-two.s3.test:{port}", "/vh-one/k", h)
    assert r.status_code == 403, r.text
    for b in ("vh-one", "vh-two"):
        assert s3.get_object(Bucket=b, Key="k")["Body"].read() == b.encode()
