//! The dev Outbox's view of an e-mail's HTML part, shown in a frame beside its text.
//! The part is served on its own address with a policy of its own: the inline styles
//! e-mails are made of may apply, nothing may run or load, and only the Outbox page of
//! this site may frame it.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::server::state::AppState;

/// The HTML part's own policy: styles inline, images inline, no scripts, no requests;
/// sandboxed so its links may only open the tab they are clicked in.
const PREVIEW_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; \
     sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation";

/// `GET /dev/outbox/{id}/html`. The router already answers 404 to other machines and
/// without `DEV_OUTBOX=1`; the flag is checked again so the data stays off without it.
pub async fn html_part(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    if !state.config.dev_outbox {
        return StatusCode::NOT_FOUND.into_response();
    }
    let html = match sqlx::query_scalar!("SELECT html FROM outbox WHERE id = $1", id).fetch_optional(&state.pool).await {
        Ok(Some(Some(html))) => html,
        Ok(_) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "dev outbox preview");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut response = with_links_opening_the_tab(&html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PREVIEW_POLICY));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("SAMEORIGIN"));
    response
}

/// In a mail program a link opens a browser; in the frame it would open inside the
/// frame, where the app's pages refuse to be shown. A `<base target="_top">` makes a
/// click open it in the tab, as a person expects.
fn with_links_opening_the_tab(html: &str) -> String {
    match html.find("<head>") {
        Some(at) => {
            let end = at + "<head>".len();
            format!("{}<base target=\"_top\">{}", &html[..end], &html[end..])
        }
        None => format!("<base target=\"_top\">{html}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_in_the_preview_open_in_the_tab() {
        assert_eq!(with_links_opening_the_tab("<html><head><title>x</title>"), "<html><head><base target=\"_top\"><title>x</title>");
        assert_eq!(with_links_opening_the_tab("<p>x</p>"), "<base target=\"_top\"><p>x</p>");
    }
}
