//! Request and response bodies: whole small bodies read with a limit and a stall timeout,
//! upload bodies handed to the op as a verified chunk stream, object downloads read from
//! disk only as fast as the client takes them.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Frame, Incoming};
use hyper::header::{HeaderValue, CONTENT_LENGTH};
use hyper::{HeaderMap, Response};

use crate::auth::BodyVerifier;
use crate::domain::blobs::{BlobReader, ChunkSource};
use crate::error::{Error, Result};

/// Every response body: a buffer, or object data streamed from disk.
pub type RespBody = UnsyncBoxBody<Bytes, std::io::Error>;

pub fn full(b: impl Into<Bytes>) -> RespBody {
    Full::new(b.into())
        .map_err(|never| match never {})
        .boxed_unsync()
}

pub fn empty() -> RespBody {
    full(Bytes::new())
}

/// Whether a request says a body follows.
pub fn declares_body(h: &HeaderMap) -> bool {
    h.contains_key(hyper::header::TRANSFER_ENCODING)
        || h.get(CONTENT_LENGTH).is_some_and(|v| length(v) > 0)
}

/// How long an answer's body is: its `Content-Length`, else the length of a body known whole
/// (whose header hyper writes), else 0 (streamed).
pub fn answer_length(resp: &Response<RespBody>) -> u64 {
    use hyper::body::Body as _;
    match resp.headers().get(CONTENT_LENGTH) {
        Some(v) => length(v),
        None => resp.body().size_hint().exact().unwrap_or(0),
    }
}

/// A `Content-Length` value (0 when it is not a number).
fn length(v: &HeaderValue) -> u64 {
    v.to_str().ok().and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Read a whole request body of at most `limit` bytes: `EntityTooLarge` past it,
/// `IncompleteBody` if the client stops early, `RequestTimeout` if it stalls (a client that
/// declares a length and sends nothing must not hold a connection forever).
pub async fn read(body: Incoming, limit: usize, timeout: Duration) -> Result<Bytes> {
    use hyper::body::Body as _;
    // Most requests have no body: skip the timer (and its wake-ups) then.
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(Error::RequestTimeout),
        Ok(Ok(b)) => Ok(b.to_bytes()),
        Ok(Err(e))
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(Error::EntityTooLarge)
        }
        Ok(Err(_)) => Err(Error::IncompleteBody),
    }
}

/// Read and throw away a body nobody needs (an op that takes none, a refused request), at
/// most `limit` bytes and for at most `timeout`, in the background. Answering without it
/// would make hyper close the connection while the client may still be sending: a client
/// that reuses connections would then see its next request fail. Nothing is kept. A client
/// that sent `Expect: 100-continue` has sent no body and will send none after a final
/// answer: reading would make hyper invite it (100 Continue) and then take its next request
/// for the body, so that connection is left to close.
pub fn discard(headers: &hyper::HeaderMap, body: Incoming, limit: usize, timeout: Duration) {
    use hyper::body::Body as _;
    let expects_continue = headers
        .get(hyper::header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    if body.is_end_stream() || expects_continue {
        return;
    }
    tokio::spawn(async move {
        let mut body = body;
        let drain = async {
            let mut seen = 0usize;
            while let Some(Ok(frame)) = body.frame().await {
                seen += frame.data_ref().map_or(0, |d| d.len());
                if seen > limit {
                    break;
                }
            }
        };
        let _ = tokio::time::timeout(timeout, drain).await;
    });
}

/// An upload body as the op sees it: each chunk decoded and checked by the payload
/// verifier as it arrives, and the end reported only once the whole body verified (the op
/// publishes nothing before). `received` counts the bytes that crossed the wire.
pub struct Verified {
    body: Incoming,
    verifier: Option<BodyVerifier>,
    timeout: Duration,
    out: Vec<u8>,
    pub received: Arc<AtomicU64>,
    checksum: Option<(&'static str, String)>,
}

impl Verified {
    pub fn new(body: Incoming, verifier: BodyVerifier, timeout: Duration) -> Verified {
        Verified {
            body,
            verifier: Some(verifier),
            timeout,
            out: Vec::with_capacity(256 << 10),
            received: Arc::default(),
            checksum: None,
        }
    }

    async fn next(&mut self) -> Result<Option<Bytes>> {
        loop {
            let Some(v) = self.verifier.as_mut() else {
                return Ok(None);
            };
            // A stalled upload is cut off after `timeout` without data.
            let frame = tokio::time::timeout(self.timeout, self.body.frame())
                .await
                .map_err(|_| Error::RequestTimeout)?;
            let Some(frame) = frame else {
                let v = self.verifier.take().expect("present");
                let (_, checksum) = v.finish_with_checksum()?;
                self.checksum = checksum.map(|c| (c.algorithm.name(), c.value));
                return Ok(None);
            };
            let frame = frame.map_err(|_| Error::IncompleteBody)?;
            let Ok(chunk) = frame.into_data() else {
                continue;
            };
            self.received
                .fetch_add(chunk.len() as u64, Ordering::Relaxed);
            self.out.clear();
            v.feed(&chunk, &mut self.out)?;
            if !self.out.is_empty() {
                return Ok(Some(Bytes::copy_from_slice(&self.out)));
            }
        }
    }
}

impl ChunkSource for Verified {
    fn next_chunk(&mut self) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>> {
        Box::pin(self.next())
    }

    fn checksum(&self) -> Option<(&'static str, String)> {
        self.checksum.clone()
    }
}

type NextChunk = Pin<Box<dyn Future<Output = (BlobReader, Option<std::io::Result<Bytes>>)> + Send>>;

/// Object data as a response body: the next chunk is read from disk when hyper asks for it,
/// so a slow client holds no thread, only its connection.
struct ObjectBody {
    next: Option<NextChunk>,
}

fn read_next(mut r: BlobReader) -> NextChunk {
    Box::pin(async move {
        let item = r.next().await;
        (r, item)
    })
}

impl hyper::body::Body for ObjectBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, std::io::Error>>> {
        let Some(fut) = self.next.as_mut() else {
            return Poll::Ready(None);
        };
        let (reader, item) = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(x) => x,
        };
        match item {
            Some(Ok(b)) => {
                self.next = Some(read_next(reader));
                Poll::Ready(Some(Ok(Frame::data(b))))
            }
            Some(Err(e)) => {
                self.next = None;
                Poll::Ready(Some(Err(e)))
            }
            None => {
                self.next = None;
                Poll::Ready(None)
            }
        }
    }
}

pub fn object(reader: BlobReader) -> RespBody {
    ObjectBody {
        next: Some(read_next(reader)),
    }
    .boxed_unsync()
}
