//! The browser end: an EventSource (gloo-net) on the portal's stream.

use futures::StreamExt;
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::*;

use super::{Live, Topic};

pub fn connect(url: Signal<String>, live: Live) {
    // Re-running the effect (another portal) cancels the previous task, which drops and
    // so closes its EventSource.
    Effect::new(move |_| {
        let url = url.get();
        leptos::task::spawn_local_scoped_with_cancellation(async move {
            let Ok(mut source) = EventSource::new(&url) else { return };
            let Ok(mut messages) = source.subscribe("message") else { return };
            let mut connected_before = false;
            while let Some(Ok((_, event))) = messages.next().await {
                let data = event.data().as_string().unwrap_or_default();
                match data.as_str() {
                    // Sent first on every (re)connection; after a reconnect, catch up.
                    "ready" => {
                        if connected_before {
                            live.bump_all();
                        }
                        connected_before = true;
                        mark_connected();
                    }
                    "resync" => live.bump_all(),
                    other => {
                        if let Some(topic) = Topic::parse(other) {
                            live.bump(topic);
                        }
                    }
                }
            }
            source.close();
        });
    });
}

/// Lets tests (and curious people) see that live updates are flowing.
fn mark_connected() {
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-live", "connected");
    }
}
