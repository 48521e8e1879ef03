//! Who is calling, and may they do this: the one place that decides. Admin ops need a cap
//! (`users=read`, `buckets=write`, ...) unless the caller is an admin or system user. S3 ops
//! are first put to the bucket's policy, if it has one (an explicit deny refuses, an allow
//! grants); otherwise they need a permission on the bucket or object ACL (the owner's grants
//! included), within the caller's subuser permissions; and always within the op mask.

use std::sync::Arc;

use crate::domain::acl::{perm, Acl, Requester};
use crate::domain::policy::{self, Effect, Env, Policy};
use crate::error::{Error, Result};
use crate::model::{op_mask, User};

/// The authenticated sender of a request (or nobody).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub user: Option<Arc<User>>,
    /// The subuser whose key signed the request; empty for the user's own keys.
    pub subuser: String,
    /// The access key that signed the request (logged; never its secret).
    pub access_key: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    /// Who signed with `access_key`, a key of `owner`'s (the user's own or a subuser's).
    pub fn of_key(owner: &crate::domain::users::KeyOwner, access_key: String) -> Caller {
        Caller {
            user: Some(owner.user.clone()),
            subuser: owner.subuser.clone(),
            access_key: Some(access_key),
        }
    }

    /// The local CLI: a system user that needs no signature.
    pub fn cli() -> Caller {
        let mut u = User::new(crate::model::UserId::parse("rgw-admin-cli"), String::new());
        u.system = true;
        Caller {
            user: Some(Arc::new(u)),
            ..Caller::default()
        }
    }

    /// The caller's uid, or `anonymous`.
    pub fn uid(&self) -> String {
        self.user
            .as_ref()
            .map_or_else(|| "anonymous".to_string(), |u| u.uid.to_string())
    }

    /// Who owns what the caller creates: its account (radosgw 19: an account's users
    /// create account-owned buckets), else the caller's uid.
    pub fn owner_id(&self) -> Option<String> {
        self.user.as_ref().map(|u| {
            if u.iam.account_id.is_empty() {
                u.uid.to_string()
            } else {
                u.iam.account_id.clone()
            }
        })
    }

    /// Admin and system users pass every cap and ACL check.
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.admin || u.system)
    }

    pub fn is_system(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.system)
    }

    pub fn tenant(&self) -> &str {
        self.user.as_ref().map_or("", |u| u.uid.tenant.as_str())
    }

    /// The permission bits a subuser's key is limited to (all for the user's own keys).
    fn subuser_mask(&self) -> u32 {
        match &self.user {
            Some(u) if !self.subuser.is_empty() => {
                u.subusers.get(&self.subuser).copied().unwrap_or(0)
            }
            _ => perm::FULL_CONTROL,
        }
    }
}

/// May the caller run an admin op needing `need` (caps READ or WRITE) on cap type `ty`?
pub fn admin(caller: &Caller, cap: Option<(&str, u32)>) -> Result<()> {
    let Some((ty, need)) = cap else { return Ok(()) };
    let ok = match &caller.user {
        None => false,
        Some(u) => u.admin || u.system || crate::caps::allows(&u.caps, ty, need),
    };
    if ok {
        Ok(())
    } else {
        Err(Error::AccessDenied)
    }
}

/// May the caller run an admin op needing `cap`, or failing that `alt`?
pub fn admin_any(caller: &Caller, cap: (&str, u32), alt: Option<(&str, u32)>) -> Result<()> {
    admin(caller, Some(cap)).or_else(|e| match alt {
        Some(a) => admin(caller, Some(a)),
        None => Err(e),
    })
}

/// One S3 permission check as a bucket policy sees it: who asks, for which action, on
/// which resource; with the bucket's policy (parsed) and the request's condition keys when
/// the bucket has one.
pub struct Asked<'a> {
    pub caller: &'a Caller,
    /// radosgw's action name (`s3:GetObject`).
    pub action: &'static str,
    /// The bucket's tenant.
    pub tenant: &'a str,
    /// `bucket` or `bucket/key`; only filled when there is a policy to ask.
    pub resource: String,
    pub policy: Option<(Arc<Policy>, Env)>,
    /// The bucket's `IgnorePublicAcls`: grants to everyone or every authenticated user
    /// count for nothing.
    pub ignore_public_acls: bool,
    /// The bucket's `RestrictPublicBuckets`: the policy's public statements grant nothing.
    pub restrict_public: bool,
    /// The bucket is requester-pays and the caller has not said it will pay: refused
    /// whatever the policy and the grants say (`s3::request_payment`).
    pub unpaid: bool,
}

impl<'a> Asked<'a> {
    /// A check with no bucket policy to ask.
    pub fn without_policy(caller: &'a Caller) -> Asked<'a> {
        Asked {
            caller,
            action: "",
            tenant: "",
            resource: String::new(),
            policy: None,
            ignore_public_acls: false,
            restrict_public: false,
            unpaid: false,
        }
    }

    /// The object's tags as the policy's `s3:ExistingObjectTag/<key>` condition keys.
    pub fn with_object_tags(mut self, tags: &[(String, String)]) -> Self {
        if let Some((_, env)) = &mut self.policy {
            for (k, v) in tags {
                env.add(&format!("s3:ExistingObjectTag/{k}"), v.as_str());
            }
        }
        self
    }

    /// What the bucket's policy says (`Pass` without one).
    fn effect(&self) -> Effect {
        let Some((p, env)) = &self.policy else {
            return Effect::Pass;
        };
        let who = self.caller.user.as_ref().map(|u| policy::Requester {
            tenant: &u.uid.tenant,
            id: &u.uid.id,
            subuser: &self.caller.subuser,
            account: &u.iam.account_id,
        });
        let ask = policy::Ask {
            who,
            action: self.action,
            tenant: self.tenant,
            resource: &self.resource,
            env,
        };
        p.eval(&ask, self.restrict_public)
    }
}

/// What kind of change an S3 op makes, for the user's op mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Read,
    Write,
    Delete,
}

/// Is the op allowed by the caller's op mask (`op-mask` of the user)?
fn op_mask_allows(caller: &Caller, kind: OpKind) -> bool {
    let Some(u) = &caller.user else { return true };
    let bit = match kind {
        OpKind::Read => op_mask::READ,
        OpKind::Write => op_mask::WRITE,
        OpKind::Delete => op_mask::DELETE,
    };
    u.op_mask & bit != 0
}

/// May the caller do what `asked` says, needing permission `need` (`perm::*`) on a
/// resource owned by `owner` with `acl`? The bucket policy first (radosgw's
/// `verify_*_permission`); then the grants, where the owner always holds READ_ACP and
/// WRITE_ACP (S3: an owner can always read and change the ACL).
pub fn s3(asked: &Asked<'_>, owner: &str, acl: &Acl, need: u32, kind: OpKind) -> Result<()> {
    let caller = asked.caller;
    if caller.is_admin() {
        return Ok(());
    }
    if asked.unpaid || !op_mask_allows(caller, kind) {
        return Err(Error::AccessDenied);
    }
    match asked.effect() {
        Effect::Deny => return Err(Error::AccessDenied),
        Effect::Allow => return Ok(()),
        Effect::Pass => {}
    }
    let unblocked;
    let acl = if asked.ignore_public_acls {
        unblocked = acl.without_public();
        &unblocked
    } else {
        acl
    };
    let uid = caller.user.as_ref().map(|u| u.uid.to_string());
    let who = uid.as_deref().map_or(Requester::Anonymous, Requester::User);
    let mut have = acl.perms_of(who, owner);
    let account_owned = caller
        .owner_id()
        .is_some_and(|o| o == owner && uid.as_ref() != Some(&o));
    if account_owned {
        have |= acl.perms_of(Requester::User(owner), owner);
    }
    if uid.as_deref() == Some(owner) || account_owned {
        have |= perm::READ_ACP | perm::WRITE_ACP;
    }
    have &= caller.subuser_mask();
    if have & need == need {
        Ok(())
    } else {
        Err(Error::AccessDenied)
    }
}

/// May the caller create a bucket? Any user whose op mask allows writes (radosgw 16.2.15:
/// a subuser's permission is not consulted; anonymous callers may not).
pub fn create_bucket(caller: &Caller) -> Result<()> {
    if caller.user.is_some() && (caller.is_admin() || op_mask_allows(caller, OpKind::Write)) {
        Ok(())
    } else {
        Err(Error::AccessDenied)
    }
}

/// Only the owner (or an admin), or whom the bucket policy allows, may do this: delete a
/// bucket, read or change its configuration (radosgw's `verify_bucket_owner_or_policy`; a
/// policy's deny holds against the owner too). A subuser of the owner needs the permission
/// the kind of op implies.
pub fn owner_only(asked: &Asked<'_>, owner: &str, kind: OpKind) -> Result<()> {
    let caller = asked.caller;
    if caller.is_admin() {
        return Ok(());
    }
    match asked.effect() {
        Effect::Deny => return Err(Error::AccessDenied),
        Effect::Allow if op_mask_allows(caller, kind) => return Ok(()),
        _ => {}
    }
    let is_owner = caller.owner_id().is_some_and(|o| o == owner);
    let need = match kind {
        OpKind::Read => perm::READ,
        OpKind::Write | OpKind::Delete => perm::WRITE,
    };
    if is_owner && op_mask_allows(caller, kind) && caller.subuser_mask() & need != 0 {
        Ok(())
    } else {
        Err(Error::AccessDenied)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::acl::Canned;
    use crate::model::UserId;

    fn ask(caller: &Caller) -> Asked<'_> {
        Asked::without_policy(caller)
    }

    fn caller(uid: &str, sub: &str, access: u32) -> Caller {
        let mut u = User::new(UserId::parse(uid), uid.into());
        if !sub.is_empty() {
            u.subusers.insert(sub.into(), access);
        }
        Caller {
            user: Some(Arc::new(u)),
            subuser: sub.into(),
            access_key: None,
        }
    }

    #[test]
    fn acl_owner_subuser_and_anonymous() {
        let acl = Acl::canned(Canned::PublicRead, "alice", "alice");
        let alice = caller("alice", "", 0);
        assert!(s3(&ask(&alice), "alice", &acl, perm::WRITE, OpKind::Write).is_ok());
        let anon = Caller::anonymous();
        assert!(s3(&ask(&anon), "alice", &acl, perm::READ, OpKind::Read).is_ok());
        assert!(s3(&ask(&anon), "alice", &acl, perm::WRITE, OpKind::Write).is_err());
        // a read-only subuser of the owner cannot write
        let ro = caller("alice", "ro", perm::READ);
        assert!(s3(&ask(&ro), "alice", &acl, perm::READ, OpKind::Read).is_ok());
        assert!(s3(&ask(&ro), "alice", &acl, perm::WRITE, OpKind::Write).is_err());
        assert!(owner_only(&ask(&ro), "alice", OpKind::Delete).is_err());
        assert!(owner_only(&ask(&alice), "alice", OpKind::Delete).is_ok());
        // ... but reads what only the owner may read; a subuser without READ does not
        assert!(owner_only(&ask(&ro), "alice", OpKind::Read).is_ok());
        let wo = caller("alice", "wo", perm::WRITE);
        assert!(owner_only(&ask(&wo), "alice", OpKind::Read).is_err());
        let bob = caller("bob", "", 0);
        assert!(owner_only(&ask(&bob), "alice", OpKind::Delete).is_err());
        assert!(owner_only(&ask(&bob), "alice", OpKind::Read).is_err());
        // op mask
        let mut u = User::new(UserId::parse("alice"), "a".into());
        u.op_mask = op_mask::READ;
        let masked = Caller {
            user: Some(Arc::new(u)),
            ..Caller::default()
        };
        assert!(s3(&ask(&masked), "alice", &acl, perm::WRITE, OpKind::Write).is_err());
        assert!(s3(&ask(&masked), "alice", &acl, perm::READ, OpKind::Read).is_ok());
        assert!(owner_only(&ask(&masked), "alice", OpKind::Read).is_ok());
        assert!(owner_only(&ask(&masked), "alice", OpKind::Delete).is_err());
    }
}
