//! The flexible checksums S3 defines (`x-amz-checksum-*`), computed over a decoded body.

use base64::Engine as _;
use hyper::HeaderMap;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

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

    /// Bytes of the CRC or digest (before base64).
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
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
/// More than one → `InvalidRequest` (S3 takes a single checksum per request); so is a value
/// that is not the base64 of a checksum of that algorithm (S3: "Value for
/// x-amz-checksum-crc32 header is invalid").
pub fn header_checksum(headers: &HeaderMap) -> Result<Option<(ChecksumAlgorithm, String)>> {
    // One pass over the few headers a request has, instead of a lookup per algorithm
    // (each parses and hashes the name): most requests carry no checksum header.
    if !headers
        .keys()
        .any(|k| k.as_str().starts_with("x-amz-checksum-"))
    {
        return Ok(None);
    }
    let mut found = None;
    for algorithm in ChecksumAlgorithm::ALL {
        let mut values = headers.get_all(algorithm.header_name()).iter();
        let Some(v) = values.next() else { continue };
        if found.is_some() || values.next().is_some() {
            return Err(Error::InvalidRequest);
        }
        let v = v.to_str().map_err(|_| Error::InvalidRequest)?.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(v)
            .map_err(|_| Error::InvalidRequest)?;
        if decoded.len() != algorithm.digest_len() {
            return Err(Error::InvalidRequest);
        }
        found = Some((algorithm, v.to_owned()));
    }
    Ok(found)
}

/// A running checksum. The CRCs come from `crc-fast` (SIMD carry-less multiplication where the
/// CPU has it, a table fallback elsewhere); the digests from the RustCrypto crates.
pub(super) enum Hasher {
    /// CRC-32 (zlib's) or CRC-32C (Castagnoli).
    Crc32(crc_fast::Digest),
    /// CRC-64/NVME.
    Crc64(crc_fast::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl Hasher {
    pub(super) fn new(algorithm: ChecksumAlgorithm) -> Hasher {
        use crc_fast::{CrcAlgorithm, Digest as Crc};
        match algorithm {
            ChecksumAlgorithm::Crc32 => Hasher::Crc32(Crc::new(CrcAlgorithm::Crc32IsoHdlc)),
            ChecksumAlgorithm::Crc32c => Hasher::Crc32(Crc::new(CrcAlgorithm::Crc32Iscsi)),
            ChecksumAlgorithm::Crc64Nvme => Hasher::Crc64(Crc::new(CrcAlgorithm::Crc64Nvme)),
            ChecksumAlgorithm::Sha1 => Hasher::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => Hasher::Sha256(Sha256::new()),
        }
    }

    pub(super) fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(d) | Hasher::Crc64(d) => d.update(data),
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
        }
    }

    /// Base64 of the big-endian CRC or of the digest.
    pub(super) fn finish(self) -> String {
        let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
        match self {
            // crc-fast returns every width in a u64; a 32-bit CRC is its low half.
            Hasher::Crc32(d) => b64(&(d.finalize() as u32).to_be_bytes()),
            Hasher::Crc64(d) => b64(&d.finalize().to_be_bytes()),
            Hasher::Sha1(h) => b64(&h.finalize()),
            Hasher::Sha256(h) => b64(&h.finalize()),
        }
    }
}
