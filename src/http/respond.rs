//! Writing answers: admin documents in the request's format with radosgw's headers, S3
//! replies, and the one error renderer for every dialect (admin JSON/XML, S3 XML, Swift).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Frame;
use hyper::header::{HeaderValue, ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::{HeaderMap, Response, StatusCode};

use super::body::{self, RespBody};
use crate::domain::App;
use crate::encode::{json, xml, Doc, Format, ObjBuilder, Style};
use crate::error::{Error, Result};
use crate::ops::{AdminOp, KeyPages, Reply};
use crate::s3::ReplyBody;

/// Who reads an error, and so how it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Admin(Format),
    S3,
    Swift,
}

/// `format=` first, then `Accept`, else JSON (`allocate_formatter`).
pub fn admin_format(q: &crate::query::Query, headers: &HeaderMap) -> Format {
    match q.get("format") {
        Some("xml") => return Format::Xml,
        Some("json") => return Format::Json,
        _ => {}
    }
    let accept = headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    match accept.split(';').next().unwrap_or("").trim() {
        "application/xml" | "text/xml" => Format::Xml,
        _ => Format::Json,
    }
}

const REQUEST_ID: hyper::header::HeaderName =
    hyper::header::HeaderName::from_static("x-amz-request-id");

fn base(rid: &str) -> hyper::http::response::Builder {
    Response::builder().header(REQUEST_ID, rid)
}

fn internal_error() -> Response<RespBody> {
    let mut r = Response::new(body::empty());
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// radosgw's error document: Code, Message (mostly empty, see `Error::message`),
/// `BucketName` for S3 requests that named one, RequestId, HostId. `status` overrides the
/// code's own (Swift auth answers `AccessDenied` with 401).
pub fn error(
    app: &App,
    e: &Error,
    dialect: Dialect,
    rid: &str,
    bucket: &str,
    is_head: bool,
    status: Option<StatusCode>,
) -> Response<RespBody> {
    error_saying(app, e, e.message(), dialect, rid, bucket, is_head, status)
}

/// [`error`] with a `Message` (radosgw leaves it empty; later levels say why).
#[allow(clippy::too_many_arguments)]
pub fn error_saying(
    app: &App,
    e: &Error,
    message: &str,
    dialect: Dialect,
    rid: &str,
    bucket: &str,
    is_head: bool,
    status: Option<StatusCode>,
) -> Response<RespBody> {
    match e {
        Error::Unknown(cause) => tracing::error!(req = %rid, cause = %cause, "internal failure"),
        Error::SlowDown => {
            crate::metrics::get().ratelimit_refusals.inc();
        }
        Error::QuotaExceeded => {
            crate::metrics::get().quota_refusals.inc();
        }
        _ => {}
    }
    let mut b = ObjBuilder::new()
        .str("Code", e.code())
        .str("Message", message);
    if dialect == Dialect::S3 && !bucket.is_empty() {
        b = b.str("BucketName", bucket);
    }
    let doc = Doc::new(
        "Error",
        b.str("RequestId", rid)
            .str("HostId", app.host_id.as_str())
            .build(),
    );
    let (ctype, text) = match dialect {
        Dialect::Admin(Format::Json) => ("application/json", json::render(&doc.node, app.style())),
        Dialect::Admin(Format::Xml) | Dialect::S3 => {
            ("application/xml", xml::render(&doc, app.style()))
        }
        Dialect::Swift => (
            "application/json; charset=utf-8",
            json::render(&doc.node, Style::default()),
        ),
    };
    let text = if is_head { String::new() } else { text };
    let status = status.unwrap_or_else(|| {
        StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    });
    let mut r = Response::builder().status(status);
    if dialect == Dialect::Swift {
        r = r
            .header("X-Trans-Id", rid)
            .header("X-Openstack-Request-Id", rid)
            .header(CONTENT_TYPE, ctype)
            .header(CONTENT_LENGTH, text.len());
    } else {
        r = r
            .header(CONTENT_LENGTH, text.len())
            .header(REQUEST_ID, rid)
            .header(ACCEPT_RANGES, "bytes")
            .header(CONTENT_TYPE, ctype);
    }
    r.body(body::full(text))
        .unwrap_or_else(|_| internal_error())
}

/// A document in the request's format, as radosgw writes it.
pub fn render_doc(doc: &Doc, fmt: Format, buffered: bool, style: Style) -> String {
    match fmt {
        Format::Json => json::render(&doc.node, style),
        Format::Xml => {
            let mut s = xml::render(doc, style);
            if buffered {
                // These ops fill the formatter before the prologue would be written.
                s.drain(..xml::PROLOGUE.len());
            }
            s
        }
    }
}

/// radosgw sends no Content-Type on streamed JSON successes, `application/json` on buffered
/// ones, and `application/xml` on XML.
/// The `Content-Type` radosgw sends with an admin document: none for JSON it streams.
fn doc_type(fmt: Format, op: AdminOp) -> Option<&'static str> {
    match (fmt, op.buffered()) {
        (Format::Json, false) => None,
        (Format::Json, true) => Some("application/json"),
        (Format::Xml, _) => Some("application/xml"),
    }
}

fn with_type(
    b: hyper::http::response::Builder,
    fmt: Format,
    op: AdminOp,
) -> hyper::http::response::Builder {
    match doc_type(fmt, op) {
        None => b,
        Some(t) => b.header(CONTENT_TYPE, t),
    }
}

/// An admin document, built directly with its header map sized once (the builder converts,
/// hashes and grows it header by header): the answer of every read.
fn doc_answer(rid: &str, fmt: Format, op: AdminOp, text: Bytes) -> Response<RespBody> {
    let Ok(rid) = HeaderValue::from_str(rid) else {
        return internal_error();
    };
    let mut resp = Response::new(body::full(text));
    let h = resp.headers_mut();
    h.reserve(2);
    h.insert(REQUEST_ID, rid);
    if let Some(t) = doc_type(fmt, op) {
        h.insert(CONTENT_TYPE, HeaderValue::from_static(t));
    }
    resp
}

/// An admin op's answer.
pub fn admin(app: &App, reply: Reply, fmt: Format, op: AdminOp, rid: &str) -> Response<RespBody> {
    let style = app.style();
    // hyper writes `Content-Length` itself for a body of known length, straight into the
    // head (where radosgw has it too: after the type, before the date), with no header value
    // to allocate.
    let doc_body = |text: Bytes| Ok::<_, hyper::http::Error>(doc_answer(rid, fmt, op, text));
    let built = match reply {
        Reply::Doc(doc) => doc_body(Bytes::from(render_doc(&doc, fmt, op.buffered(), style))),
        Reply::UserInfo(u) => doc_body(app.rendered.get_or_render(
            (&u.uid.tenant, &u.uid.id),
            fmt,
            style,
            (u.ver, u.mtime_us),
            || {
                render_doc(
                    &crate::ops::user::info_doc(&u, None, app.key_view()),
                    fmt,
                    op.buffered(),
                    style,
                )
            },
        )),
        Reply::Keys { first, more: None } => doc_body(Bytes::from(render_doc(
            &Doc::new("keys", crate::encode::str_arr("key", first)),
            fmt,
            op.buffered(),
            style,
        ))),
        Reply::Keys {
            first,
            more: Some(more),
        } => with_type(base(rid), fmt, op).body(KeysBody::start(fmt, op.buffered(), first, more)),
        Reply::Empty => base(rid).header(CONTENT_LENGTH, 0).body(body::empty()),
        Reply::MetadataUpdated { ver, tag } => base(rid)
            .status(StatusCode::NO_CONTENT)
            .header("rgwx_update_status", "applied")
            .header("rgwx_update_version", format!("ver:{ver},tag:{tag}"))
            .header(CONTENT_LENGTH, 0)
            .body(body::empty()),
        Reply::MetadataWritten { ver, tag } => base(rid)
            .header("rgwx_update_version", format!("ver:{ver},tag:{tag}"))
            .header(CONTENT_LENGTH, 0)
            .body(body::empty()),
        Reply::MetadataSkipped => base(rid)
            .status(StatusCode::NO_CONTENT)
            .header("rgwx_update_status", "skipped")
            .header("rgwx_update_version", "ver:0,tag:")
            .header(CONTENT_LENGTH, 0)
            .body(body::empty()),
    };
    built.unwrap_or_else(|_| internal_error())
}

/// An S3 op's answer. The header map is sized once: growing it (twice for a GET's dozen
/// headers) was a tenth of a 4 KiB GET's allocator work.
pub fn s3(reply: crate::s3::Reply, rid: &str) -> Response<RespBody> {
    let Ok(rid) = HeaderValue::from_str(rid) else {
        return internal_error();
    };
    let mut headers = HeaderMap::with_capacity(reply.headers.len() + 2);
    headers.insert(REQUEST_ID, rid);
    for (k, v) in reply.headers {
        headers.append(k, v);
    }
    let body = match reply.body {
        ReplyBody::Empty => body::empty(),
        ReplyBody::Xml(doc) => {
            headers.insert(CONTENT_LENGTH, HeaderValue::from(doc.len()));
            body::full(doc)
        }
        ReplyBody::Bytes(bytes) => body::full(bytes),
        ReplyBody::Object(reader) => body::object(reader),
    };
    let mut resp = Response::new(body);
    *resp.status_mut() = reply.status;
    *resp.headers_mut() = headers;
    resp
}

type NextPage =
    Pin<Box<dyn Future<Output = (Box<dyn KeyPages>, Result<Option<Vec<String>>>)> + Send>>;

fn fetch(mut pages: Box<dyn KeyPages>) -> NextPage {
    Box::pin(async move {
        let r = pages.next_page().await;
        (pages, r)
    })
}

/// A bare array of keys, written page by page as the store yields them (constant memory
/// whatever the count): `["a","b"]` or `<keys><key>a</key><key>b</key></keys>`.
struct KeysBody {
    fmt: Format,
    /// Rendered and not yet sent.
    ready: Option<Bytes>,
    next: Option<NextPage>,
    any: bool,
}

impl KeysBody {
    fn start(fmt: Format, buffered: bool, first: Vec<String>, more: Box<dyn KeyPages>) -> RespBody {
        let mut s = String::new();
        match fmt {
            Format::Json => s.push('['),
            Format::Xml => {
                if !buffered {
                    s.push_str(xml::PROLOGUE);
                }
                s.push_str("<keys>");
            }
        }
        let mut k = KeysBody {
            fmt,
            ready: None,
            next: Some(fetch(more)),
            any: false,
        };
        k.push_keys(&mut s, &first);
        k.ready = Some(Bytes::from(s));
        k.boxed_unsync()
    }

    fn push_keys(&mut self, s: &mut String, keys: &[String]) {
        for key in keys {
            match self.fmt {
                Format::Json => {
                    if self.any {
                        s.push(',');
                    }
                    json::write_str(s, key);
                }
                Format::Xml => {
                    s.push_str("<key>");
                    xml::escape_into(s, key);
                    s.push_str("</key>");
                }
            }
            self.any = true;
        }
    }

    fn end(&self) -> &'static str {
        match self.fmt {
            Format::Json => "]",
            Format::Xml => "</keys>",
        }
    }
}

impl hyper::body::Body for KeysBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, std::io::Error>>> {
        if let Some(b) = self.ready.take() {
            return Poll::Ready(Some(Ok(Frame::data(b))));
        }
        let Some(fut) = self.next.as_mut() else {
            return Poll::Ready(None);
        };
        let (pages, res) = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(x) => x,
        };
        match res {
            Ok(Some(keys)) => {
                self.next = Some(fetch(pages));
                let mut s = String::new();
                self.push_keys(&mut s, &keys);
                Poll::Ready(Some(Ok(Frame::data(Bytes::from(s)))))
            }
            Ok(None) => {
                self.next = None;
                Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(
                    self.end().as_bytes(),
                )))))
            }
            Err(e) => {
                self.next = None;
                tracing::error!(error = %e, "listing failed while streaming");
                Poll::Ready(Some(Err(std::io::Error::other(e.to_string()))))
            }
        }
    }
}
