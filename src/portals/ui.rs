use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::api::{SignUp, load_portal_home};
use crate::auth::api::{LogOut, current_account};
use crate::components::{Field, FormError, PlainPage, field_error};

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

/// The portal frame: left menu, the person's name and "Log out". Later features add
/// their pages to the menu.
#[component]
pub fn PortalHomePage() -> impl IntoView {
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let home = Resource::new(slug, load_portal_home);
    let log_out = ServerAction::<LogOut>::new();
    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => {
                        let base = format!("/p/{}", home.slug);
                        view! {
                            <div class="portal">
                                <aside class="sidebar">
                                    <div class="portal-name">{home.name.clone()}</div>
                                    <nav aria-label="Portal menu">
                                        <a href=base.clone() aria-current="page">"Activity Stream"</a>
                                    </nav>
                                </aside>
                                <div class="portal-main">
                                    <header class="topbar">
                                        <a href="/network/profile" class="me">{home.my_name.clone()}</a>
                                        <ActionForm action=log_out attr:class="inline">
                                            <button type="submit" class="link-button">"Log out"</button>
                                        </ActionForm>
                                    </header>
                                    <main>
                                        <h1>"Activity Stream"</h1>
                                        <p>"Welcome to " {home.name.clone()} ", " {home.my_name.clone()} "."</p>
                                        <p class="muted">
                                            {if home.my_role == "admin" { "You are an administrator of this portal." } else { "You are an employee of this portal." }}
                                        </p>
                                    </main>
                                </div>
                            </div>
                        }.into_any()
                    }
                    Err(crate::error::AppError::Unauthorized) => view! {
                        <PlainPage>
                            <h1>"Please log in"</h1>
                            <p><a href="/login">"Log In"</a> " to open this portal."</p>
                        </PlainPage>
                    }.into_any(),
                    Err(_) => view! {
                        <PlainPage>
                            <h1>"Portal not available"</h1>
                            <p>"This portal does not exist or you are not one of its members."</p>
                            <p><a href="/portals">"My portals"</a></p>
                        </PlainPage>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}
