//! The one error type of the gateway, mapped once to radosgw's `Code` and HTTP status
//! (`rgw_http_s3_errors` in Ceph's `src/rgw/rgw_common.cc`).
//!
//! Variants are named after radosgw's error codes, not after the situation, because clients
//! dispatch on the code: radosgw answers "remove a missing key" with `InvalidAccessKeyId`,
//! and so must we. The table below is the only place a code or a status is written.

use crate::store::{CommitError, StoreError};

macro_rules! errors {
    ($( $(#[$doc:meta])* $name:ident => ($code:literal, $status:literal), )*) => {
        /// Every failure a request can end in.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum Error {
            $( $(#[$doc])* $name, )*
            /// An unmapped errno in radosgw (e.g. `EIO`); carries the cause for the log only.
            Unknown(String),
            /// An error with the `Message` radosgw's op sets for this occurrence (a browser
            /// upload's form says which condition or field failed): see [`Error::saying`].
            Explained(Box<(Error, String)>),
        }

        impl Error {
            /// radosgw's `Code` string as it appears in error bodies.
            pub fn code(&self) -> &'static str {
                match self {
                    $( Error::$name => $code, )*
                    Error::Unknown(_) => "UnknownError",
                    Error::Explained(b) => b.0.code(),
                }
            }

            /// The HTTP status radosgw sends with this code.
            pub fn status(&self) -> u16 {
                match self {
                    $( Error::$name => $status, )*
                    Error::Unknown(_) => 500,
                    Error::Explained(b) => b.0.status(),
                }
            }
        }
    };
}

errors! {
    InvalidArgument => ("InvalidArgument", 400),
    InvalidRequest => ("InvalidRequest", 400),
    InvalidBucketName => ("InvalidBucketName", 400),
    /// CreateBucket naming another zonegroup or a placement that does not exist.
    InvalidLocationConstraint => ("InvalidLocationConstraint", 400),
    InvalidObjectName => ("InvalidObjectName", 400),
    InvalidSecretKey => ("InvalidSecretKey", 400),
    InvalidKeyType => ("InvalidKeyType", 400),
    InvalidCapability => ("InvalidCapability", 400),
    InvalidTenantName => ("InvalidTenantName", 400),
    MalformedXml => ("MalformedXML", 400),
    InvalidTag => ("InvalidTag", 400),
    UnresolvableGrantByEmailAddress => ("UnresolvableGrantByEmailAddress", 400),
    ContentSha256Mismatch => ("XAmzContentSHA256Mismatch", 400),
    BadDigest => ("BadDigest", 400),
    InvalidDigest => ("InvalidDigest", 400),
    TooManyBuckets => ("TooManyBuckets", 400),
    IncompleteBody => ("IncompleteBody", 400),
    EntityTooLarge => ("EntityTooLarge", 400),
    EntityTooSmall => ("EntityTooSmall", 400),
    InvalidPart => ("InvalidPart", 400),
    MetadataTooLarge => ("MetadataTooLarge", 400),
    /// AWS's code for a browser upload whose fields before the file pass its limit.
    MaxPostPreDataLengthExceeded => ("MaxPostPreDataLengthExceeded", 400),
    /// AWS's code for headers past 8 KiB (radosgw has no limit of its own).
    RequestHeaderSectionTooLarge => ("RequestHeaderSectionTooLarge", 400),
    /// A CORS preflight without `Origin` (radosgw answers OPTIONS so).
    BadRequest => ("BadRequest", 400),
    MissingContentLength => ("MissingContentLength", 411),
    AccessDenied => ("AccessDenied", 403),
    SignatureDoesNotMatch => ("SignatureDoesNotMatch", 403),
    InvalidAccessKeyId => ("InvalidAccessKeyId", 403),
    UserSuspended => ("UserSuspended", 403),
    RequestTimeTooSkewed => ("RequestTimeTooSkewed", 403),
    QuotaExceeded => ("QuotaExceeded", 403),
    NoSuchKey => ("NoSuchKey", 404),
    NoSuchBucket => ("NoSuchBucket", 404),
    NoSuchUser => ("NoSuchUser", 404),
    NoSuchSubUser => ("NoSuchSubUser", 404),
    NoSuchUpload => ("NoSuchUpload", 404),
    /// A bucket without the configuration asked for (none is ever stored here).
    NoSuchCorsConfiguration => ("NoSuchCORSConfiguration", 404),
    NoSuchLifecycleConfiguration => ("NoSuchLifecycleConfiguration", 404),
    NoSuchBucketPolicy => ("NoSuchBucketPolicy", 404),
    NoSuchTagSet => ("NoSuchTagSet", 404),
    ObjectLockConfigurationNotFound => ("ObjectLockConfigurationNotFoundError", 404),
    ServerSideEncryptionConfigurationNotFound =>
        ("ServerSideEncryptionConfigurationNotFoundError", 404),
    MethodNotAllowed => ("MethodNotAllowed", 405),
    RequestTimeout => ("RequestTimeout", 408),
    /// radosgw's `EEXIST`: also what it answers when removing a user who still owns buckets.
    BucketAlreadyExists => ("BucketAlreadyExists", 409),
    BucketAlreadyOwnedByYou => ("BucketAlreadyOwnedByYou", 409),
    UserAlreadyExists => ("UserAlreadyExists", 409),
    EmailExists => ("EmailExists", 409),
    KeyExists => ("KeyExists", 409),
    SubuserExists => ("SubuserExists", 409),
    BucketNotEmpty => ("BucketNotEmpty", 409),
    InvalidBucketState => ("InvalidBucketState", 409),
    /// An object lock default retention of no days or years.
    InvalidRetentionPeriod => ("InvalidRetentionPeriod", 400),
    /// radosgw 19's `ERR_ACCOUNT_EXISTS`: an account id, name or email already taken.
    AccountAlreadyExists => ("AccountAlreadyExists", 409),
    /// radosgw 19's `ERR_LIMIT_EXCEEDED`: e.g. a user created into an account at `max_users`.
    LimitExceeded => ("LimitExceeded", 409),
    PreconditionFailed => ("PreconditionFailed", 412),
    InvalidRange => ("InvalidRange", 416),
    /// A GET's `partNumber` past the object's parts (AWS's code; radosgw 16 ignores it).
    InvalidPartNumber => ("InvalidPartNumber", 416),
    InternalError => ("InternalError", 500),
    /// The disk is full (`ENOSPC`, `EDQUOT`): nothing was written. radosgw has no code of
    /// its own for it (its OSDs say `-ENOSPC`, an UnknownError 500 that clients retry); 507
    /// with S3's `InsufficientCapacity` tells clients and operators what happened.
    InsufficientCapacity => ("InsufficientCapacity", 507),
    NotImplemented => ("NotImplemented", 501),
    ServiceUnavailable => ("ServiceUnavailable", 503),
    SlowDown => ("SlowDown", 503),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unknown(cause) => write!(f, "UnknownError: {cause}"),
            e => f.write_str(e.code()),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// `self` answered with `message` as its `Message`.
    pub fn saying(self, message: impl Into<String>) -> Error {
        Error::Explained(Box::new((self, message.into())))
    }

    /// The `Message` radosgw's op sets with this code; empty for nearly all.
    pub fn message(&self) -> &str {
        match self {
            Error::Explained(b) => &b.1,
            Error::NoSuchBucketPolicy => "The bucket policy does not exist",
            Error::ServerSideEncryptionConfigurationNotFound => {
                "The server side encryption configuration was not found"
            }
            _ => "",
        }
    }

    /// A file-system error: `InsufficientCapacity` when the disk is full, else `Unknown`
    /// with `what` and the cause (for the log).
    pub fn io(what: &str, e: &std::io::Error) -> Error {
        if is_disk_full(e) {
            Error::InsufficientCapacity
        } else {
            Error::Unknown(format!("{what}: {e}"))
        }
    }
}

/// `ENOSPC` or `EDQUOT`.
pub fn is_disk_full(e: &std::io::Error) -> bool {
    e.kind() == std::io::ErrorKind::StorageFull || e.kind() == std::io::ErrorKind::QuotaExceeded
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Error {
        match e {
            StoreError::Unavailable => Error::ServiceUnavailable,
            StoreError::Full => Error::InsufficientCapacity,
            StoreError::Io(cause) => Error::Unknown(cause),
        }
    }
}

/// A conflict that survived every retry is a busy store, not a client error.
impl From<CommitError> for Error {
    fn from(e: CommitError) -> Error {
        match e {
            CommitError::Conflict => Error::ServiceUnavailable,
            CommitError::Store(e) => e.into(),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_table() {
        assert_eq!(Error::MalformedXml.code(), "MalformedXML");
        assert_eq!(Error::NoSuchKey.status(), 404);
        assert_eq!(Error::Unknown("x".into()).status(), 500);
        assert_eq!(Error::Unknown("x".into()).to_string(), "UnknownError: x");
        assert_eq!(
            Error::from(CommitError::Conflict),
            Error::ServiceUnavailable
        );
    }
}
