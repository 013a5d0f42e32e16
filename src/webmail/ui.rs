use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;

use super::api::{ConnectMailbox, DisconnectMailbox, inbox_count, load_mailbox, load_mailbox_accounts};
use super::{Mailbox, MailboxAccount, Security};
use crate::components::{Field, FormError, PortalProblem, field_error};
use crate::components::{LocalTime, use_slug};

#[component]
pub fn WebmailPage() -> impl IntoView {
    let slug = use_slug();
    let connect = FormAction::<ConnectMailbox>::new();
    let disconnect = FormAction::<DisconnectMailbox>::new();
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
    let mailbox = page_data(move || (slug.get(), changes.get()), |(slug, _)| load_mailbox(slug));
    view! {
        <Title text="Webmail" />
        <div class="page-head">
            <h1>"Webmail"</h1>
            <ManageLinkForAdmins />
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match mailbox.await {
                    Ok(Some(mailbox)) => view! { <ConnectedMailbox mailbox slug=slug.get_untracked() disconnect /> }.into_any(),
                    Ok(None) => view! {
                        <p class="muted">"No mailbox connected."</p>
                        <ConnectMailboxForm slug=slug.get_untracked() connect for_employee=false />
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// "Manage Email Accounts" beside the Webmail heading, for administrators.
#[component]
fn ManageLinkForAdmins() -> impl IntoView {
    let home = crate::components::use_current_portal();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                home.await.ok().filter(|h| h.my_role == crate::domain::Role::Admin).map(|h| view! {
                    <a class="button" href=format!("/p/{}/mail/accounts", h.slug)>"Manage Email Accounts"</a>
                })
            })}
        </Transition>
    }
}

/// "Connect mailbox": the caller's own, or with `for_employee`, an employee's (named by
/// login) for an administrator.
#[component]
fn ConnectMailboxForm(slug: String, connect: FormAction<ConnectMailbox>, for_employee: bool) -> impl IntoView {
    let value = connect.value();
    let pending = connect.pending();
    let security_error = field_error(value, "security");
    // After a success the form empties, so a password typed for one person is not left behind.
    let form = NodeRef::<leptos::html::Form>::new();
    crate::components::reset_on_success(form, value);
    let (heading, intro) = if for_employee {
        (
            "Connect a mailbox for an employee",
            "The server logs in to the mailbox over IMAP to check these settings before saving them. \
             The password is stored encrypted and is never shown again, to anyone.",
        )
    } else {
        (
            "Connect mailbox",
            "The server logs in to your mailbox over IMAP to check these settings before saving them. \
             Your password is stored encrypted and is never shown again, not even to administrators.",
        )
    };
    view! {
        <section class="panel" aria-labelledby="connect-heading">
            <h2 id="connect-heading">{heading}</h2>
            <p class="muted">{intro}</p>
            // The server checks every field and answers beside it; the browser need not.
            <PostForm action=connect node_ref=form attr:novalidate=true>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                {for_employee.then(|| view! {
                    <Field label="Employee's login" name="employee" error=field_error(value, "employee") />
                })}
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
            </PostForm>
        </section>
    }
}

#[component]
fn ConnectedMailbox(mailbox: Mailbox, slug: String, disconnect: FormAction<DisconnectMailbox>) -> impl IntoView {
    let value = disconnect.value();
    let inbox_slug = slug.clone();
    let inbox = page_data(move || inbox_slug.clone(), inbox_count);
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
            <PostForm action=disconnect>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <button type="submit">"Disconnect"</button>
            </PostForm>
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

/// Manage Email Accounts (administrators): every employee's connected mailbox, with its
/// server and last successful check; connect one for an employee, or disconnect it.
#[component]
pub fn ManageEmailAccountsPage() -> impl IntoView {
    let slug = use_slug();
    let live = crate::live::use_live();
    let connect = FormAction::<ConnectMailbox>::new();
    let disconnect = FormAction::<DisconnectMailbox>::new();
    let accounts = page_data(
        move || (slug.get(), live.version(crate::live::Topic::People), connect.version().get(), disconnect.version().get()),
        |(slug, ..)| load_mailbox_accounts(slug),
    );
    let connected = move || connect.value().with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).copied());
    view! {
        <Title text="Manage Email Accounts" />
        <h1>"Manage Email Accounts"</h1>
        <p class="muted">"Mailboxes are configured separately for each user. Only the owner and administrators see an address; nobody sees a password."</p>
        <FormError value=disconnect.value() />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match accounts.await {
                    Ok(rows) if rows.is_empty() => view! { <p class="muted">"No employee has connected a mailbox yet."</p> }.into_any(),
                    Ok(rows) => view! { <MailboxTable rows slug=slug.get_untracked() disconnect /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        {move || connected().map(|count| view! { <p class="notice" role="status">{format!("Connected. {}.", inbox_line(count))}</p> })}
        <ConnectMailboxForm slug=slug.get_untracked() connect for_employee=true />
    }
}

#[component]
fn MailboxTable(rows: Vec<MailboxAccount>, slug: String, disconnect: FormAction<DisconnectMailbox>) -> impl IntoView {
    view! {
        <div class="table-box"><table class="people stacked" aria-label="Connected mailboxes">
            <thead>
                <tr>
                    <th scope="col">"Employee"</th>
                    <th scope="col">"E-Mail for mailbox"</th>
                    <th scope="col">"Server"</th>
                    <th scope="col">"Last successful check"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let label = format!("Disconnect the mailbox of {}", row.name);
                    let profile = format!("/p/{slug}/people/{}", row.account_id);
                    let slug = slug.clone();
                    view! {
                        <tr>
                            <td class="lead"><a href=profile>{row.name.clone()}</a> <span class="muted">{format!(" ({})", row.login)}</span></td>
                            <td data-label="E-Mail for mailbox">{row.address.clone()}</td>
                            <td data-label="Server">{row.server.clone()}</td>
                            <td data-label="Last successful check">{match row.last_checked.clone() {
                                Some(moment) => view! { <LocalTime moment /> }.into_any(),
                                None => view! { "—" }.into_any(),
                            }}</td>
                            <td class="actions">
                                <PostForm action=disconnect attr:class="inline">
                                    <input type="hidden" name="slug" value=slug />
                                    <input type="hidden" name="account_id" value=row.account_id />
                                    <button type="submit" class="danger" aria-label=label>"Disconnect"</button>
                                </PostForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
