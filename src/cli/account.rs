//! `account create|info|modify|rm` (radosgw-admin's flags): each the op and the request the
//! HTTP API parses for `/admin/account` (POST, GET, PUT, DELETE). Needs `--compat squid`.

use clap::{Args, Subcommand};

use crate::ops::account::{CreateReq, GetReq, Limits, ModifyReq, Selector};
use crate::ops::{AdminOp, Request};

#[derive(Args, Debug, Default)]
pub struct AccountArgs {
    /// `RGW` and 17 digits (create: generated when left out).
    #[arg(long)]
    account_id: Option<String>,
    #[arg(long)]
    account_name: Option<String>,
    #[arg(long)]
    email: Option<String>,
    #[arg(long)]
    tenant: Option<String>,
    #[arg(long)]
    max_users: Option<String>,
    #[arg(long)]
    max_roles: Option<String>,
    #[arg(long)]
    max_groups: Option<String>,
    #[arg(long)]
    max_access_keys: Option<String>,
    #[arg(long)]
    max_buckets: Option<String>,
}

#[derive(Args, Debug, Default)]
pub struct AccountRef {
    #[arg(long)]
    account_id: Option<String>,
    #[arg(long)]
    account_name: Option<String>,
    #[arg(long)]
    tenant: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account (`POST /admin/account`).
    Create(AccountArgs),
    /// Change an account's name, email or limits (`PUT /admin/account`).
    Modify(AccountArgs),
    /// One account, by --account-id or --tenant and --account-name (`GET /admin/account`).
    Info(AccountRef),
    /// Remove an account without users or buckets (`DELETE /admin/account`).
    Rm(AccountRef),
}

impl AccountArgs {
    fn selector(&self) -> Selector {
        Selector {
            id: self.account_id.clone(),
            tenant: self.tenant.clone(),
            name: self.account_name.clone(),
            email: self.email.clone(),
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            max_users: self.max_users.clone(),
            max_roles: self.max_roles.clone(),
            max_groups: self.max_groups.clone(),
            max_access_keys: self.max_access_keys.clone(),
            max_buckets: self.max_buckets.clone(),
        }
    }
}

impl AccountRef {
    fn get(&self) -> GetReq {
        GetReq {
            account: Selector {
                id: self.account_id.clone(),
                tenant: self.tenant.clone(),
                name: self.account_name.clone(),
                email: None,
            },
        }
    }
}

pub fn request(c: &AccountCmd) -> (AdminOp, Request) {
    match c {
        AccountCmd::Create(a) => (
            AdminOp::AccountCreate,
            Request::AccountCreate(CreateReq {
                account: a.selector(),
                limits: a.limits(),
            }),
        ),
        AccountCmd::Modify(a) => (
            AdminOp::AccountModify,
            Request::AccountModify(ModifyReq {
                account: a.selector(),
                limits: a.limits(),
            }),
        ),
        AccountCmd::Info(r) => (AdminOp::AccountInfo, Request::AccountInfo(r.get())),
        AccountCmd::Rm(r) => (AdminOp::AccountRemove, Request::AccountRemove(r.get())),
    }
}
