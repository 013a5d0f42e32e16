use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{ActOnPerson, ResetTwoFactor, list_employees, load_person};
use super::{EmployeeFilter, EmployeePage, PersonProfile};
use crate::components::initials;
use crate::components::use_slug;
use crate::components::{FormError, PortalProblem, action_succeeded};
use crate::domain::MembershipStatus;
use crate::invitations::funnel::FUNNEL_KEY;
use crate::invitations::funnel_ui::FunnelAnnouncer;
use crate::invitations::ui::{InviteUsersIfAllowed, InvitedActions, InvitedList};
use crate::live::{Topic, use_live};
use crate::registration::api::DecideRegistration;
use crate::registration::ui::RegistrationDecision;
use crate::structure::api::MovePerson;

/// The address of an Employees page with these settings.
fn employees_href(slug: &str, filter: EmployeeFilter, search: &str, cursor: Option<(&str, i64)>) -> String {
    let mut href = format!("/p/{slug}/employees?filter={}", filter.key());
    if !search.is_empty() {
        href.push_str("&q=");
        href.push_str(&encode_query(search));
    }
    if let Some((name, id)) = cursor {
        href.push_str(&format!("&{name}={id}"));
    }
    href
}

fn encode_query(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[component]
pub fn EmployeesPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let query = use_query_map();
    let filter = Signal::derive(move || EmployeeFilter::from_key(&query.read().get("filter").unwrap_or_default()));
    let search = Signal::derive(move || query.read().get("q").unwrap_or_default());
    let cursor = move |name: &str| query.read().get(name).and_then(|v| v.parse::<i64>().ok());
    let page = page_data(
        move || {
            (
                slug.get(),
                filter.get(),
                search.get(),
                cursor("after"),
                cursor("before"),
                live.version(Topic::People),
                live.version(Topic::Access),
            )
        },
        |(slug, filter, search, after, before, _, _)| list_employees(slug, filter.key().to_string(), search, after, before),
    );
    // Outside the refreshed list, so a refusal stays on screen after the refresh.
    let decide = FormAction::<DecideRegistration>::new();
    let invited_actions = InvitedActions::default();
    view! {
        <Title text="Employees" />
        <div class="page-head">
            <h1>"Employees"</h1>
            <InviteUsersIfAllowed />
        </div>
        // Outside the refreshed list, like the actions: what it says must survive a refresh.
        {move || {
            let on_funnel = filter.get() == EmployeeFilter::Invited && query.read().get("show").as_deref() == Some(FUNNEL_KEY);
            on_funnel.then(|| view! { <FunnelAnnouncer news=invited_actions.funnel_news /> })
        }}
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! { <EmployeeList page filter=filter.get_untracked() search=search.get_untracked() slug=slug.get_untracked() decide invited_actions /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EmployeeList(
    page: EmployeePage,
    filter: EmployeeFilter,
    search: String,
    slug: String,
    decide: FormAction<DecideRegistration>,
    invited_actions: InvitedActions,
) -> impl IntoView {
    let pending_queue = filter == EmployeeFilter::Pending && page.viewer_is_admin;
    let tabs = EmployeeFilter::ALL
        .into_iter()
        .filter(|f| page.viewer_is_admin || !f.admins_only())
        .map(|f| {
            let badge = (f == EmployeeFilter::Pending && page.pending_count > 0).then(|| {
                let label = format!("{} awaiting approval", page.pending_count);
                view! { <span class="badge" aria-label=label>{page.pending_count}</span> }
            });
            let current = (f == filter).then_some("page");
            view! {
                <a href=employees_href(&slug, f, "", None) aria-current=current>
                    {f.label()}
                    {badge}
                </a>
            }
        })
        .collect_view();
    let empty = page.rows.is_empty();
    let previous = page.previous.map(|id| employees_href(&slug, filter, &search, Some(("before", id))));
    let next = page.next.map(|id| employees_href(&slug, filter, &search, Some(("after", id))));
    let search_value = search.clone();
    let rows = page
        .rows
        .into_iter()
        .map(|row| {
            let href = format!("/p/{slug}/people/{}", row.account_id);
            view! {
                <tr>
                    <td>
                        <div class="person">
                            <span class="avatar" aria-hidden="true">{initials(&row.name)}</span>
                            <a href=href>{row.name}</a>
                            {row.is_admin.then(|| view! { <span class="tag">"admin"</span> })}
                        </div>
                    </td>
                    <td>{row.position}</td>
                    <td>{row.department}</td>
                    <td>{row.contact_email}</td>
                    {pending_queue.then(|| view! { <td><RegistrationDecision slug=slug.clone() account_id=row.account_id decide /></td> })}
                </tr>
            }
        })
        .collect_view();
    if filter == EmployeeFilter::Invited {
        return view! {
            <nav class="tabs" aria-label="Filters">{tabs}</nav>
            <InvitedList slug=slug.clone() actions=invited_actions />
        }
        .into_any();
    }
    let decide_value = decide.value();
    view! {
        <nav class="tabs" aria-label="Filters">{tabs}</nav>
        <FormError value=decide_value />
        <Form method="GET" action="" attr:class="search" attr:role="search">
            <input type="hidden" name="filter" value=filter.key() />
            <label for="employee-search" class="visually-hidden">"Search"</label>
            <input id="employee-search" type="search" name="q" value=search_value maxlength=crate::domain::SEARCH_MAX_CHARS placeholder="Search by name, email or position" />
            <button type="submit">"Search"</button>
        </Form>
        {if empty {
            view! { <p class="muted">{if search.is_empty() { "Nobody here yet." } else { "Nobody matches this search." }}</p> }.into_any()
        } else {
            view! {
                <div class="table-box"><table class="people">
                    <thead>
                        <tr>
                            <th scope="col">"Name"</th>
                            <th scope="col">"Position"</th>
                            <th scope="col">"Department"</th>
                            <th scope="col">"Contact email"</th>
                            {pending_queue.then(|| view! { <th scope="col">"Decision"</th> })}
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table></div>
            }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a href=href>"Previous page"</a> })}
            {next.map(|href| view! { <a href=href>"Next page"</a> })}
        </nav>
    }
    .into_any()
}

#[component]
pub fn PersonPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let params = use_params_map();
    let account_id = Signal::derive(move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default());
    let action = FormAction::<ActOnPerson>::new();
    let move_action = FormAction::<MovePerson>::new();
    let decide = FormAction::<DecideRegistration>::new();
    let reset = FormAction::<ResetTwoFactor>::new();
    // Whose two-factor log-in was reset last: the notice shows on that person's page only.
    let reset_for = RwSignal::new(None::<i64>);
    // A decided registration leaves this page (a denied person is no member any more):
    // back to the queue.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        if decide.value().with(|v| matches!(v, Some(Ok(())))) {
            navigate(&format!("/p/{}/employees?filter=pending", slug.get_untracked()), Default::default());
        }
    });
    let person = page_data(
        move || {
            (
                slug.get(),
                account_id.get(),
                live.version(Topic::People),
                live.version(Topic::Access),
                live.version(Topic::Workgroups),
                live.version(Topic::Structure),
                action.version().get(),
                move_action.version().get(),
                reset.version().get(),
            )
        },
        |(slug, id, ..)| load_person(slug, id),
    );
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match person.await {
                    Ok(person) => view! { <PersonDetails person slug=slug.get_untracked() action move_action decide reset reset_for /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn PersonDetails(
    person: PersonProfile,
    slug: String,
    action: FormAction<ActOnPerson>,
    move_action: FormAction<MovePerson>,
    decide: FormAction<DecideRegistration>,
    reset: FormAction<ResetTwoFactor>,
    reset_for: RwSignal<Option<i64>>,
) -> impl IntoView {
    let value = action.value();
    let decide_value = decide.value();
    let pending = person.status == MembershipStatus::PendingApproval;
    let move_value = move_action.value();
    let moved = action_succeeded(move_value);
    let status_line = match person.status {
        MembershipStatus::Dismissed => Some("Dismissed: cannot log in to this portal."),
        MembershipStatus::PendingApproval => Some("Awaiting administrator approval."),
        MembershipStatus::Invited => Some("Invited, has not joined yet."),
        MembershipStatus::Active => None,
    };
    let admin_actions = person.viewer_is_admin.then(|| {
        let buttons: Vec<(&'static str, &'static str)> = match (person.status, person.is_admin) {
            (MembershipStatus::Active, true) => vec![("remove_admin", "Remove administrator"), ("dismiss", "Dismiss")],
            (MembershipStatus::Active, false) => vec![("make_admin", "Make administrator"), ("dismiss", "Dismiss")],
            (MembershipStatus::Dismissed, _) => vec![("hire", "Hire")],
            _ => vec![],
        };
        let id = person.account_id;
        let move_slug = slug.clone();
        let slug = slug.clone();
        view! {
            <section aria-labelledby="admin-actions" class="panel">
                <h2 id="admin-actions">"Administrator actions"</h2>
                <FormError value />
                <FormError value=decide_value />
                {pending.then(|| view! { <RegistrationDecision slug=slug.clone() account_id=id decide /> })}
                <div class="actions">
                    {buttons.into_iter().map(|(key, label)| {
                        let slug = slug.clone();
                        view! {
                            <PostForm action attr:class="inline">
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="account_id" value=id />
                                <input type="hidden" name="action" value=key />
                                <button type="submit">{label}</button>
                            </PostForm>
                        }
                    }).collect_view()}
                </div>
                <TwoFactorReset
                    slug=slug.clone()
                    account_id=id
                    shown=person.two_factor_on == Some(true) && !person.is_me && person.status == MembershipStatus::Active
                    reset
                    reset_for
                />
                <PostForm action=move_action attr:class="row-form">
                    <FormError value=move_value />
                    <input type="hidden" name="slug" value=move_slug />
                    <input type="hidden" name="account_id" value=id />
                    <label for="move-department">"Move to department"</label>
                    <select id="move-department" name="department_id">
                        {person.department_choices.iter().map(|d| {
                            let selected = d.id == person.department.id;
                            view! { <option value=d.id selected=selected>{d.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit">"Move"</button>
                    <Show when=move || moved.get()>
                        <span class="ok" role="status">"Moved."</span>
                    </Show>
                </PostForm>
            </section>
        }
    });
    let groups_empty = person.workgroups.is_empty();
    let can_edit = person.is_me || person.viewer_is_admin;
    let edit_href = format!("/p/{slug}/people/{}/edit", person.account_id);
    let sees_mailbox = can_edit;
    let mailbox_email = person.mailbox_email.clone().unwrap_or_else(|| "No mailbox connected".into());
    view! {
        <Title text=person.name.clone() />
        <div class="profile-head">
            <span class="avatar large" aria-hidden="true">{initials(&person.name)}</span>
            <div>
                <h1>{person.name.clone()}</h1>
                <p class="muted">{person.position.clone()}</p>
                {person.is_admin.then(|| view! { <span class="tag">"Administrator"</span> })}
            </div>
            {can_edit.then(|| view! { <a class="button" href=edit_href>"Edit profile"</a> })}
        </div>
        {status_line.map(|line| view! { <p class="form-error" role="status">{line}</p> })}
        <dl class="facts">
            <dt>"Department"</dt>
            <dd>{person.department.name.clone()}</dd>
            {person.login.clone().map(|login| view! {
                <dt>"Login"</dt>
                <dd>{login}</dd>
            })}
            <dt>"Contact email"</dt>
            <dd>{person.contact_email.clone().unwrap_or_else(|| "—".into())}</dd>
            {sees_mailbox.then(|| view! {
                <dt>"E-Mail for mailbox"</dt>
                <dd>{mailbox_email}</dd>
            })}
            <dt>"Phone"</dt>
            <dd>{if person.phone.is_empty() { "—".to_string() } else { person.phone.clone() }}</dd>
        </dl>
        <section aria-labelledby="groups-heading">
            <h2 id="groups-heading">"Workgroups"</h2>
            {if groups_empty {
                view! { <p class="muted">"Not a member of any workgroup."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {person.workgroups.iter().map(|g| {
                            let href = format!("/p/{slug}/workgroups/{}", g.id);
                            view! { <li><a href=href>{g.name.clone()}</a></li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
        {admin_actions}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_filter_search_and_cursor() {
        assert_eq!(employees_href("acme", EmployeeFilter::Dismissed, "", None), "/p/acme/employees?filter=dismissed");
        assert_eq!(
            employees_href("acme", EmployeeFilter::Employees, "ann lee&co", Some(("after", 7))),
            "/p/acme/employees?filter=employees&q=ann+lee%26co&after=7"
        );
    }
}

/// "Reset two-factor log-in", for a person who lost their phone: shown to administrators
/// while the person uses it; the answer stays after the page refreshes.
#[component]
fn TwoFactorReset(
    slug: String,
    account_id: i64,
    shown: bool,
    reset: FormAction<ResetTwoFactor>,
    reset_for: RwSignal<Option<i64>>,
) -> impl IntoView {
    let value = reset.value();
    let done = action_succeeded(value);
    view! {
        <Show when=move || done.get() && reset_for.get() == Some(account_id)>
            <p class="notice" role="status">"Two-factor log-in was reset. They log in with their password alone until they set it up again."</p>
        </Show>
        {shown.then(|| view! {
            <PostForm action=reset attr:class="inline" on:submit=move |_| reset_for.set(Some(account_id))>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <input type="hidden" name="account_id" value=account_id />
                <button type="submit">"Reset two-factor log-in"</button>
            </PostForm>
        })}
    }
}
