//! The server end: NOTIFY inside the writing transaction, one LISTEN connection per app
//! instance, and a server-sent-event stream per open page.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::broadcast::{self, error::RecvError};

use super::Topic;
use crate::auth::{guard, session};
use crate::portals::service::require_active_member;
use crate::server::AppState;

pub const CHANNEL: &str = "portal_events";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PortalEvent {
    pub portal_id: i64,
    pub topic: Topic,
}

impl PortalEvent {
    fn payload(self) -> String {
        format!("{} {}", self.portal_id, self.topic.as_str())
    }

    fn from_payload(payload: &str) -> Option<PortalEvent> {
        let (portal, topic) = payload.split_once(' ')?;
        Some(PortalEvent { portal_id: portal.parse().ok()?, topic: Topic::parse(topic)? })
    }
}

#[derive(Debug, Clone)]
pub enum HubMessage {
    Event(PortalEvent),
    /// The LISTEN connection was re-established: events may have been missed.
    Resync,
    /// The server is stopping: streams end so the graceful shutdown can finish.
    Shutdown,
}

/// Queues an event; Postgres delivers it when (and only if) the transaction commits.
pub async fn notify(db: impl PgExecutor<'_>, portal_id: i64, topic: Topic) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_notify($1, $2)").bind(CHANNEL).bind(PortalEvent { portal_id, topic }.payload()).execute(db).await?;
    Ok(())
}

/// This instance's fan-out of the events it hears from Postgres.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<HubMessage>,
}

impl LiveHub {
    /// Starts listening on the database. Call within a tokio runtime.
    pub fn start(pool: PgPool) -> LiveHub {
        let (sender, _) = broadcast::channel(1024);
        tokio::spawn(listen(pool, sender.clone()));
        LiveHub { sender }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.sender.subscribe()
    }

    pub fn shutdown(&self) {
        let _ = self.sender.send(HubMessage::Shutdown);
    }
}

async fn listen(pool: PgPool, sender: broadcast::Sender<HubMessage>) {
    loop {
        match PgListener::connect_with(&pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    let _ = sender.send(HubMessage::Resync);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => {
                                if let Some(event) = PortalEvent::from_payload(notification.payload()) {
                                    let _ = sender.send(HubMessage::Event(event));
                                }
                            }
                            // The connection dropped; the next call reconnects and re-listens.
                            Ok(None) => {
                                let _ = sender.send(HubMessage::Resync);
                            }
                            Err(error) => {
                                tracing::warn!(%error, "live updates: listening failed, reconnecting");
                                break;
                            }
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, "live updates: LISTEN failed"),
            },
            Err(error) => tracing::warn!(%error, "live updates: cannot connect"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// `GET /p/{slug}/live`: the portal's events for an active member, as server-sent
/// events. The first event is "ready", sent once the subscription is in place.
pub async fn portal_events(State(state): State<AppState>, Path(slug): Path<String>, headers: HeaderMap) -> Response {
    let Some(token) = guard::token_from_headers(&headers) else { return StatusCode::UNAUTHORIZED.into_response() };
    let portal_id = match member_portal(&state.pool, &token, &slug).await {
        Ok(portal_id) => portal_id,
        Err(status) => return status.into_response(),
    };
    let watch = Watch { receiver: state.live.subscribe(), pool: state.pool.clone(), token, slug, portal_id, closing: false };
    let ready = futures::stream::once(async { Ok::<_, Infallible>(Event::default().data("ready")) });
    let events = futures::stream::unfold(watch, |mut watch| async move {
        if watch.closing {
            return None;
        }
        loop {
            let data = match watch.receiver.recv().await {
                Ok(HubMessage::Event(event)) if event.portal_id == watch.portal_id => {
                    // Someone's status or role changed; if it was this page's own, the
                    // page is told and its stream ends.
                    if event.topic == Topic::Access && !watch.still_allowed().await {
                        watch.closing = true;
                    }
                    event.topic.as_str()
                }
                Ok(HubMessage::Event(_)) => continue,
                Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => "resync",
                Ok(HubMessage::Shutdown) | Err(RecvError::Closed) => return None,
            };
            return Some((Ok(Event::default().data(data)), watch));
        }
    });
    use futures::StreamExt;
    Sse::new(ready.chain(events)).keep_alive(KeepAlive::default()).into_response()
}

/// `GET /join/{code}/live`: the settings events of the portal whose current quick
/// registration link this is, for its (anonymous) registration page. Only the topic
/// name travels, so the stream tells nothing a visitor of the page could not see.
pub async fn registration_events(State(state): State<AppState>, Path(code): Path<String>) -> Response {
    let portal_id = match crate::registration::service::portal_of_link(&state.pool, &code).await {
        Ok(Some(portal_id)) => portal_id,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "live updates: registration link lookup failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let ready = futures::stream::once(async { Ok::<_, Infallible>(Event::default().data("ready")) });
    let link = LinkWatch { receiver: state.live.subscribe(), pool: state.pool.clone(), code, closing: false };
    let events = futures::stream::unfold(link, move |mut link| async move {
        if link.closing {
            return None;
        }
        loop {
            let data = match link.receiver.recv().await {
                Ok(HubMessage::Event(event)) if event.portal_id == portal_id && event.topic == Topic::Settings => {
                    // Regenerated: the page is told, and the stream of the dead link ends.
                    let current = crate::registration::service::portal_of_link(&link.pool, &link.code).await;
                    if !matches!(current, Ok(Some(id)) if id == portal_id) {
                        link.closing = true;
                    }
                    event.topic.as_str()
                }
                Ok(HubMessage::Event(_)) => continue,
                Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => "resync",
                Ok(HubMessage::Shutdown) | Err(RecvError::Closed) => return None,
            };
            return Some((Ok(Event::default().data(data)), link));
        }
    });
    use futures::StreamExt;
    Sse::new(ready.chain(events)).keep_alive(KeepAlive::default()).into_response()
}

/// An open registration page's subscription, and the link it was opened with.
struct LinkWatch {
    receiver: broadcast::Receiver<HubMessage>,
    pool: PgPool,
    code: String,
    closing: bool,
}

/// One open page's subscription, and what it needs to re-check its own access.
struct Watch {
    receiver: broadcast::Receiver<HubMessage>,
    pool: PgPool,
    token: String,
    slug: String,
    portal_id: i64,
    closing: bool,
}

impl Watch {
    async fn still_allowed(&self) -> bool {
        member_portal(&self.pool, &self.token, &self.slug).await.is_ok()
    }
}

/// The portal whose events the session may hear: its account must be an active member.
/// 401 without a live session, 404 for anyone else (outsiders learn nothing).
async fn member_portal(pool: &PgPool, token: &str, slug: &str) -> Result<i64, StatusCode> {
    let account = session::find(pool, token, Utc::now()).await.map_err(|error| {
        tracing::error!(%error, "live updates: session lookup failed");
        StatusCode::INTERNAL_SERVER_ERROR
    })?;
    let account = account.ok_or(StatusCode::UNAUTHORIZED)?;
    match require_active_member(pool, account.account_id, slug).await {
        Ok(member) => Ok(member.portal_id),
        Err(error) => Err(StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::NOT_FOUND)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip() {
        let event = PortalEvent { portal_id: 42, topic: Topic::Chat };
        assert_eq!(PortalEvent::from_payload(&event.payload()), Some(event));
        assert_eq!(PortalEvent::from_payload("x chat"), None);
        assert_eq!(PortalEvent::from_payload("42 nothing"), None);
    }
}
