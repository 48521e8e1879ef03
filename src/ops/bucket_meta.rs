//! Bucket documents as radosgw dumps them: `bucket_stats`, the access policy
//! (`RGWAccessControlPolicy::dump`), and the `bucket` / `bucket.instance` metadata.

use std::collections::HashMap;

pub use crate::domain::acl::grantee_names;

use crate::ceph::{acl_blob, BlobGrant, NUM_SHARDS};
use crate::config::Compat;
use crate::domain::acl::{Acl, Grantee};
use crate::domain::buckets::{Bucket, EntryPoint, Versioning};
use crate::domain::sync::{Incoming, UpdateType};
use crate::domain::App;
use crate::encode::{Node, ObjBuilder};
use crate::error::{Error, Result};

fn shard_list(f: impl Fn(usize) -> String) -> String {
    (0..NUM_SHARDS).map(f).collect::<Vec<_>>().join(",")
}

fn explicit_placement() -> Node {
    ObjBuilder::new()
        .str("data_pool", "")
        .str("data_extra_pool", "")
        .str("index_pool", "")
        .build()
}

/// `bucket_stats` (root `stats`), in radosgw's field order. radosgw 19 (`squid`) moves
/// `num_shards` after `index_type` and adds `versioning` (`off`, `enabled`, `suspended`),
/// `index_generation`, and `object_lock_enabled` / `mfa_enabled` (never set here).
pub async fn stats_doc(app: &App, b: &Bucket) -> Result<Node> {
    let squid = app.cfg.compat >= Compat::Squid;
    let bk = b.data_key();
    let stats = app.buckets.stats(&bk).await?;
    let mut o = ObjBuilder::new().str("bucket", b.name.as_str());
    if !squid {
        o = o.uint("num_shards", NUM_SHARDS as u64);
    }
    o = o.str("tenant", b.tenant.as_str());
    if squid {
        let versioning = match b.versioning {
            None => "off",
            Some(Versioning::Enabled) => "enabled",
            Some(Versioning::Suspended) => "suspended",
        };
        o = o.str("versioning", versioning);
    }
    o = o
        .str("zonegroup", app.cluster_id.as_str())
        .str("placement_rule", b.placement_rule.as_str())
        .node("explicit_placement", explicit_placement())
        .str("id", b.id.as_str())
        .str("marker", b.marker.as_str())
        .str("index_type", "Normal");
    if squid {
        o = o
            .int("index_generation", 0)
            .uint("num_shards", NUM_SHARDS as u64)
            .bool("object_lock_enabled", b.object_lock.is_some())
            .bool("mfa_enabled", false);
    }
    Ok(o.str("owner", b.owner.as_str())
        .str("ver", app.buckets.ver_string(&bk).await?)
        .str("master_ver", shard_list(|i| format!("{i}#0")))
        .str("mtime", crate::clock::utime(b.mtime_us))
        .str("creation_time", crate::clock::utime(b.creation_us))
        .str("max_marker", shard_list(|i| format!("{i}#")))
        .node("usage", stats.dump_usage())
        .node("bucket_quota", b.quota.dump())
        .build())
}

/// `RGWAccessControlPolicy::dump` of an ACL owned by `owner`. Grants are kept in maps keyed
/// by grantee id (groups under ""), so every list is in key order.
pub fn policy_doc(
    owner: &str,
    owner_name: &str,
    acl: &Acl,
    names: &HashMap<String, String>,
) -> Node {
    let mut users: std::collections::BTreeMap<&str, u32> = Default::default();
    let mut groups: std::collections::BTreeMap<u32, u32> = Default::default();
    for g in &acl.grants {
        match &g.grantee {
            Grantee::User(id) => *users.entry(id.as_str()).or_default() |= g.perm,
            Grantee::Group(grp) => *groups.entry(grp.ceph_id()).or_default() |= g.perm,
        }
    }
    let grants: Vec<Node> = acl
        .ordered()
        .into_iter()
        .map(|g| {
            let (ty, id, name, group) = match &g.grantee {
                Grantee::User(id) => (
                    0,
                    id.as_str(),
                    names.get(id).map(String::as_str).unwrap_or(""),
                    0,
                ),
                Grantee::Group(grp) => (2, "", "", grp.ceph_id() as i64),
            };
            ObjBuilder::new()
                .str("id", id)
                .node(
                    "grant",
                    ObjBuilder::new()
                        .node("type", ObjBuilder::new().int("type", ty).build())
                        .str("id", id)
                        .str("email", "")
                        .node(
                            "permission",
                            ObjBuilder::new().int("flags", g.perm as i64).build(),
                        )
                        .str("name", name)
                        .int("group", group)
                        .str("url_spec", "")
                        .build(),
                )
                .build()
        })
        .collect();
    let acl = ObjBuilder::new()
        .node(
            "acl_user_map",
            Node::Arr(
                "entry".into(),
                users
                    .iter()
                    .map(|(u, f)| {
                        ObjBuilder::new()
                            .str("user", *u)
                            .int("acl", *f as i64)
                            .build()
                    })
                    .collect(),
            ),
        )
        .node(
            "acl_group_map",
            Node::Arr(
                "entry".into(),
                groups
                    .iter()
                    .map(|(g, f)| {
                        ObjBuilder::new()
                            .int("group", *g as i64)
                            .int("acl", *f as i64)
                            .build()
                    })
                    .collect(),
            ),
        )
        .node("grant_map", Node::Arr("entry".into(), grants))
        .build();
    ObjBuilder::new()
        .node("acl", acl)
        .node(
            "owner",
            ObjBuilder::new()
                .str("id", owner)
                .str("display_name", owner_name)
                .build(),
        )
        .build()
}

fn bucket_ref(b: &Bucket) -> Node {
    ObjBuilder::new()
        .str("name", b.name.as_str())
        .str("marker", b.marker.as_str())
        .str("bucket_id", b.id.as_str())
        .str("tenant", b.tenant.as_str())
        .node("explicit_placement", explicit_placement())
        .build()
}

/// The bucket a `bucket.instance` key (`B:ID`) names, `NoSuchKey` unless ID is its instance.
async fn instance_bucket(app: &App, key: &str) -> Result<std::sync::Arc<Bucket>> {
    let (bk, id) = key.rsplit_once(':').ok_or(Error::NoSuchKey)?;
    let b = app.buckets.get(bk).await?.ok_or(Error::NoSuchKey)?;
    if b.id != id {
        return Err(Error::NoSuchKey);
    }
    Ok(b)
}

/// The `data.<node>.bucket` reference of a put document must name this bucket.
fn check_ref(b: &Bucket, bref: Option<&serde_json::Value>) -> Result<()> {
    let bref = bref.ok_or(Error::InvalidArgument)?;
    let field = |n: &str| bref.get(n).and_then(|v| v.as_str());
    if field("name") != Some(b.name.as_str())
        || field("tenant").unwrap_or("") != b.tenant
        || field("bucket_id").is_some_and(|id| id != b.id)
    {
        return Err(Error::InvalidArgument);
    }
    Ok(())
}

/// `PUT /admin/metadata/bucket?key=B`: the entry point document as GET gives it, stamped
/// with the version, tag and time it carries (`domain::sync`). Of what it holds, the owner
/// is ours to change (the bucket moves to that user, as `bucket link` does) and `linked`
/// links or unlinks it (absent: as it is); the rest describes what cannot change here. A
/// document for another bucket, or for a bucket that does not exist, changes nothing.
/// The entry point written, or `None` when `update-type` skipped it.
pub async fn put_entrypoint(
    app: &App,
    key: &str,
    doc: &serde_json::Value,
    mode: UpdateType,
    incoming: &Incoming,
) -> Result<Option<EntryPoint>> {
    let data = doc.get("data").ok_or(Error::InvalidArgument)?;
    let owner = data
        .get("owner")
        .and_then(|v| v.as_str())
        .ok_or(Error::InvalidArgument)?;
    let b = app.buckets.get(key).await?.ok_or(Error::NoSuchKey)?;
    check_ref(&b, data.get("bucket"))?;
    let linked = match data.get("linked") {
        None => b.entry().linked,
        Some(v) => json_bool(v).ok_or(Error::InvalidArgument)?,
    };
    if owner != b.owner {
        app.users.get(owner).await?.ok_or(Error::InvalidArgument)?;
    }
    app.buckets
        .put_entry(&b.key(), owner, linked, mode, incoming)
        .await
}

/// A boolean as radosgw's JSON decoder reads one: `true`/`false`, or the same as a string
/// (which is how 16.2 writes them).
fn json_bool(v: &serde_json::Value) -> Option<bool> {
    match v {
        serde_json::Value::Bool(b) => Some(*b),
        serde_json::Value::String(s) => crate::query::parse_bool(s).filter(|_| !s.is_empty()),
        _ => None,
    }
}

/// `PUT /admin/metadata/bucket.instance?key=B:ID`: the instance document as GET gives it,
/// stamped as it says (`domain::sync`). Its quota is applied (as `PUT /admin/bucket?quota`
/// would) and who pays (as `PUT ?requestPayment`); the owner must stay (it changes through
/// the entry point), the rest describes what cannot change here. The record written, or
/// `None` when `update-type` skipped it.
pub async fn put_instance(
    app: &App,
    key: &str,
    doc: &serde_json::Value,
    mode: UpdateType,
    incoming: &Incoming,
) -> Result<Option<std::sync::Arc<Bucket>>> {
    let info = doc
        .get("data")
        .and_then(|d| d.get("bucket_info"))
        .ok_or(Error::InvalidArgument)?;
    let b = instance_bucket(app, key).await?;
    check_ref(&b, info.get("bucket"))?;
    if info.get("owner").and_then(|v| v.as_str()) != Some(b.owner.as_str()) {
        return Err(Error::InvalidArgument);
    }
    let quota = match info.get("quota") {
        Some(q) => crate::ops::quota::quota_from_json(b.quota, q)?,
        None => b.quota,
    };
    let requester_pays = match info.get("requester_pays") {
        Some(v) => json_bool(v).ok_or(Error::InvalidArgument)?,
        None => b.requester_pays,
    };
    app.buckets
        .put_instance(&b.key(), quota, requester_pays, mode, incoming)
        .await
}

/// `/admin/metadata/bucket?key=` and `/admin/metadata/bucket.instance?key=` documents.
pub async fn metadata_get(app: &App, section: &str, key: &str) -> Result<Node> {
    let (bk, id) = match section {
        "bucket" => (key.to_string(), None),
        _ => {
            let (n, id) = key.rsplit_once(':').ok_or(Error::NoSuchKey)?;
            (n.to_string(), Some(id.to_string()))
        }
    };
    let b = app.buckets.get(&bk).await?.ok_or(Error::NoSuchKey)?;
    if id.as_ref().is_some_and(|i| *i != b.id) {
        return Err(Error::NoSuchKey);
    }
    let entry = b.entry();
    let (tag, ver, mtime_us) = if section == "bucket" {
        (entry.tag.as_str(), entry.ver, entry.mtime_us)
    } else {
        (b.tag.as_str(), b.ver, b.mtime_us)
    };
    let ver = ObjBuilder::new().str("tag", tag).uint("ver", ver).build();
    let head = ObjBuilder::new()
        .str("key", format!("{section}:{key}"))
        .node("ver", ver)
        .str("mtime", crate::clock::utime(mtime_us));
    let data = if section == "bucket" {
        ObjBuilder::new()
            .node("bucket", bucket_ref(&b))
            .str("owner", b.owner.as_str())
            .str("creation_time", crate::clock::utime(b.creation_us))
            .legacy_bool("linked", entry.linked)
            .legacy_bool("has_bucket_info", false)
            .build()
    } else {
        let info = ObjBuilder::new()
            .node("bucket", bucket_ref(&b))
            .str("creation_time", crate::clock::utime(b.creation_us))
            .str("owner", b.owner.as_str())
            // radosgw's BUCKET_VERSIONED (2), BUCKET_VERSIONS_SUSPENDED (4) and
            // BUCKET_OBJ_LOCK_ENABLED (0x20).
            .int(
                "flags",
                match b.versioning {
                    None => 0,
                    Some(Versioning::Enabled) => 2,
                    Some(Versioning::Suspended) => 6,
                } | if b.object_lock.is_some() { 0x20 } else { 0 },
            )
            .str("zonegroup", app.cluster_id.as_str())
            .str("placement_rule", b.placement_rule.as_str())
            .legacy_bool("has_instance_obj", false)
            .node("quota", b.quota.dump())
            .uint("num_shards", NUM_SHARDS as u64)
            .int("bi_shard_hash_type", 0)
            .legacy_bool("requester_pays", b.requester_pays)
            .legacy_bool("has_website", false)
            .legacy_bool("swift_versioning", false)
            .str("swift_ver_location", "")
            .int("index_type", 0)
            .node("mdsearch_config", Node::Arr("obj".into(), vec![]))
            .int("reshard_status", 0)
            .str("new_bucket_instance_id", "")
            .build();
        use base64::Engine;
        let acl = b.acl();
        let names = grantee_names(&app.users, &acl).await;
        let owner_name = app.users.display_name(&b.owner).await;
        let grants: Vec<BlobGrant> = acl
            .grants
            .iter()
            .map(|g| match &g.grantee {
                Grantee::User(id) => BlobGrant {
                    ty: 0,
                    id,
                    name: names.get(id).map(String::as_str).unwrap_or(""),
                    email: "",
                    flags: g.perm,
                    group: 0,
                },
                Grantee::Group(grp) => BlobGrant {
                    ty: 2,
                    id: "",
                    name: "",
                    email: "",
                    flags: g.perm,
                    group: grp.ceph_id(),
                },
            })
            .collect();
        let blob = acl_blob(&b.owner, &owner_name, &grants);
        let attr = ObjBuilder::new()
            .str("key", "user.rgw.acl")
            .str(
                "val",
                base64::engine::general_purpose::STANDARD.encode(blob),
            )
            .build();
        ObjBuilder::new()
            .node("bucket_info", info)
            .node("attrs", Node::Arr("entry".into(), vec![attr]))
            .build()
    };
    Ok(head.node("data", data).build())
}
