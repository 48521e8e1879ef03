//! What an upload's request headers may ask and what of them an object keeps: the headers
//! stored and returned on GET/HEAD, the size limits on them, `Content-MD5`, and the
//! encryption and storage classes this gateway refuses rather than ignores.

use http::HeaderMap;

use super::S3Request;
use crate::error::{Error, Result};

/// Headers stored with an object and returned on GET/HEAD.
const KEPT_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// S3's limit on the user metadata (`x-amz-meta-*` names and values) of one object.
pub const MAX_USER_METADATA: usize = 2048;

const CONTENT_MD5: http::HeaderName = http::HeaderName::from_static("content-md5");

/// Longest object name, in bytes (radosgw's `MAX_OBJ_NAME_LEN`): a request naming a longer
/// one gets `InvalidObjectName` once it is authenticated, whatever its op.
pub const MAX_KEY_LEN: usize = 1024;

/// AWS's limit on a request's headers, applied to the standard headers an object keeps.
pub const MAX_STANDARD_HEADERS: usize = 8192;

/// A header value's bytes as text, one char per byte (Latin-1): a value that is not ASCII (a
/// client's UTF-8 metadata, or Latin-1 from Python's `http.client`) is kept exactly, where
/// it was dropped before, and [`header_bytes`] gives the same bytes back.
pub fn header_text(v: &[u8]) -> String {
    v.iter().map(|&b| char::from(b)).collect()
}

/// The bytes [`header_text`] kept (a value stored otherwise, all chars past U+00FF, as UTF-8).
pub fn header_bytes(s: &str) -> std::borrow::Cow<'_, [u8]> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s.as_bytes());
    }
    match s.chars().map(u8::try_from).collect() {
        Ok(bytes) => std::borrow::Cow::Owned(bytes),
        Err(_) => std::borrow::Cow::Borrowed(s.as_bytes()),
    }
}

/// Stored headers of an upload: the standard ones kept, and every `x-amz-meta-*`;
/// `MetadataTooLarge` past S3's 2 KiB of user metadata.
pub fn stored_headers(h: &HeaderMap) -> Result<Vec<(String, String)>> {
    let mut out: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| {
            KEPT_HEADERS.contains(&k.as_str()) || k.as_str().starts_with("x-amz-meta-")
        })
        .map(|(k, v)| (k.as_str().to_string(), header_text(v.as_bytes())))
        // `aws-chunked` describes the upload's framing, not the object.
        .filter_map(|(k, v)| {
            if k != "content-encoding" {
                return Some((k, v));
            }
            let tokens = v.split(',').map(str::trim);
            if !tokens
                .clone()
                .any(|e| e.eq_ignore_ascii_case("aws-chunked"))
            {
                // Kept as sent (`deflate, gzip`), as radosgw keeps it.
                return Some((k, v));
            }
            let rest: Vec<&str> = tokens
                .filter(|e| !e.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            (!rest.is_empty()).then(|| (k, rest.join(",")))
        })
        .collect();
    let user: usize = out
        .iter()
        .filter_map(|(k, v)| {
            k.strip_prefix("x-amz-meta-")
                .map(|n| n.len() + v.chars().count())
        })
        .sum();
    if user > MAX_USER_METADATA {
        return Err(Error::MetadataTooLarge);
    }
    // The standard headers are stored and decoded with every listing too: AWS's 8 KiB
    // bound on a request's headers, for what is kept of them.
    let standard: usize = out
        .iter()
        .filter(|(k, _)| !k.starts_with("x-amz-meta-"))
        .map(|(k, v)| k.len() + v.chars().count())
        .sum::<usize>()
        + h.get(http::header::CONTENT_TYPE).map_or(0, |v| v.len());
    if standard > MAX_STANDARD_HEADERS {
        return Err(Error::RequestHeaderSectionTooLarge);
    }
    out.sort();
    Ok(out)
}

/// Server-side encryption asked of an upload. There is no key management here, so, as
/// radosgw without encryption configured does, the request is refused rather than its data
/// stored in the clear: `InvalidRequest` for SSE-S3, SSE-KMS or SSE-C headers,
/// `InvalidArgument` for a KMS key id without `x-amz-server-side-encryption`.
pub fn refuse_encryption(h: &HeaderMap) -> Result<()> {
    const SSE: &str = "x-amz-server-side-encryption";
    let customer = h.keys().any(|k| {
        k.as_str()
            .starts_with("x-amz-server-side-encryption-customer-")
    });
    if h.contains_key(SSE) || customer {
        return Err(Error::InvalidRequest);
    }
    if h.contains_key("x-amz-server-side-encryption-aws-kms-key-id") {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// `x-amz-storage-class`: the one class there is, `STANDARD` (radosgw's default placement
/// has no other); any other name is `InvalidArgument`, as radosgw answers, rather than a
/// class the object would silently not have. An empty header is the default.
pub fn check_storage_class(h: &HeaderMap) -> Result<()> {
    match h.get("x-amz-storage-class").map(|v| v.as_bytes()) {
        None | Some(b"") | Some(b"STANDARD") => Ok(()),
        Some(_) => Err(Error::InvalidArgument),
    }
}

/// `Content-MD5`, decoded; `InvalidDigest` when it is not 16 bytes of base64.
pub fn content_md5(req: &S3Request) -> Result<Option<[u8; 16]>> {
    content_md5_header(&req.headers)
}

/// [`content_md5`] of a header map.
pub fn content_md5_header(headers: &hyper::HeaderMap) -> Result<Option<[u8; 16]>> {
    let Some(b64) = headers.get(CONTENT_MD5).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    use base64::Engine;
    let v = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| Error::InvalidDigest)?;
    Ok(Some(
        <[u8; 16]>::try_from(v.as_slice()).map_err(|_| Error::InvalidDigest)?,
    ))
}
