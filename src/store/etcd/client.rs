//! Connections to the etcd members, and the retry policy every call goes through.
//!
//! The `etcd-client` crate balances over its endpoints but never takes a dead one out of
//! rotation, so a member's death would fail a share of every request until it came back.
//! Here each member gets its own connection; calls go to one member at a time with a short
//! per-request timeout, and a call that fails for a transient reason moves on to the next
//! member and tries again until an overall deadline. A dead member costs one timeout, then
//! nothing: a pause, not an error storm.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use etcd_client::{Client, ConnectOptions};
use tokio::sync::OnceCell;

use crate::store::StoreError;

/// Time limits of calls to etcd.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// One request to one member (connecting included).
    pub request: Duration,
    /// All attempts of one call, across members, before it fails with `Unavailable`.
    pub total: Duration,
    /// A watch that delivers nothing (not even a progress report) for this long is taken
    /// for dead: the caches stop serving until a new watch is established.
    pub watch: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            request: Duration::from_secs(2),
            total: Duration::from_secs(30),
            watch: Duration::from_secs(3),
        }
    }
}

/// Why a call gave up.
pub enum CallError {
    /// etcd refused the request itself (too large, bad argument, quota): retrying elsewhere
    /// cannot help.
    Refused(StoreError),
    /// No member answered within the deadline. A write may or may not have applied.
    Exhausted,
}

impl From<CallError> for StoreError {
    fn from(e: CallError) -> StoreError {
        match e {
            CallError::Refused(e) => e,
            CallError::Exhausted => StoreError::Unavailable,
        }
    }
}

pub struct Pool {
    members: Vec<(String, OnceCell<Client>)>,
    /// The member calls go to first; moved on when it fails.
    current: AtomicUsize,
    /// The last call found no member answering and none has succeeded since: calls then
    /// go round the members once instead of retrying until `total`, so a request making
    /// several calls during an outage is refused after about one `total`, not one per call.
    unreachable: AtomicBool,
    pub timeouts: Timeouts,
}

/// Is `e` worth retrying on another member? Everything that is not a refusal of the
/// request itself: transport failures, timeouts, leader changes, a member without leader.
fn classify(e: &etcd_client::Error) -> Option<StoreError> {
    // gRPC status codes (the crate does not re-export tonic's `Code`): 3 InvalidArgument,
    // 7 PermissionDenied, 8 ResourceExhausted, 9 FailedPrecondition, 11 OutOfRange,
    // 16 Unauthenticated.
    match e {
        etcd_client::Error::GRpcStatus(s) => match s.code() as i32 {
            8 if s.message().contains("space exceeded") => Some(StoreError::Full),
            3 | 7 | 8 | 9 | 11 | 16 => Some(StoreError::Io(format!("etcd: {}", s.message()))),
            _ => None,
        },
        etcd_client::Error::InvalidArgs(m) => Some(StoreError::Io(format!("etcd: {m}"))),
        _ => None,
    }
}

impl Pool {
    pub fn new(endpoints: &[String], timeouts: Timeouts) -> Result<Pool, String> {
        if endpoints.is_empty() {
            return Err("etcd_endpoints is empty".into());
        }
        Ok(Pool {
            members: endpoints
                .iter()
                .map(|e| (e.clone(), OnceCell::new()))
                .collect(),
            current: AtomicUsize::new(0),
            unreachable: AtomicBool::new(false),
            timeouts,
        })
    }

    /// A client of member `i`, connecting on first use. Connections are lazy: a member that
    /// is down now fails its calls, not this.
    async fn member(&self, i: usize) -> Result<Client, etcd_client::Error> {
        let (ep, cell) = &self.members[i];
        cell.get_or_try_init(|| async {
            let opts = ConnectOptions::new()
                .with_connect_timeout(self.timeouts.request)
                // HTTP/2 pings notice a member that vanished without closing the connection.
                .with_keep_alive(Duration::from_secs(1), self.timeouts.request)
                .with_keep_alive_while_idle(true)
                // A member cut off from its leader answers at once instead of hanging.
                .with_require_leader(true);
            Client::connect([ep.as_str()], Some(opts)).await
        })
        .await
        .cloned()
    }

    /// The member to use now, for long-lived streams (watches) that do their own retrying.
    pub async fn pick(&self) -> (usize, Result<Client, etcd_client::Error>) {
        let i = self.current.load(Ordering::Relaxed) % self.members.len();
        (i, self.member(i).await)
    }

    /// Stop preferring member `i` (if nobody moved on already).
    pub fn skip(&self, i: usize) {
        let next = (i + 1) % self.members.len();
        let _ = self
            .current
            .compare_exchange(i, next, Ordering::Relaxed, Ordering::Relaxed);
    }

    pub fn endpoint(&self, i: usize) -> &str {
        &self.members[i].0
    }

    /// Run `f` against one member after another until it answers, is refused for a reason
    /// another member would share, or the overall deadline passes. `f` must be safe to run
    /// more than once (reads are; commits carry a write id).
    pub async fn call<T, F, Fut>(&self, what: &'static str, mut f: F) -> Result<T, CallError>
    where
        F: FnMut(Client) -> Fut,
        Fut: Future<Output = Result<T, etcd_client::Error>>,
    {
        let outage = self.unreachable.load(Ordering::Relaxed);
        let deadline = tokio::time::Instant::now() + self.timeouts.total;
        let mut attempt: u32 = 0;
        loop {
            let (i, client) = self.pick().await;
            let res = match client {
                Ok(c) => tokio::time::timeout(self.timeouts.request, f(c)).await,
                Err(e) => Ok(Err(e)),
            };
            match res {
                Ok(Ok(v)) => {
                    self.unreachable.store(false, Ordering::Relaxed);
                    return Ok(v);
                }
                Ok(Err(e)) => {
                    if let Some(refused) = classify(&e) {
                        return Err(CallError::Refused(refused));
                    }
                    tracing::warn!(endpoint = self.endpoint(i), error = %e, "etcd {what}: retrying on the next member");
                }
                Err(_) => {
                    tracing::warn!(
                        endpoint = self.endpoint(i),
                        "etcd {what}: no answer in time; retrying on the next member"
                    );
                }
            }
            self.skip(i);
            attempt += 1;
            // Go round the members quickly once, then back off (at most 500 ms between tries).
            let pause = if (attempt as usize) < self.members.len() {
                Duration::from_millis(5)
            } else {
                Duration::from_millis((25u64 << attempt.min(5)).min(500))
            };
            let round_done = outage && attempt as usize >= self.members.len();
            if round_done || tokio::time::Instant::now() + pause >= deadline {
                self.unreachable.store(true, Ordering::Relaxed);
                return Err(CallError::Exhausted);
            }
            tokio::time::sleep(pause).await;
        }
    }
}
