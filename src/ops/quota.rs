//! `/admin/user?quota`: per-user user and bucket quotas (`RGWOp_Quota_Info`/`_Set`), and
//! the quota documents `/admin/bucket?quota` shares.

use bytes::Bytes;
use serde_json::Value;

use crate::domain::App;
use crate::encode::{Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::model::Quota;
use crate::ops::Reply;
use crate::query::{parse_bool, Query};

/// Largest quota document radosgw reads from a body.
pub const MAX_QUOTA_BODY: usize = 1024;

#[derive(Debug, Clone, Default)]
pub struct GetReq {
    pub uid: Option<String>,
    pub quota_type: Option<String>,
}

impl GetReq {
    pub fn parse(q: &Query) -> GetReq {
        GetReq {
            uid: q.get_nonempty("uid").map(str::to_string),
            quota_type: q.get("quota-type").map(str::to_string),
        }
    }
}

/// Which quota a request names: `quota-type` `user` or `bucket`, or (absent) both.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Both,
    User,
    Bucket,
}

/// radosgw refuses a quota type it does not know before it looks the user up (400 before
/// 404), in RGWOp_Quota_Info and RGWOp_Quota_Set alike.
fn which(quota_type: Option<&str>) -> Result<Which> {
    match quota_type {
        None => Ok(Which::Both),
        Some("user") => Ok(Which::User),
        Some("bucket") => Ok(Which::Bucket),
        Some(_) => Err(Error::InvalidArgument),
    }
}

pub async fn get_user(app: &App, r: GetReq) -> Result<Reply> {
    let uid = r.uid.as_deref().ok_or(Error::InvalidArgument)?;
    let which = which(r.quota_type.as_deref())?;
    let u = app.users.load(uid).await?;
    Ok(Reply::Doc(match which {
        Which::Both => Doc::new(
            "quota",
            ObjBuilder::new()
                .node("bucket_quota", u.bucket_quota.dump())
                .node("user_quota", u.user_quota.dump())
                .build(),
        ),
        Which::User => Doc::new("user_quota", u.user_quota.dump()),
        Which::Bucket => Doc::new("bucket_quota", u.bucket_quota.dump()),
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

/// A quota document from a request body (at most [`MAX_QUOTA_BODY`] bytes of JSON).
pub fn body_json(body: &[u8]) -> Result<Value> {
    if body.len() > MAX_QUOTA_BODY {
        return Err(Error::InvalidArgument);
    }
    serde_json::from_slice(body).map_err(|_| Error::InvalidArgument)
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

/// A quota change by fields: each one given replaces the current.
#[derive(Debug, Clone, Default)]
pub struct QuotaParams {
    pub max_objects: Option<i64>,
    pub max_size: Option<i64>,
    pub max_size_kb: Option<i64>,
    pub enabled: Option<bool>,
    /// Read from query parameters: radosgw's `RGWOp_Quota_Set` builds a new quota from
    /// them, so `check_on_raw`, which no parameter sets, is cleared. (`radosgw-admin quota
    /// set` changes the stored quota and keeps it.)
    pub from_query: bool,
}

/// A quota number among the query parameters, as radosgw reads it into a new quota
/// (`RESTArgs::get_int64`): a value that does not read leaves the new quota's -1.
pub fn query_num(q: &Query, name: &str) -> Option<i64> {
    q.get(name)
        .map(|v| crate::query::rest_int64(v).unwrap_or(-1))
}

impl QuotaParams {
    pub fn parse(q: &Query) -> QuotaParams {
        QuotaParams {
            max_objects: query_num(q, "max-objects"),
            max_size: query_num(q, "max-size"),
            // Unreadable, radosgw multiplies an uninitialised number: ignored here.
            max_size_kb: q.get("max-size-kb").and_then(crate::query::rest_int64),
            enabled: q.get("enabled").and_then(parse_bool),
            from_query: true,
        }
    }

    /// Apply to `cur` as the user quota op does.
    pub fn apply(&self, cur: Quota) -> Quota {
        let mut out = cur;
        out.max_objects = self.max_objects.unwrap_or(cur.max_objects);
        out.max_size = self.max_size.unwrap_or(cur.max_size);
        if let Some(kb) = self.max_size_kb {
            out.max_size = kb.saturating_mul(1024);
        }
        out.enabled = self.enabled.unwrap_or(cur.enabled);
        if self.from_query {
            out.check_on_raw = false;
        }
        out
    }
}

#[derive(Debug, Clone, Default)]
pub struct SetReq {
    pub uid: Option<String>,
    pub quota_type: Option<String>,
    pub params: QuotaParams,
    pub body: Bytes,
}

impl SetReq {
    pub fn parse(q: &Query, body: Bytes) -> SetReq {
        SetReq {
            uid: q.get_nonempty("uid").map(str::to_string),
            quota_type: q.get("quota-type").map(str::to_string),
            params: QuotaParams::parse(q),
            body,
        }
    }
}

pub async fn set_user(app: &App, r: SetReq) -> Result<Reply> {
    let uid = r.uid.as_deref().ok_or(Error::InvalidArgument)?;
    let which = which(r.quota_type.as_deref())?;
    // Only a JSON body sets both quotas at once: query parameters without a quota type
    // are refused before the user is looked up, as radosgw's RGWOp_Quota_Set does.
    if r.body.is_empty() && which == Which::Both {
        return Err(Error::InvalidArgument);
    }
    let u = app.users.load(uid).await?;
    let (user_q, bucket_q) = if !r.body.is_empty() {
        let v = body_json(&r.body)?;
        match which {
            Which::User => (quota_from_json(u.user_quota, &v)?, u.bucket_quota),
            Which::Bucket => (u.user_quota, quota_from_json(u.bucket_quota, &v)?),
            Which::Both => {
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
    } else if which == Which::User {
        (r.params.apply(u.user_quota), u.bucket_quota)
    } else {
        (u.user_quota, r.params.apply(u.bucket_quota))
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
