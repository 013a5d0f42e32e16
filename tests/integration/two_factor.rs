//! Two-factor log-in: setting it up, the log-in's second step with an app code or a
//! recovery code (each once), the throttle on guesses sent all at once, the portal rule
//! for administrators, and an administrator's audited reset.

use chrono::{DateTime, Duration, Utc};
use intranet::auth::service::{Entry, log_in};
use intranet::auth::session::{self, Origin, SessionAccount};
use intranet::auth::two_factor::{self, CHALLENGE_LIFETIME};
use intranet::error::AppError;
use intranet::server::config::Config;
use sqlx::PgPool;

use crate::app::*;

async fn me(pool: &PgPool, account: i64) -> SessionAccount {
    let token = session::create(pool, account, false, &Origin::default(), Utc::now()).await.unwrap();
    session::find(pool, &token, Utc::now()).await.unwrap().unwrap()
}

/// The code an authenticator app shows at `at` for a key shown in groups ("ABCD EFGH …"),
/// computed the way the app does (RFC 6238, SHA-1, 30 seconds, 6 digits).
pub fn app_code(shown_key: &str, at: DateTime<Utc>) -> String {
    let secret = totp_rs::Secret::try_from_base32(shown_key.replace(' ', "")).unwrap();
    let totp = totp_rs::Builder::new().with_secret(secret).build().unwrap();
    totp.generate(u64::try_from(at.timestamp()).unwrap()).to_string()
}

/// Turns two-factor log-in on for the account; answers the key and the recovery codes.
async fn turn_on(pool: &PgPool, config: &Config, account: i64, now: DateTime<Utc>) -> (String, Vec<String>) {
    let person = me(pool, account).await;
    let setup = two_factor::begin_setup(pool, config, &person, now).await.unwrap();
    let codes = two_factor::confirm_setup(pool, &passwords(), config, &person, PASSWORD, &app_code(&setup.secret, now), "10.0.0.1", now)
        .await
        .unwrap();
    (setup.secret, codes)
}

/// The first step of a log-in with the right password: the challenge for the second.
async fn password_step(pool: &PgPool, login: &str, now: DateTime<Utc>) -> String {
    let first = log_in(pool, &passwords(), None, login, PASSWORD, false, &Origin::at("10.0.0.1"), now).await.unwrap();
    assert!(matches!(first.entry, Entry::CodeNeeded), "no session before the code");
    two_factor::start_log_in(pool, first.account_id, false, &first.destination, now).await.unwrap()
}

fn is_wrong_code<T: std::fmt::Debug>(result: &Result<T, AppError>) -> bool {
    matches!(result, Err(AppError::Invalid { field, .. }) if field == "code")
}

#[sqlx::test]
async fn setting_up_needs_the_password_and_a_right_code(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let ann = me(&pool, ann_id).await;
    let setup = two_factor::begin_setup(&pool, &config, &ann, now).await.unwrap();
    assert!(setup.qr_svg.starts_with("<svg") && setup.qr_svg.contains("<path"), "a QR code drawn as SVG");
    assert!(setup.address.starts_with("otpauth://totp/Bitrix24:ann%40acme.test?secret="), "{}", setup.address);
    let stored: Vec<u8> =
        sqlx::query_scalar("SELECT secret FROM two_factor WHERE account_id = $1").bind(ann_id).fetch_one(&pool).await.unwrap();
    let plain = setup.secret.replace(' ', "");
    assert!(!stored.windows(8).any(|w| w == &plain.as_bytes()[..8]), "the secret is sealed at rest");

    let code = app_code(&setup.secret, now);
    let wrong_password = two_factor::confirm_setup(&pool, &passwords(), &config, &ann, "not it", &code, "10.0.0.1", now).await;
    assert!(matches!(wrong_password, Err(AppError::Invalid { ref field, .. }) if field == "current_password"));
    let wrong_code = two_factor::confirm_setup(&pool, &passwords(), &config, &ann, PASSWORD, "000000", "10.0.0.1", now).await;
    let not_digits = two_factor::confirm_setup(&pool, &passwords(), &config, &ann, PASSWORD, "12ab", "10.0.0.1", now).await;
    assert!(is_wrong_code(&wrong_code) && is_wrong_code(&not_digits));
    assert_eq!(two_factor::status(&pool, ann_id).await.unwrap().on_since, None, "still off");
    assert!(matches!(
        log_in(&pool, &passwords(), None, "ann@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.unwrap().entry,
        Entry::Session(_)
    ));

    let codes = two_factor::confirm_setup(&pool, &passwords(), &config, &ann, PASSWORD, &code, "10.0.0.1", now).await.unwrap();
    assert_eq!(codes.len(), 10);
    let status = two_factor::status(&pool, ann_id).await.unwrap();
    assert_eq!((status.on_since.is_some(), status.recovery_codes_left), (true, 10));
    let hashes: Vec<Vec<u8>> = sqlx::query_scalar("SELECT code_hash FROM two_factor_recovery_codes WHERE account_id = $1")
        .bind(ann_id)
        .fetch_all(&pool)
        .await
        .unwrap();
    let mut expected: Vec<Vec<u8>> = codes.iter().map(|code| intranet::crypto::tokens::hash_secret(&code.replace('-', ""))).collect();
    let mut stored_hashes = hashes.clone();
    expected.sort();
    stored_hashes.sort();
    assert_eq!(stored_hashes, expected, "only the SHA-256 of each code is kept");
    let again = two_factor::begin_setup(&pool, &config, &ann, now).await;
    assert!(matches!(again, Err(AppError::Conflict(_))), "a set-up in force is not replaced by starting again");
}

#[sqlx::test]
async fn a_log_in_asks_for_the_code_and_each_code_works_once(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let (key, recovery) = turn_on(&pool, &config, ann_id, now).await;
    let sessions_before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap();

    // A later step than set-up's (that step's code was used up by the set-up).
    let later = now + Duration::seconds(30);
    let challenge = password_step(&pool, "ann@acme.test", later).await;
    let sessions_after_password: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap();
    assert_eq!(sessions_after_password, sessions_before, "the password alone starts no session");
    let wrong = two_factor::finish_log_in(&pool, &config, &challenge, "000000", &Origin::at("10.0.0.1"), later).await;
    assert!(is_wrong_code(&wrong));
    let done = two_factor::finish_log_in(&pool, &config, &challenge, &app_code(&key, later), &Origin::at("10.0.0.1"), later).await.unwrap();
    assert_eq!((done.account_id, done.destination.as_str()), (ann_id, "/p/acme"));
    assert!(session::find(&pool, &done.session_token, later).await.unwrap().is_some());
    let reused_challenge =
        two_factor::finish_log_in(&pool, &config, &challenge, &app_code(&key, later), &Origin::at("10.0.0.1"), later).await;
    assert_eq!(reused_challenge.err(), Some(AppError::LogInExpired), "a challenge works once");

    let replay_challenge = password_step(&pool, "ann@acme.test", later).await;
    let replay = two_factor::finish_log_in(&pool, &config, &replay_challenge, &app_code(&key, later), &Origin::at("10.0.0.1"), later).await;
    assert!(is_wrong_code(&replay), "an app code works once (RFC 6238, 5.2)");
    let next_step = later + Duration::seconds(30);
    assert!(
        two_factor::finish_log_in(&pool, &config, &replay_challenge, &app_code(&key, next_step), &Origin::at("10.0.0.1"), next_step)
            .await
            .is_ok()
    );

    // A lost phone: a recovery code instead, typed in capitals without dashes.
    let challenge = password_step(&pool, "ann@acme.test", next_step).await;
    let typed = recovery[3].replace('-', "").to_uppercase();
    assert!(two_factor::finish_log_in(&pool, &config, &challenge, &typed, &Origin::at("10.0.0.1"), next_step).await.is_ok());
    assert_eq!(two_factor::status(&pool, ann_id).await.unwrap().recovery_codes_left, 9);
    let challenge = password_step(&pool, "ann@acme.test", next_step).await;
    let used_again = two_factor::finish_log_in(&pool, &config, &challenge, &recovery[3], &Origin::at("10.0.0.1"), next_step).await;
    assert!(is_wrong_code(&used_again), "a recovery code works once");
    let logged: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action = 'used a two-factor recovery code'")
            .bind(ann_id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(logged, 1, "the security log says a recovery code was used");

    // Too late: the code must follow the password within five minutes.
    let challenge = password_step(&pool, "ann@acme.test", next_step).await;
    let late = next_step + CHALLENGE_LIFETIME + Duration::seconds(1);
    let expired = two_factor::finish_log_in(&pool, &config, &challenge, &app_code(&key, late), &Origin::at("10.0.0.1"), late).await;
    assert_eq!(expired.err(), Some(AppError::LogInExpired));
    let unknown = two_factor::finish_log_in(&pool, &config, "made-up", &app_code(&key, late), &Origin::at("10.0.0.1"), late).await;
    assert_eq!(unknown.err(), Some(AppError::LogInExpired));
}

#[sqlx::test]
async fn guesses_sent_all_at_once_are_counted_before_they_are_checked(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let (key, _) = turn_on(&pool, &config, ann_id, now).await;
    let later = now + Duration::seconds(30);
    let challenge = password_step(&pool, "ann@acme.test", later).await;
    // Wrong by construction: none of the codes the app shows around this moment.
    let right_codes: Vec<String> = [-30, 0, 30].iter().map(|s| app_code(&key, later + Duration::seconds(*s))).collect();
    let wrong_codes: Vec<String> = (100_000..).map(|n| format!("{n:06}")).filter(|c| !right_codes.contains(c)).take(30).collect();
    let guesses = wrong_codes.into_iter().enumerate().map(|(i, guess)| {
        let (pool, config, challenge) = (pool.clone(), config.clone(), challenge.clone());
        tokio::spawn(async move {
            two_factor::finish_log_in(&pool, &config, &challenge, &guess, &Origin::at(&format!("10.1.0.{i}")), later).await
        })
    });
    let results: Vec<_> = futures_of(guesses).await;
    let checked = results.iter().filter(|r| is_wrong_code(r)).count();
    let refused = results.iter().filter(|r| matches!(r, Err(AppError::TooManyAttempts { .. }))).count();
    assert_eq!((checked, refused), (5, 25), "five guesses per account in 15 minutes, however they arrive");
    let right = two_factor::finish_log_in(&pool, &config, &challenge, &app_code(&key, later), &Origin::at("10.1.1.1"), later).await;
    assert!(matches!(right, Err(AppError::TooManyAttempts { .. })), "even the right code waits for the window");
    let wrong_logged: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE subject_id = $1 AND action = 'wrong two-factor code'")
        .bind(ann_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(wrong_logged, 5, "each wrong code is in the security log");
}

async fn futures_of<T: Send + 'static>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut done = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        done.push(task.await.unwrap());
    }
    done
}

#[sqlx::test]
async fn new_recovery_codes_and_turning_off_need_a_code(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let (key, old_codes) = turn_on(&pool, &config, ann_id, now).await;
    let ann = me(&pool, ann_id).await;
    let later = now + Duration::seconds(30);
    assert!(is_wrong_code(&two_factor::renew_recovery_codes(&pool, &config, &ann, "000000", "10.0.0.1", later).await));
    let fresh = two_factor::renew_recovery_codes(&pool, &config, &ann, &app_code(&key, later), "10.0.0.1", later).await.unwrap();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|code| !old_codes.contains(code)));
    let even_later = later + Duration::seconds(30);
    let old = two_factor::turn_off(&pool, &config, &ann, &old_codes[0], "10.0.0.1", even_later).await;
    assert!(is_wrong_code(&old), "the old recovery codes no longer work");
    two_factor::turn_off(&pool, &config, &ann, &fresh[0], "10.0.0.1", even_later).await.unwrap();
    assert_eq!(two_factor::status(&pool, ann_id).await.unwrap().on_since, None);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM two_factor_recovery_codes WHERE account_id = $1")
        .bind(ann_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(left, 0, "turning off removes the recovery codes");
    let first = log_in(&pool, &passwords(), None, "ann@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), even_later).await.unwrap();
    assert!(first.session_token().is_some(), "the password alone logs in again");
}

#[sqlx::test]
async fn the_portal_rule_keeps_administrators_without_it_from_the_administrator_pages(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let bo_id = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "admin").await;
    let cy_id = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;

    let ann = caller(&pool, ann_id, "acme").await;
    let refused = intranet::portals::service::set_two_factor_rule(&pool, &ann, true, now).await;
    assert!(matches!(refused, Err(AppError::Invalid { ref field, .. }) if field == "required"), "first for oneself: {refused:?}");
    turn_on(&pool, &config, ann_id, now).await;
    intranet::portals::service::set_two_factor_rule(&pool, &ann, true, now).await.unwrap();
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'required two-factor log-in for administrators'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audited, 1);

    let bo = caller(&pool, bo_id, "acme").await;
    assert!(bo.admin_needs_two_factor && !bo.is_admin, "Bo acts as an employee until he sets it up");
    assert_eq!(bo.require_admin().err(), Some(AppError::TwoFactorRequired));
    assert_eq!(intranet::portals::service::audit_log(&pool, &bo, None, now).await.err(), Some(AppError::TwoFactorRequired));
    let mut db = pool.acquire().await.unwrap();
    assert_eq!(
        intranet::access::invite::require_inviter(&mut db, &bo).await.err(),
        Some(AppError::Forbidden),
        "nor may he invite as an administrator (everyone-can-invite is off)"
    );
    sqlx::query("UPDATE portals SET everyone_can_invite = true WHERE slug = 'acme'").execute(&pool).await.unwrap();
    let scope = intranet::access::invite::require_inviter(&mut db, &bo).await.unwrap();
    assert!(!scope.is_admin, "an employee's scope: his own department only");
    let cy = caller(&pool, cy_id, "acme").await;
    assert!(!cy.admin_needs_two_factor, "the rule is about administrators");
    assert_eq!(cy.require_admin().err(), Some(AppError::Forbidden));
    assert!(caller(&pool, ann_id, "acme").await.is_admin);

    turn_on(&pool, &config, bo_id, now).await;
    let bo = caller(&pool, bo_id, "acme").await;
    assert!(bo.is_admin && !bo.admin_needs_two_factor);
    intranet::portals::service::set_two_factor_rule(&pool, &bo, false, now).await.unwrap();
    assert!(!intranet::portals::service::two_factor_rule(&pool, &bo).await.unwrap());
}

#[sqlx::test]
async fn an_administrator_resets_a_person_s_two_factor_log_in_and_it_is_audited(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let bo_id = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let cy_id = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    let zed_id = portal_with_admin(&pool, &passwords(), "other", "zed@other.test", now).await;
    turn_on(&pool, &config, bo_id, now).await;
    turn_on(&pool, &config, ann_id, now).await;
    use intranet::people::service::reset_two_factor;

    let cy = caller(&pool, cy_id, "acme").await;
    assert_eq!(reset_two_factor(&pool, &cy, bo_id, now).await.err(), Some(AppError::Forbidden), "employees cannot");
    let zed = caller(&pool, zed_id, "other").await;
    assert_eq!(reset_two_factor(&pool, &zed, bo_id, now).await.err(), Some(AppError::NotFound), "nor another portal's admin");
    let ann = caller(&pool, ann_id, "acme").await;
    assert!(matches!(reset_two_factor(&pool, &ann, ann_id, now).await, Err(AppError::Conflict(_))), "one's own: in the network profile");
    let dee_id = add_member(&pool, "acme", "dee@acme.test", ("Dee", "Dunn"), "active", "admin").await;
    let dee = caller(&pool, dee_id, "acme").await;
    assert!(
        matches!(reset_two_factor(&pool, &dee, bo_id, now).await, Err(AppError::Conflict(ref m)) if m.contains("for yourself first")),
        "an administrator without two-factor log-in cannot weaken someone else's"
    );
    // While Bo works in another portal too, that portal relies on his two-factor log-in.
    add_member(&pool, "other", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    assert!(
        matches!(reset_two_factor(&pool, &ann, bo_id, now).await, Err(AppError::Conflict(ref m)) if m.contains("other Bitrix24 portals")),
        "one portal's administrator does not reset an account other portals rely on"
    );
    sqlx::query("UPDATE memberships SET status = 'dismissed' WHERE account_id = $1 AND portal_id <> $2")
        .bind(bo_id)
        .bind(ann.portal_id)
        .execute(&pool)
        .await
        .unwrap();
    let bo_on = intranet::people::service::profile(&pool, &ann, bo_id).await.unwrap().two_factor_on;
    assert_eq!(bo_on, Some(true));
    assert_eq!(intranet::people::service::profile(&pool, &cy, bo_id).await.unwrap().two_factor_on, None, "only admins see it");

    reset_two_factor(&pool, &ann, bo_id, now).await.unwrap();
    assert_eq!(two_factor::status(&pool, bo_id).await.unwrap().on_since, None);
    let first = log_in(&pool, &passwords(), None, "bo@acme.test", PASSWORD, false, &Origin::at("1.1.1.1"), now).await.unwrap();
    assert!(first.session_token().is_some(), "Bo logs in with his password alone");
    let entry: (i64, i64) = sqlx::query_as("SELECT actor_id, subject_id FROM audit_log WHERE action = 'reset two-factor log-in'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(entry, (ann_id, bo_id), "the audit log says who reset whose");
    let notice: String = sqlx::query_scalar("SELECT text FROM notices WHERE account_id = $1 AND kind = 'security'")
        .bind(bo_id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(notice.starts_with("An administrator reset your two-factor log-in"), "{notice}");
    let mailed: String =
        sqlx::query_scalar("SELECT body FROM outbox WHERE recipient = 'bo@acme.test' AND subject = 'Your two-factor log-in was reset'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(mailed.contains("An administrator of acme Ltd reset the two-factor log-in"), "{mailed}");
    assert!(matches!(reset_two_factor(&pool, &ann, bo_id, now).await, Err(AppError::Conflict(_))), "nothing left to reset");
}

/// Over HTTP, as a browser does it: the password answers with the step cookie and no
/// session, and the code page's function finishes the log-in.
#[sqlx::test]
async fn over_http_the_code_step_follows_the_password_step(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let now = Utc::now();
    let client = app.client();
    let response = app
        .post(
            &client,
            "sign_up",
            &[
                ("company_name", "Acme"),
                ("slug", "acme"),
                ("first_name", "Ann"),
                ("last_name", "Lee"),
                ("email", "ann@acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(response.status().is_redirection() || response.status().is_success());
    let setup: serde_json::Value = json_of(app.post(&client, "begin_two_factor_setup", &[]).await).await;
    let key = setup["secret"].as_str().unwrap().to_string();
    let codes: Vec<String> =
        json_of(app.post(&client, "confirm_two_factor", &[("current_password", PASSWORD), ("code", &app_code(&key, now))]).await).await;
    assert_eq!(codes.len(), 10);

    let browser = app.client();
    let step = app.post(&browser, "login", &[("login", "ann@acme.test"), ("password", PASSWORD)]).await;
    let cookies: Vec<String> = step.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap_or_default().to_string()).collect();
    assert!(cookies.iter().any(|c| c.starts_with("login_step=") && c.contains("SameSite=Strict")), "{cookies:?}");
    assert!(!cookies.iter().any(|c| c.starts_with("sid=")), "no session yet: {cookies:?}");
    assert_eq!(step.headers().get("location").and_then(|v| v.to_str().ok()), Some("/login/code"));
    let (status, _) = error_of(app.post(&browser, "network_profile", &[]).await).await;
    assert_eq!(status, 401, "the password alone opens nothing");

    let (status, error) = error_of(app.post(&app.client(), "login_code", &[("code", "123456")]).await).await;
    assert_eq!((status, error), (401, AppError::LogInExpired), "no first step, no second");
    let (status, _) = error_of(app.post(&browser, "login_code", &[("code", "000000")]).await).await;
    assert_eq!(status, 422);
    let done = app.post(&browser, "login_code", &[("code", &codes[0])]).await;
    assert_eq!(done.headers().get("location").and_then(|v| v.to_str().ok()), Some("/p/acme"));
    let profile = app.post(&browser, "network_profile", &[]).await;
    assert_eq!(profile.status(), 200, "logged in");
}

#[sqlx::test]
async fn the_same_code_sent_twice_at_once_logs_in_once(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let (key, recovery) = turn_on(&pool, &config, ann_id, now).await;
    let steps =
        [(now + Duration::seconds(30), app_code(&key, now + Duration::seconds(30))), (now + Duration::seconds(60), recovery[0].clone())];
    for (at, code) in steps {
        // A double-click, or a replay racing the person: the same challenge and code twice.
        let challenge = password_step(&pool, "ann@acme.test", at).await;
        let before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap();
        let tries = (0..2).map(|i| {
            let (pool, config, challenge, code) = (pool.clone(), config.clone(), challenge.clone(), code.clone());
            tokio::spawn(async move {
                two_factor::finish_log_in(&pool, &config, &challenge, &code, &Origin::at(&format!("10.2.0.{i}")), at).await
            })
        });
        let results = futures_of(tries).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let refused = results.iter().filter(|r| is_wrong_code(r) || matches!(r, Err(AppError::LogInExpired))).count();
        assert_eq!((ok, refused), (1, 1), "{results:?}");
        let after: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&pool).await.unwrap();
        assert_eq!(after, before + 1, "one session");
    }
}

#[sqlx::test]
async fn a_new_password_ends_log_ins_waiting_for_their_code(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let (key, _) = turn_on(&pool, &config, ann_id, now).await;
    let later = now + Duration::seconds(30);
    // Someone with the old password got as far as the code.
    let intruder = password_step(&pool, "ann@acme.test", later).await;
    let ann = me(&pool, ann_id).await;
    intranet::network::service::change_password(&pool, &passwords(), &ann, PASSWORD, "copper-kettle-58", "10.0.0.1", later).await.unwrap();
    let refused = two_factor::finish_log_in(&pool, &config, &intruder, &app_code(&key, later), &Origin::at("10.9.9.9"), later).await;
    assert_eq!(refused.err(), Some(AppError::LogInExpired));
}

#[sqlx::test]
async fn turning_two_factor_on_ends_the_other_sessions(pool: PgPool) {
    let config = config("http://127.0.0.1:3000");
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let other = session::create(&pool, ann_id, false, &Origin::at("10.3.3.3"), now).await.unwrap();
    let person = me(&pool, ann_id).await;
    let setup = two_factor::begin_setup(&pool, &config, &person, now).await.unwrap();
    two_factor::confirm_setup(&pool, &passwords(), &config, &person, PASSWORD, &app_code(&setup.secret, now), "10.0.0.1", now)
        .await
        .unwrap();
    assert!(session::find(&pool, &other, now).await.unwrap().is_none(), "a session opened with the password alone ends");
    let kept: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sessions WHERE token_hash = $1").bind(&person.token_hash).fetch_one(&pool).await.unwrap();
    assert_eq!(kept, 1, "the session that turned it on stays");
}
