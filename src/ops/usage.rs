//! `/admin/usage`: read and trim the usage log (`RGWOp_Usage_Get`/`_Delete`, `RGWUsage`).

use std::collections::{BTreeMap, HashSet};

use crate::config::Compat;
use crate::domain::buckets::bkey;
use crate::domain::usage::{aggregate, parse_date, split_categories, Counters, EntryKey};
use crate::domain::App;
use crate::encode::{Doc, Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::model::UserId;
use crate::ops::Reply;
use crate::query::Query;

/// The selectors both ops share, as sent.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub uid: Option<String>,
    pub bucket: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
}

impl Selectors {
    pub fn parse(q: &Query) -> Selectors {
        let s = |n: &str| q.get_nonempty(n).map(str::to_string);
        Selectors {
            uid: s("uid"),
            bucket: s("bucket"),
            start: q.get("start").map(str::to_string),
            end: q.get("end").map(str::to_string),
        }
    }
}

/// The selectors, resolved.
struct Range {
    uid: Option<String>,
    bucket: Option<String>,
    start: u64,
    end: u64,
}

impl Range {
    async fn resolve(app: &App, s: &Selectors) -> Result<Range> {
        let uid = s.uid.as_deref().map(|u| UserId::parse(u).to_string());
        if let Some(b) = &s.bucket {
            // The bucket is loaded first; a missing one ends the request.
            let tenant = uid
                .as_deref()
                .map(|u| UserId::parse(u).tenant)
                .unwrap_or_default();
            if app.buckets.get(&bkey(&tenant, b)).await?.is_none() {
                return Err(Error::NoSuchBucket);
            }
        }
        // `RESTArgs::get_epoch`: an unparsable date keeps the default.
        let start = s.start.as_deref().and_then(parse_date).unwrap_or(0);
        let end = s.end.as_deref().and_then(parse_date).unwrap_or(u64::MAX);
        Ok(Range {
            uid,
            bucket: s.bucket.clone(),
            start,
            end,
        })
    }

    fn selects(&self, k: &EntryKey) -> bool {
        k.hour >= self.start
            && k.hour < self.end
            && self.uid.as_ref().is_none_or(|u| *u == k.owner)
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

#[derive(Debug, Clone, Default)]
pub struct GetReq {
    pub sel: Selectors,
    pub show_entries: bool,
    pub show_summary: bool,
    pub categories: Option<String>,
}

impl GetReq {
    pub fn parse(q: &Query) -> GetReq {
        GetReq {
            sel: Selectors::parse(q),
            show_entries: q.get_bool("show-entries", true),
            show_summary: q.get_bool("show-summary", true),
            categories: q.get("categories").map(str::to_string),
        }
    }
}

pub async fn get(app: &App, req: GetReq) -> Result<Reply> {
    let r = Range::resolve(app, &req.sel).await?;
    let show_entries = req.show_entries;
    let show_summary = req.show_summary;
    let filter: HashSet<String> = req
        .categories
        .as_deref()
        .map(split_categories)
        .unwrap_or_default()
        .into_iter()
        .collect();
    let records = app.usage.read(r.uid.as_deref(), &|k| r.selects(k)).await?;
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
                // A payer's line names the bucket's owner, then the payer.
                let mut line = ObjBuilder::new()
                    .str("bucket", l.bucket.as_str())
                    .str("time", crate::clock::utime(l.epoch as i64 * 1_000_000))
                    .uint("epoch", l.epoch)
                    .str("owner", l.bucket_owner.as_deref().unwrap_or(&l.user));
                if l.bucket_owner.is_some() {
                    line = line.str("payer", l.user.as_str());
                }
                buckets.push(
                    line.node("categories", categories(&l.categories, &filter))
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

#[derive(Debug, Clone, Default)]
pub struct TrimReq {
    pub sel: Selectors,
    pub remove_all: bool,
}

impl TrimReq {
    pub fn parse(q: &Query) -> TrimReq {
        TrimReq {
            sel: Selectors::parse(q),
            remove_all: q.get_bool("remove-all", false),
        }
    }
}

pub async fn trim(app: &App, req: TrimReq) -> Result<Reply> {
    let r = Range::resolve(app, &req.sel).await?;
    let everything = r.uid.is_none() && r.bucket.is_none() && r.start == 0 && r.end == u64::MAX;
    // radosgw 16 tests the bucket name the wrong way round and so never asks for
    // `remove-all`; later releases (and the documentation) require it to trim everything.
    if everything && app.cfg.compat != Compat::Pacific && !req.remove_all {
        return Err(Error::InvalidArgument);
    }
    app.usage.trim(r.uid.as_deref(), &|k| r.selects(k)).await?;
    Ok(Reply::Empty)
}
