//! Bare hyper plus the gateway's serving layers, one flag each, to tell what the layers
//! around the pipeline cost from what the pipeline costs (`wrk` against several of these
//! side by side, alternated: the box's run-to-run noise is larger than the layers' cost).
//!
//!     cargo run --release --example layers -- 127.0.0.1:7600 wtcg
//!
//! Flags: `w` the connection threads (`http::workers`), `t` hyper's header-read timer, `c`
//! the framing checks and send timeout (`http::conn::Conn`), `g` the graceful-shutdown
//! watcher, `b` a 1 KiB body instead of `ok`, `u` answers sent in batches
//! (`http::write_batch`, with `w` and `c`). Measured on 2 cores with 16 clients: all four
//! layers together cost about 5 % of bare hyper's throughput, within the noise; an
//! anonymous `GET /` through the whole pipeline, 0.6-0.75 x.
use std::convert::Infallible;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap();
    let flags = args.next().unwrap_or_default();
    let w = flags.contains('w');
    let t = flags.contains('t');
    let c = flags.contains('c');
    let g = flags.contains('g');
    let big = flags.contains('b');
    let batch = flags.contains('u');
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let workers = rgw_admin::http::workers::Workers::start(0, batch).unwrap();
        let graceful = GracefulShutdown::new();
        let listener = tokio::net::TcpListener::bind(&addr).await.unwrap();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let watcher = graceful.watcher();
            let serve = move |stream: tokio::net::TcpStream| -> std::pin::Pin<
                Box<dyn std::future::Future<Output = ()> + Send>,
            > {
                Box::pin(async move {
                    let svc = hyper::service::service_fn(
                        move |_req: Request<hyper::body::Incoming>| async move {
                            let body = if big {
                                Bytes::from_static(&[b'x'; 1024])
                            } else {
                                Bytes::from_static(b"ok")
                            };
                            Ok::<_, Infallible>(Response::new(Full::new(body)))
                        },
                    );
                    let mut b = hyper::server::conn::http1::Builder::new();
                    if t {
                        b.timer(TokioTimer::new())
                            .header_read_timeout(Duration::from_secs(60));
                    }
                    if c {
                        let fd = batch.then(|| std::os::fd::AsRawFd::as_raw_fd(&stream));
                        let io =
                            rgw_admin::http::conn::Conn::new(stream, Duration::from_secs(60), fd);
                        let conn = b.serve_connection(TokioIo::new(io), svc);
                        if g {
                            let _ = watcher.watch(conn).await;
                        } else {
                            let _ = conn.await;
                        }
                    } else {
                        let conn = b.serve_connection(TokioIo::new(stream), svc);
                        if g {
                            let _ = watcher.watch(conn).await;
                        } else {
                            let _ = conn.await;
                        }
                    }
                })
            };
            if w {
                workers.hand_over(stream, Box::new(serve));
            } else {
                tokio::spawn(serve(stream));
            }
        }
    });
}
