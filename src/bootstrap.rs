//! Opening a store, bringing its layout up to date, and making its first admin user.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use crate::config::{Compat, Config, StoreKind};
use crate::domain::blobs::Blobs;
use crate::domain::buckets::{Bucket, Buckets};
use crate::domain::objects::Objects;
use crate::domain::ratelimit::Limiter;
use crate::domain::uploads::Uploads;
use crate::domain::usage::UsageLog;
use crate::domain::users::Users;
use crate::domain::App;
use crate::encode::RenderCache;
use crate::model::{Key, User, UserId};
use crate::store::etcd::{EtcdSettings, EtcdStore, Timeouts};
use crate::store::rocks::{RocksSettings, RocksStore};
use crate::store::{schema, Store, Txn};

const MIB: usize = 1 << 20;

/// Open the store `cfg` selects: RocksDB in `cfg.data_dir`, or the etcd cluster.
pub async fn open_store(cfg: &Config) -> Result<Store, String> {
    Ok(match cfg.store {
        StoreKind::Rocksdb => Arc::new(RocksStore::open(
            &cfg.data_dir.join("db"),
            RocksSettings {
                block_cache_mb: cfg.store_cache_mb,
                write_buffer_mb: cfg.store_write_buffer_mb,
            },
        )?),
        StoreKind::Etcd => Arc::new(
            EtcdStore::open(EtcdSettings {
                endpoints: cfg.etcd_endpoint_list(),
                prefix: cfg.etcd_prefix.clone(),
                timeouts: Timeouts {
                    request: Duration::from_millis(cfg.etcd_request_timeout_ms),
                    total: Duration::from_secs(cfg.etcd_call_timeout),
                    watch: Duration::from_millis(cfg.etcd_watch_timeout_ms),
                },
            })
            .await?,
        ),
    })
}

/// Copy every record of `src` into `dst`, which must hold nothing but its schema version:
/// page by page, in transactions small enough for any engine (etcd: 128 operations,
/// 1.5 MiB). Counters arrive as their sums. Returns how many records were copied.
pub async fn copy_store(src: &Store, dst: &Store) -> Result<usize, String> {
    const BATCH: usize = 50;
    const BATCH_BYTES: usize = 1 << 20;
    let internal =
        |k: &[u8]| k.starts_with(b"meta/schema") || k.starts_with(schema::WRITE_ID.as_bytes());
    let existing = dst.scan(b"", None, 16).await.map_err(|e| e.to_string())?;
    if existing.iter().any(|(k, _)| !internal(k)) {
        return Err("the target store is not empty".into());
    }
    let mut copied = 0;
    let mut start: Option<Vec<u8>> = None;
    loop {
        let rows = src
            .scan(b"", start.as_deref(), 1000)
            .await
            .map_err(|e| e.to_string())?;
        let done = rows.len() < 1000;
        start = rows.last().map(|(k, _)| crate::store::after(k));
        let mut t = Txn::default();
        let mut bytes = 0;
        for (k, v) in rows {
            if internal(&k) {
                continue;
            }
            if t.puts.len() >= BATCH || bytes + k.len() + v.len() > BATCH_BYTES {
                dst.commit(std::mem::take(&mut t))
                    .await
                    .map_err(|e| e.to_string())?;
                bytes = 0;
            }
            bytes += k.len() + v.len();
            t.put(k, v);
            copied += 1;
        }
        if !t.is_empty() {
            dst.commit(t).await.map_err(|e| e.to_string())?;
        }
        if done {
            break;
        }
    }
    let version = src
        .get(schema::SCHEMA_KEY)
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| schema::SCHEMA_VERSION.to_vec());
    let mut t = Txn::default();
    t.put(schema::SCHEMA_KEY, version);
    dst.commit(t).await.map_err(|e| e.to_string())?;
    Ok(copied)
}

/// Whether `open` may make a new, empty store when `cfg.data_dir` holds none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// `serve` and `init`: a missing store is made.
    IfMissing,
    /// Every other command: a missing store is an error (a mistyped `--data-dir` must not
    /// leave an empty store behind and answer as if it were the real one).
    Never,
}

/// Does `data_dir` hold a store? RocksDB writes `CURRENT` when it creates a database and
/// keeps it for the database's life, so its absence means "never created here".
pub fn store_exists(data_dir: &Path) -> bool {
    data_dir.join("db").join("CURRENT").exists()
}

/// Open the store `cfg` selects and build the gateway's state on it. Reads a few records,
/// never all of them: start-up time does not grow with the store. (`create` concerns the
/// embedded store; an etcd prefix is shared and made by whichever gateway comes first.)
pub async fn open(cfg: Config, create: Create) -> Result<App, String> {
    if create == Create::Never && cfg.store == StoreKind::Rocksdb && !store_exists(&cfg.data_dir) {
        return Err(format!(
            "no store at {} (create one with `rgw-admin --data-dir {} init`, or start `rgw-admin serve` on it)",
            cfg.data_dir.display(),
            cfg.data_dir.display()
        ));
    }
    crate::store::create_private_dir(&cfg.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", cfg.data_dir.display()))?;
    let store = open_store(&cfg).await?;
    migrate(&store).await?;
    let cluster_id = cluster_id(&store).await?;
    let cache = cfg.cache_mb * MIB;
    let objects_dir = cfg.objects_dir();
    // Temp files of versions that kept them beside the store (`validate` keeps objects_dir
    // from being data_dir itself).
    let _ = std::fs::remove_dir_all(cfg.data_dir.join("tmp"));
    let blobs = Blobs::open(
        &objects_dir,
        cfg.object_cache_mb * MIB,
        cfg.store == StoreKind::Etcd,
    )
    .map_err(|e| format!("object data in {}: {e}", objects_dir.display()))?;
    let global = Limiter::load_global(&store).await.unwrap_or_else(|e| {
        tracing::error!("global rate limits unreadable, using none: {e}");
        Default::default()
    });
    // radosgw prints its rados client id in request ids; keeping ours four digits wide (as
    // the captured 1012 was) makes error documents exactly as long as radosgw's, which the
    // usage log's byte counts show.
    let instance_id = 1000 + std::process::id() as u64 % 9000;
    let zone = "default".to_string();
    let users = Arc::new(Users::new(store.clone(), cache * 3 / 8));
    let buckets = Arc::new(Buckets::new(store.clone(), cache / 8));
    let objects = Arc::new(Objects::new(store.clone(), Arc::new(blobs), cache / 4));
    let ratelimit = Arc::new(Limiter::new(cfg.ratelimit_window, global));
    if let Some(feed) = store.changes() {
        crate::domain::follow_changes(
            feed,
            store.clone(),
            users.clone(),
            buckets.clone(),
            objects.clone(),
            ratelimit.clone(),
        );
    }
    Ok(App {
        users,
        buckets,
        objects,
        uploads: Uploads::new(store.clone()),
        accounts: crate::domain::accounts::Accounts::new(store.clone()),
        usage: Arc::new(UsageLog::new(
            store.clone(),
            cfg.usage_log,
            std::time::Duration::from_secs(cfg.usage_flush_interval),
            cfg.usage_flush_threshold,
        )),
        ratelimit,
        rendered: RenderCache::new(cache / 4),
        host_id: format!("{instance_id}-{zone}-default"),
        instance_id,
        zone,
        cluster_id,
        store,
        cfg,
    })
}

/// Bring a store written by an earlier version to the current layout, in bounded batches:
/// schema 1 lacked the listing-order indexes of users and buckets.
async fn migrate(store: &Store) -> Result<(), String> {
    let version = store
        .get(schema::SCHEMA_KEY)
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_else(|| schema::SCHEMA_VERSION.to_vec());
    if version == schema::SCHEMA_VERSION {
        return Ok(());
    }
    if version != b"1" {
        return Err(format!(
            "store schema version {} is not supported (expected {})",
            String::from_utf8_lossy(&version),
            String::from_utf8_lossy(schema::SCHEMA_VERSION)
        ));
    }
    tracing::info!("store schema 1 → 2: indexing users and buckets in listing order");
    let mut batches: Vec<Txn> = Vec::new();
    let mut err = None;
    crate::store::for_each_page(store, schema::USER.as_bytes(), 1000, |rows| {
        let mut t = Txn::default();
        for (k, _) in rows {
            let uid = String::from_utf8_lossy(&k[schema::USER.len()..]).into_owned();
            t.put(schema::user_order(&uid), Vec::new());
        }
        batches.push(t);
        true
    })
    .await
    .map_err(|e| e.to_string())?;
    for t in batches.drain(..) {
        store.commit(t).await.map_err(|e| e.to_string())?;
    }
    crate::store::for_each_page(store, schema::BUCKET.as_bytes(), 1000, |rows| {
        let mut t = Txn::default();
        for (_, v) in rows {
            match serde_json::from_slice::<Bucket>(&v) {
                Ok(b) => {
                    t.put(schema::bucket_order(&b.key()), Vec::new());
                    t.put(schema::bucket_instance(&b.key(), &b.id), Vec::new());
                }
                Err(e) => {
                    err = Some(format!("corrupt bucket record: {e}"));
                    return false;
                }
            }
        }
        batches.push(t);
        true
    })
    .await
    .map_err(|e| e.to_string())?;
    if let Some(e) = err {
        return Err(e);
    }
    for t in batches {
        store.commit(t).await.map_err(|e| e.to_string())?;
    }
    let mut t = Txn::default();
    t.put(schema::SCHEMA_KEY, schema::SCHEMA_VERSION);
    store.commit(t).await.map_err(|e| e.to_string())?;
    Ok(())
}

async fn cluster_id(store: &Store) -> Result<String, String> {
    if let Some(v) = store
        .get(schema::CLUSTER_ID)
        .await
        .map_err(|e| e.to_string())?
    {
        return Ok(String::from_utf8_lossy(&v).into_owned());
    }
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    let id = format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    );
    let mut t = Txn::default();
    t.expect(schema::CLUSTER_ID, None)
        .put(schema::CLUSTER_ID, id.clone());
    match store.commit(t).await {
        Ok(_) => Ok(id),
        Err(_) => store
            .get(schema::CLUSTER_ID)
            .await
            .map_err(|e| e.to_string())?
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .ok_or_else(|| "cannot record cluster id".to_string()),
    }
}

/// Caps of the bootstrap admin: every type the compat level knows. radosgw 16 has no
/// `info`, `ratelimit` or `user-info-without-keys` caps.
fn admin_caps(compat: Compat) -> Vec<&'static str> {
    let mut v = vec![
        "bilog",
        "buckets",
        "datalog",
        "mdlog",
        "metadata",
        "oidc-provider",
        "roles",
        "usage",
        "user-policy",
        "users",
        "zone",
    ];
    if compat >= Compat::Quincy {
        v.extend(["info", "ratelimit"]);
    }
    if compat >= Compat::Squid {
        v.push("accounts");
    }
    v
}

/// On an empty store, create user `admin` with all admin caps. Keys come from
/// `RGW_ADMIN_ACCESS_KEY`/`RGW_ADMIN_SECRET_KEY`, or are generated and written to
/// `<data-dir>/admin-credentials` (mode 0600). Returns the path written, if any.
pub async fn bootstrap_admin(app: &App) -> Result<Option<std::path::PathBuf>, String> {
    if app.users.any().await.map_err(|e| e.to_string())? {
        return Ok(None);
    }
    let env_ak = std::env::var("RGW_ADMIN_ACCESS_KEY")
        .ok()
        .filter(|s| !s.is_empty());
    let env_sk = std::env::var("RGW_ADMIN_SECRET_KEY")
        .ok()
        .filter(|s| !s.is_empty());
    let from_env = env_ak.is_some() && env_sk.is_some();
    let ak = env_ak.unwrap_or_else(crate::keys::access_key);
    let sk = env_sk.unwrap_or_else(crate::keys::secret_key);
    let mut u = User::new(UserId::parse("admin"), "Admin".into());
    for c in admin_caps(app.cfg.compat) {
        u.caps.insert(c.to_string(), crate::caps::ALL);
    }
    u.keys
        .insert(ak.clone(), Key::new(String::new(), sk.clone()));
    // The keys reach the disk before the user exists: if writing them fails, nothing is
    // created and the next start tries again (the other order would lock everyone out).
    let path = app.cfg.data_dir.join("admin-credentials");
    if !from_env {
        write_private(
            &path,
            &format!("# rgw-admin bootstrap admin user 'admin'\naccess_key = \"{ak}\"\nsecret_key = \"{sk}\"\n"),
        )
        .map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if let Err(e) = app.users.create(u).await {
        if !from_env {
            let _ = std::fs::remove_file(&path);
        }
        // Gateways sharing a store start together: another one made its admin first.
        if app.users.any().await.unwrap_or(false) {
            return Ok(None);
        }
        return Err(format!("creating the admin user: {e}"));
    }
    Ok((!from_env).then_some(path))
}

/// Writes `text` to `path`, readable by this user only, without ever following a link:
/// into a new file (`O_EXCL | O_NOFOLLOW`, mode 0600) beside it, synced, then renamed over
/// `path` (a rename replaces a symlink, never its target) and the directory synced.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = dir.join(format!(".admin-credentials.{}.tmp", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}
