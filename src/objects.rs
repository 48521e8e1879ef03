//! Object bytes on disk. A body streams into `tmp/<id>`, is fsynced, then renamed into
//! `objects/<xx>/<id>`; only after that does the index entry that names it commit, so a
//! crash never exposes a partial object. Files whose index entry never committed are swept
//! at startup (`sweep`), so nothing orphaned is counted or kept.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

pub struct DataStore {
    root: PathBuf,
}

impl DataStore {
    pub fn open(data_dir: &Path) -> io::Result<DataStore> {
        let root = data_dir.to_path_buf();
        std::fs::create_dir_all(root.join("objects"))?;
        // Partial uploads of a previous run are garbage.
        let tmp = root.join("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp)?;
        Ok(DataStore { root })
    }

    pub fn new_id() -> String {
        hex::encode(rand::random::<[u8; 16]>())
    }

    pub fn tmp_path(&self, id: &str) -> PathBuf {
        self.root.join("tmp").join(id)
    }

    pub fn path(&self, id: &str) -> PathBuf {
        self.root
            .join("objects")
            .join(&id[..2.min(id.len())])
            .join(id)
    }

    pub fn remove(&self, id: &str) {
        let _ = std::fs::remove_file(self.path(id));
    }

    pub fn remove_tmp(&self, id: &str) {
        let _ = std::fs::remove_file(self.tmp_path(id));
    }

    /// Delete every data file not in `live` (ids referenced by the index). Returns how many.
    pub fn sweep(&self, live: &HashSet<String>) -> usize {
        let mut n = 0;
        let Ok(dirs) = std::fs::read_dir(self.root.join("objects")) else {
            return 0;
        };
        for d in dirs.flatten() {
            let Ok(files) = std::fs::read_dir(d.path()) else {
                continue;
            };
            for f in files.flatten() {
                let name = f.file_name().to_string_lossy().into_owned();
                if !live.contains(&name) && std::fs::remove_file(f.path()).is_ok() {
                    n += 1;
                }
            }
        }
        n
    }
}
