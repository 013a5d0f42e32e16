//! Live streams at scale (scripts/bench runs it). Starts the release app as a process of
//! its own, opens N portal event streams to it (default 10,000) with a small client
//! written here (one TCP connection per stream, the way a browser's EventSource holds
//! one), a tenth of them never reading, then commits a post's event and prints:
//!   - how long after the commit the reading streams heard it (p50/p99/max; target
//!     p99 <= 250 ms at 10,000);
//!   - the server's memory per open stream (its resident size before and after; target
//!     <= 16 KB);
//!   - the CPU time the app and this client spent while the post went out.
//!
//! The streams stay open after the post, as a browser's EventSource does.
//!
//! It raises its open-file limit to the hard limit (the app inherits it).
//! Usage: bench_streams [streams]. Needs DATABASE_URL; the app binary `intranet` must sit
//! beside this one (scripts/bench builds both).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use intranet::crypto::passwords::Passwords;
use intranet::portals::service::{SignUpForm, sign_up};
use intranet::server::config::Config;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{Semaphore, mpsc};

#[path = "support/process.rs"]
mod proc_stats;
use proc_stats::cpu_ms;

/// A session may hold this many streams open (the app's per-holder limit).
const STREAMS_PER_SESSION: usize = 8;
/// One stream in this many is a stalled reader: it never reads what the server sends.
const STALLED_EVERY: usize = 10;

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/bench does)")?;
    let streams: usize = std::env::args()
        .nth(1)
        .map(|n| n.replace(['_', ','], "").parse::<usize>())
        .transpose()
        .map_err(|_| "not a number")?
        .unwrap_or(10_000);
    let file_limit = raise_file_limit();
    println!("open-file limit: {file_limit}");
    // Each side holds one socket per stream (the app and this client are two processes).
    if (file_limit as usize) < streams + 200 {
        return Err(format!("{streams} streams need an open-file limit of at least {}; this machine allows {file_limit}", streams + 200));
    }

    // The app, on a free port, as a process of its own: its memory is measured alone.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let base = format!("http://127.0.0.1:{port}");
    let app_path = std::env::current_exe().map_err(|e| e.to_string())?.with_file_name("intranet");
    let app = std::process::Command::new(&app_path)
        .env("DATABASE_URL", &database_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("SMTP_URL", "")
        .env("RUST_LOG", "warn")
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", app_path.display()))?;
    let app = App(app);
    let app_pid = app.0.id();
    let client = reqwest::Client::new();
    let mut ready = false;
    for _ in 0..300 {
        if client.get(format!("{base}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !ready {
        return Err("the app did not get ready".into());
    }

    // A portal and enough sessions for the streams (each session may hold 8).
    let pool = sqlx::PgPool::connect(&database_url).await.map_err(|e| e.to_string())?;
    let slug = format!("live{}", Utc::now().timestamp_millis());
    let email = format!("{slug}@bench.test");
    let passwords = Passwords::start(1)?;
    let form = SignUpForm {
        company_name: "Live Bench".into(),
        slug: slug.clone(),
        first_name: Some("Live".into()),
        last_name: Some("Bench".into()),
        email: Some(email.clone()),
        password: Some("live-bench-password-2026".into()),
    };
    sign_up(&pool, &passwords, &Config::local(&database_url, &base), &form, None, Utc::now()).await.map_err(|e| e.to_string())?;
    let (account_id, portal_id): (i64, i64) = sqlx::query_as(
        "SELECT a.id, m.portal_id FROM accounts a JOIN memberships m ON m.account_id = a.id JOIN portals p ON p.id = m.portal_id
         WHERE a.login = $1 AND p.slug = $2",
    )
    .bind(&email)
    .bind(&slug)
    .fetch_one(&pool)
    .await
    .map_err(|e| e.to_string())?;
    let mut tokens = Vec::new();
    for _ in 0..streams.div_ceil(STREAMS_PER_SESSION) {
        tokens.push(
            intranet::auth::session::create(&pool, account_id, false, &intranet::auth::session::Origin::at("127.0.0.1"), Utc::now())
                .await
                .map_err(|e| e.to_string())?,
        );
    }

    let memory_before = resident_kib(app_pid)?;
    // Open the streams, 200 connections at a time, each until it has heard "ready".
    let started = Arc::new(tokio::sync::OnceCell::<Instant>::new());
    let (heard_tx, mut heard_rx) = mpsc::unbounded_channel::<Duration>();
    let (opened_tx, mut opened_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let opening = Arc::new(Semaphore::new(200));
    let opening_started = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    for n in 0..streams {
        let request = format!(
            "GET /p/{slug}/live HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\nCookie: sid={}\r\n\r\n",
            tokens[n / STREAMS_PER_SESSION]
        );
        let (started, heard_tx, opened_tx, opening) = (started.clone(), heard_tx.clone(), opened_tx.clone(), opening.clone());
        let stalled = n % STALLED_EVERY == STALLED_EVERY - 1;
        tasks.push(tokio::spawn(async move {
            let permit = opening.acquire_owned().await;
            let mut socket = match open_stream(port, &request).await {
                Ok(socket) => socket,
                Err(error) => {
                    let _ = opened_tx.send(Err(error));
                    return;
                }
            };
            drop(permit);
            let _ = opened_tx.send(Ok(()));
            if stalled {
                // Holds the connection and never reads: the server's writes pile up.
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return;
            }
            if read_until(&mut socket, b"data: people").await.is_ok()
                && let Some(at) = started.get()
            {
                let _ = heard_tx.send(at.elapsed());
            }
            // Its sender goes now, so the wait below ends once every stream has reported.
            drop(heard_tx);
            // A browser's EventSource stays open after an event. Closing here would have
            // the server tear down thousands of connections while the post still goes out.
            tokio::time::sleep(Duration::from_secs(3600)).await;
            drop(socket);
        }));
    }
    drop(heard_tx);
    let mut failures = Vec::new();
    for _ in 0..streams {
        match opened_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(error)) => failures.push(error),
            None => break,
        }
    }
    if !failures.is_empty() {
        return Err(format!("{} of {streams} streams did not open; the first: {}", failures.len(), failures[0]));
    }
    let opening_took = opening_started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let memory_after = resident_kib(app_pid)?;
    let reading = streams - streams / STALLED_EVERY;
    println!(
        "{streams} streams open in {:.1} s ({} reading, {} never reading); the app's resident memory {} MiB -> {} MiB",
        opening_took.as_secs_f64(),
        reading,
        streams / STALLED_EVERY,
        memory_before / 1024,
        memory_after / 1024
    );
    println!(
        "server memory per open stream: {:.1} KB   (target <= 16 KB)",
        (memory_after.saturating_sub(memory_before)) as f64 * 1024.0 / 1000.0 / streams as f64
    );

    // A post is committed: its event goes out through Postgres to the app, then to every stream.
    let cpu_before = (cpu_ms(app_pid)?, cpu_ms(std::process::id())?);
    let _ = started.set(Instant::now());
    sqlx::query("SELECT pg_notify('portal_events', $1)")
        .bind(format!("{portal_id} people"))
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
    let mut latencies = Vec::with_capacity(reading);
    let deadline = tokio::time::sleep(Duration::from_secs(30));
    tokio::pin!(deadline);
    while latencies.len() < reading {
        tokio::select! {
            heard = heard_rx.recv() => match heard {
                Some(latency) => latencies.push(latency.as_secs_f64() * 1000.0),
                None => break,
            },
            _ = &mut deadline => break,
        }
    }
    let cpu_after = (cpu_ms(app_pid)?, cpu_ms(std::process::id())?);
    println!("CPU during the fan-out: app {} ms, this client {} ms", cpu_after.0 - cpu_before.0, cpu_after.1 - cpu_before.1);
    latencies.sort_by(f64::total_cmp);
    let at = |q: f64| latencies.get(((latencies.len().max(1) - 1) as f64 * q).round() as usize).copied().unwrap_or(f64::NAN);
    println!(
        "a post reached {} of {reading} reading streams: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms after its commit   (target p99 <= 250 ms)",
        latencies.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
    for task in tasks {
        task.abort();
    }
    drop(app);
    Ok(())
}

/// The app's process, stopped when the benchmark ends, however it ends.
struct App(std::process::Child);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Connects, sends the request and reads until the stream's first event ("ready").
async fn open_stream(port: u16, request: &str) -> Result<TcpStream, String> {
    let mut socket = TcpStream::connect(("127.0.0.1", port)).await.map_err(|e| e.to_string())?;
    socket.write_all(request.as_bytes()).await.map_err(|e| e.to_string())?;
    read_until(&mut socket, b"data: ready").await?;
    Ok(socket)
}

async fn read_until(socket: &mut TcpStream, wanted: &[u8]) -> Result<(), String> {
    let mut seen: Vec<u8> = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let read = socket.read(&mut buffer).await.map_err(|e| e.to_string())?;
        if read == 0 {
            return Err(format!("the stream ended; it said: {}", String::from_utf8_lossy(&seen)));
        }
        seen.extend_from_slice(&buffer[..read]);
        if seen.windows(wanted.len()).any(|w| w == wanted) {
            return Ok(());
        }
        // Keep only a tail long enough to hold a match split across reads.
        if seen.len() > 4096 {
            seen.drain(..seen.len() - wanted.len());
        }
    }
}

/// The process's resident memory in KiB, from /proc.
fn resident_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS in /proc".to_string())
}

/// Raises the soft open-file limit to the hard one; returns the limit now in force.
fn raise_file_limit() -> u64 {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit and setrlimit only read and write the struct passed to them.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit { rlim_cur: limit.rlim_max, rlim_max: limit.rlim_max };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
    }
    limit.rlim_cur
}
