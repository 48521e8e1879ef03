//! What `radosgw-admin lc list` shows of a bucket with rules: when a lifecycle pass last
//! started on it and how that pass ended (`UNINITIAL` until one has, and again once the
//! rules are set anew, as radosgw resets its entry on every PutBucketLifecycle).
//!
//! Kept apart from the bucket record, which a pass must not touch (its version and mtime
//! are the client's): one small record per bucket instance, written by the pass only and
//! matched to the rules it ran, so rules set since then read as never processed.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::LcRule;
use crate::domain::buckets::Bucket;
use crate::error::Result;
use crate::store::{schema, Store, Txn};

/// radosgw's `LC_STATUS` names (kept so in the record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum State {
    Uninitial,
    Processing,
    Failed,
    Complete,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Uninitial => "UNINITIAL",
            State::Processing => "PROCESSING",
            State::Failed => "FAILED",
            State::Complete => "COMPLETE",
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    /// The bucket instance the pass ran on (a bucket re-created under the name starts anew).
    marker: String,
    /// Digest of the rules it ran.
    rules: String,
    /// When it started, seconds since the epoch.
    started: i64,
    status: State,
}

fn digest(rules: &[LcRule]) -> String {
    let json = serde_json::to_vec(rules).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..16])
}

/// Record that a pass ended on bucket `b` (it started at `started`, seconds).
pub async fn set(store: &Store, b: &Bucket, started: i64, state: State) -> Result<()> {
    let Some(rules) = &b.lifecycle else {
        return Ok(());
    };
    let rec = record(b, digest(rules), started, state);
    let mut t = Txn::default();
    t.put(schema::lc_status(&b.data_key()), rec);
    store.commit(t).await?;
    Ok(())
}

/// Take bucket `b` for a pass starting `now` (seconds): false when a pass started on it,
/// with the same rules, less than `fresh` seconds ago, or when another gateway takes it
/// first (the record is replaced only as it was read). So gateways sharing a store (etcd)
/// do not all run each bucket's rules; without `fresh` (`lc process`) a bucket is always
/// taken.
pub async fn claim(store: &Store, b: &Bucket, now: i64, fresh: Option<i64>) -> Result<bool> {
    let Some(rules) = &b.lifecycle else {
        return Ok(false);
    };
    let rules = digest(rules);
    let key = schema::lc_status(&b.data_key());
    let mut t = Txn::default();
    if let Some(fresh) = fresh {
        let old = store.get(&key).await?;
        if last(b, &rules, old.as_deref()).is_some_and(|r| now.saturating_sub(r.started) < fresh) {
            return Ok(false);
        }
        t.expect(key.clone(), old);
    }
    t.put(key, record(b, rules, now, State::Processing));
    match store.commit(t).await {
        Ok(_) => Ok(true),
        Err(crate::store::CommitError::Conflict) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The record of a pass on `b` whose rules have digest `rules`.
fn record(b: &Bucket, rules: String, started: i64, state: State) -> Vec<u8> {
    let rec = Record {
        marker: b.marker.clone(),
        rules,
        started,
        status: state,
    };
    serde_json::to_vec(&rec).unwrap_or_default()
}

/// When a pass last started on `b` (seconds; 0 for never) and its state.
pub async fn get(store: &Store, b: &Bucket) -> Result<(i64, State)> {
    let never = (0, State::Uninitial);
    let Some(rules) = &b.lifecycle else {
        return Ok(never);
    };
    let v = store.get(&schema::lc_status(&b.data_key())).await?;
    Ok(last(b, &digest(rules), v.as_deref()).map_or(never, |r| (r.started, r.status)))
}

/// The record of the last pass on this instance of `b` with the rules of digest `rules`,
/// if that is what `raw` holds.
fn last(b: &Bucket, rules: &str, raw: Option<&[u8]>) -> Option<Record> {
    serde_json::from_slice::<Record>(raw?)
        .ok()
        .filter(|r| r.marker == b.marker && r.rules == rules)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::rocks::{RocksSettings, RocksStore};

    fn bucket(marker: &str, days: u32) -> Bucket {
        let xml = format!(
            "<Rule><ID>r</ID><Prefix>x/</Prefix><Status>Enabled</Status>\
             <Expiration><Days>{days}</Days></Expiration></Rule>"
        );
        let rules = crate::encode::s3_read::lifecycle(
            format!("<LifecycleConfiguration>{xml}</LifecycleConfiguration>").as_bytes(),
        )
        .and_then(super::super::rules_from_xml)
        .unwrap();
        Bucket {
            name: "b".into(),
            tenant: String::new(),
            id: marker.into(),
            marker: marker.into(),
            owner: "o".into(),
            creation_us: 0,
            mtime_us: 0,
            placement_rule: "default-placement".into(),
            quota: Default::default(),
            acl: crate::domain::acl::Acl::canned(crate::domain::acl::Canned::Private, "o", "o"),
            ver: 1,
            tag: String::new(),
            entry: None,
            ratelimit: Default::default(),
            tags: None,
            cors: None,
            policy: None,
            parsed_policy: Default::default(),
            lifecycle: Some(rules),
            public_access: None,
            requester_pays: false,
            versioning: None,
            object_lock: None,
            data: None,
        }
    }

    /// A scheduled pass takes a bucket only when no pass started on it (with these rules,
    /// on this instance) within `fresh`; `lc process` (no `fresh`) always does.
    #[tokio::test]
    async fn a_bucket_is_taken_once_per_period() {
        let dir = std::env::temp_dir().join(format!("rgw-admin-lcst-{}", rand::random::<u64>()));
        let store: Store = Arc::new(RocksStore::open(&dir, RocksSettings::default()).unwrap());
        let b = bucket("m1", 1);
        assert_eq!(get(&store, &b).await.unwrap(), (0, State::Uninitial));
        assert!(claim(&store, &b, 1000, Some(1800)).await.unwrap());
        assert_eq!(get(&store, &b).await.unwrap(), (1000, State::Processing));
        set(&store, &b, 1000, State::Complete).await.unwrap();
        assert!(!claim(&store, &b, 2799, Some(1800)).await.unwrap());
        assert!(claim(&store, &b, 2799, None).await.unwrap());
        assert!(claim(&store, &b, 4600, Some(1800)).await.unwrap());
        // New rules, or a new bucket under the name, are never processed yet.
        let changed = bucket("m1", 2);
        assert_eq!(get(&store, &changed).await.unwrap(), (0, State::Uninitial));
        assert!(claim(&store, &changed, 4601, Some(1800)).await.unwrap());
        let renewed = bucket("m2", 2);
        assert_eq!(get(&store, &renewed).await.unwrap(), (0, State::Uninitial));
        store.close();
        let _ = std::fs::remove_dir_all(dir);
    }
}
