//! Employees > Invited > Funnel: the chart and the counts by channel, inviter or week,
//! the CSV downloads, and each invitation with the time of every step it reached. It
//! follows live as people open their links and join.

use crate::components::page_data;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::api::load_invitation_funnel;
use super::funnel::{Funnel, FunnelCounts, FunnelGrouping, FunnelRow, FunnelStep, funnel_csv_href, share_of_sent};
use crate::components::{LocalTime, PortalProblem};
use crate::live::{Topic, use_live};

/// The Invited list's address for the funnel, grouped and paged.
fn funnel_href(slug: &str, by: FunnelGrouping, page: i64) -> String {
    let mut href = format!("/p/{slug}/employees?filter=invited&show=funnel&by={}", by.key());
    if page > 1 {
        href.push_str(&format!("&page={page}"));
    }
    href
}

/// What the funnel last summed up, and what screen readers were last told. The Employees
/// page keeps them, outside the part a live update redraws (the funnel with it).
#[derive(Clone, Copy)]
pub struct FunnelNews {
    last: RwSignal<Option<String>>,
    announcement: RwSignal<String>,
}

impl Default for FunnelNews {
    fn default() -> FunnelNews {
        FunnelNews { last: RwSignal::new(None), announcement: RwSignal::new(String::new()) }
    }
}

/// The live region that announces the funnel's changes; it must stay on the page.
#[component]
pub fn FunnelAnnouncer(news: FunnelNews) -> impl IntoView {
    view! { <p class="visually-hidden" role="status">{move || news.announcement.get()}</p> }
}

#[component]
pub fn InvitationFunnel(slug: String, news: FunnelNews) -> impl IntoView {
    let live = use_live();
    let query = use_query_map();
    let by = Signal::derive(move || FunnelGrouping::from_key(&query.read().get("by").unwrap_or_default()));
    let page_number = Signal::derive(move || query.read().get("page").and_then(|p| p.parse::<i64>().ok()).unwrap_or(1));
    let resource_slug = slug.clone();
    let funnel = page_data(
        move || (resource_slug.clone(), by.get(), page_number.get(), live.version(Topic::People)),
        |(slug, by, page, _)| load_invitation_funnel(slug, by.key().to_string(), page),
    );
    // Screen readers hear the summary when a live update changes it.
    Effect::new(move || {
        if let Some(Ok(funnel)) = funnel.get() {
            let now = summary(&funnel.total);
            let last = news.last.get_untracked();
            if last.as_ref().is_some_and(|last| *last != now) {
                news.announcement.set(now.clone());
            }
            if last.as_ref() != Some(&now) {
                news.last.set(Some(now));
            }
        }
    });
    let tabs_slug = slug.clone();
    view! {
        <section class="funnel" aria-labelledby="funnel-heading">
            <h2 id="funnel-heading">"Invitation funnel"</h2>
            <p class="muted">
                "How far each invitation got: sent, delivered, link opened, registered and active. For the quick registration link and invite links, the message is the letter that confirms the address."
            </p>
            <nav class="tabs sub-tabs" aria-label="Group the counts">
                {FunnelGrouping::ALL.into_iter().map(|grouping| {
                    let href = funnel_href(&tabs_slug, grouping, 1);
                    view! { <a href=href aria-current=move || (by.get() == grouping).then_some("page")>{grouping.label()}</a> }
                }).collect_view()}
            </nav>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {
                    let slug = slug.clone();
                    move || {
                        let slug = slug.clone();
                        Suspend::new(async move {
                            match funnel.await {
                                Ok(funnel) => view! { <FunnelView funnel slug /> }.into_any(),
                                Err(error) => view! { <PortalProblem error /> }.into_any(),
                            }
                        })
                    }
                }
            </Transition>
        </section>
    }
}

/// "3 of 12 invited are active (25%)."
fn summary(total: &[i64; 5]) -> String {
    let sent = total[0];
    if sent == 0 {
        "No invitations yet.".to_string()
    } else {
        format!("{} of {sent} invited are active ({}).", total[4], share_of_sent(total[4], sent))
    }
}

#[component]
fn FunnelView(funnel: Funnel, slug: String) -> impl IntoView {
    let Funnel { grouping, groups, total, chart, rows, page, pages } = funnel;
    let summary = summary(&total);
    let previous = (page > 1).then(|| funnel_href(&slug, grouping, page - 1));
    let next = (page < pages).then(|| funnel_href(&slug, grouping, page + 1));
    let counts_href = funnel_csv_href(&slug, grouping.key());
    let rows_href = funnel_csv_href(&slug, "invitation");
    view! {
        <p class="funnel-summary">{summary}</p>
        <div class="funnel-figures">
            <div class="funnel-chart-box" inner_html=chart></div>
            <CountsTable grouping groups total />
        </div>
        <p class="downloads">
            <a href=counts_href download="">"Download the counts (CSV)"</a>
            " · "
            <a href=rows_href download="">"Download every invitation (CSV)"</a>
        </p>
        <h3>"Each invitation"</h3>
        {if rows.is_empty() {
            view! { <p class="muted">"No invitations here."</p> }.into_any()
        } else {
            view! { <StepsTable rows /> }.into_any()
        }}
        <nav class="pager" aria-label="Pages">
            <span class="muted">{format!("Page {page} of {}", pages.max(1))}</span>
            {previous.map(|href| view! { <a href=href>"Previous page"</a> })}
            {next.map(|href| view! { <a href=href>"Next page"</a> })}
        </nav>
    }
}

/// The data behind the chart: each group's count per step, and the total.
#[component]
fn CountsTable(grouping: FunnelGrouping, groups: Vec<FunnelCounts>, total: [i64; 5]) -> impl IntoView {
    let caption = format!("Invitation funnel {}", grouping.label().to_lowercase());
    view! {
        <div class="table-box"><table class="people stacked funnel-counts">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col">{grouping.column()}</th>
                    {FunnelStep::ALL.into_iter().map(|step| view! { <th scope="col" class="number">{step.label()}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {groups.into_iter().map(|group| view! {
                    <tr>
                        <th scope="row">{group.label}</th>
                        {counted(group.counts)}
                    </tr>
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr>
                    <th scope="row">"Total"</th>
                    {counted(total)}
                </tr>
            </tfoot>
        </table></div>
    }
}

/// A row's counts, each labelled with its step for the stacked layout of phones.
fn counted(counts: [i64; 5]) -> impl IntoView {
    FunnelStep::ALL
        .into_iter()
        .zip(counts)
        .map(|(step, count)| view! { <td class="number" data-label=step.label()>{count}</td> })
        .collect_view()
}

/// Each invitation with the time it reached each step, or a dash.
#[component]
fn StepsTable(rows: Vec<FunnelRow>) -> impl IntoView {
    view! {
        <div class="table-box"><table class="people stacked" aria-label="Each invitation's steps">
            <thead>
                <tr>
                    <th scope="col">"Invited"</th>
                    <th scope="col">"Channel"</th>
                    <th scope="col">"Invited by"</th>
                    {FunnelStep::ALL.into_iter().map(|step| view! { <th scope="col">{step.label()}</th> }).collect_view()}
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| view! {
                    <tr>
                        <th scope="row" class="lead">{row.contact}</th>
                        <td data-label="Channel">{row.channel}</td>
                        <td data-label="Invited by">{row.invited_by}</td>
                        {FunnelStep::ALL.into_iter().zip(row.steps).map(|(step, at)| view! {
                            <td data-label=step.label()>
                                {match at {
                                    Some(moment) => view! { <LocalTime moment /> }.into_any(),
                                    None => view! { <span aria-hidden="true">"—"</span><span class="visually-hidden">"Not yet"</span> }.into_any(),
                                }}
                            </td>
                        }).collect_view()}
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
