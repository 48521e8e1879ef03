"""A real 3-member etcd cluster (Debian's `etcd-server` binary) on free 127.0.0.1 ports in a
temp dir, and rgw-admin gateways sharing it (store = etcd, one prefix, one objects dir).
Never the packaged etcd service."""
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import requests

import helpers

ETCD_BIN = os.environ.get("ETCD_BIN", "/usr/bin/etcd")
READY_TIMEOUT = 60  # seconds for the cluster to elect a leader


def available():
    return os.access(ETCD_BIN, os.X_OK)


class Cluster:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rgw-admin-etcd-")
        self.procs = []
        self.clients = []
        self.names = []

    def start(self):
        """Three members, healthy; a start that fails (a port taken between choosing it and
        binding it, a member that dies) is retried once on new ports, and its members' logs
        are in the error if that fails too. `free_port` never gives a port twice."""
        failures = []
        for _ in range(2):
            why = self._start_once()
            if why is None:
                return self
            failures.append(why)
            self.stop()
            self.dir = tempfile.mkdtemp(prefix="rgw-admin-etcd-")
            self.procs, self.clients = [], []
        raise RuntimeError("etcd cluster did not start:\n" + "\n".join(failures))

    def _start_once(self):
        """None once every member answers healthy, else why not (with the logs' tails)."""
        ports = [helpers.free_port() for _ in range(6)]
        ports = list(zip(ports[0::2], ports[1::2]))
        initial = ",".join(f"m{i}=http://127.0.0.1:{p}" for i, (_, p) in enumerate(ports))
        for i, (c, p) in enumerate(ports):
            client, peer = f"http://127.0.0.1:{c}", f"http://127.0.0.1:{p}"
            log = open(os.path.join(self.dir, f"m{i}.log"), "ab")
            try:
                self.procs.append(subprocess.Popen(
                    [ETCD_BIN, "--name", f"m{i}", "--data-dir", os.path.join(self.dir, f"m{i}"),
                     "--listen-client-urls", client, "--advertise-client-urls", client,
                     "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
                     "--initial-cluster", initial, "--initial-cluster-state", "new",
                     "--initial-cluster-token", self.dir],
                    stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL))
            finally:
                log.close()
            self.clients.append(client)
        deadline = time.monotonic() + READY_TIMEOUT
        while True:
            if all(self.healthy(i) for i in range(3)):
                return None
            dead = [i for i, p in enumerate(self.procs) if p.poll() is not None]
            if dead or time.monotonic() > deadline:
                why = f"members {dead} exited" if dead else f"not healthy within {READY_TIMEOUT} s"
                return why + "".join(self._log_tail(i) for i in range(3))
            time.sleep(0.2)

    def _log_tail(self, i, lines=5):
        try:
            with open(os.path.join(self.dir, f"m{i}.log"), errors="replace") as f:
                tail = f.read().splitlines()[-lines:]
        except OSError:
            tail = []
        sep = f"\n  m{i}: "
        return sep + sep.join(tail)

    def healthy(self, i):
        try:
            r = requests.get(self.clients[i] + "/health", timeout=2)
            return r.ok and r.json().get("health") == "true"
        except (requests.RequestException, ValueError):
            return False

    def leader(self):
        """Index of the member that is leader now (its /v3 maintenance status says so)."""
        for i, c in enumerate(self.clients):
            try:
                st = requests.post(c + "/v3/maintenance/status", json={}, timeout=2).json()
                if st.get("leader") and st.get("leader") == st.get("header", {}).get("member_id"):
                    return i
            except (requests.RequestException, ValueError):
                continue
        return None

    def freeze(self, i, on=True):
        """SIGSTOP (or SIGCONT) member i: its connections stay open and answer nothing,
        as across a network partition."""
        self.procs[i].send_signal(signal.SIGSTOP if on else signal.SIGCONT)

    def kill(self, i):
        p = self.procs[i]
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.send_signal(signal.SIGKILL)
            p.wait(10)

    def stop(self):
        for i in range(len(self.procs)):
            self.kill(i)
        shutil.rmtree(self.dir, ignore_errors=True)


class Gateways:
    """`n` gateways on one etcd prefix and one shared objects directory."""

    def __init__(self, cluster, n=3, env=None):
        self.cluster = cluster
        self.prefix = f"rgw-{uuid.uuid4().hex[:8]}/"
        self.objects = tempfile.mkdtemp(prefix="rgw-admin-objects-")
        self.env = {"RGW_ADMIN_STORE": "etcd",
                    "RGW_ADMIN_ETCD_ENDPOINTS": ",".join(cluster.clients),
                    "RGW_ADMIN_ETCD_PREFIX": self.prefix,
                    "RGW_ADMIN_OBJECTS_DIR": self.objects,
                    "RGW_ADMIN_USAGE_FLUSH_INTERVAL": "1"}
        self.env.update(env or {})
        self.servers = [helpers.Server(env=self.env) for _ in range(n)]

    def start(self):
        # The first one makes the admin user; the others find it.
        for s in self.servers:
            s.start()
        return self

    def stop(self):
        for s in self.servers:
            s.cleanup()
        shutil.rmtree(self.objects, ignore_errors=True)
