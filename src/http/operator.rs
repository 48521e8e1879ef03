//! The operator's listener (`metrics_listen`): `/metrics` (Prometheus), `/health` (the
//! process answers) and `/ready` (the store reads and takes a durable write). On its own
//! port, so none of these paths can be taken for a bucket, and it can stay off the network
//! clients reach.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;

use crate::domain::App;
use crate::store::{schema, Txn};

/// How long `/ready` waits for the store before calling it not ready.
const READY_TIMEOUT: Duration = Duration::from_secs(5);

/// Serve the operator's endpoints until the process ends.
pub async fn serve(app: Arc<App>, listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let app = app.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(answer(&app, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(10))
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn text(status: StatusCode, ctype: &'static str, body: String) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(CONTENT_TYPE, ctype)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

async fn answer(app: &App, req: Request<Incoming>) -> Response<Full<Bytes>> {
    const PLAIN: &str = "text/plain; charset=utf-8";
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return text(StatusCode::METHOD_NOT_ALLOWED, PLAIN, "GET only\n".into());
    }
    match req.uri().path() {
        "/metrics" => {
            if !token_ok(app.cfg.metrics_token.as_deref(), &req) {
                return text(
                    StatusCode::UNAUTHORIZED,
                    PLAIN,
                    "bearer token required\n".into(),
                );
            }
            text(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                crate::metrics::get().render(),
            )
        }
        "/health" => text(StatusCode::OK, PLAIN, "ok\n".into()),
        "/ready" => match ready(app).await {
            Ok(()) => text(StatusCode::OK, PLAIN, "ready\n".into()),
            Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, PLAIN, format!("{why}\n")),
        },
        _ => text(
            StatusCode::NOT_FOUND,
            PLAIN,
            "not found (/metrics, /health, /ready)\n".into(),
        ),
    }
}

/// `Authorization: Bearer <token>` when a token is configured, compared in constant time.
fn token_ok(want: Option<&str>, req: &Request<Incoming>) -> bool {
    let Some(want) = want else { return true };
    let got = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    crate::auth::ct_eq(got.as_bytes(), want.as_bytes())
}

/// The store answers a read and makes a write durable, and object data can be written, in
/// time.
async fn ready(app: &App) -> Result<(), String> {
    let key = schema::ready_probe(app.instance_id);
    let probe = async {
        app.store
            .get(&key)
            .await
            .map_err(|e| format!("store not readable: {e}"))?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut t = Txn::default();
        t.put(key.clone(), now.to_string());
        app.store
            .commit(t)
            .await
            .map_err(|e| format!("store not writable: {e}"))?;
        app.objects
            .blobs
            .probe()
            .await
            .map_err(|e| format!("store not writable (object data): {e}"))
    };
    match tokio::time::timeout(READY_TIMEOUT, probe).await {
        Ok(r) => r,
        Err(_) => Err(format!(
            "store did not answer within {} s",
            READY_TIMEOUT.as_secs()
        )),
    }
}
