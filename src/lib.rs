//! A self-hosted, Bitrix24-style intranet access layer: portals, network accounts, log
//! in, and (in later features) every way of adding people to a portal.

pub mod activity;
pub mod app;
pub mod auth;
pub mod components;
pub mod domain;
pub mod error;
pub mod invitations;
pub mod live;
pub mod mail;
pub mod network;
pub mod people;
pub mod portals;
pub mod profile;
pub mod registration;
#[cfg(feature = "ssr")]
pub mod server;
pub mod structure;
pub mod webmail;
pub mod workgroups;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
