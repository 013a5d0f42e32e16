//! The closed sets of values the database stores. Each maps to a Postgres enum type of
//! the same name (migration 0007) through `sqlx::Type`, and to its snake_case key in
//! JSON, so a typo is a compile error instead of a row nobody matches.

use serde::{Deserialize, Serialize};

/// Declares an enum with its Postgres type, its keys and `ALL`.
macro_rules! stored_enum {
    ($(#[$doc:meta])* $name:ident as $pg:literal { $($(#[$vdoc:meta])* $variant:ident = $key:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "ssr", derive(sqlx::Type))]
        #[cfg_attr(feature = "ssr", sqlx(type_name = $pg, rename_all = "snake_case"))]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vdoc])* $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value as stored and sent: the same word in the database and in JSON.
            pub fn key(self) -> &'static str {
                match self {
                    $($name::$variant => $key),+
                }
            }

            pub fn from_key(key: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.key() == key)
            }
        }
    };
}

stored_enum! {
    /// A member's role in a portal.
    Role as "member_role" { Admin = "admin", Employee = "employee" }
}

stored_enum! {
    /// Where a person stands in a portal.
    MembershipStatus as "membership_status" {
        /// Invited, not joined yet.
        Invited = "invited",
        /// Registered through the quick registration link; waits for an administrator.
        PendingApproval = "pending_approval",
        Active = "active",
        Dismissed = "dismissed",
    }
}

stored_enum! {
    /// The portal's plan, cheapest first.
    Plan as "plan" {
        Free = "free",
        Basic = "basic",
        Standard = "standard",
        Professional = "professional",
        CrmPlus = "crm_plus",
        ProjectPlus = "project_plus",
    }
}

stored_enum! {
    /// How a message or an invitation travels.
    Channel as "channel" { Email = "email", Sms = "sms" }
}

stored_enum! {
    /// An invitation's life.
    InvitationStatus as "invitation_status" { Pending = "pending", Accepted = "accepted", Cancelled = "cancelled" }
}

stored_enum! {
    /// An outbox message's delivery.
    DeliveryStatus as "delivery_status" { Queued = "queued", Sent = "sent", Failed = "failed" }
}

impl Plan {
    /// The plan's name as people read it.
    pub fn name(self) -> &'static str {
        match self {
            Plan::Free => "Free",
            Plan::Basic => "Basic",
            Plan::Standard => "Standard",
            Plan::Professional => "Professional",
            Plan::CrmPlus => "CRM+",
            Plan::ProjectPlus => "Project+",
        }
    }

    pub fn is_paid(self) -> bool {
        self != Plan::Free
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_match_the_json() {
        for plan in Plan::ALL {
            assert_eq!(Plan::from_key(plan.key()), Some(*plan));
            assert_eq!(serde_json::to_string(plan).unwrap(), format!("\"{}\"", plan.key()));
        }
        for status in MembershipStatus::ALL {
            assert_eq!(MembershipStatus::from_key(status.key()), Some(*status));
        }
        assert_eq!(Role::from_key("owner"), None);
        assert_eq!(serde_json::from_str::<MembershipStatus>("\"pending_approval\"").unwrap(), MembershipStatus::PendingApproval);
        assert_eq!(Plan::CrmPlus.name(), "CRM+");
    }
}
