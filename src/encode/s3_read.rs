//! Readers for the XML bodies S3 clients send (DeleteObjects, CompleteMultipartUpload,
//! Put*Acl, Put*Tagging, CreateBucket). They replace a substring search that returned keys
//! from inside comments, missed CDATA and character references, and could pair a
//! PartNumber with another Part's ETag.
//!
//! quick-xml's `NsReader` builds a small element tree that is read by path, so an element
//! only counts where the schema puts it. Its serde `Deserializer` (checked on 0.42) matches
//! by local name only (`<x:Key xmlns:x="urn:other">` passes for a Key, `o:type` from any
//! namespace for `xsi:type`) and skips a DOCTYPE and anything after the root.
//!
//! Every failure is `Error::MalformedXml`. UTF-8 XML 1.0 only; a DOCTYPE anywhere is
//! refused, so no entity can be defined or expanded (billion laughs, external entities);
//! other processing instructions are ignored. The root may be in any namespace (radosgw
//! ignores xmlns); a child is a schema element when it has no namespace, the root's or
//! S3's; foreign and unknown elements are skipped, and a schema element allowed once but
//! given twice is refused, not guessed at. Keys and tag keys/values are kept exactly;
//! identifiers (numbers, ETags, IDs) are trimmed of XML whitespace. At most 16 levels and
//! 10,000 elements, so a hostile body stays cheap.

use crate::error::{Error, Result};
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::{NsReader, XmlVersion};

/// No S3 request document needs more than 5 levels.
const MAX_DEPTH: usize = 16;
/// Bounds the tree built from one body (a full DeleteObjects is ~2,000 elements).
const MAX_ELEMENTS: usize = 10_000;
/// DeleteObjects accepts at most this many keys per request (the S3 limit).
const MAX_DELETE_OBJECTS: usize = 1000;
const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";
const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteRequest {
    pub quiet: bool,
    pub objects: Vec<ObjectId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectId {
    pub key: String,
    pub version_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletePart {
    pub number: u32,
    /// Without surrounding whitespace and quotes.
    pub etag: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GranteeXml {
    CanonicalUser {
        id: String,
        display_name: Option<String>,
    },
    Group {
        uri: String,
    },
    Email {
        address: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantXml {
    pub grantee: GranteeXml,
    /// As sent (trimmed); the caller checks it is a known permission.
    pub permission: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessControlPolicy {
    pub owner_id: Option<String>,
    pub owner_display_name: Option<String>,
    pub grants: Vec<GrantXml>,
}

/// `<Delete><Quiet/>?<Object><Key/><VersionId/>?</Object>+</Delete>`, 1 to 1000 objects.
pub fn delete_objects(body: &[u8]) -> Result<DeleteRequest> {
    let root = parse(body, "Delete")?;
    // xsd:boolean; radosgw compares "true" ignoring case, so case is not enforced either.
    let quiet = root.opt("Quiet")?.map(|q| q.token().to_ascii_lowercase());
    let quiet = match quiet.as_deref() {
        None | Some("false" | "0") => false,
        Some("true" | "1") => true,
        Some(_) => return Err(Error::MalformedXml),
    };
    let objects = root.all("Object").map(|o| {
        let key = o.req("Key")?.text.clone();
        let version_id = o.opt_token("VersionId")?;
        Ok(ObjectId { key, version_id })
    });
    let objects = objects.collect::<Result<Vec<_>>>()?;
    if objects.is_empty() || objects.len() > MAX_DELETE_OBJECTS {
        return Err(Error::MalformedXml);
    }
    Ok(DeleteRequest { quiet, objects })
}

/// `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>+</CompleteMultipartUpload>`,
/// in document order; the caller checks order and that the parts exist.
pub fn complete_multipart(body: &[u8]) -> Result<Vec<CompletePart>> {
    let root = parse(body, "CompleteMultipartUpload")?;
    let parts = root.all("Part").map(|p| {
        let n = p.req("PartNumber")?.token();
        // u32::from_str would also take "+1"; S3 part numbers are plain digits.
        if !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::MalformedXml);
        }
        let number = n.parse().map_err(malformed)?;
        let etag = p.req("ETag")?.token();
        let etag = etag
            .trim_matches(|c| c == '"' || is_xml_space(c))
            .to_owned();
        Ok(CompletePart { number, etag })
    });
    let parts = parts.collect::<Result<Vec<_>>>()?;
    if parts.is_empty() {
        return Err(Error::MalformedXml);
    }
    Ok(parts)
}

/// `<AccessControlPolicy><Owner/>?<AccessControlList><Grant/>*</AccessControlList>?`.
pub fn access_control_policy(body: &[u8]) -> Result<AccessControlPolicy> {
    let root = parse(body, "AccessControlPolicy")?;
    let (owner_id, owner_display_name) = match root.opt("Owner")? {
        Some(o) => (o.opt_token("ID")?, o.opt_token("DisplayName")?),
        None => (None, None),
    };
    let acl = root.opt("AccessControlList")?;
    let grants = acl.into_iter().flat_map(|acl| acl.all("Grant")).map(grant);
    let grants = grants.collect::<Result<_>>()?;
    Ok(AccessControlPolicy {
        owner_id,
        owner_display_name,
        grants,
    })
}

/// `<Tagging><TagSet><Tag><Key/><Value/></Tag>*</TagSet></Tagging>`, in order. A tag
/// without its `Value` is malformed, as radosgw answers it.
pub fn tagging(body: &[u8]) -> Result<Vec<(String, String)>> {
    let root = parse(body, "Tagging")?;
    root.req("TagSet")?
        .all("Tag")
        .map(|t| {
            let key = t.req("Key")?.text.clone();
            let value = t.req("Value")?.text.clone();
            Ok((key, value))
        })
        .collect()
}

/// `<CreateBucketConfiguration><LocationConstraint/>?</CreateBucketConfiguration>`.
/// A blank body or an empty constraint is `None`: both mean the default placement.
pub fn create_bucket_configuration(body: &[u8]) -> Result<Option<String>> {
    if body.iter().all(|&b| is_xml_space(b as char)) {
        return Ok(None);
    }
    let root = parse(body, "CreateBucketConfiguration")?;
    Ok(root
        .opt_token("LocationConstraint")?
        .filter(|l| !l.is_empty()))
}

fn grant(grant: &Elem) -> Result<GrantXml> {
    let g = grant.req("Grantee")?;
    let has = |name| g.all(name).next().is_some();
    let kind = match g.xsi_type.as_deref() {
        Some(t) => t.trim_matches(is_xml_space),
        // No type: the one identifying child decides; none or several is ambiguous.
        None => match (has("ID"), has("URI"), has("EmailAddress")) {
            (true, false, false) => "CanonicalUser",
            (false, true, false) => "Group",
            (false, false, true) => "AmazonCustomerByEmail",
            _ => return Err(Error::MalformedXml),
        },
    };
    let grantee = match kind {
        "CanonicalUser" => GranteeXml::CanonicalUser {
            id: g.req("ID")?.token().to_owned(),
            display_name: g.opt_token("DisplayName")?,
        },
        "Group" => GranteeXml::Group {
            uri: g.req("URI")?.token().to_owned(),
        },
        "AmazonCustomerByEmail" => GranteeXml::Email {
            address: g.req("EmailAddress")?.token().to_owned(),
        },
        _ => return Err(Error::MalformedXml),
    };
    let permission = grant.req("Permission")?.token().to_owned();
    Ok(GrantXml {
        grantee,
        permission,
    })
}

/// One element of the parsed body.
#[derive(Debug, Default)]
struct Elem {
    /// Local name; the prefix is irrelevant once the namespace is resolved.
    name: String,
    /// In no namespace, the root's or S3's: may be matched by name.
    schema: bool,
    /// `xsi:type` (prefix bound to the XSI namespace), else a bare `type` attribute.
    xsi_type: Option<String>,
    /// Decoded character data directly inside this element (text, CDATA, references).
    text: String,
    children: Vec<Elem>,
}

impl Elem {
    fn all<'a, 'n>(&'a self, name: &'n str) -> impl Iterator<Item = &'a Elem> + use<'a, 'n> {
        self.children
            .iter()
            .filter(move |c| c.schema && c.name == name)
    }

    /// A child that may appear at most once.
    fn opt(&self, name: &str) -> Result<Option<&Elem>> {
        let mut it = self.all(name);
        match (it.next(), it.next()) {
            (first, None) => Ok(first),
            _ => Err(Error::MalformedXml),
        }
    }

    fn req(&self, name: &str) -> Result<&Elem> {
        self.opt(name)?.ok_or(Error::MalformedXml)
    }

    fn opt_token(&self, name: &str) -> Result<Option<String>> {
        Ok(self.opt(name)?.map(|e| e.token().to_owned()))
    }

    fn token(&self) -> &str {
        self.text.trim_matches(is_xml_space)
    }
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// XML 1.0 `Char`: control characters other than tab, LF and CR cannot appear even as
/// references, and U+FFFE/U+FFFF are not characters.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' '..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Appends decoded character data to the innermost open element; outside the root (the
/// document node at the bottom of the stack) there is no place for it.
fn push_text(stack: &mut [Elem], s: &str) -> Result<()> {
    match stack {
        [_, .., el] if s.chars().all(is_xml_char) => el.text.push_str(s),
        _ => return Err(Error::MalformedXml),
    }
    Ok(())
}

/// Parses a whole body into the tree under its root, which must be named `root_name`.
fn parse(body: &[u8], root_name: &str) -> Result<Elem> {
    let doc = std::str::from_utf8(body).map_err(malformed)?;
    let mut reader = NsReader::from_str(doc);
    // The defaults already refuse unmatched end tags and a bare `&`, and keep text as is.
    reader.config_mut().check_end_names = true;
    reader.config_mut().check_comments = true;

    // stack[0] stands for the document: the root element becomes its only child.
    let mut stack = vec![Elem::default()];
    let mut root_ns: Option<String> = None;
    let (mut elements, mut at_start) = (0usize, true);
    loop {
        let (ns, event) = reader.read_resolved_event().map_err(malformed)?;
        let ns = match ns {
            ResolveResult::Unbound => None,
            ResolveResult::Bound(Namespace(n)) => Some(n.to_owned()),
            ResolveResult::Unknown(_) => return Err(Error::MalformedXml),
        };
        match event {
            Event::Decl(d) => {
                let enc = d.encoding().transpose().map_err(malformed)?;
                let utf8 =
                    enc.is_none_or(|e| ["utf-8", "utf8", "us-ascii"].contains(&&*e.to_lowercase()));
                if !at_start || d.version().map_err(malformed)? != "1.0" || !utf8 {
                    return Err(Error::MalformedXml);
                }
            }
            // A DTD could define entities (billion laughs) or fetch external ones.
            Event::DocType(_) => return Err(Error::MalformedXml),
            Event::PI(_) | Event::Comment(_) => {}
            Event::Start(ref e) | Event::Empty(ref e) => {
                elements += 1;
                let second_root = stack.len() == 1 && !stack[0].children.is_empty();
                if second_root || elements > MAX_ELEMENTS || stack.len() > MAX_DEPTH {
                    return Err(Error::MalformedXml);
                }
                let schema = if stack.len() == 1 {
                    root_ns.clone_from(&ns);
                    true
                } else {
                    ns.is_none() || ns == root_ns || ns.as_deref() == Some(S3_NS)
                };
                let el = Elem {
                    name: e.local_name().into_inner().to_owned(),
                    schema,
                    xsi_type: type_attribute(&reader, e)?,
                    ..Elem::default()
                };
                match event {
                    Event::Start(_) => stack.push(el),
                    _ => stack.last_mut().expect("document node").children.push(el),
                }
            }
            // check_end_names has already matched the name against the open tag.
            Event::End(_) if stack.len() > 1 => {
                let el = stack.pop().expect("checked length");
                stack.last_mut().expect("document node").children.push(el);
            }
            Event::End(_) => return Err(Error::MalformedXml),
            // Outside the root only whitespace may appear.
            Event::Text(t) if stack.len() == 1 && t.chars().all(is_xml_space) => {}
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => push_text(&mut stack, &c.xml10_content())?,
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().map_err(malformed)? {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or(Error::MalformedXml)?
                        .to_owned(),
                };
                push_text(&mut stack, &text)?;
            }
            Event::Eof => break,
        }
        at_start = false;
    }
    // An element still open at the end was never closed.
    if stack.len() != 1 {
        return Err(Error::MalformedXml);
    }
    match stack.pop().and_then(|mut doc| doc.children.pop()) {
        Some(root) if root.name == root_name => Ok(root),
        _ => Err(Error::MalformedXml),
    }
}

fn malformed<E>(_: E) -> Error {
    Error::MalformedXml
}

/// Reads every attribute, so malformed or duplicate ones are refused, and returns the
/// grantee type: `type` in the XSI namespace under any prefix, else an unprefixed `type`.
fn type_attribute(reader: &NsReader<&[u8]>, e: &BytesStart) -> Result<Option<String>> {
    let (mut xsi, mut bare) = (None, None);
    for a in e.attributes() {
        let a = a.map_err(malformed)?;
        if a.key.as_namespace_binding().is_some() {
            continue;
        }
        let (ns, local) = reader.resolver().resolve_attribute(a.key);
        let slot = match ns {
            ResolveResult::Bound(Namespace(n)) if n == XSI_NS => &mut xsi,
            ResolveResult::Bound(_) => continue,
            ResolveResult::Unbound => &mut bare,
            ResolveResult::Unknown(_) => return Err(Error::MalformedXml),
        };
        if local.into_inner() == "type" {
            let value = a.normalized_value(XmlVersion::Explicit1_0);
            *slot = Some(value.map_err(malformed)?.into_owned());
        }
    }
    Ok(xsi.or(bare))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NS: &str = r#" xmlns="http://s3.amazonaws.com/doc/2006-03-01/""#;
    const XSI: &str = r#"xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance""#;
    const OBJ: &str = "<Object><Key>k</Key></Object>";

    fn keys(body: &str) -> Vec<String> {
        let d = delete_objects(body.as_bytes()).unwrap();
        d.objects.into_iter().map(|o| o.key).collect()
    }

    fn debug<T: std::fmt::Debug>(r: Result<T>) -> String {
        format!("{:?}", r.unwrap())
    }

    /// Every line of `bodies`, with `{NS}` and `{XSI}` filled in, must be refused.
    fn bad<T: std::fmt::Debug>(parse: fn(&[u8]) -> Result<T>, bodies: &str) {
        for b in bodies.lines().filter(|b| !b.is_empty()) {
            let r = parse(b.replace("{NS}", NS).replace("{XSI}", XSI).as_bytes());
            assert!(matches!(r, Err(Error::MalformedXml)), "{b}: {r:?}");
        }
    }

    #[test]
    fn review_example_and_text_decoding() {
        let body = r#"<Delete><Quiet>true</Quiet>
 <!-- <Object><Key>keep/ledger.db</Key></Object> -->
 <Object><Key>tmp/a</Key></Object>
 <Object><Key>tmp&#47;b</Key></Object>
 <Object><Key xml:space="preserve">tmp/c</Key></Object>
 <Object><Key><![CDATA[tmp/d]]></Key></Object>
</Delete>"#;
        assert!(delete_objects(body.as_bytes()).unwrap().quiet);
        assert_eq!(keys(body), ["tmp/a", "tmp/b", "tmp/c", "tmp/d"]);
        let text = "  a&#47;&#x2F;&#xD;&#10;&lt;&gt;&amp;&quot;&apos;\r\nz  ";
        let body = format!("<Delete>\n <Object>\n  <Key>{text}</Key>\n </Object>\n</Delete>\n");
        assert_eq!(keys(&body), ["  a//\r\n<>&\"'\nz  "]);
        let cdata = "<Delete><Object><Key>a<![CDATA[<b>]]>c</Key></Object></Delete>";
        assert_eq!(keys(cdata), ["a<b>c"]);
        // Undefined entities, illegal characters and a dangling & are not XML.
        let cases = "<Delete><Object><Key>&nbsp;</Key></Object></Delete>
<Delete><Object><Key>&#1;</Key></Object></Delete>
<Delete><Object><Key>&#xFFFE;</Key></Object></Delete>
<Delete><Object><Key>a\u{1}</Key></Object></Delete>
<Delete><Object><Key>a & b</Key></Object></Delete>";
        bad(delete_objects, cases);
    }

    #[test]
    fn boto3_delete_objects() {
        // botocore's rest-xml serializer: xmlns on the root, Objects before Quiet.
        let body = format!("<Delete{NS}><Object><Key>a b </Key></Object><Object><Key>x&amp;y&lt;z</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>");
        let want = r#"DeleteRequest { quiet: true, objects: [ObjectId { key: "a b ", version_id: None }, ObjectId { key: "x&y<z", version_id: Some("v1") }] }"#;
        assert_eq!(debug(delete_objects(body.as_bytes())), want);
        let quiet = "<Delete><Quiet>True</Quiet><Object><Key>k</Key></Object></Delete>";
        assert!(delete_objects(quiet.as_bytes()).unwrap().quiet);
    }

    #[test]
    fn namespaces_and_unknown_elements() {
        // Unqualified, default namespace, prefixed, and another URI on the root.
        let bodies = r#"<Delete><Object><Key>k</Key></Object></Delete>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>k</Key></Object></Delete>
<s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/"><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>
<Delete xmlns="urn:x"><Object><Key>k</Key></Object></Delete>"#;
        for b in bodies.lines() {
            assert_eq!(keys(b), ["k"], "{b}");
        }
        // Unknown and foreign-namespace elements are never mistaken for known ones.
        let body = format!(
            "<Delete{NS}><Extra><Object><Key>no1</Key></Object></Extra>\
             <Object><Wrap><Key>no2</Key></Wrap><x:Key xmlns:x=\"urn:other\">no3</x:Key>\
             <Key>yes</Key><ChecksumFuture>1</ChecksumFuture></Object></Delete>"
        );
        assert_eq!(keys(&body), ["yes"]);
        // An unbound prefix; a duplicate Key is refused rather than one of them picked.
        let cases = "<s3:Delete><s3:Object><s3:Key>k</s3:Key></s3:Object></s3:Delete>
<Delete><Object><Key>a</Key><Key>b</Key></Object></Delete>";
        bad(delete_objects, cases);
    }

    #[test]
    fn doctype_is_refused_and_processing_instructions_ignored() {
        // A DOCTYPE anywhere; a declaration not at the very start, not 1.0 or not UTF-8.
        let cases = r#"<!DOCTYPE Delete><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.0"?><!DOCTYPE D [<!ENTITY a "aa">]><Delete><Object><Key>&a;</Key></Object></Delete>
<Delete><!DOCTYPE x><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Key></Object></Delete><!DOCTYPE x>
 <?xml version="1.0"?><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.1"?><Delete><Object><Key>k</Key></Object></Delete>
<?xml version="1.0" encoding="ISO-8859-1"?><Delete><Object><Key>k</Key></Object></Delete>"#;
        bad(delete_objects, cases);
        let pi = "<?xml version='1.0' encoding='utf-8'?><?a?><Delete><?b c?><Object><Key>k</Key></Object></Delete><?d?>";
        assert_eq!(keys(pi), ["k"]);
    }

    #[test]
    fn malformed_documents() {
        let cases = r#"<Remove><Object><Key>k</Key></Object></Remove>
<Delete><Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Object></Key></Delete>
<Delete><Object><Key>k</Key></Object></Delete>junk
<Delete/><Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key>k</Key></Object></Delete></Delete>
junk<Delete><Object><Key>k</Key></Object></Delete>
<Delete><Object><Key a="1" a="2">k</Key></Object></Delete>
<Delete><Object><Key a=1>k</Key></Object></Delete>
<Delete><!-- a -- b --><Object><Key>k</Key></Object></Delete>
<Delete><Object><VersionId>v</VersionId></Object></Delete>
<Delete><Quiet>yes</Quiet><Object><Key>k</Key></Object></Delete>
<Delete><Quiet>true</Quiet></Delete>"#;
        bad(delete_objects, cases);
        let latin1 = b"<Delete><Object><Key>\xff</Key></Object></Delete>";
        for body in [&b""[..], b"  \n", latin1] {
            assert!(matches!(delete_objects(body), Err(Error::MalformedXml)));
        }
        // `</Key >` is a valid end tag; a UTF-8 BOM and trailing newlines are fine.
        let spaced = "\u{feff}<Delete ><Object><Key >k</Key ></Object\n></Delete>\n";
        assert_eq!(keys(spaced), ["k"]);
    }

    #[test]
    fn limits() {
        let del = |n| format!("<Delete>{}</Delete>", OBJ.repeat(n));
        assert_eq!(keys(&del(1000)).len(), 1000);
        bad(delete_objects, &del(1001));
        // Tagging, TagSet, depth - 3 X and an inner Tag: 16 levels pass, 17 do not.
        let nest = |d: usize| ("<X>".repeat(d - 3), "</X>".repeat(d - 3));
        let nested = |(o, c)| format!("<Tagging><TagSet>{o}<Tag/>{c}</TagSet></Tagging>");
        assert_eq!(tagging(nested(nest(16)).as_bytes()).unwrap(), []);
        bad(tagging, &nested(nest(17)));
        let wide = |n: usize| format!("<Tagging><TagSet>{}</TagSet></Tagging>", "<X/>".repeat(n));
        assert_eq!(tagging(wide(9_998).as_bytes()).unwrap(), []);
        bad(tagging, &wide(9_999));
    }

    #[test]
    fn complete_multipart_pairs_within_each_part() {
        // botocore: xmlns, ETag quoted and before PartNumber, checksums alongside.
        let boto = format!(
            r#"<CompleteMultipartUpload{NS}><Part><ETag>"abc"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"def"</ETag><PartNumber>2</PartNumber><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part></CompleteMultipartUpload>"#
        );
        let want =
            r#"[CompletePart { number: 1, etag: "abc" }, CompletePart { number: 2, etag: "def" }]"#;
        assert_eq!(debug(complete_multipart(boto.as_bytes())), want);
        let pretty = "<CompleteMultipartUpload>\n <Part>\n  <PartNumber> 7 </PartNumber>\n  <ETag> &quot;x1&quot; </ETag>\n </Part>\n</CompleteMultipartUpload>";
        let want = r#"[CompletePart { number: 7, etag: "x1" }]"#;
        assert_eq!(debug(complete_multipart(pretty.as_bytes())), want);
        // First: the middle Part lacks its ETag; zipping separate lists would pair 2 with c.
        let cases = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>a</ETag></Part><Part><PartNumber>2</PartNumber></Part><Part><PartNumber>3</PartNumber><ETag>c</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload{NS}></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>x</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber></PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>+1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>-1</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>
<CompleteMultipartUpload><Part><PartNumber>4294967296</PartNumber><ETag>a</ETag></Part></CompleteMultipartUpload>";
        bad(complete_multipart, cases);
    }

    #[test]
    fn boto3_access_control_policy_and_grantee_types() {
        let body = format!(
            r#"<AccessControlPolicy{NS}><Owner><ID>alice</ID><DisplayName>Alice</DisplayName></Owner><AccessControlList><Grant><Grantee {XSI} xsi:type="CanonicalUser"><ID>bob</ID><DisplayName>Bob</DisplayName></Grantee><Permission>READ</Permission></Grant><Grant><Grantee {XSI} xsi:type="Group"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ_ACP</Permission></Grant><Grant><Grantee {XSI} xsi:type="AmazonCustomerByEmail"><EmailAddress>c@example.com</EmailAddress></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>"#
        );
        let want = r#"AccessControlPolicy { owner_id: Some("alice"), owner_display_name: Some("Alice"), grants: [GrantXml { grantee: CanonicalUser { id: "bob", display_name: Some("Bob") }, permission: "READ" }, GrantXml { grantee: Group { uri: "http://acs.amazonaws.com/groups/global/AllUsers" }, permission: "READ_ACP" }, GrantXml { grantee: Email { address: "c@example.com" }, permission: "FULL_CONTROL" }] }"#;
        assert_eq!(debug(access_control_policy(body.as_bytes())), want);
        let empty = b"<AccessControlPolicy><AccessControlList/></AccessControlPolicy>";
        let want = "AccessControlPolicy { owner_id: None, owner_display_name: None, grants: [] }";
        assert_eq!(debug(access_control_policy(empty)), want);
        let acl = |grant: &str| {
            format!("<AccessControlPolicy><AccessControlList><Grant>{grant}</Grant></AccessControlList></AccessControlPolicy>")
        };
        let grantee = |g: &str| debug(access_control_policy(acl(g).as_bytes()));
        // Any prefix bound to the XSI namespace, a bare `type`, or inferred from the child;
        // a `type` in another namespace is not the grantee type, so inference decides.
        let groups = r#"<Grantee xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="Group"><URI>u</URI></Grantee>
<Grantee type="Group"><URI>u</URI></Grantee>
<Grantee><URI>u</URI></Grantee>
<Grantee xmlns:o="urn:o" o:type="Nope"><URI>u</URI></Grantee>"#;
        for g in groups.lines() {
            let g = format!("{g}<Permission>READ</Permission>");
            let got = grantee(&g);
            assert!(got.contains(r#"grantee: Group { uri: "u" }"#), "{g}: {got}");
        }
        let user = grantee("<Grantee><ID>b</ID></Grantee><Permission>READ</Permission>");
        assert!(user.contains(r#"CanonicalUser { id: "b", display_name: None }"#));
        // Unknown or contradicted type, unbound prefix, ambiguous or empty grantee, and a
        // Grant missing its Grantee or Permission.
        let cases = r#"<Grantee {XSI} xsi:type="Robot"><ID>b</ID></Grantee><Permission>READ</Permission>
<Grantee {XSI} xsi:type="Group"><ID>b</ID></Grantee><Permission>READ</Permission>
<Grantee p:type="Group"><URI>u</URI></Grantee><Permission>READ</Permission>
<Grantee><ID>b</ID><URI>u</URI></Grantee><Permission>READ</Permission>
<Grantee/><Permission>READ</Permission>
<Permission>READ</Permission>
<Grantee><ID>b</ID></Grantee>"#;
        let cases: Vec<_> = cases.lines().map(acl).collect();
        bad(access_control_policy, &cases.join("\n"));
    }

    #[test]
    fn boto3_tagging_and_create_bucket() {
        let body = format!("<Tagging{NS}><TagSet><Tag><Key>k1</Key><Value>v1</Value></Tag><Tag><Key>k2</Key><Value /></Tag><Tag><Key> k3 </Key><Value></Value></Tag></TagSet></Tagging>");
        let want = r#"[("k1", "v1"), ("k2", ""), (" k3 ", "")]"#;
        assert_eq!(debug(tagging(body.as_bytes())), want);
        assert_eq!(tagging(b"<Tagging><TagSet/></Tagging>").unwrap(), []);
        let no_key = "<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>";
        let no_value = "<Tagging><TagSet><Tag><Key>k</Key></Tag></TagSet></Tagging>";
        bad(
            tagging,
            &format!("{no_key}\n{no_value}\n<Tagging{NS}></Tagging>"),
        );
        let cbc = |b: &str| create_bucket_configuration(b.as_bytes()).unwrap();
        let lc = format!("<CreateBucketConfiguration{NS}><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>");
        assert_eq!(cbc(&lc).as_deref(), Some("eu-west-1"));
        let empty = "<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>";
        for b in ["", " \r\n\t", "<CreateBucketConfiguration/>", empty] {
            assert_eq!(cbc(b), None, "{b}");
        }
        let cases = "<BucketConfiguration/>\n<CreateBucketConfiguration>";
        bad(create_bucket_configuration, cases);
    }
}
