//! Buckets: their records, the user→bucket links, listing-order indexes and per-bucket stats
//! counters on the store, with a bounded cache of records in front.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ceph::NUM_SHARDS;
use crate::domain::acl::{Acl, Canned};
use crate::domain::cache::Cache;
use crate::domain::sync::{Incoming, Stamp, UpdateType};
use crate::error::{Error, Result};
use crate::model::Quota;
use crate::store::{decode_counters, schema, CommitError, Retry, Store, Txn};

mod record;
mod stats;
pub use record::*;
pub use stats::*;

/// A page of buckets in listing order and, when more remain, the key of the next one.
pub type BucketPage = (Vec<Arc<Bucket>>, Option<String>);

pub struct Buckets {
    store: Store,
    records: Cache<String, Arc<Bucket>>,
}

impl Buckets {
    pub fn new(store: Store, cache_bytes: usize) -> Buckets {
        Buckets {
            store,
            records: Cache::new("buckets", cache_bytes, 512),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Another gateway changed store key `key` at revision `rev` (the change feed).
    pub fn changed(&self, key: &[u8], rev: u64) {
        if let Some(bk) = key.strip_prefix(schema::BUCKET.as_bytes()) {
            self.records
                .written(String::from_utf8_lossy(bk).into_owned(), None, rev);
        }
    }

    /// See `Cache::set_serving`.
    pub fn set_serving(&self, on: bool) {
        self.records.set_serving(on);
    }

    pub async fn get(&self, bk: &str) -> Result<Option<Arc<Bucket>>> {
        if let Some(b) = self.records.get(bk) {
            return Ok(Some(b));
        }
        let t = self.records.ticket(bk);
        let Some(v) = self.store.get(&schema::bucket(bk)).await? else {
            return Ok(None);
        };
        let b = Arc::new(decode::<Bucket>(&v)?);
        self.records.fill(bk.to_string(), b.clone(), t);
        Ok(Some(b))
    }

    /// The record, from the cache if there, else from the store without caching it (a walk
    /// over every bucket must not push the hot ones out).
    pub async fn peek(&self, bk: &str) -> Result<Option<Arc<Bucket>>> {
        if let Some(b) = self.records.get(bk) {
            return Ok(Some(b));
        }
        match self.store.get(&schema::bucket(bk)).await? {
            Some(v) => Ok(Some(Arc::new(decode::<Bucket>(&v)?))),
            None => Ok(None),
        }
    }

    /// Drop the cached record (after a conflict showed it may be stale).
    pub fn forget(&self, bk: &str) {
        self.records.invalidate(bk);
    }

    /// Buckets linked to a user, sorted by key (radosgw's omap order).
    pub async fn of_user(&self, uid: &str) -> Result<Vec<Arc<Bucket>>> {
        let prefix = schema::user_buckets(uid);
        let mut out = Vec::new();
        let mut keys = Vec::new();
        crate::store::for_each_page(&self.store, &prefix, 1000, |page| {
            keys.extend(
                page.into_iter()
                    .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).into_owned()),
            );
            true
        })
        .await?;
        for bk in keys {
            if let Some(b) = self.get(&bk).await? {
                out.push(b);
            }
        }
        Ok(out)
    }

    /// How many buckets `uid` owns.
    pub async fn count_of_user(&self, uid: &str) -> Result<usize> {
        let prefix = schema::user_buckets(uid);
        let mut n = 0;
        crate::store::for_each_page(&self.store, &prefix, 1000, |page| {
            n += page.len();
            true
        })
        .await?;
        Ok(n)
    }

    /// Up to `max` buckets in radosgw's listing order (the `root` namespace), from the
    /// position of bucket key `start` (inclusive).
    pub async fn list_page(&self, start: Option<&str>, max: usize) -> Result<BucketPage> {
        self.page(start, max, true).await
    }

    /// `list_page` for a walk over every bucket: records not in the cache are read without
    /// being cached.
    pub async fn walk_page(&self, start: Option<&str>, max: usize) -> Result<BucketPage> {
        self.page(start, max, false).await
    }

    async fn page(&self, start: Option<&str>, max: usize, cache: bool) -> Result<BucketPage> {
        let start = start.map(schema::bucket_order);
        let rows = self
            .store
            .scan(
                schema::BUCKET_ORDER.as_bytes(),
                start.as_deref(),
                max.saturating_add(1),
            )
            .await?;
        let mut keys: Vec<String> = rows
            .iter()
            .filter_map(|(k, _)| schema::parse_order(schema::BUCKET_ORDER, k).map(|(_, b)| b))
            .collect();
        let next = if keys.len() > max { keys.pop() } else { None };
        let mut out = Vec::with_capacity(keys.len());
        for bk in keys {
            let b = if cache {
                self.get(&bk).await?
            } else {
                self.peek(&bk).await?
            };
            out.extend(b);
        }
        Ok((out, next))
    }

    /// `bucket.instance` metadata keys (`<bkey>:<id>`), sorted, from `start` (inclusive).
    pub async fn instance_keys(&self, start: Option<&str>, max: usize) -> Result<Vec<String>> {
        let start = start.map(|s| {
            let mut k = schema::BUCKET_INSTANCE.as_bytes().to_vec();
            k.extend_from_slice(s.as_bytes());
            k
        });
        let rows = self
            .store
            .scan(schema::BUCKET_INSTANCE.as_bytes(), start.as_deref(), max)
            .await?;
        Ok(rows
            .into_iter()
            .map(|(k, _)| String::from_utf8_lossy(&k[schema::BUCKET_INSTANCE.len()..]).into_owned())
            .collect())
    }

    pub async fn stats(&self, bk: &str) -> Result<Stats> {
        Ok(self
            .store
            .get(&schema::bucket_stats(bk))
            .await?
            .map(|v| Stats::from_counters(&decode_counters(&v)))
            .unwrap_or_default())
    }

    /// The sum of `rgw.main` over a user's buckets (user quota, user info `stats`): radosgw's
    /// user stats leave the multipart meta objects out.
    pub async fn user_totals(&self, uid: &str) -> Result<Stats> {
        let mut t = Stats::default();
        for b in self.of_user(uid).await? {
            let s = self.stats(&b.data_key()).await?;
            t.size += s.size;
            t.size_actual += s.size_actual;
            t.num_objects += s.num_objects;
        }
        Ok(t)
    }

    /// Per-shard index versions, as radosgw prints `ver`: `0#1,1#1,...`.
    pub async fn ver_string(&self, bk: &str) -> Result<String> {
        let v = self
            .store
            .get(&schema::bucket_versions(bk))
            .await?
            .map(|v| decode_counters(&v))
            .unwrap_or_default();
        Ok((0..NUM_SHARDS)
            .map(|i| format!("{i}#{}", v.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(","))
    }

    /// Commit `txn` (which must check the bucket record it changes) and record that the
    /// bucket `bk` is now `new` (None: removed).
    pub async fn commit(
        &self,
        bk: &str,
        txn: Txn,
        new: Option<Arc<Bucket>>,
    ) -> std::result::Result<(), CommitError> {
        match self.store.commit(txn).await {
            Ok(seq) => {
                self.records.written(bk.to_string(), new, seq);
                Ok(())
            }
            Err(e) => {
                if e == CommitError::Conflict {
                    self.records.invalidate(bk);
                }
                Err(e)
            }
        }
    }

    /// Create bucket `b` owned by `b.owner`; `None` if the name is taken. Its data goes under
    /// its key, unless a renamed bucket still holds that space.
    pub async fn create(&self, mut b: Bucket) -> Result<Option<Arc<Bucket>>> {
        let bk = b.key();
        let mut retry = Retry::new();
        loop {
            let held = self.store.get(&schema::bucket_data(&bk)).await?;
            b.data = held.is_some().then(|| format!("{bk}#{}", b.id));
            let dk = b.data_key();
            let mut t = Txn::default();
            t.expect(schema::bucket(&bk), None)
                .expect(schema::bucket_data(&bk), held)
                .put(schema::bucket(&bk), encode(&b)?)
                .put(schema::bucket_order(&bk), Vec::new())
                .put(schema::bucket_instance(&bk, &b.id), Vec::new())
                .put(schema::user_bucket(&b.owner, &bk), Vec::new())
                .incr(schema::bucket_versions(&dk), vec![1; NUM_SHARDS]);
            let new = Arc::new(b.clone());
            match self.commit(&bk, t, Some(new.clone())).await {
                Ok(()) => return Ok(Some(new)),
                Err(CommitError::Conflict) => {
                    if self.store.get(&schema::bucket(&bk)).await?.is_some() {
                        return Ok(None);
                    }
                    // The data space changed hands meanwhile: look again.
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Rename bucket `b` to `to` and make `owner` its owner, in one commit: its record,
    /// links and instance move; its objects, uploads and counters stay where they are,
    /// and that space is marked as held. `BucketAlreadyExists` if `to` is taken.
    pub async fn rename(&self, b: &Bucket, to: &str, to_tenant: &str, owner: &str) -> Result<()> {
        let from = b.key();
        let mut nb = b.clone();
        nb.name = to.to_string();
        nb.tenant = to_tenant.to_string();
        nb.owner = owner.to_string();
        nb.acl = Acl::canned(Canned::Private, owner, owner);
        // radosgw writes a new instance and entry point under the new name, then links
        // them: both at version 2, with new tags.
        let now = crate::clock::now_us();
        nb.ver = 2;
        nb.tag = crate::keys::random_tag();
        nb.mtime_us = now;
        nb.entry = Some(EntryPoint::new(2, now));
        let dk = b.data_key();
        let nk = nb.key();
        // Back under the name whose space it holds: nothing is held any more.
        nb.data = (dk != nk).then(|| dk.clone());
        let raw = self
            .store
            .get(&schema::bucket(&from))
            .await?
            .ok_or(Error::NoSuchBucket)?;
        if decode::<Bucket>(&raw)?.id != b.id {
            return Err(Error::NoSuchBucket);
        }
        let mut t = Txn::default();
        t.expect(schema::bucket(&from), Some(raw))
            .expect(schema::bucket(&nk), None)
            .delete(schema::bucket(&from))
            .delete(schema::bucket_order(&from))
            .delete(schema::bucket_instance(&from, &b.id))
            .delete(schema::user_bucket(&b.owner, &from))
            .put(schema::bucket(&nk), encode(&nb)?)
            .put(schema::bucket_order(&nk), Vec::new())
            .put(schema::bucket_instance(&nk, &b.id), Vec::new())
            .put(schema::user_bucket(owner, &nk), Vec::new());
        if nb.data.is_some() {
            t.put(schema::bucket_data(&dk), nk.clone().into_bytes());
        } else {
            t.delete(schema::bucket_data(&dk));
        }
        match self.store.commit(t).await {
            Ok(seq) => {
                self.records.written(from, None, seq);
                self.records.written(nk, Some(Arc::new(nb)), seq);
                Ok(())
            }
            Err(CommitError::Conflict) => {
                self.records.invalidate(&from);
                self.records.invalidate(&nk);
                match self.store.get(&schema::bucket(&nk)).await? {
                    Some(_) => Err(Error::BucketAlreadyExists),
                    None => Err(Error::ServiceUnavailable),
                }
            }
            Err(CommitError::Store(e)) => Err(e.into()),
        }
    }

    /// Read-modify-write of a bucket's instance (retried on conflict); `NoSuchBucket` if
    /// absent. `f` may add more to the transaction (links).
    pub async fn modify(
        &self,
        bk: &str,
        f: impl Fn(&mut Bucket, &mut Txn) -> Result<()>,
    ) -> Result<Arc<Bucket>> {
        self.write(bk, true, |b, t| f(b, t).map(|()| true))
            .await
            .map(|(b, _)| b)
    }

    /// Read-modify-write of the bucket record; `f` says whether there is anything to write
    /// (else the record is returned as it is, with `false`). `instance`: the change is the
    /// instance's (its version and time move), else `f` stamps what it changes.
    async fn write(
        &self,
        bk: &str,
        instance: bool,
        f: impl Fn(&mut Bucket, &mut Txn) -> Result<bool>,
    ) -> Result<(Arc<Bucket>, bool)> {
        let mut retry = Retry::new();
        loop {
            // Checked against the stored bytes (see `Users::write`).
            let raw = self
                .store
                .get(&schema::bucket(bk))
                .await?
                .ok_or(Error::NoSuchBucket)?;
            let mut b: Bucket = decode(&raw)?;
            let mut t = Txn::default();
            if !f(&mut b, &mut t)? {
                return Ok((Arc::new(b), false));
            }
            // The record cached below is the changed one: its policy is parsed anew.
            b.parsed_policy = ParsedPolicy::default();
            if instance {
                b.ver += 1;
                b.mtime_us = crate::clock::now_us();
            }
            t.expect(schema::bucket(bk), Some(raw));
            t.put(schema::bucket(bk), encode(&b)?);
            let b = Arc::new(b);
            match self.commit(bk, t, Some(b.clone())).await {
                Ok(()) => return Ok((b, true)),
                Err(CommitError::Conflict) => retry.next().await?,
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// A metadata put of the entry point (`domain::sync`): owned by `owner` (its link moves
    /// with it: one record holds both owners here) and linked or not, stamped as the
    /// document says. The entry point written, or `None` when the put is skipped.
    pub async fn put_entry(
        &self,
        bk: &str,
        owner: &str,
        linked: bool,
        mode: UpdateType,
        incoming: &Incoming,
    ) -> Result<Option<EntryPoint>> {
        let (b, written) = self
            .write(bk, false, |b, t| {
                let e = b.entry();
                let ondisk = Stamp {
                    ver: e.ver,
                    tag: e.tag,
                    mtime_us: e.mtime_us,
                };
                let Some(s) = incoming.next_stamp(mode, Some(&ondisk)) else {
                    return Ok(false);
                };
                t.delete(schema::user_bucket(&b.owner, bk));
                if linked {
                    t.put(schema::user_bucket(owner, bk), Vec::new());
                }
                b.owner = owner.to_string();
                b.entry = Some(EntryPoint {
                    ver: s.ver,
                    mtime_us: s.mtime_us,
                    tag: s.tag,
                    linked,
                });
                Ok(true)
            })
            .await?;
        Ok(written.then(|| b.entry()))
    }

    /// A metadata put of the instance: its quota set, stamped as the document says. The
    /// record written, or `None` when the put is skipped.
    pub async fn put_instance(
        &self,
        bk: &str,
        quota: Quota,
        requester_pays: bool,
        mode: UpdateType,
        incoming: &Incoming,
    ) -> Result<Option<Arc<Bucket>>> {
        let (b, written) = self
            .write(bk, false, |b, _| {
                let ondisk = Stamp {
                    ver: b.ver,
                    tag: b.tag.clone(),
                    mtime_us: b.mtime_us,
                };
                let Some(s) = incoming.next_stamp(mode, Some(&ondisk)) else {
                    return Ok(false);
                };
                b.quota = quota;
                b.requester_pays = requester_pays;
                (b.ver, b.tag, b.mtime_us) = (s.ver, s.tag, s.mtime_us);
                Ok(true)
            })
            .await?;
        Ok(written.then_some(b))
    }

    /// Remove an empty bucket: its record, indexes, link and counters. `BucketNotEmpty` if
    /// it has objects (any version, delete markers included) or uploads in progress (uploads are the caller's to abort first).
    pub async fn remove(&self, b: &Bucket) -> Result<()> {
        let bk = b.key();
        let dk = b.data_key();
        // Every object and upload change moves the stats counters in its own commit: the
        // removal expects them as they were when the bucket was seen empty, so nothing
        // written in between is orphaned (it conflicts, and the check runs again).
        for _ in 0..crate::store::MAX_ATTEMPTS {
            let stats = self.store.get(&schema::bucket_stats(&dk)).await?;
            let empty = self
                .store
                .scan(&schema::objects(&dk), None, 1)
                .await?
                .is_empty()
                // Noncurrent versions and delete markers keep a bucket too, as in radosgw.
                && self
                    .store
                    .scan(&schema::object_versions(&dk), None, 1)
                    .await?
                    .is_empty()
                && self
                    .store
                    .scan(&schema::uploads(&dk), None, 1)
                    .await?
                    .is_empty();
            if !empty {
                return Err(Error::BucketNotEmpty);
            }
            // The instance must be the one the caller saw (not a re-created namesake).
            let mut t = Txn::default();
            t.expect(schema::bucket_instance(&bk, &b.id), Some(Vec::new()))
                .expect(schema::bucket_stats(&dk), stats)
                .delete(schema::bucket(&bk))
                .delete(schema::bucket_order(&bk))
                .delete(schema::bucket_instance(&bk, &b.id))
                .delete(schema::user_bucket(&b.owner, &bk))
                .delete(schema::bucket_stats(&dk))
                .delete(schema::bucket_versions(&dk))
                .delete(schema::lc_status(&dk));
            // A renamed bucket gives back the space it held.
            if dk != bk {
                t.delete(schema::bucket_data(&dk));
            }
            match self.commit(&bk, t, None).await {
                Err(CommitError::Conflict) => {
                    if self
                        .store
                        .get(&schema::bucket_instance(&bk, &b.id))
                        .await?
                        .is_none()
                    {
                        return Err(Error::NoSuchBucket);
                    }
                }
                res => return res.map_err(Error::from),
            }
        }
        Err(Error::ServiceUnavailable)
    }

    /// Add `deltas` to the bucket's index versions (index repair bookkeeping).
    pub async fn bump_versions(&self, bk: &str, deltas: Vec<i64>) -> Result<()> {
        let mut t = Txn::default();
        t.incr(schema::bucket_versions(bk), deltas);
        self.store.commit(t).await?;
        Ok(())
    }

    /// Add `deltas` to the bucket's stats counters (index repair).
    pub async fn adjust_stats(&self, bk: &str, deltas: Vec<i64>) -> Result<()> {
        let mut t = Txn::default();
        t.incr(schema::bucket_stats(bk), deltas);
        self.store.commit(t).await?;
        Ok(())
    }

    /// Link the bucket to `uid`, its owner from now on (`PUT /admin/bucket`): radosgw writes
    /// the instance (the owner, and an ACL granting the new owner alone full control: the
    /// grants the bucket had go) and the entry point, even when the owner stays.
    pub async fn change_owner(&self, bk: &str, uid: &str) -> Result<Arc<Bucket>> {
        self.modify(bk, |b, t| {
            t.delete(schema::user_bucket(&b.owner, bk));
            t.put(schema::user_bucket(uid, bk), Vec::new());
            b.owner = uid.to_string();
            b.acl = Acl::canned(Canned::Private, uid, uid);
            b.write_entry(true, crate::clock::now_us());
            Ok(())
        })
        .await
    }

    /// Drop the owner's link to the bucket (`POST /admin/bucket`): the entry point, still
    /// naming the owner, says it is not linked; the instance is untouched. A bucket not
    /// linked is left as it is.
    pub async fn unlink(&self, uid: &str, bk: &str) -> Result<()> {
        self.write(bk, false, |b, t| {
            if !b.entry().linked {
                return Ok(false);
            }
            t.delete(schema::user_bucket(uid, bk));
            b.write_entry(false, crate::clock::now_us());
            Ok(true)
        })
        .await?;
        Ok(())
    }
}

pub fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(v).map_err(|e| Error::Unknown(format!("encode: {e}")))
}

pub fn decode<T: for<'a> Deserialize<'a>>(v: &[u8]) -> Result<T> {
    serde_json::from_slice(v).map_err(|e| Error::Unknown(format!("decode: {e}")))
}

#[cfg(test)]
mod tests {
    use super::size_actual;

    /// Security review L11: a declared length near u64::MAX must not wrap.
    #[test]
    fn size_actual_rounds_up_and_saturates() {
        assert_eq!(size_actual(0), 0);
        assert_eq!(size_actual(1), 4096);
        assert_eq!(size_actual(4096), 4096);
        assert_eq!(size_actual(4097), 8192);
        assert_eq!(size_actual(u64::MAX), u64::MAX);
    }
}
