//! The server end: NOTIFY inside the writing transaction, one LISTEN connection per app
//! instance, and a server-sent-event stream per open page.

use std::convert::Infallible;
use std::time::Duration;

use std::future::Future;

use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::broadcast::{self, error::RecvError};

use super::Topic;

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

/// A page's server-sent event stream: "ready" once the subscription is in place, then
/// the name of every topic of `portal_id` that `wants` picks. When an event of
/// `recheck_on` arrives, `still_allowed` runs; if the page has lost its right, it hears
/// that event (so it refetches and sees why) and the stream ends. The stream knows no
/// feature: callers pass their own access check.
pub fn event_stream<Check, Checked>(
    hub: &LiveHub,
    portal_id: i64,
    wants: fn(Topic) -> bool,
    recheck_on: Topic,
    still_allowed: Check,
) -> Response
where
    Check: Fn() -> Checked + Send + Sync + 'static,
    Checked: Future<Output = bool> + Send,
{
    let watch = Watch { receiver: hub.subscribe(), closing: false };
    let ready = futures::stream::once(async { Ok::<_, Infallible>(Event::default().data("ready")) });
    let still_allowed = std::sync::Arc::new(still_allowed);
    let events = futures::stream::unfold(watch, move |mut watch| {
        let still_allowed = std::sync::Arc::clone(&still_allowed);
        async move {
            if watch.closing {
                return None;
            }
            loop {
                let data = match watch.receiver.recv().await {
                    Ok(HubMessage::Event(event)) if event.portal_id == portal_id && wants(event.topic) => {
                        if event.topic == recheck_on && !still_allowed().await {
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
        }
    });
    use futures::StreamExt;
    Sse::new(ready.chain(events)).keep_alive(KeepAlive::default()).into_response()
}

/// One open page's subscription.
struct Watch {
    receiver: broadcast::Receiver<HubMessage>,
    closing: bool,
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
