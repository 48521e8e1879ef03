//! `x-amz-checksum-*` headers on uploads, and the empty body's hash.

use super::*;

/// Headers for `BodyVerifier::for_upload`.
fn upload_headers(pairs: &[(&str, &str)]) -> hyper::HeaderMap {
    Req::new("PUT", "/b/k", pairs, T).headers
}

/// Feeds `body` in one piece and finishes.
fn upload(
    payload: Payload,
    pairs: &[(&str, &str)],
    body: &[u8],
) -> Result<(u64, Option<Checksum>)> {
    let mut v = BodyVerifier::for_upload(payload, &upload_headers(pairs))?;
    let mut out = Vec::new();
    v.feed(body, &mut out)?;
    assert_eq!(out, body);
    v.finish_with_checksum()
}

#[test]
fn for_upload_checks_the_checksum_header() {
    let data = boto_data();
    let want: [u8; 32] = Sha256::digest(&data).into();
    // No checksum header: exactly `new`.
    assert_eq!(upload(Payload::Unchecked, &[], &data), Ok((1029, None)));
    assert_eq!(
        upload(Payload::Sha256(want), &[], &data[1..]),
        Err(Error::ContentSha256Mismatch)
    );
    // boto3 over plain http: a hashed payload and x-amz-checksum-crc32, both checked.
    let crc = [("x-amz-checksum-crc32", "DoJMOQ==")];
    let got = Some(Checksum {
        algorithm: ChecksumAlgorithm::Crc32,
        value: "DoJMOQ==".into(),
    });
    assert_eq!(upload(Payload::Sha256(want), &crc, &data), Ok((1029, got)));
    let mut changed = data.clone();
    changed[0] ^= 1;
    assert_eq!(
        upload(Payload::Unchecked, &crc, &changed),
        Err(Error::BadDigest)
    );
    assert_eq!(
        upload(Payload::Sha256(want), &crc, &changed),
        Err(Error::ContentSha256Mismatch)
    );
    // Every algorithm, by its header name in any case; a wrong value fails at the end.
    for a in ChecksumAlgorithm::ALL {
        let value = checksum(a, &data);
        let name = a.header_name().to_uppercase();
        let got = upload(Payload::Unchecked, &[(&name, &value)], &data);
        assert_eq!(
            got,
            Ok((
                1029,
                Some(Checksum {
                    algorithm: a,
                    value
                })
            )),
            "{a:?}"
        );
        let other = checksum(a, b"other");
        let mut v =
            BodyVerifier::for_upload(Payload::Unchecked, &upload_headers(&[(&name, &other)]))
                .unwrap();
        assert_eq!(v.feed(&data, &mut Vec::new()), Ok(()), "{a:?}");
        assert_eq!(v.finish(), Err(Error::BadDigest), "{a:?}");
    }
}

#[test]
fn for_upload_refuses_malformed_checksum_headers() {
    let refused = |pairs: &[(&str, &str)]| {
        BodyVerifier::for_upload(Payload::Unchecked, &upload_headers(pairs)).map(|_| ())
    };
    // Two checksums, or one twice.
    assert_eq!(
        refused(&[
            ("x-amz-checksum-crc32", "DoJMOQ=="),
            ("x-amz-checksum-sha1", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0=")
        ]),
        Err(Error::InvalidRequest)
    );
    assert_eq!(
        refused(&[
            ("x-amz-checksum-crc32", "DoJMOQ=="),
            ("x-amz-checksum-crc32", "DoJMOQ==")
        ]),
        Err(Error::InvalidRequest)
    );
    // Not base64, or not the algorithm's length.
    for (name, value) in [
        ("x-amz-checksum-crc32", "not base64!"),
        ("x-amz-checksum-crc32", ""),
        ("x-amz-checksum-crc32", "DoJMOQ"),
        ("x-amz-checksum-crc32", "AAAAAAAAAAA="),
        ("x-amz-checksum-crc32c", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),
        ("x-amz-checksum-crc64nvme", "AAAAAA=="),
        ("x-amz-checksum-sha1", "AAAAAA=="),
        ("x-amz-checksum-sha256", "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="),
    ] {
        assert_eq!(
            refused(&[(name, value)]),
            Err(Error::InvalidRequest),
            "{name}: {value}"
        );
    }
    let mut h = upload_headers(&[]);
    h.insert(
        "x-amz-checksum-crc32",
        hyper::header::HeaderValue::from_bytes(b"\xffoJMOQ==").unwrap(),
    );
    assert!(matches!(
        BodyVerifier::for_upload(Payload::Unchecked, &h),
        Err(Error::InvalidRequest)
    ));
    // Blanks around a good value are fine; other headers do not count.
    assert_eq!(refused(&[("x-amz-checksum-crc32", " DoJMOQ== ")]), Ok(()));
    assert_eq!(
        refused(&[
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("x-amz-checksum-type", "x")
        ]),
        Ok(())
    );
    // A header for another algorithm than the trailer promises.
    let trailer = Payload::Chunked(ChunkedSpec {
        signing: None,
        trailer: true,
        trailer_names: vec!["x-amz-checksum-crc32c".into()],
        decoded_length: None,
    });
    assert!(matches!(
        BodyVerifier::for_upload(
            trailer.clone(),
            &upload_headers(&[("x-amz-checksum-crc32", "DoJMOQ==")])
        ),
        Err(Error::InvalidRequest)
    ));
    // The same algorithm in both: the header and the trailer must both match.
    let c = checksum(ChecksumAlgorithm::Crc32c, b"z");
    let body = format!("1\r\nz\r\n0\r\nx-amz-checksum-crc32c:{c}\r\n\r\n");
    let run_with = |header: &str| {
        let mut v = BodyVerifier::for_upload(
            trailer.clone(),
            &upload_headers(&[("x-amz-checksum-crc32c", header)]),
        )?;
        v.feed(body.as_bytes(), &mut Vec::new())?;
        v.finish()
    };
    assert_eq!(run_with(&c), Ok(1));
    assert_eq!(run_with("AAAAAA=="), Err(Error::BadDigest));
}

#[test]
fn empty_body_hash_is_the_known_constant() {
    let empty: [u8; 32] = Sha256::digest(b"").into();
    assert_eq!(super::EMPTY_BODY_SHA256, empty);
    assert_eq!(upload(Payload::Sha256(empty), &[], b""), Ok((0, None)));
    let mut other = empty;
    other[0] ^= 1;
    assert_eq!(
        upload(Payload::Sha256(other), &[], b""),
        Err(Error::ContentSha256Mismatch)
    );
}
