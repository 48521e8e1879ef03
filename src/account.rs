//! radosgw 19 accounts: the record, its rules (`rgw::account::validate_id`, `validate_name`,
//! `generate_id` in Ceph's `src/rgw/rgw_account.cc`) and its dump (`RGWAccountInfo::dump`),
//! and the fields squid adds to a user's dump.

use serde::{Deserialize, Serialize};

use crate::encode::{str_arr, Node, ObjBuilder};
use crate::model::{KeyView, Quota, User};

/// Account ids are `RGW` and 17 decimal digits.
pub const ID_PREFIX: &str = "RGW";
pub const ID_LEN: usize = 20;

/// radosgw's defaults for an account's limits (`RGWAccountInfo`).
pub const DEFAULT_LIMIT: i32 = 1000;
pub const DEFAULT_MAX_ACCESS_KEYS: i32 = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub id: String,
    pub tenant: String,
    pub name: String,
    pub email: String,
    pub quota: Quota,
    pub bucket_quota: Quota,
    pub max_users: i32,
    pub max_roles: i32,
    pub max_groups: i32,
    pub max_buckets: i32,
    pub max_access_keys: i32,
    /// Metadata version, bumped on every write, and its tag.
    pub ver: u64,
    pub tag: String,
    /// Last modification, microseconds since the epoch.
    pub mtime_us: i64,
}

impl Account {
    pub fn new(id: String, tenant: String, name: String, email: String) -> Account {
        Account {
            id,
            tenant,
            name,
            email,
            quota: Quota::default(),
            bucket_quota: Quota::default(),
            max_users: DEFAULT_LIMIT,
            max_roles: DEFAULT_LIMIT,
            max_groups: DEFAULT_LIMIT,
            max_buckets: DEFAULT_LIMIT,
            max_access_keys: DEFAULT_MAX_ACCESS_KEYS,
            ver: 0,
            tag: String::new(),
            mtime_us: 0,
        }
    }

    /// `RGWAccountInfo::dump`, in its field order (root `AccountInfo` in XML).
    pub fn dump(&self) -> Node {
        ObjBuilder::new()
            .str("id", self.id.as_str())
            .str("tenant", self.tenant.as_str())
            .str("name", self.name.as_str())
            .str("email", self.email.as_str())
            .node("quota", self.quota.dump())
            .node("bucket_quota", self.bucket_quota.dump())
            .int("max_users", self.max_users as i64)
            .int("max_roles", self.max_roles as i64)
            .int("max_groups", self.max_groups as i64)
            .int("max_buckets", self.max_buckets as i64)
            .int("max_access_keys", self.max_access_keys as i64)
            .build()
    }

    /// The `data` of `/admin/metadata/account?key=`: the account, then its (empty) attrs.
    pub fn dump_metadata(&self) -> Node {
        let Node::Obj(mut fields) = self.dump() else {
            unreachable!("an account dumps as an object")
        };
        fields.push(("attrs".into(), Node::Arr("entry".into(), Vec::new())));
        Node::Obj(fields)
    }
}

/// Is `id` an account id radosgw accepts: `RGW` then 17 ASCII digits?
pub fn valid_id(id: &str) -> bool {
    id.len() == ID_LEN
        && id.starts_with(ID_PREFIX)
        && id[ID_PREFIX.len()..].bytes().all(|c| c.is_ascii_digit())
}

/// A new random account id: `RGW` and 17 random digits.
pub fn generate_id() -> String {
    let mut id = String::with_capacity(ID_LEN);
    id.push_str(ID_PREFIX);
    for _ in ID_PREFIX.len()..ID_LEN {
        id.push(char::from(b'0' + rand::random::<u8>() % 10));
    }
    id
}

/// An account name: not empty, and neither the tenant delimiter `$` nor the metadata
/// delimiter `:` (a Rust string is valid UTF-8 already).
pub fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['$', ':'])
}

/// `dump_user_info` of `u`: at `squid`, followed by radosgw 19's `account_id`, `path`,
/// `create_date`, `tags` and `group_ids` (then `stats`, when asked for).
pub fn user_info(u: &User, stats: Option<Node>, view: KeyView) -> Node {
    let Node::Obj(mut fields) = u.dump_info_in(None, view) else {
        unreachable!("a user dumps as an object")
    };
    if view.squid {
        let iam = &u.iam;
        fields.push(("account_id".into(), Node::Str(iam.account_id.clone())));
        fields.push(("path".into(), Node::Str(iam.path.clone())));
        fields.push((
            "create_date".into(),
            Node::Str(crate::clock::utime(iam.create_date_us)),
        ));
        let tags = iam
            .tags
            .iter()
            .map(|(k, v)| {
                ObjBuilder::new()
                    .str("key", k.as_str())
                    .str("val", v.as_str())
                    .build()
            })
            .collect();
        fields.push(("tags".into(), Node::Arr("entry".into(), tags)));
        fields.push((
            "group_ids".into(),
            str_arr("obj", iam.group_ids.iter().cloned()),
        ));
    }
    if let Some(s) = stats {
        fields.push(("stats".into(), s));
    }
    Node::Obj(fields)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rules() {
        assert!(valid_id("RGW12345678901234567"));
        assert!(!valid_id("RGW1234567890123456")); // 16 digits
        assert!(!valid_id("RGW123456789012345678")); // 18 digits
        assert!(!valid_id("rgw12345678901234567"));
        assert!(!valid_id("XYZ12345678901234567"));
        assert!(!valid_id("RGW1234567890123456a"));
        assert!(!valid_id("RGW١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦٧"));
        assert!(!valid_id(""));
    }

    #[test]
    fn generated_ids_are_valid_and_differ() {
        let a = generate_id();
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("RGW"), "{a}");
        assert!(valid_id(&a), "{a}");
        let many: std::collections::BTreeSet<String> = (0..64).map(|_| generate_id()).collect();
        assert!(many.len() > 60);
    }

    #[test]
    fn name_rules() {
        assert!(valid_name("acme"));
        assert!(valid_name("Acme Corp-1"));
        assert!(!valid_name(""));
        assert!(!valid_name("a$b"));
        assert!(!valid_name("a:b"));
    }

    #[test]
    fn dump_order_and_defaults() {
        let a = Account::new(
            "RGW00000000000000001".into(),
            "".into(),
            "n".into(),
            "".into(),
        );
        let s = crate::encode::json::render(&a.dump(), Default::default());
        let order = [
            "\"id\"",
            "\"tenant\"",
            "\"name\"",
            "\"email\"",
            "\"quota\"",
            "\"bucket_quota\"",
            "\"max_users\":1000",
            "\"max_roles\":1000",
            "\"max_groups\":1000",
            "\"max_buckets\":1000",
            "\"max_access_keys\":4",
        ];
        let pos: Vec<usize> = order.iter().map(|k| s.find(k).expect(k)).collect();
        assert!(pos.windows(2).all(|w| w[0] < w[1]), "{s}");
    }
}
