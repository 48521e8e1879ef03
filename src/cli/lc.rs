//! `lc process` and `lc get`: a lifecycle pass run now, and a bucket's rules shown as
//! `radosgw-admin lc get` prints them (its `RGWLifecycleConfiguration` dump).

use std::borrow::Cow;

use crate::domain::lifecycle::status;
use crate::domain::lifecycle::{Expiration, LcRule};
use crate::domain::App;
use crate::encode::{Doc, Node, ObjBuilder};
use crate::error::{Error, Result};

use super::args::LcCmd;

pub(super) async fn run(app: &App, cmd: &LcCmd) -> (&'static str, Result<Option<Doc>>) {
    match cmd {
        LcCmd::Process { bucket, tenant } => ("lc_process", process(app, bucket, tenant).await),
        LcCmd::Get { bucket, tenant } => ("lc_get", get(app, bucket, tenant).await.map(Some)),
        LcCmd::List => ("lc_list", list(app).await.map(Some)),
    }
}

/// `radosgw-admin lc list`: `tenant:bucket:marker`, when a pass last started on it (the
/// epoch for never) and its state, for every bucket with rules.
async fn list(app: &App) -> Result<Doc> {
    let mut entries = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let (page, next) = app.buckets.walk_page(start.as_deref(), 100).await?;
        for b in page.iter().filter(|b| b.lifecycle.is_some()) {
            let (started, state) = status::get(&app.store, b).await?;
            let entry = ObjBuilder::new()
                .str("bucket", format!("{}:{}:{}", b.tenant, b.name, b.marker))
                .str("started", crate::clock::http_date_us(started * 1_000_000))
                .str("status", state.as_str())
                .build();
            entries.push(entry);
        }
        match next {
            Some(n) => start = Some(n),
            None => return Ok(Doc::new("lc_list", Node::Arr("entry".into(), entries))),
        }
    }
}

async fn process(
    app: &App,
    bucket: &Option<String>,
    tenant: &Option<String>,
) -> Result<Option<Doc>> {
    let only = bucket
        .as_deref()
        .map(|b| crate::domain::buckets::bkey(tenant.as_deref().unwrap_or(""), b));
    let r = app.lifecycle_pass(only.as_deref(), None).await?;
    let node = ObjBuilder::new()
        .uint("buckets", r.buckets)
        .uint("expired_objects", r.expired)
        .uint("aborted_uploads", r.aborted)
        .build();
    Ok(Some(Doc::new("lc_process", node)))
}

async fn get(app: &App, bucket: &str, tenant: &Option<String>) -> Result<Doc> {
    let bk = crate::domain::buckets::bkey(tenant.as_deref().unwrap_or(""), bucket);
    let b = app.buckets.get(&bk).await?.ok_or(Error::NoSuchBucket)?;
    let rules = b
        .lifecycle
        .as_deref()
        .ok_or(Error::NoSuchLifecycleConfiguration)?;
    Ok(Doc::new("lifecycle", dump(rules)))
}

/// radosgw keeps the rules in a map by id, and beside them, rule by rule in that order,
/// what each does under its prefix (a multimap by prefix: one prefix may appear twice).
fn dump(rules: &[LcRule]) -> Node {
    let mut by_id: Vec<&LcRule> = rules.iter().collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    let mut by_prefix: Vec<(&str, &LcRule)> =
        by_id.iter().map(|r| (r.effective_prefix(), *r)).collect();
    by_prefix.sort_by(|a, b| a.0.cmp(b.0));
    let prefix_map = by_prefix
        .into_iter()
        .map(|(p, r)| (Cow::Owned(p.to_string()), op(r)))
        .collect();
    let rule_map = by_id
        .iter()
        .map(|r| {
            ObjBuilder::new()
                .str("id", r.id.as_str())
                .node("rule", rule(r))
                .build()
        })
        .collect();
    ObjBuilder::new()
        .node("prefix_map", Node::Obj(prefix_map))
        .node("rule_map", Node::Arr("entry".into(), rule_map))
        .build()
}

/// `lc_op`: what a rule does, in numbers (0 for none).
fn op(r: &LcRule) -> Node {
    let days = match &r.expiration {
        Some(Expiration::Days(d)) => i64::from(*d),
        _ => 0,
    };
    let mut o = ObjBuilder::new()
        .bool("status", r.enabled)
        .bool("dm_expiration", delete_marker(r))
        .int("expiration", days)
        .int("noncur_expiration", r.noncurrent_days.map_or(0, i64::from))
        .int("mp_expiration", r.abort_days.map_or(0, i64::from));
    if let Some(Expiration::Date(_, at)) = &r.expiration {
        o = o.str("expiration_date", stamp(*at));
    }
    if r.filter.as_ref().is_some_and(|f| !f.tags.is_empty()) {
        o = o.node("obj_tags", tagset(r));
    }
    let transitions = sorted(r.transitions.iter().map(|t| {
        let when = match (t.days, &t.date) {
            (Some(d), _) => ObjBuilder::new().int("days", i64::from(d)),
            (None, date) => ObjBuilder::new().str("date", date_stamp(date.as_deref())),
        };
        (t.storage_class.as_str(), when.build())
    }));
    let noncurrent = sorted(r.noncurrent_transitions.iter().map(|(d, class)| {
        let days = ObjBuilder::new().int("days", i64::from(*d)).build();
        (class.as_str(), days)
    }));
    o.node("transitions", transitions)
        .node("noncur_transitions", noncurrent)
        .build()
}

/// `LCRule`: the rule as it was sent, days and dates as strings ("" for none).
fn rule(r: &LcRule) -> Node {
    let when = |days: Option<u32>, date: &str| {
        ObjBuilder::new()
            .str("days", days.map_or(String::new(), |d| d.to_string()))
            .str("date", date)
            .build()
    };
    let (exp_days, exp_date) = match &r.expiration {
        Some(Expiration::Days(d)) => (Some(*d), ""),
        Some(Expiration::Date(sent, _)) => (None, sent.as_str()),
        _ => (None, ""),
    };
    let filter = ObjBuilder::new()
        .str(
            "prefix",
            r.filter.as_ref().map_or("", |f| f.prefix.as_str()),
        )
        .node("obj_tags", tagset(r))
        .build();
    let transitions = sorted(r.transitions.iter().map(|t| {
        let node = ObjBuilder::new()
            .str("days", t.days.map_or(String::new(), |d| d.to_string()))
            .str("date", t.date.clone().unwrap_or_default())
            .str("storage_class", t.storage_class.as_str())
            .build();
        (t.storage_class.as_str(), node)
    }));
    let noncurrent = sorted(r.noncurrent_transitions.iter().map(|(d, class)| {
        let node = ObjBuilder::new()
            .str("days", d.to_string())
            .str("date", "")
            .str("storage_class", class.as_str())
            .build();
        (class.as_str(), node)
    }));
    ObjBuilder::new()
        .str("id", r.id.as_str())
        .str("prefix", r.prefix.as_str())
        .str("status", if r.enabled { "Enabled" } else { "Disabled" })
        .node("expiration", when(exp_days, exp_date))
        .node("noncur_expiration", when(r.noncurrent_days, ""))
        .node("mp_expiration", when(r.abort_days, ""))
        .node("filter", filter)
        .node("transitions", transitions)
        .node("noncur_transitions", noncurrent)
        .bool("dm_expiration", delete_marker(r))
        .build()
}

fn delete_marker(r: &LcRule) -> bool {
    matches!(
        r.expiration,
        Some(Expiration::ExpiredObjectDeleteMarker(true))
    )
}

/// `{"tagset": {key: value, ...}}`, by key.
fn tagset(r: &LcRule) -> Node {
    let mut tags: Vec<&(String, String)> = r.filter.iter().flat_map(|f| &f.tags).collect();
    tags.sort();
    let tags = tags
        .into_iter()
        .map(|(k, v)| (Cow::Owned(k.clone()), Node::Str(v.clone())))
        .collect();
    ObjBuilder::new().node("tagset", Node::Obj(tags)).build()
}

/// Entries of a map keyed by storage class, in its order.
fn sorted<'a>(entries: impl Iterator<Item = (&'a str, Node)>) -> Node {
    let mut entries: Vec<(&str, Node)> = entries.collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Node::Obj(
        entries
            .into_iter()
            .map(|(k, v)| (Cow::Owned(k.to_string()), v))
            .collect(),
    )
}

/// A date as radosgw prints a `ceph::real_time` it parsed: `2030-01-01T00:00:00.000000+0000`.
fn stamp(secs: i64) -> String {
    let utime = crate::clock::utime(secs.saturating_mul(1_000_000));
    format!("{}+0000", utime.trim_end_matches('Z'))
}

fn date_stamp(date: Option<&str>) -> String {
    date.and_then(crate::clock::parse_utime)
        .map_or(String::new(), |us| stamp(us.div_euclid(1_000_000)))
}
