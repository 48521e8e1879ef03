//! `/admin/user`: info, create, modify, remove, list (`RGWOp_User_*`).

use crate::authz::Caller;
use crate::ceph::{rados_key, USERS_NS};
use crate::config::Compat;
use crate::domain::App;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{op_mask, Key, User, UserId};
use crate::ops::Reply;
use crate::query::Query;

/// The user a subuser or key op acts on, as radosgw's `RGWUserAdminOpState::set_subuser`
/// decides it: the part before `:` of `subuser=uid:name` wins over `uid=` (keeping the
/// tenant of `uid=` when it names none), else `uid=`.
pub fn target_uid(q: &Query) -> Option<String> {
    let uid = q.get_nonempty("uid");
    let Some((prefix, _)) = q.get_nonempty("subuser").and_then(|s| s.split_once(':')) else {
        return uid.map(str::to_string);
    };
    let mut id = UserId::parse(prefix);
    if id.id.is_empty() {
        // radosgw then works on the anonymous user.
        return None;
    }
    if id.tenant.is_empty() {
        id.tenant = uid.map(|u| UserId::parse(u).tenant).unwrap_or_default();
    }
    Some(id.to_string())
}

/// The answer to a user request that names no user: radosgw 16 then works on the anonymous
/// user and is refused (`AccessDenied`); later levels refuse the request itself.
pub fn no_uid(app: &App) -> Error {
    if app.cfg.compat == Compat::Pacific {
        Error::AccessDenied
    } else {
        Error::InvalidArgument
    }
}

fn nonempty(q: &Query, name: &str) -> Option<String> {
    q.get_nonempty(name).map(str::to_string)
}

fn raw(q: &Query, name: &str) -> Option<String> {
    q.get(name).map(str::to_string)
}

/// A radosgw boolean when given and readable; `None` when absent or unreadable (the op
/// keeps its default then, as radosgw's `get_bool` does).
pub fn flag(q: &Query, name: &str) -> Option<bool> {
    q.get(name).and_then(crate::query::parse_bool)
}

#[derive(Debug, Clone, Default)]
pub struct InfoReq {
    pub uid: Option<String>,
    pub access_key: Option<String>,
    pub stats: bool,
}

impl InfoReq {
    pub fn parse(q: &Query) -> InfoReq {
        InfoReq {
            uid: nonempty(q, "uid"),
            access_key: nonempty(q, "access-key"),
            stats: q.get_bool("stats", false),
        }
    }
}

/// Does the caller see the keys in user info? radosgw dumps them for `users=read`, system
/// and admin callers; one admitted by `user-info-without-keys=read` alone gets none.
fn sees_keys(caller: &Caller) -> bool {
    caller.user.as_ref().is_none_or(|u| {
        u.admin || u.system || crate::caps::allows(&u.caps, "users", crate::caps::READ)
    })
}

pub async fn info(app: &App, caller: &Caller, r: InfoReq) -> Result<Reply> {
    if r.uid.is_none() && r.access_key.is_none() {
        return Err(Error::InvalidArgument);
    }
    // radosgw looks the user up by uid first and, when that finds nobody, by access key
    // (`RGWUser::init`): a uid naming no user with a known key answers the key's owner.
    let by_uid = match &r.uid {
        Some(uid) => app.users.get(uid).await?,
        None => None,
    };
    let user = match (by_uid, &r.access_key) {
        (Some(u), _) => u,
        (None, Some(ak)) => match app.users.by_access_key(ak).await? {
            Some(owner) => owner.user,
            // Without a uid radosgw 16 has initialised the anonymous user, whose keys it
            // refuses to read (EACCES; 16.2.15, probed).
            None if r.uid.is_none() && app.cfg.compat == Compat::Pacific => {
                return Err(Error::AccessDenied)
            }
            None => return Err(Error::NoSuchUser),
        },
        (None, None) => return Err(Error::NoSuchUser),
    };
    let view = crate::model::KeyView {
        hidden: !sees_keys(caller),
        ..app.key_view()
    };
    if r.stats {
        // The user's synced stats (`sync=true`; ours are always current): radosgw keeps no
        // utilized bytes for a user.
        let t = app.buckets.user_totals(&user.uid.to_string()).await?;
        let stats = crate::model::dump_storage_stats(t.size, t.size_actual, Some(0), t.num_objects);
        return Ok(Reply::Doc(info_doc(&user, Some(stats), view)));
    }
    if view.hidden {
        // Not the pre-rendered document: that one has the keys.
        return Ok(Reply::Doc(info_doc(&user, None, view)));
    }
    Ok(Reply::UserInfo(user))
}

/// Settings create and modify share.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub max_buckets: Option<i32>,
    pub suspended: Option<bool>,
    pub system: Option<bool>,
    pub op_mask: Option<String>,
    pub default_placement: Option<String>,
    pub default_storage_class: Option<String>,
    pub placement_tags: Option<String>,
    /// radosgw 19 (`squid`; ignored before): the account to join, whether the user is its
    /// root, the IAM path.
    pub account_id: Option<String>,
    pub account_root: Option<bool>,
    pub path: Option<String>,
}

impl Settings {
    fn parse(q: &Query) -> Settings {
        Settings {
            account_id: nonempty(q, "account-id"),
            account_root: flag(q, "account-root"),
            path: nonempty(q, "path"),
            max_buckets: q.get("max-buckets").and_then(|v| v.trim().parse().ok()),
            suspended: flag(q, "suspended"),
            system: flag(q, "system"),
            op_mask: raw(q, "op-mask"),
            default_placement: raw(q, "default-placement"),
            default_storage_class: raw(q, "default-storage-class"),
            placement_tags: raw(q, "placement-tags"),
        }
    }

    fn apply(&self, caller: &Caller, u: &mut User) -> Result<()> {
        if let Some(v) = self.max_buckets {
            // Negative: bucket creation disabled, which radosgw (16.2.15 too) stores as -1.
            u.max_buckets = v.max(-1);
        }
        if let Some(s) = self.suspended {
            u.suspended = s;
        }
        if let Some(system) = self.system {
            if system && !caller.is_system() {
                return Err(Error::InvalidArgument);
            }
            u.system = system;
        }
        if let Some(m) = &self.op_mask {
            u.op_mask = op_mask::parse(m).ok_or(Error::InvalidArgument)?;
        }
        if let Some(p) = &self.default_placement {
            u.default_placement = p.clone();
        }
        if let Some(s) = &self.default_storage_class {
            u.default_storage_class = s.clone();
        }
        if let Some(t) = &self.placement_tags {
            u.placement_tags = t
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
        Ok(())
    }

    /// The account settings (`squid` only), once `join` approved `account`.
    fn apply_iam(&self, app: &App, u: &mut User, account: &Option<String>) {
        if !app.squid() {
            return;
        }
        if let Some(id) = account {
            u.iam.account_id = id.clone();
        }
        if let Some(root) = self.account_root {
            u.user_type = if root { "root" } else { "rgw" }.to_string();
        }
        if let Some(p) = &self.path {
            u.iam.path = p.clone();
        }
    }

    /// At `squid`, check `account-id`/`account-root` against `u` (see `account::join`).
    async fn check_iam(&self, app: &App, u: &User) -> Result<Option<String>> {
        if !app.squid() {
            return Ok(None);
        }
        crate::ops::account::join(app, u, self.account_id.as_deref(), self.account_root).await
    }
}

/// `radosgw-admin user stats`: the user's totals over its buckets, with the times radosgw
/// keeps of its last sync and update. Ours are summed when asked, so both are now. The CLI's
/// alone: over HTTP the same totals come with `GET /admin/user?stats=true`.
pub async fn stats(app: &App, uid: &str) -> Result<Doc> {
    app.users.get(uid).await?.ok_or(Error::NoSuchUser)?;
    let t = app.buckets.user_totals(uid).await?;
    let totals = crate::model::dump_storage_stats(t.size, t.size_actual, None, t.num_objects);
    let now = crate::clock::utime(crate::clock::now_us());
    Ok(Doc::new(
        "user_stats",
        ObjBuilder::new()
            .node("stats", totals)
            .str("last_stats_sync", now.as_str())
            .str("last_stats_update", now)
            .build(),
    ))
}

/// A user's document as this level prints it.
pub fn info_doc(u: &User, stats: Option<crate::encode::Node>, view: crate::model::KeyView) -> Doc {
    Doc::new("user_info", crate::account::user_info(u, stats, view))
}

/// The key parameters create and modify share.
#[derive(Debug, Clone, Default)]
pub struct KeyParams {
    pub key_type: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub generate_key: Option<bool>,
}

impl KeyParams {
    fn parse(q: &Query) -> KeyParams {
        KeyParams {
            key_type: raw(q, "key-type"),
            access_key: nonempty(q, "access-key"),
            secret_key: nonempty(q, "secret-key"),
            generate_key: flag(q, "generate-key"),
        }
    }

    fn key_type(&self) -> &str {
        self.key_type.as_deref().unwrap_or("s3")
    }
}

#[derive(Debug, Clone, Default)]
pub struct CreateReq {
    pub uid: Option<String>,
    pub tenant: Option<String>,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub caps: Option<String>,
    pub keys: KeyParams,
    pub settings: Settings,
}

impl CreateReq {
    pub fn parse(q: &Query) -> CreateReq {
        CreateReq {
            uid: nonempty(q, "uid"),
            tenant: nonempty(q, "tenant"),
            display_name: nonempty(q, "display-name"),
            email: nonempty(q, "email"),
            caps: raw(q, "user-caps"),
            keys: KeyParams::parse(q),
            settings: Settings::parse(q),
        }
    }
}

fn valid_tenant(t: &str) -> bool {
    t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

pub async fn create(app: &App, caller: &Caller, r: CreateReq) -> Result<Reply> {
    let Some(uid) = &r.uid else {
        if app.cfg.compat != Compat::Pacific {
            return Err(Error::InvalidArgument);
        }
        // radosgw 16 treats a missing uid as the anonymous user and refuses it, after its
        // lookups by email and access key have found nobody (else that user "exists").
        let found = found_by(app, r.email.as_deref(), r.keys.access_key.as_deref()).await?;
        return Err(found.map_or(Error::AccessDenied, Found::exists));
    };
    let mut uid = UserId::parse(uid);
    if let Some(t) = &r.tenant {
        uid.tenant = t.clone();
    }
    if !valid_tenant(&uid.tenant) {
        return Err(Error::InvalidTenantName);
    }
    if uid.id.is_empty() {
        return Err(Error::InvalidArgument);
    }
    // radosgw's execute_add refuses an existing uid before it reads anything else of the
    // request (display name, caps, key type: 409 whatever they are; 16.2.15, probed).
    if app.users.get(&uid.to_string()).await?.is_some() {
        return Err(Error::UserAlreadyExists);
    }
    // A user found by the email or the access key exists too (`found_by_email`,
    // `found_by_key`): 409 before the display name is asked for.
    if let Some(found) = found_by(app, r.email.as_deref(), r.keys.access_key.as_deref()).await? {
        return Err(found.exists());
    }
    let display_name = r.display_name.as_deref().ok_or(Error::InvalidArgument)?;
    let mut user = User::new(uid.clone(), display_name.to_string());
    if let Some(caps) = r.caps.as_deref().filter(|c| !c.is_empty()) {
        crate::caps::parse_at(caps, app.squid())?;
        crate::caps::add(&mut user.caps, caps)?;
    }
    if let Some(e) = &r.email {
        user.email = email(e);
    }
    r.settings.apply(caller, &mut user)?;
    user.iam.create_date_us = crate::clock::now_us();
    let account = r.settings.check_iam(app, &user).await?;
    r.settings.apply_iam(app, &mut user, &account);
    let k = &r.keys;
    match k.key_type() {
        "s3" => {
            let gen = k.generate_key.unwrap_or(true);
            let pair = match (&k.access_key, &k.secret_key) {
                (Some(ak), sk) => {
                    let secret = match sk {
                        Some(s) => s.clone(),
                        None if gen => keys::secret_key(),
                        None => return Err(Error::InvalidSecretKey),
                    };
                    Some((ak.clone(), secret))
                }
                (None, Some(sk)) => Some((keys::access_key(), sk.clone())),
                (None, None) if gen => Some((keys::access_key(), keys::secret_key())),
                (None, None) => None,
            };
            if let Some((ak, secret)) = pair {
                user.keys.insert(ak, Key::new(String::new(), secret));
            }
        }
        // A swift key needs a subuser, which user create cannot name: radosgw 16 answers
        // InvalidAccessKeyId, unless no key is asked for (`generate-key=false`, no key
        // given), when the user is made without one.
        "swift" => {
            let no_key =
                k.generate_key == Some(false) && k.access_key.is_none() && k.secret_key.is_none();
            if !no_key {
                return Err(Error::InvalidAccessKeyId);
            }
        }
        // Unknown key types create no key, silently, as radosgw does.
        _ => {}
    }
    let created = app.users.create(user).await?;
    Ok(Reply::Doc(info_doc(&created, None, app.key_view())))
}

#[derive(Debug, Clone, Default)]
pub struct ModifyReq {
    pub uid: Option<String>,
    pub display_name: Option<String>,
    /// Given empty, clears the e-mail.
    pub email: Option<String>,
    pub keys: KeyParams,
    pub settings: Settings,
}

impl ModifyReq {
    pub fn parse(q: &Query) -> ModifyReq {
        ModifyReq {
            uid: nonempty(q, "uid"),
            display_name: nonempty(q, "display-name"),
            email: raw(q, "email"),
            keys: KeyParams::parse(q),
            settings: Settings::parse(q),
        }
    }
}

pub async fn modify(app: &App, caller: &Caller, r: ModifyReq) -> Result<Reply> {
    let Some(uid) = r.uid.as_deref() else {
        // radosgw looks the user up by the email, then the access key, given: one found so
        // is not the (anonymous) user it works on ("user id mismatch").
        if found_by(app, r.email.as_deref(), r.keys.access_key.as_deref())
            .await?
            .is_some()
        {
            return Err(Error::InvalidArgument);
        }
        return Err(no_uid(app));
    };
    let cur = match app.users.load(uid).await {
        // radosgw looks a user it cannot find by uid up by the email, then the access key,
        // given; one found so is another user ("user id mismatch": InvalidArgument).
        Err(Error::NoSuchUser)
            if found_by(app, r.email.as_deref(), r.keys.access_key.as_deref())
                .await?
                .is_some() =>
        {
            return Err(Error::InvalidArgument)
        }
        res => res?,
    };
    // Validate what can fail before touching anything.
    if let Some(m) = &r.settings.op_mask {
        op_mask::parse(m).ok_or(Error::InvalidArgument)?;
    }
    let account = r.settings.check_iam(app, &cur).await?;
    let k = &r.keys;
    let s3 = k.key_type() == "s3";
    if let (true, Some(ak)) = (s3, &k.access_key) {
        if let Some(owner) = app.users.by_access_key(ak).await? {
            if owner.user.uid.to_string() != uid {
                return Err(Error::KeyExists);
            }
        }
    }
    let gen = k.generate_key.unwrap_or(false);
    let gen_ak = keys::access_key();
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            if let Some(d) = &r.display_name {
                u.display_name = d.clone();
            }
            if let Some(e) = &r.email {
                u.email = email(e);
            }
            r.settings.apply(caller, u)?;
            r.settings.apply_iam(app, u, &account);
            if !s3 {
                return Ok(());
            }
            match &k.access_key {
                Some(ak) => {
                    let secret = match (&k.secret_key, u.keys.get(ak)) {
                        (Some(s), _) => s.clone(),
                        (None, Some(cur)) if !gen => cur.secret.clone(),
                        _ => keys::secret_key(),
                    };
                    let subuser = u
                        .keys
                        .get(ak)
                        .map(|k| k.subuser.clone())
                        .unwrap_or_default();
                    let key = Key::new(subuser, secret).keeping(u.keys.get(ak));
                    u.keys.insert(ak.clone(), key);
                }
                None if gen => {
                    let secret = k.secret_key.clone().unwrap_or_else(keys::secret_key);
                    u.keys
                        .insert(gen_ak.clone(), Key::new(String::new(), secret));
                }
                None => {}
            }
            Ok(())
        })
        .await?;
    Ok(Reply::Doc(info_doc(&u, None, app.key_view())))
}

/// An email as radosgw keeps it (`set_user_email`): lower case (ASCII), so that addresses
/// differing only in case are one address, taken once.
fn email(e: &str) -> String {
    e.to_ascii_lowercase()
}

/// Which of `RGWUser::init`'s lookups after the uid finds a user: the email, then the
/// access key.
enum Found {
    Email,
    Key,
}

impl Found {
    /// What a create answers for a user found so (`execute_add`: the user "exists").
    fn exists(self) -> Error {
        match self {
            Found::Email => Error::EmailExists,
            Found::Key => Error::KeyExists,
        }
    }
}

async fn found_by(
    app: &App,
    address: Option<&str>,
    access_key: Option<&str>,
) -> Result<Option<Found>> {
    if let Some(e) = address.filter(|e| !e.is_empty()) {
        if app.users.by_email(&email(e)).await?.is_some() {
            return Ok(Some(Found::Email));
        }
    }
    match access_key {
        Some(ak) if app.users.by_access_key(ak).await?.is_some() => Ok(Some(Found::Key)),
        _ => Ok(None),
    }
}

#[derive(Debug, Clone, Default)]
pub struct RemoveReq {
    pub uid: Option<String>,
    pub purge_data: bool,
}

impl RemoveReq {
    pub fn parse(q: &Query) -> RemoveReq {
        RemoveReq {
            uid: nonempty(q, "uid"),
            purge_data: q.get_bool("purge-data", false),
        }
    }
}

pub async fn remove(app: &App, r: RemoveReq) -> Result<Reply> {
    let uid = r.uid.as_deref().ok_or_else(|| no_uid(app))?;
    app.users.load(uid).await?;
    let owned = app.buckets.of_user(uid).await?;
    if !owned.is_empty() {
        // radosgw refuses with EEXIST, which it maps to BucketAlreadyExists.
        if !r.purge_data {
            return Err(Error::BucketAlreadyExists);
        }
        for b in owned {
            crate::ops::bucket::purge_bucket(app, &b).await?;
        }
    }
    app.users.remove(uid).await?;
    Ok(Reply::Empty)
}

/// Pool id radosgw 16's metadata pool had in the captures; it only appears inside cursors.
const META_POOL: u32 = 4;

/// A listing cursor as radosgw prints it: `<pool>:<bitwise hash>:users.uid::<uid>:head`.
pub fn cursor(hash: u32, uid: &str) -> String {
    format!("{META_POOL}:{hash:08x}:users.uid::{uid}:head")
}

/// The RADOS position a cursor names (hash, uid); `None` for anything else.
pub fn parse_cursor(c: &str) -> Option<(u32, String)> {
    let mut it = c.splitn(3, ':');
    let _pool = it.next()?;
    let hash = u32::from_str_radix(it.next()?, 16).ok()?;
    let rest = it.next()?.strip_prefix("users.uid::")?;
    Some((hash, rest.strip_suffix(":head").unwrap_or(rest).to_string()))
}

/// The cursor of `uid` itself.
pub fn cursor_of(uid: &str) -> String {
    cursor(rados_key(USERS_NS, uid), uid)
}

#[derive(Debug, Clone, Default)]
pub struct ListReq {
    pub max_entries: Option<i64>,
    pub marker: Option<String>,
}

impl ListReq {
    pub fn parse(q: &Query) -> ListReq {
        ListReq {
            max_entries: q.get("max-entries").and_then(|v| v.trim().parse().ok()),
            marker: nonempty(q, "marker"),
        }
    }
}

/// `GET /admin/user?list`: a page of uids with radosgw's cursor.
pub async fn list(app: &App, r: ListReq) -> Result<Reply> {
    let max = r.max_entries.unwrap_or(1000).clamp(0, 1000) as usize;
    let from = r.marker.as_deref().and_then(parse_cursor);
    let (keys, next) = app
        .users
        .list_page(from.as_ref().map(|(h, u)| (*h, u.as_str())), max)
        .await?;
    let mut b = ObjBuilder::new()
        .node("keys", crate::encode::str_arr("key", keys.iter().cloned()))
        .bool("truncated", next.is_some())
        .int("count", keys.len() as i64);
    if let Some((h, u)) = next {
        b = b.str("marker", cursor(h, &u));
    }
    Ok(Reply::Doc(Doc::new("result", b.build())))
}
