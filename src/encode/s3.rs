//! The writer for S3's XML documents (element order is the caller's). Request bodies are
//! read by `s3_read`.

use super::xml::{escape_into, PROLOGUE};

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
    /// A document without the XML declaration (radosgw writes a few so).
    pub fn bare() -> Xml {
        Xml(String::new())
    }
    pub fn open_ns(&mut self, name: &str) {
        self.0.push('<');
        self.0.push_str(name);
        self.0.push_str(" xmlns=\"");
        self.0.push_str(NS);
        self.0.push_str("\">");
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

    /// `<name>true</name>` or `<name>false</name>`.
    pub fn bool(&mut self, name: &str, v: bool) {
        self.elem(name, if v { "true" } else { "false" });
    }

    /// An element whose text is a number.
    pub fn num(&mut self, name: &str, v: impl std::fmt::Display) {
        use std::fmt::Write;
        self.open(name);
        let _ = write!(self.0, "{v}");
        self.close(name);
    }
}
