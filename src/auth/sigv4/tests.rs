use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
use super::super::Identity;
use std::sync::Arc;

use hyper::header::{HeaderName, HeaderValue};

use super::key_cache::{cache_id, entry_cost, key_cache, CachedKey, KeyCache};
use super::*;
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::query::Query;

const T: &str = "20261123T085619Z";
const HOST: &str = "127.0.0.1:7480";

fn v4_auth(ak: &str, scope: &str, signed: &str, sig: &str) -> String {
    format!("AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={signed}, Signature={sig}")
}

/// AWS's published IAM example (`GET /?Action=ListUsers&Version=2010-05-08`).
fn iam_example() -> Req {
    Req::new(
        "GET",
        "/?Action=ListUsers&Version=2010-05-08",
        &[
            ("Host", "iam.amazonaws.com"),
            (
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            ),
            ("X-Amz-Date", "20150830T123600Z"),
            (
                "Authorization",
                &v4_auth(
                    "AKIDEXAMPLE",
                    "20150830/us-east-1/iam/aws4_request",
                    "content-type;host;x-amz-date",
                    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
                ),
            ),
        ],
        "20150830T123600Z",
    )
}

#[test]
fn aws_iam_example_derivation_and_signature() {
    let secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    let key = derive_signing_key(secret, "20150830", "us-east-1", "iam");
    assert_eq!(
        hex::encode(key),
        "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
    );
    let r = iam_example();
    let headers = canonical_headers(&r.headers, "content-type;host;x-amz-date").unwrap();
    let creq = canonical_request(
        "GET",
        &canonical_uri(""),
        &canonical_query(&r.query, QueryForm::Aws, false),
        &headers,
        "content-type;host;x-amz-date",
        EMPTY_SHA256.as_bytes(),
    );
    assert_eq!(
        sha256_hex(&creq),
        "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
    );
    let sts = string_to_sign(
        "20150830T123600Z",
        "20150830/us-east-1/iam/aws4_request",
        &creq,
    );
    assert_eq!(
        signature(&key, &sts),
        "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
    );
    // The client hashed the empty body without sending x-amz-content-sha256: Reef
    // accepts, radosgw 16.2 puts UNSIGNED-PAYLOAD in the canonical request and refuses.
    let keys = Keys::with(&[("AKIDEXAMPLE", secret)]);
    assert_eq!(r.check(&keys), Ok(Identity::Key("AKIDEXAMPLE".to_string())));
    assert_eq!(
        r.check_at(&keys, Compat::Pacific),
        Err(Error::SignatureDoesNotMatch)
    );
}

#[test]
fn aws_s3_get_object_example() {
    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    let r = Req::new(
        "GET",
        "/test.txt",
        &[
            ("Host", "examplebucket.s3.amazonaws.com"),
            ("Range", "bytes=0-9"),
            ("x-amz-content-sha256", EMPTY_SHA256),
            ("x-amz-date", "20130524T000000Z"),
            (
                "Authorization",
                &v4_auth(
                    "AKIAIOSFODNN7EXAMPLE",
                    "20130524/us-east-1/s3/aws4_request",
                    "host;range;x-amz-content-sha256;x-amz-date",
                    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
                ),
            ),
        ],
        "20130524T000500Z",
    );
    let keys = Keys::with(&[("AKIAIOSFODNN7EXAMPLE", secret)]);
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(
            r.check_at(&keys, c),
            Ok(Identity::Key("AKIAIOSFODNN7EXAMPLE".to_string()))
        );
    }
}

/// botocore S3SigV4Auth, fixed time (as capture.py signs `v4` fixtures).
fn boto(target: &str, sig: &str) -> Req {
    Req::new(
        "GET",
        target,
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            ("X-Amz-Content-SHA256", EMPTY_SHA256),
            (
                "Authorization",
                &v4_auth(
                    ADMIN_AK,
                    "20261123/us-east-1/s3/aws4_request",
                    "host;x-amz-content-sha256;x-amz-date",
                    sig,
                ),
            ),
        ],
        T,
    )
}

/// What AWS binds and radosgw does not (security review: unsigned headers, scope date,
/// the `Authorization` syntax): each variant of a valid request is refused before the
/// signature is computed.
#[test]
fn unsigned_headers_scope_date_and_syntax_are_refused() {
    let sig = "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b";
    let valid = || boto("/admin/user?uid=admin", sig);
    assert_eq!(valid().check(&Keys::admin()), Ok(admin()));
    for (name, value) in [
        ("x-amz-acl", "public-read"),
        ("x-amz-meta-a", "b"),
        ("x-amz-copy-source", "/b/k"),
        ("X-Amz-Security-Token", "t"),
    ] {
        let mut r = valid();
        r.headers.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        for c in [Compat::Pacific, Compat::Reef] {
            assert_eq!(
                r.check_at(&Keys::admin(), c),
                Err(Error::AccessDenied),
                "{name}"
            );
        }
    }
    // An unsigned header that is not x-amz-* is still allowed (proxies add them).
    let mut r = valid();
    r.headers
        .insert("x-forwarded-for", HeaderValue::from_static("10.0.0.1"));
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    let with_auth = |auth: String| {
        let mut r = valid();
        r.headers
            .insert("authorization", HeaderValue::from_str(&auth).unwrap());
        r.check(&Keys::admin())
    };
    let scope = "20261123/us-east-1/s3/aws4_request";
    let signed = "host;x-amz-content-sha256;x-amz-date";
    // Host not signed.
    assert_eq!(
        with_auth(v4_auth(
            ADMIN_AK,
            scope,
            "x-amz-content-sha256;x-amz-date",
            sig
        )),
        Err(Error::AccessDenied)
    );
    // A scope dated another day than the request.
    assert_eq!(
        with_auth(v4_auth(
            ADMIN_AK,
            "20261122/us-east-1/s3/aws4_request",
            signed,
            sig
        )),
        Err(Error::AccessDenied)
    );
    // No space after the algorithm, as radosgw parses it.
    let squeezed = v4_auth(ADMIN_AK, scope, signed, sig).replacen(' ', "", 1);
    assert!(squeezed.starts_with("AWS4-HMAC-SHA256Credential="));
    assert_eq!(with_auth(squeezed), Err(Error::AccessDenied));
}

#[test]
fn botocore_header_signature_all_levels() {
    let r = boto(
        "/admin/user?uid=admin",
        "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
    );
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
    }
    // Any changed byte of the request or of the signature fails.
    let r = boto(
        "/admin/user?uid=admim",
        "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    let r = boto(
        "/admin/user?uid=admin",
        "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41c",
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    let r = boto(
        "/admin/user?uid=admin",
        "0F9FAF5E52A61144D93B95ED48640229002979ECB82A2DDA3AA692968A7BF41B",
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    let wrong = Keys::with(&[(ADMIN_AK, "adminsecretkey00000000000000000000000001")]);
    let r = boto(
        "/admin/user?uid=admin",
        "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b",
    );
    assert_eq!(r.check(&wrong), Err(Error::SignatureDoesNotMatch));
}

/// Golden 105: botocore signs both `subuser` pairs; radosgw 16.2 keeps the last only.
#[test]
fn repeated_names_fail_before_reef() {
    let mut r = boto(
        "/admin/user?subuser&uid=alice&subuser=alice%3Aswift&access=full&key-type=swift\
         &secret-key=aliceswiftsecret0000000000000000000000",
        "eb0b068d16c164731a1f05275c6a51d87f99962c6282f1089ef8ee5f3fe223b3",
    );
    r.method = "PUT".into();
    assert_eq!(r.check_at(&Keys::admin(), Compat::Reef), Ok(admin()));
    for c in [Compat::Pacific, Compat::Quincy] {
        assert_eq!(
            r.check_at(&Keys::admin(), c),
            Err(Error::SignatureDoesNotMatch)
        );
    }
    // Dropping the bare pair is a different request.
    let mut r2 = boto(
        "/admin/user?uid=alice&subuser=alice%3Aswift&access=full&key-type=swift\
         &secret-key=aliceswiftsecret0000000000000000000000",
        "eb0b068d16c164731a1f05275c6a51d87f99962c6282f1089ef8ee5f3fe223b3",
    );
    r2.method = "PUT".into();
    assert_eq!(r2.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
}

#[test]
fn pacific_canonical_query_keeps_last_value_per_name() {
    let q = Query::parse("subuser&uid=a&subuser=a:x&b=2&b=1").unwrap();
    assert_eq!(
        canonical_query(&q, QueryForm::LastPerName, false),
        "b=1&subuser=a%3Ax&uid=a"
    );
    assert_eq!(
        canonical_query(&q, QueryForm::Aws, false),
        "b=1&b=2&subuser=&subuser=a%3Ax&uid=a"
    );
}

#[test]
fn query_encoding_variants() {
    let q =
        Query::parse("uid=bob&display-name=Bob+B%21&caps&user-caps=users=read;b=*&p=a/b").unwrap();
    assert_eq!(
        canonical_query(&q, QueryForm::Aws, false),
        "caps=&display-name=Bob%20B%21&p=a%2Fb&uid=bob&user-caps=users%3Dread%3Bb%3D%2A"
    );
    assert_eq!(
        canonical_query(&q, QueryForm::Raw, false),
        "uid=bob&display-name=Bob+B%21&caps&user-caps=users=read;b=*&p=a/b"
    );
    assert_eq!(
        canonical_query(&q, QueryForm::UrlOrder, false),
        "uid=bob&display-name=Bob%20B%21&caps=&user-caps=users%3Dread%3Bb%3D%2A&p=a%2Fb"
    );
    assert_eq!(
        canonical_query(&q, QueryForm::DoubleEncoded, false),
        "caps=&display-name=Bob%2BB%2521&p=a%2Fb&uid=bob&user-caps=users%3Dread%3Bb%3D%2A"
    );
    let q = Query::parse("a=1&X-Amz-Signature=abc&x-amz-signature=d").unwrap();
    assert_eq!(canonical_query(&q, QueryForm::Aws, true), "a=1");
    assert_eq!(
        canonical_query(&q, QueryForm::Aws, false),
        "X-Amz-Signature=abc&a=1&x-amz-signature=d"
    );
    assert_eq!(
        canonical_query(&Query::default(), QueryForm::Aws, false),
        ""
    );
}

#[test]
fn canonical_uri_recodes() {
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/admin/user"), "/admin/user");
    assert_eq!(canonical_uri("/b/a%20b"), "/b/a%20b");
    assert_eq!(canonical_uri("/b/a b!"), "/b/a%20b%21");
    assert_eq!(canonical_uri("/b/%7euser"), "/b/~user");
    assert_eq!(canonical_uri("/b/a+b"), "/b/a%2Bb");
    assert_eq!(canonical_uri("/b/100%"), "/b/100%25");
}

/// botocore's S3 signer signs the path as sent; AWS's rule and Reef radosgw re-encode it.
/// Both are accepted at every level, since they differ only for unusual paths.
#[test]
fn path_signed_as_sent_or_re_encoded() {
    let scope = "20261123/us-east-1/s3/aws4_request";
    let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
    let headers = format!("host:{HOST}\nx-amz-date:{T}\n");
    for signed_path in ["/b/~a!b+c", "/b/~a%21b%2Bc", "/b/~a!b%20c"] {
        let creq = canonical_request(
            "GET",
            signed_path,
            "",
            headers.as_bytes(),
            "host;x-amz-date",
            UNSIGNED_PAYLOAD.as_bytes(),
        );
        let sig = signature(&key, &string_to_sign(T, scope, &creq));
        let auth = v4_auth(ADMIN_AK, scope, "host;x-amz-date", &sig);
        let r = Req::new(
            "GET",
            "/b/~a!b+c",
            &[("Host", HOST), ("X-Amz-Date", T), ("Authorization", &auth)],
            T,
        );
        let want = if signed_path == "/b/~a!b%20c" {
            // A '+' in a path is a plus sign (key `~a!b+c`): a signature of `~a!b c` is not
            // its signature, though radosgw 16.2 signs a '+' as `%20`.
            Err(Error::SignatureDoesNotMatch)
        } else {
            Ok(admin())
        };
        for c in [Compat::Pacific, Compat::Reef] {
            assert_eq!(r.check_at(&Keys::admin(), c), want, "{signed_path} {c:?}");
        }
    }
}

#[test]
fn canonical_headers_trim_join_and_skip() {
    let r = Req::new(
        "GET",
        "/",
        &[
            ("Host", HOST),
            ("X-Amz-Meta-A", "  one   two  "),
            ("x-amz-meta-a", "three"),
        ],
        T,
    );
    let h = canonical_headers(&r.headers, "host;X-Amz-Meta-A;missing;;bad name").unwrap();
    assert_eq!(
        String::from_utf8(h).unwrap(),
        "host:127.0.0.1:7480\nx-amz-meta-a:one two,three\n"
    );
    let r = Req::new("PUT", "/", &[("Content-MD5", "a$b")], T);
    assert_eq!(
        canonical_headers(&r.headers, "content-md5"),
        Err(Error::AccessDenied)
    );
}

/// botocore SigV4Auth sends no x-amz-content-sha256 and signs sha256(body) (golden 014).
#[test]
fn missing_payload_header_pacific_unsigned_only_reef_body_hash_too() {
    let get = Req::new(
        "GET",
        "/admin/user?uid=admin",
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            (
                "Authorization",
                &v4_auth(
                    ADMIN_AK,
                    "20261123/us-east-1/s3/aws4_request",
                    "host;x-amz-date",
                    "fcd446a8b5802969b88a18d992f242709ee9da81ed6afb616bd86ccf5bf4fbf8",
                ),
            ),
        ],
        T,
    );
    assert_eq!(get.check_at(&Keys::admin(), Compat::Reef), Ok(admin()));
    for c in [Compat::Pacific, Compat::Quincy] {
        assert_eq!(
            get.check_at(&Keys::admin(), c),
            Err(Error::SignatureDoesNotMatch)
        );
    }
    let put = Req::new(
        "PUT",
        "/admin/user?quota&uid=alice&quota-type=user",
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            (
                "Authorization",
                &v4_auth(
                    ADMIN_AK,
                    "20261123/us-east-1/s3/aws4_request",
                    "host;x-amz-date",
                    "f15c6799749050600862fab26a9ca203597db6491b47453ac75be717a725e968",
                ),
            ),
        ],
        T,
    )
    .body(br#"{"enabled":true}"#);
    assert_eq!(put.check(&Keys::admin()), Ok(admin()));
    // The body is bound: another body fails.
    let other = Req {
        body: br#"{"enabled":false}"#.to_vec(),
        ..put
    };
    assert_eq!(
        other.check(&Keys::admin()),
        Err(Error::SignatureDoesNotMatch)
    );
}

/// go-ceph (aws-sdk-go-v2) signs UNSIGNED-PAYLOAD and sends no header: every level.
#[test]
fn missing_payload_header_unsigned_accepted_everywhere() {
    let creq_headers = format!("host:{HOST}\nx-amz-date:{T}\n");
    let q = Query::parse("format=json&uid=admin").unwrap();
    let creq = canonical_request(
        "GET",
        "/admin/user",
        &canonical_query(&q, QueryForm::Aws, false),
        creq_headers.as_bytes(),
        "host;x-amz-date",
        UNSIGNED_PAYLOAD.as_bytes(),
    );
    let scope = "20261123/default/s3/aws4_request";
    let key = derive_signing_key(ADMIN_SK, "20261123", "default", "s3");
    let sig = signature(&key, &string_to_sign(T, scope, &creq));
    let r = Req::new(
        "GET",
        "/admin/user?uid=admin&format=json",
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            (
                "Authorization",
                &v4_auth(ADMIN_AK, scope, "host;x-amz-date", &sig),
            ),
        ],
        T,
    );
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
    }
}

/// curl 7.88.1 `--aws-sigv4 "aws:amz:us-east-1:s3"`, captured on the wire: no
/// x-amz-content-sha256, sha256(body) signed, query signed exactly as sent.
fn curl(method: &str, target: &str, sig: &str) -> Req {
    Req::new(
        method,
        target,
        &[
            ("Host", "127.0.0.1:17999"),
            ("X-Amz-Date", "20261124T184535Z"),
            ("User-Agent", "curl/7.88.1"),
            ("Accept", "*/*"),
            (
                "Authorization",
                &v4_auth(
                    ADMIN_AK,
                    "20261124/us-east-1/s3/aws4_request",
                    "host;x-amz-date",
                    sig,
                ),
            ),
        ],
        "20261124T184600Z",
    )
}

#[test]
fn curl_7_raw_query_accepted_only_in_reef() {
    let r = curl(
        "GET",
        "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
         &user-caps=users=*;buckets=read",
        "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
    );
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    for c in [Compat::Pacific, Compat::Quincy] {
        assert_eq!(
            r.check_at(&Keys::admin(), c),
            Err(Error::SignatureDoesNotMatch)
        );
    }
    // Any altered parameter still fails.
    let r = curl(
        "GET",
        "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
         &user-caps=users=*;buckets=*",
        "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    let r = curl(
        "GET",
        "/admin/user?uid=alice&subuser&subuser=alice:swift&display-name=A%20B\
         &user-caps=users=*;buckets=read",
        "75be65e2959e7c42f590be87657db044e45a51302dadf4159e779cc0fec94b6c",
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    // With a body: sha256(body) is what curl signs.
    let r = curl(
        "PUT",
        "/admin/user?quota&uid=alice&quota-type=user",
        "8ea7bf5ca836dc008273933704da26845148c9290f9ce6595001e5365f8b9ded",
    )
    .body(br#"{"a":1}"#);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert_eq!(
        r.check_at(&Keys::admin(), Compat::Pacific),
        Err(Error::SignatureDoesNotMatch)
    );
    let r = Req {
        body: br#"{"a":2}"#.to_vec(),
        ..r
    };
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
}

/// The URL-order variant: pairs re-encoded but not sorted.
#[test]
fn url_order_variant_accepted_only_in_reef() {
    let target = "/admin/user?uid=bob&caps&user-caps=usage%3Dread";
    let q = Query::parse(target.split_once('?').unwrap().1).unwrap();
    let cq = canonical_query(&q, QueryForm::UrlOrder, false);
    assert_eq!(cq, "uid=bob&caps=&user-caps=usage%3Dread");
    let headers = format!("host:{HOST}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{T}\n");
    let creq = canonical_request(
        "PUT",
        "/admin/user",
        &cq,
        headers.as_bytes(),
        "host;x-amz-content-sha256;x-amz-date",
        EMPTY_SHA256.as_bytes(),
    );
    let scope = "20261123/us-east-1/s3/aws4_request";
    let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
    let sig = signature(&key, &string_to_sign(T, scope, &creq));
    let mut r = boto(target, &sig);
    r.method = "PUT".into();
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert_eq!(
        r.check_at(&Keys::admin(), Compat::Quincy),
        Err(Error::SignatureDoesNotMatch)
    );
    let mut r = boto("/admin/user?uid=bob&caps&user-caps=usage%3Dwrite", &sig);
    r.method = "PUT".into();
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
}

/// awscurl 0.44 (its `make_request`, captured on the wire): on-wire text encoded again and
/// sorted by on-wire text (`x=a:b` before `x=a9` only after encoding).
fn awscurl(method: &str, target: &str, sha: &str, sig: &str) -> Req {
    Req::new(
        method,
        target,
        &[
            ("Host", "127.0.0.1:17999"),
            ("Accept", "application/xml"),
            ("Content-Type", "application/json"),
            ("x-amz-date", "20261124T184614Z"),
            ("x-amz-content-sha256", sha),
            (
                "Authorization",
                &v4_auth(
                    ADMIN_AK,
                    "20261124/us-east-1/s3/aws4_request",
                    "content-type;host;x-amz-content-sha256;x-amz-date",
                    sig,
                ),
            ),
        ],
        "20261124T184614Z",
    )
}

#[test]
fn awscurl_double_encoding_accepted_only_in_reef_and_only_without_escapes() {
    // Captured with an escape (`A%20B` signed as `A%2520B`): refused everywhere, since the
    // same signature is the standard one of `display-name=A%2520B` (the text `A%20B`).
    let target = "/admin/user?subuser&uid=alice&subuser=alice:swift&display-name=A%20B\
                  &x=a:b&x=a9";
    let sig = "7d99a9bb5e5b98e7523e7e1fcf4501f99756f11166522d7846d10b46e8c71924";
    let r = awscurl("GET", target, EMPTY_SHA256, sig);
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(
            r.check_at(&Keys::admin(), c),
            Err(Error::SignatureDoesNotMatch)
        );
    }
    // Without an escape, its only difference is the order (sorted by on-wire text).
    let target = "/admin/user?subuser&uid=alice&subuser=alice:swift&x=a:b&x=a9";
    let scope = "20261124/us-east-1/s3/aws4_request";
    let signed = "content-type;host;x-amz-content-sha256;x-amz-date";
    let headers = format!(
        "content-type:application/json\nhost:127.0.0.1:17999\n\
         x-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:20261124T184614Z\n"
    );
    let creq = canonical_request(
        "GET",
        "/admin/user",
        "subuser=&subuser=alice%3Aswift&uid=alice&x=a9&x=a%3Ab",
        headers.as_bytes(),
        signed,
        EMPTY_SHA256.as_bytes(),
    );
    let key = derive_signing_key(ADMIN_SK, "20261124", "us-east-1", "s3");
    let sig = signature(&key, &string_to_sign("20261124T184614Z", scope, &creq));
    let r = awscurl("GET", target, EMPTY_SHA256, &sig);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    for c in [Compat::Pacific, Compat::Quincy] {
        assert_eq!(
            r.check_at(&Keys::admin(), c),
            Err(Error::SignatureDoesNotMatch)
        );
    }
    let altered = target.replace("a9", "a8");
    let r = awscurl("GET", &altered, EMPTY_SHA256, &sig);
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    let r = awscurl("POST", target, EMPTY_SHA256, &sig);
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    // A query without anything to double-encode is standard SigV4 everywhere.
    let r = awscurl(
        "PUT",
        "/admin/user?quota&uid=alice&quota-type=user",
        "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862",
        "ae299896377020696574f3a5d07e69988724ca21f245f9bd438f94995c211b99",
    )
    .body(br#"{"a":1}"#);
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
    }
    // Signed hash of one body, another body sent: the signature holds, the hash does not.
    let r = Req {
        body: br#"{"a":2}"#.to_vec(),
        ..r
    };
    assert_eq!(r.check(&Keys::admin()), Err(Error::ContentSha256Mismatch));
}

/// awssig.sign_v4 (capture.py's `v4own`): repeated names, a bare name, encoded values.
#[test]
fn awssig_own_signer_and_plus_for_space() {
    let sig = "a6417e1eea6866caa288dbc3ab330d9abecefe29b4ad89c8f768fb6629327c6f";
    for target in [
        "/admin/user?uid=bob&display-name=Bob%20B&caps&user-caps=users%3Dread%3Bbuckets%3D%2A",
        // go's url.Values writes a space as '+'; raw '=' ';' '*' as rgwadmin sends them.
        "/admin/user?uid=bob&display-name=Bob+B&caps&user-caps=users=read;buckets=*",
    ] {
        let mut r = boto(target, sig);
        r.method = "PUT".into();
        assert_eq!(r.check(&Keys::admin()), Ok(admin()), "{target}");
        assert_eq!(
            r.check_at(&Keys::admin(), Compat::Pacific),
            Ok(admin()),
            "{target}"
        );
    }
}

#[test]
fn presigned_botocore() {
    let url = "/admin/user?uid=admin&X-Amz-Algorithm=AWS4-HMAC-SHA256\
               &X-Amz-Credential=ADMINACCESSKEY0000000%2F20261123%2Fus-east-1%2Fs3%2Faws4_request\
               &X-Amz-Date=20261123T085619Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host\
               &X-Amz-Signature=a28d3021db0fcf8bacd3deee3ed1e9252c66dd51031e9045a721628f8f3d8d95";
    let r = Req::new("GET", url, &[("Host", HOST)], T);
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
    }
    // Valid until date + expires, exclusive; a date in the future only within the skew
    // (radosgw takes any future date, so such a URL would never expire).
    assert_eq!(r.now_check("20261123T090118Z"), Ok(admin()));
    assert_eq!(r.now_check("20261123T090119Z"), Err(Error::AccessDenied));
    assert_eq!(r.now_check("20261123T084119Z"), Ok(admin()));
    assert_eq!(r.now_check("20261123T084118Z"), Err(Error::AccessDenied));
    assert_eq!(r.now_check("20261122T000000Z"), Err(Error::AccessDenied));
    // A changed parameter fails.
    let r = Req::new(
        "GET",
        &url.replace("uid=admin", "uid=alice"),
        &[("Host", HOST)],
        T,
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
    // X-Amz-* names in any case are found (radosgw lower-cases them); the names are
    // signed as sent.
    let unsigned = "/admin/user?uid=admin&x-amz-algorithm=AWS4-HMAC-SHA256\
                    &x-amz-credential=ADMINACCESSKEY0000000%2F20261123%2Fdefault%2Fs3%2Faws4_request\
                    &x-amz-date=20261123T085619Z&x-amz-expires=60&x-amz-signedheaders=host";
    let q = Query::parse(unsigned.split_once('?').unwrap().1).unwrap();
    let creq = canonical_request(
        "GET",
        "/admin/user",
        &canonical_query(&q, QueryForm::Aws, true),
        format!("host:{HOST}\n").as_bytes(),
        "host",
        UNSIGNED_PAYLOAD.as_bytes(),
    );
    let key = derive_signing_key(ADMIN_SK, "20261123", "default", "s3");
    let sts = string_to_sign(T, "20261123/default/s3/aws4_request", &creq);
    let signed = format!("{unsigned}&x-amz-signature={}", signature(&key, &sts));
    let r = Req::new("GET", &signed, &[("Host", HOST)], T);
    for c in [Compat::Pacific, Compat::Quincy, Compat::Reef] {
        assert_eq!(r.check_at(&Keys::admin(), c), Ok(admin()));
    }
    let r = Req::new(
        "GET",
        &signed.replace("expires=60", "expires=61"),
        &[("Host", HOST)],
        T,
    );
    assert_eq!(r.check(&Keys::admin()), Err(Error::SignatureDoesNotMatch));
}

impl Req {
    fn now_check(&self, now: &str) -> Result<Identity> {
        let mut a = self.auth();
        a.now = at(now);
        crate::auth::authenticate(&a, &Keys::admin())
    }
}

#[test]
fn presigned_errors() {
    let base = "/admin/user?X-Amz-Algorithm=AWS4-HMAC-SHA256\
                &X-Amz-Credential=ADMINACCESSKEY0000000%2F20261123%2Fus-east-1%2Fs3%2Faws4_request\
                &X-Amz-Date=20261123T085619Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host\
                &X-Amz-Signature=00";
    let keys = Keys::admin();
    let check = |url: String| Req::new("GET", &url, &[("Host", HOST)], T).check(&keys);
    assert_eq!(check(base.to_string()), Err(Error::SignatureDoesNotMatch));
    for (from, to) in [
        ("X-Amz-Expires=300", "X-Amz-Expires=0"),
        ("X-Amz-Expires=300", "X-Amz-Expires=604801"),
        ("X-Amz-Expires=300", "X-Amz-Expires=abc"),
        ("X-Amz-Expires=300", "X-Amz-Expires="),
        ("&X-Amz-Expires=300", ""),
        ("X-Amz-Date=20261123T085619Z", "X-Amz-Date=2026-11-23"),
        ("&X-Amz-Date=20261123T085619Z", ""),
        ("&X-Amz-SignedHeaders=host", ""),
        ("X-Amz-Signature=00", "X-Amz-Signature="),
        ("X-Amz-Credential=", "X-Amz-Credentia="),
        ("%2Faws4_request", "%2Faws4"),
        ("%2Fs3%2Faws4_request", "%2Faws4_request"),
    ] {
        assert_eq!(
            check(base.replace(from, to)),
            Err(Error::AccessDenied),
            "{to}"
        );
    }
    // A week is the longest lifetime, and still valid.
    assert_eq!(
        check(base.replace("X-Amz-Expires=300", "X-Amz-Expires=604800")),
        Err(Error::SignatureDoesNotMatch)
    );
    assert_eq!(
        check(base.replace("ADMINACCESSKEY0000000", "NOSUCHKEY")),
        Err(Error::InvalidAccessKeyId)
    );
}

#[test]
fn header_errors() {
    let keys = Keys::admin();
    let scope = "20261123/us-east-1/s3/aws4_request";
    let check = |auth: &str, date: Option<(&str, &str)>, now: &str| {
        let mut h = vec![("Host", HOST), ("Authorization", auth)];
        h.extend(date);
        Req::new("GET", "/admin/user?uid=admin", &h, now).check(&keys)
    };
    let good = v4_auth(ADMIN_AK, scope, "host;x-amz-date", "00");
    let xd = Some(("X-Amz-Date", T));
    assert_eq!(check(&good, xd, T), Err(Error::SignatureDoesNotMatch));
    // Malformed header.
    for bad in [
        format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, SignedHeaders=host"),
        format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, Signature=00"),
        "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00".to_string(),
        format!("AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{scope}, SignedHeaders, Signature=0"),
        "AWS4-HMAC-SHA256".to_string(),
        v4_auth(ADMIN_AK, "20261123/us-east-1/s3", "host", "00"),
        v4_auth(ADMIN_AK, "20261123/us-east-1/s3/aws4_requesx", "host", "00"),
        v4_auth(
            ADMIN_AK,
            "20261123/us-east-1/s3/x/aws4_request",
            "host",
            "00",
        ),
    ] {
        assert_eq!(check(&bad, xd, T), Err(Error::AccessDenied), "{bad}");
    }
    // Date missing or unparsable; x-amz-date wins over Date and has no fallback.
    assert_eq!(check(&good, None, T), Err(Error::AccessDenied));
    assert_eq!(
        check(
            &good,
            Some(("X-Amz-Date", "Mon, 23 Nov 2026 08:56:19 GMT")),
            T
        ),
        Err(Error::AccessDenied)
    );
    assert_eq!(
        check(&good, Some(("Date", T)), T),
        Err(Error::SignatureDoesNotMatch)
    );
    // Skew: checked before the key is looked up, like radosgw.
    assert_eq!(
        check(&good, xd, "20261123T091120Z"),
        Err(Error::RequestTimeTooSkewed)
    );
    assert_eq!(
        check(&good, xd, "20261123T084118Z"),
        Err(Error::RequestTimeTooSkewed)
    );
    assert_eq!(
        check(&good, xd, "20261123T091119Z"),
        Err(Error::SignatureDoesNotMatch)
    );
    let unknown = v4_auth("NOSUCHKEY", scope, "host;x-amz-date", "00");
    assert_eq!(check(&unknown, xd, T), Err(Error::InvalidAccessKeyId));
    assert_eq!(
        check(&unknown, xd, "20261123T101119Z"),
        Err(Error::RequestTimeTooSkewed)
    );
    // Skew wins over a malformed credential too (radosgw checks the date first).
    let bad_cred = v4_auth(ADMIN_AK, "20261123/us-east-1/s3", "host", "00");
    assert_eq!(
        check(&bad_cred, xd, "20261123T101119Z"),
        Err(Error::RequestTimeTooSkewed)
    );
}

#[test]
fn rfc1123_date_header_only_in_reef() {
    let date = "Mon, 23 Nov 2026 08:56:19 GMT";
    let scope = "20261123/us-east-1/s3/aws4_request";
    let headers = format!("date:{date}\nhost:{HOST}\n");
    let creq = canonical_request(
        "GET",
        "/admin/user",
        "uid=admin",
        headers.as_bytes(),
        "date;host",
        UNSIGNED_PAYLOAD.as_bytes(),
    );
    let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
    let sig = signature(&key, &string_to_sign(T, scope, &creq));
    let r = Req::new(
        "GET",
        "/admin/user?uid=admin",
        &[
            ("Host", HOST),
            ("Date", date),
            (
                "Authorization",
                &v4_auth(ADMIN_AK, scope, "date;host", &sig),
            ),
        ],
        T,
    );
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert_eq!(
        r.check_at(&Keys::admin(), Compat::Pacific),
        Err(Error::AccessDenied)
    );
}

#[test]
fn content_sha256_mismatch_only_after_signature() {
    let body = b"{\"x\":1}";
    let wrong_hash = sha256_hex(b"other");
    let headers = format!("host:{HOST}\nx-amz-content-sha256:{wrong_hash}\nx-amz-date:{T}\n");
    let creq = canonical_request(
        "PUT",
        "/admin/user",
        "uid=a",
        headers.as_bytes(),
        "host;x-amz-content-sha256;x-amz-date",
        wrong_hash.as_bytes(),
    );
    let scope = "20261123/us-east-1/s3/aws4_request";
    let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
    let sig = signature(&key, &string_to_sign(T, scope, &creq));
    let mk = |sig: &str| {
        Req::new(
            "PUT",
            "/admin/user?uid=a",
            &[
                ("Host", HOST),
                ("X-Amz-Date", T),
                ("X-Amz-Content-SHA256", &wrong_hash),
                (
                    "Authorization",
                    &v4_auth(ADMIN_AK, scope, "host;x-amz-content-sha256;x-amz-date", sig),
                ),
            ],
            T,
        )
        .body(body)
    };
    assert_eq!(
        mk(&sig).check(&Keys::admin()),
        Err(Error::ContentSha256Mismatch)
    );
    assert_eq!(
        mk("00").check(&Keys::admin()),
        Err(Error::SignatureDoesNotMatch)
    );
    assert!(payload_is_hashed(&mk(&sig).headers));
    let r = Req::new("PUT", "/", &[("x-amz-content-sha256", UNSIGNED_PAYLOAD)], T);
    assert!(!payload_is_hashed(&r.headers));
    assert!(!payload_is_hashed(&Req::new("PUT", "/", &[], T).headers));
}

#[test]
fn signing_key_cache_follows_secret_changes() {
    let ak = "CACHETESTKEY00000001";
    let s1: Arc<str> = Arc::from("secret-one");
    let s2: Arc<str> = Arc::from("secret-two");
    let k1 = signing_key(ak, &s1, "20261123", "us-east-1", "s3");
    assert_eq!(
        k1,
        derive_signing_key("secret-one", "20261123", "us-east-1", "s3")
    );
    // Same secret in another allocation: cached key reused (and correct).
    let s1b: Arc<str> = Arc::from("secret-one");
    assert_eq!(signing_key(ak, &s1b, "20261123", "us-east-1", "s3"), k1);
    // Changed secret: never the stale key.
    let k2 = signing_key(ak, &s2, "20261123", "us-east-1", "s3");
    assert_eq!(
        k2,
        derive_signing_key("secret-two", "20261123", "us-east-1", "s3")
    );
    assert_ne!(k1, k2);
    // Other scope parts are separate entries.
    assert_ne!(signing_key(ak, &s2, "20261124", "us-east-1", "s3"), k2);
    assert_ne!(signing_key(ak, &s2, "20261123", "nowhere", "s3"), k2);
    // Ids cannot collide across field boundaries.
    assert_ne!(
        cache_id("a/b", "c", "d", "e"),
        cache_id("a", "b/c", "d", "e")
    );
    assert_ne!(cache_id("ab", "c", "d", "e"), cache_id("a", "bc", "d", "e"));
}

#[test]
fn secret_change_is_seen_through_authenticate() {
    let target = "/admin/user?uid=admin";
    let sig = "0f9faf5e52a61144d93b95ed48640229002979ecb82a2dda3aa692968a7bf41b";
    let r = boto(target, sig);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    let rotated = Keys::with(&[(ADMIN_AK, "rotatedsecret")]);
    assert_eq!(r.check(&rotated), Err(Error::SignatureDoesNotMatch));
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
}

#[test]
fn signing_key_cache_is_bounded_by_bytes() {
    const LIMIT: usize = 16 * 1024;
    let secret: Arc<str> = Arc::from("secret");
    let key = derive_signing_key(&secret, "20261123", "us-east-1", "s3");
    let cache = KeyCache::new(LIMIT);
    let mut most = 0;
    let mut last = String::new();
    for i in 0..2000 {
        // Ids of every length a cacheable scope allows.
        let region = "r".repeat(i % (MAX_CACHED_SCOPE_PART + 1));
        let id = cache_id(&format!("AK{i:05}"), "20261123", &region, "s3").unwrap();
        cache.insert(id.clone(), CachedKey::new(&secret, key));
        assert!(cache.bytes() <= LIMIT, "{} bytes after {i}", cache.bytes());
        assert_eq!(cache.get(&id, &secret).map(|e| e.key), Some(key));
        most = most.max(cache.ids().len());
        last = id;
    }
    // It was emptied and refilled, never grew past its bytes.
    assert!(most > 1 && most < 2000, "{most}");
    // Replacing an entry does not count it twice.
    let before = cache.bytes();
    cache.insert(last.clone(), CachedKey::new(&secret, key));
    assert_eq!(cache.bytes(), before);
    // An entry bigger than the whole cache is not kept, and does not empty the cache.
    let huge = cache_id(&"K".repeat(LIMIT), "20261123", "us-east-1", "s3").unwrap();
    cache.insert(huge.clone(), CachedKey::new(&secret, key));
    assert!(cache.get(&huge, &secret).is_none());
    assert_eq!(cache.bytes(), before);
    assert!(cache.get(&last, &secret).is_some());
    // Another secret's lookup misses.
    assert!(cache.get(&last, &Arc::from("other")).is_none());
    // The process cache holds about ten thousand typical clients.
    let typical = cache_id(ADMIN_AK, "20261123", "us-east-1", "s3").unwrap();
    let admin_secret: Arc<str> = Arc::from(ADMIN_SK);
    let n = SIGNING_KEY_CACHE_BYTES / entry_cost(&typical, &CachedKey::new(&admin_secret, key));
    assert!((5_000..=20_000).contains(&n), "{n}");
}

/// A signed request whose credential scope has this region.
fn signed_with_region(region: &str) -> Req {
    let scope = format!("20261123/{region}/s3/aws4_request");
    let headers = format!("host:{HOST}\nx-amz-date:{T}\n");
    let creq = canonical_request(
        "GET",
        "/admin/user",
        "uid=admin",
        headers.as_bytes(),
        "host;x-amz-date",
        UNSIGNED_PAYLOAD.as_bytes(),
    );
    let key = derive_signing_key(ADMIN_SK, "20261123", region, "s3");
    let sig = signature(&key, &string_to_sign(T, &scope, &creq));
    Req::new(
        "GET",
        "/admin/user?uid=admin",
        &[
            ("Host", HOST),
            ("X-Amz-Date", T),
            (
                "Authorization",
                &v4_auth(ADMIN_AK, &scope, "host;x-amz-date", &sig),
            ),
        ],
        T,
    )
}

/// Security review M8: a key holder signing with huge regions must not be able to fill
/// memory through the cache.
#[test]
fn long_scope_parts_verify_but_are_not_cached() {
    let long = "x".repeat(MAX_CACHED_SCOPE_PART + 1);
    let fits = "x".repeat(MAX_CACHED_SCOPE_PART);
    for (date, region, service) in [
        (long.as_str(), "us-east-1", "s3"),
        ("20261123", long.as_str(), "s3"),
        ("20261123", "us-east-1", long.as_str()),
    ] {
        assert_eq!(cache_id(ADMIN_AK, date, region, service), None);
    }
    assert!(cache_id(ADMIN_AK, &fits, &fits, &fits).is_some());
    // Uncached keys are still the right keys.
    let secret: Arc<str> = Arc::from(ADMIN_SK);
    assert_eq!(
        signing_key(ADMIN_AK, &secret, "20261123", &long, "s3"),
        derive_signing_key(ADMIN_SK, "20261123", &long, "s3")
    );
    // A 400-byte region is refused before any key is derived, and leaves nothing behind.
    let region = "r".repeat(400);
    let r = signed_with_region(&region);
    for _ in 0..3 {
        assert_eq!(r.check(&Keys::admin()), Err(Error::AccessDenied));
    }
    assert!(!key_cache().ids().iter().any(|id| id.contains(&region)));
    // At the limit it is cached as before.
    let region = format!("m8-{}", "r".repeat(MAX_CACHED_SCOPE_PART - 3));
    let r = signed_with_region(&region);
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert!(key_cache().ids().iter().any(|id| id.contains(&region)));
    assert_eq!(r.check(&Keys::admin()), Ok(admin()));
    assert_eq!(
        r.check(&Keys::with(&[(ADMIN_AK, "rotated")])),
        Err(Error::SignatureDoesNotMatch)
    );
}
