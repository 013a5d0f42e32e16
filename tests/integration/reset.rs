use chrono::{Duration, Utc};
use intranet::auth::service::{link_is_usable, log_in, request_password_reset, reset_password};
use intranet::auth::session::{self, Origin};
use intranet::error::AppError;
use sqlx::PgPool;

use crate::app::*;

const ORIGIN: &str = "http://127.0.0.1:3000";

#[sqlx::test]
async fn a_reset_link_works_once_and_ends_every_session(pool: PgPool) {
    let passwords = passwords();
    let config = config(ORIGIN);
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let laptop = session::create(&pool, account, true, &Origin::default(), now).await.unwrap();
    let phone = session::create(&pool, account, false, &Origin::default(), now).await.unwrap();

    request_password_reset(&pool, &config, "Ann@Acme.test", now).await.unwrap();
    let token = token_from_outbox(&pool, "ann@acme.test", "/reset-password").await;
    assert!(link_is_usable(&pool, &token, "password_reset", now).await.unwrap());
    // Only the hash is stored.
    let stored: i64 =
        sqlx::query_scalar("SELECT count(*) FROM account_tokens WHERE convert_from(token_hash, 'SQL_ASCII') LIKE '%' || $1 || '%'")
            .bind(&token[..10])
            .fetch_one(&pool)
            .await
            .unwrap_or(0);
    assert_eq!(stored, 0);

    // A common password is refused and the link stays usable.
    let weak = reset_password(&pool, &passwords, &token, "password1", now).await;
    assert!(matches!(weak, Err(AppError::Invalid { ref field, .. }) if field == "password"), "{weak:?}");
    reset_password(&pool, &passwords, &token, "amber-lantern-77", now).await.unwrap();

    assert!(session::find(&pool, &laptop, now).await.unwrap().is_none());
    assert!(session::find(&pool, &phone, now).await.unwrap().is_none());
    assert_eq!(reset_password(&pool, &passwords, &token, "another-pass-99", now).await, Err(AppError::LinkExpired));
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", "amber-lantern-77", false, &Origin::at("1.1.1.1"), now).await.is_ok());
    assert_eq!(
        log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.err(),
        Some(AppError::BadCredentials)
    );
}

#[sqlx::test]
async fn a_reset_link_expires_after_an_hour(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    request_password_reset(&pool, &config(ORIGIN), "ann@acme.test", now).await.unwrap();
    let token = token_from_outbox(&pool, "ann@acme.test", "/reset-password").await;
    let later = now + Duration::minutes(61);
    assert!(!link_is_usable(&pool, &token, "password_reset", later).await.unwrap());
    assert_eq!(reset_password(&pool, &passwords, &token, "amber-lantern-77", later).await, Err(AppError::LinkExpired));
}

#[sqlx::test]
async fn unknown_logins_get_the_same_answer_and_no_mail(pool: PgPool) {
    let now = Utc::now();
    assert_eq!(request_password_reset(&pool, &config(ORIGIN), "ghost@acme.test", now).await, Ok(intranet::auth::service::ResetBy::Link));
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&pool).await.unwrap();
    assert_eq!(messages, 0);
}

#[sqlx::test]
async fn reset_emails_are_capped_per_hour(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    for _ in 0..8 {
        request_password_reset(&pool, &config(ORIGIN), "ann@acme.test", now).await.unwrap();
    }
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox").fetch_one(&pool).await.unwrap();
    assert_eq!(messages, 5);
}

#[sqlx::test]
async fn racing_resets_with_one_link_let_exactly_one_through(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    request_password_reset(&pool, &config(ORIGIN), "ann@acme.test", now).await.unwrap();
    let token = token_from_outbox(&pool, "ann@acme.test", "/reset-password").await;
    let attempts = (0..8).map(|i| {
        let (pool, passwords, token) = (pool.clone(), passwords.clone(), token.clone());
        tokio::spawn(async move { reset_password(&pool, &passwords, &token, &format!("racing-password-{i}"), now).await })
    });
    let mut successes = 0;
    for attempt in attempts {
        if attempt.await.unwrap().is_ok() {
            successes += 1;
        }
    }
    assert_eq!(successes, 1);
}
