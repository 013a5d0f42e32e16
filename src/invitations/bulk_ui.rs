//! Both sides: "Invite from a list" (Employees, administrators). Paste rows or upload a
//! CSV file, see every row's status, and send the ready ones.

use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;

use super::api::{PreviewBulkInvitations, SendBulkInvitations};
use super::{BulkPreview, BulkStatus};
use crate::components::{FormError, PortalProblem, field_error, use_current_portal, use_slug};
use crate::domain::Role;
use crate::error::AppError;

#[component]
pub fn BulkInvitePage() -> impl IntoView {
    let slug = use_slug();
    let home = use_current_portal();
    let preview = FormAction::<PreviewBulkInvitations>::new();
    let send = FormAction::<SendBulkInvitations>::new();
    let rows = RwSignal::new(String::new());
    // The text the table on screen was made from: "Send" sends exactly that, and an edit
    // after the preview hides the table until the list is previewed again.
    let previewed = RwSignal::new(String::new());
    Effect::new(move |_| {
        if preview.value().with(|v| matches!(v, Some(Ok(_)))) {
            previewed.set(rows.get_untracked());
        }
    });
    // After sending, the preview is asked again: the sent rows now read "Already invited".
    Effect::new(move |_| {
        if send.value().with(|v| matches!(v, Some(Ok(_)))) {
            preview.send(&[("slug", &slug.get_untracked()), ("rows", &previewed.get_untracked())]);
        }
    });
    view! {
        <Title text="Invite from a list" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) if home.admin_needs_two_factor => view! { <PortalProblem error=AppError::TwoFactorRequired /> }.into_any(),
                    Ok(home) if home.my_role != Role::Admin => view! { <PortalProblem error=AppError::Forbidden /> }.into_any(),
                    Ok(home) => view! { <ListForm slug=home.slug rows previewed preview send /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn ListForm(
    slug: String,
    rows: RwSignal<String>,
    previewed: RwSignal<String>,
    preview: FormAction<PreviewBulkInvitations>,
    send: FormAction<SendBulkInvitations>,
) -> impl IntoView {
    let preview_value = preview.value();
    let send_value = send.value();
    // The list's own problems, and a list too large to send at all.
    let rows_error = field_error(preview_value, "rows");
    let form_error = field_error(preview_value, "form");
    let error = Signal::derive(move || rows_error.get().or_else(|| form_error.get()));
    let send_error = field_error(send_value, "rows");
    let shown = move || preview_value.get().and_then(Result::ok);
    let sent = move || send_value.get().and_then(Result::ok);
    let back = format!("/p/{slug}/employees");
    let send_slug = slug.clone();
    view! {
        <div class="page-head">
            <h1>"Invite from a list"</h1>
            <a href=back>"Back to Employees"</a>
        </div>
        <p class="hint">
            "One person per row: e-mail address or phone number, first name, last name, department, position. "
            "Commas, semicolons or tabs separate the fields (a range copied from a spreadsheet works). A first row "
            "naming the columns (\"E-mail, First name, …\") is read as the header. An empty department means the top one."
        </p>
        <PostForm action=preview attr:novalidate=true>
            <FormError value=preview_value />
            <input type="hidden" name="slug" value=slug />
            <div class="field">
                <label for="bulk-file">"CSV file"</label>
                <input id="bulk-file" type="file" accept=".csv,.txt,text/csv,text/plain" on:change=move |event| read_file(event, rows) />
            </div>
            <div class="field">
                <label for="bulk-rows">"Rows"</label>
                <textarea
                    id="bulk-rows"
                    name="rows"
                    rows=8
                    spellcheck="false"
                    placeholder="ann@example.com, Ann, Lee, Sales, Manager"
                    prop:value=move || rows.get()
                    on:input=move |event| rows.set(event_target_value(&event))
                    aria-invalid=move || if error.get().is_some() { "true" } else { "false" }
                    aria-describedby="bulk-rows-error"
                ></textarea>
                <p class="field-error" id="bulk-rows-error">{move || error.get()}</p>
            </div>
            <button type="submit">"Preview"</button>
        </PostForm>
        {move || sent().map(|sent| view! {
            <p class="notice" role="status">
                {format!("Invitations sent: {}. Rows left out: {}.", sent.invited, sent.left_out)}
            </p>
        })}
        {move || match shown() {
            Some(_) if rows.get() != previewed.get() => {
                view! { <p class="hint" role="status">"The list has changed: press Preview to check it again."</p> }.into_any()
            }
            Some(shown) => view! { <PreviewTable shown slug=send_slug.clone() previewed send send_error /> }.into_any(),
            None => ().into_any(),
        }}
    }
    .into_any()
}

#[component]
fn PreviewTable(
    shown: BulkPreview,
    slug: String,
    previewed: RwSignal<String>,
    send: FormAction<SendBulkInvitations>,
    send_error: Signal<Option<String>>,
) -> impl IntoView {
    let send_value = send.value();
    let total = shown.rows.len();
    let summary = format!(
        "{total} rows: {} ready, {} not to be sent. Invitations left today: {}.",
        shown.ready,
        total - shown.ready,
        shown.invitations_left_today
    );
    let ready = shown.ready;
    view! {
        <section aria-labelledby="preview-heading">
            <h2 id="preview-heading">"Preview"</h2>
            <p role="status">{summary}</p>
            <div class="table-box">
                <table class="people stacked" aria-label="Rows of the list">
                    <thead>
                        <tr>
                            <th scope="col">"Line"</th>
                            <th scope="col">"E-mail or phone"</th>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Department"</th>
                            <th scope="col">"Position"</th>
                            <th scope="col">"Status"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {shown.rows.into_iter().map(|row| {
                            let ok = row.status == BulkStatus::Ready;
                            view! {
                                <tr>
                                    <td data-label="Line">{row.line}</td>
                                    <td class="lead" data-label="E-mail or phone">{row.contact}</td>
                                    <td data-label="Name">{format!("{} {}", row.first_name, row.last_name).trim().to_string()}</td>
                                    <td data-label="Department">{row.department}</td>
                                    <td data-label="Position">{row.position}</td>
                                    <td data-label="Status">
                                        <strong class=if ok { "ok" } else { "not-ready" }>{row.status.label()}</strong>
                                        {(!row.reason.is_empty()).then(|| view! { <span class="muted">" " {row.reason}</span> })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <PostForm action=send>
                // Refusals of the whole list: the day's cap, the SMS cap, an address not
                // yet confirmed, rights lost a moment ago.
                <FormError value=send_value />
                <p class="field-error" role="alert">{move || send_error.get()}</p>
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="rows" prop:value=move || previewed.get() />
                <button type="submit" class="primary" disabled=ready == 0>
                    {if ready == 1 { "Send 1 invitation".to_string() } else { format!("Send {ready} invitations") }}
                </button>
            </PostForm>
        </section>
    }
    .into_any()
}

/// Puts the chosen file's text into the rows field, where it can still be edited.
fn read_file(event: leptos::ev::Event, rows: RwSignal<String>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(file) = event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
            .and_then(|files| files.get(0))
        else {
            return;
        };
        leptos::task::spawn_local(async move {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await {
                rows.set(text.as_string().unwrap_or_default());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (event, rows);
}
