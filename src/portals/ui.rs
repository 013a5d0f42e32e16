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
