//! Registration rules: `settings` (what administrators switch, and the rule preview),
//! `joining` (the quick registration link, its confirmation emails and the confirmation),
//! and `approval` (the queue of registrations awaiting an administrator). Every setting
//! is read from the database on each request (nothing is cached), so the next request
//! after a change sees it.

mod approval;
mod joining;
mod settings;

use sqlx::{PgConnection, PgPool};

use crate::domain::Email;
use crate::error::AppError;
use crate::membership::email_in_use;
use crate::registration::{Outcome, Rules, letters, outcome};

pub use approval::decide_registration;
pub use joining::{ATTEMPTS_PER_CLIENT, ATTEMPTS_PER_EMAIL, RegistrationForm, SWITCHED_OFF, confirm, confirmation, page, request};
pub use settings::{SettingsForm, check_address, quick_registration, regenerate_link, save_settings, set_everyone_can_invite, settings};

pub(super) struct PortalRules {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub quick_registration: bool,
    pub registration_moderated: bool,
    pub trusted_domains: Vec<String>,
    pub registration_greeting: String,
    pub registration_code: String,
    pub everyone_can_invite: bool,
}

impl PortalRules {
    pub fn rules(&self) -> Rules {
        Rules {
            enabled: self.quick_registration,
            moderated: self.registration_moderated,
            trusted_domains: self.trusted_domains.clone(),
            code: self.registration_code.clone(),
        }
    }
}

pub(super) async fn portal_rules(db: &mut PgConnection, portal_id: i64) -> Result<PortalRules, AppError> {
    Ok(sqlx::query_as!(
        PortalRules,
        "SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                registration_code, everyone_can_invite
         FROM portals WHERE id = $1",
        portal_id
    )
    .fetch_one(&mut *db)
    .await?)
}

pub(super) async fn portal_by_code(db: &mut PgConnection, code: &str) -> Result<Option<PortalRules>, AppError> {
    Ok(sqlx::query_as!(
        PortalRules,
        "SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                registration_code, everyone_can_invite
         FROM portals WHERE registration_code = $1",
        code.trim()
    )
    .fetch_optional(&mut *db)
    .await?)
}

pub fn link_path(code: &str) -> String {
    format!("/join/{code}")
}

/// The rule, with the database's part: an address that is already a member's login or
/// contact email cannot register.
pub(super) async fn decide(db: &mut PgConnection, portal: &PortalRules, code_used: &str, email: &Email) -> Result<Outcome, AppError> {
    let rule = outcome(&portal.rules(), code_used, email);
    if rule != Outcome::SwitchedOff && email_in_use(db, portal.id, email, None).await? {
        return Ok(Outcome::AlreadyMember);
    }
    Ok(rule)
}

/// The portal whose registration page `code` opens, if it is the current link: the
/// page's live stream is tied to it.
pub async fn portal_of_link(pool: &PgPool, code: &str) -> Result<Option<i64>, AppError> {
    Ok(portal_by_code(&mut *pool.acquire().await?, code).await?.map(|p| p.id))
}
