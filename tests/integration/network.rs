use chrono::{Duration, Utc};
use intranet::auth::service::log_in;
use intranet::auth::session::{self, Origin, SessionAccount};
use intranet::error::AppError;
use intranet::network::service::{change_password, confirm_login_change, end_other_sessions, end_session, request_login_change, sessions};
use sqlx::PgPool;

use crate::app::*;

async fn me(pool: &PgPool, account: i64) -> SessionAccount {
    let token = session::create(pool, account, false, &Origin::default(), Utc::now()).await.unwrap();
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
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.is_ok());

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
        log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.err(),
        Some(AppError::BadCredentials)
    );
    assert!(log_in(&pool, &passwords, None, "ann@new.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.is_ok());
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
    assert!(log_in(&pool, &passwords, None, "ann@acme.test", "yet another secret", false, &Origin::at("1.1.1.3"), now).await.is_ok());
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
    let other = session::create(&pool, account, true, &Origin::default(), now).await.unwrap();
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
    for (function, form) in [("end_session", &[("id", "1")][..]), ("end_other_sessions", &[][..])] {
        assert_eq!(error_of(app.post(&anonymous, function, form).await).await, (401, AppError::Unauthorized), "{function}");
    }
}

const FIREFOX_ON_LINUX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0";
const CHROME_ON_WINDOWS: &str =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

#[sqlx::test]
async fn a_person_sees_their_sessions_and_ends_them_but_no_one_else_s(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo_id = portal_with_admin(&pool, &passwords, "bobs", "bo@bobs.test", now).await;
    let laptop = log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, false, &Origin::new("10.1.1.1", FIREFOX_ON_LINUX), now)
        .await
        .unwrap()
        .session_token()
        .map(str::to_string)
        .unwrap();
    let later = now + Duration::minutes(5);
    let office = log_in(&pool, &passwords, None, "ann@acme.test", PASSWORD, true, &Origin::new("10.2.2.2", CHROME_ON_WINDOWS), later)
        .await
        .unwrap()
        .session_token()
        .map(str::to_string)
        .unwrap();
    let ann = session::find(&pool, &laptop, later).await.unwrap().unwrap();
    let bo = me(&pool, bo_id).await;

    let listed = sessions(&pool, &ann, later).await.unwrap();
    let seen: Vec<(&str, &str, &str, bool)> =
        listed.iter().map(|s| (s.browser.as_str(), s.system.as_str(), s.client_address.as_str(), s.this_device)).collect();
    assert_eq!(seen, [("Firefox 133", "Linux", "10.1.1.1", true), ("Chrome 131", "Windows 10", "10.2.2.2", false)], "this device first");
    assert_eq!(listed[1].started.text, "just now");
    let bos = sessions(&pool, &bo, later).await.unwrap();
    assert_eq!((bos.len(), bos[0].this_device), (1, true), "Bo sees only his own");

    // Another account's session number ends nothing, and says no more than "not found".
    let office_id = listed[1].id;
    assert_eq!(end_session(&pool, &bo, office_id, later).await, Err(AppError::NotFound));
    assert!(session::find(&pool, &office, later).await.unwrap().is_some());

    // This browser's own session ends with "Log out", not from the list.
    assert_eq!(end_session(&pool, &ann, listed[0].id, later).await, Err(AppError::NotFound));
    end_session(&pool, &ann, office_id, later).await.unwrap();
    assert!(session::find(&pool, &office, later).await.unwrap().is_none(), "the ended session lets no one in");
    assert_eq!(end_session(&pool, &ann, office_id, later).await, Err(AppError::NotFound));
    let audit: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE actor_id = $1 AND action = 'session ended'")
        .bind(ann_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, 1, "ending a session is in the portal's audit log");

    // "Log out everywhere else" keeps this one only.
    let phone = session::create(&pool, ann_id, false, &Origin::at("10.3.3.3"), later).await.unwrap();
    let tablet = session::create(&pool, ann_id, false, &Origin::at("10.4.4.4"), later).await.unwrap();
    assert_eq!(end_other_sessions(&pool, &ann, later).await, Ok(2));
    assert!(session::find(&pool, &phone, later).await.unwrap().is_none());
    assert!(session::find(&pool, &tablet, later).await.unwrap().is_none());
    assert!(session::find(&pool, &laptop, later).await.unwrap().is_some());
    assert_eq!(sessions(&pool, &ann, later).await.unwrap().len(), 1);
    assert_eq!(end_other_sessions(&pool, &ann, later).await, Ok(0));
}

#[sqlx::test]
async fn sessions_past_their_time_out_are_not_listed(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let account = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    session::create(&pool, account, false, &Origin::at("10.5.5.5"), now - Duration::hours(9)).await.unwrap();
    let ann = me(&pool, account).await;
    let listed = sessions(&pool, &ann, now).await.unwrap();
    assert_eq!(listed.len(), 1, "an idle session past its 8 hours is over");
    assert!(listed[0].this_device);
}
