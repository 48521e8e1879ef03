//! Access control lists of buckets and objects, as S3 defines them: a list of grants of
//! READ, WRITE, READ_ACP, WRITE_ACP or FULL_CONTROL to a user (by canonical id or e-mail)
//! or to a group (everyone, authenticated users). Canned ACLs are shorthands that expand
//! to grants when they are set; what is stored is always the grants.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
pub const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
pub const LOG_DELIVERY: &str = "http://acs.amazonaws.com/groups/s3/LogDelivery";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Group {
    AllUsers,
    AuthenticatedUsers,
    LogDelivery,
}

impl Group {
    pub fn uri(self) -> &'static str {
        match self {
            Group::AllUsers => ALL_USERS,
            Group::AuthenticatedUsers => AUTHENTICATED_USERS,
            Group::LogDelivery => LOG_DELIVERY,
        }
    }

    pub fn from_uri(uri: &str) -> Option<Group> {
        match uri {
            ALL_USERS => Some(Group::AllUsers),
            AUTHENTICATED_USERS => Some(Group::AuthenticatedUsers),
            LOG_DELIVERY => Some(Group::LogDelivery),
            _ => None,
        }
    }

    /// radosgw's `ACLGroupTypeEnum` number.
    pub fn ceph_id(self) -> u32 {
        match self {
            Group::AllUsers => 1,
            Group::AuthenticatedUsers => 2,
            Group::LogDelivery => 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Grantee {
    /// A user by canonical id (uid).
    User(String),
    Group(Group),
}

/// Permission bits as radosgw numbers them (`RGW_PERM_*`, shared with subusers).
pub mod perm {
    pub use crate::model::perm::{FULL as FULL_CONTROL, READ, READ_ACP, WRITE, WRITE_ACP};

    pub fn name(p: u32) -> &'static str {
        match p {
            READ => "READ",
            WRITE => "WRITE",
            READ_ACP => "READ_ACP",
            WRITE_ACP => "WRITE_ACP",
            _ => "FULL_CONTROL",
        }
    }

    pub fn parse(s: &str) -> Option<u32> {
        Some(match s {
            "READ" => READ,
            "WRITE" => WRITE,
            "READ_ACP" => READ_ACP,
            "WRITE_ACP" => WRITE_ACP,
            "FULL_CONTROL" => FULL_CONTROL,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub grantee: Grantee,
    pub perm: u32,
}

impl Grant {
    fn is_public(&self) -> bool {
        matches!(
            self.grantee,
            Grantee::Group(Group::AllUsers | Group::AuthenticatedUsers)
        ) && self.perm != 0
    }
}

/// A bucket's public access block (`?publicAccessBlock`): refuse public ACLs as they are
/// set, ignore the public grants already there, refuse public policies, and keep a public
/// policy's grants from strangers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicAccessBlock {
    pub block_public_acls: bool,
    pub ignore_public_acls: bool,
    pub block_public_policy: bool,
    pub restrict_public_buckets: bool,
}

/// The grants of a bucket or object. The owner is the record's owner, not part of the ACL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "AclRepr", into = "AclRepr")]
pub struct Acl {
    pub grants: Vec<Grant>,
}

/// Stored form: the grants, or (records written before ACLs were stored in full) the name
/// of a canned ACL, read back as the grants it stands for.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum AclRepr {
    Grants { grants: Vec<Grant> },
    Canned(String),
}

impl From<AclRepr> for Acl {
    fn from(r: AclRepr) -> Acl {
        match r {
            AclRepr::Grants { grants } => Acl { grants },
            // Legacy records never named the owner in their canned ACL: the grant to the
            // owner is implied; `for_owner` fills it in.
            AclRepr::Canned(c) => {
                let canned = Canned::parse(&c).unwrap_or(Canned::Private);
                Acl {
                    grants: canned.grants(OWNER_PLACEHOLDER, OWNER_PLACEHOLDER),
                }
            }
        }
    }
}

impl From<Acl> for AclRepr {
    fn from(a: Acl) -> AclRepr {
        AclRepr::Grants { grants: a.grants }
    }
}

/// Stands for "the record's owner" in ACLs decoded from legacy canned names.
const OWNER_PLACEHOLDER: &str = "\u{0}owner";

/// The canned ACLs (`x-amz-acl`) radosgw knows (not `log-delivery-write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Canned {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
}

impl Canned {
    pub fn parse(s: &str) -> Option<Canned> {
        Some(match s {
            "private" => Canned::Private,
            "public-read" => Canned::PublicRead,
            "public-read-write" => Canned::PublicReadWrite,
            "authenticated-read" => Canned::AuthenticatedRead,
            "bucket-owner-read" => Canned::BucketOwnerRead,
            "bucket-owner-full-control" => Canned::BucketOwnerFullControl,
            _ => return None,
        })
    }

    /// The grants this canned ACL stands for, for a resource of `owner` in a bucket of
    /// `bucket_owner`.
    pub fn grants(self, owner: &str, bucket_owner: &str) -> Vec<Grant> {
        use perm::*;
        let user = |id: &str, perm| Grant {
            grantee: Grantee::User(id.to_string()),
            perm,
        };
        let group = |g, perm| Grant {
            grantee: Grantee::Group(g),
            perm,
        };
        let mut v = vec![user(owner, FULL_CONTROL)];
        match self {
            Canned::Private => {}
            Canned::PublicRead => v.push(group(Group::AllUsers, READ)),
            Canned::PublicReadWrite => {
                v.push(group(Group::AllUsers, READ));
                v.push(group(Group::AllUsers, WRITE));
            }
            Canned::AuthenticatedRead => v.push(group(Group::AuthenticatedUsers, READ)),
            Canned::BucketOwnerRead => {
                if bucket_owner != owner {
                    v.push(user(bucket_owner, READ));
                }
            }
            Canned::BucketOwnerFullControl => {
                if bucket_owner != owner {
                    v.push(user(bucket_owner, FULL_CONTROL));
                }
            }
        }
        v
    }
}

/// Who is asking, as far as ACLs care.
#[derive(Debug, Clone, Copy)]
pub enum Requester<'a> {
    Anonymous,
    User(&'a str),
}

impl Acl {
    pub fn canned(c: Canned, owner: &str, bucket_owner: &str) -> Acl {
        Acl {
            grants: c.grants(owner, bucket_owner),
        }
    }

    /// The ACL with the legacy owner placeholder replaced by `owner`.
    pub fn for_owner(&self, owner: &str) -> Acl {
        let mut a = self.clone();
        for g in &mut a.grants {
            if g.grantee == Grantee::User(OWNER_PLACEHOLDER.to_string()) {
                g.grantee = Grantee::User(owner.to_string());
            }
        }
        a
    }

    /// Does it grant anything to everyone, or to every authenticated user?
    pub fn is_public(&self) -> bool {
        self.grants.iter().any(|g| g.is_public())
    }

    /// The grants but the public ones (a bucket's `IgnorePublicAcls`).
    pub fn without_public(&self) -> Acl {
        Acl {
            grants: self
                .grants
                .iter()
                .filter(|g| !g.is_public())
                .cloned()
                .collect(),
        }
    }

    /// The permission bits the ACL of a resource owned by `owner` gives `who`.
    pub fn perms_of(&self, who: Requester, owner: &str) -> u32 {
        self.grants
            .iter()
            .filter(|g| match (&g.grantee, who) {
                (Grantee::Group(Group::AllUsers), _) => true,
                (Grantee::Group(Group::AuthenticatedUsers), Requester::User(_)) => true,
                (Grantee::User(id), Requester::User(u)) => {
                    id == u || (id == OWNER_PLACEHOLDER && owner == u)
                }
                _ => false,
            })
            .fold(0, |m, g| m | g.perm)
    }

    /// Build an ACL from `x-amz-grant-*` header values: `(permission, value)` where a value
    /// is a comma-separated list of `id="..."`, `uri="..."` or `emailAddress="..."`.
    /// E-mail grantees are resolved by `by_email` to a uid.
    pub fn from_grant_headers(
        headers: &[(u32, &str)],
        mut by_email: impl FnMut(&str) -> Option<String>,
    ) -> Result<Acl> {
        let mut grants = Vec::new();
        for (perm, value) in headers {
            for item in value.split(',') {
                let item = item.trim();
                if item.is_empty() {
                    continue;
                }
                let (kind, v) = item.split_once('=').ok_or(Error::InvalidArgument)?;
                let v = v.trim().trim_matches('"');
                let grantee = match kind.trim().to_ascii_lowercase().as_str() {
                    "id" => Grantee::User(v.to_string()),
                    "uri" => Grantee::Group(Group::from_uri(v).ok_or(Error::InvalidArgument)?),
                    "emailaddress" => {
                        Grantee::User(by_email(v).ok_or(Error::UnresolvableGrantByEmailAddress)?)
                    }
                    _ => return Err(Error::InvalidArgument),
                };
                grants.push(Grant {
                    grantee,
                    perm: *perm,
                });
            }
        }
        Ok(Acl { grants })
    }

    /// Whether both ACLs grant the same permissions to the same grantees, in any order (as
    /// radosgw compares policies: multimaps keyed by grantee).
    pub fn same_grants(&self, other: &Acl) -> bool {
        let key = |a: &Acl| {
            let mut v: Vec<(String, u32)> = a
                .grants
                .iter()
                .map(|g| match &g.grantee {
                    Grantee::User(id) => (format!("u:{id}"), g.perm),
                    Grantee::Group(gr) => (format!("g:{}", gr.uri()), g.perm),
                })
                .collect();
            v.sort();
            v
        };
        key(self) == key(other)
    }

    /// Grants in the order radosgw keeps them (a map keyed by grantee id, groups under "",
    /// so group grants come first), as GET ?acl and the admin policy show them.
    pub fn ordered(&self) -> Vec<&Grant> {
        let mut v: Vec<&Grant> = self.grants.iter().collect();
        v.sort_by_key(|g| match &g.grantee {
            Grantee::Group(_) => "",
            Grantee::User(id) => id.as_str(),
        });
        v
    }
}

/// Display names of the users an ACL grants to (radosgw shows them with each grant).
pub async fn grantee_names(
    users: &crate::domain::users::Users,
    acl: &Acl,
) -> std::collections::HashMap<String, String> {
    let mut names = std::collections::HashMap::new();
    for g in &acl.grants {
        if let Grantee::User(id) = &g.grantee {
            if !names.contains_key(id) {
                names.insert(id.clone(), users.display_name(id).await);
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_and_legacy_forms() {
        let a = Acl::canned(Canned::PublicRead, "alice", "alice");
        assert_eq!(a.perms_of(Requester::Anonymous, "alice"), perm::READ);
        assert_eq!(
            a.perms_of(Requester::User("alice"), "alice"),
            perm::FULL_CONTROL
        );
        let legacy: Acl = serde_json::from_str("\"authenticated-read\"").unwrap();
        let legacy = legacy.for_owner("bob");
        assert_eq!(legacy, Acl::canned(Canned::AuthenticatedRead, "bob", "bob"));
        assert_eq!(legacy.perms_of(Requester::Anonymous, "bob"), 0);
        assert_eq!(legacy.perms_of(Requester::User("x"), "bob"), perm::READ);
        let raw: Acl = serde_json::from_str("\"private\"").unwrap();
        assert_eq!(
            raw.perms_of(Requester::User("bob"), "bob"),
            perm::FULL_CONTROL
        );
        let round: Acl = serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
        assert_eq!(round, a);
        // groups first, as radosgw lists them
        assert_eq!(a.ordered()[0].grantee, Grantee::Group(Group::AllUsers));
        let private = Acl::canned(Canned::Private, "alice", "alice");
        assert!(!a.same_grants(&private));
        let mut reversed = a.clone();
        reversed.grants.reverse();
        assert!(a.same_grants(&reversed));
    }

    #[test]
    fn grant_headers() {
        let a = Acl::from_grant_headers(
            &[
                (
                    perm::READ,
                    r#"id="bob", uri="http://acs.amazonaws.com/groups/global/AllUsers""#,
                ),
                (perm::WRITE_ACP, r#"emailAddress="c@x.io""#),
            ],
            |e| (e == "c@x.io").then(|| "carol".to_string()),
        )
        .unwrap();
        assert_eq!(a.perms_of(Requester::User("bob"), "o"), perm::READ);
        assert_eq!(
            a.perms_of(Requester::User("carol"), "o"),
            perm::READ | perm::WRITE_ACP
        );
        assert!(Acl::from_grant_headers(&[(perm::READ, "uri=\"http://x\"")], |_| None).is_err());
    }
}
