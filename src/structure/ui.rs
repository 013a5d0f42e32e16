use crate::components::{PageData, page_data};
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    AddDepartment, DeleteDepartment, MoveDepartment, RenameDepartment, SetDepartmentHead, load_department_members, load_structure,
};
use super::{Department, DepartmentMembers, Structure, TreeNode, build_tree};
use crate::components::initials;
use crate::components::use_slug;
use crate::components::{Field, FormError, PortalProblem, field_error, reset_on_success};
use crate::error::AppError;
use crate::live::{Topic, use_live};

type Loaded<T> = PageData<Result<T, AppError>>;

#[component]
pub fn StructurePage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let query = use_query_map();
    let selected = Signal::derive(move || query.read().get("d").and_then(|d| d.parse::<i64>().ok()));
    let forms = EditForms {
        add: FormAction::new(),
        rename: FormAction::new(),
        move_under: FormAction::new(),
        delete: FormAction::new(),
        head: FormAction::new(),
    };
    let structure = page_data(
        move || (slug.get(), live.version(Topic::Structure), live.version(Topic::People), live.version(Topic::Access), forms.versions()),
        |(slug, ..)| load_structure(slug),
    );
    // Loaded once per portal: the top department and the viewer's role decide which panel
    // and forms to draw. Keeping them out of the live data means an update from someone
    // else never wipes what this person is typing.
    let frame = page_data(move || slug.get(), load_structure);
    view! {
        <Title text="Company structure" />
        <h1>"Company structure"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match structure.await {
                    Ok(structure) => view! { <OrgChart structure selected slug=slug.get_untracked() /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                frame.await.ok().and_then(|frame| {
                    let top = frame.departments.iter().find(|d| d.parent_id.is_none()).map(|d| d.id)?;
                    let is_admin = frame.viewer_is_admin;
                    Some(move || {
                        let id = selected.get().unwrap_or(top);
                        view! { <DepartmentPanel id is_top=id == top is_admin structure slug=slug.get_untracked() forms /> }
                    })
                })
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct EditForms {
    add: FormAction<AddDepartment>,
    rename: FormAction<RenameDepartment>,
    move_under: FormAction<MoveDepartment>,
    delete: FormAction<DeleteDepartment>,
    head: FormAction<SetDepartmentHead>,
}

impl EditForms {
    fn versions(&self) -> usize {
        self.add.version().get()
            + self.rename.version().get()
            + self.move_under.version().get()
            + self.delete.version().get()
            + self.head.version().get()
    }
}

/// The tree as boxes and lines: the top department, its children side by side, and
/// deeper levels growing downwards so a wide company stays readable. A chart wider than
/// the screen scrolls sideways, starting centred on the chosen department.
#[component]
fn OrgChart(structure: Structure, selected: Signal<Option<i64>>, slug: String) -> impl IntoView {
    let figure = NodeRef::<leptos::html::Figure>::new();
    Effect::new(move |_| {
        selected.track();
        request_animation_frame(move || center_on_current(figure));
    });
    move || {
        let Some(tree) = build_tree(&structure.departments) else {
            return view! { <p>"This portal has no departments."</p> }.into_any();
        };
        let current = selected.get().unwrap_or(tree.department.id);
        let slug = slug.clone();
        view! {
            <figure class="orgchart" aria-label="Org chart" node_ref=figure>
                <div class="org-top">
                    <DepartmentBox department=tree.department.clone() slug=slug.clone() current />
                </div>
                <ul class="org-columns">
                    {tree.children.into_iter().map(|child| view! {
                        <li class="org-column">
                            <DepartmentBox department=child.department.clone() slug=slug.clone() current />
                            <SubTree nodes=child.children slug=slug.clone() current />
                        </li>
                    }).collect_view()}
                </ul>
            </figure>
        }
        .into_any()
    }
}

/// Scrolls the chart sideways so the chosen department's box is in the middle.
#[cfg(feature = "hydrate")]
fn center_on_current(figure: NodeRef<leptos::html::Figure>) {
    let Some(figure) = figure.get_untracked() else { return };
    let Ok(Some(current)) = figure.query_selector(".org-box[aria-current='true']") else { return };
    let (chart, chosen) = (figure.get_bounding_client_rect(), current.get_bounding_client_rect());
    let offset = (chosen.left() + chosen.width() / 2.0) - (chart.left() + chart.width() / 2.0);
    figure.set_scroll_left(figure.scroll_left() + offset as i32);
}

#[cfg(not(feature = "hydrate"))]
fn center_on_current(_figure: NodeRef<leptos::html::Figure>) {}

#[component]
fn SubTree(nodes: Vec<TreeNode>, slug: String, current: i64) -> impl IntoView {
    (!nodes.is_empty()).then(|| {
        view! {
            <ul class="org-subtree">
                {nodes.into_iter().map(|node| {
                    let children = node.children;
                    view! {
                        <li>
                            <DepartmentBox department=node.department slug=slug.clone() current />
                            {(!children.is_empty()).then(|| view! { <SubTree nodes=children slug=slug.clone() current /> }.into_any())}
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn DepartmentBox(department: Department, slug: String, current: i64) -> impl IntoView {
    let href = format!("/p/{slug}/structure?d={}", department.id);
    let is_current = (department.id == current).then_some("true");
    let people = if department.member_count == 1 { "1 person".to_string() } else { format!("{} people", department.member_count) };
    let head = head_line(&department);
    view! {
        <a class="org-box" href=href aria-current=is_current>
            <strong>{department.name}</strong>
            <span class="org-head">{head}</span>
            <span class="org-count">{people}</span>
        </a>
    }
}

fn head_line(department: &Department) -> String {
    department.head_name.clone().map(|h| format!("Head: {h}")).unwrap_or_else(|| "No head".into())
}

fn find(structure: &Structure, id: i64) -> Option<Department> {
    structure.departments.iter().find(|d| d.id == id).cloned()
}

/// The chosen department: its people and, for administrators, its forms. The forms are
/// drawn once per department; only the data inside them follows live changes.
#[component]
fn DepartmentPanel(id: i64, is_top: bool, is_admin: bool, structure: Loaded<Structure>, slug: String, forms: EditForms) -> impl IntoView {
    let live = use_live();
    let members = {
        let slug = slug.clone();
        page_data(
            move || (live.version(Topic::People), live.version(Topic::Structure), forms.versions()),
            move |_| load_department_members(slug.clone(), id),
        )
    };
    let member_slug = slug.clone();
    view! {
        <section class="panel" aria-labelledby="department-title">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match structure.await.map(|s| find(&s, id)) {
                        Ok(Some(department)) => view! {
                            <h2 id="department-title">{format!("Department: {}", department.name)}</h2>
                            <p class="muted">{head_line(&department)}</p>
                        }.into_any(),
                        _ => view! {
                            <h2 id="department-title">"Department not found"</h2>
                            <p>"It may have been deleted. Choose another one in the chart."</p>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let slug = member_slug.clone();
                    Suspend::new(async move {
                        match members.await {
                            Ok(list) => view! { <MemberList list slug /> }.into_any(),
                            Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
            {is_admin.then(|| view! { <DepartmentEditor id is_top structure members slug forms /> })}
        </section>
    }
}

#[component]
fn MemberList(list: DepartmentMembers, slug: String) -> impl IntoView {
    let more = list.total - list.members.len() as i64;
    let empty = list.members.is_empty();
    view! {
        <h3>"Members"</h3>
        {if empty {
            view! { <p class="muted">"Nobody works in this department yet."</p> }.into_any()
        } else {
            view! {
                <ul class="members">
                    {list.members.into_iter().map(|m| {
                        let href = format!("/p/{slug}/people/{}", m.account_id);
                        view! {
                            <li>
                                <span class="avatar small" aria-hidden="true">{initials(&m.name)}</span>
                                <a href=href>{m.name}</a>
                                <span class="muted">" " {m.position}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        {(more > 0).then(|| view! { <p class="muted">{format!("and {more} more")}</p> })}
    }
}

#[component]
fn DepartmentEditor(
    id: i64,
    is_top: bool,
    structure: Loaded<Structure>,
    members: Loaded<DepartmentMembers>,
    slug: String,
    forms: EditForms,
) -> impl IntoView {
    let add_value = forms.add.value();
    let rename_value = forms.rename.value();
    let move_value = forms.move_under.value();
    let delete_value = forms.delete.value();
    let head_value = forms.head.value();
    // Each form's children own their copy of the address.
    let [slug0, slug1, slug2, slug3, slug4] = [(); 5].map(|_| slug.clone());
    let add_form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(add_form, add_value);
    let head_options = move || {
        Suspend::new(async move {
            let department = structure.await.ok().and_then(|s| find(&s, id));
            let list = members.await.map(|m| m.members).unwrap_or_default();
            let head = department.as_ref().and_then(|d| d.head_id);
            // A head from another department is listed too, so the choice shows the truth.
            let outside_head = department
                .and_then(|d| d.head_id.zip(d.head_name))
                .filter(|(head, _)| !list.iter().any(|m| m.account_id == *head))
                .map(|(head, name)| view! { <option value=head selected=true>{name}</option> });
            view! {
                <option value="" selected=head.is_none()>"No head"</option>
                {outside_head}
                {list.into_iter().map(|m| {
                    let selected = Some(m.account_id) == head;
                    view! { <option value=m.account_id selected=selected>{m.name}</option> }
                }).collect_view()}
            }
        })
    };
    let parent_options = move || {
        Suspend::new(async move {
            let departments = structure.await.map(|s| s.departments).unwrap_or_default();
            let parent = departments.iter().find(|d| d.id == id).and_then(|d| d.parent_id);
            departments
                .into_iter()
                .filter(|d| d.id != id)
                .map(|d| {
                    let selected = Some(d.id) == parent;
                    view! { <option value=d.id selected=selected>{d.name}</option> }
                })
                .collect_view()
        })
    };
    let current_name = move || {
        Suspend::new(async move {
            let name = structure.await.ok().and_then(|s| find(&s, id)).map(|d| d.name).unwrap_or_default();
            view! { <Field label="Department name" name="name" id="rename-department" value=name error=field_error(rename_value, "name") /> }
        })
    };
    view! {
        <h3>"Manage"</h3>
        <PostForm action=forms.add node_ref=add_form attr:class="row-form">
            <FormError value=add_value />
            <input type="hidden" name="slug" value=slug0 />
            <input type="hidden" name="parent_id" value=id />
            <Field label="New sub-department" name="name" id="new-department-name" error=field_error(add_value, "name") />
            <button type="submit">"Add department"</button>
        </PostForm>
        <PostForm action=forms.rename attr:class="row-form">
            <FormError value=rename_value />
            <input type="hidden" name="slug" value=slug1 />
            <input type="hidden" name="department_id" value=id />
            <Suspense fallback=|| ()>{current_name}</Suspense>
            <button type="submit">"Rename"</button>
        </PostForm>
        <PostForm action=forms.head attr:class="row-form">
            <FormError value=head_value />
            <input type="hidden" name="slug" value=slug2 />
            <input type="hidden" name="department_id" value=id />
            <label for="department-head">"Head of department"</label>
            <select id="department-head" name="head_id">
                <Transition fallback=|| ()>{head_options}</Transition>
            </select>
            <button type="submit">"Set head"</button>
        </PostForm>
        {(!is_top).then(|| view! {
            <PostForm action=forms.move_under attr:class="row-form">
                <FormError value=move_value />
                <input type="hidden" name="slug" value=slug3 />
                <input type="hidden" name="department_id" value=id />
                <label for="move-under">"Move under"</label>
                <select id="move-under" name="parent_id">
                    <Transition fallback=|| ()>{parent_options}</Transition>
                </select>
                <button type="submit">"Move department"</button>
                <p class="field-error">{move || field_error(move_value, "parent_id").get()}</p>
            </PostForm>
            <PostForm action=forms.delete attr:class="row-form">
                <FormError value=delete_value />
                <input type="hidden" name="slug" value=slug4 />
                <input type="hidden" name="department_id" value=id />
                <div class="check">
                    <input type="checkbox" id="move-people" name="move_people" value="on" />
                    <label for="move-people">"Move its people to the parent department"</label>
                </div>
                <button type="submit" class="danger">"Delete department"</button>
            </PostForm>
        })}
    }
}
