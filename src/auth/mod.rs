//! Request authentication as radosgw does it: AWS SigV4 (header and presigned query) and AWS
//! v2 (header and query). One verifier for every caller; see `sigv4/` and `sigv2.rs`, and
//! `chunked/` for streamed (aws-chunked) bodies.
//!
//! INTERFACE (owned by the auth module): the caller hands in the request as parsed once
//! (`Query`), the raw path as sent, the headers, the whole body (admin bodies are small),
//! the current time and the compat level. `credentials` reads what the request claims
//! (once: the key to look up comes from it); `verify` checks exactly that against the
//! looked-up secret and gives `Identity::Anonymous` (no credentials at all) or the verified
//! access key. Uploads verify with `streaming`, which leaves the body to a `BodyVerifier`.
//! `authenticate` does both steps for a caller that holds its keys already.

use std::sync::Arc;
use std::time::SystemTime;

use hyper::HeaderMap;

use crate::config::Compat;
use crate::query::Query;

pub mod chunked;
pub mod post_policy;
pub mod sigv2;
pub mod sigv4;

/// Whether two secrets or signatures are equal, in time that depends on their lengths only
/// (which are public) and not on where they differ. Compares eight bytes at a time and
/// decides once at the end: `subtle` on a byte slice pays an optimisation barrier per byte,
/// which on a signed request is two of them per signature character.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    if a.len() != b.len() {
        return false;
    }
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = a8
        .remainder()
        .iter()
        .zip(b8.remainder())
        .fold(0u64, |acc, (x, y)| acc | u64::from(x ^ y));
    let diff = a8.zip(b8).fold(tail, |acc, (x, y)| {
        let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or_default());
        acc | (word(x) ^ word(y))
    });
    diff.ct_eq(&0).into()
}

/// What a request proved about its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// No `Authorization` header and no presigned query parameters.
    Anonymous,
    /// A signature made with this access key's secret was verified.
    Key(String),
}

/// The parts of a request a signature covers, as received.
pub struct AuthRequest<'a> {
    pub method: &'a str,
    /// The path exactly as sent (still percent-encoded), without the query.
    pub raw_path: &'a str,
    /// The bucket named by the `Host` (virtual-host style), else empty: SigV2 signs it in
    /// front of the path, as AWS and radosgw (which rewrites the URI) do.
    pub vhost_bucket: &'a str,
    pub query: &'a Query,
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
    pub now: SystemTime,
    pub compat: Compat,
}

/// Looks up the secret of an access key; `None` when the key is unknown.
pub trait SecretLookup {
    fn secret(&self, access_key: &str) -> Option<Arc<str>>;
}

pub use self::chunked::{
    header_checksum, BodyVerifier, Checksum, ChecksumAlgorithm, ChunkSigning, ChunkedSpec, Payload,
    EMPTY_BODY_SHA256,
};
pub use self::verify::{authenticate, authenticate_streaming, credentials, verify, Credentials};
mod verify;

#[cfg(test)]
mod tests {
    #[test]
    fn ct_eq_finds_a_difference_anywhere() {
        let sig = b"a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";
        for len in [0, 1, 7, 8, 9, 40, 64, 65] {
            let a = &sig[..len];
            assert!(super::ct_eq(a, a), "{len}");
            for i in 0..len {
                let mut b = a.to_vec();
                b[i] ^= 0x20;
                assert!(!super::ct_eq(a, &b), "{len} {i}");
            }
            if len > 0 {
                assert!(!super::ct_eq(a, &a[..len - 1]), "{len}");
            }
        }
    }
}
