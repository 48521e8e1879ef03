//! Signature verification, streamed-body checks and the user-info path, without the network.
//! Run with `cargo bench --bench verify` (one group: `cargo bench --bench verify -- aws_chunked`).

use std::sync::Arc;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rgw_admin::auth::chunked::checksum;
use rgw_admin::auth::sigv4::{derive_signing_key, sha256_hex, signature, EMPTY_SHA256};
use rgw_admin::auth::{
    authenticate, AuthRequest, BodyVerifier, ChecksumAlgorithm, ChunkSigning, ChunkedSpec, Payload,
    SecretLookup,
};
use rgw_admin::config::Compat;
use rgw_admin::query::Query;

struct One(Arc<str>);
impl SecretLookup for One {
    fn secret(&self, _: &str) -> Option<Arc<str>> {
        Some(self.0.clone())
    }
}

const AK: &str = "ADMINACCESSKEY0000000";
const SK: &str = "adminsecretkey00000000000000000000000000";

fn v4_headers(pq: &str) -> hyper::HeaderMap {
    use aws_sigv4::http_request::{
        sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest,
        SigningSettings, UriPathNormalizationMode,
    };
    let creds = aws_credential_types::Credentials::new(AK, SK, None, None, "bench");
    let identity = creds.into();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region("us-east-1")
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .unwrap()
        .into();
    let url = format!("http://127.0.0.1:7480{pq}");
    let hdrs = [("host", "127.0.0.1:7480")];
    let signable =
        SignableRequest::new("GET", &url, hdrs.iter().copied(), SignableBody::Bytes(b"")).unwrap();
    let (ins, _) = sign(signable, &params).unwrap().into_parts();
    let mut req = http::Request::builder()
        .method("GET")
        .uri(&url)
        .header("host", "127.0.0.1:7480")
        .body(())
        .unwrap();
    ins.apply_to_request_http1x(&mut req);
    req.headers().clone()
}

fn v2_headers(path: &str) -> hyper::HeaderMap {
    use base64::Engine;
    use hmac::{Hmac, KeyInit, Mac};
    let date = rgw_admin::clock::http_date(SystemTime::now());
    let sts = format!("GET\n\n\n{date}\n{path}");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(SK.as_bytes()).unwrap();
    mac.update(sts.as_bytes());
    let sig = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    let mut h = hyper::HeaderMap::new();
    h.insert("host", "127.0.0.1:7480".parse().unwrap());
    h.insert("date", date.parse().unwrap());
    h.insert("authorization", format!("AWS {AK}:{sig}").parse().unwrap());
    h
}

fn bench(c: &mut Criterion) {
    let lookup = One(Arc::from(SK));
    let q = Query::parse("uid=admin").unwrap();
    let h4 = v4_headers("/admin/user?uid=admin");
    let h2 = v2_headers("/admin/user");
    // The signing key is derived at the first call and cached: this is the cost of a client's
    // every request after its first.
    for (name, h) in [("sigv4_verify_cached_key", &h4), ("sigv2_verify", &h2)] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let r = authenticate(
                    &AuthRequest {
                        method: "GET",
                        raw_path: "/admin/user",
                        vhost_bucket: "",
                        query: &q,
                        headers: h,
                        body: b"",
                        now: SystemTime::now(),
                        compat: Compat::Reef,
                    },
                    &lookup,
                );
                assert!(r.is_ok());
            })
        });
    }
    c.bench_function("query_parse", |b| {
        b.iter(|| Query::parse("uid=admin&format=json&stats=False&sync=False").unwrap())
    });
    let mut u =
        rgw_admin::model::User::new(rgw_admin::model::UserId::parse("admin"), "Admin".into());
    u.keys.insert(
        AK.into(),
        rgw_admin::model::Key::new(String::new(), SK.into()),
    );
    for t in ["users", "buckets", "usage", "metadata", "zone"] {
        u.caps.insert(t.into(), 3);
    }
    c.bench_function("user_info_encode_json", |b| {
        b.iter(|| {
            let doc = rgw_admin::encode::Doc::new("user_info", u.dump_info(None));
            rgw_admin::encode::json::render(&doc.node, Default::default())
        })
    });
}

/// Decoded size of the streamed bodies: big enough to be about throughput, small enough for
/// a sample to take milliseconds.
const BODY: usize = 8 << 20;
/// aws-chunked chunk size, as boto3 and the AWS SDKs cut uploads.
const CHUNK: usize = 1 << 20;
/// How much of the body one `feed` gets, about what hyper hands over.
const PIECE: usize = 256 * 1024;

const AMZ_DATE: &str = "20261123T085619Z";
const SCOPE: &str = "20261123/us-east-1/s3/aws4_request";

fn chunk_signing(seed: &str) -> ChunkSigning {
    ChunkSigning {
        key: derive_signing_key(SK, "20261123", "us-east-1", "s3"),
        seed: seed.to_string(),
        amz_date: AMZ_DATE.to_string(),
        scope: SCOPE.to_string(),
    }
}

/// `data` as an aws-chunked body; with `seed`, each chunk signed in the chain starting there.
fn aws_chunked(data: &[u8], seed: Option<&str>) -> Vec<u8> {
    let key = derive_signing_key(SK, "20261123", "us-east-1", "s3");
    let mut prev = seed.map(str::to_string);
    let mut body = Vec::with_capacity(data.len() + data.len() / CHUNK * 100 + 100);
    for c in data.chunks(CHUNK).chain([&b""[..]]) {
        body.extend_from_slice(format!("{:x}", c.len()).as_bytes());
        if let Some(p) = &mut prev {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{AMZ_DATE}\n{SCOPE}\n{p}\n{EMPTY_SHA256}\n{}",
                sha256_hex(c)
            );
            *p = signature(&key, sts.as_bytes());
            body.extend_from_slice(format!(";chunk-signature={p}").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(c);
        body.extend_from_slice(b"\r\n");
    }
    body
}

/// Feeds `body` as the server does, in pieces, and checks it verifies.
fn verify_body(payload: &Payload, body: &[u8], out: &mut Vec<u8>) {
    let mut v = BodyVerifier::new(payload.clone());
    for piece in body.chunks(PIECE) {
        out.clear();
        v.feed(piece, out).unwrap();
    }
    assert_eq!(v.finish(), Ok(BODY as u64));
}

/// What an upload costs besides the disk: each checksum S3 defines over 1 MiB, and an 8 MiB
/// body through the verifier as a hashed payload and as aws-chunked, unsigned and signed.
fn bench_bodies(c: &mut Criterion) {
    let data: Vec<u8> = (0..BODY as u32).map(|i| (i % 251) as u8).collect();
    let mut g = c.benchmark_group("checksum_1MiB");
    g.throughput(Throughput::Bytes(CHUNK as u64));
    for a in ChecksumAlgorithm::ALL {
        g.bench_function(a.name(), |b| {
            b.iter(|| checksum(a, std::hint::black_box(&data[..CHUNK])))
        });
    }
    g.finish();

    let seed = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
    let mut sha = [0u8; 32];
    hex::decode_to_slice(sha256_hex(&data), &mut sha).unwrap();
    let chunked = |signing: Option<ChunkSigning>| {
        Payload::Chunked(ChunkedSpec {
            signing,
            trailer: false,
            trailer_names: vec![],
            decoded_length: Some(BODY as u64),
        })
    };
    let cases = [
        ("plain_sha256", Payload::Sha256(sha), data.clone()),
        ("unsigned_chunks", chunked(None), aws_chunked(&data, None)),
        (
            "signed_chunks",
            chunked(Some(chunk_signing(seed))),
            aws_chunked(&data, Some(seed)),
        ),
    ];
    let mut g = c.benchmark_group("body_verify_8MiB");
    g.throughput(Throughput::Bytes(BODY as u64)).sample_size(20);
    let mut out = Vec::with_capacity(PIECE);
    for (name, payload, body) in &cases {
        g.bench_function(*name, |b| b.iter(|| verify_body(payload, body, &mut out)));
    }
    g.finish();
}

criterion_group!(benches, bench, bench_bodies);
criterion_main!(benches);
