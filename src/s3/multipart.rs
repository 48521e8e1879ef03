//! Multipart uploads: parts stream to their own data files; completing an upload makes an
//! object whose data is the list of its parts' files (nothing is copied), atomically with
//! closing the upload.
//!
//! Quotas, as in radosgw: each part is checked like a PutObject of its size before it is
//! recorded (it counts in the bucket's stats from then on); starting and completing an
//! upload are never refused, completing only turns counted parts into one object.

use bytes::Bytes;
use http::header::ETAG;
use http::StatusCode;
use md5::{Digest, Md5};

use super::object::{
    check_quota, content_md5, load_source, quoted, receive_within_quota, stored_headers, upload_acl,
};
use super::{iso_ms, listing, numbers, tagging, Body, Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::config::Compat;
use crate::domain::acl::perm;
use crate::domain::blobs::Received;
use crate::domain::buckets::Bucket;
use crate::domain::objects::{Guard, ObjectMeta};
use crate::domain::uploads::{Part, Stored, Upload, Uploads, MAX_PARTS, MIN_PART};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// May the caller write the upload's object (`s3:PutObject`), or do `action` to it?
fn write_allowed(req: &S3Request, b: &Bucket, action: &'static str) -> Result<()> {
    let asked = req.asked(b, Some(&req.key), action);
    authz::s3(&asked, &b.owner, &b.acl, perm::WRITE, OpKind::Write)
}

pub async fn create(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    write_allowed(req, &b, "s3:PutObject")?;
    super::object::refuse_encryption(&req.headers)?;
    super::object::check_storage_class(&req.headers)?;
    let up = Upload {
        key: req.key.clone(),
        id: Uploads::new_id(),
        owner: super::object::upload_owner(req, &b),
        initiated_us: crate::clock::now_us(),
        content_type: req
            .header("content-type")
            .unwrap_or("binary/octet-stream")
            .to_string(),
        headers: stored_headers(&req.headers)?,
        acl: upload_acl(app, req, &b).await?,
        tags: match req.header("x-amz-tagging") {
            Some(t) => tagging::from_header(t)?,
            None => Vec::new(),
        },
    };
    app.uploads.create(&b, &up).await?;
    let mut x = Xml::new();
    x.open_ns("InitiateMultipartUploadResult");
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("UploadId", &up.id);
    x.close("InitiateMultipartUploadResult");
    Ok(Reply::xml(x.finish()))
}

fn upload_id(req: &S3Request) -> Result<&str> {
    req.query
        .get_nonempty("uploadId")
        .ok_or(Error::NoSuchUpload)
}

fn part_number(req: &S3Request) -> Result<u32> {
    req.query
        .get("partNumber")
        .and_then(|v| v.parse().ok())
        .filter(|n| (1..=MAX_PARTS).contains(n))
        .ok_or(Error::InvalidArgument)
}

/// Record a received part; its data is removed if that fails.
async fn record_part(
    app: &App,
    b: &Bucket,
    up: &Stored<Upload>,
    num: u32,
    got: Received,
) -> Result<String> {
    let etag = hex::encode(got.md5);
    let part = Part {
        num,
        etag: etag.clone(),
        size: got.size,
        data: got.id.clone(),
        mtime_us: crate::clock::now_us(),
    };
    if let Err(e) = app
        .uploads
        .put_part(&app.objects.blobs, &b.data_key(), up, &part)
        .await
    {
        app.objects.blobs.remove_all(vec![got.id]).await;
        return Err(e);
    }
    Ok(etag)
}

pub async fn upload_part(app: &App, req: &S3Request, body: Body) -> Result<Reply> {
    let b = req.bucket()?;
    write_allowed(req, &b, "s3:PutObject")?;
    super::object::refuse_encryption(&req.headers)?;
    let id = upload_id(req)?;
    let num = part_number(req)?;
    let md5 = content_md5(req)?;
    let up = app.uploads.get(&b.data_key(), &req.key, id).await?;
    let got = receive_within_quota(app, req, &b, body, md5).await?;
    let checksum = got.checksum.clone();
    let etag = record_part(app, &b, &up, num, got).await?;
    let r = Reply::empty(StatusCode::OK).header(ETAG, quoted(&etag));
    Ok(super::object::with_checksum(r, checksum.as_ref()))
}

/// UploadPartCopy: a part made of (a range of) an existing object.
pub async fn upload_part_copy(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    write_allowed(req, &b, "s3:PutObject")?;
    let id = upload_id(req)?;
    let num = part_number(req)?;
    let up = app.uploads.get(&b.data_key(), &req.key, id).await?;
    let (_, so) = load_source(app, req).await?;
    let range = match req.header("x-amz-copy-source-range") {
        None => None,
        Some(r) => {
            // Unlike GET, a copy range must be `bytes=first-last` within the source: an
            // open or oversized range is `InvalidRange`, anything else `InvalidArgument`.
            let spec = r
                .trim()
                .strip_prefix("bytes=")
                .ok_or(Error::InvalidArgument)?;
            let (a, z) = spec.split_once('-').ok_or(Error::InvalidArgument)?;
            let first: u64 = a.trim().parse().map_err(|_| Error::InvalidArgument)?;
            let last: u64 = match z.trim() {
                "" => return Err(Error::InvalidRange),
                z => z.parse().map_err(|_| Error::InvalidArgument)?,
            };
            if first > last || last >= so.size {
                return Err(Error::InvalidRange);
            }
            Some((first, last))
        }
    };
    check_quota(
        app,
        &b,
        range.map_or(so.size, |(first, last)| last - first + 1),
    )
    .await?;
    let got = app.objects.blobs.copy(&so.data, range).await?;
    let etag = record_part(app, &b, &up, num, got).await?;
    // radosgw writes this ETag bare (unlike every other one) and the time to the second.
    let now = crate::clock::now_us();
    let mut x = Xml::new();
    x.open_ns("CopyPartResult");
    x.elem("LastModified", &iso_ms(now - now % 1_000_000));
    x.elem("ETag", &etag);
    x.close("CopyPartResult");
    Ok(Reply::xml(x.finish()))
}

pub async fn complete(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let b = req.bucket()?;
    write_allowed(req, &b, "s3:PutObject")?;
    let id = upload_id(req)?.to_string();
    // The body is read first: radosgw answers MalformedXML before looking for the upload.
    let wanted = crate::encode::s3_read::complete_multipart(&body)?;
    let up = match app.uploads.get(&b.data_key(), &req.key, &id).await {
        Err(Error::NoSuchUpload) => return completed_before(app, req, &b, &wanted).await,
        up => up?,
    };
    let (writes, stored) = app.uploads.parts_for_close(&id).await?;
    let mut chosen: Vec<Stored<Part>> = Vec::new();
    for w in &wanted {
        let p = stored
            .iter()
            .find(|p| p.value.num == w.number && p.value.etag == w.etag)
            .ok_or(Error::InvalidPart)?;
        chosen.push(p.clone());
    }
    if chosen[..chosen.len() - 1]
        .iter()
        .any(|p| p.value.size < MIN_PART)
    {
        return Err(Error::EntityTooSmall);
    }
    let mut md5 = Md5::new();
    for p in &chosen {
        md5.update(hex::decode(&p.value.etag).unwrap_or_default());
    }
    let etag = format!("{}-{}", hex::encode(md5.finalize()), chosen.len());
    let size: u64 = chosen.iter().map(|p| p.value.size).sum();
    let u = &up.value;
    let meta = ObjectMeta {
        size,
        etag: etag.clone(),
        mtime_us: crate::clock::now_us(),
        content_type: u.content_type.clone(),
        headers: u.headers.clone(),
        data: chosen
            .iter()
            .map(|p| (p.value.data.clone(), p.value.size))
            .collect(),
        owner: u.owner.clone(),
        acl: u.acl.clone(),
        tags: u.tags.clone(),
        checksum: None,
        version_id: None,
        delete_marker: false,
        // Only the bucket's default: radosgw reads no lock headers on an upload.
        retention: super::object_lock::default_lock(&b, crate::clock::now_us()),
        legal_hold: None,
    };
    // Close the upload (checking no part was written since they were read, so a part
    // replaced meanwhile fails this instead of leaving the object on deleted data) and install the
    // object in one commit, which also moves the parts' counts to the object's. Parts the
    // list left out are deleted with the upload, so they stop counting too.
    let guard = Guard {
        with: Some((
            app.uploads.close_txn(&b.data_key(), &up, writes, &stored),
            Error::NoSuchUpload,
        )),
        ..Guard::default()
    };
    let version_id = app
        .objects
        .install(&app.buckets, &b, &req.key, meta, guard)
        .await?;
    let unused: Vec<String> = stored
        .iter()
        .filter(|p| !chosen.iter().any(|c| c.value.data == p.value.data))
        .map(|p| p.value.data.clone())
        .collect();
    app.objects.blobs.remove_all(unused).await;
    let r = completed(app, req, &b, &etag);
    Ok(match version_id {
        Some(v) => r.header(super::VERSION_ID, v),
        None => r,
    })
}

/// The answer to a completion. `Location` is radosgw's (`compute_domain_uri`): the S3
/// domain when one is set (its `rgw_dns_name`), else the scheme and the request's `Host`;
/// then `tenant:bucket` for a tenant's bucket, which also gets a `Tenant`, and the key.
fn completed(app: &App, req: &S3Request, b: &Bucket, etag: &str) -> Reply {
    let base = if app.cfg.s3_domain.is_empty() {
        let scheme = if req.peer.tls { "https" } else { "http" };
        format!("{scheme}://{}", req.header("host").unwrap_or_default())
    } else {
        app.cfg.s3_domain.clone()
    };
    let mut x = Xml::new();
    x.open_ns("CompleteMultipartUploadResult");
    if b.tenant.is_empty() {
        x.elem("Location", &format!("{base}/{}/{}", b.name, req.key));
    } else {
        x.elem(
            "Location",
            &format!("{base}/{}:{}/{}", b.tenant, b.name, req.key),
        );
        x.elem("Tenant", &b.tenant);
    }
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("ETag", &quoted(etag));
    x.close("CompleteMultipartUploadResult");
    Reply::xml(x.finish())
}

/// A completion whose upload is gone: a client's retry of a completion that succeeded is
/// answered as the first was. radosgw keeps nothing for this (`check_previously_completed`):
/// it recomputes the multipart ETag from the part list sent and compares it with the ETag
/// of the object now at the key, so a retry succeeds for as long as that object is the
/// completed one; otherwise the upload does not exist.
async fn completed_before(
    app: &App,
    req: &S3Request,
    b: &Bucket,
    wanted: &[crate::encode::s3_read::CompletePart],
) -> Result<Reply> {
    let mut md5 = Md5::new();
    for w in wanted {
        md5.update(hex::decode(&w.etag).map_err(|_| Error::NoSuchUpload)?);
    }
    let etag = format!("{}-{}", hex::encode(md5.finalize()), wanted.len());
    match app.objects.get(&b.data_key(), &req.key).await? {
        Some(o) if o.etag == etag => Ok(completed(app, req, b, &etag)),
        _ => Err(Error::NoSuchUpload),
    }
}

pub async fn abort(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    write_allowed(req, &b, "s3:AbortMultipartUpload")?;
    let id = upload_id(req)?.to_string();
    let up = app.uploads.get(&b.data_key(), &req.key, &id).await?;
    app.uploads
        .abort(&app.objects.blobs, &b.data_key(), &up)
        .await
        .map_err(|e| match e {
            Error::ServiceUnavailable => Error::NoSuchUpload,
            e => e,
        })?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

fn owner_xml(x: &mut Xml, tag: &str, id: &str, name: &str) {
    x.open(tag);
    x.elem("ID", id);
    x.elem("DisplayName", name);
    x.close(tag);
}

pub async fn list_parts(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, Some(&req.key), "s3:ListMultipartUploadParts");
    authz::s3(&asked, &b.owner, &b.acl, perm::READ, OpKind::Read)?;
    // radosgw reads the upload (as the object whose ACL it checks) before the op reads its
    // parameters; 16.2 calls a missing one NoSuchKey.
    let found = async {
        let id = upload_id(req)?;
        let up = app.uploads.get(&b.data_key(), &req.key, id).await?.value;
        Ok((id.to_string(), up))
    };
    let (id, up) = found.await.map_err(|e| match e {
        Error::NoSuchUpload if app.cfg.compat == Compat::Pacific => Error::NoSuchKey,
        e => e,
    })?;
    let marker = numbers::strict(req.query.get("part-number-marker"))?.unwrap_or(0);
    let max = numbers::bounded(req.query.get("max-parts"), 1000)?;
    let parts: Vec<Part> = app
        .uploads
        .parts(&id)
        .await?
        .into_iter()
        .map(|p| p.value)
        .filter(|p| i64::from(p.num) > i64::from(marker))
        .collect();
    let truncated = parts.len() > max;
    let parts = &parts[..parts.len().min(max)];
    let name = app.users.display_name(&up.owner).await;
    let mut x = Xml::new();
    x.open_ns("ListPartsResult");
    x.elem("Bucket", &b.name);
    x.elem("Key", &req.key);
    x.elem("UploadId", &id);
    // radosgw 16.2's order: no Initiator, the Owner after IsTruncated (with an empty id and
    // name at `pacific`, as 16.2 reads them from the upload's ACL, which has none).
    x.elem("StorageClass", "STANDARD");
    x.num("PartNumberMarker", marker);
    x.num(
        "NextPartNumberMarker",
        parts.last().map_or(i64::from(marker), |p| i64::from(p.num)),
    );
    x.num("MaxParts", max);
    x.bool("IsTruncated", truncated);
    if app.cfg.compat == Compat::Pacific {
        owner_xml(&mut x, "Owner", "", "");
    } else {
        owner_xml(&mut x, "Owner", &up.owner, &name);
    }
    for p in parts {
        x.open("Part");
        x.elem("LastModified", &iso_ms(p.mtime_us));
        x.num("PartNumber", p.num);
        x.elem("ETag", &quoted(&p.etag));
        x.num("Size", p.size);
        x.close("Part");
    }
    x.close("ListPartsResult");
    Ok(Reply::xml(x.finish()))
}

pub async fn list_uploads(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:ListBucketMultipartUploads");
    authz::s3(&asked, &b.owner, &b.acl, perm::READ, OpKind::Read)?;
    let q = &req.query;
    let prefix = q.get("prefix").unwrap_or("");
    let key_marker = q.get("key-marker").unwrap_or("");
    let id_marker = q.get("upload-id-marker").unwrap_or("");
    let max = numbers::bounded(q.get("max-uploads"), 1000)?;
    let delimiter = q.get("delimiter").unwrap_or("");
    // Keys and common prefixes URL-encoded, `/` kept; here (not in an object listing)
    // radosgw refuses any other encoding, an empty one included.
    let url = q.get("encoding-type").is_some();
    if url && !listing::url_encoding(q) {
        return Err(Error::InvalidArgument.saying("Invalid Encoding Method specified in Request"));
    }
    let markers = (key_marker, id_marker);
    let mut page = (app.uploads)
        .list_page(&b.data_key(), prefix, delimiter, markers, max)
        .await?;
    // radosgw 16.2 leaves out the uploads a delimiter rolls up and names no common prefix
    // (it never copies them out of its listing); 17 and later list them, as AWS does.
    if app.cfg.compat == Compat::Pacific {
        page.prefixes.clear();
        page.next_marker = page
            .entries
            .last()
            .map_or_else(String::new, |u| u.key.clone());
    }
    let mut x = Xml::new();
    x.open_ns("ListMultipartUploadsResult");
    // radosgw's order; empty markers, prefix and delimiter are left out.
    x.elem("Bucket", &b.name);
    for (tag, v) in [
        ("Prefix", prefix),
        ("KeyMarker", key_marker),
        ("UploadIdMarker", id_marker),
    ] {
        if !v.is_empty() {
            x.elem(tag, v);
        }
    }
    // The page's last entry: an upload, or a common prefix (the next page resumes past it).
    match page.entries.last() {
        Some(last) if last.key == page.next_marker => {
            x.elem("NextKeyMarker", &last.key);
            x.elem("NextUploadIdMarker", &last.id);
        }
        _ if !page.next_marker.is_empty() => x.elem("NextKeyMarker", &page.next_marker),
        _ => {}
    }
    x.num("MaxUploads", max);
    if !delimiter.is_empty() {
        x.elem("Delimiter", delimiter);
    }
    x.bool("IsTruncated", page.truncated);
    for u in &page.entries {
        let name = app.users.display_name(&u.owner).await;
        x.open("Upload");
        x.elem("Key", &listing::listed(url, &u.key, listing::URL_PREFIX));
        x.elem("UploadId", &u.id);
        owner_xml(&mut x, "Initiator", &u.owner, &name);
        owner_xml(&mut x, "Owner", &u.owner, &name);
        x.elem("StorageClass", "STANDARD");
        x.elem("Initiated", &iso_ms(u.initiated_us));
        x.close("Upload");
    }
    listing::common_prefixes(&mut x, url, &page.prefixes);
    x.close("ListMultipartUploadsResult");
    Ok(Reply::xml(x.finish()))
}
