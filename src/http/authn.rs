//! The pipeline's authentication step: the claimed key's owner fetched, the signature
//! checked on the headers, the caller resolved, the op's authorization gate run, and only
//! then a whole body read and checked against what the signature says of it.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::HeaderMap;

use super::body;
use crate::auth::{self, AuthRequest, BodyVerifier, Credentials, Identity, Payload, SecretLookup};
use crate::authz::Caller;
use crate::config::{Compat, SigV2};
use crate::domain::users::KeyOwner;
use crate::domain::App;
use crate::error::{Error, Result};
use crate::query::Query;
use crate::s3;

/// The key a request claims to be signed with, looked up before the signature is checked
/// (the verifier compares the key it parses with this one, so a wrong guess only fails).
struct Prefetched<'a>(Option<(&'a str, Arc<str>)>);

impl SecretLookup for Prefetched<'_> {
    fn secret(&self, access_key: &str) -> Option<Arc<str>> {
        self.0
            .as_ref()
            .filter(|(ak, _)| *ak == access_key)
            .map(|(_, s)| s.clone())
    }
}

/// What the verifier reads of a request, its body not yet read.
fn auth_request<'a>(
    app: &App,
    parts: &'a Parts,
    query: &'a Query,
    vhost_bucket: &'a str,
) -> AuthRequest<'a> {
    AuthRequest {
        method: parts.method.as_str(),
        raw_path: parts.uri.path(),
        vhost_bucket,
        query,
        headers: &parts.headers,
        body: b"",
        now: SystemTime::now(),
        compat: app.cfg.compat,
    }
}

/// An upload's authentication: what its body must satisfy, the caller, and the body itself
/// when it had to be read to verify the signature (else it is still to stream).
pub(super) type Upload = (Result<Payload>, Caller, Option<Bytes>, Option<Incoming>);

/// Authenticate an upload on its headers; its body then streams through the verifier.
///
/// `curl --aws-sigv4` sends no `x-amz-content-sha256` and signs a hash the headers alone do
/// not give: the empty body's with `-T` (7.x hashes only the data it is handed in memory),
/// the body's with `--data-binary`. At Reef, for a key that exists, a signature that did not
/// verify is tried with the empty body's hash (the body is then taken as sent, as radosgw
/// takes every upload without that header: `UNSIGNED-PAYLOAD`), then, for a declared length
/// of at most `limit`, with the hash of the body, read whole for it, as
/// [`authenticate_whole_body`] does.
pub(super) async fn authenticate_upload(
    app: &App,
    parts: &Parts,
    query: &Query,
    vhost_bucket: &str,
    incoming: Incoming,
    limit: usize,
) -> Upload {
    let mut req = auth_request(app, parts, query, vhost_bucket);
    let creds = match auth::credentials(&req) {
        Ok(c) => c,
        Err(e) => return (Err(refused(e)), Caller::anonymous(), None, Some(incoming)),
    };
    let owner = match claimed_owner(app, &creds).await {
        Ok(o) => o,
        Err(e) => return (Err(e), Caller::anonymous(), None, Some(incoming)),
    };
    let sigv2 = app.cfg.sigv2;
    if owner.is_none() || !body_may_be_signed(&parts.headers, app.cfg.compat) {
        let (verified, caller) = authenticate(&req, &creds, &owner, true, sigv2);
        return (verified, caller, None, Some(incoming));
    }
    // Counted as a failure once, whichever candidate is the last tried.
    let counted = |out: (Result<Payload>, Caller)| {
        if let Err(e) = &out.0 {
            crate::metrics::get().auth_failure(e.code());
        }
        out
    };
    match verify(&req, &creds, &owner, true, sigv2) {
        (Err(Error::SignatureDoesNotMatch), _) => {}
        out => {
            let (verified, caller) = counted(out);
            return (verified, caller, None, Some(incoming));
        }
    }
    match verify(&req, &creds, &owner, false, sigv2) {
        (Err(Error::SignatureDoesNotMatch), _) => {}
        out => {
            let (verified, caller) = counted(out);
            return (
                verified.map(|_| Payload::Unchecked),
                caller,
                None,
                Some(incoming),
            );
        }
    }
    let declared = parts
        .headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_none_or(|n| n == 0 || n > limit as u64) {
        let (verified, caller) = counted((Err(Error::SignatureDoesNotMatch), Caller::anonymous()));
        return (verified, caller, None, Some(incoming));
    }
    let body = match body::read(incoming, limit, app.cfg.body_timeout()).await {
        Ok(b) => b,
        Err(e) => return (Err(e), Caller::anonymous(), None, None),
    };
    req.body = &body;
    let (verified, caller) = authenticate(&req, &creds, &owner, false, sigv2);
    match verified.and_then(|p| check_whole_body(p, &parts.headers, body, true)) {
        Ok(b) => (Ok(Payload::Unchecked), caller, Some(b), None),
        Err(e) => (Err(e), caller, None, None),
    }
}

/// The owner of the key a request claims to be signed with, fetched before the signature
/// is checked (cache or store). A disabled key is no key: radosgw takes inactive keys out
/// of its key index, so every signature form made with one gets `InvalidAccessKeyId`. The
/// flag is read from the user record, which every gateway's cache drops on a change.
async fn claimed_owner(app: &App, creds: &Credentials<'_>) -> Result<Option<KeyOwner>> {
    let Some(ak) = creds.access_key() else {
        return Ok(None);
    };
    let owner = app.users.by_access_key(ak).await?;
    Ok(owner.filter(|o| o.active))
}

/// Whether a request carries no credentials at all (a malformed one carries some).
pub(super) fn is_anonymous(app: &App, headers: &HeaderMap, query: &Query) -> bool {
    let req = claim_only(app, headers, query);
    matches!(auth::credentials(&req), Ok(Credentials::Anonymous))
}

/// The owner of the key that well-formed credentials name, unverified: for what may be
/// answered on a claim alone (a CORS preflight's tenant).
pub(super) async fn owner_claimed_by(
    app: &App,
    headers: &HeaderMap,
    query: &Query,
) -> Option<KeyOwner> {
    let req = claim_only(app, headers, query);
    let creds = auth::credentials(&req).ok()?;
    claimed_owner(app, &creds).await.ok()?
}

/// What [`auth::credentials`] reads, for a request that is not to be verified.
fn claim_only<'a>(app: &App, headers: &'a HeaderMap, query: &'a Query) -> AuthRequest<'a> {
    AuthRequest {
        method: "",
        raw_path: "",
        vhost_bucket: "",
        query,
        headers,
        body: b"",
        now: SystemTime::now(),
        compat: app.cfg.compat,
    }
}

/// Credentials refused before any key was looked up: counted as every failure is.
fn refused(e: Error) -> Error {
    crate::metrics::get().auth_failure(e.code());
    e
}

/// Authenticate: verify the signature against the claimed key's secret and resolve the
/// caller. A suspended user is refused after its signature verified (so suspension is not
/// revealed to others), but is still returned for the usage log.
fn authenticate(
    req: &AuthRequest<'_>,
    creds: &Credentials<'_>,
    owner: &Option<KeyOwner>,
    streaming: bool,
    sigv2: SigV2,
) -> (Result<Payload>, Caller) {
    let out = verify(req, creds, owner, streaming, sigv2);
    if let Err(e) = &out.0 {
        crate::metrics::get().auth_failure(e.code());
    }
    out
}

fn verify(
    req: &AuthRequest<'_>,
    creds: &Credentials<'_>,
    owner: &Option<KeyOwner>,
    streaming: bool,
    sigv2: SigV2,
) -> (Result<Payload>, Caller) {
    let lookup = Prefetched(
        creds
            .access_key()
            .zip(owner.as_ref().map(|o| o.secret.clone())),
    );
    match auth::verify(req, creds, &lookup, streaming) {
        Err(e) => (Err(e), Caller::anonymous()),
        Ok((Identity::Anonymous, p)) => (Ok(p), Caller::anonymous()),
        Ok((Identity::Key(_), _)) if !sigv2_allowed(req, creds, sigv2) => {
            (Err(Error::AccessDenied), Caller::anonymous())
        }
        Ok((Identity::Key(ak), p)) => {
            let Some(o) = owner else {
                return (Err(Error::InvalidAccessKeyId), Caller::anonymous());
            };
            let caller = Caller::of_key(o, ak);
            if o.user.suspended {
                return (Err(Error::UserSuspended), caller);
            }
            (Ok(p), caller)
        }
    }
}

/// The `sigv2` setting: SigV2 signs neither the admin query nor most headers, so a captured
/// request can be replayed with other parameters for 15 minutes; `read-only` keeps it for
/// GET and HEAD, `deny` refuses it.
fn sigv2_allowed(req: &AuthRequest<'_>, creds: &Credentials<'_>, policy: SigV2) -> bool {
    match policy {
        SigV2::Allow => true,
        _ if !creds.is_v2() => true,
        SigV2::ReadOnly => matches!(req.method, "GET" | "HEAD"),
        SigV2::Deny => false,
    }
}

/// Authenticate a request, then (if `takes_body`) read its whole body (at most `limit`
/// bytes) and check it against what the signature says of it. The signature is checked on
/// the headers first, and `gate` (the op's authorization, as far as it can be decided
/// without the body) runs before the body is read: a request that does not verify, or whose
/// caller may not do the op, is refused without its body being read. Only when the headers
/// alone cannot verify a SigV4 signature that may cover the body's hash (Reef takes one
/// without `x-amz-content-sha256`, as `curl --aws-sigv4` signs) is the body read first, and
/// then only for a key that exists.
///
/// `body_checksum`: an `x-amz-checksum-*` header is the body's (false for a
/// CompleteMultipartUpload, where it is the object's, which the op checks).
#[allow(clippy::too_many_arguments)]
pub(super) async fn authenticate_whole_body(
    app: &App,
    parts: &Parts,
    query: &Query,
    vhost_bucket: &str,
    incoming: Incoming,
    limit: usize,
    takes_body: bool,
    body_checksum: bool,
    gate: impl FnOnce(&Caller) -> Result<()>,
) -> (Result<Bytes>, Caller) {
    let mut auth_req = auth_request(app, parts, query, vhost_bucket);
    let creds = match auth::credentials(&auth_req) {
        Ok(c) => c,
        Err(e) => {
            body::discard(&parts.headers, incoming, limit, app.cfg.body_timeout());
            return (Err(refused(e)), Caller::anonymous());
        }
    };
    let owner = match claimed_owner(app, &creds).await {
        Ok(o) => o,
        Err(e) => return (Err(e), Caller::anonymous()),
    };
    let (verified, caller) = authenticate(&auth_req, &creds, &owner, true, app.cfg.sigv2);
    let read = |incoming| async move {
        if takes_body {
            body::read(incoming, limit, app.cfg.body_timeout()).await
        } else {
            body::discard(&parts.headers, incoming, limit, app.cfg.body_timeout());
            Ok(Bytes::new())
        }
    };
    match verified {
        Ok(payload) => {
            if let Err(e) = gate(&caller) {
                body::discard(&parts.headers, incoming, limit, app.cfg.body_timeout());
                return (Err(e), caller);
            }
            let body = async {
                let body = read(incoming).await?;
                check_whole_body(payload, &parts.headers, body, body_checksum)
            };
            (body.await, caller)
        }
        Err(Error::SignatureDoesNotMatch)
            if owner.is_some() && body_may_be_signed(&parts.headers, app.cfg.compat) =>
        {
            let body = match read(incoming).await {
                Ok(b) => b,
                Err(e) => return (Err(e), caller),
            };
            auth_req.body = &body;
            let (verified, caller) = authenticate(&auth_req, &creds, &owner, false, app.cfg.sigv2);
            // Checked as any body: its checksum header and Content-MD5.
            let res = verified.and_then(|p| {
                gate(&caller)?;
                check_whole_body(p, &parts.headers, body, body_checksum)
            });
            (res, caller)
        }
        Err(e) => {
            body::discard(&parts.headers, incoming, limit, app.cfg.body_timeout());
            (Err(e), caller)
        }
    }
}

/// A header-signed SigV4 request at Reef without `x-amz-content-sha256`: its signature may
/// cover the body's hash (the empty body's, for `curl --aws-sigv4` GETs).
fn body_may_be_signed(headers: &HeaderMap, compat: Compat) -> bool {
    compat >= Compat::Reef
        && !headers.contains_key(crate::auth::sigv4::CONTENT_SHA256)
        && headers.get(hyper::header::AUTHORIZATION).is_some_and(|v| {
            v.as_bytes()
                .starts_with(crate::auth::sigv4::ALGORITHM.as_bytes())
        })
}

/// A whole body checked against its payload hash, aws-chunked framing, checksum header and
/// `Content-MD5` (which go-ceph and boto sign when they send no payload hash), as an
/// upload's would be as it streams; the decoded bytes.
fn check_whole_body(
    payload: Payload,
    headers: &HeaderMap,
    body: Bytes,
    body_checksum: bool,
) -> Result<Bytes> {
    let md5 = s3::object::content_md5_header(headers)?;
    let checksum = match body_checksum {
        true => auth::header_checksum(headers)?,
        false => None,
    };
    // The empty body of a read, with nothing but its payload hash to check: that hash is
    // known, and no verifier need run.
    if body.is_empty() && md5.is_none() && checksum.is_none() {
        match payload {
            Payload::Unchecked => return Ok(body),
            Payload::Sha256(want) => {
                return match crate::auth::ct_eq(&want, &auth::EMPTY_BODY_SHA256) {
                    true => Ok(body),
                    false => Err(Error::ContentSha256Mismatch),
                }
            }
            // An empty body is not even a valid aws-chunked one: the verifier says why.
            Payload::Chunked(_) => {}
        }
    }
    // What `BodyVerifier::for_upload` does, with the header already read.
    let mut v = match checksum {
        Some((algorithm, value)) => BodyVerifier::with_checksum(payload, algorithm, Some(&value))?,
        None => BodyVerifier::new(payload),
    };
    let mut out = Vec::with_capacity(body.len());
    v.feed(&body, &mut out)?;
    v.finish()?;
    if let Some(want) = md5 {
        use md5::Digest as _;
        if md5::Md5::digest(&out).as_slice() != want {
            return Err(Error::BadDigest);
        }
    }
    Ok(if out.len() == body.len() {
        body
    } else {
        Bytes::from(out)
    })
}
