use std::time::Duration;

use chrono::Utc;
use sqlx::PgPool;

use crate::app::*;

/// Reads the event stream until an event with `data` arrives; returns every data line
/// seen before it.
pub async fn wait_for(response: &mut reqwest::Response, data: &str) -> Vec<String> {
    let mut buffer = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let lines: Vec<String> =
            buffer.lines().filter_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:"))).map(str::to_string).collect();
        if let Some(at) = lines.iter().position(|l| l == data) {
            return lines[..at].to_vec();
        }
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .unwrap_or_else(|_| panic!("no \"{data}\" event in time; got {buffer:?}"))
            .unwrap_or_else(|e| panic!("stream failed: {e}"))
            .unwrap_or_else(|| panic!("stream ended; got {buffer:?}"));
        buffer.push_str(&String::from_utf8_lossy(&chunk));
    }
}

#[sqlx::test]
async fn an_event_from_one_instance_reaches_a_page_on_another(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    // Two app instances on one database, as behind a load balancer.
    let first = spawn_app(pool.clone()).await;
    let second = spawn_app(pool.clone()).await;

    let watcher = second.logged_in("bo@acme.test").await;
    let mut events = watcher.get(format!("{}/p/acme/live", second.base)).send().await.unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/event-stream"));
    wait_for(&mut events, "ready").await;

    // Another portal's chat first: it must not reach acme's pages.
    let zed = first.logged_in("zed@other.test").await;
    assert_eq!(first.post(&zed, "send_message", &[("slug", "other"), ("text", "hi")]).await.status(), 200);
    let ann = first.logged_in("ann@acme.test").await;
    assert_eq!(first.post(&ann, "publish_post", &[("slug", "acme"), ("text", "Hello from one")]).await.status(), 200);
    let before = wait_for(&mut events, "stream").await;
    assert!(before.is_empty(), "nothing else came first: {before:?}");
}

#[sqlx::test]
async fn only_active_members_can_open_a_portals_event_stream(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "zed@other.test", now).await;
    let app = spawn_app(pool.clone()).await;
    let anonymous = app.client().get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let outsider = app.logged_in("zed@other.test").await;
    let response = outsider.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    assert_eq!(response.status(), 404);
}

#[sqlx::test]
async fn a_dismissed_persons_open_stream_is_told_and_closed(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let cy = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    let app = spawn_app(pool.clone()).await;
    let bo_client = app.logged_in("bo@acme.test").await;
    let mut bo_events = bo_client.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    wait_for(&mut bo_events, "ready").await;
    let admin = caller(&pool, ann, "acme").await;

    // Someone else's change: Bo's stream hears it and stays open.
    use intranet::people::service::{PersonAction, act_on_person};
    act_on_person(&pool, &admin, cy, PersonAction::Dismiss, now).await.unwrap();
    wait_for(&mut bo_events, "access").await;
    act_on_person(&pool, &admin, bo, PersonAction::Dismiss, now).await.unwrap();
    wait_for(&mut bo_events, "access").await;
    let end = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match bo_events.chunk().await {
                Ok(Some(chunk)) if String::from_utf8_lossy(&chunk).starts_with(':') => continue,
                other => return other.map(|c| c.map(|c| String::from_utf8_lossy(&c).into_owned())),
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the stream stayed open"));
    // Ended by the server, cleanly: a read error (a dropped connection) is not an ending.
    assert!(matches!(end, Ok(None)), "the stream ended cleanly: {end:?}");
}

/// A stream ends soon after its session does, even when no event says so: it re-checks
/// its access every `recheck_every` (30 s in production, 1 s here).
#[sqlx::test]
async fn a_stream_ends_soon_after_log_out(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app_with(pool.clone(), |config| config.live.recheck_every = Duration::from_secs(1)).await;
    let ann = app.logged_in("ann@acme.test").await;
    let mut events = ann.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    wait_for(&mut events, "ready").await;
    assert!(app.post(&ann, "logout", &[]).await.status().as_u16() < 400, "logged out");
    let ended_at = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut rest = String::new();
    loop {
        match tokio::time::timeout_at(ended_at, events.chunk()).await {
            Ok(Ok(Some(chunk))) => rest.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(Ok(None)) => break,
            Ok(Err(error)) => panic!("the stream broke instead of ending: {error}"),
            Err(_) => panic!("still open 5 s after log-out; got {rest:?}"),
        }
    }
    assert!(rest.contains("data: access"), "told to re-check before the end: {rest:?}");
}

/// One session keeps at most `per_holder` streams open; the next is refused with 429
/// until one closes.
#[sqlx::test]
async fn streams_are_capped_per_session(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app_with(pool.clone(), |config| config.live.per_holder = 2).await;
    let ann = app.logged_in("ann@acme.test").await;
    let url = format!("{}/p/acme/live", app.base);
    let mut first = ann.get(&url).send().await.unwrap();
    wait_for(&mut first, "ready").await;
    let mut second = ann.get(&url).send().await.unwrap();
    wait_for(&mut second, "ready").await;
    let third = ann.get(&url).send().await.unwrap();
    assert_eq!(third.status().as_u16(), 429);
    assert!(third.headers().contains_key("retry-after"));
    // Another session of the same person is a holder of its own.
    let other_tab = app.logged_in("ann@acme.test").await;
    assert_eq!(other_tab.get(&url).send().await.unwrap().status().as_u16(), 200);
    drop(first);
    // The server notices the closed connection when it next writes to it (a keep-alive or an
    // event); until then the place stays taken, so poll.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let again = ann.get(&url).send().await.unwrap();
        if again.status().as_u16() == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the closed stream's place was never given back");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The instance's LISTEN has a connection of its own. With a pool of one connection for
/// requests (`DATABASE_POOL_SIZE=1`), the instance is ready, people log in, a post
/// reaches an open page and pages load. When the listener took its connection from the
/// pool, that pool had none left, and every request waited for one until it timed out.
#[sqlx::test]
async fn a_pool_of_one_connection_serves_requests_while_listening(pool: PgPool) {
    let passwords = passwords();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let one = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(pool.connect_options().as_ref().clone())
        .await
        .unwrap();
    let app = spawn_app(one.clone()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let ready = app.client().get(format!("{}/readyz", app.base)).send().await.unwrap();
        if ready.status() == 200 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never ready: {}", ready.text().await.unwrap());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let watcher = app.logged_in("bo@acme.test").await;
    let mut events = watcher.get(format!("{}/p/acme/live", app.base)).send().await.unwrap();
    assert_eq!(events.status(), 200);
    wait_for(&mut events, "ready").await;
    let ann = app.logged_in("ann@acme.test").await;
    assert_eq!(app.post(&ann, "publish_post", &[("slug", "acme"), ("text", "One connection")]).await.status(), 200);
    wait_for(&mut events, "stream").await;
    let page = ann.get(format!("{}/p/acme/employees", app.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("Bo Berg"), "the Employees page lists Bo");

    // The listener's own connection goes with the pool, so the test's database can be
    // dropped.
    drop(events);
    one.close().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    loop {
        let listening: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE '%LISTEN%'",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        if listening == 0 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "the LISTEN connection outlived the app's pool");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
