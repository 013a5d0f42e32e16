//! A request id for every request: the one a load balancer sent in `X-Request-Id` when
//! it looks like an id, otherwise a new random one. Every log line of the request
//! carries it (a tracing span), and the response sends it back in the same header, so a
//! person's report and the logs meet.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

pub const HEADER: &str = "x-request-id";

pub async fn with_request_id(request: Request, next: Next) -> Response {
    let id = request.headers().get(HEADER).and_then(|value| value.to_str().ok()).filter(|id| looks_like_an_id(id)).map(str::to_owned);
    let id = id.unwrap_or_else(new_id);
    let span = tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path());
    let mut response = next.run(request).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(HEADER, value);
    }
    response
}

/// Short, and only characters that cannot forge a log line or a header.
fn looks_like_an_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn new_id() -> String {
    crate::crypto::tokens::new_request_id()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_are_taken_from_the_client() {
        assert!(looks_like_an_id("3f2a-77.b_9"));
        assert!(!looks_like_an_id(""));
        assert!(!looks_like_an_id("a b"));
        assert!(!looks_like_an_id("x\nlevel=ERROR"));
        assert!(!looks_like_an_id(&"a".repeat(65)));
        let made = new_id();
        assert!(looks_like_an_id(&made) && made.len() == 16, "{made}");
        assert_ne!(made, new_id());
    }
}
