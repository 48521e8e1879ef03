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
//! `x-amz-checksum-crc32` with a hashed payload) when the caller asks for it with
//! [`BodyVerifier::with_checksum`] and [`header_checksum`].
//!
//! Decoded bytes are handed out as they arrive, before the chunk they belong to has been
//! verified (chunks can be any size, and nothing is buffered beyond one chunk-header line):
//! nothing written from them may be published until [`BodyVerifier::finish`] returns `Ok`.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use hyper::HeaderMap;
use sha1::Sha1;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::sigv4::EMPTY_SHA256;
use crate::error::{Error, Result};

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

const PAYLOAD_ALGORITHM: &[u8] = b"AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &[u8] = b"AWS4-HMAC-SHA256-TRAILER";

type HmacSha256 = Hmac<Sha256>;

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

/// The flexible-checksum algorithms S3 defines (`x-amz-checksum-<name>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    pub const ALL: [ChecksumAlgorithm; 5] = [
        ChecksumAlgorithm::Crc32,
        ChecksumAlgorithm::Crc32c,
        ChecksumAlgorithm::Crc64Nvme,
        ChecksumAlgorithm::Sha1,
        ChecksumAlgorithm::Sha256,
    ];

    /// `CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256` (`x-amz-sdk-checksum-algorithm`).
    pub fn name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// `x-amz-checksum-crc32` and so on.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// From a name as in `x-amz-sdk-checksum-algorithm`, any case.
    pub fn from_name(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.name().eq_ignore_ascii_case(name.trim()))
    }

    /// From a header or trailer name, any case.
    pub fn from_header_name(name: &str) -> Option<ChecksumAlgorithm> {
        Self::ALL
            .into_iter()
            .find(|a| a.header_name().eq_ignore_ascii_case(name.trim()))
    }
}

/// A checksum of a decoded body, base64 of the big-endian value (CRCs) or digest, as S3
/// writes it in `x-amz-checksum-*`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub value: String,
}

/// The base64 checksum of `data`, as S3 writes it.
pub fn checksum(algorithm: ChecksumAlgorithm, data: &[u8]) -> String {
    let mut h = Hasher::new(algorithm);
    h.update(data);
    h.finish()
}

/// The `x-amz-checksum-*` header of a request, if any: (algorithm, value as sent, trimmed).
/// More than one → `InvalidRequest` (S3 takes a single checksum per request).
pub fn header_checksum(headers: &HeaderMap) -> Result<Option<(ChecksumAlgorithm, String)>> {
    let mut found = None;
    for algorithm in ChecksumAlgorithm::ALL {
        let mut values = headers.get_all(algorithm.header_name()).iter();
        let Some(v) = values.next() else { continue };
        if found.is_some() || values.next().is_some() {
            return Err(Error::InvalidRequest);
        }
        let v = v.to_str().map_err(|_| Error::InvalidRequest)?;
        found = Some((algorithm, v.trim().to_owned()));
    }
    Ok(found)
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-header line.
    Header,
    /// Inside a chunk's data: this many bytes left.
    Data(u64),
    /// After a chunk's data: expecting `\r`, then `\n`.
    DataCr,
    DataLf,
    /// After the last (empty) chunk: trailer lines until an empty one.
    Trailer,
    Done,
}

struct Decoder {
    signer: Option<Signer>,
    trailer: bool,
    decoded_length: Option<u64>,
    state: State,
    /// The current line so far, CRLF included once complete.
    line: Vec<u8>,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    /// Trailer forms: an empty line came right after the last chunk, before any trailer.
    /// Tolerated once, as in the AWS trailer example (the last chunk's empty data ended with
    /// CRLF as in the form without trailers).
    blank_before_trailers: bool,
}

struct Signer {
    /// HMAC keyed with the signing key, cloned per signature.
    mac: HmacSha256,
    amz_date: String,
    scope: String,
    /// The previous signature (hex), starting with the seed.
    prev: Vec<u8>,
    /// The current chunk's declared signature.
    expected: Vec<u8>,
    /// SHA-256 of the current chunk's data.
    chunk: Sha256,
}

impl Signer {
    fn new(s: &ChunkSigning) -> Signer {
        Signer {
            mac: HmacSha256::new_from_slice(&s.key).expect("HMAC-SHA256 accepts any key length"),
            amz_date: s.amz_date.clone(),
            scope: s.scope.clone(),
            prev: s.seed.as_bytes().to_vec(),
            expected: Vec::with_capacity(64),
            chunk: Sha256::new(),
        }
    }

    /// Hex HMAC of `algorithm \n date \n scope \n prev \n hashes...`.
    fn sign(&self, algorithm: &[u8], hashes: &[&[u8]]) -> [u8; 64] {
        let mut mac = self.mac.clone();
        for part in [
            algorithm,
            b"\n",
            self.amz_date.as_bytes(),
            b"\n",
            self.scope.as_bytes(),
            b"\n",
            &self.prev,
        ] {
            mac.update(part);
        }
        for h in hashes {
            mac.update(b"\n");
            mac.update(h);
        }
        let mut sig = [0u8; 64];
        let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut sig);
        sig
    }

    /// The chunk just read (its data hashed into `chunk`) against its declared signature;
    /// on success it becomes the previous signature.
    fn end_chunk(&mut self) -> Result<()> {
        let mut data_hash = [0u8; 64];
        let _ = hex::encode_to_slice(self.chunk.finalize_reset(), &mut data_hash);
        let sig = self.sign(PAYLOAD_ALGORITHM, &[EMPTY_SHA256.as_bytes(), &data_hash]);
        if !bool::from(sig.ct_eq(self.expected.as_slice())) {
            return Err(Error::SignatureDoesNotMatch);
        }
        std::mem::swap(&mut self.prev, &mut self.expected);
        Ok(())
    }

    /// `x-amz-trailer-signature`: over the sorted `name:value\n` trailer lines, chained from
    /// the last chunk's signature.
    fn check_trailer(&self, trailers: &[(String, String)], sent: Option<&str>) -> Result<()> {
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = Sha256::new();
        for (name, value) in sorted {
            h.update(name.as_bytes());
            h.update(b":");
            h.update(value.as_bytes());
            h.update(b"\n");
        }
        let mut hash = [0u8; 64];
        let _ = hex::encode_to_slice(h.finalize(), &mut hash);
        let sig = self.sign(TRAILER_ALGORITHM, &[&hash]);
        match sent {
            Some(s) if bool::from(sig.ct_eq(s.as_bytes())) => Ok(()),
            _ => Err(Error::SignatureDoesNotMatch),
        }
    }
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
                Mode::Chunked(Box::new(Decoder {
                    signer: spec.signing.as_ref().map(Signer::new),
                    trailer: spec.trailer,
                    decoded_length: spec.decoded_length,
                    state: State::Header,
                    line: Vec::new(),
                    trailers: Vec::new(),
                    trailer_signature: None,
                    blank_before_trailers: false,
                }))
            }
        };
        BodyVerifier {
            mode,
            decoded: 0,
            checksum,
            failed: None,
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
                let got: [u8; 32] = p.sha.finalize().into();
                if !bool::from(got.ct_eq(&p.want)) {
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

impl Decoder {
    fn feed(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        decoded: &mut u64,
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailer => {
                    let room = MAX_LINE - self.line.len();
                    let window = &input[..input.len().min(room)];
                    match window.iter().position(|&b| b == b'\n') {
                        Some(i) => {
                            self.line.extend_from_slice(&input[..=i]);
                            input = &input[i + 1..];
                            let line = std::mem::take(&mut self.line);
                            let res = self.end_line(&line, *decoded, checksum);
                            self.line = line;
                            self.line.clear();
                            res?;
                        }
                        None if input.len() >= room => return Err(Error::IncompleteBody),
                        None => {
                            self.line.extend_from_slice(input);
                            input = &[];
                        }
                    }
                }
                State::Data(left) => {
                    let n = usize::try_from(left).map_or(input.len(), |l| l.min(input.len()));
                    let piece = &input[..n];
                    out.extend_from_slice(piece);
                    if let Some(s) = &mut self.signer {
                        s.chunk.update(piece);
                    }
                    if let Some(c) = checksum {
                        c.hasher.update(piece);
                    }
                    *decoded += n as u64;
                    input = &input[n..];
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data(left)
                    };
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if input[0] != want {
                        return Err(Error::IncompleteBody);
                    }
                    input = &input[1..];
                    if self.state == State::DataCr {
                        self.state = State::DataLf;
                    } else {
                        if let Some(s) = &mut self.signer {
                            s.end_chunk()?;
                        }
                        self.state = State::Header;
                    }
                }
                // Anything after the end of the body is malformed.
                State::Done => return Err(Error::IncompleteBody),
            }
        }
        Ok(())
    }

    /// A complete line (CRLF included) in `Header` or `Trailer` state.
    fn end_line(
        &mut self,
        line: &[u8],
        decoded: u64,
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        let content = line.strip_suffix(b"\r\n").ok_or(Error::IncompleteBody)?;
        if self.state == State::Header {
            self.chunk_header(content, decoded)
        } else {
            self.trailer_line(content, checksum)
        }
    }

    /// `hex-size;chunk-signature=<64 hex>` (signed) or `hex-size[;extensions]` (unsigned).
    fn chunk_header(&mut self, content: &[u8], decoded: u64) -> Result<()> {
        let (size, ext) = match content.iter().position(|&b| b == b';') {
            Some(i) => (&content[..i], Some(&content[i + 1..])),
            None => (content, None),
        };
        let size = parse_hex(size).ok_or(Error::IncompleteBody)?;
        if let Some(s) = &mut self.signer {
            let sig = ext
                .and_then(|e| e.strip_prefix(b"chunk-signature="))
                .filter(|sig| sig.len() == 64)
                .ok_or(Error::IncompleteBody)?;
            s.expected.clear();
            s.expected.extend_from_slice(sig);
        }
        if let Some(limit) = self.decoded_length {
            if decoded.checked_add(size).is_none_or(|end| end > limit) {
                return Err(Error::IncompleteBody);
            }
        }
        if size > 0 {
            self.state = State::Data(size);
            return Ok(());
        }
        // The last chunk: no data, its signature over the empty string.
        if let Some(s) = &mut self.signer {
            s.end_chunk()?;
        }
        self.state = State::Trailer;
        Ok(())
    }

    /// After the last chunk: `name:value` trailer lines (trailer forms only) until an empty
    /// line.
    fn trailer_line(
        &mut self,
        content: &[u8],
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        if content.is_empty() {
            if self.trailer
                && !self.blank_before_trailers
                && self.trailers.is_empty()
                && self.trailer_signature.is_none()
            {
                self.blank_before_trailers = true;
            } else {
                self.state = State::Done;
            }
            return Ok(());
        }
        if !self.trailer {
            return Err(Error::IncompleteBody);
        }
        let colon = content
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::IncompleteBody)?;
        let name = std::str::from_utf8(trim(&content[..colon]))
            .map_err(|_| Error::IncompleteBody)?
            .to_ascii_lowercase();
        let value = std::str::from_utf8(trim(&content[colon + 1..]))
            .map_err(|_| Error::IncompleteBody)?
            .to_owned();
        if name.is_empty() {
            return Err(Error::IncompleteBody);
        }
        if name == TRAILER_SIGNATURE {
            // Unsigned trailers carry no signature; one that does is not checked.
            if self.signer.is_some() {
                if self.trailer_signature.is_some() {
                    return Err(Error::IncompleteBody);
                }
                self.trailer_signature = Some(value);
            }
            return Ok(());
        }
        // Nothing may follow the signature (it would not be covered by it).
        if self.trailer_signature.is_some() || self.trailers.len() >= MAX_TRAILERS {
            return Err(Error::IncompleteBody);
        }
        if let Some(c) = checksum {
            if name == c.algorithm.header_name() {
                if c.trailer_value.is_some() {
                    return Err(Error::IncompleteBody);
                }
                c.trailer_value = Some(value.clone());
            }
        }
        self.trailers.push((name, value));
        Ok(())
    }

    fn finish(&self, decoded: u64, checksum: Option<&RunningChecksum>) -> Result<()> {
        // The trailer section may end without its empty line (the AWS trailer example, and
        // radosgw, which searches the trailer section rather than parsing it), but not inside
        // a line. Nothing is lost: a missing signature or checksum is still refused below.
        let trailer_ended = self.trailer && self.state == State::Trailer && self.line.is_empty();
        if self.state != State::Done && !trailer_ended {
            return Err(Error::IncompleteBody);
        }
        if self.trailer {
            if let Some(s) = &self.signer {
                s.check_trailer(&self.trailers, self.trailer_signature.as_deref())?;
            }
        }
        if self.decoded_length.is_some_and(|n| n != decoded) {
            return Err(Error::IncompleteBody);
        }
        // A checksum promised in x-amz-trailer must come.
        if checksum.is_some_and(|c| c.from_trailer && c.trailer_value.is_none()) {
            return Err(Error::IncompleteBody);
        }
        Ok(())
    }
}

/// 1 to 16 hex digits.
fn parse_hex(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    b.iter().try_fold(0u64, |n, &c| {
        let d = char::from(c).to_digit(16)?;
        Some((n << 4) | u64::from(d))
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let is_blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !is_blank(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_blank(c))
        .map_or(start, |e| e + 1);
    &b[start..end]
}

enum Hasher {
    Crc32(u32),
    Crc32c(u32),
    Crc64Nvme(u64),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    fn new(algorithm: ChecksumAlgorithm) -> Hasher {
        match algorithm {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(!0),
            ChecksumAlgorithm::Crc32c => Hasher::Crc32c(!0),
            ChecksumAlgorithm::Crc64Nvme => Hasher::Crc64Nvme(!0),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(c) => *c = crc32_update(&CRC32_TABLES, *c, data),
            Hasher::Crc32c(c) => *c = crc32_update(&CRC32C_TABLES, *c, data),
            Hasher::Crc64Nvme(c) => *c = crc64_update(&CRC64NVME_TABLES, *c, data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// Base64 of the big-endian CRC or of the digest.
    fn finish(self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match self {
            Hasher::Crc32(c) | Hasher::Crc32c(c) => b64(&(!c).to_be_bytes()),
            Hasher::Crc64Nvme(c) => b64(&(!c).to_be_bytes()),
            Hasher::Sha1(h) => b64(&h.finalize()),
            Hasher::Sha256(h) => b64(&h.finalize()),
        }
    }
}

/// Reflected CRC-32 (IEEE 802.3, zlib's) polynomial.
const CRC32_POLY: u32 = 0xedb8_8320;
/// Reflected CRC-32C (Castagnoli) polynomial.
const CRC32C_POLY: u32 = 0x82f6_3b78;
/// Reflected CRC-64/NVME polynomial.
const CRC64NVME_POLY: u64 = 0x9a6c_9329_ac4b_c9b5;

static CRC32_TABLES: [[u32; 256]; 8] = crc32_tables(CRC32_POLY);
static CRC32C_TABLES: [[u32; 256]; 8] = crc32_tables(CRC32C_POLY);
static CRC64NVME_TABLES: [[u64; 256]; 8] = crc64_tables(CRC64NVME_POLY);

/// Slicing-by-8 tables: `t[0]` is the byte-at-a-time table, `t[k]` advances `k` more zero
/// bytes.
const fn crc32_tables(poly: u32) -> [[u32; 256]; 8] {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        s += 1;
    }
    t
}

const fn crc64_tables(poly: u64) -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u64;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ poly } else { c >> 1 };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut s = 1;
    while s < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[s - 1][i];
            t[s][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        s += 1;
    }
    t
}

/// Running (pre-inverted) reflected CRC-32 state over `data`.
fn crc32_update(t: &[[u32; 256]; 8], mut crc: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let lo = u32::from_le_bytes([w[0], w[1], w[2], w[3]]) ^ crc;
        let hi = u32::from_le_bytes([w[4], w[5], w[6], w[7]]);
        crc = t[7][(lo & 0xff) as usize]
            ^ t[6][((lo >> 8) & 0xff) as usize]
            ^ t[5][((lo >> 16) & 0xff) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][(hi & 0xff) as usize]
            ^ t[2][((hi >> 8) & 0xff) as usize]
            ^ t[1][((hi >> 16) & 0xff) as usize]
            ^ t[0][(hi >> 24) as usize];
    }
    for &b in words.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u32::from(b)) & 0xff) as usize];
    }
    crc
}

/// Running (pre-inverted) reflected CRC-64 state over `data`.
fn crc64_update(t: &[[u64; 256]; 8], mut crc: u64, data: &[u8]) -> u64 {
    let mut words = data.chunks_exact(8);
    for w in &mut words {
        let x = u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]) ^ crc;
        crc = t[7][(x & 0xff) as usize]
            ^ t[6][((x >> 8) & 0xff) as usize]
            ^ t[5][((x >> 16) & 0xff) as usize]
            ^ t[4][((x >> 24) & 0xff) as usize]
            ^ t[3][((x >> 32) & 0xff) as usize]
            ^ t[2][((x >> 40) & 0xff) as usize]
            ^ t[1][((x >> 48) & 0xff) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    for &b in words.remainder() {
        crc = (crc >> 8) ^ t[0][((crc ^ u64::from(b)) & 0xff) as usize];
    }
    crc
}

#[cfg(test)]
mod tests {
    use super::super::sigv4::{derive_signing_key, sha256_hex, signature, UNSIGNED_PAYLOAD};
    use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
    use super::super::{authenticate, authenticate_streaming, Identity};
    use super::*;
    use crate::config::Compat;

    /// The AWS SigV4 reference examples ("Example: PUT Object", chunked upload, with and
    /// without trailing headers).
    const EX_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EX_AK: &str = "AKIAIOSFODNN7EXAMPLE";
    const EX_DATE: &str = "20130524T000000Z";
    const EX_SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
    const EX_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    const EX_SIGS: [&str; 3] = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ];
    const EX_TRAILER_SEED: &str =
        "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
    const EX_TRAILER_SIGS: [&str; 3] = [
        "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
        "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
        "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
    ];
    const EX_TRAILER_SIGNATURE: &str =
        "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
    /// CRC32C of the examples' 66560 bytes of `a`, as the trailer example sends it.
    const EX_CRC32C: &str = "sOO8/Q==";

    /// Request time of the boto3 captures.
    const T: &str = "20261123T085619Z";
    const ADMIN_SCOPE: &str = "20261123/us-east-1/s3/aws4_request";

    fn ex_signing(seed: &str) -> ChunkSigning {
        ChunkSigning {
            key: derive_signing_key(EX_SECRET, "20130524", "us-east-1", "s3"),
            seed: seed.to_string(),
            amz_date: EX_DATE.to_string(),
            scope: EX_SCOPE.to_string(),
        }
    }

    fn ex_data() -> Vec<u8> {
        vec![b'a'; 65536 + 1024]
    }

    /// The example's wire body: a 64 KiB chunk, a 1 KiB chunk and the final one.
    fn ex_body(sigs: &[&str; 3], trailer: Option<&str>) -> Vec<u8> {
        let mut b = Vec::new();
        b.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
        b.extend_from_slice(&[b'a'; 65536]);
        b.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
        b.extend_from_slice(&[b'a'; 1024]);
        b.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
        match trailer {
            Some(t) => b.extend_from_slice(t.as_bytes()),
            None => b.extend_from_slice(b"\r\n"),
        }
        b
    }

    fn ex_spec(trailer: bool) -> Payload {
        Payload::Chunked(ChunkedSpec {
            signing: Some(ex_signing(if trailer { EX_TRAILER_SEED } else { EX_SEED })),
            trailer,
            trailer_names: if trailer {
                vec!["x-amz-checksum-crc32c".into()]
            } else {
                vec![]
            },
            decoded_length: Some(66560),
        })
    }

    /// xorshift64*, for reproducible split points.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as usize % n
        }
    }

    /// Feeds `body` in pieces of `sizes` (cycled), returns (decoded output, finish result).
    fn run_sizes(payload: Payload, body: &[u8], sizes: &[usize]) -> (Vec<u8>, Result<u64>) {
        let mut v = BodyVerifier::new(payload);
        let mut out = Vec::new();
        let mut pos = 0;
        let mut i = 0;
        while pos < body.len() {
            let n = sizes[i % sizes.len()].clamp(1, body.len() - pos);
            i += 1;
            if let Err(e) = v.feed(&body[pos..pos + n], &mut out) {
                // The error sticks.
                assert_eq!(v.feed(b"x", &mut Vec::new()), Err(e.clone()));
                return (out, Err(e));
            }
            pos += n;
        }
        (out, v.finish())
    }

    fn run(payload: Payload, body: &[u8]) -> (Vec<u8>, Result<u64>) {
        run_sizes(payload, body, &[body.len().max(1)])
    }

    /// Many random split patterns, from single bytes up to the whole body; all must agree.
    fn run_random(payload: &Payload, body: &[u8], seed: u64) -> (Vec<u8>, Result<u64>) {
        let first = run(payload.clone(), body);
        let mut rng = Rng(seed | 1);
        for round in 0..40 {
            let max = [1, 2, 3, 7, 64, 100, 4096, 70_000][round % 8];
            let sizes: Vec<usize> = (0..64).map(|_| 1 + rng.below(max)).collect();
            assert_eq!(
                run_sizes(payload.clone(), body, &sizes),
                first,
                "split sizes {sizes:?}"
            );
        }
        first
    }

    #[test]
    fn crc_check_values() {
        let crc = |a, d: &[u8]| {
            let b = base64::engine::general_purpose::STANDARD
                .decode(checksum(a, d))
                .unwrap();
            b.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x))
        };
        let check = b"123456789";
        assert_eq!(crc(ChecksumAlgorithm::Crc32, check), 0xcbf4_3926);
        assert_eq!(crc(ChecksumAlgorithm::Crc32c, check), 0xe306_9283);
        assert_eq!(
            crc(ChecksumAlgorithm::Crc64Nvme, check),
            0xae8b_1486_0a79_9888
        );
        assert_eq!(checksum(ChecksumAlgorithm::Crc32, b""), "AAAAAA==");
        assert_eq!(checksum(ChecksumAlgorithm::Crc64Nvme, b""), "AAAAAAAAAAA=");
        assert_eq!(
            checksum(ChecksumAlgorithm::Sha1, b"abc"),
            "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
        );
        assert_eq!(
            checksum(ChecksumAlgorithm::Sha256, b"abc"),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
        assert_eq!(checksum(ChecksumAlgorithm::Crc32c, &ex_data()), EX_CRC32C);
        // boto3's x-amz-checksum-crc32 of the captured body.
        assert_eq!(checksum(ChecksumAlgorithm::Crc32, &boto_data()), "DoJMOQ==");
        // Piecewise updates equal one update, at any split (the 8-byte fast path included).
        let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 13) as u8).collect();
        let mut rng = Rng(99);
        for a in ChecksumAlgorithm::ALL {
            let whole = checksum(a, &data);
            for _ in 0..20 {
                let mut h = Hasher::new(a);
                let mut pos = 0;
                while pos < data.len() {
                    let n = (1 + rng.below(40)).min(data.len() - pos);
                    h.update(&data[pos..pos + n]);
                    pos += n;
                }
                assert_eq!(h.finish(), whole, "{a:?}");
            }
        }
    }

    #[test]
    fn checksum_names() {
        for a in ChecksumAlgorithm::ALL {
            assert_eq!(ChecksumAlgorithm::from_name(a.name()), Some(a));
            assert_eq!(
                ChecksumAlgorithm::from_name(&a.name().to_lowercase()),
                Some(a)
            );
            assert_eq!(
                ChecksumAlgorithm::from_header_name(&a.header_name().to_uppercase()),
                Some(a)
            );
        }
        assert_eq!(ChecksumAlgorithm::from_name("MD5"), None);
        let r = Req::new("PUT", "/b/k", &[("x-amz-checksum-crc32", " DoJMOQ== ")], T);
        assert_eq!(
            header_checksum(&r.headers),
            Ok(Some((ChecksumAlgorithm::Crc32, "DoJMOQ==".into())))
        );
        let r = Req::new(
            "PUT",
            "/b/k",
            &[("x-amz-checksum-crc32", "a"), ("x-amz-checksum-sha1", "b")],
            T,
        );
        assert_eq!(header_checksum(&r.headers), Err(Error::InvalidRequest));
        let r = Req::new("PUT", "/b/k", &[], T);
        assert_eq!(header_checksum(&r.headers), Ok(None));
    }

    #[test]
    fn aws_example_signed_chunks() {
        let body = ex_body(&EX_SIGS, None);
        assert_eq!(body.len(), 66824); // the example's Content-Length
        let (out, res) = run_random(&ex_spec(false), &body, 1);
        assert_eq!(res, Ok(66560));
        assert_eq!(out, ex_data());
        // Byte by byte.
        let (out, res) = run_sizes(ex_spec(false), &body, &[1]);
        assert_eq!((out.len(), res), (66560, Ok(66560)));
    }

    /// The example's request itself: its seed signature verifies, and authenticate_streaming
    /// hands out the spec the chunks check against.
    #[test]
    fn aws_example_request_yields_the_chunk_spec() {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential={EX_AK}/{EX_SCOPE},SignedHeaders=content-encoding;\
             content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;\
             x-amz-storage-class,Signature={EX_SEED}"
        );
        let r = Req::new(
            "PUT",
            "/examplebucket/chunkObject.txt",
            &[
                ("Host", "s3.amazonaws.com"),
                ("x-amz-date", EX_DATE),
                ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ("Authorization", &auth),
                ("x-amz-content-sha256", STREAMING_PAYLOAD),
                ("Content-Encoding", "aws-chunked"),
                ("x-amz-decoded-content-length", "66560"),
                ("Content-Length", "66824"),
            ],
            EX_DATE,
        );
        let keys = Keys::with(&[(EX_AK, EX_SECRET)]);
        let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
        assert_eq!(ident, Identity::Key(EX_AK.into()));
        assert_eq!(payload, ex_spec(false));
        // The body-reading form checks nothing of an aws-chunked body, as before.
        assert_eq!(
            authenticate(&r.auth(), &keys),
            Ok(Identity::Key(EX_AK.into()))
        );
        // Without x-amz-decoded-content-length radosgw refuses the streamed upload (-EINVAL),
        // after the signature: here it is signed, so the signature fails first.
        let mut r2 = Req::new("PUT", "/examplebucket/chunkObject.txt", &[], EX_DATE);
        r2.headers = r.headers.clone();
        r2.headers.remove("x-amz-decoded-content-length");
        assert_eq!(
            authenticate_streaming(&r2.auth(), &keys).map(|_| ()),
            Err(Error::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn tampered_chunks_fail_the_signature() {
        let body = ex_body(&EX_SIGS, None);
        let payload = ex_spec(false);
        // A data byte changed in the first chunk, in the second.
        for at in [88, 88 + 30_000, 88 + 65535, 66824 - 86 - 2 - 1024] {
            let mut b = body.clone();
            b[at] = b'b';
            let (_, res) = run_random(&payload, &b, at as u64);
            assert_eq!(res, Err(Error::SignatureDoesNotMatch), "byte {at}");
        }
        // Each signature altered (the final chunk's too).
        for i in 0..3 {
            let mut sigs = EX_SIGS;
            let bad = EX_SIGS[i].replace('a', "b");
            sigs[i] = &bad;
            let (_, res) = run(payload.clone(), &ex_body(&sigs, None));
            assert_eq!(res, Err(Error::SignatureDoesNotMatch), "signature {i}");
        }
        // Upper-case hex is not the signature (radosgw compares strings too).
        let upper = EX_SIGS[0].to_uppercase();
        let (_, res) = run(
            payload.clone(),
            &ex_body(&[&upper, EX_SIGS[1], EX_SIGS[2]], None),
        );
        assert_eq!(res, Err(Error::SignatureDoesNotMatch));
        // Another seed (e.g. another request's signature), another key.
        let mut spec = ex_signing("0".repeat(64).as_str());
        let other = |s: ChunkSigning| {
            Payload::Chunked(ChunkedSpec {
                signing: Some(s),
                trailer: false,
                trailer_names: vec![],
                decoded_length: Some(66560),
            })
        };
        assert_eq!(
            run(other(spec.clone()), &body).1,
            Err(Error::SignatureDoesNotMatch)
        );
        spec.seed = EX_SEED.into();
        spec.key[0] ^= 1;
        assert_eq!(run(other(spec), &body).1, Err(Error::SignatureDoesNotMatch));
        // The chunks swapped: the first chunk's signature does not cover the second's data.
        let mut swapped = Vec::new();
        swapped.extend_from_slice(format!("400;chunk-signature={}\r\n", EX_SIGS[1]).as_bytes());
        swapped.extend_from_slice(&[b'a'; 1024]);
        swapped
            .extend_from_slice(format!("\r\n10000;chunk-signature={}\r\n", EX_SIGS[0]).as_bytes());
        swapped.extend_from_slice(&[b'a'; 65536]);
        swapped
            .extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", EX_SIGS[2]).as_bytes());
        assert_eq!(run(payload, &swapped).1, Err(Error::SignatureDoesNotMatch));
    }

    #[test]
    fn truncated_bodies_are_incomplete() {
        let body = ex_body(&EX_SIGS, None);
        let payload = ex_spec(false);
        let mut cuts: Vec<usize> = (0..200).collect();
        cuts.extend((200..body.len()).step_by(997));
        cuts.extend(body.len() - 200..body.len());
        for cut in cuts {
            let (_, res) = run_sizes(payload.clone(), &body[..cut], &[37]);
            assert_eq!(res, Err(Error::IncompleteBody), "cut at {cut}");
        }
        // Without a declared length the framing alone still tells.
        let mut spec = ex_spec(false);
        if let Payload::Chunked(s) = &mut spec {
            s.decoded_length = None;
        }
        let last_data_end = body.len() - 86;
        assert_eq!(
            run(spec.clone(), &body[..last_data_end]).1,
            Err(Error::IncompleteBody)
        );
        assert_eq!(run(spec, &body).1, Ok(66560));
    }

    #[test]
    fn malformed_framing_is_incomplete() {
        let body = ex_body(&EX_SIGS, None);
        let payload = ex_spec(false);
        let bad = |b: &[u8]| run_sizes(payload.clone(), b, &[5, 1, 4096]).1;
        // Bytes after the end.
        let mut more = body.clone();
        more.extend_from_slice(b"x");
        assert_eq!(bad(&more), Err(Error::IncompleteBody));
        let mut more = body.clone();
        more.extend_from_slice(b"0\r\n\r\n");
        assert_eq!(bad(&more), Err(Error::IncompleteBody));
        for (from, to) in [
            ("10000;", "zz;"),
            ("10000;", ";"),
            ("10000;", "10000000000000000;"),
            ("10000;chunk-signature=", "10000;chunk-signatur="),
            ("10000;chunk-signature=", "10000;"),
            ("10000;chunk-signature=", "10000"),
            ("10000;chunk-signature=ad80", "10000;chunk-signature=ad8"),
            ("10000;chunk-signature=ad80", "10000;chunk-signature=ad800"),
            ("10000;", " 10000;"),
        ] {
            let s = String::from_utf8_lossy(&body[..200]).replacen(from, to, 1);
            let mut b = s.into_bytes();
            b.truncate(b.iter().position(|&c| c == b'a').unwrap());
            b.extend_from_slice(&body[88..]);
            assert_eq!(bad(&b), Err(Error::IncompleteBody), "{to}");
        }
        // A chunk shorter or longer than declared: the CRLF is not where it should be.
        let mut short = body.clone();
        short.remove(100);
        assert_eq!(bad(&short), Err(Error::IncompleteBody));
        let mut long = body.clone();
        long.insert(100, b'a');
        assert_eq!(bad(&long), Err(Error::IncompleteBody));
        // Bare LF line ends.
        let lf = String::from_utf8(body[..88].to_vec())
            .unwrap()
            .replace("\r\n", "\n");
        let mut b = lf.into_bytes();
        b.extend_from_slice(&body[88..]);
        assert_eq!(bad(&b), Err(Error::IncompleteBody));
        // A header line longer than 4 KiB, with or without its end.
        let mut long_line = b"10000;chunk-signature=".to_vec();
        long_line.resize(MAX_LINE + 10, b'0');
        assert_eq!(bad(&long_line), Err(Error::IncompleteBody));
        long_line.extend_from_slice(b"\r\n");
        assert_eq!(bad(&long_line), Err(Error::IncompleteBody));
        // Trailer lines in the form without trailers.
        let mut t = body[..body.len() - 2].to_vec();
        t.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
        assert_eq!(bad(&t), Err(Error::IncompleteBody));
        // Empty body.
        assert_eq!(bad(b""), Err(Error::IncompleteBody));
    }

    #[test]
    fn decoded_length_must_match() {
        let body = ex_body(&EX_SIGS, None);
        for (len, want) in [
            (66560, Ok(66560)),
            (66561, Err(Error::IncompleteBody)),
            // Known early: the second chunk goes past it.
            (66559, Err(Error::IncompleteBody)),
            (0, Err(Error::IncompleteBody)),
        ] {
            let mut p = ex_spec(false);
            if let Payload::Chunked(s) = &mut p {
                s.decoded_length = Some(len);
            }
            assert_eq!(run(p, &body).1, want, "{len}");
        }
        // Refused as soon as the oversized chunk header arrives, before its data.
        let mut p = ex_spec(false);
        if let Payload::Chunked(s) = &mut p {
            s.decoded_length = Some(100);
        }
        let mut v = BodyVerifier::new(p);
        let mut out = Vec::new();
        assert_eq!(v.feed(&body[..88], &mut out), Err(Error::IncompleteBody));
        assert!(out.is_empty());
    }

    /// An independent signer: aws-sigv4's `sign_chunk` / `sign_trailer`.
    fn sdk_sign(seed: &str, chunks: &[&[u8]], trailers: &[(&str, &str)]) -> (Vec<String>, String) {
        use aws_credential_types::Credentials;
        use aws_sigv4::sign::v4::{sign_chunk, sign_trailer, SigningParams};
        use aws_smithy_runtime_api::client::identity::Identity as SdkIdentity;
        let identity: SdkIdentity = Credentials::new(EX_AK, EX_SECRET, None, None, "t").into();
        let params = SigningParams::<()>::builder()
            .identity(&identity)
            .region("us-east-1")
            .name("s3")
            .time(at(EX_DATE))
            .settings(())
            .build()
            .unwrap();
        let mut prev = seed.to_string();
        let mut sigs = Vec::new();
        for c in chunks {
            let chunk = bytes::Bytes::copy_from_slice(c);
            prev = sign_chunk(&chunk, &prev, &params)
                .unwrap()
                .signature()
                .to_string();
            sigs.push(prev.clone());
        }
        let mut h = aws_smithy_runtime_api::http::Headers::new();
        for (n, v) in trailers {
            h.insert(n.to_string(), v.to_string());
        }
        let t = sign_trailer(&h, &prev, &params)
            .unwrap()
            .signature()
            .to_string();
        (sigs, t)
    }

    #[test]
    fn aws_example_signed_trailer() {
        let (sigs, trailer_sig) = sdk_sign(
            EX_TRAILER_SEED,
            &[&[b'a'; 65536], &[b'a'; 1024], b""],
            &[("x-amz-checksum-crc32c", EX_CRC32C)],
        );
        // The SDK agrees with the published signatures.
        assert_eq!(sigs, EX_TRAILER_SIGS);
        assert_eq!(trailer_sig, EX_TRAILER_SIGNATURE);
        let trailer = format!(
            "x-amz-checksum-crc32c:{EX_CRC32C}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n"
        );
        let body = ex_body(&EX_TRAILER_SIGS, Some(&trailer));
        let payload = ex_spec(true);
        let mut v = BodyVerifier::new(payload.clone());
        let mut out = Vec::new();
        v.feed(&body, &mut out).unwrap();
        assert_eq!(
            v.finish_with_checksum(),
            Ok((
                66560,
                Some(Checksum {
                    algorithm: ChecksumAlgorithm::Crc32c,
                    value: EX_CRC32C.into()
                })
            ))
        );
        assert_eq!(run_random(&payload, &body, 7).1, Ok(66560));
        let with = |t: &str| run(payload.clone(), &ex_body(&EX_TRAILER_SIGS, Some(t))).1;
        // Trailer signature wrong, missing, duplicated, or a trailer after it.
        let bad_sig = trailer.replace(&trailer_sig, EX_TRAILER_SIGS[2]);
        assert_eq!(with(&bad_sig), Err(Error::SignatureDoesNotMatch));
        assert_eq!(
            with(&format!("x-amz-checksum-crc32c:{EX_CRC32C}\r\n\r\n")),
            Err(Error::SignatureDoesNotMatch)
        );
        let dup = trailer.replace(
            "\r\n\r\n",
            &format!("\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n"),
        );
        assert_eq!(with(&dup), Err(Error::IncompleteBody));
        let after = trailer.replace("\r\n\r\n", "\r\nx-foo:1\r\n\r\n");
        assert_eq!(with(&after), Err(Error::IncompleteBody));
        // Another checksum value, however signed: the signature catches an unsigned change,
        // the checksum a signed one.
        let other = "AAAAAA==";
        let changed = trailer.replace(EX_CRC32C, other);
        assert_eq!(with(&changed), Err(Error::SignatureDoesNotMatch));
        let (_, resigned) = sdk_sign(
            EX_TRAILER_SEED,
            &[&[b'a'; 65536], &[b'a'; 1024], b""],
            &[("x-amz-checksum-crc32c", other)],
        );
        assert_eq!(
            with(&format!(
                "x-amz-checksum-crc32c:{other}\r\nx-amz-trailer-signature:{resigned}\r\n\r\n"
            )),
            Err(Error::BadDigest)
        );
        // The promised checksum must come, signed or not.
        let (_, empty_sig) = sdk_sign(EX_TRAILER_SEED, &[&[b'a'; 65536], &[b'a'; 1024], b""], &[]);
        assert_eq!(
            with(&format!("x-amz-trailer-signature:{empty_sig}\r\n\r\n")),
            Err(Error::IncompleteBody)
        );
        // Truncated inside the trailer: refused inside a line; at the end of a line, as
        // complete as what it holds (the final empty line may be left out).
        for cut in 1..trailer.len() {
            let part = &trailer[..cut];
            let want = if !part.ends_with("\r\n") {
                Err(Error::IncompleteBody)
            } else if part.contains(TRAILER_SIGNATURE) {
                Ok(66560)
            } else {
                Err(Error::SignatureDoesNotMatch)
            };
            assert_eq!(with(part), want, "{cut}");
        }
        // The example as the AWS page lays it out: the last chunk's CRLF, the trailers, no
        // final empty line.
        let doc = format!(
            "\r\nx-amz-checksum-crc32c:{EX_CRC32C}\r\nx-amz-trailer-signature:{EX_TRAILER_SIGNATURE}\r\n"
        );
        assert_eq!(
            run_random(&payload, &ex_body(&EX_TRAILER_SIGS, Some(&doc)), 8).1,
            Ok(66560)
        );
        // Only one blank line is taken for that: a second one ends the body.
        let two = format!("\r\n{doc}");
        assert_eq!(with(&two), Err(Error::IncompleteBody));
    }

    /// Signed chunks built with the SDK over other data: several trailers, sorted for the
    /// signature whatever order they come in.
    #[test]
    fn signed_trailer_with_several_trailers() {
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
        let sha = checksum(ChecksumAlgorithm::Sha256, &data);
        let trailers = [
            ("x-amz-meta-z", "last"),
            ("x-amz-checksum-sha256", sha.as_str()),
        ];
        let (sigs, tsig) = sdk_sign(
            EX_TRAILER_SEED,
            &[&data[..8192], &data[8192..], b""],
            &trailers,
        );
        let mut body = Vec::new();
        body.extend_from_slice(format!("2000;chunk-signature={}\r\n", sigs[0]).as_bytes());
        body.extend_from_slice(&data[..8192]);
        // Upper-case hex sizes are fine.
        body.extend_from_slice(format!("\r\n2E20;chunk-signature={}\r\n", sigs[1]).as_bytes());
        body.extend_from_slice(&data[8192..]);
        body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
        body.extend_from_slice(
            format!("X-Amz-Meta-Z: last\r\nx-amz-checksum-sha256:{sha}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n")
                .as_bytes(),
        );
        let payload = Payload::Chunked(ChunkedSpec {
            signing: Some(ex_signing(EX_TRAILER_SEED)),
            trailer: true,
            trailer_names: vec!["x-amz-meta-z".into(), "x-amz-checksum-sha256".into()],
            decoded_length: Some(20_000),
        });
        let (out, res) = run_random(&payload, &body, 3);
        assert_eq!((out == data, res), (true, Ok(20_000)));
    }

    fn boto_data() -> Vec<u8> {
        let mut d: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
        d.extend_from_slice(b"hello");
        d
    }

    fn boto_auth(signed: &str, sig: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{ADMIN_SCOPE}, SignedHeaders={signed}, \
             Signature={sig}"
        )
    }

    /// boto3 1.44.8 over https: `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with a CRC32 trailer.
    /// Headers as captured (CRT signer; botocore's own signs the same), the body as it is
    /// once HTTP chunking is removed.
    fn boto_https(target: &str, host: &str, sig: &str, len: usize) -> Req {
        let signed = "content-encoding;host;x-amz-content-sha256;x-amz-date;\
                      x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer";
        Req::new(
            "PUT",
            target,
            &[
                ("Expect", "100-continue"),
                ("Transfer-Encoding", "chunked"),
                ("Content-Encoding", "aws-chunked"),
                ("X-Amz-Trailer", "x-amz-checksum-crc32"),
                ("X-Amz-Decoded-Content-Length", &len.to_string()),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("host", host),
                ("X-Amz-Date", T),
                ("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER),
                ("Authorization", &boto_auth(signed, sig)),
            ],
            T,
        )
    }

    fn unsigned_chunked(data: &[u8], chunk: usize, trailer: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for piece in data.chunks(chunk) {
            b.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            b.extend_from_slice(piece);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"0\r\n");
        b.extend_from_slice(trailer.as_bytes());
        b
    }

    #[test]
    fn boto3_https_unsigned_trailer() {
        let keys = Keys::admin();
        let data = boto_data();
        let body = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
        assert!(body.starts_with(b"405\r\n"));
        for (target, sig) in [
            (
                "/bkt/obj/a%20b.txt",
                "c6fe8ca7a1cd5c96084ae07aac25fca1c554c10dd724be931bcb0a4805f75cd3",
            ),
            (
                "/bkt/big?uploadId=2~abc&partNumber=1",
                "c8b474053da66344909f47df10d73410eec23654384cd32e770699cb68216d0c",
            ),
        ] {
            let r = boto_https(target, "127.0.0.1:44411", sig, data.len());
            let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
            assert_eq!(ident, admin());
            assert_eq!(
                payload,
                Payload::Chunked(ChunkedSpec {
                    signing: None,
                    trailer: true,
                    trailer_names: vec!["x-amz-checksum-crc32".into()],
                    decoded_length: Some(1029),
                })
            );
            let (out, res) = run_random(&payload, &body, 11);
            assert_eq!((out == data, res), (true, Ok(1029)), "{target}");
            // Another checksum, or data changed under it: BadDigest.
            let bad = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:DoJMOA==\r\n\r\n");
            assert_eq!(run(payload.clone(), &bad).1, Err(Error::BadDigest));
            let mut changed = body.clone();
            changed[10] ^= 1;
            assert_eq!(run(payload.clone(), &changed).1, Err(Error::BadDigest));
            // The promised trailer missing; the trailer section cut short.
            let none = unsigned_chunked(&data, 1 << 20, "\r\n");
            assert_eq!(run(payload.clone(), &none).1, Err(Error::IncompleteBody));
            let cut = &body[..body.len() - 5];
            assert_eq!(run(payload.clone(), cut).1, Err(Error::IncompleteBody));
            // Only the final empty line missing: complete enough.
            let cut = &body[..body.len() - 2];
            assert_eq!(run(payload.clone(), cut).1, Ok(1029));
            // Chunked otherwise: still fine.
            let small = unsigned_chunked(&data, 100, "x-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
            assert_eq!(run(payload.clone(), &small).1, Ok(1029));
            // A blank line between the last chunk and the trailers is tolerated.
            let blank =
                unsigned_chunked(&data, 1 << 20, "\r\nx-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
            assert_eq!(run(payload.clone(), &blank).1, Ok(1029));
            // The signature covers the trailer declaration.
            let mut r2 = boto_https(target, "127.0.0.1:44411", sig, data.len());
            r2.headers.insert(
                "x-amz-trailer",
                hyper::header::HeaderValue::from_static("x-amz-checksum-sha1"),
            );
            assert_eq!(
                authenticate_streaming(&r2.auth(), &keys).map(|_| ()),
                Err(Error::SignatureDoesNotMatch)
            );
        }
    }

    /// A 2.5 MiB upload: boto3 cuts it in 1 MiB aws-chunks.
    #[test]
    fn boto3_https_multi_chunk() {
        let data: Vec<u8> = (0..2_621_440u32).map(|i| (i % 251) as u8).collect();
        let r = boto_https(
            "/bkt/obj/a%20b.txt",
            "127.0.0.1:49605",
            "3fc8254ec610188763f026b996d386918d23f045d3ef6166355e07c24faa8d82",
            data.len(),
        );
        let (_, payload) = authenticate_streaming(&r.auth(), &Keys::admin()).unwrap();
        let body = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:L7jIKA==\r\n\r\n");
        let mut rng = Rng(5);
        for max in [1000, 16384, 300_000] {
            let sizes: Vec<usize> = (0..32).map(|_| 1 + rng.below(max)).collect();
            let (out, res) = run_sizes(payload.clone(), &body, &sizes);
            assert_eq!((out == data, res), (true, Ok(2_621_440)));
        }
    }

    /// boto3 1.44.8 over plain http: the payload is hashed and the CRC32 sent as a header.
    #[test]
    fn boto3_http_hashed_payload() {
        let keys = Keys::admin();
        let data = boto_data();
        let hash = "c94762ad6265cfdbd56927e2cb786cc3113b6096b978a2aeda0aef1088310674";
        assert_eq!(sha256_hex(&data), hash);
        let signed = "host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;\
                      x-amz-sdk-checksum-algorithm";
        for (target, sig) in [
            (
                "/bkt/obj/a%20b.txt",
                "17559b634670f684562b398723e5039dbf20afbdddd81d0a4753517bfdb5c96f",
            ),
            (
                "/bkt/big?uploadId=2~abc&partNumber=1",
                "b4d2fc0c232b9e07f1424cae39ae38b057f0b1e0df90416b55f194d7b61189e5",
            ),
        ] {
            let r = Req::new(
                "PUT",
                target,
                &[
                    ("Expect", "100-continue"),
                    ("x-amz-checksum-crc32", "DoJMOQ=="),
                    ("x-amz-sdk-checksum-algorithm", "CRC32"),
                    ("host", "127.0.0.1:33769"),
                    ("X-Amz-Date", T),
                    ("x-amz-content-sha256", hash),
                    ("Authorization", &boto_auth(signed, sig)),
                    ("Content-Length", "1029"),
                ],
                T,
            );
            // The body is not looked at (this one is wrong), only described.
            let r = r.body(b"not the body");
            let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
            assert_eq!(ident, admin());
            let mut want = [0u8; 32];
            hex::decode_to_slice(hash, &mut want).unwrap();
            assert_eq!(payload, Payload::Sha256(want));
            assert_eq!(run_random(&payload, &data, 2), (data.clone(), Ok(1029)));
            let mut changed = data.clone();
            changed[0] ^= 1;
            assert_eq!(
                run(payload.clone(), &changed).1,
                Err(Error::ContentSha256Mismatch)
            );
            assert_eq!(
                run(payload.clone(), &data[..1028]).1,
                Err(Error::ContentSha256Mismatch)
            );
            // The header checksum, when the caller asks for it.
            let (alg, value) = header_checksum(&r.headers).unwrap().unwrap();
            let mut v = BodyVerifier::with_checksum(payload.clone(), alg, Some(&value)).unwrap();
            let mut out = Vec::new();
            v.feed(&data, &mut out).unwrap();
            assert_eq!(
                v.finish_with_checksum(),
                Ok((
                    1029,
                    Some(Checksum {
                        algorithm: ChecksumAlgorithm::Crc32,
                        value: "DoJMOQ==".into()
                    })
                ))
            );
            let mut v =
                BodyVerifier::with_checksum(Payload::Unchecked, alg, Some("AAAAAA==")).unwrap();
            v.feed(&data, &mut Vec::new()).unwrap();
            assert_eq!(v.finish(), Err(Error::BadDigest));
            // And the whole-body form agrees.
            let r = r.body(&data);
            assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
        }
    }

    /// A request to sign by hand: PUT /b/k with the given extra headers.
    fn signed_put(
        payload_header: Option<&str>,
        payload_signed: &str,
        extra: &[(&str, &str)],
    ) -> Req {
        let mut names: Vec<String> = vec!["host".into(), "x-amz-date".into()];
        let mut headers: Vec<(String, String)> =
            vec![("host".into(), "h".into()), ("x-amz-date".into(), T.into())];
        if let Some(p) = payload_header {
            names.push("x-amz-content-sha256".into());
            headers.push(("x-amz-content-sha256".into(), p.into()));
        }
        for (k, v) in extra {
            names.push(k.to_string());
            headers.push((k.to_string(), v.to_string()));
        }
        let mut sorted = headers.clone();
        sorted.sort();
        names.sort();
        let canonical: String = sorted.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let creq = format!(
            "PUT\n/b/k\n\n{canonical}\n{}\n{payload_signed}",
            names.join(";")
        );
        let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
        let sts = format!(
            "AWS4-HMAC-SHA256\n{T}\n{ADMIN_SCOPE}\n{}",
            sha256_hex(creq.as_bytes())
        );
        let sig = signature(&key, sts.as_bytes());
        let auth = boto_auth(&names.join(";"), &sig);
        let mut all: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        all.push(("Authorization", &auth));
        Req::new("PUT", "/b/k", &all, T)
    }

    #[test]
    fn streaming_without_the_body() {
        let keys = Keys::admin();
        let body = b"some body";
        // No x-amz-content-sha256, signed with the body's hash (curl --aws-sigv4): Reef takes
        // it when it has the body; streamed, only UNSIGNED-PAYLOAD can be assumed.
        let r = signed_put(None, &sha256_hex(body), &[]).body(body);
        assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys),
            Err(Error::SignatureDoesNotMatch)
        );
        let r = signed_put(None, UNSIGNED_PAYLOAD, &[]).body(body);
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys),
            Ok((admin(), Payload::Unchecked))
        );
        let r = signed_put(Some(UNSIGNED_PAYLOAD), UNSIGNED_PAYLOAD, &[]);
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys),
            Ok((admin(), Payload::Unchecked))
        );
        // A hashed payload is described, not compared: the mismatch shows at the end.
        let h = sha256_hex(body);
        let r = signed_put(Some(&h), &h, &[]).body(b"other");
        assert_eq!(
            authenticate(&r.auth(), &keys),
            Err(Error::ContentSha256Mismatch)
        );
        let (_, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
        assert_eq!(run(payload.clone(), body), (body.to_vec(), Ok(9)));
        assert_eq!(run(payload, b"other").1, Err(Error::ContentSha256Mismatch));
        // Pacific too.
        let mut a = r.auth();
        a.compat = Compat::Pacific;
        assert!(matches!(
            authenticate_streaming(&a, &keys),
            Ok((_, Payload::Sha256(_)))
        ));
        // Streaming forms need x-amz-decoded-content-length, a plain length.
        for form in [
            STREAMING_PAYLOAD,
            STREAMING_PAYLOAD_TRAILER,
            STREAMING_UNSIGNED_TRAILER,
        ] {
            let r = signed_put(Some(form), form, &[]);
            assert_eq!(
                authenticate_streaming(&r.auth(), &keys),
                Err(Error::InvalidArgument),
                "{form}"
            );
            // The body-reading form does not look (as before).
            assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
            for bad in ["-1", "1e3", "", "18446744073709551616"] {
                let r = signed_put(Some(form), form, &[("x-amz-decoded-content-length", bad)]);
                assert_eq!(
                    authenticate_streaming(&r.auth(), &keys),
                    Err(Error::InvalidArgument),
                    "{bad}"
                );
            }
            let r = signed_put(
                Some(form),
                form,
                &[
                    ("x-amz-decoded-content-length", "5"),
                    ("x-amz-trailer", "X-Amz-Checksum-CRC32C, x-amz-meta-a"),
                ],
            );
            let Ok((_, Payload::Chunked(spec))) = authenticate_streaming(&r.auth(), &keys) else {
                panic!("{form}");
            };
            assert_eq!(spec.decoded_length, Some(5));
            assert_eq!(spec.signing.is_some(), form != STREAMING_UNSIGNED_TRAILER);
            assert_eq!(spec.trailer, form != STREAMING_PAYLOAD);
            if spec.trailer {
                assert_eq!(
                    spec.trailer_names,
                    ["x-amz-checksum-crc32c", "x-amz-meta-a"]
                );
            }
            if let Some(s) = &spec.signing {
                assert_eq!(s.amz_date, T);
                assert_eq!(s.scope, ADMIN_SCOPE);
                assert_eq!(
                    s.key,
                    derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3")
                );
                let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
                assert!(auth.ends_with(&format!("Signature={}", s.seed)));
                // The key never shows in Debug output.
                assert!(!format!("{s:?}").contains(&format!("{:?}", s.key)));
            }
        }
    }

    #[test]
    fn other_schemes_stream_unchecked() {
        let keys = Keys::admin();
        // Anonymous.
        let r = Req::new(
            "PUT",
            "/b/k",
            &[("x-amz-content-sha256", STREAMING_PAYLOAD)],
            T,
        );
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys),
            Ok((Identity::Anonymous, Payload::Unchecked))
        );
        // Errors stay the same as `authenticate`'s.
        let r = Req::new("PUT", "/b/k", &[("Authorization", "Bearer x")], T);
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys).map(|_| ()),
            Err(Error::InvalidArgument)
        );
        let r = signed_put(Some(UNSIGNED_PAYLOAD), UNSIGNED_PAYLOAD, &[]);
        let mut bad = Req::new("PUT", "/b/k", &[], T);
        bad.headers = r.headers.clone();
        bad.method = "POST".into();
        assert_eq!(
            authenticate_streaming(&bad.auth(), &keys).map(|_| ()),
            Err(Error::SignatureDoesNotMatch)
        );
        assert_eq!(
            authenticate_streaming(&r.auth(), &Keys::with(&[])).map(|_| ()),
            Err(Error::InvalidAccessKeyId)
        );
    }

    #[test]
    fn plain_bodies() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31) as u8).collect();
        assert_eq!(
            run_random(&Payload::Unchecked, &data, 4),
            (data.clone(), Ok(10_000))
        );
        assert_eq!(run(Payload::Unchecked, b""), (vec![], Ok(0)));
        let v = BodyVerifier::new(Payload::Unchecked);
        assert_eq!(v.finish(), Ok(0));
        let want: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(
            run_random(&Payload::Sha256(want), &data, 5),
            (data.clone(), Ok(10_000))
        );
        assert_eq!(
            run(Payload::Sha256(want), &data[1..]).1,
            Err(Error::ContentSha256Mismatch)
        );
        let empty: [u8; 32] = Sha256::digest(b"").into();
        assert_eq!(run(Payload::Sha256(empty), b"").1, Ok(0));
        assert_eq!(BodyVerifier::new(Payload::Sha256(empty)).finish(), Ok(0));
    }

    #[test]
    fn unsigned_trailer_edge_cases() {
        let spec = |names: &[&str], len: Option<u64>| {
            Payload::Chunked(ChunkedSpec {
                signing: None,
                trailer: true,
                trailer_names: names.iter().map(|s| s.to_string()).collect(),
                decoded_length: len,
            })
        };
        // No trailer promised, none sent.
        assert_eq!(run(spec(&[], Some(3)), b"3\r\nabc\r\n0\r\n\r\n").1, Ok(3));
        assert_eq!(run(spec(&[], Some(0)), b"0\r\n\r\n").1, Ok(0));
        assert_eq!(run(spec(&[], None), b"0\r\n\r\n\r\n").1, Ok(0));
        // Extensions on unsigned chunk headers are ignored; hex in either case.
        assert_eq!(
            run(spec(&[], Some(10)), b"A;x=y\r\n0123456789\r\n0\r\n\r\n").1,
            Ok(10)
        );
        // Undeclared trailers pass unverified; a declared non-checksum one is not required.
        assert_eq!(
            run(
                spec(&["x-amz-meta-a"], None),
                b"1\r\nz\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
            )
            .1,
            Ok(1)
        );
        // Trailer lines must be name:value.
        assert_eq!(
            run(spec(&[], None), b"0\r\nno colon\r\n\r\n").1,
            Err(Error::IncompleteBody)
        );
        assert_eq!(
            run(spec(&[], None), b"0\r\n:v\r\n\r\n").1,
            Err(Error::IncompleteBody)
        );
        // Too many trailers.
        let mut many = b"0\r\n".to_vec();
        for i in 0..=MAX_TRAILERS {
            many.extend_from_slice(format!("x-{i}:v\r\n").as_bytes());
        }
        many.extend_from_slice(b"\r\n");
        assert_eq!(run(spec(&[], None), &many).1, Err(Error::IncompleteBody));
        // The checksum trailer twice.
        let c = checksum(ChecksumAlgorithm::Crc32, b"z");
        let twice =
            format!("1\r\nz\r\n0\r\nx-amz-checksum-crc32:{c}\r\nx-amz-checksum-crc32:{c}\r\n\r\n");
        assert_eq!(
            run(spec(&["x-amz-checksum-crc32"], None), twice.as_bytes()).1,
            Err(Error::IncompleteBody)
        );
        // A header checksum for another algorithm than the trailer's.
        assert!(matches!(
            BodyVerifier::with_checksum(
                spec(&["x-amz-checksum-crc32"], None),
                ChecksumAlgorithm::Sha1,
                None
            ),
            Err(Error::InvalidRequest)
        ));
        // Same algorithm in both: both must match.
        let once = format!("1\r\nz\r\n0\r\nx-amz-checksum-crc32:{c}\r\n\r\n");
        let mut v = BodyVerifier::with_checksum(
            spec(&["x-amz-checksum-crc32"], None),
            ChecksumAlgorithm::Crc32,
            Some("AAAAAA=="),
        )
        .unwrap();
        v.feed(once.as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(v.finish(), Err(Error::BadDigest));
        // Computing without an expectation.
        let mut v = BodyVerifier::with_checksum(Payload::Unchecked, ChecksumAlgorithm::Crc32, None)
            .unwrap();
        v.feed(b"z", &mut Vec::new()).unwrap();
        assert_eq!(v.finish_with_checksum().unwrap().1.unwrap().value, c);
    }

    /// Not a test of behaviour: `cargo test --release -- --ignored --nocapture throughput`.
    #[test]
    #[ignore]
    fn throughput() {
        let data = vec![7u8; 64 << 20];
        for a in ChecksumAlgorithm::ALL {
            let start = std::time::Instant::now();
            let _ = checksum(a, &data);
            let secs = start.elapsed().as_secs_f64();
            eprintln!("{a:?}: {:.0} MB/s", 64.0 * 1.048_576 / secs);
        }
        let time = |name: &str, payload: Payload, body: &[u8]| {
            let start = std::time::Instant::now();
            let mut v = BodyVerifier::new(payload);
            let mut out = Vec::with_capacity(1 << 20);
            for piece in body.chunks(256 * 1024) {
                out.clear();
                v.feed(piece, &mut out).unwrap();
            }
            assert_eq!(v.finish(), Ok(64 << 20));
            let secs = start.elapsed().as_secs_f64();
            eprintln!("{name}: {:.0} MB/s", 64.0 * 1.048_576 / secs);
        };
        let unsigned = Payload::Chunked(ChunkedSpec {
            signing: None,
            trailer: true,
            trailer_names: vec![],
            decoded_length: None,
        });
        time(
            "unsigned decode",
            unsigned,
            &unsigned_chunked(&data, 1 << 20, "\r\n"),
        );
        let chunks: Vec<&[u8]> = data.chunks(1 << 20).chain([&b""[..]]).collect();
        let (sigs, _) = sdk_sign(EX_SEED, &chunks, &[]);
        let mut body = Vec::new();
        for (c, s) in chunks.iter().zip(&sigs) {
            body.extend_from_slice(format!("{:x};chunk-signature={s}\r\n", c.len()).as_bytes());
            body.extend_from_slice(c);
            body.extend_from_slice(b"\r\n");
        }
        let signed = Payload::Chunked(ChunkedSpec {
            signing: Some(ex_signing(EX_SEED)),
            trailer: false,
            trailer_names: vec![],
            decoded_length: Some(64 << 20),
        });
        time("signed decode", signed, &body);
    }
}
