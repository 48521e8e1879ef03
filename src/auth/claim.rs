//! The access key a request claims to be signed with, read cheaply from the credentials
//! before they are verified, so the caller's record can be fetched first. Nothing is
//! trusted from it: the verifier parses the credentials itself and only accepts a secret
//! looked up for exactly the key it parsed.

use hyper::header::AUTHORIZATION;
use hyper::HeaderMap;

use crate::query::Query;

pub fn claimed_access_key<'a>(headers: &'a HeaderMap, query: &'a Query) -> Option<&'a str> {
    if let Some(v) = headers
        .get(AUTHORIZATION)
        .filter(|v| !v.is_empty())
        .and_then(|v| v.to_str().ok())
    {
        if let Some(rest) = v.strip_prefix("AWS4-HMAC-SHA256") {
            let cred = rest.split("Credential=").nth(1)?;
            return cred.split('/').next().map(str::trim);
        }
        if let Some(rest) = v.strip_prefix("AWS ") {
            return rest.rsplit_once(':').map(|(ak, _)| ak.trim());
        }
        return None;
    }
    if let Some(c) = query.get_ignore_case("X-Amz-Credential") {
        return c.split('/').next();
    }
    query.get_nonempty("AWSAccessKeyId")
}

/// Whether the request is signed with SigV2, by the rule `authenticate` dispatches on: an
/// `Authorization: AWS ...` header, or (without a header and without SigV4 query
/// parameters) an `AWSAccessKeyId` parameter.
pub fn is_sigv2(headers: &HeaderMap, query: &Query) -> bool {
    if let Some(v) = headers.get(AUTHORIZATION).filter(|v| !v.is_empty()) {
        return v.as_bytes().starts_with(b"AWS ");
    }
    query.get_ignore_case("X-Amz-Algorithm") != Some(super::sigv4::ALGORITHM)
        && query.get_nonempty("AWSAccessKeyId").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form() {
        let mut h = HeaderMap::new();
        let q = Query::default();
        h.insert(
            AUTHORIZATION,
            "AWS4-HMAC-SHA256 Credential=AKID/20261123/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x"
                .parse()
                .unwrap(),
        );
        assert_eq!(claimed_access_key(&h, &q), Some("AKID"));
        h.insert(AUTHORIZATION, "AWS AK2:sig".parse().unwrap());
        assert_eq!(claimed_access_key(&h, &q), Some("AK2"));
        let h = HeaderMap::new();
        let q = Query::parse("X-Amz-Credential=AK3%2F2026%2Fx&X-Amz-Algorithm=AWS4-HMAC-SHA256")
            .unwrap();
        assert_eq!(claimed_access_key(&h, &q), Some("AK3"));
        let q = Query::parse("AWSAccessKeyId=AK4&Signature=s").unwrap();
        assert_eq!(claimed_access_key(&h, &q), Some("AK4"));
        assert_eq!(claimed_access_key(&h, &Query::default()), None);
    }
}
