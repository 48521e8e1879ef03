//! A bucket's CORS configuration: `GET`/`PUT`/`DELETE ?cors` (the owner's alone), the
//! `OPTIONS` preflight, and the `Access-Control-*` headers of answers to requests that
//! carry `Origin` — each as radosgw 16.2.15 answered the same requests (the matching
//! itself is `domain::cors`).

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue};
use http::StatusCode;

use super::bucket::change_as_owner;
use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::buckets::Bucket;
use crate::domain::cors::{self, CorsRule};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

const REQUEST_METHOD: &str = "access-control-request-method";
const REQUEST_HEADERS: &str = "access-control-request-headers";

/// GetBucketCors: the rules as radosgw writes them (no XML declaration; per rule its ID,
/// methods, origins, allowed headers, max age, exposed headers).
pub fn get(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    authz::owner_only(
        &req.asked(&b, None, "s3:GetBucketCORS"),
        &b.owner,
        OpKind::Read,
    )?;
    let rules = b.cors.as_ref().ok_or(Error::NoSuchCorsConfiguration)?;
    let mut x = Xml::bare();
    x.open_ns("CORSConfiguration");
    for r in rules {
        x.open("CORSRule");
        if let Some(id) = &r.id {
            x.elem("ID", id);
        }
        for (name, values) in [("AllowedMethod", &r.methods), ("AllowedOrigin", &r.origins)] {
            values.iter().for_each(|v| x.elem(name, v));
        }
        r.headers.iter().for_each(|v| x.elem("AllowedHeader", v));
        if let Some(age) = r.max_age {
            x.num("MaxAgeSeconds", age);
        }
        r.expose.iter().for_each(|v| x.elem("ExposeHeader", v));
        x.close("CORSRule");
    }
    x.close("CORSConfiguration");
    Ok(Reply::xml(x.finish()))
}

/// Store the rules (`None`: remove them).
fn set_rules(b: &mut Bucket, rules: Option<Vec<CorsRule>>) {
    b.cors = rules;
}

pub async fn put(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = || {
        Ok(Some(cors::rules_from_xml(crate::encode::s3_read::cors(
            &body,
        )?)?))
    };
    change_as_owner(app, req, "s3:PutBucketCORS", |_| parse(), set_rules).await?;
    Ok(Reply::empty(StatusCode::OK))
}

pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    change_as_owner(app, req, "s3:PutBucketCORS", |_| Ok(None), set_rules).await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// The `OPTIONS` preflight: `Origin` and `Access-Control-Request-Method` are required
/// (`InvalidArgument`); a bucket without rules, or no rule allowing the request, is
/// `AccessDenied`.
pub fn preflight(req: &S3Request) -> Result<Reply> {
    let (Some(origin), Some(method)) = (origin(req), req.header(REQUEST_METHOD)) else {
        return Err(Error::InvalidArgument);
    };
    let b = req.bucket()?;
    let rules = b.cors.as_deref().ok_or(Error::AccessDenied)?;
    let headers = cors::preflight(rules, origin, method, req.header(REQUEST_HEADERS))
        .ok_or(Error::AccessDenied)?;
    let mut r = Reply::empty(StatusCode::OK);
    add(&mut r.headers, headers);
    Ok(r)
}

/// The `Access-Control-*` headers an answer (error or not) to a request with `Origin`
/// gets from its bucket's rules. `signed`: the request carried a signature (an unsigned
/// one is answered `*` by a rule open to every origin). The method matched is the one an
/// `Access-Control-Request-Method` names, else the request's own, as radosgw's
/// `generate_cors_headers` takes it.
pub fn answer_headers(
    req: &S3Request,
    method: &str,
    signed: bool,
) -> Vec<(HeaderName, HeaderValue)> {
    let mut out = Vec::new();
    let (Some(origin), Some(b)) = (origin(req), req.target.as_ref()) else {
        return out;
    };
    let method = req.header(REQUEST_METHOD).unwrap_or(method);
    if let Some(h) = b
        .cors
        .as_deref()
        .and_then(|rules| cors::actual(rules, origin, method, req.header(REQUEST_HEADERS), signed))
    {
        add(&mut out, h);
    }
    out
}

/// The request's `Origin`. Every S3 answer asks: by the header constant, which needs no
/// name parsing.
fn origin(req: &S3Request) -> Option<&str> {
    req.headers
        .get(http::header::ORIGIN)
        .and_then(|v| v.to_str().ok())
}

fn add(out: &mut Vec<(HeaderName, HeaderValue)>, headers: Vec<(&'static str, String)>) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            out.push((HeaderName::from_static(k), v));
        }
    }
}
