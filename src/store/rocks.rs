//! RocksDB engine. Reads go straight to RocksDB; commits go through one writer thread that
//! checks each transaction's preconditions in order against the database plus the writes
//! already accepted into the current group, and then writes the whole group as one synced
//! WriteBatch: every acknowledged write is on disk (WAL fsync), and concurrent writers share
//! one fsync (group commit).

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use rocksdb::{Options, WriteBatch, WriteOptions, DB};

use super::{schema, CommitError, MetadataStore, Txn};
use crate::error::{Error, Result};

type Reply = mpsc::SyncSender<std::result::Result<u64, CommitError>>;

pub struct RocksStore {
    db: Arc<DB>,
    tx: Mutex<Option<mpsc::Sender<(Txn, Reply)>>>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
    closed: AtomicBool,
}

/// Most transactions folded into one WriteBatch.
const MAX_GROUP: usize = 256;

impl RocksStore {
    /// Open (creating if needed). Fails with a plain message when another process holds the
    /// database, so the CLI can say a server is running.
    pub fn open(dir: &Path) -> std::result::Result<RocksStore, String> {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        opts.set_max_background_jobs(2);
        let db = DB::open(&opts, dir).map_err(|e| {
            let s = e.to_string();
            if s.contains("lock") || s.contains("Resource temporarily unavailable") {
                format!(
                    "the store at {} is in use by another process (is `rgw-admin serve` running on it?): {s}",
                    dir.display()
                )
            } else {
                format!("cannot open store at {}: {s}", dir.display())
            }
        })?;
        match db.get(schema::SCHEMA_KEY).map_err(|e| e.to_string())? {
            None => {
                let mut w = WriteOptions::default();
                w.set_sync(true);
                db.put_opt(schema::SCHEMA_KEY, schema::SCHEMA_VERSION, &w)
                    .map_err(|e| e.to_string())?;
            }
            Some(v) if v == schema::SCHEMA_VERSION => {}
            Some(v) => {
                return Err(format!(
                    "store schema version {} is not supported (expected {})",
                    String::from_utf8_lossy(&v),
                    String::from_utf8_lossy(schema::SCHEMA_VERSION)
                ))
            }
        }
        let db = Arc::new(db);
        let (tx, rx) = mpsc::channel::<(Txn, Reply)>();
        let wdb = db.clone();
        let writer = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer_loop(&wdb, rx))
            .map_err(|e| e.to_string())?;
        Ok(RocksStore {
            db,
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            closed: AtomicBool::new(false),
        })
    }
}

fn io(e: rocksdb::Error) -> Error {
    Error::Unknown(format!("rocksdb: {e}"))
}

fn writer_loop(db: &DB, rx: mpsc::Receiver<(Txn, Reply)>) {
    let mut seq: u64 = 0;
    let mut sync = WriteOptions::default();
    sync.set_sync(true);
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(x) => group.push(x),
                Err(_) => break,
            }
        }
        // Writes accepted so far in this group: key → new value (None = deleted).
        let mut staged: HashMap<Vec<u8>, Option<Vec<u8>>> = HashMap::new();
        let mut batch = WriteBatch::default();
        let mut outcomes: Vec<(Reply, std::result::Result<u64, CommitError>)> = Vec::new();
        for (txn, reply) in group {
            let ok = txn.checks.iter().try_fold(true, |ok, (k, want)| {
                if !ok {
                    return Ok(false);
                }
                let cur = match staged.get(k) {
                    Some(v) => v.clone(),
                    None => db.get(k)?,
                };
                Ok::<bool, rocksdb::Error>(cur == *want)
            });
            let res = match ok {
                Err(e) => Err(CommitError::Store(io(e))),
                Ok(false) => Err(CommitError::Conflict),
                Ok(true) => {
                    for (k, d) in &txn.incrs {
                        let cur = match staged.get(k) {
                            Some(v) => v.clone(),
                            None => db.get(k).ok().flatten(),
                        };
                        let v = super::add_counters(cur.as_deref(), d);
                        batch.put(k, &v);
                        staged.insert(k.clone(), Some(v));
                    }
                    for k in &txn.deletes {
                        batch.delete(k);
                        staged.insert(k.clone(), None);
                    }
                    for (k, v) in &txn.puts {
                        batch.put(k, v);
                        staged.insert(k.clone(), Some(v.clone()));
                    }
                    seq += 1;
                    Ok(seq)
                }
            };
            outcomes.push((reply, res));
        }
        let written = if batch.is_empty() {
            Ok(())
        } else {
            db.write_opt(batch, &sync)
        };
        for (reply, res) in outcomes {
            let res = match (&written, res) {
                (Err(e), Ok(_)) => Err(CommitError::Store(Error::Unknown(format!(
                    "rocksdb write: {e}"
                )))),
                (_, r) => r,
            };
            let _ = reply.send(res);
        }
    }
}

impl MetadataStore for RocksStore {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        self.db.get(key).map_err(io)
    }

    fn scan_range(
        &self,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        let start = after.unwrap_or(prefix);
        let it = self.db.iterator(rocksdb::IteratorMode::From(
            start,
            rocksdb::Direction::Forward,
        ));
        for item in it {
            if out.len() >= limit {
                break;
            }
            let (k, v) = item.map_err(io)?;
            if !k.starts_with(prefix) {
                break;
            }
            if after.is_some_and(|a| &*k <= a) {
                continue;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    fn commit(&self, txn: Txn) -> std::result::Result<u64, CommitError> {
        let (rtx, rrx) = mpsc::sync_channel(1);
        {
            let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            let Some(tx) = tx.as_ref() else {
                return Err(CommitError::Store(Error::ServiceUnavailable));
            };
            tx.send((txn, rtx))
                .map_err(|_| CommitError::Store(Error::ServiceUnavailable))?;
        }
        rrx.recv()
            .unwrap_or(Err(CommitError::Store(Error::ServiceUnavailable)))
    }

    fn close(&self) {
        if self.closed.swap(true, Ordering::SeqCst) {
            return;
        }
        // Dropping the sender ends the writer loop after it has answered everything queued.
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = h.join();
        }
        let _ = self.db.flush_wal(true);
    }
}

impl Drop for RocksStore {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp() -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!(
            "rgw-admin-rocks-{}-{}",
            std::process::id(),
            rand::random::<u64>()
        ));
        d
    }

    #[test]
    fn conditional_commit_and_scan() {
        let dir = tmp();
        let s = RocksStore::open(&dir).unwrap();
        let mut t = Txn::default();
        t.expect("user/a", None).put("user/a", "1").put("ak/K", "a");
        assert!(s.commit(t.clone()).is_ok());
        assert!(matches!(s.commit(t), Err(CommitError::Conflict)));
        assert_eq!(s.get(b"user/a").unwrap(), Some(b"1".to_vec()));
        assert_eq!(s.scan(b"user/").unwrap().len(), 1);
        let mut t = Txn::default();
        t.expect("user/a", Some(b"1".to_vec())).delete("user/a");
        assert!(s.commit(t).is_ok());
        assert_eq!(s.get(b"user/a").unwrap(), None);
        // counters add up, also within one group
        let mut t = Txn::default();
        t.incr("c", vec![1, 10]);
        s.commit(t.clone()).unwrap();
        s.commit(t).unwrap();
        let c = crate::store::decode_counters(&s.get(b"c").unwrap().unwrap());
        assert_eq!(c, vec![2, 20]);
        assert_eq!(s.scan_range(b"user/", None, 10).unwrap().len(), 0);
        // a second open while the first is live is refused with a clear message
        let err = RocksStore::open(&dir).err().unwrap();
        assert!(err.contains("in use"), "{err}");
        s.close();
        drop(s);
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn concurrent_creates_one_winner() {
        let dir = tmp();
        let s = Arc::new(RocksStore::open(&dir).unwrap());
        let handles: Vec<_> = (0..64)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let mut t = Txn::default();
                    t.expect("user/x", None).put("user/x", format!("{i}"));
                    s.commit(t).is_ok()
                })
            })
            .collect();
        let wins = handles
            .into_iter()
            .filter(|_| true)
            .map(|h| h.join().unwrap())
            .filter(|w| *w)
            .count();
        assert_eq!(wins, 1);
        s.close();
        std::fs::remove_dir_all(dir).ok();
    }
}
