//! The SigV4 parts of a request: the `Authorization` header or the presigned query
//! parameters, the request time and the credential scope.

use std::borrow::Cow;

use hyper::HeaderMap;

use super::canonical::{split_ascii, SignedNames};
use super::key_cache::MAX_CACHED_SCOPE_PART;
use super::{ALGORITHM, CONTENT_SHA256};
use crate::auth::AuthRequest;
use crate::clock::{format_iso8601_basic, parse_http_date, parse_iso8601_basic};
use crate::cnum::atoll;
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::query::Query;

const X_AMZ_DATE: hyper::header::HeaderName = hyper::header::HeaderName::from_static("x-amz-date");

/// What a SigV4 request claims, before the credential is checked.
pub struct V4Auth<'a> {
    /// Query-string (presigned) form rather than the `Authorization` header.
    pub presigned: bool,
    /// `AK/yyyymmdd/region/service/aws4_request`, as sent; see [`Credential::parse`].
    pub credential: &'a str,
    /// `SignedHeaders`, as sent: it enters the canonical request verbatim.
    pub signed_headers: &'a str,
    /// The same, read: the headers the canonical request holds.
    pub signed: SignedNames<'a>,
    /// The client's hex signature.
    pub signature: &'a str,
    /// The request time exactly as it goes into the string to sign.
    pub amz_date: Cow<'a, str>,
    /// The request time, seconds since the epoch.
    pub time: i64,
    /// Presigned form: `X-Amz-Expires` as C `atoll` reads it (range not yet checked); else 0.
    pub expires: i64,
}

/// `parse_v4_auth_header`: `Authorization: AWS4-HMAC-SHA256 Credential=..,
/// SignedHeaders=.., Signature=..` (comma separated, blanks allowed) and the request time
/// from `x-amz-date`, else `Date`.
///
/// A part without `=` or a missing key → `AccessDenied`; a missing or unparsable date →
/// `AccessDenied` (radosgw's -EACCES).
pub fn parse_header<'a>(
    auth: &'a str,
    headers: &'a HeaderMap,
    compat: Compat,
) -> Result<V4Auth<'a>> {
    // radosgw skips the algorithm and one character, whatever it is: the space is required
    // (`AWS4-HMAC-SHA256Credential=..` is refused by radosgw and here).
    let rest = auth
        .strip_prefix(ALGORITHM)
        .and_then(|r| r.strip_prefix(' '))
        .ok_or(Error::AccessDenied)?;
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // A header value is visible ASCII (`to_str`), so ASCII trimming is all trimming.
    for part in split_ascii(rest, b',')
        .map(str::trim_ascii)
        .filter(|p| !p.is_empty())
    {
        let eq = memchr::memchr(b'=', part.as_bytes()).ok_or(Error::AccessDenied)?;
        let value = part[eq + 1..].trim_ascii();
        match part[..eq].trim_ascii() {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => {}
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) =
        (credential, signed_headers, signature)
    else {
        return Err(Error::AccessDenied);
    };
    let (amz_date, time) = header_date(headers, compat)?;
    Ok(V4Auth {
        presigned: false,
        credential,
        signed_headers,
        signed: SignedNames::parse(signed_headers),
        signature,
        amz_date,
        time,
        expires: 0,
    })
}

/// The SigV4 request time: `x-amz-date` if present (no fallback when it is unparsable), else
/// `Date`, both ISO 8601 basic as radosgw requires. Reef also takes an RFC 1123 `Date` and
/// signs its ISO 8601 rendering, as AWS documents for clients that only send `Date`.
fn header_date(headers: &HeaderMap, compat: Compat) -> Result<(Cow<'_, str>, i64)> {
    if let Some(v) = headers.get(X_AMZ_DATE) {
        let s = v.to_str().map_err(|_| Error::AccessDenied)?;
        let t = parse_iso8601_basic(s).ok_or(Error::AccessDenied)?;
        return Ok((Cow::Borrowed(s), t));
    }
    let v = headers
        .get(hyper::header::DATE)
        .ok_or(Error::AccessDenied)?;
    let s = v.to_str().map_err(|_| Error::AccessDenied)?;
    if let Some(t) = parse_iso8601_basic(s) {
        return Ok((Cow::Borrowed(s), t));
    }
    if compat >= Compat::Reef {
        if let Some(t) = parse_http_date(s) {
            let iso = format_iso8601_basic(t).ok_or(Error::AccessDenied)?;
            return Ok((Cow::Owned(iso), t));
        }
    }
    Err(Error::AccessDenied)
}

/// `parse_v4_query_string`: `X-Amz-Credential`, `-Date`, `-Expires`, `-SignedHeaders`,
/// `-Signature` (names in any case; radosgw lower-cases `X-Amz-*` names). Any of them missing
/// or empty, or an unparsable date → `AccessDenied` (-EPERM).
pub fn parse_presigned(query: &Query) -> Result<V4Auth<'_>> {
    let get = |name: &str| {
        query
            .get_ignore_case(name)
            .filter(|v| !v.is_empty())
            .ok_or(Error::AccessDenied)
    };
    let credential = get("X-Amz-Credential")?;
    let date = get("X-Amz-Date")?;
    let time = parse_iso8601_basic(date).ok_or(Error::AccessDenied)?;
    let expires = atoll(get("X-Amz-Expires")?);
    let signed_headers = get("X-Amz-SignedHeaders")?;
    let signature = get("X-Amz-Signature")?;
    Ok(V4Auth {
        presigned: true,
        credential,
        signed_headers,
        signed: SignedNames::parse(signed_headers),
        signature,
        amz_date: Cow::Borrowed(date),
        time,
        expires,
    })
}

/// `AK/yyyymmdd/region/service/aws4_request`, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential<'a> {
    pub access_key: &'a str,
    /// Everything after the access key: it enters the string to sign verbatim.
    pub scope: &'a str,
    pub date: &'a str,
    /// Any region is accepted (clients sign `nowhere`, `default`, `s3`, `us-east-1`).
    pub region: &'a str,
    pub service: &'a str,
}

impl<'a> Credential<'a> {
    /// `parse_v4_credentials`: exactly four `/` and the `aws4_request` terminator, else
    /// `AccessDenied`.
    pub fn parse(credential: &'a str) -> Result<Credential<'a>> {
        let mut parts = split_ascii(credential, b'/');
        let (Some(access_key), Some(date), Some(region), Some(service), Some(term), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(Error::AccessDenied);
        };
        if term != "aws4_request" {
            return Err(Error::AccessDenied);
        }
        let scope = credential
            .get(access_key.len() + 1..)
            .ok_or(Error::AccessDenied)?;
        Ok(Credential {
            access_key,
            scope,
            date,
            region,
            service,
        })
    }
}

/// What radosgw leaves unbound and AWS binds: the scope's date is the request's date; the
/// region and service are bounded; `host` is signed (else the request can be sent to another
/// gateway or bucket); and every `x-amz-*` header the request carries is signed (else an
/// `x-amz-acl`, `x-amz-copy-source` or `x-amz-meta-*` can be added to a captured request).
/// `x-amz-content-sha256` needs no signature: its value is the payload hash the canonical
/// request is built with, so changing it breaks the signature anyway. `AccessDenied`.
pub fn check_binding(req: &AuthRequest, auth: &V4Auth, cred: &Credential) -> Result<()> {
    if auth.amz_date.get(..8) != Some(cred.date)
        || cred.region.len() > MAX_CACHED_SCOPE_PART
        || cred.service.len() > MAX_CACHED_SCOPE_PART
    {
        return Err(Error::AccessDenied);
    }
    if !auth.signed.contains("host") {
        return Err(Error::AccessDenied);
    }
    for name in req.headers.keys() {
        let name = name.as_str();
        if name.starts_with("x-amz-")
            && name != CONTENT_SHA256.as_str()
            && !auth.signed.contains(name)
        {
            return Err(Error::AccessDenied);
        }
    }
    Ok(())
}
