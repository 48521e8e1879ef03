//! A minimal writer for S3's XML documents (element order is the caller's).

use crate::encode::xml::{escape_into, PROLOGUE};

pub const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

pub struct Xml(String);

impl Default for Xml {
    fn default() -> Self {
        Self::new()
    }
}

impl Xml {
    pub fn new() -> Xml {
        Xml(String::from(PROLOGUE))
    }
    pub fn open_ns(&mut self, name: &str) {
        self.0.push_str(&format!("<{name} xmlns=\"{NS}\">"));
    }
    pub fn open(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push('>');
    }
    pub fn close(&mut self, name: &str) {
        self.0.push_str("</");
        self.0.push_str(name);
        self.0.push('>');
    }
    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        escape_into(&mut self.0, text);
        self.close(name);
    }
    /// Append pre-formed markup.
    pub fn raw(&mut self, s: &str) {
        self.0.push_str(s);
    }
    pub fn finish(self) -> String {
        self.0
    }
}

/// The text of every `<name>…</name>` in `doc`, in order (enough for the flat request
/// documents S3 clients send: DeleteObjects, CompleteMultipartUpload).
pub fn texts<'a>(doc: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(&after[..j]);
        rest = &after[j + close.len()..];
    }
    out
}

/// Undo XML escaping in element text.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}
