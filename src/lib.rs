//! A self-hosted, Bitrix24-style intranet access layer: portals, network accounts, log
//! in, and every way of adding people to a portal.

// The modules in their layers, bottom first; imports point down only (scripts/check-layers).

// Base.
pub mod components;
pub mod domain;
pub mod error;

// Platform.
pub mod audit;
#[cfg(feature = "ssr")]
pub mod crypto;
pub mod live;
pub mod mail;
pub mod notices;
#[cfg(feature = "ssr")]
pub mod operations;
#[cfg(feature = "ssr")]
pub mod server;
#[cfg(feature = "ssr")]
pub mod throttle;

// Identity and access.
pub mod access;
pub mod auth;
#[cfg(feature = "ssr")]
pub mod membership;

// Features.
pub mod activity;
pub mod invitations;
pub mod network;
pub mod people;
pub mod portals;
pub mod profile;
pub mod registration;
pub mod structure;
pub mod webmail;
pub mod workgroups;

// Composition root.
pub mod app;
#[cfg(feature = "ssr")]
pub mod startup;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_lazy(app::App);
}

/// mimalloc, for every program that links the server (the app, its tests and benchmarks).
/// Rendering a signed-in page allocates and frees thousands of small objects; glibc's
/// malloc spent a quarter of the app's CPU on them under load (scripts/bench pages).
#[cfg(feature = "ssr")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
