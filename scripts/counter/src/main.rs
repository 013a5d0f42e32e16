//! Only the browser side is measured; cargo-leptos wants a server target to exist.
fn main() {}
