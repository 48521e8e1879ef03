//! `rgw-admin backup` and `restore`.
//!
//! A backup is a directory: `db/` (a RocksDB database holding every entry of the store as
//! of one commit), `objects/` (the data files those entries name, and no others),
//! `admin-credentials` when the store had one, and `BACKUP` (what was copied, written last:
//! a directory without it is not a backup). It is built in `<to>.partial-<pid>` and renamed
//! to `<to>` only when complete.
//!
//! Taken from a live store: the server keeps serving while a [`Follower`] reads the store
//! at one point in time. Data files are written and synced before the entry naming them
//! commits, so every file that point names existed when it was reached; but the server may
//! delete one (an object overwritten or removed) before it is copied. Then the round is
//! abandoned: the follower catches up to a later point and copies what that point names
//! that is not copied yet (files never change once written, so a copy stays valid). A
//! round where nothing was missing is consistent, and its entries are written out.

use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::domain::blobs::{data_path, object_file, valid_id};
use crate::store::create_private_dir;
use crate::store::follower::Follower;

/// Rounds before giving up on a store whose objects are replaced faster than copied.
const MAX_ROUNDS: u32 = 20;
/// Version of the backup layout, checked by `restore`.
const FORMAT: u64 = 1;
const MANIFEST: &str = "BACKUP";
const CREDENTIALS: &str = "admin-credentials";

/// What a backup or a restore copied.
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub format: u64,
    /// Store entries (every key, index and counters included).
    pub entries: u64,
    /// Data files and their bytes.
    pub files: u64,
    pub bytes: u64,
    /// Points in time tried before one had every file it names (1 on a quiet store).
    pub rounds: u32,
}

fn io(what: &str, p: &Path, e: std::io::Error) -> String {
    format!("{what} {}: {e}", p.display())
}

/// Is `dir` absent or an empty directory?
fn unused(dir: &Path) -> Result<bool, String> {
    match std::fs::read_dir(dir) {
        Ok(mut it) => Ok(it.next().is_none()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(true),
        Err(e) => Err(io("cannot read", dir, e)),
    }
}

/// `<dir>` with `.<tag>-<pid>` appended to its name: where work happens before the rename.
fn sibling(dir: &Path, tag: &str) -> Result<PathBuf, String> {
    let name = dir
        .file_name()
        .ok_or_else(|| format!("{} names no directory", dir.display()))?;
    let mut n = name.to_os_string();
    n.push(format!(".{tag}-{}", std::process::id()));
    Ok(dir.with_file_name(n))
}

/// Copy `src` to the new file `dst` (mode 0600 by the process umask) and sync it.
fn copy_synced(src: &Path, dst: &Path) -> std::io::Result<u64> {
    let n = std::fs::copy(src, dst)?;
    std::fs::File::open(dst)?.sync_all()?;
    Ok(n)
}

fn sync_dir(p: &Path) -> Result<(), String> {
    std::fs::File::open(p)
        .and_then(|f| f.sync_all())
        .map_err(|e| io("cannot sync", p, e))
}

/// `rgw-admin --data-dir DATA backup --to TO`. `TO` must not exist or be empty.
/// Back up the store in `data` whose data files live in `objects` (`objects_dir`).
pub fn backup(data: &Path, objects: &Path, to: &Path) -> Result<Summary, String> {
    if !crate::bootstrap::store_exists(data) {
        return Err(format!("no store at {}", data.display()));
    }
    if !unused(to)? {
        return Err(format!(
            "{} exists and is not empty; a backup goes to a new directory",
            to.display()
        ));
    }
    let work = sibling(to, "partial")?;
    if work.exists() {
        return Err(format!("{} exists (an earlier backup?)", work.display()));
    }
    let res = backup_into(data, objects, &work).and_then(|s| {
        if to.exists() {
            std::fs::remove_dir(to).map_err(|e| io("cannot replace", to, e))?;
        }
        std::fs::rename(&work, to).map_err(|e| io("cannot rename into", to, e))?;
        if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
        Ok(s)
    });
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&work);
    }
    res
}

fn backup_into(data: &Path, objects: &Path, work: &Path) -> Result<Summary, String> {
    create_private_dir(&work.join("objects")).map_err(|e| io("cannot create", work, e))?;
    let scratch = work.join(".follower");
    let follower = Follower::open(&data.join("db"), &scratch)?;
    let bar = super::progress("backup: files copied");
    let mut sum = Summary {
        format: FORMAT,
        ..Default::default()
    };
    let mut named: HashSet<String> = HashSet::new();
    loop {
        sum.rounds += 1;
        follower.catch_up()?;
        named.clear();
        let mut missing = 0u64;
        for prefix in [
            crate::store::schema::OBJECT,
            crate::store::schema::OBJECT_VERSION,
            crate::store::schema::PART,
        ] {
            follower.for_each(prefix.as_bytes(), |k, v| {
                let files = crate::domain::data_named_by(k, v)
                    .map_err(|e| format!("entry {}: {e}", String::from_utf8_lossy(k)))?;
                for (id, size) in files {
                    if !valid_id(&id) {
                        return Err(format!(
                            "entry {} names a data file {id:?} that cannot exist",
                            String::from_utf8_lossy(k)
                        ));
                    }
                    let dst = data_path(work, &id);
                    if !named.insert(id.clone()) || dst.exists() {
                        continue;
                    }
                    if let Some(dir) = dst.parent() {
                        create_private_dir(dir).map_err(|e| io("cannot create", dir, e))?;
                    }
                    let src = object_file(objects, &id);
                    match copy_synced(&src, &dst) {
                        Ok(n) if n == size => {
                            sum.files += 1;
                            sum.bytes += n;
                            bar.inc(1);
                        }
                        Ok(n) => {
                            return Err(format!(
                                "data file {id} has {n} bytes, its entry says {size}"
                            ))
                        }
                        // Deleted after the point being copied: try a later point.
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing += 1,
                        Err(e) => return Err(io("cannot copy", &src, e)),
                    }
                }
                Ok(())
            })?;
        }
        if missing == 0 {
            break;
        }
        if sum.rounds >= MAX_ROUNDS {
            return Err(format!(
                "objects were replaced faster than they could be copied ({MAX_ROUNDS} tries); try again when the store is quieter"
            ));
        }
    }
    // Earlier rounds may have copied files the final point no longer names.
    let (files, bytes) = prune(work, &named)?;
    sum.files = files;
    sum.bytes = bytes;
    bar.set_prefix("backup: entries copied");
    bar.set_position(0);
    sum.entries = follower.copy_to(&work.join("db"), |n| bar.set_position(n))?;
    bar.finish_and_clear();
    drop(follower);
    std::fs::remove_dir_all(&scratch).map_err(|e| io("cannot remove", &scratch, e))?;
    let cred = data.join(CREDENTIALS);
    if cred.exists() {
        copy_synced(&cred, &work.join(CREDENTIALS)).map_err(|e| io("cannot copy", &cred, e))?;
    }
    write_manifest(work, &sum)?;
    Ok(sum)
}

/// Delete the data files under `dir/objects` that `keep` does not name; sync every fan-out
/// directory. Returns the files and bytes kept.
fn prune(dir: &Path, keep: &HashSet<String>) -> Result<(u64, u64), String> {
    let (mut files, mut bytes) = (0, 0);
    let root = dir.join("objects");
    for d in std::fs::read_dir(&root).map_err(|e| io("cannot read", &root, e))? {
        let d = d.map_err(|e| io("cannot read", &root, e))?.path();
        for f in std::fs::read_dir(&d).map_err(|e| io("cannot read", &d, e))? {
            let f = f.map_err(|e| io("cannot read", &d, e))?;
            if keep.contains(&*f.file_name().to_string_lossy()) {
                files += 1;
                bytes += f.metadata().map(|m| m.len()).unwrap_or(0);
            } else {
                std::fs::remove_file(f.path()).map_err(|e| io("cannot remove", &f.path(), e))?;
            }
        }
        sync_dir(&d)?;
    }
    sync_dir(&root)?;
    Ok((files, bytes))
}

fn write_manifest(dir: &Path, sum: &Summary) -> Result<(), String> {
    let p = dir.join(MANIFEST);
    let text = serde_json::to_string_pretty(sum).map_err(|e| e.to_string())?;
    std::fs::File::create(&p)
        .and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            f.write_all(b"\n")?;
            f.sync_all()
        })
        .map_err(|e| io("cannot write", &p, e))?;
    sync_dir(dir)
}

/// `rgw-admin restore --from FROM --data-dir DATA`: a new store in `DATA` (absent or empty)
/// from the backup in `FROM`, checked against its manifest before it is put in place.
/// Make a new store in `data` from backup `from`, its data files in `objects`
/// (`objects_dir`: `data/objects` unless set otherwise, then it must be empty or absent).
pub fn restore(from: &Path, data: &Path, objects: &Path) -> Result<Summary, String> {
    let mp = from.join(MANIFEST);
    let text = std::fs::read_to_string(&mp)
        .map_err(|e| format!("{} is not a complete backup: {}", from.display(), e))?;
    let want: Summary = serde_json::from_str(&text).map_err(|e| io("corrupt", &mp, e.into()))?;
    if want.format != FORMAT {
        return Err(format!(
            "backup format {} is not supported (expected {FORMAT})",
            want.format
        ));
    }
    if crate::bootstrap::store_exists(data) || !unused(data)? {
        return Err(format!(
            "{} is not empty; restore makes a new store, it never overwrites one",
            data.display()
        ));
    }
    let elsewhere = objects != data.join("objects");
    if elsewhere && !unused(objects)? {
        return Err(format!(
            "{} (objects_dir) is not empty; restore never mixes its files with others",
            objects.display()
        ));
    }
    let work = sibling(data, "restoring")?;
    if work.exists() {
        return Err(format!("{} exists (an earlier restore?)", work.display()));
    }
    let res = restore_into(from, &work, &want).and_then(|s| {
        if elsewhere {
            // The data files go first: a store whose files are missing is never left.
            install_dir(&work.join("objects"), objects)?;
        }
        install_dir(&work, data)?;
        Ok(s)
    });
    if res.is_err() {
        let _ = std::fs::remove_dir_all(&work);
    }
    res
}

/// Rename the finished directory `work` to `to` (an empty or absent directory), copying
/// when they are on different file systems; sync `to`'s parent.
fn install_dir(work: &Path, to: &Path) -> Result<(), String> {
    if to.exists() {
        std::fs::remove_dir(to).map_err(|e| io("cannot replace", to, e))?;
    }
    if std::fs::rename(work, to).is_err() {
        copy_tree(work, to, &mut |_| {})?;
        sync_dir(to)?;
        std::fs::remove_dir_all(work).map_err(|e| io("cannot remove", work, e))?;
    }
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(parent)?;
    }
    Ok(())
}

fn restore_into(from: &Path, work: &Path, want: &Summary) -> Result<Summary, String> {
    if let Some(parent) = work.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| io("cannot create", parent, e))?;
    }
    let bar = super::progress("restore: files copied");
    let mut sum = Summary {
        format: FORMAT,
        rounds: want.rounds,
        ..Default::default()
    };
    copy_tree(&from.join("db"), &work.join("db"), &mut |_| {})?;
    copy_tree(&from.join("objects"), &work.join("objects"), &mut |n| {
        sum.files += 1;
        sum.bytes += n;
        bar.inc(1);
    })?;
    let cred = from.join(CREDENTIALS);
    if cred.exists() {
        copy_synced(&cred, &work.join(CREDENTIALS)).map_err(|e| io("cannot copy", &cred, e))?;
    }
    // Read the copy back: every entry there, every file it names there with its size.
    let copy = Follower::open_copy(&work.join("db"))?;
    copy.for_each(b"", |k, v| {
        sum.entries += 1;
        for (id, size) in crate::domain::data_named_by(k, v)
            .map_err(|e| format!("entry {}: {e}", String::from_utf8_lossy(k)))?
        {
            let p = data_path(work, &id);
            match std::fs::metadata(&p) {
                Ok(m) if valid_id(&id) && m.len() == size => {}
                _ => {
                    return Err(format!(
                        "the backup lacks data file {id} (or it is damaged)"
                    ))
                }
            }
        }
        Ok(())
    })?;
    drop(copy);
    bar.finish_and_clear();
    if (sum.entries, sum.files, sum.bytes) != (want.entries, want.files, want.bytes) {
        return Err(format!(
            "the backup holds {} entries and {} files ({} bytes); its manifest says {}, {} ({})",
            sum.entries, sum.files, sum.bytes, want.entries, want.files, want.bytes
        ));
    }
    sync_dir(work)?;
    Ok(sum)
}

/// Copy directory `src` to the new directory `dst`, recursively, files synced; `each` gets
/// every file's size.
fn copy_tree(src: &Path, dst: &Path, each: &mut dyn FnMut(u64)) -> Result<(), String> {
    create_private_dir(dst).map_err(|e| io("cannot create", dst, e))?;
    for e in std::fs::read_dir(src).map_err(|e| io("cannot read", src, e))? {
        let e = e.map_err(|e| io("cannot read", src, e))?;
        let (from, to) = (e.path(), dst.join(e.file_name()));
        let ft = e.file_type().map_err(|er| io("cannot read", &from, er))?;
        if ft.is_dir() {
            copy_tree(&from, &to, each)?;
        } else if ft.is_file() {
            each(copy_synced(&from, &to).map_err(|er| io("cannot copy", &from, er))?);
        } else {
            return Err(format!("{} is not a plain file", from.display()));
        }
    }
    sync_dir(dst)
}
