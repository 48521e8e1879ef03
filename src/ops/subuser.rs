//! `/admin/user?subuser`: create, modify, remove (`RGWOp_Subuser_*`).

use crate::app::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::keys;
use crate::model::{perm, Key, User};
use crate::ops::user::{load, target_uid, unused_access_key};
use crate::ops::Reply;

/// The subuser's name without the `uid:` prefix; `InvalidArgument` when missing.
pub fn subuser_name(ctx: &Ctx) -> Result<String> {
    let s = ctx
        .query
        .get_nonempty("subuser")
        .ok_or(Error::InvalidArgument)?;
    let name = s.split_once(':').map_or(s, |(_, n)| n);
    if name.is_empty() {
        return Err(Error::InvalidArgument);
    }
    Ok(name.to_string())
}

fn subusers_doc(u: &User) -> Reply {
    Reply::Doc(Doc::new("subusers", u.dump_subusers()))
}

/// Refuse an S3 access key another user holds.
fn check_key_free(app: &App, uid: &str, ak: &str) -> Result<()> {
    match app.users.by_access_key(ak) {
        Some(o) if o.uid.to_string() != uid => Err(Error::KeyExists),
        _ => Ok(()),
    }
}

pub async fn create(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let uid = target_uid(ctx).ok_or(Error::InvalidArgument)?;
    let name = subuser_name(ctx)?;
    load(app, &uid)?;
    let access = perm::parse(q.get("access").unwrap_or("")).ok_or(Error::InvalidArgument)?;
    let s3 = q.get("key-type") == Some("s3");
    let ak = if s3 {
        let ak = match q.get_nonempty("access-key") {
            Some(a) => a.to_string(),
            None => unused_access_key(app),
        };
        check_key_free(app, &uid, &ak)?;
        Some(ak)
    } else {
        None
    };
    let secret = q
        .get_nonempty("secret-key")
        .map(str::to_string)
        .unwrap_or_else(keys::secret_key);
    let (u, ()) = app
        .users
        .modify(&uid, |u| {
            // An existing subuser keeps its permissions (radosgw's map insert does not
            // overwrite), but its key is still (re)made.
            u.subusers.entry(name.clone()).or_insert(access);
            let key = Key {
                subuser: name.clone(),
                secret: secret.clone(),
            };
            match &ak {
                Some(ak) => {
                    u.keys.insert(ak.clone(), key);
                }
                None => {
                    u.swift_keys.insert(name.clone(), key);
                }
            }
            Ok(())
        })
        .await?;
    Ok(subusers_doc(&u))
}

pub async fn modify(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let uid = target_uid(ctx).ok_or(Error::InvalidArgument)?;
    let name = subuser_name(ctx)?;
    let user = load(app, &uid)?;
    if !user.subusers.contains_key(&name) {
        return Err(Error::NoSuchSubUser);
    }
    // radosgw always applies `access`: leaving it out resets the permissions to none.
    let access = perm::parse(q.get("access").unwrap_or("")).ok_or(Error::InvalidArgument)?;
    let s3 = q.get("key-type") == Some("s3");
    let secret = match q.get_nonempty("secret-key") {
        Some(s) => Some(s.to_string()),
        None if q.get_bool("generate-secret", false) => Some(keys::secret_key()),
        None => None,
    };
    let ak = q.get_nonempty("access-key").map(str::to_string);
    if let (true, Some(ak)) = (s3, &ak) {
        check_key_free(app, &uid, ak)?;
    }
    let (u, ()) = app
        .users
        .modify(&uid, |u| {
            if !u.subusers.contains_key(&name) {
                return Err(Error::NoSuchSubUser);
            }
            u.subusers.insert(name.clone(), access);
            if let Some(secret) = &secret {
                let key = Key {
                    subuser: name.clone(),
                    secret: secret.clone(),
                };
                match (s3, &ak) {
                    (true, Some(ak)) => {
                        u.keys.insert(ak.clone(), key);
                    }
                    (true, None) => {}
                    (false, _) => {
                        u.swift_keys.insert(name.clone(), key);
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(subusers_doc(&u))
}

pub async fn remove(app: &App, ctx: &Ctx) -> Result<Reply> {
    let uid = target_uid(ctx).ok_or(Error::InvalidArgument)?;
    let name = subuser_name(ctx)?;
    let user = load(app, &uid)?;
    if !user.subusers.contains_key(&name) {
        return Err(Error::NoSuchSubUser);
    }
    // `purge-keys` is parsed by radosgw but its keys go in every case.
    app.users
        .modify(&uid, |u| {
            if u.subusers.remove(&name).is_none() {
                return Err(Error::NoSuchSubUser);
            }
            u.swift_keys.remove(&name);
            u.keys.retain(|_, k| k.subuser != name);
            Ok(())
        })
        .await?;
    Ok(Reply::Empty)
}
