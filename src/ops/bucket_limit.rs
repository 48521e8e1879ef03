//! `bucket limit check`, radosgw-admin's look at how full each bucket's index is: per user,
//! each bucket's objects per index shard against radosgw's safe maximum
//! (`rgw_safe_max_objects_per_shard`, 102400), `OK`, `WARN <pct>%` from 90 % of it
//! (`rgw_shard_warning_threshold`) or `OVER <pct>%` past it. The CLI's alone: radosgw has
//! no Admin Ops route for it either. Operators' monitoring scripts parse it, so the shape is
//! radosgw-admin 16.2.15's, user by user in its listing order.

use crate::ceph::NUM_SHARDS;
use crate::domain::buckets::Buckets;
use crate::domain::users::Users;
use crate::encode::{Node, ObjBuilder};
use crate::error::Result;

/// radosgw's defaults for the two settings.
const SAFE_MAX_OBJECTS_PER_SHARD: u64 = 102_400;
const WARN_PCT: u64 = 90;

#[derive(Debug, Clone, Default)]
pub struct LimitCheckReq {
    /// One user (whether it exists or not, as radosgw-admin), else every user.
    pub uid: Option<String>,
    /// Only the buckets at `WARN` or `OVER`.
    pub warnings_only: bool,
}

/// `fill_status` for a bucket holding `objects` objects over its shards.
fn fill_status(objects_per_shard: u64) -> String {
    let pct = objects_per_shard * 100 / SAFE_MAX_OBJECTS_PER_SHARD;
    if pct > 100 {
        format!("OVER {pct}%")
    } else if pct >= WARN_PCT {
        format!("WARN {pct}%")
    } else {
        "OK".to_string()
    }
}

/// One user's entry.
async fn user_entry(buckets: &Buckets, uid: &str, warnings_only: bool) -> Result<Node> {
    let mut list = Vec::new();
    for b in buckets.of_user(uid).await? {
        let s = buckets.stats(&b.data_key()).await?;
        // Every index category: the objects, the parts and meta objects of uploads.
        let objects = s.num_objects + s.uploads;
        let per_shard = objects / NUM_SHARDS as u64;
        let status = fill_status(per_shard);
        if warnings_only && status == "OK" {
            continue;
        }
        list.push(
            ObjBuilder::new()
                .str("bucket", b.name.as_str())
                .str("tenant", b.tenant.as_str())
                .uint("num_objects", objects)
                .uint("num_shards", NUM_SHARDS as u64)
                .uint("objects_per_shard", per_shard)
                .str("fill_status", status)
                .build(),
        );
    }
    Ok(ObjBuilder::new()
        .str("user_id", uid)
        .node("buckets", Node::Arr("bucket".into(), list))
        .build())
}

/// Each user's entry to `each`, a page of users at a time; `each` returns false to stop.
pub async fn check(
    users: &Users,
    buckets: &Buckets,
    r: LimitCheckReq,
    mut each: impl FnMut(Node) -> bool,
) -> Result<()> {
    if let Some(uid) = &r.uid {
        each(user_entry(buckets, uid, r.warnings_only).await?);
        return Ok(());
    }
    let mut from: Option<(u32, String)> = None;
    loop {
        let (uids, next) = users
            .list_page(from.as_ref().map(|(h, u)| (*h, u.as_str())), 1000)
            .await?;
        for uid in uids {
            if !each(user_entry(buckets, &uid, r.warnings_only).await?) {
                return Ok(());
            }
        }
        match next {
            Some(n) => from = Some(n),
            None => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fill_status;

    #[test]
    fn thresholds_are_radosgw_defaults() {
        assert_eq!(fill_status(0), "OK");
        assert_eq!(fill_status(92_159), "OK"); // 89 %
        assert_eq!(fill_status(92_160), "WARN 90%");
        assert_eq!(fill_status(103_423), "WARN 100%");
        assert_eq!(fill_status(103_424), "OVER 101%");
    }
}
