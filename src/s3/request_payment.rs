//! Requester pays (`?requestPayment`), as radosgw 16.2.15 keeps it (probed): the bucket's
//! owner says who pays for requests; on a requester-pays bucket every other caller must say
//! it will pay (`x-amz-request-payer: requester`, as a header or a query parameter) or is
//! refused whatever the ACLs grant, and an anonymous caller always is
//! (`verify_requester_payer_permission`). Answers to a paying caller carry
//! `x-amz-request-charged: requester`, and the usage log counts its requests as its own,
//! naming the bucket's owner and the payer.

use bytes::Bytes;
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, S3Request};
use crate::authz::{self, Caller, OpKind};
use crate::domain::buckets::Bucket;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// GetBucketRequestPayment: the owner's (or whom the bucket policy allows).
pub fn get(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetBucketRequestPayment");
    authz::owner_only(&asked, &b.owner, OpKind::Read)?;
    let mut x = Xml::new();
    x.open_ns("RequestPaymentConfiguration");
    x.elem(
        "Payer",
        if b.requester_pays {
            "Requester"
        } else {
            "BucketOwner"
        },
    );
    x.close("RequestPaymentConfiguration");
    Ok(Reply::xml(x.finish()))
}

/// PutBucketRequestPayment (200, empty). radosgw answers every body it cannot use, bad XML
/// included, with `InvalidArgument`; a configuration without `Payer` means the owner pays.
pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |_: &Bucket| {
        let payer =
            crate::encode::s3_read::request_payment(&body).map_err(|_| Error::InvalidArgument)?;
        match payer.as_deref().map(str::to_ascii_lowercase).as_deref() {
            None | Some("bucketowner") => Ok(false),
            Some("requester") => Ok(true),
            Some(_) => Err(Error::InvalidArgument),
        }
    };
    let set = |b: &mut Bucket, v: bool| b.requester_pays = v;
    change_as_owner(app, req, "s3:PutBucketRequestPayment", parse, set).await?;
    Ok(Reply::empty(StatusCode::OK))
}

/// The caller pays for this request on `b`: a requester-pays bucket, and not its owner.
pub fn pays(b: &Bucket, caller: &Caller) -> bool {
    b.requester_pays && caller.owner_id().is_none_or(|o| o != b.owner)
}

/// Refused before any grant is looked at: a caller who would pay and has not said it will
/// (anonymous callers cannot). Not for CopyObject: radosgw's copy checks the grants and
/// policies of its source and destination itself, never who pays (probed: a copy from or
/// into a requester-pays bucket needs no `x-amz-request-payer`; UploadPartCopy does).
pub fn refused(b: &Bucket, req: &S3Request) -> bool {
    if !pays(b, &req.caller) || req.op == super::S3Op::CopyObject {
        return false;
    }
    let said = req
        .header("x-amz-request-payer")
        .or_else(|| req.query.get("x-amz-request-payer"));
    req.caller.user.is_none() || !said.is_some_and(|v| v.eq_ignore_ascii_case("requester"))
}
