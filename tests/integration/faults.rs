//! Faults with real processes: the release-built server binary (the test build's own
//! `intranet` binary) is started as a child process, stopped with SIGTERM or killed with
//! SIGKILL in the middle of work, and started again. E-mail goes to a real SMTP server
//! (aiosmtpd) that records each message's Message-ID and, like a real receiving server,
//! keeps only the first copy of a Message-ID it has seen.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use chrono::Utc;
use sqlx::PgPool;
use tokio::process::{Child, Command};

use crate::app::*;

/// The app as its own process.
struct AppProcess {
    child: Child,
    base: String,
}

impl AppProcess {
    async fn start(pool: &PgPool, port: u16, log: &Path, env: &[(&str, String)]) -> AppProcess {
        AppProcess::start_on(&database_url_of(pool), port, log, env).await
    }

    async fn start_on(database_url: &str, port: u16, log: &Path, env: &[(&str, String)]) -> AppProcess {
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_intranet"));
        command
            .env("DATABASE_URL", database_url)
            .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
            .env("INVITES_PER_DAY_FREE", "1000")
            .env_remove("DEV_OUTBOX")
            .env_remove("SITE_ORIGIN")
            .env_remove("SMTP_URL")
            .stdout(Stdio::from(log_file.try_clone().unwrap()))
            .stderr(Stdio::from(log_file))
            .kill_on_drop(true);
        for (name, value) in env {
            command.env(name, value);
        }
        let child = command.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let app = AppProcess { child, base };
        app.wait_until_ready(log).await;
        app
    }

    async fn wait_until_ready(&self, log: &Path) {
        let client = reqwest::Client::new();
        for _ in 0..300 {
            if let Ok(response) = client.get(format!("{}/readyz", self.base)).send().await
                && response.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the app did not get ready:\n{}", std::fs::read_to_string(log).unwrap_or_default());
    }

    fn test_app(&self) -> TestApp {
        TestApp { base: self.base.clone() }
    }

    fn pid(&self) -> u32 {
        self.child.id().unwrap()
    }

    /// SIGKILL: no chance to finish anything.
    async fn kill_9(mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// aiosmtpd with a handler that appends each message's Message-ID and recipients to a
/// file, dropping a Message-ID it has already stored (as receiving servers do), after
/// `delay` seconds per message (a slow server, so a kill lands mid-delivery).
struct RecordingSmtp {
    /// Killed when the test ends (dropped).
    _process: Child,
    received: PathBuf,
}

const RECORDER: &str = r#"
import asyncio, email, email.policy, json

class Recorder:
    def __init__(self, path, delay="0"):
        self.path, self.delay, self.seen = path, float(delay), set()

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(*args)

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message_id = message["Message-ID"]
        repeat = message_id in self.seen
        self.seen.add(message_id)
        with open(self.path, "a") as log:
            log.write(json.dumps({"message_id": message_id, "to": envelope.rcpt_tos, "repeat": repeat}) + "\n")
        return "250 OK"
"#;

impl RecordingSmtp {
    async fn start(dir: &Path, port: u16, delay: &str) -> RecordingSmtp {
        std::fs::write(dir.join("recorder.py"), RECORDER).unwrap();
        let received = dir.join("received.jsonl");
        let python = std::env::var("SMTP_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
        let process = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "recorder.Recorder"])
            .arg(&received)
            .arg(delay)
            .env("PYTHONPATH", dir)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
                return RecordingSmtp { _process: process, received };
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("aiosmtpd did not start");
    }

    /// (Message-ID, recipient, a repeat the server dropped) of everything that arrived.
    fn arrivals(&self) -> Vec<(String, String, bool)> {
        let text = std::fs::read_to_string(&self.received).unwrap_or_default();
        text.lines()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line).unwrap();
                (
                    value["message_id"].as_str().unwrap_or_default().to_string(),
                    value["to"][0].as_str().unwrap_or_default().to_string(),
                    value["repeat"].as_bool().unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// Signs up "acme" through the app, confirms Ann's address and logs her in.
async fn portal_through(app: &TestApp, pool: &PgPool) -> reqwest::Client {
    let ann = app.client();
    let form = [
        ("company_name", "Acme Ltd"),
        ("slug", "acme"),
        ("first_name", "Ann"),
        ("last_name", "Lee"),
        ("email", "ann@acme.test"),
        ("password", PASSWORD),
    ];
    let response = app.post(&ann, "sign_up", &form).await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    let token = token_from_outbox(pool, "ann@acme.test", "/confirm-email").await;
    intranet::auth::email_confirmation::confirm(pool, &token, Utc::now()).await.unwrap();
    ann
}

const INVITED: usize = 256;

fn addresses() -> String {
    (0..INVITED).map(|i| format!("person{i}@new.test")).collect::<Vec<_>>().join("\n")
}

/// (invitations, their outbox messages, their links): all or nothing, never half.
async fn invitation_rows(pool: &PgPool) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT (SELECT count(*) FROM invitations), (SELECT count(*) FROM outbox WHERE recipient LIKE '%@new.test'),
                (SELECT count(*) FROM invitation_links)",
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn wait_until_all_sent(pool: &PgPool, limit: Duration) -> Duration {
    let started = Instant::now();
    while started.elapsed() < limit {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status <> 'sent'").fetch_one(pool).await.unwrap();
        if left == 0 {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("messages still unsent after {limit:?}");
}

#[sqlx::test]
async fn killed_mid_invitation_and_mid_delivery_nothing_is_lost_half_written_or_doubled(pool: PgPool) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let smtp_port = free_port();
    // 40 ms per message, 16 at once: 256 invitations take about 0.7 s to deliver.
    let smtp = RecordingSmtp::start(dir.path(), smtp_port, "0.04").await;
    let port = free_port();
    let env = [("SMTP_URL", format!("smtp://127.0.0.1:{smtp_port}")), ("OUTBOX_LEASE_SECS", "2".to_string())];

    // 1. Killed while a 256-address invitation is being written.
    let first = AppProcess::start(&pool, port, &log, &env).await;
    let ann = portal_through(&first.test_app(), &pool).await;
    let request = {
        let (app, ann) = (first.test_app(), ann.clone());
        tokio::spawn(async move {
            let addresses = addresses();
            let form = [("slug", "acme"), ("addresses", addresses.as_str())];
            ann.post(format!("{}/api/invite_by_email", app.base)).form(&form).send().await.map(|r| r.status())
        })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    first.kill_9().await;
    let answered = request.await.unwrap();
    let rows = invitation_rows(&pool).await;
    let n = INVITED as i64;
    assert!(rows == (0, 0, 0) || rows == (n, n, n), "half-written: {rows:?}");
    println!("kill -9 during the invitation: answered {answered:?}, rows afterwards {rows:?}");

    // 2. Back up; the admin sends it again if it was lost. Killed while delivering.
    let second = AppProcess::start(&pool, port, &log, &env).await;
    let ann = second.test_app().logged_in("ann@acme.test").await;
    if rows.0 == 0 {
        let addresses = addresses();
        let form = [("slug", "acme"), ("addresses", addresses.as_str())];
        assert_eq!(second.test_app().post(&ann, "invite_by_email", &form).await.status(), 200);
    }
    assert_eq!(invitation_rows(&pool).await, (n, n, n));
    tokio::time::sleep(Duration::from_millis(300)).await;
    second.kill_9().await;
    let sent_before: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'sent' AND recipient LIKE '%@new.test'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let claimed: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE status = 'queued' AND claimed_until IS NOT NULL")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(sent_before < n, "the kill came too late to test anything ({sent_before} sent)");
    assert!(claimed > 0, "the kill came before the worker claimed anything: nothing was in flight");

    // 3. A third start sends the rest, the dead worker's claims once their lease is over.
    let killed_at = Instant::now();
    let third = AppProcess::start(&pool, port, &log, &env).await;
    wait_until_all_sent(&pool, Duration::from_secs(60)).await;
    let recovered = killed_at.elapsed();

    let arrivals: Vec<(String, String, bool)> = smtp.arrivals().into_iter().filter(|(_, to, _)| to.ends_with("@new.test")).collect();
    let stored: Vec<&(String, String, bool)> = arrivals.iter().filter(|(_, _, repeat)| !repeat).collect();
    let repeats = arrivals.len() - stored.len();
    let ids: HashSet<&str> = stored.iter().map(|(id, _, _)| id.as_str()).collect();
    let recipients: HashSet<&str> = stored.iter().map(|(_, to, _)| to.as_str()).collect();
    assert_eq!(stored.len(), INVITED, "each invitation stored once");
    assert_eq!(ids.len(), INVITED, "one Message-ID per message");
    assert_eq!(recipients.len(), INVITED, "every invited address reached");
    // Every re-send carried its message's first Message-ID, so the server dropped it.
    let by_id: HashMap<String, String> = sqlx::query_as("SELECT message_id, recipient FROM outbox WHERE recipient LIKE '%@new.test'")
        .fetch_all(&pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    for (id, to, _) in &arrivals {
        assert_eq!(by_id.get(id), Some(to), "{id} is the Message-ID the outbox keeps for {to}");
    }
    println!(
        "kill -9 during delivery: {sent_before} sent before, {claimed} claimed by the dead worker; after restart all {INVITED} \
         delivered in {recovered:?}; {repeats} re-sends with a known Message-ID dropped by the server, 0 duplicates stored"
    );
    third.kill_9().await;
}

#[sqlx::test]
async fn sigterm_finishes_requests_in_flight_closes_live_streams_with_a_retry_hint_and_exits_cleanly(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let port = free_port();
    let env = [("SHUTDOWN_GRACE_SECS", "5".to_string()), ("LOG_FORMAT", "json".to_string())];
    let app = AppProcess::start(&pool, port, &log, &env).await;
    let ann = portal_through(&app.test_app(), &pool).await;
    let mut stream = ann.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    let mut seen = String::new();
    while !seen.contains("data: ready") {
        seen.push_str(&String::from_utf8_lossy(&stream.chunk().await.unwrap().unwrap()));
    }
    // A log-in in flight when the signal comes: its body is only half sent.
    let body = format!("login=ann%40acme.test&password={PASSWORD}");
    let (first_half, second_half) = body.split_at(10);
    let mut in_flight = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {}\r\nX-Request-Id: drill-42\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first_half}",
        app.base,
        body.len()
    );
    in_flight.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;

    let pid = app.pid().to_string();
    let mut app = app;
    let signalled = Instant::now();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    // The stream's last words: reconnect in half a second (to another instance), and
    // refetch what was missed. Then it ends.
    let mut rest = String::new();
    while let Ok(Some(chunk)) = stream.chunk().await {
        rest.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(rest.contains("retry: 500"), "{rest}");
    assert!(rest.contains("data: resync"), "{rest}");
    // The log-in in flight is finished, not cut.
    in_flight.write_all(second_half.as_bytes()).await.unwrap();
    let mut answer = String::new();
    in_flight.read_to_string(&mut answer).await.unwrap();
    let status_line = answer.lines().next().unwrap_or_default().to_string();
    assert!(status_line.contains(" 200 ") || status_line.contains(" 302 "), "{answer}");
    assert!(answer.to_lowercase().contains("x-request-id: drill-42"), "{answer}");

    let status = tokio::time::timeout(Duration::from_secs(10), app.child.wait()).await.unwrap().unwrap();
    assert!(status.success(), "{status:?}");
    assert!(signalled.elapsed() < Duration::from_secs(5), "no waiting for the grace period: {:?}", signalled.elapsed());
    assert!(reqwest::Client::new().get(format!("http://127.0.0.1:{port}/healthz")).send().await.is_err(), "nothing listens any more");
    // JSON log lines; those of the log-in carry its request id.
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<serde_json::Value> = log.lines().filter_map(|line| serde_json::from_str(line).ok()).collect();
    let said = |text: &str| lines.iter().any(|line| line["message"].as_str().is_some_and(|m| m.contains(text)));
    assert!(said("stopping: no new connections") && said("outbox worker stopped"), "{log}");
    let tagged = lines.iter().any(|line| line["event"] == "logged in" && line["span"]["request_id"] == "drill-42");
    assert!(tagged, "the log-in's security event carries its request id:\n{log}");
}

/// The Postgres cluster scripts/test starts for this test alone (restarting the shared
/// one would fail every other test): its data folder and the folder of `pg_ctl`.
struct OwnCluster {
    data: String,
    pg_bin: String,
    socket: String,
}

impl OwnCluster {
    fn from_env() -> OwnCluster {
        let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set: scripts/test runs this test"));
        OwnCluster { data: var("FAULTS_PG_DATA"), pg_bin: var("FAULTS_PG_BIN"), socket: var("FAULTS_PG_SOCKET") }
    }

    /// `pg_ctl stop` or `start`, as the postgres user when we are root.
    fn pg_ctl(&self, action: &str) {
        let pg_ctl = format!("{}/pg_ctl", self.pg_bin);
        let options = format!("-c listen_addresses='' -k {} -c fsync=off", self.socket);
        let mut args = vec![pg_ctl.as_str(), "-D", self.data.as_str(), "-w", "-m", "fast"];
        if action == "start" {
            args.extend(["-o", options.as_str(), "-l"]);
        }
        let log = format!("{}/../postgres.log", self.data);
        if action == "start" {
            args.push(log.as_str());
        }
        args.push(action);
        let root = std::process::Command::new("id").arg("-u").output().map(|o| o.stdout == b"0\n").unwrap_or(false);
        let status = if root {
            std::process::Command::new("runuser").args(["-u", "postgres", "--"]).args(&args).status()
        } else {
            std::process::Command::new(args[0]).args(&args[1..]).status()
        };
        assert!(status.unwrap().success(), "pg_ctl {action}");
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@localhost/{database}?host={}", self.socket)
    }
}

#[tokio::test]
#[ignore = "needs a Postgres cluster of its own; scripts/test runs it with FAULTS_PG_* set"]
async fn postgres_restarts_under_the_running_app_and_it_recovers_without_a_restart() {
    let cluster = OwnCluster::from_env();
    let admin = PgPool::connect(&cluster.url("postgres")).await.unwrap();
    sqlx::query("DROP DATABASE IF EXISTS restart_drill WITH (FORCE)").execute(&admin).await.unwrap();
    sqlx::query("CREATE DATABASE restart_drill").execute(&admin).await.unwrap();
    admin.close().await;
    let pool = PgPool::connect(&cluster.url("restart_drill")).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let port = free_port();
    let app = AppProcess::start_on(&cluster.url("restart_drill"), port, &log, &[]).await;
    let ann = portal_through(&app.test_app(), &pool).await;
    pool.close().await;
    let page = |client: &reqwest::Client| client.get(format!("{}/p/acme", app.base)).timeout(Duration::from_secs(20)).send();
    assert_eq!(page(&ann).await.unwrap().status(), 200);
    let mut stream = ann.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    let mut heard = String::new();
    while !heard.contains("data: ready") {
        heard.push_str(&String::from_utf8_lossy(&stream.chunk().await.unwrap().unwrap()));
    }

    // Postgres goes away.
    cluster.pg_ctl("stop");
    let plain = reqwest::Client::new();
    assert_eq!(plain.get(format!("{}/healthz", app.base)).send().await.unwrap().status(), 200, "the process is alive");
    let readiness = plain.get(format!("{}/readyz", app.base)).send().await.unwrap();
    assert_eq!(readiness.status(), 503);
    assert_eq!(readiness.text().await.unwrap(), "not ready: database: not answering\n");
    // A page answers, with a clear message instead of a broken connection or a panic.
    let during = page(&ann).await.expect("an answer, not a dropped connection");
    let status = during.status().as_u16();
    let body = during.text().await.unwrap();
    assert!(!body.contains("panicked"), "{body}");
    println!("a portal page while Postgres is down: {status}, {} bytes", body.len());
    assert!(body.contains("Something went wrong") || body.contains("try again"), "{status}: {body}");

    // Postgres comes back: the app recovers by itself.
    let down_since = Instant::now();
    cluster.pg_ctl("start");
    let mut ready_after = None;
    for _ in 0..300 {
        if plain.get(format!("{}/readyz", app.base)).send().await.map(|r| r.status() == 200).unwrap_or(false) {
            ready_after = Some(down_since.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let ready_after = ready_after.expect("ready again within 30 s");
    let mut answered = 0;
    for _ in 0..20 {
        // The pool may hand out a connection that died with the old server once.
        if page(&ann).await.unwrap().status() == 200 {
            answered += 1;
            break;
        }
    }
    assert_eq!(answered, 1, "pages answer again");
    // The stream heard that it missed events, and hears new ones again.
    let pool = PgPool::connect(&cluster.url("restart_drill")).await.unwrap();
    sqlx::query("SELECT pg_notify('portal_events', '1 people')").execute(&pool).await.unwrap();
    let mut after = String::new();
    let listening = tokio::time::timeout(Duration::from_secs(10), async {
        while !after.contains("data: people") {
            after.push_str(&String::from_utf8_lossy(&stream.chunk().await.unwrap().unwrap()));
        }
    })
    .await;
    assert!(listening.is_ok(), "live updates resume: {after}");
    assert!(after.contains("data: resync"), "{after}");
    println!("Postgres restart: ready again {ready_after:?} after it was started; live updates resumed");
    app.kill_9().await;
}

/// The URL of another database on the test's cluster.
fn sibling_url(pool: &PgPool, database: &str) -> String {
    let own = database_url_of(pool);
    let ours = pool.connect_options().get_database().unwrap_or_default().to_string();
    own.replacen(&format!("/{ours}"), &format!("/{database}"), 1)
}

#[sqlx::test]
async fn a_backup_restores_into_a_new_database_and_the_app_runs_on_it(pool: PgPool) {
    // Some data worth keeping: a portal, its admin, a colleague.
    let now = Utc::now();
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("intranet.dump");

    // The drill of docs/deploy.md: pg_dump, a new database, pg_restore, start, log in.
    let dumped = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(database_url_of(&pool))
        .status()
        .unwrap();
    assert!(dumped.success());
    let restored_name = format!("{}_restored", pool.connect_options().get_database().unwrap_or_default());
    let admin = PgPool::connect(&sibling_url(&pool, "postgres")).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{restored_name}\" WITH (FORCE)")).execute(&admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE \"{restored_name}\"")).execute(&admin).await.unwrap();
    let restored_url = sibling_url(&pool, &restored_name);
    let restored = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&restored_url)
        .arg(&dump)
        .status()
        .unwrap();
    assert!(restored.success());

    let log = dir.path().join("app.log");
    let app = AppProcess::start_on(&restored_url, free_port(), &log, &[]).await;
    let ann = app.test_app().logged_in("ann@acme.test").await;
    let employees = ann.get(format!("{}/p/acme/employees", app.base)).send().await.unwrap();
    assert_eq!(employees.status(), 200);
    let page = employees.text().await.unwrap();
    assert!(page.contains("Bo Berg") && page.contains("Ann Lee"), "the restored people are there");
    app.kill_9().await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{restored_name}\" WITH (FORCE)")).execute(&admin).await.unwrap();
}
