//! Composition root, server side: configuration, database and migrations (the server refuses to start if they
//! fail), the outbox worker, and the HTTP router. Nothing imports this module.
//! May depend on: every module.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use leptos::prelude::*;
use leptos_axum::{LeptosRoutes, generate_route_list};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use tokio::net::TcpListener;
use tower_http::compression::predicate::{DefaultPredicate, Predicate, SizeAbove};
use tower_http::compression::{CompressionLayer, CompressionLevel};

use crate::access::events::portal_events;
use crate::app::{App, shell};
use crate::crypto::passwords::Passwords;
use crate::live::server::LiveHub;
use crate::mail::worker::{self, Deliverer};
use crate::registration::events::registration_events;
use crate::server::config::{Config, DEFAULT_DATABASE_POOL_SIZE};
use crate::server::origin::refuse_cross_site;
use crate::server::state::{AppState, SharedState};

/// The allocator (mimalloc, lib.rs) reserves memory in large aligned regions. Where the
/// kernel backs such regions with transparent huge pages on its own (THP "always", as on
/// many distributions), a few KB in use keep 2 MB resident: an open live stream cost
/// 19.9 KB of server memory instead of 12.1 KB (scripts/bench streams). The price is
/// about a tenth of the signed-in pages' throughput (still a fifth above glibc's malloc):
/// memory per connection is what bounds how many people one instance holds. This is
/// mimalloc's `MIMALLOC_ALLOW_THP=0`, done here so no operator has to know it. Call it
/// as early as a process that serves can (memory touched before stays as it was); it
/// logs a warning when refused, so after the logging is set up.
pub fn without_transparent_huge_pages() {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: prctl(PR_SET_THP_DISABLE) takes plain integers (the kernel reads them as
        // unsigned longs) and changes only how memory is paged, for this process and the
        // processes it starts (wrk in scripts/bench).
        let (on, unused): (libc::c_ulong, libc::c_ulong) = (1, 0);
        let refused = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, on, unused, unused, unused) } != 0;
        if refused {
            tracing::warn!(error = %std::io::Error::last_os_error(), "could not turn transparent huge pages off; memory per connection may be higher");
        }
    }
}

/// Reads the environment and serves until Ctrl-C or SIGTERM.
pub async fn serve() -> Result<(), String> {
    dotenvy::dotenv().ok();
    init_logging()?;
    without_transparent_huge_pages();
    let addr: SocketAddr = std::env::var("LEPTOS_SITE_ADDR")
        .unwrap_or_else(|_| "127.0.0.1:3000".into())
        .parse()
        .map_err(|e| format!("LEPTOS_SITE_ADDR is not an address: {e}"))?;
    let config = Config::from_env(addr)?;
    let listener = TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let pool = connect_and_migrate(&config.database_url, config.database_pool_size).await?;
    let started = start(listener, config, pool, true)?;
    // Through the log, so that with LOG_FORMAT=json every line of output is JSON.
    tracing::info!(origin = %started.state.config.site_origin, "serving (stop with Ctrl-C)");
    started.server.await.map_err(|e| e.to_string())?
}

/// Operator commands, run instead of the server: `intranet portal set-plan <address> <plan>`.
/// Plans are not self-service, so this is how a portal gets one. Uses `DATABASE_URL`
/// (and `.env`), and applies pending migrations first, like the server.
pub async fn operator_command(args: &[String]) -> Result<(), String> {
    dotenvy::dotenv().ok();
    let usage =
        "usage: intranet portal set-plan <portal address> <plan>   (plans: free, basic, standard, professional, crm_plus, project_plus)";
    let [group, command, portal, plan] = args else { return Err(usage.into()) };
    if group != "portal" || command != "set-plan" {
        return Err(usage.into());
    }
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "DATABASE_URL is not set".to_string())?;
    let pool = connect_and_migrate(&database_url, DEFAULT_DATABASE_POOL_SIZE).await?;
    let (old, new) = crate::portals::service::set_plan_by_operator(&pool, portal, plan, chrono::Utc::now()).await?;
    if old == new {
        println!("{portal} is already on the {} plan.", new.name());
    } else {
        println!("{portal}: plan changed from {} to {}.", old.name(), new.name());
    }
    Ok(())
}

/// Log lines on standard output: readable text, or with `LOG_FORMAT=json` one JSON object
/// per line (for a log collector), security events included (target `security`).
fn init_logging() -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => tracing_subscriber::fmt().with_env_filter(filter).init(),
        // The request's span (its request id) goes with every line logged inside it.
        "json" => tracing_subscriber::fmt()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .init(),
        other => return Err(format!("LOG_FORMAT must be text or json, not {other:?}")),
    }
    Ok(())
}

pub struct Started {
    pub addr: SocketAddr,
    pub state: AppState,
    pub server: tokio::task::JoinHandle<Result<(), String>>,
}

pub async fn connect_and_migrate(database_url: &str, pool_size: u32) -> Result<PgPool, String> {
    let pool = PgPoolOptions::new()
        .max_connections(pool_size)
        // sqlx pings a connection (a round trip) each time it is taken from the pool. A
        // connection used a moment ago is alive, so only one idle for a while is pinged:
        // under load that halves the round trips, and after Postgres restarts, the dead
        // connections (idle while it was down) are still found and replaced.
        .test_before_acquire(false)
        .before_acquire(|connection, meta| {
            Box::pin(async move {
                if meta.idle_for > Duration::from_secs(1) {
                    sqlx::Connection::ping(connection).await?;
                }
                Ok(true)
            })
        })
        .acquire_timeout(Duration::from_secs(10))
        // A request that waits this long for a connection is logged (a warning from
        // sqlx::pool::acquire): the sign that the pool is too small for the load.
        .acquire_slow_threshold(Duration::from_secs(1))
        .connect(database_url)
        .await
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    crate::server::migrations::run(&pool).await?;
    Ok(pool)
}

/// Starts the app on a bound listener. Tests use it with port 0 and their own database.
/// It serves until Ctrl-C or SIGTERM; then it stops taking connections, tells open live
/// streams to reconnect elsewhere, and gives the requests and sends in flight
/// `SHUTDOWN_GRACE_SECS` to finish.
pub fn start(listener: TcpListener, config: Config, pool: PgPool, run_outbox_worker: bool) -> Result<Started, String> {
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    crate::operations::metrics::install();
    let (stop, stopping) = tokio::sync::watch::channel(false);

    let worker = if run_outbox_worker {
        let deliverer = Deliverer::from_config(&config)?;
        Some(tokio::spawn(worker::run(pool.clone(), deliverer, stopping.clone())))
    } else {
        None
    };

    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let assets_version = crate::server::assets::version(&site_root);
    let leptos_options = LeptosOptions::builder()
        .output_name("intranet")
        .site_root(site_root)
        // Pages name the browser's files under their version (server::assets).
        .site_pkg_dir(crate::server::assets::versioned_pkg_dir(&assets_version))
        .site_addr(addr)
        .env(leptos::config::Env::PROD)
        .build();
    if crate::server::assets::built_without_split(&leptos_options.site_root, &leptos_options.output_name) {
        tracing::error!(
            site_root = %leptos_options.site_root,
            "the browser files were built without --split (cargo leptos build --release --precompress --split): \
             pages will not become interactive"
        );
    }
    let imap_tls = crate::webmail::imap_client::tls_config(config.imap_ca_file.as_deref())?;
    let grace = config.operations.shutdown_grace;
    let header_timeout = config.operations.header_timeout;
    let live = LiveHub::start(pool.clone(), config.live);
    let state = AppState::new(SharedState {
        leptos_options,
        pool,
        config: Arc::new(config),
        passwords: Passwords::start(cores)?,
        live: live.clone(),
        imap_tls,
    });
    let router = router(state.clone());
    let server = tokio::spawn(async move {
        // One deadline for everything in flight, set when the signal comes.
        let deadline = Arc::new(std::sync::OnceLock::<tokio::time::Instant>::new());
        let signalled = {
            let deadline = Arc::clone(&deadline);
            async move {
                crate::operations::shutdown::requested().await;
                let _ = deadline.set(tokio::time::Instant::now() + grace);
                tracing::info!(grace_seconds = grace.as_secs(), "stopping: no new connections; finishing what is in flight");
                let _ = stop.send(true);
                // Open event streams would otherwise keep the shutdown waiting forever.
                live.shutdown();
            }
        };
        let serving = crate::server::http1::serve(listener, router, header_timeout, signalled);
        let mut stopped = stopping.clone();
        let grace_over = {
            let deadline = Arc::clone(&deadline);
            async move {
                let _ = stopped.wait_for(|stop| *stop).await;
                tokio::time::sleep_until(deadline.get().copied().unwrap_or_else(|| tokio::time::Instant::now() + grace)).await;
            }
        };
        tokio::select! {
            () = serving => {}
            () = grace_over => tracing::warn!("grace period over: requests still in flight are cut"),
        }
        let until = deadline.get().copied().unwrap_or_else(|| tokio::time::Instant::now() + grace);
        if let Some(worker) = worker
            && tokio::time::timeout_at(until, worker).await.is_err()
        {
            // Its claims run out with their lease, and another worker sends those messages.
            tracing::warn!("grace period over: the outbox worker's batch is left to its lease");
        }
        Ok(())
    });
    Ok(Started { addr, state, server })
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let split_manifest = crate::server::assets::split_manifest(&options.site_root, &options.site_pkg_dir);
    Router::new()
        .route("/p/{slug}/live", axum::routing::get(portal_events))
        .route("/join/{code}/live", axum::routing::get(registration_events))
        .route("/p/{slug}/employees/invited/funnel.csv", axum::routing::get(crate::invitations::export_server::funnel_csv))
        .route("/dev/outbox/{id}/html", axum::routing::get(crate::mail::preview::html_part))
        .route("/healthz", axum::routing::get(crate::operations::health::healthz))
        .route("/readyz", axum::routing::get(crate::operations::health::readyz))
        .route("/metrics", axum::routing::get(crate::operations::metrics::metrics_page))
        .merge(crate::server::assets::routes(&state.leptos_options.site_root, &state.leptos_options.site_pkg_dir))
        .leptos_routes_with_context(
            &state,
            routes,
            move || {
                if let Some(manifest) = &split_manifest {
                    provide_context(manifest.clone());
                }
            },
            move || shell(options.clone()),
        )
        .route_layer(middleware::from_fn(crate::operations::metrics::record_request))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(crate::access::share_caller_per_request))
        .layer(middleware::from_fn_with_state(state.clone(), crate::auth::guard::log_in_first))
        .layer(middleware::from_fn(crate::server::input::refuse_unstorable_input))
        .layer(middleware::from_fn_with_state(state.config.operations.body_timeout, crate::server::input::whole_body_in_time))
        .layer(middleware::from_fn_with_state(state.clone(), refuse_cross_site))
        .layer(middleware::from_fn_with_state(state.clone(), hide_dev_outbox))
        .layer(middleware::from_fn_with_state(state.clone(), security_headers))
        .layer(middleware::from_fn(crate::operations::request_id::with_request_id))
        .layer(compress_answers())
        .with_state(state)
}

/// Pages, server-function answers and any file without a precompressed copy go out
/// compressed to a browser that takes it: brotli, else gzip (the signed-in Employees page:
/// 26 KB of HTML, 4.5 KB sent). Quality 1 of 11: the default (11) costs more CPU than
/// rendering the page; under load (`scripts/bench pages`) compressing at 4 cost the
/// Employees page a quarter of its throughput for 3.9 KB, at 1 about a seventh for 4.5 KB.
/// Left alone: event streams (each event must leave when it happens), answers under 512
/// bytes, images, and the precompressed browser files (they carry their encoding).
/// A compressed page leaves whole, when it is done: the public pages that Leptos streams
/// in parts wait for their data (a query or two) before anything is sent, as portal pages
/// always do.
///
/// Compression can leak a secret through the answer's length when the same answer also
/// echoes text an attacker chose (BREACH). No answer carries a token beside such text:
/// the session is in a cookie, cross-site posts are refused by their origin rather than a
/// token in the page, and a link's token (password reset, invitation) is only in the
/// answer to the address that holds it. The Employees search echoes its words beside
/// private data (names, addresses), but which people it lists already tells whether a
/// guess matches, compressed or not.
fn compress_answers() -> CompressionLayer<impl Predicate> {
    const QUALITY: i32 = 1;
    const SMALLEST: u16 = 512;
    CompressionLayer::new().quality(CompressionLevel::Precise(QUALITY)).compress_when(DefaultPredicate::new().and(SizeAbove::new(SMALLEST)))
}

/// The development Outbox shows every reset link: it exists only with `DEV_OUTBOX=1`, and
/// only for a browser on this machine. Anyone else gets a plain 404 for its page and data.
async fn hide_dev_outbox(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    if path == "/dev/outbox" || path.starts_with("/dev/outbox/") || path == "/api/dev_outbox" {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        if !dev_outbox_allowed(&state.config, peer) {
            return (StatusCode::NOT_FOUND, "Not found").into_response();
        }
    }
    next.run(request).await
}

/// The dev Outbox is switched on and the client is on this machine.
fn dev_outbox_allowed(config: &Config, peer: Option<std::net::IpAddr>) -> bool {
    config.dev_outbox && peer.is_some_and(|ip| ip.is_loopback())
}

/// Headers every response gets: no framing (clickjacking; only the dev Outbox's preview
/// of an e-mail lets its own page frame it), no MIME sniffing, and no
/// Referer to other sites (links with tokens must not leak). Server-function answers
/// and pages that may show a secret (links from emails, the dev Outbox) are never
/// stored by a browser or a proxy. Over HTTPS, browsers are told to stay on HTTPS.
async fn security_headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let never_store = is_never_stored(request.uri().path());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    if !headers.contains_key(header::X_FRAME_OPTIONS) {
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    if never_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    // Pages carry their own policy with the render's nonce (`server::page_policy`);
    // everything else (JSON, assets, streams) may run and embed nothing.
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    }
    response
}

/// Server functions, portal pages (people's data), and the pages whose address or body
/// carries a secret. Only the static assets and the public front pages may be cached.
fn is_never_stored(path: &str) -> bool {
    const SECRET_PAGES: [&str; 8] = [
        "/reset-password",
        "/invite",
        "/register/confirm",
        "/confirm-email",
        "/complete-registration",
        "/dev/outbox",
        "/login",
        "/portals",
    ];
    const PRIVATE_TREES: [&str; 5] = ["/api/", "/p/", "/network/", "/join/", "/dev/outbox/"];
    PRIVATE_TREES.iter().any(|tree| path.starts_with(tree)) || SECRET_PAGES.contains(&path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_secrets_are_never_stored() {
        for path in
            ["/api/login", "/api/portal_home", "/reset-password", "/invite", "/dev/outbox", "/dev/outbox/7/html", "/network/confirm-login"]
        {
            assert!(is_never_stored(path), "{path}");
        }
        for path in ["/p/acme/employees", "/join/abc", "/network/profile", "/portals"] {
            assert!(is_never_stored(path), "{path}");
        }
        for path in ["/", "/pkg/intranet.wasm", "/favicon.svg", "/forgot-password"] {
            assert!(!is_never_stored(path), "{path}");
        }
    }

    #[test]
    fn the_dev_outbox_is_for_this_machine_and_only_when_asked_for() {
        let mut config = Config::local("postgres://unused", "http://127.0.0.1:3000");
        let loopback = Some("127.0.0.1".parse().unwrap());
        assert!(dev_outbox_allowed(&config, loopback));
        assert!(dev_outbox_allowed(&config, Some("::1".parse().unwrap())));
        assert!(!dev_outbox_allowed(&config, Some("10.0.0.7".parse().unwrap())));
        assert!(!dev_outbox_allowed(&config, Some("192.168.1.20".parse().unwrap())));
        assert!(!dev_outbox_allowed(&config, None));
        config.dev_outbox = false;
        assert!(!dev_outbox_allowed(&config, loopback));
    }
}
