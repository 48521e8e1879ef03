//! `/admin/metadata[/<section>]`: sections, key listing and documents (`RGWOp_Metadata_*`).

use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;

use crate::authz::Caller;
use crate::domain::buckets::Buckets;
use crate::domain::sync::{Incoming, UpdateType};
use crate::domain::users::Users;
use crate::domain::App;
use crate::encode::{str_arr, Doc, ObjBuilder};
use crate::error::{Error, Result};
use crate::ops::user::{cursor, parse_cursor};
use crate::ops::{KeyPages, PageFuture, Reply};
use crate::query::Query;

const SECTIONS: &[&str] = &["bucket", "bucket.instance", "otp", "user"];
/// radosgw 19 adds `account` (first in its sorted list).
const SQUID_SECTIONS: &[&str] = &["account", "bucket", "bucket.instance", "otp", "user"];

fn sections(app: &App) -> &'static [&'static str] {
    if app.squid() {
        SQUID_SECTIONS
    } else {
        SECTIONS
    }
}
/// Keys read per page when a listing streams.
const PAGE: usize = 1000;

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[derive(Debug, Clone, Default)]
pub struct ListReq {
    pub section: Option<String>,
    /// `max-entries` as sent (a bad number is refused by the op).
    pub max_entries: Option<String>,
    pub marker: Option<String>,
}

impl ListReq {
    pub fn parse(q: &Query, section: Option<String>) -> ListReq {
        ListReq {
            section,
            max_entries: q.get("max-entries").map(str::to_string),
            marker: q.get_nonempty("marker").map(str::to_string),
        }
    }
}

/// Users in listing order, a page at a time.
struct UserPages {
    users: Arc<Users>,
    next: Option<(u32, String)>,
}

impl KeyPages for UserPages {
    fn next_page(&mut self) -> PageFuture<'_> {
        Box::pin(async move {
            let Some((h, u)) = self.next.take() else {
                return Ok(None);
            };
            let (page, next) = self.users.list_page(Some((h, &u)), PAGE).await?;
            self.next = next;
            Ok(Some(page))
        })
    }
}

/// Bucket keys (or `bucket.instance` keys), a page at a time.
struct BucketPages {
    buckets: Arc<Buckets>,
    instances: bool,
    /// The key the next page starts at.
    next: Option<String>,
}

impl BucketPages {
    async fn page(&mut self, start: Option<String>, max: usize) -> Result<Vec<String>> {
        if self.instances {
            let mut keys = self
                .buckets
                .instance_keys(start.as_deref(), max + 1)
                .await?;
            self.next = if keys.len() > max { keys.pop() } else { None };
            Ok(keys)
        } else {
            let (page, next) = self.buckets.list_page(start.as_deref(), max).await?;
            self.next = next;
            Ok(page.iter().map(|b| b.key()).collect())
        }
    }
}

impl KeyPages for BucketPages {
    fn next_page(&mut self) -> PageFuture<'_> {
        Box::pin(async move {
            let Some(start) = self.next.take() else {
                return Ok(None);
            };
            self.page(Some(start), PAGE).await.map(Some)
        })
    }
}

/// The first page of a section's keys (at most `max`), the key the next page starts at (as
/// radosgw's marker names it), and the pages after it.
async fn section_keys(
    app: &App,
    section: &str,
    marker: Option<&str>,
    max: usize,
) -> Result<(Vec<String>, Option<String>, Option<Box<dyn KeyPages>>)> {
    match section {
        "user" => {
            let from = marker.and_then(parse_cursor);
            let (keys, next) = app
                .users
                .list_page(from.as_ref().map(|(h, u)| (*h, u.as_str())), max)
                .await?;
            let marker = next.as_ref().map(|(h, u)| cursor(*h, u));
            let more = next.map(|n| {
                Box::new(UserPages {
                    users: app.users.clone(),
                    next: Some(n),
                }) as Box<dyn KeyPages>
            });
            Ok((keys, marker, more))
        }
        "bucket" | "bucket.instance" => {
            let instances = section == "bucket.instance";
            let mut pages = BucketPages {
                buckets: app.buckets.clone(),
                instances,
                next: None,
            };
            let keys = pages.page(marker.map(str::to_string), max).await?;
            let marker = pages.next.clone();
            let more = pages
                .next
                .is_some()
                .then(|| Box::new(pages) as Box<dyn KeyPages>);
            Ok((keys, marker, more))
        }
        "account" if app.squid() => {
            // Ids in order; the marker is the last id of a page that has more after it.
            let mut keys = app
                .accounts
                .list_page(marker, max.saturating_add(1))
                .await?;
            let next = if keys.len() > max {
                keys.truncate(max);
                keys.last().cloned()
            } else {
                None
            };
            let more = next.clone().map(|after| {
                Box::new(AccountPages {
                    store: app.store.clone(),
                    after: Some(after),
                }) as Box<dyn KeyPages>
            });
            Ok((keys, next, more))
        }
        _ => Ok((Vec::new(), None, None)),
    }
}

/// Account ids, a page at a time.
struct AccountPages {
    store: crate::store::Store,
    after: Option<String>,
}

impl KeyPages for AccountPages {
    fn next_page(&mut self) -> PageFuture<'_> {
        Box::pin(async move {
            let Some(after) = self.after.take() else {
                return Ok(None);
            };
            let accounts = crate::domain::accounts::Accounts::new(self.store.clone());
            let page = accounts.list_page(Some(&after), PAGE).await?;
            if page.len() == PAGE {
                self.after = page.last().cloned();
            }
            Ok(Some(page))
        })
    }
}

pub async fn list(app: &App, r: ListReq) -> Result<Reply> {
    let Some(section) = r.section.as_deref() else {
        return Ok(Reply::Doc(Doc::new(
            "keys",
            str_arr("key", sections(app).iter().copied()),
        )));
    };
    if !sections(app).contains(&section) {
        return Err(Error::NoSuchKey);
    }
    let max = match &r.max_entries {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<u32>()
                .map_err(|_| Error::InvalidArgument)? as usize,
        ),
    };
    let marker = r
        .marker
        .as_deref()
        .and_then(|m| base64::engine::general_purpose::STANDARD.decode(m).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let Some(max) = max else {
        let (first, _, more) = section_keys(app, section, marker.as_deref(), PAGE).await?;
        return Ok(Reply::Keys { first, more });
    };
    let (keys, next, _) = section_keys(app, section, marker.as_deref(), max).await?;
    let mut b = ObjBuilder::new()
        .node("keys", str_arr("key", keys.iter().cloned()))
        .legacy_bool("truncated", next.is_some())
        .int("count", keys.len() as i64);
    if let Some(m) = next {
        b = b.str("marker", b64(&m));
    }
    Ok(Reply::Doc(Doc::new("result", b.build())))
}

#[derive(Debug, Clone, Default)]
pub struct GetReq {
    pub section: Option<String>,
    pub key: Option<String>,
    pub myself: bool,
}

impl GetReq {
    pub fn parse(q: &Query, section: Option<String>) -> GetReq {
        GetReq {
            section,
            key: q.get("key").map(str::to_string),
            myself: q.has("myself"),
        }
    }
}

pub async fn get(app: &App, caller: &Caller, r: GetReq) -> Result<Reply> {
    let (section, key) = if r.myself {
        let me = caller.user.as_ref().ok_or(Error::NoSuchKey)?;
        ("user".to_string(), me.uid.to_string())
    } else {
        let key = r.key.clone().unwrap_or_default();
        match r.section.clone() {
            Some(s) => (s, key),
            // `/admin/metadata?key=user:alice` names section and key together.
            None => match key.split_once(':') {
                Some((s, k)) => (s.to_string(), k.to_string()),
                None if sections(app).contains(&key.as_str()) => {
                    let (first, _, more) = section_keys(app, &key, None, PAGE).await?;
                    return Ok(Reply::Keys { first, more });
                }
                None => return Err(Error::NoSuchKey),
            },
        }
    };
    if section == "bucket" || section == "bucket.instance" {
        let doc = crate::ops::bucket_meta::metadata_get(app, &section, &key).await?;
        return Ok(Reply::Doc(Doc::new("metadata_info", doc)));
    }
    if section == "account" && app.squid() {
        let a = app.accounts.get(&key).await?.ok_or(Error::NoSuchKey)?;
        let ver = ObjBuilder::new()
            .str("tag", a.tag.as_str())
            .uint("ver", a.ver)
            .build();
        let doc = ObjBuilder::new()
            .str("key", format!("account:{}", a.id))
            .node("ver", ver)
            .str("mtime", crate::clock::utime(a.mtime_us))
            .node("data", a.dump_metadata())
            .build();
        return Ok(Reply::Doc(Doc::new("metadata_info", doc)));
    }
    if section != "user" {
        return Err(Error::NoSuchKey);
    }
    let u = app.users.get(&key).await?.ok_or(Error::NoSuchKey)?;
    let ver = ObjBuilder::new()
        .str("tag", u.tag.as_str())
        .uint("ver", u.ver)
        .build();
    let mut b = ObjBuilder::new()
        .str("key", format!("user:{}", u.uid))
        .node("ver", ver);
    if u.mtime_us != 0 {
        b = b.str("mtime", crate::clock::utime(u.mtime_us));
    }
    Ok(Reply::Doc(Doc::new(
        "metadata_info",
        b.node("data", u.dump_metadata_in(app.key_view())).build(),
    )))
}

#[derive(Debug, Clone, Default)]
pub struct PutReq {
    pub section: Option<String>,
    pub key: Option<String>,
    pub update_type: Option<String>,
    pub body: Bytes,
}

impl PutReq {
    pub fn parse(q: &Query, section: Option<String>, body: Bytes) -> PutReq {
        PutReq {
            section,
            key: q.get_nonempty("key").map(str::to_string),
            update_type: q.get("update-type").map(str::to_string),
            body,
        }
    }
}

/// `PUT /admin/metadata/<section>?key=`: store the document as given, with the version, tag
/// and time it carries, unless `update-type` says it is not newer (`domain::sync`). A user
/// is created or replaced, answered 204 with radosgw's update headers naming the version
/// it replaced; buckets, see `bucket_meta`.
pub async fn put(app: &App, r: PutReq) -> Result<Reply> {
    let key = r.key.as_deref().ok_or(Error::InvalidArgument)?;
    let section = r.section.as_deref();
    if !matches!(section, Some("user" | "bucket" | "bucket.instance")) {
        return Err(Error::NotImplemented);
    }
    if r.body.is_empty() {
        return Err(Error::MissingContentLength);
    }
    let mode = UpdateType::parse(r.update_type.as_deref())?;
    let doc: serde_json::Value =
        serde_json::from_slice(&r.body).map_err(|_| Error::InvalidArgument)?;
    let incoming = Incoming::of(&doc)?;
    match section {
        Some("bucket") => {
            let e = crate::ops::bucket_meta::put_entrypoint(app, key, &doc, mode, &incoming);
            return Ok(match e.await? {
                Some(e) => Reply::MetadataWritten {
                    ver: e.ver,
                    tag: e.tag,
                },
                None => Reply::MetadataSkipped,
            });
        }
        Some("bucket.instance") => {
            let b = crate::ops::bucket_meta::put_instance(app, key, &doc, mode, &incoming);
            return Ok(match b.await? {
                Some(b) => Reply::MetadataUpdated {
                    ver: b.ver,
                    tag: b.tag.clone(),
                },
                None => Reply::MetadataSkipped,
            });
        }
        _ => {}
    }
    let data = doc.get("data").ok_or(Error::InvalidArgument)?;
    let user = crate::ops::user_dump::user(data)?;
    if user.uid.to_string() != key {
        return Err(Error::InvalidArgument);
    }
    let replaced = app.users.put_synced(user, mode, &incoming).await?;
    Ok(match replaced {
        Some(old) => Reply::MetadataUpdated {
            ver: old.ver,
            tag: old.tag,
        },
        None => Reply::MetadataSkipped,
    })
}

#[derive(Debug, Clone, Default)]
pub struct DeleteReq {
    pub section: Option<String>,
    pub key: Option<String>,
}

impl DeleteReq {
    pub fn parse(q: &Query, section: Option<String>) -> DeleteReq {
        DeleteReq {
            section,
            key: q.get_nonempty("key").map(str::to_string),
        }
    }
}

/// `DELETE /admin/metadata/user?key=U`.
pub async fn delete(app: &App, r: DeleteReq) -> Result<Reply> {
    let key = r.key.as_deref().ok_or(Error::InvalidArgument)?;
    if r.section.as_deref() != Some("user") {
        return Err(Error::NoSuchKey);
    }
    app.users.get(key).await?.ok_or(Error::NoSuchKey)?;
    app.users.remove(key).await.map_err(|e| match e {
        Error::NoSuchUser => Error::NoSuchKey,
        e => e,
    })?;
    Ok(Reply::Empty)
}
