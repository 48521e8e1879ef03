//! Bounded caches in front of the store, which stays the truth. Each is bounded by bytes
//! (approximate: the encoded size of what it holds), so memory does not grow with the number
//! of users, buckets or objects.
//!
//! Two rules keep a cache from ever showing an older value than the store:
//! * a reader that missed takes a [`Ticket`] before it reads the store, and its [`fill`]
//!   is dropped if any write touched the key's stripe meanwhile (the read may predate it);
//! * a writer reports each committed change with the store's commit number: an update
//!   older than one already applied to that stripe removes the entry instead of setting it.
//!
//! With a store other gateways write too (etcd), their changes arrive through the store's
//! change feed as `written(key, None, revision)`, and while that feed may be incomplete the
//! cache is switched off (`set_serving(false)`): it answers nothing and keeps nothing, so a
//! gateway never serves what another one changed behind its back.
//!
//! [`fill`]: Cache::fill

use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Approximate heap size of a cached value, in bytes.
pub trait Weigh {
    fn weigh(&self) -> usize;
}

impl Weigh for str {
    fn weigh(&self) -> usize {
        self.len()
    }
}
impl Weigh for String {
    fn weigh(&self) -> usize {
        self.len()
    }
}
/// Name-value pairs kept with a record (stored headers, tags): their text and the two
/// strings' overhead.
pub fn weigh_pairs(pairs: &[(String, String)]) -> usize {
    pairs.iter().map(|(k, v)| k.len() + v.len() + 48).sum()
}

impl<T: Weigh + ?Sized> Weigh for std::sync::Arc<T> {
    fn weigh(&self) -> usize {
        (**self).weigh()
    }
}
impl Weigh for bytes::Bytes {
    fn weigh(&self) -> usize {
        self.len()
    }
}

#[derive(Clone)]
struct ByWeight;

impl<K, V> quick_cache::Weighter<K, (u64, V)> for ByWeight {
    fn weight(&self, _k: &K, v: &(u64, V)) -> u64 {
        v.0
    }
}

/// Per-entry bookkeeping on top of the value itself (hash slot, key, counters).
const ENTRY_OVERHEAD: usize = 64;
const STRIPES: usize = 64;

#[derive(Default)]
struct Stripe {
    /// Bumped by every write to a key of this stripe.
    generation: u64,
    /// Highest commit number applied to this stripe.
    applied: u64,
}

pub struct Cache<K, V> {
    map: quick_cache::sync::Cache<K, (u64, V), ByWeight>,
    hits: prometheus_client::metrics::counter::Counter,
    misses: prometheus_client::metrics::counter::Counter,
    stripes: Box<[Mutex<Stripe>]>,
    hasher: std::collections::hash_map::RandomState,
    serving: AtomicBool,
}

/// Taken before a store read that will [`Cache::fill`] the cache.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    stripe: usize,
    generation: u64,
}

impl<K: Eq + Hash + Clone + Weigh, V: Clone + Weigh> Cache<K, V> {
    /// A cache of about `bytes` bytes whose entries weigh about `typical` bytes each;
    /// `name` labels its hit and miss counts in the metrics.
    pub fn new(name: &'static str, bytes: usize, typical: usize) -> Self {
        let items = (bytes / (typical + ENTRY_OVERHEAD).max(1)).max(16);
        let (hits, misses) = crate::metrics::get().cache_counters(name);
        Cache {
            map: quick_cache::sync::Cache::with_weighter(items, bytes.max(1) as u64, ByWeight),
            hits,
            misses,
            stripes: (0..STRIPES).map(|_| Mutex::default()).collect(),
            hasher: Default::default(),
            serving: AtomicBool::new(true),
        }
    }

    /// Serve (and keep) entries, or not: off while the store's change feed may be missing
    /// changes. Either way everything held is dropped and every read in flight will not
    /// fill, since it may predate a change nobody reported.
    pub fn set_serving(&self, on: bool) {
        for i in 0..STRIPES {
            let mut s = self.lock(i);
            s.generation += 1;
            self.serving.store(on, Ordering::Release);
            drop(s);
        }
        self.map.clear();
    }

    fn stripe<Q: Hash + ?Sized>(&self, k: &Q) -> usize {
        (self.hasher.hash_one(k) as usize) % STRIPES
    }

    fn lock(&self, i: usize) -> std::sync::MutexGuard<'_, Stripe> {
        self.stripes[i].lock().unwrap_or_else(|e| e.into_inner())
    }

    fn weight(k: &K, v: &V) -> u64 {
        (k.weigh() + v.weigh() + ENTRY_OVERHEAD) as u64
    }

    /// `k` may be a borrowed form of the key (`&str` for a `String` key), so a hit costs no
    /// allocation.
    pub fn get<Q: Hash + quick_cache::Equivalent<K> + ?Sized>(&self, k: &Q) -> Option<V> {
        if !self.serving.load(Ordering::Acquire) {
            self.misses.inc();
            return None;
        }
        let v = self.map.get(k).map(|(_, v)| v);
        if v.is_some() {
            self.hits.inc();
        } else {
            self.misses.inc();
        }
        v
    }

    /// `k` hashes as the key it stands for (`&str` for a `String` key).
    pub fn ticket<Q: Hash + ?Sized>(&self, k: &Q) -> Ticket {
        let stripe = self.stripe(k);
        Ticket {
            stripe,
            generation: self.lock(stripe).generation,
        }
    }

    /// Cache what a read found, unless a write to the stripe happened since `t` was taken.
    pub fn fill(&self, k: K, v: V, t: Ticket) {
        let s = self.lock(t.stripe);
        if s.generation == t.generation && self.serving.load(Ordering::Acquire) {
            let w = Self::weight(&k, &v);
            self.map.insert(k, (w, v));
        }
    }

    /// Record a committed change (`None`: the key is gone) made by commit number `seq`.
    pub fn written(&self, k: K, v: Option<V>, seq: u64) {
        let mut s = self.lock(self.stripe(&k));
        s.generation += 1;
        match v {
            Some(v) if seq > s.applied && self.serving.load(Ordering::Acquire) => {
                s.applied = seq;
                let w = Self::weight(&k, &v);
                self.map.insert(k, (w, v));
            }
            _ => {
                s.applied = s.applied.max(seq);
                self.map.remove(&k);
            }
        }
    }

    /// Forget `k` (after a failed optimistic write, the cached value may be stale).
    pub fn invalidate<Q: Hash + quick_cache::Equivalent<K> + ?Sized>(&self, k: &Q) {
        let mut s = self.lock(self.stripe(k));
        s.generation += 1;
        self.map.remove(k);
    }

    /// Bytes held, as weighed.
    #[cfg(test)]
    pub fn weight_held(&self) -> u64 {
        self.map.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_fill_after_a_write_is_dropped() {
        let c: Cache<String, Arc<str>> = Cache::new("test", 1 << 20, 16);
        let t = c.ticket("k");
        c.written("k".into(), Some(Arc::from("new")), 5);
        c.fill("k".into(), Arc::from("old"), t);
        assert_eq!(c.get("k").as_deref(), Some("new"));
        // an older commit's late update removes instead of overwriting
        c.written("k".into(), Some(Arc::from("older")), 4);
        assert_eq!(c.get("k"), None);
        // and a fresh fill works again
        let t = c.ticket("k");
        c.fill("k".into(), Arc::from("v"), t);
        assert_eq!(c.get("k").as_deref(), Some("v"));
        c.written("k".into(), None, 6);
        assert_eq!(c.get("k"), None);
    }

    #[test]
    fn off_while_not_serving() {
        let c: Cache<String, Arc<str>> = Cache::new("test", 1 << 20, 16);
        c.written("k".into(), Some(Arc::from("v")), 1);
        let t = c.ticket("j");
        c.set_serving(false);
        assert_eq!(c.get("k"), None);
        c.fill("j".into(), Arc::from("x"), t);
        c.written("k".into(), Some(Arc::from("w")), 2);
        c.set_serving(true);
        assert_eq!(c.get("k"), None);
        assert_eq!(c.get("j"), None);
    }

    #[test]
    fn bounded_by_bytes() {
        let c: Cache<String, Arc<str>> = Cache::new("test", 64 << 10, 1000);
        let v: Arc<str> = Arc::from("x".repeat(1000).as_str());
        for i in 0..10_000 {
            let k = format!("k{i}");
            let t = c.ticket(&k);
            c.fill(k, v.clone(), t);
        }
        assert!(c.weight_held() <= 64 << 10, "{}", c.weight_held());
    }
}
