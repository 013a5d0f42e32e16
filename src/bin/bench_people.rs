//! People benchmark (scripts/bench runs it). Seeds a portal of the given size (once; by
//! default 1,000,000 employees in 2,000 departments, and 200 workgroups), then prints the
//! server time of the Employees list (first page, a middle page, name and position
//! searches) and of the company structure, measured as loopback HTTP round trips to the
//! server functions those pages call, and of the whole server-rendered pages.
//! Targets at 1,000,000: list pages <= 5 ms, searches p95 <= 20 ms, structure <= 10 ms.
//! Usage: bench_people [employees] [departments]. Needs DATABASE_URL.

use std::time::{Duration, Instant};

use intranet::people::seed::{SeedSize, seed};
use intranet::server::config::{Config, DEFAULT_DATABASE_POOL_SIZE};
use intranet::startup;

const PASSWORD: &str = "violet-harbor-42";
const RUNS: usize = 60;

/// A server function's form fields; None for a plain page GET.
type FormFields = Option<Vec<(&'static str, String)>>;

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/bench does)")?;
    // As the server does at start, so the app is measured as it is served.
    startup::without_transparent_huge_pages();
    let pool = startup::connect_and_migrate(&database_url, DEFAULT_DATABASE_POOL_SIZE).await?;
    let number = |n: usize, default: i64| match std::env::args().nth(n) {
        Some(text) => text.replace(['_', ','], "").parse::<i64>().map_err(|_| format!("not a number: {text}")),
        None => Ok(default),
    };
    let size = SeedSize { employees: number(1, 1_000_000)?, departments: number(2, 2_000)?, workgroups: 200 };
    // One portal per size, seeded once and kept for the next run ("people-": the seed's
    // positions no longer follow the names, so the older "bigco-" portals are not reused).
    let slug = format!("people-{}-{}", size.employees, size.departments);
    let slug = slug.as_str();
    let admin = format!("admin@{slug}.test");
    let seeding = Instant::now();
    if seed(&pool, slug, &admin, PASSWORD, &size).await? {
        println!(
            "seeded {} employees, {} departments, {} workgroups in {:.1} s",
            size.employees,
            size.departments,
            size.workgroups,
            seeding.elapsed().as_secs_f64()
        );
    }

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let config = Config::local(&database_url, &base);
    let _started = startup::start(listener, config, pool.clone(), false)?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, base.parse().map_err(|_| "origin")?);
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| e.to_string())?;
    let login = client.post(format!("{base}/api/login")).form(&[("login", admin.as_str()), ("password", PASSWORD)]).send().await;
    if !login.as_ref().is_ok_and(|r| r.status().is_success() || r.status().is_redirection()) {
        return Err(format!("log-in failed: {login:?}"));
    }

    // The account in the middle of the name order: where "Next page" lands after
    // ~1,000 clicks.
    let middle: i64 = sqlx::query_scalar(
        "SELECT account_id FROM memberships WHERE portal_id = (SELECT id FROM portals WHERE slug = $1) AND status = 'active'
         ORDER BY sort_name, account_id
         OFFSET (SELECT count(*) / 2 FROM memberships WHERE portal_id = (SELECT id FROM portals WHERE slug = $1) AND status = 'active') LIMIT 1",
    )
    .bind(slug)
    .fetch_one(&pool)
    .await
    .map_err(|e| e.to_string())?;
    let middle = middle.to_string();
    let people: i64 = sqlx::query_scalar("SELECT count(*) FROM memberships m JOIN portals p ON p.id = m.portal_id WHERE p.slug = $1")
        .bind(slug)
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
    println!("portal /p/{slug}: {people} people, {} departments; {RUNS} timed requests each after 5 warm-up requests\n", size.departments);

    let list = |extra: Vec<(&'static str, String)>| {
        let mut form = vec![("slug", slug.to_string()), ("filter", "employees".to_string()), ("search", String::new())];
        for (name, value) in extra {
            match form.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = value,
                None => form.push((name, value)),
            }
        }
        form
    };
    let structure_name = format!("Company structure ({} departments)", size.departments);
    let cases: Vec<(&str, String, FormFields)> = vec![
        ("Employees, first page", format!("{base}/api/employees"), Some(list(vec![]))),
        ("Employees, middle page", format!("{base}/api/employees"), Some(list(vec![("after", middle.clone())]))),
        ("Employees, search \"garcia\"", format!("{base}/api/employees"), Some(list(vec![("search", "garcia".into())]))),
        ("Employees, search \"developer\"", format!("{base}/api/employees"), Some(list(vec![("search", "developer".into())]))),
        (
            "Employees, search \"developer\" page 2",
            format!("{base}/api/employees"),
            Some(list(vec![("search", "developer".into()), ("after", middle.clone())])),
        ),
        (&structure_name, format!("{base}/api/structure"), Some(vec![("slug", slug.to_string())])),
        ("Employees page, full HTML render", format!("{base}/p/{slug}/employees"), None),
        ("Company structure page, full HTML render", format!("{base}/p/{slug}/structure"), None),
    ];
    println!("{:<44} {:>9} {:>9} {:>9}", "request", "p50 ms", "p95 ms", "max ms");
    for (name, url, form) in cases {
        let mut times = Vec::with_capacity(RUNS);
        for run in 0..RUNS + 5 {
            let request = match &form {
                Some(form) => client.post(&url).form(form),
                None => client.get(&url),
            };
            let start = Instant::now();
            let response = request.send().await.map_err(|e| e.to_string())?;
            let status = response.status();
            let body = response.bytes().await.map_err(|e| e.to_string())?;
            let elapsed = start.elapsed();
            if !status.is_success() {
                return Err(format!("{name}: {status} {}", String::from_utf8_lossy(&body)));
            }
            if run >= 5 {
                times.push(elapsed);
            }
        }
        times.sort();
        let at = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!("{name:<44} {:>9.2} {:>9.2} {:>9.2}", ms(at(0.5)), ms(at(0.95)), ms(at(1.0)));
    }
    println!("\ntargets at 1,000,000 people: list pages <= 5 ms, searches p95 <= 20 ms; structure at 2,000 departments <= 10 ms");
    Ok(())
}
