//! The object index: one entry per object (its current version), committed only after the
//! object's data is durable, together with the bucket's stats counters, so a listing and
//! `bucket stats` are exact under concurrent writers. In a bucket that has had versioning,
//! the versions an object had before and its delete markers are kept beside it
//! (`versions`). S3 handlers and admin ops both use these functions; neither reaches into
//! the other.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::acl::Acl;
use crate::domain::blobs::Blobs;
use crate::domain::buckets::{decode, encode, main_delta, size_actual, ver_delta, Bucket, Buckets};
use crate::domain::cache::{weigh_pairs, Cache, Weigh};
use crate::domain::paging;
use crate::error::{Error, Result};
use crate::store::{schema, CommitError, Retry, Store, Txn};

mod version_listing;
mod versions;
pub use version_listing::VersionPage;
pub use versions::{Removed, LOCKED};

/// One stored object version (or delete marker).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub size: u64,
    /// Hex MD5 without quotes, or `<md5>-<parts>` for multipart.
    pub etag: String,
    pub mtime_us: i64,
    pub content_type: String,
    /// `x-amz-meta-*` and the other stored headers (lower-case names), in order.
    pub headers: Vec<(String, String)>,
    /// Data files in order (one for a simple PUT, one per part for multipart).
    pub data: Vec<(String, u64)>,
    pub owner: String,
    pub acl: Acl,
    /// Object tags (`x-amz-tagging`, `?tagging`), in the order given.
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The flexible checksum it was uploaded with (algorithm, base64), verified then, given
    /// back to a HEAD or GET that asks (`x-amz-checksum-mode: ENABLED`). Absent for objects
    /// uploaded without one, and for those completed from parts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checksum: Option<(String, String)>,
    /// The version's id; `None` for the null version (every object written while the
    /// bucket had no versioning, or had it suspended).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// A delete marker: no data, counted in no stats, only ever a noncurrent entry.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_marker: bool,
    /// Object lock: the version's retention, and its legal hold once one was set (`OFF`
    /// included: radosgw shows it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<crate::domain::object_lock::Retention>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<bool>,
}

impl ObjectMeta {
    /// The id S3 names the version by: `null` for the null version.
    pub fn vid(&self) -> &str {
        self.version_id.as_deref().unwrap_or("null")
    }

    /// The object's ACL with its owner filled in.
    pub fn acl(&self) -> Acl {
        self.acl.for_owner(&self.owner)
    }

    /// The data files (and sizes) of the parts it was completed from, when it was: its ETag
    /// ends `-<parts>` and it keeps one data file per part.
    pub fn parts(&self) -> Option<&[(String, u64)]> {
        let (_, count) = self.etag.rsplit_once('-')?;
        let count: usize = count.parse().ok()?;
        (count == self.data.len() && count > 0).then_some(self.data.as_slice())
    }
}

impl Weigh for ObjectMeta {
    fn weigh(&self) -> usize {
        160 + self.etag.len()
            + self.content_type.len()
            + self.owner.len()
            + weigh_pairs(&self.headers)
            + weigh_pairs(&self.tags)
            + self
                .checksum
                .as_ref()
                .map_or(0, |(a, v)| a.len() + v.len() + 48)
            + self.data.len() * 64
            + self.acl.grants.len() * 48
    }
}

impl Weigh for Vec<u8> {
    fn weigh(&self) -> usize {
        self.len()
    }
}

fn data_ids(o: &ObjectMeta) -> Vec<String> {
    o.data.iter().map(|(id, _)| id.clone()).collect()
}

/// Conditions of an install.
#[derive(Default)]
pub struct Guard {
    /// The entry the caller based its decision on (`Some(None)`: the key must not exist);
    /// otherwise `PreconditionFailed`.
    pub expect: Option<Option<ObjectMeta>>,
    /// More to commit in the same transaction; when its checks no longer hold, the install
    /// fails with the given error instead of retrying.
    pub with: Option<(Txn, Error)>,
}

/// One page of a listing.
#[derive(Debug, Default)]
pub struct Page {
    pub objects: Vec<(String, ObjectMeta)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// Last key or prefix returned (the next page starts after it).
    pub next_marker: String,
}

/// What one write does to the bucket's stats, and the data files it leaves unnamed.
#[derive(Default)]
struct Plan {
    size: i64,
    actual: i64,
    count: i64,
    free: Vec<String>,
}

impl Plan {
    /// A version (not a delete marker) comes into the index.
    fn add(&mut self, o: &ObjectMeta) {
        if !o.delete_marker {
            self.size += o.size as i64;
            self.actual += size_actual(o.size) as i64;
            self.count += 1;
        }
    }

    /// A version leaves the index for good: its data files go once the change is durable.
    fn drop(&mut self, o: ObjectMeta) {
        if !o.delete_marker {
            self.size -= o.size as i64;
            self.actual -= size_actual(o.size) as i64;
            self.count -= 1;
        }
        self.free.extend(data_ids(&o));
    }

    fn stats(&self) -> Vec<i64> {
        main_delta(self.size, self.actual, self.count)
    }
}

pub struct Objects {
    store: Store,
    pub blobs: Arc<Blobs>,
    /// Store key of the entry → entry.
    entries: Cache<Vec<u8>, Arc<ObjectMeta>>,
}

impl Objects {
    pub fn new(store: Store, blobs: Arc<Blobs>, cache_bytes: usize) -> Objects {
        Objects {
            store,
            blobs,
            entries: Cache::new("objects", cache_bytes, 512),
        }
    }

    /// Another gateway changed store key `key` at revision `rev` (the change feed).
    pub fn changed(&self, key: &[u8], rev: u64) {
        if key.starts_with(schema::OBJECT.as_bytes()) {
            self.entries.written(key.to_vec(), None, rev);
        }
    }

    /// See `Cache::set_serving`.
    pub fn set_serving(&self, on: bool) {
        self.entries.set_serving(on);
    }

    /// The object's entry, if it exists.
    pub async fn get(&self, bk: &str, key: &str) -> Result<Option<Arc<ObjectMeta>>> {
        let k = schema::object(bk, key);
        if let Some(o) = self.entries.get(&k) {
            return Ok(Some(o));
        }
        let t = self.entries.ticket(&k);
        let Some(v) = self.store.get(&k).await? else {
            return Ok(None);
        };
        let o = Arc::new(decode::<ObjectMeta>(&v)?);
        self.entries.fill(k, o.clone(), t);
        Ok(Some(o))
    }

    /// Install `meta` as the object `key`, keeping the bucket's stats exact, under the
    /// conditions of `guard`. The version it replaces is dropped (its data files deleted once
    /// the change is durable) or, in a bucket with versioning, kept as a noncurrent version:
    /// see [`Objects::plan_write`]. Returns the new version's id when the bucket has
    /// versioning enabled (the one S3 answers with `x-amz-version-id`).
    pub async fn install(
        &self,
        buckets: &Buckets,
        b: &Bucket,
        key: &str,
        mut meta: ObjectMeta,
        guard: Guard,
    ) -> Result<Option<String>> {
        let name = b.key();
        let bk = b.data_key();
        let k = schema::object(&bk, key);
        let mut b = Arc::new(b.clone());
        let mut retry = Retry::new();
        loop {
            let cur_raw = self.store.get(&k).await?;
            let cur: Option<ObjectMeta> = cur_raw.as_deref().map(decode).transpose()?;
            if let Some(want) = &guard.expect {
                if cur.as_ref() != want.as_ref() {
                    return Err(Error::PreconditionFailed);
                }
            }
            let mut t = guard
                .with
                .as_ref()
                .map(|(t, _)| t.clone())
                .unwrap_or_default();
            // The bucket (this instance of it) must still exist, so a concurrent bucket
            // removal cannot leave this object behind.
            t.expect(schema::bucket_instance(&name, &b.id), Some(Vec::new()))
                .expect(k.clone(), cur_raw);
            let mut plan = Plan::default();
            let announced = self
                .plan_write(&mut t, &mut plan, &b, key, cur, &mut meta)
                .await?;
            plan.add(&meta);
            t.put(k.clone(), encode(&meta)?)
                .incr(schema::bucket_stats(&bk), plan.stats())
                .incr(schema::bucket_versions(&bk), ver_delta(key));
            match self.store.commit(t).await {
                Ok(seq) => {
                    self.entries.written(k, Some(Arc::new(meta)), seq);
                    self.blobs.remove_all(plan.free).await;
                    return Ok(announced);
                }
                // The object changed under us, or the bucket went: look again, unless what
                // the caller made the change depend on is gone.
                Err(CommitError::Conflict) => {
                    if let Some((t, e)) = &guard.with {
                        if !self.holds(t).await? {
                            return Err(e.clone());
                        }
                    }
                    self.entries.invalidate(&k);
                    buckets.forget(&name);
                    match buckets.get(&name).await? {
                        Some(nb) if nb.id == b.id => b = nb,
                        _ => return Err(Error::NoSuchBucket),
                    }
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Whether a bucket holds nothing: no object, no noncurrent version, no delete marker.
    pub async fn is_empty(&self, bk: &str) -> Result<bool> {
        Ok(self
            .store
            .scan(&schema::objects(bk), None, 1)
            .await?
            .is_empty()
            && self
                .store
                .scan(&schema::object_versions(bk), None, 1)
                .await?
                .is_empty())
    }

    /// Do all of `t`'s checks hold now?
    async fn holds(&self, t: &Txn) -> Result<bool> {
        for (k, want) in &t.checks {
            if self.store.get(k).await? != *want {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Remove object `key`; `NoSuchKey` when absent. Returns the removed entry.
    pub async fn remove(&self, bk: &str, key: &str) -> Result<ObjectMeta> {
        self.remove_where(bk, key, |_| true)
            .await?
            .ok_or(Error::NoSuchKey)
    }

    /// `NoSuchKey` when absent; `None` when `still` refuses the current entry.
    async fn remove_where(
        &self,
        bk: &str,
        key: &str,
        still: impl Fn(&ObjectMeta) -> bool,
    ) -> Result<Option<ObjectMeta>> {
        let k = schema::object(bk, key);
        let mut retry = Retry::new();
        loop {
            let Some(cur_raw) = self.store.get(&k).await? else {
                return Err(Error::NoSuchKey);
            };
            let cur: ObjectMeta = decode(&cur_raw)?;
            if !still(&cur) {
                return Ok(None);
            }
            let mut t = Txn::default();
            t.expect(k.clone(), Some(cur_raw))
                .delete(k.clone())
                .incr(
                    schema::bucket_stats(bk),
                    main_delta(-(cur.size as i64), -(size_actual(cur.size) as i64), -1),
                )
                .incr(schema::bucket_versions(bk), ver_delta(key));
            match self.store.commit(t).await {
                Ok(seq) => {
                    self.entries.written(k, None, seq);
                    self.blobs.remove_all(data_ids(&cur)).await;
                    return Ok(Some(cur));
                }
                Err(CommitError::Conflict) => {
                    self.entries.invalidate(&k);
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Replace the ACL or tags of the current version, or of version `vid` (`f` edits a
    /// copy), leaving data and stats alone; `NoSuchKey` when absent (a delete marker has
    /// neither).
    pub async fn update(
        &self,
        bk: &str,
        key: &str,
        vid: Option<&str>,
        f: impl Fn(&mut ObjectMeta) -> Result<()>,
    ) -> Result<Arc<ObjectMeta>> {
        if let Some(vid) = vid {
            let head = self.get(bk, key).await?;
            if head.is_none_or(|h| h.vid() != vid) {
                return self.update_noncurrent(bk, key, vid, f).await;
            }
        }
        let k = schema::object(bk, key);
        let mut retry = Retry::new();
        loop {
            let Some(cur_raw) = self.store.get(&k).await? else {
                return Err(Error::NoSuchKey);
            };
            let mut o: ObjectMeta = decode(&cur_raw)?;
            f(&mut o)?;
            let mut t = Txn::default();
            t.expect(k.clone(), Some(cur_raw))
                .put(k.clone(), encode(&o)?);
            let o = Arc::new(o);
            match self.store.commit(t).await {
                Ok(seq) => {
                    self.entries.written(k, Some(o.clone()), seq);
                    return Ok(o);
                }
                Err(CommitError::Conflict) => {
                    self.entries.invalidate(&k);
                    retry.next().await?;
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// List keys under `prefix` after `after`, rolling keys up to `delimiter` into common
    /// prefixes, at most `max` entries (objects + prefixes). Reads at most a few batches
    /// per common prefix: the rest of a prefix is skipped with one seek.
    pub async fn list_page(
        &self,
        bk: &str,
        prefix: &str,
        delimiter: &str,
        after: &str,
        max: usize,
    ) -> Result<Page> {
        let base = schema::objects(bk);
        // A marker before the prefix starts at the prefix (the store clamps the start).
        let cursor: Option<Vec<u8>> = (!after.is_empty()).then(|| {
            let mut c = base.clone();
            c.extend_from_slice(after.as_bytes());
            crate::store::after(&c)
        });
        let read = |k: &[u8], v: &[u8]| {
            let key = String::from_utf8_lossy(&k[base.len()..]).into_owned();
            Ok((key.clone(), (key, decode(v)?)))
        };
        let p = paging::page(
            &self.store,
            (&base, prefix, delimiter),
            cursor,
            after,
            max,
            read,
        )
        .await?;
        Ok(Page {
            objects: p.entries,
            prefixes: p.prefixes,
            truncated: p.truncated,
            next_marker: p.next_marker,
        })
    }

    /// Every object of a bucket, a page at a time (purges, index checks).
    pub async fn for_each(
        &self,
        bk: &str,
        mut f: impl FnMut(Vec<(String, ObjectMeta)>) -> bool,
    ) -> Result<()> {
        let base = schema::objects(bk);
        let mut err = None;
        crate::store::for_each_page(&self.store, &base, 1000, |rows| {
            let mut page = Vec::with_capacity(rows.len());
            for (k, v) in rows {
                match decode(&v) {
                    Ok(o) => page.push((String::from_utf8_lossy(&k[base.len()..]).into_owned(), o)),
                    Err(e) => {
                        err = Some(e);
                        return false;
                    }
                }
            }
            f(page)
        })
        .await?;
        err.map_or(Ok(()), Err)
    }
}
