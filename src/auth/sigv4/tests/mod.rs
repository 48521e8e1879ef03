use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
use super::super::Identity;
use std::sync::Arc;

use hyper::header::{HeaderName, HeaderValue};

use super::key_cache::{cache_id, entry_cost, key_cache, CachedKey, KeyCache, Signer};
use super::*;
use crate::config::Compat;
use crate::error::{Error, Result};
use crate::query::Query;

mod clients;
mod errors;
mod signing_keys;

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
    let headers = canonical_headers(
        &r.headers,
        &SignedNames::parse("content-type;host;x-amz-date"),
    )
    .unwrap();
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
    // Nor is a name with blanks around it: the canonical request looks ` host` up and finds
    // nothing, so the binding check, which reads the same list, must not count it either.
    assert_eq!(
        with_auth(v4_auth(
            ADMIN_AK,
            scope,
            "x-amz-content-sha256;x-amz-date; host",
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
    let h = canonical_headers(
        &r.headers,
        &SignedNames::parse("host;X-Amz-Meta-A;missing;;bad name"),
    )
    .unwrap();
    assert_eq!(
        String::from_utf8(h).unwrap(),
        "host:127.0.0.1:7480\nx-amz-meta-a:one two,three\n"
    );
    let r = Req::new("PUT", "/", &[("Content-MD5", "a$b")], T);
    assert_eq!(
        canonical_headers(&r.headers, &SignedNames::parse("content-md5")),
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

/// `SignedHeaders` as the canonical request lists it: lower case, sorted, once each.
#[test]
fn signed_names_are_read_once_into_canonical_order() {
    let names = |s: &str| {
        let n = SignedNames::parse(s);
        ["a", "b", "host", "x-amz-date", "X-Amz-Date", " host", ""]
            .iter()
            .filter(|x| n.contains(x))
            .copied()
            .collect::<Vec<_>>()
    };
    assert_eq!(names("host;x-amz-date"), ["host", "x-amz-date"]);
    assert_eq!(
        names("x-amz-date;HOST;b;host;;a"),
        ["a", "b", "host", "x-amz-date"]
    );
    assert_eq!(names("x-amz-date; host"), ["x-amz-date", " host"]);
    assert_eq!(names(""), Vec::<&str>::new());
    assert_eq!(
        SignedNames::parse("x-amz-date;HOST;host;a"),
        SignedNames::parse("a;host;x-amz-date")
    );
}

#[test]
fn hex_of_a_digest_is_lower_case_pairs() {
    let mut d = [0u8; 32];
    for (i, b) in d.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(37) ^ 0xa5;
    }
    for digest in [d, [0; 32], [0xff; 32]] {
        assert_eq!(
            super::canonical::hex32(&digest).to_vec(),
            hex::encode(digest).into_bytes()
        );
    }
}

#[test]
fn payload_hashes_are_64_hex_digits_of_either_case() {
    let lower = EMPTY_SHA256;
    let want: [u8; 32] = hex::decode(lower).unwrap().try_into().unwrap();
    assert_eq!(super::sha256_from_hex(lower.as_bytes()), Some(want));
    let upper = lower.to_ascii_uppercase();
    assert_eq!(super::sha256_from_hex(upper.as_bytes()), Some(want));
    for bad in [
        &lower[..63],
        &format!("{lower}0"),
        &format!("g{}", &lower[1..]),
        &format!("{} ", &lower[..63]),
        UNSIGNED_PAYLOAD,
        "",
    ] {
        assert_eq!(super::sha256_from_hex(bad.as_bytes()), None, "{bad}");
    }
}
