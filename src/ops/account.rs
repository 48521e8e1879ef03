//! `/admin/account` (radosgw 19, `compat = squid`): create (POST), modify (PUT), quota
//! (PUT `?quota`), info (GET), delete (DELETE) — `RGWOp_Account_*` and `rgw::account::*`.
//! Every answer is the account document (`RGWAccountInfo::dump`, root `AccountInfo`).

use crate::account::{self, Account};
use crate::domain::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::ops::Reply;
use crate::query::Query;

/// The limits create and modify set when given.
#[derive(Debug, Clone, Default)]
pub struct Limits {
    pub max_users: Option<String>,
    pub max_roles: Option<String>,
    pub max_groups: Option<String>,
    pub max_access_keys: Option<String>,
    pub max_buckets: Option<String>,
}

impl Limits {
    fn parse(q: &Query) -> Limits {
        let v = |n: &str| q.get(n).map(str::to_string);
        Limits {
            max_users: v("max-users"),
            max_roles: v("max-roles"),
            max_groups: v("max-groups"),
            max_access_keys: v("max-access-keys"),
            max_buckets: v("max-buckets"),
        }
    }

    /// Each limit given, as a uint32 the account keeps as an int32: an unreadable one is
    /// refused before anything changes.
    fn apply(&self, a: &mut Account) -> Result<()> {
        let num = |v: &Option<String>| -> Result<Option<i32>> {
            v.as_deref()
                .map(|s| {
                    s.trim()
                        .parse::<u32>()
                        .map(|n| n.min(i32::MAX as u32) as i32)
                        .map_err(|_| Error::InvalidArgument)
                })
                .transpose()
        };
        let sets = [
            (num(&self.max_users)?, &mut a.max_users),
            (num(&self.max_roles)?, &mut a.max_roles),
            (num(&self.max_groups)?, &mut a.max_groups),
            (num(&self.max_access_keys)?, &mut a.max_access_keys),
            (num(&self.max_buckets)?, &mut a.max_buckets),
        ];
        for (v, field) in sets {
            if let Some(v) = v {
                *field = v;
            }
        }
        Ok(())
    }
}

/// Which account a request names: `id`, else `tenant` + `name`, else `email`.
#[derive(Debug, Clone, Default)]
pub struct Selector {
    pub id: Option<String>,
    pub tenant: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
}

impl Selector {
    fn parse(q: &Query) -> Selector {
        let v = |n: &str| q.get_nonempty(n).map(str::to_string);
        Selector {
            id: v("id"),
            tenant: v("tenant"),
            name: v("name"),
            email: v("email"),
        }
    }

    /// The account named; `InvalidArgument` when nothing names one (`by_email`: whether
    /// an email alone may select it).
    async fn load(&self, app: &App, by_email: bool) -> Result<Account> {
        if let Some(id) = &self.id {
            return app.accounts.load(id).await;
        }
        if let Some(name) = &self.name {
            let tenant = self.tenant.as_deref().unwrap_or("");
            return app.accounts.by_name(tenant, name).await;
        }
        match &self.email {
            Some(e) if by_email => app.accounts.by_email(e).await,
            _ => Err(Error::InvalidArgument),
        }
    }
}

/// Accounts exist from radosgw 19 on: the route answers as for any unknown resource below
/// `squid`, and so does the CLI.
fn squid(app: &App) -> Result<()> {
    if app.squid() {
        Ok(())
    } else {
        Err(Error::MethodNotAllowed)
    }
}

fn doc(a: &Account) -> Reply {
    Reply::Doc(Doc::new("AccountInfo", a.dump()))
}

#[derive(Debug, Clone, Default)]
pub struct CreateReq {
    pub account: Selector,
    pub limits: Limits,
}

impl CreateReq {
    pub fn parse(q: &Query) -> CreateReq {
        CreateReq {
            account: Selector::parse(q),
            limits: Limits::parse(q),
        }
    }
}

/// An email another user holds is as taken as another account's.
async fn email_free(app: &App, email: &str) -> Result<()> {
    if app.users.by_email(email).await?.is_some() {
        return Err(Error::AccountAlreadyExists);
    }
    Ok(())
}

pub async fn create(app: &App, r: CreateReq) -> Result<Reply> {
    squid(app)?;
    let s = &r.account;
    let name = s.name.as_deref().unwrap_or("");
    if !account::valid_name(name) {
        return Err(Error::InvalidArgument);
    }
    let id = match &s.id {
        None => account::generate_id(),
        Some(id) if account::valid_id(id) => id.clone(),
        Some(_) => return Err(Error::InvalidArgument),
    };
    let tenant = s.tenant.clone().unwrap_or_default();
    if !tenant
        .bytes()
        .all(|c| c.is_ascii_alphanumeric() || c == b'_')
    {
        return Err(Error::InvalidTenantName);
    }
    let email = s.email.clone().unwrap_or_default();
    let mut a = Account::new(id, tenant, name.to_string(), email);
    r.limits.apply(&mut a)?;
    a.bucket_quota = app.default_bucket_quota();
    if !a.email.is_empty() {
        email_free(app, &a.email).await?;
    }
    Ok(doc(&app.accounts.create(a).await?))
}

#[derive(Debug, Clone, Default)]
pub struct ModifyReq {
    pub account: Selector,
    pub limits: Limits,
}

impl ModifyReq {
    pub fn parse(q: &Query) -> ModifyReq {
        ModifyReq {
            account: Selector::parse(q),
            limits: Limits::parse(q),
        }
    }
}

/// `PUT /admin/account`: the account by `id`, else `tenant`+`name`, else `email`; a given
/// `name` or `email` is the new one when the account was selected by something else.
pub async fn modify(app: &App, r: ModifyReq) -> Result<Reply> {
    squid(app)?;
    let s = &r.account;
    let cur = s.load(app, true).await?;
    if s.tenant.as_deref().is_some_and(|t| t != cur.tenant) {
        // radosgw: "cannot modify account tenant"
        return Err(Error::InvalidArgument);
    }
    if let Some(n) = &s.name {
        if !account::valid_name(n) {
            return Err(Error::InvalidArgument);
        }
    }
    let mut probe = cur.clone();
    r.limits.apply(&mut probe)?;
    if let Some(e) = s.email.as_ref().filter(|e| **e != cur.email) {
        email_free(app, e).await?;
    }
    let a = app
        .accounts
        .modify(&cur.id, |a| {
            if let Some(n) = &s.name {
                a.name = n.clone();
            }
            if let Some(e) = &s.email {
                a.email = e.clone();
            }
            r.limits.apply(a)
        })
        .await?;
    Ok(doc(&a))
}

#[derive(Debug, Clone, Default)]
pub struct QuotaReq {
    pub account: Selector,
    pub quota_type: Option<String>,
    pub max_size: Option<String>,
    pub max_objects: Option<String>,
    pub enabled: Option<String>,
}

impl QuotaReq {
    pub fn parse(q: &Query) -> QuotaReq {
        let v = |n: &str| q.get(n).map(str::to_string);
        QuotaReq {
            account: Selector::parse(q),
            quota_type: v("quota-type"),
            max_size: v("max-size"),
            max_objects: v("max-objects"),
            enabled: v("enabled"),
        }
    }
}

/// `PUT /admin/account?quota`: the account's own (`quota-type=account`) or its buckets'
/// (`bucket`) quota; a negative size or count is unlimited (-1).
pub async fn set_quota(app: &App, r: QuotaReq) -> Result<Reply> {
    squid(app)?;
    let bucket = match r.quota_type.as_deref() {
        Some("account") => false,
        Some("bucket") => true,
        _ => return Err(Error::InvalidArgument),
    };
    let num = |v: &Option<String>| -> Result<Option<i64>> {
        v.as_deref()
            .map(|s| {
                s.trim()
                    .parse::<i64>()
                    .map(|n| n.max(-1))
                    .map_err(|_| Error::InvalidArgument)
            })
            .transpose()
    };
    let (max_size, max_objects) = (num(&r.max_size)?, num(&r.max_objects)?);
    let enabled = match r.enabled.as_deref() {
        None => None,
        Some(v) => Some(crate::query::parse_bool(v).ok_or(Error::InvalidArgument)?),
    };
    let cur = r.account.load(app, true).await?;
    let a = app
        .accounts
        .modify(&cur.id, |a| {
            let q = if bucket {
                &mut a.bucket_quota
            } else {
                &mut a.quota
            };
            if let Some(v) = max_size {
                q.max_size = v;
            }
            if let Some(v) = max_objects {
                q.max_objects = v;
            }
            if let Some(v) = enabled {
                q.enabled = v;
            }
            Ok(())
        })
        .await?;
    Ok(doc(&a))
}

#[derive(Debug, Clone, Default)]
pub struct GetReq {
    pub account: Selector,
}

impl GetReq {
    pub fn parse(q: &Query) -> GetReq {
        GetReq {
            account: Selector::parse(q),
        }
    }
}

/// `GET /admin/account`: by `id` or `tenant`+`name` (the REST op reads no email).
pub async fn info(app: &App, r: GetReq) -> Result<Reply> {
    squid(app)?;
    Ok(doc(&r.account.load(app, false).await?))
}

/// `DELETE /admin/account`: refused (409, radosgw's `ENOTEMPTY`) while users or buckets
/// remain.
pub async fn remove(app: &App, r: GetReq) -> Result<Reply> {
    squid(app)?;
    let a = r.account.load(app, false).await?;
    if !app.accounts.users(&a.id, 1).await?.is_empty()
        || app.buckets.count_of_user(&a.id).await? > 0
    {
        return Err(Error::BucketNotEmpty);
    }
    app.accounts.remove(&a.id).await?;
    Ok(Reply::Empty)
}

/// A user create or modify naming `account-id` (and `account-root`): the account must
/// exist, share the user's tenant and have room; a member cannot move to another account.
pub async fn join(
    app: &App,
    u: &crate::model::User,
    account_id: Option<&str>,
    root: Option<bool>,
) -> Result<Option<String>> {
    let joining = account_id.filter(|id| *id != u.iam.account_id);
    if let Some(id) = joining {
        if !u.iam.account_id.is_empty() {
            return Err(Error::InvalidArgument);
        }
        let a = app.accounts.load(id).await?;
        if a.tenant != u.uid.tenant {
            return Err(Error::InvalidArgument);
        }
        let max = a.max_users.max(0) as usize;
        if app.accounts.users(id, max).await?.len() >= max {
            return Err(Error::LimitExceeded);
        }
    }
    let account = joining.map(str::to_string);
    if root == Some(true) && account.is_none() && u.iam.account_id.is_empty() {
        return Err(Error::InvalidArgument);
    }
    Ok(account)
}
