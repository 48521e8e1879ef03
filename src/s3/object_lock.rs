//! Object lock, which no bucket has here. radosgw enables it only on a bucket created with
//! `x-amz-bucket-object-lock-enabled: true`, which also turns versioning on; this gateway
//! keeps versions but enforces no retention, so that create is refused (`NotImplemented`)
//! rather than answered with a bucket that would not hold what it was asked to. Every other object-lock request gets
//! the answer radosgw 16.2.15 gives for a bucket without it (probed): the permission, the
//! object, then `InvalidRequest` (`InvalidBucketState` for the bucket's configuration),
//! whatever a PUT's body says (it is read only to check it against its signature).

use hyper::HeaderMap;

use super::{Reply, S3Op, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::App;
use crate::error::{Error, Result};

const NOT_CONFIGURED: &str = "bucket object lock not configured";

/// GET and PUT `?retention` and `?legal-hold` of an object.
pub async fn object(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let (action, write, message) = match req.op {
        S3Op::GetObjectRetention => ("s3:GetObjectRetention", false, NOT_CONFIGURED),
        S3Op::GetObjectLegalHold => ("s3:GetObjectLegalHold", false, NOT_CONFIGURED),
        S3Op::PutObjectRetention => (
            "s3:PutObjectRetention",
            true,
            "object retention can't be set if bucket object lock not configured",
        ),
        _ => (
            "s3:PutObjectLegalHold",
            true,
            "object legal hold can't be set if bucket object lock not enabled",
        ),
    };
    let o = if write {
        super::object_to_write(app, &b, &req.key, req.version_id()).await?
    } else {
        super::object_to_read(app, req, &b).await?
    };
    let asked = req
        .asked(&b, Some(&req.key), action)
        .with_object_tags(&o.tags);
    let (p, kind) = if write {
        (perm::WRITE, OpKind::Write)
    } else {
        (perm::READ, OpKind::Read)
    };
    authz::s3(&asked, &o.owner, &o.acl, p, kind)?;
    Err(Error::InvalidRequest.saying(message))
}

/// PUT `?object-lock`: only a bucket created with object lock takes a configuration.
pub fn put_bucket(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:PutBucketObjectLockConfiguration");
    authz::owner_only(&asked, &b.owner, OpKind::Write)?;
    Err(Error::InvalidBucketState
        .saying("object lock configuration can't be set if bucket object lock not enabled"))
}

/// CreateBucket's `x-amz-bucket-object-lock-enabled` (`true` in any case, as radosgw reads it).
pub fn asked_on_create(h: &HeaderMap) -> bool {
    h.get("x-amz-bucket-object-lock-enabled")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"true"))
}

/// PutObject's `x-amz-object-lock-*` headers, read as radosgw reads them: a mode without a
/// retain-until date or the reverse, a mode other than `GOVERNANCE` or `COMPLIANCE`, a date
/// that is not ISO 8601 or not in the future, a legal hold other than `ON` or `OFF` are
/// `InvalidArgument`; well-formed ones are `InvalidRequest`, as no bucket has object lock.
/// (radosgw ignores them on a copy or a multipart upload, and so do we.)
pub fn refuse_upload_headers(h: &HeaderMap, now_us: i64) -> Result<()> {
    let get = |name: &str| h.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    let mode = get("x-amz-object-lock-mode");
    let until = get("x-amz-object-lock-retain-until-date");
    let hold = get("x-amz-object-lock-legal-hold");
    match (mode, until) {
        (Some(m), Some(d)) => {
            let future = crate::clock::parse_utime(d).is_some_and(|t| t > now_us);
            if !future || !matches!(m, "GOVERNANCE" | "COMPLIANCE") {
                return Err(Error::InvalidArgument);
            }
        }
        (None, None) => {}
        _ => return Err(Error::InvalidArgument),
    }
    if hold.is_some_and(|v| !matches!(v, "ON" | "OFF")) {
        return Err(Error::InvalidArgument);
    }
    if mode.is_some() || hold.is_some() {
        return Err(Error::InvalidRequest);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn upload_headers_as_radosgw_reads_them() {
        let now = crate::clock::parse_utime("2026-11-30T00:00:00Z").unwrap();
        let mode = "x-amz-object-lock-mode";
        let until = "x-amz-object-lock-retain-until-date";
        let hold = "x-amz-object-lock-legal-hold";
        let check = |p: &[(&'static str, &'static str)]| refuse_upload_headers(&headers(p), now);
        assert_eq!(check(&[]), Ok(()));
        assert_eq!(
            check(&[(mode, "GOVERNANCE"), (until, "2030-01-01T00:00:00Z")]),
            Err(Error::InvalidRequest)
        );
        assert_eq!(check(&[(hold, "OFF")]), Err(Error::InvalidRequest));
        for bad in [
            &[(mode, "GOVERNANCE")][..],
            &[(until, "2030-01-01T00:00:00Z")],
            &[(mode, "governance"), (until, "2030-01-01T00:00:00Z")],
            &[(mode, "COMPLIANCE"), (until, "2020-01-01T00:00:00Z")],
            &[(mode, "COMPLIANCE"), (until, "tomorrow")],
            &[(hold, "on")],
        ] {
            assert_eq!(check(bad), Err(Error::InvalidArgument), "{bad:?}");
        }
        assert!(asked_on_create(&headers(&[(
            "x-amz-bucket-object-lock-enabled",
            "True"
        )])));
        assert!(!asked_on_create(&headers(&[(
            "x-amz-bucket-object-lock-enabled",
            "false"
        )])));
    }
}
