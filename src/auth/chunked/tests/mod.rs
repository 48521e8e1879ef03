use super::super::sigv4::{derive_signing_key, sha256_hex, signature, UNSIGNED_PAYLOAD};
use super::super::verify::tests::{admin, at, Keys, Req, ADMIN_AK, ADMIN_SK};
use super::super::{authenticate, authenticate_streaming, Identity};
use base64::Engine as _;

use super::checksum::Hasher;
use super::*;
use crate::config::Compat;

mod checksums;
mod clients;
mod streaming;
mod trailers;

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

/// The body of the boto3 captures.
fn boto_data() -> Vec<u8> {
    let mut d: Vec<u8> = (0..=255u8).cycle().take(1024).collect();
    d.extend_from_slice(b"hello");
    d
}

/// The `Authorization` of the boto3 captures.
fn boto_auth(signed: &str, sig: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={ADMIN_AK}/{ADMIN_SCOPE}, SignedHeaders={signed}, \
         Signature={sig}"
    )
}

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
