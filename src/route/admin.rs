//! Admin ops are chosen by resource, method and sub-resource flag (`PUT /admin/user?caps`).
//! radosgw takes the *first* sub-resource in URL order; at `pacific` so do we. SigV4 signs
//! the query sorted, so from `quincy` on the choice must not depend on order: a request
//! naming two sub-resources that select different ops is refused.

use hyper::Method;

use super::Route;
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::ops::AdminOp;
use crate::query::Query;

/// Which sub-resources select an op on a resource and method, in the order radosgw's
/// handlers test them. A name not listed here is an ordinary parameter of the op.
fn admin_flags(resource: &str, method: &str) -> &'static [&'static str] {
    match (resource, method) {
        ("user", "GET") => &["quota", "list"],
        ("user", "PUT") => &["subuser", "key", "caps", "quota"],
        ("user", "POST") => &["subuser"],
        ("user", "DELETE") => &["subuser", "key", "caps"],
        ("bucket", "GET") => &["policy", "index"],
        ("bucket", "PUT") => &["quota", "sync"],
        ("bucket", "DELETE") => &["object"],
        ("account", "PUT") => &["quota"],
        _ => &[],
    }
}

/// The sub-resource that selects the op: radosgw's first in URL order at `pacific`; from
/// `quincy` on, the one flag the request names (`key` takes `subuser` as its parameter, so
/// `?key&subuser=u:s` is a subuser's key), or `InvalidArgument` when it names two.
fn admin_flag<'q>(
    q: &'q Query,
    resource: &str,
    method: &str,
    compat: Compat,
) -> Result<Option<&'q str>> {
    let flags = admin_flags(resource, method);
    if compat == Compat::Pacific {
        return Ok(q.first_admin_subresource().filter(|s| flags.contains(s)));
    }
    let mut named: Vec<&str> = flags.iter().copied().filter(|f| q.has(f)).collect();
    if named.contains(&"key") {
        named.retain(|f| *f != "subuser");
    }
    match named.as_slice() {
        [] => Ok(None),
        [one] => Ok(q.params().map(|p| p.name).find(|n| n == one)),
        _ => Err(Error::InvalidArgument),
    }
}

/// Route a request under the admin entry point; `rest` is the path after it.
pub fn route(method: &Method, rest: &str, q: &Query, compat: Compat) -> Result<Route> {
    let (resource, tail) = match rest.split_once('/') {
        Some((r, t)) => (r, Some(t)),
        None => (rest, None),
    };
    let m = method.as_str();
    let known = matches!(
        (resource, m),
        ("user" | "bucket", "GET" | "PUT" | "POST" | "DELETE")
            | ("usage", "GET" | "DELETE")
            | ("metadata", "GET" | "PUT" | "DELETE")
    ) || (compat >= Compat::Quincy
        && matches!(
            (resource, m),
            ("info", "GET") | ("ratelimit", "GET" | "POST")
        ))
        || (compat >= Compat::Squid
            && matches!(
                (resource, m),
                ("account", "GET" | "PUT" | "POST" | "DELETE")
            ));
    if !known {
        return Err(Error::MethodNotAllowed);
    }
    // Only metadata takes a sub-path (its section); `/admin/user/x` is no resource.
    let section = match (resource, tail) {
        ("metadata", t) => t.filter(|t| !t.is_empty()).map(str::to_string),
        (_, Some(t)) if !t.is_empty() => return Err(Error::MethodNotAllowed),
        _ => None,
    };
    let flag = admin_flag(q, resource, m, compat)?;
    use AdminOp::*;
    let op = match (resource, m, flag) {
        ("user", "GET", Some("quota")) => UserQuotaGet,
        ("user", "GET", Some("list")) => UserList,
        ("user", "GET", _) => UserInfo,
        ("user", "PUT", Some("subuser")) => SubuserCreate,
        ("user", "PUT", Some("key")) => KeyCreate,
        ("user", "PUT", Some("caps")) => CapsAdd,
        ("user", "PUT", Some("quota")) => UserQuotaSet,
        ("user", "PUT", _) => UserCreate,
        ("user", "POST", Some("subuser")) => SubuserModify,
        ("user", "POST", _) => UserModify,
        ("user", "DELETE", Some("subuser")) => SubuserRemove,
        ("user", "DELETE", Some("key")) => KeyRemove,
        ("user", "DELETE", Some("caps")) => CapsRemove,
        ("user", "DELETE", _) => UserRemove,
        ("bucket", "GET", Some("policy")) => BucketPolicy,
        ("bucket", "GET", Some("index")) => BucketIndex,
        ("bucket", "GET", _) => BucketInfo,
        ("bucket", "PUT", Some("quota")) => BucketQuotaSet,
        ("bucket", "PUT", Some("sync")) => BucketSync,
        ("bucket", "PUT", _) => BucketLink,
        ("bucket", "POST", _) => BucketUnlink,
        ("bucket", "DELETE", Some("object")) => ObjectRemove,
        ("bucket", "DELETE", _) => BucketRemove,
        ("usage", "GET", _) => UsageGet,
        ("usage", "DELETE", _) => UsageTrim,
        ("metadata", "GET", _) if q.has("key") || q.has("myself") => MetadataGet,
        ("metadata", "GET", _) => MetadataList,
        ("metadata", "PUT", _) => MetadataPut,
        ("metadata", "DELETE", _) => MetadataDelete,
        ("info", "GET", _) => Info,
        ("ratelimit", "GET", _) => RatelimitGet,
        ("ratelimit", "POST", _) => RatelimitSet,
        ("account", "POST", _) => AccountCreate,
        ("account", "PUT", Some("quota")) => AccountQuotaSet,
        ("account", "PUT", _) => AccountModify,
        ("account", "GET", _) => AccountInfo,
        ("account", "DELETE", _) => AccountRemove,
        _ => return Err(Error::MethodNotAllowed),
    };
    Ok(Route::Admin(op, section))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::tests::r_at;

    fn op_at(m: &str, path: &str, q: &str, compat: Compat) -> Result<AdminOp> {
        match r_at(m, path, q, compat)? {
            Route::Admin(op, _) => Ok(op),
            other => panic!("not admin: {other:?}"),
        }
    }

    fn r(m: &str, path: &str, q: &str) -> Result<AdminOp> {
        op_at(m, path, q, Compat::Pacific)
    }

    #[test]
    fn first_subresource_wins_at_pacific() {
        assert_eq!(
            r("PUT", "/admin/user", "uid=a&subuser=a:b&key").unwrap(),
            AdminOp::SubuserCreate
        );
        assert_eq!(
            r("PUT", "/admin/user", "key&subuser=a:b").unwrap(),
            AdminOp::KeyCreate
        );
        assert_eq!(
            r("DELETE", "/admin/bucket", "bucket=b&object=o").unwrap(),
            AdminOp::ObjectRemove
        );
        assert_eq!(
            r("GET", "/admin/user", "uid=a&list").unwrap(),
            AdminOp::UserList
        );
        assert_eq!(r("GET", "/admin/user", "uid=a").unwrap(), AdminOp::UserInfo);
        assert_eq!(
            r("GET", "/admin/bucket", "policy&bucket=b&object=o").unwrap(),
            AdminOp::BucketPolicy
        );
    }

    #[test]
    fn unknown_is_405() {
        let e = |m, p, q| r(m, p, q).unwrap_err();
        assert_eq!(e("PATCH", "/admin/user", ""), Error::MethodNotAllowed);
        assert_eq!(e("HEAD", "/admin/user", ""), Error::MethodNotAllowed);
        assert_eq!(e("GET", "/admin/nosuch", ""), Error::MethodNotAllowed);
        assert_eq!(e("GET", "/admin", ""), Error::MethodNotAllowed);
        assert_eq!(e("GET", "/admin/info", ""), Error::MethodNotAllowed);
        assert_eq!(e("GET", "/admin/user/x", ""), Error::MethodNotAllowed);
    }

    #[test]
    fn account_only_at_squid() {
        for compat in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            for m in ["GET", "PUT", "POST", "DELETE"] {
                assert_eq!(
                    op_at(m, "/admin/account", "id=x", compat),
                    Err(Error::MethodNotAllowed)
                );
            }
        }
        let at = |m, q| op_at(m, "/admin/account", q, Compat::Squid);
        assert_eq!(at("POST", "name=a"), Ok(AdminOp::AccountCreate));
        assert_eq!(at("PUT", "id=x"), Ok(AdminOp::AccountModify));
        assert_eq!(at("PUT", "quota&id=x"), Ok(AdminOp::AccountQuotaSet));
        assert_eq!(at("GET", "id=x"), Ok(AdminOp::AccountInfo));
        assert_eq!(at("DELETE", "id=x"), Ok(AdminOp::AccountRemove));
        assert_eq!(at("PATCH", "id=x"), Err(Error::MethodNotAllowed));
    }

    #[test]
    fn metadata_section() {
        let rt = r_at("GET", "/admin/metadata/user", "key=alice", Compat::Pacific).unwrap();
        assert_eq!(rt, Route::Admin(AdminOp::MetadataGet, Some("user".into())));
    }

    /// All orders of `params`, by Heap's algorithm.
    fn permutations(params: &[&str]) -> Vec<String> {
        fn heap(k: usize, a: &mut Vec<String>, out: &mut Vec<String>) {
            if k <= 1 {
                out.push(a.join("&"));
                return;
            }
            for i in 0..k {
                heap(k - 1, a, out);
                let j = if k % 2 == 0 { i } else { 0 };
                a.swap(j, k - 1);
            }
        }
        let mut a: Vec<String> = params.iter().map(|s| s.to_string()).collect();
        let mut out = Vec::new();
        heap(a.len(), &mut a, &mut out);
        out
    }

    /// From quincy on, every order of a request's parameters selects the same op (or is
    /// refused every time): a signature over the sorted query cannot be re-aimed.
    #[test]
    fn parameter_order_never_changes_the_op_after_pacific() {
        let cases: &[(&str, &str, &[&str])] = &[
            (
                "PUT",
                "/admin/user",
                &["key", "uid=a", "subuser=a:b", "key-type=s3", "access-key=K"],
            ),
            (
                "DELETE",
                "/admin/user",
                &["key", "uid=a", "subuser=a:b", "access-key=K"],
            ),
            (
                "PUT",
                "/admin/user",
                &["subuser=a:b", "uid=a", "access=read"],
            ),
            (
                "PUT",
                "/admin/user",
                &["caps", "uid=a", "user-caps=users=read"],
            ),
            ("PUT", "/admin/user", &["caps", "quota", "uid=a"]),
            ("DELETE", "/admin/user", &["caps", "subuser=a:b", "uid=a"]),
            (
                "PUT",
                "/admin/user",
                &["quota", "uid=a", "quota-type=user", "subuser"],
            ),
            ("GET", "/admin/user", &["quota", "list", "uid=a"]),
            ("GET", "/admin/user", &["uid=a", "list"]),
            ("POST", "/admin/user", &["subuser=a:b", "uid=a", "key"]),
            (
                "GET",
                "/admin/bucket",
                &["policy", "bucket=b", "object=o", "index"],
            ),
            ("GET", "/admin/bucket", &["policy", "bucket=b", "object=o"]),
            (
                "DELETE",
                "/admin/bucket",
                &["bucket=b", "object=o", "purge-objects"],
            ),
            ("PUT", "/admin/bucket", &["quota", "sync", "bucket=b"]),
        ];
        for compat in [Compat::Quincy, Compat::Reef] {
            for (m, path, params) in cases {
                let all: Vec<Result<AdminOp>> = permutations(params)
                    .iter()
                    .map(|q| op_at(m, path, q, compat))
                    .collect();
                assert!(
                    all.iter().all(|x| *x == all[0]),
                    "{m} {path} {params:?} at {compat:?}: {all:?}"
                );
            }
        }
        // and the sensible reading is kept
        let at = |m, q| op_at(m, "/admin/user", q, Compat::Reef);
        assert_eq!(at("PUT", "subuser=a:b&key&uid=a"), Ok(AdminOp::KeyCreate));
        assert_eq!(at("PUT", "uid=a&subuser=a:b"), Ok(AdminOp::SubuserCreate));
        assert_eq!(at("PUT", "caps&quota&uid=a"), Err(Error::InvalidArgument));
    }
}
