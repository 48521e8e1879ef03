//! XML as radosgw's XMLFormatter writes it: a prologue, the root element named by the
//! document, compact, empty containers as `<name></name>`.

use super::{Doc, Node, Style};
use std::fmt::Write;

pub const PROLOGUE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>"#;

pub fn render(doc: &Doc, _style: Style) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str(PROLOGUE);
    write_elem(&mut out, &doc.root, &doc.node);
    out
}

/// XML has no boolean type, so both bool kinds print as words whatever the style.
fn write_elem(out: &mut String, name: &str, node: &Node) {
    // radosgw replaces spaces in element names; nothing else is rewritten.
    let name: std::borrow::Cow<str> = if name.contains(' ') {
        name.replace(' ', "_").into()
    } else {
        name.into()
    };
    out.push('<');
    out.push_str(&name);
    out.push('>');
    match node {
        Node::Str(s) => escape_into(out, s),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Node::Bool(b) | Node::LegacyBool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Obj(fields) => {
            for (k, v) in fields {
                write_elem(out, k, v);
            }
        }
        Node::Arr(item, items) => {
            for v in items {
                write_elem(out, item, v);
            }
        }
    }
    out.push_str("</");
    out.push_str(&name);
    out.push('>');
}

pub fn escape_into(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'\'' | b'"') || b < 0x20)
    {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            // A literal CR is read back as LF by every XML parser (end-of-line handling).
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => {
                let _ = write!(out, "&#x{:x};", c as u32);
            }
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{str_arr, ObjBuilder};

    #[test]
    fn names_items_and_escapes() {
        let n = ObjBuilder::new()
            .str("permissions", "<none>")
            .node("placement_tags", str_arr("obj", Vec::<String>::new()))
            .node("keys", str_arr("key", ["a"]))
            .build();
        assert_eq!(
            render(&Doc::new("user_info", n), Style::default()),
            format!("{PROLOGUE}<user_info><permissions>&lt;none&gt;</permissions><placement_tags></placement_tags><keys><key>a</key></keys></user_info>")
        );
    }
}
