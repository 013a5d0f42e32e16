//! Composition root, both sides: the HTML shell, the route table, and the pages that put
//! several features together. Nothing imports this module.
//! May depend on: every module.

mod page_groups;
mod settings;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::components::PlainPage;
use page_groups::*;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::page_policy::send_page_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <AutoReload options=options.clone() />
                // Named under the files' version (server::assets), as the scripts are.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets tests (and people on slow links) know the page is interactive.
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Title text="Bitrix24 intranet" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view={Lazy::<SignUpRoute>::new()} />
                <Route path=path!("/login") view={Lazy::<LoginRoute>::new()} />
                <Route path=path!("/login/code") view={Lazy::<LoginCodeRoute>::new()} />
                <Route path=path!("/portals") view={Lazy::<PortalChooserRoute>::new()} />
                <Route path=path!("/forgot-password") view={Lazy::<ForgotPasswordRoute>::new()} />
                <Route path=path!("/reset-password") view={Lazy::<ResetPasswordRoute>::new()} />
                <Route path=path!("/confirm-email") view={Lazy::<ConfirmEmailRoute>::new()} />
                <Route path=path!("/network/profile") view={Lazy::<NetworkProfileRoute>::new()} />
                <Route path=path!("/network/confirm-login") view={Lazy::<ConfirmLoginRoute>::new()} />
                <Route path=path!("/dev/outbox") view={Lazy::<OutboxRoute>::new()} />
                <Route path=path!("/invite") view={Lazy::<InvitationLinkRoute>::new()} />
                <Route path=path!("/complete-registration") view={Lazy::<CompleteRegistrationRoute>::new()} />
                <Route path=path!("/join/:code") view={Lazy::<RegistrationLinkRoute>::new()} />
                <Route path=path!("/register/confirm") view={Lazy::<ConfirmRegistrationRoute>::new()} />
                // Portal pages are sent whole, once their data is read (a few ms), rather
                // than streamed out of order: a streamed page is drawn twice on the server
                // (the placeholder, then the data in a template moved by a script), and
                // that cost the signed-in pages a tenth of their throughput (scripts/bench
                // pages). A status a page sets from its data (404) also reaches the browser.
                <ParentRoute path=path!("/p/:slug") ssr=SsrMode::Async view={Lazy::<PortalLayoutRoute>::new()}>
                    <Route path=path!("") view={Lazy::<ActivityStreamRoute>::new()} />
                    <Route path=path!("chat") view={Lazy::<ChatRoute>::new()} />
                    <Route path=path!("employees") view={Lazy::<EmployeesRoute>::new()} />
                    <Route path=path!("employees/invite-list") view={Lazy::<BulkInviteRoute>::new()} />
                    <Route path=path!("people/:id") view={Lazy::<PersonRoute>::new()} />
                    <Route path=path!("people/:id/edit") view={Lazy::<ProfileEditorRoute>::new()} />
                    <Route path=path!("structure") view={Lazy::<StructureRoute>::new()} />
                    <Route path=path!("workgroups") view={Lazy::<WorkgroupsRoute>::new()} />
                    <Route path=path!("workgroups/:id") view={Lazy::<WorkgroupRoute>::new()} />
                    <Route path=path!("mail") view={Lazy::<WebmailRoute>::new()} />
                    <Route path=path!("mail/accounts") view={Lazy::<ManageEmailAccountsRoute>::new()} />
                    <Route path=path!("settings") view={Lazy::<SettingsRoute>::new()} />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <PlainPage>
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address. " <a href="/">"Go to the front page"</a></p>
        </PlainPage>
    }
}
