//! Log-in benchmark (scripts/bench runs it). Prints, from one run on this machine:
//!   (a) raw argon2id verifications per second at the configured parameters, all cores;
//!   (b) successful log-ins per second over HTTP against the app, many clients at once;
//!   their ratio (target >= 0.9);
//!   p50/p99 of a plain page request, unloaded and while log-ins saturate the server
//!   (target: loaded <= 2x unloaded);
//!   mean time of a wrong-password and an unknown-login attempt (should be equal).
//! Needs DATABASE_URL; it creates its own portal there.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::Utc;
use intranet::crypto::passwords::{MEMORY_KIB, hash_now, verify_now};
use intranet::portals::service::{SignUpForm, sign_up};
use intranet::server::config::{Config, DEFAULT_DATABASE_POOL_SIZE};
use intranet::startup;

const PASSWORD: &str = "bench-password-2026";
const PHASE: Duration = Duration::from_secs(5);
const ROUNDS: usize = 4;

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/bench does)")?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2);
    println!("machine: {cores} cores; argon2id m={MEMORY_KIB} KiB, t=2, p=1; {ROUNDS} rounds of {PHASE:?} phases");

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let config = Config::local(&database_url, &base);
    // As the server does at start, so the app is measured as it is served.
    startup::without_transparent_huge_pages();
    let pool = startup::connect_and_migrate(&database_url, DEFAULT_DATABASE_POOL_SIZE).await?;
    let started = startup::start(listener, config, pool.clone(), false)?;
    let slug = format!("bench{}", Utc::now().timestamp_millis());
    let email = format!("{slug}@bench.test");
    let timing_email = format!("timing-{slug}@bench.test");
    let accounts =
        [(slug.clone(), email.clone()), (format!("{slug}t"), timing_email.clone()), (format!("{slug}u"), format!("second-{timing_email}"))];
    for (s, e) in accounts {
        let form = SignUpForm {
            company_name: "Bench".into(),
            slug: s,
            first_name: Some("Bench".into()),
            last_name: Some("Mark".into()),
            email: Some(e),
            password: Some(PASSWORD.into()),
        };
        sign_up(&pool, &started.state.passwords, &started.state.config, &form, None, Utc::now()).await.map_err(|e| e.to_string())?;
    }
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let page = format!("{base}/login");
    let clients = cores * 4;

    // This machine's speed drifts by tens of percent over a minute (shared VM), so the
    // phases alternate over several rounds and the totals are compared.
    let (mut raw, mut in_pool, mut http) = (Vec::new(), Vec::new(), Vec::new());
    let (mut idle, mut loaded) = (Vec::new(), Vec::new());
    for round in 1..=ROUNDS {
        raw.push(raw_verify_rate(cores));
        in_pool.push(pool_verify_rate(&started.state.passwords, clients).await);
        idle.extend(page_latencies(&client, &page, PHASE).await);
        let (rate, latencies) = http_login_rate(&client, &base, &email, &page, clients).await;
        http.push(rate);
        loaded.extend(latencies);
        println!(
            "round {round}: raw {:.1}/s, app pool alone {:.1}/s, HTTP log-ins {:.1}/s",
            raw[round - 1],
            in_pool[round - 1],
            http[round - 1]
        );
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (raw_rate, pool_rate, http_rate) = (mean(&raw), mean(&in_pool), mean(&http));
    let (idle_p50, idle_p99) = percentiles(idle);
    let (loaded_p50, loaded_p99) = percentiles(loaded);
    println!();
    println!("(a) raw argon2id verify rate, {cores} threads:            {raw_rate:.1} verifications/s");
    println!("    the app's hashing pool alone (no HTTP, no database):  {pool_rate:.1} verifications/s");
    println!("(b) successful log-ins over HTTP, {clients} concurrent clients: {http_rate:.1} log-ins/s");
    println!("    ratio (b)/(a): {:.2}   (target >= 0.90)", http_rate / raw_rate);
    println!("page GET /login unloaded:          p50 {idle_p50:.2} ms, p99 {idle_p99:.2} ms");
    println!("page GET /login during log-ins:    p50 {loaded_p50:.2} ms, p99 {loaded_p99:.2} ms");
    println!("    loaded/unloaded: p50 {:.2}x, p99 {:.2}x   (target <= 2x)", loaded_p50 / idle_p50, loaded_p99 / idle_p99);

    // Wrong password versus unknown login, interleaved; 8 attempts per login stay under
    // the per-login throttle (10), so every attempt does the full work.
    let (mut wrong, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..16 {
        let login = if i % 2 == 0 { timing_email.clone() } else { format!("second-{timing_email}") };
        let t = Instant::now();
        post_login(&client, &base, &login, "wrong-password").await;
        wrong.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        post_login(&client, &base, &format!("ghost{i}-{slug}@bench.test"), "wrong-password").await;
        unknown.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!("failed log-in, median of 16: wrong password {:.1} ms, unknown login {:.1} ms", percentiles(wrong).0, percentiles(unknown).0);
    Ok(())
}

/// Log-ins per second with `clients` clients hammering the log-in endpoint, and the
/// latencies of a plain page fetched meanwhile.
async fn http_login_rate(client: &reqwest::Client, base: &str, email: &str, page: &str, clients: usize) -> (f64, Vec<f64>) {
    let running = Arc::new(AtomicBool::new(true));
    let logins = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let (client, base, email, running, logins) = (client.clone(), base.to_string(), email.to_string(), running.clone(), logins.clone());
        tasks.push(tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                if post_login(&client, &base, &email, PASSWORD).await.is_some_and(|status| status < 400) {
                    logins.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    // Let the queue fill before measuring.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let start_count = logins.load(Ordering::Relaxed);
    let started_at = Instant::now();
    let latencies = page_latencies(client, page, PHASE).await;
    let rate = (logins.load(Ordering::Relaxed) - start_count) as f64 / started_at.elapsed().as_secs_f64();
    running.store(false, Ordering::Relaxed);
    for task in tasks {
        let _ = task.await;
    }
    (rate, latencies)
}

async fn post_login(client: &reqwest::Client, base: &str, login: &str, password: &str) -> Option<u16> {
    client
        .post(format!("{base}/api/login"))
        .header("Origin", base)
        .form(&[("login", login), ("password", password)])
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// The app's own hashing pool, driven without HTTP or database work.
async fn pool_verify_rate(passwords: &intranet::crypto::passwords::Passwords, tasks: usize) -> f64 {
    let hash = hash_now(PASSWORD).unwrap_or_default();
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..tasks)
        .map(|_| {
            let (passwords, hash, count) = (passwords.clone(), hash.clone(), count.clone());
            tokio::spawn(async move {
                while started.elapsed() < PHASE {
                    if passwords.verify(PASSWORD, Some(hash.clone())).await == Ok(true) {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

fn raw_verify_rate(threads: usize) -> f64 {
    let hash = hash_now(PASSWORD).unwrap_or_default();
    let hash = Arc::new(hash);
    let count = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (hash, count) = (hash.clone(), count.clone());
            std::thread::spawn(move || {
                while started.elapsed() < PHASE {
                    if verify_now(PASSWORD, Some(&hash)) {
                        count.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.join();
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// Sequential GETs of a page for `duration`; the latencies in milliseconds.
async fn page_latencies(client: &reqwest::Client, url: &str, duration: Duration) -> Vec<f64> {
    let mut samples = Vec::new();
    let started = Instant::now();
    while started.elapsed() < duration {
        let t = Instant::now();
        if let Ok(response) = client.get(url).send().await {
            let _ = response.bytes().await;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    samples
}

fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    if samples.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    samples.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}
