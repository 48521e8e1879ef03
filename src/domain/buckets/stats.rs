//! A bucket's counters: what radosgw's index keeps per category, and the deltas each
//! object change adds to them.

use crate::ceph::{shard_of, NUM_SHARDS};
use crate::encode::{Node, ObjBuilder};

/// Counters kept exactly with every object change, per radosgw index category: `rgw.main`
/// (objects, and the parts of uploads in progress, which radosgw indexes as objects until
/// the upload completes) and `rgw.multimeta` (one meta object per upload in progress).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub size: u64,
    pub size_actual: u64,
    pub num_objects: u64,
    /// Whether anything was ever written (radosgw shows `rgw.main` from then on, even at 0).
    pub written: bool,
    /// Uploads in progress (`rgw.multimeta` objects).
    pub uploads: u64,
    /// Whether an upload was ever started (radosgw then shows `rgw.multimeta`, even at 0).
    pub uploads_written: bool,
}

/// What radosgw's index accounts for one multipart meta object in `size_utilized`, whatever
/// the upload's key or metadata (measured on 16.2).
pub const MULTIMETA_UTILIZED: u64 = 27;

/// Counter deltas (see `schema::bucket_stats`) for `objects` objects (negative: removed)
/// changing `rgw.main` by `size` bytes, `actual` of them allocated.
pub fn main_delta(size: i64, actual: i64, objects: i64) -> Vec<i64> {
    vec![size, actual, objects, 1]
}

/// Counter deltas for `uploads` uploads started (negative: closed).
pub fn multimeta_delta(uploads: i64) -> Vec<i64> {
    vec![0, 0, 0, 0, uploads, 1]
}

impl Stats {
    pub(super) fn from_counters(c: &[i64]) -> Stats {
        let g = |i: usize| c.get(i).copied().unwrap_or(0).max(0) as u64;
        Stats {
            size: g(0),
            size_actual: g(1),
            num_objects: g(2),
            written: g(3) > 0,
            uploads: g(4),
            uploads_written: g(5) > 0,
        }
    }

    /// `usage` as radosgw dumps it: one member per category ever touched, in radosgw's
    /// category order (`{}` for a bucket never written to).
    pub fn dump_usage(&self) -> Node {
        let mut b = ObjBuilder::new();
        if self.written {
            b.push(
                "rgw.main",
                crate::model::dump_storage_stats(
                    self.size,
                    self.size_actual,
                    Some(self.size),
                    self.num_objects,
                ),
            );
        }
        if self.uploads_written {
            b.push(
                "rgw.multimeta",
                crate::model::dump_storage_stats(
                    0,
                    0,
                    Some(self.uploads * MULTIMETA_UTILIZED),
                    self.uploads,
                ),
            );
        }
        b.build()
    }

    /// Counter deltas that take `self` to `want` (index repair).
    pub fn deltas_to(&self, want: &Stats) -> Vec<i64> {
        let d = |a: u64, b: u64| a as i64 - b as i64;
        vec![
            d(want.size, self.size),
            d(want.size_actual, self.size_actual),
            d(want.num_objects, self.num_objects),
            d(want.written as u64, self.written as u64),
            d(want.uploads, self.uploads),
            d(want.uploads_written as u64, self.uploads_written as u64),
        ]
    }
}

/// Bytes an object occupies on radosgw: rounded up to 4 KiB.
pub fn size_actual(size: u64) -> u64 {
    size.div_ceil(4096).saturating_mul(4096)
}

/// Deltas for the bucket's index versions: one index operation on the object's shard.
pub fn ver_delta(key: &str) -> Vec<i64> {
    let mut v = vec![0; NUM_SHARDS];
    v[shard_of(key)] = 1;
    v
}
