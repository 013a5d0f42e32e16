use chrono::Utc;
use intranet::error::AppError;
use intranet::structure::service::{add, delete, load, members, move_person, move_under, rename, set_head};
use sqlx::PgPool;

use crate::app::*;

async fn top_department(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT id FROM departments WHERE parent_id IS NULL AND portal_id = (SELECT id FROM portals WHERE slug = 'acme')")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_new_portal_has_one_top_department_where_people_land(pool: PgPool) {
    let passwords = passwords();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", Utc::now()).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    let structure = load(&pool, &admin).await.unwrap();
    assert_eq!(structure.departments.len(), 1);
    let top = &structure.departments[0];
    assert_eq!((top.name.as_str(), top.parent_id, top.member_count), ("acme Ltd", None, 2));
    let listed: Vec<i64> = members(&pool, &admin, top.id).await.unwrap().members.iter().map(|m| m.account_id).collect();
    assert_eq!(listed, [bo, ann]);
}

#[sqlx::test]
async fn admins_build_the_tree_and_move_people(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let bo = add_member(&pool, "acme", "bo@acme.test", ("Bo", "Berg"), "active", "employee").await;
    let admin = caller(&pool, ann, "acme").await;
    let top = top_department(&pool).await;
    let sales = add(&pool, &admin, "Sales", top, now).await.unwrap();
    let north = add(&pool, &admin, "North", sales, now).await.unwrap();
    let it = add(&pool, &admin, "IT", top, now).await.unwrap();
    rename(&pool, &admin, it, "Engineering", now).await.unwrap();
    move_person(&pool, &admin, bo, north, now).await.unwrap();
    set_head(&pool, &admin, north, Some(bo), now).await.unwrap();

    let tree = load(&pool, &admin).await.unwrap().departments;
    let shape: Vec<(String, Option<i64>, i64, Option<String>)> =
        tree.iter().map(|d| (d.name.clone(), d.parent_id, d.member_count, d.head_name.clone())).collect();
    assert_eq!(
        shape,
        [
            ("acme Ltd".into(), None, 1, None),
            ("Engineering".into(), Some(top), 0, None),
            ("Sales".into(), Some(top), 0, None),
            ("North".into(), Some(sales), 1, Some("Bo Berg".into())),
        ]
    );

    // Bad input is refused beside its field; nothing changes.
    assert!(matches!(add(&pool, &admin, "  ", top, now).await, Err(AppError::Invalid { field, .. }) if field == "name"));
    assert!(matches!(move_under(&pool, &admin, sales, north, now).await, Err(AppError::Invalid { field, .. }) if field == "parent_id"));
    assert!(matches!(move_under(&pool, &admin, sales, sales, now).await, Err(AppError::Invalid { .. })));
    assert!(matches!(move_under(&pool, &admin, top, it, now).await, Err(AppError::Invalid { .. })));
    // Deleting: not with sub-departments, not with people unless they move up.
    assert!(matches!(delete(&pool, &admin, sales, true, now).await, Err(AppError::Conflict(_))));
    assert!(matches!(delete(&pool, &admin, north, false, now).await, Err(AppError::Conflict(_))));
    delete(&pool, &admin, north, true, now).await.unwrap();
    let bo_department: i64 =
        sqlx::query_scalar("SELECT department_id FROM memberships WHERE account_id = $1").bind(bo).fetch_one(&pool).await.unwrap();
    assert_eq!(bo_department, sales);
    // Head counts follow moves, dismissals and hiring.
    let count = |name: &'static str| {
        let (pool, admin) = (pool.clone(), admin.clone());
        async move { load(&pool, &admin).await.unwrap().departments.into_iter().find(|d| d.name == name).map(|d| d.member_count) }
    };
    assert_eq!(count("Sales").await, Some(1));
    use intranet::people::service::{PersonAction, act_on_person};
    act_on_person(&pool, &admin, bo, PersonAction::Dismiss, now).await.unwrap();
    assert_eq!(count("Sales").await, Some(0));
    act_on_person(&pool, &admin, bo, PersonAction::Hire, now).await.unwrap();
    assert_eq!(count("Sales").await, Some(1));
    assert!(matches!(delete(&pool, &admin, top, true, now).await, Err(AppError::Conflict(_))));

    // Employees read the tree but cannot change it.
    let employee = caller(&pool, bo, "acme").await;
    assert!(load(&pool, &employee).await.is_ok());
    assert_eq!(add(&pool, &employee, "Mine", top, now).await, Err(AppError::Forbidden));
    assert_eq!(move_person(&pool, &employee, bo, top, now).await, Err(AppError::Forbidden));
}

#[sqlx::test]
async fn concurrent_moves_never_make_a_cycle(pool: PgPool) {
    let passwords = passwords();
    let now = Utc::now();
    let ann = portal_with_admin(&pool, &passwords, "acme", "ann@acme.test", now).await;
    let admin = caller(&pool, ann, "acme").await;
    let top = top_department(&pool).await;
    for round in 0..10 {
        let a = add(&pool, &admin, &format!("A{round}"), top, now).await.unwrap();
        let b = add(&pool, &admin, &format!("B{round}"), top, now).await.unwrap();
        // Each move alone is fine; together they would make A and B each other's parent.
        let (first, second) = tokio::join!(move_under(&pool, &admin, a, b, now), move_under(&pool, &admin, b, a, now));
        assert!(first.is_ok() != second.is_ok(), "round {round}: exactly one move wins: {first:?} {second:?}");
    }
    // Every department still reaches the top.
    let unreachable: i64 = sqlx::query_scalar(
        "WITH RECURSIVE down AS (SELECT id FROM departments WHERE parent_id IS NULL
                                 UNION ALL SELECT d.id FROM departments d JOIN down ON d.parent_id = down.id)
         SELECT (SELECT count(*) FROM departments) - (SELECT count(*) FROM down)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(unreachable, 0);
}
