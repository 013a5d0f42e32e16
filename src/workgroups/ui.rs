use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{AddWorkgroupMember, CreateWorkgroup, RemoveWorkgroupMember, list_workgroups, load_workgroup, workgroup_candidates};
use super::{WorkgroupDetail, WorkgroupSummary};
use crate::components::initials;
use crate::components::use_slug;
use crate::components::{Field, FormError, PortalProblem, TextArea, field_error, reset_on_success};
use crate::live::{Topic, use_live};

#[component]
pub fn WorkgroupsPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let create = FormAction::<CreateWorkgroup>::new();
    let value = create.value();
    let create_form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(create_form, value);
    let groups = page_data(
        move || (slug.get(), live.version(Topic::Workgroups), live.version(Topic::Access), create.version().get()),
        |(slug, ..)| list_workgroups(slug),
    );
    view! {
        <Title text="Workgroups" />
        <h1>"Workgroups"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match groups.await {
                    Ok(list) => view! { <GroupList list slug=slug.get_untracked() /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="panel" aria-labelledby="create-group">
            <h2 id="create-group">"Create a workgroup"</h2>
            <PostForm action=create node_ref=create_form>
                <FormError value />
                <input type="hidden" name="slug" value=move || slug.get() />
                <Field label="Group name" name="name" id="group-name" error=field_error(value, "name") />
                <TextArea label="Description" name="description" id="group-description" error=field_error(value, "description") />
                <button type="submit" class="primary">"Create group"</button>
            </PostForm>
        </section>
    }
}

#[component]
fn GroupList(list: Vec<WorkgroupSummary>, slug: String) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">"No workgroups yet."</p> }.into_any();
    }
    view! {
        <ul class="cards">
            {list.into_iter().map(|g| {
                let href = format!("/p/{slug}/workgroups/{}", g.id);
                let members = if g.member_count == 1 { "1 member".to_string() } else { format!("{} members", g.member_count) };
                view! {
                    <li class="card-item">
                        <a href=href><strong>{g.name}</strong></a>
                        {g.i_am_member.then(|| view! { <span class="tag">"member"</span> })}
                        <p>{g.description}</p>
                        <p class="muted">{members}</p>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn WorkgroupPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let params = use_params_map();
    let id = Signal::derive(move || params.read().get("id").and_then(|id| id.parse::<i64>().ok()).unwrap_or_default());
    let add = FormAction::<AddWorkgroupMember>::new();
    let remove = FormAction::<RemoveWorkgroupMember>::new();
    let group = page_data(
        move || {
            (
                slug.get(),
                id.get(),
                live.version(Topic::Workgroups),
                live.version(Topic::Access),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(slug, id, ..)| load_workgroup(slug, id),
    );
    // Loaded once per group: whether the viewer manages it decides whether the "Add a
    // member" form is drawn, and that form stays put while the member list refreshes.
    let frame = page_data(move || (slug.get(), id.get()), |(slug, id)| load_workgroup(slug, id));
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match group.await {
                    Ok(group) => view! { <GroupDetail group slug=slug.get_untracked() remove /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                frame.await.ok().filter(|g| g.can_manage).map(|g| view! { <AddMember group_id=g.id slug=slug.get_untracked() add /> })
            })}
        </Transition>
    }
}

#[component]
fn GroupDetail(group: WorkgroupDetail, slug: String, remove: FormAction<RemoveWorkgroupMember>) -> impl IntoView {
    let remove_value = remove.value();
    let group_id = group.id;
    let can_manage = group.can_manage;
    let me = group.my_account_id;
    view! {
        <Title text=group.name.clone() />
        <p><a href=format!("/p/{slug}/workgroups")>"All workgroups"</a></p>
        <h1>{group.name.clone()}</h1>
        <p>{group.description.clone()}</p>
        <h2>"Members"</h2>
        <FormError value=remove_value />
        <ul class="members">
            {group.members.into_iter().map(|m| {
                let href = format!("/p/{slug}/people/{}", m.account_id);
                let label = if m.account_id == me { "Leave group".to_string() } else { format!("Remove {}", m.name) };
                let removable = can_manage || m.account_id == me;
                let slug = slug.clone();
                view! {
                    <li>
                        <span class="avatar small" aria-hidden="true">{initials(&m.name)}</span>
                        <a href=href>{m.name.clone()}</a>
                        <span class="muted">" " {m.position}</span>
                        {removable.then(|| view! {
                            <PostForm action=remove attr:class="inline">
                                <input type="hidden" name="slug" value=slug />
                                <input type="hidden" name="workgroup_id" value=group_id />
                                <input type="hidden" name="account_id" value=m.account_id />
                                <button type="submit" class="link-button" aria-label=label.clone()>{if m.account_id == me { "Leave" } else { "Remove" }}</button>
                            </PostForm>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// "Add a member": the manager picks a person from the employees matching what they
/// type (name, contact e-mail or position), never by typing a login.
#[component]
fn AddMember(group_id: i64, slug: String, add: FormAction<AddWorkgroupMember>) -> impl IntoView {
    let add_value = add.value();
    let pick_error = field_error(add_value, "account_id");
    let search = RwSignal::new(String::new());
    let live = use_live();
    let candidates_slug = slug.clone();
    let candidates = page_data(
        move || (candidates_slug.clone(), search.get(), add.version().get(), live.version(Topic::Workgroups), live.version(Topic::People)),
        move |(slug, search, ..)| workgroup_candidates(slug, group_id, search),
    );
    view! {
        <section class="panel" aria-labelledby="add-member">
            <h2 id="add-member">"Add a member"</h2>
            <FormError value=add_value />
            <div class="field">
                <label for="group-person-search">"Find an employee"</label>
                <input
                    id="group-person-search"
                    type="search"
                    autocomplete="off"
                    placeholder="Name, e-mail or position"
                    maxlength=crate::domain::SEARCH_MAX_CHARS
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))
                />
                <p class="field-error" role="alert">{move || pick_error.get()}</p>
            </div>
            <Transition fallback=|| ()>
                {
                    let slug = slug.clone();
                    move || {
                        let slug = slug.clone();
                        Suspend::new(async move {
                            match candidates.await {
                                Ok(people) if people.is_empty() => view! { <p class="muted">"No one else matches."</p> }.into_any(),
                                Ok(people) => view! {
                                    <ul class="members" aria-label="Employees to add">
                                        {people.into_iter().map(|p| {
                                            let label = format!("Add {}", p.name);
                                            let slug = slug.clone();
                                            view! {
                                                <li>
                                                    <span class="avatar small" aria-hidden="true">{initials(&p.name)}</span>
                                                    <span>{p.name.clone()}</span>
                                                    <span class="muted">" " {p.position}</span>
                                                    <PostForm action=add attr:class="inline">
                                                        <input type="hidden" name="slug" value=slug />
                                                        <input type="hidden" name="workgroup_id" value=group_id />
                                                        <input type="hidden" name="account_id" value=p.account_id />
                                                        <button type="submit" class="link-button" aria-label=label>"Add"</button>
                                                    </PostForm>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                                Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                            }
                        })
                    }
                }
            </Transition>
        </section>
    }
}
