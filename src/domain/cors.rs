//! A bucket's CORS rules and how radosgw applies them (`rgw_cors.cc`, `RGWOp::
//! generate_cors_headers`, `RGWOptionsCORS`): the first rule whose origins match the
//! request's `Origin` decides, whatever its methods; a preflight must then name one of its
//! methods (exactly, case and all) and only headers it allows.

use serde::{Deserialize, Serialize};

use crate::encode::s3_read::CorsRuleXml;
use crate::error::{Error, Result};

/// The methods a rule may allow, in the order radosgw lists them.
pub const METHODS: [&str; 5] = ["GET", "PUT", "DELETE", "HEAD", "POST"];

/// At most this many rules (radosgw's and AWS's limit).
pub const MAX_RULES: usize = 100;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorsRule {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Sorted, without repeats (radosgw keeps a set).
    pub origins: Vec<String>,
    /// A subset of [`METHODS`], in that order.
    pub methods: Vec<String>,
    /// Sorted, without repeats.
    #[serde(default)]
    pub headers: Vec<String>,
    /// As given.
    #[serde(default)]
    pub expose: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<u32>,
}

/// `pattern` (at most one `*`, anywhere) against `s`.
fn wildcard(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((pre, post)) => {
            s.len() >= pre.len() + post.len() && s.starts_with(pre) && s.ends_with(post)
        }
    }
}

impl CorsRule {
    /// Bytes the rule takes in a cached bucket record, roughly.
    pub fn weigh(&self) -> usize {
        let strings = |v: &[String]| v.iter().map(|s| s.len() + 24).sum::<usize>();
        128 + strings(&self.origins)
            + strings(&self.methods)
            + strings(&self.headers)
            + strings(&self.expose)
    }

    /// A rule as radosgw takes it from a `PUT ?cors` body: at least one origin; methods
    /// among [`METHODS`] in any case (kept in that order); at most one `*` in an origin
    /// or an allowed header; `MaxAgeSeconds` a number. `MalformedXML` otherwise.
    pub fn from_xml(x: CorsRuleXml) -> Result<CorsRule> {
        let one_star = |v: &[String]| v.iter().all(|s| s.matches('*').count() <= 1);
        if x.origins.is_empty() || !one_star(&x.origins) || !one_star(&x.headers) {
            return Err(Error::MalformedXml);
        }
        let asked: Vec<String> = x.methods.iter().map(|m| m.to_ascii_uppercase()).collect();
        if asked.iter().any(|m| !METHODS.contains(&m.as_str())) {
            return Err(Error::MalformedXml);
        }
        let max_age = match x.max_age {
            None => None,
            Some(a) => Some(a.parse::<u32>().map_err(|_| Error::MalformedXml)?),
        };
        let set = |mut v: Vec<String>| {
            v.sort();
            v.dedup();
            v
        };
        Ok(CorsRule {
            id: x.id,
            origins: set(x.origins),
            methods: METHODS
                .iter()
                .filter(|m| asked.iter().any(|a| a == *m))
                .map(|m| m.to_string())
                .collect(),
            headers: set(x.headers),
            expose: x.expose,
            max_age,
        })
    }

    fn allows_origin(&self, origin: &str) -> bool {
        !origin.is_empty() && self.origins.iter().any(|o| o == "*" || wildcard(o, origin))
    }

    fn has_wildcard_origin(&self) -> bool {
        self.origins.iter().any(|o| o == "*")
    }

    fn allows_method(&self, method: &str) -> bool {
        self.methods.iter().any(|m| m == method)
    }

    /// Header names compare without regard to case.
    fn allows_header(&self, h: &str) -> bool {
        let h = h.to_ascii_lowercase();
        self.headers
            .iter()
            .any(|a| wildcard(&a.to_ascii_lowercase(), &h))
    }
}

/// A `PUT ?cors` body's rules: one at least (`MalformedXML`), 100 at most
/// (`InvalidRequest`).
pub fn rules_from_xml(rules: Vec<CorsRuleXml>) -> Result<Vec<CorsRule>> {
    if rules.is_empty() {
        return Err(Error::MalformedXml);
    }
    if rules.len() > MAX_RULES {
        return Err(Error::InvalidRequest);
    }
    rules.into_iter().map(CorsRule::from_xml).collect()
}

/// The first rule whose origins match `origin`.
pub fn rule_for<'a>(rules: &'a [CorsRule], origin: &str) -> Option<&'a CorsRule> {
    rules.iter().find(|r| r.allows_origin(origin))
}

/// The names of an `Access-Control-Request-Headers` value, as sent.
fn requested_headers(v: &str) -> impl Iterator<Item = &str> {
    v.split(',').map(str::trim).filter(|h| !h.is_empty())
}

/// The `Access-Control-*` headers (and `Vary`) of an answer, in radosgw's order.
pub fn response_headers(
    rule: &CorsRule,
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![("access-control-allow-origin", origin.to_string())];
    if origin != "*" {
        out.push(("vary", "Origin".to_string()));
    }
    if !method.is_empty() {
        out.push(("access-control-allow-methods", method.to_string()));
    }
    let allowed: Vec<&str> = request_headers
        .map(|v| {
            requested_headers(v)
                .filter(|h| rule.allows_header(h))
                .collect()
        })
        .unwrap_or_default();
    if !allowed.is_empty() {
        out.push(("access-control-allow-headers", allowed.join(",")));
    }
    if !rule.expose.is_empty() {
        out.push(("access-control-expose-headers", rule.expose.join(",")));
    }
    if let Some(age) = rule.max_age {
        out.push(("access-control-max-age", age.to_string()));
    }
    out
}

/// A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`): the headers
/// to answer with, or `None` when no rule allows it (radosgw answers `AccessDenied`).
pub fn preflight(
    rules: &[CorsRule],
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
) -> Option<Vec<(&'static str, String)>> {
    let rule = rule_for(rules, origin)?;
    if !rule.allows_method(method) {
        return None;
    }
    if let Some(v) = request_headers {
        if !requested_headers(v).all(|h| rule.allows_header(h)) {
            return None;
        }
    }
    Some(response_headers(rule, origin, method, request_headers))
}

/// An ordinary request with `Origin`: the headers to add to its answer (error or not), if
/// a rule allows it. A rule open to every origin answers `*` to unsigned requests. The
/// request's `Access-Control-Request-Headers` the rule allows are named back, as radosgw
/// does even outside a preflight.
pub fn actual(
    rules: &[CorsRule],
    origin: &str,
    method: &str,
    request_headers: Option<&str>,
    signed: bool,
) -> Option<Vec<(&'static str, String)>> {
    let rule = rule_for(rules, origin)?;
    if !rule.allows_method(method) {
        return None;
    }
    let shown = if !signed && rule.has_wildcard_origin() {
        "*"
    } else {
        origin
    };
    Some(response_headers(rule, shown, method, request_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(origins: &[&str], methods: &[&str], headers: &[&str]) -> CorsRule {
        CorsRule {
            origins: origins.iter().map(|s| s.to_string()).collect(),
            methods: methods.iter().map(|s| s.to_string()).collect(),
            headers: headers.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    /// The answers radosgw 16.2.15 gave to the same rules and requests.
    #[test]
    fn matching_as_radosgw() {
        let mut r1 = rule(
            &["http://www.example.com"],
            &["GET", "PUT"],
            &["Content-Type", "x-amz-*"],
        );
        r1.expose = vec!["ETag".into(), "x-amz-request-id".into()];
        r1.max_age = Some(3000);
        let rules = vec![
            r1,
            rule(&["http://*.wild.com"], &["GET"], &[]),
            rule(&["*"], &["HEAD"], &[]),
        ];
        let o = "http://www.example.com";
        let h = preflight(&rules, o, "PUT", Some("x-amz-meta-a, content-type")).unwrap();
        assert_eq!(
            h,
            vec![
                ("access-control-allow-origin", o.to_string()),
                ("vary", "Origin".into()),
                ("access-control-allow-methods", "PUT".into()),
                (
                    "access-control-allow-headers",
                    "x-amz-meta-a,content-type".into()
                ),
                (
                    "access-control-expose-headers",
                    "ETag,x-amz-request-id".into()
                ),
                ("access-control-max-age", "3000".into()),
            ]
        );
        assert!(preflight(&rules, o, "PUT", Some("x-other")).is_none());
        assert!(preflight(&rules, o, "DELETE", None).is_none());
        assert!(preflight(&rules, o, "get", None).is_none());
        assert!(preflight(&rules, "http://evil.com", "GET", None).is_none());
        assert!(preflight(&rules, "http://a.wild.com", "GET", None).is_some());
        assert!(preflight(&rules, "http://wild.com", "GET", None).is_none());
        // The first rule whose origin matches decides: `*` allows HEAD only.
        assert!(actual(&rules, "http://any.org", "GET", None, false).is_none());
        let star = actual(&rules, "http://any.org", "HEAD", None, false).unwrap();
        assert_eq!(star[0], ("access-control-allow-origin", "*".to_string()));
        assert!(star.iter().all(|(k, _)| *k != "vary"));
        let signed = actual(&rules, "http://any.org", "HEAD", None, true).unwrap();
        assert_eq!(signed[0].1, "http://any.org");
        assert_eq!(signed[1], ("vary", "Origin".to_string()));
        // Outside a preflight too, the allowed requested headers are named back.
        let named = actual(&rules, o, "GET", Some("x-amz-meta-a, x-other"), true).unwrap();
        assert!(named.contains(&("access-control-allow-headers", "x-amz-meta-a".to_string())));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("http://*.a.com", "http://x.y.a.com"));
        assert!(wildcard("*", ""));
        assert!(!wildcard("ab*ba", "aba"));
        assert!(wildcard("x-amz-*", "x-amz-"));
        assert!(!wildcard("x-amz-*", "x-am"));
    }
}
