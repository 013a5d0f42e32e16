//! Portals: sign-up ("Create your Bitrix24") and the portal frame. The creator of a
//! portal is its first administrator; a portal's pages are for its active members only.
//! Feature. May depend on: `access`, `auth`, the platform and the base; no other feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod service;
pub mod ui;
