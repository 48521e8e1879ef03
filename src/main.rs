use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;

use rgw_admin::bootstrap::Create;
use rgw_admin::cli::{Cli, Cmd};
use rgw_admin::config::{Config, LogFormat, StoreKind};

fn main() -> ExitCode {
    // Everything this process creates (store files, object data, credentials) holds or
    // guards secrets: readable by this user only, whatever the caller's umask.
    // SAFETY: umask only swaps the process's file-creation mask; no memory is involved.
    unsafe {
        libc::umask(0o077);
    }
    let cli = Cli::parse();
    // Checks the file alone: a bad environment or --config must not make a good file look bad.
    if let Cmd::Config(rgw_admin::cli::ConfigCmd::Check { file }) = &cli.cmd {
        return match Config::check_file(file) {
            Ok(()) => {
                println!("{}: valid", file.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rgw-admin: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let mut cfg = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rgw-admin: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(d) = &cli.data_dir {
        cfg.data_dir = d.clone();
    }
    if let Some(c) = cli.compat {
        cfg.compat = c;
    }
    if let Some(s) = cli.store {
        cfg.store = s;
    }
    if let Cmd::Serve { listen: Some(l) } = &cli.cmd {
        cfg.listen = l.clone();
    }
    if let Err(e) = cfg.validate() {
        eprintln!("rgw-admin: {e}");
        return ExitCode::from(2);
    }
    match &cli.cmd {
        Cmd::Serve { .. } => serve(cfg),
        Cmd::Migrate { from, to } => migrate_command(cfg, *from, *to),
        Cmd::Init => init(cfg),
        Cmd::Backup { to } => report(
            "backup",
            rgw_admin::maint::backup::backup(&cfg.data_dir, &cfg.objects_dir(), to),
        ),
        Cmd::Restore { from } => report(
            "restore",
            rgw_admin::maint::backup::restore(from, &cfg.data_dir, &cfg.objects_dir()),
        ),
        Cmd::Check { fix } => check(cfg, *fix),
        cmd => admin_command(cfg, cmd),
    }
}

fn cli_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("rgw-admin: {e}");
            ExitCode::FAILURE
        })
}

/// `init`: a new, empty store; refused where one exists, so it can never be mistaken for a
/// reset.
fn init(cfg: Config) -> ExitCode {
    if rgw_admin::bootstrap::store_exists(&cfg.data_dir) {
        eprintln!(
            "rgw-admin: {} already holds a store; nothing changed",
            cfg.data_dir.display()
        );
        return ExitCode::FAILURE;
    }
    let rt = match cli_runtime() {
        Ok(rt) => rt,
        Err(c) => return c,
    };
    let dir = cfg.data_dir.clone();
    rt.block_on(async {
        match rgw_admin::bootstrap::open(cfg, Create::IfMissing).await {
            Ok(app) => {
                app.store.close();
                println!("created an empty store in {}", dir.display());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rgw-admin: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

/// The one line a backup or restore prints (a JSON document, for scripts).
fn report(what: &str, res: Result<rgw_admin::maint::backup::Summary, String>) -> ExitCode {
    match res.and_then(|s| serde_json::to_string(&s).map_err(|e| e.to_string())) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("rgw-admin: {what}: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `check`: exit 0 when the store is consistent, 1 when it is not, 2 when it cannot be read.
fn check(cfg: Config, fix: bool) -> ExitCode {
    use rgw_admin::store::{rocks, schema, Store};
    if !rgw_admin::bootstrap::store_exists(&cfg.data_dir) {
        eprintln!("rgw-admin: no store at {}", cfg.data_dir.display());
        return ExitCode::from(2);
    }
    let rt = match cli_runtime() {
        Ok(rt) => rt,
        Err(c) => return c,
    };
    rt.block_on(async {
        let settings = rocks::RocksSettings {
            block_cache_mb: cfg.store_cache_mb,
            write_buffer_mb: cfg.store_write_buffer_mb,
        };
        let store: Store = match rocks::RocksStore::open(&cfg.data_dir.join("db"), settings) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                eprintln!("rgw-admin: {e}");
                return ExitCode::from(2);
            }
        };
        // An older layout lacks indexes the check would call missing: `serve` migrates it.
        let res = match store.get(schema::SCHEMA_KEY).await {
            Ok(Some(v)) if v == schema::SCHEMA_VERSION => {
                rgw_admin::maint::check::run(&store, &cfg.objects_dir(), fix).await
            }
            Ok(_) => {
                Err("the store has an older layout; start `rgw-admin serve` on it once".into())
            }
            Err(e) => Err(e.to_string()),
        };
        store.close();
        match res {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::FAILURE,
            Err(e) => {
                eprintln!("rgw-admin: check: {e}");
                ExitCode::from(2)
            }
        }
    })
}

fn admin_command(cfg: Config, cmd: &Cmd) -> ExitCode {
    let rt = match cli_runtime() {
        Ok(rt) => rt,
        Err(c) => return c,
    };
    rt.block_on(async {
        let app = match rgw_admin::bootstrap::open(cfg, Create::Never).await {
            Ok(a) => a,
            Err(e) => {
                eprintln!("rgw-admin: {e}");
                return ExitCode::FAILURE;
            }
        };
        let code = rgw_admin::cli::run(&app, cmd).await;
        app.store.close();
        ExitCode::from(code as u8)
    })
}

fn migrate_command(cfg: Config, from: StoreKind, to: StoreKind) -> ExitCode {
    if from == to {
        eprintln!("rgw-admin: migrate: --from and --to are the same store");
        return ExitCode::from(2);
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rgw-admin: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async {
        let open = |kind| {
            let mut c = cfg.clone();
            c.store = kind;
            async move { rgw_admin::bootstrap::open_store(&c).await }
        };
        let res = async {
            // The source must exist: migrating from a mistyped --data-dir must not create one.
            if from == StoreKind::Rocksdb && !rgw_admin::bootstrap::store_exists(&cfg.data_dir) {
                return Err(format!("no store at {}", cfg.data_dir.display()));
            }
            let src = open(from).await?;
            let dst = open(to).await?;
            let n = rgw_admin::bootstrap::copy_store(&src, &dst).await;
            src.close();
            dst.close();
            n
        }
        .await;
        match res {
            Ok(n) => {
                println!("copied {n} records");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("rgw-admin: migrate: {e}");
                ExitCode::FAILURE
            }
        }
    })
}

fn init_logging(format: LogFormat) -> rgw_admin::logging::Guard {
    use tracing_subscriber::EnvFilter;
    let (writer, guard) = rgw_admin::logging::LogBuffer::new(std::io::stdout());
    rgw_admin::logging::install_request_log(writer.clone(), format == LogFormat::Json);
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false);
    match format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Text => builder.init(),
    }
    guard
}

fn serve(cfg: Config) -> ExitCode {
    let _guard = init_logging(cfg.log_format);
    let _audit = match cfg.audit_log.as_deref().map(rgw_admin::audit::install) {
        Some(Err(e)) => {
            tracing::error!("{e}");
            eprintln!("rgw-admin: {e}");
            return ExitCode::FAILURE;
        }
        Some(Ok(g)) => Some(g),
        None => None,
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            tracing::error!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let tls = match (&cfg.tls_cert, &cfg.tls_key) {
            (Some(cert), Some(key)) => match rgw_admin::http::Tls::load(cert, key) {
                Ok(t) => Some(Arc::new(t)),
                Err(e) => {
                    tracing::error!("{e}");
                    eprintln!("rgw-admin: {e}");
                    return ExitCode::FAILURE;
                }
            },
            _ => None,
        };
        let app = match rgw_admin::bootstrap::open(cfg.clone(), Create::IfMissing).await {
            Ok(a) => Arc::new(a),
            Err(e) => {
                tracing::error!("{e}");
                eprintln!("rgw-admin: {e}");
                return ExitCode::FAILURE;
            }
        };
        match rgw_admin::bootstrap::bootstrap_admin(&app).await {
            Ok(Some(path)) => {
                tracing::info!("created user 'admin'; its keys are in {}", path.display())
            }
            Ok(None) => {}
            Err(e) => {
                tracing::error!("{e}");
                return ExitCode::FAILURE;
            }
        }
        let listener = match tokio::net::TcpListener::bind(&cfg.listen).await {
            Ok(l) => l,
            Err(e) => {
                tracing::error!("cannot listen on {}: {e}", cfg.listen);
                eprintln!("rgw-admin: cannot listen on {}: {e}", cfg.listen);
                return ExitCode::FAILURE;
            }
        };
        if let Some(addr) = &cfg.metrics_listen {
            match tokio::net::TcpListener::bind(addr).await {
                Ok(l) => {
                    let local = l.local_addr().map(|a| a.to_string()).unwrap_or_default();
                    tracing::info!(listen = %local, "metrics, health and readiness served");
                    tokio::spawn(rgw_admin::http::operator::serve(app.clone(), l));
                }
                Err(e) => {
                    tracing::error!("cannot listen on {addr} (metrics_listen): {e}");
                    eprintln!("rgw-admin: cannot listen on {addr} (metrics_listen): {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
        // Always: without a handler SIGHUP's default action would end the server.
        reopen_audit_on_sighup();
        // Files a crash left without an index entry: found and removed in the background,
        // so start-up never waits for a walk of every object.
        let sweeper = app.clone();
        tokio::spawn(async move {
            match rgw_admin::domain::sweep(&sweeper.store, &sweeper.objects.blobs).await {
                Ok(0) => {}
                Ok(n) => tracing::info!("removed {n} unreferenced object data files"),
                Err(e) => tracing::warn!(error = %e, "object data sweep stopped"),
            }
        });
        run_lifecycle(app.clone());
        let local = listener
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| cfg.listen.clone());
        tracing::info!(
            listen = %local,
            data_dir = %cfg.data_dir.display(),
            compat = ?cfg.compat,
            tls = tls.is_some(),
            "rgw-admin serving"
        );
        let grace = std::time::Duration::from_secs(cfg.shutdown_grace);
        app.usage.start();
        rgw_admin::http::serve(app.clone(), listener, tls, shutdown_signal(), grace).await;
        app.usage.shutdown().await;
        tracing::info!("shutting down: closing the store");
        let store = app.store.clone();
        let _ = tokio::task::spawn_blocking(move || store.close()).await;
        ExitCode::SUCCESS
    })
}

/// Lifecycle passes in the background, every `lc_interval` seconds (or twice per debug
/// "day"): a pass that fails is logged and the next one tries again.
fn run_lifecycle(app: std::sync::Arc<rgw_admin::domain::App>) {
    let every = match app.cfg.lc_debug_interval {
        0 => app.cfg.lc_interval,
        d => (d / 2).max(1),
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(every));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Gateways sharing a store run their passes on their own clocks: a bucket one
            // of them took within half a period is left to it.
            match app.lifecycle_pass(None, Some((every / 2) as i64)).await {
                Ok(r) if r.expired + r.aborted > 0 => tracing::info!(
                    buckets = r.buckets,
                    expired = r.expired,
                    aborted = r.aborted,
                    "lifecycle pass"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "lifecycle pass stopped"),
            }
        }
    });
}

/// SIGHUP reopens the audit log, if any (after logrotate has moved it).
fn reopen_audit_on_sighup() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(mut hup) = signal(SignalKind::hangup()) else {
        tracing::warn!("cannot listen for SIGHUP: the audit log will not be reopened");
        return;
    };
    tokio::spawn(async move {
        while hup.recv().await.is_some() {
            rgw_admin::audit::reopen();
        }
    });
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
