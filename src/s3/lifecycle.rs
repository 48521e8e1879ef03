//! A bucket's lifecycle configuration: `GET`/`PUT`/`DELETE ?lifecycle`, answered and shown
//! back as radosgw 16.2.15 does (`tests/python/test_s3_lifecycle.py`); the rules themselves
//! and the passes that apply them are `domain::lifecycle`.

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::buckets::Bucket;
use crate::domain::lifecycle::{self, Expiration, LcRule};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// GetBucketLifecycle(Configuration): the rules in radosgw's rendering (a filter shown in
/// place of the rule's prefix; a filter's prefix outside `<And>`, which only holds two or
/// more tags).
pub fn get(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetLifecycleConfiguration");
    authz::owner_only(&asked, &b.owner, OpKind::Read)?;
    let rules = b
        .lifecycle
        .as_ref()
        .ok_or(Error::NoSuchLifecycleConfiguration)?;
    let mut x = Xml::new();
    x.open_ns("LifecycleConfiguration");
    for r in rules {
        rule(&mut x, r);
    }
    x.close("LifecycleConfiguration");
    Ok(Reply::xml(x.finish()))
}

fn rule(x: &mut Xml, r: &LcRule) {
    x.open("Rule");
    x.elem("ID", &r.id);
    match &r.filter {
        Some(f) => {
            x.open("Filter");
            if !f.prefix.is_empty() {
                x.elem("Prefix", &f.prefix);
            }
            let and = f.tags.len() > 1;
            if and {
                x.open("And");
            }
            super::tagging::write_tags(x, &f.tags);
            if and {
                x.close("And");
            }
            x.close("Filter");
        }
        None => x.elem("Prefix", &r.prefix),
    }
    x.elem("Status", if r.enabled { "Enabled" } else { "Disabled" });
    if let Some(e) = &r.expiration {
        x.open("Expiration");
        match e {
            Expiration::Days(d) => x.num("Days", *d),
            Expiration::Date(d, _) => x.elem("Date", d),
            Expiration::ExpiredObjectDeleteMarker(m) => x.elem(
                "ExpiredObjectDeleteMarker",
                if *m { "true" } else { "false" },
            ),
        }
        x.close("Expiration");
    }
    if let Some(d) = r.noncurrent_days {
        x.open("NoncurrentVersionExpiration");
        x.num("NoncurrentDays", d);
        x.close("NoncurrentVersionExpiration");
    }
    if let Some(d) = r.abort_days {
        x.open("AbortIncompleteMultipartUpload");
        x.num("DaysAfterInitiation", d);
        x.close("AbortIncompleteMultipartUpload");
    }
    for t in &r.transitions {
        x.open("Transition");
        if let Some(d) = t.days {
            x.num("Days", d);
        }
        if let Some(d) = &t.date {
            x.elem("Date", d);
        }
        x.elem("StorageClass", &t.storage_class);
        x.close("Transition");
    }
    for (d, class) in &r.noncurrent_transitions {
        x.open("NoncurrentVersionTransition");
        x.num("NoncurrentDays", *d);
        x.elem("StorageClass", class);
        x.close("NoncurrentVersionTransition");
    }
    x.close("Rule");
}

/// An answer about object `key` (PUT, GET, HEAD) names when the bucket's rules will expire
/// it, as radosgw does: `x-amz-expiration: expiry-date="<HTTP date>", rule-id="<id>"`.
pub fn with_expiration(
    r: Reply,
    b: &Bucket,
    key: &str,
    tags: &[(String, String)],
    mtime_us: i64,
) -> Reply {
    let Some(rules) = &b.lifecycle else {
        return r;
    };
    match lifecycle::expiry(rules, key, tags, mtime_us.div_euclid(1_000_000)) {
        Some((at, id)) => r.header(
            http::HeaderName::from_static("x-amz-expiration"),
            format!(
                "expiry-date=\"{}\", rule-id=\"{id}\"",
                crate::clock::http_date_us(at * 1_000_000)
            ),
        ),
        None => r,
    }
}

fn set_rules(b: &mut Bucket, rules: Option<Vec<LcRule>>) {
    b.lifecycle = rules;
}

/// PutBucketLifecycle(Configuration): the whole configuration replaced (200, typed XML,
/// empty); one radosgw refuses is `MalformedXML` or `InvalidArgument` and changes nothing.
pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |_: &Bucket| {
        let rules = crate::encode::s3_read::lifecycle(&body)?;
        Ok(Some(lifecycle::rules_from_xml(rules)?))
    };
    change_as_owner(app, req, "s3:PutLifecycleConfiguration", parse, set_rules).await?;
    Ok(Reply::empty(StatusCode::OK).header(CONTENT_TYPE, "application/xml"))
}

/// DeleteBucketLifecycle: 204, with or without a configuration to delete.
pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    change_as_owner(
        app,
        req,
        "s3:PutLifecycleConfiguration",
        |_| Ok(None),
        set_rules,
    )
    .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT).header(CONTENT_TYPE, "application/xml"))
}
