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
    // radosgw reads the list into a map by part number (`RGWMultiCompleteUpload::xml_end`,
    // every release): the parts come in number order whatever order they were sent in, and
    // a number listed twice names the ETag listed last.
    let mut by_number = std::collections::BTreeMap::new();
    for p in parts {
        let p = p?;
        by_number.insert(p.number, p);
    }
    if by_number.is_empty() {
        return Err(Error::MalformedXml);
    }
    Ok(by_number.into_values().collect())
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
    tags(root.req("TagSet")?)
}

/// The `<Tag><Key/><Value/></Tag>` children of `e`, in order, kept exactly.
fn tags(e: &Elem) -> Result<Vec<(String, String)>> {
    e.all("Tag")
        .map(|t| Ok((t.req("Key")?.text.clone(), t.req("Value")?.text.clone())))
        .collect()
}

/// One `<CORSRule>` as written, before the rules of `domain::cors` are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsRuleXml {
    pub id: Option<String>,
    pub origins: Vec<String>,
    pub methods: Vec<String>,
    pub headers: Vec<String>,
    pub expose: Vec<String>,
    pub max_age: Option<String>,
}

/// `<CORSConfiguration><CORSRule>...</CORSRule>*</CORSConfiguration>`, each element's
/// text trimmed.
pub fn cors(body: &[u8]) -> Result<Vec<CorsRuleXml>> {
    let root = parse(body, "CORSConfiguration")?;
    let texts = |r: &Elem, name| r.all(name).map(|e| e.token().to_owned()).collect();
    root.all("CORSRule")
        .map(|r| {
            Ok(CorsRuleXml {
                id: r.opt_token("ID")?,
                origins: texts(r, "AllowedOrigin"),
                methods: texts(r, "AllowedMethod"),
                headers: texts(r, "AllowedHeader"),
                expose: texts(r, "ExposeHeader"),
                max_age: r.opt_token("MaxAgeSeconds")?,
            })
        })
        .collect()
}

/// One `<Rule>` of a lifecycle configuration as written (numbers and dates still text),
/// before `domain::lifecycle` checks it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LcRuleXml {
    pub id: Option<String>,
    /// The rule's own `<Prefix>` (the form before `<Filter>`).
    pub prefix: Option<String>,
    pub filter: Option<LcFilterXml>,
    pub status: Option<String>,
    pub expiration: Option<LcExpirationXml>,
    pub noncurrent_days: Option<String>,
    pub abort_days: Option<String>,
    /// `(Days, Date, StorageClass)` of each `<Transition>`.
    pub transitions: Vec<(Option<String>, Option<String>, Option<String>)>,
    /// `(NoncurrentDays, StorageClass)` of each `<NoncurrentVersionTransition>`.
    pub noncurrent_transitions: Vec<(Option<String>, Option<String>)>,
}

/// `<Filter>`: a prefix, tags, or both (inside `<And>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LcFilterXml {
    pub prefix: Option<String>,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LcExpirationXml {
    pub days: Option<String>,
    pub date: Option<String>,
    pub delete_marker: Option<String>,
}

/// `<LifecycleConfiguration><Rule>...</Rule>*</LifecycleConfiguration>`. Prefixes are
/// kept as sent; everything else is trimmed.
pub fn lifecycle(body: &[u8]) -> Result<Vec<LcRuleXml>> {
    let root = parse(body, "LifecycleConfiguration")?;
    root.all("Rule")
        .map(|r| {
            let filter = match r.opt("Filter")? {
                None => None,
                // With `<And>`, radosgw reads only what is inside it.
                Some(f) => {
                    let f = f.opt("And")?.unwrap_or(f);
                    Some(LcFilterXml {
                        prefix: f.opt("Prefix")?.map(|p| p.text.clone()),
                        tags: tags(f)?,
                    })
                }
            };
            let expiration = match r.opt("Expiration")? {
                None => None,
                Some(e) => Some(LcExpirationXml {
                    days: e.opt_token("Days")?,
                    date: e.opt_token("Date")?,
                    delete_marker: e.opt_token("ExpiredObjectDeleteMarker")?,
                }),
            };
            let noncurrent_days = match r.opt("NoncurrentVersionExpiration")? {
                None => None,
                Some(e) => Some(e.req("NoncurrentDays")?.token().to_owned()),
            };
            let abort_days = match r.opt("AbortIncompleteMultipartUpload")? {
                None => None,
                Some(e) => Some(e.req("DaysAfterInitiation")?.token().to_owned()),
            };
            Ok(LcRuleXml {
                id: r.opt_token("ID")?,
                prefix: r.opt("Prefix")?.map(|p| p.text.clone()),
                filter,
                status: r.opt_token("Status")?,
                expiration,
                noncurrent_days,
                abort_days,
                transitions: r
                    .all("Transition")
                    .map(|t| {
                        Ok((
                            t.opt_token("Days")?,
                            t.opt_token("Date")?,
                            t.opt_token("StorageClass")?,
                        ))
                    })
                    .collect::<Result<_>>()?,
                noncurrent_transitions: r
                    .all("NoncurrentVersionTransition")
                    .map(|t| Ok((t.opt_token("NoncurrentDays")?, t.opt_token("StorageClass")?)))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}

/// `<PublicAccessBlockConfiguration>`: its four flags, each `None` when absent.
pub fn public_access_block(body: &[u8]) -> Result<[Option<String>; 4]> {
    let root = parse(body, "PublicAccessBlockConfiguration")?;
    Ok([
        root.opt_token("BlockPublicAcls")?,
        root.opt_token("IgnorePublicAcls")?,
        root.opt_token("BlockPublicPolicy")?,
        root.opt_token("RestrictPublicBuckets")?,
    ])
}

/// `<ObjectLockConfiguration>`: `ObjectLockEnabled`, and its `Rule` (`None`: no rule): the
/// rule's `DefaultRetention` as `[Mode, Days, Years]` as sent (`None`: a rule without one).
pub type LockRuleXml = Option<[Option<String>; 3]>;
pub fn object_lock_configuration(body: &[u8]) -> Result<(Option<String>, Option<LockRuleXml>)> {
    let root = parse(body, "ObjectLockConfiguration")?;
    let enabled = root.opt_token("ObjectLockEnabled")?;
    let rule = match root.opt("Rule")? {
        None => None,
        Some(r) => Some(match r.opt("DefaultRetention")? {
            None => None,
            Some(d) => Some([
                d.opt_token("Mode")?,
                d.opt_token("Days")?,
                d.opt_token("Years")?,
            ]),
        }),
    };
    Ok((enabled, rule))
}

/// `<Retention>`: its `Mode` and `RetainUntilDate` as sent.
pub fn retention(body: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let root = parse(body, "Retention")?;
    Ok((root.opt_token("Mode")?, root.opt_token("RetainUntilDate")?))
}

/// `<LegalHold>`: its `Status` as sent.
pub fn legal_hold(body: &[u8]) -> Result<Option<String>> {
    parse(body, "LegalHold")?.opt_token("Status")
}

/// `<VersioningConfiguration>`: its `Status` and `MfaDelete`, each `None` when absent.
pub fn versioning_configuration(body: &[u8]) -> Result<(Option<String>, Option<String>)> {
    let root = parse(body, "VersioningConfiguration")?;
    Ok((root.opt_token("Status")?, root.opt_token("MfaDelete")?))
}

/// `<RequestPaymentConfiguration>`: its `Payer`, `None` when absent.
pub fn request_payment(body: &[u8]) -> Result<Option<String>> {
    parse(body, "RequestPaymentConfiguration")?.opt_token("Payer")
}

/// `<CreateBucketConfiguration><LocationConstraint/></CreateBucketConfiguration>`: the
/// constraint as sent (radosgw does not trim it); the element must be there.
pub fn create_bucket_configuration(body: &[u8]) -> Result<String> {
    let root = parse(body, "CreateBucketConfiguration")?;
    Ok(root.req("LocationConstraint")?.text.clone())
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
mod tests;
