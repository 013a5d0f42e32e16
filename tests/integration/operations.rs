//! Operating the app: health and readiness, Prometheus metrics (and who may read them),
//! request ids, and the outbox's leases.

use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use intranet::mail::worker::deliver_due;
use sqlx::PgPool;

use crate::app::*;

async fn get(client: &reqwest::Client, url: String) -> (u16, String) {
    let response = client.get(url).send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Delivers to the dev Outbox: the message's row is its delivery.
fn dev_outbox_deliverer() -> intranet::mail::worker::Deliverer {
    intranet::mail::worker::Deliverer::from_config(&config("http://127.0.0.1:9")).unwrap()
}

/// `/readyz` once the live updates' LISTEN connection is up (it starts with the app).
async fn ready(app: &TestApp) -> (u16, String) {
    let client = reqwest::Client::new();
    for _ in 0..100 {
        let answer = get(&client, format!("{}/readyz", app.base)).await;
        if answer.0 == 200 {
            return answer;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    get(&client, format!("{}/readyz", app.base)).await
}

#[sqlx::test]
async fn health_says_alive_and_readiness_needs_the_database_and_its_migrations(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let client = reqwest::Client::new();
    assert_eq!(get(&client, format!("{}/healthz", app.base)).await, (200, "ok\n".into()));
    assert_eq!(ready(&app).await, (200, "ready\n".into()));

    // A newer build's migration not yet applied: not ready, and it says only that.
    let newest: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
    sqlx::query("UPDATE _sqlx_migrations SET success = false WHERE version = $1").bind(newest).execute(&pool).await.unwrap();
    assert_eq!(get(&client, format!("{}/readyz", app.base)).await, (503, "not ready: database: migrations pending\n".into()));
    assert_eq!(get(&client, format!("{}/healthz", app.base)).await.0, 200, "alive all the same");
    sqlx::query("UPDATE _sqlx_migrations SET success = true WHERE version = $1").bind(newest).execute(&pool).await.unwrap();
    assert_eq!(get(&client, format!("{}/readyz", app.base)).await.0, 200);
}

#[sqlx::test]
async fn metrics_count_requests_and_read_the_outbox_pool_hashing_and_streams(pool: PgPool) {
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let request = intranet::invitations::service::InviteRequest { addresses: "a@new.test\nb@new.test".into(), ..Default::default() };
    intranet::invitations::service::invite_by_email(&pool, &config("http://x"), &admin, &request, now).await.unwrap();
    sqlx::query("UPDATE outbox SET created_at = now() - interval '90 seconds'").execute(&pool).await.unwrap();
    let app = spawn_app(pool.clone()).await;
    let client = reqwest::Client::new();
    for _ in 0..3 {
        get(&client, format!("{}/healthz", app.base)).await;
    }
    let (status, page) = get(&client, format!("{}/metrics", app.base)).await;
    assert_eq!(status, 200);
    let line = |prefix: &str| page.lines().find(|l| l.starts_with(prefix)).unwrap_or_else(|| panic!("no {prefix} in\n{page}"));
    let count = |prefix: &str| line(prefix).rsplit(' ').next().unwrap().parse::<f64>().unwrap();
    assert!(count(r#"http_requests_total{route="/healthz",method="GET",status="200"}"#) >= 3.0);
    line(r#"http_request_duration_seconds_bucket{route="/healthz",le="0.001"}"#);
    assert_eq!(count(r#"outbox_queued{channel="email"}"#), 2.0);
    assert_eq!(count(r#"outbox_queued{channel="sms"}"#), 0.0);
    let age = count(r#"outbox_oldest_queued_age_seconds{channel="email"}"#);
    assert!((89.0..200.0).contains(&age), "{age}");
    line("password_hash_queue_depth ");
    line("live_streams_open ");
    // This page's own request holds a connection while it reads the levels.
    assert!(count(r#"db_pool_connections{state="in_use"}"#) + count(r#"db_pool_connections{state="idle"}"#) >= 1.0);
    assert!(count("db_pool_max_connections ") >= 1.0);

    // Sends are counted by channel.
    let deliverer = dev_outbox_deliverer();
    assert_eq!(deliver_due(&pool, &deliverer, Utc::now()).await.unwrap(), 2);
    let (_, page) = get(&client, format!("{}/metrics", app.base)).await;
    assert!(page.lines().any(|l| l.starts_with(r#"outbox_sent_total{channel="email"}"#)), "{page}");
    assert!(page.contains("outbox_queued{channel=\"email\"} 0"), "{page}");
}

#[sqlx::test]
async fn metrics_are_not_for_other_machines_or_through_a_proxy(pool: PgPool) {
    let app = spawn_app_with(pool, |config| config.operations.metrics_token = Some("scraper-token-0123456789".into())).await;
    let client = reqwest::Client::new();
    let forwarded = client.get(format!("{}/metrics", app.base)).header("x-forwarded-for", "203.0.113.7").send().await.unwrap();
    assert_eq!(forwarded.status(), 404, "a proxied request is someone else's");
    let wrong = client.get(format!("{}/metrics", app.base)).bearer_auth("scraper-token-wrong").send().await.unwrap();
    assert_eq!(wrong.status(), 404);
    let scraper = client
        .get(format!("{}/metrics", app.base))
        .header("x-forwarded-for", "203.0.113.7")
        .bearer_auth("scraper-token-0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(scraper.status(), 200);
    assert!(scraper.text().await.unwrap().contains("http_requests_total"));
}

#[sqlx::test]
async fn every_answer_carries_a_request_id(pool: PgPool) {
    let app = spawn_app(pool).await;
    let client = reqwest::Client::new();
    let id_of = |response: &reqwest::Response| response.headers().get("x-request-id").unwrap().to_str().unwrap().to_string();
    let first = client.get(format!("{}/login", app.base)).send().await.unwrap();
    let second = client.get(format!("{}/login", app.base)).send().await.unwrap();
    let (a, b) = (id_of(&first), id_of(&second));
    assert!(a.len() == 16 && a.bytes().all(|c| c.is_ascii_hexdigit()), "{a}");
    assert_ne!(a, b);
    // A load balancer's id is kept, so its logs and ours meet; a forged one is not.
    let kept = client.get(format!("{}/healthz", app.base)).header("x-request-id", "lb-7f3a.91").send().await.unwrap();
    assert_eq!(id_of(&kept), "lb-7f3a.91");
    let replaced = client.get(format!("{}/healthz", app.base)).header("x-request-id", "bad id; level=ERROR").send().await.unwrap();
    assert_ne!(id_of(&replaced), "bad id; level=ERROR");
}

#[sqlx::test]
async fn a_claimed_message_waits_for_its_lease_and_is_sent_again_with_the_same_message_id(pool: PgPool) {
    let now = Utc::now();
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    intranet::auth::service::request_password_reset(&pool, &config("http://x"), "ann@acme.test", now).await.unwrap();
    // A worker claimed it and died before recording anything.
    sqlx::query("UPDATE outbox SET claimed_until = $1, message_id = '<7.dead@intranet.localhost>'")
        .bind(now + Duration::minutes(5))
        .execute(&pool)
        .await
        .unwrap();
    let deliverer = dev_outbox_deliverer();
    assert_eq!(deliver_due(&pool, &deliverer, now).await.unwrap(), 0, "still the dead worker's");
    let later = now + Duration::minutes(5) + Duration::seconds(1);
    assert_eq!(deliver_due(&pool, &deliverer, later).await.unwrap(), 1, "its lease is over");
    let (status, message_id, claimed): (String, String, Option<chrono::DateTime<Utc>>) =
        sqlx::query_as("SELECT status::text, message_id, claimed_until FROM outbox").fetch_one(&pool).await.unwrap();
    assert_eq!((status.as_str(), message_id.as_str(), claimed), ("sent", "<7.dead@intranet.localhost>", None));
}

const SHORT_HEADER_TIMEOUT: StdDuration = StdDuration::from_secs(1);

/// The app with a header timeout of [`SHORT_HEADER_TIMEOUT`], and a raw TCP connection to
/// it, with the moment just before the connection opened (the server's clock cannot have
/// started before it).
async fn raw_connection_to_an_app_with_a_short_header_timeout(pool: PgPool) -> (TestApp, std::time::Instant, tokio::net::TcpStream) {
    let app = spawn_app_with(pool, |config| config.operations.header_timeout = SHORT_HEADER_TIMEOUT).await;
    let opened = std::time::Instant::now();
    let connection = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    (app, opened, connection)
}

/// Sends `piece` on `connection` every 250 ms until the server answers, and reads what it
/// answers, until the server closes the connection. Returns the answer and how long after
/// `since` the connection closed; fails the test if it is still open `limit` after `since`.
async fn trickle_until_closed(
    connection: &mut tokio::net::TcpStream,
    piece: &[u8],
    since: std::time::Instant,
    limit: StdDuration,
) -> (String, StdDuration) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut answer = Vec::new();
    let closed_after = loop {
        assert!(since.elapsed() < limit, "the connection was still open after {:?}", since.elapsed());
        if answer.is_empty() && connection.write_all(piece).await.is_err() {
            break since.elapsed();
        }
        let mut buffer = [0u8; 512];
        match tokio::time::timeout(StdDuration::from_millis(250), connection.read(&mut buffer)).await {
            Err(_) => {}
            Ok(Ok(0)) | Ok(Err(_)) => break since.elapsed(),
            Ok(Ok(read)) => answer.extend_from_slice(&buffer[..read]),
        }
    };
    (String::from_utf8_lossy(&answer).into_owned(), closed_after)
}

/// Slowloris: a client that trickles its request head, a header line now and then, is
/// disconnected once the header timeout has passed, and the server goes on serving
/// whole requests. Real TCP against the real server loop.
#[sqlx::test]
async fn a_client_that_trickles_its_request_head_is_disconnected(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let (app, opened, mut slow) = raw_connection_to_an_app_with_a_short_header_timeout(pool).await;
    let timeout = SHORT_HEADER_TIMEOUT;
    slow.write_all(b"GET /login HTTP/1.1\r\nHost: 127.0.0.1\r\n").await.unwrap();
    // Each line comes well within the timeout of the one before; only the whole head counts.
    let (answer, closed_after) = trickle_until_closed(&mut slow, b"X-Trickle: 1\r\n", opened, timeout * 5).await;
    assert!(closed_after >= timeout, "closed after {closed_after:?}, before the timeout of {timeout:?}");
    // hyper answers nothing to a head that never ended: it closes the connection.
    assert!(answer.is_empty(), "the trickled request was answered: {answer}");

    let (status, _) = get(&reqwest::Client::new(), format!("{}/login", app.base)).await;
    assert_eq!(status, 200, "a whole request after the slow one");
}

/// A slow body: the head arrives whole, then the body a byte now and then, each well
/// within the header timeout of the one before. Once the body timeout has passed the
/// request is answered 408 and the connection closes; whole requests are still served.
#[sqlx::test]
async fn a_client_that_trickles_its_request_body_is_answered_408_and_disconnected(pool: PgPool) {
    use tokio::io::AsyncWriteExt;
    let timeout = StdDuration::from_secs(1);
    let app = spawn_app_with(pool, |config| config.operations.body_timeout = timeout).await;
    let mut slow = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let head = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=",
        app.base
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let head_sent = std::time::Instant::now();
    let (answer, closed_after) = trickle_until_closed(&mut slow, b"a", head_sent, timeout * 5).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "answered: {answer}");
    assert!(answer.to_ascii_lowercase().contains("connection: close"), "answered: {answer}");
    assert!(answer.contains("took too long to arrive"), "answered: {answer}");
    // The server's clock started when the head arrived, after it was sent here.
    assert!(closed_after >= timeout, "closed after {closed_after:?}, before the timeout of {timeout:?}");

    // A whole form, sent at once, is read and reaches its function as before.
    let refused = reqwest::Client::new()
        .post(format!("{}/api/login", app.base))
        .header("Origin", &app.base)
        .form(&[("login", "nobody@example.com"), ("password", "wrong-password-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401, "a whole log-in form after the slow one");
}

/// A body past the form limit (a megabyte) is refused with 413 and a message for the form;
/// a body whose chunks are malformed is the request's fault (400), not "too large".
#[sqlx::test]
async fn a_body_too_large_is_answered_413_and_a_broken_one_400(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app(pool).await;
    // One byte past the limit, and that byte the body's last: when the server refuses,
    // it has read everything sent, so closing the connection cannot reset it before the
    // answer is read.
    let huge = format!("login={}", "a".repeat(1024 * 1024 + 1 - "login=".len()));
    let refused = reqwest::Client::new()
        .post(format!("{}/api/login", app.base))
        .header("Origin", &app.base)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 413);
    assert!(refused.text().await.unwrap().contains("too large to send"));

    let mut broken = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://")).await.unwrap();
    let request = format!(
        "POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nlogin=\r\nnot-a-size\r\n",
        app.base
    );
    broken.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(StdDuration::from_secs(10), broken.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "answered: {answer}");
    assert!(answer.contains("did not arrive whole"), "answered: {answer}");
}

/// server_fn decodes a body as a form whatever its Content-Type says, so the check for
/// control characters looks at every body posted to a function, labelled as a form or not.
#[sqlx::test]
async fn control_characters_are_refused_whatever_the_content_type(pool: PgPool) {
    let app = spawn_app(pool).await;
    for content_type in [None, Some("text/plain"), Some("Application/X-WWW-Form-Urlencoded")] {
        let mut request = reqwest::Client::new()
            .post(format!("{}/api/login", app.base))
            .header("Origin", &app.base)
            .body("login=a%00b&password=wrong-password-1");
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        let (status, error) = error_of(request.send().await.unwrap()).await;
        assert_eq!((status, error.for_field("login").is_some()), (422, true), "{content_type:?}: {error:?}");
    }
}

/// The same clock closes a keep-alive connection left idle after its answer, which is why
/// the proxy in front lets its own idle connections go sooner (docs/deploy.md).
#[sqlx::test]
async fn a_keep_alive_connection_left_idle_is_closed_after_the_header_timeout(pool: PgPool) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (_app, _, mut connection) = raw_connection_to_an_app_with_a_short_header_timeout(pool).await;
    let timeout = SHORT_HEADER_TIMEOUT;
    connection.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.unwrap();
    let mut buffer = [0u8; 4096];
    let read = connection.read(&mut buffer).await.unwrap();
    let head = String::from_utf8_lossy(&buffer[..read]).to_string();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let answered = std::time::Instant::now();
    // The rest of the answer, if any, then the end of the connection.
    let closed_after = loop {
        match tokio::time::timeout(timeout * 5, connection.read(&mut buffer)).await {
            Err(_) => panic!("the idle connection was still open after {:?}", answered.elapsed()),
            Ok(Ok(0) | Err(_)) => break answered.elapsed(),
            Ok(Ok(_)) => {}
        }
    };
    // The server's clock started when it sent the answer, a moment before it was read here.
    assert!(closed_after >= timeout / 2, "closed {closed_after:?} after the answer, well before the timeout of {timeout:?}");
}

/// A page goes out compressed to a browser that asks (brotli first, else gzip), marked as
/// varying by what was asked; a client that does not ask gets plain HTML; and the live
/// stream is never compressed, so each event leaves the moment it happens.
#[sqlx::test]
async fn pages_are_compressed_for_browsers_that_ask_and_event_streams_never(pool: PgPool) {
    use std::io::Read;
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    // The test client does not decompress by itself: it reads what was sent.
    let ann = app.logged_in("ann@acme.test").await;
    let page = format!("{}/p/acme/employees", app.base);
    let encoding = |response: &reqwest::Response| response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());

    let plain = ann.get(&page).send().await.unwrap();
    assert_eq!((plain.status().as_u16(), encoding(&plain)), (200, None));
    let html = plain.text().await.unwrap();
    assert!(html.contains("<h1>Employees</h1>"), "plain HTML");

    let brotli = ann.get(&page).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert_eq!((brotli.status().as_u16(), encoding(&brotli).as_deref()), (200, Some("br")));
    assert!(brotli.headers().get_all("vary").iter().any(|v| v.to_str().unwrap().to_ascii_lowercase().contains("accept-encoding")));
    let sent = brotli.bytes().await.unwrap();
    assert!(sent.len() * 2 < html.len(), "{} bytes sent for {} of HTML", sent.len(), html.len());

    let gzip = ann.get(&page).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(encoding(&gzip).as_deref(), Some("gzip"));
    let mut unpacked = String::new();
    flate2::read::GzDecoder::new(gzip.bytes().await.unwrap().as_ref()).read_to_string(&mut unpacked).unwrap();
    assert!(unpacked.contains("<h1>Employees</h1>") && unpacked.contains("</html>"), "the whole page, unpacked");

    let mut events = ann.get(format!("{}/p/acme/live", app.base)).header("accept-encoding", "gzip, br").send().await.unwrap();
    assert_eq!((events.status().as_u16(), encoding(&events)), (200, None));
    crate::live::wait_for(&mut events, "ready").await;
}
