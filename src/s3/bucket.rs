//! Bucket-level S3 operations.

use bytes::Bytes;
use http::StatusCode;

use super::{acl, iso_ms, Reply, S3Request};
use crate::authz::{self, OpKind};
use crate::domain::acl::perm;
use crate::domain::buckets::{Bucket, Versioning};
use crate::domain::App;
use crate::encode::s3::Xml;
use crate::error::{Error, Result};

/// S3 bucket naming rules as radosgw's `valid_s3_bucket_name` enforces them; `relaxed` is
/// its `rgw_relaxed_s3_bucket_names`: up to 255 characters, upper case and `_` allowed,
/// `_`, `.` or `-` first, anything allowed last, periods anywhere; still never an IPv4
/// address, never another character.
pub fn valid_name(n: &str, relaxed: bool) -> bool {
    let b = n.as_bytes();
    let max = if relaxed { 255 } else { 63 };
    if !(3..=max).contains(&b.len()) {
        return false;
    }
    let alnum = |c: u8| c.is_ascii_alphanumeric();
    let first_ok = alnum(b[0]) || (relaxed && matches!(b[0], b'_' | b'.' | b'-'));
    if !first_ok {
        return false;
    }
    if !alnum(b[b.len() - 1]) && !relaxed {
        return false;
    }
    let ok = b.iter().enumerate().all(|(i, &c)| match c {
        b'0'..=b'9' | b'a'..=b'z' | b'-' => true,
        b'A'..=b'Z' | b'_' => relaxed,
        // Not `..`, `-.` or `.-` (the first character is a letter or digit here).
        b'.' => relaxed || (b[i - 1] != b'-' && !matches!(b.get(i + 1), Some(b'.' | b'-'))),
        _ => false,
    });
    // Not an IP address.
    ok && n.parse::<std::net::Ipv4Addr>().is_err()
}

/// ListBuckets, by name; `prefix`, and `max-buckets` pages (1 to 10000) continued from the
/// `continuation-token` the last page gave (the last name it listed), as AWS pages them and
/// Ceph's s3-tests expect (radosgw 16.2 ignores the three and lists everything, as here
/// when none is given).
pub async fn list_buckets(app: &App, req: &S3Request) -> Result<Reply> {
    let q = &req.query;
    let max = match q.get("max-buckets") {
        Some(v) => match v.trim().parse::<usize>() {
            Ok(n @ 1..=10000) => n,
            _ => return Err(Error::InvalidArgument),
        },
        None => usize::MAX,
    };
    let prefix = q.get("prefix").unwrap_or("");
    let after = q.get("continuation-token").unwrap_or("");
    let (id, name, buckets) = match &req.caller.user {
        Some(u) => (
            u.uid.to_string(),
            u.display_name.clone(),
            app.buckets
                .of_user(&req.caller.owner_id().unwrap_or_default())
                .await?,
        ),
        None => ("anonymous".to_string(), String::new(), Vec::new()),
    };
    let mut listed = buckets
        .iter()
        .filter(|b| b.name.starts_with(prefix) && b.name.as_str() > after);
    let mut x = Xml::new();
    x.open_ns("ListAllMyBucketsResult");
    x.open("Owner");
    x.elem("ID", &id);
    x.elem("DisplayName", &name);
    x.close("Owner");
    x.open("Buckets");
    let mut last = None;
    for b in listed.by_ref().take(max) {
        x.open("Bucket");
        x.elem("Name", &b.name);
        x.elem("CreationDate", &iso_ms(b.creation_us));
        x.close("Bucket");
        last = Some(b.name.as_str());
    }
    x.close("Buckets");
    if let (Some(last), Some(_)) = (last, listed.next()) {
        x.elem("ContinuationToken", last);
    }
    if q.get("prefix").is_some() {
        x.elem("Prefix", prefix);
    }
    x.close("ListAllMyBucketsResult");
    let doc = x.finish();
    // radosgw streams this listing in three chunks (up to `<Buckets>`, the buckets, the
    // rest) and its usage log counts their framing.
    let head = doc.find("<Buckets>").map_or(0, |i| i + "<Buckets>".len());
    let tail = doc.rfind("</Buckets>").map_or(0, |i| doc.len() - i);
    let parts = [head, doc.len() - head - tail, tail];
    Ok(with_wire_extra(app, Reply::xml(doc), &parts))
}

/// At the pacific level, note on the reply the chunked framing radosgw 16 would have sent
/// around these body parts, which its usage log counts as bytes sent. Nothing extra is
/// sent.
pub fn with_wire_extra(app: &App, mut r: Reply, parts: &[usize]) -> Reply {
    if app.cfg.compat == crate::config::Compat::Pacific {
        let framing: usize = parts
            .iter()
            .filter(|&&n| n > 0)
            .map(|n| format!("{n:x}").len() + 4)
            .sum::<usize>()
            + "0\r\n\r\n".len();
        r.wire_extra = framing as u64;
    }
    r
}

fn new_bucket(app: &App, req: &S3Request, owner: &str, acl: crate::domain::acl::Acl) -> Bucket {
    let now = crate::clock::now_us();
    let id = format!(
        "{}.{}.{}",
        app.cluster_id,
        app.instance_id,
        rand::random::<u32>() as u64 + 1
    );
    Bucket {
        name: req.bucket.clone(),
        tenant: req.caller.tenant().to_string(),
        id: id.clone(),
        marker: id,
        owner: owner.to_string(),
        creation_us: now,
        mtime_us: now,
        placement_rule: PLACEMENT.into(),
        quota: app.default_bucket_quota(),
        acl,
        ver: 1,
        tag: crate::keys::random_tag(),
        entry: Some(crate::domain::buckets::EntryPoint::new(1, now)),
        ratelimit: Default::default(),
        tags: None,
        cors: None,
        policy: None,
        parsed_policy: Default::default(),
        lifecycle: None,
        public_access: None,
        requester_pays: false,
        versioning: None,
        object_lock: None,
        data: None,
    }
}

pub async fn create(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    authz::create_bucket(&req.caller)?;
    let user = req.caller.user.clone().ok_or(Error::AccessDenied)?;
    if !valid_name(&req.bucket, app.cfg.relaxed_bucket_names) {
        return Err(Error::InvalidBucketName);
    }
    check_location(&body)?;
    let locked = super::object_lock::asked_on_create(&req.headers)?;
    // An account's user creates buckets the account owns (radosgw 19).
    let uid = req
        .caller
        .owner_id()
        .unwrap_or_else(|| user.uid.to_string());
    let account = match user.iam.account_id.as_str() {
        "" => None,
        id => Some(
            app.accounts
                .load(id)
                .await
                .map_err(|_| Error::AccessDenied)?,
        ),
    };
    let acl = acl::from_request_headers(app, req, &uid, &uid)
        .await?
        .unwrap_or_else(|| {
            crate::domain::acl::Acl::canned(crate::domain::acl::Canned::Private, &uid, &uid)
        });
    if let Some(existing) = &req.target {
        // radosgw answers a repeated create by the owner with 200 when the request's ACL is
        // the bucket's (it refuses to change a policy this way), otherwise and to anyone
        // else with 409.
        return if existing.owner == uid && existing.acl.for_owner(&uid).same_grants(&acl) {
            Ok(Reply::empty(StatusCode::OK))
        } else {
            Err(Error::BucketAlreadyExists)
        };
    }
    let owned = app.buckets.count_of_user(&uid).await?;
    let max_buckets = account.as_ref().map_or(user.max_buckets, |a| a.max_buckets);
    if max_buckets < 0 || (max_buckets > 0 && owned >= max_buckets as usize) {
        return Err(Error::TooManyBuckets);
    }
    let mut b = new_bucket(app, req, &uid, acl.clone());
    if locked {
        // Object lock keeps versions: radosgw turns versioning on with it, for good.
        b.object_lock = Some(Default::default());
        b.versioning = Some(Versioning::Enabled);
    }
    match app.buckets.create(b).await? {
        Some(_) => Ok(Reply::empty(StatusCode::OK)),
        None => match app.buckets.get(&req.bucket_key()).await? {
            Some(e) if e.owner == uid && e.acl.for_owner(&uid).same_grants(&acl) => {
                Ok(Reply::empty(StatusCode::OK))
            }
            _ => Err(Error::BucketAlreadyExists),
        },
    }
}

/// The zonegroup's name (its S3 api name: GetBucketLocation's answer) and its one placement
/// target, as in a single-zone radosgw.
const ZONEGROUP: &str = "default";
const PLACEMENT: &str = "default-placement";

/// CreateBucket's configuration, as radosgw 16.2.15 reads it (probed): no body is none;
/// any other (blanks included) must be a `CreateBucketConfiguration` with a
/// `LocationConstraint` (`InvalidArgument`), and that is empty or `<api>[:<placement>]`,
/// the api the zonegroup's (`default`) or empty, the placement the one there is
/// (`default-placement`) or empty (`InvalidLocationConstraint`), also for a bucket that
/// exists. A client's region (`us-east-1`, `EU`) is not a zonegroup here, as in radosgw.
fn check_location(body: &[u8]) -> Result<()> {
    if body.is_empty() {
        return Ok(());
    }
    let lc = crate::encode::s3_read::create_bucket_configuration(body)
        .map_err(|_| Error::InvalidArgument)?;
    let (api, placement) = lc.split_once(':').unwrap_or((&lc, ""));
    if !api.is_empty() && api != ZONEGROUP {
        let e = Error::InvalidLocationConstraint;
        return Err(e.saying("The specified location-constraint is not valid"));
    }
    if !placement.is_empty() && placement != PLACEMENT {
        let e = Error::InvalidLocationConstraint;
        return Err(e.saying("The specified placement target does not exist"));
    }
    Ok(())
}

/// HEAD bucket, with radosgw's usage headers (and, for the owner, its quota headers).
pub async fn head(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:ListBucket");
    authz::s3(&asked, &b.owner, &b.acl, perm::READ, OpKind::Read)?;
    let stats = app.buckets.stats(&b.data_key()).await?;
    let h = |n: &'static str| http::HeaderName::from_static(n);
    let mut r = Reply::new(StatusCode::OK)
        .header(h("x-rgw-object-count"), stats.num_objects.to_string())
        .header(h("x-rgw-bytes-used"), stats.size.to_string());
    let owner = req
        .caller
        .user
        .as_ref()
        .filter(|u| u.uid.to_string() == b.owner);
    if let Some(u) = owner {
        let q = |q: &crate::model::Quota, size: bool| {
            let v = if !q.enabled {
                -1
            } else if size {
                q.max_size
            } else {
                q.max_objects
            };
            v.to_string()
        };
        r = r
            .header(h("x-rgw-quota-user-size"), q(&u.user_quota, true))
            .header(h("x-rgw-quota-user-objects"), q(&u.user_quota, false))
            .header(h("x-rgw-quota-max-buckets"), u.max_buckets.to_string())
            .header(h("x-rgw-quota-bucket-size"), q(&b.quota, true))
            .header(h("x-rgw-quota-bucket-objects"), q(&b.quota, false));
    }
    Ok(r.header(http::header::CONTENT_LENGTH, "0"))
}

pub async fn delete(app: &App, req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    // Only the owner may delete a bucket, whatever its ACL grants.
    authz::owner_only(
        &req.asked(&b, None, "s3:DeleteBucket"),
        &b.owner,
        OpKind::Delete,
    )?;
    crate::domain::uploads::remove_bucket(&app.buckets, &app.objects, &app.uploads, &b).await?;
    Ok(Reply::empty(StatusCode::NO_CONTENT))
}

/// Change one of a bucket's own settings (its tags, CORS rules, policy): the owner's (or
/// whom the bucket policy allows `action`), checked before `parse` looks at the body;
/// `apply` stores what `parse` made.
pub async fn change_as_owner<T: Clone>(
    app: &App,
    req: &S3Request,
    action: &'static str,
    parse: impl FnOnce(&Bucket) -> Result<T>,
    apply: impl Fn(&mut Bucket, T),
) -> Result<()> {
    let b = req.bucket()?;
    authz::owner_only(&req.asked(&b, None, action), &b.owner, OpKind::Write)?;
    let value = parse(&b)?;
    app.buckets
        .modify(&b.key(), |nb, _| {
            apply(nb, value.clone());
            Ok(())
        })
        .await?;
    Ok(())
}

/// GetBucketLocation: the zonegroup's name, as radosgw answers it.
pub fn location(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetBucketLocation");
    authz::s3(&asked, &b.owner, &b.acl, perm::READ, OpKind::Read)?;
    let mut x = Xml::new();
    x.open_ns("LocationConstraint");
    x.raw(ZONEGROUP);
    x.close("LocationConstraint");
    // radosgw sends this one document without a Content-Type.
    let mut r = Reply::new(StatusCode::OK);
    r.body = super::ReplyBody::Xml(x.finish());
    Ok(r)
}

/// GetBucketVersioning: empty until versioning is first set, then its status (MFA delete is
/// never on).
pub fn versioning(req: &S3Request) -> Result<Reply> {
    let b = req.bucket()?;
    let asked = req.asked(&b, None, "s3:GetBucketVersioning");
    authz::s3(&asked, &b.owner, &b.acl, perm::READ, OpKind::Read)?;
    let mut x = Xml::new();
    x.open_ns("VersioningConfiguration");
    if let Some(v) = b.versioning {
        x.elem("Status", v.status());
        x.elem("MfaDelete", "Disabled");
    }
    x.close("VersioningConfiguration");
    Ok(Reply::xml(x.finish()))
}

/// PutBucketVersioning: `Enabled` or `Suspended` (case as written), the owner's alone. Any
/// other document is `InvalidArgument`, as radosgw 16.2.15 answers it (probed: bad or
/// missing status, wrong root, malformed XML); MFA delete cannot be turned on
/// (`AccessDenied`: no MFA device could ever authorise it).
pub async fn put_versioning(app: &App, req: &S3Request, body: Bytes) -> Result<Reply> {
    let parse = |b: &Bucket| {
        let (status, mfa) = crate::encode::s3_read::versioning_configuration(&body)
            .map_err(|_| Error::InvalidArgument)?;
        if mfa.as_deref() == Some("Enabled") {
            return Err(Error::AccessDenied);
        }
        match status.as_deref() {
            Some("Enabled") => Ok(Versioning::Enabled),
            Some("Suspended") if b.object_lock.is_some() => Err(Error::InvalidBucketState.saying(
                "bucket versioning cannot be disabled on buckets with object lock enabled",
            )),
            Some("Suspended") => Ok(Versioning::Suspended),
            _ => Err(Error::InvalidArgument),
        }
    };
    let set = |b: &mut Bucket, v: Versioning| b.versioning = Some(v);
    change_as_owner(app, req, "s3:PutBucketVersioning", parse, set).await?;
    Ok(Reply::empty(StatusCode::OK).header(http::header::CONTENT_TYPE, "application/xml"))
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "alice-bucket-1", "a.b-c", "123", &"a".repeat(63)] {
            assert!(valid_name(ok, false), "{ok}");
            assert!(valid_name(ok, true), "{ok}");
        }
        for bad in [
            "ab",
            "Abc",
            "-abc",
            "abc-",
            "a..b",
            "a-.b",
            "a.-b",
            "a_b",
            "abc.",
            "192.168.1.1",
            &"a".repeat(64),
        ] {
            assert!(!valid_name(bad, false), "{bad}");
        }
    }

    /// What radosgw's `rgw_relaxed_s3_bucket_names` admits, and what it still refuses.
    #[test]
    fn relaxed_bucket_names() {
        for ok in [
            "Abc",
            "ABC_def",
            "_abc",
            ".abc",
            "-abc",
            "abc-",
            "abc.",
            "abc_",
            "a..b",
            "a-.b",
            &"a".repeat(64),
            &"B".repeat(255),
        ] {
            assert!(valid_name(ok, true), "{ok}");
        }
        for bad in [
            "ab",
            &"a".repeat(256),
            "a b",
            "a/b",
            "a:b",
            "a+b",
            "ab\u{e9}",
            "~abc",
            "192.168.1.1",
        ] {
            assert!(!valid_name(bad, true), "{bad}");
        }
    }
}
