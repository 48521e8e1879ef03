//! Policy conditions and the request keys they test (`aws:SourceIp`, `s3:prefix`, ...),
//! evaluated as radosgw's `Condition::eval`.

use std::net::IpAddr;

use serde_json::Value;

use super::{glob, items};
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy)]
pub(super) enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    ForAllValuesStringEquals,
    ForAllValuesStringEqualsIgnoreCase,
    ForAllValuesStringLike,
    Numeric(fn(f64, f64) -> bool),
    Date(fn(i64, i64) -> bool),
    Bool,
    IpAddress,
    NotIpAddress,
    Null,
    /// Known to radosgw but never true there (ARN and binary comparisons).
    Never,
}

pub(super) fn op_named(name: &str) -> Option<Op> {
    use Op::*;
    Some(match name {
        "StringEquals" | "ForAnyValue:StringEquals" => StringEquals,
        "StringNotEquals" => StringNotEquals,
        "StringEqualsIgnoreCase" | "ForAnyValue:StringEqualsIgnoreCase" => StringEqualsIgnoreCase,
        "StringNotEqualsIgnoreCase" => StringNotEqualsIgnoreCase,
        "StringLike" | "ForAnyValue:StringLike" => StringLike,
        "StringNotLike" => StringNotLike,
        "ForAllValues:StringEquals" => ForAllValuesStringEquals,
        "ForAllValues:StringEqualsIgnoreCase" => ForAllValuesStringEqualsIgnoreCase,
        "ForAllValues:StringLike" => ForAllValuesStringLike,
        "NumericEquals" => Numeric(|a, b| a == b),
        "NumericNotEquals" => Numeric(|a, b| a != b),
        "NumericLessThan" => Numeric(|a, b| a < b),
        "NumericLessThanEquals" => Numeric(|a, b| a <= b),
        "NumericGreaterThan" => Numeric(|a, b| a > b),
        "NumericGreaterThanEquals" => Numeric(|a, b| a >= b),
        "DateEquals" => Date(|a, b| a == b),
        "DateNotEquals" => Date(|a, b| a != b),
        "DateLessThan" => Date(|a, b| a < b),
        "DateLessThanEquals" => Date(|a, b| a <= b),
        "DateGreaterThan" => Date(|a, b| a > b),
        "DateGreaterThanEquals" => Date(|a, b| a >= b),
        "Bool" => Bool,
        "IpAddress" => IpAddress,
        "NotIpAddress" => NotIpAddress,
        "Null" => Null,
        "BinaryEquals" | "ArnEquals" | "ArnNotEquals" | "ArnLike" | "ArnNotLike" => Never,
        _ => return None,
    })
}

#[derive(Debug, Clone)]
pub(super) struct Condition {
    pub(super) op: Op,
    pub(super) if_exists: bool,
    pub(super) key: String,
    pub(super) values: Vec<String>,
}

/// The condition keys of a request (`aws:SourceIp`, `s3:prefix`, ...); a key may repeat.
#[derive(Debug, Default, Clone)]
pub struct Env(Vec<(String, String)>);

impl Env {
    pub fn add(&mut self, key: &str, value: impl Into<String>) {
        self.0.push((key.to_string(), value.into()));
    }

    fn values<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

impl Condition {
    /// radosgw's `Condition::eval`, quirks kept: `Null` ignores its value (true when the
    /// key is absent); a negated string test holds when any value differs from any listed.
    pub(super) fn holds(&self, env: &Env) -> bool {
        let mut have = env.values(&self.key).peekable();
        if matches!(self.op, Op::Null) {
            return have.peek().is_none();
        }
        if have.peek().is_none() {
            return matches!(
                self.op,
                Op::ForAllValuesStringEquals
                    | Op::ForAllValuesStringEqualsIgnoreCase
                    | Op::ForAllValuesStringLike
            ) || self.if_exists;
        }
        let have: Vec<&str> = have.collect();
        let vals = &self.values;
        let any =
            |f: &dyn Fn(&str, &str) -> bool| have.iter().any(|h| vals.iter().any(|v| f(h, v)));
        let all =
            |f: &dyn Fn(&str, &str) -> bool| have.iter().all(|h| vals.iter().any(|v| f(h, v)));
        let first = have[0];
        match self.op {
            Op::StringEquals => any(&|h, v| h == v),
            Op::StringNotEquals => any(&|h, v| h != v),
            Op::StringEqualsIgnoreCase => any(&|h, v| h.eq_ignore_ascii_case(v)),
            Op::StringNotEqualsIgnoreCase => any(&|h, v| !h.eq_ignore_ascii_case(v)),
            Op::StringLike => any(&|h, v| glob(v, h)),
            Op::StringNotLike => any(&|h, v| !glob(v, h)),
            Op::ForAllValuesStringEquals => all(&|h, v| h == v),
            Op::ForAllValuesStringEqualsIgnoreCase => all(&|h, v| h.eq_ignore_ascii_case(v)),
            Op::ForAllValuesStringLike => all(&|h, v| glob(v, h)),
            Op::Numeric(f) => first
                .parse::<f64>()
                .is_ok_and(|h| vals.iter().any(|v| v.parse::<f64>().is_ok_and(|v| f(h, v)))),
            Op::Date(f) => as_date(first)
                .is_some_and(|h| vals.iter().any(|v| as_date(v).is_some_and(|v| f(h, v)))),
            Op::Bool => as_bool(first).is_some_and(|h| vals.iter().any(|v| as_bool(v) == Some(h))),
            Op::IpAddress => as_net(first).is_some_and(|h| {
                vals.iter()
                    .any(|v| as_net(v).is_some_and(|v| same_net(h, v)))
            }),
            Op::NotIpAddress => as_net(first).is_some_and(|h| {
                !vals
                    .iter()
                    .any(|v| as_net(v).is_some_and(|v| same_net(h, v)))
            }),
            Op::Null | Op::Never => false,
        }
    }
}

fn as_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Seconds since the epoch, or an ISO 8601 time (`2026-11-29T10:00:00Z`).
fn as_date(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    crate::clock::parse_utime(s)
        .filter(|_| s.contains('T'))
        .map(|us| us / 1_000_000)
}

/// An address and its prefix length (`10.0.0.0/8`; a bare address is a /32 or /128).
fn as_net(s: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match s.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (s, None),
    };
    let ip: IpAddr = addr.parse().ok()?;
    let max = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(max);
    (prefix <= max).then_some((ip, prefix))
}

/// Equal under the shorter of the two prefixes (radosgw's `MaskedIP` equality).
fn same_net(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    let bits = |ip: IpAddr| -> (u128, u32) {
        match ip {
            IpAddr::V4(v) => (u32::from(v) as u128, 32),
            IpAddr::V6(v) => (u128::from(v), 128),
        }
    };
    let ((x, wx), (y, wy)) = (bits(a.0), bits(b.0));
    if wx != wy {
        return false;
    }
    let keep = a.1.min(b.1) as u32;
    if keep == 0 {
        return true;
    }
    let shift = wx - keep;
    (x >> shift) == (y >> shift)
}

/// A statement's `Condition`: operators (with `IfExists`) over keys and their values.
pub(super) fn parse(v: &Value) -> Result<Vec<Condition>> {
    let ops = v.as_object().ok_or(Error::InvalidArgument)?;
    let mut out = Vec::new();
    for (name, keys) in ops {
        let (base, if_exists) = match name.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (name.as_str(), false),
        };
        let op = op_named(base).ok_or(Error::InvalidArgument)?;
        for (key, vals) in keys.as_object().ok_or(Error::InvalidArgument)? {
            let mut values = Vec::new();
            for v in items(vals) {
                values.push(match v {
                    Value::String(s) => {
                        if s.starts_with('$') && !(s.starts_with("${") && s.ends_with('}')) {
                            return Err(Error::InvalidArgument);
                        }
                        s.clone()
                    }
                    Value::Number(n) => n.to_string(),
                    // radosgw's reader takes numbers and strings only.
                    _ => return Err(Error::InvalidArgument),
                });
            }
            out.push(Condition {
                op,
                if_exists,
                key: key.clone(),
                values,
            });
        }
    }
    Ok(out)
}

/// The environment radosgw builds for every request (`rgw_build_iam_environment`).
pub fn base_env(
    source_ip: IpAddr,
    secure: bool,
    referer: Option<&str>,
    user_agent: Option<&str>,
    username: Option<&str>,
) -> Env {
    let mut env = Env::default();
    let now_us = crate::clock::now_us();
    // radosgw's two time keys, as it fills them (their names' meanings swapped).
    env.add("aws:CurrentTime", (now_us / 1_000_000).to_string());
    env.add("aws:EpochTime", crate::clock::utime(now_us));
    env.add("aws:PrincipalType", "User");
    if let Some(r) = referer {
        env.add("aws:Referer", r);
    }
    if secure {
        env.add("aws:SecureTransport", "true");
    }
    env.add("aws:SourceIp", source_ip.to_string());
    if let Some(ua) = user_agent {
        env.add("aws:UserAgent", ua);
    }
    if let Some(u) = username {
        env.add("aws:username", u);
    }
    env
}
