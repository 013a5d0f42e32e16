//! The invitation funnel: each step recorded when it happens (delivery through a real
//! SMTP exchange), the sums by channel, inviter and week being counts of the list's own
//! rows, what someone who is not an administrator sees, and the CSV downloads over HTTP.

use chrono::Utc;
use intranet::invitations::funnel::{FunnelGrouping, FunnelStep};
use intranet::invitations::service::funnel::funnel;
use intranet::invitations::service::{InviteRequest, NewPerson, accept_new, invite_by_email, page};
use intranet::mail::worker::deliver_due;
use intranet::registration::service::{self as registration, InviteLinkForm, RegistrationForm};
use sqlx::PgPool;

use crate::app::*;
use crate::smtp::SmtpServer;

const CHOSEN: &str = "blue-lantern-77";

async fn invite(pool: &PgPool, inviter: &intranet::access::PortalCaller, address: &str) {
    let request = InviteRequest { addresses: address.into(), ..Default::default() };
    let report = invite_by_email(pool, &config("http://127.0.0.1:9"), inviter, &request, Utc::now()).await.unwrap();
    assert_eq!(report.invited, [address]);
}

async fn register_through(pool: &PgPool, code: &str, email: &str) -> String {
    let form = RegistrationForm { email: email.into(), first_name: "Reg".into(), last_name: "Istrant".into(), password: CHOSEN.into() };
    registration::request(pool, &passwords(), &config("http://127.0.0.1:9"), code, &form, &format!("client-of-{email}"), Utc::now())
        .await
        .unwrap();
    token_from_outbox(pool, email, "/register/confirm").await
}

/// The portal of the tests: Ann (admin) invites Dee and Eve by e-mail; Cy (an employee,
/// as everyone may invite) invites Fay; Gus registers through the quick registration
/// link (moderated), Hal through Ann's invite link. Every message is delivered over
/// SMTP; Dee joins, Eve only opens her link, Gus confirms and is approved, Hal never
/// confirms. Answers Ann's and Cy's account ids.
async fn a_portal_with_every_channel(pool: &PgPool) -> (i64, i64) {
    let maildir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = SmtpServer::start(port, &maildir.path().join("mail")).await;
    let now = Utc::now();
    let ann_id = portal_with_admin(pool, &passwords(), "acme", "ann@acme.test", now).await;
    let cy_id = add_member(pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    sqlx::query("UPDATE portals SET everyone_can_invite = true, quick_registration = true").execute(pool).await.unwrap();
    let ann = caller(pool, ann_id, "acme").await;
    let cy = caller(pool, cy_id, "acme").await;
    invite(pool, &ann, "dee@acme.test").await;
    invite(pool, &ann, "eve@acme.test").await;
    invite(pool, &cy, "fay@acme.test").await;
    let quick: String = sqlx::query_scalar("SELECT registration_code FROM portals").fetch_one(pool).await.unwrap();
    let gus = register_through(pool, &quick, "gus@else.test").await;
    let link = InviteLinkForm { name: "Fair".into(), link_type: "public".into(), ..Default::default() };
    registration::create_invite_link(pool, &ann, &link, now).await.unwrap();
    let fair: String = sqlx::query_scalar("SELECT code FROM invite_links").fetch_one(pool).await.unwrap();
    register_through(pool, &fair, "hal@else.test").await;

    // Read before delivery, which blanks the links in the stored messages.
    let dee = token_from_outbox(pool, "dee@acme.test", "/invite").await;
    let eve = token_from_outbox(pool, "eve@acme.test", "/invite").await;
    let deliverer = deliverer_to(Some(format!("smtp://127.0.0.1:{port}")), None);
    assert_eq!(deliver_due(pool, &deliverer, Utc::now()).await.unwrap(), 5);
    assert_eq!(smtp.received().len(), 5, "the SMTP server got every message");
    smtp.stop().await;

    page(pool, &dee, None, Utc::now()).await.unwrap();
    let person = NewPerson { first_name: "Dee".into(), last_name: "Dunn".into(), password: CHOSEN.into() };
    accept_new(pool, &passwords(), &config("http://127.0.0.1:9"), &dee, &person, Utc::now()).await.unwrap();
    page(pool, &eve, None, Utc::now()).await.unwrap();
    // Opening a link again keeps the first time.
    let opened: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT opened_at FROM invitations WHERE target = 'eve@acme.test'").fetch_one(pool).await.unwrap();
    page(pool, &eve, None, Utc::now()).await.unwrap();
    let again: chrono::DateTime<Utc> =
        sqlx::query_scalar("SELECT opened_at FROM invitations WHERE target = 'eve@acme.test'").fetch_one(pool).await.unwrap();
    assert_eq!(opened, again);

    registration::confirmation(pool, &gus, Utc::now()).await.unwrap();
    let confirmed = registration::confirm(pool, &passwords(), &config("http://127.0.0.1:9"), &gus, CHOSEN, Utc::now()).await.unwrap();
    assert_eq!(confirmed.outcome, intranet::registration::Outcome::AwaitsApproval);
    registration::decide_registration(pool, &config("http://127.0.0.1:9"), &ann, confirmed.account_id, true, Utc::now()).await.unwrap();
    (ann_id, cy_id)
}

#[sqlx::test]
async fn each_step_is_recorded_and_every_count_is_a_count_of_the_list(pool: PgPool) {
    let (ann_id, _) = a_portal_with_every_channel(&pool).await;
    let ann = caller(&pool, ann_id, "acme").await;
    let now = Utc::now();

    let by_channel = funnel(&pool, &ann, FunnelGrouping::Channel, 1, now).await.unwrap();
    let groups: Vec<(&str, [i64; 5])> = by_channel.groups.iter().map(|g| (g.label.as_str(), g.counts)).collect();
    assert_eq!(
        groups,
        [("E-mail", [3, 3, 2, 1, 1]), ("Quick registration", [1, 1, 1, 1, 1]), ("Invite link", [1, 1, 0, 0, 0])],
        "sent, delivered, link opened, registered, active"
    );
    assert_eq!(by_channel.total, [5, 5, 3, 2, 2]);
    // Each step's count is the number of the list's rows that reached it.
    assert_eq!(by_channel.rows.len(), 5);
    for (index, step) in FunnelStep::ALL.iter().enumerate() {
        let reached = by_channel.rows.iter().filter(|row| row.steps[index].is_some()).count() as i64;
        assert_eq!(reached, by_channel.total[index], "{}", step.label());
    }
    let dee = by_channel.rows.iter().find(|r| r.contact == "dee@acme.test").unwrap();
    assert_eq!((dee.channel.as_str(), dee.invited_by.as_str()), ("E-mail", "Ann Lee"));
    assert!(dee.steps.iter().all(Option::is_some), "Dee went all the way");
    let hal = by_channel.rows.iter().find(|r| r.contact == "hal@else.test").unwrap();
    assert_eq!((hal.channel.as_str(), hal.invited_by.as_str()), ("Invite link: Fair", "Ann Lee"), "a link's inviter is its creator");
    assert!(by_channel.chart.contains("Registered: 2 (40%)"), "the chart is drawn from the same totals");

    let by_inviter = funnel(&pool, &ann, FunnelGrouping::Inviter, 1, now).await.unwrap();
    let groups: Vec<(&str, [i64; 5])> = by_inviter.groups.iter().map(|g| (g.label.as_str(), g.counts)).collect();
    assert_eq!(groups, [("Ann Lee", [3, 3, 2, 1, 1]), ("Cy Cole", [1, 1, 0, 0, 0]), ("No one (quick registration)", [1, 1, 1, 1, 1])]);
    let by_week = funnel(&pool, &ann, FunnelGrouping::Week, 1, now).await.unwrap();
    assert_eq!(by_week.groups.len(), 1, "everything happened this week");
    assert_eq!(by_week.total, by_channel.total, "every grouping adds up to the same total");

    // Gus became active when approved, after he confirmed.
    let gus = by_channel.rows.iter().find(|r| r.contact == "gus@else.test").unwrap();
    let (registered, active) = (gus.steps[3].as_ref().unwrap(), gus.steps[4].as_ref().unwrap());
    assert!(registered.iso <= active.iso);

    // A day after Hal's confirmation link expired, the address typed into the public form
    // is gone; the row still counts as sent and delivered.
    let later = now + chrono::Duration::hours(intranet::registration::CONFIRMATION_HOURS + 25);
    let form =
        RegistrationForm { email: "ida@else.test".into(), first_name: "Ida".into(), last_name: "Ives".into(), password: CHOSEN.into() };
    let quick: String = sqlx::query_scalar("SELECT registration_code FROM portals").fetch_one(&pool).await.unwrap();
    registration::request(&pool, &passwords(), &config("http://127.0.0.1:9"), &quick, &form, "another-client", later).await.unwrap();
    let kept: (String, String, String) =
        sqlx::query_as("SELECT email, first_name, password_hash FROM registration_requests WHERE invite_link_id IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(kept, (String::new(), String::new(), String::new()));
    let after = funnel(&pool, &ann, FunnelGrouping::Channel, 1, later).await.unwrap();
    assert_eq!(after.total, [6, 5, 3, 2, 2], "Ida's registration is sent, not yet delivered");
    let link_row = after.rows.iter().find(|r| r.channel == "Invite link: Fair").unwrap();
    assert_eq!(link_row.contact, "Address not kept (never confirmed)");
    assert!(link_row.steps[1].is_some());
}

#[sqlx::test]
async fn a_registration_turned_away_stays_registered_and_never_becomes_active(pool: PgPool) {
    let now = Utc::now();
    let ann_id = portal_with_admin(&pool, &passwords(), "acme", "ann@acme.test", now).await;
    let ann = caller(&pool, ann_id, "acme").await;
    sqlx::query("UPDATE portals SET quick_registration = true").execute(&pool).await.unwrap();
    let quick: String = sqlx::query_scalar("SELECT registration_code FROM portals").fetch_one(&pool).await.unwrap();
    // Turned away once, then approved on a second try: two rows, one of them active.
    for approve in [false, true] {
        let token = register_through(&pool, &quick, "jo@else.test").await;
        let confirmed = registration::confirm(&pool, &passwords(), &config("http://127.0.0.1:9"), &token, CHOSEN, now).await.unwrap();
        registration::decide_registration(&pool, &config("http://127.0.0.1:9"), &ann, confirmed.account_id, approve, now).await.unwrap();
    }
    let shown = funnel(&pool, &ann, FunnelGrouping::Channel, 1, now).await.unwrap();
    assert_eq!(shown.total, [2, 0, 0, 2, 1], "sent, delivered, opened, registered, active");
    // A page past the end shows the last one.
    assert_eq!(funnel(&pool, &ann, FunnelGrouping::Channel, 9, now).await.unwrap().page, 1);
}

#[sqlx::test]
async fn someone_who_is_not_an_administrator_sees_only_their_own_invitations(pool: PgPool) {
    let (_, cy_id) = a_portal_with_every_channel(&pool).await;
    let cy = caller(&pool, cy_id, "acme").await;
    let mine = funnel(&pool, &cy, FunnelGrouping::Channel, 1, Utc::now()).await.unwrap();
    assert_eq!(mine.total, [1, 1, 0, 0, 0]);
    let contacts: Vec<&str> = mine.rows.iter().map(|r| r.contact.as_str()).collect();
    assert_eq!(contacts, ["fay@acme.test"]);
}

#[sqlx::test]
async fn the_csv_downloads_hold_the_same_rows_and_sums_and_only_for_the_portal_s_people(pool: PgPool) {
    a_portal_with_every_channel(&pool).await;
    portal_with_admin(&pool, &passwords(), "other", "olga@other.test", Utc::now()).await;
    let app = spawn_app(pool.clone()).await;
    let ann = app.logged_in("ann@acme.test").await;

    let rows = ann.get(format!("{}/p/acme/employees/invited/funnel.csv?by=invitation", app.base)).send().await.unwrap();
    assert_eq!(rows.status(), 200);
    assert_eq!(rows.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(rows.headers()["content-disposition"], "attachment; filename=\"invitations.csv\"");
    let text = rows.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("Channel,Invited,Invited by,Sent,Delivered,Link opened,Registered,Active"));
    let body: Vec<&str> = lines.collect();
    assert_eq!(body.len(), 5);
    let hal = body.iter().find(|line| line.contains("hal@else.test")).unwrap();
    assert!(hal.starts_with("Invite link: Fair,hal@else.test,Ann Lee,"), "{hal}");
    assert!(hal.ends_with(",,,"), "Hal never opened the confirmation link: {hal}");

    let sums = ann.get(format!("{}/p/acme/employees/invited/funnel.csv?by=channel", app.base)).send().await.unwrap();
    let text = sums.text().await.unwrap();
    assert_eq!(
        text.lines().collect::<Vec<_>>(),
        [
            "Channel,Sent,Delivered,Link opened,Registered,Active",
            "E-mail,3,3,2,1,1",
            "Quick registration,1,1,1,1,1",
            "Invite link,1,1,0,0,0",
            "Total,5,5,3,2,2"
        ]
    );

    // Someone from another portal learns nothing, and nobody logged out gets a file.
    let olga = app.logged_in("olga@other.test").await;
    let outsider = olga.get(format!("{}/p/acme/employees/invited/funnel.csv?by=invitation", app.base)).send().await.unwrap();
    assert_eq!(outsider.status(), 404);
    let anonymous = app.client().get(format!("{}/p/acme/employees/invited/funnel.csv?by=channel", app.base)).send().await.unwrap();
    assert!(anonymous.status().is_redirection(), "{}", anonymous.status());
    assert!(anonymous.headers()["location"].to_str().unwrap().starts_with("/login?next="));
}
