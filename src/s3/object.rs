//! Object-level S3 operations: PUT (streamed, verified, atomic), GET/HEAD (ranges,
//! conditions), DELETE, multi-delete, copy.

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED};
use http::{HeaderMap, StatusCode};

use super::{acl, iso_ms, tagging, Body, Reply, ReplyBody, S3Op, S3Request, VERSION_ID};
use crate::authz::{self, OpKind};
use crate::config::Compat;
use crate::domain::acl::{perm, Acl, Canned};
use crate::domain::blobs::{Received, SMALL};
use crate::domain::buckets::Bucket;
use crate::domain::objects::{Guard, ObjectMeta};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

mod copy;
mod upload_headers;
#[cfg(test)]
use copy::parse_copy_source;
pub use copy::{copy, copy_source, load_source};
pub use upload_headers::{
    check_storage_class, content_md5, content_md5_header, header_bytes, refuse_encryption,
    stored_headers, MAX_KEY_LEN, MAX_STANDARD_HEADERS, MAX_USER_METADATA,
};

/// `response-*` parameters of a GET or HEAD and the stored header each one replaces
/// (radosgw's `resp_attr_params` but `response-content-type`), in the order radosgw
/// writes those headers.
const RESPONSE_OVERRIDES: &[(&str, &str)] = &[
    ("response-cache-control", "cache-control"),
    ("response-content-disposition", "content-disposition"),
    ("response-content-encoding", "content-encoding"),
    ("response-content-language", "content-language"),
    ("response-expires", "expires"),
];

/// The headers a GET's `response-*` parameters set (header, value), and its
/// `response-content-type`.
struct Overrides<'a> {
    headers: Vec<(&'static str, &'a str)>,
    content_type: Option<&'a str>,
}

/// A GET's `response-*` parameters. radosgw (like AWS) refuses them on anonymous requests
/// with `InvalidRequest`.
fn response_overrides(req: &S3Request) -> Result<Overrides<'_>> {
    let set: Vec<(&'static str, &str)> = RESPONSE_OVERRIDES
        .iter()
        .filter_map(|(param, header)| req.query.get(param).map(|v| (*header, v)))
        .collect();
    let content_type = req.query.get("response-content-type");
    if (!set.is_empty() || content_type.is_some()) && req.caller.user.is_none() {
        return Err(Error::InvalidRequest);
    }
    Ok(Overrides {
        headers: set,
        content_type,
    })
}

/// Who owns what a request uploads: the caller (its account, for an account's user), or
/// for an anonymous upload (into a public-read-write bucket) the bucket's owner, as
/// radosgw has it.
pub fn upload_owner(req: &S3Request, b: &Bucket) -> String {
    req.caller.owner_id().unwrap_or_else(|| b.owner.clone())
}

/// The ACL an upload asks for (private when it asks for none).
pub async fn upload_acl(app: &App, req: &S3Request, b: &Bucket) -> Result<Acl> {
    let owner = upload_owner(req, b);
    let acl = acl::from_request_headers(app, req, &owner, &b.owner)
        .await?
        .unwrap_or_else(|| Acl::canned(Canned::Private, &owner, &b.owner));
    super::refuse_public_acl(b, &acl)?;
    Ok(acl)
}

/// Refuse a write of one object (or part) of `size` bytes that would break a quota.
pub async fn check_quota(app: &App, b: &Bucket, size: u64) -> Result<()> {
    crate::domain::quota::check(&app.users, &app.accounts, &app.buckets, b, size).await
}

/// Receive a request body into a new data file, within quota: refused before reading a
/// declared length that cannot fit, and checked again with the real size (the data is
/// removed if that fails), as radosgw checks an upload.
pub async fn receive_within_quota(
    app: &App,
    req: &S3Request,
    b: &Bucket,
    body: Body,
    md5: Option<[u8; 16]>,
) -> Result<Received> {
    let declared = req
        .header("x-amz-decoded-content-length")
        .or_else(|| req.header("content-length"))
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared {
        check_quota(app, b, n).await?;
    }
    let got = match body {
        Body::Stream(mut src) => app.objects.blobs.receive(src.as_mut(), md5).await?,
        Body::Full(bytes) => app.objects.blobs.receive(&mut Some(bytes), md5).await?,
    };
    if let Err(e) = check_quota(app, b, got.size).await {
        app.objects.blobs.remove_all(vec![got.id]).await;
        return Err(e);
    }
    Ok(got)
}

/// Publish a received object as `key`, or delete its data if that fails. The new version's
/// id when the bucket has versioning enabled.
async fn install(app: &App, b: &Bucket, key: &str, meta: ObjectMeta) -> Result<Option<String>> {
    let ids: Vec<String> = meta.data.iter().map(|(id, _)| id.clone()).collect();
    match app
        .objects
        .install(&app.buckets, b, key, meta, Guard::default())
        .await
    {
        Ok(v) => Ok(v),
        Err(e) => {
            app.objects.blobs.remove_all(ids).await;
            Err(e)
        }
    }
}

/// What an upload stored: its ETag, the flexible checksum its body carried, and its version
/// id (versioning enabled).
pub struct Uploaded {
    pub etag: String,
    pub checksum: Option<(String, String)>,
    pub version_id: Option<String>,
}

pub async fn put(app: &App, req: &S3Request, body: Body) -> Result<Reply> {
    let Uploaded {
        etag,
        checksum,
        version_id,
    } = upload(app, req, body, None).await?;
    let mut r = Reply::empty(StatusCode::OK)
        .header(ETAG, quoted(&etag))
        .header(http::header::ACCEPT_RANGES, "bytes");
    if let Some(v) = version_id {
        r = r.header(VERSION_ID, v);
    }
    if let Some(b) = req.target.as_deref().filter(|b| b.lifecycle.is_some()) {
        let tags = req.header("x-amz-tagging").map(tagging::from_header);
        let tags = tags.transpose()?.unwrap_or_default();
        r = super::lifecycle::with_expiration(r, b, &req.key, &tags, crate::clock::now_us());
    }
    Ok(with_checksum(r, checksum.as_ref()))
}

/// An answer naming the flexible checksum an upload carried (`x-amz-checksum-<alg>`).
pub fn with_checksum(r: Reply, checksum: Option<&(String, String)>) -> Reply {
    match checksum {
        Some((alg, value)) => match http::HeaderName::from_bytes(
            format!("x-amz-checksum-{}", alg.to_ascii_lowercase()).as_bytes(),
        ) {
            Ok(name) => r.header(name, value),
            Err(_) => r,
        },
        None => r,
    }
}

/// Store `body` as `req.key` with what the request's headers ask for (ACL, metadata,
/// conditions, quota), and its tags: `tags`, or else those of `x-amz-tagging`.
pub async fn upload(
    app: &App,
    req: &S3Request,
    body: Body,
    tags: Option<Vec<(String, String)>>,
) -> Result<Uploaded> {
    let b = req.bucket()?;
    let asked = req.asked(&b, Some(&req.key), "s3:PutObject");
    authz::s3(&asked, &b.owner, &b.acl, perm::WRITE, OpKind::Write)?;
    refuse_encryption(&req.headers)?;
    check_storage_class(&req.headers)?;
    let (retention, legal_hold) = if req.op == S3Op::PutObject {
        super::object_lock::upload_lock(&req.headers, &b, crate::clock::now_us())?
    } else {
        (None, None)
    };
    let acl = upload_acl(app, req, &b).await?;
    let tags = match (tags, req.header("x-amz-tagging")) {
        (Some(t), _) => t,
        (None, Some(t)) => tagging::from_header(t)?,
        (None, None) => Vec::new(),
    };
    let headers = stored_headers(&req.headers)?;
    let md5 = content_md5(req)?;
    if req.headers.contains_key(http::header::IF_MATCH)
        || req.headers.contains_key(http::header::IF_NONE_MATCH)
    {
        let existing = app.objects.get(&b.data_key(), &req.key).await?;
        let etag = existing.as_ref().map(|o| o.etag.as_str());
        put_preconditions(&req.headers, etag, app.cfg.compat)?;
    }
    let Received {
        id,
        size,
        md5,
        checksum,
    } = receive_within_quota(app, req, &b, body, md5).await?;
    let etag = hex::encode(md5);
    let now = crate::clock::now_us();
    let retention = retention.or_else(|| super::object_lock::default_lock(&b, now));
    let meta = ObjectMeta {
        size,
        etag: etag.clone(),
        mtime_us: now,
        content_type: req
            .header("content-type")
            .unwrap_or("binary/octet-stream")
            .to_string(),
        headers,
        data: vec![(id, size)],
        owner: upload_owner(req, &b),
        acl,
        tags,
        checksum: checksum.clone(),
        version_id: None,
        delete_marker: false,
        retention,
        legal_hold,
    };
    let version_id = install(app, &b, &req.key, meta).await?;
    Ok(Uploaded {
        etag,
        checksum,
        version_id,
    })
}

/// Parse `bytes=a-b` against an object of `size` bytes; `None` for no/ignored Range. Of
/// several ranges radosgw serves the first (its `parse_range` reads to the first `-` and
/// the number after it), as a 206 of that range alone.
pub fn parse_range(h: Option<&str>, size: u64) -> Result<Option<(u64, u64)>> {
    let Some(h) = h else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    let spec = spec.split(',').next().unwrap_or_default();
    let (a, b) = spec.split_once('-').ok_or(Error::InvalidRange)?;
    let (a, b) = (a.trim(), b.trim());
    let (start, end) = if a.is_empty() {
        let n: u64 = b.parse().map_err(|_| Error::InvalidRange)?;
        if n == 0 {
            return Err(Error::InvalidRange);
        }
        (size.saturating_sub(n), size.saturating_sub(1))
    } else {
        let s: u64 = a.parse().map_err(|_| Error::InvalidRange)?;
        let e: u64 = if b.is_empty() {
            size.saturating_sub(1)
        } else {
            b.parse::<u64>()
                .map_err(|_| Error::InvalidRange)?
                .min(size.saturating_sub(1))
        };
        (s, e)
    };
    if size == 0 || start >= size || start > end {
        return Err(Error::InvalidRange);
    }
    Ok(Some((start, end)))
}

/// `"etag"`, as ETag headers carry it.
pub fn quoted(etag: &str) -> String {
    let mut q = String::with_capacity(etag.len() + 2);
    q.push('"');
    q.push_str(etag);
    q.push('"');
    q
}

/// PutObject's `If-Match` / `If-None-Match` against the object it would replace (`None`: no
/// such object), as radosgw applies them: `If-Match` needs the object, with that ETag unless
/// `*`; `If-None-Match: *` needs no object, another value an object without that ETag.
/// `PreconditionFailed` before anything is written; an `If-Match` naming no object is
/// `NoSuchKey` at squid (AWS's conditional writes, which Ceph's s3-tests now expect;
/// radosgw 16.2 to 18 answers 412). (Checked before the body is received: a write racing this one can still slip
/// between, as for quotas.)
fn put_preconditions(h: &HeaderMap, existing: Option<&str>, compat: Compat) -> Result<()> {
    let get = |n: http::header::HeaderName| h.get(n).and_then(|v| v.to_str().ok());
    if let Some(v) = get(http::header::IF_MATCH) {
        if existing.is_none() && compat >= Compat::Squid {
            return Err(Error::NoSuchKey);
        }
        if !existing.is_some_and(|etag| etag_listed(v, etag)) {
            return Err(Error::PreconditionFailed);
        }
    }
    if let Some(v) = get(http::header::IF_NONE_MATCH) {
        if existing.is_some_and(|etag| etag_listed(v, etag)) {
            return Err(Error::PreconditionFailed);
        }
    }
    Ok(())
}

/// Whether an `If-Match` / `If-None-Match` value names `etag`: `*`, or one of its
/// comma-separated entity tags, quoted or bare. One rule for reads and writes.
fn etag_listed(v: &str, etag: &str) -> bool {
    v.split(',').any(|t| {
        let t = t.trim();
        t == "*" || t == etag || t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) == Some(etag)
    })
}

/// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since against the object:
/// `Err(PreconditionFailed)`, `Ok(Some(304))`, or `Ok(None)` to go on.
pub fn check_conditions(h: &HeaderMap, etag: &str, mtime_us: i64) -> Result<Option<StatusCode>> {
    use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
    let get = |n: http::HeaderName| h.get(n).and_then(|v| v.to_str().ok());
    let secs = mtime_us / 1_000_000;
    if let Some(v) = get(IF_MATCH) {
        if !etag_listed(v, etag) {
            return Err(Error::PreconditionFailed);
        }
    } else if let Some(t) = get(IF_UNMODIFIED_SINCE).and_then(crate::clock::parse_http_date) {
        if secs > t {
            return Err(Error::PreconditionFailed);
        }
    }
    if let Some(v) = get(IF_NONE_MATCH) {
        if etag_listed(v, etag) {
            return Ok(Some(StatusCode::NOT_MODIFIED));
        }
    } else if let Some(t) = get(IF_MODIFIED_SINCE).and_then(crate::clock::parse_http_date) {
        if secs <= t {
            return Ok(Some(StatusCode::NOT_MODIFIED));
        }
    }
    Ok(None)
}

/// `partNumber` of a GET or HEAD: 1 to 10000 (`InvalidArgument` otherwise), never with a
/// `Range` (`InvalidRequest`), as AWS answers.
fn part_number(req: &S3Request) -> Result<Option<usize>> {
    let Some(v) = req.query.get("partNumber") else {
        return Ok(None);
    };
    let n = v
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=10_000).contains(n))
        .ok_or(Error::InvalidArgument)?;
    if req.headers.contains_key(http::header::RANGE) {
        return Err(Error::InvalidRequest);
    }
    Ok(Some(n))
}

/// Where part `n` of `o` starts, its length and how many parts there are, for an object
/// completed from parts (its ETag ends `-<parts>` and it keeps one data file per part);
/// `None` for part 1 of any other object, which is the whole of it. `InvalidPartNumber`
/// past the last part.
fn part_bytes(o: &ObjectMeta, n: usize) -> Result<Option<(u64, u64, usize)>> {
    match o.parts() {
        None if n == 1 => Ok(None),
        Some(parts) if n <= parts.len() => {
            let start: u64 = parts[..n - 1].iter().map(|(_, len)| len).sum();
            Ok(Some((start, parts[n - 1].1, parts.len())))
        }
        _ => Err(Error::InvalidPartNumber),
    }
}

pub async fn get(app: &App, req: &S3Request, head: bool) -> Result<Reply> {
    let part = part_number(req)?;
    let b = req.bucket()?;
    let o = super::object_to_read(app, req, &b).await?;
    let asked = req
        .asked(&b, Some(&req.key), "s3:GetObject")
        .with_object_tags(&o.tags);
    authz::s3(&asked, &o.owner, &o.acl, perm::READ, OpKind::Read)?;
    // A read naming an encryption, any or none, is refused as radosgw 16.2.15 refuses it.
    if req.headers.contains_key("x-amz-server-side-encryption") {
        return Err(Error::InvalidRequest);
    }
    let r = Reply::new(StatusCode::OK)
        .header(http::header::ACCEPT_RANGES, "bytes")
        .header(LAST_MODIFIED, crate::clock::http_date_us(o.mtime_us));
    let r = super::with_version(r, req, &o)
        .header(http::HeaderName::from_static("x-rgw-object-type"), "Normal")
        .header(ETAG, quoted(&o.etag));
    let mut r = super::object_lock::with_lock_headers(r, &o);
    r = super::lifecycle::with_expiration(r, &b, &req.key, &o.tags, o.mtime_us);
    if let Some(st) = check_conditions(&req.headers, &o.etag, o.mtime_us)? {
        r.status = st;
        return Ok(r);
    }
    let Overrides {
        headers: overrides,
        content_type,
    } = response_overrides(req)?;
    for (k, v) in &o.headers {
        if overrides.iter().any(|(h, _)| h == k) {
            continue;
        }
        if let (Ok(name), Ok(v)) = (
            http::HeaderName::from_bytes(k.as_bytes()),
            http::HeaderValue::from_bytes(&header_bytes(v)),
        ) {
            r.headers.push((name, v));
        }
    }
    for (h, v) in overrides {
        r = r.header(http::HeaderName::from_static(h), v);
    }
    if !o.tags.is_empty() {
        r = r.header(
            http::HeaderName::from_static("x-amz-tagging-count"),
            o.tags.len().to_string(),
        );
    }
    r = r.header(CONTENT_TYPE, content_type.unwrap_or(&o.content_type));
    // The checksum of the whole object, to a reader that asks for it and reads all of it.
    let asked = req
        .header("x-amz-checksum-mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("ENABLED"));
    if asked && part.is_none() && !req.headers.contains_key(http::header::RANGE) {
        r = with_checksum(r, o.checksum.as_ref());
        if o.checksum.is_some() {
            r = r.header(
                http::HeaderName::from_static("x-amz-checksum-type"),
                "FULL_OBJECT",
            );
        }
    }
    let range = match part {
        Some(n) => match part_bytes(&o, n)? {
            Some((first, len, count)) => {
                r = r.header(
                    http::HeaderName::from_static("x-amz-mp-parts-count"),
                    itoa::Buffer::new().format(count),
                );
                if len == 0 {
                    // An empty last part: nothing to send and no range to name.
                    r.status = StatusCode::PARTIAL_CONTENT;
                    return Ok(r.header(CONTENT_LENGTH, "0"));
                }
                Some((first, first + len - 1))
            }
            None => None,
        },
        None => parse_range(req.header("range"), o.size)?,
    };
    let (start, end) = range.unwrap_or((0, o.size.saturating_sub(1)));
    let len = if o.size == 0 { 0 } else { end - start + 1 };
    if let Some((s, e)) = range {
        r.status = StatusCode::PARTIAL_CONTENT;
        r = r.header(
            http::header::CONTENT_RANGE,
            format!("bytes {s}-{e}/{}", o.size),
        );
    }
    r = r.header(CONTENT_LENGTH, itoa::Buffer::new().format(len));
    if head || len == 0 {
        return Ok(r);
    }
    let blobs = &app.objects.blobs;
    r.body = if o.size <= SMALL {
        let all = blobs.read_small(&o.data).await?;
        ReplyBody::Bytes(all.slice(start as usize..(start + len) as usize))
    } else {
        // A missing data file is an error now, not a connection cut halfway.
        blobs.check(&o.data).await?;
        ReplyBody::Object(blobs.reader(&o.data, start, len))
    };
    Ok(r)
}

pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, Some(&req.key), "s3:DeleteObject");
    authz::s3(&asked, &b.owner, &b.acl, perm::WRITE, OpKind::Delete)?;
    // S3 deletes are idempotent: a missing key or version is still 204.
    let owner = upload_owner(req, &b);
    let bypass = super::object_lock::bypass(req);
    let removed = app
        .objects
        .delete(&b, &req.key, req.version_id(), &owner, bypass)
        .await?;
    let mut r = Reply::empty(StatusCode::NO_CONTENT);
    if let Some(v) = removed.version_id {
        r = r.header(VERSION_ID, v);
    }
    if removed.delete_marker {
        r = r.header(http::HeaderName::from_static("x-amz-delete-marker"), "true");
    }
    Ok(r)
}

pub async fn delete_many(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let b = req.bucket()?;
    // With a policy, each key is its own question (radosgw's DeleteMultiObj): a key the
    // caller may not delete gets its own AccessDenied in the answer.
    let may_delete = |key: &str| {
        let asked = req.asked(&b, Some(key), "s3:DeleteObject");
        authz::s3(&asked, &b.owner, &b.acl, perm::WRITE, OpKind::Delete)
    };
    if b.policy.is_none() {
        may_delete("")?;
    }
    let d = crate::encode::s3_read::delete_objects(&body)?;
    let owner = upload_owner(req, &b);
    let bypass = super::object_lock::bypass(req);
    let mut x = Xml::new();
    x.open_ns("DeleteResult");
    for obj in d.objects {
        // Each as DeleteObject: a missing key or version is deleted too. The version asked
        // for is named back whatever it was.
        let vid = obj.version_id.as_deref().filter(|v| !v.is_empty());
        let res = if b.policy.is_some() && may_delete(&obj.key).is_err() {
            Err(Error::AccessDenied)
        } else {
            app.objects.delete(&b, &obj.key, vid, &owner, bypass).await
        };
        match res {
            Ok(_) if d.quiet => {}
            Ok(removed) => {
                x.open("Deleted");
                x.elem("Key", &obj.key);
                if let Some(v) = &obj.version_id {
                    x.elem("VersionId", v);
                }
                if let (true, Some(v)) = (removed.delete_marker, &removed.version_id) {
                    x.elem("DeleteMarker", "true");
                    x.elem("DeleteMarkerVersionId", v);
                }
                x.close("Deleted");
            }
            Err(e) => {
                x.open("Error");
                x.elem("Key", &obj.key);
                // radosgw names the version a lock kept, and says only the code.
                let locked = e.message() == crate::domain::objects::LOCKED;
                if let (true, Some(v)) = (locked, &obj.version_id) {
                    x.elem("VersionId", v);
                }
                x.elem("Code", e.code());
                x.elem("Message", if locked { e.code() } else { "" });
                x.close("Error");
            }
        }
    }
    x.close("DeleteResult");
    Ok(Reply::xml(x.finish()))
}

#[cfg(test)]
mod tests;
