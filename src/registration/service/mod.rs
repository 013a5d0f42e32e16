//! Registration rules: `settings` (what administrators switch, and the rule preview),
//! `joining` (the quick registration link, its confirmation emails and the confirmation),
//! and `approval` (the queue of registrations awaiting an administrator). Every setting
//! is read from the database on each request (nothing is cached), so the next request
//! after a change sees it.

mod approval;
mod joining;
mod links;
mod settings;

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::Email;
use crate::error::AppError;
use crate::membership::email_in_use;
use crate::registration::{Outcome, Rules, letters, outcome};

pub use approval::decide_registration;
pub use joining::{ATTEMPTS_PER_CLIENT, ATTEMPTS_PER_EMAIL, RegistrationForm, SWITCHED_OFF, confirm, confirmation, page, request};
pub use links::{InviteLinkForm, USED_UP, create_invite_link, invite_links, revoke_invite_link};
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
    /// Set when the code is one of the portal's named invite links: the rules above are
    /// then the link's (open or not, Public or Moderated), and it adds a department.
    pub invite_link_id: Option<i64>,
    pub department_id: Option<i64>,
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
        r#"SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                  registration_code, everyone_can_invite, NULL::bigint AS invite_link_id, NULL::bigint AS department_id
           FROM portals WHERE id = $1"#,
        portal_id
    )
    .fetch_one(&mut *db)
    .await?)
}

/// The rules behind a registration code: the portal's quick registration link, or one
/// of its named invite links (open while not revoked, expired or used up).
pub(super) async fn portal_by_code(db: &mut PgConnection, code: &str, now: DateTime<Utc>) -> Result<Option<PortalRules>, AppError> {
    Ok(sqlx::query_as!(
        PortalRules,
        r#"SELECT id AS "id!", name AS "name!", slug AS "slug!", quick_registration AS "quick_registration!",
                  registration_moderated AS "registration_moderated!", trusted_domains AS "trusted_domains!",
                  registration_greeting AS "registration_greeting!", registration_code AS "registration_code!",
                  everyone_can_invite AS "everyone_can_invite!", invite_link_id, department_id
           FROM (SELECT id, name, slug, quick_registration, registration_moderated, trusted_domains, registration_greeting,
                        registration_code, everyone_can_invite, NULL::bigint AS invite_link_id, NULL::bigint AS department_id
                 FROM portals WHERE registration_code = $1
                 UNION ALL
                 SELECT p.id, p.name, p.slug,
                        l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $2)
                          AND (l.max_uses IS NULL OR l.uses < l.max_uses),
                        l.moderated, p.trusted_domains, p.registration_greeting, l.code, p.everyone_can_invite, l.id, l.department_id
                 FROM invite_links l JOIN portals p ON p.id = l.portal_id WHERE l.code = $1) AS found"#,
        code.trim(),
        now
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

/// The portal whose registration page `code` opens, if it is the current quick
/// registration link or an open invite link: the page's live stream is tied to it. (A
/// revoked, expired or used-up invite link never opens again, so its stream ends.)
pub async fn portal_of_link(pool: &PgPool, code: &str) -> Result<Option<i64>, AppError> {
    let found = portal_by_code(&mut *pool.acquire().await?, code, chrono::Utc::now()).await?;
    Ok(found.filter(|p| p.invite_link_id.is_none() || p.quick_registration).map(|p| p.id))
}
