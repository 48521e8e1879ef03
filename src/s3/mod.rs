//! The S3 subset: path-style and virtual-host-style requests on non-admin paths, signed as
//! admin requests are, with S3's XML errors. Upload bodies stream to disk through the
//! payload verifier; they are never held whole in memory.

use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Response, StatusCode};

use crate::app::App;
use crate::auth::{self, AuthRequest, Identity, Payload};
use crate::buckets::Bucket;
use crate::error::{Error, Result};
use crate::http::{full, RespBody};
use crate::model::User;
use crate::query::Query;

pub mod bucket;
pub mod multipart;
pub mod object;
pub mod xml;

/// Largest non-upload body read into memory (DeleteObjects, CompleteMultipartUpload).
const MAX_XML_BODY: usize = 4 << 20;

/// A request on the S3 API, parsed once.
pub struct S3Req {
    pub method: Method,
    pub raw_path: String,
    pub query: Query,
    pub headers: HeaderMap,
    /// Empty for service-level requests.
    pub bucket: String,
    /// Empty for bucket-level requests.
    pub key: String,
    pub caller: Option<Arc<User>>,
    pub request_id: String,
}

impl S3Req {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The caller's uid, or `anonymous`.
    pub fn uid(&self) -> String {
        self.caller
            .as_ref()
            .map(|u| u.uid.to_string())
            .unwrap_or_else(|| "anonymous".to_string())
    }

    pub fn caller_is_admin(&self) -> bool {
        self.caller.as_ref().is_some_and(|u| u.admin || u.system)
    }
}

/// The body of an S3 request: still streaming (uploads) or read whole (everything else).
pub enum Body {
    Stream(Incoming, Payload),
    Full(Bytes),
}

/// Which S3 operation a request is, decided before authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum S3Op {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    ListObjects,
    ListUploads,
    DeleteObjects,
    GetBucketAcl,
    GetBucketLocation,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateUpload,
    UploadPart,
    CompleteUpload,
    AbortUpload,
    ListParts,
    GetObjectAcl,
}

impl S3Op {
    pub fn name(self) -> &'static str {
        use S3Op::*;
        match self {
            ListBuckets => "list_buckets",
            CreateBucket => "create_bucket",
            HeadBucket => "stat_bucket",
            DeleteBucket => "delete_bucket",
            ListObjects => "list_bucket",
            ListUploads => "list_bucket_multiparts",
            DeleteObjects => "multi_object_delete",
            GetBucketAcl => "get_acls",
            GetBucketLocation => "get_bucket_location",
            PutObject => "put_obj",
            CopyObject => "copy_obj",
            GetObject => "get_obj",
            HeadObject => "get_obj",
            DeleteObject => "delete_obj",
            CreateUpload => "init_multipart",
            UploadPart => "put_obj",
            CompleteUpload => "complete_multipart",
            AbortUpload => "abort_multipart",
            ListParts => "list_multipart",
            GetObjectAcl => "get_acls",
        }
    }

    /// Ops whose body is object data, verified while it streams.
    fn streams_body(self) -> bool {
        matches!(self, S3Op::PutObject | S3Op::UploadPart)
    }
}

fn classify(method: &Method, bucket: &str, key: &str, q: &Query, h: &HeaderMap) -> Result<S3Op> {
    use S3Op::*;
    let m = method.as_str();
    Ok(match (bucket.is_empty(), key.is_empty(), m) {
        (true, _, "GET") => ListBuckets,
        (true, _, _) => return Err(Error::MethodNotAllowed),
        (false, true, "PUT") => CreateBucket,
        (false, true, "HEAD") => HeadBucket,
        (false, true, "DELETE") => DeleteBucket,
        (false, true, "GET") if q.has("uploads") => ListUploads,
        (false, true, "GET") if q.has("acl") => GetBucketAcl,
        (false, true, "GET") if q.has("location") => GetBucketLocation,
        (false, true, "GET") => ListObjects,
        (false, true, "POST") if q.has("delete") => DeleteObjects,
        (false, false, "PUT") if q.has("uploadId") || q.has("partNumber") => UploadPart,
        (false, false, "PUT") if h.contains_key("x-amz-copy-source") => CopyObject,
        (false, false, "PUT") => PutObject,
        (false, false, "POST") if q.has("uploads") => CreateUpload,
        (false, false, "POST") if q.has("uploadId") => CompleteUpload,
        (false, false, "DELETE") if q.has("uploadId") => AbortUpload,
        (false, false, "DELETE") => DeleteObject,
        (false, false, "GET") if q.has("uploadId") => ListParts,
        (false, false, "GET") if q.has("acl") => GetObjectAcl,
        (false, false, "GET") => GetObject,
        (false, false, "HEAD") => HeadObject,
        _ => return Err(Error::MethodNotAllowed),
    })
}

/// Bucket and key of a request: virtual-host style when the Host is `<bucket>.<domain>`
/// for the configured domain, else path style.
fn bucket_and_key(app: &App, headers: &HeaderMap, path: &str) -> (String, String) {
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    let domain = app.cfg.s3_domain.as_str();
    let p = path.strip_prefix('/').unwrap_or(path);
    if !domain.is_empty() {
        if let Some(b) = host.strip_suffix(domain).and_then(|h| h.strip_suffix('.')) {
            if !b.is_empty() {
                return (b.to_string(), p.to_string());
            }
        }
    }
    match p.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (p.to_string(), String::new()),
    }
}

/// Bytes radosgw 16 would have put on the wire beyond the body (the chunked framing of
/// its streamed listings), which its usage log counts; set only at the pacific level and
/// never sent.
#[derive(Debug, Clone, Copy)]
pub struct WireExtra(pub u64);

/// Outcome for the request log: op name and caller.
pub struct Logged {
    pub op: &'static str,
    pub uid: String,
}

pub async fn handle(
    app: &App,
    parts: Parts,
    path: String,
    query: Query,
    body: Incoming,
    rid: &str,
) -> (Response<RespBody>, Logged) {
    let (bucket, key) = bucket_and_key(app, &parts.headers, &path);
    let mut logged = Logged {
        op: "s3",
        uid: "-".into(),
    };
    let is_head = parts.method == Method::HEAD;
    let op = match classify(&parts.method, &bucket, &key, &query, &parts.headers) {
        Ok(op) => op,
        Err(e) => return (error(app, &e, &bucket, rid, is_head), logged),
    };
    logged.op = op.name();
    let mut req = S3Req {
        method: parts.method,
        raw_path: parts.uri.path().to_string(),
        query,
        headers: parts.headers,
        bucket,
        key,
        caller: None,
        request_id: rid.to_string(),
    };
    let mut authed = false;
    let mut bucket_owner = None;
    let res = async {
        let body = authenticate(app, &mut req, op, body).await?;
        authed = true;
        bucket_owner = load_bucket(app, &req).ok().map(|b| b.owner.clone());
        if let Some(u) = &req.caller {
            logged.uid = u.uid.to_string();
        }
        let charge = crate::ratelimit::admit_s3(app, &req)?;
        let res = dispatch(app, &req, op, body).await;
        crate::ratelimit::settle_s3(app, charge, &req, &res);
        res
    }
    .await;
    if let Some(u) = &req.caller {
        logged.uid = u.uid.to_string();
    }
    let resp = match res {
        Ok(r) => r,
        Err(e) => error(app, &e, &req.bucket, rid, is_head),
    };
    // Suspended callers are known (and counted) though they fail authentication.
    if authed || req.caller.is_some() {
        crate::usage::account_s3(app, &req, op, bucket_owner.as_deref(), &resp);
    }
    (resp, logged)
}

async fn authenticate(app: &App, req: &mut S3Req, op: S3Op, body: Incoming) -> Result<Body> {
    let now = SystemTime::now();
    let (ident, body) = if op.streams_body() {
        let (ident, payload) = auth::authenticate_streaming(
            &AuthRequest {
                method: req.method.as_str(),
                raw_path: &req.raw_path,
                query: &req.query,
                headers: &req.headers,
                body: b"",
                now,
                compat: app.cfg.compat,
            },
            app.users.as_ref(),
        )?;
        (ident, Body::Stream(body, payload))
    } else {
        let bytes = crate::http::read_body(body, MAX_XML_BODY, app.cfg.body_timeout()).await?;
        let ident = auth::authenticate(
            &AuthRequest {
                method: req.method.as_str(),
                raw_path: &req.raw_path,
                query: &req.query,
                headers: &req.headers,
                body: &bytes,
                now,
                compat: app.cfg.compat,
            },
            app.users.as_ref(),
        )?;
        (ident, Body::Full(bytes))
    };
    if let Identity::Key(ak) = ident {
        let user = app
            .users
            .by_access_key(&ak)
            .ok_or(Error::InvalidAccessKeyId)?;
        let suspended = user.suspended;
        req.caller = Some(user);
        if suspended {
            return Err(Error::UserSuspended);
        }
    }
    Ok(body)
}

async fn dispatch(app: &App, req: &S3Req, op: S3Op, body: Body) -> Result<Response<RespBody>> {
    use S3Op::*;
    match op {
        ListBuckets => bucket::list_buckets(app, req),
        CreateBucket => bucket::create(app, req).await,
        HeadBucket => bucket::head(app, req),
        DeleteBucket => bucket::delete(app, req).await,
        ListObjects => bucket::list_objects(app, req).await,
        GetBucketLocation => bucket::location(app, req),
        GetBucketAcl => bucket::acl(app, req),
        DeleteObjects => object::delete_many(app, req, body).await,
        PutObject => object::put(app, req, body).await,
        CopyObject => object::copy(app, req).await,
        GetObject => object::get(app, req, false).await,
        HeadObject => object::get(app, req, true).await,
        DeleteObject => object::delete(app, req).await,
        GetObjectAcl => object::acl(app, req).await,
        ListUploads => multipart::list_uploads(app, req).await,
        CreateUpload => multipart::create(app, req).await,
        UploadPart => multipart::upload_part(app, req, body).await,
        CompleteUpload => multipart::complete(app, req, body).await,
        AbortUpload => multipart::abort(app, req).await,
        ListParts => multipart::list_parts(app, req).await,
    }
}

/// The bucket a request names, or `NoSuchBucket`.
pub fn load_bucket(app: &App, req: &S3Req) -> Result<Arc<Bucket>> {
    let tenant = req
        .caller
        .as_ref()
        .map(|u| u.uid.tenant.clone())
        .unwrap_or_default();
    app.buckets
        .get(&crate::buckets::bkey(&tenant, &req.bucket))
        .ok_or(Error::NoSuchBucket)
}

/// May the caller read (`write == false`) or write this bucket? The owner, admins, and
/// anyone the canned ACL lets in.
pub fn check_access(req: &S3Req, b: &Bucket, write: bool) -> Result<()> {
    if req.caller_is_admin() {
        return Ok(());
    }
    if let Some(u) = &req.caller {
        if u.uid.to_string() == b.owner {
            return Ok(());
        }
    }
    let open = match b.acl.as_str() {
        "public-read-write" => true,
        "public-read" => !write,
        "authenticated-read" => !write && req.caller.is_some(),
        _ => false,
    };
    if open {
        Ok(())
    } else {
        Err(Error::AccessDenied)
    }
}

/// S3's error document, with `BucketName` when the request named a bucket.
pub fn error(app: &App, e: &Error, bucket: &str, rid: &str, is_head: bool) -> Response<RespBody> {
    if let Error::Unknown(cause) = e {
        tracing::error!(req = %rid, cause = %cause, "internal failure");
    }
    let mut x = xml::Xml::new();
    x.open("Error");
    x.elem("Code", e.code());
    x.elem("Message", "");
    if !bucket.is_empty() {
        x.elem("BucketName", bucket);
    }
    x.elem("RequestId", rid);
    x.elem("HostId", &app.host_id);
    x.close("Error");
    let body = if is_head { String::new() } else { x.finish() };
    Response::builder()
        .status(StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header(CONTENT_LENGTH, body.len())
        .header("x-amz-request-id", rid)
        .header("Accept-Ranges", "bytes")
        .header(CONTENT_TYPE, "application/xml")
        .body(full(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

/// A response builder with the request id set.
pub fn ok(req: &S3Req, status: StatusCode) -> hyper::http::response::Builder {
    Response::builder()
        .status(status)
        .header("x-amz-request-id", req.request_id.as_str())
}

/// 200 with an XML document.
pub fn xml_response(req: &S3Req, doc: String) -> Result<Response<RespBody>> {
    ok(req, StatusCode::OK)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/xml"))
        .header(CONTENT_LENGTH, doc.len())
        .body(full(Bytes::from(doc)))
        .map_err(|e| Error::Unknown(e.to_string()))
}

/// An empty response with the given status.
pub fn empty(req: &S3Req, status: StatusCode) -> Result<Response<RespBody>> {
    let mut b = ok(req, status);
    if status != StatusCode::NO_CONTENT {
        b = b.header(CONTENT_LENGTH, 0);
    }
    b.body(full(Bytes::new()))
        .map_err(|e| Error::Unknown(e.to_string()))
}

/// `2026-11-23T08:56:24.344Z`, S3's timestamp form.
pub fn iso_ms(us: i64) -> String {
    let s = crate::clock::utime(us);
    // utime is `...SS.uuuuuuZ`: keep milliseconds.
    format!("{}Z", &s[..s.len() - 4])
}
