//! Key layout, schema version 1. All keys are UTF-8; values are JSON.
//!
//! | key                         | value                                |
//! |-----------------------------|--------------------------------------|
//! | `meta/schema`               | `1`                                  |
//! | `user/<tenant$id>`          | `model::User`                        |
//! | `ak/<access key>`           | owning uid (`tenant$id`), S3 keys    |
//! | `swift/<uid:subuser>`       | owning uid, Swift keys               |
//! | `email/<email>`             | owning uid                           |
//! | `meta/ratelimit`            | global rate limits (`ratelimit.rs`)  |
//! | `usage/<owner>/<hour>/<bucket>/<category>` | usage counters (see below)  |
//!
//! A user's record and all its index entries change in one `Txn`, whose checks make the
//! uniqueness of uid, email, access key and swift id hold across concurrent writers.
//!
//! Usage log (`usage.rs`): `<hour>` is the start of the hour in unix seconds, 10 digits
//! zero-padded so keys sort by time within an owner; `<bucket>` is empty for requests
//! without a bucket and `-` for requests that named a missing bucket or key. The value is a
//! counter vector (`Txn::incr`): `[bytes_sent, bytes_received, ops, successful_ops]`.

pub const SCHEMA_KEY: &[u8] = b"meta/schema";
pub const SCHEMA_VERSION: &[u8] = b"1";

pub const USER: &str = "user/";
pub const ACCESS_KEY: &str = "ak/";
pub const SWIFT: &str = "swift/";
pub const EMAIL: &str = "email/";
pub const USAGE: &str = "usage/";

pub fn user(uid: &str) -> Vec<u8> {
    format!("{USER}{uid}").into_bytes()
}
pub fn access_key(ak: &str) -> Vec<u8> {
    format!("{ACCESS_KEY}{ak}").into_bytes()
}
pub fn swift(id: &str) -> Vec<u8> {
    format!("{SWIFT}{id}").into_bytes()
}
pub fn email(e: &str) -> Vec<u8> {
    format!("{EMAIL}{e}").into_bytes()
}

pub fn usage(owner: &str, hour: u64, bucket: &str, category: &str) -> Vec<u8> {
    format!("{USAGE}{owner}/{hour:010}/{bucket}/{category}").into_bytes()
}

/// Split a usage key; owner may hold any character, bucket and category no `/`.
pub fn parse_usage(key: &[u8]) -> Option<crate::usage::EntryKey> {
    let s = std::str::from_utf8(key).ok()?.strip_prefix(USAGE)?;
    let mut it = s.rsplitn(4, '/');
    let category = it.next()?;
    let bucket = it.next()?;
    let hour = it.next()?.parse().ok()?;
    let owner = it.next()?;
    Some(crate::usage::EntryKey {
        owner: owner.to_string(),
        bucket: bucket.to_string(),
        hour,
        category: category.to_string(),
    })
}
