//! The records and their rules: users, buckets, the object index, uploads, object bytes,
//! ACLs, usage, quotas and rate limits, with bounded caches in front of the store. Both the
//! admin ops and the S3 ops call into here; nothing here knows of HTTP.

pub mod accounts;
pub mod acl;
mod app;
pub mod blobs;
pub mod buckets;
pub mod cache;
pub mod cors;
pub mod lifecycle;
pub mod object_lock;
pub mod objects;
pub mod paging;
pub mod policy;
pub mod quota;
pub mod ratelimit;
pub mod sync;
pub mod uploads;
pub mod usage;
pub mod users;

pub use app::App;

use std::collections::HashSet;

use crate::domain::blobs::Blobs;
use crate::domain::buckets::decode;
use crate::domain::objects::ObjectMeta;
use crate::domain::uploads::Part;
use crate::error::Result;
use crate::store::{schema, Store};

/// Keep the caches and the global rate limits coherent with a store other gateways write
/// too: apply its change feed (see `cache.rs`) until the store closes. Caches stay off
/// until the feed is live.
pub fn follow_changes(
    mut feed: tokio::sync::mpsc::UnboundedReceiver<crate::store::Change>,
    store: Store,
    users: std::sync::Arc<users::Users>,
    buckets: std::sync::Arc<buckets::Buckets>,
    objects: std::sync::Arc<objects::Objects>,
    limiter: std::sync::Arc<ratelimit::Limiter>,
) {
    use crate::store::Change;
    let serving = move |on: bool| {
        users.set_serving(on);
        buckets.set_serving(on);
        objects.set_serving(on);
        (users.clone(), buckets.clone(), objects.clone())
    };
    let (u, b, o) = serving(false);
    // The global limits are read again in the feed's order (awaited here, not spawned), so
    // the last reading follows the last change.
    tokio::spawn(async move {
        while let Some(c) = feed.recv().await {
            match c {
                Change::Live => {
                    // Changes made while the feed was down were missed.
                    limiter.reload_global(&store).await;
                    serving(true);
                }
                Change::Lost => {
                    serving(false);
                }
                Change::Key { key, rev } => {
                    if key == schema::GLOBAL_RATELIMIT {
                        limiter.reload_global(&store).await;
                    }
                    u.changed(&key, rev);
                    b.changed(&key, rev);
                    o.changed(&key, rev);
                }
            }
        }
    });
}

/// The data files (id, size) a store entry names: an object version's, or an uploaded
/// part's; none for every other key. Backups copy exactly these, and `check` looks for them.
pub fn data_named_by(key: &[u8], value: &[u8]) -> Result<Vec<(String, u64)>> {
    if key.starts_with(schema::OBJECT.as_bytes())
        || key.starts_with(schema::OBJECT_VERSION.as_bytes())
    {
        Ok(decode::<ObjectMeta>(value)?.data)
    } else if key.starts_with(schema::PART.as_bytes()) {
        let p = decode::<Part>(value)?;
        Ok(vec![(p.data, p.size)])
    } else {
        Ok(Vec::new())
    }
}

/// Candidates checked per pass of the sweep: bounds its memory whatever the object count.
const SWEEP_BATCH: usize = 100_000;

/// Delete data files from before this process that no index entry (object or part) names:
/// what a crash between publishing a file and committing its entry leaves. Returns how
/// many were removed.
pub async fn sweep(store: &Store, blobs: &Blobs) -> Result<usize> {
    let mut removed = 0;
    let mut after = String::new();
    loop {
        let batch = blobs.old_files(&after, SWEEP_BATCH).await;
        let Some(last) = batch.last().cloned() else {
            return Ok(removed);
        };
        let mut orphans: HashSet<String> = batch.into_iter().collect();
        // Parts first: a file only ever passes from a part to an object (a completion),
        // never back, so one that a completion moves while the index is read is named by
        // the parts read before it or by the objects read after it. The other order could
        // miss it in both and delete a completed object's data.
        crate::store::for_each_page(store, schema::PART.as_bytes(), 1000, |rows| {
            for (_, v) in rows {
                if let Ok(p) = decode::<Part>(&v) {
                    orphans.remove(&p.data);
                }
            }
            !orphans.is_empty()
        })
        .await?;
        // A file passes between an object's current entry and its noncurrent ones both
        // ways (a new version retires it, deleting the current one promotes it): reading
        // noncurrent, current, then noncurrent again finds one that moves once meanwhile.
        let mut err = None;
        for prefix in [
            schema::OBJECT_VERSION,
            schema::OBJECT,
            schema::OBJECT_VERSION,
        ] {
            if orphans.is_empty() {
                break;
            }
            crate::store::for_each_page(store, prefix.as_bytes(), 1000, |rows| {
                for (_, v) in rows {
                    match decode::<ObjectMeta>(&v) {
                        Ok(o) => o.data.iter().for_each(|(id, _)| {
                            orphans.remove(id);
                        }),
                        Err(e) => {
                            err = Some(e);
                            return false;
                        }
                    }
                }
                !orphans.is_empty()
            })
            .await?;
            if err.is_some() {
                break;
            }
        }
        if let Some(e) = err {
            // An unreadable entry could name any file: delete nothing.
            return Err(e);
        }
        removed += orphans.len();
        blobs.remove_all(orphans.into_iter().collect()).await;
        after = last;
    }
}
