//! `/admin/user?key`: create and remove S3 and Swift keys (`RGWOp_Key_*`).

use crate::app::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::keys;
use crate::model::Key;
use crate::ops::subuser::subuser_name;
use crate::ops::user::{load, target_uid, unused_access_key};
use crate::ops::Reply;

#[derive(PartialEq, Eq, Clone, Copy)]
enum KeyType {
    S3,
    Swift,
    Other,
}

/// `key-type`, defaulting to swift when a subuser is named and to s3 otherwise.
fn key_type(ctx: &Ctx) -> KeyType {
    match ctx.query.get("key-type") {
        Some("s3") => KeyType::S3,
        Some("swift") => KeyType::Swift,
        Some(_) => KeyType::Other,
        None if ctx.query.get_nonempty("subuser").is_some() => KeyType::Swift,
        None => KeyType::S3,
    }
}

pub async fn create(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let uid = target_uid(ctx).ok_or(Error::InvalidArgument)?;
    let user = load(app, &uid)?;
    let kt = key_type(ctx);
    // radosgw 16 answers an unknown key type with an empty 200 and changes nothing.
    if kt == KeyType::Other {
        return Ok(Reply::Empty);
    }
    let sub = match q.get_nonempty("subuser") {
        Some(_) => Some(subuser_name(ctx)?),
        None => None,
    };
    if let Some(s) = &sub {
        if !user.subusers.contains_key(s) {
            return Err(Error::NoSuchSubUser);
        }
    }
    let gen = q.get_bool("generate-key", true);
    let sk = q.get_nonempty("secret-key").map(str::to_string);
    match kt {
        KeyType::S3 => {
            let ak = match q.get_nonempty("access-key") {
                Some(a) => {
                    if let Some(o) = app.users.by_access_key(a) {
                        if o.uid.to_string() != uid {
                            return Err(Error::KeyExists);
                        }
                    }
                    a.to_string()
                }
                None => unused_access_key(app),
            };
            let secret = match sk {
                Some(s) => s,
                None if gen || !user.keys.contains_key(&ak) => keys::secret_key(),
                None => user.keys[&ak].secret.clone(),
            };
            let subuser = sub.unwrap_or_default();
            let (u, ()) = app
                .users
                .modify(&uid, |u| {
                    u.keys.insert(
                        ak.clone(),
                        Key {
                            subuser: subuser.clone(),
                            secret: secret.clone(),
                        },
                    );
                    Ok(())
                })
                .await?;
            Ok(Reply::Doc(Doc::new("keys", u.dump_keys())))
        }
        KeyType::Swift => {
            let sub = sub.ok_or(Error::InvalidAccessKeyId)?;
            let secret = sk.unwrap_or_else(keys::secret_key);
            let (u, ()) = app
                .users
                .modify(&uid, |u| {
                    u.swift_keys.insert(
                        sub.clone(),
                        Key {
                            subuser: sub.clone(),
                            secret: secret.clone(),
                        },
                    );
                    Ok(())
                })
                .await?;
            Ok(Reply::Doc(Doc::new("swift_keys", u.dump_swift_keys())))
        }
        KeyType::Other => Ok(Reply::Empty),
    }
}

pub async fn remove(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let kt = key_type(ctx);
    match kt {
        KeyType::Swift => {
            let uid = target_uid(ctx).ok_or(Error::InvalidAccessKeyId)?;
            load(app, &uid)?;
            let sub = subuser_name(ctx).map_err(|_| Error::InvalidAccessKeyId)?;
            app.users
                .modify(&uid, |u| {
                    u.swift_keys
                        .remove(&sub)
                        .map(|_| ())
                        .ok_or(Error::InvalidAccessKeyId)
                })
                .await?;
        }
        KeyType::S3 | KeyType::Other => {
            let uid = match target_uid(ctx) {
                Some(u) => {
                    load(app, &u)?;
                    u
                }
                None => {
                    let ak = q
                        .get_nonempty("access-key")
                        .ok_or(Error::InvalidAccessKeyId)?;
                    let owner = app
                        .users
                        .by_access_key(ak)
                        .ok_or(Error::InvalidAccessKeyId)?;
                    owner.uid.to_string()
                }
            };
            let ak = q
                .get_nonempty("access-key")
                .ok_or(Error::InvalidAccessKeyId)?
                .to_string();
            app.users
                .modify(&uid, |u| {
                    u.keys
                        .remove(&ak)
                        .map(|_| ())
                        .ok_or(Error::InvalidAccessKeyId)
                })
                .await?;
        }
    }
    Ok(Reply::Empty)
}
