//! Swift v1 authentication (`GET /auth/1.0`, `/auth/v1.0`), as radosgw's
//! `RGW_SWIFT_Auth_Get` answers it: `X-Auth-User: uid:subuser` and `X-Auth-Key: <swift
//! secret>` → 204 with `X-Storage-Url` and a signed, expiring `AUTH_rgwtk…` token. The Swift
//! API itself is not served; `verify_token` checks a token as radosgw's `SignedTokenEngine`.
//!
//! Token: hex of `encode(swift_user) ‖ encode(u64 nonce) ‖ encode(utime expiration)` (Ceph
//! encoding, little-endian, string = u32 length + bytes) followed by HMAC-SHA1 of those bytes
//! under the swift secret folded into 20 bytes (`k[i % 20] |= key[i]`).

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use hyper::header::CONTENT_TYPE;
use hyper::{HeaderMap, Method, Response, StatusCode};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::app::App;
use crate::http::{full, RespBody};
use crate::model::User;

/// radosgw's `rgw_swift_token_expiration` default (seconds).
pub const TOKEN_EXPIRATION: u64 = 24 * 3600;
const TOKEN_PREFIX: &str = "AUTH_rgwtk";
const CONTENT_TYPE_JSON: &str = "application/json; charset=utf-8";

/// The swift auth entry (`rgw_swift_auth_entry = auth`), for the paths clients use.
pub fn is_auth_request(method: &Method, path: &str) -> bool {
    (method == Method::GET || method == Method::HEAD) && matches!(path, "/auth/1.0" | "/auth/v1.0")
}

/// `build_token`: the encoded fields followed by their HMAC-SHA1.
pub fn build_token(
    swift_user: &str,
    key: &str,
    nonce: u64,
    exp_sec: u32,
    exp_nsec: u32,
) -> Vec<u8> {
    let mut bl = Vec::with_capacity(4 + swift_user.len() + 16 + 20);
    bl.extend_from_slice(&(swift_user.len() as u32).to_le_bytes());
    bl.extend_from_slice(swift_user.as_bytes());
    bl.extend_from_slice(&nonce.to_le_bytes());
    bl.extend_from_slice(&exp_sec.to_le_bytes());
    bl.extend_from_slice(&exp_nsec.to_le_bytes());
    let mut k = [0u8; 20];
    for (i, c) in key.bytes().enumerate() {
        k[i % 20] |= c;
    }
    let mut mac = Hmac::<Sha1>::new_from_slice(&k).expect("HMAC-SHA1 accepts any key length");
    mac.update(&bl);
    bl.extend_from_slice(&mac.finalize().into_bytes());
    bl
}

fn now() -> (u64, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_secs(), d.subsec_nanos())
}

/// A fresh token for a swift user with its secret, valid `TOKEN_EXPIRATION` seconds.
pub fn issue_token(swift_user: &str, key: &str) -> String {
    let (sec, nsec) = now();
    let exp = (sec + TOKEN_EXPIRATION).min(u32::MAX as u64) as u32;
    let bl = build_token(swift_user, key, rand::random::<u64>(), exp, nsec);
    format!("{TOKEN_PREFIX}{}", hex::encode(bl))
}

/// `SignedTokenEngine::authenticate`: the owner of a valid, unexpired token whose swift key
/// still exists and signs it; `None` otherwise.
pub fn verify_token(app: &App, token: &str) -> Option<Arc<User>> {
    let swift_user = verify_with(token, |swift_user| {
        let user = app.users.by_swift(swift_user)?;
        let (_, sub) = swift_user.split_once(':')?;
        user.swift_keys.get(sub).map(|k| k.secret.clone())
    })?;
    app.users.by_swift(&swift_user)
}

/// Decode a token, refuse it if expired, rebuild it with the swift user's current secret
/// (`secret_of`) and compare in constant time. Returns the swift user (`uid:subuser`).
pub fn verify_with(token: &str, secret_of: impl Fn(&str) -> Option<String>) -> Option<String> {
    let raw = hex::decode(token.strip_prefix(TOKEN_PREFIX)?).ok()?;
    let len = u32::from_le_bytes(raw.get(..4)?.try_into().ok()?) as usize;
    let user_end = 4usize.checked_add(len)?;
    let swift_user = std::str::from_utf8(raw.get(4..user_end)?).ok()?;
    let field = |at: usize| -> Option<[u8; 4]> { raw.get(at..at + 4)?.try_into().ok() };
    let nonce = u64::from_le_bytes(raw.get(user_end..user_end + 8)?.try_into().ok()?);
    let sec = u32::from_le_bytes(field(user_end + 8)?);
    let nsec = u32::from_le_bytes(field(user_end + 12)?);
    if (sec as u64, nsec) < now() {
        return None;
    }
    let secret = secret_of(swift_user)?;
    let local = build_token(swift_user, &secret, nonce, sec, nsec);
    (local.len() == raw.len() && bool::from(local.ct_eq(&raw))).then(|| swift_user.to_string())
}

/// The whole request: answer and log it as the HTTP front logs every request.
pub fn handle(
    app: &App,
    method: &Method,
    headers: &HeaderMap,
    rid: &str,
    start: std::time::Instant,
) -> Response<RespBody> {
    let resp = auth_get(app, headers, rid);
    tracing::info!(
        target: "rgw_admin::request",
        req = %rid,
        method = %method,
        op = "swift_auth_get",
        uid = headers.get("x-auth-user").and_then(|v| v.to_str().ok()).unwrap_or("-"),
        status = resp.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
    );
    resp
}

/// `RGW_SWIFT_Auth_Get::execute`.
pub fn auth_get(app: &App, headers: &HeaderMap, rid: &str) -> Response<RespBody> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let Some(host) = h("host") else {
        return error(app, rid, StatusCode::BAD_REQUEST, "InvalidArgument");
    };
    let (Some(key), Some(user)) = (h("x-auth-key"), h("x-auth-user")) else {
        return error(app, rid, StatusCode::UNAUTHORIZED, "AccessDenied");
    };
    // Unknown swift user: -EACCES → 403; no such key or a wrong one: -EPERM → 401.
    let Some(info) = app.users.by_swift(user) else {
        return error(app, rid, StatusCode::FORBIDDEN, "AccessDenied");
    };
    let stored = user
        .split_once(':')
        .and_then(|(_, sub)| info.swift_keys.get(sub));
    let Some(stored) = stored else {
        return error(app, rid, StatusCode::UNAUTHORIZED, "AccessDenied");
    };
    if !bool::from(stored.secret.as_bytes().ct_eq(key.as_bytes())) {
        tracing::info!(req = %rid, "swift auth: bad swift key");
        return error(app, rid, StatusCode::UNAUTHORIZED, "AccessDenied");
    }
    let mut url = format!("http://{host}");
    if !host.contains(':') {
        let port = app.cfg.listen.rsplit(':').next().unwrap_or("80");
        if port != "80" {
            url = format!("{url}:{port}");
        }
    }
    let token = issue_token(user, &stored.secret);
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .header("X-Storage-Url", format!("{url}/swift/v1"))
        .header("X-Storage-Token", &token)
        .header("X-Auth-Token", &token)
        .header("X-Trans-Id", rid)
        .header("X-Openstack-Request-Id", rid)
        .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
        .body(full(Bytes::new()))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

/// radosgw's error document in the swift-auth dialect (JSON formatter).
fn error(app: &App, rid: &str, status: StatusCode, code: &str) -> Response<RespBody> {
    let q = |v: &str| serde_json::Value::from(v).to_string();
    let body = format!(
        "{{\"Code\":{},\"Message\":\"\",\"RequestId\":{},\"HostId\":{}}}",
        q(code),
        q(rid),
        q(&app.host_id)
    );
    Response::builder()
        .status(status)
        .header("X-Trans-Id", rid)
        .header("X-Openstack-Request-Id", rid)
        .header(CONTENT_TYPE, CONTENT_TYPE_JSON)
        .header(hyper::header::CONTENT_LENGTH, body.len())
        .body(full(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(full(Bytes::new())))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The token radosgw 16.2.15 issued in golden 121 verifies with the same construction.
    #[test]
    fn golden_token() {
        let t = "0b000000616c6963653a7377696674c26aefa5bd4059703351056ba1124d30\
                 dfd6876a6812bd49036fd12a01878bc6665b5ea5";
        let raw = hex::decode(t).unwrap();
        let nonce = u64::from_le_bytes(raw[15..23].try_into().unwrap());
        let sec = u32::from_le_bytes(raw[23..27].try_into().unwrap());
        let nsec = u32::from_le_bytes(raw[27..31].try_into().unwrap());
        let built = build_token(
            "alice:swift",
            "aliceswiftsecret0000000000000000000000",
            nonce,
            sec,
            nsec,
        );
        assert_eq!(hex::encode(built), t);
    }

    #[test]
    fn issued_token_shape() {
        let t = issue_token("u:s", "secret");
        assert!(t.starts_with("AUTH_rgwtk0300000075"));
        // 4 + 3 + 8 + 8 + 20 bytes
        assert_eq!(t.len(), TOKEN_PREFIX.len() + 2 * 43);
    }

    #[test]
    fn verify_roundtrip() {
        let secret = |u: &str| (u == "u:s").then(|| "secret".to_string());
        let t = issue_token("u:s", "secret");
        assert_eq!(verify_with(&t, secret).as_deref(), Some("u:s"));
        // another key, a changed byte, a truncated token, no prefix
        assert!(verify_with(&t, |_| Some("other".into())).is_none());
        let mut bad = t.clone().into_bytes();
        let at = TOKEN_PREFIX.len() + 40;
        bad[at] = if bad[at] == b'0' { b'1' } else { b'0' };
        assert!(verify_with(std::str::from_utf8(&bad).unwrap(), secret).is_none());
        assert!(verify_with(&t[..t.len() - 2], secret).is_none());
        assert!(verify_with(&t[TOKEN_PREFIX.len()..], secret).is_none());
        // expired: radosgw refuses it even if correctly signed
        let old = build_token("u:s", "secret", 1, 1_000_000, 0);
        let old = format!("{TOKEN_PREFIX}{}", hex::encode(old));
        assert!(verify_with(&old, secret).is_none());
    }

    #[test]
    fn paths() {
        assert!(is_auth_request(&Method::GET, "/auth/1.0"));
        assert!(is_auth_request(&Method::GET, "/auth/v1.0"));
        assert!(!is_auth_request(&Method::PUT, "/auth/1.0"));
        assert!(!is_auth_request(&Method::GET, "/auth/other"));
    }
}
