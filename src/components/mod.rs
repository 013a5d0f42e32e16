//! Pieces reused across features: labelled form fields with their error line, form
//! messages, and the page frames.
//! Base layer. May depend on: `domain`, `error`.

mod page_data;
mod portal;
mod post_form;

use leptos::prelude::*;

pub use page_data::{JsonBytes, PageData, page_data};
pub use portal::{CurrentPortal, PortalHome, initials, use_current_portal, use_slug};
pub use post_form::{FormAction, PostForm};

use crate::error::AppError;

/// A labelled input with its error shown right below it. Tests and screen readers find
/// the input by its label.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(into)] error: Signal<Option<String>>,
    /// Needed when two forms on one page have a field of the same name.
    #[prop(optional)]
    id: Option<&'static str>,
) -> impl IntoView {
    let id = id.map(str::to_string).unwrap_or_else(|| format!("field-{name}"));
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                name=name
                type=kind
                autocomplete=autocomplete
                value=value
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            />
            <p class="field-error" id=error_id>
                {move || error.get()}
            </p>
        </div>
    }
}

/// The error of one field from the latest result of a form's action.
pub fn field_error<T>(value: MappedSignal<Option<Result<T, AppError>>>, field: &'static str) -> Signal<Option<String>>
where
    T: Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.for_field(field))))
}

/// A form-level message (not tied to one field), shown as an alert.
#[component]
pub fn FormError<T>(value: MappedSignal<Option<Result<T, AppError>>>) -> impl IntoView
where
    T: Send + Sync + 'static,
{
    let message = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(AppError::general_message));
    view! {
        <Show when=move || message().is_some()>
            <p class="form-error" role="alert">
                {message}
            </p>
        </Show>
    }
}

/// A time as its reader reads it (relative while recent, in their own zone), with the
/// full local date and time on hover.
#[component]
pub fn LocalTime(moment: crate::domain::time::Moment) -> impl IntoView {
    view! { <time datetime=moment.iso title=moment.full>{moment.text}</time> }
}

/// Selects a read-only field's text and puts it on the clipboard ("Copy" beside a link).
#[cfg(feature = "hydrate")]
pub fn copy_field(input: &web_sys::HtmlInputElement) {
    input.select();
    let clipboard = window().navigator().clipboard();
    if !clipboard.is_undefined() {
        let _ = clipboard.write_text(&input.value());
    }
}

/// The browser's time zone, an IANA name such as "Europe/Berlin".
#[cfg(feature = "hydrate")]
pub fn browser_time_zone() -> Option<String> {
    let format = js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new());
    js_sys::Reflect::get(&format.resolved_options(), &"timeZone".into()).ok()?.as_string()
}

/// The frame of pages outside a portal: log-in, sign-up, network profile.
#[component]
pub fn PlainPage(children: Children) -> impl IntoView {
    view! {
        <div class="plain-page">
            <header class="brand">
                <a href="/">"Bitrix24"</a>
                <span class="brand-sub">" intranet"</span>
            </header>
            <main class="card">{children()}</main>
        </div>
    }
}

/// A labelled multi-line input with its error line.
#[component]
pub fn TextArea(
    label: &'static str,
    name: &'static str,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(default = 3)] rows: u32,
    #[prop(optional)] id: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional, into)] value: String,
) -> impl IntoView {
    let id = id.map(str::to_string).unwrap_or_else(|| format!("field-{name}"));
    let error_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <textarea
                id=id
                name=name
                rows=rows
                placeholder=placeholder
                aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                aria-describedby=error_id.clone()
            >{value}</textarea>
            <p class="field-error" id=error_id>
                {move || error.get()}
            </p>
        </div>
    }
}

/// What a portal page shows when its data cannot be loaded for this person.
#[component]
pub fn PortalProblem(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => view! {
            <h1>"Please log in"</h1>
            <p><a href="/login">"Log In"</a> " to open this portal."</p>
        }
        .into_any(),
        AppError::PasswordChangeRequired => view! {
            <h1>"Choose a new password"</h1>
            <p>"The password you were sent works for the first log-in only. "
               <a href="/network/profile">"Change it in your network profile"</a> " to continue."</p>
        }
        .into_any(),
        AppError::NotFound => view! {
            <h1>"Not available"</h1>
            <p>"This page does not exist, or you are not an active member of this portal."</p>
            <p><a href="/portals">"My portals"</a></p>
        }
        .into_any(),
        AppError::TwoFactorRequired => view! {
            <h1>"Set up two-factor log-in"</h1>
            <p>"This portal asks its administrators to log in with a code from an authenticator app as well as the password. "
               <a href="/network/profile">"Set up two-factor log-in in your network profile"</a>
               " to use the administrator pages."</p>
        }
        .into_any(),
        AppError::Forbidden => view! {
            <h1>"Administrators only"</h1>
            <p>"Only the portal's administrators can see this page."</p>
        }
        .into_any(),
        other => view! {
            <h1>"Something went wrong"</h1>
            <p class="form-error" role="alert">{other.to_string()}</p>
        }
        .into_any(),
    }
}

/// A successful action's message (e.g. "Saved"), or nothing.
pub fn action_succeeded<T>(value: MappedSignal<Option<Result<T, AppError>>>) -> Signal<bool>
where
    T: Send + Sync + 'static,
{
    Signal::derive(move || value.with(|v| matches!(v, Some(Ok(_)))))
}

/// Clears a form once its action has succeeded, so the next post starts empty.
pub fn reset_on_success<T: Send + Sync + 'static>(form: NodeRef<leptos::html::Form>, value: MappedSignal<Option<Result<T, AppError>>>) {
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_))))
            && let Some(form) = form.get_untracked()
        {
            form.reset();
        }
    });
}
