//! The pipeline's Swift auth step: a key checked, a token handed out, in radosgw's
//! headers (the token itself is `crate::swift`'s).

use hyper::{HeaderMap, Response, StatusCode};

use super::body::{self, RespBody};
use super::respond::{self, Dialect};
use crate::domain::App;

/// Answer `GET /auth/v1.0` (radosgw's swift_auth_get): the storage URL and a token.
pub(super) async fn answer(app: &App, headers: &HeaderMap, rid: &str) -> Response<RespBody> {
    // Nobody is authenticated yet: each try at a key is an anonymous read, so the
    // anonymous rate limit bounds guessing swift keys.
    if let Err(e) = app.ratelimit.admit(None, None, true) {
        return respond::error(app, &e, Dialect::Swift, rid, "", false, None);
    }
    match crate::swift::auth_get(app, headers).await {
        Ok(g) => Response::builder()
            .status(StatusCode::NO_CONTENT)
            .header("X-Storage-Url", g.storage_url)
            .header("X-Storage-Token", &g.token)
            .header("X-Auth-Token", &g.token)
            .header("X-Trans-Id", rid)
            .header("X-Openstack-Request-Id", rid)
            .header(
                hyper::header::CONTENT_TYPE,
                "application/json; charset=utf-8",
            )
            .body(body::empty())
            .unwrap_or_else(|_| Response::new(body::empty())),
        Err((e, status)) => respond::error(app, &e, Dialect::Swift, rid, "", false, Some(status)),
    }
}
