//! The bucket record: its instance (ACL, quota, configuration, version) and its entry point,
//! and the names the store keeps it under.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::acl::Acl;
use crate::domain::cache::{weigh_pairs, Weigh};
use crate::model::{Quota, RateLimit};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub tenant: String,
    pub id: String,
    pub marker: String,
    /// Owner uid (`tenant$id`).
    pub owner: String,
    pub creation_us: i64,
    pub mtime_us: i64,
    pub placement_rule: String,
    pub quota: Quota,
    pub acl: Acl,
    /// The instance's version (`/admin/metadata/bucket.instance`): every change of the
    /// record bumps it.
    pub ver: u64,
    pub tag: String,
    /// The entry point's own version, time and tag, and whether it is linked to its owner.
    /// `None` in records written before the two were told apart (see [`Bucket::entry`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<EntryPoint>,
    /// The bucket's rate limit (radosgw keeps it in a bucket attribute).
    #[serde(default)]
    pub ratelimit: RateLimit,
    /// The bucket's tags (`?tagging`), sorted by key. `None` until a set is put (and after
    /// it is deleted): radosgw then answers `NoSuchTagSet`, while a set put empty reads
    /// back empty. Absent from the records of buckets never tagged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<(String, String)>>,
    /// The bucket's CORS rules (`?cors`); `None` when it has no configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cors: Option<Vec<crate::domain::cors::CorsRule>>,
    /// The bucket's policy (`?policy`) as its owner sent it (parsed when a request meets it:
    /// `domain::policy`); `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<String>,
    /// `policy` parsed, once per record read (a cached record serves many requests).
    #[serde(skip)]
    pub parsed_policy: ParsedPolicy,
    /// The bucket's lifecycle rules (`?lifecycle`); `None` without a configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Option<Vec<crate::domain::lifecycle::LcRule>>,
    /// `?publicAccessBlock`; `None`: all four off, as radosgw reads a bucket without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_access: Option<crate::domain::acl::PublicAccessBlock>,
    /// `?requestPayment`: other callers pay for their requests (`s3::request_payment`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub requester_pays: bool,
    /// `?versioning`: `None` until first set; a bucket never goes back to it (S3 has no
    /// way to), only to `Suspended`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<Versioning>,
    /// Object lock, which only a bucket created with it has (`None` for every other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_lock: Option<crate::domain::object_lock::ObjectLock>,
    /// Where its objects, uploads and counters are kept when not under its own key: a
    /// bucket renamed (`PUT /admin/bucket?new-bucket-name`) keeps them where they were, and
    /// a bucket made under a name whose old data space a renamed bucket holds gets its own
    /// (`<key>#<id>`; `#` is in no bucket name). Absent from every other record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

/// A bucket's versioning state once set: new objects get version ids (`Enabled`) or are the
/// null version (`Suspended`); older versions are kept in both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Versioning {
    Enabled,
    Suspended,
}

impl Versioning {
    /// The `Status` S3 names it by.
    pub fn status(self) -> &'static str {
        match self {
            Versioning::Enabled => "Enabled",
            Versioning::Suspended => "Suspended",
        }
    }
}

/// The bucket's entry point (`/admin/metadata/bucket`), which radosgw versions apart from the
/// instance: it is written when the bucket is created, linked (`PUT /admin/bucket`, even to
/// the same owner), unlinked or renamed, while an ACL, quota, tag, policy or lifecycle change
/// writes only the instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryPoint {
    pub ver: u64,
    pub mtime_us: i64,
    pub tag: String,
    /// False once unlinked from its owner (`POST /admin/bucket`), until linked again.
    pub linked: bool,
}

impl EntryPoint {
    /// The entry point of a bucket written now: radosgw writes a new one, then links it.
    pub fn new(ver: u64, now_us: i64) -> EntryPoint {
        EntryPoint {
            ver,
            mtime_us: now_us,
            tag: crate::keys::random_tag(),
            linked: true,
        }
    }
}

/// A bucket's policy, parsed when first asked; never stored, equal to any other.
#[derive(Debug, Clone, Default)]
pub struct ParsedPolicy(std::sync::OnceLock<Option<Arc<crate::domain::policy::Policy>>>);

impl PartialEq for ParsedPolicy {
    fn eq(&self, _: &ParsedPolicy) -> bool {
        true
    }
}

impl Bucket {
    /// The bucket's policy, parsed. A stored policy that no longer parses (the API stores
    /// none such) counts as none: it grants and refuses nothing, and its owner can replace it.
    pub fn policy(&self) -> Option<&Arc<crate::domain::policy::Policy>> {
        let text = self.policy.as_deref()?;
        self.parsed_policy
            .0
            .get_or_init(|| {
                crate::domain::policy::Policy::parse(text, &self.tenant)
                    .ok()
                    .map(Arc::new)
            })
            .as_ref()
    }

    /// The bucket's name in the store (its record, links and instance).
    pub fn key(&self) -> String {
        bkey(&self.tenant, &self.name)
    }

    /// Where the bucket's objects, uploads and counters are kept.
    pub fn data_key(&self) -> String {
        self.data.clone().unwrap_or_else(|| self.key())
    }

    /// The bucket's ACL with its owner filled in.
    pub fn acl(&self) -> Acl {
        self.acl.for_owner(&self.owner)
    }

    /// The entry point; a record from before entry points were kept apart shows the
    /// instance's version, time and tag, linked.
    pub fn entry(&self) -> EntryPoint {
        self.entry.clone().unwrap_or_else(|| EntryPoint {
            ver: self.ver,
            mtime_us: self.mtime_us,
            tag: self.tag.clone(),
            linked: true,
        })
    }

    /// Write the entry point (a link or an unlink) at `now_us`.
    pub(super) fn write_entry(&mut self, linked: bool, now_us: i64) {
        let mut e = self.entry();
        e.ver += 1;
        e.mtime_us = now_us;
        e.linked = linked;
        self.entry = Some(e);
    }
}

impl Weigh for Bucket {
    fn weigh(&self) -> usize {
        256 + self.name.len() * 2
            + self.id.len() * 2
            + self.owner.len()
            + self.entry.as_ref().map_or(0, |e| 32 + e.tag.len())
            + 32 * self.acl.grants.len()
            + self.tags.as_deref().map_or(0, weigh_pairs)
            + self.cors.iter().flatten().map(|r| r.weigh()).sum::<usize>()
            + self.policy.as_ref().map_or(0, String::len)
            + self
                .lifecycle
                .iter()
                .flatten()
                .map(|r| r.weigh())
                .sum::<usize>()
    }
}

/// `name`, or `tenant:name` in a tenant: how the store names a bucket.
pub fn bkey(tenant: &str, name: &str) -> String {
    if tenant.is_empty() {
        name.to_string()
    } else {
        format!("{tenant}:{name}")
    }
}

/// The key of the bucket an S3 request names: `tenant:name` is that tenant's bucket (`:name`
/// the global tenant's), as radosgw's `rgw_parse_url_bucket` reads it; a plain name is in
/// the requester's tenant.
pub fn named(requester_tenant: &str, name: &str) -> String {
    match name.split_once(':') {
        Some((tenant, name)) => bkey(tenant, name),
        None => bkey(requester_tenant, name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record stored before entry points were kept apart reads with the instance's
    /// version, time and tag as its entry point's; the first link or unlink starts its own.
    #[test]
    fn an_older_record_shows_its_instance_version_as_the_entry_point() {
        let old = r#"{"name":"b","tenant":"","id":"i","marker":"i","owner":"o",
            "creation_us":1,"mtime_us":5,"placement_rule":"default-placement",
            "quota":{"enabled":false,"check_on_raw":false,"max_size":-1,"max_size_kb":0,
            "max_objects":-1},"acl":{"grants":[]},"ver":3,"tag":"_t"}"#;
        let mut b: Bucket = match serde_json::from_str(old) {
            Ok(b) => b,
            Err(e) => panic!("{e}"),
        };
        let e = b.entry();
        assert_eq!(
            (e.ver, e.mtime_us, e.tag.as_str(), e.linked),
            (3, 5, "_t", true)
        );
        b.write_entry(false, 9);
        let e = b.entry();
        assert_eq!(
            (e.ver, e.mtime_us, e.tag.as_str(), e.linked),
            (4, 9, "_t", false)
        );
        assert_eq!((b.ver, b.mtime_us), (3, 5));
        b.write_entry(true, 10);
        assert_eq!((b.entry().ver, b.entry().linked), (5, true));
    }
}
