//! Key layout, schema version 2. Every key the gateway stores is built here. Keys are UTF-8
//! (object keys and uids as given); values are JSON records, counter vectors (`Txn::incr`)
//! or empty (pure index entries).
//!
//! | key                                   | value                                      |
//! |---------------------------------------|--------------------------------------------|
//! | `meta/schema`                         | `2`                                        |
//! | `meta/cluster_id`                     | the store's uuid (`/admin/info`)           |
//! | `meta/ratelimit`                      | global rate limits                         |
//! | `meta/ready/<instance id>`            | time of a gateway's last `/ready` probe    |
//! | `user/<uid>`                          | user record (`uid` = `tenant$id` or `id`)  |
//! | `uorder/<hash>/<uid>`                 | empty: users in radosgw's listing order    |
//! | `ak/<access key>`                     | owning uid (S3 keys, subusers' included)   |
//! | `swift/<uid:subuser>`                 | owning uid                                 |
//! | `email/<email>`                       | owning uid                                 |
//! | `bucket/<bkey>`                       | bucket record (`bkey` = `name` or `tenant:name`) |
//! | `border/<hash>/<bkey>`                | empty: buckets in radosgw's listing order  |
//! | `binst/<bkey>:<bucket id>`            | empty: bucket.instance keys, sorted        |
//! | `ubkt/<uid>/<bkey>`                   | empty: the user owns (is linked to) bucket |
//! | `bstats/<bkey>`                       | counters `[size, size_actual, objects, written, uploads, uploads_written]` |
//! | `bver/<bkey>`                         | counters: index version per shard          |
//! | `obj/<bkey>/<key>`                    | object index entry (the current version)   |
//! | `objv/<bkey>/<key*>\0<time><vid>`     | a noncurrent version or a delete marker    |
//! | `upload/<bkey>/<key>\0<upload id>`    | multipart upload in progress               |
//! | `part/<upload id>/<nnnnn>`            | uploaded part                              |
//! | `pseq/<upload id>`                    | counters `[part writes]` (see `Uploads::close_txn`) |
//! | `usage/<owner>/<hour>/<bucket>/<category>` | counters `[sent, received, ops, successful]` |
//! | `<counter>\0\xff<writer>-<n>`        | etcd only: one increment of a counter      |
//! | `wid/<writer>/<n>`                     | etcd only: a commit's write id (leased)    |
//!
//! `bstats`: the first four counters are radosgw's `rgw.main` (objects, and the parts of
//! uploads in progress), the last two `rgw.multimeta` (one per upload in progress); older
//! stores have only the first four, and missing counters read as zero.
//!
//! `<hash>` is the 8-hex-digit RADOS sort key of the record's radosgw object
//! (`ceph::rados_key`), so a prefix scan lists users and buckets in the order radosgw does
//! without holding them all in memory. A user's record and all its index entries change in
//! one `Txn`, whose checks make uid, email, access key and swift id unique across concurrent
//! writers; a bucket's record, order and instance entries and its owner's link likewise.
//!
//! Versions: `<key*>` is the object key with bytes 0 and 1 escaped (`\x01\x01`, `\x01\x02`),
//! so it holds no NUL, sorts as the key does and is a prefix of no other key's; `<time>` is
//! `u64::MAX - mtime_us` in 16 hex digits (newest first) and `<vid>` the version id (`null`
//! for the null version). A bucket that never had versioning has no `objv/` keys.
//!
//! Usage: `<hour>` is the start of the hour in unix seconds, 10 digits zero-padded so keys
//! sort by time within an owner; `<bucket>` is empty for requests without a bucket and `-`
//! for requests that named a missing bucket or key.

use crate::ceph::{rados_key, BUCKETS_NS, USERS_NS};

pub const SCHEMA_KEY: &[u8] = b"meta/schema";
pub const SCHEMA_VERSION: &[u8] = b"2";
pub const CLUSTER_ID: &[u8] = b"meta/cluster_id";
pub const GLOBAL_RATELIMIT: &[u8] = b"meta/ratelimit";

/// Written by a gateway's readiness probe, to prove the store takes writes.
pub fn ready_probe(instance: u64) -> Vec<u8> {
    format!("meta/ready/{instance}").into_bytes()
}

pub const USER: &str = "user/";
pub const USER_ORDER: &str = "uorder/";
pub const ACCESS_KEY: &str = "ak/";
pub const SWIFT: &str = "swift/";
pub const EMAIL: &str = "email/";
pub const BUCKET: &str = "bucket/";
pub const BUCKET_ORDER: &str = "border/";
pub const BUCKET_INSTANCE: &str = "binst/";
pub const USER_BUCKET: &str = "ubkt/";
pub const BUCKET_DATA: &str = "bdata/";
pub const OBJECT: &str = "obj/";
pub const OBJECT_VERSION: &str = "objv/";
pub const UPLOAD: &str = "upload/";
pub const PART: &str = "part/";
pub const USAGE: &str = "usage/";
/// A bucket's last lifecycle pass (`radosgw-admin lc list`), by the bucket's data key.
pub const LC_STATUS: &str = "lcst/";
/// Accounts (squid): `acct/<id>` → record, `acctname/<tenant>$<name>` → id, and
/// `acctuser/<id>/<uid>` → uid for each member. An account's email shares `email/` with
/// users (value `account:<id>`), so one address names one user or one account.
pub const ACCOUNT: &str = "acct/";
pub const ACCOUNT_NAME: &str = "acctname/";
pub const ACCOUNT_USER: &str = "acctuser/";
/// The value of an email index entry held by an account.
pub const ACCOUNT_EMAIL_OWNER: &str = "account:";

fn key(parts: &[&str]) -> Vec<u8> {
    let mut v = Vec::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        v.extend_from_slice(p.as_bytes());
    }
    v
}

pub fn user(uid: &str) -> Vec<u8> {
    key(&[USER, uid])
}
pub fn user_order(uid: &str) -> Vec<u8> {
    key(&[USER_ORDER, &order_hash(USERS_NS, uid), "/", uid])
}
/// The listing position of `uid` at or after RADOS hash `hash` (a radosgw cursor).
pub fn user_order_at(hash: u32, uid: &str) -> Vec<u8> {
    key(&[USER_ORDER, &format!("{hash:08x}"), "/", uid])
}
pub fn access_key(ak: &str) -> Vec<u8> {
    key(&[ACCESS_KEY, ak])
}
pub fn swift(id: &str) -> Vec<u8> {
    key(&[SWIFT, id])
}
pub fn email(e: &str) -> Vec<u8> {
    key(&[EMAIL, e])
}
pub fn account(id: &str) -> Vec<u8> {
    key(&[ACCOUNT, id])
}
pub fn account_name(tenant: &str, name: &str) -> Vec<u8> {
    key(&[ACCOUNT_NAME, tenant, "$", name])
}
pub fn account_user(id: &str, uid: &str) -> Vec<u8> {
    key(&[ACCOUNT_USER, id, "/", uid])
}
pub fn account_users(id: &str) -> Vec<u8> {
    key(&[ACCOUNT_USER, id, "/"])
}

pub fn bucket(bk: &str) -> Vec<u8> {
    key(&[BUCKET, bk])
}
pub fn bucket_order(bk: &str) -> Vec<u8> {
    key(&[BUCKET_ORDER, &order_hash(BUCKETS_NS, bk), "/", bk])
}
pub fn bucket_instance(bk: &str, id: &str) -> Vec<u8> {
    key(&[BUCKET_INSTANCE, bk, ":", id])
}
pub fn user_bucket(uid: &str, bk: &str) -> Vec<u8> {
    key(&[USER_BUCKET, uid, "/", bk])
}
pub fn user_buckets(uid: &str) -> Vec<u8> {
    key(&[USER_BUCKET, uid, "/"])
}
/// Which bucket holds the data space `dk` when it is not under its own name (a renamed
/// bucket's): a bucket made later under that name keeps its data elsewhere.
pub fn bucket_data(dk: &str) -> Vec<u8> {
    key(&[BUCKET_DATA, dk])
}
pub fn bucket_stats(bk: &str) -> Vec<u8> {
    key(&["bstats/", bk])
}
pub fn bucket_versions(bk: &str) -> Vec<u8> {
    key(&["bver/", bk])
}
pub fn lc_status(dk: &str) -> Vec<u8> {
    key(&[LC_STATUS, dk])
}

pub fn objects(bk: &str) -> Vec<u8> {
    key(&[OBJECT, bk, "/"])
}
pub fn object(bk: &str, k: &str) -> Vec<u8> {
    key(&[OBJECT, bk, "/", k])
}

/// Every noncurrent version and delete marker of a bucket.
pub fn object_versions(bk: &str) -> Vec<u8> {
    key(&[OBJECT_VERSION, bk, "/"])
}
/// Those of object `k` (a prefix of no other object's), or of every key under prefix `k`
/// when `whole` is false.
pub fn object_versions_of(bk: &str, k: &str, whole: bool) -> Vec<u8> {
    let mut v = object_versions(bk);
    escape_version_key(&mut v, k);
    if whole {
        v.push(0);
    }
    v
}
/// One version of object `k`, made at `mtime_us`, with id `vid` (`null` for the null one).
pub fn object_version(bk: &str, k: &str, mtime_us: i64, vid: &str) -> Vec<u8> {
    let mut v = object_versions_of(bk, k, true);
    let newest_first = u64::MAX - mtime_us.max(0) as u64;
    v.extend_from_slice(format!("{newest_first:016x}").as_bytes());
    v.extend_from_slice(vid.as_bytes());
    v
}
/// The object key of a version's store key.
pub fn parse_object_version(bk: &str, k: &[u8]) -> Option<String> {
    let rest = k.strip_prefix(object_versions(bk).as_slice())?;
    let end = rest.iter().position(|&b| b == 0)?;
    let mut out = Vec::with_capacity(end);
    let mut it = rest[..end].iter();
    while let Some(&b) = it.next() {
        if b == 1 {
            out.push(it.next()?.checked_sub(1)?);
        } else {
            out.push(b);
        }
    }
    String::from_utf8(out).ok()
}

/// Bytes 0 and 1 become `\x01` and their value plus one: no NUL is left to end the key
/// early, and byte order is kept (`\x01\x01` < `\x01\x02` < `\x02`).
fn escape_version_key(out: &mut Vec<u8>, k: &str) {
    for &b in k.as_bytes() {
        if b <= 1 {
            out.push(1);
            out.push(b + 1);
        } else {
            out.push(b);
        }
    }
}

pub fn uploads(bk: &str) -> Vec<u8> {
    key(&[UPLOAD, bk, "/"])
}
pub fn upload(bk: &str, k: &str, id: &str) -> Vec<u8> {
    key(&[UPLOAD, bk, "/", k, "\0", id])
}
/// Split the `<key>\0<id>` tail of an upload key.
pub fn parse_upload<'a>(bk: &str, k: &'a [u8]) -> Option<(&'a str, &'a str)> {
    let rest = k.strip_prefix(uploads(bk).as_slice())?;
    let rest = std::str::from_utf8(rest).ok()?;
    rest.rsplit_once('\0')
}
pub fn parts(id: &str) -> Vec<u8> {
    key(&[PART, id, "/"])
}
pub fn part(id: &str, n: u32) -> Vec<u8> {
    key(&[PART, id, "/", &format!("{n:05}")])
}
pub fn part_writes(id: &str) -> Vec<u8> {
    key(&["pseq/", id])
}

/// Where one (owner, hour, bucket, category) of the usage log is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageKey {
    /// Whose usage it is: the bucket's owner, or who paid (requester pays).
    pub owner: String,
    pub bucket: String,
    /// Start of the hour, unix seconds.
    pub hour: u64,
    pub category: String,
    /// The bucket's owner when `owner` is a payer other than it; kept after the bucket's
    /// name, past a byte no bucket name has, with `%` and `/` escaped.
    pub bucket_owner: Option<String>,
}

/// Sets a usage key's bucket apart from the owner of a bucket its payer used.
const USAGE_PAID: char = '\u{1}';

pub fn usage(k: &UsageKey) -> Vec<u8> {
    let bucket = match &k.bucket_owner {
        None => std::borrow::Cow::Borrowed(k.bucket.as_str()),
        Some(o) => {
            let o = o.replace('%', "%25").replace('/', "%2F");
            std::borrow::Cow::Owned(format!("{}{USAGE_PAID}{o}", k.bucket))
        }
    };
    key(&[
        USAGE,
        &k.owner,
        "/",
        &format!("{:010}", k.hour),
        "/",
        &bucket,
        "/",
        &k.category,
    ])
}
/// Every usage key of `owner`, or of everyone.
pub fn usage_of(owner: Option<&str>) -> Vec<u8> {
    match owner {
        Some(o) => key(&[USAGE, o, "/"]),
        None => USAGE.as_bytes().to_vec(),
    }
}

/// Split a usage key; owner may hold any character, bucket and category no `/`.
pub fn parse_usage(k: &[u8]) -> Option<UsageKey> {
    let s = std::str::from_utf8(k).ok()?.strip_prefix(USAGE)?;
    let mut it = s.rsplitn(4, '/');
    let category = it.next()?;
    let bucket = it.next()?;
    let hour = it.next()?.parse().ok()?;
    let owner = it.next()?;
    let (bucket, bucket_owner) = match bucket.split_once(USAGE_PAID) {
        None => (bucket, None),
        Some((b, o)) => (b, Some(o.replace("%2F", "/").replace("%25", "%"))),
    };
    Some(UsageKey {
        owner: owner.to_string(),
        bucket: bucket.to_string(),
        hour,
        category: category.to_string(),
        bucket_owner,
    })
}

/// Prefixes whose keys hold counter vectors (`Txn::incr`). An engine without an atomic add
/// (etcd) stores their increments as separate delta keys and sums them on read; it needs to
/// know which keys those are, and nothing else here is a counter.
pub const COUNTER_PREFIXES: [&str; 4] = ["bstats/", "bver/", "pseq/", USAGE];

pub fn is_counter(k: &[u8]) -> bool {
    COUNTER_PREFIXES.iter().any(|p| k.starts_with(p.as_bytes()))
}

/// Separates a counter's key from one of its delta keys (etcd engine). `0xff` never occurs
/// in UTF-8, so no key above can contain it, and `\0` sorts a counter's deltas right after
/// the counter itself.
pub const DELTA_MARK: &[u8] = b"\0\xff";

/// One increment of counter `k`, named by the writing gateway and its sequence number.
pub fn counter_delta(k: &[u8], writer: &str, n: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(k.len() + writer.len() + 20);
    v.extend_from_slice(k);
    v.extend_from_slice(DELTA_MARK);
    v.extend_from_slice(format!("{writer}-{n:016x}").as_bytes());
    v
}

/// The counter a delta key belongs to, or `None` for an ordinary key.
pub fn delta_of(k: &[u8]) -> Option<&[u8]> {
    k.windows(2).position(|w| w == DELTA_MARK).map(|i| &k[..i])
}

/// The first key of `k`'s deltas; they all share it as a prefix.
pub fn deltas(k: &[u8]) -> Vec<u8> {
    let mut v = k.to_vec();
    v.extend_from_slice(DELTA_MARK);
    v
}

/// Write ids (etcd engine): a key every commit creates, with a lease so it expires, so a
/// commit retried after an ambiguous error recognises that its first attempt applied.
pub const WRITE_ID: &str = "wid/";

pub fn write_id(writer: &str, n: u64) -> Vec<u8> {
    key(&[WRITE_ID, writer, "/", &format!("{n:016x}")])
}

fn order_hash(ns: &str, name: &str) -> String {
    format!("{:08x}", rados_key(ns, name))
}

/// The name at the end of an order key (`uorder/<hash>/<name>`), and its hash.
pub fn parse_order(prefix: &str, k: &[u8]) -> Option<(u32, String)> {
    let rest = std::str::from_utf8(k).ok()?.strip_prefix(prefix)?;
    let (h, name) = rest.split_at_checked(8)?;
    Some((
        u32::from_str_radix(h, 16).ok()?,
        name.strip_prefix('/')?.to_string(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_keys_round_trip() {
        let k = UsageKey {
            owner: "acme$a/b".into(),
            bucket: "bk".into(),
            hour: 3600,
            category: "put_obj".into(),
            bucket_owner: None,
        };
        assert_eq!(usage(&k), b"usage/acme$a/b/0000003600/bk/put_obj".to_vec());
        assert_eq!(parse_usage(&usage(&k)), Some(k.clone()));
        // A payer's entry names the bucket's owner, whatever its uid holds.
        let paid = UsageKey {
            bucket_owner: Some("t$o/w%2Fn".into()),
            ..k
        };
        assert_eq!(
            usage(&paid),
            b"usage/acme$a/b/0000003600/bk\x01t$o%2Fw%252Fn/put_obj".to_vec()
        );
        assert_eq!(parse_usage(&usage(&paid)), Some(paid));
    }

    #[test]
    fn order_keys_sort_like_radosgw() {
        let mut keys: Vec<Vec<u8>> = ["alice", "dave", "xavier"]
            .iter()
            .map(|u| user_order(u))
            .collect();
        keys.sort();
        let names: Vec<String> = keys
            .iter()
            .map(|k| parse_order(USER_ORDER, k).unwrap().1)
            .collect();
        assert_eq!(names, ["dave", "alice", "xavier"]);
        let (h, n) = parse_order(USER_ORDER, &user_order("xavier")).unwrap();
        assert_eq!((h, n.as_str()), (0x13ee2934, "xavier"));
        assert_eq!(user_order_at(h, "xavier"), user_order("xavier"));
    }

    /// Version keys of one object sort newest first and after no other object's, keys that
    /// hold NUL included, in the order of the object keys themselves.
    #[test]
    fn version_keys_sort_by_key_then_newest_first() {
        let keys = ["a", "a\0", "a\0\x01", "a\x01", "a\x02", "a0", "b"];
        let mut all = Vec::new();
        for k in keys {
            for t in [5, 9] {
                all.push((object_version("bk", k, t, "v"), k, t));
            }
        }
        let mut sorted = all.clone();
        sorted.sort();
        let order: Vec<(&str, i64)> = sorted.iter().map(|(_, k, t)| (*k, *t)).collect();
        let want: Vec<(&str, i64)> = keys.iter().flat_map(|k| [(*k, 9), (*k, 5)]).collect();
        assert_eq!(order, want);
        for (sk, k, _) in &all {
            assert_eq!(parse_object_version("bk", sk).as_deref(), Some(*k));
            assert!(sk.starts_with(&object_versions_of("bk", k, true)));
            let under_a = sk.starts_with(&object_versions_of("bk", "a", false));
            assert_eq!(under_a, k.starts_with('a'), "{k:?}");
        }
        assert!(
            !object_version("bk", "a\0", 1, "v").starts_with(&object_versions_of("bk", "a", true))
        );
    }

    #[test]
    fn upload_keys_split_at_the_last_nul() {
        let k = upload("b", "dir/a", "2~x");
        assert_eq!(parse_upload("b", &k), Some(("dir/a", "2~x")));
    }
}
