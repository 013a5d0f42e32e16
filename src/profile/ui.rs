use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{SaveProfile, load_profile_editor};
use super::{ProfileEditor, login_notice};
use crate::components::use_slug;
use crate::components::{Field, FormError, PortalProblem, action_succeeded, field_error};

#[component]
pub fn ProfileEditorPage() -> impl IntoView {
    let slug = use_slug();
    let params = use_params_map();
    let account_id = Signal::derive(move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default());
    let save = FormAction::<SaveProfile>::new();
    // Loaded once per person: a refresh while someone types would wipe their edits.
    let editor = page_data(move || (slug.get(), account_id.get()), |(slug, id)| load_profile_editor(slug, id));
    view! {
        <Title text="Edit profile" />
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match editor.await {
                    Ok(editor) => view! { <EditorForm editor slug=slug.get_untracked() save /> }.into_any(),
                    Err(crate::error::AppError::Forbidden) => view! {
                        <h1>"Edit profile"</h1>
                        <p class="form-error" role="alert">"You can edit only your own profile."</p>
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditorForm(editor: ProfileEditor, slug: String, save: FormAction<SaveProfile>) -> impl IntoView {
    let value = save.value();
    let saved = action_succeeded(value);
    let profile_href = format!("/p/{slug}/people/{}", editor.account_id);
    let mail_href = format!("/p/{slug}/mail");
    let name = format!("{} {}", editor.first_name, editor.last_name);
    let login_line = if editor.is_me {
        view! {
            <section class="login-line" aria-label="Login">
                <p>"Your login: " <strong>{editor.login.clone()}</strong></p>
                <p class="muted">
                    "The login is the same in every portal and can be changed only by you, in your Network profile. "
                    <a href="/network/profile">"Change login"</a>
                </p>
            </section>
        }
        .into_any()
    } else {
        view! {
            <section class="login-line" aria-label="Login">
                <p>{login_notice(&editor.login)}</p>
            </section>
        }
        .into_any()
    };
    let name_fields = if editor.can_edit_name() {
        view! {
            <Field label="First name" name="first_name" autocomplete="given-name" value=editor.first_name.clone() error=field_error(value, "first_name") />
            <Field label="Last name" name="last_name" autocomplete="family-name" value=editor.last_name.clone() error=field_error(value, "last_name") />
            <p class="muted">"Your name is the same in every portal you belong to."</p>
        }
        .into_any()
    } else {
        view! {
            <dl class="facts">
                <dt>"Name"</dt>
                <dd>{name.clone()}</dd>
            </dl>
            <p class="muted">"People change their own name, for every portal at once."</p>
        }
        .into_any()
    };
    let department_error = field_error(value, "department_id");
    let department_field = if editor.can_change_department() {
        view! {
            <div class="field">
                <label for="field-department">"Department"</label>
                <select id="field-department" name="department_id" aria-describedby="field-department-error">
                    {editor.department_choices.iter().map(|d| {
                        let selected = d.id == editor.department.id;
                        view! { <option value=d.id selected=selected>{d.name.clone()}</option> }
                    }).collect_view()}
                </select>
                <p class="field-error" id="field-department-error">{move || department_error.get()}</p>
            </div>
        }
        .into_any()
    } else {
        view! {
            <dl class="facts">
                <dt>"Department"</dt>
                <dd>{editor.department.name.clone()}</dd>
            </dl>
        }
        .into_any()
    };
    let mailbox_email = editor.mailbox_email.clone().unwrap_or_else(|| "No mailbox connected".into());
    let mailbox_link = if editor.is_me { "Manage in Webmail" } else { "Webmail" };
    view! {
        <h1>"Edit profile: " {name.clone()}</h1>
        {login_line}
        <PostForm action=save attr:class="profile-form" attr:novalidate=true>
            <FormError value />
            <input type="hidden" name="slug" value=slug />
            <input type="hidden" name="account_id" value=editor.account_id />
            {name_fields}
            <Field label="Position" name="position" value=editor.position.clone() error=field_error(value, "position") />
            {department_field}
            <Field label="Phone" name="phone" kind="tel" autocomplete="tel" value=editor.phone.clone() error=field_error(value, "phone") />
            <Field
                label="Contact email"
                name="contact_email"
                kind="email"
                value=editor.contact_email.clone().unwrap_or_default()
                error=field_error(value, "contact_email")
            />
            <p class="muted">"Shown as contact information on the profile. It is not a login."</p>
            <div class="field">
                <label for="field-mailbox-email">"E-Mail for mailbox"</label>
                <input id="field-mailbox-email" type="text" value=mailbox_email readonly />
                <p class="muted">
                    "The address of the mailbox connected in Webmail. It is not a login. "
                    <a href=mail_href>{mailbox_link}</a>
                </p>
            </div>
            <div class="actions">
                <button type="submit">"Save"</button>
                <a href=profile_href>"Back to profile"</a>
                <Show when=move || saved.get()>
                    <span class="ok" role="status">"Saved."</span>
                </Show>
            </div>
        </PostForm>
    }
}
