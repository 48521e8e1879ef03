//! The one routing table: (method, resource, first admin sub-resource) → op, with the cap
//! each op needs. radosgw picks the op from the *first* admin sub-resource name in the query
//! (`?caps&uid=..` and `?uid=..&caps=x` alike) and answers an unknown resource or method
//! with 405 before looking at credentials; so do we.

use hyper::Method;

use crate::caps::{READ, WRITE};
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::query::Query;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Info,
    UserInfo,
    UserCreate,
    UserModify,
    UserRemove,
    UserList,
    SubuserCreate,
    SubuserModify,
    SubuserRemove,
    KeyCreate,
    KeyRemove,
    CapsAdd,
    CapsRemove,
    UserQuotaGet,
    UserQuotaSet,
    BucketInfo,
    BucketPolicy,
    BucketIndex,
    BucketQuotaSet,
    BucketSync,
    BucketLink,
    BucketUnlink,
    BucketRemove,
    ObjectRemove,
    UsageGet,
    UsageTrim,
    MetadataGet,
    MetadataList,
    MetadataPut,
    MetadataDelete,
    RatelimitGet,
    RatelimitSet,
    /// Anything outside the admin entry point: the S3 API.
    S3,
}

impl Op {
    /// The log name of the op (radosgw's op names).
    pub fn name(self) -> &'static str {
        use Op::*;
        match self {
            Info => "get_info",
            UserInfo => "get_user_info",
            UserCreate => "create_user",
            UserModify => "modify_user",
            UserRemove => "remove_user",
            UserList => "list_user",
            SubuserCreate => "create_subuser",
            SubuserModify => "modify_subuser",
            SubuserRemove => "remove_subuser",
            KeyCreate => "create_access_key",
            KeyRemove => "remove_access_key",
            CapsAdd => "add_user_caps",
            CapsRemove => "remove_user_caps",
            UserQuotaGet => "get_quota_info",
            UserQuotaSet => "set_quota_info",
            BucketInfo => "get_bucket_info",
            BucketPolicy => "get_policy",
            BucketIndex => "check_bucket_index",
            BucketQuotaSet => "set_bucket_quota",
            BucketSync => "sync_bucket",
            BucketLink => "link_bucket",
            BucketUnlink => "unlink_bucket",
            BucketRemove => "remove_bucket",
            ObjectRemove => "remove_object",
            UsageGet => "get_usage",
            UsageTrim => "trim_usage",
            MetadataGet => "get_metadata",
            MetadataList => "list_metadata",
            MetadataPut => "set_metadata",
            MetadataDelete => "remove_metadata",
            RatelimitGet => "get_ratelimit_info",
            RatelimitSet => "put_ratelimit_info",
            S3 => "s3",
        }
    }

    /// The admin cap the op needs (`check_caps`), or `None` for S3.
    pub fn cap(self) -> Option<(&'static str, u32)> {
        use Op::*;
        Some(match self {
            Info => ("info", READ),
            UserInfo | UserList | UserQuotaGet => ("users", READ),
            UserCreate | UserModify | UserRemove | SubuserCreate | SubuserModify
            | SubuserRemove | KeyCreate | KeyRemove | CapsAdd | CapsRemove | UserQuotaSet => {
                ("users", WRITE)
            }
            BucketInfo | BucketPolicy => ("buckets", READ),
            BucketIndex | BucketQuotaSet | BucketSync | BucketLink | BucketUnlink
            | BucketRemove | ObjectRemove => ("buckets", WRITE),
            UsageGet => ("usage", READ),
            UsageTrim => ("usage", WRITE),
            MetadataGet | MetadataList => ("metadata", READ),
            MetadataPut | MetadataDelete => ("metadata", WRITE),
            RatelimitGet => ("ratelimit", READ),
            RatelimitSet => ("ratelimit", WRITE),
            S3 => return None,
        })
    }

    /// Ops whose result radosgw builds before sending headers: these send a Content-Type
    /// even for JSON, and XML without a prologue.
    pub fn buffered(self) -> bool {
        matches!(self, Op::MetadataGet | Op::MetadataList)
    }
}

/// A routed request: the op and, for `/admin/metadata/<section>`, the section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub op: Op,
    pub section: Option<String>,
}

/// Route a request whose decoded path is `path`.
pub fn route(method: &Method, path: &str, q: &Query, entry: &str, compat: Compat) -> Result<Route> {
    let Some(rest) = admin_rest(path, entry) else {
        return Ok(Route {
            op: Op::S3,
            section: None,
        });
    };
    let (resource, tail) = match rest.split_once('/') {
        Some((r, t)) => (r, Some(t)),
        None => (rest, None),
    };
    let sub = q.first_admin_subresource();
    let m = method.as_str();
    use Op::*;
    let op = match (resource, m) {
        ("user", "GET") => match sub {
            Some("quota") => UserQuotaGet,
            Some("list") => UserList,
            _ => UserInfo,
        },
        ("user", "PUT") => match sub {
            Some("subuser") => SubuserCreate,
            Some("key") => KeyCreate,
            Some("caps") => CapsAdd,
            Some("quota") => UserQuotaSet,
            _ => UserCreate,
        },
        ("user", "POST") => match sub {
            Some("subuser") => SubuserModify,
            _ => UserModify,
        },
        ("user", "DELETE") => match sub {
            Some("subuser") => SubuserRemove,
            Some("key") => KeyRemove,
            Some("caps") => CapsRemove,
            _ => UserRemove,
        },
        ("bucket", "GET") => match sub {
            Some("policy") => BucketPolicy,
            Some("index") => BucketIndex,
            _ => BucketInfo,
        },
        ("bucket", "PUT") => match sub {
            Some("quota") => BucketQuotaSet,
            Some("sync") => BucketSync,
            _ => BucketLink,
        },
        ("bucket", "POST") => BucketUnlink,
        ("bucket", "DELETE") => match sub {
            Some("object") => ObjectRemove,
            _ => BucketRemove,
        },
        ("usage", "GET") => UsageGet,
        ("usage", "DELETE") => UsageTrim,
        ("metadata", "GET") => {
            if q.has("key") || q.has("myself") {
                MetadataGet
            } else {
                MetadataList
            }
        }
        ("metadata", "PUT") => MetadataPut,
        ("metadata", "DELETE") => MetadataDelete,
        ("info", "GET") if compat >= Compat::Quincy => Info,
        ("ratelimit", "GET") if compat >= Compat::Quincy => RatelimitGet,
        ("ratelimit", "POST") if compat >= Compat::Quincy => RatelimitSet,
        _ => return Err(Error::MethodNotAllowed),
    };
    // Only metadata takes a sub-path (its section); `/admin/user/x` is no resource.
    let section = match (resource, tail) {
        ("metadata", t) => t.filter(|t| !t.is_empty()).map(str::to_string),
        (_, Some(t)) if !t.is_empty() => return Err(Error::MethodNotAllowed),
        _ => None,
    };
    Ok(Route { op, section })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn r(m: &str, path: &str, q: &str) -> Result<Op> {
        route(
            &Method::from_bytes(m.as_bytes()).unwrap(),
            path,
            &Query::parse(q).unwrap(),
            "admin",
            Compat::Reef,
        )
        .map(|r| r.op)
    }

    #[test]
    fn first_subresource_wins() {
        assert_eq!(
            r("PUT", "/admin/user", "uid=a&subuser=a:b&key").unwrap(),
            Op::SubuserCreate
        );
        assert_eq!(
            r("PUT", "/admin/user", "key&subuser=a:b").unwrap(),
            Op::KeyCreate
        );
        assert_eq!(
            r("DELETE", "/admin/bucket", "bucket=b&object=o").unwrap(),
            Op::ObjectRemove
        );
        assert_eq!(r("GET", "/admin/user", "uid=a&list").unwrap(), Op::UserList);
        assert_eq!(r("GET", "/admin/user", "uid=a").unwrap(), Op::UserInfo);
    }

    #[test]
    fn unknown_is_405_and_s3_passes() {
        assert_eq!(r("PATCH", "/admin/user", ""), Err(Error::MethodNotAllowed));
        assert_eq!(r("HEAD", "/admin/user", ""), Err(Error::MethodNotAllowed));
        assert_eq!(r("GET", "/admin/nosuch", ""), Err(Error::MethodNotAllowed));
        assert_eq!(r("GET", "/admin", ""), Err(Error::MethodNotAllowed));
        assert_eq!(r("GET", "/adminx/user", "").unwrap(), Op::S3);
        assert_eq!(r("GET", "/", "").unwrap(), Op::S3);
        let p = route(
            &Method::GET,
            "/admin/info",
            &Query::default(),
            "admin",
            Compat::Pacific,
        );
        assert_eq!(p, Err(Error::MethodNotAllowed));
    }

    #[test]
    fn metadata_section() {
        let q = Query::parse("key=alice").unwrap();
        let rt = route(
            &Method::GET,
            "/admin/metadata/user",
            &q,
            "admin",
            Compat::Pacific,
        )
        .unwrap();
        assert_eq!(rt.op, Op::MetadataGet);
        assert_eq!(rt.section.as_deref(), Some("user"));
    }
}
