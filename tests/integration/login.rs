use chrono::{Duration, Utc};
use intranet::auth::service::FAILURES_PER_LOGIN;
use intranet::auth::service::log_in;
use intranet::auth::session::{self, Origin};
use intranet::error::AppError;
use sqlx::PgPool;

use crate::app::*;

#[sqlx::test]
async fn wrong_password_and_unknown_login_get_the_same_answer(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let wrong = log_in(&pool, &passwords, None, "ann@acme.test", "wrong password", false, &Origin::at("10.0.0.1"), now).await;
    let unknown = log_in(&pool, &passwords, None, "nobody@acme.test", "wrong password", false, &Origin::at("10.0.0.1"), now).await;
    assert_eq!(wrong.err(), Some(AppError::BadCredentials));
    assert_eq!(unknown.err(), Some(AppError::BadCredentials));
    let ok = log_in(&pool, &passwords, None, " ANN@acme.test ", PASSWORD, false, &Origin::at("10.0.0.1"), now).await;
    assert_eq!(ok.map(|l| l.destination).ok().as_deref(), Some("/p/acme"));
}

#[sqlx::test]
async fn failed_logins_are_throttled_per_login_known_or_not(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    for login in ["ann@acme.test", "ghost@acme.test"] {
        for attempt in 0..FAILURES_PER_LOGIN.max {
            let client = format!("10.0.1.{attempt}");
            let result = log_in(&pool, &passwords, None, login, "wrong password", false, &Origin::at(&client), now).await;
            assert_eq!(result.err(), Some(AppError::BadCredentials), "attempt {attempt} for {login}");
        }
        // Locked now, even with the right password, and the answer is the same for both.
        let locked = log_in(&pool, &passwords, None, login, PASSWORD, false, &Origin::at("10.0.2.1"), now).await;
        assert!(matches!(locked, Err(AppError::TooManyAttempts { retry_after: 1..=900 })), "{login}: {locked:?}");
    }
    // The window passes.
    let later = now + Duration::minutes(16);
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("10.0.2.1"), later).await.is_ok());
}

/// Guesses sent at the same moment are counted before any password is checked, so no
/// more than the limit are ever verified.
#[sqlx::test]
async fn parallel_guesses_cannot_pass_the_limit(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let guesses = (0..30).map(|i| {
        let (pool, passwords) = (pool.clone(), passwords.clone());
        tokio::spawn(async move {
            log_in(&pool, &passwords, None, "ann@acme.test", "wrong password", false, &Origin::at(&format!("10.0.3.{i}")), now).await
        })
    });
    let answers: Vec<_> = futures::future::join_all(guesses).await.into_iter().map(|joined| joined.unwrap()).collect();
    let verified = answers.iter().filter(|a| matches!(a, Err(AppError::BadCredentials))).count();
    let refused = answers.iter().filter(|a| matches!(a, Err(AppError::TooManyAttempts { .. }))).count();
    assert_eq!((verified, refused), (FAILURES_PER_LOGIN.max as usize, 30 - FAILURES_PER_LOGIN.max as usize), "{answers:?}");
}

/// The same over HTTP, as an attacker sends them: 100 wrong passwords for one login at
/// the same moment. Exactly 10 are checked (401); the other 90 get 429 with Retry-After.
#[sqlx::test]
async fn parallel_guesses_over_http_get_429_past_the_limit(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let client = app.client();
    let url = format!("{}/api/login", app.base);
    let guesses = (0..100).map(|i| {
        let (client, url) = (client.clone(), url.clone());
        tokio::spawn(async move {
            let form = [("login", "ann@acme.test".to_string()), ("password", format!("wrong guess {i}"))];
            let response = client.post(url).form(&form).send().await.unwrap();
            (response.status().as_u16(), response.headers().contains_key("retry-after"))
        })
    });
    let answers: Vec<(u16, bool)> = futures::future::join_all(guesses).await.into_iter().map(|joined| joined.unwrap()).collect();
    let checked = answers.iter().filter(|(status, _)| *status == 401).count();
    let refused = answers.iter().filter(|(status, with_wait)| *status == 429 && *with_wait).count();
    assert_eq!((checked, refused), (10, 90), "{answers:?}");
}

/// A browser posting the log-in form by itself (before the page's WASM has loaded) is sent
/// back to the form's page with the refusal in the address, which the page shows beside
/// the form; the functions' own clients still get the refusal's status. A right password
/// goes on to the portal either way.
#[sqlx::test]
async fn a_refused_plain_form_post_goes_back_to_its_page_with_the_refusal(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let client = app.client();
    let url = format!("{}/api/login", app.base);
    let page = format!("{}/login?next=%2Fp%2Facme", app.base);
    let as_a_browser = |password: &'static str| {
        client
            .post(&url)
            .header("Accept", "text/html,application/xhtml+xml")
            .header("Referer", &page)
            .form(&[("login", "ann@acme.test"), ("password", password)])
            .send()
    };

    let refused = as_a_browser("wrong password").await.unwrap();
    assert_eq!(refused.status(), 302);
    let back_to = refused.headers()["location"].to_str().unwrap().to_string();
    assert!(back_to.starts_with(&page), "{back_to}");
    assert!(back_to.contains("__path=%2Fapi%2Flogin") && back_to.contains("__err="), "{back_to}");

    let from_the_wasm = app.post(&client, "login", &[("login", "ann@acme.test"), ("password", "wrong password")]).await;
    assert_eq!(from_the_wasm.status(), 401);

    let admitted = as_a_browser(PASSWORD).await.unwrap();
    assert_eq!(admitted.status(), 302);
    assert_eq!(admitted.headers()["location"], "/p/acme");
}

/// Per client address too: a client near its limit gets only the places left, however
/// many different logins it tries at once.
#[sqlx::test]
async fn parallel_guesses_from_one_client_stop_at_its_limit(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    sqlx::query("INSERT INTO throttle_events (bucket, key, at) SELECT 'login-client', '10.7.7.7', $1 FROM generate_series(1, 95)")
        .bind(now)
        .execute(&pool)
        .await
        .unwrap();
    let guesses = (0..20).map(|i| {
        let (pool, passwords) = (pool.clone(), passwords.clone());
        tokio::spawn(async move {
            log_in(&pool, &passwords, None, &format!("user{i}@x.test"), "wrong password", false, &Origin::at("10.7.7.7"), now).await
        })
    });
    let answers: Vec<_> = futures::future::join_all(guesses).await.into_iter().map(|joined| joined.unwrap()).collect();
    let checked = answers.iter().filter(|a| matches!(a, Err(AppError::BadCredentials))).count();
    assert_eq!(checked, 5, "{answers:?}");
}

/// Sign-ups and reset requests are counted per client before any hashing or e-mail.
#[sqlx::test]
async fn sign_ups_and_reset_requests_are_capped_per_client(pool: PgPool) {
    let app = spawn_app_with(pool.clone(), |config| config.signups_per_hour = 2).await;
    let client = app.client();
    for (i, refused) in [(0, false), (1, false), (2, true)] {
        let slug = format!("portal-{i}");
        let email = format!("owner{i}@acme.test");
        let form = [
            ("company_name", "Acme"),
            ("slug", slug.as_str()),
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("email", email.as_str()),
            ("password", "violet-harbor-42"),
        ];
        // A new browser each time: anonymous, from the same address.
        let answer = app.post(&app.client(), "sign_up", &form).await;
        assert_eq!(answer.status().as_u16() == 429, refused, "sign-up {i}: {}", answer.status());
    }
    let portals: i64 = sqlx::query_scalar("SELECT count(*) FROM portals").fetch_one(&pool).await.unwrap();
    assert_eq!(portals, 2);
    for i in 0..intranet::auth::service::RESETS_PER_CLIENT.max {
        let answer = app.post(&client, "forgot_password", &[("login", &format!("someone{i}@acme.test"))]).await;
        assert_eq!(answer.status().as_u16(), 200);
    }
    let refused = app.post(&client, "forgot_password", &[("login", "owner0@acme.test")]).await;
    assert_eq!(refused.status().as_u16(), 429);
    assert!(refused.headers().contains_key("retry-after"));
}

#[sqlx::test]
async fn failed_logins_are_throttled_per_client_address(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    // 100 failures spread over many logins from one address (inserted directly: each real
    // attempt costs an argon2 hash).
    sqlx::query("INSERT INTO throttle_events (bucket, key, at) SELECT 'login-client', '10.9.9.9', $1 FROM generate_series(1, 100) g")
        .bind(now)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let blocked = log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("10.9.9.9"), now).await;
    assert!(matches!(blocked, Err(AppError::TooManyAttempts { .. })), "{blocked:?}");
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("10.9.9.10"), now).await.is_ok());
}

#[sqlx::test]
async fn sessions_time_out_when_idle_and_at_the_absolute_limit(pool: PgPool) {
    let passwords = passwords();
    let t0 = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", t0).await;
    let short = session::create(&pool, account, false, &Origin::default(), t0).await.unwrap_or_default();
    assert!(session::find(&pool, &short, t0 + Duration::hours(7)).await.ok().flatten().is_some());
    // Idle for more than 8 hours after the last use.
    assert!(session::find(&pool, &short, t0 + Duration::hours(7) + Duration::hours(9)).await.ok().flatten().is_none());

    // "Remember me": used every day, it still ends at 30 days.
    let long = session::create(&pool, account, true, &Origin::default(), t0).await.unwrap_or_default();
    for day in 1..30 {
        assert!(session::find(&pool, &long, t0 + Duration::days(day)).await.ok().flatten().is_some(), "day {day}");
    }
    assert!(session::find(&pool, &long, t0 + Duration::days(30) + Duration::minutes(1)).await.ok().flatten().is_none());
}

#[sqlx::test]
async fn a_pending_member_is_told_to_wait(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    sqlx::query("UPDATE memberships SET status = 'pending_approval' WHERE account_id = $1")
        .bind(account)
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let result = log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("10.0.0.1"), now).await;
    assert_eq!(result.err(), Some(AppError::AwaitingApproval));
}

#[sqlx::test]
async fn http_login_rotates_the_session_and_logout_ends_it(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let client = app.client();

    let first = app.post(&client, "login", &[("login", "ann@acme.test"), ("password", PASSWORD)]).await;
    assert!(first.status().is_success() || first.status().is_redirection(), "{}", first.status());
    let cookie = first.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("sid=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let count = || async { sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap_or(-1) };
    assert_eq!(count().await, 1);

    // Logging in again from the same browser: a new id, and the old session is gone.
    let second = app.post(&client, "login", &[("login", "ann@acme.test"), ("password", PASSWORD)]).await;
    let cookie2 = second.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_ne!(cookie, cookie2);
    assert_eq!(count().await, 1);

    let me = app.post(&client, "current_account", &[]).await.text().await.unwrap_or_default();
    assert!(me.contains("ann@acme.test"), "{me}");

    app.post(&client, "logout", &[]).await;
    assert_eq!(count().await, 0);
    let me = app.post(&client, "current_account", &[]).await.text().await.unwrap_or_default();
    assert_eq!(me, "null");
}

#[sqlx::test]
async fn http_bad_logins_share_one_status_and_message(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let client = app.client();
    let wrong = error_of(app.post(&client, "login", &[("login", "ann@acme.test"), ("password", "nope-nope")]).await).await;
    let unknown = error_of(app.post(&client, "login", &[("login", "zed@acme.test"), ("password", "nope-nope")]).await).await;
    assert_eq!(wrong, (401, AppError::BadCredentials));
    assert_eq!(unknown, wrong);
}

#[sqlx::test]
async fn cross_site_requests_are_refused(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let plain = reqwest::Client::new();
    let form = [("login", "ann@acme.test"), ("password", PASSWORD)];
    let url = format!("{}/api/login", app.base);

    let evil = plain.post(&url).header("Origin", "http://evil.example").form(&form).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(error_of(evil).await, (403, AppError::CrossSite));
    let no_origin = plain.post(&url).form(&form).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(error_of(no_origin).await, (403, AppError::CrossSite));
    let evil_referer =
        plain.post(&url).header("Referer", "http://evil.example/page").form(&form).send().await.unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(evil_referer.status().as_u16(), 403);
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap_or(-1);
    assert_eq!(sessions, 0, "a refused request must not log anyone in");

    let same_site =
        plain.post(&url).header("Referer", format!("{}/login", app.base)).form(&form).send().await.unwrap_or_else(|e| panic!("{e}"));
    // Not merely "not refused": the log-in goes through (a 500 would not do either).
    let status = same_site.status();
    assert!(status.is_success() || status.is_redirection(), "same-site log-in: {status}");
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap_or(-1);
    assert_eq!(sessions, 1, "the same-site request logged in");
}

/// Off unless `DEV_OUTBOX=1`: without a mail server, the reset email waits, queued, and
/// nobody can read it through the app.
#[sqlx::test]
async fn the_dev_outbox_is_off_unless_asked_for(pool: PgPool) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = config(&base);
    config.dev_outbox = false;
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    intranet::auth::service::request_password_reset(&pool, &config, "ann@acme.test", Utc::now()).await.unwrap();
    let admin = caller(&pool, ann, "acme").await;
    let invite = intranet::invitations::service::InviteRequest { addresses: "bo@acme.test".into(), ..Default::default() };
    intranet::invitations::service::invite_by_email(&pool, &config, &admin, &invite, Utc::now()).await.unwrap();
    let deliverer = intranet::mail::worker::Deliverer::from_config(&config).unwrap();
    assert_eq!(intranet::mail::worker::deliver_due(&pool, &deliverer, Utc::now()).await.unwrap(), 0, "nothing to deliver them with");
    let statuses: Vec<String> = sqlx::query_scalar("SELECT status::text FROM outbox").fetch_all(&pool).await.unwrap();
    assert_eq!(statuses, ["queued", "queued"]);
    let invited = intranet::invitations::service::list(&pool, &config, &admin, Default::default(), "", 1, Utc::now()).await.unwrap().rows;
    assert_eq!(invited[0].delivery, "waiting for a mail server");
    close_leftovers_when_the_test_ends(&pool);
    drop(intranet::startup::start(listener, config, pool, false).unwrap().server);
    let client = reqwest::Client::new();
    let page = client.get(format!("{base}/dev/outbox")).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 404);
    let data = client.post(format!("{base}/api/dev_outbox")).header("Origin", &base).send().await.unwrap();
    assert_eq!(data.status().as_u16(), 404);
}

#[sqlx::test]
async fn the_dev_outbox_lists_messages_without_smtp(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    intranet::auth::service::request_password_reset(&pool, &config(&app.base), "nobody@acme.test", Utc::now()).await.unwrap();
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    intranet::auth::service::request_password_reset(&pool, &config(&app.base), "ann@acme.test", Utc::now()).await.unwrap();
    let page = reqwest::get(format!("{}/dev/outbox", app.base)).await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Reset your password"), "{html}");
    assert!(html.contains("/reset-password?token="));

    // Narrowed to one recipient, in any case; another recipient's list is empty.
    let ann = reqwest::get(format!("{}/dev/outbox?to=ANN%40acme.test", app.base)).await.unwrap().text().await.unwrap();
    assert!(ann.contains("Reset your password to ann@acme.test"), "{ann}");
    let bo = reqwest::get(format!("{}/dev/outbox?to=bo%40acme.test", app.base)).await.unwrap().text().await.unwrap();
    assert!(bo.contains("No messages to this recipient.") && !bo.contains("Reset your password"), "{bo}");
}

/// Over HTTPS (here: the configuration says so): HSTS on every answer, the session
/// cookie with the `__Host-` prefix, and answers with secrets never stored.
#[sqlx::test]
async fn https_deployments_get_strict_headers_and_a_host_only_cookie(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app_with(pool.clone(), |config| config.secure_cookies = true).await;
    let page = reqwest::get(format!("{}/login", app.base)).await.unwrap();
    assert_eq!(page.headers().get("strict-transport-security").and_then(|v| v.to_str().ok()), Some("max-age=31536000; includeSubDomains"));
    assert_eq!(page.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let logged_in = app.post(&app.client(), "login", &[("login", "ann@acme.test"), ("password", PASSWORD)]).await;
    assert_eq!(logged_in.headers().get("cache-control").and_then(|v| v.to_str().ok()), Some("no-store"));
    let cookie = logged_in.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("__Host-sid=") && cookie.contains("; Path=/;") && cookie.ends_with("; Secure"), "{cookie}");

    // Plain HTTP (a developer's machine): no HSTS, the plain cookie name.
    let plain = spawn_app(pool).await;
    let page = reqwest::get(format!("{}/login", plain.base)).await.unwrap();
    assert!(!page.headers().contains_key("strict-transport-security"));
    let logged_in = plain.post(&plain.client(), "login", &[("login", "ann@acme.test"), ("password", PASSWORD)]).await;
    let cookie = logged_in.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("sid="), "{cookie}");
}

/// Every page carries a Content-Security-Policy whose script nonce is new per response and
/// is the one on the page's own scripts; scripts without it (injected markup) cannot run.
#[sqlx::test]
async fn pages_allow_only_their_own_nonced_scripts(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let nonce_of = |policy: &str| policy.split("'nonce-").nth(1).and_then(|rest| rest.split('\'').next()).unwrap_or_default().to_string();
    let mut nonces = Vec::new();
    for path in ["/login", "/login", "/", "/forgot-password"] {
        let page = app.client().get(format!("{}{path}", app.base)).send().await.unwrap();
        let policy = page.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let script_src = policy.split(';').find(|d| d.trim().starts_with("script-src")).unwrap_or_default().to_string();
        assert!(!script_src.contains("'unsafe-inline'") && !script_src.contains("'unsafe-eval'"), "{path}: {policy}");
        assert!(policy.contains("object-src 'none'") && policy.contains("base-uri 'none'") && policy.contains("frame-ancestors 'none'"));
        let nonce = nonce_of(&policy);
        assert!(nonce.len() >= 16, "{path}: {policy}");
        let html = page.text().await.unwrap();
        let scripts = html.matches("<script").count();
        assert!(scripts >= 1, "{path}");
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{path}: every script has this response's nonce");
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "a new nonce per response");
    // Answers that are not pages may run and embed nothing.
    let json = app.post(&app.client(), "current_account", &[]).await;
    assert_eq!(
        json.headers().get("content-security-policy").and_then(|v| v.to_str().ok()),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
}

/// A reset request with these `X-Forwarded-For` lines, one header each; answers the status.
async fn reset_request_forwarded_for(app: &TestApp, lines: &[&str]) -> u16 {
    let mut request = reqwest::Client::new().post(format!("{}/api/forgot_password", app.base)).header("Origin", &app.base);
    for line in lines {
        request = request.header("X-Forwarded-For", *line);
    }
    request.form(&[("login", "someone@acme.test")]).send().await.unwrap().status().as_u16()
}

/// Behind a trusted proxy, clients are told apart by `X-Forwarded-For`; without the
/// trust, the header is ignored and cannot be used to dodge a per-client limit.
#[sqlx::test]
async fn per_client_limits_follow_x_forwarded_for_only_from_trusted_proxies(pool: PgPool) {
    let behind_proxy = spawn_app_with(pool.clone(), |config| config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()]).await;
    let limit = intranet::auth::service::RESETS_PER_CLIENT.max;
    for _ in 0..limit {
        assert_eq!(reset_request_forwarded_for(&behind_proxy, &["198.51.100.1"]).await, 200);
    }
    assert_eq!(reset_request_forwarded_for(&behind_proxy, &["198.51.100.1"]).await, 429, "that client is at its limit");
    assert_eq!(reset_request_forwarded_for(&behind_proxy, &["198.51.100.2"]).await, 200, "another client behind the same proxy is not");
    // A proxy that adds its own header line instead of appending to the client's: the
    // client's line cannot choose the address (here one that is at its limit, or a fresh one).
    assert_eq!(
        reset_request_forwarded_for(&behind_proxy, &["203.0.113.77", "198.51.100.1"]).await,
        429,
        "the proxy's line names the client"
    );
    assert_eq!(reset_request_forwarded_for(&behind_proxy, &["198.51.100.1", "198.51.100.3"]).await, 200);

    // No trusted proxy: every request is the peer's, whatever the header says.
    let direct = spawn_app(pool.clone()).await;
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM throttle_events WHERE key = '127.0.0.1'").fetch_one(&pool).await.unwrap();
    assert_eq!(reset_request_forwarded_for(&direct, &["203.0.113.50"]).await, 200);
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM throttle_events WHERE key = '127.0.0.1'").fetch_one(&pool).await.unwrap();
    assert_eq!(after, before + 1, "counted for the peer, not for the address in the header");
}

#[sqlx::test]
async fn times_are_shown_in_the_zone_the_browser_reported(pool: PgPool) {
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let client = app.client();
    let zone_of = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>("SELECT time_zone FROM accounts WHERE id = $1").bind(ann).fetch_one(&pool).await.unwrap()
    };
    assert_eq!(zone_of(pool.clone()).await, "UTC", "until a browser says otherwise");
    let form = [("login", "ann@acme.test"), ("password", PASSWORD), ("time_zone", "Europe/Berlin")];
    let logged_in = app.post(&client, "login", &form).await;
    assert!(logged_in.status().is_success() || logged_in.status().is_redirection(), "{:?}", logged_in.text().await);
    assert_eq!(zone_of(pool.clone()).await, "Europe/Berlin", "the log-in form carries the zone");

    let bogus = app.post(&client, "remember_time_zone", &[("time_zone", "Mars/Olympus")]).await;
    assert_eq!(error_of(bogus).await.0, 422);
    assert_eq!(zone_of(pool.clone()).await, "Europe/Berlin");
    let moved = app.post(&client, "remember_time_zone", &[("time_zone", "Asia/Tokyo")]).await;
    assert_eq!(moved.text().await.unwrap_or_default(), "\"Asia/Tokyo\"");
    let anonymous = app.post(&app.client(), "remember_time_zone", &[("time_zone", "Asia/Tokyo")]).await;
    assert_eq!(anonymous.status().as_u16(), 401);

    assert!(app.post(&client, "publish_post", &[("slug", "acme"), ("text", "Hello")]).await.status().is_success());
    let feed: serde_json::Value = json_of(app.post(&client, "stream", &[("slug", "acme")]).await).await;
    let at = &feed["items"][0]["at"];
    assert_eq!(at["text"], "just now", "{feed}");
    assert!(at["full"].as_str().unwrap_or_default().ends_with("(Asia/Tokyo)"), "{at}");
}

#[sqlx::test]
async fn a_portal_page_without_a_session_goes_to_log_in_and_back(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let anonymous = app.client();
    let page = anonymous.get(format!("{}/p/acme/employees?filter=invited", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);
    let location = page.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(location, "/login?next=%2Fp%2Facme%2Femployees%3Ffilter%3Dinvited");
    // An ended session counts as none.
    let stale = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let page = stale.get(format!("{}/p/acme", app.base)).header("Cookie", "sid=not-a-session").send().await.unwrap();
    assert_eq!(page.status().as_u16(), 303);

    let ann = app.logged_in("ann@acme.test").await;
    let form = [("login", "ann@acme.test"), ("password", PASSWORD), ("next", "/p/acme/employees?filter=invited")];
    let back = app.post(&app.client(), "login", &form).await;
    assert_eq!(back.headers().get("location").and_then(|v| v.to_str().ok()), Some("/p/acme/employees?filter=invited"));
    let page = ann.get(format!("{}/p/acme/employees", app.base)).send().await.unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let html = page.text().await.unwrap_or_default();
    assert!(html.contains("Log out"), "the frame shows Log out to someone logged in");
}
