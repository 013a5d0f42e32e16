//! Access: who calls, in which portal, with which role, and what that role may do. Every
//! portal server function passes through here first (`in_portal`), and the rules about
//! who may do what (administrators; who may invite) live here, in one place.
//! May depend on: `auth`, `server`, `live`, `domain`, `error`.

#[cfg(feature = "ssr")]
mod caller;
#[cfg(feature = "ssr")]
pub mod events;
pub mod invite;

#[cfg(feature = "ssr")]
pub use caller::{
    PortalCall, PortalCaller, caller_of_request, current_caller, in_portal, is_active_member, lock_portal, lock_portal_as_admin,
    portal_caller, share_caller_per_request,
};
