//! `bucket list|stats|rm|link|unlink|check`, `object rm` and `policy`: each the op and the
//! parameters the HTTP API gets for it (`/admin/bucket`, its `?index`, `?policy`, `?object`).

use clap::Subcommand;

use super::{opt, Params};
use crate::router::Op;

#[derive(Subcommand, Debug)]
pub enum BucketCmd {
    /// Bucket names: every bucket, or the user's (`GET /admin/bucket[?uid=]`).
    List {
        #[arg(long)]
        uid: Option<String>,
    },
    /// One bucket's info with usage (`GET /admin/bucket?bucket=&stats=true`).
    Stats {
        #[arg(long)]
        bucket: String,
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
    },
    /// Unlink a bucket from its user (`POST /admin/bucket`).
    Unlink {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        uid: String,
    },
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
pub enum ObjectCmd {
    /// Remove one object (`DELETE /admin/bucket?object`).
    Rm {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        object: String,
    },
}

pub fn translate(c: &BucketCmd) -> (Op, Params) {
    match c {
        BucketCmd::List { uid } => {
            let mut p = Params::new();
            opt(&mut p, "uid", uid);
            (Op::BucketInfo, p)
        }
        BucketCmd::Stats { bucket } => (
            Op::BucketInfo,
            vec![("bucket", bucket.clone()), ("stats", "true".into())],
        ),
        BucketCmd::Rm {
            bucket,
            purge_objects,
        } => (
            Op::BucketRemove,
            vec![
                ("bucket", bucket.clone()),
                ("purge-objects", purge_objects.to_string()),
            ],
        ),
        BucketCmd::Link {
            bucket,
            uid,
            bucket_id,
        } => {
            let mut p = vec![("bucket", bucket.clone()), ("uid", uid.clone())];
            opt(&mut p, "bucket-id", bucket_id);
            (Op::BucketLink, p)
        }
        BucketCmd::Unlink { bucket, uid } => (
            Op::BucketUnlink,
            vec![("bucket", bucket.clone()), ("uid", uid.clone())],
        ),
        BucketCmd::Check {
            bucket,
            fix,
            check_objects,
        } => (
            Op::BucketIndex,
            vec![
                ("index", String::new()),
                ("bucket", bucket.clone()),
                ("check-objects", check_objects.to_string()),
                ("fix", fix.to_string()),
            ],
        ),
    }
}

pub fn translate_object(c: &ObjectCmd) -> (Op, Params) {
    let ObjectCmd::Rm { bucket, object } = c;
    (
        Op::ObjectRemove,
        vec![("bucket", bucket.clone()), ("object", object.clone())],
    )
}

pub fn translate_policy(bucket: &str, object: &Option<String>) -> (Op, Params) {
    let mut p = vec![("policy", String::new()), ("bucket", bucket.to_string())];
    opt(&mut p, "object", object);
    (Op::BucketPolicy, p)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::super::{translate, Cli};
    use crate::router::Op;

    fn tr(args: &[&str]) -> (Op, Vec<(&'static str, String)>) {
        let cli = Cli::try_parse_from(std::iter::once("rgw-admin").chain(args.iter().copied()))
            .expect("parses");
        translate(&cli.cmd).expect("an admin op")
    }

    fn p(v: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        v.iter().map(|(k, v)| (*k, v.to_string())).collect()
    }

    #[test]
    fn bucket_commands_map_to_the_http_ops() {
        assert_eq!(tr(&["bucket", "list"]), (Op::BucketInfo, vec![]));
        assert_eq!(
            tr(&["bucket", "list", "--uid", "u"]),
            (Op::BucketInfo, p(&[("uid", "u")]))
        );
        assert_eq!(
            tr(&["bucket", "stats", "--bucket", "b"]),
            (Op::BucketInfo, p(&[("bucket", "b"), ("stats", "true")]))
        );
        assert_eq!(
            tr(&["bucket", "rm", "--bucket", "b", "--purge-objects"]),
            (
                Op::BucketRemove,
                p(&[("bucket", "b"), ("purge-objects", "true")])
            )
        );
        assert_eq!(
            tr(&[
                "bucket",
                "link",
                "--bucket",
                "b",
                "--uid",
                "u",
                "--bucket-id",
                "i"
            ]),
            (
                Op::BucketLink,
                p(&[("bucket", "b"), ("uid", "u"), ("bucket-id", "i")])
            )
        );
        assert_eq!(
            tr(&["bucket", "unlink", "--bucket", "b", "--uid", "u"]),
            (Op::BucketUnlink, p(&[("bucket", "b"), ("uid", "u")]))
        );
        assert_eq!(
            tr(&["bucket", "check", "--bucket", "b", "--fix"]),
            (
                Op::BucketIndex,
                p(&[
                    ("index", ""),
                    ("bucket", "b"),
                    ("check-objects", "false"),
                    ("fix", "true")
                ])
            )
        );
        assert_eq!(
            tr(&["object", "rm", "--bucket", "b", "--object", "o"]),
            (Op::ObjectRemove, p(&[("bucket", "b"), ("object", "o")]))
        );
        assert_eq!(
            tr(&["policy", "--bucket", "b", "--object", "o"]),
            (
                Op::BucketPolicy,
                p(&[("policy", ""), ("bucket", "b"), ("object", "o")])
            )
        );
    }
}
