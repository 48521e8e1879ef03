//! Object-level S3 operations: PUT (streamed, verified, atomic), GET/HEAD (ranges,
//! conditions, streamed out), DELETE, multi-delete, copy.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED};
use hyper::{Response, StatusCode};
use md5::{Digest, Md5};
use tokio::io::AsyncWriteExt;

use super::xml::Xml;
use super::{check_access, empty, load_bucket, ok, xml_response, Body, S3Req};
use crate::app::App;
use crate::auth::BodyVerifier;
use crate::buckets::{self, size_actual, ObjectMeta};
use crate::error::{Error, Result};
use crate::http::RespBody;
use crate::objects::DataStore;
use crate::store::{CommitError, Txn};

/// Characters radosgw leaves unescaped in `encoding-type=url` keys (`url_encode` escapes
/// `/` too).
pub const URL_KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Largest single object or part (radosgw's `rgw_max_put_size`, 5 GiB).
pub const MAX_PUT: u64 = 5 << 30;

/// Headers stored with an object and returned on GET/HEAD.
const KEPT_HEADERS: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
];

/// Stored headers of a PUT: the standard ones kept, and every `x-amz-meta-*`.
pub fn stored_headers(h: &hyper::HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = h
        .iter()
        .filter(|(k, _)| {
            KEPT_HEADERS.contains(&k.as_str()) || k.as_str().starts_with("x-amz-meta-")
        })
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        // `aws-chunked` describes the upload's framing, not the object.
        .filter_map(|(k, v)| {
            if k != "content-encoding" {
                return Some((k, v));
            }
            let rest: Vec<&str> = v
                .split(',')
                .map(str::trim)
                .filter(|e| !e.eq_ignore_ascii_case("aws-chunked"))
                .collect();
            (!rest.is_empty()).then(|| (k, rest.join(",")))
        })
        .collect();
    out.sort();
    out
}

/// Stream a request body through its verifier into a new temp data file; returns the data
/// id, decoded size and MD5. The file is fsynced and published (renamed into place), but
/// no index entry names it yet.
pub async fn receive(
    data: &DataStore,
    body: Body,
    content_md5: Option<&str>,
    timeout: std::time::Duration,
) -> Result<(String, u64, [u8; 16])> {
    let id = DataStore::new_id();
    let res = receive_into(data, &id, body, content_md5, timeout).await;
    if res.is_err() {
        data.remove_tmp(&id);
    }
    let (size, md5) = res?;
    publish(data, &id).await?;
    Ok((id, size, md5))
}

/// `DataStore::publish` on the blocking pool.
pub async fn publish(data: &DataStore, id: &str) -> Result<()> {
    let (tmp, dst) = (data.tmp_path(id), data.path(id));
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        let dir = dst.parent().expect("data path has a parent").to_path_buf();
        std::fs::create_dir_all(&dir)?;
        std::fs::rename(tmp, &dst)?;
        std::fs::File::open(dir)?.sync_all()
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))?
    .map_err(|e| Error::Unknown(format!("publish object data: {e}")))
}

async fn receive_into(
    data: &DataStore,
    id: &str,
    body: Body,
    content_md5: Option<&str>,
    timeout: std::time::Duration,
) -> Result<(u64, [u8; 16])> {
    let want_md5 = match content_md5 {
        Some(b64) => {
            use base64::Engine;
            let v = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| Error::InvalidDigest)?;
            Some(<[u8; 16]>::try_from(v.as_slice()).map_err(|_| Error::InvalidDigest)?)
        }
        None => None,
    };
    let mut f = tokio::fs::File::create(data.tmp_path(id))
        .await
        .map_err(|e| Error::Unknown(format!("create data file: {e}")))?;
    let mut md5 = Md5::new();
    let mut size: u64 = 0;
    let mut out = Vec::with_capacity(256 * 1024);
    let write = |chunk: &[u8], md5: &mut Md5, size: &mut u64| -> Result<()> {
        md5.update(chunk);
        *size += chunk.len() as u64;
        if *size > MAX_PUT {
            return Err(Error::EntityTooLarge);
        }
        Ok(())
    };
    match body {
        Body::Full(bytes) => {
            write(&bytes, &mut md5, &mut size)?;
            f.write_all(&bytes)
                .await
                .map_err(|e| Error::Unknown(format!("write data: {e}")))?;
        }
        Body::Stream(mut incoming, payload) => {
            let mut v = BodyVerifier::new(payload);
            // A stalled upload is cut off after `timeout` without data.
            while let Some(frame) = tokio::time::timeout(timeout, incoming.frame())
                .await
                .map_err(|_| Error::RequestTimeout)?
            {
                let frame = frame.map_err(|_| Error::IncompleteBody)?;
                let Ok(chunk) = frame.into_data() else {
                    continue;
                };
                out.clear();
                v.feed(&chunk, &mut out)?;
                write(&out, &mut md5, &mut size)?;
                f.write_all(&out)
                    .await
                    .map_err(|e| Error::Unknown(format!("write data: {e}")))?;
            }
            let n = v.finish()?;
            if n != size {
                return Err(Error::IncompleteBody);
            }
        }
    }
    f.sync_all()
        .await
        .map_err(|e| Error::Unknown(format!("sync data: {e}")))?;
    let digest: [u8; 16] = md5.finalize().into();
    if let Some(w) = want_md5 {
        if w != digest {
            return Err(Error::BadDigest);
        }
    }
    Ok((size, digest))
}

/// A store read on the blocking pool.
pub async fn get_raw(app: &App, key: Vec<u8>) -> Result<Option<Vec<u8>>> {
    let store = app.buckets.store().clone();
    tokio::task::spawn_blocking(move || store.get(&key))
        .await
        .map_err(|e| Error::Unknown(e.to_string()))?
}

/// The object's current index entry.
pub async fn load(app: &App, bk: &str, key: &str) -> Result<Option<ObjectMeta>> {
    get_raw(app, buckets::k_obj(bk, key))
        .await?
        .map(|v| buckets::decode(&v))
        .transpose()
}

/// Install `meta` as the object `key` (replacing any current version), keeping the bucket's
/// stats exact. The old version's data files are deleted once the change is durable.
pub async fn install(app: &App, b: &buckets::Bucket, key: &str, meta: ObjectMeta) -> Result<()> {
    let bk = b.key();
    let mut b = b.clone();
    for _ in 0..64 {
        let k = buckets::k_obj(&bk, key);
        let cur_raw = get_raw(app, k.clone()).await?;
        let cur: Option<ObjectMeta> = cur_raw.as_deref().map(buckets::decode).transpose()?;
        let (ds, dsa, dn) = match &cur {
            Some(c) => (
                meta.size as i64 - c.size as i64,
                size_actual(meta.size) as i64 - size_actual(c.size) as i64,
                0,
            ),
            None => (meta.size as i64, size_actual(meta.size) as i64, 1),
        };
        let mut t = Txn::default();
        // The bucket must still exist (as we saw it), so a concurrent bucket removal cannot
        // leave this object behind.
        t.expect(buckets::k_bucket(&bk), Some(buckets::encode(&b)?))
            .expect(k.clone(), cur_raw.clone())
            .put(k, buckets::encode(&meta)?)
            .incr(buckets::k_stats(&bk), vec![ds, dsa, dn, 1])
            .incr(buckets::k_ver(&bk), buckets::ver_delta(key));
        match app.buckets.commit(&bk, t, Some(b.clone())).await {
            Ok(_) => {
                if let Some(c) = cur {
                    for (id, _) in c.data {
                        app.data.remove(&id);
                    }
                }
                return Ok(());
            }
            // The object or the bucket record (quota, link) changed under us: look again.
            Err(CommitError::Conflict) => match app.buckets.get(&bk) {
                Some(nb) if nb.id == b.id => b = (*nb).clone(),
                _ => return Err(Error::NoSuchBucket),
            },
            Err(CommitError::Store(e)) => return Err(e),
        }
    }
    Err(Error::ServiceUnavailable)
}

/// Remove object `key`; `NoSuchKey` when absent. Returns the removed entry.
pub async fn remove(app: &App, b: &buckets::Bucket, key: &str) -> Result<ObjectMeta> {
    let bk = b.key();
    for _ in 0..64 {
        let k = buckets::k_obj(&bk, key);
        let cur_raw = get_raw(app, k.clone()).await?;
        let Some(cur_raw) = cur_raw else {
            return Err(Error::NoSuchKey);
        };
        let cur: ObjectMeta = buckets::decode(&cur_raw)?;
        let mut t = Txn::default();
        t.expect(k.clone(), Some(cur_raw))
            .delete(k)
            .incr(
                buckets::k_stats(&bk),
                vec![-(cur.size as i64), -(size_actual(cur.size) as i64), -1, 1],
            )
            .incr(buckets::k_ver(&bk), buckets::ver_delta(key));
        match app
            .buckets
            .commit(&bk, t, app.buckets.get(&bk).map(|b| (*b).clone()))
            .await
        {
            Ok(_) => {
                for (id, _) in &cur.data {
                    app.data.remove(id);
                }
                return Ok(cur);
            }
            Err(CommitError::Conflict) => continue,
            Err(CommitError::Store(e)) => return Err(e),
        }
    }
    Err(Error::ServiceUnavailable)
}

/// Refuse a write of `new_size` bytes to `key` that would break a quota.
pub async fn check_quota(app: &App, b: &buckets::Bucket, key: &str, new_size: u64) -> Result<()> {
    let old = load(app, &b.key(), key).await?.map(|o| o.size);
    crate::quota::check(app, b, new_size, old)
}

pub async fn put(app: &App, req: &S3Req, body: Body) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    // Refuse before reading a body that cannot fit; check again with the real size.
    let declared = req
        .header("x-amz-decoded-content-length")
        .or_else(|| req.header("content-length"))
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(n) = declared {
        check_quota(app, &b, &req.key, n).await?;
    }
    let (id, size, md5) = receive(
        &app.data,
        body,
        req.header("content-md5"),
        app.cfg.body_timeout(),
    )
    .await?;
    if let Err(e) = check_quota(app, &b, &req.key, size).await {
        app.data.remove(&id);
        return Err(e);
    }
    let etag = hex::encode(md5);
    let meta = ObjectMeta {
        size,
        etag: etag.clone(),
        mtime_us: crate::clock::now_us(),
        content_type: req
            .header("content-type")
            .unwrap_or("binary/octet-stream")
            .to_string(),
        headers: stored_headers(&req.headers),
        data: vec![(id.clone(), size)],
        owner: req.uid(),
        acl: req.header("x-amz-acl").unwrap_or("private").to_string(),
    };
    if let Err(e) = install(app, &b, &req.key, meta).await {
        app.data.remove(&id);
        return Err(e);
    }
    ok(req, StatusCode::OK)
        .header(ETAG, format!("\"{etag}\""))
        .header("Accept-Ranges", "bytes")
        .header(CONTENT_LENGTH, 0)
        .body(crate::http::full(Bytes::new()))
        .map_err(|e| Error::Unknown(e.to_string()))
}

/// Parse `bytes=a-b` against an object of `size` bytes; `None` for no/ignored Range.
fn parse_range(h: Option<&str>, size: u64) -> Result<Option<(u64, u64)>> {
    let Some(h) = h else { return Ok(None) };
    let Some(spec) = h.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
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

fn http_date_us(us: i64) -> String {
    crate::clock::http_date(
        std::time::UNIX_EPOCH + std::time::Duration::from_micros(us.max(0) as u64),
    )
}

fn parse_http_date(s: &str) -> Option<i64> {
    crate::clock::parse_http_date(s)
}

/// If-Match / If-None-Match / If-Modified-Since / If-Unmodified-Since.
fn check_conditions(req: &S3Req, o: &ObjectMeta) -> Result<Option<StatusCode>> {
    let etag = format!("\"{}\"", o.etag);
    let matches = |v: &str| {
        v.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t == etag || t == o.etag
        })
    };
    let secs = o.mtime_us / 1_000_000;
    if let Some(v) = req.header("if-match") {
        if !matches(v) {
            return Err(Error::PreconditionFailed);
        }
    } else if let Some(t) = req.header("if-unmodified-since").and_then(parse_http_date) {
        if secs > t {
            return Err(Error::PreconditionFailed);
        }
    }
    if let Some(v) = req.header("if-none-match") {
        if matches(v) {
            return Ok(Some(StatusCode::NOT_MODIFIED));
        }
    } else if let Some(t) = req.header("if-modified-since").and_then(parse_http_date) {
        if secs <= t {
            return Ok(Some(StatusCode::NOT_MODIFIED));
        }
    }
    Ok(None)
}

pub async fn get(app: &App, req: &S3Req, head: bool) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let o = load(app, &b.key(), &req.key)
        .await?
        .ok_or(Error::NoSuchKey)?;
    let mut rb = ok(req, StatusCode::OK)
        .header("Accept-Ranges", "bytes")
        .header(LAST_MODIFIED, http_date_us(o.mtime_us))
        .header("x-rgw-object-type", "Normal")
        .header(ETAG, format!("\"{}\"", o.etag));
    if let Some(st) = check_conditions(req, &o)? {
        return rb
            .status(st)
            .body(crate::http::full(Bytes::new()))
            .map_err(|e| Error::Unknown(e.to_string()));
    }
    for (k, v) in &o.headers {
        if let Ok(v) = HeaderValue::from_str(v) {
            rb = rb.header(k.as_str(), v);
        }
    }
    rb = rb.header(CONTENT_TYPE, o.content_type.as_str());
    let range = parse_range(req.header("range"), o.size)?;
    let (start, end) = range.unwrap_or((0, o.size.saturating_sub(1)));
    let len = if o.size == 0 { 0 } else { end - start + 1 };
    if let Some((s, e)) = range {
        rb = rb
            .status(StatusCode::PARTIAL_CONTENT)
            .header("Content-Range", format!("bytes {s}-{e}/{}", o.size));
    }
    rb = rb.header(CONTENT_LENGTH, len);
    if head || len == 0 {
        return rb
            .body(crate::http::full(Bytes::new()))
            .map_err(|e| Error::Unknown(e.to_string()));
    }
    let files: Vec<(std::path::PathBuf, u64)> = o
        .data
        .iter()
        .map(|(id, n)| (app.data.path(id), *n))
        .collect();
    rb.body(crate::http::file_body(files, start, len))
        .map_err(|e| Error::Unknown(e.to_string()))
}

pub async fn delete(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    match remove(app, &b, &req.key).await {
        // S3 deletes are idempotent: a missing key is still 204.
        Ok(_) | Err(Error::NoSuchKey) => empty(req, StatusCode::NO_CONTENT),
        Err(e) => Err(e),
    }
}

pub async fn delete_many(app: &App, req: &S3Req, body: Body) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let Body::Full(bytes) = body else {
        return Err(Error::MalformedXml);
    };
    let doc = std::str::from_utf8(&bytes).map_err(|_| Error::MalformedXml)?;
    if !doc.contains("<Delete") {
        return Err(Error::MalformedXml);
    }
    let quiet = super::xml::texts(doc, "Quiet")
        .first()
        .is_some_and(|q| q.trim() == "true");
    let keys: Vec<String> = super::xml::texts(doc, "Key")
        .into_iter()
        .map(super::xml::unescape)
        .collect();
    if keys.len() > 1000 {
        return Err(Error::MalformedXml);
    }
    let mut x = Xml::new();
    x.open_ns("DeleteResult");
    for k in keys {
        match remove(app, &b, &k).await {
            Ok(_) | Err(Error::NoSuchKey) => {
                if !quiet {
                    x.open("Deleted");
                    x.elem("Key", &k);
                    x.close("Deleted");
                }
            }
            Err(e) => {
                x.open("Error");
                x.elem("Key", &k);
                x.elem("Code", e.code());
                x.elem("Message", "");
                x.close("Error");
            }
        }
    }
    x.close("DeleteResult");
    xml_response(req, x.finish())
}

pub async fn copy(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let src = req.header("x-amz-copy-source").unwrap_or("");
    let src = crate::query::decode_path(src.trim_start_matches('/'))
        .map_err(|_| Error::InvalidArgument)?;
    let src = src.split("?versionId=").next().unwrap_or("").to_string();
    let (sb, sk) = src.split_once('/').ok_or(Error::InvalidArgument)?;
    let tenant = req
        .caller
        .as_ref()
        .map(|u| u.uid.tenant.clone())
        .unwrap_or_default();
    let sbucket = app
        .buckets
        .get(&buckets::bkey(&tenant, sb))
        .ok_or(Error::NoSuchBucket)?;
    check_access(req, &sbucket, false)?;
    let so = load(app, &sbucket.key(), sk)
        .await?
        .ok_or(Error::NoSuchKey)?;
    if sbucket.key() == b.key()
        && sk == req.key
        && req.header("x-amz-metadata-directive") != Some("REPLACE")
    {
        return Err(Error::InvalidRequest);
    }
    check_quota(app, &b, &req.key, so.size).await?;
    // Copy the bytes into a new data file, so the two objects never share data.
    let id = DataStore::new_id();
    let srcs: Vec<std::path::PathBuf> = so.data.iter().map(|(i, _)| app.data.path(i)).collect();
    let tmp = app.data.tmp_path(&id);
    let copied = tokio::task::spawn_blocking(move || -> std::io::Result<u64> {
        let mut out = std::fs::File::create(&tmp)?;
        let mut n = 0;
        for s in srcs {
            n += std::io::copy(&mut std::fs::File::open(s)?, &mut out)?;
        }
        out.sync_all()?;
        Ok(n)
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))?
    .map_err(|e| Error::Unknown(format!("copy object data: {e}")));
    let n = match copied {
        Ok(n) => n,
        Err(e) => {
            app.data.remove_tmp(&id);
            return Err(e);
        }
    };
    publish(&app.data, &id).await?;
    let replace = req.header("x-amz-metadata-directive") == Some("REPLACE");
    let now = crate::clock::now_us();
    let meta = ObjectMeta {
        size: n,
        etag: so.etag.clone(),
        mtime_us: now,
        content_type: if replace {
            req.header("content-type")
                .unwrap_or("binary/octet-stream")
                .to_string()
        } else {
            so.content_type.clone()
        },
        headers: if replace {
            stored_headers(&req.headers)
        } else {
            so.headers.clone()
        },
        data: vec![(id.clone(), n)],
        owner: req.uid(),
        acl: req.header("x-amz-acl").unwrap_or("private").to_string(),
    };
    let etag = meta.etag.clone();
    if let Err(e) = install(app, &b, &req.key, meta).await {
        app.data.remove(&id);
        return Err(e);
    }
    let mut x = Xml::new();
    x.open_ns("CopyObjectResult");
    x.elem("LastModified", &super::iso_ms(now));
    x.elem("ETag", &format!("\"{etag}\""));
    x.close("CopyObjectResult");
    xml_response(req, x.finish())
}

pub async fn acl(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let o = load(app, &b.key(), &req.key)
        .await?
        .ok_or(Error::NoSuchKey)?;
    let name = app
        .users
        .get(&o.owner)
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    xml_response(req, super::bucket::acl_doc(&o.owner, &name, &o.acl))
}

/// One page of a listing.
pub struct Page {
    pub objects: Vec<(String, ObjectMeta)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// Last key or prefix returned (the next page starts after it).
    pub next_marker: String,
}

/// List keys under `prefix` after `after`, rolling keys up to `delimiter` into common
/// prefixes, at most `max` entries (objects + prefixes).
pub async fn list_page(
    app: &App,
    bk: &str,
    prefix: &str,
    delimiter: &str,
    after: &str,
    max: usize,
) -> Result<Page> {
    let store = app.buckets.store().clone();
    let base = buckets::k_obj_prefix(bk);
    let (prefix, delimiter, after) = (prefix.to_string(), delimiter.to_string(), after.to_string());
    tokio::task::spawn_blocking(move || -> Result<Page> {
        let mut scan_prefix = base.clone();
        scan_prefix.extend_from_slice(prefix.as_bytes());
        let mut cursor: Option<Vec<u8>> = if after.is_empty() {
            None
        } else {
            let mut c = base.clone();
            c.extend_from_slice(after.as_bytes());
            Some(c)
        };
        let mut page = Page {
            objects: Vec::new(),
            prefixes: Vec::new(),
            truncated: false,
            next_marker: String::new(),
        };
        if max == 0 {
            return Ok(page);
        }
        loop {
            let batch = store.scan_range(&scan_prefix, cursor.as_deref(), 1000)?;
            if batch.is_empty() {
                return Ok(page);
            }
            for (k, v) in batch {
                let key = String::from_utf8_lossy(&k[base.len()..]).into_owned();
                cursor = Some(k);
                let rest = &key[prefix.len()..];
                let common = if delimiter.is_empty() {
                    None
                } else {
                    rest.find(&delimiter)
                        .map(|i| format!("{prefix}{}", &rest[..i + delimiter.len()]))
                };
                if page.objects.len() + page.prefixes.len() >= max {
                    // One more entry exists beyond this page (unless it folds into the last
                    // common prefix we already returned).
                    if common.is_none()
                        || common.as_deref() != page.prefixes.last().map(String::as_str)
                    {
                        page.truncated = true;
                        return Ok(page);
                    }
                    continue;
                }
                match common {
                    Some(cp) => {
                        if page.prefixes.last() != Some(&cp) && cp.as_str() > after.as_str() {
                            page.next_marker = cp.clone();
                            page.prefixes.push(cp.clone());
                        }
                        // Skip the rest of this prefix in one seek.
                        let mut skip = base.clone();
                        skip.extend_from_slice(cp.as_bytes());
                        skip.push(0xff);
                        cursor = Some(skip);
                        break;
                    }
                    None => {
                        page.next_marker = key.clone();
                        page.objects.push((key, buckets::decode(&v)?));
                    }
                }
            }
        }
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))?
}

/// Every object of a bucket with its entry (for purges and index checks).
pub async fn all_objects(app: &App, bk: &str) -> Result<Vec<(String, ObjectMeta)>> {
    let store = app.buckets.store().clone();
    let base = buckets::k_obj_prefix(bk);
    tokio::task::spawn_blocking(move || -> Result<Vec<(String, ObjectMeta)>> {
        store
            .scan(&base)?
            .into_iter()
            .map(|(k, v)| {
                Ok((
                    String::from_utf8_lossy(&k[base.len()..]).into_owned(),
                    buckets::decode(&v)?,
                ))
            })
            .collect()
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))?
}
