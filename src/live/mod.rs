//! Live updates. A change commits, then Postgres NOTIFYs `portal_events` with the portal
//! and a topic; every app instance LISTENs and fans the topic out to the open pages of
//! that portal over server-sent events. Events carry no data: a page refetches what the
//! topic names through its own (authorized) server functions.
//! Platform layer. May depend on: `error`. The event stream takes its access check as a
//! closure, so it knows no feature. `server::listen_pool` gives a LISTEN (this module's,
//! and the outbox worker's in `mail`) a connection apart from the requests' pool.

#[cfg(feature = "hydrate")]
mod browser;
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;

/// What changed in a portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topic {
    Stream,
    Chat,
    People,
    Structure,
    Workgroups,
    /// Someone's status or role changed: open pages re-check their own access.
    Access,
    Settings,
    /// Someone's in-app notices (the bell) changed.
    Notices,
}

impl Topic {
    pub const ALL: [Topic; 8] =
        [Topic::Stream, Topic::Chat, Topic::People, Topic::Structure, Topic::Workgroups, Topic::Access, Topic::Settings, Topic::Notices];

    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Stream => "stream",
            Topic::Chat => "chat",
            Topic::People => "people",
            Topic::Structure => "structure",
            Topic::Workgroups => "workgroups",
            Topic::Access => "access",
            Topic::Settings => "settings",
            Topic::Notices => "notices",
        }
    }

    pub fn parse(raw: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|topic| topic.as_str() == raw)
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One counter per topic, bumped when an event of that topic arrives. Pages put the
/// counter of their topic into a resource's source so the resource refetches.
#[derive(Debug, Clone, Copy)]
pub struct Live {
    counters: [RwSignal<u64>; 8],
}

impl Default for Live {
    fn default() -> Self {
        Live { counters: std::array::from_fn(|_| RwSignal::new(0)) }
    }
}

impl Live {
    /// Tracks the topic: a reactive read for resource sources.
    pub fn version(&self, topic: Topic) -> u64 {
        self.counters[topic.index()].get()
    }

    pub fn bump(&self, topic: Topic) {
        self.counters[topic.index()].update(|n| *n += 1);
    }

    /// After a reconnect events may have been missed, so everything refetches.
    pub fn bump_all(&self) {
        for topic in Topic::ALL {
            self.bump(topic);
        }
    }
}

/// The portal's live counters (from the portal layout), or idle ones outside a portal.
pub fn use_live() -> Live {
    use_context::<Live>().unwrap_or_default()
}

/// Opens the portal's event stream for as long as the calling component lives, and
/// feeds `live`. Does nothing during server rendering.
pub fn connect(slug: Signal<String>, live: Live) {
    connect_to(Signal::derive(move || stream_path(&slug.get())), live);
}

/// Like [`connect`], for any event stream (the quick registration page has its own).
pub fn connect_to(url: Signal<String>, live: Live) {
    #[cfg(feature = "hydrate")]
    browser::connect(url, live);
    #[cfg(not(feature = "hydrate"))]
    let _ = (url, live);
}

/// The path of a portal's event stream.
pub fn stream_path(slug: &str) -> String {
    format!("/p/{slug}/live")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_round_trip_through_their_names() {
        for topic in Topic::ALL {
            assert_eq!(Topic::parse(topic.as_str()), Some(topic));
        }
        assert_eq!(Topic::parse("resync"), None);
    }
}
