//! Swift v1 authentication (`GET /auth/1.0`, `/auth/v1.0`), as radosgw's
//! `RGW_SWIFT_Auth_Get` answers it: `X-Auth-User: uid:subuser` and `X-Auth-Key: <swift
//! secret>` → 204 with `X-Storage-Url` and a signed, expiring `AUTH_rgwtk…` token. The Swift
//! API itself is not served.
//!
//! Token: hex of `encode(swift_user) ‖ encode(u64 nonce) ‖ encode(utime expiration)` (Ceph
//! encoding, little-endian, string = u32 length + bytes) followed by HMAC-SHA1 of those bytes
//! under the swift secret folded into 20 bytes (`k[i % 20] |= key[i]`).

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, StatusCode};
use sha1::Sha1;

use crate::domain::App;
use crate::error::Error;

/// radosgw's `rgw_swift_token_expiration` default (seconds).
pub const TOKEN_EXPIRATION: u64 = 24 * 3600;
const TOKEN_PREFIX: &str = "AUTH_rgwtk";

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

/// What a successful swift auth answers.
pub struct Granted {
    pub storage_url: String,
    pub token: String,
}

/// `RGW_SWIFT_Auth_Get::execute`: a token, or the error with the status radosgw gives it
/// (an unknown swift user is 403, a missing or wrong key 401, no Host 400).
pub async fn auth_get(
    app: &App,
    headers: &HeaderMap,
) -> std::result::Result<Granted, (Error, StatusCode)> {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let denied = |st| (Error::AccessDenied, st);
    let Some(host) = h("host") else {
        return Err((Error::InvalidArgument, StatusCode::BAD_REQUEST));
    };
    let (Some(key), Some(user)) = (h("x-auth-key"), h("x-auth-user")) else {
        return Err(denied(StatusCode::UNAUTHORIZED));
    };
    let info = match app.users.by_swift(user).await {
        Ok(Some(u)) => u,
        Ok(None) => return Err(denied(StatusCode::FORBIDDEN)),
        Err(e) => {
            return Err((
                e.clone(),
                StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            ))
        }
    };
    let stored = user
        .split_once(':')
        .and_then(|(_, sub)| info.swift_keys.get(sub));
    let Some(stored) = stored else {
        return Err(denied(StatusCode::UNAUTHORIZED));
    };
    // A disabled swift key is out of radosgw's key index: an unknown swift user.
    if !stored.active {
        return Err(denied(StatusCode::FORBIDDEN));
    }
    if !crate::auth::ct_eq(stored.secret.as_bytes(), key.as_bytes()) {
        return Err(denied(StatusCode::UNAUTHORIZED));
    }
    // After the key matched, as for S3: suspension is not revealed to others.
    if info.suspended {
        return Err((Error::UserSuspended, StatusCode::FORBIDDEN));
    }
    let mut url = format!("http://{host}");
    if !host.contains(':') {
        let port = app.cfg.listen.rsplit(':').next().unwrap_or("80");
        if port != "80" {
            url = format!("{url}:{port}");
        }
    }
    Ok(Granted {
        storage_url: format!("{url}/swift/v1"),
        token: issue_token(user, &stored.secret),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
        crate::auth::ct_eq(&local, &raw).then(|| swift_user.to_string())
    }

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
}
