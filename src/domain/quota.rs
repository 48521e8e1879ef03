//! Quota enforcement: a write that would take a bucket or its owner past an enabled quota
//! is refused with `QuotaExceeded` and stores nothing. Counts come from the exact bucket
//! counters; a check and the write it guards are not one transaction, so concurrent
//! uploads can overshoot a limit by what is in flight at once, as in radosgw (whose quota
//! cache is looser still).
//!
//! The arithmetic is radosgw's (`RGWQuotaInfoDefApplier`, `RGWQuotaInfoRawApplier`): every
//! write (PutObject, CopyObject, UploadPart) counts as one more object of its full size,
//! an overwrite too, and the used amounts are those of every index category of the bucket
//! (objects, parts of uploads in progress and the uploads themselves).

use crate::domain::accounts::Accounts;
use crate::domain::buckets::{size_actual, Bucket, Buckets};
use crate::domain::users::Users;
use crate::error::{Error, Result};
use crate::model::Quota;

/// What a quota is measured against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Used {
    size: u64,
    size_actual: u64,
    objects: u64,
}

/// Would one more object of `size` bytes break `q`? Sizes count rounded up to 4 KiB
/// against the rounded total, or with `check_on_raw` as they are; the limits are inclusive.
fn exceeds(q: &Quota, used: &Used, size: u64) -> bool {
    if !q.enabled {
        return false;
    }
    let (cur, add) = if q.check_on_raw {
        (used.size, size)
    } else {
        (used.size_actual, size_actual(size))
    };
    (q.max_size >= 0 && cur.saturating_add(add) > q.max_size as u64)
        || (q.max_objects >= 0 && used.objects + 1 > q.max_objects as u64)
}

/// The quotas of a bucket's owner: a user's, or (radosgw 19) an account's, which stand
/// where a user's would for the buckets the account owns.
struct OwnerQuotas {
    total: Quota,
    per_bucket: Quota,
}

async fn owner_quotas(
    users: &Users,
    accounts: &Accounts,
    owner: &str,
) -> Result<Option<OwnerQuotas>> {
    if let Some(u) = users.get(owner).await? {
        return Ok(Some(OwnerQuotas {
            total: u.user_quota,
            per_bucket: u.bucket_quota,
        }));
    }
    if !crate::account::valid_id(owner) {
        return Ok(None);
    }
    Ok(accounts.get(owner).await?.map(|a| OwnerQuotas {
        total: a.quota,
        per_bucket: a.bucket_quota,
    }))
}

/// Check the bucket's quota (else the owner's per-bucket default quota) and the owner's
/// user (or account) quota for a write of one object of `size` bytes into `b`.
pub async fn check(
    users: &Users,
    accounts: &Accounts,
    buckets: &Buckets,
    b: &Bucket,
    size: u64,
) -> Result<()> {
    let owner = owner_quotas(users, accounts, &b.owner).await?;
    let owner_on = owner
        .as_ref()
        .is_some_and(|o| o.total.enabled || (!b.quota.enabled && o.per_bucket.enabled));
    if !b.quota.enabled && !owner_on {
        // The common case: no quota anywhere, nothing to read.
        return Ok(());
    }
    let s = buckets.stats(&b.data_key()).await?;
    let bucket = Used {
        size: s.size,
        size_actual: s.size_actual,
        objects: s.num_objects + s.uploads,
    };
    if exceeds(&b.quota, &bucket, size) {
        return Err(Error::QuotaExceeded);
    }
    let Some(owner) = owner else {
        return Ok(());
    };
    // The owner's bucket quota applies to each of their buckets that has none of its own.
    if !b.quota.enabled && exceeds(&owner.per_bucket, &bucket, size) {
        return Err(Error::QuotaExceeded);
    }
    if owner.total.enabled {
        // Against the owner's stats, which count `rgw.main` only.
        let t = buckets.user_totals(&b.owner).await?;
        let used = Used {
            size: t.size,
            size_actual: t.size_actual,
            objects: t.num_objects,
        };
        if exceeds(&owner.total, &used, size) {
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
        // radosgw 16.2, max_size 8192: 4096 B then 1 B fit, one more byte does not.
        let mut u = Used::default();
        assert!(!exceeds(&q(8192, -1), &u, 4096));
        u = Used {
            size: 4096,
            size_actual: 4096,
            objects: 1,
        };
        assert!(!exceeds(&q(8192, -1), &u, 1));
        u = Used {
            size: 4097,
            size_actual: 8192,
            objects: 2,
        };
        assert!(exceeds(&q(8192, -1), &u, 1));
        assert!(exceeds(&q(8193, -1), &u, 1));
        assert!(!exceeds(&q(8192 + 4096, -1), &u, 1));
        // objects: one more than the limit allows is refused, whatever its size
        assert!(!exceeds(&q(-1, 3), &u, 0));
        assert!(exceeds(&q(-1, 2), &u, 0));
        // raw: bytes as they are
        let raw = Quota {
            check_on_raw: true,
            ..q(4100, -1)
        };
        assert!(!exceeds(&raw, &u, 3));
        assert!(exceeds(&raw, &u, 4));
        let mut off = q(0, 0);
        off.enabled = false;
        assert!(!exceeds(&off, &u, 1_000));
    }
}
