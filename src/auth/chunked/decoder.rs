//! The aws-chunked decoder: chunk-header lines, chunk data, chunk signatures chained from the
//! request's signature, and the trailer section with its signature.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::{
    ChunkSigning, ChunkedSpec, RunningChecksum, MAX_LINE, MAX_TRAILERS, TRAILER_SIGNATURE,
};
use crate::auth::sigv4::EMPTY_SHA256;
use crate::error::{Error, Result};

const PAYLOAD_ALGORITHM: &[u8] = b"AWS4-HMAC-SHA256-PAYLOAD";
const TRAILER_ALGORITHM: &[u8] = b"AWS4-HMAC-SHA256-TRAILER";

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-header line.
    Header,
    /// Inside a chunk's data: this many bytes left.
    Data(u64),
    /// After a chunk's data: expecting `\r`, then `\n`.
    DataCr,
    DataLf,
    /// After the last (empty) chunk: trailer lines until an empty one.
    Trailer,
    Done,
}

pub(super) struct Decoder {
    signer: Option<Signer>,
    trailer: bool,
    decoded_length: Option<u64>,
    state: State,
    /// The current line so far, CRLF included once complete.
    line: Vec<u8>,
    trailers: Vec<(String, String)>,
    trailer_signature: Option<String>,
    /// Trailer forms: an empty line came right after the last chunk, before any trailer.
    /// Tolerated once, as in the AWS trailer example (the last chunk's empty data ended with
    /// CRLF as in the form without trailers).
    blank_before_trailers: bool,
}

struct Signer {
    /// HMAC keyed with the signing key, cloned per signature.
    mac: HmacSha256,
    amz_date: String,
    scope: String,
    /// The previous signature (hex), starting with the seed.
    prev: Vec<u8>,
    /// The current chunk's declared signature.
    expected: Vec<u8>,
    /// SHA-256 of the current chunk's data.
    chunk: Sha256,
}

impl Signer {
    fn new(s: &ChunkSigning) -> Signer {
        Signer {
            mac: HmacSha256::new_from_slice(&s.key).expect("HMAC-SHA256 accepts any key length"),
            amz_date: s.amz_date.clone(),
            scope: s.scope.clone(),
            prev: s.seed.as_bytes().to_vec(),
            expected: Vec::with_capacity(64),
            chunk: Sha256::new(),
        }
    }

    /// Hex HMAC of `algorithm \n date \n scope \n prev \n hashes...`.
    fn sign(&self, algorithm: &[u8], hashes: &[&[u8]]) -> [u8; 64] {
        let mut mac = self.mac.clone();
        for part in [
            algorithm,
            b"\n",
            self.amz_date.as_bytes(),
            b"\n",
            self.scope.as_bytes(),
            b"\n",
            &self.prev,
        ] {
            mac.update(part);
        }
        for h in hashes {
            mac.update(b"\n");
            mac.update(h);
        }
        let mut sig = [0u8; 64];
        let _ = hex::encode_to_slice(mac.finalize().into_bytes(), &mut sig);
        sig
    }

    /// The chunk just read (its data hashed into `chunk`) against its declared signature;
    /// on success it becomes the previous signature.
    fn end_chunk(&mut self) -> Result<()> {
        let mut data_hash = [0u8; 64];
        let _ = hex::encode_to_slice(self.chunk.finalize_reset(), &mut data_hash);
        let sig = self.sign(PAYLOAD_ALGORITHM, &[EMPTY_SHA256.as_bytes(), &data_hash]);
        if !crate::auth::ct_eq(&sig, &self.expected) {
            return Err(Error::SignatureDoesNotMatch);
        }
        std::mem::swap(&mut self.prev, &mut self.expected);
        Ok(())
    }

    /// `x-amz-trailer-signature`: over the sorted `name:value\n` trailer lines, chained from
    /// the last chunk's signature.
    fn check_trailer(&self, trailers: &[(String, String)], sent: Option<&str>) -> Result<()> {
        let mut sorted: Vec<&(String, String)> = trailers.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(&b.0));
        let mut h = Sha256::new();
        for (name, value) in sorted {
            h.update(name.as_bytes());
            h.update(b":");
            h.update(value.as_bytes());
            h.update(b"\n");
        }
        let mut hash = [0u8; 64];
        let _ = hex::encode_to_slice(h.finalize(), &mut hash);
        let sig = self.sign(TRAILER_ALGORITHM, &[&hash]);
        match sent {
            Some(s) if crate::auth::ct_eq(&sig, s.as_bytes()) => Ok(()),
            _ => Err(Error::SignatureDoesNotMatch),
        }
    }
}

impl Decoder {
    pub(super) fn new(spec: &ChunkedSpec) -> Decoder {
        Decoder {
            signer: spec.signing.as_ref().map(Signer::new),
            trailer: spec.trailer,
            decoded_length: spec.decoded_length,
            state: State::Header,
            line: Vec::new(),
            trailers: Vec::new(),
            trailer_signature: None,
            blank_before_trailers: false,
        }
    }

    pub(super) fn feed(
        &mut self,
        mut input: &[u8],
        out: &mut Vec<u8>,
        decoded: &mut u64,
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        while !input.is_empty() {
            match self.state {
                State::Header | State::Trailer => {
                    let room = MAX_LINE - self.line.len();
                    let window = &input[..input.len().min(room)];
                    match window.iter().position(|&b| b == b'\n') {
                        Some(i) => {
                            self.line.extend_from_slice(&input[..=i]);
                            input = &input[i + 1..];
                            let line = std::mem::take(&mut self.line);
                            let res = self.end_line(&line, *decoded, checksum);
                            self.line = line;
                            self.line.clear();
                            res?;
                        }
                        None if input.len() >= room => return Err(Error::IncompleteBody),
                        None => {
                            self.line.extend_from_slice(input);
                            input = &[];
                        }
                    }
                }
                State::Data(left) => {
                    let n = usize::try_from(left).map_or(input.len(), |l| l.min(input.len()));
                    let piece = &input[..n];
                    out.extend_from_slice(piece);
                    if let Some(s) = &mut self.signer {
                        s.chunk.update(piece);
                    }
                    if let Some(c) = checksum {
                        c.hasher.update(piece);
                    }
                    *decoded += n as u64;
                    input = &input[n..];
                    let left = left - n as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data(left)
                    };
                }
                State::DataCr | State::DataLf => {
                    let want = if self.state == State::DataCr {
                        b'\r'
                    } else {
                        b'\n'
                    };
                    if input[0] != want {
                        return Err(Error::IncompleteBody);
                    }
                    input = &input[1..];
                    if self.state == State::DataCr {
                        self.state = State::DataLf;
                    } else {
                        if let Some(s) = &mut self.signer {
                            s.end_chunk()?;
                        }
                        self.state = State::Header;
                    }
                }
                // Anything after the end of the body is malformed.
                State::Done => return Err(Error::IncompleteBody),
            }
        }
        Ok(())
    }

    /// A complete line (CRLF included) in `Header` or `Trailer` state.
    fn end_line(
        &mut self,
        line: &[u8],
        decoded: u64,
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        let content = line.strip_suffix(b"\r\n").ok_or(Error::IncompleteBody)?;
        if self.state == State::Header {
            self.chunk_header(content, decoded)
        } else {
            self.trailer_line(content, checksum)
        }
    }

    /// `hex-size;chunk-signature=<64 hex>` (signed) or `hex-size[;extensions]` (unsigned).
    fn chunk_header(&mut self, content: &[u8], decoded: u64) -> Result<()> {
        let (size, ext) = match content.iter().position(|&b| b == b';') {
            Some(i) => (&content[..i], Some(&content[i + 1..])),
            None => (content, None),
        };
        let size = parse_hex(size).ok_or(Error::IncompleteBody)?;
        if let Some(s) = &mut self.signer {
            let sig = ext
                .and_then(|e| e.strip_prefix(b"chunk-signature="))
                .filter(|sig| sig.len() == 64)
                .ok_or(Error::IncompleteBody)?;
            s.expected.clear();
            s.expected.extend_from_slice(sig);
        }
        if let Some(limit) = self.decoded_length {
            if decoded.checked_add(size).is_none_or(|end| end > limit) {
                return Err(Error::IncompleteBody);
            }
        }
        if size > 0 {
            self.state = State::Data(size);
            return Ok(());
        }
        // The last chunk: no data, its signature over the empty string.
        if let Some(s) = &mut self.signer {
            s.end_chunk()?;
        }
        self.state = State::Trailer;
        Ok(())
    }

    /// After the last chunk: `name:value` trailer lines (trailer forms only) until an empty
    /// line.
    fn trailer_line(
        &mut self,
        content: &[u8],
        checksum: &mut Option<RunningChecksum>,
    ) -> Result<()> {
        if content.is_empty() {
            if self.trailer
                && !self.blank_before_trailers
                && self.trailers.is_empty()
                && self.trailer_signature.is_none()
            {
                self.blank_before_trailers = true;
            } else {
                self.state = State::Done;
            }
            return Ok(());
        }
        if !self.trailer {
            return Err(Error::IncompleteBody);
        }
        let colon = content
            .iter()
            .position(|&b| b == b':')
            .ok_or(Error::IncompleteBody)?;
        let name = std::str::from_utf8(trim(&content[..colon]))
            .map_err(|_| Error::IncompleteBody)?
            .to_ascii_lowercase();
        let value = std::str::from_utf8(trim(&content[colon + 1..]))
            .map_err(|_| Error::IncompleteBody)?
            .to_owned();
        if name.is_empty() {
            return Err(Error::IncompleteBody);
        }
        if name == TRAILER_SIGNATURE {
            // Unsigned trailers carry no signature; one that does is not checked.
            if self.signer.is_some() {
                if self.trailer_signature.is_some() {
                    return Err(Error::IncompleteBody);
                }
                self.trailer_signature = Some(value);
            }
            return Ok(());
        }
        // Nothing may follow the signature (it would not be covered by it).
        if self.trailer_signature.is_some() || self.trailers.len() >= MAX_TRAILERS {
            return Err(Error::IncompleteBody);
        }
        if let Some(c) = checksum {
            if name == c.algorithm.header_name() {
                if c.trailer_value.is_some() {
                    return Err(Error::IncompleteBody);
                }
                c.trailer_value = Some(value.clone());
            }
        }
        self.trailers.push((name, value));
        Ok(())
    }

    pub(super) fn finish(&self, decoded: u64, checksum: Option<&RunningChecksum>) -> Result<()> {
        // The trailer section may end without its empty line (the AWS trailer example, and
        // radosgw, which searches the trailer section rather than parsing it), but not inside
        // a line. Nothing is lost: a missing signature or checksum is still refused below.
        let trailer_ended = self.trailer && self.state == State::Trailer && self.line.is_empty();
        if self.state != State::Done && !trailer_ended {
            return Err(Error::IncompleteBody);
        }
        if self.trailer {
            if let Some(s) = &self.signer {
                s.check_trailer(&self.trailers, self.trailer_signature.as_deref())?;
            }
        }
        if self.decoded_length.is_some_and(|n| n != decoded) {
            return Err(Error::IncompleteBody);
        }
        // A checksum promised in x-amz-trailer must come.
        if checksum.is_some_and(|c| c.from_trailer && c.trailer_value.is_none()) {
            return Err(Error::IncompleteBody);
        }
        Ok(())
    }
}

/// 1 to 16 hex digits.
fn parse_hex(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 16 {
        return None;
    }
    b.iter().try_fold(0u64, |n, &c| {
        let d = char::from(c).to_digit(16)?;
        Some((n << 4) | u64::from(d))
    })
}

fn trim(b: &[u8]) -> &[u8] {
    let is_blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = b.iter().position(|c| !is_blank(c)).unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !is_blank(c))
        .map_or(start, |e| e + 1);
    &b[start..end]
}
