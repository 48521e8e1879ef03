//! `/admin/user?key`: create and remove S3 and Swift keys (`RGWOp_Key_*`).

use crate::config::Compat;
use crate::domain::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::keys;
use crate::model::Key;
use crate::ops::subuser::SubuserReq;
use crate::ops::user::{flag, target_uid};
use crate::ops::Reply;
use crate::query::Query;

#[derive(PartialEq, Eq, Clone, Copy)]
enum KeyType {
    S3,
    Swift,
    Other,
}

#[derive(Debug, Clone, Default)]
pub struct KeyReq {
    pub uid: Option<String>,
    pub subuser: Option<String>,
    pub key_type: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub generate_key: Option<bool>,
    /// `active` (radosgw 19): set the key's state; `None` keeps it (a new key is active).
    pub active: Option<bool>,
}

impl KeyReq {
    pub fn parse(q: &Query) -> KeyReq {
        KeyReq {
            uid: target_uid(q),
            subuser: q.get_nonempty("subuser").map(str::to_string),
            key_type: q.get("key-type").map(str::to_string),
            access_key: q.get_nonempty("access-key").map(str::to_string),
            secret_key: q.get_nonempty("secret-key").map(str::to_string),
            generate_key: flag(q, "generate-key"),
            active: None,
        }
    }

    /// As `parse`, at a level that reads `active` (squid): radosgw's `get_bool` marks it
    /// given whatever its value, and an unreadable value counts as the default, `true`.
    pub fn parse_at(q: &Query, compat: Compat) -> KeyReq {
        let mut r = KeyReq::parse(q);
        if compat >= Compat::Squid {
            r.active = q
                .get("active")
                .map(|v| crate::query::parse_bool(v).unwrap_or(true));
        }
        r
    }

    /// `key-type`, defaulting to swift when a subuser is named and to s3 otherwise.
    fn key_type(&self) -> KeyType {
        match self.key_type.as_deref() {
            Some("s3") => KeyType::S3,
            Some("swift") => KeyType::Swift,
            Some(_) => KeyType::Other,
            None if self.subuser.is_some() => KeyType::Swift,
            None => KeyType::S3,
        }
    }

    fn subuser_name(&self) -> Result<String> {
        SubuserReq {
            subuser: self.subuser.clone(),
            ..SubuserReq::default()
        }
        .name()
    }
}

pub async fn create(app: &App, r: KeyReq) -> Result<Reply> {
    let user = match r.uid.as_deref() {
        Some(uid) => app.users.load(uid).await?,
        None => owner_of_key(app, &r).await?,
    };
    let uid = user.uid.to_string();
    let uid = uid.as_str();
    let kt = r.key_type();
    // radosgw 16 answers an unknown key type with an empty 200 and changes nothing.
    if kt == KeyType::Other {
        return Ok(Reply::Empty);
    }
    let sub = match &r.subuser {
        Some(_) => Some(r.subuser_name()?),
        None => None,
    };
    if let Some(s) = &sub {
        if !user.subusers.contains_key(s) {
            return Err(Error::NoSuchSubUser);
        }
    }
    let gen = r.generate_key.unwrap_or(true);
    if kt == KeyType::Swift {
        let sub = sub.ok_or(Error::InvalidAccessKeyId)?;
        let secret = r.secret_key.clone().unwrap_or_else(keys::secret_key);
        let (u, ()) = app
            .users
            .modify(uid, |u| {
                let mut key = Key::new(sub.clone(), secret.clone()).keeping(u.swift_keys.get(&sub));
                key.active = r.active.unwrap_or(key.active);
                u.swift_keys.insert(sub.clone(), key);
                Ok(())
            })
            .await?;
        return Ok(Reply::Doc(Doc::new(
            "swift_keys",
            u.dump_swift_keys(app.key_view()),
        )));
    }
    let ak = match &r.access_key {
        Some(a) => {
            if let Some(o) = app.users.by_access_key(a).await? {
                if o.user.uid.to_string() != uid {
                    return Err(Error::KeyExists);
                }
            }
            a.clone()
        }
        None => keys::access_key(),
    };
    let secret = match (&r.secret_key, user.keys.get(&ak)) {
        (Some(s), _) => s.clone(),
        (None, Some(cur)) if !gen => cur.secret.clone(),
        _ => keys::secret_key(),
    };
    let subuser = sub.unwrap_or_default();
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            // An existing key keeps its creation date and, unless `active` is given, its
            // state (radosgw's `modify_key`).
            let mut key = Key::new(subuser.clone(), secret.clone()).keeping(u.keys.get(&ak));
            key.active = r.active.unwrap_or(key.active);
            u.keys.insert(ak.clone(), key);
            Ok(())
        })
        .await?;
    Ok(Reply::Doc(Doc::new("keys", u.dump_keys(app.key_view()))))
}

pub async fn remove(app: &App, r: KeyReq) -> Result<Reply> {
    if r.key_type() == KeyType::Swift {
        let uid = r.uid.as_deref().ok_or_else(|| unknown_key(app))?;
        app.users.load(uid).await?;
        let sub = r.subuser_name().map_err(|_| Error::InvalidAccessKeyId)?;
        app.users
            .modify(uid, |u| {
                u.swift_keys
                    .remove(&sub)
                    .map(|_| ())
                    .ok_or(Error::InvalidAccessKeyId)
            })
            .await?;
        return Ok(Reply::Empty);
    }
    let uid = match &r.uid {
        Some(u) => {
            app.users.load(u).await?;
            u.clone()
        }
        // radosgw finds the user by the key; one it does not find leaves 16.2 on the
        // anonymous user, which is refused.
        None => {
            let ak = r.access_key.as_deref().ok_or_else(|| unknown_key(app))?;
            let owner = app
                .users
                .by_access_key(ak)
                .await?
                .ok_or_else(|| unknown_key(app))?;
            owner.user.uid.to_string()
        }
    };
    let ak = r.access_key.clone().ok_or(Error::InvalidAccessKeyId)?;
    app.users
        .modify(&uid, |u| {
            u.keys
                .remove(&ak)
                .map(|_| ())
                .ok_or(Error::InvalidAccessKeyId)
        })
        .await?;
    Ok(Reply::Empty)
}

/// A key remove that names no user and no key its user could be found by: 16.2 is then on
/// the anonymous user, which is refused; later levels answer as for an unknown key.
fn unknown_key(app: &App) -> Error {
    match app.cfg.compat {
        Compat::Pacific => Error::AccessDenied,
        _ => Error::InvalidAccessKeyId,
    }
}

/// A key create that names no user: radosgw 16.2 finds the user by the access key given
/// (and changes that key); without one, or at later levels, see `user::no_uid`.
async fn owner_of_key(app: &App, r: &KeyReq) -> Result<std::sync::Arc<crate::model::User>> {
    let no_uid = crate::ops::user::no_uid(app);
    if app.cfg.compat != Compat::Pacific {
        return Err(no_uid);
    }
    let ak = r.access_key.as_deref().ok_or(no_uid.clone())?;
    let owner = app.users.by_access_key(ak).await?.ok_or(no_uid)?;
    Ok(owner.user)
}
