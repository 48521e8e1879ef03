//! `bucket list|stats|rm|link|unlink|check|limit check`, `object rm` and `policy`: each the op and the
//! request the HTTP API parses for it (`/admin/bucket`, its `?index`, `?policy`, `?object`).

use clap::Subcommand;

use crate::ops::bucket::{
    BucketName, IndexReq, InfoReq, LinkReq, ObjectRemoveReq, PolicyReq, RemoveReq,
};
use crate::ops::bucket_limit::LimitCheckReq;
use crate::ops::bucket_objects::ListReq;
use crate::ops::{AdminOp, Request};

#[derive(Subcommand, Debug)]
pub enum BucketCmd {
    /// Bucket names: every bucket, or the user's (`GET /admin/bucket[?uid=]`); with
    /// --bucket, that bucket's objects as radosgw-admin lists them (its index entries).
    List {
        #[arg(long)]
        uid: Option<String>,
        #[arg(long)]
        bucket: Option<String>,
        /// With --bucket: at most this many objects (default 1000).
        #[arg(long)]
        max_entries: Option<u32>,
        /// With --bucket: start after this object name.
        #[arg(long)]
        marker: Option<String>,
    },
    /// One bucket's info with usage, or (without --bucket) every bucket's, or the user's
    /// (`GET /admin/bucket?stats=true[&bucket=][&uid=]`).
    Stats {
        #[arg(long)]
        bucket: Option<String>,
        #[arg(long)]
        uid: Option<String>,
    },
    /// Remove a bucket (`DELETE /admin/bucket`); refused if not empty without --purge-objects.
    Rm {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        purge_objects: bool,
    },
    /// Link a bucket to a user (`PUT /admin/bucket`).
    Link {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        uid: String,
        #[arg(long)]
        bucket_id: Option<String>,
        /// Rename the bucket as it is linked (`[tenant/]name`).
        #[arg(long)]
        bucket_new_name: Option<String>,
    },
    /// Unlink a bucket from its user (`POST /admin/bucket`).
    Unlink {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        uid: String,
    },
    /// `limit check`: how full each bucket's index is, per user (radosgw-admin's; no HTTP op).
    #[command(subcommand)]
    Limit(LimitCmd),
    /// Check (and with --fix repair) the bucket index (`GET /admin/bucket?index`).
    Check {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        fix: bool,
        #[arg(long)]
        check_objects: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum LimitCmd {
    /// Objects per index shard of every bucket (of --uid's), against radosgw's safe maximum.
    Check {
        #[arg(long)]
        uid: Option<String>,
        /// Only the buckets at WARN or OVER.
        #[arg(long)]
        warnings_only: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum ObjectCmd {
    /// Remove one object (`DELETE /admin/bucket?object`).
    Rm {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        object: String,
    },
}

fn name(bucket: &str, uid: Option<&String>) -> BucketName {
    BucketName {
        bucket: Some(bucket.to_string()),
        tenant: None,
        uid: uid.cloned(),
    }
}

/// The HTTP op a command is; `None` for `limit check`, which has none.
pub fn request(c: &BucketCmd) -> Option<(AdminOp, Request)> {
    Some(match c {
        BucketCmd::Limit(_) => return None,
        BucketCmd::List { uid, .. } => (
            AdminOp::BucketInfo,
            Request::BucketInfo(InfoReq {
                name: BucketName {
                    uid: uid.clone(),
                    ..Default::default()
                },
                stats: false,
                page: None,
            }),
        ),
        BucketCmd::Stats { bucket, uid } => (
            AdminOp::BucketInfo,
            Request::BucketInfo(InfoReq {
                name: BucketName {
                    bucket: bucket.clone(),
                    tenant: None,
                    uid: uid.clone(),
                },
                stats: true,
                page: None,
            }),
        ),
        BucketCmd::Rm {
            bucket,
            purge_objects,
        } => (
            AdminOp::BucketRemove,
            Request::BucketRemove(RemoveReq {
                name: name(bucket, None),
                purge_objects: *purge_objects,
            }),
        ),
        BucketCmd::Link {
            bucket,
            uid,
            bucket_id,
            bucket_new_name,
        } => (
            AdminOp::BucketLink,
            Request::BucketLink(LinkReq {
                name: name(bucket, Some(uid)),
                bucket_id: bucket_id.clone(),
                new_name: bucket_new_name.clone(),
            }),
        ),
        BucketCmd::Unlink { bucket, uid } => (
            AdminOp::BucketUnlink,
            Request::BucketUnlink(LinkReq {
                name: name(bucket, Some(uid)),
                bucket_id: None,
                new_name: None,
            }),
        ),
        BucketCmd::Check {
            bucket,
            fix,
            check_objects,
        } => (
            AdminOp::BucketIndex,
            Request::BucketIndex(IndexReq {
                name: name(bucket, None),
                fix: *fix,
                check_objects: *check_objects,
            }),
        ),
    })
}

/// The bucket commands radosgw-admin prints as an array an item at a time and no HTTP op
/// serves: `limit check` and `list --bucket` (see `ops::bucket_limit`,
/// `ops::bucket_objects`).
pub enum Listing {
    Limit(LimitCheckReq),
    Objects(ListReq),
}

pub fn listing(c: &BucketCmd) -> Option<Listing> {
    match c {
        BucketCmd::Limit(LimitCmd::Check { uid, warnings_only }) => {
            Some(Listing::Limit(LimitCheckReq {
                uid: uid.clone(),
                warnings_only: *warnings_only,
            }))
        }
        BucketCmd::List {
            uid,
            bucket: Some(b),
            max_entries,
            marker,
        } => Some(Listing::Objects(ListReq {
            name: name(b, uid.as_ref()),
            marker: marker.clone(),
            max_entries: *max_entries,
        })),
        _ => None,
    }
}

pub fn request_object(c: &ObjectCmd) -> (AdminOp, Request) {
    let ObjectCmd::Rm { bucket, object } = c;
    (
        AdminOp::ObjectRemove,
        Request::ObjectRemove(ObjectRemoveReq {
            name: name(bucket, None),
            object: Some(object.clone()),
        }),
    )
}

pub fn request_policy(bucket: &str, object: &Option<String>) -> (AdminOp, Request) {
    (
        AdminOp::BucketPolicy,
        Request::BucketPolicy(PolicyReq {
            name: name(bucket, None),
            object: object.clone(),
        }),
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{request, Cli};
    use crate::ops::{AdminOp, Request};

    fn req(args: &[&str]) -> (AdminOp, Request) {
        let cli = Cli::try_parse_from(std::iter::once("rgw-admin").chain(args.iter().copied()))
            .expect("parses");
        request(&cli.cmd).ok().flatten().expect("an admin op")
    }

    #[test]
    fn bucket_commands_build_the_http_requests() {
        let (op, r) = req(&["bucket", "list", "--uid", "u"]);
        assert_eq!(op, AdminOp::BucketInfo);
        let Request::BucketInfo(r) = r else { panic!() };
        assert_eq!(
            (r.name.uid.as_deref(), r.name.bucket, r.stats),
            (Some("u"), None, false)
        );

        let (op, r) = req(&["bucket", "stats", "--bucket", "b"]);
        assert_eq!(op, AdminOp::BucketInfo);
        let Request::BucketInfo(r) = r else { panic!() };
        assert_eq!((r.name.bucket.as_deref(), r.stats), (Some("b"), true));

        let (op, r) = req(&["bucket", "rm", "--bucket", "b", "--purge-objects"]);
        assert_eq!(op, AdminOp::BucketRemove);
        let Request::BucketRemove(r) = r else {
            panic!()
        };
        assert!(r.purge_objects);

        let (op, r) = req(&[
            "bucket",
            "link",
            "--bucket",
            "b",
            "--uid",
            "u",
            "--bucket-id",
            "i",
            "--bucket-new-name",
            "t/n",
        ]);
        assert_eq!(op, AdminOp::BucketLink);
        let Request::BucketLink(r) = r else { panic!() };
        assert_eq!(
            (
                r.name.bucket.as_deref(),
                r.name.uid.as_deref(),
                r.bucket_id.as_deref(),
                r.new_name.as_deref()
            ),
            (Some("b"), Some("u"), Some("i"), Some("t/n"))
        );

        let (op, _) = req(&["bucket", "unlink", "--bucket", "b", "--uid", "u"]);
        assert_eq!(op, AdminOp::BucketUnlink);

        let (op, r) = req(&["bucket", "check", "--bucket", "b", "--fix"]);
        assert_eq!(op, AdminOp::BucketIndex);
        let Request::BucketIndex(r) = r else { panic!() };
        assert_eq!((r.fix, r.check_objects), (true, false));

        let (op, r) = req(&["object", "rm", "--bucket", "b", "--object", "o"]);
        assert_eq!(op, AdminOp::ObjectRemove);
        let Request::ObjectRemove(r) = r else {
            panic!()
        };
        assert_eq!(r.object.as_deref(), Some("o"));

        let (op, r) = req(&["policy", "--bucket", "b", "--object", "o"]);
        assert_eq!(op, AdminOp::BucketPolicy);
        let Request::BucketPolicy(r) = r else {
            panic!()
        };
        assert_eq!(
            (r.name.bucket.as_deref(), r.object.as_deref()),
            (Some("b"), Some("o"))
        );
    }
}
