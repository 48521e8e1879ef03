//! The running gateway's state (or one CLI command's): settings, the store, and the domain
//! services on it, which admin ops and S3 ops alike are given. It lives with the services it
//! holds, so that the ops import nothing above the domain. Built once by `bootstrap::open`.

use std::sync::Arc;

use crate::config::{Compat, Config};
use crate::domain::buckets::Buckets;
use crate::domain::objects::Objects;
use crate::domain::ratelimit::Limiter;
use crate::domain::uploads::Uploads;
use crate::domain::usage::UsageLog;
use crate::domain::users::Users;
use crate::encode::{RenderCache, Style};
use crate::model::Quota;
use crate::store::Store;

pub struct App {
    pub cfg: Config,
    pub store: Store,
    pub users: Arc<Users>,
    pub buckets: Arc<Buckets>,
    pub objects: Arc<Objects>,
    pub uploads: Uploads,
    /// Accounts (served at `squid`).
    pub accounts: crate::domain::accounts::Accounts,
    /// S3 request accounting (`/admin/usage`); its flusher starts with the server.
    pub usage: Arc<UsageLog>,
    /// Rate limits: the global ones (followed across gateways) and the per-window counters.
    pub ratelimit: Arc<Limiter>,
    /// Rendered user documents (hot admin reads).
    pub rendered: RenderCache,
    /// radosgw's rados client id, printed in request ids and `HostId`.
    pub instance_id: u64,
    pub zone: String,
    pub host_id: String,
    /// Stable id of this store, shown as `cluster_id` by `/admin/info`.
    pub cluster_id: String,
}

impl App {
    /// One lifecycle pass now, over every bucket with rules (or only bucket key `only`),
    /// leaving alone those whose pass started less than `fresh` seconds ago.
    pub async fn lifecycle_pass(
        &self,
        only: Option<&str>,
        fresh: Option<i64>,
    ) -> crate::error::Result<crate::domain::lifecycle::pass::Report> {
        let clock = crate::domain::lifecycle::LcClock {
            now: crate::clock::now_us().div_euclid(1_000_000),
            debug_day: (self.cfg.lc_debug_interval > 0).then_some(self.cfg.lc_debug_interval),
        };
        let scope = crate::domain::lifecycle::pass::Scope {
            fresh,
            store: &self.store,
            buckets: &self.buckets,
            objects: &self.objects,
            uploads: &self.uploads,
        };
        crate::domain::lifecycle::pass::run(&scope, clock, only).await
    }

    /// Quota given to new buckets (radosgw's `rgw_bucket_default_quota_*`: unlimited).
    pub fn default_bucket_quota(&self) -> Quota {
        Quota::default()
    }

    /// Is radosgw 19's behaviour (accounts, IAM user fields) on?
    pub fn squid(&self) -> bool {
        self.cfg.compat >= Compat::Squid
    }

    /// Pacific and Quincy print `encode_json(bool)` as strings; Reef as booleans.
    /// How user documents show keys at this level (radosgw 19 adds `active`, `create_date`).
    pub fn key_view(&self) -> crate::model::KeyView {
        crate::model::KeyView {
            squid: self.cfg.compat >= Compat::Squid,
            hidden: false,
        }
    }

    pub fn style(&self) -> Style {
        Style {
            string_bools: self.cfg.compat <= Compat::Quincy,
        }
    }
}
