//! Browser uploads (S3 POST Object): an HTML form posted to a bucket, its fields naming the
//! key, the object's headers and ACL, and carrying a policy signed by the page's owner, the
//! file last. As radosgw's `RGWPostObj`: the fields are read before the file; without a
//! `policy` the upload is anonymous (or the request's own signature's), and needs a bucket
//! that lets everyone write; with one, the form's signature names the caller and the policy
//! must cover every field. Then the file streams in as a PutObject would, bounded by the
//! policy's `content-length-range`.

use http::header::{HeaderName, HeaderValue, CONTENT_LENGTH, ETAG, LOCATION};
use http::{HeaderMap, StatusCode};

use super::object::{self, MAX_KEY_LEN};
use super::{Body, Reply, S3Op, S3Request};
use crate::auth::post_policy::{Fields, Policy, Signed};
use crate::authz::Caller;
use crate::config::SigV2;
use crate::domain::acl::Canned;
use crate::domain::blobs::MAX_PUT;
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

mod form;

/// What the fields before the file may take in all (AWS allows 20 KB; a tag set, a long
/// policy and metadata fit here with room to spare).
const MAX_FIELDS: usize = 1 << 20;

/// Form fields that become the object's headers, as the same-named request headers of a
/// PutObject would.
const HEADER_FIELDS: &[&str] = &[
    "content-type",
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "expires",
    "x-amz-storage-class",
];

/// The uploaded object's answer: where the form said to go, or the status it asked for.
pub async fn post(app: &App, req: &S3Request, body: Body) -> Result<Reply> {
    let b = req.bucket()?;
    let Body::Stream(src) = body else {
        return Err(Error::InvalidRequest);
    };
    let boundary = form::boundary(req.header("content-type"))?;
    let declared = req
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .ok_or(Error::MissingContentLength)?;
    if declared > MAX_PUT + MAX_FIELDS as u64 {
        return Err(Error::EntityTooLarge);
    }
    let mut form = form::Form::new(src, &boundary, MAX_FIELDS);
    let mut fields = Fields::default();
    let filename = loop {
        let Some(part) = form.next_part(true).await? else {
            return Err(
                Error::InvalidArgument.saying("POST requires exactly one file upload per request.")
            );
        };
        if part.name.eq_ignore_ascii_case("file") {
            break part.filename.unwrap_or_default();
        }
        let value = String::from_utf8(form.value().await?)
            .map_err(|_| Error::InvalidArgument.saying("Malformed request"))?;
        fields.set(&part.name, value);
    };

    let key = fields
        .get("key")
        .ok_or_else(|| Error::InvalidArgument.saying("Key not specified"))?
        .replacen("${filename}", &filename, 1);
    if key.is_empty() {
        return Err(Error::InvalidArgument.saying("Empty object name"));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::InvalidObjectName);
    }
    let headers = object_headers(&fields, form.at_most_left(declared))?;
    let tags = match fields.get("tagging") {
        Some(doc) => {
            let tags = crate::encode::s3_read::tagging(doc.as_bytes())
                .map_err(|_| Error::InvalidArgument.saying("Invalid Tagging XML"))?;
            super::tagging::validate(&tags)?;
            super::tagging::sorted(tags)
        }
        None => Vec::new(),
    };

    // What the policy's conditions see: every field, the bucket, and the key as it will be.
    let mut env = fields.clone();
    env.set("bucket", req.bucket.clone());
    env.set("key", key.clone());
    let (caller, min, max) = match fields.get("policy") {
        Some(policy) => {
            let signed = Signed::from_fields(&fields)?;
            let caller = form_caller(app, &signed, policy).await?;
            let p = Policy::parse(policy)?;
            p.check(&env, &signed, crate::clock::now_us().div_euclid(1_000_000))?;
            (caller, p.min_len, p.max_len)
        }
        None => (req.caller.clone(), 0, u64::MAX),
    };

    let upload = S3Request {
        op: S3Op::PutObject,
        bucket: req.bucket.clone(),
        key,
        query: req.query.clone(),
        headers,
        caller,
        target: Some(b.clone()),
        request_id: req.request_id.clone(),
        peer: req.peer,
    };
    let file = form.into_file(min, max);
    let etag = object::upload(app, &upload, Body::Stream(Box::new(file)), Some(tags))
        .await?
        .etag;
    answer(app, req, &fields, &upload.key, &etag)
}

/// The caller a form's signature names: its key's owner, when the signature over the
/// policy verifies. Anything else (an unknown or disabled key, a suspended user, a bad
/// signature, a session token this gateway never issued) is `AccessDenied`, as radosgw
/// answers every failure of a form's authentication.
async fn form_caller(app: &App, signed: &Signed<'_>, policy: &str) -> Result<Caller> {
    let v2 = matches!(signed, Signed::V2 { .. });
    // A POST is a write: v2 forms go where v2 writes go.
    if v2 && app.cfg.sigv2 != SigV2::Allow {
        return Err(Error::AccessDenied);
    }
    let ak = signed.access_key();
    let owner = app
        .users
        .by_access_key(ak)
        .await?
        .filter(|o| o.active && !o.user.suspended)
        .ok_or(Error::AccessDenied)?;
    signed.verify(policy, &owner.secret)?;
    Ok(Caller::of_key(&owner, ak.to_string()))
}

/// The request headers a PutObject of the same object would have carried: the object's
/// headers, its metadata, its canned ACL and anything asking for encryption (refused as on
/// a PutObject), and the most the file can be (for the quota's first check).
fn object_headers(fields: &Fields, file_at_most: u64) -> Result<HeaderMap> {
    let mut h = HeaderMap::new();
    let mut put = |name: &str, value: &str| -> Result<()> {
        let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        match (name, value) {
            (Ok(n), Ok(v)) => {
                h.insert(n, v);
                Ok(())
            }
            _ => Err(Error::InvalidArgument.saying("Malformed request")),
        }
    };
    for (name, value) in fields.iter() {
        let lower = name.to_ascii_lowercase();
        if HEADER_FIELDS.contains(&lower.as_str())
            || lower.starts_with("x-amz-meta-")
            || lower.starts_with("x-amz-server-side-encryption")
        {
            if !value.is_empty() {
                put(&lower, value)?;
            }
        } else if lower == "acl" && !value.is_empty() {
            Canned::parse(value.trim())
                .ok_or_else(|| Error::InvalidArgument.saying("Bad canned ACLs"))?;
            put("x-amz-acl", value)?;
        }
    }
    put(CONTENT_LENGTH.as_str(), &file_at_most.to_string())?;
    object::check_storage_class(&h)
        .map_err(|e| e.saying("The storage class you specified is not valid"))?;
    Ok(h)
}

/// radosgw's answer to a stored upload: `303` to `success_action_redirect` (with the
/// bucket, key and ETag added to its query), else `success_action_status` 200, 201 (a
/// `PostResponse` document) or, for anything else and by default, 204.
fn answer(app: &App, req: &S3Request, fields: &Fields, key: &str, etag: &str) -> Result<Reply> {
    use percent_encoding::utf8_percent_encode as enc;
    let set = super::listing::URL_KEY;
    if let Some(to) = fields.get("success_action_redirect") {
        let quoted = object::quoted(etag);
        let location = format!(
            "{to}{}bucket={}&key={}&etag={}",
            if to.contains('?') { '&' } else { '?' },
            enc(&req.bucket, set),
            enc(key, set),
            enc(&quoted, set),
        );
        return Ok(Reply::empty(StatusCode::SEE_OTHER)
            .header(LOCATION, location)
            .header(ETAG, quoted));
    }
    let status = fields
        .get("success_action_status")
        .and_then(|s| s.trim().parse::<u32>().ok());
    let reply = match status {
        Some(200) => Reply::empty(StatusCode::OK),
        Some(201) => {
            let scheme = if app.cfg.tls_cert.is_some() {
                "https"
            } else {
                "http"
            };
            let host = req.header("host").unwrap_or("localhost");
            let mut x = Xml::bare();
            x.open("PostResponse");
            x.elem(
                "Location",
                &format!(
                    "{scheme}://{host}/{}/{}",
                    enc(&req.bucket, set),
                    enc(key, set)
                ),
            );
            x.elem("Bucket", &req.bucket);
            x.elem("Key", key);
            x.elem("ETag", etag);
            x.close("PostResponse");
            let mut r = Reply::xml(x.finish());
            r.status = StatusCode::CREATED;
            r
        }
        _ => Reply::empty(StatusCode::NO_CONTENT),
    };
    Ok(reply.header(ETAG, object::quoted(etag)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> Fields {
        let mut f = Fields::default();
        for (k, v) in pairs {
            f.set(k, v.to_string());
        }
        f
    }

    #[test]
    fn fields_become_headers() {
        let h = object_headers(
            &fields(&[
                ("Content-Type", "text/plain"),
                ("X-Amz-Meta-Color", "blue"),
                ("acl", "public-read"),
                ("Cache-Control", "max-age=5"),
                ("policy", "ignored"),
                ("success_action_status", "201"),
                ("x-amz-storage-class", "STANDARD"),
            ]),
            99,
        )
        .unwrap();
        let get = |n: &str| h.get(n).and_then(|v| v.to_str().ok());
        assert_eq!(get("content-type"), Some("text/plain"));
        assert_eq!(get("x-amz-meta-color"), Some("blue"));
        assert_eq!(get("x-amz-acl"), Some("public-read"));
        assert_eq!(get("cache-control"), Some("max-age=5"));
        assert_eq!(get("content-length"), Some("99"));
        assert_eq!(get("policy"), None);
        assert_eq!(h.len(), 6);
        let e = object_headers(&fields(&[("acl", "bogus")]), 1).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            ("InvalidArgument", "Bad canned ACLs")
        );
        let e = object_headers(&fields(&[("x-amz-storage-class", "GLACIER")]), 1).unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            (
                "InvalidArgument",
                "The storage class you specified is not valid"
            )
        );
        let e = object_headers(&fields(&[("x-amz-meta-a", "x\ny")]), 1).unwrap_err();
        assert_eq!(e.code(), "InvalidArgument");
    }
}
