//! Fills a portal with many people for benchmarks and trying the lists at scale:
//! employees across a three-level department tree, and workgroups. Idempotent: an
//! existing portal of that address is left as it is.

use sqlx::PgPool;

use crate::crypto::passwords::hash_now;

pub struct SeedSize {
    pub employees: i64,
    pub departments: i64,
    pub workgroups: i64,
}

pub const FULL: SeedSize = SeedSize { employees: 100_000, departments: 500, workgroups: 200 };

const FIRST_NAMES: &[&str] = &[
    "Ann", "Bo", "Carla", "Dmitri", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas", "Kira", "Liam", "Maya", "Nikolai", "Olga", "Pablo",
    "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Xenia", "Yusuf", "Zoe", "Aiko", "Bruno", "Chloe", "Diego", "Emma", "Felix",
    "Greta", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Marco", "Nora",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Ivanova",
    "Garcia",
    "Müller",
    "Rossi",
    "Kowalski",
    "Novak",
    "Silva",
    "Dubois",
    "Jensen",
    "Tanaka",
    "Kim",
    "Nguyen",
    "Okafor",
    "Haddad",
    "Larsen",
    "Petrov",
    "Santos",
    "Weber",
    "Fischer",
    "Moreau",
    "Ricci",
    "Berg",
    "Lindqvist",
    "Horvat",
    "Popescu",
    "Yilmaz",
    "Cohen",
    "Schmidt",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Schröder",
    "Neumann",
    "Braun",
    "Zimmermann",
    "Krüger",
    "Hartmann",
    "Lange",
    "Werner",
    "Lehmann",
    "Köhler",
    "Walter",
    "Maier",
    "Mayer",
];
const POSITIONS: &[&str] = &[
    "Accountant",
    "Analyst",
    "Designer",
    "Developer",
    "Engineer",
    "Lawyer",
    "Manager",
    "Marketer",
    "Recruiter",
    "Sales representative",
    "Support specialist",
    "Team lead",
    "Technician",
    "Tester",
    "Writer",
];

/// Creates portal `slug` with admin `admin_login` (password `password`) and `size` people.
/// Returns false when the portal already existed.
pub async fn seed(pool: &PgPool, slug: &str, admin_login: &str, password: &str, size: &SeedSize) -> Result<bool, String> {
    let exists = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM portals WHERE slug = $1) AS "exists!""#, slug)
        .fetch_one(pool)
        .await
        .map_err(|e| e.to_string())?;
    if exists {
        return Ok(false);
    }
    let hash = hash_now(password).map_err(|e| e.to_string())?;
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let portal_id = sqlx::query_scalar!("INSERT INTO portals (slug, name) VALUES ($1, 'Big Company') RETURNING id", slug)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    let top = sqlx::query_scalar!("SELECT id FROM departments WHERE portal_id = $1 AND parent_id IS NULL", portal_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;

    // The tree: 10 divisions, 7 groups in each, and teams under the groups.
    let mut departments = vec![top];
    let mut groups = Vec::new();
    let mut next_parent = 0usize;
    for n in 1..size.departments {
        let (parent, name) = if n <= 10 {
            (top, format!("Division {n}"))
        } else if n <= 80 {
            (departments[1 + (n as usize - 11) / 7], format!("Group {}", n - 10))
        } else {
            next_parent = (next_parent + 1) % groups.len().max(1);
            (groups.get(next_parent).copied().unwrap_or(top), format!("Team {}", n - 80))
        };
        let id = sqlx::query_scalar!(
            "INSERT INTO departments (portal_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id",
            portal_id,
            parent,
            name
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        departments.push(id);
        if (11..=80).contains(&n) {
            groups.push(id);
        }
    }

    let firsts: Vec<String> = FIRST_NAMES.iter().map(|s| s.to_string()).collect();
    let lasts: Vec<String> = LAST_NAMES.iter().map(|s| s.to_string()).collect();
    let positions: Vec<String> = POSITIONS.iter().map(|s| s.to_string()).collect();
    let domain = format!("{slug}.test");
    sqlx::query!(
        "INSERT INTO accounts (login, password_hash, first_name, last_name)
         VALUES ($1, $2, 'Admin', 'Istrator')",
        admin_login,
        hash
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    sqlx::query!(
        "INSERT INTO accounts (login, password_hash, first_name, last_name)
         SELECT 'person' || g || '@' || $5, $1, ($2::text[])[1 + g % array_length($2, 1)],
                ($3::text[])[1 + (g / array_length($2, 1)) % array_length($3, 1)]
         FROM generate_series(1, $4::bigint - 1) g",
        hash,
        &firsts,
        &lasts,
        size.employees,
        domain
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    // The search words of a million people are made in one pass afterwards, not row by
    // row (minutes rather than a quarter of an hour). Turning the trigger off locks the
    // table until the seed commits: a seed is for a benchmark's or a demo's database.
    sqlx::query("ALTER TABLE memberships DISABLE TRIGGER memberships_words_inserted").execute(&mut *tx).await.map_err(|e| e.to_string())?;
    // Mostly active employees; a few of every other kind so each filter has rows. The
    // position is drawn from a hash of the id: people of one name share ids spaced
    // evenly, so a plain `id % n` gave everyone of a name the same job.
    sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, contact_email, position, department_id)
         SELECT $1, a.id,
                CASE WHEN a.login = $5 THEN 'active' WHEN a.id % 100 = 1 THEN 'dismissed' WHEN a.id % 100 = 2 THEN 'invited'
                     WHEN a.id % 200 = 3 THEN 'pending_approval' ELSE 'active' END::membership_status,
                CASE WHEN a.login = $5 OR a.id % 1000 = 7 THEN 'admin' ELSE 'employee' END::member_role,
                a.login, ($2::text[])[1 + (hashint8(a.id) & 2147483647) % array_length($2, 1)], ($3::bigint[])[1 + (a.id / 7) % array_length($3, 1)]
         FROM accounts a WHERE a.login LIKE '%@' || $4 OR a.login = $5",
        portal_id,
        &positions,
        &departments,
        domain,
        admin_login
    )
    .execute(&mut *tx)
    .await
    .map_err(|e| e.to_string())?;
    sqlx::query("SELECT add_portal_words($1)").bind(portal_id).execute(&mut *tx).await.map_err(|e| e.to_string())?;
    sqlx::query("ALTER TABLE memberships ENABLE TRIGGER memberships_words_inserted").execute(&mut *tx).await.map_err(|e| e.to_string())?;
    for n in 1..=size.workgroups {
        let group = sqlx::query_scalar!(
            "INSERT INTO workgroups (portal_id, name, description) VALUES ($1, $2, 'Seeded group') RETURNING id",
            portal_id,
            format!("Project {n}")
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
        sqlx::query!(
            "INSERT INTO workgroup_members (workgroup_id, portal_id, account_id)
             SELECT $1, $2, account_id FROM memberships WHERE portal_id = $2 AND status = 'active' AND account_id % $3 = $4 LIMIT 50",
            group,
            portal_id,
            size.workgroups,
            n % size.workgroups
        )
        .execute(&mut *tx)
        .await
        .map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    // 100k head-count updates in one transaction leave the small departments table full
    // of dead row versions; day-to-day single updates are pruned as they go.
    sqlx::query("VACUUM FULL departments").execute(pool).await.map_err(|e| e.to_string())?;
    // Vacuumed as well as analyzed: until autovacuum passes, a bulk load leaves the
    // visibility map empty, and index-only scans (the "Pending" badge's count) visit the
    // table instead: 10 ms rather than 1 at a million people.
    sqlx::query("VACUUM (ANALYZE)").execute(pool).await.map_err(|e| e.to_string())?;
    Ok(true)
}
