//! Buckets: their records, the user→bucket links, per-bucket stats counters and the object
//! index, on the metadata store. Bucket records are few and small, so all of them are held
//! in memory like users; objects and stats are read from the store when needed.
//!
//! Keys (see also `store/schema.rs`):
//! `bucket/<bkey>` record · `ubkt/<uid>/<bkey>` link · `bstats/<bkey>` counters
//! `[size, size_actual, num_objects, written]` · `bver/<bkey>` per-shard index versions ·
//! `obj/<bkey>/<key>` object · `upload/<bkey>/<key>\0<id>` multipart upload ·
//! `part/<id>/<nnnnn>` uploaded part. `bkey` is the bucket name, `tenant:name` in a tenant.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::encode::{Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::model::Quota;
use crate::store::{decode_counters, CommitError, MetadataStore, Txn};

/// radosgw's default index shard count for new buckets (as the captures show).
pub const NUM_SHARDS: usize = 11;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub name: String,
    pub tenant: String,
    pub id: String,
    pub marker: String,
    /// Owner uid (`tenant$id`).
    pub owner: String,
    pub creation_us: i64,
    pub mtime_us: i64,
    pub placement_rule: String,
    pub quota: Quota,
    /// Canned ACL given at creation (`private`, `public-read`, ...).
    pub acl: String,
    pub ver: u64,
    pub tag: String,
    /// The bucket's rate limit (radosgw keeps it in a bucket attribute).
    #[serde(default)]
    pub ratelimit: crate::ratelimit::RateLimit,
}

impl Bucket {
    pub fn key(&self) -> String {
        bkey(&self.tenant, &self.name)
    }
}

pub fn bkey(tenant: &str, name: &str) -> String {
    if tenant.is_empty() {
        name.to_string()
    } else {
        format!("{tenant}:{name}")
    }
}

/// One stored object version (the current one; versioning is off).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectMeta {
    pub size: u64,
    /// Quoted-less hex MD5, or `md5-N` for multipart.
    pub etag: String,
    pub mtime_us: i64,
    pub content_type: String,
    /// `x-amz-meta-*` and the other stored headers (lower-case names), in order.
    pub headers: Vec<(String, String)>,
    /// Data files in order (one for a simple PUT, one per part for multipart).
    pub data: Vec<(String, u64)>,
    pub owner: String,
    pub acl: String,
}

/// Counters kept exactly with every object change.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub size: u64,
    pub size_actual: u64,
    pub num_objects: u64,
    /// Whether anything was ever written (radosgw shows `rgw.main` from then on, even at 0).
    pub written: bool,
}

impl Stats {
    fn from_counters(c: &[i64]) -> Stats {
        let g = |i: usize| c.get(i).copied().unwrap_or(0).max(0) as u64;
        Stats {
            size: g(0),
            size_actual: g(1),
            num_objects: g(2),
            written: g(3) > 0,
        }
    }

    /// `usage` as radosgw dumps it: `{}` for a never-written bucket, else `rgw.main`.
    pub fn dump_usage(&self) -> Node {
        let mut b = ObjBuilder::new();
        if self.written {
            b.push(
                "rgw.main",
                crate::model::dump_storage_stats(
                    self.size,
                    self.size_actual,
                    self.size,
                    self.num_objects,
                ),
            );
        }
        b.build()
    }
}

/// Bytes an object occupies on radosgw: rounded up to 4 KiB.
pub fn size_actual(size: u64) -> u64 {
    size.div_ceil(4096) * 4096
}

pub fn k_bucket(bk: &str) -> Vec<u8> {
    format!("bucket/{bk}").into_bytes()
}
pub fn k_link(uid: &str, bk: &str) -> Vec<u8> {
    format!("ubkt/{uid}/{bk}").into_bytes()
}
pub fn k_link_prefix(uid: &str) -> Vec<u8> {
    format!("ubkt/{uid}/").into_bytes()
}
pub fn k_stats(bk: &str) -> Vec<u8> {
    format!("bstats/{bk}").into_bytes()
}
pub fn k_ver(bk: &str) -> Vec<u8> {
    format!("bver/{bk}").into_bytes()
}
pub fn k_obj_prefix(bk: &str) -> Vec<u8> {
    format!("obj/{bk}/").into_bytes()
}
pub fn k_obj(bk: &str, key: &str) -> Vec<u8> {
    let mut v = k_obj_prefix(bk);
    v.extend_from_slice(key.as_bytes());
    v
}

/// `ceph_str_hash_linux`, the hash radosgw picks an index shard with.
fn str_hash_linux(s: &[u8]) -> u32 {
    let mut h: u32 = 0;
    for &c in s {
        let c = c as u32;
        h = h.wrapping_add(c << 4).wrapping_add(c >> 4).wrapping_mul(11);
    }
    h
}

/// The index shard of an object (`RGWSI_BucketIndex_RADOS::bucket_shard_index`).
pub fn shard_of(key: &str) -> usize {
    let sid = str_hash_linux(key.as_bytes());
    let sid2 = sid ^ ((sid & 0xff) << 24);
    (sid2 % 7877) as usize % NUM_SHARDS
}

/// Deltas for `bver/`: one index operation on the object's shard.
pub fn ver_delta(key: &str) -> Vec<i64> {
    let mut v = vec![0; NUM_SHARDS];
    v[shard_of(key)] = 1;
    v
}

/// Bucket key → (commit seq of the last change seen, record or tombstone).
type Cache = HashMap<String, (u64, Option<Arc<Bucket>>)>;

pub struct Buckets {
    store: Arc<dyn MetadataStore>,
    cache: RwLock<Cache>,
}

impl Buckets {
    pub fn load(store: Arc<dyn MetadataStore>) -> Result<Buckets> {
        let mut map = HashMap::new();
        for (k, v) in store.scan(b"bucket/")? {
            let b: Bucket = serde_json::from_slice(&v).map_err(|e| {
                Error::Unknown(format!(
                    "corrupt bucket {}: {e}",
                    String::from_utf8_lossy(&k)
                ))
            })?;
            map.insert(b.key(), (0, Some(Arc::new(b))));
        }
        Ok(Buckets {
            store,
            cache: RwLock::new(map),
        })
    }

    pub fn store(&self) -> &Arc<dyn MetadataStore> {
        &self.store
    }

    pub fn get(&self, bk: &str) -> Option<Arc<Bucket>> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(bk)
            .and_then(|(_, b)| b.clone())
    }

    pub fn all(&self) -> Vec<Arc<Bucket>> {
        self.cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .filter_map(|(_, b)| b.clone())
            .collect()
    }

    /// Buckets linked to a user, sorted by name (radosgw's omap order).
    pub fn of_user(&self, uid: &str) -> Result<Vec<Arc<Bucket>>> {
        let prefix = k_link_prefix(uid);
        let mut out = Vec::new();
        for (k, _) in self.store.scan(&prefix)? {
            let bk = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            if let Some(b) = self.get(&bk) {
                out.push(b);
            }
        }
        Ok(out)
    }

    pub fn stats(&self, bk: &str) -> Result<Stats> {
        Ok(self
            .store
            .get(&k_stats(bk))?
            .map(|v| Stats::from_counters(&decode_counters(&v)))
            .unwrap_or_default())
    }

    /// The sum of the stats of a user's buckets (user quota, user info `stats`).
    pub fn user_totals(&self, uid: &str) -> Result<Stats> {
        let mut t = Stats::default();
        for b in self.of_user(uid)? {
            let s = self.stats(&b.key())?;
            t.size += s.size;
            t.size_actual += s.size_actual;
            t.num_objects += s.num_objects;
        }
        Ok(t)
    }

    /// Per-shard index versions, as radosgw prints `ver`: `0#1,1#1,...`.
    pub fn ver_string(&self, bk: &str) -> Result<String> {
        let v = self
            .store
            .get(&k_ver(bk))?
            .map(|v| decode_counters(&v))
            .unwrap_or_default();
        Ok((0..NUM_SHARDS)
            .map(|i| format!("{i}#{}", v.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join(","))
    }

    fn apply(&self, bk: &str, seq: u64, b: Option<Arc<Bucket>>) {
        let mut c = self.cache.write().unwrap_or_else(|e| e.into_inner());
        if c.get(bk).is_some_and(|(s, _)| *s >= seq) {
            return;
        }
        c.insert(bk.to_string(), (seq, b));
    }

    /// Commit `txn` (which must check the bucket record against `old`) and install `new`.
    pub async fn commit(
        &self,
        bk: &str,
        txn: Txn,
        new: Option<Bucket>,
    ) -> Result<Option<Arc<Bucket>>, CommitError> {
        let store = self.store.clone();
        let seq = tokio::task::spawn_blocking(move || store.commit(txn))
            .await
            .map_err(|e| CommitError::Store(Error::Unknown(format!("commit task: {e}"))))??;
        let new = new.map(Arc::new);
        self.apply(bk, seq, new.clone());
        Ok(new)
    }

    /// Read-modify-write of a bucket record (retried on conflict); `NoSuchBucket` if absent.
    pub async fn modify(
        &self,
        bk: &str,
        f: impl Fn(&mut Bucket, &mut Txn) -> Result<()>,
    ) -> Result<Arc<Bucket>> {
        for _ in 0..64 {
            let cur = self.get(bk).ok_or(Error::NoSuchBucket)?;
            let mut b = cur.as_ref().clone();
            let mut t = Txn::default();
            f(&mut b, &mut t)?;
            b.ver += 1;
            b.mtime_us = crate::clock::now_us();
            t.expect(k_bucket(bk), Some(encode(cur.as_ref())?));
            t.put(k_bucket(bk), encode(&b)?);
            match self.commit(bk, t, Some(b)).await {
                Ok(n) => return Ok(n.expect("some")),
                Err(CommitError::Conflict) => {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await
                }
                Err(CommitError::Store(e)) => return Err(e),
            }
        }
        Err(Error::ServiceUnavailable)
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
    use super::*;

    #[test]
    fn shards_match_the_captured_versions() {
        // radosgw 16 bumped shards 0 and 4 for these two objects (golden 145: "0#2,...,4#2").
        let mut s = [shard_of("hello.txt"), shard_of("dir/obj2")];
        s.sort();
        assert_eq!(s, [0, 4]);
    }

    #[test]
    fn bucket_listing_order_is_rados_order() {
        let want = [
            "alice-bucket-2",
            "alice-bucket-1",
            "dave-bucket",
            "alice-purge",
        ];
        let mut got: Vec<&str> = want.iter().rev().copied().collect();
        got.sort_by_key(|b| crate::users::rados_key("root", b));
        assert_eq!(got, want);
    }
}
