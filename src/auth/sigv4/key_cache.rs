//! Derived signing keys (kSigning), and the cache that spares a client the four HMACs of the
//! derivation on each request.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use hmac::KeyInit;
use subtle::ConstantTimeEq;

use super::canonical::{hmac_sha256, HmacSha256};

/// Derived signing keys kept at most; the cache is emptied when it would grow past this.
pub const SIGNING_KEY_CACHE_LIMIT: usize = 10_000;

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

/// Derived keys by (access key, date, region, service). Deriving costs four HMACs; a cached
/// key serves the same client all day.
fn key_cache() -> &'static RwLock<HashMap<String, CachedKey>> {
    static CACHE: OnceLock<RwLock<HashMap<String, CachedKey>>> = OnceLock::new();
    CACHE.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Length-prefixed, so no two tuples share an id whatever bytes they hold.
pub(super) fn cache_id(access_key: &str, date: &str, region: &str, service: &str) -> String {
    let parts = [access_key, date, region, service];
    let mut id = String::with_capacity(parts.iter().map(|p| p.len() + 6).sum());
    for part in parts {
        push_decimal(&mut id, part.len());
        id.push(':');
        id.push_str(part);
    }
    id
}

fn push_decimal(out: &mut String, mut n: usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &d in &buf[i..] {
        out.push(char::from(d));
    }
}

pub(super) fn cached_key(id: &str, secret: &Arc<str>) -> Option<CachedKey> {
    let map = key_cache().read().unwrap_or_else(PoisonError::into_inner);
    let entry = map.get(id)?;
    let same = Arc::ptr_eq(&entry.secret, secret)
        || bool::from(entry.secret.as_bytes().ct_eq(secret.as_bytes()));
    same.then(|| entry.clone())
}

pub(super) fn remember_key(id: String, entry: CachedKey) {
    let mut map = key_cache().write().unwrap_or_else(PoisonError::into_inner);
    if map.len() >= SIGNING_KEY_CACHE_LIMIT && !map.contains_key(&id) {
        map.clear();
    }
    map.insert(id, entry);
}

/// The signing key for this credential scope, from the cache when it was derived from the
/// same secret, else derived and remembered.
pub fn signing_key(
    access_key: &str,
    secret: &Arc<str>,
    date: &str,
    region: &str,
    service: &str,
) -> [u8; 32] {
    let id = cache_id(access_key, date, region, service);
    if let Some(entry) = cached_key(&id, secret) {
        return entry.key;
    }
    let key = derive_signing_key(secret, date, region, service);
    remember_key(id, CachedKey::new(secret, key));
    key
}
