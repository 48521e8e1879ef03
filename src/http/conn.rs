//! One client connection's bytes, before hyper parses them and after it writes them.
//!
//! hyper's parser (httparse) takes a bare LF as a line end and skips any number of blank lines
//! before a request, and it serves a request that has both `Content-Length` and
//! `Transfer-Encoding`. A proxy in front that reads those differently can be made to see other
//! requests than we do (request smuggling). So the connection follows the framing itself:
//! each request head line by line, then the body by its length or its chunks, and any of those
//! makes it corrupt the offending byte into a NUL, which hyper refuses with `400 Bad Request`
//! and closes the connection. Writes that make no progress for `send_timeout` fail, so a
//! client that stops reading cannot hold a connection (and its object file) forever.

use std::future::Future as _;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// Blank lines tolerated before a request line (RFC 9112 asks servers to skip at least one).
const MAX_LEADING_BLANK_LINES: u8 = 4;
/// How much of a line is kept to read its header name, a length or a chunk size.
const LINE_KEEP: usize = 64;

/// A client connection: framing checked on the way in, stalled writes cut off.
pub struct Conn<IO> {
    io: IO,
    framing: Framing,
    send_timeout: Duration,
    stall: Option<Pin<Box<Sleep>>>,
}

impl<IO> Conn<IO> {
    pub fn new(io: IO, send_timeout: Duration) -> Conn<IO> {
        Conn {
            io,
            framing: Framing::default(),
            send_timeout,
            stall: None,
        }
    }

    /// A write could not make progress: fail once it has not for `send_timeout`.
    fn stalled(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let timeout = self.send_timeout;
        let sleep = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        ready!(sleep.as_mut().poll(cx));
        self.stall = None;
        Poll::Ready(io::Error::new(
            io::ErrorKind::TimedOut,
            "client took no data for the send timeout",
        ))
    }

    fn progressed<T>(
        &mut self,
        r: Poll<io::Result<T>>,
        cx: &mut Context<'_>,
    ) -> Poll<io::Result<T>> {
        match r {
            Poll::Ready(r) => {
                self.stall = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.stalled(cx).map(Err),
        }
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for Conn<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        ready!(Pin::new(&mut self.io).poll_read(cx, buf))?;
        let this = &mut *self;
        this.framing.scan(&mut buf.filled_mut()[before..]);
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Conn<IO> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write(cx, buf);
        self.progressed(r, cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.progressed(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.progressed(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let r = Pin::new(&mut self.io).poll_shutdown(cx);
        self.progressed(r, cx)
    }
}

/// Where in the byte stream the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Request line and header lines.
    Head,
    /// This many body bytes still to come.
    Body(u64),
    /// A chunk-size line.
    ChunkSize,
    /// This many chunk data bytes still to come.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// Trailer lines after the last chunk.
    Trailer,
    /// Something hyper refuses itself (or we refused): stop following.
    Opaque,
}

/// The framing of the requests on one connection, followed byte by byte.
#[derive(Debug)]
pub struct Framing {
    state: State,
    /// The previous byte was a CR (line ends must be CRLF).
    prev_cr: bool,
    /// The current line's first bytes (CR excluded), and its full length.
    line: [u8; LINE_KEEP],
    line_len: usize,
    /// The request line of the current head has been seen.
    started: bool,
    blank_lines: u8,
    content_length: Option<u64>,
    chunked: bool,
}

impl Default for Framing {
    fn default() -> Self {
        Framing {
            state: State::Head,
            prev_cr: false,
            line: [0; LINE_KEEP],
            line_len: 0,
            started: false,
            blank_lines: 0,
            content_length: None,
            chunked: false,
        }
    }
}

impl Framing {
    /// Follow `bytes` (just read, not yet seen by hyper); a byte that breaks the framing
    /// rules is overwritten with NUL, which hyper's parser refuses.
    pub fn scan(&mut self, bytes: &mut [u8]) {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Opaque => return,
                State::Body(n) | State::ChunkData(n) => {
                    let take = n.min((bytes.len() - i) as u64);
                    i += take as usize;
                    let left = n - take;
                    self.state = match (self.state, left) {
                        (State::Body(_), 0) => State::Head,
                        (State::Body(_), l) => State::Body(l),
                        (_, 0) => State::ChunkEnd,
                        (_, l) => State::ChunkData(l),
                    };
                }
                _ => {
                    // The bytes up to the next CR or LF only extend the current line.
                    let run = memchr::memchr2(b'\r', b'\n', &bytes[i..]).unwrap_or(bytes.len() - i);
                    if run > 0 {
                        if self.prev_cr {
                            // A CR that does not end a line: hyper refuses it.
                            self.state = State::Opaque;
                            return;
                        }
                        let keep = run.min(LINE_KEEP.saturating_sub(self.line_len));
                        let at = self.line_len.min(LINE_KEEP);
                        self.line[at..at + keep].copy_from_slice(&bytes[i..i + keep]);
                        self.line_len += run;
                        i += run;
                        continue;
                    }
                    let b = bytes[i];
                    if b == b'\n' {
                        if !self.prev_cr || !self.end_of_line() {
                            bytes[i] = 0;
                            self.state = State::Opaque;
                            return;
                        }
                        self.prev_cr = false;
                    } else {
                        // A CR: two in a row cannot end a line.
                        if self.prev_cr {
                            self.state = State::Opaque;
                            return;
                        }
                        self.prev_cr = true;
                    }
                    i += 1;
                }
            }
        }
    }

    /// A CRLF-terminated line ended; false refuses the request.
    fn end_of_line(&mut self) -> bool {
        let len = self.line_len;
        let line = &self.line[..len.min(LINE_KEEP)];
        self.line_len = 0;
        match self.state {
            State::Head if len == 0 && !self.started => {
                self.blank_lines += 1;
                self.blank_lines <= MAX_LEADING_BLANK_LINES
            }
            State::Head if len == 0 => {
                // The end of the head: the body is framed by exactly one of the two.
                let (length, chunked) = (self.content_length.take(), self.chunked);
                self.chunked = false;
                self.started = false;
                self.blank_lines = 0;
                if length.is_some() && chunked {
                    return false;
                }
                self.state = match length {
                    _ if chunked => State::ChunkSize,
                    Some(n) if n > 0 => State::Body(n),
                    _ => State::Head,
                };
                true
            }
            State::Head if !self.started => {
                self.started = true;
                true
            }
            State::Head => {
                if header_is(line, b"content-length") {
                    match value_of(line, len).and_then(parse_decimal) {
                        Some(n) => self.content_length = Some(n),
                        // A length hyper cannot read either: it answers 400 itself.
                        None => self.state = State::Opaque,
                    }
                } else if header_is(line, b"transfer-encoding") {
                    self.chunked = true;
                }
                true
            }
            State::ChunkSize => {
                match parse_chunk_size(line, len) {
                    Some(0) => self.state = State::Trailer,
                    Some(n) => self.state = State::ChunkData(n),
                    None => self.state = State::Opaque,
                }
                true
            }
            State::ChunkEnd => {
                if len != 0 {
                    self.state = State::Opaque;
                } else {
                    self.state = State::ChunkSize;
                }
                true
            }
            State::Trailer => {
                if len == 0 {
                    self.state = State::Head;
                }
                true
            }
            State::Body(_) | State::ChunkData(_) | State::Opaque => true,
        }
    }
}

/// `line` starts with header `name` followed by `:` (names are case-insensitive).
fn header_is(line: &[u8], name: &[u8]) -> bool {
    line.len() > name.len()
        && line[name.len()] == b':'
        && line[..name.len()].eq_ignore_ascii_case(name)
}

/// The value of a kept header line, when the whole line was kept.
fn value_of(line: &[u8], len: usize) -> Option<&[u8]> {
    if len > LINE_KEEP {
        return None;
    }
    let colon = line.iter().position(|&b| b == b':')?;
    Some(line[colon + 1..].trim_ascii())
}

fn parse_decimal(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 || !v.iter().all(u8::is_ascii_digit) {
        return None;
    }
    v.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// `1a;ext=v` → 26. At most 16 hex digits (hyper's limit).
fn parse_chunk_size(line: &[u8], len: usize) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    if digits == 0 || digits > 16 || (digits == line.len() && len > LINE_KEEP) {
        return None;
    }
    let mut n = 0u64;
    for &b in &line[..digits] {
        n = n << 4 | u64::from((b as char).to_digit(16)?);
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Scan `input` in pieces of `step` bytes; the bytes as hyper would see them.
    fn scan(input: &[u8], step: usize) -> Vec<u8> {
        let mut f = Framing::default();
        let mut out = input.to_vec();
        for piece in out.chunks_mut(step) {
            f.scan(piece);
        }
        out
    }

    fn refused(input: &[u8]) -> bool {
        (1..=input.len()).all(|step| scan(input, step).contains(&0))
    }

    fn passed(input: &[u8]) -> bool {
        (1..=input.len()).all(|step| scan(input, step) == input)
    }

    #[test]
    fn well_formed_requests_pass_untouched_at_any_split() {
        assert!(passed(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        assert!(passed(
            b"\r\nPUT /b/k HTTP/1.1\r\nContent-Length: 5\r\n\r\nab\ncdGET / HTTP/1.1\r\n\r\n"
        ));
        assert!(passed(
            b"PUT /b/k HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n3;x=y\r\na\nb\r\n0\r\nx-t: 1\r\n\r\nGET / HTTP/1.1\r\n\r\n"
        ));
    }

    #[test]
    fn bare_lf_is_refused_in_heads_and_chunk_lines_but_not_in_bodies() {
        assert!(refused(b"GET / HTTP/1.1\nHost: x\r\n\r\n"));
        assert!(refused(b"GET / HTTP/1.1\r\nHost: x\nX-A: b\r\n\r\n"));
        assert!(refused(b"GET / HTTP/1.1\r\nHost: x\r\n\n"));
        assert!(refused(
            b"PUT / HTTP/1.1\r\nContent-Length: 2\r\n\r\nabGET / HTTP/1.1\n\r\n"
        ));
        assert!(refused(
            b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\nab\r\n0\r\n\r\n"
        ));
    }

    #[test]
    fn both_lengths_and_runs_of_blank_lines_are_refused() {
        assert!(refused(
            b"PUT / HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n"
        ));
        assert!(refused(&b"\r\n".repeat(10)));
        assert!(passed(b"\r\n\r\nGET / HTTP/1.1\r\n\r\n"));
    }
}
