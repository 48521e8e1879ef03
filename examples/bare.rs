//! A bare hyper server answering 200 with a fixed body: the ceiling that signed admin reads
//! are measured against (`scripts/bench.sh` runs both side by side). An optional second
//! argument adds that many microseconds of busy work to every request, to show what a given
//! cost per request does to throughput on the same box (`bare + 10 us` in the bench).
//!
//!     cargo run --release --example bare -- 127.0.0.1:7499 [work_us]

use std::convert::Infallible;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

fn main() {
    let mut args = std::env::args().skip(1);
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:7499".to_string());
    let work = Duration::from_micros(args.next().and_then(|v| v.parse().ok()).unwrap_or(0));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&addr).await.expect("bind");
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            tokio::spawn(async move {
                let svc =
                    hyper::service::service_fn(move |_req: Request<hyper::body::Incoming>| {
                        if !work.is_zero() {
                            let start = Instant::now();
                            while start.elapsed() < work {
                                std::hint::spin_loop();
                            }
                        }
                        async {
                            Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                        }
                    });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
