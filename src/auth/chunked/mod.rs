//! Streamed request bodies: what a body must satisfy once its headers have been authenticated
//! ([`Payload`], from [`authenticate_streaming`](super::authenticate_streaming)), and the
//! incremental decoder that checks it while the body streams to disk ([`BodyVerifier`]).
//!
//! SigV4 payload forms (`x-amz-content-sha256`), as radosgw's `AWSv4ComplSingle` and
//! `AWSv4ComplMulti` (`src/rgw/rgw_auth_s3.cc`) handle them:
//!
//! * a hex SHA-256: the body must hash to it (`XAmzContentSHA256Mismatch`);
//! * `UNSIGNED-PAYLOAD`, or no header: nothing to check;
//! * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked, every chunk signed
//!   (`hex-size;chunk-signature=<sig>\r\n<data>\r\n`, the last chunk empty);
//! * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: the same, then trailer lines and an
//!   `x-amz-trailer-signature` line;
//! * `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked without signatures
//!   (`hex-size\r\n<data>\r\n`), then trailer lines; what boto3 sends over https.
//!
//! A trailing `x-amz-checksum-*` (CRC32, CRC32C, CRC64NVME, SHA-1, SHA-256) named in
//! `x-amz-trailer` is computed over the decoded body and compared (`BadDigest`). The same
//! machinery checks a checksum sent as a header (boto3 over plain http sends
//! `x-amz-checksum-crc32` with a hashed payload): [`BodyVerifier::for_upload`] is the
//! constructor for an upload's body, and does both.
//!
//! Decoded bytes are handed out as they arrive, before the chunk they belong to has been
//! verified (chunks can be any size, and nothing is buffered beyond one chunk-header line):
//! nothing written from them may be published until [`BodyVerifier::finish`] returns `Ok`.
//!
//! Here: what is checked and the [`BodyVerifier`] that checks it; `decoder` reads the
//! aws-chunked framing and its signatures, `checksum` computes the `x-amz-checksum-*` values.

use std::fmt;

use hyper::HeaderMap;
use sha2::{Digest, Sha256};

use self::checksum::Hasher;
use self::decoder::Decoder;
use crate::error::{Error, Result};

mod checksum;
mod decoder;

pub use self::checksum::{checksum, header_checksum, Checksum, ChecksumAlgorithm};

/// `x-amz-content-sha256` of an aws-chunked body with signed chunks.
pub const STREAMING_PAYLOAD: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
/// Signed chunks followed by signed trailers.
pub const STREAMING_PAYLOAD_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
/// Unsigned chunks followed by (unsigned) trailers.
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
/// Header naming the trailers an aws-chunked body ends with.
pub const TRAILER_HEADER: &str = "x-amz-trailer";
/// Header giving the size of the decoded aws-chunked body.
pub const DECODED_LENGTH_HEADER: &str = "x-amz-decoded-content-length";
/// Trailer line carrying the trailer signature.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";
/// Longest chunk-header or trailer line, CRLF included; longer → `IncompleteBody`.
pub const MAX_LINE: usize = 4096;
/// Most trailer lines accepted (the signature line not counted).
pub const MAX_TRAILERS: usize = 32;

/// What a streamed body must satisfy, decided from the authenticated headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// Taken as sent: `UNSIGNED-PAYLOAD` or no header, presigned, v2 and anonymous requests.
    Unchecked,
    /// The body's SHA-256 must be this (`XAmzContentSHA256Mismatch` otherwise).
    Sha256([u8; 32]),
    /// An aws-chunked body, decoded on the way through.
    Chunked(ChunkedSpec),
}

/// How an aws-chunked body is framed and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkedSpec {
    /// Signed chunks (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`); `None` for
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`.
    pub signing: Option<ChunkSigning>,
    /// Trailer lines follow the last chunk (the `-TRAILER` forms); with `signing`, ended by
    /// an `x-amz-trailer-signature` line.
    pub trailer: bool,
    /// `x-amz-trailer`, lower-cased: the trailers the client promised. The first checksum
    /// among them is computed and must be sent and match.
    pub trailer_names: Vec<String>,
    /// `x-amz-decoded-content-length`: the decoded body must be exactly this long.
    pub decoded_length: Option<u64>,
}

/// What chunk signatures are checked with: the derived key of the request's credential
/// scope, never the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct ChunkSigning {
    /// kSigning for the request's date, region and service.
    pub key: [u8; 32],
    /// The request's (verified) header signature, which the first chunk's signature chains
    /// from.
    pub seed: String,
    /// The request time exactly as it went into the header signature.
    pub amz_date: String,
    /// `yyyymmdd/region/service/aws4_request`.
    pub scope: String,
}

impl fmt::Debug for ChunkSigning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChunkSigning")
            .field("key", &"<redacted>")
            .field("seed", &self.seed)
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .finish()
    }
}

/// Checks a streamed body against its [`Payload`] as it goes by, and decodes aws-chunked
/// framing. Memory is bounded: at most one chunk-header or trailer line (`MAX_LINE`) and the
/// trailers themselves are held.
///
/// After an error every further call returns the same error.
pub struct BodyVerifier {
    mode: Mode,
    /// Decoded bytes handed out so far.
    decoded: u64,
    checksum: Option<RunningChecksum>,
    failed: Option<Error>,
}

enum Mode {
    Plain(Option<PlainSha>),
    Chunked(Box<Decoder>),
}

/// SHA-256 of no bytes.
pub const EMPTY_BODY_SHA256: [u8; 32] = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

struct PlainSha {
    want: [u8; 32],
    sha: Sha256,
}

struct RunningChecksum {
    algorithm: ChecksumAlgorithm,
    hasher: Hasher,
    /// From a header (`with_checksum`).
    expected: Option<String>,
    /// Promised in `x-amz-trailer`: the trailer must carry it.
    from_trailer: bool,
    /// The value the trailer carried.
    trailer_value: Option<String>,
}

impl BodyVerifier {
    pub fn new(payload: Payload) -> BodyVerifier {
        let mut checksum = None;
        let mode = match payload {
            Payload::Unchecked => Mode::Plain(None),
            Payload::Sha256(want) => Mode::Plain(Some(PlainSha {
                want,
                sha: Sha256::new(),
            })),
            Payload::Chunked(spec) => {
                if spec.trailer {
                    checksum = spec
                        .trailer_names
                        .iter()
                        .find_map(|n| ChecksumAlgorithm::from_header_name(n))
                        .map(|algorithm| RunningChecksum {
                            algorithm,
                            hasher: Hasher::new(algorithm),
                            expected: None,
                            from_trailer: true,
                            trailer_value: None,
                        });
                }
                Mode::Chunked(Box::new(Decoder::new(&spec)))
            }
        };
        BodyVerifier {
            mode,
            decoded: 0,
            checksum,
            failed: None,
        }
    }

    /// The verifier of an upload's body (PutObject, UploadPart): [`BodyVerifier::new`], and
    /// when the request has an `x-amz-checksum-{crc32,crc32c,crc64nvme,sha1,sha256}` header,
    /// that checksum too, over the decoded body (`BadDigest` from `finish` on a mismatch).
    /// Two checksum headers, or a value that is not a checksum of its algorithm →
    /// `InvalidRequest` (see [`header_checksum`]); so is a header for another algorithm than
    /// the checksum an aws-chunked trailer promises.
    pub fn for_upload(payload: Payload, headers: &HeaderMap) -> Result<BodyVerifier> {
        match header_checksum(headers)? {
            Some((algorithm, value)) => {
                BodyVerifier::with_checksum(payload, algorithm, Some(&value))
            }
            None => Ok(BodyVerifier::new(payload)),
        }
    }

    /// Like [`BodyVerifier::new`], and also computes `algorithm` over the decoded body; when
    /// `expected` (base64, as in the `x-amz-checksum-*` header) is given, `finish` fails with
    /// `BadDigest` unless it matches. A trailer promising another algorithm →
    /// `InvalidRequest`.
    pub fn with_checksum(
        payload: Payload,
        algorithm: ChecksumAlgorithm,
        expected: Option<&str>,
    ) -> Result<BodyVerifier> {
        let mut v = BodyVerifier::new(payload);
        match &mut v.checksum {
            Some(c) if c.algorithm != algorithm => return Err(Error::InvalidRequest),
            Some(c) => c.expected = expected.map(|e| e.trim().to_owned()),
            None => {
                v.checksum = Some(RunningChecksum {
                    algorithm,
                    hasher: Hasher::new(algorithm),
                    expected: expected.map(|e| e.trim().to_owned()),
                    from_trailer: false,
                    trailer_value: None,
                })
            }
        }
        Ok(v)
    }

    /// Takes the next piece of the body as received (any split) and appends the decoded
    /// payload bytes in it to `out`.
    pub fn feed(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let res = self.feed_inner(input, out);
        if let Err(e) = &res {
            self.failed = Some(e.clone());
        }
        res
    }

    fn feed_inner(&mut self, input: &[u8], out: &mut Vec<u8>) -> Result<()> {
        let BodyVerifier {
            mode,
            decoded,
            checksum,
            ..
        } = self;
        match mode {
            Mode::Plain(sha) => {
                out.extend_from_slice(input);
                if let Some(p) = sha {
                    p.sha.update(input);
                }
                if let Some(c) = checksum {
                    c.hasher.update(input);
                }
                *decoded += input.len() as u64;
                Ok(())
            }
            Mode::Chunked(d) => d.feed(input, out, decoded, checksum),
        }
    }

    /// Ends the body: checks whatever could only be checked at the end (the payload hash, the
    /// framing being complete, the trailer signature, the decoded length, the checksum) and
    /// returns the decoded length.
    pub fn finish(self) -> Result<u64> {
        self.finish_with_checksum().map(|(n, _)| n)
    }

    /// [`BodyVerifier::finish`], also returning the checksum computed (when one was asked
    /// for or promised in a trailer), so it can be stored and returned.
    pub fn finish_with_checksum(self) -> Result<(u64, Option<Checksum>)> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        match self.mode {
            Mode::Plain(Some(p)) => {
                // Most bodies checked are the empty ones of GETs: their hash is known.
                let got: [u8; 32] = if self.decoded == 0 {
                    EMPTY_BODY_SHA256
                } else {
                    p.sha.finalize().into()
                };
                if !crate::auth::ct_eq(&got, &p.want) {
                    return Err(Error::ContentSha256Mismatch);
                }
            }
            Mode::Plain(None) => {}
            Mode::Chunked(d) => d.finish(self.decoded, self.checksum.as_ref())?,
        }
        let Some(c) = self.checksum else {
            return Ok((self.decoded, None));
        };
        let value = c.hasher.finish();
        for want in [&c.expected, &c.trailer_value].into_iter().flatten() {
            if *want != value {
                return Err(Error::BadDigest);
            }
        }
        Ok((
            self.decoded,
            Some(Checksum {
                algorithm: c.algorithm,
                value,
            }),
        ))
    }
}

#[cfg(test)]
mod tests;
