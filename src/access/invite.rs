//! The rule that decides who may invite people into a portal.

/// The invite rule itself: administrators always, everyone else while the portal's
/// "Allow everyone to invite new users" is on.
pub fn may_invite(is_admin: bool, everyone_can_invite: bool) -> bool {
    is_admin || everyone_can_invite
}

#[cfg(feature = "ssr")]
pub use server_side::{InviterScope, require_inviter};

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
            r#"SELECT p.everyone_can_invite, m.department_id, m.role AS "role: Role" FROM portals p
             JOIN memberships m ON m.portal_id = p.id AND m.account_id = $2 AND m.status = 'active'
             WHERE p.id = $1"#,
            caller.portal_id,
            caller.account_id
        )
        .fetch_optional(&mut *db)
        .await?
        .ok_or(AppError::NotFound)?;
        // The role as it is now, not as the request began: a demotion a moment ago counts.
        let is_admin = row.role == Role::Admin;
        if may_invite(is_admin, row.everyone_can_invite) {
            Ok(InviterScope { is_admin, own_department: row.department_id })
        } else {
            Err(AppError::Forbidden)
        }
    }
}
