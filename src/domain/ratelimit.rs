//! Rate limits as radosgw enforces them (`rgw_ratelimit.h`): per gateway, per window
//! (a minute in radosgw; `ratelimit_window` seconds here), reads (GET/HEAD) and writes
//! (everything else) counted apart. Ops are charged when a request starts, bytes when it
//! ends (read: response bytes, write: request bytes). A request is refused with 503
//! `SlowDown`, before it does any work, when its user's (or the anonymous) limit or its
//! bucket's limit is used up.
//!
//! Per-user and per-bucket limits live on the user and bucket records; the global ones
//! (used where a user or bucket has none enabled) in the store under [`GLOBAL_KEY`],
//! cached here. Counters are in memory only: one map behind a mutex, O(1) per request,
//! and untouched when no limit applies.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
pub use crate::model::RateLimit;
use crate::model::User;
use crate::store::{schema, CommitError, Store, Txn};

/// Counter map size above which expired windows are swept out.
const PRUNE_AT: usize = 4096;

/// The global limits (radosgw's period config).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Global {
    pub bucket: RateLimit,
    pub user: RateLimit,
    pub anon: RateLimit,
}

#[derive(Debug, Default, Clone, Copy)]
struct Used {
    read_ops: i64,
    write_ops: i64,
    read_bytes: i64,
    write_bytes: i64,
}

/// Has `used` reached one of `lim`'s maxima for this kind of request?
fn exceeded(lim: &RateLimit, u: &Used, read: bool) -> bool {
    let over = |max: i64, used: i64| max > 0 && used >= max;
    if read {
        over(lim.max_read_ops, u.read_ops) || over(lim.max_read_bytes, u.read_bytes)
    } else {
        over(lim.max_write_ops, u.write_ops) || over(lim.max_write_bytes, u.write_bytes)
    }
}

struct Window {
    start: Instant,
    used: Used,
}

struct Counters {
    map: HashMap<String, Window>,
    last_prune: Instant,
}

/// What an admitted request was charged to, for the bytes charged when it ends.
#[derive(Debug)]
pub struct Charge {
    keys: Vec<String>,
    read: bool,
}

pub struct Limiter {
    window: Duration,
    global: RwLock<Global>,
    /// Serialises writers of the global record.
    set_lock: tokio::sync::Mutex<()>,
    counters: Mutex<Counters>,
}

impl Limiter {
    pub fn new(window_secs: u64, global: Global) -> Limiter {
        Limiter {
            window: Duration::from_secs(window_secs.max(1)),
            global: RwLock::new(global),
            set_lock: tokio::sync::Mutex::new(()),
            counters: Mutex::new(Counters {
                map: HashMap::new(),
                last_prune: Instant::now(),
            }),
        }
    }

    /// The stored global limits (defaults when never set).
    pub async fn load_global(store: &Store) -> Result<Global> {
        Ok(Self::read_global(store).await?.1)
    }

    async fn read_global(store: &Store) -> Result<(Option<Vec<u8>>, Global)> {
        let raw = store.get(schema::GLOBAL_RATELIMIT).await?;
        let g = match &raw {
            None => Global::default(),
            Some(v) => serde_json::from_slice(v)
                .map_err(|e| Error::Unknown(format!("corrupt global rate limits: {e}")))?,
        };
        Ok((raw, g))
    }

    pub fn global(&self) -> Global {
        *self.global.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Read the global limits again (another gateway changed them); unreadable, the ones
    /// in memory stay.
    pub async fn reload_global(&self, store: &Store) {
        match Self::load_global(store).await {
            Ok(g) => *self.global.write().unwrap_or_else(|e| e.into_inner()) = g,
            Err(e) => {
                tracing::error!("global rate limits changed but unreadable, keeping the old: {e}")
            }
        }
    }

    /// Change the global limits durably, then in memory. The change applies to the stored
    /// record, so one made meanwhile through another gateway is kept.
    pub async fn set_global(&self, store: &Store, f: impl Fn(&mut Global)) -> Result<()> {
        let _guard = self.set_lock.lock().await;
        let mut retry = crate::store::Retry::new();
        loop {
            let (raw, mut g) = Self::read_global(store).await?;
            f(&mut g);
            let mut t = Txn::default();
            t.expect(schema::GLOBAL_RATELIMIT.to_vec(), raw).put(
                schema::GLOBAL_RATELIMIT.to_vec(),
                serde_json::to_vec(&g).map_err(|e| Error::Unknown(e.to_string()))?,
            );
            match store.commit(t).await {
                Ok(_) => {
                    *self.global.write().unwrap_or_else(|e| e.into_inner()) = g;
                    return Ok(());
                }
                Err(CommitError::Conflict) => {
                    retry.next().await.map_err(|_| Error::ServiceUnavailable)?
                }
                Err(CommitError::Store(e)) => return Err(e.into()),
            }
        }
    }

    /// Charge one op to the caller (or the anonymous limit) and to the bucket, if any, or
    /// refuse with `SlowDown` when either is used up (then nothing is charged).
    pub fn admit(
        &self,
        caller: Option<&User>,
        bucket: Option<(&str, &RateLimit)>,
        read: bool,
    ) -> Result<Option<Charge>> {
        let g = self.global();
        let user_limit = match caller {
            Some(u) if u.ratelimit.enabled => u.ratelimit,
            Some(_) => g.user,
            None => g.anon,
        };
        let bucket_limit = bucket.map(|(_, lim)| if lim.enabled { *lim } else { g.bucket });
        let user_on = user_limit.active();
        let bucket_on = bucket_limit.is_some_and(|l| l.active());
        if !user_on && !bucket_on {
            // The common case: no counting, no allocation, no lock.
            return Ok(None);
        }
        let mut limits: Vec<(String, RateLimit)> = Vec::with_capacity(2);
        if user_on {
            let key = caller.map_or_else(|| "anon".to_string(), |u| format!("u/{}", u.uid));
            limits.push((key, user_limit));
        }
        if let (true, Some((bk, _)), Some(lim)) = (bucket_on, bucket, bucket_limit) {
            limits.push((format!("b/{bk}"), lim));
        }
        let now = Instant::now();
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        self.prune(&mut c, now);
        for (k, lim) in &limits {
            if let Some(w) = c.map.get(k) {
                if now.duration_since(w.start) < self.window && exceeded(lim, &w.used, read) {
                    return Err(Error::SlowDown);
                }
            }
        }
        for (k, _) in &limits {
            let w = self.current(&mut c, k, now);
            if read {
                w.used.read_ops += 1;
            } else {
                w.used.write_ops += 1;
            }
        }
        Ok(Some(Charge {
            keys: limits.into_iter().map(|(k, _)| k).collect(),
            read,
        }))
    }

    /// Charge the bytes of a finished request: `resp_bytes` for a read, `req_bytes` for a
    /// write.
    pub fn settle(&self, charge: Option<Charge>, req_bytes: u64, resp_bytes: u64) {
        let Some(ch) = charge else { return };
        let n = i64::try_from(if ch.read { resp_bytes } else { req_bytes }).unwrap_or(i64::MAX);
        if n == 0 {
            return;
        }
        let now = Instant::now();
        let mut c = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for k in &ch.keys {
            let w = self.current(&mut c, k, now);
            if ch.read {
                w.used.read_bytes = w.used.read_bytes.saturating_add(n);
            } else {
                w.used.write_bytes = w.used.write_bytes.saturating_add(n);
            }
        }
    }

    /// The key's window at `now`, started afresh when the last one has ended.
    fn current<'a>(&self, c: &'a mut Counters, k: &str, now: Instant) -> &'a mut Window {
        let w = c.map.entry(k.to_string()).or_insert(Window {
            start: now,
            used: Used::default(),
        });
        if now.duration_since(w.start) >= self.window {
            w.start = now;
            w.used = Used::default();
        }
        w
    }

    fn prune(&self, c: &mut Counters, now: Instant) {
        if c.map.len() >= PRUNE_AT && now.duration_since(c.last_prune) >= self.window {
            let win = self.window;
            c.map.retain(|_, w| now.duration_since(w.start) < win);
            c.last_prune = now;
        }
    }
}

/// Reads are GET and HEAD; everything else writes.
pub fn is_read(method: &hyper::Method) -> bool {
    method == hyper::Method::GET || method == hyper::Method::HEAD
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserId;

    fn lim(read_ops: i64, write_ops: i64, read_bytes: i64, write_bytes: i64) -> RateLimit {
        RateLimit {
            max_read_ops: read_ops,
            max_write_ops: write_ops,
            max_read_bytes: read_bytes,
            max_write_bytes: write_bytes,
            enabled: true,
        }
    }

    fn user(name: &str, rl: RateLimit) -> User {
        let mut u = User::new(UserId::parse(name), name.into());
        u.ratelimit = rl;
        u
    }

    #[test]
    fn read_ops_limit_then_window_resets() {
        let l = Limiter::new(1, Global::default());
        let u = user("a", lim(2, 0, 0, 0));
        assert!(l.admit(Some(&u), None, true).unwrap().is_some());
        assert!(l.admit(Some(&u), None, true).unwrap().is_some());
        assert!(matches!(
            l.admit(Some(&u), None, true),
            Err(Error::SlowDown)
        ));
        // Writes are counted apart, and unlimited here.
        assert!(l.admit(Some(&u), None, false).is_ok());
        // Another user is not affected.
        let v = user("b", lim(2, 0, 0, 0));
        assert!(l.admit(Some(&v), None, true).is_ok());
        std::thread::sleep(Duration::from_millis(1100));
        assert!(l.admit(Some(&u), None, true).is_ok());
    }

    #[test]
    fn disabled_or_zero_limits_do_not_count() {
        let l = Limiter::new(60, Global::default());
        let mut rl = lim(1, 1, 1, 1);
        rl.enabled = false;
        let u = user("a", rl);
        for _ in 0..10 {
            assert!(l.admit(Some(&u), None, true).unwrap().is_none());
        }
        let z = user("z", lim(0, 0, 0, 0));
        assert!(l.admit(Some(&z), None, false).unwrap().is_none());
        assert!(l.counters.lock().unwrap().map.is_empty());
    }

    #[test]
    fn bytes_are_charged_after_the_request() {
        let l = Limiter::new(60, Global::default());
        let u = user("a", lim(0, 0, 0, 100));
        let c = l.admit(Some(&u), None, false).unwrap();
        l.settle(c, 60, 0);
        let c = l.admit(Some(&u), None, false).unwrap();
        l.settle(c, 60, 0);
        assert!(matches!(
            l.admit(Some(&u), None, false),
            Err(Error::SlowDown)
        ));
        // Read bytes are a separate budget.
        assert!(l.admit(Some(&u), None, true).is_ok());
    }

    #[test]
    fn bucket_limit_and_refusal_charges_nothing() {
        let l = Limiter::new(60, Global::default());
        let u = user("a", lim(0, 2, 0, 0));
        let b = lim(0, 1, 0, 0);
        assert!(l.admit(Some(&u), Some(("bk", &b)), false).is_ok());
        // The bucket is used up: refused, and the user's op is not charged.
        assert!(matches!(
            l.admit(Some(&u), Some(("bk", &b)), false),
            Err(Error::SlowDown)
        ));
        assert!(l.admit(Some(&u), Some(("other", &b)), false).is_ok());
        assert!(matches!(
            l.admit(Some(&u), None, false),
            Err(Error::SlowDown)
        ));
    }

    #[test]
    fn global_limits_apply_where_none_is_enabled() {
        let g = Global {
            user: lim(1, 0, 0, 0),
            anon: lim(0, 1, 0, 0),
            bucket: RateLimit::default(),
        };
        let l = Limiter::new(60, g);
        let u = user("a", RateLimit::default());
        assert!(l.admit(Some(&u), None, true).is_ok());
        assert!(l.admit(Some(&u), None, true).is_err());
        // The user's own enabled limit wins over the global one.
        let v = user("v", lim(5, 0, 0, 0));
        for _ in 0..5 {
            assert!(l.admit(Some(&v), None, true).is_ok());
        }
        assert!(l.admit(None, None, false).is_ok());
        assert!(l.admit(None, None, false).is_err());
        assert!(l.admit(None, None, true).is_ok());
    }

    #[test]
    fn dump_order() {
        let j = crate::encode::json::render(&lim(1, 2, 3, 4).dump(), Default::default());
        assert_eq!(
            j,
            r#"{"max_read_ops":1,"max_write_ops":2,"max_read_bytes":3,"max_write_bytes":4,"enabled":true}"#
        );
    }
}
