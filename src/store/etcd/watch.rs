//! The change feed other gateways' writes reach this one's caches through: one etcd watch
//! on the whole prefix (with `prev_kv`), each event reported as the key it changed and its
//! revision.
//!
//! A cache may only serve what it holds while the feed is known to be complete. So the feed
//! reports `Live` once a watch is established (caches drop everything and start serving
//! again) and `Lost` as soon as it may have missed something: the stream ended or failed, or
//! nothing (not even the progress report asked for every second) arrived for
//! `Timeouts::watch`; caches then stop serving until the next `Live`. A gateway therefore
//! never serves a cached record older than about `Timeouts::watch` plus one event's delivery.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{EventType, WatchOptions};
use tokio::sync::mpsc;

use super::Inner;
use crate::store::{past_prefix, schema, Change};

pub fn start(inner: Arc<Inner>) -> mpsc::UnboundedReceiver<Change> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while !inner.closed.load(Ordering::Acquire) && !tx.is_closed() {
            let (i, client) = inner.pool.pick().await;
            let res = match client {
                Ok(c) => follow(&inner, c, &tx).await,
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Change::Lost);
            if let Err(e) = res {
                tracing::warn!(endpoint = inner.pool.endpoint(i), error = %e, "etcd watch lost; caches bypassed until it is re-established");
            }
            inner.pool.skip(i);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    rx
}

/// Follow one watch until it breaks.
async fn follow(
    inner: &Inner,
    mut client: etcd_client::Client,
    tx: &mpsc::UnboundedSender<Change>,
) -> Result<(), String> {
    let limit = inner.pool.timeouts.watch;
    let end = past_prefix(&inner.prefix).unwrap_or_else(|| vec![0]);
    let opts = WatchOptions::new()
        .with_range(end)
        .with_prev_key()
        .with_progress_notify();
    let stream = tokio::time::timeout(
        inner.pool.timeouts.request,
        client.watch(inner.prefix.clone(), Some(opts)),
    )
    .await
    .map_err(|_| "no answer to the watch request".to_string())?
    .map_err(|e| e.to_string())?;
    let (mut requests, mut responses) = stream.split();
    let mut tick = tokio::time::interval(limit / 3);
    let mut last = tokio::time::Instant::now();
    let mut live = false;
    loop {
        if inner.closed.load(Ordering::Acquire) || tx.is_closed() {
            return Ok(());
        }
        tokio::select! {
            msg = responses.message() => {
                let Some(resp) = msg.map_err(|e| e.to_string())? else {
                    return Err("watch stream ended".into());
                };
                last = tokio::time::Instant::now();
                if resp.canceled() {
                    return Err(format!("watch canceled: {}", resp.cancel_reason()));
                }
                if !live && resp.created() {
                    live = true;
                    let _ = tx.send(Change::Live);
                }
                for ev in resp.events() {
                    let Some(kv) = ev.kv() else { continue };
                    let key = &kv.key()[inner.prefix.len().min(kv.key().len())..];
                    // Write ids and counter deltas are nobody's cached record.
                    if key.starts_with(schema::WRITE_ID.as_bytes()) || schema::delta_of(key).is_some() {
                        continue;
                    }
                    // A delete's kv carries the deleting revision as its mod revision.
                    let rev = kv.mod_revision();
                    if ev.event_type() == EventType::Delete && ev.prev_kv().is_none() {
                        tracing::debug!("etcd watch: delete without its previous value (compacted)");
                    }
                    let _ = tx.send(Change::Key { key: key.to_vec(), rev: rev.max(0) as u64 });
                }
            }
            _ = tick.tick() => {
                if last.elapsed() >= limit {
                    return Err(format!("watch silent for {limit:?}"));
                }
                // Any answer proves the stream alive; an idle one is asked for progress.
                requests.request_progress().await.map_err(|e| e.to_string())?;
            }
        }
    }
}
