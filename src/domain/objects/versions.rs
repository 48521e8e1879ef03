//! Object versions, as radosgw 16.2.15 keeps them once a bucket has had versioning: the
//! current version stays the object's entry (`obj/`), and every version it replaced and
//! every delete marker is kept beside it (`objv/`, newest first), until deleted by id.
//!
//! Invariants every change keeps, in one transaction with the stats counters:
//! - at most one null version (id `null`) per key, current or not;
//! - an object with no current entry has either no versions at all or a delete marker as
//!   its newest one (deleting a current version by id promotes the next newest, unless that
//!   is a delete marker);
//! - a new version is newer than every version the key has (its time is bumped past the
//!   newest's if the clock says otherwise), so the order of `objv/` is the order of events.
//!
//! Noncurrent versions count in the bucket's stats (and so in quotas) as radosgw counts
//! them; delete markers count nothing.

use std::sync::Arc;

use super::{ObjectMeta, Objects, Plan};
use crate::domain::acl::Acl;
use crate::domain::buckets::{decode, encode, ver_delta, Bucket, Versioning};
use crate::domain::object_lock::forbids_delete;
use crate::error::{Error, Result};
use crate::store::{self, schema, CommitError, Retry, Txn};

/// A noncurrent version or delete marker as stored.
struct Stored {
    key: Vec<u8>,
    raw: Vec<u8>,
    meta: ObjectMeta,
}

/// radosgw's words for a delete by id that a retention or legal hold refuses.
pub const LOCKED: &str = "forbidden by object lock";

/// What a delete did, as S3 reports it: the version it names (`x-amz-version-id`) and
/// whether that is a delete marker (`x-amz-delete-marker`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Removed {
    pub version_id: Option<String>,
    pub delete_marker: bool,
}

impl Objects {
    /// Version `vid` of `key` (`null`: the null version), current or not; delete markers
    /// included (no read serves one: callers answer `NoSuchKey`, as radosgw does).
    pub async fn get_version(
        &self,
        bk: &str,
        key: &str,
        vid: &str,
    ) -> Result<Option<Arc<ObjectMeta>>> {
        if let Some(head) = self.get(bk, key).await? {
            if head.vid() == vid {
                return Ok(Some(head));
            }
        }
        Ok(self
            .find_noncurrent(bk, key, |m| m.vid() == vid)
            .await?
            .map(|(s, _, _)| Arc::new(s.meta)))
    }

    /// Delete `key` as S3's DeleteObject does in bucket `b`: without `vid`, the current
    /// version (no versioning), or a new delete marker owned by `owner` in its place
    /// (versioning enabled: the current version is kept; suspended: the null version goes
    /// and the marker is the null one); with `vid`, that version for good (a missing one is
    /// no error, a locked one `AccessDenied`: see `object_lock::forbids_delete`, with
    /// `bypass` the governance bypass). radosgw's answers: see `Removed`.
    pub async fn delete(
        &self,
        b: &Bucket,
        key: &str,
        vid: Option<&str>,
        owner: &str,
        bypass: bool,
    ) -> Result<Removed> {
        let removed = self.delete_if(b, key, (vid, bypass), owner, |_| true);
        Ok(removed.await?.unwrap_or_default())
    }

    /// [`Objects::delete`] only while `still` holds for the current version (`None`: there
    /// is none): the lifecycle expires the version it found, not one written since. `None`
    /// when nothing was deleted or added.
    pub async fn delete_if(
        &self,
        b: &Bucket,
        key: &str,
        (vid, bypass): (Option<&str>, bool),
        owner: &str,
        still: impl Fn(Option<&ObjectMeta>) -> bool,
    ) -> Result<Option<Removed>> {
        let bk = b.data_key();
        let Some(mode) = b.versioning else {
            // Never versioned: only the null version exists.
            if vid.is_some_and(|v| v != "null") {
                return Ok(None);
            }
            return match self.remove_where(&bk, key, |c| still(Some(c))).await {
                Ok(removed) => Ok(removed.map(|_| Removed::default())),
                Err(Error::NoSuchKey) => Ok(None),
                Err(e) => Err(e),
            };
        };
        let k = schema::object(&bk, key);
        // The bucket (this instance of it) must still exist: a marker written into a bucket
        // being removed would outlive it.
        let instance = schema::bucket_instance(&b.key(), &b.id);
        let mut retry = Retry::new();
        loop {
            let cur_raw = self.store.get(&k).await?;
            let cur: Option<ObjectMeta> = cur_raw.as_deref().map(decode).transpose()?;
            if !still(cur.as_ref()) {
                return Ok(None);
            }
            let mut t = Txn::default();
            t.expect(instance.clone(), Some(Vec::new()))
                .expect(k.clone(), cur_raw);
            let mut plan = Plan::default();
            let removed = match vid {
                Some(v) => {
                    match self
                        .plan_delete_version(&mut t, &mut plan, (&bk, key), cur, (v, bypass))
                        .await?
                    {
                        Some(r) => r,
                        None => return Ok(None),
                    }
                }
                None => {
                    let newest = self.newest_noncurrent(&bk, key).await?;
                    if mode == Versioning::Enabled
                        && cur.is_none()
                        && newest.as_ref().is_some_and(|n| n.meta.delete_marker)
                    {
                        // radosgw adds no second marker over one.
                        return Ok(None);
                    }
                    let mut marker = delete_marker(owner, new_id(mode));
                    marker.mtime_us = next_time(cur.as_ref(), newest.as_ref());
                    if cur.is_some() {
                        t.delete(k.clone());
                    }
                    self.retire(&mut t, &mut plan, &bk, key, cur, mode).await?;
                    let mk = schema::object_version(&bk, key, marker.mtime_us, marker.vid());
                    t.expect(mk.clone(), None).put(mk, encode(&marker)?);
                    Removed {
                        version_id: Some(marker.vid().to_string()),
                        delete_marker: true,
                    }
                }
            };
            t.incr(schema::bucket_stats(&bk), plan.stats())
                .incr(schema::bucket_versions(&bk), ver_delta(key));
            match self.store.commit(t).await {
                Ok(seq) => {
                    self.entries.written(k, None, seq);
                    self.blobs.remove_all(plan.free).await;
                    return Ok(Some(removed));
                }
                Err(CommitError::Conflict) => {
                    self.entries.invalidate(&k);
                    if self.store.get(&instance).await?.is_none() {
                        return Err(Error::NoSuchBucket);
                    }
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// The part of a write that depends on the bucket's versioning: what becomes of the
    /// current version `cur` (and, suspended, of a noncurrent null version), `meta`'s id
    /// and time. Returns the id to announce (versioning enabled).
    pub(super) async fn plan_write(
        &self,
        t: &mut Txn,
        plan: &mut Plan,
        b: &Bucket,
        key: &str,
        cur: Option<ObjectMeta>,
        meta: &mut ObjectMeta,
    ) -> Result<Option<String>> {
        let bk = b.data_key();
        let Some(mode) = b.versioning else {
            meta.version_id = None;
            if let Some(c) = cur {
                plan.drop(c);
            }
            return Ok(None);
        };
        let newest = self.newest_noncurrent(&bk, key).await?;
        meta.mtime_us = meta.mtime_us.max(next_time(cur.as_ref(), newest.as_ref()));
        meta.version_id = new_id(mode);
        self.retire(t, plan, &bk, key, cur, mode).await?;
        Ok(meta.version_id.clone())
    }

    /// The current version `cur` (if any) makes way for a new one: kept as a noncurrent
    /// version, except where a null version is about to take its place in a suspended
    /// bucket, when the null version the key has (current or not) is dropped instead.
    async fn retire(
        &self,
        t: &mut Txn,
        plan: &mut Plan,
        bk: &str,
        key: &str,
        cur: Option<ObjectMeta>,
        mode: Versioning,
    ) -> Result<()> {
        if mode == Versioning::Suspended {
            if let Some(c) = cur.as_ref().filter(|c| c.version_id.is_none()) {
                plan.drop(c.clone());
                return Ok(());
            }
            self.drop_noncurrent_null(t, plan, bk, key).await?;
        }
        if let Some(c) = cur {
            let vk = schema::object_version(bk, key, c.mtime_us, c.vid());
            t.expect(vk.clone(), None).put(vk, encode(&c)?);
        }
        Ok(())
    }

    /// Drop the key's noncurrent null version, if it has one.
    async fn drop_noncurrent_null(
        &self,
        t: &mut Txn,
        plan: &mut Plan,
        bk: &str,
        key: &str,
    ) -> Result<()> {
        if let Some((n, _, _)) = self
            .find_noncurrent(bk, key, |m| m.version_id.is_none())
            .await?
        {
            t.expect(n.key.clone(), Some(n.raw)).delete(n.key);
            plan.drop(n.meta);
        }
        Ok(())
    }

    /// Delete version `v` for good; a current version's place goes to the next newest
    /// unless that is a delete marker. `None`: there is no such version.
    async fn plan_delete_version(
        &self,
        t: &mut Txn,
        plan: &mut Plan,
        (bk, key): (&str, &str),
        cur: Option<ObjectMeta>,
        (v, bypass): (&str, bool),
    ) -> Result<Option<Removed>> {
        let now = crate::clock::now_us();
        let unlocked = |o: &ObjectMeta| {
            if forbids_delete(o, now, bypass) {
                Err(Error::AccessDenied.saying(LOCKED))
            } else {
                Ok(())
            }
        };
        let k = schema::object(bk, key);
        let named = |dm| Removed {
            version_id: Some(v.to_string()),
            delete_marker: dm,
        };
        let has_current = cur.is_some();
        if let Some(c) = cur.filter(|c| c.vid() == v) {
            unlocked(&c)?;
            t.delete(k.clone());
            plan.drop(c);
            if let Some(n) = self.newest_noncurrent(bk, key).await? {
                promote(t, &k, n)?;
            }
            return Ok(Some(named(false)));
        }
        let found = self.find_noncurrent(bk, key, |m| m.vid() == v).await?;
        let Some((s, first, next)) = found else {
            // radosgw names a missing null version back, in a bucket that has versioning.
            return Ok((v == "null").then(|| named(false)));
        };
        unlocked(&s.meta)?;
        let dm = s.meta.delete_marker;
        t.expect(s.key.clone(), Some(s.raw)).delete(s.key);
        plan.drop(s.meta);
        // The newest of an object with no current version was its latest: the one after it
        // takes its place.
        if first && !has_current {
            if let Some(n) = next {
                promote(t, &k, n)?;
            }
        }
        Ok(Some(named(dm)))
    }

    /// The key's newest noncurrent version or delete marker.
    async fn newest_noncurrent(&self, bk: &str, key: &str) -> Result<Option<Stored>> {
        let prefix = schema::object_versions_of(bk, key, true);
        let row = self.store.scan(&prefix, None, 1).await?.into_iter().next();
        row.map(|(key, raw)| {
            let meta = decode(&raw)?;
            Ok(Stored { key, raw, meta })
        })
        .transpose()
    }

    /// The key's newest noncurrent version `pick` accepts, whether it is the newest of
    /// them all, and the one after it (older).
    async fn find_noncurrent(
        &self,
        bk: &str,
        key: &str,
        pick: impl Fn(&ObjectMeta) -> bool,
    ) -> Result<Option<(Stored, bool, Option<Stored>)>> {
        let prefix = schema::object_versions_of(bk, key, true);
        let mut cursor: Option<Vec<u8>> = None;
        let mut found: Option<(Stored, bool)> = None;
        let mut first = true;
        loop {
            let rows = self.store.scan(&prefix, cursor.as_deref(), 256).await?;
            let done = rows.len() < 256;
            cursor = rows.last().map(|(k, _)| store::after(k));
            for (key, raw) in rows {
                let meta: ObjectMeta = decode(&raw)?;
                let s = Stored { key, raw, meta };
                if let Some((f, was_first)) = found {
                    return Ok(Some((f, was_first, Some(s))));
                }
                if pick(&s.meta) {
                    found = Some((s, first));
                }
                first = false;
            }
            if done {
                return Ok(found.map(|(f, was_first)| (f, was_first, None)));
            }
        }
    }

    /// Replace the ACL or tags of noncurrent version `vid` (see [`Objects::update`]).
    pub(super) async fn update_noncurrent(
        &self,
        bk: &str,
        key: &str,
        vid: &str,
        f: impl Fn(&mut ObjectMeta) -> Result<()>,
    ) -> Result<Arc<ObjectMeta>> {
        let mut retry = Retry::new();
        loop {
            let Some((s, _, _)) = self.find_noncurrent(bk, key, |m| m.vid() == vid).await? else {
                return Err(Error::NoSuchKey);
            };
            if s.meta.delete_marker {
                return Err(Error::NoSuchKey);
            }
            let mut o = s.meta;
            f(&mut o)?;
            let mut t = Txn::default();
            t.expect(s.key.clone(), Some(s.raw)).put(s.key, encode(&o)?);
            match self.store.commit(t).await {
                Ok(_) => return Ok(Arc::new(o)),
                Err(CommitError::Conflict) => retry.next().await?,
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Remove every noncurrent version and delete marker of a bucket (a purge), a page
    /// at a time, each page with its stats (40 entries: a check and a delete each keep a
    /// page within etcd's 128 operations per transaction).
    pub async fn purge_noncurrent(&self, bk: &str) -> Result<()> {
        let prefix = schema::object_versions(bk);
        loop {
            let rows = self.store.scan(&prefix, None, 40).await?;
            if rows.is_empty() {
                return Ok(());
            }
            let mut t = Txn::default();
            let mut plan = Plan::default();
            for (k, raw) in rows {
                let meta: ObjectMeta = decode(&raw)?;
                t.expect(k.clone(), Some(raw)).delete(k);
                plan.drop(meta);
            }
            t.incr(schema::bucket_stats(bk), plan.stats());
            match self.store.commit(t).await {
                Ok(_) => self.blobs.remove_all(plan.free).await,
                Err(CommitError::Conflict) => {}
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Up to `n` noncurrent versions and delete markers of keys under `prefix`, from store
    /// key `cursor` on (key order, each key's newest first), and where the next page starts
    /// (the lifecycle, index checks).
    pub async fn noncurrent_page(
        &self,
        bk: &str,
        prefix: &str,
        cursor: Option<Vec<u8>>,
        n: usize,
    ) -> Result<(Vec<(String, ObjectMeta)>, Option<Vec<u8>>)> {
        let base = schema::object_versions_of(bk, prefix, false);
        let rows = self.store.scan(&base, cursor.as_deref(), n).await?;
        let next = (rows.len() == n)
            .then(|| rows.last().map(|(k, _)| store::after(k)))
            .flatten();
        let mut page = Vec::with_capacity(rows.len());
        for (k, v) in rows {
            if let Some(key) = schema::parse_object_version(bk, &k) {
                page.push((key, decode(&v)?));
            }
        }
        Ok((page, next))
    }

    /// Whether all that is left of `key` is one delete marker.
    pub async fn only_marker(&self, bk: &str, key: &str) -> Result<bool> {
        if self.get(bk, key).await?.is_some() {
            return Ok(false);
        }
        let rows = self
            .store
            .scan(&schema::object_versions_of(bk, key, true), None, 2)
            .await?;
        Ok(match rows.as_slice() {
            [(_, v)] => decode::<ObjectMeta>(v)?.delete_marker,
            _ => false,
        })
    }
}

/// Make noncurrent version `n` the current one, at store key `k` (a delete marker stays
/// where it is).
fn promote(t: &mut Txn, k: &[u8], n: Stored) -> Result<()> {
    if !n.meta.delete_marker {
        t.expect(n.key.clone(), Some(n.raw))
            .delete(n.key)
            .put(k.to_vec(), encode(&n.meta)?);
    }
    Ok(())
}

/// A new version's id: a fresh one with versioning enabled, the null one suspended.
fn new_id(mode: Versioning) -> Option<String> {
    match mode {
        Versioning::Enabled => Some(crate::keys::version_id()),
        Versioning::Suspended => None,
    }
}

/// A new version's time: now, or just after the newest the key has if the clock is behind
/// it, so versions stay in the order they were made.
fn next_time(cur: Option<&ObjectMeta>, newest: Option<&Stored>) -> i64 {
    let latest = cur
        .map(|c| c.mtime_us)
        .into_iter()
        .chain(newest.map(|n| n.meta.mtime_us))
        .max();
    let now = crate::clock::now_us();
    latest.map_or(now, |l| now.max(l + 1))
}

fn delete_marker(owner: &str, version_id: Option<String>) -> ObjectMeta {
    ObjectMeta {
        size: 0,
        etag: String::new(),
        mtime_us: 0,
        content_type: String::new(),
        headers: Vec::new(),
        data: Vec::new(),
        owner: owner.to_string(),
        acl: Acl { grants: Vec::new() },
        tags: Vec::new(),
        checksum: None,
        version_id,
        delete_marker: true,
        retention: None,
        legal_hold: None,
    }
}
