//! The query string, parsed once. The signature check and the op handler both read this one
//! parse, so a parameter can never mean one thing to the verifier and another to the handler
//! (radosgw has two parsers that disagree on names like `secret-key%`).

use crate::error::{Error, Result};

/// Longest accepted value of one decoded parameter; radosgw's own limits (uid, display name,
/// caps) are far below this, so anything longer is garbage or an attack.
pub const MAX_PARAM_LEN: usize = 4096;
/// Most parameters accepted in one query string.
pub const MAX_PARAMS: usize = 128;

/// Admin sub-resources: the first of these names in URL order selects the op
/// (`RGWHTTPArgs::append`, `admin_subresource_added`).
pub const ADMIN_SUBRESOURCES: &[&str] = &[
    "subuser", "key", "caps", "index", "policy", "quota", "list", "object", "sync",
];

/// One parameter, as [`Query::params`] hands it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Param<'a> {
    /// Name exactly as sent on the wire (still percent-encoded).
    pub raw_name: &'a str,
    /// Value exactly as sent; `None` when the name had no `=` (`?caps&uid=..`).
    pub raw_value: Option<&'a str>,
    /// Decoded name (`+` is a space, `%XX` decoded).
    pub name: &'a str,
    /// Decoded value; empty for a bare name.
    pub value: &'a str,
}

/// Where one parameter's four strings are in [`Query::text`]: byte ranges, so a query is two
/// allocations however many parameters it has (it is parsed for every request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spans {
    raw_name: (u32, u32),
    raw_value: Option<(u32, u32)>,
    name: (u32, u32),
    value: (u32, u32),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// The query as sent, then the decoded form of each name or value that has escapes (one
    /// that has none is its own decoded form).
    text: String,
    spans: Vec<Spans>,
}

impl Query {
    /// Split on `&`, each pair at its first `=`; decode `+` and `%XX`. A malformed escape is
    /// kept literally (as radosgw's `url_decode` does). A name or value that is not UTF-8
    /// after decoding, too long, or too many parameters → `InvalidArgument`.
    pub fn parse(raw: &str) -> Result<Query> {
        // Spans are u32; a longer query is refused long before (hyper's head limit).
        if raw.len() > u32::MAX as usize / 2 {
            return Err(Error::InvalidArgument);
        }
        let mut q = Query {
            text: String::with_capacity(raw.len()),
            spans: Vec::new(),
        };
        q.text.push_str(raw);
        let mut at = 0;
        for part in raw.split('&') {
            let start = at;
            at += part.len() + 1;
            if part.is_empty() {
                continue;
            }
            if q.spans.len() >= MAX_PARAMS {
                return Err(Error::InvalidArgument);
            }
            let (raw_name, raw_value) = match part.split_once('=') {
                Some((n, _)) => (
                    (start, start + n.len()),
                    Some((start + n.len() + 1, start + part.len())),
                ),
                None => ((start, start + part.len()), None),
            };
            let name = q.decoded(raw_name)?;
            let value = match raw_value {
                Some(v) => q.decoded(v)?,
                None => (0, 0),
            };
            if name.1 - name.0 > MAX_PARAM_LEN || value.1 - value.0 > MAX_PARAM_LEN {
                return Err(Error::InvalidArgument);
            }
            let span = |(a, b): (usize, usize)| (a as u32, b as u32);
            q.spans.push(Spans {
                raw_name: span(raw_name),
                raw_value: raw_value.map(span),
                name: span(name),
                value: span(value),
            });
        }
        Ok(q)
    }

    /// The decoded form of `text[range]`: the range itself when there is nothing to decode,
    /// else the decoded text appended.
    fn decoded(&mut self, (a, b): (usize, usize)) -> Result<(usize, usize)> {
        let raw = &self.text[a..b];
        if !has_escapes(raw, true) {
            return Ok((a, b));
        }
        let d = decode(raw)?;
        let start = self.text.len();
        self.text.push_str(&d);
        Ok((start, self.text.len()))
    }

    fn at(&self, (a, b): (u32, u32)) -> &str {
        &self.text[a as usize..b as usize]
    }

    /// Compared as bytes: lookups by name are most of what reads a query.
    fn is_named(&self, s: &Spans, name: &str) -> bool {
        let (a, b) = s.name;
        self.text.as_bytes().get(a as usize..b as usize) == Some(name.as_bytes())
    }

    /// The parameters in URL order.
    pub fn params(&self) -> impl DoubleEndedIterator<Item = Param<'_>> + ExactSizeIterator + Clone {
        self.spans.iter().map(move |s| Param {
            raw_name: self.at(s.raw_name),
            raw_value: s.raw_value.map(|r| self.at(r)),
            name: self.at(s.name),
            value: self.at(s.value),
        })
    }

    /// Value of `name`: the last occurrence that carries a value wins, as in radosgw's value
    /// map, except that a later bare `name` does not erase an earlier `name=value`.
    pub fn get(&self, name: &str) -> Option<&str> {
        let mut found: Option<&Spans> = None;
        for s in self.spans.iter().filter(|s| self.is_named(s, name)) {
            if found.is_none() || s.raw_value.is_some() {
                found = Some(s);
            }
        }
        found.map(|s| self.at(s.value))
    }

    /// Like [`get`](Self::get) but `None` for an empty value.
    pub fn get_nonempty(&self, name: &str) -> Option<&str> {
        self.get(name).filter(|v| !v.is_empty())
    }

    pub fn has(&self, name: &str) -> bool {
        self.spans.iter().any(|s| self.is_named(s, name))
    }

    /// Case-insensitive lookup, for the SigV4 presigned `X-Amz-*` names.
    pub fn get_ignore_case(&self, name: &str) -> Option<&str> {
        self.params()
            .rev()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value)
    }

    /// The first admin sub-resource name in URL order, if any.
    pub fn first_admin_subresource(&self) -> Option<&str> {
        self.params()
            .map(|p| p.name)
            .find(|n| ADMIN_SUBRESOURCES.contains(n))
    }

    /// radosgw's `get_bool`: `true`/`1`/empty → true, `false`/`0` → false (any case), anything
    /// else or absent → `default`.
    pub fn get_bool(&self, name: &str, default: bool) -> bool {
        match self.get(name) {
            None => default,
            Some(v) => parse_bool(v).unwrap_or(default),
        }
    }

    /// radosgw's `get_int*`: absent or unparsable → `default` (its callers ignore the error).
    pub fn get_i64(&self, name: &str, default: i64) -> i64 {
        self.get(name)
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(default)
    }
}

/// radosgw's `RESTArgs::get_int64` on a parameter that is present (`stringtoll`): C
/// `strtoll` over the whole value, so leading blanks and a sign are allowed and an empty
/// value is 0; `None` when anything follows the number, there is none, or it reaches
/// `i64::MAX` (where `strtoll` saturates).
pub fn rest_int64(v: &str) -> Option<i64> {
    if v.is_empty() {
        return Some(0);
    }
    match crate::cnum::strtol(v) {
        Some((n, _, "")) if n != i64::MAX => Some(n),
        _ => None,
    }
}

pub fn parse_bool(v: &str) -> Option<bool> {
    if v.is_empty() || v == "1" || v.eq_ignore_ascii_case("true") {
        Some(true)
    } else if v == "0" || v.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Decode a query name or value: `+` and `%XX`; a `%` not followed by two hex digits stays
/// as it is.
pub fn decode(s: &str) -> Result<String> {
    decode_with(s, true)
}

/// Decode a URL path: `%XX` only — a `+` in a path is a plus sign (an object key `a+b`).
pub fn decode_path(s: &str) -> Result<String> {
    decode_with(s, false)
}

/// Whether `s` has anything to decode: a `%`, or a `+` where it stands for a space.
fn has_escapes(s: &str, plus_is_space: bool) -> bool {
    s.bytes().any(|b| b == b'%' || (plus_is_space && b == b'+'))
}

fn decode_with(s: &str, plus_is_space: bool) -> Result<String> {
    // Most names and values have nothing to decode (and are already UTF-8).
    if !has_escapes(s, plus_is_space) {
        return Ok(s.to_string());
    }
    let s = if plus_is_space && s.contains('+') {
        std::borrow::Cow::Owned(s.replace('+', " "))
    } else {
        std::borrow::Cow::Borrowed(s)
    };
    percent_encoding::percent_decode_str(&s)
        .decode_utf8()
        .map(std::borrow::Cow::into_owned)
        .map_err(|_| Error::InvalidArgument)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What radosgw 16.2.15 stored for a quota's `max-size` (probed): the empty value is 0,
    /// anything `strtoll` does not read to its end is refused.
    #[test]
    fn rest_int64_reads_as_stringtoll() {
        for (v, want) in [
            ("", Some(0)),
            ("5", Some(5)),
            ("-5", Some(-5)),
            ("+7", Some(7)),
            (" 12", Some(12)),
            (" ", None),
            ("x", None),
            ("2x", None),
            ("2 ", None),
            ("-", None),
            ("9223372036854775807", None),
            ("99999999999999999999", None),
            ("-9223372036854775808", Some(i64::MIN)),
            ("-99999999999999999999", Some(i64::MIN)),
        ] {
            assert_eq!(rest_int64(v), want, "{v:?}");
        }
    }

    #[test]
    fn splits_at_first_equals_and_decodes() {
        let q = Query::parse("caps&uid=a%20b&user-caps=users=read;buckets=*&x=1+2").unwrap();
        assert_eq!(q.first_admin_subresource(), Some("caps"));
        assert_eq!(q.get("uid"), Some("a b"));
        assert_eq!(q.get("user-caps"), Some("users=read;buckets=*"));
        assert_eq!(q.get("x"), Some("1 2"));
        assert_eq!(q.params().next().unwrap().raw_value, None);
    }

    #[test]
    fn last_value_wins_but_bare_does_not_erase() {
        let q = Query::parse("subuser&uid=a&subuser=a:s").unwrap();
        assert_eq!(q.get("subuser"), Some("a:s"));
        let q = Query::parse("object=x&object").unwrap();
        assert_eq!(q.get("object"), Some("x"));
    }

    #[test]
    fn malformed_escapes_are_literal_and_bad_utf8_rejected() {
        assert_eq!(decode("secret-key%").unwrap(), "secret-key%");
        assert_eq!(decode("a%2").unwrap(), "a%2");
        assert_eq!(decode("a%zz").unwrap(), "a%zz");
        assert_eq!(decode("%41%42").unwrap(), "AB");
        assert_eq!(decode("a+b").unwrap(), "a b");
        assert_eq!(decode_path("/b/a+b%20c").unwrap(), "/b/a+b c");
        assert!(decode("%ff").is_err());
        assert!(Query::parse(&format!("uid={}", "a".repeat(MAX_PARAM_LEN + 1))).is_err());
    }

    #[test]
    fn bools_like_radosgw() {
        let q = Query::parse("a=True&b=FALSE&c=1&d=yes&e").unwrap();
        assert!(q.get_bool("a", false));
        assert!(!q.get_bool("b", true));
        assert!(q.get_bool("c", false));
        assert!(q.get_bool("d", true) && !q.get_bool("d", false));
        assert!(q.get_bool("e", false));
        assert!(q.get_bool("missing", true));
    }
}
