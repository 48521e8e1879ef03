//! `/admin/user?caps`: add and remove admin caps (`RGWOp_Caps_*`); both answer the user's
//! resulting caps.

use crate::domain::App;
use crate::encode::Doc;
use crate::error::{Error, Result};
use crate::ops::Reply;
use crate::query::Query;

#[derive(Debug, Clone, Default)]
pub struct CapsReq {
    pub uid: Option<String>,
    /// `type=perm[,perm];...`
    pub caps: Option<String>,
}

impl CapsReq {
    pub fn parse(q: &Query) -> CapsReq {
        CapsReq {
            // Only `uid`: radosgw's caps ops read no `subuser`, so `subuser=uid:name` names
            // nobody here (16.2: AccessDenied, the anonymous user's).
            uid: q.get_nonempty("uid").map(str::to_string),
            caps: q.get_nonempty("user-caps").map(str::to_string),
        }
    }
}

pub async fn change(app: &App, r: CapsReq, add: bool) -> Result<Reply> {
    let uid = r
        .uid
        .as_deref()
        .ok_or_else(|| crate::ops::user::no_uid(app))?;
    app.users.load(uid).await?;
    let caps = r.caps.as_deref().ok_or(Error::InvalidCapability)?;
    // Parse once up front so bad caps change nothing.
    crate::caps::parse_at(caps, app.squid())?;
    let (u, ()) = app
        .users
        .modify(uid, |u| {
            if add {
                crate::caps::add(&mut u.caps, caps)
            } else {
                crate::caps::remove(&mut u.caps, caps)
            }
        })
        .await?;
    Ok(Reply::Doc(Doc::new("caps", u.dump_caps())))
}
