//! Bucket-level S3 operations.

use hyper::{Response, StatusCode};

use super::xml::Xml;
use super::{check_access, empty, iso_ms, load_bucket, xml_response, S3Req};
use crate::app::App;
use crate::buckets::{self, bkey, Bucket};
use crate::error::{Error, Result};
use crate::http::RespBody;
use crate::store::Txn;

/// S3 bucket naming rules as radosgw enforces them by default.
pub fn valid_name(n: &str) -> bool {
    let b = n.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    let ok_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-';
    if !b.iter().all(|&c| ok_char(c)) {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    if n.contains("..") || n.contains(".-") || n.contains("-.") {
        return false;
    }
    // Not an IP address.
    n.parse::<std::net::Ipv4Addr>().is_err()
}

pub fn list_buckets(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let (id, name, buckets) = match &req.caller {
        Some(u) => (
            u.uid.to_string(),
            u.display_name.clone(),
            app.buckets.of_user(&u.uid.to_string())?,
        ),
        None => ("anonymous".to_string(), String::new(), Vec::new()),
    };
    let mut x = Xml::new();
    x.open_ns("ListAllMyBucketsResult");
    x.open("Owner");
    x.elem("ID", &id);
    x.elem("DisplayName", &name);
    x.close("Owner");
    x.open("Buckets");
    for b in buckets {
        x.open("Bucket");
        x.elem("Name", &b.name);
        x.elem("CreationDate", &iso_ms(b.creation_us));
        x.close("Bucket");
    }
    x.close("Buckets");
    x.close("ListAllMyBucketsResult");
    let doc = x.finish();
    // radosgw streams this listing in three chunks (up to `<Buckets>`, the buckets, the
    // rest) and its usage log counts their framing.
    let head = doc.find("<Buckets>").map_or(0, |i| i + "<Buckets>".len());
    let tail = "</Buckets></ListAllMyBucketsResult>".len();
    let parts = [head, doc.len() - head - tail, tail];
    with_wire_extra(app, xml_response(req, doc), &parts)
}

/// At the pacific level, note on the response the chunked framing radosgw 16 would have
/// sent around these body parts, which its usage log counts as bytes sent (see
/// `usage::account_s3`). Nothing extra is sent.
fn with_wire_extra(
    app: &App,
    resp: Result<Response<RespBody>>,
    parts: &[usize],
) -> Result<Response<RespBody>> {
    let mut resp = resp?;
    if app.cfg.compat == crate::config::Compat::Pacific {
        let framing: usize = parts
            .iter()
            .filter(|&&n| n > 0)
            .map(|n| format!("{n:x}").len() + 4)
            .sum::<usize>()
            + "0\r\n\r\n".len();
        resp.extensions_mut()
            .insert(super::WireExtra(framing as u64));
    }
    Ok(resp)
}

pub fn new_bucket(app: &App, tenant: &str, name: &str, owner: &str, acl: &str) -> Bucket {
    let now = crate::clock::now_us();
    let id = format!(
        "{}.{}.{}",
        app.cluster_id,
        app.instance_id,
        rand::random::<u32>() as u64 + 1
    );
    Bucket {
        name: name.to_string(),
        tenant: tenant.to_string(),
        id: id.clone(),
        marker: id,
        owner: owner.to_string(),
        creation_us: now,
        mtime_us: now,
        placement_rule: "default-placement".into(),
        quota: app.default_bucket_quota(),
        acl: acl.to_string(),
        ver: 1,
        tag: crate::keys::random_tag(),
        ratelimit: Default::default(),
    }
}

pub async fn create(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let user = req.caller.clone().ok_or(Error::AccessDenied)?;
    if !valid_name(&req.bucket) {
        return Err(Error::InvalidBucketName);
    }
    let acl = req.header("x-amz-acl").unwrap_or("private");
    if !matches!(
        acl,
        "private" | "public-read" | "public-read-write" | "authenticated-read"
    ) {
        return Err(Error::InvalidArgument);
    }
    let uid = user.uid.to_string();
    let bk = bkey(&user.uid.tenant, &req.bucket);
    if let Some(existing) = app.buckets.get(&bk) {
        // radosgw answers a repeated create by the owner with 200, anyone else with 409.
        return if existing.owner == uid {
            empty(req, StatusCode::OK)
        } else {
            Err(Error::BucketAlreadyExists)
        };
    }
    let owned = app.buckets.of_user(&uid)?.len();
    if user.max_buckets < 0 || (user.max_buckets > 0 && owned >= user.max_buckets as usize) {
        return Err(Error::TooManyBuckets);
    }
    let b = new_bucket(app, &user.uid.tenant, &req.bucket, &uid, acl);
    let mut t = Txn::default();
    t.expect(buckets::k_bucket(&bk), None)
        .put(buckets::k_bucket(&bk), buckets::encode(&b)?)
        .put(buckets::k_link(&uid, &bk), Vec::new())
        .incr(buckets::k_ver(&bk), vec![1; buckets::NUM_SHARDS]);
    match app.buckets.commit(&bk, t, Some(b)).await {
        Ok(_) => empty(req, StatusCode::OK),
        Err(crate::store::CommitError::Conflict) => match app.buckets.get(&bk) {
            Some(e) if e.owner == uid => empty(req, StatusCode::OK),
            _ => Err(Error::BucketAlreadyExists),
        },
        Err(crate::store::CommitError::Store(e)) => Err(e),
    }
}

pub fn head(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    empty(req, StatusCode::OK)
}

pub async fn delete(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, true)?;
    if req.caller.is_none() {
        return Err(Error::AccessDenied);
    }
    remove_bucket(app, &b).await?;
    empty(req, StatusCode::NO_CONTENT)
}

/// Remove an empty bucket: its record, link, counters. `BucketNotEmpty` if it has objects
/// or uploads in progress.
pub async fn remove_bucket(app: &App, b: &Bucket) -> Result<()> {
    let bk = b.key();
    let store = app.buckets.store().clone();
    let prefix = buckets::k_obj_prefix(&bk);
    let uploads = crate::s3::multipart::k_upload_prefix(&bk);
    let (has_obj, has_up) = tokio::task::spawn_blocking(move || {
        Ok::<_, Error>((
            !store.scan_range(&prefix, None, 1)?.is_empty(),
            !store.scan_range(&uploads, None, 1)?.is_empty(),
        ))
    })
    .await
    .map_err(|e| Error::Unknown(e.to_string()))??;
    if has_obj || has_up {
        return Err(Error::BucketNotEmpty);
    }
    let mut t = Txn::default();
    t.expect(buckets::k_bucket(&bk), Some(buckets::encode(b)?))
        .delete(buckets::k_bucket(&bk))
        .delete(buckets::k_link(&b.owner, &bk))
        .delete(buckets::k_stats(&bk))
        .delete(buckets::k_ver(&bk));
    match app.buckets.commit(&bk, t, None).await {
        Ok(_) => Ok(()),
        Err(crate::store::CommitError::Conflict) => Err(Error::ServiceUnavailable),
        Err(crate::store::CommitError::Store(e)) => Err(e),
    }
}

pub fn location(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let mut x = Xml::new();
    x.open_ns("LocationConstraint");
    x.close("LocationConstraint");
    xml_response(req, x.finish())
}

pub fn acl(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let owner = app.users.get(&b.owner);
    let name = owner.map(|u| u.display_name.clone()).unwrap_or_default();
    xml_response(req, acl_doc(&b.owner, &name, &b.acl))
}

/// AccessControlPolicy for a canned ACL.
pub fn acl_doc(owner: &str, display: &str, canned: &str) -> String {
    let mut x = Xml::new();
    x.open_ns("AccessControlPolicy");
    x.open("Owner");
    x.elem("ID", owner);
    x.elem("DisplayName", display);
    x.close("Owner");
    x.open("AccessControlList");
    let grant = |x: &mut Xml, group: Option<&str>, perm: &str| {
        x.open("Grant");
        match group {
            Some(uri) => {
                x.raw(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group">"#);
                x.elem("URI", uri);
            }
            None => {
                x.raw(r#"<Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser">"#);
                x.elem("ID", owner);
                x.elem("DisplayName", display);
            }
        }
        x.close("Grantee");
        x.elem("Permission", perm);
        x.close("Grant");
    };
    grant(&mut x, None, "FULL_CONTROL");
    match canned {
        "public-read" => grant(
            &mut x,
            Some("http://acs.amazonaws.com/groups/global/AllUsers"),
            "READ",
        ),
        "public-read-write" => {
            grant(
                &mut x,
                Some("http://acs.amazonaws.com/groups/global/AllUsers"),
                "READ",
            );
            grant(
                &mut x,
                Some("http://acs.amazonaws.com/groups/global/AllUsers"),
                "WRITE",
            );
        }
        "authenticated-read" => grant(
            &mut x,
            Some("http://acs.amazonaws.com/groups/global/AuthenticatedUsers"),
            "READ",
        ),
        _ => {}
    }
    x.close("AccessControlList");
    x.close("AccessControlPolicy");
    x.finish()
}

/// ListObjects v1 and v2 (`list-type=2`).
pub async fn list_objects(app: &App, req: &S3Req) -> Result<Response<RespBody>> {
    let b = load_bucket(app, req)?;
    check_access(req, &b, false)?;
    let q = &req.query;
    let v2 = q.get("list-type") == Some("2");
    let prefix = q.get("prefix").unwrap_or("").to_string();
    let delimiter = q.get("delimiter").unwrap_or("").to_string();
    let max = match q.get("max-keys") {
        Some(v) => v
            .trim()
            .parse::<i64>()
            .map_err(|_| Error::InvalidArgument)?
            .clamp(0, 1000) as usize,
        None => 1000,
    };
    let url_encode = q.get("encoding-type") == Some("url");
    let start_after = if v2 {
        match q.get_nonempty("continuation-token") {
            Some(t) => {
                use base64::Engine;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(t)
                    .map_err(|_| Error::InvalidArgument)?;
                String::from_utf8(raw).map_err(|_| Error::InvalidArgument)?
            }
            None => q.get("start-after").unwrap_or("").to_string(),
        }
    } else {
        q.get("marker").unwrap_or("").to_string()
    };
    let page =
        crate::s3::object::list_page(app, &b.key(), &prefix, &delimiter, &start_after, max).await?;
    let enc = |s: &str| -> String {
        if url_encode {
            percent_encoding::utf8_percent_encode(s, crate::s3::object::URL_KEY).to_string()
        } else {
            s.to_string()
        }
    };
    let owner_name = app
        .users
        .get(&b.owner)
        .map(|u| u.display_name.clone())
        .unwrap_or_default();
    let mut x = Xml::new();
    x.open_ns("ListBucketResult");
    if !b.tenant.is_empty() {
        x.elem("Tenant", &b.tenant);
    }
    x.elem("Name", &b.name);
    x.elem("Prefix", &enc(&prefix));
    x.elem("MaxKeys", &max.to_string());
    if !delimiter.is_empty() {
        x.elem("Delimiter", &enc(&delimiter));
    }
    if url_encode {
        x.elem("EncodingType", "url");
    }
    x.elem("IsTruncated", if page.truncated { "true" } else { "false" });
    for p in &page.prefixes {
        x.open("CommonPrefixes");
        x.elem("Prefix", &enc(p));
        x.close("CommonPrefixes");
    }
    let fetch_owner = !v2 || q.get_bool("fetch-owner", false);
    for (k, o) in &page.objects {
        x.open("Contents");
        x.elem("Key", &enc(k));
        x.elem("LastModified", &iso_ms(o.mtime_us));
        x.elem("ETag", &format!("\"{}\"", o.etag));
        x.elem("Size", &o.size.to_string());
        x.elem("StorageClass", "STANDARD");
        if fetch_owner {
            x.open("Owner");
            x.elem("ID", &o.owner);
            x.elem("DisplayName", &owner_name);
            x.close("Owner");
        }
        x.elem("Type", "Normal");
        x.close("Contents");
    }
    if v2 {
        if let Some(t) = q.get_nonempty("continuation-token") {
            x.elem("ContinuationToken", t);
        }
        if page.truncated {
            use base64::Engine;
            let tok = base64::engine::general_purpose::STANDARD.encode(&page.next_marker);
            x.elem("NextContinuationToken", &tok);
        }
        x.elem(
            "KeyCount",
            &(page.objects.len() + page.prefixes.len()).to_string(),
        );
        if let Some(sa) = q.get_nonempty("start-after") {
            x.elem("StartAfter", &enc(sa));
        }
    } else {
        x.elem("Marker", &enc(&start_after));
        if page.truncated && !delimiter.is_empty() {
            x.elem("NextMarker", &enc(&page.next_marker));
        }
    }
    x.close("ListBucketResult");
    let doc = x.finish();
    let n = doc.len();
    with_wire_extra(app, xml_response(req, doc), &[n])
}

#[cfg(test)]
mod tests {
    #[test]
    fn bucket_names() {
        for ok in ["abc", "alice-bucket-1", "a.b-c", "123"] {
            assert!(super::valid_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "a_b",
            "192.168.1.1",
            &"a".repeat(64),
        ] {
            assert!(!super::valid_name(bad), "{bad}");
        }
    }
}
