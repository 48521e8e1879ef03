"""kill -9 during concurrent writes, on three gateways sharing one etcd cluster: of a gateway
(its in-flight requests are lost, nothing it acknowledged is), and of the etcd leader (a
pause for the election, after which the same gateways carry on without a restart). After
each, every acknowledged object is there with its bytes, listings and bucket stats agree.

Skipped only when the etcd binary is missing (.ci/run installs Debian's etcd-server)."""
import concurrent.futures
import threading
import time
import uuid

import pytest

import etcd_cluster
import helpers

pytestmark = pytest.mark.skipif(not etcd_cluster.available(),
                                reason=f"no etcd binary at {etcd_cluster.ETCD_BIN} "
                                       "(apt-get install etcd-server)")

WRITERS = 6
EACH = 60


@pytest.fixture
def setup():
    cluster = etcd_cluster.Cluster().start()
    gws = etcd_cluster.Gateways(cluster, 3)
    try:
        gws.start()
        yield cluster, gws
    finally:
        gws.stop()
        cluster.stop()


def user_and_bucket(gw):
    t = uuid.uuid4().hex[:12]
    ak, sk = f"FAIL{t.upper()}".ljust(20, "0"), f"fail{t}".ljust(40, "s")
    gw.admin().create_user(f"fail-{t}", access_key=ak, secret_key=sk)
    bucket = f"fail-{t}"
    helpers.s3_client(gw, ak, sk).create_bucket(Bucket=bucket)
    return ak, sk, bucket


def write_during(gws, ak, sk, bucket, kill, targets):
    """WRITERS threads put EACH objects each through `targets` (round robin); `kill()` runs
    once a quarter are acknowledged. Returns ({key: body} acknowledged, failures, longest
    acknowledged request in seconds)."""
    acked, lock = {}, threading.Lock()
    failures = [0]
    longest = [0.0]
    quarter = threading.Event()

    def writer(w):
        clients = [helpers.s3_client(g, ak, sk) for g in targets]
        for i in range(EACH):
            key, body = f"w{w}/{i:03}", f"{w}-{i}-".encode() * 50
            t0 = time.monotonic()
            try:
                clients[(w + i) % len(clients)].put_object(Bucket=bucket, Key=key, Body=body)
            except Exception:  # noqa: BLE001  (a dead gateway: not acknowledged)
                with lock:
                    failures[0] += 1
                continue
            with lock:
                acked[key] = body
                longest[0] = max(longest[0], time.monotonic() - t0)
                if len(acked) >= WRITERS * EACH // 4:
                    quarter.set()

    with concurrent.futures.ThreadPoolExecutor(WRITERS) as pool:
        futs = [pool.submit(writer, w) for w in range(WRITERS)]
        assert quarter.wait(60), "writes did not start"
        kill()
        for f in futs:
            f.result()
    return acked, failures[0], longest[0]


def check(gw, ak, sk, bucket, acked):
    c = helpers.s3_client(gw, ak, sk)
    listed = []
    for page in c.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        listed += [(o["Key"], o["Size"]) for o in page.get("Contents", [])]
    keys = {k for k, _ in listed}
    lost = [k for k in acked if k not in keys]
    assert not lost, f"{len(lost)} acknowledged writes lost: {lost[:5]}"
    for k, body in acked.items():
        assert c.get_object(Bucket=bucket, Key=k)["Body"].read() == body
    st = gw.admin().get("/admin/bucket", [("bucket", bucket), ("stats", "true")]).json()
    main = st["usage"]["rgw.main"]
    assert main["num_objects"] == len(listed)
    assert main["size"] == sum(s for _, s in listed)
    return len(listed)


def test_kill_one_gateway_during_writes(setup):
    _, gws = setup
    a, b, c = gws.servers
    ak, sk, bucket = user_and_bucket(a)
    acked, failed, _ = write_during(gws, ak, sk, bucket, lambda: a.proc.kill(), [a, b, c])
    assert failed > 0, "the kill landed after the writes"
    n = check(c, ak, sk, bucket, acked)
    helpers.SUMMARY.append(f"etcd: kill -9 of a gateway during {WRITERS * EACH} PUTs: "
                           f"{len(acked)} acknowledged, 0 lost, {failed} refused by the dead "
                           f"gateway, {n} listed")


def test_kill_etcd_leader_during_writes(setup):
    cluster, gws = setup
    a, b, c = gws.servers
    ak, sk, bucket = user_and_bucket(a)
    killed = []

    def kill_leader():
        i = cluster.leader()
        assert i is not None
        cluster.kill(i)
        killed.append(i)

    acked, failed, longest = write_during(gws, ak, sk, bucket, kill_leader, [a, b, c])
    assert killed
    assert failed == 0, f"{failed} writes failed while the leader died"
    assert len(acked) == WRITERS * EACH
    check(b, ak, sk, bucket, acked)
    # the same gateways carry on, no restart
    helpers.s3_client(c, ak, sk).put_object(Bucket=bucket, Key="after", Body=b"x")
    assert helpers.s3_client(a, ak, sk).get_object(Bucket=bucket, Key="after")["Body"].read() == b"x"
    helpers.SUMMARY.append(f"etcd: kill -9 of the etcd leader during {WRITERS * EACH} PUTs: all "
                           f"acknowledged, 0 lost, longest PUT {longest * 1000:.0f} ms")
