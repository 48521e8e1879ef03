//! The one request pipeline, top to bottom:
//! parse once → route → authenticate → authorize → rate-limit → op → encode → respond →
//! account usage, with one log line and an `x-amz-request-id` on every answer.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::http::request::Parts;
use hyper::{Method, Request, Response, StatusCode};

use super::authn::{authenticate_upload, authenticate_whole_body, is_anonymous};
use super::body::{self, RespBody, Verified};
use super::request_id::request_id;
use super::respond::{self, Dialect};
use crate::auth::{BodyVerifier, Payload};
use crate::authz::{self, Caller};
use crate::config::Compat;
use crate::domain::usage;
use crate::domain::App;
use crate::encode::Format;
use crate::error::{Error, Result};
use crate::ops::{self, AdminOp};
use crate::query::Query;
use crate::route::{self, Route, S3Target};
use crate::s3::{self, S3Op, S3Request};

/// Largest admin request body read into memory (admin bodies are at most a few KiB).
pub const MAX_ADMIN_BODY: usize = 1 << 20;
/// Largest non-upload S3 body read into memory (DeleteObjects, CompleteMultipartUpload).
pub const MAX_S3_BODY: usize = 4 << 20;

/// What the log line says about a request.
struct Logged {
    op: &'static str,
    /// Empty until the caller is known (logged as `-`).
    uid: String,
    /// The admin cap whose absence refused the request.
    required_caps: String,
}

/// A connection's handle on the app. Each of the connection's requests takes a clone: the
/// count that bumps is the connection's own, touched by its thread alone, and not the app's,
/// which every connection thread shares (a shared count is a cache line the cores keep
/// passing to each other).
pub type ConnApp = Arc<Arc<App>>;

/// One request, start to end. The request is taken apart before the future is made, so the
/// future holds its parts once (an `async fn` would keep the whole request besides them),
/// and the answer is already the `Result` hyper's service returns: no wrapper future, whose
/// every move would copy this one again.
pub fn handle(
    app: ConnApp,
    req: Request<Incoming>,
    peer: s3::Peer,
) -> impl std::future::Future<Output = std::result::Result<Response<RespBody>, Infallible>> {
    let start = Instant::now();
    let (parts, body) = req.into_parts();
    answer(app, parts, body, peer, start)
}

async fn answer(
    app: ConnApp,
    parts: Parts,
    body: Incoming,
    peer: s3::Peer,
    start: Instant,
) -> std::result::Result<Response<RespBody>, Infallible> {
    let rid = request_id(&app);
    let mut logged = Logged {
        op: "-",
        uid: String::new(),
        required_caps: String::new(),
    };
    let method = parts.method.clone();
    let sent_body = body::declares_body(&parts.headers);
    let mut resp = dispatch(&app, parts, body, peer, &rid, &mut logged).await;
    // A refused request's body may be unread, or still on its way (a client that waited
    // for 100-continue may send it anyway): say the connection ends here, so that no client
    // sends its next request on it and has it read as the rest of this body.
    if sent_body && resp.status().as_u16() >= 400 {
        resp.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
    }
    let took = start.elapsed();
    let status = resp.status().as_u16();
    crate::metrics::get().request(logged.op, status, took);
    crate::logging::request(&crate::logging::RequestLine {
        req: &rid,
        method: method.as_str(),
        op: logged.op,
        uid: Some(logged.uid.as_str())
            .filter(|u| !u.is_empty())
            .unwrap_or("-"),
        status,
        latency_us: took.as_micros() as u64,
        required_caps: &logged.required_caps,
    });
    Ok(resp)
}

/// The branches run boxed: hyper moves the request's future several times before and as it
/// starts, and every move copies its full size, which inline would be that of the biggest
/// branch (3-4 KiB); one allocation per request costs less.
async fn dispatch(
    app: &App,
    parts: Parts,
    body: Incoming,
    peer: s3::Peer,
    rid: &str,
    logged: &mut Logged,
) -> Response<RespBody> {
    let is_head = parts.method == Method::HEAD;
    // Parse once: the path, the query, the route. Everything after reads these.
    let path = match crate::query::decode_path(parts.uri.path()) {
        Ok(p) => p,
        Err(e) => return undecodable_path(app, &parts, e, rid, is_head),
    };
    let admin = route::is_admin(&path, &app.cfg.admin_entry);
    let query = match Query::parse(parts.uri.query().unwrap_or("")) {
        Ok(q) => q,
        Err(e) => {
            let d = if admin {
                Dialect::Admin(Format::Json)
            } else {
                Dialect::S3
            };
            return respond::error(app, &e, d, rid, "", is_head, None);
        }
    };
    let route = route::route(&parts.method, &path, &query, &parts.headers, &app.cfg);
    match route {
        // 405 before the handler exists: radosgw always answers it in JSON.
        Err(e) if admin => respond::error(
            app,
            &e,
            Dialect::Admin(Format::Json),
            rid,
            "",
            is_head,
            None,
        ),
        // radosgw names the bucket of an error only once the request is authenticated
        // (`postauth_init`), after the op was chosen: a method or sub-resource with no op
        // is answered without `BucketName`.
        Err(e) => respond::error(app, &e, Dialect::S3, rid, "", is_head, None),
        Ok(Route::Admin(op, section)) => {
            logged.op = op.name();
            Box::pin(admin_request(
                app, parts, query, op, section, body, rid, logged,
            ))
            .await
        }
        Ok(Route::S3(target)) => {
            logged.op = target.op.name();
            Box::pin(s3_request(
                app, parts, query, target, body, peer, rid, logged,
            ))
            .await
        }
        Ok(Route::SwiftAuth) => {
            logged.op = "swift_auth_get";
            if let Some(u) = parts
                .headers
                .get("x-auth-user")
                .and_then(|v| v.to_str().ok())
            {
                logged.uid = u.to_string();
            }
            Box::pin(super::swift_auth::answer(app, &parts.headers, rid)).await
        }
    }
}

/// A path that is not UTF-8 once decoded. S3 names must be (radosgw's
/// `validate_object_name`): the object's name gets `InvalidObjectName`, a bucket's
/// `InvalidBucketName`. Refused before anything is looked up.
fn undecodable_path(
    app: &App,
    parts: &Parts,
    e: Error,
    rid: &str,
    is_head: bool,
) -> Response<RespBody> {
    let raw = parts.uri.path();
    if route::is_admin(raw, &app.cfg.admin_entry) {
        let d = Dialect::Admin(Format::Json);
        return respond::error(app, &e, d, rid, "", is_head, None);
    }
    let (bucket, _) = route::bucket_and_key(&parts.headers, raw, &app.cfg.s3_domain);
    let (e, bucket) = match crate::query::decode_path(&bucket) {
        Ok(b) => (Error::InvalidObjectName, b),
        Err(_) => (Error::InvalidBucketName, String::new()),
    };
    respond::error(app, &e, Dialect::S3, rid, &bucket, is_head, None)
}

#[allow(clippy::too_many_arguments)]
async fn admin_request(
    app: &App,
    parts: Parts,
    query: Query,
    op: AdminOp,
    section: Option<String>,
    body: Incoming,
    rid: &str,
    logged: &mut Logged,
) -> Response<RespBody> {
    let fmt = respond::admin_format(&query, &parts.headers);
    let dialect = Dialect::Admin(fmt);
    let is_head = parts.method == Method::HEAD;
    // What the audit log says of a write, taken before the op consumes the request.
    let audit = (!is_read(&parts.method) && crate::audit::enabled())
        .then(|| admin_target(&query, section.as_deref()));
    // radosgw completes a SigV4 signature over a body only for the ops it lists, and no
    // admin op but the metadata put is one: a body with a payload hash is 501 to every other
    // (16.2, checked; later releases keep the list). From quincy on the body is checked
    // against its hash instead, also where the op ignores it, so a client that signs its
    // body is believed only when the body is the one it signed; one that declares the empty
    // body's hash (and may send nothing) is answered without waiting for a body.
    let declared = body::declares_body(&parts.headers);
    let claimed = parts
        .headers
        .get(crate::auth::sigv4::CONTENT_SHA256)
        .and_then(|v| v.to_str().ok());
    let refused_body = app.cfg.compat == Compat::Pacific
        && declared
        && op != AdminOp::MetadataPut
        && claimed.is_some_and(|h| h != crate::auth::sigv4::UNSIGNED_PAYLOAD);
    let signed_body = declared
        && crate::auth::sigv4::payload_is_hashed(&parts.headers)
        && claimed != Some(crate::auth::sigv4::EMPTY_SHA256);
    let gate = |c: &Caller| {
        authz::admin_any(c, op.cap(), op.alt_cap(app.cfg.compat))?;
        if refused_body {
            return Err(Error::NotImplemented);
        }
        Ok(())
    };
    let (body, caller) = authenticate_whole_body(
        app,
        &parts,
        &query,
        "",
        body,
        MAX_ADMIN_BODY,
        op.takes_body() || signed_body,
        true,
        gate,
    )
    .await;
    if let Some(u) = &caller.user {
        u.uid.write_into(&mut logged.uid);
    }
    let body_len = body.as_ref().map_or(0, |b| b.len() as u64);
    let res = async {
        // A body is only handed over once `gate` has let the caller through.
        let body = body?;
        // Rate limits: charged after authentication, before the op runs.
        let charge = app
            .ratelimit
            .admit(caller.user.as_deref(), None, is_read(&parts.method))?;
        let body = if op.takes_body() { body } else { Bytes::new() };
        let req = ops::Request::parse(op, &query, section, body, app.cfg.compat);
        let reply = ops::run(app, &caller, req).await;
        Ok((charge, reply))
    }
    .await;
    let resp = match res {
        Err(Error::AccessDenied)
            if authz::admin_any(&caller, op.cap(), op.alt_cap(app.cfg.compat)).is_err() =>
        {
            // Which cap was missing: said from quincy on (radosgw 16 leaves Message empty)
            // and always in the log line.
            let (ty, perm) = op.cap();
            logged.required_caps = format!("{ty}={}", crate::caps::perm_str(perm));
            let message = if app.cfg.compat == Compat::Pacific {
                String::new()
            } else {
                format!("requires caps {}", logged.required_caps)
            };
            let e = Error::AccessDenied;
            respond::error_saying(app, &e, &message, dialect, rid, "", is_head, None)
        }
        Err(e) => respond::error(app, &e, dialect, rid, "", is_head, None),
        Ok((charge, reply)) => {
            let resp = match reply {
                Ok(r) => respond::admin(app, r, fmt, op, rid),
                Err(e) => respond::error(app, &e, dialect, rid, "", is_head, None),
            };
            app.ratelimit
                .settle(charge, body_len, body::answer_length(&resp));
            resp
        }
    };
    if let Some(target) = audit {
        let target: Vec<(&str, &str)> = target.iter().map(|(k, v)| (*k, v.as_str())).collect();
        audit_line(rid, &caller, op.name(), &target, resp.status());
    }
    resp
}

/// What an admin request names, for the audit log.
fn admin_target(query: &Query, section: Option<&str>) -> Vec<(&'static str, String)> {
    let mut t: Vec<(&'static str, String)> = section
        .map(|s| ("section", s.to_string()))
        .into_iter()
        .collect();
    for name in [
        "uid",
        "tenant",
        "subuser",
        "bucket",
        "object",
        "access-key",
        "key",
    ] {
        if let Some(v) = query.get(name) {
            t.push((name, v.to_string()));
        }
    }
    t
}

/// One audit line: who (uid and access key id, never a secret) did what, to what, and how
/// it ended.
fn audit_line(rid: &str, caller: &Caller, op: &str, target: &[(&str, &str)], status: StatusCode) {
    let uid = caller.user.as_ref().map(|u| u.uid.to_string());
    crate::audit::record(&crate::audit::Entry {
        request_id: rid,
        uid: uid.as_deref().unwrap_or(""),
        access_key: caller.access_key.as_deref().unwrap_or(""),
        op,
        target,
        status: status.as_u16(),
    });
}

/// Reads are GET and HEAD; everything else writes.
fn is_read(m: &Method) -> bool {
    m == Method::GET || m == Method::HEAD
}

#[allow(clippy::too_many_arguments)]
async fn s3_request(
    app: &App,
    parts: Parts,
    query: Query,
    target: S3Target,
    incoming: Incoming,
    peer: s3::Peer,
    rid: &str,
    logged: &mut Logged,
) -> Response<RespBody> {
    let is_head = parts.method == Method::HEAD;
    let op = target.op;
    let streaming = op.streams_body();
    let mut received = None;
    // Uploads stream through the verifier once the headers are authenticated; other bodies
    // are read whole (bounded), also only once the headers are.
    let vhost_bucket = route::vhost_bucket(&parts.headers, &app.cfg.s3_domain).unwrap_or("");
    let (verified, caller, full, incoming) = if op == S3Op::Options {
        // A preflight is the browser's, before any request of the page's: it carries no
        // credentials, only a presigned URL's parameters signed for another method. radosgw
        // answers it on the bucket's CORS rules alone, whatever those parameters say.
        body::discard(
            &parts.headers,
            incoming,
            MAX_S3_BODY,
            app.cfg.body_timeout(),
        );
        (
            Ok(Payload::Unchecked),
            Caller::anonymous(),
            Bytes::new(),
            None,
        )
    } else if streaming {
        let (verified, caller, read, incoming) =
            authenticate_upload(app, &parts, &query, vhost_bucket, incoming, MAX_S3_BODY).await;
        (verified, caller, read.unwrap_or_default(), incoming)
    } else {
        // Without a key, whether the op may run is known before the body is read.
        let anonymous = if op.takes_body() && is_anonymous(app, &parts.headers, &query) {
            Some(s3::anonymous_may_send_body(app, &target.bucket, &target.key, op).await)
        } else {
            None
        };
        let (body, caller) = authenticate_whole_body(
            app,
            &parts,
            &query,
            vhost_bucket,
            incoming,
            MAX_S3_BODY,
            op.takes_body(),
            // A completion's checksum header names the object's (its parts' composite).
            op != S3Op::CompleteUpload,
            |c: &Caller| match anonymous {
                Some(res) if c.user.is_none() => res,
                _ => Ok(()),
            },
        )
        .await;
        match body {
            Ok(b) => (Ok(Payload::Unchecked), caller, b, None),
            Err(e) => (Err(e), caller, Bytes::new(), None),
        }
    };
    if let Some(u) = &caller.user {
        u.uid.write_into(&mut logged.uid);
    }
    let authed = verified.is_ok();
    let full_len = full.len() as u64;
    let mut req = S3Request {
        op,
        bucket: target.bucket,
        key: target.key,
        query,
        headers: parts.headers,
        caller,
        target: None,
        request_id: rid.to_string(),
        peer,
    };
    let mut incoming = incoming;
    let res: Result<(Option<_>, s3::Reply)> = async {
        let payload = verified?;
        if !req.bucket.is_empty() {
            if req.key.len() > s3::object::MAX_KEY_LEN {
                return Err(Error::InvalidObjectName);
            }
            let key = match op {
                S3Op::Options => preflight_bucket_key(app, &req).await,
                _ => req.bucket_key(),
            };
            req.target = app.buckets.get(&key).await?;
        }
        let limit = req.target.as_ref().map(|b| (b.key(), b.ratelimit));
        let charge = app.ratelimit.admit(
            req.caller.user.as_deref(),
            limit.as_ref().map(|(k, l)| (k.as_str(), l)),
            op.is_read(),
        )?;
        let body = match incoming.take() {
            Some(incoming) => {
                let v = Verified::new(
                    incoming,
                    BodyVerifier::for_upload(payload, &req.headers)?,
                    app.cfg.body_timeout(),
                );
                received = Some(v.received.clone());
                s3::Body::Stream(Box::new(v))
            }
            None => s3::Body::Full(full),
        };
        let reply = s3::run(app, &req, body).await?;
        Ok((charge, reply))
    }
    .await;
    // An upload refused before its body was taken.
    if let Some(incoming) = incoming {
        body::discard(&req.headers, incoming, MAX_S3_BODY, app.cfg.body_timeout());
    }
    let bytes_received = received.map_or(full_len, |r| r.load(Ordering::Relaxed));
    let (mut resp, wire_extra) = match res {
        Ok((charge, reply)) => {
            let extra = reply.wire_extra;
            let mut resp = respond::s3(reply, rid);
            if req
                .target
                .as_ref()
                .is_some_and(|b| s3::request_payment::pays(b, &req.caller))
            {
                let v = hyper::header::HeaderValue::from_static("requester");
                resp.headers_mut().insert("x-amz-request-charged", v);
            }
            let sent = if is_head {
                0
            } else {
                body::answer_length(&resp)
            };
            app.ratelimit.settle(charge, bytes_received, sent);
            (resp, extra)
        }
        Err(e) => {
            // As for routing errors: a request whose credentials did not verify is refused
            // before radosgw names its bucket. A suspended user (known, refused after) and
            // an anonymous request (refused by the bucket's permissions) get `BucketName`.
            let unverified = !authed
                && req.caller.user.is_none()
                && !is_anonymous(app, &req.headers, &req.query);
            let bucket = if unverified { "" } else { req.bucket.as_str() };
            (
                respond::error(app, &e, Dialect::S3, rid, bucket, is_head, None),
                0,
            )
        }
    };
    // A request with `Origin` gets its bucket's CORS headers, error or not (a preflight's
    // are its answer). radosgw counts a request as signed by its Authorization header.
    if op != S3Op::Options {
        let signed = req.headers.contains_key(hyper::header::AUTHORIZATION);
        for (k, v) in s3::cors::answer_headers(&req, parts.method.as_str(), signed) {
            resp.headers_mut().append(k, v);
        }
    }
    // Suspended callers are known (and counted) though they fail authentication.
    if authed || req.caller.user.is_some() {
        let sent = if is_head {
            0
        } else {
            body::answer_length(&resp) + wire_extra
        };
        // radosgw 16.2.15 counts object data only (PutObject, UploadPart, a form upload's
        // file): XML and JSON bodies read whole (ACLs, tagging, CORS, lifecycle, policy,
        // DeleteObjects, CompleteMultipartUpload) add nothing to `bytes_received` (probed).
        let received = if streaming { bytes_received } else { 0 };
        account(app, &req, resp.status(), sent, received);
    }
    // Changes of who may do what: bucket creation and removal, ACLs.
    if matches!(
        op,
        S3Op::CreateBucket | S3Op::DeleteBucket | S3Op::PutBucketAcl | S3Op::PutObjectAcl
    ) && crate::audit::enabled()
    {
        let mut target = vec![("bucket", req.bucket.as_str())];
        if !req.key.is_empty() {
            target.push(("object", req.key.as_str()));
        }
        audit_line(rid, &req.caller, op.name(), &target, resp.status());
    }
    resp
}

/// The bucket a preflight asks about. It is answered unauthenticated, but a presigned URL
/// (or a signed request) of a tenant's user names that user's key, whose tenant is the
/// bucket's: the key is only looked up, not believed (a preflight reads nothing but the
/// bucket's CORS rules, which any browser may ask for, as `tenant:bucket` could too).
async fn preflight_bucket_key(app: &App, req: &S3Request) -> String {
    let tenant = match super::authn::owner_claimed_by(app, &req.headers, &req.query).await {
        Some(owner) => owner.user.uid.tenant.clone(),
        None => String::new(),
    };
    crate::domain::buckets::named(&tenant, &req.bucket)
}

/// Count one finished S3 request as radosgw's `log_usage` does: under the bucket's owner
/// (the caller for bucket creation and for requests without a bucket, `anonymous` when
/// unsigned), bucket `-` when the answer is 404. Requests that named a bucket that does not
/// exist have no owner and are not counted.
fn account(app: &App, req: &S3Request, status: StatusCode, sent: u64, received: u64) {
    if !app.usage.enabled() {
        return;
    }
    let owner = if req.bucket.is_empty() || req.op == S3Op::CreateBucket {
        // An anonymous CreateBucket names a bucket that does not exist (yet): nobody owns
        // it, and a row under `anonymous` would let anyone grow the usage log at will.
        if req.op == S3Op::CreateBucket && req.caller.user.is_none() {
            return;
        }
        req.caller.uid()
    } else {
        match &req.target {
            Some(b) => b.owner.clone(),
            None => return,
        }
    };
    let status = status.as_u16();
    let bucket = if status == 404 {
        "-"
    } else {
        req.bucket.as_str()
    };
    let payer = match &req.target {
        Some(b) if b.requester_pays && req.op != S3Op::CreateBucket => Some(req.caller.uid()),
        _ => None,
    };
    app.usage.record(usage::Request {
        owner: &owner,
        payer: payer.as_deref(),
        bucket,
        category: req.op.name(),
        bytes_sent: sent,
        bytes_received: received,
        status,
    });
}
