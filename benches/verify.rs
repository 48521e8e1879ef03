//! Signature verification and the user-info path, without the network. Run with
//! `cargo bench --bench verify`.

use std::sync::Arc;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion};
use rgw_admin::auth::{authenticate, AuthRequest, SecretLookup};
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
    for (name, h) in [("sigv4_verify_cached_key", &h4), ("sigv2_verify", &h2)] {
        c.bench_function(name, |b| {
            b.iter(|| {
                let r = authenticate(
                    &AuthRequest {
                        method: "GET",
                        raw_path: "/admin/user",
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
        rgw_admin::model::Key {
            subuser: String::new(),
            secret: SK.into(),
        },
    );
    for t in ["users", "buckets", "usage", "metadata", "zone"] {
        u.caps.insert(t.into(), 3);
    }
    c.bench_function("user_info_encode_json", |b| {
        b.iter(|| {
            let doc = rgw_admin::ops::user::info_doc(&u, None);
            rgw_admin::encode::json::render(&doc.node, Default::default())
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
