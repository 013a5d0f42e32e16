use crate::components::{PageData, page_data};
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_router::components::{A, Outlet};

use super::api::{MarkNoticesRead, SetTwoFactorRule, SignUp, load_notices, load_portal_home, load_two_factor_rule};
use crate::auth::api::{LogOut, current_account};
use crate::components::{CurrentPortal, Field, FormError, LocalTime, PlainPage, action_succeeded, field_error, initials, use_slug};
use crate::domain::{Plan, Role};
use crate::live::{self, Live, Topic};
use crate::registration::api::DecideRegistration;
use crate::registration::ui::RegistrationDecision;

/// The front page: "Create your Bitrix24".
#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = FormAction::<SignUp>::new();
    let value = action.value();
    let me = page_data(|| (), |_| current_account());
    view! {
        <PlainPage>
            <h1>"Create your Bitrix24"</h1>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let me = me.await.ok().flatten();
                    let logged_in = me.is_some();
                    view! {
                        <PostForm action=action>
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
                        </PostForm>
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
    let home =
        page_data(move || (slug.get(), live.version(Topic::Access), live.version(Topic::Settings)), |(slug, ..)| load_portal_home(slug));
    provide_context(CurrentPortal(home));
    send_to_log_in_when_signed_out(home);
    keep_browser_time_zone(home, live);
    let log_out = FormAction::<LogOut>::new();
    let menu_open = RwSignal::new(false);
    // The bell's state and data live out here, outside the frame's Transition: the bell
    // is drawn again whenever the portal refetches, and a resource made inside a
    // Suspense would not find its server-rendered value when the page hydrates.
    let bell = Bell::new(slug, live);
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
                <NoticeBell slug bell />
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
                                <PostForm action=log_out attr:class="inline">
                                    <button type="submit" class="link-button">"Log out"</button>
                                </PostForm>
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
                                    {(is_admin || home.admin_needs_two_factor).then(|| view! { <A href=format!("{base}/settings")>"Settings"</A> })}
                                </nav>
                                {home.admin_needs_two_factor.then(|| view! {
                                    <p class="sidebar-note">
                                        "Administrator pages wait for your two-factor log-in. "
                                        <a href="/network/profile">"Set it up"</a>
                                    </p>
                                })}
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

/// The bell's data and state: the person's notices, whether the panel is open, and the
/// actions taken from it.
#[derive(Clone, Copy)]
struct Bell {
    open: RwSignal<bool>,
    notices: PageData<Result<crate::notices::Notices, crate::error::AppError>>,
    mark: FormAction<MarkNoticesRead>,
    decide: FormAction<DecideRegistration>,
}

impl Bell {
    fn new(slug: Signal<String>, live: Live) -> Bell {
        let mark = FormAction::<MarkNoticesRead>::new();
        let decide = FormAction::<DecideRegistration>::new();
        let notices = page_data(
            move || (slug.get(), live.version(Topic::Notices), mark.version().get(), decide.version().get()),
            |(slug, ..)| load_notices(slug),
        );
        Bell { open: RwSignal::new(false), notices, mark, decide }
    }
}

/// The bell in the top bar: the person's notices with an unread count, updated live.
/// A join request can be approved or denied right in its notice. One Transition holds
/// all of it (no Suspense inside another), so the page hydrates as it was rendered.
#[component]
fn NoticeBell(slug: Signal<String>, bell: Bell) -> impl IntoView {
    let Bell { open, notices, mark, decide } = bell;
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let slug = slug.get();
                notices.await.ok().map(|list| {
                    let label = match list.unread {
                        0 => "Notices".to_string(),
                        n => format!("Notices, {n} unread"),
                    };
                    let items = if list.items.is_empty() {
                        view! { <p class="muted">"No notices yet."</p> }.into_any()
                    } else {
                        list.items.into_iter().map(|notice| view! { <NoticeItem notice slug=slug.clone() mark decide /> }).collect_view().into_any()
                    };
                    view! {
                        <div class="bell">
                            <button
                                type="button"
                                class="bell-button"
                                aria-label=label
                                aria-expanded=move || open.get().to_string()
                                aria-controls="notices-panel"
                                on:click=move |_| open.update(|o| *o = !*o)
                            >
                                <svg aria-hidden="true" viewBox="0 0 24 24" width="20" height="20">
                                    <path d="M12 22a2.5 2.5 0 0 0 2.5-2.5h-5A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z" fill="currentColor" />
                                </svg>
                                {(list.unread > 0).then(|| view! { <span class="badge" aria-hidden="true">{list.unread}</span> })}
                            </button>
                            <section id="notices-panel" class="notices-panel" aria-label="Notices" hidden=move || !open.get()>
                                <div class="notices-head">
                                    <h2>"Notices"</h2>
                                    <PostForm action=mark attr:class="inline">
                                        <input type="hidden" name="slug" value=slug.clone() />
                                        <button type="submit" class="link-button" disabled=list.unread == 0>"Mark all as read"</button>
                                    </PostForm>
                                </div>
                                <FormError value=decide.value() />
                                {items}
                            </section>
                        </div>
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn NoticeItem(
    notice: crate::notices::Notice,
    slug: String,
    mark: FormAction<MarkNoticesRead>,
    decide: FormAction<DecideRegistration>,
) -> impl IntoView {
    let decision = notice
        .subject_id
        .filter(|_| notice.awaits_decision)
        .map(|account_id| view! { <RegistrationDecision slug=slug.clone() account_id decide /> });
    let read_slug = slug.clone();
    let read_button = (!notice.read).then(|| {
        let label = format!("Mark as read: {}", notice.text);
        view! {
            <PostForm action=mark attr:class="inline">
                <input type="hidden" name="slug" value=read_slug />
                <input type="hidden" name="notice_id" value=notice.id />
                <button type="submit" class="link-button" aria-label=label>"Mark as read"</button>
            </PostForm>
        }
    });
    let profile = notice.subject_id.map(|id| format!("/p/{slug}/people/{id}"));
    view! {
        <article class="notice-item" class:unread=!notice.read aria-label=notice.text.clone()>
            <p>
                {match profile {
                    Some(href) => view! { <a href=href>{notice.text.clone()}</a> }.into_any(),
                    None => view! { {notice.text.clone()} }.into_any(),
                }}
                " "
                <span class="muted"><LocalTime moment=notice.at /></span>
            </p>
            {decision}
            <div class="actions">{read_button}</div>
        </article>
    }
}

/// A session that ends while a portal page is open (time-out, "log out" elsewhere) sends
/// the person to the log-in page, which brings them back here. A full page load is
/// already redirected by the server (`auth::guard::log_in_first`).
fn send_to_log_in_when_signed_out(home: PageData<Result<crate::components::PortalHome, crate::error::AppError>>) {
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
/// zone is kept with the account, and everything on the page is fetched again, with
/// times in it. (No reload: a person may be typing.)
fn keep_browser_time_zone(home: PageData<Result<crate::components::PortalHome, crate::error::AppError>>, live: Live) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let Some(Ok(home)) = home.get() else { return };
        let Some(zone) = crate::components::browser_time_zone().filter(|zone| *zone != home.my_time_zone) else { return };
        leptos::task::spawn_local(async move {
            // Only when the server now keeps exactly this name, so an alias it spells
            // differently cannot cause a loop of refetches.
            if crate::auth::api::remember_time_zone(zone.clone()).await.is_ok_and(|kept| kept == zone) {
                live.bump_all();
            }
        });
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (home, live);
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

/// Settings > Security: whether the portal's administrators must use two-factor log-in.
/// The action is made by the page, outside the part a live refresh re-mounts.
#[component]
pub fn TwoFactorRulePanel(slug: String, action: FormAction<SetTwoFactorRule>) -> impl IntoView {
    let live = live::use_live();
    let rule_slug = slug.clone();
    let rule = page_data(
        move || (rule_slug.clone(), live.version(Topic::Settings), action.version().get()),
        |(slug, ..)| load_two_factor_rule(slug),
    );
    let value = action.value();
    let saved = action_succeeded(value);
    let error = field_error(value, "required");
    view! {
        <Transition fallback=|| ()>
            {move || {
                let slug = slug.clone();
                Suspend::new(async move {
                    rule.await.ok().map(|required| view! {
                        <section class="panel" aria-labelledby="security-heading">
                            <h2 id="security-heading">"Security"</h2>
                            <PostForm action attr:class="settings-form">
                                <FormError value />
                                <input type="hidden" name="slug" value=slug />
                                <div class="check">
                                    <input
                                        type="checkbox"
                                        id="admins-need-two-factor"
                                        name="required"
                                        value="on"
                                        checked=required
                                        aria-describedby="admins-need-two-factor-error"
                                    />
                                    <label for="admins-need-two-factor">"Require two-factor log-in for administrators"</label>
                                </div>
                                <p class="field-error" id="admins-need-two-factor-error">{move || error.get()}</p>
                                <p class="hint">
                                    "Administrators without it keep the employee pages, and are asked to set it up in their "
                                    "network profile before they reach the administrator pages."
                                </p>
                                <button type="submit">"Save security rule"</button>
                                <Show when=move || saved.get()>
                                    <span class="ok" role="status">"Saved."</span>
                                </Show>
                            </PostForm>
                        </section>
                    })
                })
            }}
        </Transition>
    }
}
