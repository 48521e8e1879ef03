//! `/admin/ratelimit`: per-user, per-bucket and global rate limits
//! (`RGWOp_Ratelimit_Info`/`_Set`). Enforcement is in `crate::domain::ratelimit`.

use crate::domain::buckets::bkey;
use crate::domain::App;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::model::{RateLimit, UserId};
use crate::ops::Reply;
use crate::query::Query;

/// A boolean parameter that must be `true` or `false` (any case) when present.
fn strict_bool(v: Option<&str>) -> Result<Option<bool>> {
    match v {
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

fn section(name: &'static str, rl: &RateLimit) -> Doc {
    Doc::new(name, ObjBuilder::new().node(name, rl.dump()).build())
}

/// Which limit a request names.
#[derive(Debug, Clone, Default)]
pub struct Target {
    /// `global` as sent (must be a boolean when present).
    pub global: Option<String>,
    pub scope: Option<String>,
    pub bucket: Option<String>,
    pub uid: Option<String>,
}

impl Target {
    fn parse(q: &Query) -> Target {
        Target {
            global: q.get("global").map(str::to_string),
            scope: q.get("ratelimit-scope").map(str::to_string),
            bucket: bucket_key(q),
            uid: uid(q),
        }
    }

    fn global(&self) -> Result<bool> {
        Ok(strict_bool(self.global.as_deref())?.unwrap_or(false))
    }

    fn scope(&self) -> &str {
        self.scope.as_deref().unwrap_or("")
    }
}

#[derive(Debug, Clone, Default)]
pub struct GetReq {
    pub target: Target,
}

impl GetReq {
    pub fn parse(q: &Query) -> GetReq {
        GetReq {
            target: Target::parse(q),
        }
    }
}

pub async fn get(app: &App, r: GetReq) -> Result<Reply> {
    let t = &r.target;
    if t.global()? {
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
    match (t.scope(), &t.bucket, &t.uid) {
        ("bucket", Some(bk), _) => {
            let b = app.buckets.get(bk).await?.ok_or(Error::NoSuchKey)?;
            Ok(Reply::Doc(section("bucket_ratelimit", &b.ratelimit)))
        }
        ("user", _, Some(uid)) => {
            let u = app.users.get(uid).await?.ok_or(Error::NoSuchKey)?;
            Ok(Reply::Doc(section("user_ratelimit", &u.ratelimit)))
        }
        _ => Err(Error::InvalidArgument),
    }
}

/// The settings a set request gives, as sent.
#[derive(Debug, Clone, Default)]
pub struct ChangeParams {
    pub max_read_ops: Option<String>,
    pub max_write_ops: Option<String>,
    pub max_read_bytes: Option<String>,
    pub max_write_bytes: Option<String>,
    pub enabled: Option<String>,
}

/// The settings, checked; `None` = leave as stored.
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
    fn parse(p: &ChangeParams) -> Result<Changes> {
        let num = |v: &Option<String>| -> Result<Option<i64>> {
            match v {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| Error::InvalidArgument),
            }
        };
        let c = Changes {
            max_read_ops: num(&p.max_read_ops)?,
            max_write_ops: num(&p.max_write_ops)?,
            max_read_bytes: num(&p.max_read_bytes)?,
            max_write_bytes: num(&p.max_write_bytes)?,
            enabled: strict_bool(p.enabled.as_deref())?,
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

#[derive(Debug, Clone, Default)]
pub struct SetReq {
    pub target: Target,
    pub changes: ChangeParams,
}

impl SetReq {
    pub fn parse(q: &Query) -> SetReq {
        let s = |n: &str| q.get(n).map(str::to_string);
        SetReq {
            target: Target::parse(q),
            changes: ChangeParams {
                max_read_ops: s("max-read-ops"),
                max_write_ops: s("max-write-ops"),
                max_read_bytes: s("max-read-bytes"),
                max_write_bytes: s("max-write-bytes"),
                enabled: s("enabled"),
            },
        }
    }
}

pub async fn set(app: &App, r: SetReq) -> Result<Reply> {
    let t = &r.target;
    let scope = t.scope();
    if t.global()? {
        if !matches!(scope, "bucket" | "user" | "anon") {
            return Err(Error::InvalidArgument);
        }
        let c = Changes::parse(&r.changes)?;
        app.ratelimit
            .set_global(&app.store, |g| {
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
    match (scope, &t.bucket, &t.uid) {
        ("bucket", Some(bk), _) => {
            let c = Changes::parse(&r.changes)?;
            app.buckets
                .modify(bk, |b, _| {
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
            let c = Changes::parse(&r.changes)?;
            app.users
                .modify(uid, |u| {
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
