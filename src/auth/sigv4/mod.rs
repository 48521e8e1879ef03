//! AWS Signature Version 4, header and presigned-query forms, as radosgw checks them
//! (`src/rgw/rgw_auth_s3.cc`: `parse_v4_credentials`, `get_v4_canonical_qs`,
//! `get_v4_canonical_headers`, `get_v4_signing_key`).
//!
//! Where releases differ (see `Compat`): radosgw 16.2 builds the canonical query from a map
//! that keeps one value per name and puts `UNSIGNED-PAYLOAD` in the canonical request when
//! `x-amz-content-sha256` is absent. Reef keeps every pair (the AWS rule), also accepts the
//! hash of the body when the header is absent, and, only after the standard canonical request
//! failed, the canonical requests of two common clients that get the query wrong (curl 7.x,
//! awscurl 0.44). Every variant still covers the method, path, every parameter, the signed
//! headers and the payload hash, so none lets a parameter change go unnoticed.
//!
//! A request that verifies at the first try costs one SHA-256 of the canonical request and
//! one HMAC (the derived key is cached); only a failing or unusual one goes through the other
//! candidates, at most seven in all.
//!
//! `parse` reads what a request claims, `canonical` builds what is signed, `key_cache` derives
//! and keeps signing keys, and `verify` tries the candidates in order.

use hyper::HeaderMap;

mod canonical;
mod key_cache;
mod parse;
mod verify;

pub(crate) use self::canonical::is_base64_for_content_md5;
pub use self::canonical::{
    canonical_headers, canonical_query, canonical_request, canonical_uri, legacy_uri, sha256_hex,
    signature, string_to_sign, QueryForm, SignedNames,
};
pub use self::key_cache::{
    derive_signing_key, signing_key, MAX_CACHED_SCOPE_PART, SIGNING_KEY_CACHE_BYTES,
};
pub use self::parse::{check_binding, parse_header, parse_presigned, Credential, V4Auth};
pub use self::verify::{verify, verify_streaming};

/// The only SigV4 algorithm radosgw knows; also the `Authorization` prefix that selects v4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash that says "the body is not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Header carrying the client's payload hash (a `HeaderName`: it is looked up several times
/// a request, and a name given as a string is parsed at every lookup).
pub const CONTENT_SHA256: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-amz-content-sha256");
/// hex(sha256("")), the payload hash of every body-less request.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// True when `x-amz-content-sha256` holds a real hash (64 hex digits), i.e. the client signed
/// the body. radosgw 16.2 cannot complete such a signature on admin ops that read a body and
/// answers 501 NotImplemented; the op layer calls this to imitate that.
pub fn payload_is_hashed(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_SHA256)
        .is_some_and(|v| is_sha256_hex(v.as_bytes()))
}

fn is_sha256_hex(b: &[u8]) -> bool {
    sha256_from_hex(b).is_some()
}

/// The 32 bytes that 64 hex digits (either case) spell, else `None`: every header-signed
/// request carries one (its payload hash), so this is one table lookup a digit.
fn sha256_from_hex(b: &[u8]) -> Option<[u8; 32]> {
    const NIBBLE: [u8; 256] = {
        let mut t = [0xffu8; 256];
        let mut i = 0;
        while i < 10 {
            t[b'0' as usize + i] = i as u8;
            i += 1;
        }
        let mut i = 0;
        while i < 6 {
            t[b'a' as usize + i] = 10 + i as u8;
            t[b'A' as usize + i] = 10 + i as u8;
            i += 1;
        }
        t
    };
    let digits: &[u8; 64] = b.try_into().ok()?;
    let mut out = [0u8; 32];
    let mut bad = 0u8;
    for (o, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let (hi, lo) = (NIBBLE[pair[0] as usize], NIBBLE[pair[1] as usize]);
        bad |= hi | lo;
        *o = hi << 4 | lo;
    }
    // Digits are below 16; the table marks everything else 0xff.
    (bad < 16).then_some(out)
}

#[cfg(test)]
mod tests;
