//! Both sides: the network profile's "Two-factor log-in" section. Setting it up (scan,
//! confirm a code with the password, keep the recovery codes), new recovery codes, and
//! turning it off.

use leptos::prelude::*;

use crate::components::{FormAction, PostForm};

use super::api::{BeginTwoFactorSetup, ConfirmTwoFactor, RenewRecoveryCodes, TurnOffTwoFactor};
use super::{TwoFactorSetup, TwoFactorState};
use crate::components::{Field, FormError, LocalTime, field_error};

/// `turned_on` is set when two-factor log-in is turned on here (that ends the account's
/// other sessions, so the sessions list follows).
#[component]
pub fn TwoFactorSection(initial: TwoFactorState, turned_on: RwSignal<bool>) -> impl IntoView {
    let on = RwSignal::new(initial.on_since.is_some());
    // The date it was turned on, as loaded; a change on this page shows no date.
    let since = RwSignal::new(initial.on_since);
    let codes_left = RwSignal::new(initial.recovery_codes_left);
    // Recovery codes just made: shown once, until the page is left.
    let fresh_codes = RwSignal::new(None::<Vec<String>>);
    let setup = RwSignal::new(None::<TwoFactorSetup>);
    let begin = FormAction::<BeginTwoFactorSetup>::new();
    let confirm = FormAction::<ConfirmTwoFactor>::new();
    let renew = FormAction::<RenewRecoveryCodes>::new();
    let turn_off = FormAction::<TurnOffTwoFactor>::new();
    let (begin_value, confirm_value, renew_value, turn_off_value) = (begin.value(), confirm.value(), renew.value(), turn_off.value());
    Effect::new(move |_| {
        if let Some(Ok(started)) = begin_value.get() {
            setup.set(Some(started));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(codes)) = confirm_value.get() {
            codes_left.set(codes.len() as i64);
            fresh_codes.set(Some(codes));
            setup.set(None);
            since.set(None);
            on.set(true);
            turned_on.set(true);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(codes)) = renew_value.get() {
            codes_left.set(codes.len() as i64);
            fresh_codes.set(Some(codes));
        }
    });
    let turned_off = move || turn_off_value.with(|v| matches!(v, Some(Ok(()))));
    Effect::new(move |_| {
        if turned_off() {
            fresh_codes.set(None);
            on.set(false);
        }
    });
    view! {
        <section aria-labelledby="two-factor-heading">
            <h2 id="two-factor-heading">"Two-factor log-in"</h2>
            {move || if on.get() {
                view! {
                    <p>
                        <strong>"On"</strong>
                        {since.get().map(|since| view! { " since " <LocalTime moment=since /> })}
                        ". Logging in asks for a code from your authenticator app after the password. "
                        {move || format!("Recovery codes left: {}.", codes_left.get())}
                    </p>
                    {move || fresh_codes.get().map(|codes| view! { <RecoveryCodes codes /> })}
                    <PostForm action=renew attr:novalidate=true>
                        <FormError value=renew_value />
                        <Field label="Code from the app" name="code" id="two-factor-renew-code" autocomplete="one-time-code" error=field_error(renew_value, "code") />
                        <p class="hint">"New recovery codes replace the old ones, which stop working."</p>
                        <button type="submit">"Get new recovery codes"</button>
                    </PostForm>
                    <PostForm action=turn_off attr:novalidate=true>
                        <FormError value=turn_off_value />
                        <Field label="Code from the app, or a recovery code" name="code" id="two-factor-off-code" autocomplete="one-time-code" error=field_error(turn_off_value, "code") />
                        <button type="submit" class="danger">"Turn off two-factor log-in"</button>
                    </PostForm>
                }
                .into_any()
            } else {
                view! {
                    <Show when=turned_off>
                        <p class="notice" role="status">"Two-factor log-in is off. Logging in asks for the password only."</p>
                    </Show>
                    <p>
                        "Off. With it on, logging in asks for your password and then a code from an authenticator app on your phone "
                        "(such as Google Authenticator, Microsoft Authenticator or 1Password), so a stolen password alone does not let anyone in."
                    </p>
                    {move || match setup.get() {
                        None => view! {
                            <PostForm action=begin>
                                <FormError value=begin_value />
                                <button type="submit">"Set up two-factor log-in"</button>
                            </PostForm>
                        }
                        .into_any(),
                        Some(setup) => view! { <SetupSteps setup confirm /> }.into_any(),
                    }}
                }
                .into_any()
            }}
        </section>
    }
    // Erased: the whole profile's view type is otherwise too deep for the compiler.
    .into_any()
}

#[component]
fn SetupSteps(setup: TwoFactorSetup, confirm: FormAction<ConfirmTwoFactor>) -> impl IntoView {
    let value = confirm.value();
    view! {
        <ol class="steps">
            <li>
                "Scan this QR code with your authenticator app."
                // Drawn on the server from the app's otpauth:// address; no script in it.
                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=setup.qr_svg></div>
                <p class="hint">"Cannot scan it? Add an account in the app by hand, with this key: " <code class="secret" data-testid="two-factor-key">{setup.secret}</code></p>
            </li>
            <li>
                "Enter the 6-digit code the app now shows, and your password."
                <PostForm action=confirm attr:novalidate=true>
                    <FormError value />
                    <Field label="Code from the app" name="code" id="two-factor-setup-code" autocomplete="one-time-code" error=field_error(value, "code") />
                    <Field label="Current password" name="current_password" id="two-factor-password" kind="password" autocomplete="current-password" error=field_error(value, "current_password") />
                    <button type="submit" class="primary">"Turn on two-factor log-in"</button>
                </PostForm>
            </li>
        </ol>
    }
}

#[component]
fn RecoveryCodes(codes: Vec<String>) -> impl IntoView {
    view! {
        <div class="recovery-codes">
            <p class="notice" role="status">
                "Save these recovery codes somewhere safe, such as a password manager. If you lose your phone, "
                "each one logs you in once instead of a code from the app. They are not shown again. "
                "Your other sessions, if any, were logged out."
            </p>
            <ul aria-label="Recovery codes">
                {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
            </ul>
        </div>
    }
}
