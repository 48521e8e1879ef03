//! Compact JSON, as radosgw's JSONFormatter writes it (no spaces, no trailing newline).

use super::{Node, Style};
use std::fmt::Write;

pub fn render(node: &Node, style: Style) -> String {
    let mut out = String::with_capacity(512);
    write_node(&mut out, node, style);
    out
}

fn write_node(out: &mut String, node: &Node, style: Style) {
    match node {
        Node::Str(s) => write_str(out, s),
        Node::Int(i) => out.push_str(itoa::Buffer::new().format(*i)),
        Node::UInt(u) => out.push_str(itoa::Buffer::new().format(*u)),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::LegacyBool(b) => {
            let s = if *b { "true" } else { "false" };
            if style.string_bools {
                out.push('"');
                out.push_str(s);
                out.push('"');
            } else {
                out.push_str(s);
            }
        }
        Node::Obj(fields) => {
            out.push('{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, k);
                out.push(':');
                write_node(out, v, style);
            }
            out.push('}');
        }
        Node::Arr(_, items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_node(out, v, style);
            }
            out.push(']');
        }
    }
}

/// JSON string escaping as ceph's `escape_json_attr`: quote, backslash, control characters.
pub fn write_str(out: &mut String, s: &str) {
    out.push('"');
    // Most strings need no escaping: copy them whole.
    if !s
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || b < 0x20 || b == 0x7f)
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Indented JSON as radosgw-admin prints it (4 spaces, `"key": value`), for the CLI.
pub fn render_pretty(node: &Node, style: Style) -> String {
    let mut out = String::new();
    pretty(&mut out, node, style, 0);
    out.push('\n');
    out
}

/// An indented JSON array written an item at a time, in `render_pretty`'s layout, so a long
/// listing is printed in constant memory. Nothing is written before the first item (an
/// error before it leaves no half array); `finish` closes it (`[]` when empty).
pub struct PrettyArray<W: std::io::Write> {
    out: W,
    style: Style,
    any: bool,
}

impl<W: std::io::Write> PrettyArray<W> {
    pub fn new(out: W, style: Style) -> Self {
        PrettyArray {
            out,
            style,
            any: false,
        }
    }

    pub fn item(&mut self, node: &Node) -> std::io::Result<()> {
        let mut s = String::from(if self.any { ",\n    " } else { "[\n    " });
        pretty(&mut s, node, self.style, 1);
        self.any = true;
        self.out.write_all(s.as_bytes())
    }

    pub fn finish(mut self) -> std::io::Result<()> {
        self.out
            .write_all(if self.any { b"\n]\n" } else { b"[]\n" })?;
        self.out.flush()
    }
}

fn pretty(out: &mut String, node: &Node, style: Style, depth: usize) {
    let pad = |out: &mut String, d: usize| out.push_str(&"    ".repeat(d));
    match node {
        Node::Obj(fields) if !fields.is_empty() => {
            out.push_str("{\n");
            for (i, (k, v)) in fields.iter().enumerate() {
                pad(out, depth + 1);
                write_str(out, k);
                out.push_str(": ");
                pretty(out, v, style, depth + 1);
                out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push('}');
        }
        Node::Arr(_, items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, v) in items.iter().enumerate() {
                pad(out, depth + 1);
                pretty(out, v, style, depth + 1);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            pad(out, depth);
            out.push(']');
        }
        other => write_node(out, other, style),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encode::{str_arr, ObjBuilder};

    #[test]
    fn compact_ordered_and_escaped() {
        let n = ObjBuilder::new()
            .str("a", "x\"y\\\u{1}")
            .int("b", -1)
            .legacy_bool("c", false)
            .node("d", str_arr("obj", Vec::<String>::new()))
            .build();
        assert_eq!(
            render(&n, Style { string_bools: true }),
            r#"{"a":"x\"y\\\u0001","b":-1,"c":"false","d":[]}"#
        );
        assert_eq!(
            render(&n, Style::default()),
            r#"{"a":"x\"y\\\u0001","b":-1,"c":false,"d":[]}"#
        );
    }

    #[test]
    fn integers_whole() {
        let n = ObjBuilder::new()
            .uint("u", u64::MAX)
            .int("i", i64::MIN)
            .build();
        assert_eq!(
            render(&n, Style::default()),
            r#"{"u":18446744073709551615,"i":-9223372036854775808}"#
        );
    }

    #[test]
    fn array_streamed_as_rendered_whole() {
        let items: Vec<Node> = (0..3)
            .map(|i| {
                ObjBuilder::new()
                    .int("i", i)
                    .node("a", str_arr("x", vec!["p", "q"]))
                    .node("e", str_arr("x", Vec::<String>::new()))
                    .build()
            })
            .collect();
        for n in [0, 1, 3] {
            let mut out = Vec::new();
            let mut a = PrettyArray::new(&mut out, Style::default());
            for it in &items[..n] {
                a.item(it).unwrap();
            }
            a.finish().unwrap();
            let whole = render_pretty(
                &Node::Arr("o".into(), items[..n].to_vec()),
                Style::default(),
            );
            assert_eq!(String::from_utf8(out).unwrap(), whole);
        }
    }
}
