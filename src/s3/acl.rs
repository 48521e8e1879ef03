//! Bucket and object ACLs: `GET`/`PUT ?acl`, and the ACL a create or upload asks for with
//! `x-amz-acl` or `x-amz-grant-*` headers. What is stored is always the grants; access
//! checks read them (`authz`).

use std::collections::HashMap;

use bytes::Bytes;
use http::StatusCode;

use super::{Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::{perm, Acl, Canned, Grant, Grantee, Group};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::encode::s3_read::{self, GranteeXml};
use crate::error::{Error, Result};

const GRANT_HEADERS: &[(&str, u32)] = &[
    ("x-amz-grant-read", perm::READ),
    ("x-amz-grant-write", perm::WRITE),
    ("x-amz-grant-read-acp", perm::READ_ACP),
    ("x-amz-grant-write-acp", perm::WRITE_ACP),
    ("x-amz-grant-full-control", perm::FULL_CONTROL),
];

/// The ACL a request's headers ask for, if any: a canned `x-amz-acl`, or `x-amz-grant-*`
/// grants (exactly those; the owner keeps its implicit right to read and change the ACL).
pub async fn from_request_headers(
    app: &App,
    req: &S3Request,
    owner: &str,
    bucket_owner: &str,
) -> Result<Option<Acl>> {
    let grants: Vec<(u32, &str)> = GRANT_HEADERS
        .iter()
        .filter_map(|(h, p)| req.header(h).map(|v| (*p, v)))
        .collect();
    match (req.header("x-amz-acl"), grants.is_empty()) {
        (Some(_), false) => Err(Error::InvalidRequest),
        (Some(c), true) => {
            let canned = Canned::parse(c.trim()).ok_or(Error::InvalidArgument)?;
            Ok(Some(Acl::canned(canned, owner, bucket_owner)))
        }
        (None, false) => {
            let emails = resolve_emails(app, grants.iter().map(|(_, v)| *v)).await?;
            // radosgw answers a grantee it cannot find in a header with 404 NoSuchKey.
            let acl = Acl::from_grant_headers(&grants, |e| emails.get(e).cloned()).map_err(
                |e| match e {
                    Error::UnresolvableGrantByEmailAddress => Error::NoSuchKey,
                    e => e,
                },
            )?;
            check_grantees(app, &acl, Error::NoSuchKey).await?;
            Ok(Some(acl))
        }
        (None, true) => Ok(None),
    }
}

/// uids of the `emailAddress="..."` grantees in grant header values.
async fn resolve_emails<'a>(
    app: &App,
    values: impl Iterator<Item = &'a str>,
) -> Result<HashMap<String, String>> {
    let mut out = HashMap::new();
    for v in values {
        for item in v.split(',') {
            let Some((k, e)) = item.trim().split_once('=') else {
                continue;
            };
            if k.trim().eq_ignore_ascii_case("emailAddress") {
                let e = e.trim().trim_matches('"');
                if let Some(u) = app.users.by_email(e).await? {
                    out.insert(e.to_string(), u.uid.to_string());
                }
            }
        }
    }
    Ok(out)
}

/// Every user a grant names must exist (`missing` otherwise).
async fn check_grantees(app: &App, acl: &Acl, missing: Error) -> Result<()> {
    for g in &acl.grants {
        if let Grantee::User(id) = &g.grantee {
            if app.users.get(id).await?.is_none() {
                return Err(missing);
            }
        }
    }
    Ok(())
}

fn written_key(g: &GranteeXml) -> &str {
    match g {
        GranteeXml::CanonicalUser { id, .. } => id,
        GranteeXml::Email { address } => address,
        GranteeXml::Group { .. } => "",
    }
}

/// An AccessControlPolicy body as an ACL of a resource owned by `owner`. radosgw answers
/// every fault in it with `InvalidArgument`, but another owner with `AccessDenied` and an
/// unknown e-mail with `UnresolvableGrantByEmailAddress`.
async fn from_body(app: &App, body: &[u8], owner: &str) -> Result<Acl> {
    let p = s3_read::access_control_policy(body).map_err(|_| Error::InvalidArgument)?;
    match p.owner_id.as_deref() {
        None => return Err(Error::InvalidArgument),
        Some(id) if id != owner => return Err(Error::AccessDenied),
        Some(_) => {}
    }
    // radosgw files each grant under the key it was written with (the id, the e-mail
    // address, "" for groups), then resolves e-mails and re-files them by id, keeping that
    // order among equal ids; sorting by the written key first gives the same final order.
    let mut written = p.grants;
    written.sort_by(|a, b| written_key(&a.grantee).cmp(written_key(&b.grantee)));
    let mut grants = Vec::with_capacity(written.len());
    for g in written {
        let perm = perm::parse(g.permission.trim()).ok_or(Error::InvalidArgument)?;
        let grantee = match g.grantee {
            GranteeXml::CanonicalUser { id, .. } => Grantee::User(id),
            GranteeXml::Group { uri } => {
                Grantee::Group(Group::from_uri(uri.trim()).ok_or(Error::InvalidArgument)?)
            }
            GranteeXml::Email { address } => {
                let u = app
                    .users
                    .by_email(address.trim())
                    .await?
                    .ok_or(Error::UnresolvableGrantByEmailAddress)?;
                Grantee::User(u.uid.to_string())
            }
        };
        grants.push(Grant { grantee, perm });
    }
    let acl = Acl { grants };
    check_grantees(app, &acl, Error::InvalidArgument).await?;
    Ok(acl)
}

/// The ACL a `PUT ?acl` asks for. As radosgw: a canned ACL with a body is refused, grant
/// headers win over a body, and nothing at all is `InvalidArgument`.
async fn requested(
    app: &App,
    req: &S3Request,
    body: &Bytes,
    owner: &str,
    bucket_owner: &str,
) -> Result<Acl> {
    let has_body = !body.iter().all(u8::is_ascii_whitespace);
    if has_body && req.header("x-amz-acl").is_some() {
        return Err(Error::InvalidArgument);
    }
    match from_request_headers(app, req, owner, bucket_owner).await? {
        Some(a) => Ok(a),
        None if has_body => from_body(app, body, owner).await,
        None => Err(Error::InvalidArgument),
    }
}

/// `AccessControlPolicy` as radosgw writes it: group grants first (its grant map is keyed
/// by grantee id, groups under ""), then users.
pub async fn acl_doc(app: &App, owner: &str, acl: &Acl) -> String {
    let names = crate::domain::acl::grantee_names(&app.users, acl).await;
    let owner_name = app.users.display_name(owner).await;
    let mut x = Xml::new();
    x.open_ns("AccessControlPolicy");
    x.open("Owner");
    x.elem("ID", owner);
    x.elem("DisplayName", &owner_name);
    x.close("Owner");
    x.open("AccessControlList");
    for g in acl.ordered() {
        x.open("Grant");
        match &g.grantee {
            Grantee::Group(grp) => {
                x.raw(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">"#);
                x.elem("URI", grp.uri());
            }
            Grantee::User(id) => {
                x.raw(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">"#);
                x.elem("ID", id);
                x.elem(
                    "DisplayName",
                    names.get(id).map(String::as_str).unwrap_or(""),
                );
            }
        }
        x.close("Grantee");
        x.elem("Permission", perm::name(g.perm));
        x.close("Grant");
    }
    x.close("AccessControlList");
    x.close("AccessControlPolicy");
    x.finish()
}

pub async fn get_bucket(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let acl = b.acl();
    let asked = req.asked(&b, None, "s3:GetBucketAcl");
    authz::s3(&asked, &b.owner, &acl, perm::READ_ACP, OpKind::Read)?;
    Ok(Reply::xml(acl_doc(app, &b.owner, &acl).await))
}

/// radosgw's answer to an ACL change: 200, typed XML, empty.
fn acl_changed() -> Reply {
    Reply::empty(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/xml")
}

pub async fn put_bucket(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:PutBucketAcl");
    authz::s3(&asked, &b.owner, &b.acl, perm::WRITE_ACP, OpKind::Write)?;
    let acl = requested(app, req, &body, &b.owner, &b.owner).await?;
    super::refuse_public_acl(&b, &acl)?;
    app.buckets
        .modify(&b.key(), |nb, _| {
            nb.acl = acl.clone();
            Ok(())
        })
        .await?;
    Ok(acl_changed())
}

pub async fn get_object(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let o = super::object_to_read(app, req, &b).await?;
    let acl = o.acl();
    let asked = req
        .asked(&b, Some(&req.key), "s3:GetObjectAcl")
        .with_object_tags(&o.tags);
    authz::s3(&asked, &o.owner, &acl, perm::READ_ACP, OpKind::Read)?;
    Ok(Reply::xml(acl_doc(app, &o.owner, &acl).await))
}

pub async fn put_object(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let b = req.bucket()?;
    let o = super::object_to_write(app, &b, &req.key, req.version_id()).await?;
    let asked = req.asked(&b, Some(&req.key), "s3:PutObjectAcl");
    authz::s3(&asked, &o.owner, &o.acl, perm::WRITE_ACP, OpKind::Write)?;
    let acl = requested(app, req, &body, &o.owner, &b.owner).await?;
    super::refuse_public_acl(&b, &acl)?;
    app.objects
        .update(&b.data_key(), &req.key, req.version_id(), |o| {
            o.acl = acl.clone();
            Ok(())
        })
        .await?;
    Ok(acl_changed())
}
