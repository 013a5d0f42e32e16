use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_router::hooks::use_query_map;

use super::api::{ConfirmEmail, ForgotPassword, LogIn, LogInWithCode, ResetPassword, ResetPasswordWithCode, link_status, my_portals};
use crate::components::{Field, FormError, PlainPage, field_error};
use crate::domain::{MembershipStatus, Role};
use crate::error::AppError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = FormAction::<LogIn>::new();
    let value = action.value();
    let query = use_query_map();
    let reset_done = move || query.read().get("reset").is_some_and(|v| v == "done");
    // The browser's zone goes with the log-in, so the first portal page already shows
    // times in it.
    let time_zone = RwSignal::new(String::new());
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(zone) = crate::components::browser_time_zone() {
            time_zone.set(zone);
        }
    });
    view! {
        <PlainPage>
            <h1>"Log In"</h1>
            // The seed's own words above the form.
            <h2 class="subtitle">"Your Bitrix24"</h2>
            <p class="muted">"Authorize to enter your company's Bitrix24."</p>
            <Show when=reset_done>
                <p class="notice" role="status">"Your password was changed. Log in with the new one."</p>
            </Show>
            <PostForm action=action>
                <FormError value=value />
                <input type="hidden" name="next" value=move || query.read().get("next").unwrap_or_default() />
                <input type="hidden" name="time_zone" value=move || time_zone.get() />
                <Field label="Login" name="login" autocomplete="username" error=field_error(value, "login") />
                <Field label="Password" name="password" kind="password" autocomplete="current-password" error=field_error(value, "password") />
                <div class="check">
                    <input type="checkbox" id="field-remember" name="remember" value="on" />
                    <label for="field-remember">"Remember me"</label>
                </div>
                <button type="submit" class="primary">"Log In"</button>
            </PostForm>
            <p class="links">
                <a href="/forgot-password">"Forgot password?"</a>
                " · "
                <a href="/">"Create your Bitrix24"</a>
            </p>
        </PlainPage>
    }
}

/// The second step of a log-in with two-factor log-in on: the code from the app, or a
/// recovery code. The step's secret travels in a short-lived cookie, never in the address.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let action = FormAction::<LogInWithCode>::new();
    let value = action.value();
    let expired = move || value.with(|v| matches!(v, Some(Err(AppError::LogInExpired))));
    view! {
        <PlainPage>
            <h1>"Two-factor log-in"</h1>
            <p class="muted">"Open the authenticator app on your phone and enter the code it shows for Bitrix24."</p>
            <PostForm action=action attr:novalidate=true>
                <FormError value=value />
                <Field label="Code" name="code" autocomplete="one-time-code" error=field_error(value, "code") />
                <p class="hint">"Lost your phone? Enter one of your recovery codes instead. Each works once."</p>
                <button type="submit" class="primary">"Log In"</button>
            </PostForm>
            <p class="links">
                <a href="/login">{move || if expired() { "Log in again" } else { "Back to Log In" }}</a>
            </p>
        </PlainPage>
    }
}

#[component]
pub fn PortalChooserPage() -> impl IntoView {
    let portals = page_data(|| (), |_| my_portals());
    view! {
        <PlainPage>
            <h1>"Choose a Bitrix24"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match portals.await {
                        Ok(list) => view! {
                            <ul class="portal-list">
                                {list.into_iter().map(|p| {
                                    let href = format!("/p/{}", p.slug);
                                    let note = match p.status {
                                        MembershipStatus::Active if p.role == Role::Admin => "administrator",
                                        MembershipStatus::Active => "employee",
                                        MembershipStatus::PendingApproval => "awaiting administrator approval",
                                        MembershipStatus::Dismissed => "no access (dismissed)",
                                        MembershipStatus::Invited => "invited",
                                    };
                                    view! {
                                        <li>
                                            {if p.status == MembershipStatus::Active {
                                                view! { <a href=href>{p.name.clone()}</a> }.into_any()
                                            } else {
                                                view! { <span>{p.name.clone()}</span> }.into_any()
                                            }}
                                            <span class="muted">" — " {note}</span>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            <p class="links"><a href="/network/profile">"Network profile"</a></p>
                        }.into_any(),
                        Err(_) => view! { <p>"Please " <a href="/login">"log in"</a> " first."</p> }.into_any(),
                    }
                })}
            </Suspense>
        </PlainPage>
    }
}

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = FormAction::<ForgotPassword>::new();
    let value = action.value();
    let sent = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    view! {
        <PlainPage>
            <h1>"Forgot password?"</h1>
            {move || match sent() {
                None => view! {
                    <p>"Enter your login. If it is an e-mail address, we will e-mail a link to set a new password; if it is a phone number, we will text a code."</p>
                    <PostForm action=action>
                        <FormError value=value />
                        <Field label="Login" name="login" autocomplete="username" error=field_error(value, "login") />
                        <button type="submit" class="primary">"Send"</button>
                    </PostForm>
                }.into_any(),
                Some(sent) => view! {
                    <p class="notice" role="status">{sent.message.clone()}</p>
                    {sent.by_code.then(|| view! {
                        <ResetWithCode login=sent.login.clone() />
                        // No SMS, or an old one: the same request again texts a new code
                        // (within the hourly share), and only the newest code counts.
                        <PostForm action=action>
                            <input type="hidden" name="login" value=sent.login.clone() />
                            <p class="links">"No code? "<button type="submit" class="link-button">"Send a new code"</button></p>
                        </PostForm>
                    })}
                }.into_any(),
            }}
            <p class="links"><a href="/login">"Back to Log In"</a></p>
        </PlainPage>
    }
}

/// The second step of a phone login's reset: the code from the SMS and a new password.
#[component]
fn ResetWithCode(login: String) -> impl IntoView {
    let action = FormAction::<ResetPasswordWithCode>::new();
    let value = action.value();
    view! {
        <PostForm action=action attr:novalidate=true>
            <FormError value=value />
            <input type="hidden" name="login" value=login />
            <Field label="Code from the SMS" name="code" autocomplete="one-time-code" error=field_error(value, "code") />
            <Field label="New password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
            <button type="submit" class="primary">"Set new password"</button>
        </PostForm>
    }
}

/// A page for a single-use link: shows its children while the link still works,
/// otherwise a clear "expired or used" message.
#[component]
pub fn LinkGate(purpose: &'static str, children: ChildrenFn) -> impl IntoView {
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let status = page_data(token, move |token| link_status(token, purpose.to_string()));
    view! {
        <Suspense fallback=|| view! { <p>"Checking the link…"</p> }>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match status.await {
                        Ok(true) => children().into_any(),
                        _ => view! {
                            <h1>"This link no longer works"</h1>
                            <p class="form-error" role="alert">"This link has expired or has already been used."</p>
                            <p>"Links in our emails work once and only for a limited time. Ask for a new one and use the newest email."</p>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = FormAction::<ResetPassword>::new();
    let value = action.value();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    view! {
        <PlainPage>
            <LinkGate purpose="password_reset">
                <h1>"Set a new password"</h1>
                <PostForm action=action>
                    <FormError value=value />
                    <input type="hidden" name="token" value=token />
                    <Field label="New password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
                    <p class="hint">"At least 8 characters. Setting it logs out every session of the account."</p>
                    <button type="submit" class="primary">"Set new password"</button>
                </PostForm>
            </LinkGate>
            <p class="links"><a href="/forgot-password">"Ask for a new link"</a> " · " <a href="/login">"Log In"</a></p>
        </PlainPage>
    }
}

/// The page of an address confirmation link: one click confirms.
#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = FormAction::<ConfirmEmail>::new();
    let value = action.value();
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let confirmed = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok().cloned()));
    view! {
        <PlainPage>
            <Show
                when=move || confirmed().is_some()
                fallback=move || view! {
                    <LinkGate purpose="email_confirm">
                        <h1>"Confirm your e-mail address"</h1>
                        <PostForm action=action>
                            <FormError value=value />
                            <input type="hidden" name="token" value=token />
                            <button type="submit" class="primary">"Confirm e-mail address"</button>
                        </PostForm>
                    </LinkGate>
                }
            >
                <h1>"E-mail address confirmed"</h1>
                <p class="notice" role="status">
                    <strong>{confirmed}</strong> " is confirmed. Your Bitrix24 can now invite colleagues."
                </p>
                <p><a href="/portals">"My portals"</a></p>
            </Show>
        </PlainPage>
    }
}
