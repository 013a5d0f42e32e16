//! The Settings page: it puts several features together (the portal's plan, the
//! registration settings, the audit log), so it lives in the composition root.

use crate::components::page_data;
use leptos::prelude::*;

use crate::components::FormAction;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::audit::{AUDIT_PAGE, ui::AuditLog};
use crate::components::{PortalProblem, use_current_portal, use_slug};
use crate::domain::Role;
use crate::error::AppError;
use crate::live::{Topic, use_live};
use crate::portals::api::SetTwoFactorRule;
use crate::portals::api::load_audit_log;
use crate::portals::ui::{PlanFacts, TwoFactorRulePanel};
use crate::registration::api::{CreateInviteLink, RevokeInviteLink};
use crate::registration::ui::{InviteLinksPanel, RegistrationSettingsPanel};
use crate::structure::api::load_department_choices;

/// Portal settings, for administrators: the portal's facts and the audit log.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let home = use_current_portal();
    let query = use_query_map();
    let before = Signal::derive(move || query.read().get("before").and_then(|b| b.parse::<i64>().ok()));
    let audit = page_data(
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
    // Made here, outside the parts a live refresh re-mounts, so their answers stay shown.
    let create_link = FormAction::<CreateInviteLink>::new();
    let revoke_link = FormAction::<RevokeInviteLink>::new();
    let two_factor_rule = FormAction::<SetTwoFactorRule>::new();
    let departments = page_data(move || (slug.get(), live.version(Topic::Structure)), |(slug, _)| load_department_choices(slug));
    view! {
        <Title text="Settings" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) if home.admin_needs_two_factor => view! { <PortalProblem error=AppError::TwoFactorRequired /> }.into_any(),
                    Ok(home) if home.my_role != Role::Admin => view! { <PortalProblem error=AppError::Forbidden /> }.into_any(),
                    Ok(home) => view! {
                        <h1>"Settings"</h1>
                        <dl class="facts">
                            <dt>"Portal"</dt>
                            <dd>{home.name}</dd>
                            <dt>"Address"</dt>
                            <dd>{format!("/p/{}", home.slug)}</dd>
                        </dl>
                        <PlanFacts plan=home.plan />
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Suspense>
        // Its own part of the page, loading its own data: not re-mounted when the audit
        // log or the portal's facts refresh.
        {move || view! { <TwoFactorRulePanel slug=slug.get() action=two_factor_rule /> }}
        {move || view! { <RegistrationSettingsPanel slug=slug.get() on_settings_page=true /> }}
        // Mounted once (per portal), so a live refresh keeps its list and half-filled form.
        {move || view! { <InviteLinksPanel slug=slug.get() departments create=create_link revoke=revoke_link /> }}
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
