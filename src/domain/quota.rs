//! Quota enforcement: a write that would take a bucket or its owner past an enabled quota
//! is refused with `QuotaExceeded` and stores nothing. Counts come from the exact bucket
//! counters; a check and the write it guards are not one transaction, so concurrent
//! uploads can overshoot a limit by what is in flight at once, as in radosgw (whose quota
//! cache is looser still).

use crate::domain::buckets::{size_actual, Bucket, Buckets, Stats};
use crate::domain::users::Users;
use crate::error::{Error, Result};
use crate::model::Quota;

/// Would adding `bytes` (may be negative for a smaller overwrite) and `objects` to `stats`
/// break `q`? `check_on_raw` counts allocated (4 KiB-rounded) bytes, as radosgw does.
fn exceeds(q: &Quota, stats: &Stats, bytes: i64, raw_bytes: i64, objects: i64) -> bool {
    if !q.enabled {
        return false;
    }
    let (used, add) = if q.check_on_raw {
        (stats.size_actual as i64, raw_bytes)
    } else {
        (stats.size as i64, bytes)
    };
    (q.max_size >= 0 && add > 0 && used + add > q.max_size)
        || (q.max_objects >= 0 && objects > 0 && stats.num_objects as i64 + objects > q.max_objects)
}

/// Check the bucket's quota, and the owner's user quota and per-bucket default quota, for
/// a write that changes the bucket by `new_size` bytes replacing `old_size` (None = new
/// object).
pub async fn check(
    users: &Users,
    buckets: &Buckets,
    b: &Bucket,
    new_size: u64,
    old_size: Option<u64>,
) -> Result<()> {
    let bytes = new_size as i64 - old_size.unwrap_or(0) as i64;
    let raw = size_actual(new_size) as i64 - old_size.map_or(0, size_actual) as i64;
    let objects = if old_size.is_some() { 0 } else { 1 };
    let owner = users.get(&b.owner).await?;
    let owner_on = owner
        .as_ref()
        .is_some_and(|o| o.user_quota.enabled || (!b.quota.enabled && o.bucket_quota.enabled));
    if !b.quota.enabled && !owner_on {
        // The common case: no quota anywhere, nothing to read.
        return Ok(());
    }
    let stats = buckets.stats(&b.key()).await?;
    if exceeds(&b.quota, &stats, bytes, raw, objects) {
        return Err(Error::QuotaExceeded);
    }
    let Some(owner) = owner else {
        return Ok(());
    };
    // The owner's bucket quota applies to each of their buckets that has none of its own.
    if !b.quota.enabled && exceeds(&owner.bucket_quota, &stats, bytes, raw, objects) {
        return Err(Error::QuotaExceeded);
    }
    if owner.user_quota.enabled {
        let total = buckets.user_totals(&b.owner).await?;
        if exceeds(&owner.user_quota, &total, bytes, raw, objects) {
            return Err(Error::QuotaExceeded);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(size: i64, objects: i64) -> Quota {
        Quota {
            enabled: true,
            check_on_raw: false,
            max_size: size,
            max_objects: objects,
        }
    }

    #[test]
    fn boundary_is_inclusive() {
        let s = Stats {
            size: 90,
            size_actual: 4096,
            num_objects: 9,
            written: true,
        };
        assert!(!exceeds(&q(100, -1), &s, 10, 4096, 1));
        assert!(exceeds(&q(100, -1), &s, 11, 4096, 1));
        assert!(!exceeds(&q(-1, 10), &s, 1, 4096, 1));
        assert!(exceeds(&q(-1, 9), &s, 1, 4096, 1));
        // overwrites that shrink or keep the count pass even when over
        assert!(!exceeds(&q(50, 9), &s, -5, 0, 0));
        let mut off = q(0, 0);
        off.enabled = false;
        assert!(!exceeds(&off, &s, 1_000, 4096, 1));
    }
}
