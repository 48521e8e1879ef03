//! Settings: defaults, then the TOML file (`--config`), then `RGW_ADMIN_<SETTING>`
//! environment variables, then command-line flags.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Which radosgw release the gateway imitates where releases differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Compat {
    /// radosgw 16.2.15 byte for byte as captured, quirks included.
    Pacific,
    /// Adds `/admin/info` and `/admin/ratelimit`.
    Quincy,
    /// JSON booleans, and correct behaviour where radosgw is plainly broken.
    #[default]
    Reef,
    /// radosgw 19.2: accounts, key `active`/`create_date`, paged bucket lists.
    Squid,
}

impl std::str::FromStr for Compat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "pacific" => Ok(Compat::Pacific),
            "quincy" => Ok(Compat::Quincy),
            "reef" => Ok(Compat::Reef),
            "squid" => Ok(Compat::Squid),
            _ => Err(format!(
                "unknown compat level {s:?} (pacific, quincy, reef or squid)"
            )),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl std::str::FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err(format!("unknown log format {s:?} (text or json)")),
        }
    }
}

/// Which requests AWS v2 signatures may authenticate. v2 signs neither the query of an
/// admin request nor any body, so a captured v2 request can be replayed with other
/// parameters within its 15 minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SigV2 {
    /// Every request (radosgw's behaviour; the Python `rgwadmin` client signs with v2).
    #[default]
    Allow,
    /// Only GET and HEAD; a v2-signed write is refused with `AccessDenied`.
    ReadOnly,
    /// None: v2-signed requests are refused with `AccessDenied`.
    Deny,
}

impl std::str::FromStr for SigV2 {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "allow" => Ok(SigV2::Allow),
            "read-only" => Ok(SigV2::ReadOnly),
            "deny" => Ok(SigV2::Deny),
            _ => Err(format!(
                "unknown sigv2 setting {s:?} (allow, read-only or deny)"
            )),
        }
    }
}

/// Which metadata engine holds users, buckets and the object index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// Embedded RocksDB in `data_dir`: one gateway.
    #[default]
    Rocksdb,
    /// An etcd cluster several gateways share.
    Etcd,
}

impl std::str::FromStr for StoreKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "rocksdb" => Ok(StoreKind::Rocksdb),
            "etcd" => Ok(StoreKind::Etcd),
            _ => Err(format!("unknown store {s:?} (rocksdb or etcd)")),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// Directory of the embedded store.
    pub data_dir: PathBuf,
    /// First path segment of the admin API (`rgw_admin_entry`).
    pub admin_entry: String,
    pub compat: Compat,
    pub log_format: LogFormat,
    /// Seconds in-flight requests get to finish after SIGTERM/SIGINT.
    pub shutdown_grace: u64,
    /// Seconds a client may stall while sending a request body before 408 RequestTimeout.
    pub body_timeout: u64,
    /// Domain for virtual-host-style S3 requests (`<bucket>.<domain>`); empty = path style
    /// only (radosgw's `rgw_dns_name`).
    pub s3_domain: String,
    /// Length in seconds of a rate-limit window (radosgw: a minute).
    pub ratelimit_window: u64,
    /// Count S3 requests in the usage log (radosgw's `rgw_enable_usage_log`).
    pub usage_log: bool,
    /// Seconds between usage log flushes to the store (`rgw_usage_log_tick_interval`).
    pub usage_flush_interval: u64,
    /// Pending usage entries that trigger an early flush (`rgw_usage_log_flush_threshold`).
    pub usage_flush_threshold: usize,
    /// Seconds between lifecycle passes (radosgw runs its once a day; rules count whole
    /// days from midnight UTC, so a pass an hour catches each expiry within the hour).
    pub lc_interval: u64,
    /// radosgw's `rgw_lc_debug_interval`: when set, a lifecycle "day" lasts this many
    /// seconds and passes run twice per such day, so that rules can be watched acting.
    pub lc_debug_interval: u64,
    /// MiB of user, bucket and object-index records (and rendered documents) kept in
    /// memory; the store stays the truth.
    pub cache_mb: usize,
    /// MiB of small objects' bytes kept in memory for fast GETs (0: none).
    pub object_cache_mb: usize,
    /// MiB of RocksDB block cache.
    pub store_cache_mb: usize,
    /// MiB of one RocksDB write buffer (at most two exist).
    pub store_write_buffer_mb: usize,
    /// PEM certificate chain; with `tls_key`, the listener serves HTTPS only.
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of `tls_cert`.
    pub tls_key: Option<PathBuf>,
    /// Which requests v2 signatures may authenticate.
    pub sigv2: SigV2,
    /// Connections served at once; past it, accepting waits for one to close.
    pub max_connections: usize,
    /// Threads that serve connections (each connection stays on one); 0: one per CPU.
    pub workers: usize,
    /// Send the answers a connection thread writes in one pass over its ready connections
    /// in one system call (io_uring; plain sends where it is unavailable).
    pub batch_writes: bool,
    /// Seconds a connection may take to send a request's headers, and may stay idle between
    /// requests, before it is closed.
    pub idle_timeout: u64,
    /// Seconds a response may wait for the client to take any data before the connection
    /// is closed.
    pub send_timeout: u64,
    /// Address of the operator's listener (`/metrics`, `/health`, `/ready`); unset: none.
    pub metrics_listen: Option<String>,
    /// Bearer token `/metrics` requires; unset: none.
    pub metrics_token: Option<String>,
    /// Audit log: a file path, or `stderr`; unset: none.
    pub audit_log: Option<String>,
    /// Bucket names as radosgw's `rgw_relaxed_s3_bucket_names` allows them (upper case,
    /// `_`, up to 255 characters) instead of the S3 rules.
    pub relaxed_bucket_names: bool,
    /// Metadata engine.
    pub store: StoreKind,
    /// etcd members, comma-separated URLs (`store = "etcd"`).
    pub etcd_endpoints: String,
    /// Prefix of every key in etcd: gateways sharing a prefix are one service.
    pub etcd_prefix: String,
    /// Milliseconds one etcd request may take before it is retried on the next member.
    pub etcd_request_timeout_ms: u64,
    /// Seconds a store call keeps retrying across members before it fails (503).
    pub etcd_call_timeout: u64,
    /// Milliseconds without any sign of life from the cache watch before the caches stop
    /// serving (the bound on how stale another gateway's change can be seen).
    pub etcd_watch_timeout_ms: u64,
    /// Where object bytes live (default `<data_dir>/objects`); with etcd, a directory
    /// every gateway shares.
    pub objects_dir: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:7480".into(),
            data_dir: PathBuf::from("./data"),
            admin_entry: "admin".into(),
            compat: Compat::default(),
            log_format: LogFormat::default(),
            shutdown_grace: 30,
            body_timeout: 30,
            s3_domain: String::new(),
            ratelimit_window: 60,
            usage_log: true,
            usage_flush_interval: 30,
            usage_flush_threshold: 1024,
            lc_interval: 3600,
            lc_debug_interval: 0,
            cache_mb: 16,
            object_cache_mb: 8,
            store_cache_mb: 8,
            store_write_buffer_mb: 4,
            tls_cert: None,
            tls_key: None,
            sigv2: SigV2::default(),
            max_connections: 4096,
            workers: 0,
            batch_writes: true,
            idle_timeout: 30,
            send_timeout: 60,
            metrics_listen: None,
            metrics_token: None,
            audit_log: None,
            relaxed_bucket_names: false,
            store: StoreKind::default(),
            etcd_endpoints: "http://127.0.0.1:2379".into(),
            etcd_prefix: "rgw-admin/".into(),
            etcd_request_timeout_ms: 2000,
            etcd_call_timeout: 30,
            etcd_watch_timeout_ms: 3000,
            objects_dir: None,
        }
    }
}

impl Config {
    /// Defaults, overlaid with `file` when given, then with the environment.
    pub fn load(file: Option<&Path>) -> Result<Config, String> {
        let mut cfg = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read config {}: {e}", p.display()))?;
                Self::parse(&text).map_err(|e| format!("{}: {e}", p.display()))?
            }
            None => Config::default(),
        };
        cfg.apply_env(|k| std::env::var(k).ok())?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// `rgw-admin config check`: what `load` does with the file, without the environment.
    pub fn check_file(file: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(file)
            .map_err(|e| format!("cannot read config {}: {e}", file.display()))?;
        Self::parse(&text)
            .and_then(|c| c.validate().map(|()| c))
            .map(drop)
            .map_err(|e| format!("{}: {e}", file.display()))
    }

    /// The one parser of config files (`load` and `config check`): unknown keys are
    /// refused by name, so a misspelt setting never silently keeps its default.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// `RGW_ADMIN_<SETTING>` for every setting.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) -> Result<(), String> {
        /// Parse the variable into `slot` when it is set; a bad value names the variable.
        fn set<T: std::str::FromStr>(
            get: &impl Fn(&str) -> Option<String>,
            name: &str,
            slot: &mut T,
        ) -> Result<(), String> {
            if let Some(v) = get(name) {
                *slot = v
                    .parse()
                    .map_err(|_| format!("{name}: not a valid value: {v:?}"))?;
            }
            Ok(())
        }
        set(&get, "RGW_ADMIN_LISTEN", &mut self.listen)?;
        set(&get, "RGW_ADMIN_DATA_DIR", &mut self.data_dir)?;
        set(&get, "RGW_ADMIN_ADMIN_ENTRY", &mut self.admin_entry)?;
        if let Some(v) = get("RGW_ADMIN_COMPAT") {
            self.compat = v.parse()?;
        }
        set(&get, "RGW_ADMIN_LOG_FORMAT", &mut self.log_format)?;
        set(&get, "RGW_ADMIN_S3_DOMAIN", &mut self.s3_domain)?;
        if let Some(v) = get("RGW_ADMIN_USAGE_LOG") {
            self.usage_log = crate::query::parse_bool(&v)
                .ok_or_else(|| format!("RGW_ADMIN_USAGE_LOG: not a boolean: {v:?}"))?;
        }
        set(
            &get,
            "RGW_ADMIN_USAGE_FLUSH_INTERVAL",
            &mut self.usage_flush_interval,
        )?;
        set(
            &get,
            "RGW_ADMIN_USAGE_FLUSH_THRESHOLD",
            &mut self.usage_flush_threshold,
        )?;
        set(&get, "RGW_ADMIN_LC_INTERVAL", &mut self.lc_interval)?;
        set(
            &get,
            "RGW_ADMIN_LC_DEBUG_INTERVAL",
            &mut self.lc_debug_interval,
        )?;
        set(&get, "RGW_ADMIN_BODY_TIMEOUT", &mut self.body_timeout)?;
        set(&get, "RGW_ADMIN_SHUTDOWN_GRACE", &mut self.shutdown_grace)?;
        set(
            &get,
            "RGW_ADMIN_RATELIMIT_WINDOW",
            &mut self.ratelimit_window,
        )?;
        set(&get, "RGW_ADMIN_CACHE_MB", &mut self.cache_mb)?;
        set(&get, "RGW_ADMIN_OBJECT_CACHE_MB", &mut self.object_cache_mb)?;
        set(&get, "RGW_ADMIN_STORE_CACHE_MB", &mut self.store_cache_mb)?;
        set(
            &get,
            "RGW_ADMIN_STORE_WRITE_BUFFER_MB",
            &mut self.store_write_buffer_mb,
        )?;
        if let Some(v) = get("RGW_ADMIN_TLS_CERT") {
            self.tls_cert = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = get("RGW_ADMIN_TLS_KEY") {
            self.tls_key = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        if let Some(v) = get("RGW_ADMIN_SIGV2") {
            self.sigv2 = v.parse()?;
        }
        set(&get, "RGW_ADMIN_MAX_CONNECTIONS", &mut self.max_connections)?;
        set(&get, "RGW_ADMIN_WORKERS", &mut self.workers)?;
        set(&get, "RGW_ADMIN_BATCH_WRITES", &mut self.batch_writes)?;
        set(&get, "RGW_ADMIN_IDLE_TIMEOUT", &mut self.idle_timeout)?;
        set(&get, "RGW_ADMIN_SEND_TIMEOUT", &mut self.send_timeout)?;
        for (name, slot) in [
            ("RGW_ADMIN_METRICS_LISTEN", &mut self.metrics_listen),
            ("RGW_ADMIN_METRICS_TOKEN", &mut self.metrics_token),
            ("RGW_ADMIN_AUDIT_LOG", &mut self.audit_log),
        ] {
            if let Some(v) = get(name) {
                *slot = (!v.is_empty()).then_some(v);
            }
        }
        if let Some(v) = get("RGW_ADMIN_RELAXED_BUCKET_NAMES") {
            self.relaxed_bucket_names = crate::query::parse_bool(&v)
                .ok_or_else(|| format!("RGW_ADMIN_RELAXED_BUCKET_NAMES: not a boolean: {v:?}"))?;
        }
        if let Some(v) = get("RGW_ADMIN_STORE") {
            self.store = v.parse()?;
        }
        set(&get, "RGW_ADMIN_ETCD_ENDPOINTS", &mut self.etcd_endpoints)?;
        set(&get, "RGW_ADMIN_ETCD_PREFIX", &mut self.etcd_prefix)?;
        set(
            &get,
            "RGW_ADMIN_ETCD_REQUEST_TIMEOUT_MS",
            &mut self.etcd_request_timeout_ms,
        )?;
        set(
            &get,
            "RGW_ADMIN_ETCD_CALL_TIMEOUT",
            &mut self.etcd_call_timeout,
        )?;
        set(
            &get,
            "RGW_ADMIN_ETCD_WATCH_TIMEOUT_MS",
            &mut self.etcd_watch_timeout_ms,
        )?;
        if let Some(v) = get("RGW_ADMIN_OBJECTS_DIR") {
            self.objects_dir = (!v.is_empty()).then(|| PathBuf::from(v));
        }
        Ok(())
    }

    /// Where object bytes live.
    pub fn objects_dir(&self) -> PathBuf {
        self.objects_dir
            .clone()
            .unwrap_or_else(|| self.data_dir.join("objects"))
    }

    /// The etcd members, as listed.
    pub fn etcd_endpoint_list(&self) -> Vec<String> {
        self.etcd_endpoints
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }

    pub fn body_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.body_timeout.max(1))
    }

    pub fn validate(&self) -> Result<(), String> {
        if self.admin_entry.is_empty() || self.admin_entry.contains('/') {
            return Err(format!(
                "admin_entry must be one path segment, got {:?}",
                self.admin_entry
            ));
        }
        self.listen
            .parse::<std::net::SocketAddr>()
            .map_err(|e| format!("listen {:?}: {e}", self.listen))?;
        if self.lc_interval == 0 {
            return Err("lc_interval must be at least 1".into());
        }
        if self.usage_flush_interval == 0 || self.usage_flush_threshold == 0 {
            return Err("usage_flush_interval and usage_flush_threshold must be at least 1".into());
        }
        if self.cache_mb == 0 || self.store_cache_mb == 0 || self.store_write_buffer_mb == 0 {
            return Err(
                "cache_mb, store_cache_mb and store_write_buffer_mb must be at least 1".into(),
            );
        }
        if self.ratelimit_window == 0 {
            return Err("ratelimit_window must be at least 1 second".into());
        }
        if self.tls_cert.is_some() != self.tls_key.is_some() {
            return Err("tls_cert and tls_key must be given together".into());
        }
        if self.max_connections == 0 || self.idle_timeout == 0 || self.send_timeout == 0 {
            return Err("max_connections, idle_timeout and send_timeout must be at least 1".into());
        }
        if self.objects_dir.as_ref() == Some(&self.data_dir) {
            return Err(
                "objects_dir must not be data_dir itself (use a directory of its own)".into(),
            );
        }
        if self.store == StoreKind::Etcd {
            if self.etcd_endpoint_list().is_empty() {
                return Err("store = \"etcd\" needs etcd_endpoints".into());
            }
            if self.etcd_prefix.is_empty() {
                return Err("etcd_prefix must not be empty".into());
            }
            if self.etcd_request_timeout_ms == 0
                || self.etcd_call_timeout == 0
                || self.etcd_watch_timeout_ms < 100
            {
                return Err("etcd_request_timeout_ms and etcd_call_timeout must be at least 1, etcd_watch_timeout_ms at least 100".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn example_config_parses() {
        let text = include_str!("../conf/rgw-admin.toml");
        let cfg = Config::parse(text).unwrap();
        cfg.validate().unwrap();
    }

    #[test]
    fn env_overrides_file() {
        let mut cfg = Config::parse("compat = \"pacific\"\nlisten = \"127.0.0.1:1\"").unwrap();
        assert_eq!(cfg.compat, Compat::Pacific);
        cfg.apply_env(|k| (k == "RGW_ADMIN_COMPAT").then(|| "quincy".to_string()))
            .unwrap();
        assert_eq!(cfg.compat, Compat::Quincy);
        assert!(cfg
            .apply_env(|k| (k == "RGW_ADMIN_COMPAT").then(|| "octopus".to_string()))
            .is_err());
        assert!(Config::parse("bogus = 1").is_err());
        assert!(!cfg.relaxed_bucket_names);
        cfg.apply_env(|k| (k == "RGW_ADMIN_RELAXED_BUCKET_NAMES").then(|| "true".to_string()))
            .unwrap();
        assert!(cfg.relaxed_bucket_names);
        assert!(cfg
            .apply_env(|k| (k == "RGW_ADMIN_RELAXED_BUCKET_NAMES").then(|| "maybe".to_string()))
            .is_err());
    }

    #[test]
    fn etcd_settings() {
        let mut cfg =
            Config::parse("store = \"etcd\"\netcd_endpoints = \"http://a:1, http://b:2\"").unwrap();
        assert_eq!(cfg.store, StoreKind::Etcd);
        assert_eq!(cfg.etcd_endpoint_list(), ["http://a:1", "http://b:2"]);
        assert_eq!(cfg.objects_dir(), PathBuf::from("./data/objects"));
        cfg.apply_env(|k| match k {
            "RGW_ADMIN_STORE" => Some("rocksdb".into()),
            "RGW_ADMIN_ETCD_PREFIX" => Some("p/".into()),
            "RGW_ADMIN_OBJECTS_DIR" => Some("/shared".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(cfg.store, StoreKind::Rocksdb);
        assert_eq!(cfg.etcd_prefix, "p/");
        assert_eq!(cfg.objects_dir(), PathBuf::from("/shared"));
        assert!(cfg
            .apply_env(|k| (k == "RGW_ADMIN_STORE").then(|| "sqlite".into()))
            .is_err());
    }
}
