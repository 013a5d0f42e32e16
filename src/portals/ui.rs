use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Outlet};
use leptos_router::hooks::{use_params_map, use_query_map};

use super::PortalHome;
use super::api::{ChangePlan, SignUp, load_portal_home};
use crate::auth::api::{LogOut, current_account};
use crate::components::{Field, FormError, PlainPage, PortalProblem, field_error};
use crate::error::AppError;
use crate::live::{self, Live, Topic, use_live};
use crate::people::api::load_audit_log;
use crate::people::ui::AuditLog;
use crate::people::{AUDIT_PAGE, initials};
use crate::registration::ui::RegistrationSettingsPanel;

/// The front page: "Create your Bitrix24".
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let value = action.value();
    let me = Resource::new(|| (), |_| current_account());
    view! {
        <PlainPage>
            <h1>"Create your Bitrix24"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let me = me.await.ok().flatten();
                    let logged_in = me.is_some();
                    view! {
                        <ActionForm action=action>
                            <FormError value=value />
                            <Field label="Company name" name="company_name" autocomplete="organization" error=field_error(value, "company_name") />
                            <Field label="Portal address" name="slug" error=field_error(value, "slug") />
                            <p class="hint">"Latin letters, digits and hyphens; your portal will be at /p/<address>."</p>
                            {match me {
                                Some(me) => view! {
                                    <p class="notice">"You will be the administrator, using your account " <strong>{me.login}</strong> "."</p>
                                }.into_any(),
                                None => view! {
                                    <Field label="First name" name="first_name" autocomplete="given-name" error=field_error(value, "first_name") />
                                    <Field label="Last name" name="last_name" autocomplete="family-name" error=field_error(value, "last_name") />
                                    <Field label="Email" name="email" kind="email" autocomplete="email" error=field_error(value, "email") />
                                    <Field label="Password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
                                }.into_any(),
                            }}
                            <button type="submit" class="primary">"Create"</button>
                        </ActionForm>
                        <p class="links">
                            {if logged_in {
                                view! { <a href="/portals">"My portals"</a> }.into_any()
                            } else {
                                view! { "Already have an account? " <a href="/login">"Log In"</a> }.into_any()
                            }}
                        </p>
                    }
                })}
            </Suspense>
        </PlainPage>
    }
}

/// The portal's address from the page's route (`/p/:slug/...`).
pub fn use_slug() -> Signal<String> {
    let params = use_params_map();
    Signal::derive(move || params.read().get("slug").unwrap_or_default())
}

/// The portal and the viewer, loaded once by the frame for the pages inside it.
#[derive(Clone, Copy)]
pub struct CurrentPortal(pub Resource<Result<PortalHome, AppError>>);

/// The frame's portal resource (refetched when access or settings change).
pub fn use_current_portal() -> Resource<Result<PortalHome, AppError>> {
    let slug = use_slug();
    use_context::<CurrentPortal>().map(|current| current.0).unwrap_or_else(|| Resource::new(move || slug.get(), load_portal_home))
}

/// The portal frame around every portal page: the left menu, the person's name and
/// "Log out". It opens the portal's live event stream for the pages inside.
#[component]
pub fn PortalLayout() -> impl IntoView {
    let slug = use_slug();
    let live = Live::default();
    provide_context(live);
    live::connect(slug, live);
    let home = Resource::new(
        move || (slug.get(), live.version(Topic::Access), live.version(Topic::Settings)),
        |(slug, ..)| load_portal_home(slug),
    );
    provide_context(CurrentPortal(home));
    let log_out = ServerAction::<LogOut>::new();
    view! {
        <div class="portal">
            <aside class="sidebar">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        home.await.ok().map(|home| {
                            let base = format!("/p/{}", home.slug);
                            let is_admin = home.my_role == "admin";
                            view! {
                                <div class="portal-name">{home.name.clone()}</div>
                                <nav aria-label="Portal menu">
                                    <A href=base.clone() exact=true>"Activity Stream"</A>
                                    <A href=format!("{base}/chat")>"Chat"</A>
                                    <A href=format!("{base}/employees")>"Employees"</A>
                                    <A href=format!("{base}/structure")>"Company structure"</A>
                                    <A href=format!("{base}/workgroups")>"Workgroups"</A>
                                    <A href=format!("{base}/mail")>"Webmail"</A>
                                    {is_admin.then(|| view! { <A href=format!("{base}/settings")>"Settings"</A> })}
                                </nav>
                            }
                        })
                    })}
                </Transition>
            </aside>
            <div class="portal-main">
                <header class="topbar">
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            home.await.ok().map(|home| {
                                let profile = format!("/p/{}/people/{}", home.slug, home.my_account_id);
                                view! {
                                    <a href=profile class="me" title="My profile">
                                        <span class="avatar small" aria-hidden="true">{initials(&home.my_name)}</span>
                                        {home.my_name.clone()}
                                    </a>
                                    <a href="/network/profile">"Network profile"</a>
                                }
                            })
                        })}
                    </Transition>
                    <ActionForm action=log_out attr:class="inline">
                        <button type="submit" class="link-button">"Log out"</button>
                    </ActionForm>
                </header>
                <main>
                    <Outlet />
                </main>
            </div>
        </div>
    }
}

/// Portal settings, for administrators: the portal's facts and the audit log.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let slug = use_slug();
    // Outside the refreshed part of the page, so its answer survives the live refresh
    // the change itself causes.
    let change_plan = ServerAction::<ChangePlan>::new();
    let live = use_live();
    let home = use_current_portal();
    let query = use_query_map();
    let before = Signal::derive(move || query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let audit = Resource::new(
        move || {
            (
                slug.get(),
                before.get(),
                live.version(Topic::People),
                live.version(Topic::Structure),
                live.version(Topic::Access),
                live.version(Topic::Settings),
            )
        },
        |(slug, before, ..)| load_audit_log(slug, before),
    );
    view! {
        <Title text="Settings" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) if home.my_role != "admin" => view! { <PortalProblem error=AppError::Forbidden /> }.into_any(),
                    Ok(home) => view! {
                        <h1>"Settings"</h1>
                        <dl class="facts">
                            <dt>"Portal"</dt>
                            <dd>{home.name}</dd>
                            <dt>"Address"</dt>
                            <dd>{format!("/p/{}", home.slug)}</dd>
                        </dl>
                        <PlanForm slug=home.slug.clone() plan=home.plan.clone() change=change_plan />
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Suspense>
        // Its own part of the page, loading its own data: not re-mounted when the audit
        // log or the portal's facts refresh.
        {move || view! { <RegistrationSettingsPanel slug=slug.get() on_settings_page=true /> }}
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match (home.await, audit.await) {
                    (Ok(home), Ok(entries)) => view! {
                        {
                            let older = (entries.len() as i64 == AUDIT_PAGE).then(|| entries.last().map(|e| e.id)).flatten();
                            let paged = before.get_untracked().is_some();
                            view! {
                                <AuditLog entries />
                                <nav class="pager" aria-label="Audit log pages">
                                    {paged.then(|| view! { <a href=format!("/p/{}/settings", home.slug)>"Newest entries"</a> })}
                                    {older.map(|id| view! { <a href=format!("/p/{}/settings?before={id}", home.slug)>"Older entries"</a> })}
                                </nav>
                            }
                        }
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

/// The portal's plan. There is no billing: an administrator picks the plan, and what the
/// plan allows (the invitation text, the daily invitation cap) follows at once.
#[component]
fn PlanForm(slug: String, plan: String, change: ServerAction<ChangePlan>) -> impl IntoView {
    let value = change.value();
    let done = crate::components::action_succeeded(value);
    view! {
        <ActionForm action=change attr:class="row-form">
            <FormError value />
            <input type="hidden" name="slug" value=slug />
            <div class="field">
                <label for="field-plan">"Plan"</label>
                <select id="field-plan" name="plan">
                    {super::PLANS.into_iter().map(|p| view! { <option value=p selected=p == plan>{super::plan_name(p)}</option> }).collect_view()}
                </select>
            </div>
            <button type="submit">"Change plan"</button>
            <Show when=move || done.get()>
                <span class="ok" role="status">"Plan changed."</span>
            </Show>
        </ActionForm>
    }
}
