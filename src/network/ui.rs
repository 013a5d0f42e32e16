use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_router::hooks::use_query_map;

use super::SessionRow;
use super::api::{ChangeLogin, ChangePassword, ConfirmLogin, ConfirmLoginCode, EndOtherSessions, EndSession, load_network_profile};
use super::two_factor_ui::TwoFactorSection;
use crate::auth::api::LogOut;
use crate::auth::ui::LinkGate;
use crate::components::{Field, FormError, LocalTime, PlainPage, field_error};
use crate::domain::MembershipStatus;

#[component]
pub fn NetworkProfilePage() -> impl IntoView {
    let profile = page_data(|| (), |_| load_network_profile());
    view! {
        <PlainPage>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match profile.await {
                        Ok(profile) => view! { <ProfileDetails profile /> }.into_any(),
                        Err(_) => view! {
                            <h1>"Network profile"</h1>
                            <p>"Please " <a href="/login">"log in"</a> " to see your network profile."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </PlainPage>
    }
}

#[component]
fn ProfileDetails(profile: super::NetworkProfile) -> impl IntoView {
    let password_action = FormAction::<ChangePassword>::new();
    let password_value = password_action.value();
    let login_action = FormAction::<ChangeLogin>::new();
    let login_value = login_action.value();
    let log_out = FormAction::<LogOut>::new();
    let done = |value: MappedSignal<Option<Result<String, crate::error::AppError>>>| {
        move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()))
    };
    let password_done = done(password_value);
    let login_done = move || login_value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    let code_action = FormAction::<ConfirmLoginCode>::new();
    let code_value = code_action.value();
    let code_done = done(code_value);
    let must_change = profile.must_change_password;
    let two_factor_turned_on = RwSignal::new(false);
    view! {
        <h1>"Network profile"</h1>
        <Show when=move || must_change && password_done().is_none()>
            <p class="notice" role="alert">
                "Choose a new password below before you continue: the one you were sent works for the first log-in only."
            </p>
        </Show>
        <dl class="facts">
            <dt>"Login"</dt>
            <dd data-testid="login">{profile.login}</dd>
            <dt>"Name"</dt>
            <dd>{format!("{} {}", profile.first_name, profile.last_name)}</dd>
        </dl>

        <section aria-labelledby="portals-heading">
            <h2 id="portals-heading">"My portals"</h2>
            <ul class="portal-list">
                {profile.portals.into_iter().map(|p| {
                    let href = format!("/p/{}", p.slug);
                    let active = p.status == MembershipStatus::Active;
                    view! {
                        <li>
                            {if active { view! { <a href=href>{p.name}</a> }.into_any() } else { view! { <span>{p.name}</span> }.into_any() }}
                            <span class="muted">" — " {p.role.key()} ", " {p.status.key()}</span>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p><a href="/">"Create another Bitrix24"</a></p>
        </section>

        <section aria-labelledby="password-heading">
            <h2 id="password-heading">"Change password"</h2>
            <PostForm action=password_action>
                <FormError value=password_value />
                <Field label="Current password" name="current_password" kind="password" autocomplete="current-password" error=field_error(password_value, "current_password") />
                <Field label="New password" name="new_password" kind="password" autocomplete="new-password" error=field_error(password_value, "new_password") />
                <button type="submit">"Change password"</button>
                <Show when=move || password_done().is_some()>
                    <p class="notice" role="status">{password_done}</p>
                </Show>
            </PostForm>
        </section>

        <section aria-labelledby="login-heading">
            <h2 id="login-heading">"Change login"</h2>
            <p class="hint">
                "Your login is the e-mail address or phone number you log in with. A new address gets a confirmation link, "
                "a new number a code by SMS; the login changes once you use it."
            </p>
            <PostForm action=login_action attr:novalidate=true>
                <FormError value=login_value />
                <Field label="New login" name="new_login" autocomplete="username" error=field_error(login_value, "new_login") />
                <Field label="Password" name="current_password" id="login-change-password" kind="password" autocomplete="current-password" error=field_error(login_value, "current_password") />
                <button type="submit">"Change login"</button>
                {move || login_done().map(|answer| view! { <p class="notice" role="status">{answer.message}</p> })}
            </PostForm>
            {move || login_done().filter(|answer| answer.by_code).map(|_| view! {
                <PostForm action=code_action attr:novalidate=true>
                    <FormError value=code_value />
                    <Field label="Code from the SMS" name="code" id="login-change-code" autocomplete="one-time-code" error=field_error(code_value, "code") />
                    <button type="submit">"Confirm new login"</button>
                    {move || code_done().map(|done| view! { <p class="notice" role="status">{done}</p> })}
                </PostForm>
            })}
        </section>

        <TwoFactorSection initial=profile.two_factor turned_on=two_factor_turned_on />

        <ActiveSessions initial=profile.sessions others_ended=Signal::derive(move || password_done().is_some() || two_factor_turned_on.get()) />

        <PostForm action=log_out attr:class="inline">
            <button type="submit" class="link-button">"Log out"</button>
        </PostForm>
    }
}

/// Everywhere the account is logged in, and a way to end any of it but this browser.
#[component]
fn ActiveSessions(
    initial: Vec<SessionRow>,
    /// A new password, or two-factor log-in turned on, ends the other sessions: the list
    /// follows.
    others_ended: Signal<bool>,
) -> impl IntoView {
    let rows = RwSignal::new(initial);
    Effect::new(move |_| {
        if others_ended.get() {
            rows.update(|rows| rows.retain(|row| row.this_device));
        }
    });
    let end_one = FormAction::<EndSession>::new();
    let end_one_value = end_one.value();
    let end_others = FormAction::<EndOtherSessions>::new();
    let end_others_value = end_others.value();
    // Both answer the list as it now stands.
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = end_one_value.get() {
            rows.set(fresh);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = end_others_value.get() {
            rows.set(fresh);
        }
    });
    let others_ended = move || end_others_value.with(|v| matches!(v, Some(Ok(_))));
    let one_ended = move || end_one_value.with(|v| matches!(v, Some(Ok(_))));
    let only_this_one = move || rows.with(|rows| rows.iter().all(|row| row.this_device));
    view! {
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">"Active sessions"</h2>
            <p class="hint">"Everywhere your account is logged in now. If you do not recognise a session, end it and change your password."</p>
            <FormError value=end_one_value />
            <Show when=one_ended>
                <p class="notice" role="status">"The session was ended. That browser gets the log-in page next."</p>
            </Show>
            <ul class="sessions" aria-label="Active sessions">
                {move || rows.get().into_iter().map(|row| view! { <SessionLine row end_one /> }).collect_view()}
            </ul>
            <PostForm action=end_others>
                <FormError value=end_others_value />
                <button type="submit" disabled=only_this_one>"Log out everywhere else"</button>
                <Show when=others_ended>
                    <p class="notice" role="status">"Your other sessions were logged out."</p>
                </Show>
            </PostForm>
        </section>
    }
    // Erased: the whole profile's view type is otherwise too deep for the compiler.
    .into_any()
}

#[component]
fn SessionLine(row: SessionRow, end_one: FormAction<EndSession>) -> impl IntoView {
    // The visible words first, so a voice command of what is seen finds the button.
    let label = format!("End session of {} on {}, from {}", row.browser, row.system, row.client_address);
    view! {
        <li>
            <div class="session-about">
                <strong>{row.browser}</strong>
                " on "
                <strong>{row.system}</strong>
                {row.this_device.then(|| view! { <span class="this-device">"This device"</span> })}
                <br />
                <span class="muted">
                    {row.client_address} " · Started " <LocalTime moment=row.started /> " · Last seen " <LocalTime moment=row.last_seen />
                </span>
            </div>
            {(!row.this_device).then(|| view! {
                <PostForm action=end_one attr:class="inline">
                    <input type="hidden" name="id" value=row.id />
                    <button type="submit" class="danger" aria-label=label>"End session"</button>
                </PostForm>
            })}
        </li>
    }
}

#[component]
pub fn ConfirmLoginPage() -> impl IntoView {
    let action = FormAction::<ConfirmLogin>::new();
    let value = action.value();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let confirmed = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    view! {
        <PlainPage>
            <Show
                when=move || confirmed().is_some()
                fallback=move || view! {
                    <LinkGate purpose="login_change">
                        <h1>"Confirm your new login"</h1>
                        <PostForm action=action>
                            <FormError value=value />
                            <input type="hidden" name="token" value=token />
                            <button type="submit" class="primary">"Confirm new login"</button>
                        </PostForm>
                    </LinkGate>
                }
            >
                <h1>"Login changed"</h1>
                <p class="notice" role="status">"Your login is now " <strong>{confirmed}</strong> ". Use it the next time you log in."</p>
                <p><a href="/login">"Log In"</a></p>
            </Show>
        </PlainPage>
    }
}
