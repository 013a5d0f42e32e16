use crate::components::page_data;
use leptos::prelude::*;

use crate::components::{FormAction, PostForm};
use leptos_meta::Title;

use super::FeedItem;
use super::api::{PublishPost, SendMessage, load_chat, load_stream};
use crate::components::{FormError, PortalProblem, TextArea, field_error, reset_on_success};
use crate::components::{LocalTime, initials};
use crate::components::{use_current_portal, use_slug};
use crate::domain::Role;
use crate::invitations::ui::InviteUsersIfAllowed;
use crate::live::{Topic, use_live};

#[component]
pub fn ActivityStreamPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let publish = FormAction::<PublishPost>::new();
    let value = publish.value();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(form, value);
    let home = use_current_portal();
    let feed = page_data(
        move || (slug.get(), live.version(Topic::Stream), live.version(Topic::Access), publish.version().get()),
        |(slug, ..)| load_stream(slug, None),
    );
    view! {
        <Title text="Activity Stream" />
        // Outside the refreshed part, so a settings change does not close an open
        // invite dialog.
        <div class="page-head">
            <h1>"Activity Stream"</h1>
            <InviteUsersIfAllowed />
        </div>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match home.await {
                    Ok(home) => view! {
                        <p>"Welcome to " {home.name.clone()} ", " {home.my_name.clone()} "."</p>
                        <p class="muted">
                            {if home.my_role == Role::Admin {
                                "You are an administrator of this portal."
                            } else if home.admin_needs_two_factor {
                                "You are an administrator of this portal; its administrator pages wait until you set up two-factor log-in."
                            } else {
                                "You are an employee of this portal."
                            }}
                        </p>
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        // Outside the refreshed part too (as in the chat), so a half-written post
        // survives the refresh that someone joining or a settings change causes.
        <section class="panel composer" aria-label="New post">
            <PostForm action=publish node_ref=form>
                <FormError value />
                <input type="hidden" name="slug" value=move || slug.get() />
                <TextArea label="Write a post" name="text" id="post-text" error=field_error(value, "text") />
                <button type="submit" class="primary">"Publish"</button>
            </PostForm>
        </section>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                feed.await.ok().map(|page| view! {
                    <section aria-label="Feed" class="feed">
                        {page.items.into_iter().map(|item| view! { <FeedEntry item /> }).collect_view()}
                        {page.older.map(|_| view! { <p class="muted">"Older posts are kept; only the newest are shown."</p> })}
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn FeedEntry(item: FeedItem) -> impl IntoView {
    let label = if item.is_notice { "Notice".to_string() } else { format!("Post by {}", item.author_name) };
    view! {
        <article class=if item.is_notice { "post notice-post" } else { "post" } aria-label=label>
            <header>
                <span class="avatar small" aria-hidden="true">{initials(&item.author_name)}</span>
                <strong>{item.author_name}</strong>
                <span class="muted"><LocalTime moment=item.at /></span>
            </header>
            <p class="post-body">{item.body}</p>
        </article>
    }
}

#[component]
pub fn ChatPage() -> impl IntoView {
    let slug = use_slug();
    let live = use_live();
    let send = FormAction::<SendMessage>::new();
    let value = send.value();
    let form = NodeRef::<leptos::html::Form>::new();
    reset_on_success(form, value);
    let messages = page_data(
        move || (slug.get(), live.version(Topic::Chat), live.version(Topic::Access), send.version().get()),
        |(slug, ..)| load_chat(slug, None),
    );
    // Like any chat: the newest message stays in view.
    let list = NodeRef::<leptos::html::Section>::new();
    Effect::new(move |_| {
        messages.track();
        request_animation_frame(move || {
            if let Some(list) = list.get_untracked() {
                list.set_scroll_top(list.scroll_height());
            }
        });
    });
    view! {
        <Title text="General chat" />
        <h1>"General chat"</h1>
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match messages.await {
                    Ok(page) => view! {
                        <section aria-label="Messages" class="chat" node_ref=list>
                            {page.items.is_empty().then(|| view! { <p class="muted">"No messages yet. Say hello!"</p> })}
                            {page.items.into_iter().map(|item| {
                                let label = if item.is_notice { "Notice".to_string() } else { format!("Message from {}", item.author_name) };
                                view! {
                                    <article class=if item.is_notice { "chat-line notice-post" } else { "chat-line" } aria-label=label>
                                        <strong>{item.author_name}</strong>
                                        <span class="muted"><LocalTime moment=item.at /></span>
                                        <p class="post-body">{item.body}</p>
                                    </article>
                                }
                            }).collect_view()}
                        </section>
                    }.into_any(),
                    Err(error) => view! { <PortalProblem error /> }.into_any(),
                }
            })}
        </Transition>
        <PostForm action=send node_ref=form attr:class="chat-form">
            <FormError value />
            <input type="hidden" name="slug" value=move || slug.get() />
            <TextArea label="Message" name="text" id="chat-text" rows=2 error=field_error(value, "text") />
            <button type="submit" class="primary">"Send"</button>
        </PostForm>
    }
}
