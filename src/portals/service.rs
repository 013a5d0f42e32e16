use chrono::{DateTime, Duration, Utc};
use sqlx::PgPool;

use crate::access::PortalCaller;
use crate::audit::AuditEntry;
use crate::auth::password_policy::check_new_password;
use crate::crypto::passwords::Passwords;
use crate::domain::{DisplayText, Email, Plan, PortalSlug};
use crate::error::AppError;
use crate::server::config::Config;
use crate::throttle::{self, Limit};

/// The "Create your Bitrix24" form. Personal fields are absent when a logged-in person
/// creates another portal with their existing account.
#[derive(Debug, Clone, Default)]
pub struct SignUpForm {
    pub company_name: String,
    pub slug: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
}

#[derive(Debug)]
pub struct SignedUp {
    pub account_id: i64,
    pub slug: String,
    /// True when a new account was made (and so the person needs a session).
    pub new_account: bool,
}

struct NewAccount {
    first_name: DisplayText,
    last_name: DisplayText,
    email: Email,
    password: String,
}

fn field<T>(name: &str, parsed: Result<T, String>) -> Result<T, AppError> {
    parsed.map_err(|message| AppError::invalid(name, message))
}

/// Creates the portal on the Free plan with the person as its administrator, and the
/// network account too unless `existing_account` is given. One transaction.
pub async fn sign_up(
    pool: &PgPool,
    passwords: &Passwords,
    config: &Config,
    form: &SignUpForm,
    existing_account: Option<i64>,
    now: DateTime<Utc>,
) -> Result<SignedUp, AppError> {
    let company = field("company_name", DisplayText::parse(&form.company_name, "the company name", 100))?;
    let slug = field("slug", PortalSlug::parse(&form.slug))?;
    let new_account = match existing_account {
        Some(_) => None,
        None => Some(NewAccount {
            first_name: field("first_name", DisplayText::parse(form.first_name.as_deref().unwrap_or(""), "your first name", 50))?,
            last_name: field("last_name", DisplayText::parse(form.last_name.as_deref().unwrap_or(""), "your last name", 50))?,
            email: field("email", Email::parse(form.email.as_deref().unwrap_or("")))?,
            password: {
                let password = form.password.clone().unwrap_or_default();
                field("password", check_new_password(&password))?;
                password
            },
        }),
    };

    let slug_taken =
        sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM portals WHERE slug = $1) AS "taken!""#, slug.as_str()).fetch_one(pool).await?;
    if slug_taken {
        return Err(slug_taken_error());
    }
    if let Some(new) = &new_account {
        let login_taken = sqlx::query_scalar!(r#"SELECT EXISTS (SELECT 1 FROM accounts WHERE login = $1) AS "taken!""#, new.email.as_str())
            .fetch_one(pool)
            .await?;
        if login_taken {
            return Err(login_taken_error());
        }
    }
    let password_hash = match &new_account {
        Some(new) => Some(passwords.hash(&new.password).await?),
        None => None,
    };

    let mut tx = pool.begin().await?;
    let (account_id, contact_email) = match (&new_account, existing_account, password_hash) {
        (Some(new), _, Some(hash)) => {
            let id = sqlx::query_scalar!(
                "INSERT INTO accounts (login, password_hash, first_name, last_name, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
                new.email.as_str(),
                hash,
                new.first_name.as_str(),
                new.last_name.as_str(),
                now,
            )
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| unique_violation_as(e, "accounts_login_key", login_taken_error()))?;
            (id, Some(new.email.to_string()))
        }
        (None, Some(id), _) => {
            let login = sqlx::query_scalar!("SELECT login FROM accounts WHERE id = $1", id).fetch_one(&mut *tx).await?;
            (id, Email::parse(&login).ok().map(|e| e.to_string()))
        }
        _ => return Err(AppError::Internal),
    };
    let portal_id = sqlx::query_scalar!(
        "INSERT INTO portals (slug, name, plan, created_at) VALUES ($1, $2, 'free', $3) RETURNING id",
        slug.as_str(),
        company.as_str(),
        now,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|e| unique_violation_as(e, "portals_slug_key", slug_taken_error()))?;
    sqlx::query!(
        "INSERT INTO memberships (portal_id, account_id, status, role, contact_email, created_at) VALUES ($1, $2, 'active', 'admin', $3, $4)",
        portal_id,
        account_id,
        contact_email,
        now,
    )
    .execute(&mut *tx)
    .await?;
    // The new address must be proven before the portal sends invitations.
    if let Some(new) = &new_account {
        crate::auth::email_confirmation::send_link(&mut tx, config, account_id, &new.email, now).await?;
    }
    tx.commit().await?;
    Ok(SignedUp { account_id, slug: slug.to_string(), new_account: new_account.is_some() })
}

/// Counts one sign-up of the client, before any password is hashed: refused (429) past
/// `SIGNUPS_PER_HOUR`, so the form can neither flood the database nor the hashing threads.
pub async fn count_sign_up(pool: &PgPool, config: &Config, client: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let limit = Limit { bucket: "signup-client", max: config.signups_per_hour, window: Duration::hours(1) };
    let _counted = throttle::take(pool, &[(limit, client)], now).await?;
    Ok(())
}

fn slug_taken_error() -> AppError {
    AppError::invalid("slug", "This address is already taken. Please choose another.")
}

fn login_taken_error() -> AppError {
    AppError::invalid("email", "This email already has a Bitrix24 account. Log in first, then create the portal from the front page.")
}

/// Turns the unique-constraint error of a race into the same message the early check
/// gives.
fn unique_violation_as(error: sqlx::Error, constraint: &str, instead: AppError) -> AppError {
    match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() && db.constraint() == Some(constraint) => instead,
        _ => error.into(),
    }
}

/// The operator's plan change (`intranet portal set-plan <address> <plan>`): there is no
/// billing, and no self-service. `portal` is the portal's address, as its slug or as a
/// URL ending in `/p/<slug>`. Audited as done by the system, and pushed to open pages.
/// Answers the old and the new plan.
pub async fn set_plan_by_operator(pool: &PgPool, portal: &str, plan: &str, now: DateTime<Utc>) -> Result<(Plan, Plan), String> {
    let plan = Plan::from_key(plan).ok_or_else(|| {
        let keys: Vec<&str> = Plan::ALL.iter().map(|p| p.key()).collect();
        format!("unknown plan {plan:?}; the plans are {}", keys.join(", "))
    })?;
    let slug = portal.trim().trim_end_matches('/').rsplit("/p/").next().unwrap_or_default().to_lowercase();
    let mut tx = pool.begin().await.map_err(|e| e.to_string())?;
    let found = sqlx::query!(r#"SELECT id, plan AS "plan: Plan" FROM portals WHERE slug = $1 FOR UPDATE"#, slug)
        .fetch_optional(&mut *tx)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no portal has the address {slug:?}"))?;
    if found.plan != plan {
        sqlx::query!("UPDATE portals SET plan = $2 WHERE id = $1", found.id, plan as Plan)
            .execute(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
        let detail = format!("{} to {} (by the server operator)", found.plan.name(), plan.name());
        crate::audit::record(&mut tx, found.id, None, "changed plan", None, &detail, now).await.map_err(|e| e.to_string())?;
        crate::live::server::notify(&mut *tx, found.id, crate::live::Topic::Settings).await.map_err(|e| e.to_string())?;
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok((found.plan, plan))
}

/// The audit log, for administrators only.
pub async fn audit_log(pool: &PgPool, caller: &PortalCaller, before: Option<i64>, now: DateTime<Utc>) -> Result<Vec<AuditEntry>, AppError> {
    caller.require_admin()?;
    crate::audit::list(pool, caller.portal_id, before, caller.zone, now).await
}

/// Whether the portal requires its administrators to use two-factor log-in.
pub async fn two_factor_rule(pool: &PgPool, caller: &PortalCaller) -> Result<bool, AppError> {
    caller.require_admin()?;
    Ok(sqlx::query_scalar!("SELECT admins_need_two_factor FROM portals WHERE id = $1", caller.portal_id).fetch_one(pool).await?)
}

/// Switches the two-factor rule for administrators. Switching it on asks the caller to
/// have two-factor log-in themselves first: the rule would otherwise shut them out of
/// this very page. Administrators without it lose the administrator pages at once.
pub async fn set_two_factor_rule(pool: &PgPool, caller: &PortalCaller, required: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    crate::access::lock_portal_as_admin(&mut tx, caller).await?;
    let was = sqlx::query_scalar!("SELECT admins_need_two_factor FROM portals WHERE id = $1", caller.portal_id).fetch_one(&mut *tx).await?;
    if was == required {
        return Ok(());
    }
    if required && !crate::auth::two_factor::is_on(&mut tx, caller.account_id).await? {
        return Err(AppError::invalid(
            "required",
            "Turn on two-factor log-in for yourself first (in your network profile): the rule would otherwise lock you out of Settings.",
        ));
    }
    sqlx::query!("UPDATE portals SET admins_need_two_factor = $2 WHERE id = $1", caller.portal_id, required).execute(&mut *tx).await?;
    let action =
        if required { "required two-factor log-in for administrators" } else { "stopped requiring two-factor log-in for administrators" };
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, action, None, "", now).await?;
    crate::live::server::notify(&mut *tx, caller.portal_id, crate::live::Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}
