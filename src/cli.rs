//! radosgw-admin-style commands on the same store and through the same ops as the HTTP API,
//! so they print the same JSON (indented, as radosgw-admin does).

use std::path::PathBuf;

use bytes::Bytes;
use clap::{Args, Parser, Subcommand};

use crate::app::App;
use crate::config::Compat;
use crate::encode::json::render_pretty;
use crate::http::Ctx;
use crate::ops::{self, Reply};
use crate::router::Op;

pub mod bucket;

#[derive(Parser, Debug)]
#[command(
    name = "rgw-admin",
    version,
    about = "Ceph RGW Admin Ops compatible gateway"
)]
pub struct Cli {
    /// TOML config file (see conf/rgw-admin.toml).
    #[arg(long, global = true, env = "RGW_ADMIN_CONFIG")]
    pub config: Option<PathBuf>,
    /// Store directory (default ./data).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// radosgw release to imitate: pacific, quincy or reef.
    #[arg(long, global = true)]
    pub compat: Option<Compat>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run the gateway.
    Serve {
        /// Address to listen on (default 127.0.0.1:7480).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Users: create, info, modify, rm, list, suspend, enable.
    #[command(subcommand)]
    User(UserCmd),
    /// Subusers: create, modify, rm.
    #[command(subcommand)]
    Subuser(SubuserCmd),
    /// S3 and Swift keys: create, rm.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Admin caps: add, rm.
    #[command(subcommand)]
    Caps(CapsCmd),
    /// User and bucket quotas of a user: get, set, enable, disable.
    #[command(subcommand)]
    Quota(QuotaCmd),
    /// Buckets: list, stats, rm, link, unlink, check.
    #[command(subcommand)]
    Bucket(bucket::BucketCmd),
    /// Objects: rm.
    #[command(subcommand)]
    Object(bucket::ObjectCmd),
    /// A bucket's (or an object's) access policy.
    Policy {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        object: Option<String>,
    },
    /// Rate limits of a user, a bucket, or the global ones: get, set, enable, disable.
    #[command(subcommand)]
    Ratelimit(RatelimitCmd),
    /// The usage log: show, trim.
    #[command(subcommand)]
    Usage(UsageCmd),
}

#[derive(Args, Debug, Default)]
pub struct UserArgs {
    #[arg(long)]
    uid: String,
    #[arg(long)]
    display_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    tenant: Option<String>,
    /// s3 (default) or swift.
    #[arg(long)]
    key_type: Option<String>,
    #[arg(long)]
    access_key: Option<String>,
    #[arg(long)]
    secret_key: Option<String>,
    /// Generate an S3 key pair (create: default true unless keys are given).
    #[arg(long)]
    gen_access_key: bool,
    /// Do not generate a key on create.
    #[arg(long)]
    no_key: bool,
    /// Admin caps, e.g. "users=*;buckets=read".
    #[arg(long)]
    caps: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    max_buckets: Option<i32>,
    #[arg(long)]
    suspended: Option<bool>,
    #[arg(long)]
    system: Option<bool>,
    #[arg(long)]
    op_mask: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum UserCmd {
    Create(UserArgs),
    Modify(UserArgs),
    Info {
        #[arg(long)]
        uid: Option<String>,
        #[arg(long)]
        access_key: Option<String>,
        #[arg(long)]
        stats: bool,
    },
    Rm {
        #[arg(long)]
        uid: String,
        #[arg(long)]
        purge_data: bool,
    },
    List {
        #[arg(long)]
        max_entries: Option<u32>,
        #[arg(long)]
        marker: Option<String>,
    },
    Suspend {
        #[arg(long)]
        uid: String,
    },
    Enable {
        #[arg(long)]
        uid: String,
    },
}

#[derive(Args, Debug)]
pub struct SubuserArgs {
    #[arg(long)]
    uid: Option<String>,
    /// `uid:name` or `name`.
    #[arg(long)]
    subuser: String,
    /// read, write, readwrite or full.
    #[arg(long)]
    access: Option<String>,
    /// swift (default) or s3.
    #[arg(long)]
    key_type: Option<String>,
    #[arg(long)]
    access_key: Option<String>,
    #[arg(long)]
    secret_key: Option<String>,
    #[arg(long)]
    gen_secret: bool,
}

#[derive(Subcommand, Debug)]
pub enum SubuserCmd {
    Create(SubuserArgs),
    Modify(SubuserArgs),
    Rm {
        #[arg(long)]
        uid: Option<String>,
        #[arg(long)]
        subuser: String,
        #[arg(long)]
        purge_keys: Option<bool>,
    },
}

#[derive(Args, Debug)]
pub struct KeyArgs {
    #[arg(long)]
    uid: Option<String>,
    #[arg(long)]
    subuser: Option<String>,
    /// s3 or swift (default: swift with --subuser, else s3).
    #[arg(long)]
    key_type: Option<String>,
    #[arg(long)]
    access_key: Option<String>,
    #[arg(long)]
    secret_key: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    Create(KeyArgs),
    Rm(KeyArgs),
}

#[derive(Subcommand, Debug)]
pub enum CapsCmd {
    Add {
        #[arg(long)]
        uid: String,
        #[arg(long)]
        caps: String,
    },
    Rm {
        #[arg(long)]
        uid: String,
        #[arg(long)]
        caps: String,
    },
}

#[derive(Args, Debug)]
pub struct QuotaArgs {
    #[arg(long)]
    uid: String,
    /// user or bucket.
    #[arg(long)]
    quota_scope: String,
    #[arg(long, allow_hyphen_values = true)]
    max_size: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    max_objects: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub enum QuotaCmd {
    Get {
        #[arg(long)]
        uid: String,
        #[arg(long)]
        quota_scope: Option<String>,
    },
    Set(QuotaArgs),
    Enable(QuotaArgs),
    Disable(QuotaArgs),
}

#[derive(Args, Debug)]
pub struct RatelimitArgs {
    /// user or bucket (with --global also anon).
    #[arg(long)]
    ratelimit_scope: Option<String>,
    #[arg(long)]
    uid: Option<String>,
    #[arg(long)]
    bucket: Option<String>,
    /// The global limits instead of one user's or bucket's.
    #[arg(long)]
    global: bool,
    #[arg(long, allow_hyphen_values = true)]
    max_read_ops: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    max_write_ops: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    max_read_bytes: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    max_write_bytes: Option<i64>,
}

#[derive(Subcommand, Debug)]
pub enum RatelimitCmd {
    Get(RatelimitArgs),
    Set(RatelimitArgs),
    Enable(RatelimitArgs),
    Disable(RatelimitArgs),
}

#[derive(Args, Debug)]
pub struct UsageArgs {
    #[arg(long)]
    uid: Option<String>,
    #[arg(long)]
    bucket: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or unix seconds.
    #[arg(long)]
    start_date: Option<String>,
    #[arg(long)]
    end_date: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum UsageCmd {
    Show {
        #[command(flatten)]
        a: UsageArgs,
        /// Categories to show, e.g. "put_obj,get_obj".
        #[arg(long)]
        categories: Option<String>,
        #[arg(long)]
        show_log_entries: Option<bool>,
        #[arg(long)]
        show_log_sum: Option<bool>,
    },
    Trim {
        #[command(flatten)]
        a: UsageArgs,
        /// Needed to trim every entry of every user.
        #[arg(long)]
        yes_i_really_mean_it: bool,
    },
}

type Params = Vec<(&'static str, String)>;

fn opt(p: &mut Params, k: &'static str, v: &Option<impl ToString>) {
    if let Some(v) = v {
        p.push((k, v.to_string()));
    }
}

fn user_params(a: &UserArgs, create: bool) -> Params {
    let mut p = vec![("uid", a.uid.clone())];
    opt(&mut p, "display-name", &a.display_name);
    opt(&mut p, "email", &a.email);
    opt(&mut p, "tenant", &a.tenant);
    opt(&mut p, "key-type", &a.key_type);
    opt(&mut p, "access-key", &a.access_key);
    opt(&mut p, "secret-key", &a.secret_key);
    opt(&mut p, "user-caps", &a.caps);
    opt(&mut p, "max-buckets", &a.max_buckets);
    opt(&mut p, "suspended", &a.suspended);
    opt(&mut p, "system", &a.system);
    opt(&mut p, "op-mask", &a.op_mask);
    if create && a.no_key {
        p.push(("generate-key", "false".into()));
    } else if a.gen_access_key {
        p.push(("generate-key", "true".into()));
    }
    p
}

/// The op and parameters a command stands for, exactly as the HTTP API would get them.
fn translate(cmd: &Cmd) -> Option<(Op, Params)> {
    Some(match cmd {
        Cmd::Serve { .. } => return None,
        Cmd::Bucket(c) => bucket::translate(c),
        Cmd::Object(c) => bucket::translate_object(c),
        Cmd::Policy { bucket, object } => bucket::translate_policy(bucket, object),
        Cmd::User(c) => match c {
            UserCmd::Create(a) => (Op::UserCreate, user_params(a, true)),
            UserCmd::Modify(a) => (Op::UserModify, user_params(a, false)),
            UserCmd::Info {
                uid,
                access_key,
                stats,
            } => {
                let mut p = Params::new();
                opt(&mut p, "uid", uid);
                opt(&mut p, "access-key", access_key);
                if *stats {
                    p.push(("stats", "true".into()));
                }
                (Op::UserInfo, p)
            }
            UserCmd::Rm { uid, purge_data } => (
                Op::UserRemove,
                vec![("uid", uid.clone()), ("purge-data", purge_data.to_string())],
            ),
            UserCmd::List {
                max_entries,
                marker,
            } => {
                let mut p = vec![("list", String::new())];
                opt(&mut p, "max-entries", max_entries);
                opt(&mut p, "marker", marker);
                (Op::UserList, p)
            }
            UserCmd::Suspend { uid } => (
                Op::UserModify,
                vec![("uid", uid.clone()), ("suspended", "true".into())],
            ),
            UserCmd::Enable { uid } => (
                Op::UserModify,
                vec![("uid", uid.clone()), ("suspended", "false".into())],
            ),
        },
        Cmd::Subuser(c) => match c {
            SubuserCmd::Create(a) | SubuserCmd::Modify(a) => {
                let mut p = Params::new();
                opt(&mut p, "uid", &a.uid);
                p.push(("subuser", a.subuser.clone()));
                opt(&mut p, "access", &a.access);
                opt(&mut p, "key-type", &a.key_type);
                opt(&mut p, "access-key", &a.access_key);
                opt(&mut p, "secret-key", &a.secret_key);
                if a.gen_secret {
                    p.push(("generate-secret", "true".into()));
                }
                let op = if matches!(c, SubuserCmd::Create(_)) {
                    Op::SubuserCreate
                } else {
                    Op::SubuserModify
                };
                (op, p)
            }
            SubuserCmd::Rm {
                uid,
                subuser,
                purge_keys,
            } => {
                let mut p = Params::new();
                opt(&mut p, "uid", uid);
                p.push(("subuser", subuser.clone()));
                opt(&mut p, "purge-keys", purge_keys);
                (Op::SubuserRemove, p)
            }
        },
        Cmd::Key(c) => {
            let (KeyCmd::Create(a) | KeyCmd::Rm(a)) = c;
            let mut p = Params::new();
            opt(&mut p, "uid", &a.uid);
            opt(&mut p, "subuser", &a.subuser);
            opt(&mut p, "key-type", &a.key_type);
            opt(&mut p, "access-key", &a.access_key);
            opt(&mut p, "secret-key", &a.secret_key);
            let op = if matches!(c, KeyCmd::Create(_)) {
                Op::KeyCreate
            } else {
                Op::KeyRemove
            };
            (op, p)
        }
        Cmd::Caps(c) => match c {
            CapsCmd::Add { uid, caps } => (
                Op::CapsAdd,
                vec![("uid", uid.clone()), ("user-caps", caps.clone())],
            ),
            CapsCmd::Rm { uid, caps } => (
                Op::CapsRemove,
                vec![("uid", uid.clone()), ("user-caps", caps.clone())],
            ),
        },
        Cmd::Quota(c) => match c {
            QuotaCmd::Get { uid, quota_scope } => {
                let mut p = vec![("uid", uid.clone())];
                opt(&mut p, "quota-type", quota_scope);
                (Op::UserQuotaGet, p)
            }
            QuotaCmd::Set(a) | QuotaCmd::Enable(a) | QuotaCmd::Disable(a) => {
                let mut p = vec![
                    ("uid", a.uid.clone()),
                    ("quota-type", a.quota_scope.clone()),
                ];
                opt(&mut p, "max-size", &a.max_size);
                opt(&mut p, "max-objects", &a.max_objects);
                match c {
                    QuotaCmd::Enable(_) => p.push(("enabled", "true".into())),
                    QuotaCmd::Disable(_) => p.push(("enabled", "false".into())),
                    _ => {}
                }
                (Op::UserQuotaSet, p)
            }
        },
        Cmd::Ratelimit(c) => {
            let (RatelimitCmd::Get(a)
            | RatelimitCmd::Set(a)
            | RatelimitCmd::Enable(a)
            | RatelimitCmd::Disable(a)) = c;
            let mut p = Params::new();
            opt(&mut p, "ratelimit-scope", &a.ratelimit_scope);
            opt(&mut p, "uid", &a.uid);
            opt(&mut p, "bucket", &a.bucket);
            if a.global {
                p.push(("global", "true".into()));
            }
            opt(&mut p, "max-read-ops", &a.max_read_ops);
            opt(&mut p, "max-write-ops", &a.max_write_ops);
            opt(&mut p, "max-read-bytes", &a.max_read_bytes);
            opt(&mut p, "max-write-bytes", &a.max_write_bytes);
            match c {
                RatelimitCmd::Get(_) => return Some((Op::RatelimitGet, p)),
                RatelimitCmd::Enable(_) => p.push(("enabled", "true".into())),
                RatelimitCmd::Disable(_) => p.push(("enabled", "false".into())),
                RatelimitCmd::Set(_) => {}
            }
            (Op::RatelimitSet, p)
        }
        Cmd::Usage(c) => {
            let (UsageCmd::Show { a, .. } | UsageCmd::Trim { a, .. }) = c;
            let mut p = Params::new();
            opt(&mut p, "uid", &a.uid);
            opt(&mut p, "bucket", &a.bucket);
            opt(&mut p, "start", &a.start_date);
            opt(&mut p, "end", &a.end_date);
            match c {
                UsageCmd::Show {
                    categories,
                    show_log_entries,
                    show_log_sum,
                    ..
                } => {
                    opt(&mut p, "categories", categories);
                    opt(&mut p, "show-entries", show_log_entries);
                    opt(&mut p, "show-summary", show_log_sum);
                    (Op::UsageGet, p)
                }
                UsageCmd::Trim {
                    yes_i_really_mean_it,
                    ..
                } => {
                    if *yes_i_really_mean_it {
                        p.push(("remove-all", "true".into()));
                    }
                    (Op::UsageTrim, p)
                }
            }
        }
    })
}

/// Run one admin command on `app`; prints the result and returns the exit code.
pub async fn run(app: &App, cmd: &Cmd) -> i32 {
    let Some((op, params)) = translate(cmd) else {
        return 2;
    };
    let ctx = Ctx::internal(op, None, &params, Bytes::new());
    match ops::dispatch(app, &ctx).await {
        Ok(Reply::Doc(doc)) => {
            print!("{}", render_pretty(&doc.node, app.style()));
            0
        }
        Ok(_) => 0,
        Err(e) => {
            eprintln!(
                "rgw-admin: {} (HTTP {} {})",
                op.name(),
                e.status(),
                e.code()
            );
            1
        }
    }
}
