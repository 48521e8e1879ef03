//! The canonical request, the string to sign and the signature (`get_v4_canonical_qs`,
//! `get_v4_canonical_headers`, `get_v4_canonical_uri`), and the alternative canonical forms
//! of older radosgw releases and of clients that get the query wrong.

use std::borrow::Cow;
use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use hyper::HeaderMap;
use percent_encoding::{percent_decode, percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::{Digest, Sha256};

use super::ALGORITHM;
use crate::error::{Error, Result};
use crate::query::Query;

/// RFC 3986 unreserved characters stay, everything else becomes `%XX` (upper case), `/`
/// included: `aws4_uri_encode(.., encode_slash=true)` for query names and values.
const QUERY_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');
/// Same, but `/` separates path segments and stays.
const PATH_SET: &AsciiSet = &QUERY_SET.remove(b'/');

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
        .params()
        .filter(|p| !(presigned && p.name.eq_ignore_ascii_case("X-Amz-Signature")));
    // The on-wire pairs are usually exactly as long as their canonical form.
    let wire: usize = query
        .params()
        .map(|p| p.raw_name.len() + p.raw_value.map_or(0, str::len) + 2)
        .sum();
    let mut out = String::with_capacity(wire);
    match form {
        // Most queries (`uid=admin&format=json`) are already canonical: names and values
        // that need no escape, in sorted order. Then the canonical form is the pairs joined.
        QueryForm::Aws if plain_and_sorted(params.clone()) => {
            join_pairs(&mut out, params.map(|p| (p.name, p.value)));
        }
        QueryForm::Aws => {
            let mut pairs: Vec<(Cow<str>, Cow<str>)> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            pairs.sort_unstable();
            join_pairs(&mut out, pairs.iter().map(|(n, v)| (&**n, &**v)));
        }
        QueryForm::LastPerName => {
            let map: BTreeMap<Cow<str>, Cow<str>> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            join_pairs(&mut out, map.iter().map(|(n, v)| (&**n, &**v)));
        }
        QueryForm::Raw => {
            for (i, p) in params.enumerate() {
                if i > 0 {
                    out.push('&');
                }
                out.push_str(p.raw_name);
                if let Some(v) = p.raw_value {
                    out.push('=');
                    out.push_str(v);
                }
            }
        }
        QueryForm::UrlOrder => {
            let pairs: Vec<(Cow<str>, Cow<str>)> = params
                .map(|p| (encode(p.name.as_bytes()), encode(p.value.as_bytes())))
                .collect();
            join_pairs(&mut out, pairs.iter().map(|(n, v)| (&**n, &**v)));
        }
        QueryForm::DoubleEncoded => {
            // awscurl strips blanks and sorts the raw [name, value] lists before encoding.
            let mut pairs: Vec<(&str, &str)> = params
                .map(|p| (p.raw_name.trim(), p.raw_value.unwrap_or("").trim()))
                .collect();
            pairs.sort_unstable();
            let encoded: Vec<(Cow<str>, Cow<str>)> = pairs
                .iter()
                .map(|(n, v)| (encode(n.as_bytes()), encode(v.as_bytes())))
                .collect();
            join_pairs(&mut out, encoded.iter().map(|(n, v)| (&**n, &**v)));
        }
    }
    out
}

/// Whether every name and value is made of unreserved characters only (its own canonical
/// encoding) and the pairs come sorted by name, then value.
fn plain_and_sorted<'a>(mut params: impl Iterator<Item = crate::query::Param<'a>>) -> bool {
    let plain = |s: &str| s.bytes().all(unreserved);
    let mut last: Option<(&str, &str)> = None;
    params.all(|p| {
        let pair = (p.name, p.value);
        let ok = plain(pair.0) && plain(pair.1) && last.is_none_or(|l| l <= pair);
        last = Some(pair);
        ok
    })
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

/// An RFC 3986 unreserved character: what [`QUERY_SET`] leaves as it is.
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~')
}

/// Borrowed when nothing needs escaping, as in most names and values.
fn encode(b: &[u8]) -> Cow<'_, str> {
    percent_encode(b, QUERY_SET).into()
}

/// The canonical URI: the path as sent, decoded and encoded again (`aws4_uri_recode(..,
/// false)`: unreserved characters and `/` stay, the rest is `%XX`); empty → `/`. No
/// dot-segment normalisation: S3 does none.
pub fn canonical_uri(raw_path: &str) -> Cow<'_, str> {
    if raw_path.is_empty() {
        return Cow::Borrowed("/");
    }
    let plain = raw_path.bytes().all(|b| unreserved(b) || b == b'/');
    if plain {
        return Cow::Borrowed(raw_path);
    }
    let decoded: Cow<'_, [u8]> = percent_decode(raw_path.as_bytes()).into();
    Cow::Owned(percent_encode(&decoded, PATH_SET).collect())
}

/// The canonical URI of radosgw before Reef (`get_v4_canonical_uri` without the re-encoding):
/// the path exactly as sent; empty → `/`. A `+` stays a `+`: radosgw 16.2 signs it as `%20`,
/// but the path decodes it as a plus sign, so that form would let the signature of key `a b`
/// fetch key `a+b`.
pub fn legacy_uri(raw_path: &str) -> Cow<'_, str> {
    if raw_path.is_empty() {
        Cow::Borrowed("/")
    } else {
        Cow::Borrowed(raw_path)
    }
}

/// `SignedHeaders`, read once: the names as the canonical request lists them (lower-cased,
/// sorted, without empty or repeated entries). The binding checks ask this same list, so a
/// header counts as signed exactly when the canonical request holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedNames<'a>(Vec<Cow<'a, str>>);

impl<'a> SignedNames<'a> {
    pub fn parse(signed_headers: &'a str) -> SignedNames<'a> {
        let mut names: Vec<Cow<'a, str>> = Vec::with_capacity(8);
        // Signers send the list sorted and lower-cased: then it is taken as it is.
        let mut in_order = true;
        for t in split_ascii(signed_headers, b';').filter(|t| !t.is_empty()) {
            let name = if t.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(t.to_ascii_lowercase())
            } else {
                Cow::Borrowed(t)
            };
            in_order &= names.last().is_none_or(|last| *last < name);
            names.push(name);
        }
        if !in_order {
            names.sort_unstable();
            names.dedup();
        }
        SignedNames(names)
    }

    /// Whether `name` (lower case, as a `HeaderMap` holds names) is signed.
    pub fn contains(&self, name: &str) -> bool {
        self.0.binary_search_by(|n| (**n).cmp(name)).is_ok()
    }
}

/// `s` split at every `sep` (an ASCII byte), as `str::split` would, without its generic
/// searcher: these lists are split on every request.
pub(super) fn split_ascii(s: &str, sep: u8) -> impl Iterator<Item = &str> {
    let mut rest = Some(s);
    std::iter::from_fn(move || {
        let r = rest?;
        match memchr::memchr(sep, r.as_bytes()) {
            Some(i) => {
                rest = Some(&r[i + 1..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

/// `get_v4_canonical_headers`: for each signed name, the request's values, each trimmed
/// with inner blank runs collapsed, joined with `,`; one `name:value\n` each, in the order of
/// [`SignedNames`]. A signed header the request lacks is skipped, as radosgw does. A signed
/// `Content-MD5` that is not base64 → `AccessDenied`.
pub fn canonical_headers(headers: &HeaderMap, names: &SignedNames) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(512);
    for name in &names.0 {
        // A request has a handful of headers: comparing names beats parsing and hashing
        // each signed one for a map lookup.
        let mut values = headers
            .iter()
            .filter(|(k, _)| k.as_str() == name)
            .peekable();
        if values.peek().is_none() {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let value_start = out.len();
        for (i, (_, v)) in values.enumerate() {
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
    // Most signed values (dates, hashes, hosts) hold no blank at all: copy them whole.
    if memchr::memchr2(b' ', b'\t', v).is_none() {
        out.extend_from_slice(v);
        return;
    }
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
pub(super) fn feed_canonical_request(
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

pub(super) fn feed_string_to_sign(
    amz_date: &str,
    scope: &str,
    creq_hash: &[u8; 32],
    mut sink: impl FnMut(&[u8]),
) {
    let hex_hash = hex32(creq_hash);
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

/// Lower-case hex of a SHA-256 digest, two digits per table lookup: each signed request
/// writes two, and the `hex` crate's per-nibble encoder costs several times as much.
pub(super) fn hex32(digest: &[u8; 32]) -> [u8; 64] {
    const PAIRS: [[u8; 2]; 256] = {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [DIGITS[i >> 4], DIGITS[i & 0xf]];
            i += 1;
        }
        t
    };
    let mut out = [0u8; 64];
    for (pair, &b) in out.chunks_exact_mut(2).zip(digest) {
        pair.copy_from_slice(&PAIRS[b as usize]);
    }
    out
}

/// Lower-case hex of HMAC-SHA256(signing key, string to sign).
pub fn signature(signing_key: &[u8; 32], string_to_sign: &[u8]) -> String {
    hex::encode(hmac_sha256(signing_key, string_to_sign))
}

pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

pub(super) fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(key).expect("HMAC-SHA256 accepts any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

pub(super) type HmacSha256 = Hmac<Sha256>;
