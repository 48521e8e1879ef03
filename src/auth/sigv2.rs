//! AWS signature version 2 (`Authorization: AWS <access>:<base64 HMAC-SHA1>`, or the query
//! parameters `AWSAccessKeyId`, `Expires`, `Signature`), as radosgw builds its string to sign
//! (`rgw_create_s3_canonical_header` in `src/rgw/rgw_auth_s3.cc`).
//!
//! The query string is not signed beyond a fixed list of S3 sub-resources, so admin requests
//! with repeated parameter names verify under v2 where radosgw 16.2 refuses them under v4
//! (goldens 105 and 107).

use std::collections::BTreeMap;

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use hyper::header::{HeaderName, CONTENT_TYPE, DATE};
use sha1::Sha1;

use super::sigv4::is_base64_for_content_md5;
use super::AuthRequest;
use crate::clock::{parse_http_date, parse_iso8601_basic};
use crate::error::{Error, Result};
use crate::query::Query;

/// radosgw's `signed_subresources`, in its order (the order they appear in the canonical
/// resource). Of the admin sub-resources only `policy` is among them, so
/// `GET /admin/bucket?policy&bucket=b` signs `/admin/bucket?policy`.
pub const SIGNED_SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "encryption",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "policyStatus",
    "publicAccessBlock",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
    "object-lock",
];

/// `AWS <access>:<signature>` → (access, signature), split at the last `:`. No `:` →
/// `InvalidArgument` (radosgw's -EINVAL).
pub fn parse_header(auth: &str) -> Result<(&str, &str)> {
    auth.strip_prefix("AWS ")
        .and_then(|rest| rest.rsplit_once(':'))
        .ok_or(Error::InvalidArgument)
}

/// The string to sign and, for the header form, the request time it vouches for.
pub struct StringToSign {
    pub bytes: Vec<u8>,
    /// Header form: `x-amz-date`, else `Date`, seconds since the epoch. `None` when presigned
    /// (`Expires` bounds those instead).
    pub time: Option<i64>,
}

/// ```text
/// METHOD \n Content-MD5 \n Content-Type \n Date \n
/// x-amz-* headers (lower-case name, sorted, repeated values joined with ",") "name:value\n"
/// [presigned: x-amz-meta-* and x-amz-security-token query parameters, same format]
/// CanonicalResource
/// ```
/// The Date line is empty when an `x-amz-date` header is present (it is then among the
/// x-amz-* headers); presigned, it is the `Expires` parameter. A non-base64 Content-MD5, or in
/// header form a missing, unparsable or pre-1970 date → `AccessDenied`.
pub fn string_to_sign(req: &AuthRequest, presigned: bool) -> Result<StringToSign> {
    let header = |name: HeaderName| req.headers.get(name).map(|v| v.as_bytes());
    let content_md5 = header(HeaderName::from_static("content-md5")).unwrap_or_default();
    if !content_md5.iter().all(|&c| is_base64_for_content_md5(c)) {
        return Err(Error::AccessDenied);
    }
    let content_type = header(CONTENT_TYPE).unwrap_or_default();

    let (date_line, time): (&[u8], Option<i64>) = if presigned {
        let expires = req.query.get("Expires").unwrap_or_default();
        (expires.as_bytes(), None)
    } else {
        let amz_date = header(HeaderName::from_static("x-amz-date"));
        let (line, stamp): (&[u8], &[u8]) = match (amz_date, header(DATE)) {
            (Some(a), _) => (b"", a),
            (None, Some(d)) => (d, d),
            (None, None) => return Err(Error::AccessDenied),
        };
        let stamp = std::str::from_utf8(stamp).map_err(|_| Error::AccessDenied)?;
        let t = parse_http_date(stamp)
            .or_else(|| parse_iso8601_basic(stamp))
            .ok_or(Error::AccessDenied)?;
        // "bad date (predates epoch)"
        if t < 0 {
            return Err(Error::AccessDenied);
        }
        (line, Some(t))
    };

    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(req.method.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(content_md5);
    out.push(b'\n');
    out.extend_from_slice(content_type);
    out.push(b'\n');
    out.extend_from_slice(date_line);
    out.push(b'\n');
    push_amz_headers(&mut out, req);
    if presigned {
        push_amz_query(&mut out, req.query);
    }
    if !req.vhost_bucket.is_empty() {
        out.push(b'/');
        out.extend_from_slice(req.vhost_bucket.as_bytes());
    }
    out.extend_from_slice(canonical_resource(req.raw_path, req.query).as_bytes());
    Ok(StringToSign { bytes: out, time })
}

/// `x_meta_map`: every `x-amz-*` header; a repeated header's values joined with `,` (the
/// earlier value right-trimmed first, as `rgw_add_amz_meta_header` does).
fn push_amz_headers(out: &mut Vec<u8>, req: &AuthRequest) {
    let mut map: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for (name, value) in req.headers {
        let name = name.as_str();
        if !name.starts_with("x-amz-") {
            continue;
        }
        add_meta(&mut map, name, value.as_bytes());
    }
    push_map(out, &map);
}

/// `get_v2_qs_map`: presigned requests also sign their `x-amz-meta-*` and
/// `x-amz-security-token` query parameters (names lower-cased, values decoded), after the
/// headers.
fn push_amz_query(out: &mut Vec<u8>, query: &Query) {
    let mut owned: Vec<(String, &str)> = Vec::new();
    for p in query.params() {
        let lower = p.name.to_ascii_lowercase();
        if lower.starts_with("x-amz-meta-") || lower == "x-amz-security-token" {
            owned.push((lower, p.value));
        }
    }
    let mut map: BTreeMap<&str, Vec<u8>> = BTreeMap::new();
    for (name, value) in &owned {
        if name == "x-amz-security-token" {
            map.insert(name, value.as_bytes().to_vec());
        } else {
            add_meta(&mut map, name, value.as_bytes());
        }
    }
    push_map(out, &map);
}

fn add_meta<'a>(map: &mut BTreeMap<&'a str, Vec<u8>>, name: &'a str, value: &[u8]) {
    match map.get_mut(name) {
        Some(old) => {
            while old.last().is_some_and(u8::is_ascii_whitespace) {
                old.pop();
            }
            old.push(b',');
            old.extend_from_slice(value);
        }
        None => {
            map.insert(name, value.to_vec());
        }
    }
}

fn push_map(out: &mut Vec<u8>, map: &BTreeMap<&str, Vec<u8>>) {
    for (name, value) in map {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        out.extend_from_slice(value);
        out.push(b'\n');
    }
}

/// `get_canon_resource`: the path exactly as sent, then the signed sub-resources present, in
/// list order, as `?name[=value]&...` (decoded value, only when non-empty; the last
/// occurrence of a repeated name, as radosgw's map keeps).
pub fn canonical_resource(raw_path: &str, query: &Query) -> String {
    let mut out = String::with_capacity(raw_path.len() + 16);
    out.push_str(raw_path);
    let mut first = true;
    for &name in SIGNED_SUBRESOURCES {
        let Some(p) = query.params().rev().find(|p| p.name == name) else {
            continue;
        };
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(name);
        if !p.value.is_empty() {
            out.push('=');
            out.push_str(p.value);
        }
    }
    out
}

/// base64(HMAC-SHA1(secret, string to sign)).
pub fn signature(secret: &str, string_to_sign: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC-SHA1 accepts any key length");
    mac.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Compares in constant time. An empty secret is refused as radosgw's `get_v2_signature`
/// does (-EINVAL).
pub fn verify(sts: &StringToSign, secret: &str, client_signature: &str) -> Result<()> {
    if secret.is_empty() {
        return Err(Error::InvalidArgument);
    }
    let ours = signature(secret, &sts.bytes);
    if super::ct_eq(ours.as_bytes(), client_signature.as_bytes()) {
        Ok(())
    } else {
        Err(Error::SignatureDoesNotMatch)
    }
}

#[cfg(test)]
mod tests {
    use super::super::verify::tests::{admin, Keys, Req, ADMIN_AK, ADMIN_SK};
    use super::*;
    use crate::config::Compat;

    const NOW: &str = "20261123T085619Z";
    const DATE: &str = "Mon, 23 Nov 2026 08:56:19 GMT";

    fn v2(method: &str, target: &str, extra: &[(&str, &str)], sig: &str) -> Req {
        let auth = format!("AWS {ADMIN_AK}:{sig}");
        let mut h = vec![("Authorization", auth.as_str())];
        h.extend_from_slice(extra);
        Req::new(method, target, &h, NOW)
    }

    #[test]
    fn awssig_v2_header_all_levels() {
        // oracle/awssig.py sign_v2, fixed Date.
        let r = v2(
            "GET",
            "/admin/user?uid=admin",
            &[("Date", DATE)],
            "HlAiuE6h2BUO9WuqAwz5XL3cx0g=",
        );
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        // The query is not signed (only sub-resources are): another uid verifies too.
        let r = v2(
            "GET",
            "/admin/user?uid=alice",
            &[("Date", DATE)],
            "HlAiuE6h2BUO9WuqAwz5XL3cx0g=",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        let r = v2(
            "PUT",
            "/admin/user?uid=admin",
            &[("Date", DATE)],
            "HlAiuE6h2BUO9WuqAwz5XL3cx0g=",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = v2(
            "GET",
            "/admin/user?uid=admin",
            &[("Date", DATE)],
            "HlAiuE6h2BUO9WuqAwz5XL3cx0g",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    #[test]
    fn policy_sub_resource_is_signed() {
        let sig = "peJydxB6qqR9DH50tquFClh+dOE=";
        let r = v2(
            "GET",
            "/admin/bucket?policy&bucket=b1",
            &[("Date", DATE)],
            sig,
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        assert_eq!(
            canonical_resource(&r.path, &r.query),
            "/admin/bucket?policy"
        );
        let r = v2("GET", "/admin/bucket?bucket=b1", &[("Date", DATE)], sig);
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    }

    #[test]
    fn canonical_resource_order_and_values() {
        let q = Query::parse("versionId=3&uid=x&acl&response-content-type=a%2Fb&quota").unwrap();
        assert_eq!(
            canonical_resource("/b/o%20x", &q),
            "/b/o%20x?acl&response-content-type=a/b&versionId=3"
        );
        assert_eq!(
            canonical_resource("/admin/user", &Query::default()),
            "/admin/user"
        );
    }

    #[test]
    fn content_type_and_md5_are_signed() {
        let r = v2(
            "PUT",
            "/admin/metadata/user?key=alice",
            &[
                ("Date", DATE),
                ("Content-Type", "application/json"),
                ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ],
            "mr+q+5rn+Q3bdc60ORt7WL6eyOw=",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        let r = v2(
            "PUT",
            "/admin/metadata/user?key=alice",
            &[
                ("Date", DATE),
                ("Content-Type", "text/plain"),
                ("Content-MD5", "1B2M2Y8AsgTpgAmY7PhCfg=="),
            ],
            "mr+q+5rn+Q3bdc60ORt7WL6eyOw=",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
        let r = v2(
            "PUT",
            "/admin/metadata/user?key=alice",
            &[("Date", DATE), ("Content-MD5", "not*base64")],
            "mr+q+5rn+Q3bdc60ORt7WL6eyOw=",
        );
        assert_eq!(r.check(&Keys::admin()), Err(Error::AccessDenied));
    }

    #[test]
    fn x_amz_date_empties_the_date_line() {
        let r = v2(
            "GET",
            "/admin/user",
            &[
                ("x-amz-date", DATE),
                ("X-Amz-Meta-A", "1"),
                ("x-amz-meta-a", "2"),
                // Date is ignored once x-amz-date is present, even a skewed one.
                ("Date", "Mon, 23 Nov 2026 07:00:00 GMT"),
            ],
            "n4RMbakOwQHsJ/5sp449WjFg+gc=",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
        let sts = string_to_sign(&r.auth(), false).unwrap();
        assert_eq!(
            String::from_utf8(sts.bytes).unwrap(),
            format!("GET\n\n\n\nx-amz-date:{DATE}\nx-amz-meta-a:1,2\n/admin/user")
        );
    }

    #[test]
    fn header_errors() {
        let keys = Keys::admin();
        let sig = "HlAiuE6h2BUO9WuqAwz5XL3cx0g=";
        let check = |auth: &str, date: Option<&str>, now: &str| {
            let mut h = vec![("Authorization", auth)];
            if let Some(d) = date {
                h.push(("Date", d));
            }
            Req::new("GET", "/admin/user?uid=admin", &h, now).check(&keys)
        };
        let good = format!("AWS {ADMIN_AK}:{sig}");
        assert_eq!(check(&good, Some(DATE), NOW), Ok(admin()));
        assert_eq!(
            check(&format!("AWS {ADMIN_AK}"), Some(DATE), NOW),
            Err(Error::InvalidArgument)
        );
        assert_eq!(check(&good, None, NOW), Err(Error::AccessDenied));
        assert_eq!(
            check(&good, Some("yesterday"), NOW),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            check(&good, Some("Thu, 01 Jan 1960 00:00:00 GMT"), NOW),
            Err(Error::AccessDenied)
        );
        // ISO 8601 basic is a valid v2 date too (parse_iso8601 after parse_rfc2616); the
        // signature was made with the RFC 1123 form, so it fails only on the signature.
        assert_eq!(
            check(&good, Some(NOW), NOW),
            Err(Error::SignatureDoesNotMatch)
        );
        // Skew, either way, before the key lookup.
        assert_eq!(
            check(&good, Some(DATE), "20261123T091120Z"),
            Err(Error::RequestTimeTooSkewed)
        );
        assert_eq!(check(&good, Some(DATE), "20261123T091119Z"), Ok(admin()));
        assert_eq!(
            check(&good, Some(DATE), "20261123T084118Z"),
            Err(Error::RequestTimeTooSkewed)
        );
        assert_eq!(
            check(&format!("AWS NOSUCHKEY:{sig}"), Some(DATE), NOW),
            Err(Error::InvalidAccessKeyId)
        );
        assert_eq!(
            check(
                &format!("AWS NOSUCHKEY:{sig}"),
                Some(DATE),
                "20261123T101119Z"
            ),
            Err(Error::RequestTimeTooSkewed)
        );
        // A user with an empty secret cannot sign v2.
        let empty = Keys::with(&[(ADMIN_AK, "")]);
        let r = Req::new(
            "GET",
            "/admin/user",
            &[("Authorization", &good), ("Date", DATE)],
            NOW,
        );
        assert_eq!(r.check(&empty), Err(Error::InvalidArgument));
    }

    #[test]
    fn repeated_names_verify_under_v2_everywhere() {
        // Golden 107's request shape; v2 does not sign the query.
        let date = "Mon, 23 Nov 2026 08:56:19 GMT";
        let sts = format!("PUT\n\n\n{date}\n/admin/user");
        let sig = signature(ADMIN_SK, sts.as_bytes());
        let r = v2(
            "PUT",
            "/admin/user?subuser&uid=alice&subuser=alice:v2sub&access=write",
            &[("Date", date)],
            &sig,
        );
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
    }

    #[test]
    fn presigned_v2() {
        // As capture.py builds `v2-presigned` (Expires = now + 300).
        let url = "/admin/user?uid=admin&AWSAccessKeyId=ADMINACCESSKEY0000000\
                   &Expires=1795424479&Signature=0VeqtDPyoH4Iwwd038D4ljIx8j4%3D";
        let r = Req::new("GET", url, &[], NOW);
        for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
        }
        // Expired at `now >= Expires`; no skew check for presigned requests.
        assert_eq!(
            r.clone_at("20261123T090118Z").check(&Keys::admin()),
            Ok(admin())
        );
        assert_eq!(
            r.clone_at("20261123T090119Z").check(&Keys::admin()),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            r.clone_at("20261120T000000Z").check(&Keys::admin()),
            Ok(admin())
        );
        let check = |url: String| Req::new("GET", &url, &[], NOW).check(&Keys::admin());
        // Expires is the Date line: changing it breaks the signature.
        assert_eq!(
            check(url.replace("1795424479", "1795424480")),
            Err(Error::SignatureDoesNotMatch)
        );
        assert_eq!(
            check(url.replace("&Expires=1795424479", "")),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            check(url.replace("Expires=1795424479", "Expires=")),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            check(url.replace("Expires=1795424479", "Expires=soon")),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            check(url.replace("ADMINACCESSKEY0000000", "NOSUCHKEY")),
            Err(Error::InvalidAccessKeyId)
        );
        assert_eq!(
            check(url.replace("&Signature=0VeqtDPyoH4Iwwd038D4ljIx8j4%3D", "")),
            Err(Error::SignatureDoesNotMatch)
        );
    }

    #[test]
    fn presigned_v2_signs_meta_and_token_params() {
        let q = "AWSAccessKeyId=ADMINACCESSKEY0000000&Expires=1795424479\
                 &X-Amz-Meta-B=2&x-amz-meta-b=3&x-amz-security-token=t%2B&x-amz-other=no";
        let r = Req::new("GET", &format!("/b/o?{q}"), &[("x-amz-meta-a", "1")], NOW);
        let sts = string_to_sign(&r.auth(), true).unwrap();
        assert_eq!(
            String::from_utf8(sts.bytes.clone()).unwrap(),
            "GET\n\n\n1795424479\nx-amz-meta-a:1\nx-amz-meta-b:2,3\nx-amz-security-token:t+\n/b/o"
        );
        let sig = signature(ADMIN_SK, &sts.bytes);
        let signed = format!(
            "/b/o?{q}&Signature={}",
            sig.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        let r = Req::new("GET", &signed, &[("x-amz-meta-a", "1")], NOW);
        assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    }

    impl Req {
        fn clone_at(&self, now: &str) -> Req {
            Req {
                method: self.method.clone(),
                path: self.path.clone(),
                query: self.query.clone(),
                headers: self.headers.clone(),
                body: self.body.clone(),
                now: super::super::verify::tests::at(now),
                compat: self.compat,
            }
        }
    }
}
