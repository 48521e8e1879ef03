//! Which signature scheme a request uses, in radosgw's order (`discover_aws_flavour` and the
//! `AWSEngine` abstractors in `src/rgw/rgw_auth_s3.cc`), and the time checks that come with
//! each scheme.
//!
//! Error order follows radosgw, where time is checked while the request is parsed, before the
//! engine looks the access key up: a skewed request with an unknown key answers
//! `RequestTimeTooSkewed`, not `InvalidAccessKeyId`.

use std::time::{SystemTime, UNIX_EPOCH};

use hyper::header::AUTHORIZATION;

use super::{sigv2, sigv4, AuthRequest, Identity, Payload, SecretLookup};
use crate::cnum::atoll;
use crate::error::{Error, Result};

/// `RGW_AUTH_GRACE`: how far a header-signed request's time may be from ours.
pub(crate) const MAX_SKEW_SECS: i64 = 15 * 60;
/// Longest lifetime of a presigned SigV4 URL (7 days), as AWS and radosgw allow.
pub(crate) const MAX_PRESIGNED_EXPIRES: i64 = 7 * 24 * 60 * 60;

/// The credentials a request carries, read once: the caller's key is looked up by the
/// access key read here, and [`verify`] then checks the signature against exactly these
/// parts, so what was looked up and what is verified cannot differ.
pub enum Credentials<'a> {
    /// No `Authorization` header and no presigned query parameters.
    Anonymous,
    /// SigV4, header or presigned (`V4Auth::presigned`).
    V4(sigv4::V4Auth<'a>),
    /// SigV2: `Authorization: AWS AK:SIG`, or `AWSAccessKeyId` / `Signature` / `Expires`.
    V2 {
        access_key: &'a str,
        signature: &'a str,
        presigned: bool,
    },
}

impl<'a> Credentials<'a> {
    /// The access key the request claims to be signed with (the credential scope's first
    /// part for SigV4, whose shape [`verify`] checks).
    pub fn access_key(&self) -> Option<&'a str> {
        match self {
            Credentials::Anonymous => None,
            Credentials::V4(a) => a.credential.split('/').next(),
            Credentials::V2 { access_key, .. } => Some(access_key),
        }
    }

    pub fn is_v2(&self) -> bool {
        matches!(self, Credentials::V2 { .. })
    }
}

/// Reads the request's credentials, in radosgw's order of schemes: an `Authorization`
/// header (an empty one is absent, as radosgw reads `HTTP_AUTHORIZATION`), else SigV4
/// query parameters, else SigV2 ones. Malformed ones fail here, before any key is looked up.
pub fn credentials<'a>(req: &AuthRequest<'a>) -> Result<Credentials<'a>> {
    if let Some(value) = req.headers.get(AUTHORIZATION).filter(|v| !v.is_empty()) {
        let bytes = value.as_bytes();
        if bytes.starts_with(sigv4::ALGORITHM.as_bytes()) {
            // A non-ASCII header cannot hold a well-formed credential.
            let auth = value.to_str().map_err(|_| Error::AccessDenied)?;
            return Ok(Credentials::V4(sigv4::parse_header(
                auth,
                req.headers,
                req.compat,
            )?));
        }
        if bytes.starts_with(b"AWS ") {
            let auth = value.to_str().map_err(|_| Error::InvalidArgument)?;
            let (access_key, signature) = sigv2::parse_header(auth)?;
            return Ok(Credentials::V2 {
                access_key,
                signature,
                presigned: false,
            });
        }
        // radosgw finds no engine for the flavour and fails with -EINVAL.
        return Err(Error::InvalidArgument);
    }
    if req.query.get_ignore_case("X-Amz-Algorithm") == Some(sigv4::ALGORITHM) {
        return Ok(Credentials::V4(sigv4::parse_presigned(req.query)?));
    }
    if let Some(access_key) = req.query.get_nonempty("AWSAccessKeyId") {
        return Ok(Credentials::V2 {
            access_key,
            signature: req.query.get("Signature").unwrap_or_default(),
            presigned: true,
        });
    }
    Ok(Credentials::Anonymous)
}

/// Verifies the request's signature, if it carries one.
///
/// `Identity::Anonymous` when the request has neither an `Authorization` header nor presigned
/// query parameters; the caller decides whether anonymous access is allowed (for admin ops
/// radosgw answers `AccessDenied` at the caps check).
pub fn authenticate(req: &AuthRequest, lookup: &dyn SecretLookup) -> Result<Identity> {
    verify(req, &credentials(req)?, lookup, false).map(|(identity, _)| identity)
}

/// [`authenticate`] for a request whose body is still to be read (S3 uploads stream to
/// disk); see [`verify`]'s `streaming`.
pub fn authenticate_streaming(
    req: &AuthRequest,
    lookup: &dyn SecretLookup,
) -> Result<(Identity, Payload)> {
    verify(req, &credentials(req)?, lookup, true)
}

/// Checks `creds` (read from `req` by [`credentials`]): time limits, then the secret of the
/// key, then the signature.
///
/// `streaming`: the body is not available. `req.body` is ignored, and every check that needs
/// the body is left to the returned [`Payload`], which a [`BodyVerifier`](super::BodyVerifier)
/// then checks as the body streams. Without `x-amz-content-sha256`, a SigV4 request
/// verifies only as `UNSIGNED-PAYLOAD` (Reef's alternative of the body's hash needs the
/// body). Only header-signed SigV4 yields anything but `Payload::Unchecked`: radosgw
/// installs no payload completer for presigned, v2 or anonymous requests.
pub fn verify(
    req: &AuthRequest,
    creds: &Credentials,
    lookup: &dyn SecretLookup,
    streaming: bool,
) -> Result<(Identity, Payload)> {
    match creds {
        Credentials::Anonymous => Ok((Identity::Anonymous, Payload::Unchecked)),
        Credentials::V4(parsed) if parsed.presigned => {
            // parse_v4_query_string: 1 <= X-Amz-Expires <= 7 days and `now < date +
            // expires`; both fail with -EPERM / -ERR_PRESIGNED_URL_EXPIRED, which radosgw
            // answers as AccessDenied.
            if !(1..=MAX_PRESIGNED_EXPIRES).contains(&parsed.expires) {
                return Err(Error::AccessDenied);
            }
            let now = unix_secs(req.now);
            if now >= parsed.time.saturating_add(parsed.expires) {
                return Err(Error::AccessDenied);
            }
            // radosgw has no check for a date in the future, so a URL dated years ahead
            // would never expire; AWS refuses one beyond the clock skew, and so do we.
            if parsed.time > now.saturating_add(MAX_SKEW_SECS) {
                return Err(Error::AccessDenied);
            }
            v4_verify(req, parsed, lookup, streaming)
        }
        Credentials::V4(parsed) => {
            // parse_v4_auth_header checks the skew before parse_v4_credentials looks at
            // the credential's shape.
            check_skew(req.now, parsed.time)?;
            v4_verify(req, parsed, lookup, streaming)
        }
        Credentials::V2 {
            access_key,
            signature,
            presigned,
        } => {
            let sts = if *presigned {
                // get_auth_data_v2: an empty `Expires` or `now >= Expires` is -EPERM. The
                // value goes through atoll(), so trailing garbage is ignored and a
                // non-number is 0 (expired).
                let expires = req
                    .query
                    .get_nonempty("Expires")
                    .ok_or(Error::AccessDenied)?;
                if unix_secs(req.now) >= atoll(expires) {
                    return Err(Error::AccessDenied);
                }
                sigv2::string_to_sign(req, true)?
            } else {
                let sts = sigv2::string_to_sign(req, false)?;
                if let Some(t) = sts.time {
                    check_skew(req.now, t)?;
                }
                sts
            };
            let secret = lookup.secret(access_key).ok_or(Error::InvalidAccessKeyId)?;
            sigv2::verify(&sts, &secret, signature)?;
            Ok((Identity::Key((*access_key).to_owned()), Payload::Unchecked))
        }
    }
}

/// What both SigV4 forms do once their time checks passed: the credential's shape, its
/// secret, then the signature proper, with or without the body.
fn v4_verify(
    req: &AuthRequest,
    parsed: &sigv4::V4Auth,
    lookup: &dyn SecretLookup,
    streaming: bool,
) -> Result<(Identity, Payload)> {
    let cred = sigv4::Credential::parse(parsed.credential)?;
    sigv4::check_binding(req, parsed, &cred)?;
    let secret = lookup
        .secret(cred.access_key)
        .ok_or(Error::InvalidAccessKeyId)?;
    let payload = if streaming {
        sigv4::verify_streaming(req, parsed, &cred, &secret)?
    } else {
        sigv4::verify(req, parsed, &cred, &secret)?;
        Payload::Unchecked
    };
    Ok((Identity::Key(cred.access_key.to_owned()), payload))
}

/// `is_time_skew_ok`: more than 15 minutes either way → `RequestTimeTooSkewed`.
pub(crate) fn check_skew(now: SystemTime, t: i64) -> Result<()> {
    let diff_ms = unix_millis(now) - i128::from(t) * 1000;
    if diff_ms.abs() > i128::from(MAX_SKEW_SECS) * 1000 {
        return Err(Error::RequestTimeTooSkewed);
    }
    Ok(())
}

fn unix_millis(t: SystemTime) -> i128 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as i128,
        Err(e) => -(e.duration().as_millis() as i128),
    }
}

/// Whole seconds since the epoch, rounded down (radosgw compares `ceph_clock_now()` seconds).
pub(crate) fn unix_secs(t: SystemTime) -> i64 {
    let ms = unix_millis(t);
    i64::try_from(ms.div_euclid(1000)).unwrap_or(if ms < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;
    use std::time::Duration;

    use hyper::header::{HeaderName, HeaderValue};
    use hyper::HeaderMap;

    use super::*;
    use crate::config::Compat;
    use crate::query::Query;

    pub const ADMIN_AK: &str = "ADMINACCESSKEY0000000";
    pub const ADMIN_SK: &str = "adminsecretkey00000000000000000000000000";

    /// A key store for tests.
    pub struct Keys(pub HashMap<String, Arc<str>>);

    impl Keys {
        pub fn admin() -> Keys {
            Keys::with(&[(ADMIN_AK, ADMIN_SK)])
        }
        pub fn with(pairs: &[(&str, &str)]) -> Keys {
            Keys(
                pairs
                    .iter()
                    .map(|(a, s)| (a.to_string(), Arc::from(*s)))
                    .collect(),
            )
        }
    }

    impl SecretLookup for Keys {
        fn secret(&self, access_key: &str) -> Option<Arc<str>> {
            self.0.get(access_key).cloned()
        }
    }

    /// An owned request, so tests can build one and lend it out as an `AuthRequest`.
    pub struct Req {
        pub method: String,
        pub path: String,
        pub query: Query,
        pub headers: HeaderMap,
        pub body: Vec<u8>,
        pub now: SystemTime,
        pub compat: Compat,
    }

    impl Req {
        /// `target` is the path plus the raw query string as on the wire.
        pub fn new(method: &str, target: &str, headers: &[(&str, &str)], now: &str) -> Req {
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let mut map = HeaderMap::new();
            for (k, v) in headers {
                map.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            Req {
                method: method.to_string(),
                path: path.to_string(),
                query: Query::parse(query).unwrap(),
                headers: map,
                body: Vec::new(),
                now: at(now),
                compat: Compat::Reef,
            }
        }
        pub fn body(mut self, body: &[u8]) -> Req {
            self.body = body.to_vec();
            self
        }
        pub fn auth(&self) -> AuthRequest<'_> {
            AuthRequest {
                method: &self.method,
                raw_path: &self.path,
                vhost_bucket: "",
                query: &self.query,
                headers: &self.headers,
                body: &self.body,
                now: self.now,
                compat: self.compat,
            }
        }
        pub fn check(&self, keys: &Keys) -> Result<Identity> {
            authenticate(&self.auth(), keys)
        }
        pub fn check_at(&self, keys: &Keys, compat: Compat) -> Result<Identity> {
            let mut a = self.auth();
            a.compat = compat;
            authenticate(&a, keys)
        }
    }

    /// `YYYYMMDDTHHMMSSZ` → SystemTime.
    pub fn at(iso: &str) -> SystemTime {
        let t = crate::clock::parse_iso8601_basic(iso).unwrap();
        UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap())
    }

    pub fn admin() -> Identity {
        Identity::Key(ADMIN_AK.to_string())
    }

    #[test]
    fn no_credentials_is_anonymous() {
        let r = Req::new("GET", "/admin/user?uid=admin", &[], "20261123T085619Z");
        assert_eq!(r.check(&Keys::admin()), Ok(Identity::Anonymous));
        // An empty Authorization header counts as none; so does AWSAccessKeyId= (empty).
        let r = Req::new(
            "GET",
            "/admin/user?AWSAccessKeyId=&Signature=x",
            &[("Authorization", "")],
            "20261123T085619Z",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(Identity::Anonymous));
        // Another X-Amz-Algorithm (SigV4a) is not presigned SigV4 → anonymous, as radosgw.
        let r = Req::new(
            "GET",
            "/admin/user?X-Amz-Algorithm=AWS4-ECDSA-P256-SHA256",
            &[],
            "20261123T085619Z",
        );
        assert_eq!(r.check(&Keys::admin()), Ok(Identity::Anonymous));
    }

    /// The key looked up is the one the verifier then checks: read once, from the
    /// credentials of each form.
    #[test]
    fn credentials_name_their_key() {
        let key = |target: &str, headers: &[(&str, &str)]| {
            let r = Req::new("GET", target, headers, "20261123T085619Z");
            let a = r.auth();
            credentials(&a).map(|c| (c.access_key().map(str::to_string), c.is_v2()))
        };
        let v4 = "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/s3/aws4_request, \
                  SignedHeaders=host, Signature=x";
        let date = ("x-amz-date", "20261123T085619Z");
        assert_eq!(
            key("/", &[("Authorization", v4), date]),
            Ok((Some("AKID".into()), false))
        );
        assert_eq!(
            key("/", &[("Authorization", "AWS AK2:sig")]),
            Ok((Some("AK2".into()), true))
        );
        assert_eq!(
            key(
                "/?X-Amz-Credential=AK3%2F20261123%2Fx%2Fs3%2Faws4_request&X-Amz-Algorithm=AWS4-HMAC-SHA256\
                 &X-Amz-Date=20261123T085619Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=s",
                &[]
            ),
            Ok((Some("AK3".into()), false))
        );
        assert_eq!(
            key("/?AWSAccessKeyId=AK4&Signature=s", &[]),
            Ok((Some("AK4".into()), true))
        );
        assert_eq!(key("/", &[]), Ok((None, false)));
        // Malformed credentials fail before any key is looked up.
        assert_eq!(
            key("/", &[("Authorization", "AWS4-HMAC-SHA256 Credential=AK5")]),
            Err(Error::AccessDenied)
        );
        assert_eq!(
            key("/", &[("Authorization", "AWS AK6")]),
            Err(Error::InvalidArgument)
        );
    }

    #[test]
    fn unknown_authorization_scheme_is_invalid_argument() {
        for auth in ["Bearer abc", "AWS4-HMAC-SHA512 x", "aws ak:sig", "AWS"] {
            let r = Req::new(
                "GET",
                "/admin/user",
                &[("Authorization", auth)],
                "20261123T085619Z",
            );
            assert_eq!(
                r.check(&Keys::admin()),
                Err(Error::InvalidArgument),
                "{auth}"
            );
        }
    }

    #[test]
    fn skew_limit_is_fifteen_minutes_either_way() {
        let t = 1_795_424_179; // 20261123T085619Z
        let base = UNIX_EPOCH + Duration::from_secs(t as u64);
        assert_eq!(check_skew(base + Duration::from_secs(900), t), Ok(()));
        assert_eq!(check_skew(base - Duration::from_secs(900), t), Ok(()));
        assert_eq!(
            check_skew(base + Duration::from_millis(900_001), t),
            Err(Error::RequestTimeTooSkewed)
        );
        assert_eq!(
            check_skew(base - Duration::from_secs(901), t),
            Err(Error::RequestTimeTooSkewed)
        );
    }
}
