//! radosgw-admin-style commands on the same store and through the same ops as the HTTP API:
//! each command builds the op's typed request itself, and prints the same JSON (indented,
//! as radosgw-admin does).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::authz::Caller;
use crate::config::{Compat, StoreKind};
use crate::domain::App;
use crate::encode::json::{render_pretty, PrettyArray};
use crate::encode::Doc;
use crate::ops::{self, AdminOp, Reply, Request};

pub mod account;
mod args;
pub mod bucket;
mod lc;
pub mod metadata;

pub use args::*;

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
    /// radosgw release to imitate: pacific, quincy, reef or squid.
    #[arg(long, global = true)]
    pub compat: Option<Compat>,
    /// Metadata engine: rocksdb (in --data-dir) or etcd (etcd_endpoints, etcd_prefix).
    #[arg(long, global = true)]
    pub store: Option<StoreKind>,
    #[command(subcommand)]
    pub cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub enum Cmd {
    /// Run the gateway (creates the store on first start).
    Serve {
        /// Address to listen on (default 127.0.0.1:7480).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Create an empty store in --data-dir. Every command but `serve` and `init` refuses a
    /// directory that holds no store.
    Init,
    /// Configuration files: check.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Copy the store (a running server keeps serving) into a new directory.
    Backup {
        /// Where the backup goes: a new or empty directory.
        #[arg(long)]
        to: PathBuf,
    },
    /// Make a new store in --data-dir (absent or empty) from a backup.
    Restore {
        /// A directory written by `backup`.
        #[arg(long)]
        from: PathBuf,
    },
    /// Check the (stopped) store's records, indexes, stats and data files; exit 0 when
    /// consistent, 1 when not.
    Check {
        /// Repair what can be repaired without losing anything, then check again.
        #[arg(long)]
        fix: bool,
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
    /// Accounts (`--compat squid`): create, info, modify, rm.
    #[command(subcommand)]
    Account(account::AccountCmd),
    /// Buckets: list, stats, rm, link, unlink, check.
    #[command(subcommand)]
    Bucket(bucket::BucketCmd),
    /// Objects: rm.
    #[command(subcommand)]
    Object(bucket::ObjectCmd),
    /// Metadata entries (`user:<uid>`, `bucket:<name>`, ...): list, get, put, rm.
    #[command(subcommand)]
    Metadata(metadata::MetadataCmd),
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
    /// Bucket lifecycle rules: `process` runs a pass now (the server runs one every
    /// `lc_interval`), over every bucket or one; `get` shows a bucket's rules.
    #[command(subcommand)]
    Lc(LcCmd),
    /// Copy every record of one store into another, empty one (e.g. RocksDB in --data-dir
    /// to etcd). Object bytes stay where they are: point objects_dir at them.
    Migrate {
        #[arg(long)]
        from: StoreKind,
        #[arg(long)]
        to: StoreKind,
    },
}

/// The op a command stands for and its request, exactly as the HTTP API would parse them
/// (`None`: not an admin command; `Err`: its input could not be read).
fn request(cmd: &Cmd) -> Result<Option<(AdminOp, Request)>, String> {
    use crate::ops::{caps, key, quota, ratelimit, subuser, usage, user};
    let owned = |o: &Option<String>| o.clone();
    Ok(Some(match cmd {
        Cmd::Serve { .. }
        | Cmd::Init
        | Cmd::Config(_)
        | Cmd::Backup { .. }
        | Cmd::Restore { .. }
        | Cmd::Check { .. }
        | Cmd::Lc(_)
        | Cmd::Migrate { .. } => return Ok(None),
        Cmd::Account(c) => account::request(c),
        Cmd::Bucket(c) => match bucket::request(c) {
            Some(r) => r,
            None => return Ok(None),
        },
        Cmd::Object(c) => bucket::request_object(c),
        Cmd::Metadata(c) => metadata::request(c)?,
        Cmd::Policy { bucket, object } => bucket::request_policy(bucket, object),
        Cmd::User(c) => match c {
            UserCmd::Create(a) => (
                AdminOp::UserCreate,
                Request::UserCreate(user::CreateReq {
                    uid: Some(a.uid.clone()),
                    tenant: owned(&a.tenant),
                    display_name: owned(&a.display_name),
                    email: owned(&a.email),
                    caps: owned(&a.caps),
                    keys: a.key_params(true),
                    settings: a.settings(),
                }),
            ),
            UserCmd::Modify(a) => (
                AdminOp::UserModify,
                Request::UserModify(user::ModifyReq {
                    uid: Some(a.uid.clone()),
                    display_name: owned(&a.display_name),
                    email: owned(&a.email),
                    keys: a.key_params(false),
                    settings: a.settings(),
                }),
            ),
            UserCmd::Info {
                uid,
                access_key,
                stats,
            } => (
                AdminOp::UserInfo,
                Request::UserInfo(user::InfoReq {
                    uid: owned(uid),
                    access_key: owned(access_key),
                    stats: *stats,
                }),
            ),
            UserCmd::Rm { uid, purge_data } => (
                AdminOp::UserRemove,
                Request::UserRemove(user::RemoveReq {
                    uid: Some(uid.clone()),
                    purge_data: *purge_data,
                }),
            ),
            UserCmd::List {
                max_entries,
                marker,
            } => (
                AdminOp::UserList,
                Request::UserList(user::ListReq {
                    max_entries: max_entries.map(i64::from),
                    marker: owned(marker),
                }),
            ),
            UserCmd::Stats { .. } => return Ok(None),
            UserCmd::Suspend { uid } | UserCmd::Enable { uid } => (
                AdminOp::UserModify,
                Request::UserModify(user::ModifyReq {
                    uid: Some(uid.clone()),
                    settings: user::Settings {
                        suspended: Some(matches!(c, UserCmd::Suspend { .. })),
                        ..Default::default()
                    },
                    ..Default::default()
                }),
            ),
        },
        Cmd::Subuser(c) => match c {
            SubuserCmd::Create(a) | SubuserCmd::Modify(a) => {
                let r = subuser::SubuserReq {
                    uid: a
                        .uid
                        .clone()
                        .or_else(|| a.subuser.split_once(':').map(|(u, _)| u.to_string())),
                    subuser: Some(a.subuser.clone()),
                    access: owned(&a.access),
                    key_type: owned(&a.key_type),
                    access_key: owned(&a.access_key),
                    secret_key: owned(&a.secret_key),
                    generate_secret: a.gen_secret,
                };
                if matches!(c, SubuserCmd::Create(_)) {
                    (AdminOp::SubuserCreate, Request::SubuserCreate(r))
                } else {
                    (AdminOp::SubuserModify, Request::SubuserModify(r))
                }
            }
            SubuserCmd::Rm { uid, subuser, .. } => (
                AdminOp::SubuserRemove,
                Request::SubuserRemove(subuser::SubuserReq {
                    uid: uid
                        .clone()
                        .or_else(|| subuser.split_once(':').map(|(u, _)| u.to_string())),
                    subuser: Some(subuser.clone()),
                    ..Default::default()
                }),
            ),
        },
        Cmd::Key(c) => {
            let (KeyCmd::Create(a) | KeyCmd::Rm(a)) = c;
            let r = key::KeyReq {
                uid: a.uid.clone().or_else(|| {
                    a.subuser
                        .as_deref()
                        .and_then(|s| s.split_once(':'))
                        .map(|(u, _)| u.to_string())
                }),
                subuser: owned(&a.subuser),
                key_type: owned(&a.key_type),
                access_key: owned(&a.access_key),
                secret_key: owned(&a.secret_key),
                // Changing a key's state alone must not replace its secret.
                generate_key: if a.gen_access_key || a.gen_secret {
                    Some(true)
                } else {
                    a.active.map(|_| false)
                },
                active: a.active,
            };
            if matches!(c, KeyCmd::Create(_)) {
                (AdminOp::KeyCreate, Request::KeyCreate(r))
            } else {
                (AdminOp::KeyRemove, Request::KeyRemove(r))
            }
        }
        Cmd::Caps(c) => match c {
            CapsCmd::Add { uid, caps } => (
                AdminOp::CapsAdd,
                Request::CapsAdd(caps::CapsReq {
                    uid: Some(uid.clone()),
                    caps: Some(caps.clone()),
                }),
            ),
            CapsCmd::Rm { uid, caps } => (
                AdminOp::CapsRemove,
                Request::CapsRemove(caps::CapsReq {
                    uid: Some(uid.clone()),
                    caps: Some(caps.clone()),
                }),
            ),
        },
        Cmd::Quota(c) => match c {
            QuotaCmd::Get { uid, quota_scope } => (
                AdminOp::UserQuotaGet,
                Request::UserQuotaGet(quota::GetReq {
                    uid: Some(uid.clone()),
                    quota_type: owned(quota_scope),
                }),
            ),
            QuotaCmd::Set(a) | QuotaCmd::Enable(a) | QuotaCmd::Disable(a) => {
                let enabled = match c {
                    QuotaCmd::Enable(_) => Some(true),
                    QuotaCmd::Disable(_) => Some(false),
                    _ => None,
                };
                match &a.bucket {
                    Some(b) => {
                        if a.quota_scope != "bucket" {
                            return Err(
                                "--bucket sets a bucket's quota: --quota-scope bucket".into()
                            );
                        }
                        // The JSON form, so a size keeps its bytes (the query form is KiB).
                        let mut body = serde_json::Map::new();
                        let mut put = |k: &str, v: Option<serde_json::Value>| {
                            if let Some(v) = v {
                                body.insert(k.to_string(), v);
                            }
                        };
                        put("max_size", a.max_size.map(Into::into));
                        put("max_objects", a.max_objects.map(Into::into));
                        put("enabled", enabled.map(Into::into));
                        (
                            AdminOp::BucketQuotaSet,
                            Request::BucketQuotaSet(crate::ops::bucket::QuotaReq {
                                name: crate::ops::bucket::BucketName {
                                    bucket: Some(b.clone()),
                                    tenant: None,
                                    uid: owned(&a.uid),
                                },
                                max_objects: None,
                                max_size_kb: None,
                                enabled: None,
                                body: serde_json::Value::Object(body).to_string().into(),
                            }),
                        )
                    }
                    None => (
                        AdminOp::UserQuotaSet,
                        Request::UserQuotaSet(quota::SetReq {
                            uid: owned(&a.uid),
                            quota_type: Some(a.quota_scope.clone()),
                            params: quota::QuotaParams {
                                max_objects: a.max_objects,
                                max_size: a.max_size,
                                max_size_kb: None,
                                enabled,
                                from_query: false,
                            },
                            body: Default::default(),
                        }),
                    ),
                }
            }
        },
        Cmd::Ratelimit(c) => {
            let (RatelimitCmd::Get(a)
            | RatelimitCmd::Set(a)
            | RatelimitCmd::Enable(a)
            | RatelimitCmd::Disable(a)) = c;
            let name = crate::ops::bucket::BucketName {
                bucket: owned(&a.bucket),
                tenant: None,
                uid: owned(&a.uid),
            };
            let target = ratelimit::Target {
                global: a.global.then(|| "true".to_string()),
                scope: owned(&a.ratelimit_scope),
                bucket: name.key(),
                uid: owned(&a.uid),
            };
            let num = |v: &Option<i64>| v.map(|n| n.to_string());
            let changes = ratelimit::ChangeParams {
                max_read_ops: num(&a.max_read_ops),
                max_write_ops: num(&a.max_write_ops),
                max_read_bytes: num(&a.max_read_bytes),
                max_write_bytes: num(&a.max_write_bytes),
                enabled: match c {
                    RatelimitCmd::Enable(_) => Some("true".into()),
                    RatelimitCmd::Disable(_) => Some("false".into()),
                    _ => None,
                },
            };
            match c {
                RatelimitCmd::Get(_) => (
                    AdminOp::RatelimitGet,
                    Request::RatelimitGet(ratelimit::GetReq { target }),
                ),
                _ => (
                    AdminOp::RatelimitSet,
                    Request::RatelimitSet(ratelimit::SetReq { target, changes }),
                ),
            }
        }
        Cmd::Usage(c) => {
            let (UsageCmd::Show { a, .. } | UsageCmd::Trim { a, .. }) = c;
            let sel = usage::Selectors {
                uid: owned(&a.uid),
                bucket: owned(&a.bucket),
                start: owned(&a.start_date),
                end: owned(&a.end_date),
            };
            match c {
                UsageCmd::Show {
                    categories,
                    show_log_entries,
                    show_log_sum,
                    ..
                } => (
                    AdminOp::UsageGet,
                    Request::UsageGet(usage::GetReq {
                        sel,
                        show_entries: show_log_entries.unwrap_or(true),
                        show_summary: show_log_sum.unwrap_or(true),
                        categories: owned(categories),
                    }),
                ),
                UsageCmd::Trim {
                    yes_i_really_mean_it,
                    ..
                } => (
                    AdminOp::UsageTrim,
                    Request::UsageTrim(usage::TrimReq {
                        sel,
                        remove_all: *yes_i_really_mean_it,
                    }),
                ),
            }
        }
    }))
}

/// radosgw-admin sets a bucket's quota by its name alone; the HTTP op also takes the owner
/// (radosgw's requires it), so a request without one gets the bucket's owner.
async fn with_owner(app: &App, req: Request) -> crate::error::Result<Request> {
    let Request::BucketQuotaSet(mut r) = req else {
        return Ok(req);
    };
    if r.name.uid.is_none() {
        let b = r
            .name
            .load(app)
            .await?
            .ok_or(crate::error::Error::NoSuchBucket)?;
        r.name.uid = Some(b.owner.to_string());
    }
    Ok(Request::BucketQuotaSet(r))
}

/// Run the op; a bucket purge shows, on a terminal, how many of its objects are gone so far
/// (read from the bucket's stats while the op runs, so the op itself knows nothing of it).
async fn run_with_progress(app: &App, req: Request) -> crate::error::Result<Reply> {
    let purged = match &req {
        Request::BucketRemove(r) if r.purge_objects => r.name.key(),
        _ => None,
    };
    let Some(bk) = purged else {
        return ops::run(app, &Caller::cli(), req).await;
    };
    let bk = match app.buckets.get(&bk).await {
        Ok(Some(b)) => b.data_key(),
        _ => bk,
    };
    let total = app.buckets.stats(&bk).await.map_or(0, |s| s.num_objects);
    let bar = crate::maint::progress("purging");
    bar.set_message(format!("of {total} objects removed"));
    bar.tick();
    let caller = Caller::cli();
    let op = ops::run(app, &caller, req);
    tokio::pin!(op);
    let res = loop {
        tokio::select! {
            r = &mut op => break r,
            _ = tokio::time::sleep(std::time::Duration::from_millis(250)) => {
                if let Ok(s) = app.buckets.stats(&bk).await {
                    bar.set_position(total.saturating_sub(s.num_objects));
                }
            }
        }
    };
    bar.finish_and_clear();
    res
}

/// Commands radosgw-admin has and the HTTP API does not (nor radosgw's): the op's name and
/// its document (`None`: already printed), or `None` for every other command.
async fn cli_only(
    app: &App,
    cmd: &Cmd,
) -> Option<(&'static str, crate::error::Result<Option<Doc>>)> {
    match cmd {
        Cmd::Bucket(c) => {
            let listing = bucket::listing(c)?;
            let mut out = PrettyArray::new(std::io::stdout().lock(), app.style());
            // A reader that goes away (`| head`) ends the listing, not the command.
            let each = |n: crate::encode::Node| out.item(&n).is_ok();
            let (name, listed) = match listing {
                bucket::Listing::Limit(r) => (
                    "limit_check",
                    ops::bucket_limit::check(&app.users, &app.buckets, r, each).await,
                ),
                bucket::Listing::Objects(r) => (
                    "list_bucket",
                    ops::bucket_objects::list(&app.buckets, &app.objects, &app.users, r, each)
                        .await,
                ),
            };
            let listed = listed.map(|()| {
                let _ = out.finish();
                None
            });
            Some((name, listed))
        }
        Cmd::User(UserCmd::Stats { uid, .. }) => {
            Some(("user_stats", ops::user::stats(app, uid).await.map(Some)))
        }
        Cmd::Lc(c) => Some(lc::run(app, c).await),
        _ => None,
    }
}

/// An op's error as the CLI reports it (the HTTP status and radosgw's code); the exit code.
fn failed(op: &str, e: &crate::error::Error) -> i32 {
    eprintln!("rgw-admin: {op} (HTTP {} {})", e.status(), e.code());
    1
}

/// Run one admin command on `app`; prints the result and returns the exit code.
pub async fn run(app: &App, cmd: &Cmd) -> i32 {
    if let Some((name, res)) = cli_only(app, cmd).await {
        return match res {
            Ok(doc) => {
                if let Some(doc) = doc {
                    print!("{}", render_pretty(&doc.node, app.style()));
                }
                0
            }
            Err(e) => failed(name, &e),
        };
    }
    let (op, req) = match request(cmd) {
        Ok(Some(r)) => r,
        Ok(None) => return 2,
        Err(e) => {
            eprintln!("rgw-admin: {e}");
            return 1;
        }
    };
    let req = with_owner(app, req).await;
    match async { run_with_progress(app, req?).await }.await {
        Ok(Reply::Doc(doc)) => {
            print!("{}", render_pretty(&doc.node, app.style()));
            0
        }
        Ok(Reply::UserInfo(u)) => {
            let doc = crate::ops::user::info_doc(&u, None, app.key_view());
            print!("{}", render_pretty(&doc.node, app.style()));
            0
        }
        Ok(Reply::Keys { first, mut more }) => {
            // Printed a page at a time: a million users need no million-entry vector.
            let mut out = PrettyArray::new(std::io::stdout().lock(), app.style());
            let mut page = first;
            loop {
                for k in page {
                    if out.item(&crate::encode::Node::Str(k)).is_err() {
                        return 0;
                    }
                }
                let Some(pages) = more.as_mut() else { break };
                match pages.next_page().await {
                    Ok(Some(p)) => page = p,
                    Ok(None) => break,
                    Err(e) => return failed(op.name(), &e),
                }
            }
            let _ = out.finish();
            0
        }
        Ok(_) => 0,
        Err(e) => failed(op.name(), &e),
    }
}
