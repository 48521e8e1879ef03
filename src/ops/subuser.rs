//! `/admin/user?subuser`: create, modify, remove (`RGWOp_Subuser_*`).

use crate::domain::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::keys;
use crate::model::{perm, Key, User};
use crate::ops::user::{flag, target_uid};
use crate::ops::Reply;
use crate::query::Query;

#[derive(Debug, Clone, Default)]
pub struct SubuserReq {
    /// `uid`, or the uid part of `subuser=uid:name`.
    pub uid: Option<String>,
    /// `uid:name` or `name`.
    pub subuser: Option<String>,
    pub access: Option<String>,
    pub key_type: Option<String>,
    pub access_key: Option<String>,
    pub secret_key: Option<String>,
    pub generate_secret: bool,
}

impl SubuserReq {
    pub fn parse(q: &Query) -> SubuserReq {
        SubuserReq {
            uid: target_uid(q),
            subuser: q.get_nonempty("subuser").map(str::to_string),
            access: q.get("access").map(str::to_string),
            key_type: q.get("key-type").map(str::to_string),
            access_key: q.get_nonempty("access-key").map(str::to_string),
            secret_key: q.get_nonempty("secret-key").map(str::to_string),
            generate_secret: flag(q, "generate-secret").unwrap_or(false),
        }
    }

    /// The subuser's name without the `uid:` prefix; `InvalidArgument` when missing.
    pub fn name(&self) -> Result<String> {
        let s = self.subuser.as_deref().ok_or(Error::InvalidArgument)?;
        let name = s.split_once(':').map_or(s, |(_, n)| n);
        if name.is_empty() {
            return Err(Error::InvalidArgument);
        }
        Ok(name.to_string())
    }

    fn uid(&self, app: &App) -> Result<&str> {
        self.uid
            .as_deref()
            .ok_or_else(|| crate::ops::user::no_uid(app))
    }

    fn access(&self) -> Result<u32> {
        perm::parse(self.access.as_deref().unwrap_or("")).ok_or(Error::InvalidArgument)
    }

    fn s3(&self) -> bool {
        self.key_type.as_deref() == Some("s3")
    }
}

fn subusers_doc(u: &User) -> Reply {
    Reply::Doc(Doc::new("subusers", u.dump_subusers()))
}

/// Refuse an S3 access key another user holds.
async fn check_key_free(app: &App, uid: &str, ak: &str) -> Result<()> {
    match app.users.by_access_key(ak).await? {
        Some(o) if o.user.uid.to_string() != uid => Err(Error::KeyExists),
        _ => Ok(()),
    }
}

pub async fn create(app: &App, r: SubuserReq) -> Result<Reply> {
    let uid = r.uid(app)?;
    let name = r.name()?;
    app.users.load(uid).await?;
    let access = r.access()?;
    let ak = if r.s3() {
        let ak = match &r.access_key {
            Some(a) => a.clone(),
            None => keys::access_key(),
        };
        check_key_free(app, uid, &ak).await?;
        Some(ak)
    } else {
        None
    };
    let secret = r.secret_key.clone().unwrap_or_else(keys::secret_key);
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            // An existing subuser keeps its permissions (radosgw's map insert does not
            // overwrite), but its key is still (re)made.
            u.subusers.entry(name.clone()).or_insert(access);
            let key = Key::new(name.clone(), secret.clone());
            match &ak {
                Some(ak) => {
                    let key = key.keeping(u.keys.get(ak));
                    u.keys.insert(ak.clone(), key)
                }
                None => {
                    let key = key.keeping(u.swift_keys.get(&name));
                    u.swift_keys.insert(name.clone(), key)
                }
            };
            Ok(())
        })
        .await?;
    Ok(subusers_doc(&u))
}

pub async fn modify(app: &App, r: SubuserReq) -> Result<Reply> {
    let uid = r.uid(app)?;
    let name = r.name()?;
    let user = app.users.load(uid).await?;
    if !user.subusers.contains_key(&name) {
        return Err(Error::NoSuchSubUser);
    }
    // radosgw always applies `access`: leaving it out resets the permissions to none.
    let access = r.access()?;
    let s3 = r.s3();
    let secret = match &r.secret_key {
        Some(s) => Some(s.clone()),
        None if r.generate_secret => Some(keys::secret_key()),
        None => None,
    };
    if let (true, Some(ak)) = (s3, &r.access_key) {
        check_key_free(app, uid, ak).await?;
    }
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            if !u.subusers.contains_key(&name) {
                return Err(Error::NoSuchSubUser);
            }
            u.subusers.insert(name.clone(), access);
            if let Some(secret) = &secret {
                let key = Key::new(name.clone(), secret.clone());
                match (s3, &r.access_key) {
                    (true, Some(ak)) => {
                        let key = key.keeping(u.keys.get(ak));
                        u.keys.insert(ak.clone(), key);
                    }
                    (true, None) => {}
                    (false, _) => {
                        let key = key.keeping(u.swift_keys.get(&name));
                        u.swift_keys.insert(name.clone(), key);
                    }
                }
            }
            Ok(())
        })
        .await?;
    Ok(subusers_doc(&u))
}

pub async fn remove(app: &App, r: SubuserReq) -> Result<Reply> {
    let uid = r.uid(app)?;
    let name = r.name()?;
    let user = app.users.load(uid).await?;
    if !user.subusers.contains_key(&name) {
        return Err(Error::NoSuchSubUser);
    }
    // `purge-keys` is parsed by radosgw but its keys go in every case.
    app.users
        .modify(uid, |u| {
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
