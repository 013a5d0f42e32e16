use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

use super::api::{
    AcceptInvitation, AskForNewInvitation, CancelInvitation, CompleteRegistration, InviteByEmail, InviteBySms, JoinPortal, RegisterUser,
    ResendInvitation, list_invitations, load_invitation, load_invite_dialog, load_registration_completion,
};
use super::funnel::FUNNEL_KEY;
use super::funnel_ui::{FunnelNews, InvitationFunnel};
use super::{InvitationPage, InvitationRow, InvitationState, InviteDialog, InviteReport, InvitedPage, InvitedShow};
use crate::auth::api::ResendEmailConfirmation;
use crate::components::{Field, FormError, LocalTime, PlainPage, PortalProblem, TextArea, field_error};
use crate::live::{Topic, use_live};
use crate::registration::ui::QuickRegistrationTab;

/// "Invite users" for the people the portal lets invite: a button that opens the invite
/// dialog (the server checks again on every call).
#[component]
pub fn InviteUsersIfAllowed() -> impl IntoView {
    let home = crate::components::use_current_portal();
    let slug = crate::components::use_slug();
    // The dialog sits outside the refreshed part: a settings change refetches the portal
    // (to show or hide the button) without closing an open dialog, unless the person
    // may no longer invite.
    let open = RwSignal::new(false);
    let allowed = move || home.get().and_then(|h| h.ok()).is_some_and(|h| h.can_invite);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                home.await.ok().filter(|h| h.can_invite).map(|home| view! {
                    {(home.my_role == crate::domain::Role::Admin).then(|| view! {
                        <a class="button" href=format!("/p/{}/employees/invite-list", home.slug)>"Invite from a list"</a>
                    })}
                    <button type="button" class="primary" on:click=move |_| open.update(|o| *o = !*o) aria-expanded=move || open.get().to_string()>
                        "Invite users"
                    </button>
                })
            })}
        </Transition>
        <Show when=move || open.get() && allowed()>
            <InviteDialogPanel slug=slug.get_untracked() close=move || open.set(false) />
        </Show>
    }
}

#[component]
fn InviteDialogPanel(slug: String, close: impl Fn() + Send + Sync + Clone + 'static) -> impl IntoView {
    let dialog_slug = slug.clone();
    let dialog = page_data(move || dialog_slug.clone(), load_invite_dialog);
    let close_button = close.clone();
    view! {
        <section class="panel invite-dialog" role="dialog" aria-label="Invite users">
            <div class="dialog-head">
                <h2>"Invite users"</h2>
                <button type="button" class="link-button" on:click=move |_| close_button()>"Close"</button>
            </div>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {
                    let slug = slug.clone();
                    move || {
                        let slug = slug.clone();
                        Suspend::new(async move {
                            match dialog.await {
                                Ok(dialog) => view! {
                                    {(!dialog.may_send).then(|| view! { <ConfirmAddressFirst address=dialog.address_to_confirm.clone() /> })}
                                    <InviteTabs dialog slug />
                                }.into_any(),
                                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                            }
                        })
                    }
                }
            </Suspense>
        </section>
    }
}

/// Why nothing can be sent yet, and (for the admin whose address it is) a way to get
/// the confirmation link again.
#[component]
fn ConfirmAddressFirst(address: Option<String>) -> impl IntoView {
    let resend = FormAction::<ResendEmailConfirmation>::new();
    let value = resend.value();
    let sent = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    view! {
        <div class="notice" role="alert">
            <p>{crate::access::invite::CONFIRM_FIRST}</p>
            {address.map(|address| view! {
                <p>"The link went to " <strong>{address}</strong> "."</p>
                <PostForm action=resend>
                    <FormError value />
                    <button type="submit">"Send the link again"</button>
                </PostForm>
                <Show when=move || sent().is_some()>
                    <p role="status">{sent}</p>
                </Show>
            })}
        </div>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Quick,
    Sms,
    Email,
    Register,
}

#[component]
fn InviteTabs(dialog: InviteDialog, slug: String) -> impl IntoView {
    let tab = RwSignal::new(Tab::Email);
    // Bitrix24's order of tabs; e-mail is open first, the tab most people use.
    let mut tabs: Vec<(Tab, &'static str)> =
        vec![(Tab::Quick, "Quick registration"), (Tab::Sms, "Invite using SMS"), (Tab::Email, "Invite using e-mail")];
    if dialog.can_register {
        tabs.push((Tab::Register, "Register"));
    }
    let quick_slug = slug.clone();
    let sms_dialog = dialog.clone();
    let sms_slug = slug.clone();
    let register_dialog = dialog.clone();
    let register_slug = slug.clone();
    view! {
        <div class="tabs" role="tablist">
            {tabs.into_iter().map(|(key, label)| view! {
                <button
                    type="button"
                    role="tab"
                    class="tab"
                    aria-selected=move || (tab.get() == key).to_string()
                    on:click=move |_| tab.set(key)
                >
                    {label}
                </button>
            }).collect_view()}
        </div>
        // All stay mounted, so switching tabs keeps what was typed.
        <div role="tabpanel" hidden=move || tab.get() != Tab::Quick>
            {view! { <QuickRegistrationTab slug=quick_slug is_admin=dialog.can_register /> }.into_any()}
        </div>
        <div role="tabpanel" hidden=move || tab.get() != Tab::Sms>
            {view! { <SmsInviteForm dialog=sms_dialog slug=sms_slug /> }.into_any()}
        </div>
        <div role="tabpanel" hidden=move || tab.get() != Tab::Email>
            {view! { <EmailInviteForm dialog slug /> }.into_any()}
        </div>
        <div role="tabpanel" hidden=move || tab.get() != Tab::Register>
            {register_dialog.can_register.then(|| view! { <RegisterForm dialog=register_dialog.clone() slug=register_slug.clone() /> }.into_any())}
        </div>
    }
}

#[component]
fn SmsInviteForm(dialog: InviteDialog, slug: String) -> impl IntoView {
    let invite = FormAction::<InviteBySms>::new();
    let value = invite.value();
    let pending = invite.pending();
    let report = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
    view! {
        <PostForm action=invite attr:novalidate=true attr:class="invite-form">
            <FormError value />
            <input type="hidden" name="slug" value=slug />
            <TextArea
                label="Phone numbers"
                name="numbers"
                id="invite-numbers"
                rows=4
                placeholder="+1 415 555 0100, one per line"
                error=field_error(value, "numbers")
            />
            <Placement dialog=dialog.clone() prefix="invite-sms" error=field_error(value, "department_id") />
            <div class="field">
                <label for="invite-sms-text">"SMS text"</label>
                <textarea id="invite-sms-text" rows="2" readonly aria-describedby="invite-sms-note">{dialog.sms_text.clone()}</textarea>
                <p class="muted" id="invite-sms-note">"The SMS text is fixed. Each person logs in with their phone number."</p>
            </div>
            <p class="muted">{format!("{} invitations left today.", dialog.invitations_left_today)}</p>
            <button type="submit" class="primary" disabled=move || pending.get()>"Send SMS invitations"</button>
        </PostForm>
        {move || report().map(|report| view! { <InviteOutcome report /> })}
    }
}

/// Where the invited people land: "Department" and "Workgroups", the same for every
/// channel. `prefix` keeps the ids apart when two forms are on the page.
#[component]
fn Placement(dialog: InviteDialog, prefix: &'static str, #[prop(into)] error: Signal<Option<String>>) -> impl IntoView {
    let select_id = format!("{prefix}-department");
    let error_id = format!("{prefix}-department-error");
    view! {
        <div class="field">
            <label for=select_id.clone()>"Department"</label>
            <select id=select_id name="department_id" aria-describedby=error_id.clone()>
                {dialog.departments.iter().map(|d| view! { <option value=d.id>{d.name.clone()}</option> }).collect_view()}
            </select>
            <p class="field-error" id=error_id>{move || error.get()}</p>
        </div>
        {(!dialog.workgroups.is_empty()).then(|| view! {
            <fieldset class="field">
                <legend>"Workgroups"</legend>
                {dialog.workgroups.iter().enumerate().map(|(i, g)| {
                    let id = format!("{prefix}-group-{}", g.id);
                    view! {
                        <div class="check">
                            <input type="checkbox" id=id.clone() name=format!("workgroup_ids[{i}]") value=g.id />
                            <label for=id>{g.name.clone()}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
        })}
    }
}

#[component]
fn RegisterForm(dialog: InviteDialog, slug: String) -> impl IntoView {
    let register = FormAction::<RegisterUser>::new();
    let value = register.value();
    let form = NodeRef::<leptos::html::Form>::new();
    crate::components::reset_on_success(form, value);
    let done = crate::components::action_succeeded(value);
    let department_error = field_error(value, "department_id");
    view! {
        <h3>"Register"</h3>
        <p class="muted">"Adds the person as an employee at once. They log in with the e-mail address."</p>
        <PostForm action=register node_ref=form attr:novalidate=true attr:class="invite-form">
            <FormError value />
            <input type="hidden" name="slug" value=slug />
            <Field label="E-mail" name="email" kind="email" id="register-email" error=field_error(value, "email") />
            <Field label="First name" name="first_name" id="register-first-name" error=field_error(value, "first_name") />
            <Field label="Last name" name="last_name" id="register-last-name" error=field_error(value, "last_name") />
            <Field label="Position" name="position" id="register-position" error=field_error(value, "position") />
            <div class="field">
                <label for="register-department">"Department"</label>
                <select id="register-department" name="department_id" aria-describedby="register-department-error">
                    {dialog.departments.iter().map(|d| view! { <option value=d.id>{d.name.clone()}</option> }).collect_view()}
                </select>
                <p class="field-error" id="register-department-error">{move || department_error.get()}</p>
            </div>
            <div class="check">
                <input type="checkbox" id="register-without-confirmation" name="without_confirmation" value="on" checked />
                <label for="register-without-confirmation">"Without confirmation"</label>
            </div>
            <p class="muted">
                "On: the account is active at once and a random password is e-mailed to the person. "
                "Off: the e-mail carries a link where the person sets their own password."
            </p>
            <button type="submit" class="primary">"Register"</button>
            <Show when=move || done.get()>
                <p class="notice" role="status">"Registered. The person appears under Employees."</p>
            </Show>
        </PostForm>
    }
}

#[component]
fn EmailInviteForm(dialog: InviteDialog, slug: String) -> impl IntoView {
    let invite = FormAction::<InviteByEmail>::new();
    let value = invite.value();
    let message_error = field_error(value, "message");
    let department_error = field_error(value, "department_id");
    let pending = invite.pending();
    let message_field = if dialog.message_editable {
        view! {
            <textarea id="invite-message" name="message" rows="3" aria-describedby="invite-message-error">{dialog.default_message.clone()}</textarea>
        }
        .into_any()
    } else {
        // Not sent: the server uses the fixed text. Shown so people see what goes out.
        view! {
            <textarea id="invite-message" rows="3" readonly aria-describedby="invite-message-note">{dialog.default_message.clone()}</textarea>
            <p class="muted" id="invite-message-note">
                {format!(
                    "Message text can be edited only by Bitrix24 CRM+, Project+, Standard and Professional plan subscribers. This portal is on the {} plan.",
                    dialog.plan.name()
                )}
            </p>
        }
        .into_any()
    };
    let report = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned());
    view! {
        <PostForm action=invite attr:novalidate=true attr:class="invite-form">
            <FormError value />
            <input type="hidden" name="slug" value=slug />
            <TextArea
                label="E-mail addresses"
                name="addresses"
                id="invite-addresses"
                rows=4
                placeholder="name@company.com, one or more; commas, spaces or new lines between them"
                error=field_error(value, "addresses")
            />
            <Placement dialog=dialog.clone() prefix="invite" error=department_error />
            <div class="field">
                <label for="invite-message">"Message text"</label>
                {message_field}
                <p class="field-error" id="invite-message-error">{move || message_error.get()}</p>
            </div>
            <p class="muted">{format!("{} invitations left today.", dialog.invitations_left_today)}</p>
            <button type="submit" class="primary" disabled=move || pending.get()>"Invite"</button>
        </PostForm>
        {move || report().map(|report| view! { <InviteOutcome report /> })}
    }
}

#[component]
fn InviteOutcome(report: InviteReport) -> impl IntoView {
    let summary = match (report.invited.len(), report.resent.len()) {
        (0, 0) => "Nobody was invited.".to_string(),
        (invited, 0) => format!("Invitations sent: {invited}."),
        (invited, resent) => format!("Invitations sent: {invited}. Sent again (already invited): {resent}."),
    };
    let refused = report.refused;
    view! {
        <div class="invite-outcome" role="status">
            <p class="notice">{summary}</p>
            {(!refused.is_empty()).then(|| view! {
                <p class="form-error">{format!("Not invited: {}", refused.len())}</p>
                <ul class="refused">
                    {refused.into_iter().map(|(address, why)| view! { <li><strong>{address}</strong> ": " {why}</li> }).collect_view()}
                </ul>
            })}
        </div>
    }
}

/// "Resend" and "Cancel" of the Invited list. The page makes them outside the part a
/// live update redraws, so what they answered stays on screen.
#[derive(Clone, Copy, Default)]
pub struct InvitedActions {
    pub resend: FormAction<ResendInvitation>,
    pub cancel: FormAction<CancelInvitation>,
    pub funnel_news: FunnelNews,
}

/// Employees > Invited: invitations with their delivery status, "Resend" and "Cancel".
/// It shows the invitations still waiting; accepted and cancelled ones are a choice of
/// "Show" away. It pages, and finds an address or number.
#[component]
pub fn InvitedList(slug: String, actions: InvitedActions) -> impl IntoView {
    let InvitedActions { resend, cancel, funnel_news } = actions;
    let live = use_live();
    let query = use_query_map();
    let show = Signal::derive(move || InvitedShow::from_key(&query.read().get("show").unwrap_or_default()));
    let on_funnel = Signal::derive(move || query.read().get("show").as_deref() == Some(FUNNEL_KEY));
    let search = Signal::derive(move || query.read().get("q").unwrap_or_default());
    let page_number = Signal::derive(move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1));
    let list_slug = slug.clone();
    let page = page_data(
        move || {
            (
                list_slug.clone(),
                show.get(),
                search.get(),
                page_number.get(),
                on_funnel.get(),
                live.version(Topic::People),
                resend.version().get(),
                cancel.version().get(),
            )
        },
        move |(slug, show, search, page, funnel, ..)| async move {
            // The funnel draws its own data; the list is not fetched behind it.
            if funnel {
                Ok(InvitedPage { rows: Vec::new(), total: 0, page: 1, pages: 0 })
            } else {
                list_invitations(slug, show.key().to_string(), search, page).await
            }
        },
    );
    let resent = move || resend.value().with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    view! {
        <nav class="tabs sub-tabs" aria-label="Show">
            {InvitedShow::ALL.into_iter().map(|option| {
                let href = format!("/p/{slug}/employees?filter=invited&show={}", option.key());
                view! { <a href=href aria-current=move || (show.get() == option && !on_funnel.get()).then_some("page")>{option.label()}</a> }
            }).collect_view()}
            <a href=format!("/p/{slug}/employees?filter=invited&show={FUNNEL_KEY}") aria-current=move || on_funnel.get().then_some("page")>"Funnel"</a>
        </nav>
        {
            let slug = slug.clone();
            move || on_funnel.get().then(|| view! { <InvitationFunnel slug=slug.clone() news=funnel_news /> })
        }
        <div hidden=move || on_funnel.get()>
        <Form method="GET" action="" attr:class="search" attr:role="search">
            <input type="hidden" name="filter" value="invited" />
            <input type="hidden" name="show" value=move || show.get().key() />
            <label for="invited-search" class="visually-hidden">"Find an invitation"</label>
            <input id="invited-search" type="search" name="q" value=move || search.get() maxlength=crate::domain::SEARCH_MAX_CHARS placeholder="Find an e-mail address or phone number" />
            <button type="submit">"Search"</button>
        </Form>
        <FormError value=resend.value() />
        <FormError value=cancel.value() />
        {move || resent().map(|text| view! { <p class="notice" role="status">{text}</p> })}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {
                let slug = slug.clone();
                move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match page.await {
                            Ok(page) if page.rows.is_empty() => {
                                let why = if search.get_untracked().is_empty() { "No invitations here." } else { "No invitation matches this search." };
                                view! { <p class="muted">{why}</p> }.into_any()
                            }
                            Ok(page) => {
                                let pager = invited_pager(&slug, show.get_untracked(), &search.get_untracked(), &page);
                                view! {
                                    <InvitationTable rows=page.rows slug resend cancel />
                                    {pager}
                                }.into_any()
                            }
                            Err(error) => view! { <PortalProblem error /> }.into_any(),
                        }
                    })
                }
            }
        </Transition>
        </div>
    }
}

/// "Page 2 of 7 (312 invitations)" with links to the neighbouring pages.
fn invited_pager(slug: &str, show: InvitedShow, search: &str, page: &InvitedPage) -> impl IntoView + use<> {
    let href = |number: i64| {
        let mut href = format!("/p/{slug}/employees?filter=invited&show={}&page={number}", show.key());
        if !search.is_empty() {
            href.push_str("&q=");
            href.push_str(&encode(search));
        }
        href
    };
    let previous = (page.page > 1).then(|| href(page.page - 1));
    let next = (page.page < page.pages).then(|| href(page.page + 1));
    let count = if page.total == 1 { "1 invitation".to_string() } else { format!("{} invitations", page.total) };
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("Page {} of {} ({count})", page.page, page.pages.max(1))}</span>
            {previous.map(|href| view! { <a href=href>"Previous page"</a> })}
            {next.map(|href| view! { <a href=href>"Next page"</a> })}
        </nav>
    }
}

#[component]
fn InvitationTable(
    rows: Vec<InvitationRow>,
    slug: String,
    resend: FormAction<ResendInvitation>,
    cancel: FormAction<CancelInvitation>,
) -> impl IntoView {
    view! {
        <div class="table-box"><table class="people stacked" aria-label="Invitations">
            <thead>
                <tr>
                    <th scope="col">"Invited"</th>
                    <th scope="col">"Channel"</th>
                    <th scope="col">"Department"</th>
                    <th scope="col">"Invited by"</th>
                    <th scope="col">"Sent"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let actions = row.can_manage.then(|| {
                        let (slug_a, slug_b) = (slug.clone(), slug.clone());
                        let label_resend = format!("Resend invitation to {}", row.target);
                        let label_cancel = format!("Cancel invitation to {}", row.target);
                        view! {
                            <PostForm action=resend attr:class="inline">
                                <input type="hidden" name="slug" value=slug_a />
                                <input type="hidden" name="invitation_id" value=row.id />
                                <button type="submit" aria-label=label_resend>"Resend invitation"</button>
                            </PostForm>
                            <PostForm action=cancel attr:class="inline">
                                <input type="hidden" name="slug" value=slug_b />
                                <input type="hidden" name="invitation_id" value=row.id />
                                <button type="submit" class="danger" aria-label=label_cancel>"Cancel invitation"</button>
                            </PostForm>
                        }
                    });
                    view! {
                        <tr>
                            <td class="lead">{row.target.clone()}</td>
                            <td data-label="Channel">{row.channel}</td>
                            <td data-label="Department">{row.department}</td>
                            <td data-label="Invited by">{row.invited_by}</td>
                            <td data-label="Sent"><LocalTime moment=row.sent_at /></td>
                            <td data-label="Expires"><LocalTime moment=row.expires_at /></td>
                            <td data-label="Status">{row.delivery}</td>
                            <td class="actions">{actions}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// The page a Register e-mail's link opens: `/complete-registration?token=…`. It shows
/// what the administrator entered and asks for the person's first password.
#[component]
pub fn CompleteRegistrationPage() -> impl IntoView {
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let page = page_data(move || token.get(), load_registration_completion);
    let complete = FormAction::<CompleteRegistration>::new();
    let value = complete.value();
    view! {
        <Title text="Complete your registration" />
        <PlainPage>
            <h1>"Complete your registration"</h1>
            <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(person) => view! {
                            <p>{format!("You have been registered at {}'s Bitrix24. Choose a password to finish.", person.portal_name)}</p>
                            <dl class="facts">
                                <dt>"Name"</dt>
                                <dd>{format!("{} {}", person.first_name, person.last_name)}</dd>
                                {(!person.position.is_empty()).then(|| view! { <dt>"Position"</dt><dd>{person.position.clone()}</dd> })}
                                <dt>"Login"</dt>
                                <dd>{person.login.clone()}</dd>
                            </dl>
                            <PostForm action=complete attr:novalidate=true>
                                <FormError value />
                                <input type="hidden" name="token" value=token.get_untracked() />
                                <Field label="Password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
                                <button type="submit" class="primary">"Complete registration"</button>
                            </PostForm>
                        }.into_any(),
                        Err(_) => view! {
                            <p class="form-error" role="alert">"This link has expired or has already been used."</p>
                            <p><a href="/login">"Log In"</a>" · "<a href="/forgot-password">"Forgot password?"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </PlainPage>
    }
}

/// The page an invitation link opens: `/invite?token=…`.
#[component]
pub fn InvitationLinkPage() -> impl IntoView {
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let page = page_data(move || token.get(), load_invitation);
    view! {
        <Title text="Invitation" />
        <PlainPage>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(page) => view! { <InvitationView page token=token.get_untracked() /> }.into_any(),
                        Err(_) => view! {
                            <h1>"Invitation"</h1>
                            <p class="form-error" role="alert">"This invitation link has expired or has already been used."</p>
                            <p><a href="/login">"Log In"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </PlainPage>
    }
}

#[component]
fn InvitationView(page: InvitationPage, token: String) -> impl IntoView {
    let accept = FormAction::<AcceptInvitation>::new();
    let join = FormAction::<JoinPortal>::new();
    let ask = FormAction::<AskForNewInvitation>::new();
    let value = accept.value();
    let heading = format!("Join {}", page.portal_name);
    let intro = format!("{} invites you to {}'s Bitrix24.", page.inviter, page.portal_name);
    let body = match page.state {
        InvitationState::NewAccount => view! {
            <p class="muted">{format!("Your login will be {}.", page.target)}</p>
            <PostForm action=accept attr:novalidate=true>
                <FormError value />
                <input type="hidden" name="token" value=token.clone() />
                // Filled in from the inviter's list, when it had the name.
                <Field label="First name" name="first_name" autocomplete="given-name" value=page.first_name.clone() error=field_error(value, "first_name") />
                <Field label="Last name" name="last_name" autocomplete="family-name" value=page.last_name.clone() error=field_error(value, "last_name") />
                <Field label="Password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
                <button type="submit" class="primary">"Join"</button>
            </PostForm>
        }
        .into_any(),
        InvitationState::LogInFirst => {
            let next = format!("/login?next={}", encode(&format!("/invite?token={token}")));
            view! {
                <p>{format!("{} already has a Bitrix24 account. Log in with it, and this invitation adds the portal to it.", page.target)}</p>
                <p><a class="button" href=next>"Log in to join"</a></p>
            }
            .into_any()
        }
        InvitationState::JoinAs { name } => view! {
            <PostForm action=join>
                <FormError value=join.value() />
                <input type="hidden" name="token" value=token.clone() />
                <p>{format!("You are logged in as {name} ({}).", page.target)}</p>
                <button type="submit" class="primary">{format!("Join {}", page.portal_name)}</button>
            </PostForm>
        }
        .into_any(),
        InvitationState::WrongAccount { logged_in_as } => view! {
            <p class="form-error" role="alert">
                {format!("This invitation is for {}, but you are logged in as {logged_in_as}. Log out, then open the link again.", page.target)}
            </p>
        }
        .into_any(),
        InvitationState::Expired => view! {
            <p class="form-error" role="alert">"This invitation has expired."</p>
            <PostForm action=ask>
                <FormError value=ask.value() />
                <input type="hidden" name="token" value=token.clone() />
                <button type="submit">"Ask for a new invitation"</button>
                <Show when=move || ask.value().with(|v| matches!(v, Some(Ok(_))))>
                    <p class="notice" role="status">"We told the person who invited you."</p>
                </Show>
            </PostForm>
        }
        .into_any(),
        InvitationState::Used => view! {
            <p class="form-error" role="alert">"This invitation has already been used or was cancelled."</p>
            <p><a href="/login">"Log In"</a></p>
        }
        .into_any(),
    };
    view! {
        <h1>{heading}</h1>
        <p>{intro}</p>
        <blockquote class="muted">{page.message}</blockquote>
        {body}
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}
