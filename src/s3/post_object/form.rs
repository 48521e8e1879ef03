//! A `multipart/form-data` body (RFC 7578) read as it arrives: the fields before the file
//! are read whole (within a budget), the file streams to disk in the pieces it came in, and
//! whatever follows it is read and dropped, so that the body's verifier sees all of it.

use std::future::Future;
use std::pin::Pin;

use bytes::{Buf, Bytes, BytesMut};
use memchr::memmem::Finder;

use crate::domain::blobs::ChunkSource;
use crate::error::{Error, Result};

/// Longest header block of one part.
const MAX_PART_HEADERS: usize = 16 << 10;

/// What the form says of one part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    pub name: String,
    pub filename: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Inside a part's data (or the preamble, before the first delimiter).
    Data,
    /// Just past a delimiter: the closing `--` or the next part's headers follow.
    Delimiter,
    Done,
}

fn malformed(message: &str) -> Error {
    Error::InvalidArgument.saying(message)
}

/// The boundary of a `multipart/form-data` content type, with radosgw's messages for the
/// two ways it can be missing.
pub fn boundary(content_type: Option<&str>) -> Result<String> {
    let ct = content_type.unwrap_or("");
    let mut params = ct.split(';');
    let media = params.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case("multipart/form-data") {
        return Err(malformed("Request Content-Type is not multipart/form-data"));
    }
    for p in params {
        let Some((k, v)) = p.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("boundary") {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            // RFC 2046: 1 to 70 characters.
            if !v.is_empty() && v.len() <= 70 {
                return Ok(v.to_string());
            }
        }
    }
    Err(malformed("Missing multipart boundary specification"))
}

pub struct Form {
    src: Box<dyn ChunkSource>,
    buf: BytesMut,
    /// `\r\n--boundary`: a body's first delimiter too, as a CRLF is put in front of it.
    delimiter: Finder<'static>,
    src_done: bool,
    state: State,
    /// Bytes before the file part still allowed (preamble, part headers, field values).
    budget: usize,
    /// Bytes taken from the body so far.
    pulled: u64,
}

impl Form {
    /// `budget`: what the preamble, the fields before the file and their headers may take
    /// in all (`MaxPostPreDataLengthExceeded` past it).
    pub fn new(src: Box<dyn ChunkSource>, boundary: &str, budget: usize) -> Form {
        let delimiter = format!("\r\n--{boundary}").into_bytes();
        let mut buf = BytesMut::with_capacity(16 << 10);
        buf.extend_from_slice(b"\r\n");
        Form {
            src,
            buf,
            delimiter: Finder::new(&delimiter).into_owned(),
            src_done: false,
            state: State::Data,
            budget,
            pulled: 0,
        }
    }

    /// The most the current part's data can be in a body of `length` bytes: what is left
    /// of it but the closing delimiter.
    pub fn at_most_left(&self, length: u64) -> u64 {
        // The CRLF put in front of the body is not the body's.
        let used = (self.pulled + 2).saturating_sub(self.buf.len() as u64);
        length
            .saturating_sub(used)
            .saturating_sub(self.delimiter.needle().len() as u64 + 2)
    }

    /// Take in the next piece of the body; false once it has all arrived.
    async fn fill(&mut self) -> Result<bool> {
        if self.src_done {
            return Ok(false);
        }
        match self.src.next_chunk().await? {
            Some(c) => {
                self.pulled += c.len() as u64;
                self.buf.extend_from_slice(&c);
                Ok(true)
            }
            None => {
                self.src_done = true;
                Ok(false)
            }
        }
    }

    fn spend(&mut self, n: usize) -> Result<()> {
        self.budget = self
            .budget
            .checked_sub(n)
            .ok_or(Error::MaxPostPreDataLengthExceeded)?;
        Ok(())
    }

    /// The next piece of the current part's data; `None` once its delimiter is reached.
    async fn data(&mut self) -> Result<Option<Bytes>> {
        if self.state != State::Data {
            return Ok(None);
        }
        let dlen = self.delimiter.needle().len();
        loop {
            match self.delimiter.find(&self.buf) {
                Some(0) => {
                    self.buf.advance(dlen);
                    self.state = State::Delimiter;
                    return Ok(None);
                }
                Some(i) => return Ok(Some(self.buf.split_to(i).freeze())),
                // All but a tail that may be the start of the delimiter is data.
                None if self.buf.len() >= dlen => {
                    let n = self.buf.len() - (dlen - 1);
                    return Ok(Some(self.buf.split_to(n).freeze()));
                }
                None => {
                    if !self.fill().await? {
                        return Err(Error::IncompleteBody);
                    }
                }
            }
        }
    }

    /// The rest of the current part's data, counted against the budget.
    pub async fn value(&mut self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while let Some(b) = self.data().await? {
            self.spend(b.len())?;
            out.extend_from_slice(&b);
        }
        Ok(out)
    }

    /// Ensure `n` bytes are buffered; false if the body ends first.
    async fn want(&mut self, n: usize) -> Result<bool> {
        while self.buf.len() < n {
            if !self.fill().await? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Move to the next part and read its headers; `None` after the closing delimiter (the
    /// rest of the body then read and dropped, unless `counted`). The current part's unread
    /// data is skipped, and counted against the budget while `counted` (before the file).
    pub async fn next_part(&mut self, counted: bool) -> Result<Option<PartHead>> {
        while let Some(b) = self.data().await? {
            if counted {
                self.spend(b.len())?;
            }
        }
        if self.state == State::Done {
            return Ok(None);
        }
        if !self.want(2).await? {
            return Err(Error::IncompleteBody);
        }
        if self.buf.starts_with(b"--") {
            self.state = State::Done;
            self.buf.clear();
            // After a file, the rest is read so the body's verifier sees all of it. Before
            // one the form is refused (no file): nothing more is read for it, however long
            // the body says it is, and the connection closes.
            if !counted {
                while self.fill().await? {
                    self.buf.clear();
                }
            }
            return Ok(None);
        }
        // Transport padding (RFC 2046) may follow the boundary before its CRLF.
        loop {
            if !self.want(1).await? {
                return Err(Error::IncompleteBody);
            }
            if matches!(self.buf[0], b' ' | b'\t') {
                self.buf.advance(1);
            } else {
                break;
            }
        }
        let end = loop {
            // The CRLF ending the delimiter line doubles as the start of the header block.
            if let Some(i) = memchr::memmem::find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_PART_HEADERS {
                return Err(malformed("Malformed request"));
            }
            if !self.fill().await? {
                return Err(Error::IncompleteBody);
            }
        };
        if !self.buf.starts_with(b"\r\n") {
            return Err(malformed("Malformed request"));
        }
        if counted {
            self.spend(end + 4)?;
        }
        let block = self.buf.split_to(end + 4);
        self.state = State::Data;
        // An empty part (no headers) has its data right after the delimiter line.
        let head = std::str::from_utf8(block.get(2..end).unwrap_or_default())
            .map_err(|_| malformed("Malformed request"))?;
        parse_headers(head).map(Some)
    }

    /// The current part's data as an upload source (the file), then the rest of the form
    /// read and dropped; `EntityTooLarge` past `max` bytes, `EntityTooSmall` under `min`.
    pub fn into_file(self, min: u64, max: u64) -> FileData {
        FileData {
            form: self,
            size: 0,
            min,
            max,
            finished: false,
        }
    }
}

/// A part's `Content-Disposition: form-data; name="..."; filename="..."`.
fn parse_headers(block: &str) -> Result<PartHead> {
    for line in block.split("\r\n") {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("content-disposition") {
            continue;
        }
        let params = disposition_params(value);
        let get = |k: &str| {
            params
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let name = get("name").ok_or_else(|| malformed("Malformed request"))?;
        return Ok(PartHead {
            name,
            filename: get("filename"),
        });
    }
    Err(malformed("Malformed request"))
}

/// `form-data; name="a"; filename="b"` → its parameters, quoted strings unescaped.
fn disposition_params(v: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = v;
    // Skip the disposition type.
    match rest.find(';') {
        Some(i) => rest = &rest[i + 1..],
        None => return out,
    }
    loop {
        rest = rest.trim_start();
        let Some(eq) = rest.find('=') else { break };
        let name = rest[..eq].trim().to_string();
        rest = &rest[eq + 1..];
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let mut s = String::new();
            let mut chars = q.char_indices();
            let mut end = q.len();
            while let Some((i, c)) = chars.next() {
                match c {
                    '\\' => {
                        if let Some((_, n)) = chars.next() {
                            s.push(n);
                        }
                    }
                    '"' => {
                        end = i + 1;
                        break;
                    }
                    c => s.push(c),
                }
            }
            value = s;
            rest = &q[end.min(q.len())..];
            rest = rest.find(';').map_or("", |i| &rest[i + 1..]);
        } else {
            let end = rest.find(';').unwrap_or(rest.len());
            value = rest[..end].trim().to_string();
            rest = rest.get(end + 1..).unwrap_or("");
        }
        out.push((name, value));
    }
    out
}

/// The file part's data, as the upload's body.
pub struct FileData {
    form: Form,
    size: u64,
    min: u64,
    max: u64,
    finished: bool,
}

impl FileData {
    async fn next(&mut self) -> Result<Option<Bytes>> {
        if self.finished {
            return Ok(None);
        }
        if let Some(b) = self.form.data().await? {
            self.size += b.len() as u64;
            if self.size > self.max {
                return Err(Error::EntityTooLarge);
            }
            return Ok(Some(b));
        }
        // Fields after the file are not the upload's (AWS ignores them): read and dropped.
        while self.form.next_part(false).await?.is_some() {}
        if self.size < self.min {
            return Err(Error::EntityTooSmall);
        }
        self.finished = true;
        Ok(None)
    }
}

impl ChunkSource for FileData {
    fn next_chunk(&mut self) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>> {
        Box::pin(self.next())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A body arriving in pieces of `step` bytes.
    struct Pieces(Vec<Bytes>);

    impl ChunkSource for Pieces {
        fn next_chunk(
            &mut self,
        ) -> Pin<Box<dyn Future<Output = Result<Option<Bytes>>> + Send + '_>> {
            let next = (!self.0.is_empty()).then(|| self.0.remove(0));
            Box::pin(std::future::ready(Ok(next)))
        }
    }

    fn form(body: &[u8], step: usize, budget: usize) -> Form {
        let pieces = body.chunks(step).map(Bytes::copy_from_slice).collect();
        Form::new(Box::new(Pieces(pieces)), "XyZ", budget)
    }

    const BODY: &[u8] = b"preamble\r\n--XyZ\r\n\
        Content-Disposition: form-data; name=\"key\"\r\n\r\nup/${filename}\r\n\
        --XyZ  \r\ncontent-disposition: form-data; name=\"x-amz-meta-a\"\r\n\
        Content-Type: text/plain\r\n\r\nline1\r\nline2\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a \\\"b\\\".txt\"\r\n\
        Content-Type: application/octet-stream\r\n\r\n\
        data with \r\n--XyX near-delimiter\r\n\
        --XyZ\r\nContent-Disposition: form-data; name=\"late\"\r\n\r\nignored\r\n\
        --XyZ--\r\nepilogue";

    async fn read_all(mut f: Form) -> (Vec<(PartHead, Vec<u8>)>, Result<Vec<u8>>) {
        let mut fields = Vec::new();
        loop {
            let head = f.next_part(true).await.unwrap().unwrap();
            if head.name == "file" {
                let mut file = f.into_file(0, 1000);
                let mut data = Vec::new();
                loop {
                    match file.next_chunk().await {
                        Ok(Some(b)) => data.extend_from_slice(&b),
                        Ok(None) => return (fields, Ok(data)),
                        Err(e) => return (fields, Err(e)),
                    }
                }
            }
            let v = f.value().await.unwrap();
            fields.push((head, v));
        }
    }

    #[tokio::test]
    async fn fields_then_file_in_any_split() {
        for step in [1, 2, 3, 7, 16, 1000] {
            let (fields, file) = read_all(form(BODY, step, 4096)).await;
            let names: Vec<(&str, &[u8])> = fields
                .iter()
                .map(|(h, v)| (h.name.as_str(), v.as_slice()))
                .collect();
            assert_eq!(
                names,
                vec![
                    ("key", &b"up/${filename}"[..]),
                    ("x-amz-meta-a", &b"line1\r\nline2"[..])
                ],
                "step {step}"
            );
            assert_eq!(
                file.unwrap(),
                b"data with \r\n--XyX near-delimiter".to_vec()
            );
        }
        // Once the file's headers are read, what is left bounds its size.
        let mut f = form(BODY, 9, 4096);
        while f.next_part(true).await.unwrap().unwrap().name != "file" {
            f.value().await.unwrap();
        }
        let at_most = f.at_most_left(BODY.len() as u64);
        let file = b"data with \r\n--XyX near-delimiter".len() as u64;
        assert!(at_most >= file && at_most < file + 120, "{at_most}");
        {}
        let mut f = form(BODY, 5, 4096);
        while let Some(h) = f.next_part(true).await.unwrap() {
            if h.name == "file" {
                assert_eq!(h.filename.as_deref(), Some("a \"b\".txt"));
            }
        }
    }

    #[tokio::test]
    async fn bad_forms() {
        // Cut short inside the file.
        let cut = &BODY[..BODY.len() - 60];
        assert_eq!(
            read_all(form(cut, 4, 4096)).await.1,
            Err(Error::IncompleteBody)
        );
        // Fields past the budget.
        let mut f = form(BODY, 4, 30);
        let mut err = None;
        for _ in 0..3 {
            match f.next_part(true).await {
                Ok(Some(_)) => {
                    if let Err(e) = f.value().await {
                        err = Some(e);
                        break;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    err = Some(e);
                    break;
                }
            }
        }
        assert_eq!(err, Some(Error::MaxPostPreDataLengthExceeded));
        // A file over the policy's bound.
        let mut f = form(BODY, 8, 4096);
        while f.next_part(true).await.unwrap().unwrap().name != "file" {
            f.value().await.unwrap();
        }
        let mut file = f.into_file(0, 5);
        let mut got = Ok(Some(Bytes::new()));
        while let Ok(Some(_)) = got {
            got = file.next_chunk().await;
        }
        assert_eq!(got, Err(Error::EntityTooLarge));
        // No name.
        let body = b"--XyZ\r\nContent-Disposition: form-data\r\n\r\nv\r\n--XyZ--\r\n";
        let e = form(body, 3, 4096).next_part(true).await.unwrap_err();
        assert_eq!(
            (e.code(), e.message()),
            ("InvalidArgument", "Malformed request")
        );
    }

    #[test]
    fn boundaries() {
        assert_eq!(
            boundary(Some("multipart/form-data; boundary=abc")).unwrap(),
            "abc"
        );
        assert_eq!(
            boundary(Some("Multipart/Form-Data; charset=x; boundary=\"a b\"")).unwrap(),
            "a b"
        );
        let e = boundary(Some("application/x-www-form-urlencoded")).unwrap_err();
        assert_eq!(
            e.message(),
            "Request Content-Type is not multipart/form-data"
        );
        let e = boundary(Some("multipart/form-data")).unwrap_err();
        assert_eq!(e.message(), "Missing multipart boundary specification");
    }
}
