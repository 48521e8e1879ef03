use super::super::sigv4::{derive_signing_key, sha256_hex, signature, UNSIGNED_PAYLOAD};
use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
use super::super::{authenticate, authenticate_streaming, Identity};
use base64::Engine as _;

use super::checksum::Hasher;
use super::*;
use crate::config::Compat;

/// The AWS SigV4 reference examples ("Example: PUT Object", chunked upload, with and
/// without trailing headers).
const EX_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const EX_AK: &str = "AKIAIOSFODNN7EXAMPLE";
const EX_DATE: &str = "20130524T000000Z";
const EX_SCOPE: &str = "20130524/us-east-1/s3/aws4_request";
const EX_SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const EX_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];
const EX_TRAILER_SEED: &str = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e";
const EX_TRAILER_SIGS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];
const EX_TRAILER_SIGNATURE: &str =
    "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";
/// CRC32C of the examples' 66560 bytes of `a`, as the trailer example sends it.
const EX_CRC32C: &str = "sOO8/Q==";

/// Request time of the boto3 captures.
const T: &str = "20261123T085619Z";
const ADMIN_SCOPE: &str = "20261123/us-east-1/s3/aws4_request";

fn ex_signing(seed: &str) -> ChunkSigning {
    ChunkSigning {
        key: derive_signing_key(EX_SECRET, "20130524", "us-east-1", "s3"),
        seed: seed.to_string(),
        amz_date: EX_DATE.to_string(),
        scope: EX_SCOPE.to_string(),
    }
}

fn ex_data() -> Vec<u8> {
    vec![b'a'; 65536 + 1024]
}

/// The example's wire body: a 64 KiB chunk, a 1 KiB chunk and the final one.
fn ex_body(sigs: &[&str; 3], trailer: Option<&str>) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    b.extend_from_slice(&[b'a'; 65536]);
    b.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    b.extend_from_slice(&[b'a'; 1024]);
    b.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
    match trailer {
        Some(t) => b.extend_from_slice(t.as_bytes()),
        None => b.extend_from_slice(b"\r\n"),
    }
    b
}

fn ex_spec(trailer: bool) -> Payload {
    Payload::Chunked(ChunkedSpec {
        signing: Some(ex_signing(if trailer { EX_TRAILER_SEED } else { EX_SEED })),
        trailer,
        trailer_names: if trailer {
            vec!["x-amz-checksum-crc32c".into()]
        } else {
            vec![]
        },
        decoded_length: Some(66560),
    })
}

/// xorshift64*, for reproducible split points.
struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as usize % n
    }
}

/// Feeds `body` in pieces of `sizes` (cycled), returns (decoded output, finish result).
fn run_sizes(payload: Payload, body: &[u8], sizes: &[usize]) -> (Vec<u8>, Result<u64>) {
    let mut v = BodyVerifier::new(payload);
    let mut out = Vec::new();
    let mut pos = 0;
    let mut i = 0;
    while pos < body.len() {
        let n = sizes[i % sizes.len()].clamp(1, body.len() - pos);
        i += 1;
        if let Err(e) = v.feed(&body[pos..pos + n], &mut out) {
            // The error sticks.
            assert_eq!(v.feed(b"x", &mut Vec::new()), Err(e.clone()));
            return (out, Err(e));
        }
        pos += n;
    }
    (out, v.finish())
}

fn run(payload: Payload, body: &[u8]) -> (Vec<u8>, Result<u64>) {
    run_sizes(payload, body, &[body.len().max(1)])
}

/// Many random split patterns, from single bytes up to the whole body; all must agree.
fn run_random(payload: &Payload, body: &[u8], seed: u64) -> (Vec<u8>, Result<u64>) {
    let first = run(payload.clone(), body);
    let mut rng = Rng(seed | 1);
    for round in 0..40 {
        let max = [1, 2, 3, 7, 64, 100, 4096, 70_000][round % 8];
        let sizes: Vec<usize> = (0..64).map(|_| 1 + rng.below(max)).collect();
        assert_eq!(
            run_sizes(payload.clone(), body, &sizes),
            first,
            "split sizes {sizes:?}"
        );
    }
    first
}

#[test]
fn crc_check_values() {
    let crc = |a, d: &[u8]| {
        let b = base64::engine::general_purpose::STANDARD
            .decode(checksum(a, d))
            .unwrap();
        b.iter().fold(0u64, |n, &x| (n << 8) | u64::from(x))
    };
    let check = b"123456789";
    assert_eq!(crc(ChecksumAlgorithm::Crc32, check), 0xcbf4_3926);
    assert_eq!(crc(ChecksumAlgorithm::Crc32c, check), 0xe306_9283);
    assert_eq!(
        crc(ChecksumAlgorithm::Crc64Nvme, check),
        0xae8b_1486_0a79_9888
    );
    assert_eq!(checksum(ChecksumAlgorithm::Crc32, b""), "AAAAAA==");
    assert_eq!(checksum(ChecksumAlgorithm::Crc64Nvme, b""), "AAAAAAAAAAA=");
    assert_eq!(
        checksum(ChecksumAlgorithm::Sha1, b"abc"),
        "qZk+NkcGgWq6PiVxeFDCbJzQ2J0="
    );
    assert_eq!(
        checksum(ChecksumAlgorithm::Sha256, b"abc"),
        "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
    );
    assert_eq!(checksum(ChecksumAlgorithm::Crc32c, &ex_data()), EX_CRC32C);
    // boto3's x-amz-checksum-crc32 of the captured body.
    assert_eq!(checksum(ChecksumAlgorithm::Crc32, &boto_data()), "DoJMOQ==");
    // Piecewise updates equal one update, at any split (the 8-byte fast path included).
    let data: Vec<u8> = (0..5000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    let mut rng = Rng(99);
    for a in ChecksumAlgorithm::ALL {
        let whole = checksum(a, &data);
        for _ in 0..20 {
            let mut h = Hasher::new(a);
            let mut pos = 0;
            while pos < data.len() {
                let n = (1 + rng.below(40)).min(data.len() - pos);
                h.update(&data[pos..pos + n]);
                pos += n;
            }
            assert_eq!(h.finish(), whole, "{a:?}");
        }
    }
}

#[test]
fn checksum_names() {
    for a in ChecksumAlgorithm::ALL {
        assert_eq!(ChecksumAlgorithm::from_name(a.name()), Some(a));
        assert_eq!(
            ChecksumAlgorithm::from_name(&a.name().to_lowercase()),
            Some(a)
        );
        assert_eq!(
            ChecksumAlgorithm::from_header_name(&a.header_name().to_uppercase()),
            Some(a)
        );
    }
    assert_eq!(ChecksumAlgorithm::from_name("MD5"), None);
    let r = Req::new("PUT", "/b/k", &[("x-amz-checksum-crc32", " DoJMOQ== ")], T);
    assert_eq!(
        header_checksum(&r.headers),
        Ok(Some((ChecksumAlgorithm::Crc32, "DoJMOQ==".into())))
    );
    let r = Req::new(
        "PUT",
        "/b/k",
        &[("x-amz-checksum-crc32", "a"), ("x-amz-checksum-sha1", "b")],
        T,
    );
    assert_eq!(header_checksum(&r.headers), Err(Error::InvalidRequest));
    let r = Req::new("PUT", "/b/k", &[], T);
    assert_eq!(header_checksum(&r.headers), Ok(None));
}

#[test]
fn aws_example_signed_chunks() {
    let body = ex_body(&EX_SIGS, None);
    assert_eq!(body.len(), 66824); // the example's Content-Length
    let (out, res) = run_random(&ex_spec(false), &body, 1);
    assert_eq!(res, Ok(66560));
    assert_eq!(out, ex_data());
    // Byte by byte.
    let (out, res) = run_sizes(ex_spec(false), &body, &[1]);
    assert_eq!((out.len(), res), (66560, Ok(66560)));
}

/// The example's request itself: its seed signature verifies, and authenticate_streaming
/// hands out the spec the chunks check against.
#[test]
fn aws_example_request_yields_the_chunk_spec() {
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={EX_AK}/{EX_SCOPE},SignedHeaders=content-encoding;\
         content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;\
         x-amz-storage-class,Signature={EX_SEED}"
    );
    let r = Req::new(
        "PUT",
        "/examplebucket/chunkObject.txt",
        &[
            ("Host", "s3.amazonaws.com"),
            ("x-amz-date", EX_DATE),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            ("Authorization", &auth),
            ("x-amz-content-sha256", STREAMING_PAYLOAD),
            ("Content-Encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("Content-Length", "66824"),
        ],
        EX_DATE,
    );
    let keys = Keys::with(&[(EX_AK, EX_SECRET)]);
    let (ident, payload) = authenticate_streaming(&r.auth(), &keys).unwrap();
    assert_eq!(ident, Identity::Key(EX_AK.into()));
    assert_eq!(payload, ex_spec(false));
    // The body-reading form checks nothing of an aws-chunked body, as before.
    assert_eq!(
        authenticate(&r.auth(), &keys),
        Ok(Identity::Key(EX_AK.into()))
    );
    // Without x-amz-decoded-content-length radosgw refuses the streamed upload (-EINVAL),
    // after the signature: here it is signed, so the signature fails first.
    let mut r2 = Req::new("PUT", "/examplebucket/chunkObject.txt", &[], EX_DATE);
    r2.headers = r.headers.clone();
    r2.headers.remove("x-amz-decoded-content-length");
    assert_eq!(
        authenticate_streaming(&r2.auth(), &keys).map(|_| ()),
        Err(Error::SignatureDoesNotMatch)
    );
}

#[test]
fn tampered_chunks_fail_the_signature() {
    let body = ex_body(&EX_SIGS, None);
    let payload = ex_spec(false);
    // A data byte changed in the first chunk, in the second.
    for at in [88, 88 + 30_000, 88 + 65535, 66824 - 86 - 2 - 1024] {
        let mut b = body.clone();
        b[at] = b'b';
        let (_, res) = run_random(&payload, &b, at as u64);
        assert_eq!(res, Err(Error::SignatureDoesNotMatch), "byte {at}");
    }
    // Each signature altered (the final chunk's too).
    for i in 0..3 {
        let mut sigs = EX_SIGS;
        let bad = EX_SIGS[i].replace('a', "b");
        sigs[i] = &bad;
        let (_, res) = run(payload.clone(), &ex_body(&sigs, None));
        assert_eq!(res, Err(Error::SignatureDoesNotMatch), "signature {i}");
    }
    // Upper-case hex is not the signature (radosgw compares strings too).
    let upper = EX_SIGS[0].to_uppercase();
    let (_, res) = run(
        payload.clone(),
        &ex_body(&[&upper, EX_SIGS[1], EX_SIGS[2]], None),
    );
    assert_eq!(res, Err(Error::SignatureDoesNotMatch));
    // Another seed (e.g. another request's signature), another key.
    let mut spec = ex_signing("0".repeat(64).as_str());
    let other = |s: ChunkSigning| {
        Payload::Chunked(ChunkedSpec {
            signing: Some(s),
            trailer: false,
            trailer_names: vec![],
            decoded_length: Some(66560),
        })
    };
    assert_eq!(
        run(other(spec.clone()), &body).1,
        Err(Error::SignatureDoesNotMatch)
    );
    spec.seed = EX_SEED.into();
    spec.key[0] ^= 1;
    assert_eq!(run(other(spec), &body).1, Err(Error::SignatureDoesNotMatch));
    // The chunks swapped: the first chunk's signature does not cover the second's data.
    let mut swapped = Vec::new();
    swapped.extend_from_slice(format!("400;chunk-signature={}\r\n", EX_SIGS[1]).as_bytes());
    swapped.extend_from_slice(&[b'a'; 1024]);
    swapped.extend_from_slice(format!("\r\n10000;chunk-signature={}\r\n", EX_SIGS[0]).as_bytes());
    swapped.extend_from_slice(&[b'a'; 65536]);
    swapped.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n\r\n", EX_SIGS[2]).as_bytes());
    assert_eq!(run(payload, &swapped).1, Err(Error::SignatureDoesNotMatch));
}

#[test]
fn truncated_bodies_are_incomplete() {
    let body = ex_body(&EX_SIGS, None);
    let payload = ex_spec(false);
    let mut cuts: Vec<usize> = (0..200).collect();
    cuts.extend((200..body.len()).step_by(997));
    cuts.extend(body.len() - 200..body.len());
    for cut in cuts {
        let (_, res) = run_sizes(payload.clone(), &body[..cut], &[37]);
        assert_eq!(res, Err(Error::IncompleteBody), "cut at {cut}");
    }
    // Without a declared length the framing alone still tells.
    let mut spec = ex_spec(false);
    if let Payload::Chunked(s) = &mut spec {
        s.decoded_length = None;
    }
    let last_data_end = body.len() - 86;
    assert_eq!(
        run(spec.clone(), &body[..last_data_end]).1,
        Err(Error::IncompleteBody)
    );
    assert_eq!(run(spec, &body).1, Ok(66560));
}

#[test]
fn malformed_framing_is_incomplete() {
    let body = ex_body(&EX_SIGS, None);
    let payload = ex_spec(false);
    let bad = |b: &[u8]| run_sizes(payload.clone(), b, &[5, 1, 4096]).1;
    // Bytes after the end.
    let mut more = body.clone();
    more.extend_from_slice(b"x");
    assert_eq!(bad(&more), Err(Error::IncompleteBody));
    let mut more = body.clone();
    more.extend_from_slice(b"0\r\n\r\n");
    assert_eq!(bad(&more), Err(Error::IncompleteBody));
    for (from, to) in [
        ("10000;", "zz;"),
        ("10000;", ";"),
        ("10000;", "10000000000000000;"),
        ("10000;chunk-signature=", "10000;chunk-signatur="),
        ("10000;chunk-signature=", "10000;"),
        ("10000;chunk-signature=", "10000"),
        ("10000;chunk-signature=ad80", "10000;chunk-signature=ad8"),
        ("10000;chunk-signature=ad80", "10000;chunk-signature=ad800"),
        ("10000;", " 10000;"),
    ] {
        let s = String::from_utf8_lossy(&body[..200]).replacen(from, to, 1);
        let mut b = s.into_bytes();
        b.truncate(b.iter().position(|&c| c == b'a').unwrap());
        b.extend_from_slice(&body[88..]);
        assert_eq!(bad(&b), Err(Error::IncompleteBody), "{to}");
    }
    // A chunk shorter or longer than declared: the CRLF is not where it should be.
    let mut short = body.clone();
    short.remove(100);
    assert_eq!(bad(&short), Err(Error::IncompleteBody));
    let mut long = body.clone();
    long.insert(100, b'a');
    assert_eq!(bad(&long), Err(Error::IncompleteBody));
    // Bare LF line ends.
    let lf = String::from_utf8(body[..88].to_vec())
        .unwrap()
        .replace("\r\n", "\n");
    let mut b = lf.into_bytes();
    b.extend_from_slice(&body[88..]);
    assert_eq!(bad(&b), Err(Error::IncompleteBody));
    // A header line longer than 4 KiB, with or without its end.
    let mut long_line = b"10000;chunk-signature=".to_vec();
    long_line.resize(MAX_LINE + 10, b'0');
    assert_eq!(bad(&long_line), Err(Error::IncompleteBody));
    long_line.extend_from_slice(b"\r\n");
    assert_eq!(bad(&long_line), Err(Error::IncompleteBody));
    // Trailer lines in the form without trailers.
    let mut t = body[..body.len() - 2].to_vec();
    t.extend_from_slice(b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n");
    assert_eq!(bad(&t), Err(Error::IncompleteBody));
    // Empty body.
    assert_eq!(bad(b""), Err(Error::IncompleteBody));
}

#[test]
fn decoded_length_must_match() {
    let body = ex_body(&EX_SIGS, None);
    for (len, want) in [
        (66560, Ok(66560)),
        (66561, Err(Error::IncompleteBody)),
        // Known early: the second chunk goes past it.
        (66559, Err(Error::IncompleteBody)),
        (0, Err(Error::IncompleteBody)),
    ] {
        let mut p = ex_spec(false);
        if let Payload::Chunked(s) = &mut p {
            s.decoded_length = Some(len);
        }
        assert_eq!(run(p, &body).1, want, "{len}");
    }
    // Refused as soon as the oversized chunk header arrives, before its data.
    let mut p = ex_spec(false);
    if let Payload::Chunked(s) = &mut p {
        s.decoded_length = Some(100);
    }
    let mut v = BodyVerifier::new(p);
    let mut out = Vec::new();
    assert_eq!(v.feed(&body[..88], &mut out), Err(Error::IncompleteBody));
    assert!(out.is_empty());
}

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

fn boto_data() -> Vec<u8> {
    let mut d: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    d.extend_from_slice(b"hello");
    d
}

fn boto_auth(signed: &str, sig: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{ADMIN_SCOPE}, SignedHeaders={signed}, \
         Signature={sig}"
    )
}

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
