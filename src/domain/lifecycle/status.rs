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

/// radosgw's `LC_STATUS` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    status: String,
}

fn digest(rules: &[LcRule]) -> String {
    let json = serde_json::to_vec(rules).unwrap_or_default();
    hex::encode(&Sha256::digest(&json)[..16])
}

/// Record that a pass started (`started`, seconds) or ended on bucket `b`.
pub async fn set(store: &Store, b: &Bucket, started: i64, state: State) -> Result<()> {
    let Some(rules) = &b.lifecycle else {
        return Ok(());
    };
    let rec = Record {
        marker: b.marker.clone(),
        rules: digest(rules),
        started,
        status: state.as_str().to_string(),
    };
    let mut t = Txn::default();
    t.put(
        schema::lc_status(&b.data_key()),
        serde_json::to_vec(&rec).unwrap_or_default(),
    );
    store.commit(t).await?;
    Ok(())
}

/// When a pass last started on `b` (seconds; 0 for never) and its state.
pub async fn get(store: &Store, b: &Bucket) -> Result<(i64, State)> {
    let never = (0, State::Uninitial);
    let Some(rules) = &b.lifecycle else {
        return Ok(never);
    };
    let Some(v) = store.get(&schema::lc_status(&b.data_key())).await? else {
        return Ok(never);
    };
    let Ok(rec) = serde_json::from_slice::<Record>(&v) else {
        return Ok(never);
    };
    if rec.marker != b.marker || rec.rules != digest(rules) {
        return Ok(never);
    }
    let state = match rec.status.as_str() {
        "PROCESSING" => State::Processing,
        "FAILED" => State::Failed,
        "COMPLETE" => State::Complete,
        _ => return Ok(never),
    };
    Ok((rec.started, state))
}
