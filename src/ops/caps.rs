//! `/admin/user?caps`: add and remove admin caps (`RGWOp_Caps_*`); both answer the user's
//! resulting caps.

use crate::app::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::http::Ctx;
use crate::ops::user::{load, target_uid};
use crate::ops::Reply;

async fn change(app: &App, ctx: &Ctx, add: bool) -> Result<Reply> {
    let uid = target_uid(ctx).ok_or(Error::InvalidArgument)?;
    load(app, &uid)?;
    let caps = ctx
        .query
        .get_nonempty("user-caps")
        .ok_or(Error::InvalidCapability)?;
    // Parse once up front so bad caps change nothing.
    crate::caps::parse(caps)?;
    let (u, ()) = app
        .users
        .modify(&uid, |u| {
            if add {
                crate::caps::add(&mut u.caps, caps)
            } else {
                crate::caps::remove(&mut u.caps, caps)
            }
        })
        .await?;
    Ok(Reply::Doc(Doc::new("caps", u.dump_caps())))
}

pub async fn add(app: &App, ctx: &Ctx) -> Result<Reply> {
    change(app, ctx, true).await
}

pub async fn remove(app: &App, ctx: &Ctx) -> Result<Reply> {
    change(app, ctx, false).await
}
