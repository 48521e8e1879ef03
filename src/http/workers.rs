//! The threads that serve connections. Each runs a single-threaded runtime and keeps every
//! connection it is given until the connection closes, so the tasks of a request never move
//! between threads and a request never wakes another thread. tokio's work-stealing runtime
//! did both: on 2 cores under 16 keep-alive clients it spent about a third more CPU per
//! signed request for the same throughput (`scripts/bench.sh`).
//!
//! The accept loop (on the main runtime, with the store's and the background tasks) hands
//! each accepted connection to the worker serving the fewest.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// What a worker runs for a connection, given the connection in its own runtime.
pub type Serve =
    Box<dyn FnOnce(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + 'static>;

/// A connection handed to a worker, counted on it for as long as it is served.
type Job = (std::net::TcpStream, Serve, Open);

struct Worker {
    tx: mpsc::UnboundedSender<Job>,
    /// Connections the worker serves now.
    open: Arc<AtomicUsize>,
}

/// The connection threads; dropping this lets them end once their connections have closed
/// (the ones still open then are cut).
pub struct Workers {
    workers: Vec<Worker>,
}

impl Workers {
    /// `n` threads; 0 means one per CPU. `batch`: each sends the answers of one pass over
    /// its ready connections together ([`super::write_batch`]).
    pub fn start(n: usize, batch: bool) -> std::io::Result<Workers> {
        let n = match n {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let mut workers = Vec::with_capacity(n);
        for i in 0..n {
            // Each runtime has its own pool for store reads that miss memory and file I/O:
            // together they stay within tokio's default for one runtime (512 threads).
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .max_blocking_threads((512 / n).max(16))
                .build()?;
            let (tx, mut rx) = mpsc::unbounded_channel::<Job>();
            std::thread::Builder::new()
                .name(format!("conn-{i}"))
                .spawn(move || {
                    let flusher = batch.then(super::write_batch::start_here);
                    rt.block_on(async move {
                        if let Some(f) = flusher {
                            tokio::spawn(f);
                        }
                        while let Some((stream, serve, open)) = rx.recv().await {
                            match TcpStream::from_std(stream) {
                                Ok(s) => {
                                    tokio::spawn(async move {
                                        let _open = open;
                                        serve(s).await;
                                    });
                                }
                                Err(e) => tracing::warn!(error = %e, "connection not served"),
                            }
                        }
                    })
                })?;
            workers.push(Worker {
                tx,
                open: Arc::new(AtomicUsize::new(0)),
            });
        }
        Ok(Workers { workers })
    }

    /// Serve `stream` on the worker with the fewest connections.
    pub fn hand_over(&self, stream: TcpStream, serve: Serve) {
        let Some(w) = self
            .workers
            .iter()
            .min_by_key(|w| w.open.load(Ordering::Relaxed))
        else {
            return;
        };
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "connection not served");
                return;
            }
        };
        // A worker thread that is gone (it panicked) drops the connection.
        let _ = w.tx.send((stream, serve, Open::new(w.open.clone())));
    }
}

/// One connection counted on its worker for as long as it lives (a panic included).
struct Open(Arc<AtomicUsize>);

impl Open {
    fn new(count: Arc<AtomicUsize>) -> Open {
        count.fetch_add(1, Ordering::Relaxed);
        Open(count)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Connections go to the least busy thread and stay there until they close.
    #[test]
    fn connections_spread_over_the_threads_and_stay() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let workers = Workers::start(2, false).unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let seen = Arc::new(Mutex::new(HashMap::<String, usize>::new()));
            let mut clients = Vec::new();
            for _ in 0..4 {
                clients.push(tokio::net::TcpStream::connect(addr).await.unwrap());
                let (stream, _) = listener.accept().await.unwrap();
                let seen = seen.clone();
                workers.hand_over(
                    stream,
                    Box::new(move |mut s| {
                        Box::pin(async move {
                            let name = std::thread::current().name().unwrap_or("").to_string();
                            *seen.lock().unwrap().entry(name).or_default() += 1;
                            // Served until the client closes.
                            let _ = tokio::io::AsyncReadExt::read(&mut s, &mut [0u8; 1]).await;
                        })
                    }),
                );
            }
            for _ in 0..200 {
                if seen.lock().unwrap().values().sum::<usize>() == 4 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let seen = seen.lock().unwrap().clone();
            assert_eq!(seen.get("conn-0"), Some(&2), "{seen:?}");
            assert_eq!(seen.get("conn-1"), Some(&2), "{seen:?}");
            let open: Vec<usize> = workers
                .workers
                .iter()
                .map(|w| w.open.load(Ordering::Relaxed))
                .collect();
            assert_eq!(open, [2, 2]);
            drop(clients);
            for _ in 0..200 {
                if workers
                    .workers
                    .iter()
                    .all(|w| w.open.load(Ordering::Relaxed) == 0)
                {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            assert!(workers
                .workers
                .iter()
                .all(|w| w.open.load(Ordering::Relaxed) == 0));
        });
    }
}
