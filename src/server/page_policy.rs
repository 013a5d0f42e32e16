//! The Content-Security-Policy header of rendered pages.

/// The Content-Security-Policy of a rendered page. Scripts run only with this response's
/// nonce (the hydration script has it, and what it imports is trusted through
/// 'strict-dynamic'); WebAssembly may compile; there is no 'unsafe-inline' for scripts,
/// so injected markup cannot run code.
pub fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}' 'strict-dynamic' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's policy with the nonce Leptos made for this render (called while the
/// shell renders, before the first bytes go out).
pub fn send_page_policy() {
    let (Some(nonce), Some(response)) = (leptos::nonce::use_nonce(), leptos::prelude::use_context::<leptos_axum::ResponseOptions>()) else {
        return;
    };
    if let Ok(value) = axum::http::HeaderValue::from_str(&page_policy(&nonce)) {
        response.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
    }
}
