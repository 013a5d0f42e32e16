//! Prometheus metrics at `/metrics`, through the `metrics` facade and its Prometheus
//! exporter. Counters and histograms are recorded where things happen (requests here,
//! sends in the outbox worker); levels (outbox depth and age, the hashing queue, open
//! live streams, the database pool) are read when the page is scraped.
//!
//! The page is for this machine (a scraper on loopback, not through a proxy) or for a
//! scraper that sends `Authorization: Bearer <METRICS_TOKEN>`. Everyone else gets 404.

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};

use crate::server::config::Config;
use crate::server::state::AppState;

/// Request latency buckets, in seconds.
const LATENCY_BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder, once (tests start many apps in one process).
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full("http_request_duration_seconds".into()), &LATENCY_BUCKETS)
                .and_then(PrometheusBuilder::install_recorder)
                .map_err(|error| tracing::warn!(%error, "metrics are not recorded"))
                .ok()
        })
        .as_ref()
}

/// Counts each request by route and status and records its latency. Added with
/// `route_layer`, so `route` is the router's pattern ("/p/{slug}/employees"), never a
/// raw address someone typed.
pub async fn record_request(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", MatchedPath::as_str).to_owned();
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status).increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route).record(started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
pub async fn metrics_page(State(state): State<AppState>, ConnectInfo(peer): ConnectInfo<SocketAddr>, headers: HeaderMap) -> Response {
    if !may_read(&state.config, peer, &headers) {
        return (StatusCode::NOT_FOUND, "Not found").into_response();
    }
    let Some(handle) = install() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are not recorded\n").into_response();
    };
    read_levels(&state).await;
    handle.run_upkeep();
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], handle.render()).into_response()
}

/// A scraper on this machine talking to the app directly, or one with the token.
fn may_read(config: &Config, peer: SocketAddr, headers: &HeaderMap) -> bool {
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    if let (Some(expected), Some(presented)) = (config.operations.metrics_token.as_deref(), presented) {
        // Digests compared, so the comparison's time says nothing about the token.
        return Sha256::digest(expected.as_bytes()) == Sha256::digest(presented.trim().as_bytes());
    }
    // Through a reverse proxy on this machine the peer is loopback too: a request from
    // a trusted proxy, or one that says it was forwarded, is someone else's.
    let forwarded = headers.contains_key("x-forwarded-for") || headers.contains_key(header::FORWARDED);
    let from_proxy = config.trusted_proxies.iter().any(|proxy| proxy.contains(&peer.ip()));
    peer.ip().is_loopback() && !forwarded && !from_proxy
}

/// Sets the gauges that are read rather than counted. The database gets a second: a
/// scrape must answer (with the last levels) while the database is in trouble.
async fn read_levels(state: &AppState) {
    let queued = tokio::time::timeout(std::time::Duration::from_secs(1), outbox_levels(state)).await;
    match queued {
        Ok(Ok(rows)) => {
            for channel in ["email", "sms"] {
                let row = rows.iter().find(|r| r.0 == channel);
                metrics::gauge!("outbox_queued", "channel" => channel).set(row.map_or(0.0, |r| r.1 as f64));
                metrics::gauge!("outbox_oldest_queued_age_seconds", "channel" => channel).set(row.map_or(0.0, |r| r.2));
            }
        }
        Ok(Err(error)) => tracing::warn!(%error, "metrics: outbox levels not read"),
        Err(_) => tracing::warn!("metrics: outbox levels not read within a second"),
    }
    let (size, idle) = (state.pool.size() as f64, state.pool.num_idle() as f64);
    metrics::gauge!("db_pool_connections", "state" => "in_use").set(size - idle);
    metrics::gauge!("db_pool_connections", "state" => "idle").set(idle);
    metrics::gauge!("db_pool_max_connections").set(f64::from(state.pool.options().get_max_connections()));
    metrics::gauge!("password_hash_queue_depth").set(state.passwords.queue_depth() as f64);
    metrics::gauge!("live_streams_open").set(state.live.open_streams() as f64);
}

/// (channel, queued, age of the oldest in seconds) for each channel with queued messages.
async fn outbox_levels(state: &AppState) -> Result<Vec<(String, i64, f64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT channel::text AS "channel!", count(*) AS "count!",
                  COALESCE(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldest_seconds!"
           FROM outbox WHERE status = 'queued' GROUP BY channel"#
    )
    .fetch_all(&state.pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.channel, r.count, r.oldest_seconds)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn metrics_are_for_this_machine_or_the_token() {
        let mut config = Config::local("postgres://unused", "http://127.0.0.1:3000");
        let (local, remote): (SocketAddr, SocketAddr) = ("127.0.0.1:5000".parse().unwrap(), "10.1.2.3:5000".parse().unwrap());
        assert!(may_read(&config, local, &with(&[])));
        assert!(!may_read(&config, remote, &with(&[])));
        assert!(!may_read(&config, local, &with(&[("x-forwarded-for", "203.0.113.9")])), "through a proxy");
        config.trusted_proxies = vec!["127.0.0.1/32".parse().unwrap()];
        assert!(!may_read(&config, local, &with(&[])), "a proxy on this machine that forwards no header");
        config.operations.metrics_token = Some("a-long-enough-metrics-token".into());
        assert!(may_read(&config, remote, &with(&[("authorization", "Bearer a-long-enough-metrics-token")])));
        assert!(!may_read(&config, remote, &with(&[("authorization", "Bearer a-long-enough-metrics-tokeN")])));
        assert!(!may_read(&config, local, &with(&[("authorization", "Bearer wrong")])), "a wrong token is not forgiven");
    }
}
