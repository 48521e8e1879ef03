//! Bucket configurations read by one sub-resource each: object lock (kept by buckets created
//! with it: `object_lock`), and those this gateway never holds: default encryption,
//! notifications, logging. Reading one of those answers what radosgw answers for a bucket
//! that has none (checked against radosgw 16.2.15), so tools that read them by themselves —
//! s3cmd `info`, mc, terraform's bucket refresh — see an ordinary bucket instead of an
//! error. Setting or removing them stays `501 NotImplemented` (route/s3.rs).

use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// The configurations, each read by `GET /bucket?<sub-resource>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Config {
    ObjectLock,
    Encryption,
    Notification,
    Logging,
}

impl Config {
    /// radosgw's op name (the usage log's category, the request log's `op`).
    pub fn op_name(self) -> &'static str {
        match self {
            Config::ObjectLock => "get_bucket_object_lock",
            Config::Encryption => "get_bucket_encryption",
            Config::Notification => "pubsub_notifications_get_s3",
            Config::Logging => "get_bucket_logging",
        }
    }

    /// The policy action that reads it.
    fn action(self) -> &'static str {
        match self {
            Config::ObjectLock => "s3:GetBucketObjectLockConfiguration",
            Config::Encryption => "s3:GetBucketEncryption",
            Config::Notification => "s3:GetBucketNotification",
            Config::Logging => "s3:GetBucketLogging",
        }
    }
}

/// Read one of a bucket's configurations. Only its owner (or an admin), or whom the bucket
/// policy allows, may: radosgw's `verify_bucket_owner_or_policy`.
pub fn get(req: &S3Request, what: Config) -> Result<Reply> {
    let b = req.bucket()?;
    authz::owner_only(&req.asked(&b, None, what.action()), &b.owner, OpKind::Read)?;
    // radosgw writes the notification list without an XML declaration.
    let mut x = if what == Config::Notification {
        Xml::bare()
    } else {
        Xml::new()
    };
    match what {
        Config::ObjectLock => return super::object_lock::get_bucket(&b),
        // Encryption is refused on every upload (`object::refuse_encryption`), so no bucket
        // has a default: radosgw 17 and later (and AWS) answer this. 16.2 does not know the
        // sub-resource and lists the bucket instead.
        Config::Encryption => return Err(Error::ServerSideEncryptionConfigurationNotFound),
        Config::Notification => {
            // No notifications: radosgw 17+'s empty list, root element without a namespace
            // (16.2 has no S3 notifications unless enabled, and lists the bucket instead).
            x.open("NotificationConfiguration");
            x.close("NotificationConfiguration");
        }
        Config::Logging => {
            // Logging disabled: the element with nothing in it.
            x.open_ns("BucketLoggingStatus");
            x.close("BucketLoggingStatus");
        }
    }
    Ok(Reply::xml(x.finish()))
}
