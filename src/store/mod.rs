//! The metadata store: an ordered key-value map with atomic, conditional multi-key commits.
//!
//! This is the seam for a distributed engine: RocksDB (embedded, the default) implements it
//! here; etcd maps onto it directly (a `Txn` is an etcd transaction whose compares are the
//! `checks`). Everything above it (users, indexes, caches) is engine-independent. The key
//! layout is documented in `schema.rs`.

use crate::error::Result;

pub mod rocks;
pub mod schema;

/// One atomic change: every check must hold (the key's current value equals the expected
/// value, `None` meaning absent), and then all puts and deletes apply together, or nothing
/// does.
#[derive(Debug, Default, Clone)]
pub struct Txn {
    pub checks: Vec<(Vec<u8>, Option<Vec<u8>>)>,
    pub puts: Vec<(Vec<u8>, Vec<u8>)>,
    pub deletes: Vec<Vec<u8>>,
    /// Counters: the stored value (a vector of little-endian i64, absent = zeros) gets
    /// these deltas added element-wise. Concurrent increments never conflict, which keeps
    /// bucket stats exact without making every upload to a bucket race on one record.
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
    pub fn incr(&mut self, key: impl Into<Vec<u8>>, deltas: Vec<i64>) -> &mut Self {
        self.incrs.push((key.into(), deltas));
        self
    }
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

/// Add `deltas` to the counters in `cur` (missing entries count as zero).
pub fn add_counters(cur: Option<&[u8]>, deltas: &[i64]) -> Vec<u8> {
    let mut v = cur.map(decode_counters).unwrap_or_default();
    if v.len() < deltas.len() {
        v.resize(deltas.len(), 0);
    }
    for (a, d) in v.iter_mut().zip(deltas) {
        *a += d;
    }
    encode_counters(&v)
}

/// Why a commit did not apply.
#[derive(Debug)]
pub enum CommitError {
    /// A check failed: someone else changed one of the keys. Re-read and retry.
    Conflict,
    Store(crate::error::Error),
}

/// Blocking calls: async callers run them on the blocking pool.
pub trait MetadataStore: Send + Sync + 'static {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>>;
    /// All entries whose key starts with `prefix`, in key order.
    fn scan(&self, prefix: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        self.scan_range(prefix, None, usize::MAX)
    }
    /// Up to `limit` entries under `prefix` whose key is greater than `after`, in order.
    fn scan_range(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>>;
    /// Apply `txn` atomically and durably; returns a number that grows with every commit,
    /// so caches can order the results of concurrent commits.
    fn commit(&self, txn: Txn) -> std::result::Result<u64, CommitError>;
    /// Flush and release the engine; later calls fail.
    fn close(&self);
}
