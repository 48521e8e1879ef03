//! CopyObject: the source named by `x-amz-copy-source` (read by UploadPartCopy too), its
//! conditions, and the copy, which never shares data files with its source.

use super::*;

/// `x-amz-copy-source`: `[/]bucket/key[?versionId=..]`, URL-encoded. Split before decoding,
/// so an encoded `?` in a key is part of the key. (bucket, key, version).
pub fn copy_source(req: &S3Request) -> Result<(String, String, Option<String>)> {
    parse_copy_source(req.header("x-amz-copy-source").unwrap_or(""))
}

/// `/bucket/key[?versionId=v]`: split at `?` before decoding, so an encoded `?` stays in the
/// key (security review L6).
pub(super) fn parse_copy_source(src: &str) -> Result<(String, String, Option<String>)> {
    let (path, version) = match src.split_once('?') {
        Some((p, q)) => (
            p,
            crate::query::Query::parse(q)?
                .get("versionId")
                .filter(|v| !v.is_empty())
                .map(str::to_string),
        ),
        None => (src, None),
    };
    let path = crate::query::decode_path(path.trim_start_matches('/'))
        .map_err(|_| Error::InvalidArgument)?;
    let (sb, sk) = path.split_once('/').ok_or(Error::InvalidArgument)?;
    if sb.is_empty() || sk.is_empty() {
        return Err(Error::InvalidArgument);
    }
    Ok((sb.to_string(), sk.to_string(), version))
}

/// The source object of a copy, which the caller must be allowed to read.
pub async fn load_source(
    app: &App,
    req: &S3Request,
) -> Result<(std::sync::Arc<Bucket>, std::sync::Arc<ObjectMeta>)> {
    let (sb, sk, version) = copy_source(req)?;
    let sbucket = app
        .buckets
        .get(&crate::domain::buckets::named(req.caller.tenant(), &sb))
        .await?
        .ok_or(Error::NoSuchBucket)?;
    let so = crate::s3::object_to_write(app, &sbucket, &sk, version.as_deref()).await?;
    let asked = req.asked(&sbucket, Some(&sk), "s3:GetObject");
    authz::s3(&asked, &so.owner, &so.acl, perm::READ, OpKind::Read)?;
    // A copy has no 304: any failed condition on its source is 412.
    if copy_conditions(req, &so, "x-amz-copy-source-if-")?.is_some() {
        return Err(Error::PreconditionFailed);
    }
    Ok((sbucket, so))
}

/// The conditions of a copy on its source, named `<prefix>match` and so on: AWS's
/// `x-amz-copy-source-if-*`, or radosgw 16.2's own `x-amz-copy-if-*` (the only ones it
/// reads for CopyObject).
fn copy_conditions(req: &S3Request, so: &ObjectMeta, prefix: &str) -> Result<Option<StatusCode>> {
    use http::header::{IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_UNMODIFIED_SINCE};
    let mut h = HeaderMap::new();
    for (cond, to) in [
        ("match", IF_MATCH),
        ("none-match", IF_NONE_MATCH),
        ("modified-since", IF_MODIFIED_SINCE),
        ("unmodified-since", IF_UNMODIFIED_SINCE),
    ] {
        if let Some(v) = req.headers.get(format!("{prefix}{cond}").as_str()) {
            h.insert(to, v.clone());
        }
    }
    check_conditions(&h, &so.etag, so.mtime_us)
}

pub async fn copy(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, Some(&req.key), "s3:PutObject");
    authz::s3(&asked, &b.owner, &b.acl, perm::WRITE, OpKind::Write)?;
    // radosgw 16.2.15 copies without looking at encryption headers; it does check the class.
    check_storage_class(&req.headers)?;
    let (sbucket, so) = load_source(app, req).await?;
    // radosgw's names, answered as radosgw answers them: 412, or 304 for a source that
    // matches `If-None-Match` or is not newer than `If-Modified-Since`; nothing copied.
    if let Some(status) = copy_conditions(req, &so, "x-amz-copy-if-")? {
        return Ok(Reply::empty(status));
    }
    let replace = req.header("x-amz-metadata-directive") == Some("REPLACE");
    // A copy of an older version onto its own key restores it: that changes something.
    let (_, source_key, source_version) = copy_source(req)?;
    let onto_itself = sbucket.data_key() == b.data_key() && req.key == source_key && !replace;
    let of_current = match &source_version {
        None => true,
        Some(v) => (app.objects.get(&b.data_key(), &req.key).await?).is_some_and(|h| h.vid() == v),
    };
    if onto_itself && of_current {
        // radosgw's words (`RGWCopyObj::init_common`), which clients show as the reason.
        return Err(Error::InvalidRequest.saying(
            "This copy request is illegal because it is trying to copy an object to itself \
             without changing the object's metadata, storage class, website redirect location \
             or encryption attributes.",
        ));
    }
    let acl = upload_acl(app, req, &b).await?;
    let tags = match req.header("x-amz-tagging-directive") {
        Some("REPLACE") => match req.header("x-amz-tagging") {
            Some(t) => tagging::from_header(t)?,
            None => Vec::new(),
        },
        _ => so.tags.clone(),
    };
    let headers = if replace {
        stored_headers(&req.headers)?
    } else {
        so.headers.clone()
    };
    check_quota(app, &b, so.size).await?;
    // Copy the bytes into a new data file, so the two objects never share data.
    let Received { id, size, .. } = app.objects.blobs.copy(&so.data, None).await?;
    let now = crate::clock::now_us();
    // The source's lock goes with it into a bucket that has object lock (its default for a
    // source without one); lock headers on a copy are not read, as radosgw reads none.
    let (retention, legal_hold) = match (&b.object_lock, so.retention, so.legal_hold) {
        (None, _, _) => (None, None),
        (Some(_), None, None) => (crate::s3::object_lock::default_lock(&b, now), None),
        (Some(_), r, h) => (r, h),
    };
    let meta = ObjectMeta {
        size,
        etag: so.etag.clone(),
        mtime_us: now,
        content_type: if replace {
            req.header("content-type")
                .unwrap_or("binary/octet-stream")
                .to_string()
        } else {
            so.content_type.clone()
        },
        headers,
        data: vec![(id, size)],
        owner: upload_owner(req, &b),
        acl,
        tags,
        // The same bytes: the source's full-object checksum holds for the copy.
        checksum: so.checksum.clone(),
        version_id: None,
        delete_marker: false,
        retention,
        legal_hold,
    };
    let etag = meta.etag.clone();
    install(app, &b, &req.key, meta).await?;
    let mut x = Xml::new();
    x.open_ns("CopyObjectResult");
    x.elem("LastModified", &iso_ms(now));
    x.elem("ETag", &quoted(&etag));
    x.close("CopyObjectResult");
    Ok(Reply::xml(x.finish()))
}
