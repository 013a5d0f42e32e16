//! One check in front of every server function: form fields must be text the database
//! can store. A NUL byte (or another control character) in any field is answered with a
//! message beside that field, instead of reaching a query and failing there; arguments
//! that do not decode are the request's fault (400), not the server's. Before that, a
//! request's whole body must arrive in time.

use std::net::SocketAddr;
use std::time::Duration;

use axum::{
    body::{Body, Bytes, HttpBody, to_bytes},
    extract::{ConnectInfo, Request, State},
    http::{Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use http_body_util::LengthLimitError;

use crate::error::AppError;

/// Larger request bodies are refused before they are read (the largest real form, a
/// bulk invitation, is far smaller).
pub const MAX_FORM_BYTES: usize = 1024 * 1024;

/// Reads a request's whole body within `body_timeout` of its head, before anything else
/// sees the request. hyper's header timeout ends with the head, and nothing else bounds a
/// body: a client could send a head announcing a megabyte and then a byte now and then,
/// and hold its connection for ever (a slow-body attack). Such a request is answered 408
/// and its connection closed. Every body the app takes is a form or a server function's
/// arguments, read whole by the function anyway, so holding it here costs nothing extra.
pub async fn whole_body_in_time(State(body_timeout): State<Duration>, mut request: Request, next: Next) -> Response {
    if request.body().is_end_stream() {
        request.extensions_mut().insert(WholeBody(Bytes::new()));
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(body_timeout, read_whole(body)).await {
        Ok(Ok(bytes)) => {
            let mut request = Request::from_parts(parts, Body::from(bytes.clone()));
            request.extensions_mut().insert(WholeBody(bytes));
            next.run(request).await
        }
        Ok(Err(BodyProblem::TooLarge)) => too_large(),
        // Malformed chunks, or the client went away mid-body (then no one reads this).
        Ok(Err(BodyProblem::Broken)) => {
            json_error(StatusCode::BAD_REQUEST, &AppError::invalid("form", "The form did not arrive whole. Send it again."))
        }
        Err(_) => {
            let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_string()).unwrap_or_default();
            tracing::warn!(target: "security", event = "request body too slow", path = parts.uri.path(), peer);
            let error = AppError::invalid("form", "The form took too long to arrive. Send it again.");
            let mut answer = json_error(StatusCode::REQUEST_TIMEOUT, &error);
            // hyper closes a connection whose request body was left unread; the header
            // says so. A client still sending then may see the connection reset instead.
            answer.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
            answer
        }
    }
}

enum BodyProblem {
    TooLarge,
    Broken,
}

/// The whole body, refused as soon as it grows past [`MAX_FORM_BYTES`].
async fn read_whole(body: Body) -> Result<Bytes, BodyProblem> {
    to_bytes(body, MAX_FORM_BYTES).await.map_err(|error| {
        // `to_bytes` stops at the limit with http-body-util's own error; any other error is
        // the body's.
        if error.into_inner().is::<LengthLimitError>() { BodyProblem::TooLarge } else { BodyProblem::Broken }
    })
}

/// The body [`whole_body_in_time`] read (empty when there was none), for the layers inside
/// it to look at without reading it again.
#[derive(Clone)]
struct WholeBody(Bytes);

/// Every server function takes its arguments URL-encoded (`PostUrl`), and server_fn decodes
/// a body that way whatever its Content-Type says, so every body posted to `/api/` is
/// looked at, not only those labelled as a form.
pub async fn refuse_unstorable_input(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/") {
        return next.run(request).await;
    }
    // Read whole by `whole_body_in_time`, the layer outside this one. Without it nothing
    // here could be checked, so nothing goes through.
    let Some(WholeBody(bytes)) = request.extensions().get::<WholeBody>() else {
        tracing::error!("refuse_unstorable_input runs outside whole_body_in_time; refusing the request");
        return json_error(StatusCode::INTERNAL_SERVER_ERROR, &AppError::Internal);
    };
    if let Some((field, _)) = form_urlencoded::parse(bytes).find(|(_, value)| !storable(value)) {
        let error = AppError::invalid(&field, "This contains characters that are not allowed (control characters).");
        return json_error(StatusCode::UNPROCESSABLE_ENTITY, &error);
    }
    let response = next.run(request).await;
    undecodable_is_bad_request(response).await
}

/// Arguments that do not decode (a field missing, a number that is not one) never reach
/// the function: the server-function layer answers 500 with a `transport` error. Our
/// functions never answer `transport` themselves (it is the browser's "could not reach
/// the server"), so such an answer is the request's fault: 400.
async fn undecodable_is_bad_request(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = to_bytes(body, 64 * 1024).await.unwrap_or_default();
    if bytes.starts_with(br#"{"code":"transport""#) {
        parts.status = StatusCode::BAD_REQUEST;
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Text without NUL and other control characters; tabs and line breaks are fine.
pub fn storable(text: &str) -> bool {
    !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

fn too_large() -> Response {
    json_error(StatusCode::PAYLOAD_TOO_LARGE, &AppError::invalid("form", "This form is too large to send."))
}

fn json_error(status: StatusCode, error: &AppError) -> Response {
    use leptos::server_fn::error::FromServerFnError;
    let body = String::from_utf8_lossy(&error.ser()).into_owned();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_not_storable() {
        assert!(storable("Ann Lee\n\tSales"));
        assert!(storable("💥 ünïcode"));
        assert!(!storable("a\u{0}b"));
        assert!(!storable("\u{1b}[31m"));
    }
}
