//! `/admin/metadata[/<section>]`: sections, key listing and user documents
//! (`RGWOp_Metadata_*`).

use base64::Engine;

use crate::app::App;
use crate::encode::{str_arr, Doc, Node, ObjBuilder};
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::ops::user::list_page;
use crate::ops::Reply;

const SECTIONS: &[&str] = &["bucket", "bucket.instance", "otp", "user"];

pub fn list(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let Some(section) = ctx.section.as_deref() else {
        return Ok(Reply::Doc(Doc::new(
            "keys",
            str_arr("key", SECTIONS.iter().copied()),
        )));
    };
    if !SECTIONS.contains(&section) {
        return Err(Error::NoSuchKey);
    }
    let max = match q.get("max-entries") {
        None => None,
        Some(v) => Some(
            v.trim()
                .parse::<u32>()
                .map_err(|_| Error::InvalidArgument)? as usize,
        ),
    };
    let marker = q
        .get_nonempty("marker")
        .and_then(|m| base64::engine::general_purpose::STANDARD.decode(m).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (keys, next) = match section {
        "user" => list_page(app, marker.as_deref(), max.unwrap_or(usize::MAX)),
        "bucket" | "bucket.instance" => {
            let all = crate::ops::bucket::metadata_keys(app, section);
            let start = marker
                .as_deref()
                .and_then(|m| all.iter().position(|k| k.as_str() >= m))
                .unwrap_or(if marker.is_some() { all.len() } else { 0 });
            let rest = &all[start..];
            let n = max.unwrap_or(usize::MAX).min(rest.len());
            (rest[..n].to_vec(), rest.get(n).cloned())
        }
        _ => (Vec::new(), None),
    };
    let keys_node = str_arr("key", keys.iter().cloned());
    let Some(_) = max else {
        return Ok(Reply::Doc(Doc::new("keys", keys_node)));
    };
    let mut b = ObjBuilder::new()
        .node("keys", keys_node)
        .legacy_bool("truncated", next.is_some())
        .int("count", keys.len() as i64);
    if let Some(m) = next {
        b = b.str(
            "marker",
            base64::engine::general_purpose::STANDARD.encode(m),
        );
    }
    Ok(Reply::Doc(Doc::new("result", b.build())))
}

pub fn get(app: &App, ctx: &Ctx) -> Result<Reply> {
    let q = &ctx.query;
    let (section, key) = if q.has("myself") {
        let me = ctx.caller.as_ref().ok_or(Error::NoSuchKey)?;
        ("user".to_string(), me.uid.to_string())
    } else {
        let key = q.get("key").unwrap_or("");
        match ctx.section.as_deref() {
            Some(s) => (s.to_string(), key.to_string()),
            // `/admin/metadata?key=user:alice` names section and key together.
            None => match key.split_once(':') {
                Some((s, k)) => (s.to_string(), k.to_string()),
                None => return list_keys_of_section(app, key),
            },
        }
    };
    if section == "bucket" || section == "bucket.instance" {
        let doc = crate::ops::bucket::metadata_get(app, &section, &key)?;
        return Ok(Reply::Doc(Doc::new("metadata_info", doc)));
    }
    if section != "user" {
        return Err(Error::NoSuchKey);
    }
    let u = app.users.get(&key).ok_or(Error::NoSuchKey)?;
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
        b.node("data", u.dump_metadata()).build(),
    )))
}

/// `GET /admin/metadata?key=<section>`: the section's keys.
fn list_keys_of_section(app: &App, section: &str) -> Result<Reply> {
    match section {
        "user" => {
            let (keys, _) = list_page(app, None, usize::MAX);
            Ok(Reply::Doc(Doc::new("keys", str_arr("key", keys))))
        }
        "bucket" | "bucket.instance" => Ok(Reply::Doc(Doc::new(
            "keys",
            str_arr("key", crate::ops::bucket::metadata_keys(app, section)),
        ))),
        s if SECTIONS.contains(&s) => Ok(Reply::Doc(Doc::new(
            "keys",
            Node::Arr("key".into(), vec![]),
        ))),
        _ => Err(Error::NoSuchKey),
    }
}

/// `PUT /admin/metadata/user?key=U`: store the user document as given (create or replace),
/// answering 204 with radosgw's update headers.
pub async fn put(app: &App, ctx: &Ctx) -> Result<Reply> {
    let key = ctx
        .query
        .get_nonempty("key")
        .ok_or(Error::InvalidArgument)?;
    if ctx.section.as_deref() != Some("user") {
        return Err(Error::NotImplemented);
    }
    if ctx.body.is_empty() {
        return Err(Error::MissingContentLength);
    }
    match ctx.query.get("update-type") {
        None | Some("update-by-version") | Some("update-by-timestamp") | Some("always") => {}
        Some(_) => return Err(Error::InvalidArgument),
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&ctx.body).map_err(|_| Error::InvalidArgument)?;
    let data = doc.get("data").ok_or(Error::InvalidArgument)?;
    let mut user = crate::model::from_dump::user(data)?;
    if user.uid.to_string() != key {
        return Err(Error::InvalidArgument);
    }
    let u = match app.users.get(key) {
        Some(cur) => {
            user.tag = cur.tag.clone();
            app.users
                .modify(key, |u| {
                    let (tag, ver, ratelimit) = (u.tag.clone(), u.ver, u.ratelimit);
                    *u = user.clone();
                    u.tag = tag;
                    u.ver = ver;
                    // The document has no rate limit (radosgw keeps it in an attribute).
                    u.ratelimit = ratelimit;
                    Ok(())
                })
                .await?
                .0
        }
        None => app.users.create(user).await?,
    };
    let h = |k: &'static str, v: String| {
        (
            hyper::header::HeaderName::from_static(k),
            hyper::header::HeaderValue::from_str(&v)
                .unwrap_or(hyper::header::HeaderValue::from_static("")),
        )
    };
    Ok(Reply::Raw {
        status: hyper::StatusCode::NO_CONTENT,
        headers: vec![
            h("rgwx_update_status", "applied".into()),
            h(
                "rgwx_update_version",
                format!("ver:{},tag:{}", u.ver, u.tag),
            ),
        ],
        body: bytes::Bytes::new(),
    })
}

/// `DELETE /admin/metadata/user?key=U`.
pub async fn delete(app: &App, ctx: &Ctx) -> Result<Reply> {
    let key = ctx
        .query
        .get_nonempty("key")
        .ok_or(Error::InvalidArgument)?;
    if ctx.section.as_deref() != Some("user") {
        return Err(Error::NoSuchKey);
    }
    app.users.get(key).ok_or(Error::NoSuchKey)?;
    app.users.remove(key).await.map_err(|e| match e {
        Error::NoSuchUser => Error::NoSuchKey,
        e => e,
    })?;
    Ok(Reply::Empty)
}
