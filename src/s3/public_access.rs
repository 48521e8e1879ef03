//! A bucket's public access block: `GET`/`PUT`/`DELETE ?publicAccessBlock`, answered as
//! radosgw 16.2.15 answers them (`tests/python/test_s3_public_access.py`). What the four
//! flags do is decided where ACLs and policies are: `authz` (IgnorePublicAcls,
//! RestrictPublicBuckets), `refuse_public_acl` (BlockPublicAcls) and the policy put
//! (BlockPublicPolicy).

use bytes::Bytes;
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::config::Compat;
use crate::domain::acl::PublicAccessBlock;
use crate::domain::buckets::Bucket;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// The configuration (all four off for a bucket without one), under radosgw's root
/// element, without a namespace.
pub fn get(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetBucketPublicAccessBlock");
    authz::owner_only(&asked, &b.owner, OpKind::Read)?;
    let p = b.public_access.unwrap_or_default();
    let mut x = Xml::new();
    x.open("BlockPublicAccessBlockConfiguration");
    x.bool("BlockPublicAcls", p.block_public_acls);
    x.bool("IgnorePublicAcls", p.ignore_public_acls);
    x.bool("BlockPublicPolicy", p.block_public_policy);
    x.bool("RestrictPublicBuckets", p.restrict_public_buckets);
    x.close("BlockPublicAccessBlockConfiguration");
    Ok(Reply::xml(x.finish()))
}

/// A flag as radosgw reads it: `true` or `false` in any case, absent = false.
fn flag(v: &Option<String>) -> Result<bool> {
    match v.as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        _ => Err(Error::MalformedXml),
    }
}

fn set(b: &mut Bucket, p: Option<PublicAccessBlock>) {
    b.public_access = p;
}

/// PutPublicAccessBlock: the whole configuration replaced (200, empty).
pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |_: &Bucket| {
        let [acls, ignore, policy, restrict] = crate::encode::s3_read::public_access_block(&body)?;
        Ok(Some(PublicAccessBlock {
            block_public_acls: flag(&acls)?,
            ignore_public_acls: flag(&ignore)?,
            block_public_policy: flag(&policy)?,
            restrict_public_buckets: flag(&restrict)?,
        }))
    };
    change_as_owner(app, req, "s3:PutBucketPublicAccessBlock", parse, set).await?;
    Ok(Reply::empty(StatusCode::OK))
}

/// DeletePublicAccessBlock: 200 as radosgw 16.2 answers, 204 at squid (as AWS, and
/// Ceph's s3-tests expect of later releases).
pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    change_as_owner(app, req, "s3:PutBucketPublicAccessBlock", |_| Ok(None), set).await?;
    Ok(Reply::empty(if app.cfg.compat >= Compat::Squid {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::OK
    }))
}
