//! The user directory: user records and their indexes (access key, swift id, email, listing
//! order) on the store, with bounded caches in front for the hot ones.
//!
//! Writes are read-modify-write: compute the new record from the current one, commit it with
//! checks that the record and every newly claimed index entry are as expected, and on a
//! conflict (a concurrent writer got there first) re-run against the fresh state. Uniqueness
//! therefore rests on the store's atomic checks, not on any lock here.

use std::sync::Arc;

use crate::domain::cache::{Cache, Weigh};
use crate::domain::sync::{Incoming, Stamp, UpdateType};
use crate::error::{Error, Result};
use crate::model::User;
use crate::store::{schema, CommitError, Retry, Store, Txn};

impl Weigh for User {
    fn weigh(&self) -> usize {
        let keys: usize = self
            .keys
            .iter()
            .map(|(a, k)| a.len() + k.secret.len() + k.subuser.len() + 48)
            .sum();
        let swift: usize = self
            .swift_keys
            .iter()
            .map(|(s, k)| s.len() + k.secret.len() + 48)
            .sum();
        512 + self.display_name.len() + self.email.len() + keys + swift + 48 * self.caps.len()
    }
}

/// A user found by one of its S3 access keys, with the subuser the key belongs to.
#[derive(Debug, Clone)]
pub struct KeyOwner {
    pub user: Arc<User>,
    /// Empty for the user's own keys.
    pub subuser: String,
    pub secret: Arc<str>,
    /// A disabled key (radosgw 19's `active=false`) authenticates nothing.
    pub active: bool,
}

pub struct Users {
    store: Store,
    /// uid → record.
    records: Cache<String, Arc<User>>,
    /// S3 access key → uid.
    keys: Cache<String, Arc<str>>,
}

/// What a write step makes of the record.
enum Next {
    /// The record changed here: the next version, now.
    Put(User),
    /// A metadata put: the version, tag and time the document gave (`domain::sync`).
    PutStamped(User),
    Delete,
    /// Nothing to write.
    Keep,
}

/// One read-modify-write step: the current record (None: absent) to what becomes of it,
/// and a value for the caller.
type Step<'a, R> = dyn FnMut(Option<Arc<User>>) -> Result<(Next, R)> + Send + 'a;

/// A page of uids in listing order and, when more remain, where the next page starts.
pub type UidPage = (Vec<String>, Option<(u32, String)>);

impl Users {
    pub fn new(store: Store, cache_bytes: usize) -> Users {
        Users {
            store,
            records: Cache::new("users", cache_bytes * 3 / 4, 1024),
            keys: Cache::new("access_keys", cache_bytes / 4, 64),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Another gateway changed store key `key` at revision `rev` (the change feed).
    pub fn changed(&self, key: &[u8], rev: u64) {
        let name = |p: &str| {
            key.strip_prefix(p.as_bytes())
                .map(|k| String::from_utf8_lossy(k).into_owned())
        };
        if let Some(uid) = name(schema::USER) {
            self.records.written(uid, None, rev);
        } else if let Some(ak) = name(schema::ACCESS_KEY) {
            self.keys.written(ak, None, rev);
        }
    }

    /// See `Cache::set_serving`.
    pub fn set_serving(&self, on: bool) {
        self.records.set_serving(on);
        self.keys.set_serving(on);
    }

    pub async fn get(&self, uid: &str) -> Result<Option<Arc<User>>> {
        if let Some(u) = self.records.get(uid) {
            return Ok(Some(u));
        }
        let t = self.records.ticket(uid);
        let Some(v) = self.store.get(&schema::user(uid)).await? else {
            return Ok(None);
        };
        let u = Arc::new(decode(uid, &v)?);
        self.records.fill(uid.to_string(), u.clone(), t);
        Ok(Some(u))
    }

    /// The user or `NoSuchUser`.
    pub async fn load(&self, uid: &str) -> Result<Arc<User>> {
        self.get(uid).await?.ok_or(Error::NoSuchUser)
    }

    /// The display name of `uid`, or empty when there is no such user.
    pub async fn display_name(&self, uid: &str) -> String {
        match self.get(uid).await {
            Ok(Some(u)) => u.display_name.clone(),
            _ => String::new(),
        }
    }

    /// Owner of an S3 access key (a user's own key or one of its subusers').
    pub async fn by_access_key(&self, ak: &str) -> Result<Option<KeyOwner>> {
        let uid = match self.keys.get(ak) {
            Some(uid) => uid,
            None => {
                let t = self.keys.ticket(ak);
                let Some(v) = self.store.get(&schema::access_key(ak)).await? else {
                    return Ok(None);
                };
                let uid: Arc<str> = Arc::from(String::from_utf8_lossy(&v).as_ref());
                self.keys.fill(ak.to_string(), uid.clone(), t);
                uid
            }
        };
        let Some(user) = self.get(&uid).await? else {
            return Ok(None);
        };
        // The record is the truth: an index entry it does not back is no key.
        let Some(key) = user.keys.get(ak) else {
            return Ok(None);
        };
        Ok(Some(KeyOwner {
            subuser: key.subuser.clone(),
            secret: Arc::from(key.secret.as_str()),
            active: key.active,
            user,
        }))
    }

    async fn by_index(&self, key: Vec<u8>) -> Result<Option<Arc<User>>> {
        match self.store.get(&key).await? {
            Some(uid) => self.get(&String::from_utf8_lossy(&uid)).await,
            None => Ok(None),
        }
    }

    /// Owner of a swift key id (`uid:subuser`).
    pub async fn by_swift(&self, id: &str) -> Result<Option<Arc<User>>> {
        let u = self.by_index(schema::swift(id)).await?;
        Ok(u.filter(|u| {
            id.split_once(':')
                .is_some_and(|(_, s)| u.swift_keys.contains_key(s))
        }))
    }

    pub async fn by_email(&self, email: &str) -> Result<Option<Arc<User>>> {
        let u = self.by_index(schema::email(email)).await?;
        Ok(u.filter(|u| u.email == email))
    }

    /// Is there any user at all?
    pub async fn any(&self) -> Result<bool> {
        Ok(!self
            .store
            .scan(schema::USER.as_bytes(), None, 1)
            .await?
            .is_empty())
    }

    /// Up to `max` uids in radosgw's listing order, starting at RADOS position `from`
    /// (hash, uid) when given.
    pub async fn list_page(&self, from: Option<(u32, &str)>, max: usize) -> Result<UidPage> {
        let start = from.map(|(h, u)| schema::user_order_at(h, u));
        let want = max.saturating_add(1);
        let rows = self
            .store
            .scan(schema::USER_ORDER.as_bytes(), start.as_deref(), want)
            .await?;
        let mut uids: Vec<(u32, String)> = rows
            .iter()
            .filter_map(|(k, _)| schema::parse_order(schema::USER_ORDER, k))
            .collect();
        let next = if uids.len() > max { uids.pop() } else { None };
        Ok((uids.into_iter().map(|(_, u)| u).collect(), next))
    }

    /// Create `user`; `UserAlreadyExists`, `EmailExists` or `KeyExists` when taken.
    pub async fn create(&self, user: User) -> Result<Arc<User>> {
        let uid = user.uid.to_string();
        let mut f = move |cur: Option<Arc<User>>| match cur {
            Some(_) => Err(Error::UserAlreadyExists),
            None => Ok((Next::Put(user.clone()), ())),
        };
        self.write(&uid, &mut f)
            .await
            .map(|(u, _)| u.expect("created"))
    }

    /// Read-modify-write of an existing user. `f` gets a copy of the current record and
    /// returns a value for the caller; `NoSuchUser` if absent.
    pub async fn modify<R: Send>(
        &self,
        uid: &str,
        mut f: impl FnMut(&mut User) -> Result<R> + Send,
    ) -> Result<(Arc<User>, R)> {
        let mut step = move |cur: Option<Arc<User>>| {
            let mut u = cur.ok_or(Error::NoSuchUser)?.as_ref().clone();
            let r = f(&mut u)?;
            Ok((Next::Put(u), r))
        };
        self.write(uid, &mut step)
            .await
            .map(|(u, r)| (u.expect("modified"), r))
    }

    /// A metadata put of `user` (create or replace): written with the stamp `incoming`
    /// gives, if it applies under `mode` (`domain::sync`). The stamp it replaced (empty
    /// for a new user), or `None` when skipped. A replaced user keeps its account membership
    /// and rate limit, which the document does not hold (radosgw keeps the rate limit in an
    /// attribute).
    pub async fn put_synced(
        &self,
        user: User,
        mode: UpdateType,
        incoming: &Incoming,
    ) -> Result<Option<Stamp>> {
        let uid = user.uid.to_string();
        let mut step = |cur: Option<Arc<User>>| {
            let ondisk = cur.as_deref().map(|c| Stamp {
                ver: c.ver,
                tag: c.tag.clone(),
                mtime_us: c.mtime_us,
            });
            let Some(stamp) = incoming.next_stamp(mode, ondisk.as_ref()) else {
                return Ok((Next::Keep, None));
            };
            let mut u = user.clone();
            if let Some(c) = &cur {
                u.iam = c.iam.clone();
                u.ratelimit = c.ratelimit;
            }
            (u.ver, u.tag, u.mtime_us) = (stamp.ver, stamp.tag, stamp.mtime_us);
            Ok((Next::PutStamped(u), Some(ondisk.unwrap_or_default())))
        };
        Ok(self.write(&uid, &mut step).await?.1)
    }

    /// Remove a user and all its index entries.
    pub async fn remove(&self, uid: &str) -> Result<Arc<User>> {
        let mut removed = None;
        let mut step = |cur: Option<Arc<User>>| {
            let cur = cur.ok_or(Error::NoSuchUser)?;
            removed = Some(cur.clone());
            Ok((Next::Delete, ()))
        };
        self.write(uid, &mut step).await?;
        Ok(removed.expect("removed"))
    }

    /// The one write path: `f` maps the current record to the new one (None = delete).
    /// (`f` is a trait object: a closure type in this future would defeat rustc's proof
    /// that the request future is `Send`, rust#102211.)
    async fn write<R>(&self, uid: &str, f: &mut Step<'_, R>) -> Result<(Option<Arc<User>>, R)> {
        let mut retry = Retry::new();
        loop {
            // The stored bytes, not a re-encoding of them, are what the commit checks: a
            // record written by an older version must still match itself.
            let raw = self.store.get(&schema::user(uid)).await?;
            let cur = raw
                .as_deref()
                .map(|v| decode(uid, v).map(Arc::new))
                .transpose()?;
            let (next, r) = f(cur.clone())?;
            let new = match next {
                Next::Keep => return Ok((cur, r)),
                Next::Delete => None,
                Next::PutStamped(u) => Some(Arc::new(u)),
                Next::Put(mut u) => {
                    u.ver = cur.as_ref().map_or(0, |c| c.ver) + 1;
                    if u.tag.is_empty() {
                        u.tag = crate::keys::random_tag();
                    }
                    u.mtime_us = crate::clock::now_us();
                    Some(Arc::new(u))
                }
            };
            let txn = build_txn(raw.clone(), cur.as_deref(), new.as_deref())?;
            match self.store.commit(txn).await {
                Ok(seq) => {
                    self.apply(uid, cur.as_deref(), new.clone(), seq);
                    return Ok((new, r));
                }
                Err(CommitError::Conflict) => {
                    // An index entry the new record claims belongs to someone else (the
                    // usual case: answer with radosgw's code), or the record changed under
                    // us (read it again and redo the change).
                    self.check_unique(cur.as_deref(), new.as_deref()).await?;
                    self.records.invalidate(uid);
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Bring the caches up to date with a committed change.
    fn apply(&self, uid: &str, old: Option<&User>, new: Option<Arc<User>>, seq: u64) {
        if let Some(old) = old {
            for ak in old.keys.keys() {
                if new.as_ref().is_none_or(|n| !n.keys.contains_key(ak)) {
                    self.keys.written(ak.clone(), None, seq);
                }
            }
        }
        if let Some(n) = &new {
            let owner: Arc<str> = Arc::from(uid);
            for ak in n.keys.keys() {
                if old.is_none_or(|o| !o.keys.contains_key(ak)) {
                    self.keys.written(ak.clone(), Some(owner.clone()), seq);
                }
            }
        }
        self.records.written(uid.to_string(), new, seq);
    }

    /// After a conflict: radosgw's code when the new record claims an email, key or swift id
    /// another user holds. (The commit's checks are the guard; this only names the cause,
    /// so the common case, nothing taken, costs no reads before the commit.)
    async fn check_unique(&self, old: Option<&User>, new: Option<&User>) -> Result<()> {
        let Some(new) = new else { return Ok(()) };
        let uid = new.uid.to_string();
        let taken = |v: Option<Vec<u8>>| v.is_some_and(|o| o != uid.as_bytes());
        if !new.email.is_empty()
            && old.is_none_or(|o| o.email != new.email)
            && taken(self.store.get(&schema::email(&new.email)).await?)
        {
            return Err(Error::EmailExists);
        }
        for ak in new.keys.keys() {
            if old.is_none_or(|o| !o.keys.contains_key(ak))
                && taken(self.store.get(&schema::access_key(ak)).await?)
            {
                return Err(Error::KeyExists);
            }
        }
        for s in new.swift_keys.keys() {
            if old.is_none_or(|o| !o.swift_keys.contains_key(s))
                && taken(self.store.get(&schema::swift(&new.subuser_id(s))).await?)
            {
                return Err(Error::KeyExists);
            }
        }
        Ok(())
    }
}

fn decode(uid: &str, v: &[u8]) -> Result<User> {
    serde_json::from_slice(v).map_err(|e| Error::Unknown(format!("corrupt user record {uid}: {e}")))
}

fn encode(u: &User) -> Result<Vec<u8>> {
    serde_json::to_vec(u).map_err(|e| Error::Unknown(format!("encode user: {e}")))
}

/// The index entries a user record claims.
fn index_keys(u: Option<&User>) -> Vec<Vec<u8>> {
    let Some(u) = u else { return Vec::new() };
    let mut v: Vec<Vec<u8>> = u.keys.keys().map(|k| schema::access_key(k)).collect();
    v.extend(u.swift_keys.keys().map(|s| schema::swift(&u.subuser_id(s))));
    if !u.email.is_empty() {
        v.push(schema::email(&u.email));
    }
    if !u.iam.account_id.is_empty() {
        v.push(schema::account_user(&u.iam.account_id, &u.uid.to_string()));
    }
    v
}

/// The transaction that turns `old` (stored as `raw`) into `new`: the record must still be
/// `raw`, index entries that appear must be free, index entries that vanish are deleted.
fn build_txn(raw: Option<Vec<u8>>, old: Option<&User>, new: Option<&User>) -> Result<Txn> {
    let mut t = Txn::default();
    let uid = new.or(old).map(|u| u.uid.to_string()).unwrap_or_default();
    let ukey = schema::user(&uid);
    t.expect(ukey.clone(), raw);
    match new {
        Some(n) => {
            t.put(ukey, encode(n)?);
            if old.is_none() {
                t.put(schema::user_order(&uid), Vec::new());
            }
        }
        None => {
            t.delete(ukey);
            t.delete(schema::user_order(&uid));
        }
    }
    let (before, after) = (index_keys(old), index_keys(new));
    for k in &after {
        if !before.contains(k) {
            t.expect(k.clone(), None);
            t.put(k.clone(), uid.clone().into_bytes());
        }
    }
    for k in &before {
        if !after.contains(k) {
            t.delete(k.clone());
        }
    }
    Ok(t)
}
