//! A self-hosted, Bitrix24-style intranet access layer: portals, network accounts, log
//! in, and (in later features) every way of adding people to a portal.

pub mod access;
pub mod activity;
pub mod app;
pub mod audit;
pub mod auth;
pub mod components;
#[cfg(feature = "ssr")]
pub mod crypto;
pub mod domain;
pub mod error;
pub mod invitations;
pub mod live;
pub mod mail;
#[cfg(feature = "ssr")]
pub mod membership;
pub mod network;
pub mod people;
pub mod portals;
pub mod profile;
pub mod registration;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod startup;
pub mod structure;
#[cfg(feature = "ssr")]
pub mod throttle;
pub mod webmail;
pub mod workgroups;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
