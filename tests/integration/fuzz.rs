//! Bad input, on purpose: every server function in the authorization matrix gets each of
//! its fields replaced by hostile or oversized values, and fields left out, from an
//! administrator of the portal (the caller who reaches deepest). The answer is always a
//! 4xx; a 422 names the field; nothing answers 5xx or brings the server down.

use chrono::Utc;
use sqlx::PgPool;

use crate::app::*;
use crate::isolation::{Access, MATRIX};

/// Values every field is tried with. Oversized text comes first: every text input has a
/// length limit, so none of them may be accepted.
fn hostile_values() -> Vec<(&'static str, String)> {
    vec![
        ("oversized", "x".repeat(20_000)),
        ("oversized unicode", "💥".repeat(5_000)),
        ("empty", String::new()),
        ("blank", "   \t  ".into()),
        ("nul", "a\u{0}b".into()),
        ("negative", "-1".into()),
        ("huge number", "99999999999999999999999".into()),
        ("not a number", "NaN".into()),
        ("markup", "<script>alert(1)</script>".into()),
        ("sql", "' OR 1=1; --".into()),
        ("wildcards", "%_\\".into()),
        ("control", "\r\n\u{1b}[31m".into()),
    ]
}

/// Fields where any text gets a well-formed 2xx answer by design, with the reason.
const JUDGED_NOT_STORED: &[(&str, &str, &str)] = &[
    ("link_status", "token", "answers whether the link is usable: no"),
    ("registration_page", "code", "answers the page of an unusable link"),
    ("registration_confirmation", "token", "answers the page of an unusable link"),
    ("employees", "filter", "an unknown filter shows the Employees list (the page's address may carry anything)"),
    ("invitation_funnel", "by", "an unknown grouping shows the sums by channel (the page's address may carry anything)"),
    ("invite_by_email", "addresses", "answers a report that refuses each bad line"),
    ("invite_by_sms", "numbers", "answers a report that refuses each bad line"),
    ("preview_bulk_invitations", "rows", "answers a preview that marks the row bad; nothing is stored"),
    ("save_registration_settings", "enabled", "a checkbox: any value means checked"),
    ("set_everyone_can_invite", "allowed", "a checkbox: any value means checked"),
];

/// Functions whose success ends the caller's session, so the fuzzing client would stop
/// reaching the rest; they take no input worth fuzzing.
const SKIPPED: &[&str] = &["logout"];

#[sqlx::test]
async fn hostile_input_gets_a_4xx_never_a_5xx(pool: PgPool) {
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let top: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &admin, "Sales", top, now).await.unwrap().to_string();
    let group = intranet::workgroups::service::create(&pool, &admin, "Hiking", "", now).await.unwrap().to_string();
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await.to_string();
    let app = spawn_app_with(pool.clone(), |config| config.signups_per_hour = 100_000).await;
    let client = app.logged_in("ann@acme.test").await;

    let mut accepted_oversized = Vec::new();
    for (endpoint, access, args) in MATRIX {
        if SKIPPED.contains(endpoint) {
            continue;
        }
        let base: Vec<(&str, String)> = args
            .iter()
            .map(|(name, value)| {
                let value = match *value {
                    "{d}" => sales.clone(),
                    "{p}" | "{q}" => bo.clone(),
                    "{g}" => group.clone(),
                    "{i}" => "1".into(),
                    other => other.to_string(),
                };
                (*name, value)
            })
            .chain(matches!(access, Access::Member | Access::Admin).then(|| ("slug", "acme".to_string())))
            .collect();
        let mut variants: Vec<(String, Vec<(&str, String)>)> = Vec::new();
        for (index, (field, _)) in base.iter().enumerate() {
            for (label, value) in hostile_values() {
                let mut form = base.clone();
                form[index].1 = value;
                variants.push((format!("{field} {label}"), form));
            }
            let mut missing = base.clone();
            missing.remove(index);
            variants.push((format!("{field} missing"), missing));
        }
        let mut extra = base.clone();
        extra.push(("unexpected", "x".repeat(20_000)));
        variants.push(("an unknown field".into(), extra));

        for (what, form) in variants {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let response = app.post(&client, endpoint, &form).await;
            let status = response.status().as_u16();
            let body = response.text().await.unwrap_or_default();
            assert!((200..500).contains(&status), "{endpoint} with {what}: {status} {body}");
            if status == 422 {
                let error: intranet::error::AppError =
                    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint} with {what}: not an AppError ({e}): {body}"));
                assert!(
                    matches!(&error, intranet::error::AppError::Invalid { field, message } if !field.is_empty() && !message.is_empty()),
                    "{endpoint} with {what}: a 422 names its field: {body}"
                );
            }
            let judged = JUDGED_NOT_STORED.iter().any(|(e, f, _)| e == endpoint && what == format!("{f} oversized"));
            if what.ends_with("oversized") && (200..300).contains(&status) && !judged {
                accepted_oversized.push(format!("{endpoint} {what}"));
            }
        }
    }
    assert!(accepted_oversized.is_empty(), "oversized input accepted: {accepted_oversized:#?}");
    // The server is still up and the admin still logged in.
    assert_eq!(app.post(&client, "portal_home", &[("slug", "acme")]).await.status(), 200);
}
