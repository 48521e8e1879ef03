//! etcd engine: the same `MetadataStore` on a cluster several gateways share.
//!
//! * Every key lives under `prefix` (so one etcd cluster can hold several stores).
//! * `get`/`scan` are linearizable range reads; a scan pages with etcd's own limit.
//! * A commit is one etcd transaction: the `checks` are its compares (value equals, or
//!   version 0 for "absent"), the puts and deletes its operations, each increment one new
//!   delta key (`counters.rs`), and a write id (`schema::write_id`, leased so it expires)
//!   whose absence is one more compare. A commit whose answer is lost (a member died, a
//!   timeout) is sent again, unchanged, to the next member: if the first attempt applied,
//!   the write-id compare fails and the failure branch finds the id, so the commit reports
//!   success with the first attempt's revision; it never applies twice and is never
//!   reported failed when it applied.
//! * The commit number is etcd's revision, which every gateway sees in the same order: the
//!   caches' ordering rules hold across gateways (see `watch.rs`).
//!
//! etcd refuses transactions of more than 128 operations (or compares) and requests over
//! 1.5 MiB; such a commit is refused here first, with a message that says so.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use etcd_client::{
    Compare, CompareOp, DeleteOptions, GetOptions, PutOptions, Txn as EtcdTxn, TxnOp, TxnOpResponse,
};

use super::{
    add_counters, past_prefix, schema, under_deleted_prefix, CommitError, Entry, MetadataStore,
    StoreError, StoreFuture, StoreResult, Txn,
};

mod client;
mod counters;
mod watch;

use client::Pool;
pub use client::Timeouts;

/// etcd's default `--max-txn-ops`.
pub const MAX_TXN_OPS: usize = 128;
/// etcd's default `--max-request-bytes` (1.5 MiB), less room for the request's framing.
pub const MAX_REQUEST_BYTES: usize = 1536 * 1024 - 16 * 1024;
/// How long write ids live. A retried commit must find its id: far longer than
/// `Timeouts::total`.
const WRITE_ID_TTL: i64 = 300;
/// Rows per etcd range request of a scan.
const SCAN_BATCH: usize = 1000;

#[derive(Debug, Clone)]
pub struct EtcdSettings {
    pub endpoints: Vec<String>,
    /// Prepended to every key.
    pub prefix: String,
    pub timeouts: Timeouts,
}

pub struct EtcdStore {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pool: Pool,
    prefix: Vec<u8>,
    /// This process's name in write ids and counter deltas: random, so two gateways (or
    /// two runs of one) never make the same key.
    writer: String,
    seq: AtomicU64,
    lease: tokio::sync::Mutex<Option<(i64, Instant)>>,
    closed: AtomicBool,
    /// Increments per counter since its last fold (`counters::note_increments`).
    increments: Mutex<HashMap<Vec<u8>, u32>>,
}

impl Inner {
    fn full(&self, key: &[u8]) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.prefix.len() + key.len());
        v.extend_from_slice(&self.prefix);
        v.extend_from_slice(key);
        v
    }

    fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    fn check_open(&self) -> StoreResult<()> {
        if self.closed.load(Ordering::Acquire) {
            return Err(StoreError::Unavailable);
        }
        Ok(())
    }

    /// The lease write ids are attached to: granted anew every third of its life, so any id
    /// outlives a commit's retries by minutes. Old leases simply expire.
    async fn lease(&self) -> StoreResult<i64> {
        let mut l = self.lease.lock().await;
        if let Some((id, at)) = *l {
            if at.elapsed() < Duration::from_secs(WRITE_ID_TTL as u64 / 3) {
                return Ok(id);
            }
        }
        let resp = self
            .pool
            .call("lease grant", |mut c| async move {
                c.lease_grant(WRITE_ID_TTL, None).await
            })
            .await?;
        *l = Some((resp.id(), Instant::now()));
        Ok(resp.id())
    }
}

impl EtcdStore {
    /// Connect (lazily: a cluster that is down now makes calls fail, not this) and check
    /// the cluster answers, so a wrong endpoint list is reported at start.
    pub async fn open(settings: EtcdSettings) -> Result<EtcdStore, String> {
        let pool = Pool::new(&settings.endpoints, settings.timeouts)?;
        let inner = Arc::new(Inner {
            pool,
            prefix: settings.prefix.into_bytes(),
            writer: hex::encode(rand::random::<[u8; 6]>()),
            seq: AtomicU64::new(0),
            lease: tokio::sync::Mutex::new(None),
            closed: AtomicBool::new(false),
            increments: Mutex::new(HashMap::new()),
        });
        let store = EtcdStore { inner };
        store.inner.lease().await.map_err(|e| {
            format!(
                "etcd at {}: {e}",
                settings
                    .endpoints
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        })?;
        // A new store gets the current schema version, as RocksDB's does.
        let mut t = Txn::default();
        t.expect(schema::SCHEMA_KEY, None)
            .put(schema::SCHEMA_KEY, schema::SCHEMA_VERSION);
        match commit(&store.inner, t).await {
            Ok(_) | Err(CommitError::Conflict) => {}
            Err(CommitError::Store(e)) => return Err(format!("etcd: {e}")),
        }
        Ok(store)
    }
}

async fn get(inner: Arc<Inner>, key: Vec<u8>) -> StoreResult<Option<Vec<u8>>> {
    inner.check_open()?;
    if schema::is_counter(&key) {
        let g = counters::read_group(&inner, &key).await?;
        if g.keys > counters::FOLD_AT {
            counters::spawn_fold(&inner, key);
        }
        return Ok(g.value);
    }
    let full = inner.full(&key);
    let mut resp = inner
        .pool
        .call("get", |mut c| {
            let k = full.clone();
            async move { c.get(k, None).await }
        })
        .await?;
    Ok(resp
        .take_kvs()
        .into_iter()
        .next()
        .map(|kv| kv.value().to_vec()))
}

/// Up to `limit` keys under `prefix` from `start`, counters summed (a counter's deltas sort
/// right after it, so a group is contiguous; a page ends only after a group is complete).
async fn scan(
    inner: Arc<Inner>,
    prefix: Vec<u8>,
    start: Option<Vec<u8>>,
    limit: usize,
) -> StoreResult<Vec<Entry>> {
    inner.check_open()?;
    let from = match start {
        Some(s) if s > prefix => s,
        _ => prefix.clone(),
    };
    let full_prefix = inner.full(&prefix);
    let end = past_prefix(&full_prefix).unwrap_or_else(|| vec![0]);
    let mut cursor = inner.full(&from);
    let mut out: Vec<Entry> = Vec::new();
    // The group being summed: logical key, value.
    let mut cur: Option<(Vec<u8>, Vec<u8>)> = None;
    if limit == 0 {
        return Ok(out);
    }
    loop {
        let batch = SCAN_BATCH.min(limit.saturating_add(1)) as i64;
        let mut resp = inner
            .pool
            .call("scan", |mut c| {
                let (k, end) = (cursor.clone(), end.clone());
                async move {
                    c.get(k, Some(GetOptions::new().with_range(end).with_limit(batch)))
                        .await
                }
            })
            .await?;
        let more = resp.more();
        let kvs = resp.take_kvs();
        if let Some(last) = kvs.last() {
            cursor = super::after(last.key());
        }
        for kv in kvs {
            let key = &kv.key()[inner.prefix.len()..];
            let (logical, is_delta) = match schema::delta_of(key) {
                Some(base) => (base, true),
                None => (key, false),
            };
            // Deltas of a key before `start` (`start` = after(key) when paging).
            if logical < from.as_slice() {
                continue;
            }
            match &mut cur {
                Some((k, v)) if k.as_slice() == logical => {
                    *v = counters::merge(Some(std::mem::take(v)), is_delta, kv.value())
                        .unwrap_or_default();
                }
                _ => {
                    if let Some(done) = cur.take() {
                        out.push(done);
                        if out.len() >= limit {
                            return Ok(out);
                        }
                    }
                    let v = counters::merge(None, is_delta, kv.value()).unwrap_or_default();
                    cur = Some((logical.to_vec(), v));
                }
            }
        }
        if !more {
            out.extend(cur);
            out.truncate(limit);
            return Ok(out);
        }
    }
}

/// A transaction in etcd's terms, with the bookkeeping to answer it.
struct Prepared {
    txn: EtcdTxn,
    wid: Vec<u8>,
    counters: Vec<Vec<u8>>,
}

/// Translate `t` with RocksDB's semantics: checks first; then increments, deletes and puts
/// in that order, so a delete or put of a key drops its increments and a put wins over a
/// delete of the same key (etcd itself refuses a transaction naming one key twice).
async fn prepare(inner: &Inner, t: Txn) -> Result<Prepared, CommitError> {
    let mut compares: Vec<Compare> = Vec::new();
    let mut size = 0usize;
    for (k, want) in &t.checks {
        size += k.len() + want.as_ref().map_or(0, Vec::len) + 16;
        if schema::is_counter(k) {
            let g = counters::read_group(inner, k).await?;
            if g.value != *want {
                return Err(CommitError::Conflict);
            }
            compares.extend(counters::unchanged(inner, k, &g));
            continue;
        }
        let full = inner.full(k);
        compares.push(match want {
            Some(v) => Compare::value(full, CompareOp::Equal, v.clone()),
            None => Compare::version(full, CompareOp::Equal, 0),
        });
    }
    let mut puts: BTreeMap<&[u8], &[u8]> = BTreeMap::new();
    for (k, v) in &t.puts {
        puts.insert(k, v);
    }
    if let Some(k) = t.written_under_deleted_prefix() {
        return Err(under_deleted_prefix(k).into());
    }
    let mut deletes: BTreeMap<&[u8], ()> = BTreeMap::new();
    for k in &t.deletes {
        // A key under a deleted prefix goes with it (etcd refuses naming it twice).
        if !puts.contains_key(k.as_slice()) && !t.deletes_prefix_of(k) {
            deletes.insert(k, ());
        }
    }
    let mut incrs: BTreeMap<&[u8], Vec<u8>> = BTreeMap::new();
    for (k, d) in &t.incrs {
        if puts.contains_key(k.as_slice()) || deletes.contains_key(k.as_slice()) {
            continue;
        }
        let e = incrs.entry(k).or_default();
        *e = add_counters(Some(e), d);
    }
    let lease = inner.lease().await?;
    let mut ops: Vec<TxnOp> = Vec::new();
    let mut counters = Vec::new();
    // A stored value (or a deletion) replaces a counter's sum: its deltas go.
    let drop_deltas = |ops: &mut Vec<TxnOp>, k: &[u8], full: &[u8]| {
        if schema::is_counter(k) {
            let (_, end) = counters::group_range(full);
            ops.push(TxnOp::delete(
                schema::deltas(full),
                Some(DeleteOptions::new().with_range(end)),
            ));
        }
    };
    for (k, v) in &puts {
        size += k.len() + v.len() + 16;
        let full = inner.full(k);
        drop_deltas(&mut ops, k, &full);
        ops.push(TxnOp::put(full, v.to_vec(), None));
    }
    for k in deletes.keys() {
        size += 2 * k.len() + 16;
        let full = inner.full(k);
        drop_deltas(&mut ops, k, &full);
        ops.push(TxnOp::delete(full, None));
    }
    for p in &t.delete_prefixes {
        size += 2 * p.len() + 16;
        ops.push(TxnOp::delete(
            inner.full(p),
            Some(DeleteOptions::new().with_prefix()),
        ));
    }
    for (k, v) in incrs {
        size += 2 * k.len() + v.len() + 40;
        let key = schema::counter_delta(k, &inner.writer, inner.next_seq());
        ops.push(TxnOp::put(inner.full(&key), v, None));
        counters.push(k.to_vec());
    }
    let wid = inner.full(&schema::write_id(&inner.writer, inner.next_seq()));
    compares.push(Compare::version(wid.clone(), CompareOp::Equal, 0));
    ops.push(TxnOp::put(
        wid.clone(),
        Vec::new(),
        Some(PutOptions::new().with_lease(lease)),
    ));
    if compares.len() > MAX_TXN_OPS || ops.len() > MAX_TXN_OPS || size > MAX_REQUEST_BYTES {
        return Err(CommitError::Store(StoreError::Io(format!(
            "transaction too large for etcd: {} operations and {} compares in {size} bytes \
             (etcd allows {MAX_TXN_OPS} of each and {MAX_REQUEST_BYTES} bytes)",
            ops.len(),
            compares.len()
        ))));
    }
    let txn = EtcdTxn::new()
        .when(compares)
        .and_then(ops)
        .or_else(vec![TxnOp::get(wid.clone(), None)]);
    Ok(Prepared { txn, wid, counters })
}

async fn commit(inner: &Arc<Inner>, t: Txn) -> Result<u64, CommitError> {
    inner.check_open()?;
    let p = prepare(inner, t).await?;
    let resp = inner
        .pool
        .call("commit", |mut c| {
            let txn = p.txn.clone();
            async move { c.txn(txn).await }
        })
        .await
        .map_err(StoreError::from)?;
    let rev = if resp.succeeded() {
        resp.header().map(|h| h.revision()).unwrap_or(0)
    } else {
        // Our own write id present: an earlier attempt of this very commit applied.
        let applied = resp.op_responses().into_iter().find_map(|r| match r {
            TxnOpResponse::Get(g) => g
                .kvs()
                .iter()
                .find(|kv| kv.key() == p.wid.as_slice())
                .map(|kv| kv.mod_revision()),
            _ => None,
        });
        match applied {
            Some(rev) => rev,
            None => return Err(CommitError::Conflict),
        }
    };
    if !p.counters.is_empty() {
        counters::note_increments(inner, p.counters);
    }
    Ok(rev.max(0) as u64)
}

impl MetadataStore for EtcdStore {
    fn get(&self, key: &[u8]) -> StoreFuture<StoreResult<Option<Vec<u8>>>> {
        Box::pin(get(self.inner.clone(), key.to_vec()))
    }

    fn scan(
        &self,
        prefix: &[u8],
        start: Option<&[u8]>,
        limit: usize,
    ) -> StoreFuture<StoreResult<Vec<Entry>>> {
        Box::pin(scan(
            self.inner.clone(),
            prefix.to_vec(),
            start.map(<[u8]>::to_vec),
            limit,
        ))
    }

    fn commit(&self, txn: Txn) -> StoreFuture<Result<u64, CommitError>> {
        let inner = self.inner.clone();
        Box::pin(async move { commit(&inner, txn).await })
    }

    fn changes(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<super::Change>> {
        Some(watch::start(self.inner.clone()))
    }

    fn close(&self) {
        // Every write was acknowledged by a quorum before it was answered: nothing to flush.
        self.inner.closed.store(true, Ordering::Release);
    }
}

impl Drop for EtcdStore {
    fn drop(&mut self) {
        self.close();
    }
}
