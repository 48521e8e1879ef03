//! The arguments of the user, subuser, key, caps, quota, rate-limit and usage commands, and
//! how a user command's flags become the op's settings.

use std::path::PathBuf;

use clap::{Args, Subcommand};

#[derive(Subcommand, Debug)]
pub enum ConfigCmd {
    /// Parse and validate a TOML config file as `serve` would (unknown keys and bad values
    /// are refused); exit 0 when it is valid, 1 when not. The environment is not consulted.
    Check { file: PathBuf },
}

#[derive(Args, Debug, Default)]
pub struct UserArgs {
    #[arg(long)]
    pub(super) uid: String,
    #[arg(long)]
    pub(super) display_name: Option<String>,
    #[arg(long)]
    pub(super) email: Option<String>,
    #[arg(long)]
    pub(super) tenant: Option<String>,
    /// s3 (default) or swift.
    #[arg(long)]
    pub(super) key_type: Option<String>,
    #[arg(long)]
    pub(super) access_key: Option<String>,
    #[arg(long)]
    pub(super) secret_key: Option<String>,
    /// Generate an S3 key pair (create: default true unless keys are given).
    #[arg(long)]
    pub(super) gen_access_key: bool,
    /// Generate the secret of the key (with --access-key: that key's).
    #[arg(long)]
    pub(super) gen_secret: bool,
    /// Do not generate a key on create.
    #[arg(long)]
    pub(super) no_key: bool,
    /// Admin caps, e.g. "users=*;buckets=read".
    #[arg(long)]
    pub(super) caps: Option<String>,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_buckets: Option<i32>,
    #[arg(long)]
    pub(super) suspended: Option<bool>,
    #[arg(long)]
    pub(super) system: Option<bool>,
    #[arg(long)]
    pub(super) op_mask: Option<String>,
    /// The account the user joins (`--compat squid`).
    #[arg(long)]
    pub(super) account_id: Option<String>,
    /// Make the user its account's root user (`--compat squid`).
    #[arg(long)]
    pub(super) account_root: bool,
    /// IAM path (`--compat squid`).
    #[arg(long)]
    pub(super) path: Option<String>,
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
    /// The user's storage totals, as radosgw-admin prints them.
    Stats {
        #[arg(long)]
        uid: String,
        /// Accepted as radosgw-admin takes it: the totals here are never out of date.
        #[arg(long)]
        sync_stats: bool,
    },
}

#[derive(Args, Debug)]
pub struct SubuserArgs {
    #[arg(long)]
    pub(super) uid: Option<String>,
    /// `uid:name` or `name`.
    #[arg(long)]
    pub(super) subuser: String,
    /// read, write, readwrite or full.
    #[arg(long)]
    pub(super) access: Option<String>,
    /// swift (default) or s3.
    #[arg(long)]
    pub(super) key_type: Option<String>,
    #[arg(long)]
    pub(super) access_key: Option<String>,
    #[arg(long)]
    pub(super) secret_key: Option<String>,
    #[arg(long)]
    pub(super) gen_secret: bool,
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
    pub(super) uid: Option<String>,
    #[arg(long)]
    pub(super) subuser: Option<String>,
    /// s3 or swift (default: swift with --subuser, else s3).
    #[arg(long)]
    pub(super) key_type: Option<String>,
    #[arg(long)]
    pub(super) access_key: Option<String>,
    #[arg(long)]
    pub(super) secret_key: Option<String>,
    /// Generate the access key (radosgw-admin's spelling; generating what is not given is
    /// also the default, as over HTTP).
    #[arg(long)]
    pub(super) gen_access_key: bool,
    /// Generate the secret.
    #[arg(long)]
    pub(super) gen_secret: bool,
    /// Enable (`true`) or disable (`false`) the key, as radosgw 19's `active`; an existing
    /// key keeps its secret unless `--secret-key` is given. Works at every level.
    #[arg(long, alias = "key-active", value_parser = clap::builder::BoolishValueParser::new())]
    pub(super) active: Option<bool>,
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
    #[arg(long, required_unless_present = "bucket")]
    pub(super) uid: Option<String>,
    /// With `--quota-scope bucket`: that bucket's own quota, not the user's template for
    /// its buckets (`PUT /admin/bucket?quota`; the owner is looked up when --uid is left out).
    #[arg(long)]
    pub(super) bucket: Option<String>,
    /// user or bucket.
    #[arg(long)]
    pub(super) quota_scope: String,
    /// Bytes, or with radosgw-admin's unit: `10G`, `512Ki`, `1KB` (powers of 1024).
    #[arg(long, allow_hyphen_values = true, value_parser = iec_size)]
    pub(super) max_size: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_objects: Option<i64>,
}

/// A size as radosgw-admin reads `--max-size` (ceph's `strict_iec_cast`): an integer, then
/// at most two characters of unit whose first is `B`, `K`, `M`, `G`, `T`, `P` or `E` (powers
/// of 1024; `Bi` refused). `1.5G`, `1k` and `1KiB` are refused, as there.
fn iec_size(s: &str) -> Result<i64, String> {
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if unit.len() > 2 {
        return Err("illegal unit (longer than 2 characters)".into());
    }
    if unit.starts_with('B') && unit.ends_with('i') {
        return Err("illegal unit \"Bi\"".into());
    }
    let shift = match unit.chars().next() {
        None | Some('B') => 0,
        Some('K') => 10,
        Some('M') => 20,
        Some('G') => 30,
        Some('T') => 40,
        Some('P') => 50,
        Some('E') => 60,
        Some(_) => return Err("unit not recognized (B, K, M, G, T, P or E)".into()),
    };
    let n: i64 = num.parse().map_err(|_| format!("not a number: {num:?}"))?;
    if n > i64::MAX >> shift || n < i64::MIN >> shift {
        return Err("too large".into());
    }
    Ok(n << shift)
}

#[cfg(test)]
#[test]
fn sizes_as_radosgw_admin_reads_them() {
    // each as radosgw-admin 16.2.15 answered `quota set --max-size=<v>`
    for (v, want) in [
        ("1024", 1024),
        ("1024B", 1024),
        ("1K", 1024),
        ("1KB", 1024),
        ("1Ki", 1024),
        ("2M", 2 << 20),
        ("1G", 1 << 30),
        ("1T", 1 << 40),
        ("-1", -1),
        ("0", 0),
    ] {
        assert_eq!(iec_size(v), Ok(want), "{v}");
    }
    for v in ["1k", "1KiB", "1.5G", "abc", "", "1Bi", "8E"] {
        assert!(iec_size(v).is_err(), "{v}");
    }
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
    pub(super) ratelimit_scope: Option<String>,
    #[arg(long)]
    pub(super) uid: Option<String>,
    #[arg(long)]
    pub(super) bucket: Option<String>,
    /// The global limits instead of one user's or bucket's.
    #[arg(long)]
    pub(super) global: bool,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_read_ops: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_write_ops: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_read_bytes: Option<i64>,
    #[arg(long, allow_hyphen_values = true)]
    pub(super) max_write_bytes: Option<i64>,
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
    pub(super) uid: Option<String>,
    #[arg(long)]
    pub(super) bucket: Option<String>,
    /// `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or unix seconds.
    #[arg(long)]
    pub(super) start_date: Option<String>,
    #[arg(long)]
    pub(super) end_date: Option<String>,
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

impl UserArgs {
    pub(super) fn key_params(&self, create: bool) -> crate::ops::user::KeyParams {
        crate::ops::user::KeyParams {
            key_type: self.key_type.clone(),
            access_key: self.access_key.clone(),
            secret_key: self.secret_key.clone(),
            generate_key: if create && self.no_key {
                Some(false)
            } else if self.gen_access_key || self.gen_secret {
                Some(true)
            } else {
                None
            },
        }
    }

    pub(super) fn settings(&self) -> crate::ops::user::Settings {
        crate::ops::user::Settings {
            max_buckets: self.max_buckets,
            suspended: self.suspended,
            system: self.system,
            op_mask: self.op_mask.clone(),
            account_id: self.account_id.clone(),
            account_root: self.account_root.then_some(true),
            path: self.path.clone(),
            ..Default::default()
        }
    }
}

#[derive(Subcommand, Debug)]
pub enum LcCmd {
    /// Apply the lifecycle rules now: expire objects, abort stale uploads.
    Process {
        /// Only this bucket (default: every bucket with rules).
        #[arg(long)]
        bucket: Option<String>,
        #[arg(long)]
        tenant: Option<String>,
    },
    /// Every bucket with rules: when a pass last started on it and how it ended.
    List,
    /// A bucket's rules, as `radosgw-admin lc get` shows them.
    Get {
        #[arg(long)]
        bucket: String,
        #[arg(long)]
        tenant: Option<String>,
    },
}
