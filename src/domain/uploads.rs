//! Multipart uploads: the upload record and its parts on the store. Parts are data files of
//! their own; completing an upload makes an object whose data is the list of its parts'
//! files (nothing is copied), atomically with closing the upload.
//!
//! As in radosgw's bucket index, an upload in progress counts in its bucket's stats (and so
//! its quota): one `rgw.multimeta` object while it is open, and each part as an `rgw.main`
//! object from the moment it is recorded. Every record change commits with its counters.

use serde::{Deserialize, Serialize};

use crate::domain::acl::Acl;
use crate::domain::blobs::Blobs;
use crate::domain::buckets::{decode, encode, main_delta, multimeta_delta, size_actual};
use crate::domain::paging::Page;
use crate::error::{Error, Result};
use crate::store::{schema, CommitError, Store, Txn};

/// radosgw's `rgw_multipart_min_part_size`: every part but the last must be this big.
pub const MIN_PART: u64 = 5 << 20;
pub const MAX_PARTS: u32 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Upload {
    pub key: String,
    pub id: String,
    pub owner: String,
    pub initiated_us: i64,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    pub acl: Acl,
    #[serde(default)]
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    pub num: u32,
    pub etag: String,
    pub size: u64,
    pub data: String,
    pub mtime_us: i64,
}

/// An upload as stored (the raw bytes are what a later commit checks against).
#[derive(Debug, Clone)]
pub struct Stored<T> {
    pub raw: Vec<u8>,
    pub value: T,
}

pub struct Uploads {
    store: Store,
}

impl Uploads {
    pub fn new(store: Store) -> Uploads {
        Uploads { store }
    }

    pub fn new_id() -> String {
        crate::keys::upload_id()
    }

    /// Start upload `up` in bucket `b`, which must still exist (this instance of it), so a
    /// concurrent bucket removal cannot leave an upload behind.
    pub async fn create(&self, b: &crate::domain::buckets::Bucket, up: &Upload) -> Result<()> {
        let bk = b.data_key();
        let k = schema::upload(&bk, &up.key, &up.id);
        let mut t = Txn::default();
        t.expect(schema::bucket_instance(&b.key(), &b.id), Some(Vec::new()))
            .expect(k.clone(), None)
            .put(k, encode(up)?)
            .incr(schema::bucket_stats(&bk), multimeta_delta(1));
        match self.store.commit(t).await {
            Ok(_) => Ok(()),
            Err(CommitError::Conflict) => Err(Error::NoSuchBucket),
            Err(CommitError::Store(e)) => Err(e.into()),
        }
    }

    pub async fn get(&self, bk: &str, key: &str, id: &str) -> Result<Stored<Upload>> {
        let raw = self
            .store
            .get(&schema::upload(bk, key, id))
            .await?
            .ok_or(Error::NoSuchUpload)?;
        let value = decode(&raw)?;
        Ok(Stored { raw, value })
    }

    /// Every part of upload `id`, in part-number order, and the upload's part-write counter
    /// as read before them (what `close_txn` checks).
    pub async fn parts_for_close(&self, id: &str) -> Result<(Option<Vec<u8>>, Vec<Stored<Part>>)> {
        let writes = self.store.get(&schema::part_writes(id)).await?;
        Ok((writes, self.parts(id).await?))
    }

    /// Every part of upload `id`, in part-number order.
    pub async fn parts(&self, id: &str) -> Result<Vec<Stored<Part>>> {
        let mut out = Vec::new();
        let mut err = None;
        crate::store::for_each_page(&self.store, &schema::parts(id), 1000, |rows| {
            for (_, raw) in rows {
                match decode(&raw) {
                    Ok(value) => out.push(Stored { raw, value }),
                    Err(e) => {
                        err = Some(e);
                        return false;
                    }
                }
            }
            true
        })
        .await?;
        err.map_or(Ok(out), Err)
    }

    /// Record `part` (replacing an earlier upload of its number) while the upload is still
    /// open; the replaced part's data is deleted once that is durable.
    pub async fn put_part(
        &self,
        blobs: &Blobs,
        bk: &str,
        up: &Stored<Upload>,
        part: &Part,
    ) -> Result<()> {
        let pk = schema::part(&up.value.id, part.num);
        let old_raw = self.store.get(&pk).await?;
        let old: Option<Part> = old_raw.as_deref().map(decode).transpose()?;
        // A replaced part stops counting: radosgw counts both (a stats leak we do not copy).
        let delta = match &old {
            Some(o) => main_delta(
                part.size as i64 - o.size as i64,
                size_actual(part.size) as i64 - size_actual(o.size) as i64,
                0,
            ),
            None => main_delta(part.size as i64, size_actual(part.size) as i64, 1),
        };
        let mut t = Txn::default();
        t.expect(
            schema::upload(bk, &up.value.key, &up.value.id),
            Some(up.raw.clone()),
        )
        .expect(pk.clone(), old_raw)
        .put(pk, encode(part)?)
        .incr(schema::bucket_stats(bk), delta)
        .incr(schema::part_writes(&up.value.id), vec![1]);
        match self.store.commit(t).await {
            Ok(_) => {}
            Err(CommitError::Conflict) => return Err(Error::NoSuchUpload),
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
        if let Some(o) = old {
            blobs.remove_all(vec![o.data]).await;
        }
        Ok(())
    }

    /// The transaction that closes an upload whose parts are `parts`, with part-write
    /// counter `writes`, both from `parts_for_close`. The counter must still be as read:
    /// every part write bumps it, so a part added or replaced meanwhile fails the commit
    /// instead of leaving the object on deleted data, or a part behind, counted in the
    /// bucket's stats, with no upload to remove it. The parts go as one prefix deletion, so
    /// the transaction's size does not grow with their number (etcd allows 128 operations).
    /// It also takes the upload and its parts off the bucket's stats; whatever object the
    /// upload becomes is the caller's to add.
    pub fn close_txn(
        &self,
        bk: &str,
        up: &Stored<Upload>,
        writes: Option<Vec<u8>>,
        parts: &[Stored<Part>],
    ) -> Txn {
        let k = schema::upload(bk, &up.value.key, &up.value.id);
        let wk = schema::part_writes(&up.value.id);
        let mut t = Txn::default();
        t.expect(k.clone(), Some(up.raw.clone()))
            .delete(k)
            .expect(wk.clone(), writes)
            .delete(wk)
            .delete_prefix(schema::parts(&up.value.id))
            .incr(schema::bucket_stats(bk), multimeta_delta(-1));
        let (mut size, mut actual) = (0i64, 0i64);
        for p in parts {
            size += p.value.size as i64;
            actual += size_actual(p.value.size) as i64;
        }
        if !parts.is_empty() {
            t.incr(
                schema::bucket_stats(bk),
                main_delta(-size, -actual, -(parts.len() as i64)),
            );
        }
        t
    }

    /// Remove an upload, its parts and their data.
    pub async fn abort(&self, blobs: &Blobs, bk: &str, up: &Stored<Upload>) -> Result<()> {
        let (writes, parts) = self.parts_for_close(&up.value.id).await?;
        let t = self.close_txn(bk, up, writes, &parts);
        match self.store.commit(t).await {
            Ok(_) => {}
            Err(CommitError::Conflict) => return Err(Error::NoSuchUpload),
            Err(CommitError::Store(e)) => return Err(e.into()),
        }
        let ids: Vec<String> = parts.into_iter().map(|p| p.value.data).collect();
        blobs.remove_all(ids).await;
        Ok(())
    }

    /// Remove every upload of a bucket with its parts and their data (one a concurrent
    /// completion or abort took first is skipped).
    pub async fn abort_all(&self, blobs: &Blobs, bk: &str) -> Result<()> {
        loop {
            let ups = self.list(bk, "", "", "", 1000).await?;
            if ups.is_empty() {
                return Ok(());
            }
            for up in ups {
                match self.abort(blobs, bk, &up).await {
                    Ok(()) | Err(Error::NoSuchUpload) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }

    /// Uploads in progress in a bucket, in (key, upload id) order, after (`key`, `id`)
    /// markers when given, at most `max` (+1 to tell whether more remain).
    /// Where a listing after the markers starts.
    fn list_start(&self, bk: &str, key_marker: &str, id_marker: &str) -> Option<Vec<u8>> {
        if key_marker.is_empty() {
            None
        } else if id_marker.is_empty() {
            // Every upload of the marker key is skipped.
            let mut k = schema::uploads(bk);
            k.extend_from_slice(key_marker.as_bytes());
            k.push(1);
            Some(k)
        } else {
            Some(crate::store::after(&schema::upload(
                bk, key_marker, id_marker,
            )))
        }
    }

    pub async fn list(
        &self,
        bk: &str,
        prefix: &str,
        key_marker: &str,
        id_marker: &str,
        max: usize,
    ) -> Result<Vec<Stored<Upload>>> {
        let mut scan_prefix = schema::uploads(bk);
        scan_prefix.extend_from_slice(prefix.as_bytes());
        let start = self.list_start(bk, key_marker, id_marker);
        let rows = self
            .store
            .scan(&scan_prefix, start.as_deref(), max.saturating_add(1))
            .await?;
        rows.into_iter()
            .map(|(_, raw)| {
                let value = decode(&raw)?;
                Ok(Stored { raw, value })
            })
            .collect()
    }

    /// Up to `max` uploads after the markers, those whose key has `delimiter` after `prefix`
    /// rolled up into one common prefix each (an object listing's rule, `domain::paging`):
    /// a key marker that names a prefix resumes after it.
    pub async fn list_page(
        &self,
        bk: &str,
        prefix: &str,
        delimiter: &str,
        (key_marker, id_marker): (&str, &str),
        max: usize,
    ) -> Result<Page<Upload>> {
        if max == 0 {
            // radosgw says an empty page of a bucket with uploads after the markers is
            // truncated (an object listing's is not).
            let more = !self
                .list(bk, prefix, key_marker, id_marker, 0)
                .await?
                .is_empty();
            return Ok(Page {
                entries: Vec::new(),
                prefixes: Vec::new(),
                truncated: more,
                next_marker: String::new(),
            });
        }
        let base = schema::uploads(bk);
        let cursor = self.list_start(bk, key_marker, id_marker);
        let read = |_: &[u8], v: &[u8]| {
            let u: Upload = decode(v)?;
            Ok((u.key.clone(), u))
        };
        let where_ = (base.as_slice(), prefix, delimiter);
        crate::domain::paging::page(&self.store, where_, cursor, key_marker, max, read).await
    }
}

/// Remove a bucket that holds no object (of any version, delete markers included). radosgw
/// looks only for objects to decide a bucket
/// is empty: uploads still in progress are removed with it (and their parts, so the owner's
/// stats drop them). A bucket with objects is left whole (`BucketNotEmpty`).
pub async fn remove_bucket(
    buckets: &crate::domain::buckets::Buckets,
    objects: &crate::domain::objects::Objects,
    uploads: &Uploads,
    b: &crate::domain::buckets::Bucket,
) -> Result<()> {
    let bk = b.data_key();
    if !objects.is_empty(&bk).await? {
        return Err(Error::BucketNotEmpty);
    }
    uploads.abort_all(&objects.blobs, &bk).await?;
    buckets.remove(b).await
}
