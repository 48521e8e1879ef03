//! Admin ops: typed parameters in, a document (or nothing) out. Each module holds one
//! resource's ops; `dispatch` is the only place that maps an op to its function.

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;

use crate::app::App;
use crate::config::Compat;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::router::Op;

pub mod bucket;
pub mod caps;
pub mod info;
pub mod key;
pub mod metadata;
pub mod quota;
pub mod ratelimit;
pub mod subuser;
pub mod usage;
pub mod user;

/// What an op answers.
pub enum Reply {
    /// A document in the request's format.
    Doc(Doc),
    /// A document already rendered in the request's format.
    Rendered(Bytes),
    /// 200 with an empty body (radosgw's "no output" ops).
    Empty,
    /// Anything else, fully formed (S3, swift auth, 204s).
    Raw {
        status: StatusCode,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: Bytes,
    },
}

pub async fn dispatch(app: &App, ctx: &Ctx) -> Result<Reply> {
    use Op::*;
    match ctx.op {
        Info => info::get(app, ctx),
        UserInfo => user::info(app, ctx),
        UserCreate => user::create(app, ctx).await,
        UserModify => user::modify(app, ctx).await,
        UserRemove => user::remove(app, ctx).await,
        UserList => user::list(app, ctx),
        SubuserCreate => subuser::create(app, ctx).await,
        SubuserModify => subuser::modify(app, ctx).await,
        SubuserRemove => subuser::remove(app, ctx).await,
        KeyCreate => key::create(app, ctx).await,
        KeyRemove => key::remove(app, ctx).await,
        CapsAdd => caps::add(app, ctx).await,
        CapsRemove => caps::remove(app, ctx).await,
        UserQuotaGet => quota::get_user(app, ctx),
        UserQuotaSet => quota::set_user(app, ctx).await,
        MetadataList => metadata::list(app, ctx),
        MetadataGet => metadata::get(app, ctx),
        MetadataPut => metadata::put(app, ctx).await,
        MetadataDelete => metadata::delete(app, ctx).await,
        BucketInfo => bucket::info(app, ctx),
        BucketPolicy => bucket::policy(app, ctx).await,
        BucketIndex => bucket::check_index(app, ctx).await,
        BucketQuotaSet => bucket::set_quota(app, ctx).await,
        // Multisite bucket sync has nothing to toggle on a single gateway.
        BucketSync => Ok(Reply::Empty),
        BucketLink => bucket::link(app, ctx).await,
        BucketUnlink => bucket::unlink(app, ctx).await,
        BucketRemove => bucket::remove(app, ctx).await,
        ObjectRemove => bucket::remove_object(app, ctx).await,
        RatelimitGet => ratelimit::get(app, ctx),
        RatelimitSet => ratelimit::set(app, ctx).await,
        UsageGet => usage::get(app, ctx).await,
        UsageTrim => usage::trim(app, ctx).await,
        // S3 requests never reach the admin dispatcher (http::handle sends them to s3::handle).
        S3 => Err(Error::NotImplemented),
    }
}

/// radosgw 16 cannot complete SigV4 with a hashed payload on an admin op that reads a body
/// ("AWS4 completion for this operation NOT IMPLEMENTED"): at the Pacific level, answer as
/// it does, before the op runs.
pub fn pacific_body_quirk(app: &App, ctx: &Ctx) -> Result<()> {
    if app.cfg.compat == Compat::Pacific
        && !ctx.body.is_empty()
        && crate::auth::sigv4::payload_is_hashed(&ctx.headers)
    {
        return Err(Error::NotImplemented);
    }
    Ok(())
}
