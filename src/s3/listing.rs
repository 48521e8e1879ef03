//! Bucket listings: ListObjects v1 and v2 (current versions), and ListObjectVersions.

use super::object::quoted;
use super::{iso_ms, Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::objects::{ObjectMeta, Page};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// Characters radosgw leaves unescaped in `encoding-type=url` keys: those its
/// `char_needs_url_encoding` passes, letters, digits and `! $ ' ( ) * - . _ | ~` (so `/` is
/// escaped too).
pub const URL_KEY: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'$')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')')
    .remove(b'*')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'|')
    .remove(b'~');

/// The same for common prefixes, which radosgw encodes with `url_encode(p, false)`: `/`
/// stays as it is (whatever the delimiter). Also the keys of ListMultipartUploads.
pub const URL_PREFIX: &percent_encoding::AsciiSet = &URL_KEY.remove(b'/');

/// `s` as listed: URL-encoded (escaping what `set` does not keep) for `encoding-type=url`.
pub fn listed(url: bool, s: &str, set: &'static percent_encoding::AsciiSet) -> String {
    if url {
        percent_encoding::utf8_percent_encode(s, set).to_string()
    } else {
        s.to_string()
    }
}

/// `encoding-type=url`, in any case (radosgw compares it with `strcasecmp`).
pub fn url_encoding(q: &crate::query::Query) -> bool {
    q.get("encoding-type")
        .is_some_and(|e| e.eq_ignore_ascii_case("url"))
}

/// `max-keys`, read as radosgw reads it ([`super::numbers::bounded`]).
fn max_keys(req: &S3Request) -> Result<usize> {
    super::numbers::bounded(req.query.get("max-keys"), 1000)
}

struct Common {
    prefix: String,
    delimiter: String,
    max: usize,
    url: bool,
}

impl Common {
    fn parse(req: &S3Request) -> Result<Common> {
        let q = &req.query;
        // radosgw's unordered listing cannot group by a delimiter: it refuses the pair (the
        // listing itself is always in order here).
        let unordered = q.get("allow-unordered").is_some_and(|v| {
            ["true", "yes", "1"]
                .iter()
                .any(|t| v.eq_ignore_ascii_case(t))
        });
        if unordered && q.get("delimiter").is_some_and(|d| !d.is_empty()) {
            return Err(Error::InvalidArgument);
        }
        Ok(Common {
            prefix: q.get("prefix").unwrap_or("").to_string(),
            delimiter: q.get("delimiter").unwrap_or("").to_string(),
            max: max_keys(req)?,
            url: url_encoding(q),
        })
    }

    /// A key as listed: URL-encoded for `encoding-type=url`.
    fn enc(&self, s: &str) -> String {
        listed(self.url, s, URL_KEY)
    }

    fn common_prefixes(&self, x: &mut Xml, prefixes: &[String]) {
        common_prefixes(x, self.url, prefixes);
    }
}

/// One `CommonPrefixes` element per prefix, URL-encoded (`/` kept) for `encoding-type=url`:
/// object listings and ListMultipartUploads alike.
pub fn common_prefixes(x: &mut Xml, url: bool, prefixes: &[String]) {
    for p in prefixes {
        x.open("CommonPrefixes");
        x.elem("Prefix", &listed(url, p, URL_PREFIX));
        x.close("CommonPrefixes");
    }
}

fn owner_xml(x: &mut Xml, id: &str, name: &str) {
    x.open("Owner");
    x.elem("ID", id);
    x.elem("DisplayName", name);
    x.close("Owner");
}

/// The page, after checking the caller may list the bucket.
async fn page(
    app: &App,
    req: &S3Request,
    action: &'static str,
    c: &Common,
    after: &str,
) -> Result<Page> {
    let b = req.bucket()?;
    authz::s3(
        &req.asked(&b, None, action),
        &b.owner,
        &b.acl,
        perm::READ,
        OpKind::Read,
    )?;
    app.objects
        .list_page(&b.data_key(), &c.prefix, &c.delimiter, after, c.max)
        .await
}

/// ListObjects v1 and v2 (`list-type=2`).
pub async fn list_objects(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let q = &req.query;
    let c = Common::parse(req)?;
    let v2 = q.get("list-type") == Some("2");
    let start_after = if v2 {
        // radosgw's token is the key to list after, as is: it reads any token so, and a
        // token sent empty still wins over start-after (the listing starts at the top;
        // 16.2.15, probed).
        q.get("continuation-token")
            .or_else(|| q.get("start-after"))
            .unwrap_or("")
            .to_string()
    } else {
        q.get("marker").unwrap_or("").to_string()
    };
    let page = page(app, req, "s3:ListBucket", &c, &start_after).await?;
    let owner_name = app.users.display_name(&b.owner).await;
    // radosgw's element order. With `encoding-type=url` only keys and common prefixes are
    // encoded: the prefix, delimiter, markers and start-after go back as sent.
    let mut x = Xml::new();
    x.open_ns("ListBucketResult");
    if c.url {
        x.elem("EncodingType", "url");
    }
    if !b.tenant.is_empty() {
        x.elem("Tenant", &b.tenant);
    }
    x.elem("Name", &b.name);
    x.elem("Prefix", &c.prefix);
    x.num("MaxKeys", c.max);
    if !c.delimiter.is_empty() {
        x.elem("Delimiter", &c.delimiter);
    }
    x.bool("IsTruncated", page.truncated);
    c.common_prefixes(&mut x, &page.prefixes);
    let fetch_owner = !v2 || q.get_bool("fetch-owner", false);
    for (k, o) in &page.objects {
        x.open("Contents");
        x.elem("Key", &c.enc(k));
        x.elem("LastModified", &iso_ms(o.mtime_us));
        x.elem("ETag", &quoted(&o.etag));
        x.num("Size", o.size);
        x.elem("StorageClass", "STANDARD");
        if fetch_owner {
            owner_xml(&mut x, &o.owner, &owner_name);
        }
        x.elem("Type", "Normal");
        x.close("Contents");
    }
    if v2 {
        // Echoed when sent, even empty, as radosgw does.
        if let Some(t) = q.get("continuation-token") {
            x.elem("ContinuationToken", t);
        }
        if page.truncated && !page.next_marker.is_empty() {
            x.elem("NextContinuationToken", &page.next_marker);
        }
        x.num("KeyCount", page.objects.len() + page.prefixes.len());
        if let Some(sa) = q.get_nonempty("start-after") {
            x.elem("StartAfter", sa);
        }
    } else {
        x.elem("Marker", &start_after);
        // With or without a delimiter (AWS sends it only with one), as radosgw does.
        if page.truncated && !page.next_marker.is_empty() {
            x.elem("NextMarker", &page.next_marker);
        }
    }
    x.close("ListBucketResult");
    let doc = x.finish();
    let n = doc.len();
    Ok(super::bucket::with_wire_extra(app, Reply::xml(doc), &[n]))
}

/// One `Version` or `DeleteMarker` of ListObjectVersions, as radosgw writes them.
fn version_xml(x: &mut Xml, c: &Common, k: &str, o: &ObjectMeta, latest: bool, owner_name: &str) {
    let tag = if o.delete_marker {
        "DeleteMarker"
    } else {
        "Version"
    };
    x.open(tag);
    x.elem("Key", &c.enc(k));
    x.elem("VersionId", o.vid());
    x.bool("IsLatest", latest);
    x.elem("LastModified", &iso_ms(o.mtime_us));
    if !o.delete_marker {
        x.elem("ETag", &quoted(&o.etag));
        x.num("Size", o.size);
        x.elem("StorageClass", "STANDARD");
    }
    owner_xml(x, &o.owner, owner_name);
    x.elem("Type", "Normal");
    x.close(tag);
}

/// ListObjectVersions: every version and delete marker, keys ascending and each key's
/// newest first (a bucket that never had versioning has each object once, version `null`).
/// A page resumes after `version-id-marker` of `key-marker`, or with no version marker
/// after every version of `key-marker` (AWS's rule; radosgw 16.2.15 lists the marker key's
/// versions again then); a version marker without a key marker is only echoed.
pub async fn list_versions(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    authz::s3(
        &req.asked(&b, None, "s3:ListBucketVersions"),
        &b.owner,
        &b.acl,
        perm::READ,
        OpKind::Read,
    )?;
    let q = &req.query;
    let c = Common::parse(req)?;
    let key_marker = q.get("key-marker").unwrap_or("").to_string();
    let vid_marker = q.get("version-id-marker").unwrap_or("").to_string();
    let resume = if key_marker.is_empty() {
        ""
    } else {
        &vid_marker
    };
    let page = app
        .objects
        .list_versions(
            &b.data_key(),
            (&c.prefix, &c.delimiter),
            (&key_marker, resume),
            c.max,
        )
        .await?;
    let owner_name = app.users.display_name(&b.owner).await;
    // radosgw's element order; keys are URL-encoded for `encoding-type=url`, the prefix
    // and markers are not.
    let mut x = Xml::new();
    x.open_ns("ListVersionsResult");
    if c.url {
        x.elem("EncodingType", "url");
    }
    x.elem("Name", &b.name);
    x.elem("Prefix", &c.prefix);
    x.num("MaxKeys", c.max);
    if !c.delimiter.is_empty() {
        x.elem("Delimiter", &c.delimiter);
    }
    x.bool("IsTruncated", page.truncated);
    c.common_prefixes(&mut x, &page.prefixes);
    x.elem("KeyMarker", &key_marker);
    x.elem("VersionIdMarker", &vid_marker);
    if page.truncated {
        x.elem("NextKeyMarker", &page.next_key_marker);
        x.elem("NextVersionIdMarker", &page.next_version_marker);
    }
    for (k, o, latest) in &page.entries {
        version_xml(&mut x, &c, k, o, *latest, &owner_name);
    }
    x.close("ListVersionsResult");
    Ok(Reply::xml(x.finish()))
}
