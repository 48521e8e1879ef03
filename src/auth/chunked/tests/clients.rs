//! Uploads as boto3 sends them (captured): unsigned trailers over HTTPS, several chunks,
//! a hashed payload over HTTP.

use super::*;

/// boto3 1.44.8 over https: `STREAMING-UNSIGNED-PAYLOAD-TRAILER` with a CRC32 trailer.
/// Headers as captured (CRT signer; botocore's own signs the same), the body as it is
/// once HTTP chunking is removed.
fn boto_https(target: &str, host: &str, sig: &str, len: usize) -> Req {
    let signed = "content-encoding;host;x-amz-content-sha256;x-amz-date;\
                  x-amz-decoded-content-length;x-amz-sdk-checksum-algorithm;x-amz-trailer";
    Req::new(
        "PUT",
        target,
        &[
            ("Expect", "100-continue"),
            ("Transfer-Encoding", "chunked"),
            ("Content-Encoding", "aws-chunked"),
            ("X-Amz-Trailer", "x-amz-checksum-crc32"),
            ("X-Amz-Decoded-Content-Length", &len.to_string()),
            ("x-amz-sdk-checksum-algorithm", "CRC32"),
            ("host", host),
            ("X-Amz-Date", T),
            ("x-amz-content-sha256", STREAMING_UNSIGNED_TRAILER),
            ("Authorization", &boto_auth(signed, sig)),
        ],
        T,
    )
}

fn unsigned_chunked(data: &[u8], chunk: usize, trailer: &str) -> Vec<u8> {
    let mut b = Vec::new();
    for piece in data.chunks(chunk) {
        b.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        b.extend_from_slice(piece);
        b.extend_from_slice(b"\r\n");
    }
    b.extend_from_slice(b"0\r\n");
    b.extend_from_slice(trailer.as_bytes());
    b
}

#[test]
fn boto3_https_unsigned_trailer() {
    let keys = Keys::admin();
    let data = boto_data();
    let body = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
    assert!(body.starts_with(b"405\r\n"));
    for (target, sig) in [
        (
            "/bkt/obj/a%20b.txt",
            "c6fe8ca7a1cd5c96084ae07aac25fca1c554c10dd724be931bcb0a4805f75cd3",
        ),
        (
            "/bkt/big?uploadId=2~abc&partNumber=1",
            "c8b474053da66344909f47df10d73410eec23654384cd32e770699cb68216d0c",
        ),
    ] {
        let r = boto_https(target, "127.0.0.1:44411", sig, data.len());
        let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
        assert_eq!(ident, admin());
        assert_eq!(
            payload,
            Payload::Chunked(ChunkedSpec {
                signing: None,
                trailer: true,
                trailer_names: vec!["x-amz-checksum-crc32".into()],
                decoded_length: Some(1029),
            })
        );
        let (out, res) = run_random(&payload, &body, 11);
        assert_eq!((out == data, res), (true, Ok(1029)), "{target}");
        // Another checksum, or data changed under it: BadDigest.
        let bad = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:DoJMOA==\r\n\r\n");
        assert_eq!(run(payload.clone(), &bad).1, Err(Error::BadDigest));
        let mut changed = body.clone();
        changed[10] ^= 1;
        assert_eq!(run(payload.clone(), &changed).1, Err(Error::BadDigest));
        // The promised trailer missing; the trailer section cut short.
        let none = unsigned_chunked(&data, 1 << 20, "\r\n");
        assert_eq!(run(payload.clone(), &none).1, Err(Error::IncompleteBody));
        let cut = &body[..body.len() - 5];
        assert_eq!(run(payload.clone(), cut).1, Err(Error::IncompleteBody));
        // Only the final empty line missing: complete enough.
        let cut = &body[..body.len() - 2];
        assert_eq!(run(payload.clone(), cut).1, Ok(1029));
        // Chunked otherwise: still fine.
        let small = unsigned_chunked(&data, 100, "x-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
        assert_eq!(run(payload.clone(), &small).1, Ok(1029));
        // A blank line between the last chunk and the trailers is tolerated.
        let blank = unsigned_chunked(&data, 1 << 20, "\r\nx-amz-checksum-crc32:DoJMOQ==\r\n\r\n");
        assert_eq!(run(payload.clone(), &blank).1, Ok(1029));
        // The signature covers the trailer declaration.
        let mut r2 = boto_https(target, "127.0.0.1:44411", sig, data.len());
        r2.headers.insert(
            "x-amz-trailer",
            hyper::header::HeaderValue::from_static("x-amz-checksum-sha1"),
        );
        assert_eq!(
            authenticate_streaming(&r2.auth(), &keys).map(|_| ()),
            Err(Error::SignatureDoesNotMatch)
        );
    }
}

/// A 2.5 MiB upload: boto3 cuts it in 1 MiB aws-chunks.
#[test]
fn boto3_https_multi_chunk() {
    let data: Vec<u8> = (0..2_621_440u32).map(|i| (i % 251) as u8).collect();
    let r = boto_https(
        "/bkt/obj/a%20b.txt",
        "127.0.0.1:49605",
        "3fc8254ec610188763f026b996d386918d23f045d3ef6166355e07c24faa8d82",
        data.len(),
    );
    let (_, payload) = authenticate_streaming(&r.auth(), &Keys::admin()).unwrap();
    let body = unsigned_chunked(&data, 1 << 20, "x-amz-checksum-crc32:L7jIKA==\r\n\r\n");
    let mut rng = Rng(5);
    for max in [1000, 16384, 300_000] {
        let sizes: Vec<usize> = (0..32).map(|_| 1 + rng.below(max)).collect();
        let (out, res) = run_sizes(payload.clone(), &body, &sizes);
        assert_eq!((out == data, res), (true, Ok(2_621_440)));
    }
}

/// boto3 1.44.8 over plain http: the payload is hashed and the CRC32 sent as a header.
#[test]
fn boto3_http_hashed_payload() {
    let keys = Keys::admin();
    let data = boto_data();
    let hash = "c94762ad6265cfdbd56927e2cb786cc3113b6096b978a2aeda0aef1088310674";
    assert_eq!(sha256_hex(&data), hash);
    let signed = "host;x-amz-checksum-crc32;x-amz-content-sha256;x-amz-date;\
                  x-amz-sdk-checksum-algorithm";
    for (target, sig) in [
        (
            "/bkt/obj/a%20b.txt",
            "17559b634670f684562b398723e5039dbf20afbdddd81d0a4753517bfdb5c96f",
        ),
        (
            "/bkt/big?uploadId=2~abc&partNumber=1",
            "b4d2fc0c232b9e07f1424cae39ae38b057f0b1e0df90416b55f194d7b61189e5",
        ),
    ] {
        let r = Req::new(
            "PUT",
            target,
            &[
                ("Expect", "100-continue"),
                ("x-amz-checksum-crc32", "DoJMOQ=="),
                ("x-amz-sdk-checksum-algorithm", "CRC32"),
                ("host", "127.0.0.1:33769"),
                ("X-Amz-Date", T),
                ("x-amz-content-sha256", hash),
                ("Authorization", &boto_auth(signed, sig)),
                ("Content-Length", "1029"),
            ],
            T,
        );
        // The body is not looked at (this one is wrong), only described.
        let r = r.body(b"not the body");
        let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
        assert_eq!(ident, admin());
        let mut want = [0u8; 32];
        hex::decode_to_slice(hash, &mut want).unwrap();
        assert_eq!(payload, Payload::Sha256(want));
        assert_eq!(run_random(&payload, &data, 2), (data.clone(), Ok(1029)));
        let mut changed = data.clone();
        changed[0] ^= 1;
        assert_eq!(
            run(payload.clone(), &changed).1,
            Err(Error::ContentSha256Mismatch)
        );
        assert_eq!(
            run(payload.clone(), &data[..1028]).1,
            Err(Error::ContentSha256Mismatch)
        );
        // The header checksum, when the caller asks for it.
        let (alg, value) = header_checksum(&r.headers).unwrap().unwrap();
        let mut v = BodyVerifier::with_checksum(payload.clone(), alg, Some(&value)).unwrap();
        let mut out = Vec::new();
        v.feed(&data, &mut out).unwrap();
        assert_eq!(
            v.finish_with_checksum(),
            Ok((
                1029,
                Some(Checksum {
                    algorithm: ChecksumAlgorithm::Crc32,
                    value: "DoJMOQ==".into()
                })
            ))
        );
        let mut v = BodyVerifier::with_checksum(Payload::Unchecked, alg, Some("AAAAAA==")).unwrap();
        v.feed(&data, &mut Vec::new()).unwrap();
        assert_eq!(v.finish(), Err(Error::BadDigest));
        // And the whole-body form agrees.
        let r = r.body(&data);
        assert_eq!(authenticate(&r.auth(), &keys), Ok(admin()));
    }
}
