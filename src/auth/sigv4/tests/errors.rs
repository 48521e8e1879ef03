//! Presigned URLs, refused headers and dates, and the payload hash checked after the signature.

use super::*;

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
