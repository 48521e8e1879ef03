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
};
pub use self::verify::{authenticate, authenticate_streaming, credentials, verify, Credentials};
mod verify;
