//! Prometheus metrics: one process-wide registry that every layer bumps (the pipeline,
//! the caches, the store's writer, the usage log) and the metrics listener renders.
//!
//! A leaf module: it imports nothing from the crate, so the store and the domain may use it
//! without reaching upward. Hot paths hold their counters' handles (an `Arc` to an atomic)
//! instead of looking a label set up on every call; the per-request series are kept per
//! thread once counted into.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::Duration;

use foldhash::fast::FixedState;
use hashbrown::HashMap;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub op: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OpLabel {
    pub op: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CacheLabels {
    pub cache: &'static str,
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BuildLabels {
    version: &'static str,
}

/// Request latencies: 50 µs to ~6.5 s.
#[derive(Clone)]
struct LatencyBuckets;

impl MetricConstructor<Histogram> for LatencyBuckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(exponential_buckets(0.000_05, 2.0, 18))
    }
}

pub struct Metrics {
    pub requests: Family<RequestLabels, Counter>,
    latency: Family<OpLabel, Histogram, LatencyBuckets>,
    pub auth_failures: Family<ReasonLabel, Counter>,
    pub ratelimit_refusals: Counter,
    pub quota_refusals: Counter,
    store_commit: Histogram,
    store_batch: Histogram,
    cache: Family<CacheLabels, Counter>,
    pub usage_flushes: Counter,
    pub usage_flush_failures: Counter,
    pub open_connections: Gauge,
    registry: Registry,
}

impl Metrics {
    fn new() -> Metrics {
        let m = Metrics {
            requests: Family::default(),
            latency: Family::new_with_constructor(LatencyBuckets),
            auth_failures: Family::default(),
            ratelimit_refusals: Counter::default(),
            quota_refusals: Counter::default(),
            store_commit: Histogram::new(exponential_buckets(0.000_05, 2.0, 16)),
            // Transactions per group commit (one synced write).
            store_batch: Histogram::new(exponential_buckets(1.0, 2.0, 10)),
            cache: Family::default(),
            usage_flushes: Counter::default(),
            usage_flush_failures: Counter::default(),
            open_connections: Gauge::default(),
            registry: Registry::with_prefix("rgw_admin"),
        };
        let mut r = m.registry;
        r.register(
            "requests",
            "Requests answered, by op and HTTP status",
            m.requests.clone(),
        );
        r.register_with_unit(
            "request_duration",
            "Time from the request's head to its answer, by op",
            Unit::Seconds,
            m.latency.clone(),
        );
        r.register(
            "auth_failures",
            "Requests whose signature or credentials were refused, by error code",
            m.auth_failures.clone(),
        );
        r.register(
            "ratelimit_refusals",
            "Requests refused by a rate limit (SlowDown)",
            m.ratelimit_refusals.clone(),
        );
        r.register(
            "quota_refusals",
            "Writes refused by a user or bucket quota (QuotaExceeded)",
            m.quota_refusals.clone(),
        );
        r.register_with_unit(
            "store_commit_duration",
            "Time from a commit's submission to its durable (synced) acknowledgement",
            Unit::Seconds,
            m.store_commit.clone(),
        );
        r.register(
            "store_group_commit_transactions",
            "Transactions written together by one synced group commit",
            m.store_batch.clone(),
        );
        r.register(
            "cache_lookups",
            "Cache lookups, by cache and result (hit or miss)",
            m.cache.clone(),
        );
        r.register(
            "usage_log_flushes",
            "Usage log flushes to the store",
            m.usage_flushes.clone(),
        );
        r.register(
            "usage_log_flush_failures",
            "Usage log flushes that failed (retried at the next tick)",
            m.usage_flush_failures.clone(),
        );
        r.register(
            "open_connections",
            "Client connections open now",
            m.open_connections.clone(),
        );
        r.register(
            "build",
            "The running build",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
            }),
        );
        Metrics { registry: r, ..m }
    }

    /// Count one answered request. Each thread keeps the series it has counted into, so a
    /// request costs no lock and no label hashing, only the series' own atomics.
    pub fn request(&self, op: &'static str, status: u16, took: Duration) {
        type Series = (Counter, Histogram);
        thread_local! {
            static SERIES: RefCell<HashMap<(usize, usize, u16), Series, FixedState>> =
                const { RefCell::new(HashMap::with_hasher(FixedState::with_seed(0x6d65))) };
        }
        // Keyed by where the metrics and the op name live: both are 'static, and the same
        // name at two addresses only costs a second entry for the same series.
        let key = (
            self as *const Metrics as usize,
            op.as_ptr() as usize,
            status,
        );
        SERIES.with(|s| {
            let mut s = s.borrow_mut();
            let (count, latency) = s.entry(key).or_insert_with(|| {
                (
                    self.requests
                        .get_or_create(&RequestLabels { op, status })
                        .clone(),
                    self.latency.get_or_create(&OpLabel { op }).clone(),
                )
            });
            count.inc();
            latency.observe(took.as_secs_f64());
        });
    }

    pub fn auth_failure(&self, reason: &'static str) {
        self.auth_failures
            .get_or_create(&ReasonLabel { reason })
            .inc();
    }

    /// The hit and miss counters of the cache `name`, held by the cache itself.
    pub fn cache_counters(&self, name: &'static str) -> (Counter, Counter) {
        let get = |result| {
            self.cache
                .get_or_create(&CacheLabels {
                    cache: name,
                    result,
                })
                .clone()
        };
        (get("hit"), get("miss"))
    }

    /// One commit, from its submission to its durable acknowledgement.
    pub fn commit(&self, took: Duration) {
        self.store_commit.observe(took.as_secs_f64());
    }

    /// One group commit of `transactions` transactions.
    pub fn group_commit(&self, transactions: usize) {
        self.store_batch.observe(transactions as f64);
    }

    /// The text exposition format (OpenMetrics), as Prometheus scrapes it.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(16 << 10);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// The process's metrics.
pub fn get() -> &'static Metrics {
    static M: OnceLock<Metrics> = OnceLock::new();
    M.get_or_init(Metrics::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_names() {
        let m = Metrics::new();
        m.request("get_user_info", 200, Duration::from_micros(120));
        m.auth_failure("SignatureDoesNotMatch");
        let (hit, _miss) = m.cache_counters("users");
        hit.inc();
        m.group_commit(3);
        m.commit(Duration::from_millis(2));
        let text = m.render();
        for want in [
            "rgw_admin_requests_total{op=\"get_user_info\",status=\"200\"} 1",
            "rgw_admin_request_duration_seconds_count{op=\"get_user_info\"} 1",
            "rgw_admin_auth_failures_total{reason=\"SignatureDoesNotMatch\"} 1",
            "rgw_admin_cache_lookups_total{cache=\"users\",result=\"hit\"} 1",
            "rgw_admin_cache_lookups_total{cache=\"users\",result=\"miss\"} 0",
            "rgw_admin_store_group_commit_transactions_sum 3.0",
            "rgw_admin_build_info{version=\"",
            "# EOF",
        ] {
            assert!(text.contains(want), "missing {want:?} in\n{text}");
        }
    }
}
