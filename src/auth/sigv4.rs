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

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

use hmac::{Hmac, KeyInit, Mac};
use hyper::HeaderMap;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::chunked::{
    ChunkSigning, ChunkedSpec, Payload, DECODED_LENGTH_HEADER, STREAMING_PAYLOAD,
    STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_TRAILER, TRAILER_HEADER,
};
use super::verify::{atoll, format_iso8601_basic, parse_http_date, parse_iso8601_basic};
use super::AuthRequest;
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::query::Query;

/// The only SigV4 algorithm radosgw knows; also the `Authorization` prefix that selects v4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// The payload hash that says "the body is not signed".
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// Header carrying the client's payload hash.
pub const CONTENT_SHA256: &str = "x-amz-content-sha256";
/// hex(sha256("")), the payload hash of every body-less request.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
/// Derived signing keys kept at most; the cache is emptied when it would grow past this.
pub const SIGNING_KEY_CACHE_LIMIT: usize = 10_000;

/// RFC 3986 unreserved characters stay, everything else becomes `%XX` (upper case), `/`
/// included: `aws4_uri_encode(.., encode_slash=true)` for query names and values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Same, but `/` separates path segments and stays.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

/// True when `x-amz-content-sha256` holds a real hash (64 hex digits), i.e. the client signed
/// the body. radosgw 16.2 cannot complete such a signature on admin ops that read a body and
/// answers 501 NotImplemented; the op layer calls this to imitate that.
pub fn payload_is_hashed(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_SHA256)
        .is_some_and(|v| is_sha256_hex(v.as_bytes()))
}

fn is_sha256_hex(b: &[u8]) -> bool {
    b.len() == 64 && b.iter().all(u8::is_ascii_hexdigit)
}

/// What a SigV4 request claims, before the credential is checked.
pub struct V4Auth<'a> {
    /// Query-string (presigned) form rather than the `Authorization` header.
    pub presigned: bool,
    /// `AK/yyyymmdd/region/service/aws4_request`, as sent; see [`Credential::parse`].
    pub credential: &'a str,
    /// `SignedHeaders`, as sent: it enters the canonical request verbatim.
    pub signed_headers: &'a str,
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
    let rest = auth.get(ALGORITHM.len()..).unwrap_or_default();
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (key, value) = part.split_once('=').ok_or(Error::AccessDenied)?;
        let value = value.trim();
        match key.trim() {
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
    if let Some(v) = headers.get("x-amz-date") {
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
        let mut parts = credential.split('/');
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

/// How the canonical query string is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryForm {
    /// The AWS rule: every pair, name and value decoded then re-encoded, sorted by name, then
    /// value.
    Aws,
    /// radosgw 16.2: a `std::map` keyed by encoded name, so only the last pair of a repeated
    /// name is signed (ceph tracker 62105).
    LastPerName,
    /// curl 7.x (before 8.1): the query string exactly as sent, in URL order.
    Raw,
    /// URL order, each pair re-encoded as in [`QueryForm::Aws`] but not sorted.
    UrlOrder,
    /// awscurl 0.44: the on-wire name and value encoded once more (`%20` → `%2520`), pairs
    /// sorted by their on-wire text.
    DoubleEncoded,
}

/// The canonical query string. In presigned form `X-Amz-Signature` is left out (radosgw
/// compares the name case-insensitively); in header form it is a parameter like any other.
pub fn canonical_query(query: &Query, form: QueryForm, presigned: bool) -> String {
    let params = query
        .params
        .iter()
        .filter(|p| !(presigned && p.name.eq_ignore_ascii_case("X-Amz-Signature")));
    let mut out = String::new();
    match form {
        QueryForm::Aws => {
            let mut pairs: Vec<(String, String)> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            pairs.sort_unstable();
            join_pairs(
                &mut out,
                pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            );
        }
        QueryForm::LastPerName => {
            let map: BTreeMap<String, String> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            join_pairs(&mut out, map.iter().map(|(n, v)| (n.as_str(), v.as_str())));
        }
        QueryForm::Raw => {
            for (i, p) in params.enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(&p.raw_name);
                if let Some(v) = &p.raw_value {
                    out.push('=');
                    out.push_str(v);
                }
            }
        }
        QueryForm::UrlOrder => {
            let pairs: Vec<(String, String)> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            join_pairs(
                &mut out,
                pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            );
        }
        QueryForm::DoubleEncoded => {
            // awscurl strips blanks and sorts the raw [name, value] lists before encoding.
            let mut pairs: Vec<(&str, &str)> = params
                .map(|p| {
                    (
                        p.raw_name.trim(),
                        p.raw_value.as_deref().unwrap_or("").trim(),
                    )
                })
                .collect();
            pairs.sort_unstable();
            let encoded: Vec<(String, String)> = pairs
                .iter()
                .map(|(n, v)| (encode(n.as_bytes()), encode(v.as_bytes())))
                .collect();
            join_pairs(
                &mut out,
                encoded.iter().map(|(n, v)| (n.as_str(), v.as_str())),
            );
        }
    }
    out
}

fn join_pairs<'a>(out: &mut String, pairs: impl Iterator<Item = (&'a str, &'a str)>) {
    for (i, (n, v)) in pairs.enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
}

fn encode(b: &[u8]) -> String {
    percent_encode(b, QUERY_SET).collect()
}

/// The canonical URI: the path as sent, decoded and encoded again (`aws4_uri_recode(..,
/// false)`: unreserved characters and `/` stay, the rest is `%XX`); empty → `/`. No
/// dot-segment normalisation: S3 does none.
pub fn canonical_uri(raw_path: &str) -> Cow<'_, str> {
    if raw_path.is_empty() {
        return Cow::Borrowed("/");
    }
    let plain = raw_path
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/'));
    if plain {
        return Cow::Borrowed(raw_path);
    }
    let decoded: Cow<'_, [u8]> = percent_decode(raw_path.as_bytes()).into();
    Cow::Owned(percent_encode(&decoded, PATH_SET).collect())
}

/// The canonical URI of radosgw before Reef (`get_v4_canonical_uri` without the re-encoding):
/// the path as sent with `+` written `%20`; empty → `/`.
pub fn legacy_uri(raw_path: &str) -> Cow<'_, str> {
    if raw_path.is_empty() {
        Cow::Borrowed("/")
    } else if raw_path.contains('+') {
        Cow::Owned(raw_path.replace('+', "%20"))
    } else {
        Cow::Borrowed(raw_path)
    }
}

/// `get_v4_canonical_headers`: for each name in `SignedHeaders` (lower-cased), the request's
/// values, each trimmed with inner blank runs collapsed, joined with `,`; sorted by name, one
/// `name:value\n` each. A signed header the request lacks is skipped, as radosgw does. A
/// signed `Content-MD5` that is not base64 → `AccessDenied`.
pub fn canonical_headers(headers: &HeaderMap, signed_headers: &str) -> Result<Vec<u8>> {
    let mut names: Vec<Cow<'_, str>> = signed_headers
        .split(';')
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(t.to_ascii_lowercase())
            } else {
                Cow::Borrowed(t)
            }
        })
        .collect();
    names.sort_unstable();
    names.dedup();
    let mut out = Vec::with_capacity(128);
    for name in &names {
        let mut values = headers.get_all(name.as_ref()).iter().peekable();
        if values.peek().is_none() {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let value_start = out.len();
        for (i, v) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            push_trim_all(&mut out, v.as_bytes());
        }
        if name == "content-md5"
            && !out[value_start..]
                .iter()
                .all(|&c| is_base64_for_content_md5(c))
        {
            return Err(Error::AccessDenied);
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// radosgw's `is_base64_for_content_md5` (blanks are tolerated).
pub(crate) fn is_base64_for_content_md5(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c.is_ascii_whitespace() || matches!(c, b'+' | b'/' | b'=')
}

/// `boost::trim_all`: no leading or trailing blanks, inner runs of blanks become one space.
fn push_trim_all(out: &mut Vec<u8>, v: &[u8]) {
    let mut started = false;
    let mut pending_space = false;
    for &c in v {
        if c == b' ' || c == b'\t' {
            pending_space = started;
        } else {
            if pending_space {
                out.push(b' ');
                pending_space = false;
            }
            out.push(c);
            started = true;
        }
    }
}

/// `METHOD\nURI\nQUERY\nHEADERS\nSIGNED_HEADERS\nPAYLOAD_HASH` (`HEADERS` ends with its own
/// newline, so a blank line follows it).
pub fn canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &[u8],
    signed_headers: &str,
    payload_hash: &[u8],
) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        method.len() + uri.len() + query.len() + headers.len() + signed_headers.len() + 80,
    );
    feed_canonical_request(
        method,
        uri,
        query,
        headers,
        signed_headers,
        payload_hash,
        |b| out.extend_from_slice(b),
    );
    out
}

/// Hands the canonical request to `sink` piece by piece, so it can be hashed without being
/// assembled.
fn feed_canonical_request(
    method: &str,
    uri: &str,
    query: &str,
    headers: &[u8],
    signed_headers: &str,
    payload_hash: &[u8],
    mut sink: impl FnMut(&[u8]),
) {
    let parts = [
        method.as_bytes(),
        uri.as_bytes(),
        query.as_bytes(),
        headers,
        signed_headers.as_bytes(),
        payload_hash,
    ];
    for (i, part) in parts.into_iter().enumerate() {
        if i > 0 {
            sink(b"\n");
        }
        sink(part);
    }
}

/// `AWS4-HMAC-SHA256\n<date>\n<scope>\n<hex(sha256(canonical request))>`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ALGORITHM.len() + amz_date.len() + scope.len() + 67);
    feed_string_to_sign(
        amz_date,
        scope,
        &Sha256::digest(canonical_request).into(),
        |b| out.extend_from_slice(b),
    );
    out
}

fn feed_string_to_sign(
    amz_date: &str,
    scope: &str,
    creq_hash: &[u8; 32],
    mut sink: impl FnMut(&[u8]),
) {
    let mut hex_hash = [0u8; 64];
    // 64 bytes is exactly twice 32: this cannot fail.
    let _ = hex::encode_to_slice(creq_hash, &mut hex_hash);
    for part in [
        ALGORITHM.as_bytes(),
        b"\n",
        amz_date.as_bytes(),
        b"\n",
        scope.as_bytes(),
        b"\n",
        &hex_hash,
    ] {
        sink(part);
    }
}

/// Lower-case hex of HMAC-SHA256(signing key, string to sign).
pub fn signature(signing_key: &[u8; 32], string_to_sign: &[u8]) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

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

type HmacSha256 = Hmac<Sha256>;

/// A derived key, ready to use, and the secret it was derived from: a key whose secret has
/// since changed must not be used.
#[derive(Clone)]
struct CachedKey {
    secret: Arc<str>,
    key: [u8; 32],
    /// HMAC keyed with `key` (inner and outer pads already hashed), cloned per signature.
    mac: HmacSha256,
}

impl CachedKey {
    fn new(secret: &Arc<str>, key: [u8; 32]) -> CachedKey {
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
fn cache_id(access_key: &str, date: &str, region: &str, service: &str) -> String {
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

fn cached_key(id: &str, secret: &Arc<str>) -> Option<CachedKey> {
    let map = key_cache().read().unwrap_or_else(PoisonError::into_inner);
    let entry = map.get(id)?;
    let same = Arc::ptr_eq(&entry.secret, secret)
        || bool::from(entry.secret.as_bytes().ct_eq(secret.as_bytes()));
    same.then(|| entry.clone())
}

fn remember_key(id: String, entry: CachedKey) {
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

/// Checks the signature of a parsed request against `secret`; then, when the client sent a
/// real payload hash, that it is the body's. The key is cached only once a signature has
/// verified, so requests with a known access key but no secret cannot fill the cache.
pub fn verify(
    req: &AuthRequest,
    auth: &V4Auth,
    cred: &Credential,
    secret: &Arc<str>,
) -> Result<()> {
    check_signature(req, auth, cred, secret, Some(req.body))?;
    // AWSv4ComplSingle: a real payload hash must be the body's. radosgw installs no
    // completer for presigned requests, so their header goes unchecked.
    if let Some(p) = req.headers.get(CONTENT_SHA256).filter(|_| !auth.presigned) {
        let p = p.as_bytes();
        if is_sha256_hex(p) && !p.eq_ignore_ascii_case(body_sha256_hex(req.body).as_bytes()) {
            return Err(Error::ContentSha256Mismatch);
        }
    }
    Ok(())
}

/// [`verify`] for a request whose body has not been read: the signature is checked on the
/// headers alone (with no `x-amz-content-sha256`, only as `UNSIGNED-PAYLOAD`: the Reef
/// alternative of the body's hash needs the body), and what the body must satisfy is
/// returned, for a [`BodyVerifier`](super::BodyVerifier) to check as it streams.
///
/// The aws-chunked forms need `x-amz-decoded-content-length` (radosgw's
/// `AWSv4ComplMulti::modify_request_state`: missing or not a length → `InvalidArgument`).
pub fn verify_streaming(
    req: &AuthRequest,
    auth: &V4Auth,
    cred: &Credential,
    secret: &Arc<str>,
) -> Result<Payload> {
    let key = check_signature(req, auth, cred, secret, None)?;
    // As in `verify`: presigned requests get no completer.
    if auth.presigned {
        return Ok(Payload::Unchecked);
    }
    let Some(value) = req.headers.get(CONTENT_SHA256) else {
        return Ok(Payload::Unchecked);
    };
    let value = value.as_bytes();
    if is_sha256_hex(value) {
        let mut hash = [0u8; 32];
        hex::decode_to_slice(value, &mut hash).map_err(|_| Error::InvalidArgument)?;
        return Ok(Payload::Sha256(hash));
    }
    let (signed, trailer) = match value {
        v if v == STREAMING_PAYLOAD.as_bytes() => (true, false),
        v if v == STREAMING_PAYLOAD_TRAILER.as_bytes() => (true, true),
        v if v == STREAMING_UNSIGNED_TRAILER.as_bytes() => (false, true),
        // UNSIGNED-PAYLOAD, or a value `verify` would not check either.
        _ => return Ok(Payload::Unchecked),
    };
    let decoded_length = req
        .headers
        .get(DECODED_LENGTH_HEADER)
        .and_then(|v| parse_length(v.as_bytes()))
        .ok_or(Error::InvalidArgument)?;
    let trailer_names = if trailer {
        req.headers
            .get_all(TRAILER_HEADER)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect()
    } else {
        Vec::new()
    };
    Ok(Payload::Chunked(ChunkedSpec {
        signing: signed.then(|| ChunkSigning {
            key,
            seed: auth.signature.to_owned(),
            amz_date: auth.amz_date.to_string(),
            scope: cred.scope.to_owned(),
        }),
        trailer,
        trailer_names,
        decoded_length: Some(decoded_length),
    }))
}

/// A decimal length: digits only, fitting in a u64.
fn parse_length(b: &[u8]) -> Option<u64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

fn body_sha256_hex(body: &[u8]) -> Cow<'static, str> {
    if body.is_empty() {
        Cow::Borrowed(EMPTY_SHA256)
    } else {
        Cow::Owned(sha256_hex(body))
    }
}

/// The signature check shared by [`verify`] and [`verify_streaming`]; `body` is `None` when
/// the body is not available (then no candidate signs the body's hash). Returns the signing
/// key, for chunk signatures.
fn check_signature(
    req: &AuthRequest,
    auth: &V4Auth,
    cred: &Credential,
    secret: &Arc<str>,
    body: Option<&[u8]>,
) -> Result<[u8; 32]> {
    let id = cache_id(cred.access_key, cred.date, cred.region, cred.service);
    let (entry, cached) = match cached_key(&id, secret) {
        Some(e) => (e, true),
        None => {
            let key = derive_signing_key(secret, cred.date, cred.region, cred.service);
            (CachedKey::new(secret, key), false)
        }
    };
    let headers = canonical_headers(req.headers, auth.signed_headers)?;
    let uri = canonical_uri(req.raw_path);
    let header_payload = req.headers.get(CONTENT_SHA256).map(|v| v.as_bytes());
    let body_hash = OnceCell::new();
    let body_hash = || body.map(|b| body_hash.get_or_init(|| body_sha256_hex(b)).as_bytes());
    let matches = |uri: &str, query: &str, payload: &[u8]| -> bool {
        let mut creq = Sha256::new();
        feed_canonical_request(
            req.method,
            uri,
            query,
            &headers,
            auth.signed_headers,
            payload,
            |b| creq.update(b),
        );
        let mut mac = entry.mac.clone();
        feed_string_to_sign(&auth.amz_date, cred.scope, &creq.finalize().into(), |b| {
            mac.update(b)
        });
        let mut sig = [0u8; 64];
        let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut sig);
        bool::from(sig.ct_eq(auth.signature.as_bytes()))
    };

    let reef = req.compat >= Compat::Reef;
    let form = if reef {
        QueryForm::Aws
    } else {
        QueryForm::LastPerName
    };
    let query = canonical_query(req.query, form, auth.presigned);
    let unsigned = UNSIGNED_PAYLOAD.as_bytes();
    let with_payloads = |uri: &str, query: &str| match header_payload {
        // get_v4_exp_payload_hash: the header, verbatim, in both forms. AWS defines the
        // presigned form with UNSIGNED-PAYLOAD whatever the headers say: Reef allows that too.
        Some(p) => {
            matches(uri, query, p)
                || (reef && auth.presigned && p != unsigned && matches(uri, query, unsigned))
        }
        // radosgw assumes UNSIGNED-PAYLOAD (go-ceph relies on it); Reef also takes the body's
        // hash, which is what the AWS rule and `curl --aws-sigv4` sign.
        None => {
            matches(uri, query, unsigned)
                || (reef && !auth.presigned && body_hash().is_some_and(|h| matches(uri, query, h)))
        }
    };
    let mut ok = with_payloads(&uri, &query);
    // Older radosgw signs the path as sent (only `+` → `%20`), as botocore's S3 signer does;
    // it differs from the re-encoded one only for paths with characters outside
    // `A-Za-z0-9-_.~/` or needless escapes.
    let legacy = legacy_uri(req.raw_path);
    if !ok && legacy != uri {
        ok = with_payloads(&legacy, &query);
    }
    // Clients that get the canonical query wrong; they hash the body they send (so without
    // the header and without the body there is nothing to try).
    let fallback_payload = header_payload.or_else(body_hash);
    if let (false, true, false, Some(payload)) = (ok, reef, auth.presigned, fallback_payload) {
        let raw_uri = if req.raw_path.is_empty() {
            "/"
        } else {
            req.raw_path
        };
        let mut tried: Vec<(&str, String)> = vec![(&*legacy, query.clone()), (&*uri, query)];
        for (u, form) in [
            // curl 7.x signs the path and query string exactly as it sends them.
            (raw_uri, QueryForm::Raw),
            (&*uri, QueryForm::UrlOrder),
            (&*uri, QueryForm::DoubleEncoded),
        ] {
            let q = canonical_query(req.query, form, false);
            if tried.iter().any(|(tu, tq)| *tu == u && *tq == q) {
                continue;
            }
            if matches(u, &q, payload) {
                ok = true;
                break;
            }
            tried.push((u, q));
        }
    }
    if !ok {
        return Err(Error::SignatureDoesNotMatch);
    }
    let key = entry.key;
    if !cached {
        remember_key(id, entry);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
    use super::super::Identity;
    use super::*;

    const T: &str = "20261123T085619Z";
    const HOST: &str = "127.0.0.1:7480";

    fn v4_auth(ak: &str, scope: &str, signed: &str, sig: &str) -> String {
        format!("AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, Signature={sig}")
    }

    /// AWS's published IAM example (`GET /?Action=ListUsers&Version=2010-05-08`).
    fn iam_example() -> Req {
        Req::new(
            "GET",
            "/?Action=ListUsers&Version=2010-05-08",
            &[
                ("Host", "iam.amazonaws.com"),
                (
                    "Content-Type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("X-Amz-Date", "20150830T123600Z"),
                (
                    "Authorization",
                    &v4_auth(
                        "AKIDEXAMPLE",
                        "20150830/us-east-1/iam/aws4_request",
                        "content-type;host;x-amz-date",
                        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
                    ),
                ),
            ],
            "20150830T123600Z",
        )
    }

    #[test]
    fn aws_iam_example_derivation_and_signature() {
        let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
        let key = derive_signing_key(secret, "20150830", "us-east-1", "iam");
        assert_eq!(
            hex::encode(key),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
        let r = iam_example();
        let headers = canonical_headers(&r.headers, "content-type;host;x-amz-date").unwrap();
        let creq = canonical_request(
            "GET",
            &canonical_uri(""),
            &canonical_query(&r.query, QueryForm::Aws, false),
            &headers,
            "content-type;host;x-amz-date",
            EMPTY_SHA256.as_bytes(),
        );
        assert_eq!(
            sha256_hex(&creq),
            "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
        );
        let sts = string_to_sign(
            "20150830T123600Z",
            "20150830/us-east-1/iam/aws4_request",
            &creq,
        );
        assert_eq!(
            signature(&key, &sts),
            "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
        // The client hashed the empty body without sending x-amz-content-sha256: Reef
        // accepts, radosgw 16.2 puts UNSIGNED-PAYLOAD in the canonical request and refuses.
        let keys = Keys::with(&[("AKIDEXAMPLE", secret)]);
        assert_eq!(r.check(&keys), Ok(Identity::Key("AKIDEXAMPLE".to_string())));
        assert_eq!(
            r.check_at(&keys, Compat::Pacific),
            Err(Error::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn aws_s3_get_object_example() {
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        let r = Req::new(
            "GET",
            "/test.txt",
            &[
                ("Host", "examplebucket.s3.amazonaws.com"),
                ("Range", "bytes=0-9"),
                ("x-amz-content-sha256", EMPTY_SHA256),
                ("x-amz-date", "20130524T000000Z"),
                (
                    "Authorization",
                    &v4_auth(
                        "AKIAIOSFODNN7EXAMPLE",
                        "20130524/us-east-1/s3/aws4_request",
                        "host;range;x-amz-content-sha256;x-amz-date",
                        "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                    ),
                ),
            ],
            "20130524T000500Z",
        );
        let keys = Keys::with(&[("AKIAIOSFODNN7EXAMPLE", secret)]);
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(
                r.check_at(&keys, c),
                Ok(Identity::Key("AKIAIOSFODNN7EXAMPLE".to_string()))
            );
        }
    }

    /// botocore S3SigV4Auth, fixed time (as capture.py signs `v4` fixtures).
    fn boto(target: &str, sig: &str) -> Req {
        Req::new(
            "GET",
            target,
            &[
                ("Host", HOST),
                ("X-Amz-Date", T),
                ("X-Amz-Content-SHA256", EMPTY_SHA256),
                (
                    "Authorization",
                    &v4_auth(
                        ADMIN_AK,
                        "20261123/us-east-1/s3/aws4_request",
                        "host;x-amz-content-sha256;x-amz-date",
                        sig,
                    ),
                ),
            ],
            T,
        )
    }

    #[test]
    fn botocore_header_signature_all_levels() {
        let r = boto(
            "/admin/user?uid=admin",
            "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
        );
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        // Any changed byte of the request or of the signature fails.
        let r = boto(
            "/admin/user?uid=admim",
            "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = boto(
            "/admin/user?uid=admin",
            "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41c",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = boto(
            "/admin/user?uid=admin",
            "0F9FAF5E52A61144D93B95ED48640229002979ECB82A2DDA3AA692968A7BF41B",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let wrong = Keys::with(&[(ADMIN_AK, "adminsecretkey00000000000000000000000001")]);
        let r = boto(
            "/admin/user?uid=admin",
            "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
        );
        assert_eq!(r.check(&wrong), Err(Error::SignatureDoesNotMatch));
    }

    /// Golden 105: botocore signs both `subuser` pairs; radosgw 16.2 keeps the last only.
    #[test]
    fn repeated_names_fail_before_reef() {
        let mut r = boto(
            "/admin/user?subuser&uid=alice&subuser=alice%3Aswift&access=full&key-type=swift\
             &secret-key=aliceswiftsecret0000000000000000000000",
            "eb0b068d16c164731a1f05275c6a51d87f99962c6282f1089ef8ee5f3fe223b3",
        );
        r.method = "PUT".into();
        assert_eq!(r.check_at(&Keys::admin(), Compat::Reef), Ok(admin()));
        for c in [Compat::Pacific, Compat::Quincy] {
            assert_eq!(
                r.check_at(&Keys::admin(), c),
                Err(Error::SignatureDoesNotMatch)
            );
        }
        // Dropping the bare pair is a different request.
        let mut r2 = boto(
            "/admin/user?uid=alice&subuser=alice%3Aswift&access=full&key-type=swift\
             &secret-key=aliceswiftsecret0000000000000000000000",
            "eb0b068d16c164731a1f05275c6a51d87f99962c6282f1089ef8ee5f3fe223b3",
        );
        r2.method = "PUT".into();
        assert_eq!(r2.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    #[test]
    fn pacific_canonical_query_keeps_last_value_per_name() {
        let q = Query::parse("subuser&uid=a&subuser=a:x&b=2&b=1").unwrap();
        assert_eq!(
            canonical_query(&q, QueryForm::LastPerName, false),
            "b=1&subuser=a%3Ax&uid=a"
        );
        assert_eq!(
            canonical_query(&q, QueryForm::Aws, false),
            "b=1&b=2&subuser=&subuser=a%3Ax&uid=a"
        );
    }

    #[test]
    fn query_encoding_variants() {
        let q = Query::parse("uid=bob&display-name=Bob+B%21&caps&user-caps=users=read;b=*&p=a/b")
            .unwrap();
        assert_eq!(
            canonical_query(&q, QueryForm::Aws, false),
            "caps=&display-name=Bob%20B%21&p=a%2Fb&uid=bob&user-caps=users%3Dread%3Bb%3D%2A"
        );
        assert_eq!(
            canonical_query(&q, QueryForm::Raw, false),
            "uid=bob&display-name=Bob+B%21&caps&user-caps=users=read;b=*&p=a/b"
        );
        assert_eq!(
            canonical_query(&q, QueryForm::UrlOrder, false),
            "uid=bob&display-name=Bob%20B%21&caps=&user-caps=users%3Dread%3Bb%3D%2A&p=a%2Fb"
        );
        assert_eq!(
            canonical_query(&q, QueryForm::DoubleEncoded, false),
            "caps=&display-name=Bob%2BB%2521&p=a%2Fb&uid=bob&user-caps=users%3Dread%3Bb%3D%2A"
        );
        let q = Query::parse("a=1&X-Amz-Signature=abc&x-amz-signature=d").unwrap();
        assert_eq!(canonical_query(&q, QueryForm::Aws, true), "a=1");
        assert_eq!(
            canonical_query(&q, QueryForm::Aws, false),
            "X-Amz-Signature=abc&a=1&x-amz-signature=d"
        );
        assert_eq!(
            canonical_query(&Query::default(), QueryForm::Aws, false),
            ""
        );
    }

    #[test]
    fn canonical_uri_recodes() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/admin/user"), "/admin/user");
        assert_eq!(canonical_uri("/b/a%20b"), "/b/a%20b");
        assert_eq!(canonical_uri("/b/a b!"), "/b/a%20b%21");
        assert_eq!(canonical_uri("/b/%7euser"), "/b/~user");
        assert_eq!(canonical_uri("/b/a+b"), "/b/a%2Bb");
        assert_eq!(canonical_uri("/b/100%"), "/b/100%25");
    }

    /// botocore's S3 signer signs the path as sent; AWS's rule and Reef radosgw re-encode it.
    /// Both are accepted at every level, since they differ only for unusual paths.
    #[test]
    fn path_signed_as_sent_or_re_encoded() {
        let scope = "20261123/us-east-1/s3/aws4_request";
        let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
        let headers = format!("host:{HOST}\nx-amz-date:{T}\n");
        for signed_path in ["/b/~a!b+c", "/b/~a%21b%2Bc", "/b/~a!b%20c"] {
            let creq = canonical_request(
                "GET",
                signed_path,
                "",
                headers.as_bytes(),
                "host;x-amz-date",
                UNSIGNED_PAYLOAD.as_bytes(),
            );
            let sig = signature(&key, &string_to_sign(T, scope, &creq));
            let auth = v4_auth(ADMIN_AK, scope, "host;x-amz-date", &sig);
            let r = Req::new(
                "GET",
                "/b/~a!b+c",
                &[("Host", HOST), ("X-Amz-Date", T), ("Authorization", &auth)],
                T,
            );
            let want = if signed_path == "/b/~a%21b%2Bc" || signed_path == "/b/~a!b%20c" {
                Ok(admin())
            } else {
                // Sent with a literal '+': old radosgw reads it as a space.
                Err(Error::SignatureDoesNotMatch)
            };
            for c in [Compat::Pacific, Compat::Reef] {
                assert_eq!(r.check_at(&Keys::admin(), c), want, "{signed_path} {c:?}");
            }
        }
    }

    #[test]
    fn canonical_headers_trim_join_and_skip() {
        let r = Req::new(
            "GET",
            "/",
            &[
                ("Host", HOST),
                ("X-Amz-Meta-A", "  one   two  "),
                ("x-amz-meta-a", "three"),
            ],
            T,
        );
        let h = canonical_headers(&r.headers, "host;X-Amz-Meta-A;missing;;bad name").unwrap();
        assert_eq!(
            String::from_utf8(h).unwrap(),
            "host:127.0.0.1:7480\nx-amz-meta-a:one two,three\n"
        );
        let r = Req::new("PUT", "/", &[("Content-MD5", "a$b")], T);
        assert_eq!(
            canonical_headers(&r.headers, "content-md5"),
            Err(Error::AccessDenied)
        );
    }

    /// botocore SigV4Auth sends no x-amz-content-sha256 and signs sha256(body) (golden 014).
    #[test]
    fn missing_payload_header_pacific_unsigned_only_reef_body_hash_too() {
        let get = Req::new(
            "GET",
            "/admin/user?uid=admin",
            &[
                ("Host", HOST),
                ("X-Amz-Date", T),
                (
                    "Authorization",
                    &v4_auth(
                        ADMIN_AK,
                        "20261123/us-east-1/s3/aws4_request",
                        "host;x-amz-date",
                        "fcd446a8b5802969b88a18d992f242709ee9da81ed6afb616bd86ccf5bf4fbf8",
                    ),
                ),
            ],
            T,
        );
        assert_eq!(get.check_at(&Keys::admin(), Compat::Reef), Ok(admin()));
        for c in [Compat::Pacific, Compat::Quincy] {
            assert_eq!(
                get.check_at(&Keys::admin(), c),
                Err(Error::SignatureDoesNotMatch)
            );
        }
        let put = Req::new(
            "PUT",
            "/admin/user?quota&uid=alice&quota-type=user",
            &[
                ("Host", HOST),
                ("X-Amz-Date", T),
                (
                    "Authorization",
                    &v4_auth(
                        ADMIN_AK,
                        "20261123/us-east-1/s3/aws4_request",
                        "host;x-amz-date",
                        "f15c6799749050600862fab26a9ca203597db6491b47453ac75be717a725e968",
                    ),
                ),
            ],
            T,
        )
        .body(br#"{"enabled":true}"#);
        assert_eq!(put.check(&Keys::admin()), Ok(admin()));
        // The body is bound: another body fails.
        let other = Req {
            body: br#"{"enabled":false}"#.to_vec(),
            ..put
        };
        assert_eq!(
            other.check(&Keys::admin()),
            Err(Error::SignatureDoesNotMatch)
        );
    }

    /// go-ceph (aws-sdk-go-v2) signs UNSIGNED-PAYLOAD and sends no header: every level.
    #[test]
    fn missing_payload_header_unsigned_accepted_everywhere() {
        let creq_headers = format!("host:{HOST}\nx-amz-date:{T}\n");
        let q = Query::parse("format=json&uid=admin").unwrap();
        let creq = canonical_request(
            "GET",
            "/admin/user",
            &canonical_query(&q, QueryForm::Aws, false),
            creq_headers.as_bytes(),
            "host;x-amz-date",
            UNSIGNED_PAYLOAD.as_bytes(),
        );
        let scope = "20261123/default/s3/aws4_request";
        let key = derive_signing_key(ADMIN_SK, "20261123", "default", "s3");
        let sig = signature(&key, &string_to_sign(T, scope, &creq));
        let r = Req::new(
            "GET",
            "/admin/user?uid=admin&format=json",
            &[
                ("Host", HOST),
                ("X-Amz-Date", T),
                (
                    "Authorization",
                    &v4_auth(ADMIN_AK, scope, "host;x-amz-date", &sig),
                ),
            ],
            T,
        );
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
    }

    /// curl 7.88.1 `--aws-sigv4 "aws:amz:us-east-1:s3"`, captured on the wire: no
    /// x-amz-content-sha256, sha256(body) signed, query signed exactly as sent.
    fn curl(method: &str, target: &str, sig: &str) -> Req {
        Req::new(
            method,
            target,
            &[
                ("Host", "127.0.0.1:17999"),
                ("X-Amz-Date", "20261124T184535Z"),
                ("User-Agent", "curl/7.88.1"),
                ("Accept", "*/*"),
                (
                    "Authorization",
                    &v4_auth(
                        ADMIN_AK,
                        "20261124/us-east-1/s3/aws4_request",
                        "host;x-amz-date",
                        sig,
                    ),
                ),
            ],
            "20261124T184600Z",
        )
    }

    #[test]
    fn curl_7_raw_query_accepted_only_in_reef() {
        let r = curl(
            "GET",
            "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
             &user-caps=users=*;buckets=read",
            "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        for c in [Compat::Pacific, Compat::Quincy] {
            assert_eq!(
                r.check_at(&Keys::admin(), c),
                Err(Error::SignatureDoesNotMatch)
            );
        }
        // Any altered parameter still fails.
        let r = curl(
            "GET",
            "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
             &user-caps=users=*;buckets=*",
            "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = curl(
            "GET",
            "/admin/user?uid=alice&subuser&subuser=alice:swift&display-name=A%20B\
             &user-caps=users=*;buckets=read",
            "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        // With a body: sha256(body) is what curl signs.
        let r = curl(
            "PUT",
            "/admin/user?quota&uid=alice&quota-type=user",
            "8ea7bf5ca836dc008273933704da26845148c9290f9ce6595001e5365f8b9ded",
        )
        .body(br#"{"a":1}"#);
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        assert_eq!(
            r.check_at(&Keys::admin(), Compat::Pacific),
            Err(Error::SignatureDoesNotMatch)
        );
        let r = Req {
            body: br#"{"a":2}"#.to_vec(),
            ..r
        };
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    /// The URL-order variant: pairs re-encoded but not sorted.
    #[test]
    fn url_order_variant_accepted_only_in_reef() {
        let target = "/admin/user?uid=bob&caps&user-caps=usage%3Dread";
        let q = Query::parse(target.split_once('?').unwrap().1).unwrap();
        let cq = canonical_query(&q, QueryForm::UrlOrder, false);
        assert_eq!(cq, "uid=bob&caps=&user-caps=usage%3Dread");
        let headers = format!("host:{HOST}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{T}\n");
        let creq = canonical_request(
            "PUT",
            "/admin/user",
            &cq,
            headers.as_bytes(),
            "host;x-amz-content-sha256;x-amz-date",
            EMPTY_SHA256.as_bytes(),
        );
        let scope = "20261123/us-east-1/s3/aws4_request";
        let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
        let sig = signature(&key, &string_to_sign(T, scope, &creq));
        let mut r = boto(target, &sig);
        r.method = "PUT".into();
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        assert_eq!(
            r.check_at(&Keys::admin(), Compat::Quincy),
            Err(Error::SignatureDoesNotMatch)
        );
        let mut r = boto("/admin/user?uid=bob&caps&user-caps=usage%3Dwrite", &sig);
        r.method = "PUT".into();
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    /// awscurl 0.44 (its `make_request`, captured on the wire): on-wire text encoded again and
    /// sorted by on-wire text (`x=a:b` before `x=a9` only after encoding).
    fn awscurl(method: &str, target: &str, sha: &str, sig: &str) -> Req {
        Req::new(
            method,
            target,
            &[
                ("Host", "127.0.0.1:17999"),
                ("Accept", "application/xml"),
                ("Content-Type", "application/json"),
                ("x-amz-date", "20261124T184614Z"),
                ("x-amz-content-sha256", sha),
                (
                    "Authorization",
                    &v4_auth(
                        ADMIN_AK,
                        "20261124/us-east-1/s3/aws4_request",
                        "content-type;host;x-amz-content-sha256;x-amz-date",
                        sig,
                    ),
                ),
            ],
            "20261124T184614Z",
        )
    }

    #[test]
    fn awscurl_double_encoding_accepted_only_in_reef() {
        let target = "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
                      &x=a:b&x=a9";
        let sig = "7d99a9bb5e5b98e7523e7e1fcf4501f99756f11166522d7846d10b46e8c71924";
        let r = awscurl("GET", target, EMPTY_SHA256, sig);
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        for c in [Compat::Pacific, Compat::Quincy] {
            assert_eq!(
                r.check_at(&Keys::admin(), c),
                Err(Error::SignatureDoesNotMatch)
            );
        }
        let altered = target.replace("A%20B", "A%20C");
        let r = awscurl("GET", &altered, EMPTY_SHA256, sig);
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = awscurl("POST", target, EMPTY_SHA256, sig);
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        // A query without anything to double-encode is standard SigV4 everywhere.
        let r = awscurl(
            "PUT",
            "/admin/user?quota&uid=alice&quota-type=user",
            "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
            "ae299896377020696574f3a5d07e69988724ca21f245f9bd438f94995c211b99",
        )
        .body(br#"{"a":1}"#);
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        // Signed hash of one body, another body sent: the signature holds, the hash does not.
        let r = Req {
            body: br#"{"a":2}"#.to_vec(),
            ..r
        };
        assert_eq!(r.check(&Keys::admin()), Err(Error::ContentSha256Mismatch));
    }

    /// awssig.sign_v4 (capture.py's `v4own`): repeated names, a bare name, encoded values.
    #[test]
    fn awssig_own_signer_and_plus_for_space() {
        let sig = "a6417e1eea6866caa288dbc3ab330d9abecefe29b4ad89c8f768fb6629327c6f";
        for target in [
            "/admin/user?uid=bob&display-name=Bob%20B&caps&user-caps=users%3Dread%3Bbuckets%3D%2A",
            // go's url.Values writes a space as '+'; raw '=' ';' '*' as rgwadmin sends them.
            "/admin/user?uid=bob&display-name=Bob+B&caps&user-caps=users=read;buckets=*",
        ] {
            let mut r = boto(target, sig);
            r.method = "PUT".into();
            assert_eq!(r.check(&Keys::admin()), Ok(admin()), "{target}");
            assert_eq!(
                r.check_at(&Keys::admin(), Compat::Pacific),
                Ok(admin()),
                "{target}"
            );
        }
    }

    #[test]
    fn presigned_botocore() {
        let url = "/admin/user?uid=admin&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                   &X-Amz-Credential=ADMINACCESSKEY0000000%2F20261123%2Fus-east-1%2Fs3%2Faws4_request\
                   &X-Amz-Date=20261123T085619Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host\
                   &X-Amz-Signature=a28d3021db0fcf8bacd3deee3ed1e9252c66dd51031e9045a721628f8f3d8d95";
        let r = Req::new("GET", url, &[("Host", HOST)], T);
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        // Valid until date + expires, exclusive; a date in the future is not refused.
        assert_eq!(r.now_check("20261123T090118Z"), Ok(admin()));
        assert_eq!(r.now_check("20261123T090119Z"), Err(Error::AccessDenied));
        assert_eq!(r.now_check("20261122T000000Z"), Ok(admin()));
        // A changed parameter fails.
        let r = Req::new(
            "GET",
            &url.replace("uid=admin", "uid=alice"),
            &[("Host", HOST)],
            T,
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        // X-Amz-* names in any case are found (radosgw lower-cases them); the names are
        // signed as sent.
        let unsigned = "/admin/user?uid=admin&x-amz-algorithm=AWS4-HMAC-SHA256\
                        &x-amz-credential=ADMINACCESSKEY0000000%2F20261123%2Fdefault%2Fs3%2Faws4_request\
                        &x-amz-date=20261123T085619Z&x-amz-expires=60&x-amz-signedheaders=host";
        let q = Query::parse(unsigned.split_once('?').unwrap().1).unwrap();
        let creq = canonical_request(
            "GET",
            "/admin/user",
            &canonical_query(&q, QueryForm::Aws, true),
            format!("host:{HOST}\n").as_bytes(),
            "host",
            UNSIGNED_PAYLOAD.as_bytes(),
        );
        let key = derive_signing_key(ADMIN_SK, "20261123", "default", "s3");
        let sts = string_to_sign(T, "20261123/default/s3/aws4_request", &creq);
        let signed = format!("{unsigned}&x-amz-signature={}", signature(&key, &sts));
        let r = Req::new("GET", &signed, &[("Host", HOST)], T);
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        let r = Req::new(
            "GET",
            &signed.replace("expires=60", "expires=61"),
            &[("Host", HOST)],
            T,
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    impl Req {
        fn now_check(&self, now: &str) -> Result<Identity> {
            let mut a = self.auth();
            a.now = at(now);
            crate::auth::authenticate(&a, &Keys::admin())
        }
    }

    #[test]
    fn presigned_errors() {
        let base = "/admin/user?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                    &X-Amz-Credential=ADMINACCESSKEY0000000%2F20261123%2Fus-east-1%2Fs3%2Faws4_request\
                    &X-Amz-Date=20261123T085619Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host\
                    &X-Amz-Signature=00";
        let keys = Keys::admin();
        let check = |url: String| Req::new("GET", &url, &[("Host", HOST)], T).check(&keys);
        assert_eq!(check(base.to_string()), Err(Error::SignatureDoesNotMatch));
        for (from, to) in [
            ("X-Amz-Expires=300", "X-Amz-Expires=0"),
            ("X-Amz-Expires=300", "X-Amz-Expires=604801"),
            ("X-Amz-Expires=300", "X-Amz-Expires=abc"),
            ("X-Amz-Expires=300", "X-Amz-Expires="),
            ("&X-Amz-Expires=300", ""),
            ("X-Amz-Date=20261123T085619Z", "X-Amz-Date=2026-11-23"),
            ("&X-Amz-Date=20261123T085619Z", ""),
            ("&X-Amz-SignedHeaders=host", ""),
            ("X-Amz-Signature=00", "X-Amz-Signature="),
            ("X-Amz-Credential=", "X-Amz-Credentia="),
            ("%2Faws4_request", "%2Faws4"),
            ("%2Fs3%2Faws4_request", "%2Faws4_request"),
        ] {
            assert_eq!(
                check(base.replace(from, to)),
                Err(Error::AccessDenied),
                "{to}"
            );
        }
        // A week is the longest lifetime, and still valid.
        assert_eq!(
            check(base.replace("X-Amz-Expires=300", "X-Amz-Expires=604800")),
            Err(Error::SignatureDoesNotMatch)
        );
        assert_eq!(
            check(base.replace("ADMINACCESSKEY0000000", "NOSUCHKEY")),
            Err(Error::InvalidAccessKeyId)
        );
    }

    #[test]
    fn header_errors() {
        let keys = Keys::admin();
        let scope = "20261123/us-east-1/s3/aws4_request";
        let check = |auth: &str, date: Option<(&str, &str)>, now: &str| {
            let mut h = vec![("Host", HOST), ("Authorization", auth)];
            h.extend(date);
            Req::new("GET", "/admin/user?uid=admin", &h, now).check(&keys)
        };
        let good = v4_auth(ADMIN_AK, scope, "host;x-amz-date", "00");
        let xd = Some(("X-Amz-Date", T));
        assert_eq!(check(&good, xd, T), Err(Error::SignatureDoesNotMatch));
        // Malformed header.
        for bad in [
            format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, SignedHeaders=host"),
            format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, Signature=00"),
            "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00".to_string(),
            format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, SignedHeaders, Signature=0"),
            "AWS4-HMAC-SHA256".to_string(),
            v4_auth(ADMIN_AK, "20261123/us-east-1/s3", "host", "00"),
            v4_auth(ADMIN_AK, "20261123/us-east-1/s3/aws4_requesx", "host", "00"),
            v4_auth(
                ADMIN_AK,
                "20261123/us-east-1/s3/x/aws4_request",
                "host",
                "00",
            ),
        ] {
            assert_eq!(check(&bad, xd, T), Err(Error::AccessDenied), "{bad}");
        }
        // Date missing or unparsable; x-amz-date wins over Date and has no fallback.
        assert_eq!(check(&good, None, T), Err(Error::AccessDenied));
        assert_eq!(
            check(
                &good,
                Some(("X-Amz-Date", "Mon, 23 Nov 2026 08:56:19 GMT")),
                T
            ),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            check(&good, Some(("Date", T)), T),
            Err(Error::SignatureDoesNotMatch)
        );
        // Skew: checked before the key is looked up, like radosgw.
        assert_eq!(
            check(&good, xd, "20261123T091120Z"),
            Err(Error::RequestTimeTooSkewed)
        );
        assert_eq!(
            check(&good, xd, "20261123T084118Z"),
            Err(Error::RequestTimeTooSkewed)
        );
        assert_eq!(
            check(&good, xd, "20261123T091119Z"),
            Err(Error::SignatureDoesNotMatch)
        );
        let unknown = v4_auth("NOSUCHKEY", scope, "host;x-amz-date", "00");
        assert_eq!(check(&unknown, xd, T), Err(Error::InvalidAccessKeyId));
        assert_eq!(
            check(&unknown, xd, "20261123T101119Z"),
            Err(Error::RequestTimeTooSkewed)
        );
        // Skew wins over a malformed credential too (radosgw checks the date first).
        let bad_cred = v4_auth(ADMIN_AK, "20261123/us-east-1/s3", "host", "00");
        assert_eq!(
            check(&bad_cred, xd, "20261123T101119Z"),
            Err(Error::RequestTimeTooSkewed)
        );
    }

    #[test]
    fn rfc1123_date_header_only_in_reef() {
        let date = "Mon, 23 Nov 2026 08:56:19 GMT";
        let scope = "20261123/us-east-1/s3/aws4_request";
        let headers = format!("date:{date}\nhost:{HOST}\n");
        let creq = canonical_request(
            "GET",
            "/admin/user",
            "uid=admin",
            headers.as_bytes(),
            "date;host",
            UNSIGNED_PAYLOAD.as_bytes(),
        );
        let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
        let sig = signature(&key, &string_to_sign(T, scope, &creq));
        let r = Req::new(
            "GET",
            "/admin/user?uid=admin",
            &[
                ("Host", HOST),
                ("Date", date),
                (
                    "Authorization",
                    &v4_auth(ADMIN_AK, scope, "date;host", &sig),
                ),
            ],
            T,
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        assert_eq!(
            r.check_at(&Keys::admin(), Compat::Pacific),
            Err(Error::AccessDenied)
        );
    }

    #[test]
    fn content_sha256_mismatch_only_after_signature() {
        let body = b"{\"x\":1}";
        let wrong_hash = sha256_hex(b"other");
        let headers = format!("host:{HOST}\nx-amz-content-sha256:{wrong_hash}\nx-amz-date:{T}\n");
        let creq = canonical_request(
            "PUT",
            "/admin/user",
            "uid=a",
            headers.as_bytes(),
            "host;x-amz-content-sha256;x-amz-date",
            wrong_hash.as_bytes(),
        );
        let scope = "20261123/us-east-1/s3/aws4_request";
        let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
        let sig = signature(&key, &string_to_sign(T, scope, &creq));
        let mk = |sig: &str| {
            Req::new(
                "PUT",
                "/admin/user?uid=a",
                &[
                    ("Host", HOST),
                    ("X-Amz-Date", T),
                    ("X-Amz-Content-SHA256", &wrong_hash),
                    (
                        "Authorization",
                        &v4_auth(ADMIN_AK, scope, "host;x-amz-content-sha256;x-amz-date", sig),
                    ),
                ],
                T,
            )
            .body(body)
        };
        assert_eq!(
            mk(&sig).check(&Keys::admin()),
            Err(Error::ContentSha256Mismatch)
        );
        assert_eq!(
            mk("00").check(&Keys::admin()),
            Err(Error::SignatureDoesNotMatch)
        );
        assert!(payload_is_hashed(&mk(&sig).headers));
        let r = Req::new("PUT", "/", &[("x-amz-content-sha256", UNSIGNED_PAYLOAD)], T);
        assert!(!payload_is_hashed(&r.headers));
        assert!(!payload_is_hashed(&Req::new("PUT", "/", &[], T).headers));
    }

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

    /// Not a test of behaviour: `cargo test --release -- --ignored --nocapture timing`.
    #[test]
    #[ignore]
    fn timing_cached_verify() {
        let r = boto(
            "/admin/user?uid=admin",
            "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
        );
        let keys = Keys::admin();
        let n = 200_000;
        let start = std::time::Instant::now();
        for _ in 0..n {
            assert!(r.check(&keys).is_ok());
        }
        eprintln!("cached verify: {:?} per request", start.elapsed() / n);
    }
}
