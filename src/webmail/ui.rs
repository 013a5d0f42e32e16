use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{ConnectMailbox, DisconnectMailbox, inbox_count, load_mailbox};
use super::{Mailbox, Security};
use crate::components::{Field, FormError, PortalProblem, field_error};
use crate::components::{LocalTime, use_slug};

#[component]
pub fn WebmailPage() -> impl IntoView {
    let slug = use_slug();
    let connect = ServerAction::<ConnectMailbox>::new();
    let disconnect = ServerAction::<DisconnectMailbox>::new();
    // Reload the mailbox only after a change succeeded: a failed attempt must leave the
    // form (and what was typed into it) alone.
    let changes = RwSignal::new(0u32);
    Effect::new(move |_| {
        if connect.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
    Effect::new(move |_| {
        if disconnect.value().with(|v| matches!(v, Some(Ok(_)))) {
            changes.update(|n| *n += 1);
        }
    });
    let mailbox = Resource::new(move || (slug.get(), changes.get()), |(slug, _)| load_mailbox(slug));
    view! {
        <Title text="Webmail" />
        <h1>"Webmail"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mailbox.await {
                    Ok(Some(mailbox)) => view! { <ConnectedMailbox mailbox slug=slug.get_untracked() disconnect /> }.into_any(),
                    Ok(None) => view! { <ConnectMailboxForm slug=slug.get_untracked() connect /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConnectMailboxForm(slug: String, connect: ServerAction<ConnectMailbox>) -> impl IntoView {
    let value = connect.value();
    let pending = connect.pending();
    let security_error = field_error(value, "security");
    view! {
        <p class="muted">"No mailbox connected."</p>
        <section class="panel" aria-labelledby="connect-heading">
            <h2 id="connect-heading">"Connect mailbox"</h2>
            <p class="muted">
                "The server logs in to your mailbox over IMAP to check these settings before saving them. "
                "Your password is stored encrypted and is never shown again, not even to administrators."
            </p>
            // The server checks every field and answers beside it; the browser need not.
            <ActionForm action=connect attr:novalidate=true>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <Field label="Mailbox address" name="address" kind="email" autocomplete="email" error=field_error(value, "address") />
                <Field label="IMAP server" name="imap_host" error=field_error(value, "imap_host") />
                <div class="field">
                    <label for="field-security">"Security"</label>
                    <select
                        id="field-security"
                        name="security"
                        aria-invalid=move || if security_error.get().is_some() { "true" } else { "false" }
                        aria-describedby="field-security-error"
                    >
                        {Security::ALL.into_iter().map(|s| view! { <option value=s.key()>{s.label()}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id="field-security-error">{move || security_error.get()}</p>
                </div>
                <Field label="Port" name="imap_port" kind="number" value=Security::Tls.default_port().to_string() error=field_error(value, "imap_port") />
                <Field label="User name" name="username" autocomplete="username" error=field_error(value, "username") />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=field_error(value, "password") />
                <button type="submit" disabled=move || pending.get()>"Connect"</button>
                <Show when=move || pending.get()>
                    <span class="muted" role="status">"Checking the mailbox…"</span>
                </Show>
            </ActionForm>
        </section>
    }
}

#[component]
fn ConnectedMailbox(mailbox: Mailbox, slug: String, disconnect: ServerAction<DisconnectMailbox>) -> impl IntoView {
    let value = disconnect.value();
    let inbox_slug = slug.clone();
    let inbox = Resource::new(move || inbox_slug.clone(), inbox_count);
    view! {
        <section class="panel" aria-labelledby="mailbox-heading">
            <h2 id="mailbox-heading">"Connected mailbox"</h2>
            <dl class="facts">
                <dt>"Address"</dt>
                <dd>{mailbox.address.clone()}</dd>
                <dt>"IMAP server"</dt>
                <dd>{format!("{}:{} ({})", mailbox.imap_host, mailbox.imap_port, mailbox.security.label())}</dd>
                <dt>"User name"</dt>
                <dd>{mailbox.username.clone()}</dd>
                <dt>"Connected"</dt>
                <dd><LocalTime moment=mailbox.connected_at.clone() /></dd>
            </dl>
            <Suspense fallback=|| view! { <p class="muted">"Checking the INBOX…"</p> }>
                {move || Suspend::new(async move {
                    match inbox.await {
                        Ok(count) => view! { <p role="status">{inbox_line(count)}</p> }.into_any(),
                        Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    }
                })}
            </Suspense>
            <ActionForm action=disconnect>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <button type="submit">"Disconnect"</button>
            </ActionForm>
        </section>
    }
}

fn inbox_line(count: u32) -> String {
    match count {
        0 => "INBOX: no messages".to_string(),
        1 => "INBOX: 1 message".to_string(),
        n => format!("INBOX: {n} messages"),
    }
}
