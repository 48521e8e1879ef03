//! The one routing table. A request is an admin op (under the admin entry point, see
//! `admin.rs`), Swift v1 auth (`/auth/1.0`), or an S3 op (everything else, see `s3.rs`).
//! This decides which before anything looks at credentials, and answers what no op serves
//! (405, 501) so that it touches nothing.

use hyper::{HeaderMap, Method};

use crate::config::Config;
use crate::error::Result;
use crate::ops::AdminOp;
use crate::query::Query;
use crate::s3::S3Op;

pub mod admin;
pub mod s3;

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// An admin op and, for `/admin/metadata/<section>`, the section.
    Admin(AdminOp, Option<String>),
    S3(S3Target),
    SwiftAuth,
}

/// An S3 op and what it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Target {
    pub op: S3Op,
    /// Empty for service-level requests.
    pub bucket: String,
    /// Empty for bucket-level requests.
    pub key: String,
}

/// Route a request whose decoded path is `path`.
pub fn route(
    method: &Method,
    path: &str,
    q: &Query,
    headers: &HeaderMap,
    cfg: &Config,
) -> Result<Route> {
    if let Some(rest) = admin_rest(path, &cfg.admin_entry) {
        return admin::route(method, rest, q, cfg.compat);
    }
    // radosgw's Swift auth entry (`rgw_swift_auth_entry`, `auth`): a GET of `/auth` itself
    // is one too (`swift -A http://host/auth`). A virtual-hosted request names an object.
    if (method == Method::GET || method == Method::HEAD)
        && matches!(path, "/auth" | "/auth/" | "/auth/1.0" | "/auth/v1.0")
        && vhost_bucket(headers, &cfg.s3_domain).is_none()
    {
        return Ok(Route::SwiftAuth);
    }
    let (bucket, key) = bucket_and_key(headers, path, &cfg.s3_domain);
    let op = s3::classify(method, &bucket, &key, q, headers)?;
    Ok(Route::S3(S3Target { op, bucket, key }))
}

/// Is `path` (decoded) under the admin entry point, i.e. not an S3 request?
pub fn is_admin(path: &str, entry: &str) -> bool {
    admin_rest(path, entry).is_some()
}

/// `/admin`, `/admin/` → `""`; `/admin/user` → `user`; other paths → None.
fn admin_rest<'a>(path: &'a str, entry: &str) -> Option<&'a str> {
    let p = path.strip_prefix('/')?.strip_prefix(entry)?;
    if p.is_empty() {
        return Some("");
    }
    p.strip_prefix('/')
}

/// Bucket and key of an S3 request: virtual-host style when the Host is `<bucket>.<domain>`
/// for the configured domain, else path style.
/// The bucket a virtual-host-style request names in its `Host` (`<bucket>.<s3_domain>`).
pub fn vhost_bucket<'a>(headers: &'a HeaderMap, domain: &str) -> Option<&'a str> {
    if domain.is_empty() {
        return None;
    }
    let host = headers.get(hyper::header::HOST)?.to_str().ok()?;
    let host = host.split(':').next().unwrap_or("");
    host.strip_suffix(domain)
        .and_then(|h| h.strip_suffix('.'))
        .filter(|b| !b.is_empty())
}

pub fn bucket_and_key(headers: &HeaderMap, path: &str, domain: &str) -> (String, String) {
    let p = path.strip_prefix('/').unwrap_or(path);
    if let Some(b) = vhost_bucket(headers, domain) {
        return (b.to_string(), p.to_string());
    }
    match p.split_once('/') {
        Some((b, k)) => (b.to_string(), k.to_string()),
        None => (p.to_string(), String::new()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::Compat;

    pub fn r_at(m: &str, path: &str, q: &str, compat: Compat) -> Result<Route> {
        let cfg = Config {
            compat,
            ..Config::default()
        };
        route(
            &Method::from_bytes(m.as_bytes()).unwrap(),
            path,
            &Query::parse(q).unwrap(),
            &HeaderMap::new(),
            &cfg,
        )
    }

    #[test]
    fn s3_and_swift_auth_outside_the_admin_entry() {
        assert!(matches!(
            r_at("GET", "/adminx/user", "", Compat::Reef),
            Ok(Route::S3(_))
        ));
        assert!(matches!(
            r_at("GET", "/", "", Compat::Reef),
            Ok(Route::S3(_))
        ));
        for path in ["/auth", "/auth/", "/auth/1.0", "/auth/v1.0"] {
            assert_eq!(
                r_at("GET", path, "", Compat::Reef),
                Ok(Route::SwiftAuth),
                "{path}"
            );
        }
        // `/auth/1.0` with another method is an object `1.0` in bucket `auth`
        let Ok(Route::S3(t)) = r_at("PUT", "/auth/1.0", "", Compat::Reef) else {
            panic!()
        };
        assert_eq!(
            (t.op, t.bucket.as_str(), t.key.as_str()),
            (S3Op::PutObject, "auth", "1.0")
        );
    }

    #[test]
    fn virtual_host_style() {
        let mut h = HeaderMap::new();
        h.insert(
            hyper::header::HOST,
            "pics.s3.example.com:7480".parse().unwrap(),
        );
        assert_eq!(
            bucket_and_key(&h, "/a/b.jpg", "s3.example.com"),
            ("pics".to_string(), "a/b.jpg".to_string())
        );
        assert_eq!(
            bucket_and_key(&h, "/a/b.jpg", ""),
            ("a".to_string(), "b.jpg".to_string())
        );
        // In a virtual-hosted bucket, `/auth/v1.0` is an object, not Swift auth.
        let cfg = Config {
            s3_domain: "s3.example.com".into(),
            ..Config::default()
        };
        let Ok(Route::S3(t)) = route(&Method::GET, "/auth/v1.0", &Query::default(), &h, &cfg)
        else {
            panic!()
        };
        assert_eq!(
            (t.op, t.bucket.as_str(), t.key.as_str()),
            (S3Op::GetObject, "pics", "auth/v1.0")
        );
    }
}
