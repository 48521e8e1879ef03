"""The radosgw conformance replay (test_conformance.py's scenario and goldens) through three
gateways on one etcd cluster in round robin: each request, admin or S3, goes to the next
gateway, so every read-after-write crosses gateways. The areas test_conformance.py asserts
must match here too (same exception).

Skipped only when the etcd binary is missing (.ci/run installs Debian's etcd-server)."""
import os
import sys
import time
from urllib.parse import urlsplit

import pytest

import etcd_cluster
import helpers
from test_conformance import ASSERTED, UNREPRODUCIBLE

sys.path.insert(0, os.path.join(helpers.REPO, "tests", "conformance"))
import capture  # noqa: E402
import conformance  # noqa: E402

pytestmark = pytest.mark.skipif(not etcd_cluster.available(),
                                reason=f"no etcd binary at {etcd_cluster.ETCD_BIN} "
                                       "(apt-get install etcd-server)")


# The gateways' caches follow an etcd watch: a change through one reaches the others within
# milliseconds (README, "Caches"), not before the next request can. A write is given that
# long to arrive before the next request goes to another gateway; a CI run without it read a
# bucket's old quota through the gateway after the one that had set it.
SETTLE = 0.05


def round_robin_replay(urls):
    """conformance.replay with every request sent to the next of `urls`."""
    turn = [0]

    def next_url():
        u = urls[turn[0] % len(urls)]
        turn[0] += 1
        return u

    class RoundRobin(capture.Recorder):
        def call(self, name, method, *a, **kw):
            self.base = next_url()
            self.host = urlsplit(self.base).netloc
            try:
                return super().call(name, method, *a, **kw)
            finally:
                if method not in ("GET", "HEAD"):
                    time.sleep(SETTLE)

    orig_s3 = capture.s3_client

    class RoundRobinS3:
        def __init__(self, keys):
            self.clients = {u: orig_s3(u, keys) for u in urls}

        def __getattr__(self, k):
            op = getattr(self.clients[next_url()], k)
            if not callable(op) or k.startswith(("get_", "list_", "head_")):
                return op

            def settled(*a, **kw):
                try:
                    return op(*a, **kw)
                finally:
                    time.sleep(SETTLE)
            return settled

    orig_rec = capture.Recorder
    capture.Recorder = RoundRobin
    capture.s3_client = lambda base, keys: RoundRobinS3(keys)
    try:
        return conformance.replay(urls[0])
    finally:
        capture.Recorder = orig_rec
        capture.s3_client = orig_s3


@pytest.fixture(scope="module")
def replay():
    cluster = etcd_cluster.Cluster().start()
    gws = etcd_cluster.Gateways(cluster, 3, env=conformance.SERVER_ENV)
    try:
        gws.start()
        assert (gws.servers[0].access_key, gws.servers[0].secret_key) == capture.ADMIN
        results, stopped = round_robin_replay([s.url for s in gws.servers])
    finally:
        gws.stop()
        cluster.stop()
    counts = conformance.counts(results)
    helpers.SUMMARY.append("conformance replay through 3 etcd gateways in round robin: " + ", ".join(
        f"area {a}: {s}/{t} same" + ("" if a in ASSERTED else " (not asserted)")
        for a, (s, t) in sorted(counts.items())))
    if stopped:
        helpers.SUMMARY.append(f"round-robin conformance scenario stopped early: {stopped}")
    return results, stopped, counts


@pytest.mark.parametrize("area", ASSERTED)
def test_area_matches_radosgw_round_robin(replay, area):
    results, stopped, counts = replay
    bad = [r for r in results
           if r["area"] == area and not r["same"] and r["file"] not in UNREPRODUCIBLE]
    report = "\n".join(conformance.describe(r, limit=1500) for r in bad)
    assert not bad, (f"{len(bad)} of {counts[area][1]} area-{area} fixtures differ from radosgw"
                     + (f" (scenario stopped early: {stopped})" if stopped else "")
                     + ":\n" + report)
