//! The metadata store: an ordered key-value map with atomic, conditional multi-key commits.
//!
//! This is the seam for a second engine: RocksDB (embedded, the default) implements it in
//! `rocks.rs`; a distributed KV maps onto it directly (a `Txn` is a transaction whose compares
//! are the `checks`). Everything above it (users, buckets, the object index, their caches) is
//! engine-independent. The key layout is in `schema.rs`. The store knows nothing of HTTP,
//! JSON documents or the usage log: it stores bytes under keys.
//!
//! Every call is asynchronous and never blocks the caller's thread: an engine either answers
//! from memory at once or moves the work off the runtime (RocksDB: reads that would touch the
//! disk run on the blocking pool, commits are queued to one writer thread that answers on a
//! oneshot channel).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub mod etcd;
pub mod follower;
pub mod rocks;
pub mod schema;

/// A failure of the engine itself (I/O, corruption, a closed store).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable")]
    Unavailable,
    #[error("no space left on the store's disk")]
    Full,
    #[error("store I/O: {0}")]
    Io(String),
}

pub type StoreResult<T> = std::result::Result<T, StoreError>;

/// Why a commit did not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    /// A check failed: someone else changed one of the keys. Re-read and retry.
    #[error("conflicting commit")]
    Conflict,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One atomic change: every check must hold (the key's current value equals the expected
/// value, `None` meaning absent), and then all puts and deletes apply together, or nothing
/// does. They apply as increments, prefix deletions, deletions, puts, in that order: a
/// later one wins over an earlier one on the same key.
#[derive(Debug, Default, Clone)]
pub struct Txn {
    pub checks: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    pub deletes: Vec<Vec<u8>>,
    /// Every key under each of these prefixes is deleted, whatever their number (one
    /// operation on etcd, whose transactions allow 128). No put or increment of the same
    /// transaction may fall under one (etcd refuses that), nor may a counter be stored there.
    pub delete_prefixes: Vec<Vec<u8>>,
    /// Counters: the stored value (a vector of little-endian i64, absent = zeros) gets
    /// these deltas added element-wise. Concurrent increments never conflict, which keeps
    /// bucket stats exact without making every upload to a bucket race on one record.
    /// Several increments of one key in a transaction add up.
    pub incrs: Vec<(Vec<u8>, Vec<i64>)>,
}

impl Txn {
    pub fn expect(&mut self, key: impl Into<Vec<u8>>, value: Option<Vec<u8>>) -> &mut Self {
        self.checks.push((key.into(), value));
        self
    }
    pub fn put(&mut self, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) -> &mut Self {
        self.puts.push((key.into(), value.into()));
        self
    }
    pub fn delete(&mut self, key: impl Into<Vec<u8>>) -> &mut Self {
        self.deletes.push(key.into());
        self
    }
    pub fn delete_prefix(&mut self, prefix: impl Into<Vec<u8>>) -> &mut Self {
        self.delete_prefixes.push(prefix.into());
        self
    }
    pub fn incr(&mut self, key: impl Into<Vec<u8>>, deltas: Vec<i64>) -> &mut Self {
        self.incrs.push((key.into(), deltas));
        self
    }
    /// Does one of the deleted prefixes cover `k`?
    pub fn deletes_prefix_of(&self, k: &[u8]) -> bool {
        self.delete_prefixes.iter().any(|p| k.starts_with(p))
    }

    /// A put or increment under one of the deleted prefixes, which both engines refuse.
    pub fn written_under_deleted_prefix(&self) -> Option<&[u8]> {
        self.puts
            .iter()
            .map(|(k, _)| k)
            .chain(self.incrs.iter().map(|(k, _)| k))
            .find(|k| self.deletes_prefix_of(k))
            .map(Vec::as_slice)
    }

    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
            && self.puts.is_empty()
            && self.deletes.is_empty()
            && self.delete_prefixes.is_empty()
            && self.incrs.is_empty()
    }
}

/// The refusal of a transaction that writes under a prefix it deletes.
pub(crate) fn under_deleted_prefix(k: &[u8]) -> StoreError {
    StoreError::Io(format!(
        "a transaction writes {} under a prefix it deletes",
        String::from_utf8_lossy(k)
    ))
}

/// Decode a counter vector written by `Txn::incr`.
pub fn decode_counters(v: &[u8]) -> Vec<i64> {
    v.chunks_exact(8)
        .map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect()
}

pub fn encode_counters(v: &[i64]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// Add `deltas` to the counters in `cur` (missing entries count as zero). Saturates: a
/// counter never wraps, whatever a caller adds.
pub fn add_counters(cur: Option<&[u8]>, deltas: &[i64]) -> Vec<u8> {
    let mut v = cur.map(decode_counters).unwrap_or_default();
    if v.len() < deltas.len() {
        v.resize(deltas.len(), 0);
    }
    for (a, d) in v.iter_mut().zip(deltas) {
        *a = a.saturating_add(*d);
    }
    encode_counters(&v)
}

pub type StoreFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

/// An engine. Calls return futures that own what they need, so callers can hold them across
/// awaits without borrowing the store.
pub trait MetadataStore: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> StoreFuture<StoreResult<Option<Vec<u8>>>>;
    /// Up to `limit` entries whose key starts with `prefix` and is `>= start` (the prefix
    /// itself when `None`), in key order.
    fn scan(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        limit: usize,
    ) -> StoreFuture<StoreResult<Vec<Entry>>>;
    /// Apply `txn` atomically and durably; returns a number that grows with every commit,
    /// so caches can order the results of concurrent commits.
    fn commit(&self, txn: Txn) -> StoreFuture<Result<u64, CommitError>>;
    /// Changes other processes make to a store they share with this one, for caches to
    /// follow. `None` (the default) when nobody else can write, as with the embedded
    /// RocksDB. Called once, by whoever owns the caches.
    fn changes(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<Change>> {
        None
    }
    /// Flush and release the engine; later calls fail with `Unavailable`.
    fn close(&self);
}

/// One item of a shared store's change feed (`MetadataStore::changes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The feed is complete from now on: forget what may have been missed, serve again.
    Live,
    /// The feed may be missing changes: stop serving cached records until `Live`.
    Lost,
    /// `key` changed (was written or deleted) by the commit numbered `rev`.
    Key { key: Vec<u8>, rev: u64 },
}

/// The store as the rest of the gateway holds it.
pub type Store = Arc<dyn MetadataStore>;

/// The smallest key greater than `key` (`key ++ 0x00`), for "start after" scans.
pub fn after(key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.extend_from_slice(key);
    k.push(0);
    k
}

/// The first key past every key that starts with `prefix` (`prefix ++ 0xff...` is not
/// enough for binary keys; this increments the last byte that can be incremented).
pub fn past_prefix(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut k = prefix.to_vec();
    while let Some(last) = k.pop() {
        if last < 0xff {
            k.push(last + 1);
            return Some(k);
        }
    }
    None
}

/// Every entry under `prefix`, read in pages of `page` entries, handed to `f` page by page
/// (so memory holds one page, whatever the prefix holds). `f` returns false to stop.
pub async fn for_each_page(
    store: &Store,
    prefix: &[u8],
    page: usize,
    mut f: impl FnMut(Vec<Entry>) -> bool,
) -> StoreResult<()> {
    let mut start: Option<Vec<u8>> = None;
    loop {
        let batch = store.scan(prefix, start.as_deref(), page).await?;
        let done = batch.len() < page;
        start = batch.last().map(|(k, _)| after(k));
        if !f(batch) || done {
            return Ok(());
        }
    }
}

/// Create `dir` (and its parents) readable by this user only: the store holds every secret.
/// An existing directory is left as it is.
pub fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Bounded retries of a read-modify-write that lost a race: `next()` waits a little (more
/// each time) and fails with `Conflict` after the last attempt.
pub struct Retry {
    attempt: u32,
}

/// Attempts before a read-modify-write gives up.
pub const MAX_ATTEMPTS: u32 = 64;

impl Default for Retry {
    fn default() -> Self {
        Self::new()
    }
}

impl Retry {
    pub fn new() -> Retry {
        Retry { attempt: 0 }
    }

    /// Call after a `Conflict`: `Ok` to try again, `Err(Conflict)` when out of attempts.
    pub async fn next(&mut self) -> Result<(), CommitError> {
        self.attempt += 1;
        if self.attempt >= MAX_ATTEMPTS {
            return Err(CommitError::Conflict);
        }
        // The winner's cache update lands right after its commit returns: give it a moment,
        // growing a little with each lost race (at most ~2 ms).
        let us = 50u64 << self.attempt.min(5);
        tokio::time::sleep(std::time::Duration::from_micros(us)).await;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_saturate_and_extend() {
        let v = add_counters(None, &[1, 2]);
        assert_eq!(decode_counters(&v), vec![1, 2]);
        let v = add_counters(Some(&v), &[i64::MAX, -3, 7]);
        assert_eq!(decode_counters(&v), vec![i64::MAX, -1, 7]);
    }

    #[test]
    fn key_bounds() {
        assert_eq!(after(b"a"), b"a\0".to_vec());
        assert_eq!(past_prefix(b"obj/b/"), Some(b"obj/b0".to_vec()));
        assert_eq!(past_prefix(b"a\xff"), Some(b"b".to_vec()));
        assert_eq!(past_prefix(b"\xff"), None);
    }
}
