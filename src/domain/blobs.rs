//! Object bytes on disk, under `objects_dir` (default `<data-dir>/objects`), which several
//! gateways on one etcd store share (NFS, CephFS). A body streams into `<objects_dir>/tmp/<id>`,
//! is fsynced, then renamed into `<objects_dir>/<xx>/<id>` (same file system, so the rename
//! is atomic); only after that does the index entry that names it commit, so a crash never
//! exposes a partial object. A data file never changes once published (ids are random and
//! never reused), which is what lets small ones be cached without invalidation, by every
//! gateway.
//!
//! Another gateway may be writing any file here at any time, so nothing is deleted for
//! being unknown to this process alone:
//! * temp files are removed at start only when untouched for `STALE` (a live upload
//!   writes at least every `body_timeout`, or is cut off);
//! * data files whose index entry never committed (a crash between rename and commit) are
//!   swept in the background after start, only when older than this process and than
//!   `STALE` (a publish is followed by its commit within the store's retry deadline), and
//!   in bounded batches, so memory does not grow with the object count.
//!
//! A directory only this process uses (the RocksDB store) has no other writer: there the
//! age bound is zero, as before.
//!
//! Everything here is async and holds no thread while it waits: file work runs as short
//! tasks on the blocking pool (`tokio::fs`), one chunk at a time.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::time::SystemTime;

use bytes::Bytes;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};

use crate::domain::cache::Cache;
use crate::error::{Error, Result};

/// Largest single object or part (radosgw's `rgw_max_put_size`, 5 GiB).
pub const MAX_PUT: u64 = 5 << 30;
/// Objects up to this size are served from (and kept in) the small-object cache.
pub const SMALL: u64 = 256 << 10;
/// Size of the chunks a download is read in.
const CHUNK: usize = 256 << 10;
/// Age past which a file nobody's index names cannot be in anyone's upload any more.
pub const STALE: std::time::Duration = std::time::Duration::from_secs(3600);

/// A request body as it arrives, already decoded and checked chunk by chunk by whoever
/// produced it: `Ok(None)` only once the whole body has arrived and verified.
pub trait ChunkSource: Send {
    fn next_chunk(&mut self) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>>;

    /// The flexible checksum (`x-amz-checksum-*`: algorithm, base64 value) the body carried
    /// and was checked against, once it has all arrived.
    fn checksum(&self) -> Option<(&'static str, String)> {
        None
    }
}

/// A body already in memory.
impl ChunkSource for Option<Bytes> {
    fn next_chunk(&mut self) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>> {
        let b = self.take();
        Box::pin(std::future::ready(Ok(b)))
    }
}

/// What a finished upload produced.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub size: u64,
    pub md5: [u8; 16],
    /// The body's flexible checksum (algorithm, base64), when it carried one (see
    /// [`ChunkSource::checksum`]), as objects keep it.
    pub checksum: Option<(String, String)>,
}

pub struct Blobs {
    root: PathBuf,
    small: Cache<String, Bytes>,
    started: SystemTime,
    /// Files younger than this are never swept (`STALE` when the directory is shared).
    min_age: std::time::Duration,
}

impl Blobs {
    /// `shared`: other gateways use `objects_dir` too (the etcd store); otherwise this
    /// process is its only writer and any file it is not writing is fair game.
    pub fn open(objects_dir: &Path, cache_bytes: usize, shared: bool) -> std::io::Result<Blobs> {
        let root = objects_dir.to_path_buf();
        crate::store::create_private_dir(&root)?;
        let tmp = root.join("tmp");
        crate::store::create_private_dir(&tmp)?;
        // Partial uploads abandoned long ago (by any gateway) are garbage; recent ones may
        // be another gateway's upload in progress.
        let min_age = if shared {
            STALE
        } else {
            std::time::Duration::ZERO
        };
        remove_stale(&tmp, min_age);
        Ok(Blobs {
            root,
            min_age,
            small: Cache::new("object_bytes", cache_bytes, 4096),
            started: SystemTime::now(),
        })
    }

    /// Write, sync and remove a small file where uploads are received: the readiness
    /// probe's proof that object data can still be written (a full disk cannot).
    pub async fn probe(&self) -> std::io::Result<()> {
        let path = self
            .root
            .join("tmp")
            .join(format!("ready-{}", Self::new_id()));
        tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let res = std::fs::File::create(&path).and_then(|mut f| {
                f.write_all(&[0u8; 4096])?;
                f.sync_all()
            });
            let _ = std::fs::remove_file(&path);
            res
        })
        .await
        .map_err(std::io::Error::other)?
    }

    pub fn new_id() -> String {
        hex::encode(rand::random::<[u8; 16]>())
    }

    fn tmp_path(&self, id: &str) -> PathBuf {
        self.root.join("tmp").join(id)
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.root.join(&id[..2.min(id.len())]).join(id)
    }

    /// Stream `src` into a new data file; check `content_md5` when given; fsync and publish
    /// it. No index entry names it yet: the caller commits one or calls `remove_all`.
    pub async fn receive(
        &self,
        src: &mut dyn ChunkSource,
        content_md5: Option<[u8; 16]>,
    ) -> Result<Received> {
        let id = Self::new_id();
        let res = self.write_tmp(&id, src).await;
        let (size, md5) = match res {
            Ok(x) => x,
            Err(e) => {
                let _ = tokio::fs::remove_file(self.tmp_path(&id)).await;
                return Err(e);
            }
        };
        if content_md5.is_some_and(|want| want != md5) {
            let _ = tokio::fs::remove_file(self.tmp_path(&id)).await;
            return Err(Error::BadDigest);
        }
        self.publish(&id).await?;
        Ok(Received {
            id,
            size,
            md5,
            checksum: src.checksum().map(|(a, v)| (a.to_string(), v)),
        })
    }

    async fn write_tmp(&self, id: &str, src: &mut dyn ChunkSource) -> Result<(u64, [u8; 16])> {
        let mut f = tokio::fs::File::create(self.tmp_path(id))
            .await
            .map_err(|e| Error::io("create data file", &e))?;
        let mut md5 = Md5::new();
        let mut size: u64 = 0;
        while let Some(chunk) = src.next_chunk().await? {
            size += chunk.len() as u64;
            if size > MAX_PUT {
                return Err(Error::EntityTooLarge);
            }
            md5.update(&chunk);
            f.write_all(&chunk)
                .await
                .map_err(|e| Error::io("write data", &e))?;
        }
        f.sync_all().await.map_err(|e| Error::io("sync data", &e))?;
        Ok((size, md5.finalize().into()))
    }

    /// Move a finished temp file into place and make the rename durable.
    async fn publish(&self, id: &str) -> Result<()> {
        let (tmp, dst) = (self.tmp_path(id), self.path(id));
        let res = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let dir = dst.parent().expect("data path has a parent").to_path_buf();
            if !dir.is_dir() {
                std::fs::create_dir_all(&dir)?;
                // A new fan-out directory must itself be durable in its parent.
                if let Some(parent) = dir.parent() {
                    std::fs::File::open(parent)?.sync_all()?;
                }
            }
            std::fs::rename(tmp, &dst)?;
            std::fs::File::open(dir)?.sync_all()
        })
        .await
        .map_err(|e| Error::Unknown(e.to_string()))?;
        if let Err(e) = res {
            let _ = tokio::fs::remove_file(self.tmp_path(id)).await;
            return Err(Error::io("publish object data", &e));
        }
        Ok(())
    }

    /// A new data file holding bytes `range` (inclusive) of the concatenation of `data`
    /// (or all of it): CopyObject and UploadPartCopy. Published like a received body.
    pub async fn copy(
        &self,
        data: &[(String, u64)],
        range: Option<(u64, u64)>,
    ) -> Result<Received> {
        let total: u64 = data.iter().map(|(_, n)| n).sum();
        let (start, len) = match range {
            Some((a, b)) => (a, b + 1 - a),
            None => (0, total),
        };
        let mut reader = self.reader(data, start, len);
        let mut src = ReaderSource(&mut reader);
        self.receive(&mut src, None).await
    }

    /// Bytes `start..start+len` of the concatenation of `data`, read a chunk at a time.
    pub fn reader(&self, data: &[(String, u64)], start: u64, len: u64) -> BlobReader {
        BlobReader {
            files: data
                .iter()
                .map(|(id, n)| (self.path(id), *n))
                .rev()
                .collect(),
            skip: start,
            left: len,
            current: None,
        }
    }

    /// A small object's bytes, from the cache or read whole (and cached).
    pub async fn read_small(&self, data: &[(String, u64)]) -> Result<Bytes> {
        let key = match data {
            [(id, _)] => Some(id.clone()),
            _ => None,
        };
        if let Some(b) = key.as_ref().and_then(|k| self.small.get(k)) {
            return Ok(b);
        }
        let total: u64 = data.iter().map(|(_, n)| n).sum();
        let mut out = Vec::with_capacity(total as usize);
        for (id, n) in data {
            let v = tokio::fs::read(self.path(id)).await.map_err(missing)?;
            if v.len() as u64 != *n {
                return Err(Error::Unknown(format!("data file {id} has the wrong size")));
            }
            out.extend_from_slice(&v);
        }
        let b = Bytes::from(out);
        if let Some(k) = key {
            let t = self.small.ticket(&k);
            self.small.fill(k, b.clone(), t);
        }
        Ok(b)
    }

    /// Every data file is there with the size its entry says (before a download promises a
    /// length it could not deliver).
    pub async fn check(&self, data: &[(String, u64)]) -> Result<()> {
        for (id, n) in data {
            let m = tokio::fs::metadata(self.path(id)).await.map_err(missing)?;
            if m.len() != *n {
                return Err(Error::Unknown(format!("data file {id} has the wrong size")));
            }
        }
        Ok(())
    }

    /// Delete data files no index entry names any more.
    pub async fn remove_all(&self, ids: Vec<String>) {
        for id in ids {
            self.small.invalidate(&id);
            let _ = tokio::fs::remove_file(self.path(&id)).await;
        }
    }

    /// Data files older than this process, up to `max`, after `after` (by name): candidates
    /// for the sweep.
    pub async fn old_files(&self, after: &str, max: usize) -> Vec<String> {
        let root = self.root.clone();
        // Older than this process and than `STALE`: see the module's comment.
        let started = self.started.min(SystemTime::now() - self.min_age);
        let after = after.to_string();
        tokio::task::spawn_blocking(move || {
            let mut out = Vec::new();
            let Ok(dirs) = std::fs::read_dir(&root) else {
                return out;
            };
            // Only the fan-out directories (`<xx>`), not `tmp`.
            let mut dirs: Vec<PathBuf> = dirs
                .flatten()
                .filter(|d| {
                    let n = d.file_name();
                    n.len() == 2 && n.as_encoded_bytes().iter().all(u8::is_ascii_hexdigit)
                })
                .map(|d| d.path())
                .collect();
            dirs.sort();
            for d in dirs {
                let Ok(files) = std::fs::read_dir(&d) else {
                    continue;
                };
                let mut names: Vec<(String, PathBuf)> = files
                    .flatten()
                    .map(|f| (f.file_name().to_string_lossy().into_owned(), f.path()))
                    // Data files only: 32 hex digits (nothing else that may share the
                    // directory).
                    .filter(|(n, _)| n.len() == 32 && n.bytes().all(|b| b.is_ascii_hexdigit()))
                    .filter(|(n, _)| *n > after)
                    .collect();
                names.sort();
                for (name, path) in names {
                    let old = std::fs::metadata(&path)
                        .and_then(|m| m.modified())
                        .is_ok_and(|t| t < started);
                    if old {
                        out.push(name);
                        if out.len() >= max {
                            return out;
                        }
                    }
                }
            }
            out
        })
        .await
        .unwrap_or_default()
    }
}

/// Remove the files of `dir` not modified for `age`.
fn remove_stale(dir: &Path, age: std::time::Duration) {
    let Ok(files) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    for f in files.flatten() {
        let old = f
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| now.duration_since(t).unwrap_or_default() >= age);
        if old {
            let _ = std::fs::remove_file(f.path());
        }
    }
}

/// Whether `id` has the shape `Blobs::new_id` gives every data file (32 hex digits): an
/// entry naming anything else is corrupt, and its name must never become a path.
pub fn valid_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Where data file `id` of a store kept whole in `data_dir` (the default `objects_dir`, and
/// a backup's layout) lives: `objects/<first two chars>/<id>`.
pub fn data_path(data_dir: &Path, id: &str) -> PathBuf {
    object_file(&data_dir.join("objects"), id)
}

/// Where data file `id` lives under an objects directory (fanned out by its first two
/// characters).
pub fn object_file(objects_dir: &Path, id: &str) -> PathBuf {
    objects_dir.join(&id[..2.min(id.len())]).join(id)
}

fn missing(e: std::io::Error) -> Error {
    Error::Unknown(format!("object data unreadable: {e}"))
}

/// Reads a range of an object's data files in order, one chunk per call.
pub struct BlobReader {
    /// Remaining files, last first.
    files: Vec<(PathBuf, u64)>,
    skip: u64,
    left: u64,
    current: Option<(tokio::fs::File, u64)>,
}

impl BlobReader {
    /// The next chunk, `None` at the end. A file that is missing or shorter than its index
    /// entry says is an error, never a silently short body.
    pub async fn next(&mut self) -> Option<std::io::Result<Bytes>> {
        while self.left > 0 {
            if self.current.is_none() {
                let (path, size) = self.files.pop()?;
                if self.skip >= size {
                    self.skip -= size;
                    continue;
                }
                let mut f = match tokio::fs::File::open(&path).await {
                    Ok(f) => f,
                    Err(e) => return Some(Err(e)),
                };
                if self.skip > 0 {
                    if let Err(e) = f.seek(std::io::SeekFrom::Start(self.skip)).await {
                        return Some(Err(e));
                    }
                }
                self.current = Some((f, size - self.skip));
                self.skip = 0;
            }
            let (f, in_file) = self.current.as_mut().expect("open");
            if *in_file == 0 {
                self.current = None;
                continue;
            }
            let n = self.left.min(*in_file).min(CHUNK as u64) as usize;
            let mut buf = vec![0u8; n];
            if let Err(e) = f.read_exact(&mut buf).await {
                return Some(Err(e));
            }
            self.left -= n as u64;
            *in_file -= n as u64;
            return Some(Ok(Bytes::from(buf)));
        }
        None
    }
}

struct ReaderSource<'a>(&'a mut BlobReader);

impl ChunkSource for ReaderSource<'_> {
    fn next_chunk(&mut self) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>> {
        Box::pin(async move {
            match self.0.next().await {
                None => Ok(None),
                Some(Ok(b)) => Ok(Some(b)),
                Some(Err(e)) => Err(missing(e)),
            }
        })
    }
}
