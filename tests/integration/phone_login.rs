//! People who log in with a phone number: a forgotten password comes back through a code
//! sent by SMS, a login can become a number, and a number typed the national way works
//! wherever a number is typed (with PHONE_REGION).

use chrono::Utc;
use serde_json::Value;
use sqlx::PgPool;

use crate::app::*;

/// The code in the newest SMS to `number`.
async fn code_sent_to(pool: &PgPool, number: &str) -> String {
    let text: String = sqlx::query_scalar("SELECT body FROM outbox WHERE channel = 'sms' AND recipient = $1 ORDER BY id DESC LIMIT 1")
        .bind(number)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("no SMS to {number}: {e}"));
    text.chars().take(6).collect()
}

async fn sms_count(pool: &PgPool, number: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE channel = 'sms' AND recipient = $1").bind(number).fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn a_phone_login_resets_its_password_with_a_code_by_sms(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "+14155550142", ("Sam", "Short"), "active", "employee").await;
    let app = spawn_app_with(pool.clone(), |config| config.phone_region = Some("US".into())).await;
    let sam = app.logged_in("(415) 555-0142").await;
    assert_eq!(app.post(&sam, "portal_home", &[("slug", "acme")]).await.status(), 200, "a national number logs in with PHONE_REGION");

    // The answer is the same for a number with an account and one without.
    let known: Value = json_of(app.post(&app.client(), "forgot_password", &[("login", "415 555 0142")]).await).await;
    let unknown: Value = json_of(app.post(&app.client(), "forgot_password", &[("login", "+1 415 555 0199")]).await).await;
    assert_eq!((&known["message"], &known["by_code"]), (&unknown["message"], &unknown["by_code"]));
    assert_eq!((known["by_code"].as_bool(), known["login"].as_str()), (Some(true), Some("+14155550142")));
    assert_eq!(sms_count(&pool, "+14155550199").await, 0);
    let emails: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE channel = 'email' AND recipient LIKE '+%'").fetch_one(&pool).await.unwrap();
    assert_eq!(emails, 0, "no e-mail is written to a phone number");
    let code = code_sent_to(&pool, "+14155550142").await;
    assert!(code.chars().all(|c| c.is_ascii_digit()) && code.len() == 6, "{code}");
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM sms_codes WHERE code_hash = sha256(convert_to($1, 'UTF8'))")
        .bind(&code)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "the code is not stored as its plain hash either");

    let reset = |login: &'static str, code: String, password: &'static str| {
        let app = &app;
        async move {
            app.post(&app.client(), "reset_password_with_code", &[("login", login), ("code", code.as_str()), ("password", password)]).await
        }
    };
    // An unknown number and a wrong code get the same answer, beside the code field.
    let (status, unknown) = error_of(reset("+14155550199", code.clone(), "green-meadow-19").await).await;
    assert_eq!((status, unknown.for_field("code").is_some()), (422, true));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (_, error) = error_of(reset("+14155550142", wrong.into(), "green-meadow-19").await).await;
        assert_eq!(error, unknown);
    }
    let (_, error) = error_of(reset("+14155550142", code.clone(), "green-meadow-19").await).await;
    assert_eq!(error, unknown, "five wrong tries end the code");

    json_of::<Value>(app.post(&app.client(), "forgot_password", &[("login", "+14155550142")]).await).await;
    let code = code_sent_to(&pool, "+14155550142").await;
    let response = reset("+1 (415) 555-0142", code.clone(), "green-meadow-19").await;
    assert!(response.status().is_success() || response.status().is_redirection(), "{}", response.status());
    assert_eq!(app.post(&sam, "portal_home", &[("slug", "acme")]).await.status(), 401, "every session ended");
    let (_, error) = error_of(reset("+14155550142", code, "other-meadow-19").await).await;
    assert!(error.for_field("code").is_some(), "a code works once");
    let response = app.post(&app.client(), "login", &[("login", "+14155550142"), ("password", "green-meadow-19")]).await;
    assert!(response.status().is_success() || response.status().is_redirection());
}

#[sqlx::test]
async fn codes_are_capped_per_hour_and_guesses_are_throttled(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    add_member(&pool, "acme", "+14155550142", ("Sam", "Short"), "active", "employee").await;
    let config = config("http://127.0.0.1:9");
    let now = Utc::now();
    for _ in 0..8 {
        intranet::auth::service::request_password_reset(&pool, &config, "+14155550142", now).await.unwrap();
    }
    assert_eq!(sms_count(&pool, "+14155550142").await, 5, "five codes an hour at most");
    // Parallel guesses from one client: the throttle counts them before any is checked.
    let guesses = (0..30).map(|i| {
        let (pool, config) = (pool.clone(), config.clone());
        tokio::spawn(async move {
            intranet::auth::service::reset_password_with_code(
                &pool,
                &passwords(),
                &config,
                "+14155550142",
                &format!("{:06}", i),
                "green-meadow-19",
                "10.1.1.1",
                Utc::now(),
            )
            .await
        })
    });
    let results = futures::future::join_all(guesses).await;
    let throttled = results.iter().filter(|r| matches!(r, Ok(Err(intranet::error::AppError::TooManyAttempts { .. })))).count();
    assert!(throttled >= 20, "only 10 guesses per number in 15 minutes: {throttled} refused");
}

#[sqlx::test]
async fn a_login_becomes_a_phone_number_confirmed_by_a_code(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", Utc::now()).await;
    let app = spawn_app_with(pool.clone(), |config| config.phone_region = Some("US".into())).await;
    let ann = app.logged_in("ann@acme.test").await;
    let bad = app.post(&ann, "change_login", &[("current_password", PASSWORD), ("new_login", "call me")]).await;
    assert!(error_of(bad).await.1.for_field("new_login").is_some());
    let answer: Value =
        json_of(app.post(&ann, "change_login", &[("current_password", PASSWORD), ("new_login", "(415) 555-0150")]).await).await;
    assert_eq!(answer["by_code"], true, "{answer}");
    assert!(answer["message"].as_str().unwrap_or_default().contains("+14155550150"));
    let notice: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = 'ann@acme.test' AND subject = 'Your login is about to change'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(notice, 1, "the old address hears of it");
    let code = code_sent_to(&pool, "+14155550150").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, error) = error_of(app.post(&ann, "confirm_login_code", &[("code", wrong)]).await).await;
    assert_eq!((status, error.for_field("code").is_some()), (422, true));
    let done: String = json_of(app.post(&ann, "confirm_login_code", &[("code", code.as_str())]).await).await;
    assert_eq!(done, "Your login is now +14155550150.");
    let login: String = sqlx::query_scalar("SELECT login FROM accounts WHERE first_name = 'Ann'").fetch_one(&pool).await.unwrap();
    assert_eq!(login, "+14155550150");
    let response = app.post(&app.client(), "login", &[("login", "415 555 0150"), ("password", PASSWORD)]).await;
    assert!(response.status().is_success() || response.status().is_redirection());
    // Someone else cannot take the number: the same answer, a notice to the number, no code.
    add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let bo = app.logged_in("bo@acme.test").await;
    let answer: Value =
        json_of(app.post(&bo, "change_login", &[("current_password", PASSWORD), ("new_login", "+14155550150")]).await).await;
    assert_eq!(answer["by_code"], true);
    let last: String = sqlx::query_scalar("SELECT subject FROM outbox WHERE recipient = '+14155550150' ORDER BY id DESC LIMIT 1")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(last, "Login change not possible");
}
