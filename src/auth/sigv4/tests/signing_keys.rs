//! The signing-key cache: follows secret changes, bounded by bytes, skips long scopes.

use super::*;

#[test]
fn signing_key_cache_follows_secret_changes() {
    let ak = "CACHETESTKEY00000001";
    let s1: Arc<str> = Arc::from("secret-one");
    let s2: Arc<str> = Arc::from("secret-two");
    let k1 = signing_key(ak, &s1, "20261123", "us-east-1", "s3");
    assert_eq!(
        k1,
        derive_signing_key("secret-one", "20261123", "us-east-1", "s3")
    );
    // Same secret in another allocation: cached key reused (and correct).
    let s1b: Arc<str> = Arc::from("secret-one");
    assert_eq!(signing_key(ak, &s1b, "20261123", "us-east-1", "s3"), k1);
    // Changed secret: never the stale key.
    let k2 = signing_key(ak, &s2, "20261123", "us-east-1", "s3");
    assert_eq!(
        k2,
        derive_signing_key("secret-two", "20261123", "us-east-1", "s3")
    );
    assert_ne!(k1, k2);
    // Other scope parts are separate entries.
    assert_ne!(signing_key(ak, &s2, "20261124", "us-east-1", "s3"), k2);
    assert_ne!(signing_key(ak, &s2, "20261123", "nowhere", "s3"), k2);
    // Ids cannot collide across field boundaries.
    assert_ne!(
        cache_id("a/b", "c", "d", "e"),
        cache_id("a", "b/c", "d", "e")
    );
    assert_ne!(cache_id("ab", "c", "d", "e"), cache_id("a", "bc", "d", "e"));
}

#[test]
fn secret_change_is_seen_through_authenticate() {
    let target = "/admin/user?uid=admin";
    let sig = "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b";
    let r = boto(target, sig);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    let rotated = Keys::with(&[(ADMIN_AK, "rotatedsecret")]);
    assert_eq!(r.check(&rotated), Err(Error::SignatureDoesNotMatch));
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
}

#[test]
fn signing_key_cache_is_bounded_by_bytes() {
    const LIMIT: usize = 16 * 1024;
    let secret: Arc<str> = Arc::from("secret");
    let key = derive_signing_key(&secret, "20261123", "us-east-1", "s3");
    let cache = KeyCache::new(LIMIT);
    let mut most = 0;
    let mut last = cache_id("", "", "", "").unwrap();
    for i in 0..2000 {
        // Ids of every length a cacheable scope allows.
        let region = "r".repeat(i % (MAX_CACHED_SCOPE_PART + 1));
        let id = cache_id(&format!("AK{i:05}"), "20261123", &region, "s3").unwrap();
        cache.insert(id.clone(), CachedKey::new(&secret, Signer::new(key)));
        assert!(cache.bytes() <= LIMIT, "{} bytes after {i}", cache.bytes());
        assert_eq!(cache.get(&id, &secret).map(|e| e.key), Some(key));
        most = most.max(cache.ids().len());
        last = id;
    }
    // It was emptied and refilled, never grew past its bytes.
    assert!(most > 1 && most < 2000, "{most}");
    // Replacing an entry does not count it twice.
    let before = cache.bytes();
    cache.insert(last.clone(), CachedKey::new(&secret, Signer::new(key)));
    assert_eq!(cache.bytes(), before);
    // An entry bigger than the whole cache is not kept, and does not empty the cache.
    let huge = cache_id(&"K".repeat(LIMIT), "20261123", "us-east-1", "s3").unwrap();
    cache.insert(huge.clone(), CachedKey::new(&secret, Signer::new(key)));
    assert!(cache.get(&huge, &secret).is_none());
    assert_eq!(cache.bytes(), before);
    assert!(cache.get(&last, &secret).is_some());
    // Another secret's lookup misses.
    assert!(cache.get(&last, &Arc::from("other")).is_none());
    // The process cache holds about ten thousand typical clients.
    let typical = cache_id(ADMIN_AK, "20261123", "us-east-1", "s3").unwrap();
    let admin_secret: Arc<str> = Arc::from(ADMIN_SK);
    let n = SIGNING_KEY_CACHE_BYTES
        / entry_cost(&typical, &CachedKey::new(&admin_secret, Signer::new(key)));
    assert!((5_000..=20_000).contains(&n), "{n}");
}

/// A signed request whose credential scope has this region.
fn signed_with_region(region: &str) -> Req {
    let scope = format!("20261123/{region}/s3/aws4_request");
    let headers = format!("host:{HOST}\nx-amz-date:{T}\n");
    let creq = canonical_request(
        "GET",
        "/admin/user",
        "uid=admin",
        headers.as_bytes(),
        "host;x-amz-date",
        UNSIGNED_PAYLOAD.as_bytes(),
    );
    let key = derive_signing_key(ADMIN_SK, "20261123", region, "s3");
    let sig = signature(&key, &string_to_sign(T, &scope, &creq));
    Req::new(
        "GET",
        "/admin/user?uid=admin",
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            (
                "Authorization",
                &v4_auth(ADMIN_AK, &scope, "host;x-amz-date", &sig),
            ),
        ],
        T,
    )
}

/// Security review M8: a key holder signing with huge regions must not be able to fill
/// memory through the cache.
#[test]
fn long_scope_parts_verify_but_are_not_cached() {
    let long = "x".repeat(MAX_CACHED_SCOPE_PART + 1);
    let fits = "x".repeat(MAX_CACHED_SCOPE_PART);
    for (date, region, service) in [
        (long.as_str(), "us-east-1", "s3"),
        ("20261123", long.as_str(), "s3"),
        ("20261123", "us-east-1", long.as_str()),
    ] {
        assert_eq!(cache_id(ADMIN_AK, date, region, service), None);
    }
    assert!(cache_id(ADMIN_AK, &fits, &fits, &fits).is_some());
    // Uncached keys are still the right keys.
    let secret: Arc<str> = Arc::from(ADMIN_SK);
    assert_eq!(
        signing_key(ADMIN_AK, &secret, "20261123", &long, "s3"),
        derive_signing_key(ADMIN_SK, "20261123", &long, "s3")
    );
    // A 400-byte region is refused before any key is derived, and leaves nothing behind.
    let region = "r".repeat(400);
    let r = signed_with_region(&region);
    for _ in 0..3 {
        assert_eq!(r.check(&Keys::admin()), Err(Error::AccessDenied));
    }
    assert!(!key_cache().ids().iter().any(|id| id.contains(&region)));
    // At the limit it is cached as before.
    let region = format!("m8-{}", "r".repeat(MAX_CACHED_SCOPE_PART - 3));
    let r = signed_with_region(&region);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert!(key_cache().ids().iter().any(|id| id.contains(&region)));
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert_eq!(
        r.check(&Keys::with(&[(ADMIN_AK, "rotated")])),
        Err(Error::SignatureDoesNotMatch)
    );
}
