//! What an unsigned request may send: refused before its body is read when the op would
//! refuse it anyway, so that nobody without a key can make the gateway buffer a body.

use super::{object_to_write, S3Op};
use crate::authz::{self, Asked, Caller, OpKind};
use crate::domain::acl::perm;
use crate::domain::App;
use crate::error::{Error, Result};

/// May an anonymous request send `op`'s body? The op's own check, made before the body is
/// read, so that nobody without a key can make the gateway buffer one: the bucket must
/// exist and grant everyone the permission the op needs.
pub async fn anonymous_may_send_body(app: &App, bucket: &str, key: &str, op: S3Op) -> Result<()> {
    let caller = Caller::anonymous();
    // Only a signed caller creates a bucket, and only its owner sets its tags or CORS rules:
    // nobody unsigned owns one.
    if matches!(
        op,
        S3Op::CreateBucket
            | S3Op::PutBucketTagging
            | S3Op::PutBucketCors
            | S3Op::PutBucketPolicy
            | S3Op::PutBucketLifecycle
            | S3Op::PutPublicAccessBlock
            | S3Op::PutBucketObjectLock
            | S3Op::PutBucketRequestPayment
    ) {
        return Err(Error::AccessDenied);
    }
    let b = app
        .buckets
        .get(&crate::domain::buckets::named("", bucket))
        .await?
        .ok_or(Error::NoSuchBucket)?;
    // Nobody unsigned pays for requests.
    if b.requester_pays {
        return Err(Error::AccessDenied);
    }
    // A policy may grant strangers what the ACLs do not: the op decides, after the body
    // (bounded as every body is).
    if b.policy.is_some() {
        return Ok(());
    }
    let asked = Asked::without_policy(&caller);
    // The permission the op needs, and whether the object's ACL (else the bucket's) grants it.
    let (need, of_object) = match op {
        S3Op::DeleteObjects | S3Op::CompleteUpload => (perm::WRITE, false),
        S3Op::PutBucketAcl => (perm::WRITE_ACP, false),
        S3Op::PutObjectAcl => (perm::WRITE_ACP, true),
        S3Op::PutObjectTagging | S3Op::PutObjectRetention | S3Op::PutObjectLegalHold => {
            (perm::WRITE, true)
        }
        _ => return Ok(()),
    };
    if of_object {
        let o = object_to_write(app, &b, key, None).await?;
        return authz::s3(&asked, &o.owner, &o.acl(), need, OpKind::Write);
    }
    authz::s3(&asked, &b.owner, &b.acl, need, OpKind::Write)
}
