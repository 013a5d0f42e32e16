use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    AddDepartment, DeleteDepartment, MoveDepartment, RenameDepartment, SetDepartmentHead, load_department_members, load_structure,
};
use super::{Department, DepartmentMembers, Structure, TreeNode, build_tree};
use crate::components::{Field, FormError, PortalProblem, field_error};
use crate::live::{Topic, use_live};
use crate::people::initials;
use crate::portals::ui::use_slug;

#[component]
pub fn StructurePage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let query = use_query_map();
    let selected = Signal::derive(move || query.read().get("d").and_then(|d| d.parse::<i64>().ok()));
    let add = ServerAction::<AddDepartment>::new();
    let rename = ServerAction::<RenameDepartment>::new();
    let move_under = ServerAction::<MoveDepartment>::new();
    let delete = ServerAction::<DeleteDepartment>::new();
    let head = ServerAction::<SetDepartmentHead>::new();
    let edits =
        move || add.version().get() + rename.version().get() + move_under.version().get() + delete.version().get() + head.version().get();
    let structure = Resource::new(
        move || (slug.get(), live.version(Topic::Structure), live.version(Topic::People), live.version(Topic::Access), edits()),
        |(slug, ..)| load_structure(slug),
    );
    let forms = EditForms { add, rename, move_under, delete, head };
    view! {
        <Title text="Company structure" />
        <h1>"Company structure"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match structure.await {
                    Ok(structure) => view! { <StructureView structure selected slug=slug.get_untracked() forms /> }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct EditForms {
    add: ServerAction<AddDepartment>,
    rename: ServerAction<RenameDepartment>,
    move_under: ServerAction<MoveDepartment>,
    delete: ServerAction<DeleteDepartment>,
    head: ServerAction<SetDepartmentHead>,
}

#[component]
fn StructureView(structure: Structure, selected: Signal<Option<i64>>, slug: String, forms: EditForms) -> impl IntoView {
    // Picking a department only changes the address (?d=), so this part redraws from the
    // data already here instead of fetching the tree again.
    move || {
        let Some(tree) = build_tree(&structure.departments) else {
            return view! { <p>"This portal has no departments."</p> }.into_any();
        };
        let top_id = tree.department.id;
        let current_id = selected.get().filter(|id| structure.departments.iter().any(|d| d.id == *id)).unwrap_or(top_id);
        let current = structure.departments.iter().find(|d| d.id == current_id).cloned();
        let slug = slug.clone();
        view! {
            <figure class="orgchart" aria-label="Org chart">
                <div class="org-top">
                    <DepartmentBox department=tree.department.clone() slug=slug.clone() current=current_id />
                </div>
                <ul class="org-columns">
                    {tree.children.into_iter().map(|child| view! {
                        <li class="org-column">
                            <DepartmentBox department=child.department.clone() slug=slug.clone() current=current_id />
                            <SubTree nodes=child.children slug=slug.clone() current=current_id />
                        </li>
                    }).collect_view()}
                </ul>
            </figure>
            {current.map(|department| view! {
                <DepartmentPanel department departments=structure.departments.clone() is_admin=structure.viewer_is_admin slug=slug.clone() forms />
            })}
        }
        .into_any()
    }
}

/// Below the top two levels the chart grows downwards, so a wide company stays readable.
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
    view! {
        <a class="org-box" href=href aria-current=is_current>
            <strong>{department.name}</strong>
            <span class="org-head">{department.head_name.map(|h| format!("Head: {h}")).unwrap_or_else(|| "No head".into())}</span>
            <span class="org-count">{people}</span>
        </a>
    }
}

#[component]
fn DepartmentPanel(department: Department, departments: Vec<Department>, is_admin: bool, slug: String, forms: EditForms) -> impl IntoView {
    let live = use_live();
    let id = department.id;
    let members = {
        let slug = slug.clone();
        Resource::new(
            move || (live.version(Topic::People), live.version(Topic::Structure)),
            move |_| load_department_members(slug.clone(), id),
        )
    };
    let heading = format!("Department: {}", department.name);
    let head_line = department.head_name.clone().map(|h| format!("Head: {h}")).unwrap_or_else(|| "No head".into());
    view! {
        <section class="panel" aria-label=heading.clone()>
            <h2>{heading.clone()}</h2>
            <p class="muted">{head_line}</p>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || {
                    let (slug, department, departments) = (slug.clone(), department.clone(), departments.clone());
                    Suspend::new(async move {
                        match members.await {
                            Ok(list) => view! {
                                <MemberList list=list.clone() slug=slug.clone() />
                                {is_admin.then(|| view! { <DepartmentEditor department departments slug forms members=list /> })}
                            }.into_any(),
                            Err(error) => view! { <p class="form-error">{error.to_string()}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
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
    department: Department,
    departments: Vec<Department>,
    slug: String,
    forms: EditForms,
    members: DepartmentMembers,
) -> impl IntoView {
    let id = department.id;
    let is_top = department.parent_id.is_none();
    let add_value = forms.add.value();
    let rename_value = forms.rename.value();
    let move_value = forms.move_under.value();
    let delete_value = forms.delete.value();
    let head_value = forms.head.value();
    let options = departments.iter().filter(|d| d.id != id).map(|d| (d.id, d.name.clone())).collect::<Vec<_>>();
    let current_head = department.head_id;
    // Each form's children own their copy of the address.
    let [slug0, slug1, slug2, slug3, slug4] = [(); 5].map(|_| slug.clone());
    view! {
        <h3>"Manage"</h3>
        <ActionForm action=forms.add attr:class="row-form">
            <FormError value=add_value />
            <input type="hidden" name="slug" value=slug0 />
            <input type="hidden" name="parent_id" value=id />
            <Field label="New sub-department" name="name" id="new-department-name" error=field_error(add_value, "name") />
            <button type="submit">"Add department"</button>
        </ActionForm>
        <ActionForm action=forms.rename attr:class="row-form">
            <FormError value=rename_value />
            <input type="hidden" name="slug" value=slug1 />
            <input type="hidden" name="department_id" value=id />
            <Field label="Department name" name="name" id="rename-department" value=department.name.clone() error=field_error(rename_value, "name") />
            <button type="submit">"Rename"</button>
        </ActionForm>
        <ActionForm action=forms.head attr:class="row-form">
            <FormError value=head_value />
            <input type="hidden" name="slug" value=slug2 />
            <input type="hidden" name="department_id" value=id />
            <label for="department-head">"Head of department"</label>
            <select id="department-head" name="head_id">
                <option value="">"No head"</option>
                // A head from another department is listed too, so the choice shows the truth.
                {current_head.zip(department.head_name.clone()).filter(|(head, _)| !members.members.iter().any(|m| m.account_id == *head)).map(|(head, name)| view! {
                    <option value=head selected=true>{name}</option>
                })}
                {members.members.into_iter().map(|m| {
                    let selected = Some(m.account_id) == current_head;
                    view! { <option value=m.account_id selected=selected>{m.name}</option> }
                }).collect_view()}
            </select>
            <button type="submit">"Set head"</button>
        </ActionForm>
        {(!is_top).then(|| view! {
            <ActionForm action=forms.move_under attr:class="row-form">
                <FormError value=move_value />
                <input type="hidden" name="slug" value=slug3 />
                <input type="hidden" name="department_id" value=id />
                <label for="move-under">"Move under"</label>
                <select id="move-under" name="parent_id">
                    {options.iter().map(|(other, name)| {
                        let selected = Some(*other) == department.parent_id;
                        view! { <option value=*other selected=selected>{name.clone()}</option> }
                    }).collect_view()}
                </select>
                <button type="submit">"Move department"</button>
                <p class="field-error">{move || field_error(move_value, "parent_id").get()}</p>
            </ActionForm>
            <ActionForm action=forms.delete attr:class="row-form">
                <FormError value=delete_value />
                <input type="hidden" name="slug" value=slug4 />
                <input type="hidden" name="department_id" value=id />
                <div class="check">
                    <input type="checkbox" id="move-people" name="move_people" value="on" />
                    <label for="move-people">"Move its people to the parent department"</label>
                </div>
                <button type="submit" class="danger">"Delete department"</button>
            </ActionForm>
        })}
    }
}
