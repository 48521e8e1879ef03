//! radosgw's Formatter, reduced to what the admin API needs: ops build a small tree of
//! named values in radosgw's field order, and one writer per format renders it.
//!
//! The names matter only in XML (the JSON formatter drops object-section and array-item
//! names), which is why one tree serves both: `{"keys":[{"user":..}]}` in JSON is
//! `<keys><key><user>..</user></key></keys>` in XML.

pub mod json;
pub mod s3;
pub mod s3_read;
pub mod xml;

/// The name of a field or of an array's items.
pub type Name = std::borrow::Cow<'static, str>;

/// One value in a response document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Str(String),
    Int(i64),
    UInt(u64),
    /// `Formatter::dump_bool`: a real boolean in every release.
    Bool(bool),
    /// `encode_json(bool)`: the strings "true"/"false" up to Pacific, real booleans after.
    /// The writer decides, from [`Style::string_bools`].
    LegacyBool(bool),
    /// Fields in order. Names are nearly always literals: no allocation for those.
    Obj(Vec<(Name, Node)>),
    /// Items, each rendered in XML as an element named by the first string.
    Arr(Name, Vec<Node>),
}

/// A whole response: the root name (XML root element; dropped in JSON) and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Doc {
    pub root: Name,
    pub node: Node,
}

impl Doc {
    pub fn new(root: impl Into<Name>, node: Node) -> Doc {
        Doc {
            root: root.into(),
            node,
        }
    }
}

/// Release-dependent rendering choices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Style {
    pub string_bools: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// Rendered documents of hot records (user info), by (record id, XML?, string booleans?),
/// each with the version stamp it was rendered from: a read of a hot record costs a lookup,
/// not a render. Bounded by bytes.
pub struct RenderCache {
    map: quick_cache::sync::Cache<RenderKey, Rendered, ByLen>,
}

/// (record id: tenant and id, XML?, string booleans?)
type RenderKey = (String, String, bool, bool);

/// A [`RenderKey`] borrowed from a request, hashed as the owned one is (field by field, as
/// a tuple hashes): a hit allocates nothing.
#[derive(Hash)]
struct RenderKeyRef<'a>(&'a str, &'a str, bool, bool);

impl quick_cache::Equivalent<RenderKey> for RenderKeyRef<'_> {
    fn equivalent(&self, k: &RenderKey) -> bool {
        self.0 == k.0 && self.1 == k.1 && self.2 == k.2 && self.3 == k.3
    }
}
/// (the record's (version, mtime), its rendered document)
type Rendered = ((u64, i64), bytes::Bytes);

#[derive(Clone)]
struct ByLen;

impl quick_cache::Weighter<RenderKey, Rendered> for ByLen {
    fn weight(&self, k: &RenderKey, v: &Rendered) -> u64 {
        (k.0.len() + k.1.len() + v.1.len() + 64) as u64
    }
}

impl RenderCache {
    pub fn new(bytes: usize) -> RenderCache {
        RenderCache {
            map: quick_cache::sync::Cache::with_weighter(
                (bytes / 1024).max(16),
                bytes.max(1) as u64,
                ByLen,
            ),
        }
    }

    /// The document of record `id` at version `stamp`, rendered by `render` on a miss.
    pub fn get_or_render(
        &self,
        id: (&str, &str),
        fmt: Format,
        style: Style,
        stamp: (u64, i64),
        render: impl FnOnce() -> String,
    ) -> bytes::Bytes {
        let (xml, string_bools) = (fmt == Format::Xml, style.string_bools);
        if let Some((s, b)) = self.map.get(&RenderKeyRef(id.0, id.1, xml, string_bools)) {
            if s == stamp {
                return b;
            }
        }
        let b = bytes::Bytes::from(render());
        let key = (id.0.to_string(), id.1.to_string(), xml, string_bools);
        self.map.insert(key, (stamp, b.clone()));
        b
    }
}

/// Builder for ordered objects, so op code reads like radosgw's `dump()` functions.
#[derive(Debug, Default)]
pub struct ObjBuilder(Vec<(Name, Node)>);

impl ObjBuilder {
    pub fn new() -> Self {
        ObjBuilder(Vec::with_capacity(8))
    }
    pub fn str(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.0.push((Name::Borrowed(k), Node::Str(v.into())));
        self
    }
    pub fn int(mut self, k: &'static str, v: i64) -> Self {
        self.0.push((Name::Borrowed(k), Node::Int(v)));
        self
    }
    pub fn uint(mut self, k: &'static str, v: u64) -> Self {
        self.0.push((Name::Borrowed(k), Node::UInt(v)));
        self
    }
    pub fn bool(mut self, k: &'static str, v: bool) -> Self {
        self.0.push((Name::Borrowed(k), Node::Bool(v)));
        self
    }
    pub fn legacy_bool(mut self, k: &'static str, v: bool) -> Self {
        self.0.push((Name::Borrowed(k), Node::LegacyBool(v)));
        self
    }
    pub fn node(mut self, k: &'static str, v: Node) -> Self {
        self.0.push((Name::Borrowed(k), v));
        self
    }
    pub fn push(&mut self, k: &'static str, v: Node) {
        self.0.push((Name::Borrowed(k), v));
    }
    pub fn build(self) -> Node {
        Node::Obj(self.0)
    }
}

/// Array of strings whose XML items are `<item>`.
pub fn str_arr(item: &'static str, v: impl IntoIterator<Item = impl Into<String>>) -> Node {
    Node::Arr(
        Name::Borrowed(item),
        v.into_iter().map(|s| Node::Str(s.into())).collect(),
    )
}
