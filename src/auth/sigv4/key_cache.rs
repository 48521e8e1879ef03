//! Derived signing keys (kSigning), and the cache that spares a client the four HMACs of the
//! derivation on each request.
//!
//! The cache is keyed by parts of the credential the client chooses (security review M8), so
//! it is bounded by the bytes it holds, not by its number of entries, and a scope part longer
//! than any real one is never cached: such a request still verifies, at the cost of deriving
//! its key each time.

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

/// A derived key and the HMAC state keyed with it (inner and outer pads already hashed),
/// cloned per signature.
#[derive(Clone)]
pub(super) struct Signer {
    pub(super) key: [u8; 32],
    pub(super) mac: HmacSha256,
}

impl Signer {
    pub(super) fn new(key: [u8; 32]) -> Signer {
        Signer {
            key,
            mac: HmacSha256::new_from_slice(&key).expect("HMAC-SHA256 accepts any key length"),
        }
    }
}

/// A cached signer and the secret it was derived from: a key whose secret has since changed
/// must not be used.
pub(super) struct CachedKey {
    secret: Arc<str>,
    signer: Signer,
}

impl CachedKey {
    pub(super) fn new(secret: &Arc<str>, signer: Signer) -> CachedKey {
        CachedKey {
            secret: Arc::clone(secret),
            signer,
        }
    }
}

/// A credential scope (access key, date, region, service), as the cache keys it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ScopeId([Box<str>; 4]);

impl ScopeId {
    fn len(&self) -> usize {
        self.0.iter().map(|p| p.len()).sum()
    }

    #[cfg(test)]
    pub(super) fn text(&self) -> String {
        self.0.join("/")
    }
}

/// A [`ScopeId`] borrowed from a request: looked up without building one. Hashes as the
/// owned id does (both hash a slice of four strings).
#[derive(Hash)]
pub(super) struct Scope<'a>([&'a str; 4]);

impl Scope<'_> {
    pub(super) fn to_id(&self) -> ScopeId {
        ScopeId(self.0.map(Box::from))
    }
}

impl hashbrown::Equivalent<ScopeId> for Scope<'_> {
    fn equivalent(&self, id: &ScopeId) -> bool {
        self.0.iter().zip(&id.0).all(|(a, b)| *a == &**b)
    }
}

/// Derived keys by credential scope, with the bytes they hold.
pub(super) struct KeyCache {
    limit: usize,
    inner: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    map: hashbrown::HashMap<ScopeId, CachedKey, foldhash::fast::RandomState>,
    bytes: usize,
}

/// What an entry holds: its id and secret (counted even though the secret is usually shared
/// with the user record), the key and HMAC state, the map's slot.
pub(super) fn entry_cost(id: &ScopeId, entry: &CachedKey) -> usize {
    id.len() + entry.secret.len() + std::mem::size_of::<(u64, ScopeId, CachedKey)>()
}

impl KeyCache {
    pub(super) fn new(limit: usize) -> KeyCache {
        KeyCache {
            limit,
            inner: RwLock::new(Entries::default()),
        }
    }

    /// The signer for `id`, if it was derived from this same secret.
    pub(super) fn get<Q>(&self, id: &Q, secret: &Arc<str>) -> Option<Signer>
    where
        Q: std::hash::Hash + hashbrown::Equivalent<ScopeId> + ?Sized,
    {
        let inner = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        let entry = inner.map.get(id)?;
        let same = Arc::ptr_eq(&entry.secret, secret)
            || crate::auth::ct_eq(entry.secret.as_bytes(), secret.as_bytes());
        same.then(|| entry.signer.clone())
    }

    /// Remembers `entry` (replacing `id`'s), emptying the cache first when it would not fit;
    /// an entry bigger than the whole limit is not kept.
    pub(super) fn insert(&self, id: ScopeId, entry: CachedKey) {
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
        inner.map.keys().map(ScopeId::text).collect()
    }
}

/// The process's cache. Deriving costs four HMACs; a cached key serves the same client all
/// day.
pub(super) fn key_cache() -> &'static KeyCache {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    CACHE.get_or_init(|| KeyCache::new(SIGNING_KEY_CACHE_BYTES))
}

/// The cache's name for a credential scope; `None` (not to be cached) when the date, region
/// or service is longer than [`MAX_CACHED_SCOPE_PART`].
pub(super) fn scope<'a>(
    access_key: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
) -> Option<Scope<'a>> {
    if [date, region, service]
        .iter()
        .any(|p| p.len() > MAX_CACHED_SCOPE_PART)
    {
        return None;
    }
    Some(Scope([access_key, date, region, service]))
}

/// [`scope`], owned.
#[cfg(test)]
pub(super) fn cache_id(
    access_key: &str,
    date: &str,
    region: &str,
    service: &str,
) -> Option<ScopeId> {
    scope(access_key, date, region, service).map(|s| s.to_id())
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
    let scope = scope(access_key, date, region, service);
    if let Some(signer) = scope.as_ref().and_then(|s| key_cache().get(s, secret)) {
        return signer.key;
    }
    let key = derive_signing_key(secret, date, region, service);
    if let Some(scope) = scope {
        key_cache().insert(scope.to_id(), CachedKey::new(secret, Signer::new(key)));
    }
    key
}
