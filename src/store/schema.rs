//! Key layout, schema version 1. All keys are UTF-8; values are JSON.
//!
//! | key                         | value                                |
//! |-----------------------------|--------------------------------------|
//! | `meta/schema`               | `1`                                  |
//! | `user/<tenant$id>`          | `model::User`                        |
//! | `ak/<access key>`           | owning uid (`tenant$id`), S3 keys    |
//! | `swift/<uid:subuser>`       | owning uid, Swift keys               |
//! | `email/<email>`             | owning uid                           |
//!
//! A user's record and all its index entries change in one `Txn`, whose checks make the
//! uniqueness of uid, email, access key and swift id hold across concurrent writers.

pub const SCHEMA_KEY: &[u8] = b"meta/schema";
pub const SCHEMA_VERSION: &[u8] = b"1";

pub const USER: &str = "user/";
pub const ACCESS_KEY: &str = "ak/";
pub const SWIFT: &str = "swift/";
pub const EMAIL: &str = "email/";

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
