//! The signature check proper: the candidate canonical requests in radosgw's order, and what
//! the body must then satisfy.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::Arc;

use hmac::Mac;
use sha2::{Digest, Sha256};

use super::canonical::{
    canonical_headers, canonical_query, canonical_uri, feed_canonical_request, feed_string_to_sign,
    hex32, legacy_uri, sha256_hex, QueryForm,
};
use super::key_cache::{derive_signing_key, key_cache, scope, CachedKey, Scope, Signer};
use super::parse::{Credential, V4Auth};
use super::{is_sha256_hex, sha256_from_hex, CONTENT_SHA256, EMPTY_SHA256, UNSIGNED_PAYLOAD};
use crate::auth::chunked::{
    ChunkSigning, ChunkedSpec, Payload, DECODED_LENGTH_HEADER, STREAMING_PAYLOAD,
    STREAMING_PAYLOAD_TRAILER, STREAMING_UNSIGNED_TRAILER, TRAILER_HEADER,
};
use crate::auth::AuthRequest;
use crate::config::Compat;
use crate::error::{Error, Result};

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
    if let Some(hash) = sha256_from_hex(value) {
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
    let scope = scope(cred.access_key, cred.date, cred.region, cred.service);
    let (signer, cached) = match scope.as_ref().and_then(|s| key_cache().get(s, secret)) {
        Some(s) => (s, true),
        None => {
            let key = derive_signing_key(secret, cred.date, cred.region, cred.service);
            (Signer::new(key), false)
        }
    };
    let headers = canonical_headers(req.headers, &auth.signed)?;
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
        let mut mac = signer.mac.clone();
        feed_string_to_sign(&auth.amz_date, cred.scope, &creq.finalize().into(), |b| {
            mac.update(b)
        });
        let sig = hex32(&mac.finalize().into_bytes().into());
        crate::auth::ct_eq(&sig, auth.signature.as_bytes())
    };

    let reef = req.compat >= Compat::Reef;
    let form = if reef {
        QueryForm::Aws
    } else {
        // 16.2 signs the last pair of each name only; the handler must then read that pair.
        if !last_pairs_are_read(req.query) {
            return Err(Error::SignatureDoesNotMatch);
        }
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
    if ok {
        return finish(signer, cached, scope, secret);
    }
    // Older radosgw signs the path as sent (only `+` → `%20`), as botocore's S3 signer does;
    // it differs from the re-encoded one only for paths with characters outside
    // `A-Za-z0-9-_.~/` or needless escapes.
    let legacy = legacy_uri(req.raw_path);
    if legacy != uri {
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
        // awscurl's second encoding of an escape (`%41` signed as `%2541`) is exactly the
        // standard form of the literal text `%41`: a query that has one would let its
        // signature also verify the request whose values are the undecoded text.
        let double_encoded = !req.query.params().any(|p| {
            p.raw_name.contains(['%', '+']) || p.raw_value.is_some_and(|v| v.contains(['%', '+']))
        });
        for (u, form) in [
            // curl 7.x signs the path and query string exactly as it sends them.
            (raw_uri, QueryForm::Raw),
            (&*uri, QueryForm::UrlOrder),
            (&*uri, QueryForm::DoubleEncoded),
        ] {
            if form == QueryForm::DoubleEncoded && !double_encoded {
                continue;
            }
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
    finish(signer, cached, scope, secret)
}

/// Whether, for every name, the pair `Query::get` returns is the last one (the one 16.2
/// signs): `get` prefers a valued pair, so `purge-data=false&uid=u&purge-data` would run with
/// an unsigned `false`.
fn last_pairs_are_read(query: &crate::query::Query) -> bool {
    let params = query.params();
    params.clone().enumerate().all(|(i, p)| {
        p.raw_value.is_some()
            || params.clone().skip(i + 1).any(|q| q.name == p.name)
            || params
                .clone()
                .take(i)
                .all(|q| q.name != p.name || q.raw_value.is_none())
    })
}

/// A verified signature: remember its key (the cache is filled only by verified requests)
/// and hand it out for chunk signatures.
fn finish(
    signer: Signer,
    cached: bool,
    scope: Option<Scope>,
    secret: &Arc<str>,
) -> Result<[u8; 32]> {
    let key = signer.key;
    if let (false, Some(scope)) = (cached, scope) {
        key_cache().insert(scope.to_id(), CachedKey::new(secret, signer));
    }
    Ok(key)
}
