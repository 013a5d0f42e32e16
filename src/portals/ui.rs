use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use super::api::{SignUp, load_portal_home};
use crate::auth::api::{LogOut, current_account};
use crate::components::{CurrentPortal, Field, FormError, PlainPage, field_error, initials, use_slug};
use crate::domain::{Plan, Role};
use crate::live::{self, Live, Topic};

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

/// The portal frame around every portal page: the left menu, the person's name and
/// "Log out". It opens the portal's live event stream for the pages inside. On a narrow
/// screen the menu folds away behind a "Menu" button.
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
    send_to_log_in_when_signed_out(home);
    keep_browser_time_zone(home);
    let log_out = ServerAction::<LogOut>::new();
    let menu_open = RwSignal::new(false);
    // The top bar comes first, so on a phone the folded-out menu opens below it; on a
    // wide screen the grid puts the menu on the left.
    view! {
        <div class="portal">
            <header class="topbar">
                <button
                    type="button"
                    class="menu-button"
                    aria-controls="portal-menu"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| menu_open.update(|open| *open = !*open)
                >
                    "Menu"
                </button>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        home.await.ok().map(|home| {
                            let profile = format!("/p/{}/people/{}", home.slug, home.my_account_id);
                            view! {
                                <a href=profile class="me" title="My profile">
                                    <span class="avatar small" aria-hidden="true">{initials(&home.my_name)}</span>
                                    <span class="me-name">{home.my_name.clone()}</span>
                                </a>
                                <a href="/network/profile">"Network profile"</a>
                                <ActionForm action=log_out attr:class="inline">
                                    <button type="submit" class="link-button">"Log out"</button>
                                </ActionForm>
                            }
                        })
                    })}
                </Transition>
            </header>
            // A link followed from the folded-out menu closes it.
            <aside class="sidebar" id="portal-menu" class:open=move || menu_open.get() on:click=move |_| menu_open.set(false)>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        home.await.ok().map(|home| {
                            let base = format!("/p/{}", home.slug);
                            let is_admin = home.my_role == Role::Admin;
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
            <main>
                <Outlet />
            </main>
        </div>
    }
}

/// A session that ends while a portal page is open (time-out, "log out" elsewhere) sends
/// the person to the log-in page, which brings them back here. A full page load is
/// already redirected by the server (`auth::guard::log_in_first`).
fn send_to_log_in_when_signed_out(home: Resource<Result<crate::components::PortalHome, crate::error::AppError>>) {
    // Effects run only in the browser; the server has already redirected.
    #[cfg(feature = "hydrate")]
    {
        let location = leptos_router::hooks::use_location();
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if let Some(Err(crate::error::AppError::Unauthorized)) = home.get()
                && let Ok(query) = web_sys::UrlSearchParams::new()
            {
                query.set("next", &format!("{}{}", location.pathname.get_untracked(), location.search.get_untracked()));
                navigate(&format!("/login?{}", String::from(query.to_string())), Default::default());
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = home;
}

/// Someone who logged in elsewhere (sign-up, an invitation) or travelled: the browser's
/// zone is kept with the account and the page reloads once, with times in it.
fn keep_browser_time_zone(home: Resource<Result<crate::components::PortalHome, crate::error::AppError>>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(Ok(home)) = home.get() else { return };
        let Some(zone) = crate::components::browser_time_zone().filter(|zone| *zone != home.my_time_zone) else { return };
        leptos::task::spawn_local(async move {
            // Reload only when the server now keeps exactly this name, so an alias it
            // spells differently cannot cause a reload loop.
            if crate::auth::api::remember_time_zone(zone.clone()).await.is_ok_and(|kept| kept == zone) {
                let _ = window().location().reload();
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = home;
}

/// The portal's plan, as the server's operator set it. Plans are not self-service: a
/// paid plan raises the invitation cap and allows a custom text, which a fresh sign-up
/// must not be able to give itself.
#[component]
pub fn PlanFacts(plan: Plan) -> impl IntoView {
    view! {
        <section aria-labelledby="plan-heading">
            <h2 id="plan-heading">"Plan"</h2>
            <p><strong data-testid="plan">{plan.name()}</strong></p>
            <p class="muted">"The plan is changed by the operator of this server."</p>
        </section>
    }
}
