//! Cross-site request refusal: every state-changing request (anything but GET/HEAD/
//! OPTIONS) must carry an Origin (or, failing that, a Referer) of this site. It sits in
//! front of all server functions, so no function can forget it.

use axum::{
    extract::{Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::AppState;
use crate::error::AppError;

pub async fn refuse_cross_site(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let safe = matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || request_origin(&request).is_some_and(|origin| state.config.accepts_origin(&origin)) {
        return next.run(request).await;
    }
    let body = serde_json_body(&AppError::CrossSite);
    (StatusCode::FORBIDDEN, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn request_origin(request: &Request) -> Option<String> {
    let headers = request.headers();
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return Some(origin.to_string());
    }
    // Some privacy settings drop Origin on same-origin posts; the Referer's origin part
    // says the same thing.
    let referer = headers.get(header::REFERER)?.to_str().ok()?;
    let after_scheme = referer.find("://")? + 3;
    let end = referer[after_scheme..].find('/').map_or(referer.len(), |i| after_scheme + i);
    Some(referer[..end].to_string())
}

fn serde_json_body(error: &AppError) -> String {
    use leptos::server_fn::error::FromServerFnError;
    String::from_utf8_lossy(&error.ser()).into_owned()
}
