//! Pieces reused across features: labelled form fields with their error line, form
//! messages, and the page frames.

use leptos::prelude::*;

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
