//! Counters without a hot key.
//!
//! etcd has no atomic add: incrementing one stored vector is a read-modify-write, and every
//! object PUT to a bucket would race on its stats record (a conflict, a re-read and a retry
//! per concurrent writer). Instead each increment is written as a new key of its own
//! (`<counter>\0\xff<writer>-<n>`, see `schema::counter_delta`), which no other writer can
//! touch, so increments never conflict. A read sums the counter's base value and its deltas,
//! which sort right after it. Deltas are folded into the base now and then (by the writer
//! after every `FOLD_EVERY` increments of one counter, by a reader that meets more than
//! `FOLD_AT`), so a counter stays a bounded number of keys.
//!
//! A check on a counter ("its sum is still X") reads the group at revision R and compares
//! "no key of the group changed after R" (a ranged `mod_revision < R+1`, which also catches
//! new deltas) plus "the first key read is still the one read" (which catches the group
//! having been deleted: an empty range passes the first compare).

use etcd_client::{Compare, CompareOp, GetOptions, Txn as EtcdTxn, TxnOp};

use super::Inner;
use crate::store::{add_counters, decode_counters, past_prefix, schema, StoreResult};

/// Increments of one counter by this gateway between two folds.
pub const FOLD_EVERY: u32 = 64;
/// A reader folds a counter made of more keys than this.
pub const FOLD_AT: usize = 256;

/// A counter as read: its value (base plus deltas; `None` when it has no key at all).
pub struct Group {
    /// Revision the read saw.
    pub rev: i64,
    /// Full etcd key and mod revision of the first key read, if any.
    pub first: Option<(Vec<u8>, i64)>,
    pub keys: usize,
    pub value: Option<Vec<u8>>,
    /// The base value's mod revision and value, if stored.
    base: Option<(i64, Vec<u8>)>,
    /// Full etcd keys and values of the deltas.
    deltas: Vec<(Vec<u8>, Vec<u8>)>,
}

/// etcd key range `[start, end)` holding counter `key` (full etcd key) and its deltas.
pub fn group_range(full: &[u8]) -> (Vec<u8>, Vec<u8>) {
    let d = schema::deltas(full);
    let end = past_prefix(&d).unwrap_or_default();
    (full.to_vec(), end)
}

/// Add one key of a counter group to `acc`: the base (as stored) or a delta (added).
pub fn merge(acc: Option<Vec<u8>>, is_delta: bool, value: &[u8]) -> Option<Vec<u8>> {
    if !is_delta {
        return Some(value.to_vec());
    }
    Some(add_counters(acc.as_deref(), &decode_counters(value)))
}

pub async fn read_group(inner: &Inner, key: &[u8]) -> StoreResult<Group> {
    let full = inner.full(key);
    let (start, end) = group_range(&full);
    let mut resp = inner
        .pool
        .call("counter read", |mut c| {
            let (start, end) = (start.clone(), end.clone());
            async move { c.get(start, Some(GetOptions::new().with_range(end))).await }
        })
        .await?;
    let rev = resp.header().map(|h| h.revision()).unwrap_or(0);
    let deltas = schema::deltas(&full);
    let mut g = Group {
        rev,
        first: None,
        keys: 0,
        value: None,
        base: None,
        deltas: Vec::new(),
    };
    for kv in resp.take_kvs() {
        let is_delta = kv.key().starts_with(&deltas);
        // Keys like `<counter>\0<something>` sort inside the range but are not its deltas.
        if !is_delta && kv.key() != full.as_slice() {
            continue;
        }
        if g.first.is_none() {
            g.first = Some((kv.key().to_vec(), kv.mod_revision()));
        }
        g.keys += 1;
        g.value = merge(g.value.take(), is_delta, kv.value());
        if is_delta {
            g.deltas.push((kv.key().to_vec(), kv.value().to_vec()));
        } else {
            g.base = Some((kv.mod_revision(), kv.value().to_vec()));
        }
    }
    Ok(g)
}

/// The compares that hold while counter `key` is still as `g` read it.
pub fn unchanged(inner: &Inner, key: &[u8], g: &Group) -> Vec<Compare> {
    let (start, end) = group_range(&inner.full(key));
    let mut v = vec![Compare::mod_revision(start, CompareOp::Less, g.rev + 1).with_range(end)];
    if let Some((k, rev)) = &g.first {
        v.push(Compare::mod_revision(k.clone(), CompareOp::Equal, *rev));
    }
    v
}

/// Add the deltas a read saw (at most `MAX_FOLD` of them) into the base value and delete
/// them. Only those: deltas written meanwhile stay, so a fold never fails because of
/// concurrent increments. It fails (harmlessly, nothing applies) when the base changed
/// meanwhile (another fold, a delete) or one of its deltas is gone.
pub async fn fold(inner: &Inner, key: &[u8]) -> StoreResult<()> {
    /// Deltas folded by one transaction (etcd's limit is 128 operations).
    const MAX_FOLD: usize = 120;
    let g = read_group(inner, key).await?;
    if g.deltas.is_empty() {
        return Ok(());
    }
    let full = inner.full(key);
    let mut compares = vec![match &g.base {
        Some((rev, _)) => Compare::mod_revision(full.clone(), CompareOp::Equal, *rev),
        None => Compare::version(full.clone(), CompareOp::Equal, 0),
    }];
    let mut value = g.base.as_ref().map(|(_, v)| v.clone());
    let mut ops = Vec::new();
    for (k, v) in g.deltas.iter().take(MAX_FOLD) {
        compares.push(Compare::version(k.clone(), CompareOp::Greater, 0));
        value = merge(value, true, v);
        ops.push(TxnOp::delete(k.clone(), None));
    }
    ops.push(TxnOp::put(full, value.unwrap_or_default(), None));
    let txn = EtcdTxn::new().when(compares).and_then(ops);
    inner
        .pool
        .call("counter fold", |mut c| {
            let txn = txn.clone();
            async move { c.txn(txn).await }
        })
        .await?;
    Ok(())
}

/// Count increments of the counters of a committed transaction; fold those that reached
/// `FOLD_EVERY` (in the background: the commit is already answered).
pub fn note_increments(inner: &std::sync::Arc<Inner>, keys: Vec<Vec<u8>>) {
    let mut due = Vec::new();
    {
        let mut m = inner.increments.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: forgetting counts only delays a fold (readers fold too).
        if m.len() > 100_000 {
            m.clear();
        }
        for k in keys {
            let n = m.entry(k.clone()).or_insert(0);
            *n += 1;
            if *n >= FOLD_EVERY {
                *n = 0;
                due.push(k);
            }
        }
    }
    for k in due {
        spawn_fold(inner, k);
    }
}

pub fn spawn_fold(inner: &std::sync::Arc<Inner>, key: Vec<u8>) {
    let inner = inner.clone();
    tokio::spawn(async move {
        if let Err(e) = fold(&inner, &key).await {
            tracing::debug!(error = %e, "etcd: folding a counter failed (a later fold retries)");
        }
    });
}
