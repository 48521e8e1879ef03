//! The policy document of a browser upload (S3 POST Object) and the signature over it, as
//! radosgw checks them (`rgw_policy_s3.cc`, `RGWPostObj_ObjStore_S3::get_policy`).
//!
//! The form's `policy` field is a base64 JSON document: an `expiration` and `conditions`.
//! Its signature is over the base64 text itself: `base64(HMAC-SHA1(secret, policy))` with
//! `AWSAccessKeyId` and `signature` (v2), or `hex(HMAC-SHA256(signing key, policy))` with
//! `x-amz-credential`, `x-amz-date` and `x-amz-signature` (v4). Every form field (and the
//! bucket) must be covered by a condition, but `x-ignore-*` and the signature fields:
//! anything the page's owner did not sign for would otherwise be the uploader's to add.
//! Failures carry radosgw's messages, which are what a web developer debugging a form reads.

use crate::error::{Error, Result};

/// A form's fields by name (compared without case, as radosgw's `ltstr_nocase` map), the
/// last of a repeated name winning.
#[derive(Debug, Default, Clone)]
pub struct Fields(Vec<(String, String)>);

impl Fields {
    pub fn set(&mut self, name: &str, value: String) {
        match self
            .0
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_string(), value)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// How a form is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signed<'a> {
    V2 {
        access_key: &'a str,
        signature: &'a str,
    },
    V4 {
        credential: &'a str,
        signature: &'a str,
    },
}

impl<'a> Signed<'a> {
    /// The signature fields a form with a policy must carry: v4 when `x-amz-algorithm` says
    /// `AWS4-HMAC-SHA256`, else v2. `InvalidArgument` naming the missing field.
    pub fn from_fields(f: &'a Fields) -> Result<Signed<'a>> {
        let need = |name: &str, what: &str| {
            f.get(name)
                .ok_or_else(|| Error::InvalidArgument.saying(format!("Missing {what}")))
        };
        if f.get("x-amz-algorithm") == Some(super::sigv4::ALGORITHM) {
            let credential = need("x-amz-credential", "aws4 credential")?;
            let signature = need("x-amz-signature", "aws4 signature")?;
            need("x-amz-date", "aws4 date")?;
            Ok(Signed::V4 {
                credential,
                signature,
            })
        } else {
            let access_key = need("AWSAccessKeyId", "aws2 access key")?;
            let signature = need("signature", "aws2 signature")?;
            Ok(Signed::V2 {
                access_key,
                signature,
            })
        }
    }

    /// The access key the form claims to be signed with.
    pub fn access_key(&self) -> &'a str {
        match self {
            Signed::V2 { access_key, .. } => access_key,
            Signed::V4 { credential, .. } => credential.split('/').next().unwrap_or(""),
        }
    }

    /// Check the signature over `policy` (the base64 text, as sent) with `secret`, in
    /// constant time. `AccessDenied` when it does not verify, as radosgw answers.
    pub fn verify(&self, policy: &str, secret: &std::sync::Arc<str>) -> Result<()> {
        let ours = match self {
            Signed::V2 { .. } => super::sigv2::signature(secret, policy.as_bytes()),
            Signed::V4 { credential, .. } => {
                let c = super::sigv4::Credential::parse(credential)?;
                if c.region.len() > super::sigv4::MAX_CACHED_SCOPE_PART
                    || c.service.len() > super::sigv4::MAX_CACHED_SCOPE_PART
                {
                    return Err(Error::AccessDenied);
                }
                let key =
                    super::sigv4::signing_key(c.access_key, secret, c.date, c.region, c.service);
                super::sigv4::signature(&key, policy.as_bytes())
            }
        };
        let theirs = match self {
            Signed::V2 { signature, .. } | Signed::V4 { signature, .. } => signature,
        };
        if secret.is_empty() || !super::ct_eq(ours.as_bytes(), theirs.as_bytes()) {
            return Err(Error::AccessDenied);
        }
        Ok(())
    }

    /// The fields that carry the signature: exempt from the policy's conditions.
    fn exempt(&self) -> &'static [&'static str] {
        match self {
            Signed::V2 { .. } => &["policy", "AWSAccessKeyId", "signature"],
            Signed::V4 { .. } => &["policy", "x-amz-signature"],
        }
    }
}

/// One condition of a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Condition {
    /// `{"name": "value"}`: the field must exist and equal the value.
    Exact(String, String),
    /// `["eq", a, b]`, `["starts-with", a, b]`: each side a literal or a `$field`.
    Eq(String, String),
    StartsWith(String, String),
}

/// A parsed policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Unix seconds.
    expires: i64,
    conditions: Vec<Condition>,
    /// `content-length-range`, the tightest of all given.
    pub min_len: u64,
    pub max_len: u64,
}

fn bad(message: &str) -> Error {
    Error::InvalidArgument.saying(message)
}

/// radosgw's `JSONObj::get_data` of a condition's value: a string's text, any other
/// value's JSON.
fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

impl Policy {
    /// Decode and parse the `policy` field; `InvalidArgument` with radosgw's message.
    pub fn parse(encoded: &str) -> Result<Policy> {
        use base64::Engine as _;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .map_err(|_| bad("Could not decode policy"))?;
        let doc: serde_json::Value =
            serde_json::from_slice(&raw).map_err(|_| bad("Malformed JSON"))?;
        let expiration = doc
            .get("expiration")
            .ok_or_else(|| bad("Policy missing expiration"))?;
        let expires = crate::clock::parse_utime(&text(expiration))
            .ok_or_else(|| bad("Failed to parse policy expiration"))?
            .div_euclid(1_000_000);
        let conditions = doc
            .get("conditions")
            .ok_or_else(|| bad("Policy missing conditions"))?;
        let mut p = Policy {
            expires,
            conditions: Vec::new(),
            min_len: 0,
            max_len: u64::MAX,
        };
        let items = match conditions {
            serde_json::Value::Array(a) => a.as_slice(),
            _ => return Err(bad("Failed to parse policy")),
        };
        for c in items {
            match c {
                serde_json::Value::Array(a) => {
                    let [op, first, second] = a.as_slice() else {
                        return Err(bad("Bad condition array, expecting 3 arguments"));
                    };
                    p.add(&text(op), text(first), text(second))?;
                }
                serde_json::Value::Object(o) if !o.is_empty() => {
                    for (k, v) in o {
                        p.conditions.push(Condition::Exact(k.clone(), text(v)));
                    }
                }
                _ => return Err(bad("Failed to parse policy")),
            }
        }
        Ok(p)
    }

    fn add(&mut self, op: &str, first: String, second: String) -> Result<()> {
        if op.eq_ignore_ascii_case("eq") {
            self.conditions.push(Condition::Eq(first, second));
        } else if op.eq_ignore_ascii_case("starts-with") {
            self.conditions.push(Condition::StartsWith(first, second));
        } else if op.eq_ignore_ascii_case("content-length-range") {
            let n = |s: &str| {
                s.trim()
                    .parse::<i64>()
                    .map_err(|_| bad("Bad content-length-range param"))
            };
            let (min, max) = (n(&first)?, n(&second)?);
            self.min_len = self.min_len.max(min.max(0) as u64);
            self.max_len = self.max_len.min(max.max(0) as u64);
        } else {
            return Err(bad(&format!("Invalid condition: {op}")));
        }
        Ok(())
    }

    /// Check the form's variables (`env`: the fields, the bucket, the final key) against the
    /// policy at `now` (unix seconds): `AccessDenied` with radosgw's message when expired,
    /// when a condition fails, or when a variable is covered by none.
    pub fn check(&self, env: &Fields, signed: &Signed<'_>, now: i64) -> Result<()> {
        let denied = |m: String| Error::AccessDenied.saying(m);
        if self.expires <= now {
            return Err(denied("Policy expired".into()));
        }
        let mut checked: Vec<&str> = signed.exempt().to_vec();
        for c in &self.conditions {
            if let Condition::Exact(name, want) = c {
                let Some(got) = env.get(name) else {
                    return Err(denied(format!(
                        "Policy check failed, variable not found: {name}"
                    )));
                };
                mark(env, name, &mut checked);
                if got != want {
                    return Err(denied(format!(
                        "Policy check failed, variable not met condition: {name}"
                    )));
                }
            }
        }
        for c in &self.conditions {
            let (first, second, ok, op) = match c {
                Condition::Exact(..) => continue,
                Condition::Eq(a, b) => {
                    let (x, y) = (value(env, a, &mut checked), value(env, b, &mut checked));
                    (a, b, x == y, "eq")
                }
                Condition::StartsWith(a, b) => {
                    let (x, y) = (value(env, a, &mut checked), value(env, b, &mut checked));
                    (a, b, x.starts_with(&y), "starts-with")
                }
            };
            if !ok {
                return Err(denied(format!(
                    "Policy condition failed: {op}: {first}, {second}"
                )));
            }
        }
        for (name, _) in env.iter() {
            let ignored = name
                .get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("x-ignore-"));
            if !ignored && !checked.iter().any(|c| c.eq_ignore_ascii_case(name)) {
                return Err(denied(format!("Policy missing condition: {name}")));
            }
        }
        Ok(())
    }
}

/// Note the variable `name` as covered by a condition.
fn mark<'e>(env: &'e Fields, name: &str, checked: &mut Vec<&'e str>) {
    if let Some((n, _)) = env.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
        checked.push(n);
    }
}

/// One side of a condition: a `$name` is the variable's value (empty when absent) and
/// covers it; anything else is itself.
fn value<'e>(env: &'e Fields, side: &str, checked: &mut Vec<&'e str>) -> String {
    match side.strip_prefix('$') {
        Some(name) => {
            mark(env, name, checked);
            env.get(name).unwrap_or("").to_string()
        }
        None => side.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn enc(doc: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(doc)
    }

    fn env(pairs: &[(&str, &str)]) -> Fields {
        let mut f = Fields::default();
        for (k, v) in pairs {
            f.set(k, v.to_string());
        }
        f
    }

    const V2: Signed<'static> = Signed::V2 {
        access_key: "AK",
        signature: "sig",
    };
    const NOW: i64 = 1_800_000_000; // 2027-01-15

    fn message(e: Error) -> (String, String) {
        (e.code().to_string(), e.message().to_string())
    }

    #[test]
    fn parse_errors_say_what_radosgw_says() {
        let p = |doc: &str| message(Policy::parse(&enc(doc)).unwrap_err()).1;
        assert_eq!(
            message(Policy::parse("!!!").unwrap_err()),
            ("InvalidArgument".into(), "Could not decode policy".into())
        );
        assert_eq!(p("{nope"), "Malformed JSON");
        assert_eq!(p(r#"{"conditions": []}"#), "Policy missing expiration");
        assert_eq!(
            p(r#"{"expiration": "soon", "conditions": []}"#),
            "Failed to parse policy expiration"
        );
        assert_eq!(
            p(r#"{"expiration": "2030-01-01T00:00:00Z"}"#),
            "Policy missing conditions"
        );
        assert_eq!(
            p(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["eq", "$key"]]}"#),
            "Bad condition array, expecting 3 arguments"
        );
        assert_eq!(
            p(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [["gt", "$key", "a"]]}"#),
            "Invalid condition: gt"
        );
        assert_eq!(
            p(r#"{"expiration": "2030-01-01T00:00:00Z",
                    "conditions": [["content-length-range", "x", 3]]}"#),
            "Bad content-length-range param"
        );
    }

    #[test]
    fn conditions_cover_every_field() {
        let doc = r#"{"expiration": "2030-01-01T00:00:00.000Z", "conditions": [
            {"bucket": "b"}, ["starts-with", "$key", "up/"], ["eq", "$Content-Type", "text/plain"],
            ["content-length-range", 10, "1000"], ["content-length-range", 0, 500]]}"#;
        let p = Policy::parse(&enc(doc)).unwrap();
        assert_eq!((p.min_len, p.max_len), (10, 500));
        let base = [
            ("bucket", "b"),
            ("key", "up/a"),
            ("content-type", "text/plain"),
            ("policy", "..."),
            ("AWSAccessKeyId", "AK"),
            ("Signature", "sig"),
            ("x-ignore-this", "1"),
        ];
        assert_eq!(p.check(&env(&base), &V2, NOW), Ok(()));
        let fail = |extra: &[(&str, &str)], now: i64| {
            let mut e = env(&base);
            for (k, v) in extra {
                e.set(k, v.to_string());
            }
            message(p.check(&e, &V2, now).unwrap_err())
        };
        let denied = |m: &str| ("AccessDenied".to_string(), m.to_string());
        assert_eq!(fail(&[], 1_900_000_000), denied("Policy expired"));
        assert_eq!(
            fail(&[("x-amz-meta-a", "1")], NOW),
            denied("Policy missing condition: x-amz-meta-a")
        );
        assert_eq!(
            fail(&[("KEY", "down/a")], NOW),
            denied("Policy condition failed: starts-with: $key, up/")
        );
        assert_eq!(
            fail(&[("Content-Type", "text/html")], NOW),
            denied("Policy condition failed: eq: $Content-Type, text/plain")
        );
        assert_eq!(
            fail(&[("bucket", "other")], NOW),
            denied("Policy check failed, variable not met condition: bucket")
        );
        let no_bucket = Policy::parse(&enc(
            r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": [{"acl": "private"}]}"#,
        ))
        .unwrap();
        assert_eq!(
            message(
                no_bucket
                    .check(&env(&[("bucket", "b")]), &V2, NOW)
                    .unwrap_err()
            ),
            denied("Policy check failed, variable not found: acl")
        );
    }

    #[test]
    fn signatures() {
        let secret: std::sync::Arc<str> = "secret".into();
        let policy = enc(r#"{"expiration": "2030-01-01T00:00:00Z", "conditions": []}"#);
        let v2sig = super::super::sigv2::signature(&secret, policy.as_bytes());
        let f = env(&[("AWSAccessKeyId", "AK"), ("signature", &v2sig)]);
        let s = Signed::from_fields(&f).unwrap();
        assert_eq!(s.access_key(), "AK");
        assert_eq!(s.verify(&policy, &secret), Ok(()));
        assert_eq!(s.verify(&policy, &"other".into()), Err(Error::AccessDenied));
        assert_eq!(
            s.verify(&(policy.clone() + "x"), &secret),
            Err(Error::AccessDenied)
        );

        let key = super::super::sigv4::derive_signing_key(&secret, "20300101", "us-east-1", "s3");
        let v4sig = super::super::sigv4::signature(&key, policy.as_bytes());
        let f = env(&[
            ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
            ("x-amz-credential", "AK/20300101/us-east-1/s3/aws4_request"),
            ("x-amz-date", "20300101T000000Z"),
            ("x-amz-signature", &v4sig),
        ]);
        let s = Signed::from_fields(&f).unwrap();
        assert_eq!(s.access_key(), "AK");
        assert_eq!(s.verify(&policy, &secret), Ok(()));
        assert_eq!(s.verify(&policy, &"other".into()), Err(Error::AccessDenied));

        let missing = env(&[("x-amz-algorithm", "AWS4-HMAC-SHA256")]);
        assert_eq!(
            message(Signed::from_fields(&missing).unwrap_err()),
            ("InvalidArgument".into(), "Missing aws4 credential".into())
        );
        assert_eq!(
            message(Signed::from_fields(&env(&[("AWSAccessKeyId", "AK")])).unwrap_err()),
            ("InvalidArgument".into(), "Missing aws2 signature".into())
        );
    }
}
