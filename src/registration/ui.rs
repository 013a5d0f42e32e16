use crate::components::{PageData, page_data};
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    CheckRegistrationAddress, ConfirmRegistration, CreateInviteLink, DecideRegistration, RegenerateRegistrationLink, RegisterByLink,
    RevokeInviteLink, SaveRegistrationSettings, SetEveryoneCanInvite, load_confirmation, load_invite_links, load_quick_registration,
    load_registration_page, load_registration_settings,
};
use super::{ConfirmationPage, InviteLinkRow, LinkState, Outcome, RegistrationPage, RegistrationSettings};
use crate::components::{Field, FormError, PlainPage, PortalProblem, TextArea, action_succeeded, field_error, reset_on_success};
use crate::domain::NamedId;
use crate::error::AppError;
use crate::live::{Live, Topic, use_live};

/// The registration settings with their rule preview, for administrators: on the
/// Settings page (with "Allow everyone to invite" and the link) and in the invite
/// dialog's "Quick registration" tab (which shows the link itself).
#[component]
pub fn RegistrationSettingsPanel(slug: String, #[prop(optional)] on_settings_page: bool) -> impl IntoView {
    let live = use_live();
    // Created outside the refreshed part, so their answers survive the live refresh
    // their own change causes.
    let save = FormAction::<SaveRegistrationSettings>::new();
    let regenerate = FormAction::<RegenerateRegistrationLink>::new();
    let invite_rule = FormAction::<SetEveryoneCanInvite>::new();
    let check = FormAction::<CheckRegistrationAddress>::new();
    let settings_slug = slug.clone();
    let settings = page_data(move || (settings_slug.clone(), live.version(Topic::Settings)), |(slug, _)| load_registration_settings(slug));
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {
                let slug = slug.clone();
                move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match settings.await {
                            Ok(settings) => view! {
                                {on_settings_page.then(|| view! { <InviteRuleForm slug=slug.clone() allowed=settings.everyone_can_invite action=invite_rule /> })}
                                <SettingsForm slug=slug.clone() settings save regenerate show_link=on_settings_page />
                                <AddressCheck slug=slug.clone() check />
                            }.into_any(),
                            // The page around it says "Administrators only" already.
                            Err(AppError::Forbidden | AppError::TwoFactorRequired) => ().into_any(),
                            Err(error) => view! { <PortalProblem error /> }.into_any(),
                        }
                    })
                }
            }
        </Transition>
    }
}

#[component]
fn InviteRuleForm(slug: String, allowed: bool, action: FormAction<SetEveryoneCanInvite>) -> impl IntoView {
    let value = action.value();
    let done = action_succeeded(value);
    view! {
        <section class="panel" aria-labelledby="invite-rule-heading">
            <h2 id="invite-rule-heading">"Invitations"</h2>
            <PostForm action attr:class="settings-form">
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <div class="check">
                    <input type="checkbox" id="everyone-can-invite" name="allowed" value="on" checked=allowed />
                    <label for="everyone-can-invite">"Allow everyone to invite new users to this Bitrix24 account"</label>
                </div>
                <button type="submit">"Save invitation rule"</button>
                <Show when=move || done.get()>
                    <span class="ok" role="status">"Saved."</span>
                </Show>
            </PostForm>
        </section>
    }
}

#[component]
fn SettingsForm(
    slug: String,
    settings: RegistrationSettings,
    save: FormAction<SaveRegistrationSettings>,
    regenerate: FormAction<RegenerateRegistrationLink>,
    show_link: bool,
) -> impl IntoView {
    let value = save.value();
    let saved = action_succeeded(value);
    let regenerated = action_succeeded(regenerate.value());
    let regenerate_value = regenerate.value();
    let type_error = field_error(value, "registration_type");
    let regenerate_slug = slug.clone();
    view! {
        <section class="panel" aria-labelledby="registration-heading">
            <h2 id="registration-heading">"Quick registration"</h2>
            <PostForm action=save attr:novalidate=true attr:class="settings-form">
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <div class="check">
                    <input type="checkbox" id="registration-enabled" name="enabled" value="on" checked=settings.enabled />
                    <label for="registration-enabled">"Allow quick registration"</label>
                </div>
                <fieldset aria-describedby="registration-type-error">
                    <legend>"Registration type"</legend>
                    <div class="check">
                        <input type="radio" id="registration-public" name="registration_type" value="public" checked=!settings.moderated />
                        <label for="registration-public">"Public"</label>
                    </div>
                    <p class="muted">"New users join and get access without an administrator's approval."</p>
                    <div class="check">
                        <input type="radio" id="registration-moderated" name="registration_type" value="moderated" checked=settings.moderated />
                        <label for="registration-moderated">"Moderated"</label>
                    </div>
                    <p class="muted">"New users get access after an administrator approves them."</p>
                    <p class="field-error" id="registration-type-error">{move || type_error.get()}</p>
                </fieldset>
                <TextArea
                    label="Don't require confirmation for domains"
                    name="trusted_domains"
                    id="registration-domains"
                    rows=2
                    placeholder="company.com, one or more"
                    value=settings.trusted_domains.join(", ")
                    error=field_error(value, "trusted_domains")
                />
                <p class="muted">"People with an address at these domains join at once even when registration is moderated. Subdomains count only if listed."</p>
                <TextArea
                    label="Registration greeting text"
                    name="greeting"
                    id="registration-greeting"
                    rows=3
                    value=settings.greeting.clone()
                    error=field_error(value, "greeting")
                />
                <button type="submit" class="primary">"Save registration settings"</button>
                <Show when=move || saved.get()>
                    <span class="ok" role="status">"Registration settings saved."</span>
                </Show>
            </PostForm>
            {show_link.then(|| view! {
                <div class="field">
                    <label for="registration-link-admin">"Registration link"</label>
                    <input id="registration-link-admin" readonly value=settings.link.clone() />
                </div>
            })}
            <PostForm action=regenerate attr:class="row-form">
                <FormError value=regenerate_value />
                <input type="hidden" name="slug" value=regenerate_slug />
                <button type="submit">"Regenerate link"</button>
                <span class="muted">"The old link stops working at once."</span>
                <Show when=move || regenerated.get()>
                    <span class="ok" role="status">"New link made."</span>
                </Show>
            </PostForm>
        </section>
    }
}

/// Settings > Invite links: named links with limits of their own, their uses so far, and
/// a form to create another, for administrators (others see nothing). `departments` are
/// the choices for newcomers' department. The actions come from the page, so their
/// answers survive the live refresh their own change causes.
#[component]
pub fn InviteLinksPanel(
    slug: String,
    departments: PageData<Result<Vec<NamedId>, AppError>>,
    create: FormAction<CreateInviteLink>,
    revoke: FormAction<RevokeInviteLink>,
) -> impl IntoView {
    let live = use_live();
    let links_slug = slug.clone();
    let links = page_data(
        move || (links_slug.clone(), live.version(Topic::Settings), create.version().get(), revoke.version().get()),
        |(slug, ..)| load_invite_links(slug),
    );
    view! {
        <Transition fallback=|| ()>
            {
                let slug = slug.clone();
                move || {
                    let slug = slug.clone();
                    Suspend::new(async move {
                        match (links.await, departments.await) {
                            (Ok(rows), Ok(departments)) => view! { <InviteLinks slug rows departments create revoke /> }.into_any(),
                            (Err(AppError::Forbidden | AppError::TwoFactorRequired), _) => ().into_any(),
                            (Err(error), _) | (_, Err(error)) => view! { <PortalProblem error /> }.into_any(),
                        }
                    })
                }
            }
        </Transition>
    }
    .into_any()
}

#[component]
fn InviteLinks(
    slug: String,
    rows: Vec<InviteLinkRow>,
    departments: Vec<NamedId>,
    create: FormAction<CreateInviteLink>,
    revoke: FormAction<RevokeInviteLink>,
) -> impl IntoView {
    let value = create.value();
    let created = action_succeeded(value);
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(form, value);
    let revoke_value = revoke.value();
    let department_error = field_error(value, "department_id");
    let type_error = field_error(value, "link_type");
    view! {
        <section class="panel" aria-labelledby="invite-links-heading">
            <h2 id="invite-links-heading">"Invite links"</h2>
            <p class="muted">
                "Links with limits of their own, next to the quick registration link: how many people may join through each, "
                "until which day, into which department, and whether an administrator approves them."
            </p>
            <FormError value=revoke_value />
            {if rows.is_empty() {
                view! { <p class="muted">"No invite links yet."</p> }.into_any()
            } else {
                view! { <InviteLinkTable slug=slug.clone() rows revoke /> }.into_any()
            }}
            <PostForm action=create node_ref=form attr:novalidate=true attr:class="settings-form">
                <h3>"Create link"</h3>
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <Field label="Link name" name="name" id="link-name" error=field_error(value, "name") />
                <Field label="Maximum uses" name="max_uses" kind="number" id="link-max-uses" error=field_error(value, "max_uses") />
                <p class="muted">"Leave empty for no limit."</p>
                <Field label="Expires on" name="expires_on" kind="date" id="link-expires-on" error=field_error(value, "expires_on") />
                <p class="muted">"The link works until the end of this day. Leave empty to keep it until it is revoked."</p>
                <div class="field">
                    <label for="link-department">"Department"</label>
                    <select
                        id="link-department"
                        name="department_id"
                        aria-describedby="link-department-error"
                        aria-invalid=move || if department_error.get().is_some() { "true" } else { "false" }
                    >
                        <option value="">"Top department"</option>
                        {departments.into_iter().map(|d| view! { <option value=d.id>{d.name}</option> }).collect_view()}
                    </select>
                    <p class="field-error" id="link-department-error">{move || department_error.get()}</p>
                </div>
                <fieldset aria-describedby="link-type-error">
                    <legend>"Registration type"</legend>
                    <div class="check">
                        <input type="radio" id="link-public" name="link_type" value="public" />
                        <label for="link-public">"Public"</label>
                    </div>
                    <div class="check">
                        <input type="radio" id="link-moderated" name="link_type" value="moderated" checked />
                        <label for="link-moderated">"Moderated"</label>
                    </div>
                    <p class="field-error" id="link-type-error">{move || type_error.get()}</p>
                </fieldset>
                <button type="submit" class="primary">"Create link"</button>
                <Show when=move || created.get()>
                    <span class="ok" role="status">"Link created."</span>
                </Show>
            </PostForm>
        </section>
    }
}

#[component]
fn InviteLinkTable(slug: String, rows: Vec<InviteLinkRow>, revoke: FormAction<RevokeInviteLink>) -> impl IntoView {
    view! {
        <div class="table-box"><table class="people stacked" aria-label="Invite links">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Link"</th>
                    <th scope="col">"Uses"</th>
                    <th scope="col">"Expires"</th>
                    <th scope="col">"Department"</th>
                    <th scope="col">"Type"</th>
                    <th scope="col">"State"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let uses = match row.max_uses {
                        Some(max) => format!("{} of {max}", row.uses),
                        None => row.uses.to_string(),
                    };
                    let label = format!("Revoke the link {}", row.name);
                    let link_label = format!("Link {}", row.name);
                    let slug = slug.clone();
                    view! {
                        <tr>
                            <td class="lead">{row.name.clone()}</td>
                            <td data-label="Link"><LinkToCopy link=row.link label=link_label name=row.name.clone() revoked=row.state == LinkState::Revoked /></td>
                            <td data-label="Uses">{uses}</td>
                            <td data-label="Expires">{row.expires_on.unwrap_or_else(|| "Never".into())}</td>
                            <td data-label="Department">{row.department.unwrap_or_else(|| "Top department".into())}</td>
                            <td data-label="Type">{if row.moderated { "Moderated" } else { "Public" }}</td>
                            <td data-label="State">{row.state.label()}</td>
                            <td class="actions">
                                {(row.state != LinkState::Revoked).then(|| view! {
                                    <PostForm action=revoke attr:class="inline">
                                        <input type="hidden" name="slug" value=slug />
                                        <input type="hidden" name="id" value=row.id />
                                        <button type="submit" class="danger" aria-label=label>"Revoke"</button>
                                    </PostForm>
                                })}
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}

/// An invite link in its read-only field, with "Copy" beside it while it can still be used.
#[component]
fn LinkToCopy(link: String, label: String, name: String, revoked: bool) -> impl IntoView {
    let input = NodeRef::<leptos::html::Input>::new();
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = input.get() {
            crate::components::copy_field(&input);
            copied.set(true);
        }
    };
    view! {
        <span class="link-to-copy">
            <input class="link-copy" readonly value=link aria-label=label node_ref=input />
            {(!revoked).then(|| view! {
                <button type="button" class="small" on:click=copy aria-label=format!("Copy the link {name}")>"Copy"</button>
            })}
            <Show when=move || copied.get()>
                <span class="ok" role="status">"Copied."</span>
            </Show>
        </span>
    }
}

/// "Check an address": the rule preview, answered by the function registration uses.
#[component]
fn AddressCheck(slug: String, check: FormAction<CheckRegistrationAddress>) -> impl IntoView {
    let value = check.value();
    let answer = move || value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).map(|o| o.describe()));
    view! {
        <section class="panel" aria-labelledby="check-heading">
            <h2 id="check-heading">"Check an address"</h2>
            <p class="muted">"What would happen if this address registered through the link now."</p>
            <PostForm action=check attr:novalidate=true attr:class="row-form">
                <FormError value />
                <input type="hidden" name="slug" value=slug />
                <Field label="Address to check" name="email" kind="email" id="check-email" error=field_error(value, "email") />
                <button type="submit">"Check"</button>
            </PostForm>
            {move || answer().map(|text| view! { <p class="notice" role="status" aria-label="Check result">{text}</p> })}
        </section>
    }
}

/// The invite dialog's "Quick registration" tab: the link with "Copy" for everyone who
/// may invite, and "Additional settings" for administrators.
#[component]
pub fn QuickRegistrationTab(slug: String, is_admin: bool) -> impl IntoView {
    let live = use_live();
    let tab_slug = slug.clone();
    let quick = page_data(move || (tab_slug.clone(), live.version(Topic::Settings)), |(slug, _)| load_quick_registration(slug));
    let copied = RwSignal::new(false);
    let link_input = NodeRef::<leptos::html::Input>::new();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(input) = link_input.get() {
            crate::components::copy_field(&input);
            copied.set(true);
        }
    };
    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match quick.await {
                    Ok(quick) => {
                        let kind = if quick.moderated {
                            "Registration type: Moderated. New people wait for an administrator's approval."
                        } else {
                            "Registration type: Public. New people join at once."
                        };
                        view! {
                            <p class="muted">"Send this link to the people you want to add. They open it and register themselves."</p>
                            {match quick.link {
                                Some(link) => view! {
                                    <div class="row-form">
                                        <div class="field">
                                            <label for="quick-registration-link">"Registration link"</label>
                                            <input id="quick-registration-link" readonly value=link node_ref=link_input />
                                        </div>
                                        <button type="button" on:click=copy>"Copy"</button>
                                        <Show when=move || copied.get()>
                                            <span class="ok" role="status">"Link copied."</span>
                                        </Show>
                                    </div>
                                    <p class="muted" aria-label="Registration type">{kind}</p>
                                }.into_any(),
                                None => view! {
                                    <p class="notice" role="status">
                                        {if quick.is_admin { "Quick registration is switched off. Switch it on below." } else { "Quick registration is switched off." }}
                                    </p>
                                }.into_any(),
                            }}
                        }.into_any()
                    }
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                }
            })}
        </Transition>
        // Mounted once, not inside the refreshed part: the panel keeps its own answers
        // ("saved") across the live refresh its change causes.
        {is_admin.then(|| view! {
            <h3>"Additional settings"</h3>
            <RegistrationSettingsPanel slug />
        })}
    }
}

/// The page behind the quick registration link. It follows the portal's settings
/// live: a new greeting or a switched-off link shows without a reload.
#[component]
pub fn RegistrationLinkPage() -> impl IntoView {
    let params = use_params_map();
    let code = Signal::derive(move || params.read().get("code").unwrap_or_default());
    let live = Live::default();
    crate::live::connect_to(Signal::derive(move || format!("/join/{}/live", code.get())), live);
    let page = page_data(move || (code.get(), live.version(Topic::Settings)), |(code, _)| load_registration_page(code));
    let register = FormAction::<RegisterByLink>::new();
    let value = register.value();
    // A memo: a refused attempt leaves it None and so does not rebuild the form while
    // the form's own submission is still finishing.
    let sent_to = Memo::new(move |_| value.with(|v| v.as_ref().and_then(|r| r.as_ref().ok()).cloned()));
    view! {
        <Title text="Registration" />
        <PlainPage>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(RegistrationPage::Open { portal_name, greeting, moderated }) => view! {
                            <h1>{format!("Join {portal_name}")}</h1>
                            {(!greeting.is_empty()).then(|| view! { <p class="greeting" aria-label="Greeting">{greeting}</p> })}
                            {move || sent_to.get().map(|email| view! {
                                <p class="notice" role="status">
                                    {format!("Check your e-mail: we sent a confirmation link to {email}. Open it to finish the registration.")}
                                </p>
                            })}
                            <div hidden=move || sent_to.with(Option::is_some)>
                                {moderated.then(|| view! { <p class="muted">"An administrator approves new people before they can log in."</p> })}
                                <PostForm action=register attr:novalidate=true>
                                    <FormError value />
                                    <input type="hidden" name="code" value=code.get_untracked() />
                                    <Field label="E-mail" name="email" kind="email" autocomplete="email" error=field_error(value, "email") />
                                    <Field label="First name" name="first_name" autocomplete="given-name" error=field_error(value, "first_name") />
                                    <Field label="Last name" name="last_name" autocomplete="family-name" error=field_error(value, "last_name") />
                                    <Field label="Password" name="password" kind="password" autocomplete="new-password" error=field_error(value, "password") />
                                    <button type="submit" class="primary">"Register"</button>
                                </PostForm>
                            </div>
                        }.into_any(),
                        Ok(RegistrationPage::SwitchedOff) | Err(_) => view! {
                            <h1>"Registration is closed"</h1>
                            <p role="status">"This registration link is switched off. Ask the person who sent it for a new one."</p>
                            <p><a href="/login">"Log In"</a></p>
                        }.into_any(),
                    }
                })}
            </Transition>
        </PlainPage>
    }
}

/// The page the confirmation email links to.
#[component]
pub fn ConfirmRegistrationPage() -> impl IntoView {
    let query = use_query_map();
    let token = Signal::derive(move || query.read().get("token").unwrap_or_default());
    let page = page_data(move || token.get(), load_confirmation);
    let confirm = FormAction::<ConfirmRegistration>::new();
    let value = confirm.value();
    let unusable = || {
        view! {
            <h1>"This confirmation link cannot be used"</h1>
            <p role="status">"It was already used or has expired, or the registration link was switched off."</p>
            <p><a href="/login">"Log In"</a></p>
        }
    };
    // A memo, and the form stays mounted (hidden once done): a refused attempt must not
    // rebuild the form while its own submission is still finishing.
    let done = Memo::new(move |_| value.get().and_then(|r| r.ok()));
    view! {
        <Title text="Confirm registration" />
        <PlainPage>
            {move || done.get().map(|confirmed| {
                let name = confirmed.portal_name.clone();
                match confirmed.outcome {
                    Outcome::AwaitsApproval => view! {
                        <h1>"Thank you"</h1>
                        <p class="notice" role="status">"Your registration is awaiting administrator approval."</p>
                        <p>{format!("You will get an e-mail when an administrator of {name} decides.")}</p>
                    }.into_any(),
                    _ if confirmed.existing_account => view! {
                        <h1>{format!("You have joined {name}")}</h1>
                        <p role="status">"This address already had a Bitrix24 account, and that account has joined. Log in with it."</p>
                        <p><a href=format!("/login?next=/p/{}", confirmed.portal_slug)>"Log In"</a></p>
                    }.into_any(),
                    _ => view! {
                        <h1>{format!("You have joined {name}")}</h1>
                        <p role="status">"Your e-mail address is confirmed."</p>
                        <p><a href=format!("/p/{}", confirmed.portal_slug) rel="external">{format!("Open {name}")}</a></p>
                    }.into_any(),
                }
            })}
            <div hidden=move || done.with(Option::is_some)>
                <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match page.await {
                            Ok(ConfirmationPage::Ready { portal_name, email }) => view! {
                                <h1>"Confirm your registration"</h1>
                                <p>{format!("Confirm {email} to join {portal_name}.")}</p>
                                <PostForm action=confirm attr:novalidate=true>
                                    <FormError value />
                                    <input type="hidden" name="token" value=token.get_untracked() />
                                    <Field label="Password" name="password" kind="password" autocomplete="current-password" error=field_error(value, "password") />
                                    <p class="muted">"The password you chose when registering."</p>
                                    <button type="submit" class="primary">"Confirm e-mail address"</button>
                                </PostForm>
                            }.into_any(),
                            _ => unusable().into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </PlainPage>
    }
}

/// "Approve" and "Deny" for one registration awaiting approval (Employees > Pending
/// confirmation, the person's page, and the notice in the bell).
#[component]
pub fn RegistrationDecision(slug: String, account_id: i64, decide: FormAction<DecideRegistration>) -> impl IntoView {
    view! {
        <div class="actions">
            {[("approve", "Approve"), ("deny", "Deny")].into_iter().map(|(key, label)| {
                let slug = slug.clone();
                view! {
                    <PostForm action=decide attr:class="inline">
                        <input type="hidden" name="slug" value=slug />
                        <input type="hidden" name="account_id" value=account_id />
                        <input type="hidden" name="decision" value=key />
                        <button type="submit">{label}</button>
                    </PostForm>
                }
            }).collect_view()}
        </div>
    }
}
