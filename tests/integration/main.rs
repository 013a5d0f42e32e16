//! One integration-test binary. Each test gets a fresh, migrated database from
//! `#[sqlx::test]` on the real Postgres cluster scripts/test starts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod abuse;
mod activity;
mod app;
mod bulk_invitations;
mod faults;
mod funnel;
mod fuzz;
mod invitations;
mod invite_links;
mod isolation;
mod letters;
mod live;
mod login;
mod network;
mod operations;
mod people;
mod phone_login;
mod profile;
mod registration;
mod reset;
mod security;
mod signup;
mod sms;
mod smtp;
mod structure;
mod two_factor;
mod webmail;
