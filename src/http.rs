//! The HTTP front: accept loop, graceful shutdown, and the request pipeline
//! parse → route → authenticate → suspended? → caps → op → encode, with one log line and an
//! `x-amz-request-id` on every response.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::app::App;
use crate::auth::{self, AuthRequest, Identity};
use crate::encode::{Doc, Format, ObjBuilder};
use crate::error::Error;
use crate::model::User;
use crate::ops::{self, Reply};
use crate::query::Query;
use crate::router::{self, Op};

/// Largest request body read into memory (admin bodies are at most a few KiB).
pub const MAX_BODY: usize = 1 << 20;

/// Every response body: a buffer, or object data streamed from disk.
pub type RespBody = BoxBody<Bytes, std::io::Error>;

/// Read a whole request body of at most `limit` bytes: `EntityTooLarge` past it,
/// `IncompleteBody` if the client stops early, `RequestTimeout` if it stalls (a client that
/// declares a length and sends nothing must not hold a connection forever).
pub async fn read_body(
    body: Incoming,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<Bytes, Error> {
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(Error::RequestTimeout),
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Error::EntityTooLarge)
        }
        Ok(Err(_)) => Err(Error::IncompleteBody),
    }
}

pub fn full(b: Bytes) -> RespBody {
    Full::new(b).map_err(|never| match never {}).boxed()
}

/// Stream `len` bytes starting at `start` of the concatenation of `files` (each with its
/// size), read on the blocking pool a chunk at a time, so memory stays bounded whatever the
/// object size.
pub fn file_body(files: Vec<(std::path::PathBuf, u64)>, start: u64, len: u64) -> RespBody {
    use std::io::{Read, Seek, SeekFrom};
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    tokio::task::spawn_blocking(move || {
        let mut skip = start;
        let mut left = len;
        for (path, size) in files {
            if left == 0 {
                break;
            }
            if skip >= size {
                skip -= size;
                continue;
            }
            let mut f = match std::fs::File::open(&path) {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            };
            if skip > 0 {
                if let Err(e) = f.seek(SeekFrom::Start(skip)) {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
            let mut in_file = size - skip;
            skip = 0;
            while left > 0 && in_file > 0 {
                let n = left.min(in_file).min(256 * 1024) as usize;
                let mut buf = vec![0u8; n];
                if let Err(e) = f.read_exact(&mut buf) {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
                left -= n as u64;
                in_file -= n as u64;
                if tx.blocking_send(Ok(Bytes::from(buf))).is_err() {
                    return; // client went away
                }
            }
        }
    });
    ChannelBody { rx }.boxed()
}

struct ChannelBody {
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
}

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|o| o.map(|r| r.map(hyper::body::Frame::data)))
    }
}

/// Everything an op may read about its request, parsed once.
pub struct Ctx {
    pub method: Method,
    pub raw_path: String,
    pub query: Query,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub format: Format,
    pub op: Op,
    pub section: Option<String>,
    /// The authenticated caller (None for anonymous).
    pub caller: Option<Arc<User>>,
    /// Made by the local CLI, which wants documents to print indented, not bytes.
    pub local: bool,
    pub request_id: String,
}

impl Ctx {
    /// A request made by the local CLI: no signature, a system caller, the given
    /// parameters; the ops cannot tell it from an HTTP request with the same query.
    pub fn internal(
        op: Op,
        section: Option<String>,
        params: &[(&str, String)],
        body: Bytes,
    ) -> Ctx {
        let mut caller = User::new(crate::model::UserId::parse("rgw-admin-cli"), String::new());
        caller.system = true;
        Ctx {
            method: Method::GET,
            raw_path: String::new(),
            query: Query {
                params: params
                    .iter()
                    .map(|(k, v)| crate::query::Param {
                        raw_name: k.to_string(),
                        raw_value: Some(v.clone()),
                        name: k.to_string(),
                        value: v.clone(),
                    })
                    .collect(),
            },
            headers: HeaderMap::new(),
            body,
            format: Format::Json,
            op,
            section,
            caller: Some(Arc::new(caller)),
            local: true,
            request_id: String::new(),
        }
    }

    /// Does the caller hold the admin or system flag (which bypass cap checks)?
    pub fn caller_is_admin(&self) -> bool {
        self.caller.as_ref().is_some_and(|u| u.admin || u.system)
    }
}

/// Run the gateway until `shutdown` resolves; then stop accepting, let in-flight requests
/// finish (up to `grace`), and return.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()>,
    grace: std::time::Duration,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            res = listener.accept() => {
                let (stream, peer) = match res {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let app = app.clone();
                let svc = hyper::service::service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(handle(app, req, peer).await) }
                });
                let conn = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc);
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    let _ = conn.await;
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!("in-flight requests still running after {grace:?}; closing anyway");
        }
    }
}

static REQ_SEQ: AtomicU64 = AtomicU64::new(1);

fn request_id(app: &App) -> String {
    let n = REQ_SEQ.fetch_add(1, Ordering::Relaxed);
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("tx{n:021x}-{t:010x}-{}-{}", app.instance_id, app.zone)
}

async fn handle(app: Arc<App>, req: Request<Incoming>, _peer: SocketAddr) -> Response<RespBody> {
    let start = Instant::now();
    let rid = request_id(&app);
    // Swift v1 auth before S3: `/auth/1.0` would otherwise name a bucket `auth`.
    if crate::swift::is_auth_request(req.method(), req.uri().path()) {
        return crate::swift::handle(&app, req.method(), req.headers(), &rid, start);
    }
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().unwrap_or("").to_string();
    let method = parts.method.clone();
    let mut log_op = "-";
    let mut log_uid = String::from("-");

    let resp = match prepare(&app, &parts.method, &raw_path, &raw_query, &parts.headers) {
        Err((e, fmt)) => error_response(&app, &e, fmt, &rid, parts.method == Method::HEAD),
        Ok((path, query, route, _)) if route.op == Op::S3 => {
            let (resp, logged) = crate::s3::handle(&app, parts, path, query, body, &rid).await;
            log_op = logged.op;
            log_uid = logged.uid;
            resp
        }
        Ok((_, query, route, fmt)) => {
            log_op = route.op.name();
            let body = read_body(body, MAX_BODY, app.cfg.body_timeout()).await;
            match body {
                Err(e) => error_response(&app, &e, fmt, &rid, method == Method::HEAD),
                Ok(body) => {
                    let mut ctx = Ctx {
                        method: parts.method,
                        raw_path,
                        query,
                        headers: parts.headers,
                        body,
                        format: fmt,
                        op: route.op,
                        section: route.section,
                        caller: None,
                        local: false,
                        request_id: rid.clone(),
                    };
                    let res = authorize(&app, &mut ctx);
                    if let Some(u) = &ctx.caller {
                        log_uid = u.uid.to_string();
                    }
                    // Rate limits: charged after authentication, before the op runs.
                    let read = crate::ratelimit::is_read(&ctx.method);
                    let mut charge = None;
                    let res = match res
                        .and_then(|()| app.ratelimit.admit(ctx.caller.as_deref(), None, read))
                    {
                        Ok(c) => {
                            charge = c;
                            ops::dispatch(&app, &ctx).await
                        }
                        Err(e) => Err(e),
                    };
                    let resp = match res {
                        Ok(reply) => success_response(&app, reply, &ctx, &rid),
                        Err(e) => error_response(&app, &e, fmt, &rid, ctx.method == Method::HEAD),
                    };
                    let sent = crate::ratelimit::content_length(resp.headers());
                    app.ratelimit.settle(charge, ctx.body.len() as u64, sent);
                    resp
                }
            }
        }
    };
    tracing::info!(
        target: "rgw_admin::request",
        req = %rid,
        method = %method,
        op = log_op,
        uid = %log_uid,
        status = resp.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
    );
    resp
}

/// The decoded path, the query, the route and the response format.
type Prepared = (String, Query, router::Route, Format);

/// Parse and route: everything radosgw does before it looks at credentials.
fn prepare(
    app: &App,
    method: &Method,
    raw_path: &str,
    raw_query: &str,
    headers: &HeaderMap,
) -> Result<Prepared, (Error, Format)> {
    let path = crate::query::decode_path(raw_path).map_err(|e| (e, Format::Json))?;
    let is_admin = router::is_admin(&path, &app.cfg.admin_entry);
    let fmt_default = if is_admin { Format::Json } else { Format::Xml };
    let query = Query::parse(raw_query).map_err(|e| (e, fmt_default))?;
    let fmt = if is_admin {
        select_format(&query, headers)
    } else {
        Format::Xml
    };
    // 405 before the handler exists: radosgw always answers it in JSON.
    let route = router::route(method, &path, &query, &app.cfg.admin_entry, app.cfg.compat)
        .map_err(|e| (e, Format::Json))?;
    Ok((path, query, route, fmt))
}

/// `format=` first, then `Accept`, else JSON (`allocate_formatter`).
fn select_format(q: &Query, headers: &HeaderMap) -> Format {
    match q.get("format") {
        Some("xml") => return Format::Xml,
        Some("json") => return Format::Json,
        _ => {}
    }
    let accept = headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let accept = accept.split(';').next().unwrap_or("").trim();
    match accept {
        "application/xml" | "text/xml" => Format::Xml,
        _ => Format::Json,
    }
}

/// Authenticate, refuse suspended users, and check the op's cap.
fn authorize(app: &App, ctx: &mut Ctx) -> Result<(), Error> {
    let lookup = app.users.as_ref();
    let ident = auth::authenticate(
        &AuthRequest {
            method: ctx.method.as_str(),
            raw_path: &ctx.raw_path,
            query: &ctx.query,
            headers: &ctx.headers,
            body: &ctx.body,
            now: SystemTime::now(),
            compat: app.cfg.compat,
        },
        lookup,
    )?;
    if let Identity::Key(ak) = ident {
        let user = app
            .users
            .by_access_key(&ak)
            .ok_or(Error::InvalidAccessKeyId)?;
        if user.suspended {
            return Err(Error::UserSuspended);
        }
        ctx.caller = Some(user);
    }
    if let Some((ty, need)) = ctx.op.cap() {
        let ok = match &ctx.caller {
            None => false,
            Some(u) => u.admin || u.system || crate::caps::allows(&u.caps, ty, need),
        };
        if !ok {
            return Err(Error::AccessDenied);
        }
    }
    Ok(())
}

impl crate::auth::SecretLookup for crate::users::Users {
    fn secret(&self, access_key: &str) -> Option<Arc<str>> {
        crate::users::Users::secret(self, access_key)
    }
}

fn base(rid: &str) -> hyper::http::response::Builder {
    Response::builder().header("x-amz-request-id", rid)
}

fn success_response(app: &App, reply: Reply, ctx: &Ctx, rid: &str) -> Response<RespBody> {
    let style = app.style();
    let built = match reply {
        Reply::Doc(doc) => {
            let body = render_doc(&doc, ctx.format, ctx.op.buffered(), style);
            with_type(base(rid), ctx)
                .header(CONTENT_LENGTH, body.len())
                .body(full(Bytes::from(body)))
        }
        Reply::Rendered(body) => with_type(base(rid), ctx)
            .header(CONTENT_LENGTH, body.len())
            .body(full(body)),
        Reply::Empty => base(rid).header(CONTENT_LENGTH, 0).body(full(Bytes::new())),
        Reply::Raw {
            status,
            headers,
            body,
        } => {
            let mut b = base(rid).status(status);
            for (k, v) in headers {
                b = b.header(k, v);
            }
            b.header(CONTENT_LENGTH, body.len()).body(full(body))
        }
    };
    built.unwrap_or_else(|_| internal_error())
}

/// A document in the request's format, as radosgw writes it.
pub fn render_doc(doc: &Doc, fmt: Format, buffered: bool, style: crate::encode::Style) -> String {
    match fmt {
        Format::Json => crate::encode::json::render(&doc.node, style),
        Format::Xml => {
            let mut s = crate::encode::xml::render(doc, style);
            if buffered {
                // These ops fill the formatter before the prologue would be written.
                s.drain(..crate::encode::xml::PROLOGUE.len());
            }
            s
        }
    }
}

/// radosgw sends no Content-Type on streamed JSON successes, `application/json` on buffered
/// ones, and `application/xml` on XML.
fn with_type(b: hyper::http::response::Builder, ctx: &Ctx) -> hyper::http::response::Builder {
    match (ctx.format, ctx.op.buffered()) {
        (Format::Json, false) => b,
        (Format::Json, true) => b.header(CONTENT_TYPE, "application/json"),
        (Format::Xml, _) => b.header(CONTENT_TYPE, "application/xml"),
    }
}

fn internal_error() -> Response<RespBody> {
    let mut r = Response::new(full(Bytes::new()));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// radosgw's error document: Code, Message (always, empty), RequestId, HostId.
pub fn error_response(
    app: &App,
    e: &Error,
    fmt: Format,
    rid: &str,
    is_head: bool,
) -> Response<RespBody> {
    if let Error::Unknown(cause) = e {
        tracing::error!(req = %rid, cause = %cause, "internal failure");
    }
    let doc = Doc::new(
        "Error",
        ObjBuilder::new()
            .str("Code", e.code())
            .str("Message", "")
            .str("RequestId", rid)
            .str("HostId", app.host_id.as_str())
            .build(),
    );
    let (ctype, body) = match fmt {
        Format::Json => (
            "application/json",
            crate::encode::json::render(&doc.node, app.style()),
        ),
        Format::Xml => (
            "application/xml",
            crate::encode::xml::render(&doc, app.style()),
        ),
    };
    let body = if is_head { String::new() } else { body };
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    Response::builder()
        .status(status)
        .header(CONTENT_LENGTH, body.len())
        .header("x-amz-request-id", rid)
        .header("Accept-Ranges", "bytes")
        .header(CONTENT_TYPE, ctype)
        .body(full(Bytes::from(body)))
        .unwrap_or_else(|_| internal_error())
}
