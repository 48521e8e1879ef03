//! Verifying while the body streams: the signature first, the payload as it arrives;
//! other schemes and plain bodies.

use super::*;

/// A request to sign by hand: PUT /b/k with the given extra headers.
fn signed_put(payload_header: Option<&str>, payload_signed: &str, extra: &[(&str, &str)]) -> Req {
    let mut names: Vec<String> = vec!["host".into(), "x-amz-date".into()];
    let mut headers: Vec<(String, String)> =
        vec![("host".into(), "h".into()), ("x-amz-date".into(), T.into())];
    if let Some(p) = payload_header {
        names.push("x-amz-content-sha256".into());
        headers.push(("x-amz-content-sha256".into(), p.into()));
    }
    for (k, v) in extra {
        names.push(k.to_string());
        headers.push((k.to_string(), v.to_string()));
    }
    let mut sorted = headers.clone();
    sorted.sort();
    names.sort();
    let canonical: String = sorted.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let creq = format!(
        "PUT\n/b/k\n\n{canonical}\n{}\n{payload_signed}",
        names.join(";")
    );
    let key = derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3");
    let sts = format!(
        "AWS4-HMAC-SHA256\n{T}\n{ADMIN_SCOPE}\n{}",
        sha256_hex(creq.as_bytes())
    );
    let sig = signature(&key, sts.as_bytes());
    let auth = boto_auth(&names.join(";"), &sig);
    let mut all: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    all.push(("Authorization", &auth));
    Req::new("PUT", "/b/k", &all, T)
}

#[test]
fn streaming_without_the_body() {
    let keys = Keys::admin();
    let body = b"some body";
    // No x-amz-content-sha256, signed with the body's hash (curl --aws-sigv4): Reef takes
    // it when it has the body; streamed, only UNSIGNED-PAYLOAD can be assumed.
    let r = signed_put(None, &sha256_hex(body), &[]).body(body);
    assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
    assert_eq!(
        authenticate_streaming(&r.auth(), &keys),
        Err(Error::SignatureDoesNotMatch)
    );
    let r = signed_put(None, UNSIGNED_PAYLOAD, &[]).body(body);
    assert_eq!(
        authenticate_streaming(&r.auth(), &keys),
        Ok((admin(), Payload::Unchecked))
    );
    let r = signed_put(Some(UNSIGNED_PAYLOAD), UNSIGNED_PAYLOAD, &[]);
    assert_eq!(
        authenticate_streaming(&r.auth(), &keys),
        Ok((admin(), Payload::Unchecked))
    );
    // A hashed payload is described, not compared: the mismatch shows at the end.
    let h = sha256_hex(body);
    let r = signed_put(Some(&h), &h, &[]).body(b"other");
    assert_eq!(
        authenticate(&r.auth(), &keys),
        Err(Error::ContentSha256Mismatch)
    );
    let (_, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
    assert_eq!(run(payload.clone(), body), (body.to_vec(), Ok(9)));
    assert_eq!(run(payload, b"other").1, Err(Error::ContentSha256Mismatch));
    // Pacific too.
    let mut a = r.auth();
    a.compat = Compat::Pacific;
    assert!(matches!(
        authenticate_streaming(&a, &keys),
        Ok((_, Payload::Sha256(_)))
    ));
    // Streaming forms need x-amz-decoded-content-length, a plain length.
    for form in [
        STREAMING_PAYLOAD,
        STREAMING_PAYLOAD_TRAILER,
        STREAMING_UNSIGNED_TRAILER,
    ] {
        let r = signed_put(Some(form), form, &[]);
        assert_eq!(
            authenticate_streaming(&r.auth(), &keys),
            Err(Error::InvalidArgument),
            "{form}"
        );
        // The body-reading form does not look (as before).
        assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
        for bad in ["-1", "1e3", "", "18446744073709551616"] {
            let r = signed_put(Some(form), form, &[("x-amz-decoded-content-length", bad)]);
            assert_eq!(
                authenticate_streaming(&r.auth(), &keys),
                Err(Error::InvalidArgument),
                "{bad}"
            );
        }
        let r = signed_put(
            Some(form),
            form,
            &[
                ("x-amz-decoded-content-length", "5"),
                ("x-amz-trailer", "X-Amz-Checksum-CRC32C, x-amz-meta-a"),
            ],
        );
        let Ok((_, Payload::Chunked(spec))) = authenticate_streaming(&r.auth(), &keys) else {
            panic!("{form}");
        };
        assert_eq!(spec.decoded_length, Some(5));
        assert_eq!(spec.signing.is_some(), form != STREAMING_UNSIGNED_TRAILER);
        assert_eq!(spec.trailer, form != STREAMING_PAYLOAD);
        if spec.trailer {
            assert_eq!(
                spec.trailer_names,
                ["x-amz-checksum-crc32c", "x-amz-meta-a"]
            );
        }
        if let Some(s) = &spec.signing {
            assert_eq!(s.amz_date, T);
            assert_eq!(s.scope, ADMIN_SCOPE);
            assert_eq!(
                s.key,
                derive_signing_key(ADMIN_SK, "20261123", "us-east-1", "s3")
            );
            let auth = r.headers.get("authorization").unwrap().to_str().unwrap();
            assert!(auth.ends_with(&format!("Signature={}", s.seed)));
            // The key never shows in Debug output.
            assert!(!format!("{s:?}").contains(&format!("{:?}", s.key)));
        }
    }
}

#[test]
fn other_schemes_stream_unchecked() {
    let keys = Keys::admin();
    // Anonymous.
    let r = Req::new(
        "PUT",
        "/b/k",
        &[("x-amz-content-sha256", STREAMING_PAYLOAD)],
        T,
    );
    assert_eq!(
        authenticate_streaming(&r.auth(), &keys),
        Ok((Identity::Anonymous, Payload::Unchecked))
    );
    // Errors stay the same as `authenticate`'s.
    let r = Req::new("PUT", "/b/k", &[("Authorization", "Bearer x")], T);
    assert_eq!(
        authenticate_streaming(&r.auth(), &keys).map(|_| ()),
        Err(Error::InvalidArgument)
    );
    let r = signed_put(Some(UNSIGNED_PAYLOAD), UNSIGNED_PAYLOAD, &[]);
    let mut bad = Req::new("PUT", "/b/k", &[], T);
    bad.headers = r.headers.clone();
    bad.method = "POST".into();
    assert_eq!(
        authenticate_streaming(&bad.auth(), &keys).map(|_| ()),
        Err(Error::SignatureDoesNotMatch)
    );
    assert_eq!(
        authenticate_streaming(&r.auth(), &Keys::with(&[])).map(|_| ()),
        Err(Error::InvalidAccessKeyId)
    );
}

#[test]
fn plain_bodies() {
    let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31) as u8).collect();
    assert_eq!(
        run_random(&Payload::Unchecked, &data, 4),
        (data.clone(), Ok(10_000))
    );
    assert_eq!(run(Payload::Unchecked, b""), (vec![], Ok(0)));
    let v = BodyVerifier::new(Payload::Unchecked);
    assert_eq!(v.finish(), Ok(0));
    let want: [u8; 32] = Sha256::digest(&data).into();
    assert_eq!(
        run_random(&Payload::Sha256(want), &data, 5),
        (data.clone(), Ok(10_000))
    );
    assert_eq!(
        run(Payload::Sha256(want), &data[1..]).1,
        Err(Error::ContentSha256Mismatch)
    );
    let empty: [u8; 32] = Sha256::digest(b"").into();
    assert_eq!(run(Payload::Sha256(empty), b"").1, Ok(0));
    assert_eq!(BodyVerifier::new(Payload::Sha256(empty)).finish(), Ok(0));
}

#[test]
fn unsigned_trailer_edge_cases() {
    let spec = |names: &[&str], len: Option<u64>| {
        Payload::Chunked(ChunkedSpec {
            signing: None,
            trailer: true,
            trailer_names: names.iter().map(|s| s.to_string()).collect(),
            decoded_length: len,
        })
    };
    // No trailer promised, none sent.
    assert_eq!(run(spec(&[], Some(3)), b"3\r\nabc\r\n0\r\n\r\n").1, Ok(3));
    assert_eq!(run(spec(&[], Some(0)), b"0\r\n\r\n").1, Ok(0));
    assert_eq!(run(spec(&[], None), b"0\r\n\r\n\r\n").1, Ok(0));
    // Extensions on unsigned chunk headers are ignored; hex in either case.
    assert_eq!(
        run(spec(&[], Some(10)), b"A;x=y\r\n0123456789\r\n0\r\n\r\n").1,
        Ok(10)
    );
    // Undeclared trailers pass unverified; a declared non-checksum one is not required.
    assert_eq!(
        run(
            spec(&["x-amz-meta-a"], None),
            b"1\r\nz\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n"
        )
        .1,
        Ok(1)
    );
    // Trailer lines must be name:value.
    assert_eq!(
        run(spec(&[], None), b"0\r\nno colon\r\n\r\n").1,
        Err(Error::IncompleteBody)
    );
    assert_eq!(
        run(spec(&[], None), b"0\r\n:v\r\n\r\n").1,
        Err(Error::IncompleteBody)
    );
    // Too many trailers.
    let mut many = b"0\r\n".to_vec();
    for i in 0..=MAX_TRAILERS {
        many.extend_from_slice(format!("x-{i}:v\r\n").as_bytes());
    }
    many.extend_from_slice(b"\r\n");
    assert_eq!(run(spec(&[], None), &many).1, Err(Error::IncompleteBody));
    // The checksum trailer twice.
    let c = checksum(ChecksumAlgorithm::Crc32, b"z");
    let twice =
        format!("1\r\nz\r\n0\r\nx-amz-checksum-crc32:{c}\r\nx-amz-checksum-crc32:{c}\r\n\r\n");
    assert_eq!(
        run(spec(&["x-amz-checksum-crc32"], None), twice.as_bytes()).1,
        Err(Error::IncompleteBody)
    );
    // A header checksum for another algorithm than the trailer's.
    assert!(matches!(
        BodyVerifier::with_checksum(
            spec(&["x-amz-checksum-crc32"], None),
            ChecksumAlgorithm::Sha1,
            None
        ),
        Err(Error::InvalidRequest)
    ));
    // Same algorithm in both: both must match.
    let once = format!("1\r\nz\r\n0\r\nx-amz-checksum-crc32:{c}\r\n\r\n");
    let mut v = BodyVerifier::with_checksum(
        spec(&["x-amz-checksum-crc32"], None),
        ChecksumAlgorithm::Crc32,
        Some("AAAAAA=="),
    )
    .unwrap();
    v.feed(once.as_bytes(), &mut Vec::new()).unwrap();
    assert_eq!(v.finish(), Err(Error::BadDigest));
    // Computing without an expectation.
    let mut v =
        BodyVerifier::with_checksum(Payload::Unchecked, ChecksumAlgorithm::Crc32, None).unwrap();
    v.feed(b"z", &mut Vec::new()).unwrap();
    assert_eq!(v.finish_with_checksum().unwrap().1.unwrap().value, c);
}
