//! Signed-in pages under load (scripts/bench runs it). Starts the app (release build) on
//! loopback, seeds a portal of 1,000 people, logs in, and drives two pages with wrk, a
//! load generator in a process of its own, for the same time each:
//!   - `/login`, the cheapest page, as the yardstick;
//!   - the signed-in Employees page (the portal frame, the bell and the first page of
//!     the list, all rendered on the server).
//!
//! Prints throughput and p50/p99 of each at 100 connections (and of the Employees page
//! compressed, as a browser asks for it), their ratio (target >= 0.15,
//! Employees p99 <= 25 ms), the CPU the app and Postgres spend per Employees page, and at
//! 200 connections whether any request waited longer than 1 s for a database connection
//! (sqlx reports such waits; they are counted here).
//! The app runs as it does in production, its outbox worker included, with the default
//! pool size or `DATABASE_POOL_SIZE` (to compare sizes).
//! Needs DATABASE_URL and wrk.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use intranet::people::seed::{SeedSize, seed};
use intranet::server::config::{Config, DEFAULT_DATABASE_POOL_SIZE};
use intranet::startup;
use tracing_subscriber::layer::SubscriberExt;

#[path = "support/process.rs"]
mod proc_stats;
use proc_stats::cpu_ms;

const PASSWORD: &str = "violet-harbor-42";
const SLUG: &str = "pagebench";
const SIZE: SeedSize = SeedSize { employees: 1_000, departments: 20, workgroups: 10 };
const DURATION: &str = "10s";

/// Counts sqlx's "slow acquire" warnings: a request waited longer than the pool's
/// `acquire_slow_threshold` (1 s, set in `startup`) for a connection.
struct SlowAcquires(Arc<AtomicU64>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for SlowAcquires {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let meta = event.metadata();
        if meta.target() == "sqlx::pool::acquire" && *meta.level() == tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What wrk printed, in numbers.
struct Load {
    requests: u64,
    requests_per_sec: f64,
    p50_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    errors: u64,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/bench does)")?;
    let slow_acquires = Arc::new(AtomicU64::new(0));
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(SlowAcquires(slow_acquires.clone())))
        .map_err(|e| e.to_string())?;
    // As the server does at start, so the pages are measured as they are served.
    startup::without_transparent_huge_pages();

    let pool_size = match std::env::var("DATABASE_POOL_SIZE") {
        Ok(size) => size.parse().map_err(|_| format!("DATABASE_POOL_SIZE is not a number: {size:?}"))?,
        Err(_) => DEFAULT_DATABASE_POOL_SIZE,
    };
    let pool = startup::connect_and_migrate(&database_url, pool_size).await?;
    let admin = format!("admin@{SLUG}.test");
    seed(&pool, SLUG, &admin, PASSWORD, &SIZE).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let config = Config::local(&database_url, &base);
    let started = startup::start(listener, config, pool.clone(), true)?;
    let max_connections = started.state.pool.options().get_max_connections();

    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let login = client
        .post(format!("{base}/api/login"))
        .header("Origin", &base)
        .form(&[("login", admin.as_str()), ("password", PASSWORD)])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let cookie = login
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.split(';').next().filter(|pair| pair.starts_with("sid=")))
        .map(str::to_string)
        .ok_or("the log-in set no session cookie")?;
    let employees = format!("{base}/p/{SLUG}/employees");
    let page = client.get(&employees).header("Cookie", &cookie).send().await.map_err(|e| e.to_string())?;
    let status = page.status();
    let html = page.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() || !html.contains("Employees") {
        return Err(format!("the Employees page did not render for the signed-in admin: {status}"));
    }

    // Statements per page: Postgres counts every statement the app runs on its own as a
    // transaction. A backend that goes idle passes its counts to pg_stat_database within
    // ten seconds, so the counts are read after that long.
    let commits = || async {
        sqlx::query_scalar::<_, i64>("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()")
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())
    };
    // The app also works in the background (the outbox worker, the live streams' checks):
    // an idle window of the same length is counted too and taken off.
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let start = commits().await?;
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    let idle = commits().await? - start - 1;
    let before = commits().await?;
    const PAGES: i64 = 100;
    for _ in 0..PAGES {
        let page = client.get(&employees).header("Cookie", &cookie).send().await.map_err(|e| e.to_string())?;
        page.bytes().await.map_err(|e| e.to_string())?;
    }
    tokio::time::sleep(std::time::Duration::from_secs(11)).await;
    // Each `commits()` is a statement of its own.
    let statements = (commits().await? - before - 1 - idle) as f64 / PAGES as f64;

    println!(
        "app: release build, database pool of {max_connections}; wrk, 2 threads, {DURATION} per run; portal of {} people",
        SIZE.employees
    );
    println!(
        "database statements per signed-in Employees page, from Postgres's counters less an idle window's background work (approximate): {statements:.1}; page size {} bytes",
        html.len()
    );
    let login_page = wrk(&format!("{base}/login"), &[], 100)?;
    let signed_in = [format!("Cookie: {cookie}")];
    // Where a page's CPU goes: this process is the app (the benchmark's own client is idle
    // while wrk runs), and the pool's Postgres backends do its queries. The pool opens
    // backends as the load grows: one that was not there before counts from its start.
    let app_before = cpu_ms(std::process::id())?;
    let database_before = backend_cpu(&pool).await?;
    let employees_page = wrk(&employees, &signed_in, 100)?;
    let app_cpu = cpu_ms(std::process::id())? - app_before;
    let database_after = backend_cpu(&pool).await?;
    let database_cpu: u64 =
        database_after.iter().map(|(pid, after)| after.saturating_sub(database_before.get(pid).copied().unwrap_or(0))).sum();
    print_load("GET /login, 100 connections", &login_page);
    print_load("GET Employees (signed in), 100 connections", &employees_page);
    let per_page = |cpu_ms: u64| cpu_ms as f64 / employees_page.requests.max(1) as f64;
    println!(
        "CPU per signed-in Employees page at 100 connections: app {:.2} ms, Postgres {:.2} ms (the app's {} backends)",
        per_page(app_cpu),
        per_page(database_cpu),
        database_after.len()
    );
    println!(
        "ratio Employees/login: {:.3}   (target >= 0.15; Employees p99 target <= 25 ms)",
        employees_page.requests_per_sec / login_page.requests_per_sec
    );
    let before = slow_acquires.load(Ordering::Relaxed);
    let crowded = wrk(&employees, &signed_in, 200)?;
    print_load("GET Employees (signed in), 200 connections", &crowded);
    let waits = slow_acquires.load(Ordering::Relaxed) - before;
    println!(
        "requests that waited > 1 s for a database connection at 200 connections: {waits} ({})",
        if waits == 0 { "none" } else { "the pool is too small" }
    );
    // As a browser asks for it: compressed on the way out (the runs above are not).
    let accept = "br, gzip";
    let sent =
        client.get(&employees).header("Cookie", &cookie).header("Accept-Encoding", accept).send().await.map_err(|e| e.to_string())?;
    let encoding = sent.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("none").to_string();
    let sent_bytes = sent.bytes().await.map_err(|e| e.to_string())?.len();
    let browser_like = wrk(&employees, &[signed_in[0].clone(), format!("Accept-Encoding: {accept}")], 100)?;
    print_load("GET Employees (signed in, compressed), 100 c.", &browser_like);
    println!("Employees page as a browser gets it: {sent_bytes} bytes sent ({encoding}) for {} bytes of HTML", html.len());
    Ok(())
}

/// CPU time (ms) of each of this database's backends, by process id.
async fn backend_cpu(pool: &sqlx::PgPool) -> Result<std::collections::HashMap<i32, u64>, String> {
    let pids: Vec<i32> = sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        .fetch_all(pool)
        .await
        .map_err(|e| e.to_string())?;
    // A backend that ended meanwhile is left out.
    Ok(pids.into_iter().filter_map(|pid| Some((pid, cpu_ms(pid as u32).ok()?))).collect())
}

fn print_load(name: &str, load: &Load) {
    println!(
        "{name:<46} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.1} ms   errors {}",
        load.requests_per_sec, load.p50_ms, load.p99_ms, load.max_ms, load.errors
    );
}

fn wrk(url: &str, headers: &[String], connections: u32) -> Result<Load, String> {
    let mut command = Command::new("wrk");
    command.args(["-t2", &format!("-c{connections}"), &format!("-d{DURATION}"), "--latency", "--timeout", "10s"]);
    for header in headers {
        command.args(["-H", header]);
    }
    let output = command.arg(url).output().map_err(|e| format!("cannot run wrk (scripts/bench installs it): {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    if !output.status.success() {
        return Err(format!("wrk failed: {text}{}", String::from_utf8_lossy(&output.stderr)));
    }
    parse_wrk(&text).ok_or_else(|| format!("cannot read wrk's output:\n{text}"))
}

/// Reads `Requests/sec:`, the `--latency` percentiles, the latency maximum and the
/// non-2xx/3xx and socket error counts from wrk's report.
fn parse_wrk(text: &str) -> Option<Load> {
    let field = |prefix: &str| text.lines().map(str::trim).find_map(|line| line.strip_prefix(prefix).map(str::trim).map(str::to_string));
    let requests_per_sec = field("Requests/sec:")?.parse().ok()?;
    // "12345 requests in 10.00s, 1.23GB read"
    let requests = text.lines().find(|line| line.contains(" requests in "))?.split_whitespace().next()?.parse().ok()?;
    let p50_ms = duration_ms(field("50%")?.as_str())?;
    let p99_ms = duration_ms(field("99%")?.as_str())?;
    // "Latency   1.23ms  456.00us  12.34ms   90.00%": mean, stdev, max, +/- stdev.
    let max_ms = duration_ms(field("Latency")?.split_whitespace().nth(2)?)?;
    let non_2xx: u64 = field("Non-2xx or 3xx responses:").and_then(|n| n.parse().ok()).unwrap_or(0);
    let socket_errors: u64 = field("Socket errors:")
        .map(|line| line.split(',').filter_map(|part| part.split_whitespace().last()?.parse::<u64>().ok()).sum())
        .unwrap_or(0);
    Some(Load { requests, requests_per_sec, p50_ms, p99_ms, max_ms, errors: non_2xx + socket_errors })
}

fn duration_ms(text: &str) -> Option<f64> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    match unit {
        "us" => Some(number / 1000.0),
        "ms" => Some(number),
        "s" => Some(number * 1000.0),
        "m" => Some(number * 60_000.0),
        _ => None,
    }
}
