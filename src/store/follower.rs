//! Reading a RocksDB store that another process may be serving, for backups.
//!
//! RocksDB lets one process open a database for writing (the `LOCK` file). A second process
//! can still follow it as a *secondary* instance: it replays the primary's MANIFEST and
//! write-ahead log into its own memory and reads the primary's immutable table files. Its
//! view only moves when it calls [`Follower::catch_up`], and a WAL record is one whole
//! WriteBatch, i.e. one of our commits: between two catch-ups every read sees the same
//! point in time, and never half a transaction. That is what a backup of a live store
//! needs, without a request to the server and without stopping it. (A RocksDB checkpoint
//! would need the primary: only the process holding the lock may pause file deletions and
//! flush its memtable.)
//!
//! The copy is logical: every entry of that one view is written into a new database, which
//! is then flushed and synced, so the copy holds no WAL and no half-written table.

use std::path::Path;

use rocksdb::{IteratorMode, Options, ReadOptions, WriteBatch, WriteOptions, DB};

/// Entries per batch written into the copy (bounds the copy's memory).
const BATCH: usize = 4096;

pub struct Follower {
    db: DB,
}

fn err(what: &str, dir: &Path, e: rocksdb::Error) -> String {
    format!("{what} {}: {e}", dir.display())
}

impl Follower {
    /// Follow the store at `primary` (its `db` directory), keeping the follower's own info
    /// log in `scratch`. Works whether or not a server has it open.
    pub fn open(primary: &Path, scratch: &Path) -> Result<Follower, String> {
        super::create_private_dir(scratch)
            .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
        let mut opts = Options::default();
        // Every table file opened once and kept open: a file the primary's compaction
        // deletes while we read stays readable through our descriptor.
        opts.set_max_open_files(-1);
        let db = DB::open_as_secondary(&opts, primary, scratch)
            .map_err(|e| err("cannot follow the store at", primary, e))?;
        Ok(Follower { db })
    }

    /// Open a finished copy (no process may be writing it) to read it back.
    pub fn open_copy(dir: &Path) -> Result<Follower, String> {
        let db = DB::open_for_read_only(&Options::default(), dir, true)
            .map_err(|e| err("cannot open the copy at", dir, e))?;
        Ok(Follower { db })
    }

    /// Move the view to the primary's latest committed state.
    pub fn catch_up(&self) -> Result<(), String> {
        self.db
            .try_catch_up_with_primary()
            .map_err(|e| format!("following the store: {e}"))
    }

    /// Every entry under `prefix` in the current view, in key order; `f` returning an error
    /// stops the walk with it.
    pub fn for_each(
        &self,
        prefix: &[u8],
        mut f: impl FnMut(&[u8], &[u8]) -> Result<(), String>,
    ) -> Result<(), String> {
        let mut ro = ReadOptions::default();
        ro.fill_cache(false);
        if let Some(end) = super::past_prefix(prefix) {
            ro.set_iterate_upper_bound(end);
        }
        let it = self
            .db
            .iterator_opt(IteratorMode::From(prefix, rocksdb::Direction::Forward), ro);
        for item in it {
            let (k, v) = item.map_err(|e| format!("reading the store: {e}"))?;
            f(&k, &v)?;
        }
        Ok(())
    }

    /// Write every entry of the current view into a new database at `dest` (which must not
    /// exist), flushed to table files and synced. `progress` is called with the count so
    /// far. Returns the number of entries.
    pub fn copy_to(&self, dest: &Path, mut progress: impl FnMut(u64)) -> Result<u64, String> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.set_error_if_exists(true);
        opts.set_compression_type(rocksdb::DBCompressionType::Lz4);
        let out = DB::open(&opts, dest).map_err(|e| err("cannot create", dest, e))?;
        let mut wo = WriteOptions::default();
        // The WAL is pointless here: the copy is flushed and synced before it is called done.
        wo.disable_wal(true);
        let mut batch = WriteBatch::default();
        let mut n: u64 = 0;
        let write = |b: WriteBatch| out.write_opt(b, &wo).map_err(|e| err("writing", dest, e));
        self.for_each(b"", |k, v| {
            batch.put(k, v);
            n += 1;
            if batch.len() >= BATCH {
                write(std::mem::take(&mut batch))?;
                progress(n);
            }
            Ok(())
        })?;
        write(batch)?;
        progress(n);
        out.flush().map_err(|e| err("flushing", dest, e))?;
        out.flush_wal(true).map_err(|e| err("syncing", dest, e))?;
        Ok(n)
    }
}
