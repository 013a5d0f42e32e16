use crate::components::page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

use super::{OutboxMessage, api::dev_outbox};

#[component]
pub fn OutboxPage() -> impl IntoView {
    let query = use_query_map();
    let recipient = move || query.with(recipient_in);
    let messages = page_data(recipient, dev_outbox);
    view! {
        <div class="wide-page">
            <header class="brand">
                <a href="/">"Bitrix24"</a>
                <span class="brand-sub">" development Outbox"</span>
            </header>
            <main>
                <h1>"Outbox"</h1>
                <p class="hint">
                    "No mail server is configured, so every email the app sends is kept here. "
                    "Set SMTP_URL to deliver real mail; this page then disappears."
                </p>
                // Narrows the list to one recipient (`/dev/outbox?to=…`), as a tester
                // looking for one person's mail would. A plain form, so the page loads
                // anew as with "Refresh": the messages' HTML parts are frames, and the
                // server draws them with the page.
                <form method="get" action="/dev/outbox" class="search" role="search">
                    <label for="outbox-to" class="visually-hidden">"Recipient"</label>
                    <input
                        id="outbox-to"
                        type="search"
                        name="to"
                        value=move || recipient().unwrap_or_default()
                        placeholder="Messages to one e-mail address or phone number"
                    />
                    <button type="submit">"Show"</button>
                </form>
                <p class="actions">
                    <a href=move || outbox_address(recipient()) rel="external">"Refresh"</a>
                    {move || recipient().map(|_| view! { <a href="/dev/outbox" rel="external">"Show all"</a> })}
                </p>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match messages.await {
                            Ok(list) if list.is_empty() => {
                                let why = if query.with_untracked(recipient_in).is_some() { "No messages to this recipient." } else { "No messages yet." };
                                view! { <p>{why}</p> }.into_any()
                            }
                            Ok(list) => list.into_iter().map(message_view).collect_view().into_any(),
                            Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </main>
        </div>
    }
}

/// The recipient the page is narrowed to (`?to=`), if one was given.
fn recipient_in(query: &ParamsMap) -> Option<String> {
    query.get("to").filter(|to| !to.trim().is_empty())
}

/// The Outbox's address, narrowed to `recipient` when there is one.
fn outbox_address(recipient: Option<String>) -> String {
    match recipient {
        Some(to) => format!("/dev/outbox?to={}", leptos_router::location::Url::escape(&to)),
        None => "/dev/outbox".into(),
    }
}

fn message_view(message: OutboxMessage) -> impl IntoView {
    let label = format!("{} to {}", message.subject, message.recipient);
    // An e-mail's HTML part, as a mail program would show it, beside its text part.
    let html_part = message.has_html.then(|| {
        let title = format!("HTML part of {}", message.subject);
        let src = format!("/dev/outbox/{}/html", message.id);
        view! {
            <iframe
                class="message-html"
                title=title
                src=src
                sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"
            ></iframe>
        }
    });
    let parts_class = if message.has_html { "message-parts two" } else { "message-parts" };
    view! {
        <article class="message" aria-label=label>
            <h2>{message.subject}</h2>
            <dl>
                <dt>"To"</dt>
                <dd>{message.recipient}</dd>
                <dt>"Channel"</dt>
                <dd>{message.channel}</dd>
                <dt>"Queued"</dt>
                <dd>{message.created_at}</dd>
                <dt>"Status"</dt>
                <dd>{message.status} {message.last_error.map(|e| format!(" ({e})"))}</dd>
            </dl>
            <div class=parts_class>
                <pre class="message-body" aria-label="Text part">{linkified(&message.body)}</pre>
                {html_part}
            </div>
        </article>
    }
}

/// The body as text with its web addresses made clickable.
fn linkified(body: &str) -> impl IntoView + use<> {
    body.split_inclusive(char::is_whitespace)
        .map(|piece| {
            let word = piece.trim_end();
            if word.starts_with("http://") || word.starts_with("https://") {
                let rest = piece[word.len()..].to_string();
                view! {
                    <a href=word.to_string() rel="external">{word.to_string()}</a>
                    {rest}
                }
                .into_any()
            } else {
                piece.to_string().into_any()
            }
        })
        .collect_view()
}
