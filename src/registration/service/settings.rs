//! What administrators switch, and the rule preview ("Check an address").

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::*;
use crate::access::{PortalCaller, lock_portal_as_admin};
use crate::crypto::tokens::new_secret;
use crate::domain::Email;
use crate::error::AppError;
use crate::live::{Topic, server::notify};
use crate::registration::{MAX_GREETING_CHARS, Outcome, QuickRegistration, RegistrationSettings, parse_domains};
use crate::server::config::Config;

pub async fn settings(pool: &PgPool, config: &Config, caller: &PortalCaller) -> Result<RegistrationSettings, AppError> {
    caller.require_admin()?;
    let portal = portal_rules(&mut *pool.acquire().await?, caller.portal_id).await?;
    Ok(RegistrationSettings {
        enabled: portal.quick_registration,
        moderated: portal.registration_moderated,
        trusted_domains: portal.trusted_domains,
        greeting: portal.registration_greeting,
        link: config.link(&link_path(&portal.registration_code)),
        everyone_can_invite: portal.everyone_can_invite,
    })
}

/// "Quick registration" as the invite dialog shows it to anyone who may invite.
pub async fn quick_registration(pool: &PgPool, config: &Config, caller: &PortalCaller) -> Result<QuickRegistration, AppError> {
    let mut db = pool.acquire().await?;
    crate::access::invite::require_inviter(&mut db, caller).await?;
    let portal = portal_rules(&mut db, caller.portal_id).await?;
    Ok(QuickRegistration {
        link: portal.quick_registration.then(|| config.link(&link_path(&portal.registration_code))),
        moderated: portal.registration_moderated,
        is_admin: caller.is_admin,
    })
}

/// The "Additional settings" form as sent.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub enabled: bool,
    /// "public" or "moderated".
    pub registration_type: String,
    pub trusted_domains: String,
    pub greeting: String,
}

pub async fn save_settings(pool: &PgPool, caller: &PortalCaller, form: &SettingsForm, now: DateTime<Utc>) -> Result<(), AppError> {
    caller.require_admin()?;
    let moderated = match form.registration_type.as_str() {
        "public" => false,
        "moderated" => true,
        _ => return Err(AppError::invalid("registration_type", "Choose Public or Moderated.")),
    };
    let domains = parse_domains(&form.trusted_domains).map_err(|m| AppError::invalid("trusted_domains", m))?;
    let greeting = form.greeting.trim().replace("\r\n", "\n");
    if greeting.chars().count() > MAX_GREETING_CHARS {
        return Err(AppError::invalid("greeting", format!("The greeting is too long (at most {MAX_GREETING_CHARS} characters).")));
    }
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let old = portal_rules(&mut tx, caller.portal_id).await?;
    let mut changed = Vec::new();
    if old.quick_registration != form.enabled {
        changed.push(if form.enabled { "switched quick registration on" } else { "switched quick registration off" });
    }
    if old.registration_moderated != moderated {
        changed.push(if moderated { "type Moderated" } else { "type Public" });
    }
    if old.trusted_domains != domains {
        changed.push("domains without confirmation");
    }
    if old.registration_greeting != greeting {
        changed.push("greeting");
    }
    if changed.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        "UPDATE portals SET quick_registration = $2, registration_moderated = $3, trusted_domains = $4, registration_greeting = $5
         WHERE id = $1",
        caller.portal_id,
        form.enabled,
        moderated,
        &domains,
        greeting
    )
    .execute(&mut *tx)
    .await?;
    if old.quick_registration && !form.enabled {
        // Switching off ends the unconfirmed registrations too: switching on again must
        // not bring back what arrived before (spam, a leaked link). Only this link's: the
        // named invite links keep their own.
        sqlx::query!(
            "UPDATE registration_requests SET expires_at = $2
             WHERE portal_id = $1 AND registration_code = $3 AND used_at IS NULL AND expires_at > $2",
            caller.portal_id,
            now,
            old.registration_code
        )
        .execute(&mut *tx)
        .await?;
    }
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "changed registration settings", None, &changed.join(", "), now)
        .await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// "Regenerate link": the old link, and the unconfirmed registrations made through it,
/// stop working at once.
pub async fn regenerate_link(pool: &PgPool, caller: &PortalCaller, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let (code, _) = new_secret();
    sqlx::query!("UPDATE portals SET registration_code = $2 WHERE id = $1", caller.portal_id, code).execute(&mut *tx).await?;
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "regenerated the registration link", None, "", now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// "Allow everyone to invite new users to this Bitrix24 account".
pub async fn set_everyone_can_invite(pool: &PgPool, caller: &PortalCaller, allowed: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = pool.begin().await?;
    lock_portal_as_admin(&mut tx, caller).await?;
    let before = sqlx::query_scalar!("SELECT everyone_can_invite FROM portals WHERE id = $1", caller.portal_id).fetch_one(&mut *tx).await?;
    if before == allowed {
        return Ok(());
    }
    sqlx::query!("UPDATE portals SET everyone_can_invite = $2 WHERE id = $1", caller.portal_id, allowed).execute(&mut *tx).await?;
    let detail = if allowed { "everyone may invite" } else { "only administrators may invite" };
    crate::audit::record(&mut tx, caller.portal_id, caller.account_id, "changed who may invite", None, detail, now).await?;
    notify(&mut *tx, caller.portal_id, Topic::Settings).await?;
    tx.commit().await?;
    Ok(())
}

/// The rule preview: what would happen if `email` registered through the link now.
pub async fn check_address(pool: &PgPool, caller: &PortalCaller, email: &str) -> Result<Outcome, AppError> {
    caller.require_admin()?;
    let email = Email::parse(email).map_err(|m| AppError::invalid("email", m))?;
    let mut db = pool.acquire().await?;
    let portal = portal_rules(&mut db, caller.portal_id).await?;
    decide(&mut db, &portal, &portal.registration_code, &email).await
}
