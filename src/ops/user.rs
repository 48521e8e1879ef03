//! `/admin/user`: info, create, modify, remove, list (`RGWOp_User_*`).

use std::collections::HashMap;
use std::sync::{OnceLock, RwLock};

use bytes::Bytes;

use crate::app::App;
use crate::config::Compat;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::keys;
use crate::model::{op_mask, Key, User, UserId};
use crate::ops::Reply;
use crate::users::rados_order;

/// The uid an op acts on: `uid`, or the part before `:` of `subuser=uid:name`.
pub fn target_uid(ctx: &Ctx) -> Option<String> {
    if let Some(u) = ctx.query.get_nonempty("uid") {
        return Some(u.to_string());
    }
    let sub = ctx.query.get_nonempty("subuser")?;
    sub.split_once(':').map(|(u, _)| u.to_string())
}

/// Load the target user or fail with `NoSuchUser`.
pub fn load(app: &App, uid: &str) -> Result<std::sync::Arc<User>> {
    app.users.get(uid).ok_or(Error::NoSuchUser)
}

pub fn info_doc(u: &User, stats: Option<crate::encode::Node>) -> Doc {
    Doc::new("user_info", u.dump_info(stats))
}

pub fn info(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let user = if let Some(uid) = q.get_nonempty("uid") {
        load(app, uid)?
    } else if let Some(ak) = q.get_nonempty("access-key") {
        app.users.by_access_key(ak).ok_or(Error::NoSuchUser)?
    } else {
        return Err(Error::InvalidArgument);
    };
    if q.get_bool("stats", false) {
        let stats = crate::ops::bucket::user_stats(app, &user.uid.to_string())?;
        return Ok(Reply::Doc(info_doc(&user, Some(stats))));
    }
    if ctx.local {
        return Ok(Reply::Doc(info_doc(&user, None)));
    }
    Ok(Reply::Rendered(rendered_info(app, ctx, &user)))
}

/// Rendered user documents by (uid, XML?, string booleans?), each with the version and
/// mtime it was rendered from: reads of a hot user cost a lookup, not a render.
type RenderCache = HashMap<(String, bool, bool), (u64, i64, Bytes)>;

fn render_cache() -> &'static RwLock<RenderCache> {
    static CACHE: OnceLock<RwLock<RenderCache>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// Most entries kept; past it the cache starts over (it only saves work).
const RENDER_CACHE_MAX: usize = 100_000;

fn rendered_info(app: &App, ctx: &Ctx, u: &User) -> Bytes {
    let style = app.style();
    let key = (
        u.uid.to_string(),
        ctx.format == crate::encode::Format::Xml,
        style.string_bools,
    );
    if let Some((ver, mtime, b)) = render_cache()
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        if *ver == u.ver && *mtime == u.mtime_us {
            return b.clone();
        }
    }
    let body = Bytes::from(crate::http::render_doc(
        &info_doc(u, None),
        ctx.format,
        ctx.op.buffered(),
        style,
    ));
    let mut c = render_cache().write().unwrap_or_else(|e| e.into_inner());
    if c.len() >= RENDER_CACHE_MAX {
        c.clear();
    }
    c.insert(key, (u.ver, u.mtime_us, body.clone()));
    body
}

/// Parameters shared by create and modify.
fn apply_common(app: &App, ctx: &Ctx, u: &mut User) -> Result<()> {
    let q = &ctx.query;
    if let Some(mb) = q.get("max-buckets") {
        if let Ok(v) = mb.trim().parse::<i32>() {
            u.max_buckets = if app.cfg.compat >= Compat::Quincy && v < 0 {
                -1
            } else {
                v
            };
        }
    }
    if q.get("suspended").is_some() {
        u.suspended = q.get_bool("suspended", u.suspended);
    }
    if q.get("system").is_some() {
        let system = q.get_bool("system", u.system);
        if system && !ctx.caller.as_ref().is_some_and(|c| c.system) {
            return Err(Error::InvalidArgument);
        }
        u.system = system;
    }
    if let Some(m) = q.get("op-mask") {
        u.op_mask = op_mask::parse(m).ok_or(Error::InvalidArgument)?;
    }
    if let Some(p) = q.get("default-placement") {
        u.default_placement = p.to_string();
    }
    if let Some(s) = q.get("default-storage-class") {
        u.default_storage_class = s.to_string();
    }
    if let Some(t) = q.get("placement-tags") {
        u.placement_tags = t
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
    }
    Ok(())
}

fn valid_tenant(t: &str) -> bool {
    t.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

pub async fn create(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let Some(uid) = q.get_nonempty("uid") else {
        // radosgw 16 treats a missing uid as the anonymous user and refuses it.
        return Err(if app.cfg.compat == Compat::Pacific {
            Error::AccessDenied
        } else {
            Error::InvalidArgument
        });
    };
    let mut uid = UserId::parse(uid);
    if let Some(t) = q.get_nonempty("tenant") {
        uid.tenant = t.to_string();
    }
    if !valid_tenant(&uid.tenant) {
        return Err(Error::InvalidTenantName);
    }
    if uid.id.is_empty() {
        return Err(Error::InvalidArgument);
    }
    let display_name = q
        .get_nonempty("display-name")
        .ok_or(Error::InvalidArgument)?;
    let mut user = User::new(uid.clone(), display_name.to_string());
    if let Some(caps) = q.get("user-caps") {
        if !caps.is_empty() {
            crate::caps::add(&mut user.caps, caps)?;
        }
    }
    if app.users.get(&uid.to_string()).is_some() {
        return Err(Error::UserAlreadyExists);
    }
    if let Some(e) = q.get_nonempty("email") {
        user.email = e.to_string();
    }
    apply_common(app, ctx, &mut user)?;
    let key_type = q.get("key-type").unwrap_or("s3");
    match key_type {
        "s3" => {
            let gen = q.get_bool("generate-key", true);
            let ak = q.get_nonempty("access-key");
            let sk = q.get_nonempty("secret-key");
            match (ak, sk) {
                (Some(ak), sk) => {
                    let secret = match sk {
                        Some(s) => s.to_string(),
                        None if gen => keys::secret_key(),
                        None => return Err(Error::InvalidSecretKey),
                    };
                    user.keys.insert(
                        ak.to_string(),
                        Key {
                            subuser: String::new(),
                            secret,
                        },
                    );
                }
                (None, Some(sk)) => {
                    let ak = unused_access_key(app);
                    user.keys.insert(
                        ak,
                        Key {
                            subuser: String::new(),
                            secret: sk.to_string(),
                        },
                    );
                }
                (None, None) if gen => {
                    let ak = unused_access_key(app);
                    user.keys.insert(
                        ak,
                        Key {
                            subuser: String::new(),
                            secret: keys::secret_key(),
                        },
                    );
                }
                (None, None) => {}
            }
        }
        // A swift key needs a subuser, which user create cannot name; radosgw 16 answers
        // InvalidAccessKeyId.
        "swift" => return Err(Error::InvalidAccessKeyId),
        // Unknown key types create no key, silently, as radosgw does.
        _ => {}
    }
    let created = app.users.create(user).await?;
    Ok(Reply::Doc(info_doc(&created, None)))
}

/// A generated access key no user holds (radosgw retries until unused too).
pub fn unused_access_key(app: &App) -> String {
    loop {
        let k = keys::access_key();
        if app.users.by_access_key(&k).is_none() {
            return k;
        }
    }
}

pub async fn modify(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let uid = q.get_nonempty("uid").ok_or(Error::InvalidArgument)?;
    load(app, uid)?;
    // Validate what can fail before touching anything.
    if let Some(m) = q.get("op-mask") {
        op_mask::parse(m).ok_or(Error::InvalidArgument)?;
    }
    let key_type = q.get("key-type").unwrap_or("s3");
    let ak = q.get_nonempty("access-key").map(str::to_string);
    if let Some(ak) = &ak {
        if key_type == "s3" {
            if let Some(owner) = app.users.by_access_key(ak) {
                if owner.uid.to_string() != uid {
                    return Err(Error::KeyExists);
                }
            }
        }
    }
    let gen_ak = unused_access_key(app);
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            if let Some(d) = q.get_nonempty("display-name") {
                u.display_name = d.to_string();
            }
            if let Some(e) = q.get("email") {
                u.email = e.to_string();
            }
            apply_common(app, ctx, u)?;
            if key_type == "s3" {
                let sk = q.get_nonempty("secret-key");
                match &ak {
                    Some(ak) => {
                        let secret = match (sk, u.keys.get(ak)) {
                            (Some(s), _) => s.to_string(),
                            (None, Some(k)) if !q.get_bool("generate-key", false) => {
                                k.secret.clone()
                            }
                            _ => keys::secret_key(),
                        };
                        let sub = u
                            .keys
                            .get(ak)
                            .map(|k| k.subuser.clone())
                            .unwrap_or_default();
                        u.keys.insert(
                            ak.clone(),
                            Key {
                                subuser: sub,
                                secret,
                            },
                        );
                    }
                    None if q.get_bool("generate-key", false) => {
                        let secret = sk.map(str::to_string).unwrap_or_else(keys::secret_key);
                        u.keys.insert(
                            gen_ak.clone(),
                            Key {
                                subuser: String::new(),
                                secret,
                            },
                        );
                    }
                    None => {}
                }
            }
            Ok(())
        })
        .await?;
    Ok(Reply::Doc(info_doc(&u, None)))
}

pub async fn remove(app: &App, ctx: &Ctx) -> Result<Reply> {
    let uid = ctx
        .query
        .get_nonempty("uid")
        .ok_or(Error::InvalidArgument)?;
    load(app, uid)?;
    let owned = app.buckets.of_user(uid)?;
    if !owned.is_empty() {
        // radosgw refuses with EEXIST, which it maps to BucketAlreadyExists.
        if !ctx.query.get_bool("purge-data", false) {
            return Err(Error::BucketAlreadyExists);
        }
        for b in owned {
            crate::ops::bucket::purge_bucket(app, &b).await?;
        }
    }
    app.users.remove(uid).await?;
    Ok(Reply::Empty)
}

/// One page of uids in RADOS listing order, starting at `marker` (a cursor as radosgw
/// prints it: `<pool>:<bitwise hash>:users.uid::<uid>:head`). Returns the page and, when
/// more remain, the cursor of the next entry.
pub fn list_page(app: &App, marker: Option<&str>, max: usize) -> (Vec<String>, Option<String>) {
    let mut uids = app.users.uids();
    rados_order(&mut uids);
    let start = marker
        .and_then(parse_cursor)
        .map(|(h, name)| {
            uids.iter()
                .position(|u| {
                    (crate::users::rados_key("users.uid", u), u.as_str()) >= (h, name.as_str())
                })
                .unwrap_or(uids.len())
        })
        .unwrap_or(0);
    let rest = &uids[start.min(uids.len())..];
    let page: Vec<String> = rest.iter().take(max).cloned().collect();
    let next = rest.get(max).map(|u| cursor(u));
    (page, next)
}

/// Pool id radosgw 16's metadata pool had in the captures; it only appears inside cursors.
const META_POOL: u32 = 4;

pub fn cursor(uid: &str) -> String {
    format!(
        "{META_POOL}:{:08x}:users.uid::{uid}:head",
        crate::users::rados_key("users.uid", uid)
    )
}

fn parse_cursor(c: &str) -> Option<(u32, String)> {
    let mut it = c.splitn(3, ':');
    let _pool = it.next()?;
    let hash = u32::from_str_radix(it.next()?, 16).ok()?;
    let rest = it.next()?.strip_prefix("users.uid::")?;
    let name = rest.strip_suffix(":head").unwrap_or(rest);
    Some((hash, name.to_string()))
}

pub fn list(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let max = q.get_i64("max-entries", 1000).clamp(0, 1000) as usize;
    let (keys, next) = list_page(app, q.get_nonempty("marker"), max);
    let mut b = ObjBuilder::new()
        .node("keys", crate::encode::str_arr("key", keys.iter().cloned()))
        .bool("truncated", next.is_some())
        .int("count", keys.len() as i64);
    if let Some(m) = next {
        b = b.str("marker", m);
    }
    Ok(Reply::Doc(Doc::new("result", b.build())))
}
