//! `/admin/bucket`: info and stats, index check, policy, link/unlink, quota, removal of
//! buckets and objects (`RGWOp_Bucket_*`, `RGWOp_Object_Remove`, `RGWOp_Set_Bucket_Quota`).

use std::sync::Arc;

use bytes::Bytes;

use crate::ceph::{shard_of, NUM_SHARDS};
use crate::config::Compat;
use crate::domain::buckets::{bkey, size_actual, Bucket, Stats};
use crate::domain::App;
use crate::encode::{Doc, Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::model::{Quota, UserId};
use crate::ops::bucket_meta::{grantee_names, policy_doc, stats_doc};
use crate::ops::quota::{body_json, quota_from_json};
use crate::ops::Reply;
use crate::query::Query;

/// How a request names a bucket: `bucket=` (or `tenant/bucket`), with the tenant of
/// `tenant=` or of `uid=`.
#[derive(Debug, Clone, Default)]
pub struct BucketName {
    pub bucket: Option<String>,
    pub tenant: Option<String>,
    pub uid: Option<String>,
}

impl BucketName {
    pub fn parse(q: &Query) -> BucketName {
        let s = |n: &str| q.get_nonempty(n).map(str::to_string);
        BucketName {
            bucket: s("bucket"),
            tenant: s("tenant"),
            uid: s("uid"),
        }
    }

    /// The store key of the bucket named, if one is.
    pub fn key(&self) -> Option<String> {
        let name = self.bucket.as_deref()?;
        if let Some((t, b)) = name.split_once('/') {
            return Some(bkey(t, b));
        }
        let tenant = self
            .tenant
            .clone()
            .or_else(|| self.uid.as_deref().map(|u| UserId::parse(u).tenant))
            .unwrap_or_default();
        Some(bkey(&tenant, name))
    }

    /// The bucket named, if it exists.
    pub async fn load(&self, app: &App) -> Result<Option<Arc<Bucket>>> {
        match self.key() {
            Some(k) => app.buckets.get(&k).await,
            None => Ok(None),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct InfoReq {
    pub name: BucketName,
    pub stats: bool,
    /// `max-entries` (and `marker`) at `squid`: a page of the list, not the whole array.
    pub page: Option<Page>,
}

/// One page of a bucket list: at most `max` buckets after the one whose key is `marker`.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub max: usize,
    pub marker: Option<String>,
}

/// Most buckets one page holds (and the default of an unreadable `max-entries`).
const MAX_PAGE: usize = 1000;

impl InfoReq {
    pub fn parse(q: &Query) -> InfoReq {
        InfoReq {
            name: BucketName::parse(q),
            stats: q.get_bool("stats", false),
            page: None,
        }
    }

    /// As `parse`; from `squid` on, `max-entries` asks for a page.
    pub fn parse_at(q: &Query, compat: Compat) -> InfoReq {
        let mut r = InfoReq::parse(q);
        if compat >= Compat::Squid && q.has("max-entries") {
            let max = q
                .get("max-entries")
                .and_then(|v| v.trim().parse::<u32>().ok())
                .map_or(MAX_PAGE, |m| (m as usize).min(MAX_PAGE));
            r.page = Some(Page {
                max,
                marker: q.get_nonempty("marker").map(str::to_string),
            });
        }
        r
    }
}

/// `GET /admin/bucket`. A bucket named is loaded first, and with it the user named: either
/// missing is `NoSuchBucket`. Then, as radosgw's `RGWBucketAdminOp::info`: before squid a
/// `uid` lists that user's buckets, keeping only the one named (`[]` when the user does not
/// own it); from squid on the bucket named wins and its stats object is the answer.
pub async fn info(app: &App, r: InfoReq) -> Result<Reply> {
    let n = &r.name;
    if n.bucket.is_some() {
        if let Some(uid) = &n.uid {
            app.users.get(uid).await?.ok_or(Error::NoSuchBucket)?;
        }
        let b = n.load(app).await?.ok_or(Error::NoSuchBucket)?;
        match &n.uid {
            Some(uid) if app.cfg.compat < Compat::Squid => {
                let mut owned = app.buckets.of_user(uid).await?;
                owned.retain(|x| x.key() == b.key());
                let items = list_items(app, &owned, r.stats).await?;
                return Ok(Reply::Doc(Doc::new("buckets", items)));
            }
            _ => return Ok(Reply::Doc(Doc::new("stats", stats_doc(app, &b).await?))),
        }
    }
    if let Some(page) = &r.page {
        return paged(app, n.uid.as_deref(), page, r.stats).await;
    }
    let list: Vec<Arc<Bucket>> = match &n.uid {
        Some(uid) => app.buckets.of_user(uid).await?,
        None => all_buckets(app).await?,
    };
    let items = list_items(app, &list, r.stats).await?;
    Ok(Reply::Doc(Doc::new("buckets", items)))
}

/// The buckets' names, or their stats documents.
async fn list_items(app: &App, list: &[Arc<Bucket>], stats: bool) -> Result<Node> {
    Ok(if stats {
        let mut docs = Vec::with_capacity(list.len());
        for b in list {
            docs.push(stats_doc(app, b).await?);
        }
        Node::Arr("stats".into(), docs)
    } else {
        crate::encode::str_arr("bucket", list.iter().map(|b| b.name.clone()))
    })
}

/// A page of a user's (or every) bucket list in listing order: `buckets`, `count`,
/// `truncated`, and `marker`, the key of the last bucket given when more follow (empty
/// otherwise), which the next request passes back to continue after it.
async fn paged(app: &App, uid: Option<&str>, page: &Page, stats: bool) -> Result<Reply> {
    let after = page.marker.as_deref();
    let mut list: Vec<Arc<Bucket>> = match uid {
        Some(uid) => app
            .buckets
            .of_user(uid)
            .await?
            .into_iter()
            .filter(|b| after.is_none_or(|m| b.key().as_str() > m))
            .take(page.max + 1)
            .collect(),
        None => {
            // `list_page` starts at the marker's place, inclusive: skip the marker itself
            // (present unless it was deleted meanwhile).
            let (mut v, _) = app.buckets.list_page(after, page.max + 2).await?;
            if let Some(m) = after {
                v.retain(|b| b.key() != m);
            }
            v.truncate(page.max + 1);
            v
        }
    };
    let truncated = list.len() > page.max;
    list.truncate(page.max);
    let marker = match (truncated, list.last()) {
        (true, Some(b)) => b.key(),
        (true, None) => after.unwrap_or_default().to_string(),
        (false, _) => String::new(),
    };
    let doc = ObjBuilder::new()
        .node("buckets", list_items(app, &list, stats).await?)
        .uint("count", list.len() as u64)
        .bool("truncated", truncated)
        .str("marker", marker)
        .build();
    Ok(Reply::Doc(Doc::new("result", doc)))
}

/// Every bucket, in radosgw's listing order.
pub async fn all_buckets(app: &App) -> Result<Vec<Arc<Bucket>>> {
    let mut out = Vec::new();
    let mut start: Option<String> = None;
    loop {
        let (page, next) = app.buckets.list_page(start.as_deref(), 1000).await?;
        out.extend(page);
        match next {
            Some(n) => start = Some(n),
            None => return Ok(out),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct PolicyReq {
    pub name: BucketName,
    pub object: Option<String>,
}

impl PolicyReq {
    pub fn parse(q: &Query) -> PolicyReq {
        PolicyReq {
            name: BucketName::parse(q),
            object: q.get_nonempty("object").map(str::to_string),
        }
    }
}

pub async fn policy(app: &App, r: PolicyReq) -> Result<Reply> {
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    let (owner, acl) = match &r.object {
        Some(key) => {
            let o = app
                .objects
                .get(&b.data_key(), key)
                .await?
                .ok_or(Error::NoSuchKey)?;
            (o.owner.clone(), o.acl())
        }
        None => (b.owner.clone(), b.acl()),
    };
    let name = app.users.display_name(&owner).await;
    let names = grantee_names(&app.users, &acl).await;
    Ok(Reply::Doc(Doc::new(
        "policy",
        policy_doc(&owner, &name, &acl, &names),
    )))
}

fn usage_header(s: &Stats) -> Node {
    ObjBuilder::new().node("usage", s.dump_usage()).build()
}

#[derive(Debug, Clone, Default)]
pub struct IndexReq {
    pub name: BucketName,
    pub fix: bool,
    pub check_objects: bool,
}

impl IndexReq {
    pub fn parse(q: &Query) -> IndexReq {
        IndexReq {
            name: BucketName::parse(q),
            fix: q.get_bool("fix", false),
            check_objects: q.get_bool("check-objects", false),
        }
    }
}

/// `GET /admin/bucket?index`: compare the stored stats with those recomputed from the
/// index; with `fix=true`, store the recomputed ones.
pub async fn check_index(app: &App, r: IndexReq) -> Result<Reply> {
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    let bk = b.data_key();
    let existing = app.buckets.stats(&bk).await?;
    let mut calc = Stats {
        written: existing.written,
        uploads_written: existing.uploads_written,
        ..Stats::default()
    };
    // radosgw's repair rewrites every index shard three times (tag timeout set, rebuild,
    // tag timeout cleared) and, with check-objects, each object's shard once more; the
    // shard versions it prints show it, so count the same.
    let mut deltas = vec![3i64; NUM_SHARDS];
    let mut listed = Vec::new();
    let want_list = r.check_objects && r.fix;
    app.objects
        .for_each(&bk, |page| {
            for (k, o) in page {
                calc.size += o.size;
                calc.size_actual += size_actual(o.size);
                calc.num_objects += 1;
                calc.written = true;
                if r.check_objects {
                    deltas[shard_of(&k)] += 1;
                }
                if want_list {
                    listed.push(k);
                }
            }
            true
        })
        .await?;
    // So are noncurrent versions (delete markers count nothing).
    let mut cursor = None;
    loop {
        let (page, next) = app.objects.noncurrent_page(&bk, "", cursor, 1000).await?;
        for (_, o) in page.iter().filter(|(_, o)| !o.delete_marker) {
            calc.size += o.size;
            calc.size_actual += size_actual(o.size);
            calc.num_objects += 1;
            calc.written = true;
        }
        match next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    // Uploads in progress are in radosgw's index too: their parts as `rgw.main` entries,
    // each upload as an `rgw.multimeta` one.
    let (mut key_marker, mut id_marker) = (String::new(), String::new());
    loop {
        let mut ups = app
            .uploads
            .list(&bk, "", &key_marker, &id_marker, 1000)
            .await?;
        let more = ups.len() > 1000;
        ups.truncate(1000);
        for up in &ups {
            calc.uploads += 1;
            calc.uploads_written = true;
            for p in app.uploads.parts(&up.value.id).await? {
                calc.size += p.value.size;
                calc.size_actual += size_actual(p.value.size);
                calc.num_objects += 1;
                calc.written = true;
            }
        }
        match ups.last() {
            Some(last) if more => {
                key_marker = last.value.key.clone();
                id_marker = last.value.id.clone();
            }
            _ => break,
        }
    }
    if r.fix {
        app.buckets.bump_versions(&bk, deltas).await?;
        if calc != existing {
            app.buckets
                .adjust_stats(&bk, existing.deltas_to(&calc))
                .await?;
        }
    }
    let mut out =
        ObjBuilder::new().node("invalid_multipart_entries", Node::Arr("obj".into(), vec![]));
    if want_list {
        let mut o = ObjBuilder::new();
        for k in listed {
            o.push("object", Node::Str(k));
        }
        out = out.node("objects", o.build());
    }
    out = out.node(
        "check_result",
        ObjBuilder::new()
            .node("existing_header", usage_header(&existing))
            .node("calculated_header", usage_header(&calc))
            .build(),
    );
    Ok(Reply::Doc(Doc::new("bucket_check", out.build())))
}

/// Delete every object (every version of it) and upload of a bucket, then the bucket.
pub async fn purge_bucket(app: &App, b: &Bucket) -> Result<()> {
    let bk = b.data_key();
    app.objects.purge_noncurrent(&bk).await?;
    loop {
        let mut keys = Vec::new();
        app.objects
            .for_each(&bk, |page| {
                keys.extend(page.into_iter().map(|(k, _)| k));
                keys.len() < 1000
            })
            .await?;
        if keys.is_empty() {
            break;
        }
        for key in keys {
            match app.objects.remove(&bk, &key).await {
                Ok(_) | Err(Error::NoSuchKey) => {}
                Err(e) => return Err(e),
            }
        }
    }
    // What a write racing the purge retired meanwhile.
    app.objects.purge_noncurrent(&bk).await?;
    app.uploads.abort_all(&app.objects.blobs, &bk).await?;
    let b = app
        .buckets
        .get(&b.key())
        .await?
        .ok_or(Error::NoSuchBucket)?;
    app.buckets.remove(&b).await
}

#[derive(Debug, Clone, Default)]
pub struct RemoveReq {
    pub name: BucketName,
    pub purge_objects: bool,
}

impl RemoveReq {
    pub fn parse(q: &Query) -> RemoveReq {
        RemoveReq {
            name: BucketName::parse(q),
            purge_objects: q.get_bool("purge-objects", false),
        }
    }
}

/// `DELETE /admin/bucket`: no `bucket` is `InvalidArgument` (radosgw 16.2.15), no such
/// bucket `NoSuchBucket`.
pub async fn remove(app: &App, r: RemoveReq) -> Result<Reply> {
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchBucket)?;
    if r.purge_objects {
        purge_bucket(app, &b).await?;
    } else {
        crate::domain::uploads::remove_bucket(&app.buckets, &app.objects, &app.uploads, &b).await?;
    }
    Ok(Reply::Empty)
}

#[derive(Debug, Clone, Default)]
pub struct ObjectRemoveReq {
    pub name: BucketName,
    pub object: Option<String>,
}

impl ObjectRemoveReq {
    pub fn parse(q: &Query) -> ObjectRemoveReq {
        ObjectRemoveReq {
            name: BucketName::parse(q),
            object: q.get_nonempty("object").map(str::to_string),
        }
    }
}

/// `DELETE /admin/bucket?object`: no `bucket` is `InvalidArgument` (radosgw 16.2.15), no
/// such bucket `NoSuchKey`.
pub async fn remove_object(app: &App, r: ObjectRemoveReq) -> Result<Reply> {
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    let key = r.object.as_deref().ok_or(Error::InvalidArgument)?;
    if b.versioning.is_none() {
        app.objects.remove(&b.data_key(), key).await?;
    } else {
        // As an S3 delete by the bucket's owner: the current version is kept behind a
        // delete marker (radosgw's `rgw_remove_object` deletes with the bucket's
        // versioning).
        app.objects.delete(&b, key, None, &b.owner, false).await?;
    }
    Ok(Reply::Empty)
}

#[derive(Debug, Clone, Default)]
pub struct LinkReq {
    pub name: BucketName,
    pub bucket_id: Option<String>,
    /// `new-bucket-name` (`[tenant/]name`): the bucket is renamed as it is linked.
    pub new_name: Option<String>,
}

impl LinkReq {
    pub fn parse(q: &Query) -> LinkReq {
        LinkReq {
            name: BucketName::parse(q),
            bucket_id: q.get_nonempty("bucket-id").map(str::to_string),
            new_name: q.get_nonempty("new-bucket-name").map(str::to_string),
        }
    }
}

/// `PUT /admin/bucket`: make `uid` the bucket's owner; with `new-bucket-name`, also rename
/// it, as radosgw's `RGWBucket::link` does: the record, links and instance move to the new
/// name (in the user's tenant unless the name says `tenant/`), the objects stay, and the
/// old name is free. A taken name is `BucketAlreadyExists`.
///
/// radosgw 16.2.15's answers, in its order: no `uid` or `bucket` → `InvalidArgument`; no
/// such bucket or user → `NoSuchKey`; a `bucket-id` that is not the bucket's →
/// `InvalidArgument`.
pub async fn link(app: &App, r: LinkReq) -> Result<Reply> {
    let uid = r.name.uid.clone().ok_or(Error::InvalidArgument)?;
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    app.users.get(&uid).await?.ok_or(Error::NoSuchKey)?;
    if r.bucket_id.as_ref().is_some_and(|id| *id != b.id) {
        return Err(Error::InvalidArgument);
    }
    let Some(new_name) = &r.new_name else {
        app.buckets.change_owner(&b.key(), &uid).await?;
        return Ok(Reply::Empty);
    };
    let (tenant, name) = match new_name.split_once('/') {
        Some((t, n)) => (t.to_string(), n),
        None => (UserId::parse(&uid).tenant, new_name.as_str()),
    };
    // Names the store's keys could not hold apart (radosgw takes any name here).
    if name.is_empty() || name.contains(['/', ':', '#']) || tenant.contains(['/', ':', '#']) {
        return Err(Error::InvalidBucketName);
    }
    if bkey(&tenant, name) == b.key() {
        app.buckets.change_owner(&b.key(), &uid).await?;
    } else {
        app.buckets.rename(&b, name, &tenant, &uid).await?;
    }
    Ok(Reply::Empty)
}

/// `POST /admin/bucket`: unlink the bucket from its owner. As radosgw 16.2.15 answers: no
/// `uid` or `bucket` → `InvalidArgument`; no such bucket or user → `NoSuchKey`; a user that
/// is not the owner → `InvalidArgument`.
pub async fn unlink(app: &App, r: LinkReq) -> Result<Reply> {
    let uid = r.name.uid.clone().ok_or(Error::InvalidArgument)?;
    if r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    app.users.get(&uid).await?.ok_or(Error::NoSuchKey)?;
    if b.owner != uid {
        return Err(Error::InvalidArgument);
    }
    app.buckets.unlink(&uid, &b.key()).await?;
    Ok(Reply::Empty)
}

#[derive(Debug, Clone, Default)]
pub struct QuotaReq {
    pub name: BucketName,
    pub max_objects: Option<i64>,
    pub max_size_kb: Option<i64>,
    pub enabled: Option<bool>,
    pub body: Bytes,
}

impl QuotaReq {
    pub fn parse(q: &Query, body: Bytes) -> QuotaReq {
        QuotaReq {
            name: BucketName::parse(q),
            max_objects: crate::ops::quota::query_num(q, "max-objects"),
            // Unreadable, radosgw multiplies an uninitialised number: ignored here.
            max_size_kb: q.get("max-size-kb").and_then(crate::query::rest_int64),
            enabled: q.get("enabled").and_then(crate::query::parse_bool),
            body,
        }
    }
}

pub async fn set_quota(app: &App, r: QuotaReq) -> Result<Reply> {
    if r.name.uid.is_none() || r.name.bucket.is_none() {
        return Err(Error::InvalidArgument);
    }
    let b = r.name.load(app).await?.ok_or(Error::NoSuchKey)?;
    let new: Quota = if !r.body.is_empty() {
        quota_from_json(b.quota, &body_json(&r.body)?)?
    } else {
        // radosgw builds a new quota (`check_on_raw` cleared) and reads only max-size-kb
        // here, defaulting to the current size rounded to KiB, so an unlimited (-1) size
        // becomes 0 when only other fields are given.
        let cur = b.quota;
        let cur_kb = cur.max_size_kb();
        Quota {
            max_objects: r.max_objects.unwrap_or(cur.max_objects),
            max_size: r.max_size_kb.unwrap_or(cur_kb).saturating_mul(1024),
            enabled: r.enabled.unwrap_or(cur.enabled),
            check_on_raw: false,
        }
    };
    app.buckets
        .modify(&b.key(), |nb, _| {
            nb.quota = new;
            Ok(())
        })
        .await?;
    Ok(Reply::Empty)
}
