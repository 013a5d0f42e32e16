//! The network profile: the account's own page. Only its owner sees it; only here can
//! the login change, after the password is re-entered and the new address confirmed by
//! a link sent to it. Administrators of a portal never can.
//! Feature. May depend on: `auth`, the platform and the base; no other feature.

pub mod api;
#[cfg(feature = "ssr")]
pub mod letters;
#[cfg(feature = "ssr")]
pub mod service;
pub mod two_factor_ui;
pub mod ui;

use serde::{Deserialize, Serialize};

use crate::auth::PortalLink;
use crate::domain::time::Moment;

/// The answer to "Change login".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoginChangeAnswer {
    pub message: String,
    /// A phone number: the page now asks for the code from the SMS.
    pub by_code: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkProfile {
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    pub portals: Vec<PortalLink>,
    /// The password was generated and sent by e-mail: the page asks for a new one first.
    pub must_change_password: bool,
    pub sessions: Vec<SessionRow>,
    pub two_factor: TwoFactorState,
}

/// Whether the account logs in with a code after its password.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorState {
    /// When it was turned on; None while it is off.
    pub on_since: Option<Moment>,
    pub recovery_codes_left: i64,
}

/// A two-factor set-up under way: the secret the authenticator app is to hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    /// Base32 in groups of four, for typing into the app.
    pub secret: String,
    /// The `otpauth://` address as a QR code (an SVG document drawn on the server).
    pub qr_svg: String,
}

/// One of the account's live sessions, as the network profile lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: i64,
    /// "Chrome 131", from the User-Agent.
    pub browser: String,
    /// "Windows 10", from the User-Agent.
    pub system: String,
    pub client_address: String,
    pub started: Moment,
    pub last_seen: Moment,
    /// The session of the browser looking at the list.
    pub this_device: bool,
}
