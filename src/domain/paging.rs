//! One page of a listing rolled up at a delimiter, as the object index and the uploads in
//! progress are both listed: the rows under a prefix in key order, every name that has the
//! delimiter after the prefix folded into one common prefix (one entry of the page, the rest
//! of its rows skipped with one seek), at most `max` entries in all.

use crate::error::Result;
use crate::store::{self, Store};

pub struct Page<T> {
    pub entries: Vec<T>,
    pub prefixes: Vec<String>,
    pub truncated: bool,
    /// The name of the page's last entry or prefix: the next page starts after it.
    pub next_marker: String,
}

/// Rows with store keys under `base` + `prefix`, from store key `cursor` on; `read` gives a
/// row's name (its key past `base`, or a field of its value) and its entry. A common prefix
/// not after `after` is not listed (a marker that names one resumes past it). Bounded work:
/// after about 100,000 rows read, a page that has something is cut short (truncated).
pub async fn page<T>(
    store: &Store,
    (base, prefix, delimiter): (&[u8], &str, &str),
    mut cursor: Option<Vec<u8>>,
    after: &str,
    max: usize,
    read: impl Fn(&[u8], &[u8]) -> Result<(String, T)>,
) -> Result<Page<T>> {
    let mut page = Page {
        entries: Vec::new(),
        prefixes: Vec::new(),
        truncated: false,
        next_marker: String::new(),
    };
    if max == 0 {
        return Ok(page);
    }
    let mut scan_prefix = base.to_vec();
    scan_prefix.extend_from_slice(prefix.as_bytes());
    let mut budget = 100_000usize;
    loop {
        let batch = store.scan(&scan_prefix, cursor.as_deref(), 1000).await?;
        let n = batch.len();
        budget = budget.saturating_sub(n);
        let mut jumped = false;
        for (k, v) in batch {
            cursor = Some(store::after(&k));
            if page.entries.len() + page.prefixes.len() >= max {
                page.truncated = true;
                return Ok(page);
            }
            let (name, entry) = read(&k, &v)?;
            let common = match delimiter {
                "" => None,
                d => name.get(prefix.len()..).and_then(|rest| {
                    let i = rest.find(d)?;
                    Some(format!("{prefix}{}", &rest[..i + d.len()]))
                }),
            };
            let Some(cp) = common else {
                page.next_marker = name;
                page.entries.push(entry);
                continue;
            };
            if cp.as_str() > after {
                page.next_marker.clone_from(&cp);
                page.prefixes.push(cp.clone());
            }
            let mut skip = base.to_vec();
            skip.extend_from_slice(cp.as_bytes());
            cursor = store::past_prefix(&skip);
            jumped = true;
            break;
        }
        if cursor.is_none() || (!jumped && n < 1000) {
            return Ok(page);
        }
        if budget == 0 && !page.next_marker.is_empty() {
            page.truncated = true;
            return Ok(page);
        }
    }
}
