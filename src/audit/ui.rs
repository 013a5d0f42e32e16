use leptos::prelude::*;

use super::AuditEntry;
use crate::components::LocalTime;

/// The audit log table (Settings page).
#[component]
pub fn AuditLog(entries: Vec<AuditEntry>) -> impl IntoView {
    let empty = entries.is_empty();
    view! {
        <section aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit log"</h2>
            {if empty {
                view! { <p class="muted">"No entries yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-box"><table class="people">
                        <thead>
                            <tr>
                                <th scope="col">"When"</th>
                                <th scope="col">"Who"</th>
                                <th scope="col">"What"</th>
                                <th scope="col">"Whom"</th>
                                <th scope="col">"Details"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {entries.into_iter().map(|e| view! {
                                <tr>
                                    <td><LocalTime moment=e.at /></td>
                                    <td>{e.actor}</td>
                                    <td>{e.action}</td>
                                    <td>{e.subject}</td>
                                    <td>{e.detail}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
        </section>
    }
}
