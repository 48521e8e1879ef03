//! Opening a store and making its first admin user.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::app::App;
use crate::buckets::Buckets;
use crate::config::{Compat, Config};
use crate::model::{Key, User, UserId};
use crate::objects::DataStore;
use crate::store::rocks::RocksStore;
use crate::store::{MetadataStore, Txn};
use crate::users::Users;

const CLUSTER_ID_KEY: &[u8] = b"meta/cluster_id";

/// Open the store of `cfg.data_dir` and build the app state on it.
pub fn open(cfg: Config) -> Result<App, String> {
    let store: Arc<dyn MetadataStore> = Arc::new(RocksStore::open(&cfg.data_dir.join("db"))?);
    let cluster_id = cluster_id(store.as_ref())?;
    let users = Users::load(store.clone()).map_err(|e| format!("loading users: {e}"))?;
    let buckets = Buckets::load(store.clone()).map_err(|e| format!("loading buckets: {e}"))?;
    let data = DataStore::open(&cfg.data_dir)
        .map_err(|e| format!("object data in {}: {e}", cfg.data_dir.display()))?;
    let swept = data.sweep(&live_data(store.as_ref()).map_err(|e| e.to_string())?);
    if swept > 0 {
        tracing::info!("removed {swept} unreferenced object data files");
    }
    Ok(App::new(
        cfg,
        Arc::new(users),
        Arc::new(buckets),
        Arc::new(data),
        cluster_id,
    ))
}

/// Data files the index refers to (objects and uploaded parts).
fn live_data(store: &dyn MetadataStore) -> crate::error::Result<std::collections::HashSet<String>> {
    let mut live = std::collections::HashSet::new();
    for (_, v) in store.scan(b"obj/")? {
        let o: crate::buckets::ObjectMeta = crate::buckets::decode(&v)?;
        live.extend(o.data.into_iter().map(|(id, _)| id));
    }
    for (_, v) in store.scan(b"part/")? {
        let p: crate::s3::multipart::Part = crate::buckets::decode(&v)?;
        live.insert(p.data);
    }
    Ok(live)
}

fn cluster_id(store: &dyn MetadataStore) -> Result<String, String> {
    if let Some(v) = store.get(CLUSTER_ID_KEY).map_err(|e| e.to_string())? {
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
    t.expect(CLUSTER_ID_KEY, None)
        .put(CLUSTER_ID_KEY, id.clone());
    match store.commit(t) {
        Ok(_) => Ok(id),
        Err(_) => store
            .get(CLUSTER_ID_KEY)
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
    v
}

/// On an empty store, create user `admin` with all admin caps. Keys come from
/// `RGW_ADMIN_ACCESS_KEY`/`RGW_ADMIN_SECRET_KEY`, or are generated and written to
/// `<data-dir>/admin-credentials` (mode 0600). Returns the path written, if any.
pub async fn bootstrap_admin(app: &App) -> Result<Option<std::path::PathBuf>, String> {
    if app.users.count() > 0 {
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
    u.keys.insert(
        ak.clone(),
        Key {
            subuser: String::new(),
            secret: sk.clone(),
        },
    );
    app.users
        .create(u)
        .await
        .map_err(|e| format!("creating the admin user: {e}"))?;
    if from_env {
        return Ok(None);
    }
    let path = app.cfg.data_dir.join("admin-credentials");
    write_private(
        &path,
        &format!("# rgw-admin bootstrap admin user 'admin'\naccess_key = \"{ak}\"\nsecret_key = \"{sk}\"\n"),
    )
    .map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(Some(path))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}
