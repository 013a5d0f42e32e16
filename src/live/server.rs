//! The server end: NOTIFY inside the writing transaction, one LISTEN connection per app
//! instance, and a server-sent-event stream per open page.

use std::convert::Infallible;
use std::time::Duration;

use std::future::Future;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use sqlx::postgres::PgListener;
use sqlx::{PgExecutor, PgPool};
use tokio::sync::broadcast::{self, error::RecvError};

use super::Topic;

pub const CHANNEL: &str = "portal_events";

/// The reconnection delay a stream's last event asks for when the instance stops.
pub const RECONNECT_AFTER_SHUTDOWN: Duration = Duration::from_millis(500);

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

/// How long a stream may go without re-checking its access, and how many may be open.
#[derive(Debug, Clone, Copy)]
pub struct StreamLimits {
    /// An open stream re-checks its access this often, so it ends soon after a log-out,
    /// an expiry or a dismissal even when no event says so.
    pub recheck_every: Duration,
    /// Streams one holder (a session, or an anonymous client) may have open.
    pub per_holder: usize,
    /// Streams this instance holds open in all.
    pub per_instance: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits { recheck_every: Duration::from_secs(30), per_holder: 8, per_instance: 20_000 }
    }
}

/// This instance's fan-out of the events it hears from Postgres.
#[derive(Clone)]
pub struct LiveHub {
    sender: broadcast::Sender<HubMessage>,
    limits: StreamLimits,
    open: Arc<Mutex<OpenStreams>>,
    /// The LISTEN connection is up (readiness).
    listening: Arc<AtomicBool>,
}

/// Open streams per holder, and in all (kept, not summed: opening a stream is frequent).
#[derive(Default)]
struct OpenStreams {
    per_holder: HashMap<String, usize>,
    total: usize,
}

/// A place among the open streams, given back when the stream ends.
struct Slot {
    open: Arc<Mutex<OpenStreams>>,
    holder: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.open.lock()
            && let Some(count) = open.per_holder.get_mut(&self.holder)
        {
            *count -= 1;
            if *count == 0 {
                open.per_holder.remove(&self.holder);
            }
            open.total -= 1;
        }
    }
}

impl LiveHub {
    /// Starts listening on the database. Call within a tokio runtime.
    pub fn start(pool: PgPool, limits: StreamLimits) -> LiveHub {
        let (sender, _) = broadcast::channel(1024);
        let listening = Arc::new(AtomicBool::new(false));
        tokio::spawn(listen(pool, sender.clone(), Arc::clone(&listening)));
        LiveHub { sender, limits, open: Arc::default(), listening }
    }

    /// A place for one more stream of `holder`, unless the holder or the instance is at
    /// its limit.
    fn take_slot(&self, holder: &str) -> Option<Slot> {
        let mut open = self.open.lock().ok()?;
        let mine = open.per_holder.get(holder).copied().unwrap_or(0);
        if open.total >= self.limits.per_instance || mine >= self.limits.per_holder {
            return None;
        }
        open.per_holder.insert(holder.to_string(), mine + 1);
        open.total += 1;
        Some(Slot { open: Arc::clone(&self.open), holder: holder.to_string() })
    }

    /// Streams open on this instance.
    pub fn open_streams(&self) -> usize {
        self.open.lock().map(|open| open.total).unwrap_or(0)
    }

    /// Whether this instance hears the database's events now.
    pub fn is_listening(&self) -> bool {
        self.listening.load(Ordering::Relaxed)
    }

    pub fn subscribe(&self) -> broadcast::Receiver<HubMessage> {
        self.sender.subscribe()
    }

    pub fn shutdown(&self) {
        let _ = self.sender.send(HubMessage::Shutdown);
    }
}

/// A pool of one connection of its own, to the database of `pool`, for a LISTEN. A
/// listener keeps its connection for as long as it runs: taken from the requests' pool,
/// it would leave that pool one connection short for good (and a pool of one with none).
/// Connects when the listener first asks, so a database that is down is retried where
/// the listener retries.
pub fn listen_pool(pool: &PgPool) -> PgPool {
    sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        // As long as a request waits for the requests' pool (startup::connect_and_migrate).
        .acquire_timeout(Duration::from_secs(10))
        .connect_lazy_with(pool.connect_options().as_ref().clone())
}

/// Listens on a connection of its own until `pool` closes: tests close their pool, then
/// drop their database, which nobody may still be connected to.
async fn listen(pool: PgPool, sender: broadcast::Sender<HubMessage>, listening: Arc<AtomicBool>) {
    let own = listen_pool(&pool);
    tokio::select! {
        () = pool.close_event() => {}
        () = listen_on(&own, sender, Arc::clone(&listening)) => {}
    }
    listening.store(false, Ordering::Relaxed);
    own.close().await;
}

async fn listen_on(pool: &PgPool, sender: broadcast::Sender<HubMessage>, listening: Arc<AtomicBool>) {
    loop {
        match PgListener::connect_with(pool).await {
            Ok(mut listener) => match listener.listen(CHANNEL).await {
                Ok(()) => {
                    listening.store(true, Ordering::Relaxed);
                    let _ = sender.send(HubMessage::Resync);
                    loop {
                        match listener.try_recv().await {
                            Ok(Some(notification)) => {
                                listening.store(true, Ordering::Relaxed);
                                if let Some(event) = PortalEvent::from_payload(notification.payload()) {
                                    let _ = sender.send(HubMessage::Event(event));
                                }
                            }
                            // The connection dropped and sqlx has already reconnected and
                            // listens again (eager reconnect; a failure would be an Err).
                            // Events sent meanwhile are lost, so every page refetches.
                            Ok(None) => {
                                listening.store(true, Ordering::Relaxed);
                                let _ = sender.send(HubMessage::Resync);
                            }
                            Err(error) => {
                                listening.store(false, Ordering::Relaxed);
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
/// `recheck_on` arrives, and at least every [`StreamLimits::recheck_every`],
/// `still_allowed` runs; if the page has lost its right, it hears `recheck_on` (so it
/// refetches and sees why) and the stream ends. `holder` (a session, a client) may keep
/// only a few streams open: past that, or past the instance's limit, the answer is 429.
/// The stream knows no feature: callers pass their own access check.
pub fn event_stream<Check, Checked>(
    hub: &LiveHub,
    holder: &str,
    portal_id: i64,
    wants: fn(Topic) -> bool,
    recheck_on: Topic,
    still_allowed: Check,
) -> Response
where
    Check: Fn() -> Checked + Send + Sync + 'static,
    Checked: Future<Output = bool> + Send,
{
    let Some(slot) = hub.take_slot(holder) else {
        return (StatusCode::TOO_MANY_REQUESTS, [(header::RETRY_AFTER, "30")], "Too many open live streams").into_response();
    };
    let mut recheck = tokio::time::interval(hub.limits.recheck_every);
    // The first tick is immediate; the access was checked a moment ago.
    recheck.reset();
    let watch = Watch { receiver: hub.subscribe(), recheck, closing: false, _slot: slot };
    let ready = futures::stream::once(async { Ok::<_, Infallible>(Event::default().data("ready")) });
    let still_allowed = std::sync::Arc::new(still_allowed);
    let events = futures::stream::unfold(watch, move |mut watch| {
        let still_allowed = std::sync::Arc::clone(&still_allowed);
        async move {
            if watch.closing {
                return None;
            }
            loop {
                let received = tokio::select! {
                    received = watch.receiver.recv() => received,
                    _ = watch.recheck.tick() => {
                        // Boxed: inline, the check's database future would make every
                        // idle stream's state as large as itself.
                        if Box::pin(still_allowed()).await {
                            continue;
                        }
                        watch.closing = true;
                        return Some((Ok(Event::default().data(recheck_on.as_str())), watch));
                    }
                };
                let data = match received {
                    Ok(HubMessage::Event(event)) if event.portal_id == portal_id && wants(event.topic) => {
                        if event.topic == recheck_on && !Box::pin(still_allowed()).await {
                            watch.closing = true;
                        }
                        event.topic.as_str()
                    }
                    Ok(HubMessage::Event(_)) => continue,
                    Ok(HubMessage::Resync) | Err(RecvError::Lagged(_)) => "resync",
                    // The instance is stopping: the browser reconnects soon, through the
                    // load balancer to another instance, and refetches what it missed.
                    Ok(HubMessage::Shutdown) | Err(RecvError::Closed) => {
                        watch.closing = true;
                        return Some((Ok(Event::default().retry(RECONNECT_AFTER_SHUTDOWN).data("resync")), watch));
                    }
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
    recheck: tokio::time::Interval,
    closing: bool,
    /// Held for as long as the stream is open.
    _slot: Slot,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn streams_are_capped_per_holder_and_per_instance() {
        let (sender, _) = broadcast::channel(8);
        let hub = LiveHub {
            sender,
            limits: StreamLimits { recheck_every: Duration::from_secs(30), per_holder: 2, per_instance: 3 },
            open: Arc::default(),
            listening: Arc::default(),
        };
        let a1 = hub.take_slot("a");
        let a2 = hub.take_slot("a");
        assert!(a1.is_some() && a2.is_some());
        assert!(hub.take_slot("a").is_none(), "a third for one holder");
        let b1 = hub.take_slot("b");
        assert!(b1.is_some());
        assert!(hub.take_slot("c").is_none(), "the instance is full");
        drop(a1);
        assert_eq!(hub.open_streams(), 2);
        assert!(hub.take_slot("c").is_some(), "a closed stream gives its place back");
    }

    #[test]
    fn payloads_round_trip() {
        let event = PortalEvent { portal_id: 42, topic: Topic::Chat };
        assert_eq!(PortalEvent::from_payload(&event.payload()), Some(event));
        assert_eq!(PortalEvent::from_payload("x chat"), None);
        assert_eq!(PortalEvent::from_payload("42 nothing"), None);
    }
}
