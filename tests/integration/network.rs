use chrono::{Duration, Utc};
use intranet::auth::service::log_in;
use intranet::auth::session::{self, SessionAccount};
use intranet::error::AppError;
use intranet::network::service::{change_password, confirm_login_change, request_login_change};
use sqlx::PgPool;

use crate::app::*;

async fn me(pool: &PgPool, account: i64) -> SessionAccount {
    let token = session::create(pool, account, false, Utc::now()).await.unwrap();
    session::find(pool, &token, Utc::now()).await.unwrap().unwrap()
}

#[sqlx::test]
async fn the_login_changes_only_through_the_link_sent_to_the_new_address(pool: PgPool) {
    let passwords = passwords();
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let ann = me(&pool, account).await;

    let wrong = request_login_change(&pool, &passwords, &config, &ann, "not my password", "ann@new.test", "1.1.1.1", now).await;
    assert!(matches!(wrong, Err(AppError::Invalid { ref field, .. }) if field == "current_password"));
    let bad = request_login_change(&pool, &passwords, &config, &ann, PASSWORD, "nonsense", "1.1.1.1", now).await;
    assert!(matches!(bad, Err(AppError::Invalid { ref field, .. }) if field == "new_login"));

    request_login_change(&pool, &passwords, &config, &ann, PASSWORD, "Ann@New.test", "1.1.1.1", now).await.unwrap();
    let notice: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient = 'ann@acme.test' AND subject = 'Your login is about to change'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(notice, 1, "the old address is told");
    // Not changed yet.
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, "1.1.1.1", now).await.is_ok());

    let token = token_from_outbox(&pool, "ann@new.test", "/network/confirm-login").await;
    assert_eq!(confirm_login_change(&pool, &token, now).await, Ok("ann@new.test".to_string()));
    assert_eq!(confirm_login_change(&pool, &token, now).await, Err(AppError::LinkExpired));
    let changed: String =
        sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = 'ann@acme.test' AND subject = 'Your login was changed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(changed.contains("from ann@acme.test to ann@new.test"), "the old address is told it happened: {changed}");
    assert_eq!(
        log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, "1.1.1.1", now).await.err(),
        Some(AppError::BadCredentials)
    );
    assert!(log_in(&pool, &passwords, None, "ann@new.test", PASSWORD, false, "1.1.1.1", now).await.is_ok());
}

/// Someone with a phished password asks to move the login to their address; the owner
/// changes the password (or resets it), and the pending link dies with the old password.
#[sqlx::test]
async fn a_new_password_voids_a_pending_login_change(pool: PgPool) {
    let passwords = passwords();
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let ann = me(&pool, account).await;
    request_login_change(&pool, &passwords, &config, &ann, PASSWORD, "thief@evil.test", "1.1.1.1", now).await.unwrap();
    let stolen = token_from_outbox(&pool, "thief@evil.test", "/network/confirm-login").await;
    change_password(&pool, &passwords, &ann, PASSWORD, "a brand new secret", "1.1.1.1", now).await.unwrap();
    assert_eq!(confirm_login_change(&pool, &stolen, now).await, Err(AppError::LinkExpired));

    // The same through a reset link: the reset voids the login change and other links.
    let ann = me(&pool, account).await;
    request_login_change(&pool, &passwords, &config, &ann, "a brand new secret", "thief2@evil.test", "1.1.1.2", now).await.unwrap();
    let stolen = token_from_outbox(&pool, "thief2@evil.test", "/network/confirm-login").await;
    intranet::auth::service::request_password_reset(&pool, &config, "ann@acme.test", now).await.unwrap();
    intranet::auth::service::request_password_reset(&pool, &config, "ann@acme.test", now).await.unwrap();
    let resets: Vec<String> =
        sqlx::query_scalar("SELECT body FROM outbox WHERE subject = 'Reset your password' ORDER BY id").fetch_all(&pool).await.unwrap();
    let token_of = |body: &str| body.split("token=").nth(1).and_then(|t| t.split_whitespace().next()).unwrap_or_default().to_string();
    let (first, second) = (token_of(&resets[0]), token_of(&resets[1]));
    intranet::auth::service::reset_password(&pool, &passwords, &second, "yet another secret", now).await.unwrap();
    assert_eq!(confirm_login_change(&pool, &stolen, now).await, Err(AppError::LinkExpired));
    assert_eq!(
        intranet::auth::service::reset_password(&pool, &passwords, &first, "one more secret", now).await,
        Err(AppError::LinkExpired),
        "the other reset link died too"
    );
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", "yet another secret", false, "1.1.1.3", now).await.is_ok());
}

#[sqlx::test]
async fn a_login_change_link_expires_after_a_day(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let ann = me(&pool, account).await;
    request_login_change(&pool, &passwords, &config("http://x"), &ann, PASSWORD, "ann@new.test", "1.1.1.1", now).await.unwrap();
    let token = token_from_outbox(&pool, "ann@new.test", "/network/confirm-login").await;
    assert_eq!(confirm_login_change(&pool, &token, now + Duration::hours(25)).await, Err(AppError::LinkExpired));
}

#[sqlx::test]
async fn a_taken_address_gets_no_link_and_the_answer_does_not_say_so(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    portal_with_admin(&pool, &passwords, "other", "bo@other.test", now).await;
    let ann = me(&pool, account).await;
    let answer = request_login_change(&pool, &passwords, &config("http://x"), &ann, PASSWORD, "bo@other.test", "1.1.1.1", now).await;
    assert!(answer.is_ok(), "same answer as for a free address");
    let links: i64 =
        sqlx::query_scalar("SELECT count(*) FROM account_tokens WHERE purpose = 'login_change'").fetch_one(&pool).await.unwrap();
    assert_eq!(links, 0);
    let told: String = sqlx::query_scalar("SELECT subject FROM outbox WHERE recipient = 'bo@other.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(told, "Login change not possible");
}

#[sqlx::test]
async fn changing_the_password_ends_the_other_sessions(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let other = session::create(&pool, account, true, now).await.unwrap();
    let ann = me(&pool, account).await;
    let weak = change_password(&pool, &passwords, &ann, PASSWORD, "qwertyuiop", "1.1.1.1", now).await;
    assert!(matches!(weak, Err(AppError::Invalid { ref field, .. }) if field == "new_password"));
    change_password(&pool, &passwords, &ann, PASSWORD, "amber-lantern-77", "1.1.1.1", now).await.unwrap();
    assert!(session::find(&pool, &other, now).await.unwrap().is_none());
    let mine: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE token_hash = $1").bind(&ann.token_hash).fetch_one(&pool).await.unwrap();
    assert_eq!(mine, 1, "the current session stays");
}

#[sqlx::test]
async fn the_network_profile_is_for_its_owner_only(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let anonymous = app.client();
    assert_eq!(error_of(app.post(&anonymous, "network_profile", &[]).await).await, (401, AppError::Unauthorized));
    assert_eq!(
        error_of(app.post(&anonymous, "change_login", &[("current_password", "x"), ("new_login", "a@b.test")]).await).await,
        (401, AppError::Unauthorized)
    );
    assert_eq!(
        error_of(app.post(&anonymous, "change_password", &[("current_password", "x"), ("new_password", "y")]).await).await,
        (401, AppError::Unauthorized)
    );
}
