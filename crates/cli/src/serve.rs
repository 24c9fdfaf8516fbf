//! `leakwall serve`, `leakwall migrate` and `leakwall admin`.

use std::process::ExitCode;

use anyhow::{bail, Context};
use leakwall_server::{first_admin_key, open_store, AppState, Config, Settings};

use crate::args::{CreateKeyArgs, ServeArgs, ServerArgs, WorkerArgs};

async fn axum_serve(listener: tokio::net::TcpListener, app: leakwall_server::routes::HealthApp) {
    if let Err(e) = leakwall_server::routes::serve_health(listener, app).await {
        tracing::error!(error = %e, "health endpoint stopped");
    }
}

fn settings(args: &ServerArgs, listen: Option<&str>) -> anyhow::Result<Settings> {
    let config = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    let mut config = config.with_env(|k| std::env::var(k).ok());
    if let Some(url) = &args.database {
        config.database.url = url.clone();
    }
    if let Some(url) = &args.queue {
        config.queue.url = url.clone();
    }
    if let Some(listen) = listen {
        config.server.listen = listen.to_owned();
    }
    config.validate()
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LEAKWALL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}

/// `leakwall serve`
pub fn serve(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let settings = settings(&args.server, args.listen.as_deref())?;
    runtime()?.block_on(async move {
        let signal = shutdown_signal();
        tracing::info!("starting");
        let store = open_store(&settings).await?;
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("listening on {}", settings.listen))?;
        let addr = listener.local_addr()?;
        let base = format!("http://{addr}");
        if let Some(key) = first_admin_key(&store).await? {
            println!("Created the first API key, in the built-in `admin` group. It is shown only");
            println!("this once; keep it somewhere safe:\n\n    {key}\n");
            println!("Use it like this:\n\n    curl -H 'Authorization: Bearer {key}' {base}/api/user\n");
        }
        println!("Leakwall is listening on {base}");
        println!("  admin API  {base}/api/  (OpenAPI: {base}/api/openapi.json)");
        println!("  scan API   {base}/v1/scan");
        println!("  health     {base}/healthz  {base}/readyz  {base}/metrics");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        tracing::info!(%addr, database = %leakwall_server::redact(&settings.database_url), "serving");
        let queue = leakwall_server::queue::open_queue(&settings.queue).await?;
        let state = AppState::new(store.clone(), settings)
            .with_queue(queue)
            .with_policies()
            .await;
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let proxy = start_proxy(&state, wait(stopped.clone())).await?;
        let workers = (!args.no_workers).then(|| {
            let state = state.clone();
            tokio::spawn(leakwall_server::run_workers(state, wait(stopped.clone())))
        });
        let grpc = match start_grpc(&state, wait(stopped.clone())).await {
            Ok(grpc) => grpc,
            Err(e) => {
                let _ = stop.send(true);
                return Err(e);
            }
        };
        let http = leakwall_server::serve(state, listener, async move {
            signal.await;
            let _ = stop.send(true);
        });
        let served = http.await;
        if let Some(workers) = workers {
            workers.await.context("queue workers")??;
        }
        if let Some(proxy) = proxy {
            proxy.await.context("proxy guard")??;
        }
        if let Some(grpc) = grpc {
            grpc.await.context("gRPC policy API")??;
        }
        served?;
        store.close().await;
        tracing::info!("stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// Binds and starts the proxy guard when `proxy.listen` is set; it stops with `shutdown`.
async fn start_proxy(
    state: &AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<tokio::task::JoinHandle<anyhow::Result<()>>>> {
    let Some(guard) = leakwall_server::proxy::Guard::from_state(state) else {
        return Ok(None);
    };
    let listen = guard.listen();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("proxy.listen: listening on {listen}"))?;
    if let Some(proxy) = &state.settings.proxy {
        let upstream = proxy.upstream.to_string();
        let upstream = upstream.trim_end_matches('/');
        let prefix = &proxy.upstream_prefix;
        println!(
            "  proxy guard http://{} -> {upstream}{prefix}",
            listener.local_addr()?
        );
    }
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let guard = std::sync::Arc::new(guard);
    Ok(Some(tokio::spawn(leakwall_server::proxy::serve(
        guard, listener, shutdown,
    ))))
}

/// Binds and starts the gRPC policy API unless `grpc.listen` is empty; it stops with
/// `shutdown`, letting calls in flight finish.
async fn start_grpc(
    state: &AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Option<tokio::task::JoinHandle<anyhow::Result<()>>>> {
    let Some(listen) = state.settings.grpc_listen else {
        return Ok(None);
    };
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("grpc.listen: listening on {listen}"))?;
    println!(
        "  gRPC       {} (policies Evaluate)",
        listener.local_addr()?
    );
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let serving = leakwall_server::grpc::serve(state.clone(), listener, shutdown);
    Ok(Some(tokio::spawn(serving)))
}

/// Installs the SIGTERM and Ctrl-C handlers now and returns a future that completes when one
/// of them arrives. Called first thing, so a signal sent while the store opens or migrates
/// still ends in a graceful shutdown (the future is already complete when it is awaited)
/// instead of the default action, which kills the process.
fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let (term, interrupt) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate()).ok(),
            signal(SignalKind::interrupt()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = wait(term) => {},
                () = wait(interrupt) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutting down");
    }
}

/// Completes when the shutdown flag turns true.
async fn wait(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|s| *s).await;
}

/// `leakwall worker`: queue workers only, until SIGTERM or Ctrl-C.
pub fn worker(args: WorkerArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let settings = settings(&args.server, None)?;
    runtime()?.block_on(async move {
        let signal = shutdown_signal();
        tracing::info!("starting");
        let store = open_store(&settings).await?;
        let queue = leakwall_server::queue::open_queue(&settings.queue).await?;
        let state = AppState::new(store.clone(), settings)
            .with_queue(queue)
            .with_policies()
            .await;
        state
            .detection
            .reload(&state.store)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        let health = match &args.metrics_listen {
            Some(addr) => {
                let listener = tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("--metrics-listen {addr}"))?;
                println!(
                    "health and metrics on http://{}/metrics",
                    listener.local_addr()?
                );
                let app = leakwall_server::routes::health_router(state.clone());
                Some(tokio::spawn(async move { axum_serve(listener, app).await }))
            }
            None => None,
        };
        tracing::info!("worker started");
        let background = tokio::spawn(leakwall_server::maintain(state.clone()));
        let result = leakwall_server::run_workers(state, signal).await;
        background.abort();
        if let Some(health) = health {
            health.abort();
        }
        result?;
        store.close().await;
        tracing::info!("worker stopped");
        Ok(ExitCode::SUCCESS)
    })
}

/// `leakwall migrate`
pub fn migrate(args: ServerArgs) -> anyhow::Result<ExitCode> {
    init_logging();
    let settings = settings(&args, None)?;
    runtime()?.block_on(async move {
        let store = leakwall_store::Store::connect(&settings.database_url).await?;
        let applied = store.migrate().await?;
        if applied.is_empty() {
            println!("database is up to date");
        } else {
            let list: Vec<String> = applied.iter().map(i64::to_string).collect();
            println!("applied migrations: {}", list.join(", "));
        }
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}

/// `leakwall admin create-key`: prints the key alone on stdout.
pub fn create_key(args: CreateKeyArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.server, None)?;
    runtime()?.block_on(async move {
        let store = open_store(&settings).await?;
        let groups = store.groups().await?;
        for g in &args.groups {
            if !groups.iter().any(|known| &known.id == g) {
                let known: Vec<&str> = groups.iter().map(|k| k.id.as_str()).collect();
                bail!("unknown group `{g}` (known: {})", known.join(", "));
            }
        }
        let user = std::env::var("USER").unwrap_or_default();
        let audit = leakwall_store::AuditEntry {
            action: "CREATE".into(),
            method: "CLI".into(),
            path: "leakwall admin create-key".into(),
            body: serde_json::json!({"name": args.name, "username": args.username,
                "groups": args.groups}),
            user: serde_json::json!({"username": user, "source": "cli"}),
            user_id: user,
            ..leakwall_store::AuditEntry::default()
        };
        let (_, secret) = store
            .create_api_key(&args.name, &args.username, &args.groups, Some(audit))
            .await?;
        println!("{secret}");
        store.close().await;
        Ok(ExitCode::SUCCESS)
    })
}
