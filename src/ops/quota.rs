//! `/admin/user?quota`: per-user user and bucket quotas (`RGWOp_Quota_Info`/`_Set`).

use serde_json::Value;

use crate::app::App;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::model::Quota;
use crate::ops::user::load;
use crate::ops::{pacific_body_quirk, Reply};
use crate::query::parse_bool;

/// Largest quota document radosgw reads from a body.
pub const MAX_QUOTA_BODY: usize = 1024;

pub fn get_user(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let uid = q.get_nonempty("uid").ok_or(Error::InvalidArgument)?;
    let u = load(app, uid)?;
    Ok(Reply::Doc(match q.get("quota-type") {
        None => Doc::new(
            "quota",
            ObjBuilder::new()
                .node("bucket_quota", u.bucket_quota.dump())
                .node("user_quota", u.user_quota.dump())
                .build(),
        ),
        Some("user") => Doc::new("user_quota", u.user_quota.dump()),
        Some("bucket") => Doc::new("bucket_quota", u.bucket_quota.dump()),
        Some(_) => return Err(Error::InvalidArgument),
    }))
}

/// A JSON number or a string holding one (radosgw-admin4j sends strings).
fn json_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn json_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => parse_bool(s),
        Value::Number(n) => n.as_i64().map(|i| i != 0),
        _ => None,
    }
}

/// `RGWQuotaInfo::decode_json`: fields left out keep their current values; `max_size_kb` is
/// used when `max_size` is absent.
pub fn quota_from_json(cur: Quota, v: &Value) -> Result<Quota> {
    let obj = v.as_object().ok_or(Error::InvalidArgument)?;
    let mut q = cur;
    if let Some(x) = obj.get("max_size") {
        q.max_size = json_i64(x).ok_or(Error::InvalidArgument)?;
    } else if let Some(x) = obj.get("max_size_kb") {
        let kb = json_i64(x).ok_or(Error::InvalidArgument)?;
        q.max_size = if kb < 0 { -1 } else { kb.saturating_mul(1024) };
    }
    if let Some(x) = obj.get("max_objects") {
        q.max_objects = json_i64(x).ok_or(Error::InvalidArgument)?;
    }
    if let Some(x) = obj.get("check_on_raw") {
        q.check_on_raw = json_bool(x).ok_or(Error::InvalidArgument)?;
    }
    if let Some(x) = obj.get("enabled") {
        q.enabled = json_bool(x).ok_or(Error::InvalidArgument)?;
    }
    Ok(q)
}

/// Query-parameter form: each field defaults to the current value.
pub fn quota_from_params(cur: Quota, ctx: &Ctx) -> Quota {
    let q = &ctx.query;
    let mut out = cur;
    out.max_objects = q.get_i64("max-objects", cur.max_objects);
    out.max_size = q.get_i64("max-size", cur.max_size);
    if let Some(kb) = q
        .get("max-size-kb")
        .and_then(|v| v.trim().parse::<i64>().ok())
    {
        out.max_size = if kb < 0 { -1 } else { kb.saturating_mul(1024) };
    }
    out.enabled = q.get_bool("enabled", cur.enabled);
    out
}

pub async fn set_user(app: &App, ctx: &Ctx) -> Result<Reply> {
    pacific_body_quirk(app, ctx)?;
    let q = &ctx.query;
    let uid = q.get_nonempty("uid").ok_or(Error::InvalidArgument)?;
    let u = load(app, uid)?;
    let qt = q.get("quota-type");
    let (user_q, bucket_q) = if !ctx.body.is_empty() {
        if ctx.body.len() > MAX_QUOTA_BODY {
            return Err(Error::InvalidArgument);
        }
        let v: Value = serde_json::from_slice(&ctx.body).map_err(|_| Error::InvalidArgument)?;
        match qt {
            Some("user") => (quota_from_json(u.user_quota, &v)?, u.bucket_quota),
            Some("bucket") => (u.user_quota, quota_from_json(u.bucket_quota, &v)?),
            Some(_) => return Err(Error::InvalidArgument),
            None => {
                let uq = match v.get("user_quota") {
                    Some(x) => quota_from_json(u.user_quota, x)?,
                    None => u.user_quota,
                };
                let bq = match v.get("bucket_quota") {
                    Some(x) => quota_from_json(u.bucket_quota, x)?,
                    None => u.bucket_quota,
                };
                (uq, bq)
            }
        }
    } else {
        match qt {
            Some("user") => (quota_from_params(u.user_quota, ctx), u.bucket_quota),
            Some("bucket") => (u.user_quota, quota_from_params(u.bucket_quota, ctx)),
            _ => return Err(Error::InvalidArgument),
        }
    };
    app.users
        .modify(uid, |u| {
            u.user_quota = user_q;
            u.bucket_quota = bucket_q;
            Ok(())
        })
        .await?;
    Ok(Reply::Empty)
}
