//! Invitation benchmark (scripts/bench runs it). Prints
//! 1. the server time of inviting 256 addresses in one request (validate, then write the
//!    invitations, links, outbox messages and audit entries in one transaction),
//!    measured as a loopback HTTP round trip to `invite_by_email`; target <= 300 ms;
//! 2. the outbox's delivery rate to a local SMTP server (aiosmtpd, given as
//!    `BENCH_SMTP_URL`); target >= 200 messages/s;
//! 3. the preview of a 1,000-row list ("Invite from a list": read the CSV, check every
//!    row's address, department, membership and pending invitation), as a loopback HTTP
//!    round trip to `preview_bulk_invitations`; target <= 500 ms.
//!
//! Needs DATABASE_URL and BENCH_SMTP_URL.

use std::time::{Duration, Instant};

use chrono::Utc;
use intranet::crypto::passwords::Passwords;
use intranet::mail::worker::{Deliverer, deliver_due};
use intranet::portals::service::{SignUpForm, sign_up};
use intranet::server::config::{Config, DEFAULT_DATABASE_POOL_SIZE};
use intranet::startup;

const PASSWORD: &str = "violet-harbor-42";
const RUNS: usize = 20;
const ROWS: usize = 256;
const BULK_ROWS: usize = 1000;

#[tokio::main]
async fn main() -> Result<(), String> {
    let database_url = std::env::var("DATABASE_URL").map_err(|_| "set DATABASE_URL (scripts/bench does)")?;
    let smtp_url = std::env::var("BENCH_SMTP_URL").map_err(|_| "set BENCH_SMTP_URL (scripts/bench does)")?;
    // As the server does at start, so the app is measured as it is served.
    startup::without_transparent_huge_pages();
    let pool = startup::connect_and_migrate(&database_url, DEFAULT_DATABASE_POOL_SIZE).await?;
    let slug = format!("inv{}", Utc::now().timestamp());
    let admin = format!("admin@{slug}.test");
    let form = SignUpForm {
        company_name: "Invite Bench Ltd".into(),
        slug: slug.clone(),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email: Some(admin.clone()),
        password: Some(PASSWORD.into()),
    };
    let bench_config = unlimited(Config::local(&database_url, "http://127.0.0.1"));
    let admin_id = sign_up(&pool, &Passwords::start(2)?, &bench_config, &form, None, Utc::now())
        .await
        .map_err(|e| format!("sign-up: {e:?}"))?
        .account_id;
    // What the admin's confirmation link does; this figure is about inviting.
    sqlx::query("UPDATE accounts SET email_confirmed_at = now() WHERE id = $1")
        .bind(admin_id)
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
    // Earlier runs' messages must not count in the delivery figure.
    sqlx::query("UPDATE outbox SET status = 'sent' WHERE status = 'queued'").execute(&pool).await.map_err(|e| e.to_string())?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
    let config = unlimited(Config::local(&database_url, &base));
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

    // 1. 256 fresh addresses per request (one warm-up run first).
    let mut times = Vec::new();
    for run in 0..=RUNS {
        let addresses: Vec<String> = (0..ROWS).map(|i| format!("person{i}.run{run}@{slug}.example")).collect();
        let body = addresses.join("\n");
        let (elapsed, _) = timed_post(&client, &format!("{base}/api/invite_by_email"), &[("slug", &slug), ("addresses", &body)]).await?;
        if run > 0 {
            times.push(elapsed);
        }
    }
    println!("invite {ROWS} addresses in one request ({RUNS} runs): {}  (target <= 300 ms)", spread(&mut times));

    // 2. Deliver everything those requests queued.
    let queued: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'queued'").fetch_one(&pool).await.map_err(|e| e.to_string())?;
    let mut config = Config::local(&database_url, "http://127.0.0.1");
    config.smtp_url = Some(smtp_url.clone());
    config.dev_outbox = false;
    let deliverer = Deliverer::from_config(&config)?;
    let started = Instant::now();
    let mut delivered = 0usize;
    loop {
        let attempted = deliver_due(&pool, &deliverer, Utc::now()).await.map_err(|e| e.to_string())?;
        if attempted == 0 {
            break;
        }
        delivered += attempted;
    }
    let seconds = started.elapsed().as_secs_f64();
    let failed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetch_one(&pool).await.map_err(|e| e.to_string())?;
    println!(
        "outbox delivery to a local SMTP server: {delivered} of {queued} messages in {seconds:.2} s = {:.0} messages/s, {failed} not sent  (target >= 200/s)",
        delivered as f64 / seconds
    );

    // 3. A 1,000-row list: most rows new, some invited in step 1, some repeated, a few
    //    bad, with department names to look up.
    for name in ["Sales", "Support", "Engineering"] {
        sqlx::query(
            "INSERT INTO departments (portal_id, parent_id, name)
             SELECT p.id, d.id, $2 FROM portals p JOIN departments d ON d.portal_id = p.id AND d.parent_id IS NULL WHERE p.slug = $1",
        )
        .bind(&slug)
        .bind(name)
        .execute(&pool)
        .await
        .map_err(|e| e.to_string())?;
    }
    let list: String = std::iter::once("E-mail or phone;First name;Last name;Department;Position\n".to_string())
        .chain((0..BULK_ROWS).map(|i| {
            let contact = match i % 20 {
                0 => format!("person{i}.run1@{slug}.example"),
                1 => format!("+1 415 555 {:04}", i % 10_000),
                2 => "not an address".to_string(),
                // The next row's address: a repeat in the list.
                3 => format!("listed{}@{slug}.example", i + 1),
                _ => format!("listed{i}@{slug}.example"),
            };
            let department = ["Sales", "support", "Engineering", ""][i % 4];
            format!("{contact};First{i};Last{i};{department};Position {i}\n")
        }))
        .collect();
    let mut times = Vec::new();
    let mut ready: usize = 0;
    for run in 0..=RUNS {
        let (elapsed, text) =
            timed_post(&client, &format!("{base}/api/preview_bulk_invitations"), &[("slug", &slug), ("rows", &list)]).await?;
        // The answer's "ready" count (the bench has no JSON parser of its own to spare).
        ready =
            text.split("\"ready\":").nth(1).and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next()?.parse().ok()).unwrap_or(0);
        if run > 0 {
            times.push(elapsed);
        }
    }
    println!("preview a {BULK_ROWS}-row list ({ready} ready; {RUNS} runs): {}  (target <= 500 ms)", spread(&mut times));

    // 4. Employees > Invited > Funnel over every invitation step 1 sent (all delivered in
    //    step 2): the sums by channel and by week, the chart and the first page of rows.
    let invitations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM invitations WHERE portal_id = (SELECT id FROM portals WHERE slug = $1)")
            .bind(&slug)
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())?;
    let mut times = Vec::new();
    for run in 0..=RUNS {
        let by = if run % 2 == 0 { "channel" } else { "week" };
        let (elapsed, _) = timed_post(&client, &format!("{base}/api/invitation_funnel"), &[("slug", &slug), ("by", by)]).await?;
        if run > 0 {
            times.push(elapsed);
        }
    }
    println!("invitation funnel over {invitations} invitations ({RUNS} runs): {}", spread(&mut times));
    Ok(())
}

/// "p50 … ms, p95 … ms, max … ms" of the runs' times.
fn spread(times: &mut [Duration]) -> String {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let at = |share: usize| ms(times[(times.len() * share / 100).min(times.len() - 1)]);
    format!("p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms", at(50), at(95), ms(times[times.len() - 1]))
}

/// One server-function call, timed from send to the whole answer; a refusal ends the run.
async fn timed_post(client: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Result<(Duration, String), String> {
    let started = Instant::now();
    let response = client.post(url).form(form).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let text = response.text().await.map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        return Err(format!("{url} failed: {status} {text}"));
    }
    Ok((elapsed, text))
}

/// The benchmark sends far more than a day's worth of messages.
fn unlimited(mut config: Config) -> Config {
    config.invites_per_day_free = 1_000_000;
    let caps = intranet::server::config::DailyCaps { per_portal: 1_000_000_000, per_instance: 1_000_000_000 };
    config.email_caps = caps;
    config.sms_caps = caps;
    config
}
