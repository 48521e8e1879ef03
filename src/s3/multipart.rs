//! Multipart uploads: parts stream to their own data files; completing an upload makes an
//! object whose data is the list of its parts' files (nothing is copied), atomically.

use bytes::Bytes;
use hyper::header::{CONTENT_LENGTH, ETAG};
use hyper::{Response, StatusCode};
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};

use super::xml::Xml;
use super::{check_access, empty, iso_ms, load_bucket, ok, xml_response, Body, S3Req};
use crate::app::App;
use crate::buckets::{self, ObjectMeta};
use crate::error::{Error, Result};
use crate::http::RespBody;
use crate::store::{CommitError, Txn};

/// radosgw's `rgw_multipart_min_part_size`: every part but the last must be this big.
pub const MIN_PART: u64 = 5 << 20;
pub const MAX_PARTS: u32 = 10_000;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Upload {
    pub key: String,
    pub id: String,
    pub owner: String,
    pub initiated_us: i64,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub acl: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    pub num: u32,
    pub etag: String,
    pub size: u64,
    pub data: String,
    pub mtime_us: i64,
}

pub fn k_upload_prefix(bk: &str) -> Vec<u8> {
    format!("upload/{bk}/").into_bytes()
}
fn k_upload(bk: &str, key: &str, id: &str) -> Vec<u8> {
    let mut v = k_upload_prefix(bk);
    v.extend_from_slice(key.as_bytes());
    v.push(0);
    v.extend_from_slice(id.as_bytes());
    v
}
fn k_part_prefix(id: &str) -> Vec<u8> {
    format!("part/{id}/").into_bytes()
}
fn k_part(id: &str, n: u32) -> Vec<u8> {
    format!("part/{id}/{n:05}").into_bytes()
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::Unknown(e.to_string()))?
}

async fn load_upload(app: &App, bk: &str, key: &str, id: &str) -> Result<(Vec<u8>, Upload)> {
    let v = super::object::get_raw(app, k_upload(bk, key, id))
        .await?
        .ok_or(Error::NoSuchUpload)?;
    Ok((v.clone(), buckets::decode(&v)?))
}

async fn load_parts(app: &App, id: &str) -> Result<Vec<(Vec<u8>, Part)>> {
    let store = app.buckets.store().clone();
    let p = k_part_prefix(id);
    blocking(move || {
        store
            .scan(&p)?
            .into_iter()
            .map(|(k, v)| Ok((k, buckets::decode(&v)?)))
            .collect()
    })
    .await
}

async fn commit(app: &App, t: Txn) -> Result<()> {
    let store = app.buckets.store().clone();
    match blocking(move || Ok(store.commit(t))).await? {
        Ok(_) => Ok(()),
        Err(CommitError::Conflict) => Err(Error::NoSuchUpload),
        Err(CommitError::Store(e)) => Err(e),
    }
}

pub async fn create(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let id = format!("2~{}", &crate::keys::secret_key()[..32]);
    let up = Upload {
        key: req.key.clone(),
        id: id.clone(),
        owner: req.uid(),
        initiated_us: crate::clock::now_us(),
        content_type: req
            .header("content-type")
            .unwrap_or("binary/octet-stream")
            .to_string(),
        headers: super::object::stored_headers(&req.headers),
        acl: req.header("x-amz-acl").unwrap_or("private").to_string(),
    };
    let mut t = Txn::default();
    let k = k_upload(&b.key(), &req.key, &id);
    t.expect(k.clone(), None).put(k, buckets::encode(&up)?);
    commit(app, t).await?;
    let mut x = Xml::new();
    x.open_ns("InitiateMultipartUploadResult");
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("UploadId", &id);
    x.close("InitiateMultipartUploadResult");
    xml_response(req, x.finish())
}

fn upload_id(req: &S3Req) -> Result<&str> {
    req.query
        .get_nonempty("uploadId")
        .ok_or(Error::NoSuchUpload)
}

pub async fn upload_part(app: &App, req: &S3Req, body: Body) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let id = upload_id(req)?;
    let num: u32 = req
        .query
        .get("partNumber")
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or(Error::InvalidArgument)?;
    let (up_raw, _) = load_upload(app, &b.key(), &req.key, id).await?;
    let (data, size, md5) = super::object::receive(
        &app.data,
        body,
        req.header("content-md5"),
        app.cfg.body_timeout(),
    )
    .await?;
    let etag = hex::encode(md5);
    let part = Part {
        num,
        etag: etag.clone(),
        size,
        data: data.clone(),
        mtime_us: crate::clock::now_us(),
    };
    // Replace any earlier upload of this part number; the upload must still be open.
    let pk = k_part(id, num);
    let old = super::object::get_raw(app, pk.clone()).await?;
    let mut t = Txn::default();
    t.expect(k_upload(&b.key(), &req.key, id), Some(up_raw))
        .expect(pk.clone(), old.clone())
        .put(pk, buckets::encode(&part)?);
    if let Err(e) = commit(app, t).await {
        app.data.remove(&data);
        return Err(e);
    }
    if let Some(old) = old {
        if let Ok(p) = buckets::decode::<Part>(&old) {
            app.data.remove(&p.data);
        }
    }
    ok(req, StatusCode::OK)
        .header(ETAG, format!("\"{etag}\""))
        .header(CONTENT_LENGTH, 0)
        .body(crate::http::full(Bytes::new()))
        .map_err(|e| Error::Unknown(e.to_string()))
}

pub async fn complete(app: &App, req: &S3Req, body: Body) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let id = upload_id(req)?.to_string();
    let (up_raw, up) = load_upload(app, &b.key(), &req.key, &id).await?;
    let Body::Full(bytes) = body else {
        return Err(Error::MalformedXml);
    };
    let doc = std::str::from_utf8(&bytes).map_err(|_| Error::MalformedXml)?;
    let nums = super::xml::texts(doc, "PartNumber");
    let etags = super::xml::texts(doc, "ETag");
    if nums.is_empty() || nums.len() != etags.len() {
        return Err(Error::MalformedXml);
    }
    let stored = load_parts(app, &id).await?;
    let mut chosen: Vec<Part> = Vec::new();
    for (n, e) in nums.iter().zip(&etags) {
        let n: u32 = n.trim().parse().map_err(|_| Error::MalformedXml)?;
        if chosen.last().is_some_and(|p| p.num >= n) {
            return Err(Error::InvalidPartOrder);
        }
        let e = super::xml::unescape(e);
        let e = e.trim().trim_matches('"');
        let p = stored
            .iter()
            .map(|(_, p)| p)
            .find(|p| p.num == n)
            .filter(|p| p.etag == e)
            .ok_or(Error::InvalidPart)?;
        chosen.push(p.clone());
    }
    if chosen[..chosen.len() - 1].iter().any(|p| p.size < MIN_PART) {
        return Err(Error::EntityTooSmall);
    }
    let mut md5 = Md5::new();
    for p in &chosen {
        md5.update(hex::decode(&p.etag).unwrap_or_default());
    }
    let etag = format!("{}-{}", hex::encode(md5.finalize()), chosen.len());
    let size: u64 = chosen.iter().map(|p| p.size).sum();
    let meta = ObjectMeta {
        size,
        etag: etag.clone(),
        mtime_us: crate::clock::now_us(),
        content_type: up.content_type.clone(),
        headers: up.headers.clone(),
        data: chosen.iter().map(|p| (p.data.clone(), p.size)).collect(),
        owner: up.owner.clone(),
        acl: up.acl.clone(),
    };
    super::object::check_quota(app, &b, &req.key, size).await?;
    // Close the upload first (so no part can be replaced under us), then install.
    let mut t = Txn::default();
    t.expect(k_upload(&b.key(), &req.key, &id), Some(up_raw))
        .delete(k_upload(&b.key(), &req.key, &id));
    for (k, _) in &stored {
        t.delete(k.clone());
    }
    commit(app, t).await?;
    for (_, p) in &stored {
        if !chosen.iter().any(|c| c.data == p.data) {
            app.data.remove(&p.data);
        }
    }
    super::object::install(app, &b, &req.key, meta).await?;
    let mut x = Xml::new();
    x.open_ns("CompleteMultipartUploadResult");
    x.elem("Location", &format!("{}/{}", b.name, req.key));
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("ETag", &format!("\"{etag}\""));
    x.close("CompleteMultipartUploadResult");
    xml_response(req, x.finish())
}

pub async fn abort(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    let id = upload_id(req)?.to_string();
    let (up_raw, _) = load_upload(app, &b.key(), &req.key, &id).await?;
    abort_upload(app, &b.key(), &req.key, &id, up_raw).await?;
    empty(req, StatusCode::NO_CONTENT)
}

/// Remove an upload, its parts and their data.
pub async fn abort_upload(app: &App, bk: &str, key: &str, id: &str, up_raw: Vec<u8>) -> Result<()> {
    let stored = load_parts(app, id).await?;
    let mut t = Txn::default();
    t.expect(k_upload(bk, key, id), Some(up_raw))
        .delete(k_upload(bk, key, id));
    for (k, _) in &stored {
        t.delete(k.clone());
    }
    commit(app, t).await?;
    for (_, p) in stored {
        app.data.remove(&p.data);
    }
    Ok(())
}

/// All uploads in progress in a bucket: (key, upload id, raw record, record).
pub async fn all_uploads(app: &App, bk: &str) -> Result<Vec<(Vec<u8>, Upload)>> {
    let store = app.buckets.store().clone();
    let p = k_upload_prefix(bk);
    blocking(move || {
        store
            .scan(&p)?
            .into_iter()
            .map(|(_, v)| Ok((v.clone(), buckets::decode(&v)?)))
            .collect()
    })
    .await
}

fn owner_xml(x: &mut Xml, tag: &str, id: &str, name: &str) {
    x.open(tag);
    x.elem("ID", id);
    x.elem("DisplayName", name);
    x.close(tag);
}

pub async fn list_parts(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let id = upload_id(req)?.to_string();
    let (_, up) = load_upload(app, &b.key(), &req.key, &id).await?;
    let marker: u32 = req
        .query
        .get("part-number-marker")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let max: usize = req
        .query
        .get("max-parts")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let parts: Vec<Part> = load_parts(app, &id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .filter(|p| p.num > marker)
        .collect();
    let truncated = parts.len() > max;
    let parts = &parts[..parts.len().min(max)];
    let name = app
        .users
        .get(&up.owner)
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let mut x = Xml::new();
    x.open_ns("ListPartsResult");
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("UploadId", &id);
    owner_xml(&mut x, "Initiator", &up.owner, &name);
    owner_xml(&mut x, "Owner", &up.owner, &name);
    x.elem("StorageClass", "STANDARD");
    x.elem("PartNumberMarker", &marker.to_string());
    x.elem(
        "NextPartNumberMarker",
        &parts.last().map(|p| p.num).unwrap_or(marker).to_string(),
    );
    x.elem("MaxParts", &max.to_string());
    x.elem("IsTruncated", if truncated { "true" } else { "false" });
    for p in parts {
        x.open("Part");
        x.elem("PartNumber", &p.num.to_string());
        x.elem("LastModified", &iso_ms(p.mtime_us));
        x.elem("ETag", &format!("\"{}\"", p.etag));
        x.elem("Size", &p.size.to_string());
        x.close("Part");
    }
    x.close("ListPartsResult");
    xml_response(req, x.finish())
}

pub async fn list_uploads(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let prefix = req.query.get("prefix").unwrap_or("");
    let max: usize = req
        .query
        .get("max-uploads")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000)
        .min(1000);
    let mut ups: Vec<Upload> = all_uploads(app, &b.key())
        .await?
        .into_iter()
        .map(|(_, u)| u)
        .filter(|u| u.key.starts_with(prefix))
        .collect();
    ups.sort_by(|a, b| (&a.key, a.initiated_us).cmp(&(&b.key, b.initiated_us)));
    let truncated = ups.len() > max;
    ups.truncate(max);
    let mut x = Xml::new();
    x.open_ns("ListMultipartUploadsResult");
    x.elem("Bucket", &b.name);
    x.elem("KeyMarker", req.query.get("key-marker").unwrap_or(""));
    x.elem(
        "UploadIdMarker",
        req.query.get("upload-id-marker").unwrap_or(""),
    );
    x.elem(
        "NextKeyMarker",
        ups.last().map(|u| u.key.as_str()).unwrap_or(""),
    );
    x.elem(
        "NextUploadIdMarker",
        ups.last().map(|u| u.id.as_str()).unwrap_or(""),
    );
    x.elem("MaxUploads", &max.to_string());
    x.elem("IsTruncated", if truncated { "true" } else { "false" });
    for u in &ups {
        let name = app
            .users
            .get(&u.owner)
            .map(|u| u.display_name.clone())
            .unwrap_or_default();
        x.open("Upload");
        x.elem("Key", &u.key);
        x.elem("UploadId", &u.id);
        owner_xml(&mut x, "Initiator", &u.owner, &name);
        owner_xml(&mut x, "Owner", &u.owner, &name);
        x.elem("StorageClass", "STANDARD");
        x.elem("Initiated", &iso_ms(u.initiated_us));
        x.close("Upload");
    }
    x.close("ListMultipartUploadsResult");
    xml_response(req, x.finish())
}
