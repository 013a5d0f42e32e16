//! The rule that decides who may invite people into a portal.

/// The invite rule itself: administrators always, everyone else while the portal's
/// "Allow everyone to invite new users" is on.
pub fn may_invite(is_admin: bool, everyone_can_invite: bool) -> bool {
    is_admin || everyone_can_invite
}

/// Why a portal sends no invitation yet.
pub const CONFIRM_FIRST: &str =
    "Confirm your e-mail address before sending invitations: open the link we sent you when this Bitrix24 was created.";

#[cfg(feature = "ssr")]
pub use server_side::{InviterScope, portal_may_send, require_confirmed_sender, require_inviter};

#[cfg(feature = "ssr")]
mod server_side {
    use sqlx::PgConnection;

    use super::may_invite;
    use crate::access::PortalCaller;
    use crate::domain::Role;
    use crate::error::AppError;

    /// Where an inviter may put the people they invite.
    #[derive(Debug, Clone, Copy)]
    pub struct InviterScope {
        pub is_admin: bool,
        /// The inviter's own department: the only one a non-administrator may choose.
        pub own_department: i64,
    }

    /// Who may invite: administrators, and every active employee while the portal's "Allow
    /// everyone to invite new users" is on (into their own department and workgroups).
    /// Read from the database on every call, so switching it off takes effect at once.
    pub async fn require_inviter(db: &mut PgConnection, caller: &PortalCaller) -> Result<InviterScope, AppError> {
        let row = sqlx::query!(
            r#"SELECT p.everyone_can_invite, m.department_id, m.role AS "role: Role",
                    p.admins_need_two_factor
                      AND NOT EXISTS (SELECT 1 FROM two_factor t WHERE t.account_id = m.account_id AND t.enabled_at IS NOT NULL)
                      AS "held_back!"
             FROM portals p
             JOIN memberships m ON m.portal_id = p.id AND m.account_id = $2 AND m.status = 'active'
             WHERE p.id = $1"#,
            caller.portal_id,
            caller.account_id
        )
        .fetch_optional(&mut *db)
        .await?
        .ok_or(AppError::NotFound)?;
        // The role as it is now, not as the request began: a demotion a moment ago counts,
        // and so does the portal's two-factor rule for administrators.
        let is_admin = row.role == Role::Admin && !row.held_back;
        if may_invite(is_admin, row.everyone_can_invite) {
            Ok(InviterScope { is_admin, own_department: row.department_id })
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the portal may send invitations: one of its active administrators has
    /// proven their e-mail address, so a sign-up with a stranger's address sends nothing.
    pub async fn portal_may_send(db: &mut PgConnection, portal_id: i64) -> Result<bool, AppError> {
        Ok(sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM memberships m JOIN accounts a ON a.id = m.account_id
               WHERE m.portal_id = $1 AND m.role = 'admin' AND m.status = 'active'
                 AND a.email_confirmed_at IS NOT NULL) AS "confirmed!""#,
            portal_id
        )
        .fetch_one(&mut *db)
        .await?)
    }

    /// Refuses (409, with what to do) until [`portal_may_send`].
    pub async fn require_confirmed_sender(db: &mut PgConnection, portal_id: i64) -> Result<(), AppError> {
        if portal_may_send(db, portal_id).await? { Ok(()) } else { Err(AppError::Conflict(super::CONFIRM_FIRST.into())) }
    }
}
