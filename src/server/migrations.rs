//! Migrations: forward-only, run at start-up (the server refuses to start if they fail).
//!
//! Two migrations, 0002 and 0005, were edited after they had landed. A database that ran
//! their first text has sqlx's record of that text's checksum and would refuse to start;
//! [`run`] first brings such a database to what the edited text makes, and records the
//! edited checksum, in one transaction. The recorded checksums (`migrations/landed.sha384`
//! for 0001 to 0011, and one `<name>.sql.sha384` per migration from 0010 on) and the test below keep
//! any landed migration from changing again.

use sqlx::PgPool;
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!();

/// A landed migration whose text changed afterwards: the checksum of its first text, and
/// the SQL that takes a database made by that text to what the current text makes.
struct EditedAfterLanding {
    version: i64,
    first_checksum: &'static str,
    catch_up: &'static str,
}

const EDITED: [EditedAfterLanding; 2] = [
    EditedAfterLanding {
        version: 2,
        first_checksum: "0843cbf8862ed39b5cfd39c87d4ca451993bf578c76e04938d60e3fd3baa9bf8c3e30a6a2f480d227345807435e5364c",
        catch_up: r#"
ALTER TABLE departments ADD COLUMN active_members integer NOT NULL DEFAULT 0;
UPDATE departments d SET active_members = (SELECT count(*) FROM memberships m WHERE m.department_id = d.id AND m.status = 'active');
CREATE FUNCTION count_department_members() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.status = NEW.status AND OLD.department_id = NEW.department_id THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE departments SET active_members = active_members - 1 WHERE id = OLD.department_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'active' THEN
        UPDATE departments SET active_members = active_members + 1 WHERE id = NEW.department_id;
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER memberships_count_department_members AFTER INSERT OR UPDATE OF status, department_id OR DELETE
    ON memberships FOR EACH ROW EXECUTE FUNCTION count_department_members();
"#,
    },
    EditedAfterLanding {
        version: 5,
        first_checksum: "1cad1e63aa88becc0286b10672e810560f6621f55940da9a60292ada6ce80dd0bd889d03e748ca8faea784b401378a0d",
        catch_up: r#"
ALTER TABLE registration_requests DROP COLUMN client_addr;
DROP INDEX IF EXISTS registration_requests_by_email;
CREATE INDEX registration_requests_by_portal ON registration_requests (portal_id) WHERE used_at IS NULL;
CREATE TABLE registration_attempts (
    id          bigserial PRIMARY KEY,
    client_addr text NOT NULL,
    email       text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE INDEX registration_attempts_by_client ON registration_attempts (client_addr, at);
CREATE INDEX registration_attempts_by_email ON registration_attempts (email, at);
"#,
    },
];

/// Catches up databases made by the first text of an edited migration, then applies
/// every migration not yet applied.
pub async fn run(pool: &PgPool) -> Result<(), String> {
    catch_up_edited(pool).await.map_err(|e| format!("database migration failed, not starting: {e}"))?;
    MIGRATOR.run(pool).await.map_err(|e| format!("database migration failed, not starting: {e}"))
}

/// Every migration this build knows has been applied (readiness: an instance of a newer
/// build may not serve before its migrations ran).
pub async fn all_applied(pool: &PgPool) -> Result<bool, sqlx::Error> {
    let applied: Vec<i64> = sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success").fetch_all(pool).await?;
    Ok(MIGRATOR.iter().all(|m| applied.contains(&m.version)))
}

async fn catch_up_edited(pool: &PgPool) -> Result<(), sqlx::Error> {
    let recorded: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL").fetch_one(pool).await?;
    if !recorded {
        return Ok(());
    }
    for edited in &EDITED {
        let Some(current) = MIGRATOR.iter().find(|m| m.version == edited.version) else { continue };
        let mut tx = pool.begin().await?;
        // Locked, so two instances starting at once do not both catch up.
        let first_text: Option<i64> =
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE version = $1 AND encode(checksum, 'hex') = $2 FOR UPDATE")
                .bind(edited.version)
                .bind(edited.first_checksum)
                .fetch_optional(&mut *tx)
                .await?;
        if first_text.is_none() {
            continue;
        }
        tracing::warn!(version = edited.version, "bringing a database made by an edited migration's first text up to date");
        sqlx::raw_sql(edited.catch_up).execute(&mut *tx).await?;
        sqlx::query("UPDATE _sqlx_migrations SET checksum = $2 WHERE version = $1")
            .bind(edited.version)
            .bind(current.checksum.as_ref())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use sha2::{Digest, Sha384};

    /// Forward-only migrations: each migration's checksum is recorded when it is added,
    /// and a recorded file must never change. The checksums of 0001 to 0011 are in
    /// `migrations/landed.sha384` (0010 and 0011 also in their own files, with the same
    /// sums), which itself never changes again; every later
    /// migration brings its own `<name>.sql.sha384` beside it, in the same commit (a new
    /// file, so recording it edits nothing that has landed).
    #[test]
    fn landed_migrations_never_change() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut checksum_files = vec![folder.join("landed.sha384")];
        checksum_files.extend(
            std::fs::read_dir(&folder)
                .into_iter()
                .flatten()
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.to_string_lossy().ends_with(".sql.sha384")),
        );
        let listed: HashMap<String, String> = checksum_files
            .iter()
            .flat_map(|path| std::fs::read_to_string(path).unwrap_or_default().lines().map(str::to_string).collect::<Vec<_>>())
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(|line| line.split_once("  ").map(|(sum, name)| (name.trim().to_string(), sum.trim().to_string())))
            .collect();
        let mut files = 0;
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".sql") {
                continue;
            }
            files += 1;
            let text = std::fs::read(entry.path()).unwrap_or_default();
            let sum: String = Sha384::digest(&text).iter().map(|b| format!("{b:02x}")).collect();
            match listed.get(&name) {
                None => panic!(
                    "{name} has no recorded checksum: add migrations/{name}.sha384 holding `{sum}  {name}` in the commit that adds it"
                ),
                Some(landed) => {
                    assert_eq!(landed, &sum, "{name} changed after it landed: put the change in a new migration and restore the file")
                }
            }
        }
        assert_eq!(files, listed.len(), "a checksum is recorded for a migration that does not exist");
        assert!(files >= 5);
    }

    /// A database made by the first texts of 0002 and 0005 (and nothing after) starts:
    /// it is caught up to the edited texts, and the later migrations then apply.
    #[sqlx::test(migrations = false)]
    async fn databases_made_by_the_first_texts_are_caught_up(pool: sqlx::PgPool) {
        use std::borrow::Cow;
        let up_to_5 = sqlx::migrate::Migrator {
            migrations: Cow::Owned(super::MIGRATOR.iter().filter(|m| m.version <= 5).cloned().collect()),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        up_to_5.run(&pool).await.unwrap();
        // What the first texts made, instead of what the edited ones make.
        sqlx::raw_sql(
            "DROP TRIGGER memberships_count_department_members ON memberships;
             DROP FUNCTION count_department_members();
             ALTER TABLE departments DROP COLUMN active_members;
             DROP TABLE registration_attempts;
             DROP INDEX registration_requests_by_portal;
             ALTER TABLE registration_requests ADD COLUMN client_addr text NOT NULL DEFAULT '';
             CREATE INDEX registration_requests_by_client ON registration_requests (client_addr, created_at);
             CREATE INDEX registration_requests_by_email ON registration_requests (email, created_at);",
        )
        .execute(&pool)
        .await
        .unwrap();
        for edited in &super::EDITED {
            sqlx::query("UPDATE _sqlx_migrations SET checksum = decode($2, 'hex') WHERE version = $1")
                .bind(edited.version)
                .bind(edited.first_checksum)
                .execute(&pool)
                .await
                .unwrap();
        }
        // An app with people in it, so the caught-up counts have something to count.
        sqlx::raw_sql(
            "INSERT INTO portals (slug, name) VALUES ('acme', 'Acme');
             INSERT INTO accounts (login, password_hash, first_name, last_name) VALUES ('ann@acme.test', 'x', 'Ann', 'Lee');
             INSERT INTO memberships (portal_id, account_id, status, role, department_id)
                 SELECT p.id, a.id, 'active', 'admin', d.id FROM portals p, accounts a, departments d WHERE d.portal_id = p.id;",
        )
        .execute(&pool)
        .await
        .unwrap();
        assert!(super::MIGRATOR.run(&pool).await.is_err(), "sqlx alone refuses the changed checksums");

        super::run(&pool).await.unwrap();
        let counted: i32 = sqlx::query_scalar("SELECT active_members FROM departments").fetch_one(&pool).await.unwrap();
        assert_eq!(counted, 1);
        let client_addr: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_name = 'registration_requests' AND column_name = 'client_addr')",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        assert!(!client_addr);
        let applied: i64 = sqlx::query_scalar("SELECT max(version) FROM _sqlx_migrations").fetch_one(&pool).await.unwrap();
        assert_eq!(applied, super::MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0));
        // Started again: nothing left to catch up, nothing fails.
        super::run(&pool).await.unwrap();
    }

    #[test]
    fn edited_migrations_record_their_first_text() {
        for edited in &super::EDITED {
            assert_eq!(edited.first_checksum.len(), 96);
            assert!(super::MIGRATOR.iter().any(|m| m.version == edited.version));
        }
    }
}
