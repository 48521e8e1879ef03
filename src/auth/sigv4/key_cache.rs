//! Derived signing keys (kSigning), and the cache that spares a client the four HMACs of the
//! derivation on each request.
//!
//! The cache is keyed by parts of the credential the client chooses (security review M8), so
//! it is bounded by the bytes it holds, not by its number of entries, and a scope part longer
//! than any real one is never cached: such a request still verifies, at the cost of deriving
//! its key each time.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use hmac::KeyInit;

use super::canonical::{hmac_sha256, HmacSha256};

/// Bytes the signing-key cache may hold, counted by [`entry_cost`]; it is emptied when the
/// next entry would not fit. About ten thousand clients' keys.
pub const SIGNING_KEY_CACHE_BYTES: usize = 4 << 20;
/// Longest credential date, region or service that is cached. Real ones are short
/// (`20261123`, `us-east-1`, `s3`); longer ones are verified but not remembered.
pub const MAX_CACHED_SCOPE_PART: usize = 64;

/// kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request").
/// Uncached; see [`signing_key`].
pub fn derive_signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let mut k_secret = Vec::with_capacity(4 + secret.len());
    k_secret.extend_from_slice(b"AWS4");
    k_secret.extend_from_slice(secret.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, service.as_bytes());
    hmac_sha256(&k_service, b"aws4_request")
}

/// A derived key, ready to use, and the secret it was derived from: a key whose secret has
/// since changed must not be used.
#[derive(Clone)]
pub(super) struct CachedKey {
    secret: Arc<str>,
    pub(super) key: [u8; 32],
    /// HMAC keyed with `key` (inner and outer pads already hashed), cloned per signature.
    pub(super) mac: HmacSha256,
}

impl CachedKey {
    pub(super) fn new(secret: &Arc<str>, key: [u8; 32]) -> CachedKey {
        CachedKey {
            secret: Arc::clone(secret),
            key,
            mac: HmacSha256::new_from_slice(&key).expect("HMAC-SHA256 accepts any key length"),
        }
    }
}

/// Derived keys by (access key, date, region, service), with the bytes they hold.
pub(super) struct KeyCache {
    limit: usize,
    inner: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, CachedKey>,
    bytes: usize,
}

/// What an entry holds: its id and secret (counted even though the secret is usually shared
/// with the user record), the key and HMAC state, the map's slot.
pub(super) fn entry_cost(id: &str, entry: &CachedKey) -> usize {
    id.len() + entry.secret.len() + std::mem::size_of::<(u64, String, CachedKey)>()
}

impl KeyCache {
    pub(super) fn new(limit: usize) -> KeyCache {
        KeyCache {
            limit,
            inner: RwLock::new(Entries::default()),
        }
    }

    /// The entry for `id`, if it was derived from this same secret.
    pub(super) fn get(&self, id: &str, secret: &Arc<str>) -> Option<CachedKey> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let entry = inner.map.get(id)?;
        let same = Arc::ptr_eq(&entry.secret, secret)
            || crate::auth::ct_eq(entry.secret.as_bytes(), secret.as_bytes());
        same.then(|| entry.clone())
    }

    /// Remembers `entry` (replacing `id`'s), emptying the cache first when it would not fit;
    /// an entry bigger than the whole limit is not kept.
    pub(super) fn insert(&self, id: String, entry: CachedKey) {
        let cost = entry_cost(&id, &entry);
        if cost > self.limit {
            return;
        }
        let mut inner = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(old) = inner.map.remove(&id) {
            inner.bytes -= entry_cost(&id, &old);
        }
        if inner.bytes + cost > self.limit {
            inner.map.clear();
            inner.bytes = 0;
        }
        inner.bytes += cost;
        inner.map.insert(id, entry);
    }

    #[cfg(test)]
    pub(super) fn bytes(&self) -> usize {
        self.inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .bytes
    }

    #[cfg(test)]
    pub(super) fn ids(&self) -> Vec<String> {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        inner.map.keys().cloned().collect()
    }
}

/// The process's cache. Deriving costs four HMACs; a cached key serves the same client all
/// day.
pub(super) fn key_cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(|| KeyCache::new(SIGNING_KEY_CACHE_BYTES))
}

/// The cache id of a credential scope, length-prefixed so that no two tuples share one
/// whatever bytes they hold; `None` (not to be cached) when the date, region or service is
/// longer than [`MAX_CACHED_SCOPE_PART`].
pub(super) fn cache_id(
    access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Option<String> {
    if [date, region, service]
        .iter()
        .any(|p| p.len() > MAX_CACHED_SCOPE_PART)
    {
        return None;
    }
    let parts = [access_key, date, region, service];
    let mut id = String::with_capacity(parts.iter().map(|p| p.len() + 6).sum());
    let mut len = itoa::Buffer::new();
    for part in parts {
        id.push_str(len.format(part.len()));
        id.push(':');
        id.push_str(part);
    }
    Some(id)
}

/// The signing key for this credential scope, from the cache when it was derived from the
/// same secret, else derived (and remembered, when its scope may be cached).
pub fn signing_key(
    access_key: &str,
    secret: &Arc<str>,
    date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let id = cache_id(access_key, date, region, service);
    if let Some(entry) = id.as_deref().and_then(|id| key_cache().get(id, secret)) {
        return entry.key;
    }
    let key = derive_signing_key(secret, date, region, service);
    if let Some(id) = id {
        key_cache().insert(id, CachedKey::new(secret, key));
    }
    key
}
