//! Admin ops: a typed request in (parsed once from the query and body by `Request::parse`,
//! or built by the CLI), a typed reply out. Ops never see HTTP; `run` is the only place
//! that maps a request to its function.

use std::sync::Arc;

use crate::authz::Caller;
use crate::caps::{READ, WRITE};
use crate::config::Compat;
use crate::domain::App;
use crate::encode::Doc;
use crate::error::Result;
use crate::model::User;
use crate::query::Query;

pub mod account;
pub mod bucket;
pub mod bucket_limit;
pub mod bucket_meta;
pub mod bucket_objects;
pub mod caps;
pub mod info;
pub mod key;
pub mod metadata;
pub mod quota;
pub mod ratelimit;
pub mod subuser;
pub mod usage;
pub mod user;
pub mod user_dump;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOp {
    Info,
    UserInfo,
    UserCreate,
    UserModify,
    UserRemove,
    UserList,
    SubuserCreate,
    SubuserModify,
    SubuserRemove,
    KeyCreate,
    KeyRemove,
    CapsAdd,
    CapsRemove,
    UserQuotaGet,
    UserQuotaSet,
    BucketInfo,
    BucketPolicy,
    BucketIndex,
    BucketQuotaSet,
    BucketSync,
    BucketLink,
    BucketUnlink,
    BucketRemove,
    ObjectRemove,
    UsageGet,
    UsageTrim,
    MetadataGet,
    MetadataList,
    MetadataPut,
    MetadataDelete,
    RatelimitGet,
    RatelimitSet,
    AccountCreate,
    AccountModify,
    AccountQuotaSet,
    AccountInfo,
    AccountRemove,
}

impl AdminOp {
    /// The log name of the op (radosgw's op names).
    pub fn name(self) -> &'static str {
        use AdminOp::*;
        match self {
            Info => "get_info",
            UserInfo => "get_user_info",
            UserCreate => "create_user",
            UserModify => "modify_user",
            UserRemove => "remove_user",
            UserList => "list_user",
            SubuserCreate => "create_subuser",
            SubuserModify => "modify_subuser",
            SubuserRemove => "remove_subuser",
            KeyCreate => "create_access_key",
            KeyRemove => "remove_access_key",
            CapsAdd => "add_user_caps",
            CapsRemove => "remove_user_caps",
            UserQuotaGet => "get_quota_info",
            UserQuotaSet => "set_quota_info",
            BucketInfo => "get_bucket_info",
            BucketPolicy => "get_policy",
            BucketIndex => "check_bucket_index",
            BucketQuotaSet => "set_bucket_quota",
            BucketSync => "sync_bucket",
            BucketLink => "link_bucket",
            BucketUnlink => "unlink_bucket",
            BucketRemove => "remove_bucket",
            ObjectRemove => "remove_object",
            UsageGet => "get_usage",
            UsageTrim => "trim_usage",
            MetadataGet => "get_metadata",
            MetadataList => "list_metadata",
            MetadataPut => "set_metadata",
            MetadataDelete => "remove_metadata",
            RatelimitGet => "get_ratelimit_info",
            RatelimitSet => "put_ratelimit_info",
            AccountCreate => "create_account",
            AccountModify => "modify_account",
            AccountQuotaSet => "set_account_quota",
            AccountInfo => "get_account",
            AccountRemove => "delete_account",
        }
    }

    /// The admin cap the op needs (`check_caps`).
    pub fn cap(self) -> (&'static str, u32) {
        use AdminOp::*;
        match self {
            Info => ("info", READ),
            UserInfo | UserList | UserQuotaGet => ("users", READ),
            UserCreate | UserModify | UserRemove | SubuserCreate | SubuserModify
            | SubuserRemove | KeyCreate | KeyRemove | CapsAdd | CapsRemove | UserQuotaSet => {
                ("users", WRITE)
            }
            BucketInfo | BucketPolicy => ("buckets", READ),
            BucketIndex | BucketQuotaSet | BucketSync | BucketLink | BucketUnlink
            | BucketRemove | ObjectRemove => ("buckets", WRITE),
            UsageGet => ("usage", READ),
            UsageTrim => ("usage", WRITE),
            MetadataGet | MetadataList => ("metadata", READ),
            MetadataPut | MetadataDelete => ("metadata", WRITE),
            RatelimitGet => ("ratelimit", READ),
            RatelimitSet => ("ratelimit", WRITE),
            // radosgw 19.2 asks `account` (singular, a type no user can hold) for get and
            // delete: `accounts` throughout is what its users can grant.
            AccountInfo => ("accounts", READ),
            AccountCreate | AccountModify | AccountQuotaSet | AccountRemove => ("accounts", WRITE),
        }
    }

    /// A second cap that also admits the op: from reef on, `user-info-without-keys=read`
    /// admits user info (without the keys, see `user::info`).
    pub fn alt_cap(self, compat: Compat) -> Option<(&'static str, u32)> {
        match self {
            AdminOp::UserInfo if compat >= Compat::Reef => Some(("user-info-without-keys", READ)),
            _ => None,
        }
    }

    /// Ops whose result radosgw builds before sending headers: these send a Content-Type
    /// even for JSON, and XML without a prologue.
    pub fn buffered(self) -> bool {
        matches!(self, AdminOp::MetadataGet | AdminOp::MetadataList)
    }

    /// Ops that read a request body (quota and rate-limit documents, a metadata put); any
    /// other op's body is read only to check a payload hash signed over it (a client that
    /// declares a length and sends nothing is answered at once, as radosgw answers it).
    pub fn takes_body(self) -> bool {
        matches!(
            self,
            AdminOp::UserQuotaSet
                | AdminOp::BucketQuotaSet
                | AdminOp::RatelimitSet
                | AdminOp::MetadataPut
        )
    }
}

/// The next page of a listing: its keys, `None` at the end.
pub type PageFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<Vec<String>>>> + Send + 'a>>;

/// A page source for listings too long to hold.
pub trait KeyPages: Send {
    fn next_page(&mut self) -> PageFuture<'_>;
}

/// What an admin op answers.
pub enum Reply {
    /// A document in the request's format.
    Doc(Doc),
    /// A user's info document (`user_info`), which the encoder may serve pre-rendered.
    UserInfo(Arc<User>),
    /// A bare array of keys (`<keys><key>..</key></keys>`), too long to build whole: the
    /// first page, then the rest from `more`.
    Keys {
        first: Vec<String>,
        more: Option<Box<dyn KeyPages>>,
    },
    /// 200 with an empty body (radosgw's "no output" ops).
    Empty,
    /// A metadata write applied: 204 with radosgw's `rgwx_update_*` headers (the version
    /// a user put replaced, the one a bucket instance put wrote).
    MetadataUpdated { ver: u64, tag: String },
    /// A metadata write whose handler reports no status (radosgw's bucket entry point): 200
    /// with only `rgwx_update_version`.
    MetadataWritten { ver: u64, tag: String },
    /// A metadata write not applied (`update-type` found it no newer): 204, status
    /// `skipped`, and the empty version radosgw then reports.
    MetadataSkipped,
}

/// An admin request, parsed: one variant per op.
pub enum Request {
    Info,
    UserInfo(user::InfoReq),
    UserCreate(user::CreateReq),
    UserModify(user::ModifyReq),
    UserRemove(user::RemoveReq),
    UserList(user::ListReq),
    SubuserCreate(subuser::SubuserReq),
    SubuserModify(subuser::SubuserReq),
    SubuserRemove(subuser::SubuserReq),
    KeyCreate(key::KeyReq),
    KeyRemove(key::KeyReq),
    CapsAdd(caps::CapsReq),
    CapsRemove(caps::CapsReq),
    UserQuotaGet(quota::GetReq),
    UserQuotaSet(quota::SetReq),
    BucketInfo(bucket::InfoReq),
    BucketPolicy(bucket::PolicyReq),
    BucketIndex(bucket::IndexReq),
    BucketQuotaSet(bucket::QuotaReq),
    BucketSync,
    BucketLink(bucket::LinkReq),
    BucketUnlink(bucket::LinkReq),
    BucketRemove(bucket::RemoveReq),
    ObjectRemove(bucket::ObjectRemoveReq),
    UsageGet(usage::GetReq),
    UsageTrim(usage::TrimReq),
    MetadataGet(metadata::GetReq),
    MetadataList(metadata::ListReq),
    MetadataPut(metadata::PutReq),
    MetadataDelete(metadata::DeleteReq),
    RatelimitGet(ratelimit::GetReq),
    RatelimitSet(ratelimit::SetReq),
    AccountCreate(account::CreateReq),
    AccountModify(account::ModifyReq),
    AccountQuotaSet(account::QuotaReq),
    AccountInfo(account::GetReq),
    AccountRemove(account::GetReq),
}

impl Request {
    /// Read the op's parameters from the query (and body). Parsing never fails: each op
    /// validates its parameters in radosgw's order, so the first error it meets is the one
    /// radosgw answers.
    pub fn parse(
        op: AdminOp,
        q: &Query,
        section: Option<String>,
        body: bytes::Bytes,
        compat: Compat,
    ) -> Request {
        use AdminOp as O;
        match op {
            O::Info => Request::Info,
            O::UserInfo => Request::UserInfo(user::InfoReq::parse(q)),
            O::UserCreate => Request::UserCreate(user::CreateReq::parse(q)),
            O::UserModify => Request::UserModify(user::ModifyReq::parse(q)),
            O::UserRemove => Request::UserRemove(user::RemoveReq::parse(q)),
            O::UserList => Request::UserList(user::ListReq::parse(q)),
            O::SubuserCreate => Request::SubuserCreate(subuser::SubuserReq::parse(q)),
            O::SubuserModify => Request::SubuserModify(subuser::SubuserReq::parse(q)),
            O::SubuserRemove => Request::SubuserRemove(subuser::SubuserReq::parse(q)),
            O::KeyCreate => Request::KeyCreate(key::KeyReq::parse_at(q, compat)),
            O::KeyRemove => Request::KeyRemove(key::KeyReq::parse(q)),
            O::CapsAdd => Request::CapsAdd(caps::CapsReq::parse(q)),
            O::CapsRemove => Request::CapsRemove(caps::CapsReq::parse(q)),
            O::UserQuotaGet => Request::UserQuotaGet(quota::GetReq::parse(q)),
            O::UserQuotaSet => Request::UserQuotaSet(quota::SetReq::parse(q, body)),
            O::BucketInfo => Request::BucketInfo(bucket::InfoReq::parse_at(q, compat)),
            O::BucketPolicy => Request::BucketPolicy(bucket::PolicyReq::parse(q)),
            O::BucketIndex => Request::BucketIndex(bucket::IndexReq::parse(q)),
            O::BucketQuotaSet => Request::BucketQuotaSet(bucket::QuotaReq::parse(q, body)),
            O::BucketSync => Request::BucketSync,
            O::BucketLink => Request::BucketLink(bucket::LinkReq::parse(q)),
            O::BucketUnlink => Request::BucketUnlink(bucket::LinkReq::parse(q)),
            O::BucketRemove => Request::BucketRemove(bucket::RemoveReq::parse(q)),
            O::ObjectRemove => Request::ObjectRemove(bucket::ObjectRemoveReq::parse(q)),
            O::UsageGet => Request::UsageGet(usage::GetReq::parse(q)),
            O::UsageTrim => Request::UsageTrim(usage::TrimReq::parse(q)),
            O::MetadataGet => Request::MetadataGet(metadata::GetReq::parse(q, section)),
            O::MetadataList => Request::MetadataList(metadata::ListReq::parse(q, section)),
            O::MetadataPut => Request::MetadataPut(metadata::PutReq::parse(q, section, body)),
            O::MetadataDelete => Request::MetadataDelete(metadata::DeleteReq::parse(q, section)),
            O::RatelimitGet => Request::RatelimitGet(ratelimit::GetReq::parse(q)),
            O::RatelimitSet => Request::RatelimitSet(ratelimit::SetReq::parse(q)),
            O::AccountCreate => Request::AccountCreate(account::CreateReq::parse(q)),
            O::AccountModify => Request::AccountModify(account::ModifyReq::parse(q)),
            O::AccountQuotaSet => Request::AccountQuotaSet(account::QuotaReq::parse(q)),
            O::AccountInfo => Request::AccountInfo(account::GetReq::parse(q)),
            O::AccountRemove => Request::AccountRemove(account::GetReq::parse(q)),
        }
    }
}

/// Run one admin request for `caller` (whose caps were checked by the pipeline).
///
/// Writes run boxed: a future is as big as the biggest it may await, and the request's
/// whole future is copied as it starts, so inline the 1-4 KiB of the write ops (user create,
/// metadata put) cost every signed read those copies. A write's allocation is nothing next
/// to its commit.
pub async fn run(app: &App, caller: &Caller, req: Request) -> Result<Reply> {
    use Request as R;
    match req {
        R::Info => info::get(app),
        R::UserInfo(r) => user::info(app, caller, r).await,
        R::UserCreate(r) => Box::pin(user::create(app, caller, r)).await,
        R::UserModify(r) => Box::pin(user::modify(app, caller, r)).await,
        R::UserRemove(r) => Box::pin(user::remove(app, r)).await,
        R::UserList(r) => user::list(app, r).await,
        R::SubuserCreate(r) => Box::pin(subuser::create(app, r)).await,
        R::SubuserModify(r) => Box::pin(subuser::modify(app, r)).await,
        R::SubuserRemove(r) => Box::pin(subuser::remove(app, r)).await,
        R::KeyCreate(r) => Box::pin(key::create(app, r)).await,
        R::KeyRemove(r) => Box::pin(key::remove(app, r)).await,
        R::CapsAdd(r) => Box::pin(caps::change(app, r, true)).await,
        R::CapsRemove(r) => Box::pin(caps::change(app, r, false)).await,
        R::UserQuotaGet(r) => quota::get_user(app, r).await,
        R::UserQuotaSet(r) => Box::pin(quota::set_user(app, r)).await,
        R::BucketInfo(r) => bucket::info(app, r).await,
        R::BucketPolicy(r) => bucket::policy(app, r).await,
        R::BucketIndex(r) => bucket::check_index(app, r).await,
        R::BucketQuotaSet(r) => Box::pin(bucket::set_quota(app, r)).await,
        // Multisite bucket sync has nothing to toggle on a single gateway.
        R::BucketSync => Ok(Reply::Empty),
        R::BucketLink(r) => Box::pin(bucket::link(app, r)).await,
        R::BucketUnlink(r) => Box::pin(bucket::unlink(app, r)).await,
        R::BucketRemove(r) => Box::pin(bucket::remove(app, r)).await,
        R::ObjectRemove(r) => Box::pin(bucket::remove_object(app, r)).await,
        R::UsageGet(r) => usage::get(app, r).await,
        R::UsageTrim(r) => Box::pin(usage::trim(app, r)).await,
        R::MetadataGet(r) => metadata::get(app, caller, r).await,
        R::MetadataList(r) => metadata::list(app, r).await,
        R::MetadataPut(r) => Box::pin(metadata::put(app, r)).await,
        R::MetadataDelete(r) => Box::pin(metadata::delete(app, r)).await,
        R::RatelimitGet(r) => ratelimit::get(app, r).await,
        R::RatelimitSet(r) => Box::pin(ratelimit::set(app, r)).await,
        R::AccountCreate(r) => Box::pin(account::create(app, r)).await,
        R::AccountModify(r) => Box::pin(account::modify(app, r)).await,
        R::AccountQuotaSet(r) => Box::pin(account::set_quota(app, r)).await,
        R::AccountInfo(r) => account::info(app, r).await,
        R::AccountRemove(r) => Box::pin(account::remove(app, r)).await,
    }
}
