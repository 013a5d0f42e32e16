//! Named invite links: their limits (uses, expiry, department, Public or Moderated),
//! revoking, the 50-way race on a link with 10 uses left, and the quick registration
//! link working beside them.

use chrono::{Duration, Utc};
use intranet::domain::time::{Zone, end_of_day, today};
use intranet::error::AppError;
use intranet::registration::service::{self, InviteLinkForm, RegistrationForm, SWITCHED_OFF, SettingsForm, USED_UP};
use intranet::registration::{LinkState, Outcome, RegistrationPage};
use sqlx::PgPool;

use crate::app::*;

const CHOSEN: &str = "blue-lantern-77";

fn local() -> intranet::server::config::Config {
    config("http://127.0.0.1:9")
}

fn link(name: &str, max_uses: &str, expires_on: &str, department_id: &str, link_type: &str) -> InviteLinkForm {
    InviteLinkForm {
        name: name.into(),
        max_uses: max_uses.into(),
        expires_on: expires_on.into(),
        department_id: department_id.into(),
        link_type: link_type.into(),
    }
}

/// The code of the newest link of this name.
async fn code_of(pool: &PgPool, name: &str) -> String {
    sqlx::query_scalar("SELECT code FROM invite_links WHERE name = $1 ORDER BY id DESC LIMIT 1").bind(name).fetch_one(pool).await.unwrap()
}

/// Registers through a link (each from its own client address) and answers the token
/// of the confirmation e-mail.
async fn register(pool: &PgPool, passwords: &intranet::crypto::passwords::Passwords, code: &str, email: &str) -> Result<String, AppError> {
    let form = RegistrationForm { email: email.into(), first_name: "Reg".into(), last_name: "Istrant".into(), password: CHOSEN.into() };
    // Each registrant comes from a client of their own, below the per-client limit.
    let client = format!("client-of-{email}");
    service::request(pool, passwords, &local(), code, &form, &client, Utc::now()).await?;
    Ok(token_from_outbox(pool, email, "/register/confirm").await)
}

async fn membership_of(pool: &PgPool, email: &str) -> Option<(String, String)> {
    sqlx::query_as(
        "SELECT m.status::text, d.name FROM memberships m JOIN accounts a ON a.id = m.account_id
         JOIN departments d ON d.id = m.department_id WHERE a.login = $1",
    )
    .bind(email)
    .fetch_optional(pool)
    .await
    .unwrap()
}

#[sqlx::test]
async fn invite_links_keep_their_own_limits_and_close_when_revoked(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let top: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL").fetch_one(&pool).await.unwrap();
    let sales = intranet::structure::service::add(&pool, &admin, "Sales", top, now).await.unwrap();

    // A Public link for two people into Sales; quick registration itself stays off.
    service::create_invite_link(&pool, &admin, &link("Sales fair", "2", "", &sales.to_string(), "public"), now).await.unwrap();
    let code = code_of(&pool, "Sales fair").await;
    assert!(matches!(service::page(&pool, &code).await.unwrap(), RegistrationPage::Open { moderated: false, .. }));
    let first = register(&pool, &passwords, &code, "one@else.test").await.unwrap();
    let second = register(&pool, &passwords, &code, "two@else.test").await.unwrap();
    let third = register(&pool, &passwords, &code, "three@else.test").await.unwrap();
    for token in [&first, &second] {
        let confirmed = service::confirm(&pool, &passwords, &local(), token, CHOSEN, now).await.unwrap();
        assert_eq!(confirmed.outcome, Outcome::Active);
    }
    assert_eq!(membership_of(&pool, "one@else.test").await, Some(("active".into(), "Sales".into())), "the link's department");
    // The third came in time to register, but the link is used up when they confirm.
    let late = service::confirm(&pool, &passwords, &local(), &third, CHOSEN, now).await;
    assert_eq!(late, Err(AppError::Conflict(USED_UP.into())));
    assert_eq!(membership_of(&pool, "three@else.test").await, None);
    assert_eq!(service::page(&pool, &code).await.unwrap(), RegistrationPage::SwitchedOff);
    assert_eq!(register(&pool, &passwords, &code, "four@else.test").await, Err(AppError::Conflict(SWITCHED_OFF.into())));

    // A Moderated link with no limit: newcomers wait for approval, in the top department.
    service::create_invite_link(&pool, &admin, &link("Partners", "", "", "", "moderated"), now).await.unwrap();
    let partners = code_of(&pool, "Partners").await;
    let token = register(&pool, &passwords, &partners, "partner@else.test").await.unwrap();
    let pending = register(&pool, &passwords, &partners, "later@else.test").await.unwrap();
    let waiting = register(&pool, &passwords, &partners, "waiting@else.test").await.unwrap();
    // Switching the quick registration link on and off leaves the invite links' requests be.
    for enabled in [true, false] {
        let quick = SettingsForm { enabled, registration_type: "public".into(), trusted_domains: String::new(), greeting: String::new() };
        service::save_settings(&pool, &admin, &quick, now).await.unwrap();
    }
    assert_eq!(service::confirm(&pool, &passwords, &local(), &waiting, CHOSEN, now).await.unwrap().outcome, Outcome::AwaitsApproval);
    assert_eq!(service::confirm(&pool, &passwords, &local(), &token, CHOSEN, now).await.unwrap().outcome, Outcome::AwaitsApproval);
    assert_eq!(membership_of(&pool, "partner@else.test").await.map(|m| m.0), Some("pending_approval".into()));

    // The list shows each link's uses and state.
    let links = service::invite_links(&pool, &local(), &admin, now).await.unwrap();
    let shown: Vec<String> =
        links.iter().map(|l| format!("{} {}/{:?} {:?} {:?}", l.name, l.uses, l.max_uses, l.state, l.department)).collect();
    assert_eq!(shown, ["Partners 2/None Open None", "Sales fair 2/Some(2) UsedUp Some(\"Sales\")"]);
    assert!(links[0].link.ends_with(&format!("/join/{partners}")));

    // A denied newcomer gives the use back.
    let partner: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'partner@else.test'").fetch_one(&pool).await.unwrap();
    service::decide_registration(&pool, &local(), &admin, partner, false, now).await.unwrap();
    assert_eq!(service::invite_links(&pool, &local(), &admin, now).await.unwrap()[0].uses, 1);

    // Revoking closes it at once, for registrations already under way too.
    let partners_id = links[0].id;
    service::revoke_invite_link(&pool, &admin, partners_id, now).await.unwrap();
    assert_eq!(service::page(&pool, &partners).await.unwrap(), RegistrationPage::SwitchedOff);
    assert_eq!(service::confirm(&pool, &passwords, &local(), &pending, CHOSEN, now).await, Err(AppError::LinkExpired));
    assert_eq!(service::revoke_invite_link(&pool, &admin, partners_id, now).await, Err(AppError::NotFound));
    assert_eq!(service::invite_links(&pool, &local(), &admin, now).await.unwrap()[0].state, LinkState::Revoked);

    // The quick registration link works beside them, as before.
    let quick = SettingsForm { enabled: true, registration_type: "public".into(), trusted_domains: String::new(), greeting: String::new() };
    service::save_settings(&pool, &admin, &quick, now).await.unwrap();
    let quick_code: String = sqlx::query_scalar("SELECT registration_code FROM portals").fetch_one(&pool).await.unwrap();
    let token = register(&pool, &passwords, &quick_code, "quick@else.test").await.unwrap();
    assert_eq!(service::confirm(&pool, &passwords, &local(), &token, CHOSEN, now).await.unwrap().outcome, Outcome::Active);
    assert_eq!(membership_of(&pool, "quick@else.test").await, Some(("active".into(), "acme Ltd".into())));
}

#[sqlx::test]
async fn a_link_works_until_the_end_of_its_day(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    // The admin's day, in Tokyo: the link closes at the end of it there.
    sqlx::query("UPDATE accounts SET time_zone = 'Asia/Tokyo'").execute(&pool).await.unwrap();
    let admin = caller(&pool, ann, "acme").await;
    let tokyo = Zone::from_stored("Asia/Tokyo");
    let their_today = today(tokyo, now);
    service::create_invite_link(&pool, &admin, &link("Today only", "", &their_today.to_string(), "", "public"), now).await.unwrap();
    let code = code_of(&pool, "Today only").await;
    let token = register(&pool, &passwords, &code, "slow@else.test").await.unwrap();
    // As the day ends there: well within the request's own 24 hours.
    let closed = end_of_day(their_today, tokyo);
    assert!(closed < now + Duration::hours(24));
    assert_eq!(service::confirm(&pool, &passwords, &local(), &token, CHOSEN, closed).await, Err(AppError::LinkExpired));
    assert_eq!(service::invite_links(&pool, &local(), &admin, closed).await.unwrap()[0].state, LinkState::Expired);
    let links = service::invite_links(&pool, &local(), &admin, now).await.unwrap();
    assert_eq!((links[0].state, links[0].expires_on.clone()), (LinkState::Open, Some(their_today.format("%-d %b %Y").to_string())));
    let last_second = end_of_day(their_today, tokyo) - Duration::seconds(1);
    assert_eq!(service::confirm(&pool, &passwords, &local(), &token, CHOSEN, last_second).await.unwrap().outcome, Outcome::Active);
}

#[sqlx::test]
async fn invite_links_are_for_administrators_and_checked(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let employee = caller(&pool, bo, "acme").await;
    let good = link("Fair", "10", "", "", "public");
    assert_eq!(service::create_invite_link(&pool, &employee, &good, now).await, Err(AppError::Forbidden));
    assert_eq!(service::invite_links(&pool, &local(), &employee, now).await, Err(AppError::Forbidden));

    // Another portal's department, and each bad field, is named.
    let other = portal_with_admin(&pool, &passwords, "other", "olga@other.test", now).await;
    let theirs: i64 = sqlx::query_scalar("SELECT d.id FROM departments d JOIN portals p ON p.id = d.portal_id WHERE p.slug = 'other'")
        .fetch_one(&pool)
        .await
        .unwrap();
    let yesterday = (now - Duration::days(2)).date_naive().to_string();
    let cases = [
        (link("", "10", "", "", "public"), "name"),
        (link("Fair", "0", "", "", "public"), "max_uses"),
        (link("Fair", "ten", "", "", "public"), "max_uses"),
        (link("Fair", "", &yesterday, "", "public"), "expires_on"),
        (link("Fair", "", "31/12/2027", "", "public"), "expires_on"),
        (link("Fair", "", "", &theirs.to_string(), "public"), "department_id"),
        (link("Fair", "", "", "", "sometimes"), "link_type"),
    ];
    for (form, field) in cases {
        let answer = service::create_invite_link(&pool, &admin, &form, now).await;
        assert!(matches!(answer, Err(AppError::Invalid { field: ref f, .. }) if f == field), "{field}: {answer:?}");
    }
    assert!(service::invite_links(&pool, &local(), &admin, now).await.unwrap().is_empty(), "nothing half-made");
    // At most 100 open links; a used-up one does not count.
    service::create_invite_link(&pool, &admin, &link("Used", "1", "", "", "public"), now).await.unwrap();
    sqlx::query("UPDATE invite_links SET uses = 1").execute(&pool).await.unwrap();
    for i in 0..intranet::registration::MAX_OPEN_LINKS {
        service::create_invite_link(&pool, &admin, &link(&format!("Link {i}"), "", "", "", "public"), now).await.unwrap();
    }
    let over = service::create_invite_link(&pool, &admin, &good, now).await;
    assert!(matches!(over, Err(AppError::Conflict(ref m)) if m.contains("at most 100 open links")), "{over:?}");
    // Another portal's link cannot be revoked from here.
    let olga = caller(&pool, other, "other").await;
    service::create_invite_link(&pool, &olga, &good, now).await.unwrap();
    let their_link: i64 = sqlx::query_scalar("SELECT l.id FROM invite_links l JOIN portals p ON p.id = l.portal_id WHERE p.slug = 'other'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(service::revoke_invite_link(&pool, &admin, their_link, now).await, Err(AppError::NotFound));
}

#[sqlx::test]
async fn fifty_people_racing_for_ten_uses_let_exactly_ten_in(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    service::create_invite_link(&pool, &admin, &link("Launch", "10", "", "", "public"), now).await.unwrap();
    let code = code_of(&pool, "Launch").await;
    let mut tokens = Vec::new();
    for i in 0..50 {
        tokens.push(register(&pool, &passwords, &code, &format!("racer{i}@else.test")).await.unwrap());
    }
    let racers: Vec<_> = tokens
        .into_iter()
        .map(|token| {
            let (pool, passwords) = (pool.clone(), passwords.clone());
            tokio::spawn(async move { service::confirm(&pool, &passwords, &local(), &token, CHOSEN, now).await })
        })
        .collect();
    let mut joined = 0;
    let mut refused = 0;
    for racer in racers {
        match racer.await.unwrap() {
            Ok(confirmed) if confirmed.outcome == Outcome::Active => joined += 1,
            Err(AppError::Conflict(message)) if message == USED_UP => refused += 1,
            other => panic!("unexpected answer: {other:?}"),
        }
    }
    assert_eq!((joined, refused), (10, 40));
    let members: i64 =
        sqlx::query_scalar("SELECT count(*) FROM memberships m JOIN accounts a ON a.id = m.account_id WHERE a.login LIKE 'racer%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let uses: i32 = sqlx::query_scalar("SELECT uses FROM invite_links").fetch_one(&pool).await.unwrap();
    assert_eq!((members, uses), (10, 10));
}
