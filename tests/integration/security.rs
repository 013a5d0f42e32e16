//! Security events: log-ins, failures, lock-outs and resets reach the audit log of the
//! account's portals, and the log as structured lines (JSON with `LOG_FORMAT=json`, read
//! here from the real server process).

use std::io::{BufRead, BufReader};
use std::time::{Duration, Instant};

use chrono::Utc;
use intranet::audit::AuditEntry;
use sqlx::PgPool;

use crate::app::*;

async fn audit_actions(app: &TestApp, admin: &reqwest::Client) -> Vec<AuditEntry> {
    json_of(app.post(admin, "audit_log", &[("slug", "acme")]).await).await
}

#[sqlx::test]
async fn log_ins_failures_lock_outs_and_resets_reach_the_portals_audit_log(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let app = spawn_app(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let wrong = [("login", "bo@acme.test"), ("password", "not-bos-password")];
    for _ in 0..intranet::auth::service::FAILURES_PER_LOGIN.max {
        assert_eq!(app.post(&app.client(), "login", &wrong).await.status(), 401);
    }
    // Past the limit: refused, and entered once however often it is tried.
    for _ in 0..3 {
        assert_eq!(app.post(&app.client(), "login", &wrong).await.status(), 429);
    }
    app.post(&app.client(), "forgot_password", &[("login", "bo@acme.test")]).await;
    // An unknown login is logged, but belongs to no portal.
    assert_eq!(app.post(&app.client(), "login", &[("login", "nobody@acme.test"), ("password", "x")]).await.status(), 401);

    let entries = audit_actions(&app, &admin).await;
    let count = |action: &str, subject: &str| entries.iter().filter(|e| e.action == action && e.subject == subject).count();
    assert_eq!(count("logged in", "Ann Lee"), 1);
    assert_eq!(count("failed log-in", "Bo Berg"), 10);
    assert_eq!(count("log-in locked after repeated failures", "Bo Berg"), 1);
    assert_eq!(count("password reset requested", "Bo Berg"), 1);
    assert!(entries.iter().all(|e| !e.detail.contains("nobody@acme.test")), "another login's event is not acme's");
    let failure = entries.iter().find(|e| e.action == "failed log-in").unwrap();
    assert_eq!(failure.detail, "wrong password, from 127.0.0.1");
    // Only administrators read it (Bo's lock-out lifted by hand, as time would).
    sqlx::query("DELETE FROM throttle_events").execute(&pool).await.unwrap();
    let bo = app.logged_in("bo@acme.test").await;
    assert_eq!(app.post(&bo, "audit_log", &[("slug", "acme")]).await.status(), 403);
}

#[sqlx::test]
async fn with_log_format_json_security_events_are_json_lines(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = KillOnDrop(
        std::process::Command::new(env!("CARGO_BIN_EXE_intranet"))
            .env("DATABASE_URL", database_url_of(&pool))
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("DEV_OUTBOX")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the server starts"),
    );
    let stdout = server.0.stdout.take().unwrap();
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/login")).send().await.is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let refused = client
        .post(format!("{base}/api/login"))
        .header("Origin", &base)
        .form(&[("login", "ann@acme.test"), ("password", "wrong-password")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    let mut event = None;
    let mut seen = Vec::new();
    while event.is_none() && started.elapsed() < Duration::from_secs(30) {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(5)) else { break };
        let parsed: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("a log line that is not JSON ({e}): {line}"));
        if parsed["target"] == "security" && parsed["event"] == "failed log-in" {
            event = Some(parsed);
        }
        seen.push(line);
    }
    drop(server);
    let event = event.unwrap_or_else(|| panic!("no security event among: {seen:#?}"));
    assert_eq!(event["level"], "INFO");
    assert!(event["detail"].as_str().unwrap_or_default().contains("wrong password, from 127.0.0.1"), "{event}");
    assert!(event["timestamp"].is_string());
}

/// The server process ends with the test, even a failed one.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
