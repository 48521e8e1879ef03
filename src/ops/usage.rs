//! `/admin/usage`: read and trim the usage log (`RGWOp_Usage_Get`/`_Delete`, `RGWUsage`).

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use crate::app::App;
use crate::config::Compat;
use crate::encode::{Doc, Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::model::UserId;
use crate::ops::Reply;
use crate::usage::{aggregate, parse_date, split_categories, Counters, EntryKey};

/// The selectors both ops share.
struct Range {
    uid: Option<String>,
    bucket: Option<String>,
    start: u64,
    end: u64,
}

impl Range {
    fn parse(app: &App, ctx: &Ctx) -> Result<Range> {
        let q = &ctx.query;
        let uid = q.get_nonempty("uid").map(|u| UserId::parse(u).to_string());
        let bucket = q.get_nonempty("bucket").map(str::to_string);
        if let Some(b) = &bucket {
            // The bucket is loaded first; a missing one ends the request.
            let tenant = uid
                .as_deref()
                .map(|u| UserId::parse(u).tenant)
                .unwrap_or_default();
            if app.buckets.get(&crate::buckets::bkey(&tenant, b)).is_none() {
                return Err(Error::NoSuchBucket);
            }
        }
        // `RESTArgs::get_epoch`: an unparsable date keeps the default.
        let start = q.get("start").and_then(parse_date).unwrap_or(0);
        let end = q.get("end").and_then(parse_date).unwrap_or(u64::MAX);
        Ok(Range {
            uid,
            bucket,
            start,
            end,
        })
    }

    fn selects(&self, k: &EntryKey) -> bool {
        k.hour >= self.start
            && k.hour < self.end
            && self.bucket.as_ref().is_none_or(|b| *b == k.bucket)
    }
}

fn counters(o: ObjBuilder, c: &Counters) -> ObjBuilder {
    o.uint("bytes_sent", c.bytes_sent)
        .uint("bytes_received", c.bytes_received)
        .uint("ops", c.ops)
        .uint("successful_ops", c.successful_ops)
}

/// `dump_usage_categories_info`: the categories the filter lets through.
fn categories(m: &BTreeMap<String, Counters>, filter: &HashSet<String>) -> Node {
    Node::Arr(
        "entry".into(),
        m.iter()
            .filter(|(k, _)| filter.is_empty() || filter.contains(*k))
            .map(|(k, c)| counters(ObjBuilder::new().str("category", k.as_str()), c).build())
            .collect(),
    )
}

pub async fn get(app: &App, ctx: &Ctx) -> Result<Reply> {
    let r = Range::parse(app, ctx)?;
    let q = &ctx.query;
    let show_entries = q.get_bool("show-entries", true);
    let show_summary = q.get_bool("show-summary", true);
    let filter: HashSet<String> = q
        .get("categories")
        .map(split_categories)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let log = app.usage.clone();
    let owner = r.uid.clone();
    let records = tokio::task::spawn_blocking(move || log.read(owner.as_deref()))
        .await
        .map_err(|e| Error::Unknown(e.to_string()))??;
    let records: Vec<_> = records.into_iter().filter(|x| r.selects(&x.key)).collect();
    let lines = aggregate(&records);

    let mut doc = ObjBuilder::new();
    if show_entries {
        let mut users: Vec<Node> = Vec::new();
        let mut i = 0;
        while i < lines.len() {
            let user = lines[i].user.clone();
            let mut buckets = Vec::new();
            while i < lines.len() && lines[i].user == user {
                let l = &lines[i];
                buckets.push(
                    ObjBuilder::new()
                        .str("bucket", l.bucket.as_str())
                        .str("time", crate::clock::utime(l.epoch as i64 * 1_000_000))
                        .uint("epoch", l.epoch)
                        .str("owner", l.user.as_str())
                        .node("categories", categories(&l.categories, &filter))
                        .build(),
                );
                i += 1;
            }
            users.push(
                ObjBuilder::new()
                    .str("user", user)
                    .node("buckets", Node::Arr("bucket".into(), buckets))
                    .build(),
            );
        }
        doc.push("entries", Node::Arr("user".into(), users));
    }
    if show_summary {
        let mut sum: BTreeMap<&str, BTreeMap<String, Counters>> = BTreeMap::new();
        for l in &lines {
            let u = sum.entry(l.user.as_str()).or_default();
            for (k, c) in &l.categories {
                if filter.is_empty() || filter.contains(k) {
                    u.entry(k.clone()).or_default().add(c);
                }
            }
        }
        let users = sum
            .iter()
            .map(|(user, cats)| {
                let mut total = Counters::default();
                for c in cats.values() {
                    total.add(c);
                }
                ObjBuilder::new()
                    .str("user", *user)
                    .node("categories", categories(cats, &filter))
                    .node("total", counters(ObjBuilder::new(), &total).build())
                    .build()
            })
            .collect();
        doc.push("summary", Node::Arr("user".into(), users));
    }
    Ok(Reply::Doc(Doc::new("usage", doc.build())))
}

pub async fn trim(app: &App, ctx: &Ctx) -> Result<Reply> {
    let r = Range::parse(app, ctx)?;
    let everything = r.uid.is_none() && r.bucket.is_none() && r.start == 0 && r.end == u64::MAX;
    // radosgw 16 tests the bucket name the wrong way round and so never asks for
    // `remove-all`; later releases (and the documentation) require it to trim everything.
    if everything && app.cfg.compat != Compat::Pacific && !ctx.query.get_bool("remove-all", false) {
        return Err(Error::InvalidArgument);
    }
    let log: Arc<crate::usage::UsageLog> = app.usage.clone();
    tokio::task::spawn_blocking(move || {
        let owner = r.uid.clone();
        log.trim(owner.as_deref(), |k| r.selects(k))
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))??;
    Ok(Reply::Empty)
}
