//! The records the gateway stores, and their radosgw dumps (`RGWUserInfo::dump`,
//! `dump_user_info`, `RGWQuotaInfo::dump`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::caps::{self, Caps};
use crate::encode::{str_arr, Node, ObjBuilder};

/// A user's identity as radosgw writes it: `tenant$id`, or `id` without a tenant.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct UserId {
    pub tenant: String,
    pub id: String,
}

impl UserId {
    /// `rgw_user(string)`: `tenant$id` → both; otherwise id only.
    pub fn parse(s: &str) -> UserId {
        match s.split_once('$') {
            Some((t, i)) => UserId {
                tenant: t.to_string(),
                id: i.to_string(),
            },
            None => UserId {
                tenant: String::new(),
                id: s.to_string(),
            },
        }
    }
}

impl UserId {
    /// What `Display` writes, in place of `out`'s text, without the formatting machinery (the
    /// request log names the caller of every request).
    pub fn write_into(&self, out: &mut String) {
        out.clear();
        out.reserve(self.tenant.len() + 1 + self.id.len());
        if !self.tenant.is_empty() {
            out.push_str(&self.tenant);
            out.push('$');
        }
        out.push_str(&self.id);
    }
}

impl std::fmt::Display for UserId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.tenant.is_empty() {
            f.write_str(&self.id)
        } else {
            write!(f, "{}${}", self.tenant, self.id)
        }
    }
}

/// Subuser permission bits (`RGW_PERM_*`).
pub mod perm {
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const READ_ACP: u32 = 0x04;
    pub const WRITE_ACP: u32 = 0x08;
    pub const FULL: u32 = 0x0f;

    /// `access=` values: `read|write|readwrite|full` (any case); `""` → none.
    pub fn parse(s: &str) -> Option<u32> {
        match s.to_ascii_lowercase().as_str() {
            "" => Some(0),
            "read" => Some(READ),
            "write" => Some(WRITE),
            "readwrite" => Some(READ | WRITE),
            "full" => Some(FULL),
            _ => None,
        }
    }

    /// `perm_to_str`: greedy over radosgw's table, joined with ", ".
    pub fn to_str(mut mask: u32) -> String {
        const TABLE: &[(u32, &str)] = &[
            (FULL, "full-control"),
            (READ | WRITE, "read-write"),
            (READ, "read"),
            (WRITE, "write"),
            (READ_ACP, "read-acp"),
            (WRITE_ACP, "write-acp"),
        ];
        let mut out = Vec::new();
        for &(bits, name) in TABLE {
            if mask & bits == bits && bits != 0 {
                out.push(name);
                mask &= !bits;
            }
        }
        if out.is_empty() {
            "<none>".to_string()
        } else {
            out.join(", ")
        }
    }
}

/// Op mask bits (`RGW_OP_TYPE_*`).
pub mod op_mask {
    pub const READ: u32 = 0x01;
    pub const WRITE: u32 = 0x02;
    pub const DELETE: u32 = 0x04;
    pub const ALL: u32 = READ | WRITE | DELETE;

    /// Words `*`, `read`, `write`, `delete`, separated by any of `;,= \t`; `None` on an
    /// unknown word.
    pub fn parse(s: &str) -> Option<u32> {
        let mut m = 0;
        for w in s
            .split([';', ',', '=', ' ', '\t'])
            .filter(|w| !w.is_empty())
        {
            m |= match w {
                "*" => ALL,
                "read" => READ,
                "write" => WRITE,
                "delete" => DELETE,
                _ => return None,
            };
        }
        Some(m)
    }

    pub fn to_str(m: u32) -> String {
        let mut out = Vec::new();
        for (b, n) in [(READ, "read"), (WRITE, "write"), (DELETE, "delete")] {
            if m & b != 0 {
                out.push(n);
            }
        }
        if out.is_empty() {
            "<none>".to_string()
        } else {
            out.join(", ")
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quota {
    pub enabled: bool,
    pub check_on_raw: bool,
    /// Bytes; -1 = unlimited.
    pub max_size: i64,
    /// -1 = unlimited.
    pub max_objects: i64,
}

impl Default for Quota {
    fn default() -> Self {
        Quota {
            enabled: false,
            check_on_raw: false,
            max_size: -1,
            max_objects: -1,
        }
    }
}

impl Quota {
    /// `max_size` in KiB as radosgw prints it (`rgw_rounded_kb`, `(size + 1023) / 1024` in
    /// C): rounded up, so 0 for "unlimited" (-1), and toward zero below that (-5120 is -4).
    /// Positive sizes are computed without `+ 1023`, which overflowed near `i64::MAX` (a
    /// negative `max_size_kb` where radosgw prints 2^53).
    pub fn max_size_kb(&self) -> i64 {
        if self.max_size < 0 {
            (self.max_size + 1023) / 1024
        } else {
            self.max_size / 1024 + i64::from(self.max_size % 1024 != 0)
        }
    }

    pub fn dump(&self) -> Node {
        ObjBuilder::new()
            .bool("enabled", self.enabled)
            .bool("check_on_raw", self.check_on_raw)
            .int("max_size", self.max_size)
            .int("max_size_kb", self.max_size_kb())
            .int("max_objects", self.max_objects)
            .build()
    }
}

/// `RGWRateLimitInfo`: per-window maxima, 0 = unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimit {
    pub max_read_ops: i64,
    pub max_write_ops: i64,
    pub max_read_bytes: i64,
    pub max_write_bytes: i64,
    pub enabled: bool,
}

impl RateLimit {
    /// `RGWRateLimitInfo::dump` (`enabled` through `dump_bool`: a boolean in every release).
    pub fn dump(&self) -> Node {
        ObjBuilder::new()
            .int("max_read_ops", self.max_read_ops)
            .int("max_write_ops", self.max_write_ops)
            .int("max_read_bytes", self.max_read_bytes)
            .int("max_write_bytes", self.max_write_bytes)
            .bool("enabled", self.enabled)
            .build()
    }

    /// Enabled with at least one limit.
    pub fn active(&self) -> bool {
        self.enabled
            && (self.max_read_ops > 0
                || self.max_write_ops > 0
                || self.max_read_bytes > 0
                || self.max_write_bytes > 0)
    }
}

/// One S3 or Swift key. `subuser` is empty for the user's own keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Key {
    pub subuser: String,
    pub secret: String,
    /// A disabled key signs nothing (radosgw 19's `active`). Records written before it
    /// existed read as active.
    #[serde(default = "active_default")]
    pub active: bool,
    /// Creation time, microseconds since the epoch; 0 for keys stored before it was kept
    /// (radosgw prints a zero time as `0.000000`).
    #[serde(default)]
    pub create_us: i64,
}

fn active_default() -> bool {
    true
}

impl Key {
    /// A new, active key created now.
    pub fn new(subuser: String, secret: String) -> Key {
        Key {
            subuser,
            secret,
            active: true,
            create_us: crate::clock::now_us(),
        }
    }

    /// This key replacing `cur` (a new secret for an existing key): the key keeps its
    /// creation date and state.
    pub fn keeping(mut self, cur: Option<&Key>) -> Key {
        if let Some(c) = cur {
            self.active = c.active;
            self.create_us = c.create_us;
        }
        self
    }
}

/// How a user document shows its keys: `squid` adds radosgw 19's `active` (and, on S3
/// keys, `create_date`); `hidden` leaves `keys` and `swift_keys` out (a caller with only
/// `user-info-without-keys=read`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyView {
    pub squid: bool,
    pub hidden: bool,
}

/// `utime_t::gmtime`: times in the first ten years after the epoch print as raw seconds
/// (`0.000000` for a key stored without a date), later ones as ISO 8601.
pub fn key_date(us: i64) -> String {
    const TEN_YEARS_S: i64 = 60 * 60 * 24 * 365 * 10;
    if us.div_euclid(1_000_000) < TEN_YEARS_S {
        format!(
            "{}.{:06}",
            us.div_euclid(1_000_000),
            us.rem_euclid(1_000_000)
        )
    } else {
        crate::clock::utime(us)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub uid: UserId,
    pub display_name: String,
    pub email: String,
    pub suspended: bool,
    pub max_buckets: i32,
    /// Subuser name (without `uid:`) → permission mask.
    pub subusers: BTreeMap<String, u32>,
    /// Access key → key; dumped in access-key order like radosgw's map.
    pub keys: BTreeMap<String, Key>,
    /// Subuser name → swift key (its id is `uid:subuser`).
    pub swift_keys: BTreeMap<String, Key>,
    pub caps: Caps,
    pub op_mask: u32,
    pub system: bool,
    pub admin: bool,
    pub default_placement: String,
    pub default_storage_class: String,
    pub placement_tags: Vec<String>,
    pub bucket_quota: Quota,
    pub user_quota: Quota,
    pub temp_url_keys: BTreeMap<i32, String>,
    #[serde(rename = "type")]
    pub user_type: String,
    pub mfa_ids: Vec<String>,
    /// Metadata version (`ver.ver`), bumped on every write.
    pub ver: u64,
    /// Metadata version tag (`ver.tag`), random per user.
    pub tag: String,
    /// Last modification, microseconds since the epoch.
    pub mtime_us: i64,
    /// The user's rate limit (radosgw keeps it in a user attribute).
    #[serde(default)]
    pub ratelimit: RateLimit,
    /// radosgw 19's account membership and IAM fields.
    #[serde(default)]
    pub iam: Iam,
}

/// What radosgw 19 adds to a user: its account (empty: none), IAM path, creation time, tags
/// and groups. Dumped at `squid` only (`account::user_info`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Iam {
    pub account_id: String,
    pub path: String,
    /// Microseconds since the epoch; 0 for users written before it was kept.
    pub create_date_us: i64,
    pub tags: BTreeMap<String, String>,
    pub group_ids: Vec<String>,
}

impl Default for Iam {
    fn default() -> Self {
        Iam {
            account_id: String::new(),
            path: "/".to_string(),
            create_date_us: 0,
            tags: BTreeMap::new(),
            group_ids: Vec::new(),
        }
    }
}

pub const DEFAULT_MAX_BUCKETS: i32 = 1000;

impl User {
    pub fn new(uid: UserId, display_name: String) -> User {
        User {
            uid,
            display_name,
            email: String::new(),
            suspended: false,
            max_buckets: DEFAULT_MAX_BUCKETS,
            subusers: BTreeMap::new(),
            keys: BTreeMap::new(),
            swift_keys: BTreeMap::new(),
            caps: Caps::new(),
            op_mask: op_mask::ALL,
            system: false,
            admin: false,
            default_placement: String::new(),
            default_storage_class: String::new(),
            placement_tags: Vec::new(),
            bucket_quota: Quota::default(),
            user_quota: Quota::default(),
            temp_url_keys: BTreeMap::new(),
            user_type: "rgw".to_string(),
            mfa_ids: Vec::new(),
            ver: 0,
            tag: String::new(),
            mtime_us: 0,
            ratelimit: Default::default(),
            iam: Iam::default(),
        }
    }

    /// `uid:sub` as radosgw names a subuser.
    pub fn subuser_id(&self, name: &str) -> String {
        format!("{}:{}", self.uid, name)
    }

    pub fn dump_subusers(&self) -> Node {
        Node::Arr(
            "user".into(),
            self.subusers
                .iter()
                .map(|(n, p)| {
                    ObjBuilder::new()
                        .str("id", self.subuser_id(n))
                        .str("permissions", perm::to_str(*p))
                        .build()
                })
                .collect(),
        )
    }

    pub fn dump_keys(&self, view: KeyView) -> Node {
        Node::Arr(
            "key".into(),
            self.keys
                .iter()
                .map(|(ak, k)| {
                    let user = if k.subuser.is_empty() {
                        self.uid.to_string()
                    } else {
                        self.subuser_id(&k.subuser)
                    };
                    let b = ObjBuilder::new()
                        .str("user", user)
                        .str("access_key", ak.as_str())
                        .str("secret_key", k.secret.as_str());
                    if view.squid {
                        b.bool("active", k.active)
                            .str("create_date", key_date(k.create_us))
                            .build()
                    } else {
                        b.build()
                    }
                })
                .collect(),
        )
    }

    pub fn dump_swift_keys(&self, view: KeyView) -> Node {
        Node::Arr(
            "key".into(),
            self.swift_keys
                .iter()
                .map(|(sub, k)| {
                    let b = ObjBuilder::new()
                        .str("user", self.subuser_id(sub))
                        .str("secret_key", k.secret.as_str());
                    if view.squid {
                        b.bool("active", k.active).build()
                    } else {
                        b.build()
                    }
                })
                .collect(),
        )
    }

    pub fn dump_caps(&self) -> Node {
        Node::Arr(
            "cap".into(),
            self.caps
                .iter()
                .map(|(t, m)| {
                    ObjBuilder::new()
                        .str("type", t.as_str())
                        .str("perm", caps::perm_str(*m))
                        .build()
                })
                .collect(),
        )
    }

    /// Fields shared by user info and the metadata `data` document, after `user_id`.
    fn dump_body(&self, b: &mut ObjBuilder, metadata: bool, view: KeyView) {
        b.push("display_name", Node::Str(self.display_name.clone()));
        b.push("email", Node::Str(self.email.clone()));
        b.push("suspended", Node::Int(self.suspended as i64));
        b.push("max_buckets", Node::Int(self.max_buckets as i64));
        b.push("subusers", self.dump_subusers());
        if !view.hidden {
            b.push("keys", self.dump_keys(view));
            b.push("swift_keys", self.dump_swift_keys(view));
        }
        b.push("caps", self.dump_caps());
        b.push("op_mask", Node::Str(op_mask::to_str(self.op_mask)));
        // RGWUserInfo::dump writes system/admin only when set; dump_user_info always does.
        if !metadata || self.system {
            b.push("system", Node::LegacyBool(self.system));
        }
        if !metadata || self.admin {
            b.push("admin", Node::LegacyBool(self.admin));
        }
        b.push(
            "default_placement",
            Node::Str(self.default_placement.clone()),
        );
        b.push(
            "default_storage_class",
            Node::Str(self.default_storage_class.clone()),
        );
        b.push(
            "placement_tags",
            str_arr("obj", self.placement_tags.iter().cloned()),
        );
        b.push("bucket_quota", self.bucket_quota.dump());
        b.push("user_quota", self.user_quota.dump());
        b.push(
            "temp_url_keys",
            Node::Arr(
                "entry".into(),
                self.temp_url_keys
                    .iter()
                    .map(|(k, v)| {
                        ObjBuilder::new()
                            .int("key", *k as i64)
                            .str("val", v.as_str())
                            .build()
                    })
                    .collect(),
            ),
        );
        b.push("type", Node::Str(self.user_type.clone()));
        b.push("mfa_ids", str_arr("obj", self.mfa_ids.iter().cloned()));
    }

    /// `dump_user_info`: the user document of `/admin/user` (root `user_info`).
    pub fn dump_info(&self, stats: Option<Node>) -> Node {
        self.dump_info_in(stats, KeyView::default())
    }

    /// `dump_user_info` with the keys shown as `view` says.
    pub fn dump_info_in(&self, stats: Option<Node>, view: KeyView) -> Node {
        let mut b = ObjBuilder::new()
            .str("tenant", self.uid.tenant.as_str())
            .str("user_id", self.uid.id.as_str());
        self.dump_body(&mut b, false, view);
        if let Some(s) = stats {
            b.push("stats", s);
        }
        b.build()
    }

    /// `RGWUserInfo::dump` + attrs: the `data` of `/admin/metadata/user?key=`.
    pub fn dump_metadata(&self) -> Node {
        self.dump_metadata_in(KeyView::default())
    }

    /// `RGWUserInfo::dump` with the key fields of `view`.
    pub fn dump_metadata_in(&self, view: KeyView) -> Node {
        let mut b = ObjBuilder::new().str("user_id", self.uid.to_string());
        self.dump_body(&mut b, true, view);
        b.push("attrs", Node::Arr("entry".into(), Vec::new()));
        b.build()
    }
}

/// `RGWStorageStats::dump` for the given totals. `size_utilized: None` is radosgw's
/// `dump_utilized = false` (radosgw-admin's `user stats`): no utilized fields.
pub fn dump_storage_stats(
    size: u64,
    size_actual: u64,
    size_utilized: Option<u64>,
    objects: u64,
) -> Node {
    let kb = |b: u64| b.div_ceil(1024);
    let mut b = ObjBuilder::new()
        .uint("size", size)
        .uint("size_actual", size_actual);
    if let Some(u) = size_utilized {
        b.push("size_utilized", Node::UInt(u));
    }
    b = b
        .uint("size_kb", kb(size))
        .uint("size_kb_actual", kb(size_actual));
    if let Some(u) = size_utilized {
        b.push("size_kb_utilized", Node::UInt(kb(u)));
    }
    b.uint("num_objects", objects).build()
}

#[cfg(test)]
mod tests;
