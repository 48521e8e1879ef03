//! Object lock as radosgw 16.2.15 answers it (probed: notes/probes-29 objlock.py and its
//! summary). A bucket has it only when created with `x-amz-bucket-object-lock-enabled: true`
//! (which turns versioning on for good); its configuration (`?object-lock`) may give new
//! versions a default retention; each version's retention and legal hold (`?retention`,
//! `?legal-hold`, or PutObject's `x-amz-object-lock-*` headers) keep it from being deleted
//! by id (`domain::object_lock`). In a bucket without it, every request answers what radosgw
//! answers there: the permission, the object, then `InvalidRequest` (`InvalidBucketState`
//! for the bucket's configuration).

use bytes::Bytes;
use http::StatusCode;
use hyper::HeaderMap;

use super::{Reply, S3Op, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::buckets::Bucket;
use crate::domain::object_lock::{DefaultRetention, LockMode, ObjectLock, Period, Retention};
use crate::domain::objects::ObjectMeta;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

const NOT_CONFIGURED: &str = "bucket object lock not configured";

/// `x-amz-bypass-governance-retention`: only `true`, in any case, counts.
pub fn bypass(req: &S3Request) -> bool {
    req.header("x-amz-bypass-governance-retention")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// CreateBucket's `x-amz-bucket-object-lock-enabled`: `true` or `false` in any case, else
/// `InvalidArgument` (and no bucket).
pub fn asked_on_create(h: &HeaderMap) -> Result<bool> {
    match h
        .get("x-amz-bucket-object-lock-enabled")
        .map(|v| v.as_bytes())
    {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case(b"true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case(b"false") => Ok(false),
        Some(_) => Err(Error::InvalidArgument),
    }
}

/// GET `?object-lock`: the bucket's configuration (a lock bucket without a rule has the
/// `ObjectLockEnabled` element alone), written without a namespace as radosgw writes it.
pub fn get_bucket(b: &Bucket) -> Result<Reply> {
    let lock = b
        .object_lock
        .as_ref()
        .ok_or(Error::ObjectLockConfigurationNotFound)?;
    let mut x = Xml::new();
    x.open("ObjectLockConfiguration");
    x.elem("ObjectLockEnabled", "Enabled");
    if let Some(d) = &lock.rule {
        x.open("Rule");
        x.open("DefaultRetention");
        x.elem("Mode", d.mode.as_str());
        match d.period {
            Period::Days(n) => x.num("Days", n),
            Period::Years(n) => x.num("Years", n),
        }
        x.close("DefaultRetention");
        x.close("Rule");
    }
    x.close("ObjectLockConfiguration");
    Ok(Reply::xml(x.finish()))
}

/// PUT `?object-lock`: the owner's; only a bucket created with object lock takes one (asked
/// before the body is read). A body radosgw cannot take is `MalformedXML`, a period of no
/// days or years `InvalidRetentionPeriod`.
pub async fn put_bucket(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |b: &Bucket| {
        if b.object_lock.is_none() {
            return Err(Error::InvalidBucketState.saying(
                "object lock configuration can't be set if bucket object lock not enabled",
            ));
        }
        let (enabled, rule) = crate::encode::s3_read::object_lock_configuration(&body)
            .map_err(|_| Error::MalformedXml)?;
        if enabled.as_deref() != Some("Enabled") {
            return Err(Error::MalformedXml);
        }
        let rule = match rule {
            None => None,
            Some(None) => return Err(Error::MalformedXml),
            Some(Some([mode, days, years])) => {
                let mode = mode
                    .as_deref()
                    .and_then(LockMode::parse)
                    .ok_or(Error::MalformedXml)?;
                let n = |v: &str| v.parse::<i64>().map_err(|_| Error::MalformedXml);
                let period = match (days.as_deref().map(n), years.as_deref().map(n)) {
                    (Some(d), None) => (d?, true),
                    (None, Some(y)) => (y?, false),
                    _ => return Err(Error::MalformedXml),
                };
                if period.0 <= 0 {
                    return Err(Error::InvalidRetentionPeriod
                        .saying("retention period must be a positive integer value"));
                }
                let n = period.0 as u64;
                Some(DefaultRetention {
                    mode,
                    period: if period.1 {
                        Period::Days(n)
                    } else {
                        Period::Years(n)
                    },
                })
            }
        };
        Ok(ObjectLock { rule })
    };
    let set = |b: &mut Bucket, lock: ObjectLock| b.object_lock = Some(lock);
    super::bucket::change_as_owner(app, req, "s3:PutBucketObjectLockConfiguration", parse, set)
        .await?;
    Ok(Reply::empty(StatusCode::OK))
}

/// GET and PUT `?retention` and `?legal-hold` of an object version (`versionId`, else the
/// current one): the object's permission, the object, then whether the bucket has object
/// lock, then the document.
pub async fn object(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
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
    if b.object_lock.is_none() {
        return Err(Error::InvalidRequest.saying(message));
    }
    let mut x = Xml::new();
    match req.op {
        S3Op::GetObjectRetention => {
            let r = o.retention.ok_or(Error::ObjectLockConfigurationNotFound)?;
            x.open("Retention");
            x.elem("Mode", r.mode.as_str());
            x.elem(
                "RetainUntilDate",
                &crate::clock::iso8601_ns(r.until_s, r.until_ns),
            );
            x.close("Retention");
        }
        S3Op::GetObjectLegalHold => {
            let on = o.legal_hold.ok_or(Error::ObjectLockConfigurationNotFound)?;
            x.open("LegalHold");
            x.elem("Status", if on { "ON" } else { "OFF" });
            x.close("LegalHold");
        }
        S3Op::PutObjectRetention => {
            let (mode, until) =
                crate::encode::s3_read::retention(&body).map_err(|_| Error::MalformedXml)?;
            let mode = mode
                .as_deref()
                .and_then(LockMode::parse)
                .ok_or(Error::MalformedXml)?;
            let (until_s, until_ns) = until
                .as_deref()
                .and_then(crate::clock::parse_iso8601)
                .ok_or(Error::MalformedXml)?;
            let new = Retention {
                mode,
                until_s,
                until_ns,
            };
            if !new.active(crate::clock::now_us()) {
                return Err(
                    Error::InvalidArgument.saying("the retain-until date must be in the future")
                );
            }
            let bypass = bypass(req);
            app.objects
                .update(&b.data_key(), &req.key, req.version_id(), |o| {
                    replace_retention(o.retention, new, bypass)?;
                    o.retention = Some(new);
                    Ok(())
                })
                .await?;
            return Ok(Reply::empty(StatusCode::OK));
        }
        _ => {
            let status =
                crate::encode::s3_read::legal_hold(&body).map_err(|_| Error::MalformedXml)?;
            let on = match status.as_deref() {
                Some("ON") => true,
                Some("OFF") => false,
                _ => return Err(Error::MalformedXml),
            };
            app.objects
                .update(&b.data_key(), &req.key, req.version_id(), |o| {
                    o.legal_hold = Some(on);
                    Ok(())
                })
                .await?;
            return Ok(Reply::empty(StatusCode::OK));
        }
    }
    Ok(Reply::xml(x.finish()))
}

/// Whether retention `new` may replace `old`, as radosgw decides: an earlier date only for
/// governance with the bypass (asked first), never compliance to governance, governance to
/// compliance only with the bypass. `AccessDenied`, with radosgw's words, otherwise.
fn replace_retention(old: Option<Retention>, new: Retention, bypass: bool) -> Result<()> {
    let Some(old) = old else { return Ok(()) };
    let governance = old.mode == LockMode::Governance;
    if (new.until_s, new.until_ns) < (old.until_s, old.until_ns) && !(governance && bypass) {
        return Err(Error::AccessDenied.saying(
            "proposed retain-until date shortens an existing retention period and governance \
             bypass check failed",
        ));
    }
    match (old.mode, new.mode) {
        (LockMode::Compliance, LockMode::Governance) => {
            Err(Error::AccessDenied
                .saying("can't change retention mode from COMPLIANCE to GOVERNANCE"))
        }
        (LockMode::Governance, LockMode::Compliance) if !bypass => Err(Error::AccessDenied
            .saying("can't change retention mode from GOVERNANCE without governance bypass")),
        _ => Ok(()),
    }
}

/// PutObject's `x-amz-object-lock-*` headers, read as radosgw reads them: the retention and
/// legal hold they ask for (the bucket's default retention is the writer's to add). A mode without a retain-until date or the reverse, a mode other than
/// `GOVERNANCE` or `COMPLIANCE`, a date radosgw cannot read or not in the future, a legal
/// hold other than `ON` or `OFF` are `InvalidArgument`; well-formed ones into a bucket
/// without object lock `InvalidRequest`. (Copies and multipart uploads ignore them.)
pub fn upload_lock(
    h: &HeaderMap,
    b: &Bucket,
    now_us: i64,
) -> Result<(Option<Retention>, Option<bool>)> {
    let get = |name: &str| h.get(name).map(|v| v.to_str().unwrap_or("\u{0}"));
    let mode = get("x-amz-object-lock-mode");
    let until = get("x-amz-object-lock-retain-until-date");
    let hold = get("x-amz-object-lock-legal-hold");
    let retention = match (mode, until) {
        (Some(m), Some(d)) => {
            let mode = LockMode::parse(m).ok_or(Error::InvalidArgument)?;
            let (until_s, until_ns) =
                crate::clock::parse_iso8601(d).ok_or(Error::InvalidArgument)?;
            let r = Retention {
                mode,
                until_s,
                until_ns,
            };
            if !r.active(now_us) {
                return Err(Error::InvalidArgument);
            }
            Some(r)
        }
        (None, None) => None,
        _ => return Err(Error::InvalidArgument),
    };
    let hold = match hold {
        None => None,
        Some("ON") => Some(true),
        Some("OFF") => Some(false),
        Some(_) => return Err(Error::InvalidArgument),
    };
    if b.object_lock.is_none() && (retention.is_some() || hold.is_some()) {
        return Err(Error::InvalidRequest);
    }
    Ok((retention, hold))
}

/// What a copy or a completion gets: the bucket's default retention from `now_us`.
pub fn default_lock(b: &Bucket, now_us: i64) -> Option<Retention> {
    b.object_lock.as_ref()?.rule.map(|d| d.at(now_us))
}

/// A version's lock, as GET and HEAD name it after the ETag: its legal hold once one was
/// set, then its retention's mode and retain-until date.
pub fn with_lock_headers(mut r: Reply, o: &ObjectMeta) -> Reply {
    use http::HeaderName;
    if let Some(on) = o.legal_hold {
        r = r.header(
            HeaderName::from_static("x-amz-object-lock-legal-hold"),
            if on { "ON" } else { "OFF" },
        );
    }
    if let Some(ret) = o.retention {
        r = r
            .header(
                HeaderName::from_static("x-amz-object-lock-mode"),
                ret.mode.as_str(),
            )
            .header(
                HeaderName::from_static("x-amz-object-lock-retain-until-date"),
                crate::clock::iso8601_ns(ret.until_s, ret.until_ns),
            );
    }
    r
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

    fn bucket(lock: Option<ObjectLock>) -> Bucket {
        let text = r#"{"name":"b","tenant":"","id":"i","marker":"i","owner":"o",
            "creation_us":1,"mtime_us":5,"placement_rule":"default-placement",
            "quota":{"enabled":false,"check_on_raw":false,"max_size":-1,"max_size_kb":0,
            "max_objects":-1},"acl":{"grants":[]},"ver":3,"tag":"_t"}"#;
        let mut b: Bucket = serde_json::from_str(text).unwrap();
        b.object_lock = lock;
        b
    }

    #[test]
    fn upload_headers_as_radosgw_reads_them() {
        let now = crate::clock::parse_utime("2026-11-30T00:00:00Z").unwrap();
        let mode = "x-amz-object-lock-mode";
        let until = "x-amz-object-lock-retain-until-date";
        let hold = "x-amz-object-lock-legal-hold";
        let plain = bucket(None);
        let check = |p: &[(&'static str, &'static str)]| upload_lock(&headers(p), &plain, now);
        assert_eq!(check(&[]), Ok((None, None)));
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
            &[(mode, "COMPLIANCE"), (until, "2030-01-01T00:00:00")],
            &[(mode, "COMPLIANCE"), (until, "2030-01-01T00:00:00+00:00")],
            &[(mode, "COMPLIANCE"), (until, "20300101T000000Z")],
            &[(hold, "on")],
        ] {
            assert_eq!(check(bad), Err(Error::InvalidArgument), "{bad:?}");
        }
        // A lock bucket: the headers' retention (the default is added by the writer).
        let locked = bucket(Some(ObjectLock {
            rule: Some(DefaultRetention {
                mode: LockMode::Governance,
                period: Period::Days(1),
            }),
        }));
        let (r, h) = upload_lock(&headers(&[(hold, "ON")]), &locked, now).unwrap();
        assert_eq!((r, h), (None, Some(true)));
        assert_eq!(
            default_lock(&locked, now).map(|r| r.until_s),
            Some(now / 1_000_000 + 86_400)
        );
        let p = &[(mode, "COMPLIANCE"), (until, "2030-01-01 00:00:00.5Z")];
        let (r, h) = upload_lock(&headers(p), &locked, now).unwrap();
        assert_eq!(h, None);
        let r = r.unwrap();
        assert_eq!(r.mode, LockMode::Compliance);
        assert_eq!(
            crate::clock::iso8601_ns(r.until_s, r.until_ns),
            "2030-01-01T00:00:00.500000000Z"
        );
        for (v, want) in [
            ("True", Ok(true)),
            ("false", Ok(false)),
            ("1", Err(Error::InvalidArgument)),
        ] {
            let h = headers(&[("x-amz-bucket-object-lock-enabled", v)]);
            assert_eq!(asked_on_create(&h), want, "{v}");
        }
    }

    #[test]
    fn retention_changes_as_radosgw_allows_them() {
        let r = |mode, until_s| Retention {
            mode,
            until_s,
            until_ns: 0,
        };
        let (g, c) = (LockMode::Governance, LockMode::Compliance);
        assert!(replace_retention(None, r(c, 5), false).is_ok());
        assert!(replace_retention(Some(r(g, 10)), r(g, 20), false).is_ok());
        assert!(replace_retention(Some(r(g, 10)), r(g, 5), false).is_err());
        assert!(replace_retention(Some(r(g, 10)), r(g, 5), true).is_ok());
        assert!(replace_retention(Some(r(c, 10)), r(c, 5), true).is_err());
        assert!(replace_retention(Some(r(c, 10)), r(g, 20), true).is_err());
        assert!(replace_retention(Some(r(g, 10)), r(c, 20), false).is_err());
        assert!(replace_retention(Some(r(g, 10)), r(c, 20), true).is_ok());
    }
}
