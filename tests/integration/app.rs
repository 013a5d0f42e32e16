//! Helpers: build the services a test needs, start the whole app over HTTP, make accounts.

use chrono::{DateTime, Utc};
use intranet::crypto::passwords::Passwords;
use intranet::portals::service::{SignUpForm, sign_up};
use intranet::server::config::Config;
use intranet::startup;
use sqlx::PgPool;

pub const PASSWORD: &str = "violet-harbor-42";

pub fn passwords() -> Passwords {
    Passwords::start(2).unwrap_or_else(|e| panic!("{e}"))
}

/// The outbox worker's transports for real servers only (no dev Outbox): a message with
/// no transport stays queued.
pub fn deliverer_to(smtp_url: Option<String>, sms: Option<intranet::server::config::SmsSettings>) -> intranet::mail::worker::Deliverer {
    let mut config = config("http://127.0.0.1:9");
    config.dev_outbox = false;
    config.smtp_url = smtp_url;
    config.sms = sms;
    config.mail_from = "Intranet <no-reply@intranet.test>".into();
    intranet::mail::worker::Deliverer::from_config(&config).unwrap_or_else(|e| panic!("{e}"))
}

pub fn config(origin: &str) -> Config {
    Config::local("", origin)
}

/// A loopback port nothing listens on now (for servers a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or_else(|e| panic!("port: {e}"))
}

/// The URL of the test's own database (for processes started by the test).
pub fn database_url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let database = pool.connect_options().get_database().expect("a database name").to_string();
    let (head, query) = base.split_once('?').map(|(h, q)| (h.to_string(), format!("?{q}"))).unwrap_or((base.clone(), String::new()));
    let server = head.rsplit_once('/').map(|(server, _)| server.to_string()).unwrap_or(head);
    format!("{server}/{database}{query}")
}

/// Creates a portal and its admin account; returns the account id.
pub async fn portal_with_admin(pool: &PgPool, passwords: &Passwords, slug: &str, email: &str, now: DateTime<Utc>) -> i64 {
    let form = SignUpForm {
        company_name: format!("{slug} Ltd"),
        slug: slug.into(),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        email: Some(email.into()),
        password: Some(PASSWORD.into()),
    };
    let account_id = sign_up(pool, passwords, &config("http://127.0.0.1:9"), &form, None, now)
        .await
        .map(|done| done.account_id)
        .unwrap_or_else(|e| panic!("sign-up failed: {e:?}"));
    // The admin opens the confirmation link, as every new admin must before inviting.
    let token = token_from_outbox(pool, &email.to_lowercase(), "/confirm-email").await;
    intranet::auth::email_confirmation::confirm(pool, &token, now).await.unwrap();
    // Set-up, not the test: tests that count or deliver messages start from an empty outbox.
    sqlx::query("DELETE FROM outbox WHERE subject = 'Confirm your e-mail address'").execute(pool).await.unwrap();
    account_id
}

/// The token in the newest outbox link to `path` sent to `recipient`.
pub async fn token_from_outbox(pool: &PgPool, recipient: &str, path: &str) -> String {
    let body: String =
        sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = $1 AND body LIKE '%' || $2 || '%' ORDER BY id DESC LIMIT 1")
            .bind(recipient)
            .bind(path)
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("no message to {recipient} with {path}: {e}"));
    let start = body.find("token=").map(|i| i + "token=".len()).unwrap_or_else(|| panic!("no token in {body}"));
    body[start..].split_whitespace().next().unwrap_or_default().to_string()
}

pub struct TestApp {
    pub base: String,
}

impl TestApp {
    /// A browser-like client: keeps cookies and sends this site's Origin.
    pub fn client(&self) -> reqwest::Client {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::ORIGIN, self.base.parse().unwrap_or_else(|_| panic!("origin")));
        reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|e| panic!("client: {e}"))
    }

    pub async fn post(&self, client: &reqwest::Client, function: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client.post(format!("{}/api/{function}", self.base)).form(form).send().await.unwrap_or_else(|e| panic!("request failed: {e}"))
    }
}

/// Starts the whole app on a free loopback port against the test's database.
pub async fn spawn_app(pool: PgPool) -> TestApp {
    spawn_app_with(pool, |_| {}).await
}

/// Like [`spawn_app`], with a change to the configuration first.
pub async fn spawn_app_with(pool: PgPool, adjust: impl FnOnce(&mut Config)) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let base = format!("http://127.0.0.1:{port}");
    let mut config = config(&base);
    adjust(&mut config);
    close_leftovers_when_the_test_ends(&pool);
    let started = startup::start(listener, config, pool, false).unwrap_or_else(|e| panic!("start: {e}"));
    // The server task runs until the test ends.
    drop(started.server);
    TestApp { base }
}

/// When a test ends, `sqlx::test` closes its pool and drops its database. A connection the
/// app was handing back to the pool just then can miss `Pool::close` (it is pinged on the
/// way back, and lands idle in the closed pool, still connected); Postgres then waits 5 s
/// for that session before it refuses the drop. So, once the pool is closed, close it again
/// until no connection is left.
pub fn close_leftovers_when_the_test_ends(pool: &PgPool) {
    let pool = pool.clone();
    tokio::spawn(async move {
        pool.close_event().await;
        for _ in 0..100 {
            if pool.size() == 0 {
                break;
            }
            pool.close().await;
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    });
}

/// Decodes the AppError a server function answered with.
pub async fn error_of(response: reqwest::Response) -> (u16, intranet::error::AppError) {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let error = serde_json::from_str(&body).unwrap_or_else(|e| panic!("not an AppError ({e}): {body}"));
    (status, error)
}

/// Adds a person to a portal with the given status and role; returns the account id.
/// The password is [`PASSWORD`], hashed once per process (hashing is deliberately slow).
pub async fn add_member(pool: &PgPool, slug: &str, email: &str, name: (&str, &str), status: &str, role: &str) -> i64 {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = HASH.get_or_init(|| intranet::crypto::passwords::hash_now(PASSWORD).unwrap_or_else(|e| panic!("hash: {e}")));
    let account_id: i64 = sqlx::query_scalar(
        "INSERT INTO accounts (login, password_hash, first_name, last_name) VALUES ($1, $2, $3, $4)
         ON CONFLICT (login) DO UPDATE SET login = EXCLUDED.login RETURNING id",
    )
    .bind(email)
    .bind(hash)
    .bind(name.0)
    .bind(name.1)
    .fetch_one(pool)
    .await
    .unwrap_or_else(|e| panic!("account: {e}"));
    sqlx::query(
        "INSERT INTO memberships (portal_id, account_id, status, role, contact_email)
         SELECT id, $2, $3::membership_status, $4::member_role, $5 FROM portals WHERE slug = $1",
    )
    .bind(slug)
    .bind(account_id)
    .bind(status)
    .bind(role)
    .bind(email)
    .execute(pool)
    .await
    .unwrap_or_else(|e| panic!("membership: {e}"));
    account_id
}

/// The caller object a portal's server functions build, for calling services directly.
pub async fn caller(pool: &PgPool, account_id: i64, slug: &str) -> intranet::access::PortalCaller {
    intranet::access::portal_caller(pool, account_id, slug).await.unwrap_or_else(|e| panic!("caller: {e:?}"))
}

impl TestApp {
    /// A client logged in as `login` (password [`PASSWORD`]).
    pub async fn logged_in(&self, login: &str) -> reqwest::Client {
        let client = self.client();
        let response = self.post(&client, "login", &[("login", login), ("password", PASSWORD)]).await;
        assert!(response.status().is_redirection() || response.status().is_success(), "log-in of {login}: {}", response.status());
        client
    }
}

/// The real IMAP server (dovecot) scripts/test starts on loopback.
pub struct TestImap {
    pub host: String,
    pub starttls_port: String,
    pub tls_port: String,
    pub user: String,
    pub password: String,
    pub ca: std::path::PathBuf,
}

pub fn test_imap() -> TestImap {
    let var = |name: &str| {
        std::env::var(name)
            .unwrap_or_else(|_| panic!("{name} is not set: run the tests with scripts/test, which starts the test IMAP server"))
    };
    TestImap {
        host: var("IMAP_TEST_HOST"),
        starttls_port: var("IMAP_TEST_STARTTLS_PORT"),
        tls_port: var("IMAP_TEST_TLS_PORT"),
        user: var("IMAP_TEST_USER"),
        password: var("IMAP_TEST_PASSWORD"),
        ca: var("IMAP_TEST_CA").into(),
    }
}

/// An app that trusts the test IMAP server's CA.
pub async fn spawn_app_trusting_test_imap(pool: PgPool) -> TestApp {
    let ca = test_imap().ca;
    spawn_app_with(pool, move |config| {
        config.imap_ca_file = Some(ca);
        // The test server listens on loopback, on ports of its own.
        config.imap_allow_private = true;
        config.imap_ports = None;
    })
    .await
}

/// Decodes a server function's successful answer.
pub async fn json_of<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> T {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{status}: {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("unexpected answer ({e}): {body}"))
}
