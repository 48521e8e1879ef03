//! Reading back radosgw's own user document (`RGWUserInfo::dump`, as `/admin/metadata/user`
//! prints it), for metadata PUT. Unknown fields are ignored; missing ones take defaults.
use serde_json::Value;

use crate::caps;
use crate::error::{Error, Result};
use crate::model::{op_mask, perm, Key, Quota, User, UserId, DEFAULT_MAX_BUCKETS};

fn s(v: &Value, k: &str) -> String {
    v.get(k).and_then(Value::as_str).unwrap_or("").to_string()
}

fn i(v: &Value, k: &str) -> Option<i64> {
    match v.get(k)? {
        Value::Number(n) => n.as_i64(),
        Value::String(x) => x.parse().ok(),
        _ => None,
    }
}

fn b(v: &Value, k: &str) -> bool {
    match v.get(k) {
        Some(Value::Bool(x)) => *x,
        Some(Value::String(x)) => x == "true",
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
        _ => false,
    }
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Inverse of `perm::to_str`.
fn perm_from_str(p: &str) -> u32 {
    p.split(", ")
        .map(|w| match w {
            "full-control" => perm::FULL,
            "read-write" => perm::READ | perm::WRITE,
            "read" => perm::READ,
            "write" => perm::WRITE,
            "read-acp" => perm::READ_ACP,
            "write-acp" => perm::WRITE_ACP,
            _ => 0,
        })
        .fold(0, |a, b| a | b)
}

fn quota(v: Option<&Value>) -> Quota {
    let Some(v) = v else { return Quota::default() };
    Quota {
        enabled: b(v, "enabled"),
        check_on_raw: b(v, "check_on_raw"),
        max_size: i(v, "max_size").unwrap_or(-1),
        max_objects: i(v, "max_objects").unwrap_or(-1),
    }
}

/// The name after `uid:` in a subuser id.
fn sub_of(id: &str) -> String {
    id.split_once(':')
        .map(|(_, s)| s.to_string())
        .unwrap_or_default()
}

/// A key entry: radosgw 19's `active` (absent: active) and `create_date` (absent or not a
/// date: none) are read when present.
fn key_of(k: &Value, subuser: String) -> Key {
    let active = match k.get("active") {
        None => true,
        Some(_) => b(k, "active"),
    };
    Key {
        subuser,
        secret: s(k, "secret_key"),
        active,
        create_us: crate::clock::parse_utime(&s(k, "create_date")).unwrap_or(0),
    }
}

pub fn user(d: &Value) -> Result<User> {
    let uid = s(d, "user_id");
    if uid.is_empty() {
        return Err(Error::InvalidArgument);
    }
    let mut u = User::new(UserId::parse(&uid), s(d, "display_name"));
    u.email = s(d, "email");
    u.suspended = i(d, "suspended").unwrap_or(0) != 0;
    u.max_buckets = i(d, "max_buckets").unwrap_or(DEFAULT_MAX_BUCKETS as i64) as i32;
    for su in arr(d, "subusers") {
        u.subusers
            .insert(sub_of(&s(su, "id")), perm_from_str(&s(su, "permissions")));
    }
    for k in arr(d, "keys") {
        let ak = s(k, "access_key");
        if ak.is_empty() {
            return Err(Error::InvalidArgument);
        }
        u.keys.insert(ak, key_of(k, sub_of(&s(k, "user"))));
    }
    for k in arr(d, "swift_keys") {
        let sub = sub_of(&s(k, "user"));
        u.swift_keys.insert(sub.clone(), key_of(k, sub));
    }
    for c in arr(d, "caps") {
        let ty = s(c, "type");
        let mask = match s(c, "perm").as_str() {
            "*" => caps::ALL,
            "read" => caps::READ,
            "write" => caps::WRITE,
            _ => 0,
        };
        u.caps.insert(ty, mask);
    }
    if let Some(m) = d.get("op_mask").and_then(Value::as_str) {
        u.op_mask = if m == "<none>" {
            0
        } else {
            op_mask::parse(m).ok_or(Error::InvalidArgument)?
        };
    }
    u.system = b(d, "system");
    u.admin = b(d, "admin");
    u.default_placement = s(d, "default_placement");
    u.default_storage_class = s(d, "default_storage_class");
    u.placement_tags = arr(d, "placement_tags")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    u.bucket_quota = quota(d.get("bucket_quota"));
    u.user_quota = quota(d.get("user_quota"));
    for e in arr(d, "temp_url_keys") {
        if let Some(k) = i(e, "key") {
            u.temp_url_keys.insert(k as i32, s(e, "val"));
        }
    }
    let t = s(d, "type");
    if !t.is_empty() {
        u.user_type = t;
    }
    u.mfa_ids = arr(d, "mfa_ids")
        .iter()
        .filter_map(|t| t.as_str().map(str::to_string))
        .collect();
    Ok(u)
}
