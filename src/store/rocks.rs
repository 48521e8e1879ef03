//! RocksDB engine.
//!
//! Reads first try RocksDB's memory only (memtables and block cache, `ReadTier::BlockCache`)
//! on the caller's thread, which costs about a microsecond and cannot block; a read that
//! would touch the disk is redone on the blocking pool. Commits go to one writer thread that
//! checks each transaction's preconditions in order against the database plus the writes
//! already accepted into the current group, writes the whole group as one synced WriteBatch
//! (every acknowledged write is on disk; concurrent writers share one fsync: group commit),
//! and answers each caller on a oneshot channel, so no caller parks a thread while it waits.
//!
//! Memory is bounded by settings, not by the data: one LRU block cache (index and filter
//! blocks included) and a small number of small write buffers.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rocksdb::{
    BlockBasedOptions, Cache, ErrorKind, Options, ReadOptions, WriteBatch, WriteOptions, DB,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    schema, under_deleted_prefix, CommitError, Entry, MetadataStore, StoreError, StoreFuture,
    StoreResult, Txn,
};

type Reply = oneshot::Sender<Result<u64, CommitError>>;

/// Memory RocksDB may use, in MiB.
#[derive(Debug, Clone, Copy)]
pub struct RocksSettings {
    /// Block cache (data, index and filter blocks).
    pub block_cache_mb: usize,
    /// One memtable; at most two exist at a time.
    pub write_buffer_mb: usize,
}

impl Default for RocksSettings {
    fn default() -> Self {
        RocksSettings {
            block_cache_mb: 8,
            write_buffer_mb: 4,
        }
    }
}

pub struct RocksStore {
    db: Arc<DB>,
    tx: RwLock<Option<mpsc::UnboundedSender<(Txn, Reply)>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    closed: AtomicBool,
}

/// Most transactions folded into one WriteBatch.
const MAX_GROUP: usize = 256;

fn io(e: rocksdb::Error) -> StoreError {
    // RocksDB reports ENOSPC only in its message ("IO error: No space left on device").
    if e.as_ref().contains("No space left on device") {
        return StoreError::Full;
    }
    StoreError::Io(format!("rocksdb: {e}"))
}

impl RocksStore {
    /// Open (creating if needed). Fails with a plain message when another process holds the
    /// database, so the CLI can say a server is running. A new store gets the current schema
    /// version; an existing one keeps its own (see [`RocksStore::schema_version`]).
    pub fn open(dir: &Path, settings: RocksSettings) -> std::result::Result<RocksStore, String> {
        super::create_private_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.set_max_background_jobs(2);
        opts.set_write_buffer_size(settings.write_buffer_mb.max(1) << 20);
        opts.set_max_write_buffer_number(2);
        opts.set_max_total_wal_size(64 << 20);
        // Most reads before a write ask for keys that do not exist yet (a new uid, a new
        // object): a memtable bloom filter answers those without walking the skiplist.
        opts.set_memtable_prefix_bloom_ratio(0.05);
        opts.set_memtable_whole_key_filtering(true);
        opts.set_keep_log_file_num(4);
        opts.set_max_log_file_size(4 << 20);
        // A cache block larger than its cache shard is dropped as soon as it is used. A
        // whole-file filter or index grows with the file (about 1 MiB for a 45 MiB file of
        // 200,000 users), so with one per file every key lookup missed the cache and read and
        // checksummed the whole filter again. Partitioned filters and indexes keep each cached
        // block near 4 KiB (the top level of each is pinned), and fewer, larger shards hold
        // what they are given.
        let mut lru = rocksdb::LruCacheOptions::default();
        lru.set_capacity(settings.block_cache_mb.max(1) << 20);
        lru.set_num_shard_bits(2);
        let cache = Cache::new_lru_cache_opts(&lru);
        let mut table = BlockBasedOptions::default();
        table.set_block_cache(&cache);
        table.set_cache_index_and_filter_blocks(true);
        table.set_cache_index_and_filter_blocks_with_high_priority(true);
        table.set_pin_l0_filter_and_index_blocks_in_cache(true);
        table.set_pin_top_level_index_and_filter(true);
        table.set_index_type(rocksdb::BlockBasedIndexType::TwoLevelIndexSearch);
        table.set_partition_filters(true);
        table.set_bloom_filter(10.0, false);
        opts.set_block_based_table_factory(&table);
        let db = DB::open(&opts, dir).map_err(|e| {
            let s = e.to_string();
            if s.contains("lock") || s.contains("Resource temporarily unavailable") {
                format!(
                    "the store at {} is in use by another process (is `rgw-admin serve` running on it?): {s}",
                    dir.display()
                )
            } else {
                format!("cannot open store at {}: {s}", dir.display())
            }
        })?;
        if db
            .get(schema::SCHEMA_KEY)
            .map_err(|e| e.to_string())?
            .is_none()
        {
            let mut w = WriteOptions::default();
            w.set_sync(true);
            db.put_opt(schema::SCHEMA_KEY, schema::SCHEMA_VERSION, &w)
                .map_err(|e| e.to_string())?;
        }
        let db = Arc::new(db);
        let (tx, rx) = mpsc::unbounded_channel::<(Txn, Reply)>();
        let wdb = db.clone();
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(&wdb, rx))
            .map_err(|e| e.to_string())?;
        Ok(RocksStore {
            db,
            tx: RwLock::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            closed: AtomicBool::new(false),
        })
    }

    fn check_open(&self) -> StoreResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable);
        }
        Ok(())
    }
}

/// Run `f` against memory only; if RocksDB says that needs I/O, run it again on the blocking
/// pool with ordinary reads.
fn read<T: Send + 'static>(
    db: &Arc<DB>,
    f: impl Fn(&DB, ReadOptions) -> Result<T, rocksdb::Error> + Send + 'static,
) -> StoreFuture<StoreResult<T>> {
    let mut mem = ReadOptions::default();
    mem.set_read_tier(rocksdb::ReadTier::BlockCache);
    match f(db, mem) {
        Ok(v) => Box::pin(std::future::ready(Ok(v))),
        Err(e) if e.kind() == ErrorKind::Incomplete => {
            let db = db.clone();
            Box::pin(async move {
                tokio::task::spawn_blocking(move || f(&db, ReadOptions::default()).map_err(io))
                    .await
                    .map_err(|e| StoreError::Io(format!("read task: {e}")))?
            })
        }
        Err(e) => Box::pin(std::future::ready(Err(io(e)))),
    }
}

fn scan_with(
    db: &DB,
    mut ro: ReadOptions,
    prefix: &[u8],
    start: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<Entry>, rocksdb::Error> {
    if let Some(end) = super::past_prefix(prefix) {
        ro.set_iterate_upper_bound(end);
    }
    let from = match start {
        Some(s) if s > prefix => s,
        _ => prefix,
    };
    let mut out = Vec::new();
    let it = db.iterator_opt(
        rocksdb::IteratorMode::From(from, rocksdb::Direction::Forward),
        ro,
    );
    for item in it {
        if out.len() >= limit {
            break;
        }
        let (k, v) = item?;
        if !k.starts_with(prefix) {
            break;
        }
        out.push((k.to_vec(), v.to_vec()));
    }
    Ok(out)
}

/// Answers waiting for the fsync that makes them durable.
type Pending = Vec<(Reply, Result<u64, CommitError>)>;

/// Commits in two stages that overlap: this thread checks each group of transactions and
/// writes it to the WAL and memtable without waiting for the disk; the syncer thread fsyncs
/// the WAL once for every group written since its last fsync and only then answers them. So
/// the next group is checked and written while the previous one's fsync runs, and no
/// commit is acknowledged before it is on disk. (A reader may see a write a little before
/// its writer is told it is durable; a crash in between loses a write nobody was promised.)
fn writer_loop(db: &Arc<DB>, mut rx: mpsc::UnboundedReceiver<(Txn, Reply)>) {
    let (sync_tx, sync_rx) = std::sync::mpsc::channel::<Pending>();
    let sdb = db.clone();
    let syncer = std::thread::Builder::new()
        .name("store-sync".into())
        .spawn(move || sync_loop(&sdb, sync_rx))
        .expect("store sync thread");
    let mut seq: u64 = 0;
    let unsynced = WriteOptions::default();
    while let Some(first) = rx.blocking_recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(x) => group.push(x),
                Err(_) => break,
            }
        }
        crate::metrics::get().group_commit(group.len());
        let mut staged = Staged::default();
        let mut batch = WriteBatch::default();
        let mut outcomes: Pending = Vec::with_capacity(group.len());
        for (txn, reply) in group {
            let res = apply(db, &txn, &mut staged, &mut batch).map(|()| {
                seq += 1;
                seq
            });
            outcomes.push((reply, res));
        }
        if !batch.is_empty() {
            if let Err(e) = db.write_opt(batch, &unsynced) {
                for (reply, res) in outcomes {
                    let _ = reply.send(res.and(Err(CommitError::Store(io(e.clone())))));
                }
                continue;
            }
        }
        if sync_tx.send(outcomes).is_err() {
            break;
        }
    }
    drop(sync_tx);
    let _ = syncer.join();
}

/// fsync the WAL for everything written so far, then answer those commits. After a failed
/// fsync nothing more is acknowledged: what was written may not be on disk.
fn sync_loop(db: &DB, rx: std::sync::mpsc::Receiver<Pending>) {
    let mut failed = false;
    while let Ok(first) = rx.recv() {
        let mut waiting = vec![first];
        while let Ok(more) = rx.try_recv() {
            waiting.push(more);
        }
        let any_write = waiting.iter().flatten().any(|(_, r)| r.is_ok());
        if any_write && !failed {
            if let Err(e) = db.flush_wal(true) {
                tracing::error!(error = %e, "store: fsync of the write-ahead log failed; refusing writes");
                failed = true;
            }
        }
        for (reply, res) in waiting.into_iter().flatten() {
            let res = match res {
                Ok(_) if failed => Err(CommitError::Store(StoreError::Unavailable)),
                r => r,
            };
            let _ = reply.send(res);
        }
    }
}

/// Writes accepted so far in a group, which later transactions of the group must see.
#[derive(Default)]
struct Staged {
    /// key → new value (None = deleted).
    keys: HashMap<Vec<u8>, Option<Vec<u8>>>,
    /// Prefixes deleted; a key under one reads as absent unless written after (in `keys`).
    gone: Vec<Vec<u8>>,
}

impl Staged {
    fn get(&self, k: &[u8]) -> Option<Option<Vec<u8>>> {
        match self.keys.get(k) {
            Some(v) => Some(v.clone()),
            None => self.gone.iter().any(|p| k.starts_with(p)).then_some(None),
        }
    }

    fn delete_prefix(&mut self, prefix: &[u8]) {
        self.keys.retain(|k, _| !k.starts_with(prefix));
        self.gone.push(prefix.to_vec());
    }
}

/// Check one transaction against the database and the group so far; if it holds, add its
/// writes to the batch. A read error fails the transaction (a counter is never reset
/// because its current value could not be read).
fn apply(
    db: &DB,
    txn: &Txn,
    staged: &mut Staged,
    batch: &mut WriteBatch,
) -> Result<(), CommitError> {
    let current = |staged: &Staged, k: &[u8]| match staged.get(k) {
        Some(v) => Ok(v),
        None => db.get(k).map_err(io),
    };
    for (k, want) in &txn.checks {
        if current(staged, k)? != *want {
            return Err(CommitError::Conflict);
        }
    }
    if let Some(k) = txn.written_under_deleted_prefix() {
        return Err(under_deleted_prefix(k).into());
    }
    let ranges = txn
        .delete_prefixes
        .iter()
        .map(|p| super::past_prefix(p))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| StoreError::Io("cannot delete an all-0xff prefix".into()))?;
    // Read every counter before staging anything, so a failed read leaves the group as it was.
    // Several increments of one key in a transaction add up (each reading the stored value
    // would keep only the last).
    let mut counters: Vec<(&Vec<u8>, Vec<u8>)> = Vec::with_capacity(txn.incrs.len());
    for (k, d) in &txn.incrs {
        if let Some((_, v)) = counters.iter_mut().find(|(ck, _)| *ck == k) {
            *v = super::add_counters(Some(v), d);
            continue;
        }
        let cur = current(staged, k)?;
        counters.push((k, super::add_counters(cur.as_deref(), d)));
    }
    for (k, v) in counters {
        batch.put(k, &v);
        staged.keys.insert(k.clone(), Some(v));
    }
    for (p, end) in txn.delete_prefixes.iter().zip(ranges) {
        batch.delete_range(p, &end);
        staged.delete_prefix(p);
    }
    for k in &txn.deletes {
        batch.delete(k);
        staged.keys.insert(k.clone(), None);
    }
    for (k, v) in &txn.puts {
        batch.put(k, v);
        staged.keys.insert(k.clone(), Some(v.clone()));
    }
    Ok(())
}

impl MetadataStore for RocksStore {
    fn get(&self, key: &[u8]) -> StoreFuture<StoreResult<Option<Vec<u8>>>> {
        if let Err(e) = self.check_open() {
            return Box::pin(std::future::ready(Err(e)));
        }
        let key = key.to_vec();
        read(&self.db, move |db, ro| db.get_opt(&key, &ro))
    }

    fn scan(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        limit: usize,
    ) -> StoreFuture<StoreResult<Vec<Entry>>> {
        if let Err(e) = self.check_open() {
            return Box::pin(std::future::ready(Err(e)));
        }
        let (prefix, start) = (prefix.to_vec(), start.map(<[u8]>::to_vec));
        read(&self.db, move |db, ro| {
            scan_with(db, ro, &prefix, start.as_deref(), limit)
        })
    }

    fn commit(&self, txn: Txn) -> StoreFuture<Result<u64, CommitError>> {
        let (rtx, rrx) = oneshot::channel();
        let sent = match self.tx.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            Some(tx) => tx.send((txn, rtx)).is_ok(),
            None => false,
        };
        let start = std::time::Instant::now();
        Box::pin(async move {
            if !sent {
                return Err(CommitError::Store(StoreError::Unavailable));
            }
            let res = rrx
                .await
                .unwrap_or(Err(CommitError::Store(StoreError::Unavailable)));
            crate::metrics::get().commit(start.elapsed());
            res
        })
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::AcqRel) {
            return;
        }
        // Dropping the sender ends the writer loop after it has answered everything queued.
        self.tx.write().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
        let _ = self.db.flush_wal(true);
    }
}

impl Drop for RocksStore {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{decode_counters, Store};

    fn tmp() -> std::path::PathBuf {
        std::env::temp_dir().join(format!(
            "rgw-admin-rocks-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ))
    }

    #[tokio::test]
    async fn conditional_commit_and_scan() {
        let dir = tmp();
        let s = RocksStore::open(&dir, RocksSettings::default()).unwrap();
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
        // counters add up, also within one group
        let mut t = Txn::default();
        t.incr("c", vec![1, 10]);
        let (a, b) = tokio::join!(s.commit(t.clone()), s.commit(t));
        a.unwrap();
        b.unwrap();
        let c = decode_counters(&s.get(b"c").await.unwrap().unwrap());
        assert_eq!(c, vec![2, 20]);
        // and within one transaction
        let mut t = Txn::default();
        t.incr("c", vec![1]).incr("c", vec![0, 5, 7]);
        s.commit(t).await.unwrap();
        let c = decode_counters(&s.get(b"c").await.unwrap().unwrap());
        assert_eq!(c, vec![3, 25, 7]);
        assert_eq!(s.scan(b"user/", None, 10).await.unwrap().len(), 0);
        // a second open while the first is live is refused with a clear message
        let err = RocksStore::open(&dir, RocksSettings::default())
            .err()
            .unwrap();
        assert!(err.contains("in use"), "{err}");
        s.close();
        assert_eq!(s.get(b"c").await, Err(StoreError::Unavailable));
        drop(s);
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn scans_start_inclusive_and_stay_in_prefix() {
        let dir = tmp();
        let s = RocksStore::open(&dir, RocksSettings::default()).unwrap();
        let mut t = Txn::default();
        for k in ["a/1", "a/2", "a/3", "b/1", "a"] {
            t.put(k, "v");
        }
        s.commit(t).await.unwrap();
        let keys = |v: Vec<Entry>| {
            v.into_iter()
                .map(|(k, _)| String::from_utf8(k).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            keys(s.scan(b"a/", None, 10).await.unwrap()),
            ["a/1", "a/2", "a/3"]
        );
        assert_eq!(
            keys(s.scan(b"a/", Some(b"a/2"), 10).await.unwrap()),
            ["a/2", "a/3"]
        );
        assert_eq!(keys(s.scan(b"a/", Some(b"a/"), 1).await.unwrap()), ["a/1"]);
        // a start before the prefix starts at the prefix
        assert_eq!(keys(s.scan(b"a/", Some(b"0"), 10).await.unwrap()).len(), 3);
        let store: Store = Arc::new(s);
        let mut pages = Vec::new();
        crate::store::for_each_page(&store, b"a/", 2, |p| {
            pages.push(p.len());
            true
        })
        .await
        .unwrap();
        assert_eq!(pages, [2, 1]);
        store.close();
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_creates_one_winner() {
        let dir = tmp();
        let s: Store = Arc::new(RocksStore::open(&dir, RocksSettings::default()).unwrap());
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let s = s.clone();
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
        s.close();
        std::fs::remove_dir_all(dir).ok();
    }
}
