//! One lifecycle pass: for every bucket with rules, each enabled rule's expired objects are
//! removed and its unfinished uploads past their days aborted, page by page (memory stays
//! bounded however many objects a bucket holds). An object rewritten after it was listed
//! is left alone: it is removed only while it is still the version that expired.

use crate::domain::buckets::{Bucket, Buckets};
use crate::domain::objects::{ObjectMeta, Objects};
use crate::domain::uploads::Uploads;
use crate::error::{Error, Result};
use crate::store::Store;

use super::status::{self, State};
use super::{Expiration, LcClock, LcRule};

/// Objects or uploads read per page.
const PAGE: usize = 1000;

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// Buckets with rules that were processed.
    pub buckets: u64,
    pub expired: u64,
    pub aborted: u64,
}

/// What a pass works with.
pub struct Scope<'a> {
    /// Leave alone a bucket whose pass started less than this many seconds ago (the
    /// scheduled passes of gateways that share a store); `None` runs every bucket.
    pub fresh: Option<i64>,
    pub store: &'a Store,
    pub buckets: &'a Buckets,
    pub objects: &'a Objects,
    pub uploads: &'a Uploads,
}

/// Run the rules of every bucket (or only of bucket key `only`).
pub async fn run(s: &Scope<'_>, clock: LcClock, only: Option<&str>) -> Result<Report> {
    let mut report = Report::default();
    if let Some(bk) = only {
        let b = s.buckets.get(bk).await?.ok_or(Error::NoSuchBucket)?;
        recorded(s, &b, clock, &mut report).await?;
        return Ok(report);
    }
    let mut start: Option<String> = None;
    loop {
        let (page, next) = s.buckets.walk_page(start.as_deref(), 100).await?;
        for b in page.iter().filter(|b| b.lifecycle.is_some()) {
            recorded(s, b, clock, &mut report).await?;
        }
        match next {
            Some(n) => start = Some(n),
            None => return Ok(report),
        }
    }
}

/// One bucket's pass, if it is this one's to run, its start and its end recorded for
/// `lc list`.
async fn recorded(s: &Scope<'_>, b: &Bucket, clock: LcClock, report: &mut Report) -> Result<()> {
    let started = clock.now;
    if !status::claim(s.store, b, started, s.fresh).await? {
        return Ok(());
    }
    let res = bucket(b, s.objects, s.uploads, clock, report).await;
    let end = if res.is_ok() {
        State::Complete
    } else {
        State::Failed
    };
    // A pass that failed says so if the store still takes the record.
    let recorded = status::set(s.store, b, started, end).await;
    res.and(recorded)
}

/// A rule's `NoncurrentVersionExpiration` (a version goes `NoncurrentDays` after a newer
/// one replaced it) and `ExpiredObjectDeleteMarker` (a delete marker that is all that is left
/// of an object goes).
async fn noncurrent(
    b: &Bucket,
    objects: &Objects,
    rule: &LcRule,
    prefix: &str,
    clock: LcClock,
    report: &mut Report,
) -> Result<()> {
    let markers = matches!(
        rule.expiration,
        Some(Expiration::ExpiredObjectDeleteMarker(true))
    );
    if rule.noncurrent_days.is_none() && !markers {
        return Ok(());
    }
    let bk = b.data_key();
    let mut cursor = None;
    // The key last seen and the time of its version last seen: the next (older) version
    // of the same key became noncurrent then.
    let mut newer: Option<(String, i64)> = None;
    loop {
        let (rows, next) = objects.noncurrent_page(&bk, prefix, cursor, PAGE).await?;
        for (key, o) in rows {
            let since = match &newer {
                Some((k, t)) if *k == key => Some(*t),
                _ => objects.get(&bk, &key).await?.map(|h| h.mtime_us),
            };
            newer = Some((key.clone(), o.mtime_us));
            if !rule.covers(&key, &o.tags) {
                continue;
            }
            let expired = match (since, rule.noncurrent_days) {
                (Some(since), Some(days)) => clock.past(since.div_euclid(1_000_000), days),
                // The latest is a delete marker: it goes once nothing else is left.
                (None, _) => markers && o.delete_marker && objects.only_marker(&bk, &key).await?,
                _ => false,
            };
            // A lifecycle never lifts a retention or a legal hold.
            let locked =
                crate::domain::object_lock::forbids_delete(&o, crate::clock::now_us(), false);
            if expired && !locked {
                let done = objects.delete_if(b, &key, (Some(o.vid()), false), &b.owner, |_| true);
                if done.await?.is_some() {
                    report.expired += 1;
                }
            }
        }
        match next {
            Some(n) => cursor = Some(n),
            None => return Ok(()),
        }
    }
}

async fn bucket(
    b: &Bucket,
    objects: &Objects,
    uploads: &Uploads,
    clock: LcClock,
    report: &mut Report,
) -> Result<()> {
    let Some(rules) = &b.lifecycle else {
        return Ok(());
    };
    report.buckets += 1;
    let bk = b.data_key();
    for rule in rules.iter().filter(|r| r.enabled) {
        let prefix = rule.effective_prefix();
        // Only rules that can expire a current object now are worth a walk of its prefix.
        let due = match &rule.expiration {
            Some(Expiration::Days(_)) => true,
            Some(Expiration::Date(_, at)) => clock.now >= *at,
            _ => false,
        };
        let (mut after, mut more) = (String::new(), due);
        while more {
            let page = objects.list_page(&bk, prefix, "", &after, PAGE).await?;
            for (key, meta) in &page.objects {
                let mtime = meta.mtime_us;
                if !rule.covers(key, &meta.tags)
                    || !clock.expires(rule, mtime.div_euclid(1_000_000))
                {
                    continue;
                }
                // The version found, not one written since; in a versioned bucket it
                // expires behind a delete marker and its data stays.
                let still = |cur: Option<&ObjectMeta>| cur.is_some_and(|c| c.mtime_us == mtime);
                if objects
                    .delete_if(b, key, (None, false), &b.owner, still)
                    .await?
                    .is_some()
                {
                    report.expired += 1;
                }
            }
            more = page.truncated;
            after = page.next_marker;
        }
        if b.versioning.is_some() {
            noncurrent(b, objects, rule, prefix, clock, report).await?;
        }
        let Some(days) = rule.abort_days else {
            continue;
        };
        let (mut key_marker, mut id_marker) = (String::new(), String::new());
        loop {
            let mut page = uploads
                .list(&bk, prefix, &key_marker, &id_marker, PAGE)
                .await?;
            let more = page.len() > PAGE;
            page.truncate(PAGE);
            for up in &page {
                if !clock.past(up.value.initiated_us.div_euclid(1_000_000), days) {
                    continue;
                }
                match uploads.abort(&objects.blobs, &bk, up).await {
                    Ok(()) => report.aborted += 1,
                    Err(Error::NoSuchUpload) => {}
                    Err(e) => return Err(e),
                }
            }
            match (more, page.last()) {
                (true, Some(last)) => {
                    key_marker = last.value.key.clone();
                    id_marker = last.value.id.clone();
                }
                _ => break,
            }
        }
    }
    Ok(())
}
