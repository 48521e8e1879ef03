//! The user directory: user records and their indexes (access key, swift id, email) on the
//! metadata store, with every user held in memory so that authentication and reads never
//! touch the disk or block the runtime.
//!
//! Writes are read-modify-write: compute the new record from the cached one, commit it with
//! checks that the record and every newly claimed index entry are as expected, and on a
//! conflict (a concurrent writer got there first) re-run against the fresh state. Uniqueness
//! therefore rests on the store's atomic checks, not on any lock here.
//!
//! The cache is exact for one gateway per store (RocksDB's lock guarantees that). A
//! distributed engine would feed `apply` from a watch instead.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::error::{Error, Result};
use crate::model::User;
use crate::store::{schema, CommitError, MetadataStore, Txn};

#[derive(Default)]
struct Cache {
    /// uid string → (commit seq, record or tombstone).
    users: HashMap<String, (u64, Option<Arc<User>>)>,
    /// S3 access key → (uid, secret).
    keys: HashMap<String, (String, Arc<str>)>,
    /// `uid:sub` → uid.
    swift: HashMap<String, String>,
    email: HashMap<String, String>,
}

impl Cache {
    fn unindex(&mut self, u: &User) {
        let uid = u.uid.to_string();
        for ak in u.keys.keys() {
            if self.keys.get(ak).is_some_and(|(o, _)| *o == uid) {
                self.keys.remove(ak);
            }
        }
        for sub in u.swift_keys.keys() {
            let id = u.subuser_id(sub);
            if self.swift.get(&id).is_some_and(|o| *o == uid) {
                self.swift.remove(&id);
            }
        }
        if !u.email.is_empty() && self.email.get(&u.email).is_some_and(|o| *o == uid) {
            self.email.remove(&u.email);
        }
    }

    fn index(&mut self, u: &User) {
        let uid = u.uid.to_string();
        for (ak, k) in &u.keys {
            self.keys
                .insert(ak.clone(), (uid.clone(), Arc::from(k.secret.as_str())));
        }
        for sub in u.swift_keys.keys() {
            self.swift.insert(u.subuser_id(sub), uid.clone());
        }
        if !u.email.is_empty() {
            self.email.insert(u.email.clone(), uid.clone());
        }
    }

    /// Install the result of commit `seq`; older results arriving late are ignored.
    fn apply(&mut self, uid: &str, seq: u64, user: Option<Arc<User>>) {
        if let Some((cur_seq, cur)) = self.users.get(uid) {
            if *cur_seq >= seq {
                return;
            }
            if let Some(cur) = cur.clone() {
                self.unindex(&cur);
            }
        }
        if let Some(u) = &user {
            self.index(u);
        }
        self.users.insert(uid.to_string(), (seq, user));
    }
}

pub struct Users {
    store: Arc<dyn MetadataStore>,
    cache: RwLock<Cache>,
}

/// How often a write re-runs after losing a race before giving up.
const MAX_RETRIES: usize = 64;

impl Users {
    /// Load every user into memory.
    pub fn load(store: Arc<dyn MetadataStore>) -> Result<Users> {
        let mut cache = Cache::default();
        for (k, v) in store.scan(schema::USER.as_bytes())? {
            let user: User = serde_json::from_slice(&v).map_err(|e| {
                Error::Unknown(format!(
                    "corrupt user record {}: {e}",
                    String::from_utf8_lossy(&k)
                ))
            })?;
            let uid = user.uid.to_string();
            cache.apply(&uid, 0, Some(Arc::new(user)));
        }
        Ok(Users {
            store,
            cache: RwLock::new(cache),
        })
    }

    pub fn store(&self) -> &Arc<dyn MetadataStore> {
        &self.store
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Cache> {
        self.cache.read().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, uid: &str) -> Option<Arc<User>> {
        self.read().users.get(uid).and_then(|(_, u)| u.clone())
    }

    /// Owner of an S3 access key.
    pub fn by_access_key(&self, ak: &str) -> Option<Arc<User>> {
        let c = self.read();
        let (uid, _) = c.keys.get(ak)?;
        c.users.get(uid).and_then(|(_, u)| u.clone())
    }

    /// Secret of an S3 access key, for signature checks.
    pub fn secret(&self, ak: &str) -> Option<Arc<str>> {
        self.read().keys.get(ak).map(|(_, s)| s.clone())
    }

    pub fn by_email(&self, email: &str) -> Option<Arc<User>> {
        let c = self.read();
        let uid = c.email.get(email)?;
        c.users.get(uid).and_then(|(_, u)| u.clone())
    }

    /// Owner of a swift key id (`uid:subuser`).
    pub fn by_swift(&self, id: &str) -> Option<Arc<User>> {
        let c = self.read();
        let uid = c.swift.get(id)?;
        c.users.get(uid).and_then(|(_, u)| u.clone())
    }

    /// All uids (`tenant$id` form), unordered.
    pub fn uids(&self) -> Vec<String> {
        self.read()
            .users
            .iter()
            .filter(|(_, (_, u))| u.is_some())
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.read()
            .users
            .values()
            .filter(|(_, u)| u.is_some())
            .count()
    }

    /// Create `user`; `UserAlreadyExists`, `EmailExists` or `KeyExists` when taken.
    pub async fn create(&self, user: User) -> Result<Arc<User>> {
        let uid = user.uid.to_string();
        self.write(&uid, move |cur| match cur {
            Some(_) => Err(Error::UserAlreadyExists),
            None => Ok((Some(user.clone()), ())),
        })
        .await
        .map(|(u, _)| u.expect("created"))
    }

    /// Read-modify-write of an existing user. `f` gets a copy of the current record and
    /// returns a value for the caller; `NoSuchUser` if absent.
    pub async fn modify<R: Send + 'static>(
        &self,
        uid: &str,
        mut f: impl FnMut(&mut User) -> Result<R> + Send,
    ) -> Result<(Arc<User>, R)> {
        self.write(uid, move |cur| {
            let mut u = cur.ok_or(Error::NoSuchUser)?.as_ref().clone();
            let r = f(&mut u)?;
            Ok((Some(u), r))
        })
        .await
        .map(|(u, r)| (u.expect("modified"), r))
    }

    /// Remove a user and all its index entries.
    pub async fn remove(&self, uid: &str) -> Result<Arc<User>> {
        let mut removed = None;
        self.write(uid, |cur| {
            let cur = cur.ok_or(Error::NoSuchUser)?;
            removed = Some(cur.clone());
            Ok((None, ()))
        })
        .await?;
        Ok(removed.expect("removed"))
    }

    /// The one write path: `f` maps the current record to the new one (None = delete).
    async fn write<R>(
        &self,
        uid: &str,
        mut f: impl FnMut(Option<Arc<User>>) -> Result<(Option<User>, R)> + Send,
    ) -> Result<(Option<Arc<User>>, R)> {
        for _ in 0..MAX_RETRIES {
            let cur = self.get(uid);
            let (new, r) = f(cur.clone())?;
            let new = new.map(|mut u| {
                u.ver = cur.as_ref().map_or(0, |c| c.ver) + 1;
                if u.tag.is_empty() {
                    u.tag = crate::keys::random_tag();
                }
                u.mtime_us = crate::clock::now_us();
                Arc::new(u)
            });
            self.check_unique(cur.as_deref(), new.as_deref())?;
            let txn = build_txn(cur.as_deref(), new.as_deref())?;
            let store = self.store.clone();
            let res = tokio::task::spawn_blocking(move || store.commit(txn))
                .await
                .map_err(|e| Error::Unknown(format!("commit task: {e}")))?;
            match res {
                Ok(seq) => {
                    self.cache.write().unwrap_or_else(|e| e.into_inner()).apply(
                        uid,
                        seq,
                        new.clone(),
                    );
                    return Ok((new, r));
                }
                Err(CommitError::Conflict) => {
                    // Another writer committed first; its cache update lands right after
                    // its commit returns, so give it a moment and look again.
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Err(CommitError::Store(e)) => return Err(e),
            }
        }
        Err(Error::ServiceUnavailable)
    }

    /// Fail fast, with radosgw's code, when the new record claims an email, key or swift id
    /// another user holds (the commit's checks remain the real guard).
    fn check_unique(&self, old: Option<&User>, new: Option<&User>) -> Result<()> {
        let Some(new) = new else { return Ok(()) };
        let uid = new.uid.to_string();
        let c = self.read();
        if old.is_none() && c.users.get(&uid).is_some_and(|(_, u)| u.is_some()) {
            return Err(Error::UserAlreadyExists);
        }
        if !new.email.is_empty() && c.email.get(&new.email).is_some_and(|o| *o != uid) {
            return Err(Error::EmailExists);
        }
        if new
            .keys
            .keys()
            .any(|ak| c.keys.get(ak).is_some_and(|(o, _)| *o != uid))
        {
            return Err(Error::KeyExists);
        }
        if new
            .swift_keys
            .keys()
            .any(|s| c.swift.get(&new.subuser_id(s)).is_some_and(|o| *o != uid))
        {
            return Err(Error::KeyExists);
        }
        Ok(())
    }
}

fn encode(u: &User) -> Result<Vec<u8>> {
    serde_json::to_vec(u).map_err(|e| Error::Unknown(format!("encode user: {e}")))
}

/// The transaction that turns `old` into `new`: the record must still be `old`, index
/// entries that appear must be free, index entries that vanish are deleted.
fn build_txn(old: Option<&User>, new: Option<&User>) -> Result<Txn> {
    let mut t = Txn::default();
    let uid = new.or(old).map(|u| u.uid.to_string()).unwrap_or_default();
    let ukey = schema::user(&uid);
    t.expect(ukey.clone(), old.map(encode).transpose()?);
    match new {
        Some(n) => {
            t.put(ukey, encode(n)?);
        }
        None => {
            t.delete(ukey);
        }
    }
    let idx = |u: Option<&User>| -> Vec<Vec<u8>> {
        let Some(u) = u else { return Vec::new() };
        let mut v: Vec<Vec<u8>> = u.keys.keys().map(|k| schema::access_key(k)).collect();
        v.extend(u.swift_keys.keys().map(|s| schema::swift(&u.subuser_id(s))));
        if !u.email.is_empty() {
            v.push(schema::email(&u.email));
        }
        v
    };
    let (before, after) = (idx(old), idx(new));
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

/// Sort uids the way radosgw's metadata listing returns them: RADOS object order, i.e. by
/// the bit-reversed rjenkins hash of `users.uid\x1f<uid>` (namespace, 0x1f, object name).
pub fn rados_order(uids: &mut [String]) {
    uids.sort_by_cached_key(|u| (rados_key("users.uid", u), u.clone()));
}

/// The bitwise sort key of an object in a namespace (`hobject_t::get_bitwise_key_u32`).
pub fn rados_key(ns: &str, name: &str) -> u32 {
    let mut buf = Vec::with_capacity(ns.len() + 1 + name.len());
    buf.extend_from_slice(ns.as_bytes());
    buf.push(0x1f);
    buf.extend_from_slice(name.as_bytes());
    rjenkins(&buf).reverse_bits()
}

/// `ceph_str_hash_rjenkins` (Bob Jenkins' lookup2), the hash RADOS places objects by.
pub fn rjenkins(k: &[u8]) -> u32 {
    fn mix(a: &mut u32, b: &mut u32, c: &mut u32) {
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 13);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 8);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 13);
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 12);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 16);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 5);
        *a = a.wrapping_sub(*b).wrapping_sub(*c) ^ (*c >> 3);
        *b = b.wrapping_sub(*c).wrapping_sub(*a) ^ (*a << 10);
        *c = c.wrapping_sub(*a).wrapping_sub(*b) ^ (*b >> 15);
    }
    let word = |s: &[u8]| u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
    let (mut a, mut b, mut c) = (0x9e37_79b9u32, 0x9e37_79b9u32, 0u32);
    let mut rest = k;
    while rest.len() >= 12 {
        a = a.wrapping_add(word(&rest[0..4]));
        b = b.wrapping_add(word(&rest[4..8]));
        c = c.wrapping_add(word(&rest[8..12]));
        mix(&mut a, &mut b, &mut c);
        rest = &rest[12..];
    }
    c = c.wrapping_add(k.len() as u32);
    // The tail: bytes 0-3 into a, 4-7 into b, 8-10 into c above its low (length) byte.
    for (i, &byte) in rest.iter().enumerate() {
        let v = byte as u32;
        match i {
            0..=3 => a = a.wrapping_add(v << (8 * i)),
            4..=7 => b = b.wrapping_add(v << (8 * (i - 4))),
            _ => c = c.wrapping_add(v << (8 * (i - 7))),
        }
    }
    mix(&mut a, &mut b, &mut c);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rados_listing_order_matches_radosgw() {
        // As listed by radosgw 16.2.15 (golden 053/054) and the marker of golden 056.
        let want = [
            "dave",
            "alice",
            "xavier",
            "nocaps",
            "gina",
            "admin",
            "reader",
            "acme$dan",
            "bob",
            "ivy",
            "acme$carol",
        ];
        let mut got: Vec<String> = want.iter().rev().map(|s| s.to_string()).collect();
        rados_order(&mut got);
        assert_eq!(got, want);
        assert_eq!(rados_key("users.uid", "xavier"), 0x13ee2934);
    }
}
