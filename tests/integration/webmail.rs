//! Webmail against the real IMAP server scripts/test starts (dovecot on loopback): a
//! mailbox is saved only after a real log-in, failures leave nothing behind, and the
//! password never comes back out of any server function.

use std::time::{Duration, Instant};

use chrono::Utc;
use intranet::profile::ProfileEditor;
use sqlx::PgPool;

use crate::app::*;

async fn acme(pool: &PgPool) -> (i64, i64) {
    let passwords = passwords();
    let ann = portal_with_admin(pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    let bo = add_member(pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    (ann, bo)
}

fn connect_form<'a>(imap: &'a TestImap, port: &'a str, security: &'a str, password: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", "acme"),
        ("address", "bo.mail@example.test"),
        ("imap_host", &imap.host),
        ("imap_port", port),
        ("security", security),
        ("username", &imap.user),
        ("password", password),
    ]
}

const COULD_NOT_CONNECT: &str = "Could not connect to a mail server at";

async fn mailbox_rows(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM mailboxes").fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn a_mailbox_connects_over_tls_and_starttls_and_disconnects(pool: PgPool) {
    let (_, bo) = acme(&pool).await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    for (port, security) in [(&imap.tls_port, "tls"), (&imap.starttls_port, "starttls")] {
        let response = app.post(&owner, "mailbox_connect", &connect_form(&imap, port, security, &imap.password)).await;
        assert_eq!(response.status(), 200, "{security}: {}", response.text().await.unwrap());
        let messages: u32 = json_of(response).await;
        assert_eq!(messages, 1, "{security}: the INBOX holds the test message");
        assert_eq!(mailbox_rows(&pool).await, 1, "connecting again replaces the mailbox");
    }
    // The saved (sealed) password works: the INBOX check logs in with it.
    let messages: u32 = json_of(app.post(&owner, "mailbox_inbox", &[("slug", "acme")]).await).await;
    assert_eq!(messages, 1);
    let editor: ProfileEditor =
        json_of(app.post(&owner, "profile_editor", &[("slug", "acme"), ("account_id", &bo.to_string())]).await).await;
    assert_eq!(editor.mailbox_email.as_deref(), Some("bo.mail@example.test"));
    assert_eq!(editor.login, "bo@acme.test", "the mailbox address is not the login");

    assert_eq!(app.post(&owner, "mailbox_disconnect", &[("slug", "acme")]).await.status(), 200);
    assert_eq!(mailbox_rows(&pool).await, 0);
    let editor: ProfileEditor =
        json_of(app.post(&owner, "profile_editor", &[("slug", "acme"), ("account_id", &bo.to_string())]).await).await;
    assert_eq!(editor.mailbox_email, None);
}

#[sqlx::test]
async fn failed_checks_say_why_beside_the_field_and_save_nothing(pool: PgPool) {
    acme(&pool).await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    let closed_port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port().to_string()
    };
    let cases = [
        (connect_form(&imap, &imap.tls_port, "tls", "wrong-password"), "password", "refused this user name or password"),
        (connect_form(&imap, &imap.starttls_port, "starttls", "wrong-password"), "password", "refused this user name or password"),
        // A closed port, TLS spoken to the plain port and STARTTLS to the TLS port all read
        // the same: the answer must not tell a scanner what it found.
        (connect_form(&imap, &closed_port, "tls", &imap.password), "imap_host", COULD_NOT_CONNECT),
        (connect_form(&imap, &imap.starttls_port, "tls", &imap.password), "imap_host", COULD_NOT_CONNECT),
        (connect_form(&imap, &imap.tls_port, "starttls", &imap.password), "imap_host", COULD_NOT_CONNECT),
    ];
    for (form, field, words) in cases {
        let (status, error) = error_of(app.post(&owner, "mailbox_connect", &form).await).await;
        assert_eq!(status, 422, "{form:?}");
        let message = error.for_field(field).unwrap_or_else(|| panic!("{form:?}: wanted an error on {field}, got {error:?}"));
        assert!(message.contains(words), "{form:?}: {message}");
    }
    assert_eq!(mailbox_rows(&pool).await, 0, "no failed check left a row");
}

#[sqlx::test]
async fn a_server_we_do_not_trust_is_refused(pool: PgPool) {
    acme(&pool).await;
    let imap = test_imap();
    // This app trusts only the public roots, not the test CA.
    let app = spawn_app_with(pool.clone(), |config| {
        config.imap_allow_private = true;
        config.imap_ports = None;
    })
    .await;
    let owner = app.logged_in("bo@acme.test").await;
    for (port, security) in [(&imap.tls_port, "tls"), (&imap.starttls_port, "starttls")] {
        let (status, error) =
            error_of(app.post(&owner, "mailbox_connect", &connect_form(&imap, port, security, &imap.password)).await).await;
        assert_eq!(status, 422);
        let message = error.for_field("imap_host").unwrap_or_default();
        assert!(message.contains(COULD_NOT_CONNECT), "{security}: {error:?}");
    }
    assert_eq!(mailbox_rows(&pool).await, 0);
}

#[sqlx::test]
async fn a_silent_server_gets_an_answer_within_ten_seconds(pool: PgPool) {
    acme(&pool).await;
    let imap = test_imap();
    // Accepts connections and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port().to_string();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    let timed = |security: &'static str| {
        let form = connect_form(&imap, &port, security, "x");
        let (app, owner) = (&app, &owner);
        async move {
            let started = Instant::now();
            let answer = error_of(app.post(owner, "mailbox_connect", &form).await).await;
            (answer, started.elapsed())
        }
    };
    let (((tls_status, tls_error), tls_waited), ((plain_status, plain_error), plain_waited)) =
        tokio::join!(timed("tls"), timed("starttls"));
    // TLS: the handshake never completes, and the deadline answers.
    assert_eq!(tls_status, 422);
    assert!(tls_error.for_field("imap_host").is_some_and(|m| m.contains(COULD_NOT_CONNECT)), "{tls_error:?}");
    assert!(tls_waited < Duration::from_millis(10_500), "answered after {tls_waited:?}");
    // STARTTLS: no greeting comes; the answer is the same generic one.
    assert_eq!(plain_status, 422);
    assert!(plain_error.for_field("imap_host").is_some_and(|m| m.contains(COULD_NOT_CONNECT)), "{plain_error:?}");
    assert!(plain_waited < Duration::from_millis(10_500), "answered after {plain_waited:?}");
    assert_eq!(mailbox_rows(&pool).await, 0);
}

#[sqlx::test]
async fn internal_addresses_and_other_ports_are_refused_without_connecting(pool: PgPool) {
    acme(&pool).await;
    // A listener on loopback that counts who connects.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    let connections = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while listener.accept().await.is_ok() {
            counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        }
    });
    // Any port, but the default address rule (IMAP_ALLOW_PRIVATE unset).
    let app = spawn_app_with(pool.clone(), |config| config.imap_ports = None).await;
    let owner = app.logged_in("bo@acme.test").await;
    for host in ["127.0.0.1", "localhost", "::1", "::ffff:127.0.0.1", "10.0.0.1", "169.254.169.254", "192.168.1.1"] {
        let form = [
            ("slug", "acme"),
            ("address", "bo.mail@example.test"),
            ("imap_host", host),
            ("imap_port", &port),
            ("security", "tls"),
            ("username", "bo"),
            ("password", "secret"),
        ];
        let (status, error) = error_of(app.post(&owner, "mailbox_connect", &form).await).await;
        assert_eq!(status, 422, "{host}");
        let message = error.for_field("imap_host").unwrap_or_default();
        assert!(message.contains(COULD_NOT_CONNECT), "{host}: {error:?}");
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing reached the internal listener");

    // The default ports: 143 and 993 only, said beside the port.
    let app = spawn_app(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    let form = [
        ("slug", "acme"),
        ("address", "bo.mail@example.test"),
        ("imap_host", "imap.example.com"),
        ("imap_port", "22"),
        ("security", "tls"),
        ("username", "bo"),
        ("password", "secret"),
    ];
    let (status, error) = error_of(app.post(&owner, "mailbox_connect", &form).await).await;
    assert_eq!(status, 422);
    assert!(error.for_field("imap_port").is_some_and(|m| m.contains("port 143 or 993")), "{error:?}");
    assert_eq!(mailbox_rows(&pool).await, 0);
}

#[sqlx::test]
async fn repeated_failures_are_throttled(pool: PgPool) {
    acme(&pool).await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    let form = connect_form(&imap, &imap.tls_port, "tls", "guess");
    for _ in 0..intranet::webmail::service::FAILED_CHECKS.max {
        assert_eq!(app.post(&owner, "mailbox_connect", &form).await.status(), 422);
    }
    let right = connect_form(&imap, &imap.tls_port, "tls", &imap.password);
    let refused = app.post(&owner, "mailbox_connect", &right).await;
    assert_eq!(refused.status(), 429, "even the right password waits");
    let retry_after: u32 = refused.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!((1..=900).contains(&retry_after), "Retry-After: {retry_after}");
    assert_eq!(mailbox_rows(&pool).await, 0);
}

#[sqlx::test]
async fn the_mailbox_password_never_leaves_the_server(pool: PgPool) {
    let (ann, bo) = acme(&pool).await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let owner = app.logged_in("bo@acme.test").await;
    let response = app.post(&owner, "mailbox_connect", &connect_form(&imap, &imap.tls_port, "tls", &imap.password)).await;
    assert_eq!(response.status(), 200);

    let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed_password FROM mailboxes").fetch_one(&pool).await.unwrap();
    assert!(!sealed.windows(imap.password.len()).any(|w| w == imap.password.as_bytes()), "stored sealed, not in plain text");

    let admin = app.logged_in("ann@acme.test").await;
    let bo_id = bo.to_string();
    let ann_id = ann.to_string();
    let reads: [(&str, Vec<(&str, &str)>); 6] = [
        ("mailbox", vec![("slug", "acme")]),
        ("mailbox_inbox", vec![("slug", "acme")]),
        ("person", vec![("slug", "acme"), ("account_id", &bo_id)]),
        ("profile_editor", vec![("slug", "acme"), ("account_id", &bo_id)]),
        ("employees", vec![("slug", "acme"), ("filter", "employees"), ("search", "")]),
        ("person", vec![("slug", "acme"), ("account_id", &ann_id)]),
    ];
    for client in [&owner, &admin] {
        for (endpoint, form) in &reads {
            let body = app.post(client, endpoint, form).await.text().await.unwrap();
            assert!(!body.contains(&imap.password), "{endpoint} returned the password: {body}");
        }
        let page = client.get(format!("{}/p/acme/mail", app.base)).send().await.unwrap().text().await.unwrap();
        assert!(!page.contains(&imap.password));
    }
    // The admin sees Bo's mailbox address, and their own mailbox (none), never Bo's settings.
    let editor: ProfileEditor = json_of(app.post(&admin, "profile_editor", &[("slug", "acme"), ("account_id", &bo_id)]).await).await;
    assert_eq!(editor.mailbox_email.as_deref(), Some("bo.mail@example.test"));
    let own: Option<intranet::webmail::Mailbox> = json_of(app.post(&admin, "mailbox", &[("slug", "acme")]).await).await;
    assert_eq!(own, None);
}

#[sqlx::test]
async fn an_administrator_manages_employees_mailboxes(pool: PgPool) {
    let (_, bo) = acme(&pool).await;
    add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;
    let employee = app.logged_in("cy@acme.test").await;
    let for_employee = |login: &'static str| {
        let mut form = connect_form(&imap, &imap.tls_port, "tls", &imap.password);
        form.push(("employee", login));
        form
    };

    // Only administrators connect for someone else, and only for an active employee.
    let (status, _) = error_of(app.post(&employee, "mailbox_connect", &for_employee("bo@acme.test")).await).await;
    assert_eq!(status, 403);
    let (_, error) = error_of(app.post(&admin, "mailbox_connect", &for_employee("nobody@acme.test")).await).await;
    assert!(error.for_field("employee").is_some(), "{error:?}");
    assert_eq!(mailbox_rows(&pool).await, 0);
    let messages: u32 = json_of(app.post(&admin, "mailbox_connect", &for_employee("bo@acme.test")).await).await;
    assert_eq!(messages, 1, "a real IMAP log-in");
    let owner: i64 = sqlx::query_scalar("SELECT account_id FROM mailboxes").fetch_one(&pool).await.unwrap();
    assert_eq!(owner, bo, "the mailbox is Bo's");

    let rows: Vec<intranet::webmail::MailboxAccount> = json_of(app.post(&admin, "mailbox_accounts", &[("slug", "acme")]).await).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].name.as_str(), rows[0].address.as_str()), ("Bo Berg", "bo.mail@example.test"));
    assert!(rows[0].server.ends_with("(SSL/TLS)"), "{}", rows[0].server);
    assert_eq!(rows[0].last_checked.as_ref().map(|m| m.text.as_str()), Some("just now"));
    let body = app.post(&admin, "mailbox_accounts", &[("slug", "acme")]).await.text().await.unwrap();
    assert!(!body.contains(&imap.password), "no password ever comes back");
    assert_eq!(error_of(app.post(&employee, "mailbox_accounts", &[("slug", "acme")]).await).await.0, 403);

    // Bo's profile shows it as "E-Mail for mailbox" to Bo and admins only.
    let bo_client = app.logged_in("bo@acme.test").await;
    let seen_by = |client: reqwest::Client| {
        let app = &app;
        async move {
            let profile: serde_json::Value =
                json_of(app.post(&client, "person", &[("slug", "acme"), ("account_id", &bo.to_string())]).await).await;
            profile["mailbox_email"].as_str().map(str::to_string)
        }
    };
    assert_eq!(seen_by(bo_client.clone()).await.as_deref(), Some("bo.mail@example.test"));
    assert_eq!(seen_by(admin.clone()).await.as_deref(), Some("bo.mail@example.test"));
    assert_eq!(seen_by(employee.clone()).await, None);

    // An employee cannot disconnect someone else's; an administrator can, and it is audited.
    let bo_id = bo.to_string();
    assert_eq!(error_of(app.post(&employee, "mailbox_disconnect", &[("slug", "acme"), ("account_id", &bo_id)]).await).await.0, 403);
    assert_eq!(mailbox_rows(&pool).await, 1);
    assert_eq!(app.post(&admin, "mailbox_disconnect", &[("slug", "acme"), ("account_id", &bo_id)]).await.status(), 200);
    assert_eq!(mailbox_rows(&pool).await, 0);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE '%mailbox' ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(actions, ["connected a mailbox", "disconnected a mailbox"]);
}

/// An administrator who loses the role while the mail server is being checked saves no
/// one's mailbox: the role read when the request began is checked again, under the
/// portal's lock, when the mailbox is written. The test holds that lock, so the request
/// stops right before the write; the demotion lands meanwhile.
#[sqlx::test]
async fn an_administrator_demoted_during_the_check_saves_no_ones_mailbox(pool: PgPool) {
    let (ann, _) = acme(&pool).await;
    let imap = test_imap();
    let app = spawn_app_trusting_test_imap(pool.clone()).await;
    let admin = app.logged_in("ann@acme.test").await;

    let mut holder = pool.begin().await.unwrap();
    let portal_id: i64 = sqlx::query_scalar("SELECT id FROM portals WHERE slug = 'acme'").fetch_one(&mut *holder).await.unwrap();
    intranet::access::lock_portal(&mut holder, portal_id).await.unwrap();
    let mut form: Vec<(String, String)> =
        connect_form(&imap, &imap.tls_port, "tls", &imap.password).into_iter().map(|(k, v)| (k.into(), v.into())).collect();
    form.push(("employee".into(), "bo@acme.test".into()));
    let url = format!("{}/api/mailbox_connect", app.base);
    let sent = tokio::spawn(async move { admin.post(url).form(&form).send().await.unwrap() });

    // The request has logged in to the mail server and waits for the portal's lock.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let waiting: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
                .fetch_one(&pool)
                .await
                .unwrap();
        if waiting > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the request never reached the portal's lock");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sqlx::query("UPDATE memberships SET role = 'employee' WHERE account_id = $1").bind(ann).execute(&pool).await.unwrap();
    holder.commit().await.unwrap();

    let refused = error_of(sent.await.unwrap()).await;
    assert_eq!(refused.0, 403, "{refused:?}");
    assert_eq!(mailbox_rows(&pool).await, 0, "nothing was saved");
}
