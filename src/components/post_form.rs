//! Forms that post to a server function the way the browser posts a form by itself.
//!
//! Leptos's `ActionForm` reads a form's fields into the function's arguments (a serde_qs
//! decoder for each function) and then encodes those arguments again for the request (an
//! encoder for each function), so the browser's WASM carried two generated codecs per form.
//! `PostForm` sends the fields URL-encoded, as the browser's own submission does, and the
//! server decodes them as it decodes a post made without WASM. What is left per form is
//! reading its answer (`scripts/bench wasm`).

use std::marker::PhantomData;

use leptos::prelude::*;
use leptos::server_fn::codec::{Json, PostUrl};
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// A form's call of the server function `S`, as Leptos's `ServerAction` is, with the
/// form's fields, URL-encoded, as its input.
pub struct FormAction<S: ServerFn> {
    action: Action<String, Result<S::Output, AppError>>,
    function: PhantomData<fn() -> S>,
}

impl<S: ServerFn> Clone for FormAction<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S: ServerFn> Copy for FormAction<S> {}

/// Its answer (`value`), whether it is on its way (`pending`), how many answers came
/// (`version`): those of the action underneath, as with `ServerAction`.
impl<S: ServerFn> std::ops::Deref for FormAction<S> {
    type Target = Action<String, Result<S::Output, AppError>>;

    fn deref(&self) -> &Self::Target {
        &self.action
    }
}

impl<S> FormAction<S>
where
    S: ServerFn<Error = AppError, Protocol = Http<PostUrl, Json>>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    #[track_caller]
    pub fn new() -> Self {
        // After a post made without WASM, the server sends the browser back to the page
        // with the refusal in its address; the form shows it as if it had just come.
        let refused = use_context::<leptos::server::ServerActionError>()
            .filter(|error| error.path() == S::PATH)
            .map(|error| Err(leptos::server_fn::error::ServerFnUrlError::<AppError>::decode_err(error.err())));
        let action = Action::new_with_value(refused, |fields: &String| post::<S::Output>(S::PATH, fields.clone()));
        FormAction { action, function: PhantomData }
    }

    /// Calls the function with these fields, as if a form holding them had been sent.
    pub fn send(&self, fields: &[(&str, &str)]) {
        #[cfg(feature = "hydrate")]
        if let Ok(encoded) = web_sys::UrlSearchParams::new() {
            for (name, value) in fields {
                encoded.append(name, value);
            }
            self.action.dispatch(encoded.to_string().into());
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = fields;
    }
}

impl<S> Default for FormAction<S>
where
    S: ServerFn<Error = AppError, Protocol = Http<PostUrl, Json>>,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    #[track_caller]
    fn default() -> Self {
        Self::new()
    }
}

/// A `<form>` that posts to `action`'s server function: without WASM (or before it has
/// loaded) as a plain post, after which the server sends the browser back; with WASM by
/// the action, so the page stays and shows the answer.
///
/// Only this shell is generic: the form itself is drawn by `post_form`, once for every
/// function, so the compiler does not build a copy of the view for each of them.
#[component]
pub fn PostForm<S>(
    action: FormAction<S>,
    /// The `<form>` element, for code that resets it.
    #[prop(optional)]
    node_ref: Option<NodeRef<leptos::html::Form>>,
    children: Children,
) -> impl IntoView
where
    S: ServerFn<Error = AppError, Protocol = Http<PostUrl, Json>> + 'static,
    S::Output: DeserializeOwned + Send + Sync + 'static,
{
    let dispatch = Callback::new(move |fields: String| {
        action.action.dispatch(fields);
    });
    post_form(S::PATH, dispatch, node_ref.unwrap_or_default(), children)
}

fn post_form(path: &'static str, dispatch: Callback<String>, node_ref: NodeRef<leptos::html::Form>, children: Children) -> impl IntoView {
    let submit = move |event: leptos::ev::SubmitEvent| {
        if event.default_prevented() {
            return;
        }
        // Fields that cannot be read leave the browser to post the form itself.
        #[cfg(feature = "hydrate")]
        if let Some(fields) = submitted_fields(&event) {
            event.prevent_default();
            dispatch.run(fields);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = dispatch;
    };
    view! {
        <form action=path method="post" on:submit=submit node_ref=node_ref>
            {children()}
        </form>
    }
}

/// The form's fields as the browser would post them, with the button that sent it.
#[cfg(feature = "hydrate")]
fn submitted_fields(event: &leptos::ev::SubmitEvent) -> Option<String> {
    let data = leptos::form::form_data_from_event(event).ok()?;
    let fields = web_sys::UrlSearchParams::new_with_str_sequence_sequence(&data).ok()?;
    Some(fields.to_string().into())
}

/// Posts `fields` to the server function at `path` and reads its answer, as the client of
/// server_fn 0.8 does for `Http<PostUrl, Json>` (`Http::run_client`; check it when
/// upgrading): an error status carries the refusal, and a redirect the function asked for
/// goes through the router's redirect hook (every form of the app is inside `<Router>`).
async fn post<T: DeserializeOwned>(path: &'static str, fields: String) -> Result<T, AppError> {
    let answer = send_fields(path, fields).await?;
    let value = serde_json::from_slice(&answer.body).map_err(|error| {
        use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
        AppError::from_server_fn_error(ServerFnErrorErr::Deserialization(error.to_string()))
    })?;
    // As server_fn's client does: only an answer that is not a refusal redirects.
    if let Some(location) = answer.redirect_to {
        leptos::server_fn::redirect::call_redirect_hook(&location);
    }
    Ok(value)
}

/// An answer that is not a refusal, not yet decoded.
struct Answer {
    body: leptos::server_fn::Bytes,
    redirect_to: Option<String>,
}

/// The part of `post` that does not depend on the answer's type, kept apart so that it
/// is compiled once rather than for every function.
async fn send_fields(path: &'static str, fields: String) -> Result<Answer, AppError> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::server_fn::ContentType;
        use leptos::server_fn::client::{Client, browser::BrowserClient};
        use leptos::server_fn::request::{ClientReq, browser::BrowserRequest};
        use leptos::server_fn::response::ClientRes;

        let request = <BrowserRequest as ClientReq<AppError>>::try_new_post(path, PostUrl::CONTENT_TYPE, Json::CONTENT_TYPE, fields)?;
        let response = <BrowserClient as Client<AppError>>::send(request).await?;
        let status = ClientRes::<AppError>::status(&response);
        let location = ClientRes::<AppError>::location(&response);
        let redirected = (300..=399).contains(&status) || ClientRes::<AppError>::has_redirect(&response);
        let body = ClientRes::<AppError>::try_into_bytes(response).await?;
        if (400..=599).contains(&status) {
            return Err(AppError::de(body));
        }
        Ok(Answer { body, redirect_to: redirected.then_some(location) })
    }
    // Forms are sent from the browser only; on the server the action never runs.
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (path, fields);
        Err(AppError::Transport("forms are sent from the browser".into()))
    }
}
