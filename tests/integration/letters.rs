//! E-mails as people receive them: every message is queued with an HTML part beside its
//! plain text, and the ones that ask the reader to act name the portal (and the inviter
//! where there is one) and carry one button whose link is also written out below it.

use chrono::Utc;
use intranet::auth::session::{self, Origin};
use intranet::invitations::service::{self as invitations, InviteRequest};
use intranet::registration::service::{self as registration, RegistrationForm, SettingsForm};
use sqlx::PgPool;

use crate::app::*;

/// The newest e-mail to `recipient`: (subject, text part, HTML part).
async fn newest_email(pool: &PgPool, recipient: &str) -> (String, String, String) {
    let (subject, text, html): (String, String, Option<String>) =
        sqlx::query_as("SELECT subject, body, html FROM outbox WHERE recipient = $1 AND channel = 'email' ORDER BY id DESC LIMIT 1")
            .bind(recipient)
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| panic!("no e-mail to {recipient}: {e}"));
    (subject, text, html.unwrap_or_else(|| panic!("the e-mail to {recipient} has no HTML part")))
}

/// The link to `path` in a text part.
fn link_in(text: &str, path: &str) -> String {
    text.split_whitespace().find(|word| word.contains(path)).unwrap_or_else(|| panic!("no {path} link in {text}")).to_string()
}

/// Exactly one button, labelled `label`, leading to `link`; the same link written out
/// as text right below it; and nothing left of the template language.
fn assert_one_button(html: &str, label: &str, link: &str) {
    assert_eq!(html.matches("display:inline-block;padding:12px 24px").count(), 1, "one button: {html}");
    let button = format!("<a href=\"{link}\" style=\"display:inline-block;padding:12px 24px;");
    assert!(html.contains(&button), "the button leads to {link}: {html}");
    assert!(html.contains(&format!(">{label}</a>")), "the button says {label}: {html}");
    let written_out = html.find(&format!(">{link}</a>")).unwrap_or_else(|| panic!("{link} is written out: {html}"));
    assert!(written_out > html.find(&button).unwrap_or_default(), "below the button");
    assert!(!html.contains("{{") && !html.contains("{%"), "{html}");
}

#[sqlx::test]
async fn invitations_and_registrations_name_the_portal_and_the_inviter_and_carry_one_button(pool: PgPool) {
    let now = Utc::now();
    let config = config("http://127.0.0.1:3000");
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;

    // An e-mail invitation: from Ann Lee, to acme Ltd, "Accept the invitation".
    let request = InviteRequest { addresses: "dee@new.test".into(), ..Default::default() };
    invitations::invite_by_email(&pool, &config, &admin, &request, now).await.unwrap();
    let (subject, text, html) = newest_email(&pool, "dee@new.test").await;
    assert_eq!(subject, "Ann Lee invites you to acme Ltd");
    let link = link_in(&text, "/invite?token=");
    assert!(text.starts_with("Ann Lee invites you to join acme Ltd on Bitrix24."), "{text}");
    assert!(html.contains("<strong>Ann Lee</strong> invites you to join <strong>acme Ltd</strong>"), "{html}");
    assert!(html.contains("<strong style=\"color:#0b66c3;\">acme Ltd</strong> &middot; Bitrix24"), "the portal heads it: {html}");
    assert_one_button(&html, "Accept the invitation", &link);

    // Registered by Ann with confirmation: "Complete your registration", Ann named.
    let app = spawn_app(pool.clone()).await;
    let client = app.logged_in("ann@acme.test").await;
    let form = [("slug", "acme"), ("email", "jon@new.test"), ("first_name", "Jon"), ("last_name", "Snow"), ("position", "Buyer")];
    assert_eq!(app.post(&client, "register_user", &form).await.status(), 200);
    let (subject, text, html) = newest_email(&pool, "jon@new.test").await;
    assert_eq!(subject, "Complete your registration at acme Ltd");
    assert!(html.contains("<strong>Ann Lee</strong> registered you at <strong>acme Ltd</strong>'s Bitrix24 as Buyer."), "{html}");
    assert_one_button(&html, "Complete your registration", &link_in(&text, "/complete-registration?token="));

    // Registration through the link: "Confirm my e-mail address", the portal named.
    let settings =
        SettingsForm { enabled: true, registration_type: "public".into(), trusted_domains: String::new(), greeting: String::new() };
    registration::save_settings(&pool, &admin, &settings, now).await.unwrap();
    let code: String = sqlx::query_scalar("SELECT registration_code FROM portals WHERE slug = 'acme'").fetch_one(&pool).await.unwrap();
    let form = RegistrationForm {
        email: "reg@new.test".into(),
        first_name: "Reg".into(),
        last_name: "Istrant".into(),
        password: "blue-lantern-77".into(),
    };
    registration::request(&pool, &passwords(), &config, &code, &form, "10.0.0.1", now).await.unwrap();
    let (subject, text, html) = newest_email(&pool, "reg@new.test").await;
    assert_eq!(subject, "Confirm your registration at acme Ltd");
    assert!(html.contains("<strong>acme Ltd</strong>'s Bitrix24"), "{html}");
    assert_one_button(&html, "Confirm my e-mail address", &link_in(&text, "/register/confirm?token="));
}

#[sqlx::test]
async fn reset_and_login_change_name_the_portal_and_carry_one_button(pool: PgPool) {
    let now = Utc::now();
    let config = config("http://127.0.0.1:3000");
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;

    intranet::auth::service::request_password_reset(&pool, &config, "ann@acme.test", now).await.unwrap();
    let (subject, text, html) = newest_email(&pool, "ann@acme.test").await;
    assert_eq!(subject, "Reset your password");
    assert!(html.contains(">acme Ltd</strong> &middot; Bitrix24"), "the portal heads it: {html}");
    assert!(html.contains("(<strong>ann@acme.test</strong>)"), "{html}");
    assert_one_button(&html, "Choose a new password", &link_in(&text, "/reset-password?token="));

    let token = session::create(&pool, ann, false, &Origin::default(), now).await.unwrap();
    let me = session::find(&pool, &token, now).await.unwrap().unwrap();
    intranet::network::service::request_login_change(&pool, &passwords, &config, &me, PASSWORD, "ann@new.test", "1.1.1.1", now)
        .await
        .unwrap();
    let (subject, text, html) = newest_email(&pool, "ann@new.test").await;
    assert_eq!(subject, "Confirm your new login");
    assert!(html.contains(">acme Ltd</strong> &middot; Bitrix24"), "{html}");
    assert!(html.contains("<strong>Ann Lee</strong> asked to make <strong>ann@new.test</strong> the login"), "{html}");
    assert_one_button(&html, "Confirm the new login", &link_in(&text, "/network/confirm-login?token="));
    // The old address is told, in both parts, without a button to press.
    let (subject, text, html) = newest_email(&pool, "ann@acme.test").await;
    assert_eq!(subject, "Your login is about to change");
    assert!(text.contains("from ann@acme.test to ann@new.test"), "{text}");
    assert!(html.contains("from <strong>ann@acme.test</strong> to <strong>ann@new.test</strong>"), "{html}");
    assert!(!html.contains("display:inline-block"), "{html}");
}

#[sqlx::test]
async fn every_email_the_app_queues_has_both_parts(pool: PgPool) {
    let now = Utc::now();
    let config = config("http://127.0.0.1:3000");
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let request = InviteRequest { addresses: "a@new.test\nb@new.test\nc@new.test".into(), ..Default::default() };
    invitations::invite_by_email(&pool, &config, &admin, &request, now).await.unwrap();
    intranet::auth::service::request_password_reset(&pool, &config, "ann@acme.test", now).await.unwrap();
    let (emails, without_html, with_html_sms): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE channel = 'email'), count(*) FILTER (WHERE channel = 'email' AND html IS NULL),
                count(*) FILTER (WHERE channel = 'sms' AND html IS NOT NULL) FROM outbox",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((emails, without_html, with_html_sms), (4, 0, 0));
}
