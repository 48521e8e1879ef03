//! GetObjectAttributes (`GET ?attributes`): what HeadObject and ListParts would say of an
//! object, in one document, as AWS and radosgw 19 answer it. The attributes come from the
//! `x-amz-object-attributes` header (`ETag`, `Checksum`, `ObjectParts`, `StorageClass`,
//! `ObjectSize`; at least one, each known, else `InvalidArgument`); the parts of an object
//! completed from parts page by `x-amz-max-parts` and `x-amz-part-number-marker`.

use http::header::LAST_MODIFIED;

use super::{object_to_read, Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

const NAMES: [&str; 5] = [
    "ETag",
    "Checksum",
    "ObjectParts",
    "StorageClass",
    "ObjectSize",
];

/// Which of [`NAMES`] the request asks for.
fn requested(req: &S3Request) -> Result<[bool; 5]> {
    let mut want = [false; 5];
    for name in req
        .headers
        .get_all("x-amz-object-attributes")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
    {
        let i = NAMES
            .iter()
            .position(|n| *n == name)
            .ok_or(Error::InvalidArgument)?;
        want[i] = true;
    }
    if !want.contains(&true) {
        return Err(Error::InvalidArgument);
    }
    Ok(want)
}

/// A number header: absent is `default`, anything but a number `InvalidArgument`.
fn number(req: &S3Request, name: &str, default: usize) -> Result<usize> {
    match req.header(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| Error::InvalidArgument),
    }
}

pub async fn get(app: &App, req: &S3Request) -> Result<Reply> {
    let want = requested(req)?;
    let max = number(req, "x-amz-max-parts", 1000)?.min(1000);
    let marker = number(req, "x-amz-part-number-marker", 0)?;
    let b = req.bucket()?;
    let o = object_to_read(app, req, &b).await?;
    let asked = req.asked(&b, Some(&req.key), "s3:GetObject");
    authz::s3(&asked, &o.owner, &o.acl, perm::READ, OpKind::Read)?;
    let mut x = Xml::new();
    x.open_ns("GetObjectAttributesResponse");
    if want[0] {
        x.elem("ETag", &o.etag);
    }
    if let (true, Some((alg, value))) = (want[1], &o.checksum) {
        x.open("Checksum");
        x.elem(&format!("Checksum{alg}"), value);
        x.elem("ChecksumType", "FULL_OBJECT");
        x.close("Checksum");
    }
    if let (true, Some(parts)) = (want[2], o.parts()) {
        let listed: Vec<(usize, u64)> = parts
            .iter()
            .enumerate()
            .map(|(i, (_, n))| (i + 1, *n))
            .filter(|(n, _)| *n > marker)
            .take(max)
            .collect();
        let last = listed.last().map_or(marker, |(n, _)| *n);
        x.open("ObjectParts");
        x.num("PartsCount", parts.len());
        x.num("PartNumberMarker", marker);
        x.num("NextPartNumberMarker", last);
        x.num("MaxParts", max);
        x.bool("IsTruncated", last < parts.len());
        for (n, size) in listed {
            x.open("Part");
            x.num("PartNumber", n);
            x.num("Size", size);
            x.close("Part");
        }
        x.close("ObjectParts");
    }
    if want[3] {
        x.elem("StorageClass", "STANDARD");
    }
    if want[4] {
        x.num("ObjectSize", o.size);
    }
    x.close("GetObjectAttributesResponse");
    let r = Reply::xml(x.finish()).header(LAST_MODIFIED, crate::clock::http_date_us(o.mtime_us));
    Ok(super::with_version(r, req, &o))
}
