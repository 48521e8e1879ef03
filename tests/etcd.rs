//! The etcd engine against a real 3-member etcd cluster (Debian's `etcd-server`), started
//! here on free 127.0.0.1 ports in a temp dir: the same store contract as the RocksDB
//! engine's own tests, plus what only a shared store has (several writers, the change feed,
//! a member's death). Skipped, with a message, only when no `etcd` binary is installed;
//! `.ci/run` installs it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

mod common;

use common::free_port;
use rgw_admin::store::etcd::{EtcdSettings, EtcdStore, Timeouts};
use rgw_admin::store::{decode_counters, Change, CommitError, Entry, Store, Txn};

/// A 3-member cluster; killed (and its directory removed) on drop.
struct Cluster {
    dir: PathBuf,
    members: Vec<Option<Child>>,
    clients: Vec<String>,
    /// One cluster at a time: the tests run in parallel threads, and three clusters with
    /// their writers on a 2-core box starved the elections the kill tests wait for (a CI
    /// run saw every writer give up after the store's 30 s).
    _turn: std::sync::MutexGuard<'static, ()>,
}

static ONE_CLUSTER_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn etcd_binary() -> Option<PathBuf> {
    let p = std::env::var_os("ETCD_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/bin/etcd"));
    p.is_file().then_some(p)
}

impl Cluster {
    fn start() -> Option<Cluster> {
        let Some(bin) = etcd_binary() else {
            eprintln!("SKIP: no etcd binary (apt-get install etcd-server, or set ETCD_BIN)");
            return None;
        };
        // A test that failed while holding its turn poisons nothing the next one needs.
        let turn = ONE_CLUSTER_AT_A_TIME
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!(
            "rgw-admin-etcd-{}-{}",
            std::process::id(),
            rand::random::<u32>()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
        let initial: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, p))| format!("m{i}=http://127.0.0.1:{p}"))
            .collect();
        let mut members = Vec::new();
        let mut clients = Vec::new();
        for (i, (c, p)) in ports.iter().enumerate() {
            let client = format!("http://127.0.0.1:{c}");
            let peer = format!("http://127.0.0.1:{p}");
            let log = std::fs::File::create(dir.join(format!("m{i}.log"))).unwrap();
            let mut cmd = Command::new(&bin);
            cmd.args(["--name", &format!("m{i}")])
                .arg("--data-dir")
                .arg(dir.join(format!("m{i}")))
                .args(["--listen-client-urls", &client])
                .args(["--advertise-client-urls", &client])
                .args(["--listen-peer-urls", &peer])
                .args(["--initial-advertise-peer-urls", &peer])
                .args(["--initial-cluster", &initial.join(",")])
                .args(["--initial-cluster-state", "new"])
                .args(["--initial-cluster-token", &dir.to_string_lossy()])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            members.push(Some(cmd.spawn().expect("start etcd")));
            clients.push(client);
        }
        Some(Cluster {
            dir,
            members,
            clients,
            _turn: turn,
        })
    }

    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.members[i].take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn store(&self, prefix: &str) -> EtcdStore {
        self.store_with(prefix, Timeouts::default()).await
    }

    /// A store on this cluster; waits (bounded) for the cluster to elect a leader.
    async fn store_with(&self, prefix: &str, timeouts: Timeouts) -> EtcdStore {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let s = EtcdStore::open(EtcdSettings {
                endpoints: self.clients.clone(),
                prefix: prefix.to_string(),
                // Long enough for an election on a starved 2-core box: a CI run saw a
                // leader's successor take more than 5 s, and a commit given up then is an
                // error where the tests expect a pause. (The gateway's default is 30 s.)
                timeouts: Timeouts {
                    total: Duration::from_secs(20),
                    ..timeouts
                },
            })
            .await;
            match s {
                Ok(s) => return s,
                Err(e) if std::time::Instant::now() > deadline => {
                    panic!("etcd cluster not ready in 60 s: {e}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for i in 0..self.members.len() {
            self.kill(i);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn keys(v: Vec<Entry>) -> Vec<String> {
    v.into_iter()
        .map(|(k, _)| String::from_utf8(k).unwrap())
        .collect()
}

/// RocksDB's `conditional_commit_and_scan`, on etcd.
async fn conditional_commit_and_scan(s: &Store) {
    let mut t = Txn::default();
    t.expect("user/a", None).put("user/a", "1").put("ak/K", "a");
    assert!(s.commit(t.clone()).await.is_ok());
    assert_eq!(s.commit(t).await, Err(CommitError::Conflict));
    assert_eq!(s.get(b"user/a").await.unwrap(), Some(b"1".to_vec()));
    assert_eq!(s.scan(b"user/", None, 10).await.unwrap().len(), 1);
    let mut t = Txn::default();
    t.expect("user/a", Some(b"1".to_vec())).delete("user/a");
    assert!(s.commit(t).await.is_ok());
    assert_eq!(s.get(b"user/a").await.unwrap(), None);
    // counters add up, also concurrently
    let mut t = Txn::default();
    t.incr("bstats/c", vec![1, 10]);
    let (a, b) = tokio::join!(s.commit(t.clone()), s.commit(t));
    a.unwrap();
    b.unwrap();
    let c = decode_counters(&s.get(b"bstats/c").await.unwrap().unwrap());
    assert_eq!(c, vec![2, 20]);
    // and within one transaction
    let mut t = Txn::default();
    t.incr("bstats/c", vec![1]).incr("bstats/c", vec![0, 5, 7]);
    s.commit(t).await.unwrap();
    let raw = s.get(b"bstats/c").await.unwrap().unwrap();
    assert_eq!(decode_counters(&raw), vec![3, 25, 7]);
    // a check on a counter sees its sum; a later increment breaks it
    let mut t = Txn::default();
    t.expect("bstats/c", Some(raw.clone())).put("user/b", "x");
    s.commit(t).await.unwrap();
    let mut t = Txn::default();
    t.incr("bstats/c", vec![1]);
    s.commit(t).await.unwrap();
    let mut t = Txn::default();
    t.expect("bstats/c", Some(raw)).delete("bstats/c");
    assert_eq!(s.commit(t).await, Err(CommitError::Conflict));
    // deleting a counter deletes all of it; an absent counter checks as absent
    let raw = s.get(b"bstats/c").await.unwrap();
    let mut t = Txn::default();
    t.expect("bstats/c", raw).delete("bstats/c");
    s.commit(t).await.unwrap();
    assert_eq!(s.get(b"bstats/c").await.unwrap(), None);
    assert!(s.scan(b"bstats/", None, 10).await.unwrap().is_empty());
    let mut t = Txn::default();
    t.expect("bstats/c", None).put("user/c", "y");
    s.commit(t).await.unwrap();
    // put and delete of one key in one transaction: the put wins, as in RocksDB
    let mut t = Txn::default();
    t.delete("user/d").put("user/d", "1").put("user/d", "2");
    s.commit(t).await.unwrap();
    assert_eq!(s.get(b"user/d").await.unwrap(), Some(b"2".to_vec()));
}

/// RocksDB's `scans_start_inclusive_and_stay_in_prefix`, plus counters in scans.
async fn scans(s: &Store) {
    let mut t = Txn::default();
    for k in ["a/1", "a/2", "a/3", "b/1", "a"] {
        t.put(k, "v");
    }
    s.commit(t).await.unwrap();
    assert_eq!(
        keys(s.scan(b"a/", None, 10).await.unwrap()),
        ["a/1", "a/2", "a/3"]
    );
    assert_eq!(
        keys(s.scan(b"a/", Some(b"a/2"), 10).await.unwrap()),
        ["a/2", "a/3"]
    );
    assert_eq!(keys(s.scan(b"a/", Some(b"a/"), 1).await.unwrap()), ["a/1"]);
    assert_eq!(keys(s.scan(b"a/", Some(b"0"), 10).await.unwrap()).len(), 3);
    let mut pages = Vec::new();
    rgw_admin::store::for_each_page(s, b"a/", 2, |p| {
        pages.push(p.len());
        true
    })
    .await
    .unwrap();
    assert_eq!(pages, [2, 1]);
    // counters made of many deltas still scan as one entry each, in order, paged
    for round in 0..3i64 {
        let mut t = Txn::default();
        for k in ["usage/u/1", "usage/u/2", "usage/u/3"] {
            t.incr(k, vec![1, round]);
        }
        s.commit(t).await.unwrap();
    }
    let mut seen = Vec::new();
    rgw_admin::store::for_each_page(s, b"usage/u/", 2, |p| {
        seen.extend(p);
        true
    })
    .await
    .unwrap();
    assert_eq!(keys(seen.clone()), ["usage/u/1", "usage/u/2", "usage/u/3"]);
    for (_, v) in seen {
        assert_eq!(decode_counters(&v), vec![3, 3]);
    }
}

async fn concurrent_creates_one_winner(stores: &[Store]) {
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let s = stores[i % stores.len()].clone();
            tokio::spawn(async move {
                let mut t = Txn::default();
                t.expect("user/x", None).put("user/x", format!("{i}"));
                s.commit(t).await.is_ok()
            })
        })
        .collect();
    let mut wins = 0;
    for t in tasks {
        wins += usize::from(t.await.unwrap());
    }
    assert_eq!(wins, 1);
}

/// Many increments of one counter from several stores at once: none conflicts, none is
/// lost, and folding (every 64 per writer) keeps the sum.
async fn hot_counter(stores: &[Store]) {
    let tasks: Vec<_> = (0..300)
        .map(|i| {
            let s = stores[i % stores.len()].clone();
            tokio::spawn(async move {
                let mut t = Txn::default();
                t.incr("bstats/hot", vec![1, 2])
                    .put(format!("obj/hot/{i:04}"), "m");
                s.commit(t).await
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    for s in stores {
        let v = decode_counters(&s.get(b"bstats/hot").await.unwrap().unwrap());
        assert_eq!(v, vec![300, 600]);
    }
}

async fn limits(s: &Store) {
    let mut t = Txn::default();
    for i in 0..200 {
        t.put(format!("big/{i}"), "v");
    }
    let e = s.commit(t).await.unwrap_err();
    assert!(format!("{e}").contains("too large for etcd"), "{e}");
    let mut t = Txn::default();
    t.put("big/one", vec![b'x'; 2 << 20]);
    let e = s.commit(t).await.unwrap_err();
    assert!(format!("{e}").contains("too large for etcd"), "{e}");
    assert!(s.scan(b"big/", None, 10).await.unwrap().is_empty());
}

/// A prefix deletion takes every key under the prefix, however many (in batches of puts
/// that each fit a transaction), and nothing else; a write under a prefix the same
/// transaction deletes is refused by both engines, with nothing applied.
async fn prefix_deletion(s: &Store) {
    for batch in 0..3 {
        let mut t = Txn::default();
        for i in 0..100 {
            t.put(format!("part/up1/{:05}", batch * 100 + i), "p");
        }
        s.commit(t).await.unwrap();
    }
    let mut t = Txn::default();
    t.put("part/up10/00001", "other upload")
        .put("part/up1x", "x")
        .incr("pseq/up1", vec![1]);
    s.commit(t).await.unwrap();
    let mut t = Txn::default();
    t.delete_prefix("part/up1/").put("part/up1/00007", "again");
    let e = s.commit(t).await.unwrap_err();
    assert!(format!("{e}").contains("under a prefix it deletes"), "{e}");
    assert_eq!(s.scan(b"part/up1/", None, 1000).await.unwrap().len(), 300);
    let mut t = Txn::default();
    t.expect("pseq/up1", s.get(b"pseq/up1").await.unwrap())
        .delete_prefix("part/up1/")
        .delete("part/up1/00002")
        .delete("pseq/up1");
    s.commit(t).await.unwrap();
    assert!(s.scan(b"part/up1/", None, 10).await.unwrap().is_empty());
    assert_eq!(
        keys(s.scan(b"part/", None, 10).await.unwrap()),
        ["part/up10/00001", "part/up1x"]
    );
    assert_eq!(s.get(b"pseq/up1").await.unwrap(), None);
}

#[tokio::test]
async fn rocks_prefix_deletion() {
    let dir = std::env::temp_dir().join(format!("rgw-admin-prefix-{}", std::process::id()));
    let s: Store =
        Arc::new(rgw_admin::store::rocks::RocksStore::open(&dir, Default::default()).unwrap());
    prefix_deletion(&s).await;
    s.close();
    drop(s);
    std::fs::remove_dir_all(dir).ok();
}

/// A change made through one store reaches another's change feed.
async fn change_feed(a: &Store, b: &Store) {
    let mut feed = a.changes().expect("etcd has a change feed");
    let first = tokio::time::timeout(Duration::from_secs(10), feed.recv())
        .await
        .unwrap();
    assert_eq!(first, Some(Change::Live));
    let mut t = Txn::default();
    t.put("user/feed", "1");
    let rev = b.commit(t).await.unwrap();
    let got = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match feed.recv().await {
                Some(Change::Key { key, rev }) if key == b"user/feed" => return rev,
                Some(_) => continue,
                None => panic!("feed ended"),
            }
        }
    })
    .await
    .expect("change delivered within 10 s");
    assert_eq!(got, rev);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn etcd_store_contract() {
    let Some(cluster) = Cluster::start() else {
        return;
    };
    let a: Store = Arc::new(cluster.store("t1/").await);
    let b: Store = Arc::new(cluster.store("t1/").await);
    let c: Store = Arc::new(cluster.store("t1/").await);
    conditional_commit_and_scan(&a).await;
    scans(&b).await;
    concurrent_creates_one_winner(&[a.clone(), b.clone(), c.clone()]).await;
    hot_counter(&[a.clone(), b.clone(), c.clone()]).await;
    limits(&a).await;
    prefix_deletion(&c).await;
    change_feed(&a, &b).await;
    // another prefix is another store
    let other: Store = Arc::new(cluster.store("t2/").await);
    assert_eq!(other.get(b"user/x").await.unwrap(), None);
    a.close();
    assert!(a.get(b"user/x").await.is_err());
}

/// Which member leads now (its status says it is the leader), asked of each live one.
async fn leader(cluster: &Cluster) -> usize {
    for (i, ep) in cluster.clients.iter().enumerate() {
        if cluster.members[i].is_none() {
            continue;
        }
        let Ok(mut c) = etcd_client::Client::connect([ep.as_str()], None).await else {
            continue;
        };
        if let Ok(st) = c.status().await {
            if st.header().map(|h| h.member_id()) == Some(st.leader()) {
                return i;
            }
        }
    }
    panic!("no leader");
}

/// Concurrent conditional creates (8 writers) while `victim` picks a member to kill once a
/// quarter of them are acknowledged: every write is acknowledged, none twice (a conflict on
/// its own key would be a write applied by an attempt whose answer was lost, then refused
/// to its retry), the index and the counter agree. Returns the longest commit (the gap).
async fn writes_survive_a_kill(cluster: &mut Cluster, prefix: &str, kill_leader: bool) -> Duration {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const WRITERS: usize = 8;
    const EACH: usize = 250;
    let s: Store = Arc::new(
        cluster
            .store_with(
                prefix,
                Timeouts {
                    request: Duration::from_millis(500),
                    ..Timeouts::default()
                },
            )
            .await,
    );
    let acked = Arc::new(AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let (s, acked) = (s.clone(), acked.clone());
            tokio::spawn(async move {
                let mut gap = Duration::ZERO;
                for i in 0..EACH {
                    let mut t = Txn::default();
                    t.expect(format!("obj/f/{w}/{i:04}"), None)
                        .put(format!("obj/f/{w}/{i:04}"), "v")
                        .incr("bstats/f", vec![1]);
                    let t0 = std::time::Instant::now();
                    s.commit(t).await.expect("write acknowledged exactly once");
                    gap = gap.max(t0.elapsed());
                    acked.fetch_add(1, Ordering::Relaxed);
                }
                gap
            })
        })
        .collect();
    while acked.load(Ordering::Relaxed) < WRITERS * EACH / 4 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let victim = if kill_leader {
        leader(cluster).await
    } else {
        0
    };
    cluster.kill(victim);
    let at_kill = acked.load(Ordering::Relaxed);
    let mut gap = Duration::ZERO;
    for w in writers {
        gap = gap.max(w.await.unwrap());
    }
    assert!(at_kill < WRITERS * EACH, "the kill landed after the writes");
    assert_eq!(acked.load(Ordering::Relaxed), WRITERS * EACH);
    let n = s.scan(b"obj/f/", None, 10_000).await.unwrap().len();
    assert_eq!(n, WRITERS * EACH);
    let v = decode_counters(&s.get(b"bstats/f").await.unwrap().unwrap());
    assert_eq!(v, vec![(WRITERS * EACH) as i64]);
    eprintln!(
        "etcd: killed member {victim}{} after {at_kill} of {} writes: all acknowledged, none lost, longest commit {gap:?}",
        if kill_leader { " (the leader)" } else { "" },
        WRITERS * EACH
    );
    gap
}

/// A member dies during concurrent writes: a pause, not an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn etcd_member_death_is_a_pause() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    writes_survive_a_kill(&mut cluster, "f/", false).await;
}

/// The leader dies during concurrent writes: a pause for the election, not an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn etcd_leader_death_is_a_pause() {
    let Some(mut cluster) = Cluster::start() else {
        return;
    };
    writes_survive_a_kill(&mut cluster, "l/", true).await;
}
