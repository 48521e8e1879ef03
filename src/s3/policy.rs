//! A bucket's policy: `GET`/`PUT`/`DELETE ?policy` and `GET ?policyStatus`, answered as
//! radosgw 16.2.15 answers them (`tests/python/test_s3_bucket_policy.py`). The owner, or
//! whom the policy itself allows, may read or change it; what a policy grants or refuses
//! is decided in `authz` (the language is `domain::policy`).

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, ReplyBody, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::buckets::Bucket;
use crate::domain::policy::Policy;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// GetBucketPolicy: the text as it was put, `application/json`.
pub fn get(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    authz::owner_only(
        &req.asked(&b, None, "s3:GetBucketPolicy"),
        &b.owner,
        OpKind::Read,
    )?;
    let text = b.policy.clone().ok_or(Error::NoSuchBucketPolicy)?;
    let mut r = Reply::new(StatusCode::OK)
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_LENGTH, text.len().to_string());
    r.body = ReplyBody::Bytes(Bytes::from(text));
    Ok(r)
}

/// PutBucketPolicy: a policy radosgw's parser refuses is `InvalidArgument` and changes
/// nothing; a good one replaces the last (204).
pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |b: &Bucket| {
        let text = std::str::from_utf8(&body).map_err(|_| Error::InvalidArgument)?;
        let p = Policy::parse(text, &b.tenant)?;
        if b.public_access.is_some_and(|a| a.block_public_policy) && p.is_public() {
            return Err(Error::AccessDenied);
        }
        Ok(Some(text.to_string()))
    };
    change_as_owner(app, req, "s3:PutBucketPolicy", parse, set_policy).await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// DeleteBucketPolicy: 200 with an empty body, with or without a policy to delete.
pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    change_as_owner(app, req, "s3:DeleteBucketPolicy", |_| Ok(None), set_policy).await?;
    Ok(Reply::empty(StatusCode::OK))
}

fn set_policy(b: &mut Bucket, policy: Option<String>) {
    b.policy = policy;
}

/// GetBucketPolicyStatus: public when the policy allows anyone, or, as radosgw's
/// `RGWAccessControlPolicy::is_public`, the ACL grants everyone or every authenticated user.
pub fn status(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetBucketPolicyStatus");
    authz::owner_only(&asked, &b.owner, OpKind::Read)?;
    let by_policy = b.policy().is_some_and(|p| p.is_public());
    let by_acl = b.acl.is_public();
    let mut x = Xml::new();
    x.open_ns("PolicyStatus");
    x.bool("IsPublic", by_policy || by_acl);
    x.close("PolicyStatus");
    Ok(Reply::xml(x.finish()))
}
