//! Shared state of a running gateway (or of one CLI command).

use std::sync::Arc;

use crate::buckets::Buckets;
use crate::config::{Compat, Config};
use crate::encode::Style;
use crate::model::Quota;
use crate::objects::DataStore;
use crate::users::Users;

pub struct App {
    pub cfg: Config,
    pub users: Arc<Users>,
    pub buckets: Arc<Buckets>,
    pub data: Arc<DataStore>,
    /// radosgw's rados client id, printed in request ids and `HostId`.
    pub instance_id: u64,
    pub zone: String,
    pub host_id: String,
    /// Stable id of this store, shown as `cluster_id` by `/admin/info`.
    pub cluster_id: String,
    /// Rate limits: the global ones and the per-window counters.
    pub ratelimit: crate::ratelimit::Limiter,
    /// S3 request accounting (`/admin/usage`); its flusher starts with the server.
    pub usage: Arc<crate::usage::UsageLog>,
}

impl App {
    pub fn new(
        cfg: Config,
        users: Arc<Users>,
        buckets: Arc<Buckets>,
        data: Arc<DataStore>,
        cluster_id: String,
    ) -> App {
        // radosgw prints its rados client id here; keeping ours four digits wide (as the
        // captured 1012 was) makes error documents exactly as long as radosgw's, which the
        // usage log's byte counts show.
        let instance_id = 1000 + std::process::id() as u64 % 9000;
        let zone = "default".to_string();
        let host_id = format!("{instance_id}-{zone}-default");
        let global =
            crate::ratelimit::Limiter::load_global(users.store().as_ref()).unwrap_or_else(|e| {
                tracing::error!("global rate limits unreadable, using none: {e}");
                Default::default()
            });
        let ratelimit = crate::ratelimit::Limiter::new(cfg.ratelimit_window, global);
        let usage = Arc::new(crate::usage::UsageLog::new(
            users.store().clone(),
            cfg.usage_log,
            std::time::Duration::from_secs(cfg.usage_flush_interval),
            cfg.usage_flush_threshold,
        ));
        App {
            cfg,
            users,
            buckets,
            data,
            instance_id,
            zone,
            host_id,
            cluster_id,
            ratelimit,
            usage,
        }
    }

    /// Quota given to new buckets (radosgw's `rgw_bucket_default_quota_*`: unlimited).
    pub fn default_bucket_quota(&self) -> Quota {
        Quota::default()
    }

    /// Pacific and Quincy print `encode_json(bool)` as strings; Reef as booleans.
    pub fn style(&self) -> Style {
        Style {
            string_bools: self.cfg.compat <= Compat::Quincy,
        }
    }
}
