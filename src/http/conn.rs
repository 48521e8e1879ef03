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
use std::os::fd::RawFd;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

use super::write_batch;

/// Blank lines tolerated before a request line (RFC 9112 asks servers to skip at least one).
const MAX_LEADING_BLANK_LINES: u8 = 4;
/// How much of a line is kept to read its header name, a length or a chunk size.
const LINE_KEEP: usize = 64;
/// What ends a head cut at [`MAX_HEAD`]: a byte no head may hold, then a blank line, so
/// hyper has a whole head to refuse (400, and the connection closed).
const CUT_HEAD: &[u8] = b"\0\r\n\r\n";
/// Longest request head (request line, headers, blank lines before it): radosgw's beast
/// front end refuses one over 16 KiB with 400, and so do we, which also bounds what a
/// connection that never finishes its head makes hyper buffer.
const MAX_HEAD: usize = 16 * 1024;

/// A client connection: framing checked on the way in, stalled writes cut off, answers sent
/// through the thread's write batch where there is one.
pub struct Conn<IO> {
    io: IO,
    framing: Framing,
    send_timeout: Duration,
    stall: Option<Pin<Box<Sleep>>>,
    /// Bytes still to hand hyper instead of reading (the end of a cut head).
    inject: &'static [u8],
    batch: Option<Batched>,
}

/// A connection whose writes go through [`write_batch`].
struct Batched {
    fd: RawFd,
    slot: write_batch::Slot,
    /// Where its last batched bytes went.
    queued: Option<write_batch::Queued>,
    /// Bytes a sent batch handed back, sent before anything else.
    unsent: Vec<u8>,
}

impl<IO> Conn<IO> {
    /// `batch_fd`: the socket's descriptor, when `io` is the plain socket and this thread
    /// batches its writes.
    pub fn new(io: IO, send_timeout: Duration, batch_fd: Option<RawFd>) -> Conn<IO> {
        Conn {
            io,
            framing: Framing::default(),
            send_timeout,
            stall: None,
            inject: &[],
            batch: batch_fd.filter(|_| write_batch::is_on()).map(|fd| Batched {
                fd,
                slot: Default::default(),
                queued: None,
                unsent: Vec::new(),
            }),
        }
    }

    /// Whether bytes this connection wrote wait in the thread's batch.
    fn queued(&self) -> bool {
        self.batch
            .as_ref()
            .and_then(|b| b.queued)
            .is_some_and(write_batch::waiting)
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

impl<IO: AsyncWrite + Unpin> Conn<IO> {
    /// Send what a batch handed back, or report the error it met: before anything else is
    /// read or written, so the bytes keep their order.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let Some(b) = self.batch.as_mut() else {
            return Poll::Ready(Ok(()));
        };
        {
            let mut r = b.slot.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(kind) = r.error.take() {
                return Poll::Ready(Err(kind.into()));
            }
            b.unsent.append(&mut r.unsent);
        }
        if b.unsent.is_empty() {
            return Poll::Ready(Ok(()));
        }
        let mut unsent = std::mem::take(&mut b.unsent);
        let res = loop {
            let r = Pin::new(&mut self.io).poll_write(cx, &unsent);
            match self.progressed(r, cx) {
                Poll::Ready(Ok(0)) => break Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    unsent.drain(..n);
                    if unsent.is_empty() {
                        break Poll::Ready(Ok(()));
                    }
                }
                other => break other.map_ok(|_| ()),
            }
        };
        if let Some(b) = self.batch.as_mut() {
            b.unsent = unsent;
        }
        res
    }

    /// Send the batch now if this connection's bytes wait in it, then what came back.
    fn send_queued(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.queued() {
            write_batch::send();
        }
        self.drain(cx)
    }
}

impl<IO> Drop for Conn<IO> {
    fn drop(&mut self) {
        // The batch names the socket by its descriptor: send before the socket closes.
        if self.queued() {
            write_batch::send();
        }
    }
}

impl<IO: AsyncRead + AsyncWrite + Unpin> AsyncRead for Conn<IO> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        let this = &mut *self;
        if this.inject.is_empty() {
            let before = buf.filled().len();
            ready!(Pin::new(&mut this.io).poll_read(cx, buf))?;
            match this.framing.scan(&mut buf.filled_mut()[before..]) {
                Some(at) => {
                    buf.set_filled(before + at);
                    this.inject = CUT_HEAD;
                }
                None => return Poll::Ready(Ok(())),
            }
        }
        let n = this.inject.len().min(buf.remaining());
        buf.put_slice(&this.inject[..n]);
        this.inject = &this.inject[n..];
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for Conn<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_vectored(cx, &[io::IoSlice::new(buf)])
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        ready!(self.drain(cx))?;
        let len: usize = bufs.iter().map(|b| b.len()).sum();
        if let Some(b) = self.batch.as_mut() {
            let waiting = b.queued.map_or(0, write_batch::waiting_len);
            if len > 0 && waiting + len <= write_batch::MAX_BATCHED {
                b.queued = Some(write_batch::push(b.fd, bufs, b.queued, &b.slot, cx.waker()));
                return Poll::Ready(Ok(len));
            }
            ready!(self.send_queued(cx))?;
        }
        let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
        self.progressed(r, cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// Batched bytes are not sent here: the batch goes once the thread's ready connections
    /// have all written (that is its point), and a flush is asked after every answer.
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.drain(cx))?;
        let r = Pin::new(&mut self.io).poll_flush(cx);
        self.progressed(r, cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready!(self.send_queued(cx))?;
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
    /// Bytes of the current head so far.
    head_len: usize,
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
            head_len: 0,
            content_length: None,
            chunked: false,
        }
    }
}

impl Framing {
    /// Follow `bytes` (just read, not yet seen by hyper); a byte that breaks the framing
    /// rules is overwritten with NUL, which hyper's parser refuses. `Some(at)`: the head
    /// grew past [`MAX_HEAD`] at `at`; the caller hands hyper the bytes before it and then
    /// [`CUT_HEAD`]. (A NUL alone in a long unfinished line makes hyper wait for its end.)
    pub fn scan(&mut self, bytes: &mut [u8]) -> Option<usize> {
        let mut i = 0;
        while i < bytes.len() {
            match self.state {
                State::Opaque => return None,
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
                    // A whole head line in this read, CRLF and all (most are): read in place.
                    if self.state == State::Head
                        && self.line_len == 0
                        && !self.prev_cr
                        && bytes.get(i + run..i + run + 2) == Some(b"\r\n")
                        && self.head_len + run + 2 <= MAX_HEAD
                    {
                        self.head_len += run + 2;
                        if !self.end_line(&bytes[i..i + run.min(LINE_KEEP)], run) {
                            bytes[i + run + 1] = 0;
                            self.state = State::Opaque;
                            return None;
                        }
                        i += run + 2;
                        continue;
                    }
                    if self.state == State::Head {
                        self.head_len += run.max(1);
                        if self.head_len > MAX_HEAD {
                            self.state = State::Opaque;
                            return Some(i);
                        }
                    }
                    if run > 0 {
                        if self.prev_cr {
                            // A CR that does not end a line: hyper refuses it.
                            self.state = State::Opaque;
                            return None;
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
                        let (kept, len) = (self.line, self.line_len);
                        self.line_len = 0;
                        if !self.prev_cr || !self.end_line(&kept[..len.min(LINE_KEEP)], len) {
                            bytes[i] = 0;
                            self.state = State::Opaque;
                            return None;
                        }
                        self.prev_cr = false;
                    } else {
                        // A CR: two in a row cannot end a line.
                        if self.prev_cr {
                            self.state = State::Opaque;
                            return None;
                        }
                        self.prev_cr = true;
                    }
                    i += 1;
                }
            }
        }
        None
    }

    /// A CRLF-terminated line ended: `line` is its first [`LINE_KEEP`] bytes, `len` its
    /// length. False refuses the request.
    fn end_line(&mut self, line: &[u8], len: usize) -> bool {
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
                self.head_len = 0;
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
        let mut out = Vec::new();
        for piece in input.chunks(step) {
            let mut piece = piece.to_vec();
            if let Some(at) = f.scan(&mut piece) {
                out.extend_from_slice(&piece[..at]);
                out.extend_from_slice(CUT_HEAD);
                break;
            }
            out.extend_from_slice(&piece);
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
    fn heads_over_16_kib_are_refused() {
        let head = |n: usize| {
            let mut h = b"GET / HTTP/1.1\r\nX-Big: ".to_vec();
            h.resize(h.len() + n, b'a');
            h.extend_from_slice(b"\r\n\r\n");
            h
        };
        let fits = head(MAX_HEAD - 27);
        assert_eq!(fits.len(), MAX_HEAD);
        for step in [1, 7, 4096, MAX_HEAD] {
            assert_eq!(scan(&fits, step), fits);
            let cut = scan(&head(MAX_HEAD - 26), step);
            assert_eq!(cut.len(), MAX_HEAD + CUT_HEAD.len());
            assert!(cut.ends_with(CUT_HEAD));
        }
        // The count starts again at each request on the connection.
        let mut two = fits.clone();
        two.extend_from_slice(&fits);
        assert_eq!(scan(&two, 1000), two);
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
