//! The usage log (radosgw's `rgw_enable_usage_log`): every S3 request is counted per owner,
//! bucket, hour and category (the op name) with bytes sent, bytes received, ops and
//! successful ops.
//!
//! Requests only add to an in-memory map (sharded mutexes, no I/O); a background task moves
//! the map to the store as `incr` counters every `usage_flush_interval` seconds, sooner when
//! `usage_flush_threshold` distinct entries are pending, and once more on shutdown. Readers
//! see the store, so a request shows up in `GET /admin/usage` within one flush interval, as
//! radosgw's usage log does. Keys: see `store::schema`.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::store::{decode_counters, schema, CommitError, Store, Txn};

const SHARDS: usize = 16;

/// The counters of one (owner, bucket, hour, category).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub ops: u64,
    pub successful_ops: u64,
}

impl Counters {
    pub fn add(&mut self, o: &Counters) {
        self.bytes_sent += o.bytes_sent;
        self.bytes_received += o.bytes_received;
        self.ops += o.ops;
        self.successful_ops += o.successful_ops;
    }
    fn deltas(&self) -> Vec<i64> {
        vec![
            self.bytes_sent as i64,
            self.bytes_received as i64,
            self.ops as i64,
            self.successful_ops as i64,
        ]
    }
    fn from_stored(v: &[u8]) -> Counters {
        let c = decode_counters(v);
        let at = |i: usize| c.get(i).copied().unwrap_or(0).max(0) as u64;
        Counters {
            bytes_sent: at(0),
            bytes_received: at(1),
            ops: at(2),
            successful_ops: at(3),
        }
    }
}

/// Where one request's usage is counted.
pub use crate::store::schema::UsageKey as EntryKey;

/// Pending entries of one shard, found by a hash of their parts.
type Shard = hashbrown::HashTable<(EntryKey, Counters)>;

/// The hash of an entry's parts, the same whether they are borrowed or owned.
fn hash_parts(owner: &str, bucket: &str, hour: u64, category: &str, paid: Option<&str>) -> u64 {
    use std::hash::BuildHasher;
    let mut h = foldhash::fast::FixedState::with_seed(0x5eed).build_hasher();
    owner.hash(&mut h);
    bucket.hash(&mut h);
    hour.hash(&mut h);
    category.hash(&mut h);
    paid.hash(&mut h);
    h.finish()
}

fn entry_hash((k, _): &(EntryKey, Counters)) -> u64 {
    hash_parts(
        &k.owner,
        &k.bucket,
        k.hour,
        &k.category,
        k.bucket_owner.as_deref(),
    )
}

/// One stored record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: EntryKey,
    pub counters: Counters,
}

/// One request, as the request path reports it.
pub struct Request<'a> {
    /// The bucket's owner (the caller's uid for requests that name no bucket).
    pub owner: &'a str,
    /// Who pays instead, on a requester-pays bucket: the caller (`anonymous` for nobody),
    /// under whose uid the request is counted, naming the bucket's owner. radosgw's
    /// `log_usage`; `None` when that is the owner itself.
    pub payer: Option<&'a str>,
    pub bucket: &'a str,
    pub category: &'a str,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub status: u16,
}

pub struct UsageLog {
    enabled: bool,
    threshold: usize,
    interval: Duration,
    shards: Vec<Mutex<Shard>>,
    pending: AtomicUsize,
    wake: tokio::sync::Notify,
    store: Store,
    task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Serializes flushes, so a final flush never overtakes a running one.
    flushing: tokio::sync::Mutex<()>,
}

impl UsageLog {
    pub fn new(store: Store, enabled: bool, interval: Duration, threshold: usize) -> UsageLog {
        UsageLog {
            enabled,
            threshold: threshold.max(1),
            interval: interval.max(Duration::from_millis(10)),
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::new())).collect(),
            pending: AtomicUsize::new(0),
            wake: tokio::sync::Notify::new(),
            store,
            task: Mutex::new(None),
            flushing: tokio::sync::Mutex::new(()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Count one request in the current hour. Never blocks on I/O.
    pub fn record(&self, r: Request<'_>) {
        if !self.enabled {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.record_at(now, r);
    }

    pub fn record_at(&self, now: u64, r: Request<'_>) {
        if !self.enabled {
            return;
        }
        let hour = now - now % 3600;
        let c = Counters {
            bytes_sent: r.bytes_sent,
            bytes_received: r.bytes_received,
            ops: 1,
            // radosgw: `!s->is_err()`, i.e. 2xx and 3xx.
            successful_ops: u64::from((200..400).contains(&r.status)),
        };
        // A payer's entry is its own, naming the bucket's owner.
        let (user, paid) = match r.payer {
            Some(p) if p != r.owner => (p, Some(r.owner)),
            _ => (r.owner, None),
        };
        let h = hash_parts(user, r.bucket, hour, r.category, paid);
        let new = {
            let mut m = self.shards[(h as usize) % SHARDS]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            // Found by its parts: a request that adds to an entry allocates nothing.
            let found = m.find_mut(h, |(k, _)| {
                k.hour == hour
                    && k.owner == user
                    && k.bucket == r.bucket
                    && k.category == r.category
                    && k.bucket_owner.as_deref() == paid
            });
            match found {
                Some((_, cur)) => {
                    cur.add(&c);
                    false
                }
                None => {
                    let key = EntryKey {
                        owner: user.to_string(),
                        bucket: r.bucket.to_string(),
                        hour,
                        category: r.category.to_string(),
                        bucket_owner: paid.map(str::to_string),
                    };
                    m.insert_unique(h, (key, c), entry_hash);
                    true
                }
            }
        };
        if new && self.pending.fetch_add(1, Ordering::Relaxed) + 1 >= self.threshold {
            self.wake.notify_one();
        }
    }

    /// Entries waiting for the next flush.
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    fn drain(&self) -> HashMap<EntryKey, Counters> {
        let mut all = HashMap::new();
        for s in &self.shards {
            let m = std::mem::replace(
                &mut *s.lock().unwrap_or_else(|e| e.into_inner()),
                Shard::new(),
            );
            self.pending.fetch_sub(m.len(), Ordering::Relaxed);
            all.extend(m);
        }
        all
    }

    fn restore(&self, batch: HashMap<EntryKey, Counters>) {
        for (k, c) in batch {
            let h = entry_hash(&(k.clone(), c));
            let mut m = self.shards[(h as usize) % SHARDS]
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            match m.find_mut(h, |(e, _)| *e == k) {
                Some((_, cur)) => cur.add(&c),
                None => {
                    m.insert_unique(h, (k, c), entry_hash);
                    self.pending.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// Write everything pending to the store. On a store error the entries stay pending
    /// for the next flush.
    pub async fn flush(&self) -> Result<usize> {
        let _one = self.flushing.lock().await;
        let batch = self.drain();
        if batch.is_empty() {
            return Ok(0);
        }
        let n = batch.len();
        let mut t = Txn::default();
        for (k, c) in &batch {
            t.incr(schema::usage(k), c.deltas());
        }
        match self.store.commit(t).await {
            Ok(_) => {
                crate::metrics::get().usage_flushes.inc();
                Ok(n)
            }
            Err(e) => {
                crate::metrics::get().usage_flush_failures.inc();
                self.restore(batch);
                Err(match e {
                    CommitError::Store(e) => e.into(),
                    CommitError::Conflict => Error::Unknown("usage flush conflict".into()),
                })
            }
        }
    }

    /// Start the background flusher (once; needs a tokio runtime).
    pub fn start(self: &Arc<Self>) {
        if !self.enabled {
            return;
        }
        let mut task = self.task.lock().unwrap_or_else(|e| e.into_inner());
        if task.is_some() {
            return;
        }
        let me = self.clone();
        *task = Some(tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(me.interval) => {}
                    _ = me.wake.notified() => {}
                }
                if let Err(e) = me.flush().await {
                    tracing::warn!(error = %e, "usage log flush failed");
                }
            }
        }));
    }

    /// Stop the background flusher and flush what is left (before the store closes).
    pub async fn shutdown(self: &Arc<Self>) {
        let task = self.task.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(t) = task {
            t.abort();
            let _ = t.await;
        }
        match self.flush().await {
            Ok(n) if n > 0 => tracing::info!("usage log: flushed {n} entries"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "usage log: final flush failed"),
        }
    }

    /// Stored records of `owner` (all owners when None) that `select` keeps, in key order.
    pub async fn read(
        &self,
        owner: Option<&str>,
        select: &(dyn Fn(&EntryKey) -> bool + Sync),
    ) -> Result<Vec<Record>> {
        let mut out = Vec::new();
        crate::store::for_each_page(&self.store, &schema::usage_of(owner), 1000, |rows| {
            for (k, v) in rows {
                if let Some(key) = schema::parse_usage(&k).filter(|k| select(k)) {
                    out.push(Record {
                        key,
                        counters: Counters::from_stored(&v),
                    });
                }
            }
            true
        })
        .await?;
        Ok(out)
    }

    /// Delete the stored records `select` keeps. Pending entries are flushed first, so a
    /// trim removes everything counted before it.
    pub async fn trim(
        &self,
        owner: Option<&str>,
        select: &(dyn Fn(&EntryKey) -> bool + Sync),
    ) -> Result<usize> {
        self.flush().await?;
        let mut doomed = Vec::new();
        crate::store::for_each_page(&self.store, &schema::usage_of(owner), 1000, |rows| {
            doomed.extend(
                rows.into_iter()
                    .map(|(k, _)| k)
                    .filter(|k| schema::parse_usage(k).is_some_and(|e| select(&e))),
            );
            true
        })
        .await?;
        let n = doomed.len();
        for chunk in doomed.chunks(1000) {
            let mut t = Txn::default();
            for k in chunk {
                t.delete(k.clone());
            }
            self.store.commit(t).await.map_err(|e| match e {
                CommitError::Store(e) => e.into(),
                CommitError::Conflict => Error::Unknown("usage trim conflict".into()),
            })?;
        }
        Ok(n)
    }
}

/// One `(user, bucket)` line of a usage report: radosgw aggregates every hour in the range
/// into one entry carrying the first hour's epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketUsage {
    pub user: String,
    pub bucket: String,
    /// The bucket's owner when `user` paid for using it (requester pays).
    pub bucket_owner: Option<String>,
    pub epoch: u64,
    pub categories: BTreeMap<String, Counters>,
}

/// Aggregate records (already filtered) the way `cls_rgw`'s usage read does: by (user,
/// bucket) in that order, categories summed across hours.
pub fn aggregate(records: &[Record]) -> Vec<BucketUsage> {
    let mut m: BTreeMap<(String, String), BucketUsage> = BTreeMap::new();
    for r in records {
        let e = m
            .entry((r.key.owner.clone(), r.key.bucket.clone()))
            .or_insert_with(|| BucketUsage {
                user: r.key.owner.clone(),
                bucket: r.key.bucket.clone(),
                bucket_owner: None,
                epoch: r.key.hour,
                categories: BTreeMap::new(),
            });
        e.epoch = e.epoch.min(r.key.hour);
        if r.key.bucket_owner.is_some() {
            e.bucket_owner.clone_from(&r.key.bucket_owner);
        }
        e.categories
            .entry(r.key.category.clone())
            .or_default()
            .add(&r.counters);
    }
    m.into_values().collect()
}

/// radosgw's `utime_t::parse_date` for `start`/`end`: `YYYY-MM-DD`,
/// `YYYY-MM-DD HH:MM:SS[.frac]`, or unix seconds with an optional fraction. Seconds.
pub fn parse_date(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && s.bytes().filter(|&b| b == b'.').count() <= 1
    {
        let int = s.split('.').next().unwrap_or("");
        return if int.is_empty() {
            Some(0)
        } else {
            int.parse().ok()
        };
    }
    let (date, time) = match s.split_once([' ', 'T']) {
        Some((d, t)) => (d, Some(t)),
        None => (s, None),
    };
    let mut d = date.split('-');
    let y: i32 = d.next()?.parse().ok()?;
    let mo: u8 = d.next()?.parse().ok()?;
    let day: u8 = d.next()?.parse().ok()?;
    if d.next().is_some() {
        return None;
    }
    let date = time::Date::from_calendar_date(y, time::Month::try_from(mo).ok()?, day).ok()?;
    let (h, mi, sec) = match time {
        None => (0, 0, 0),
        Some(t) => {
            let t = t.split('.').next().unwrap_or(t);
            let mut p = t.split(':');
            let h: u8 = p.next()?.parse().ok()?;
            let mi: u8 = p.next()?.parse().ok()?;
            let sec: u8 = p.next()?.parse().ok()?;
            if p.next().is_some() {
                return None;
            }
            (h, mi, sec)
        }
    };
    let t = time::Time::from_hms(h, mi, sec).ok()?;
    let ts = time::PrimitiveDateTime::new(date, t)
        .assume_utc()
        .unix_timestamp();
    u64::try_from(ts).ok()
}

/// radosgw's `get_str_list` with the usage op's separators.
pub fn split_categories(s: &str) -> Vec<String> {
    s.split([';', ',', '=', ' ', '\t'])
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rocks::RocksStore;

    /// A store in a fresh temp dir, removed when the guard drops.
    struct Tmp(std::path::PathBuf);
    impl Drop for Tmp {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn store() -> (Tmp, Store) {
        let d = std::env::temp_dir().join(format!(
            "rgw-admin-usage-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        let s: Store = Arc::new(RocksStore::open(&d, Default::default()).unwrap());
        (Tmp(d), s)
    }

    fn req<'a>(
        owner: &'a str,
        bucket: &'a str,
        cat: &'a str,
        sent: u64,
        recv: u64,
        status: u16,
    ) -> Request<'a> {
        Request {
            owner,
            payer: None,
            bucket,
            category: cat,
            bytes_sent: sent,
            bytes_received: recv,
            status,
        }
    }

    #[tokio::test]
    async fn records_aggregate_and_flush() {
        let (_d, s) = store();
        let log = UsageLog::new(s, true, Duration::from_secs(30), 1000);
        let t = 1_795_420_800 + 125;
        log.record_at(t, req("alice", "b1", "put_obj", 0, 12, 200));
        log.record_at(t + 1, req("alice", "b1", "put_obj", 0, 4096, 200));
        log.record_at(t, req("alice", "b1", "get_obj", 240, 0, 404));
        log.record_at(t + 3600, req("alice", "b1", "get_obj", 10, 0, 304));
        log.record_at(t, req("bob", "", "list_buckets", 633, 0, 200));
        assert_eq!(log.pending(), 4);
        assert!(log.read(None, &|_| true).await.unwrap().is_empty());
        assert_eq!(log.flush().await.unwrap(), 4);
        assert_eq!(log.pending(), 0);
        // A second flush adds to the stored counters.
        log.record_at(t, req("alice", "b1", "put_obj", 0, 8, 500));
        log.flush().await.unwrap();
        let recs = log.read(Some("alice"), &|_| true).await.unwrap();
        assert_eq!(recs.len(), 3);
        let agg = aggregate(&recs);
        assert_eq!(agg.len(), 1);
        assert_eq!(agg[0].epoch, 1_795_420_800);
        let put = agg[0].categories["put_obj"];
        assert_eq!(
            put,
            Counters {
                bytes_sent: 0,
                bytes_received: 4116,
                ops: 3,
                successful_ops: 2
            }
        );
        let get = agg[0].categories["get_obj"];
        assert_eq!((get.bytes_sent, get.ops, get.successful_ops), (250, 2, 1));
        let all = aggregate(&log.read(None, &|_| true).await.unwrap());
        assert_eq!(all.len(), 2);
        assert_eq!((all[1].user.as_str(), all[1].bucket.as_str()), ("bob", ""));
    }

    #[tokio::test]
    async fn trim_flushes_first_and_removes_what_it_selects() {
        let (_d, s) = store();
        let log = UsageLog::new(s, true, Duration::from_secs(3600), 2);
        log.record_at(7200, req("a", "x", "put_obj", 0, 1, 200));
        log.record_at(10800, req("a", "y", "put_obj", 0, 1, 200));
        log.record_at(10800, req("b", "x", "get_obj", 1, 0, 200));
        // Trim flushes first, then removes only what it selects.
        let n = log.trim(Some("a"), &|k| k.hour >= 10800).await.unwrap();
        assert_eq!(n, 1);
        let left: Vec<_> = log
            .read(None, &|_| true)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.key)
            .collect();
        assert_eq!(left.len(), 2);
        assert_eq!(log.trim(None, &|_| true).await.unwrap(), 2);
        assert!(log.read(None, &|_| true).await.unwrap().is_empty());
    }

    /// A payer's request is the payer's, naming the bucket's owner; the owner paying for
    /// its own request is an ordinary one.
    #[tokio::test]
    async fn payers_count_apart() {
        let (_d, s) = store();
        let log = UsageLog::new(s, true, Duration::from_secs(3600), 1000);
        let paid = |payer| Request {
            payer: Some(payer),
            ..req("owner", "b", "get_obj", 5, 0, 200)
        };
        log.record_at(7200, req("owner", "b", "get_obj", 5, 0, 200));
        log.record_at(7200, paid("owner"));
        log.record_at(7200, paid("bob"));
        log.record_at(7201, paid("bob"));
        assert_eq!(log.pending(), 2);
        log.flush().await.unwrap();
        let agg = aggregate(&log.read(None, &|_| true).await.unwrap());
        let lines: Vec<_> = agg
            .iter()
            .map(|l| {
                (
                    l.user.as_str(),
                    l.bucket_owner.as_deref(),
                    l.categories["get_obj"].ops,
                )
            })
            .collect();
        assert_eq!(lines, [("bob", Some("owner"), 2), ("owner", None, 2)]);
        let bobs = log.read(Some("bob"), &|k| k.bucket == "b").await.unwrap();
        assert_eq!(bobs.len(), 1);
    }

    #[tokio::test]
    async fn disabled_records_nothing() {
        let (_d, s) = store();
        let log = UsageLog::new(s, false, Duration::from_secs(1), 1);
        log.record_at(0, req("a", "x", "put_obj", 0, 1, 200));
        assert_eq!(log.pending(), 0);
    }

    #[test]
    fn dates_and_categories() {
        assert_eq!(parse_date("2000-01-01"), Some(946_684_800));
        assert_eq!(parse_date("2000-01-01 01:00:01"), Some(946_688_401));
        assert_eq!(parse_date("2000-01-01 01:00:01.5"), Some(946_688_401));
        assert_eq!(parse_date("1795420800"), Some(1_795_420_800));
        assert_eq!(parse_date("1795420800.75"), Some(1_795_420_800));
        assert_eq!(parse_date("yesterday"), None);
        assert_eq!(parse_date("2000-13-01"), None);
        assert_eq!(
            split_categories("put_obj,get_obj; list_bucket=\tx"),
            vec!["put_obj", "get_obj", "list_bucket", "x"]
        );
    }
}
