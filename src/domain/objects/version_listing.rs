//! ListObjectVersions over the two halves of the index: current versions (`obj/`) and the
//! rest (`objv/`), merged in key order as one listing.

use std::collections::VecDeque;

use super::{ObjectMeta, Objects};
use crate::domain::buckets::decode;
use crate::error::Result;
use crate::store::{self, schema, Store};

/// One page of ListObjectVersions.
#[derive(Debug, Default)]
pub struct VersionPage {
    /// (key, version, is latest), keys ascending, each key's versions newest first.
    pub entries: Vec<(String, ObjectMeta, bool)>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// Where the next page starts: the last entry's key and version id (`null` after a
    /// common prefix, as radosgw writes it).
    pub next_key_marker: String,
    pub next_version_marker: String,
}

impl Objects {
    /// One page of ListObjectVersions: the current and noncurrent versions of the keys
    /// under `prefix` merged in key order, each key's newest first, rolled up at
    /// `delimiter`; after version `vid_marker` of `key_marker` (with no `vid_marker`, after
    /// every version of `key_marker`). At most `max` entries and prefixes.
    pub async fn list_versions(
        &self,
        bk: &str,
        (prefix, delimiter): (&str, &str),
        (key_marker, vid_marker): (&str, &str),
        max: usize,
    ) -> Result<VersionPage> {
        let mut page = VersionPage::default();
        if max == 0 {
            return Ok(page);
        }
        let heads_base = schema::objects(bk);
        let mut heads = Rows::new(&self.store, schema::object(bk, prefix));
        let mut olds = Rows::new(&self.store, schema::object_versions_of(bk, prefix, false));
        if !key_marker.is_empty() {
            heads.seek(Some(schema::object(bk, key_marker)));
            olds.seek(Some(schema::object_versions_of(bk, key_marker, false)));
        }
        let head_name = |k: &[u8]| String::from_utf8_lossy(&k[heads_base.len()..]).into_owned();
        let old_name = |k: &[u8]| schema::parse_object_version(bk, k).unwrap_or_default();
        let mut budget = 100_000usize;
        loop {
            let h = heads.peek(&head_name).await?;
            let o = olds.peek(&old_name).await?;
            let name = match (h, o) {
                (None, None) => return Ok(page),
                (Some(a), None) | (None, Some(a)) => a,
                (Some(a), Some(b)) => a.min(b),
            };
            budget = budget.saturating_sub(1);
            if budget == 0 && !page.next_key_marker.is_empty() {
                page.truncated = true;
                return Ok(page);
            }
            let common = match delimiter {
                "" => None,
                d => name.get(prefix.len()..).and_then(|rest| {
                    let i = rest.find(d)?;
                    Some(format!("{prefix}{}", &rest[..i + d.len()]))
                }),
            };
            if let Some(cp) = common {
                if cp.as_str() > key_marker {
                    if page.entries.len() + page.prefixes.len() >= max {
                        page.truncated = true;
                        return Ok(page);
                    }
                    page.next_key_marker.clone_from(&cp);
                    page.next_version_marker = "null".to_string();
                    page.prefixes.push(cp.clone());
                }
                heads.seek(store::past_prefix(&schema::object(bk, &cp)));
                olds.seek(store::past_prefix(&schema::object_versions_of(
                    bk, &cp, false,
                )));
                continue;
            }
            // This key's versions, newest first: the current one, then the rest.
            let at_marker = name == key_marker;
            let mut skipping = at_marker;
            let mut latest = true;
            loop {
                let row = if heads.peek(&head_name).await?.as_deref() == Some(name.as_str()) {
                    heads.pop()
                } else if olds.peek(&old_name).await?.as_deref() == Some(name.as_str()) {
                    olds.pop()
                } else {
                    break;
                };
                let Some((_, raw)) = row else { break };
                let meta: ObjectMeta = decode(&raw)?;
                let is_latest = std::mem::replace(&mut latest, false);
                if skipping {
                    // Resume after the marker's version; with none, after the whole key.
                    if !vid_marker.is_empty() && meta.vid() == vid_marker {
                        skipping = false;
                    }
                    continue;
                }
                if page.entries.len() + page.prefixes.len() >= max {
                    page.truncated = true;
                    return Ok(page);
                }
                page.next_key_marker.clone_from(&name);
                page.next_version_marker = meta.vid().to_string();
                page.entries.push((name.clone(), meta, is_latest));
            }
        }
    }
}

/// Rows of one keyspace read ahead in small batches, for a merge.
struct Rows<'a> {
    store: &'a Store,
    prefix: Vec<u8>,
    next: Option<Vec<u8>>,
    buf: VecDeque<(Vec<u8>, Vec<u8>)>,
    done: bool,
}

impl<'a> Rows<'a> {
    /// Rows under `prefix`.
    fn new(store: &'a Store, prefix: Vec<u8>) -> Rows<'a> {
        Rows {
            store,
            prefix,
            next: None,
            buf: VecDeque::new(),
            done: false,
        }
    }

    /// Continue from store key `to` (`None`: past the end).
    fn seek(&mut self, to: Option<Vec<u8>>) {
        self.buf.clear();
        self.done = to.is_none();
        self.next = to;
    }

    /// The name of the next row, as `name` reads it from its store key.
    async fn peek(&mut self, name: &impl Fn(&[u8]) -> String) -> Result<Option<String>> {
        if self.buf.is_empty() && !self.done {
            let rows = self
                .store
                .scan(&self.prefix, self.next.as_deref(), 256)
                .await?;
            self.done = rows.len() < 256;
            self.next = rows.last().map(|(k, _)| store::after(k));
            self.buf.extend(rows);
        }
        Ok(self.buf.front().map(|(k, _)| name(k)))
    }

    fn pop(&mut self) -> Option<(Vec<u8>, Vec<u8>)> {
        self.buf.pop_front()
    }
}
