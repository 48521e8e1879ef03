//! Object and bucket tags: `GET`/`PUT`/`DELETE ?tagging`, and `x-amz-tagging` on uploads.

use bytes::Bytes;
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::buckets::Bucket;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// S3's limits on a tag set: 10 tags on an object, 50 on a bucket (radosgw's too).
const MAX_TAGS: usize = 10;
const MAX_BUCKET_TAGS: usize = 50;
const MAX_KEY: usize = 128;
const MAX_VALUE: usize = 256;

/// Refuse a tag set radosgw refuses (`InvalidTag`): more than 10 tags, an empty or too
/// long key, a too long value. Repeated keys are kept, as radosgw keeps them.
pub fn validate(tags: &[(String, String)]) -> Result<()> {
    validate_at_most(tags, MAX_TAGS)
}

fn validate_at_most(tags: &[(String, String)], max: usize) -> Result<()> {
    if tags.len() > max {
        return Err(Error::InvalidTag);
    }
    for (k, v) in tags {
        if k.is_empty() || k.chars().count() > MAX_KEY || v.chars().count() > MAX_VALUE {
            return Err(Error::InvalidTag);
        }
    }
    Ok(())
}

/// Tags as radosgw keeps them: a map by key (byte order), repeated keys side by side.
pub fn sorted(mut tags: Vec<(String, String)>) -> Vec<(String, String)> {
    tags.sort_by(|a, b| a.0.cmp(&b.0));
    tags
}

/// The tags of an `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded); a bad set is
/// `InvalidArgument` here, as radosgw answers it.
pub fn from_header(v: &str) -> Result<Vec<(String, String)>> {
    let q = crate::query::Query::parse(v).map_err(|_| Error::InvalidArgument)?;
    let tags: Vec<(String, String)> = q
        .params()
        .map(|p| (p.name.to_string(), p.value.to_string()))
        .collect();
    validate(&tags).map_err(|_| Error::InvalidArgument)?;
    Ok(sorted(tags))
}

/// `<Tag><Key/><Value/></Tag>` for each tag (a tag set's, a lifecycle filter's).
pub fn write_tags(x: &mut Xml, tags: &[(String, String)]) {
    for (k, v) in tags {
        x.open("Tag");
        x.elem("Key", k);
        x.elem("Value", v);
        x.close("Tag");
    }
}

pub fn tagging_doc(tags: &[(String, String)]) -> String {
    let mut x = Xml::new();
    x.open_ns("Tagging");
    x.open("TagSet");
    write_tags(&mut x, tags);
    x.close("TagSet");
    x.close("Tagging");
    x.finish()
}

pub async fn get(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let o = super::object_to_read(app, req, &b).await?;
    let asked = req
        .asked(&b, Some(&req.key), "s3:GetObjectTagging")
        .with_object_tags(&o.tags);
    authz::s3(&asked, &o.owner, &o.acl, perm::READ, OpKind::Read)?;
    Ok(Reply::xml(tagging_doc(&o.tags)))
}

async fn set(
    app: &App,
    req: &S3Request,
    action: &'static str,
    tags: Vec<(String, String)>,
) -> Result<()> {
    let b = req.bucket()?;
    let o = super::object_to_write(app, &b, &req.key, req.version_id()).await?;
    let asked = req
        .asked(&b, Some(&req.key), action)
        .with_object_tags(&o.tags);
    authz::s3(&asked, &o.owner, &o.acl, perm::WRITE, OpKind::Write)?;
    app.objects
        .update(&b.data_key(), &req.key, req.version_id(), |o| {
            o.tags = tags.clone();
            Ok(())
        })
        .await?;
    Ok(())
}

pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let tags = crate::encode::s3_read::tagging(&body)?;
    validate(&tags)?;
    set(app, req, "s3:PutObjectTagging", sorted(tags)).await?;
    Ok(Reply::empty(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/xml"))
}

pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    set(app, req, "s3:DeleteObjectTagging", Vec::new()).await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// GetBucketTagging: the owner's alone (radosgw's `verify_bucket_owner_or_policy`);
/// `NoSuchTagSet` for a bucket whose tags were never put (or were deleted).
pub fn get_bucket(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    authz::owner_only(
        &req.asked(&b, None, "s3:GetBucketTagging"),
        &b.owner,
        OpKind::Read,
    )?;
    let tags = b.tags.as_ref().ok_or(Error::NoSuchTagSet)?;
    Ok(Reply::xml(tagging_doc(tags)))
}

/// Store a bucket's tags (`None`: remove them).
fn set_bucket_tags(b: &mut Bucket, tags: Option<Vec<(String, String)>>) {
    b.tags = tags;
}

/// PutBucketTagging: the whole set replaced (up to 50 tags).
pub async fn put_bucket(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = || {
        let tags = crate::encode::s3_read::tagging(&body)?;
        validate_at_most(&tags, MAX_BUCKET_TAGS)?;
        Ok(Some(sorted(tags)))
    };
    change_as_owner(
        app,
        req,
        "s3:PutBucketTagging",
        |_| parse(),
        set_bucket_tags,
    )
    .await?;
    Ok(Reply::empty(StatusCode::OK))
}

pub async fn delete_bucket(app: &App, req: &S3Request) -> Result<Reply> {
    change_as_owner(
        app,
        req,
        "s3:PutBucketTagging",
        |_| Ok(None),
        set_bucket_tags,
    )
    .await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        let t = |n: usize| -> Vec<(String, String)> {
            (0..n).map(|i| (format!("k{i}"), "v".into())).collect()
        };
        assert!(validate(&t(10)).is_ok());
        assert_eq!(validate(&t(11)), Err(Error::InvalidTag));
        assert!(validate(&[("a".into(), "1".into()), ("a".into(), "2".into())]).is_ok());
        assert_eq!(
            validate(&[("k".repeat(129), "v".into())]),
            Err(Error::InvalidTag)
        );
        assert_eq!(
            from_header("b=x%20y&a=1&just").unwrap(),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("just".into(), "".into())
            ]
        );
        assert_eq!(from_header("=v"), Err(Error::InvalidArgument));
    }
}
