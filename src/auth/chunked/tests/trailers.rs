//! Signed trailers, checked against an independent signer (aws-sigv4's).

use super::*;

/// An independent signer: aws-sigv4's `sign_chunk` / `sign_trailer`.
fn sdk_sign(seed: &str, chunks: &[&[u8]], trailers: &[(&str, &str)]) -> (Vec<String>, String) {
    use aws_credential_types::Credentials;
    use aws_sigv4::sign::v4::{sign_chunk, sign_trailer, SigningParams};
    use aws_smithy_runtime_api::client::identity::Identity as SdkIdentity;
    let identity: SdkIdentity = Credentials::new(EX_AK, EX_SECRET, None, None, "t").into();
    let params = SigningParams::<()>::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(at(EX_DATE))
        .settings(())
        .build()
        .unwrap();
    let mut prev = seed.to_string();
    let mut sigs = Vec::new();
    for c in chunks {
        let chunk = bytes::Bytes::copy_from_slice(c);
        prev = sign_chunk(&chunk, &prev, &params)
            .unwrap()
            .signature()
            .to_string();
        sigs.push(prev.clone());
    }
    let mut h = aws_smithy_runtime_api::http::Headers::new();
    for (n, v) in trailers {
        h.insert(n.to_string(), v.to_string());
    }
    let t = sign_trailer(&h, &prev, &params)
        .unwrap()
        .signature()
        .to_string();
    (sigs, t)
}

#[test]
fn aws_example_signed_trailer() {
    let (sigs, trailer_sig) = sdk_sign(
        EX_TRAILER_SEED,
        &[&[b'a'; 65536], &[b'a'; 1024], b""],
        &[("x-amz-checksum-crc32c", EX_CRC32C)],
    );
    // The SDK agrees with the published signatures.
    assert_eq!(sigs, EX_TRAILER_SIGS);
    assert_eq!(trailer_sig, EX_TRAILER_SIGNATURE);
    let trailer = format!(
        "x-amz-checksum-crc32c:{EX_CRC32C}\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n"
    );
    let body = ex_body(&EX_TRAILER_SIGS, Some(&trailer));
    let payload = ex_spec(true);
    let mut v = BodyVerifier::new(payload.clone());
    let mut out = Vec::new();
    v.feed(&body, &mut out).unwrap();
    assert_eq!(
        v.finish_with_checksum(),
        Ok((
            66560,
            Some(Checksum {
                algorithm: ChecksumAlgorithm::Crc32c,
                value: EX_CRC32C.into()
            })
        ))
    );
    assert_eq!(run_random(&payload, &body, 7).1, Ok(66560));
    let with = |t: &str| run(payload.clone(), &ex_body(&EX_TRAILER_SIGS, Some(t))).1;
    // Trailer signature wrong, missing, duplicated, or a trailer after it.
    let bad_sig = trailer.replace(&trailer_sig, EX_TRAILER_SIGS[2]);
    assert_eq!(with(&bad_sig), Err(Error::SignatureDoesNotMatch));
    assert_eq!(
        with(&format!("x-amz-checksum-crc32c:{EX_CRC32C}\r\n\r\n")),
        Err(Error::SignatureDoesNotMatch)
    );
    let dup = trailer.replace(
        "\r\n\r\n",
        &format!("\r\nx-amz-trailer-signature:{trailer_sig}\r\n\r\n"),
    );
    assert_eq!(with(&dup), Err(Error::IncompleteBody));
    let after = trailer.replace("\r\n\r\n", "\r\nx-foo:1\r\n\r\n");
    assert_eq!(with(&after), Err(Error::IncompleteBody));
    // Another checksum value, however signed: the signature catches an unsigned change,
    // the checksum a signed one.
    let other = "AAAAAA==";
    let changed = trailer.replace(EX_CRC32C, other);
    assert_eq!(with(&changed), Err(Error::SignatureDoesNotMatch));
    let (_, resigned) = sdk_sign(
        EX_TRAILER_SEED,
        &[&[b'a'; 65536], &[b'a'; 1024], b""],
        &[("x-amz-checksum-crc32c", other)],
    );
    assert_eq!(
        with(&format!(
            "x-amz-checksum-crc32c:{other}\r\nx-amz-trailer-signature:{resigned}\r\n\r\n"
        )),
        Err(Error::BadDigest)
    );
    // The promised checksum must come, signed or not.
    let (_, empty_sig) = sdk_sign(EX_TRAILER_SEED, &[&[b'a'; 65536], &[b'a'; 1024], b""], &[]);
    assert_eq!(
        with(&format!("x-amz-trailer-signature:{empty_sig}\r\n\r\n")),
        Err(Error::IncompleteBody)
    );
    // Truncated inside the trailer: refused inside a line; at the end of a line, as
    // complete as what it holds (the final empty line may be left out).
    for cut in 1..trailer.len() {
        let part = &trailer[..cut];
        let want = if !part.ends_with("\r\n") {
            Err(Error::IncompleteBody)
        } else if part.contains(TRAILER_SIGNATURE) {
            Ok(66560)
        } else {
            Err(Error::SignatureDoesNotMatch)
        };
        assert_eq!(with(part), want, "{cut}");
    }
    // The example as the AWS page lays it out: the last chunk's CRLF, the trailers, no
    // final empty line.
    let doc = format!(
        "\r\nx-amz-checksum-crc32c:{EX_CRC32C}\r\nx-amz-trailer-signature:{EX_TRAILER_SIGNATURE}\r\n"
    );
    assert_eq!(
        run_random(&payload, &ex_body(&EX_TRAILER_SIGS, Some(&doc)), 8).1,
        Ok(66560)
    );
    // Only one blank line is taken for that: a second one ends the body.
    let two = format!("\r\n{doc}");
    assert_eq!(with(&two), Err(Error::IncompleteBody));
}

/// Signed chunks built with the SDK over other data: several trailers, sorted for the
/// signature whatever order they come in.
#[test]
fn signed_trailer_with_several_trailers() {
    let data: Vec<u8> = (0..20_000u32).map(|i| (i % 253) as u8).collect();
    let sha = checksum(ChecksumAlgorithm::Sha256, &data);
    let trailers = [
        ("x-amz-meta-z", "last"),
        ("x-amz-checksum-sha256", sha.as_str()),
    ];
    let (sigs, tsig) = sdk_sign(
        EX_TRAILER_SEED,
        &[&data[..8192], &data[8192..], b""],
        &trailers,
    );
    let mut body = Vec::new();
    body.extend_from_slice(format!("2000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    body.extend_from_slice(&data[..8192]);
    // Upper-case hex sizes are fine.
    body.extend_from_slice(format!("\r\n2E20;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&data[8192..]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
    body.extend_from_slice(
        format!("X-Amz-Meta-Z: last\r\nx-amz-checksum-sha256:{sha}\r\nx-amz-trailer-signature:{tsig}\r\n\r\n")
            .as_bytes(),
    );
    let payload = Payload::Chunked(ChunkedSpec {
        signing: Some(ex_signing(EX_TRAILER_SEED)),
        trailer: true,
        trailer_names: vec!["x-amz-meta-z".into(), "x-amz-checksum-sha256".into()],
        decoded_length: Some(20_000),
    });
    let (out, res) = run_random(&payload, &body, 3);
    assert_eq!((out == data, res), (true, Ok(20_000)));
}
