use chrono::Utc;
use intranet::activity::service::{chat, post, send_message, stream};
use intranet::error::AppError;
use intranet::membership::announce_joined;
use intranet::workgroups::service as workgroups;
use sqlx::PgPool;

use crate::app::*;

#[sqlx::test]
async fn posts_and_messages_are_checked_and_notices_reach_both(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let me = caller(&pool, ann, "acme").await;
    post(&pool, &me, "  First <b>post</b>  ", now).await.unwrap();
    assert!(matches!(post(&pool, &me, " \n ", now).await, Err(AppError::Invalid { field, .. }) if field == "text"));
    assert!(matches!(post(&pool, &me, &"x".repeat(5001), now).await, Err(AppError::Invalid { .. })));
    assert!(matches!(send_message(&pool, &me, &"x".repeat(2001), now).await, Err(AppError::Invalid { .. })));
    send_message(&pool, &me, "Hello all", now).await.unwrap();

    let mut tx = pool.begin().await.unwrap();
    announce_joined(&mut tx, me.portal_id, bo, now).await.unwrap();
    tx.commit().await.unwrap();

    let feed = stream(&pool, &me, None, Utc::now()).await.unwrap();
    let items: Vec<(String, String, bool)> = feed.items.iter().map(|i| (i.author_name.clone(), i.body.clone(), i.is_notice)).collect();
    assert_eq!(
        items,
        [("Bitrix24".into(), "Bo Berg joined the portal".into(), true), ("Ann Lee".into(), "First <b>post</b>".into(), false)]
    );
    let messages: Vec<String> = chat(&pool, &me, None, Utc::now()).await.unwrap().items.into_iter().map(|i| i.body).collect();
    assert_eq!(messages, ["Hello all", "Bo Berg joined the portal"]);
}

#[sqlx::test]
async fn html_in_a_post_is_shown_as_text(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    post(&pool, &caller(&pool, ann, "acme").await, "<script>alert(1)</script>", Utc::now()).await.unwrap();
    let app = spawn_app(pool.clone()).await;
    let client = app.logged_in("ann@acme.test").await;
    let page = client.get(format!("{}/p/acme", app.base)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "escaped text in the page");
    assert!(!page.contains("<script>alert(1)"));
}

#[sqlx::test]
async fn stream_pages_go_back_in_time(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    let me = caller(&pool, ann, "acme").await;
    for n in 0..25 {
        post(&pool, &me, &format!("post {n}"), Utc::now()).await.unwrap();
    }
    let first = stream(&pool, &me, None, Utc::now()).await.unwrap();
    assert_eq!(first.items.first().map(|i| i.body.as_str()), Some("post 24"));
    let older = stream(&pool, &me, first.older, Utc::now()).await.unwrap();
    assert_eq!(older.items.iter().map(|i| i.body.as_str()).collect::<Vec<_>>(), ["post 4", "post 3", "post 2", "post 1", "post 0"]);
    assert_eq!(older.older, None);
}

#[sqlx::test]
async fn workgroups_are_managed_by_their_creator_and_admins(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let cy = add_member(&pool, "acme", "cy@acme.test", ("Cy", "Cole"), "active", "employee").await;
    add_member(&pool, "acme", "ed@acme.test", ("Ed", "Eng"), "dismissed", "employee").await;
    let (ann_c, bo_c, cy_c) = (caller(&pool, ann, "acme").await, caller(&pool, bo, "acme").await, caller(&pool, cy, "acme").await);

    let group = workgroups::create(&pool, &bo_c, "Hiking", "Weekend walks", now).await.unwrap();
    assert!(matches!(workgroups::create(&pool, &cy_c, "hiking", "", now).await, Err(AppError::Invalid { field, .. }) if field == "name"));
    workgroups::add_member(&pool, &bo_c, group, cy, now).await.unwrap();
    assert!(matches!(workgroups::add_member(&pool, &bo_c, group, cy, now).await, Err(AppError::Invalid { .. })), "already a member");
    // Dismissed people and strangers cannot be added.
    let ed: i64 = sqlx::query_scalar("SELECT id FROM accounts WHERE login = 'ed@acme.test'").fetch_one(&pool).await.unwrap();
    assert!(matches!(workgroups::add_member(&pool, &bo_c, group, ed, now).await, Err(AppError::Invalid { .. })));
    assert!(matches!(workgroups::add_member(&pool, &bo_c, group, 999_999, now).await, Err(AppError::Invalid { .. })));
    // Cy is a member, not the creator: may leave, may not manage.
    assert_eq!(workgroups::add_member(&pool, &cy_c, group, ann, now).await, Err(AppError::Forbidden));
    assert_eq!(workgroups::remove_member(&pool, &cy_c, group, bo).await, Err(AppError::Forbidden));
    workgroups::add_member(&pool, &ann_c, group, ann, now).await.unwrap();

    let detail = workgroups::detail(&pool, &ann_c, group).await.unwrap();
    assert_eq!(detail.members.iter().map(|m| m.name.as_str()).collect::<Vec<_>>(), ["Bo Berg", "Cy Cole", "Ann Lee"]);
    assert!(detail.can_manage);
    workgroups::remove_member(&pool, &cy_c, group, cy).await.unwrap();
    let list = workgroups::list(&pool, &cy_c).await.unwrap();
    assert_eq!((list[0].member_count, list[0].i_am_member), (2, false));

    // The profile shows a person's groups.
    let profile = intranet::people::service::profile(&pool, &cy_c, bo).await.unwrap();
    assert_eq!(profile.workgroups.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Hiking"]);
}
