//! The portal a page is in, shared by every page inside the portal frame.

use super::{PageData, page_data};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};

use crate::domain::{Plan, Role};
use crate::error::AppError;

/// What a portal page needs to know about the portal and the person looking at it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PortalHome {
    pub slug: String,
    pub name: String,
    pub plan: Plan,
    pub my_role: Role,
    pub my_name: String,
    pub my_account_id: i64,
    /// Whether "Invite users" is offered to this person.
    pub can_invite: bool,
    /// The zone this person's times are shown in (detected by their browser).
    pub my_time_zone: String,
    /// An administrator whose portal requires two-factor log-in, without it: shown as an
    /// employee until it is set up.
    pub admin_needs_two_factor: bool,
}

/// The portal's address from the page's route (`/p/:slug/...`).
pub fn use_slug() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("slug").unwrap_or_default())
}

/// The portal and the viewer, loaded once by the frame for the pages inside it.
#[derive(Clone, Copy)]
pub struct CurrentPortal(pub PageData<Result<PortalHome, AppError>>);

/// The frame's portal resource (refetched when access or settings change).
pub fn use_current_portal() -> PageData<Result<PortalHome, AppError>> {
    // Every portal page sits inside the frame; outside it there is no portal to show.
    use_context::<CurrentPortal>().map(|current| current.0).unwrap_or_else(|| page_data(|| (), |_| async { Err(AppError::NotFound) }))
}

/// Two letters for the avatar placeholder.
pub fn initials(name: &str) -> String {
    name.split_whitespace().filter_map(|word| word.chars().next()).take(2).flat_map(char::to_uppercase).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_take_the_first_letters_of_two_words() {
        assert_eq!(initials("ann lee"), "AL");
        assert_eq!(initials("Мария Иванова Петровна"), "МИ");
        assert_eq!(initials("  "), "");
    }
}
