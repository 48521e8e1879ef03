//! The one error type of the gateway, mapped once to radosgw's `Code` and HTTP status
//! (`rgw_http_s3_errors` in Ceph's `src/rgw/rgw_common.cc`).

/// Every failure a request can end in. Variants are named after radosgw's error codes, not
/// after the situation, because clients dispatch on the code: radosgw answers "remove a missing
/// key" with `InvalidAccessKeyId`, and so must we.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("InvalidArgument")]
    InvalidArgument,
    #[error("InvalidRequest")]
    InvalidRequest,
    #[error("InvalidBucketName")]
    InvalidBucketName,
    #[error("InvalidSecretKey")]
    InvalidSecretKey,
    #[error("InvalidKeyType")]
    InvalidKeyType,
    #[error("InvalidCapability")]
    InvalidCapability,
    #[error("InvalidTenantName")]
    InvalidTenantName,
    #[error("MalformedXML")]
    MalformedXml,
    #[error("XAmzContentSHA256Mismatch")]
    ContentSha256Mismatch,
    #[error("BadDigest")]
    BadDigest,
    #[error("InvalidDigest")]
    InvalidDigest,
    #[error("TooManyBuckets")]
    TooManyBuckets,
    #[error("IncompleteBody")]
    IncompleteBody,
    #[error("MissingContentLength")]
    MissingContentLength,
    #[error("AccessDenied")]
    AccessDenied,
    #[error("SignatureDoesNotMatch")]
    SignatureDoesNotMatch,
    #[error("InvalidAccessKeyId")]
    InvalidAccessKeyId,
    #[error("UserSuspended")]
    UserSuspended,
    #[error("RequestTimeTooSkewed")]
    RequestTimeTooSkewed,
    #[error("QuotaExceeded")]
    QuotaExceeded,
    #[error("NoSuchKey")]
    NoSuchKey,
    #[error("NoSuchBucket")]
    NoSuchBucket,
    #[error("NoSuchUser")]
    NoSuchUser,
    #[error("NoSuchSubUser")]
    NoSuchSubUser,
    #[error("NoSuchUpload")]
    NoSuchUpload,
    #[error("MethodNotAllowed")]
    MethodNotAllowed,
    #[error("RequestTimeout")]
    RequestTimeout,
    /// radosgw's `EEXIST`: also what it answers when removing a user who still owns buckets.
    #[error("BucketAlreadyExists")]
    BucketAlreadyExists,
    #[error("BucketAlreadyOwnedByYou")]
    BucketAlreadyOwnedByYou,
    #[error("UserAlreadyExists")]
    UserAlreadyExists,
    #[error("EmailExists")]
    EmailExists,
    #[error("KeyExists")]
    KeyExists,
    #[error("SubuserExists")]
    SubuserExists,
    #[error("BucketNotEmpty")]
    BucketNotEmpty,
    #[error("PreconditionFailed")]
    PreconditionFailed,
    #[error("InvalidRange")]
    InvalidRange,
    #[error("EntityTooLarge")]
    EntityTooLarge,
    #[error("EntityTooSmall")]
    EntityTooSmall,
    #[error("InvalidPart")]
    InvalidPart,
    #[error("InvalidPartOrder")]
    InvalidPartOrder,
    #[error("InternalError")]
    InternalError,
    #[error("NotImplemented")]
    NotImplemented,
    #[error("ServiceUnavailable")]
    ServiceUnavailable,
    #[error("SlowDown")]
    SlowDown,
    /// An unmapped errno in radosgw (e.g. `EIO`); carries the cause for the log only.
    #[error("UnknownError: {0}")]
    Unknown(String),
}

impl Error {
    /// radosgw's `Code` string as it appears in error bodies.
    pub fn code(&self) -> &'static str {
        use Error::*;
        match self {
            InvalidArgument => "InvalidArgument",
            InvalidRequest => "InvalidRequest",
            InvalidBucketName => "InvalidBucketName",
            InvalidSecretKey => "InvalidSecretKey",
            InvalidKeyType => "InvalidKeyType",
            InvalidCapability => "InvalidCapability",
            InvalidTenantName => "InvalidTenantName",
            MalformedXml => "MalformedXML",
            ContentSha256Mismatch => "XAmzContentSHA256Mismatch",
            BadDigest => "BadDigest",
            InvalidDigest => "InvalidDigest",
            TooManyBuckets => "TooManyBuckets",
            IncompleteBody => "IncompleteBody",
            MissingContentLength => "MissingContentLength",
            AccessDenied => "AccessDenied",
            SignatureDoesNotMatch => "SignatureDoesNotMatch",
            InvalidAccessKeyId => "InvalidAccessKeyId",
            UserSuspended => "UserSuspended",
            RequestTimeTooSkewed => "RequestTimeTooSkewed",
            QuotaExceeded => "QuotaExceeded",
            NoSuchKey => "NoSuchKey",
            NoSuchBucket => "NoSuchBucket",
            NoSuchUser => "NoSuchUser",
            NoSuchSubUser => "NoSuchSubUser",
            NoSuchUpload => "NoSuchUpload",
            MethodNotAllowed => "MethodNotAllowed",
            RequestTimeout => "RequestTimeout",
            BucketAlreadyExists => "BucketAlreadyExists",
            BucketAlreadyOwnedByYou => "BucketAlreadyOwnedByYou",
            UserAlreadyExists => "UserAlreadyExists",
            EmailExists => "EmailExists",
            KeyExists => "KeyExists",
            SubuserExists => "SubuserExists",
            BucketNotEmpty => "BucketNotEmpty",
            PreconditionFailed => "PreconditionFailed",
            InvalidRange => "InvalidRange",
            EntityTooLarge => "EntityTooLarge",
            EntityTooSmall => "EntityTooSmall",
            InvalidPart => "InvalidPart",
            InvalidPartOrder => "InvalidPartOrder",
            InternalError => "InternalError",
            NotImplemented => "NotImplemented",
            ServiceUnavailable => "ServiceUnavailable",
            SlowDown => "SlowDown",
            Unknown(_) => "UnknownError",
        }
    }

    /// The HTTP status radosgw sends with this code.
    pub fn status(&self) -> u16 {
        use Error::*;
        match self {
            InvalidArgument
            | InvalidRequest
            | InvalidBucketName
            | InvalidSecretKey
            | InvalidKeyType
            | InvalidCapability
            | InvalidTenantName
            | MalformedXml
            | ContentSha256Mismatch
            | BadDigest
            | InvalidDigest
            | TooManyBuckets
            | IncompleteBody
            | EntityTooLarge
            | EntityTooSmall
            | InvalidPart
            | InvalidPartOrder => 400,
            MissingContentLength => 411,
            AccessDenied
            | SignatureDoesNotMatch
            | InvalidAccessKeyId
            | UserSuspended
            | RequestTimeTooSkewed
            | QuotaExceeded => 403,
            NoSuchKey | NoSuchBucket | NoSuchUser | NoSuchSubUser | NoSuchUpload => 404,
            MethodNotAllowed => 405,
            RequestTimeout => 408,
            BucketAlreadyExists
            | BucketAlreadyOwnedByYou
            | UserAlreadyExists
            | EmailExists
            | KeyExists
            | SubuserExists
            | BucketNotEmpty => 409,
            PreconditionFailed => 412,
            InvalidRange => 416,
            NotImplemented => 501,
            ServiceUnavailable | SlowDown => 503,
            InternalError | Unknown(_) => 500,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
