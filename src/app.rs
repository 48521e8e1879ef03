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
}

impl App {
    pub fn new(
        cfg: Config,
        users: Arc<Users>,
        buckets: Arc<Buckets>,
        data: Arc<DataStore>,
        cluster_id: String,
    ) -> App {
        let instance_id = std::process::id() as u64;
        let zone = "default".to_string();
        let host_id = format!("{instance_id}-{zone}-default");
        App {
            cfg,
            users,
            buckets,
            data,
            instance_id,
            zone,
            host_id,
            cluster_id,
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
