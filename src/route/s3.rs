//! S3 ops are chosen by level (service, bucket, object), method and the sub-resources the
//! query names. Every sub-resource radosgw knows is listed in [`SUBRESOURCES`]; a request
//! naming one that no rule consumes is `501 NotImplemented`, never the plain method (a
//! `DELETE /b?cors` must not delete the bucket). Other query parameters (`prefix`,
//! `x-id`, ...) are the op's to read or ignore.

use hyper::{HeaderMap, Method};

use crate::error::{Error, Result};
use crate::query::Query;
use crate::s3::bucket_config::Config;
use crate::s3::S3Op;

/// Query names radosgw treats as S3 sub-resources (`RGWHTTPArgs::sub_resources` and the
/// names its S3 handlers dispatch on).
pub const SUBRESOURCES: &[&str] = &[
    "accelerate",
    "acl",
    "analytics",
    "append",
    "attributes",
    "cors",
    "delete",
    "encryption",
    "intelligent-tiering",
    "inventory",
    "legal-hold",
    "lifecycle",
    "location",
    "logging",
    "mdsearch",
    "metrics",
    "notification",
    "object-lock",
    "ownershipControls",
    "partNumber",
    "policy",
    "policyStatus",
    "position",
    "publicAccessBlock",
    "replication",
    "requestPayment",
    "restore",
    "retention",
    "select",
    "select-type",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "usage",
    "versionId",
    "versioning",
    "versions",
    "website",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    Service,
    Bucket,
    Object,
}

/// Whether the rule wants an `x-amz-copy-source` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyHeader {
    Any,
    Yes,
    No,
}

struct Rule {
    level: Level,
    /// The methods the rule answers.
    methods: &'static [&'static str],
    /// Sub-resources that must be present.
    needs: &'static [&'static str],
    /// Sub-resources that may also be present (the op reads them).
    allows: &'static [&'static str],
    copy: CopyHeader,
    op: S3Op,
}

const fn rule(
    level: Level,
    methods: &'static [&'static str],
    needs: &'static [&'static str],
    allows: &'static [&'static str],
    copy: CopyHeader,
    op: S3Op,
) -> Rule {
    Rule {
        level,
        methods,
        needs,
        allows,
        copy,
        op,
    }
}

/// A bucket's sub-resource read by GET, and by HEAD (the same op, answered without its
/// body).
const fn read(sub: &'static [&'static str], op: S3Op) -> Rule {
    rule(Bucket, GET_HEAD, sub, &[], Any, op)
}

/// Reading a bucket configuration named by one sub-resource (`s3::bucket_config`).
const fn config(sub: &'static [&'static str], c: Config) -> Rule {
    read(sub, S3Op::GetBucketConfig(c))
}

const GET: &[&str] = &["GET"];
const HEAD: &[&str] = &["HEAD"];
const GET_HEAD: &[&str] = &["GET", "HEAD"];
const PUT: &[&str] = &["PUT"];
const POST: &[&str] = &["POST"];
const DELETE: &[&str] = &["DELETE"];
const OPTIONS: &[&str] = &["OPTIONS"];

const V: &[&str] = &["versionId"];
/// GET and HEAD may also read one part of an object uploaded in parts.
const VP: &[&str] = &["versionId", "partNumber"];

use CopyHeader::{Any, No, Yes};
use Level::{Bucket, Object, Service};

/// The table, first match wins.
const RULES: &[Rule] = &[
    rule(Service, GET, &[], &[], Any, S3Op::ListBuckets),
    rule(Service, GET, &["usage"], &[], Any, S3Op::GetUsage),
    read(&["location"], S3Op::GetBucketLocation),
    read(&["acl"], S3Op::GetBucketAcl),
    read(&["versioning"], S3Op::GetBucketVersioning),
    read(&["versions"], S3Op::ListObjectVersions),
    read(&["uploads"], S3Op::ListUploads),
    read(&["cors"], S3Op::GetBucketCors),
    read(&["tagging"], S3Op::GetBucketTagging),
    read(&["lifecycle"], S3Op::GetBucketLifecycle),
    read(&["policy"], S3Op::GetBucketPolicy),
    config(&["object-lock"], Config::ObjectLock),
    config(&["encryption"], Config::Encryption),
    config(&["notification"], Config::Notification),
    config(&["logging"], Config::Logging),
    read(&["requestPayment"], S3Op::GetBucketRequestPayment),
    read(&["policyStatus"], S3Op::GetBucketPolicyStatus),
    read(&["publicAccessBlock"], S3Op::GetPublicAccessBlock),
    rule(Bucket, GET, &[], &[], Any, S3Op::ListObjects),
    rule(Bucket, HEAD, &[], &[], Any, S3Op::HeadBucket),
    rule(Bucket, PUT, &["acl"], &[], Any, S3Op::PutBucketAcl),
    rule(Bucket, PUT, &["tagging"], &[], Any, S3Op::PutBucketTagging),
    rule(
        Bucket,
        PUT,
        &["versioning"],
        &[],
        Any,
        S3Op::PutBucketVersioning,
    ),
    rule(
        Bucket,
        PUT,
        &["object-lock"],
        &[],
        Any,
        S3Op::PutBucketObjectLock,
    ),
    rule(Bucket, PUT, &["cors"], &[], Any, S3Op::PutBucketCors),
    rule(Bucket, PUT, &["policy"], &[], Any, S3Op::PutBucketPolicy),
    rule(
        Bucket,
        PUT,
        &["requestPayment"],
        &[],
        Any,
        S3Op::PutBucketRequestPayment,
    ),
    rule(
        Bucket,
        PUT,
        &["publicAccessBlock"],
        &[],
        Any,
        S3Op::PutPublicAccessBlock,
    ),
    rule(
        Bucket,
        PUT,
        &["lifecycle"],
        &[],
        Any,
        S3Op::PutBucketLifecycle,
    ),
    rule(Bucket, PUT, &[], &[], Any, S3Op::CreateBucket),
    rule(
        Bucket,
        DELETE,
        &["tagging"],
        &[],
        Any,
        S3Op::DeleteBucketTagging,
    ),
    rule(Bucket, DELETE, &["cors"], &[], Any, S3Op::DeleteBucketCors),
    rule(
        Bucket,
        DELETE,
        &["publicAccessBlock"],
        &[],
        Any,
        S3Op::DeletePublicAccessBlock,
    ),
    rule(
        Bucket,
        DELETE,
        &["lifecycle"],
        &[],
        Any,
        S3Op::DeleteBucketLifecycle,
    ),
    rule(
        Bucket,
        DELETE,
        &["policy"],
        &[],
        Any,
        S3Op::DeleteBucketPolicy,
    ),
    rule(Bucket, DELETE, &[], &[], Any, S3Op::DeleteBucket),
    rule(Bucket, POST, &["delete"], &[], Any, S3Op::DeleteObjects),
    rule(Bucket, POST, &[], &[], Any, S3Op::PostObject),
    rule(Bucket, OPTIONS, &[], &[], Any, S3Op::Options),
    rule(Object, GET_HEAD, &["acl"], V, Any, S3Op::GetObjectAcl),
    rule(
        Object,
        GET_HEAD,
        &["tagging"],
        V,
        Any,
        S3Op::GetObjectTagging,
    ),
    rule(
        Object,
        GET,
        &["retention"],
        V,
        Any,
        S3Op::GetObjectRetention,
    ),
    rule(
        Object,
        GET,
        &["legal-hold"],
        V,
        Any,
        S3Op::GetObjectLegalHold,
    ),
    rule(
        Object,
        GET,
        &["attributes"],
        V,
        Any,
        S3Op::GetObjectAttributes,
    ),
    rule(Object, GET, &["uploadId"], &[], Any, S3Op::ListParts),
    rule(Object, GET, &[], VP, Any, S3Op::GetObject),
    rule(Object, HEAD, &[], VP, Any, S3Op::HeadObject),
    rule(Object, PUT, &["acl"], V, Any, S3Op::PutObjectAcl),
    rule(Object, PUT, &["tagging"], V, Any, S3Op::PutObjectTagging),
    rule(
        Object,
        PUT,
        &["retention"],
        V,
        Any,
        S3Op::PutObjectRetention,
    ),
    rule(
        Object,
        PUT,
        &["legal-hold"],
        V,
        Any,
        S3Op::PutObjectLegalHold,
    ),
    rule(
        Object,
        PUT,
        &["uploadId", "partNumber"],
        &[],
        Yes,
        S3Op::UploadPartCopy,
    ),
    rule(
        Object,
        PUT,
        &["uploadId", "partNumber"],
        &[],
        No,
        S3Op::UploadPart,
    ),
    rule(Object, PUT, &[], &[], Yes, S3Op::CopyObject),
    rule(Object, PUT, &[], &[], No, S3Op::PutObject),
    rule(Object, POST, &["uploads"], &[], Any, S3Op::CreateUpload),
    rule(Object, POST, &["uploadId"], &[], Any, S3Op::CompleteUpload),
    // radosgw takes a form posted to an object's path as one posted to its bucket (the
    // form names the key).
    rule(Object, POST, &[], &[], Any, S3Op::PostObject),
    rule(
        Object,
        DELETE,
        &["tagging"],
        V,
        Any,
        S3Op::DeleteObjectTagging,
    ),
    rule(Object, DELETE, &["uploadId"], &[], Any, S3Op::AbortUpload),
    rule(Object, DELETE, &[], V, Any, S3Op::DeleteObject),
    rule(Object, OPTIONS, &[], &[], Any, S3Op::Options),
];

/// Which S3 op a request is.
pub fn classify(
    method: &Method,
    bucket: &str,
    key: &str,
    q: &Query,
    headers: &HeaderMap,
) -> Result<S3Op> {
    let level = match (bucket.is_empty(), key.is_empty()) {
        (true, _) => Service,
        (false, true) => Bucket,
        (false, false) => Object,
    };
    let m = method.as_str();
    let present: Vec<&str> = SUBRESOURCES.iter().copied().filter(|s| q.has(s)).collect();
    let copy = headers.contains_key("x-amz-copy-source");
    let mut known_method = false;
    for r in RULES
        .iter()
        .filter(|r| r.level == level && r.methods.contains(&m))
    {
        known_method = true;
        let copy_ok = match r.copy {
            Any => true,
            Yes => copy,
            No => !copy,
        };
        if copy_ok
            && r.needs.iter().all(|n| present.contains(n))
            && present
                .iter()
                .all(|p| r.needs.contains(p) || r.allows.contains(p))
        {
            return Ok(r.op);
        }
    }
    if known_method {
        Err(Error::NotImplemented)
    } else {
        Err(Error::MethodNotAllowed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(m: &str, bucket: &str, key: &str, q: &str, copy: bool) -> Result<S3Op> {
        let mut h = HeaderMap::new();
        if copy {
            h.insert("x-amz-copy-source", "/b/src".parse().unwrap());
        }
        classify(
            &Method::from_bytes(m.as_bytes()).unwrap(),
            bucket,
            key,
            &Query::parse(q).unwrap(),
            &h,
        )
    }

    #[test]
    fn implemented_ops() {
        assert_eq!(op("GET", "", "", "", false), Ok(S3Op::ListBuckets));
        assert_eq!(
            op("GET", "b", "", "list-type=2&prefix=a", false),
            Ok(S3Op::ListObjects)
        );
        assert_eq!(
            op("GET", "b", "", "versions&prefix=a", false),
            Ok(S3Op::ListObjectVersions)
        );
        assert_eq!(op("PUT", "b", "", "acl", false), Ok(S3Op::PutBucketAcl));
        assert_eq!(op("PUT", "b", "k", "", false), Ok(S3Op::PutObject));
        assert_eq!(
            op("PUT", "b", "k", "x-id=PutObject", false),
            Ok(S3Op::PutObject)
        );
        assert_eq!(op("PUT", "b", "k", "", true), Ok(S3Op::CopyObject));
        assert_eq!(
            op("PUT", "b", "k", "partNumber=1&uploadId=x", false),
            Ok(S3Op::UploadPart)
        );
        assert_eq!(
            op("PUT", "b", "k", "partNumber=1&uploadId=x", true),
            Ok(S3Op::UploadPartCopy)
        );
        assert_eq!(
            op("DELETE", "b", "k", "versionId=null", false),
            Ok(S3Op::DeleteObject)
        );
        assert_eq!(
            op("DELETE", "b", "k", "tagging", false),
            Ok(S3Op::DeleteObjectTagging)
        );
        assert_eq!(
            op("POST", "b", "", "delete", false),
            Ok(S3Op::DeleteObjects)
        );
        for (m, want) in [
            ("GET", S3Op::GetBucketTagging),
            ("HEAD", S3Op::GetBucketTagging),
            ("PUT", S3Op::PutBucketTagging),
            ("DELETE", S3Op::DeleteBucketTagging),
        ] {
            assert_eq!(op(m, "b", "", "tagging", false), Ok(want));
        }
        for (m, want) in [
            ("GET", S3Op::GetBucketCors),
            ("HEAD", S3Op::GetBucketCors),
            ("PUT", S3Op::PutBucketCors),
            ("DELETE", S3Op::DeleteBucketCors),
        ] {
            assert_eq!(op(m, "b", "", "cors", false), Ok(want));
        }
        for (m, sub, want) in [
            ("GET", "policy", S3Op::GetBucketPolicy),
            ("HEAD", "policy", S3Op::GetBucketPolicy),
            ("PUT", "policy", S3Op::PutBucketPolicy),
            ("DELETE", "policy", S3Op::DeleteBucketPolicy),
            ("GET", "policyStatus", S3Op::GetBucketPolicyStatus),
            ("GET", "lifecycle", S3Op::GetBucketLifecycle),
            ("PUT", "lifecycle", S3Op::PutBucketLifecycle),
            ("DELETE", "lifecycle", S3Op::DeleteBucketLifecycle),
            ("GET", "publicAccessBlock", S3Op::GetPublicAccessBlock),
            ("PUT", "publicAccessBlock", S3Op::PutPublicAccessBlock),
            ("DELETE", "publicAccessBlock", S3Op::DeletePublicAccessBlock),
        ] {
            assert_eq!(op(m, "b", "", sub, false), Ok(want));
        }
        for (m, sub) in [
            ("POST", "policy"),
            ("PUT", "policyStatus"),
            ("GET", "policy&acl"),
        ] {
            assert_eq!(op(m, "b", "", sub, false), Err(Error::NotImplemented));
        }
        assert_eq!(
            op("PUT", "b", "k", "policy", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(
            op("POST", "b", "", "tagging", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(
            op("GET", "b", "k", "partNumber=2", false),
            Ok(S3Op::GetObject)
        );
        assert_eq!(
            op("HEAD", "b", "k", "partNumber=2&versionId=null", false),
            Ok(S3Op::HeadObject)
        );
        assert_eq!(
            op("GET", "b", "k", "partNumber=2&uploadId=u", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(
            op("GET", "b", "k", "attributes&versionId=null", false),
            Ok(S3Op::GetObjectAttributes)
        );
        assert_eq!(
            op("HEAD", "b", "k", "attributes", false),
            Err(Error::NotImplemented)
        );
        // A bucket's configuration is read; it is never set, and an object has none.
        for (sub, c) in [
            ("object-lock", Config::ObjectLock),
            ("encryption", Config::Encryption),
            ("notification", Config::Notification),
            ("logging", Config::Logging),
        ] {
            for m in ["GET", "HEAD"] {
                assert_eq!(op(m, "b", "", sub, false), Ok(S3Op::GetBucketConfig(c)));
            }
            for m in ["PUT", "DELETE", "POST"] {
                if (m, sub) != ("PUT", "object-lock") {
                    assert_eq!(op(m, "b", "", sub, false), Err(Error::NotImplemented));
                }
            }
            assert_eq!(op("GET", "b", "k", sub, false), Err(Error::NotImplemented));
        }
    }

    /// Who pays is read and set; it is never deleted, and an object has no such setting.
    #[test]
    fn request_payment_requests() {
        for m in ["GET", "HEAD"] {
            assert_eq!(
                op(m, "b", "", "requestPayment", false),
                Ok(S3Op::GetBucketRequestPayment)
            );
        }
        assert_eq!(
            op("PUT", "b", "", "requestPayment", false),
            Ok(S3Op::PutBucketRequestPayment)
        );
        for m in ["DELETE", "POST"] {
            assert_eq!(
                op(m, "b", "", "requestPayment", false),
                Err(Error::NotImplemented)
            );
        }
        for m in ["GET", "PUT"] {
            assert_eq!(
                op(m, "b", "k", "requestPayment", false),
                Err(Error::NotImplemented)
            );
        }
    }

    /// Object lock, which no bucket has here, answered as radosgw answers a bucket without
    /// it (`s3::object_lock`); what radosgw has no op for stays 501.
    #[test]
    fn object_lock_requests() {
        assert_eq!(
            op("PUT", "b", "", "object-lock", false),
            Ok(S3Op::PutBucketObjectLock)
        );
        for (sub, get, put) in [
            (
                "retention",
                S3Op::GetObjectRetention,
                S3Op::PutObjectRetention,
            ),
            (
                "legal-hold",
                S3Op::GetObjectLegalHold,
                S3Op::PutObjectLegalHold,
            ),
        ] {
            assert_eq!(op("GET", "b", "k", sub, false), Ok(get));
            assert_eq!(op("PUT", "b", "k", sub, false), Ok(put));
            for m in ["HEAD", "DELETE", "POST"] {
                assert_eq!(op(m, "b", "k", sub, false), Err(Error::NotImplemented));
            }
            assert_eq!(op("GET", "b", "", sub, false), Err(Error::NotImplemented));
        }
    }

    /// What the plain method would do to data is never reached through a sub-resource we
    /// do not serve.
    #[test]
    fn unknown_subresources_are_not_implemented() {
        for sub in [
            "website",
            "encryption",
            "replication",
            "versioning",
            "logging",
        ] {
            assert_eq!(
                op("DELETE", "b", "", sub, false),
                Err(Error::NotImplemented),
                "{sub}"
            );
            let put = match sub {
                "versioning" => Ok(S3Op::PutBucketVersioning),
                _ => Err(Error::NotImplemented),
            };
            assert_eq!(op("PUT", "b", "", sub, false), put, "{sub}");
        }
        for sub in ["restore", "torrent", "attributes", "select&select-type=2"] {
            assert_eq!(
                op("PUT", "b", "k", sub, false),
                Err(Error::NotImplemented),
                "{sub}"
            );
            assert_eq!(
                op("DELETE", "b", "k", sub, false),
                Err(Error::NotImplemented),
                "{sub}"
            );
        }
        assert_eq!(
            op("PUT", "b", "k", "append&position=0", false),
            Err(Error::NotImplemented)
        );
        // A form posted to a bucket or an object is a browser upload; with a sub-resource
        // we do not serve, it is not.
        assert_eq!(op("POST", "b", "", "", false), Ok(S3Op::PostObject));
        assert_eq!(op("POST", "b", "k", "x-id=1", false), Ok(S3Op::PostObject));
        assert_eq!(
            op("POST", "b", "k", "restore", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(
            op("POST", "b", "", "acl", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(
            op("PUT", "b", "k", "acl&tagging", false),
            Err(Error::NotImplemented)
        );
        assert_eq!(op("PUT", "", "", "", false), Err(Error::MethodNotAllowed));
        assert_eq!(
            op("PATCH", "b", "k", "", false),
            Err(Error::MethodNotAllowed)
        );
    }
}
