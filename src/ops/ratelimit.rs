//! `/admin/ratelimit`: per-user, per-bucket and global rate limits
//! (`RGWOp_Ratelimit_Info`/`_Set`). Enforcement is in `crate::ratelimit`.

use crate::app::App;
use crate::buckets::bkey;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::model::UserId;
use crate::ops::{pacific_body_quirk, Reply};
use crate::query::Query;
use crate::ratelimit::RateLimit;

/// A boolean parameter that must be `true` or `false` (any case) when present.
fn strict_bool(q: &Query, name: &str) -> Result<Option<bool>> {
    match q.get(name) {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(Error::InvalidArgument),
    }
}

/// The bucket key `bucket=` names (`tenant/name`, or with `tenant=` or the tenant of `uid=`).
fn bucket_key(q: &Query) -> Option<String> {
    let name = q.get_nonempty("bucket")?;
    if let Some((t, b)) = name.split_once('/') {
        return Some(bkey(t, b));
    }
    let tenant = q
        .get_nonempty("tenant")
        .map(str::to_string)
        .or_else(|| q.get_nonempty("uid").map(|u| UserId::parse(u).tenant))
        .unwrap_or_default();
    Some(bkey(&tenant, name))
}

/// The uid `uid=` names (with `tenant=` when the uid has none).
fn uid(q: &Query) -> Option<String> {
    let u = q.get_nonempty("uid")?;
    match q.get_nonempty("tenant") {
        Some(t) if !u.contains('$') => Some(format!("{t}${u}")),
        _ => Some(u.to_string()),
    }
}

fn section(name: &str, rl: &RateLimit) -> Doc {
    Doc::new(name, ObjBuilder::new().node(name, rl.dump()).build())
}

pub fn get(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let global = strict_bool(q, "global")?.unwrap_or(false);
    let scope = q.get("ratelimit-scope").unwrap_or("");
    if global {
        let g = app.ratelimit.global();
        return Ok(Reply::Doc(Doc::new(
            "period_config",
            ObjBuilder::new()
                .node("bucket_ratelimit", g.bucket.dump())
                .node("user_ratelimit", g.user.dump())
                .node("anonymous_ratelimit", g.anon.dump())
                .build(),
        )));
    }
    match (scope, bucket_key(q), uid(q)) {
        ("bucket", Some(bk), _) => {
            let b = app.buckets.get(&bk).ok_or(Error::NoSuchKey)?;
            Ok(Reply::Doc(section("bucket_ratelimit", &b.ratelimit)))
        }
        ("user", _, Some(uid)) => {
            let u = app.users.get(&uid).ok_or(Error::NoSuchKey)?;
            Ok(Reply::Doc(section("user_ratelimit", &u.ratelimit)))
        }
        _ => Err(Error::InvalidArgument),
    }
}

/// The settings a set request gives; `None` = leave as stored.
#[derive(Debug, Default, Clone, Copy)]
struct Changes {
    max_read_ops: Option<i64>,
    max_write_ops: Option<i64>,
    max_read_bytes: Option<i64>,
    max_write_bytes: Option<i64>,
    enabled: Option<bool>,
}

impl Changes {
    /// Unparsable numbers or booleans → 400; nothing given at all → 400.
    fn parse(q: &Query) -> Result<Changes> {
        let num = |name: &str| -> Result<Option<i64>> {
            match q.get(name) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| Error::InvalidArgument),
            }
        };
        let c = Changes {
            max_read_ops: num("max-read-ops")?,
            max_write_ops: num("max-write-ops")?,
            max_read_bytes: num("max-read-bytes")?,
            max_write_bytes: num("max-write-bytes")?,
            enabled: strict_bool(q, "enabled")?,
        };
        if c.max_read_ops.is_none()
            && c.max_write_ops.is_none()
            && c.max_read_bytes.is_none()
            && c.max_write_bytes.is_none()
            && c.enabled.is_none()
        {
            return Err(Error::InvalidArgument);
        }
        Ok(c)
    }

    /// Merge into the stored limit; negative numbers are ignored.
    fn apply(&self, cur: RateLimit) -> RateLimit {
        let pick = |v: Option<i64>, cur: i64| v.filter(|n| *n >= 0).unwrap_or(cur);
        RateLimit {
            max_read_ops: pick(self.max_read_ops, cur.max_read_ops),
            max_write_ops: pick(self.max_write_ops, cur.max_write_ops),
            max_read_bytes: pick(self.max_read_bytes, cur.max_read_bytes),
            max_write_bytes: pick(self.max_write_bytes, cur.max_write_bytes),
            enabled: self.enabled.unwrap_or(cur.enabled),
        }
    }
}

pub async fn set(app: &App, ctx: &Ctx) -> Result<Reply> {
    pacific_body_quirk(app, ctx)?;
    let q = &ctx.query;
    let global = strict_bool(q, "global")?.unwrap_or(false);
    let scope = q.get("ratelimit-scope").unwrap_or("");
    if global {
        if !matches!(scope, "bucket" | "user" | "anon") {
            return Err(Error::InvalidArgument);
        }
        let c = Changes::parse(q)?;
        app.ratelimit
            .set_global(app.users.store(), |g| {
                let slot = match scope {
                    "bucket" => &mut g.bucket,
                    "user" => &mut g.user,
                    _ => &mut g.anon,
                };
                *slot = c.apply(*slot);
            })
            .await?;
        return Ok(Reply::Empty);
    }
    match (scope, bucket_key(q), uid(q)) {
        ("bucket", Some(bk), _) => {
            let c = Changes::parse(q)?;
            app.buckets
                .modify(&bk, |b, _| {
                    b.ratelimit = c.apply(b.ratelimit);
                    Ok(())
                })
                .await
                .map_err(|e| match e {
                    Error::NoSuchBucket => Error::NoSuchKey,
                    e => e,
                })?;
        }
        ("user", _, Some(uid)) => {
            let c = Changes::parse(q)?;
            app.users
                .modify(&uid, |u| {
                    u.ratelimit = c.apply(u.ratelimit);
                    Ok(())
                })
                .await
                .map_err(|e| match e {
                    Error::NoSuchUser => Error::NoSuchKey,
                    e => e,
                })?;
        }
        _ => return Err(Error::InvalidArgument),
    }
    Ok(Reply::Empty)
}
