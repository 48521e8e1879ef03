//! A bucket's objects as radosgw-admin's `bucket list --bucket` prints them: one bucket-index
//! entry (`rgw_bucket_dir_entry::dump`) per object, in key order. The CLI's alone: radosgw
//! has no Admin Ops route for it either.
//!
//! What radosgw keeps there and this store does not (the index pool and epoch of the entry,
//! the write tag) is written as zero or empty, in its place, so the document keeps its shape.

use std::collections::HashMap;

use crate::domain::buckets::Buckets;
use crate::domain::objects::{ObjectMeta, Objects};
use crate::domain::users::Users;
use crate::encode::{Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::ops::bucket::BucketName;

/// radosgw-admin lists this many entries unless told otherwise (`--max-entries`).
const DEFAULT_MAX: u32 = 1000;

#[derive(Debug, Clone, Default)]
pub struct ListReq {
    pub name: BucketName,
    /// The page starts after this key.
    pub marker: Option<String>,
    pub max_entries: Option<u32>,
}

/// Each entry in key order to `each`, a page at a time (constant memory however many are
/// asked for); `each` returns false to stop.
pub async fn list(
    buckets: &Buckets,
    objects: &Objects,
    users: &Users,
    r: ListReq,
    mut each: impl FnMut(Node) -> bool,
) -> Result<()> {
    let name = r.name.key().ok_or(Error::NoSuchBucket)?;
    let bk = buckets
        .get(&name)
        .await?
        .ok_or(Error::NoSuchBucket)?
        .data_key();
    let mut left = r.max_entries.unwrap_or(DEFAULT_MAX) as usize;
    let mut after = r.marker.unwrap_or_default();
    let mut names: HashMap<String, String> = HashMap::new();
    while left > 0 {
        let page = objects
            .list_page(&bk, "", "", &after, left.min(1000))
            .await?;
        for (key, o) in page.objects {
            if !names.contains_key(&o.owner) {
                let shown = users.get(&o.owner).await?;
                let shown = shown.map(|u| u.display_name.clone()).unwrap_or_default();
                names.insert(o.owner.clone(), shown);
            }
            if !each(entry(&key, &o, &names[&o.owner])) {
                return Ok(());
            }
            after = key;
            left -= 1;
        }
        if !page.truncated {
            break;
        }
    }
    Ok(())
}

fn entry(key: &str, o: &ObjectMeta, owner_name: &str) -> Node {
    let ver = ObjBuilder::new().int("pool", 0).int("epoch", 0).build();
    let meta = ObjBuilder::new()
        .int("category", 1) // RGWObjCategory::Main
        .uint("size", o.size)
        .str("mtime", crate::clock::utime(o.mtime_us))
        .str("etag", o.etag.as_str())
        .str("storage_class", "")
        .str("owner", o.owner.as_str())
        .str("owner_display_name", owner_name)
        .str("content_type", o.content_type.as_str())
        .uint("accounted_size", o.size)
        .str("user_data", "")
        .legacy_bool("appendable", false)
        .build();
    ObjBuilder::new()
        .str("name", key)
        .str("instance", "")
        .node("ver", ver)
        .str("locator", "")
        .legacy_bool("exists", true)
        .node("meta", meta)
        .str("tag", "")
        .int("flags", 0)
        .node("pending_map", Node::Arr("entry".into(), Vec::new()))
        .int("versioned_epoch", 0)
        .build()
}
