//! The HTTP front: the accept loop with its limits, TLS and graceful shutdown (`serve`), the
//! connection's framing checks (`conn`), the request pipeline (`pipeline`), bodies (`body`)
//! the one writer of answers (`respond`) and request ids (`request_id`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::App;

mod authn;
pub mod body;
pub mod conn;
pub mod operator;
pub mod pipeline;
mod request_id;
pub mod respond;
mod swift_auth;
pub mod tls;
pub mod workers;
mod write_batch;

pub use tls::Tls;

/// File descriptors kept free for the store, logs and object files besides connections.
const RESERVED_FDS: u64 = 256;

/// Run the gateway until `shutdown` resolves; then stop accepting, let in-flight requests
/// finish (up to `grace`), and return. With `tls`, every connection is HTTPS, and SIGHUP
/// re-reads the certificate.
pub async fn serve(
    app: Arc<App>,
    listener: TcpListener,
    tls: Option<Arc<Tls>>,
    shutdown: impl std::future::Future<Output = ()>,
    grace: Duration,
) {
    if let Some(tls) = &tls {
        reload_on_sighup(tls.clone());
    }
    let graceful = GracefulShutdown::new();
    let workers = match workers::Workers::start(app.cfg.workers, app.cfg.batch_writes) {
        Ok(w) => w,
        Err(e) => {
            tracing::error!("cannot start the connection threads: {e}");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(connection_cap(app.cfg.max_connections)));
    let mut last_warning: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        // At the cap, stop accepting: new clients wait in the kernel's backlog.
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, addr) = tokio::select! {
            res = listener.accept() => match res {
                Ok((s, addr)) => (s, addr),
                Err(e) => {
                    // Out of descriptors or memory: wait and retry; never stop serving.
                    if last_warning.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                        tracing::warn!(error = %e, "accept failed");
                        last_warning = Some(Instant::now());
                    }
                    if !is_per_connection(&e) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let watcher = graceful.watcher();
        let tls = tls.clone();
        let peer = crate::s3::Peer {
            ip: addr.ip().to_canonical(),
            tls: tls.is_some(),
        };
        workers.hand_over(
            stream,
            Box::new(move |stream| match tls {
                None => {
                    let fd = std::os::fd::AsRawFd::as_raw_fd(&stream);
                    Box::pin(serve_connection(
                        app,
                        stream,
                        watcher,
                        permit,
                        peer,
                        Some(fd),
                    ))
                }
                Some(tls) => Box::pin(async move {
                    let handshake = tls.acceptor().accept(stream);
                    let timeout = Duration::from_secs(app.cfg.idle_timeout);
                    match tokio::time::timeout(timeout, handshake).await {
                        Ok(Ok(s)) => serve_connection(app, s, watcher, permit, peer, None).await,
                        Ok(Err(e)) => tracing::debug!(error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!("TLS handshake timed out"),
                    }
                }),
            }),
        );
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(grace) => {
            tracing::warn!("in-flight requests still running after {grace:?}; closing anyway");
        }
    }
}

/// One connection, HTTP/1.1, until it closes; `permit` holds its place under the cap.
async fn serve_connection<IO>(
    app: Arc<App>,
    io: IO,
    watcher: Watcher,
    permit: OwnedSemaphorePermit,
    peer: crate::s3::Peer,
    batch_fd: Option<std::os::fd::RawFd>,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let idle = Duration::from_secs(app.cfg.idle_timeout);
    let send = Duration::from_secs(app.cfg.send_timeout);
    let app: pipeline::ConnApp = Arc::new(app);
    let svc = hyper::service::service_fn(move |req| pipeline::handle(app.clone(), req, peer));
    // hyper applies the header-read timeout from the moment it waits for a request head,
    // so it also closes connections idle between requests.
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(idle)
        .half_close(true)
        .serve_connection(TokioIo::new(conn::Conn::new(io, send, batch_fd)), svc);
    let open = &crate::metrics::get().open_connections;
    open.inc();
    let _ = watcher.watch(conn).await;
    open.dec();
    drop(permit);
}

/// Accept errors that concern only the connection being accepted (retry at once).
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

/// `max_connections`, lowered when the process may not open that many descriptors (each
/// connection may hold an object file too).
fn connection_cap(configured: usize) -> usize {
    let limit = raise_fd_limit();
    let fit = (limit.saturating_sub(RESERVED_FDS) / 2).max(16);
    if (configured as u64) > fit {
        tracing::warn!(
            max_connections = configured,
            fd_limit = limit,
            "max_connections lowered to {fit} to stay within the open-file limit"
        );
        return fit as usize;
    }
    configured
}

/// Raise the soft open-file limit to the hard one; returns the limit in force.
fn raise_fd_limit() -> u64 {
    // SAFETY: getrlimit/setrlimit only read and write the struct we pass.
    unsafe {
        let mut rl = std::mem::zeroed::<libc::rlimit>();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut rl) != 0 {
            return 1024;
        }
        if rl.rlim_cur < rl.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: rl.rlim_max,
                rlim_max: rl.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                rl = raised;
            }
        }
        rl.rlim_cur
    }
}

fn reload_on_sighup(tls: Arc<Tls>) {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: certificates will not be reloaded");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            let t = tls.clone();
            match tokio::task::spawn_blocking(move || t.reload()).await {
                Ok(Ok(())) => tracing::info!("TLS certificate reloaded"),
                Ok(Err(e)) => {
                    tracing::error!("TLS reload failed, keeping the old certificate: {e}")
                }
                Err(e) => tracing::error!("TLS reload failed: {e}"),
            }
        }
    });
}
