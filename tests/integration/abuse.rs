//! Abuse limits over HTTP: a new portal sends nothing until its admin has confirmed
//! their address, daily message caps hold for requests sent at once, and login changes
//! (which mail a typed address) are capped per account.

use intranet::access::invite::CONFIRM_FIRST;
use intranet::invitations::InviteDialog;
use intranet::server::config::DailyCaps;
use sqlx::PgPool;

use crate::app::*;

async fn sign_up_over_http(app: &TestApp, slug: &str, email: &str) -> reqwest::Client {
    let client = app.client();
    let form = [
        ("company_name", "Fresh Ltd"),
        ("slug", slug),
        ("first_name", "Fay"),
        ("last_name", "Fresh"),
        ("email", email),
        ("password", "fresh-meadow-42"),
    ];
    let response = app.post(&client, "sign_up", &form).await;
    assert!(response.status().is_redirection() || response.status().is_success(), "{}", response.status());
    client
}

async fn outbox_count(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE subject NOT LIKE 'Confirm your e-mail%'").fetch_one(pool).await.unwrap()
}

#[sqlx::test]
async fn a_new_portal_invites_nobody_until_its_admin_confirms_the_address(pool: PgPool) {
    let app = spawn_app(pool.clone()).await;
    let fay = sign_up_over_http(&app, "fresh", "fay@fresh.test").await;

    // Every way of sending is refused, with what to do, and nothing is queued.
    for (function, form) in [
        ("invite_by_email", vec![("slug", "fresh"), ("addresses", "stranger@victim.test")]),
        ("invite_by_sms", vec![("slug", "fresh"), ("numbers", "+14155550111")]),
        ("register_user", vec![("slug", "fresh"), ("email", "stranger@victim.test"), ("first_name", "S"), ("last_name", "T")]),
    ] {
        let (status, error) = error_of(app.post(&fay, function, &form).await).await;
        assert_eq!((status, error.to_string()), (409, CONFIRM_FIRST.to_string()), "{function}");
    }
    assert_eq!(outbox_count(&pool).await, 0);
    let dialog: InviteDialog = json_of(app.post(&fay, "invite_dialog", &[("slug", "fresh")]).await).await;
    assert!(!dialog.may_send);
    assert_eq!(dialog.address_to_confirm.as_deref(), Some("fay@fresh.test"));

    // The link can be sent again (a few times an hour); the newest one confirms.
    let again: String = json_of(app.post(&fay, "resend_email_confirmation", &[]).await).await;
    assert_eq!(again, "We sent a new confirmation link to fay@fresh.test.");
    let token = token_from_outbox(&pool, "fay@fresh.test", "/confirm-email").await;
    let anyone = app.client();
    assert_eq!(app.post(&anyone, "link_status", &[("token", &token), ("purpose", "email_confirm")]).await.status(), 200);
    let confirmed: String = json_of(app.post(&anyone, "confirm_email", &[("token", &token)]).await).await;
    assert_eq!(confirmed, "fay@fresh.test");
    let (status, _) = error_of(app.post(&anyone, "confirm_email", &[("token", &token)]).await).await;
    assert_eq!(status, 410, "single use");

    let dialog: InviteDialog = json_of(app.post(&fay, "invite_dialog", &[("slug", "fresh")]).await).await;
    assert!(dialog.may_send);
    let sent = app.post(&fay, "invite_by_email", &[("slug", "fresh"), ("addresses", "colleague@fresh.test")]).await;
    assert_eq!(sent.status(), 200);
    assert_eq!(outbox_count(&pool).await, 1);
}

#[sqlx::test]
async fn daily_caps_hold_for_requests_sent_at_once(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", chrono::Utc::now()).await;
    portal_with_admin(&pool, &passwords(), "beta", "bea@beta.test", chrono::Utc::now()).await;
    // The instance has already sent the two admins' confirmation links today.
    let app = spawn_app_with(pool.clone(), |config| {
        config.email_caps = DailyCaps { per_portal: 5, per_instance: 10 };
    })
    .await;
    let ann = app.logged_in("ann@acme.test").await;
    // Twenty single invitations at the same moment: exactly five pass the portal's cap.
    let answers = futures::future::join_all((0..20).map(|i| {
        let (app, ann) = (&app, &ann);
        async move {
            let address = format!("person{i}@new.test");
            app.post(ann, "invite_by_email", &[("slug", "acme"), ("addresses", &address)]).await
        }
    }))
    .await;
    let mut passed = 0;
    for answer in answers {
        match answer.status().as_u16() {
            200 => passed += 1,
            409 => {
                let text = answer.text().await.unwrap();
                assert!(text.contains("reached today's limit of 5 e-mails"), "{text}");
            }
            other => panic!("unexpected {other}: {}", answer.text().await.unwrap()),
        }
    }
    assert_eq!(passed, 5);
    assert_eq!(outbox_count(&pool).await, 5);
    // A second portal has its own five, but the instance allows ten in all (eight now): three pass,
    // and a batch that does not fit is refused whole.
    let bea = app.logged_in("bea@beta.test").await;
    let too_many = (0..4).map(|i| format!("b{i}@new.test")).collect::<Vec<_>>().join("\n");
    let refused = app.post(&bea, "invite_by_email", &[("slug", "beta"), ("addresses", &too_many)]).await;
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("This server has reached today's limit of e-mails"));
    let fits = (0..3).map(|i| format!("b{i}@new.test")).collect::<Vec<_>>().join("\n");
    assert_eq!(app.post(&bea, "invite_by_email", &[("slug", "beta"), ("addresses", &fits)]).await.status(), 200);
    assert_eq!(outbox_count(&pool).await, 8);
    let invitations: i64 = sqlx::query_scalar("SELECT count(*) FROM invitations").fetch_one(&pool).await.unwrap();
    assert_eq!(invitations, 8, "refused requests left no invitation behind");
}

#[sqlx::test]
async fn login_changes_are_capped_per_account(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", chrono::Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let ann = app.logged_in("ann@acme.test").await;
    for i in 0..intranet::network::service::LOGIN_CHANGES_PER_ACCOUNT.max {
        let target = format!("new{i}@victim.test");
        let response = app.post(&ann, "change_login", &[("current_password", PASSWORD), ("new_login", &target)]).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
    }
    let refused = app.post(&ann, "change_login", &[("current_password", PASSWORD), ("new_login", "one-more@victim.test")]).await;
    assert_eq!(refused.status(), 429);
    let mailed: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE recipient LIKE '%@victim.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(mailed, intranet::network::service::LOGIN_CHANGES_PER_ACCOUNT.max);
}

/// Workgroups are capped per portal, and the cap holds for creations sent at once: with
/// room for three more, ten at the same moment make three groups.
#[sqlx::test]
async fn the_workgroup_cap_holds_for_creations_sent_at_once(pool: PgPool) {
    use intranet::workgroups::service::{MAX_WORKGROUPS, create};
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", chrono::Utc::now()).await;
    let ann = caller(&pool, ann, "acme").await;
    sqlx::query(
        "INSERT INTO workgroups (portal_id, name, description, created_by, created_at)
         SELECT $1, 'Group ' || n, '', $2, now() FROM generate_series(1, $3) AS n",
    )
    .bind(ann.portal_id)
    .bind(ann.account_id)
    .bind(MAX_WORKGROUPS - 3)
    .execute(&pool)
    .await
    .unwrap();
    let attempts = (0..10).map(|i| {
        let (pool, ann) = (pool.clone(), ann.clone());
        tokio::spawn(async move { create(&pool, &ann, &format!("New {i}"), "", chrono::Utc::now()).await })
    });
    let answers: Vec<_> = futures::future::join_all(attempts).await.into_iter().map(|joined| joined.unwrap()).collect();
    let made = answers.iter().filter(|answer| answer.is_ok()).count();
    assert_eq!(made, 3, "{answers:?}");
    for refused in answers.iter().filter_map(|answer| answer.as_ref().err()) {
        assert!(refused.to_string().contains(&format!("at most {MAX_WORKGROUPS} workgroups")), "{refused:?}");
    }
    let count: i64 =
        sqlx::query_scalar("SELECT count(*) FROM workgroups WHERE portal_id = $1").bind(ann.portal_id).fetch_one(&pool).await.unwrap();
    assert_eq!(count, MAX_WORKGROUPS);
}

/// An administrator's registration answers that an address already has an account on this
/// server. Each such answer is paid from the portal's daily e-mail quota, as the letter a
/// registration sends is: asking about addresses one by one stops at the cap, and from
/// there every address gets the same answer.
#[sqlx::test]
async fn asking_about_addresses_one_by_one_stops_at_the_daily_email_cap(pool: PgPool) {
    portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", chrono::Utc::now()).await;
    portal_with_admin(&pool, &passwords(), "other", "zed@other.test", chrono::Utc::now()).await;
    let app = spawn_app_with(pool.clone(), |config| {
        config.email_caps = DailyCaps { per_portal: 3, per_instance: 100 };
    })
    .await;
    let ann = app.logged_in("ann@acme.test").await;
    let register = |email: &'static str| {
        let (app, ann) = (&app, &ann);
        async move {
            error_of(app.post(ann, "register_user", &[("slug", "acme"), ("email", email), ("first_name", "Z"), ("last_name", "Q")]).await)
                .await
        }
    };
    let mut answered_known = 0;
    let limit = loop {
        let (status, error) = register("zed@other.test").await;
        if error.for_field("email").is_some_and(|m| m.contains("already has a Bitrix24 account")) {
            answered_known += 1;
            assert!(answered_known <= 3, "more answers than the cap of 3");
            continue;
        }
        assert_eq!(status, 409, "{error:?}");
        break error.to_string();
    };
    assert!(answered_known >= 1, "the first answer comes before the cap");
    assert!(limit.contains("reached today's limit of 3 e-mails"), "{limit}");
    let (status, error) = register("nobody@new.test").await;
    assert_eq!((status, error.to_string()), (409, limit), "an address without an account gets the same answer");
    let created: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE login = 'nobody@new.test'").fetch_one(&pool).await.unwrap();
    assert_eq!(created, 0);
}
